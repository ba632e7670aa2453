"""The Space started for real on 127.0.0.1 and called through gradio_client, bad inputs included."""

import concurrent.futures
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image


def editor(path):
    return {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path)), "id": None}


def pixels(path) -> np.ndarray:
    """The PNG's pixels; grey images (gradio may store them as RGB with equal channels) as one channel."""
    with Image.open(path) as im:
        assert im.format == "PNG"
        array = np.asarray(im)
    if (
        array.ndim == 3
        and array.shape[2] >= 3
        and (array[..., 0] == array[..., 1]).all()
        and (array[..., 1] == array[..., 2]).all()
    ):
        return array[..., 0]
    return array


RECONSTRUCT = dict(model="fashion-dae", example=5, image=None, noise_type="gaussian", noise_level=0.5, seed=3)


def test_every_endpoint_is_named(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {
        "/reconstruct",
        "/vae_sample",
        "/vae_encode",
        "/vae_traverse",
        "/vae_interpolate",
        "/sample",
        "/interpolate_seeds",
        "/gan_diagnostics",
        "/steer_walk",
        "/steer_combined",
        "/inpaint",
        "/super_resolve",
    } <= names


def test_reconstruct(client):
    x, x_tilde, x_hat, info, how = client.predict(**RECONSTRUCT, api_name="/reconstruct")
    assert pixels(x).shape == (224, 224) and pixels(x_hat).shape == (224, 224)
    assert not np.array_equal(pixels(x), pixels(x_tilde))
    assert "PSNR" in info and "Seed used: **3**" in info
    assert "api_name='/reconstruct'" in how and "fashion-dae" in how and "seed=3" in how
    again = client.predict(**RECONSTRUCT, api_name="/reconstruct")
    assert np.array_equal(pixels(x_tilde), pixels(again[1])) and np.array_equal(pixels(x_hat), pixels(again[2]))


def test_reconstruct_an_upload(client, tmp_path, fashion_test):
    # a Fashion-MNIST test image as a dark-on-light RGB upload of another size: inverted and resized back
    image = (255 - fashion_test[0][7, 0].numpy() * 255).astype(np.uint8)
    Image.fromarray(image).convert("RGB").resize((56, 56), Image.NEAREST).save(tmp_path / "up.png")
    out = client.predict(
        **{**RECONSTRUCT, "image": editor(tmp_path / "up.png"), "noise_type": "none"}, api_name="/reconstruct"
    )
    assert (
        "as the model sees it: the 28x28 grey item shown as x (inverted (light background); resized from 56x56 to 28x28)"
        in out[3]
    )
    shown = pixels(out[0])[::8, ::8].astype(int)
    assert np.abs(shown - fashion_test[0][7, 0].numpy() * 255).max() <= 1


def test_vae_endpoints(client):
    grid, used, how = client.predict(model="fashion-vae", num_images=9, seed=11, api_name="/vae_sample")
    assert pixels(grid).shape[0] > 3 * 28 and "11" in used and "manual_seed(11)" in how
    x, x_hat, plot, table = client.predict(model="fashion-vae", example=12, image=None, api_name="/vae_encode")
    assert table.count("\n|") >= 16 + 1 and pixels(plot).ndim == 3
    trav, note, how = client.predict(
        model="fashion-beta-vae",
        example=3,
        image=None,
        dim_row=0,
        dim_col=5,
        span=2.5,
        steps=5,
        api_name="/vae_traverse",
    )
    assert pixels(trav).shape[1] > 5 * 28 * 3 and "z_5" in note
    latent, pixel, note, how = client.predict(
        model="fashion-vae", example_a=0, example_b=95, image_a=None, image_b=None, steps=6, api_name="/vae_interpolate"
    )
    assert pixels(latent).shape == pixels(pixel).shape and not np.array_equal(pixels(latent), pixels(pixel))


def test_random_seed_is_returned_and_reproduces(client):
    first, used, _ = client.predict(model="fashion-vae", num_images=4, seed=-1, api_name="/vae_sample")
    seed = int(used.split("**")[1])
    again, _, _ = client.predict(model="fashion-vae", num_images=4, seed=seed, api_name="/vae_sample")
    assert np.array_equal(pixels(first), pixels(again))


def test_same_seed_same_images_under_concurrent_requests(client, served):
    def call(seed):
        return pixels(
            Client(served[1], verbose=False).predict(
                model="fashion-vae", num_images=8, seed=seed, api_name="/vae_sample"
            )[0]
        )

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(call, [5, 6, 5, 6, 5, 6]))
    assert all(np.array_equal(results[0], r) for r in results[::2])
    assert all(np.array_equal(results[1], r) for r in results[1::2])
    assert not np.array_equal(results[0], results[1])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(noise_level=5), r"noise_level must be in \[0.0, 1.0\], got 5"),
        (dict(noise_level=-0.1), r"noise_level must be in \[0.0, 1.0\], got -0.1"),
        (dict(example=100), r"example must be in \[0, 99\]"),
        (dict(seed=2**40), "seed must be in"),
        (dict(seed=-7), "seed must be in"),
        (dict(model="../../etc/passwd"), "not in the list of choices"),
        (dict(noise_type="blur"), "not in the list of choices"),
    ],
)
def test_bad_values_are_clear_errors(client, change, message):
    with pytest.raises(AppError, match=message):
        client.predict(**{**RECONSTRUCT, **change}, api_name="/reconstruct")


