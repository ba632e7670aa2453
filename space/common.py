"""Helpers shared by the Space's tabs: the shipped models, user inputs, errors, reproduction recipes.

Every handler goes through `handler`, so bad input becomes a gr.Error saying what was wrong.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
import math
import secrets
import tempfile
import threading
import time
import uuid
from pathlib import Path

import gradio as gr
import torch
from PIL import Image
from transformers.utils import logging as transformers_logging

import genhub
from genhub.images import example_items, from_pil, grid, open_image, png_bytes
from genhub.models import CHECKPOINTS_DIR

from . import heap
from .inputs import (  # noqa: F401 (re-exported for the tabs)
    PARAMETER_ACCEPTS,
    CheckedNumber,
    CheckedSlider,
    ImageInput,
    ImageUpload,
    MaskInput,
    NumberChoice,
    describe_bad_input,
    readable_upload,
    refusal,
)
from .recipes import (  # noqa: F401 (re-exported for the tabs)
    SPACE_URL,
    UPLOADED,
    UPLOADED_LAYER,
    Expr,
    editor_expr,
    fenced,
    input_code,
    recipe,
    revision_of,
    upload_expr,
)

log = logging.getLogger("genhub.app")  # one line per refused input (INFO), one traceback per real fault (ERROR)
if not log.handlers:
    _stderr = logging.StreamHandler()
    _stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_stderr)
    log.setLevel(logging.INFO)
    log.propagate = False
transformers_logging.disable_progress_bar()  # no loading bars in the server log
ASSETS = Path(__file__).resolve().parents[1] / "assets"  # the checkout's example uploads
SCALE = 8  # 28x28 images are shown 8x larger, nearest neighbour
SERVED_SIDE = 28  # most tabs' models make 28-px items; the emoji models (32 px) serve in the Sample tab


def check_checkpoint(folder: Path) -> str:
    """A checkpoint folder's model_type ("<model_type> at <side> px" when its images are not the tabs' 28 px, which
    keeps it out of their menus), from its config and its weights file's header alone (a load costs a second
    a model at start-up; the weights themselves load on first use, strictly, in get_model). Raises on a missing or
    bad config and on a truncated or corrupt weights file."""
    from safetensors import safe_open  # noqa: PLC0415
    from transformers import AutoConfig  # noqa: PLC0415

    config = AutoConfig.from_pretrained(folder)
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        if not list(weights.keys()):
            raise OSError("the weights file holds no tensors")
    side = getattr(config, "image_size", SERVED_SIDE)
    return config.model_type if side == SERVED_SIDE else f"{config.model_type} at {side} px"


def discover_models() -> tuple[dict[str, str], dict[str, str]]:
    """Check every checkpoint folder once at start-up: {name: model_type} of those whose config and weights file
    read, and {name: reason} of the broken ones (logged once, left out of the menus). Hidden folders (a save in
    progress or killed: `.<name>.XXXX`) are not checkpoints and are skipped."""
    found, broken = {}, {}
    folders = sorted(CHECKPOINTS_DIR.iterdir()) if CHECKPOINTS_DIR.is_dir() else []
    for folder in folders:
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            found[folder.name] = check_checkpoint(folder)
        except Exception as err:  # noqa: BLE001 - any failure leaves this model out, the rest serve
            reason = str(err).replace(str(folder), folder.name).replace(str(CHECKPOINTS_DIR), "checkpoints")
            broken[folder.name] = reason.splitlines()[0][:300]
            log.warning("checkpoint %s left out: %s", folder.name, broken[folder.name])
    return found, broken


_LOADED: dict = {}  # the models loaded so far (on first use), shared read-only by every request
_LOAD_LOCK = threading.Lock()
MODELS, BROKEN = discover_models()


def models_of(*model_types: str) -> list[str]:
    return [name for name, kind in MODELS.items() if kind in model_types]


def test_figures(name: str) -> dict:
    """The measured test figures a checkpoint's training log holds ({} when it has none)."""
    log = CHECKPOINTS_DIR / name / "training_log.json"
    return json.loads(log.read_text()).get("test_figures", {}) if log.exists() else {}


# the default sampler is the GAN with the lowest measured classifier-FID; likewise the default VAE (sample_fid)
GANS = sorted(models_of("genhub_ebgan"), key=lambda n: test_figures(n).get("fid", float("inf")))
VAES = sorted(models_of("genhub_vae"), key=lambda n: test_figures(n).get("sample_fid", float("inf")))
DIFFUSIONS = models_of("genhub_diffusion")
EMOJI_GANS = sorted(models_of("genhub_ebgan at 32 px"), key=lambda n: test_figures(n).get("fid", float("inf")))


def _class_names() -> list[str]:
    """The class names of the conditional GANs, read from the first one's config."""
    for name in GANS:
        names = json.loads((CHECKPOINTS_DIR / name / "config.json").read_text()).get("class_names")
        if names:
            return list(names)
    return []


CLASSES = _class_names()


