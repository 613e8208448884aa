"""Chapter 12's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty. None
of them needs a live widget: they read the `Explorer` (the widget's logic) and plain values."""

from __future__ import annotations

import math

import pytest
import torch

import steerlens as sl
from steerlens.exercises import check

LABELS = ["ex-12-flip", "ex-12-first-order", "ex-12-scales", "ex-12-judges", "ex-12-judge-rate"]


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.fixture(scope="module")
def digits():
    """The chapter's explorer of section 6 (small zoo models, 28×28 digits)."""
    return sl.widgets.Explorer(
        "mnist_cnn", judges=["mnist_judge_resnet", "mnist_judge_mlp"], n_images=10, image=7, target="9"
    )


def _sweep(digits, domain, grid, scales=None):
    digits.select(domain=domain, component="phase", scales=scales)
    return digits.sweep(grid), digits.state.target


def test_checks_are_registered_in_the_chapter_order():
    assert [e.label for e in sl.exercises.by_chapter(12)] == LABELS


@pytest.mark.parametrize("label", LABELS)
def test_empty_namespace_is_not_attempted(label):
    assert check(label, {}).status == "not attempted"


@pytest.mark.parametrize("label, names", [
    ("ex-12-flip", ["alpha_flip", "p_flip"]),
    ("ex-12-first-order", ["alpha_star"]),
    ("ex-12-scales", ["prediction_scales", "p_by_scales"]),
    ("ex-12-judges", ["judges_at_half"]),
    ("ex-12-judge-rate", ["judge_rate", "chance_cosine"]),
])
def test_starter_cells_are_not_attempted(label, names, digits):
    assert check(label, {"digits": digits, **{n: None for n in names}}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-12-flip
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flip(digits):
    grid = torch.linspace(0, 8, 81)
    sweep, t = _sweep(digits, "csp", grid)
    k = int((sweep.probs.argmax(dim=1) == t).nonzero()[0, 0])
    return grid, sweep.probs, t, k


def test_flip_accepts_the_first_flipped_frame(digits, flip):
    grid, probs, t, k = flip
    ns = {"digits": digits, "alpha_flip": float(grid[k]), "p_flip": float(probs[k, t])}
    status, message = _status("ex-12-flip", ns)
    assert status == "correct", message


def test_flip_does_not_change_the_explorer(digits, flip):
    grid, probs, t, k = flip
    digits.select(domain="pixel")
    before = digits.settings
    check("ex-12-flip", {"digits": digits, "alpha_flip": float(grid[k]), "p_flip": float(probs[k, t])})
    assert digits.settings == before


@pytest.mark.parametrize("make, word", [
    (lambda g, p, t, k: (float(g[k + 1]), float(p[k + 1, t])), "already"),
    (lambda g, p, t, k: (float(g[k - 1]), float(p[k - 1, t])), "not the target yet"),
    (lambda g, p, t, k: (float(g[k]) + 0.05, float(p[k, t])), "not a point of the grid"),
    (lambda g, p, t, k: (float(g[k]), float(p[k, t]) + 0.1), "not the driver's probability"),
    (lambda g, p, t, k: (float(g[k]), 100 * float(p[k, t])), "between 0 and 1"),
    (lambda g, p, t, k: (float(g[k]), float(p[k, int(p[0].argmax())])), "source's class"),
])
def test_flip_rejects(make, word, digits, flip):
    grid, probs, t, k = flip
    alpha, p = make(grid, probs, t, k)
    status, message = _status("ex-12-flip", {"digits": digits, "alpha_flip": alpha, "p_flip": p})
    assert status == "incorrect" and word in message, message
    assert f"{float(grid[k]):.1f}" not in message and f"{float(probs[k, t]):.2f}" not in message


def test_flip_needs_the_chapter_explorer():
    status, message = _status("ex-12-flip", {"alpha_flip": 1.0, "p_flip": 0.5})
    assert status == "incorrect" and "digits" in message


# ------------------------------------------------------------------------------------------
# ex-12-first-order (derivation, self-contained)
# ------------------------------------------------------------------------------------------


def _alpha_star(W, b, x0, t, s):
    f = W @ x0 + b
    e_t = torch.zeros_like(f)
    e_t[t] = 1.0
    step = W.T @ (e_t - torch.softmax(f, dim=0))
    u = step / step.norm()
    return float(-(f[t] - f[s]) / ((W[t] - W[s]) @ u))


def test_first_order_accepts_the_derivation():
    status, message = _status("ex-12-first-order", {"alpha_star": _alpha_star})
    assert status == "correct", message


def test_the_derivation_matches_the_lens_pixel_line():
    # The formula the check expects is the lens's own line: a linear model, pixel domain,
    # nll objective, l2 unit, far from the clip.
    torch.manual_seed(3)
    k, side = 4, 8
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(side * side, k)).double().eval()
    with torch.no_grad():
        model[1].bias.zero_()
    x = torch.full((1, 1, side, side), 0.5, dtype=torch.float64)
    with torch.no_grad():
        f = model(x)[0]
    s = int(f.argmax())
    t = (s + 1) % k
    W, b = model[1].weight.detach(), model[1].bias.detach()
    alpha = _alpha_star(W, b, x.flatten(), t, s)
    assert alpha > 0
    lens = sl.SteerableLens(model, domain="pixel")
    frames = lens.extrapolate(x, t, [0.0, alpha])[0]
    assert 0 < float(frames.min()) and float(frames.max()) < 1  # the clip never acts
    with torch.no_grad():
        logits = model(frames)
    assert abs(float(logits[1, t] - logits[1, s])) < 1e-6
    assert float(logits[0, t] - logits[0, s]) < -1e-3


