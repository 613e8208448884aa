"""steerlens: see how a classifier would move an image, through the complex steerable pyramid.

Decompose an image with an invertible transform (pixels, Fourier, complex
steerable pyramid), take the classifier's gradient with respect to the
coefficients' phase (or amplitude), and amplify that one-step gradient the
way phase-based motion magnification amplifies tiny motions.

Module map (data flows left to right; no module imports one to its right)::

    transforms  →  lens  →  (evaluate, plot, widgets)
         ↘  flow, magnify

``transforms/`` (subpackage)
    Invertible coordinates with one interface: ``_base`` (:class:`Coefficients`,
    the ``Transform`` interface, the polar edit, YIQ colour), ``pixel``
    (:class:`Pixel`), ``fourier`` (:class:`Fourier`), ``pyramid`` (:class:`CSP`,
    an ``nn.Module`` whose masks are buffers) and ``_masks`` (the pyramid's masks
    in closed form, float64, in a bounded cache).
``lens/`` (subpackage)
    The method: ``_lens`` (:class:`SteerableLens`), ``_objectives`` (calling the
    model: eval mode, logits checks, objectives), ``_line`` (synthesis along a
    gradient line), ``_budget`` (matched-budget edits; it receives the gradient
    pass as an argument), ``_results`` (:class:`Gradient`, :class:`MorphResult`,
    :class:`EditResult`).
``flow``
    The displacement field a phase edit implies.
``magnify``
    Eulerian and phase-based motion magnification of videos.

>>> import torch
>>> import steerlens as sl
>>> csp = sl.CSP((32, 32), height=3)
>>> x = torch.rand(1, 1, 32, 32)
>>> bool((csp.synthesize(csp.analyze(x)) - x).abs().max() < 1e-5)
True
"""

from __future__ import annotations

import importlib

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
)
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
