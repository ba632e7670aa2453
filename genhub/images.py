"""Image conventions at the boundary: float tensors (N, C, H, W) in [0, 1] inside, PIL/numpy outside.

Also the checks every public entry point runs on user images, and grids/strips for display
(28x28 images are enlarged without smoothing: nearest neighbour).
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")  # accepted upload formats
MAX_UPLOAD_SIDE = 4096  # pixels; larger uploads are refused before decoding the pixels


def validate_images(images: torch.Tensor, num_channels: int | None = None, image_size: int | None = None) -> None:
    """Raise ValueError unless images is a finite float tensor (N, C, H, W) in [0, 1] of the given size."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a float tensor of shape (N, C, H, W), got {got}")
    if images.shape[0] == 0:
        raise ValueError("images is empty (N = 0)")
    if num_channels is not None and images.shape[1] != num_channels:
        raise ValueError(f"images must have {num_channels} channel(s), got {images.shape[1]}")
    if image_size is not None and tuple(images.shape[2:]) != (image_size, image_size):
        raise ValueError(f"images must be {image_size}x{image_size}, got {tuple(images.shape[2:])}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values")
    if images.min() < 0 or images.max() > 1:
        raise ValueError(f"images must lie in [0, 1], got values in [{images.min():.3g}, {images.max():.3g}]")


def to_pil(image: torch.Tensor, scale: int = 1) -> Image.Image:
    """One image (C, H, W) in [0, 1] -> PIL ("L" or "RGB"), enlarged `scale` times by nearest neighbour."""
    array = (image.detach().float().clamp(0, 1).cpu() * 255).round().byte().permute(1, 2, 0).numpy()
    pil = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
    return pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST) if scale != 1 else pil


def grid(images: torch.Tensor, ncols: int | None = None, scale: int = 1, pad: int = 2) -> Image.Image:
    """Images (N, C, H, W) -> one PIL grid, ncols per row (default: about square), with a dark border."""
    n = images.shape[0]
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    padded = torch.nn.functional.pad(images.detach().float().cpu(), (pad, pad, pad, pad), value=0.15)
    tiles = [to_pil(img, scale) for img in padded]
    blank = (38,) * len(tiles[0].getbands())  # dark grey in every band
    tiles += [Image.new(tiles[0].mode, tiles[0].size, blank if len(blank) > 1 else blank[0])] * (nrows * ncols - n)
    from diffusers.utils import make_image_grid  # noqa: PLC0415 (diffusers loads on the first grid)

    return make_image_grid(tiles, rows=nrows, cols=ncols)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def open_image(path: str) -> Image.Image:
    """Open an upload safely: explicit formats, size limit, clear ValueError otherwise."""
    try:
        with Image.open(path, formats=UPLOAD_FORMATS) as im:
            if max(im.size) > MAX_UPLOAD_SIDE or min(im.size) < 1:
                raise ValueError(f"image is {im.width}x{im.height}; accepted sides are 1..{MAX_UPLOAD_SIDE} pixels")
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as err:
        raise ValueError(f"the file is not a readable image (accepted formats: {', '.join(UPLOAD_FORMATS)})") from err


def from_pil(
    image: Image.Image, image_size: int = 28, invert_light_background: bool = True
) -> tuple[torch.Tensor, str]:
    """Any PIL image -> (1, 1, S, S) in [0, 1] like Fashion-MNIST (light object on black), and a note.

    Transparent pixels count as background (black). The image is padded to a square and resized with
    a box filter. If the border is mostly light (a photo or a drawing on white), grey levels are
    inverted so the object is light on dark, as in the training data; the note says what was done.
    """
    notes = []
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, rgba)
    colour = np.asarray(image.convert("RGB"), dtype=np.int16)
    if np.abs(colour - colour.mean(2, keepdims=True)).mean() > 8:  # visibly coloured, not grey
        notes.append("made grey (the models know grey Fashion-MNIST items, light on black)")
    gray = image.convert("L")
    array = np.asarray(gray, dtype=np.float32) / 255.0
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if invert_light_background and border.mean() > 0.5:
        gray = ImageOps.invert(gray)
        notes.append("inverted (light background)")
    if gray.size != (image_size, image_size):
        notes.append(f"resized from {gray.width}x{gray.height} to {image_size}x{image_size}")
        gray = ImageOps.pad(gray, (max(gray.size),) * 2, color=0).resize((image_size, image_size), Image.BOX)
    tensor = torch.from_numpy(np.asarray(gray, dtype=np.float32) / 255.0)[None, None]
    return tensor, "; ".join(notes) or "used as is"


def gif_bytes(frames: torch.Tensor, scale: int = 8, duration_ms: int = 120) -> bytes:
    """An animated GIF of frames (N, C, H, W) in [0, 1], enlarged `scale` times, forth and back, looping."""
    images = [to_pil(f, scale).convert("P") for f in frames]
    images += images[-2:0:-1]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return buffer.getvalue()


