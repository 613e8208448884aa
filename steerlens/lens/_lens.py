"""The :class:`SteerableLens`: gradients in transform coordinates, frames, edits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import torch
from torch import Tensor

from .._checks import check_choice, check_images, check_int, check_number, check_positive
from ..transforms import COLOR_MODES, CSP, Coefficients, Flow, Fourier, Pixel, Transform
from ..transforms._validate import working_dtype
from ..transforms.warp import check_flow_grid
from ._budget import matched_budget_edit
from ._line import first_order_change
from ._objectives import (
    OBJECTIVES,
    as_class_tensor,
    check_class_range,
    check_logits,
    eval_mode,
    objective_loss,
)
from ._results import EditResult, Gradient, MorphResult
from ._validate import check_alphas, deprecated_alias, legacy_positional

__all__ = ["SteerableLens", "DOMAINS", "COMPONENTS", "NORMALIZATIONS", "REGIMES"]

DOMAINS = ("pixel", "fourier", "csp", "flow")
COMPONENTS = ("phase", "amplitude", "joint")
NORMALIZATIONS = ("l2", "max_step", "none")
REGIMES = ("fixed", "live", "persistent")


#: the options after ``domain``, in the order the old signature took them positionally
_LENS_DEFAULTS = {
    "component": "phase", "objective": "nll", "color": "rgb", "height": "auto", "order": 3,
    "preprocess": None, "normalize": "l2", "scale_weights": None, "downsample": False,
    "batch_size": 32,
}


class SteerableLens:
    """See how a classifier would move an image toward a class.

    Parameters
    ----------
    model
        Any callable mapping images ``B×C×H×W`` to logits ``B×classes``. An
        ``nn.Module`` is put in eval mode for each call and its mode restored
        afterwards (with a warning, once, if it was training).
    domain
        Coordinates of the edit: ``"csp"`` (complex steerable pyramid),
        ``"fourier"`` (``rfft2``), ``"pixel"``, or ``"flow"`` (a smooth
        displacement field that warps the source: pure motion, see Notes).
    component
        What is edited in the polar domains: ``"phase"`` (``δ``),
        ``"amplitude"`` (``η``, the log-amplitude) or ``"joint"`` (both).
        Ignored by the pixel and flow domains.
    objective
        ``"nll"`` (``−log softmax(f)_t``), ``"logit"`` (``−f_t``) or
        ``"margin"`` (``−(f_t − f_s)``, ``s`` the ``source=`` class or the
        strongest other class).
    color
        ``"rgb"`` edits every channel; ``"luminance"`` edits only YIQ's ``Y``.
        Ignored by the flow domain (a displacement moves every channel).
    height, order, downsample
        The pyramid (``domain="csp"``): number of scales (``"auto"``: as many as
        fit), angular order (``order + 1`` orientations), subsampling of
        coarse scales.
    preprocess
        Optional callable applied to the images right before the model (e.g.
        ImageNet normalisation); the lens's images stay in ``[0, 1]``.
    normalize
        The unit of ``α``, per image:

        - ``"l2"`` (default): ``α = 1`` changes the image by L2 norm 1 (in
          ``[0, 1]`` intensity units) to first order. The same unit in every
          domain, so equal ``α`` means equal first-order image change.
        - ``"max_step"``: ``α = 1`` makes the largest single step 1: one radian
          of phase, one unit of log-amplitude (a factor ``e``), a full
          ``[0, 1]`` pixel range, or (flow) one pixel of displacement at the
          control point that moves most.
        - ``"none"``: the raw gradient, as in the seed paper (``α`` then runs
          to the hundreds or thousands and differs per image).
    scale_weights
        ``domain="csp"`` only: ``w_s``, per scale (a sequence of ``height``
        numbers) or per scale and orientation (a ``height × (order+1)``
        tensor); zero freezes a band. ``None`` weights every band 1.
    batch_size
        Largest batch sent to the model when scoring frames.
    tight_frame
        ``domain="csp"`` only: build the pyramid as a tight frame (Parseval: its
        coefficients carry the image's energy, ``CSP(tight_frame=True)``). Each
        scale's bands are the default's times a positive constant of that scale,
        so the phases, the gradient ``∂L/∂δ`` and every phase edit are the same;
        only the amplitudes' scale changes. For comparing pyramids, or for
        energy read-outs.
    flow_grid
        ``domain="flow"`` only: control points of the displacement field per
        side, an int ``g`` or a pair ``(g_h, g_w)`` (at most the image size;
        ``1``: one global translation). ``None`` (default): 8, or the image
        size if smaller (the grid of :func:`steerlens.evaluate.fit_smooth_warp`).

    Raises
    ------
    TypeError
        If ``model`` is not callable, ``preprocess`` is neither callable nor
        ``None``, ``height`` (when not ``"auto"``), ``order`` or ``batch_size`` is
        not an int, ``scale_weights`` is not numbers, ``flow_grid`` is not an int
        or a pair of ints, ``tight_frame`` is not a bool, or options passed
        positionally (deprecated) are too many or also given as keywords.
    ValueError
        If ``domain``, ``component``, ``objective``, ``color`` or ``normalize`` is
        not one of its settings, ``height``, ``order`` or ``batch_size`` is < 1,
        ``scale_weights`` is given for a domain other than ``"csp"``, is not 1-D
        or 2-D with ``order + 1`` columns, or is negative, not finite or all zero,
        ``flow_grid`` is given for a domain other than ``"flow"`` or has a
        size < 1, or ``tight_frame=True`` is given for a domain other than
        ``"csp"``.

    Notes
    -----
    - Everything after ``domain`` is keyword-only (passing it positionally still
      works, with a ``DeprecationWarning``, for one release).
    - At the source the model sees ``x`` itself; the gradient flows through the
      synthesis ``S``, whose reconstruction of ``x`` is exact to float round-off.
    - In iterative edits the model sees the clipped image and the gradient
      passes the clip unchanged (straight-through), so saturated pixels keep
      their gradient.
    - A phase edit only rotates coefficients, so the image change along a
      phase-only line is bounded; a large budget may be out of reach of
      ``edit(..., regime="fixed")`` (``EditResult.attained`` says so).
    - ``domain="flow"``: the coordinates are a control grid ``d`` of 2-D
      displacements ``(d_y, d_x)`` in pixels (``B×2×g_h×g_w``), upsampled
      bicubically to a dense field ``D`` and applied by differentiable
      (bilinear, border-padded) warping of the source:
      ``x(d)(u) = x₀(u − D(u))`` — content moves forward by ``D``
      (:class:`~steerlens.transforms.Flow`). The line is
      ``x_α = clip(x₀(u − α·D_step(u)))`` with ``d_step = −∂L/∂d`` (times
      the unit), so every frame is a pure motion of the source: the
      pure-motion reference for the other domains.
      :attr:`Gradient.displacement` holds ``d_step`` (pixels per unit ``α``)
      for a quiver plot. Edits are additive in ``d`` (no phase), so
      ``phase_cap`` is refused. The synthesis is not linear in ``d``, and a
      bilinear warp has a kink at every pixel centre: the gradient uses the
      symmetric (central-difference) derivative there, and the ``"l2"`` unit
      is the exact one-sided first-order image change along the line, so a
      small ``α`` changes the image by ``α`` as in the other domains.

    References
    ----------
    .. [1] F. Mahdisoltani, S. Mahdisoltani, R. B. Grosse, D. J. Fleet, "Through a
       Steerable Lens: Magnifying Neural Network Interpretability via Phase-Based
       Extrapolation", arXiv:2506.02300 (2025).
    .. [2] N. Wadhwa, M. Rubinstein, F. Durand, W. T. Freeman, "Phase-based video
       motion processing", ACM Trans. Graph. 32(4) (2013).

    Examples
    --------
    >>> import torch
    >>> import steerlens as sl
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 10))
    >>> lens = sl.SteerableLens(model.eval(), domain="csp", component="phase")
    >>> x = torch.rand(1, 1, 32, 32)
    >>> frames = lens.extrapolate(x, 3, [0.0, 0.5, 1.0])
    >>> tuple(frames.shape)
    (1, 3, 1, 32, 32)
    >>> bool((frames[:, 0] - x).abs().max() < 1e-5)
    True

    The flow domain: the gradient with respect to a smooth displacement field.

    >>> flow = sl.SteerableLens(model, domain="flow", flow_grid=8)
    >>> g = flow.gradient(x, 3)
    >>> tuple(g.displacement.shape)          # (d_y, d_x) per control point, pixels
    (1, 2, 8, 8)
    >>> m = flow.morph(x, 3, alpha=0.5, n_frames=4)
    >>> bool(m.target_probs[0, -1] > m.target_probs[0, 0])
    True
    """

    def __init__(
        self,
        model: Callable[[Tensor], Tensor],
        domain: Literal["pixel", "fourier", "csp", "flow"] = "csp",
        *legacy,
        component: Literal["phase", "amplitude", "joint"] = "phase",
        objective: Literal["nll", "logit", "margin"] = "nll",
        color: Literal["rgb", "luminance"] = "rgb",
        height: Literal["auto"] | int = "auto",
        order: int = 3,
        preprocess: Callable[[Tensor], Tensor] | None = None,
        normalize: Literal["l2", "max_step", "none"] = "l2",
        scale_weights: Sequence[float] | Tensor | None = None,
        downsample: bool = False,
        batch_size: int = 32,
        flow_grid: int | Sequence[int] | None = None,
        tight_frame: bool = False,
    ):
        if legacy:
            options = legacy_positional(
                "SteerableLens()", legacy,
                {"component": component, "objective": objective, "color": color, "height": height,
                 "order": order, "preprocess": preprocess, "normalize": normalize,
                 "scale_weights": scale_weights, "downsample": downsample, "batch_size": batch_size},
                _LENS_DEFAULTS,
            )
            component, objective, color = options["component"], options["objective"], options["color"]
            height, order, preprocess = options["height"], options["order"], options["preprocess"]
            normalize, scale_weights = options["normalize"], options["scale_weights"]
            downsample, batch_size = options["downsample"], options["batch_size"]
        if not callable(model):
            raise TypeError(f"`model` must be callable (images → logits), got {type(model).__name__}.")
        if preprocess is not None and not callable(preprocess):
            raise TypeError(f"`preprocess` must be callable or None, got {type(preprocess).__name__}.")
        self.model = model
        self.domain = check_choice(domain, "domain", DOMAINS)
        self.component = check_choice(component, "component", COMPONENTS)
        self.objective = check_choice(objective, "objective", OBJECTIVES)
        self.color = check_choice(color, "color", COLOR_MODES)
        self.normalize = check_choice(normalize, "normalize", NORMALIZATIONS)
        if height != "auto":
            check_int(height, "height", minimum=1)
        self.height = height
        self.order = check_int(order, "order", minimum=1)
        self.downsample = bool(downsample)
        self.preprocess = preprocess
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.scale_weights = self._check_scale_weights(scale_weights)
        self.flow_grid = check_flow_grid(flow_grid, "flow_grid")
        if self.flow_grid is not None and self.domain != "flow":
            raise ValueError(
                f"`flow_grid` sets the flow domain's control grid and needs domain='flow', "
                f"got domain={self.domain!r}."
            )
        if not isinstance(tight_frame, bool):
            raise TypeError(f"`tight_frame` must be True or False, got {type(tight_frame).__name__}.")
        if tight_frame and self.domain != "csp":
            raise ValueError(
                f"`tight_frame` builds the pyramid as a tight frame and needs domain='csp', "
                f"got domain={self.domain!r}."
            )
        self.tight_frame = tight_frame
        self._transforms: dict[tuple[int, int], Transform] = {}
        self._warned_training = False

    def __repr__(self) -> str:
        grid = f", flow_grid={self.flow_grid!r}" if self.domain == "flow" else ""
        return (
            f"SteerableLens(domain={self.domain!r}, component={self.component!r}, "
            f"objective={self.objective!r}, color={self.color!r}, normalize={self.normalize!r}"
            f"{grid})"
        )

    # -- set-up ------------------------------------------------------------------
    def _check_scale_weights(self, weights) -> Tensor | None:
        if weights is None:
            return None
        if self.domain != "csp":
            raise ValueError(
                f"`scale_weights` weight the pyramid's bands and need domain='csp', "
                f"got domain={self.domain!r}."
            )
        try:
            w = torch.as_tensor(weights, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                "`scale_weights` must be a sequence of numbers (one per scale) or a "
                "height × (order+1) tensor."
            ) from err
        if w.ndim not in (1, 2) or w.numel() == 0:
            raise ValueError(
                f"`scale_weights` must be 1-D (one weight per scale) or 2-D (scale × "
                f"orientation), got shape {tuple(w.shape)}."
            )
        if w.ndim == 2 and w.shape[1] != self.order + 1:
            raise ValueError(
                f"`scale_weights` has {w.shape[1]} columns but the pyramid has order+1 = "
                f"{self.order + 1} orientations."
            )
        if not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
            raise ValueError("`scale_weights` must be finite and ≥ 0 (0 freezes a band).")
        if not bool((w > 0).any()):
            raise ValueError("`scale_weights` are all zero: every band would be frozen.")
        return w

    def transform(self, image_shape: Sequence[int]) -> Transform:
        """The lens's transform for images of size ``(H, W)`` (built once, then reused).

        Raises
        ------
        TypeError
            If ``image_shape`` is not a pair of ints.
        ValueError
            If ``image_shape`` is not ``(H, W)``; for the Fourier and CSP domains, if
            ``H`` and ``W`` are not even and ≥ 8 or too small for the pyramid's
            ``height``, or ``scale_weights`` does not have one row per scale of the
            pyramid for this size; for the flow domain, if ``flow_grid`` has more
            control points per side than the image has pixels.

        Examples
        --------
        >>> import torch
        >>> lens = SteerableLens(torch.nn.Flatten(), domain="csp")
        >>> lens.transform((32, 32)) is lens.transform((32, 32))
        True
        """
        try:
            key = tuple(int(s) for s in image_shape)
        except (TypeError, ValueError) as err:
            raise TypeError(f"`image_shape` must be a pair of ints (H, W), got {image_shape!r}.") from err
        if len(key) != 2 or isinstance(image_shape, str):
            raise ValueError(f"`image_shape` must be (H, W), got {image_shape!r}.")
        t = self._transforms.get(key)
        if t is None:
            if self.domain == "csp":
                t = CSP(key, height=self.height, order=self.order, downsample=self.downsample,
                        tight_frame=self.tight_frame, color=self.color)
                if self.scale_weights is not None and self.scale_weights.shape[0] != t.height:
                    raise ValueError(
                        f"`scale_weights` has {self.scale_weights.shape[0]} scales but the "
                        f"pyramid for {key[0]}×{key[1]} images has height={t.height}."
                    )
            elif self.domain == "fourier":
                t = Fourier(key, color=self.color)
            elif self.domain == "flow":
                t = Flow(key, grid=self.flow_grid, color=self.color)
            else:
                t = Pixel(color=self.color)
            self._transforms[key] = t
        return t

    def _transform_like(self, x: Tensor) -> Transform:
        """:meth:`transform` for ``x``'s size, its buffers moved to ``x``'s device and dtype."""
        t = self.transform(tuple(x.shape[-2:]))
        buffer = next(t.buffers(), None)
        if buffer is not None and (buffer.device != x.device or buffer.dtype != x.dtype):
            t.to(device=x.device, dtype=x.dtype)
        return t

    @contextmanager
    def _eval(self) -> Iterator[None]:
        with eval_mode(self.model, warn=not self._warned_training) as was_training:
            self._warned_training |= was_training
            yield

    def _logits(self, images: Tensor) -> Tensor:
        inputs = images
        if self.preprocess is not None:
            inputs = _run("preprocess", self.preprocess, images)
            if not isinstance(inputs, Tensor):
                raise TypeError(
                    f"`preprocess` must return a tensor, got {type(inputs).__name__}."
                )
            if images.requires_grad and not inputs.requires_grad:
                raise ValueError(
                    "`preprocess` cuts the gradient: its output does not depend differentiably "
                    "on the images (a .detach(), torch.no_grad/inference_mode, or a numpy "
                    "round-trip). Write it with differentiable torch operations."
                )
        logits = check_logits(_run("model", self.model, inputs), images.shape[0])
        if inputs.requires_grad and not logits.requires_grad:
            raise ValueError(
                "`model` output has no gradient path to its input (a .detach(), "
                "torch.no_grad/inference_mode, or a numpy round-trip inside the model): the "
                "lens needs d(logits)/d(image). Remove it, or wrap the model so it stays "
                "differentiable."
            )
        return logits

    def probabilities(self, images: Tensor) -> Tensor:
        """Softmax of the model on a batch of images (eval mode, no gradient).

        Raises
        ------
        TypeError
            If ``images`` is not a floating-point tensor, ``preprocess`` does not return
            a tensor, or ``model`` does not return floating-point logits (a tensor, or a
            mapping with a ``"logits"`` entry).
        ValueError
            If ``images`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            ``[0, 1]``, ``model`` or ``preprocess`` fails on them (a torch error,
            re-raised), or ``model`` does not return finite logits ``B×classes``
            (at least 2 classes).

        Examples
        --------
        >>> import torch
        >>> lens = SteerableLens(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval())
        >>> p = lens.probabilities(torch.rand(2, 1, 8, 8))
        >>> tuple(p.shape), bool(torch.allclose(p.sum(1), torch.ones(2)))
        ((2, 3), True)
        """
        images = check_images(images, "images")
        return self._probabilities(images.to(working_dtype(images.dtype)))

    def _probabilities(self, images: Tensor) -> Tensor:
        """:meth:`probabilities` without the checks (images the lens made itself)."""
        with torch.no_grad(), self._eval():
            chunks = [self._logits(c).softmax(dim=1) for c in images.split(self.batch_size)]
        return torch.cat(chunks)

    # -- the gradient --------------------------------------------------------------
    def gradient(self, x: Tensor, target, *, source=None) -> Gradient:
        """One forward/backward pass: ``∂L/∂δ`` and ``∂L/∂η`` (or ``∂L/∂x``) at ``x``.

        Parameters
        ----------
        x
            Images ``B×C×H×W`` in ``[0, 1]`` (float; 1 or 3 channels; even
            sizes for the Fourier and CSP domains).
        target
            Target class: an int, or one per image (length-``B`` tensor).
        source
            ``objective="margin"`` only: the class to move away from (int or
            per image); default the strongest non-target class.

        Returns
        -------
        Gradient
            Reusable by :meth:`apply` and :meth:`frames_from_gradient`.

        Raises
        ------
        TypeError
            If ``x`` is not a floating-point tensor, ``target`` or ``source`` is
            not an int or integer classes (floats, bools and strings are refused),
            ``preprocess`` does not return a tensor, or ``model`` does not return
            floating-point logits (a tensor, or a mapping with a ``"logits"`` entry).
        ValueError
            If ``x`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            ``[0, 1]`` or has a size the transform cannot take (see
            :meth:`transform`); ``target`` or ``source`` is not one class per image
            or lies outside the model's classes; ``source`` is given without
            ``objective="margin"`` or equals ``target``; or ``model``/``preprocess``
            fails on the images, returns non-finite logits or logits not
            ``B×classes``, has no gradient path to the images, does not depend on
            them, or has a NaN or infinite gradient.

        Examples
        --------
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16, 4)).eval()
        >>> g = SteerableLens(model, domain="csp", height=2).gradient(torch.rand(2, 1, 16, 16), 1)
        >>> len(g.grad_phase), tuple(g.grad_phase[0].shape), g.grad_log_amplitude
        (2, (2, 1, 4, 16, 16), None)
        """
        x = check_images(x, "x").detach()
        input_dtype = x.dtype
        x = x.to(working_dtype(x.dtype))
        target = as_class_tensor(target, "target", x.shape[0], x.device)
        source = self._check_source(source, target)
        transform = self._transform_like(x)
        with torch.no_grad():
            coeffs = transform.analyze(x)
        with self._eval():
            grad = self._gradient_at(transform, coeffs, target, source, anchor=x)
        grad.input_dtype = input_dtype
        return grad

    def _check_source(self, source, target: Tensor) -> Tensor | None:
        if source is None:
            return None
        if self.objective != "margin":
            raise ValueError(
                f"`source` is only used by objective='margin', but this lens has "
                f"objective={self.objective!r}."
            )
        source = as_class_tensor(source, "source", target.shape[0], target.device)
        if bool((source == target).any()):
            raise ValueError("`source` equals `target` for some image: the margin would be 0.")
        return source

    def _gradient_at(
        self,
        transform: Transform,
        coeffs: Coefficients,
        target: Tensor,
        source: Tensor | None,
        anchor: Tensor | None,
    ) -> Gradient:
        """Gradient at ``coeffs``; the model sees ``anchor`` (default: the clipped synthesis)."""
        bands = coeffs.bands

        def zeros(b: Tensor) -> Tensor:
            dtype = b.real.dtype if b.is_complex() else b.dtype
            return torch.zeros(b.shape, dtype=dtype, device=b.device, requires_grad=True)

        polar = transform.polar
        delta = [zeros(b) for b in bands] if polar and self.component != "amplitude" else None
        eta = [zeros(b) for b in bands] if polar and self.component != "phase" else None
        shift = None if polar else [zeros(b) for b in bands]
        leaves = [*(delta or []), *(eta or []), *(shift or [])]
        with torch.enable_grad():
            if polar:
                edited = transform.polar_edit(coeffs, eta=eta, delta=delta)
            else:
                edited = Coefficients([b + d for b, d in zip(bands, shift, strict=True)], coeffs.fixed)
            x_rec = transform.synthesize(edited)
            rec = x_rec.detach()
            # Forward value: the source itself (or the clipped synthesis); gradient: the
            # synthesis's (a straight-through clip, so saturated pixels keep a gradient).
            value = anchor if anchor is not None else rec.clamp(0.0, 1.0)
            logits = self._logits(value + (x_rec - rec))
            check_class_range(target, "target", logits.shape[1])
            if source is not None:
                check_class_range(source, "source", logits.shape[1])
            loss = objective_loss(logits, target, self.objective, source)
            if not loss.requires_grad:
                raise ValueError(
                    "`model` output has no gradient path to its input (a .detach(), "
                    "torch.no_grad/inference_mode, or a numpy round-trip): the lens needs "
                    "d(logits)/d(image)."
                )
            grads = torch.autograd.grad(loss.sum(), leaves, allow_unused=True)
        if any(g is None for g in grads):
            raise ValueError(
                "`model` output does not depend on (part of) the image: the gradient is "
                "undefined. Check that the model uses its input."
            )
        if not all(bool(torch.isfinite(g).all()) for g in grads):
            raise ValueError(
                "`model` has a NaN or infinite gradient at these images (its logits are "
                "finite); check the model for operations that are not differentiable there "
                "(e.g. sqrt or log at 0)."
            )
        grads = list(grads)
        n = len(bands)
        grad_phase = grads[:n] if delta is not None else None
        grads = grads[n:] if delta is not None else grads
        grad_amp = grads[:n] if eta is not None else None
        grad_pix = grads if shift is not None else None

        weights = self._band_weights(n, rec)
        steps = [
            None if g is None else [None if w is None else -w * gs for w, gs in zip(weights, g, strict=True)]
            for g in (grad_phase, grad_amp, grad_pix)
        ]
        # α's unit: the first-order image change of a unit step (exact: synthesis is linear)
        raw_norm = first_order_change(transform, coeffs, *steps).flatten(1).norm(dim=1)
        unit = self._unit(steps, raw_norm)
        steps = [
            None if part is None else [None if t is None else t * _batch_view(unit, t) for t in part]
            for part in steps
        ]
        return Gradient(
            x=value.detach(),
            target=target,
            loss=loss.detach(),
            logits=logits.detach(),
            coefficients=coeffs.detach(),
            grad_phase=grad_phase,
            grad_log_amplitude=grad_amp,
            grad_pixel=grad_pix,
            step_phase=steps[0],
            step_log_amplitude=steps[1],
            step_pixel=steps[2],
            unit=unit,
            first_order_norm=raw_norm * unit,
            reconstruction=rec.clamp(0.0, 1.0),
            transform=transform,
            domain=self.domain,
            component=self.component,
            normalize=self.normalize,
        )

    def _unit(self, steps: list, first_order_norm: Tensor) -> Tensor:
        """Per image, the factor that gives ``α`` the lens's ``normalize`` unit."""
        if self.normalize == "none":
            return torch.ones_like(first_order_norm)
        if self.normalize == "l2":
            size = first_order_norm
        else:  # max_step: the largest single coordinate step
            size = torch.stack(
                [t.abs().flatten(1).amax(1) for part in steps if part for t in part if t is not None]
            ).amax(0)
        # a zero gradient (nothing to do) keeps α without effect rather than dividing by 0
        return torch.where(size > 0, 1 / size.clamp_min(torch.finfo(size.dtype).tiny), 0.0)

    def _band_weights(self, n: int, like: Tensor) -> list[Tensor | float | None]:
        """Per band: the weight ``w_s`` to multiply by, or ``None`` for a frozen band."""
        if self.scale_weights is None:
            return [1.0] * n
        out: list[Tensor | float | None] = []
        for s in range(n):
            w = self.scale_weights[s].to(device=like.device, dtype=like.dtype)
            if not bool((w > 0).any()):
                out.append(None)
            elif w.ndim == 0:
                out.append(float(w))
            else:
                out.append(w.view(1, 1, -1, 1, 1))
        return out

    # -- from a gradient to images ---------------------------------------------------
    def apply(self, grad: Gradient, alpha: float | Tensor, *, phase_cap: float | None = None) -> Tensor:
        """The image at amplification ``α`` on ``grad``'s line: synthesis only.

        This is what a slider move costs (the widgets call it): one synthesis,
        no model evaluation.

        Parameters
        ----------
        grad
            From :meth:`gradient`.
        alpha
            A number, or one value per image (length-``B`` tensor). Negative
            values move away from the target.
        phase_cap
            Clamp every phase change to ``[−phase_cap, phase_cap]`` radians
            (ignored by the pixel domain; refused by the flow domain).

        Returns
        -------
        Tensor
            ``B×C×H×W`` in ``[0, 1]``.

        Raises
        ------
        TypeError
            If ``grad`` is not a :class:`Gradient`, or ``alpha`` or ``phase_cap`` is
            not a number (``alpha`` may also be a tensor).
        ValueError
            If ``alpha`` is not finite or, as a tensor, neither a scalar nor one
            value per image, or ``phase_cap`` is not finite and > 0 or is given
            for a flow gradient (which has no phase).

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16, 4)).eval()
        >>> lens = SteerableLens(model, height=2)
        >>> x = torch.rand(1, 1, 16, 16)
        >>> g = lens.gradient(x, 2)
        >>> bool((lens.apply(g, 0.0) - x).abs().max() < 1e-5)
        True
        >>> tuple(lens.apply(g, torch.tensor([1.5])).shape)
        (1, 1, 16, 16)
        """
        if not isinstance(grad, Gradient):
            raise TypeError(f"`grad` must be a Gradient from lens.gradient(), got {type(grad).__name__}.")
        if isinstance(alpha, Tensor):
            if alpha.ndim == 0:
                alpha = float(alpha)
            elif alpha.ndim != 1 or alpha.shape[0] != grad.batch_size:
                raise ValueError(
                    f"`alpha` must be a number or hold one value per image ({grad.batch_size}), "
                    f"got shape {tuple(alpha.shape)}."
                )
            else:
                if not bool(torch.isfinite(alpha).all()):
                    raise ValueError("`alpha` contains NaN or infinite values.")
                alpha = alpha.to(device=grad.x.device, dtype=grad.x.dtype)
        if not isinstance(alpha, Tensor):
            alpha = check_number(alpha, "alpha")
        if phase_cap is not None:
            phase_cap = check_positive(phase_cap, "phase_cap")
            if grad.domain == "flow":
                raise ValueError(_FLOW_PHASE_CAP)
        return grad.line().frame(alpha, phase_cap).to(grad.input_dtype or grad.x.dtype)

    def frames_from_gradient(self, grad: Gradient, alphas) -> Tensor:
        """Frames at every ``α`` of ``alphas`` from a cached gradient: synthesis only.

        Equally spaced ``alphas`` (a morph) take the fastest path: see
        :mod:`steerlens.lens._line`.

        Returns
        -------
        Tensor
            ``B×K×C×H×W`` in ``[0, 1]``.

        Raises
        ------
        TypeError
            If ``grad`` is not a :class:`Gradient`, or ``alphas`` is not a sequence
            of numbers or a tensor.
        ValueError
            If ``alphas`` is not a non-empty 1-D sequence, or holds NaN or inf.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16, 4)).eval()
        >>> lens = SteerableLens(model, height=2)
        >>> g = lens.gradient(torch.rand(2, 1, 16, 16), 0)
        >>> tuple(lens.frames_from_gradient(g, [0, 1, 2, 3]).shape)
        (2, 4, 1, 16, 16)
        """
        if not isinstance(grad, Gradient):
            raise TypeError(f"`grad` must be a Gradient from lens.gradient(), got {type(grad).__name__}.")
        frames = grad.line().frames(check_alphas(alphas))
        return frames.to(grad.input_dtype or grad.x.dtype)

    def extrapolate(self, x: Tensor, target, alphas, *, source=None) -> Tensor:
        """One gradient at ``x``, then a frame for every amplification in ``alphas``.

        Parameters
        ----------
        x
            Images ``B×C×H×W`` in ``[0, 1]``.
        target
            An int, or one class per image.
        alphas
            ``K`` amplifications (a sequence or 1-D tensor) in the lens's
            ``normalize`` unit; ``0`` gives back ``x`` (to reconstruction
            tolerance), negative values move away from the target.
        source
            ``objective="margin"`` only: see :meth:`gradient`.

        Returns
        -------
        Tensor
            ``B×K×C×H×W`` frames, clipped to ``[0, 1]``.

        Raises
        ------
        TypeError
            As :meth:`gradient`, and if ``alphas`` is not a sequence of numbers or a
            tensor.
        ValueError
            As :meth:`gradient`, and if ``alphas`` is not a non-empty 1-D sequence or
            holds NaN or inf.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 5)).eval()
        >>> lens = SteerableLens(model, domain="fourier", component="joint")
        >>> tuple(lens.extrapolate(torch.rand(1, 3, 16, 16), 4, [-1.0, 0.0, 1.0]).shape)
        (1, 3, 3, 16, 16)
        """
        alphas = check_alphas(alphas)
        return self.frames_from_gradient(self.gradient(x, target, source=source), alphas)

    def morph(
        self,
        x: Tensor,
        target,
        *,
        alpha: float | None = None,
        n_frames: int = 12,
        source=None,
        amplification: float | None = None,
    ) -> MorphResult:
        """Frames at ``α = 0, a, 2a, …`` and the model's probabilities on each.

        Parameters
        ----------
        x
            Images ``B×C×H×W`` in ``[0, 1]``.
        target
            An int, or one class per image.
        alpha
            ``a``, the step between frames, in the lens's ``normalize`` unit
            (required, keyword-only).
        n_frames
            ``K`` (at least 2); the seed paper shows 12.
        source
            ``objective="margin"`` only: see :meth:`gradient`.
        amplification
            Deprecated old name of ``alpha`` (a ``DeprecationWarning``).

        Returns
        -------
        MorphResult
            ``.frames``, ``.alphas``, ``.probs``; ``.show()``, ``.animate()``,
            ``.save_gif(path)``.

        Raises
        ------
        TypeError
            As :meth:`gradient`, and if ``alpha`` is missing or not a number,
            ``n_frames`` is not an int, or both ``alpha`` and ``amplification``
            are given.
        ValueError
            As :meth:`gradient`, and if ``alpha`` is not finite or ``n_frames`` < 2.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 10)).eval()
        >>> lens = SteerableLens(model)
        >>> m = lens.morph(torch.rand(1, 1, 32, 32), 7, n_frames=4, alpha=0.5)
        >>> m.alphas.tolist(), tuple(m.probs.shape)
        ([0.0, 0.5, 1.0, 1.5], (1, 4, 10))
        """
        alpha = deprecated_alias(alpha, amplification, "alpha", "amplification", "morph()")
        if alpha is None:
            raise TypeError("morph() needs `alpha=`, the amplification step between frames.")
        a = check_number(alpha, "alpha")
        check_int(n_frames, "n_frames", minimum=2)
        alphas = a * torch.arange(n_frames, dtype=torch.float64)
        grad = self.gradient(x, target, source=source)
        frames = grad.line().frames(alphas)
        probs = self._probabilities(frames.flatten(0, 1)).view(*frames.shape[:2], -1)
        frames = frames.to(grad.input_dtype or frames.dtype)
        return MorphResult(
            frames=frames,
            alphas=alphas.to(frames.dtype),
            probs=probs,
            target=grad.target,
            domain=self.domain,
            component=self.component,
            normalize=self.normalize,
        )

    # -- matched-budget edits --------------------------------------------------------
    def edit(
        self,
        x: Tensor,
        target,
        budget: float | Tensor,
        *,
        regime: Literal["fixed", "live", "persistent"] = "persistent",
        step_size: float | None = None,
        phase_cap: float | None = None,
        max_steps: int = 100,
        rtol: float = 1e-4,
        source=None,
    ) -> EditResult:
        """Edit toward ``target`` until ``‖x − x₀‖₂`` equals ``budget`` (per image).

        Parameters
        ----------
        x
            Source images ``B×C×H×W`` in ``[0, 1]``.
        target
            An int, or one class per image.
        budget
            The L2 distance to reach, one number or one per image.
        regime
            - ``"fixed"``: one gradient at the source, then the straight line
              of :meth:`extrapolate`; ``α`` is doubled until the budget is
              passed, then bisected.
            - ``"live"``: before every step re-analyse the current (clipped)
              image and recompute the gradient there.
            - ``"persistent"`` (default; the seed authors' matched-budget
              protocol): keep the source decomposition and recompute the
              gradient of ``L(x(η, δ))`` with respect to the accumulated
              ``(δ, η)`` at every step.

            The step that would pass the budget is shortened by bisection so
            the edit stops at the budget.
        step_size
            ``live``/``persistent``: each step's ``α`` in the lens's
            ``normalize`` unit. Default: a tenth of the budget in first-order
            L2 (about ten steps).
        phase_cap
            Clamp each step's phase change to ``[−phase_cap, phase_cap]``
            radians (the authors use 0.25–1). Needs a phase component (refused
            by the pixel and flow domains).
        max_steps
            ``live``/``persistent``: most gradient steps; ``fixed``: most
            doublings of ``α``.
        rtol
            The final distance lies in ``[budget, budget·(1 + rtol)]``.
        source
            ``objective="margin"`` only: see :meth:`gradient`.

        Returns
        -------
        EditResult
            ``attained`` is true for the images whose final distance lies in
            ``[budget, budget·(1 + rtol)]``.

        Raises
        ------
        TypeError
            As :meth:`gradient`, and if ``budget``, ``step_size``, ``phase_cap`` or
            ``rtol`` is not a number (``budget`` may be a real tensor), or
            ``max_steps`` is not an int.
        ValueError
            As :meth:`gradient`, and if ``budget`` is not finite and > 0 (one
            number or one per image), ``regime`` is not ``"fixed"``, ``"live"`` or
            ``"persistent"``, ``step_size``, ``phase_cap`` or ``rtol`` is not
            finite and > 0, ``phase_cap`` is given to a lens that edits no phase
            (pixel, flow, or the amplitude component),
            or ``max_steps`` < 1.

        Examples
        --------
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16 * 16, 3)).eval()
        >>> lens = SteerableLens(model, height=2)
        >>> x = torch.rand(2, 1, 16, 16) * 0.5 + 0.25
        >>> e = lens.edit(x, 1, budget=0.5, regime="persistent", max_steps=30)
        >>> e.attained.tolist(), bool(((e.distance - 0.5).abs() < 1e-3).all())
        ([True, True], True)
        """
        x = check_images(x, "x").detach()
        input_dtype = x.dtype
        x = x.to(working_dtype(x.dtype))
        batch = x.shape[0]
        regime = check_choice(regime, "regime", REGIMES)
        if isinstance(budget, Tensor):
            if budget.is_complex() or budget.dtype == torch.bool:
                raise TypeError(f"`budget` must hold real numbers, got dtype {budget.dtype}.")
            budget = budget.to(device=x.device, dtype=x.dtype)
            if budget.ndim == 0:
                budget = budget.expand(batch)
            if budget.shape != (batch,):
                raise ValueError(f"`budget` must be a number or one per image ({batch}), got shape {tuple(budget.shape)}.")
            if not bool(torch.isfinite(budget).all()) or bool((budget <= 0).any()):
                raise ValueError("`budget` must be finite and > 0.")
        else:
            budget = torch.full((batch,), check_positive(budget, "budget"), dtype=x.dtype, device=x.device)
        if step_size is not None:
            step_size = check_positive(step_size, "step_size")
        if phase_cap is not None:
            phase_cap = check_positive(phase_cap, "phase_cap")
            if self.domain == "flow":
                raise ValueError(_FLOW_PHASE_CAP)
            if self.domain == "pixel" or self.component == "amplitude":
                raise ValueError(
                    f"`phase_cap` limits phase steps, but this lens edits "
                    f"{'pixels' if self.domain == 'pixel' else 'amplitudes'}; drop it or use "
                    f"component='phase' or 'joint'."
                )
        check_int(max_steps, "max_steps", minimum=1)
        rtol = check_positive(rtol, "rtol")
        target = as_class_tensor(target, "target", batch, x.device)
        source = self._check_source(source, target)
        transform = self._transform_like(x)

        def gradient_at(coeffs: Coefficients, target: Tensor, source, anchor) -> Gradient:
            return self._gradient_at(transform, coeffs, target, source, anchor=anchor)

        with self._eval():
            result = matched_budget_edit(
                gradient_at, self._probabilities, transform, x, target, source, budget, regime,
                step_size=step_size, phase_cap=phase_cap, max_steps=max_steps, rtol=rtol,
            )
        if input_dtype != result.images.dtype:
            result.images = result.images.to(input_dtype)
            result.path = result.path.to(input_dtype)
        return result


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


#: the error for a ``phase_cap`` given to the flow domain
_FLOW_PHASE_CAP = (
    "`phase_cap` limits phase steps (radians), but domain='flow' edits a displacement "
    "field (pixels) and has no phase: drop `phase_cap` (to bound the motion, pass a "
    "smaller `alpha`/`budget` or a coarser `flow_grid`)."
)


def _batch_view(per_image: Tensor, like: Tensor) -> Tensor:
    return per_image.view(-1, *([1] * (like.ndim - 1)))


def _run(name: str, fn, images: Tensor):
    """Call the user's ``model``/``preprocess``; a torch error inside it is re-raised named."""
    try:
        return fn(images)
    except RuntimeError as err:
        raise ValueError(
            f"`{name}` failed on images of shape {tuple(images.shape)}, dtype {images.dtype}, "
            f"device {images.device} ({type(err).__name__}: {err}). Check that the {name} "
            f"accepts such images (e.g. model.to(x.dtype), or x.to(model's dtype))."
        ) from err
