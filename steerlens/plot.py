"""Pictures for the lens: morph strips, pyramid bands, scrubbers and GIFs.

Everything here takes plain tensors (images in ``[0, 1]``), so any chapter or
widget can reuse it. :func:`scrubber` builds an animation out of HTML and a few
inline JavaScript handlers with the frames embedded as PNGs: it keeps working in
a static page (a built Jupyter Book, nbviewer, GitHub's notebook preview keeps
the first frame) because nothing needs a running kernel.

Figures come from :mod:`matplotlib.pyplot`; in a notebook end the line with
``;`` (``morph.show();``) so a returned figure is not drawn twice.
"""

from __future__ import annotations

import base64
import html
import io
import json
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ._images import as_float_image, tile_uint8, to_uint8_rgb

__all__ = [
    "COLUMN_WIDTH",
    "DPI",
    "MIN_FONT_PT",
    "use_book_style",
    "figure",
    "colorbar",
    "frames_per_row",
    "to_image",
    "morph_strip",
    "show_bands",
    "scrubber",
    "save_gif",
]

#: Width of the book's content column in inches: 685 CSS px at :data:`DPI` (the column is 688 px).
COLUMN_WIDTH = 6.85
#: Resolution of the book's figures: one figure pixel is one CSS pixel.
DPI = 100
#: The smallest font size (points) any figure of the book uses; at :data:`DPI` it is 12.5 px.
MIN_FONT_PT = 9

