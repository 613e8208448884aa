"""Checks for chapter 10's exercises (sanity controls: is it the model or the lens?).

The checks recompute small references from the chapter's variables: the CSP phase edits of the
32 blob sources for each single-layer randomization of ``blobs_cnn`` (about a second for all
five), the rank correlation of two change maps the student made (no edit is re-made), and a
closed formula.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._core import (
    Wrong,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_number,
    expect_tensor,
    near,
)


def _pair(value, name: str) -> tuple[float, float]:
    try:
        items = list(value)
    except TypeError:
        raise Wrong(f"`{name}` should be a pair (share, right), not a {type(value).__name__}.") from None
    if len(items) != 2:
        raise Wrong(f"`{name}` should be a pair (median CSP motion share, share of sources "
                    f"pointing right); it holds {len(items)} values.")
    return expect_number(items[0], name), expect_number(items[1], name)


# ------------------------------------------------------------------------------------------
# ex-10-independent: which layer carries the direction? (computation)
# ------------------------------------------------------------------------------------------


_LAYER_REFS: list = []  # [the chapter objects the references were computed from, {layer: ref}]


def _share_and_right(model, x, right, blob, motion_share, alpha=0.3):
    """The CSP-phase columns of the chapter's ``blob_row``: median share, share pointing right."""
    from .. import flow
    from ..lens import SteerableLens

    csp = SteerableLens(model, domain="csp", component="phase")
    grad = csp.gradient(x, right)
    d_x = flow.edit_displacement(grad, alpha=1.0).mean(blob)[:, 1]
    share = motion_share(csp.extrapolate(x, right, [alpha])[:, 0])
    return float(share.median()), float((d_x > 0).float().mean())


@exercise("ex-10-independent", chapter=10, kind="computation",
          title="Which layer carries the direction?",
          reads=("independent", "wrong_way", "blob_driver", "x", "right", "blob", "motion_share",
                 "blob_table"))
def _independent(a):
    from ..models import parameterized_layers, randomize_model

    answer = a.get("independent")
    blob_driver, x, right, blob, motion_share = a.chapter("blob_driver", "x", "right", "blob",
                                                         "motion_share")
    layers = parameterized_layers(blob_driver)
    if not isinstance(answer, Mapping):
        raise Wrong("`independent` should be a dict {layer name: (share, right)}, one entry per "
                    "layer of `models.parameterized_layers(blob_driver)`.")
    missing = [n for n in layers if n not in answer]
    if missing:
        raise Wrong(f"`independent` has no entry for the layer {missing[0]!r}: one per layer of "
                    "`models.parameterized_layers(blob_driver)`.")
    extra = [k for k in answer if k not in layers]
    if extra:
        raise Wrong(f"`independent` has the key {extra[0]!r}, which is not a layer of "
                    "`blob_driver`: use the names `models.parameterized_layers` gives.")
    mine = {n: _pair(answer[n], f"independent[{n!r}]") for n in layers}
    for n, (_, share_right) in mine.items():
        if share_right > 1 + 1e-9:
            raise Wrong(f"`independent[{n!r}]` has a 'points right' value above 1: store the "
                        "share of the 32 sources (a fraction), not a count.")
    table = a.context("blob_table")
    cascade = []
    if table is not None:
        try:
            cascade = [(float(r["share, CSP"]), float(r["points right"]))
                       for k, r in table.iterrows() if str(k).startswith("top")]
            trained = (float(table.loc["trained", "share, CSP"]),
                       float(table.loc["trained", "points right"]))
        except (KeyError, AttributeError, TypeError, ValueError):
            cascade, trained = [], None
    else:
        trained = None

    def same(u, v):
        return near(u[0], v[0], atol=0.01) and near(u[1], v[1], atol=1 / 64)

    inputs = (blob_driver, x, right, blob, motion_share)
    if not (_LAYER_REFS and all(u is v for u, v in zip(_LAYER_REFS[0], inputs, strict=True))):
        _LAYER_REFS[:] = [inputs, {}]  # a second check of the same chapter reuses the edits
    ref = _LAYER_REFS[1]
    for n in layers:
        if n not in ref:
            model = randomize_model(blob_driver, layers=[n], seed=0)
            ref[n] = _share_and_right(model, x, right, blob, motion_share)
        value = mine[n]
        name = f"independent[{n!r}]"
        if same(value, ref[n]):
            continue
        if same(value[::-1], ref[n]):
            raise Wrong(f"`{name}` is in the wrong order: (median CSP motion share, share of "
                        "sources pointing right).")
        if trained is None:
            trained = _share_and_right(blob_driver, x, right, blob, motion_share)
        if same(value, trained):
            raise Wrong(f"`{name}` holds the trained driver's numbers: randomize the layer, "
                        f"`models.randomize_model(blob_driver, layers=[{n!r}], seed=0)`.")
        if any(same(value, c) for c in cascade):
            raise Wrong(f"`{name}` holds numbers of the cascade (the top layers random, all at "
                        "once): randomize this one layer only, with `layers=[name]`.")
        if near(value[0], ref[n][0], atol=0.01):
            raise Wrong(f"the motion share in `{name}` is right, the direction is not: the share "
                        "of sources whose implied horizontal displacement d_x is positive "
                        "(`\"points right\"` in `blob_row`'s values; the mean over sources, not "
                        "the median).")
        raise Wrong(f"`{name}` is not right: make `models.randomize_model(blob_driver, "
                    f"layers=[{n!r}], seed=0)` and take the median of `\"share, CSP\"` and the "
                    "mean of `\"points right\"` from `blob_row` of it.")
    wrong_way = a.get("wrong_way")
    if isinstance(wrong_way, str) or not hasattr(wrong_way, "__iter__"):
        raise Wrong("`wrong_way` should be a list of layer names (possibly empty).")
    chosen = set(wrong_way)
    truth = {n for n, (s, r) in ref.items() if s > 0.3 and r < 0.5}
    unknown = [n for n in chosen if n not in layers]
    if unknown:
        raise Wrong(f"`wrong_way` holds {unknown[0]!r}, which is not a layer of `blob_driver`.")
    if chosen - truth:
        raise Wrong("`wrong_way` holds a layer that does not fit the description: its motion "
                    "share is at most 0.3, or at least half of the sources still point right.")
    if truth - chosen:
        raise Wrong("`wrong_way` misses a layer: look again for a share above 0.3 together with "
                    "fewer than half of the sources pointing right.")
    return ("A high motion share does not say the motion is the classifier's: with one layer "
            "random the edit can still move the blob, the wrong way.")