EXAMPLE_PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "rocket", "moon")  # real photos inside scikit-image


def example_photo(name: str, side: int = 256) -> torch.Tensor:
    """A photo bundled with scikit-image (skimage.data), centre-cropped to side x side: (1, C, side, side) in [0, 1]."""
    if name not in EXAMPLE_PHOTOS:
        raise ValueError(f"unknown example photo {name!r}; known: {', '.join(EXAMPLE_PHOTOS)}")
    import skimage.data  # noqa: PLC0415

    x = torch.from_numpy(getattr(skimage.data, name)()).float().div(255)
    x = x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None]
    top, left = (x.shape[2] - side) // 2, (x.shape[3] - side) // 2
    return x[:, :, top : top + side, left : left + side].contiguous()


OUTPUT_TYPES = ("pt", "np", "pil")


def as_output(images: torch.Tensor, output_type: str = "pt", return_dict: bool = False):
    """diffusers' conventions for a generating verb: images (N, C, H, W) in [0, 1] as "pt" (the tensor), "np"
    ((N, H, W, C) float32 array) or "pil" (a list of PIL images); with return_dict an ImagePipelineOutput (.images)."""
    if output_type not in OUTPUT_TYPES:
        raise ValueError(f"output_type must be one of {', '.join(OUTPUT_TYPES)}, got {output_type!r}")
    if output_type == "np":
        images = images.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    elif output_type == "pil":
        images = [to_pil(image.detach().float().cpu()) for image in images]
    if not return_dict:
        return images
    from diffusers.pipelines.pipeline_utils import ImagePipelineOutput  # noqa: PLC0415

    return ImagePipelineOutput(images=images)


ASSETS = Path(__file__).resolve().parent / "assets"  # package data: shipped with the library


def example_items() -> tuple[torch.Tensor, list[str]]:
    """100 Fashion-MNIST test images shipped with genhub (10 per class): (100, 1, 28, 28) in [0, 1] and their
    names ("#i test <index>: <class>"); what the Space and the reproduction recipes use as inputs."""
    meta = json.loads((ASSETS / "fashion_mnist_test_examples.json").read_text())
    with Image.open(ASSETS / "fashion_mnist_test_examples.png") as sheet:
        pixels = torch.from_numpy(np.asarray(sheet, dtype=np.float32) / 255)
    k, t = meta["per_class"], meta["tile"]
    images = pixels.view(-1, t, k, t).permute(0, 2, 1, 3).reshape(-1, 1, t, t)  # (classes * k, 1, 28, 28)
    names = [
        f"#{i} test {idx}: {meta['classes'][lab]}"
        for i, (idx, lab) in enumerate(zip(meta["test_indices"], meta["labels"]))
    ]
    return images.contiguous(), names


def mask_from_strokes(paths: list[str], side: int = 28) -> torch.Tensor:
    """An inpainting mask (1, 1, side, side), 1 = missing, from drawn stroke layers (image files whose alpha > 0
    marks the strokes, any sizes): a cell is missing when strokes cover more than half of it in some layer."""
    if not paths:
        raise ValueError("no mask: draw over the image with the brush, or choose a preset mask")
    cover = torch.zeros(side, side)
    for path in paths:
        alpha = (np.asarray(open_image(path).convert("RGBA"))[..., 3] > 0).astype(np.float32)
        share = Image.fromarray(alpha, mode="F").resize((side, side), Image.BOX)  # share of each cell covered
        cover = torch.maximum(cover, torch.from_numpy(np.array(share, dtype=np.float32)))
    return (cover > 0.5).float()[None, None]


def image_tensor(path: str) -> torch.Tensor:
    """Any uploaded image at its own size and mode: (1, C, H, W) in [0, 1], C = 1 (grey), 3 (RGB) or 4 (RGBA)."""
    pil = open_image(path)
    mode = "RGBA" if "A" in pil.getbands() else "L" if pil.mode in ("L", "1", "I", "I;16", "F") else "RGB"
    x = torch.from_numpy(np.asarray(pil.convert(mode), dtype=np.float32) / 255)
    return x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None].contiguous()


HOLE_KINDS = ("none", "half", "rectangle", "blocks", "strokes", "square")  # what random_holes draws


