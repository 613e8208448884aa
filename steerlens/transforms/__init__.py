"""Coordinate systems for images: pixels, Fourier, complex steerable pyramid, smooth flow.

Every transform has the same interface:

``analyze(x) -> Coefficients``
    Decompose a batch of images ``B×C×H×W`` (values in ``[0, 1]``).
``synthesize(coeffs) -> x``
    Invert :meth:`analyze` (to float32 round-off for even image sizes).
``polar_edit(coeffs, eta=None, delta=None) -> Coefficients``
    Multiply every editable coefficient ``c⁰`` by ``exp(η + iδ)``: ``δ`` is a
    phase increment (radians) and ``η`` a log-amplitude increment. Residual
    bands stay fixed. The parameterisation never divides by an amplitude, so
    near-zero coefficients give no NaN (and exactly-zero coefficients stay zero).

:class:`Flow` shares the interface but is not a linear transform: its
coordinates are a coarse control field of displacements that warps a source
kept among the fixed parts (``synthesize`` warps, ``analyze`` returns a zero
field), so edits of it are pure motions.

Colour is handled here too: ``color="rgb"`` decomposes every channel,
``color="luminance"`` converts RGB to YIQ, decomposes only the luminance ``Y``
and keeps the chroma ``I, Q`` untouched (the choice of the seed paper's authors
for natural images). Grey images (one channel) ignore the setting.

Modules of the transforms
-------------------------
``_base``
    :class:`Coefficients`, the :class:`Transform` interface (analysis,
    synthesis, the polar edit) and the YIQ colour conversion.
``pixel``, ``fourier``, ``pyramid``
    :class:`Pixel`, :class:`Fourier` and :class:`CSP`.
``_steer``
    Steering: :func:`steering_weights` (the ``cos^order`` interpolation
    weights) and :func:`steer_bands` (a complex band at any orientation from
    one scale's basis bands; :meth:`CSP.steer` calls it).
``warp``
    :class:`Flow`: a bicubically upsampled control grid of displacements and
    the differentiable (bilinear, border-padded) warp it drives.
``_masks``
    The pyramid's frequency masks, derived analytically in float64 and
    cached (a bounded LRU cache) per configuration.
``_validate``
    Argument checks private to the transforms.
"""

from __future__ import annotations

from ._base import COLOR_MODES, Coefficients, Transform, rgb_to_yiq, yiq_to_rgb
from ._steer import steer_bands, steering_weights
from .fourier import Fourier
from .pixel import Pixel
from .pyramid import CSP, clear_pyramid_cache
from .warp import Flow

__all__ = [
    "COLOR_MODES",
    "Coefficients",
    "Transform",
    "Pixel",
    "Fourier",
    "CSP",
    "Flow",
    "rgb_to_yiq",
    "yiq_to_rgb",
    "clear_pyramid_cache",
    "steer_bands",
    "steering_weights",
]
