"""Established attribution methods through Captum, and how well two maps agree.

The lens answers *how* an image would change toward a class (a counterfactual);
attribution methods answer *where* the evidence for a class lies. This module
runs the standard ones on any classifier the lens accepts, through Captum
(Kokhlikyan et al., 2020; BSD-3-Clause, an optional dependency:
``pip install captum``), and measures where a map and a morph's change map
agree:

- :func:`attribution_map` — Saliency ``|∂z_t/∂x|`` (Simonyan et al., 2014),
  Integrated Gradients (Sundararajan et al., 2017) from a black or a blurred
  baseline, SmoothGrad (Smilkov et al., 2017; Captum's ``NoiseTunnel`` around
  Saliency) and Gradient × Input, all of the target's **logit** ``z_t``, in the
  images' shape ``B×C×H×W``;
- :func:`map_agreement` — per image, the Spearman rank correlation of two
  maps' magnitudes and the overlap of their top fractions of pixels
  (:class:`MapAgreement`).

Every call runs the model in eval mode (each submodule's own mode restored),
leaves the images untouched and is deterministic (SmoothGrad's noise comes from
its own seeded generator state; the global random state is left as it was).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from .._checks import check_images, check_int, check_positive, check_tensor
from .._classifier import (
    _model_input,
    as_class_tensor,
    check_class_range,
    check_logits,
    check_model,
    eval_context,
)
from ..resample import gaussian_blur

__all__ = ["ATTRIBUTION_METHODS", "attribution_map", "map_agreement", "MapAgreement"]

#: The method names :func:`attribution_map` accepts.
ATTRIBUTION_METHODS = ("saliency", "integrated_gradients", "smoothgrad", "gradient_x_input")
_BASELINES = ("black", "blurred")


def _captum():
    try:
        return importlib.import_module("captum.attr")
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "steerlens.evaluate.attribution_map needs Captum, which is not installed; "
            "install it with `pip install captum` (or `pip install steerlens[book]`)."
        ) from err


def _make_baseline(x: Tensor, baseline, blur_sigma: float) -> Tensor:
    if isinstance(baseline, Tensor):
        check_tensor(baseline, "baseline")
        if baseline.shape != x.shape and baseline.shape != x.shape[1:]:
            raise ValueError(
                f"`baseline` must have the images' shape {tuple(x.shape)} (or one image "
                f"{tuple(x.shape[1:])}), got {tuple(baseline.shape)}."
            )
        return baseline.detach().to(x.detach()).expand_as(x).contiguous()
    if baseline not in _BASELINES:
        raise ValueError(
            f"`baseline` must be 'black', 'blurred' or a tensor of the images' shape, "
            f"got {baseline!r}."
        )
    if baseline == "black":
        return torch.zeros_like(x.detach())
    return gaussian_blur(x.detach(), blur_sigma)


def attribution_map(
    model: Callable[[Tensor], Tensor],
    images: Tensor,
    target,
    method: str = "integrated_gradients",
    *,
    baseline: str | Tensor = "black",
    blur_sigma: float = 5.0,
    n_steps: int = 32,
    n_samples: int = 16,
    noise: float = 0.15,
    seed: int = 0,
    batch_size: int = 64,
) -> Tensor:
    """Attribution of the target's logit to every pixel, by an established method, via Captum.

    Parameters
    ----------
    model
        A classifier: images ``B×C×H×W`` in ``[0, 1]`` → logits ``B×classes``
        (or a dict with ``"logits"``), as the lens accepts it. An ``nn.Module``
        runs in eval mode; every submodule's own mode is restored afterwards.
    images
        Images ``B×C×H×W`` in ``[0, 1]``; never modified.
    target
        The class whose logit is explained: one int, or one per image.
    method
        ``"saliency"`` (``|∂z_t/∂x|``), ``"integrated_gradients"`` (the path
        integral of the gradient from ``baseline`` to the image, times
        ``x − baseline``; Gauss–Legendre with ``n_steps`` points),
        ``"smoothgrad"`` (the mean of ``|∂z_t/∂x|`` over ``n_samples`` copies
        with Gaussian noise of standard deviation ``noise``) or
        ``"gradient_x_input"`` (``x · ∂z_t/∂x``).
    baseline
        Integrated Gradients only: ``"black"`` (zeros), ``"blurred"`` (the image
        blurred with a Gaussian of ``blur_sigma`` px) or a tensor of the
        images' shape.
    blur_sigma
        Standard deviation (px) of the blurred baseline.
    n_steps
        Integration points of Integrated Gradients.
    n_samples
        Noisy copies per image of SmoothGrad.
    noise
        Standard deviation of SmoothGrad's noise, in image units (the images
        span ``[0, 1]``, so 0.15 is 15 % of the range, as Smilkov et al.
        recommend 10–20 %).
    seed
        Seed of SmoothGrad's noise (the global random state is restored).
    batch_size
        Largest number of images (or noisy copies, or integration points) per
        model call.

    Returns
    -------
    Tensor
        Attributions ``B×C×H×W`` on ``images``' device. Saliency and
        SmoothGrad are ≥ 0; Integrated Gradients and Gradient × Input are
        signed, and Integrated Gradients sums (over all pixels and channels)
        to ``z_t(x) − z_t(baseline)`` up to the quadrature error
        (completeness). Reduce a map to one value per pixel with ``.abs().sum(1)``.

    Raises
    ------
    ModuleNotFoundError
        If Captum is not installed (``pip install captum``).
    TypeError
        If ``model`` is not callable or returns no floating-point logits,
        ``images`` or ``baseline`` is not a floating-point tensor, ``target`` is
        not a class index, or ``n_steps``, ``n_samples``, ``seed`` or
        ``batch_size`` is not an int.
    ValueError
        If ``method`` or ``baseline`` is not one of the names above (the
        message lists them), ``images`` is not ``B×C×H×W`` in ``[0, 1]``,
        ``target`` has the wrong length or a class outside the model's,
        ``baseline`` has the wrong shape, a count is below 1, ``noise`` or
        ``blur_sigma`` is not positive, or the model returns NaN/inf logits.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    >>> x = torch.rand(2, 1, 2, 2)
    >>> ig = attribution_map(model, x, 1)  # doctest: +SKIP
    >>> tuple(ig.shape)  # doctest: +SKIP
    (2, 1, 2, 2)
    """
    check_model(model)
    if not isinstance(method, str) or method not in ATTRIBUTION_METHODS:
        raise ValueError(
            f"`method` must be one of {', '.join(map(repr, ATTRIBUTION_METHODS))}, got {method!r}."
        )
    images = check_images(images, "images", channels=None)
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    seed = check_int(seed, "seed")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    noise = check_positive(noise, "noise")
    blur_sigma = check_positive(blur_sigma, "blur_sigma")
    attr = _captum()

    home = images.device
    spec = _model_input(model)
    x = images.detach().to(*(spec[::-1] if spec else (home,))).clone()
    x.requires_grad_(True)  # Captum differentiates with respect to it
    t = as_class_tensor(target, "target", x.shape[0], x.device)

    def forward(batch: Tensor) -> Tensor:
        return check_logits(model(batch), batch.shape[0])

    with eval_context(model):
        with torch.no_grad():
            num_classes = forward(x[:1]).shape[1]
        check_class_range(t, "target", num_classes)
        if method == "saliency":
            parts = [
                attr.Saliency(forward).attribute(xb, target=tb, abs=True)
                for xb, tb in zip(x.split(batch_size), t.split(batch_size), strict=True)
            ]
            out = torch.cat(parts)
        elif method == "gradient_x_input":
            parts = [
                attr.InputXGradient(forward).attribute(xb, target=tb)
                for xb, tb in zip(x.split(batch_size), t.split(batch_size), strict=True)
            ]
            out = torch.cat(parts)
        elif method == "integrated_gradients":
            base = _make_baseline(x, baseline, blur_sigma)
            out = attr.IntegratedGradients(forward).attribute(
                x,
                baselines=base,
                target=t,
                n_steps=n_steps,
                method="gausslegendre",
                internal_batch_size=batch_size,
            )
        else:  # smoothgrad
            devices = [x.device] if x.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                tunnel = attr.NoiseTunnel(attr.Saliency(forward))
                out = tunnel.attribute(
                    x,
                    nt_type="smoothgrad",
                    nt_samples=n_samples,
                    nt_samples_batch_size=batch_size,
                    stdevs=noise,
                    target=t,
                    abs=True,
                )
    out = out.detach().to(home)
    if not bool(torch.isfinite(out).all()):
        raise ValueError(
            f"the {method} attributions hold NaN or infinite values; check the model's "
            f"gradient (e.g. a log of zero) on these images."
        )
    return out


@dataclass(frozen=True)
class MapAgreement:
    """Where two maps agree, per image (:func:`map_agreement`).

    Attributes
    ----------
    rank_correlation
        ``B`` Spearman rank correlations of the two maps' magnitudes over the
        pixels (ties get their mean rank): 1 for maps that order the pixels
        alike, about 0 for independent maps.
    overlap
        ``B`` shares of the top ``top`` fraction of pixels of one map that are
        also in the top fraction of the other; independent maps give about
        ``top`` (chance).
    iou
        ``B`` intersection-over-union of the two top sets.
    top
        The fraction of pixels in each top set.
    """

    rank_correlation: Tensor
    overlap: Tensor
    iou: Tensor
    top: float


def _as_pixel_map(m, name: str) -> Tensor:
    check_tensor(m, name)
    if m.ndim == 4:
        m = m.abs().sum(1)
    elif m.ndim == 3:
        m = m.abs()
    elif m.ndim == 2:
        m = m.abs()[None]
    else:
        raise ValueError(
            f"`{name}` must be a map H×W, B×H×W or B×C×H×W, got shape {tuple(m.shape)}."
        )
    if not bool(torch.isfinite(m).all()):
        raise ValueError(f"`{name}` contains NaN or infinite values; clean it first.")
    return m.detach().flatten(1).double()


def _ranks(v: Tensor) -> Tensor:
    """Ranks 0 … n−1 of a 1-D tensor, ties given their mean rank."""
    values, order = torch.sort(v, stable=True)
    _, inverse, counts = torch.unique_consecutive(values, return_inverse=True, return_counts=True)
    start = torch.cumsum(counts, 0) - counts
    mean_rank = start.double() + (counts.double() - 1) / 2
    ranks = torch.empty_like(v, dtype=torch.float64)
    ranks[order] = mean_rank[inverse]
    return ranks


def map_agreement(a: Tensor, b: Tensor, top: float = 0.1) -> MapAgreement:
    """How well two maps agree on where the action is: rank correlation and top-fraction overlap.

    Each map is reduced to one magnitude per pixel (``|m|`` summed over the
    channels of a ``B×C×H×W`` map), so an attribution map and a morph's change
    ``x_α − x_0`` can be compared directly.

    Parameters
    ----------
    a, b
        Maps of one shape: ``H×W``, ``B×H×W`` or ``B×C×H×W`` (the channel counts
        may differ); never modified.
    top
        Fraction of pixels (``0 < top ≤ 1``) in each map's top set, at least one
        pixel.

    Returns
    -------
    MapAgreement
        Per image: Spearman rank correlation, overlap of the top sets and their
        intersection-over-union (float64, on ``a``'s device).

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a floating-point tensor.
    ValueError
        If a map is not 2-, 3- or 4-D, the two have different batch or image
        sizes, a map holds NaN/inf, ``top`` is not in ``(0, 1]``, or a map is
        constant over an image (its rank correlation is undefined).

    Examples
    --------
    >>> import torch
    >>> m = torch.rand(2, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> agree = map_agreement(m, 3 * m)
    >>> [round(v, 6) for v in agree.rank_correlation.tolist()], agree.overlap.tolist()
    ([1.0, 1.0], [1.0, 1.0])
    """
    if isinstance(top, bool) or not isinstance(top, (int, float)):
        raise TypeError(f"`top` must be a number in (0, 1], got {type(top).__name__}.")
    if not 0 < top <= 1:
        raise ValueError(f"`top` must be a fraction of pixels in (0, 1], got {top}.")
    fa, fb = _as_pixel_map(a, "a"), _as_pixel_map(b, "b")
    sa = a.shape[-2:] if a.ndim >= 2 else None
    sb = b.shape[-2:] if b.ndim >= 2 else None
    if fa.shape != fb.shape or sa != sb:
        raise ValueError(
            f"`a` and `b` must hold the same images at the same size, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}."
        )
    n = fa.shape[1]
    k = max(1, round(top * n))
    rho, overlap, iou = [], [], []
    for i, (u, v) in enumerate(zip(fa, fb, strict=True)):
        for name, w in (("a", u), ("b", v)):
            if bool((w == w[0]).all()):
                raise ValueError(
                    f"`{name}` is constant on image {i}; its rank correlation is undefined "
                    f"(an empty change map? check the edit or the attribution)."
                )
        ru, rv = _ranks(u), _ranks(v)
        ru, rv = ru - ru.mean(), rv - rv.mean()
        rho.append((ru * rv).sum() / (ru.norm() * rv.norm()))
        top_u = torch.zeros(n, dtype=torch.bool, device=u.device)
        top_v = torch.zeros_like(top_u)
        top_u[torch.topk(u, k).indices] = True
        top_v[torch.topk(v, k).indices] = True
        both = float((top_u & top_v).sum())
        overlap.append(both / k)
        iou.append(both / (2 * k - both))
    dev = fa.device
    return MapAgreement(
        rank_correlation=torch.stack(rho).clamp(-1, 1),
        overlap=torch.tensor(overlap, dtype=torch.float64, device=dev),
        iou=torch.tensor(iou, dtype=torch.float64, device=dev),
        top=float(k) / n,
    )
