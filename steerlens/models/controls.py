"""Randomization controls: copies of a model whose parameters are re-initialised.

The model-randomization test of Adebayo et al. (2018, *Sanity Checks for
Saliency Maps*) asks whether an explanation changes when the classifier's
weights are replaced by random ones. If it does not, the explanation shows
the method (here: the coordinates of a lens), not what the model learned.
Two variants:

- **all at once** (``randomize_model(model)``): every parameterised layer is
  re-initialised;
- **cascading** (``randomize_model(model, mode="cascade", depth=k)`` or
  :func:`cascading_randomization`): the top ``k`` layers, counted from the
  output, are re-initialised and the layers below keep their trained weights.

The data-randomization test (a model trained on shuffled labels) is a zoo
model: ``pretrained("mnist_cnn_shuffled")``, ``pretrained("blobs_cnn_shuffled")``.

A *layer* is a module that owns parameters itself (``module.parameters(
recurse=False)`` is not empty); layers are ordered as ``model.named_modules()``
registers them, which for the zoo's models (and any ``nn.Sequential``) is the
order from input to output. Pass ``layers=`` to give another order.

Re-initialisation uses the layer's own ``reset_parameters()`` where it has
one (``nn.Linear``, ``nn.Conv2d``, ``nn.BatchNorm2d``, ... : PyTorch's default
initialisation; batch norm also resets its running statistics). A layer
without one gets, for every parameter it owns, PyTorch's default for linear and
convolution weights: ``kaiming_uniform_(p, a=√5)`` if the parameter has two or
more dimensions, else uniform in ``±1/√n`` (``n`` its number of elements).
The random numbers are drawn on the CPU from a generator seeded with ``seed``
and the layer's name, so a layer gets the same values in every control made
with the same seed, on every device; the global random state is not touched.

Examples
--------
>>> from steerlens.models import pretrained, randomize_model
>>> trained = pretrained("mnist_cnn")
>>> random = randomize_model(trained, seed=0)
>>> [n for n, _ in cascading_randomization(trained)]
['classifier.3', 'classifier.1', 'features.6', 'features.3', 'features.0']
>>> bool((random.classifier[3].weight == trained.classifier[3].weight).all())
False
"""

from __future__ import annotations

import copy
import math
import zlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from .._checks import check_choice, check_int

__all__ = ["parameterized_layers", "randomize_model", "cascading_randomization"]


def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"`model` must be a torch.nn.Module, got {type(model).__name__}; "
            "randomization re-initialises a module's parameters, so wrap a plain "
            "function in an nn.Module first."
        )
    return model


def parameterized_layers(model: nn.Module) -> list[str]:
    """Names of the modules that own parameters, in registration (input-to-output) order.

    Parameters
    ----------
    model
        Any ``nn.Module``.

    Returns
    -------
    list of str
        Names as in ``model.named_modules()`` (``""`` for the model itself when
        it owns parameters directly).

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``.

    Examples
    --------
    >>> from steerlens.models import SmallMLP
    >>> parameterized_layers(SmallMLP(in_features=4, num_classes=2, hidden=[3]))
    ['net.1', 'net.3']
    """
    _check_model(model)
    return [
        name
        for name, module in model.named_modules()
        if next(module.parameters(recurse=False), None) is not None
    ]


def _layer_order(model: nn.Module, layers) -> list[str]:
    available = parameterized_layers(model)
    if layers is None:
        if not available:
            raise ValueError(
                "`model` has no parameters to re-initialise; randomization needs a "
                "model with at least one parameterised layer."
            )
        return available
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(
            "`layers` must be a sequence of layer names (input to output), e.g. "
            f"{available[:2]!r}; got {type(layers).__name__}."
        )
    layers = list(layers)
    if not layers:
        raise ValueError("`layers` is empty; pass None to use every parameterised layer.")
    unknown = [n for n in layers if n not in available]
    if unknown:
        raise ValueError(
            f"`layers` holds {unknown!r}, which are not parameterised layers of `model`; "
            f"valid names: {', '.join(repr(n) for n in available)} "
            "(see parameterized_layers(model))."
        )
    if len(set(layers)) != len(layers):
        raise ValueError("`layers` names a layer twice; name each layer once.")
    return layers


def _layer_generator(seed: int, name: str) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))


@torch.no_grad()
def _reinitialise(layer: nn.Module, name: str, seed: int) -> None:
    """Re-initialise the parameters ``layer`` owns, drawing on the CPU, reproducibly."""
    own = dict(layer.named_parameters(recurse=False))
    generator = _layer_generator(seed, name)
    reset = getattr(layer, "reset_parameters", None)
    if callable(reset):
        # reset a CPU copy under a seeded global RNG, restored afterwards
        cpu_layer = copy.deepcopy(layer).to("cpu")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=generator)))
            cpu_layer.reset_parameters()
        for key, p in own.items():
            p.copy_(getattr(cpu_layer, key).to(p.device, p.dtype))
        own_buffers = dict(layer.named_buffers(recurse=False))
        for key, b in own_buffers.items():
            fresh = getattr(cpu_layer, key)
            if isinstance(fresh, torch.Tensor):
                b.copy_(fresh.to(b.device, b.dtype))
        return
    for _, p in own.items():
        fresh = torch.empty(p.shape, dtype=torch.float32)
        if p.ndim >= 2:
            fan_in = p.shape[1] * math.prod(p.shape[2:])
            # kaiming_uniform_(a=√5): bound = √(6 / ((1 + a²)·fan_in)) = 1/√fan_in
            bound = 1.0 / math.sqrt(fan_in)
        else:
            bound = 1.0 / math.sqrt(max(p.numel(), 1))
        fresh.uniform_(-bound, bound, generator=generator)
        p.copy_(fresh.to(p.device, p.dtype))


