"""The book builds (warnings are errors, network off) and the built pages are complete."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.book


def test_index_and_intro_exist(built_book):
    assert (built_book / "index.html").exists()
    assert (built_book / "book" / "intro.html").exists()


def test_launch_buttons_in_chapter_pages(built_book):
    html = (built_book / "book" / "00_setup.html").read_text()
    assert "colab.research.google.com/github/" in html
    assert "mybinder.org/v2/gh/" in html
    assert "thebe" in html.lower()
    # the rocket button and the "Run this chapter yourself" note open the notebook edition,
    # published at the same path on the `notebooks` branch (scripts/notebook_edition.py --publish)
    for page in ("00_setup", "05_gradients"):
        html = (built_book / "book" / f"{page}.html").read_text()
        colab = re.findall(r"colab\.research\.google\.com/github/[^\"'<> ]+", html)
        assert colab and all(f"/blob/notebooks/book/{page}.ipynb" in u for u in colab), colab


def test_setup_chapter_shows_an_executed_figure(built_book):
    html = (built_book / "book" / "00_setup.html").read_text()
    assert re.search(r'<img[^>]+src="[^"]*_images/[^"]*\.png"', html), "no figure in the executed setup chapter"
    assert "largest reconstruction error" in html


def test_no_cell_errors_in_built_pages(built_book):
    for page in (built_book / "book").glob("*.html"):
        text = page.read_text()
        assert "Traceback (most recent call last)" not in text, page.name


def test_javascript_assets_are_served_locally(built_book):
    assert (built_book / "widgets" / "require.min.js").exists()
    assert (built_book / "widgets" / "html-manager" / "embed-amd.js").exists()
    assert (built_book / "mathjax" / "tex-mml-chtml.js").exists()
    for page in (built_book / "book").glob("*.html"):
        text = page.read_text()
        assert "cdn.jsdelivr.net" not in text, page.name
        assert "cdnjs.cloudflare.com" not in text, page.name


def test_each_inline_script_appears_once(built_book):
    for page in (built_book / "book").glob("*.html"):
        assert page.read_text().count("const THEBE_JS_URL") <= 1, page.name


def test_bibliography_renders(built_book):
    html = (built_book / "book" / "bibliography.html").read_text()
    assert "phase-based video motion processing" in html.lower()


def test_exercises_are_numbered_per_chapter_as_in_the_notebooks(built_book):
    """The page of chapter 4 says "Exercise 4.1 (title)", as the notebook edition, the checks'
    feedback and the grader's columns do (book/_ext/book_assets.py renumbers sphinx-exercise's
    book-wide count), and each solution's heading names its exercise's number."""
    import html as html_lib

    from steerlens.exercises import EXERCISES

    pages = sorted((built_book / "book").glob("[0-9][0-9]_*.html"))
    assert len(pages) >= 13
    for page in pages:
        chapter = int(page.name[:2])
        text = html_lib.unescape(page.read_text()).replace("\u2019", "'")  # Sphinx's smart quotes
        heads = re.findall(r'<p class="admonition-title"><span class="caption-number">'
                           r"Exercise ([0-9.]+) </span>\s*\(([^<]*)\)", text)
        expected = [(ex.number, ex.title.replace("\u2019", "'")) for ex in EXERCISES.values()
                    if ex.chapter == chapter]
        assert heads == expected, page.name
        solutions = re.findall(r"Solution to<a [^>]*> Exercise ([0-9.]+) \(", text)
        assert solutions == [n for n, _ in expected], page.name
