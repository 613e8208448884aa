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

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_choice, check_finite, check_int, check_positive, check_tensor
from .resample import as_shift as _as_shift
from .resample import measure_shift, translate
from .resample import spectral_coords as _spectral_coords

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
    "displacement_gain",
]

PATTERNS = ("gabor", "grating")
NATURAL_IMAGES = ("camera", "einstein")
BOUNDARIES = ("circular", "reflect", "zeros")


class MotionClip(NamedTuple):
    """A video together with the displacement that made it.

    Unpacks as ``video, displacement = clip``.

    Attributes
    ----------
    video
        ``T×C×H×W`` frames with values in ``[0, 1]``.
    displacement
        The true displacement in pixels, ``(d_y, d_x)`` last or second:
        ``T×2`` for a global translation, ``T×2×H×W`` for a warp field.
    """

    video: Tensor
    displacement: Tensor


# ---------------------------------------------------------------------------
# small private helpers
# ---------------------------------------------------------------------------


def _shape(shape, name: str = "shape") -> tuple[int, ...]:
    """An int (1-D) or an ``(H, W)`` pair (2-D) of positive sizes."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"`{name}` must be an int (1-D) or a pair (H, W), got {shape!r}.") from None
    if len(dims) not in (1, 2):
        raise ValueError(f"`{name}` must be an int (1-D) or a pair (H, W), got {dims}.")
    for s in dims:
        check_int(s, name, minimum=2)
    return dims


def _wave_vector(wavelength: float, angle: float) -> tuple[float, float]:
    k = 2 * math.pi / wavelength
    return k * math.sin(angle), k * math.cos(angle)


def _grid(dims: tuple[int, ...], dtype: torch.dtype, device=None) -> list[Tensor]:
    axes = [torch.arange(n, dtype=dtype, device=device) for n in dims]
    return list(torch.meshgrid(*axes, indexing="ij")) if len(dims) == 2 else axes


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
    coords = _grid(dims, torch.float64)
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


# ---------------------------------------------------------------------------
# patterns
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# displacements and exact sub-pixel motion
# ---------------------------------------------------------------------------


def sinusoidal_displacement(
    n_frames: int,
    amplitude: float,
    frequency: float,
    fs: float,
    angle: float = 0.0,
    phase: float = 0.0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A displacement that oscillates in time: ``δ(t) = A·sin(2πf·t/fs + phase)·(sin θ, cos θ)``.

    Parameters
    ----------
    n_frames
        Number of frames ``T`` (``t = 0, …, T−1``).
    amplitude
        Peak displacement ``A`` in pixels (may be sub-pixel, ≥ 0).
    frequency
        Temporal frequency ``f`` in Hz, in ``(0, fs/2)``. Choose ``f·T/fs`` an
        integer so that the motion is periodic over the clip (an ideal FFT
        band-pass then keeps it exactly).
    fs
        Frame rate in frames per second.
    angle
        Direction of motion in radians: ``0`` along ``+x``, ``π/2`` along ``+y`` (down).
    phase
        Temporal phase in radians; ``0`` makes frame 0 the undisplaced one.
    dtype
        Floating-point dtype.

    Returns
    -------
    Tensor
        ``T×2`` displacements ``(d_y, d_x)`` in pixels.

    Examples
    --------
    >>> d = sinusoidal_displacement(8, amplitude=0.5, frequency=1.0, fs=4.0)
    >>> [round(float(v), 3) for v in d[:3, 1]]
    [0.0, 0.5, 0.0]
    """
    check_int(n_frames, "n_frames", minimum=1)
    check_positive(amplitude, "amplitude", allow_zero=True)
    fs = check_positive(fs, "fs")
    frequency = check_positive(frequency, "frequency")
    if frequency >= fs / 2:
        raise ValueError(
            f"`frequency` must be below the Nyquist frequency fs/2 = {fs / 2}, got {frequency}."
        )
    t = torch.arange(n_frames, dtype=torch.float64)
    s = amplitude * torch.sin(2 * math.pi * frequency * t / fs + phase)
    return torch.stack([s * math.sin(angle), s * math.cos(angle)], dim=-1).to(dtype)


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
    wy, wx = _spectral_coords(h, w, image.device)
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
# videos with known motion
# ---------------------------------------------------------------------------


