"""Checks for chapter 7's exercises (digits: PGD, the pyramid's projection, budgets, band rates).

The checks recompute small references from the chapter's own variables (the drivers, the 100
attacked digits, the 50 sources, the pyramid ``csp``), so each runs in about a second and never
trains anything.
"""

from __future__ import annotations

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

PGD_STEPS = (1, 3, 10, 20)
PGD_EPS = 1.5


def _index(value, name: str, n: int) -> int:
    """An integer index 0 … n − 1 (an int, a numpy integer or a one-element tensor)."""
    import numbers

    if hasattr(value, "numel") and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    elif hasattr(value, "dtype") and getattr(value, "size", 0) == 1 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise Wrong(f"`{name}` should be an integer index 0 … {n - 1}, not {value!r}.")
    if not 0 <= int(value) < n:
        raise Wrong(f"`{name}` should be an index 0 … {n - 1}; it is {int(value)}.")
    return int(value)


# ------------------------------------------------------------------------------------------
# 7.1  How strong must the attack be?
# ------------------------------------------------------------------------------------------


def _pgd_accuracy(model, x, y, steps: int) -> float:
    import torch

    from ..models import pgd_l2

    adv = pgd_l2(model, x, y, eps=PGD_EPS, steps=steps)
    with torch.no_grad():
        return float((model(adv).argmax(1) == y).float().mean())


@exercise("ex-07-pgd-steps", chapter=7, kind="prediction", title="How strong must the attack be?",
          reads=("prediction_steps", "step_accuracy"))
def _pgd_steps(a):
    import torch

    prediction = expect_choice(a.get("prediction_steps"), "prediction_steps", ["a", "b", "c"])
    acc = a.get("step_accuracy")
    if not isinstance(acc, Mapping) or set(acc) != {"standard", "robust"}:
        raise Wrong("`step_accuracy` should be a dict with the keys \"standard\" and \"robust\", "
                    "each mapping to a list of four accuracies (1, 3, 10 and 20 steps).")
    drivers, x, y = a.chapter("drivers", "attack_x", "attack_y")
    mine = {d: expect_tensor(acc[d], f"step_accuracy['{d}']", shape=(len(PGD_STEPS),)).double()
            for d in ("standard", "robust")}
    for d, v in mine.items():
        if bool((v > 1).any()) or bool((v < 0).any()):
            raise Wrong(f"`step_accuracy['{d}']` holds values outside [0, 1]: store accuracies as "
                        f"fractions (0.5, not 50 %).")
    # the reference: 1 step (one gradient, cheap) and 10 steps (section 1's measurement at
    # ε = 1.5, recomputed only where the chapter's `survives` is missing)
    ref = {d: {1: _pgd_accuracy(drivers[d], x, y, 1)} for d in drivers}
    survives, eps_grid = a.context("survives"), a.context("eps_grid")
    for d in drivers:
        if survives is not None and eps_grid is not None and PGD_EPS in eps_grid:
            ref[d][10] = float(survives[d][list(eps_grid).index(PGD_EPS)].float().mean())
        else:
            ref[d][10] = _pgd_accuracy(drivers[d], x, y, 10)
    with torch.no_grad():
        clean = {d: float((m(x).argmax(1) == y).float().mean()) for d, m in drivers.items()}
    tol = 0.006  # less than one digit in 100

    def matches(v, r):
        return all(near(float(v[PGD_STEPS.index(s)]), r[s], atol=tol) for s in (1, 10))

    for d in ("standard", "robust"):
        v = mine[d]
        if matches(v, ref[d]):
            # a 20-step attack is at least about as strong as a 10-step one
            if float(v[3]) > ref[d][10] + 0.05:
                raise Wrong(f"`step_accuracy['{d}']` at 20 steps is well above its value at 10 "
                            f"steps: a stronger attack cannot leave many more digits intact. Check "
                            f"the 20-step attack.")
            continue
        other = "robust" if d == "standard" else "standard"
        if matches(v, ref[other]):
            raise Wrong("`step_accuracy` has the drivers swapped: \"standard\" should hold "
                        "`drivers['standard']`'s accuracies.")
        if matches(1 - v, ref[d]):
            raise Wrong(f"`step_accuracy['{d}']` looks like the share of digits the attack flips: "
                        f"store the accuracy, the share still classified as `attack_y`.")
        if matches(v.flip(0), ref[d]):
            raise Wrong(f"`step_accuracy['{d}']` is in reverse order: list the accuracies for 1, 3, "
                        f"10 and 20 steps, in that order.")
        if all(near(float(u), clean[d], atol=tol) for u in v):
            raise Wrong(f"every entry of `step_accuracy['{d}']` is the clean accuracy: classify "
                        f"the attacked images `adv`, not `attack_x`.")
        raise Wrong(f"`step_accuracy['{d}']` does not match an L2 PGD attack of radius ε = 1.5 on "
                    f"`attack_x`, `attack_y`: call `sl.models.pgd_l2(model, attack_x, attack_y, "
                    f"eps=1.5, steps=steps)` with the default step length, and count the attacked "
                    f"images the driver still classifies as `attack_y`.")
    drop = {d: ref[d][1] - ref[d][10] for d in drivers}
    if drop["standard"] - drop["robust"] > 0.1 and drop["standard"] > 2 * drop["robust"]:
        truth = "a"
    elif drop["robust"] - drop["standard"] > 0.1 and drop["robust"] > 2 * drop["standard"]:
        truth = "b"
    else:
        truth = "c"
    if prediction != truth:
        why = {
            "a": "the standard driver's accuracy falls much further as the steps grow than the "
                 "robust driver's, which hardly moves",
            "b": "the robust driver's accuracy falls much further as the steps grow than the "
                 "standard driver's",
            "c": "both drivers' accuracies fall by about the same amount as the steps grow",
        }[truth]
        raise Wrong(f"your measurement disagrees with prediction ({prediction}): in "
                    f"`step_accuracy`, {why}. Look at the two lists again; then think about what "
                    f"the robust driver was trained against (a few PGD steps at ε = 1.5) and why "
                    f"a one-step attack misses curves of the loss that many small steps follow.")
    if truth == "a":
        return ("Right: more steps keep finding adversarial examples for the standard driver, while "
                "the robust one, trained on this attack, barely gives way. A robustness number is "
                "only as strong as the strongest attack tried.")
    return None


