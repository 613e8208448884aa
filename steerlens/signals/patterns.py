"""Patterns with known local phase: gratings, Gabor patches, and a Gabor quadrature pair.

Values in ``[0, 1]``, 1-D or 2-D; patterns are evaluated analytically at
displaced coordinates (``shift=``), so their motion is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_choice, check_finite, check_int, check_positive, check_tensor
from ..resample import as_shift as _as_shift
from ._common import _grid, _shape, _wave_vector

__all__ = ["grating", "gabor_patch", "gabor_pair", "quadrature_response", "local_amplitude_phase"]

PATTERNS = ("gabor", "grating")
BOUNDARIES = ("circular", "reflect", "zeros")


def _pattern(
    kind: str,
    dims: tuple[int, ...],
    wavelength: float,
    angle: float,
    phase: float,
    sigma: float | None,
    center: Sequence[float] | None,
    contrast: float,
    shift: Tensor,
    dtype: torch.dtype,
) -> Tensor:
    """Evaluate a grating or Gabor patch at ``u − shift`` (``shift``: ``(..., ndim)``).

    Returns ``(...) × dims``; computed in float64, then cast.
    """
    coords = _grid(dims, torch.float64, device=shift.device)
    lead = shift.shape[:-1]
    pad = (None,) * len(dims)
    if len(dims) == 1:
        ks = (2 * math.pi / wavelength,)
    else:
        ks = _wave_vector(wavelength, angle)
    if center is None:
        center = [n / 2 for n in dims] if kind == "gabor" else [0.0] * len(dims)
    rel = [c - float(c0) - shift[(..., i, *pad)] for i, (c, c0) in enumerate(zip(coords, center, strict=True))]
    carrier = torch.cos(sum(k * r for k, r in zip(ks, rel, strict=True)) + phase)
    if kind == "gabor":
        s = wavelength if sigma is None else sigma
        carrier = carrier * torch.exp(-sum(r**2 for r in rel) / (2 * s**2))
    out = 0.5 + 0.5 * contrast * carrier
    return out.expand(*lead, *dims).to(dtype)


def grating(
    shape: int | Sequence[int],
    wavelength: float,
    angle: float = 0.0,
    phase: float = 0.0,
    contrast: float = 1.0,
    shift: float | Sequence[float] | Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A sinusoidal grating ``0.5 + 0.5·contrast·cos(ω·(u − shift) + phase)``.

    Parameters
    ----------
    shape
        ``n`` for a 1-D signal of length ``n``, ``(H, W)`` for an image.
    wavelength
        Period in pixels (``> 0``); ``ω = 2π / wavelength``.
    angle
        Orientation of the wave vector in radians (2-D only); ``0`` varies along ``x``.
    phase
        Phase in radians at the origin (pixel ``0`` or ``(0, 0)``).
    contrast
        Michelson contrast in ``[0, 1]``; values stay in ``[0, 1]``.
    shift
        Displacement of the content in pixels (a number in 1-D, ``(d_y, d_x)`` in
        2-D), or a stack ``T×ndim`` for ``T`` displaced copies; ``None`` is no shift.
    dtype
        Floating-point dtype of the result.

    Returns
    -------
    Tensor
        Shape ``(n,)`` or ``(H, W)``.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a pair of ints, ``wavelength`` or ``contrast`` is
        not a number, or ``shift`` is not numbers (e.g. a string).
    ValueError
        If ``shape`` is not ``n`` or ``(H, W)`` with sizes ≥ 2, ``wavelength`` is not
        finite and > 0, ``contrast`` is not in ``[0, 1]``, or ``shift`` does not have
        one coordinate per axis or holds NaN/inf.

    Examples
    --------
    >>> g = grating(8, wavelength=4.0)
    >>> [round(float(v), 3) for v in g[:4]]
    [1.0, 0.5, 0.0, 0.5]
    >>> tuple(grating((16, 32), wavelength=8.0, angle=0.5).shape)
    (16, 32)
    """
    dims = _shape(shape)
    check_positive(wavelength, "wavelength")
    _check_contrast(contrast)
    d = _as_shift([0.0] * len(dims) if shift is None else shift, len(dims))
    return _pattern("grating", dims, wavelength, angle, phase, None, None, contrast, d, dtype)


