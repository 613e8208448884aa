"""Measures for morphs: is an edit evidence about the classes, or only about the classifier?

Three things are reported separately for every edit (Mahdisoltani & Fleet, "Confidence is not
evidence"):

1. **driver confidence** — the target probability under the classifier that made the edit;
2. **transfer** — whether independently trained *judges* also predict the target;
3. **smooth-warp compatibility** ``E`` — the share of the edit's energy ``‖x₁ − x₀‖²`` that the
   best smooth warp of the source explains (:func:`warp_energy`).

Uncertainty comes from a percentile bootstrap over source images, paired across methods
(:func:`paired_bootstrap`, :func:`paired_difference`).

:func:`compare_edits` runs the authors' matched-budget protocol: the same sources edited by
several methods (pixel, Fourier phase, CSP phase, joint CSP; :data:`EDIT_METHODS`) to the same
pixel L2 budgets with :meth:`steerlens.lens.SteerableLens.edit`, then the three measures per
edit, summarised by :class:`EditComparison` (``.table()``, ``.to_markdown()``, ``.to_csv()``).
:func:`stratified_indices` and :func:`pick_targets` choose sources and targets reproducibly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_choice, check_images, check_int, check_positive

__all__ = [
    "warp_energy",
    "fit_smooth_warp",
    "SmoothWarpFit",
    "target_probability",
    "judge_agreement",
    "bootstrap_ci",
    "paired_bootstrap",
    "paired_difference",
    "EDIT_METHODS",
    "method_label",
    "pick_targets",
    "stratified_indices",
    "compare_edits",
    "EditComparison",
]


# ---------------------------------------------------------------------------
# smooth warps
# ---------------------------------------------------------------------------


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
        src, dst = (_blur(x0, sigma), _blur(x1, sigma)) if sigma > 0 else (x0, x1)
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


def _blur(x: Tensor, sigma: float) -> Tensor:
    radius = max(1, int(round(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


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


# ---------------------------------------------------------------------------
# driver confidence and transfer
# ---------------------------------------------------------------------------


def _as_targets(target, batch: int, device) -> Tensor:
    if isinstance(target, Tensor):
        t = target.to(device=device, dtype=torch.long).reshape(-1)
        if t.numel() == 1:
            t = t.expand(batch)
        if t.numel() != batch:
            raise ValueError(
                f"`target` must be an int or hold one class per image ({batch}), got {t.numel()}."
            )
        return t
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return torch.full((batch,), int(target), dtype=torch.long, device=device)
    raise TypeError(
        f"`target` must be an int or a tensor of class indices, got {type(target).__name__}."
    )


@torch.no_grad()
def target_probability(
    model: Callable[[Tensor], Tensor], x: Tensor, target, batch_size: int = 256
) -> Tensor:
    """Softmax probability of ``target`` under ``model`` for every image of ``x``.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    >>> p = target_probability(model, torch.rand(5, 1, 2, 2), 1)
    >>> tuple(p.shape), bool(((p > 0) & (p < 1)).all())
    ((5,), True)
    """
    x = check_images(x, "x", channels=None)
    t = _as_targets(target, x.shape[0], x.device)
    out = []
    for i in range(0, x.shape[0], batch_size):
        logits = model(x[i : i + batch_size])
        if logits.ndim != 2:
            raise ValueError(
                f"`model` must return logits B×classes, got shape {tuple(logits.shape)}."
            )
        if int(t.max()) >= logits.shape[1] or int(t.min()) < 0:
            raise ValueError(
                f"`target` must lie in [0, {logits.shape[1] - 1}] (the model's classes)."
            )
        out.append(torch.softmax(logits, dim=1).gather(1, t[i : i + batch_size, None])[:, 0])
    return torch.cat(out)


@torch.no_grad()
def judge_agreement(
    judges: Mapping[str, Callable[[Tensor], Tensor]] | Sequence, x: Tensor, target
) -> dict[str, Tensor]:
    """Whether each judge's top-1 prediction is the target, per image.

    Returns a dict ``name → bool tensor (B,)`` plus ``"all"``: every judge agrees.

    Examples
    --------
    >>> import torch
    >>> j = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> out = judge_agreement({"a": j, "b": j}, torch.rand(3, 1, 2, 2), 0)
    >>> sorted(out), bool(torch.equal(out["all"], out["a"]))
    (['a', 'all', 'b'], True)
    """
    x = check_images(x, "x", channels=None)
    if not isinstance(judges, Mapping):
        judges = {f"judge{i + 1}": j for i, j in enumerate(judges)}
    if not judges:
        raise ValueError("`judges` is empty: pass at least one classifier.")
    t = _as_targets(target, x.shape[0], x.device)
    out = {name: j(x).argmax(dim=1) == t for name, j in judges.items()}
    out["all"] = torch.stack(list(out.values())).all(dim=0)
    return out


# ---------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------


def _statistic(name_or_fn) -> Callable[[np.ndarray], np.ndarray]:
    if callable(name_or_fn):
        return name_or_fn
    table = {
        "median": lambda a: np.median(a, axis=-1),
        "mean": lambda a: np.mean(a, axis=-1),
        "sum": lambda a: np.sum(a, axis=-1),
    }
    if name_or_fn not in table:
        raise ValueError(
            f"`statistic` must be 'median', 'mean', 'sum' or a callable, got {name_or_fn!r}."
        )
    return table[name_or_fn]


def paired_bootstrap(
    values: Mapping[str, Sequence[float] | np.ndarray | Tensor],
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float, float]]:
    """Percentile bootstrap over source images, paired across methods.

    Every draw resamples the same source indices for every method, so the intervals (and any
    difference computed from the same draws) respect the pairing.

    Parameters
    ----------
    values
        ``method → per-source values`` (all the same length, one entry per source image).
    statistic
        ``"median"``, ``"mean"``, ``"sum"`` or a function reducing the last axis.
    n_boot
        Number of bootstrap draws.
    level
        Coverage of the percentile interval.
    seed
        Seed of the resampling generator (the result is deterministic).

    Returns
    -------
    dict
        ``method → (statistic, low, high)``.

    Examples
    --------
    >>> out = paired_bootstrap({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 3.0, 4.0, 5.0]})
    >>> out["a"][0], out["b"][0]
    (2.5, 3.5)
    """
    if not values:
        raise ValueError("`values` is empty: pass at least one method.")
    arrays = {
        k: np.asarray(v.detach().cpu() if isinstance(v, Tensor) else v, dtype=float)
        for k, v in values.items()
    }
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(
            f"every method needs a 1-D array of the same length (one value per source), got shapes {sorted(lengths)}."
        )
    n = next(iter(lengths))[0]
    if n == 0:
        raise ValueError("`values` hold no sources.")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}.")
    check_int(n_boot, "n_boot", minimum=1)
    stat = _statistic(statistic)
    idx = _draw_indices(n, n_boot, seed)
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    out = {}
    for k, a in arrays.items():
        draws = stat(a[idx])
        out[k] = (
            float(stat(a)),
            float(np.percentile(draws, lo_q)),
            float(np.percentile(draws, hi_q)),
        )
    return out


def bootstrap_ci(
    values,
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap interval of one statistic: ``(statistic, low, high)``.

    Examples
    --------
    >>> est, lo, hi = bootstrap_ci([0.1, 0.4, 0.35, 0.8, 0.5, 0.45])
    >>> lo <= est <= hi
    True
    """
    return paired_bootstrap({"x": values}, statistic, n_boot, level, seed)["x"]


