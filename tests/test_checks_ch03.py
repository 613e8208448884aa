"""The checks of chapter 3's exercises: each accepts a right answer, diagnoses a plausible wrong
one without giving the reference away, and says "not attempted" to an empty namespace."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import steerlens as sl
from steerlens.exercises import EXERCISES, check
from steerlens.signals import measure_shift, natural_image

LABELS = ["ex-03-grating-band", "ex-03-move-band", "ex-03-opposite-band",
          "ex-03-steer-orientation"]


@pytest.fixture(scope="module")
def chapter():
    """The chapter's body variables the checks read: Einstein, its pyramid, the band centres."""
    x = natural_image("einstein", (256, 256))[None]
    csp = sl.CSP((256, 256), height=4, order=3)
    return {"x": x, "csp": csp, "coeffs": csp.analyze(x), "centres": csp.band_frequencies()}


def _incorrect(fb, *words):
    assert fb.status == "incorrect", fb
    for word in words:
        assert word.lower() in fb.message.lower(), fb


def test_the_chapter_registers_its_exercises_in_order():
    assert [e.label for e in EXERCISES.values() if e.chapter == 3] == LABELS
    assert sum(EXERCISES[k].kind == "derivation" for k in LABELS) >= 1
    assert EXERCISES["ex-03-steer-orientation"].kind == "prediction"


@pytest.mark.parametrize("label", LABELS)
def test_an_empty_namespace_is_not_attempted(label):
    assert check(label, {}).status == "not attempted"


# ex-03-grating-band ----------------------------------------------------------------------------

def _grating_answer(ns):
    csp, centres = ns["csp"], ns["centres"]
    pattern = sl.signals.grating((256, 256), wavelength=8.0, angle=math.radians(60))
    amplitude = torch.stack([b[0, 0, :, 32:-32, 32:-32].abs().mean(dim=(-2, -1))
                             for b in csp.analyze(pattern[None, None]).bands])
    strongest = divmod(int(amplitude.argmax()), csp.num_orientations)
    omega = 2 * math.pi / 8 * torch.tensor([math.sin(math.pi / 3), math.cos(math.pi / 3)])
    only_plus = (centres - omega).norm(dim=-1)
    only_minus = (centres + omega).norm(dim=-1)
    predicted = divmod(int(torch.minimum(only_plus, only_minus).argmin()), csp.num_orientations)
    minus = divmod(int(only_minus.argmin()), csp.num_orientations)
    return strongest, predicted, minus


def test_grating_band(chapter):
    strongest, predicted, minus = _grating_answer(chapter)
    assert strongest == predicted
    ns = dict(chapter, strongest=strongest, predicted=list(predicted))
    assert check("ex-03-grating-band", ns).status == "correct"
    assert strongest == strongest[::-1]  # (1, 1): a swapped pair cannot be told apart here
    assert minus != predicted  # −ω alone picks another band
    _incorrect(check("ex-03-grating-band", dict(ns, predicted=minus)), "−ω alone")
    _incorrect(check("ex-03-grating-band", dict(ns, predicted=(1, 3))), "orientation")
    wrong_scale = ((strongest[0] + 1) % 4, strongest[1])
    _incorrect(check("ex-03-grating-band", dict(ns, strongest=wrong_scale)), "wrong scale")
    _incorrect(check("ex-03-grating-band", dict(ns, predicted=(1, 2, 3))), "pair")
    assert check("ex-03-grating-band", {"strongest": (1, 1), "predicted": (1, 1)}).status \
        == "incorrect"  # the chapter's csp is missing: says so


# ex-03-move-band -------------------------------------------------------------------------------

def _measured(ns, band, theta):
    csp, coeffs, centres = ns["csp"], ns["coeffs"], ns["centres"]
    s, k = band

    def alone(t):
        bands = [torch.zeros_like(b) for b in coeffs.bands]
        bands[s][:, :, k] = coeffs.bands[s][:, :, k] * complex(math.cos(t), math.sin(t))
        fixed = {n: torch.zeros_like(v) for n, v in coeffs.fixed.items()}
        return csp.synthesize(sl.Coefficients(bands, fixed))[0]

    omega = centres[s, k]
    return float(measure_shift(alone(theta), alone(0.0)) @ (omega / omega.norm()))


