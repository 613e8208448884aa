"""Chapter 9's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty.

The comparison ``result`` is synthetic (an EditComparison built from random per-source values,
no edits, no fits); ex-09-ink fits one real MNIST digit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from steerlens import evaluate
from steerlens.evaluate import EditComparison
from steerlens.exercises import check

METHODS = ("pixel", "fourier_phase", "csp_phase", "csp_joint")
BUDGETS = (1.0, 2.0)


def _comparison(n: int = 100, seed: int = 3) -> EditComparison:
    """Per-source measures with the chapter's structure: joint CSP and CSP phase strongly
    correlated at L₂ = 1 and weakly at L₂ = 2; transfer more frequent, but rare, among confident
    edits."""
    rng = np.random.default_rng(seed)
    measures = {}
    for b, rho in zip(BUDGETS, (0.8, 0.2), strict=True):
        shared = rng.normal(size=n)
        for i, m in enumerate(METHODS):
            own = rng.normal(size=n)
            mix = shared if m in ("csp_phase", "csp_joint") else rng.normal(size=n)
            e = 0.6 + 0.05 * i + 0.1 * (math.sqrt(rho) * mix + math.sqrt(1 - rho) * own)
            e_gain = np.clip(e, 0, 1)
            p = rng.uniform(0, 1, size=n)
            conf = p > 0.5
            both = conf & (rng.uniform(size=n) < 0.25)
            measures[(m, b)] = {
                "attained": np.ones(n),
                "distance": np.full(n, b),
                "steps": np.full(n, 10.0),
                "driver_prob": p,
                "judge:MLP": (both | (rng.uniform(size=n) < 0.3)).astype(float),
                "judge:ResNet": (both | (rng.uniform(size=n) < 0.2)).astype(float),
                "judges_all": both.astype(float),
                "e_warp": np.clip(e_gain - rng.uniform(0, 0.1, size=n), 0, 1),
                "e_warp_gain": e_gain,
            }
    return EditComparison(
        sources=torch.zeros(n, 1, 28, 28), targets=torch.zeros(n, dtype=torch.long),
        methods=METHODS, budgets=BUDGETS, judge_names=("MLP", "ResNet"), measures=measures,
        edited={}, settings={},
    )


RESULT = _comparison()


# the checks' fits and edits are on tiny images: one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_thread")


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


# ------------------------------------------------------------------------------------------
# ex-09-joint
# ------------------------------------------------------------------------------------------


def _joint_answer(result=RESULT, seed=0, *, paired=True, stat=np.median, measure="e_warp_gain",
                  order=("csp_joint", "csp_phase")):
    out, level = {}, {}
    for b in result.budgets:
        a, c = (result.values(measure, m, b) for m in order)
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(a), size=(2000, len(a)))
        idx_c = idx if paired else np.random.default_rng(seed + 1).integers(0, len(a), (2000, len(a)))
        boot = stat(a[idx], axis=1) - stat(c[idx_c], axis=1)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        out[b] = (float(stat(a) - stat(c)), float(lo), float(hi))
        level[b] = bool(lo <= 0 <= hi)
    return {"result": result, "joint_vs_phase": out, "joint_level": level}


def test_joint_accepts_the_by_hand_bootstrap():
    status, message = _status("ex-09-joint", _joint_answer())
    assert status == "correct", message
    assert "same generator" in message


def test_joint_accepts_other_draws_and_says_so():
    status, message = _status("ex-09-joint", _joint_answer(seed=7))
    assert status == "correct", message
    assert "differ slightly" in message


def test_joint_accepts_result_difference_and_int_keys():
    ans = {int(b): RESULT.difference("e_warp_gain", "csp_joint", "csp_phase", b)
           for b in BUDGETS}
    level = {int(b): bool(v[1] <= 0 <= v[2]) for b, v in ans.items()}
    assert check("ex-09-joint", {"result": RESULT, "joint_vs_phase": ans,
                                 "joint_level": level}).status == "correct"


def _with_median_of_differences():
    ns = _joint_answer()
    for b in BUDGETS:
        a, c = (RESULT.values("e_warp_gain", m, b) for m in ("csp_joint", "csp_phase"))
        _, lo, hi = ns["joint_vs_phase"][b]
        ns["joint_vs_phase"][b] = (float(np.median(a - c)), lo, hi)
    return ns


def _mirrored():
    ns = _joint_answer()
    ns["joint_vs_phase"] = {b: (d, -hi, -lo) for b, (d, lo, hi) in ns["joint_vs_phase"].items()}
    return ns


def _wrong_level():
    ns = _joint_answer()
    ns["joint_level"] = {b: not v for b, v in ns["joint_level"].items()}
    return ns


@pytest.mark.parametrize(
    "make, word",
    [
        (lambda: _joint_answer(order=("csp_phase", "csp_joint")), "sign"),
        (lambda: _joint_answer(measure="e_warp"), "warp-only"),
        (lambda: _joint_answer(stat=np.mean), "means"),
        (_with_median_of_differences, "median of the per-source differences"),
        (lambda: _joint_answer(paired=False), "same"),
        (_mirrored, "mirrored"),
        (_wrong_level, "does not say"),
        (lambda: {**_joint_answer(), "joint_vs_phase": {1.0: (0, 0, 0)}}, "no entry"),
        (lambda: {**_joint_answer(), "joint_vs_phase": [1, 2]}, "dict"),
    ],
)
def test_joint_rejects(make, word):
    status, message = _status("ex-09-joint", make())
    assert status == "incorrect", message
    assert word in message
    for b in BUDGETS:
        d = RESULT.difference("e_warp_gain", "csp_joint", "csp_phase", b)[0]
        assert f"{d:.3f}" not in message and f"{d:.2f}" not in message


def test_joint_not_attempted():
    assert check("ex-09-joint", {}).status == "not attempted"
    ns = _joint_answer()
    ns["joint_level"] = None
    assert check("ex-09-joint", ns).status == "not attempted"


def test_joint_without_the_chapter_says_so():
    ns = _joint_answer()
    del ns["result"]
    status, message = _status("ex-09-joint", ns)
    assert status == "incorrect" and "run the chapter" in message


# ------------------------------------------------------------------------------------------
# ex-09-paired
# ------------------------------------------------------------------------------------------


def _width_ratio(var_a, var_b, cov):
    return np.sqrt((var_a + var_b - 2 * cov) / (var_a + var_b))


def _paired_answer(result=RESULT, fn=_width_ratio, *, combine=np.hypot, stat="mean",
                   measure="e_warp_gain"):
    def width(t):
        return t[2] - t[1]

    predicted, measured = {}, {}
    for b in result.budgets:
        a, c = (result.values(measure, m, b) for m in ("csp_joint", "csp_phase"))
        predicted[b] = _width_ratio(np.var(a), np.var(c), np.cov(a, c, ddof=0)[0, 1])
        paired = result.difference("e_warp_gain", "csp_joint", "csp_phase", b, statistic=stat)
        own = [width(result.interval("e_warp_gain", m, b, statistic=stat))
               for m in ("csp_joint", "csp_phase")]
        measured[b] = width(paired) / combine(*own)
    return {"result": result, "width_ratio": fn, "predicted_ratio": predicted,
            "measured_ratio": measured}


def test_paired_accepts_the_derivation():
    status, message = _status("ex-09-paired", _paired_answer())
    assert status == "correct", message


def test_paired_accepts_a_math_sqrt_lambda():
    ns = _paired_answer(fn=lambda va, vb, c: math.sqrt(1 - 2 * c / (va + vb)))
    assert check("ex-09-paired", ns).status == "correct"


@pytest.mark.parametrize(
    "fn, word",
    [
        (lambda va, vb, c: (va + vb - 2 * c) / (va + vb), "variances"),
        (lambda va, vb, c: np.sqrt((va + vb) / (va + vb - 2 * c)), "upside down"),
        (lambda va, vb, c: np.sqrt((va + vb + 2 * c) / (va + vb)), "sign"),
        (lambda va, vb, c: np.sqrt((va + vb - c) / (va + vb)), "once"),
        (lambda va, vb, c: np.sqrt(1 - c / np.sqrt(va * vb)), "Var a = Var b"),
        (lambda va, vb, c: np.sqrt(va + vb - 2 * c), "standard deviation"),
        (lambda va, vb, c: 1.0, "not right"),
        (lambda va, vb, c: 1 / 0, "raised"),
        (3.0, "function"),
    ],
)
def test_paired_rejects_wrong_formulas(fn, word):
    status, message = _status("ex-09-paired", {**_paired_answer(), "width_ratio": fn})
    assert status == "incorrect", message
    assert word in message


def _swapped_predicted():
    ns = _paired_answer()
    p = ns["predicted_ratio"]
    ns["predicted_ratio"] = {1.0: p[2.0], 2.0: p[1.0]}
    return ns


@pytest.mark.parametrize(
    "make, word",
    [
        (lambda: _paired_answer(combine=lambda x, y: x + y), "quadrature"),
        (lambda: _paired_answer(stat="median"), "medians"),
        (lambda: {**_paired_answer(), "predicted_ratio": _paired_answer(measure="e_warp")[
            "predicted_ratio"]}, "warp-only"),
        (_swapped_predicted, "swapped"),
        (lambda: {**_paired_answer(), "measured_ratio": {1.0: 2.0, 2.0: 2.0}}, "too large"),
    ],
)
def test_paired_rejects_wrong_numbers(make, word):
    status, message = _status("ex-09-paired", make())
    assert status == "incorrect", message
    assert word in message
    ref = _paired_answer()
    for b in BUDGETS:
        for key in ("predicted_ratio", "measured_ratio"):
            assert f"{ref[key][b]:.2f}" not in message


def test_paired_not_attempted():
    assert check("ex-09-paired", {}).status == "not attempted"
    ns = _paired_answer()
    ns["measured_ratio"] = None
    assert check("ex-09-paired", ns).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-09-ink (one real digit: the check fits it, about a second)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ink():
    import steerlens as sl

    test = sl.data.mnist_digits("test")
    sources = test.images[evaluate.stratified_indices(test.labels, 2, seed=0)]
    x0 = sources[:1]
    change = torch.roll(x0, 1, dims=-1) - x0
    x_shift = x0 + 2 * change / change.norm()
    bar = torch.zeros_like(x0)
    bar[..., 1:3, 1:7] = 1.0
    assert float((x0 * bar).sum()) == 0
    x_ink = x0 + 2 * bar / bar.norm()
    ns = {"sources": sources, "x_shift": x_shift, "x_ink": x_ink}
    for x, name in ((x_shift, "e_shift"), (x_ink, "e_ink")):
        ns[name] = float(evaluate.warp_energy(x0, x, gain=True))
        ns[name + "_bounded"] = float(evaluate.warp_energy(x0, x, gain=True, max_displacement=2.0))
    return ns


def test_ink_accepts_the_solution(ink):
    status, message = _status("ex-09-ink", dict(ink))
    assert status == "correct", message


def _edit(ink, **changes):
    ns = dict(ink)
    x0 = ink["sources"][:1]
    for key, fn in changes.items():
        ns[key] = fn(x0, ink)
    return ns


def _left(x0, ns):
    change = torch.roll(x0, -1, dims=-1) - x0
    return x0 + 2 * change / change.norm()


def _minus(x0, ns):
    change = torch.roll(x0, 1, dims=-1) - x0
    return x0 - 2 * change / change.norm()


def _on_stroke(x0, ns):
    bar = torch.zeros_like(x0)
    r, c = [int(v) for v in torch.nonzero(x0[0, 0] > 0.5)[0]]
    bar[..., r:r + 2, c:c + 6] = 1.0
    return x0 + 2 * bar / bar.norm()


def _square(x0, ns):
    bar = torch.zeros_like(x0)
    bar[..., 1:4, 1:5] = 1.0
    return x0 + 2 * bar / bar.norm()


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"x_shift": _left}, "left"),
        ({"x_shift": _minus}, "−(T x0 − x0)"),
        ({"x_shift": lambda x0, ns: ns["x_shift"] * 1.0 + 0.5 * (ns["x_shift"] - x0)}, "norm 2"),
        ({"x_shift": lambda x0, ns: x0}, "itself"),
        ({"x_ink": lambda x0, ns: x0 + 0.5 * (ns["x_ink"] - x0)}, "norm 2"),
        ({"x_ink": _on_stroke}, "overlaps"),
        ({"x_ink": _square}, "2×6"),
        ({"e_shift": lambda x0, ns: 0.3}, "too low"),
        ({"e_ink": lambda x0, ns: ns["e_ink_bounded"],
          "e_ink_bounded": lambda x0, ns: ns["e_ink"]}, "swapped"),
        ({"e_ink_bounded": lambda x0, ns: 0.7}, "max_displacement"),
        ({"e_ink": lambda x0, ns: 1.7}, "outside"),
    ],
)
def test_ink_rejects(ink, changes, word):
    status, message = _status("ex-09-ink", _edit(ink, **changes))
    assert status == "incorrect", message
    assert word in message
    for key in ("e_ink", "e_ink_bounded"):
        assert f"{ink[key]:.2f}" not in message


def test_ink_not_attempted(ink):
    assert check("ex-09-ink", {}).status == "not attempted"
    assert check("ex-09-ink", {**ink, "e_ink_bounded": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-09-confidence
# ------------------------------------------------------------------------------------------


def _transfer(result=RESULT, budget=2.0, judge="judges_all"):
    out = {}
    for m in result.methods:
        p = result.values("driver_prob", m, budget)
        both = result.values(judge, m, budget)
        conf = p > 0.5
        out[m] = tuple(both[g].mean() if g.any() else float("nan") for g in (conf, ~conf))
    return out


def _confidence(**changes):
    return {"result": RESULT, "transfer": _transfer(), "confidence_verdict": "b", **changes}


def test_confidence_accepts_the_solution():
    status, message = _status("ex-09-confidence", _confidence())
    assert status == "correct", message


def test_confidence_accepts_method_labels_as_keys():
    labelled = {evaluate.method_label(m): v for m, v in _transfer().items()}
    assert check("ex-09-confidence", _confidence(transfer=labelled)).status == "correct"


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"transfer": {m: v[::-1] for m, v in _transfer().items()}}, "order"),
        ({"transfer": {m: (100 * v[0], 100 * v[1]) for m, v in _transfer().items()}}, "counts"),
        ({"transfer": _transfer(budget=1.0)}, "L₂ = 1"),
        ({"transfer": _transfer(judge="judge:MLP")}, "both"),
        ({"transfer": {"pixel": (0.1, 0.0)}}, "no entry"),
        ({"confidence_verdict": "a"}, "says otherwise"),
        ({"confidence_verdict": "c"}, "says otherwise"),
        ({"confidence_verdict": "maybe"}, "one of"),
    ],
)
def test_confidence_rejects(changes, word):
    status, message = _status("ex-09-confidence", _confidence(**changes))
    assert status == "incorrect", message
    assert word in message
    for share in _transfer()["pixel"]:
        assert f"{share:.2f}" not in message


def test_confidence_not_attempted():
    assert check("ex-09-confidence", {}).status == "not attempted"
    assert check("ex-09-confidence", _confidence(confidence_verdict=None)).status == "not attempted"
