import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel

import genhub
from genhub.hub import save_checkpoint
from genhub.models import Autoencoder, AutoencoderConfig, CheckpointError


@pytest.fixture
def checkpoint(tmp_path):
    model = Autoencoder(AutoencoderConfig(hidden_size=8, tied_weights=False))
    folder = tmp_path / "ae"
    save_checkpoint(model, folder)
    return folder


def test_automodel_after_import_genhub(checkpoint):
    assert type(AutoModel.from_pretrained(checkpoint)) is Autoencoder
    assert type(genhub.load_model(str(checkpoint))) is Autoencoder


def test_truncated_weights(checkpoint):
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=f"{checkpoint}.*corrupt or truncated"):
        genhub.load_model(checkpoint)


def test_garbage_weights(checkpoint):
    (checkpoint / "model.safetensors").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(CheckpointError, match=str(checkpoint)):
        genhub.load_model(checkpoint)


def test_missing_and_unexpected_keys(checkpoint):
    weights = checkpoint / "model.safetensors"
    tensors = load_file(weights)
    missing = {k: v for k, v in tensors.items() if k != "decoder.bias"}
    save_file(missing, weights, metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="missing_keys.*decoder.bias"):
        genhub.load_model(checkpoint)
    save_file({**tensors, "extra.weight": torch.zeros(2)}, weights, metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="unexpected_keys.*extra.weight"):
        genhub.load_model(checkpoint)


def test_shape_mismatch(checkpoint):
    config = json.loads((checkpoint / "config.json").read_text())
    config["hidden_size"] = 9
    (checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=str(checkpoint)):
        genhub.load_model(checkpoint)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{not json", "config.json.*not a valid JSON"),
        ('{"model_type": "genhub_autoencoder", "hidden_size": -3}', "not a genhub config"),
        ('{"model_type": "no_such_family"}', "not a genhub config"),
    ],
)
def test_bad_config(checkpoint, text, reason):
    (checkpoint / "config.json").write_text(text)
    with pytest.raises(CheckpointError, match=reason):
        genhub.load_model(checkpoint)


def test_missing_weights_file_and_folder(checkpoint, tmp_path):
    (checkpoint / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match=str(checkpoint)):
        genhub.load_model(checkpoint)
    with pytest.raises(CheckpointError):
        genhub.load_model(tmp_path / "does-not-exist")


def test_save_is_atomic(checkpoint, monkeypatch):
    before = (checkpoint / "model.safetensors").read_bytes()
    model = Autoencoder(AutoencoderConfig(hidden_size=8, tied_weights=False))

    def dies_half_way(folder, *args, **kwargs):
        (folder / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save_pretrained", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(model, checkpoint)
    assert (checkpoint / "model.safetensors").read_bytes() == before
    assert genhub.load_model(checkpoint) is not None
    assert [p.name for p in checkpoint.parent.iterdir()] == ["ae"]  # no temp dirs left behind


def test_every_shipped_checkpoint_is_a_complete_hub_repo():
    from genhub.models import CHECKPOINTS_DIR

    folders = sorted(p for p in CHECKPOINTS_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(folders) >= 6
    for folder in folders:
        assert {"config.json", "model.safetensors", "README.md"} <= {p.name for p in folder.iterdir()}
        assert all(p.stat().st_size < 10 * 2**20 for p in folder.iterdir())
        card = (folder / "README.md").read_text()
        assert "library_name: genhub" in card and "## Test figures (measured)" in card and "## Training recipe" in card
        genhub.load_model(folder)
