"""The lens: a classifier's gradient in transform coordinates, amplified.

Decompose the source ``x₀`` into coefficients ``c⁰`` (pixels, Fourier, or the
complex steerable pyramid), parameterise an edit by real fields ``δ`` (phase
increment) and ``η`` (log-amplitude increment),

    c(η, δ) = c⁰ · exp(η + iδ),       x(η, δ) = S{r_hi⁰, c(η, δ), r_lo⁰},

take the gradient of the objective ``L`` (lower = more target class) with
respect to ``δ`` and ``η`` once, at ``δ = η = 0``, and walk along the straight
line ``δ_α = −α·w_s·∂L/∂δ``, ``η_α = −α·w_s·∂L/∂η``:

    x_α = clip_[0,1](S{r_hi⁰, c⁰·exp(η_α + iδ_α), r_lo⁰}).

Everything after the one forward/backward pass is synthesis only. In the pixel
domain the line is ``x₀ − α·∂L/∂x``. In the flow domain the coordinates are a
smooth displacement field ``d`` on a coarse control grid
(:class:`~steerlens.transforms.Flow`) and the line is a warp of the source,
``x_α(u) = x₀(u − α·D(u))`` with ``D`` the upsampled ``−∂L/∂d``: pure motion.

The main entry point is :class:`SteerableLens`. Its results are
:class:`Gradient` (reusable: :meth:`SteerableLens.apply` and
:meth:`SteerableLens.frames_from_gradient` turn it into images without more
gradient work), :class:`MorphResult` and :class:`EditResult`.

Modules of the lens
-------------------
``_lens``
    :class:`SteerableLens`: settings, the gradient pass, frames, morphs, edits.
``_objectives``
    Calling the classifier: eval mode, logits checks, targets, objectives.
``_line``
    Synthesis along one gradient line (cached parts, batched frames, the
    recurrence for equally spaced ``α``).
``_budget``
    Matched-budget edits (fixed / live / persistent). It receives the gradient
    pass as a function argument and never imports the lens: data flows
    ``_lens → _budget → _results → _line``.
``_results``
    :class:`Gradient`, :class:`MorphResult`, :class:`EditResult`.
``_validate``
    Argument checks private to the lens.
"""

from __future__ import annotations

from ._lens import COMPONENTS, DOMAINS, NORMALIZATIONS, REGIMES, SteerableLens  # noqa: F401
from ._results import EditResult, Gradient, MorphResult

__all__ = [
    "SteerableLens",
    "Gradient",
    "MorphResult",
    "EditResult",
]
# DOMAINS, COMPONENTS, NORMALIZATIONS, REGIMES: the allowed settings (importable, not starred)

for _cls in (SteerableLens, Gradient, MorphResult, EditResult):
    _cls.__module__ = __name__  # documented and shown as steerlens.lens.<name>
del _cls

# The classes above report this package as their module, so doctest's finder (which
# only follows functions defined in the module it inspects) would skip their methods:
# list the methods' examples explicitly.
__test__ = {
    f"{_cls.__name__}.{_name}": _member
    for _cls in (SteerableLens, Gradient, MorphResult, EditResult)
    for _name, _member in vars(_cls).items()
    if callable(_member) and ">>>" in (_member.__doc__ or "")
}
