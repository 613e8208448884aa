"""Fourier coordinates: the orthonormal half spectrum of a real image (``rfft2``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from .._checks import check_images
from ._base import Coefficients, Transform
from ._validate import check_image_shape, working_dtype

__all__ = ["Fourier"]


class Fourier(Transform):
    """The 2-D discrete Fourier transform of a real image (``torch.fft.rfft2``).

    The half spectrum keeps edited images real: ``irfft2`` imposes Hermitian
    symmetry. The orthonormal scaling makes the transform energy-preserving.

    Parameters
    ----------
    image_shape
        ``(H, W)``, both even.
    color
        ``"rgb"`` or ``"luminance"``.

    Raises
    ------
    TypeError
        If ``image_shape`` is not a pair of ints.
    ValueError
        If ``image_shape`` is not two even sizes ≥ 8, or ``color`` is not
        ``"rgb"`` or ``"luminance"``.

    Notes
    -----
    Half-precision images (``float16``, ``bfloat16``) are analysed in
    ``float32``: the coefficients are ``complex64``.

    Examples
    --------
    >>> import torch
    >>> f = Fourier((16, 16))
    >>> x = torch.rand(2, 1, 16, 16)
    >>> torch.allclose(f.synthesize(f.analyze(x)), x, atol=1e-6)
    True
    """

    def __init__(self, image_shape: Sequence[int], color: Literal["rgb", "luminance"] = "rgb"):
        super().__init__(color)
        self.image_shape = check_image_shape(image_shape)

    def analyze(self, x: Tensor) -> Coefficients:
        """The orthonormal half spectrum ``rfft2(x)`` as one complex band.

        Raises
        ------
        TypeError
            If ``x`` is not a floating-point tensor.
        ValueError
            If ``x`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            [0, 1], or its ``H×W`` is not ``image_shape``.
        """
        x = check_images(x, "x")
        self._check_shape(x)
        y, fixed = self._split_color(x.to(working_dtype(x.dtype)))
        return Coefficients([torch.fft.rfft2(y, norm="ortho")], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        """The images back from :meth:`analyze`'s coefficients (``irfft2``)."""
        y = torch.fft.irfft2(coeffs.bands[0], s=self.image_shape, norm="ortho")
        return self._merge_color(y, coeffs.fixed)

    def frequencies(self, device=None, dtype=torch.float32) -> tuple[Tensor, Tensor]:
        """Angular frequencies ``(ω_y, ω_x)`` in radians per pixel, shaped like a band.

        Examples
        --------
        >>> wy, wx = Fourier((8, 8)).frequencies()
        >>> tuple(wy.shape), float(wx[0, 1])
        ((8, 5), 0.7853981852531433)
        """
        h, w = self.image_shape
        wy = 2 * math.pi * torch.fft.fftfreq(h, device=device, dtype=dtype)
        wx = 2 * math.pi * torch.fft.rfftfreq(w, device=device, dtype=dtype)
        return wy[:, None].expand(h, wx.numel()), wx[None, :].expand(h, wx.numel())

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, color={self.color!r}"
