"""Train and evaluate small classifiers, optionally adversarially (L2 PGD).

Training is deterministic on a CPU for a given ``seed`` (shuffling,
augmentation and attack starts all draw from one seeded generator); build
the model after ``torch.manual_seed(seed)`` to make the initialisation
reproducible too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm import tqdm

from .._checks import check_images, check_int, check_positive
from .._classifier import eval_context

__all__ = [
    "train",
    "evaluate_accuracy",
    "pgd_l2",
    "random_translate",
    "AdversarialConfig",
    "TrainingHistory",
    "eval_mode",
]


@dataclass(frozen=True)
class AdversarialConfig:
    """How to make the adversarial examples of robust training (L2 PGD, Madry et al. 2018).

    Parameters
    ----------
    eps
        Radius of the L2 ball, in pixel units of ``[0, 1]`` images.
    steps
        PGD steps per batch (few are enough for training).
    step_size
        Step length; ``None`` uses ``2.5 · eps / steps``.
    random_start
        Start from a random point inside the ball.

    Raises
    ------
    TypeError
        If ``eps`` or ``step_size`` is not a number, or ``steps`` is not an int.
    ValueError
        If ``eps`` or a given ``step_size`` is not finite and > 0, or ``steps`` < 1.
    """

    eps: float = 1.5
    steps: int = 3
    step_size: float | None = None
    random_start: bool = True

    def __post_init__(self):
        check_positive(self.eps, "eps")
        check_int(self.steps, "steps", minimum=1)
        if self.step_size is not None:
            check_positive(self.step_size, "step_size")


@dataclass
class TrainingHistory:
    """Mean loss and accuracy on the training batches, per epoch, and the wall time."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


@contextmanager
def eval_mode(model: nn.Module, *, warn: bool = False):
    """Temporarily switch ``model`` (every submodule) to eval mode; restore each one's mode after.

    Every submodule gets back its *own* ``training`` flag, so a model whose
    parts were in different modes (a frozen backbone in eval mode under a head
    in training mode) is left exactly as it was, even when the block raises.
    A plain callable (not an ``nn.Module``) is passed through untouched.

    Parameters
    ----------
    model
        The model (or any callable).
    warn
        Warn when the model was in training mode.

    Yields
    ------
    model
        The same object, in eval mode inside the block.

    Examples
    --------
    >>> m = torch.nn.Sequential(torch.nn.Dropout(), torch.nn.Dropout().eval()).train()
    >>> m[1].eval() is m[1]
    True
    >>> with eval_mode(m):
    ...     m.training, m[0].training
    (False, False)
    >>> m.training, m[0].training, m[1].training
    (True, True, False)
    """
    with eval_context(model, warn):
        yield model


def _warmup_cosine(step: int, total: int) -> float:
    """Learning-rate factor: linear warm-up over the first quarter, then cosine decay to zero."""
    warm = max(1, total // 4)
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def _as_loader(data, batch_size: int, shuffle: bool, generator: torch.Generator | None) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, Tensor) for t in data):
        data = TensorDataset(*data)
    if not isinstance(data, Dataset):
        raise TypeError(
            "`data` must be a torch Dataset, a DataLoader or a pair (images, labels) of tensors, "
            f"got {type(data).__name__}."
        )
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _model_device(model: nn.Module) -> torch.device:
    p = next(iter(model.parameters()), None)
    return p.device if p is not None else torch.device("cpu")


def random_translate(x: Tensor, max_shift: int, generator: torch.Generator | None = None) -> Tensor:
    """Shift every image by a random whole number of pixels (up to ``max_shift``), filling with zeros.

    Raises
    ------
    TypeError
        If ``max_shift`` is not an int.
    ValueError
        If ``max_shift`` < 0.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 8, 8); x[..., 4, 4] = 1
    >>> y = random_translate(x, 2, torch.Generator().manual_seed(0))
    >>> float(y.sum())
    1.0
    """
    check_int(max_shift, "max_shift", minimum=0)
    if max_shift == 0:
        return x
    b, _, h, w = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (b, 2), generator=generator)
    padded = F.pad(x, (max_shift,) * 4)
    out = torch.empty_like(x)
    for i, (dy, dx) in enumerate(shifts.tolist()):
        top, left = max_shift - dy, max_shift - dx
        out[i] = padded[i, :, top : top + h, left : left + w]
    return out


