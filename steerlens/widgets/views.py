"""Widget views: ipywidgets controls over the logic, and static scrubbers for a page without a kernel.

:func:`explorer`, :func:`magnifier` and :func:`slider_view` build the views;
each holds its logic object (:class:`~steerlens.widgets.logic.Explorer`,
:class:`~steerlens.widgets.logic.Magnifier`) or render function and only
draws its states.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from .._checks import check_int
from ..lens import COMPONENTS, DOMAINS
from ..magnify import LinearMagnifier, PhaseMagnifier
from ..transforms import COLOR_MODES
from ._helpers import _check_number, _check_range, _on_grid, _slider_step
from .logic import LINE_POSITIONS, Explorer, ExplorerState, Magnifier, MagnifierState
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
#: Shown in a live notebook front-end (JupyterLab, Notebook, where the widget's own controls
#: respond) never; elsewhere (a built page) under the widget. The rule hides ``sl-static-only``
#: inside the output areas of JupyterLab/Notebook 7 (``jp-OutputArea-output``) and of the
#: classic notebook (``output_subarea``); a front-end that strips the ``<style>`` shows it.
_STATIC_ONLY_CSS = (
    "<style>.jp-OutputArea-output .sl-static-only,.output_subarea .sl-static-only"
    "{display:none!important}</style>"
)
_KERNEL_NOTE = (
    "On a static page these controls show the state saved when the page was built; "
    "moving them needs the notebook running in Jupyter, with its kernel."
)
_STATIC_NOTE_HTML = (
    f"{_STATIC_ONLY_CSS}<div class='sl-static-only' style='color:#777;font-size:11px;"
    f"font-family:sans-serif'>{html.escape(_KERNEL_NOTE)}</div>"
)
_FALLBACK_NOTE = (
    "The controls above respond only in a running notebook; these frames were computed when "
    "the page was built."
)
#: Pictures of a static scrubber shrink with a narrow column and keep their aspect ratio.
_FIT_CSS = "<style>.sl-fit .sl-scrubber{max-width:100%}.sl-fit img{max-width:100%;height:auto}</style>"
#: Seconds the slider must rest before the kernel reads the exact probabilities.
_REST_SECONDS = 0.12
_TARGET_COLOR = "#ff7f0e"  # matplotlib tab:orange
_OTHER_COLOR = "#1f77b4"  # tab:blue
_MAX_STATIC_FRAMES = 24


def _probability_bars(state: ExplorerState, top_k: int) -> str:
    """HTML bar chart of the class probabilities (target in orange and named; ticks at the source's)."""
    probs = state.probs.tolist()
    source = state.source_probs.tolist()
    order = list(range(len(probs)))
    if len(order) > top_k:
        order = sorted(order, key=lambda k: -probs[k])[:top_k]
        if state.target not in order:
            order[-1] = state.target
    eq = "=" if state.exact else "≈"
    rows = []
    for k in order:
        p, p0 = probs[k], source[k]
        target = k == state.target
        color = _TARGET_COLOR if target else _OTHER_COLOR
        weight = "bold" if k == state.predicted else "normal"
        name = html.escape(state.class_names[k])
        mark = (f"<span style='color:{_TARGET_COLOR};font-weight:bold' title='target'>▶ </span>"
                if target else "")
        rows.append(
            "<div style='display:flex;align-items:center;gap:6px;height:16px'>"
            f"<span style='width:6.5em;text-align:right;font-weight:{weight};overflow:hidden;"
            f"text-overflow:ellipsis;white-space:nowrap' title='{name}'>{mark}{name}</span>"
            "<span style='position:relative;display:inline-block;width:110px;height:11px;"
            f"background:#eee;flex:0 0 110px;{f'outline:1px solid {_TARGET_COLOR}' if target else ''}'>"
            f"<span style='position:absolute;left:0;top:0;bottom:0;width:{100 * p:.1f}%;"
            f"background:{color}'></span>"
            f"<span title='at α = 0' style='position:absolute;left:{100 * p0:.1f}%;top:-2px;"
            "bottom:-2px;width:2px;background:#333'></span></span>"
            f"<span style='width:3.5em'>{'' if state.exact else '≈'}{p:.2f}</span></div>"
        )
    target_name = html.escape(state.class_names[state.target])
    legend = (
        f"<div style='color:#555;margin-top:3px'><span style='color:{_TARGET_COLOR}'>▶ ■</span> "
        f"target ({target_name}); bold: top class; tick: at α = 0</div>"
    )
    return (
        "<div class='sl-probabilities' style='font-family:sans-serif;font-size:12px'>"
        "<div style='font-weight:bold;margin-bottom:3px'>class probabilities · "
        f"<span class='sl-target' style='color:{_TARGET_COLOR}'>p({target_name}) {eq} "
        f"{state.target_prob:.2f}</span></div>"
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

    A drag is a lookup in the explorer's precomputed line (the frame at every
    slider position, the readout where known, else interpolated and marked
    ``≈``); when the slider rests, the kernel reads the exact probabilities
    of the position shown and then of the others, one forward pass at a time
    (:meth:`refine`; without a running event loop, call it yourself).

    Attributes
    ----------
    explorer
        The :class:`Explorer` (logic and state).
    widget
        The ``ipywidgets.VBox`` of controls and pictures; its children are
        also reachable by name: ``alpha`` (the slider), ``widen`` (the button
        that doubles the ``α`` range), ``model``, ``image``, ``target``,
        ``domain``, ``component``, ``color``, ``scales`` (one toggle per
        scale), ``source``, ``frame``, ``difference`` (the
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
        static_alphas: Tensor | None,
        display_px: int,
        top_k: int,
        alpha_range: tuple[float, float] | None = None,
        step: float | None = None,
    ):
        import ipywidgets as w

        self.explorer = ex = explorer
        self.display_px = display_px
        self.top_k = top_k
        self.last_update_seconds = 0.0
        self._quiet = False  # True while the view itself moves the slider
        self._from_python = False
        self._pending = None  # the scheduled refinement: (event loop, asyncio.TimerHandle)
        # Jupyter kernels with subshells (ipykernel ≥ 7, JupyterLab ≥ 4.4) may run widget
        # messages and the refinement's callbacks on different threads: one at a time.
        self._lock = threading.RLock()
        self._png: dict[tuple, tuple[bytes, bytes, float]] = {}
        s = ex.settings
        narrow = w.Layout(width="210px", max_width="100%")
        self.model = w.Dropdown(options=list(ex.models), value=s["model"], layout=narrow)
        self.image = w.Dropdown(options=[(n, k) for k, n in enumerate(ex.image_names)], value=s["image"],
                                layout=narrow)
        self.target = w.Dropdown(
            options=[(n if n == str(k) else f"{k}: {n}", k) for k, n in enumerate(ex.class_names)],
            value=s["target"], layout=w.Layout(width="150px", max_width="100%"),
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
        low, high = ex.alpha_range if alpha_range is None else alpha_range
        self.alpha = w.FloatSlider(
            value=ex.alpha, min=low, max=high, step=ex.alpha_step if step is None else step,
            continuous_update=True, readout_format=".3g", layout=w.Layout(width="420px", max_width="100%"),
        )
        self.widen = w.Button(description="widen α range ×2", tooltip="double both ends of the α range",
                              layout=w.Layout(width="auto"))
        self.range_note = w.HTML()
        size = w.Layout(width="100%", height="auto", object_fit="contain")
        self.source = w.Image(format="png", layout=size)
        self.frame = w.Image(format="png", layout=w.Layout(width="100%", height="auto", object_fit="contain"))
        self.difference = w.Image(format="png", layout=w.Layout(width="100%", height="auto", object_fit="contain"))
        self.source_caption = w.HTML(_caption("source (α = 0)"))
        self.frame_caption = w.HTML()
        self.difference_caption = w.HTML()
        self.probabilities = w.HTML(layout=w.Layout(margin="0 0 0 6px", flex="0 1 auto", max_width="100%"))
        self.status = w.HTML()
        self.settings_line = w.HTML()

        menus = [_labelled("image", self.image), _labelled("target", self.target, "52px")]
        rows = [w.HBox([_labelled("model", self.model)]) if len(ex.models) > 1 else None,
                w.HBox(menus, layout=w.Layout(flex_flow="row wrap")),
                _labelled("domain", self.domain), _labelled("component", self.component),
                _labelled("colour", self.color) if ex.is_color else None,
                _labelled("scales", w.HBox(self.scales, layout=w.Layout(flex_flow="row wrap"))),
                w.HBox([_labelled("α", self.alpha), self.widen],
                       layout=w.Layout(flex_flow="row wrap", align_items="center")),
                self.range_note]

        def panel(caption, picture):
            return w.VBox([caption, picture], layout=w.Layout(
                flex="1 1 0px", min_width="48px", max_width=f"{display_px}px", margin="0 4px 0 0"))

        # Pictures bottom-aligned (a caption that wraps in a narrow column lifts only its own
        # picture's top), the bar chart beside them or, in a narrow column, below.
        trio = w.HBox(
            [panel(self.source_caption, self.source), panel(self.frame_caption, self.frame),
             panel(self.difference_caption, self.difference)],
            layout=w.Layout(align_items="flex-end", flex="1 1 auto", max_width=f"{3 * display_px + 12}px"),
        )
        pictures = w.HBox(
            [trio, self.probabilities],
            layout=w.Layout(align_items="flex-start", flex_flow="row wrap", margin="6px 0 0 0"),
        )
        self.widget = w.VBox(
            [*(r for r in rows if r is not None), pictures, self.settings_line, self.status,
             w.HTML(_STATIC_NOTE_HTML)]
        )
        self.widget.add_class("sl-explorer")
        for name in ("alpha", "widen", "model", "image", "target", "domain", "component", "color", "scales",
                     "source", "frame", "difference", "probabilities", "status"):
            setattr(self.widget, name, getattr(self, name))

        self._draw(ex.state, full=True)
        self._status(ex.state, ex.state.update_seconds)
        self.alpha.observe(self._on_alpha, names="value")
        for menu in (self.model, self.image, self.target, self.domain, self.component, self.color):
            menu.observe(self._on_setting, names="value")
        for toggle in self.scales:
            toggle.observe(self._on_setting, names="value")
        self.widen.on_click(self._on_widen)
        self.fallback = self._scrubber(static_alphas) if static_alphas is not None else None

    # -- drawing --------------------------------------------------------------------
    def _pictures(self, state: ExplorerState) -> tuple[bytes, bytes, float]:
        """PNG bytes of the frame and the difference (cached per setting and α: a lookup)."""
        key = (self.explorer._key(), round(state.alpha, 9))
        cached = self._png.get(key)
        if cached is None:
            picture, limit = _signed_picture(state.difference)
            cached = (png_bytes(state.frame, self.display_px), png_bytes(picture, self.display_px), limit)
            if len(self._png) >= 4 * (LINE_POSITIONS + 1):
                self._png.pop(next(iter(self._png)))
            self._png[key] = cached
        return cached

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
            self._range_text(state)
        frame, difference, limit = self._pictures(state)
        self.frame.value = frame
        self.difference.value = difference
        self.frame_caption.value = _caption(f"frame at α = {state.alpha:.3g}")
        self.difference_caption.value = _caption(f"change (±{limit:.2g})")
        self.probabilities.value = _probability_bars(state, self.top_k)

    def _range_text(self, state: ExplorerState) -> None:
        ex = self.explorer
        low, high = ex.alpha_range
        line = ex._line()
        known = line.known(high)
        end = float((known or line.interpolate(high))[0][state.target])
        text = (f"α from {low:g} to {high:g} in steps of {ex.alpha_step:g} "
                f"({'fixed' if ex._fixed_range is not None else 'adapted to this image and target'}; "
                f"{len(line.alphas)} precomputed frames)")
        if end < 0.5:
            text += (f" · p({ex.class_names[state.target]}) is {'' if known else 'about '}{end:.2f} "
                     f"at α = {high:g}: widen the range to go further")
        self.range_note.value = f"<div style='font-family:sans-serif;font-size:11px;color:#555'>{html.escape(text)}</div>"

    def _status(self, state: ExplorerState, seconds: float, note: str = "") -> None:
        self.last_update_seconds = seconds
        pending = "" if state.exact else " · readout interpolated (≈) until the slider rests"
        self.status.value = (
            "<div class='sl-status' style='font-family:sans-serif;font-size:12px'>"
            f"{html.escape(state.readout())}<br><span style='color:#777'>update {1e3 * seconds:.1f} ms"
            f"{html.escape(note + pending)} · gradients computed so far: {state.gradient_evaluations}</span></div>"
        )

    def _on_alpha(self, change) -> None:
        if self._quiet:
            return
        with self._lock:
            start = time.perf_counter()
            exact = self._from_python
            state = self.explorer.set_alpha(change["new"], exact=exact)
            self._draw(state)
            self._status(state, time.perf_counter() - start, " (lookup + PNG)" if not exact else "")
            if not state.exact:
                self._schedule_refine()

    # -- refinement: exact readouts when the slider rests -------------------------------
    def _schedule_refine(self) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python, tests): call refine() yourself
            loop = None
        if self._pending is not None:
            pending_loop, handle = self._pending
            if pending_loop is loop:
                handle.cancel()
            else:  # scheduled from another thread's loop
                pending_loop.call_soon_threadsafe(handle.cancel)
            self._pending = None
        if loop is not None:
            self._pending = (loop, loop.call_later(_REST_SECONDS, self._refine_step))

    def _refine_step(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        if not self._lock.acquire(blocking=False):  # a move or a setting is being handled
            self._pending = (loop, loop.call_later(_REST_SECONDS, self._refine_step))
            return
        try:
            self._pending = None
            left = self.refine(1)
            if left:
                self._pending = (loop, loop.call_later(0.01, self._refine_step))
        finally:
            self._lock.release()

    def refine(self, count: int = 1) -> int:
        """Read exact probabilities: the position shown first, then ``count − 1`` more nearby.

        What the view does by itself when the slider rests (with a running
        event loop, as in a Jupyter kernel).

        Returns
        -------
        int
            Positions of the line still interpolated.

        Raises
        ------
        TypeError
            If ``count`` is not an int.
        ValueError
            If ``count`` < 1.
        """
        with self._lock:
            was_exact = self.explorer.state.exact
            left = self.explorer.refine(count)
            state = self.explorer.state
            if not was_exact:
                self.probabilities.value = _probability_bars(state, self.top_k)
                self._status(state, self.last_update_seconds, " (exact readout)")
            if left == 0 or not was_exact:
                self._range_text(state)
            return left

    # -- settings ---------------------------------------------------------------------
    def _move_slider(self, value: float) -> None:
        """Set the slider's range and step to the explorer's line, and its value, without observers."""
        ex = self.explorer
        low, high = ex.alpha_range
        self._quiet = True
        try:
            with self.alpha.hold_trait_notifications():
                self.alpha.step = ex.alpha_step
                if low > self.alpha.max:
                    self.alpha.max = high
                    self.alpha.min = low
                else:
                    self.alpha.min = low
                    self.alpha.max = high
                self.alpha.value = value
        finally:
            self._quiet = False

    def _settle_alpha(self) -> float:
        """The current α moved into the line's range and onto its grid."""
        ex = self.explorer
        low, high = ex.alpha_range
        return min(max(_on_grid(ex.alpha, low, ex.alpha_step), low), high)

    def _on_setting(self, change=None) -> None:
        start = time.perf_counter()
        chosen = tuple(k for k, t in enumerate(self.scales) if t.value)
        if not chosen:  # at least one scale: re-enable the one just switched off
            change["owner"].value = True
            return
        with self._lock:
            ex = self.explorer
            before = ex.gradient_evaluations
            self.status.value = "<div style='font-family:sans-serif;font-size:12px'>computing the gradient…</div>"
            ex._apply_settings(
                model=self.model.value, image=self.image.value, target=self.target.value,
                domain=self.domain.value, component=self.component.value, color=self.color.value,
                scales=chosen,
            )
            alpha = self._settle_alpha()
            self._move_slider(alpha)
            state = ex.set_alpha(alpha)
            self._draw(state, full=True)
            note = " (new gradient" if state.gradient_evaluations > before else " (cached gradient"
            self._status(state, time.perf_counter() - start, note + " + precomputed line)")

    def _on_widen(self, button=None) -> None:
        with self._lock:
            start = time.perf_counter()
            ex = self.explorer
            ex.widen(2.0)
            alpha = self._settle_alpha()
            self._move_slider(alpha)
            state = ex.set_alpha(alpha)
            self._draw(state, full=True)
            self._status(state, time.perf_counter() - start, " (range widened, line precomputed)")

    def set_alpha(self, alpha: float) -> ExplorerState:
        """Move the slider from Python (as a reader's drag does); returns the new, exact state.

        Raises
        ------
        TypeError
            If ``alpha`` is not a number.
        ValueError
            If ``alpha`` is not finite.
        """
        value = _check_number(alpha, "alpha")
        self._from_python = True
        try:
            if value == self.alpha.value:
                self._on_alpha({"new": value})
            else:
                self.alpha.value = value
        finally:
            self._from_python = False
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
            f"{_STATIC_ONLY_CSS}{_FIT_CSS}"
            "<details open class='sl-explorer-fallback sl-static-only sl-fit' style='margin-top:6px'>"
            f"<summary style='font-family:sans-serif;font-weight:bold;cursor:pointer'>{FALLBACK_HEADING}"
            "</summary><div style='font-family:sans-serif;font-size:12px;margin:4px 0'>"
            f"{html.escape(_FALLBACK_NOTE)} {html.escape(_settings_text(ex, state))}. Left: source; "
            "middle: frame; right: frame − source (red brighter, blue darker; each frame scaled to its "
            f"largest change).</div>{inner}</details>"
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
    the class probabilities, all updated together on every slider move. The
    gradient is cached per setting, and the whole ``α`` line is precomputed
    once per gradient (:meth:`Explorer.precompute`): a move is a lookup, the
    readout interpolated (``≈``) where not yet read, and read exactly when the
    slider rests. Below the live widget, a scrubber over pre-computed frames
    (from ``α = 0`` to the slider's end) keeps a static page meaningful; a
    live JupyterLab or Notebook hides it.

    Parameters
    ----------
    model, images
        As for :class:`Explorer` (e.g. ``explorer("mnist_cnn")`` uses the
        model's test images).
    alpha_range
        The slider's ends, fixed. Default: adapted to every new gradient
        (image, target, domain, …): ``(−a/4, a)`` with ``a`` twice the ``α``
        at which the target's probability first exceeds 0.5 (else peaks) on
        a few probe frames (:meth:`Explorer.precompute`). Either way the
        slider has at most 25 positions (a 1-2-2.5-5 step), all precomputed,
        and a button doubles the range.
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
    if alpha_range is not None:
        alpha_range = _check_range(alpha_range, "alpha_range")
    if alpha is not None:
        alpha = _check_number(alpha, "alpha")
        if alpha_range is not None and not alpha_range[0] <= alpha <= alpha_range[1]:
            raise ValueError(f"`alpha` = {alpha} lies outside `alpha_range` {alpha_range}.")
    ex = Explorer(model, images, alpha_range=alpha_range, **explorer_options)
    ex.precompute()
    lo, hi = ex.alpha_range
    alpha = hi / 2 if alpha is None else min(max(alpha, lo), hi)
    ex.set_alpha(min(max(_on_grid(alpha, lo, ex.alpha_step), lo), hi))
    static = torch.linspace(max(lo, 0.0), hi, static_frames) if static_frames else None
    return ExplorerView(ex, static_alphas=static, display_px=display_px, top_k=top_k)


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
                                   description="α", continuous_update=True, readout_format=".3g",
                                   layout=w.Layout(width="420px", max_width="100%"))
        self.frame = w.IntSlider(value=m.state.frame, min=0, max=m.num_frames - 1, description="frame",
                                 continuous_update=True, layout=w.Layout(width="420px", max_width="100%"))
        # The label is an HTML widget beside a bare checkbox: it wraps instead of being cut.
        self.attenuate = w.Checkbox(value=m.state.attenuate, indent=False,
                                    layout=w.Layout(width="auto", flex="0 0 auto"))
        attenuate_label = w.HTML(
            "<div style='font-family:sans-serif;font-size:13px'>attenuate large phases (clip to ±π/2)</div>",
            layout=w.Layout(flex="1 1 auto", min_width="0"),
        )

        def picture():
            return w.Image(format="png", layout=w.Layout(width="100%", height="auto", object_fit="contain"))

        self.original = picture()
        self.phase_based = picture()
        self.linear = picture() if m.linear is not None else None
        self.captions = {name: w.HTML() for name in ("original", "linear", "phase_based")}
        self.status = w.HTML()

        def panel(name, image):
            return w.VBox([self.captions[name], image], layout=w.Layout(
                flex="1 1 0px", min_width="48px", max_width=f"{display_px}px", margin="0 4px 0 0"))

        panels = [panel("original", self.original)]
        if self.linear is not None:
            panels.append(panel("linear", self.linear))
        panels.append(panel("phase_based", self.phase_based))
        self.widget = w.VBox(
            [self.alpha, self.frame, w.HBox([self.attenuate, attenuate_label], layout=w.Layout(align_items="center")),
             w.HBox(panels, layout=w.Layout(align_items="flex-end")), self.status,
             w.HTML(_STATIC_NOTE_HTML)]
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
            f"{_STATIC_ONLY_CSS}{_FIT_CSS}"
            "<details open class='sl-magnifier-fallback sl-static-only sl-fit' style='margin-top:6px'>"
            f"<summary style='font-family:sans-serif;font-weight:bold;cursor:pointer'>{FALLBACK_HEADING}"
            "</summary><div style='font-family:sans-serif;font-size:12px;margin:4px 0'>"
            f"{html.escape(_FALLBACK_NOTE)}</div>{inner}</details>"
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
    step = _slider_step(hi - lo, 40)  # at most 40 positions: every keyboard step shows
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
            f"{1e3 * self.last_render_seconds:.0f} ms<span class='sl-static-only'> · "
            f"{html.escape(_KERNEL_NOTE)}</span></div>{_STATIC_ONLY_CSS}"
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
