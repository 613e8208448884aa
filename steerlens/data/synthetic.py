"""A synthetic task whose classes differ by a known geometric change: where the blob sits.

Every image of :class:`ShiftedBlobs` holds one bright Gaussian blob on a
sloped background with noise. The class is the side of the centre the blob
sits on (``0 = "left"``, ``1 = "right"``); its continuous ground truth is the
horizontal **offset** in pixels (negative = left). Offsets are small (1–3 px
by default), well inside half the wavelength of the coarsest band of a
height-3 pyramid on 32×32 images (about 7 px), so a phase edit can move the
blob from one class to the other.

Everything else varies at random and independently of the class, so a
classifier cannot cheat: the vertical position, the width, the contrast, the
background level and slope, and the noise level.

:func:`estimate_offset` reads the offset back from any image (an edit, a
frame of a morph), by a thresholded intensity centroid or by the location of
the strongest peak; the two differ exactly when an edit fades one blob out
and another in instead of moving one.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from .._checks import (
    check_choice,
    check_even_size,
    check_finite,
    check_images,
    check_int,
    check_positive,
    check_tensor,
)
from ..resample import gaussian_blur
from ._base import LabeledImages, check_offset_task

__all__ = ["ShiftedBlobs", "render_blobs", "estimate_offset", "BLOB_CLASS_NAMES"]

BLOB_CLASS_NAMES = ("left", "right")

# Ranges of the nuisance parameters, drawn uniformly and independently of the class.
_Y_OFFSET = (-2.0, 2.0)
_SIGMA = (1.5, 2.5)
_CONTRAST = (0.3, 0.5)
_BACKGROUND = (0.1, 0.4)
_SLOPE = (-0.05, 0.05)  # change of the background across half the image
_NOISE = (0.0, 0.05)
_MIN_PEAK = 1e-3  # estimate_offset: below this height above the background there is no pattern


def _as_batch(value, n: int | None, name: str) -> Tensor:
    """A number or a length-``n`` sequence/tensor → a finite float32 tensor ``n``.

    ``n=None`` accepts any non-empty 1-D length (a number counts as length 1).
    """
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be a number or a length-{n or 'B'} tensor, got {type(value).__name__}."
        )
    if isinstance(value, Tensor):
        value = value.detach().cpu()
        if torch.is_complex(value) or value.dtype == torch.bool:
            raise TypeError(f"`{name}` must hold real numbers, got dtype {value.dtype}.")
    try:
        t = torch.as_tensor(value, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"`{name}` must be a number or a length-{n or 'B'} tensor, got {type(value).__name__}."
        ) from None
    if n is None:
        if t.ndim > 1:
            raise ValueError(f"`{name}` must be a number or a 1-D tensor, got shape {tuple(t.shape)}.")
        t = t.reshape(-1)
        if t.numel() == 0:
            raise ValueError(f"`{name}` is empty: pass at least one value (one image per value).")
        n = t.shape[0]
    if t.ndim == 0:
        t = t.expand(n)
    if t.ndim != 1 or t.shape[0] not in (1, n):
        raise ValueError(f"`{name}` must be a number or a length-{n} tensor, got shape {tuple(t.shape)}.")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"`{name}` contains NaN or infinite values; pass finite numbers.")
    return t.expand(n)


def render_blobs(
    offset,
    *,
    y_offset=0.0,
    sigma=2.0,
    contrast=0.4,
    background=0.25,
    slope_x=0.0,
    slope_y=0.0,
    size: int = 32,
) -> Tensor:
    """Render noise-free blob images from their parameters.

    The blob is ``contrast · exp(−r² / 2σ²)`` centred at
    ``((size − 1)/2 + y_offset, (size − 1)/2 + offset)`` (row, column), added to
    the plane ``background + slope_x · u + slope_y · v`` with ``u, v ∈ [−1, 1]``
    the normalised column and row coordinates. Every argument is a number or
    a length-``B`` tensor (broadcast).

    Parameters
    ----------
    offset
        Horizontal offset of the blob from the image centre, in pixels
        (negative = left). Its length sets ``B``.
    y_offset, sigma, contrast, background, slope_x, slope_y
        Vertical offset (pixels), blob width (pixels), peak height, background
        level and background slopes.
    size
        Height and width of the square image (even).

    Returns
    -------
    Tensor
        ``B×1×size×size``, not clipped (stay inside ``[0, 1]`` with
        sensible parameters).

    Raises
    ------
    TypeError
        If a parameter is not a number or a tensor of numbers, or ``size`` is not an int.
    ValueError
        If ``offset`` is empty, a parameter holds NaN/inf or has the wrong length,
        ``sigma ≤ 0``, or ``size`` is odd or smaller than 8.

    Examples
    --------
    >>> x = render_blobs([-2.0, 2.0])
    >>> tuple(x.shape)
    (2, 1, 32, 32)
    >>> [round(v, 2) for v in estimate_offset(x).tolist()]
    [-2.0, 2.0]
    """
    check_int(size, "size", minimum=8)
    size = check_even_size((size, size), "size")[0]
    offset = _as_batch(offset, None, "offset")
    n = offset.shape[0]
    y_offset, sigma, contrast, background, slope_x, slope_y = (
        _as_batch(v, n, name)
        for v, name in (
            (y_offset, "y_offset"), (sigma, "sigma"), (contrast, "contrast"),
            (background, "background"), (slope_x, "slope_x"), (slope_y, "slope_y"),
        )
    )
    if bool((sigma <= 0).any()):
        raise ValueError(f"`sigma` (the blob width) must be > 0 pixels, got {float(sigma.min())}.")
    centre = (size - 1) / 2
    coords = torch.arange(size, dtype=torch.float32)
    u = (coords - centre) / centre  # normalised coordinates in [-1, 1]
    dx = coords[None, None, :] - centre - offset[:, None, None]  # B×1×W
    dy = coords[None, :, None] - centre - y_offset[:, None, None]  # B×H×1
    s2 = 2 * sigma[:, None, None] ** 2
    blob = contrast[:, None, None] * torch.exp(-(dx**2) / s2) * torch.exp(-(dy**2) / s2)
    plane = (
        background[:, None, None]
        + slope_x[:, None, None] * u[None, None, :]
        + slope_y[:, None, None] * u[None, :, None]
    )
    return (plane + blob).unsqueeze(1)


class ShiftedBlobs(LabeledImages):
    """Blob left or right of centre: a two-class task with a known offset per image.

    Indexing returns ``(image, label, offset)``: the ``1×size×size`` image in
    ``[0, 1]``, the class (``0 = "left"``, ``1 = "right"``) and the blob's
    horizontal offset from the centre in pixels (a float, negative = left).
    The classes are exactly balanced (``n`` must be even). The whole set is
    generated at construction from ``seed`` (a few milliseconds per thousand
    images), identically on every machine.

    Parameters
    ----------
    n
        Number of images (even).
    seed
        Seed of the generator; different seeds give independent sets (the zoo
        trains on ``seed=0`` and tests on ``seed=1``).
    size
        Height and width (even, at least 16).
    min_offset, max_offset
        The absolute offset is uniform in ``[min_offset, max_offset]`` pixels;
        the gap around zero keeps the classes separable despite the noise.
    noise
        Whether to add pixel noise (standard deviation uniform in
        ``[0, 0.05]``, drawn per image).

    Attributes
    ----------
    images : Tensor
        ``n×1×size×size``.
    labels : Tensor
        ``n`` class indices.
    offsets : Tensor
        ``n`` horizontal offsets in pixels.
    params : dict[str, Tensor]
        Every parameter of every image (``offset``, ``y_offset``, ``sigma``,
        ``contrast``, ``background``, ``slope_x``, ``slope_y``, ``noise_std``);
        ``render_blobs(**params)`` regenerates the noise-free images.

    Raises
    ------
    TypeError
        If ``n``, ``seed`` or ``size`` is not an int, or an offset is not a number.
    ValueError
        If ``n`` or ``size`` is odd or too small, ``seed`` is negative, or the offsets are
        negative, not finite, not increasing or too large for ``size``.

    Examples
    --------
    >>> ds = ShiftedBlobs(n=8, seed=0)
    >>> image, label, offset = ds[0]
    >>> tuple(image.shape), ds.class_names
    ((1, 32, 32), ('left', 'right'))
    >>> bool((ds.offsets > 0).long().eq(ds.labels).all())
    True
    """

    def __init__(
        self,
        n: int = 2000,
        seed: int = 0,
        *,
        size: int = 32,
        min_offset: float = 1.0,
        max_offset: float = 3.0,
        noise: bool = True,
    ):
        check_int(seed, "seed", minimum=0)
        min_offset, max_offset = check_offset_task(n, size, 16, min_offset, max_offset, 4)
        gen = torch.Generator().manual_seed(seed)

        def uniform(lo_hi: tuple[float, float]) -> Tensor:
            lo, hi = lo_hi
            return lo + (hi - lo) * torch.rand(n, generator=gen)

        labels = torch.randperm(n, generator=gen) % 2
        magnitude = min_offset + (max_offset - min_offset) * torch.rand(n, generator=gen)
        params = {
            "offset": torch.where(labels == 1, magnitude, -magnitude),
            "y_offset": uniform(_Y_OFFSET),
            "sigma": uniform(_SIGMA),
            "contrast": uniform(_CONTRAST),
            "background": uniform(_BACKGROUND),
            "slope_x": uniform(_SLOPE),
            "slope_y": uniform(_SLOPE),
            "noise_std": uniform(_NOISE) if noise else torch.zeros(n),
        }
        clean = render_blobs(size=size, **{k: v for k, v in params.items() if k != "noise_std"})
        noise_field = torch.randn(clean.shape, generator=gen)
        images = (clean + params["noise_std"][:, None, None, None] * noise_field).clamp(0, 1)
        super().__init__(images, labels, BLOB_CLASS_NAMES, offsets=params["offset"])
        self.params = params
        self.seed = seed
        self.size = size
        self.max_offset = max_offset

    def render(self, index=None, offset=None) -> Tensor:
        """Noise-free images of this set, optionally with the blob moved.

        Parameters
        ----------
        index
            An int, a sequence or tensor of indices, or ``None`` for all images.
        offset
            Replace the stored offsets by this number or tensor (e.g. the
            mirrored offset, or a sweep through zero); ``None`` keeps them.

        Returns
        -------
        Tensor
            ``B×1×size×size``.

        Raises
        ------
        TypeError
            If ``offset`` is not a number or a tensor of real numbers.
        ValueError
            If ``offset`` is neither a number nor one value per selected image, or holds
            NaN/inf.

        Examples
        --------
        >>> ds = ShiftedBlobs(n=4, seed=0)
        >>> mirrored = ds.render([0, 1], offset=-ds.offsets[[0, 1]])
        >>> bool(torch.allclose(estimate_offset(mirrored), -ds.offsets[[0, 1]], atol=0.05))
        True
        """
        if index is None:
            index = torch.arange(len(self))
        index = torch.as_tensor(index).reshape(-1)
        p = {k: v[index] for k, v in self.params.items() if k != "noise_std"}
        if offset is not None:
            p["offset"] = _as_batch(offset, index.shape[0], "offset").clone()
        return render_blobs(size=self.size, **p)

    def motion_fit(self, index, frames: Tensor, offsets=None) -> tuple[Tensor, Tensor]:
        """How much of an edit is the blob moving? The best-fitting blob motion of each frame.

        A true motion of image ``i``'s blob to offset ``o`` changes the image by
        ``render(i, o) − render(i)``: the blob moves, the noise and the background stay. For the
        change ``frame − images[i]`` of every frame this finds the candidate offset ``o*`` whose
        motion explains it best in least squares, and the share of the change it explains,
        ``1 − min_o ‖change − (render(i, o) − render(i))‖² / ‖change‖²``: 1 for a pure motion of
        the blob, near 0 (or below) for a change that is no motion of it (paint, a cross-fade,
        ripples). Chapter 6 of the book derives it; chapter 10 uses it for its controls.

        Parameters
        ----------
        index
            The ``B`` source images: an int, a sequence or a tensor of indices.
        frames
            Edits of those images: ``B×1×size×size`` (one frame per source) or
            ``B×K×1×size×size`` (``K`` frames per source, e.g. ``MorphResult.frames``).
        offsets
            Candidate offsets in pixels (1-D). ``None``: 0.05-px steps over
            ``±(max_offset + 1)``.

        Returns
        -------
        tuple[Tensor, Tensor]
            ``(o*, share)``, each ``B`` or ``B×K`` like the frames.

        Raises
        ------
        TypeError
            If ``frames`` or ``offsets`` is not a floating-point tensor.
        ValueError
            If ``frames`` does not hold one (or ``K``) ``1×size×size`` frame(s) per index, holds
            NaN/inf, or ``offsets`` is not a non-empty finite 1-D tensor.

        Examples
        --------
        >>> ds = ShiftedBlobs(n=4, seed=0)
        >>> moved = ds.images[:2] + ds.render([0, 1], offset=torch.tensor([2.0, -2.0])) \\
        ...     - ds.render([0, 1])
        >>> o, share = ds.motion_fit([0, 1], moved)
        >>> [round(v, 2) for v in o.tolist()], bool((share > 0.999).all())
        ([2.0, -2.0], True)
        """
        index = torch.as_tensor(index).reshape(-1)
        n = index.shape[0]
        check_tensor(frames, "frames")
        single = frames.ndim == 4
        shape = (1, self.size, self.size)
        if not (frames.ndim in (4, 5) and frames.shape[0] == n and tuple(frames.shape[-3:]) == shape):
            raise ValueError(
                f"`frames` must be B×1×{self.size}×{self.size} or B×K×1×{self.size}×{self.size} "
                f"with B = {n} (one row per index), got shape {tuple(frames.shape)}."
            )
        check_finite(frames, "frames")
        if offsets is None:
            reach = self.max_offset + 1
            offsets = torch.linspace(-reach, reach, round(2 * reach / 0.05) + 1)
        check_tensor(offsets, "offsets")
        if offsets.ndim != 1 or offsets.numel() == 0:
            raise ValueError(
                f"`offsets` must be a non-empty 1-D tensor of candidate offsets (px), got shape "
                f"{tuple(offsets.shape)}."
            )
        check_finite(offsets, "offsets")
        if single:
            frames = frames[:, None]
        dtype = frames.dtype
        still = self.render(index).to(dtype)
        moves = torch.stack(
            [self.render(index, offset=float(o)).to(dtype) for o in offsets], dim=1
        )  # B × candidates × 1×S×S
        moves = (moves - still[:, None]).flatten(2)
        change = (frames - self.images[index].to(dtype)[:, None]).flatten(2)  # B × K × pixels
        residual = (  # ‖change − move‖², B × K × candidates
            (change**2).sum(-1, keepdim=True)
            - 2 * change @ moves.transpose(1, 2)
            + (moves**2).sum(-1)[:, None]
        )
        best = residual.min(dim=-1)
        share = 1 - best.values / (change**2).sum(-1).clamp_min(1e-12)
        fitted = offsets.to(dtype)[best.indices]
        if single:
            return fitted[:, 0], share[:, 0]
        return fitted, share

    def __repr__(self) -> str:
        return f"ShiftedBlobs(n={len(self)}, seed={self.seed}, size={self.size})"


def _remove_border_plane(x: Tensor, border: int = 2) -> Tensor:
    """Subtract the least-squares plane through the border pixels of every image."""
    b, _, h, w = x.shape
    v, u = torch.meshgrid(
        torch.linspace(-1, 1, h, dtype=x.dtype, device=x.device),
        torch.linspace(-1, 1, w, dtype=x.dtype, device=x.device),
        indexing="ij",
    )
    mask = torch.ones(h, w, dtype=torch.bool, device=x.device)
    mask[border:-border, border:-border] = False
    design = torch.stack([torch.ones_like(u), u, v], dim=-1)  # H×W×3
    a = design[mask]  # M×3
    coef = torch.linalg.pinv(a) @ x[:, 0][:, mask].T  # 3×B
    plane = torch.einsum("hwk,kb->bhw", design, coef)
    return x - plane.unsqueeze(1)


def estimate_offset(
    x: Tensor,
    method: Literal["centroid", "peak"] = "centroid",
    smooth: float = 1.0,
) -> Tensor:
    """Estimate the horizontal offset of a bright pattern from the image centre.

    The background is removed by fitting a plane to the two-pixel border,
    the rest is smoothed with a Gaussian of width ``smooth`` pixels, and then

    - ``"centroid"``: the centre of mass of everything above half the maximum
      (moves smoothly both when one blob moves and when one blob fades while
      another appears: read it together with ``"peak"``);
    - ``"peak"``: the column of the brightest point, refined to sub-pixel
      precision by a parabola through its neighbours (jumps from one blob to
      the other when an edit fades instead of moving).

    Parameters
    ----------
    x
        Images ``B×C×H×W`` in ``[0, 1]`` (channels are averaged).
    method
        ``"centroid"`` or ``"peak"``.
    smooth
        Width of the Gaussian smoothing in pixels (> 0).

    Returns
    -------
    Tensor
        ``B`` offsets in pixels (negative = left of centre); ``nan`` for an
        image with no pattern above its background (peak below ``1e-3``).

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, or ``smooth`` is not a number.
    ValueError
        If ``x`` is not a non-empty 4-D batch of finite values in ``[0, 1]`` of at least
        8×8 pixels, ``method`` is not ``"centroid"`` or ``"peak"``, or ``smooth`` is not
        finite and > 0.

    Examples
    --------
    >>> x = render_blobs([-1.5, 0.0, 2.5], background=0.3, slope_x=0.05)
    >>> [round(v, 2) for v in estimate_offset(x).tolist()]
    [-1.5, 0.0, 2.5]
    >>> [round(v, 1) for v in estimate_offset(x, method="peak").tolist()]
    [-1.5, 0.0, 2.5]
    """
    x = check_images(x, "x", channels=None)
    check_choice(method, "method", ("centroid", "peak"))
    smooth = check_positive(smooth, "smooth")
    if min(x.shape[-2:]) < 8:
        raise ValueError(f"`x` must be at least 8×8, got {tuple(x.shape[-2:])}.")
    x = x.detach().float().mean(dim=1, keepdim=True)
    r = gaussian_blur(_remove_border_plane(x), smooth)[:, 0]  # B×H×W
    w = r.shape[-1]
    centre = (w - 1) / 2
    if method == "centroid":
        peak = r.flatten(1).amax(dim=1)
        weight = (r - 0.5 * peak[:, None, None]).clamp_min(0)
        weight = torch.where(peak[:, None, None] > _MIN_PEAK, weight, torch.zeros_like(weight))
        cols = torch.arange(w, dtype=r.dtype)
        mass = weight.sum(dim=(-2, -1))
        cx = (weight.sum(dim=-2) * cols).sum(dim=-1) / mass
        return torch.where(mass > 0, cx - centre, torch.full_like(cx, math.nan))
    flat = r.flatten(1).argmax(dim=1)
    row, col = flat // w, flat % w
    idx = torch.arange(r.shape[0])
    left = r[idx, row, (col - 1).clamp_min(0)]
    mid = r[idx, row, col]
    right = r[idx, row, (col + 1).clamp_max(w - 1)]
    curvature = left - 2 * mid + right
    step = torch.where(curvature < 0, 0.5 * (left - right) / curvature, torch.zeros_like(mid))
    out = col.to(r.dtype) + step.clamp(-0.5, 0.5) - centre
    return torch.where(r.flatten(1).amax(dim=1) > _MIN_PEAK, out, torch.full_like(out, math.nan))
