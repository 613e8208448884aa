"""The checks of chapter 4's exercises: each accepts a right answer, diagnoses a plausible wrong
one without giving the reference away, and says "not attempted" to an empty namespace.

The chapter's own set-up (the synthetic clip of section 1, the 1-D banks of section 2.2) is run
from the notebook's cells, so the tests use exactly what the reader's namespace holds."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest
import torch

from steerlens import magnify, signals
from steerlens.exercises import EXERCISES, check

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["ex-04-cancel", "ex-04-temporal", "ex-04-bandwidth", "ex-04-bounded-edit", "ex-04-wrap"]


def _cell(nb, text):
    return next(c.source for c in nb.cells if c.cell_type == "code" and text in c.source)


@pytest.fixture(scope="module")
def chapter():
    """The namespace of the chapter up to section 2.2 (clip, magnifiers, 1-D banks)."""
    nb = nbformat.read(ROOT / "book" / "04_motion_magnification.ipynb", as_version=4)
    ns = {"math": math, "torch": torch, "magnify": magnify, "signals": signals}
    exec(_cell(nb, "phase_mag = magnify.PhaseMagnifier(clip.video"), ns)  # section 1
    ns["peak"] = int(ns["delta"][:, 1].argmax())
    exec(_cell(nb, "def log_bank("), ns)  # section 2.2, hidden helpers
    exec(_cell(nb, "bandwidths = (1.0, 0.5, 0.25)"), ns)  # section 2.2, the three banks
    return ns


def _incorrect(fb, *words):
    assert fb.status == "incorrect", fb
    for word in words:
        assert word.lower() in fb.message.lower(), fb


def test_the_chapter_registers_its_exercises_in_order():
    assert [e.label for e in EXERCISES.values() if e.chapter == 4] == LABELS
    kinds = [EXERCISES[k].kind for k in LABELS]
    assert kinds[-2:] == ["derivation", "derivation"]  # Part II ends with two derivations
    assert kinds.count("prediction") == 2


@pytest.mark.parametrize("label", LABELS)
def test_an_empty_namespace_is_not_attempted(label):
    assert check(label, {}).status == "not attempted"


def test_cancel(chapter):
    video0 = chapter["clip"].video[0]
    cancelled = chapter["phase_mag"].render(-1.0, clip=False)
    gain = signals.displacement_gain(cancelled, video0, chapter["delta"])
    px = float(signals.measure_shift(cancelled, video0).abs().max())
    ns = dict(chapter, prediction_cancel="a", residual_gain=gain, residual_px=px)
    assert check("ex-04-cancel", ns).status == "correct"
    _incorrect(check("ex-04-cancel", dict(ns, prediction_cancel="b")), "otherwise", "α = −2")
    _incorrect(check("ex-04-cancel", dict(ns, prediction_cancel="c")), "otherwise")
    input_gain = signals.displacement_gain(chapter["clip"].video, video0, chapter["delta"])
    _incorrect(check("ex-04-cancel", dict(ns, residual_gain=input_gain)), "input")
    _incorrect(check("ex-04-cancel", dict(ns, residual_gain=-1.0)), "α = −2")
    _incorrect(check("ex-04-cancel", dict(ns, residual_px=chapter["amplitude"])), "input")
    _incorrect(check("ex-04-cancel", dict(ns, residual_px=0.0)), "exactly zero")
    leak = check("ex-04-cancel", dict(ns, residual_gain=gain + 0.3))
    _incorrect(leak)
    assert f"{gain:.3f}" not in leak.message


def test_temporal(chapter):
    delta, amplitude, fs = chapter["delta"], chapter["amplitude"], chapter["fs"]
    fast = signals.sinusoidal_displacement(32, amplitude, 6.0, fs)
    patch = dict(wavelength=16.0, sigma=10.0, contrast=0.5)
    left = signals.gabor_patch((64, 128), center=(32.0, 32.0), shift=delta, **patch)
    right = signals.gabor_patch((64, 128), center=(32.0, 96.0), shift=fast, **patch)
    video = (left + right - 0.5)[:, None]
    out = magnify.phase_based(video, 8.0, 1.0, 3.0, fs, clip=False)
    gain_left = signals.displacement_gain(out[..., :64], video[0, :, :, :64], delta)
    gain_right = signals.displacement_gain(out[..., 64:], video[0, :, :, 64:], fast)
    ns = {"gain_left": gain_left, "gain_right": gain_right}
    assert check("ex-04-temporal", ns).status == "correct"
    _incorrect(check("ex-04-temporal", {"gain_left": gain_right, "gain_right": gain_left}),
               "swapped")
    _incorrect(check("ex-04-temporal", {"gain_left": gain_left, "gain_right": gain_left}), "both")
    wrong_reference = signals.displacement_gain(out[..., 64:], video[0, :, :, 64:], delta)
    _incorrect(check("ex-04-temporal", dict(ns, gain_right=wrong_reference)), "6 Hz")
    _incorrect(check("ex-04-temporal", {"gain_left": 1.0, "gain_right": 1.0}), "neither")
    _incorrect(check("ex-04-temporal", dict(ns, gain_left=4.5)), "gain_left")


def test_bandwidth(chapter):
    bank = chapter["log_bank"](1 / 3)
    errors = chapter["envelope_errors"](bank, chapter["sweep_alpha"], chapter["ref_1d"],
                                        chapter["moved_1d"])
    brk = float(chapter["sweep_alpha"][errors > 0.10][0])
    sup = chapter["support"](bank, chapter["wavelength"])
    half, quarter = chapter["breaks"][0.5], chapter["breaks"][0.25]
    assert half <= brk <= quarter
    ns = dict(chapter, prediction_third="b", break_third=brk, support_third=sup)
    assert check("ex-04-bandwidth", ns).status == "correct"
    _incorrect(check("ex-04-bandwidth", dict(ns, prediction_third="a")), "otherwise", "wider")
    _incorrect(check("ex-04-bandwidth", dict(ns, prediction_third="c")), "otherwise")
    _incorrect(check("ex-04-bandwidth", dict(ns, break_third=half)), "0.5-octave")
    _incorrect(check("ex-04-bandwidth", dict(ns, break_third=(1 + brk) * 0.25)), "displacement")
    _incorrect(check("ex-04-bandwidth", dict(ns, support_third=chapter["bank_rows"][1][2])),
               "support of the 0.5-octave")
    leak = check("ex-04-bandwidth", dict(ns, break_third=brk + 10))
    _incorrect(leak, "break_third")
    assert f"{brk:.0f}" not in leak.message


def test_bounded_edit():
    def right(rho, delta):
        return 2 * rho * torch.sin(delta / 2).abs()

    def scalar_only(rho, delta):  # math functions: the check evaluates it number by number
        return rho * math.sqrt(2 - 2 * math.cos(delta))

    ns = {"edit_change": right, "large_alpha": "b"}
    assert check("ex-04-bounded-edit", ns).status == "correct"
    assert check("ex-04-bounded-edit", dict(ns, edit_change=scalar_only)).status == "correct"
    cases = [
        (lambda r, d: r * d.abs(), "first-order"),
        (lambda r, d: 2 * r, "upper bound"),
        (lambda r, d: 2 * r * torch.sin(d / 2), "negative"),
        (lambda r, d: 2 * r * torch.sin(d).abs(), "period"),
        (lambda r, d: r, "does not equal"),
        (lambda r, d: torch.tensor(1.0), "single number"),
    ]
    for fn, word in cases:
        _incorrect(check("ex-04-bounded-edit", dict(ns, edit_change=fn)), word)
    _incorrect(check("ex-04-bounded-edit", dict(ns, large_alpha="a")), "linear")
    _incorrect(check("ex-04-bounded-edit", dict(ns, large_alpha="c")), "periodic")


def test_wrap():
    def right(alpha, delta, wavelength):
        s = (1 + alpha) * delta
        return s - wavelength * torch.round(s / wavelength)

    def scalar_only(alpha, delta, wavelength):
        s = (1 + alpha) * delta
        return (s + wavelength / 2) % wavelength - wavelength / 2

    ns = {"magnified_shift": right, "alpha_wrap": 16.0 / (2 * 0.25) - 1}
    assert check("ex-04-wrap", ns).status == "correct"
    assert check("ex-04-wrap", dict(ns, magnified_shift=scalar_only)).status == "correct"
    cases = [
        (lambda a, d, w: (1 + a) * d, "never jumps back"),
        (lambda a, d, w: right(a - 1, d, w), "off by δ"),
        (lambda a, d, w: ((1 + a) * d) % w, "[0, λ)"),
        (lambda a, d, w: -right(a, d, w), "sign"),
        (lambda a, d, w: right(a, d, w / 2), "half a wavelength"),
        (lambda a, d, w: right(a, d, 2 * w), "two wavelengths"),
    ]
    for fn, word in cases:
        _incorrect(check("ex-04-wrap", dict(ns, magnified_shift=fn)), word)
    _incorrect(check("ex-04-wrap", dict(ns, alpha_wrap=32.0)), "edit's")
    _incorrect(check("ex-04-wrap", dict(ns, alpha_wrap=63.0)), "whole wavelength")
    _incorrect(check("ex-04-wrap", dict(ns, alpha_wrap=15.0)), "λ/4")
    leak = check("ex-04-wrap", dict(ns, alpha_wrap=40.0))
    _incorrect(leak, "too large")
    assert "31" not in leak.message
