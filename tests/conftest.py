import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from genhub import data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "checkpoints"


@pytest.fixture(scope="session")
def fashion_test():
    """The first 1,000 Fashion-MNIST test images as (N, 1, 28, 28) floats in [0, 1], and labels."""
    images, labels = data.load_fashion_mnist("test")
    return data.as_float_images(images[:1000]), labels[:1000]


@pytest.fixture(scope="session")
def fashion_batch(fashion_test):
    return fashion_test[0][:16]


@pytest.fixture
def seeded():
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """The app, started once for the session on 127.0.0.1: (app module, url)."""
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(tmp_path_factory.mktemp("examples"))
    import app
    from space import LAUNCH

    options = {**LAUNCH, "server_name": "127.0.0.1", "prevent_thread_lock": True, "quiet": True}
    _, url, _ = app.demo.launch(**options)
    yield app, url
    app.demo.close()


@pytest.fixture(scope="session")
def client(served):
    from gradio_client import Client

    return Client(served[1], verbose=False)
