"""Training: `python -m genhub.train <recipe>` reproduces every shipped checkpoint (imports are lazy, so
`--help` is quick)."""

from __future__ import annotations

import importlib


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module(".core", __name__), name)