def checked_class(class_name: str, names=None):
    """'any' -> None; a known class name (of `names`, default the Fashion-MNIST models' CLASSES) as is; anything else
    a ValueError naming the choices."""
    names = CLASSES if names is None else list(names)
    if class_name == "any":
        return None
    if class_name not in names:
        raise ValueError(f"class must be any (random classes) or one of {', '.join(names)}")
    return class_name


@functools.cache
def dataset_of(name: str) -> str:
    """The dataset a checkpoint was trained on, as its card's tags name it (a key of genhub.data.DATASETS, or
    "photos"; "" when the card names none)."""
    from huggingface_hub import ModelCard  # noqa: PLC0415

    tags = ModelCard.load(CHECKPOINTS_DIR / name / "README.md").data.tags or []
    return next((t for t in tags if t in ("fashion-mnist", "photos") or t.startswith("emoji-")), "")


def class_names_of(name: str) -> list[str]:
    """A checkpoint's class names, from its config file (no load)."""
    return list(json.loads((CHECKPOINTS_DIR / name / "config.json").read_text()).get("class_names") or [])


def get_model(name: str):
    """A checked model, loaded strictly on its first use and kept (the menus offer only these)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(MODELS)}")
    with _LOAD_LOCK:
        if name not in _LOADED:
            _LOADED[name] = genhub.load_model(CHECKPOINTS_DIR / name)
        return _LOADED[name]


EXAMPLES, EXAMPLE_NAMES = example_items()


def user_message(err: BaseException) -> str:
    """An error's text for a user: server paths replaced by checkpoint names, its angle brackets escaped (toasts render
    HTML; without "<" no tag can form, and quotes and "&" stay readable for API callers: "Smileys & Emotion")."""
    text = str(err).replace(str(CHECKPOINTS_DIR), "checkpoints").replace(str(ASSETS), "assets")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _refusal(fn, err: Exception) -> gr.Error:
    if isinstance(err, gr.Error):
        return err
    if isinstance(err, (ValueError, TypeError, OSError)):
        log.info("refused %s: %s", fn.__name__, str(err)[:200])
        return refusal(user_message(err))
    log.exception("internal error in %s", fn.__name__)  # the one traceback of a real fault
    return refusal(f"internal error ({type(err).__name__}); the request was not completed")


def handler(fn):
    """Turn bad input into a gr.Error with the (escaped) reason; never show a stack trace. One log line per user
    error; a traceback only for the app's own faults. Works for streaming (generator) endpoints too."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streamed(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:  # noqa: BLE001 - turned into a message for the caller
                raise _refusal(fn, err) from err
            finally:
                heap.trim()

        return streamed

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - turned into a message for the caller
            raise _refusal(fn, err) from err
        finally:
            heap.trim()

    return wrapped


