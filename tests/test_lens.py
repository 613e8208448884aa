"""Tests for steerlens.lens: gradients, one-step extrapolation, matched-budget edits."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import nn

import steerlens as sl
from steerlens.lens import EditResult, Gradient, MorphResult, SteerableLens
from steerlens.lens._objectives import objective_loss
from steerlens.transforms import Coefficients

DOMAINS = ["pixel", "fourier", "csp"]
COMPONENTS = ["phase", "amplitude", "joint"]


def _net(channels=1, size=16, classes=4, seed=0, dtype=torch.float32, device="cpu"):
    """A small smooth classifier (tanh, so finite differences see no kinks)."""
    gen = torch.Generator().manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(4 * size * size, classes),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return net.to(device=device, dtype=dtype).eval()


def _images(batch=2, channels=1, size=16, dtype=torch.float32, device="cpu"):
    # mid-range values, so small edits are never clipped
    return (0.25 + 0.5 * torch.rand(batch, channels, size, size, dtype=dtype)).to(device)


def _nll(model, images, target):
    return torch.nn.functional.cross_entropy(model(images), target, reduction="none")


def _nll_value(model, images, target) -> float:
    with torch.no_grad():
        return float(_nll(model, images, target).sum())


# ---------------------------------------------------------------------------
# identity, determinism, shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("color", ["rgb", "luminance"])
def test_alpha_zero_is_identity(domain, component, color, device):
    x = _images(channels=3, device=device)
    lens = SteerableLens(_net(3).to(device), domain=domain, component=component, color=color, height=2)
    frames = lens.extrapolate(x, 1, [0.0, 0.7, -0.7])
    assert frames.shape == (2, 3, 3, 16, 16) and frames.device == x.device
    assert (frames[:, 0] - x).abs().max() < 2e-5
    assert frames.min() >= 0 and frames.max() <= 1
    assert (frames[:, 1] - x).abs().max() > 1e-3  # α ≠ 0 does change the image


def test_extrapolation_is_deterministic(device):
    x = _images(channels=3, device=device)
    lens = SteerableLens(_net(3, device=device), component="joint", height=2)
    a = lens.extrapolate(x, torch.tensor([0, 3]), torch.linspace(0, 2, 5))
    b = lens.extrapolate(x, torch.tensor([0, 3]), torch.linspace(0, 2, 5))
    assert torch.equal(a, b)


def test_one_transform_per_image_shape_is_built_and_reused(device):
    lens = SteerableLens(_net(3, device=device), height=2)
    lens.extrapolate(_images(channels=3, device=device), 0, [0.0, 1.0])
    lens.edit(_images(batch=1, channels=3, device=device), 1, 0.2, max_steps=3)
    assert list(lens._transforms) == [(16, 16)]
    assert lens.transform((16, 16)) is lens.transform((16, 16))


def test_follows_input_dtype(device):
    x = _images(dtype=torch.float64, device=device)
    lens = SteerableLens(_net(dtype=torch.float64, device=device), height=2)
    frames = lens.extrapolate(x, 0, [0.0, 1.0])
    assert frames.dtype == torch.float64
    assert (frames[:, 0] - x).abs().max() < 1e-5


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------


def _edited_loss(model, transform, coeffs, target, delta=None, eta=None, shift=None):
    if shift is not None:
        edited = Coefficients([b + d for b, d in zip(coeffs.bands, shift, strict=True)], coeffs.fixed)
    else:
        edited = transform.polar_edit(coeffs, eta=eta, delta=delta)
    return _nll(model, transform.synthesize(edited), target).sum()


@pytest.mark.parametrize(
    "domain,component",
    [("csp", "phase"), ("csp", "amplitude"), ("csp", "joint"),
     ("fourier", "phase"), ("fourier", "amplitude"), ("pixel", "phase")],
)
def test_gradient_matches_finite_differences(domain, component, device):
    # float64 end to end: directional derivative along a random direction
    model = _net(3, dtype=torch.float64, device=device)
    x = _images(channels=3, dtype=torch.float64, device=device)
    target = torch.tensor([2, 0], device=device)
    lens = SteerableLens(model, domain=domain, component=component, normalize="none", height=2)
    g = lens.gradient(x, target)
    t = lens.transform((16, 16))
    c0 = t.analyze(x)
    gen = torch.Generator().manual_seed(1)

    def rand_like(b):
        shape = b.real.shape if b.is_complex() else b.shape
        return torch.randn(shape, generator=gen, dtype=torch.float64).to(b.device)

    r_delta = [rand_like(b) for b in c0.bands] if g.grad_phase is not None else None
    r_eta = [rand_like(b) for b in c0.bands] if g.grad_log_amplitude is not None else None
    r_shift = [rand_like(b) for b in c0.bands] if g.grad_pixel is not None else None
    analytic = sum(
        float((gr * r).sum())
        for grads, dirs in ((g.grad_phase, r_delta), (g.grad_log_amplitude, r_eta), (g.grad_pixel, r_shift))
        if grads is not None
        for gr, r in zip(grads, dirs, strict=True)
    )
    h = 1e-5

    def loss(eps):
        def scaled(rs):
            return (None if rs is None else [eps * r for r in rs])
        with torch.no_grad():
            return float(_edited_loss(model, t, c0, target, scaled(r_delta), scaled(r_eta), scaled(r_shift)))

    numeric = (loss(h) - loss(-h)) / (2 * h)
    assert abs(analytic) > 1e-4
    assert abs(numeric - analytic) < 1e-5 * abs(analytic) + 1e-8


@pytest.mark.parametrize("domain", ["csp", "fourier"])
def test_polar_gradients_match_the_complex_formula(domain, device):
    # METHOD §3: with g = ∂L/∂Re c + i ∂L/∂Im c, ∂L/∂δ = Im(g c̄⁰) and ∂L/∂η = Re(ḡ c⁰)
    model = _net(1, dtype=torch.float64, device=device)
    x = _images(channels=1, dtype=torch.float64, device=device)
    target = torch.tensor([1, 3], device=device)
    g = SteerableLens(model, domain=domain, component="joint", normalize="none", height=2).gradient(x, target)
    t = g.transform
    c0 = t.analyze(x)
    leaves = [b.clone().requires_grad_(True) for b in c0.bands]
    _nll(model, t.synthesize(Coefficients(leaves, c0.fixed)), target).sum().backward()
    for leaf, c, d_phase, d_amp in zip(leaves, c0.bands, g.grad_phase, g.grad_log_amplitude, strict=True):
        # the lens evaluates the model at x itself, the formula at S(c⁰) = x + O(1e-6)
        # (the float64 pyramid reconstructs to ~1e-15)
        tol = 1e-9 * float(d_phase.abs().max())
        assert (d_phase - (leaf.grad * c.conj()).imag).abs().max() < tol
        assert (d_amp - (leaf.grad.conj() * c).real).abs().max() < tol


@pytest.mark.parametrize("domain,component", [("csp", "phase"), ("csp", "joint"), ("fourier", "phase"), ("pixel", "phase")])
def test_small_step_lowers_loss_by_alpha_times_squared_gradient_norm(domain, component, device):
    model = _net(1, dtype=torch.float64, device=device)
    x = _images(batch=1, channels=1, dtype=torch.float64, device=device)
    three = torch.tensor([3], device=device)
    lens = SteerableLens(model, domain=domain, component=component, normalize="none", height=2)
    g = lens.gradient(x, 3)
    squared = sum(
        float((t ** 2).sum())
        for grads in (g.grad_phase, g.grad_log_amplitude, g.grad_pixel) if grads is not None
        for t in grads
    )
    alpha = 1e-3 / math.sqrt(squared)
    assert float(g.loss) == pytest.approx(_nll_value(model, x, three), rel=1e-12)
    # baseline: the α = 0 frame (x up to reconstruction error)
    loss0 = _nll_value(model, lens.apply(g, 0.0), three)
    loss1 = _nll_value(model, lens.apply(g, alpha), three)
    assert (loss0 - loss1) / (alpha * squared) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("domain", ["csp", "pixel"])
def test_per_image_targets_equal_single_image_calls(domain, device):
    model = _net(3, device=device)
    x = _images(batch=3, channels=3, device=device)
    target = torch.tensor([0, 2, 1])
    lens = SteerableLens(model, domain=domain, height=2)
    batch = lens.extrapolate(x, target, [0.0, 1.0, 2.0])
    grads = lens.gradient(x, target)
    for i in range(3):
        single = lens.extrapolate(x[i : i + 1], int(target[i]), [0.0, 1.0, 2.0])
        assert (batch[i : i + 1] - single).abs().max() < 1e-5
        one = lens.gradient(x[i : i + 1], int(target[i]))
        ours = grads.grad_phase if domain == "csp" else grads.grad_pixel
        theirs = one.grad_phase if domain == "csp" else one.grad_pixel
        for a, b in zip(ours, theirs, strict=True):
            assert torch.allclose(a[i : i + 1], b, rtol=1e-4, atol=1e-7)


def test_gradient_is_finite_on_a_constant_image(device):
    x = torch.full((1, 1, 16, 16), 0.5, device=device)
    for component in COMPONENTS:
        lens = SteerableLens(_net(device=device), component=component, height=2)
        g = lens.gradient(x, 1)
        for part in (g.grad_phase, g.grad_log_amplitude):
            for t in part or []:
                assert torch.isfinite(t).all()
        assert torch.isfinite(lens.extrapolate(x, 1, [0.0, 5.0])).all()


# ---------------------------------------------------------------------------
# amplification units and band weights
# ---------------------------------------------------------------------------


def test_l2_normalisation_makes_alpha_the_first_order_image_change(device):
    x = _images(channels=3, device=device)
    ones = torch.ones(2, device=device)
    for domain in DOMAINS:
        lens = SteerableLens(_net(3, device=device), domain=domain, component="joint", normalize="l2", height=2)
        g = lens.gradient(x, 1)
        assert torch.allclose(g.first_order_norm, ones, atol=1e-5)
        eps = 1e-3
        change = (lens.apply(g, eps) - lens.apply(g, -eps)).flatten(1).norm(dim=1) / (2 * eps)
        assert torch.allclose(change, ones, rtol=1e-2)


def test_max_step_normalisation_makes_the_largest_step_one(device):
    x = _images(channels=1, device=device)
    lens = SteerableLens(_net(device=device), component="joint", normalize="max_step", height=2)
    g = lens.gradient(x, 2)
    steps = [t for part in (g.step_phase, g.step_log_amplitude) for t in part]
    largest = torch.stack([t.abs().flatten(1).amax(1) for t in steps]).amax(0)
    assert torch.allclose(largest, torch.ones(2, device=device))
    px = SteerableLens(_net(device=device), domain="pixel", normalize="max_step").gradient(x, 2)
    assert torch.allclose(px.step_pixel[0].abs().flatten(1).amax(1), torch.ones(2, device=device))


def test_no_normalisation_uses_the_raw_negative_gradient(device):
    g = SteerableLens(_net(device=device), normalize="none", height=2).gradient(_images(device=device), 0)
    assert torch.equal(g.unit, torch.ones(2, device=device))
    for step, grad in zip(g.step_phase, g.grad_phase, strict=True):
        assert torch.equal(step, -grad)


def test_scale_weights_freeze_and_weight_bands(device):
    model = _net(device=device)
    x = _images(batch=1, device=device)
    lens = SteerableLens(model, height=2, normalize="none", scale_weights=[0.0, 2.0])
    g = lens.gradient(x, 1)
    assert g.step_phase[0] is None
    assert torch.equal(g.step_phase[1], -2.0 * g.grad_phase[1])
    t = g.transform
    c0 = t.analyze(x)
    reference = t.synthesize_plenoptic(
        t.polar_edit(c0, delta=[torch.zeros_like(c0.bands[0].real), 30.0 * g.step_phase[1]])
    ).clamp(0, 1)
    assert (lens.apply(g, 30.0) - reference).abs().max() < 1e-5
    per_orientation = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    g2 = SteerableLens(model, height=2, normalize="none", scale_weights=per_orientation).gradient(x, 1)
    assert g2.step_phase[1] is None
    assert torch.equal(g2.step_phase[0][:, :, 1:], torch.zeros_like(g2.step_phase[0][:, :, 1:]))
    assert torch.equal(g2.step_phase[0][:, :, 0], -g2.grad_phase[0][:, :, 0])


@pytest.mark.parametrize("normalize, downsample", [("none", False), ("l2", False), ("l2", True)])
def test_tight_frame_changes_amplitudes_not_phases_or_edits(normalize, downsample, device):
    """A tight-frame pyramid's bands are the default's times one constant per scale: the same phases,
    the same ∂L/∂δ, the same frames; the amplitudes (and their gradient) rescale."""
    model = _net(device=device)
    x = _images(batch=2, device=device)
    plain = SteerableLens(model, height=2, normalize=normalize, downsample=downsample)
    tight = SteerableLens(model, height=2, normalize=normalize, downsample=downsample,
                          tight_frame=True)
    assert tight.transform((16, 16)).tight_frame and not plain.transform((16, 16)).tight_frame
    gp, gt = plain.gradient(x, 1), tight.gradient(x, 1)
    for a, b in zip(gp.grad_phase, gt.grad_phase, strict=True):
        assert torch.allclose(a, b, atol=1e-5 * float(a.abs().max()))
    for bp, bt in zip(gp.coefficients.bands, gt.coefficients.bands, strict=True):
        big = bp.abs() > 1e-3 * float(bp.abs().max())
        ratio = bt[big] / bp[big]  # one real constant per scale, not 1
        assert float((ratio - ratio.real.mean()).abs().max()) < 1e-4 * float(ratio.real.mean())
        assert abs(float(ratio.real.mean()) - 1) > 0.1
    frames_p = plain.extrapolate(x, 1, [0.5, 2.0])
    frames_t = tight.extrapolate(x, 1, [0.5, 2.0])
    assert (frames_p - frames_t).abs().max() < 1e-5
    with pytest.raises(ValueError, match="`tight_frame` .* needs domain='csp'"):
        SteerableLens(model, domain="pixel", tight_frame=True)
    with pytest.raises(TypeError, match="`tight_frame` must be True or False"):
        SteerableLens(model, tight_frame=1)


# ---------------------------------------------------------------------------
# the sweep
# ---------------------------------------------------------------------------


@pytest.fixture(params=["frame by frame", "batched"])
def sweep_path(request, monkeypatch):
    """Run a test on both sweep paths (large sweeps loop, small ones batch)."""
    monkeypatch.setattr(sl.lens._line, "BATCH_ELEMENTS", 0 if request.param == "frame by frame" else 10**9)
    return request.param


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("downsample", [False, True])
def test_sweep_equals_reference_synthesis_of_every_frame(component, downsample, sweep_path, device):
    # The fast paths (real parts, rfft filters, three-term recurrence or one batch)
    # against the definition: plenoptic's recon of c⁰·exp(αv + iαu), clipped.
    x = _images(batch=2, channels=3, size=32, device=device)
    lens = SteerableLens(_net(3, size=32, device=device), component=component, downsample=downsample)
    g = lens.gradient(x, torch.tensor([1, 2]))
    t, c0 = g.transform, g.coefficients
    # equally spaced (the recurrence; α = 0 first, second, or absent) and not
    for alphas in (
        torch.linspace(-1.0, 4.5, 12, device=device),
        torch.tensor([-0.5, 0.0, 0.5, 1.0], device=device),
        torch.linspace(0.0, 3.0, 5, device=device),
        torch.tensor([0.0, 0.3, 2.0, 2.1, 5.0], device=device),
    ):
        frames = lens.frames_from_gradient(g, alphas)
        # the reference for all K frames in one recon_pyr call: batch K·B, frame-major
        k = len(alphas)
        a = alphas.view(k, 1, 1, 1, 1, 1)
        stacked = Coefficients(
            [b.expand(k, *b.shape).flatten(0, 1) for b in c0.bands],
            {name: v.expand(k, *v.shape).flatten(0, 1) for name, v in c0.fixed.items()},
        )
        eta = None if g.step_log_amplitude is None else [(a * v).flatten(0, 1) for v in g.step_log_amplitude]
        delta = None if g.step_phase is None else [(a * u).flatten(0, 1) for u in g.step_phase]
        unclipped = t.synthesize_plenoptic(t.polar_edit(stacked, eta=eta, delta=delta))
        unclipped = unclipped.view(k, *x.shape).transpose(0, 1)
        for j in range(k):
            # float32: relative to the size of the (amplitude-amplified) image before clipping
            tol = 2e-5 * max(1.0, float(unclipped[:, j].abs().max()))
            assert (frames[:, j] - unclipped[:, j].clamp(0, 1)).abs().max() < tol, (alphas, j)


def test_long_equally_spaced_sweep_does_not_drift(monkeypatch, device):
    monkeypatch.setattr(sl.lens._line, "BATCH_ELEMENTS", 0)  # the recurrence
    x = _images(batch=1, channels=1, size=32, device=device)
    lens = SteerableLens(_net(1, size=32, device=device), component="joint")
    g = lens.gradient(x, 0)
    alphas = torch.linspace(0, 20, 60)
    frames = lens.frames_from_gradient(g, alphas)
    direct = torch.stack([lens.apply(g, float(a)) for a in alphas[-3:]], dim=1)
    assert (frames[:, -3:] - direct).abs().max() < 2e-5


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("color", ["rgb", "luminance"])
def test_sweep_equals_direct_frames_in_every_domain_and_color(domain, color, sweep_path, device):
    x = _images(batch=2, channels=3, device=device)
    # (amplitude edits of the CSP grow exponentially: their float32 error is tested,
    # relative to their size, against the reference above)
    component = "phase" if domain == "csp" else "joint"
    lens = SteerableLens(_net(3, device=device), domain=domain, component=component, color=color)
    g = lens.gradient(x, 1)
    alphas = torch.linspace(0, 3, 4)
    frames = lens.frames_from_gradient(g, alphas)
    for k, a in enumerate(alphas.tolist()):
        assert torch.allclose(frames[:, k], lens.apply(g, a), atol=1e-6)
    per_image = lens.apply(g, torch.tensor([0.0, 3.0]))
    assert torch.allclose(per_image[0], frames[0, 0]) and torch.allclose(per_image[1], frames[1, 3])


def test_phase_cap_clamps_every_phase_change(device):
    x = _images(batch=1, channels=1, device=device)
    lens = SteerableLens(_net(device=device), normalize="none", height=2)
    g = lens.gradient(x, 1)
    t, c0 = g.transform, g.coefficients
    alpha, cap = 400.0, 0.2
    reference = t.synthesize_plenoptic(
        t.polar_edit(c0, delta=[(alpha * u).clamp(-cap, cap) for u in g.step_phase])
    ).clamp(0, 1)
    assert (lens.apply(g, alpha, phase_cap=cap) - reference).abs().max() < 1e-5
    assert (lens.apply(g, alpha) - reference).abs().max() > 1e-3


def test_luminance_edits_keep_the_chroma(device):
    x = _images(batch=1, channels=3, device=device)
    lens = SteerableLens(_net(3, device=device), color="luminance", height=2)
    frame = lens.extrapolate(x, 0, [0.5])[:, 0]
    assert torch.allclose(sl.transforms.rgb_to_yiq(frame)[:, 1:], sl.transforms.rgb_to_yiq(x)[:, 1:], atol=1e-5)
    assert (frame - x).abs().max() > 1e-3


def test_preprocess_is_applied_before_the_model(device):
    model = _net(3, device=device)
    x = _images(batch=1, channels=3, device=device)

    def normalise(images):
        return (images - 0.5) / 0.25

    with_pre = SteerableLens(model, preprocess=normalise, height=2).extrapolate(x, 1, [0.0, 1.0])
    composed = SteerableLens(lambda z: model(normalise(z)), height=2).extrapolate(x, 1, [0.0, 1.0])
    assert torch.equal(with_pre, composed)
    plain = SteerableLens(model, height=2).extrapolate(x, 1, [0.0, 1.0])
    assert (plain[:, 1] - with_pre[:, 1]).abs().max() > 1e-4


# ---------------------------------------------------------------------------
# morph
# ---------------------------------------------------------------------------


def test_morph_frames_probabilities_and_alphas(device):
    model = _net(3, device=device)
    x = _images(batch=2, channels=3, device=device)
    lens = SteerableLens(model, height=2)
    m = lens.morph(x, torch.tensor([1, 3]), n_frames=5, alpha=0.5)
    assert isinstance(m, MorphResult)
    assert m.frames.shape == (2, 5, 3, 16, 16) and m.probs.shape == (2, 5, 4)
    assert torch.allclose(m.alphas.cpu(), torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]))
    assert torch.equal(m.frames, lens.extrapolate(x, torch.tensor([1, 3]), m.alphas))
    with torch.no_grad():
        expected = model(m.frames[:, 2]).softmax(1)
    assert torch.allclose(m.probs[:, 2], expected, atol=1e-6)
    assert torch.allclose(m.target_probs[:, 2], expected[[0, 1], [1, 3]], atol=1e-6)
    assert m.target_probs[:, 1].gt(m.target_probs[:, 0]).all()  # a small step helps the target


# ---------------------------------------------------------------------------
# matched-budget edits
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("regime", ["fixed", "live", "persistent"])
@pytest.mark.parametrize("domain", DOMAINS)
def test_edit_stops_at_the_budget(regime, domain, device):
    x = _images(batch=2, channels=1, device=device)
    lens = SteerableLens(_net(device=device), domain=domain, height=2)
    budget = torch.tensor([0.3, 0.6], device=device)  # within reach of a one-step phase line on 16×16
    e = lens.edit(x, torch.tensor([1, 2]), budget, regime=regime, max_steps=40)
    assert isinstance(e, EditResult) and e.regime == regime
    assert e.attained.all()
    # the documented contract: ‖x − x⁰‖₂ ∈ [budget, budget·(1 + rtol)], rtol = 1e-4
    assert (e.distance >= budget).all() and (e.distance <= budget * (1 + 1e-4)).all()
    assert torch.equal(e.distance, (e.images - x).flatten(1).norm(dim=1))
    assert e.images.min() >= 0 and e.images.max() <= 1
    assert e.path.shape[:2] == e.path_distance.shape and torch.equal(e.path[:, -1], e.images)
    assert (e.path_distance[:, :-1] <= budget[:, None] * 1.0001).all()
    with torch.no_grad():
        source_prob = _net(device=device)(x).softmax(1)[[0, 1], [1, 2]]
    assert (e.target_prob > source_prob).all()
    if regime == "fixed":
        assert e.steps.tolist() == [1, 1]
    else:
        assert (e.steps > 1).all()


def test_edit_reports_an_unreachable_budget(device):
    x = _images(batch=1, channels=1, device=device)
    lens = SteerableLens(_net(device=device), height=2)
    e = lens.edit(x, 1, budget=100.0, regime="persistent", max_steps=3)  # ‖x − x⁰‖ ≤ 16 on 16×16
    assert not e.attained.any() and e.steps.tolist() == [3] and (e.distance < 100).all()
    f = lens.edit(x, 1, budget=100.0, regime="fixed", max_steps=3)
    assert not f.attained.any()


def test_edit_with_phase_cap_and_explicit_step_size(device):
    x = _images(batch=1, channels=1, device=device)
    lens = SteerableLens(_net(device=device), height=2, normalize="max_step")
    capped = lens.edit(x, 1, budget=1.0, regime="persistent", phase_cap=0.05, step_size=0.5, max_steps=200)
    free = lens.edit(x, 1, budget=1.0, regime="persistent", step_size=0.5, max_steps=200)
    assert capped.attained.all() and free.attained.all()
    assert capped.steps.item() > free.steps.item()  # small phase steps need more of them


def test_persistent_and_live_differ_from_fixed(device):
    x = _images(batch=1, channels=1, device=device)
    lens = SteerableLens(_net(device=device), height=2)
    fixed = lens.edit(x, 1, budget=0.5, regime="fixed", max_steps=30)
    persistent = lens.edit(x, 1, budget=0.5, regime="persistent", max_steps=30)
    live = lens.edit(x, 1, budget=0.5, regime="live", max_steps=30)
    assert fixed.attained.all() and persistent.attained.all() and live.attained.all()
    assert (fixed.images - persistent.images).abs().max() > 1e-3
    assert (live.images - persistent.images).abs().max() > 1e-4


# ---------------------------------------------------------------------------
# the model's mode
# ---------------------------------------------------------------------------


def _bn_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(4 * 16 * 16, 3),
    )


def test_training_model_is_switched_to_eval_with_one_warning_and_restored(device):
    model = _bn_model().to(device)
    model.train()
    model[2].eval()  # a submodule with its own mode must get it back
    x = _images(batch=2, device=device)
    lens = SteerableLens(model, height=2)
    with pytest.warns(UserWarning, match="training mode"):
        first = lens.extrapolate(x, 1, [0.0, 1.0])
    assert model.training and model[1].training and not model[2].training
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = lens.extrapolate(x, 1, [0.0, 1.0])  # warned once per lens
        m = lens.morph(x, 1, alpha=1.0, n_frames=2)
    assert torch.equal(first, second)  # eval mode: no dropout, running statistics
    model.eval()
    assert torch.equal(SteerableLens(model, height=2).extrapolate(x, 1, [0.0, 1.0]), first)
    assert torch.equal(m.frames, first)


def test_model_in_eval_mode_gives_no_warning_and_keeps_its_mode(device):
    model = _bn_model().to(device).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SteerableLens(model, height=2).gradient(_images(device=device), 0)
    assert not model.training


def test_model_parameter_gradients_are_left_alone(device):
    model = _net(device=device)
    SteerableLens(model, height=2).gradient(_images(device=device), 0)
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------------------
# objectives
# ---------------------------------------------------------------------------


def test_objectives(device):
    logits = torch.tensor([[1.0, 3.0, -2.0], [0.5, 0.0, 4.0]], device=device)
    target = torch.tensor([0, 1], device=device)

    def expected(values):
        return torch.tensor(values, device=device)

    assert torch.allclose(objective_loss(logits, target, "nll"), nn.functional.cross_entropy(logits, target, reduction="none"))
    assert torch.equal(objective_loss(logits, target, "logit"), expected([-1.0, -0.0]))
    assert torch.equal(objective_loss(logits, target, "margin"), expected([2.0, 4.0]))
    assert torch.equal(objective_loss(logits, target, "margin", torch.tensor([2, 0], device=device)), expected([-3.0, 0.5]))


@pytest.mark.parametrize("objective", ["logit", "margin"])
def test_other_objectives_drive_toward_the_target(objective, device):
    model = _net(device=device)
    x = _images(batch=1, device=device)
    lens = SteerableLens(model, objective=objective, height=2)
    m = lens.morph(x, 2, alpha=0.3, n_frames=3)
    assert m.target_probs[0, 1] > m.target_probs[0, 0]
    g = lens.gradient(x, 2)
    logits = model(x)
    if objective == "logit":
        assert torch.allclose(g.loss, -logits[:, 2])
    else:
        others = torch.cat([logits[:, :2], logits[:, 3:]], dim=1).max(1).values
        assert torch.allclose(g.loss, others - logits[:, 2])
        with_source = SteerableLens(model, objective="margin", height=2).gradient(x, 2, source=0)
        assert torch.allclose(with_source.loss, logits[:, 0] - logits[:, 2])


# ---------------------------------------------------------------------------
# the known answer: a classifier that separates classes by the position of a blob
# ---------------------------------------------------------------------------

_N = 32
_YY, _XX = torch.meshgrid(torch.arange(_N, dtype=torch.float32), torch.arange(_N, dtype=torch.float32), indexing="ij")


def _blob(cx, sigma):
    return torch.exp(-((_YY - _N / 2) ** 2 + (_XX - cx) ** 2) / (2 * sigma ** 2))


class _BlobSide(nn.Module):
    """Class 0: a blob on the left (x = 10); class 1: on the right (x = 22). Template correlation."""

    def __init__(self):
        super().__init__()
        self.register_buffer("templates", torch.stack([_blob(10, 6.0), _blob(22, 6.0)]))

    def forward(self, x):
        return torch.einsum("bchw,khw->bk", x, self.templates) / (2 * math.pi * 36) * 10


def _peaks(image, background=0.1, fraction=0.3):
    """Local maxima (5×5) rising above `fraction` of the highest one, as x positions."""
    q = image[0].cpu() - background
    local = nn.functional.max_pool2d(q[None, None], 5, 1, 2)[0, 0]
    ys, xs = torch.nonzero((q == local) & (q > fraction * q.max()), as_tuple=True)
    return xs.tolist()


def _centroid_x(image, background=0.1):
    q = (image[0].cpu() - background).clamp_min(0)
    return float((q * _XX).sum() / q.sum())


def test_known_answer_phase_moves_the_blob_pixels_fade_in_another(device):
    model = _BlobSide().to(device).eval()
    x = (0.1 + 0.8 * _blob(10, 2.0))[None, None].to(device)
    phase = SteerableLens(model, domain="csp", component="phase").morph(x, 1, n_frames=12, alpha=0.5)
    pixel = SteerableLens(model, domain="pixel").morph(x, 1, n_frames=12, alpha=0.5)
    # CSP phase: one blob in every frame, and it travels toward the target side
    assert all(len(_peaks(f)) == 1 for f in phase.frames[0])
    travel = max(_centroid_x(f) for f in phase.frames[0]) - _centroid_x(x[0])
    assert travel > 1.0
    assert phase.target_probs[0].max() > phase.target_probs[0, 0]
    # pixels: the source blob stays put while a second one fades in on the target side
    two = [sorted(_peaks(f)) for f in pixel.frames[0] if len(_peaks(f)) == 2]
    assert two, "pixel extrapolation never showed two blobs"
    left, right = two[-1]
    assert abs(left - 10) <= 1 and abs(right - 22) <= 2


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_bad_settings_raise():
    model = _net()
    with pytest.raises(ValueError, match="`domain` must be one of 'pixel', 'fourier', 'csp', 'flow'; got 'wavelet'"):
        SteerableLens(model, domain="wavelet")
    with pytest.raises(ValueError, match="`component` must be one of"):
        SteerableLens(model, component="magnitude")
    with pytest.raises(ValueError, match="`objective` must be one of 'nll', 'logit', 'margin'"):
        SteerableLens(model, objective="hinge")
    with pytest.raises(ValueError, match="`normalize` must be one of"):
        SteerableLens(model, normalize="unit")
    with pytest.raises(ValueError, match="`color` must be one of"):
        SteerableLens(model, color="hsv")
    with pytest.raises(TypeError, match="`model` must be callable"):
        SteerableLens("resnet")
    with pytest.raises(TypeError, match="`preprocess` must be callable"):
        SteerableLens(model, preprocess=0.5)
    with pytest.raises(ValueError, match="need domain='csp'"):
        SteerableLens(model, domain="pixel", scale_weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="all zero"):
        SteerableLens(model, scale_weights=[0.0, 0.0])
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        SteerableLens(model, scale_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="order\\+1 = 4 orientations"):
        SteerableLens(model, scale_weights=torch.ones(2, 3))
    with pytest.raises(ValueError, match="has 3 scales but the pyramid for 16×16 images has height=2"):
        SteerableLens(model, scale_weights=[1.0, 1.0, 1.0]).gradient(_images(), 0)
    with pytest.raises(ValueError, match="`height`=4 is too large"):
        SteerableLens(model, height=4).gradient(_images(), 0)


@pytest.mark.parametrize("domain", DOMAINS)
def test_bad_images_raise(domain, device):
    lens = SteerableLens(_net(device=device), domain=domain)

    def rand(*shape):
        return torch.rand(*shape, device=device)

    with pytest.raises(ValueError, match="4-D tensor"):
        lens.gradient(rand(1, 16, 16), 0)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        lens.gradient(rand(1, 4, 16, 16), 0)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        lens.extrapolate(rand(1, 1, 16, 16) * 2, 0, [0.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        lens.morph(torch.full((1, 1, 16, 16), float("nan"), device=device), 0, alpha=1.0)
    with pytest.raises(TypeError, match="floating-point dtype"):
        lens.edit(torch.ones(1, 1, 16, 16, dtype=torch.int64, device=device), 0, 1.0)
    if domain != "pixel":
        with pytest.raises(ValueError, match="even height and width"):
            lens.gradient(rand(1, 1, 15, 16), 0)
        with pytest.raises(ValueError, match="at least 8×8"):
            lens.gradient(rand(1, 1, 6, 6), 0)


def test_bad_targets_raise(device):
    lens = SteerableLens(_net(classes=4, device=device), height=2)
    x = _images(batch=2, device=device)
    with pytest.raises(ValueError, match="outside the model's 4 classes"):
        lens.gradient(x, 4)
    with pytest.raises(ValueError, match="outside the model's 4 classes"):
        lens.extrapolate(x, torch.tensor([0, -1]), [0.0])
    with pytest.raises(ValueError, match="one class per image \\(length 2\\)"):
        lens.gradient(x, torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class indices"):
        lens.gradient(x, torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="got bool"):
        lens.gradient(x, True)
    with pytest.raises(TypeError, match="class index"):
        lens.gradient(x, "cat")


def test_bad_models_raise(device):
    x = _images(batch=2, device=device)
    net = _net(device=device)
    with pytest.raises(ValueError, match="logits of shape B×classes = 2×classes"):
        SteerableLens(lambda z: z.flatten(1).sum(1), height=2).gradient(x, 0)
    with pytest.raises(ValueError, match="got shape \\(1, 4\\)"):
        SteerableLens(lambda z: net(z)[:1], height=2).gradient(x, 0)
    with pytest.raises(TypeError, match="tensor of logits"):
        SteerableLens(lambda z: (net(z),), height=2).gradient(x, 0)
    with pytest.raises(ValueError, match="at least 2 class logits"):
        SteerableLens(lambda z: net(z)[:, :1], height=2).gradient(x, 0)


def test_bad_call_arguments_raise(device):
    model = _net(device=device)
    lens = SteerableLens(model, height=2)
    x = _images(batch=2, device=device)
    g = lens.gradient(x, 0)
    with pytest.raises(ValueError, match="`alphas` contains NaN"):
        lens.extrapolate(x, 0, [0.0, float("nan")])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        lens.frames_from_gradient(g, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        lens.frames_from_gradient(g, [])
    with pytest.raises(TypeError, match="sequence of numbers"):
        lens.frames_from_gradient(g, "fast")
    with pytest.raises(TypeError, match="must be a Gradient"):
        lens.apply(x, 1.0)
    with pytest.raises(ValueError, match="one value per image \\(2\\)"):
        lens.apply(g, torch.ones(3))
    with pytest.raises(ValueError, match="must be finite"):
        lens.apply(g, float("inf"))
    with pytest.raises(TypeError, match="`alpha` must be a number"):
        lens.morph(x, 0, alpha="big")
    with pytest.raises(ValueError, match="`n_frames` must be ≥ 2"):
        lens.morph(x, 0, alpha=1.0, n_frames=1)
    with pytest.raises(ValueError, match="`budget` must be finite and > 0"):
        lens.edit(x, 0, budget=0.0)
    with pytest.raises(ValueError, match="`budget` must be finite and > 0"):
        lens.edit(x, 0, budget=torch.tensor([1.0, -1.0], device=device))
    with pytest.raises(ValueError, match="one per image \\(2\\)"):
        lens.edit(x, 0, budget=torch.ones(3))
    with pytest.raises(ValueError, match="`regime` must be one of 'fixed', 'live', 'persistent'"):
        lens.edit(x, 0, budget=1.0, regime="adam")
    with pytest.raises(ValueError, match="`phase_cap` must be finite and > 0"):
        lens.edit(x, 0, budget=1.0, phase_cap=-1.0)
    with pytest.raises(ValueError, match="`max_steps` must be ≥ 1"):
        lens.edit(x, 0, budget=1.0, max_steps=0)
    with pytest.raises(ValueError, match="limits phase steps"):
        SteerableLens(model, domain="pixel").edit(x, 0, budget=1.0, phase_cap=0.5)
    with pytest.raises(ValueError, match="only used by objective='margin'"):
        lens.gradient(x, 0, source=1)
    margin = SteerableLens(model, objective="margin", height=2)
    with pytest.raises(ValueError, match="`source` equals `target`"):
        margin.gradient(x, 1, source=1)
    with pytest.raises(ValueError, match="`source` holds class 9"):
        margin.gradient(x, 1, source=9)


def test_public_names():
    assert sl.SteerableLens is SteerableLens and sl.MorphResult is MorphResult and sl.EditResult is EditResult
    assert sl.Gradient is Gradient and "Gradient" in sl.__all__
    assert set(sl.lens.__all__) == {"SteerableLens", "Gradient", "MorphResult", "EditResult"}
    assert isinstance(SteerableLens(_net(), height=2).gradient(_images(), 0), Gradient)