# ------------------------------------------------------------------------------------------
# ex-10-baseline: the coordinates' baseline (prediction)
# ------------------------------------------------------------------------------------------


def _median_rho(a, b, signed=False, stat="median"):
    import numpy as np
    from scipy.stats import spearmanr

    f = (lambda t: t) if signed else (lambda t: t.abs())
    rho = [spearmanr(f(u).flatten().numpy(), f(v).flatten().numpy()).statistic
           for u, v in zip(a, b, strict=True)]
    return float(np.median(rho) if stat == "median" else np.mean(rho))


@exercise("ex-10-baseline", chapter=10, kind="prediction", title="The coordinates' baseline",
          reads=("prediction_baseline", "second_change", "rho_two_random", "changes", "digits"))
def _baseline(a):
    import torch

    prediction = expect_choice(a.get("prediction_baseline"), "prediction_baseline",
                               ("a", "b", "c"))
    second = a.get("second_change")
    changes, digits = a.chapter("changes", "digits")
    first = changes[("all random", "csp_phase")].detach()
    second = expect_tensor(second, "second_change", shape=tuple(first.shape)).to(first.dtype)
    norms = second.flatten(1).norm(dim=1)
    if bool((second >= 0).all()) and near(float(norms.mean()),
                                            float(digits.flatten(1).norm(dim=1).mean()), rtol=0.3):
        raise Wrong("`second_change` holds the edited images: store the change x₁ − x₀ "
                    "(`edit.images - digits`).")
    if not bool(((norms - 2.0).abs() < 0.02).all()):
        raise Wrong("every change in `second_change` should have L2 norm 2, the chapter's budget: "
                    "edit with `lens.edit(digits, targets, budget)` and subtract `digits`.")
    if torch.allclose(second, first, atol=1e-5):
        raise Wrong("`second_change` is the first random driver's edit (seed 0): the baseline needs "
                    "a *second* random network, `models.randomize_model(driver, seed=1)`.")
    for key, what in ((("trained", "csp_phase"), "the trained driver's"),
                      (("all random", "pixel"), "a pixel-lens"), (("trained", "pixel"), "a pixel-lens")):
        other = changes.get(key) if hasattr(changes, "get") else None
        if other is not None and torch.allclose(second, other.detach().to(second.dtype), atol=1e-5):
            raise Wrong(f"`second_change` is {what} edit: use a second *random* network with the "
                        "CSP phase lens.")
    rho = _median_rho(first, second)
    mine = expect_number(a.get("rho_two_random"), "rho_two_random")
    if not near(mine, rho, atol=0.005):
        if near(mine, _median_rho(first, second, signed=True), atol=0.005):
            raise Wrong("`rho_two_random` compares the signed changes: the question is about "
                        "*where* the edits happen, the magnitudes |Δx| (`rank_similarity` without "
                        "`signed=True`).")
        if near(mine, _median_rho(first, second, stat="mean"), atol=0.005):
            raise Wrong("`rho_two_random` is a mean over the 10 sources: the table uses the "
                        "median (`rank_similarity`).")
        raise Wrong("`rho_two_random` is not the rank similarity of your `second_change` with "
                    "`changes[(\"all random\", \"csp_phase\")]`: compute it with "
                    "`rank_similarity`.")
    truth = "a" if rho < 0.15 else ("c" if rho > 0.8 else "b")
    if prediction != truth:
        why = {
            "a": "the two random networks' maps are almost unrelated: whatever the coordinates "
                 "fix about where an edit happens, it is little here.",
            "b": "the two random networks' maps correlate clearly, although neither network knows "
                 "anything: the pyramid decides much of *where* a phase edit can change the image.",
            "c": "the two random networks' maps are nearly the same map: the coordinates alone "
                 "decide where the edits happen.",
        }
        raise Wrong(f"your measurement says otherwise: {why[truth]}")
    return ("So the fair baseline for \"the control's map resembles the trained one\" is the "
            "similarity of two controls, not 0.")


