"""Calling a classifier: the one path every read-out takes.

Eval mode inside a context (every submodule's own flag restored after),
logits checks (a dict output gives its ``"logits"``; 1-D outputs, too few
classes, integer dtypes and NaN/inf are rejected with the fix), class targets
(an int, a list or an integer tensor; floats rejected, never truncated; the
range checked once the number of classes is known) and batching. Used by
:mod:`steerlens.evaluate`, :mod:`steerlens.widgets`, :mod:`steerlens.models`
(``eval_mode``) and the lens.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor, nn

__all__: list[str] = []


@contextmanager
def eval_context(model: Callable, warn: bool = False, *, stacklevel: int = 4) -> Iterator[bool]:
    """Put an ``nn.Module`` (every submodule) in eval mode; restore each submodule's flag after.

    Batch norm and dropout behave differently in training mode, so a read-out
    of a model in training mode would change from call to call (and update the
    batch-norm statistics). Restoring each submodule's own flag, rather than
    calling ``model.train(was_training)``, keeps a model whose parts are in
    different modes (a frozen backbone in eval, a head in training) as it was.
    ``warn`` says whether to warn when the model was in training mode; the
    context yields whether any submodule was. A plain callable is left alone.
    """
    if not isinstance(model, nn.Module):
        yield False
        return
    flags = [(m, m.training) for m in model.modules()]
    was_training = any(training for _, training in flags)
    if warn and was_training:
        warnings.warn(
            "`model` is in training mode; steerlens switches it to eval mode for each call "
            "(batch norm and dropout would otherwise change the result) and restores its mode "
            "afterwards. Call model.eval() first to silence this warning.",
            UserWarning,
            stacklevel=stacklevel,
        )
    model.eval()
    try:
        yield was_training
    finally:
        for m, training in flags:
            m.training = training


def check_model(model, name: str = "model") -> Callable:
    """Require a callable (images → logits)."""
    if not callable(model):
        raise TypeError(f"`{name}` must be callable (images → logits), got {type(model).__name__}.")
    return model


def check_logits(logits, batch: int, name: str = "model") -> Tensor:
    """The model output as finite floating-point logits ``B×classes`` for a batch of ``B``.

    A mapping (e.g. a Hugging Face output) gives its ``"logits"`` entry.
    """
    if isinstance(logits, Mapping):
        if "logits" not in logits:
            raise TypeError(
                f"`{name}` returned a mapping without a 'logits' entry (keys: "
                f"{', '.join(map(repr, logits))}); wrap it, e.g. lambda x: {name}(x)['scores']."
            )
        logits = logits["logits"]
    if not isinstance(logits, Tensor):
        raise TypeError(
            f"`{name}` must return a tensor of logits B×classes, got {type(logits).__name__}; "
            f"wrap it, e.g. lambda x: {name}(x).logits."
        )
    if logits.ndim == 1 and logits.shape[0] == batch:
        raise ValueError(
            f"`{name}` returned one value per image (shape {tuple(logits.shape)}), not logits of "
            f"shape B×classes = {batch}×classes; for a binary classifier with one logit z return "
            f"torch.stack([-z, z], 1)."
        )
    if logits.ndim != 2 or logits.shape[0] != batch:
        raise ValueError(
            f"`{name}` must return logits of shape B×classes = {batch}×classes for a batch of "
            f"{batch} images, got shape {tuple(logits.shape)}; flatten or select its output."
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"`{name}` must return at least 2 class logits, got {logits.shape[1]}; for a binary "
            f"classifier return the two logits [-z, z] (or [0, z])."
        )
    if not torch.is_floating_point(logits):
        raise TypeError(f"`{name}` must return floating-point logits, got {logits.dtype}.")
    if not bool(torch.isfinite(logits).all()):
        raise ValueError(
            f"`{name}` returned NaN or infinite logits; check the input and the model "
            f"(e.g. a log of zero or an overflow in its last layer)."
        )
    return logits


def as_class_tensor(value, name: str, batch: int, device=None) -> Tensor:
    """An int, a sequence of ints or an integer tensor → a length-``B`` long tensor.

    Floats (even whole ones), bools and complex values are rejected, never truncated.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a class index (int) or a length-B tensor, got bool.")
    if isinstance(value, (int, np.integer)):
        out = torch.full((batch,), int(value), dtype=torch.long)
    else:
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(
                f"`{name}` must be a class index (int) or a length-B tensor of ints, "
                f"got {type(value).__name__}."
            )
        try:
            out = torch.as_tensor(value.detach().cpu() if isinstance(value, Tensor) else value)
        except (TypeError, ValueError, RuntimeError, OverflowError) as err:
            raise TypeError(
                f"`{name}` must be a class index (int) or a length-B tensor of ints, "
                f"got {type(value).__name__}."
            ) from err
        if out.dtype == torch.bool or torch.is_floating_point(out) or torch.is_complex(out):
            raise TypeError(
                f"`{name}` must hold integer class indices, got dtype {out.dtype}; "
                f"use {name}.long() (after checking the values are whole classes)."
            )
        if out.ndim == 0:
            out = out.expand(batch)
        if out.ndim != 1 or out.shape[0] != batch:
            raise ValueError(
                f"`{name}` must be an int or hold one class per image (length {batch}), "
                f"got shape {tuple(out.shape)}."
            )
    return out.to(device=device, dtype=torch.long)


