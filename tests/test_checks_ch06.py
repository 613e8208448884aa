"""Chapter 6's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty."""

from __future__ import annotations

import pytest
import torch

import steerlens as sl
from steerlens import flow
from steerlens.exercises import check

pytestmark = pytest.mark.usefixtures("one_thread")  # small computations (tests/conftest.py)


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.fixture(scope="module")
def chapter():
    """The chapter's task: the zoo's driver, the first 32 "left" test images, the blob mask."""
    driver = sl.models.pretrained("blobs_cnn")
    info = sl.models.model_info("blobs_cnn")
    test = sl.data.ShiftedBlobs(**info.test_split)
    sources = torch.nonzero(test.labels == 0)[:32, 0]
    offsets = test.offsets[sources]
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    cy = 15.5 + test.params["y_offset"][sources][:, None, None]
    cx = 15.5 + offsets[:, None, None]
    two_sigma = 2 * test.params["sigma"][sources][:, None, None]
    blob = (yy - cy) ** 2 + (xx - cx) ** 2 < two_sigma**2
    return {"driver": driver, "test": test, "sources": sources, "offsets": offsets,
            "x": test.images[sources], "target": info.class_names.index("right"),
            "blob": blob, "long_alphas": torch.linspace(0, 12, 49)}


# ------------------------------------------------------------------------------------------
# ex-06-fade
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fade(chapter):
    test, sources, offsets, x = (chapter[k] for k in ("test", "sources", "offsets", "x"))
    noise = x - test.render(sources)

    def fits(shift, with_noise=True):
        moved = (test.render(sources, offset=offsets + shift) + (noise if with_noise else 0)).clamp(0, 1)
        faded = 0.5 * x + 0.5 * moved
        return test.motion_fit(sources, moved[:, None]), test.motion_fit(sources, faded[:, None])

    def shares(shift, with_noise=True):
        (_, moved), (_, faded) = fits(shift, with_noise)
        return float(moved.median()), float(faded.median())

    _, (fade_o, _) = fits(4.0)
    return {"right": shares(4.0), "bare": shares(4.0, with_noise=False), "2px": shares(2.0),
            "offset": float((fade_o[:, 0] - offsets).median()), "raw o*": float(fade_o.median())}


def _fade_ns(chapter, fade, motion, faded, offset=None):
    return {**chapter, "share_motion": motion, "share_fade": faded,
            "fade_offset": fade["offset"] if offset is None else offset}


def test_fade_accepts_the_computation(chapter, fade):
    motion, faded = fade["right"]
    status, message = _status("ex-06-fade", _fade_ns(chapter, fade, motion, faded))
    assert status == "correct", message
    assert abs(fade["offset"] - 2.0) < 0.3  # halfway between the two half-blobs


@pytest.mark.parametrize(
    "pick, word",
    [
        (lambda f: (f["right"][1], f["right"][0]), "swapped"),
        (lambda f: (f["bare"][0], f["right"][1]), "noise"),
        (lambda f: (f["right"][0], f["2px"][1]), "2 px"),
        (lambda f: (f["right"][0], f["bare"][1]), "noise"),
        (lambda f: (4.0, f["right"][1]), "between 0 and 1"),
        (lambda f: (f["right"][0], f["right"][1] - 0.1), "too small"),
    ],
)
def test_fade_rejects_wrong_shares(chapter, fade, pick, word):
    motion, faded = pick(fade)
    status, message = _status("ex-06-fade", _fade_ns(chapter, fade, motion, faded))
    assert status == "incorrect", message
    assert word in message
    for v in fade["right"]:
        assert f"{v:.2f}" not in message


@pytest.mark.parametrize(
    "pick, word",
    [
        (lambda f: f["raw o*"], "subtract each source's own offset"),
        (lambda f: 4.0, "true motion of (a)"),
        (lambda f: 3.0, "too large"),
        (lambda f: -f["offset"], "sign"),
    ],
)
def test_fade_rejects_wrong_offsets(chapter, fade, pick, word):
    status, message = _status("ex-06-fade", _fade_ns(chapter, fade, *fade["right"], pick(fade)))
    assert status == "incorrect", message
    assert word in message
    assert f"{fade['offset']:.2f}" not in message


