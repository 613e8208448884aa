"""Live amplification control: explorers that stay cheap to move and still read without a kernel.

A slider over the amplification ``α`` is only pleasant when a move is fast.
The lens makes that possible: after one forward/backward pass (a
:class:`~steerlens.lens.Gradient`), every ``α`` is one synthesis, plus one
forward pass to read the classifier's probabilities. Phase-based motion
magnification is the same story: :class:`~steerlens.magnify.PhaseMagnifier`
caches the decomposition, and a new ``α`` costs one synthesis.

Each tool comes in two layers, so the logic can be tested without a browser:

- logic: :class:`Explorer` (the lens: image, target, domain, component, scales,
  colour, ``α``; gradients cached per setting) and :class:`Magnifier` (motion
  magnification of one frame at ``α``); drive them with ``set_alpha(a)`` and
  read ``state``;
- view: :func:`explorer` and :func:`magnifier` put ipywidgets controls on top
  (``ipywidgets.Image`` widgets showing PNG bytes, updated from ``.observe``),
  and below them a pre-computed :func:`steerlens.plot.scrubber` over a range of
  ``α`` that works in a static page (a built book has no kernel: its saved
  widget state shows the controls and the default picture, but moving them
  needs Python).

:func:`slider_view` is the generic helper for a chapter's own demo: a function
of a few slider values returning an image tensor or a matplotlib figure. It
replaces ``ipywidgets.interact``, which stalled our notebook builds.

Examples
--------
>>> import steerlens as sl
>>> ex = sl.widgets.Explorer("mnist_cnn", n_images=2)
>>> before = ex.gradient_evaluations
>>> p = [float(ex.set_alpha(a).target_prob) for a in (0.0, 1.0, 2.0)]   # synthesis + readout only
>>> ex.gradient_evaluations == before, p[2] > p[0]
(True, True)
"""

from __future__ import annotations

import html
import io
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
from torch import Tensor

from ._checks import check_choice, check_images, check_int
from .lens import COMPONENTS, DOMAINS, NORMALIZATIONS, Gradient, SteerableLens
from .magnify import LinearMagnifier, PhaseMagnifier
from .transforms import COLOR_MODES, CSP

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets

__all__ = [
    "Explorer",
    "ExplorerState",
    "ExplorerSweep",
    "ExplorerView",
    "explorer",
    "Magnifier",
    "MagnifierState",
    "MagnifierView",
    "magnifier",
    "SliderView",
    "slider_view",
    "png_bytes",
]

FALLBACK_HEADING = "No kernel? Scrub through precomputed frames"
_KERNEL_NOTE = (
    "The controls need a running kernel (launch buttons at the top of the page); "
    "without one they show the default state."
)
_TARGET_COLOR = "#ff7f0e"  # matplotlib tab:orange
_OTHER_COLOR = "#1f77b4"  # tab:blue
_MAX_STATIC_FRAMES = 24


# ---------------------------------------------------------------------------
# pictures: PNG bytes for ipywidgets.Image
# ---------------------------------------------------------------------------


def _to_uint8(image: Tensor | np.ndarray) -> np.ndarray:
    """``C×H×W``/``H×W`` tensor or ``H×W(×3)`` array in ``[0, 1]`` (or uint8) → ``H×W×3`` uint8."""
    if isinstance(image, Tensor):
        x = image.detach().to("cpu", torch.float32)
        if x.ndim == 3 and x.shape[0] in (1, 3):
            x = x.permute(1, 2, 0)
        elif x.ndim != 2:
            raise ValueError(f"`image` must be C×H×W (C = 1 or 3) or H×W, got shape {tuple(image.shape)}.")
        array = x.numpy()
    elif isinstance(image, np.ndarray):
        array = image
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise ValueError(f"`image` must be an H×W or H×W×C array, got shape {array.shape}.")
    else:
        raise TypeError(f"`image` must be a torch.Tensor or numpy array, got {type(image).__name__}.")
    if array.dtype != np.uint8:
        array = (np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[..., :3])


def png_bytes(image: Tensor | np.ndarray, min_size: int = 0) -> bytes:
    """Encode an image as PNG bytes (for ``ipywidgets.Image``), enlarged with sharp pixels.

    Parameters
    ----------
    image
        ``C×H×W`` (C = 1 or 3) or ``H×W`` tensor with values in ``[0, 1]``, or
        an ``H×W(×3)`` numpy array (floats in ``[0, 1]`` or ``uint8``).
    min_size
        Enlarge by the smallest integer factor that makes the shorter side at
        least this many pixels (nearest neighbour, so pixels stay square).

    Returns
    -------
    bytes

    Examples
    --------
    >>> import torch
    >>> data = png_bytes(torch.rand(1, 8, 8), min_size=32)
    >>> data[:4] == b"\\x89PNG"
    True
    """
    from PIL import Image

    array = _to_uint8(image)
    picture = Image.fromarray(array)
    scale = max(1, -(-int(min_size) // min(array.shape[:2]))) if min_size else 1
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _diverging_lut() -> np.ndarray:
    """256×3 uint8 colours of matplotlib's ``RdBu_r`` (blue < 0 < red)."""
    from matplotlib import colormaps

    return (colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256))[:, :3] * 255 + 0.5).astype(np.uint8)


def _signed_picture(difference: Tensor, limit: float | None = None) -> tuple[np.ndarray, float]:
    """A signed ``C×H×W`` change (mean over channels) → ``H×W×3`` uint8 ``RdBu_r``, and its limit."""
    d = difference.detach().to("cpu", torch.float32)
    d = d.mean(dim=0) if d.ndim == 3 else d
    if limit is None:
        limit = float(d.abs().max())
    limit = max(limit, 1e-6)
    index = ((d / limit).clamp(-1, 1) * 127.5 + 127.5).round().to(torch.uint8).numpy()
    return _diverging_lut()[index], limit


def _figure_png(figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)
    plt.close(figure)
    return buffer.getvalue()


