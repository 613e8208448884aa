"""steerlens: see how a classifier would move an image, through the complex steerable pyramid.

Decompose an image with an invertible transform (pixels, Fourier, complex
steerable pyramid), take the classifier's gradient with respect to the
coefficients' phase (or amplitude), and amplify that one-step gradient the
way phase-based motion magnification amplifies tiny motions.

Module map (data flows down; a module imports only modules above it or in its own row, and the
package has no import cycle: ``tests/test_lens_imports.py`` checks both)::

    _checks, _images, resample          argument checks; image↔uint8 and tiling;
                                        one home for shifts, blur, luminance
    _classifier                         the one model-call path: eval mode, logits
                                        checks, class indices, batched read-outs
    transforms/  →  lens/               coordinates; the method
         ↘  flow, magnify               implied displacements; motion magnification
    signals/, data/, models/            known-answer signals; data sets; the zoo
    evaluate/                           warps, read-outs, bootstrap, comparison, attribution
    plot, widgets/                      pictures and scrubbers; ipywidgets
    cli/  (and __main__)                the `steerlens` command: imports any of the
                                        above, imported by none of them

``resample``
    Sub-pixel translation and warps, global shift measurement, Gaussian blur
    (replicated or circular boundary) and luminance: the primitives every other
    module resamples with, each in one place.
``_classifier`` (private)
    Calling a classifier: :func:`eval_context` (every submodule in eval mode,
    each one's own mode restored), logits checks (dict outputs, 1-D logits,
    NaN/Inf), class indices and names, batched ``logits_of``. The lens and
    ``evaluate`` both read models through it.
``transforms/`` (subpackage)
    Coordinates with one interface: ``_base`` (:class:`Coefficients`,
    the ``Transform`` interface, the polar edit, YIQ colour), ``pixel``
    (:class:`Pixel`), ``fourier`` (:class:`Fourier`), ``pyramid`` (:class:`CSP`,
    an ``nn.Module`` whose masks are buffers), ``_masks`` (the pyramid's masks
    in closed form, float64, in a bounded cache) and ``warp``
    (:class:`~steerlens.transforms.Flow`: a smooth displacement field on a
    coarse control grid that warps a fixed source — the coordinates of pure
    motion, not a linear transform).
``lens/`` (subpackage)
    The method: ``_lens`` (:class:`SteerableLens`; ``domain="pixel"``,
    ``"fourier"``, ``"csp"`` or ``"flow"``), ``_objectives`` (the
    objectives; calls the model through ``_classifier``), ``_line`` (synthesis
    along a gradient line, clamped so no α overflows), ``_budget``
    (matched-budget edits; it receives the gradient pass as an argument and
    never calls back into the lens), ``_results`` (:class:`Gradient`,
    :class:`MorphResult`, :class:`EditResult`), ``_validate`` (input checks).
``flow``
    The displacement field a phase edit implies.
``magnify``
    Eulerian and phase-based motion magnification of videos.
``signals/`` (subpackage)
    ``patterns`` (gratings, Gabor patches, quadrature responses) and ``motion``
    (synthetic videos and images under a known displacement).
``data/`` (subpackage)
    ``LabeledImages`` (the one dataset base class), the synthetic blob task, the
    shipped MNIST digits, natural images and their shifts task.
``models/`` (subpackage)
    Small architectures, training (incl. L2 PGD), the shipped zoo, ImageNet
    loaders; :func:`models.eval_mode` is ``_classifier``'s context.
``evaluate/`` (subpackage)
    ``warps`` (smooth-warp fits, explained energy ``E``), ``readouts`` (target
    probability, judge agreement), ``bootstrap`` (paired bootstrap intervals) and
    ``comparison`` (the matched-budget experiment runner; the only part that
    imports the lens).
``plot``
    The book's figure style, morph strips, pyramid bands, static scrubbers, GIFs.
``widgets/`` (subpackage)
    ``logic`` (explorer and magnifier state, no ipywidgets), ``views`` (the
    ipywidgets views and their static fallbacks), ``pictures`` (PNG encoding).
``cli/`` (subpackage)
    The ``steerlens`` console script and ``python -m steerlens``: ``morph``
    (your model and images; GIF/MP4/PNG strip/CSV/JSON), ``compare`` (the
    matched-budget comparison) and ``magnify`` (a video file); ``_models``
    resolves ``--model``, ``_io`` reads images and videos and writes the files.

>>> import torch
>>> import steerlens as sl
>>> csp = sl.CSP((32, 32), height=3)
>>> x = torch.rand(1, 1, 32, 32)
>>> bool((csp.synthesize(csp.analyze(x)) - x).abs().max() < 1e-5)
True
"""

from __future__ import annotations

import importlib
import os

from ._version import __version__
from .transforms import CSP, Coefficients, Fourier, Pixel

_SUBMODULES = (
    "resample",
    "transforms",
    "flow",
    "lens",
    "magnify",
    "signals",
    "data",
    "models",
    "evaluate",
    "plot",
    "widgets",
    "exercises",
)
THREADS_ENV = "STEERLENS_NUM_THREADS"


def _threads_from_environment() -> None:
    # The thread count is torch's choice unless STEERLENS_NUM_THREADS sets it (the book's build
    # and the tests use 1 thread per process on the 2-core build machine; a laptop or Colab
    # keeps torch's default).
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer (threads per process), got "
                         f"{value!r}; unset it to let torch choose")
    import torch

    torch.set_num_threads(int(value))


_threads_from_environment()

_LAZY = {"SteerableLens": "lens", "Gradient": "lens", "MorphResult": "lens", "EditResult": "lens"}

__all__ = ["__version__", "CSP", "Fourier", "Pixel", "Coefficients", *_LAZY, *_SUBMODULES]


def __getattr__(name: str):
    # Submodules load on first use, so `import steerlens` stays fast.
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'steerlens' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_LAZY))
