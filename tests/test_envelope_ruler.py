"""The envelope ruler: it reads where a pattern's energy moved, not its carrier phase."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import steerlens as sl
from steerlens import resample, signals


def _patch(device, **kw):
    options = dict(wavelength=8.0, sigma=4.0, contrast=0.8)
    options.update(kw)
    return signals.gabor_patch((48, 48), **options).to(device)


@settings(max_examples=15, deadline=None)
@given(
    dy=st.floats(-6.0, 6.0),
    dx=st.floats(-6.0, 6.0),
    angle=st.floats(0.0, math.pi),
    wavelength=st.floats(5.0, 12.0),
)
def test_translation_of_a_windowed_pattern_is_measured(dy, dx, angle, wavelength):
    ref = signals.gabor_patch((48, 48), wavelength, sigma=4.0, angle=angle)
    moved = resample.translate(ref, (dy, dx))
    est = resample.measure_envelope_shift(moved, ref)
    assert est.shape == (2,)
    assert torch.allclose(est, torch.tensor([dy, dx]), atol=0.05), (est, dy, dx)


@settings(max_examples=12, deadline=None)
@given(phase=st.floats(0.3, 2.0), sign=st.sampled_from([-1.0, 1.0]))
def test_carrier_moves_envelope_stays(phase, sign):
    """A carrier phase shift under a fixed window: the phase ruler sees a
    shift of phase/ω, the envelope ruler sees none."""
    ref = signals.gabor_patch((48, 48), 8.0, sigma=5.0)
    shifted = signals.gabor_patch((48, 48), 8.0, sigma=5.0, phase=sign * phase)
    carrier = float(resample.measure_shift(shifted, ref)[1])
    envelope = resample.measure_envelope_shift(shifted, ref)
    expected = phase * 8.0 / (2 * math.pi)  # px: the carrier's shift
    assert abs(abs(carrier) - expected) < 0.1 * expected
    assert envelope.abs().max() < 0.02
    assert abs(carrier) > 10 * float(envelope.abs().max())


def test_batches_devices_and_inputs_untouched(device):
    ref = _patch(device)
    shifts = torch.tensor([[0.0, 0.0], [0.5, -1.25], [-2.0, 3.5]])
    frames = torch.stack([resample.translate(ref, s) for s in shifts])[:, None]
    frames = frames.to(device)
    before = frames.clone()
    est = resample.measure_envelope_shift(frames, ref[None])
    assert est.shape == (3, 2) and est.dtype == torch.float32
    assert est.device == frames.device
    assert torch.allclose(est.cpu(), shifts, atol=0.05)
    assert torch.equal(frames, before)
    # one reference per frame gives the same answer
    per_frame = resample.measure_envelope_shift(frames, frames[:1].expand(3, -1, -1, -1))
    assert torch.allclose(per_frame.cpu(), shifts, atol=0.05)
    # the public homes agree
    assert sl.signals.measure_envelope_shift is resample.measure_envelope_shift


def test_frequency_range_selects_one_pattern():
    """Two patterns in different bands: the band picks whose envelope is read."""
    fine = signals.gabor_patch((64, 64), 4.0, sigma=3.0, center=(20.0, 20.0))
    coarse = signals.gabor_patch((64, 64), 16.0, sigma=6.0, center=(40.0, 40.0))
    ref = fine + coarse - 0.5
    moved = resample.translate(fine, (0.0, 2.0)) + coarse - 0.5
    fine_band = (2 * math.pi / 6, math.pi)
    coarse_band = (2 * math.pi / 32, 2 * math.pi / 10)
    est_fine = resample.measure_envelope_shift(moved, ref, fine_band)
    est_coarse = resample.measure_envelope_shift(moved, ref, coarse_band)
    assert abs(float(est_fine[1]) - 2.0) < 0.1
    assert float(est_coarse.abs().max()) < 0.1


def test_bar_has_no_position_along_its_length():
    x = torch.arange(48.0)
    bar = (0.5 + 0.4 * torch.exp(-((x - 24) ** 2) / 8)).expand(16, 48)
    est = resample.measure_envelope_shift(resample.translate(bar, (0.0, 1.5)), bar)
    assert float(est[0]) == 0.0
    assert abs(float(est[1]) - 1.5) < 0.05


@pytest.mark.parametrize(
    "frame, reference, kwargs, error, match",
    [
        ("list", "ok", {}, TypeError, "frame"),
        ("ok", "int", {}, TypeError, "reference"),
        ("nan", "ok", {}, ValueError, "frame"),
        ("ok", "small", {}, ValueError, "H×W"),
        ("1d", "ok", {}, ValueError, "frame"),
        ("ok", "ok", {"frequency_range": "ab"}, TypeError, "frequency_range"),
        ("ok", "ok", {"frequency_range": (2.0, 1.0)}, ValueError, "frequency_range"),
        ("ok", "ok", {"min_localization": 0.0}, ValueError, "min_localization"),
        ("ok", "ok", {"min_localization": "x"}, TypeError, "min_localization"),
        ("flat", "ok", {}, ValueError, "no energy"),
        ("ok", "ok", {"frequency_range": (3.0, 3.1)}, ValueError, "no energy"),
        ("grating", "grating", {}, ValueError, "no position"),
    ],
)
def test_errors(frame, reference, kwargs, error, match):
    ok = _patch("cpu")
    made = {
        "ok": ok,
        "list": [[0.0]],
        "int": torch.zeros(48, 48, dtype=torch.int64),
        "nan": torch.full((48, 48), float("nan")),
        "small": torch.zeros(8, 8),
        "1d": torch.zeros(48),
        "flat": torch.full((48, 48), 0.5),
        "grating": signals.grating((48, 48), 8.0),
    }
    with pytest.raises(error, match=match):
        resample.measure_envelope_shift(made[frame], made[reference], **kwargs)
