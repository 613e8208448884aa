"""Small image classifiers: a CNN, a ResNet and an MLP, each a few hundred kilobytes.

All take images ``B×C×H×W`` in ``[0, 1]`` and return logits ``B×classes``;
there is no hidden normalisation. Every constructor argument is stored in
``model.config`` so a model can be rebuilt from its metadata (the zoo does
this).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from torch import Tensor, nn

from .._checks import check_choice, check_int

__all__ = ["SmallCNN", "SmallResNet", "SmallMLP", "ARCHITECTURES", "build_model", "count_parameters"]


def _check_channels(values: Sequence[int], name: str) -> tuple[int, ...]:
    values = tuple(values)
    if not values:
        raise ValueError(f"`{name}` must hold at least one width.")
    for v in values:
        check_int(v, name, minimum=1)
    return values


class SmallCNN(nn.Module):
    """A plain CNN: blocks of 3×3 convolution, ReLU and 2×2 pooling, then two linear layers.

    The feature map is flattened (not globally pooled), so the classifier
    keeps track of *where* things are, which position tasks need.

    Parameters
    ----------
    in_channels
        1 (grey) or 3 (colour).
    num_classes
        Number of outputs.
    image_size
        Height and width of the (square) input; sets the flattened size.
    channels
        Width of every block; there is one 2× pooling per block.
    hidden
        Width of the hidden linear layer.
    pool
        ``"max"`` or ``"avg"`` pooling.

    Raises
    ------
    TypeError
        If ``in_channels``, ``num_classes``, ``image_size``, ``hidden`` or an entry of
        ``channels`` is not an int.
    ValueError
        If ``in_channels`` < 1, ``num_classes`` < 2, ``image_size`` < 4, ``hidden`` < 1,
        ``channels`` is empty or holds a width < 1, ``pool`` is not ``"max"`` or ``"avg"``,
        or ``image_size`` is too small for one 2× pooling per entry of ``channels``.

    Examples
    --------
    >>> import torch
    >>> model = SmallCNN(in_channels=1, num_classes=10, image_size=28)
    >>> model(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        image_size: int = 28,
        channels: Sequence[int] = (16, 32, 64),
        hidden: int = 64,
        pool: Literal["max", "avg"] = "max",
    ):
        super().__init__()
        check_int(in_channels, "in_channels", minimum=1)
        check_int(num_classes, "num_classes", minimum=2)
        check_int(image_size, "image_size", minimum=4)
        channels = _check_channels(channels, "channels")
        check_int(hidden, "hidden", minimum=1)
        check_choice(pool, "pool", ("max", "avg"))
        side = image_size
        for _ in channels:
            side //= 2
        if side < 1:
            raise ValueError(
                f"`image_size`={image_size} is too small for {len(channels)} pooling blocks; "
                f"use fewer `channels` entries or larger images."
            )
        self.config = {
            "in_channels": in_channels,
            "num_classes": num_classes,
            "image_size": image_size,
            "channels": list(channels),
            "hidden": hidden,
            "pool": pool,
        }
        pool_layer = nn.MaxPool2d if pool == "max" else nn.AvgPool2d
        layers: list[nn.Module] = []
        c_in = in_channels
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), pool_layer(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c_in * side * side, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


class _BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """A small residual network (He et al. 2016): a stem, stages of basic blocks, global pooling.

    Parameters
    ----------
    in_channels
        1 (grey) or 3 (colour).
    num_classes
        Number of outputs.
    widths
        Channels of every stage; every stage after the first halves the resolution.
    blocks
        Basic blocks per stage.

    Raises
    ------
    TypeError
        If ``in_channels``, ``num_classes``, ``blocks`` or an entry of ``widths`` is not an int.
    ValueError
        If ``in_channels`` < 1, ``num_classes`` < 2, ``blocks`` < 1, or ``widths`` is empty
        or holds a width < 1.

    Examples
    --------
    >>> import torch
    >>> SmallResNet(num_classes=10)(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        widths: Sequence[int] = (12, 24, 48),
        blocks: int = 1,
    ):
        super().__init__()
        check_int(in_channels, "in_channels", minimum=1)
        check_int(num_classes, "num_classes", minimum=2)
        widths = _check_channels(widths, "widths")
        check_int(blocks, "blocks", minimum=1)
        self.config = {
            "in_channels": in_channels,
            "num_classes": num_classes,
            "widths": list(widths),
            "blocks": blocks,
        }
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
        )
        stages: list[nn.Module] = []
        c_in = widths[0]
        for i, c_out in enumerate(widths):
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(_BasicBlock(c_in, c_out, stride))
                c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.stages(self.stem(x)))


class SmallMLP(nn.Module):
    """A multilayer perceptron on the flattened image.

    Parameters
    ----------
    in_features
        ``C·H·W`` of the input images (784 for 28×28 grey).
    num_classes
        Number of outputs.
    hidden
        Widths of the hidden layers (ReLU after each).

    Raises
    ------
    TypeError
        If ``in_features``, ``num_classes`` or an entry of ``hidden`` is not an int.
    ValueError
        If ``in_features`` < 1, ``num_classes`` < 2 or an entry of ``hidden`` is < 1.
        Calling the model raises it if the images do not hold ``in_features`` values each.

    Examples
    --------
    >>> import torch
    >>> SmallMLP(784, 10)(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_features: int = 784, num_classes: int = 10, hidden: Sequence[int] = (64,)):
        super().__init__()
        check_int(in_features, "in_features", minimum=1)
        check_int(num_classes, "num_classes", minimum=2)
        hidden = tuple(hidden)
        for h in hidden:
            check_int(h, "hidden", minimum=1)
        self.config = {"in_features": in_features, "num_classes": num_classes, "hidden": list(hidden)}
        layers: list[nn.Module] = [nn.Flatten()]
        c_in = in_features
        for h in hidden:
            layers += [nn.Linear(c_in, h), nn.ReLU()]
            c_in = h
        layers.append(nn.Linear(c_in, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``B×classes`` of the flattened images ``x``.

        Raises
        ------
        ValueError
            If ``x`` does not hold ``in_features`` values (``C·H·W``) per image.
        """
        if x.ndim < 2 or x[0].numel() != self.config["in_features"]:
            raise ValueError(
                f"`x` must hold in_features={self.config['in_features']} values per image "
                f"(C·H·W), got shape {tuple(x.shape)}; resize the images or build the MLP "
                f"with in_features={x[0].numel() if x.ndim >= 2 else 'C·H·W'}."
            )
        return self.net(x)


ARCHITECTURES: dict[str, type[nn.Module]] = {
    "SmallCNN": SmallCNN,
    "SmallResNet": SmallResNet,
    "SmallMLP": SmallMLP,
}


def build_model(architecture: str, **config) -> nn.Module:
    """Build one of :data:`ARCHITECTURES` by name from its ``config``.

    Raises
    ------
    ValueError
        If ``architecture`` is not a key of :data:`ARCHITECTURES`, or the constructor
        rejects a value in ``config``.
    TypeError
        If ``config`` holds an argument the architecture does not take, or a value of the
        wrong type.

    Examples
    --------
    >>> m = build_model("SmallCNN", in_channels=1, num_classes=2, image_size=32)
    >>> build_model("SmallCNN", **m.config).config == m.config
    True
    """
    check_choice(architecture, "architecture", tuple(ARCHITECTURES))
    return ARCHITECTURES[architecture](**config)


def count_parameters(model: nn.Module) -> int:
    """Number of parameters of ``model``.

    Examples
    --------
    >>> import torch
    >>> count_parameters(torch.nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in model.parameters())