# ------------------------------------------------------------------------------------------
# 7.2  Which edits stay on the pyramid?
# ------------------------------------------------------------------------------------------


@exercise("ex-07-projection", chapter=7, kind="computation", title="Which edits stay on the pyramid?",
          reads=("scaled_all", "scaled_bands", "random_phase"))
def _projection(a):
    import torch

    values = {n: expect_number(a.get(n), n) for n in ("scaled_all", "scaled_bands", "random_phase")}
    csp, c0, residual = a.chapter("csp", "c0", "projection_residual")

    def relative(c):
        r, e = residual(c)
        return (r.sum(1) / e.sum(1)).sqrt()

    def median(c):
        return float(relative(c).median())

    log2 = math.log(2.0)
    bands_only = csp.polar_edit(c0, eta=[torch.full_like(b.real, log2) for b in c0.bands])
    ref_bands_all = relative(bands_only)
    ref_bands = float(ref_bands_all.median())
    generator = torch.Generator().manual_seed(0)
    noise = [torch.randn(b.shape, generator=generator) for b in c0.bands]
    ref_random_all = relative(csp.polar_edit(c0, delta=noise))
    ref_random = float(ref_random_all.median())

    def squared(name, v, ref):
        if ref > 1e-3 and near(v, ref**2, rtol=0.03):
            raise Wrong(f"`{name}` looks like ‖A(S(c)) − c‖² / ‖c‖², the squared ratio: take the "
                        f"square root before the median.")

    # (a) everything doubled, residual bands included: exactly the pyramid of 2·x₀
    v = values["scaled_all"]
    if abs(v) > 1e-3:
        if near(v, ref_bands, rtol=0.03):
            raise Wrong("`scaled_all` is the residual of doubling the bands only: in (a) double the "
                        "residual bands in `c0.fixed` too, "
                        "`sl.Coefficients([2 * b for b in c0.bands], {k: 2 * v for k, v in "
                        "c0.fixed.items()})`.")
        raise Wrong("`scaled_all` should vanish up to rounding: A and S are linear, so doubling every "
                    "coefficient, residual bands included, gives the pyramid of the image 2·x₀, which "
                    "A∘S leaves alone. Check that you doubled every band and both residual bands.")
    # (b) amplitude ×2 on the bands only
    v = values["scaled_bands"]
    if abs(v) <= 1e-3:
        raise Wrong("`scaled_bands` is zero, but (b) leaves the residual bands untouched: the bands "
                    "alone ask for an image whose bands and residuals disagree where their filters "
                    "overlap. Did you double the residual bands as well, or edit with η = 0?")
    if not near(v, ref_bands, rtol=0.03):
        squared("scaled_bands", v, ref_bands)
        two = median(csp.polar_edit(c0, eta=[torch.full_like(b.real, 2.0) for b in c0.bands]))
        if near(v, two, rtol=0.03):
            raise Wrong("`scaled_bands` is the residual of η = 2: η is the change of the "
                        "*log*-amplitude, so doubling the amplitude is η = log 2.")
        if near(v, float(ref_bands_all.mean()), rtol=0.01):
            raise Wrong("`scaled_bands` is the mean over sources: the exercise asks for the median.")
        raise Wrong("`scaled_bands` is not the median relative residual of "
                    "`csp.polar_edit(c0, eta=...)` with η = log 2 on every band coefficient: a "
                    "list with one tensor per band, `torch.full_like(b.real, math.log(2))`.")
    # (c) a random phase field: the median over 50 sources hardly depends on the seed
    v = values["random_phase"]
    if not near(v, ref_random, rtol=0.03):
        squared("random_phase", v, ref_random)
        edited = a.context("edited_all")
        if edited is not None and near(v, float(edited.median()), rtol=0.01):
            raise Wrong("`random_phase` is the residual of the gradient's δ from above: (c) asks for "
                        "a random phase field, independent standard normal values "
                        "(`torch.randn(b.shape)` for every band `b`).")
        if near(v, float(ref_random_all.mean()), rtol=0.02):
            raise Wrong("`random_phase` is the mean over sources: the exercise asks for the median.")
        far = "larger" if v > ref_random else "smaller"
        raise Wrong(f"`random_phase` is {far} than the residual of a standard normal phase field: "
                    f"use `delta = [torch.randn(b.shape) for b in c0.bands]` (one value per "
                    f"coefficient, standard deviation 1 rad) in `csp.polar_edit(c0, delta=delta)`.")
    return ("Right: only the exactly scaled pyramid is left alone; the more a δ ignores how "
            "neighbouring coefficients overlap, the more of it synthesis throws away.")


