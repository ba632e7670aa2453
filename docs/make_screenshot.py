"""Remake the README's picture (assets/space.png): the app started on 127.0.0.1, its Compare tab run in Debian's
Chromium through Playwright, the page captured.

    python docs/make_screenshot.py [--tab Compare] [--button Compare] [--output assets/space.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tab", default="Compare")
    parser.add_argument("--button", default="Compare")
    parser.add_argument("--output", type=Path, default=ROOT / "assets" / "space.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    import app  # noqa: PLC0415

    _, url, _ = app.demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url)
            page.get_by_role("tab", name=args.tab, exact=True).click()
            page.get_by_role("button", name=args.button, exact=True).click()
            page.get_by_text("fashion-diffusion, 50 steps").first.wait_for(timeout=180_000)  # the table arrived
            page.wait_for_timeout(2000)
            page.screenshot(path=str(args.output), full_page=False)
            browser.close()
    finally:
        app.demo.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
