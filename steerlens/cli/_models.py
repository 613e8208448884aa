"""``--model``: a zoo name, an ImageNet classifier name, a TorchScript file or a state dict."""

from __future__ import annotations

import difflib
import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ._common import CLIError

__all__: list[str] = []

IMAGENET_SIZE = 224


@dataclass
class LoadedModel:
    """A classifier taking ``B×C×H×W`` images in ``[0, 1]``, and what the CLI knows about it."""

    model: nn.Module
    name: str
    kind: str  # "zoo", "imagenet", "torchscript" or "state dict"
    input_shape: tuple[int, int, int]  # (C, H, W) the images are converted to
    class_names: list[str] | None


def _zoo_names() -> list[str]:
    from ..models import zoo_names

    return zoo_names()


def _torchvision_names() -> list[str]:
    import torchvision.models as tv

    return sorted(tv.list_models(module=tv))


def _looks_like_path(spec: str) -> bool:
    return (
        os.sep in spec
        or "/" in spec
        or spec.endswith((".pt", ".pth", ".ts", ".ckpt", ".tar", ".bin", ".jit"))
    )


def _unknown_model(spec: str) -> CLIError:
    names = _zoo_names()
    close = difflib.get_close_matches(spec, names + _torchvision_names(), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return CLIError(
        f"unknown model {spec!r}: not a file, not a zoo model ({', '.join(names)}) and not an "
        f"ImageNet classifier name (torchvision's, e.g. resnet18).{hint}"
    )


def _zoo(name: str) -> LoadedModel:
    from ..models import model_info, pretrained

    info = model_info(name)
    try:
        model = pretrained(name)
    except (FileNotFoundError, RuntimeError) as err:
        raise CLIError(str(err)) from None
    return LoadedModel(model, name, "zoo", tuple(info.input_shape), list(info.class_names))


def _imagenet(name: str, download: bool) -> LoadedModel:
    from ..models import imagenet_class_names, imagenet_model

    if name in _torchvision_names():
        import torchvision.models as tv

        enum = tv.get_model_weights(name)
        chosen = enum.DEFAULT
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(chosen.url)
        if not cached.is_file() and not download:
            raise CLIError(
                f"the ImageNet weights of {name} are not in torch's cache: download {chosen.url} "
                f"to {cached} (or pass --download to fetch it now, or give a weights file with "
                f"--model FILE --arch {name})"
            )
    try:
        model = imagenet_model(name, progress=download)
    except ValueError as err:
        if "unknown" in str(err):
            raise _unknown_model(name) from None
        raise CLIError(str(err)) from None
    except RuntimeError as err:
        raise CLIError(str(err)) from None
    return LoadedModel(model, name, "imagenet", (3, IMAGENET_SIZE, IMAGENET_SIZE), imagenet_class_names())


def _state_dict(path: Path) -> dict:
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "unsupported global" not in str(err).lower():  # garbage, not pickled objects
            raise CLIError(
                f"cannot read {str(path)!r}: not a TorchScript file nor a PyTorch state dict"
            ) from None
        raise CLIError(
            f"{str(path)!r} holds pickled Python objects (a whole model saved with torch.save?); "
            f"save it as TorchScript (torch.jit.script(model).save(path)) or save its "
            f"state_dict() and pass --arch"
        ) from None
    except Exception as err:  # noqa: BLE001 - any unreadable file is one message
        raise CLIError(
            f"cannot read {str(path)!r}: not a TorchScript file nor a PyTorch state dict "
            f"({type(err).__name__}: {err})"
        ) from None
    if isinstance(checkpoint, dict):
        for key in ("model", "state_dict", "model_state_dict"):
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict) or not all(
        isinstance(v, torch.Tensor) for v in checkpoint.values()
    ):
        raise CLIError(f"{str(path)!r} is not a state dict (a mapping of names to tensors)")
    if checkpoint and all(k.startswith("module.") for k in checkpoint):
        checkpoint = {k[len("module."):]: v for k, v in checkpoint.items()}
    return checkpoint


def _from_state_dict(path: Path, arch: str) -> LoadedModel:
    from ..models import build_model, imagenet_class_names, imagenet_model, model_info

    if arch in _zoo_names():
        info = model_info(arch)
        network = build_model(info.architecture, **info.config)
        try:
            network.load_state_dict(_state_dict(path))
        except RuntimeError as err:
            raise CLIError(
                f"the weights in {str(path)!r} do not fit --arch {arch} "
                f"({info.architecture} {info.config}): {str(err).splitlines()[0]}"
            ) from None
        network.requires_grad_(False)
        return LoadedModel(
            network.eval(), path.name, "state dict", tuple(info.input_shape), list(info.class_names)
        )
    if arch in _torchvision_names():
        _state_dict(path)  # the same clear messages for unreadable files
        try:
            model = imagenet_model(arch, weights=path)
        except ValueError as err:
            raise CLIError(str(err).splitlines()[0]) from None
        shape = (3, IMAGENET_SIZE, IMAGENET_SIZE)
        return LoadedModel(model, path.name, "state dict", shape, imagenet_class_names())
    close = difflib.get_close_matches(arch, _zoo_names() + _torchvision_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise CLIError(
        f"unknown --arch {arch!r}: name a zoo model ({', '.join(_zoo_names())}) or a torchvision "
        f"classifier (e.g. resnet18){hint}"
    )


def _torchscript(path: Path) -> LoadedModel | None:
    try:
        with warnings.catch_warnings():  # TorchScript's deprecation notice: the user chose the file
            warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning))
            model = torch.jit.load(str(path), map_location="cpu")
    except Exception:  # noqa: BLE001 - not TorchScript: the caller tries a state dict
        return None
    return LoadedModel(model.eval(), path.name, "torchscript", (3, IMAGENET_SIZE, IMAGENET_SIZE), None)


