"""Small helpers shared by the widget logic and views: numbers, sliders, models, image sets."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from .._checks import check_images
from .._checks import check_number as _check_number  # noqa: F401 (used by views and logic)


def _check_range(value, name: str) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with ``low < high``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"`{name}` must be a pair (low, high), got {value!r}.")
    low, high = (_check_number(v, name) for v in value)
    if not low < high:
        raise ValueError(f"`{name}` must be (low, high) with low < high, got {tuple(value)}.")
    return low, high


def _nice(value: float) -> float:
    """Round to two significant digits (slider limits)."""
    if value <= 0:
        return value
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def _slider_step(span: float, positions: int) -> float:
    """The smallest step of the 1-2-2.5-5 series that divides ``span`` into at most ``positions``."""
    raw = span / positions
    decade = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * decade >= raw * (1 - 1e-9):
            return round(factor * decade, 12)
    return round(10 * decade, 12)  # pragma: no cover - the loop always returns


def _on_grid(value: float, low: float, step: float) -> float:
    """``value`` moved to the nearest slider position ``low + k·step`` (what the browser shows)."""
    return round(low + round((value - low) / step) * step, 10)


def _spread_over_classes(labels: Tensor, n: int) -> list[int]:
    """``n`` indices, one class after another (first of class 0, first of class 1, …)."""
    per_class = [torch.nonzero(labels == c).flatten().tolist() for c in torch.unique(labels).tolist()]
    picked: list[int] = []
    depth = 0
    while len(picked) < n and any(depth < len(p) for p in per_class):
        for p in per_class:
            if depth < len(p) and len(picked) < n:
                picked.append(p[depth])
        depth += 1
    return picked


def _load_zoo(name: str):
    from ..models import model_info, pretrained

    return pretrained(name), model_info(name)


def _named_models(model, what: str = "model") -> tuple[dict[str, Callable], list[str] | None, str | None]:
    """A model spec → ``{name: callable}``, the zoo's class names, the first zoo name."""
    if isinstance(model, str):
        model = [model]
    if isinstance(model, Mapping):
        items = list(model.items())
    elif isinstance(model, Sequence) and model and all(isinstance(m, str) for m in model):
        items = [(m, m) for m in model]
    elif callable(model):
        items = [(what, model)]
    else:
        raise TypeError(
            f"`{what}` must be a callable (images → logits), a zoo model name, a list of zoo "
            f"names or a mapping name → model; got {type(model).__name__}."
        )
    if not items:
        raise ValueError(f"`{what}` is empty: give at least one model.")
    out: dict[str, Callable] = {}
    class_names: list[str] | None = None
    first_zoo: str | None = None
    for name, m in items:
        if not isinstance(name, str):
            raise TypeError(f"`{what}` names must be strings, got {type(name).__name__}.")
        if isinstance(m, str):
            m, info = _load_zoo(m)
            if class_names is None:
                class_names, first_zoo = list(info.class_names), info.name
            elif len(info.class_names) != len(class_names):
                raise ValueError(
                    f"`{what}` mixes models with {len(class_names)} and {len(info.class_names)} "
                    f"classes ({info.name!r}); an explorer needs models of one task."
                )
        elif not callable(m):
            raise TypeError(f"`{what}[{name!r}]` must be callable or a zoo name, got {type(m).__name__}.")
        out[name] = m
    return out, class_names, first_zoo


def _image_collection(images, n_images: int, indices: Sequence[int] | None):
    """Images in any accepted form → (``N×C×H×W``, labels or None, class names or None, source indices)."""
    labels = None
    class_names = None
    if isinstance(images, Tensor):
        pool = images[None] if images.ndim == 3 else images
    elif hasattr(images, "images") and hasattr(images, "labels"):  # steerlens LabeledImages
        pool, labels = images.images, images.labels
        class_names = getattr(images, "class_names", None)
    elif isinstance(images, Sequence) and images and all(isinstance(i, Tensor) for i in images):
        pool = torch.stack([i[0] if i.ndim == 4 else i for i in images])
    elif hasattr(images, "__len__") and hasattr(images, "__getitem__"):  # a dataset of (image, label)
        chosen = list(range(min(len(images), n_images))) if indices is None else list(indices)
        _check_indices(chosen, len(images))
        pairs = [images[i] for i in chosen]
        x = check_images(torch.stack([p[0] for p in pairs]), "images").detach()
        return x, torch.as_tensor([int(p[1]) for p in pairs]), class_names, chosen
    else:
        raise TypeError(
            "`images` must be a B×C×H×W tensor, a list of C×H×W tensors, or a dataset of "
            f"(image, label) pairs; got {type(images).__name__}."
        )
    if indices is not None:
        chosen = list(indices)
    elif labels is not None:
        chosen = _spread_over_classes(labels, n_images)
    else:
        chosen = list(range(pool.shape[0]))
    _check_indices(chosen, pool.shape[0])
    x = check_images(pool[chosen], "images").detach()
    return x, None if labels is None else labels[chosen], class_names, chosen


def _check_indices(indices: list, n: int) -> None:
    if not indices:
        raise ValueError("`indices` is empty: choose at least one image.")
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise ValueError(f"`indices` holds {i!r}, not an image index in [0, {n}).")