def _rendered_png(picture, min_size: int) -> bytes:
    """What a render function returned → PNG bytes (tensor batch: tiles side by side)."""
    from matplotlib.figure import Figure

    if isinstance(picture, Figure):
        return _figure_png(picture)
    if isinstance(picture, Tensor) and picture.ndim == 4:
        tiles = [_to_uint8(p) for p in picture]
        gap = np.full((tiles[0].shape[0], 2, 3), 255, dtype=np.uint8)
        row = tiles[0]
        for t in tiles[1:]:
            row = np.concatenate([row, gap, t], axis=1)
        return png_bytes(row, min_size)
    if isinstance(picture, (Tensor, np.ndarray)):
        return png_bytes(picture, min_size)
    raise TypeError(
        "the render function must return an image tensor (C×H×W, H×W or B×C×H×W in [0, 1]), a "
        f"numpy array or a matplotlib Figure, got {type(picture).__name__}."
    )


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _check_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        if isinstance(value, Tensor) and value.numel() == 1:
            value = value.item()
        else:
            raise TypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value}.")
    return value


def _nice(value: float) -> float:
    """Round to two significant digits (slider limits)."""
    if value <= 0:
        return value
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def _slider_step(span: float, positions: int) -> float:
    """The smallest step of the 1-2-5 series that divides ``span`` into at most ``positions``."""
    raw = span / positions
    decade = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * decade >= raw * (1 - 1e-9):
            return round(factor * decade, 12)
    return round(10 * decade, 12)  # pragma: no cover - the loop always returns


def _on_grid(value: float, low: float, step: float) -> float:
    """``value`` moved to the nearest slider position ``low + k·step`` (what the browser shows)."""
    return round(low + round((value - low) / step) * step, 10)


def _spread_over_classes(labels: Tensor, n: int) -> list[int]:
    """``n`` indices, one class after another (first of class 0, first of class 1, …)."""
    per_class = [torch.nonzero(labels == c).flatten().tolist() for c in torch.unique(labels).tolist()]
    picked: list[int] = []
    depth = 0
    while len(picked) < n and any(depth < len(p) for p in per_class):
        for p in per_class:
            if depth < len(p) and len(picked) < n:
                picked.append(p[depth])
        depth += 1
    return picked


def _load_zoo(name: str):
    from .models import model_info, pretrained

    return pretrained(name), model_info(name)


def _named_models(model, what: str = "model") -> tuple[dict[str, Callable], list[str] | None, str | None]:
    """A model spec → ``{name: callable}``, the zoo's class names, the first zoo name."""
    if isinstance(model, str):
        model = [model]
    if isinstance(model, Mapping):
        items = list(model.items())
    elif isinstance(model, Sequence) and model and all(isinstance(m, str) for m in model):
        items = [(m, m) for m in model]
    elif callable(model):
        items = [(what, model)]
    else:
        raise TypeError(
            f"`{what}` must be a callable (images → logits), a zoo model name, a list of zoo "
            f"names or a mapping name → model; got {type(model).__name__}."
        )
    if not items:
        raise ValueError(f"`{what}` is empty: give at least one model.")
    out: dict[str, Callable] = {}
    class_names: list[str] | None = None
    first_zoo: str | None = None
    for name, m in items:
        if not isinstance(name, str):
            raise TypeError(f"`{what}` names must be strings, got {type(name).__name__}.")
        if isinstance(m, str):
            m, info = _load_zoo(m)
            if class_names is None:
                class_names, first_zoo = list(info.class_names), info.name
            elif len(info.class_names) != len(class_names):
                raise ValueError(
                    f"`{what}` mixes models with {len(class_names)} and {len(info.class_names)} "
                    f"classes ({info.name!r}); an explorer needs models of one task."
                )
        elif not callable(m):
            raise TypeError(f"`{what}[{name!r}]` must be callable or a zoo name, got {type(m).__name__}.")
        out[name] = m
    return out, class_names, first_zoo


def _image_collection(images, n_images: int, indices: Sequence[int] | None):
    """Images in any accepted form → (``N×C×H×W``, labels or None, class names or None, source indices)."""
    labels = None
    class_names = None
    if isinstance(images, Tensor):
        pool = images[None] if images.ndim == 3 else images
    elif hasattr(images, "images") and hasattr(images, "labels"):  # steerlens LabeledImages
        pool, labels = images.images, images.labels
        class_names = getattr(images, "class_names", None)
    elif isinstance(images, Sequence) and images and all(isinstance(i, Tensor) for i in images):
        pool = torch.stack([i[0] if i.ndim == 4 else i for i in images])
    elif hasattr(images, "__len__") and hasattr(images, "__getitem__"):  # a dataset of (image, label)
        chosen = list(range(min(len(images), n_images))) if indices is None else list(indices)
        _check_indices(chosen, len(images))
        pairs = [images[i] for i in chosen]
        x = check_images(torch.stack([p[0] for p in pairs]), "images").detach()
        return x, torch.as_tensor([int(p[1]) for p in pairs]), class_names, chosen
    else:
        raise TypeError(
            "`images` must be a B×C×H×W tensor, a list of C×H×W tensors, or a dataset of "
            f"(image, label) pairs; got {type(images).__name__}."
        )
    if indices is not None:
        chosen = list(indices)
    elif labels is not None:
        chosen = _spread_over_classes(labels, n_images)
    else:
        chosen = list(range(pool.shape[0]))
    _check_indices(chosen, pool.shape[0])
    x = check_images(pool[chosen], "images").detach()
    return x, None if labels is None else labels[chosen], class_names, chosen


def _check_indices(indices: list, n: int) -> None:
    if not indices:
        raise ValueError("`indices` is empty: choose at least one image.")
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise ValueError(f"`indices` holds {i!r}, not an image index in [0, {n}).")


