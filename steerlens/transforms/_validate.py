"""Argument checks private to the transforms (on top of :mod:`steerlens._checks`)."""

from __future__ import annotations

import numbers

import torch
from torch import Tensor

from .._checks import check_even_size

__all__: list[str] = []

#: dtypes that torch.fft (and the pyramid's masks) do not handle everywhere: they
#: are computed in float32 and the images cast back.
HALF_DTYPES = (torch.float16, torch.bfloat16)


def check_image_shape(value, name: str = "image_shape") -> tuple[int, int]:
    """``(H, W)``: two even integers ≥ 8 (a ``torch.Size`` or a tensor shape is fine)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"`{name}` must be a pair of ints (H, W), e.g. x.shape[-2:], got {value!r}."
        )
    items = list(value)
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, Tensor)) or (
            isinstance(v, Tensor) and (v.numel() != 1 or v.is_floating_point())
        ):
            raise TypeError(
                f"`{name}` must be a pair of ints (H, W), e.g. x.shape[-2:], got {value!r}."
            )
    return check_even_size([int(v) for v in items], name)


def working_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype computations run in: float32 for half precision, else ``dtype`` itself."""
    return torch.float32 if dtype in HALF_DTYPES else dtype
