"""Helpers shared by the signal modules: sizes, wave vectors, grids."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .._checks import check_int

__all__: list[str] = []


def _shape(shape, name: str = "shape") -> tuple[int, ...]:
    """An int (1-D) or an ``(H, W)`` pair (2-D) of positive sizes."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"`{name}` must be an int (1-D) or a pair (H, W), got {shape!r}.") from None
    if len(dims) not in (1, 2):
        raise ValueError(f"`{name}` must be an int (1-D) or a pair (H, W), got {dims}.")
    for s in dims:
        check_int(s, name, minimum=2)
    return dims


def _wave_vector(wavelength: float, angle: float) -> tuple[float, float]:
    k = 2 * math.pi / wavelength
    return k * math.sin(angle), k * math.cos(angle)


def _grid(dims: tuple[int, ...], dtype: torch.dtype, device=None) -> list[Tensor]:
    axes = [torch.arange(n, dtype=dtype, device=device) for n in dims]
    return list(torch.meshgrid(*axes, indexing="ij")) if len(dims) == 2 else axes
