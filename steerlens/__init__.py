"""steerlens: see how a classifier would move an image, through the complex steerable pyramid.

Decompose an image with an invertible transform (pixels, Fourier, complex
steerable pyramid), take the classifier's gradient with respect to the
coefficients' phase (or amplitude), and amplify that one-step gradient the
way phase-based motion magnification amplifies tiny motions.

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
_LAZY = {"SteerableLens": "lens", "MorphResult": "lens", "EditResult": "lens"}

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
