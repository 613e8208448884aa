"""Flow coordinates: a smooth displacement field on a coarse control grid, applied by warping.

The coordinates of an image here are not its pixels or its spectrum but a
*motion* of a fixed source ``x₀``: a field of 2-D displacements ``d`` on a
coarse ``g_h × g_w`` lattice of control points, upsampled bicubically to a
dense field ``D = U d`` (``B×2×H×W``, smooth by construction) and applied by
differentiable warping,

    x(d)(u) = x₀(u − D(u)),

so a displacement moves content *forward* (the convention of
:mod:`steerlens.resample` and :mod:`steerlens.flow`: positions and
displacements are ``(y, x)`` = (row, column) in pixels, ``y`` pointing down).

The source is sampled bilinearly (``grid_sample``, border padding): the same
family of warps as the smooth-warp fits of :mod:`steerlens.evaluate.warps`
(an 8×8 bicubic control grid, bilinear sampling), and a bilinear warp of an
image in ``[0, 1]`` stays in ``[0, 1]``. At zero displacement the warp returns
the source (to float round-off). A bilinear interpolant has a kink at every
pixel centre, exactly where an edit starts, and PyTorch's derivative there is
one-sided, forward or backward depending on float round-off of the sampling
position; :func:`warp_image` therefore differentiates the sampling position
symmetrically — the mean of the derivatives a thousandth of a pixel on either
side. That is the exact derivative away from pixel centres and the central
difference at them: the gradient the lens follows. The image change *along* an
edit is one-sided (each pixel enters the cell its motion points to), so
:meth:`Flow.differential`, the first-order change that sets the lens's ``"l2"``
unit, is the exact one-sided derivative in the direction of the step.

:class:`Flow` gives these coordinates the :class:`~steerlens.transforms.Transform`
interface: :meth:`Flow.analyze` returns a zero control field (with the source
kept among the fixed parts), :meth:`Flow.synthesize` warps the source by the
field. The lens's ``domain="flow"`` edits them additively.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .._checks import check_images
from ._base import Coefficients, Transform
from ._validate import working_dtype

__all__ = ["Flow", "DEFAULT_FLOW_GRID", "check_flow_grid", "upsample_field", "warp_image"]

#: Control points per side when none are given (at most the image's own size): the
#: grid of the smooth-warp fits of :mod:`steerlens.evaluate.warps`.
DEFAULT_FLOW_GRID = 8


def check_flow_grid(value, name: str = "flow_grid") -> tuple[int, int] | None:
    """``None`` (the default), or an int ``g`` / a pair ``(g_h, g_w)`` of ints ≥ 1.

    Raises
    ------
    TypeError
        If ``value`` is not ``None``, an int or a pair of ints.
    ValueError
        If a size is < 1 or a pair does not have two entries.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be an int or a pair of ints (g_h, g_w), got bool.")
    if isinstance(value, numbers.Integral):
        items = [int(value), int(value)]
    elif isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(
            f"`{name}` must be an int or a pair of ints (g_h, g_w) of control points, "
            f"got {type(value).__name__} {value!r}."
        )
    else:
        items = list(value)
        if len(items) != 2:
            raise ValueError(
                f"`{name}` must be an int or a pair (g_h, g_w), got {len(items)} entries."
            )
        for v in items:
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(
                    f"`{name}` must be an int or a pair of ints (g_h, g_w), got {value!r}."
                )
        items = [int(v) for v in items]
    if min(items) < 1:
        raise ValueError(
            f"`{name}` must be at least 1 control point per side (1: one global "
            f"translation), got {value!r}."
        )
    return items[0], items[1]


@lru_cache(maxsize=64)
def _axis_matrix(g: int, n: int, dtype: torch.dtype, device: str) -> Tensor:
    # Row k: the bicubic (align_corners=True) interpolant of control point k's unit impulse
    # along one axis. PyTorch's bicubic upsampling is separable, so the 2-D field is
    # A_y · d · A_xᵀ (the interpolant of steerlens.evaluate.warps, at a cost that stays
    # small for fine grids on large images), computed in float64 and cast.
    impulses = torch.eye(g, dtype=torch.float64, device=device).view(g, 1, g, 1)
    up = F.interpolate(impulses, size=(n, 1), mode="bicubic", align_corners=True)
    return up.view(g, n).to(dtype)


