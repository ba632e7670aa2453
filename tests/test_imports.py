"""The one-way data flow of DESIGN.md: app -> operations -> models -> layers, images beside them."""

import ast
from pathlib import Path

from conftest import ROOT

from genhub.train import live, live2d


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                found |= {module} | {f"{module}.{a.name}" for a in node.names}
            else:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def modules(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_only_the_app_imports_gradio():
    for path in modules("genhub"):
        assert not any(m == "gradio" or m.startswith("gradio.") for m in imports_of(path)), path


def test_space_never_imports_data_or_training():
    for path in [ROOT / "app.py", *modules("space")]:
        found = imports_of(path)
        assert not any(m.startswith("genhub.data") for m in found), path
        training = {m for m in found if m.startswith("genhub.train")}
        allowed = {f"genhub.train.{m.__name__.split('.')[-1]}" for m in (live, live2d)}  # the live trainers only
        allowed |= {
            f"{prefix}.{n}"
            for prefix, m in (("genhub.train.live", live), ("genhub.train.live2d", live2d))
            for n in dir(m)
        }
        assert training <= allowed, (path, training)


def test_tabs_never_import_tabs():
    for path in modules("space/tabs"):
        found = {m for m in imports_of(path) if m.startswith("space.tabs.")}
        assert not found, (path, found)


def test_only_app_and_space_import_gradio():
    for folder in ("genhub", "bench"):
        for path in modules(folder):
            assert not any(m == "gradio" or m.startswith("gradio.") for m in imports_of(path)), path


def test_models_never_import_operations_training_or_app():
    for path in modules("genhub/models"):
        found = imports_of(path)
        assert not any(
            m.startswith(("genhub.operations", "genhub.train", "genhub.data", "app", "space")) for m in found
        ), path


def test_layers_import_no_other_genhub_module():
    assert not any(m.startswith("genhub") for m in imports_of(ROOT / "genhub/models/layers.py"))


def test_training_never_imports_operations_or_space():
    for path in modules("genhub/train"):
        found = imports_of(path)
        assert not any(m.startswith(("genhub.operations", "app", "space")) for m in found), (path, found)


def test_operations_never_import_training_or_data():
    for path in modules("genhub/operations"):
        assert not any(m.startswith(("genhub.train", "genhub.data", "app")) for m in imports_of(path)), path


def test_import_genhub_and_help_load_no_torch_yet_auto_classes_know_genhub():
    """`import genhub` and `--help` stay light; the Auto classes still know every family once genhub is imported,
    whichever of the two is imported first."""
    import subprocess
    import sys

    light = "import sys, genhub, genhub.train.__main__ as m; m.build_parser(); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", light], check=True, cwd=ROOT)
    for script in (
        "import genhub\nfrom transformers import AutoModel",
        "from transformers import AutoModel\nimport genhub",
        "import genhub, torch\nfrom transformers import PreTrainedModel, AutoModel",
        "import genhub\nfrom transformers import AutoConfig as AutoModel",
    ):
        check = f"{script}\nprint(type(AutoModel.from_pretrained('checkpoints/fashion-ae-under')).__name__)"
        out = subprocess.run([sys.executable, "-c", check], check=True, cwd=ROOT, capture_output=True, text=True)
        assert out.stdout.strip() in ("Autoencoder", "AutoencoderConfig"), (script, out.stdout, out.stderr[-500:])