def random_holes(
    num_images: int, size: int = 28, generator: torch.Generator | None = None, kind: str | None = None
) -> torch.Tensor:
    """(N, 1, size, size) random masks, 1 = hidden, each of a kind drawn evenly from HOLE_KINDS (or all of `kind`):
    no hole; the left, right, top or bottom 8-20 rows/columns; a rectangle of sides 6-21; four 8x8 blocks; two
    brush strokes of 3 segments, 2 px wide; a square of side 10-18 near the centre. Vectorised (no drawing
    loop), for training a classifier of partly hidden items."""
    if kind is not None and kind not in HOLE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(HOLE_KINDS)}, got {kind!r}")
    n, g = num_images, generator
    rows = torch.arange(size).float().view(1, size, 1).expand(n, size, size)
    cols = torch.arange(size).float().view(1, 1, size).expand(n, size, size)

    def draw(low: int, high: int, *shape: int) -> torch.Tensor:  # integers in [low, high) as floats
        return torch.randint(low, high, shape or (n,), generator=g).float().view(*(shape or (n, 1, 1)))

    def box(top, left, height, width):
        return (rows >= top) & (rows < top + height) & (cols >= left) & (cols < left + width)

    side, cut = torch.randint(0, 4, (n,), generator=g), draw(8, 21)
    half = torch.stack([cols < cut, cols >= size - cut, rows < cut, rows >= size - cut])[side, torch.arange(n)]
    height, width = draw(6, 22), draw(6, 22)
    rectangle = box(
        (torch.rand(n, 1, 1, generator=g) * (size - height + 1)).floor(),
        (torch.rand(n, 1, 1, generator=g) * (size - width + 1)).floor(),
        height,
        width,
    )
    corners = draw(0, size - 7, n, 4, 2, 1, 1)  # (N, 4 blocks, top/left, 1, 1)
    blocks = (
        (rows[:, None] >= corners[:, :, 0])
        & (rows[:, None] < corners[:, :, 0] + 8)
        & (cols[:, None] >= corners[:, :, 1])
        & (cols[:, None] < corners[:, :, 1] + 8)
    ).any(1)
    points = draw(2, size - 2, n, 2, 4, 2)  # (N, 2 strokes, 4 points, x/y)
    start, end = points[:, :, :-1].reshape(n, 6, 2, 1, 1), points[:, :, 1:].reshape(n, 6, 2, 1, 1)
    step = end - start
    offset_x, offset_y = cols[:, None] - start[:, :, 0], rows[:, None] - start[:, :, 1]
    along = ((offset_x * step[:, :, 0] + offset_y * step[:, :, 1]) / step.pow(2).sum(2).clamp_min(1e-6)).clamp(0, 1)
    distance = (offset_x - along * step[:, :, 0]).pow(2) + (offset_y - along * step[:, :, 1]).pow(2)
    strokes = (distance <= 1.0).any(1)
    square_side = draw(10, 19)
    square = box(
        ((size - square_side) / 2).floor() + draw(-3, 4),
        ((size - square_side) / 2).floor() + draw(-3, 4),
        square_side,
        square_side,
    )
    masks = torch.stack([torch.zeros_like(half), half, rectangle, blocks, strokes, square])
    chosen = (
        torch.randint(0, len(HOLE_KINDS), (n,), generator=g)
        if kind is None
        else torch.full((n,), HOLE_KINDS.index(kind))
    )
    return masks[chosen, torch.arange(n)].float()[:, None]


_RENDER_LOCK = threading.Lock()  # matplotlib's text and mathtext parsers are shared: one figure renders at a time


def new_figure(nrows: int = 1, ncols: int = 1, gridspec_kw: dict | None = None, reuse=None, **figure_kwargs):
    """(figure, axes) from matplotlib's object-oriented API: a Figure of its own, never pyplot's global state (which
    is not safe from a server's worker threads); render it with figure_png. `reuse`: a FigureSlot whose figure is
    cleared and drawn again instead of a new one."""
    from matplotlib.figure import Figure  # noqa: PLC0415 (matplotlib loads on the first plot)

    if reuse is not None and reuse.figure is not None:
        reuse.figure.clear()
        return reuse.figure, reuse.figure.subplots(nrows, ncols, gridspec_kw=gridspec_kw)
    figure = Figure(**figure_kwargs)
    if reuse is not None:
        reuse.figure = figure
    return figure, figure.subplots(nrows, ncols, gridspec_kw=gridspec_kw)


class FigureSlot:
    """One figure for a series of plots of the same layout (a live run's plot, redrawn every second): cleared and drawn
    again rather than a new Figure each time, whose many small objects left the server's heap fragmented (30 live
    plots kept ~40 MB more of the process's memory than one figure redrawn 30 times). One slot per run: a figure is
    never shared between threads."""

    def __init__(self):
        self.figure = None


def figure_png(figure, top: float = 1.0) -> bytes:
    """A figure of new_figure's as PNG bytes (laid out tight below `top`, a fraction of its height: the Space's image
    components lay their label over the top left corner), rendered under a lock."""
    buffer = io.BytesIO()
    with _RENDER_LOCK:
        figure.tight_layout(rect=(0, 0, 1, top))
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
