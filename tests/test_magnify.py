"""Motion magnification: known answers ((1+α)δ), the linear bound, identities, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from steerlens import magnify, signals
from steerlens.transforms import rgb_to_yiq

FS = 32.0  # frames per second
FREQ = 2.0  # Hz: 2 cycles in 32 frames, a DFT bin
LOW, HIGH = 1.0, 3.0
AMPLITUDE = 0.25  # px
WAVELENGTH = 16.0  # px: linear bound (1+α)δ < λ/8 = 2 px; phase bound αδ < λ/4 = 4 px


@pytest.fixture
def clip(device):
    """The test clip, made on the CPU (the signals tests cover making it), moved to `device`."""
    d = signals.sinusoidal_displacement(32, AMPLITUDE, FREQ, FS)
    made = signals.moving_pattern(d, shape=(64, 64), wavelength=WAVELENGTH, sigma=12.0, contrast=0.5)
    return made._replace(video=made.video.to(device), displacement=made.displacement.to(device))


@pytest.fixture
def phase_magnifier(clip):
    return magnify.PhaseMagnifier(clip.video, LOW, HIGH, FS)


@pytest.fixture
def linear_magnifier(clip):
    return magnify.LinearMagnifier(clip.video, LOW, HIGH, FS)


def _relative_error(out: torch.Tensor, clip, alpha: float) -> float:
    """max_t |measured − (1+α)δ(t)| / max_t |(1+α)δ(t)|, along x."""
    assert out.device == clip.video.device
    measured = signals.measure_shift(out, clip.video[0])[:, 1].double()
    expected = (1 + alpha) * clip.displacement[:, 1].double()
    return float((measured - expected).abs().max() / expected.abs().max())


# ---------------------------------------------------------------------------
# known answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.0, 4.0, 8.0, 16.0])
def test_phase_based_multiplies_displacement_by_one_plus_alpha(clip, phase_magnifier, alpha, device):
    assert clip.video.device.type == device.type
    # up to the bound α·δ = λ/4 (α = 16 here)
    out = phase_magnifier.render(alpha, clip=False)
    assert _relative_error(out, clip, alpha) < 0.10


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_linear_matches_for_small_alpha_delta(clip, linear_magnifier, alpha, device):
    assert clip.video.device.type == device.type
    # (1+α)δ ≤ 0.75 px, well inside λ/8 = 2 px
    out = linear_magnifier.render(alpha, clip=False)
    assert _relative_error(out, clip, alpha) < 0.10


def test_linear_fails_beyond_its_bound_while_phase_based_holds(clip, linear_magnifier, phase_magnifier):
    alpha = 16.0  # (1+α)δ = 4.25 px > λ/8 = 2 px
    assert (1 + alpha) * AMPLITUDE > 2 * WAVELENGTH / 8
    linear_error = _relative_error(linear_magnifier.render(alpha, clip=False), clip, alpha)
    phase_error = _relative_error(phase_magnifier.render(alpha, clip=False), clip, alpha)
    assert linear_error > 0.25  # saturates: measured ≈ atan((1+α)ωδ)/ω
    assert phase_error < 0.10


def test_linear_error_grows_with_alpha(clip, linear_magnifier):
    errors = [_relative_error(linear_magnifier.render(a, clip=False), clip, a) for a in (2.0, 6.0, 12.0)]
    assert errors[0] < errors[1] < errors[2]


def test_negative_alpha_cancels_the_motion(clip, phase_magnifier, device):
    out = phase_magnifier.render(-1.0, clip=False)
    assert out.device.type == device.type
    residual = signals.measure_shift(out, clip.video[0])
    assert float(residual.abs().max()) < 0.05 * AMPLITUDE


@pytest.mark.parametrize("alpha", [4.0, 8.0])
def test_phase_based_on_a_natural_image_within_the_pyramid_band(alpha, device):
    # broadband content: the oriented bands move by (1+α)δ; the residual
    # high-pass (|ω| ≳ π/2) and low-pass stay put, so measure inside the bands
    img = signals.natural_image("camera", (64, 64)).to(device)
    d = signals.sinusoidal_displacement(16, 0.2, 2.0, 16.0).to(device)
    video, _ = signals.moving_pattern(d, pattern=img)
    out = magnify.phase_based(video, alpha, 1.0, 3.0, 16.0, clip=False)
    measured = signals.measure_shift(out, video[0], frequency_range=(0.15, 1.5))[:, 1].double()
    expected = (1 + alpha) * d[:, 1].double()
    assert float((measured - expected).abs().max() / expected.abs().max()) < 0.10


def test_phase_based_on_rgb_magnifies_luminance_and_keeps_chroma(clip, device):
    grey = clip.video[:16] * 0.8 + 0.1
    tint = torch.tensor([1.0, 0.8, 0.6], device=device)[None, :, None, None]
    video = (grey * tint).clamp(0, 1)  # an RGB video with chroma
    out = magnify.phase_based(video, 6.0, LOW, HIGH, FS / 2, clip=False)
    assert tuple(out.shape) == tuple(video.shape)
    assert torch.allclose(rgb_to_yiq(out)[:, 1:], rgb_to_yiq(video)[:, 1:], atol=1e-5)
    d = clip.displacement[:16, 1].double()
    measured = signals.measure_shift(rgb_to_yiq(out)[:, :1], rgb_to_yiq(video)[0, :1])[:, 1].double()
    assert float((measured - 7 * d).abs().max()) < 0.1 * 7 * AMPLITUDE


def test_linear_luminance_keeps_chroma_and_rgb_mode_differs(device):
    torch.manual_seed(1)
    video = (torch.rand(8, 3, 16, 16) * 0.5 + 0.25).to(device)
    out = magnify.linear(video, 3.0, 1.0, 3.0, 8.0, clip=False)
    assert torch.allclose(rgb_to_yiq(out)[:, 1:], rgb_to_yiq(video)[:, 1:], atol=1e-5)
    out_rgb = magnify.linear(video, 3.0, 1.0, 3.0, 8.0, color="rgb", clip=False)
    assert not torch.allclose(rgb_to_yiq(out_rgb)[:, 1:], rgb_to_yiq(video)[:, 1:], atol=1e-3)


# ---------------------------------------------------------------------------
# identities, caching, options
# ---------------------------------------------------------------------------


def test_alpha_zero_returns_the_input(clip, phase_magnifier, linear_magnifier, device):
    assert clip.video.device.type == device.type
    assert torch.equal(phase_magnifier.render(0.0), clip.video)
    assert torch.equal(linear_magnifier.render(0), clip.video)
    assert torch.equal(magnify.linear(clip.video, 0.0, LOW, HIGH, FS, wavelength_cutoff=8.0), clip.video)


def test_small_alpha_is_close_to_the_input(clip, phase_magnifier, device):
    # the pyramid reconstructs to float32 round-off: α → 0 is continuous
    out = phase_magnifier.render(1e-6, clip=False)
    assert out.device.type == device.type
    assert float((out - clip.video).abs().max()) < 1e-4


def test_render_matches_function_and_frame_selection(clip, phase_magnifier, device):
    full = phase_magnifier.render(5.0)
    assert full.device.type == device.type
    once = magnify.phase_based(clip.video, 5.0, LOW, HIGH, FS)
    assert torch.allclose(full, once, atol=1e-6)
    assert torch.allclose(phase_magnifier.render(5.0, frame_index=[3, 7]), full[[3, 7]], atol=1e-6)
    assert torch.allclose(phase_magnifier.render(5.0, frame_index=slice(0, 4)), full[:4], atol=1e-6)
    assert tuple(phase_magnifier.render(5.0, frame_index=2).shape) == (1, 1, 64, 64)


def test_cached_phases_have_band_shapes(phase_magnifier, device):
    bands = phase_magnifier.coefficients.bands
    assert len(phase_magnifier.filtered_phase) == len(bands) == phase_magnifier.csp.height
    for phase, band in zip(phase_magnifier.filtered_phase, bands, strict=True):
        assert phase.shape == band.shape and not phase.is_complex() and phase.device.type == device.type
        assert torch.isfinite(phase).all()


def test_clip_keeps_output_in_unit_range(clip, phase_magnifier, linear_magnifier, device):
    for out in (phase_magnifier.render(40.0), linear_magnifier.render(40.0)):
        assert out.device.type == device.type
        assert float(out.min()) >= 0 and float(out.max()) <= 1
    raw = linear_magnifier.render(40.0, clip=False)
    assert float(raw.max()) > 1 or float(raw.min()) < 0


def test_attenuate_limits_large_phase_changes(clip, phase_magnifier, device):
    alpha, limit = 24.0, 0.5
    free = phase_magnifier.render(alpha, clip=False)
    limited = phase_magnifier.render(alpha, attenuate=True, phase_limit=limit, clip=False)
    assert free.device.type == limited.device.type == device.type
    free_shift = float(signals.measure_shift(free, clip.video[0])[:, 1].abs().max())
    limited_shift = float(signals.measure_shift(limited, clip.video[0])[:, 1].abs().max())
    assert free_shift == pytest.approx((1 + alpha) * AMPLITUDE, rel=0.1)
    # the amplified part is capped at limit / ω: the pattern moves by δ + 0.5 rad / ω at most
    cap = AMPLITUDE + limit / (2 * math.pi / WAVELENGTH)
    assert cap * 0.9 < limited_shift < cap * 1.05
    # below the limit nothing changes
    small = phase_magnifier.render(1.0, attenuate=True, clip=False)
    assert torch.allclose(small, phase_magnifier.render(1.0, clip=False), atol=1e-6)


def test_smoothing_off_still_magnifies(clip):
    out = magnify.phase_based(clip.video, 4.0, LOW, HIGH, FS, sigma=0.0, clip=False)
    assert _relative_error(out, clip, 4.0) < 0.10


def test_downsampled_pyramid_magnifies(clip):
    out = magnify.phase_based(clip.video, 4.0, LOW, HIGH, FS, downsample=True, clip=False)
    assert _relative_error(out, clip, 4.0) < 0.15


def test_butterworth_is_causal_and_magnifies(clip, device):
    assert clip.video.device.type == device.type
    video = clip.video
    changed = video.clone()
    changed[20:] = video[0]  # rewrite the future
    options = {"temporal_filter": "butterworth", "height": 3, "clip": False}
    a = magnify.phase_based(video, 5.0, LOW, HIGH, FS, **options)
    b = magnify.phase_based(changed, 5.0, LOW, HIGH, FS, **options)
    assert torch.allclose(a[:20], b[:20], atol=1e-6)
    lin = magnify.linear(video, 5.0, LOW, HIGH, FS, temporal_filter="butterworth", clip=False)
    for out in (a, lin):
        peak = signals.measure_shift(out, video[0])[:, 1].abs().max()
        assert float(peak) > 2 * AMPLITUDE  # magnified, if less than 1 + α (gain and lag)


def test_wavelength_cutoff_spares_long_wavelengths_and_damps_short_ones(device):
    torch.manual_seed(2)
    video = (torch.rand(16, 1, 32, 32) * 0.2 + 0.4).to(device)
    mag = magnify.LinearMagnifier(video, 1.0, 3.0, 8.0)
    plain = torch.fft.rfft2(mag.render(4.0, clip=False) - video).abs()
    cut = torch.fft.rfft2(mag.render(4.0, wavelength_cutoff=16.0, clip=False) - video).abs()
    weights = magnify.wavelength_weights((32, 32), 4.0, 16.0, device=device)
    assert torch.allclose(cut, plain * weights, atol=1e-4)
    assert torch.allclose(cut[..., 0, 2], plain[..., 0, 2], atol=1e-5)  # λ = 16 px: full α
    assert float(cut[..., 0, 16].max()) < 1e-4 < float(plain[..., 0, 16].max())  # λ = 2 px: none
    assert float(weights[0, 4]) == pytest.approx((5 * 8 / 16 - 1) / 4)  # λ = 8 px: on the ramp


def test_wavelength_weights_keep_the_linear_bound(device):
    alpha, cutoff = 6.0, 16.0
    weights = magnify.wavelength_weights((64, 64), alpha, cutoff, device=device, dtype=torch.float64)
    assert weights.device.type == device.type
    wy = 2 * math.pi * torch.fft.fftfreq(64, dtype=torch.float64, device=device)
    wx = 2 * math.pi * torch.fft.rfftfreq(64, dtype=torch.float64, device=device)
    lam = 2 * math.pi / torch.sqrt(wy[:, None] ** 2 + wx[None, :] ** 2).clamp_min(1e-12)
    delta = cutoff / (8 * (1 + alpha))  # the motion Wu et al. assume
    amplified = weights > 0
    assert bool(((1 + alpha * weights) * delta <= lam / 8 + 1e-9)[amplified].all())
    assert bool((weights[lam >= cutoff] == 1).all())
    assert bool((weights[lam < cutoff / (1 + alpha)] == 0).all())
    assert float(weights.min()) == 0.0 and float(weights.max()) == 1.0


def test_temporal_bandpass_ideal_keeps_in_band_and_removes_the_rest(device):
    t = torch.arange(32.0, device=device)
    inside = torch.sin(2 * math.pi * 2 * t / 32)
    signal = 0.5 + inside + torch.cos(2 * math.pi * 9 * t / 32)
    out = magnify.temporal_bandpass(signal[:, None].repeat(1, 3), 1.0, 3.0, 32.0)
    assert torch.allclose(out, inside[:, None].expand(-1, 3), atol=1e-5)
    out_dim = magnify.temporal_bandpass(signal[None].repeat(2, 1), 1.0, 3.0, 32.0, dim=1)
    assert torch.allclose(out_dim[0], inside, atol=1e-5)


def test_temporal_bandpass_butterworth_blocks_dc_and_prefers_the_band(device):
    t = torch.arange(256.0, device=device)
    constant = torch.full((256,), 0.7, device=device)
    assert float(magnify.temporal_bandpass(constant, 1.0, 3.0, 32.0, "butterworth").abs().max()) < 1e-6

    def rms(f: float) -> float:
        y = magnify.temporal_bandpass(torch.sin(2 * math.pi * f * t / 32), 1.0, 3.0, 32.0, "butterworth")
        return float(y[64:].pow(2).mean().sqrt())

    assert rms(math.sqrt(3.0)) > 2 * rms(0.1) and rms(math.sqrt(3.0)) > 2 * rms(14.0)


def test_amplitude_weighted_blur_properties(device):
    torch.manual_seed(3)
    constant = torch.full((2, 16, 16), 0.3, device=device)
    rho = torch.rand(2, 16, 16).to(device)
    assert torch.allclose(magnify.amplitude_weighted_blur(constant, rho, 3.0), constant, atol=1e-6)
    values = torch.randn(2, 16, 16).to(device)
    assert torch.equal(magnify.amplitude_weighted_blur(values, rho, 0.0), values)
    zero = magnify.amplitude_weighted_blur(values, torch.zeros(2, 16, 16, device=device), 2.0)
    assert torch.isfinite(zero).all() and float(zero.abs().max()) == 0.0
    # a value where the amplitude is zero is filled in from its strong neighbours
    v = torch.zeros(1, 16, 16, device=device)
    v[0, 8, 8] = 5.0  # unreliable: zero amplitude there
    weights = torch.ones(1, 16, 16, device=device)
    weights[0, 8, 8] = 0.0
    assert float(magnify.amplitude_weighted_blur(v, weights, 1.0)[0, 8, 8]) == pytest.approx(0.0, abs=1e-5)


def test_near_zero_amplitude_regions_give_no_nan(device):
    video = torch.full((8, 1, 16, 16), 0.5, device=device)  # flat: every band coefficient ≈ 0
    out = magnify.phase_based(video, 20.0, 1.0, 2.0, 8.0, clip=False)
    assert torch.isfinite(out).all() and torch.allclose(out, video, atol=1e-5)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

GOOD = torch.rand(8, 1, 16, 16)


@pytest.mark.parametrize("method", [magnify.linear, magnify.phase_based])
@pytest.mark.parametrize(
    ("video", "kwargs", "error", "match"),
    [
        (torch.rand(8, 16, 16), {}, ValueError, r"T×C×H×W.*\[:, None\]"),
        (torch.rand(2, 8, 1, 16, 16), {}, ValueError, "one at a time"),
        (torch.rand(8, 2, 16, 16), {}, ValueError, "1 or 3 channels"),
        (torch.rand(3, 1, 16, 16), {}, ValueError, "at least 4 frames"),
        (GOOD, {"low": 0.0}, ValueError, r"`low`.*outside \(0, fs/2\)"),
        (GOOD, {"high": 4.0}, ValueError, r"`high`.*outside \(0, fs/2\)"),
        (GOOD, {"high": 9.0}, ValueError, r"`high`.*outside"),
        (GOOD, {"low": -1.0}, ValueError, "`low`"),
        (GOOD, {"low": 2.0, "high": 1.5}, ValueError, "must be below `high`"),
        (GOOD, {"low": 2.0, "high": 2.0}, ValueError, "must be below `high`"),
        (GOOD, {"fs": 0.0}, ValueError, "`fs`"),
        (GOOD * float("nan"), {}, ValueError, "NaN"),
        (GOOD * 2 + 0.5, {}, ValueError, r"values in \[0, 1\]"),
        (GOOD - 0.5, {}, ValueError, r"values in \[0, 1\]"),
        ((GOOD * 255).to(torch.uint8), {}, TypeError, "floating-point"),
        (GOOD.numpy(), {}, TypeError, "torch.Tensor"),
        (GOOD, {"alpha": "big"}, TypeError, "`alpha` must be a number"),
        (GOOD, {"alpha": float("inf")}, ValueError, "`alpha` must be finite"),
        (GOOD, {"temporal_filter": "fir"}, ValueError, "temporal_filter"),
        (GOOD, {"color": "yiq"}, ValueError, "color"),
        (GOOD, {"low": 1.1, "high": 1.4}, ValueError, "no DFT frequency"),
    ],
)
def test_bad_input_gives_clear_errors(method, video, kwargs, error, match, device):
    if isinstance(video, torch.Tensor):
        video = video.to(device)
    args = {"alpha": 2.0, "low": 1.0, "high": 2.0, "fs": 8.0, **kwargs}
    with pytest.raises(error, match=match):
        method(video, **args)


def test_phase_based_specific_errors(device):
    good = GOOD.to(device)
    with pytest.raises(ValueError, match="even"):
        magnify.phase_based(torch.rand(8, 1, 15, 16, device=device), 2.0, 1.0, 2.0, 8.0)
    with pytest.raises(ValueError, match="reference"):
        magnify.PhaseMagnifier(good, 1.0, 2.0, 8.0, reference=8)
    with pytest.raises(ValueError, match="sigma"):
        magnify.PhaseMagnifier(good, 1.0, 2.0, 8.0, sigma=-1.0)
    mag = magnify.PhaseMagnifier(good, 1.0, 2.0, 8.0, height=2)
    with pytest.raises(ValueError, match="frame_index"):
        mag.render(2.0, frame_index=[8])
    with pytest.raises(TypeError, match="frame_index"):
        mag.render(2.0, frame_index=[0.5])
    with pytest.raises(ValueError, match="phase_limit"):
        mag.render(2.0, attenuate=True, phase_limit=0.0)
    # butterworth needs no DFT bin in the band
    assert magnify.phase_based(good, 2.0, 1.1, 1.4, 8.0, temporal_filter="butterworth", height=2).shape == GOOD.shape


def test_wavelength_cutoff_must_be_positive(device):
    with pytest.raises(ValueError, match="wavelength_cutoff"):
        magnify.linear(GOOD.to(device), 2.0, 1.0, 2.0, 8.0, wavelength_cutoff=0.0)
