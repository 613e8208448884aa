"""Synthetic signals and videos whose motion is known exactly.

Three kinds of things live here, all used by the motion chapters and the tests:

* **Patterns** — sinusoidal gratings and Gabor patches (1-D or 2-D, values in
  ``[0, 1]``), and a quadrature pair of Gabor filters with the local amplitude
  and phase they measure (:func:`gabor_pair`, :func:`local_amplitude_phase`).
* **Videos with known motion** — a pattern moved by a known sub-pixel
  displacement ``δ(t)`` (:func:`moving_pattern`, usually with
  :func:`sinusoidal_displacement`), and a shipped natural image under a known
  tiny smooth warp (:func:`warped_image`). Videos are ``T×C×H×W`` tensors in
  ``[0, 1]``. Sub-pixel motion is exact: analytic patterns are evaluated at the
  displaced coordinates, images are moved by a Fourier phase ramp
  (:func:`translate`) or by evaluating their trigonometric interpolant at the
  warped positions (:func:`warp`) — never by nearest-neighbour or bilinear
  resampling.
* **A displacement meter** — :func:`measure_shift` estimates the global
  sub-pixel translation between two frames from the phase of their
  cross-power spectrum; :func:`displacement_gain` turns a whole clip's
  measured shifts into one number, the factor by which a processed video
  moves more than the known displacement (``1 + α`` for an ideal magnifier).

Conventions
-----------
Positions are ``(y, x)`` = (row, column) in pixels, with ``y`` pointing down.
A displacement ``d = (d_y, d_x)`` moves content *forward*: the displaced
frame is ``I_d(u) = I(u − d)``. A band tuned to the angular frequency ``ω``
then sees its local phase change by ``Δφ = −ω·d``. Orientation angles are in
radians: a grating with ``angle=θ`` has the wave vector
``ω = (2π/λ)(sin θ, cos θ)``, so ``angle=0`` gives vertical stripes that vary
along ``x``.

The package has one module per idea (every name is available from here):
:mod:`~steerlens.signals.patterns` (gratings, Gabor patches, quadrature
pairs), :mod:`~steerlens.signals.motion` (displacements, moving patterns,
warped images, the displacement gain). :func:`translate`, :func:`warp` and
:func:`measure_shift` live in :mod:`steerlens.resample` (one home for
resampling) and are re-exported here.

Examples
--------
>>> import torch
>>> from steerlens import signals
>>> d = signals.sinusoidal_displacement(16, amplitude=0.3, frequency=2.0, fs=16.0)
>>> clip = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)
>>> tuple(clip.video.shape), tuple(clip.displacement.shape)
((16, 1, 32, 32), (16, 2))
>>> est = signals.measure_shift(clip.video, clip.video[0])
>>> bool((est - d).abs().max() < 1e-3)
True
"""

from ..resample import measure_envelope_shift, measure_shift, translate, warp
from .motion import (
    MotionClip,
    displacement_gain,
    moving_pattern,
    natural_image,
    sinusoidal_displacement,
    smooth_displacement_field,
    warped_image,
)
from .patterns import gabor_pair, gabor_patch, grating, local_amplitude_phase, quadrature_response

__all__ = [
    "MotionClip",
    "grating",
    "gabor_patch",
    "gabor_pair",
    "quadrature_response",
    "local_amplitude_phase",
    "sinusoidal_displacement",
    "translate",
    "warp",
    "moving_pattern",
    "natural_image",
    "smooth_displacement_field",
    "warped_image",
    "measure_shift",
    "measure_envelope_shift",
    "displacement_gain",
]
