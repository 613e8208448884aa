"""Widget logic, testable without a browser: the lens explorer and the motion magnifier.

Drive :class:`Explorer` and :class:`Magnifier` with ``set_alpha(a)`` (and
``select``/``set_frame``) and read ``state``; the views in
:mod:`steerlens.widgets.views` only draw these states.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import Tensor

from .._checks import check_choice, check_int
from .._classifier import class_index, logits_of
from ..lens import COMPONENTS, DOMAINS, NORMALIZATIONS, Gradient, SteerableLens
from ..lens._line import first_order_change
from ..magnify import LinearMagnifier, PhaseMagnifier
from ..transforms import COLOR_MODES, CSP
from ._helpers import (
    _check_number,
    _check_range,
    _image_collection,
    _named_models,
    _nice,
    _slider_step,
)

__all__ = ["Explorer", "ExplorerState", "ExplorerSweep", "Magnifier", "MagnifierState"]


@dataclass(frozen=True)
class ExplorerState:
    """What an :class:`Explorer` shows after its latest move.

    Attributes
    ----------
    model, image, target, domain, component, color, scales, alpha
        The settings (``image`` indexes :attr:`Explorer.images`; ``scales`` is
        ``None`` for every scale of the pyramid).
    source, frame, difference
        ``C×H×W``: the source (as reconstructed), the frame at ``α`` and
        ``frame − source``.
    probs, source_probs
        The driver's class probabilities on the frame and on the source.
    judge_probs
        Per judge, its class probabilities on the frame.
    class_names
        One name per class.
    gradient_evaluations
        How many gradients the explorer has computed so far (a slider move
        adds none).
    update_seconds
        Wall time of the latest update (a lookup in the precomputed line, or
        synthesis + probability readout, plus the gradient when a setting
        changed).
    exact
        Whether ``probs`` and ``judge_probs`` were read on this very frame
        (``False``: interpolated in ``α`` between the nearest frames whose
        readout is known, until :meth:`Explorer.refine` reads it).
    """

    model: str
    image: int
    target: int
    domain: str
    component: str
    color: str
    scales: tuple[int, ...] | None
    alpha: float
    source: Tensor
    frame: Tensor
    difference: Tensor
    probs: Tensor
    source_probs: Tensor
    judge_probs: dict[str, Tensor]
    class_names: tuple[str, ...]
    gradient_evaluations: int
    update_seconds: float
    exact: bool = True

    @property
    def target_prob(self) -> float:
        """The driver's probability of the target class on the frame."""
        return float(self.probs[self.target])

    @property
    def predicted(self) -> int:
        """The driver's top class on the frame."""
        return int(self.probs.argmax())

    @property
    def change_l2(self) -> float:
        """``‖frame − source‖₂`` (intensities in ``[0, 1]``)."""
        return float(self.difference.norm())

    def readout(self) -> str:
        """One line: ``α``, image change, target probability, top class, judges."""
        names = self.class_names
        eq = "=" if self.exact else "≈"
        text = (
            f"α = {self.alpha:.3g} · ‖x − x₀‖₂ = {self.change_l2:.2f} · "
            f"p({names[self.target]}) {eq} {self.target_prob:.2f} "
            f"(source {float(self.source_probs[self.target]):.2f}) · "
            f"top: {names[self.predicted]} ({float(self.probs[self.predicted]):.2f})"
        )
        if self.judge_probs:
            judges = ", ".join(f"{n} {float(p[self.target]):.2f}" for n, p in self.judge_probs.items())
            text += f" · judges p({names[self.target]}){':' if self.exact else ' ≈'} {judges}"
        return text


@dataclass(frozen=True)
class ExplorerSweep:
    """Frames along the current line at several ``α`` (for a static scrubber).

    Attributes
    ----------
    alphas
        ``K`` amplifications.
    frames
        ``K×C×H×W``.
    probs
        ``K×classes``: the driver on every frame.
    judge_probs
        Per judge, ``K×classes``.
    state
        The explorer's state when the sweep was made (settings, source).
    """

    alphas: Tensor
    frames: Tensor
    probs: Tensor
    judge_probs: dict[str, Tensor]
    state: ExplorerState

    def labels(self) -> list[str]:
        """The readout line of every frame (as :meth:`ExplorerState.readout`)."""
        s = self.state
        out = []
        for k, a in enumerate(self.alphas.tolist()):
            frame_state = ExplorerState(
                model=s.model, image=s.image, target=s.target, domain=s.domain,
                component=s.component, color=s.color, scales=s.scales, alpha=a,
                source=s.source, frame=self.frames[k], difference=self.frames[k] - s.source,
                probs=self.probs[k], source_probs=s.source_probs,
                judge_probs={n: p[k] for n, p in self.judge_probs.items()},
                class_names=s.class_names, gradient_evaluations=s.gradient_evaluations,
                update_seconds=0.0,
            )
            out.append(frame_state.readout())
        return out


def _restrict_to_scales(full: Gradient, scales: tuple[int, ...], lens: SteerableLens) -> Gradient:
    """The gradient a lens editing only ``scales`` would return, from the all-scales one.

    The model's gradient with respect to every band's edit does not depend on which
    bands are edited; the step (``−w_s·gradient``, here ``w_s ∈ {0, 1}``) and its unit
    do: one synthesis (the first-order change), no model pass.
    """
    keep = set(scales)

    def restricted(part):
        return None if part is None else [(-g if s in keep else None) for s, g in enumerate(part)]

    steps = [restricted(full.grad_phase), restricted(full.grad_log_amplitude), None]
    raw = first_order_change(full.transform, full.coefficients, *steps).flatten(1).norm(dim=1)
    unit = lens._unit(steps, raw)
    scaled = [
        None if part is None else [None if t is None else t * unit.view(-1, *([1] * (t.ndim - 1))) for t in part]
        for part in steps
    ]
    return replace(full, step_phase=scaled[0], step_log_amplitude=scaled[1], unit=unit,
                   first_order_norm=raw * unit, _line=None)