def randomize_model(
    model: nn.Module,
    *,
    mode: str = "all",
    depth: int | None = None,
    seed: int = 0,
    layers: Sequence[str] | None = None,
) -> nn.Module:
    """A copy of ``model`` with re-initialised parameters: all layers, or the top ``depth``.

    The model-randomization control of Adebayo et al. (2018). The original is
    not modified; the copy keeps the original's device, dtypes,
    ``requires_grad`` flags and train/eval mode of every submodule. Only the
    re-initialised layers differ from the original.

    Parameters
    ----------
    model
        Any ``nn.Module`` with at least one parameterised layer.
    mode
        ``"all"``: re-initialise every layer (``depth`` must be ``None``).
        ``"cascade"``: re-initialise the ``depth`` layers nearest the output.
    depth
        With ``mode="cascade"``: how many layers, counted from the output
        (1 = the last layer only), between 1 and the number of layers.
    seed
        Seed of the new weights (an int ≥ 0). Each layer's values depend
        only on ``seed`` and the layer's name, so stage ``k`` of a cascade
        and the ``"all"`` control share the weights of the layers they both
        re-initialise.
    layers
        The layers to consider, input to output (names from
        :func:`parameterized_layers`); ``None`` uses all of them in
        registration order. Layers not listed are never re-initialised.

    Returns
    -------
    torch.nn.Module
        The randomized copy.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``, ``depth`` or ``seed`` is not an
        int, or ``layers`` is not a sequence of names.
    ValueError
        If ``mode`` is not ``"all"`` or ``"cascade"``; if ``depth`` is given with
        ``mode="all"``, missing with ``mode="cascade"``, or outside ``1 …
        len(layers)``; if ``seed`` < 0; if ``layers`` is empty, repeats a name
        or names a module that owns no parameters; or if ``model`` has no
        parameters.

    Examples
    --------
    >>> from steerlens.models import pretrained
    >>> trained = pretrained("blobs_cnn")
    >>> top = randomize_model(trained, mode="cascade", depth=1)
    >>> same = [torch.equal(a, b) for a, b in zip(trained.parameters(),
    ...                                            top.parameters())]
    >>> same  # only the last Linear layer (weight, bias) changed
    [True, True, True, True, True, True, True, True, False, False]
    """
    _check_model(model)
    check_choice(mode, "mode", ("all", "cascade"))
    check_int(seed, "seed", minimum=0)
    order = _layer_order(model, layers)
    if mode == "all":
        if depth is not None:
            raise ValueError(
                f"`depth`={depth!r} only applies to mode='cascade'; drop it, or use "
                "mode='cascade' to re-initialise the top `depth` layers."
            )
        chosen = order
    else:
        if depth is None:
            raise ValueError(
                f"mode='cascade' needs `depth`, the number of layers to re-initialise "
                f"from the output (1 … {len(order)})."
            )
        check_int(depth, "depth", minimum=1)
        if depth > len(order):
            raise ValueError(
                f"`depth`={depth} exceeds the {len(order)} parameterised layers of "
                f"`model`; use 1 … {len(order)} (or mode='all')."
            )
        chosen = order[len(order) - depth :]
    copied = copy.deepcopy(model)
    modules = dict(copied.named_modules())
    for name in chosen:
        _reinitialise(modules[name], name, seed)
    return copied


def cascading_randomization(
    model: nn.Module, *, seed: int = 0, layers: Sequence[str] | None = None
) -> Iterator[tuple[str, nn.Module]]:
    """Cascading randomization: re-initialise the layers one more at a time, from the output down.

    Yields, for ``k = 1, 2, …, len(layers)``, the name of the ``k``-th layer
    from the output and ``randomize_model(model, mode="cascade", depth=k,
    seed=seed, layers=layers)``: a fresh copy in which the top ``k`` layers
    are re-initialised (the last stage equals ``randomize_model(model,
    seed=seed)``). Arguments are checked before the first stage is made.

    Parameters
    ----------
    model, seed, layers
        As in :func:`randomize_model`.

    Yields
    ------
    name : str
        The layer that this stage re-initialises in addition to the previous ones.
    model : torch.nn.Module
        The copy with the top ``k`` layers re-initialised.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Module``, ``seed`` is not an int, or
        ``layers`` is not a sequence of names.
    ValueError
        If ``seed`` < 0, ``layers`` is empty, repeats a name or names a module
        without parameters, or ``model`` has no parameters.

    Examples
    --------
    >>> from steerlens.models import SmallMLP
    >>> mlp = SmallMLP(in_features=4, num_classes=2, hidden=[3])
    >>> [name for name, _ in cascading_randomization(mlp)]
    ['net.3', 'net.1']
    """
    _check_model(model)
    check_int(seed, "seed", minimum=0)
    order = _layer_order(model, layers)

    def stages() -> Iterator[tuple[str, nn.Module]]:
        for k in range(1, len(order) + 1):
            copy_k = randomize_model(model, mode="cascade", depth=k, seed=seed, layers=order)
            yield order[len(order) - k], copy_k

    return stages()
