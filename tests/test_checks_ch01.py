"""Chapter 1's exercise checks: each accepts a correct answer, rejects plausible wrong ones with
a message that says why (never the reference value), and says "not attempted" when empty."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import steerlens as sl
from steerlens.exercises import check


@pytest.fixture(scope="module")
def chapter():
    """The chapter's body variables the checks read: the camera, its Fourier transform."""
    image = sl.data.natural_image("camera", size=256, gray=True)
    fourier = sl.Fourier(image.shape[-2:])
    coeffs = fourier.analyze(image)
    wy, wx = fourier.frequencies()
    return {"image": image, "fourier": fourier, "coeffs": coeffs, "wy": wy, "wx": wx}


def _shifted(chapter, d):
    ramp = -(chapter["wy"] * d[0] + chapter["wx"] * d[1])
    return chapter["fourier"].synthesize(chapter["fourier"].polar_edit(chapter["coeffs"], delta=[ramp]))


def _status(label, ns):
    fb = check(label, ns)
    return fb.status, fb.message


@pytest.mark.parametrize("label", ["ex-01-subpixel", "ex-01-amplitude", "ex-01-random-phase"])
def test_empty_namespace_is_not_attempted(label):
    assert check(label, {}).status == "not attempted"


@pytest.mark.parametrize("label, names", [
    ("ex-01-subpixel", ["shifted_ex"]),
    ("ex-01-amplitude", ["nyquist_gain"]),
    ("ex-01-random-phase", ["random_phase_image"]),
])
def test_starter_cells_are_not_attempted(label, names, chapter):
    ns = {**chapter, **{n: None for n in names}}
    assert check(label, ns).status == "not attempted"


# ------------------------------------------------------------------------------------------
# ex-01-subpixel
# ------------------------------------------------------------------------------------------


def test_subpixel_accepts_the_phase_ramp(chapter):
    ns = {**chapter, "d_ex": (3.5, -2.0), "shifted_ex": _shifted(chapter, (3.5, -2.0))}
    status, message = _status("ex-01-subpixel", ns)
    assert status == "correct", message


@pytest.mark.parametrize("make, word", [
    (lambda c: c["image"].clone(), "still"),
    (lambda c: torch.roll(c["image"], (4, -2), dims=(-2, -1)), "whole pixels"),
    (lambda c: _shifted(c, (-2.0, 3.5)), "axes"),
    (lambda c: _shifted(c, (-3.5, 2.0)), "sign"),
    (lambda c: _shifted(c, (1.0, -0.5)), "not right"),
    (lambda c: c["image"][0], "shape"),
])
def test_subpixel_rejects(make, word, chapter):
    ns = {**chapter, "d_ex": (3.5, -2.0), "shifted_ex": make(chapter)}
    status, message = _status("ex-01-subpixel", ns)
    assert status == "incorrect" and word in message, message
    assert "3.5" not in message


# ------------------------------------------------------------------------------------------
# ex-01-amplitude: the Nyquist column keeps |cos(π d_x)| (self-contained)
# ------------------------------------------------------------------------------------------


def test_nyquist_gain_accepts_the_derivation():
    ns = {"nyquist_gain": lambda d_y, d_x: abs(math.cos(math.pi * d_x))}
    status, message = _status("ex-01-amplitude", ns)
    assert status == "correct", message
    ns = {"nyquist_gain": lambda d_y, d_x: np.abs(np.cos(np.pi * d_x))}  # numpy scalars
    assert check("ex-01-amplitude", ns).status == "correct"


@pytest.mark.parametrize("wrong, word", [
    (lambda d_y, d_x: 1.0, "complex spectrum"),
    (lambda d_y, d_x: math.cos(math.pi * d_x), "negative"),
    (lambda d_y, d_x: abs(math.cos(math.pi * d_y)), "d_y"),
    (lambda d_y, d_x: abs(math.cos(math.pi * d_x)) * (1 + 0.1 * d_y), "d_x alone"),
    (lambda d_y, d_x: abs(math.cos(2 * math.pi * d_x)), "real factor"),
    (lambda d_y, d_x: abs(math.cos(math.pi * d_x / 2)), "real factor"),
    (lambda d_y, d_x: "cos", "single number"),
    (lambda d_y: 1.0, "raised"),
])
def test_nyquist_gain_rejects(wrong, word):
    status, message = _status("ex-01-amplitude", {"nyquist_gain": wrong})
    assert status == "incorrect" and word in message, message


def test_nyquist_gain_rejects_a_number():
    status, message = _status("ex-01-amplitude", {"nyquist_gain": 0.5})
    assert status == "incorrect" and "function" in message


# ------------------------------------------------------------------------------------------
# ex-01-random-phase
# ------------------------------------------------------------------------------------------


def _from_polar(chapter, amplitude, phase):
    return chapter["fourier"].synthesize(sl.transforms.Coefficients([torch.polar(amplitude, phase)]))


def _noise_phase(chapter, seed=2):
    noise = torch.rand(1, 1, 256, 256, generator=torch.Generator().manual_seed(seed))
    return chapter["fourier"].analyze(noise).bands[0].angle()


def test_random_phase_accepts_a_hermitian_random_phase(chapter):
    img = _from_polar(chapter, chapter["coeffs"].bands[0].abs(), _noise_phase(chapter))
    status, message = _status("ex-01-random-phase", {**chapter, "random_phase_image": img})
    assert status == "correct", message


@pytest.mark.parametrize("make, word", [
    (lambda c: torch.zeros_like(c["image"]), "zeros"),
    (lambda c: c["image"].clone(), "camera itself"),
    # a uniform random phase on the half spectrum: not conjugate-symmetric on ω_x = 0, π
    (lambda c: _from_polar(c, c["coeffs"].bands[0].abs(),
                           (torch.rand(c["coeffs"].bands[0].shape,
                                       generator=torch.Generator().manual_seed(3)) * 2 - 1) * math.pi),
     "symmetry"),
    # rescaled to [0, 1] for display
    (lambda c: (lambda y: (y - y.min()) / (y.max() - y.min()))(
        _from_polar(c, c["coeffs"].bands[0].abs(), _noise_phase(c))), "rescaled"),
    # the astronaut's amplitude, a random phase
    (lambda c: _from_polar(c, sl.Fourier((256, 256)).analyze(
        sl.data.natural_image("astronaut", size=256, gray=True)).bands[0].abs(), _noise_phase(c)),
     "not the camera's"),
    # the camera's phase, kept
    (lambda c: _from_polar(c, c["coeffs"].bands[0].abs() * 0 + c["coeffs"].bands[0].abs(),
                           c["coeffs"].bands[0].angle() + 0.01), "camera's phase"),
    (lambda c: torch.complex(c["image"], c["image"]), "complex"),
    (lambda c: c["image"][0, 0], "shape"),
])
def test_random_phase_rejects(make, word, chapter):
    status, message = _status("ex-01-random-phase", {**chapter, "random_phase_image": make(chapter)})
    assert status == "incorrect" and word in message, message
