"""Videos with known motion: displacements in time, moving patterns, a natural image under a
known smooth warp, and the displacement gain of a processed clip."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import torch
from torch import Tensor

from .._checks import check_choice, check_finite, check_int, check_positive, check_tensor
from ..resample import measure_shift, translate, warp
from ._common import _grid, _shape
from .patterns import PATTERNS, gabor_patch, grating

__all__ = [
    "MotionClip",
    "sinusoidal_displacement",
    "moving_pattern",
    "natural_image",
    "smooth_displacement_field",
    "warped_image",
    "displacement_gain",
]

NATURAL_IMAGES = ("camera", "einstein")


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

    Raises
    ------
    TypeError
        If ``n_frames`` is not an int, or ``amplitude``, ``frequency`` or ``fs`` is
        not a number.
    ValueError
        If ``n_frames`` < 1, ``amplitude`` is negative or not finite, ``fs`` or
        ``frequency`` is not finite and > 0, or ``frequency ≥ fs/2``.

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

    Raises
    ------
    TypeError
        If ``displacement`` or an image ``pattern`` is not a floating-point tensor,
        ``shape`` is not a pair of ints, ``channels`` is not an int, or
        ``wavelength``, ``sigma`` or ``contrast`` is not a number.
    ValueError
        If ``displacement`` is not ``T×2`` or holds NaN/inf; an image ``pattern``
        is not ``H×W`` or ``C×H×W`` with ``C`` = 1 or 3 or holds NaN/inf; a string
        ``pattern`` is not ``"gabor"`` or ``"grating"``; ``shape`` is not ``(H, W)``
        with sizes ≥ 2; ``channels`` is not 1 or 3; ``wavelength`` or ``sigma`` is
        not finite and > 0; or ``contrast`` is not in ``[0, 1]``.

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

    Raises
    ------
    TypeError
        If ``shape`` is not a pair of ints.
    ValueError
        For a name other than ``"camera"``/``"einstein"``, or a ``shape`` that
        is not two sizes ``≥ 2``.

    Examples
    --------
    >>> tuple(natural_image("camera", (64, 48)).shape)
    (1, 64, 48)
    """
    from ..data.natural import resized

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

    Raises
    ------
    TypeError
        If ``shape`` is not a pair of ints, ``amplitude`` is not a number, or
        ``seed`` or ``max_frequency`` is not an int.
    ValueError
        If ``shape`` is not ``(H, W)`` with sizes ≥ 2, ``amplitude`` is negative or
        not finite, or ``max_frequency`` < 1.

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

    Raises
    ------
    TypeError
        If a tensor ``image`` or ``field`` is not floating-point, ``shape`` is not a
        pair of ints, ``n_frames`` or ``seed`` is not an int, or ``amplitude``,
        ``frequency`` or ``fs`` is not a number.
    ValueError
        If a string ``image`` is not ``"camera"`` or ``"einstein"``, ``shape`` is
        not ``(H, W)`` with sizes ≥ 2, a tensor ``image`` is not ``H×W`` or
        ``C×H×W`` or holds NaN/inf, ``field`` is not ``2×H×W`` or holds NaN/inf,
        ``amplitude`` is negative or not finite (default field), ``n_frames`` < 1,
        ``fs`` or ``frequency`` is not finite and > 0, or ``frequency ≥ fs/2``.

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

    Raises
    ------
    TypeError
        If ``frames``, ``reference`` or ``displacement`` is not a floating-point
        tensor, or ``frequency_range`` is not a pair of numbers.
    ValueError
        If ``frames`` is not ``T×C×H×W``, ``displacement`` is not ``T×2`` with one
        row per frame or is zero in every frame, ``frames``, ``reference`` or
        ``displacement`` holds NaN/inf, ``reference`` does not share ``frames``'s
        ``H×W`` and channels, or ``frequency_range`` is not
        ``0 ≤ ω_min < ω_max``.

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
