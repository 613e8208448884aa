"""Attribution maps through Captum (known answers) and the agreement of two maps."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from steerlens.evaluate import (
    ATTRIBUTION_METHODS,
    attribution_map,
    map_agreement,
)

pytest.importorskip("captum")


def linear(shape=(1, 6, 5), classes=3, seed=0):
    torch.manual_seed(seed)
    c, h, w = shape
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(c * h * w, classes))
    return net.double()


def small_nonlinear(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1),
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 3),
    ).double()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), target=st.integers(0, 2))
def test_linear_model_known_answers(seed, target):
    net = linear(seed=seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(3, 1, 6, 5, generator=g, dtype=torch.float64)
    w = net[1].weight[target].detach().view(1, 1, 6, 5)
    sal = attribution_map(net, x, target, "saliency")
    torch.testing.assert_close(sal, w.abs().expand_as(x))
    ig = attribution_map(net, x, target, "integrated_gradients", n_steps=4)
    torch.testing.assert_close(ig, x * w)  # exact: the gradient is constant
    gxi = attribution_map(net, x, target, "gradient_x_input")
    torch.testing.assert_close(gxi, x * w)
    # the gradient of a linear model does not depend on x: SmoothGrad = |w|
    sg = attribution_map(net, x, target, "smoothgrad", n_samples=3)
    torch.testing.assert_close(sg, w.abs().expand_as(x))


def test_linear_model_blurred_baseline_is_difference_times_weight():
    net = linear()
    x = torch.rand(2, 1, 6, 5, dtype=torch.float64)
    w = net[1].weight[2].detach().view(1, 1, 6, 5)
    base = torch.full_like(x, 0.5)
    ig = attribution_map(net, x, 2, baseline=base, n_steps=3)
    torch.testing.assert_close(ig, (x - base) * w)
    from steerlens.resample import gaussian_blur

    blurred = attribution_map(net, x, 2, baseline="blurred", blur_sigma=1.0)
    torch.testing.assert_close(blurred, (x - gaussian_blur(x, 1.0)) * w)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_integrated_gradients_is_complete_on_a_nonlinear_model(seed):
    net = small_nonlinear(seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2, 2, 6, 6, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 2])
    ig = attribution_map(net, x, t, "integrated_gradients", n_steps=64)
    with torch.no_grad():
        gap = net(x).gather(1, t[:, None])[:, 0] - net(torch.zeros_like(x))[:, 0 + t].diag()
    torch.testing.assert_close(ig.sum((1, 2, 3)), gap, atol=1e-6, rtol=1e-6)


def test_eval_mode_restored_inputs_untouched_and_deterministic():
    net = small_nonlinear().float()
    net.train()
    net[1].eval()  # mixed modes stay mixed
    x = torch.rand(2, 2, 6, 6)
    before = x.clone()
    state = torch.random.get_rng_state()
    a = attribution_map(net, x, 1, "smoothgrad", n_samples=4, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = attribution_map(net, x, 1, "smoothgrad", n_samples=4, seed=3)
    c = attribution_map(net, x, 1, "smoothgrad", n_samples=4, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(x, before)
    assert net.training and net[0].training and not net[1].training
    for method in ATTRIBUTION_METHODS:
        m = attribution_map(net, x, 1, method, n_steps=4, n_samples=2)
        assert m.shape == x.shape and torch.isfinite(m).all()


def test_attribution_errors_name_the_fix():
    net = linear().float()
    x = torch.rand(2, 1, 6, 5)
    with pytest.raises(ValueError, match="`method` must be one of 'saliency'"):
        attribution_map(net, x, 0, method="gradcam")
    with pytest.raises(ValueError, match="`baseline` must be 'black', 'blurred'"):
        attribution_map(net, x, 0, baseline="white")
    with pytest.raises(ValueError, match="`baseline` must have the images' shape"):
        attribution_map(net, x, 0, baseline=torch.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="outside the model's 3 classes"):
        attribution_map(net, x, 5)
    with pytest.raises(TypeError, match="`target` must hold integer"):
        attribution_map(net, x, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        attribution_map(net, x * 3, 0)
    with pytest.raises(ValueError, match="`n_steps`"):
        attribution_map(net, x, 0, n_steps=0)
    with pytest.raises(ValueError, match="`noise`"):
        attribution_map(net, x, 0, "smoothgrad", noise=-0.1)
    with pytest.raises(TypeError, match="`model` must be callable"):
        attribution_map("net", x, 0)


def test_missing_captum_names_the_install(monkeypatch):
    import importlib

    real = importlib.import_module

    def no_captum(name, *args, **kwargs):
        if name.startswith("captum"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_captum)
    with pytest.raises(ModuleNotFoundError, match="pip install captum"):
        attribution_map(linear().float(), torch.rand(1, 1, 6, 5), 0, "saliency")


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 10.0))
def test_agreement_of_a_map_with_itself_is_one(seed, scale):
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(2, 3, 16, 16, generator=g)
    agree = map_agreement(m, scale * m.abs().sum(1), top=0.1)
    torch.testing.assert_close(agree.rank_correlation, torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(agree.overlap, torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(agree.iou, torch.ones(2, dtype=torch.float64))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_agreement_of_independent_noise_is_chance(seed):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.rand(2, 4, 64, 64, generator=g)
    agree = map_agreement(a, b, top=0.1)
    # 4096 pixels: the rank correlation's standard error is 1/√4095 ≈ 0.016
    assert agree.rank_correlation.abs().max() < 0.08
    assert (agree.overlap - 0.1).abs().max() < 0.05  # chance: the top fraction
    assert abs(agree.top - 0.1) < 1e-3


def test_agreement_reversed_order_and_ties():
    v = torch.arange(100.0).view(10, 10)
    agree = map_agreement(v, 99 - v, top=0.2)
    torch.testing.assert_close(agree.rank_correlation, torch.tensor([-1.0], dtype=torch.float64))
    assert float(agree.overlap[0]) == 0.0 and float(agree.iou[0]) == 0.0
    # ties get their mean rank: a step map correlates with a ramp as Pearson of ranks
    step = (v >= 50).double()
    rho = float(map_agreement(step, v).rank_correlation[0])
    r = torch.arange(100.0, dtype=torch.float64)
    s = torch.where(r >= 50, 74.5, 24.5)
    expected = float(torch.corrcoef(torch.stack([r, s]))[0, 1])
    assert abs(rho - expected) < 1e-9


def test_agreement_errors():
    m = torch.rand(2, 8, 8)
    with pytest.raises(ValueError, match="`top` must be a fraction"):
        map_agreement(m, m, top=0.0)
    with pytest.raises(TypeError, match="`top` must be a number"):
        map_agreement(m, m, top="10%")
    with pytest.raises(ValueError, match="same images at the same size"):
        map_agreement(m, torch.rand(2, 8, 9))
    with pytest.raises(ValueError, match="constant on image 1"):
        map_agreement(m, torch.stack([m[0], torch.zeros(8, 8)]))
    with pytest.raises(ValueError, match="must be a map"):
        map_agreement(torch.rand(8), torch.rand(8))
    with pytest.raises(ValueError, match="NaN"):
        map_agreement(m, m.masked_fill(m > 0.5, float("nan")))
    with pytest.raises(TypeError, match="`a` must be a torch.Tensor"):
        map_agreement(m.numpy(), m)
