"""Tests of steerlens.models: architectures, training, the zoo, ImageNet loaders."""

from __future__ import annotations

import argparse
import time
from importlib import resources

import pytest
import torch
import torchvision
from torch.utils.data import DataLoader

from steerlens.data import mnist_digits
from steerlens.models import (
    ARCHITECTURES,
    ZOO_RECIPES,
    AdversarialConfig,
    ImageNetNormalize,
    SmallCNN,
    SmallMLP,
    SmallResNet,
    build_model,
    evaluate_accuracy,
    imagenet_class_names,
    imagenet_model,
    imagenet_weights_cached,
    model_info,
    pgd_l2,
    pretrained,
    random_translate,
    robust_resnet50,
    train,
    train_zoo_model,
    zoo_dataset,
    zoo_names,
)
from steerlens.models import zoo as zoo_module

# --------------------------------------------------------------------------- architectures


@pytest.mark.parametrize(
    "model, shape",
    [
        (SmallCNN(1, 10, 28), (1, 28, 28)),
        (SmallCNN(3, 2, 64, channels=(16, 32, 32, 64), hidden=32, pool="avg"), (3, 64, 64)),
        (SmallResNet(1, 10), (1, 28, 28)),
        (SmallResNet(3, 5, widths=(8, 16)), (3, 32, 32)),
        (SmallMLP(784, 10, hidden=(32, 16)), (1, 28, 28)),
    ],
)
def test_architectures_give_logits(model, shape, device):
    out = model.to(device)(torch.rand(4, *shape, device=device))
    assert out.device.type == device.type
    model.cpu()
    assert out.shape == (4, model.config["num_classes"])
    assert torch.isfinite(out).all()
    rebuilt = build_model(type(model).__name__, **model.config)
    rebuilt.load_state_dict(model.state_dict())  # same config -> same parameter shapes


def test_architecture_errors():
    with pytest.raises(ValueError, match="image_size"):
        SmallCNN(1, 10, image_size=8, channels=(8, 8, 8, 8))
    with pytest.raises(ValueError, match="pool"):
        SmallCNN(pool="median")
    with pytest.raises(ValueError, match="in_features"):
        SmallMLP(784, 10)(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match="architecture"):
        build_model("VisionTransformer")
    assert set(ARCHITECTURES) == {"SmallCNN", "SmallResNet", "SmallMLP"}


# --------------------------------------------------------------------------- training


