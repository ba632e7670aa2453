"""The Space's input components: gradio components whose values reach the handlers as sent (so the handlers'
checks give the message), uploads read with clear errors, and a description of any input gradio itself could not
read (for space.Space.preprocess_data)."""

from __future__ import annotations

import html
import inspect
from pathlib import Path

import gradio as gr
from PIL import Image

from genhub.images import MAX_UPLOAD_SIDE, UPLOAD_FORMATS


def refusal(message: str) -> gr.Error:
    """The error a caller sees for input the app refuses: its message, and no traceback in the server's log (the
    handler logs one line; gradio would print the whole chain of a gr.Error)."""
    return gr.Error(message, print_exception=False)


class PngCache:
    """An editor that caches its images as PNG: gradio caches an upload in the upload's own format after converting
    it to the editor's image mode, and an RGBA image cannot be written as JPEG ("cannot write mode RGBA as JPEG")."""

    def convert_and_format_image(self, file, *args, **kwargs):
        if getattr(file, "orig_name", None) and not file.orig_name.lower().endswith(".png"):
            file = file.model_copy(update={"orig_name": f"{Path(file.orig_name).stem or 'image'}.png"})
        return super().convert_and_format_image(file, *args, **kwargs)


def readable_upload(preprocess, payload):
    """Run a component's own preprocess; an upload it cannot read becomes a clear gr.Error, not a stack trace."""
    try:
        return preprocess(payload)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise refusal(
            f"the uploaded file is not a readable image (accepted: {', '.join(UPLOAD_FORMATS)}, "
            f"at most {MAX_UPLOAD_SIDE} pixels a side)"
        ) from err


class ImageInput(PngCache, gr.ImageEditor):
    """gr.ImageEditor (upload or draw) with readable_upload's errors."""

    is_template = True  # rendered by the ImageEditor front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class MaskInput(PngCache, gr.ImageMask):
    """gr.ImageMask (an image to draw a mask on) with readable_upload's errors."""

    def get_block_name(self) -> str:
        return "imageeditor"  # gr.ImageMask is itself a template of the ImageEditor front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class ImageUpload(gr.Image):
    """gr.Image with readable_upload's errors."""

    is_template = True  # rendered by the Image front end

    def preprocess(self, payload):
        return readable_upload(super().preprocess, payload)


class NumberChoice(gr.Radio):
    """gr.Radio of whole numbers, described to API and MCP callers as integers (gradio describes every Radio's
    choices as strings, so an MCP client's 2 and "2" were both refused)."""

    is_template = True  # rendered by the Radio front end

    def api_info(self) -> dict:
        return {"enum": [value for _, value in self.choices], "title": "Radio", "type": "integer"}


class CheckedSlider(gr.Slider):
    """gr.Slider whose value reaches the handler as sent: the handler's `number` checks type, NaN/inf and the
    range that applies (which may depend on another input, e.g. the chosen edit), with a message naming the field."""

    is_template = True  # rendered by the Slider front end

    def preprocess(self, payload):
        return payload


class CheckedNumber(gr.Number):
    """gr.Number whose value reaches the handler as sent (gradio's own conversion fails on NaN with no message);
    the handler's `number` checks it."""

    is_template = True  # rendered by the Number front end

    def preprocess(self, payload):
        return payload


PARAMETER_ACCEPTS = {  # component -> what an API caller may send
    "imageeditor": "an editor value {background, layers, composite, id} whose images are files uploaded to this "
    "app (gradio_client: handle_file(path)); PNG, JPEG, WebP, GIF or BMP",
    "image": "an image file uploaded to this app (gradio_client: handle_file(path)), or null; PNG, JPEG, WebP, "
    "GIF or BMP",
    "slider": "a number",
    "number": "a number",
    "textbox": "a string",
    "dropdown": "one of the listed choices",
    "radio": "one of the listed choices",
}


async def describe_bad_input(block_fn, inputs: list, explicit_call: bool) -> str:
    """Which input gradio could not read, and what it accepts (no server detail)."""
    from gradio import processing_utils  # noqa: PLC0415

    names = list(inspect.signature(block_fn.fn).parameters) if block_fn.fn else []
    if len(inputs) != len(block_fn.inputs):
        return f"expected {len(block_fn.inputs)} inputs ({', '.join(names[: len(block_fn.inputs)])}), got {len(inputs)}"
    for i, (block, value) in enumerate(zip(block_fn.inputs, inputs)):
        try:
            cached = await processing_utils.async_move_files_to_cache(
                value, block, check_in_upload_folder=not explicit_call
            )
            if getattr(block, "data_model", None) is not None and cached is not None:
                block.data_model.model_validate(cached, context={"validate_meta": True})
            block.preprocess(cached if not hasattr(cached, "model_dump") else block.data_model.model_validate(cached))
        except gr.Error as err:
            return err.message
        except Exception:  # noqa: BLE001 - this is the input gradio could not read
            name = names[i] if i < len(names) else getattr(block, "label", None) or f"input {i}"
            accepts = PARAMETER_ACCEPTS.get(block.get_block_name(), "the type shown on the API page")
            got = html.escape(repr(value)[:80])
            return f"{html.escape(name)}: could not read {got}; accepted: {accepts}"
    return "could not read the inputs; see the API page for what each parameter accepts"
