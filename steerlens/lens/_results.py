"""What the lens returns: a reusable gradient, a morph, a matched-budget edit.

The classes live here so that :mod:`steerlens.lens` stays about the method; they
are exported from :mod:`steerlens.lens` (and :mod:`steerlens`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from .._checks import check_number
from ..transforms import Coefficients, Transform
from ._line import LineSynthesis

__all__ = ["Gradient", "MorphResult", "EditResult"]


@dataclass
class Gradient:
    """One forward/backward pass at a batch of images, kept for reuse.

    Produced by :meth:`~steerlens.lens.SteerableLens.gradient`; turn it into images with
    :meth:`~steerlens.lens.SteerableLens.apply` (one frame) or
    :meth:`~steerlens.lens.SteerableLens.frames_from_gradient` (a sweep) at the cost of
    synthesis only.

    Attributes
    ----------
    x
        The images the gradient was taken at, ``B×C×H×W``.
    target
        Target class per image, length ``B``.
    loss
        The objective at ``x``, per image (lower = more target).
    logits
        The model's logits at ``x``, ``B×classes``.
    coefficients
        The source coefficients ``c⁰`` (pixel domain: the image, or its ``Y``;
        flow domain: a zero control field, with the image in ``fixed["source"]``).
    grad_phase, grad_log_amplitude
        ``∂L/∂δ`` and ``∂L/∂η`` per band (``None`` when the lens's component
        does not edit that part, and in the pixel and flow domains).
    grad_pixel
        The gradient in additive coordinates (a one-element list): ``∂L/∂x``
        in the pixel domain, ``∂L/∂d`` (``B×2×g_h×g_w``, per pixel of
        displacement) in the flow domain; ``None`` in the polar domains.
    step_phase, step_log_amplitude, step_pixel
        The edit per unit ``α``: ``−w_s · gradient · unit``; ``None`` for a
        band frozen by a zero weight.
    unit
        Per image, the factor that makes ``α`` follow the lens's ``normalize``
        convention (1 for ``"none"``).
    first_order_norm
        Per image, ``‖dx/dα‖₂`` at ``α = 0``: the L2 image change of ``α = 1``
        to first order (exactly 1 for ``normalize="l2"``, 0 for a zero gradient).
    reconstruction
        The synthesis of ``c⁰``, clipped to ``[0, 1]``: the frame at ``α = 0``
        (equal to ``x`` up to the transform's round-off).
    transform
        The :class:`~steerlens.transforms.Transform` the coefficients belong to.
    domain, component, normalize
        The lens settings it was computed with.
    input_dtype
        The dtype of the images given to the lens; frames made from this
        gradient come back in it (half precision is computed in float32).

    Examples
    --------
    >>> import torch
    >>> import steerlens as sl
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    >>> g = sl.SteerableLens(model, height=1).gradient(torch.rand(1, 1, 8, 8), 2)
    >>> tuple(g.grad_phase[0].shape), round(float(g.first_order_norm), 4)  # l2 unit: 1
    ((1, 1, 4, 8, 8), 1.0)
    >>> gf = sl.SteerableLens(model, domain="flow", flow_grid=4).gradient(torch.rand(1, 1, 8, 8), 2)
    >>> tuple(gf.displacement.shape), tuple(gf.dense_displacement(2.0).shape)
    ((1, 2, 4, 4), (1, 2, 8, 8))
    """

    x: Tensor
    target: Tensor
    loss: Tensor
    logits: Tensor
    coefficients: Coefficients
    grad_phase: list[Tensor] | None
    grad_log_amplitude: list[Tensor] | None
    grad_pixel: list[Tensor] | None
    step_phase: list[Tensor | None] | None
    step_log_amplitude: list[Tensor | None] | None
    step_pixel: list[Tensor | None] | None
    unit: Tensor
    first_order_norm: Tensor
    reconstruction: Tensor
    transform: Transform
    domain: str
    component: str
    normalize: str
    input_dtype: torch.dtype | None = None
    _line: LineSynthesis | None = field(default=None, repr=False, compare=False)

    @property
    def batch_size(self) -> int:
        """``B``, the number of images."""
        return int(self.x.shape[0])

    @property
    def displacement(self) -> Tensor | None:
        """Flow domain: the control field of the edit per unit ``α`` (``None`` otherwise).

        ``B×2×g_h×g_w`` in pixels, axis 1 ordered ``(d_y, d_x)`` (``y`` down, ``x``
        right); content moves forward by it: the frame at ``α`` is
        ``x₀(u − α·D(u))`` with ``D`` the bicubic upsampling of this field. The
        control points' pixel coordinates are ``self.transform.control_positions()``;
        on an image axis (``y`` down), ``ax.quiver(xs, ys, d[b, 1], d[b, 0],
        angles="xy", scale_units="xy", scale=1)`` draws each arrow as the motion
        in pixels.
        """
        if self.domain != "flow" or not self.step_pixel or self.step_pixel[0] is None:
            return None
        return self.step_pixel[0]

    def dense_displacement(self, alpha: float = 1.0) -> Tensor | None:
        """Flow domain: the dense field ``B×2×H×W`` (pixels) at amplification ``alpha``.

        ``alpha`` times :attr:`displacement`, upsampled to the image; ``None`` for the
        other domains.

        Raises
        ------
        TypeError
            If ``alpha`` is not a number.
        ValueError
            If ``alpha`` is not finite.
        """
        a = check_number(alpha, "alpha")
        field = self.displacement
        if field is None:
            return None
        return self.transform.displacement(field * a)

    def line(self) -> LineSynthesis:
        """The cached synthesiser of this gradient's line (built on first use).

        Private machinery (:mod:`steerlens.lens._line`); use
        :meth:`~steerlens.lens.SteerableLens.apply` and
        :meth:`~steerlens.lens.SteerableLens.frames_from_gradient`.
        """
        if self._line is None:
            self._line = LineSynthesis(
                self.transform,
                self.coefficients,
                phase=self.step_phase,
                log_amplitude=self.step_log_amplitude,
                additive=self.step_pixel,
                source_image=self.reconstruction,
            )
        return self._line


@dataclass
class MorphResult:
    """Frames of a one-step extrapolation and what the model says about each.

    Attributes
    ----------
    frames
        ``B×K×C×H×W`` images in ``[0, 1]``; ``frames[:, 0]`` is the source
        (to reconstruction tolerance) when ``alphas[0] = 0``.
    alphas
        The ``K`` amplifications, in the lens's ``normalize`` unit.
    probs
        ``B×K×classes``: softmax of the model on every frame.
    target
        Target class per image.
    domain, component, normalize
        The lens settings that made the frames.

    Examples
    --------
    >>> import torch
    >>> import steerlens as sl
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
    >>> m = sl.SteerableLens(model, height=2).morph(torch.rand(1, 1, 16, 16), 1, alpha=1.0, n_frames=4)
    >>> tuple(m.target_probs.shape)
    (1, 4)
    >>> fig = m.show()                        # matplotlib strip
    >>> html = m.animate()                    # IPython.display.HTML scrubber
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     m.save_gif(pathlib.Path(d) / "m.gif").exists()
    True
    """

    frames: Tensor
    alphas: Tensor
    probs: Tensor
    target: Tensor
    domain: str = "csp"
    component: str = "phase"
    normalize: str = "l2"

    @property
    def target_probs(self) -> Tensor:
        """``B×K``: the target class's probability on every frame."""
        index = self.target.view(-1, 1, 1).expand(-1, self.probs.shape[1], 1)
        return self.probs.gather(2, index)[..., 0]

    def _labels(self, image: int | None, class_names: Sequence[str] | None) -> list[str]:
        rows = range(self.frames.shape[0]) if image is None else [image]
        names = [
            str(class_names[int(self.target[b])]) if class_names else f"class {int(self.target[b])}"
            for b in rows
        ]
        tp = self.target_probs
        labels = []
        for k, a in enumerate(self.alphas.tolist()):
            probs = " | ".join(f"p({n}) = {float(tp[b, k]):.2f}" for n, b in zip(names, rows, strict=True))
            labels.append(f"α = {a:.3g}: {probs}")
        return labels

    def show(
        self,
        image: int | None = None,
        class_names: Sequence[str] | None = None,
        title: str | None = None,
        **kwargs,
    ):
        """A strip of the frames with the target probability under each one.

        Parameters
        ----------
        image
            Which image of the batch (default: every image, one row each).
        class_names
            Names for the class indices, used in the labels.
        title
            Figure title (default: domain, component and unit of ``α``).
        **kwargs
            Passed to :func:`steerlens.plot.morph_strip` (``per_row=``,
            ``changes=True`` for change maps under the frames, ``size=``).

        Returns
        -------
        matplotlib.figure.Figure
            In a notebook end the line with ``;`` so it is drawn once.

        Examples
        --------
        >>> import torch
        >>> import steerlens as sl
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> m = sl.SteerableLens(model, height=2).morph(torch.rand(2, 1, 16, 16), 1, alpha=1.0, n_frames=3)
        >>> len(m.show(image=1, class_names=["cat", "dog", "fox"]).axes)
        3
        """
        from .. import plot

        frames, probs = self.frames, self.target_probs
        if image is not None:
            frames, probs = frames[image : image + 1], probs[image : image + 1]
        target = self.target if image is None else self.target[image : image + 1]
        names = [
            str(class_names[int(t)]) if class_names else f"class {int(t)}" for t in target
        ]
        if title is None:
            part = self.component if self.domain not in ("pixel", "flow") else ""
            title = f"{self.domain} {part} morph"
            title = " ".join(title.split()) + f" (α unit: {self.normalize})"
        return plot.morph_strip(frames, probs, self.alphas, target_names=names, title=title, **kwargs)

    def animate(
        self, image: int | None = None, class_names: Sequence[str] | None = None, **kwargs
    ):
        """An HTML/JS scrubber (slider + play button) that works in a static page.

        It opens at :meth:`peak_frame`, where the target probability peaks.
        Extra keyword arguments go to :func:`steerlens.plot.scrubber`.

        Returns
        -------
        IPython.display.HTML
            Make it the last expression of a cell (or pass it to
            ``IPython.display.display``) to show it.

        Raises
        ------
        ValueError
            If a ``start`` passed on to :func:`steerlens.plot.scrubber` is not a frame
            index.

        Examples
        --------
        >>> import torch
        >>> import steerlens as sl
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> m = sl.SteerableLens(model, height=2).morph(torch.rand(1, 1, 16, 16), 1, alpha=1.0, n_frames=3)
        >>> m.animate().data.count("<img")
        3
        """
        from .. import plot

        frames = self.frames if image is None else self.frames[image : image + 1]
        kwargs.setdefault("title", f"{self.domain} morph")
        kwargs.setdefault("start", self.peak_frame(image))
        return plot.scrubber(frames, labels=self._labels(image, class_names), **kwargs)

    def peak_frame(self, image: int | None = None) -> int:
        """The frame where the target probability peaks (mean over the batch, or of one image).

        The animations open there: the most telling frame of the morph.
        """
        tp = self.target_probs if image is None else self.target_probs[image : image + 1]
        return int(tp.mean(0).argmax())

    def save_gif(
        self,
        path: str | Path,
        image: int | None = None,
        class_names: Sequence[str] | None = None,
        **kwargs,
    ) -> Path:
        """Write the frames as an animated GIF (images of the batch side by side).

        Extra keyword arguments go to :func:`steerlens.plot.save_gif`.

        Returns
        -------
        pathlib.Path
            The written file.

        Examples
        --------
        >>> import tempfile, pathlib, torch
        >>> import steerlens as sl
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
        >>> m = sl.SteerableLens(model, height=2).morph(torch.rand(1, 1, 16, 16), 1, alpha=1.0, n_frames=3)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     m.save_gif(pathlib.Path(d) / "morph.gif", class_names=["a", "b", "c"]).stat().st_size > 0
        True
        """
        from .. import plot

        frames = self.frames if image is None else self.frames[image : image + 1]
        return plot.save_gif(frames, path, labels=self._labels(image, class_names), **kwargs)


@dataclass
class EditResult:
    """A matched-budget edit: images changed by (exactly) a requested L2 amount.

    Attributes
    ----------
    images
        The final images, ``B×C×H×W`` in ``[0, 1]``.
    distance
        ``‖images − x₀‖₂`` per image.
    budget
        The requested distance per image.
    attained
        Per image, whether the final distance lies in ``[budget, budget·(1 + rtol)]``
        (false when ``max_steps`` ran out, or the edit stalled: a zero gradient,
        or a ``fixed`` line whose distance stopped growing below the budget).
    steps
        Gradient evaluations per image (``fixed``: 1).
    probs
        ``B×classes``: softmax of the model on the final images.
    target
        Target class per image.
    path
        ``B×T×C×H×W``: the image after every step (``fixed``: ten evenly
        spaced points on the line to the final ``α``); images that stopped
        early repeat their final image.
    path_distance
        ``B×T``: ``‖path − x₀‖₂``.
    regime
        ``"fixed"``, ``"live"`` or ``"persistent"``.
    displacement
        Flow domain, ``fixed`` and ``persistent`` regimes: the control field
        ``B×2×g_h×g_w`` (pixels, ``(d_y, d_x)``) whose warp of the source is the
        final image (before the ``[0, 1]`` clip, which a bilinear warp never
        needs). ``None`` otherwise (a ``live`` edit composes one warp per step).

    Examples
    --------
    >>> import torch
    >>> import steerlens as sl
    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
    >>> x = 0.25 + 0.5 * torch.rand(1, 1, 16, 16)
    >>> e = sl.SteerableLens(model, height=2).edit(x, 2, budget=0.5, regime="fixed")
    >>> bool(e.attained), round(float(e.distance), 3), tuple(e.path.shape)
    (True, 0.5, (1, 10, 1, 16, 16))
    """

    images: Tensor
    distance: Tensor
    budget: Tensor
    attained: Tensor
    steps: Tensor
    probs: Tensor
    target: Tensor
    path: Tensor
    path_distance: Tensor
    regime: str
    displacement: Tensor | None = None

    @property
    def target_prob(self) -> Tensor:
        """The target class's probability on each final image."""
        return self.probs.gather(1, self.target[:, None])[:, 0]