# ---------------------------------------------------------------------------
# the explorer: logic
# ---------------------------------------------------------------------------


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
        Wall time of the latest update (synthesis + probability readout, plus
        the gradient when a setting changed).
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
        text = (
            f"α = {self.alpha:.3g} · ‖x − x⁰‖₂ = {self.change_l2:.2f} · "
            f"p({names[self.target]}) = {self.target_prob:.2f} "
            f"(source {float(self.source_probs[self.target]):.2f}) · "
            f"top: {names[self.predicted]} ({float(self.probs[self.predicted]):.2f})"
        )
        if self.judge_probs:
            judges = ", ".join(f"{n} {float(p[self.target]):.2f}" for n, p in self.judge_probs.items())
            text += f" · judges p({names[self.target]}): {judges}"
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


class Explorer:
    """Move an image toward a class with a slider: the logic behind :func:`explorer`.

    The gradient is computed once per setting — (model, image, target, domain,
    component, colour, scales) — and cached; :meth:`set_alpha` then costs one
    synthesis (:meth:`~steerlens.lens.SteerableLens.apply`) plus one forward
    pass for the probability readout (and one per judge).

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
        Initial settings: ``"csp"``/``"fourier"``/``"pixel"``;
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
    cache_size
        Gradients kept (least recently used ones are dropped; each holds the
        image's coefficients).

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
        domain: Literal["pixel", "fourier", "csp"] = "csp",
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
            from .models import zoo_dataset

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
        self.gradient_evaluations = 0

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
        if isinstance(target, str):
            if target not in self.class_names:
                raise ValueError(f"`target` {target!r} is not a class name; valid: {', '.join(self.class_names)}.")
            return self.class_names.index(target)
        check_int(target, "target")
        if not 0 <= target < len(self.class_names):
            raise ValueError(
                f"`target` must be a class index in [0, {len(self.class_names)}) or a class name, got {target}."
            )
        return target

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
        """The gradient of the current settings (computed on first use, then cached)."""
        key = self._key()
        grad = self._gradients.get(key)
        if grad is not None:
            self._gradients.move_to_end(key)
            return grad
        s = self._settings
        grad = self.lens().gradient(self.images[s["image"] : s["image"] + 1], s["target"])
        self.gradient_evaluations += 1
        self._gradients[key] = grad
        while len(self._gradients) > self.cache_size:
            self._gradients.popitem(last=False)
        return grad

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

        The frames are valid images by construction (clipped syntheses) and the model's
        logits were checked when its gradient was taken. A model with a submodule in
        training mode goes through :meth:`~steerlens.lens.SteerableLens.probabilities`
        (eval mode for the call, restored after, with a warning).
        """
        model = lens.model
        if isinstance(model, torch.nn.Module) and any(m.training for m in model.modules()):
            return lens.probabilities(frames)
        inputs = self.preprocess(frames) if self.preprocess is not None else frames
        with torch.no_grad():
            return model(inputs).softmax(dim=1)

    def _update(self) -> ExplorerState:
        start = time.perf_counter()
        grad = self.gradient()
        lens = self.lens()
        frame = lens.apply(grad, self._alpha)
        probs = self._readout(lens, frame)[0]
        judges = {n: self._readout(self._judge_lens(n), frame)[0] for n in self.judges}
        for name, p in [(self._settings["model"], probs), *judges.items()]:
            if p.shape[0] != len(self.class_names):
                raise ValueError(
                    f"model {name!r} returns {p.shape[0]} class logits, but the explorer has "
                    f"{len(self.class_names)} classes; models and judges must share one task."
                )
        seconds = time.perf_counter() - start
        s = self._settings
        source = grad.reconstruction[0]
        self._state = ExplorerState(
            model=s["model"], image=s["image"], target=s["target"], domain=s["domain"],
            component=s["component"], color=s["color"], scales=s["scales"], alpha=self._alpha,
            source=source, frame=frame[0], difference=frame[0] - source, probs=probs,
            source_probs=grad.logits[0].softmax(0), judge_probs=judges,
            class_names=self.class_names, gradient_evaluations=self.gradient_evaluations,
            update_seconds=seconds,
        )
        return self._state

    def set_alpha(self, alpha: float) -> ExplorerState:
        """Move the slider: one synthesis and one forward pass (no gradient).

        Examples
        --------
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
        >>> ex = Explorer(model, torch.rand(1, 1, 8, 8), target=2, height=1)
        >>> s = ex.set_alpha(0.5)
        >>> s.alpha, s.gradient_evaluations
        (0.5, 1)
        """
        self._alpha = _check_number(alpha, "alpha")
        return self._update()

    def select(self, **settings) -> ExplorerState:
        """Change settings (``model``, ``image``, ``target``, ``domain``, ``component``, ``color``, ``scales``).

        The gradient of the new setting comes from the cache or is computed
        once; ``α`` is kept.

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
        return self._update()

    def sweep(self, alphas: Sequence[float] | Tensor) -> ExplorerSweep:
        """Frames and probabilities at every ``α`` of ``alphas`` on the current line.

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


# ---------------------------------------------------------------------------
# the explorer: view
# ---------------------------------------------------------------------------


def _probability_bars(state: ExplorerState, top_k: int) -> str:
    """HTML bar chart of the class probabilities (target in orange; ticks at the source's)."""
    probs = state.probs.tolist()
    source = state.source_probs.tolist()
    order = list(range(len(probs)))
    if len(order) > top_k:
        order = sorted(order, key=lambda k: -probs[k])[:top_k]
        if state.target not in order:
            order[-1] = state.target
    rows = []
    for k in order:
        p, p0 = probs[k], source[k]
        color = _TARGET_COLOR if k == state.target else _OTHER_COLOR
        weight = "bold" if k == state.predicted else "normal"
        name = html.escape(state.class_names[k])
        rows.append(
            "<div style='display:flex;align-items:center;gap:6px;height:16px'>"
            f"<span style='width:5em;text-align:right;font-weight:{weight};overflow:hidden;"
            f"white-space:nowrap'>{name}</span>"
            "<span style='position:relative;display:inline-block;width:110px;height:11px;"
            "background:#eee'>"
            f"<span style='position:absolute;left:0;top:0;bottom:0;width:{100 * p:.1f}%;"
            f"background:{color}'></span>"
            f"<span title='at α = 0' style='position:absolute;left:{100 * p0:.1f}%;top:-2px;"
            "bottom:-2px;width:2px;background:#333'></span></span>"
            f"<span style='width:3em'>{p:.2f}</span></div>"
        )
    legend = (
        f"<div style='color:#555;margin-top:3px'><span style='color:{_TARGET_COLOR}'>■</span> target; "
        "bold: top class; tick: at α = 0</div>"
    )
    return (
        "<div class='sl-probabilities' style='font-family:sans-serif;font-size:12px'>"
        "<div style='font-weight:bold;margin-bottom:3px'>class probabilities</div>"
        f"{''.join(rows)}{legend}</div>"
    )


