"""The Space: one tab per operation, each also a named API endpoint (see README.md). The only package that
imports gradio. `build_demo()` assembles the tabs of `space.tabs` and sets the queue."""

from __future__ import annotations

import gradio as gr
from transformers.utils import logging as transformers_logging

from . import common, heap, mcp
from .tabs import (
    autoencoders,
    caption,
    compare,
    inpaint,
    playground,
    playground2d,
    sample,
    steer,
    super_resolution,
    vae,
)

TABS = (
    sample,
    steer,
    autoencoders,
    vae,
    inpaint,
    caption,
    super_resolution,
    playground,
    playground2d,
    compare,
)  # in the order the page shows them
LAUNCH = dict(  # for launch(): upload limit, no extra paths served, bounded sessions, an MCP tool server
    max_file_size="10mb", allowed_paths=[], ssr_mode=False, state_session_capacity=200, mcp_server=True
)
CACHE_CLEANUP = (300, 900)  # every 5 minutes, delete gradio's cached files older than 15 minutes


class Space(gr.Blocks):
    """gr.Blocks whose input failures inside gradio itself (malformed payloads, server paths or URLs given as files,
    wrong types) reach the caller as a gr.Error naming the parameter and what it accepts, never a bare "Error"."""

    async def preprocess_data(self, block_fn, inputs, state, explicit_call: bool = False):
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error as err:  # gradio's own refusal (a value not among the choices): one log line, no traceback
            common.log.info("refused input to %s: %s", getattr(block_fn, "name", "?"), err.message)
            raise common.refusal(err.message) from err
        except Exception as err:  # noqa: BLE001 - anything gradio could not parse is the caller's input
            message = await common.describe_bad_input(block_fn, inputs, explicit_call)
            common.log.info("refused input to %s: %s", getattr(block_fn, "name", "?"), message)
            raise common.refusal(message) from err


def header() -> str:
    text = (
        "# genhub — generative models of the self-/un-supervised learning lecture\n"
        "Every tab is also an API endpoint: see the *Use via API* link below and README.md."
    )
    if common.BROKEN:
        left = "; ".join(f"`{name}` ({reason})" for name, reason in common.BROKEN.items())
        text += f"\n\n*Left out at start-up, their checkpoints could not be loaded:* {left}"
    return text


def build_demo() -> gr.Blocks:
    """The Blocks app with every tab. Queue: quick endpoints 2 at a time each; long jobs (internal
    super-resolution, inpainting) in their own group, one at a time, at most common.LONG_QUEUE_MAX waiting."""
    transformers_logging.disable_progress_bar()  # no loading bars in the server log
    heap.bound()
    mcp.install()  # MCP tools that take image URLs / data URLs and answer with image content
    with Space(title="genhub", delete_cache=CACHE_CLEANUP) as demo:
        gr.Markdown(header())
        for tab in TABS:
            tab.create_tab()
    demo.queue(default_concurrency_limit=2, max_size=64)
    common.gate_long_jobs(demo)
    return demo
