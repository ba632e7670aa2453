"""Every Python block of the README runs as written: the library block in-process, the API block against the
app started for real (the URL swapped for the test server's)."""

import re

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text()


def block_after(heading: str) -> str:
    section = README[README.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_python_block_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(block_after("## From Python"), "README.md (From Python)", "exec"), {})
    printed = capsys.readouterr().out
    assert "['zebra']" in printed and "torch.Size([9, 1, 28, 28])" in printed


@pytest.mark.slow
def test_the_api_block_runs_against_the_app(served, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = block_after("## API (gradio_client)").replace("http://127.0.0.1:7860/", served[1])
    namespace = {}
    exec(compile(code, "README.md (API)", "exec"), namespace)
    assert "Seed used" in namespace["info"] or namespace["info"]  # the last answers arrived
    assert namespace["table"].count("\n|") == 7  # six discovered directions and the header rule
