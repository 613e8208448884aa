"""Synthetic signals with known motion: exact sub-pixel motion, local phase, shift meter."""

from __future__ import annotations

import math

import pytest
import torch

from steerlens import signals

# ---------------------------------------------------------------------------
# patterns
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [16, (16, 24)])
def test_grating_range_shape_and_origin_phase(shape):
    g = signals.grating(shape, wavelength=6.0, angle=0.4, phase=0.7, contrast=0.8)
    expected_shape = (shape,) if isinstance(shape, int) else shape
    assert tuple(g.shape) == expected_shape
    assert float(g.min()) >= 0.1 - 1e-6 and float(g.max()) <= 0.9 + 1e-6
    origin = g[0] if isinstance(shape, int) else g[0, 0]
    assert float(origin) == pytest.approx(0.5 + 0.4 * math.cos(0.7), abs=1e-6)


def test_grating_shift_is_analytic_translation():
    # a 2-D grating shifted by d equals the grating evaluated at u − d
    d = (0.3, -1.7)
    moved = signals.grating((20, 20), wavelength=5.0, angle=0.9, shift=d, dtype=torch.float64)
    ky, kx = 2 * math.pi / 5 * math.sin(0.9), 2 * math.pi / 5 * math.cos(0.9)
    yy, xx = torch.meshgrid(torch.arange(20.0), torch.arange(20.0), indexing="ij")
    ref = 0.5 + 0.5 * torch.cos(ky * (yy.double() - d[0]) + kx * (xx.double() - d[1]))
    assert torch.allclose(moved, ref, atol=1e-12)


def test_gabor_patch_centre_envelope_and_stack_of_shifts():
    p = signals.gabor_patch((32, 32), wavelength=8.0, sigma=4.0)
    assert float(p[16, 16]) == pytest.approx(1.0, abs=1e-6)
    assert float(p[0, 0]) == pytest.approx(0.5, abs=1e-3)
    stack = signals.gabor_patch((32, 32), wavelength=8.0, sigma=4.0, shift=torch.zeros(5, 2))
    assert tuple(stack.shape) == (5, 32, 32)
    assert torch.allclose(stack[3], p)
    one_d = signals.gabor_patch(40, wavelength=8.0, sigma=5.0, shift=1.0)
    assert int(one_d.argmax()) == 21  # centre 20 moved by +1


def test_pattern_errors():
    with pytest.raises(ValueError, match="wavelength"):
        signals.grating(16, wavelength=0.0)
    with pytest.raises(ValueError, match="contrast"):
        signals.grating(16, wavelength=4.0, contrast=1.5)
    with pytest.raises(ValueError, match="shape"):
        signals.grating((4, 4, 4), wavelength=4.0)
    with pytest.raises(ValueError, match="shift"):
        signals.gabor_patch((8, 8), wavelength=4.0, shift=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="center"):
        signals.gabor_patch((8, 8), wavelength=4.0, center=(1.0,))


# ---------------------------------------------------------------------------
# quadrature pair, local amplitude and phase
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [None, 0.0, 1.1])
def test_gabor_pair_symmetry_and_zero_mean(angle):
    even, odd = signals.gabor_pair(8.0, angle=angle, dtype=torch.float64)
    dims = list(range(even.ndim))
    assert torch.allclose(even, even.flip(dims), atol=1e-12)  # even symmetric
    assert torch.allclose(odd, -odd.flip(dims), atol=1e-12)  # odd antisymmetric
    assert abs(float(even.sum())) < 1e-12 and abs(float(odd.sum())) < 1e-12


def test_local_phase_of_a_sinusoid_is_its_argument():
    n, lam, phi0 = 96, 8.0, 0.4
    x = torch.arange(n, dtype=torch.float64)
    signal = 0.7 * torch.cos(2 * math.pi * x / lam + phi0)
    rho, phi = signals.local_amplitude_phase(signal, wavelength=lam)
    assert torch.allclose(rho, torch.full_like(rho, 0.7), atol=1e-3)
    expected = torch.remainder(2 * math.pi * x / lam + phi0 + math.pi, 2 * math.pi) - math.pi
    diff = torch.remainder(phi - expected + math.pi, 2 * math.pi) - math.pi
    assert float(diff.abs().max()) < 1e-3


