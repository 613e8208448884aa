"""The model zoo: small classifiers trained on the book's offline datasets, shipped as weights.

Every model is described twice: by a :class:`ZooRecipe` here (how to train
it from scratch, seeded) and by an entry of ``steerlens/weights/zoo.json``
(what training produced: test accuracy, weight file, checksum). The script
``scripts/train_zoo.py`` turns the recipes into the shipped files.

Drivers are the models a lens edits images with; judges are independent
models (other architectures, other seeds) that are never used to make edits,
only to check whether an edit transfers. Controls are drivers trained with
a driver's recipe on *shuffled* labels (the data-randomization test of
Adebayo et al., 2018): they fit the training set without learning anything
that generalises, so their test accuracy is at chance, and a lens that gives
the same picture with a control as with the driver shows its coordinates,
not the model.

Examples
--------
>>> from steerlens.models import pretrained, model_info
>>> model = pretrained("mnist_cnn")
>>> model.training, model_info("mnist_cnn").input_shape
(False, (1, 28, 28))
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import torch
from torch import nn

from .. import data as _data
from .._checks import check_int
from .architectures import build_model
from .training import AdversarialConfig, TrainingHistory, train

__all__ = [
    "ZooRecipe",
    "ZooEntry",
    "ZOO_RECIPES",
    "zoo_names",
    "model_info",
    "pretrained",
    "zoo_dataset",
    "train_zoo_model",
    "shuffled_labels",
]

_DATASETS = {
    "ShiftedBlobs": _data.ShiftedBlobs,
    "mnist_digits": _data.mnist_digits,
    "NaturalShifts": _data.NaturalShifts,
}
_METADATA = "zoo.json"


@dataclass(frozen=True)
class ZooRecipe:
    """How to train one zoo model from scratch.

    ``dataset`` names a builder in :mod:`steerlens.data` (``"ShiftedBlobs"``,
    ``"mnist_digits"``, ``"NaturalShifts"``); ``train_split`` and
    ``test_split`` are its keyword arguments. The model is built right after
    ``torch.manual_seed(seed)`` and trained with
    :func:`~steerlens.models.train` using the remaining fields.
    ``shuffle_labels``, when not ``None``, is the seed of a random
    permutation applied to the training labels before training (a control:
    the same images and class frequencies, no relation between them).
    """

    name: str
    description: str
    role: Literal["driver", "judge", "control"]
    architecture: str
    config: dict[str, Any]
    dataset: str
    train_split: dict[str, Any]
    test_split: dict[str, Any]
    epochs: int
    seed: int
    lr: float = 3e-3
    batch_size: int = 64
    weight_decay: float = 1e-4
    augment_shift: int = 0
    adversarial: dict[str, Any] | None = None
    shuffle_labels: int | None = None

    def dataset_call(self, split: Literal["train", "test"] = "test") -> str:
        """The call that builds the split, e.g. ``"steerlens.data.mnist_digits(split='test')"``."""
        kwargs = self.train_split if split == "train" else self.test_split
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        return f"steerlens.data.{self.dataset}({args})"


_BLOBS = {"train": {"n": 4000, "seed": 0}, "test": {"n": 1000, "seed": 1}}
_MNIST = {"train": {"split": "train"}, "test": {"split": "test"}}
_NATURAL = {"train": {"split": "train", "n": 4000}, "test": {"split": "test", "n": 1000}}

ZOO_RECIPES: dict[str, ZooRecipe] = {
    r.name: r
    for r in [
        ZooRecipe(
            name="blobs_cnn",
            description="Driver for ShiftedBlobs: is the blob left or right of centre (32×32 grey)?",
            role="driver",
            architecture="SmallCNN",
            config={"in_channels": 1, "num_classes": 2, "image_size": 32,
                    "channels": [8, 16, 32], "hidden": 32, "pool": "max"},
            dataset="ShiftedBlobs", train_split=_BLOBS["train"], test_split=_BLOBS["test"],
            epochs=5, seed=0,
        ),
        ZooRecipe(
            name="blobs_judge_mlp",
            description="Judge for ShiftedBlobs (an MLP, another seed); never used to make edits.",
            role="judge",
            architecture="SmallMLP",
            config={"in_features": 1024, "num_classes": 2, "hidden": [32]},
            dataset="ShiftedBlobs", train_split=_BLOBS["train"], test_split=_BLOBS["test"],
            epochs=10, seed=1,
        ),
        ZooRecipe(
            name="mnist_cnn",
            description="MNIST driver: a small CNN on the native 28×28 digits (standard training).",
            role="driver",
            architecture="SmallCNN",
            config={"in_channels": 1, "num_classes": 10, "image_size": 28,
                    "channels": [16, 32, 64], "hidden": 64, "pool": "max"},
            dataset="mnist_digits", train_split=_MNIST["train"], test_split=_MNIST["test"],
            epochs=20, seed=0, augment_shift=2,
        ),
        ZooRecipe(
            name="mnist_cnn_robust",
            description="Robust MNIST driver: the same CNN trained on L2 PGD examples "
                        "(ε = 1.5, 3 steps).",
            role="driver",
            architecture="SmallCNN",
            config={"in_channels": 1, "num_classes": 10, "image_size": 28,
                    "channels": [16, 32, 64], "hidden": 64, "pool": "max"},
            dataset="mnist_digits", train_split=_MNIST["train"], test_split=_MNIST["test"],
            epochs=15, seed=0, adversarial={"eps": 1.5, "steps": 3},
        ),
        ZooRecipe(
            name="mnist_judge_resnet",
            description="MNIST judge: a small ResNet (another architecture and seed); "
                        "never used to make edits.",
            role="judge",
            architecture="SmallResNet",
            config={"in_channels": 1, "num_classes": 10, "widths": [12, 24, 48], "blocks": 1},
            dataset="mnist_digits", train_split=_MNIST["train"], test_split=_MNIST["test"],
            epochs=12, seed=1, augment_shift=2,
        ),
        ZooRecipe(
            name="mnist_judge_mlp",
            description="MNIST judge: an MLP (another architecture and seed); "
                        "never used to make edits.",
            role="judge",
            architecture="SmallMLP",
            config={"in_features": 784, "num_classes": 10, "hidden": [64]},
            dataset="mnist_digits", train_split=_MNIST["train"], test_split=_MNIST["test"],
            epochs=60, seed=2, augment_shift=1,
        ),
        ZooRecipe(
            name="mnist_cnn_shuffled",
            description="Control for mnist_cnn: the same network, data, optimiser and seed "
                        "trained on shuffled labels until it memorises them (no augmentation "
                        "or weight decay, 60 epochs); test accuracy at chance.",
            role="control",
            architecture="SmallCNN",
            config={"in_channels": 1, "num_classes": 10, "image_size": 28,
                    "channels": [16, 32, 64], "hidden": 64, "pool": "max"},
            dataset="mnist_digits", train_split=_MNIST["train"], test_split=_MNIST["test"],
            epochs=60, seed=0, weight_decay=0.0, shuffle_labels=0,
        ),
        ZooRecipe(
            name="natural_shifts_cnn",
            description="Driver for NaturalShifts: is the photo patch left or right of centre "
                        "(64×64 colour)?",
            role="driver",
            architecture="SmallCNN",
            config={"in_channels": 3, "num_classes": 2, "image_size": 64,
                    "channels": [16, 32, 32, 64], "hidden": 32, "pool": "max"},
            dataset="NaturalShifts", train_split=_NATURAL["train"], test_split=_NATURAL["test"],
            epochs=8, seed=0,
        ),
        ZooRecipe(
            name="natural_shifts_judge_cnn",
            description="Judge for NaturalShifts: a CNN with average pooling, other widths and "
                        "another seed; never used to make edits.",
            role="judge",
            architecture="SmallCNN",
            config={"in_channels": 3, "num_classes": 2, "image_size": 64,
                    "channels": [16, 32, 32, 32], "hidden": 16, "pool": "avg"},
            dataset="NaturalShifts", train_split=_NATURAL["train"], test_split=_NATURAL["test"],
            epochs=16, seed=1,
        ),
    ]
}


@dataclass(frozen=True)
class ZooEntry:
    """Metadata of a shipped zoo model (one entry of ``steerlens/weights/zoo.json``).

    Attributes
    ----------
    name, description, role
        The model's name, what it is, and ``"driver"``, ``"judge"`` or
        ``"control"`` (trained on shuffled labels).
    architecture, config
        Class in :data:`~steerlens.models.ARCHITECTURES` and its keyword arguments.
    dataset, train_split, test_split
        Builder in :mod:`steerlens.data` and its arguments for each split.
    input_shape
        ``(C, H, W)`` the model expects (values in ``[0, 1]``, no normalisation).
    class_names
        One name per output.
    test_accuracy, test_size
        Accuracy on the test split when the weights were made, and its size.
    training
        The recipe's training settings and the wall time it took.
    weights, bytes, sha256
        Weight file name inside ``steerlens/weights``, its size and checksum.
    extra
        Further measurements (e.g. accuracy under an L2 PGD attack).
    """

    name: str
    description: str
    role: str
    architecture: str
    config: dict[str, Any]
    dataset: str
    train_split: dict[str, Any]
    test_split: dict[str, Any]
    input_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    test_accuracy: float
    test_size: int
    training: dict[str, Any]
    weights: str
    bytes: int
    sha256: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ZooEntry:
        d = dict(d)
        d["input_shape"] = tuple(d["input_shape"])
        d["class_names"] = tuple(d["class_names"])
        return cls(**d)


def _weights_dir():
    return resources.files("steerlens").joinpath("weights")


@lru_cache(maxsize=1)
def _metadata() -> dict[str, dict[str, Any]]:
    path = _weights_dir().joinpath(_METADATA)
    if not path.is_file():
        raise FileNotFoundError(
            "steerlens/weights/zoo.json is missing; rebuild the zoo with "
            "`python scripts/train_zoo.py` from the repository root."
        )
    return json.loads(path.read_text(encoding="utf-8"))["models"]


def zoo_names(role: Literal["driver", "judge", "control"] | None = None) -> list[str]:
    """Names of the shipped models, optionally only drivers, judges or controls.

    Raises
    ------
    ValueError
        If ``role`` is not ``None``, ``"driver"``, ``"judge"`` or ``"control"``.
    FileNotFoundError
        If ``steerlens/weights/zoo.json`` is missing.

    Examples
    --------
    >>> "mnist_cnn" in zoo_names(), "mnist_judge_mlp" in zoo_names(role="judge")
    (True, True)
    """
    if role not in (None, "driver", "judge", "control"):
        raise ValueError(
            f"`role` must be None, 'driver', 'judge' or 'control'; got {role!r}."
        )
    return sorted(n for n, e in _metadata().items() if role is None or e["role"] == role)


def _check_zoo_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, got {type(name).__name__}.")
    if name not in _metadata():
        raise ValueError(f"unknown zoo model {name!r}; valid names: {', '.join(zoo_names())}.")
    return name


def model_info(name: str) -> ZooEntry:
    """Metadata of a shipped model: dataset, input shape, classes, test accuracy, training.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not one of :func:`zoo_names`.
    FileNotFoundError
        If ``steerlens/weights/zoo.json`` is missing.

    Examples
    --------
    >>> info = model_info("blobs_cnn")
    >>> info.class_names, info.input_shape, info.test_accuracy >= 0.95
    (('left', 'right'), (1, 32, 32), True)
    """
    return ZooEntry.from_dict(_metadata()[_check_zoo_name(name)])


def pretrained(name: str) -> nn.Module:
    """Load a shipped model with its trained weights, in eval mode.

    The parameters are frozen (``requires_grad=False``), so gradients with
    respect to an input cost no parameter gradients; call
    ``model.requires_grad_(True)`` to fine-tune. Each call returns a new
    model.

    Parameters
    ----------
    name
        One of :func:`zoo_names`.

    Returns
    -------
    torch.nn.Module
        The classifier on the CPU; inputs ``B×C×H×W`` in ``[0, 1]`` with
        ``(C, H, W) = model_info(name).input_shape``, outputs logits.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not one of :func:`zoo_names`.
    FileNotFoundError
        If ``steerlens/weights/zoo.json`` or the model's weight file is missing.
    RuntimeError
        If the weight file does not match the checksum recorded in ``zoo.json``.

    Examples
    --------
    >>> from steerlens.data import render_blobs
    >>> model = pretrained("blobs_cnn")
    >>> x = render_blobs([-2.0, 2.0], background=0.3)
    >>> model(x).argmax(1).tolist()  # left, right
    [0, 1]
    """
    info = model_info(name)
    blob = _weights_dir().joinpath(info.weights)
    if not blob.is_file():
        raise FileNotFoundError(
            f"the weights of {name!r} ({info.weights}) are missing from steerlens/weights; "
            f"rebuild them with `python scripts/train_zoo.py`."
        )
    raw = blob.read_bytes()
    if hashlib.sha256(raw).hexdigest() != info.sha256:
        raise RuntimeError(
            f"steerlens/weights/{info.weights} does not match the checksum in zoo.json; the file "
            f"is corrupt or out of date. Rebuild the zoo with `python scripts/train_zoo.py`."
        )
    model = build_model(info.architecture, **info.config)
    state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.requires_grad_(False)
    return model.eval()


def _dataset(builder: str, kwargs: dict[str, Any]):
    return _DATASETS[builder](**kwargs)


def zoo_dataset(name: str, split: Literal["train", "test"] = "test"):
    """The dataset a zoo model was trained (``"train"``) or tested (``"test"``) on.

    Raises
    ------
    ValueError
        If ``split`` is not ``"train"`` or ``"test"``, or ``name`` is not a key of
        :data:`ZOO_RECIPES`.

    Examples
    --------
    >>> len(zoo_dataset("mnist_cnn", "test"))
    1000
    """
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test'; got {split!r}.")
    if not isinstance(name, str) or name not in ZOO_RECIPES:
        raise ValueError(
            f"unknown zoo model {name!r}; valid names: {', '.join(sorted(ZOO_RECIPES))}."
        )
    r = ZOO_RECIPES[name]
    return _dataset(r.dataset, r.train_split if split == "train" else r.test_split)


def shuffled_labels(labels: torch.Tensor, seed: int) -> torch.Tensor:
    """The labels in a random order (seeded): the data-randomization control's training labels.

    Every class keeps its frequency; which image carries which label is
    random, so a model trained on them can only memorise. The input is not
    modified.

    Parameters
    ----------
    labels
        Integer class labels, shape ``N``.
    seed
        Seed of the permutation (an int ≥ 0).

    Returns
    -------
    torch.Tensor
        ``labels[perm]`` for a permutation drawn from ``torch.Generator().manual_seed(seed)``.

    Raises
    ------
    TypeError
        If ``labels`` is not a 1-D integer tensor or ``seed`` is not an int.
    ValueError
        If ``seed`` < 0.

    Examples
    --------
    >>> y = torch.tensor([0, 0, 1, 1, 2, 2])
    >>> sorted(shuffled_labels(y, 0).tolist()) == y.tolist()
    True
    """
    if (
        not isinstance(labels, torch.Tensor)
        or labels.ndim != 1
        or labels.dtype.is_floating_point
        or labels.dtype.is_complex
    ):
        raise TypeError("`labels` must be a 1-D integer tensor of class indices.")
    check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    return labels[torch.randperm(len(labels), generator=generator).to(labels.device)]


def train_zoo_model(name: str, progress: bool = True) -> tuple[nn.Module, TrainingHistory]:
    """Train a zoo model from scratch following its :class:`ZooRecipe` (deterministic on a CPU).

    Parameters
    ----------
    name
        A key of :data:`ZOO_RECIPES`.
    progress
        Show a progress bar.

    Returns
    -------
    model, history
        The trained model (eval mode) and its :class:`~steerlens.models.TrainingHistory`.

    Raises
    ------
    ValueError
        If ``name`` is not a key of :data:`ZOO_RECIPES`.
    """
    if name not in ZOO_RECIPES:
        raise ValueError(
            f"no recipe named {name!r}; valid names: {', '.join(sorted(ZOO_RECIPES))}."
        )
    r = ZOO_RECIPES[name]
    train_set = _dataset(r.dataset, r.train_split)
    images, labels = train_set.images, train_set.labels  # rendered once, reused every epoch
    if r.shuffle_labels is not None:  # data randomization: same labels, shuffled
        labels = shuffled_labels(labels, r.shuffle_labels)
    torch.manual_seed(r.seed)
    model = build_model(r.architecture, **r.config)
    history = train(
        model,
        (images, labels),
        epochs=r.epochs,
        lr=r.lr,
        batch_size=r.batch_size,
        weight_decay=r.weight_decay,
        seed=r.seed,
        augment_shift=r.augment_shift,
        adversarial=AdversarialConfig(**r.adversarial) if r.adversarial else None,
        progress=progress,
        description=name,
    )
    return model, history
