"""The hosted Space from its own files: the card's front matter against the code, packages.txt against the data the
app reads, the deploy's file list, and a deploy to a local Hub server whose received files alone install and serve
every tab."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import gradio
import pytest
import yaml
from conftest import CHECKPOINTS, ROOT
from hub_server import start_hub_server

from genhub import data
from genhub.hub import space_files


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    return yaml.safe_load(text.split("---\n")[1])


def test_front_matter_matches_the_code():
    card = front_matter()
    assert card["sdk"] == "gradio" and (ROOT / card["app_file"]).is_file()
    assert card["python_version"] == "3.11"  # quoted in the YAML: 3.10 unquoted would read as 3.1
    pin = re.search(r"^gradio(?:\[mcp\])?==([\w.]+)", (ROOT / "requirements.txt").read_text(), re.M)
    assert pin, "requirements.txt pins gradio to the card's sdk_version (a Space installs exactly that one)"
    assert card["sdk_version"] == pin[1] == gradio.__version__
    shipped = {p.name for p in CHECKPOINTS.iterdir() if (p / "config.json").is_file()}
    assert {m.split("/", 1)[1] for m in card["models"]} == shipped


def test_packages_txt_names_the_debian_packages_of_the_data_the_app_reads():
    packages = set((ROOT / "packages.txt").read_text().split())
    if shutil.which("dpkg") is None:
        pytest.skip("dpkg names the package a file comes from")
    from genhub import emoji

    for path in (data.FASHION_MNIST_DIR, emoji.FONT, emoji.EMOJI_TEST):
        owner = subprocess.run(["dpkg", "-S", str(path)], capture_output=True, text=True)
        assert owner.returncode == 0, f"{path} comes from no Debian package: {owner.stderr}"
        assert set(owner.stdout.split(":")[0].split(", ")) & packages, (path, owner.stdout)


def test_the_deploy_lists_what_a_space_runs_and_nothing_else():
    files = space_files(ROOT)
    for needed in ("app.py", "requirements.txt", "packages.txt", "README.md", "space/__init__.py", "genhub/data.py"):
        assert needed in files
    assert all(f"checkpoints/{name}/model.safetensors" in files for name in ("fashion-vae", "fashion-ebgan"))
    assert not [p for p in files if p.startswith(("tests/", "bench/", "runs/", ".")) or "/." in p or ".pyc" in p]
    assert not [p for p in files if "__pycache__" in p or p.startswith("checkpoints/.")]
    listing = subprocess.run(
        [sys.executable, "-m", "genhub.hub", "deploy-space", "me/genhub", "--dry-run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert listing.returncode == 0, listing.stderr
    assert f"bytes in {len(files)} files (dry run: nothing uploaded)" in listing.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def calls_of_every_tab(client, item: str) -> None:
    """One endpoint of every tab, with the arguments a person would give."""
    from gradio_client import handle_file

    image = handle_file(item)
    editor = {"background": image, "layers": [], "composite": image, "id": None}
    client.predict(
        model="fashion-ebgan", class_name="Sneaker", truncation=0.8, seed=4, num_images=4, api_name="/sample"
    )
    client.predict(
        model="fashion-ebgan", class_name="Bag", seed=2, edit="zoom", alpha=1.5, frames=3, api_name="/steer_walk"
    )
    client.predict(
        model="fashion-dae",
        example=5,
        image=None,
        noise_type="gaussian",
        noise_level=0.5,
        seed=3,
        api_name="/reconstruct",
    )
    client.predict(model="fashion-vae", num_images=4, seed=1, api_name="/vae_sample")
    client.predict(editor=editor, preset="centre square", prior="VAE", steps=10, seed=0, api_name="/inpaint")
    client.predict(model="fashion-text-gan", caption="a red dress", num_images=2, seed=1, api_name="/caption")
    client.predict(
        image=None,
        example="photo: camera",
        scale=2,
        method="bicubic",
        model="fashion-sr-x2",
        steps=10,
        api_name="/super_resolve",
    )
    _, _, figures, _ = client.predict(
        family="vae",
        margin=20,
        beta=1.0,
        lr_generator=1e-3,
        lr_cost=2e-4,
        cost_steps=1,
        batch_size=32,
        latent_dim=8,
        classes=["Trouser", "Bag"],
        max_steps=10,
        seed=0,
        api_name="/playground",
    )
    assert "step **10** of 10" in figures  # the Playground read Fashion-MNIST from packages.txt's package


@pytest.mark.slow
def test_a_deployed_space_installs_and_serves_every_tab_from_its_own_files(tmp_path):
    server, state, url = start_hub_server()
    env = {**os.environ, "HF_ENDPOINT": url, "HF_TOKEN": "hf_test_token", "HF_HOME": str(tmp_path / "hf")}
    env.pop("HF_HUB_OFFLINE", None)
    try:
        deploy = subprocess.run(
            [sys.executable, "-m", "genhub.hub", "deploy-space", "tester/genhub"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.shutdown()
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    repo = state.repos["tester/genhub"]
    assert repo["type"] == "space" and repo["sdk"] == "gradio"
    assert set(repo["files"]) == set(space_files(ROOT))
    space = tmp_path / "space"  # what the Space received, and nothing else
    for path, payload in repo["files"].items():
        (space / path).parent.mkdir(parents=True, exist_ok=True)
        (space / path).write_bytes(payload)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", "requirements.txt"],
        cwd=space,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GENHUB", "VIRTUAL_ENV"))}
    log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen(
        [str(venv / "bin" / "python"), "app.py"],
        cwd=space,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**clean, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    try:
        from gradio_client import Client

        deadline = time.time() + 240
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # noqa: BLE001 - not up yet
                assert app.poll() is None and time.time() < deadline, (tmp_path / "app.log").read_text()[-3000:]
                time.sleep(2)
        calls_of_every_tab(client, str(Path(space, "assets/examples/item.png")))
    finally:
        app.terminate()
        app.wait(30)
    assert "Traceback" not in (tmp_path / "app.log").read_text()
