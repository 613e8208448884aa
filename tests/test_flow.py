"""steerlens.flow: the displacement implied by phase changes across pyramid bands."""

from __future__ import annotations

import math

import pytest
import torch

import steerlens as sl
from steerlens import flow, signals
from steerlens.data import render_blobs
from steerlens.transforms import CSP, Coefficients, Fourier


def _texture(size: int = 64, channels: int = 1, seed: int = 0, device="cpu") -> torch.Tensor:
    """Smoothed white noise in [0, 1]: a broadband, periodic texture."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, channels, size, size, generator=g, dtype=torch.float64)
    x = flow._gaussian_pool(x, 1.0)
    return (0.5 + 0.1 * x / x.std()).clamp(0, 1).float().to(device)


def _translation_phase(csp: CSP, d, device="cpu") -> list[torch.Tensor]:
    """The phase change −ωᵀd of every band for a translation by d (band centre frequencies)."""
    w = csp.band_frequencies().to(device)
    d = torch.as_tensor(d, dtype=torch.float32, device=device)
    return [-(w[s] @ d).view(1, 1, -1, 1, 1) for s in range(csp.height)]


# --------------------------------------------------------------------------------------
# the known answer: a translated texture gives back d
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [(0.3, -0.5), (1.0, 0.7), (-2.0, 2.5), (0.0, 3.5)])
def test_known_translation_of_a_texture_gives_back_d(d, device):
    x0 = _texture(device=device)
    x1 = signals.translate(x0, d).clamp(0, 1)
    field = flow.measure_displacement(x0, x1)
    assert field.displacement.device.type == device.type
    truth = torch.tensor(d, device=device).view(1, 2, 1, 1)
    error = (field.displacement - truth).norm(dim=1)
    magnitude = math.hypot(*d)
    assert (field.mean()[0].cpu() - torch.tensor(d)).norm() < 0.03 + 0.03 * magnitude
    assert float(error.median()) < 0.05 + 0.05 * magnitude
    assert float(field.overall_coherence()) > 0.9


def test_coarse_to_fine_unwraps_motions_beyond_the_finest_half_wavelength(device):
    x0 = _texture(device=device)
    x1 = signals.translate(x0, (0.0, 3.0)).clamp(0, 1)
    wrapped = flow.measure_displacement(x0, x1, coarse_to_fine=False)
    unwrapped = flow.measure_displacement(x0, x1, coarse_to_fine=True)
    assert abs(float(unwrapped.mean()[0, 1]) - 3.0) < 0.15
    assert abs(float(wrapped.mean()[0, 1]) - 3.0) > 1.0  # the finest scale wraps on its own
    assert float(unwrapped.overall_coherence()) > float(wrapped.overall_coherence()) + 0.3


def test_local_frequencies_beat_band_centres_on_a_broadband_texture(device):
    x0 = _texture(device=device)
    x1 = signals.translate(x0, (0.0, 0.8)).clamp(0, 1)
    local = float(flow.measure_displacement(x0, x1, frequencies="local").mean()[0, 1])
    band = float(flow.measure_displacement(x0, x1, frequencies="band").mean()[0, 1])
    assert abs(local - 0.8) < 0.04
    assert abs(band - 0.8) > abs(local - 0.8)


def test_moved_blob_gives_back_its_offset(device):
    offsets = torch.tensor([-2.5, -1.0, 0.5])
    sigma = torch.tensor([1.6, 2.0, 2.4])
    x0 = render_blobs(offsets, sigma=sigma).to(device)
    x1 = render_blobs(offsets + 1.5, sigma=sigma).to(device)
    field = flow.measure_displacement(x0, x1)
    assert torch.allclose(field.mean()[:, 1], torch.full((3,), 1.5, device=device), atol=0.1)
    assert field.mean()[:, 0].abs().max() < 0.05
    assert bool((field.overall_coherence() > 0.95).all())


def test_colour_channels_are_pooled(device):
    x0 = _texture(channels=3, device=device)
    x1 = signals.translate(x0, (0.4, -0.6)).clamp(0, 1)
    field = flow.measure_displacement(x0, x1)
    assert tuple(field.displacement.shape) == (1, 2, 64, 64)
    assert torch.allclose(field.mean()[0].cpu(), torch.tensor([0.4, -0.6]), atol=0.05)


def test_downsampled_pyramid_gives_back_d(device):
    x0 = _texture(device=device)
    x1 = signals.translate(x0, (0.5, 1.0)).clamp(0, 1)
    csp = CSP((64, 64), height=3, downsample=True).to(device)
    field = flow.measure_displacement(x0, x1, transform=csp)
    assert torch.allclose(field.mean()[0].cpu(), torch.tensor([0.5, 1.0]), atol=0.1)
    assert float(field.overall_coherence()) > 0.85


# --------------------------------------------------------------------------------------
# implied_displacement on given phase changes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("weighting", ["amplitude", "energy", "none"])
def test_exact_translation_phase_is_exact_with_band_frequencies(weighting, device):
    csp = CSP((32, 32), height=3).to(device)
    coeffs = csp.analyze(_texture(32, device=device))
    d = (0.25, -0.6)
    field = flow.implied_displacement(
        csp, coeffs, _translation_phase(csp, d, device), frequencies="band", weighting=weighting
    )
    truth = torch.tensor(d, device=device).view(1, 2, 1, 1)
    assert torch.allclose(field.displacement, truth.expand_as(field.displacement),
                          atol=2e-3)
    assert float(field.coherence.min()) > 0.999


def test_implied_displacement_is_linear_in_the_phase_change(device):
    csp = CSP((32, 32), height=3).to(device)
    coeffs = csp.analyze(_texture(32, seed=3, device=device))
    g = torch.Generator().manual_seed(1)
    dphi = [0.1 * torch.randn(b.shape, generator=g).to(device) for b in coeffs.bands]
    one = flow.implied_displacement(csp, coeffs, dphi)
    three = flow.implied_displacement(csp, coeffs, [-3 * p for p in dphi])
    assert torch.allclose(three.displacement, -3 * one.displacement, atol=1e-4)
    assert torch.allclose(three.coherence, one.coherence, atol=1e-4)


def test_random_phase_changes_are_incoherent(device):
    csp = CSP((32, 32), height=3).to(device)
    coeffs = csp.analyze(_texture(32, seed=4, device=device))
    g = torch.Generator().manual_seed(2)
    dphi = [0.3 * torch.randn(b.shape, generator=g).to(device) for b in coeffs.bands]
    field = flow.implied_displacement(csp, coeffs, dphi)
    assert float(field.overall_coherence()) < 0.15
    phase = _translation_phase(csp, (0.0, 0.3), device)
    translation = flow.implied_displacement(csp, coeffs, phase, frequencies="band")
    assert float(translation.overall_coherence()) > 0.99


def test_scales_that_disagree_lower_the_coherence(device):
    csp = CSP((32, 32), height=3).to(device)
    coeffs = csp.analyze(_texture(32, seed=5, device=device))
    right = _translation_phase(csp, (0.0, 0.5), device)
    left = _translation_phase(csp, (0.0, -0.5), device)
    mixed = [right[0], left[1], right[2]]
    field = flow.implied_displacement(csp, coeffs, mixed, frequencies="band")
    assert float(field.overall_coherence()) < 0.8
    # leaving a scale out (None) fits the others only
    only_coarse = flow.implied_displacement(csp, coeffs, [None, None, right[2]], frequencies="band")
    assert torch.allclose(only_coarse.mean()[0].cpu(), torch.tensor([0.0, 0.5]), atol=1e-3)


def test_no_structure_gives_zero_displacement_and_no_nan(device):
    csp = CSP((32, 32), height=3).to(device)
    flat = csp.analyze(torch.full((2, 1, 32, 32), 0.5, device=device))
    dphi = [torch.ones(b.shape, device=device) for b in flat.bands]
    field = flow.implied_displacement(csp, flat, dphi)
    for t in (field.displacement, field.coherence, field.support, field.residual):
        assert bool(torch.isfinite(t).all())
    assert float(field.displacement.abs().max()) < 1e-3
    assert torch.equal(field.mean().cpu(), torch.zeros(2, 2)) or float(field.mean().abs().max()) < 1e-3


def test_mean_and_coherence_respect_a_mask(device):
    csp = CSP((32, 32), height=3).to(device)
    coeffs = csp.analyze(_texture(32, seed=6, device=device))
    phase = _translation_phase(csp, (0.0, 0.4), device)
    field = flow.implied_displacement(csp, coeffs, phase, frequencies="band")
    mask = torch.zeros(32, 32, dtype=torch.bool, device=device)
    mask[8:16, 8:16] = True
    assert torch.allclose(field.mean(mask)[0].cpu(), torch.tensor([0.0, 0.4]), atol=2e-3)
    assert float(field.overall_coherence(mask)) > 0.99
    with pytest.raises(ValueError, match="`where` must broadcast"):
        field.mean(torch.ones(5, 5, device=device))


# --------------------------------------------------------------------------------------
# lens gradients
# --------------------------------------------------------------------------------------


class _ColumnMoment(torch.nn.Module):
    """Logit of class 1 = the blob's mean column (class 0: minus it): 'move right' = class 1."""

    def forward(self, x):
        cols = torch.arange(x.shape[-1], dtype=x.dtype, device=x.device) - (x.shape[-1] - 1) / 2
        mass = (x - x.mean(dim=(-2, -1), keepdim=True)).clamp_min(0)
        moment = (mass * cols).sum(dim=(-3, -2, -1)) / mass.sum(dim=(-3, -2, -1)).clamp_min(1e-6)
        return torch.stack([-moment, moment], dim=1)