def _check_displacement(displacement) -> Tensor:
    check_tensor(displacement, "displacement")
    check_finite(displacement, "displacement")
    if displacement.ndim != 2 or displacement.shape[1] != 2:
        raise ValueError(
            f"`displacement` must be T×2 (d_y, d_x) in pixels, got shape "
            f"{tuple(displacement.shape)}; make one with sinusoidal_displacement(...)."
        )
    return displacement


def moving_pattern(
    displacement: Tensor,
    shape: Sequence[int] = (64, 64),
    pattern: Literal["gabor", "grating"] | Tensor = "gabor",
    wavelength: float = 8.0,
    angle: float = 0.0,
    sigma: float | None = None,
    contrast: float = 1.0,
    channels: int = 1,
) -> MotionClip:
    """A video of a pattern translated by a known sub-pixel displacement ``δ(t)``.

    Frame ``t`` is ``P(u − δ(t))``. Gratings and Gabor patches are evaluated
    analytically at the displaced coordinates; an image ``pattern`` is moved
    with :func:`translate` (exact and circular for band-limited content; the
    frames are clamped to ``[0, 1]`` against the interpolant's tiny overshoot
    next to sharp edges).

    Parameters
    ----------
    displacement
        ``T×2`` displacements ``(d_y, d_x)`` in pixels, e.g. from
        :func:`sinusoidal_displacement`.
    shape
        ``(H, W)`` of the frames (ignored when ``pattern`` is an image).
    pattern
        ``"gabor"`` (default), ``"grating"``, or an image tensor ``H×W`` or
        ``C×H×W`` with values in ``[0, 1]``.
    wavelength, angle, sigma, contrast
        The pattern's parameters, see :func:`gabor_patch`.
    channels
        ``1`` (grey) or ``3`` (the grey pattern copied to RGB). Ignored for an image.

    Returns
    -------
    MotionClip
        ``video`` ``T×C×H×W`` in ``[0, 1]`` and the ``displacement`` ``T×2``.

    Examples
    --------
    >>> d = sinusoidal_displacement(8, amplitude=0.25, frequency=1.0, fs=8.0)
    >>> video, delta = moving_pattern(d, shape=(32, 32), pattern="grating")
    >>> tuple(video.shape), bool(video.min() >= 0), bool(video.max() <= 1)
    ((8, 1, 32, 32), True, True)
    """
    _check_displacement(displacement)
    if isinstance(pattern, Tensor):
        check_tensor(pattern, "pattern")
        check_finite(pattern, "pattern")
        img = pattern[None] if pattern.ndim == 2 else pattern
        if img.ndim != 3 or img.shape[0] not in (1, 3):
            raise ValueError(
                f"an image `pattern` must be H×W or C×H×W with C = 1 or 3, got {tuple(pattern.shape)}."
            )
        video = translate(img, displacement.to(torch.float64))
        return MotionClip(video.clamp(0, 1), displacement)
    check_choice(pattern, "pattern", PATTERNS)
    dims = _shape(shape)
    if len(dims) != 2:
        raise ValueError(f"`shape` must be (H, W), got {dims}.")
    check_int(channels, "channels", minimum=1)
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 (grey) or 3 (RGB), got {channels}.")
    make = gabor_patch if pattern == "gabor" else grating
    kwargs = {"sigma": sigma} if pattern == "gabor" else {}
    frames = make(
        dims, wavelength, angle=angle, contrast=contrast,
        shift=displacement, dtype=displacement.dtype, **kwargs,
    )
    video = frames[:, None].expand(-1, channels, -1, -1).contiguous().to(displacement.device)
    return MotionClip(video, displacement)


def natural_image(
    name: Literal["camera", "einstein"] = "camera",
    shape: Sequence[int] = (128, 128),
) -> Tensor:
    """A grey natural image that ships offline, resized to ``shape``, values in ``[0, 1]``.

    ``"camera"`` is scikit-image's cameraman (512×512), ``"einstein"`` is
    plenoptic's Einstein portrait (256×256). The same loader as
    :func:`steerlens.data.natural_image` (``natural_image(name, shape) ==
    data.natural_image(name, shape, gray=True)[0]``), with the signal
    conventions of this module: one ``1×H×W`` image, and any size ``≥ 2``
    (odd sizes too, for the pyramid chapter's odd-size demonstration).

    Parameters
    ----------
    name
        ``"camera"`` or ``"einstein"``.
    shape
        ``(H, W)`` of the result.

    Returns
    -------
    Tensor
        ``1×H×W`` float32.

    Examples
    --------
    >>> tuple(natural_image("camera", (64, 48)).shape)
    (1, 64, 48)
    """
    from .data.natural import resized

    check_choice(name, "name", NATURAL_IMAGES)
    dims = _shape(shape)
    if len(dims) != 2:
        raise ValueError(f"`shape` must be (H, W), got {dims}.")
    return resized(name, dims, gray=True)[0]