def test_bad_files_are_clear_errors_and_the_server_keeps_serving(client, tmp_path):
    (tmp_path / "notes.txt").write_text("<b>not an image</b>")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "cut.png").write_bytes((tmp_path / "notes.txt").read_bytes()[:3])
    for bad in ("notes.txt", "empty.png", "cut.png"):
        with pytest.raises(AppError, match="not a readable image"):
            client.predict(**{**RECONSTRUCT, "image": editor(tmp_path / bad)}, api_name="/reconstruct")
    assert "PSNR" in client.predict(**RECONSTRUCT, api_name="/reconstruct")[3]


def test_nan_is_a_clear_error(served):
    # JSON clients cannot send NaN, but a raw request can: the handler must refuse it
    url = served[1].rstrip("/")
    body = '{"data": ["fashion-vae", NaN, 0]}'
    with httpx.Client(timeout=60) as http:
        event = http.post(
            f"{url}/gradio_api/call/vae_sample", content=body, headers={"Content-Type": "application/json"}
        )
        assert event.status_code == 200, event.text
        stream = http.get(f"{url}/gradio_api/call/vae_sample/{event.json()['event_id']}").text
    assert "event: error" in stream and "num_images must be a number" in stream


def test_vae_only_endpoints_refuse_other_models(client):
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(model="fashion-ae-under", num_images=4, seed=0, api_name="/vae_sample")


SAMPLE = dict(model="fashion-ebgan", class_name="Sneaker", truncation=0.8, seed=4, num_images=9)


def test_sample_and_seed_walk_and_diagnostics(client):
    grid, info, how = client.predict(**SAMPLE, api_name="/sample")
    assert pixels(grid).shape[0] > 3 * 28 * 4 - 1 and "Seed used: **4**" in info
    assert "class_labels='Sneaker'" in how and "api_name='/sample'" in how
    again = client.predict(**SAMPLE, api_name="/sample")[0]
    assert np.array_equal(pixels(grid), pixels(again))
    strip, how = client.predict(
        model="fashion-dcgan",
        class_name="Bag",
        seed_a=1,
        seed_b=2,
        steps=6,
        truncation=1.0,
        api_name="/interpolate_seeds",
    )
    assert pixels(strip).shape[1] > 6 * 28 * 4
    plot, figures = client.predict(model="fashion-ebgan", api_name="/gan_diagnostics")
    assert pixels(plot).ndim == 3 and "fid" in figures


