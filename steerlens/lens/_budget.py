"""Matched-budget edits: stop exactly where ‖x − x₀‖₂ reaches the budget.

Private helper of :meth:`steerlens.lens.SteerableLens.edit`, which passes in
what the search needs — the gradient pass (a function of the coefficients) and
the model's probabilities — so this module never imports the lens. Three regimes
(METHOD §5):

- ``fixed``: one gradient at the source; the edit is the straight line
  ``x(α)`` of the one-step extrapolation; double ``α`` until the distance
  passes the budget, then bisect.
- ``live``: every step re-analyses the current clipped image and takes the
  gradient there.
- ``persistent``: the source coefficients are kept; every step takes the
  gradient with respect to the accumulated ``(δ, η)`` (or pixel change).

In every regime the distance along one step is continuous in the step length,
so once a full step passes the budget, bisection on the step's fraction finds
a point at the budget.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..transforms import Coefficients, Flow, Transform
from ._results import EditResult, Gradient

#: ``gradient_at(coefficients, target, source, anchor) -> Gradient``: one gradient pass
GradientAt = Callable[[Coefficients, Tensor, "Tensor | None", "Tensor | None"], Gradient]

__all__: list[str] = []

_FIXED_PATH_POINTS = 10
_BISECTION_STEPS = 60


def _distance(images: Tensor, x0: Tensor) -> Tensor:
    return (images - x0).flatten(1).norm(dim=1)


def _bisect(
    frame_at: Callable[[Tensor], Tensor],
    lo: Tensor,
    hi: Tensor,
    d_hi: Tensor,
    x0: Tensor,
    budget: Tensor,
    rtol: float,
) -> tuple[Tensor, Tensor]:
    """Shrink ``[lo, hi]`` (``d(lo) < budget ≤ d(hi)``) until ``d(hi) ≤ budget·(1 + rtol)``."""
    for _ in range(_BISECTION_STEPS):
        open_ = d_hi > budget * (1 + rtol)
        if not bool(open_.any()):
            break
        mid = (lo + hi) / 2
        d = _distance(frame_at(mid), x0)
        below = d < budget
        lo = torch.where(open_ & below, mid, lo)
        hi = torch.where(open_ & ~below, mid, hi)
        d_hi = torch.where(open_ & ~below, d, d_hi)
    return hi, d_hi


def _select(coeffs: Coefficients, index: Tensor) -> Coefficients:
    return Coefficients([b[index] for b in coeffs.bands], {k: v[index] for k, v in coeffs.fixed.items()})


def _result(probabilities, x0, images, budget, steps, target, path, regime, rtol) -> EditResult:
    path = torch.stack(path, dim=1)
    distance = _distance(images, x0)
    return EditResult(
        images=images,
        distance=distance,
        budget=budget,
        attained=(distance >= budget) & (distance <= budget * (1 + rtol)),
        steps=steps,
        probs=probabilities(images),
        target=target,
        path=path,
        path_distance=(path - x0[:, None]).flatten(2).norm(dim=2),
        regime=regime,
    )


def matched_budget_edit(
    gradient_at: GradientAt,
    probabilities: Callable[[Tensor], Tensor],
    transform: Transform,
    x0: Tensor,
    target: Tensor,
    source: Tensor | None,
    budget: Tensor,
    regime: str,
    *,
    step_size: float | None,
    phase_cap: float | None,
    max_steps: int,
    rtol: float,
) -> EditResult:
    """Edit ``x0`` toward ``target`` until ``‖x − x0‖₂`` reaches ``budget`` (per image).

    ``gradient_at(coefficients, target, source, anchor)`` is the lens's gradient
    pass at ``coefficients`` of ``transform`` (the model sees ``anchor``, or the
    clipped synthesis when ``anchor`` is ``None``); ``probabilities(images)`` the
    model's softmax. Both run in the caller's eval-mode context.
    """
    if regime == "fixed":
        return _fixed(gradient_at, probabilities, transform, x0, target, source, budget,
                      phase_cap, max_steps, rtol)
    return _iterative(
        gradient_at, probabilities, transform, x0, target, source, budget, regime, step_size,
        phase_cap, max_steps, rtol,
    )


#: the fixed line stops doubling ``α`` once the distance grows by less than this factor
_STALL = 1e-3


def _fixed(gradient_at, probabilities, transform, x0, target, source, budget, phase_cap,
           max_doublings, rtol) -> EditResult:
    with torch.no_grad():
        coeffs = transform.analyze(x0)
    grad = gradient_at(coeffs, target, source, x0)
    line = grad.line()

    def frame_at(alpha: Tensor) -> Tensor:
        return line.frame(alpha, phase_cap)

    movable = grad.first_order_norm > 0
    # first-order guess, then double until the budget is passed
    hi = torch.where(movable, budget / grad.first_order_norm.clamp_min(1e-30), 0.0)
    lo = torch.zeros_like(hi)
    d_hi = _distance(frame_at(hi), x0)
    # the farthest point found so far, for images whose line never reaches the budget
    best, d_best = hi.clone(), d_hi.clone()
    searching = movable & (d_hi < budget)
    for _ in range(max_doublings):
        if not bool(searching.any()):
            break
        new_hi = torch.where(searching, 2 * hi, hi)
        d_new = torch.where(searching, _distance(frame_at(new_hi), x0), d_hi)
        lo = torch.where(searching, hi, lo)
        hi, d_prev, d_hi = new_hi, d_hi, d_new
        better = searching & (d_hi > d_best)
        best, d_best = torch.where(better, hi, best), torch.where(better, d_hi, d_best)
        # a bounded line (phase only, or clipped) stops growing: give up on it
        stalled = d_hi <= d_prev * (1 + _STALL)
        searching = searching & (d_hi < budget) & ~stalled
    crossed = d_hi >= budget
    hi, d_hi = _bisect(frame_at, lo, hi, torch.where(crossed, d_hi, budget), x0, budget, rtol)
    hi = torch.where(crossed, hi, best)
    path = [frame_at(hi * (k / _FIXED_PATH_POINTS)) for k in range(1, _FIXED_PATH_POINTS + 1)]
    steps = torch.ones_like(target)
    result = _result(probabilities, x0, path[-1], budget, steps, target, path, "fixed", rtol)
    if isinstance(transform, Flow):  # the line's field at the final α
        step = grad.step_pixel[0]
        result.displacement = step * hi.to(step.dtype).view(-1, *([1] * (step.ndim - 1)))
    return result


def _iterative(
    gradient_at, probabilities, transform, x0, target, source, budget, regime, step_size,
    phase_cap, max_steps, rtol,
) -> EditResult:
    batch = x0.shape[0]
    with torch.no_grad():
        source_coeffs = transform.analyze(x0)
    # persistent: the accumulated increments, per band (polar: δ and η; pixel: Δ)
    n = len(source_coeffs.bands)
    acc_phase = [torch.zeros_like(b.real) for b in source_coeffs.bands] if transform.polar else None
    acc_amp = [torch.zeros_like(b.real) for b in source_coeffs.bands] if transform.polar else None
    acc_shift = None if transform.polar else [torch.zeros_like(b) for b in source_coeffs.bands]

    images = x0.clone()
    active = torch.ones(batch, dtype=torch.bool, device=x0.device)
    steps = torch.zeros(batch, dtype=torch.long, device=x0.device)
    path: list[Tensor] = []
    for _ in range(max_steps):
        index = active.nonzero()[:, 0]
        if index.numel() == 0:
            break
        if regime == "live":
            with torch.no_grad():
                coeffs = transform.analyze(images[index])
        else:
            coeffs = _select(source_coeffs, index)
            if transform.polar:
                coeffs = transform.polar_edit(
                    coeffs, eta=[a[index] for a in acc_amp], delta=[a[index] for a in acc_phase]
                )
            else:
                coeffs = Coefficients([b + a[index] for b, a in zip(coeffs.bands, acc_shift, strict=True)], coeffs.fixed)
        src = source[index] if source is not None else None
        grad = gradient_at(coeffs, target[index], src, None)
        if step_size is None:
            size = (budget[index] / 10) / grad.first_order_norm.clamp_min(1e-30)
            size = torch.where(grad.first_order_norm > 0, size, 0.0)
        else:
            size = torch.full_like(budget[index], step_size)
        line = grad.line()
        ref, goal = x0[index], budget[index]

        def frame_at(t: Tensor, line=line, size=size) -> Tensor:
            return line.frame(t * size, phase_cap)

        ones = torch.ones_like(size)
        candidate = frame_at(ones)
        d = _distance(candidate, ref)
        crossed = d >= goal
        t = ones
        if bool(crossed.any()):
            t_cross, d_cross = _bisect(
                frame_at, torch.zeros_like(ones), ones, torch.where(crossed, d, goal), ref, goal, rtol
            )
            t = torch.where(crossed, t_cross, ones)
            candidate = frame_at(t)
            d = torch.where(crossed, d_cross, d)
        stalled = ~crossed & (size == 0)  # a zero gradient: nowhere to go
        if regime == "persistent":
            _accumulate(grad, t * size, phase_cap, index, acc_phase, acc_amp, acc_shift, n)
        images[index] = candidate
        steps[index] += 1
        active[index[crossed | stalled]] = False
        path.append(images.clone())
    result = _result(probabilities, x0, images, budget, steps, target, path, regime, rtol)
    if isinstance(transform, Flow) and regime == "persistent":  # the accumulated field
        result.displacement = acc_shift[0]
    return result


def _accumulate(grad: Gradient, alpha: Tensor, phase_cap, index, acc_phase, acc_amp, acc_shift, n):
    """Add the step just taken (``α`` per image, capped like the frame) to the accumulators."""
    for s in range(n):
        for step, acc, cap in (
            (grad.step_phase, acc_phase, phase_cap),
            (grad.step_log_amplitude, acc_amp, None),
            (grad.step_pixel, acc_shift, None),
        ):
            if step is None or step[s] is None:
                continue
            inc = step[s] * alpha.view(-1, *([1] * (step[s].ndim - 1)))
            if cap is not None:
                inc = inc.clamp(-cap, cap)
            acc[s][index] += inc