def test_local_phase_change_is_minus_omega_times_shift_2d():
    lam, angle, d = 10.0, 0.6, (0.35, -0.2)
    omega = torch.tensor([math.sin(angle), math.cos(angle)], dtype=torch.float64) * 2 * math.pi / lam
    # a periodic image: a grating whose period tiles 40×40 along both axes
    img = signals.gabor_patch((48, 48), wavelength=lam, sigma=9.0, angle=angle, dtype=torch.float64)
    moved = signals.translate(img, d)
    c0 = signals.quadrature_response(img, wavelength=lam, angle=angle)
    c1 = signals.quadrature_response(moved, wavelength=lam, angle=angle)
    dphi = torch.angle(c1 * c0.conj())[20:28, 20:28]  # where the patch is strong
    expected = -float(omega @ torch.tensor(d, dtype=torch.float64))
    assert float((dphi - expected).abs().max()) < 0.02 * abs(expected) + 1e-3


def test_local_phase_is_finite_on_a_constant_signal():
    rho, phi = signals.local_amplitude_phase(torch.full((3, 32), 0.5), wavelength=8.0)
    assert torch.isfinite(phi).all() and float(rho.max()) < 1e-5
    assert rho.dtype == torch.float32


@pytest.mark.parametrize("boundary", ["reflect", "zeros"])
def test_quadrature_boundaries_agree_in_the_interior(boundary):
    x = signals.grating(64, wavelength=8.0).double()
    ref = signals.quadrature_response(x, 8.0)
    other = signals.quadrature_response(x, 8.0, boundary=boundary)
    assert torch.allclose(ref[16:48], other[16:48], atol=1e-6)


def test_quadrature_errors():
    with pytest.raises(ValueError, match="boundary"):
        signals.quadrature_response(torch.zeros(32), 8.0, boundary="wrap")
    with pytest.raises(ValueError, match="too long"):
        signals.quadrature_response(torch.zeros(8), 8.0)
    with pytest.raises(TypeError, match="floating-point"):
        signals.quadrature_response(torch.zeros(32, dtype=torch.int64), 8.0)
    with pytest.raises(ValueError, match="odd"):
        signals.gabor_pair(8.0, size=10)


# ---------------------------------------------------------------------------
# exact sub-pixel motion
# ---------------------------------------------------------------------------


def test_sinusoidal_displacement_values_and_direction():
    d = signals.sinusoidal_displacement(32, amplitude=0.3, frequency=2.0, fs=16.0, angle=math.pi / 2)
    t = torch.arange(32.0)
    assert torch.allclose(d[:, 0], 0.3 * torch.sin(2 * math.pi * 2 * t / 16), atol=1e-6)
    assert float(d[:, 1].abs().max()) < 1e-6
    with pytest.raises(ValueError, match="Nyquist"):
        signals.sinusoidal_displacement(8, 0.1, frequency=8.0, fs=16.0)


def test_translate_integer_is_roll_and_fractions_compose(device):
    x = torch.rand(2, 3, 12, 10, dtype=torch.float64, device=device)
    assert torch.allclose(signals.translate(x, (3, -4)), torch.roll(x, (3, -4), dims=(-2, -1)), atol=1e-12)
    band_limited = signals.gabor_patch((32, 32), 8.0, sigma=4.0, dtype=torch.float64).to(device)
    twice = signals.translate(signals.translate(band_limited, (0.3, 0.45)), (0.2, 0.05))
    once = signals.translate(band_limited, (0.5, 0.5))
    assert torch.allclose(twice, once, atol=1e-10)


def test_translate_matches_analytic_periodic_grating():
    # wavelength 8 tiles 32 px: the sampled grating is its own trigonometric interpolant
    g = signals.grating((32, 32), wavelength=8.0, dtype=torch.float64)
    d = torch.tensor([[0.0, 0.37], [0.0, -1.21]])
    moved = signals.translate(g, d)
    analytic = signals.grating((32, 32), wavelength=8.0, shift=d, dtype=torch.float64)
    assert moved.shape == (2, 32, 32)
    assert torch.allclose(moved, analytic, atol=1e-12)