def test_sample_in_colour_from_the_emoji_gan_by_unicode_group(client):
    grid, info, how = client.predict(
        model="emoji-dcgan-32", class_name="Animals & Nature", truncation=1.0, seed=0, num_images=4, api_name="/sample"
    )
    image = pixels(grid)
    assert image.ndim == 3 and image.shape[0] >= 2 * 32 * 4  # colour, each emoji shown 4x
    assert np.abs(image[..., 0].astype(int) - image[..., 2].astype(int)).mean() > 5  # not grey
    assert "class_labels='Animals & Nature'" in how and "emoji-dcgan-32" in how


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(class_name="Parka"), r"class must be any \(random classes\) or one of T-shirt/top, Trouser"),
        (dict(model="emoji-dcgan-32"), "or one of Smileys & Emotion, People & Body"),  # its classes, readable
        (dict(truncation=0), r"truncation must be in \[0.05, 1.0\]"),
        (dict(num_images=0), r"num_images must be in \[1, 64\]"),
        (dict(num_images=65), r"num_images must be in \[1, 64\], got 65"),
    ],
)
def test_sample_bad_values(client, change, message):
    with pytest.raises(AppError, match=message):
        client.predict(**{**SAMPLE, **change}, api_name="/sample")


def test_steering(client):
    walk, target, shown, gif, note, how = client.predict(
        model="fashion-ebgan", class_name="Trouser", seed=2, edit="shift_x", alpha=6, frames=5, api_name="/steer_walk"
    )
    assert pixels(walk).shape == pixels(target).shape and "α from -6 to 6" in note
    for path in (shown, gif):  # shown in the page and downloadable
        with Image.open(path) as im:
            assert im.format == "GIF" and im.n_frames == 8
    # each edit has its own range: 45 degrees is fine for rotate 3D, out of range for a shift
    out = client.predict(
        model="fashion-dcgan", class_name="Bag", seed=2, edit="rotate_3d", alpha=45, frames=3, api_name="/steer_walk"
    )
    assert "α from -45 to 45" in out[4]
    with pytest.raises(AppError, match=r"alpha must be in \[-8.0, 8.0\]"):
        client.predict(
            model="fashion-ebgan", class_name="Bag", seed=2, edit="shift_y", alpha=45, frames=3, api_name="/steer_walk"
        )
    strips, table = client.predict(
        model="fashion-ebgan", class_name="Bag", seed=1, num_directions=4, frames=5, api_name="/steer_discovered"
    )
    assert pixels(strips).shape[0] > 4 * 28 * 4 and table.count("\n|") == 5 and "closest learned walk" in table
    pair, how = client.predict(
        model="fashion-ebgan",
        class_name="Bag",
        seed=2,
        zoom=1.5,
        shift_x=2,
        shift_y=0,
        brightness=0.1,
        rotate_2d=0,
        rotate_3d=0,
        api_name="/steer_combined",
    )
    assert "'zoom': 1.5" in how and "project_steps=100" in how
    walk = dict(
        model="fashion-ebgan", class_name="Bag", seed=2, edit="zoom", alpha=1.5, frames=3, api_name="/steer_walk"
    )
    for bad in (-5, 301, 2.5):
        with pytest.raises(AppError, match="project_steps must be"):
            client.predict(**walk, project_steps=bad)
    alone, projected = client.predict(**walk, project_steps=0), client.predict(**walk)  # the default: 100 steps
    assert "project_steps=0" in alone[5] and "project_steps=100" in projected[5]
    assert not np.array_equal(pixels(alone[0]), pixels(projected[0]))
    with pytest.raises(AppError, match="alpha must be in"):
        client.predict(
            model="fashion-ebgan", class_name="Bag", seed=2, edit="zoom", alpha=5, frames=5, api_name="/steer_walk"
        )


