"""genhub: the Space. One tab per operation, each also a named API endpoint (see README.md).

Run: `python app.py` (serves on 0.0.0.0:7860, or $GRADIO_SERVER_PORT). Each tab lives in app_<tab>.py;
helpers shared by the tabs in app_shared.py.
"""

from __future__ import annotations

import gradio as gr

import app_autoencoders
import app_captions
import app_gan
import app_inpainting
import app_steering
import app_super_resolution
import app_vae
from app_shared import EXAMPLES, get_model  # noqa: F401 (used by tests and benchmarks)
from app_autoencoders import reconstruct_endpoint  # noqa: F401

with gr.Blocks(title="genhub") as demo:
    gr.Markdown("# genhub — generative models of the self-/un-supervised learning lecture\n"
                "Every tab is also an API endpoint: see the *Use via API* link below and README.md.")
    app_gan.create_tab()
    app_steering.create_tab()
    app_autoencoders.create_tab()
    app_vae.create_tab()
    app_inpainting.create_tab()
    app_captions.create_tab()
    app_super_resolution.create_tab()
demo.queue(default_concurrency_limit=2, max_size=32)

if __name__ == "__main__":
    demo.launch(server_name="0.0.0.0", max_file_size="10mb", allowed_paths=[], ssr_mode=False)
