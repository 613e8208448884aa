"""Shared fixtures: fixed seeds, fixed thread count, one place for the device."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

# One device for the whole suite; set STEERLENS_TEST_DEVICE=cuda to run the CUDA path.
DEVICE = torch.device(os.environ.get("STEERLENS_TEST_DEVICE", "cpu"))
torch.set_num_threads(int(os.environ.get("STEERLENS_TEST_THREADS", "2")))
if DEVICE.type == "cuda":
    # The suite compares batched with single-image results at float32 tolerances and repeats
    # calls with torch.equal: keep cuDNN exact (no TF32) and deterministic on a GPU.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module of small computations (exercise checks on tiny images):
    as fast as two, and far faster when the machine's cores are busy; restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def device() -> torch.device:
    """The suite's one device (``STEERLENS_TEST_DEVICE``, default cpu)."""
    return DEVICE


@pytest.fixture
def to_device():
    """Move tensors and modules to the suite's device: ``x, model = to_device(x, model)``."""

    def move(*objects):
        moved = tuple(o.to(DEVICE) if hasattr(o, "to") else o for o in objects)
        return moved[0] if len(moved) == 1 else moved

    return move


# Per-test timeouts: pyproject's default fits a unit test; building the book and driving the
# browser get their own, longer limit.
BOOK_TIMEOUT_S = 2400


def pytest_itemcollected(item):
    if item.get_closest_marker("book") or item.get_closest_marker("browser"):
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(BOOK_TIMEOUT_S))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no")


def pytest_runtest_setup(item):
    # In CI a missing Chromium is a failure, never a skipped browser test.
    if item.get_closest_marker("browser") and _truthy(os.environ.get("CI")):
        import shutil

        if not (shutil.which("chromium") or shutil.which("chromium-browser")):
            pytest.fail(
                "CI is set but Chromium is not installed: the browser tests cannot run "
                "(install it with `apt-get install chromium`, or unset CI to skip them locally).",
                pytrace=False,
            )


# --------------------------------------------------------------------------------------
# The book: built once per session by the same command as `make book`.
# --------------------------------------------------------------------------------------
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


def pytest_collection_modifyitems(config, items):
    # Fast library tests first; the book build and the browser tests last.
    def rank(item):
        if item.get_closest_marker("browser"):
            return 2
        if item.get_closest_marker("book"):
            return 1
        return 0

    items.sort(key=rank)


STRAY = ROOT / ".pytest_cache" / "README.md"


def _leave_a_stray_markdown_file() -> None:
    """What a previous `make test` leaves behind: `.pytest_cache/README.md`, a Markdown file.

    The book is built with warnings as errors, and Sphinx warns about any Markdown file that no
    toctree includes, so the build must ignore it (`exclude_patterns` in `_config.yml`): making
    sure it is there before building proves that `make test` and `make book` work in either
    order, repeatedly.
    """
    if not STRAY.exists():
        STRAY.parent.mkdir(exist_ok=True)
        STRAY.write_text("# pytest cache directory #\n\nA stray Markdown file the book must ignore.\n")


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book (warnings are errors, network off) and return `_build/html`.

    `STEERLENS_BOOK_HTML=DIR` checks an already-built book instead (no build), e.g.
    `STEERLENS_BOOK_HTML=_build/html pytest tests/test_pages.py` after `make book`.
    """
    prebuilt = os.environ.get("STEERLENS_BOOK_HTML")
    if prebuilt:
        html = Path(prebuilt).resolve()
        if not (html / "book").is_dir():
            pytest.fail(f"STEERLENS_BOOK_HTML={prebuilt}: no built book there", pytrace=False)
        return html
    _leave_a_stray_markdown_file()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        reports = sorted((HTML / "reports").glob("**/*.err.log")) if (HTML / "reports").exists() else []
        logs = "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in reports)
        pytest.fail(
            f"book build failed (exit {proc.returncode}):\n{proc.stdout[-15000:]}\n{proc.stderr[-15000:]}\n{logs}",
            pytrace=False,
        )
    return HTML