def test_edit_displacement_of_a_position_readout_points_the_right_way(device):
    x = render_blobs([-2.0], sigma=2.0).to(device)
    lens = sl.SteerableLens(_ColumnMoment().eval(), domain="csp", component="phase", objective="logit")
    grad = lens.gradient(x, 1)
    field = flow.edit_displacement(grad, alpha=1.0)
    mean = field.mean()[0]
    assert float(mean[1]) > 0.1  # to the right, towards class 1
    assert abs(float(mean[0])) < 0.2 * float(mean[1])
    # the other class: the opposite direction; α scales the field
    opposite = flow.edit_displacement(lens.gradient(x, 0), alpha=2.0).mean()[0]
    assert float(opposite[1]) < 0
    doubled = flow.edit_displacement(grad, alpha=2.0)
    assert torch.allclose(doubled.displacement, 2 * field.displacement, atol=1e-5)


def test_a_phase_edit_that_is_a_translation_implies_it_and_makes_it(device):
    # the phase change a true translation causes, put on the source's coefficients
    x0 = render_blobs([-1.5, 0.5], sigma=torch.tensor([1.8, 2.3])).to(device)
    d = (0.3, 0.6)
    csp = CSP((32, 32), height=3).to(device)
    c0 = csp.analyze(x0)
    dphi = flow.phase_difference(c0, csp.analyze(signals.translate(x0, d)))
    implied = flow.implied_displacement(csp, c0, dphi)
    assert torch.allclose(implied.mean().cpu(), torch.tensor([d, d]), atol=0.05)
    assert bool((implied.overall_coherence() > 0.95).all())
    # the synthesised edit moves what the bands hold; the residual bands stay where they were,
    # so it moves exactly as far as the true translation with the source's residuals kept
    edited = csp.synthesize(csp.polar_edit(c0, delta=dphi)).clamp(0, 1)
    reachable = csp.synthesize(Coefficients(csp.analyze(signals.translate(x0, d)).bands, c0.fixed))
    realised = flow.measure_displacement(x0, edited).mean().cpu()
    assert torch.allclose(realised, flow.measure_displacement(x0, reachable.clamp(0, 1)).mean().cpu(), atol=0.05)
    assert bool((realised > 0.6 * torch.tensor(d)).all()) and bool((realised < 1.05 * torch.tensor(d)).all())


