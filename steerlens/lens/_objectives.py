"""Calling the classifier: eval mode, logits checks, targets and objectives.

Private helpers of :mod:`steerlens.lens`. An objective maps logits ``B×classes``
to one loss per image; lower loss means "more target", so the lens always
descends it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

__all__: list[str] = []

OBJECTIVES = ("nll", "logit", "margin")


@contextmanager
def eval_mode(model: Callable, warn: bool) -> Iterator[bool]:
    """Put an ``nn.Module`` (every submodule) in eval mode; restore each flag after.

    Batch norm and dropout behave differently in training mode, so a morph of a
    model in training mode would change from call to call. ``warn`` says whether
    to warn when the model was in training mode; the context yields whether it was.
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
            stacklevel=4,
        )
    model.eval()
    try:
        yield was_training
    finally:
        for m, training in flags:
            m.training = training


def check_logits(logits, batch: int) -> Tensor:
    """Require the model output to be logits ``B×classes`` for a batch of ``B``."""
    if not isinstance(logits, Tensor):
        raise TypeError(
            f"`model` must return a tensor of logits B×classes, got {type(logits).__name__}; "
            f"wrap it, e.g. lambda x: model(x).logits."
        )
    if logits.is_complex():
        raise TypeError(f"`model` must return real logits, got {logits.dtype}.")
    if logits.ndim != 2 or logits.shape[0] != batch:
        raise ValueError(
            f"`model` must return logits of shape B×classes = {batch}×classes for a batch of "
            f"{batch} images, got shape {tuple(logits.shape)}; flatten or select its output."
        )
    if logits.shape[1] < 2:
        raise ValueError(
            f"`model` must return at least 2 class logits, got {logits.shape[1]}; for a binary "
            f"classifier return the two logits [-z, z] (or [0, z])."
        )
    if not torch.is_floating_point(logits):
        raise TypeError(f"`model` must return floating-point logits, got {logits.dtype}.")
    if not bool(torch.isfinite(logits.detach()).all()):
        raise ValueError(
            "`model` returned NaN or infinite logits for these images; check the model "
            "(and `preprocess`) on them, e.g. torch.isfinite(model(x)).all()."
        )
    return logits


def as_class_tensor(value, name: str, batch: int, device) -> Tensor:
    """An int, a sequence of ints or an integer tensor → a length-``B`` long tensor."""
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be a class index (int) or a length-B tensor, got bool.")
    if isinstance(value, int):
        out = torch.full((batch,), value, dtype=torch.long)
    else:
        try:
            out = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"`{name}` must be a class index (int) or a length-B tensor of ints, "
                f"got {type(value).__name__}."
            ) from err
        if out.dtype == torch.bool or torch.is_floating_point(out) or torch.is_complex(out):
            raise TypeError(
                f"`{name}` must hold integer class indices, got dtype {out.dtype}; "
                f"use {name}.long()."
            )
        if out.ndim == 0:
            out = out.expand(batch)
        if out.ndim != 1 or out.shape[0] != batch:
            raise ValueError(
                f"`{name}` must be an int or hold one class per image (length {batch}), "
                f"got shape {tuple(out.shape)}."
            )
    return out.to(device=device, dtype=torch.long)


def check_class_range(classes: Tensor, name: str, num_classes: int) -> Tensor:
    """Reject class indices outside ``[0, num_classes)`` (known after a forward pass)."""
    bad = (classes < 0) | (classes >= num_classes)
    if bool(bad.any()):
        raise ValueError(
            f"`{name}` holds class {int(classes[bad][0])}, outside the model's {num_classes} "
            f"classes (valid: 0 … {num_classes - 1})."
        )
    return classes


def objective_loss(
    logits: Tensor, target: Tensor, objective: str, source: Tensor | None = None
) -> Tensor:
    """One loss per image; lower means more target.

    ``nll``: ``−log softmax(f)_t``; ``logit``: ``−f_t``; ``margin``:
    ``−(f_t − f_s)`` with ``s`` the given ``source`` class, or the strongest
    other class when ``source`` is ``None``.
    """
    target_logit = logits.gather(1, target[:, None])[:, 0]
    if objective == "nll":
        return torch.logsumexp(logits, dim=1) - target_logit
    if objective == "logit":
        return -target_logit
    if source is None:
        others = logits.masked_fill(
            torch.nn.functional.one_hot(target, logits.shape[1]).bool(), float("-inf")
        )
        other_logit = others.max(dim=1).values
    else:
        other_logit = logits.gather(1, source[:, None])[:, 0]
    return other_logit - target_logit
