"""Smooth-warp compatibility: how much of an edit the best smooth warp of the source explains.

``E = 1 − ‖x₁ − gain · warp(x₀)‖² / ‖x₁ − x₀‖²`` (:func:`warp_energy`), with the
warp (and gain) on a coarse control grid fitted by :func:`fit_smooth_warp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_images, check_int, check_positive
from ..resample import gaussian_blur

__all__ = ["warp_energy", "fit_smooth_warp", "SmoothWarpFit"]


@lru_cache(maxsize=16)
def _interpolation_matrix(
    grid: tuple[int, int], size: tuple[int, int], dtype: torch.dtype, device: str
) -> Tensor:
    # Row k: the bicubic (align_corners=True) interpolant of the k-th control point's unit
    # impulse. Upsampling is then one matrix product, several times faster than
    # F.interpolate forward and backward, and identical to it up to float round-off.
    impulses = torch.eye(grid[0] * grid[1], dtype=dtype, device=device).view(-1, 1, *grid)
    return F.interpolate(impulses, size=size, mode="bicubic", align_corners=True).view(
        grid[0] * grid[1], -1
    )


def _upsample(field: Tensor, size: tuple[int, int]) -> Tensor:
    """Bicubic interpolation of a control grid ``B×C×g×g`` to ``B×C×H×W``: smooth (C¹), exact
    at the control points."""
    b, c, gh, gw = field.shape
    m = _interpolation_matrix(
        (gh, gw), (int(size[0]), int(size[1])), field.dtype, str(field.device)
    )
    return (field.reshape(b, c, gh * gw) @ m).view(b, c, int(size[0]), int(size[1]))


def _warp(x0: Tensor, disp: Tensor) -> Tensor:
    """Sample ``x0`` at ``u + d(u)``; ``disp`` is ``B×2×H×W`` in pixels, (d_y, d_x)."""
    b, _, h, w = x0.shape
    ys = torch.arange(h, dtype=x0.dtype, device=x0.device)
    xs = torch.arange(w, dtype=x0.dtype, device=x0.device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    sy = gy[None] + disp[:, 0]
    sx = gx[None] + disp[:, 1]
    # normalised coordinates for align_corners=False: pixel centres at (2i + 1)/n − 1
    grid = torch.stack([(2 * sx + 1) / w - 1, (2 * sy + 1) / h - 1], dim=-1)
    return F.grid_sample(x0, grid, mode="bilinear", padding_mode="border", align_corners=False)


@dataclass
class SmoothWarpFit:
    """The best smooth warp (and gain) of a source toward an edited image.

    Attributes
    ----------
    energy
        ``E`` per image, in ``[0, 1]``.
    displacement
        ``B×2×H×W`` displacement field in pixels, ``(d_y, d_x)``: the fit samples the source at
        ``u + d(u)``.
    gain
        ``B×1×H×W`` multiplicative gain field (ones when ``gain=False``).
    prediction
        ``gain · warp(x₀)``, the part of the edited image the warp explains.
    control_displacement
        ``B×2×grid×grid``: the fitted parameters behind ``displacement`` (before any
        ``max_displacement`` bound, which is applied after upsampling).
    control_log_gain
        ``B×1×grid×grid``: the log-gain at the control points (zeros when ``gain=False``).
    """

    energy: Tensor
    displacement: Tensor
    gain: Tensor
    prediction: Tensor
    control_displacement: Tensor | None = None
    control_log_gain: Tensor | None = None


def fit_smooth_warp(
    x0: Tensor,
    x1: Tensor,
    grid: int = 8,
    gain: bool = False,
    iterations: int = 200,
    max_displacement: float | None = None,
    init: SmoothWarpFit | None = None,
) -> SmoothWarpFit:
    """Fit ``x₁ ≈ gain · warp(x₀)`` with fields on a coarse control grid.

    The displacement field (and, with ``gain=True``, the log of a multiplicative gain field)
    lives on a ``grid × grid`` lattice of control points and is upsampled bicubically to the
    image, so it is smooth by construction; the warp samples the source bilinearly. The fit
    minimises ``Σ_i ‖x₁ − gain · warp(x₀)‖² / ‖x₁ − x₀‖²`` over the batch (each image's
    residual divided by its own edit energy, so every image weighs the same) with L-BFGS
    (strong-Wolfe line search), coarse to fine: first on images blurred by a Gaussian
    (σ = 1.5 px), then on the originals, which avoids the local minima of large displacements.
    It is deterministic on the CPU.

    With ``gain=True`` and no ``init``, the warp alone is fitted first and the gain fit starts
    from it; with an ``init``, the fit starts there and runs the sharp stage only. Either way
    each image keeps the better of its starting point and its final fit, so the warp + gain
    ``E`` is never below the warp-only ``E`` it started from (the gain model contains the
    warp-only one).

    Parameters
    ----------
    x0, x1
        Source and edited images, ``B×C×H×W`` in ``[0, 1]``.
    grid
        Control points per side (the authors use 8).
    gain
        Also fit a smooth multiplicative gain field. A multiplicative gain cannot create
        intensity where the source is black (e.g. new ink on an MNIST background).
    iterations
        L-BFGS iterations per stage. The fit is non-convex and ``E`` a lower bound on what the
        best smooth warp explains; more iterations can raise it.
    max_displacement
        Optional bound (pixels) on each component of every pixel's displacement, enforced
        smoothly with ``tanh`` (``d = b·tanh(d̃/b)``). ``None``: a smooth but unbounded warp,
        which can drag ink from anywhere in the image.
    init
        A previous fit of the same images (e.g. the warp-only fit) to start from.

    Returns
    -------
    SmoothWarpFit

    Raises
    ------
    TypeError
        If ``x0``/``x1`` is not a floating-point tensor, ``grid``/``iterations`` is
        not an int, ``max_displacement`` is not a number, or ``init`` is not a
        :class:`SmoothWarpFit`.
    ValueError
        If the images are not ``B×C×H×W`` in ``[0, 1]`` (or hold NaN/inf), differ
        in shape, ``grid < 2``, ``iterations < 1``, ``max_displacement ≤ 0``, or
        ``init`` was fitted to other images or another grid.

    Examples
    --------
    >>> import torch
    >>> x0 = torch.zeros(1, 1, 32, 32); x0[..., 12:20, 10:18] = 1.0
    >>> x1 = torch.roll(x0, shifts=2, dims=-1)            # the square moves 2 px right
    >>> fit = fit_smooth_warp(x0, x1)
    >>> bool(fit.energy[0] > 0.9)          # the warp explains the edit
    True
    >>> bool(fit.displacement[0, 1, 12:20, 12:20].mean() < -1)   # sampled from ~2 px to the left
    True
    """
    x0 = check_images(x0, "x0", channels=None)
    x1 = check_images(x1, "x1", channels=None)
    if x0.shape != x1.shape:
        raise ValueError(
            f"`x0` and `x1` must have the same shape, got {tuple(x0.shape)} and {tuple(x1.shape)}."
        )
    check_int(grid, "grid", minimum=2)
    check_int(iterations, "iterations", minimum=1)
    if max_displacement is not None:
        max_displacement = check_positive(max_displacement, "max_displacement")
    if x0.dtype in (torch.float16, torch.bfloat16) or x1.dtype != x0.dtype:
        # half precision (or mixed dtypes): fit in float32, return in x0's dtype
        fit = fit_smooth_warp(
            x0.float(), x1.float(), grid=grid, gain=gain, iterations=iterations,
            max_displacement=max_displacement, init=init,
        )
        return SmoothWarpFit(
            *(None if v is None else v.to(x0.dtype) for v in (
                fit.energy, fit.displacement, fit.gain, fit.prediction,
                fit.control_displacement, fit.control_log_gain,
            ))
        )
    x0 = x0.detach()
    x1 = x1.detach()
    b, c, h, w = x0.shape
    dtype, device = x0.dtype, x0.device
    if init is None and gain:
        init = fit_smooth_warp(
            x0, x1, grid=grid, gain=False, iterations=iterations, max_displacement=max_displacement
        )
    if init is not None:
        if not isinstance(init, SmoothWarpFit) or init.control_displacement is None:
            raise TypeError("`init` must be a SmoothWarpFit returned by fit_smooth_warp.")
        if tuple(init.control_displacement.shape) != (b, 2, grid, grid):
            raise ValueError(
                f"`init` holds a {tuple(init.control_displacement.shape)} control grid; this fit needs "
                f"{(b, 2, grid, grid)} (same images, same `grid`)."
            )
        disp_ctrl = init.control_displacement.detach().clone().requires_grad_(True)
        log_gain = init.control_log_gain if gain and init.control_log_gain is not None else None
        loggain_ctrl = (
            log_gain.detach().clone()
            if log_gain is not None
            else torch.zeros(b, 1, grid, grid, dtype=dtype, device=device)
        ).requires_grad_(gain)
        sigmas: tuple[float, ...] = (0.0,)
    else:
        disp_ctrl = torch.zeros(b, 2, grid, grid, dtype=dtype, device=device, requires_grad=True)
        loggain_ctrl = torch.zeros(b, 1, grid, grid, dtype=dtype, device=device, requires_grad=gain)
        sigmas = (1.5, 0.0)
    params = [disp_ctrl, loggain_ctrl] if gain else [disp_ctrl]

    def fields(d_ctrl: Tensor, g_ctrl: Tensor) -> tuple[Tensor, Tensor]:
        disp = _upsample(d_ctrl, (h, w))
        if max_displacement is not None:  # a smooth bound on every pixel's displacement
            disp = max_displacement * torch.tanh(disp / max_displacement)
        g = (
            torch.exp(_upsample(g_ctrl, (h, w)))
            if gain
            else torch.ones(b, 1, h, w, dtype=dtype, device=device)
        )
        return disp, g

    def residual(src: Tensor, dst: Tensor) -> Tensor:
        disp, g = fields(disp_ctrl, loggain_ctrl)
        return ((dst - g * _warp(src, disp)) ** 2).sum(dim=(1, 2, 3))

    for sigma in sigmas:
        src, dst = (gaussian_blur(x0, sigma), gaussian_blur(x1, sigma)) if sigma > 0 else (x0, x1)
        opt = torch.optim.LBFGS(
            params,
            lr=1.0,
            max_iter=iterations,
            history_size=20,
            line_search_fn="strong_wolfe",
            tolerance_grad=1e-7,
            tolerance_change=1e-9,
        )
        # Each image's residual is divided by its own edit energy, so the summed loss is
        # Σ (1 − E_i) on this stage's images: every image weighs the same in the shared line
        # search, however large or small its edit (a floor keeps numerically empty edits from
        # dominating).
        scale = ((dst - src) ** 2).sum(dim=(1, 2, 3)).clamp_min(1e-8 * c * h * w)

        def closure(opt=opt, src=src, dst=dst, scale=scale):
            opt.zero_grad()
            loss = (residual(src, dst) / scale).sum()
            loss.backward()
            return loss

        opt.step(closure)

    with torch.no_grad():
        disp, g = fields(disp_ctrl, loggain_ctrl)
        pred = g * _warp(x0, disp)
        res = ((x1 - pred) ** 2).sum(dim=(1, 2, 3))
        d_ctrl, g_ctrl = disp_ctrl.detach(), loggain_ctrl.detach()
        if init is not None:
            # keep, per image, the better of the starting point and the fit
            start_g = (
                loggain_ctrl.new_zeros(b, 1, grid, grid)
                if init.control_log_gain is None or not gain
                else init.control_log_gain
            )
            start_disp, start_gain = fields(init.control_displacement, start_g)
            start_pred = start_gain * _warp(x0, start_disp)
            start_res = ((x1 - start_pred) ** 2).sum(dim=(1, 2, 3))
            worse = start_res < res
            if bool(worse.any()):
                pick = worse.view(-1, 1, 1, 1)
                disp, g, pred = (
                    torch.where(pick, start_disp, disp),
                    torch.where(pick, start_gain, g),
                    torch.where(pick, start_pred, pred),
                )
                d_ctrl = torch.where(pick, init.control_displacement, d_ctrl)
                g_ctrl = torch.where(pick, start_g, g_ctrl)
                res = torch.where(worse, start_res, res)
        total = ((x1 - x0) ** 2).sum(dim=(1, 2, 3))
        energy = torch.where(
            total > 0, 1 - res / total.clamp_min(torch.finfo(dtype).tiny), torch.ones_like(total)
        )
        energy = energy.clamp(0.0, 1.0)
    return SmoothWarpFit(
        energy=energy,
        displacement=disp,
        gain=g,
        prediction=pred,
        control_displacement=d_ctrl,
        control_log_gain=g_ctrl if gain else None,
    )


def warp_energy(
    x0: Tensor,
    x1: Tensor,
    grid: int = 8,
    gain: bool = False,
    iterations: int = 200,
    max_displacement: float | None = None,
) -> Tensor:
    """Fraction of an edit's energy explained by the best smooth warp of the source.

    ``E = 1 − ‖x₁ − gain · warp(x₀)‖² / ‖x₁ − x₀‖²``, with the warp (and gain) fitted by
    :func:`fit_smooth_warp` on a ``grid × grid`` control lattice. ``E ≈ 1``: the edit is a
    smooth motion of the source's own structure. ``E ≈ 0``: nothing of it is a motion (noise,
    new ink). An edit with zero energy counts as fully explained (``E = 1``).

    Parameters
    ----------
    x0, x1
        Source and edited images ``B×C×H×W`` in ``[0, 1]``.
    grid
        Control points per side.
    gain
        Also fit a smooth multiplicative gain field (the "warp + gain" variant).
    iterations
        L-BFGS iterations per coarse-to-fine stage. ``E`` is a lower bound (the fit is
        non-convex); on edits that a warp explains only with large displacements it keeps
        rising with more iterations.
    max_displacement
        Optional bound (pixels) on each displacement component. ``None`` (the authors'
        protocol as published) lets the warp drag ink from anywhere in the image.

    Returns
    -------
    Tensor
        ``E`` per image, shape ``B``, values in ``[0, 1]``.

    Raises
    ------
    TypeError, ValueError
        As :func:`fit_smooth_warp`.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0) is not None
    True
    >>> x0 = torch.rand(2, 1, 32, 32)
    >>> noise = (x0 + 0.1 * torch.randn_like(x0)).clamp(0, 1)
    >>> bool(warp_energy(x0, noise).max() < 0.2)
    True
    """
    return fit_smooth_warp(
        x0, x1, grid=grid, gain=gain, iterations=iterations, max_displacement=max_displacement
    ).energy
