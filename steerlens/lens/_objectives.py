"""Calling the classifier: eval mode, logits checks, targets and objectives.

Private helpers of :mod:`steerlens.lens`. An objective maps logits ``B×classes``
to one loss per image; lower loss means "more target", so the lens always
descends it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._classifier import as_class_tensor, check_class_range, check_logits  # noqa: F401
from .._classifier import eval_context as eval_mode  # noqa: F401

__all__: list[str] = []

OBJECTIVES = ("nll", "logit", "margin")


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