def upsample_field(field: Tensor, size: Sequence[int]) -> Tensor:
    """A control field ``B×2×g_h×g_w`` → the dense field ``B×2×H×W`` (bicubic, smooth).

    The interpolant is PyTorch's bicubic ``interpolate`` with ``align_corners=True``: the
    corner control points sit on the corner pixels, the others evenly between, and the
    dense field equals the control values there. A constant control field upsamples to
    the same constant; one control point per side gives a constant field.

    Raises
    ------
    ValueError
        If ``field`` is not ``B×2×g_h×g_w``.

    Examples
    --------
    >>> import torch
    >>> d = torch.ones(1, 2, 4, 4) * torch.tensor([0.5, -1.0]).view(1, 2, 1, 1)
    >>> dense = upsample_field(d, (16, 16))
    >>> tuple(dense.shape), bool(torch.allclose(dense[0, 1], torch.full((16, 16), -1.0)))
    ((1, 2, 16, 16), True)
    """
    if field.ndim != 4 or field.shape[1] != 2:
        raise ValueError(
            f"`field` must be B×2×g_h×g_w (d_y, d_x per control point), got shape "
            f"{tuple(field.shape)}."
        )
    _, _, gh, gw = field.shape
    h, w = int(size[0]), int(size[1])
    if (gh, gw) == (h, w):
        return field
    ay = _axis_matrix(gh, h, field.dtype, str(field.device))  # g_h × H
    ax = _axis_matrix(gw, w, field.dtype, str(field.device))  # g_w × W
    return ay.t() @ field @ ax


def _sampling_grid(displacement: Tensor) -> Tensor:
    """``grid_sample``'s normalised positions of ``u − D(u)`` (``align_corners=False``)."""
    _, _, h, w = displacement.shape
    ys = torch.arange(h, dtype=displacement.dtype, device=displacement.device)
    xs = torch.arange(w, dtype=displacement.dtype, device=displacement.device)
    sy = ys.view(1, h, 1) - displacement[:, 0]
    sx = xs.view(1, 1, w) - displacement[:, 1]
    # pixel centres at (2i + 1)/n − 1
    return torch.stack([(2 * sx + 1) / w - 1, (2 * sy + 1) / h - 1], dim=-1)


#: half-width (pixels) of the symmetric derivative of the bilinear warp
_KINK_EPS = 1e-3


def _sample(x: Tensor, grid: Tensor) -> Tensor:
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class _SymmetricBilinear(torch.autograd.Function):
    """Bilinear ``grid_sample``; the position's derivative is averaged over ``±ε`` px."""

    @staticmethod
    def forward(ctx, x: Tensor, grid: Tensor) -> Tensor:
        ctx.save_for_backward(x, grid)
        return _sample(x, grid)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        x, grid = ctx.saved_tensors
        grad_x = grad_grid = None
        h, w = x.shape[-2:]
        with torch.enable_grad():
            if ctx.needs_input_grad[0]:
                xx = x.detach().requires_grad_(True)
                (grad_x,) = torch.autograd.grad(_sample(xx, grid.detach()), xx, grad_out)
            if ctx.needs_input_grad[1]:
                # ε pixels in grid_sample's normalised units (2/n per pixel), per axis
                eps = grid.new_tensor([2 * _KINK_EPS / w, 2 * _KINK_EPS / h])
                grad_grid = 0
                for sign in (1.0, -1.0):
                    g = (grid.detach() + sign * eps).requires_grad_(True)
                    (part,) = torch.autograd.grad(_sample(x.detach(), g), g, grad_out)
                    grad_grid = grad_grid + 0.5 * part
        return grad_x, grad_grid


def warp_image(x: Tensor, displacement: Tensor, *, symmetric: bool = True) -> Tensor:
    """``x(u − D(u))``: bilinear sampling with border padding (differentiable in both).

    The derivative with respect to the displacement is symmetric at pixel centres
    (see the module notes): the central difference there, exact elsewhere.

    Parameters
    ----------
    x
        Images ``B×C×H×W`` (``B`` may be 1 for one source shared by every field).
    displacement
        Dense fields ``B×2×H×W``, ``(d_y, d_x)`` in pixels: content moves forward by
        ``D``.
    symmetric
        Differentiate the sampling position symmetrically (default); ``False``:
        PyTorch's own (one-sided at pixel centres) derivative.

    Returns
    -------
    Tensor
        ``B×C×H×W``; within the range of ``x`` (bilinear weights are convex).

    Raises
    ------
    ValueError
        If the shapes do not match.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(1, 1, 8, 8)
    >>> bool(torch.allclose(warp_image(x, torch.zeros(1, 2, 8, 8)), x, atol=1e-6))
    True
    """
    if displacement.ndim != 4 or displacement.shape[1] != 2 or x.ndim != 4:
        raise ValueError(
            f"`x` must be B×C×H×W and `displacement` B×2×H×W, got {tuple(x.shape)} and "
            f"{tuple(displacement.shape)}."
        )
    if tuple(displacement.shape[-2:]) != tuple(x.shape[-2:]) or x.shape[0] not in (
        1,
        displacement.shape[0],
    ):
        raise ValueError(
            f"`displacement` {tuple(displacement.shape)} does not fit the images "
            f"{tuple(x.shape)}: need B×2×H×W with the images' H×W."
        )
    if x.shape[0] != displacement.shape[0]:
        x = x.expand(displacement.shape[0], *x.shape[1:])
    grid = _sampling_grid(displacement.to(x.dtype))
    return _SymmetricBilinear.apply(x, grid) if symmetric else _sample(x, grid)


