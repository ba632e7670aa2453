"""A real browser (Debian's chromium, driven by Playwright) uses each tab and sees the images appear."""

import os
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "screenshots"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright
    import app
    _, url, _ = app.demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        page.get_by_role("button", name="Reconstruct").wait_for(timeout=60_000)
        yield page
        browser.close()
    app.demo.close()


def output_image(page, label):
    """The <img> shown inside the output component with this label, once it has loaded."""
    img = page.locator(f"[data-testid='image']:has-text('{label}') img, .block:has(label:text-is('{label}')) img").first
    img.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=60_000)
    return img


@pytest.mark.slow
def test_autoencoder_tab(page):
    page.get_by_role("button", name="Reconstruct").click()
    for label in ("input x", "corrupted x̃", "reconstruction x̂"):
        assert output_image(page, label).evaluate("img => img.naturalWidth") == 224
    page.get_by_text("Reconstruction error vs the clean input").wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "autoencoders.png"), full_page=True)


@pytest.mark.slow
def test_vae_tabs(page):
    page.get_by_role("tab", name="VAE").click()
    page.get_by_role("button", name="Sample", exact=True).click()
    assert output_image(page, "samples").evaluate("img => img.naturalWidth") > 100
    page.screenshot(path=str(SHOTS / "vae_sample.png"), full_page=True)
    steps = [("Encode", "Encode", "latent means and standard deviations"),
             ("Traverse two latent dimensions", "Traverse", "traversal"),
             ("Interpolate: latent vs pixel", "Interpolate", "in pixel space: (1 − t) x_A + t x_B")]
    for tab, button, label in steps:
        page.get_by_role("tab", name=tab).click()
        page.get_by_role("button", name=button, exact=True).click()
        assert output_image(page, label).evaluate("img => img.naturalWidth") > 100
        page.screenshot(path=str(SHOTS / f"vae_{button.lower()}.png"), full_page=True)