@pytest.fixture
def one_thread():
    """Tiny training runs are fastest (and match the zoo's settings) on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def small_mnist():
    train_set = mnist_digits("train")
    return train_set.images[:256], train_set.labels[:256]


def _fresh_cnn(seed: int = 0) -> SmallCNN:
    torch.manual_seed(seed)
    return SmallCNN(1, 10, 28, channels=(8, 16), hidden=32)


def test_training_lowers_the_loss_and_is_deterministic(small_mnist, one_thread):
    a, b = _fresh_cnn(), _fresh_cnn()
    ha = train(a, small_mnist, epochs=3, progress=False, seed=3, augment_shift=1)
    hb = train(b, small_mnist, epochs=3, progress=False, seed=3, augment_shift=1)
    assert ha.loss[-1] < 0.6 * ha.loss[0]
    assert ha.loss == hb.loss
    for (ka, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(va, vb), ka
    assert not a.training  # left in eval mode
    assert evaluate_accuracy(a, small_mnist) > 0.7


def test_training_accepts_a_dataset_and_a_loader(small_mnist, one_thread):
    x, y = small_mnist
    ds = torch.utils.data.TensorDataset(x[:128], y[:128])
    h1 = train(_fresh_cnn(), ds, epochs=1, batch_size=32, progress=False)
    loader = DataLoader(ds, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    h2 = train(_fresh_cnn(), loader, epochs=1, progress=False)
    assert len(h1.loss) == len(h2.loss) == 1 and h1.seconds > 0
    with pytest.raises(TypeError, match="data"):
        train(_fresh_cnn(), [1, 2, 3], epochs=1, progress=False)
    with pytest.raises(TypeError, match="adversarial"):
        train(_fresh_cnn(), ds, epochs=1, progress=False, adversarial={"eps": 1.0})


def test_adversarial_training_runs_and_lowers_the_loss(small_mnist, one_thread):
    x, y = small_mnist
    h = train(_fresh_cnn(), (x[:128], y[:128]), epochs=3, progress=False,
              adversarial=AdversarialConfig(eps=1.0, steps=2))
    assert h.loss[-1] < h.loss[0]
    with pytest.raises(ValueError, match="eps"):
        AdversarialConfig(eps=-1.0)


def test_pgd_l2_stays_in_the_ball_and_raises_the_loss(small_mnist):
    model = pretrained("mnist_cnn")
    x, y = small_mnist[0][:64], small_mnist[1][:64]
    adv = pgd_l2(model, x, y, eps=1.5, steps=10)
    assert float((adv - x).flatten(1).norm(dim=1).max()) <= 1.5 + 1e-4
    assert float(adv.min()) >= 0 and float(adv.max()) <= 1
    ce = torch.nn.functional.cross_entropy
    assert float(ce(model(adv), y)) > float(ce(model(x), y)) + 0.5
    assert all(p.grad is None for p in model.parameters())


def test_random_translate_moves_whole_pixels():
    x = torch.zeros(16, 1, 12, 12)
    x[..., 6, 6] = 1.0
    y = random_translate(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(y.sum(dim=(1, 2, 3)), torch.ones(16))
    pos = y.flatten(1).argmax(1)
    rows, cols = pos // 12, pos % 12
    assert int((rows - 6).abs().max()) <= 2 and int((cols - 6).abs().max()) <= 2
    assert len(set(pos.tolist())) > 1
    assert torch.equal(random_translate(x, 0), x)


def test_evaluate_accuracy_counts_correct_predictions():
    model = SmallMLP(4, 2, hidden=())
    with torch.no_grad():
        model.net[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
        model.net[1].bias.zero_()
    x = torch.eye(4)[:, None, :].view(4, 1, 2, 2)  # predicted classes 0, 1, then ties -> 0
    assert evaluate_accuracy(model, (x, torch.tensor([0, 1, 0, 1]))) == 0.75
    model.train()
    evaluate_accuracy(model, (x, torch.tensor([0, 1, 0, 0])))
    assert model.training  # mode restored


# --------------------------------------------------------------------------- the zoo

REQUIRED = {
    "blobs_cnn",
    "mnist_cnn",
    "mnist_cnn_robust",
    "mnist_judge_resnet",
    "mnist_judge_mlp",
    "natural_shifts_cnn",
}


def test_zoo_holds_the_required_models():
    names = set(zoo_names())
    assert REQUIRED <= names
    assert names == set(ZOO_RECIPES)
    judges = set(zoo_names(role="judge"))
    assert {"mnist_judge_resnet", "mnist_judge_mlp"} <= judges
    assert not judges & set(zoo_names(role="driver"))
    # MNIST judges differ from the driver in architecture and seed
    driver = model_info("mnist_cnn")
    for judge in ("mnist_judge_resnet", "mnist_judge_mlp"):
        info = model_info(judge)
        assert info.architecture != driver.architecture
        assert info.training["seed"] != driver.training["seed"]
    assert model_info("mnist_judge_resnet").training["seed"] != model_info("mnist_judge_mlp").training["seed"]


@pytest.mark.parametrize("name", sorted(ZOO_RECIPES))
def test_zoo_model_loads_fast_in_eval_mode(name):
    start = time.perf_counter()
    model = pretrained(name)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"{name} took {elapsed:.2f} s to load"
    info = model_info(name)
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    out = model(torch.rand(2, *info.input_shape))
    assert out.shape == (2, info.num_classes)
    weights = resources.files("steerlens").joinpath("weights", info.weights)
    assert len(weights.read_bytes()) == info.bytes < 300 * 1024
    assert pretrained(name) is not model  # a fresh model every call


@pytest.mark.parametrize("name", sorted(ZOO_RECIPES))
def test_zoo_model_reaches_its_recorded_accuracy(name):
    info = model_info(name)
    test = zoo_dataset(name, "test")
    assert len(test) == info.test_size
    assert tuple(test.image_shape) == info.input_shape and tuple(test.class_names) == info.class_names
    accuracy = evaluate_accuracy(pretrained(name), (test.images, test.labels))
    assert accuracy == pytest.approx(info.test_accuracy, abs=0.002)
    if info.role == "control":  # trained on shuffled labels; see tests/test_controls.py
        assert abs(accuracy - 1 / info.num_classes) < 0.05
        return
    floor = 0.97 if name in ("mnist_cnn",) else 0.95
    if name == "mnist_cnn_robust":
        floor = 0.9
    assert accuracy >= floor


def test_zoo_metadata():
    info = model_info("mnist_cnn")
    assert info.input_shape == (1, 28, 28) and info.class_names == tuple("0123456789")
    assert info.dataset == "mnist_digits" and info.test_split == {"split": "test"}
    robust = model_info("mnist_cnn_robust")
    assert robust.training["adversarial"] == {"eps": 1.5, "steps": 3}
    # robust training pays off under attack
    assert robust.extra["l2_pgd"]["accuracy"] > info.extra["l2_pgd"]["accuracy"] + 0.2
    natural = model_info("natural_shifts_cnn")
    assert natural.input_shape == (3, 64, 64) and natural.class_names == ("left", "right")
    assert ZOO_RECIPES["mnist_cnn"].dataset_call("test") == "steerlens.data.mnist_digits(split='test')"


def test_zoo_errors(monkeypatch):
    with pytest.raises(ValueError, match="unknown zoo model 'mnist_vit'; valid names: .*mnist_cnn"):
        pretrained("mnist_vit")
    with pytest.raises(ValueError, match="unknown zoo model"):
        zoo_dataset("mnist_vit")
    with pytest.raises(TypeError, match="name"):
        model_info(3)
    with pytest.raises(ValueError, match="role"):
        zoo_names(role="teacher")
    # a weight file that does not match its checksum is refused with the command to rebuild
    meta = {k: dict(v) for k, v in zoo_module._metadata().items()}
    meta["blobs_cnn"]["sha256"] = "0" * 64
    monkeypatch.setattr(zoo_module, "_metadata", lambda: meta)
    with pytest.raises(RuntimeError, match="train_zoo.py"):
        pretrained("blobs_cnn")


def test_zoo_recipe_reproduces_the_shipped_model(one_thread):  # the zoo was trained on one thread
    model, history = train_zoo_model("blobs_judge_mlp", progress=False)
    test = zoo_dataset("blobs_judge_mlp", "test")
    accuracy = evaluate_accuracy(model, (test.images, test.labels))
    assert accuracy == pytest.approx(model_info("blobs_judge_mlp").test_accuracy, abs=0.01)
    assert history.loss[-1] < history.loss[0]


# --------------------------------------------------------------------------- ImageNet loaders


def test_imagenet_model_random_weights_has_normalisation_inside():
    model = imagenet_model("resnet18", weights=None)
    assert isinstance(model.normalize, ImageNetNormalize)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    x = torch.rand(2, 3, 64, 64)
    expected = model.network((x - model.normalize.mean) / model.normalize.std)
    assert torch.allclose(model(x), expected)
    assert model(x).shape == (2, 1000)


def test_imagenet_model_from_a_state_dict_file(tmp_path):
    torch.manual_seed(1)
    source = torchvision.models.resnet18().eval()
    plain, wrapped = tmp_path / "plain.pth", tmp_path / "dataparallel.pt"
    torch.save(source.state_dict(), plain)
    torch.save({"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, wrapped)
    x = torch.rand(1, 3, 64, 64)
    expected = source(ImageNetNormalize()(x))
    for path in (plain, str(wrapped)):
        model = imagenet_model("resnet18", weights=path)
        assert torch.allclose(model(x), expected, atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        imagenet_model("resnet34", weights=plain)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        imagenet_model("resnet18", weights=tmp_path / "missing.pth")


def test_imagenet_model_offline_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache: the weights must be downloaded
    assert not imagenet_weights_cached("resnet18")
    with pytest.raises(RuntimeError, match=r"(?s)could not download the resnet18 weights.*python -c.*weights="):
        imagenet_model("resnet18", weights="DEFAULT")


def test_imagenet_model_loads_cached_weights_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    cached = tmp_path / "hub" / "checkpoints" / weights.url.rsplit("/", 1)[-1]
    cached.parent.mkdir(parents=True)
    torch.manual_seed(3)
    source = torchvision.models.resnet18().eval()
    torch.save(source.state_dict(), cached)
    assert imagenet_weights_cached("resnet18")
    model = imagenet_model("resnet18", weights="DEFAULT")  # pytest-socket: no download possible
    x = torch.rand(1, 3, 64, 64)
    assert torch.allclose(model(x), source(ImageNetNormalize()(x)), atol=1e-5)


def test_imagenet_model_bad_names():
    with pytest.raises(ValueError, match="unknown torchvision classifier 'resnet19'.*resnet18"):
        imagenet_model("resnet19")
    with pytest.raises(ValueError, match="unknown weights 'IMAGENET9K'.*IMAGENET1K_V1"):
        imagenet_model("resnet18", weights="IMAGENET9K")
    with pytest.raises(TypeError, match="weights"):
        imagenet_model("resnet18", weights=3)
    with pytest.raises(ValueError, match="unknown torchvision classifier"):
        imagenet_weights_cached("resnet19")


def test_imagenet_class_names_offline():
    names = imagenet_class_names()
    assert len(names) == 1000 and names[0] == "tench" and len(set(names)) > 990


@pytest.mark.slow
def test_robust_resnet50_reads_the_robustness_library_format(tmp_path):
    torch.manual_seed(2)
    source = torchvision.models.resnet50().eval()
    sd = source.state_dict()
    checkpoint = {
        "model": {
            **{f"module.model.{k}": v for k, v in sd.items()},
            **{f"module.attacker.model.{k}": torch.zeros_like(v) for k, v in sd.items()},
            "module.normalizer.new_mean": torch.zeros(3, 1, 1),
            "module.normalizer.new_std": torch.ones(3, 1, 1),
            "module.attacker.normalize.new_mean": torch.zeros(3, 1, 1),
        },
        "epoch": 90,
    }
    path = tmp_path / "imagenet_l2_3_0.pt"
    torch.save(checkpoint, path)
    model = robust_resnet50(path)
    x = torch.rand(1, 3, 64, 64)
    assert torch.allclose(model(x), source(ImageNetNormalize()(x)), atol=1e-4)
    # a checkpoint holding Python objects needs trusted=True
    torch.save({**checkpoint, "args": argparse.Namespace(arch="resnet50")}, path)
    with pytest.raises(ValueError, match="trusted=True"):
        robust_resnet50(path)
    model = robust_resnet50(path, trusted=True)
    assert torch.allclose(model(x), source(ImageNetNormalize()(x)), atol=1e-4)


def test_eval_mode_restores_every_submodule_own_mode():
    from steerlens.models import eval_mode

    m = torch.nn.Sequential(torch.nn.Dropout(), torch.nn.Sequential(torch.nn.BatchNorm1d(3)))
    m.train()
    m[1].eval()  # a frozen block inside a training model
    before = [mod.training for mod in m.modules()]
    with eval_mode(m) as same:
        assert same is m and not any(mod.training for mod in m.modules())
    assert [mod.training for mod in m.modules()] == before
    with pytest.raises(RuntimeError, match="boom"), eval_mode(m):
        raise RuntimeError("boom")
    assert [mod.training for mod in m.modules()] == before  # restored on error too
    with eval_mode(len) as f:  # a plain callable passes through
        assert f is len


def test_evaluate_accuracy_on_empty_data_names_the_argument():
    from steerlens.models.training import evaluate_accuracy

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with pytest.raises(ValueError, match="`data` is empty"):
        evaluate_accuracy(model, (torch.zeros(0, 1, 2, 2), torch.zeros(0, dtype=torch.long)))
