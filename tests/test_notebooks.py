"""Every chapter follows the book's conventions (see scripts/notebook_conventions.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import notebook_conventions as conv  # noqa: E402

NOTEBOOKS = conv.chapter_notebooks()


def _toc_files() -> list[str]:
    return conv.toc_files()


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks found in book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_conventions(path):
    found = conv.problems(path)
    assert not found, f"{path.name} breaks {len(found)} convention(s):\n  " + "\n  ".join(found)


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


# ------------------------------------------------------------------------------------------
# The page house style (CONTRIBUTING.md): a notebook that follows it passes, each rule can fail
# ------------------------------------------------------------------------------------------
def _house_style_notebook(tmp_path, monkeypatch):
    """A toy chapter written the way CONTRIBUTING.md asks (from `new`, plus an exercise)."""
    import shutil

    import nbformat

    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "book").mkdir()
    monkeypatch.setattr(conv, "ROOT", tmp_path)
    path = tmp_path / "book" / "99_toy.ipynb"
    conv.new(path, "99. Toy")
    nb = nbformat.read(path, as_version=4)
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    body = [
        md("## A measurement\n\nDisplay math is its own paragraph:\n\n$$\nx = 1\n$$\n"),
        code("gain = 2.0\nfig, ax = sl.plot.figure(1)\nax.set_title(\"gain\", fontsize=9)"),
        code('display(Markdown(f"The gain is ${gain:.1f}$."))', metadata={"tags": ["remove-input"]}),
        md("```{exercise} Double it\n:label: ex-99-double\n\nDouble the gain.\n```"),
        code("doubled = None  # your code here"),
        md("```{solution-start} ex-99-double\n:class: dropdown\n```\nMultiply by two."),
        code("doubled = 2 * gain\nprint(doubled)\nassert doubled == 4.0"),
        md("```{solution-end}\n```"),
    ]
    nb.cells = nb.cells[:-1] + body + nb.cells[-1:]
    nbformat.write(nb, path)
    return path


def test_a_notebook_in_the_house_style_passes(tmp_path, monkeypatch):
    path = _house_style_notebook(tmp_path, monkeypatch)
    assert conv.problems(path) == []


def test_install_cell_fits_the_code_width():
    assert max(len(line) for line in conv.install_cell_source().splitlines()) <= conv.CODE_WIDTH


def test_install_cell_pins_the_release_and_does_nothing_where_installed():
    import steerlens

    src = conv.install_cell_source()
    assert f'@v{steerlens.__version__}"' in src  # the release tag of this version, not a branch
    assert "@main" not in src and 'find_spec("steerlens") is None' in src
    assert "restart" in src.lower()
    # where steerlens is installed (here) the cell runs and installs nothing
    calls = []
    import subprocess

    namespace = {}
    real = subprocess.run
    try:
        subprocess.run = lambda *a, **k: calls.append(a)
        exec(src, namespace)
    finally:
        subprocess.run = real
    assert calls == []


def test_chapters_leave_the_thread_count_to_torch():
    for path in conv.chapter_notebooks():
        import nbformat

        imports = conv.imports_cell(nbformat.read(path, as_version=4))
        assert "set_num_threads" not in imports.source, path.name


def test_the_thread_count_comes_from_the_environment(monkeypatch):
    import torch

    import steerlens

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("STEERLENS_NUM_THREADS", "1")
        steerlens._threads_from_environment()
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("STEERLENS_NUM_THREADS", "many")
        with pytest.raises(ValueError, match="STEERLENS_NUM_THREADS must be a positive integer"):
            steerlens._threads_from_environment()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    "breakage, expected",
    [
        ("ungated", "ungated"),
        ("unclosed", "never closed"),
        ("wide", "over 80 characters"),
        ("prose", "not tagged remove-input"),
        ("style", "use_book_style"),
        ("font", "below the house minimum"),
    ],
)
def test_each_house_style_rule_can_fail(tmp_path, monkeypatch, breakage, expected):
    import nbformat

    path = _house_style_notebook(tmp_path, monkeypatch)
    nb = nbformat.read(path, as_version=4)

    def cell(text):
        return next(c for c in nb.cells if text in c.source)

    if breakage == "ungated":  # the old form: {solution} + a code cell whose output shows
        start = cell("solution-start")
        start.source = "```{solution} ex-99-double\n:class: dropdown\n\nMultiply by two.\n```"
        nb.cells.remove(cell("solution-end"))
    elif breakage == "unclosed":
        nb.cells.remove(cell("solution-end"))
    elif breakage == "wide":
        cell("gain = 2.0").source += "\nlabel = " + repr("x" * 80)
    elif breakage == "prose":
        cell("display(Markdown(").metadata["tags"] = ["hide-input"]
    elif breakage == "style":
        imports = cell("use_book_style")
        imports.source = imports.source.replace("sl.plot.use_book_style()\n", "")
    elif breakage == "font":
        c = cell("fontsize=9")
        c.source = c.source.replace("fontsize=9", "fontsize=7")
    nbformat.write(nb, path)
    found = conv.problems(path)
    assert any(expected in p for p in found), found