class Flow(Transform):
    """Smooth-flow coordinates: a control grid of displacements that warps a fixed source.

    The coefficients of ``x₀`` are a zero control field ``B×2×g_h×g_w`` (one band, real,
    in pixels, ``(d_y, d_x)``), with ``x₀`` itself kept among the fixed parts;
    :meth:`synthesize` upsamples the field bicubically and warps the source by it
    (bilinear sampling, border padding), ``x(u) = x₀(u − D(u))``. The coordinates are real (edits are additive, as in
    :class:`~steerlens.transforms.Pixel`), but unlike the other transforms the synthesis
    is *not linear* in them: a displacement is a motion, not an intensity.

    Every channel moves together, so ``color`` has no effect (a displacement of the
    luminance is a displacement of the colour image).

    Parameters
    ----------
    image_shape
        ``(H, W)``, both ≥ 2.
    grid
        Control points per side: an int ``g`` or a pair ``(g_h, g_w)``, at most the image
        size. ``None``: :data:`DEFAULT_FLOW_GRID` (8), or the image size if smaller.
    color
        Accepted for the common interface; has no effect.

    Raises
    ------
    TypeError
        If ``image_shape`` or ``grid`` is not ints.
    ValueError
        If ``image_shape`` is not two sizes ≥ 2, ``grid`` has a size < 1 or larger than
        the image, or ``color`` is not ``"rgb"`` or ``"luminance"``.

    Examples
    --------
    >>> import torch
    >>> flow = Flow((32, 32), grid=8)
    >>> x = torch.rand(2, 3, 32, 32)
    >>> c = flow.analyze(x)
    >>> tuple(c.bands[0].shape)                       # (d_y, d_x) per control point
    (2, 2, 8, 8)
    >>> bool((flow.synthesize(c) - x).abs().max() < 1e-5)   # zero field: the source
    True
    """

    polar = False

    def __init__(
        self,
        image_shape: Sequence[int],
        grid: int | Sequence[int] | None = None,
        color: Literal["rgb", "luminance"] = "rgb",
    ):
        super().__init__(color)
        shape = _check_shape(image_shape)
        self.image_shape = shape
        grid = check_flow_grid(grid, "flow_grid")
        if grid is None:
            grid = (min(DEFAULT_FLOW_GRID, shape[0]), min(DEFAULT_FLOW_GRID, shape[1]))
        if grid[0] > shape[0] or grid[1] > shape[1]:
            raise ValueError(
                f"`flow_grid` {grid} has more control points than the {shape[0]}×{shape[1]} "
                f"image has pixels per side; use at most {shape}."
            )
        self.grid = grid

    def analyze(self, x: Tensor) -> Coefficients:
        """A zero control field ``B×2×g_h×g_w``; the source is kept as ``fixed["source"]``.

        Raises
        ------
        TypeError
            If ``x`` is not a floating-point tensor.
        ValueError
            If ``x`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            ``[0, 1]``, or its ``H×W`` is not ``image_shape``.
        """
        x = check_images(x, "x")
        self._check_shape(x)
        x = x.to(working_dtype(x.dtype))
        field = torch.zeros(x.shape[0], 2, *self.grid, dtype=x.dtype, device=x.device)
        return Coefficients([field], {"source": x})

    def displacement(self, field: Tensor) -> Tensor:
        """The dense field ``B×2×H×W`` (pixels, ``(d_y, d_x)``) of a control field.

        Raises
        ------
        ValueError
            If ``field`` is not ``B×2×g_h×g_w`` for this transform's grid.

        Examples
        --------
        >>> import torch
        >>> Flow((16, 16), grid=4).displacement(torch.zeros(1, 2, 4, 4)).shape
        torch.Size([1, 2, 16, 16])
        """
        if field.ndim != 4 or tuple(field.shape[1:]) != (2, *self.grid):
            raise ValueError(
                f"`field` must be B×2×{self.grid[0]}×{self.grid[1]} (this Flow's control grid), "
                f"got shape {tuple(field.shape)}."
            )
        return upsample_field(field, self.image_shape)

    def control_positions(self) -> tuple[Tensor, Tensor]:
        """Pixel coordinates ``(ys, xs)`` of the control points (1-D, float64).

        With ``align_corners=True`` upsampling the corner points sit on the corner
        pixels and the others evenly between: point ``j`` of ``g`` lies at
        ``j·(n − 1)/(g − 1)`` (the centre for ``g = 1``). For a quiver of a field
        ``d`` (``B×2×g_h×g_w``): ``ax.quiver(xs, ys, d[b, 1], d[b, 0], angles="xy",
        scale_units="xy", scale=1)`` on an image axis (``y`` down) draws each arrow
        as the motion in pixels.

        Examples
        --------
        >>> ys, xs = Flow((31, 33), grid=(1, 5)).control_positions()
        >>> ys.tolist(), xs.tolist()
        ([15.0], [0.0, 8.0, 16.0, 24.0, 32.0])
        """
        out = []
        for g, n in zip(self.grid, self.image_shape, strict=True):
            if g == 1:
                out.append(torch.tensor([(n - 1) / 2], dtype=torch.float64))
            else:
                out.append(torch.linspace(0, n - 1, g, dtype=torch.float64))
        return out[0], out[1]

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        """The source warped by the control field: ``x₀(u − D(u))``.

        Raises
        ------
        ValueError
            If ``coeffs`` does not hold a source image (``fixed["source"]``) or the field
            is not ``B×2×g_h×g_w``.
        """
        source = coeffs.fixed.get("source")
        if source is None:
            raise ValueError(
                "Flow.synthesize() needs the source image in `coeffs.fixed['source']`: "
                "use the coefficients of Flow.analyze()."
            )
        field = coeffs.bands[0]
        return warp_image(source, self.displacement(field.to(source.dtype)))

    def differential(self, coeffs: Coefficients, step: Tensor) -> Tensor:
        """``dx/dα`` of ``synthesize(field + α·step)`` as ``α → 0⁺``, exactly (a JVP).

        Each output pixel depends only on its own sampling position, so the Jacobian of
        the warp is one ``C×2`` block per pixel: it is computed by one backward pass with
        the channels moved into the batch, then applied to the upsampled ``step``. The
        bilinear warp has kinks at pixel centres, so the derivative is taken one-sided,
        in the direction of the step: at positions moved a thousandth of a pixel along
        it, inside the cells the edit enters.

        Raises
        ------
        ValueError
            As :meth:`synthesize`, or if ``step`` is not shaped like the field.
        """
        source = coeffs.fixed.get("source")
        if source is None:
            raise ValueError("Flow.differential() needs the coefficients of Flow.analyze().")
        field = coeffs.bands[0].detach()
        if step.shape != field.shape:
            raise ValueError(
                f"`step` must be shaped like the control field {tuple(field.shape)}, got "
                f"{tuple(step.shape)}."
            )
        b, c, h, w = source.shape
        dense = self.displacement(field.to(source.dtype))  # B×2×H×W
        move = self.displacement(step.to(source.dtype))
        # a thousandth of a pixel along the step (per image), into the cells it enters
        top = move.detach().abs().flatten(1).amax(1)
        nudge = torch.where(top > 0, _KINK_EPS / top.clamp_min(1e-30), 0.0).view(-1, 1, 1, 1)
        with torch.enable_grad():
            # channels into the batch: one output per (image, channel, pixel)
            pos = (dense.detach() + nudge * move.detach()).repeat_interleave(c, dim=0)
            pos.requires_grad_(True)
            out = warp_image(source.detach().reshape(b * c, 1, h, w), pos, symmetric=False)
            (jac,) = torch.autograd.grad(out.sum(), pos)  # (B·C)×2×H×W
        jac = jac.view(b, c, 2, h, w)
        return (jac * move[:, None]).sum(dim=2)

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, grid={self.grid}"


def _check_shape(value) -> tuple[int, int]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"`image_shape` must be a pair of ints (H, W), got {value!r}.")
    items = list(value)
    if len(items) != 2:
        raise ValueError(f"`image_shape` must be (H, W), got {value!r}.")
    out = []
    for v in items:
        if isinstance(v, Tensor) and v.numel() == 1 and not v.is_floating_point():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"`image_shape` must be a pair of ints (H, W), got {value!r}.")
        out.append(int(v))
    if min(out) < 2:
        raise ValueError(f"`image_shape` must be at least 2×2 for a warp, got {tuple(out)}.")
    return out[0], out[1]
