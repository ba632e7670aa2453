"""Model cards, atomic checkpoint saves, and publishing every shipped checkpoint to the Hub.

python -m genhub.hub publish NAMESPACE [--checkpoints DIR] [--private]
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
) -> ModelCard:
    """A model card: huggingface_hub front matter (with the measured figures as eval_results / model-index, on
    Fashion-MNIST's test split), then a title, a summary and markdown sections."""
    results = [
        EvalResult(
            task_type=pipeline_tag,
            dataset_type=DATASET_ID,
            dataset_name="Fashion-MNIST",
            dataset_split="test",
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


def main(argv: list[str] | None = None) -> None:
    from .models import CHECKPOINTS_DIR  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m genhub.hub", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="push every checkpoint folder to NAMESPACE/<folder name>")
    pub.add_argument("namespace", help="user or organisation on the Hub")
    pub.add_argument("--checkpoints", default=str(CHECKPOINTS_DIR), help="folder of checkpoint folders")
    pub.add_argument("--private", action="store_true")
    args = parser.parse_args(argv)
    folders = sorted(p for p in Path(args.checkpoints).iterdir() if (p / "config.json").exists())
    if not folders:
        raise SystemExit(f"no checkpoint folders (with config.json) in {args.checkpoints}")
    for folder in folders:
        repo = publish_checkpoint(folder, f"{args.namespace}/{folder.name}", private=args.private)
        print(f"published {folder} -> {repo}")


if __name__ == "__main__":
    main()
