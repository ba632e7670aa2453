"""The distribution installs from the checkout alone and works outside it: from another folder with the shipped
checkpoints, and by Hub repo id from the local Hub test server with no checkout anywhere on the path."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from hub_server import start_hub_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from the checkout, installed (without its dependencies, which this venv has) into a folder."""
    tmp = tmp_path_factory.mktemp("install")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((tmp / "dist").glob("fdl_genhub-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(tmp / "site"), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (tmp / "elsewhere").mkdir()
    return wheel, tmp / "site", tmp / "elsewhere"


def run_outside(code: str, site: Path, cwd: Path, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GENHUB_CHECKPOINTS", "HF_HUB_OFFLINE")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, "PYTHONPATH": str(site), **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_wheel_declares_its_dependencies_and_scripts(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
        scripts = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for dependency in ("torch", "transformers", "diffusers", "huggingface_hub", "safetensors"):
        assert f"Requires-Dist: {dependency}" in metadata
    assert 'extra == "app"' in metadata and 'extra == "train"' in metadata and 'extra == "dev"' in metadata
    assert "genhub-train" in scripts and "genhub-publish" in scripts
    assert "genhub/assets/fashion_mnist_test_examples.png" in names  # package data travels


def test_installed_package_loads_a_shipped_checkpoint_from_another_folder(installed):
    _, site, elsewhere = installed
    out = run_outside(
        "import genhub, torch\n"
        "from genhub.images import example_items\n"
        f"assert genhub.__file__.startswith({str(site)!r}), genhub.__file__\n"
        "vae = genhub.load_model('fashion-vae')\n"
        "x = example_items()[0][:2]\n"
        "print(tuple(vae.generate(3, generator=torch.Generator().manual_seed(0)).shape), tuple(vae.encode(x)[0].shape))\n",
        site,
        elsewhere,
        GENHUB_CHECKPOINTS=str(ROOT / "checkpoints"),
    )
    assert "(3, 1, 28, 28) (2, 16)" in out


def test_installed_package_downloads_a_short_name_from_the_hub(installed, tmp_path):
    _, site, elsewhere = installed
    server, state, url = start_hub_server()
    try:
        hub = {"HF_ENDPOINT": url, "HF_TOKEN": "hf_test_token", "HF_HOME": str(tmp_path / "hf")}
        run_outside(
            f"import genhub\ngenhub.load_model({str(ROOT / 'checkpoints/fashion-dcgan')!r}).push_to_hub("
            "'genhub/fashion-dcgan')\n",
            site,
            elsewhere,
            **hub,
        )
        out = run_outside(
            "import genhub, torch\n"
            "gan = genhub.load_model('fashion-dcgan')  # no checkpoints/ here: genhub/fashion-dcgan on the Hub\n"
            "print(gan.name_or_path, tuple(gan.generate(2, class_labels='Bag').shape))\n",
            site,
            elsewhere,
            **hub,
        )
        assert "genhub/fashion-dcgan (2, 1, 28, 28)" in out
        assert any("/resolve/" in r and "model.safetensors" in r for r in state.requests)
        assert not (site / "checkpoints").exists() and not (site.parent / "checkpoints").exists()
    finally:
        server.shutdown()
