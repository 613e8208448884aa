"""Measures for morphs: is an edit evidence about the classes, or only about the classifier?

Three things are reported separately for every edit (Mahdisoltani & Fleet, "Confidence is not
evidence"):

1. **driver confidence** — the target probability under the classifier that made the edit;
2. **transfer** — whether independently trained *judges* also predict the target;
3. **smooth-warp compatibility** ``E`` — the share of the edit's energy ``‖x₁ − x₀‖²`` that the
   best smooth warp of the source explains (:func:`warp_energy`).

Uncertainty comes from a percentile bootstrap over source images, paired across methods
(:func:`paired_bootstrap`, :func:`paired_difference`).

The subpackage has one module per idea; every name is available from here:

- :mod:`~steerlens.evaluate.warps` — :func:`warp_energy`, :func:`fit_smooth_warp`,
  :class:`SmoothWarpFit`;
- :mod:`~steerlens.evaluate.readouts` — :func:`target_probability`, :func:`judge_agreement`,
  :func:`pick_targets`, all through one model-call path (eval mode restored, checked logits,
  batches);
- :mod:`~steerlens.evaluate.bootstrap` — :func:`paired_bootstrap`, :func:`bootstrap_ci`,
  :func:`paired_difference`;
- :mod:`~steerlens.evaluate.comparison` — the matched-budget runner :func:`compare_edits`
  (the only module that uses the lens), :class:`EditComparison`, :data:`EDIT_METHODS`,
  :func:`method_label`, :func:`stratified_indices`;
- :mod:`~steerlens.evaluate.attribution` — the established attribution methods through Captum
  (an optional dependency) :func:`attribution_map`, :data:`ATTRIBUTION_METHODS`, and
  :func:`map_agreement`, :class:`MapAgreement` (where an attribution map and a change map agree).
"""

from .attribution import (
    ATTRIBUTION_METHODS,
    MapAgreement,
    attribution_map,
    map_agreement,
)
from .bootstrap import bootstrap_ci, paired_bootstrap, paired_difference
from .comparison import (
    EDIT_METHODS,
    EditComparison,
    compare_edits,
    method_label,
    stratified_indices,
)
from .readouts import judge_agreement, pick_targets, target_probability
from .warps import SmoothWarpFit, fit_smooth_warp, warp_energy

__all__ = [
    "warp_energy",
    "fit_smooth_warp",
    "SmoothWarpFit",
    "target_probability",
    "judge_agreement",
    "bootstrap_ci",
    "paired_bootstrap",
    "paired_difference",
    "EDIT_METHODS",
    "method_label",
    "pick_targets",
    "stratified_indices",
    "compare_edits",
    "EditComparison",
    "ATTRIBUTION_METHODS",
    "attribution_map",
    "map_agreement",
    "MapAgreement",
]