# ------------------------------------------------------------------------------------------
# 7.3  How much change convinces each driver?
# ------------------------------------------------------------------------------------------


@exercise("ex-07-budget", chapter=7, kind="computation", title="How much change convinces each driver?",
          reads=("budget_standard", "budget_robust"))
def _budget(a):
    from ..lens import SteerableLens

    found = {d: expect_number(a.get(f"budget_{d}"), f"budget_{d}") for d in ("standard", "robust")}
    drivers, source = a.chapter("drivers", "ex_source")
    tol = 0.05
    cache = {}

    def p(driver, b):
        key = (driver, round(b, 6))
        if key not in cache:
            lens = SteerableLens(drivers[driver], domain="csp", component="phase")
            cache[key] = float(lens.edit(source, 9, b, regime="persistent").target_prob[0])
        return cache[key]

    def verdict(driver, b):
        """'ok', 'low' (not yet convinced) or 'high' (a smaller budget convinces already)."""
        if p(driver, b) < 0.5:
            return "low"
        below = [b - tol / 2, b - tol]
        if any(x > 0 and p(driver, x) < 0.5 for x in below):
            return "ok"
        return "high"

    for d, b in found.items():
        if not 0.5 <= b <= 8.0:
            raise Wrong(f"`budget_{d}` should lie between 0.5 and 8 (the bracket of the exercise).")
    v = {d: verdict(d, b) for d, b in found.items()}
    if v["standard"] != "ok" and v["robust"] != "ok":
        swapped = verdict("standard", found["robust"]) == "ok" and verdict("robust", found["standard"]) == "ok"
        if swapped:
            raise Wrong("`budget_standard` and `budget_robust` are swapped.")
    for d in ("standard", "robust"):
        if v[d] == "low":
            raise Wrong(f"at `budget_{d}` the {d} driver is not convinced yet (its target "
                        f"probability is below 0.5): the crossing lies at a larger budget. Keep "
                        f"the bracket [lo, hi] with p(lo) < 0.5 ≤ p(hi) and return hi.")
        if v[d] == "high":
            raise Wrong(f"`budget_{d}` convinces the {d} driver, but so does a budget {tol} "
                        f"smaller: the smallest convincing budget lies lower. Bisect until the "
                        f"bracket is shorter than {tol}.")
    if found["robust"] > found["standard"]:
        return "Right: the robust driver needs more change before it is convinced."
    return None


