"""Tests for steerlens.transforms: invertibility, the polar edit, phase and motion, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from steerlens import transforms as tf
from steerlens.transforms import CSP, Coefficients, Fourier, Pixel


def _images(batch=2, channels=3, shape=(32, 32), device="cpu", dtype=torch.float32):
    return torch.rand(batch, channels, *shape, device=device, dtype=dtype)


def _transform(domain, shape, color="rgb", device="cpu", **kwargs):
    if domain == "pixel":
        return Pixel(color=color).to(device)
    if domain == "fourier":
        return Fourier(shape, color=color).to(device)
    return CSP(shape, color=color, **kwargs).to(device)


# ---------------------------------------------------------------------------
# reconstruction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["pixel", "fourier", "csp"])
@pytest.mark.parametrize("color", ["rgb", "luminance"])
@pytest.mark.parametrize("channels", [1, 3])
def test_reconstruction_every_domain_and_color(domain, color, channels, device):
    x = _images(channels=channels, shape=(32, 48), device=device)
    t = _transform(domain, (32, 48), color=color, device=device)
    c = t.analyze(x)
    assert (t.synthesize(c) - x).abs().max() < 2e-5


@pytest.mark.parametrize("downsample", [False, True])
@pytest.mark.parametrize("tight_frame", [False, True])
@pytest.mark.parametrize("order", [1, 3, 4])
@pytest.mark.parametrize("shape", [(32, 32), (40, 64), (96, 72)])
def test_csp_reconstruction_grid(shape, order, tight_frame, downsample, device):
    x = _images(batch=1, channels=1, shape=shape, device=device)
    csp = CSP(shape, order=order, tight_frame=tight_frame, downsample=downsample).to(device)
    assert (csp.synthesize(csp.analyze(x)) - x).abs().max() < 2e-5


@pytest.mark.parametrize("downsample", [False, True])
@pytest.mark.parametrize("tight_frame", [False, True])
@pytest.mark.parametrize("shape", [(32, 32), (36, 52), (64, 40)])
def test_fast_synthesis_equals_plenoptic_recon_on_edited_coefficients(shape, tight_frame, downsample, device):
    # Edited (not analysed) coefficients: random phase and amplitude changes and a
    # random imaginary part, so the check covers what sweeps synthesise.
    x = _images(batch=2, channels=1, shape=shape, device=device)
    csp = CSP(shape, order=3, tight_frame=tight_frame, downsample=downsample).to(device)
    c = csp.analyze(x)
    eta = [0.3 * torch.randn(b.shape, device=device) for b in c.bands]
    delta = [2.0 * torch.randn(b.shape, device=device) for b in c.bands]
    edited = csp.polar_edit(c, eta=eta, delta=delta)
    edited.bands = [b + 0.1j * torch.randn(b.shape, device=device) for b in edited.bands]
    fast, reference = csp.synthesize(edited), csp.synthesize_plenoptic(edited)
    assert (fast - reference).abs().max() < 1e-5 * max(1.0, float(reference.abs().max()))


def test_only_the_real_part_of_a_band_reaches_the_image(device):
    csp = CSP((32, 32), height=3).to(device)
    c = csp.analyze(_images(batch=1, channels=1, device=device))
    rotated = Coefficients([b.real + 1j * torch.randn(b.shape, device=device) for b in c.bands], c.fixed)
    assert (csp.synthesize_plenoptic(rotated) - csp.synthesize_plenoptic(c)).abs().max() < 1e-5


def test_bands_plus_residuals_is_synthesis_and_residual_image_of_a_constant(device):
    csp = CSP((32, 32), height=3).to(device)
    x = _images(batch=2, channels=1, device=device)
    c = csp.analyze(x)
    parts = csp.synthesize_bands([b.real for b in c.bands]) + csp.synthesize_residuals(c.fixed)
    assert torch.allclose(parts, csp.synthesize(c), atol=1e-6)
    flat = torch.full((1, 1, 32, 32), 0.3, device=device)
    cf = csp.analyze(flat)
    assert max(float(b.abs().max()) for b in cf.bands) < 1e-5  # a constant has no band-pass energy
    assert (csp.synthesize_residuals(cf.fixed) - flat).abs().max() < 1e-5
    # a band left out contributes nothing
    none_but_first = csp.synthesize_bands([c.bands[0].real, None, None])
    assert torch.allclose(none_but_first, csp.synthesize_bands([c.bands[0].real, *[torch.zeros_like(b.real) for b in c.bands[1:]]]), atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"downsample": True}, {"tight_frame": True}, {"twidth": 2}])
def test_float64_reconstruction_is_exact_to_round_off(options, device):
    # the masks are closed-form float64 (plenoptic's tabulated ones stop at ~6e-6)
    x = _images(batch=1, channels=1, dtype=torch.float64, device=device)
    csp = CSP((32, 32), **options).to(device)
    y = csp.synthesize(csp.analyze(x))
    assert y.dtype == torch.float64 and (y - x).abs().max() < 1e-12
    x32 = x.float()
    assert (csp.synthesize(csp.analyze(x32)) - x32).abs().max() < 2e-6


@pytest.mark.parametrize("twidth", [1, 2, 3])
def test_wider_transitions_reconstruct_at_the_auto_height(twidth, device):
    # plenoptic's ⌊log2 N⌋ − 2 scales do not reconstruct for twidth > 1 (errors ~0.2);
    # CSP's height limit leaves one scale out per extra octave.
    csp = CSP((64, 64), twidth=twidth).to(device)
    assert csp.height == 5 - twidth
    x = _images(batch=1, channels=1, shape=(64, 64), device=device)
    assert (csp.synthesize_plenoptic(csp.analyze(x)) - x).abs().max() < 2e-5


def test_luminance_mode_keeps_chroma_and_decomposes_y_only(device):
    x = _images(batch=1, channels=3, device=device)
    csp = CSP((32, 32), height=2, color="luminance").to(device)
    c = csp.analyze(x)
    assert c.bands[0].shape[1] == 1 and c.fixed["iq"].shape == (1, 2, 32, 32)
    assert torch.allclose(c.fixed["iq"], tf.rgb_to_yiq(x)[:, 1:])
    assert torch.allclose(tf.yiq_to_rgb(tf.rgb_to_yiq(x)), x, atol=1e-6)


# ---------------------------------------------------------------------------
# the polar edit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["fourier", "csp"])
def test_polar_edit_with_zeros_is_identity(domain, device):
    t = _transform(domain, (32, 32), device=device)
    x = _images(device=device)
    c = t.analyze(x)
    zeros = [torch.zeros(b.shape, device=device) for b in c.bands]
    same = t.polar_edit(c, eta=zeros, delta=zeros)
    for a, b in zip(same.bands, c.bands, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(t.synthesize(same), t.synthesize(c))
    assert same.fixed == c.fixed


def test_polar_edit_multiplies_by_exp_eta_plus_i_delta(device):
    f = Fourier((16, 16)).to(device)
    c = f.analyze(_images(batch=1, channels=1, shape=(16, 16), device=device))
    eta, delta = torch.randn(c.bands[0].shape, device=device), torch.randn(c.bands[0].shape, device=device)
    out = f.polar_edit(c, eta=[eta], delta=[delta]).bands[0]
    assert torch.allclose(out.abs(), c.bands[0].abs() * eta.exp(), rtol=1e-5, atol=1e-6)
    assert torch.allclose(out, c.bands[0] * torch.exp(torch.complex(eta, delta)), rtol=1e-5, atol=1e-6)


def test_pixel_coordinates_reject_polar_edits(device):
    px = Pixel().to(device)
    c = px.analyze(_images(batch=1, channels=1, device=device))
    with pytest.raises(TypeError, match="no phase or amplitude"):
        px.polar_edit(c, delta=[torch.zeros(1, device=device)])


def test_polar_edit_needs_one_tensor_per_band(device):
    csp = CSP((32, 32), height=3).to(device)
    c = csp.analyze(_images(batch=1, channels=1, device=device))
    with pytest.raises(ValueError, match="one tensor per band"):
        csp.polar_edit(c, delta=[torch.zeros(1, device=device)])


@pytest.mark.parametrize("domain", ["fourier", "csp"])
def test_near_zero_amplitudes_give_no_nan_values_or_gradients(domain, device):
    # A constant image has (near-)zero band-pass coefficients: the phase is undefined
    # there, but the polar edit never divides by the amplitude.
    x = torch.full((1, 1, 32, 32), 0.5, device=device)
    t = _transform(domain, (32, 32), device=device)
    c = t.analyze(x)
    c.bands = [b * 0 if i == 0 else b for i, b in enumerate(c.bands)]  # exact zeros too
    delta = [torch.zeros(b.shape, device=device, requires_grad=True) for b in c.bands]
    eta = [torch.zeros(b.shape, device=device, requires_grad=True) for b in c.bands]
    y = t.synthesize(t.polar_edit(c, eta=eta, delta=delta))
    (y ** 2).sum().backward()
    assert torch.isfinite(y).all()
    for p in delta + eta:
        assert torch.isfinite(p.grad).all()
    big = t.polar_edit(
        c,
        eta=[torch.ones(b.shape, device=device) for b in c.bands],
        delta=[torch.full(b.shape, 3.0, device=device) for b in c.bands],
    )
    assert torch.equal(big.bands[0], torch.zeros_like(big.bands[0]))  # zeros stay zero


# ---------------------------------------------------------------------------
# phase is position
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [(1, 0), (0, 3), (-2, 5), (7, -4)])
def test_fourier_phase_ramp_translates_exactly(shift, device):
    f = Fourier((32, 48)).to(device)
    x = _images(batch=2, channels=3, shape=(32, 48), device=device)
    wy, wx = f.frequencies(device=device)
    c = f.analyze(x)
    ramp = -(wy * shift[0] + wx * shift[1])
    moved = f.synthesize(f.polar_edit(c, delta=[ramp]))
    assert (moved - torch.roll(x, shifts=shift, dims=(-2, -1))).abs().max() < 1e-5


def test_fourier_frequencies_match_fftfreq(device):
    wy, wx = Fourier((8, 10)).to(device).frequencies(device=device)
    assert wy.shape == (8, 6) and wy.device.type == wx.device.type == device.type
    assert torch.allclose(wx[0].cpu(), 2 * math.pi * torch.fft.rfftfreq(10))
    assert torch.allclose(wy[:, 0].cpu(), 2 * math.pi * torch.fft.fftfreq(8))


def _gabor(shape, freq, center, sigma):
    h, w = shape
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    dy, dx = yy - center[0], xx - center[1]
    envelope = torch.exp(-(dy ** 2 + dx ** 2) / (2 * sigma ** 2))
    return 0.5 + 0.4 * envelope * torch.cos(freq[0] * dy + freq[1] * dx)


@pytest.mark.parametrize("scale", [0, 1, 2])
@pytest.mark.parametrize("orientation", [0, 1, 2, 3])
def test_translated_gabor_changes_band_phase_by_minus_omega_dot_d(scale, orientation, device):
    shape = (64, 64)
    csp = CSP(shape, height=3).to(device)
    omega = csp.band_frequencies()[scale, orientation].double().cpu()
    d = torch.tensor([0.4, -0.3], dtype=torch.float64)  # sub-pixel, applied exactly in Fourier
    sigma = 3.0 * 2 ** scale
    g = _gabor(shape, omega, (32, 32), sigma)[None, None].to(device)
    f = Fourier(shape).to(device)
    wy, wx = f.frequencies(dtype=torch.float64, device=device)
    moved = f.synthesize(f.polar_edit(f.analyze(g), delta=[-(wy * d[0] + wx * d[1])]))
    c0 = csp.analyze(g.float()).bands[scale][0, 0, orientation, 32, 32]
    c1 = csp.analyze(moved.float()).bands[scale][0, 0, orientation, 32, 32]
    measured = torch.angle(c1 * c0.conj()).double().cpu()
    expected = -(omega @ d)
    assert abs(measured - expected) < 0.02 * abs(expected) + 0.002


def test_band_frequencies_are_one_octave_apart_and_follow_orientation(device):
    w = CSP((64, 64), height=3).to(device).band_frequencies().cpu()
    radius = w.norm(dim=-1)
    assert torch.allclose(radius[:-1] / radius[1:], torch.full((2, 4), 2.0), rtol=0.02)
    angles = torch.atan2(w[0, :, 0], w[0, :, 1])
    assert torch.allclose(angles, torch.arange(4) * math.pi / 4, atol=1e-3)


# ---------------------------------------------------------------------------
# the pyramid cache
# ---------------------------------------------------------------------------


def test_mask_cache_is_bounded_and_shared_per_configuration():
    from steerlens.transforms import _masks

    tf.clear_pyramid_cache()
    CSP((32, 32), height=2)
    CSP((32, 32), height=2, color="luminance")  # colour does not change the masks
    assert _masks.pyramid_masks.cache_info().currsize == 1
    for n in range(_masks.CACHE_SIZE + 3):
        CSP((16 + 2 * n, 16), height=1)
    assert _masks.pyramid_masks.cache_info().currsize == _masks.CACHE_SIZE
    tf.clear_pyramid_cache()
    assert _masks.pyramid_masks.cache_info().currsize == 0


def test_pyramid_accessor_is_deprecated():
    with pytest.warns(DeprecationWarning, match="csp.buffers"):
        pyr = CSP((32, 32), height=2).pyramid()
    assert type(pyr).__name__ == "SteerablePyramidFreq"


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["pixel", "fourier", "csp"])
def test_bad_images_raise_clear_errors(domain, device):
    t = _transform(domain, (32, 32), device=device)

    def rand(*shape):
        return torch.rand(*shape, device=device)

    with pytest.raises(ValueError, match=r"4-D tensor B×C×H×W.*unsqueeze\(0\)"):
        t.analyze(rand(3, 32, 32))
    with pytest.raises(ValueError, match=r"\[None, None\]"):
        t.analyze(rand(32, 32))
    with pytest.raises(ValueError, match="must have 1 or 3 channels"):
        t.analyze(rand(1, 2, 32, 32))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        t.analyze(rand(1, 1, 32, 32) * 255)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        t.analyze(rand(1, 1, 32, 32) - 0.5)
    for bad in (float("nan"), float("inf")):
        x = rand(1, 1, 32, 32)
        x[0, 0, 3, 4] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            t.analyze(x)
    with pytest.raises(TypeError, match="floating-point dtype"):
        t.analyze(torch.randint(0, 255, (1, 1, 32, 32), dtype=torch.uint8, device=device))
    with pytest.raises(TypeError, match="torch.Tensor"):
        t.analyze([[0.5]])
    with pytest.raises(ValueError, match="empty batch"):
        t.analyze(rand(0, 1, 32, 32))


@pytest.mark.parametrize("cls", [Fourier, CSP])
def test_bad_sizes_raise(cls):
    with pytest.raises(ValueError, match="even height and width"):
        cls((31, 32))
    with pytest.raises(ValueError, match="at least 8×8"):
        cls((6, 6))
    with pytest.raises(ValueError, match=r"must be \(H, W\)"):
        cls((32, 32, 3))
    t = cls((32, 32))
    with pytest.raises(ValueError, match=r"built for \(32, 32\)"):
        t.analyze(torch.rand(1, 1, 16, 16))


def test_bad_pyramid_settings_raise():
    with pytest.raises(ValueError, match="too large for images of size"):
        CSP((32, 32), height=4)
    with pytest.raises(ValueError, match="too large for images of size"):
        CSP((64, 64), height=4, twidth=2)
    with pytest.raises(ValueError, match="too small for a pyramid"):
        CSP((8, 8), twidth=2)
    with pytest.raises(ValueError, match="≥ 1"):
        CSP((32, 32), height=0)
    with pytest.raises(TypeError, match="must be an int"):
        CSP((32, 32), height=2.5)
    with pytest.raises(ValueError, match="≥ 1"):
        CSP((32, 32), order=0)
    with pytest.raises(ValueError, match="between 1 and 15"):
        CSP((32, 32), order=16)
    csp = CSP((32, 32), height=3)
    c = csp.analyze(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="holds 2 scales but this CSP has height=3"):
        csp.synthesize(Coefficients(c.bands[:2], c.fixed))
    with pytest.raises(ValueError, match="holds no band"):
        csp.synthesize_bands([None, None, None])


@pytest.mark.parametrize("cls", [Pixel, Fourier, CSP])
def test_unknown_color_raises(cls):
    args = () if cls is Pixel else ((32, 32),)
    with pytest.raises(ValueError, match="`color` must be one of 'rgb', 'luminance'; got 'hsv'"):
        cls(*args, color="hsv")


def test_yiq_needs_three_channels():
    with pytest.raises(ValueError, match="B×3×H×W"):
        tf.rgb_to_yiq(torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="B×3×H×W"):
        tf.yiq_to_rgb(torch.rand(1, 2, 4, 4))
