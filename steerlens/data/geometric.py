"""A natural-image geometric task: where a patch of a photograph sits inside a fixed window.

Each image of :class:`NaturalShifts` is a ``3×64×64`` colour window holding a
round, soft-edged patch cut from a photograph, on a plain background. The
whole patch (content and aperture together) is translated by a known
sub-pixel amount; the class is the side of the centre it sits on
(``0 = "left"``, ``1 = "right"``) and the continuous ground truth is the
horizontal offset in pixels. A single image is enough to classify it, so the
lens (which takes one image) applies.

The patch content is translated exactly (a Fourier phase ramp applied to a
larger crop, so no interpolation blur depends on the offset) and the
aperture is analytic. Content, patch size, contrast, background colour,
vertical position and noise all vary independently of the class. Training
and test sets are cut from **different photographs**, so the test accuracy
measures what a classifier learned about position, not about the pictures.

:func:`estimate_shift` measures the translation between an image and a
reference (e.g. ``dataset.render(i, offset=0.0)``) by cross-correlation, so a
chapter can check whether an edit moved the patch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from .._checks import check_choice, check_images, check_int
from ..resample import measure_shift, shift_each
from ._base import LabeledImages, check_offset_task
from .natural import _check_name, _load, natural_image_names

__all__ = ["NaturalShifts", "estimate_shift", "SHIFT_CLASS_NAMES", "NATURAL_SHIFT_SOURCES"]

SHIFT_CLASS_NAMES = ("left", "right")
# Photographs the patches are cut from: disjoint between the splits.
NATURAL_SHIFT_SOURCES = {
    "train": ("astronaut", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field"),
    "test": ("chelsea", "retina", "macaque"),
}
_SPLIT_SEED = {"train": 0, "test": 1}

_PAD = 16  # extra context around every crop, so the circular Fourier shift never wraps into view
_EDGE = 4.0  # width of the aperture's raised-cosine edge, pixels
_RADIUS = (0.22, 0.31)  # aperture radius as a fraction of the window size
_Y_OFFSET = (-2.0, 2.0)
_CONTRAST = (0.6, 1.0)
_GREY = (0.25, 0.75)
_TINT = (-0.1, 0.1)
_NOISE = (0.0, 0.03)


@lru_cache(maxsize=16)
def _source(name: str, short_side: int) -> Tensor:
    """A colour photograph resized so that its shorter side is ``short_side`` pixels."""
    x = _load(name)
    if x.shape[1] == 1:
        x = x.expand(1, 3, *x.shape[-2:])
    h, w = x.shape[-2:]
    scale = short_side / min(h, w)
    size = (max(short_side, round(h * scale)), max(short_side, round(w * scale)))
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)[0]


def _fourier_shift(x: Tensor, dy: Tensor, dx: Tensor) -> Tensor:
    """Translate image ``i`` of ``B×C×H×W`` by ``(dy[i], dx[i])`` (:func:`steerlens.resample.translate`)."""
    return shift_each(x, torch.stack([dy, dx], dim=1))


class NaturalShifts(LabeledImages):
    """A photo patch left or right of the window's centre: two classes, a known offset per image.

    Indexing returns ``(image, label, offset)``: the ``3×size×size`` colour
    image in ``[0, 1]``, the class (``0 = "left"``, ``1 = "right"``) and the
    patch's horizontal offset from the centre in pixels (negative = left).
    Images are rendered on demand (about a millisecond each) from parameters
    drawn at construction, so the same ``(split, n, seed)`` gives the same
    images on every machine; :attr:`images` renders and keeps them all.

    Parameters
    ----------
    split
        ``"train"`` (patches from astronaut, coffee, rocket,
        immunohistochemistry, hubble_deep_field) or ``"test"`` (chelsea,
        retina, macaque). The photographs differ between the splits.
    n
        Number of images (even; the classes are exactly balanced).
    seed
        Seed of the parameter generator; ``None`` uses the split's own seed
        (0 for train, 1 for test).
    size
        Height and width of the window (even, at least 32).
    min_offset, max_offset
        The absolute horizontal offset is uniform in this range (pixels).
    sources
        Override the photographs (names from
        :func:`~steerlens.data.natural_image_names`).
    source_size
        Photographs are resized so their shorter side has this many pixels
        before patches are cut (larger = finer detail in each patch).

    Attributes
    ----------
    labels, offsets : Tensor
        ``n`` classes and horizontal offsets.
    params : dict[str, Tensor]
        Every drawn parameter (``source``, ``top``, ``left``, ``offset``,
        ``y_offset``, ``radius``, ``contrast``, ``background`` (``n×3``),
        ``noise_std``).

    Raises
    ------
    TypeError
        If ``n``, ``seed``, ``size`` or ``source_size`` is not an int, an offset is not a
        number, or an entry of ``sources`` is not a string.
    ValueError
        If ``n`` or ``size`` is odd or too small, ``seed`` is negative, the offsets are
        negative, not finite, not increasing or too large for ``size``, ``split`` is not
        ``"train"`` or ``"test"``, ``sources`` is empty or names an image that is not
        shipped, or ``source_size`` < ``size + 32``.

    Examples
    --------
    >>> ds = NaturalShifts("test", n=4)
    >>> image, label, offset = ds[0]
    >>> tuple(image.shape), ds.class_names
    ((3, 64, 64), ('left', 'right'))
    >>> ref = ds.render(0, offset=0.0)
    >>> shift = estimate_shift(ds.render(0), ref)
    >>> bool(abs(float(shift[0, 1]) - float(offset)) < 0.1)
    True
    """

    def __init__(
        self,
        split: Literal["train", "test"] = "train",
        n: int = 2000,
        seed: int | None = None,
        *,
        size: int = 64,
        min_offset: float = 1.0,
        max_offset: float = 3.0,
        sources: Sequence[str] | None = None,
        source_size: int = 160,
    ):
        check_choice(split, "split", ("train", "test"))
        seed = _SPLIT_SEED[split] if seed is None else check_int(seed, "seed", minimum=0)
        min_offset, max_offset = check_offset_task(n, size, 32, min_offset, max_offset, 8)
        sources = NATURAL_SHIFT_SOURCES[split] if sources is None else tuple(sources)
        if not sources:
            raise ValueError(f"`sources` must name at least one of {natural_image_names()}.")
        for name in sources:
            _check_name(name, "sources")
        check_int(source_size, "source_size", minimum=size + 2 * _PAD)

        self.split, self.seed, self.size = split, seed, size
        self.sources = sources
        self.source_size = source_size
        self._crop = size + 2 * _PAD

        gen = torch.Generator().manual_seed(seed)

        def uniform(lo_hi: tuple[float, float], *shape: int) -> Tensor:
            lo, hi = lo_hi
            return lo + (hi - lo) * torch.rand(shape or (n,), generator=gen)

        labels = torch.randperm(n, generator=gen) % 2
        magnitude = min_offset + (max_offset - min_offset) * torch.rand(n, generator=gen)
        source = torch.randint(len(sources), (n,), generator=gen)
        top, left = torch.empty(n, dtype=torch.long), torch.empty(n, dtype=torch.long)
        frac_top, frac_left = torch.rand(n, generator=gen), torch.rand(n, generator=gen)
        for k, name in enumerate(sources):
            h, w = _source(name, source_size).shape[-2:]
            sel = source == k
            top[sel] = (frac_top[sel] * (h - self._crop + 1)).long()
            left[sel] = (frac_left[sel] * (w - self._crop + 1)).long()
        self.params = {
            "source": source,
            "top": top,
            "left": left,
            "offset": torch.where(labels == 1, magnitude, -magnitude),
            "y_offset": uniform(_Y_OFFSET),
            "radius": uniform(_RADIUS) * size,
            "contrast": uniform(_CONTRAST),
            "background": (uniform(_GREY)[:, None] + uniform(_TINT, n, 3)).clamp(0, 1),
            "noise_std": uniform(_NOISE),
        }
        super().__init__(
            None, labels, SHIFT_CLASS_NAMES, offsets=self.params["offset"], image_shape=(3, size, size)
        )
        self._noise_seed = int(torch.randint(2**62, (1,), generator=gen))

    def _render(self, index: Tensor) -> Tensor:
        return self.render(index, noise=True)

    def _noise(self, index: Tensor) -> Tensor:
        out = torch.empty(index.shape[0], 3, self.size, self.size)
        for row, i in enumerate(index.tolist()):
            gen = torch.Generator().manual_seed((self._noise_seed + 7919 * i) % 2**63)
            out[row] = torch.randn(3, self.size, self.size, generator=gen)
        return out

    def render(self, index=None, offset=None, *, noise: bool = False) -> Tensor:
        """Render images of this set, optionally with the patch moved.

        Parameters
        ----------
        index
            An int, a sequence or tensor of indices, or ``None`` for all.
        offset
            Replace the stored horizontal offsets by this number or tensor
            (e.g. ``0.0`` for the centred reference); ``None`` keeps them.
        noise
            Add the image's own noise (as in the dataset) or not.

        Returns
        -------
        Tensor
            ``B×3×size×size`` in ``[0, 1]``.

        Raises
        ------
        ValueError
            If ``offset`` is neither a number nor one value per selected image.

        Examples
        --------
        >>> ds = NaturalShifts("test", n=2)
        >>> bool(torch.equal(ds.render(1, noise=True)[0], ds[1][0]))
        True
        """
        if index is None:
            index = torch.arange(len(self))
        index = torch.as_tensor(index).reshape(-1).long()
        p = {k: v[index] for k, v in self.params.items()}
        b = index.shape[0]
        if offset is not None:
            off = torch.as_tensor(offset, dtype=torch.float32).reshape(-1)
            if off.shape[0] not in (1, b):
                raise ValueError(f"`offset` must be a number or a length-{b} tensor.")
            p["offset"] = off.expand(b).clone()
        crops = torch.empty(b, 3, self._crop, self._crop)
        for row in range(b):
            src = _source(self.sources[int(p["source"][row])], self.source_size)
            t, l_ = int(p["top"][row]), int(p["left"][row])
            crops[row] = src[:, t : t + self._crop, l_ : l_ + self._crop]
        content = _fourier_shift(crops, p["y_offset"], p["offset"])[..., _PAD:-_PAD, _PAD:-_PAD]
        mean = content.mean(dim=(-2, -1), keepdim=True)
        content = mean + p["contrast"][:, None, None, None] * (content - mean)
        centre = (self.size - 1) / 2
        coords = torch.arange(self.size, dtype=torch.float32)
        dy = coords[None, :, None] - centre - p["y_offset"][:, None, None]
        dx = coords[None, None, :] - centre - p["offset"][:, None, None]
        r = torch.sqrt(dx**2 + dy**2)
        inner = p["radius"][:, None, None] - _EDGE
        ramp = ((r - inner) / _EDGE).clamp(0, 1)
        aperture = (0.5 * (1 + torch.cos(math.pi * ramp)))[:, None]
        background = p["background"][:, :, None, None]
        x = (1 - aperture) * background + aperture * content
        if noise:
            x = x + p["noise_std"][:, None, None, None] * self._noise(index)
        return x.clamp(0, 1)

    def __repr__(self) -> str:
        return (
            f"NaturalShifts(split={self.split!r}, n={len(self)}, seed={self.seed}, "
            f"size={self.size})"
        )


def estimate_shift(
    x: Tensor, reference: Tensor, max_shift: int | None = None, iterations: int = 5
) -> Tensor:
    """Translation of each image relative to a reference, by cross-correlation.

    :func:`steerlens.resample.measure_shift` with the checks of this module
    (images in ``[0, 1]``, one reference or one per image) and a bounded
    search: the integer peak of the circular cross-correlation within
    ``max_shift``, then ``iterations`` refinements of the cross-power
    spectrum's phase fit, which recover a pure Fourier translation exactly.

    Parameters
    ----------
    x
        Images ``B×C×H×W`` in ``[0, 1]``.
    reference
        ``B×C×H×W`` or ``1×C×H×W`` (broadcast) in ``[0, 1]``.
    max_shift
        Only consider shifts up to this many pixels (default: a quarter of
        the smaller size).
    iterations
        Phase-fit refinement steps (0 gives the integer shift).

    Returns
    -------
    Tensor
        ``B×2`` shifts ``(dy, dx)`` in pixels: ``x`` ≈ ``reference`` moved
        down by ``dy`` and right by ``dx``.

    Raises
    ------
    TypeError
        If ``x`` or ``reference`` is not a floating-point tensor, or
        ``max_shift``/``iterations`` is not an int.
    ValueError
        For images that are not non-empty 4-D batches, outside ``[0, 1]``, NaN/inf,
        mismatched shapes, ``max_shift < 1`` or ``iterations < 0``.

    Examples
    --------
    >>> ref = NaturalShifts("test", n=2).render(0, offset=0.0)
    >>> moved = _fourier_shift(ref, torch.tensor([0.5]), torch.tensor([-1.25]))
    >>> [round(v, 2) for v in estimate_shift(moved.clamp(0, 1), ref)[0].tolist()]
    [0.5, -1.25]
    """
    x = check_images(x, "x", channels=None)
    reference = check_images(reference, "reference", channels=None)
    if reference.shape[1:] != x.shape[1:] or reference.shape[0] not in (1, x.shape[0]):
        raise ValueError(
            f"`reference` must have shape {tuple(x.shape)} or 1×{'×'.join(map(str, x.shape[1:]))}, "
            f"got {tuple(reference.shape)}."
        )
    check_int(iterations, "iterations", minimum=0)
    h, w = x.shape[-2:]
    max_shift = min(h, w) // 4 if max_shift is None else check_int(max_shift, "max_shift", minimum=1)
    return measure_shift(x.detach(), reference.detach(), iterations=iterations, max_shift=max_shift)