# ------------------------------------------------------------------------------------------
# 7.4  A first-order estimate of the convincing budget (derivation)
# ------------------------------------------------------------------------------------------


def _call_number(fn, name, p0, rate):
    """Call ``fn(p0, rate)`` with floats, or with 0-d tensors if floats fail (``torch.log``)."""
    import torch

    try:
        out = fn(p0, rate)
    except Exception:  # noqa: BLE001 (torch.log refuses a float: retry with tensors)
        out = call(fn, name, torch.tensor(p0, dtype=torch.float64), torch.tensor(rate, dtype=torch.float64))
    if out is None:
        raise Wrong(f"`{name}` returned None: return the estimated budget.")
    return expect_number(out, f"what `{name}` returns")


@exercise("ex-07-first-order-budget", chapter=7, kind="derivation",
          title="A first-order estimate of the convincing budget", reads=("budget_estimate",))
def _first_order_budget(a):
    import torch

    fn = expect_callable(a.get("budget_estimate"), "budget_estimate")
    generator = torch.Generator().manual_seed(7)
    p0 = (10 ** (-7 * torch.rand(12, generator=generator, dtype=torch.float64) - 0.5)).tolist()
    rate = (0.5 + 7.5 * torch.rand(12, generator=generator, dtype=torch.float64)).tolist()
    mine = torch.tensor([_call_number(fn, "budget_estimate", p, r) for p, r in zip(p0, rate, strict=True)],
                        dtype=torch.float64)
    P, R = torch.tensor(p0, dtype=torch.float64), torch.tensor(rate, dtype=torch.float64)
    ref = (-torch.log(P) - math.log(2.0)) / R
    if torch.allclose(mine, ref, rtol=1e-4, atol=1e-9):
        return ("Right: the budget is the loss still to shed, log(1/(2 p₀)), divided by the rate at "
                "which a unit of image change sheds it.")
    alternatives = [
        (-torch.log(P) / R, "you brought the loss down to 0, which is p(target) = 1. p(target) = 0.5 "
                            "is the loss L = −log 0.5 = log 2: stop there."),
        ((0.5 - P) / R, "you linearised the probability, but the rate r = −dL/dα is the rate of the "
                        "loss L = −log p(target): linearise L, and find the L at which p = 0.5."),
        ((-torch.log10(P) - math.log10(2.0)) / R, "the loss is the natural logarithm, L = −ln p: use "
                                                  "`math.log` or `torch.log`, not log10."),
        ((-torch.log(P) - math.log(2.0)) * R, "you multiplied by the rate: a loss that falls faster "
                                              "per unit of change needs *less* change, so divide."),
        ((math.log(2.0) - torch.log(P)) / R, "the right form, up to a sign slip in log 2: p = 0.5 "
                                             "means L = −log 0.5 = +log 2, and the loss still to "
                                             "shed is L₀ − log 2."),
    ]
    for alt, msg in alternatives:
        if torch.allclose(mine, alt, rtol=1e-4, atol=1e-9) and not torch.allclose(alt, ref, rtol=1e-4):
            raise Wrong(msg)
    expect_close(mine, ref, "what `budget_estimate` returns", rtol=1e-4,
                 hint="Write L(b) ≈ L₀ − r·b with L₀ = −log p₀ (α is the first-order L2 change, so "
                      "α = b to first order) and solve L(b) = log 2.")
    raise Wrong("`budget_estimate` is not the first-order estimate: solve L₀ − r·b = log 2 for b, "
                "with L₀ = −log p₀.")


# ------------------------------------------------------------------------------------------
# 7.5  Which orientation matters, and the pixel ceiling
# ------------------------------------------------------------------------------------------


@exercise("ex-07-orientation", chapter=7, kind="computation",
          title="Which orientation matters, and the pixel ceiling",
          reads=("orientation_rates", "pixel_rate", "best_orientation", "all_rate"))