@pytest.mark.parametrize("size", [(16, 16), (12, 10), (9, 7)])
def test_warp_constant_field_equals_translate(size, device):
    x = torch.rand(2, *size, dtype=torch.float64, device=device)
    for shift in [(0.3, -0.45), (2.6, -3.4)]:
        field = torch.tensor(shift, dtype=torch.float64, device=device)[:, None, None].expand(2, *size)
        assert torch.allclose(signals.warp(x, field), signals.translate(x, shift), atol=1e-9)


def test_warp_zero_field_and_first_order():
    img = signals.natural_image("camera", (32, 32)).double()
    field = signals.smooth_displacement_field((32, 32), amplitude=1.0, dtype=torch.float64)
    assert torch.allclose(signals.warp(img, 0 * field), img, atol=1e-12)
    eps = 1e-4
    gy = (signals.translate(img, (-eps, 0)) - signals.translate(img, (eps, 0))) / (2 * eps)
    gx = (signals.translate(img, (0, -eps)) - signals.translate(img, (0, eps))) / (2 * eps)
    h = 1e-3  # I(u − h·F) ≈ I − h·F·∇I
    predicted = img - h * (field[0] * gy + field[1] * gx)
    moved = signals.warp(img, h * field)
    change = (moved - img).abs().max()
    assert float((moved - predicted).abs().max()) < 1e-2 * float(change)


def test_warp_stack_and_errors():
    x = torch.rand(1, 8, 8)
    out = signals.warp(x, torch.zeros(3, 2, 8, 8))
    assert tuple(out.shape) == (3, 1, 8, 8)
    assert tuple(signals.warp(x[0], torch.zeros(2, 8, 8)).shape) == (8, 8)
    with pytest.raises(ValueError, match="displacement"):
        signals.warp(x, torch.zeros(2, 8, 9))
    with pytest.raises(ValueError, match="NaN"):
        signals.warp(x, torch.full((2, 8, 8), float("nan")))


# ---------------------------------------------------------------------------
# videos with known motion
# ---------------------------------------------------------------------------


def test_moving_pattern_frames_are_translations_of_frame0():
    d = signals.sinusoidal_displacement(8, amplitude=0.4, frequency=1.0, fs=8.0, angle=0.3)
    clip = signals.moving_pattern(d, shape=(32, 32), pattern="grating", wavelength=8.0, angle=0.0)
    video, delta = clip
    assert tuple(video.shape) == (8, 1, 32, 32) and delta is d
    # wavelength 8 tiles 32 px: the Fourier translation of frame 0 is exact
    expected = signals.translate(video[0], d)
    assert torch.allclose(video, expected, atol=1e-5)


def test_moving_pattern_image_and_rgb():
    d = torch.tensor([[0.0, 0.0], [0.5, 0.25]])
    img = signals.natural_image("einstein", (32, 32))
    video, _ = signals.moving_pattern(d, pattern=img)
    assert tuple(video.shape) == (2, 1, 32, 32)
    assert torch.allclose(video[0], img, atol=1e-5)
    rgb, _ = signals.moving_pattern(d, shape=(16, 16), channels=3)
    assert tuple(rgb.shape) == (2, 3, 16, 16) and torch.equal(rgb[:, 0], rgb[:, 2])


def test_moving_pattern_errors():
    with pytest.raises(ValueError, match="T×2"):
        signals.moving_pattern(torch.zeros(8))
    with pytest.raises(ValueError, match="pattern"):
        signals.moving_pattern(torch.zeros(4, 2), pattern="checkerboard")
    with pytest.raises(ValueError, match="channels"):
        signals.moving_pattern(torch.zeros(4, 2), channels=2)
    with pytest.raises(TypeError, match="floating-point"):
        signals.moving_pattern(torch.zeros(4, 2, dtype=torch.int64))


@pytest.mark.parametrize("name", ["camera", "einstein"])
def test_natural_image_shape_and_range(name):
    img = signals.natural_image(name, (48, 64))
    assert tuple(img.shape) == (1, 48, 64) and img.dtype == torch.float32
    assert float(img.min()) >= 0 and float(img.max()) <= 1 and float(img.std()) > 0.1
    with pytest.raises(ValueError, match="name"):
        signals.natural_image("lena")


