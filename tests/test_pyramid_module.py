"""CSP as an honest nn.Module: buffers, .to(), state_dict, plenoptic agreement, bad input."""

from __future__ import annotations

import warnings

import pytest
import torch

import steerlens as sl
from steerlens.transforms import CSP
from steerlens.transforms.pyramid import _plenoptic_pyramid


def _x(shape=(32, 32), batch=2, channels=1, dtype=torch.float32):
    gen = torch.Generator().manual_seed(0)
    return torch.rand(batch, channels, *shape, generator=gen).to(dtype)


def test_masks_are_buffers_that_follow_to_and_double(device):
    csp = CSP((32, 32), height=2).to(device)
    names = dict(csp.named_buffers())
    assert {"lo0", "hi0", "band_0", "band_1", "synth_band_0", "synth_highpass", "synth_lowpass"} <= set(names)
    assert all(b.dtype == torch.float32 for b in csp.buffers())
    assert csp.to(torch.float64) is csp
    assert all(b.dtype == torch.float64 and b.device.type == device.type for b in csp.buffers())
    x = _x(dtype=torch.float64).to(device)
    assert (csp.synthesize(csp.analyze(x)) - x).abs().max() < 1e-12
    csp.float()
    assert all(b.dtype == torch.float32 for b in csp.buffers())


def test_to_device_moves_buffers(device):
    csp = CSP((32, 32), height=2).to(device)
    assert all(b.device.type == device.type for b in csp.buffers())
    x = _x().to(device)
    y = csp.synthesize(csp.analyze(x))
    assert y.device.type == device.type and (y - x).abs().max() < 2e-6


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_to_cuda_without_cuda_fails_like_torch():
    with pytest.raises((RuntimeError, AssertionError)):
        CSP((16, 16), height=1).to("cuda")


def test_state_dict_round_trips_into_a_fresh_module(device):
    a = CSP((32, 48), height=3, downsample=True).to(device)
    state = a.state_dict()
    assert set(state) == {n for n, _ in a.named_buffers()}
    # corrupt a fresh module's masks, then load: outputs match the original exactly
    b = CSP((32, 48), height=3, downsample=True).to(device)
    for buf in b.buffers():
        buf.mul_(0.5)
    b.load_state_dict(state)
    x = _x((32, 48)).to(device)
    ca, cb = a.analyze(x), b.analyze(x)
    assert all(torch.equal(p, q) for p, q in zip(ca.bands, cb.bands, strict=True))
    assert torch.equal(a.synthesize(ca), b.synthesize(cb))
    # loading in place did not touch the shared cache: a third module is unaffected
    c = CSP((32, 48), height=3, downsample=True).to(device)
    assert torch.equal(c.synthesize(c.analyze(x)), a.synthesize(ca))


def test_state_dict_of_another_configuration_is_refused(device):
    with pytest.raises(RuntimeError):
        CSP((32, 32), height=2).to(device).load_state_dict(CSP((32, 32), height=3).to(device).state_dict())


@pytest.mark.parametrize(
    "shape,options",
    [((32, 32), {}), ((32, 48), {"downsample": True}), ((24, 40), {"tight_frame": True}),
     ((64, 64), {"downsample": True, "tight_frame": True, "order": 2}), ((32, 32), {"twidth": 2})],
)
def test_matches_plenoptic_pyramid(shape, options, device):
    """Fails loudly if plenoptic changes its pyramid's conventions (masks, signs, layout)."""
    csp = CSP(shape, **options).to(device)
    x = _x(shape)
    ours = csp.analyze(x.to(device))
    ref = _plenoptic_pyramid(*csp._config())(x)  # plenoptic's own pyramid, on the CPU
    assert list(ref) == ["residual_highpass", *range(csp.height), "residual_lowpass"], (
        "plenoptic's SteerablePyramidFreq output layout changed; update steerlens.transforms.pyramid"
    )
    for s in range(csp.height):
        assert ours.bands[s].shape == ref[s].shape
        err = (ours.bands[s].cpu() - ref[s]).abs().max()
        assert err < 5e-5, f"band {s} differs from plenoptic's by {err:.2e}: plenoptic changed its masks?"
    for key in ("residual_highpass", "residual_lowpass"):
        assert (ours.fixed[key].cpu() - ref[key]).abs().max() < 5e-5, key
    assert (csp.synthesize_plenoptic(ours) - csp.synthesize(ours)).abs().max() < 5e-5


def test_no_blanket_warning_filter_in_the_package():
    from pathlib import Path

    root = Path(sl.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert 'simplefilter("ignore")' not in text, path
    _plenoptic_pyramid.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # plenoptic's construction emits nothing unexpected
        _plenoptic_pyramid((32, 32), 2, 3, 1, False, False)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_images_are_analysed_in_float32(dtype, device):
    csp = CSP((32, 32), height=2).to(device)
    x = _x(dtype=dtype).to(device)
    c = csp.analyze(x)
    assert c.bands[0].dtype == torch.complex64
    assert (csp.synthesize(c) - x.float()).abs().max() < 2e-6
    f = sl.Fourier((32, 32)).to(device)
    assert f.analyze(x).bands[0].dtype == torch.complex64
    assert sl.Pixel().to(device).analyze(x).bands[0].dtype == torch.float32


@pytest.mark.parametrize(
    "shape,match",
    [("ab", "image_shape"), (None, "image_shape"), ((32.0, 32.0), "image_shape"), ((32,), "image_shape"),
     ((31, 32), "image_shape"), ((4, 4), "image_shape"), (("a", "b"), "image_shape")],
)
def test_bad_image_shape_names_the_argument(shape, match):
    for cls in (CSP, sl.Fourier):
        with pytest.raises((TypeError, ValueError), match=match):
            cls(shape)


def test_image_shape_accepts_torch_size():
    assert CSP(torch.rand(1, 1, 32, 32).shape[-2:], height=2).image_shape == (32, 32)


def test_bad_pyramid_options_name_the_argument():
    with pytest.raises(ValueError, match="height"):
        CSP((32, 32), height="big")
    with pytest.raises(ValueError, match="order"):
        CSP((32, 32), order=16)
    with pytest.raises(TypeError, match="twidth"):
        CSP((32, 32), twidth=1.5)


def test_polar_edit_rejects_bad_fields_by_name(device):
    f = sl.Fourier((16, 16)).to(device)
    c = f.analyze(_x((16, 16)).to(device))
    band = c.bands[0]
    with pytest.raises(ValueError, match=r"`eta\[0\]` reaches"):
        f.polar_edit(c, eta=[torch.full(band.shape, 1e4, device=device)])
    with pytest.raises(ValueError, match=r"`delta\[0\]` contains NaN"):
        f.polar_edit(c, delta=[torch.full(band.shape, float("nan"), device=device)])
    with pytest.raises(ValueError, match=r"`delta\[0\]` has shape"):
        f.polar_edit(c, delta=[torch.zeros(3, 3, device=device)])
    with pytest.raises(TypeError, match="`eta` must be a list"):
        f.polar_edit(c, eta=torch.zeros(band.shape, device=device))
    with pytest.raises(TypeError, match=r"`delta\[0\]` must be a real"):
        f.polar_edit(c, delta=[band])
    with pytest.raises(TypeError, match="`coeffs` must be Coefficients"):
        f.polar_edit(band, delta=[torch.zeros(band.shape, device=device)])
    with pytest.raises(TypeError, match="real"):
        sl.Pixel().polar_edit(c)
