"""Chapter 5's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty."""

from __future__ import annotations

import pytest
import torch

import steerlens as sl
from steerlens.exercises import check

pytestmark = pytest.mark.usefixtures("one_thread")  # small computations (tests/conftest.py)


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


# ------------------------------------------------------------------------------------------
# ex-05-amplitude: the chain rule on paper (self-contained: random coefficients)
# ------------------------------------------------------------------------------------------


def _dL_ddelta(g, c):
    return (g * c.conj()).imag


def _dL_deta(g, c):
    return (g.conj() * c).real


def _dL_dshift(g, c, omega):
    return -omega * _dL_ddelta(g, c).sum()


CHAIN = {"dL_ddelta": _dL_ddelta, "dL_deta": _dL_deta, "dL_dshift": _dL_dshift}


def test_chain_rule_accepts_the_derivation():
    status, message = _status("ex-05-amplitude", CHAIN)
    assert status == "correct", message


def test_chain_rule_accepts_lambdas_and_numpy_style_answers():
    ns = {
        "dL_ddelta": lambda g, c: -(g.conj() * c).imag,
        "dL_deta": lambda g, c: g.real * c.real + g.imag * c.imag,
        "dL_dshift": lambda g, c, w: torch.stack([-w[0], -w[1]]) * (g * c.conj()).imag.sum(),
    }
    assert check("ex-05-amplitude", ns).status == "correct"


@pytest.mark.parametrize(
    "name, wrong, word",
    [
        ("dL_ddelta", lambda g, c: (g.conj() * c).imag, "sign"),  # conjugate on the wrong side
        ("dL_ddelta", lambda g, c: (g.conj() * c).real, "stretches"),  # the amplitude formula
        ("dL_ddelta", lambda g, c: (g * c).imag, "conjugate"),
        ("dL_ddelta", lambda g, c: (g * c.conj()).imag / c.abs(), "|c|"),
        ("dL_ddelta", lambda g, c: g * c.conj(), "complex"),
        ("dL_deta", lambda g, c: (g * c.conj()).imag, "phase derivative"),
        ("dL_deta", lambda g, c: (g * c).real, "conjugate"),
        ("dL_dshift", lambda g, c, w: w * (g * c.conj()).imag.sum(), "sign"),
        ("dL_dshift", lambda g, c, w: -(g * c.conj()).imag.sum() / w, "divides"),
        ("dL_dshift", lambda g, c, w: -w.flip(0) * (g * c.conj()).imag.sum(), "swapped"),
        ("dL_dshift", lambda g, c, w: -w[:, None] * (g * c.conj()).imag.flatten(), "one pair"),
        ("dL_dshift", lambda g, c, w: 1 / 0, "raised"),
    ],
)
def test_chain_rule_rejects_wrong_derivations(name, wrong, word):
    status, message = _status("ex-05-amplitude", {**CHAIN, name: wrong})
    assert status == "incorrect", message
    assert word in message


def test_chain_rule_not_attempted():
    assert check("ex-05-amplitude", {}).status == "not attempted"
    assert check("ex-05-amplitude", {**CHAIN, "dL_dshift": None}).status == "not attempted"


def test_chain_rule_wants_functions():
    status, message = _status("ex-05-amplitude", {**CHAIN, "dL_deta": 0.5})
    assert status == "incorrect" and "function" in message


# ------------------------------------------------------------------------------------------
# The chapter's driver and images (the zoo's blobs_cnn, the test split's "left" images)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapter():
    driver = sl.models.pretrained("blobs_cnn")
    info = sl.models.model_info("blobs_cnn")
    test = sl.data.ShiftedBlobs(**info.test_split)
    sources = (test.labels == 0).nonzero()[:64, 0]
    offset = test.offsets[sources]
    h = 0.01
    m_all = (test.render(sources, offset=offset + h) - test.render(sources, offset=offset - h)) / (2 * h)
    return {"driver": driver, "x_all": test.images[sources], "m_all": m_all,
            "RIGHT": info.class_names.index("right")}


