"""ImageNet classifiers for readers with network access (or a weights file).

Both loaders return ``Sequential(normalize, network)`` in eval mode: the
ImageNet normalisation lives **inside** the model, so inputs are images in
``[0, 1]`` like everywhere else in steerlens (resize them to about 224×224
yourself). Nothing here downloads unless you ask for torchvision weights that
are not already in torch's cache; offline, that request fails with a message
that says what to run or where to put the file.
"""

from __future__ import annotations

import os
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ImageNetNormalize",
    "imagenet_model",
    "robust_resnet50",
    "imagenet_class_names",
    "imagenet_weights_cached",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNetNormalize(nn.Module):
    """Subtract the ImageNet channel means and divide by the standard deviations.

    Raises
    ------
    ValueError
        When called on an ``x`` that is not a ``B×3×H×W`` batch.

    Examples
    --------
    >>> import torch
    >>> out = ImageNetNormalize()(torch.full((1, 3, 2, 2), 0.485))
    >>> round(float(out[0, 0, 0, 0]), 6)
    0.0
    """

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Normalised ``x`` (``B×3×H×W`` in ``[0, 1]``).

        Raises
        ------
        ValueError
            If ``x`` is not a 4-D tensor with 3 channels.
        """
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"`x` must be B×3×H×W RGB in [0, 1], got shape {tuple(x.shape)}.")
        return (x - self.mean) / self.std


def _wrap(network: nn.Module) -> nn.Sequential:
    model = nn.Sequential(OrderedDict(normalize=ImageNetNormalize(), network=network))
    model.requires_grad_(False)
    return model.eval()


def _torchvision_models():
    import torchvision.models  # imported on first use: it takes about a second

    return torchvision.models


def _classification_models() -> list[str]:
    tv_models = _torchvision_models()
    return sorted(tv_models.list_models(module=tv_models))


def _looks_like_path(weights: Any) -> bool:
    if isinstance(weights, os.PathLike):
        return True
    return isinstance(weights, str) and (
        os.sep in weights or "/" in weights or weights.endswith((".pth", ".pt", ".ckpt", ".tar"))
        or os.path.exists(weights)
    )


def _read_checkpoint(path: Path, trusted: bool) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"weights file {str(path)!r} does not exist.")
    try:
        return torch.load(path, map_location="cpu", weights_only=not trusted)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{str(path)!r} holds Python objects besides tensors, which torch refuses to unpickle "
            f"safely. If you trust the file's source, pass trusted=True (loads with "
            f"weights_only=False)."
        ) from err


def _unwrap_state_dict(checkpoint: Any, path: Path) -> dict[str, Tensor]:
    if isinstance(checkpoint, dict):
        for key in ("model", "state_dict", "model_state_dict"):
            if key in checkpoint and isinstance(checkpoint[key], dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict) or not all(isinstance(v, Tensor) for v in checkpoint.values()):
        raise ValueError(
            f"{str(path)!r} is not a state dict (nor a checkpoint with a 'model' or 'state_dict' "
            f"entry holding one)."
        )
    return checkpoint


def _strip_prefix(state: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def _load_into(network: nn.Module, state: dict[str, Tensor], what: str) -> None:
    try:
        network.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"the weights in {what} do not fit this architecture: {err}") from err


def _weights_enum(name: str, weights: str):
    enum = _torchvision_models().get_model_weights(name)
    names = ["DEFAULT", *(w.name for w in enum)]
    if weights not in names:
        raise ValueError(f"unknown weights {weights!r} for {name}; valid: {', '.join(names)} (or a path).")
    return enum[weights] if weights != "DEFAULT" else enum.DEFAULT


def _cache_path(chosen) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(chosen.url)


def imagenet_weights_cached(name: str = "resnet18", weights: str = "DEFAULT") -> bool:
    """Whether torchvision's weights for ``name`` are already in torch's cache (no network used).

    Chapters use it to decide between an ImageNet demo and an offline fallback.

    Raises
    ------
    ValueError
        If ``name`` is not a torchvision classification model, or ``weights`` is not
        ``"DEFAULT"`` or one of that model's weight names.

    Examples
    --------
    >>> isinstance(imagenet_weights_cached("resnet18"), bool)
    True
    """
    valid = _classification_models()
    if not isinstance(name, str) or name not in valid:
        raise ValueError(
            f"unknown torchvision classifier {name!r}; valid names: {', '.join(valid)}."
        )
    return _cache_path(_weights_enum(name, weights)).is_file()


def imagenet_model(
    name: str = "resnet18",
    weights: str | os.PathLike | None = "DEFAULT",
    *,
    progress: bool = False,
    trusted: bool = False,
) -> nn.Sequential:
    """A torchvision ImageNet classifier with the normalisation inside (input in ``[0, 1]``).

    Parameters
    ----------
    name
        A torchvision classification model (``"resnet18"``, ``"resnet50"``,
        ``"vgg16"``, ``"efficientnet_b0"``, ...).
    weights
        ``"DEFAULT"`` or another weight name of that model (e.g.
        ``"IMAGENET1K_V1"``): torchvision's weights, taken from torch's cache
        or downloaded; ``None``: random initialisation; a path: a state dict
        (or a checkpoint with a ``"model"`` / ``"state_dict"`` entry; a
        ``"module."`` prefix from DataParallel is removed).
    progress
        Show torchvision's download progress bar.
    trusted
        Allow a weights file that holds arbitrary Python objects (unpickled
        with ``weights_only=False``; only for files you trust).

    Returns
    -------
    torch.nn.Sequential
        ``normalize`` then ``network``, in eval mode with frozen parameters;
        outputs 1000 logits (see :func:`imagenet_class_names`).

    Raises
    ------
    ValueError
        If ``name`` is not a torchvision classification model; if ``weights`` is a string
        that is neither a path nor ``"DEFAULT"`` or a weight name of that model; or if the
        file at ``weights`` holds Python objects besides tensors (and ``trusted`` is
        false), is not a state dict (nor a checkpoint holding one), or does not fit the
        architecture.
    TypeError
        If ``weights`` is not ``None``, a string or a path.
    FileNotFoundError
        If ``weights`` is a path to a file that does not exist.
    RuntimeError
        When the weights are not cached and cannot be downloaded; the message
        says what to run on a machine with network and where to put the file.

    Examples
    --------
    >>> import torch
    >>> model = imagenet_model("resnet18", weights=None)  # random weights, no download
    >>> model(torch.rand(1, 3, 64, 64)).shape
    torch.Size([1, 1000])
    """
    tv_models = _torchvision_models()
    valid = _classification_models()
    if not isinstance(name, str) or name not in valid:
        raise ValueError(
            f"unknown torchvision classifier {name!r}; valid names: {', '.join(valid)}."
        )
    if weights is None:
        return _wrap(tv_models.get_model(name, weights=None))
    if _looks_like_path(weights):
        path = Path(weights).expanduser()
        state = _unwrap_state_dict(_read_checkpoint(path, trusted), path)
        if state and all(k.startswith("module.") for k in state):
            state = _strip_prefix(state, "module.")
        network = tv_models.get_model(name, weights=None)
        _load_into(network, state, repr(str(path)))
        return _wrap(network)
    if not isinstance(weights, str):
        raise TypeError(
            f"`weights` must be 'DEFAULT', a weight name, None or a path; got {type(weights).__name__}."
        )
    chosen = _weights_enum(name, weights)
    cached = _cache_path(chosen)
    try:
        network = tv_models.get_model(name, weights=chosen, progress=progress)
    except Exception as err:  # no network, blocked socket, proxy, interrupted download, ...
        raise RuntimeError(
            f"could not download the {name} weights {chosen} from {chosen.url} "
            f"({type(err).__name__}: {err}). This needs network access once. On a machine with "
            f"network run:\n    python -c \"import torchvision; "
            f"torchvision.models.get_model('{name}', weights='{chosen.name}')\"\n"
            f"and copy the file to {cached} here, or download {chosen.url} yourself and pass "
            f"weights='path/to/{os.path.basename(chosen.url)}'."
        ) from err
    return _wrap(network)


def robust_resnet50(path: str | os.PathLike, *, trusted: bool = False) -> nn.Sequential:
    """A robust ResNet-50 from a local checkpoint in the robustness-library format.

    Checkpoints of Madry lab's ``robustness`` library (and of Salman et al.'s
    robust ImageNet models) hold ``{"model": state_dict, ...}`` where the
    network's keys start with ``module.model.`` and a copy for the attacker
    with ``module.attacker.model.``; ``module.normalizer.*`` holds the
    normalisation. We keep the ``module.model.`` weights, ignore the rest, and
    put our own ImageNet normalisation in front. Plain torchvision state dicts
    (optionally with a ``module.`` prefix) load too.

    Parameters
    ----------
    path
        The checkpoint file (e.g. ``imagenet_l2_3_0.pt``; download it yourself).
    trusted
        Allow a checkpoint that holds arbitrary Python objects (unpickled with
        ``weights_only=False``; only for files you trust).

    Returns
    -------
    torch.nn.Sequential
        ``normalize`` then a torchvision ``resnet50``, eval mode, frozen.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the checkpoint holds Python objects besides tensors (and ``trusted`` is false),
        is not a state dict (nor a checkpoint with a ``"model"`` or ``"state_dict"`` entry
        holding one), or its weights do not fit a ``resnet50``.

    Examples
    --------
    >>> model = robust_resnet50("imagenet_l2_3_0.pt")  # doctest: +SKIP
    >>> model(torch.rand(1, 3, 224, 224)).argmax(1)  # doctest: +SKIP
    """
    tv_models = _torchvision_models()
    path = Path(path).expanduser()
    state = _unwrap_state_dict(_read_checkpoint(path, trusted), path)
    for prefix in ("module.model.", "model."):
        stripped = _strip_prefix(state, prefix)
        if stripped:
            state = stripped
            break
    else:
        ignored = ("module.attacker.", "attacker.", "module.normalizer.", "normalizer.")
        state = {k: v for k, v in state.items() if not k.startswith(ignored)}
        if state and all(k.startswith("module.") for k in state):
            state = _strip_prefix(state, "module.")
    network = tv_models.resnet50(weights=None)
    _load_into(network, state, repr(str(path)))
    return _wrap(network)


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet class names, in output order (offline: torchvision ships them).

    Examples
    --------
    >>> names = imagenet_class_names()
    >>> len(names), names[0]
    (1000, 'tench')
    """
    return list(_torchvision_models().ResNet18_Weights.DEFAULT.meta["categories"])
