"""The exercise checks' machinery: a registry, the feedback a student reads, and the helpers a
check uses to read the student's variables and say what is wrong without giving the answer away.

A check is a function of one argument, an :class:`Answers` (the student's namespace). It

- reads each variable with :meth:`Answers.get` (a missing variable, or one still ``None`` or
  ``...`` as the starter cell leaves it, ends the check with "not attempted yet");
- raises :class:`Wrong` (or uses the helpers :func:`expect_tensor`, :func:`expect_close`, ...)
  with a message that says what is wrong and hints at the fix, never the reference value;
- returns ``None`` (correct) or a short string to add to the "correct" message.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("computation", "derivation", "prediction")
LOG_ENV = "STEERLENS_EXERCISE_LOG"  # the grader sets it: every check appends one JSON line


class Wrong(Exception):
    """Raised by a check: the answer is wrong; the message says what and hints at the fix."""


class NotAttempted(Exception):
    """Raised by :meth:`Answers.get` when a variable the check reads is missing or empty."""


class ExerciseFailed(AssertionError):
    """Raised by ``check(..., strict=True)`` when the answer is not correct (the book's solutions)."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of the book and its check."""

    label: str
    chapter: int
    title: str
    kind: str
    reads: tuple[str, ...]
    fn: Callable[[Answers], str | None]

    @property
    def number(self) -> str:
        """The number "chapter.k": k counts the chapter's exercises in registration order."""
        same = [e.label for e in EXERCISES.values() if e.chapter == self.chapter]
        return f"{self.chapter}.{same.index(self.label) + 1}"


EXERCISES: dict[str, Exercise] = {}


def exercise(label: str, *, chapter: int, title: str, kind: str, reads: Iterable[str]):
    """Register the decorated function as the check of exercise ``label``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def register(fn):
        if label in EXERCISES:
            raise ValueError(f"exercise {label!r} is registered twice")
        EXERCISES[label] = Exercise(label, chapter, title, kind, tuple(reads), fn)
        return fn

    return register


class Answers:
    """The student's variables, read by name (a notebook's globals, or any mapping)."""

    def __init__(self, namespace: Mapping[str, Any]):
        self._ns = namespace

    def has(self, name: str) -> bool:
        value = self._ns.get(name, None)
        return value is not None and value is not Ellipsis

    def get(self, name: str) -> Any:
        """The variable ``name``; "not attempted yet" when it is missing, ``None`` or ``...``."""
        if not self.has(name):
            raise NotAttempted(name)
        return self._ns[name]

    def context(self, name: str, default: Any = None) -> Any:
        """A variable the chapter defines (not the student's answer): ``default`` when missing."""
        return self._ns.get(name, default)

    def chapter(self, *names: str) -> Any:
        """The chapter's own variables a check needs (one name: its value; several: a list).
        A missing one is reported as "run the chapter's cells above first", not as a crash."""
        values = [self._ns.get(n) for n in names]
        missing = [n for n, v in zip(names, values, strict=True) if v is None]
        if missing:
            listed = ", ".join(f"`{n}`" for n in missing)
            raise Wrong(f"this check needs the chapter's {listed}: run the chapter's cells above "
                        "(from the top) first, then this one.")
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Feedback:
    """The verdict of one check: ``status`` is "correct", "incorrect", "not attempted" or "error"."""

    label: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    @property
    def title(self) -> str:
        ex = EXERCISES.get(self.label)
        return f"Exercise {ex.number} ({ex.title})" if ex else f"Exercise {self.label}"

    _ICON = {"correct": "✅", "incorrect": "❌", "not attempted": "⏳", "error": "⚠️"}

    _SAY = {"not attempted": "not attempted yet"}

    def __str__(self) -> str:
        say = self._SAY.get(self.status, self.status)
        return f"{self._ICON[self.status]} {self.title}: {say}. {self.message}".rstrip()

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        say = self._SAY.get(self.status, self.status)
        return f"{self._ICON[self.status]} **{self.title}: {say}.** {self.message}".rstrip()


def check(label: str, namespace: Mapping[str, Any] | None = None, *, strict: bool = False) -> Feedback:
    """Check exercise ``label`` against the student's variables and say what is right or wrong.

    ``namespace`` defaults to the caller's globals (in a notebook: your variables). With
    ``strict=True`` anything but "correct" raises :class:`ExerciseFailed` (the book's solutions
    run through their checks this way, so a solution that rots fails the build).

    >>> from steerlens.exercises import check
    >>> check("ex-01-subpixel", {}).status
    'not attempted'
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be an exercise label such as 'ex-01-subpixel', got {type(label).__name__}")
    if label not in EXERCISES:
        near = [k for k in EXERCISES if k.split("-")[:2] == label.split("-")[:2]] or sorted(EXERCISES)[:5]
        raise ValueError(f"label {label!r} is not an exercise of the book; labels look like {near}")
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    ex = EXERCISES[label]
    answers = Answers(namespace)
    try:
        extra = ex.fn(answers)
        fb = Feedback(label, "correct", extra or "Well done.")
    except NotAttempted as e:
        fb = Feedback(label, "not attempted", f"Set `{e.args[0]}` (see the exercise) and run this cell again.")
    except Wrong as e:
        msg = str(e)
        fb = Feedback(label, "incorrect", msg[:1].upper() + msg[1:])
    except Exception as e:  # the student's values broke the check: say so, never crash the notebook
        fb = Feedback(label, "error", f"your answer could not be checked ({type(e).__name__}: {e}).")
    _log(fb)
    if strict and not fb:
        raise ExerciseFailed(str(fb))
    return fb


def _log(fb: Feedback) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"label": fb.label, "status": fb.status, "message": fb.message,
                            "time": time.time()}) + "\n")


def near(value: float, ref: float, *, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """|value − ref| ≤ atol + rtol·|ref| (plain numbers)."""
    return abs(value - ref) <= atol + rtol * abs(ref)


def allclose(value, target, *, rtol: float = 1e-3, atol: float = 1e-5) -> bool:
    """Same shape and |value − target| ≤ atol + rtol·|target| everywhere (tensors; for telling
    one wrong answer from another before `expect_close` gives the general verdict)."""
    import torch

    v, t = value.double(), torch.as_tensor(target).double()
    return v.shape == t.shape and bool(((v - t).abs() <= atol + rtol * t.abs()).all())


_CACHE: dict = {}


def _fingerprint(value):
    """A cheap key for a model, a tensor or a plain value (repeated checks reuse references)."""
    import torch

    if isinstance(value, torch.nn.Module):
        first = next(iter(value.parameters()), None)
        return ("module", id(value), None if first is None else float(first.detach().double().sum()))
    if isinstance(value, torch.Tensor):
        v = value.detach().double()
        return ("tensor", tuple(v.shape), float(v.sum()), float((v * v).sum()))
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


def cached(fn):
    """Memoise a check's reference computation on its arguments' fingerprints (a few entries),
    so that running a check again after fixing an answer is fast."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = (fn.__module__, fn.__name__, _fingerprint(args), _fingerprint(tuple(sorted(kwargs.items()))))
        if key not in _CACHE:
            if len(_CACHE) > 32:
                _CACHE.clear()
            _CACHE[key] = fn(*args, **kwargs)
        return _CACHE[key]

    return wrapper


def _q(name: str) -> str:
    """A variable name in backticks; a phrase ("the shift measured in `x`") as it is."""
    return f"`{name}`" if name.isidentifier() else name


# ------------------------------------------------------------------------------------------
# Helpers for checks: each raises Wrong with a message that names the variable and hints.
# ------------------------------------------------------------------------------------------


def expect_tensor(value: Any, name: str, *, shape: tuple | None = None, finite: bool = True):
    """``value`` as a torch tensor (numpy arrays and numbers are converted), of ``shape``."""
    import numpy as np
    import torch

    if isinstance(value, np.ndarray) or isinstance(value, (int, float, list, tuple)):
        try:
            value = torch.as_tensor(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as e:
            raise Wrong(f"{_q(name)} should be a tensor (or array) of numbers; it could not be converted ({e}).") from e
    if not isinstance(value, torch.Tensor):
        raise Wrong(f"{_q(name)} should be a torch tensor, not a {type(value).__name__}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Wrong(f"{_q(name)} has shape {tuple(value.shape)}; it should have shape {tuple(shape)}.")
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise Wrong(f"{_q(name)} contains NaN or infinite values.")
    return value.detach()


def expect_number(value: Any, name: str) -> float:
    """``value`` as a finite float (a one-element tensor or array is accepted)."""
    try:
        if hasattr(value, "numel") and value.numel() == 1:
            value = value.item()
        elif hasattr(value, "size") and getattr(value, "size", 0) == 1 and hasattr(value, "item"):
            value = value.item()
        out = float(value)
    except (TypeError, ValueError) as e:
        raise Wrong(f"{_q(name)} should be a single number, not {type(value).__name__}.") from e
    if not math.isfinite(out):
        raise Wrong(f"{_q(name)} is {out}; it should be a finite number.")
    return out


def expect_close(value: Any, target: Any, name: str, *, rtol: float = 1e-2, atol: float = 0.0,
                 hint: str = "") -> None:
    """``value`` ≈ ``target`` (numbers or tensors). The message diagnoses a wrong sign or a
    factor (2, π, 2π, 10) and never states ``target``."""
    import torch

    v = expect_tensor(value, name).double()
    t = torch.as_tensor(target).detach().double()
    if v.shape != t.shape:
        if v.numel() == t.numel() and v.numel() > 1:
            raise Wrong(f"{_q(name)} has shape {tuple(v.shape)}; it should have shape {tuple(t.shape)}.")
        if v.numel() != 1 and t.numel() == 1:
            raise Wrong(f"{_q(name)} should be a single number; it has shape {tuple(v.shape)}.")
        if t.numel() != 1:
            raise Wrong(f"{_q(name)} should have shape {tuple(t.shape)}; it has shape {tuple(v.shape)}.")
    tol = atol + rtol * t.abs()
    if bool(((v - t).abs() <= tol).all()):
        return
    tail = f" {hint}" if hint else ""
    if bool(((v + t).abs() <= tol).all()) and bool((t.abs() > tol).any()):
        raise Wrong(f"{_q(name)} has the right size but the wrong sign: check the direction of your "
                    f"convention.{tail}")
    scale = _factor(v, t)
    if scale is not None:
        raise Wrong(f"{_q(name)} is off by a factor of about {scale}.{tail}")
    far = "too large" if float(v.abs().mean()) > float(t.abs().mean()) else "too small"
    raise Wrong(f"{_q(name)} is not right: it is {far} compared with what the exercise asks.{tail}")


def _factor(v, t) -> str | None:
    import torch

    if v.numel() != t.numel() or not bool((t.abs() > 0).any()):
        return None
    mask = t.abs() > 1e-12
    ratio = (v[mask] / t[mask]).median().item() if mask.any() else None
    if ratio is None or not math.isfinite(ratio) or ratio == 0:
        return None
    if not bool(torch.allclose(v[mask], ratio * t[mask], rtol=2e-2, atol=1e-9)):
        return None
    for value, text in ((2, "2"), (0.5, "1/2"), (math.pi, "π"), (1 / math.pi, "1/π"),
                        (2 * math.pi, "2π"), (1 / (2 * math.pi), "1/(2π)"), (10, "10"), (0.1, "1/10")):
        for sign, word in ((1, ""), (-1, "−")):
            if abs(ratio - sign * value) < 0.02 * value:
                return word + text
    return None


def expect_choice(value: Any, name: str, options: Iterable[str]) -> str:
    """``value`` as one of ``options`` (case and surrounding spaces ignored)."""
    options = list(options)
    if not isinstance(value, str):
        raise Wrong(f"{_q(name)} should be one of the strings {options}, not a {type(value).__name__}.")
    v = value.strip().lower()
    for o in options:
        if v == o.lower():
            return o
    raise Wrong(f"{_q(name)} is {value!r}; it should be one of {options}.")


def expect_callable(value: Any, name: str):
    if not callable(value):
        raise Wrong(f"{_q(name)} should be a function (def or lambda), not a {type(value).__name__}.")
    return value


def call(fn, name: str, *args):
    """Call the student's function ``fn``; an exception in it is reported as their error."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 (the student's code)
        raise Wrong(f"calling {_q(name)} raised {type(e).__name__}: {e}.") from e