def _draw_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    # One generator, one call: the same (n, n_boot, seed) always gives the same draws, which is
    # what pairs paired_bootstrap and paired_difference.
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def paired_difference(
    a: Sequence[float] | np.ndarray | Tensor,
    b: Sequence[float] | np.ndarray | Tensor,
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Paired percentile bootstrap of ``statistic(a) − statistic(b)``.

    ``a`` and ``b`` hold one value per source image, for two methods applied to the same
    sources. Every draw resamples the same sources for both (the draws of
    :func:`paired_bootstrap` with the same ``seed``), so an interval that excludes 0 says the
    methods differ on these sources beyond resampling noise.

    Returns
    -------
    tuple
        ``(difference, low, high)``.

    Examples
    --------
    >>> d, lo, hi = paired_difference([0.9, 0.8, 0.7, 0.95], [0.5, 0.4, 0.45, 0.6])
    >>> round(d, 3), lo > 0
    (0.375, True)
    """
    arrays = [
        np.asarray(v.detach().cpu() if isinstance(v, Tensor) else v, dtype=float) for v in (a, b)
    ]
    if arrays[0].ndim != 1 or arrays[0].shape != arrays[1].shape or arrays[0].size == 0:
        raise ValueError(
            f"`a` and `b` must be non-empty 1-D arrays of the same length (one value per source), "
            f"got shapes {arrays[0].shape} and {arrays[1].shape}."
        )
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}.")
    check_int(n_boot, "n_boot", minimum=1)
    stat = _statistic(statistic)
    idx = _draw_indices(arrays[0].size, n_boot, seed)
    draws = stat(arrays[0][idx]) - stat(arrays[1][idx])
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    est = float(stat(arrays[0]) - stat(arrays[1]))
    return est, float(np.percentile(draws, lo_q)), float(np.percentile(draws, hi_q))


# ---------------------------------------------------------------------------
# matched-budget comparison of edit methods
# ---------------------------------------------------------------------------

#: The edit methods of the authors' matched-budget table: lens keyword arguments per method.
EDIT_METHODS: dict[str, dict[str, str]] = {
    "pixel": {"domain": "pixel"},
    "fourier_phase": {"domain": "fourier", "component": "phase"},
    "csp_phase": {"domain": "csp", "component": "phase"},
    "csp_joint": {"domain": "csp", "component": "joint"},
}
_METHOD_LABELS = {
    "pixel": "pixel",
    "fourier_phase": "Fourier phase",
    "csp_phase": "CSP phase",
    "csp_joint": "joint CSP",
    "fourier_amplitude": "Fourier amplitude",
    "fourier_joint": "joint Fourier",
    "csp_amplitude": "CSP amplitude",
}
_TARGET_RULES = ("second_choice", "next_class")


def method_label(method: str) -> str:
    """A readable name for a method key (``"csp_phase"`` → ``"CSP phase"``).

    Examples
    --------
    >>> method_label("fourier_phase"), method_label("my_method")
    ('Fourier phase', 'my_method')
    """
    return _METHOD_LABELS.get(method, method)


@torch.no_grad()
def pick_targets(
    model: Callable[[Tensor], Tensor],
    images: Tensor,
    rule: str = "second_choice",
    labels: Tensor | None = None,
    batch_size: int = 256,
) -> Tensor:
    """One target class per source image, by a stated rule.

    Parameters
    ----------
    model
        The driver (logits ``B×classes``).
    images
        Source images ``B×C×H×W`` in ``[0, 1]``.
    rule
        - ``"second_choice"``: the driver's second most likely class on the source — the
          nearest other class in the driver's own view, so every method starts with a
          reachable target.
        - ``"next_class"``: a fixed pairing, ``(label + 1) mod classes`` (needs ``labels``);
          independent of the driver.
    labels
        True classes, needed by ``"next_class"``.
    batch_size
        Largest batch sent to the model.

    Returns
    -------
    Tensor
        Long tensor of length ``B``.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 5))
    >>> x = torch.rand(3, 1, 2, 2)
    >>> t = pick_targets(model, x)
    >>> bool((t != model(x).argmax(1)).all())
    True
    >>> pick_targets(model, x, "next_class", labels=torch.tensor([0, 3, 4])).tolist()
    [1, 4, 0]
    """
    images = check_images(images, "images", channels=None)
    if rule not in _TARGET_RULES:
        raise ValueError(
            f"`rule` must be one of {', '.join(map(repr, _TARGET_RULES))}; got {rule!r}."
        )
    logits = torch.cat(
        [model(images[i : i + batch_size]) for i in range(0, images.shape[0], batch_size)]
    )
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            f"`model` must return logits B×classes with ≥ 2 classes, got shape {tuple(logits.shape)}."
        )
    if rule == "second_choice":
        return logits.topk(2, dim=1).indices[:, 1]
    if labels is None:
        raise ValueError("rule='next_class' needs `labels` (the true class of every source).")
    labels = _as_targets(labels, images.shape[0], images.device)
    return (labels + 1) % logits.shape[1]


def stratified_indices(labels: Tensor | Sequence[int], n: int, seed: int = 0) -> Tensor:
    """``n`` source indices balanced over classes, nested, and the same on every machine.

    Each class's indices are shuffled by a seeded generator, then taken round-robin over the
    classes (one of each class, then the next of each, …). The first ``n`` are balanced to
    within one per class, and a shorter selection is always a prefix of a longer one (the
    100 sources of the book's table are the first 100 of the 300-source script's).

    Examples
    --------
    >>> import torch
    >>> labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> idx = stratified_indices(labels, 6)
    >>> sorted(labels[idx].tolist()), idx[:3].tolist() == stratified_indices(labels, 3).tolist()
    ([0, 0, 1, 1, 2, 2], True)
    """
    labels = torch.as_tensor(labels).reshape(-1)
    check_int(n, "n", minimum=1)
    if n > labels.numel():
        raise ValueError(f"`n` = {n} is more than the {labels.numel()} labelled images.")
    gen = torch.Generator().manual_seed(seed)
    per_class = []
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        per_class.append(idx[torch.randperm(idx.numel(), generator=gen)].tolist())
    order = [lst[i] for i in range(max(map(len, per_class))) for lst in per_class if i < len(lst)]
    return torch.tensor(order[:n], dtype=torch.long)


def _method_options(methods) -> dict[str, dict]:
    if isinstance(methods, Mapping):
        out = {str(k): dict(v) for k, v in methods.items()}
    else:
        if isinstance(methods, str):
            methods = [methods]
        out = {}
        for m in methods:
            if m not in EDIT_METHODS:
                raise ValueError(
                    f"unknown method {m!r} in `methods`: use {', '.join(map(repr, EDIT_METHODS))}, "
                    f"or pass a dict name → SteerableLens keyword arguments."
                )
            out[m] = dict(EDIT_METHODS[m])
    if not out:
        raise ValueError("`methods` is empty: pass at least one edit method.")
    return out


# the per-source measures a comparison keeps, in table order
_MEASURES = ("attained", "distance", "steps", "driver_prob", "judges_all", "e_warp", "e_warp_gain")


@dataclass
class EditComparison:
    """Matched-budget edits of several methods on the same sources, and their three measures.

    Made by :func:`compare_edits`. Per method and budget it holds, for every source image, the
    edited image and the measures; :meth:`table` summarises them with paired bootstrap
    intervals.

    Attributes
    ----------
    sources
        ``N×C×H×W`` source images.
    targets
        ``N`` target classes.
    methods
        Method keys, in table order.
    budgets
        Pixel L2 budgets.
    judge_names
        Names of the judges (``judge:<name>`` measures hold their per-source agreement).
    measures
        ``(method, budget) → {measure → float array (N,)}``; measures are ``attained``,
        ``distance``, ``steps``, ``driver_prob``, ``judge:<name>`` per judge, ``judges_all``
        (every judge predicts the target), ``e_warp`` and ``e_warp_gain``.
    edited
        ``(method, budget) → N×C×H×W`` edited images.
    settings
        How the edits were made and measured (regime, lens and edit options, warp grid, …).
    n_boot, level, seed
        The bootstrap: draws, coverage, seed.
    seconds
        Wall time of the comparison.
    """

    sources: Tensor
    targets: Tensor
    methods: tuple[str, ...]
    budgets: tuple[float, ...]
    judge_names: tuple[str, ...]
    measures: dict[tuple[str, float], dict[str, np.ndarray]]
    edited: dict[tuple[str, float], Tensor]
    settings: dict
    n_boot: int = 2000
    level: float = 0.95
    seed: int = 0
    seconds: float = float("nan")

    def __len__(self) -> int:
        return int(self.sources.shape[0])

    def values(self, measure: str, method: str, budget: float) -> np.ndarray:
        """Per-source values of one measure (e.g. ``"e_warp_gain"``) for one method and budget."""
        key = (method, float(budget))
        if key not in self.measures:
            raise KeyError(
                f"no edits for method={method!r}, budget={budget}: have {sorted(self.measures)}."
            )
        if measure not in self.measures[key]:
            raise KeyError(f"unknown measure {measure!r}: have {sorted(self.measures[key])}.")
        return self.measures[key][measure]

    def interval(
        self, measure: str, method: str, budget: float, statistic: str = "median"
    ) -> tuple[float, float, float]:
        """``(statistic, low, high)``: the paired percentile bootstrap over sources."""
        return paired_bootstrap(
            {"v": self.values(measure, method, budget)},
            statistic,
            self.n_boot,
            self.level,
            self.seed,
        )["v"]

    def difference(
        self, measure: str, method_a: str, method_b: str, budget: float, statistic: str = "median"
    ) -> tuple[float, float, float]:
        """``statistic(a) − statistic(b)`` with its paired bootstrap interval (same draws)."""
        return paired_difference(
            self.values(measure, method_a, budget),
            self.values(measure, method_b, budget),
            statistic,
            self.n_boot,
            self.level,
            self.seed,
        )

    def table(self) -> list[dict]:
        """One row per (budget, method): counts, medians and 95 % intervals, as plain dicts.

        Keys: ``budget``, ``method``, ``label``, ``regime``, ``n_sources``, ``attained``,
        ``median_steps``; ``driver_prob`` (median target probability under the driver) with
        ``driver_prob_low``/``_high``; ``judge:<name>`` (sources whose judge predicts the
        target) and ``judges_all`` (every judge does), counts with bootstrap intervals;
        ``e_warp`` and ``e_warp_gain`` (median ``E``) with intervals. Probabilities and ``E``
        are fractions in ``[0, 1]``.
        """
        rows = []
        for budget in self.budgets:
            for method in self.methods:
                m = self.measures[(method, budget)]
                row = {
                    "budget": budget,
                    "method": method,
                    "label": method_label(method),
                    "regime": self.settings.get("regime", ""),
                    "n_sources": len(self),
                    "attained": int(m["attained"].sum()),
                    "median_steps": float(np.median(m["steps"])),
                }
                for name, stat in [
                    ("driver_prob", "median"),
                    *[(f"judge:{j}", "sum") for j in self.judge_names],
                    ("judges_all", "sum"),
                    ("e_warp", "median"),
                    ("e_warp_gain", "median"),
                ]:
                    est, lo, hi = self.interval(name, method, budget, stat)
                    if stat == "sum":
                        est, lo, hi = int(round(est)), int(round(lo)), int(round(hi))
                    row[name], row[f"{name}_low"], row[f"{name}_high"] = est, lo, hi
                rows.append(row)
        return rows

    def to_markdown(self) -> str:
        """The table as GitHub Markdown: medians and counts with their 95 % intervals.

        Probabilities and ``E`` are shown in percent.
        """
        n = len(self)
        pct = int(round(100 * self.level))

        def p(r, k):
            return f"{100 * r[k]:.1f} [{100 * r[k + '_low']:.1f}, {100 * r[k + '_high']:.1f}]"

        def c(r, k):
            return f"{r[k]}/{n} [{r[k + '_low']}, {r[k + '_high']}]"

        head = [
            "L₂",
            "method",
            "attained",
            "driver p (median, %)",
            *[f"judge {j}: target" for j in self.judge_names],
            "both judges: target" if len(self.judge_names) == 2 else "all judges: target",
            "E warp (median, %)",
            "E warp+gain (median, %)",
        ]
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|",
        ]
        for r in self.table():
            cells = [
                f"{r['budget']:g}",
                r["label"],
                f"{r['attained']}/{n}",
                p(r, "driver_prob"),
                *[c(r, f"judge:{j}") for j in self.judge_names],
                c(r, "judges_all"),
                p(r, "e_warp"),
                p(r, "e_warp_gain"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            f"{n} sources, regime {self.settings.get('regime', '?')!r}; brackets: {pct} % percentile "
            f"bootstrap over sources ({self.n_boot} draws, seed {self.seed})."
        )
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`table` as CSV (one row per budget and method); returns the path."""
        import csv

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = self.table()
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path


