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

    Parameters
    ----------
    color
        ``"rgb"`` or ``"luminance"``.

    Raises
    ------
    ValueError
        If ``color`` is not ``"rgb"`` or ``"luminance"``.

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
        """The images themselves as one real band (the chroma kept apart in luminance mode).

        Raises
        ------
        TypeError
            If ``x`` is not a floating-point tensor.
        ValueError
            If ``x`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            ``[0, 1]``.
        """
        x = check_images(x, "x")
        y, fixed = self._split_color(x.to(working_dtype(x.dtype)))
        return Coefficients([y], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        """The images back from :meth:`analyze`'s coefficients."""
        return self._merge_color(coeffs.bands[0], coeffs.fixed)
