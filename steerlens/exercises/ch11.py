"""Checks for chapter 11's exercises (saliency, attributions and counterfactuals).

The checks recompute small references from the chapter's variables: Integrated Gradients of the
three digits with a blurred baseline, and the attribution maps of the first and the last stage
of the cascade (a fraction of a second each on the CPU).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._core import (
    Wrong,
    allclose,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_number,
    expect_tensor,
)


def _close(value, target, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    return allclose(value, target, rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------------
# ex-11-linear: Integrated Gradients of a linear logit (derivation)
# ------------------------------------------------------------------------------------------


@exercise("ex-11-linear", chapter=11, kind="derivation", title="Integrated Gradients of a linear logit",
          reads=("ig_linear",))
def _linear(a):
    import torch

    fn = expect_callable(a.get("ig_linear"), "ig_linear")
    gen = torch.Generator().manual_seed(11)
    x = torch.rand(2, 1, 5, 5, generator=gen)
    base = 0.5 * torch.rand(2, 1, 5, 5, generator=gen)
    w = torch.randn(2, 1, 5, 5, generator=gen)
    out = call(fn, "ig_linear", x.clone(), base.clone(), w.clone())
    out = expect_tensor(out, "what `ig_linear` returns")
    if out.numel() != x.numel():
        if out.numel() in (1, 2):
            raise Wrong("`ig_linear` returns a sum: Integrated Gradients is a *map*, one value per "
                        "pixel (its sum is what completeness is about).")
        raise Wrong(f"`ig_linear` should return a map of the image's shape {tuple(x.shape)}; it "
                    f"returns shape {tuple(out.shape)}.")
    out = out.reshape(x.shape)
    ref = (x - base) * w
    if _close(out, ref):
        zero = call(fn, "ig_linear", x.clone(), torch.zeros_like(x), w.clone())
        zero = expect_tensor(zero, "what `ig_linear` returns").reshape(x.shape)
        expect_close(zero, x * w, "what `ig_linear` returns for a black baseline", rtol=1e-4,
                     atol=1e-6)
        return ("From a black baseline IG of a linear logit is x ⊙ w: zero wherever the image is "
                "black, and the image itself, reweighted, everywhere else.")
    if _close(out, w):
        raise Wrong("`ig_linear` returns the gradient, w (a signed saliency map): Integrated "
                    "Gradients multiplies the gradient averaged along the path by x − x′.")
    if _close(out, x * w):
        raise Wrong("`ig_linear` ignores the baseline (it is right only for a black one): the "
                    "path runs from x′ to x, and its length x − x′ multiplies the gradient.")
    if _close(out, -ref):
        raise Wrong("`ig_linear` has the wrong sign: the path goes from the baseline x′ to the "
                    "image x, so the factor is x − x′.")
    if _close(out, 0.5 * ref):
        raise Wrong("`ig_linear` is half the answer: the gradient of a linear logit is the same "
                    "at every point of the path, so its average over the path is w itself.")
    if _close(out, (x - base) * w * x) or _close(out, x * x * w):
        raise Wrong("`ig_linear` multiplies by the image once too often: the gradient of w·x + b "
                    "is w, whatever x is.")
    expect_close(out, ref, "what `ig_linear` returns", rtol=1e-4, atol=1e-6,
                 hint="The gradient of z(x) = w·x + b is w at every point x′ + s(x − x′) of the "
                      "path; put it into the definition of section 1.")
    return None


# ------------------------------------------------------------------------------------------
# ex-11-blurred: a blurred baseline (prediction)
# ------------------------------------------------------------------------------------------


def _share(m, mask):
    e = m.abs()
    return (e * mask).sum((1, 2, 3)) / e.sum((1, 2, 3)).clamp_min(1e-30)


@exercise("ex-11-blurred", chapter=11, kind="prediction", title="A blurred baseline",
          reads=("prediction_blurred", "blurred_bg", "blurred_rho", "driver", "x_d", "t_d",
                 "changes_d"))
def _blurred(a):
    import torch.nn.functional as F

    from ..evaluate import attribution_map, map_agreement

    prediction = expect_choice(a.get("prediction_blurred"), "prediction_blurred", ("a", "b", "c"))
    bg = a.get("blurred_bg")
    driver, x_d, t_d, changes_d = a.chapter("driver", "x_d", "t_d", "changes_d")
    n = len(x_d)
    bg = expect_tensor(bg, "blurred_bg").flatten()
    if bg.numel() != n:
        raise Wrong(f"`blurred_bg` should hold one number per digit ({n}); it holds {bg.numel()}.")
    background = x_d == 0
    blurred = attribution_map(driver, x_d, t_d, baseline="blurred", blur_sigma=2.0)
    ref_bg = _share(blurred, background)
    if not _close(bg, ref_bg, rtol=0, atol=0.01):
        if float(bg.abs().max()) < 1e-6:
            raise Wrong("`blurred_bg` is zero: that is the black baseline's map. Pass "
                        "`baseline=\"blurred\", blur_sigma=2.0` to `attribution_map`.")
        if _close(bg, 1 - ref_bg, rtol=0, atol=0.01):
            raise Wrong("`blurred_bg` is the share on the *ink*: the exercise asks for the share "
                        "on the black pixels (`background_share`).")
        expect_close(bg, ref_bg, "blurred_bg", rtol=0, atol=0.01,
                     hint="Integrated Gradients (the default method) with `baseline=\"blurred\", "
                          "blur_sigma=2.0`, then `background_share` of the map.")
    rho = expect_tensor(a.get("blurred_rho"), "blurred_rho").flatten()
    if rho.numel() != n:
        raise Wrong(f"`blurred_rho` should hold one number per digit ({n}); it holds "
                    f"{rho.numel()}.")
    ref_rho = map_agreement(blurred, changes_d["CSP phase"]).rank_correlation
    if not _close(rho, ref_rho, rtol=0, atol=0.01):
        for key in changes_d:
            if key != "CSP phase" and _close(rho, map_agreement(blurred, changes_d[key])
                                             .rank_correlation, rtol=0, atol=0.01):
                raise Wrong(f"`blurred_rho` compares with the {key} change: the exercise asks for "
                            "`changes_d[\"CSP phase\"]`.")
        black = a.context("rho_d")
        if isinstance(black, Mapping) and ("IG", "CSP phase") in black and _close(
                rho, black[("IG", "CSP phase")], rtol=0, atol=0.01):
            raise Wrong("`blurred_rho` is the black baseline's correlation (`rho_d`): compute it "
                        "for the blurred-baseline map.")
        expect_close(rho, ref_rho, "blurred_rho", rtol=0, atol=0.01,
                     hint="`map_agreement(blurred_map, changes_d[\"CSP phase\"]).rank_correlation`.")
    near = F.max_pool2d((x_d > 0).float(), 7, stride=1, padding=3)  # within 3 px of ink
    far = (near == 0) & background
    far_share = float(_share(blurred, far).max())
    if float(ref_bg.min()) < 1e-6:
        truth = "b"
    elif far_share > 0.02:
        truth = "c"
    else:
        truth = "a"
    if prediction != truth:
        why = {
            "a": "the black pixels next to the strokes now carry attribution, but the pixels far "
                 "from every stroke still carry almost none: the blur spreads ink only a few "
                 "pixels, and where x − x′ is 0 the map is 0",
            "b": "every black pixel still carries exactly nothing",
            "c": "the attribution reaches the far background as much as the pixels next to the "
                 "strokes",
        }
        raise Wrong(f"your measurement says otherwise: {why[truth]}. Compare `blurred_bg` with the "
                    "black baseline's exact 0.")
    return ("Relative to a blurred digit, the ink missing around each stroke counts too: the "
            "baseline is part of the question Integrated Gradients answers.")


# ------------------------------------------------------------------------------------------
# ex-11-cascade: which map fails the cascade? (prediction)
# ------------------------------------------------------------------------------------------

_BEHAVIOURS = ("falls", "plateaus", "stays")


def _behaviour(values: list[float]) -> str:
    """"stays" near 1 throughout; "falls" by more than 0.2 from the first to the last stage;
    otherwise "plateaus" (a drop, then no further trend)."""
    if min(values) >= 0.9:
        return "stays"
    if values[0] - values[-1] > 0.2:
        return "falls"
    return "plateaus"


@exercise("ex-11-cascade", chapter=11, kind="prediction", title="Which map fails the cascade?",
          reads=("prediction_cascade", "cascade", "driver", "x_d", "t_d", "maps_d", "methods"))
def _cascade(a):
    from ..evaluate import attribution_map, map_agreement
    from ..models import cascading_randomization, parameterized_layers

    prediction = a.get("prediction_cascade")
    answer = a.get("cascade")
    driver, x_d, t_d, maps_d, methods = a.chapter("driver", "x_d", "t_d", "maps_d", "methods")
    names = list(methods)
    if not isinstance(prediction, Mapping) or set(prediction) != set(names):
        raise Wrong(f"`prediction_cascade` should be a dict with the keys {names}, each one of "
                    f"{list(_BEHAVIOURS)}.")
    predicted = {k: expect_choice(prediction[k], f"prediction_cascade[{k!r}]", _BEHAVIOURS)
                 for k in names}
    layers = list(reversed(parameterized_layers(driver)))  # the cascade's order: top first
    if not isinstance(answer, Mapping):
        raise Wrong("`cascade` should be a dict {layer: {method name: mean ρ}}, one entry per "
                    "stage of `models.cascading_randomization(driver, seed=0)`.")
    missing = [n for n in layers if n not in answer]
    if missing:
        raise Wrong(f"`cascade` has no entry for the stage {missing[0]!r}: one per stage of "
                    "`models.cascading_randomization(driver, seed=0)`, keyed by its layer.")
    values = {}
    for layer in layers:
        stage = answer[layer]
        if not isinstance(stage, Mapping) or set(stage) != set(names):
            raise Wrong(f"`cascade[{layer!r}]` should be a dict with the keys {names}.")
        values[layer] = {k: expect_number(stage[k], f"cascade[{layer!r}][{k!r}]") for k in names}
        for k, v in values[layer].items():
            if not -1 - 1e-9 <= v <= 1 + 1e-9:
                raise Wrong(f"`cascade[{layer!r}][{k!r}]` is outside [−1, 1]: store the mean rank "
                            "correlation of `map_agreement(...).rank_correlation`.")
    if all(values[layer] == values[layers[0]] for layer in layers[1:]):
        raise Wrong("every stage of `cascade` holds the same numbers: compute the maps with each "
                    "stage's own model (the loop variable of `cascading_randomization`).")
    # the reference at the first and the last stage
    stages = dict(cascading_randomization(driver, seed=0))
    for layer in (layers[0], layers[-1]):
        model = stages[layer]
        for name, method in methods.items():
            ref = map_agreement(maps_d[name], attribution_map(model, x_d, t_d, method))
            ref_rho = float(ref.rank_correlation.mean())
            mine = values[layer][name]
            if abs(mine - ref_rho) <= 0.02:
                continue
            if abs(mine - float(ref.overlap.mean())) <= 0.02:
                raise Wrong(f"`cascade[{layer!r}][{name!r}]` is the top-10 % overlap: the exercise "
                            "asks for the rank correlation (`.rank_correlation`).")
            raise Wrong(f"`cascade[{layer!r}][{name!r}]` is not the mean rank correlation of "
                        f"`maps_d[{name!r}]` with the map of that stage's model: use "
                        "`attribution_map(model, x_d, t_d, method)` and `map_agreement`.")
    measured = {k: _behaviour([values[layer][k] for layer in layers]) for k in names}
    say = {
        "falls": "keeps falling as more layers are random",
        "plateaus": "drops at first and then stays well between 0 and 1",
        "stays": "hardly moves from 1",
    }
    wrong = [k for k in names if predicted[k] != measured[k]]
    if wrong:
        k = wrong[0]
        raise Wrong(f"your prediction for {k} does not match your measurement: its correlation "
                    f"with the trained map {say[measured[k]]}. (A map that explains the classifier "
                    "should keep drifting away; one that stays shows the image, not the network.)")
    return ("Saliency passes the cascade; a map that stays put as every layer is randomized shows "
            "the method and the image, not what the network learned.")
