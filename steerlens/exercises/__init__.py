"""Checks for the book's exercises: each reads *your* variables and answers in plain words.

In a chapter notebook, after you have written your answer::

    import steerlens as sl
    sl.exercises.check("ex-01-subpixel")   # reads your variables (this notebook's globals)

prints one of

- ✅ correct (with a remark where there is one to make);
- ❌ incorrect, what is wrong (shape, sign, a factor, the wrong reason where that can be
  detected) and a hint, never the reference answer;
- ⏳ not attempted yet (a variable the exercise asks for is missing, or still ``None``);
- ⚠️ error (your value broke the check; the message says how).

The book's own solutions end with ``check(label, strict=True)``: a solution that stops passing
its check fails the book's build. ``EXERCISES`` lists every exercise with its chapter, title,
kind ("computation", "derivation" or "prediction") and the variables its check reads.
``steerlens grade`` (see :mod:`steerlens.exercises.grade`) grades a folder of returned notebooks.
"""

from __future__ import annotations

from . import ch00, ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11, ch12  # noqa: F401,E501 (register)
from ._core import (
    EXERCISES,
    KINDS,
    Answers,
    Exercise,
    ExerciseFailed,
    Feedback,
    NotAttempted,
    Wrong,
    check,
    exercise,
)

__all__ = ["check", "EXERCISES", "KINDS", "Exercise", "Feedback", "Answers", "Wrong",
           "NotAttempted", "ExerciseFailed", "exercise", "by_chapter"]


def by_chapter(chapter: int) -> list[Exercise]:
    """The exercises of one chapter, in order."""
    return [e for e in EXERCISES.values() if e.chapter == chapter]
