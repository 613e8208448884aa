"""Percentile bootstrap over source images, paired across methods.

Every draw resamples the same source indices for every method (one generator,
one call per ``(n, n_boot, seed)``), so intervals of several methods, and of
their differences, respect the pairing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from torch import Tensor

__all__ = ["paired_bootstrap", "bootstrap_ci", "paired_difference"]

_STATISTICS = {
    "median": lambda a: np.median(a, axis=-1),
    "mean": lambda a: np.mean(a, axis=-1),
    "sum": lambda a: np.sum(a, axis=-1),
}


def _statistic(name_or_fn) -> Callable[[np.ndarray], np.ndarray]:
    if callable(name_or_fn):
        return name_or_fn
    if not isinstance(name_or_fn, str) or name_or_fn not in _STATISTICS:
        raise ValueError(
            f"`statistic` must be 'median', 'mean', 'sum' or a callable, got {name_or_fn!r}."
        )
    return _STATISTICS[name_or_fn]


def _sample(values, name: str) -> np.ndarray:
    """One value per source as a finite float64 1-D array."""
    if isinstance(values, Tensor):
        values = values.detach().cpu().double().numpy()
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"`{name}` must hold numbers (one per source), got {type(values).__name__}.")
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must hold numbers (one per source), got {type(values).__name__}."
        ) from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError(
            f"`{name}` must be a non-empty 1-D array (one value per source), got shape {a.shape}."
        )
    if not np.isfinite(a).all():
        raise ValueError(
            f"`{name}` contains NaN or infinite values; drop or replace those sources first "
            f"(a bootstrap over them has no meaning)."
        )
    return a


def _check_options(n_boot, level, seed) -> tuple[int, float, int]:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)):
        raise TypeError(f"`n_boot` must be an int, got {type(n_boot).__name__}.")
    if n_boot < 1:
        raise ValueError(f"`n_boot` must be ≥ 1, got {n_boot}.")
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating, np.integer)):
        raise TypeError(f"`level` must be a number in (0, 1), got {type(level).__name__}.")
    if not (math.isfinite(float(level)) and 0 < float(level) < 1):
        raise ValueError(f"`level` must be in (0, 1), got {level}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"`seed` must be an int ≥ 0 (the result is deterministic), got {type(seed).__name__}."
        )
    if seed < 0:
        raise ValueError(f"`seed` must be ≥ 0, got {seed}.")
    return int(n_boot), float(level), int(seed)


def _draw_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    # One generator, one call: the same (n, n_boot, seed) always gives the same draws, which is
    # what pairs paired_bootstrap and paired_difference.
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _interval(draws: np.ndarray, level: float, n_boot: int) -> tuple[float, float]:
    draws = np.asarray(draws, dtype=float)
    if draws.shape != (n_boot,):
        raise ValueError(
            f"`statistic` must reduce the last axis (one number per draw): got shape "
            f"{draws.shape} for {n_boot} draws."
        )
    if not np.isfinite(draws).all():
        raise ValueError("`statistic` returned NaN or infinite values on some draws.")
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    return float(np.percentile(draws, lo_q)), float(np.percentile(draws, hi_q))


def paired_bootstrap(
    values: Mapping[str, Sequence[float] | np.ndarray | Tensor],
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float, float]]:
    """Percentile bootstrap over source images, paired across methods.

    Every draw resamples the same source indices for every method, so the intervals (and any
    difference computed from the same draws) respect the pairing.

    Parameters
    ----------
    values
        ``method → per-source values`` (all the same length, one entry per source image).
    statistic
        ``"median"``, ``"mean"``, ``"sum"`` or a function reducing the last axis.
    n_boot
        Number of bootstrap draws.
    level
        Coverage of the percentile interval, in ``(0, 1)``.
    seed
        Seed of the resampling generator, an int ``≥ 0`` (the result is deterministic).

    Returns
    -------
    dict
        ``method → (statistic, low, high)``.

    Raises
    ------
    TypeError
        If ``values`` is not a mapping of numbers, or ``n_boot``, ``level`` or
        ``seed`` has the wrong type.
    ValueError
        If ``values`` is empty, holds NaN/inf, arrays of different lengths or
        not 1-D; for an unknown ``statistic`` (or one that does not reduce the
        last axis), ``n_boot < 1``, ``level`` outside ``(0, 1)`` or ``seed < 0``.

    Examples
    --------
    >>> out = paired_bootstrap({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 3.0, 4.0, 5.0]})
    >>> out["a"][0], out["b"][0]
    (2.5, 3.5)
    """
    if not isinstance(values, Mapping):
        raise TypeError(
            f"`values` must be a dict method → per-source values, got {type(values).__name__}; "
            f"for one sample use bootstrap_ci."
        )
    if not values:
        raise ValueError("`values` is empty: pass at least one method.")
    arrays = {k: _sample(v, f"values[{k!r}]") for k, v in values.items()}
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(
            f"every method in `values` needs a 1-D array of the same length (one value per "
            f"source), got shapes {sorted(lengths)}."
        )
    n_boot, level, seed = _check_options(n_boot, level, seed)
    stat = _statistic(statistic)
    idx = _draw_indices(next(iter(arrays.values())).size, n_boot, seed)
    out = {}
    for k, a in arrays.items():
        lo, hi = _interval(stat(a[idx]), level, n_boot)
        out[k] = (float(stat(a)), lo, hi)
    return out


def bootstrap_ci(
    values,
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap interval of one statistic: ``(statistic, low, high)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`paired_bootstrap`.

    Examples
    --------
    >>> est, lo, hi = bootstrap_ci([0.1, 0.4, 0.35, 0.8, 0.5, 0.45])
    >>> lo <= est <= hi
    True
    """
    return paired_bootstrap({"values": values}, statistic, n_boot, level, seed)["values"]


def paired_difference(
    a: Sequence[float] | np.ndarray | Tensor,
    b: Sequence[float] | np.ndarray | Tensor,
    statistic: str | Callable = "median",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Paired percentile bootstrap of ``statistic(a) − statistic(b)``.

    ``a`` and ``b`` hold one value per source image, for two methods applied to the same
    sources. Every draw resamples the same sources for both (the draws of
    :func:`paired_bootstrap` with the same ``seed``), so an interval that excludes 0 says the
    methods differ on these sources beyond resampling noise.

    Returns
    -------
    tuple
        ``(difference, low, high)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`paired_bootstrap`; also if ``a`` and ``b`` differ in length.

    Examples
    --------
    >>> d, lo, hi = paired_difference([0.9, 0.8, 0.7, 0.95], [0.5, 0.4, 0.45, 0.6])
    >>> round(d, 3), lo > 0
    (0.375, True)
    """
    arrays = [_sample(a, "a"), _sample(b, "b")]
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(
            f"`a` and `b` must be non-empty 1-D arrays of the same length (one value per source), "
            f"got shapes {arrays[0].shape} and {arrays[1].shape}."
        )
    n_boot, level, seed = _check_options(n_boot, level, seed)
    stat = _statistic(statistic)
    idx = _draw_indices(arrays[0].size, n_boot, seed)
    lo, hi = _interval(stat(arrays[0][idx]) - stat(arrays[1][idx]), level, n_boot)
    return float(stat(arrays[0]) - stat(arrays[1])), lo, hi
