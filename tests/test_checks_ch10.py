"""Chapter 10's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty.

ex-10-independent uses the zoo's ``blobs_cnn`` and the chapter's blob set-up (the CSP edits of
32 blobs per model, a fraction of a second each); ex-10-baseline uses synthetic change maps;
ex-10-support is a formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import steerlens as sl
from steerlens import flow, models
from steerlens.exercises import check

# the checks' fits and edits are on tiny images: one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_thread")


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


# ------------------------------------------------------------------------------------------
# ex-10-independent (the chapter's blob set-up, section 2)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    blob_driver = models.pretrained("blobs_cnn")
    data = sl.data.ShiftedBlobs(**models.model_info("blobs_cnn").test_split)
    sources = torch.nonzero(data.labels == 0)[:32, 0]
    x, offsets, right = data.images[sources], data.offsets[sources], 1
    def motion_share(frames):
        return data.motion_fit(sources, frames)[1]

    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    cy = 15.5 + data.params["y_offset"][sources][:, None, None]
    cx = 15.5 + offsets[:, None, None]
    two_sigma = 2 * data.params["sigma"][sources][:, None, None]
    blob = (yy - cy) ** 2 + (xx - cx) ** 2 < two_sigma**2

    def csp_row(model):
        csp = sl.SteerableLens(model, domain="csp", component="phase")
        grad = csp.gradient(x, right)
        d_x = flow.edit_displacement(grad, alpha=1.0).mean(blob)[:, 1]
        share = motion_share(csp.extrapolate(x, right, [0.3])[:, 0])
        return float(share.median()), float((d_x > 0).float().mean())

    layers = models.parameterized_layers(blob_driver)
    independent = {n: csp_row(models.randomize_model(blob_driver, layers=[n], seed=0))
                   for n in layers}
    cascade = {n: csp_row(models.randomize_model(blob_driver, mode="cascade", depth=k, seed=0))
               for k, n in enumerate(reversed(layers), start=1)}
    context = {"blob_driver": blob_driver, "x": x, "right": right, "blob": blob,
               "motion_share": motion_share}
    return context, independent, cascade, csp_row(blob_driver)


def _independent_ns(blobs, **changes):
    context, independent, _, _ = blobs
    wrong_way = [n for n, (s, r) in independent.items() if s > 0.3 and r < 0.5]
    return {**context, "independent": dict(independent), "wrong_way": wrong_way, **changes}


def test_independent_accepts_the_solution(blobs):
    ns = _independent_ns(blobs)
    assert ns["wrong_way"], "the chapter's claim: some layer reverses the motion"
    status, message = _status("ex-10-independent", ns)
    assert status == "correct", message


def test_independent_accepts_numpy_and_tensor_values(blobs):
    _, independent, _, _ = blobs
    as_arrays = {n: np.array(v) for n, v in independent.items()}
    assert check("ex-10-independent", _independent_ns(blobs, independent=as_arrays)).status == "correct"
    as_tuple = tuple(_independent_ns(blobs)["wrong_way"])
    assert check("ex-10-independent", _independent_ns(blobs, wrong_way=as_tuple)).status == "correct"


def _replace_first(blobs, fn):
    _, independent, cascade, trained = blobs
    first = next(iter(independent))
    return {**independent, first: fn(first, independent[first], cascade, trained)}


@pytest.mark.parametrize(
    "fn, word",
    [
        (lambda n, v, c, t: v[::-1], "order"),
        (lambda n, v, c, t: (v[0], 32 * v[1] + 3), "count"),
        (lambda n, v, c, t: t, "trained driver"),
        (lambda n, v, c, t: (v[0], 1 - v[1] if v[1] != 0.5 else 0.9), "direction"),
        (lambda n, v, c, t: (0.99, 0.75), "not right"),
        (lambda n, v, c, t: (v[0],), "pair"),
    ],
)
def test_independent_rejects_wrong_values(blobs, fn, word):
    ns = _independent_ns(blobs, independent=_replace_first(blobs, fn))
    status, message = _status("ex-10-independent", ns)
    assert status == "incorrect", message
    assert word in message
    _, independent, _, _ = blobs
    for share, _ in independent.values():
        assert f"{share:.2f}" not in message


def test_independent_rejects_wrong_keys_and_lists(blobs):
    _, independent, _, _ = blobs
    first = next(iter(independent))
    cases = [
        ({n: v for n, v in independent.items() if n != first}, {}, "no entry"),
        ({**independent, "conv9": (0.1, 0.1)}, {}, "not a layer"),
        ([1, 2], {}, "dict"),
        (dict(independent), {"wrong_way": []}, "misses"),
        (dict(independent), {"wrong_way": list(independent)}, "does not fit"),
        (dict(independent), {"wrong_way": "features.0"}, "list"),
        (dict(independent), {"wrong_way": ["fc"]}, "not a layer"),
    ]
    for value, extra, word in cases:
        status, message = _status("ex-10-independent",
                                  _independent_ns(blobs, independent=value, **extra))
        assert status == "incorrect" and word in message, (word, message)


def test_independent_reads_the_cascade_table(blobs):
    import pandas as pd

    _, independent, cascade, trained = blobs
    table = pd.DataFrame(
        {"share, CSP": [trained[0]] + [v[0] for v in cascade.values()],
         "points right": [trained[1]] + [v[1] for v in cascade.values()]},
        index=["trained"] + [f"top {k} random ({n})" for k, n in enumerate(cascade, start=1)],
    )
    # the first layer's single randomization and its cascade stage differ: a student who used the
    # cascade for every layer is told so
    layers = list(independent)
    k = next(i for i, n in enumerate(layers) if abs(cascade[n][0] - independent[n][0]) > 0.05)
    wrong = {**independent, layers[k]: cascade[layers[k]]}
    status, message = _status("ex-10-independent",
                              _independent_ns(blobs, independent=wrong, blob_table=table))
    assert status == "incorrect" and "cascade" in message


def test_independent_not_attempted(blobs):
    assert check("ex-10-independent", {}).status == "not attempted"
    assert check("ex-10-independent", _independent_ns(blobs, wrong_way=None)).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-10-baseline (synthetic change maps: a shared support, independent values on it)
# ------------------------------------------------------------------------------------------


def _maps(seed, support=None, n=10):
    gen = torch.Generator().manual_seed(seed)
    values = torch.randn(n, 1, 28, 28, generator=gen)
    if support is not None:
        values = values * support
    return 2 * values / values.flatten(1).norm(dim=1)[:, None, None, None]


def _rho(a, b, signed=False):
    from scipy.stats import spearmanr

    f = (lambda t: t) if signed else torch.abs
    return float(np.median([spearmanr(f(u).flatten(), f(v).flatten())[0]
                            for u, v in zip(a, b, strict=True)]))


@pytest.fixture(scope="module")
def maps():
    gen = torch.Generator().manual_seed(0)
    digits = (torch.rand(10, 1, 28, 28, generator=gen) > 0.8).float()
    support = (torch.rand(10, 1, 28, 28, generator=gen) < 0.7).float()
    first, trained = _maps(1, support), _maps(2, support)
    changes = {("all random", "csp_phase"): first, ("trained", "csp_phase"): trained,
               ("all random", "pixel"): _maps(3)}
    return {"changes": changes, "digits": digits, "support": support}


def _baseline_ns(maps, second=None, prediction="b", **changes):
    second = _maps(4, maps["support"]) if second is None else second
    first = maps["changes"][("all random", "csp_phase")]
    return {"changes": maps["changes"], "digits": maps["digits"], "second_change": second,
            "rho_two_random": _rho(first, second), "prediction_baseline": prediction, **changes}


def test_baseline_accepts_a_measured_prediction(maps):
    ns = _baseline_ns(maps)
    assert 0.15 < ns["rho_two_random"] < 0.8  # the synthetic maps share their support
    status, message = _status("ex-10-baseline", ns)
    assert status == "correct", message


def test_baseline_judges_the_prediction_by_the_measurement(maps):
    independent = _maps(5)  # no shared support: ρ ≈ 0
    assert check("ex-10-baseline", _baseline_ns(maps, independent, "a")).status == "correct"
    status, message = _status("ex-10-baseline", _baseline_ns(maps, independent, "b"))
    assert status == "incorrect" and "almost unrelated" in message


@pytest.mark.parametrize(
    "make, word",
    [
        (lambda m: _baseline_ns(m, prediction="a"), "says otherwise"),
        (lambda m: _baseline_ns(m, prediction="c"), "says otherwise"),
        (lambda m: _baseline_ns(m, prediction="yes"), "one of"),
        (lambda m: _baseline_ns(m, second=m["changes"][("all random", "csp_phase")].clone()),
         "seed 0"),
        (lambda m: _baseline_ns(m, second=m["changes"][("trained", "csp_phase")].clone()),
         "trained driver"),
        (lambda m: _baseline_ns(m, second=m["changes"][("all random", "pixel")].clone()), "pixel"),
        (lambda m: _baseline_ns(m, second=3 * _maps(4, m["support"])), "norm 2"),
        (lambda m: _baseline_ns(m, second=m["digits"] + 0.0 * _maps(4)), "edited images"),
        (lambda m: {**_baseline_ns(m), "second_change": _maps(4, m["support"])[:5]}, "shape"),
    ],
)
def test_baseline_rejects(maps, make, word):
    status, message = _status("ex-10-baseline", make(maps))
    assert status == "incorrect", message
    assert word in message


def test_baseline_rejects_signed_and_mean_correlations(maps):
    from scipy.stats import spearmanr

    second = _maps(4, maps["support"])
    first = maps["changes"][("all random", "csp_phase")]
    signed = _rho(first, second, signed=True)
    mean = float(np.mean([spearmanr(u.abs().flatten(), v.abs().flatten())[0]
                          for u, v in zip(first, second, strict=True)]))
    ref = _rho(first, second)
    for value, word in ((signed, "signed"), (mean, "mean"), (ref + 0.2, "not the rank")):
        if word == "mean" and abs(mean - ref) < 0.006:
            continue
        status, message = _status("ex-10-baseline", _baseline_ns(maps, second,
                                                                  rho_two_random=value))
        assert status == "incorrect" and word in message, (word, message)
        assert f"{ref:.2f}" not in message


def test_baseline_not_attempted(maps):
    assert check("ex-10-baseline", {}).status == "not attempted"
    assert check("ex-10-baseline", _baseline_ns(maps, rho_two_random=None)).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-10-support (a formula)
# ------------------------------------------------------------------------------------------


def _rho_shared_support(q):
    return 3 * (1 - q) / (3 * (1 - q) + q**2)


def test_support_accepts_the_derivation():
    status, message = _status("ex-10-support", {"rho_shared_support": _rho_shared_support})
    assert status == "correct", message
    same = lambda q: 1 / (1 + q * q / (3 - 3 * q))  # noqa: E731  (an equivalent form)
    assert check("ex-10-support", {"rho_shared_support": same}).status == "correct"


def test_support_formula_matches_a_simulation():
    from scipy.stats import spearmanr

    gen = np.random.default_rng(0)
    q = 0.6
    rhos = []
    for _ in range(200):
        on = gen.random(784) < q
        rhos.append(spearmanr(gen.random(784) * on, gen.random(784) * on)[0])
    assert abs(np.mean(rhos) - _rho_shared_support(q)) < 0.02


@pytest.mark.parametrize(
    "fn, word",
    [
        (lambda q: 0.0, "zeros are shared"),
        (lambda q: 3 * q * (1 - q), "average"),
        (lambda q: 1 - q, "linear"),
        (lambda q: (1 - q) / (1 - q + q * q), "not right"),
        (lambda q: 1.0, "q → 1"),
        (lambda q: math.log(-1), "raised"),
        ("3(1-q)", "function"),
    ],
)
def test_support_rejects(fn, word):
    status, message = _status("ex-10-support", {"rho_shared_support": fn})
    assert status == "incorrect", message
    assert word in message


def test_support_not_attempted():
    assert check("ex-10-support", {}).status == "not attempted"