def load_model(
    spec: str,
    *,
    arch: str | None = None,
    download: bool = False,
    channels: int | None = None,
    size: tuple[int, int] | None = None,
    class_names: Path | None = None,
) -> LoadedModel:
    """Resolve ``--model`` (and ``--arch``, ``--channels``, ``--size``, ``--class-names``)."""
    path = Path(spec).expanduser()
    if arch is not None and not path.is_file():
        if _looks_like_path(spec) or path.exists():
            raise CLIError(f"model file {spec!r} does not exist")
        raise CLIError(f"--arch needs --model to be a state-dict file; {spec!r} is not a file")
    if arch is None and spec in _zoo_names():
        loaded = _zoo(spec)
    elif path.is_file():
        if arch is not None:
            loaded = _from_state_dict(path, arch)
        else:
            loaded = _torchscript(path)
            if loaded is None:
                _state_dict(path)  # raises for unreadable files
                raise CLIError(
                    f"{spec!r} is a state dict: name its architecture with --arch (a zoo model "
                    f"such as mnist_cnn, or a torchvision classifier such as resnet18)"
                )
    elif path.exists():
        raise CLIError(f"model {spec!r} is a directory, not a model file")
    elif _looks_like_path(spec):
        raise CLIError(f"model file {spec!r} does not exist")
    else:
        loaded = _imagenet(spec, download)
    c, h, w = loaded.input_shape
    if channels is not None:
        c = channels
    if size is not None:
        h, w = size
    loaded.input_shape = (c, h, w)
    if class_names is not None:
        loaded.class_names = _read_class_names(class_names)
    return loaded


def _read_class_names(path: Path) -> list[str]:
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CLIError(f"class-names file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CLIError(f"cannot read class-names file {str(path)!r}: {err}") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise CLIError(f"class-names file {str(path)!r} is empty; write one class name per line")
    return names


def check_fit(loaded: LoadedModel, x: torch.Tensor) -> int:
    """Run the model once on ``x``; the number of classes, or a one-line error naming the fix."""
    c, h, w = loaded.input_shape
    try:
        with torch.no_grad():
            logits = loaded.model(x)
    except Exception as err:  # noqa: BLE001 - any failure here is a shape/format mismatch
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CLIError(
            f"model {loaded.name!r} does not accept {c}×{h}×{w} images ({first}); give the "
            f"input it expects with --channels and --size"
        ) from None
    if isinstance(logits, dict) and "logits" in logits:
        logits = logits["logits"]
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or logits.shape[1] < 2:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise CLIError(
            f"model {loaded.name!r} must return logits of shape batch×classes (at least 2 "
            f"classes); it returned {shape}"
        )
    n = int(logits.shape[1])
    if loaded.class_names is not None and len(loaded.class_names) != n:
        raise CLIError(
            f"model {loaded.name!r} has {n} outputs but {len(loaded.class_names)} class names"
        )
    return n


def resolve_class(token: str, loaded: LoadedModel, n_classes: int) -> int:
    """A class index from ``--target`` (an index, or a class name of the model)."""
    text = token.strip()
    names = loaded.class_names
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < n_classes:
            raise CLIError(
                f"class {index} is out of range: model {loaded.name!r} has {n_classes} classes "
                f"(0–{n_classes - 1})"
            )
        return index
    if names is None:
        raise CLIError(
            f"model {loaded.name!r} has no class names: give --target as an index "
            f"0–{n_classes - 1} (or name the classes with --class-names FILE)"
        )
    lowered = [n.lower() for n in names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    close = difflib.get_close_matches(text.lower(), lowered, n=3, cutoff=0.6)
    close += [n for n in lowered if text.lower() in n and n not in close][: 5 - len(close)]
    hint = f"; did you mean {', '.join(repr(names[lowered.index(c)]) for c in close)}?" if close else ""
    raise CLIError(f"unknown class {text!r} for model {loaded.name!r}{hint}")


def class_label(index: int, loaded: LoadedModel) -> str:
    """The class's name, or ``class N``."""
    if loaded.class_names is not None:
        return loaded.class_names[index]
    return f"class {index}"

