"""MCP tools an MCP client can call: gradio's MCP server (6.31), mended where it falls short for this Space.

- Image inputs: an upload input may be null (the tab's example), as its endpoint accepts; an editor input (an image to draw on: the VAE and autoencoder tabs) is offered to MCP clients as
  one image, an http(s) URL or a base64 data URL (null or left out: the tab's example), and handed to the endpoint
  as an editor value {background, layers, composite}. gradio describes it as a nested object whose files its own
  string-to-file conversion never reaches, so no MCP client could send one.
- Image outputs: a tool with several outputs answers with image content for each image (gradio's queued path
  wrapped the whole tuple of outputs as one text item, a Python repr; an image pair is two images).
- Descriptions: gradio appends a hint to use an `upload_file_to_gradio` tool that this server does not list; the
  inputs take URLs and data URLs instead, so the hint is dropped.
`install()` applies the mends once; `build_demo` calls it before the server starts.
"""

from __future__ import annotations

import gradio as gr
from gradio import mcp as gradio_mcp
from gradio import processing_utils
from gradio_client import handle_file
from gradio_client import utils as client_utils

IMAGE_INPUT = (
    "An image: an http(s) URL or a base64 data URL (data:image/png;base64,...); PNG, JPEG, WEBP, BMP, GIF or TIFF. "
    "Null or left out: the example is used."
)
Server = gradio_mcp.GradioMCPServer
_ORIGINAL = {}


def _parameters_of(server, tool_name: str, kind: type) -> list[str]:
    """The names of a tool's inputs that are gradio components of this kind."""
    endpoint = server.tool_to_endpoint.get(tool_name)
    block_fn = server.get_block_fn_from_endpoint_name(endpoint) if endpoint else None
    if block_fn is None or endpoint not in server.api_info["named_endpoints"]:
        return []
    names = [p["parameter_name"] for p in server.api_info["named_endpoints"][endpoint]["parameters"]]
    return [name for name, block in zip(names, block_fn.inputs) if isinstance(block, kind)]


def _editor_parameters(server, tool_name: str) -> list[str]:
    return _parameters_of(server, tool_name, gr.ImageEditor)


def _input_schema(self, tool_name, parameters=None):
    schema, positions = _ORIGINAL["get_input_schema"](self, tool_name, parameters)
    for name in _editor_parameters(self, tool_name):
        described = schema["properties"][name].get("description", "")
        schema["properties"][name] = {
            "type": ["string", "null"],
            "description": f"{described} {IMAGE_INPUT}".strip(),
            "default": None,
        }
        if name in schema.get("required", []):
            schema["required"].remove(name)
        positions = [p for p in positions if not p or p[0] != name]
    for name in _parameters_of(self, tool_name, gr.Image):  # an optional upload: null is the example
        schema["properties"][name]["type"] = ["string", "null"]
        schema["properties"][name]["default"] = None
        if name in schema.get("required", []):
            schema["required"].remove(name)
    if not schema.get("required", True):
        del schema["required"]
    return schema, positions


def _as_file(value: str) -> dict:
    if value.startswith("data:"):
        return handle_file(processing_utils.save_base64_to_cache(value, gradio_mcp.DEFAULT_TEMP_DIR))
    if value.startswith(("http://", "https://")):
        return handle_file(value)
    raise ValueError(f"an image must be an http(s) URL or a base64 data URL, got {value[:60]!r}")


def _prepare_tool_call_args(self, name, arguments):
    arguments = dict(arguments or {})
    for parameter in _editor_parameters(self, name):
        value = arguments.get(parameter)
        if isinstance(value, str) and value:
            image = _as_file(value)
            arguments[parameter] = {"background": image, "layers": [], "composite": image, "id": None}
        elif not value:
            arguments[parameter] = None
    return _ORIGINAL["_prepare_tool_call_args"](self, name, arguments)


async def _without_progress(self, job):
    result = await _ORIGINAL["_execute_tool_without_progress"](self, job)
    if len(result) == 1 and isinstance(result[0], tuple):  # several outputs: one item each
        return list(result[0])
    return result


def _postprocess(self, data, root_url):
    flat = []
    for output in data:  # an image pair (the before/after slider) as two images
        pair = isinstance(output, (list, tuple)) and output and all(map(client_utils.is_file_obj_with_meta, output))
        flat.extend(output) if pair else flat.append(output)
    return _ORIGINAL["postprocess_output_data"](self, flat, root_url)


def install() -> None:
    """Apply the mends to gradio's MCP server class (once)."""
    if _ORIGINAL:
        return
    for name, mended in (
        ("get_input_schema", _input_schema),
        ("_prepare_tool_call_args", _prepare_tool_call_args),
        ("_execute_tool_without_progress", _without_progress),
        ("postprocess_output_data", _postprocess),
    ):
        _ORIGINAL[name] = getattr(Server, name)
        setattr(Server, name, mended)
    Server._file_data_tool_description = property(lambda self: "")