def compare_edits(
    driver: Callable[[Tensor], Tensor],
    judges: Mapping[str, Callable[[Tensor], Tensor]] | Sequence,
    images: Tensor,
    targets,
    *,
    budgets: Sequence[float] = (1.0, 2.0),
    methods: Sequence[str] | Mapping[str, Mapping] = (
        "pixel",
        "fourier_phase",
        "csp_phase",
        "csp_joint",
    ),
    regime: str = "persistent",
    lens_options: Mapping | None = None,
    edit_options: Mapping | None = None,
    grid: int = 8,
    warp_iterations: int = 200,
    max_displacement: float | None = None,
    batch_size: int = 50,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    progress: bool = True,
) -> EditComparison:
    """Edit the same sources with several methods to the same pixel budgets, then measure.

    For every method, budget and source: a matched-budget edit
    (:meth:`~steerlens.lens.SteerableLens.edit`, ``‖x − x⁰‖₂ = budget``), then the three
    measures — driver confidence, judge transfer, smooth-warp compatibility ``E`` (warp only
    and warp + gain, :func:`warp_energy`).

    Parameters
    ----------
    driver
        The classifier that makes the edits (logits ``B×classes``; eval mode).
    judges
        Independent classifiers that only check transfer: ``name → model`` or a sequence.
    images
        Source images ``N×C×H×W`` in ``[0, 1]``.
    targets
        One target class per source (see :func:`pick_targets`), or one int for all.
    budgets
        Pixel L2 budgets (in ``[0, 1]`` intensity units).
    methods
        Keys of :data:`EDIT_METHODS` (``"pixel"``, ``"fourier_phase"``, ``"csp_phase"``,
        ``"csp_joint"``), or a dict ``name → SteerableLens keyword arguments`` for others.
    regime
        ``"persistent"`` (default: the authors' iterative, source-anchored protocol),
        ``"live"`` or ``"fixed"`` (one-step extrapolation to the budget).
    lens_options
        Extra :class:`~steerlens.lens.SteerableLens` arguments for every method (e.g.
        ``objective="margin"``, ``height=1``).
    edit_options
        Extra :meth:`~steerlens.lens.SteerableLens.edit` arguments (``step_size``,
        ``phase_cap``, ``max_steps``, ``rtol``). A ``phase_cap`` is only given to methods
        that edit phase.
    grid
        Control points per side of the smooth warp (the authors use 8).
    warp_iterations
        L-BFGS iterations per stage of the warp fit. The warp + gain fit starts from the
        warp-only fit, so its ``E`` is never below the warp-only ``E``.
    max_displacement
        Optional bound (pixels) on each component of the warp's displacement (default: none).
    batch_size
        Sources per batch. Batches are fixed blocks of consecutive sources, so the first
        ``k·batch_size`` sources give the same values in a longer run.
    n_boot, level, seed
        The paired percentile bootstrap over sources.
    progress
        Show a ``tqdm`` progress bar.

    Returns
    -------
    EditComparison
        ``.table()``, ``.to_markdown()``, ``.to_csv(path)``, ``.values(...)``,
        ``.difference(...)``, ``.edited``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> driver = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    >>> judge = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    >>> x = 0.25 + 0.5 * torch.rand(3, 1, 8, 8)
    >>> out = compare_edits(driver, {"j": judge}, x, 1, budgets=[0.5], methods=["pixel", "fourier_phase"],
    ...                     warp_iterations=3, n_boot=100, progress=False)
    >>> [(r["method"], r["attained"]) for r in out.table()]
    [('pixel', 3), ('fourier_phase', 3)]
    """
    import time

    from tqdm import tqdm

    from .lens import REGIMES, SteerableLens

    start = time.perf_counter()
    images = check_images(images, "images").detach()
    n = images.shape[0]
    targets = _as_targets(targets, n, images.device)
    if not isinstance(judges, Mapping):
        judges = {f"judge{i + 1}": j for i, j in enumerate(judges)}
    if not judges:
        raise ValueError("`judges` is empty: pass at least one independent classifier.")
    budgets = tuple(float(check_positive(b, "budgets")) for b in budgets)
    if not budgets:
        raise ValueError("`budgets` is empty: pass at least one pixel L2 budget, e.g. (1.0, 2.0).")
    methods = _method_options(methods)
    regime = check_choice(regime, "regime", REGIMES)
    lens_options = dict(lens_options or {})
    edit_options = dict(edit_options or {})
    check_int(grid, "grid", minimum=2)
    check_int(warp_iterations, "warp_iterations", minimum=1)
    if max_displacement is not None:
        check_positive(max_displacement, "max_displacement")
    check_int(batch_size, "batch_size", minimum=1)
    check_int(n_boot, "n_boot", minimum=1)
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}.")

    columns = {
        (m, b): {k: [] for k in (*_MEASURES, *(f"judge:{j}" for j in judges))}
        for m in methods
        for b in budgets
    }
    edited: dict[tuple[str, float], list[Tensor]] = {key: [] for key in columns}
    chunks = [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    bar = tqdm(
        total=len(methods) * len(budgets) * len(chunks),
        desc="matched-budget edits",
        disable=not progress,
        leave=False,
    )
    for method, options in methods.items():
        lens = SteerableLens(driver, **{**options, **lens_options})
        opts = dict(edit_options)
        if "phase_cap" in opts and (lens.domain == "pixel" or lens.component == "amplitude"):
            opts.pop("phase_cap")
        for budget in budgets:
            col = columns[(method, budget)]
            for chunk in chunks:
                x0, t = images[chunk], targets[chunk]
                result = lens.edit(x0, t, budget=budget, regime=regime, **opts)
                x1 = result.images.detach()
                agree = judge_agreement(judges, x1, t)
                col["attained"].append(result.attained)
                col["distance"].append(result.distance)
                col["steps"].append(result.steps)
                col["driver_prob"].append(result.target_prob)
                for j in judges:
                    col[f"judge:{j}"].append(agree[j])
                col["judges_all"].append(agree["all"])
                fit = fit_smooth_warp(
                    x0,
                    x1,
                    grid=grid,
                    gain=False,
                    iterations=warp_iterations,
                    max_displacement=max_displacement,
                )
                fit_gain = fit_smooth_warp(
                    x0,
                    x1,
                    grid=grid,
                    gain=True,
                    iterations=warp_iterations,
                    max_displacement=max_displacement,
                    init=fit,
                )
                col["e_warp"].append(fit.energy)
                col["e_warp_gain"].append(fit_gain.energy)
                edited[(method, budget)].append(x1)
                bar.update(1)
    bar.close()
    measures = {
        key: {k: torch.cat(v).detach().cpu().double().numpy() for k, v in col.items()}
        for key, col in columns.items()
    }
    settings = {
        "regime": regime,
        "methods": methods,
        "lens_options": lens_options,
        "edit_options": edit_options,
        "grid": grid,
        "warp_iterations": warp_iterations,
        "max_displacement": max_displacement,
        "gain_model": f"multiplicative gain exp(log-gain on the {grid}×{grid} grid, bicubic), as the warp",
        "batch_size": batch_size,
    }
    return EditComparison(
        sources=images,
        targets=targets,
        methods=tuple(methods),
        budgets=budgets,
        judge_names=tuple(judges),
        measures=measures,
        edited={k: torch.cat(v) for k, v in edited.items()},
        settings=settings,
        n_boot=n_boot,
        level=level,
        seed=seed,
        seconds=time.perf_counter() - start,
    )
