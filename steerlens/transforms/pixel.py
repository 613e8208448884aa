"""Pixel coordinates: the identity transform (edits are additive)."""

from __future__ import annotations

from torch import Tensor

from .._checks import check_images
from ._base import Coefficients, Transform
from ._validate import working_dtype

__all__ = ["Pixel"]


class Pixel(Transform):
    """The identity transform: the image's own pixels are the coordinates.

    Pixel coordinates are real, so edits are additive (``x₀ + Δ``).
    Half-precision images are analysed in ``float32``.

    Examples
    --------
    >>> import torch
    >>> px = Pixel()
    >>> x = torch.rand(1, 3, 8, 8)
    >>> torch.equal(px.synthesize(px.analyze(x)), x)
    True
    """

    polar = False

    def analyze(self, x: Tensor) -> Coefficients:
        x = check_images(x, "x")
        y, fixed = self._split_color(x.to(working_dtype(x.dtype)))
        return Coefficients([y], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        return self._merge_color(coeffs.bands[0], coeffs.fixed)