# ------------------------------------------------------------------------------------------
# ex-05-first-order: the tangent's slope (checked against measured slopes of four lenses)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [lambda G, r: -G / r, lambda G, r: -(G / r)])
def test_tangent_slope_accepts_the_derivation(chapter, answer):
    status, message = _status("ex-05-first-order", {**chapter, "tangent_slope": answer})
    assert status == "correct", message


@pytest.mark.parametrize(
    "wrong, word",
    [
        (lambda G, r: -G, "raw"),  # the slope per raw unit
        (lambda G, r: -G.sqrt(), "pixel lens"),  # right only where r = √G
        (lambda G, r: G / r, "sign"),
        (lambda G, r: -G / r**2, "twice"),
        (lambda G, r: -r, "pixel lens"),  # −r equals −√G for pixels only
        (lambda G, r: -0.7 * G / r, "not right"),
        (lambda G, r: -G / (2 * r), "factor"),
        (lambda G, r: (-G / r)[:1], "shape"),
    ],
)
def test_tangent_slope_rejects_wrong_slopes(chapter, wrong, word):
    status, message = _status("ex-05-first-order", {**chapter, "tangent_slope": wrong})
    assert status == "incorrect", message
    assert word in message


def test_tangent_slope_not_attempted_and_needs_the_chapter(chapter):
    assert check("ex-05-first-order", dict(chapter)).status == "not attempted"
    status, message = _status("ex-05-first-order", {"tangent_slope": lambda G, r: -G / r})
    assert status == "incorrect" and "run the chapter" in message


# ------------------------------------------------------------------------------------------
# ex-05-scale: which scale asks for the motion? (prediction)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scale_alignment(chapter):
    """The solution's measurement: median cosine with the motion, one scale at a time."""

    def cosine(a, b):
        a, b = a.flatten(1), b.flatten(1)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))

    out = []
    for s in range(3):
        lens = sl.SteerableLens(chapter["driver"], domain="csp", component="phase", height=3,
                                scale_weights=[1.0 if t == s else 0.0 for t in range(3)])
        grad = lens.gradient(chapter["x_all"], chapter["RIGHT"])
        change = (lens.apply(grad, 1e-2) - lens.apply(grad, -1e-2)) / 2e-2
        out.append(float(cosine(change, chapter["m_all"]).median()))
    return out


def test_scale_accepts_the_measurement_and_the_right_prediction(chapter, scale_alignment):
    ns = {**chapter, "scale_alignment": scale_alignment, "prediction_scale": " A "}
    status, message = _status("ex-05-scale", ns)
    assert status == "correct", message


@pytest.mark.parametrize("prediction", ["b", "c", "d"])
def test_scale_rejects_a_prediction_the_measurement_does_not_bear_out(
        chapter, scale_alignment, prediction):
    ns = {**chapter, "scale_alignment": scale_alignment, "prediction_scale": prediction}
    status, message = _status("ex-05-scale", ns)
    assert status == "incorrect" and "does not bear out" in message
    for v in scale_alignment:  # the measured numbers are never quoted
        assert f"{v:.2f}" not in message


@pytest.mark.parametrize(
    "change, word",
    [
        (lambda v: v[::-1], "order"),
        (lambda v: [x + 0.2 for x in v], "not right"),
        (lambda v: v[:2], "three numbers"),
        (lambda v: [x * 100 for x in v], "outside"),
    ],
)
def test_scale_rejects_wrong_measurements(chapter, scale_alignment, change, word):
    ns = {**chapter, "scale_alignment": change(scale_alignment), "prediction_scale": "a"}
    status, message = _status("ex-05-scale", ns)
    assert status == "incorrect", message
    assert word in message
    for v in scale_alignment:
        assert f"{v:.2f}" not in message


def test_scale_not_attempted_and_bad_choice(chapter, scale_alignment):
    assert check("ex-05-scale", {}).status == "not attempted"
    assert check("ex-05-scale", {**chapter, "prediction_scale": "a"}).status == "not attempted"
    ns = {**chapter, "scale_alignment": scale_alignment, "prediction_scale": "e"}
    status, message = _status("ex-05-scale", ns)
    assert status == "incorrect" and "one of" in message
