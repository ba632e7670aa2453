"""push_to_hub, then download by repo id, through a Hub-compatible server on 127.0.0.1.

huggingface_hub reads HF_ENDPOINT when it is imported, so each step runs in a fresh interpreter."""

import json
import os
import subprocess
import sys

import pytest
from conftest import CHECKPOINTS, ROOT
from hub_server import start_hub_server


@pytest.fixture
def hub(tmp_path):
    server, state, url = start_hub_server()
    env = {
        **os.environ,
        "HF_ENDPOINT": url,
        "HF_TOKEN": "hf_test_token",
        "HF_HOME": str(tmp_path / "hf"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("HF_HUB_OFFLINE", None)
    yield state, env
    server.shutdown()


def run(code: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_push_then_download_by_repo_id_then_offline(hub, fashion_batch, tmp_path):
    state, env = hub
    run(
        "import genhub\n"
        "m = genhub.load_model('fashion-vae')\n"
        "m.push_to_hub('tester/fashion-vae')\n"
        "from huggingface_hub import ModelCard\n"
        "ModelCard.load('checkpoints/fashion-vae/README.md').push_to_hub('tester/fashion-vae')\n",
        {**env, "PWD": str(ROOT)},
    )
    files = state.repos["tester/fashion-vae"]["files"]
    assert {"config.json", "model.safetensors", "README.md"} <= set(files)
    assert b"library_name: genhub" in files["README.md"]
    check = (
        "import genhub, torch\n"
        "from transformers import AutoModel\n"
        "m = AutoModel.from_pretrained('tester/fashion-vae')\n"
        "ref = genhub.load_model('fashion-vae')\n"
        "z = torch.randn(4, m.config.latent_dim, generator=torch.Generator().manual_seed(0))\n"
        "assert type(m).__name__ == 'VAE' and torch.equal(m.eval().decode(z), ref.decode(z))\n"
        "print('same images')\n"
    )
    assert "same images" in run(check, env)
    downloads = [r for r in state.requests if "/resolve/" in r]
    assert any("model.safetensors" in r for r in downloads)
    state.requests.clear()
    assert "same images" in run(check, {**env, "HF_HUB_OFFLINE": "1"})  # from the cache alone
    assert state.requests == []


@pytest.mark.slow
def test_publish_command_pushes_every_checkpoint(hub, tmp_path):
    state, env = hub
    import shutil

    folder = tmp_path / "ckpts"
    for name in ("fashion-ae-under", "fashion-vae"):
        shutil.copytree(ROOT / "checkpoints" / name, folder / name)
    out = subprocess.run(
        [sys.executable, "-m", "genhub.hub", "publish", "someone", "--checkpoints", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert sorted(state.repos) == ["someone/fashion-ae-under", "someone/fashion-vae"]
    for name in ("fashion-ae-under", "fashion-vae"):
        files = state.repos[f"someone/{name}"]["files"]
        assert files["model.safetensors"] == (folder / name / "model.safetensors").read_bytes()
        assert files["README.md"] == (folder / name / "README.md").read_bytes()
        assert "preview.png" in files and "training_log.json" in files


@pytest.mark.parametrize("name", sorted(p.name for p in CHECKPOINTS.iterdir() if not p.name.startswith(".")))
def test_every_card_carries_its_figures_as_eval_results(name):
    from huggingface_hub import ModelCard

    card = ModelCard.load(CHECKPOINTS / name / "README.md")
    results = card.data.eval_results
    measured_on = ("zalando-datasets/fashion_mnist", "test")  # the photo models: scikit-image's six example photos
    if name.startswith("photo-"):
        measured_on = ("scikit-image/data", "camera-astronaut-coffee-chelsea-rocket-moon")
    if name.startswith("emoji-"):  # the emoji models: the held-out names of the emoji set
        measured_on = ("unicode-emoji", "held-out names")
    assert results and all((r.dataset_type, r.dataset_split) == measured_on for r in results)
    assert set(card.data.metrics) >= {r.metric_type.split(" (")[0] for r in results}
    if name.endswith("-walks"):
        assert card.data.base_model == f"genhub/{name[: -len('-walks')]}" and card.data.base_model_relation == "adapter"
    config = json.loads((CHECKPOINTS / name / "config.json").read_text())
    if config.get("class_names"):
        assert config["id2label"] == {str(i): c for i, c in enumerate(config["class_names"])}
    assert "pip install fdl-genhub" in card.text
