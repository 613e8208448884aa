"""A minimal labelled-image dataset shared by the data modules."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = ["LabeledImages"]


class LabeledImages(Dataset):
    """Images ``N×C×H×W`` in ``[0, 1]`` with integer labels and class names.

    Indexing returns ``(image, label)`` with ``image`` of shape ``C×H×W``, the
    pair a :class:`torch.utils.data.DataLoader` batches into ``(B×C×H×W, B)``.

    Parameters
    ----------
    images
        Float tensor ``N×C×H×W`` with values in ``[0, 1]``.
    labels
        Integer tensor ``N``.
    class_names
        One name per class; ``labels`` index into it.

    Examples
    --------
    >>> import torch
    >>> ds = LabeledImages(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]), ("a", "b"))
    >>> len(ds), ds[1][0].shape, int(ds[1][1])
    (4, torch.Size([1, 8, 8]), 1)
    """

    def __init__(self, images: Tensor, labels: Tensor, class_names: Sequence[str]):
        if images.ndim != 4:
            raise ValueError(f"`images` must be N×C×H×W, got shape {tuple(images.shape)}.")
        if labels.shape != (images.shape[0],):
            raise ValueError(
                f"`labels` must hold one label per image ({images.shape[0]}), "
                f"got shape {tuple(labels.shape)}."
            )
        self.images = images
        self.labels = labels.long()
        self.class_names = tuple(class_names)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.images[index], self.labels[index]

    @property
    def num_classes(self) -> int:
        """Number of classes (``len(class_names)``)."""
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of every image."""
        return tuple(self.images.shape[1:])

    def class_counts(self) -> Tensor:
        """How many images each class holds."""
        return torch.bincount(self.labels, minlength=self.num_classes)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return (
            f"{type(self).__name__}({len(self)} images, {c}×{h}×{w}, "
            f"{self.num_classes} classes)"
        )