def test_fade_not_attempted(chapter):
    assert check("ex-06-fade", {}).status == "not attempted"
    assert check("ex-06-fade", {**chapter, "share_motion": 1.0}).status == "not attempted"
    both = {**chapter, "share_motion": 1.0, "share_fade": 0.5}
    assert check("ex-06-fade", both).status == "not attempted"  # fade_offset still None


# ------------------------------------------------------------------------------------------
# ex-06-known-motion
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def known(chapter):
    test, sources, offsets, blob = (chapter[k] for k in ("test", "sources", "offsets", "blob"))
    before = test.render(sources[:1], offset=offsets[:1])
    after = test.render(sources[:1], offset=offsets[:1] + 1.5)
    local = flow.measure_displacement(before, after)
    band = flow.measure_displacement(before, after, frequencies="band")
    return {"estimated_d": local.mean(blob[:1])[0], "estimated_band": band.mean(blob[:1])[0],
            "whole": local.mean()[0], "whole_band": band.mean()[0]}


def test_known_motion_accepts_the_measurement_and_the_prediction(chapter, known):
    ns = {**chapter, "estimated_d": known["estimated_d"],
          "estimated_band": known["estimated_band"].tolist(), "prediction_band": "b"}
    status, message = _status("ex-06-known-motion", ns)
    assert status == "correct", message


@pytest.mark.parametrize("prediction", ["a", "c"])
def test_known_motion_rejects_a_prediction_the_measurement_does_not_bear_out(
        chapter, known, prediction):
    ns = {**chapter, "estimated_d": known["estimated_d"],
          "estimated_band": known["estimated_band"], "prediction_band": prediction}
    status, message = _status("ex-06-known-motion", ns)
    assert status == "incorrect" and "do not bear out" in message
    assert f"{float(known['estimated_band'][1]):.2f}" not in message


@pytest.mark.parametrize(
    "changes, word",
    [
        (lambda k: {"estimated_d": -k["estimated_d"]}, "wrong way"),
        (lambda k: {"estimated_d": k["estimated_d"].flip(0)}, "order"),
        (lambda k: {"estimated_d": k["whole"]}, "whole image"),
        (lambda k: {"estimated_d": k["estimated_band"]}, "band-centre"),
        (lambda k: {"estimated_band": k["estimated_d"]}, "local-frequency"),
        (lambda k: {"estimated_band": k["whole_band"]}, "whole image"),
        (lambda k: {"estimated_d": torch.zeros(3)}, "two numbers"),
        (lambda k: {"estimated_d": k["estimated_d"] + torch.tensor([0.0, 0.3])}, "not right"),
    ],
)
def test_known_motion_rejects_wrong_measurements(chapter, known, changes, word):
    ns = {**chapter, "estimated_d": known["estimated_d"],
          "estimated_band": known["estimated_band"], "prediction_band": "b", **changes(known)}
    status, message = _status("ex-06-known-motion", ns)
    assert status == "incorrect", message
    assert word in message
    assert f"{float(known['estimated_d'][1]):.2f}" not in message


def test_known_motion_not_attempted(chapter, known):
    assert check("ex-06-known-motion", {}).status == "not attempted"
    ns = {**chapter, "estimated_d": known["estimated_d"], "estimated_band": known["estimated_band"]}
    assert check("ex-06-known-motion", ns).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-06-coarse
# ------------------------------------------------------------------------------------------


def _measure(ns, weights=None):
    lens = sl.SteerableLens(ns["driver"], domain="csp", component="phase", scale_weights=weights)
    grad = lens.gradient(ns["x"], ns["target"])
    coherence = flow.edit_displacement(grad).overall_coherence(ns["blob"])
    whole = flow.edit_displacement(grad).overall_coherence()
    frames = lens.frames_from_gradient(grad, ns["long_alphas"])
    p = lens.probabilities(frames.flatten(0, 1)).view(32, -1, 2)[..., ns["target"]]
    return {"coarse_coherence": float(coherence.median()),
            "coarse_flipped": float((p.amax(1) > 0.5).float().mean()),
            "mean": float(coherence.mean()), "whole": float(whole.median()),
            "last": float((p[:, -1] > 0.5).float().mean())}


@pytest.fixture(scope="module")
def coarse(chapter):
    return {"coarse": _measure(chapter, [0, 0, 1]), "full": _measure(chapter)}


