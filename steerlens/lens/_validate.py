"""Argument checks private to the lens (on top of :mod:`steerlens._checks`)."""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

__all__: list[str] = []

_MISSING = object()


def check_alphas(alphas, name: str = "alphas") -> Tensor:
    """A non-empty, finite 1-D sequence of numbers → float64 tensor."""
    if isinstance(alphas, (str, bytes)):
        raise TypeError(f"`{name}` must be a sequence of numbers or a 1-D tensor, got str.")
    try:
        a = torch.as_tensor(alphas, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"`{name}` must be a sequence of numbers or a 1-D tensor, got {type(alphas).__name__}."
        ) from err
    if a.ndim != 1 or a.numel() == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D sequence, got shape {tuple(a.shape)}.")
    if not bool(torch.isfinite(a).all()):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return a


def deprecated_alias(new_value, old_value, new: str, old: str, where: str, default=_MISSING):
    """Resolve a renamed keyword: warn when the old name is used, refuse both at once."""
    if old_value is _MISSING or old_value is None:
        return new_value
    if new_value is not None and new_value is not default:
        raise TypeError(f"{where}: pass `{new}` only (`{old}` is its deprecated old name).")
    warnings.warn(
        f"{where}: `{old}=` is deprecated and will be removed in the next release; use `{new}=`.",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value


def legacy_positional(where: str, values: tuple, current: dict, defaults: dict) -> dict:
    """Options passed positionally under the old signature → keywords (with a warning).

    ``current`` holds the keyword values as received, ``defaults`` their defaults (in
    the old positional order). A keyword given a non-default value as well as
    positionally is an error.
    """
    if not values:
        return current
    names = list(defaults)
    if len(values) > len(names):
        raise TypeError(f"{where} takes at most {len(names) + 2} positional arguments.")
    out = dict(current)
    for name, value in zip(names, values, strict=False):
        if current[name] is not defaults[name] and current[name] != defaults[name]:
            raise TypeError(f"{where} got multiple values for `{name}`.")
        out[name] = value
    warnings.warn(
        f"{where}: passing {', '.join(names[: len(values)])} positionally is deprecated; pass "
        f"them as keywords ({names[0]}=...).",
        DeprecationWarning,
        stacklevel=3,
    )
    return out