def pgd_l2(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Projected gradient ascent on the cross-entropy inside an L2 ball (untargeted).

    Every image moves at most ``eps`` (L2 norm over all its pixels) and stays
    in ``[0, 1]``. The model's parameters get no gradients.

    Parameters
    ----------
    model
        Classifier returning logits.
    x, y
        Images ``B×C×H×W`` in ``[0, 1]`` and their labels ``B``.
    eps
        Radius of the ball.
    steps
        Number of steps.
    step_size
        Length of each (normalised) step; ``None`` uses ``2.5 · eps / steps``.
    random_start
        Start from a uniformly random point of the ball.
    generator
        Random generator for the start.

    Returns
    -------
    Tensor
        Adversarial images, detached.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, ``eps`` or ``step_size`` is not a number,
        or ``steps`` is not an int.
    ValueError
        If ``x`` is not a non-empty 4-D batch of finite values in ``[0, 1]``, ``eps`` or a
        given ``step_size`` is not finite and > 0, or ``steps`` < 1.

    Examples
    --------
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> x = torch.rand(3, 1, 4, 4); y = torch.tensor([0, 1, 0])
    >>> adv = pgd_l2(model, x, y, eps=0.5, steps=5)
    >>> bool(((adv - x).flatten(1).norm(dim=1) <= 0.5 + 1e-5).all())
    True
    """
    x = check_images(x, "x", channels=None)
    eps = check_positive(eps, "eps")
    check_int(steps, "steps", minimum=1)
    step_size = 2.5 * eps / steps if step_size is None else check_positive(step_size, "step_size")
    x = x.detach()
    shape = (-1,) + (1,) * (x.ndim - 1)

    def project(delta: Tensor) -> Tensor:
        norm = delta.flatten(1).norm(dim=1).clamp_min(1e-12)
        delta = delta * (eps / norm).clamp(max=1.0).view(shape)
        return (x + delta).clamp(0, 1) - x

    if random_start:
        direction = torch.randn(x.shape, generator=generator).to(x.device)
        direction = direction / direction.flatten(1).norm(dim=1).clamp_min(1e-12).view(shape)
        radius = eps * torch.rand(x.shape[0], generator=generator).to(x.device) ** (1 / x[0].numel())
        delta = project(direction * radius.view(shape))
    else:
        delta = torch.zeros_like(x)
    requires = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            delta.requires_grad_(True)
            loss = F.cross_entropy(model(x + delta), y)
            (grad,) = torch.autograd.grad(loss, delta)
            grad_norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(shape)
            delta = project(delta.detach() + step_size * grad / grad_norm)
    finally:
        for p, r in zip(model.parameters(), requires, strict=True):
            p.requires_grad_(r)
    return (x + delta).detach()


def train(
    model: nn.Module,
    data: Dataset | DataLoader | tuple[Tensor, Tensor],
    epochs: int = 10,
    *,
    lr: float = 3e-3,
    batch_size: int = 64,
    weight_decay: float = 1e-4,
    seed: int = 0,
    augment_shift: int = 0,
    adversarial: AdversarialConfig | None = None,
    progress: bool = True,
    description: str = "training",
) -> TrainingHistory:
    """Train a classifier with AdamW, a linear warm-up and a cosine learning-rate decay.

    Parameters
    ----------
    model
        Any classifier returning logits; trained in place on its device and
        left in **eval** mode.
    data
        A dataset whose items start with ``(image, label, ...)``, a
        :class:`~torch.utils.data.DataLoader` over one, or a pair of tensors
        ``(images, labels)``. Datasets are shuffled with a generator seeded
        by ``seed``.
    epochs
        Passes over the data.
    lr
        Peak learning rate.
    batch_size
        Batch size (ignored for a DataLoader).
    weight_decay
        AdamW weight decay.
    seed
        Seed of shuffling, augmentation and attack starts.
    augment_shift
        Translate every training image by a random whole number of pixels up
        to this (0 = no augmentation). Never use it on a task whose label *is*
        the position.
    adversarial
        Train on L2 PGD examples instead of the clean images (a robust model).
    progress
        Show a ``tqdm`` progress bar.
    description
        Label of the progress bar.

    Returns
    -------
    TrainingHistory
        Mean training loss and accuracy per epoch, and the wall time.

    Raises
    ------
    TypeError
        If ``epochs``, ``batch_size``, ``seed`` or ``augment_shift`` is not an int, ``lr`` or
        ``weight_decay`` is not a number, ``adversarial`` is neither an
        :class:`AdversarialConfig` nor ``None``, or ``data`` is not a Dataset, a DataLoader
        or a pair of tensors.
    ValueError
        If ``epochs`` or ``batch_size`` < 1, ``seed`` or ``augment_shift`` < 0, ``lr`` is not
        finite and > 0, ``weight_decay`` is not finite and ≥ 0, ``model`` has no trainable
        parameters, or (with ``adversarial``) a training batch is not a 4-D batch of finite
        values in ``[0, 1]``.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.rand(64, 1, 8, 8); y = (x[:, 0, :, :4].mean((1, 2)) > x[:, 0, :, 4:].mean((1, 2))).long()
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    >>> history = train(model, (x, y), epochs=5, progress=False)
    >>> history.loss[-1] < history.loss[0]
    True
    """
    check_int(epochs, "epochs", minimum=1)
    check_positive(lr, "lr")
    check_int(batch_size, "batch_size", minimum=1)
    check_positive(weight_decay, "weight_decay", allow_zero=True)
    check_int(seed, "seed", minimum=0)
    check_int(augment_shift, "augment_shift", minimum=0)
    if adversarial is not None and not isinstance(adversarial, AdversarialConfig):
        raise TypeError("`adversarial` must be an AdversarialConfig or None.")
    gen = torch.Generator().manual_seed(seed)
    loader = _as_loader(data, batch_size, shuffle=True, generator=gen)
    device = _model_device(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("`model` has no trainable parameters; call model.requires_grad_(True).")
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    steps_per_epoch = len(loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, partial(_warmup_cosine, total=epochs * steps_per_epoch)
    )
    history = TrainingHistory()
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps_per_epoch, desc=description, disable=not progress, leave=False)
    try:
        for _ in range(epochs):
            model.train()
            total_loss, total_correct, total = 0.0, 0, 0
            for batch in loader:
                x, y = batch[0].to(device), batch[1].to(device)
                if augment_shift:
                    x = random_translate(x, augment_shift, gen)
                if adversarial is not None:
                    with eval_mode(model):
                        x = pgd_l2(
                            model, x, y, adversarial.eps, adversarial.steps,
                            adversarial.step_size, adversarial.random_start, gen,
                        )
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                scheduler.step()
                total_loss += float(loss.detach()) * y.shape[0]
                total_correct += int((logits.argmax(1) == y).sum())
                total += y.shape[0]
                bar.update(1)
            history.loss.append(total_loss / total)
            history.accuracy.append(total_correct / total)
            bar.set_postfix(loss=f"{history.loss[-1]:.3f}", acc=f"{history.accuracy[-1]:.3f}")
    finally:
        bar.close()
        model.eval()
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def _predict(model: nn.Module, batches: Iterable) -> tuple[Tensor, Tensor]:
    device = _model_device(model)
    preds, labels = [], []
    for batch in batches:
        preds.append(model(batch[0].to(device)).argmax(1).cpu())
        labels.append(batch[1].cpu())
    if not preds:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    return torch.cat(preds), torch.cat(labels)


def evaluate_accuracy(
    model: nn.Module,
    data: Dataset | DataLoader | tuple[Tensor, Tensor],
    batch_size: int = 500,
) -> float:
    """Fraction of correctly classified images (model evaluated in eval mode, no gradients).

    Parameters
    ----------
    model
        Classifier returning logits.
    data
        A dataset whose items start with ``(image, label, ...)``, a
        DataLoader, or a pair ``(images, labels)``.
    batch_size
        Batch size (ignored for a DataLoader).

    Returns
    -------
    float
        Accuracy in ``[0, 1]``.

    Raises
    ------
    TypeError
        If ``batch_size`` is not an int, or ``data`` is not a Dataset, a DataLoader or a
        pair of tensors.
    ValueError
        If ``batch_size`` < 1 or ``data`` is empty.

    Examples
    --------
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> with torch.no_grad():
    ...     _ = model[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    ...     _ = model[1].bias.zero_()
    >>> x = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]).view(2, 1, 2, 2)
    >>> evaluate_accuracy(model, (x, torch.tensor([0, 0])))
    0.5
    """
    check_int(batch_size, "batch_size", minimum=1)
    loader = _as_loader(data, batch_size, shuffle=False, generator=None)
    with eval_mode(model):
        preds, labels = _predict(model, loader)
    if labels.numel() == 0:
        raise ValueError("`data` is empty.")
    return float((preds == labels).float().mean())