def class_index(value, name: str, class_names) -> int:
    """One class as an index into ``class_names``: an int in range, or a class name."""
    class_names = tuple(class_names)
    if isinstance(value, str):
        if value not in class_names:
            raise ValueError(
                f"`{name}` {value!r} is not a class name; valid: {', '.join(class_names)}."
            )
        return class_names.index(value)
    index = as_class_tensor(value, name, 1)
    check_class_range(index, name, len(class_names))
    return int(index[0])


def check_class_range(classes: Tensor, name: str, num_classes: int) -> Tensor:
    """Reject class indices outside ``[0, num_classes)`` (known after a forward pass)."""
    bad = (classes < 0) | (classes >= num_classes)
    if bool(bad.any()):
        raise ValueError(
            f"`{name}` holds class {int(classes[bad][0])}, outside the model's {num_classes} "
            f"classes (valid: 0 … {num_classes - 1})."
        )
    return classes


def check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"`batch_size` must be an int, got {type(batch_size).__name__}.")
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be ≥ 1, got {batch_size}.")
    return int(batch_size)


def _model_input(model) -> tuple[torch.dtype, torch.device] | None:
    """The floating dtype and device of an ``nn.Module``'s first floating parameter or buffer."""
    if not isinstance(model, nn.Module):
        return None
    for t in (*model.parameters(), *model.buffers()):
        if torch.is_floating_point(t):
            return t.dtype, t.device
    return None


def logits_of(
    model: Callable,
    images: Tensor,
    *,
    batch_size: int = 256,
    preprocess: Callable | None = None,
    name: str = "model",
    warn: bool = False,
) -> Tensor:
    """Checked logits ``B×classes`` of ``model`` on ``images``: eval mode, no gradient, batched.

    Images go to the dtype and device of an ``nn.Module``'s parameters (so float16 images
    meet a float32 model in float32); the logits come back on the images' device.
    """
    check_model(model, name)
    batch_size = check_batch_size(batch_size)
    device = images.device
    target = _model_input(model)
    if target is not None and preprocess is None:
        images = images.to(dtype=target[0], device=target[1])
    chunks = []
    with torch.no_grad(), eval_context(model, warn, stacklevel=5):
        for part in images.split(batch_size):
            inputs = preprocess(part) if preprocess is not None else part
            chunks.append(check_logits(model(inputs), part.shape[0], name))
    return torch.cat(chunks).to(device)