_BOOK_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.figsize": (COLUMN_WIDTH, 3.2),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "figure.titlesize": 11,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "image.interpolation": "nearest",
    "axes.titlelocation": "center",
}


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's house style.

    Figures are :data:`COLUMN_WIDTH` inches wide at :data:`DPI` dots per inch, so a
    figure pixel is a CSS pixel of the book's content column and nothing is shrunk;
    every font is at least :data:`MIN_FONT_PT` points; constrained layout keeps
    titles, labels and colour bars from overlapping; images are drawn with sharp
    pixels. Call it once, after ``import matplotlib.pyplot``.

    Examples
    --------
    >>> import matplotlib
    >>> use_book_style()
    >>> matplotlib.rcParams["figure.dpi"], matplotlib.rcParams["xtick.labelsize"]
    (100.0, 9.0)
    """
    import matplotlib

    matplotlib.rcParams.update(_BOOK_RC)


def figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    aspect: float = 1.0,
    width: float | None = None,
    height: float | None = None,
    **subplots_kw,
):
    """A figure sized to the book's column: ``(fig, axes)`` from ``plt.subplots``.

    Parameters
    ----------
    ncols, nrows
        Panels per row and rows.
    aspect
        Width / height of one panel (1 for square images).
    width
        Figure width in inches (default :data:`COLUMN_WIDTH`; never wider).
    height
        Figure height in inches (default: from ``aspect``, plus room for titles).
    **subplots_kw
        Passed to :func:`matplotlib.pyplot.subplots` (``sharex``, ``squeeze``, ...).

    Raises
    ------
    ValueError
        If ``ncols`` or ``nrows`` is < 1, or ``aspect`` is ≤ 0.

    Examples
    --------
    >>> fig, axes = figure(3, aspect=1.0)
    >>> float(round(fig.get_figwidth(), 2)), len(axes)
    (6.85, 3)
    """
    import matplotlib.pyplot as plt

    check_ncols = int(ncols)
    if check_ncols < 1 or int(nrows) < 1:
        raise ValueError(f"`ncols` and `nrows` must be ≥ 1, got {ncols} and {nrows}.")
    if aspect <= 0:
        raise ValueError(f"`aspect` must be positive (panel width / height), got {aspect}.")
    width = COLUMN_WIDTH if width is None else min(float(width), COLUMN_WIDTH)
    if height is None:
        height = nrows * (width / ncols) / aspect + 0.45 * nrows
    subplots_kw.setdefault("layout", "constrained")
    return plt.subplots(int(nrows), int(ncols), figsize=(width, height), **subplots_kw)


def colorbar(mappable, ax, label: str, **kwargs):
    """A colour bar with a label (the quantity and its unit), sized to its axes.

    Raises
    ------
    ValueError
        If ``label`` is empty.
    """
    if not label:
        raise ValueError("`label` must name the quantity the colours carry, e.g. 'phase (rad)'.")
    fig = ax.figure if not isinstance(ax, (list, tuple, np.ndarray)) else np.ravel(ax)[0].figure
    kwargs.setdefault("shrink", 0.9)
    return fig.colorbar(mappable, ax=ax, label=label, **kwargs)


def frames_per_row(image_width: int, limit: int = 6, width: float = COLUMN_WIDTH) -> int:
    """How many frames of ``image_width`` pixels fit a row of the column at native size or above.

    Examples
    --------
    >>> frames_per_row(28), frames_per_row(224), frames_per_row(512)
    (6, 2, 1)
    """
    return int(max(1, min(limit, (width * DPI - 40) // max(int(image_width), 1))))


def to_image(image: Tensor) -> np.ndarray:
    """A ``C×H×W`` (or ``H×W``) tensor in ``[0, 1]`` → a numpy array for ``imshow``/PIL.

    Grey images come back ``H×W``, colour images ``H×W×3``, float32 in
    ``[0, 1]``. Float values are clipped to ``[0, 1]``; ``uint8`` input
    (a tensor or an ``H×W(×3)`` array of 8-bit pixels) is divided by 255.

    Raises
    ------
    TypeError
        If ``image`` is not a tensor or array, or holds complex, bool or
        non-``uint8`` integer values.
    ValueError
        If ``image`` has the wrong shape, is empty, or holds NaN/inf (never
        drawn as NaN pixels).

    Examples
    --------
    >>> import torch
    >>> to_image(torch.rand(3, 4, 5)).shape, to_image(torch.rand(1, 4, 5)).shape
    ((4, 5, 3), (4, 5))
    >>> round(float(to_image(torch.full((1, 2, 2), 255, dtype=torch.uint8)).max()), 3)
    1.0
    >>> round(float(to_image(torch.full((1, 2, 2), 51, dtype=torch.uint8)).max()), 3)
    0.2
    """
    return as_float_image(image, "image")


def _as_batch_of_sequences(frames: Tensor) -> Tensor:
    if not isinstance(frames, Tensor):
        raise TypeError(f"`frames` must be a torch.Tensor, got {type(frames).__name__}.")
    if frames.ndim == 4:
        frames = frames[None]
    if frames.ndim != 5 or frames.shape[2] not in (1, 3):
        raise ValueError(
            f"`frames` must be K×C×H×W or B×K×C×H×W with C = 1 or 3, got shape {tuple(frames.shape)}."
        )
    return frames


def morph_strip(
    frames: Tensor,
    target_probs: Tensor | None = None,
    alphas: Sequence[float] | Tensor | None = None,
    *,
    target_names: Sequence[str] | None = None,
    title: str | None = None,
    size: float | None = None,
    per_row: int | None = None,
    changes: bool = False,
):
    """Frames in rows of at most six, the target probability under each.

    Parameters
    ----------
    frames
        ``K×C×H×W`` or ``B×K×C×H×W`` images in ``[0, 1]``.
    target_probs
        ``K`` or ``B×K`` probabilities of the target class, printed under the frames.
    alphas
        The ``K`` amplifications, printed above the frames.
    target_names
        One name per image, used in the labels (default ``"target"``).
    title
        Figure title.
    size
        Inches per frame (default: the column width shared by the frames of a row).
    per_row
        Frames per row (default: as many as fit the column at native resolution, at
        most 6); a longer sequence wraps onto more rows.
    changes
        Add under every row of frames the change from the first frame, ``x_k − x_0``
        (diverging colours, one symmetric scale, labelled colour bar): a subtle
        motion becomes visible.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``frames`` is not a tensor, or holds complex, bool or non-``uint8`` integer values.
    ValueError
        If ``frames`` is not ``K×C×H×W`` or ``B×K×C×H×W`` with ``C`` = 1 or 3, or holds NaN/inf,
        or ``alphas`` does not hold one value per frame.
    RuntimeError
        If ``target_probs`` does not hold ``K`` (or ``B×K``) values.

    Examples
    --------
    >>> import torch
    >>> fig = morph_strip(torch.rand(4, 1, 8, 8), torch.linspace(0.1, 0.9, 4), [0, 1, 2, 3])
    >>> len(fig.axes)
    4
    >>> len(morph_strip(torch.rand(9, 1, 8, 8)).axes)  # two rows of six, three left empty
    12
    """
    import matplotlib.pyplot as plt

    frames = _as_batch_of_sequences(frames)
    images, count = frames.shape[:2]
    if target_probs is not None:
        target_probs = torch.as_tensor(target_probs).reshape(images, count)
    if alphas is not None:
        alphas = torch.as_tensor(alphas).reshape(-1).tolist()
        if len(alphas) != count:
            raise ValueError(f"`alphas` has {len(alphas)} values for {count} frames.")
    names = list(target_names) if target_names is not None else ["target"] * images
    if per_row is None:
        margin = 0.8 if changes else 0.1  # room for the change maps' colour bar
        per_row = frames_per_row(frames.shape[-1], width=COLUMN_WIDTH - margin)
    per_row = max(1, min(int(per_row), count))
    wraps = -(-count // per_row)
    row_kinds = ["frame", "change"] if changes else ["frame"]
    nrows = images * wraps * len(row_kinds)
    if size is None:
        size = (COLUMN_WIDTH - (0.8 if changes else 0.1)) / per_row
    label_room = 0.25 * (target_probs is not None) + 0.25 * (alphas is not None)
    fig, axes = plt.subplots(
        nrows, per_row, squeeze=False, layout="constrained",
        figsize=(size * per_row + (0.8 if changes else 0.1), nrows * (size + label_room) + 0.5),
    )
    if changes:
        diff = frames - frames[:, :1]
        limit = float(diff.abs().max()) or 1.0
    shown = None
    for b in range(images):
        for w in range(wraps):
            for r, kind in enumerate(row_kinds):
                row = (b * wraps + w) * len(row_kinds) + r
                for j in range(per_row):
                    ax = axes[row, j]
                    ax.set_xticks([])
                    ax.set_yticks([])
                    k = w * per_row + j
                    if k >= count:
                        ax.axis("off")
                        continue
                    if kind == "frame":
                        ax.imshow(to_image(frames[b, k]), cmap="gray", vmin=0, vmax=1)
                        if alphas is not None:
                            ax.set_title(f"α = {alphas[k]:.3g}")
                        if target_probs is not None:
                            value = float(target_probs[b, k])
                            short = per_row > 4 and len(names[b]) > 6 and j > 0
                            text = f"{value:.2f}" if short else f"p({names[b]}) = {value:.2f}"
                            ax.set_xlabel(text, fontsize=MIN_FONT_PT)
                    else:
                        d = diff[b, k].mean(0).detach().to("cpu", torch.float32).numpy()
                        shown = ax.imshow(d, cmap="RdBu_r", vmin=-limit, vmax=limit)
                        if j == 0:
                            ax.set_ylabel("change")
                if changes and kind == "change" and shown is not None:
                    colorbar(shown, list(axes[row]), "$x_k - x_0$", shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


def show_bands(
    bands: Sequence[Tensor],
    part: str = "amplitude",
    *,
    image: int = 0,
    channel: int = 0,
    title: str | None = None,
    size: float | None = None,
    label: str | None = None,
):
    """A scale × orientation grid of pyramid bands (or of gradients on them).

    Parameters
    ----------
    bands
        One tensor per scale, ``B×C×K×h×w`` (complex coefficients from
        :meth:`~steerlens.transforms.CSP.analyze`, or real fields such as
        :attr:`~steerlens.lens.Gradient.grad_phase`).
    part
        ``"amplitude"`` (grey), ``"phase"`` (cyclic colour map, radians),
        ``"real"`` or ``"signed"`` (diverging, symmetric about 0, for real
        fields such as a phase gradient).
    image, channel
        Which image of the batch and which channel.
    title
        Figure title (default: ``"pyramid bands: <part>"``).
    size
        Inches per band (default: the column shared by the orientations).
    label
        Colour-bar label: the quantity and its unit (default: ``"amplitude"``,
        ``"phase (rad)"`` or ``"value"``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``part`` is not ``"amplitude"``, ``"phase"``, ``"real"`` or ``"signed"``, or
        ``bands`` is empty or holds a tensor that is not 5-D.

    Examples
    --------
    >>> import torch
    >>> from steerlens.transforms import CSP
    >>> c = CSP((32, 32), height=2).analyze(torch.rand(1, 1, 32, 32))
    >>> len(show_bands(c.bands, "phase").axes)  # 2 scales × 4 orientations + 2 colour bars
    10
    """
    import matplotlib.pyplot as plt

    parts = ("amplitude", "phase", "real", "signed")
    if part not in parts:
        raise ValueError(f"`part` must be one of {', '.join(map(repr, parts))}; got {part!r}.")
    if not bands or any(b.ndim != 5 for b in bands):
        raise ValueError("`bands` must be a non-empty list of B×C×K×h×w tensors, one per scale.")
    fields = []
    for b in bands:
        b = b.detach().to("cpu")[image, channel]
        if part == "amplitude":
            b = b.abs()
        elif part == "phase":
            b = torch.angle(b) if b.is_complex() else b
        else:
            b = b.real if b.is_complex() else b
        fields.append(b.float())
    rows, cols = len(fields), fields[0].shape[0]
    if size is None:
        size = min(1.6, (COLUMN_WIDTH - 1.2) / cols)
    if part == "phase":
        cmap, lo, hi, label = "twilight", -np.pi, np.pi, label or "phase (rad)"
    elif part == "amplitude":
        cmap, lo, hi, label = "gray", 0.0, max(float(f.max()) for f in fields), label or "amplitude"
    else:
        m = max(float(f.abs().max()) for f in fields) or 1.0
        cmap, lo, hi, label = "RdBu_r", -m, m, label or "value"
    fig, axes = plt.subplots(
        rows, cols, figsize=(min(size * cols + 1.2, COLUMN_WIDTH), size * rows + 0.6), squeeze=False,
        layout="constrained",
    )
    for s, f in enumerate(fields):
        for k in range(cols):
            ax = axes[s, k]
            shown = ax.imshow(f[k].numpy(), cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if s == 0:
                ax.set_title(f"orientation {k}")
            if k == 0:
                ax.set_ylabel(f"scale {s}")
        fig.colorbar(shown, ax=list(axes[s]), shrink=0.8, label=label if s == 0 else None)
    fig.suptitle(title or f"pyramid bands: {part}")
    return fig


def _tile(frame: Tensor) -> np.ndarray:
    """``B×C×H×W`` → one ``uint8`` picture with the images side by side (2 px gaps)."""
    return tile_uint8(to_uint8_rgb(f, "frames") for f in frame)


def _pil_frames(frames: Tensor, scale: int | None):
    from PIL import Image

    frames = _as_batch_of_sequences(frames)
    height = frames.shape[-2]
    if scale is None:
        scale = max(1, -(-128 // height))  # small images are enlarged to ≥ 128 px, pixels kept sharp
    out = []
    for k in range(frames.shape[1]):
        picture = Image.fromarray(_tile(frames[:, k]))
        if scale > 1:
            picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
        out.append(picture)
    return out


def scrubber(
    frames: Tensor,
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    width: int | None = None,
    interval_ms: int = 250,
    start: int | None = None,
):
    """An animation that needs no kernel: a slider, a play button, embedded PNG frames.

    Parameters
    ----------
    frames
        ``K×C×H×W``, or ``B×K×C×H×W`` (the ``B`` images of a frame side by side).
    labels
        One caption per frame (e.g. ``"α = 2: p(cat) = 0.71"``), shown under the picture.
    title
        A heading above the animation.
    width
        Display width in CSS pixels (default: at least 256; pixels stay sharp).
    interval_ms
        Delay between frames when playing.
    start
        The frame shown when the page opens (default: the last frame, where a
        morph has gone furthest; never a blank first frame). Negative values
        count from the end.

    Returns
    -------
    IPython.display.HTML
        Display it (last expression of a cell, or ``IPython.display.display``).
        Its ``.data`` is a self-contained HTML snippet that can also be written to
        a file.

    Raises
    ------
    TypeError
        If ``frames`` is not a tensor, or holds complex, bool or non-``uint8`` integer values.
    ValueError
        If ``frames`` is not ``K×C×H×W`` or ``B×K×C×H×W`` with ``C`` = 1 or 3, or holds NaN/inf,
        ``labels`` does not hold one entry per frame, or ``start`` is not a frame index in
        ``[-K, K - 1]``.

    Examples
    --------
    >>> import torch
    >>> widget = scrubber(torch.rand(3, 1, 8, 8), ["a", "b", "c"])
    >>> widget.data.count("<img"), 'type="range"' in widget.data
    (3, True)
    """
    from IPython.display import HTML

    pictures = _pil_frames(frames, scale=1)
    k = len(pictures)
    if labels is not None:
        labels = [str(s) for s in labels]
        if len(labels) != k:
            raise ValueError(f"`labels` has {len(labels)} entries for {k} frames.")
    if start is None:
        start = k - 1
    if not isinstance(start, (int, np.integer)) or isinstance(start, bool) or not -k <= start < k:
        raise ValueError(f"`start` must be a frame index in [-{k}, {k - 1}], got {start!r}.")
    start = int(start) % k
    if width is None:
        width = max(256, pictures[0].width)
    uid = f"sl-scrub-{uuid.uuid4().hex[:10]}"
    images = []
    for i, p in enumerate(pictures):
        buffer = io.BytesIO()
        p.save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        hidden = "" if i == start else "display:none;"
        images.append(
            f'<img src="data:image/png;base64,{data}" alt="frame {i}" '
            f'style="{hidden}width:{width}px;image-rendering:pixelated;">'
        )
    show = (
        f"var r=document.getElementById('{uid}');var i=+this.value;"
        "r.querySelectorAll('img').forEach(function(m,j){m.style.display=j===i?'':'none';});"
        "var l=JSON.parse(r.dataset.labels);r.querySelector('.sl-label').textContent=l[i]||'';"
    )
    play = (
        f"var r=document.getElementById('{uid}');var s=r.querySelector('input');"
        "if(r.timer){clearInterval(r.timer);r.timer=null;this.textContent='▶ play';return;}"
        "this.textContent='❚❚ pause';r.timer=setInterval(function(){"
        f"s.value=(+s.value+1)%{k};s.oninput();}},{int(interval_ms)});"
    )
    label_json = html.escape(json.dumps(labels or [""] * k, ensure_ascii=False), quote=True)
    first = html.escape(labels[start]) if labels else ""
    heading = f"<div style='font-weight:bold;margin-bottom:4px'>{html.escape(title)}</div>" if title else ""
    snippet = (
        f'<div id="{uid}" class="sl-scrubber" data-labels="{label_json}" '
        f'style="font-family:sans-serif;font-size:13px;display:inline-block">'
        f"{heading}{''.join(images)}"
        f'<div style="display:flex;align-items:center;gap:8px;margin-top:4px">'
        f'<button type="button" onclick="{html.escape(play, quote=True)}">▶ play</button>'
        f'<input type="range" min="0" max="{k - 1}" value="{start}" step="1" style="flex:1" '
        f'oninput="{html.escape(show, quote=True)}" aria-label="frame">'
        f"</div>"
        f'<div class="sl-label" style="margin-top:2px">{first}</div>'
        f"</div>"
    )
    return HTML(snippet)


def _caption_font():
    """DejaVu Sans from matplotlib (it has α and Greek); PIL's bitmap font otherwise."""
    from matplotlib import font_manager
    from PIL import ImageFont

    try:
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 11)
    except OSError:  # pragma: no cover - matplotlib always ships DejaVu Sans
        return ImageFont.load_default()


