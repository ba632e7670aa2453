"""Training: `python -m genhub.train <recipe>` reproduces every shipped checkpoint.

    recipes.py   one Recipe per shipped checkpoint        families.py  the table of families
    loop.py      the shared Accelerate loops              steerable.py generators trained jointly with their walks
    caption_loop.py  the caption GAN's loop
    cards.py     model cards, plots                       previews.py  each family's card picture
    __main__.py  the command line (run.py: what it runs)

Names are looked up lazily from those modules, so `python -m genhub.train --help` stays quick.
"""

from __future__ import annotations

import importlib

_MODULES = ("recipes", "families", "loop", "caption_loop", "cards", "previews", "steerable", "run", "__main__")


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    for module in _MODULES:
        found = getattr(importlib.import_module(f".{module}", __name__), name, None)
        if found is not None:
            return found
    raise AttributeError(f"genhub.train has no {name!r}")