def test_move_band(chapter):
    theta = -3.0 * float(chapter["centres"][1, 2].norm())
    moved = _measured(chapter, (1, 2), theta)
    fine = _measured(chapter, (0, 2), -3.0 * float(chapter["centres"][0, 2].norm()))
    ns = dict(chapter, theta_3px=theta, moved_3px=moved, moved_fine=fine)
    fb = check("ex-03-move-band", ns)
    assert fb.status == "correct", fb
    wrong = check("ex-03-move-band", dict(ns, theta_3px=-theta))
    _incorrect(wrong, "sign")
    assert f"{theta:.2f}" not in wrong.message and f"{-theta:.2f}" not in wrong.message
    _incorrect(check("ex-03-move-band", dict(ns, moved_3px=3.0)), "exactly")
    _incorrect(check("ex-03-move-band", dict(ns, moved_3px=torch.tensor([3.0, 0.1]))), "project")
    _incorrect(check("ex-03-move-band", dict(ns, moved_fine=3.0)), "measure", "wavelength")
    leak = check("ex-03-move-band", dict(ns, moved_fine=fine + 1.0))
    _incorrect(leak)
    assert f"{fine:.2f}" not in leak.message


# ex-03-opposite-band ---------------------------------------------------------------------------

def test_opposite_band():
    def right(c, order):
        return (-1) ** order * c.conj()

    assert check("ex-03-opposite-band", {"opposite_band": right}).status == "correct"
    cases = [
        (lambda c, n: c, "unchanged"),
        (lambda c, n: c.conj(), "even orders"),
        (lambda c, n: -c.conj(), "odd orders"),
        (lambda c, n: (-1) ** n * c, "sign is right"),
        (lambda c, n: (-1) ** (n + 1) * c.conj(), "sign is wrong"),
        (lambda c, n: c.real, "real tensor"),
        (lambda c, n: 2 * c, "does not give"),
        (lambda c, n: 1 / 0, "raised"),
    ]
    for fn, word in cases:
        _incorrect(check("ex-03-opposite-band", {"opposite_band": fn}), word)
    _incorrect(check("ex-03-opposite-band", {"opposite_band": "conj"}), "function")


# ex-03-steer-orientation -----------------------------------------------------------------------

def _steer_answer(ns, sigma=4.0):
    angles = torch.linspace(0, math.pi, 37)[:-1]
    amplitude = ns["csp"].steer(ns["coeffs"], 2, angles)[0, 0].abs()
    best = angles[amplitude.argmax(dim=0)]
    r = int(3 * sigma)
    taps = torch.arange(-r, r + 1, dtype=torch.float32)
    g1 = torch.exp(-(taps**2) / (2 * sigma**2))
    g1 = g1 / g1.sum()
    blurred = F.conv2d(F.pad(ns["x"], (r, r, r, r), mode="circular"),
                       (g1[:, None] * g1[None])[None, None])[0, 0]
    gy = (blurred.roll(-1, 0) - blurred.roll(1, 0)) / 2
    gx = (blurred.roll(-1, 1) - blurred.roll(1, 1)) / 2
    strength = amplitude.max(dim=0).values
    strong = strength > torch.quantile(strength, 0.95)

    def median_gap(gradient_angle, wrap=True):
        gap = best - gradient_angle
        if wrap:
            gap = (gap + math.pi / 2) % math.pi - math.pi / 2
        return math.degrees(float(gap[strong].abs().median()))

    return best, amplitude, median_gap(torch.atan2(gy, gx)), median_gap(torch.atan2(gx, gy)), \
        median_gap(torch.atan2(gy, gx), wrap=False)


def test_steer_orientation(chapter):
    best, amplitude, gap, swapped, unwrapped = _steer_answer(chapter)
    ns = dict(chapter, prediction_edge="a", best_angle=best, median_gap_deg=gap)
    assert check("ex-03-steer-orientation", ns).status == "correct"
    # another reasonable blur also passes
    assert check("ex-03-steer-orientation",
                 dict(ns, median_gap_deg=_steer_answer(chapter, 2.0)[2])).status == "correct"
    _incorrect(check("ex-03-steer-orientation", dict(ns, prediction_edge="b")), "otherwise")
    _incorrect(check("ex-03-steer-orientation", dict(ns, prediction_edge="c")), "otherwise")
    _incorrect(check("ex-03-steer-orientation", dict(ns, prediction_edge="d")), "one of")
    _incorrect(check("ex-03-steer-orientation", dict(ns, best_angle=torch.rad2deg(best))),
               "degrees")
    index = amplitude.argmax(dim=0).float()
    _incorrect(check("ex-03-steer-orientation", dict(ns, best_angle=index)), "indices")
    worst = torch.linspace(0, math.pi, 37)[:-1][amplitude.argmin(dim=0)]
    _incorrect(check("ex-03-steer-orientation", dict(ns, best_angle=worst)), "argmin")
    _incorrect(check("ex-03-steer-orientation", dict(ns, best_angle=best[:10])), "shape")
    _incorrect(check("ex-03-steer-orientation", dict(ns, median_gap_deg=math.radians(gap))),
               "radians")
    _incorrect(check("ex-03-steer-orientation", dict(ns, median_gap_deg=swapped)), "atan2")
    _incorrect(check("ex-03-steer-orientation", dict(ns, median_gap_deg=unwrapped)), "modulo")