def save_gif(
    frames: Tensor,
    path: str | Path,
    labels: Sequence[str] | None = None,
    *,
    duration_ms: int = 250,
    scale: int | None = None,
    loop: int = 0,
) -> Path:
    """Write frames as an animated GIF.

    Parameters
    ----------
    frames
        ``K×C×H×W``, or ``B×K×C×H×W`` (images of a frame side by side).
    path
        Where to write (``.gif``).
    labels
        Optional caption per frame, drawn under the picture.
    duration_ms
        Time per frame.
    scale
        Integer enlargement (default: enough to make the frames ≥ 128 px tall).
    loop
        Number of loops; 0 loops forever.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``frames`` is not a tensor, or holds complex, bool or non-``uint8`` integer values.
    ValueError
        If ``frames`` is not ``K×C×H×W`` or ``B×K×C×H×W`` with ``C`` = 1 or 3, or holds NaN/inf,
        or ``labels`` does not hold one entry per frame.

    Examples
    --------
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = save_gif(torch.rand(3, 1, 8, 8), Path(d) / "m.gif")
    ...     out.stat().st_size > 0
    True
    """
    from PIL import Image, ImageDraw

    pictures = _pil_frames(frames, scale)
    if labels is not None:
        labels = [str(s) for s in labels]
        if len(labels) != len(pictures):
            raise ValueError(f"`labels` has {len(labels)} entries for {len(pictures)} frames.")
        font = _caption_font()
        measure = ImageDraw.Draw(pictures[0])
        width = max([pictures[0].width] + [int(measure.textlength(t, font=font)) + 4 for t in labels])
        captioned = []
        for p, text in zip(pictures, labels, strict=True):
            canvas = Image.new("RGB", (width, p.height + 16), "white")
            canvas.paste(p, ((width - p.width) // 2, 0))
            ImageDraw.Draw(canvas).text((2, p.height + 2), text, fill="black", font=font)
            captioned.append(canvas)
        pictures = captioned
    path = Path(path)
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], duration=int(duration_ms), loop=int(loop)
    )
    return path