def gabor_patch(
    shape: int | Sequence[int],
    wavelength: float,
    sigma: float | None = None,
    angle: float = 0.0,
    phase: float = 0.0,
    center: Sequence[float] | None = None,
    contrast: float = 1.0,
    shift: float | Sequence[float] | Tensor | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A Gabor patch: a grating under a Gaussian envelope, on a mid-grey background.

    ``0.5 + 0.5·contrast·exp(−|r|²/2σ²)·cos(ω·r + phase)`` with
    ``r = u − center − shift``. Carrier and envelope move together.

    Parameters
    ----------
    shape
        ``n`` (1-D) or ``(H, W)``.
    wavelength
        Carrier period in pixels.
    sigma
        Envelope standard deviation in pixels; ``None`` means ``wavelength``
        (about 0.6 octave bandwidth: narrow-band, so one pyramid scale holds most of it).
    angle, phase, contrast, shift, dtype
        As in :func:`grating`; ``phase`` is the carrier phase at the centre.
    center
        Envelope centre in pixels; ``None`` is the middle, ``n/2`` or ``(H/2, W/2)``.

    Returns
    -------
    Tensor
        Shape ``(n,)`` or ``(H, W)``, values in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a pair of ints, ``wavelength``, ``sigma`` or
        ``contrast`` is not a number, or ``shift`` is not numbers (e.g. a string).
    ValueError
        If ``shape`` is not ``n`` or ``(H, W)`` with sizes ≥ 2, ``wavelength`` or
        ``sigma`` is not finite and > 0, ``contrast`` is not in ``[0, 1]``, ``center``
        does not have one coordinate per axis, or ``shift`` does not have one coordinate
        per axis or holds NaN/inf.

    Examples
    --------
    >>> p = gabor_patch((32, 32), wavelength=8.0, sigma=4.0)
    >>> round(float(p[16, 16]), 3), round(float(p[0, 0]), 3)
    (1.0, 0.5)
    """
    dims = _shape(shape)
    check_positive(wavelength, "wavelength")
    if sigma is not None:
        check_positive(sigma, "sigma")
    _check_contrast(contrast)
    if center is not None and len(center) != len(dims):
        raise ValueError(f"`center` must have {len(dims)} coordinates, got {tuple(center)}.")
    d = _as_shift([0.0] * len(dims) if shift is None else shift, len(dims))
    return _pattern("gabor", dims, wavelength, angle, phase, sigma, center, contrast, d, dtype)


def _check_contrast(contrast: float) -> None:
    check_positive(contrast, "contrast", allow_zero=True)
    if contrast > 1:
        raise ValueError(f"`contrast` must be in [0, 1] so values stay in [0, 1], got {contrast}.")


def gabor_pair(
    wavelength: float,
    sigma: float | None = None,
    size: int | None = None,
    angle: float | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    """An even (cosine) and odd (sine) Gabor filter: a quadrature pair.

    ``even + i·odd = g(r)·exp(i ω·r)`` with a Gaussian ``g`` and ``r`` measured
    from the filter's centre tap. The even filter has its mean removed (no
    response to a constant), and both are scaled so that a unit-amplitude
    sinusoid at the tuned frequency gives local amplitude 1.

    Parameters
    ----------
    wavelength
        Tuned period in pixels.
    sigma
        Gaussian standard deviation in pixels; ``None`` means ``wavelength / 2``
        (a bandwidth of about one octave).
    size
        Odd number of taps per side; ``None`` means ``2·⌈3σ⌉ + 1``.
    angle
        ``None`` for 1-D filters; an orientation in radians for 2-D filters
        (``size × size``), wave vector ``(2π/λ)(sin θ, cos θ)``.
    dtype
        Floating-point dtype.

    Returns
    -------
    tuple of Tensor
        ``(even, odd)``, each ``(size,)`` or ``(size, size)``.

    Raises
    ------
    TypeError
        If ``wavelength`` or ``sigma`` is not a number, or ``size`` is not an int.
    ValueError
        If ``wavelength`` or ``sigma`` is not finite and > 0, or ``size`` is < 3 or
        even.

    Examples
    --------
    >>> even, odd = gabor_pair(8.0)
    >>> even.shape == odd.shape, abs(float(even.sum())) < 1e-6
    (True, True)
    >>> tuple(gabor_pair(8.0, angle=0.0)[0].shape)
    (25, 25)
    """
    check_positive(wavelength, "wavelength")
    s = wavelength / 2 if sigma is None else check_positive(sigma, "sigma")
    if size is None:
        size = 2 * math.ceil(3 * s) + 1
    check_int(size, "size", minimum=3)
    if size % 2 == 0:
        raise ValueError(f"`size` must be odd so the filter has a centre tap, got {size}.")
    r = torch.arange(size, dtype=torch.float64) - size // 2
    if angle is None:
        rel = [r]
        ks = [2 * math.pi / wavelength]
    else:
        ry, rx = torch.meshgrid(r, r, indexing="ij")
        rel = [ry, rx]
        ks = list(_wave_vector(wavelength, angle))
    envelope = torch.exp(-sum(x**2 for x in rel) / (2 * s**2))
    arg = sum(k * x for k, x in zip(ks, rel, strict=True))
    even = envelope * torch.cos(arg)
    even = even - envelope * (even.sum() / envelope.sum())  # no DC response
    odd = envelope * torch.sin(arg)
    # response to exp(iω·u) is exp(iω·u)·Σ g·exp(i(ω0−ω)·r); at ω = ω0 it is Σ g,
    # and a cosine splits its amplitude over ±ω0: scale so its local amplitude is 1.
    scale = 2 / envelope.sum()
    return (even * scale).to(dtype), (odd * scale).to(dtype)


def quadrature_response(
    signal: Tensor,
    wavelength: float,
    sigma: float | None = None,
    angle: float | None = None,
    boundary: Literal["circular", "reflect", "zeros"] = "circular",
) -> Tensor:
    """Convolve a signal with a Gabor quadrature pair: ``(even + i·odd) ∗ signal``.

    The complex response ``ρ·exp(iφ)`` gives the local amplitude ``ρ`` and
    local phase ``φ``. For ``cos(ω·u + φ0)`` at the tuned frequency,
    ``φ(u) = ω·u + φ0`` (wrapped) and ``ρ = 1``; shifting the signal by ``d``
    changes the phase by ``−ω·d``.

    Parameters
    ----------
    signal
        Real tensor ``(..., n)`` (1-D, ``angle=None``) or ``(..., H, W)`` (2-D).
    wavelength, sigma, angle
        As in :func:`gabor_pair`.
    boundary
        How the signal is extended past its ends: ``"circular"`` (periodic,
        exact for periodic signals), ``"reflect"`` or ``"zeros"``.

    Returns
    -------
    Tensor
        Complex, same shape as ``signal``.

    Raises
    ------
    TypeError
        If ``signal`` is not a floating-point tensor, or ``wavelength`` or
        ``sigma`` is not a number.
    ValueError
        If ``signal`` holds NaN/inf or has fewer dimensions than the filters
        (1 with ``angle=None``, else 2), ``boundary`` is not ``"circular"``,
        ``"reflect"`` or ``"zeros"``, ``wavelength`` or ``sigma`` is not finite
        and > 0, or (``boundary`` other than ``"zeros"``) the filter is longer
        than the signal.

    Examples
    --------
    >>> import math, torch
    >>> x = torch.cos(2 * math.pi * torch.arange(64) / 8)
    >>> c = quadrature_response(x, wavelength=8.0)
    >>> round(float(c.abs().mean()), 3), round(float(c[2].angle()), 3)  # φ(2) = 2π·2/8
    (1.0, 1.571)
    """
    check_tensor(signal, "signal")
    check_finite(signal, "signal")
    check_choice(boundary, "boundary", BOUNDARIES)
    nd = 1 if angle is None else 2
    if signal.ndim < nd:
        raise ValueError(
            f"`signal` must have at least {nd} dimension(s) for {'1-D' if nd == 1 else '2-D'} "
            f"filters, got shape {tuple(signal.shape)}."
        )
    even, odd = gabor_pair(wavelength, sigma, angle=angle, dtype=torch.float64)
    kernel = torch.stack([even, odd])[:, None]  # 2×1×k(×k)
    size = kernel.shape[-1]
    spatial = tuple(signal.shape[-nd:])
    p = size // 2
    if boundary != "zeros" and any(p >= n for n in spatial):
        raise ValueError(
            f"the filter ({size} taps) is too long for a signal of size {spatial} with "
            f"boundary={boundary!r}; use a smaller `sigma` or `size`, or boundary='zeros'."
        )
    lead = signal.shape[:-nd]
    x = signal.reshape(-1, 1, *spatial).to(torch.float64)
    mode = {"circular": "circular", "reflect": "reflect", "zeros": "constant"}[boundary]
    x = F.pad(x, (p, p) * nd, mode=mode)
    conv = F.conv1d if nd == 1 else F.conv2d
    # conv*d computes a correlation; flipping the kernel makes it a convolution.
    out = conv(x, kernel.flip(list(range(2, 2 + nd))))
    response = torch.complex(out[:, 0], out[:, 1]).reshape(*lead, *spatial)
    ctype = torch.complex64 if signal.dtype in (torch.float32, torch.float16, torch.bfloat16) else torch.complex128
    return response.to(ctype)


def local_amplitude_phase(
    signal: Tensor,
    wavelength: float,
    sigma: float | None = None,
    angle: float | None = None,
    boundary: Literal["circular", "reflect", "zeros"] = "circular",
) -> tuple[Tensor, Tensor]:
    """Local amplitude ``ρ`` and phase ``φ ∈ (−π, π]`` from a Gabor quadrature pair.

    See :func:`quadrature_response` for the arguments. Where ``ρ = 0`` the
    phase is undefined; it is returned as ``0`` (never NaN).

    Raises
    ------
    TypeError
        As :func:`quadrature_response`.
    ValueError
        As :func:`quadrature_response`.

    Examples
    --------
    >>> import torch
    >>> x = grating(64, wavelength=8.0, phase=0.3)
    >>> rho, phi = local_amplitude_phase(x, wavelength=8.0)
    >>> round(float(rho.mean()), 3), round(float(phi[0]), 3)  # contrast 1 → amplitude 0.5
    (0.5, 0.3)
    """
    c = quadrature_response(signal, wavelength, sigma, angle, boundary)
    return c.abs(), c.angle()
