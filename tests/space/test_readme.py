"""Every Python block of the README and of docs/api.md runs as written: the library blocks in-process, the API
blocks against the app started for real (the URL swapped for the test server's)."""

import re

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text()
API_DOC = (ROOT / "docs" / "api.md").read_text()


def block_after(text: str, heading: str) -> str:
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_stays_short_and_links_its_docs():
    assert len(README.splitlines()) <= 150
    for link in ("docs/api.md", "docs/training.md", "assets/space.png"):
        assert (ROOT / link).is_file(), link


def test_the_python_blocks_run(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(block_after(README, "## From Python"), "README.md (From Python)", "exec"), {})
    assert "torch.Size([9, 1, 28, 28])" in capsys.readouterr().out
    exec(compile(block_after(API_DOC, "## From Python"), "docs/api.md (From Python)", "exec"), {})
    printed = capsys.readouterr().out
    assert "['zebra']" in printed and "torch.Size([9, 1, 28, 28])" in printed
    assert "'fashion-diffusion, 20 steps'" in printed


@pytest.mark.slow
def test_the_api_blocks_run_against_the_app(served, monkeypatch):
    monkeypatch.chdir(ROOT)
    for text, name in ((README, "README.md (API)"), (API_DOC, "docs/api.md (API)")):
        code = block_after(text, "## API (gradio_client)").replace("http://127.0.0.1:7860/", served[1])
        namespace = {}
        exec(compile(code, name, "exec"), namespace)
        assert "Seed used" in namespace["info"] or namespace["info"]  # the last answers arrived
    assert namespace["table"].count("\n|") == 7  # six discovered directions and the header rule