def smooth_displacement_field(
    shape: Sequence[int],
    amplitude: float = 1.0,
    seed: int = 0,
    max_frequency: int = 2,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A random smooth displacement field that vanishes near the image border.

    Each component is a random sum of the lowest spatial frequencies (up to
    ``max_frequency`` cycles per image), multiplied by a raised-cosine window
    of radius ``0.45·min(H, W)`` around the centre (so border pixels do not
    move), then scaled so that ``max_u |d(u)| = amplitude``.

    Parameters
    ----------
    shape
        ``(H, W)``.
    amplitude
        Largest displacement magnitude in pixels.
    seed
        Seed of the private random generator (the global RNG is untouched).
    max_frequency
        Highest spatial frequency in cycles per image (≥ 1); smaller is smoother.
    dtype
        Floating-point dtype.

    Returns
    -------
    Tensor
        ``2×H×W`` field ``(d_y, d_x)``.

    Examples
    --------
    >>> f = smooth_displacement_field((32, 32), amplitude=0.5)
    >>> round(float(f.norm(dim=0).max()), 3), float(f[:, 0, 0].abs().sum())
    (0.5, 0.0)
    """
    dims = _shape(shape)
    if len(dims) != 2:
        raise ValueError(f"`shape` must be (H, W), got {dims}.")
    check_positive(amplitude, "amplitude", allow_zero=True)
    check_int(seed, "seed")
    check_int(max_frequency, "max_frequency", minimum=1)
    h, w = dims
    gen = torch.Generator().manual_seed(seed)
    yy, xx = _grid(dims, torch.float64)
    k = torch.arange(-max_frequency, max_frequency + 1, dtype=torch.float64)
    comps = []
    for _ in range(2):
        coef = torch.randn(k.numel(), k.numel(), 2, generator=gen, dtype=torch.float64)
        arg = 2 * math.pi * (k[:, None, None, None] * yy / h + k[None, :, None, None] * xx / w)
        comps.append((coef[..., 0, None, None] * torch.cos(arg) + coef[..., 1, None, None] * torch.sin(arg)).sum((0, 1)))
    field = torch.stack(comps)
    radius = 0.45 * min(h, w)
    r = torch.sqrt((yy - (h - 1) / 2) ** 2 + (xx - (w - 1) / 2) ** 2)
    window = torch.where(r < radius, torch.cos(0.5 * math.pi * r / radius) ** 2, torch.zeros_like(r))
    field = field * window
    peak = field.norm(dim=0).max()
    field = field * (amplitude / peak) if peak > 0 else field
    return field.to(dtype)


def warped_image(
    image: Literal["camera", "einstein"] | Tensor = "camera",
    shape: Sequence[int] = (128, 128),
    n_frames: int = 32,
    amplitude: float = 0.5,
    frequency: float = 2.0,
    fs: float = 32.0,
    field: Tensor | None = None,
    seed: int = 0,
) -> MotionClip:
    """A shipped natural image under a known tiny smooth warp that oscillates in time.

    Frame ``t`` is ``I(u − d(u, t))`` with ``d(u, t) = sin(2πf·t/fs)·F(u)``,
    computed exactly by :func:`warp`. ``F`` is ``field`` or, by default,
    :func:`smooth_displacement_field` with peak magnitude ``amplitude``.

    Parameters
    ----------
    image
        ``"camera"``, ``"einstein"`` (see :func:`natural_image`) or a
        ``C×H×W`` / ``H×W`` tensor in ``[0, 1]``.
    shape
        ``(H, W)`` for a named image.
    n_frames
        Number of frames ``T``.
    amplitude
        Peak displacement in pixels of the default field (ignored when ``field`` is given).
    frequency, fs
        Temporal frequency of the oscillation (Hz) and frame rate; ``frequency < fs/2``.
    field
        Optional ``2×H×W`` spatial profile ``F`` in pixels.
    seed
        Seed of the default field.

    Returns
    -------
    MotionClip
        ``video`` ``T×C×H×W`` in ``[0, 1]`` and ``displacement`` ``T×2×H×W``.
        Frames are clamped to ``[0, 1]`` (the interpolant can overshoot very
        slightly next to sharp edges).

    Examples
    --------
    >>> clip = warped_image(shape=(32, 32), n_frames=4, fs=4.0, frequency=1.0)
    >>> tuple(clip.video.shape), tuple(clip.displacement.shape)
    ((4, 1, 32, 32), (4, 2, 32, 32))
    """
    if isinstance(image, str):
        img = natural_image(image, shape)
    else:
        check_tensor(image, "image")
        check_finite(image, "image")
        img = image[None] if image.ndim == 2 else image
        if img.ndim != 3:
            raise ValueError(f"`image` must be H×W or C×H×W, got shape {tuple(image.shape)}.")
    h, w = img.shape[-2:]
    if field is None:
        field = smooth_displacement_field((h, w), amplitude, seed=seed)
    else:
        check_tensor(field, "field")
        check_finite(field, "field")
        if tuple(field.shape) != (2, h, w):
            raise ValueError(f"`field` must be 2×{h}×{w}, got shape {tuple(field.shape)}.")
    s = sinusoidal_displacement(n_frames, 1.0, frequency, fs, dtype=torch.float64)[:, 1]
    disp = (s[:, None, None, None] * field.to(torch.float64)).to(img.dtype)
    video = warp(img, disp).clamp(0, 1)
    return MotionClip(video, disp)


# ---------------------------------------------------------------------------
# measurement
# ---------------------------------------------------------------------------


def displacement_gain(
    frames: Tensor,
    reference: Tensor,
    displacement: Tensor,
    window: bool = False,
    frequency_range: tuple[float, float] | None = None,
) -> float:
    """The factor ``g`` by which a clip moves, relative to a known displacement.

    Measures every frame's global shift with :func:`measure_shift` and fits
    ``measured(t) ≈ g·δ(t)`` by least squares over all frames and both
    components: ``g = Σ_t measured(t)·δ(t) / Σ_t |δ(t)|²``. For a video
    magnified by ``α`` whose input moved by ``δ(t)``, an ideal magnifier
    gives ``g = 1 + α``; the measured magnified displacement is ``g·max|δ|``.
    Components of the measured shift that are perpendicular to ``δ`` (or out
    of step with it in time) do not count.

    Parameters
    ----------
    frames
        ``T×C×H×W`` frames, e.g. the output of a magnifier (``clip=False``).
    reference
        ``C×H×W`` or ``H×W``: the frame the shifts are measured against
        (the undisplaced input frame).
    displacement
        ``T×2`` known displacements ``(d_y, d_x)`` in pixels, not all zero.
    window, frequency_range
        Passed to :func:`measure_shift`.

    Returns
    -------
    float
        The gain ``g``.

    Examples
    --------
    >>> d = sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)
    >>> clip = moving_pattern(d, shape=(32, 32), wavelength=8.0, sigma=5.0)
    >>> moved_more = moving_pattern(3 * d, shape=(32, 32), wavelength=8.0, sigma=5.0).video
    >>> round(displacement_gain(moved_more, clip.video[0], d), 3)
    3.0
    """
    check_tensor(frames, "frames")
    _check_displacement(displacement)
    if frames.ndim != 4:
        raise ValueError(f"`frames` must be T×C×H×W, got shape {tuple(frames.shape)}.")
    if frames.shape[0] != displacement.shape[0]:
        raise ValueError(
            f"`frames` has {frames.shape[0]} frames but `displacement` has {displacement.shape[0]} rows; "
            f"give one displacement (d_y, d_x) per frame."
        )
    d = displacement.detach().to("cpu", torch.float64)
    energy = float((d**2).sum())
    if energy == 0:
        raise ValueError("`displacement` is zero in every frame: there is no motion to compare with.")
    measured = measure_shift(frames, reference, window=window, frequency_range=frequency_range)
    return float((measured.to("cpu", torch.float64) * d).sum()) / energy
