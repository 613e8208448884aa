"""Shared fixtures: fixed seeds, fixed thread count, one place for the device."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

# One device for the whole suite; set STEERLENS_TEST_DEVICE=cuda to run the CUDA path.
DEVICE = torch.device(os.environ.get("STEERLENS_TEST_DEVICE", "cpu"))
torch.set_num_threads(int(os.environ.get("STEERLENS_TEST_THREADS", "2")))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def device() -> torch.device:
    return DEVICE


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


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book (warnings are errors, network off) and return `_build/html`."""
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