@pytest.mark.parametrize("wrong, word", [
    # the distance to the t/s boundary (the margin's own gradient)
    (lambda W, b, x0, t, s: float(-((W[t] - W[s]) @ x0 + b[t] - b[s]) / (W[t] - W[s]).norm()), "margin"),
    # the logit objective's line
    (lambda W, b, x0, t, s: float(-((W[t] - W[s]) @ x0 + b[t] - b[s]) / ((W[t] - W[s]) @ W[t] / W[t].norm())),
     "logit"),
    # the raw gradient as the step
    (lambda W, b, x0, t, s: _alpha_star(W, b, x0, t, s) * (lambda f: float(
        (W.T @ (torch.nn.functional.one_hot(torch.tensor(t), len(f)).double() - torch.softmax(f, 0))).norm()))(
        W @ x0 + b) ** -1, "raw gradient"),
    (lambda W, b, x0, t, s: -_alpha_star(W, b, x0, t, s), "sign"),
    (lambda W, b, x0, t, s: 2 * _alpha_star(W, b, x0, t, s), "factor of about 2"),
    (lambda W, b, x0, t, s: 1.0, "not right"),
    (lambda W, b, x0: 1.0, "raised"),
])
def test_first_order_rejects(wrong, word):
    status, message = _status("ex-12-first-order", {"alpha_star": wrong})
    assert status == "incorrect" and word in message, message


# ------------------------------------------------------------------------------------------
# ex-12-scales (prediction)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scales(digits):
    alpha = torch.tensor([3.0])
    coarsest = digits.num_scales - 1
    at3 = {}
    for key, sc in (("finest", [0]), ("coarsest", [coarsest]), ("all", None)):
        sweep, t = _sweep(digits, "csp", alpha, scales=sc)
        at3[key] = float(sweep.probs[0, t])
    at2 = {}
    for key, sc in (("finest", [0]), ("coarsest", [coarsest]), ("all", None)):
        sweep, t = _sweep(digits, "csp", torch.tensor([2.0]), scales=sc)
        at2[key] = float(sweep.probs[0, t])
    return at3, at2


def _measured(p):
    near_f, near_c = p["finest"] >= 0.75 * p["all"], p["coarsest"] >= 0.75 * p["all"]
    return "b" if near_c and not near_f else "a" if near_f and not near_c else "c"


def test_scales_accepts_the_measured_prediction(digits, scales):
    at3, _ = scales
    ns = {"digits": digits, "prediction_scales": _measured(at3), "p_by_scales": at3}
    status, message = _status("ex-12-scales", ns)
    assert status == "correct", message
    ns["prediction_scales"] = " " + _measured(at3).upper()  # case and spaces ignored
    assert check("ex-12-scales", ns).status == "correct"


def test_scales_explains_a_wrong_prediction(digits, scales):
    at3, _ = scales
    right = _measured(at3)
    for wrong in {"a", "b", "c"} - {right}:
        ns = {"digits": digits, "prediction_scales": wrong, "p_by_scales": at3}
        status, message = _status("ex-12-scales", ns)
        assert status == "incorrect" and "not what your measurement shows" in message, message
        assert all(f"{v:.2f}" not in message for v in at3.values())


