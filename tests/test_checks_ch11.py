"""Chapter 11's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty.

The digits, the driver and the attribution maps are the chapter's (three MNIST digits,
``mnist_cnn``); the change maps of the edits are random stand-ins (the checks only correlate
them with attribution maps)."""

from __future__ import annotations

import pytest
import torch

from steerlens import data, models
from steerlens.evaluate import attribution_map, map_agreement
from steerlens.exercises import check

METHODS = {"Saliency": "saliency", "IG": "integrated_gradients", "SmoothGrad": "smoothgrad"}


# the checks' fits and edits are on tiny images: one thread (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("one_thread")


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


# ------------------------------------------------------------------------------------------
# ex-11-linear (a formula)
# ------------------------------------------------------------------------------------------


def _ig_linear(x, baseline, w):
    return (x - baseline) * w


def test_linear_accepts_the_derivation():
    status, message = _status("ex-11-linear", {"ig_linear": _ig_linear})
    assert status == "correct", message
    numpy_style = lambda x, b, w: (x.numpy() - b.numpy()) * w.numpy()  # noqa: E731
    assert check("ex-11-linear", {"ig_linear": numpy_style}).status == "correct"


def test_linear_agrees_with_captum_on_a_linear_model():
    torch.manual_seed(0)
    linear = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    x = torch.rand(2, 1, 4, 4)
    t = torch.tensor([0, 2])
    w = linear[1].weight[t].detach().reshape(x.shape)
    ig = attribution_map(linear, x, t, n_steps=2)
    assert torch.allclose(ig, _ig_linear(x, torch.zeros_like(x), w), atol=1e-5)


@pytest.mark.parametrize(
    "fn, word",
    [
        (lambda x, b, w: w, "gradient"),
        (lambda x, b, w: x * w, "ignores the baseline"),
        (lambda x, b, w: (b - x) * w, "sign"),
        (lambda x, b, w: 0.5 * (x - b) * w, "half"),
        (lambda x, b, w: (x - b) * w * x, "too often"),
        (lambda x, b, w: ((x - b) * w).sum(), "sum"),
        (lambda x, b, w: ((x - b) * w)[:1], "shape"),
        (lambda x, b, w: (x - b) + w, "not right"),
        (lambda x, b, w: x.nope, "raised"),
        ("(x - x') * w", "function"),
    ],
)
def test_linear_rejects(fn, word):
    status, message = _status("ex-11-linear", {"ig_linear": fn})
    assert status == "incorrect", message
    assert word in message