#: Slider positions of the α line at most (the step is a 1-2-2.5-5 number, so 10 … 24 steps):
#: every keyboard step changes the picture visibly, and the whole line is precomputed.
LINE_POSITIONS = 24


def _grid(low: float, high: float, positions: int = LINE_POSITIONS) -> tuple[float, Tensor]:
    """The slider grid covering ``[low, high]``: step and positions ``k·step`` (``0`` among them)."""
    step = _slider_step(high - low, positions)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    alphas = torch.tensor([round(k * step, 10) for k in range(first, last + 1)], dtype=torch.float64)
    return step, alphas


class _AlphaLine:
    """The precomputed line of one gradient: frames on the slider grid and known readouts.

    ``frames[k]`` is the frame at ``alphas[k]`` (exact: the synthesis of the line). Readouts
    (driver and judges) are known at some ``α`` (``anchors``: grid positions and probe points);
    elsewhere they are interpolated linearly in ``α`` between the nearest known ones (held
    constant beyond the outermost), until :meth:`Explorer.refine` reads them.
    """

    def __init__(self, step: float, alphas: Tensor, frames: Tensor, seconds: float):
        self.step = step
        self.alphas = alphas
        self.frames = frames
        self.seconds = seconds
        self.anchors: dict[float, tuple[Tensor, dict[str, Tensor]]] = {}

    @property
    def range(self) -> tuple[float, float]:
        return float(self.alphas[0]), float(self.alphas[-1])

    def index(self, alpha: float) -> int | None:
        """The grid position of ``alpha``, or ``None`` off the grid."""
        position = (alpha - float(self.alphas[0])) / self.step
        k = round(position)
        if abs(position - k) > 1e-6 or not 0 <= k < self.alphas.shape[0]:
            return None
        return int(k)

    def known(self, alpha: float):
        return self.anchors.get(round(alpha, 9))

    def store(self, alpha: float, probs: Tensor, judges: dict[str, Tensor]) -> None:
        self.anchors[round(alpha, 9)] = (probs, judges)

    def missing(self) -> list[int]:
        return [k for k, a in enumerate(self.alphas.tolist()) if round(a, 9) not in self.anchors]

    def interpolate(self, alpha: float) -> tuple[Tensor, dict[str, Tensor]]:
        points = sorted(self.anchors)
        if alpha <= points[0]:
            return self.anchors[points[0]]
        if alpha >= points[-1]:
            return self.anchors[points[-1]]
        right = next(k for k, a in enumerate(points) if a >= alpha)
        a0, a1 = points[right - 1], points[right]
        t = (alpha - a0) / (a1 - a0)
        (p0, j0), (p1, j1) = self.anchors[a0], self.anchors[a1]
        return (1 - t) * p0 + t * p1, {n: (1 - t) * j0[n] + t * j1[n] for n in j0}


