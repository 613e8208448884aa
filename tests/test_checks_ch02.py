"""Chapter 2's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty."""

from __future__ import annotations

import math

import pytest
import torch

from steerlens import signals
from steerlens.exercises import check


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.mark.parametrize("label", ["ex-02-shift-from-phase", "ex-02-oblique-bound", "ex-02-linear-limit"])
def test_empty_namespace_is_not_attempted(label):
    assert check(label, {}).status == "not attempted"


def test_starter_cells_are_not_attempted():
    assert check("ex-02-shift-from-phase", {"d_true": 0.8, "delta_phi": None, "d_hat": None}).status \
        == "not attempted"
    assert check("ex-02-shift-from-phase", {"delta_phi": -0.4, "d_hat": None}).status == "not attempted"
    assert check("ex-02-oblique-bound", {"alpha_bound": None}).status == "not attempted"
    assert check("ex-02-linear-limit", {"alpha_max": None}).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-02-shift-from-phase
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measured_phase():
    still = signals.grating(256, 12.0, dtype=torch.float64)
    moved = signals.grating(256, 12.0, shift=0.8, dtype=torch.float64)
    c_still = signals.quadrature_response(still, 16.0)[32:224]
    c_moved = signals.quadrature_response(moved, 16.0)[32:224]
    return float(torch.angle((c_moved * c_still.conj()).sum()))


def _shift_ns(delta_phi, d_hat):
    return {"wavelength": 16.0, "d_true": 0.8, "delta_phi": delta_phi, "d_hat": d_hat}


def test_shift_from_phase_accepts_the_signal_frequency(measured_phase):
    d_hat = -measured_phase / (2 * math.pi / 12.0)
    status, message = _status("ex-02-shift-from-phase", _shift_ns(measured_phase, d_hat))
    assert status == "correct", message
    # a tensor answer is fine too
    ns = _shift_ns(torch.tensor(measured_phase), torch.tensor(d_hat))
    assert check("ex-02-shift-from-phase", ns).status == "correct"


@pytest.mark.parametrize("make, word", [
    (lambda dp: (dp, -dp / (2 * math.pi / 16.0)), "filter's ω"),  # the filter's tuning
    (lambda dp: (dp, dp / (2 * math.pi / 12.0)), "sign"),  # d = +Δφ/ω
    (lambda dp: (-dp, -dp / (2 * math.pi / 12.0)), "sign"),  # conj on the wrong factor
    (lambda dp: (dp, 0.8 * 2.5), "does not follow"),
    (lambda dp: (2 * dp, -dp / (2 * math.pi / 12.0)), "factor of about 2"),
    (lambda dp: ("phase", 0.8), "single number"),
])
def test_shift_from_phase_rejects(make, word, measured_phase):
    delta_phi, d_hat = make(measured_phase)
    status, message = _status("ex-02-shift-from-phase", _shift_ns(delta_phi, d_hat))
    assert status == "incorrect" and word in message, message
    assert "0.8" not in message and f"{measured_phase:.3f}" not in message


# ------------------------------------------------------------------------------------------
# ex-02-oblique-bound (derivation, self-contained)
# ------------------------------------------------------------------------------------------


def test_oblique_bound_accepts_the_derivation():
    ns = {"alpha_bound": lambda lam, d, th: lam / (8 * d * abs(math.cos(th))) - 1}
    status, message = _status("ex-02-oblique-bound", ns)
    assert status == "correct", message
    ns = {"alpha_bound": lambda lam, d, th: torch.tensor(lam / (8 * d * math.sqrt(math.cos(th) ** 2)) - 1)}
    assert check("ex-02-oblique-bound", ns).status == "correct"


@pytest.mark.parametrize("wrong, word", [
    (lambda lam, d, th: lam / (8 * d) - 1, "direction θ"),
    (lambda lam, d, th: lam / (8 * d * math.cos(th)) - 1, "negative"),
    (lambda lam, d, th: lam / (8 * d * abs(math.cos(th))), "1 + α"),
    (lambda lam, d, th: lam / (4 * d * abs(math.cos(th))) - 1, "λ/4"),
    (lambda lam, d, th: lam / (8 * d * abs(math.sin(th)) + 1e-9) - 1, "not right"),
    (lambda lam, d, th: lam * abs(math.cos(th)) / (8 * d) - 1, "not right"),
    (lambda lam, d: 1.0, "raised"),
])
def test_oblique_bound_rejects(wrong, word):
    status, message = _status("ex-02-oblique-bound", {"alpha_bound": wrong})
    assert status == "incorrect" and word in message, message


# ------------------------------------------------------------------------------------------
# ex-02-linear-limit
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linear_limit():
    """The measured answer (a few renders of the 32-px patch around the expected limit)."""
    from steerlens import magnify

    delta = signals.sinusoidal_displacement(32, 0.25, 2.0, 32.0)
    wide = signals.moving_pattern(delta, shape=(64, 64), wavelength=32.0, sigma=20.0, contrast=0.5)
    mag = magnify.LinearMagnifier(wide.video, 1.0, 3.0, 32.0)

    def within(a):
        gain = signals.displacement_gain(mag.render(float(a), clip=False), wide.video[0], delta)
        return abs(gain - (1 + a)) <= 0.10 * (1 + a)

    assert within(8)  # well inside the limit (λ/8 is reached at α = 15); scan up from there
    alpha = next(a for a in range(9, 41) if not within(a)) - 1
    return {"delta": delta, "low": 1.0, "high": 3.0, "fs": 32.0}, alpha


def test_linear_limit_accepts_the_measured_alpha(linear_limit):
    ns, alpha = linear_limit
    status, message = _status("ex-02-linear-limit", {**ns, "alpha_max": alpha})
    assert status == "correct", message
    assert check("ex-02-linear-limit", {"alpha_max": float(alpha)}).status == "correct"  # defaults


@pytest.mark.parametrize("offset, word", [(1, "already misses"), (-1, "still within"), (-5, "still within")])
def test_linear_limit_rejects_neighbours(offset, word, linear_limit):
    ns, alpha = linear_limit
    status, message = _status("ex-02-linear-limit", {**ns, "alpha_max": alpha + offset})
    assert status == "incorrect" and word in message, message
    assert str(alpha) not in message


@pytest.mark.parametrize("value, word", [(15, "bound"), (11.3, "integers"), (60, "integers")])
def test_linear_limit_rejects(value, word, linear_limit):
    ns, _ = linear_limit
    status, message = _status("ex-02-linear-limit", {**ns, "alpha_max": value})
    assert status == "incorrect" and word in message, message