def _labelled(label: str, control, width: str = "80px"):
    """``control`` with a label on its left (an HTML label: nothing for MathJax to typeset)."""
    import ipywidgets as w

    name = w.HTML(f"<div style='font-family:sans-serif;font-size:13px;text-align:right;padding-right:6px'>"
                  f"{html.escape(label)}</div>", layout=w.Layout(width=width))
    return w.HBox([name, control], layout=w.Layout(align_items="center"))


def _caption(text: str) -> str:
    return f"<div style='font-family:sans-serif;font-size:12px;text-align:center'>{html.escape(text)}</div>"


def _settings_text(ex: Explorer, state: ExplorerState) -> str:
    names = ex.class_names
    part = state.domain if state.domain == "pixel" else f"{state.domain} {state.component}"
    if state.domain == "csp":
        part += ", scales " + ("all" if state.scales is None else ", ".join(map(str, state.scales)))
    if ex.is_color:
        part += f", {state.color}"
    model = f"{state.model} · " if len(ex.models) > 1 or state.model != "model" else ""
    return (
        f"{model}image {ex.image_names[state.image]} → target {names[state.target]} · {part} · "
        f"α unit: {ex.normalize}"
    )


class ExplorerView:
    """The live explorer widget and, below it, its static scrubber (see :func:`explorer`).

    Display it (last expression of a cell, or ``IPython.display.display``).

    Attributes
    ----------
    explorer
        The :class:`Explorer` (logic and state).
    widget
        The ``ipywidgets.VBox`` of controls and pictures; its children are
        also reachable by name: ``alpha`` (the slider), ``model``, ``image``,
        ``target``, ``domain``, ``component``, ``color``, ``scales`` (one
        toggle per scale), ``source``, ``frame``, ``difference`` (the
        ``ipywidgets.Image`` s), ``probabilities`` and ``status``
        (``ipywidgets.HTML``).
    fallback
        The pre-computed scrubber (``IPython.display.HTML``), or ``None``.
    last_update_seconds
        Wall time of the latest slider update including PNG encoding.
    """

    def __init__(
        self,
        explorer: Explorer,
        *,
        alpha_range: tuple[float, float],
        step: float,
        static_alphas: Tensor | None,
        display_px: int,
        top_k: int,
    ):
        import ipywidgets as w

        self.explorer = ex = explorer
        self.display_px = display_px
        self.top_k = top_k
        self.last_update_seconds = 0.0
        s = ex.settings
        narrow = w.Layout(width="210px")
        self.model = w.Dropdown(options=list(ex.models), value=s["model"], layout=narrow)
        self.image = w.Dropdown(options=[(n, k) for k, n in enumerate(ex.image_names)], value=s["image"],
                                layout=narrow)
        self.target = w.Dropdown(
            options=[(n if n == str(k) else f"{k}: {n}", k) for k, n in enumerate(ex.class_names)],
            value=s["target"], layout=w.Layout(width="150px"),
        )
        self.domain = w.ToggleButtons(options=list(DOMAINS), value=s["domain"], style={"button_width": "72px"})
        self.component = w.ToggleButtons(options=list(COMPONENTS), value=s["component"],
                                         style={"button_width": "92px"})
        self.color = w.ToggleButtons(options=list(COLOR_MODES), value=s["color"], style={"button_width": "92px"})
        chosen = s["scales"]
        self.scales = [
            w.ToggleButton(value=chosen is None or k in chosen,
                           description=f"{k}" + (" (finest)" if k == 0 else ""),
                           tooltip=f"edit pyramid scale {k}", layout=w.Layout(width="auto"))
            for k in range(ex.num_scales)
        ]
        self.alpha = w.FloatSlider(
            value=ex.alpha, min=alpha_range[0], max=alpha_range[1], step=step,
            continuous_update=True, readout_format=".2f", layout=w.Layout(width="420px"),
        )
        size = w.Layout(width=f"{display_px}px", height=f"{display_px}px", margin="0 4px 0 0")
        self.source = w.Image(format="png", layout=size)
        self.frame = w.Image(format="png", layout=size)
        self.difference = w.Image(format="png", layout=size)
        self.source_caption = w.HTML(_caption("source (α = 0)"))
        self.frame_caption = w.HTML()
        self.difference_caption = w.HTML()
        self.probabilities = w.HTML(layout=w.Layout(margin="0 0 0 6px"))
        self.status = w.HTML()
        self.settings_line = w.HTML()

        menus = [_labelled("image", self.image), _labelled("target", self.target, "52px")]
        rows = [w.HBox([_labelled("model", self.model)]) if len(ex.models) > 1 else None,
                w.HBox(menus), _labelled("domain", self.domain), _labelled("component", self.component),
                _labelled("colour", self.color) if ex.is_color else None,
                _labelled("scales", w.HBox(self.scales)), _labelled("α", self.alpha)]
        pictures = w.HBox(
            [
                w.VBox([self.source_caption, self.source]),
                w.VBox([self.frame_caption, self.frame]),
                w.VBox([self.difference_caption, self.difference]),
                self.probabilities,
            ],
            layout=w.Layout(align_items="flex-start", margin="6px 0 0 0"),
        )
        self.widget = w.VBox(
            [*(r for r in rows if r is not None), pictures, self.settings_line, self.status,
             w.HTML(f"<div style='color:#777;font-size:11px'>{html.escape(_KERNEL_NOTE)}</div>")]
        )
        self.widget.add_class("sl-explorer")
        for name in ("alpha", "model", "image", "target", "domain", "component", "color", "scales",
                     "source", "frame", "difference", "probabilities", "status"):
            setattr(self.widget, name, getattr(self, name))

        self._draw(ex.state, full=True)
        self._status(ex.state, ex.state.update_seconds)
        self.alpha.observe(self._on_alpha, names="value")
        for menu in (self.model, self.image, self.target, self.domain, self.component, self.color):
            menu.observe(self._on_setting, names="value")
        for toggle in self.scales:
            toggle.observe(self._on_setting, names="value")
        self.fallback = self._scrubber(static_alphas) if static_alphas is not None else None

    # -- drawing --------------------------------------------------------------------
    def _draw(self, state: ExplorerState, full: bool = False) -> None:
        ex = self.explorer
        if full:
            self.source.value = png_bytes(state.source, self.display_px)
            self.settings_line.value = (
                f"<div style='font-family:sans-serif;font-size:12px;color:#333'>"
                f"{html.escape(_settings_text(ex, state))} · change: red brighter, blue darker</div>"
            )
            pixel = state.domain == "pixel"
            self.component.disabled = pixel
            for toggle in self.scales:
                toggle.disabled = state.domain != "csp"
        self.frame.value = png_bytes(state.frame, self.display_px)
        picture, limit = _signed_picture(state.difference)
        self.difference.value = png_bytes(picture, self.display_px)
        self.frame_caption.value = _caption(f"frame at α = {state.alpha:.2f}")
        self.difference_caption.value = _caption(f"change (±{limit:.2g})")
        self.probabilities.value = _probability_bars(state, self.top_k)

    def _status(self, state: ExplorerState, seconds: float, note: str = "") -> None:
        self.last_update_seconds = seconds
        self.status.value = (
            "<div style='font-family:sans-serif;font-size:12px'>"
            f"{html.escape(state.readout())}<br><span style='color:#777'>update {1e3 * seconds:.1f} ms"
            f"{html.escape(note)} · gradients computed so far: {state.gradient_evaluations}</span></div>"
        )

    def _on_alpha(self, change) -> None:
        start = time.perf_counter()
        state = self.explorer.set_alpha(change["new"])
        self._draw(state)
        self._status(state, time.perf_counter() - start, " (synthesis + readout + PNG)")

    def _on_setting(self, change=None) -> None:
        start = time.perf_counter()
        chosen = tuple(k for k, t in enumerate(self.scales) if t.value)
        if not chosen:  # at least one scale: re-enable the one just switched off
            change["owner"].value = True
            return
        before = self.explorer.gradient_evaluations
        self.status.value = "<div style='font-family:sans-serif;font-size:12px'>computing the gradient…</div>"
        state = self.explorer.select(
            model=self.model.value, image=self.image.value, target=self.target.value,
            domain=self.domain.value, component=self.component.value, color=self.color.value,
            scales=chosen,
        )
        self._draw(state, full=True)
        note = " (new gradient)" if state.gradient_evaluations > before else " (cached gradient)"
        self._status(state, time.perf_counter() - start, note)

    def set_alpha(self, alpha: float) -> ExplorerState:
        """Move the slider from Python (as a reader's drag does); returns the new state."""
        self.alpha.value = _check_number(alpha, "alpha")
        return self.explorer.state

    # -- static fallback --------------------------------------------------------------
    def _scrubber(self, alphas: Tensor):
        from IPython.display import HTML

        from .plot import scrubber

        ex = self.explorer
        sweep = ex.sweep(alphas)
        state = sweep.state
        source = torch.from_numpy(_to_uint8(state.source)).permute(2, 0, 1).float() / 255
        tiles = []
        for frame in sweep.frames:
            rgb = torch.from_numpy(_to_uint8(frame)).permute(2, 0, 1).float() / 255
            diff = torch.from_numpy(_signed_picture(frame - state.source)[0]).permute(2, 0, 1).float() / 255
            tiles.append(torch.stack([source, rgb, diff]))
        frames = torch.stack(tiles, dim=1)  # 3×K×3×H×W: source | frame | difference
        width = max(3 * self.display_px, 3 * frames.shape[-1] + 4)
        inner = scrubber(frames, sweep.labels(), width=width, title=None).data
        return HTML(
            "<details open class='sl-explorer-fallback' style='margin-top:6px'>"
            f"<summary style='font-family:sans-serif;font-weight:bold;cursor:pointer'>{FALLBACK_HEADING}"
            "</summary><div style='font-family:sans-serif;font-size:12px;margin:4px 0'>"
            f"{html.escape(_settings_text(ex, state))}. Left: source; middle: frame; right: frame − "
            "source (red brighter, blue darker; each frame scaled to its largest change).</div>"
            f"{inner}</details>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        if self.fallback is not None:
            display(self.fallback)

    def __repr__(self) -> str:
        return f"ExplorerView({self.explorer!r})"


def explorer(
    model,
    images=None,
    *,
    alpha_range: tuple[float, float] | None = None,
    alpha: float | None = None,
    static_frames: int = 12,
    display_px: int = 128,
    top_k: int = 10,
    **explorer_options,
) -> ExplorerView:
    """An interactive lens: pick image, target, domain, component, scales, colour; drag ``α``.

    Shows the source, the frame at ``α``, their difference and a bar chart of
    the class probabilities, all updated together on every slider move (one
    synthesis and one forward pass: the gradient is cached per setting).
    Below the live widget, a scrubber over pre-computed frames (from ``α = 0``
    to the slider's end) keeps the page meaningful without a kernel.

    Parameters
    ----------
    model, images
        As for :class:`Explorer` (e.g. ``explorer("mnist_cnn")`` uses the
        model's test images).
    alpha_range
        The slider's ends. Default: ``(−a/4, a)`` with ``a`` twice the ``α``
        at which the target probability peaks on the initial line
        (:meth:`Explorer.suggested_alpha_max`).
    alpha
        Initial ``α`` (the saved picture of a static page shows it), moved to
        the nearest slider position. Default: the middle of the positive range.
    static_frames
        Frames of the pre-computed scrubber (``0``: none; at most 24).
    display_px
        Size of each picture on the page (small images are enlarged with
        sharp pixels).
    top_k
        Classes shown in the bar chart (the most probable ones, and the target).
    **explorer_options
        Everything else :class:`Explorer` takes: ``target``, ``image``,
        ``domain``, ``component``, ``color``, ``scales``, ``judges``,
        ``class_names``, ``n_images``, ``indices``, ``preprocess``, ….

    Returns
    -------
    ExplorerView
        Displays as the live widget followed by the scrubber; ``.explorer``
        holds the logic, ``.widget`` the ipywidgets box.

    Examples
    --------
    >>> import steerlens as sl
    >>> view = sl.widgets.explorer("mnist_cnn", n_images=3, static_frames=4)
    >>> s = view.set_alpha(1.5)                       # what a slider move does
    >>> s.alpha, view.explorer.gradient_evaluations
    (1.5, 1)
    >>> view.fallback.data.count("<img"), "No kernel?" in view.fallback.data
    (4, True)
    """
    check_int(static_frames, "static_frames", minimum=0)
    if static_frames == 1 or static_frames > _MAX_STATIC_FRAMES:
        raise ValueError(
            f"`static_frames` must be 0 (no scrubber) or 2 … {_MAX_STATIC_FRAMES}, got {static_frames}."
        )
    check_int(display_px, "display_px", minimum=16)
    check_int(top_k, "top_k", minimum=1)
    ex = Explorer(model, images, **explorer_options)
    if alpha_range is None:
        a = ex.suggested_alpha_max()
        alpha_range = (-_nice(a / 4), a)
    lo, hi = (_check_number(v, "alpha_range") for v in alpha_range)
    if not lo < hi:
        raise ValueError(f"`alpha_range` must be (low, high) with low < high, got {alpha_range}.")
    alpha = hi / 2 if alpha is None else _check_number(alpha, "alpha")
    if not lo <= alpha <= hi:
        raise ValueError(f"`alpha` = {alpha} lies outside `alpha_range` {alpha_range}.")
    step = _slider_step(hi - lo, 200)
    ex.set_alpha(min(_on_grid(alpha, lo, step), hi))
    static = torch.linspace(max(lo, 0.0), hi, static_frames) if static_frames else None
    return ExplorerView(ex, alpha_range=(lo, hi), step=step, static_alphas=static,
                        display_px=display_px, top_k=top_k)


# ---------------------------------------------------------------------------
# motion magnification
# ---------------------------------------------------------------------------


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
        phase = self.phase.render(a, frames=f, attenuate=self._attenuate)[0]
        linear = self.linear.render(a, frames=f)[0] if self.linear is not None else None
        self._state = MagnifierState(a, f, self._attenuate, self.phase.video[f], phase, linear,
                                     time.perf_counter() - start)
        return self._state

    def set_alpha(self, alpha: float) -> MagnifierState:
        """Render the current frame at a new ``α`` (one synthesis)."""
        self._alpha = _check_number(alpha, "alpha")
        return self._render()

    def set_frame(self, frame: int) -> MagnifierState:
        """Show another frame of the video at the current ``α``."""
        self._frame = self._check_frame(frame)
        return self._render()

    def set_attenuate(self, attenuate: bool) -> MagnifierState:
        """Switch the clipping of large amplified phases on or off."""
        if not isinstance(attenuate, bool):
            raise TypeError(f"`attenuate` must be True or False, got {type(attenuate).__name__}.")
        self._attenuate = attenuate
        return self._render()

    def sweep(self, alphas: Sequence[float]) -> tuple[Tensor, Tensor | None]:
        """The current frame at every ``α``: phase-based ``K×C×H×W`` and linear (or ``None``)."""
        f, att = self._frame, self._attenuate
        phase = torch.cat([self.phase.render(float(a), frames=f, attenuate=att) for a in alphas])
        linear = (
            torch.cat([self.linear.render(float(a), frames=f) for a in alphas])
            if self.linear is not None else None
        )
        return phase, linear


class MagnifierView:
    """The live magnification widget and its optional static scrubber (see :func:`magnifier`).

    Attributes
    ----------
    magnifier
        The :class:`Magnifier` (logic and state).
    widget
        ``ipywidgets.VBox``; children by name: ``alpha``, ``frame`` (sliders),
        ``attenuate`` (checkbox), ``original``, ``phase_based``, ``linear``
        (``ipywidgets.Image``; ``linear`` is ``None`` without a linear magnifier).
    fallback
        The pre-computed scrubber over ``α`` (``IPython.display.HTML``) or ``None``.
    """

    def __init__(self, magnifier: Magnifier, *, alpha_range, step, static_alphas, display_px: int):
        import ipywidgets as w

        self.magnifier = m = magnifier
        self.display_px = display_px
        self.alpha = w.FloatSlider(value=m.state.alpha, min=alpha_range[0], max=alpha_range[1], step=step,
                                   description="α", continuous_update=True, layout=w.Layout(width="420px"))
        self.frame = w.IntSlider(value=m.state.frame, min=0, max=m.num_frames - 1, description="frame",
                                 continuous_update=True, layout=w.Layout(width="420px"))
        self.attenuate = w.Checkbox(value=m.state.attenuate, description="attenuate large phases (±π/2)")
        size = w.Layout(width=f"{display_px}px", height=f"{display_px}px")
        self.original = w.Image(format="png", layout=size)
        self.phase_based = w.Image(format="png", layout=size)
        self.linear = w.Image(format="png", layout=size) if m.linear is not None else None
        self.captions = {name: w.HTML() for name in ("original", "linear", "phase_based")}
        self.status = w.HTML()
        panels = [w.VBox([self.captions["original"], self.original])]
        if self.linear is not None:
            panels.append(w.VBox([self.captions["linear"], self.linear]))
        panels.append(w.VBox([self.captions["phase_based"], self.phase_based]))
        self.widget = w.VBox(
            [self.alpha, self.frame, self.attenuate, w.HBox(panels), self.status,
             w.HTML(f"<div style='color:#777;font-size:11px'>{html.escape(_KERNEL_NOTE)}</div>")]
        )
        self.widget.add_class("sl-magnifier")
        for name in ("alpha", "frame", "attenuate", "original", "phase_based", "linear", "status"):
            setattr(self.widget, name, getattr(self, name))
        self._draw(m.state)
        self.alpha.observe(lambda c: self._draw(m.set_alpha(c["new"])), names="value")
        self.frame.observe(lambda c: self._draw(m.set_frame(c["new"])), names="value")
        self.attenuate.observe(lambda c: self._draw(m.set_attenuate(bool(c["new"]))), names="value")
        self.fallback = self._scrubber(static_alphas) if static_alphas is not None else None

    def _draw(self, state: MagnifierState) -> None:
        start = time.perf_counter()
        px = self.display_px
        self.original.value = png_bytes(state.original, px)
        self.phase_based.value = png_bytes(state.phase_based, px)
        self.captions["original"].value = _caption(f"original, frame {state.frame}")
        self.captions["phase_based"].value = _caption(f"phase-based, α = {state.alpha:.3g}")
        if self.linear is not None:
            self.linear.value = png_bytes(state.linear, px)
            self.captions["linear"].value = _caption(f"linear, α = {state.alpha:.3g}")
        seconds = state.update_seconds + time.perf_counter() - start
        self.status.value = (
            f"<div style='font-family:sans-serif;font-size:12px;color:#777'>render {1e3 * state.update_seconds:.1f} ms"
            f" (one synthesis), with PNG encoding {1e3 * seconds:.1f} ms</div>"
        )

    def set_alpha(self, alpha: float) -> MagnifierState:
        """Move the ``α`` slider from Python; returns the new state."""
        self.alpha.value = _check_number(alpha, "alpha")
        return self.magnifier.state

    def _scrubber(self, alphas: Tensor):
        from IPython.display import HTML

        from .plot import scrubber

        m = self.magnifier
        phase, linear = m.sweep(alphas.tolist())
        original = m.state.original.expand_as(phase)
        rows = [original, linear, phase] if linear is not None else [original, phase]
        names = "original | linear | phase-based" if linear is not None else "original | phase-based"
        labels = [f"α = {a:.3g}, frame {m.state.frame}: {names}" for a in alphas.tolist()]
        width = max(len(rows) * self.display_px, len(rows) * phase.shape[-1] + 4)
        inner = scrubber(torch.stack(rows), labels, width=width).data
        return HTML(
            "<details open class='sl-magnifier-fallback' style='margin-top:6px'>"
            f"<summary style='font-family:sans-serif;font-weight:bold;cursor:pointer'>{FALLBACK_HEADING}"
            f"</summary>{inner}</details>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        if self.fallback is not None:
            display(self.fallback)


def magnifier(
    phase: PhaseMagnifier,
    linear: LinearMagnifier | None = None,
    *,
    alpha: float = 10.0,
    alpha_range: tuple[float, float] = (0.0, 50.0),
    frame: int | None = None,
    attenuate: bool = False,
    static_frames: int = 12,
    display_px: int = 256,
) -> MagnifierView:
    """A motion-magnification slider over a cached :class:`~steerlens.magnify.PhaseMagnifier`.

    Sliders for ``α`` and the frame, a checkbox for attenuation; the original
    frame, optionally linear magnification, and phase-based magnification
    side by side. A move renders one frame: one synthesis (the decomposition
    and filtered phases are cached in ``phase``). Below, a pre-computed
    scrubber over ``α`` at the initial frame keeps a static page meaningful.

    Parameters
    ----------
    phase
        The phase-based magnifier of the video.
    linear
        Optionally a :class:`~steerlens.magnify.LinearMagnifier` of the same
        video, for comparison.
    alpha, alpha_range
        Initial amplification and the slider's ends.
    frame
        Initial frame (default: where the filtered phase change peaks).
    attenuate
        Initial state of the attenuation checkbox.
    static_frames
        Frames of the pre-computed scrubber (``0``: none; at most 24).
    display_px
        Size of each picture on the page.

    Returns
    -------
    MagnifierView

    Examples
    --------
    >>> from steerlens import magnify, signals
    >>> d = signals.sinusoidal_displacement(8, amplitude=0.2, frequency=1.0, fs=8.0)
    >>> video, _ = signals.moving_pattern(d, shape=(32, 32), wavelength=8.0)
    >>> view = magnifier(magnify.PhaseMagnifier(video, 0.5, 2.0, 8.0, height=2),
    ...                  magnify.LinearMagnifier(video, 0.5, 2.0, 8.0), static_frames=3)
    >>> view.set_alpha(20.0).alpha, view.fallback.data.count("<img")
    (20.0, 3)
    """
    check_int(static_frames, "static_frames", minimum=0)
    if static_frames == 1 or static_frames > _MAX_STATIC_FRAMES:
        raise ValueError(
            f"`static_frames` must be 0 (no scrubber) or 2 … {_MAX_STATIC_FRAMES}, got {static_frames}."
        )
    check_int(display_px, "display_px", minimum=16)
    lo, hi = (_check_number(v, "alpha_range") for v in alpha_range)
    if not lo < hi:
        raise ValueError(f"`alpha_range` must be (low, high) with low < high, got {alpha_range}.")
    alpha = _check_number(alpha, "alpha")
    if not lo <= alpha <= hi:
        raise ValueError(f"`alpha` = {alpha} lies outside `alpha_range` {alpha_range}.")
    step = _slider_step(hi - lo, 100)
    m = Magnifier(phase, linear, alpha=min(_on_grid(alpha, lo, step), hi), frame=frame, attenuate=attenuate)
    static = torch.linspace(lo, hi, static_frames) if static_frames else None
    return MagnifierView(m, alpha_range=(lo, hi), step=step, static_alphas=static, display_px=display_px)


# ---------------------------------------------------------------------------
# a generic slider view
# ---------------------------------------------------------------------------


def _slider(name: str, spec) -> ipywidgets.ValueWidget:
    import ipywidgets as w

    if isinstance(spec, w.ValueWidget):
        if not getattr(spec, "description", ""):
            spec.description = name
        return spec
    if isinstance(spec, bool):
        return w.Checkbox(value=spec, description=name)
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"slider `{name}`: an empty list of options.")
        return w.Dropdown(options=spec, value=spec[0], description=name)
    if isinstance(spec, tuple) and 2 <= len(spec) <= 4 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec
    ):
        lo, hi = spec[0], spec[1]
        if not lo < hi:
            raise ValueError(f"slider `{name}`: (min, max) needs min < max, got {spec}.")
        integer = all(isinstance(v, int) for v in spec)
        step = spec[2] if len(spec) >= 3 else (1 if integer else _slider_step(hi - lo, 100))
        value = spec[3] if len(spec) == 4 else lo
        if not lo <= value <= hi:
            raise ValueError(f"slider `{name}`: initial value {value} outside ({lo}, {hi}).")
        cls = w.IntSlider if integer else w.FloatSlider
        return cls(value=value, min=lo, max=hi, step=step, description=name, continuous_update=True)
    raise TypeError(
        f"slider `{name}` must be an ipywidgets control, a tuple (min, max[, step[, value]]), a list of "
        f"options or a bool; got {spec!r}."
    )


