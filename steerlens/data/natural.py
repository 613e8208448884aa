"""Natural images that ship inside ``scikit-image`` and ``plenoptic`` (no download needed).

Only images whose files are inside the installed packages are offered;
scikit-image also knows images that it downloads on first use (``eagle``,
``skin``, ``lily``, ...): asking for one of those raises a clear error
instead of touching the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_even_size, check_tensor
from ..resample import luminance

__all__ = ["natural_image", "natural_image_names", "to_grayscale"]

# name -> (package, loader function, has colour)
_IMAGES: dict[str, tuple[str, str, bool]] = {
    "astronaut": ("skimage", "astronaut", True),
    "brick": ("skimage", "brick", False),
    "camera": ("skimage", "camera", False),
    "cat": ("skimage", "cat", True),  # the same photograph as "chelsea"
    "chelsea": ("skimage", "chelsea", True),
    "clock": ("skimage", "clock", False),
    "coffee": ("skimage", "coffee", True),
    "coins": ("skimage", "coins", False),
    "grass": ("skimage", "grass", False),
    "gravel": ("skimage", "gravel", False),
    "hubble_deep_field": ("skimage", "hubble_deep_field", True),
    "immunohistochemistry": ("skimage", "immunohistochemistry", True),
    "moon": ("skimage", "moon", False),
    "page": ("skimage", "page", False),
    "retina": ("skimage", "retina", True),
    "rocket": ("skimage", "rocket", True),
    "text": ("skimage", "text", False),
    "einstein": ("plenoptic", "einstein", False),
    "curie": ("plenoptic", "curie", False),
    "parrot": ("plenoptic", "parrot", False),
    "reptile_skin": ("plenoptic", "reptile_skin", False),
    "macaque": ("plenoptic", "macaque", True),
}

# Images that scikit-image (0.2x) fetches from the internet on first use.
_NEEDS_DOWNLOAD = (
    "brain",
    "cells3d",
    "eagle",
    "human_mitosis",
    "kidney",
    "lily",
    "nickel_solidification",
    "palisades_of_vogt",
    "protein_transport",
    "skin",
    "vortex",
)

def natural_image_names(color: bool | None = None) -> list[str]:
    """Names accepted by :func:`natural_image`, all available offline.

    Parameters
    ----------
    color
        ``None`` for all, ``True`` for colour photographs only, ``False`` for
        grey ones only.

    Examples
    --------
    >>> "astronaut" in natural_image_names(color=True), "einstein" in natural_image_names()
    (True, True)
    """
    return sorted(n for n, (_, _, c) in _IMAGES.items() if color is None or c == color)


def to_grayscale(x: Tensor) -> Tensor:
    """Luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` of ``B×3×H×W`` images (``B×1×H×W``).

    One-channel input is returned unchanged (the same as
    :func:`steerlens.resample.luminance` on ``B×C×H×W``).

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor.
    ValueError
        If ``x`` is not ``B×1×H×W`` or ``B×3×H×W``.

    Examples
    --------
    >>> to_grayscale(torch.ones(1, 3, 4, 4)).shape
    torch.Size([1, 1, 4, 4])
    """
    check_tensor(x, "x")
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"`x` must be B×1×H×W or B×3×H×W, got shape {tuple(x.shape)}.")
    return luminance(x)


def _check_name(name, arg: str = "name") -> str:
    if not isinstance(name, str):
        raise TypeError(f"`{arg}` must name an image (a string), got {type(name).__name__}.")
    if name in _IMAGES:
        return name
    valid = ", ".join(natural_image_names())
    if name in _NEEDS_DOWNLOAD:
        raise ValueError(
            f"`{arg}`: natural image {name!r} is not shipped inside scikit-image: it would need a download "
            f"(scikit-image fetches it from the internet on first use), which steerlens never "
            f"does. Use one of the offline images: {valid}."
        )
    raise ValueError(f"`{arg}`: unknown natural image {name!r}; valid names: {valid}.")


@lru_cache(maxsize=8)
def _load(name: str) -> Tensor:
    package, loader, _ = _IMAGES[name]
    if package == "skimage":
        import skimage.data

        arr = getattr(skimage.data, loader)()
        x = torch.as_tensor(arr).float() / 255.0
        x = x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[None, :3]
    else:
        import plenoptic.data

        x = getattr(plenoptic.data, loader)(as_gray=not _IMAGES[name][2]).float()
    return x.clamp(0, 1).contiguous()


def _centre_crop(x: Tensor, aspect: float) -> Tensor:
    """Largest centred crop of ``x`` with height / width = ``aspect``."""
    h, w = x.shape[-2:]
    if h / w > aspect:
        ch, cw = round(w * aspect), w
    else:
        ch, cw = h, round(h / aspect)
    top, left = (h - ch) // 2, (w - cw) // 2
    return x[..., top : top + ch, left : left + cw]


def natural_image(
    name: str,
    size: int | Sequence[int] | None = None,
    gray: bool = False,
) -> Tensor:
    """Load a natural image that ships with scikit-image or plenoptic.

    Parameters
    ----------
    name
        One of :func:`natural_image_names` (e.g. ``"astronaut"``, ``"camera"``,
        ``"einstein"``).
    size
        ``None`` keeps the native size (cropping one row or column if needed so
        that both sizes are even); an int ``S`` crops the centred square and
        resizes it to ``S×S``; ``(H, W)`` crops the centred region with aspect
        ``H/W`` and resizes it to ``H×W``. Sizes must be even. Resizing is
        bilinear with antialiasing.
    gray
        Convert colour images to luminance (``0.299 R + 0.587 G + 0.114 B``).
        Grey images always have one channel.

    Returns
    -------
    Tensor
        ``1×C×H×W`` float32 in ``[0, 1]``; ``C`` is 3 for colour images
        (unless ``gray``), 1 for grey ones.

    Raises
    ------
    TypeError
        If ``name`` is not a string or ``size`` is not an int, a pair or ``None``.
    ValueError
        For an unknown name, an image that would need a download, a ``size``
        sequence that is not ``(H, W)``, or an odd or too small size.

    Examples
    --------
    >>> natural_image("astronaut", size=64).shape
    torch.Size([1, 3, 64, 64])
    >>> natural_image("coffee", size=(32, 48), gray=True).shape
    torch.Size([1, 1, 32, 48])
    >>> natural_image("parrot").shape  # native 254×266
    torch.Size([1, 1, 254, 266])
    """
    name = _check_name(name)
    if size is None:
        x = _load(name)
        x = luminance(x) if gray else x
        h, w = x.shape[-2:]
        return x[..., : h - h % 2, : w - w % 2].clone()
    if isinstance(size, (bool, str)) or not isinstance(size, (int, Sequence)):
        raise TypeError(f"`size` must be an int, (H, W) or None, got {type(size).__name__}.")
    target = (size, size) if isinstance(size, int) else tuple(size)
    return resized(name, check_even_size(target, "size"), gray)


def resized(name: str, shape: tuple[int, int], gray: bool) -> Tensor:
    """The one loader behind both ``natural_image`` functions: ``1×C×H×W`` in ``[0, 1]``.

    Crops the centred region with aspect ``H/W`` and resizes it (bilinear,
    antialiased) to ``shape``; any positive size, even or odd.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        For an unknown name or an image that would need a download.
    """
    name = _check_name(name)
    x = _load(name)
    if gray:
        x = luminance(x)
    th, tw = shape
    x = _centre_crop(x, th / tw)
    if tuple(x.shape[-2:]) != (th, tw):
        x = F.interpolate(x, size=(th, tw), mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(0, 1).contiguous()