def _coarse_ns(chapter, coarse, prediction="b", **changes):
    right = coarse["coarse"]
    return {**chapter, "prediction_coarse": prediction,
            "coarse_coherence": right["coarse_coherence"],
            "coarse_flipped": right["coarse_flipped"], **changes}


def test_coarse_accepts_the_measurement_and_the_prediction(chapter, coarse):
    status, message = _status("ex-06-coarse", _coarse_ns(chapter, coarse))
    assert status == "correct", message


@pytest.mark.parametrize("prediction, word", [("a", "fewer"), ("c", "more coherent"),
                                              ("d", "more coherent")])
def test_coarse_rejects_a_prediction_the_measurement_does_not_bear_out(
        chapter, coarse, prediction, word):
    status, message = _status("ex-06-coarse", _coarse_ns(chapter, coarse, prediction))
    assert status == "incorrect" and "do not bear out" in message
    assert word in message


@pytest.mark.parametrize(
    "changes, word",
    [
        (lambda c: {"coarse_coherence": c["full"]["coarse_coherence"]}, "full edit"),
        (lambda c: {"coarse_coherence": c["coarse"]["whole"]}, "whole image"),
        (lambda c: {"coarse_coherence": c["coarse"]["mean"]}, "median"),
        (lambda c: {"coarse_flipped": 100 * c["coarse"]["coarse_flipped"]}, "percentage"),
        (lambda c: {"coarse_flipped": c["full"]["coarse_flipped"]}, "full edit"),
        (lambda c: {"coarse_flipped": c["coarse"]["last"]}, "any"),
        (lambda c: {"coarse_coherence": "high"}, "single number"),
    ],
)
def test_coarse_rejects_wrong_measurements(chapter, coarse, changes, word):
    status, message = _status("ex-06-coarse", _coarse_ns(chapter, coarse, **changes(coarse)))
    assert status == "incorrect", message
    assert word in message
    for v in (coarse["coarse"]["coarse_coherence"], coarse["full"]["coarse_coherence"]):
        assert f"{v:.2f}" not in message


def test_coarse_not_attempted(chapter):
    assert check("ex-06-coarse", {}).status == "not attempted"
    assert check("ex-06-coarse", {**chapter, "prediction_coarse": "b"}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-06-weights
# ------------------------------------------------------------------------------------------


def _share(energy, weights):
    weighted = weights[:, None] ** 2 * energy
    return weighted / weighted.sum(0)


def _half(energy):
    return (energy[:-1].sum(0) / energy[-1]).sqrt()


WEIGHTS = {"share_formula": _share, "half_weight": _half, "closer_base": 4}


def test_weights_accepts_the_derivation(chapter):
    status, message = _status("ex-06-weights", {**chapter, **WEIGHTS})
    assert status == "correct", message


@pytest.mark.parametrize(
    "changes, word",
    [
        ({"share_formula": lambda e, w: w[:, None] * e / (w[:, None] * e).sum(0)}, "square"),
        ({"share_formula": lambda e, w: w[:, None] ** 2 * e}, "add up"),
        ({"share_formula": lambda e, w: w[:, None] ** 2 * e / (w[:, None] ** 2 * e).sum(1, keepdim=True)},
         "over the sources"),
        ({"share_formula": lambda e, w: _share(e, w).T}, "shape"),
        ({"half_weight": lambda e: e[:-1].sum(0) / e[-1]}, "w²"),
        ({"half_weight": lambda e: (e[-1] / e[:-1].sum(0)).sqrt()}, "upside down"),
        ({"half_weight": lambda e: (e[1] / e[-1]).sqrt()}, "not right"),
        ({"closer_base": 2}, "measurably closer"),
        ({"closer_base": 3}, "b = 2 or b = 4"),
        ({"closer_base": "four"}, "single number"),
    ],
)
def test_weights_rejects_wrong_derivations(chapter, changes, word):
    status, message = _status("ex-06-weights", {**chapter, **WEIGHTS, **changes})
    assert status == "incorrect", message
    assert word in message


def test_weights_not_attempted(chapter):
    assert check("ex-06-weights", {}).status == "not attempted"
    assert check("ex-06-weights", {**chapter, "share_formula": _share}).status == "not attempted"
