"""The built book in a real browser: headless Chromium (Debian's package) through Playwright.

Skipped, with the reason shown, when Chromium is not installed (`apt-get install chromium`);
`.ci/run` installs it, so CI always runs these.
"""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.book]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, built_book):
    """Open a built page; returns (page, errors) where errors collects JS errors."""
    pages = []

    def _open(rel: str):
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.goto((built_book / rel).as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        pages.append(page)
        return page, errors

    yield _open
    for p in pages:
        p.close()


def test_intro_page_has_navigation_and_no_js_errors(open_page):
    page, errors = open_page("book/intro.html")
    assert page.locator("nav.bd-docs-nav").count() == 1
    assert page.get_by_role("link", name="Setup: check your installation").count() >= 1
    assert errors == []


def test_chapter_has_launch_buttons(open_page):
    page, errors = open_page("book/00_setup.html")
    html = page.content()
    assert "colab.research.google.com" in html and "mybinder.org" in html
    assert page.locator("img").count() >= 2  # logo + the executed figure
    assert errors == []


def _shown_frame(scrubber):
    """The visible frame's PNG and the caption of a steerlens.plot.scrubber."""
    return scrubber.locator("img:visible").get_attribute("src"), scrubber.locator(".sl-label").inner_text()


def test_explore_chapter_renders_saved_widgets_and_scrubs_without_kernel(open_page):
    page, errors = open_page("book/12_explore.html")
    # The live explorer's saved ipywidgets state renders from the book's own renderer: the
    # controls, the three pictures and the probability bars, in their default state.
    explorer = page.locator(".sl-explorer").first
    explorer.wait_for(state="visible", timeout=20_000)
    assert explorer.locator(".widget-slider").count() >= 1
    assert explorer.locator(".widget-image").count() == 3
    assert explorer.locator(".sl-probabilities").count() == 1
    assert page.locator(".sl-explorer").count() == page.locator("details.sl-explorer-fallback").count() >= 3
    # Below it, the precomputed scrubber: moving it changes the frame and the probability readout.
    fallback = page.locator("details.sl-explorer-fallback").first
    assert "No kernel? Scrub through precomputed frames" in fallback.locator("summary").inner_text()
    # A static page shows it (a live JupyterLab hides it: tests/test_jupyterlab.py), and its text
    # describes this page, not launch buttons of another environment.
    assert fallback.is_visible() and "launch" not in fallback.inner_text().lower()
    assert explorer.locator(".sl-static-only").first.is_visible()  # "moving them needs …"
    scrubber = fallback.locator(".sl-scrubber")
    slider = scrubber.locator("input[type=range]")
    # It opens on a meaningful frame (by default the last, where the morph has gone furthest),
    # never on the blank first one.
    opened_at = _shown_frame(scrubber)
    assert slider.input_value() != "0"
    slider.focus()
    page.keyboard.press("Home")  # a reader's keyboard moves: the first frame, then the last
    first_src, first_label = _shown_frame(scrubber)
    assert slider.input_value() == "0" and first_src != opened_at[0]
    page.keyboard.press("End")
    last_src, last_label = _shown_frame(scrubber)
    assert slider.input_value() == slider.get_attribute("max")
    assert last_src != first_src
    probability = re.compile(r"p\(([^)]*)\) = ([0-9.]+)")
    assert probability.search(first_label) and probability.search(last_label)
    assert probability.search(first_label).group(2) != probability.search(last_label).group(2)
    assert scrubber.locator("img:visible").count() == 1
    page.keyboard.press("ArrowLeft")
    assert _shown_frame(scrubber)[0] not in (first_src, last_src)
    # A narrow column: the widget's pictures and the scrubber's keep their aspect ratio.
    page.set_viewport_size({"width": 520, "height": 900})
    page.wait_for_timeout(300)
    for img in explorer.locator(".widget-image").all()[:3]:
        box = img.bounding_box()
        assert box is not None and abs(box["width"] - box["height"]) <= 2, box
    frame = scrubber.locator("img:visible").first
    natural = frame.evaluate("i => i.naturalWidth / i.naturalHeight")
    box = frame.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - natural) < 0.05, (box, natural)
    assert errors == []
