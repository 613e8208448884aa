"""Steering the complex steerable pyramid (``CSP.steer``, ``steer_bands``, ``steering_weights``).

The steered band is checked against analytic references: the ``cos^n``
identity the weights must satisfy, the basis bands themselves, a band computed
with the pyramid's filter turned to the angle, an exactly rotated image
(``torch.rot90``: no interpolation) and the energy curve of a grating.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import steerlens as sl
from steerlens.transforms import Coefficients, steer_bands, steering_weights
from steerlens.transforms._masks import _radial

SETTINGS = dict(deadline=None, derandomize=True, database=None)
ANGLES = st.floats(-2 * math.pi, 2 * math.pi, allow_nan=False)


def _rand(shape, device, dtype=torch.float64):
    return torch.rand(*shape, dtype=dtype, generator=torch.Generator().manual_seed(1)).to(device)


@settings(max_examples=60, **SETTINGS)
@given(angle=ANGLES, order=st.integers(1, 7))
def test_weights_reproduce_the_rotated_cos_power(angle, order):
    phi = torch.linspace(-math.pi, math.pi, 181, dtype=torch.float64)
    k = order + 1
    basis = math.pi * torch.arange(k, dtype=torch.float64) / k
    w = steering_weights(angle, order)
    steered = (w[:, None] * torch.cos(phi[None] - basis[:, None]) ** order).sum(0)
    assert torch.allclose(steered, torch.cos(phi - angle) ** order, atol=1e-12)


def test_weights_at_basis_angles_are_the_identity():
    for order in range(1, 8):
        k = order + 1
        basis = math.pi * torch.arange(k, dtype=torch.float64) / k
        w = steering_weights(basis, order)
        assert torch.equal(w, torch.eye(k, dtype=torch.float64))


@pytest.mark.parametrize("downsample", [False, True])
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_steering_to_basis_angles_returns_the_basis_bands(order, downsample, device):
    shape = (48, 64)  # non-square: the half-plane follows the masks' normalised angles
    csp = sl.CSP(shape, height=3, order=order, downsample=downsample).to(device)
    x = _rand((2, 1, *shape), device, torch.float32)
    c = csp.analyze(x)
    for s in range(csp.height):
        steered = csp.steer(c, s, csp.orientation_angles)
        scale = float(c.bands[s].abs().max())
        assert steered.shape == c.bands[s].shape
        assert float((steered - c.bands[s]).abs().max()) < 1e-5 * scale


def _rotated_filter_band(x, csp, scale, angle):
    """Band ``scale`` of a non-downsampled CSP computed with its filter turned to ``angle``."""
    h, w = csp.image_shape
    xr, yr = np.meshgrid(np.linspace(-1, 1, w + 1)[:-1], np.linspace(-1, 1, h + 1)[:-1])
    theta = np.arctan2(yr, xr)
    rad = np.sqrt(xr**2 + yr**2)
    ctr = np.ceil((np.array([h, w]) + 0.5) / 2).astype(int)
    rad[ctr[0] - 1, ctr[1] - 1] = rad[ctr[0] - 1, ctr[1] - 2]
    log_rad = np.log2(rad)
    n = csp.order
    const = 2 ** (2 * n) * math.factorial(n) ** 2 / ((n + 1) * math.factorial(2 * n))
    _, chain = _radial(log_rad, csp.twidth)
    for j in range(scale):
        chain = chain * 2 * _radial(log_rad + j + 1, csp.twidth)[1]
    hi, _ = _radial(log_rad + scale + 1, csp.twidth)
    turned = theta - angle
    wrapped = (turned + np.pi) % (2 * np.pi) - np.pi
    angular = 2 * math.sqrt(const) * np.cos(turned) ** n * (np.abs(wrapped) < np.pi / 2)
    mask = torch.from_numpy(chain * hi * angular).to(x.device)
    spectrum = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1)) * mask
    band = torch.fft.ifft2(torch.fft.ifftshift(spectrum, dim=(-2, -1)))
    return band * complex(0, -1) ** n


@settings(max_examples=12, **SETTINGS)
@given(angle=ANGLES, order=st.integers(1, 4), scale=st.integers(0, 2))
def test_steered_band_equals_analysis_with_the_turned_filter(angle, order, scale):
    csp = sl.CSP((64, 64), height=3, order=order)
    x = _rand((1, 1, 64, 64), "cpu")
    reference = _rotated_filter_band(x, csp, scale, angle)
    # the reference construction itself reproduces the basis bands
    c = csp.analyze(x)
    basis = _rotated_filter_band(x, csp, scale, math.pi / (order + 1))
    assert float((basis - c.bands[scale][:, :, 1]).abs().max()) < 1e-12
    steered = csp.steer(c, scale, angle)
    assert float((steered - reference).abs().max()) < 1e-10 * float(reference.abs().max())


def _turn(a):
    """A quarter turn about pixel (0, 0), periodic: ``out[i, j] = a[j, −i mod N]``.

    ``torch.rot90`` followed by a one-pixel roll: it turns the DFT grid about
    its origin exactly, so it also commutes with the pyramid's subsampling."""
    return torch.roll(torch.rot90(a, 1, dims=(-2, -1)), 1, dims=-2)


