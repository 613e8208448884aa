"""Resampling primitives with one implementation each: shift, measure a shift, blur, luminance.

Every module that moves, compares, smooths or greys images calls these:

* :func:`translate` — exact sub-pixel translation with a Fourier phase ramp
  (the band-limited periodic interpolant; used by :mod:`steerlens.signals`
  and by :class:`steerlens.data.NaturalShifts`);
* :func:`warp` — exact warp by a displacement field (the same interpolant,
  evaluated through its Taylor series; used by :mod:`steerlens.signals`);
* :func:`measure_shift` — the global sub-pixel translation between a frame
  and a reference, from the phase of their cross-power spectrum (used by
  :func:`steerlens.signals.measure_shift` and
  :func:`steerlens.data.estimate_shift`);
* :func:`measure_envelope_shift` — the global translation of a pattern's
  *envelope* (where its local energy lies), blind to its carrier phase: the
  ruler to check a phase edit with, since a phase ruler cannot tell a moved
  carrier from a moved pattern;
* :func:`gaussian_blur` — a separable Gaussian, either with replicated edges
  (a truncated spatial kernel) or circular (exact, in the Fourier domain);
* :func:`luminance` — ``Y = 0.299 R + 0.587 G + 0.114 B`` (the Y row of YIQ).

Conventions
-----------
Positions are ``(y, x)`` = (row, column) in pixels, ``y`` pointing down. A
displacement ``d`` moves content *forward*: ``I_d(u) = I(u − d)``.

Examples
--------
>>> import torch
>>> from steerlens import resample
>>> x = torch.rand(1, 16, 16)
>>> moved = resample.translate(x, (0.0, 2.0))
>>> bool(torch.allclose(moved, torch.roll(x, 2, dims=-1), atol=1e-6))
True
>>> [round(float(v), 3) + 0.0 for v in resample.measure_shift(moved, x)]
[0.0, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_choice, check_finite, check_int, check_positive, check_tensor

__all__ = [
    "translate",
    "warp",
    "measure_shift",
    "measure_envelope_shift",
    "gaussian_blur",
    "luminance",
    "LUMA",
]

#: Luminance weights of (R, G, B): the Y row of NTSC YIQ (as in ``steerlens.transforms``).
LUMA = (0.299, 0.587, 0.114)
BOUNDARIES = ("replicate", "circular")


# ---------------------------------------------------------------------------
# translation
# ---------------------------------------------------------------------------


def spectral_coords(h: int, w: int, device=None) -> tuple[Tensor, Tensor]:
    """Angular frequencies (rad/px) of ``fft2`` along ``y`` and ``x``, float64."""
    wy = 2 * math.pi * torch.fft.fftfreq(h, dtype=torch.float64, device=device)
    wx = 2 * math.pi * torch.fft.fftfreq(w, dtype=torch.float64, device=device)
    return wy, wx


def as_shift(shift, ndim: int, name: str = "shift") -> Tensor:
    """A displacement as a float64 CPU tensor ``(..., ndim)``; clean errors naming ``name``."""
    if isinstance(shift, Tensor):
        if torch.is_complex(shift) or shift.dtype == torch.bool:
            raise TypeError(f"`{name}` must hold real numbers (pixels), got dtype {shift.dtype}.")
        shift = shift.detach().cpu()
    elif isinstance(shift, (str, bytes)) or shift is None:
        raise TypeError(
            f"`{name}` must be {'(d_y, d_x)' if ndim == 2 else 'a number'} in pixels "
            f"(numbers, a sequence or a tensor), got {type(shift).__name__} {shift!r}."
        )
    try:
        d = torch.as_tensor(shift, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"`{name}` must be {'(d_y, d_x)' if ndim == 2 else 'a number'} in pixels "
            f"(numbers, a sequence or a tensor), got {type(shift).__name__}: {err}."
        ) from None
    if ndim == 1 and (d.ndim == 0 or d.shape[-1] != 1):
        d = d[..., None]
    if d.ndim == 0 or d.shape[-1] != ndim:
        want = "(d_y, d_x)" if ndim == 2 else "a number"
        raise ValueError(f"`{name}` must be {want} (or a stack of them), got shape {tuple(d.shape)}.")
    if not bool(torch.isfinite(d).all()):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return d


def _shift_ramp(omega: Tensor, d: Tensor) -> Tensor:
    """``exp(−iω·d)`` along one axis (``d``: ``(T,)`` → ``T×n``), ``cos(πd)`` at Nyquist.

    ``cos`` at an even size's Nyquist term is the symmetric (real) trigonometric
    interpolant: it keeps real images real.
    """
    ramp = torch.exp(-1j * d[:, None] * omega[None, :])
    n = omega.numel()
    if n % 2 == 0:
        ramp[:, n // 2] = torch.cos(math.pi * d).to(ramp.dtype)
    return ramp


def shift_each(images: Tensor, shifts: Tensor) -> Tensor:
    """Translate image ``i`` of ``N×…×H×W`` by ``shifts[i]`` (``N×2``, pixels), exactly.

    The private per-image form of :func:`translate` (same interpolant).
    """
    h, w = images.shape[-2:]
    d = shifts.to(device=images.device, dtype=torch.float64).reshape(-1, 2)
    wy, wx = spectral_coords(h, w, images.device)
    ramp = _shift_ramp(wy, d[:, 0])[:, :, None] * _shift_ramp(wx, d[:, 1])[:, None, :]
    ramp = ramp.reshape(d.shape[0], *([1] * (images.ndim - 3)), h, w)
    spec = torch.fft.fft2(images.to(torch.float64))
    return torch.fft.ifft2(spec * ramp).real.to(images.dtype)


def translate(image: Tensor, shift: Sequence[float] | Tensor) -> Tensor:
    """Translate an image by a sub-pixel displacement, exactly, with a Fourier phase ramp.

    The image is treated as one period of its band-limited (trigonometric)
    interpolant; the result samples that interpolant at ``u − d``, so the
    translation is exact and circular: content leaving one side enters the
    other. At even sizes the Nyquist terms use the symmetric real interpolant
    ``cos(π(u − d))``, so energy exactly at Nyquist is attenuated by ``cos(πd)``
    rather than moved (no real sampled signal can move it); band-limited
    images are moved exactly and shifts compose.

    Parameters
    ----------
    image
        Real floating-point tensor ``(..., H, W)``.
    shift
        ``(d_y, d_x)`` in pixels, or a ``T×2`` stack (one image per displacement).

    Returns
    -------
    Tensor
        ``image.shape`` for one displacement, ``T × image.shape`` for a stack.

    Raises
    ------
    TypeError
        If ``image`` is not a floating-point tensor, or ``shift`` is not numbers
        (e.g. a string).
    ValueError
        If ``image`` has fewer than 2 dimensions or holds NaN/inf, or ``shift``
        is not ``(d_y, d_x)`` or holds NaN/inf.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 8, 8)
    >>> torch.allclose(translate(x, (1, 2)), torch.roll(x, (1, 2), dims=(-2, -1)), atol=1e-6)
    True
    """
    check_tensor(image, "image")
    check_finite(image, "image")
    if image.ndim < 2:
        raise ValueError(f"`image` must have at least 2 dimensions (..., H, W), got {tuple(image.shape)}.")
    d = as_shift(shift, 2)
    single = d.ndim == 1
    d = d.reshape(-1, 2)
    out = shift_each(image.expand(d.shape[0], *image.shape), d)
    return out[0] if single else out


_WARP_TOL = 1e-10


def _taylor_order(radius: float) -> int:
    """Smallest ``N`` with ``(π·radius)^(N+1)/(N+1)! < 1e-10`` (the series remainder bound)."""
    x = math.pi * radius
    term, n = x, 1  # term = x^n / n!
    while term >= _WARP_TOL:
        n += 1
        term *= x / n
    return max(n - 1, 1)


def _powers(x: Tensor, n: int) -> Tensor:
    """``x^0, …, x^(n−1)`` along a new last axis."""
    cols = torch.cat([torch.ones_like(x)[:, None], x[:, None].expand(-1, n - 1)], dim=1)
    return cols.cumprod(dim=1)


def _factorials(n: int, device=None) -> Tensor:
    return torch.exp(torch.lgamma(torch.arange(1, n + 1, dtype=torch.float64, device=device)))


def _derivative_multipliers(omega: Tensor, order: int) -> Tensor:
    """``(iω)^a`` for ``a = 0..order``; odd orders vanish at an even size's Nyquist term."""
    mult = torch.stack([(1j * omega) ** a for a in range(order + 1)])  # (order+1)×n
    n = omega.numel()
    if n % 2 == 0:
        mult[1::2, n // 2] = 0  # derivative of the symmetric cos(πu) at integer u
    return mult


def warp(image: Tensor, displacement: Tensor) -> Tensor:
    """Warp an image by a displacement field, exactly: ``I'(u) = I(u − d(u))``.

    ``I`` is the image's band-limited periodic (trigonometric) interpolant, the
    same one :func:`translate` uses. Each displacement is split into an
    integer part ``k = round(d)`` (an exact circular roll) and a remainder
    ``|e| ≤ 1/2``; the interpolant is evaluated at ``u − k − e`` through its
    Taylor series in ``e``, whose derivatives are computed exactly in the
    Fourier domain, summed until the remainder bound
    ``(π/2)^(N+1)/(N+1)!`` is below ``1e-10``. The result equals the
    interpolant to float64 round-off: no bilinear or nearest-neighbour
    resampling is involved. A constant field equals :func:`translate`; a zero
    field returns the image.

    Parameters
    ----------
    image
        ``C×H×W`` (or ``H×W``) real tensor.
    displacement
        ``2×H×W`` field ``(d_y, d_x)`` in pixels, or a ``T×2×H×W`` stack.

    Returns
    -------
    Tensor
        ``C×H×W`` (or ``H×W``), or ``T×C×H×W`` for a stack of fields.

    Raises
    ------
    TypeError
        If ``image`` or ``displacement`` is not a floating-point tensor.
    ValueError
        If ``image`` or ``displacement`` holds NaN/inf, ``image`` is not ``C×H×W``
        or ``H×W``, or ``displacement`` is not ``2×H×W`` or ``T×2×H×W`` for the
        image's ``H×W``.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 16, 16)
    >>> d = torch.zeros(2, 16, 16); d[0] = -0.4; d[1] = 0.25
    >>> torch.allclose(warp(x, d), translate(x, (-0.4, 0.25)), atol=1e-5)
    True
    """
    check_tensor(image, "image")
    check_finite(image, "image")
    check_tensor(displacement, "displacement")
    check_finite(displacement, "displacement")
    grey = image.ndim == 2
    if grey:
        image = image[None]
    if image.ndim != 3:
        raise ValueError(f"`image` must be C×H×W or H×W, got shape {tuple(image.shape)}.")
    c, h, w = image.shape
    single = displacement.ndim == 3
    field = displacement[None] if single else displacement
    if field.ndim != 4 or tuple(field.shape[1:]) != (2, h, w):
        raise ValueError(
            f"`displacement` must be 2×{h}×{w} or T×2×{h}×{w} (d_y, d_x per pixel), "
            f"got shape {tuple(displacement.shape)}."
        )
    field = field.to(torch.float64)
    # Split d = k + e with k = round(d) an integer shift (an exact roll) and
    # |e| ≤ 1/2, so a fixed order of the series in e suffices everywhere.
    order = _taylor_order(0.5)
    n = order + 1
    wy, wx = spectral_coords(h, w, image.device)
    my = _derivative_multipliers(wy, order) / _factorials(n, image.device)[:, None]
    mx = _derivative_multipliers(wx, order) / _factorials(n, image.device)[:, None]
    spec = torch.fft.fft2(image.to(torch.float64))  # C×H×W
    # D[a, b] = ∂y^a ∂x^b I / (a! b!), exact, laid out as (H·W) × n × (n·C)
    derivs = torch.stack(
        [torch.fft.ifft2(spec[None] * (my[a][None, :, None] * mx[:, None, :])[:, None]).real for a in range(n)]
    )  # n(a)×n(b)×C×H×W
    derivs = derivs.reshape(n, n * c, h * w).permute(2, 0, 1).contiguous()
    rows = torch.arange(h, device=image.device)[:, None]
    cols = torch.arange(w, device=image.device)[None, :]
    out = torch.empty(field.shape[0], h * w, c, dtype=torch.float64, device=image.device)
    for t in range(field.shape[0]):
        k = torch.round(field[t])
        e = (field[t] - k).reshape(2, h * w)
        if bool((k == 0).all()):
            local = derivs  # sub-half-pixel everywhere: no roll needed
        else:
            k = k.long()
            local = derivs[(((rows - k[0]) % h) * w + (cols - k[1]) % w).reshape(-1)]
        py = _powers(-e[0], n)  # HW×n: (−e_y)^a
        px = _powers(-e[1], n)  # HW×n: (−e_x)^b
        partial = torch.bmm(py[:, None, :], local).reshape(h * w, n, c)
        out[t] = (partial * px[..., None]).sum(dim=1)
    out = out.permute(0, 2, 1).reshape(field.shape[0], c, h, w)
    out = out.to(image.dtype)
    if single:
        out = out[0]
    return out[..., 0, :, :] if grey else out


# ---------------------------------------------------------------------------
# measuring a translation
# ---------------------------------------------------------------------------


def measure_shift(
    frame: Tensor,
    reference: Tensor,
    window: bool = False,
    iterations: int = 3,
    frequency_range: tuple[float, float] | None = None,
    *,
    max_shift: int | None = None,
) -> Tensor:
    """Estimate the global sub-pixel translation ``d`` with ``frame(u) ≈ reference(u − d)``.

    Two stages: the integer peak of the circular cross-correlation (among
    equal peaks, the smallest shift), then a weighted least-squares fit of the
    cross-power spectrum's phase, ``arg(F·R*) ≈ −ω·d`` (Fourier shift theorem),
    weighted by ``|F·R*|`` and repeated ``iterations`` times around the current
    estimate. Means are removed first and channels are pooled. Exact (to
    round-off) for circular translations of band-limited images; for other
    changes it reports the energy-weighted mean displacement.

    Parameters
    ----------
    frame
        ``T×C×H×W`` (one estimate per frame), ``C×H×W`` or ``H×W``.
    reference
        ``C×H×W`` or ``H×W`` (one reference for every frame), or ``T×C×H×W``
        (one per frame); same ``H×W`` (and channels) as ``frame``.
    window
        Multiply both by a 2-D Hann window first (for non-periodic crops whose
        content does not vanish at the border).
    iterations
        Number of phase-fit refinements (``0`` gives the integer peak).
    frequency_range
        ``(ω_min, ω_max)`` in radians per pixel: use only spatial frequencies
        with ``ω_min ≤ |ω| ≤ ω_max``. ``None`` uses them all.
    max_shift
        Only consider integer peaks up to this many pixels along each axis
        (``None``: any).

    Returns
    -------
    Tensor
        ``T×2`` or ``2``: ``(d_y, d_x)`` in pixels, float32.

    Raises
    ------
    TypeError
        If ``frame`` or ``reference`` is not a floating-point tensor, or
        ``iterations``/``max_shift`` is not an int.
    ValueError
        For NaN/inf values, mismatched shapes, ``iterations < 0``,
        ``max_shift < 0`` or a bad ``frequency_range``.

    Examples
    --------
    >>> import torch
    >>> ref = torch.rand(16, 16)
    >>> moved = translate(ref, (0.25, -1.5))
    >>> [round(float(v), 3) + 0.0 for v in measure_shift(moved, ref)]
    [0.25, -1.5]
    """
    check_tensor(frame, "frame")
    check_tensor(reference, "reference")
    check_finite(frame, "frame")
    check_finite(reference, "reference")
    check_int(iterations, "iterations", minimum=0)
    if max_shift is not None:
        check_int(max_shift, "max_shift", minimum=0)
    f, r, single = _frames_and_references(frame, reference)
    band = _frequency_band(frequency_range)
    f = f.to(torch.float64)
    r = r.to(device=f.device, dtype=torch.float64)
    f = f - f.mean(dim=(-2, -1), keepdim=True)
    r = r - r.mean(dim=(-2, -1), keepdim=True)
    h, w = f.shape[-2:]
    if window:
        win = torch.outer(
            torch.hann_window(h, periodic=False, dtype=torch.float64, device=f.device),
            torch.hann_window(w, periodic=False, dtype=torch.float64, device=f.device),
        )
        f, r = f * win, r * win
    cross = (torch.fft.fft2(f) * torch.fft.fft2(r).conj()).sum(dim=1)  # T×H×W
    wy, wx = spectral_coords(h, w, f.device)
    oy, ox = torch.meshgrid(wy, wx, indexing="ij")
    radius = torch.sqrt(oy**2 + ox**2)
    if band is not None:
        cross = cross * ((radius >= band[0]) & (radius <= band[1]))
    # stage 1: integer peak of the cross-correlation; among equal peaks (a periodic
    # pattern) prefer the smallest shift
    corr = torch.fft.ifft2(cross).real
    sy = torch.fft.fftfreq(h, d=1 / h, dtype=torch.float64, device=f.device)
    sx = torch.fft.fftfreq(w, d=1 / w, dtype=torch.float64, device=f.device)
    dist2 = (sy[:, None] ** 2 + sx[None, :] ** 2) / (h**2 + w**2)
    scale = corr.abs().amax(dim=(-2, -1), keepdim=True)
    score = corr - 1e-6 * scale * dist2
    if max_shift is not None:
        outside = (sy[:, None].abs() > max_shift) | (sx[None, :].abs() > max_shift)
        score = score.masked_fill(outside, -math.inf)
    peak = score.reshape(corr.shape[0], -1).argmax(dim=1)
    d = torch.stack([sy[peak // w], sx[peak % w]], dim=1)
    # stage 2: weighted least-squares fit of the residual phase, −ω·(d_true − d)
    keep = torch.ones(h, w, dtype=torch.bool, device=f.device)
    if h % 2 == 0:
        keep[h // 2, :] = False  # Nyquist terms carry no sign of the shift
    if w % 2 == 0:
        keep[:, w // 2] = False
    weight = cross.abs() * keep
    omega = torch.stack([oy, ox], dim=-1)  # H×W×2
    low = weight * (radius <= math.pi / 2)
    has_low = low.sum(dim=(-2, -1), keepdim=True) > 0
    for it in range(iterations):
        # first pass on low frequencies only (where they carry signal): the
        # residual phase cannot wrap there
        wt = torch.where(has_low, low, weight) if it == 0 else weight
        ramp = oy * d[:, 0, None, None] + ox * d[:, 1, None, None]
        resid = torch.angle(cross * torch.exp(1j * ramp))
        normal = torch.einsum("thw,hwi,hwj->tij", wt, omega, omega)
        rhs = -torch.einsum("thw,hwi,thw->ti", wt, omega, resid)
        # pseudo-inverse: a one-directional spectrum (a grating) pins the shift
        # along ω only, and the unobservable component is left unchanged
        d = d + (torch.linalg.pinv(normal, rtol=1e-8) @ rhs[..., None])[..., 0]
    out = d.to(torch.float32)
    return out[0] if single else out


def _frequency_band(frequency_range) -> tuple[float, float] | None:
    """``frequency_range`` checked: ``None`` or ``(ω_min, ω_max)`` in rad/px; clean errors."""
    if frequency_range is None:
        return None
    try:
        lo, hi = (float(v) for v in frequency_range)
    except (TypeError, ValueError):
        raise TypeError(
            f"`frequency_range` must be a pair (ω_min, ω_max) of numbers, got {frequency_range!r}."
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise ValueError(
            f"`frequency_range` must be (ω_min, ω_max) with 0 ≤ ω_min < ω_max (rad/px), "
            f"got {frequency_range}."
        )
    return lo, hi


def _frames_and_references(frame: Tensor, reference: Tensor) -> tuple[Tensor, Tensor, bool]:
    """``T×C×H×W`` views of a frame stack and its reference(s); clean errors."""
    if frame.ndim not in (2, 3, 4):
        raise ValueError(f"`frame` must be T×C×H×W, C×H×W or H×W, got shape {tuple(frame.shape)}.")
    if reference.ndim not in (2, 3, 4):
        raise ValueError(
            f"`reference` must be C×H×W, H×W or T×C×H×W, got shape {tuple(reference.shape)}."
        )
    single = frame.ndim < 4
    f = frame.reshape(1, -1, *frame.shape[-2:]) if single else frame
    r = reference if reference.ndim == 4 else reference.reshape(1, -1, *reference.shape[-2:])
    if (
        f.shape[-2:] != r.shape[-2:]
        or r.shape[1] not in (1, f.shape[1])
        or r.shape[0] not in (1, f.shape[0])
        or min(f.shape[-2:]) < 2
        or f.shape[0] == 0
        or f.shape[1] == 0
    ):
        raise ValueError(
            f"`frame` {tuple(frame.shape)} and `reference` {tuple(reference.shape)} must share "
            f"H×W (at least 2×2) and channels, with one reference or one per frame."
        )
    return f, r, single


def _local_energy(x: Tensor, band: tuple[float, float] | None) -> Tensor:
    """Monogenic local energy ``f² + |R f|²`` of ``T×C×H×W`` float64, pooled over channels."""
    h, w = x.shape[-2:]
    wy, wx = spectral_coords(h, w, x.device)
    oy, ox = torch.meshgrid(wy, wx, indexing="ij")
    radius = torch.sqrt(oy**2 + ox**2)
    spectrum = torch.fft.fft2(x)
    keep = radius > 0  # the mean carries no position
    if band is not None:
        keep = keep & (radius >= band[0]) & (radius <= band[1])
    spectrum = spectrum * keep
    safe = torch.where(radius > 0, radius, torch.ones_like(radius))
    even = torch.fft.ifft2(spectrum).real
    # Riesz transform, −i ω/|ω|: the odd (quadrature) partner of every component
    ry = torch.fft.ifft2(-1j * oy / safe * spectrum).real
    rx = torch.fft.ifft2(-1j * ox / safe * spectrum).real
    return (even**2 + ry**2 + rx**2).sum(dim=1)  # T×H×W


def _circular_moments(energy: Tensor) -> Tensor:
    """First circular moments ``Σ E·e^{−2πi y/H}`` and ``Σ E·e^{−2πi x/W}``: ``T×2`` complex."""
    h, w = energy.shape[-2:]
    ey = torch.exp(-2j * math.pi * torch.arange(h, dtype=torch.float64, device=energy.device) / h)
    ex = torch.exp(-2j * math.pi * torch.arange(w, dtype=torch.float64, device=energy.device) / w)
    my = (energy.sum(dim=-1).to(ey.dtype) * ey).sum(dim=-1)
    mx = (energy.sum(dim=-2).to(ex.dtype) * ex).sum(dim=-1)
    return torch.stack([my, mx], dim=-1)


def measure_envelope_shift(
    frame: Tensor,
    reference: Tensor,
    frequency_range: tuple[float, float] | None = None,
    *,
    min_localization: float = 1e-3,
) -> Tensor:
    """Estimate the global translation of a pattern's *envelope* (where its energy lies).

    :func:`measure_shift` fits the phase of the cross-power spectrum: it reads
    the shift of the *carrier*, and so it reports a shift when a phase edit
    moves the carrier inside an envelope that stays where it was. This ruler
    looks only at the envelope. It computes the local energy of each image,
    the monogenic energy ``E = f² + |R f|²`` of its mean-free (optionally
    band-passed) part ``f``, where ``R`` is the Riesz transform (``−iω/|ω|``
    in the Fourier domain, the 2-D quadrature partner of ``f``; for a
    windowed grating ``E`` is the squared envelope, with no carrier ripple),
    and returns the difference of the energy centroids on the periodic image
    domain: along ``x``, ``d_x = −(W/2π)·arg(M_x(frame)·conj(M_x(ref)))`` with
    ``M_x = Σ_u E(u)·e^{−2πi x/W}``, and likewise along ``y``. A circular
    translation of ``E`` multiplies ``M`` by a phase, so the estimate is exact
    for circular translations of the envelope (up to the aliasing of ``E``),
    needs no iteration, and is unambiguous for ``|d| < W/2`` (``H/2``).

    Parameters
    ----------
    frame
        ``T×C×H×W`` (one estimate per frame), ``C×H×W`` or ``H×W``.
    reference
        ``C×H×W`` or ``H×W`` (one reference for every frame), or ``T×C×H×W``
        (one per frame); same ``H×W`` (and channels) as ``frame``. Channels
        are pooled (their energies add).
    frequency_range
        ``(ω_min, ω_max)`` in radians per pixel: compute the energy of the
        frequencies with ``ω_min ≤ |ω| ≤ ω_max`` only (e.g. one pyramid
        scale). ``None`` uses all but the mean.
    min_localization
        The energy counts as localised along an axis when
        ``|M| ≥ min_localization·ΣE`` there. Along an axis where the frame's or
        the reference's energy is not localised (a vertical bar along ``y``,
        the rows of a 1-D signal) the envelope has no position and the shift
        is reported as ``0``; energy localised along neither axis raises.

    Returns
    -------
    Tensor
        ``T×2`` or ``2``: ``(d_y, d_x)`` in pixels, float32; content moved
        forward (``frame(u) ≈ reference(u − d)``) gives ``+d``.

    Raises
    ------
    TypeError
        If ``frame`` or ``reference`` is not a floating-point tensor, or
        ``frequency_range`` is not a pair of numbers.
    ValueError
        For NaN/inf values, mismatched shapes, a bad ``frequency_range`` or
        ``min_localization``, an image with no energy in the band, or energy
        localised along neither axis (``|M| < min_localization·ΣE`` along both).

    Examples
    --------
    >>> import torch
    >>> from steerlens import signals
    >>> ref = signals.gabor_patch((32, 32), 8.0, sigma=4.0)
    >>> moved = translate(ref, (0.0, 1.25))
    >>> [round(float(v), 2) + 0.0 for v in measure_envelope_shift(moved, ref)]
    [0.0, 1.25]
    >>> carrier = signals.gabor_patch((32, 32), 8.0, sigma=4.0, phase=1.0)
    >>> bool(measure_envelope_shift(carrier, ref).abs().max() < 0.05)
    True
    """
    check_tensor(frame, "frame")
    check_tensor(reference, "reference")
    check_finite(frame, "frame")
    check_finite(reference, "reference")
    if isinstance(min_localization, bool) or not isinstance(min_localization, (int, float)):
        raise TypeError(f"`min_localization` must be a number, got {min_localization!r}.")
    if not (0 < min_localization < 1):
        raise ValueError(
            f"`min_localization` must lie in (0, 1), got {min_localization}; 1e-3 is the default."
        )
    f, r, single = _frames_and_references(frame, reference)
    band = _frequency_band(frequency_range)
    f = f.to(torch.float64)
    r = r.to(device=f.device, dtype=torch.float64)
    moments = []
    for name, x in (("frame", f), ("reference", r)):
        energy = _local_energy(x, band)
        total = energy.sum(dim=(-2, -1))
        # all the mean-free energy of the image: the band must hold a visible part
        full = (x - x.mean(dim=(-2, -1), keepdim=True)).square().sum(dim=(1, 2, 3))
        if bool(((full == 0) | (total <= 1e-10 * full)).any()):
            raise ValueError(
                f"`{name}` has no energy to locate (flat, or nothing in `frequency_range`); "
                "pass a pattern with contrast, or widen the band."
            )
        m = _circular_moments(energy)
        located = m.abs() >= min_localization * total[:, None]  # T×2
        if not bool(located.any(dim=1).all()):
            raise ValueError(
                f"`{name}`'s energy is spread over the whole image (e.g. a full-field grating), "
                "so its envelope has no position; measure a windowed pattern, or use "
                "measure_shift for the carrier's shift."
            )
        moments.append((m, located))
    (mf, lf), (mr, lr) = moments
    size = torch.tensor(f.shape[-2:], dtype=torch.float64, device=f.device)
    d = -size / (2 * math.pi) * torch.angle(mf * mr.conj())
    # an axis along which either energy is uniform (a bar, rows of one 1-D
    # signal) carries no envelope position: its shift is reported as 0
    d = torch.where(lf & lr, d, torch.zeros_like(d))
    out = d.to(torch.float32)
    return out[0] if single else out


# ---------------------------------------------------------------------------
# blur
# ---------------------------------------------------------------------------


def gaussian_blur(
    x: Tensor, sigma: float, *, boundary: Literal["replicate", "circular"] = "replicate"
) -> Tensor:
    """Separable Gaussian blur with standard deviation ``sigma`` pixels over the last two axes.

    Parameters
    ----------
    x
        Real floating-point tensor ``(..., H, W)``; every leading index is blurred on its own.
    sigma
        Standard deviation in pixels (``≥ 0``; ``0`` returns ``x`` unchanged).
    boundary
        ``"replicate"``: a spatial kernel truncated at ``⌈3σ⌉`` taps, normalised to
        sum 1, edges replicated. ``"circular"``: the exact Gaussian
        ``exp(−σ²|ω|²/2)`` applied in the Fourier domain (periodic boundary).

    Returns
    -------
    Tensor
        Same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor or ``sigma`` is not a number.
    ValueError
        If ``x`` has fewer than 2 dimensions, ``sigma`` is negative or not
        finite, or ``boundary`` is unknown.

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(1, 1, 8, 8)
    >>> bool(torch.allclose(gaussian_blur(x, 1.5), x)), bool(torch.allclose(
    ...     gaussian_blur(x, 1.5, boundary="circular"), x, atol=1e-6))
    (True, True)
    """
    check_tensor(x, "x")
    sigma = check_positive(sigma, "sigma", allow_zero=True)
    check_choice(boundary, "boundary", BOUNDARIES)
    if x.ndim < 2:
        raise ValueError(f"`x` must have at least 2 dimensions (..., H, W), got {tuple(x.shape)}.")
    if sigma == 0:
        return x
    h, w = x.shape[-2:]
    if boundary == "circular":
        wy = 2 * math.pi * torch.fft.fftfreq(h, dtype=torch.float64, device=x.device)
        wx = 2 * math.pi * torch.fft.rfftfreq(w, dtype=torch.float64, device=x.device)
        gain = torch.exp(-0.5 * sigma**2 * (wy[:, None] ** 2 + wx[None, :] ** 2)).to(x.dtype)
        return torch.fft.irfft2(torch.fft.rfft2(x) * gain, s=(h, w))
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    flat = x.reshape(-1, 1, h, w)
    flat = F.pad(flat, (radius, radius, radius, radius), mode="replicate")
    flat = F.conv2d(flat, k.view(1, 1, 1, -1))
    flat = F.conv2d(flat, k.view(1, 1, -1, 1))
    return flat.reshape(x.shape)


# ---------------------------------------------------------------------------
# luminance
# ---------------------------------------------------------------------------


def luminance(x: Tensor, dim: int = -3) -> Tensor:
    """Luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` along the channel axis (kept, size 1).

    Parameters
    ----------
    x
        Floating-point tensor with 1 or 3 channels along ``dim`` (default: the
        ``C`` of ``(…)×C×H×W``). One channel is returned unchanged.
    dim
        The channel axis.

    Returns
    -------
    Tensor
        ``x`` with size 1 along ``dim``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor.
    ValueError
        If ``x`` does not have 1 or 3 channels along ``dim``.

    Examples
    --------
    >>> import torch
    >>> luminance(torch.ones(2, 3, 4, 4)).shape
    torch.Size([2, 1, 4, 4])
    """
    check_tensor(x, "x")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim or x.shape[dim] not in (1, 3):
        raise ValueError(
            f"`x` must have 1 or 3 channels along dim {dim}, got shape {tuple(x.shape)}."
        )
    if x.shape[dim] == 1:
        return x
    shape = [1] * x.ndim
    shape[dim] = 3
    weights = torch.tensor(LUMA, dtype=x.dtype, device=x.device).view(shape)
    return (x * weights).sum(dim=dim, keepdim=True)
