"""Every tool through a real MCP client (the `mcp` package's streamable-HTTP client): images go in as base64 data
URLs (a JPEG among them) and come back as image content; no tool's description names a tool that is not listed."""

import asyncio
import base64
import io

import pytest
from conftest import ROOT
from PIL import Image

pytestmark = pytest.mark.slow


def data_url(path, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    with Image.open(path) as image:
        image.convert("RGB").save(buffer, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


ITEM = ROOT / "assets/examples/item.png"
CALLS = {  # tool -> arguments, as an MCP client sends them
    "sample": dict(model="fashion-ebgan", class_name="Bag", truncation=0.8, seed=0, num_images=4),
    "denoise": dict(model="fashion-diffusion", class_name="Bag", seed=0, steps=8, sampler="ddim", guidance=1.0),
    "interpolate_seeds": dict(model="fashion-ebgan", class_name="Bag", seed_a=1, seed_b=2, steps=4, truncation=1.0),
    "gan_diagnostics": dict(model="fashion-ebgan"),
    "steer_walk": dict(model="fashion-ebgan", class_name="Bag", seed=0, edit="zoom", alpha=1.5, frames=3),
    "steer_combined": dict(
        model="fashion-ebgan",
        class_name="Bag",
        seed=0,
        zoom=1.2,
        shift_x=0,
        shift_y=0,
        brightness=0,
        rotate_2d=0,
        rotate_3d=0,
    ),
    "steer_discovered": dict(model="fashion-ebgan", class_name="Bag", seed=0, num_directions=2, frames=3),
    "reconstruct": dict(
        model="fashion-dae", example=5, image=data_url(ITEM, "JPEG"), noise_type="gaussian", noise_level=0.5, seed=0
    ),
    "vae_sample": dict(model="fashion-vae", num_images=4, seed=0),
    "vae_encode": dict(model="fashion-vae", example=3, image=data_url(ITEM)),
    "vae_traverse": dict(model="fashion-vae", example=3, image=None, dim_row=0, dim_col=1, span=2.0, steps=3),
    "vae_interpolate": dict(model="fashion-vae", example_a=0, example_b=90, image_a=data_url(ITEM), steps=3),
    "inpaint": dict(editor=data_url(ITEM, "WEBP"), preset="centre square", prior="VAE", steps=10, seed=0),
    "caption": dict(model="fashion-text-gan", caption="a red dress", num_images=2, seed=0),
    "caption_walk": dict(model="fashion-text-gan", caption_a="a red dress", caption_b="a blue coat", steps=3, seed=0),
    "super_resolve": dict(
        image=data_url(ITEM), example="photo: camera", scale=2, method="bicubic", model="fashion-sr-x2", steps=10
    ),
    "playground": dict(
        family="vae",
        margin=20.0,
        beta=1.0,
        lr_generator=1e-3,
        lr_cost=2e-4,
        cost_steps=1,
        batch_size=16,
        latent_dim=8,
        classes=["Bag"],
        max_steps=5,
        seed=0,
    ),
    "compare": dict(class_name="Coat", seed=0),
    "playground_2d": dict(
        dataset="ring",
        drawing=None,
        objective="nonsaturating",
        lr_generator=1e-3,
        lr_discriminator=1e-3,
        discriminator_steps=1,
        beta1=0.5,
        max_steps=100,
        seed=0,
    ),
}


async def call_every_tool(url: str) -> tuple[dict, dict]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with streamablehttp_client(url + "gradio_api/mcp/") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            results = {name: await session.call_tool(name, arguments) for name, arguments in CALLS.items()}
            return tools, results


def test_an_mcp_client_calls_every_tool_with_real_images(served):
    tools, results = asyncio.run(call_every_tool(served[1]))
    assert set(tools) == set(CALLS)  # every endpoint is a tool, named as its endpoint
    for tool in tools.values():
        assert "upload_file_to_gradio" not in (tool.description or "")
    assert tools["super_resolve"].inputSchema["properties"]["scale"]["type"] == "integer"
    for name, result in results.items():
        text = " ".join(c.text for c in result.content if c.type == "text")
        assert not result.isError, (name, text[:300])
        images = [c for c in result.content if c.type == "image"]
        assert images, name  # image content, not a text repr of file objects
        assert "[{'path'" not in text, name
        for content in images:
            with Image.open(io.BytesIO(base64.b64decode(content.data))) as image:
                assert image.width >= 28, name
    assert "your image" in " ".join(c.text for c in results["reconstruct"].content if c.type == "text")