@settings(max_examples=8, **SETTINGS)
@given(angle=ANGLES, order=st.sampled_from([2, 3, 4]), downsample=st.booleans())
def test_steering_commutes_with_an_exact_rotation(angle, order, downsample):
    """``steer(turn x, α) = turn(steer(x, α + π/2))``: a quarter turn of the image
    turns every band by 90° (in this convention, ``+π/2``), with no interpolation."""
    csp = sl.CSP((64, 64), height=3, order=order, downsample=downsample)
    x = _rand((1, 1, 64, 64), "cpu")
    c, c_turned = csp.analyze(x), csp.analyze(_turn(x))
    for s in range(csp.height):
        lhs = csp.steer(c_turned, s, angle)
        rhs = _turn(csp.steer(c, s, angle + math.pi / 2))
        assert float((lhs - rhs).abs().max()) < 1e-10 * float(lhs.abs().max())


def test_plain_rot90_turns_full_resolution_bands():
    """With ``torch.rot90`` itself (no roll) for a full-resolution pyramid."""
    csp = sl.CSP((64, 64), height=3, order=3)
    x = _rand((1, 1, 64, 64), "cpu")
    c, c_turned = csp.analyze(x), csp.analyze(torch.rot90(x, 1, dims=(-2, -1)))
    for angle in (0.1, 0.5, 2.0):
        lhs = csp.steer(c_turned, 1, angle)
        rhs = torch.rot90(csp.steer(c, 1, angle + math.pi / 2), 1, dims=(-2, -1))
        assert float((lhs - rhs).abs().max()) < 1e-10 * float(lhs.abs().max())


@settings(max_examples=10, **SETTINGS)
@given(angle=st.floats(0, math.pi, allow_nan=False), order=st.integers(1, 4))
def test_grating_energy_follows_cos_power_and_peaks_at_its_orientation(angle, order):
    n = 64
    fx, fy = round(10 * math.cos(angle)), round(10 * math.sin(angle))
    i, j = torch.meshgrid(*[torch.arange(n, dtype=torch.float64)] * 2, indexing="ij")
    x = 0.5 + 0.4 * torch.cos(2 * math.pi * (fy * i + fx * j) / n)
    true_angle = math.atan2(fy, fx)  # the masks' convention: from ω_x towards +ω_y
    csp = sl.CSP((n, n), height=3, order=order)
    c = csp.analyze(x[None, None])
    sweep = torch.linspace(0, math.pi, 361, dtype=torch.float64)[:-1]  # 0.5° steps
    energy = csp.steer(c, 1, sweep).abs().pow(2).mean(dim=(-2, -1))[0, 0]
    peak_energy = float(csp.steer(c, 1, true_angle).abs().pow(2).mean())
    predicted = peak_energy * torch.cos(sweep - true_angle) ** (2 * order)
    assert torch.allclose(energy, predicted, atol=1e-9 * peak_energy)
    peak = float(sweep[energy.argmax()])
    gap = abs((peak - true_angle + math.pi / 2) % math.pi - math.pi / 2)
    assert gap <= math.pi / 720 + 1e-9  # within half a step of the sweep


@pytest.mark.parametrize("order", [1, 2, 3])
def test_half_turn_gives_the_signed_conjugate(order, device):
    csp = sl.CSP((32, 32), height=2, order=order).to(device)
    c = csp.analyze(_rand((1, 3, 32, 32), device, torch.float32))
    a = csp.steer(c, 0, 0.3)
    b = csp.steer(c, 0, 0.3 + math.pi)
    assert float((b - (-1) ** order * a.conj()).abs().max()) < 1e-5 * float(a.abs().max())


