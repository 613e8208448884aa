"""Classifier read-outs: driver confidence, judge transfer, and targets chosen by a rule.

Every read-out goes through one model-call path (``steerlens._classifier``):
the model runs in eval mode inside a context (a model in training mode is
switched and restored, submodule by submodule, so two identical calls give
identical results and batch-norm statistics never change), in batches, without
gradients; its output must be finite logits ``B×classes`` (a dict gives its
``"logits"``); targets are ints, lists or integer tensors, checked against the
model's classes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

from .._checks import check_images
from .._classifier import as_class_tensor, check_class_range, check_model, logits_of

__all__ = ["target_probability", "judge_agreement", "pick_targets"]

_TARGET_RULES = ("second_choice", "next_class")


def target_probability(
    model: Callable[[Tensor], Tensor],
    x: Tensor,
    target,
    batch_size: int = 256,
    *,
    preprocess: Callable[[Tensor], Tensor] | None = None,
) -> Tensor:
    """Softmax probability of ``target`` under ``model`` for every image of ``x``.

    Parameters
    ----------
    model
        A callable returning logits ``B×classes`` (or a dict with ``"logits"``).
        An ``nn.Module`` runs in eval mode; its own mode is restored afterwards.
    x
        Images ``B×C×H×W`` in ``[0, 1]``.
    target
        A class index for every image, or one per image (a list or an integer tensor).
    batch_size
        Largest batch sent to the model.
    preprocess
        Optional function applied to each batch before the model (e.g. normalisation).

    Returns
    -------
    Tensor
        ``B`` probabilities, on ``x``'s device.

    Raises
    ------
    TypeError
        If ``model`` is not callable or returns no tensor, ``x`` is not a
        floating-point tensor, ``target`` holds floats (never truncated) or is
        not a class index, ``batch_size`` is not an int, or the logits are not
        floating-point.
    ValueError
        If ``x`` is not ``B×C×H×W`` in ``[0, 1]``, ``target`` has the wrong
        length or a class outside the model's classes, ``batch_size < 1``, the
        model's output is not ``B×classes`` logits (e.g. 1-D), or the logits hold
        NaN/inf.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    >>> p = target_probability(model, torch.rand(5, 1, 2, 2), 1)
    >>> tuple(p.shape), bool(((p > 0) & (p < 1)).all())
    ((5,), True)
    """
    check_model(model)
    x = check_images(x, "x", channels=None)
    t = as_class_tensor(target, "target", x.shape[0], x.device)
    logits = logits_of(model, x.detach(), batch_size=batch_size, preprocess=preprocess)
    check_class_range(t, "target", logits.shape[1])
    return torch.softmax(logits, dim=1).gather(1, t[:, None].to(logits.device))[:, 0]


def _named_judges(judges) -> dict[str, Callable]:
    if isinstance(judges, Mapping):
        named = {str(k): v for k, v in judges.items()}
    elif callable(judges):
        named = {"judge1": judges}
    elif isinstance(judges, Sequence) and not isinstance(judges, (str, bytes)):
        named = {f"judge{i + 1}": j for i, j in enumerate(judges)}
    else:
        raise TypeError(
            f"`judges` must be a dict name → model, a sequence of models or one model, "
            f"got {type(judges).__name__}."
        )
    if not named:
        raise ValueError("`judges` is empty: pass at least one classifier.")
    if "all" in named:
        raise ValueError("`judges` must not use the name 'all' (it holds the conjunction).")
    for name, judge in named.items():
        check_model(judge, f"judges[{name!r}]")
    return named


def judge_agreement(
    judges: Mapping[str, Callable[[Tensor], Tensor]] | Sequence | Callable,
    x: Tensor,
    target,
    *,
    batch_size: int = 256,
    preprocess: Callable[[Tensor], Tensor] | None = None,
) -> dict[str, Tensor]:
    """Whether each judge's top-1 prediction is the target, per image.

    Each judge is called like :func:`target_probability`'s ``model`` (eval
    mode, batches, checked logits, target range checked against its classes).

    Parameters
    ----------
    judges
        ``name → model``, a sequence of models (named ``judge1``, ``judge2``, …)
        or one model.
    x
        Images ``B×C×H×W`` in ``[0, 1]``.
    target
        A class index, or one per image (a list or an integer tensor).
    batch_size, preprocess
        As in :func:`target_probability`.

    Returns
    -------
    dict
        ``name → bool tensor (B,)`` plus ``"all"``: every judge agrees.

    Raises
    ------
    TypeError
        If ``judges`` is not models, a judge is not callable or returns no
        floating-point tensor, ``x`` / ``target`` has the wrong type (floats in
        ``target`` are rejected), or ``batch_size`` is not an int.
    ValueError
        If ``judges`` is empty (or uses the name ``"all"``), ``x`` is not
        ``B×C×H×W`` in ``[0, 1]``, ``target`` has the wrong length or is outside
        a judge's classes, ``batch_size < 1``, or a judge returns anything but
        finite ``B×classes`` logits.

    Examples
    --------
    >>> import torch
    >>> j = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> out = judge_agreement({"a": j, "b": j}, torch.rand(3, 1, 2, 2), 0)
    >>> sorted(out), bool(torch.equal(out["all"], out["a"]))
    (['a', 'all', 'b'], True)
    """
    named = _named_judges(judges)
    x = check_images(x, "x", channels=None)
    t = as_class_tensor(target, "target", x.shape[0], x.device)
    out = {}
    for name, judge in named.items():
        logits = logits_of(
            judge, x.detach(), batch_size=batch_size, preprocess=preprocess, name=f"judges[{name!r}]"
        )
        check_class_range(t, "target", logits.shape[1])
        out[name] = logits.argmax(dim=1).to(t.device) == t
    out["all"] = torch.stack(list(out.values())).all(dim=0)
    return out


def pick_targets(
    model: Callable[[Tensor], Tensor],
    images: Tensor,
    rule: str = "second_choice",
    labels: Tensor | None = None,
    batch_size: int = 256,
) -> Tensor:
    """One target class per source image, by a stated rule.

    Parameters
    ----------
    model
        The driver (logits ``B×classes``; run in eval mode).
    images
        Source images ``B×C×H×W`` in ``[0, 1]``.
    rule
        - ``"second_choice"``: the driver's second most likely class on the source — the
          nearest other class in the driver's own view, so every method starts with a
          reachable target.
        - ``"next_class"``: a fixed pairing, ``(label + 1) mod classes`` (needs ``labels``);
          independent of the driver.
    labels
        True classes, needed by ``"next_class"``.
    batch_size
        Largest batch sent to the model.

    Returns
    -------
    Tensor
        Long tensor of length ``B``.

    Raises
    ------
    TypeError
        If ``model`` is not callable or returns no floating-point tensor, ``images``
        is not a floating-point tensor, ``labels`` is not integer classes, or
        ``batch_size`` is not an int.
    ValueError
        For an unknown ``rule``, ``images`` that are not ``B×C×H×W`` in ``[0, 1]``,
        ``"next_class"`` without ``labels``, ``labels`` of the wrong length or
        outside the model's classes, ``batch_size < 1``, or a model output that is
        not finite ``B×classes`` logits.

    Examples
    --------
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 5))
    >>> x = torch.rand(3, 1, 2, 2)
    >>> t = pick_targets(model, x)
    >>> bool((t != model(x).argmax(1)).all())
    True
    >>> pick_targets(model, x, "next_class", labels=torch.tensor([0, 3, 4])).tolist()
    [1, 4, 0]
    """
    check_model(model)
    images = check_images(images, "images", channels=None)
    if rule not in _TARGET_RULES:
        raise ValueError(
            f"`rule` must be one of {', '.join(map(repr, _TARGET_RULES))}; got {rule!r}."
        )
    logits = logits_of(model, images.detach(), batch_size=batch_size)
    if rule == "second_choice":
        return logits.topk(2, dim=1).indices[:, 1].to(images.device)
    if labels is None:
        raise ValueError("rule='next_class' needs `labels` (the true class of every source).")
    labels = as_class_tensor(labels, "labels", images.shape[0], images.device)
    check_class_range(labels, "labels", logits.shape[1])
    return (labels + 1) % logits.shape[1]
