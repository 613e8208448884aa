"""Checks for chapter 9's exercises (is a morph evidence?).

The checks read the chapter's matched-budget comparison ``result`` (per-source measures, so a
bootstrap or a median is instant) and its ``sources``; the one that needs a fit (ex-09-ink) fits
a single 28×28 image, about a second.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

from ._core import (
    Wrong,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_number,
    expect_tensor,
    near,
)


def _per_budget(value, name: str, budgets, what: str) -> dict:
    """``{budget: …}`` with float keys; every budget present."""
    if not isinstance(value, Mapping):
        raise Wrong(f"`{name}` should be a dict {{budget: {what}}} with the budgets "
                    f"{', '.join(f'{b:g}' for b in budgets)} as keys, not a {type(value).__name__}.")
    out = {}
    for k, v in value.items():
        try:
            out[float(k)] = v
        except (TypeError, ValueError):
            raise Wrong(f"`{name}` has the key {k!r}: its keys should be the budgets "
                        f"({', '.join(f'{b:g}' for b in budgets)}).") from None
    for b in budgets:
        if float(b) not in out:
            raise Wrong(f"`{name}` has no entry for L₂ = {b:g}: give one for every budget.")
    return out


def _numbers(value, name: str, n: int, *, allow_nan: bool = False) -> list[float]:
    """A tuple/list/array of ``n`` numbers."""
    try:
        items = list(value)
    except TypeError:
        raise Wrong(f"`{name}` should hold {n} numbers, not a {type(value).__name__}.") from None
    if len(items) != n:
        raise Wrong(f"`{name}` should hold {n} numbers; it holds {len(items)}.")
    out = []
    for v in items:
        if allow_nan:
            try:
                f = float(v.item() if hasattr(v, "item") else v)
            except (TypeError, ValueError):
                raise Wrong(f"`{name}` should hold numbers, not {type(v).__name__}.") from None
            out.append(f)
        else:
            out.append(expect_number(v, name))
    return out


def _as_bool(value, name: str) -> bool:
    if hasattr(value, "item"):
        value = value.item()
    if not isinstance(value, bool):
        raise Wrong(f"`{name}` should be True or False, not {value!r}.")
    return value


# ------------------------------------------------------------------------------------------
# ex-09-joint: the paired bootstrap by hand (computation)
# ------------------------------------------------------------------------------------------


@exercise("ex-09-joint", chapter=9, kind="computation", title="Is joint CSP different from CSP phase?",
          reads=("joint_vs_phase", "joint_level", "result"))
def _joint(a):
    import numpy as np

    answer = a.get("joint_vs_phase")
    result = a.chapter("result")
    mine = _per_budget(answer, "joint_vs_phase", result.budgets, "(difference, low, high)")
    exact = True
    refs = {}
    for b in result.budgets:
        name = f"joint_vs_phase[{b:g}]"
        d, low, high = _numbers(mine[b], name, 3)
        joint = result.values("e_warp_gain", "csp_joint", b)
        phase = result.values("e_warp_gain", "csp_phase", b)
        ref = result.difference("e_warp_gain", "csp_joint", "csp_phase", b)
        refs[b] = ref
        tol = 1e-6
        if not near(d, ref[0], atol=tol):
            if near(d, -ref[0], atol=tol):
                raise Wrong(f"the difference in `{name}` has the wrong sign: the exercise asks for "
                            "joint CSP minus CSP phase.")
            warp_only = (np.median(result.values("e_warp", "csp_joint", b))
                         - np.median(result.values("e_warp", "csp_phase", b)))
            if near(d, warp_only, atol=tol):
                raise Wrong(f"`{name}` uses warp-only E (`\"e_warp\"`): the exercise is about E "
                            "with the gain, `\"e_warp_gain\"`.")
            if near(d, float(np.mean(joint) - np.mean(phase)), atol=tol):
                raise Wrong(f"`{name}` is a difference of means: the chapter compares medians.")
            if near(d, float(np.median(joint - phase)), atol=tol):
                raise Wrong(f"`{name}` is the median of the per-source differences, which is not "
                            "the difference of the two medians: take each method's median, then "
                            "subtract (and the same on every draw).")
            raise Wrong(f"the difference in `{name}` is not the difference of the medians of E "
                        "(warp + gain), joint CSP − CSP phase, over the 100 sources.")
        if low > high:
            raise Wrong(f"in `{name}` the low end is above the high end: store (difference, "
                        "2.5th percentile, 97.5th percentile).")
        width_ref = ref[2] - ref[1]
        ends = max(0.005, 0.15 * width_ref)
        if not (near(low, ref[1], atol=ends) and near(high, ref[2], atol=ends)):
            if near(low, -ref[2], atol=ends) and near(high, -ref[1], atol=ends):
                raise Wrong(f"the interval in `{name}` is mirrored: it is the interval of CSP "
                            "phase − joint CSP.")
            if not low <= d <= high:
                raise Wrong(f"the interval in `{name}` does not contain your difference: take the "
                            "2.5 and 97.5 percentiles of the 2,000 differences of medians, one "
                            "per draw.")
            if high - low > 1.2 * width_ref:
                raise Wrong(f"the interval in `{name}` is too wide for a paired bootstrap: did you "
                            "draw separate indices for the two methods? Pairing means that on "
                            "every draw both medians are taken over the *same* resampled sources.")
            raise Wrong(f"the interval in `{name}` is not the paired percentile interval: on each "
                        "of 2,000 draws of 100 source indices (with replacement), take the "
                        "median of joint CSP minus that of CSP phase on those indices, then the "
                        "2.5 and 97.5 percentiles of the 2,000 differences.")
        exact = exact and near(low, ref[1], atol=1e-6) and near(high, ref[2], atol=1e-6)
    levels = _per_budget(a.get("joint_level"), "joint_level", result.budgets, "True or False")
    for b in result.budgets:
        holds = refs[b][1] <= 0 <= refs[b][2]
        if _as_bool(levels[b], f"joint_level[{b:g}]") != holds:
            raise Wrong(f"`joint_level[{b:g}]` does not say what the interval at L₂ = {b:g} says: "
                        "True when the interval holds 0 (no difference beyond resampling noise), "
                        "False when it excludes 0.")
    if exact:
        return "Your draws are the ones `result.difference` makes (the same generator, seed 0)."
    return ("Your interval ends differ slightly from `result.difference`'s: your draws are not "
            "its draws (it uses `np.random.default_rng(0)`), which moves the ends a little.")


# ------------------------------------------------------------------------------------------
# ex-09-paired: why pairing narrows the interval (derivation)
# ------------------------------------------------------------------------------------------

_CASES = (  # (Var a, Var b, correlation): unequal variances on purpose
    (1.0, 1.0, 0.5), (2.0, 0.5, 0.8), (0.5, 2.0, -0.3), (3.0, 1.0, 0.2), (1.5, 1.2, 0.95),
    (0.8, 2.5, 0.0), (1.0, 4.0, 0.6),
)


def _ratio(va, vb, cov):
    return math.sqrt((va + vb - 2 * cov) / (va + vb))


def _mean_widths(result, b, statistic="mean"):
    def width(t):
        return t[2] - t[1]

    paired = width(result.difference("e_warp_gain", "csp_joint", "csp_phase", b,
                                     statistic=statistic))
    own = [width(result.interval("e_warp_gain", m, b, statistic=statistic))
           for m in ("csp_joint", "csp_phase")]
    return paired, own


@exercise("ex-09-paired", chapter=9, kind="derivation", title="Why pairing narrows the interval",
          reads=("width_ratio", "predicted_ratio", "measured_ratio", "result"))
def _paired(a):
    import numpy as np
    import torch

    fn = expect_callable(a.get("width_ratio"), "width_ratio")
    cases = [(va, vb, r * math.sqrt(va * vb)) for va, vb, r in _CASES]
    mine = torch.tensor([expect_number(call(fn, "width_ratio", va, vb, c), "what `width_ratio` returns")
                         for va, vb, c in cases], dtype=torch.float64)
    ref = torch.tensor([_ratio(*c) for c in cases], dtype=torch.float64)

    def like(values):
        return bool(torch.allclose(mine, torch.tensor(values, dtype=torch.float64), rtol=1e-3,
                                   atol=1e-6))

    if not like(ref.tolist()):
        if like((ref ** 2).tolist()):
            raise Wrong("`width_ratio` returns a ratio of *variances*: an interval's width scales "
                        "like a standard deviation.")
        if like((1 / ref).tolist()):
            raise Wrong("`width_ratio` is upside down: the exercise asks for paired over unpaired.")
        if like([math.sqrt((va + vb + 2 * c) / (va + vb)) for va, vb, c in cases]):
            raise Wrong("`width_ratio` has the covariance with the wrong sign: in a − b, what the "
                        "two values share cancels, so Cov(a, b) *lowers* the variance.")
        if like([math.sqrt(max(va + vb - c, 0) / (va + vb)) for va, vb, c in cases]):
            raise Wrong("`width_ratio` has Cov(a, b) once: Var(a − b) = Var a + Var b − 2 "
                        "Cov(a, b) (expand E[(a − b − E a + E b)²]).")
        if like([math.sqrt(max(1 - c / math.sqrt(va * vb), 0)) for va, vb, c in cases]):
            raise Wrong("`width_ratio` is right only when Var a = Var b: keep the two variances "
                        "apart (the exercise's test uses unequal ones).")
        if like([math.sqrt(va + vb - 2 * c) for va, vb, c in cases]):
            raise Wrong("`width_ratio` returns the standard deviation of a − b: divide by that of "
                        "the unpaired difference.")
        expect_close(mine, ref, "what `width_ratio` returns", rtol=1e-3, atol=1e-6,
                     hint="Write the variance of the mean of the n differences a_i − b_i, and that "
                          "of ā − b̄ when the two means come from independent samples.")

    answer = a.get("predicted_ratio")
    result = a.chapter("result")
    predicted = _per_budget(answer, "predicted_ratio", result.budgets, "a number")
    for b in result.budgets:
        name = f"predicted_ratio[{b:g}]"
        value = expect_number(predicted.get(float(b)), name)
        refs = {}
        for measure in ("e_warp_gain", "e_warp"):
            x, y = (result.values(measure, m, b) for m in ("csp_joint", "csp_phase"))
            refs[measure] = _ratio(float(np.var(x)), float(np.var(y)),
                                   float(np.cov(x, y, ddof=0)[0, 1]))
        if not near(value, refs["e_warp_gain"], rtol=0.02):
            if near(value, refs["e_warp"], rtol=0.01):
                raise Wrong(f"`{name}` uses warp-only E: use `\"e_warp_gain\"`.")
            other = [bb for bb in result.budgets if bb != b]
            if other:
                x, y = (result.values("e_warp_gain", m, other[0]) for m in ("csp_joint", "csp_phase"))
                swapped = _ratio(float(np.var(x)), float(np.var(y)), float(np.cov(x, y, ddof=0)[0, 1]))
                if near(value, swapped, rtol=0.01):
                    raise Wrong(f"`{name}` holds the other budget's value: the budgets are swapped.")
            expect_close(value, refs["e_warp_gain"], name, rtol=0.02,
                         hint="Apply your `width_ratio` to the per-source E (warp + gain) of joint "
                              "CSP and CSP phase at this budget (their variances and covariance).")

    measured = _per_budget(a.get("measured_ratio"), "measured_ratio", result.budgets, "a number")
    for b in result.budgets:
        name = f"measured_ratio[{b:g}]"
        value = expect_number(measured[float(b)], name)
        paired, own = _mean_widths(result, b)
        ref = paired / math.hypot(*own)
        if near(value, ref, rtol=0.02):
            continue
        if near(value, paired / sum(own), rtol=0.01):
            raise Wrong(f"`{name}` adds the two widths: the errors of two independent means add "
                        "like variances, so their widths add in quadrature, √(w₁² + w₂²).")
        paired_m, own_m = _mean_widths(result, b, "median")
        if near(value, paired_m / math.hypot(*own_m), rtol=0.01):
            raise Wrong(f"`{name}` uses the intervals of medians: the formula is for means; use "
                        "`statistic=\"mean\"` in both calls.")
        if near(value, math.hypot(*own) / paired, rtol=0.01):
            raise Wrong(f"`{name}` is upside down: paired width over unpaired width.")
        expect_close(value, ref, name, rtol=0.02,
                     hint="Divide the width of the paired interval of the mean difference by "
                          "√(w_joint² + w_phase²), the two methods' own widths of the mean.")
    return ("Formula and bootstrap agree: pairing narrows the interval by as much as the two "
            "methods' per-source values move together.")


# ------------------------------------------------------------------------------------------
# ex-09-ink: new ink, and the reach of the warp (computation)
# ------------------------------------------------------------------------------------------


_INK_FITS: dict[str, dict[str, float]] = {}


def _cosine(u, v) -> float:
    u, v = u.flatten().double(), v.flatten().double()
    n = float(u.norm() * v.norm())
    return float(u @ v) / n if n > 0 else 0.0


@exercise("ex-09-ink", chapter=9, kind="computation", title="New ink, and the reach of the warp",
          reads=("x_shift", "x_ink", "e_shift", "e_ink", "e_shift_bounded", "e_ink_bounded",
                 "sources"))
def _ink(a):
    import torch

    from ..evaluate import warp_energy

    shift = a.get("x_shift")
    sources = a.chapter("sources")
    x0 = sources[:1]
    shape = tuple(x0.shape)
    x0 = x0.detach().cpu()
    shift = expect_tensor(shift, "x_shift", shape=shape).cpu().to(x0.dtype)
    change = shift - x0
    if not near(float(change.norm()), 2.0, rtol=2e-3):
        if float(change.norm()) < 1e-6:
            raise Wrong("`x_shift` is `x0` itself: add the change of norm 2.")
        raise Wrong("`x_shift` − `x0` should have L2 norm 2: scale the unit direction "
                    "(T x0 − x0)/‖T x0 − x0‖ by 2.")
    directions = {
        "right": torch.roll(x0, 1, dims=-1) - x0,
        "left": torch.roll(x0, -1, dims=-1) - x0,
        "down": torch.roll(x0, 1, dims=-2) - x0,
        "up": torch.roll(x0, -1, dims=-2) - x0,
    }
    cos = {k: _cosine(change, v) for k, v in directions.items()}
    if cos["right"] < 0.999:
        if cos["right"] < -0.999:
            raise Wrong("`x_shift` moves along −(T x0 − x0): the change should be T x0 − x0, "
                        "scaled, not x0 − T x0.")
        best = max(cos, key=cos.get)
        if cos[best] > 0.999:
            raise Wrong(f"`x_shift` is a change toward a translation {best}: the exercise asks for "
                        "one pixel to the right, `torch.roll(x0, 1, dims=-1)`.")
        raise Wrong("`x_shift` − `x0` does not point along T x0 − x0 (T x0 = "
                    "`torch.roll(x0, 1, dims=-1)`): the change should be 2 (T x0 − x0)/‖T x0 − x0‖.")
    if float(shift.min()) < -1e-6 or float(shift.max()) > 1 + 1e-6:
        raise Wrong("`x_shift` leaves [0, 1]: it should not (a blend of two images in [0, 1] with "
                    "weights 1 − s and s stays there); check your scaling.")

    ink = expect_tensor(a.get("x_ink"), "x_ink", shape=shape).cpu().to(x0.dtype).contiguous()
    added = ink - x0
    if not near(float(added.norm()), 2.0, rtol=2e-3):
        raise Wrong("`x_ink` − `x0` should have L2 norm 2, like the other edit: scale the bar so "
                    "that its norm is 2 (before adding it, on a black corner nothing is clipped).")
    support = added.abs() > 1e-6
    rows = torch.nonzero(support[0, 0].any(1)).flatten()
    cols = torch.nonzero(support[0, 0].any(0)).flatten()
    n = int(support.sum())
    box = (int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)) if n else (0, 0)
    if n != 12 or sorted(box) != [2, 6]:
        raise Wrong("`x_ink` − `x0` should be a 2×6-pixel bar (12 pixels, one solid rectangle); "
                    f"it changes {n} pixels.")
    if float(x0[support].abs().max()) > 0:
        raise Wrong("the bar of `x_ink` overlaps the digit: put it in a corner where `x0` is black "
                    "(new ink where there was none).")
    if float(added[support].min()) < 0:
        raise Wrong("the bar of `x_ink` removes intensity: new ink is bright (added, > 0).")

    values = {}
    for name in ("e_shift", "e_ink", "e_shift_bounded", "e_ink_bounded"):
        v = expect_number(a.get(name), name)
        if not -1e-6 <= v <= 1 + 1e-6:
            raise Wrong(f"`{name}` is outside [0, 1]: E is a fraction of the edit's energy (the "
                        "value `evaluate.warp_energy` returns).")
        values[name] = v
    for name in ("e_shift", "e_shift_bounded"):
        if values[name] < 0.9:
            raise Wrong(f"`{name}` is too low for this edit: a blend of x0 with its one-pixel "
                        "shift is a smooth warp, which both variants should explain almost "
                        "entirely. Fit `x_shift` with `gain=True` (and `max_displacement=2.0` for "
                        "the bounded one).")
    key = hashlib.sha1(x0.numpy().tobytes() + ink.numpy().tobytes()).hexdigest()
    if key not in _INK_FITS:  # the fits take a second: once per pair of images
        _INK_FITS.clear()
        _INK_FITS[key] = {
            "e_ink": float(warp_energy(x0, ink, gain=True)),
            "e_ink_bounded": float(warp_energy(x0, ink, gain=True, max_displacement=2.0)),
        }
    ref = _INK_FITS[key]
    tol = 0.05
    if (not near(values["e_ink"], ref["e_ink"], atol=tol)
            and not near(values["e_ink_bounded"], ref["e_ink_bounded"], atol=tol)
            and near(values["e_ink"], ref["e_ink_bounded"], atol=tol)
            and near(values["e_ink_bounded"], ref["e_ink"], atol=tol)):
        raise Wrong("`e_ink` and `e_ink_bounded` are swapped: `e_ink_bounded` is the fit with "
                    "`max_displacement=2.0`.")
    for name in ("e_ink", "e_ink_bounded"):
        if not near(values[name], ref[name], atol=tol):
            bound = ", max_displacement=2.0" if name.endswith("bounded") else ""
            raise Wrong(f"`{name}` is not E (warp + gain) of your `x_ink`: compute it with "
                        f"`evaluate.warp_energy(x0, x_ink, gain=True{bound})`.")
    if ref["e_ink"] > ref["e_ink_bounded"] + 0.3:
        return ("Both variants call the translation-like blend a motion; only the unbounded warp "
                "calls the new bar one, by dragging ink from the strokes into the corner.")
    return ("Both variants call the translation-like blend a motion. On your corner even the "
            "unbounded warp explains little of the bar: try the corner the chapter used.")


# ------------------------------------------------------------------------------------------
# ex-09-confidence: does confidence predict transfer? (computation)
# ------------------------------------------------------------------------------------------


def _shares(result, budget, judge="judges_all"):
    import numpy as np

    out = {}
    for m in result.methods:
        p = np.asarray(result.values("driver_prob", m, budget))
        both = np.asarray(result.values(judge, m, budget), dtype=float)
        conf = p > 0.5
        out[m] = tuple(float(both[g].mean()) if g.any() else float("nan") for g in (conf, ~conf))
    return out


def _pair_close(mine, ref, atol=1e-6) -> bool:
    for v, r in zip(mine, ref, strict=True):
        if math.isnan(r):
            if not math.isnan(v):
                return False
        elif math.isnan(v) or abs(v - r) > atol:
            return False
    return True


@exercise("ex-09-confidence", chapter=9, kind="computation", title="Does confidence predict transfer?",
          reads=("transfer", "confidence_verdict", "result"))
def _confidence(a):
    from ..evaluate import method_label

    answer = a.get("transfer")
    result = a.chapter("result")
    if not isinstance(answer, Mapping):
        raise Wrong("`transfer` should be a dict {method: (share when confident, share otherwise)}.")
    labels = {method_label(m): m for m in result.methods}
    mine = {labels.get(k, k): v for k, v in answer.items()}
    missing = [m for m in result.methods if m not in mine]
    if missing:
        raise Wrong(f"`transfer` has no entry for {missing[0]!r}: one per method in "
                    "`result.methods`.")
    ref = _shares(result, 2.0)
    for m in result.methods:
        name = f"transfer[{m!r}]"
        pair = _numbers(mine[m], name, 2, allow_nan=True)
        if any(v > 1 for v in pair if not math.isnan(v)):
            raise Wrong(f"`{name}` holds a number above 1: store shares (fractions of each group), "
                        "not counts.")
        if _pair_close(pair, ref[m]):
            continue
        if _pair_close(pair[::-1], ref[m]):
            raise Wrong(f"`{name}` is in the wrong order: (share among the confident, share among "
                        "the rest).")
        if 1.0 in result.budgets and _pair_close(pair, _shares(result, 1.0)[m]):
            raise Wrong(f"`{name}` is measured at L₂ = 1: the exercise asks for L₂ = 2.")
        for judge in result.judge_names:
            if _pair_close(pair, _shares(result, 2.0, f"judge:{judge}")[m]):
                raise Wrong(f"`{name}` counts the sources where the {judge} alone predicts the "
                            "target: transfer here means *both* judges do (`\"judges_all\"`).")
        if any(math.isnan(r) != math.isnan(v) for v, r in zip(pair, ref[m], strict=True)):
            raise Wrong(f"`{name}`: a group is empty for this method exactly when its share is "
                        "`nan` (the driver is above 0.5 on all sources, or on none).")
        raise Wrong(f"`{name}` is not right: split the sources by `driver_prob > 0.5` and take "
                    "the mean of `judges_all` in each group.")
    verdict = expect_choice(a.get("confidence_verdict"), "confidence_verdict", ("a", "b", "c"))
    both = [r for r in ref.values() if not any(math.isnan(v) for v in r)]
    more = bool(both) and all(c >= r for c, r in both)
    usually = sum(c > 0.5 for c, _ in both) > len(both) / 2
    truth = "c" if not more else ("a" if usually else "b")
    if verdict != truth:
        why = {
            "a": "for every method confident edits transfer more often than the rest, and for "
                 "most methods on more than half of them",
            "b": "for every method confident edits transfer more often than the rest, but for "
                 "most methods on fewer than half of them",
            "c": "for some method confident edits transfer no more often than the rest",
        }
        raise Wrong(f"your `transfer` says otherwise: {why[truth]}. Look at the two shares of "
                    "each method again.")
    return ("Confidence is necessary for an edit to look like the target to anyone, not "
            "sufficient for it to look like the target to everyone.")
