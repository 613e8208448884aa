"""The explorer in JupyterLab with a live kernel, driven in headless Chromium (Playwright).

The test starts its own JupyterLab server on the loopback interface (a free port, a
temporary root directory, settings and runtime directories, a random token), opens a small
notebook that creates the explorer on the zoo's MNIST driver, runs it, and drives the
widget as a reader does: arrow keys on the α slider, then the image menu. It checks that the
picture (the ``<img>`` source) and the probability readout change, that the readout becomes
exact once the slider rests (the kernel's deferred forward pass), that the static fallback
is hidden under the live widget, and that the browser logs no errors. The server and its
kernel are killed afterwards.

Skipped, with the reason shown, when JupyterLab or Chromium is not installed — except under
``CI=true``, where a missing JupyterLab is a failure (the ``test`` extra installs it; see
``tests/conftest.py`` for Chromium). Set ``STEERLENS_SCREEN_DIR`` to keep screenshots of the
widget at two column widths.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync"]

NOTEBOOK_CELLS = [
    "import steerlens as sl",
    'view = sl.widgets.explorer("mnist_cnn", n_images=3, static_frames=3)\nview',
    "d = sl.signals.sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)\n"
    "video, _ = sl.signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)\n"
    "sl.widgets.magnifier(sl.magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2),\n"
    "                     static_frames=3, display_px=128)",
]

# Labels, captions and buttons whose text is cut (wider than their box), as "tag: text".
CUT_LABELS = """() => [...document.querySelectorAll(
    '.sl-explorer .widget-label, .sl-explorer .widget-html-content > div, .sl-explorer button,'
    + ' .sl-magnifier .widget-label, .sl-magnifier .widget-html-content > div')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName + ': ' + e.innerText)"""


def _jupyterlab_installed() -> bool:
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1: yields (base URL, token, root directory)."""
    if not _jupyterlab_installed():
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail("CI is set but JupyterLab is not installed: install the test extra "
                        "(pip install -e '.[test]').", pytrace=False)
        pytest.skip("JupyterLab is not installed (pip install jupyterlab, or the test extra): "
                    "the live-kernel browser test is skipped")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    home = tmp_path_factory.mktemp("lab")
    root, settings = home / "root", home / "settings"
    root.mkdir()
    _notebook(root / "explore.ipynb")
    # No news, no update checks: nothing reaches outside the loopback interface.
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # render every cell (JupyterLab 4 renders only the cells near the viewport by default)
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"), JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        STEERLENS_TEST_THREADS=env.get("STEERLENS_TEST_THREADS", "2"),
    )
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
         "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n" + (home / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        yield base, token, root
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and its kernels: they run in the server's own process group."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _frame_src(explorer) -> str:
    return explorer.locator(".widget-image img, img.widget-image").nth(1).get_attribute("src") or ""


def _readout(explorer) -> str:
    return explorer.locator(".sl-probabilities").inner_text()


def test_explorer_in_jupyterlab_with_a_live_kernel(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    base, token, _ = lab
    started = time.monotonic()
    shots = Path(os.environ.get("STEERLENS_SCREEN_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        try:
            _drive(page, f"{base}/lab/tree/explore.ipynb?token={token}", shots)
        except Exception:
            page.screenshot(path=str(shots / "jupyterlab-failure.png"))
            raise
        finally:
            browser.close()
    assert errors == [], errors
    assert time.monotonic() - started < 90, "the live-kernel test should stay under 90 s"


def _drive(page, url: str, shots: Path) -> None:
    """Open and run the notebook, then drive the explorer (see the module docstring)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url)
    page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=60_000)
    # JupyterLab asks which kernel to start: the notebook's own (Python 3).
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(state="visible", timeout=5_000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle'], .jp-Toolbar-kernelStatus").first.wait_for(
        timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    explorer = page.locator(".sl-explorer").first
    explorer.wait_for(state="visible", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sl-explorer img')].filter(i => i.src).length >= 3",
        timeout=20_000)
    # The static fallback is hidden under the live widget (and its note with it).
    assert page.locator(".sl-explorer-fallback").count() == 1
    assert not page.locator(".sl-explorer-fallback").is_visible()
    assert not explorer.locator(".sl-static-only").first.is_visible()

    # Keyboard steps on the α slider: every press shows another precomputed frame.
    first_src, first_readout = _frame_src(explorer), _readout(explorer)
    assert "gradients computed so far: 1" in explorer.locator(".sl-status").inner_text()
    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "src => { const i = document.querySelectorAll('.sl-explorer .widget-image')[1];"
        " return i && (i.src || i.querySelector('img')?.src) !== src; }", arg=first_src, timeout=10_000)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    # The readout changes, and turns exact (no ≈) once the slider rests.
    page.wait_for_function(
        "old => { const t = document.querySelector('.sl-explorer .sl-probabilities')?.innerText || '';"
        " return t !== old && !t.includes('≈'); }", arg=first_readout, timeout=15_000)
    moved_src, moved_readout = _frame_src(explorer), _readout(explorer)
    assert moved_src != first_src and moved_readout != first_readout

    # A dropdown: another image (a new gradient, a new precomputed line).
    source_before = explorer.locator(".widget-image").first.get_attribute("src")
    explorer.locator(".widget-dropdown select").first.select_option(index=1)
    page.wait_for_function(
        "src => document.querySelector('.sl-explorer .widget-image').src !== src",
        arg=source_before, timeout=20_000)
    page.wait_for_function(
        "old => (document.querySelector('.sl-explorer .sl-probabilities')?.innerText || '') !== old",
        arg=moved_readout, timeout=20_000)
    assert _frame_src(explorer) != moved_src
    status = explorer.locator(".sl-status").inner_text()
    assert "gradients computed so far: 2" in status, status  # one new gradient, precomputed line

    # Two column widths: the pictures keep their aspect ratio (screenshots kept for a look).
    for width in (1300, 640):
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(400)
        for img in explorer.locator(".widget-image").all()[:3]:
            box = img.bounding_box()
            assert box is not None and abs(box["width"] - box["height"]) <= 2, (width, box)
        explorer.screenshot(path=str(shots / f"jupyterlab-explorer-{width}.png"))
        assert page.evaluate(CUT_LABELS) == [], width
    magnifier = page.locator(".sl-magnifier").first
    magnifier.scroll_into_view_if_needed()
    magnifier.wait_for(state="visible", timeout=20_000)
    assert "attenuate large phases" in magnifier.inner_text()
    assert not page.locator(".sl-magnifier-fallback").is_visible()
    magnifier.screenshot(path=str(shots / "jupyterlab-magnifier-640.png"))


# ------------------------------------------------------------------------------------------
# The notebook edition as a reader sees it in plain JupyterLab (no kernel needed)
# ------------------------------------------------------------------------------------------
READ_MARKDOWN = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cells = [...panel.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')];
  // checkVisibility() is false inside a closed <details> (its content is content-visibility: hidden)
  const visible = e => e.checkVisibility ? e.checkVisibility() : !!e.getClientRects().length;
  return {
    cells: cells.length,
    text: cells.map(c => c.innerText).join('\\n'),
    details: panel.querySelectorAll('.jp-RenderedMarkdown details').length,
    open: panel.querySelectorAll('.jp-RenderedMarkdown details[open]').length,
    hiddenShown: [...panel.querySelectorAll('.jp-RenderedMarkdown details > :not(summary)')]
      .filter(visible).length,
    boxes: panel.querySelectorAll('.jp-RenderedMarkdown blockquote strong').length,
    math: panel.querySelectorAll('.jp-RenderedMarkdown mjx-container, .jp-RenderedMarkdown .MathJax').length,
    links: [...panel.querySelectorAll('.jp-RenderedMarkdown a[href^="https://"]')].length,
  };
}"""


@pytest.mark.parametrize("chapter", ["01_fourier_phase", "05_gradients"])
def test_the_notebook_edition_reads_cleanly_in_jupyterlab(lab, tmp_path, chapter):
    import re

    import nbformat
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    import notebook_edition

    base, token, root = lab
    name = f"edition_{chapter}.ipynb"
    nb = notebook_edition.notebook_edition(ROOT / "book" / f"{chapter}.ipynb")
    nbformat.write(nb, root / name)
    n_solutions = sum("solution" in c.metadata.get("tags", []) for c in nb.cells)
    shots = Path(os.environ.get("STEERLENS_SCREEN_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        try:
            # a workspace of its own, reset: only this notebook is open (not the tabs of the
            # tests before it)
            page.goto(f"{base}/lab/workspaces/edition-{chapter}/tree/{name}?token={token}&reset")
            page.locator(".jp-Notebook:visible").first.wait_for(state="visible", timeout=60_000)
            dialog = page.locator(".jp-Dialog").get_by_role("button", name="No Kernel")
            if dialog.count():
                dialog.click()
            page.wait_for_function(
                "() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
                ".jp-MarkdownCell .jp-RenderedMarkdown').length > 10",
                timeout=60_000)
            page.wait_for_timeout(3000)  # MathJax typesets after the cells render
            seen = page.evaluate(READ_MARKDOWN)
            page.screenshot(path=str(shots / f"jupyterlab-{chapter}.png"))
            box = page.locator(".jp-MarkdownCell blockquote:visible",
                               has_text=re.compile(r"Exercise \d")).first
            box.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(500)
            page.screenshot(path=str(shots / f"jupyterlab-{chapter}-exercise.png"))
            if os.environ.get("STEERLENS_SCREEN_DIR"):  # a reader opens the first solution
                summary = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) details > summary").nth(
                    1 if chapter == "01_fourier_phase" else 0)
                summary.click()
                summary.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(1500)
                page.screenshot(path=str(shots / f"jupyterlab-{chapter}-solution.png"))
        finally:
            browser.close()
    text = seen["text"]
    for raw in ("```{", "{cite", "{ref}", "{exercise}", ":label:", ":class:", "{solution", "{admonition"):
        assert raw not in text, f"{chapter}: raw MyST {raw!r} shows in JupyterLab"
    assert not re.search(r"\$\$|(?<![\\\w])\$[^$\s][^$]*\$", text), f"{chapter}: untypeset math"
    assert seen["details"] >= n_solutions > 0 and seen["open"] == 0
    assert seen["hiddenShown"] == 0, "a folded solution's text is visible before it is opened"
    assert seen["boxes"] >= n_solutions and seen["math"] > 10 and seen["links"] > 3
