"""The matched-budget comparison runner: several edit methods, the same sources, three measures.

:func:`compare_edits` runs the authors' protocol: the same sources edited by
several methods (:data:`EDIT_METHODS`) to the same pixel L2 budgets with
:meth:`steerlens.lens.SteerableLens.edit`, then driver confidence
(:func:`~steerlens.evaluate.readouts.target_probability`), judge transfer
(:func:`~steerlens.evaluate.readouts.judge_agreement`) and smooth-warp
compatibility (:func:`~steerlens.evaluate.warps.fit_smooth_warp`) per edit,
summarised with paired bootstrap intervals by :class:`EditComparison`.
This is the only part of :mod:`steerlens.evaluate` that depends on the lens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .._checks import check_choice, check_images, check_int, check_positive
from .._classifier import as_class_tensor
from .bootstrap import _check_options, paired_bootstrap, paired_difference
from .readouts import _named_judges, judge_agreement
from .warps import fit_smooth_warp

__all__ = [
    "EDIT_METHODS",
    "method_label",
    "stratified_indices",
    "compare_edits",
    "EditComparison",
]

#: The edit methods of the authors' matched-budget table: lens keyword arguments per method.
EDIT_METHODS: dict[str, dict[str, str]] = {
    "pixel": {"domain": "pixel"},
    "fourier_phase": {"domain": "fourier", "component": "phase"},
    "csp_phase": {"domain": "csp", "component": "phase"},
    "csp_joint": {"domain": "csp", "component": "joint"},
    "flow": {"domain": "flow"},
}
_METHOD_LABELS = {
    "pixel": "pixel",
    "fourier_phase": "Fourier phase",
    "csp_phase": "CSP phase",
    "csp_joint": "joint CSP",
    "fourier_amplitude": "Fourier amplitude",
    "fourier_joint": "joint Fourier",
    "csp_amplitude": "CSP amplitude",
    "flow": "smooth flow",
}


def method_label(method: str) -> str:
    """A readable name for a method key (``"csp_phase"`` → ``"CSP phase"``).

    Examples
    --------
    >>> method_label("fourier_phase"), method_label("my_method")
    ('Fourier phase', 'my_method')
    """
    return _METHOD_LABELS.get(method, method)


def stratified_indices(labels: Tensor | Sequence[int], n: int, seed: int = 0) -> Tensor:
    """``n`` source indices balanced over classes, nested, and the same on every machine.

    Each class's indices are shuffled by a seeded generator, then taken round-robin over the
    classes (one of each class, then the next of each, …). The first ``n`` are balanced to
    within one per class, and a shorter selection is always a prefix of a longer one (the
    100 sources of the book's table are the first 100 of the 300-source script's).

    Raises
    ------
    TypeError
        If ``n`` or ``seed`` is not an int.
    ValueError
        If ``n < 1`` or ``n`` is more than the labelled images, or ``seed < 0``.

    Examples
    --------
    >>> import torch
    >>> labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> idx = stratified_indices(labels, 6)
    >>> sorted(labels[idx].tolist()), idx[:3].tolist() == stratified_indices(labels, 3).tolist()
    ([0, 0, 1, 1, 2, 2], True)
    """
    labels = torch.as_tensor(labels).reshape(-1)
    check_int(n, "n", minimum=1)
    check_int(seed, "seed", minimum=0)
    if n > labels.numel():
        raise ValueError(f"`n` = {n} is more than the {labels.numel()} labelled images.")
    gen = torch.Generator().manual_seed(seed)
    per_class = []
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        per_class.append(idx[torch.randperm(idx.numel(), generator=gen)].tolist())
    order = [lst[i] for i in range(max(map(len, per_class))) for lst in per_class if i < len(lst)]
    return torch.tensor(order[:n], dtype=torch.long)


def _method_options(methods) -> dict[str, dict]:
    if isinstance(methods, Mapping):
        out = {str(k): dict(v) for k, v in methods.items()}
    else:
        if isinstance(methods, str):
            methods = [methods]
        out = {}
        for m in methods:
            if m not in EDIT_METHODS:
                raise ValueError(
                    f"unknown method {m!r} in `methods`: use {', '.join(map(repr, EDIT_METHODS))}, "
                    f"or pass a dict name → SteerableLens keyword arguments."
                )
            out[m] = dict(EDIT_METHODS[m])
    if not out:
        raise ValueError("`methods` is empty: pass at least one edit method.")
    return out


# the per-source measures a comparison keeps, in table order
_MEASURES = ("attained", "distance", "steps", "driver_prob", "judges_all", "e_warp", "e_warp_gain")


@dataclass
class EditComparison:
    """Matched-budget edits of several methods on the same sources, and their three measures.

    Made by :func:`compare_edits`. Per method and budget it holds, for every source image, the
    edited image and the measures; :meth:`table` summarises them with paired bootstrap
    intervals.

    Attributes
    ----------
    sources
        ``N×C×H×W`` source images.
    targets
        ``N`` target classes.
    methods
        Method keys, in table order.
    budgets
        Pixel L2 budgets.
    judge_names
        Names of the judges (``judge:<name>`` measures hold their per-source agreement).
    measures
        ``(method, budget) → {measure → float array (N,)}``; measures are ``attained``,
        ``distance``, ``steps``, ``driver_prob``, ``judge:<name>`` per judge, ``judges_all``
        (every judge predicts the target), ``e_warp`` and ``e_warp_gain``.
    edited
        ``(method, budget) → N×C×H×W`` edited images.
    settings
        How the edits were made and measured (regime, lens and edit options, warp grid, …).
    n_boot, level, seed
        The bootstrap: draws, coverage, seed.
    seconds
        Wall time of the comparison.

    Raises
    ------
    KeyError
        From :meth:`values`, :meth:`interval` and :meth:`difference`, for a method, budget
        or measure the comparison does not hold (constructing one checks nothing).
    ValueError
        From :meth:`interval` and :meth:`difference`, for an unknown ``statistic``.
    """

    sources: Tensor
    targets: Tensor
    methods: tuple[str, ...]
    budgets: tuple[float, ...]
    judge_names: tuple[str, ...]
    measures: dict[tuple[str, float], dict[str, np.ndarray]]
    edited: dict[tuple[str, float], Tensor]
    settings: dict
    n_boot: int = 2000
    level: float = 0.95
    seed: int = 0
    seconds: float = float("nan")

    def __len__(self) -> int:
        return int(self.sources.shape[0])

    def values(self, measure: str, method: str, budget: float) -> np.ndarray:
        """Per-source values of one measure (e.g. ``"e_warp_gain"``) for one method and budget.

        Raises
        ------
        KeyError
            If there are no edits for ``method`` at ``budget``, or ``measure`` is unknown.
        """
        key = (method, float(budget))
        if key not in self.measures:
            raise KeyError(
                f"no edits for method={method!r}, budget={budget}: have {sorted(self.measures)}."
            )
        if measure not in self.measures[key]:
            raise KeyError(f"unknown measure {measure!r}: have {sorted(self.measures[key])}.")
        return self.measures[key][measure]

    def interval(
        self, measure: str, method: str, budget: float, statistic: str = "median"
    ) -> tuple[float, float, float]:
        """``(statistic, low, high)``: the paired percentile bootstrap over sources.

        Raises
        ------
        KeyError
            As :meth:`values`.
        ValueError
            If ``statistic`` is not ``"median"``, ``"mean"``, ``"sum"`` or a callable (or a
            callable that does not reduce the last axis to finite values).
        """
        return paired_bootstrap(
            {"v": self.values(measure, method, budget)},
            statistic,
            self.n_boot,
            self.level,
            self.seed,
        )["v"]

    def difference(
        self, measure: str, method_a: str, method_b: str, budget: float, statistic: str = "median"
    ) -> tuple[float, float, float]:
        """``statistic(a) − statistic(b)`` with its paired bootstrap interval (same draws).

        Raises
        ------
        KeyError
            As :meth:`values`, for ``method_a`` or ``method_b``.
        ValueError
            If ``statistic`` is not ``"median"``, ``"mean"``, ``"sum"`` or a callable (or a
            callable that does not reduce the last axis to finite values).
        """
        return paired_difference(
            self.values(measure, method_a, budget),
            self.values(measure, method_b, budget),
            statistic,
            self.n_boot,
            self.level,
            self.seed,
        )

    def table(self) -> list[dict]:
        """One row per (budget, method): counts, medians and 95 % intervals, as plain dicts.

        Keys: ``budget``, ``method``, ``label``, ``regime``, ``n_sources``, ``attained``,
        ``median_steps``; ``driver_prob`` (median target probability under the driver) with
        ``driver_prob_low``/``_high``; ``judge:<name>`` (sources whose judge predicts the
        target) and ``judges_all`` (every judge does), counts with bootstrap intervals;
        ``e_warp`` and ``e_warp_gain`` (median ``E``) with intervals. Probabilities and ``E``
        are fractions in ``[0, 1]``.
        """
        rows = []
        for budget in self.budgets:
            for method in self.methods:
                m = self.measures[(method, budget)]
                row = {
                    "budget": budget,
                    "method": method,
                    "label": method_label(method),
                    "regime": self.settings.get("regime", ""),
                    "n_sources": len(self),
                    "attained": int(m["attained"].sum()),
                    "median_steps": float(np.median(m["steps"])),
                }
                for name, stat in [
                    ("driver_prob", "median"),
                    *[(f"judge:{j}", "sum") for j in self.judge_names],
                    ("judges_all", "sum"),
                    ("e_warp", "median"),
                    ("e_warp_gain", "median"),
                ]:
                    est, lo, hi = self.interval(name, method, budget, stat)
                    if stat == "sum":
                        est, lo, hi = int(round(est)), int(round(lo)), int(round(hi))
                    row[name], row[f"{name}_low"], row[f"{name}_high"] = est, lo, hi
                rows.append(row)
        return rows

    def to_markdown(self) -> str:
        """The table as GitHub Markdown: medians and counts with their 95 % intervals.

        Probabilities and ``E`` are shown in percent.
        """
        n = len(self)
        pct = int(round(100 * self.level))

        def p(r, k):
            return f"{100 * r[k]:.1f} [{100 * r[k + '_low']:.1f}, {100 * r[k + '_high']:.1f}]"

        def c(r, k):
            return f"{r[k]}/{n} [{r[k + '_low']}, {r[k + '_high']}]"

        head = [
            "L₂",
            "method",
            "attained",
            "driver p (median, %)",
            *[f"judge {j}: target" for j in self.judge_names],
            "both judges: target" if len(self.judge_names) == 2 else "all judges: target",
            "E warp (median, %)",
            "E warp+gain (median, %)",
        ]
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|",
        ]
        for r in self.table():
            cells = [
                f"{r['budget']:g}",
                r["label"],
                f"{r['attained']}/{n}",
                p(r, "driver_prob"),
                *[c(r, f"judge:{j}") for j in self.judge_names],
                c(r, "judges_all"),
                p(r, "e_warp"),
                p(r, "e_warp_gain"),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            f"{n} sources, regime {self.settings.get('regime', '?')!r}; brackets: {pct} % percentile "
            f"bootstrap over sources ({self.n_boot} draws, seed {self.seed})."
        )
        return "\n".join(lines) + "\n"

    @classmethod
    def join(cls, parts: Sequence[EditComparison]) -> EditComparison:
        """One comparison from parts run separately on the same sources and targets.

        Each part holds other methods or other budgets (for example one
        :func:`compare_edits` call per method, run in parallel processes); the
        joined comparison holds every ``(method, budget)`` pair, methods in the
        order they first appear, budgets sorted, and ``seconds`` summed (the
        computing time, not the wall time). Bootstrap settings come from the
        first part.

        Parameters
        ----------
        parts
            One or more :class:`EditComparison` of the same sources, targets and
            judges, each ``(method, budget)`` pair in at most one of them.

        Returns
        -------
        EditComparison

        Raises
        ------
        TypeError
            If ``parts`` is empty or holds something other than comparisons.
        ValueError
            If the parts differ in sources, targets or judges, or two parts hold
            the same ``(method, budget)`` pair.
        """
        parts = list(parts) if not isinstance(parts, EditComparison) else [parts]
        if not parts or not all(isinstance(p, EditComparison) for p in parts):
            raise TypeError(
                "`parts` must be a non-empty sequence of EditComparison "
                "(the results of compare_edits)."
            )
        first = parts[0]
        seen: set = set()
        for i, p in enumerate(parts):
            same = (
                p.sources.shape == first.sources.shape
                and torch.equal(p.sources.cpu(), first.sources.cpu())
                and torch.equal(p.targets.cpu(), first.targets.cpu())
            )
            if not same:
                raise ValueError(
                    f"`parts[{i}]` has other sources or targets than `parts[0]`: "
                    "join only comparisons of the same sources and targets."
                )
            if p.judge_names != first.judge_names:
                raise ValueError(
                    f"`parts[{i}]` has judges {p.judge_names}, `parts[0]` has "
                    f"{first.judge_names}: run every part with the same judges."
                )
            twice = seen & set(p.measures)
            if twice:
                raise ValueError(
                    f"`parts[{i}]` repeats the (method, budget) pairs "
                    f"{sorted(twice)}: each pair may come from one part only."
                )
            seen |= set(p.measures)
        settings = dict(first.settings)
        if all(isinstance(p.settings.get("methods"), Mapping) for p in parts):
            settings["methods"] = {
                k: v for p in parts for k, v in p.settings["methods"].items()
            }
        return cls(
            sources=first.sources,
            targets=first.targets,
            methods=tuple(dict.fromkeys(m for p in parts for m in p.methods)),
            budgets=tuple(sorted({float(b) for p in parts for b in p.budgets})),
            judge_names=first.judge_names,
            measures={k: v for p in parts for k, v in p.measures.items()},
            edited={k: v for p in parts for k, v in p.edited.items()},
            settings=settings,
            n_boot=first.n_boot,
            level=first.level,
            seed=first.seed,
            seconds=float(sum(p.seconds for p in parts)),
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`table` as CSV (one row per budget and method); returns the path."""
        import csv

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = self.table()
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path


