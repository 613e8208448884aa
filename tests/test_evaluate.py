"""Known answers for the morph measures: smooth-warp energy, confidence, judges, bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from steerlens import evaluate
from steerlens.evaluate import _upsample, _warp


def _image(b=3, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    # smooth random texture: blurred noise, rescaled to [0.1, 0.9]
    x = torch.rand(b, 1, size // 4, size // 4, generator=g)
    x = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    x = x - x.amin(dim=(2, 3), keepdim=True)
    return 0.1 + 0.8 * x / x.amax(dim=(2, 3), keepdim=True)


def _smooth_warp(x, grid=8, amplitude=1.0, seed=1):
    g = torch.Generator().manual_seed(seed)
    ctrl = amplitude * (2 * torch.rand(x.shape[0], 2, grid, grid, generator=g) - 1)
    return _warp(x, _upsample(ctrl, x.shape[-2:]))


def test_true_smooth_warp_is_explained():
    x0 = _image()
    x1 = _smooth_warp(x0, amplitude=1.5)
    e = evaluate.warp_energy(x0, x1)
    assert e.shape == (3,)
    assert bool((e >= 0.9).all()), e


def test_random_noise_edit_is_not_explained():
    x0 = _image()
    g = torch.Generator().manual_seed(2)
    x1 = (x0 + 0.05 * torch.randn(x0.shape, generator=g)).clamp(0, 1)
    e = evaluate.warp_energy(x0, x1)
    assert bool((e <= 0.2).all()), e


def test_contrast_change_needs_the_gain_field():
    # A dimming no warp can produce: every source value lies in [0.7, 0.8], every edited value
    # in [0.35, 0.4]. A warp only rearranges the source's own values; a smooth gain is exact.
    x0 = 0.7 + 0.1 * _image()
    x1 = 0.5 * x0
    e_warp = evaluate.warp_energy(x0, x1, gain=False)
    e_gain = evaluate.warp_energy(x0, x1, gain=True)
    assert bool((e_gain >= 0.95).all()), e_gain
    assert bool((e_warp <= 0.5).all()), e_warp


def test_values_lie_in_unit_interval_and_zero_edit_is_explained():
    x0 = _image(b=2)
    x1 = x0.clone()
    x1[1] = torch.rand_like(x1[1])
    e = evaluate.warp_energy(x0, x1, gain=True)
    assert e[0] == 1.0
    assert 0.0 <= float(e[1]) <= 1.0


def test_warp_energy_is_deterministic():
    x0 = _image(b=2)
    x1 = _smooth_warp(x0, amplitude=2.0)
    assert torch.equal(evaluate.warp_energy(x0, x1), evaluate.warp_energy(x0, x1))


def test_warp_energy_bad_inputs():
    x = _image(b=1)
    with pytest.raises(ValueError, match="same shape"):
        evaluate.warp_energy(x, x[..., :16, :16])
    with pytest.raises(ValueError, match="`x1` must hold values in"):
        evaluate.warp_energy(x, x + 2)
    with pytest.raises(ValueError, match="`grid` must be ≥ 2"):
        evaluate.warp_energy(x, x, grid=1)
    with pytest.raises(TypeError, match="`x0` must be a torch.Tensor"):
        evaluate.warp_energy(np.zeros((1, 1, 8, 8)), x)


def _linear_model(classes=3, pixels=4, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(pixels, classes))


def test_target_probability_matches_softmax():
    m = _linear_model()
    x = torch.rand(6, 1, 2, 2)
    t = torch.tensor([0, 1, 2, 0, 1, 2])
    p = evaluate.target_probability(m, x, t, batch_size=4)
    ref = torch.softmax(m(x), 1)[torch.arange(6), t]
    torch.testing.assert_close(p, ref)
    with pytest.raises(ValueError, match="`target` must lie in"):
        evaluate.target_probability(m, x, 3)
    with pytest.raises(ValueError, match="one class per image"):
        evaluate.target_probability(m, x, torch.tensor([0, 1]))


def test_judge_agreement_all_is_the_conjunction():
    a, b = _linear_model(seed=0), _linear_model(seed=1)
    x = torch.rand(50, 1, 2, 2)
    out = evaluate.judge_agreement([a, b], x, 1)
    assert torch.equal(out["all"], out["judge1"] & out["judge2"])
    assert torch.equal(out["judge1"], a(x).argmax(1) == 1)
    with pytest.raises(ValueError, match="`judges` is empty"):
        evaluate.judge_agreement({}, x, 1)


def test_bootstrap_interval_contains_the_median_and_is_deterministic():
    rng = np.random.default_rng(0)
    vals = rng.lognormal(size=100)
    est, lo, hi = evaluate.bootstrap_ci(vals)
    assert est == pytest.approx(np.median(vals))
    assert lo <= est <= hi and lo < hi
    assert evaluate.bootstrap_ci(vals) == (est, lo, hi)
    assert evaluate.bootstrap_ci(vals, seed=1) != (est, lo, hi)


def test_paired_bootstrap_uses_the_same_draws_for_every_method():
    rng = np.random.default_rng(0)
    a = rng.normal(size=40)
    out = evaluate.paired_bootstrap({"a": a, "a_plus_1": a + 1.0}, statistic="mean")
    # identical draws: the shifted method's interval is the original shifted by exactly 1
    assert out["a_plus_1"][1] == pytest.approx(out["a"][1] + 1.0)
    assert out["a_plus_1"][2] == pytest.approx(out["a"][2] + 1.0)


def test_paired_bootstrap_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        evaluate.paired_bootstrap({"a": [1, 2], "b": [1, 2, 3]})
    with pytest.raises(ValueError, match="`statistic` must be"):
        evaluate.paired_bootstrap({"a": [1, 2]}, statistic="mode")
    with pytest.raises(ValueError, match="`level` must be in"):
        evaluate.paired_bootstrap({"a": [1, 2]}, level=1.5)