def test_joint_lens_uses_its_phase_part_and_amplitude_lens_is_refused(device):
    x = render_blobs([-1.0], sigma=2.0).to(device)
    model = _ColumnMoment().eval()
    joint = sl.SteerableLens(model, domain="csp", component="joint", objective="logit").gradient(x, 1)
    assert float(flow.edit_displacement(joint).mean()[0, 1]) > 0
    amplitude = sl.SteerableLens(model, domain="csp", component="amplitude", objective="logit").gradient(x, 1)
    with pytest.raises(ValueError, match="no phase step"):
        flow.edit_displacement(amplitude)
    pixel = sl.SteerableLens(model, domain="pixel", objective="logit").gradient(x, 1)
    with pytest.raises(ValueError, match="no phase step"):
        flow.edit_displacement(pixel)


# --------------------------------------------------------------------------------------
# small helpers and bad input
# --------------------------------------------------------------------------------------


def test_wrap_phase_range(device):
    phases = torch.linspace(-20, 20, 1001, dtype=torch.float64, device=device)
    wrapped = flow.wrap_phase(phases)
    assert float(wrapped.min()) > -math.pi and float(wrapped.max()) <= math.pi
    assert torch.allclose(torch.exp(1j * wrapped), torch.exp(1j * phases), atol=1e-12)


