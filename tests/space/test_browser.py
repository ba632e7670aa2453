"""A real browser (Debian's chromium, driven by Playwright) uses each tab and sees the images appear."""

import os
import time
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
def page(served):
    from playwright.sync_api import sync_playwright

    url = served[1]
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        page.get_by_role("button", name="Sample", exact=True).wait_for(timeout=60_000)
        yield page
        browser.close()


def output_image(page, label):
    """The <img> shown inside the output component with this label, once it has loaded."""
    img = page.locator(f"[data-testid='image']:has-text('{label}') img, .block:has(label:text-is('{label}')) img").first
    img.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=60_000)
    return img


TABS = [  # tab, sub-tab, button, output label
    ("Sample", None, "Sample", "samples"),
    ("Sample", None, "Show the trajectory", "x_t at 8 moments (columns), 4 items (rows)"),
    ("Compare", None, "Compare", "one row per model (top to bottom as in the table)"),
    ("Playground 2-D", None, "Train", "the plane: D(x), real and generated points, arrows; the losses"),
    ("Steer", None, "Walk", STEER_LABEL := "walk G(z′): z + α·w, projected onto the target"),
    ("Autoencoders", None, "Reconstruct", "reconstruction x̂"),
    ("VAE", "Sample z ~ N(0, I)", "Sample", "VAE samples"),
    ("VAE", "Encode", "Encode", "latent means and standard deviations"),
    ("VAE", "Traverse two latent dimensions", "Traverse", "traversal"),
    ("VAE", "Interpolate: latent vs pixel", "Interpolate", "in pixel space: (1 − t) x_A + t x_B"),
    ("Inpaint", None, "Inpaint", "original · masked · fills · Telea"),
    ("Caption to image", None, "Generate", "images"),
    ("Super-resolution", None, "Super-resolve", "result (download; 28-px items enlarged x8)"),
]


def loaded_width(page, label: str, timeout: float = 30.0) -> int:
    """The natural width of the output image once it has loaded (a run first clears the previous image, so the
    element can be caught empty for a moment on a busy machine); 0 if it never loads within `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        width = output_image(page, label).evaluate("img => img.complete ? img.naturalWidth : 0")
        if width > 100 or time.monotonic() > deadline:
            return width
        page.wait_for_timeout(250)


@pytest.mark.slow
@pytest.mark.parametrize("tab, sub, button, label", TABS)
def test_each_tab_shows_its_images(page, tab, sub, button, label):
    page.get_by_role("tab", name=tab, exact=True).click()
    if sub:
        page.get_by_role("tab", name=sub, exact=True).click()
    if tab == "Super-resolution":
        page.get_by_label("bicubic").check()  # fast; the internal method is measured elsewhere
    page.get_by_role("button", name=button, exact=True).click()
    assert loaded_width(page, label) > 100
    page.screenshot(path=str(SHOTS / f"{tab}-{sub or button}.png".replace(" ", "_").replace(":", "")), full_page=True)


@pytest.mark.slow
@pytest.mark.parametrize("edit", ["zoom", "shift_x", "shift_y", "brightness", "rotate_2d", "rotate_3d"])
def test_every_edit_walks_in_the_browser(page, edit):
    """Each edit's walk and target strips, with the slider at the edit's default, a screenshot per edit to look at."""
    page.get_by_role("tab", name="Steer", exact=True).click()
    page.get_by_role("radio", name=edit, exact=True).check()
    page.wait_for_timeout(500)  # the slider takes the edit's range and default
    page.get_by_role("button", name="Walk", exact=True).click()
    page.get_by_text(f"({edit}:").first.wait_for(timeout=60_000)  # the note names the edit once its walk is shown
    assert loaded_width(page, STEER_LABEL) > 100
    page.screenshot(path=str(SHOTS / f"Steer-{edit}.png"), full_page=True)


@pytest.mark.slow
def test_the_playground_trains_updates_and_stops(page):
    page.get_by_role("tab", name="Playground", exact=True).click()
    page.get_by_role("radio", name="vae", exact=True).check()  # the quickest family
    page.get_by_role("button", name="Train", exact=True).click()
    output_image(page, "samples on fixed latents")
    figures = page.locator("text=/step \\d+ of/").first
    figures.wait_for(timeout=60_000)
    first = figures.inner_text()
    page.wait_for_function(f"() => !document.body.innerText.includes({first!r})", timeout=30_000)  # it updates
    page.screenshot(path=str(SHOTS / "Playground-Train.png"), full_page=True)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_timeout(1500)
    stopped = page.locator("text=/step \\d+ of/").first.inner_text()
    page.wait_for_timeout(2000)
    assert page.locator("text=/step \\d+ of/").first.inner_text() == stopped  # no update after Stop
    page.screenshot(path=str(SHOTS / "Playground-Stop.png"), full_page=True)


@pytest.mark.slow
def test_first_load_shows_results_and_an_error_clears_the_stale_answer(page):
    page.reload()
    page.get_by_role("tab", name="Sample", exact=True).click()
    assert output_image(page, "samples").evaluate("img => img.naturalWidth") > 100  # before any click
    page.get_by_role("tab", name="Caption to image", exact=True).click()
    output_image(page, "images")  # the first result is there
    box = page.get_by_label("caption", exact=True)
    box.fill("a red dress " * 30)  # over 200 characters
    box.press("Enter")  # Enter submits
    page.get_by_text("at most 200 are accepted").first.wait_for(timeout=30_000)
    images = page.locator(".block:has(label:text-is('images')) img")
    page.wait_for_function("els => els.length === 0", arg=images.element_handles(), timeout=10_000)
    assert images.count() == 0  # the old images are gone, not left under the error
    page.screenshot(path=str(SHOTS / "Caption-error.png"), full_page=True)


MEAN_COLOUR = """img => {
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const d = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += Math.abs(d[i] - d[i + 2]);
    return sum / (d.length / 4);
}"""  # mean |red - blue| over the pixels: 0 for a grey image


@pytest.mark.slow
def test_the_sample_tab_switches_to_colour_emoji_and_back(page):
    page.get_by_role("tab", name="Sample", exact=True).click()
    page.get_by_role("radio", name="emoji (32-px colour)", exact=True).check()
    page.wait_for_timeout(500)  # the model and class menus take the emoji's
    page.get_by_role("button", name="Sample", exact=True).click()
    page.get_by_text("load_model('emoji-dcgan-32')").first.wait_for(timeout=60_000)  # the recipe of this answer
    assert loaded_width(page, "samples") > 100
    assert output_image(page, "samples").evaluate(MEAN_COLOUR) > 5  # colour, not grey
    page.screenshot(path=str(SHOTS / "Sample-emoji.png"), full_page=True)
    page.get_by_role("radio", name="Fashion-MNIST", exact=True).check()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Sample", exact=True).click()
    page.get_by_text("load_model('fashion-").first.wait_for(timeout=60_000)
    assert output_image(page, "samples").evaluate(MEAN_COLOUR) < 1  # Fashion-MNIST again: grey