class SliderView:
    """A picture redrawn from slider values (see :func:`slider_view`).

    Attributes
    ----------
    widget
        ``ipywidgets.VBox``: the controls, then the ``ipywidgets.Image``.
    image
        The ``ipywidgets.Image`` (PNG bytes).
    sliders
        ``{name: control}``.
    last_render_seconds
        Wall time of the latest redraw (render + PNG encoding).
    """

    def __init__(self, render: Callable, sliders: dict, *, title: str | None, display_px: int, width: str | None):
        import ipywidgets as w

        self.render = render
        self.display_px = display_px
        self.sliders = {name: _slider(name, spec) for name, spec in sliders.items()}
        self.image = w.Image(format="png", layout=w.Layout(width=width) if width else w.Layout())
        self.status = w.HTML()
        head = [w.HTML(f"<div style='font-family:sans-serif;font-weight:bold'>{html.escape(title)}</div>")] if title else []
        self.widget = w.VBox([*head, *self.sliders.values(), self.image, self.status])
        self.widget.add_class("sl-slider-view")
        self.last_render_seconds = 0.0
        self.refresh()
        for control in self.sliders.values():
            control.observe(self.refresh, names="value")

    @property
    def values(self) -> dict[str, Any]:
        """The sliders' current values."""
        return {name: c.value for name, c in self.sliders.items()}

    def refresh(self, change=None) -> None:
        """Call the render function with the current values and show its picture."""
        start = time.perf_counter()
        self.image.value = _rendered_png(self.render(**self.values), self.display_px)
        self.last_render_seconds = time.perf_counter() - start
        self.status.value = (
            f"<div style='font-family:sans-serif;font-size:11px;color:#777'>redrawn in "
            f"{1e3 * self.last_render_seconds:.0f} ms · {html.escape(_KERNEL_NOTE)}</div>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def slider_view(
    render: Callable[..., Any],
    *,
    title: str | None = None,
    display_px: int = 0,
    width: str | None = None,
    **sliders,
) -> SliderView:
    """Sliders that redraw one picture: a lightweight replacement for ``ipywidgets.interact``.

    ``render(**values)`` is called once now and again after every change (from
    ``.observe``); what it returns is shown in an ``ipywidgets.Image``.

    Parameters
    ----------
    render
        Function of the slider values (as keyword arguments) returning a
        ``C×H×W``/``H×W`` image tensor in ``[0, 1]``, a ``B×C×H×W`` batch
        (shown side by side), a numpy array, or a matplotlib ``Figure``
        (closed after encoding; do not call ``plt.show()`` inside).
    title
        A heading above the controls.
    display_px
        Enlarge tensor pictures (sharp pixels) so their shorter side is at
        least this many pixels.
    width
        CSS width of the picture (e.g. ``"600px"``); default its natural size.
    **sliders
        One control per keyword argument of ``render``: an ipywidgets control
        (``FloatSlider(...)``, ``Dropdown(...)``), a tuple
        ``(min, max[, step[, value]])`` (ints → ``IntSlider``, else
        ``FloatSlider``), a list of options (``Dropdown``) or a bool
        (``Checkbox``).

    Returns
    -------
    SliderView
        Display it as the last expression of a cell; ``.widget`` is the
        ipywidgets box, ``.sliders`` the controls.

    Examples
    --------
    >>> import torch
    >>> view = slider_view(lambda level, invert: torch.full((1, 8, 8), 1 - level if invert else level),
    ...                    level=(0.0, 1.0, 0.1, 0.5), invert=False)
    >>> first = view.image.value
    >>> view.sliders["level"].value = 0.9          # what a reader's drag does
    >>> view.image.value != first, type(view.sliders["invert"]).__name__
    (True, 'Checkbox')
    """
    if not callable(render):
        raise TypeError(f"`render` must be callable, got {type(render).__name__}.")
    if not sliders:
        raise ValueError("give at least one slider, e.g. slider_view(render, alpha=(0.0, 10.0)).")
    check_int(display_px, "display_px", minimum=0)
    return SliderView(render, sliders, title=title, display_px=display_px, width=width)

