"""The reproduction recipe under each output: the gradio_client call with every parameter and the Python that
does the same, with the model's weights revision."""

from __future__ import annotations

import functools
import re

from genhub.hub import weights_revision
from genhub.models import CHECKPOINTS_DIR

SPACE_URL = "http://127.0.0.1:7860/"  # where the app runs locally; on the Hub, the Space id


@functools.cache
def revision_of(model: str) -> str:
    return weights_revision(CHECKPOINTS_DIR / model)


class Expr(str):
    """Code shown as it is in a recipe's call (repr() gives the text itself, not a quoted string)."""

    def __repr__(self) -> str:
        return str(self)


UPLOADED = "your_image.png"  # what a recipe calls the file the user uploaded
UPLOADED_LAYER = "your_strokes.png"  # ... and the stroke layer drawn over it


def upload_expr(name: str = UPLOADED) -> Expr:
    return Expr(f"handle_file({name!r})")


def editor_expr(name: str = UPLOADED, strokes: bool = False) -> Expr:
    """An image-editor value for gradio_client: the uploaded image, with the drawn strokes as a layer or none."""
    layers = f"[handle_file({UPLOADED_LAYER!r})]" if strokes else "[]"
    return Expr(
        f'{{"background": handle_file({name!r}), "layers": {layers}, "composite": handle_file({name!r}), "id": None}}'
    )


def input_code(source: str, example, name: str = "images", upload: str = UPLOADED) -> str:
    """Python that loads what an endpoint worked on: the uploaded file, or the shipped test example."""
    if source.startswith("your image"):
        return f"from genhub.images import from_pil, open_image\n{name}, _ = from_pil(open_image({upload!r}))"
    return f"from genhub.images import example_items\n{name} = example_items()[0][{int(example)}:{int(example) + 1}]"


def fenced(code: str, language: str = "python") -> str:
    """A markdown code block whose fence is longer than any run of backticks in the code (user text included)."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def recipe(api_name: str, model: str, params: dict, python: str) -> str:
    """Markdown that reproduces an output: model and revision, the gradio_client call with every parameter, Python.
    User text appears only inside code blocks (shown as text, never as markup)."""
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    used = f"model `{model}` (weights sha256 `{revision_of(model)}`)" if model else "no model"
    imports = "Client, handle_file" if "handle_file(" in args else "Client"
    call = f"from gradio_client import {imports}\nClient({SPACE_URL!r}).predict({args}, api_name={api_name!r})"
    return f"**Reproduce** — {used}\n\n{fenced(call)}\n{fenced(python)}"
