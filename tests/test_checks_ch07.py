"""Chapter 7's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty.

The context is the chapter's, in small: the shipped MNIST drivers, a few test digits, the 28×28
pyramid and the chapter's helpers (``projection_residual``, ``first_order_rate``) as the chapter
defines them. Nothing is trained.
"""

from __future__ import annotations

import math

import pytest
import torch

import steerlens as sl
from steerlens.exercises import check

pytestmark = pytest.mark.usefixtures("one_thread")  # small computations (tests/conftest.py)


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.fixture(scope="module")
def digits():
    test = sl.data.mnist_digits("test")
    drivers = {"standard": sl.models.pretrained("mnist_cnn"),
               "robust": sl.models.pretrained("mnist_cnn_robust")}
    with torch.no_grad():
        right = torch.stack([m(test.images).argmax(1) == test.labels for m in drivers.values()]).all(0)
    return test, drivers, right


# ------------------------------------------------------------------------------------------
# ex-07-pgd-steps
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pgd(digits):
    test, drivers, _ = digits
    x, y = test.images[:40], test.labels[:40]
    acc = {}
    for d, model in drivers.items():
        acc[d] = []
        for steps in (1, 3, 10, 20):
            adv = sl.models.pgd_l2(model, x, y, eps=1.5, steps=steps)
            with torch.no_grad():
                acc[d].append(float((model(adv).argmax(1) == y).float().mean()))
    drop = {d: a[0] - a[2] for d, a in acc.items()}
    assert drop["standard"] > drop["robust"] + 0.1, drop  # the chapter's finding, in small
    ns = {"drivers": drivers, "attack_x": x, "attack_y": y}
    return ns, acc


def test_pgd_steps_accepts_the_measurement_and_the_right_prediction(pgd):
    ns, acc = pgd
    status, message = _status("ex-07-pgd-steps", {**ns, "step_accuracy": acc, "prediction_steps": "a"})
    assert status == "correct", message
    # section 1's measurement at ε = 1.5 stands in for the 10-step attack where the chapter has it
    survives = {d: torch.tensor([[True] * 40] * 2) for d in acc}
    for d in acc:
        survives[d][1] = torch.arange(40) < round(40 * acc[d][2])
    ctx = {**ns, "survives": survives, "eps_grid": [0.5, 1.5]}
    assert check("ex-07-pgd-steps", {**ctx, "step_accuracy": acc, "prediction_steps": "A "}).status == "correct"


def test_pgd_steps_explains_a_wrong_prediction(pgd):
    ns, acc = pgd
    for wrong in ("b", "c"):
        status, message = _status("ex-07-pgd-steps", {**ns, "step_accuracy": acc, "prediction_steps": wrong})
        assert status == "incorrect"
        assert "disagrees" in message and "trained against" in message
        assert not any(f"{v:.2f}" in message for a in acc.values() for v in a)


@pytest.mark.parametrize(
    "wrong, word",
    [
        (lambda acc: {d: [1 - v for v in a] for d, a in acc.items()}, "flips"),
        (lambda acc: {"standard": acc["robust"], "robust": acc["standard"]}, "swapped"),
        (lambda acc: {d: a[::-1] for d, a in acc.items()}, "reverse"),
        (lambda acc: {d: [100 * v for v in a] for d, a in acc.items()}, "fractions"),
        (lambda acc: {d: [0.0, 0.0, 0.0, 0.0] for d in acc}, "does not match"),
        (lambda acc: {"standard": acc["standard"]}, "dict"),
        (lambda acc: {d: a[:3] for d, a in acc.items()}, "shape"),
    ],
)
def test_pgd_steps_rejects_wrong_measurements(pgd, wrong, word):
    ns, acc = pgd
    status, message = _status("ex-07-pgd-steps", {**ns, "step_accuracy": wrong(acc), "prediction_steps": "a"})
    assert status == "incorrect", message
    assert word in message


def test_pgd_steps_sees_clean_accuracies(pgd, digits):
    ns, acc = pgd
    with torch.no_grad():
        clean = {d: float((m(ns["attack_x"]).argmax(1) == ns["attack_y"]).float().mean())
                 for d, m in ns["drivers"].items()}
    status, message = _status("ex-07-pgd-steps",
                              {**ns, "step_accuracy": {d: [c] * 4 for d, c in clean.items()},
                               "prediction_steps": "a"})
    assert status == "incorrect" and "clean" in message


