"""One home per resampling primitive: translate, measure_shift, gaussian_blur, luminance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerlens import data, resample, signals


def _band_limited(shape=(32, 32), seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 1, shape[0] // 4, shape[1] // 4, generator=g, dtype=torch.float64)
    return F.interpolate(x, size=shape, mode="bicubic", align_corners=False)[0].to(device)


def test_old_names_are_the_one_implementation():
    assert signals.translate is resample.translate
    assert signals.measure_shift is resample.measure_shift


def test_translate_then_measure_round_trip(device):
    x = _band_limited(device=device)
    shifts = torch.tensor([[0.3, -1.7], [2.25, 0.5], [-0.1, 0.0]], dtype=torch.float64)
    moved = resample.translate(x, shifts)
    assert moved.shape == (3, *x.shape) and moved.device == x.device
    est = resample.measure_shift(moved, x)
    torch.testing.assert_close(est.cpu(), shifts.float(), atol=1e-4, rtol=0)


def test_measure_shift_one_reference_per_frame_and_bounded_search():
    x = _band_limited(seed=1)
    refs = torch.stack([x, resample.translate(x, (0.0, 1.0))])
    frames = torch.stack([resample.translate(x, (0.5, 0.0)), resample.translate(x, (0.0, 3.0))])
    est = resample.measure_shift(frames, refs)
    torch.testing.assert_close(est, torch.tensor([[0.5, 0.0], [0.0, 2.0]]), atol=1e-4, rtol=0)
    integer = resample.measure_shift(frames, refs, iterations=0)
    assert torch.equal(integer, integer.round())


def test_data_estimate_shift_agrees_with_measure_shift():
    ds = data.NaturalShifts("test", n=2)
    ref = ds.render(0, offset=0.0)
    moved = ds.render(0, offset=1.5)
    a = data.estimate_shift(moved, ref)
    b = resample.measure_shift(moved, ref, max_shift=16)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("bad", ["ab", None, b"xy", {"y": 1}])
def test_translate_rejects_non_numeric_shift(bad):
    with pytest.raises(TypeError, match="`shift`"):
        resample.translate(torch.rand(4, 4), bad)
    with pytest.raises(TypeError, match="`shift`"):
        signals.translate(torch.rand(4, 4), bad)


def test_translate_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError, match="`shift` must be"):
        resample.translate(torch.rand(4, 4), (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="`shift` contains NaN"):
        resample.translate(torch.rand(4, 4), (float("nan"), 0.0))
    with pytest.raises(ValueError, match="`image` contains NaN"):
        resample.translate(torch.full((4, 4), float("nan")), (0.0, 0.0))
    with pytest.raises(TypeError, match="`image` must have a floating-point"):
        resample.translate(torch.zeros(4, 4, dtype=torch.long), (0.0, 0.0))


def test_gaussian_blur_both_boundaries(device):
    x = torch.zeros(2, 1, 33, 33, device=device)
    x[..., 16, 16] = 1.0
    for boundary in ("replicate", "circular"):
        y = resample.gaussian_blur(x, 2.0, boundary=boundary)
        assert y.shape == x.shape and y.device == x.device
        assert float(y.sum()) == pytest.approx(2.0, rel=1e-5)
        # the variance of an impulse response is σ² along each axis
        r = torch.arange(33, device=device, dtype=torch.float32) - 16
        var = float((y[0, 0].sum(0) * r**2).sum())
        assert var == pytest.approx(4.0, rel=0.02)
    assert resample.gaussian_blur(x, 0.0) is x
    with pytest.raises(ValueError, match="`sigma` must be finite"):
        resample.gaussian_blur(x, -1.0)
    with pytest.raises(ValueError, match="`boundary` must be one of"):
        resample.gaussian_blur(x, 1.0, boundary="zeros")


def test_luminance_is_the_yiq_y_row():
    from steerlens.transforms import rgb_to_yiq

    x = torch.rand(2, 3, 5, 5)
    torch.testing.assert_close(resample.luminance(x), rgb_to_yiq(x)[:, :1])
    torch.testing.assert_close(data.to_grayscale(x), resample.luminance(x))
    assert resample.luminance(x[:, :1]) is not None
    with pytest.raises(ValueError, match="`x` must have 1 or 3 channels"):
        resample.luminance(torch.rand(2, 2, 5, 5))


def test_the_two_natural_image_functions_share_one_loader():
    a = signals.natural_image("einstein", (48, 64))
    b = data.natural_image("einstein", (48, 64), gray=True)[0]
    torch.testing.assert_close(a, b)
    assert tuple(signals.natural_image("camera", (31, 33)).shape) == (1, 31, 33)  # odd sizes too


def test_measure_shift_errors_name_the_argument():
    x = torch.rand(8, 8)
    with pytest.raises(ValueError, match="`frequency_range` must be"):
        resample.measure_shift(x, x, frequency_range=(2.0, 1.0))
    with pytest.raises(TypeError, match="`frequency_range` must be a pair"):
        resample.measure_shift(x, x, frequency_range="low")
    with pytest.raises(ValueError, match="`iterations` must be ≥ 0"):
        resample.measure_shift(x, x, iterations=-1)
    with pytest.raises(ValueError, match="must share"):
        resample.measure_shift(x, torch.rand(6, 6))
    assert math.isfinite(float(resample.measure_shift(x, torch.zeros(8, 8)).abs().sum()))
    assert np.isfinite(resample.measure_shift(torch.zeros(8, 8), torch.zeros(8, 8)).numpy()).all()