@pytest.mark.parametrize("make, word", [
    (lambda at3, at2: {"finest": at3["coarsest"], "coarsest": at3["finest"], "all": at3["all"]}, "swapped"),
    (lambda at3, at2: at2, "α = 3"),
    (lambda at3, at2: {"finest": at3["finest"], "coarsest": at3["coarsest"]}, "keys"),
    (lambda at3, at2: [at3["finest"], at3["coarsest"], at3["all"]], "dict"),
    (lambda at3, at2: {k: 100 * v for k, v in at3.items()}, "between 0 and 1"),
])
def test_scales_rejects_wrong_measurements(make, word, digits, scales):
    at3, at2 = scales
    ns = {"digits": digits, "prediction_scales": _measured(at3), "p_by_scales": make(at3, at2)}
    status, message = _status("ex-12-scales", ns)
    assert status == "incorrect" and word in message, message


def test_scales_rejects_an_unknown_option(digits, scales):
    ns = {"digits": digits, "prediction_scales": "d", "p_by_scales": scales[0]}
    status, message = _status("ex-12-scales", ns)
    assert status == "incorrect" and "one of" in message


# ------------------------------------------------------------------------------------------
# ex-12-judges
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def judges(digits):
    grid = torch.linspace(0, 8, 41)
    out = {}
    for domain in ("csp", "pixel"):
        sweep, t = _sweep(digits, domain, grid)
        reached = (sweep.probs[:, t] >= 0.5).nonzero().flatten()
        k = int(reached[0])
        per_judge = torch.stack([p[:, t] for p in sweep.judge_probs.values()])
        out[domain] = {"mean": per_judge.mean(0), "one": per_judge[0], "driver": sweep.probs[:, t], "k": k}
    return out


def test_judges_accepts_the_judges_mean(digits, judges):
    answer = {d: float(v["mean"][v["k"]]) for d, v in judges.items()}
    status, message = _status("ex-12-judges", {"digits": digits, "judges_at_half": answer})
    assert status == "correct", message


@pytest.mark.parametrize("field, word", [
    ("driver", "driver's probability"),
    ("one", "one judge"),
    ("late", "another frame"),
    ("none", "does reach"),
])
def test_judges_rejects(field, word, digits, judges):
    answer = {d: float(v["mean"][v["k"]]) for d, v in judges.items()}
    j = judges["pixel"]
    if field == "late":
        late = int(((j["mean"] - j["mean"][j["k"]]).abs() > 0.01).nonzero()[-1])
        answer["pixel"] = float(j["mean"][late])
    elif field == "none":
        answer["pixel"] = None
    else:
        answer["pixel"] = float(j[field][j["k"]])
    status, message = _status("ex-12-judges", {"digits": digits, "judges_at_half": answer})
    assert status == "incorrect" and word in message, message
    assert f"{float(j['mean'][j['k']]):.2f}" not in message


def test_judges_rejects_wrong_keys(digits):
    status, message = _status("ex-12-judges", {"digits": digits, "judges_at_half": {"csp": 0.1}})
    assert status == "incorrect" and "keys" in message


# ------------------------------------------------------------------------------------------
# ex-12-judge-rate (derivation, self-contained)
# ------------------------------------------------------------------------------------------

RIGHT_RATE = {
    "judge_rate": lambda g_d, g_j: g_j @ g_d / g_d.norm(),
    "chance_cosine": lambda d: 1 / math.sqrt(d),
}


def test_judge_rate_accepts_the_derivation():
    status, message = _status("ex-12-judge-rate", RIGHT_RATE)
    assert status == "correct", message


@pytest.mark.parametrize("name, wrong, word", [
    ("judge_rate", lambda g_d, g_j: g_j @ g_d, "raw gradient"),
    ("judge_rate", lambda g_d, g_j: g_j @ g_d / (g_j.norm() * g_d.norm()), "cos θ"),
    ("judge_rate", lambda g_d, g_j: g_j.norm(), "best possible rate"),
    ("judge_rate", lambda g_d, g_j: g_j @ g_d / g_j.norm(), "projects"),
    ("judge_rate", lambda g_d, g_j: -(g_j @ g_d) / g_d.norm(), "sign"),
    ("judge_rate", lambda g_d, g_j: g_j, "single number"),
    ("chance_cosine", lambda d: 1 / d, "mean square"),
    ("chance_cosine", lambda d: 0.0, "zero by symmetry"),
    ("chance_cosine", lambda d: math.sqrt(2 / (math.pi * d)), "|cos θ|"),
    ("chance_cosine", lambda d: 1 / math.sqrt(d - 1), "not right"),
])
def test_judge_rate_rejects(name, wrong, word):
    status, message = _status("ex-12-judge-rate", {**RIGHT_RATE, name: wrong})
    assert status == "incorrect" and word in message, message
