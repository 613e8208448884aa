"""Input validation shared by every module.

Each check raises a :class:`ValueError` or :class:`TypeError` whose message
names the offending argument and says how to fix it, so that bad input never
surfaces as a traceback from deep inside torch or as a silent NaN.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch

__all__: list[str] = []

_RANGE_TOL = 1e-5


def check_tensor(x, name: str = "x") -> torch.Tensor:
    """Require a floating-point torch tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"`{name}` must be a torch.Tensor, got {type(x).__name__}; "
            f"convert it with torch.as_tensor({name}, dtype=torch.float32)."
        )
    if not torch.is_floating_point(x):
        raise TypeError(
            f"`{name}` must have a floating-point dtype, got {x.dtype}; "
            f"convert it with {name}.float() (and divide by 255 if it holds 8-bit pixels)."
        )
    return x


def check_finite(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """Reject NaN and infinite values."""
    if not bool(torch.isfinite(x).all()):
        raise ValueError(
            f"`{name}` contains NaN or infinite values; clean the input "
            f"(e.g. torch.nan_to_num({name}).clamp(0, 1))."
        )
    return x


def check_images(
    x,
    name: str = "x",
    channels: Sequence[int] | None = (1, 3),
    value_range: bool = True,
) -> torch.Tensor:
    """Validate a batch of images ``B×C×H×W`` with values in ``[0, 1]``."""
    check_tensor(x, name)
    if x.ndim != 4:
        hint = ""
        if x.ndim == 3:
            hint = f" For a single image use {name}.unsqueeze(0)."
        elif x.ndim == 2:
            hint = f" For a single grey image use {name}[None, None]."
        raise ValueError(
            f"`{name}` must be a 4-D tensor B×C×H×W, got shape {tuple(x.shape)}.{hint}"
        )
    if channels is not None and x.shape[1] not in channels:
        raise ValueError(
            f"`{name}` must have {' or '.join(map(str, channels))} channels (dimension 1 of "
            f"B×C×H×W), got {x.shape[1]}; if the channels are last, use {name}.permute(0, 3, 1, 2)."
        )
    if x.shape[0] == 0:
        raise ValueError(f"`{name}` is an empty batch (B = 0); pass at least one image.")
    check_finite(x, name)
    if value_range:
        lo, hi = float(x.min()), float(x.max())
        if lo < -_RANGE_TOL or hi > 1 + _RANGE_TOL:
            raise ValueError(
                f"`{name}` must hold values in [0, 1], got [{lo:.3g}, {hi:.3g}]; rescale it "
                f"(divide 8-bit images by 255) and put any normalisation inside the model "
                f"or pass it as `preprocess=`."
            )
    return x


def check_even_size(shape: Sequence[int], name: str = "image_shape") -> tuple[int, int]:
    """Require two even, positive spatial sizes."""
    if len(shape) != 2:
        raise ValueError(f"`{name}` must be (H, W), got {tuple(shape)}.")
    h, w = (int(s) for s in shape)
    if h < 8 or w < 8:
        raise ValueError(f"`{name}` must be at least 8×8, got {h}×{w}; upsample or pad the image.")
    if h % 2 or w % 2:
        raise ValueError(
            f"`{name}` must have even height and width, got {h}×{w}: odd sizes do not "
            f"reconstruct exactly. Crop or pad to an even size first "
            f"(e.g. x[..., :{h - h % 2}, :{w - w % 2}])."
        )
    return h, w


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """Require one of a fixed set of strings."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(c) for c in choices)}; got {value!r}."
        )
    return value


def check_number(value, name: str) -> float:
    """A finite real number: Python and NumPy ints and floats, or a one-element real tensor."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}.")
    return value


def check_positive(value, name: str, allow_zero: bool = False) -> float:
    """Require a finite positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be finite and {bound}, got {value}.")
    return value


def check_int(value, name: str, minimum: int | None = None) -> int:
    """Require an integer, optionally at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be an int, got {type(value).__name__}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be ≥ {minimum}, got {value}.")
    return value