def test_shapes_dtypes_gradients_and_no_mutation(device):
    csp = sl.CSP((32, 32), height=2, order=3).to(device)
    c = csp.analyze(_rand((2, 3, 32, 32), device, torch.float32))
    band = c.bands[1].clone().requires_grad_(True)
    before = band.detach().clone()
    one = steer_bands(band, 0.4)
    many = steer_bands(band, torch.tensor([0.4, 1.0]))
    assert one.shape == (2, 3, 32, 32) and many.shape == (2, 3, 2, 32, 32)
    assert one.dtype == torch.complex64 and one.device == band.device
    assert torch.equal(one, many[:, :, 0])  # one angle = first of many, deterministic
    many.abs().pow(2).sum().backward()
    assert band.grad is not None and bool(torch.isfinite(band.grad).all())
    assert torch.equal(band.detach(), before)
    assert torch.equal(csp.steer(c, 1, 0.4), csp.steer(c, 1, 0.4))  # deterministic
    zero = steer_bands(torch.zeros_like(c.bands[0]), [0.1, 2.0])
    assert bool((zero == 0).all())  # zero bands stay zero (no NaN)


def test_errors_name_the_argument():
    csp = sl.CSP((32, 32), height=2, order=3)
    c = csp.analyze(torch.rand(1, 1, 32, 32))
    with pytest.raises(TypeError, match="`coeffs` must be Coefficients"):
        csp.steer(c.bands, 0, 0.1)
    with pytest.raises(ValueError, match="holds 1 scales"):
        csp.steer(Coefficients(c.bands[:1], c.fixed), 0, 0.1)
    with pytest.raises(TypeError, match="`scale` must be an int"):
        csp.steer(c, 1.0, 0.1)
    with pytest.raises(TypeError, match="`scale` must be an int"):
        csp.steer(c, True, 0.1)
    with pytest.raises(ValueError, match="`scale`=2 is outside"):
        csp.steer(c, 2, 0.1)
    with pytest.raises(ValueError, match="`scale`=-1 is outside"):
        csp.steer(c, -1, 0.1)
    with pytest.raises(ValueError, match=r"`coeffs.bands\[0\]` must be a complex"):
        csp.steer(Coefficients([b.real for b in c.bands], c.fixed), 0, 0.1)
    with pytest.raises(ValueError, match="holds 4 orientations but this CSP has 3"):
        sl.CSP((32, 32), height=2, order=2).steer(c, 0, 0.1)
    with pytest.raises(TypeError, match="`angle` must be a float"):
        csp.steer(c, 0, "45°")
    with pytest.raises(TypeError, match="got a bool"):
        csp.steer(c, 0, True)
    with pytest.raises(TypeError, match="sequence of floats"):
        csp.steer(c, 0, [0.1, None])
    with pytest.raises(TypeError, match="real angles"):
        csp.steer(c, 0, torch.tensor([1j]))
    with pytest.raises(ValueError, match="`angle` must be finite"):
        csp.steer(c, 0, float("nan"))
    with pytest.raises(ValueError, match="`angle` is empty"):
        csp.steer(c, 0, [])
    with pytest.raises(ValueError, match="1-D tensor"):
        csp.steer(c, 0, torch.zeros(2, 2))
    with pytest.raises(TypeError, match="`bands` must be complex"):
        steer_bands(c.bands[0].real, 0.1)
    with pytest.raises(TypeError, match="`bands` must be a complex tensor"):
        steer_bands(c.bands, 0.1)
    with pytest.raises(ValueError, match="K ≥ 2"):
        steer_bands(c.bands[0][:, :, :1], 0.1)
    with pytest.raises(ValueError, match="`order`=2 does not match"):
        steer_bands(c.bands[0], 0.1, order=2)
    with pytest.raises(TypeError, match="`order` must be an int"):
        steer_bands(c.bands[0], 0.1, order=3.0)
    with pytest.raises(ValueError, match="smaller than the band"):
        steer_bands(c.bands[0], 0.1, image_shape=(16, 16))
    with pytest.raises(ValueError, match="`image_shape` must be"):
        steer_bands(c.bands[0], 0.1, image_shape=32)
    with pytest.raises(TypeError, match="`order` must be an int"):
        steering_weights(0.1, "3")
    with pytest.raises(ValueError, match="`order` must be ≥ 1"):
        steering_weights(0.1, 0)