def compare_edits(
    driver: Callable[[Tensor], Tensor],
    judges: Mapping[str, Callable[[Tensor], Tensor]] | Sequence,
    images: Tensor,
    targets,
    *,
    budgets: Sequence[float] = (1.0, 2.0),
    methods: Sequence[str] | Mapping[str, Mapping] = (
        "pixel",
        "fourier_phase",
        "csp_phase",
        "csp_joint",
    ),
    regime: str = "persistent",
    lens_options: Mapping | None = None,
    edit_options: Mapping | None = None,
    grid: int = 8,
    warp_iterations: int = 200,
    max_displacement: float | None = None,
    batch_size: int = 50,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    progress: bool = True,
) -> EditComparison:
    """Edit the same sources with several methods to the same pixel budgets, then measure.

    For every method, budget and source: a matched-budget edit
    (:meth:`~steerlens.lens.SteerableLens.edit`, ``‖x − x₀‖₂ = budget``), then the three
    measures — driver confidence, judge transfer, smooth-warp compatibility ``E`` (warp only
    and warp + gain, :func:`warp_energy`).

    Parameters
    ----------
    driver
        The classifier that makes the edits (logits ``B×classes``; eval mode).
    judges
        Independent classifiers that only check transfer: ``name → model`` or a sequence.
    images
        Source images ``N×C×H×W`` in ``[0, 1]``.
    targets
        One target class per source (see :func:`pick_targets`), or one int for all.
    budgets
        Pixel L2 budgets (in ``[0, 1]`` intensity units).
    methods
        Keys of :data:`EDIT_METHODS` (``"pixel"``, ``"fourier_phase"``, ``"csp_phase"``,
        ``"csp_joint"``, ``"flow"`` — the smooth-flow lens, a pure-motion reference whose
        edits are warps of the same family as the ``E`` fit), or a dict
        ``name → SteerableLens keyword arguments`` for others (e.g.
        ``{"flow_4": {"domain": "flow", "flow_grid": 4}}``).
    regime
        ``"persistent"`` (default: the authors' iterative, source-anchored protocol),
        ``"live"`` or ``"fixed"`` (one-step extrapolation to the budget).
    lens_options
        Extra :class:`~steerlens.lens.SteerableLens` arguments for every method (e.g.
        ``objective="margin"``, ``height=1``). A ``flow_grid`` is only given to the flow
        methods.
    edit_options
        Extra :meth:`~steerlens.lens.SteerableLens.edit` arguments (``step_size``,
        ``phase_cap``, ``max_steps``, ``rtol``). A ``phase_cap`` is only given to methods
        that edit phase (not to pixel, flow or amplitude methods).
    grid
        Control points per side of the smooth warp (the authors use 8).
    warp_iterations
        L-BFGS iterations per stage of the warp fit. The warp + gain fit starts from the
        warp-only fit, so its ``E`` is never below the warp-only ``E``.
    max_displacement
        Optional bound (pixels) on each component of the warp's displacement (default: none).
    batch_size
        Sources per batch. Batches are fixed blocks of consecutive sources, so the first
        ``k·batch_size`` sources give the same values in a longer run.
    n_boot, level, seed
        The paired percentile bootstrap over sources.
    progress
        Show a ``tqdm`` progress bar.

    Returns
    -------
    EditComparison
        ``.table()``, ``.to_markdown()``, ``.to_csv(path)``, ``.values(...)``,
        ``.difference(...)``, ``.edited``.

    Raises
    ------
    TypeError
        If a model or judge is not callable, ``targets`` holds floats or is not a class
        index, or a numeric option has the wrong type.
    ValueError
        If ``images`` is not ``N×C×H×W`` in ``[0, 1]``, ``targets`` has the wrong length or a
        class outside the driver's classes, ``judges``/``budgets``/``methods`` is empty or
        unknown, ``regime`` is unknown, a budget is not finite and positive, or a bootstrap
        option is out of range.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> driver = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    >>> judge = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    >>> x = 0.25 + 0.5 * torch.rand(3, 1, 8, 8)
    >>> out = compare_edits(driver, {"j": judge}, x, 1, budgets=[0.5], methods=["pixel", "fourier_phase"],
    ...                     warp_iterations=3, n_boot=100, progress=False)
    >>> [(r["method"], r["attained"]) for r in out.table()]
    [('pixel', 3), ('fourier_phase', 3)]
    """
    import time

    from tqdm import tqdm

    from ..lens import REGIMES, SteerableLens

    start = time.perf_counter()
    images = check_images(images, "images").detach()
    n = images.shape[0]
    targets = as_class_tensor(targets, "targets", n, images.device)
    judges = _named_judges(judges)
    budgets = tuple(float(check_positive(b, "budgets")) for b in budgets)
    if not budgets:
        raise ValueError("`budgets` is empty: pass at least one pixel L2 budget, e.g. (1.0, 2.0).")
    methods = _method_options(methods)
    regime = check_choice(regime, "regime", REGIMES)
    lens_options = dict(lens_options or {})
    edit_options = dict(edit_options or {})
    check_int(grid, "grid", minimum=2)
    check_int(warp_iterations, "warp_iterations", minimum=1)
    if max_displacement is not None:
        check_positive(max_displacement, "max_displacement")
    check_int(batch_size, "batch_size", minimum=1)
    n_boot, level, seed = _check_options(n_boot, level, seed)

    columns = {
        (m, b): {k: [] for k in (*_MEASURES, *(f"judge:{j}" for j in judges))}
        for m in methods
        for b in budgets
    }
    edited: dict[tuple[str, float], list[Tensor]] = {key: [] for key in columns}
    chunks = [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    bar = tqdm(
        total=len(methods) * len(budgets) * len(chunks),
        desc="matched-budget edits",
        disable=not progress,
        leave=False,
    )
    for method, options in methods.items():
        lens_kw = {**options, **lens_options}
        if lens_kw.get("domain", "csp") != "flow":
            lens_kw.pop("flow_grid", None)  # shared options: the grid is only the flow's
        lens = SteerableLens(driver, **lens_kw)
        opts = dict(edit_options)
        if "phase_cap" in opts and (
            lens.domain in ("pixel", "flow") or lens.component == "amplitude"
        ):
            opts.pop("phase_cap")
        for budget in budgets:
            col = columns[(method, budget)]
            for chunk in chunks:
                x0, t = images[chunk], targets[chunk]
                result = lens.edit(x0, t, budget=budget, regime=regime, **opts)
                x1 = result.images.detach()
                agree = judge_agreement(judges, x1, t)
                col["attained"].append(result.attained)
                col["distance"].append(result.distance)
                col["steps"].append(result.steps)
                col["driver_prob"].append(result.target_prob)
                for j in judges:
                    col[f"judge:{j}"].append(agree[j])
                col["judges_all"].append(agree["all"])
                fit = fit_smooth_warp(
                    x0,
                    x1,
                    grid=grid,
                    gain=False,
                    iterations=warp_iterations,
                    max_displacement=max_displacement,
                )
                fit_gain = fit_smooth_warp(
                    x0,
                    x1,
                    grid=grid,
                    gain=True,
                    iterations=warp_iterations,
                    max_displacement=max_displacement,
                    init=fit,
                )
                col["e_warp"].append(fit.energy)
                col["e_warp_gain"].append(fit_gain.energy)
                edited[(method, budget)].append(x1)
                bar.update(1)
    bar.close()
    measures = {
        key: {k: torch.cat(v).detach().cpu().double().numpy() for k, v in col.items()}
        for key, col in columns.items()
    }
    settings = {
        "regime": regime,
        "methods": methods,
        "lens_options": lens_options,
        "edit_options": edit_options,
        "grid": grid,
        "warp_iterations": warp_iterations,
        "max_displacement": max_displacement,
        "gain_model": f"multiplicative gain exp(log-gain on the {grid}×{grid} grid, bicubic), as the warp",
        "batch_size": batch_size,
    }
    return EditComparison(
        sources=images,
        targets=targets,
        methods=tuple(methods),
        budgets=budgets,
        judge_names=tuple(judges),
        measures=measures,
        edited={k: torch.cat(v) for k, v in edited.items()},
        settings=settings,
        n_boot=n_boot,
        level=level,
        seed=seed,
        seconds=time.perf_counter() - start,
    )
