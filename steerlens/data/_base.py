"""The labelled-image dataset every data module builds on."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.utils.data import Dataset

from .._checks import check_even_size, check_int, check_positive

__all__ = ["LabeledImages"]


def check_offset_task(n, size, min_size: int, min_offset, max_offset, max_fraction: int):
    """The arguments every offset task shares: even ``n`` and ``size``, an offset range.

    Returns ``(min_offset, max_offset)`` as floats.
    """
    check_int(n, "n", minimum=2)
    if n % 2:
        raise ValueError(f"`n` must be even so that both classes get n/2 images, got {n}.")
    check_int(size, "size", minimum=min_size)
    check_even_size((size, size), "size")
    min_offset = check_positive(min_offset, "min_offset", allow_zero=True)
    max_offset = check_positive(max_offset, "max_offset")
    if min_offset >= max_offset:
        raise ValueError(
            f"`min_offset` ({min_offset}) must be smaller than `max_offset` ({max_offset})."
        )
    if max_offset > size / max_fraction:
        raise ValueError(
            f"`max_offset` ({max_offset}) must be at most size/{max_fraction} = "
            f"{size / max_fraction} so the pattern stays inside the image; use a larger `size`."
        )
    return min_offset, max_offset


class LabeledImages(Dataset):
    """Images ``N×C×H×W`` in ``[0, 1]`` with integer labels, class names and optional offsets.

    Indexing returns ``(image, label)`` with ``image`` of shape ``C×H×W``, the
    pair a :class:`torch.utils.data.DataLoader` batches into ``(B×C×H×W, B)``.
    A dataset with a known geometric ground truth (``offsets`` given, as in
    :class:`~steerlens.data.ShiftedBlobs` and
    :class:`~steerlens.data.NaturalShifts`) returns ``(image, label, offset)``
    instead; a loader batches that into ``(B×C×H×W, B, B)``, and
    ``batch[0], batch[1]`` are the images and labels either way.

    Parameters
    ----------
    images
        Float tensor ``N×C×H×W`` with values in ``[0, 1]``. A subclass that
        renders its images on demand passes ``None`` and ``image_shape``, and
        implements ``_render(index) → B×C×H×W``.
    labels
        Integer tensor ``N``.
    class_names
        One name per class; ``labels`` index into it.
    offsets
        Optional float tensor ``N``: a known continuous ground truth per image
        (e.g. a horizontal offset in pixels).
    image_shape
        ``(C, H, W)``, only with ``images=None``.

    Raises
    ------
    TypeError
        If ``images`` or ``labels`` is not a tensor, or ``labels`` is not integer.
    ValueError
        If ``images`` is not ``N×C×H×W``, or ``labels``/``offsets`` do not hold
        one value per image, or a label is outside ``class_names``, or ``images`` is
        ``None`` without a three-entry ``image_shape``.

    Examples
    --------
    >>> import torch
    >>> ds = LabeledImages(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]), ("a", "b"))
    >>> len(ds), ds[1][0].shape, int(ds[1][1])
    (4, torch.Size([1, 8, 8]), 1)
    >>> with_offsets = LabeledImages(torch.zeros(2, 1, 8, 8), torch.tensor([0, 1]), ("a", "b"),
    ...                              offsets=torch.tensor([-1.0, 2.0]))
    >>> float(with_offsets[1][2])
    2.0
    """

    def __init__(
        self,
        images: Tensor | None,
        labels: Tensor,
        class_names: Sequence[str],
        *,
        offsets: Tensor | None = None,
        image_shape: tuple[int, int, int] | None = None,
    ):
        if not isinstance(labels, Tensor):
            raise TypeError(f"`labels` must be a torch.Tensor, got {type(labels).__name__}.")
        if torch.is_floating_point(labels) or torch.is_complex(labels) or labels.dtype == torch.bool:
            raise TypeError(f"`labels` must hold integer class indices, got dtype {labels.dtype}.")
        if images is None:
            if image_shape is None or len(image_shape) != 3:
                raise ValueError("`image_shape` (C, H, W) is needed when `images` is None.")
            n, shape = labels.shape[0] if labels.ndim == 1 else -1, tuple(image_shape)
        else:
            if not isinstance(images, Tensor):
                raise TypeError(f"`images` must be a torch.Tensor, got {type(images).__name__}.")
            if images.ndim != 4:
                raise ValueError(f"`images` must be N×C×H×W, got shape {tuple(images.shape)}.")
            n, shape = images.shape[0], tuple(images.shape[1:])
        if labels.shape != (n,):
            raise ValueError(
                f"`labels` must hold one label per image ({n}), got shape {tuple(labels.shape)}."
            )
        self.class_names = tuple(class_names)
        if n and (int(labels.min()) < 0 or int(labels.max()) >= len(self.class_names)):
            raise ValueError(
                f"`labels` must lie in [0, {len(self.class_names) - 1}] (one per class name), "
                f"got [{int(labels.min())}, {int(labels.max())}]."
            )
        if offsets is not None and (not isinstance(offsets, Tensor) or offsets.shape != (n,)):
            raise ValueError(
                f"`offsets` must be a tensor with one value per image ({n}), got "
                f"{tuple(offsets.shape) if isinstance(offsets, Tensor) else type(offsets).__name__}."
            )
        self._images = images
        self._shape = shape
        self.labels = labels.long()
        self.offsets = offsets

    def _render(self, index: Tensor) -> Tensor:  # pragma: no cover - subclasses that render
        raise NotImplementedError

    @property
    def images(self) -> Tensor:
        """All images, ``N×C×H×W`` (rendered once and kept, for a dataset that renders)."""
        if self._images is None:
            chunks = [
                self._render(torch.arange(i, min(i + 256, len(self))))
                for i in range(0, len(self), 256)
            ]
            self._images = torch.cat(chunks)
        return self._images

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, index: int):
        image = self._images[index] if self._images is not None else self._render(
            torch.as_tensor([index])
        )[0]
        if self.offsets is None:
            return image, self.labels[index]
        return image, self.labels[index], self.offsets[index]

    @property
    def num_classes(self) -> int:
        """Number of classes (``len(class_names)``)."""
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of every image."""
        return self._shape

    def class_counts(self) -> Tensor:
        """How many images each class holds."""
        return torch.bincount(self.labels, minlength=self.num_classes)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return (
            f"{type(self).__name__}({len(self)} images, {c}×{h}×{w}, "
            f"{self.num_classes} classes)"
        )