# ------------------------------------------------------------------------------------------
# ex-10-support: shared support, independent values (derivation)
# ------------------------------------------------------------------------------------------

_QS = (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95)


def _rho_support(q: float) -> float:
    return 3 * (1 - q) / (3 * (1 - q) + q * q)


@exercise("ex-10-support", chapter=10, kind="derivation", title="Shared support, independent values",
          reads=("rho_shared_support",))
def _support(a):
    import torch

    fn = expect_callable(a.get("rho_shared_support"), "rho_shared_support")
    mine = torch.tensor([expect_number(call(fn, "rho_shared_support", q),
                                       "what `rho_shared_support` returns") for q in _QS],
                        dtype=torch.float64)

    def like(f):
        ref = torch.tensor([f(q) for q in _QS], dtype=torch.float64)
        return bool(torch.allclose(mine, ref, rtol=1e-3, atol=1e-4))

    if like(_rho_support):
        return ("Two maps that share only *where* they are zero still correlate strongly unless "
                "the support is nearly the whole image: compare a control with another control, "
                "not with 0.")
    if like(lambda q: 0.0):
        raise Wrong("`rho_shared_support` is 0: the values on the support are independent, but the "
                    "zeros are shared, and both maps rank the same pixels lowest. Condition on "
                    "whether a pixel is on the support (law of total covariance).")
    if like(lambda q: 3 * q * (1 - q)):
        raise Wrong("`rho_shared_support` treats the zeros as if their ranks were independent "
                    "(ties broken at random): Spearman gives tied values their *average* rank, "
                    "the same in both maps, which lowers the rank variance off the support.")
    if like(lambda q: 1 - q) or like(lambda q: q):
        raise Wrong("`rho_shared_support` is linear in q: work out the covariance and the variance "
                    "of the normalised ranks separately (the ranks on the support still vary "
                    "independently).")
    if abs(float(mine[-1])) > 0.3:
        raise Wrong("`rho_shared_support` stays large as q → 1: when the support is the whole "
                    "image nothing is shared, and two independent maps should not correlate.")
    expect_close(mine, torch.tensor([_rho_support(q) for q in _QS], dtype=torch.float64),
                 "what `rho_shared_support` returns", rtol=1e-3, atol=1e-4,
                 hint="Normalised rank r = R/N: off the support every pixel has the midrank "
                      "(1 − q)/2; on it r = (1 − q) + qW with W uniform. Then ρ = Cov/Var.")
    return None