def test_linear_not_attempted():
    assert check("ex-11-linear", {}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# the chapter's digits, driver and maps
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapter():
    test = data.mnist_digits("test")
    driver = models.pretrained("mnist_cnn")
    with torch.no_grad():
        right = driver(test.images).argmax(1) == test.labels
    first = {d: int(torch.nonzero(right & (test.labels == d))[0, 0]) for d in range(10)}
    pairs = [(7, 2), (5, 6), (3, 8)]
    x_d = torch.stack([test.images[first[s]] for s, _ in pairs])
    t_d = torch.tensor([t for _, t in pairs])
    maps_d = {name: attribution_map(driver, x_d, t_d, m) for name, m in METHODS.items()}
    gen = torch.Generator().manual_seed(0)
    blurred_like = torch.nn.functional.avg_pool2d(x_d, 5, stride=1, padding=2)
    changes_d = {  # stand-ins: a change around the strokes, and two unrelated ones
        "CSP phase": blurred_like * torch.rand(x_d.shape, generator=gen),
        "pixel": torch.randn(x_d.shape, generator=gen),
        "flow": torch.randn(x_d.shape, generator=gen),
    }
    rho_d = {(a, c): map_agreement(m, ch).rank_correlation
             for a, m in maps_d.items() for c, ch in changes_d.items()}
    return {"driver": driver, "x_d": x_d, "t_d": t_d, "maps_d": maps_d, "methods": METHODS,
            "changes_d": changes_d, "rho_d": rho_d}


def _background_share(m, x):
    e = m.abs()
    return (e * (x == 0)).sum((1, 2, 3)) / e.sum((1, 2, 3))


@pytest.fixture(scope="module")
def blurred(chapter):
    b = attribution_map(chapter["driver"], chapter["x_d"], chapter["t_d"], baseline="blurred",
                        blur_sigma=2.0)
    return {
        "map": b,
        "blurred_bg": _background_share(b, chapter["x_d"]),
        "blurred_rho": map_agreement(b, chapter["changes_d"]["CSP phase"]).rank_correlation,
    }


# ------------------------------------------------------------------------------------------
# ex-11-blurred
# ------------------------------------------------------------------------------------------


def _blurred_ns(chapter, blurred, **changes):
    return {**chapter, "prediction_blurred": "a", "blurred_bg": blurred["blurred_bg"],
            "blurred_rho": blurred["blurred_rho"], **changes}


def test_blurred_accepts_the_measurement(chapter, blurred):
    status, message = _status("ex-11-blurred", _blurred_ns(chapter, blurred))
    assert status == "correct", message
    as_lists = _blurred_ns(chapter, blurred, blurred_bg=blurred["blurred_bg"].tolist(),
                           blurred_rho=blurred["blurred_rho"].numpy())
    assert check("ex-11-blurred", as_lists).status == "correct"


def test_blurred_rejects(chapter, blurred):
    x_d, changes_d = chapter["x_d"], chapter["changes_d"]
    bg, rho = blurred["blurred_bg"], blurred["blurred_rho"]
    cases = [
        ({"prediction_blurred": "b"}, "says otherwise"),
        ({"prediction_blurred": "c"}, "says otherwise"),
        ({"prediction_blurred": "maybe"}, "one of"),
        ({"blurred_bg": torch.zeros(3)}, "black baseline"),
        ({"blurred_bg": 1 - bg}, "ink"),
        ({"blurred_bg": bg + 0.2}, "too large"),
        ({"blurred_bg": bg[:2]}, "one number per digit"),
        ({"blurred_rho": map_agreement(blurred["map"], changes_d["pixel"]).rank_correlation},
         "pixel change"),
        ({"blurred_rho": chapter["rho_d"][("IG", "CSP phase")]}, "black baseline"),
        ({"blurred_rho": rho - 0.3}, "too small"),
    ]
    for changes, word in cases:
        status, message = _status("ex-11-blurred", _blurred_ns(chapter, blurred, **changes))
        assert status == "incorrect", (word, message)
        assert word in message, (word, message)
        for v in (*bg.tolist(), *rho.tolist()):
            assert f"{v:.2f}" not in message
    assert x_d.shape[0] == 3


def test_blurred_not_attempted(chapter, blurred):
    assert check("ex-11-blurred", {}).status == "not attempted"
    ns = _blurred_ns(chapter, blurred, blurred_rho=None)
    assert check("ex-11-blurred", ns).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-11-cascade
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cascade(chapter):
    out = {}
    for layer, model in models.cascading_randomization(chapter["driver"], seed=0):
        out[layer] = {
            name: float(map_agreement(chapter["maps_d"][name],
                                      attribution_map(model, chapter["x_d"], chapter["t_d"], m))
                        .rank_correlation.mean())
            for name, m in METHODS.items()
        }
    return out


PREDICTION = {"Saliency": "falls", "IG": "stays", "SmoothGrad": "plateaus"}


def _cascade_ns(chapter, measured, **changes):
    return {**chapter, "cascade": {k: dict(v) for k, v in measured.items()},
            "prediction_cascade": dict(PREDICTION), **changes}


def test_cascade_accepts_the_solution(chapter, cascade):
    status, message = _status("ex-11-cascade", _cascade_ns(chapter, cascade))
    assert status == "correct", message


def test_cascade_rejects_a_wrong_prediction(chapter, cascade):
    for method, wrong in (("Saliency", "stays"), ("IG", "falls"), ("SmoothGrad", "falls")):
        ns = _cascade_ns(chapter, cascade, prediction_cascade={**PREDICTION, method: wrong})
        status, message = _status("ex-11-cascade", ns)
        assert status == "incorrect" and "does not match" in message and method in message


def _first_layer(cascade):
    return next(iter(cascade))


def test_cascade_rejects_wrong_measurements(chapter, cascade):
    top, last = _first_layer(cascade), list(cascade)[-1]
    overlap = float(map_agreement(
        chapter["maps_d"]["Saliency"],
        attribution_map(dict(models.cascading_randomization(chapter["driver"], seed=0))[top],
                        chapter["x_d"], chapter["t_d"], "saliency")).overlap.mean())
    cases = [
        ({k: dict(cascade[top]) for k in cascade}, "same numbers"),
        ({k: v for k, v in cascade.items() if k != last}, "no entry"),
        ({**cascade, top: {"Saliency": 0.5}}, "keys"),
        ({**cascade, top: {**cascade[top], "Saliency": [0.1, 0.2, 0.3]}}, "single number"),
        ({**cascade, top: {**cascade[top], "Saliency": 3.0}}, "outside"),
        ({**cascade, top: {**cascade[top], "Saliency": overlap}}, "overlap"),
        ({**cascade, top: {**cascade[top], "IG": 0.2}}, "not the mean rank correlation"),
        ([1, 2, 3], "dict"),
    ]
    for value, word in cases:
        status, message = _status("ex-11-cascade", _cascade_ns(chapter, cascade, cascade=value))
        assert status == "incorrect", (word, message)
        assert word in message, (word, message)
        for stage in cascade.values():
            for v in stage.values():
                assert f"{v:.2f}" not in message


def test_cascade_rejects_malformed_predictions(chapter, cascade):
    for value, word in (({"Saliency": "falls"}, "keys"), ({**PREDICTION, "IG": "up"}, "one of")):
        status, message = _status("ex-11-cascade",
                                  _cascade_ns(chapter, cascade, prediction_cascade=value))
        assert status == "incorrect" and word in message, message


def test_cascade_not_attempted(chapter, cascade):
    assert check("ex-11-cascade", {}).status == "not attempted"
    assert check("ex-11-cascade", _cascade_ns(chapter, cascade, cascade=None)).status == "not attempted"
