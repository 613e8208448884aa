"""Image → array conversions shared by :mod:`steerlens.plot` and :mod:`steerlens.widgets`.

One place decides how a picture becomes pixels: a ``C×H×W`` / ``H×W`` tensor
or an ``H×W(×C)`` array; floats are read as ``[0, 1]`` and clipped, ``uint8``
as ``0 … 255`` (divided by 255, never clipped to all-ones); NaN/inf, empty
images and other dtypes are rejected with a message naming the argument.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__: list[str] = []


def as_float_image(image, name: str = "image") -> np.ndarray:
    """``H×W`` (grey) or ``H×W×3`` float32 array in ``[0, 1]`` from a tensor or an array.

    Tensors are channels-first (``C×H×W`` with ``C`` = 1 or 3, or ``H×W``); arrays are
    channels-last (``H×W``, ``H×W×1``, ``H×W×3`` or ``H×W×4``, alpha dropped).
    """
    if isinstance(image, Tensor):
        if torch.is_complex(image) or image.dtype == torch.bool:
            raise TypeError(f"`{name}` must hold real pixel values, got dtype {image.dtype}.")
        x = image.detach().cpu()
        if x.ndim == 3 and x.shape[0] in (1, 3):
            x = x[0] if x.shape[0] == 1 else x.permute(1, 2, 0)
        elif x.ndim != 2:
            raise ValueError(
                f"`{name}` must be C×H×W (C = 1 or 3) or H×W, got shape {tuple(image.shape)}."
            )
        array = x.numpy() if x.dtype != torch.bfloat16 else x.float().numpy()
    elif isinstance(image, np.ndarray):
        array = image
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise ValueError(f"`{name}` must be an H×W or H×W×C array, got shape {array.shape}.")
        if array.ndim == 3:
            array = array[..., 0] if array.shape[2] == 1 else array[..., :3]
    else:
        raise TypeError(
            f"`{name}` must be a torch.Tensor or numpy array, got {type(image).__name__}."
        )
    if array.size == 0:
        raise ValueError(f"`{name}` is empty (shape {tuple(array.shape)}); pass at least one pixel.")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype.kind not in "fiu":
        raise TypeError(
            f"`{name}` must hold floats in [0, 1] or uint8 pixels, got dtype {array.dtype}."
        )
    if array.dtype.kind in "iu":
        raise TypeError(
            f"`{name}` holds integers of dtype {array.dtype}; pass floats in [0, 1] or uint8 "
            f"(e.g. {name}.astype('uint8') for 8-bit pixels)."
        )
    out = np.asarray(array, dtype=np.float32)
    if not np.isfinite(out).all():
        raise ValueError(
            f"`{name}` contains NaN or infinite values; clean it first "
            f"(e.g. torch.nan_to_num({name}).clamp(0, 1))."
        )
    return np.clip(out, 0.0, 1.0)


def to_uint8_rgb(image, name: str = "image") -> np.ndarray:
    """``H×W×3`` uint8 (grey repeated) from anything :func:`as_float_image` accepts."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.size:
        array = image
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise ValueError(f"`{name}` must be an H×W or H×W×C array, got shape {array.shape}.")
    else:
        array = (as_float_image(image, name) * 255 + 0.5).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[..., :3])


def tile_uint8(pictures, gap: int = 2) -> np.ndarray:
    """``H×W×3`` uint8 pictures of one height side by side, ``gap`` white pixels between."""
    pictures = list(pictures)
    if not pictures:
        raise ValueError("nothing to tile: pass at least one image.")
    h = pictures[0].shape[0]
    if any(p.shape[0] != h for p in pictures):
        raise ValueError(
            f"images to tile side by side must share a height, got {[p.shape[0] for p in pictures]}."
        )
    spacer = np.full((h, gap, 3), 255, dtype=np.uint8)
    parts = [pictures[0]]
    for p in pictures[1:]:
        parts += [spacer, p]
    return np.concatenate(parts, axis=1)
