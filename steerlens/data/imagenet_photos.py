"""Twenty labelled ImageNet photographs that ship inside the ``foolbox`` wheel.

The wheel of ``foolbox`` (MIT licence) carries 20 ImageNet validation-style
photographs as ``foolbox/data/imagenet_NN_LABEL.jpg`` (512×512 px, ``LABEL``
the ImageNet-1k class index). :func:`imagenet_photos` finds them through the
installed distribution's file list (:mod:`importlib.metadata`) and reads them
with Pillow: foolbox itself is never imported, so it can be installed without
its dependencies (``pip install --no-deps foolbox``).
"""

from __future__ import annotations

import importlib.metadata
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_int
from ._base import LabeledImages

__all__ = ["imagenet_photos"]

_DISTRIBUTION = "foolbox"
_PATTERN = re.compile(r"imagenet_(\d+)_(\d+)\.jpg")


def _photo_files() -> list[tuple[int, int, Path]]:
    """``(number, label, path)`` of every ImageNet photo in the installed foolbox wheel."""
    try:
        dist = importlib.metadata.distribution(_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    found = []
    for file in (dist.files or ()) if dist is not None else ():
        match = _PATTERN.fullmatch(file.name)
        if match and file.parent.name == "data":
            path = Path(str(file.locate()))
            if path.is_file():
                found.append((int(match[1]), int(match[2]), path))
    if not found:
        raise ModuleNotFoundError(
            "the ImageNet photos ship in the PyPI package 'foolbox', which is not installed "
            "(or has no foolbox/data/imagenet_*.jpg files): run\n"
            "    pip install --no-deps foolbox\n"
            "(steerlens only reads its image files; it never imports foolbox)."
        )
    return sorted(found)


def _class_names() -> tuple[str, ...]:
    import torchvision.models  # imported on first use: it takes about a second

    return tuple(torchvision.models.ResNet18_Weights.DEFAULT.meta["categories"])


@lru_cache(maxsize=4)
def _read(size: int) -> tuple[Tensor, Tensor]:
    from PIL import Image

    images, labels = [], []
    for _, label, path in _photo_files():
        with Image.open(path) as photo:
            array = np.array(photo.convert("RGB"), dtype=np.float32) / 255.0
        x = torch.from_numpy(array).permute(2, 0, 1)[None]
        if tuple(x.shape[-2:]) != (size, size):
            x = F.interpolate(
                x, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
        images.append(x[0].clamp(0, 1))
        labels.append(label)
    return torch.stack(images).contiguous(), torch.tensor(labels, dtype=torch.long)


def imagenet_photos(size: int = 224) -> LabeledImages:
    """The 20 labelled ImageNet photographs of the ``foolbox`` wheel, offline.

    Parameters
    ----------
    size
        Side of the square images (px); the 512×512 originals are resized
        (bilinear, antialiased). 224 is what ImageNet classifiers expect.

    Returns
    -------
    LabeledImages
        ``images`` ``20×3×size×size`` in ``[0, 1]``, ``labels`` the ImageNet-1k
        class indices, ``class_names`` the 1000 ImageNet class names (the
        output order of every loader in :mod:`steerlens.models`). A fresh copy
        on every call: changing it changes nothing here.

    Raises
    ------
    TypeError
        If ``size`` is not an int.
    ValueError
        If ``size`` is smaller than 16.
    ModuleNotFoundError
        If the ``foolbox`` wheel is not installed (the message says
        ``pip install --no-deps foolbox``).

    Examples
    --------
    >>> photos = imagenet_photos(size=64)  # doctest: +SKIP
    >>> photos.images.shape, photos.class_names[int(photos.labels[0])]  # doctest: +SKIP
    (torch.Size([20, 3, 64, 64]), 'Bernese mountain dog')
    """
    check_int(size, "size", minimum=16)
    images, labels = _read(int(size))
    return LabeledImages(images.clone(), labels.clone(), _class_names())
