"""Motion magnification of videos: Eulerian (linear) and phase-based.

Two ways to make tiny motions visible, the two that "Through a Steerable Lens"
borrows its idea from:

* :func:`linear` — Eulerian video magnification (Wu et al. 2012). A pixel's
  intensity over time, band-passed in time, is ``B ≈ δ(t)·∇I``; adding
  ``α·B`` back gives ``I(u + (1+α)δ)`` to first order. Valid only while
  ``(1+α)·δ < λ/8`` for a spatial wavelength ``λ``; beyond it the result
  saturates and overshoots, and noise is amplified with the motion.
* :func:`phase_based` — phase-based video magnification (Wadhwa et al. 2013).
  Every frame is decomposed with the complex steerable pyramid
  (:class:`steerlens.transforms.CSP`); in every band the local phase
  difference to a reference frame, wrapped to ``(−π, π]``, is band-passed in
  time, smoothed in space with amplitude weights
  ``(Δφ·ρ) ∗ K_σ / (ρ ∗ K_σ)``, multiplied by ``α`` and added back to the
  phase. A pattern moving by ``δ(t)`` comes out moving by ``(1+α)·δ(t)``
  until the amplified phase nears the band's limit; noise is moved, not
  amplified.

Videos are ``T×C×H×W`` float tensors with values in ``[0, 1]`` (``C`` = 1 or
3; even ``H`` and ``W`` for the phase-based method). Colour video is
magnified in luminance only by default (YIQ ``Y``; ``I`` and ``Q`` are kept),
or per RGB channel with ``color="rgb"``. Outputs are clipped to ``[0, 1]`` by
default (``clip=True``) so they can be shown and fed to anything that expects
images; pass ``clip=False`` to measure the raw result.

For a magnification slider, build a :class:`PhaseMagnifier` (or
:class:`LinearMagnifier`) once — it caches the decomposition and the
band-passed phases — then call ``render(alpha)``, which costs one synthesis.

Temporal filters (``temporal_filter=``):

``"ideal"`` (default)
    Zero-phase FFT band-pass over the whole clip: keeps exactly the DFT bins
    with ``low ≤ f ≤ high``. Treats the clip as periodic; a motion whose
    frequency is a DFT bin (``f·T/fs`` an integer) passes unchanged.
``"butterworth"``
    Causal first-order Butterworth band-pass: the difference of two
    first-order low-pass IIR filters with cut-offs ``high`` and ``low``
    (bilinear transform), started in steady state on the first frame, as in
    Wu et al.'s reference code. Works online, but lags the motion in phase and
    attenuates it (gain < 1 off the band centre), so magnified displacements
    are smaller and delayed compared with ``"ideal"``.

References
----------
H.-Y. Wu, M. Rubinstein, E. Shih, J. Guttag, F. Durand, W. T. Freeman.
Eulerian video magnification for revealing subtle changes in the world.
ACM Trans. Graph. 31(4), 2012.

N. Wadhwa, M. Rubinstein, F. Durand, W. T. Freeman. Phase-based video
motion processing. ACM Trans. Graph. 32(4), 2013.

Examples
--------
>>> from steerlens import signals
>>> d = signals.sinusoidal_displacement(16, amplitude=0.2, frequency=2.0, fs=16.0)
>>> video, delta = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0, sigma=5.0)
>>> out = phase_based(video, alpha=4.0, low=1.0, high=3.0, fs=16.0, clip=False)
>>> est = signals.measure_shift(out, out[0])
>>> gain = float(est[2, 1] / delta[2, 1])  # the displacement is multiplied by ≈ 1 + α
>>> abs(gain - 5.0) < 0.25
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from ._checks import check_choice, check_finite, check_int, check_positive, check_tensor
from .resample import gaussian_blur
from .transforms import CSP, Coefficients, rgb_to_yiq, yiq_to_rgb
from .transforms._validate import working_dtype

__all__ = [
    "TEMPORAL_FILTERS",
    "temporal_bandpass",
    "amplitude_weighted_blur",
    "wavelength_weights",
    "LinearMagnifier",
    "PhaseMagnifier",
    "linear",
    "phase_based",
]

TEMPORAL_FILTERS = ("ideal", "butterworth")
COLOR_MODES = ("luminance", "rgb")
MIN_FRAMES = 4
_RANGE_TOL = 1e-5
_RENDER_CHUNK = 16  # frames synthesised at once
#: amplified changes are clamped to ± this (radians of phase, or intensity units):
#: far past saturation, so outputs stay finite at any finite α
_CHANGE_LIMIT = 1e6


def _bounded(change: Tensor) -> Tensor:
    """``α·Δ`` kept finite: overflowed products become ``±_CHANGE_LIMIT``."""
    return change.nan_to_num(posinf=_CHANGE_LIMIT, neginf=-_CHANGE_LIMIT).clamp(-_CHANGE_LIMIT, _CHANGE_LIMIT)


_UNSET = object()


def _legacy_positional(where: str, names: Sequence[str], values: tuple, given: dict) -> dict:
    """Map options passed positionally (the old signature) onto their keywords, warning."""
    if len(values) > len(names):
        raise TypeError(f"{where} takes at most {len(names)} options after its core arguments, got {len(values)}.")
    out = {}
    for name, value in zip(names, values, strict=False):
        if given.get(name, _UNSET) is not _UNSET:
            raise TypeError(f"{where} got multiple values for `{name}`.")
        out[name] = value
    if values:
        warnings.warn(
            f"{where}: passing {', '.join(names[: len(values)])} positionally is deprecated; pass "
            f"them as keywords (e.g. {names[0]}=...).",
            DeprecationWarning,
            stacklevel=3,
        )
    return out


def _frame_alias(frame_index, frames, where: str):
    if frames is _UNSET:
        return frame_index
    if frame_index is not None:
        raise TypeError(f"{where}: pass `frame_index` only (`frames` is its deprecated old name).")
    warnings.warn(
        f"{where}: `frames=` is deprecated (it selects frames by index); use `frame_index=`.",
        DeprecationWarning,
        stacklevel=3,
    )
    return frames


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _check_video(video, name: str = "video") -> Tensor:
    """A ``T×C×H×W`` float video, ``C`` = 1 or 3, ``T ≥ 4``, finite, values in ``[0, 1]``."""
    check_tensor(video, name)
    if video.ndim != 4:
        hint = ""
        if video.ndim == 3:
            hint = f" For a grey video T×H×W use {name}[:, None]."
        elif video.ndim == 5:
            hint = f" For a batch of videos, magnify them one at a time ({name}[i])."
        raise ValueError(f"`{name}` must be a 4-D tensor T×C×H×W, got shape {tuple(video.shape)}.{hint}")
    if video.shape[1] not in (1, 3):
        raise ValueError(
            f"`{name}` must have 1 or 3 channels (dimension 1 of T×C×H×W), got {video.shape[1]}; "
            f"if the channels are last, use {name}.permute(0, 3, 1, 2)."
        )
    if video.shape[0] < MIN_FRAMES:
        raise ValueError(
            f"`{name}` has {video.shape[0]} frame(s); a temporal band-pass needs at least "
            f"{MIN_FRAMES} frames (T, dimension 0 of T×C×H×W)."
        )
    check_finite(video, name)
    lo, hi = float(video.min()), float(video.max())
    if lo < -_RANGE_TOL or hi > 1 + _RANGE_TOL:
        raise ValueError(
            f"`{name}` must hold values in [0, 1], got [{lo:.3g}, {hi:.3g}]; rescale it "
            f"(divide 8-bit frames by 255)."
        )
    return video


def _check_band(low, high, fs) -> tuple[float, float, float]:
    fs = check_positive(fs, "fs")
    low = check_positive(low, "low", allow_zero=True)
    high = check_positive(high, "high", allow_zero=True)
    nyquist = fs / 2
    for name, f in (("low", low), ("high", high)):
        if not 0 < f < nyquist:
            raise ValueError(
                f"`{name}` = {f} Hz is outside (0, fs/2) = (0, {nyquist:g}) Hz: the pass band "
                f"must lie strictly between 0 and the Nyquist frequency of a {fs:g} fps video."
            )
    if low >= high:
        raise ValueError(f"`low` ({low} Hz) must be below `high` ({high} Hz).")
    return low, high, fs


def _check_alpha(alpha) -> float:
    if isinstance(alpha, Tensor) and alpha.numel() == 1:
        alpha = float(alpha)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"`alpha` must be a number, got {type(alpha).__name__}.")
    alpha = float(alpha)
    if not math.isfinite(alpha):
        raise ValueError(f"`alpha` must be finite, got {alpha}.")
    return alpha


def _frame_indices(frames, n_frames: int) -> Tensor:
    """``None``, an int, a slice or a sequence of ints → a 1-D index tensor."""
    every = torch.arange(n_frames)
    if frames is None:
        return every
    if isinstance(frames, slice):
        return every[frames]
    if isinstance(frames, int) and not isinstance(frames, bool):
        frames = [frames]
    try:
        idx = torch.as_tensor(frames)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError("`frame_index` must be None, an int, a slice or a sequence of ints.") from err
    if idx.dtype == torch.bool or idx.is_floating_point() or idx.is_complex() or idx.ndim > 1:
        raise TypeError("`frame_index` must be None, an int, a slice or a sequence of ints.")
    idx = idx.reshape(-1).long()
    if idx.numel() and (int(idx.min()) < -n_frames or int(idx.max()) >= n_frames):
        raise ValueError(f"`frame_index` must index the {n_frames} frames, got {frames!r}.")
    return every[idx]


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------


def _check_bins(n: int, low: float, high: float, fs: float) -> None:
    f = torch.fft.rfftfreq(n, d=1 / fs)
    if not bool(((f >= low) & (f <= high)).any()):
        raise ValueError(
            f"no DFT frequency of a {n}-frame clip at {fs:g} fps lies in [{low:g}, {high:g}] Hz "
            f"(bins are {fs / n:.3g} Hz apart): widen the band, use more frames, or use "
            f"temporal_filter='butterworth'."
        )


def temporal_bandpass(
    signal: Tensor,
    low: float,
    high: float,
    fs: float,
    temporal_filter: Literal["ideal", "butterworth"] = "ideal",
    dim: int = 0,
) -> Tensor:
    """Band-pass a real signal along its time axis.

    Parameters
    ----------
    signal
        Real tensor with time along ``dim``.
    low, high
        Pass band in Hz, ``0 < low < high < fs/2``.
    fs
        Sampling rate (frames per second).
    temporal_filter
        ``"ideal"`` (zero-phase FFT band-pass over the whole signal) or
        ``"butterworth"`` (causal first-order band-pass), see the module notes.
    dim
        The time axis.

    Returns
    -------
    Tensor
        Same shape and dtype as ``signal``.

    Raises
    ------
    TypeError
        If ``signal`` is not a floating-point tensor, or ``low``, ``high`` or
        ``fs`` is not a number.
    ValueError
        If ``fs`` is not finite and > 0, ``low`` or ``high`` lies outside
        ``(0, fs/2)`` or ``low ≥ high``, ``temporal_filter`` is not ``"ideal"`` or
        ``"butterworth"``, or (``"ideal"``) no DFT frequency of the signal's
        length lies in ``[low, high]``.

    Examples
    --------
    >>> import math, torch
    >>> t = torch.arange(32.0)
    >>> x = torch.sin(2 * math.pi * 2 * t / 32) + torch.sin(2 * math.pi * 10 * t / 32)
    >>> y = temporal_bandpass(x, low=1.0, high=4.0, fs=32.0)
    >>> bool(torch.allclose(y, torch.sin(2 * math.pi * 2 * t / 32), atol=1e-5))
    True
    """
    check_tensor(signal, "signal")
    low, high, fs = _check_band(low, high, fs)
    check_choice(temporal_filter, "temporal_filter", TEMPORAL_FILTERS)
    x = signal.movedim(dim, 0)
    n = x.shape[0]
    if temporal_filter == "ideal":
        _check_bins(n, low, high, fs)
        f = torch.fft.rfftfreq(n, d=1 / fs).to(x.device)
        keep = ((f >= low) & (f <= high)).to(x.dtype)
        spec = torch.fft.rfft(x, dim=0) * keep.reshape(-1, *([1] * (x.ndim - 1)))
        y = torch.fft.irfft(spec, n=n, dim=0)
    else:
        y = _lowpass1(x, high, fs) - _lowpass1(x, low, fs)
    return y.to(signal.dtype).movedim(0, dim)


def _lowpass1(x: Tensor, cutoff: float, fs: float) -> Tensor:
    """First-order Butterworth low-pass (bilinear transform) along dim 0, steady state at x[0]."""
    k = math.tan(math.pi * cutoff / fs)
    b = k / (1 + k)
    a = (k - 1) / (k + 1)
    out = torch.empty_like(x)
    prev_x = x[0]
    prev_y = x[0]  # steady state: a constant input passes unchanged
    for t in range(x.shape[0]):
        prev_y = b * (x[t] + prev_x) - a * prev_y
        prev_x = x[t]
        out[t] = prev_y
    return out


def amplitude_weighted_blur(values: Tensor, amplitude: Tensor, sigma: float) -> Tensor:
    """Amplitude-weighted Gaussian smoothing ``(v·ρ) ∗ K_σ / (ρ ∗ K_σ)`` over the last two axes.

    Phase is unreliable where the amplitude ``ρ`` is small; weighting by ``ρ``
    lets nearby strong responses fill it in. The Gaussian is applied in the
    Fourier domain (circular boundary, like the pyramid's own bands). Where
    ``ρ ∗ K_σ`` is zero the result is zero, never NaN.

    Parameters
    ----------
    values
        Real tensor ``(..., h, w)`` (e.g. band-passed phases).
    amplitude
        Non-negative weights broadcastable to ``values``.
    sigma
        Gaussian standard deviation in pixels of the ``h×w`` grid; ``0`` returns ``values``.

    Returns
    -------
    Tensor
        Same shape as ``values``.

    Raises
    ------
    TypeError
        If ``sigma`` is not a number, or (``sigma > 0``) ``values`` is not a
        floating-point tensor.
    ValueError
        If ``sigma`` is negative or not finite, or (``sigma > 0``) ``values`` has
        fewer than 2 dimensions.

    Examples
    --------
    >>> import torch
    >>> v = torch.ones(1, 8, 8); rho = torch.rand(1, 8, 8)
    >>> bool(torch.allclose(amplitude_weighted_blur(v, rho, 2.0), v, atol=1e-5))
    True
    """
    sigma = check_positive(sigma, "sigma", allow_zero=True)
    if sigma == 0:
        return values
    def blur(x: Tensor) -> Tensor:
        return gaussian_blur(x, sigma, boundary="circular")

    amplitude = amplitude.to(values.dtype)
    num = blur(values * amplitude)
    den = blur(amplitude.expand_as(values))
    tiny = torch.finfo(values.dtype).tiny / torch.finfo(values.dtype).eps
    scale = den.abs().amax(dim=(-2, -1), keepdim=True)
    safe = den > 1e-6 * scale + tiny
    return torch.where(safe, num / torch.where(safe, den, torch.ones_like(den)), torch.zeros_like(num))


def wavelength_weights(
    image_shape: Sequence[int],
    alpha: float,
    wavelength_cutoff: float,
    device=None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Fraction of ``α`` that Eulerian magnification applies at each spatial frequency.

    Wu et al. (2012) amplify a spatial wavelength ``λ`` by
    ``α_λ = min(α, λ/(8δ) − 1)`` with ``δ = λ_c / (8(1+α))`` the largest
    motion they assume: full ``α`` for ``λ ≥ λ_c``, ramping linearly down to 0
    at ``λ = λ_c/(1+α)``, so that ``(1+α_λ)·δ ≤ λ/8`` everywhere. Returned
    as weights ``α_λ/α`` on the ``rfft2`` grid (``λ = 2π/|ω|``; the DC term
    has weight 1). For negative ``α`` the same ramp uses ``|α|``.

    Parameters
    ----------
    image_shape
        ``(H, W)``.
    alpha
        The amplification factor.
    wavelength_cutoff
        ``λ_c`` in pixels (``> 0``).
    device, dtype
        Of the result.

    Returns
    -------
    Tensor
        ``H × (W//2 + 1)`` weights in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``alpha`` or ``wavelength_cutoff`` is not a number.
    ValueError
        If ``alpha`` is not finite, or ``wavelength_cutoff`` is not finite and > 0.

    Examples
    --------
    >>> wts = wavelength_weights((16, 16), alpha=3.0, wavelength_cutoff=8.0)
    >>> float(wts[0, 1]), float(wts[0, 2]), float(wts[0, 8])  # λ = 16, 8, 2 px
    (1.0, 1.0, 0.0)
    """
    h, w = (int(s) for s in image_shape)
    alpha = abs(_check_alpha(alpha))
    cutoff = check_positive(wavelength_cutoff, "wavelength_cutoff")
    wy = 2 * math.pi * torch.fft.fftfreq(h, device=device, dtype=torch.float64)
    wx = 2 * math.pi * torch.fft.rfftfreq(w, device=device, dtype=torch.float64)
    omega = torch.sqrt(wy[:, None] ** 2 + wx[None, :] ** 2)
    lam = 2 * math.pi / omega.clamp_min(1e-12)
    if alpha == 0:
        return torch.ones_like(lam, dtype=dtype)
    weights = (((1 + alpha) * lam / cutoff - 1) / alpha).clamp(0, 1)
    return weights.to(dtype)


def _to_luminance(video: Tensor, color: str) -> tuple[Tensor, Tensor | None]:
    if color == "luminance" and video.shape[1] == 3:
        yiq = rgb_to_yiq(video)
        return yiq[:, :1], yiq[:, 1:]
    return video, None


def _from_luminance(y: Tensor, iq: Tensor | None) -> Tensor:
    return y if iq is None else yiq_to_rgb(torch.cat([y, iq], dim=1))


# ---------------------------------------------------------------------------
# Eulerian (linear) magnification
# ---------------------------------------------------------------------------


class LinearMagnifier:
    """Eulerian (linear) motion magnification with the temporal band-pass cached.

    ``render(alpha)`` returns ``I + α·B``, with ``B`` the band-passed
    intensity, optionally with ``α`` reduced at short spatial wavelengths
    (Wu et al.'s ``λ_c``, see :func:`wavelength_weights`).

    Parameters
    ----------
    video
        ``T×C×H×W`` in ``[0, 1]``, ``T ≥ 4``.
    low, high
        Temporal pass band in Hz, ``0 < low < high < fs/2``.
    fs
        Frame rate.
    temporal_filter
        ``"ideal"`` or ``"butterworth"`` (see the module notes).
    color
        ``"luminance"`` (YIQ ``Y`` only, default) or ``"rgb"`` (every channel).

    Attributes
    ----------
    bandpassed
        The band-passed intensity ``B`` (``T×C'×H×W``; ``C' = 1`` in luminance mode).

    Raises
    ------
    TypeError
        If ``video`` is not a floating-point tensor, ``low``, ``high`` or ``fs`` is
        not a number, or options passed positionally (deprecated) are too many or
        also given as keywords.
    ValueError
        If ``video`` is not ``T×C×H×W`` with 1 or 3 channels, at least 4 frames and
        finite values in ``[0, 1]``, ``fs`` is not finite and > 0, ``low`` or ``high``
        lies outside ``(0, fs/2)`` or ``low ≥ high``, ``temporal_filter`` or ``color``
        is not one of its settings, or (``"ideal"``) no DFT frequency of the clip lies
        in the pass band.

    Examples
    --------
    >>> from steerlens import signals
    >>> d = signals.sinusoidal_displacement(8, amplitude=0.1, frequency=1.0, fs=8.0)
    >>> video, _ = signals.moving_pattern(d, shape=(16, 16), wavelength=8.0, contrast=0.5)
    >>> mag = LinearMagnifier(video, low=0.5, high=2.0, fs=8.0)
    >>> tuple(mag.render(5.0).shape), bool((mag.render(0.0) == video).all())
    ((8, 1, 16, 16), True)
    """

    def __init__(
        self,
        video: Tensor,
        low: float,
        high: float,
        fs: float,
        *legacy,
        temporal_filter: Literal["ideal", "butterworth"] = _UNSET,
        color: Literal["luminance", "rgb"] = _UNSET,
    ):
        given = {"temporal_filter": temporal_filter, "color": color}
        given.update(_legacy_positional("LinearMagnifier()", list(given), legacy, given))
        temporal_filter = "ideal" if given["temporal_filter"] is _UNSET else given["temporal_filter"]
        color = "luminance" if given["color"] is _UNSET else given["color"]
        self.video = _check_video(video)
        self.low, self.high, self.fs = _check_band(low, high, fs)
        self.temporal_filter = check_choice(temporal_filter, "temporal_filter", TEMPORAL_FILTERS)
        self.color = check_choice(color, "color", COLOR_MODES)
        y, self._chroma = _to_luminance(video.to(working_dtype(video.dtype)), self.color)
        self._signal = y
        self.bandpassed = temporal_bandpass(y, self.low, self.high, self.fs, self.temporal_filter)
        self._spectrum: Tensor | None = None

    def render(
        self,
        alpha: float,
        *,
        frame_index: int | slice | Sequence[int] | None = None,
        wavelength_cutoff: float | None = None,
        clip: bool = True,
        frames=_UNSET,
    ) -> Tensor:
        """The magnified frames ``I + α·B`` (``T×C×H×W``; only ``frame_index`` if given).

        Parameters
        ----------
        alpha
            Amplification factor ``α`` (``0`` returns the input exactly;
            negative values attenuate the motion).
        frame_index
            Which frames to render (an int, slice or list of indices); all by
            default. (``frames=`` is its deprecated old name.)
        wavelength_cutoff
            Wu et al.'s ``λ_c`` in pixels: spatial wavelengths shorter than
            ``λ_c`` get a reduced ``α`` so that ``(1+α)δ ≤ λ/8`` holds for the
            motion ``δ = λ_c/(8(1+α))``. ``None`` (default) amplifies every
            wavelength by ``α``.
        clip
            Clamp the result to ``[0, 1]`` (default); ``False`` returns raw values.

        Raises
        ------
        TypeError
            If ``alpha`` or ``wavelength_cutoff`` is not a number, ``frame_index`` is
            not ``None``, an int, a slice or a sequence of ints, or both
            ``frame_index`` and ``frames`` are given.
        ValueError
            If ``alpha`` is not finite, ``frame_index`` is out of range, or
            ``wavelength_cutoff`` is not finite and > 0.
        """
        frames = _frame_alias(frame_index, frames, "LinearMagnifier.render()")
        alpha = _check_alpha(alpha)
        idx = _frame_indices(frames, self.video.shape[0])
        if alpha == 0:
            return self.video[idx].clone()
        band = self.bandpassed[idx]
        if wavelength_cutoff is not None:
            if self._spectrum is None:
                self._spectrum = torch.fft.rfft2(self.bandpassed)
            weights = wavelength_weights(
                self.video.shape[-2:], alpha, wavelength_cutoff, self.video.device, self._signal.dtype
            )
            band = torch.fft.irfft2(self._spectrum[idx] * weights, s=self.video.shape[-2:])
        y = self._signal[idx] + _bounded(alpha * band)
        out = _from_luminance(y, None if self._chroma is None else self._chroma[idx])
        out = out.clamp(0, 1) if clip else out
        return out.to(self.video.dtype)


def linear(
    video: Tensor,
    alpha: float,
    low: float,
    high: float,
    fs: float,
    *legacy,
    temporal_filter: Literal["ideal", "butterworth"] = _UNSET,
    wavelength_cutoff: float | None = _UNSET,
    color: Literal["luminance", "rgb"] = _UNSET,
    clip: bool = _UNSET,
) -> Tensor:
    """Eulerian (linear) motion magnification (Wu et al. 2012).

    Band-pass every pixel's intensity in time, multiply by ``α``, add it back:
    ``I + α·B ≈ I(u + (1+α)δ(t))`` while ``(1+α)δ < λ/8``.

    Parameters
    ----------
    video
        ``T×C×H×W`` float tensor in ``[0, 1]`` (``C`` = 1 or 3, ``T ≥ 4``).
    alpha
        Amplification factor (``0`` returns the input).
    low, high
        Temporal pass band in Hz, ``0 < low < high < fs/2``.
    fs
        Frame rate in frames per second.
    temporal_filter
        ``"ideal"`` (zero-phase FFT, default) or ``"butterworth"`` (causal first order).
    wavelength_cutoff
        Optional ``λ_c`` in pixels: attenuate ``α`` for shorter spatial
        wavelengths, as in Wu et al. (see :func:`wavelength_weights`).
    color
        ``"luminance"`` (default: YIQ ``Y`` only) or ``"rgb"``.
    clip
        Clamp the output to ``[0, 1]`` (default).

    Returns
    -------
    Tensor
        ``T×C×H×W``, same dtype as ``video`` (half precision is computed in
        float32). Finite at any finite ``α``.

    Raises
    ------
    TypeError
        If ``video`` is not a floating-point tensor, ``alpha``, ``low``, ``high``,
        ``fs`` or ``wavelength_cutoff`` is not a number, or options passed positionally
        (deprecated) are too many or also given as keywords.
    ValueError
        If ``video`` is not ``T×C×H×W`` with 1 or 3 channels, at least 4 frames and
        finite values in ``[0, 1]``, ``alpha`` is not finite, ``fs`` is not finite
        and > 0, ``low`` or ``high`` lies outside ``(0, fs/2)`` or ``low ≥ high``,
        ``temporal_filter`` or ``color`` is not one of its settings, (``"ideal"``) no
        DFT frequency of the clip lies in the pass band, or ``wavelength_cutoff`` is
        not finite and > 0.

    Notes
    -----
    Everything after ``fs`` is keyword-only (passing it positionally still
    works, with a ``DeprecationWarning``, for one release).

    Examples
    --------
    >>> import torch
    >>> video = torch.rand(8, 1, 16, 16)
    >>> torch.equal(linear(video, 0.0, low=1.0, high=2.0, fs=8.0), video)
    True
    """
    given = {"temporal_filter": temporal_filter, "wavelength_cutoff": wavelength_cutoff,
             "color": color, "clip": clip}
    given.update(_legacy_positional("linear()", list(given), legacy, given))
    o = {k: v for k, v in given.items() if v is not _UNSET}
    o = {"temporal_filter": "ideal", "wavelength_cutoff": None, "color": "luminance", "clip": True, **o}
    _check_alpha(alpha)
    mag = LinearMagnifier(video, low, high, fs, temporal_filter=o["temporal_filter"], color=o["color"])
    return mag.render(alpha, wavelength_cutoff=o["wavelength_cutoff"], clip=o["clip"])


# ---------------------------------------------------------------------------
# phase-based magnification
# ---------------------------------------------------------------------------


_PHASE_DEFAULTS = {
    "temporal_filter": "ideal", "sigma": 2.0, "reference": 0, "height": "auto", "order": 3,
    "twidth": 1, "downsample": False, "color": "luminance",
}


class PhaseMagnifier:
    """Phase-based motion magnification with the decomposition and filtered phases cached.

    Building the object does all the analysis once: the complex steerable
    pyramid of every frame, the phase difference of every band to the
    reference frame (wrapped to ``(−π, π]``), its temporal band-pass and its
    amplitude-weighted spatial smoothing. ``render(alpha)`` then only
    multiplies each coefficient by ``exp(i·α·Δφ̃)`` and synthesises, so a
    slider can call it for every new ``α``.

    Parameters
    ----------
    video
        ``T×C×H×W`` float tensor in ``[0, 1]`` (``C`` = 1 or 3, ``T ≥ 4``,
        even ``H`` and ``W``, at least 8).
    low, high
        Temporal pass band in Hz, ``0 < low < high < fs/2``.
    fs
        Frame rate in frames per second.
    temporal_filter
        ``"ideal"`` (default) or ``"butterworth"``, see the module notes.
    sigma
        Standard deviation in pixels (of each band's own grid) of the Gaussian
        used for amplitude-weighted phase smoothing; ``0`` disables smoothing.
    reference
        Index of the reference frame for the phase differences.
    height, order, twidth, downsample
        Pyramid parameters passed to :class:`~steerlens.transforms.CSP`. The
        default ``downsample=False`` keeps every band at full resolution,
        which makes the bands exactly translation-covariant (cleaner phase)
        at the cost of memory.
    color
        ``"luminance"`` (default: magnify YIQ ``Y`` only) or ``"rgb"``.

    Raises
    ------
    TypeError
        If ``video`` is not a floating-point tensor, ``low``, ``high``, ``fs`` or
        ``sigma`` is not a number, ``reference``, ``order``, ``twidth`` or ``height``
        (when not ``"auto"``) is not an int, or options passed positionally (deprecated)
        are too many or also given as keywords.
    ValueError
        If ``video`` is not ``T×C×H×W`` with 1 or 3 channels, at least 4 frames and
        finite values in ``[0, 1]``, ``fs`` is not finite and > 0, ``low`` or ``high``
        lies outside ``(0, fs/2)`` or ``low ≥ high``, ``temporal_filter`` or ``color``
        is not one of its settings, ``sigma`` is negative or not finite, ``reference``
        does not index a frame, (``"ideal"``) no DFT frequency of the clip lies in the
        pass band, or the pyramid options are refused by
        :class:`~steerlens.transforms.CSP` (``H``, ``W`` not even and ≥ 8, ``height``
        too large, ``order`` outside 1 … 15, ``twidth`` < 1).

    Notes
    -----
    Phase changes are measured against one reference frame and wrapped to
    ``(−π, π]``, so the *input* motion must stay below half a wavelength of
    every band that carries it (under a pixel at the finest scale): this is a
    method for small motions. The residual high-pass (``|ω| ≳ π/2``) and
    low-pass bands are not edited, so their content does not move.

    Attributes
    ----------
    csp
        The :class:`~steerlens.transforms.CSP` used.
    coefficients
        The pyramid of every frame (:class:`~steerlens.transforms.Coefficients`, batch = time).
    filtered_phase
        One real tensor per scale, shaped like its band (``T×C'×K×h×w``): the
        band-passed, smoothed phase change ``Δφ̃`` that ``α`` multiplies.

    Examples
    --------
    >>> from steerlens import signals
    >>> d = signals.sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)
    >>> video, _ = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)
    >>> mag = PhaseMagnifier(video, low=0.5, high=2.0, fs=8.0, height=2)
    >>> [tuple(p.shape) for p in mag.filtered_phase]
    [(8, 1, 4, 32, 32), (8, 1, 4, 32, 32)]
    >>> tuple(mag.render(10.0, frame_index=[0, 2]).shape)
    (2, 1, 32, 32)
    """

    def __init__(
        self,
        video: Tensor,
        low: float,
        high: float,
        fs: float,
        *legacy,
        temporal_filter: Literal["ideal", "butterworth"] = _UNSET,
        sigma: float = _UNSET,
        reference: int = _UNSET,
        height: Literal["auto"] | int = _UNSET,
        order: int = _UNSET,
        twidth: int = _UNSET,
        downsample: bool = _UNSET,
        color: Literal["luminance", "rgb"] = _UNSET,
    ):
        given = {"temporal_filter": temporal_filter, "sigma": sigma, "reference": reference,
                 "height": height, "order": order, "twidth": twidth, "downsample": downsample,
                 "color": color}
        given.update(_legacy_positional("PhaseMagnifier()", list(given), legacy, given))
        o = {k: v for k, v in given.items() if v is not _UNSET}
        o = {**_PHASE_DEFAULTS, **o}
        temporal_filter, sigma, reference = o["temporal_filter"], o["sigma"], o["reference"]
        height, order, twidth = o["height"], o["order"], o["twidth"]
        downsample, color = o["downsample"], o["color"]
        self.video = _check_video(video)
        self.low, self.high, self.fs = _check_band(low, high, fs)
        self.temporal_filter = check_choice(temporal_filter, "temporal_filter", TEMPORAL_FILTERS)
        self.sigma = check_positive(sigma, "sigma", allow_zero=True)
        check_int(reference, "reference")
        n = video.shape[0]
        if not -n <= reference < n:
            raise ValueError(f"`reference` must index one of the {n} frames, got {reference}.")
        self.reference = reference % n
        self.color = check_choice(color, "color", COLOR_MODES)
        if self.temporal_filter == "ideal":
            _check_bins(n, self.low, self.high, self.fs)
        self.csp = CSP(
            tuple(video.shape[-2:]), height=height, order=order, twidth=twidth,
            downsample=downsample, color="luminance" if self.color == "luminance" else "rgb",
        )
        work = video.to(working_dtype(video.dtype))
        self.csp.to(device=work.device, dtype=work.dtype)
        self.coefficients: Coefficients = self.csp.analyze(work)
        self.filtered_phase: list[Tensor] = []
        for band in self.coefficients.bands:
            # wrapped phase change to the reference: arg(c_t · conj(c_ref)) ∈ (−π, π]
            change = torch.angle(band * band[self.reference].conj())
            change = temporal_bandpass(change, self.low, self.high, self.fs, self.temporal_filter)
            if self.sigma > 0:
                change = amplitude_weighted_blur(change, band.abs(), self.sigma)
            self.filtered_phase.append(change)

    def render(
        self,
        alpha: float,
        *,
        frame_index: int | slice | Sequence[int] | None = None,
        attenuate: bool = False,
        phase_limit: float = math.pi / 2,
        clip: bool = True,
        frames=_UNSET,
    ) -> Tensor:
        """Magnified frames: every coefficient times ``exp(i·α·Δφ̃)``, then synthesis.

        Parameters
        ----------
        alpha
            Amplification factor ``α``. ``0`` returns the input frames exactly;
            negative values attenuate the motion (``−1`` removes it in the pass band).
        frame_index
            Which frames to render (an int, slice or list of indices); all by
            default. (``frames=`` is its deprecated old name.)
        attenuate
            Limit large amplified phase changes: ``α·Δφ̃`` is clipped to
            ``±phase_limit`` per coefficient. Fine scales then saturate instead
            of wrapping around (which would reverse or ring the motion), while
            coarse scales keep the full magnification.
        phase_limit
            The clip level in radians (default ``π/2``: the octave-bandwidth
            pyramid's bound ``α·δ < λ/4`` of Wadhwa et al.).
        clip
            Clamp the output to ``[0, 1]`` (default).

        Returns
        -------
        Tensor
            ``T×C×H×W`` (or ``len(frame_index)×C×H×W``), same dtype as the
            video; finite at any finite ``α`` (phase changes are clamped to
            ``±1e6`` radians, far beyond any meaningful magnification).

        Raises
        ------
        TypeError
            If ``alpha`` or ``phase_limit`` is not a number, ``frame_index`` is not
            ``None``, an int, a slice or a sequence of ints, or both ``frame_index``
            and ``frames`` are given.
        ValueError
            If ``alpha`` is not finite, ``frame_index`` is out of range, or
            ``phase_limit`` is not finite and > 0.
        """
        frames = _frame_alias(frame_index, frames, "PhaseMagnifier.render()")
        alpha = _check_alpha(alpha)
        phase_limit = check_positive(phase_limit, "phase_limit")
        idx = _frame_indices(frames, self.video.shape[0])
        if alpha == 0:
            return self.video[idx].clone()
        outputs = []
        for chunk in torch.split(idx, _RENDER_CHUNK):
            shifts = []
            for phase in self.filtered_phase:
                shift = _bounded(alpha * phase[chunk])
                if attenuate:
                    shift = shift.clamp(-phase_limit, phase_limit)
                shifts.append(shift)
            coeffs = Coefficients(
                [b[chunk] for b in self.coefficients.bands],
                {k: v[chunk] for k, v in self.coefficients.fixed.items()},
            )
            outputs.append(self.csp.synthesize(self.csp.polar_edit(coeffs, delta=shifts)))
        out = torch.cat(outputs)
        out = out.clamp(0, 1) if clip else out
        return out.to(self.video.dtype)


def phase_based(
    video: Tensor,
    alpha: float,
    low: float,
    high: float,
    fs: float,
    *legacy,
    temporal_filter: Literal["ideal", "butterworth"] = _UNSET,
    sigma: float = _UNSET,
    reference: int = _UNSET,
    attenuate: bool = _UNSET,
    phase_limit: float = _UNSET,
    height: Literal["auto"] | int = _UNSET,
    order: int = _UNSET,
    twidth: int = _UNSET,
    downsample: bool = _UNSET,
    color: Literal["luminance", "rgb"] = _UNSET,
    clip: bool = _UNSET,
) -> Tensor:
    """Phase-based motion magnification (Wadhwa et al. 2013).

    Complex steerable pyramid per frame; per band, the wrapped phase
    difference to the ``reference`` frame is band-passed in time, smoothed
    with amplitude weights ``(Δφ·ρ) ∗ K_σ / (ρ ∗ K_σ)``, multiplied by ``α``
    and added back to the phase; the frame is then reconstructed (residual
    bands unchanged). A pattern moving by ``δ(t)`` comes out moving by
    ``(1+α)δ(t)`` while ``α·δ`` stays below about a quarter of the
    wavelength of the scales that carry it. Equivalent to
    ``PhaseMagnifier(video, ...).render(alpha, ...)``; build a
    :class:`PhaseMagnifier` to render several ``α``.

    Parameters
    ----------
    video
        ``T×C×H×W`` float tensor in ``[0, 1]`` (``C`` = 1 or 3, ``T ≥ 4``,
        even ``H``, ``W`` ≥ 8).
    alpha
        Amplification factor (``0`` returns the input).
    low, high
        Temporal pass band in Hz, ``0 < low < high < fs/2``.
    fs
        Frame rate in frames per second.
    temporal_filter
        ``"ideal"`` (default) or ``"butterworth"``.
    sigma
        Amplitude-weighted smoothing in pixels (``0``: none).
    reference
        Reference frame index for the phase differences.
    attenuate, phase_limit
        Clip amplified phase changes to ``±phase_limit`` radians
        (see :meth:`PhaseMagnifier.render`).
    height, order, twidth, downsample
        Pyramid parameters (:class:`~steerlens.transforms.CSP`).
    color
        ``"luminance"`` (default) or ``"rgb"``.
    clip
        Clamp the output to ``[0, 1]`` (default).

    Returns
    -------
    Tensor
        ``T×C×H×W``, same dtype as ``video`` (half precision is computed in
        float32); finite at any finite ``α``.

    Raises
    ------
    TypeError
        As :class:`PhaseMagnifier`, and if ``alpha`` or ``phase_limit`` is not a
        number.
    ValueError
        As :class:`PhaseMagnifier`, and if ``alpha`` is not finite or
        ``phase_limit`` is not finite and > 0.

    Notes
    -----
    Everything after ``fs`` is keyword-only (passing it positionally still
    works, with a ``DeprecationWarning``, for one release).

    Examples
    --------
    >>> import torch
    >>> video = torch.rand(8, 1, 16, 16)
    >>> torch.equal(phase_based(video, 0.0, low=1.0, high=2.0, fs=8.0), video)
    True
    """
    given = {"temporal_filter": temporal_filter, "sigma": sigma, "reference": reference,
             "attenuate": attenuate, "phase_limit": phase_limit, "height": height, "order": order,
             "twidth": twidth, "downsample": downsample, "color": color, "clip": clip}
    given.update(_legacy_positional("phase_based()", list(given), legacy, given))
    o = {k: v for k, v in given.items() if v is not _UNSET}
    o = {**_PHASE_DEFAULTS, "attenuate": False, "phase_limit": math.pi / 2, "clip": True, **o}
    _check_alpha(alpha)
    render = {k: o.pop(k) for k in ("attenuate", "phase_limit", "clip")}
    mag = PhaseMagnifier(video, low, high, fs, **o)
    return mag.render(alpha, **render)
