"""Measures for morphs: is an edit evidence about the classes, or only about the classifier?

Three things are reported separately for every edit (Mahdisoltani & Fleet, "Confidence is not
evidence"):

1. **driver confidence** — the target probability under the classifier that made the edit;
2. **transfer** — whether independently trained *judges* also predict the target;
3. **smooth-warp compatibility** ``E`` — the share of the edit's energy ``‖x₁ − x₀‖²`` that the
   best smooth warp of the source explains (:func:`warp_energy`).

Uncertainty comes from a percentile bootstrap over source images, paired across methods
(:func:`paired_bootstrap`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import check_images, check_int

__all__ = [
    "warp_energy",
    "fit_smooth_warp",
    "SmoothWarpFit",
    "target_probability",
    "judge_agreement",
    "bootstrap_ci",
    "paired_bootstrap",
]


# ---------------------------------------------------------------------------
# smooth warps
# ---------------------------------------------------------------------------


def _upsample(field: Tensor, size: tuple[int, int]) -> Tensor:
    # Bicubic interpolation of the control grid: smooth (C¹) and exact at the control points.
    return F.interpolate(field, size=size, mode="bicubic", align_corners=True)


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
    """

    energy: Tensor
    displacement: Tensor
    gain: Tensor
    prediction: Tensor


def fit_smooth_warp(
    x0: Tensor,
    x1: Tensor,
    grid: int = 8,
    gain: bool = False,
    iterations: int = 60,
    max_displacement: float | None = None,
) -> SmoothWarpFit:
    """Fit ``x₁ ≈ gain · warp(x₀)`` with fields on a coarse control grid.

    The displacement field (and, with ``gain=True``, the log of a multiplicative gain field)
    lives on a ``grid × grid`` lattice of control points and is upsampled bicubically to the
    image, so it is smooth by construction. The fit minimises ``‖x₁ − gain · warp(x₀)‖²`` per
    image with L-BFGS (strong-Wolfe line search), coarse to fine: first on images blurred by a
    Gaussian, then on the originals, which avoids the local minima of large displacements. It is
    deterministic on the CPU.

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
        L-BFGS iterations per stage.
    max_displacement
        Optional bound (pixels) on the control-point displacements, enforced with ``tanh``.

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
        raise ValueError(f"`x0` and `x1` must have the same shape, got {tuple(x0.shape)} and {tuple(x1.shape)}.")
    check_int(grid, "grid", minimum=2)
    check_int(iterations, "iterations", minimum=1)
    x0 = x0.detach()
    x1 = x1.detach()
    b, c, h, w = x0.shape
    dtype, device = x0.dtype, x0.device
    disp_ctrl = torch.zeros(b, 2, grid, grid, dtype=dtype, device=device, requires_grad=True)
    loggain_ctrl = torch.zeros(b, 1, grid, grid, dtype=dtype, device=device, requires_grad=gain)
    params = [disp_ctrl, loggain_ctrl] if gain else [disp_ctrl]

    def fields() -> tuple[Tensor, Tensor]:
        d = disp_ctrl
        if max_displacement is not None:
            d = max_displacement * torch.tanh(d / max_displacement)
        disp = _upsample(d, (h, w))
        g = torch.exp(_upsample(loggain_ctrl, (h, w))) if gain else torch.ones(b, 1, h, w, dtype=dtype, device=device)
        return disp, g

    def residual(src: Tensor, dst: Tensor) -> Tensor:
        disp, g = fields()
        return ((dst - g * _warp(src, disp)) ** 2).sum(dim=(1, 2, 3))

    for sigma in (1.5, 0.0):
        src, dst = (_blur(x0, sigma), _blur(x1, sigma)) if sigma > 0 else (x0, x1)
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=iterations, history_size=20,
                                line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)

        def closure():
            opt.zero_grad()
            loss = residual(src, dst).sum()
            loss.backward()
            return loss

        opt.step(closure)

    with torch.no_grad():
        disp, g = fields()
        pred = g * _warp(x0, disp)
        res = ((x1 - pred) ** 2).sum(dim=(1, 2, 3))
        total = ((x1 - x0) ** 2).sum(dim=(1, 2, 3))
        energy = torch.where(total > 0, 1 - res / total.clamp_min(torch.finfo(dtype).tiny), torch.ones_like(total))
        energy = energy.clamp(0.0, 1.0)
    return SmoothWarpFit(energy=energy, displacement=disp, gain=g, prediction=pred)


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
    iterations: int = 60,
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
        L-BFGS iterations per coarse-to-fine stage.

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
    return fit_smooth_warp(x0, x1, grid=grid, gain=gain, iterations=iterations).energy


# ---------------------------------------------------------------------------
# driver confidence and transfer
# ---------------------------------------------------------------------------


def _as_targets(target, batch: int, device) -> Tensor:
    if isinstance(target, Tensor):
        t = target.to(device=device, dtype=torch.long).reshape(-1)
        if t.numel() == 1:
            t = t.expand(batch)
        if t.numel() != batch:
            raise ValueError(f"`target` must be an int or hold one class per image ({batch}), got {t.numel()}.")
        return t
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        return torch.full((batch,), int(target), dtype=torch.long, device=device)
    raise TypeError(f"`target` must be an int or a tensor of class indices, got {type(target).__name__}.")


@torch.no_grad()
def target_probability(model: Callable[[Tensor], Tensor], x: Tensor, target, batch_size: int = 256) -> Tensor:
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
            raise ValueError(f"`model` must return logits B×classes, got shape {tuple(logits.shape)}.")
        if int(t.max()) >= logits.shape[1] or int(t.min()) < 0:
            raise ValueError(f"`target` must lie in [0, {logits.shape[1] - 1}] (the model's classes).")
        out.append(torch.softmax(logits, dim=1).gather(1, t[i : i + batch_size, None])[:, 0])
    return torch.cat(out)


@torch.no_grad()
def judge_agreement(judges: Mapping[str, Callable[[Tensor], Tensor]] | Sequence, x: Tensor, target) -> dict[str, Tensor]:
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
        raise ValueError(f"`statistic` must be 'median', 'mean', 'sum' or a callable, got {name_or_fn!r}.")
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
    arrays = {k: np.asarray(v.detach().cpu() if isinstance(v, Tensor) else v, dtype=float) for k, v in values.items()}
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(f"every method needs a 1-D array of the same length (one value per source), got shapes {sorted(lengths)}.")
    n = next(iter(lengths))[0]
    if n == 0:
        raise ValueError("`values` hold no sources.")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1), got {level}.")
    check_int(n_boot, "n_boot", minimum=1)
    stat = _statistic(statistic)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    out = {}
    for k, a in arrays.items():
        draws = stat(a[idx])
        out[k] = (float(stat(a)), float(np.percentile(draws, lo_q)), float(np.percentile(draws, hi_q)))
    return out


def bootstrap_ci(values, statistic: str | Callable = "median", n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Percentile bootstrap interval of one statistic: ``(statistic, low, high)``.

    Examples
    --------
    >>> est, lo, hi = bootstrap_ci([0.1, 0.4, 0.35, 0.8, 0.5, 0.45])
    >>> lo <= est <= hi
    True
    """
    return paired_bootstrap({"x": values}, statistic, n_boot, level, seed)["x"]
