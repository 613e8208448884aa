"""Checks for chapter 3's exercises."""

from __future__ import annotations

from ._core import Wrong, exercise, expect_close, expect_number, expect_tensor  # noqa: F401