def test_pgd_steps_not_attempted(pgd):
    ns, acc = pgd
    assert check("ex-07-pgd-steps", {}).status == "not attempted"
    assert check("ex-07-pgd-steps", {**ns, "step_accuracy": acc}).status == "not attempted"
    assert check("ex-07-pgd-steps", {**ns, "prediction_steps": "a", "step_accuracy": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-07-projection
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyramid(digits):
    test, drivers, right = digits
    csp = sl.SteerableLens(drivers["standard"]).transform((28, 28))
    sources = test.images[torch.nonzero(right)[:12, 0]]
    grey = csp.analyze(torch.full((1, 1, 28, 28), 0.5))

    def analyze_any(y):  # as the chapter: A is linear
        k = float(2 * (y - 0.5).abs().max()) + 1.0
        squeezed = csp.analyze(0.5 + (y - 0.5) / k)
        bands = [k * b - (k - 1) * g for b, g in zip(squeezed.bands, grey.bands, strict=True)]
        fixed = {n: k * v - (k - 1) * grey.fixed[n] for n, v in squeezed.fixed.items()}
        return sl.Coefficients(bands, fixed)

    def band_energy(bands):
        return torch.stack([b.abs().pow(2).flatten(1).sum(1) for b in bands], 1)

    def projection_residual(c):
        back = analyze_any(csp.synthesize(c))
        diff = [a - b for a, b in zip(back.bands, c.bands, strict=True)]
        return band_energy(diff), band_energy(c.bands)

    c0 = csp.analyze(sources)

    def median_relative(c):
        r, e = projection_residual(c)
        return float((r.sum(1) / e.sum(1)).sqrt().median())

    doubled = sl.Coefficients([2 * b for b in c0.bands], {k: 2 * v for k, v in c0.fixed.items()})
    generator = torch.Generator().manual_seed(3)  # any seed: the check does not need ours
    noise = [torch.randn(b.shape, generator=generator) for b in c0.bands]
    bands_only = csp.polar_edit(c0, eta=[torch.full_like(b.real, math.log(2.0)) for b in c0.bands])
    answers = {
        "scaled_all": median_relative(doubled),
        "scaled_bands": median_relative(bands_only),
        "random_phase": median_relative(csp.polar_edit(c0, delta=noise)),
    }
    ns = {"csp": csp, "c0": c0, "projection_residual": projection_residual}
    return ns, answers, median_relative, c0, csp, sources


def test_projection_accepts_the_three_residuals(pyramid):
    ns, answers, *_ = pyramid
    status, message = _status("ex-07-projection", {**ns, **answers})
    assert status == "correct", message


def test_projection_rejects_wrong_edits(pyramid):
    ns, answers, median_relative, c0, csp, _ = pyramid
    bands_doubled = sl.Coefficients([2 * b for b in c0.bands], dict(c0.fixed))
    cases = [
        ({"scaled_all": median_relative(bands_doubled)}, "residual bands"),
        ({"scaled_all": 0.3}, "linear"),
        ({"scaled_bands": 0.0}, "residual bands"),
        ({"scaled_bands": median_relative(csp.polar_edit(c0, eta=[torch.full_like(b.real, 2.0)
                                                                    for b in c0.bands]))}, "log 2"),
        ({"scaled_bands": answers["scaled_bands"] ** 2}, "square root"),
        ({"random_phase": answers["random_phase"] ** 2}, "square root"),
        ({"random_phase": 0.3}, "standard normal"),
        ({"scaled_bands": [0.1, 0.2]}, "single number"),
    ]
    for change, word in cases:
        status, message = _status("ex-07-projection", {**ns, **answers, **change})
        assert status == "incorrect", (change, message)
        assert word in message, (change, message)
        assert f"{answers['scaled_bands']:.3f}" not in message
        assert f"{answers['random_phase']:.2f}" not in message


def test_projection_sees_the_gradients_delta(pyramid):
    ns, answers, median_relative, c0, csp, sources = pyramid
    delta = [0.5 * torch.sin(torch.arange(b.shape[-1]).float())[None, None, None, None].expand(b.shape)
             for b in c0.bands]
    value = median_relative(csp.polar_edit(c0, delta=delta))
    edited_all = torch.full((len(sources),), value)
    status, message = _status("ex-07-projection", {**ns, **answers, "random_phase": value,
                                                   "edited_all": edited_all})
    assert status == "incorrect" and "gradient" in message


def test_projection_not_attempted(pyramid):
    ns, answers, *_ = pyramid
    assert check("ex-07-projection", {}).status == "not attempted"
    assert check("ex-07-projection", {**ns, **answers, "random_phase": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-07-budget
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def budgets(digits):
    test, drivers, right = digits
    ex_source = test.images[int(torch.nonzero(right & (test.labels == 4))[0, 0])][None]

    def convincing(driver, lo=0.5, hi=8.0, tol=0.05):
        lens = sl.SteerableLens(drivers[driver], domain="csp", component="phase")

        def p(b):
            return float(lens.edit(ex_source, 9, b, regime="persistent").target_prob[0])

        while hi - lo > tol:
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if p(mid) >= 0.5 else (mid, hi)
        return hi

    found = {d: convincing(d) for d in drivers}
    return {"drivers": drivers, "ex_source": ex_source}, found


def test_budget_accepts_a_bisection(budgets):
    ns, found = budgets
    status, message = _status("ex-07-budget", {**ns, "budget_standard": found["standard"],
                                               "budget_robust": torch.tensor(found["robust"])})
    assert status == "correct", message


def test_budget_rejects_wrong_budgets(budgets):
    ns, found = budgets
    s, r = found["standard"], found["robust"]
    cases = [
        ({"budget_standard": s - 0.4, "budget_robust": r}, "not convinced yet"),
        ({"budget_standard": s, "budget_robust": r + 0.5}, "lies lower"),
        ({"budget_standard": r, "budget_robust": s}, "swapped"),
        ({"budget_standard": 12.0, "budget_robust": r}, "between 0.5 and 8"),
        ({"budget_standard": [s], "budget_robust": r}, "single number"),
    ]
    for answer, word in cases:
        status, message = _status("ex-07-budget", {**ns, **answer})
        assert status == "incorrect", (answer, message)
        assert word in message, (answer, message)
        assert f"{s:.2f}" not in message and f"{r:.2f}" not in message


def test_budget_not_attempted(budgets):
    ns, found = budgets
    assert check("ex-07-budget", {}).status == "not attempted"
    assert check("ex-07-budget", {**ns, "budget_standard": found["standard"]}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-07-first-order-budget (derivation; self-contained)
# ------------------------------------------------------------------------------------------


def test_first_order_budget_accepts_the_derivation():
    for fn in (lambda p0, rate: math.log(1 / (2 * p0)) / rate,
               lambda p0, rate: (-torch.log(p0) - math.log(2)) / rate):  # torch.log needs tensors
        status, message = _status("ex-07-first-order-budget", {"budget_estimate": fn})
        assert status == "correct", message


@pytest.mark.parametrize(
    "wrong, word",
    [
        (lambda p0, r: -math.log(p0) / r, "log 2"),
        (lambda p0, r: (0.5 - p0) / r, "linearised the probability"),
        (lambda p0, r: -math.log10(2 * p0) / r, "natural logarithm"),
        (lambda p0, r: math.log(1 / (2 * p0)) * r, "divide"),
        (lambda p0, r: (math.log(2) - math.log(p0)) / r, "sign slip"),
        (lambda p0, r: math.log(2 * p0) / r, "sign"),
        (lambda p0, r: 2 * math.log(1 / (2 * p0)) / r, "factor of about 2"),
        (lambda p0, r: 1.0, "not right"),
        (lambda p0, r: None, "returned None"),
        (lambda p0: p0, "raised"),
        (3.0, "function"),
    ],
)
def test_first_order_budget_rejects_wrong_formulas(wrong, word):
    status, message = _status("ex-07-first-order-budget", {"budget_estimate": wrong})
    assert status == "incorrect", message
    assert word in message


def test_first_order_budget_not_attempted():
    assert check("ex-07-first-order-budget", {}).status == "not attempted"
    assert check("ex-07-first-order-budget", {"budget_estimate": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-07-orientation
# ------------------------------------------------------------------------------------------


def first_order_rate(grad):  # as the chapter defines it
    rate = torch.zeros(grad.batch_size)
    parts = [(grad.grad_phase, grad.step_phase), (grad.grad_log_amplitude, grad.step_log_amplitude),
             (grad.grad_pixel, grad.step_pixel)]
    for grads, steps in parts:
        for g, s in zip(grads or [], steps or [], strict=True):
            if s is not None:
                rate -= (g * s).flatten(1).sum(1)
    return rate


@pytest.fixture(scope="module")
def orientation(digits):
    test, drivers, right = digits
    index = torch.nonzero(right)[:10, 0]
    sources, targets = test.images[index], (test.labels[index] + 1) % 10
    csp = sl.SteerableLens(drivers["standard"]).transform((28, 28))
    model = drivers["standard"]

    def lens_rate(weights=None):
        lens = sl.SteerableLens(model, domain="csp", component="phase", scale_weights=weights)
        return first_order_rate(lens.gradient(sources, targets))

    rates = []
    for k in range(csp.num_orientations):
        w = torch.zeros(csp.height, csp.num_orientations)
        w[:, k] = 1.0
        rates.append(float(lens_rate(w).median()))
    pixel = sl.SteerableLens(model, domain="pixel").gradient(sources, targets)
    answers = {
        "orientation_rates": rates,
        "pixel_rate": float(pixel.grad_pixel[0].flatten(1).norm(dim=1).median()),
        "best_orientation": max(range(len(rates)), key=rates.__getitem__),
        "all_rate": float(lens_rate().median()),
    }
    ns = {"drivers": drivers, "sources": sources, "targets": targets, "csp": csp,
          "first_order_rate": first_order_rate}
    return ns, answers, lens_rate, csp


def test_orientation_accepts_the_rates(orientation):
    ns, answers, *_ = orientation
    status, message = _status("ex-07-orientation", {**ns, **answers})
    assert status == "correct", message
    as_tensors = {**answers, "orientation_rates": torch.tensor(answers["orientation_rates"]),
                  "best_orientation": torch.tensor(answers["best_orientation"])}
    assert check("ex-07-orientation", {**ns, **as_tensors}).status == "correct"


def test_orientation_rejects_wrong_answers(orientation):
    ns, answers, lens_rate, csp = orientation
    fine = []
    for k in range(csp.num_orientations):
        w = torch.zeros(csp.height, csp.num_orientations)
        w[0, k] = 1.0
        fine.append(float(lens_rate(w).median()))
    rates = answers["orientation_rates"]
    worst = min(range(len(rates)), key=rates.__getitem__)
    cases = [
        ({"orientation_rates": fine}, "one scale"),
        ({"orientation_rates": [r / answers["pixel_rate"] for r in rates]}, "shares"),
        ({"orientation_rates": rates[:3]}, "shape"),
        ({"pixel_rate": answers["pixel_rate"] ** 2}, "‖∇ₓL‖²"),
        ({"pixel_rate": 2 * answers["pixel_rate"]}, "factor"),
        ({"best_orientation": worst}, "least"),
        ({"best_orientation": 1.0}, "integer"),
        ({"best_orientation": 7}, "index"),
        ({"all_rate": sum(rates)}, "do not add"),
        ({"all_rate": answers["all_rate"] / 2}, "factor"),
    ]
    for change, word in cases:
        status, message = _status("ex-07-orientation", {**ns, **answers, **change})
        assert status == "incorrect", (change, message)
        assert word in message, (change, message)
        assert f"{answers['all_rate']:.2f}" not in message
        assert f"{answers['pixel_rate']:.2f}" not in message


def test_orientation_not_attempted(orientation):
    ns, answers, *_ = orientation
    assert check("ex-07-orientation", {}).status == "not attempted"
    assert check("ex-07-orientation", {**ns, **answers, "all_rate": None}).status == "not attempted"
