"""The Space: one tab per operation, each also a named API endpoint (see README.md). The only package that
imports gradio. `build_demo()` assembles the tabs of `space.tabs` and sets the queue."""

from __future__ import annotations

import gradio as gr

from .tabs import autoencoders, caption, inpaint, sample, steer, super_resolution, vae

TABS = (sample, steer, autoencoders, vae, inpaint, caption, super_resolution)  # in the order the page shows them


def build_demo() -> gr.Blocks:
    """The Blocks app with every tab; queue: quick endpoints 2 at a time, at most 32 waiting."""
    with gr.Blocks(title="genhub") as demo:
        gr.Markdown(
            "# genhub — generative models of the self-/un-supervised learning lecture\n"
            "Every tab is also an API endpoint: see the *Use via API* link below and README.md."
        )
        for tab in TABS:
            tab.create_tab()
    demo.queue(default_concurrency_limit=2, max_size=32)
    return demo
