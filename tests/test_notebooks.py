"""Every chapter follows the book's conventions (see scripts/notebook_conventions.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import notebook_conventions as conv  # noqa: E402

NOTEBOOKS = conv.chapter_notebooks()


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files += [s["file"] for s in ch.get("sections", [])]
    return files


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found in book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_conventions(path):
    assert conv.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_toc(path):
    assert path.relative_to(ROOT).with_suffix("").as_posix() in _toc_files()


def test_every_toc_entry_exists():
    for f in _toc_files():
        assert any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb")), f


def test_conventions_detect_a_broken_notebook(tmp_path, monkeypatch):
    import nbformat

    src = NOTEBOOKS[0]
    nb = nbformat.read(src, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hi")]
    code.execution_count = 1
    bad = ROOT / "book" / "_tmp_broken.ipynb"
    try:
        nbformat.write(nb, bad)
        found = conv.problems(bad)
    finally:
        bad.unlink()
    assert any("outputs" in p for p in found)
    assert any("links do not match" in p for p in found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_ends_with_a_where_next_link(path):
    # Cross-references use the book's labels, so a renamed file breaks the build, not the reader.
    import nbformat

    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    i = text.find("**Where next:**")
    assert i >= 0, "no '**Where next:**' paragraph"
    para = text[i:].split("\n\n")[0]
    assert "{ref}" in para or "{doc}" in para, "the 'Where next' paragraph links no chapter by label"