def _orientation(a):
    import torch

    from ..lens import SteerableLens

    answers = {n: a.get(n) for n in ("orientation_rates", "pixel_rate", "best_orientation", "all_rate")}
    drivers, sources, targets, csp, rate_of = a.chapter(
        "drivers", "sources", "targets", "csp", "first_order_rate")
    height, n_orient = csp.height, csp.num_orientations
    model = drivers["standard"]

    def rates(weights):
        lens = SteerableLens(model, domain="csp", component="phase", scale_weights=weights)
        return rate_of(lens.gradient(sources, targets))

    per = []
    for k in range(n_orient):
        w = torch.zeros(height, n_orient)
        w[:, k] = 1.0
        per.append(rates(w))
    per = torch.stack(per)
    ref = per.median(dim=1).values.double()
    rates_in = expect_tensor(answers["orientation_rates"], "orientation_rates", shape=(n_orient,)).double()
    if not torch.allclose(rates_in, ref, rtol=0.01):
        for s in range(height):  # one scale only
            single = []
            for k in range(n_orient):
                w = torch.zeros(height, n_orient)
                w[s, k] = 1.0
                single.append(float(rates(w).median()))
            if torch.allclose(rates_in, torch.tensor(single, dtype=torch.float64), rtol=0.01):
                raise Wrong("`orientation_rates` edits one scale only: set the whole column k of "
                            "`scale_weights` to 1 (`weights[:, k] = 1.0`), every scale of "
                            "orientation k.")
        pixel = rate_of(SteerableLens(model, domain="pixel").gradient(sources, targets))
        shares = [(per / pixel).median(dim=1).values.double(), ref / float(pixel.median())]
        if any(torch.allclose(rates_in, share, rtol=0.01) for share in shares):
            raise Wrong("`orientation_rates` holds shares of the pixel rate: store the rates "
                        "themselves, the medians of `first_order_rate(...)`.")
        if torch.allclose(rates_in, per.mean(dim=1).double(), rtol=0.01):
            raise Wrong("`orientation_rates` holds means over the sources: take the medians.")
        expect_close(rates_in, ref, "orientation_rates", rtol=0.01,
                     hint="One lens per orientation on the standard driver, "
                          "`first_order_rate(lens.gradient(sources, targets))`, median over sources.")
    grad = SteerableLens(model, domain="pixel").gradient(sources, targets).grad_pixel[0]
    norms = grad.flatten(1).norm(dim=1)
    pixel_in = expect_number(answers["pixel_rate"], "pixel_rate")
    ref_pixel = float(norms.median())
    if not near(pixel_in, ref_pixel, rtol=0.01):
        robust = float(SteerableLens(drivers["robust"], domain="pixel").gradient(sources, targets)
                       .grad_pixel[0].flatten(1).norm(dim=1).median())
        if near(pixel_in, robust, rtol=0.01):
            raise Wrong("`pixel_rate` is the robust driver's: this exercise is about the standard "
                        "driver.")
        if near(pixel_in, ref_pixel**2, rtol=0.01):
            raise Wrong("`pixel_rate` looks like ‖∇ₓL‖²: the rate per unit of image change is the "
                        "norm itself, ‖∇ₓL‖₂.")
        expect_close(pixel_in, ref_pixel, "pixel_rate", rtol=0.01,
                     hint="The pixel rate is ‖∇ₓL‖₂ of the standard driver's pixel gradient (section "
                          "4's `grad_norm`), median over the 50 sources.")
    best = _index(answers["best_orientation"], "best_orientation", n_orient)
    if best != int(ref.argmax()):
        if best == int(ref.argmin()):
            raise Wrong("`best_orientation` is the *least* sensitive orientation: take the largest "
                        "rate.")
        raise Wrong("`best_orientation` is not the index of the largest of `orientation_rates`.")
    w = torch.ones(height, n_orient)
    ref_all = float(rates(w).median())
    all_in = expect_number(answers["all_rate"], "all_rate")
    if not near(all_in, ref_all, rtol=0.01):
        if near(all_in, float(ref.sum()), rtol=0.01):
            raise Wrong("`all_rate` is the sum of the four orientation rates: measure it, with a lens "
                        "that edits every band (no `scale_weights`). Rates do not add.")
        expect_close(all_in, ref_all, "all_rate", rtol=0.01,
                     hint="A CSP-phase lens on the standard driver without `scale_weights` edits every "
                          "band; take the median of its first-order rate over the sources.")
    if bool((per <= norms * (1 + 1e-4) + 1e-6).all()):
        return "Right: no orientation, nor all of them together, beats the pixel ceiling."
    return None
