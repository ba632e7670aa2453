"""Model cards, atomic checkpoint saves, and publishing every shipped checkpoint to the Hub.

python -m genhub.hub publish NAMESPACE [--checkpoints DIR] [--private]
python -m genhub.hub deploy-space OWNER/NAME [--dry-run] [--private] [--root DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData
from transformers import PreTrainedModel

DATASET_ID = "zalando-datasets/fashion_mnist"  # the Hub id of the data every figure is measured on
EXTRA_FILE_PATTERNS = ["*.png", "*.json"]  # plots, sample grids and logs that travel with a checkpoint
SPACE_FILES = ("app.py", "requirements.txt", "packages.txt", "README.md", "space", "genhub", "checkpoints", "assets")
# what a Space runs from: its app, what it installs (pip and apt), its card, the code, the models, the examples
SPACE_SKIPPED = ("__pycache__",)  # folders never uploaded (hidden files and folders are skipped too: temp saves)


def make_card(
    title: str,
    summary: str,
    sections: dict[str, str],
    pipeline_tag: str,
    tags: list[str],
    metrics: list[str],
    datasets: list[str] = (DATASET_ID,),
    figures: dict[str, float] | None = None,
    model_name: str | None = None,
    base_model: str | None = None,
    measured_on: tuple[str, str, str] = (DATASET_ID, "Fashion-MNIST", "test"),
) -> ModelCard:
    """A model card: huggingface_hub front matter (with the measured figures as eval_results / model-index, on
    `measured_on` = (dataset type, name, split), by default Fashion-MNIST's test split), then a title, a summary
    and markdown sections."""
    results = [
        EvalResult(
            task_type=pipeline_tag,
            dataset_type=measured_on[0],
            dataset_name=measured_on[1],
            dataset_split=measured_on[2],
            metric_type=name,
            metric_name=name,
            metric_value=round(float(value), 6),
        )
        for name, value in (figures or {}).items()
        if isinstance(value, (int, float)) and value == value  # numbers only, no NaN
    ]
    data = ModelCardData(
        library_name="genhub",
        pipeline_tag=pipeline_tag,
        license="mit",
        datasets=list(datasets),
        metrics=metrics,
        tags=["genhub", *tags],
        model_name=model_name if results else None,
        eval_results=results or None,
        base_model=base_model,
        base_model_relation="adapter" if base_model else None,
    )
    body = "\n\n".join(f"## {head}\n\n{text.strip()}" for head, text in sections.items())
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n# {title}\n\n{summary.strip()}\n\n{body}\n")


def save_checkpoint(
    model: PreTrainedModel,
    folder: str | Path,
    card: ModelCard | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write weights, config, card and extras to a temp dir beside `folder`, then swap it into place."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a checkpoint folder is readable like any other
    try:
        model.save_pretrained(tmp)
        if card is not None:
            card.save(tmp / "README.md")
        for name, payload in (extra_files or {}).items():
            (tmp / name).write_bytes(payload)
        old = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)  # step aside; the new folder lands in one rename
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def zip_checkpoint(model: PreTrainedModel, name: str) -> bytes:
    """A model as the bytes of a zip holding one complete checkpoint folder `name/` (config, safetensors)."""
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(Path(folder) / name)
        return Path(shutil.make_archive(str(Path(folder) / "checkpoint"), "zip", folder, name)).read_bytes()


def weights_revision(folder: str | Path) -> str:
    """A short content hash of a checkpoint's weights: names the exact model version in recipes."""
    digest = hashlib.sha256(Path(folder, "model.safetensors").read_bytes()).hexdigest()
    return digest[:12]


def publish_checkpoint(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Push one checkpoint folder: the model (config + safetensors), then its card, then plots/logs."""
    from .models import load_model  # noqa: PLC0415 (keeps `genhub.hub` importable without the models)

    folder = Path(folder)
    model = load_model(folder)
    model.push_to_hub(repo_id, private=private, token=token)
    ModelCard.load(folder / "README.md").push_to_hub(repo_id, token=token)
    extras = [
        p.name for p in folder.iterdir() if p.name != "config.json" and any(p.match(g) for g in EXTRA_FILE_PATTERNS)
    ]
    if extras:
        HfApi(token=token).upload_folder(
            repo_id=repo_id, folder_path=folder, allow_patterns=extras, commit_message="Add plots and logs"
        )
    return repo_id


def space_files(root: str | Path) -> dict[str, int]:
    """{path in the Space repo: bytes} of what the Space needs from a checkout: SPACE_FILES, without hidden
    entries, caches or compiled files (no .venv, runs/, tests or their screenshots: they are not listed)."""
    root, files = Path(root), {}
    missing = [name for name in SPACE_FILES if not (root / name).exists()]
    if missing:
        raise FileNotFoundError(f"{root} is not a genhub checkout: {', '.join(missing)} missing")
    for name in SPACE_FILES:
        top = root / name
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and not any(p.startswith(".") or p in SPACE_SKIPPED for p in parts):
                if path.suffix != ".pyc":
                    files["/".join(parts)] = path.stat().st_size
    return files


def deploy_space(repo_id: str, root: str | Path, private: bool = False, token: str | None = None) -> str:
    """Create (or reuse) the gradio Space `repo_id` and upload space_files(root) in one commit; returns its URL.
    huggingface_hub picks the transfer per file (large and binary files through the Hub's large-file path)."""
    from huggingface_hub import CommitOperationAdd  # noqa: PLC0415

    api = HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    operations = [CommitOperationAdd(path, str(Path(root) / path)) for path in space_files(root)]
    api.create_commit(repo_id, operations, commit_message="Deploy genhub", repo_type="space")
    return str(url)


def _deploy_main(args) -> None:
    files = space_files(args.root)
    if args.dry_run:
        for path, size in files.items():
            print(f"{size:>12,}  {path}")
        print(f"{sum(files.values()):>12,}  bytes in {len(files)} files (dry run: nothing uploaded)")
        return
    print(f"deployed {len(files)} files to {deploy_space(args.repo_id, args.root, args.private)}")


def main(argv: list[str] | None = None) -> None:
    from .models import CHECKPOINTS_DIR  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m genhub.hub", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="push every checkpoint folder to NAMESPACE/<folder name>")
    pub.add_argument("namespace", help="user or organisation on the Hub")
    pub.add_argument("--checkpoints", default=str(CHECKPOINTS_DIR), help="folder of checkpoint folders")
    pub.add_argument("--private", action="store_true")
    dep = sub.add_parser("deploy-space", help="upload the Space (app, code, checkpoints, card) to OWNER/NAME")
    dep.add_argument("repo_id", metavar="OWNER/NAME", help="the Space's repo id")
    dep.add_argument("--root", default=str(CHECKPOINTS_DIR.parent), help="the checkout to deploy")
    dep.add_argument("--dry-run", action="store_true", help="list the files and their sizes; upload nothing")
    dep.add_argument("--private", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "deploy-space":
        return _deploy_main(args)
    folders = sorted(p for p in Path(args.checkpoints).iterdir() if (p / "config.json").exists())
    if not folders:
        raise SystemExit(f"no checkpoint folders (with config.json) in {args.checkpoints}")
    for folder in folders:
        repo = publish_checkpoint(folder, f"{args.namespace}/{folder.name}", private=args.private)
        print(f"published {folder} -> {repo}")


if __name__ == "__main__":
    main()
