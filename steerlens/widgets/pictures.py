"""Pictures for ipywidgets: PNG bytes of images, signed changes and figures."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from .._images import tile_uint8, to_uint8_rgb

__all__ = ["png_bytes"]


def _to_uint8(image: Tensor | np.ndarray) -> np.ndarray:
    """``C×H×W``/``H×W`` tensor or ``H×W(×3)`` array in ``[0, 1]`` (or uint8) → ``H×W×3`` uint8."""
    return to_uint8_rgb(image, "image")


def png_bytes(image: Tensor | np.ndarray, min_size: int = 0) -> bytes:
    """Encode an image as PNG bytes (for ``ipywidgets.Image``), enlarged with sharp pixels.

    Parameters
    ----------
    image
        ``C×H×W`` (C = 1 or 3) or ``H×W`` tensor with values in ``[0, 1]``, or
        an ``H×W(×3)`` numpy array (floats in ``[0, 1]`` or ``uint8``).
    min_size
        Enlarge by the smallest integer factor that makes the shorter side at
        least this many pixels (nearest neighbour, so pixels stay square).

    Returns
    -------
    bytes

    Raises
    ------
    TypeError
        If ``image`` is not a tensor or array of real pixels, or ``min_size`` is not an int.
    ValueError
        If ``image`` is empty, has the wrong shape or holds NaN/inf, or ``min_size < 0``.

    Examples
    --------
    >>> import torch
    >>> data = png_bytes(torch.rand(1, 8, 8), min_size=32)
    >>> data[:4] == b"\\x89PNG"
    True
    """
    from PIL import Image

    if isinstance(min_size, bool) or not isinstance(min_size, (int, np.integer)):
        raise TypeError(f"`min_size` must be an int (pixels), got {type(min_size).__name__}.")
    if min_size < 0:
        raise ValueError(f"`min_size` must be ≥ 0 pixels, got {min_size}.")
    array = _to_uint8(image)
    picture = Image.fromarray(array)
    scale = max(1, -(-int(min_size) // min(array.shape[:2]))) if min_size else 1
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _diverging_lut() -> np.ndarray:
    """256×3 uint8 colours of matplotlib's ``RdBu_r`` (blue < 0 < red)."""
    from matplotlib import colormaps

    return (colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256))[:, :3] * 255 + 0.5).astype(np.uint8)


def _signed_picture(difference: Tensor, limit: float | None = None) -> tuple[np.ndarray, float]:
    """A signed ``C×H×W`` change (mean over channels) → ``H×W×3`` uint8 ``RdBu_r``, and its limit."""
    d = difference.detach().to("cpu", torch.float32)
    d = d.mean(dim=0) if d.ndim == 3 else d
    if limit is None:
        limit = float(d.abs().max())
    limit = max(limit, 1e-6)
    index = ((d / limit).clamp(-1, 1) * 127.5 + 127.5).round().to(torch.uint8).numpy()
    return _diverging_lut()[index], limit


def _figure_png(figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)
    plt.close(figure)
    return buffer.getvalue()


def _rendered_png(picture, min_size: int) -> bytes:
    """What a render function returned → PNG bytes (tensor batch: tiles side by side)."""
    from matplotlib.figure import Figure

    if isinstance(picture, Figure):
        return _figure_png(picture)
    if isinstance(picture, Tensor) and picture.ndim == 4:
        row = tile_uint8(_to_uint8(p) for p in picture)
        return png_bytes(row, min_size)
    if isinstance(picture, (Tensor, np.ndarray)):
        return png_bytes(picture, min_size)
    raise TypeError(
        "the render function must return an image tensor (C×H×W, H×W or B×C×H×W in [0, 1]), a "
        f"numpy array or a matplotlib Figure, got {type(picture).__name__}."
    )
