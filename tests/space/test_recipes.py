"""Every Reproduce recipe the app emits runs as written: its gradio_client call gives the same images as the app
gave, and its Python block runs, for every endpoint that shows one, after uploads too."""

import re
import shutil

import numpy as np
import pytest
from conftest import ROOT
from gradio_client import handle_file
from PIL import Image

pytestmark = pytest.mark.slow
ITEM, STROKES = ROOT / "assets/examples/item.png", ROOT / "assets/examples/strokes.png"
DARK = ROOT / "assets/examples/item-dark-on-light.png"


def editor(path, strokes=False):
    layers = [handle_file(str(STROKES))] if strokes else []
    return {"background": handle_file(str(path)), "layers": layers, "composite": handle_file(str(path)), "id": None}


CASES = [
    ("/sample", dict(model="fashion-ebgan", class_name="Sneaker", truncation=0.8, seed=5, num_images=4)),
    ("/interpolate_seeds", dict(model="fashion-dcgan", class_name="Bag", seed_a=1, seed_b=2, steps=4, truncation=1.0)),
    ("/steer_walk", dict(model="fashion-ebgan", class_name="Dress", seed=3, edit="rotate_2d", alpha=30, frames=5)),
    (
        "/steer_combined",
        dict(
            model="fashion-dcgan",
            class_name="Bag",
            seed=2,
            zoom=1.5,
            shift_x=2,
            shift_y=0,
            brightness=0.1,
            rotate_2d=0,
            rotate_3d=0,
        ),
    ),
    ("/reconstruct", dict(model="fashion-dae", example=5, image=None, noise_type="gaussian", noise_level=0.5, seed=3)),
    (
        "/reconstruct",
        dict(model="fashion-cae", example=0, image=editor(DARK), noise_type="none", noise_level=0, seed=1),
    ),
    ("/vae_sample", dict(model="fashion-vae", num_images=4, seed=8)),
    ("/vae_encode", dict(model="fashion-beta-vae", example=0, image=editor(DARK))),
    ("/vae_traverse", dict(model="fashion-vae", example=7, image=None, dim_row=0, dim_col=3, span=2.0, steps=3)),
    (
        "/vae_interpolate",
        dict(model="fashion-vae", example_a=0, example_b=42, image_a=editor(DARK), image_b=None, steps=4),
    ),
    ("/inpaint", dict(editor=editor(ITEM, strokes=True), preset="drawn", prior="VAE", steps=10, seed=0)),
    ("/inpaint", dict(editor=editor(ITEM), preset="random blocks", prior="GAN", steps=10, seed=4)),
    ("/caption", dict(model="fashion-text-gan", caption="a `white` <b>sneaker</b>", num_images=3, seed=1)),
    (
        "/caption_walk",
        dict(model="fashion-text-gan", caption_a="a red dress", caption_b="a blue coat", steps=3, seed=0),
    ),
    (
        "/super_resolve",
        dict(image=None, example="photo: coffee", scale=2, method="internal", model="photo-sr-x2", steps=20),
    ),
    (
        "/super_resolve",
        dict(
            image=handle_file(str(DARK)),
            example="photo: camera",
            scale=2,
            method="bicubic",
            model="fashion-sr-x2",
            steps=10,
        ),
    ),
]


def blocks(markdown: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"(`{3,})python\n(.*?)\n\1", markdown, re.S)]


def image_files(outputs) -> list[str]:
    flat = []
    for value in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        if isinstance(value, (list, tuple)):
            flat += image_files(value)
        elif isinstance(value, str) and value.endswith(".png"):
            flat.append(value)
    return flat


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGBA"))


@pytest.mark.parametrize("api, kwargs", CASES, ids=[f"{a}-{i}" for i, (a, _) in enumerate(CASES)])
def test_the_recipe_reproduces_the_answer(client, served, api, kwargs, tmp_path, monkeypatch):
    outputs = client.predict(**kwargs, api_name=api)
    recipe = [o for o in outputs if isinstance(o, str) and "**Reproduce**" in o][-1]
    call, python = blocks(recipe)
    # the files a user uploaded are "your_image.png" & co. in the recipe: give them those names here
    uploaded = {
        "your_image.png": DARK if "dark" in str(kwargs) else ITEM,
        "your_image_a.png": DARK,
        "your_image_b.png": DARK,
        "your_strokes.png": STROKES,
    }
    if api == "/inpaint":
        uploaded["your_image.png"] = ITEM
    for name, source in uploaded.items():
        shutil.copy(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    call = call.replace("http://127.0.0.1:7860/", served[1]).replace("Client(", "result = Client(", 1)
    namespace = {}
    exec(compile(call, f"recipe of {api} (gradio_client)", "exec"), namespace)
    ours, theirs = image_files(outputs), image_files(namespace["result"])
    assert ours and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert np.array_equal(pixels(a), pixels(b)), api
    exec(compile(python, f"recipe of {api} (Python)", "exec"), {})
