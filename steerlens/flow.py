"""The motion that a phase edit implies: a displacement field fitted across pyramid bands.

A pattern translated by ``d = (d_y, d_x)`` pixels changes the phase of a
quadrature band with frequency ``ω`` by ``Δφ ≈ −ωᵀd`` (Fleet & Jepson 1990).
A complex steerable pyramid has many bands (scales × orientations, and the
colour channels), each with its own ``ω``, so at every pixel the bands' phase
changes are many equations for the two unknowns of ``d``. We solve them by
weighted least squares, pooled over a small Gaussian window ``G_σ``:

    d(u) = argmin_d  G_σ * Σ_bands w · (Δφ + ωᵀd)²,      w = ρ (the amplitude)

with ``ω`` each band's centre frequency (:meth:`~steerlens.transforms.CSP.band_frequencies`)
or, by default, each coefficient's local phase gradient.

Phase is meaningless where the amplitude ``ρ`` is near zero, so those
coefficients get (almost) no weight. The share of the weighted phase-change
energy that this single displacement explains is the **coherence**,

    coherence(u) = 1 − G_σ * Σ w (Δφ + ωᵀd)²  /  G_σ * Σ w Δφ²   ∈ [0, 1]:

1 when the phase changes are exactly those of a local translation, near 0 when
no single motion could have made them (each band doing something else).

- :func:`implied_displacement` — the field implied by given phase changes on
  given source coefficients (e.g. a lens edit ``δ``).
- :func:`edit_displacement` — the same for a lens :class:`~steerlens.lens.Gradient`
  (``domain="csp"``, a phase component) at amplification ``α``.
- :func:`measure_displacement` — the displacement between two images, from
  their wrapped phase differences, unwrapped coarse to fine.
- :func:`phase_difference` — ``arg(c¹·conj(c⁰))`` per band, wrapped to ``(−π, π]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from ._checks import check_choice, check_finite, check_images, check_positive
from .resample import gaussian_blur
from .transforms import CSP, Coefficients

__all__ = [
    "DisplacementField",
    "implied_displacement",
    "edit_displacement",
    "measure_displacement",
    "phase_difference",
    "wrap_phase",
]

FREQUENCIES = ("band", "local")
WEIGHTINGS = ("amplitude", "energy", "none")

# Layout of the per-pixel sums: the 2×2 normal matrix, the right-hand side, the
# phase-change energy and the total weight.
_AYY, _AYX, _AXX, _BY, _BX, _ENERGY, _WEIGHT = range(7)

# Coefficients weaker than this (images in [0, 1]) are float round-off and carry no phase.
_AMPLITUDE_FLOOR = 1e-5


@dataclass
class DisplacementField:
    """A displacement per pixel, with how well one motion explains the phase changes.

    Attributes
    ----------
    displacement
        ``B×2×H×W``: ``(d_y, d_x)`` in pixels; positive ``d_x`` is a motion to the
        right, positive ``d_y`` downwards (``x¹(u) ≈ x₀(u − d)``).
    coherence
        ``B×H×W`` in ``[0, 1]``: the share of the (pooled, weighted) phase-change
        energy explained by the displacement. 0 where nothing changed.
    support
        ``B×H×W``: the pooled weight ``G_σ * Σ w`` the fit rests on (small where
        every band's amplitude is small: the displacement there is unreliable).
    phase_energy, residual
        ``B×H×W``: ``G_σ * Σ w Δφ²`` and ``G_σ * Σ w (Δφ + ωᵀd)²``.

    Examples
    --------
    >>> import torch
    >>> from steerlens import signals
    >>> x0 = signals.gabor_patch((32, 32), wavelength=8.0, sigma=6.0)[None, None]
    >>> x1 = signals.translate(x0, (0.0, 0.5))
    >>> field = measure_displacement(x0, x1)
    >>> [round(v, 1) for v in field.mean()[0].tolist()]
    [0.0, 0.5]
    >>> bool(field.overall_coherence()[0] > 0.9)
    True
    """

    displacement: Tensor
    coherence: Tensor
    support: Tensor
    phase_energy: Tensor
    residual: Tensor

    def _mask(self, where: Tensor | None) -> Tensor:
        if where is None:
            return torch.ones_like(self.support)
        where = torch.as_tensor(where, device=self.support.device)
        try:
            return torch.broadcast_to(where, self.support.shape).to(self.support.dtype)
        except RuntimeError as err:
            raise ValueError(
                f"`where` must broadcast to B×H×W = {tuple(self.support.shape)}, got shape "
                f"{tuple(where.shape)}."
            ) from err

    def mean(self, where: Tensor | None = None) -> Tensor:
        """Support-weighted mean displacement per image, ``B×2`` (pixels).

        Parameters
        ----------
        where
            Optional mask (``H×W`` or ``B×H×W``, boolean or non-negative
            weights) restricting the average, e.g. to a region of interest.

        Raises
        ------
        ValueError
            If ``where`` does not broadcast to ``B×H×W``.
        """
        weight = self.support * self._mask(where)
        total = weight.sum(dim=(-2, -1)).clamp_min(torch.finfo(weight.dtype).tiny)
        return (self.displacement * weight[:, None]).sum(dim=(-2, -1)) / total[:, None]

    def overall_coherence(self, where: Tensor | None = None) -> Tensor:
        """Per image, ``1 − Σ residual / Σ phase_energy`` over the pixels (in ``[0, 1]``).

        Parameters
        ----------
        where
            Optional mask (``H×W`` or ``B×H×W``), as in :meth:`mean`.

        Raises
        ------
        ValueError
            If ``where`` does not broadcast to ``B×H×W``.
        """
        mask = self._mask(where)
        energy = (self.phase_energy * mask).sum(dim=(-2, -1))
        residual = (self.residual * mask).sum(dim=(-2, -1))
        out = 1 - residual / energy.clamp_min(torch.finfo(energy.dtype).tiny)
        return torch.where(energy > 0, out.clamp(0.0, 1.0), torch.zeros_like(out))


def wrap_phase(phase: Tensor) -> Tensor:
    """Wrap angles to ``(−π, π]``.

    Examples
    --------
    >>> import math, torch
    >>> wrap_phase(torch.tensor([0.5, math.pi + 0.5, -3 * math.pi])).tolist()  # doctest: +ELLIPSIS
    [0.5, -2.64159..., 3.14159...]
    """
    return phase - 2 * math.pi * torch.ceil((phase - math.pi) / (2 * math.pi))


def phase_difference(before: Coefficients, after: Coefficients) -> list[Tensor]:
    """Per band, the phase change ``arg(c¹·conj(c⁰))`` wrapped to ``(−π, π]``.

    Zero where either coefficient is exactly zero (``angle(0) = 0``): no NaN.

    Raises
    ------
    ValueError
        If ``before`` and ``after`` do not hold the same number of complex bands of
        equal shapes.

    Examples
    --------
    >>> import torch
    >>> from steerlens.transforms import CSP
    >>> csp = CSP((16, 16), height=2)
    >>> c = csp.analyze(torch.rand(1, 1, 16, 16))
    >>> [float(d.abs().max()) for d in phase_difference(c, c)]
    [0.0, 0.0]
    """
    if len(before.bands) != len(after.bands):
        raise ValueError(
            f"`before` has {len(before.bands)} bands but `after` has {len(after.bands)}; "
            f"analyse both images with the same transform."
        )
    out = []
    for b0, b1 in zip(before.bands, after.bands, strict=True):
        if b0.shape != b1.shape or not (b0.is_complex() and b1.is_complex()):
            raise ValueError(
                "`before` and `after` must hold complex bands of equal shapes (two analyses "
                "with the same CSP)."
            )
        out.append(torch.angle(b1 * b0.conj()))
    return out


# ---------------------------------------------------------------------------
# the fit
# ---------------------------------------------------------------------------


def _local_frequency(bands: Sequence[Tensor], step: float) -> tuple[Tensor, Tensor]:
    """The local phase gradient ``(ω_y, ω_x)`` of complex bands, in rad per image pixel.

    ``arg Σ_bands (c(u+1)·c̄(u) + c(u)·c̄(u−1))``: amplitude-weighted, exact for a
    local complex exponential with ``|ω| < π`` per band pixel, circular at the
    borders (the pyramid is periodic). Several bands (the same band of two
    images) are pooled, which makes a two-image estimate symmetric.
    """
    out = []
    for dim in (-2, -1):
        total = None
        for band in bands:
            ahead = torch.roll(band, -1, dims=dim)
            behind = torch.roll(band, 1, dims=dim)
            z = ahead * band.conj() + band * behind.conj()
            total = z if total is None else total + z
        out.append(torch.angle(total) / step)
    return out[0], out[1]


def _upsample_periodic(field: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear upsampling of a subsampled band's field, band pixel ``i`` ↔ image pixel ``i·step``."""
    h, w = field.shape[-2:]
    big_h, big_w = size
    if (h, w) == (big_h, big_w):
        return field
    step_y, step_x = big_h // h, big_w // w
    padded = torch.cat([field, field[..., :1, :]], dim=-2)
    padded = torch.cat([padded, padded[..., :, :1]], dim=-1)
    up = torch.nn.functional.interpolate(
        padded, size=(h * step_y + 1, w * step_x + 1), mode="bilinear", align_corners=True
    )
    return up[..., :big_h, :big_w]


def _gaussian_pool(field: Tensor, sigma: float) -> Tensor:
    """Circular Gaussian blur of ``…×H×W`` with standard deviation ``sigma`` pixels (FFT)."""
    return gaussian_blur(field, sigma, boundary="circular")


def _band_sums(
    omega_y: Tensor, omega_x: Tensor, weight: Tensor, dphi: Tensor
) -> Tensor:
    """One scale's contributions to the 7 per-pixel sums, summed over channels and orientations."""
    wy, wx = weight * omega_y, weight * omega_x
    terms = [
        wy * omega_y,
        wy * omega_x,
        wx * omega_x,
        -wy * dphi,
        -wx * dphi,
        weight * dphi * dphi,
        weight.expand_as(dphi),
    ]
    return torch.stack([t.sum(dim=(1, 2)) for t in terms], dim=1)  # B×7×h×w


def _solve(sums: Tensor, ridge: float) -> DisplacementField:
    ayy, ayx, axx = sums[:, _AYY], sums[:, _AYX], sums[:, _AXX]
    by, bx, energy, weight = sums[:, _BY], sums[:, _BX], sums[:, _ENERGY], sums[:, _WEIGHT]
    trace = ayy + axx
    # Tikhonov term relative to each image's best-supported pixel: d → 0 where there is no support
    lam = ridge * trace.flatten(1).amax(dim=1).clamp_min(torch.finfo(trace.dtype).tiny)
    lam = lam[:, None, None]
    a11, a22 = ayy + lam, axx + lam
    det = (a11 * a22 - ayx * ayx).clamp_min(torch.finfo(trace.dtype).tiny)
    dy = (a22 * by - ayx * bx) / det
    dx = (a11 * bx - ayx * by) / det
    residual = energy - 2 * (dy * by + dx * bx) + (dy * dy * ayy + 2 * dy * dx * ayx + dx * dx * axx)
    residual = residual.clamp_min(0.0)
    tiny = torch.finfo(energy.dtype).eps * energy.flatten(1).amax(dim=1)[:, None, None]
    has_energy = energy > tiny
    coherence = torch.where(
        has_energy, (1 - residual / energy.clamp_min(torch.finfo(energy.dtype).tiny)).clamp(0.0, 1.0),
        torch.zeros_like(energy),
    )
    return DisplacementField(
        displacement=torch.stack([dy, dx], dim=1),
        coherence=coherence,
        support=weight.clamp_min(0.0),
        phase_energy=energy.clamp_min(0.0),
        residual=torch.where(has_energy, residual, torch.zeros_like(residual)),
    )


def _check_transform(transform) -> CSP:
    if not isinstance(transform, CSP):
        raise TypeError(
            f"`transform` must be a steerlens CSP (band frequencies are needed), got "
            f"{type(transform).__name__}; the Fourier and pixel domains have no local phase."
        )
    return transform


def _check_options(frequencies, weighting, sigma, ridge) -> tuple[float, float]:
    check_choice(frequencies, "frequencies", FREQUENCIES)
    check_choice(weighting, "weighting", WEIGHTINGS)
    return check_positive(sigma, "sigma", allow_zero=True), check_positive(ridge, "ridge")


class _Bands:
    """What the fit needs per scale: frequencies (band or local), weights, image-pixel step."""

    def __init__(self, transform: CSP, references: Sequence[Sequence[Tensor]],
                 weights: Sequence[Tensor], frequencies: str):
        self.transform = transform
        self.size = transform.image_shape
        self.omega = []
        centre = transform.band_frequencies() if frequencies == "band" else None
        for s, bands in enumerate(zip(*references, strict=True)):
            band = bands[0]
            step = self.size[0] / band.shape[-2]
            if centre is not None:
                w = centre[s].to(device=band.device, dtype=band.real.dtype)
                self.omega.append((w[:, 0].view(1, 1, -1, 1, 1), w[:, 1].view(1, 1, -1, 1, 1)))
            else:
                self.omega.append(_local_frequency(bands, step))
        self.weights = list(weights)

    def sums(self, phase_change: Sequence[Tensor | None]) -> Tensor:
        total = None
        for (wy, wx), weight, dphi in zip(self.omega, self.weights, phase_change, strict=True):
            if dphi is None:
                continue
            part = _upsample_periodic(_band_sums(wy, wx, weight, dphi), self.size)
            total = part if total is None else total + part
        return total

    def predicted(self, s: int, displacement: Tensor) -> Tensor:
        """``−ωᵀd`` on scale ``s``'s grid (``d``: ``B×2×H×W`` on the image grid)."""
        wy, wx = self.omega[s]
        h = self.weights[s].shape[-2]
        step = self.size[0] // h
        d = displacement[..., ::step, ::step] if step > 1 else displacement
        return -(wy * d[:, 0, None, None] + wx * d[:, 1, None, None])


def _weights(amplitudes: Sequence[Tensor], weighting: str) -> list[Tensor]:
    # Below _AMPLITUDE_FLOOR (intensity units) a coefficient is round-off: it has no phase.
    amplitudes = [torch.where(a > _AMPLITUDE_FLOOR, a, torch.zeros_like(a)) for a in amplitudes]
    if weighting == "amplitude":
        return amplitudes
    if weighting == "energy":
        return [a * a for a in amplitudes]
    return [(a > 0).to(a.dtype) for a in amplitudes]


def implied_displacement(
    transform: CSP,
    coefficients: Coefficients,
    phase_change: Sequence[Tensor | None],
    *,
    frequencies: Literal["band", "local"] = "local",
    weighting: Literal["amplitude", "energy", "none"] = "amplitude",
    sigma: float = 1.0,
    ridge: float = 1e-4,
) -> DisplacementField:
    """The displacement field whose phase changes best match ``phase_change``.

    Solves ``Δφ ≈ −ωᵀd`` per pixel by least squares across every band (scales,
    orientations, channels), weighted by the source amplitude and pooled over
    a Gaussian window (see the module docstring).

    Parameters
    ----------
    transform
        The :class:`~steerlens.transforms.CSP` the coefficients come from.
    coefficients
        Source coefficients ``c⁰`` (:meth:`CSP.analyze`): their amplitudes are the
        weights, and their local phase gradients the frequencies when
        ``frequencies="local"``.
    phase_change
        One real tensor per scale, broadcastable to that scale's band
        ``B×C×K×h×w`` (radians, e.g. a lens edit's ``δ``), or ``None`` to leave
        a scale out of the fit. Used as given (not wrapped).
    frequencies
        ``"local"`` (default): the source's local phase gradient per
        coefficient, ``arg(c(u+1)·c̄(u) + c(u)·c̄(u−1))``; it follows what the
        band actually contains (more accurate on broadband images and wide
        blobs, whose energy sits at the low end of each band).
        ``"band"``: each band's centre frequency, :meth:`CSP.band_frequencies`
        (the textbook ``Δφ ≈ −ωᵀd`` with one ``ω`` per band).
    weighting
        Weight of a coefficient: ``"amplitude"`` (``ρ``), ``"energy"``
        (``ρ²``, the inverse variance of phase noise) or ``"none"`` (1). In every
        case coefficients with ``ρ < 1e-5`` (round-off) get weight 0.
    sigma
        Standard deviation of the Gaussian pooling window in pixels (0: every
        pixel on its own).
    ridge
        Regularisation, relative to the image's best-supported pixel: where the
        bands are weak the displacement shrinks to 0 instead of blowing up.

    Returns
    -------
    DisplacementField

    Raises
    ------
    TypeError
        If ``transform`` is not a :class:`~steerlens.transforms.CSP`,
        ``coefficients`` is not :class:`~steerlens.transforms.Coefficients`, an
        entry of ``phase_change`` is neither ``None`` nor a real tensor, or
        ``sigma`` or ``ridge`` is not a number.
    ValueError
        If ``frequencies`` or ``weighting`` is not one of its settings, ``sigma``
        is negative or not finite, ``ridge`` is not finite and > 0,
        ``coefficients`` does not hold one band per scale of ``transform``, or
        ``phase_change`` is not a list with one entry per scale, holds no tensor,
        or holds one with NaN/inf values or a shape that does not broadcast to
        its band.

    Examples
    --------
    A phase change of exactly ``−ωᵀd`` on every band is the translation ``d``:

    >>> import torch
    >>> from steerlens.transforms import CSP
    >>> csp = CSP((32, 32), height=3)
    >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
    >>> w = csp.band_frequencies()
    >>> d = torch.tensor([0.2, -0.4])
    >>> dphi = [-(w[s] @ d).view(1, 1, -1, 1, 1) for s in range(3)]
    >>> field = implied_displacement(csp, c, dphi, frequencies="band")
    >>> [round(v, 2) for v in field.mean()[0].tolist()], round(float(field.overall_coherence()), 3)
    ([0.2, -0.4], 1.0)
    """
    transform = _check_transform(transform)
    sigma, ridge = _check_options(frequencies, weighting, sigma, ridge)
    if not isinstance(coefficients, Coefficients):
        raise TypeError(
            f"`coefficients` must be Coefficients from transform.analyze(x), got "
            f"{type(coefficients).__name__}."
        )
    bands = coefficients.bands
    if len(bands) != transform.height:
        raise ValueError(
            f"`coefficients` holds {len(bands)} scales but the CSP has height={transform.height}."
        )
    if isinstance(phase_change, Tensor) or len(phase_change) != len(bands):
        raise ValueError(
            f"`phase_change` must be a list with one tensor (or None) per scale "
            f"({len(bands)}), got {type(phase_change).__name__}"
            f"{'' if isinstance(phase_change, Tensor) else f' of length {len(phase_change)}'}."
        )
    checked: list[Tensor | None] = []
    for s, (band, dphi) in enumerate(zip(bands, phase_change, strict=True)):
        if dphi is None:
            checked.append(None)
            continue
        if not isinstance(dphi, Tensor) or dphi.is_complex():
            raise TypeError(f"`phase_change[{s}]` must be a real tensor (radians) or None.")
        check_finite(dphi, f"phase_change[{s}]")
        try:
            dphi = torch.broadcast_to(dphi.to(band.real.dtype), band.shape)
        except RuntimeError as err:
            raise ValueError(
                f"`phase_change[{s}]` has shape {tuple(dphi.shape)}, which does not broadcast to "
                f"the band's shape {tuple(band.shape)} (B×C×K×h×w)."
            ) from err
        checked.append(dphi)
    if all(d is None for d in checked):
        raise ValueError("`phase_change` holds no tensor: pass the phase change of at least one scale.")
    fit = _Bands(transform, [bands], _weights([b.abs() for b in bands], weighting), frequencies)
    return _solve(_gaussian_pool(fit.sums(checked), sigma), ridge)


def edit_displacement(grad: Any, alpha: float = 1.0, **options) -> DisplacementField:
    """The displacement field implied by a lens gradient's phase edit at amplification ``α``.

    Parameters
    ----------
    grad
        A :class:`~steerlens.lens.Gradient` from a lens with ``domain="csp"``
        and ``component="phase"`` or ``"joint"`` (only the phase part is used).
    alpha
        The amplification, in the lens's ``normalize`` unit: the phase change
        is ``α · grad.step_phase``. Since the fit is linear in the phase change,
        the field scales with ``α``; the coherence does not depend on it.
    **options
        Passed to :func:`implied_displacement` (``frequencies``, ``weighting``,
        ``sigma``, ``ridge``).

    Returns
    -------
    DisplacementField

    Raises
    ------
    TypeError
        If ``alpha`` is not a finite number, ``grad`` is not a lens
        :class:`~steerlens.lens.Gradient`, its transform is not a
        :class:`~steerlens.transforms.CSP`, or ``options`` are refused as in
        :func:`implied_displacement`.
    ValueError
        If ``grad`` has no phase step (a lens with another domain or
        ``component="amplitude"``), or ``options`` are refused as in
        :func:`implied_displacement`.

    Examples
    --------
    >>> import torch
    >>> import steerlens as sl
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 2)).eval()
    >>> grad = sl.SteerableLens(model, domain="csp").gradient(torch.rand(1, 1, 32, 32), 1)
    >>> field = edit_displacement(grad, alpha=2.0)
    >>> tuple(field.displacement.shape)
    (1, 2, 32, 32)
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
        raise TypeError(f"`alpha` must be a finite number, got {alpha!r}.")
    steps = getattr(grad, "step_phase", None)
    transform = getattr(grad, "transform", None)
    if not hasattr(grad, "coefficients") or transform is None:
        raise TypeError(f"`grad` must be a Gradient from SteerableLens.gradient(), got {type(grad).__name__}.")
    if steps is None and getattr(grad, "domain", None) == "flow":
        raise ValueError(
            "`grad` is from domain='flow': its edit is a displacement field already, "
            "not a phase change to interpret; use grad.dense_displacement(alpha) "
            "(B×2×H×W, pixels) or grad.displacement (the control grid)."
        )
    if steps is None:
        raise ValueError(
            f"`grad` has no phase step (domain={getattr(grad, 'domain', '?')!r}, "
            f"component={getattr(grad, 'component', '?')!r}); use a lens with domain='csp' and "
            f"component='phase' or 'joint'."
        )
    phase_change = [None if s is None else float(alpha) * s for s in steps]
    return implied_displacement(transform, grad.coefficients, phase_change, **options)


def measure_displacement(
    x0: Tensor,
    x1: Tensor,
    *,
    transform: CSP | None = None,
    frequencies: Literal["band", "local"] = "local",
    weighting: Literal["amplitude", "energy", "none"] = "amplitude",
    sigma: float = 2.0,
    ridge: float = 1e-4,
    coarse_to_fine: bool = True,
) -> DisplacementField:
    """The displacement field that takes ``x0`` to ``x1`` (``x1(u) ≈ x0(u − d(u))``).

    Both images are decomposed with the same CSP; the bands' wrapped phase
    differences are fitted as in :func:`implied_displacement`, with weights
    ``√(ρ⁰ρ¹)``. A band's phase difference is ambiguous by ``2π``: with
    ``coarse_to_fine=True`` the coarsest scale is fitted first and every finer
    scale's phase difference is unwrapped to the value nearest to what the
    coarser estimate predicts, so motions beyond half a fine wavelength are
    still measured (up to about half the coarsest wavelength).

    Parameters
    ----------
    x0, x1
        Images ``B×C×H×W`` in ``[0, 1]`` of equal shapes.
    transform
        The CSP to use (default: ``CSP((H, W))``, height ``"auto"``, 4 orientations).
    frequencies, weighting, sigma, ridge
        As in :func:`implied_displacement` (here ``"local"`` frequencies and
        ``sigma=2`` by default).
    coarse_to_fine
        Unwrap the finer scales' phase differences with the coarser estimate.

    Returns
    -------
    DisplacementField

    Raises
    ------
    TypeError
        If ``x0`` or ``x1`` is not a floating-point tensor, ``transform`` is
        neither ``None`` nor a :class:`~steerlens.transforms.CSP`, or ``sigma`` or
        ``ridge`` is not a number.
    ValueError
        If ``x0`` or ``x1`` is not ``B×C×H×W`` with 1 or 3 channels and finite
        values in ``[0, 1]``, their shapes differ, ``H×W`` does not suit the
        pyramid (even sizes ≥ 8; ``transform``'s ``image_shape`` when given),
        ``frequencies`` or ``weighting`` is not one of its settings, ``sigma`` is
        negative or not finite, or ``ridge`` is not finite and > 0.

    Examples
    --------
    >>> import torch
    >>> from steerlens import signals
    >>> x0 = signals.gabor_patch((64, 64), wavelength=6.0, sigma=10.0)[None, None]
    >>> x1 = signals.translate(x0, (0.0, 2.5))  # beyond half the wavelength of the finest scale
    >>> d_y, d_x = measure_displacement(x0, x1).mean()[0].tolist()
    >>> round(abs(d_y), 1), round(d_x, 1)
    (0.0, 2.5)
    """
    x0 = check_images(x0, "x0")
    x1 = check_images(x1, "x1")
    if x0.shape != x1.shape:
        raise ValueError(f"`x0` and `x1` must have equal shapes, got {tuple(x0.shape)} and {tuple(x1.shape)}.")
    transform = CSP(tuple(x0.shape[-2:])) if transform is None else _check_transform(transform)
    sigma, ridge = _check_options(frequencies, weighting, sigma, ridge)
    c0, c1 = transform.analyze(x0), transform.analyze(x1)
    measured = phase_difference(c0, c1)
    amplitudes = [(b0.abs() * b1.abs()).sqrt() for b0, b1 in zip(c0.bands, c1.bands, strict=True)]
    fit = _Bands(transform, [c0.bands, c1.bands], _weights(amplitudes, weighting), frequencies)
    if not coarse_to_fine:
        return _solve(_gaussian_pool(fit.sums(measured), sigma), ridge)
    n = len(measured)
    unwrapped: list[Tensor | None] = [None] * n
    unwrapped[n - 1] = measured[n - 1]
    for s in range(n - 2, -1, -1):
        coarse = _solve(_gaussian_pool(fit.sums(unwrapped), sigma), ridge)
        predicted = fit.predicted(s, coarse.displacement)
        unwrapped[s] = predicted + wrap_phase(measured[s] - predicted)
    return _solve(_gaussian_pool(fit.sums(unwrapped), sigma), ridge)
