"""Widget views: ipywidgets controls over the logic, and static scrubbers for a page without a kernel.

:func:`explorer`, :func:`magnifier` and :func:`slider_view` build the views;
each holds its logic object (:class:`~steerlens.widgets.logic.Explorer`,
:class:`~steerlens.widgets.logic.Magnifier`) or render function and only
draws its states.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from .._checks import check_int
from ..lens import COMPONENTS, DOMAINS
from ..magnify import LinearMagnifier, PhaseMagnifier
from ..transforms import COLOR_MODES
from ._helpers import _check_number, _nice, _on_grid, _slider_step
from .logic import Explorer, ExplorerState, Magnifier, MagnifierState
from .pictures import _rendered_png, _signed_picture, _to_uint8, png_bytes

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets

__all__ = [
    "ExplorerView",
    "explorer",
    "MagnifierView",
    "magnifier",
    "SliderView",
    "slider_view",
    "FALLBACK_HEADING",
]

FALLBACK_HEADING = "No kernel? Scrub through precomputed frames"
_KERNEL_NOTE = (
    "The controls need a running kernel (launch buttons at the top of the page); "
    "without one they show the default state."
)
_TARGET_COLOR = "#ff7f0e"  # matplotlib tab:orange
_OTHER_COLOR = "#1f77b4"  # tab:blue
_MAX_STATIC_FRAMES = 24


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

    Raises
    ------
    TypeError
        If ``static_alphas`` (the scrubber's ``α``, when given) does not hold numbers.
    ValueError
        If ``static_alphas`` is empty or holds NaN/inf.
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
        """Move the slider from Python (as a reader's drag does); returns the new state.

        Raises
        ------
        TypeError
            If ``alpha`` is not a number.
        ValueError
            If ``alpha`` is not finite.
        """
        self.alpha.value = _check_number(alpha, "alpha")
        return self.explorer.state

    # -- static fallback --------------------------------------------------------------
    def _scrubber(self, alphas: Tensor):
        from IPython.display import HTML

        from ..plot import scrubber

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
        peak = int(sweep.probs[:, state.target].argmax())  # open where the target peaks
        inner = scrubber(frames, sweep.labels(), width=width, title=None, start=peak).data
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

    Raises
    ------
    TypeError
        If ``static_frames``, ``display_px`` or ``top_k`` is not an int, an entry of
        ``alpha_range`` or ``alpha`` is not a number, ``explorer_options`` holds a keyword
        :class:`Explorer` does not take, or :class:`Explorer` rejects an argument's type.
    ValueError
        If ``static_frames`` is not 0 or 2 … 24, ``display_px`` < 16, ``top_k`` < 1,
        ``alpha_range`` is not a pair ``(low, high)`` of finite numbers with low < high,
        ``alpha`` is not finite or lies outside ``alpha_range``, or :class:`Explorer`
        rejects a value (see its Raises section).

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

    Raises
    ------
    TypeError
        If an entry of ``static_alphas`` (the scrubber's ``α``, when given) is not a number.
    ValueError
        If an entry of ``static_alphas`` is not finite.
    """

    def __init__(self, magnifier: Magnifier, *, alpha_range, step, static_alphas, display_px: int):
        import ipywidgets as w

        self.magnifier = m = magnifier
        self.display_px = display_px
        self.alpha = w.FloatSlider(value=m.state.alpha, min=alpha_range[0], max=alpha_range[1], step=step,
                                   description="α", continuous_update=True, layout=w.Layout(width="420px"))
        self.frame = w.IntSlider(value=m.state.frame, min=0, max=m.num_frames - 1, description="frame",
                                 continuous_update=True, layout=w.Layout(width="420px"))
        self.attenuate = w.Checkbox(
            value=m.state.attenuate,
            description="attenuate large phases (±π/2)",
            indent=False,
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
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
        """Move the ``α`` slider from Python; returns the new state.

        Raises
        ------
        TypeError
            If ``alpha`` is not a number.
        ValueError
            If ``alpha`` is not finite.
        """
        self.alpha.value = _check_number(alpha, "alpha")
        return self.magnifier.state

    def _scrubber(self, alphas: Tensor):
        from IPython.display import HTML

        from ..plot import scrubber

        m = self.magnifier
        phase, linear = m.sweep(alphas.tolist())
        original = m.state.original.expand_as(phase)
        rows = [original, linear, phase] if linear is not None else [original, phase]
        names = "original | linear | phase-based" if linear is not None else "original | phase-based"
        labels = [f"α = {a:.3g}, frame {m.state.frame}: {names}" for a in alphas.tolist()]
        width = max(len(rows) * self.display_px, len(rows) * phase.shape[-1] + 4)
        nearest = int((alphas - float(m.state.alpha)).abs().argmin())  # open at the widget's α
        inner = scrubber(torch.stack(rows), labels, width=width, start=nearest).data
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

    Raises
    ------
    TypeError
        If ``static_frames`` or ``display_px`` is not an int, an entry of ``alpha_range`` or
        ``alpha`` is not a number, ``phase`` is not a
        :class:`~steerlens.magnify.PhaseMagnifier`, ``linear`` is neither a
        :class:`~steerlens.magnify.LinearMagnifier` nor ``None``, ``frame`` is not an int,
        or ``attenuate`` is not a bool.
    ValueError
        If ``static_frames`` is not 0 or 2 … 24, ``display_px`` < 16, ``alpha_range`` is not
        a pair ``(low, high)`` of finite numbers with low < high, ``alpha`` is not finite or
        lies outside ``alpha_range``, ``linear`` magnifies a video of another shape, or
        ``frame`` is not a frame index of the video.

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

    Raises
    ------
    TypeError
        If a slider spec is not an ipywidgets control, a tuple ``(min, max[, step[, value]])``
        of numbers, a list or a bool; or as :meth:`refresh` (the first redraw).
    ValueError
        If a slider spec is an empty list, a tuple with min ≥ max or an initial value
        outside ``(min, max)``; or as :meth:`refresh`.
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
        """Call the render function with the current values and show its picture.

        Raises
        ------
        TypeError
            If the render function returns anything but an image tensor, a numpy array or a
            matplotlib Figure, or a picture of complex, bool or non-``uint8`` integer values.
        ValueError
            If the returned picture has the wrong shape, is empty or holds NaN/inf.
        """
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

    Raises
    ------
    TypeError
        If ``render`` is not callable, ``display_px`` is not an int, a slider spec is not an
        ipywidgets control, a tuple ``(min, max[, step[, value]])`` of numbers, a list or a
        bool, or the first call of ``render`` returns no picture (see
        :meth:`SliderView.refresh`).
    ValueError
        If no slider is given, ``display_px`` < 0, a slider spec is an empty list, a tuple
        with min ≥ max or an initial value outside ``(min, max)``, or the first picture has
        the wrong shape, is empty or holds NaN/inf.

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
