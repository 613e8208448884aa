"""Live amplification control: explorers that stay cheap to move and still read without a kernel.

A slider over the amplification ``α`` is only pleasant when a move is fast.
The lens makes that possible: after one forward/backward pass (a
:class:`~steerlens.lens.Gradient`), every ``α`` is one synthesis, plus one
forward pass to read the classifier's probabilities; and since the line is
fixed by the gradient, the explorer precomputes it once (every slider
position's frame in one batch, the readout at a few): a move is a lookup,
the readout between known ones interpolated until the slider rests. Phase-based motion
magnification is the same story: :class:`~steerlens.magnify.PhaseMagnifier`
caches the decomposition, and a new ``α`` costs one synthesis.

Each tool comes in two layers, so the logic can be tested without a browser
(modules :mod:`~steerlens.widgets.logic`, :mod:`~steerlens.widgets.views`,
:mod:`~steerlens.widgets.pictures`; every name is available from here):

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
>>> _ = ex.precompute()                            # the whole line, once per gradient
>>> ex.set_alpha(float(ex.alpha_grid[3]), exact=False).frame.shape   # a lookup
torch.Size([1, 28, 28])
"""

from .logic import Explorer, ExplorerState, ExplorerSweep, Magnifier, MagnifierState
from .pictures import png_bytes
from .views import (
    FALLBACK_HEADING as FALLBACK_HEADING,
)
from .views import (
    ExplorerView,
    MagnifierView,
    SliderView,
    explorer,
    magnifier,
    slider_view,
)

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