def test_phase_difference_of_a_translation_is_minus_omega_d(device):
    csp = CSP((64, 64), height=3).to(device)
    x0 = (0.5 + 0.4 * (signals.gabor_patch((64, 64), wavelength=12.0, sigma=12.0) - 0.5))[None, None].to(device)
    x1 = signals.translate(x0, (0.0, 0.5))
    dphi = flow.phase_difference(csp.analyze(x0), csp.analyze(x1))
    coarse = csp.analyze(x0).bands[1][0, 0, 0]  # scale 1 carries λ = 12 px (ω ≈ 0.52 rad/px)
    centre = coarse.abs().argmax()
    observed = float(dphi[1][0, 0, 0].flatten()[centre])
    assert abs(observed - (-2 * math.pi / 12.0 * 0.5)) < 0.02


def test_bad_input_is_refused_with_clear_errors(device):
    csp = CSP((32, 32), height=2).to(device)
    coeffs = csp.analyze(torch.rand(1, 1, 32, 32, device=device))
    dphi = [torch.zeros(b.shape, device=device) for b in coeffs.bands]
    with pytest.raises(TypeError, match="`transform` must be a steerlens CSP"):
        flow.implied_displacement(Fourier((32, 32)), coeffs, dphi)
    with pytest.raises(TypeError, match="`coefficients` must be Coefficients"):
        flow.implied_displacement(csp, coeffs.bands, dphi)
    with pytest.raises(ValueError, match="one tensor \\(or None\\) per scale"):
        flow.implied_displacement(csp, coeffs, dphi[:1])
    with pytest.raises(ValueError, match="one tensor \\(or None\\) per scale"):
        flow.implied_displacement(csp, coeffs, dphi[0])
    with pytest.raises(ValueError, match="holds no tensor"):
        flow.implied_displacement(csp, coeffs, [None, None])
    with pytest.raises(ValueError, match="does not broadcast"):
        flow.implied_displacement(csp, coeffs, [torch.zeros(1, 1, 3, 5, 5, device=device), None])
    with pytest.raises(TypeError, match="real tensor"):
        flow.implied_displacement(csp, coeffs, [coeffs.bands[0], None])
    with pytest.raises(ValueError, match="NaN or infinite"):
        flow.implied_displacement(csp, coeffs, [torch.full(coeffs.bands[0].shape, math.nan, device=device), None])
    with pytest.raises(ValueError, match="`frequencies` must be one of"):
        flow.implied_displacement(csp, coeffs, dphi, frequencies="centre")
    with pytest.raises(ValueError, match="`weighting` must be one of"):
        flow.implied_displacement(csp, coeffs, dphi, weighting="rho")
    with pytest.raises(ValueError, match="`sigma` must be finite and ≥ 0"):
        flow.implied_displacement(csp, coeffs, dphi, sigma=-1.0)
    with pytest.raises(ValueError, match="scales but the CSP has height"):
        flow.implied_displacement(CSP((32, 32), height=3), coeffs, dphi)
    with pytest.raises(ValueError, match="equal shapes"):
        flow.measure_displacement(torch.rand(1, 1, 32, 32, device=device), torch.rand(1, 1, 16, 16, device=device))
    with pytest.raises(ValueError, match="`x1` must hold values in \\[0, 1\\]"):
        flow.measure_displacement(torch.rand(1, 1, 32, 32, device=device), torch.rand(1, 1, 32, 32, device=device) + 2)
    with pytest.raises(TypeError, match="`alpha` must be a finite number"):
        flow.edit_displacement(object(), alpha="big")
    with pytest.raises(TypeError, match="`grad` must be a Gradient"):
        flow.edit_displacement(coeffs)
    with pytest.raises(ValueError, match="analyse both images with the same transform"):
        flow.phase_difference(coeffs, Coefficients(coeffs.bands[:1], coeffs.fixed))