def test_inpaint_with_a_preset_and_a_drawn_mask(client, tmp_path, fashion_test):
    image = (fashion_test[0][3, 0].numpy() * 255).astype(np.uint8)
    Image.fromarray(image).resize((224, 224), Image.NEAREST).convert("RGBA").save(tmp_path / "bg.png")
    stroke = np.zeros((224, 224, 4), np.uint8)
    stroke[60:160, 60:160] = (255, 0, 255, 255)  # a square stroke, as the brush draws it
    Image.fromarray(stroke).save(tmp_path / "layer.png")
    editor = {
        "background": handle_file(str(tmp_path / "bg.png")),
        "layers": [handle_file(str(tmp_path / "layer.png"))],
        "composite": handle_file(str(tmp_path / "bg.png")),
        "id": None,
    }
    strip, info, how = client.predict(
        editor=editor, preset="drawn", prior="both", steps=20, seed=0, api_name="/inpaint"
    )
    assert "fashion-vae-2stage prior" in info and "Telea" in info and "dB" in info
    assert "Class the known pixels name (fashion-classifier-partial): " in info
    assert pixels(strip).shape[1] == 5 * (28 + 2) * 6  # original, masked, VAE, GAN, Telea (1-px borders, x6)
    assert "; 144 of 784 pixels missing" in info  # the stroke covers cells 8..19 fully (7 and 20 only in part)
    strip, info, how = client.predict(
        editor=editor, preset="left half", prior="VAE", steps=10, seed=0, api_name="/inpaint"
    )
    assert "392 of 784" in info
    empty = {**editor, "layers": []}
    with pytest.raises(AppError, match="no mask"):
        client.predict(editor=empty, preset="drawn", prior="VAE", steps=10, seed=0, api_name="/inpaint")
    (tmp_path / "notes.png").write_text("not an image")
    bad = {**editor, "background": handle_file(str(tmp_path / "notes.png"))}
    with pytest.raises(AppError, match="not a readable image"):
        client.predict(editor=bad, preset="centre square", prior="VAE", steps=10, seed=0, api_name="/inpaint")