def number(name: str, value, low: float, high: float, integer: bool = False):
    """A slider/number value checked for type, NaN and range (the API can send anything)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    if integer and value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value}")
    return int(value) if integer else float(value)


def resolve_seed(seed) -> int:
    """-1 means a fresh random seed; the seed actually used is returned and shown."""
    seed = number("seed", seed, -1, 2**31 - 1, integer=True)
    return secrets.randbelow(2**31) if seed == -1 else seed


SHEET_COLUMNS, SHEET_TILE = 10, (28 + 2) * 2  # the example sheet: 10 items a row, each 28 px + a 1-px border, x2
EXAMPLE_SHEET = grid(EXAMPLES, ncols=SHEET_COLUMNS, scale=2, pad=1)  # one image (a gallery of 100 cost ~0.2 s each)


def pick_example(evt: gr.SelectData) -> int:
    """The example index under a click on the sheet (gradio gives the click's pixel in the image)."""
    x, y = evt.index
    return min(len(EXAMPLES) - 1, int(y) // SHEET_TILE * SHEET_COLUMNS + min(int(x) // SHEET_TILE, SHEET_COLUMNS - 1))


def example_picker(label: str, value: int = 0) -> gr.Slider:
    """The shipped test examples as one clickable sheet; clicking an item sets the index (the value the API takes)."""
    with gr.Column(min_width=320):
        index = CheckedSlider(0, len(EXAMPLES) - 1, value=value, step=1, label=f"{label} (# in the example set)")
        sheet = gr.Image(
            EXAMPLE_SHEET,
            height=300,
            show_label=False,
            interactive=False,
            buttons=[],
            format="png",
            label=f"{label}: click one",
        )
        sheet.select(pick_example, None, index, api_visibility="private")
    return index


def image_input(label: str) -> ImageInput:
    return ImageInput(
        type="filepath",
        label=label,
        canvas_size=(280, 280),
        brush=gr.Brush(colors=["#000000"], default_color="#000000", default_size=20),
    )


def user_image(editor_value, example_index) -> tuple[torch.Tensor, str]:
    """The image to work on: an upload/drawing if given, else the chosen test example. Returns (1, 1, 28, 28)."""
    index = number("example", example_index, 0, len(EXAMPLES) - 1, integer=True)
    composite = editor_value.get("composite") if isinstance(editor_value, dict) else editor_value
    if composite:
        pil = open_image(composite)
        extrema = pil.convert("L").getextrema()
        if extrema[0] != extrema[1]:  # a blank canvas (one flat colour) is no input
            tensor, note = from_pil(pil)
            return tensor, f"your image, as the model sees it: the 28x28 grey item shown as x ({note})"
        return EXAMPLES[index : index + 1], f"{EXAMPLE_NAMES[index]} (your image was blank)"
    return EXAMPLES[index : index + 1], EXAMPLE_NAMES[index]


_OUTPUTS = tempfile.TemporaryDirectory(prefix="genhub-outputs-")  # removed when the app exits
OUTPUT_TTL_S = 600  # files the app writes for gradio to serve are deleted after this many seconds


def output_file(payload: bytes, suffix: str) -> str:
    """Write bytes to a file of this request's own (a unique name, so concurrent requests never share one) and
    delete such files older than OUTPUT_TTL_S; returns the path for gradio to serve."""
    now = time.time()
    for old in Path(_OUTPUTS.name).iterdir():
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > OUTPUT_TTL_S:
                old.unlink()
    path = Path(_OUTPUTS.name) / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(payload)
    return str(path)


LONG_JOBS = "long-jobs"  # concurrency group of the slow endpoints: internal super-resolution and inpainting
LONG_JOB_WORKERS = 1  # long jobs run one at a time; quick endpoints keep their own workers
LONG_QUEUE_MAX = 4  # long jobs waiting beyond this are refused with "busy" (the queue stays open to quick ones)
LONG_JOB_LIMIT_S = 60  # a long job is stopped after this many seconds
LONG_JOB_TYPICAL_S = 15  # for the "try again in N s" estimate


def busy_message(demo, fn_index) -> str | None:
    """Refuse a long job before it is queued when LONG_QUEUE_MAX already wait ("busy, try again in N s"), so long
    jobs can never fill the queue that quick endpoints share; None lets the request in."""
    fn = demo.fns.get(fn_index) if fn_index is not None else None
    if fn is None or fn.concurrency_id != LONG_JOBS:
        return None
    group = demo._queue.event_queue_per_concurrency_id.get(LONG_JOBS)
    waiting = len(group.queue) if group is not None else 0
    if waiting < LONG_QUEUE_MAX:
        return None
    return f"busy: {waiting} long jobs are waiting; try again in about {(waiting + 1) * LONG_JOB_TYPICAL_S} s"


def gate_long_jobs(demo) -> None:
    """Put busy_message in front of the queue's admission (gradio has no per-group queue size)."""
    queue, push = demo._queue, demo._queue.push

    async def gated_push(body, request, username):
        refusal = busy_message(demo, body.fn_index)
        if refusal is not None:
            log.info("refused a long job: %s", refusal)
            return False, refusal, "queue_full"
        return await push(body=body, request=request, username=username)

    queue.push = gated_push


def deadline_progress(progress, limit_s: float = LONG_JOB_LIMIT_S):
    """A progress reporter for long jobs that also stops them (gr.Error) once they run past limit_s."""
    start = time.monotonic()

    def report(fraction: float, desc: str) -> None:
        if time.monotonic() - start > limit_s:
            raise refusal(
                f"stopped after {limit_s:g} s, the time limit of one request: ask for fewer steps or a smaller image"
            )
        progress(fraction, desc=desc)

    return report


def on_run(trigger, fn, inputs, outputs, **kwargs):
    """trigger(fn, inputs, outputs, **kwargs), with the outputs cleared first: an error then stands on its own
    instead of sitting on the previous answer. The clearing step is private (not an API endpoint)."""
    if kwargs.get("api_name"):  # the MCP tool's name is the function's: the endpoint's own name
        fn.__name__ = kwargs["api_name"]
    blank = (lambda: [None] * len(outputs)) if len(outputs) > 1 else (lambda: None)
    clear = trigger(blank, None, outputs, queue=False, api_visibility="private", show_progress="hidden")
    return clear.then(fn, inputs, outputs, **kwargs)


def first_result(fn, *args) -> tuple:
    """An endpoint's answer to its default inputs, computed once at start-up, so a tab shows a result on first
    load; Nones (and one log line) if it cannot be made."""
    try:
        return tuple(fn(*args))
    except Exception as err:  # noqa: BLE001 - the tab then opens empty, as before
        log.warning("no first result for %s: %s", getattr(fn, "__name__", fn), err)
        return (None,) * 8


def image_file(image: Image.Image) -> str:
    """A PNG of this answer's own (a unique file, so identical concurrent answers never share one)."""
    return output_file(png_bytes(image), ".png")


def show(images: torch.Tensor, ncols: int | None = None, scale: int = SCALE) -> str:
    """A grid of images (enlarged, nearest neighbour) as this answer's own PNG file."""
    return image_file(grid(images, ncols=ncols, scale=scale, pad=1 if images.shape[0] > 1 else 0))