def test_smooth_displacement_field_properties():
    f = signals.smooth_displacement_field((40, 48), amplitude=0.6, seed=3)
    assert tuple(f.shape) == (2, 40, 48)
    assert float(f.norm(dim=0).max()) == pytest.approx(0.6, rel=1e-5)
    border = torch.cat([f[..., 0, :], f[..., -1, :], f[..., :, 0], f[..., :, -1]], dim=-1)
    assert float(border.abs().max()) == 0.0
    assert torch.equal(f, signals.smooth_displacement_field((40, 48), amplitude=0.6, seed=3))
    assert not torch.allclose(f, signals.smooth_displacement_field((40, 48), amplitude=0.6, seed=4))
    # smooth: neighbouring pixels differ by a small fraction of the peak
    assert float((f[:, 1:] - f[:, :-1]).abs().max()) < 0.25 * 0.6


def test_warped_image_follows_its_displacement():
    clip = signals.warped_image("camera", shape=(32, 32), n_frames=8, amplitude=0.5, frequency=1.0, fs=8.0)
    video, disp = clip
    assert tuple(video.shape) == (8, 1, 32, 32) and tuple(disp.shape) == (8, 2, 32, 32)
    img = signals.natural_image("camera", (32, 32))
    assert torch.allclose(video[0], img, atol=1e-6)  # sin(0) = 0: no displacement
    assert float(disp.norm(dim=1).max()) == pytest.approx(0.5, rel=1e-4)  # frame 2: sin(π/2) = 1
    assert torch.allclose(video[3], signals.warp(img, disp[3]).clamp(0, 1), atol=1e-6)
    assert float((video[2] - video[0]).abs().max()) > 0.01


def test_warped_image_field_argument():
    field = torch.zeros(2, 16, 16)
    field[1] = 0.25
    video, disp = signals.warped_image(torch.full((16, 16), 0.5), n_frames=4, frequency=1.0, fs=4.0, field=field)
    assert torch.allclose(disp[1], field) and torch.allclose(video, torch.full_like(video, 0.5), atol=1e-6)
    with pytest.raises(ValueError, match="field"):
        signals.warped_image(torch.rand(16, 16), n_frames=4, frequency=1.0, fs=4.0, field=torch.zeros(2, 8, 8))


# ---------------------------------------------------------------------------
# measuring displacements
# ---------------------------------------------------------------------------


def test_measure_shift_exact_for_translations_of_a_natural_image(device):
    img = signals.natural_image("camera", (64, 64))
    shifts = torch.tensor([[0.0, 0.0], [0.3, -0.2], [2.7, 5.4], [-10.25, 3.5], [0.05, 0.01]])
    on_device = signals.measure_shift(signals.translate(img.to(device), shifts), img.to(device))
    assert on_device.device.type == device.type
    est = on_device.cpu()
    assert tuple(est.shape) == (5, 2)
    assert torch.allclose(est, shifts, atol=2e-3)
    single = signals.measure_shift(signals.translate(img, (0.4, 0.1))[0], img[0])
    assert tuple(single.shape) == (2,) and torch.allclose(single, torch.tensor([0.4, 0.1]), atol=2e-3)


def test_measure_shift_on_a_grating_measures_along_its_wave_vector():
    # stripes varying along x: the y component is unobservable and stays 0
    g = signals.grating((32, 32), wavelength=8.0)
    moved = signals.grating((32, 32), wavelength=8.0, shift=torch.tensor([[0.0, 0.3], [0.0, -2.5]]))
    est = signals.measure_shift(moved[:, None], g)
    assert torch.allclose(est, torch.tensor([[0.0, 0.3], [0.0, -2.5]]), atol=1e-3)


def test_measure_shift_pools_colour_channels():
    base = signals.gabor_patch((48, 48), wavelength=8.0, sigma=6.0)
    moved = signals.gabor_patch((48, 48), 8.0, sigma=6.0, shift=(0.2, -0.3))
    est = signals.measure_shift(torch.stack([moved, 1 - moved, moved]), torch.stack([base, 1 - base, base]))
    assert torch.allclose(est, torch.tensor([0.2, -0.3]), atol=1e-3)


def test_measure_shift_window_helps_on_non_periodic_crops():
    big = signals.natural_image("camera", (128, 128))
    moved = signals.translate(big, (0.3, -0.6))[:, 32:96, 32:96]
    still = big[:, 32:96, 32:96]
    truth = torch.tensor([0.3, -0.6])
    err_window = (signals.measure_shift(moved, still, window=True) - truth).abs().max()
    err_plain = (signals.measure_shift(moved, still) - truth).abs().max()
    assert float(err_window) < 0.05 < float(err_plain)