def test_super_resolution(client, tmp_path):
    out = client.predict(
        image=None,
        example="photo: camera",
        scale=2,
        method="bicubic",
        model="fashion-sr-x2",
        steps=10,
        api_name="/super_resolve",
    )
    compare, result, info, how = out
    assert pixels(result).shape == (256, 256) and "PSNR" in info
    rgba = np.zeros((21, 17, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    Image.fromarray(rgba).save(tmp_path / "odd.png")
    _, result, info, _ = client.predict(
        image=handle_file(str(tmp_path / "odd.png")),
        example="photo: camera",
        scale=4,
        method="internal",
        model="none",
        steps=10,
        api_name="/super_resolve",
    )
    with Image.open(result) as im:
        assert im.size == (68, 84) and im.mode == "RGBA" and abs(np.asarray(im)[..., 3].astype(int) - 128).max() <= 1
    _, result, info, _ = client.predict(
        image=None,
        example="fashion: #0 test 19: T-shirt/top",
        scale=4,
        method="learned",
        model="fashion-sr-x4",
        steps=10,
        api_name="/super_resolve",
    )
    assert "learned" in info and "PSNR" in info
    _, result, info, how = client.predict(  # the tab's default: internal, started from the photo model
        image=None,
        example="photo: chelsea",
        scale=2,
        method="internal",
        model="photo-sr-x2",
        steps=20,
        api_name="/super_resolve",
    )
    psnrs = [float(row.split("|")[2]) for row in info.splitlines() if row.startswith(("| internal", "| bicubic"))]
    assert pixels(result).shape == (256, 256, 3) and psnrs[0] > psnrs[1] + 0.5
    assert 'model=genhub.load_model("photo-sr-x2")' in how or "model=genhub.load_model('photo-sr-x2')" in how
    with pytest.raises(AppError, match="colour image needs a colour"):
        client.predict(
            image=None,
            example="photo: chelsea",
            scale=2,
            method="internal",
            model="fashion-sr-x2",
            steps=20,
            api_name="/super_resolve",
        )
    (tmp_path / "x.png").write_bytes(b"not a png")
    with pytest.raises(AppError, match="not a readable image"):
        client.predict(
            image=handle_file(str(tmp_path / "x.png")),
            example="photo: camera",
            scale=2,
            method="bicubic",
            model="fashion-sr-x2",
            steps=10,
            api_name="/super_resolve",
        )
    big = tmp_path / "big.png"
    Image.new("L", (600, 40)).save(big)
    with pytest.raises(AppError, match="at most 512"):
        client.predict(
            image=handle_file(str(big)),
            example="photo: camera",
            scale=2,
            method="bicubic",
            model="fashion-sr-x2",
            steps=10,
            api_name="/super_resolve",
        )
    wide = tmp_path / "wide.png"
    Image.new("L", (500, 500)).save(wide)
    with pytest.raises(AppError, match=r"would take about \d+ s \(3000 training steps, then a 2000x2000 output\)"):
        client.predict(  # 22 s of training alone at x2, and a 4-megapixel output at x4: refused before any work
            image=handle_file(str(wide)),
            example="photo: camera",
            scale=4,
            method="internal",
            model="fashion-sr-x2",
            steps=3000,
            api_name="/super_resolve",
        )


@pytest.mark.parametrize(
    "model, example, note",
    [
        ("fashion-sr-x2", "photo: camera", "trained on 28x28 grey Fashion-MNIST items, not photos"),
        ("photo-sr-x2", "fashion: #0 test 19: T-shirt/top", "trained on photos, not 28x28 Fashion-MNIST items"),
        ("emoji-sr-x2", "photo: camera", "trained on 32-px colour emoji, not photos"),
        ("photo-sr-x2", "photo: camera", None),
    ],
)
def test_a_learned_model_says_what_it_was_trained_on_when_given_something_else(client, model, example, note):
    _, _, info, _ = client.predict(
        image=None, example=example, scale=2, method="learned", model=model, steps=10, api_name="/super_resolve"
    )
    assert (note in info) if note else "was trained on" not in info


def test_captions(client):
    grid, note, how = client.predict(
        model="fashion-text-gan", caption="a red dress", num_images=4, seed=1, api_name="/caption"
    )
    assert pixels(grid).shape[2] == 3 and "Seed used: **1**" in note
    again = client.predict(model="fashion-text-gan", caption="a red dress", num_images=4, seed=1, api_name="/caption")
    assert np.array_equal(pixels(grid), pixels(again[0]))
    _, note, _ = client.predict(
        model="fashion-text-gan",
        caption="<img src=x onerror=alert(1)> zorblax dress",
        num_images=1,
        seed=1,
        api_name="/caption",
    )
    assert "<img" not in note and "zorblax" in note and "never saw" in note
    walk, grid, note, how = client.predict(
        model="fashion-text-gan",
        caption_a="a red dress",
        caption_b="blue boots",
        steps=5,
        seed=0,
        api_name="/caption_walk",
    )
    assert pixels(walk).shape[1] > 5 * 28 * 4 and pixels(grid).shape[0] > 2 * 28 * 4


@pytest.mark.parametrize("caption, message", [("", "empty"), ("\x00\x01", "empty"), ("x" * 10000, "at most 200")])
def test_bad_captions_are_clear_errors(client, caption, message):
    with pytest.raises(AppError, match=message):
        client.predict(model="fashion-text-gan", caption=caption, num_images=1, seed=1, api_name="/caption")


def test_every_endpoint_is_a_documented_mcp_tool(served):
    tools = httpx.get(f"{served[1]}gradio_api/mcp/schema", timeout=30).json()
    by_name = {tool["name"]: tool for tool in tools}
    assert len(by_name) >= 15
    for name, tool in by_name.items():
        assert len(tool["description"]) > 30, name  # a docstring, shown on the API page and to MCP clients
        described = [p for p in tool["inputSchema"]["properties"].values() if p.get("description")]
        assert described, name


def test_the_playground_streams_and_returns_a_checkpoint(client, tmp_path):
    import zipfile

    import genhub

    job = client.submit(
        family="vae",
        margin=20,
        beta=1.0,
        lr_generator=1e-3,
        lr_cost=2e-4,
        cost_steps=1,
        batch_size=32,
        latent_dim=8,
        classes=["Trouser", "Bag"],
        max_steps=40,
        seed=0,
        api_name="/playground",
    )
    samples, plot, figures, model_file = job.result()
    assert len(job.outputs()) >= 2  # updates while it trained
    assert "step **40** of 40" in figures and "ended: steps" in figures
    assert "gradient norm reaching G **" in figures and "std of L_G over the last 20 steps **" in figures
    assert pixels(samples).shape[1] > 8 * 28 and pixels(plot).ndim == 3
    with zipfile.ZipFile(model_file) as archive:
        archive.extractall(tmp_path)
    model = genhub.load_model(tmp_path / "genhub-playground")
    assert model.config.latent_dim == 8 and model.generate(2).shape == (2, 1, 28, 28)
    with pytest.raises(AppError, match="classes must be"):
        client.predict(
            family="vae",
            margin=20,
            beta=1.0,
            lr_generator=1e-3,
            lr_cost=2e-4,
            cost_steps=1,
            batch_size=32,
            latent_dim=8,
            classes=[],
            max_steps=40,
            seed=0,
            api_name="/playground",
        )
    with pytest.raises(AppError, match="lr_generator must be"):
        client.predict(
            family="vae",
            margin=20,
            beta=1.0,
            lr_generator=5.0,
            lr_cost=2e-4,
            cost_steps=1,
            batch_size=32,
            latent_dim=8,
            classes=["Bag"],
            max_steps=40,
            seed=0,
            api_name="/playground",
        )


def grid_shape(n: int, ncols: int) -> tuple[int, int]:
    """(height, width) of the Space's grid of n 28x28 items, ncols a row, at 4x."""
    from genhub.images import grid

    image = grid(torch.zeros(n, 1, 28, 28), ncols=ncols, scale=4, pad=1)
    return image.height, image.width


def test_diffusion_samples_and_its_trajectory(client):
    # a GAN call without the diffusion controls still works (they have defaults)
    assert client.predict(**SAMPLE, api_name="/sample")[1].startswith("Seed used: **4**")
    diffusion = dict(SAMPLE, model="fashion-diffusion", steps=10, sampler="ddim", guidance=2.0)
    grid, info, how = client.predict(**diffusion, api_name="/sample")
    assert pixels(grid).shape[0] > 3 * 28 * 4 - 1 and "10 ddim steps, guidance 2" in info
    assert "num_inference_steps=10" in how and "sampler='ddim'" in how
    assert np.array_equal(pixels(grid), pixels(client.predict(**diffusion, api_name="/sample")[0]))
    strip, info, how = client.predict(
        model="fashion-diffusion",
        class_name="Trouser",
        seed=1,
        steps=14,
        sampler="dpm_solver",
        guidance=2.0,
        api_name="/denoise",
    )
    assert pixels(strip).shape == grid_shape(32, 8) and "columns: t = " in info and ", 0 (0: the item)" in info
    with pytest.raises(AppError, match="heun is not in the list of choices"):
        client.predict(**dict(diffusion, sampler="heun"), api_name="/sample")
    with pytest.raises(AppError, match=r"steps must be in \[7, 100\] for 8 moments"):
        client.predict(
            model="fashion-diffusion",
            class_name="Bag",
            seed=1,
            steps=3,
            sampler="ddim",
            guidance=1.0,
            api_name="/denoise",
        )
    with pytest.raises(AppError, match="fashion-ebgan is not in the list of choices"):
        client.predict(
            model="fashion-ebgan", class_name="Bag", seed=1, steps=10, sampler="ddim", guidance=1.0, api_name="/denoise"
        )


def test_compare_rows_and_table(client):
    grid, table, how = client.predict(class_name="Sneaker", seed=3, api_name="/compare")
    rows = [
        "fashion-vae-2stage (any class)",
        "fashion-dcgan",
        "fashion-ebgan",
        *(f"fashion-diffusion, {s} steps" for s in (10, 20, 50)),
    ]
    for i, row in enumerate(rows):
        assert f"| {i + 1}. {row} |" in table
    assert pixels(grid).shape == grid_shape(8 * len(rows), 8)
    assert "compare_families(models, class_label='Sneaker', seed=3" in how
    with pytest.raises(AppError, match="Dragon is not in the list of choices"):
        client.predict(class_name="Dragon", seed=3, api_name="/compare")


def test_the_2d_playground_trains_on_a_ring_and_on_drawn_points(client, tmp_path):
    import zipfile

    import genhub

    args = dict(
        objective="nonsaturating", lr_generator=1e-3, lr_discriminator=1e-3, discriminator_steps=1, beta1=0.5, seed=0
    )
    plane, figures, model_file = client.predict(
        dataset="ring", drawing=None, max_steps=600, **args, api_name="/playground_2d"
    )
    assert "step **600** of 600" in figures and "**8 of 8** modes" in figures and pixels(plane).ndim == 3
    with zipfile.ZipFile(model_file) as archive:
        archive.extractall(tmp_path)
    model = genhub.load_model(tmp_path / "genhub-playground-2d")
    assert model.generate(10).shape == (10, 2)
    stroke = np.zeros((280, 280, 4), np.uint8)
    stroke[130:150, 40:240] = (0, 0, 0, 255)  # one horizontal stroke: a line of modes
    Image.fromarray(stroke).save(tmp_path / "stroke.png")
    drawing = {"background": None, "layers": [handle_file(str(tmp_path / "stroke.png"))], "composite": None, "id": None}
    _, figures, _ = client.predict(dataset="drawn", drawing=drawing, max_steps=200, **args, api_name="/playground_2d")
    assert "of 40** modes" in figures  # the stroke covers 2 x 20 cells of the 28 x 28 drawing grid
    with pytest.raises(AppError, match="draw at least one stroke"):
        client.predict(dataset="drawn", drawing=None, max_steps=200, **args, api_name="/playground_2d")


HEAP_PROBE = """
import sys
from pathlib import Path

import torch

from space import heap

def rss_mb():
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024

if sys.argv[1] == "bound":
    heap.bound()
big = torch.ones(20 << 20, dtype=torch.uint8)
del big
before = rss_mb()
block = torch.ones(8 << 20, dtype=torch.uint8)
del block
print(rss_mb() - before)
"""


def test_freed_tensors_go_back_to_the_system():
    """The server pins glibc's mmap threshold (space.heap.bound), so a request's large tensors leave the process's
    memory when freed; by default a first 20 MB block lifts the threshold and a later 8 MB one stays resident. In
    fresh processes: a long-lived one may serve the block from a free chunk of its heap instead (then the trim at
    the end of each request gives it back, as the next test shows)."""
    import subprocess
    import sys

    def kept_mb(mode: str) -> float:
        run = subprocess.run([sys.executable, "-c", HEAP_PROBE, mode], capture_output=True, text=True, check=True)
        return float(run.stdout.split()[-1])

    assert kept_mb("bound") < 4 and kept_mb("default") > 6


def test_a_request_hands_its_freed_heap_back():
    """Blocks under the mmap threshold that a request freed on a worker thread stay in that thread's arena (holes
    between the blocks still held); space.heap.trim, run as every endpoint ends, gives their pages back."""
    import threading

    from space import heap

    def rss_mb() -> float:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmRSS:")[1].split()[0]) / 1024

    kept = []

    def request():
        blocks = [torch.ones(100_000, dtype=torch.uint8) for _ in range(1500)]  # ~150 MB in 100 kB blocks
        kept.extend(blocks[::50])  # a few stay alive, so the freed ones are holes, not the arena's top
        del blocks

    worker = threading.Thread(target=request)
    worker.start()
    worker.join()
    before = rss_mb()
    heap.trim()
    assert before - rss_mb() > 100


def test_each_playground_preset_is_what_the_tab_runs():
    """A preset fills the tab's controls; the endpoint's settings from those controls are the preset's own (Adam's
    beta1 included: the unstable-convergence preset is the healthy one with beta1 0.9)."""
    from genhub.train.live import PRESETS
    from space.tabs.playground import preset_values, settings_from

    for name, (preset, _) in PRESETS.items():
        values = preset_values(name)
        assert settings_from(*values[:10], preset.seed, values[10]) == preset, name