class Explorer:
    """Move an image toward a class with a slider: the logic behind :func:`explorer`.

    The gradient is computed once per setting — (model, image, target, domain,
    component, colour, scales) — and cached; toggling pyramid scales derives
    the restricted gradient from the all-scales one (one synthesis, no model
    pass). :meth:`precompute` then synthesises the whole ``α`` line on the
    slider's grid in one batch (at most 25 positions over :attr:`alpha_range`,
    adapted to each new gradient unless ``alpha_range`` is given), with the
    probability readout known at a few ``α``; a slider move,
    ``set_alpha(a, exact=False)``, is then a lookup: the precomputed frame,
    and the readout where known, else interpolated in ``α`` between the
    nearest known ones (``state.exact`` is ``False``) until :meth:`refine`
    reads it. ``set_alpha(a)`` (``exact=True``, the default) always reads the
    exact probabilities: one forward pass per model (none where the line
    already knows them), plus one synthesis off the grid.

    Parameters
    ----------
    model
        The driver: a callable (images ``B×C×H×W`` in ``[0, 1]`` → logits), a
        zoo name (``"mnist_cnn"``, see :func:`steerlens.models.zoo_names`), a
        list of zoo names, or a mapping ``name → model`` (several models of
        the same task: the view shows a model menu).
    images
        The images to choose from: ``N×C×H×W`` (or one ``C×H×W``), a list of
        ``C×H×W`` tensors, a :class:`steerlens.data.LabeledImages` or any
        dataset of ``(image, label)`` pairs. Default (zoo driver only): the
        test split of the model's dataset.
    target
        Initial target class (index or name). Default: the driver's
        runner-up class on the initial image.
    image
        Initial image (an index into the chosen images).
    class_names
        One name per class. Default: the zoo's names, the dataset's, or
        ``"0"``, ``"1"``, ….
    image_names
        One name per chosen image (for the menu). Default: index and label.
    n_images, indices
        From a dataset: take ``n_images`` images spread over the classes, or
        exactly the dataset items ``indices``.
    domain, component, color, scales
        Initial settings: ``"csp"``/``"fourier"``/``"pixel"``/``"flow"``;
        ``"phase"``/``"amplitude"``/``"joint"``; ``"rgb"``/``"luminance"``;
        the pyramid scales to edit (``0`` = finest; ``None``: all).
    objective, normalize, height, order, downsample, preprocess
        Passed to :class:`~steerlens.lens.SteerableLens` (``normalize="l2"``:
        ``α = 1`` changes the image by L2 norm 1 to first order).
    judges
        Independent models whose probabilities are read on every frame but
        never used for the gradient (zoo names or a mapping name → model).
    alpha
        Initial amplification.
    alpha_range
        The ends ``(low, high)`` of the precomputed line (the slider's).
        Default: adapted to every new gradient, from where the target's
        probability first exceeds 0.5 (or peaks) on a few probe frames, with
        headroom (see :meth:`precompute`); :meth:`widen` extends it.
    cache_size
        Gradients kept (least recently used ones are dropped; each holds the
        image's coefficients).

    Raises
    ------
    TypeError
        If ``model`` or ``judges`` is not a callable, a zoo name, a list of zoo names or a
        mapping of string names to callables or zoo names; ``images`` is not a tensor, a list
        of tensors or a dataset; ``preprocess`` is neither callable nor ``None``;
        ``n_images``, ``image``, ``order`` or ``cache_size`` is not an int; ``target`` is
        neither a class index (int) nor a class name (floats are rejected, never truncated);
        ``scales`` is not a sequence of ints; ``alpha`` or an entry of ``alpha_range`` is not
        a number; or a model returns no floating-point tensor of logits.
    ValueError
        If ``model`` or ``judges`` is empty, names an unknown zoo model, or mixes zoo models
        with different numbers of classes; ``images`` is ``None`` without a zoo driver or
        the images are not ``B×C×H×W`` in ``[0, 1]``; ``indices`` is empty or out of range;
        ``n_images``, ``order`` or ``cache_size`` is < 1; ``image`` is out of range;
        ``class_names`` or ``image_names`` has the wrong length; ``target`` is outside the
        classes or an unknown name; ``domain``, ``component``, ``color``, ``objective`` or
        ``normalize`` is unknown; ``scales`` is empty or outside the pyramid; ``alpha`` is
        not finite; ``alpha_range`` is not a pair ``(low, high)`` of finite numbers with
        low < high; or a model or judge returns anything but finite logits ``B×classes``
        of the explorer's classes.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 4)).eval()
    >>> ex = Explorer(model, torch.rand(2, 3, 16, 16), target=1, color="luminance")
    >>> s = ex.set_alpha(0.01)                # α = 1: L2 image change 1 to first order
    >>> tuple(s.frame.shape), round(s.change_l2 / 0.01, 1), s.gradient_evaluations
    ((3, 16, 16), 1.0, 1)
    >>> ex.select(image=1).gradient_evaluations, ex.select(image=0).gradient_evaluations  # cached
    (2, 2)
    """

    def __init__(
        self,
        model,
        images=None,
        *,
        target: int | str | None = None,
        image: int = 0,
        class_names: Sequence[str] | None = None,
        image_names: Sequence[str] | None = None,
        n_images: int = 10,
        indices: Sequence[int] | None = None,
        domain: Literal["pixel", "fourier", "csp", "flow"] = "csp",
        component: Literal["phase", "amplitude", "joint"] = "phase",
        color: Literal["rgb", "luminance"] = "rgb",
        scales: Sequence[int] | None = None,
        objective: Literal["nll", "logit", "margin"] = "nll",
        normalize: Literal["l2", "max_step", "none"] = "l2",
        height: Literal["auto"] | int = "auto",
        order: int = 3,
        downsample: bool = False,
        preprocess: Callable[[Tensor], Tensor] | None = None,
        judges=None,
        alpha: float = 0.0,
        cache_size: int = 8,
        alpha_range: tuple[float, float] | None = None,
    ):
        self.models, zoo_classes, first_zoo = _named_models(model, "model")
        self.judges = _named_models(judges, "judges")[0] if judges is not None else {}
        check_int(n_images, "n_images", minimum=1)
        if images is None:
            if first_zoo is None:
                raise ValueError(
                    "`images` is required unless `model` names a zoo model (whose test images are "
                    "then used); pass a B×C×H×W tensor or a dataset."
                )
            from ..models import zoo_dataset

            images = zoo_dataset(first_zoo, "test")
        self.images, self.labels, data_classes, self.indices = _image_collection(images, n_images, indices)
        self.objective = objective
        self.normalize = check_choice(normalize, "normalize", NORMALIZATIONS)
        self.height = height
        self.order = check_int(order, "order", minimum=1)
        self.downsample = bool(downsample)
        if preprocess is not None and not callable(preprocess):
            raise TypeError(f"`preprocess` must be callable or None, got {type(preprocess).__name__}.")
        self.preprocess = preprocess
        self.cache_size = check_int(cache_size, "cache_size", minimum=1)
        self._lenses: dict[tuple, SteerableLens] = {}
        self._gradients: OrderedDict[tuple, Gradient] = OrderedDict()
        self._lines: OrderedDict[tuple, _AlphaLine] = OrderedDict()
        self._fixed_range = None if alpha_range is None else _check_range(alpha_range, "alpha_range")
        self.gradient_evaluations = 0
        self.last_precompute_seconds = 0.0

        first = next(iter(self.models))
        image = self._check_image(image)
        source_probs = self._lens(first, "pixel", "phase", "rgb", None).probabilities(
            self.images[image : image + 1]
        )[0]
        n_classes = source_probs.shape[0]
        names = class_names if class_names is not None else zoo_classes or data_classes
        if names is None:
            names = [str(k) for k in range(n_classes)]
        if len(names) != n_classes:
            raise ValueError(f"`class_names` has {len(names)} names but the model has {n_classes} classes.")
        self.class_names = tuple(str(n) for n in names)
        if image_names is None:
            image_names = [self._default_image_name(k) for k in range(self.images.shape[0])]
        elif len(image_names) != self.images.shape[0]:
            raise ValueError(f"`image_names` has {len(image_names)} names for {self.images.shape[0]} images.")
        self.image_names = tuple(str(n) for n in image_names)
        self.num_scales = CSP(tuple(self.images.shape[-2:]), height=height, order=self.order).height

        if target is None:
            target = int(source_probs.argsort(descending=True)[1])
        self._settings = {
            "model": first,
            "image": image,
            "target": self._check_target(target),
            "domain": check_choice(domain, "domain", DOMAINS),
            "component": check_choice(component, "component", COMPONENTS),
            "color": check_choice(color, "color", COLOR_MODES),
            "scales": self._check_scales(scales),
        }
        check_choice(objective, "objective", ("nll", "logit", "margin"))
        self._alpha = _check_number(alpha, "alpha")
        self._state = self._update()

    # -- settings -----------------------------------------------------------------
    def _default_image_name(self, k: int) -> str:
        name = f"#{self.indices[k]}"
        if self.labels is not None:
            label = int(self.labels[k])
            shown = self.class_names[label] if label < len(self.class_names) else str(label)
            name += f" (label {shown})"
        return name

    def _check_image(self, image) -> int:
        check_int(image, "image")
        n = self.images.shape[0]
        if not 0 <= image < n:
            raise ValueError(f"`image` must index one of the {n} images (0 … {n - 1}), got {image}.")
        return image

    def _check_target(self, target) -> int:
        return class_index(target, "target", self.class_names)

    def _check_scales(self, scales) -> tuple[int, ...] | None:
        if scales is None:
            return None
        if isinstance(scales, int) and not isinstance(scales, bool):
            scales = [scales]
        try:
            chosen = sorted({int(s) for s in scales})
        except (TypeError, ValueError) as err:
            raise TypeError(f"`scales` must be None or a sequence of scale indices, got {scales!r}.") from err
        if not chosen:
            raise ValueError("`scales` is empty: choose at least one scale to edit (or None for all).")
        bad = [s for s in chosen if not 0 <= s < self.num_scales]
        if bad:
            raise ValueError(
                f"`scales` holds {bad[0]}, but the pyramid for these {tuple(self.images.shape[-2:])} images "
                f"has {self.num_scales} scales (0 = finest … {self.num_scales - 1})."
            )
        return None if len(chosen) == self.num_scales else tuple(chosen)

    @property
    def settings(self) -> dict[str, Any]:
        """The current settings: model, image, target, domain, component, color, scales."""
        return dict(self._settings)

    @property
    def alpha(self) -> float:
        """The current amplification."""
        return self._alpha

    @property
    def state(self) -> ExplorerState:
        """What the explorer shows now."""
        return self._state

    @property
    def is_color(self) -> bool:
        """Whether the images have three channels (the colour mode then matters)."""
        return self.images.shape[1] == 3

    # -- lenses and gradients -------------------------------------------------------
    def _effective(self, domain, component, color, scales) -> tuple:
        """Settings that change the gradient (pixels ignore component and scales; grey ignores colour)."""
        return (
            domain,
            "-" if domain == "pixel" else component,
            color if self.is_color else "rgb",
            scales if domain == "csp" else None,
        )

    def _lens(self, model: str, domain: str, component: str, color: str, scales) -> SteerableLens:
        key = (model, *self._effective(domain, component, color, scales))
        lens = self._lenses.get(key)
        if lens is None:
            weights = None
            if domain == "csp" and scales is not None:
                weights = [1.0 if s in scales else 0.0 for s in range(self.num_scales)]
            lens = SteerableLens(
                self.models[model], domain=domain, component=component if domain != "pixel" else "phase",
                objective=self.objective, color=color, height=self.height, order=self.order,
                preprocess=self.preprocess, normalize=self.normalize, scale_weights=weights,
                downsample=self.downsample,
            )
            self._lenses[key] = lens
        return lens

    def _key(self) -> tuple:
        s = self._settings
        return (s["model"], s["image"], s["target"],
                *self._effective(s["domain"], s["component"], s["color"], s["scales"]))

    def lens(self) -> SteerableLens:
        """The lens of the current settings."""
        s = self._settings
        return self._lens(s["model"], s["domain"], s["component"], s["color"], s["scales"])

    def gradient(self) -> Gradient:
        """The gradient of the current settings (computed on first use, then cached).

        With a subset of pyramid scales selected, it is derived from the
        all-scales gradient of the same image and target (the model's
        gradient does not depend on which scales are edited; only the step
        and its unit do): toggling scales costs one synthesis, no model pass.
        """
        key = self._key()
        grad = self._gradients.get(key)
        if grad is not None:
            self._gradients.move_to_end(key)
            return grad
        s = self._settings
        scales = key[-1]
        if scales is not None:  # csp with some scales frozen: restrict the all-scales gradient
            full_key = (*key[:-1], None)
            full = self._gradients.get(full_key)
            if full is None:
                full = self._lens(s["model"], s["domain"], s["component"], s["color"], None).gradient(
                    self.images[s["image"] : s["image"] + 1], s["target"]
                )
                self.gradient_evaluations += 1
                self._remember(self._gradients, full_key, full)
            grad = _restrict_to_scales(full, scales, self.lens())
        else:
            grad = self.lens().gradient(self.images[s["image"] : s["image"] + 1], s["target"])
            self.gradient_evaluations += 1
        self._remember(self._gradients, key, grad)
        return grad

    def _remember(self, cache: OrderedDict, key: tuple, value) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self.cache_size:
            cache.popitem(last=False)

    # -- the precomputed α line ---------------------------------------------------------
    @property
    def alpha_range(self) -> tuple[float, float]:
        """The ends of the current line (the slider's): precomputed when needed."""
        return self._line().range

    @property
    def alpha_step(self) -> float:
        """The step between two positions of the current line (the slider's step)."""
        return self._line().step

    @property
    def alpha_grid(self) -> Tensor:
        """The ``α`` of every position of the current line (float64, ``0`` among them)."""
        return self._line().alphas.clone()

    def _line(self) -> _AlphaLine:
        line = self._lines.get(self._key())
        if line is None:
            self.precompute()
            line = self._lines[self._key()]
        return line

    def _alpha_cap(self, grad: Gradient) -> float:
        """The largest ``α`` worth showing: an RMS pixel change of 0.2 (π for ``max_step``)."""
        if self.normalize == "l2":
            return 0.2 * math.sqrt(self.images[0].numel())
        if self.normalize == "max_step":
            return math.pi
        change = float(grad.first_order_norm[0])
        return 0.2 * math.sqrt(self.images[0].numel()) / change if change > 0 else 1.0

    def _first_order_alpha(self, grad: Gradient, cap: float) -> float:
        """Where the target's probability reaches 0.5 to first order in ``α`` (``nll`` only)."""
        slope = 0.0  # −dL/dα at α = 0: ⟨∂L/∂(edit), step⟩ summed over the edited parts
        for g, step in ((grad.grad_phase, grad.step_phase), (grad.grad_log_amplitude, grad.step_log_amplitude),
                        (grad.grad_pixel, grad.step_pixel)):
            if g is not None and step is not None:
                slope -= sum(float((a * b).sum()) for a, b in zip(g, step, strict=True) if b is not None)
        loss = float(grad.loss[0])
        if self.objective != "nll" or not slope > 0:
            return cap / 8
        goal = math.log(2.0) if loss > math.log(2.0) else 0.5 * loss  # p = 0.5, or halfway to p = 1
        return min(max((loss - goal) / slope, cap / 256), cap / 2)

    def _readouts(self, lens: SteerableLens, frames: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Driver and judge probabilities on a batch of frames (checked against the classes)."""
        probs = self._readout(lens, frames)
        judges = {n: self._readout(self._judge_lens(n), frames) for n in self.judges}
        for name, p in [(self._settings["model"], probs), *judges.items()]:
            if p.shape[1] != len(self.class_names):
                raise ValueError(
                    f"model {name!r} returns {p.shape[1]} class logits, but the explorer has "
                    f"{len(self.class_names)} classes; models and judges must share one task."
                )
        return probs, judges

    def precompute(self, alpha_range: tuple[float, float] | None = None) -> float:
        """Precompute the current line: frames on the slider grid, readouts at a few ``α``.

        Done once per gradient (the result is cached with it); a slider move
        is then a lookup. Cost: the frames of every grid position, synthesised
        in one batch (equally spaced ``α``: the fastest path of
        :meth:`~steerlens.lens.SteerableLens.frames_from_gradient`), and a few
        batched forward passes:

        - with an adaptive range (``alpha_range=None`` at creation), the
          readout on probe frames at ``a₁/2, a₁, 2a₁`` (``a₁``: where the
          target's probability reaches 0.5 to first order, from the gradient
          itself); the line then ends at twice the first probe ``α`` where the
          target's probability exceeds 0.5 (else where it peaks), and starts
          at a quarter of that below zero;
        - with a fixed range, the readout at both ends and at the grid
          positions a quarter, half and three quarters along the range.

        The readout at ``α = 0`` is the source's (from the gradient pass).

        Parameters
        ----------
        alpha_range
            Precompute over these ends instead (kept for this gradient only;
            see :meth:`widen`).

        Returns
        -------
        float
            Wall time in seconds (also :attr:`last_precompute_seconds`).

        Raises
        ------
        TypeError
            If an entry of ``alpha_range`` is not a number.
        ValueError
            If ``alpha_range`` is not a pair ``(low, high)`` of finite numbers with low < high,
            or a model or judge returns logits of another number of classes.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 16, 16), target=1, alpha_range=(-1.0, 4.0))
        >>> _ = ex.precompute()
        >>> ex.alpha_range, ex.alpha_step, len(ex.alpha_grid)
        ((-1.0, 4.0), 0.25, 21)
        >>> ex.set_alpha(2.5, exact=False).frame.shape   # a lookup
        torch.Size([1, 16, 16])
        """
        start = time.perf_counter()
        key = self._key()
        grad, lens = self.gradient(), self.lens()
        target = self._settings["target"]
        source = grad.reconstruction
        zero_judges = {n: self._readout(self._judge_lens(n), source)[0] for n in self.judges}
        anchors = {0.0: (grad.logits[0].softmax(0), zero_judges)}
        if alpha_range is not None:
            low, high = _check_range(alpha_range, "alpha_range")
        elif self._fixed_range is not None:
            low, high = self._fixed_range
        else:
            cap = self._alpha_cap(grad)
            a1 = self._first_order_alpha(grad, cap)
            probe = [a1 / 2, a1, 2 * a1]
            frames = lens.frames_from_gradient(grad, [0.0, a1 / 2, a1, 1.5 * a1, 2 * a1])[0]
            probs, judges = self._readouts(lens, frames[[1, 2, 4]])
            for k, a in enumerate(probe):
                anchors[a] = (probs[k], {n: p[k] for n, p in judges.items()})
            p = probs[:, target]
            above = torch.nonzero(p >= 0.5).flatten()
            if above.numel():
                best = probe[int(above[0])]
            elif float(p.max()) > float(anchors[0.0][0][target]) + 0.01:
                best = probe[int(p.argmax())]
            else:
                best = probe[-1]
            high = min(cap, 2.0 * best)  # the grid then ends at the next position at or above
            low = -high / 4
        step, alphas = _grid(low, high)
        frames = lens.frames_from_gradient(grad, alphas)[0]
        line = _AlphaLine(step, alphas, frames, 0.0)
        for a, value in anchors.items():
            line.store(a, *value)
        if alpha_range is not None or self._fixed_range is not None:
            n = alphas.shape[0] - 1
            chosen = sorted({round(q * n / 4) for q in (0, 1, 2, 3, 4)} - {line.index(0.0)})
            chosen = [k for k in chosen if line.known(float(alphas[k])) is None]
            if chosen:
                probs, judges = self._readouts(lens, frames[chosen])
                for i, k in enumerate(chosen):
                    line.store(float(alphas[k]), probs[i], {n_: p[i] for n_, p in judges.items()})
        line.seconds = self.last_precompute_seconds = time.perf_counter() - start
        self._remember(self._lines, key, line)
        return line.seconds

    def widen(self, factor: float = 2.0) -> tuple[float, float]:
        """Extend the current line's range by ``factor`` (both ends) and precompute it.

        Known readouts are kept. With a fixed ``alpha_range``, later gradients
        use the widened range too; an adaptive range adapts afresh to the next
        gradient.

        Returns
        -------
        tuple of float
            The new ``(low, high)``.

        Raises
        ------
        TypeError
            If ``factor`` is not a number.
        ValueError
            If ``factor`` is not finite and > 1.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 16, 16), target=1, alpha_range=(-1.0, 4.0))
        >>> ex.widen()
        (-2.0, 8.0)
        """
        factor = _check_number(factor, "factor")
        if not factor > 1:
            raise ValueError(f"`factor` must be > 1 to widen the range, got {factor}.")
        old = self._line()
        low, high = old.range
        new = (_nice(-low * factor) * -1 if low < 0 else low, _nice(high * factor))
        if self._fixed_range is not None:
            self._fixed_range = new
        self.precompute(new)
        line = self._lines[self._key()]
        for a, value in old.anchors.items():
            if line.known(a) is None:
                line.store(a, *value)
        return line.range

    def refine(self, count: int = 1) -> int:
        """Read the exact probabilities at ``count`` grid positions still interpolated.

        The current ``α`` first (its state becomes exact), then the positions
        nearest to it; one batched forward pass per model.

        Returns
        -------
        int
            How many positions of the current line are still interpolated.

        Raises
        ------
        TypeError
            If ``count`` is not an int.
        ValueError
            If ``count`` < 1.
        """
        check_int(count, "count", minimum=1)
        line = self._line()
        if not self._state.exact and line.index(self._alpha) is None:
            self._update(exact=True)
            count -= 1
        missing = line.missing()
        if missing and count > 0:
            chosen = sorted(missing, key=lambda k: (abs(float(line.alphas[k]) - self._alpha), k))[:count]
            probs, judges = self._readouts(self.lens(), line.frames[chosen])
            for i, k in enumerate(chosen):
                line.store(float(line.alphas[k]), probs[i], {n: p[i] for n, p in judges.items()})
            if not self._state.exact:
                self._update(exact=False)
        return len(line.missing())

    # -- moves ------------------------------------------------------------------------
    def _judge_lens(self, name: str) -> SteerableLens:
        key = ("judge", name)
        lens = self._lenses.get(key)
        if lens is None:
            lens = self._lenses[key] = SteerableLens(self.judges[name], domain="pixel", preprocess=self.preprocess)
        return lens

    def _judge_probs(self, frames: Tensor) -> dict[str, Tensor]:
        return {name: self._judge_lens(name).probabilities(frames) for name in self.judges}

    def _readout(self, lens: SteerableLens, frames: Tensor) -> Tensor:
        """Class probabilities on frames the lens made: one forward pass, without re-validation.

        The frames are valid images by construction (clipped syntheses); the call takes the
        package's one model-call path (eval mode for the call, each submodule's mode restored
        after, logits checked).
        """
        return logits_of(lens.model, frames, preprocess=self.preprocess).softmax(dim=1)

    def _update(self, exact: bool = True) -> ExplorerState:
        """The state at the current ``α``: a lookup in the precomputed line where it can be.

        ``exact=False`` builds the line if needed and interpolates unknown readouts.
        """
        start = time.perf_counter()
        grad = self.gradient()
        lens = self.lens()
        line = self._line() if not exact else self._lines.get(self._key())
        k = line.index(self._alpha) if line is not None else None
        frame = line.frames[k : k + 1] if k is not None else lens.apply(grad, self._alpha)
        known = line.known(self._alpha) if line is not None else None
        is_exact = True
        if known is not None:
            probs, judges = known
        elif exact or line is None:
            many, many_judges = self._readouts(lens, frame)
            probs, judges = many[0], {n: p[0] for n, p in many_judges.items()}
            if k is not None:
                line.store(self._alpha, probs, judges)
        else:
            probs, judges = line.interpolate(self._alpha)
            is_exact = False
        seconds = time.perf_counter() - start
        s = self._settings
        source = grad.reconstruction[0]
        self._state = ExplorerState(
            model=s["model"], image=s["image"], target=s["target"], domain=s["domain"],
            component=s["component"], color=s["color"], scales=s["scales"], alpha=self._alpha,
            source=source, frame=frame[0], difference=frame[0] - source, probs=probs,
            source_probs=grad.logits[0].softmax(0), judge_probs=judges,
            class_names=self.class_names, gradient_evaluations=self.gradient_evaluations,
            update_seconds=seconds, exact=is_exact,
        )
        return self._state

    def set_alpha(self, alpha: float, *, exact: bool = True) -> ExplorerState:
        """Move the slider (no gradient): a lookup on the precomputed line's grid.

        Parameters
        ----------
        alpha
            The amplification.
        exact
            ``True``: read the probabilities on this very frame (one forward
            pass per model unless the line already knows them; off the grid
            also one synthesis). ``False`` (what the view does on a drag):
            never a forward pass; unknown readouts are interpolated between
            the nearest known ones (``state.exact`` tells).

        Raises
        ------
        TypeError
            If ``alpha`` is not a number or ``exact`` is not a bool.
        ValueError
            If ``alpha`` is not finite.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 8, 8), target=2, height=1)
        >>> s = ex.set_alpha(0.5)
        >>> s.alpha, s.gradient_evaluations, s.exact
        (0.5, 1, True)
        """
        if not isinstance(exact, bool):
            raise TypeError(f"`exact` must be True or False, got {type(exact).__name__}.")
        self._alpha = _check_number(alpha, "alpha")
        return self._update(exact=exact)

    def select(self, **settings) -> ExplorerState:
        """Change settings (``model``, ``image``, ``target``, ``domain``, ``component``, ``color``, ``scales``).

        The gradient of the new setting comes from the cache or is computed
        once; ``α`` is kept.

        Raises
        ------
        TypeError
            For an unknown setting name, an ``image`` that is not an int, a ``target`` that
            is neither a class index nor a class name, or ``scales`` that is not a sequence
            of ints.
        ValueError
            If ``model`` is not one of the explorer's models, ``image`` or ``target`` is out
            of range (or an unknown class name), ``domain``, ``component`` or ``color`` is
            unknown, or ``scales`` is empty or outside the pyramid.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 16, 16), target=0, alpha=1.0)
        >>> ex.select(domain="fourier", target=2).target, ex.num_scales
        (2, 2)
        >>> ex.select(domain="csp", scales=[1]).scales
        (1,)
        """
        self._apply_settings(**settings)
        return self._update()

    def _apply_settings(self, **settings) -> None:
        """Validate and take new settings (see :meth:`select`) without computing a state."""
        unknown = set(settings) - set(self._settings)
        if unknown:
            raise TypeError(
                f"unknown setting(s) {', '.join(sorted(unknown))}; valid: {', '.join(self._settings)}."
            )
        new = dict(self._settings)
        for name, value in settings.items():
            if name == "model":
                if value not in self.models:
                    raise ValueError(f"`model` {value!r} is not one of {', '.join(self.models)}.")
            elif name == "image":
                value = self._check_image(value)
            elif name == "target":
                value = self._check_target(value)
            elif name == "domain":
                value = check_choice(value, "domain", DOMAINS)
            elif name == "component":
                value = check_choice(value, "component", COMPONENTS)
            elif name == "color":
                value = check_choice(value, "color", COLOR_MODES)
            elif name == "scales":
                value = self._check_scales(value)
            new[name] = value
        self._settings = new

    def sweep(self, alphas: Sequence[float] | Tensor) -> ExplorerSweep:
        """Frames and probabilities at every ``α`` of ``alphas`` on the current line.

        Raises
        ------
        TypeError
            If ``alphas`` does not hold numbers.
        ValueError
            If ``alphas`` is empty or holds NaN/inf.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 16, 16), target=1)
        >>> sw = ex.sweep([0.0, 1.0, 2.0])
        >>> tuple(sw.frames.shape), tuple(sw.probs.shape), len(sw.labels())
        ((3, 1, 16, 16), (3, 3), 3)
        """
        lens, grad = self.lens(), self.gradient()
        alphas = torch.as_tensor(alphas, dtype=torch.float64).flatten()
        frames = lens.frames_from_gradient(grad, alphas)[0]
        probs = lens.probabilities(frames)
        return ExplorerSweep(alphas, frames, probs, self._judge_probs(frames), self._state)

    def suggested_alpha_max(self, points: int = 24) -> float:
        """A slider end that shows the interesting part of the current line.

        The target probability is read on ``points`` frames up to a cap (an
        RMS pixel change of 0.2, ``0.2·√(C·H·W)``, with ``normalize="l2"``;
        π with ``"max_step"``); the slider then ends at twice the ``α`` where
        it first comes within 0.01 of its largest value (so both the rise and
        any fall after the peak are on the slider), or at the cap when the
        probability never rises.

        Raises
        ------
        TypeError
            If ``points`` is not an int.
        ValueError
            If ``points`` < 2.

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> a = Explorer(model, torch.rand(1, 1, 16, 16), target=1).suggested_alpha_max()
        >>> 0 < a <= 0.2 * 16
        True
        """
        check_int(points, "points", minimum=2)
        if self.normalize == "l2":
            cap = 0.2 * math.sqrt(self.images[0].numel())
        elif self.normalize == "max_step":
            cap = math.pi
        else:
            change = float(self.gradient().first_order_norm[0])
            cap = 0.2 * math.sqrt(self.images[0].numel()) / change if change > 0 else 1.0
        alphas = torch.linspace(0.0, cap, points + 1, dtype=torch.float64)
        target = self._settings["target"]
        probs = self.sweep(alphas).probs[:, target]
        best = float(probs.max())
        if best < float(probs[0]) + 0.01:
            return _nice(cap)
        first = int(torch.nonzero(probs >= best - 0.01)[0])
        return _nice(min(cap, 2.0 * float(alphas[max(first, 1)])))

    def __repr__(self) -> str:
        s = self._settings
        return (
            f"Explorer({len(self.models)} model(s), {self.images.shape[0]} images "
            f"{tuple(self.images.shape[1:])}, model={s['model']!r}, image={s['image']}, "
            f"target={s['target']}, domain={s['domain']!r}, component={s['component']!r}, "
            f"color={s['color']!r}, scales={s['scales']}, alpha={self._alpha:.3g})"
        )


@dataclass(frozen=True)
class MagnifierState:
    """What a :class:`Magnifier` shows: one frame, original and magnified.

    Attributes
    ----------
    alpha, frame, attenuate
        The settings.
    original
        ``C×H×W``: the input frame.
    phase_based
        ``C×H×W``: phase-based magnification at ``α``.
    linear
        ``C×H×W``: linear magnification at ``α`` (``None`` without a linear magnifier).
    update_seconds
        Wall time of the latest render.
    """

    alpha: float
    frame: int
    attenuate: bool
    original: Tensor
    phase_based: Tensor
    linear: Tensor | None
    update_seconds: float


class Magnifier:
    """A magnification slider's logic: a move renders one frame (one synthesis).

    Parameters
    ----------
    phase
        A :class:`~steerlens.magnify.PhaseMagnifier` (it holds the cached
        decomposition and filtered phases).
    linear
        Optionally a :class:`~steerlens.magnify.LinearMagnifier` of the same
        video, shown beside it for comparison.
    alpha, frame, attenuate
        Initial settings (``frame`` default: the frame of largest filtered
        phase change, where the motion peaks; ``attenuate``: clip amplified
        phases to ``±π/2``, see :meth:`~steerlens.magnify.PhaseMagnifier.render`).

    Raises
    ------
    TypeError
        If ``phase`` is not a :class:`~steerlens.magnify.PhaseMagnifier`, ``linear`` is
        neither a :class:`~steerlens.magnify.LinearMagnifier` nor ``None``, ``frame`` is not
        an int, ``alpha`` is not a number, or ``attenuate`` is not a bool.
    ValueError
        If ``linear`` magnifies a video of another shape than ``phase``, ``frame`` is not a
        frame index of the video, or ``alpha`` is not finite.

    Examples
    --------
    >>> from steerlens import magnify, signals
    >>> d = signals.sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)
    >>> video, _ = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)
    >>> m = Magnifier(magnify.PhaseMagnifier(video, low=0.5, high=2.0, fs=8.0, height=2))
    >>> s = m.set_alpha(10.0)
    >>> tuple(s.phase_based.shape), s.frame, bool((m.set_alpha(0.0).phase_based == video[s.frame]).all())
    ((1, 32, 32), 6, True)
    """

    def __init__(
        self,
        phase: PhaseMagnifier,
        linear: LinearMagnifier | None = None,
        *,
        alpha: float = 0.0,
        frame: int | None = None,
        attenuate: bool = False,
    ):
        if not isinstance(phase, PhaseMagnifier):
            raise TypeError(f"`phase` must be a steerlens.magnify.PhaseMagnifier, got {type(phase).__name__}.")
        if linear is not None:
            if not isinstance(linear, LinearMagnifier):
                raise TypeError(
                    f"`linear` must be a steerlens.magnify.LinearMagnifier or None, got {type(linear).__name__}."
                )
            if linear.video.shape != phase.video.shape:
                raise ValueError(
                    f"`linear` magnifies a video of shape {tuple(linear.video.shape)}, but `phase` one of "
                    f"{tuple(phase.video.shape)}; build both from the same video."
                )
        self.phase = phase
        self.linear = linear
        self.num_frames = int(phase.video.shape[0])
        if frame is None:
            energy = sum(p.pow(2).flatten(1).sum(1) for p in phase.filtered_phase)
            frame = int(energy.argmax())
        self._frame = self._check_frame(frame)
        self._alpha = _check_number(alpha, "alpha")
        if not isinstance(attenuate, bool):
            raise TypeError(f"`attenuate` must be True or False, got {type(attenuate).__name__}.")
        self._attenuate = attenuate
        self._state = self._render()

    def _check_frame(self, frame) -> int:
        check_int(frame, "frame")
        if not 0 <= frame < self.num_frames:
            raise ValueError(f"`frame` must be in [0, {self.num_frames}), got {frame}.")
        return frame

    @property
    def state(self) -> MagnifierState:
        """What the magnifier shows now."""
        return self._state

    def _render(self) -> MagnifierState:
        start = time.perf_counter()
        a, f = self._alpha, self._frame
        phase = self.phase.render(a, frame_index=f, attenuate=self._attenuate)[0]
        linear = self.linear.render(a, frame_index=f)[0] if self.linear is not None else None
        self._state = MagnifierState(a, f, self._attenuate, self.phase.video[f], phase, linear,
                                     time.perf_counter() - start)
        return self._state

    def set_alpha(self, alpha: float) -> MagnifierState:
        """Render the current frame at a new ``α`` (one synthesis).

        Raises
        ------
        TypeError
            If ``alpha`` is not a number.
        ValueError
            If ``alpha`` is not finite.
        """
        self._alpha = _check_number(alpha, "alpha")
        return self._render()

    def set_frame(self, frame: int) -> MagnifierState:
        """Show another frame of the video at the current ``α``.

        Raises
        ------
        TypeError
            If ``frame`` is not an int.
        ValueError
            If ``frame`` is not a frame index of the video.
        """
        self._frame = self._check_frame(frame)
        return self._render()

    def set_attenuate(self, attenuate: bool) -> MagnifierState:
        """Switch the clipping of large amplified phases on or off.

        Raises
        ------
        TypeError
            If ``attenuate`` is not a bool.
        """
        if not isinstance(attenuate, bool):
            raise TypeError(f"`attenuate` must be True or False, got {type(attenuate).__name__}.")
        self._attenuate = attenuate
        return self._render()

    def sweep(self, alphas: Sequence[float]) -> tuple[Tensor, Tensor | None]:
        """The current frame at every ``α``: phase-based ``K×C×H×W`` and linear (or ``None``).

        Raises
        ------
        TypeError, ValueError
            If an entry of ``alphas`` is not a number (as :class:`float` rejects it); ValueError
            also if one is not finite.
        """
        f, att = self._frame, self._attenuate
        phase = torch.cat([self.phase.render(float(a), frame_index=f, attenuate=att) for a in alphas])
        linear = (
            torch.cat([self.linear.render(float(a), frame_index=f) for a in alphas])
            if self.linear is not None else None
        )
        return phase, linear