def test_measure_shift_errors():
    with pytest.raises(ValueError, match="share"):
        signals.measure_shift(torch.rand(2, 1, 8, 8), torch.rand(1, 8, 10))
    with pytest.raises(ValueError, match="frame"):
        signals.measure_shift(torch.rand(8), torch.rand(8, 8))
    with pytest.raises(ValueError, match="NaN"):
        signals.measure_shift(torch.full((8, 8), float("nan")), torch.rand(8, 8))


def test_measure_shift_frequency_range():
    img = signals.natural_image("camera", (64, 64))
    moved = signals.translate(img, (0.35, -0.6))
    for band in [(0.1, 1.0), (1.6, 3.0)]:
        est = signals.measure_shift(moved, img, frequency_range=band)
        assert torch.allclose(est, torch.tensor([0.35, -0.6]), atol=2e-3)
    # content outside the range is ignored: a pattern that moves under fine
    # texture that stays put measures the pattern's shift
    wx = 2 * math.pi * torch.fft.fftfreq(64)
    texture = torch.fft.ifft2(torch.fft.fft2(torch.randn(64, 64)) * (wx.abs() > 2.5)).real * 0.05
    still = signals.gabor_patch((64, 64), 16.0, sigma=10.0) + texture
    moving = signals.gabor_patch((64, 64), 16.0, sigma=10.0, shift=(0.0, 0.5)) + texture
    est = signals.measure_shift(moving, still, frequency_range=(0.0, 1.0))
    assert torch.allclose(est, torch.tensor([0.0, 0.5]), atol=1e-2)
    assert float(signals.measure_shift(moving, still)[1]) < 0.45  # unrestricted: pulled to 0
    with pytest.raises(ValueError, match="frequency_range"):
        signals.measure_shift(moved, img, frequency_range=(1.0, 0.5))


def test_displacement_gain_recovers_the_factor_and_ignores_perpendicular_motion():
    d = signals.sinusoidal_displacement(16, amplitude=0.3, frequency=2.0, fs=16.0, angle=0.4)
    ref = signals.moving_pattern(d, shape=(48, 48), wavelength=8.0, sigma=6.0).video[0]
    for factor in (0.5, 1.0, 4.0):
        moved = signals.moving_pattern(factor * d, shape=(48, 48), wavelength=8.0, sigma=6.0).video
        assert signals.displacement_gain(moved, ref, d) == pytest.approx(factor, rel=2e-3)
    # motion perpendicular to d does not count; motion against it counts negatively
    perpendicular = torch.stack([-d[:, 1], d[:, 0]], dim=1)
    sideways = signals.moving_pattern(perpendicular, shape=(48, 48), wavelength=8.0, sigma=6.0).video
    assert abs(signals.displacement_gain(sideways, ref, d)) < 1e-3
    backwards = signals.moving_pattern(-2 * d, shape=(48, 48), wavelength=8.0, sigma=6.0).video
    assert signals.displacement_gain(backwards, ref, d) == pytest.approx(-2.0, rel=2e-3)


def test_displacement_gain_errors():
    video = torch.rand(4, 1, 16, 16)
    with pytest.raises(ValueError, match="zero in every frame"):
        signals.displacement_gain(video, video[0], torch.zeros(4, 2))
    with pytest.raises(ValueError, match="one displacement"):
        signals.displacement_gain(video, video[0], torch.ones(5, 2))
    with pytest.raises(ValueError, match="T×C×H×W"):
        signals.displacement_gain(video[0], video[0], torch.ones(4, 2))
    with pytest.raises(ValueError, match="T×2"):
        signals.displacement_gain(video, video[0], torch.ones(4))


def test_patterns_follow_the_device_of_their_shift(device):
    from steerlens import signals

    shift = torch.tensor([0.5, -1.0], dtype=torch.float64, device=device)
    patch = signals.gabor_patch(32, 8.0, shift=shift)
    assert patch.device == shift.device
    reference = signals.gabor_patch(32, 8.0, shift=shift.cpu())
    torch.testing.assert_close(patch.cpu(), reference)
