"""Checks for chapter 12's exercises (the explorer; every check works without a live widget)."""

from __future__ import annotations

import math

from ._core import (
    Wrong,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_number,
)


def _digits(a):
    """The chapter's ``digits`` explorer (section 6)."""
    ex = a.context("digits")
    if ex is None or not hasattr(ex, "sweep"):
        raise Wrong("this check needs the chapter's `digits` (the `Explorer` of section 6): run the "
                    "chapter's cells from the top first, then this one.")
    return ex


def _line(ex, domain, alphas, *, scales=None, judges=True):
    """The driver's (and judges') probabilities along the phase line of ``domain``.

    For ``ex``'s current model, image and target, computed with a lens of its own, so that the
    check never changes the explorer the student is using. Returns (probs K×classes,
    {judge: K×classes}, target).
    """
    import torch

    from ..lens import SteerableLens

    s = ex.state
    weights = None
    if domain == "csp" and scales is not None:
        weights = [1.0 if k in scales else 0.0 for k in range(ex.num_scales)]
    lens = SteerableLens(ex.models[s.model], domain=domain, component="phase", objective=ex.objective,
                         height=ex.height, order=ex.order, preprocess=ex.preprocess,
                         normalize=ex.normalize, scale_weights=weights, downsample=ex.downsample)
    grad = lens.gradient(ex.images[s.image : s.image + 1], s.target)
    frames = lens.frames_from_gradient(grad, torch.as_tensor(alphas, dtype=torch.float64))[0]
    probs = lens.probabilities(frames)
    judge_probs = {}
    if judges:
        for name, model in ex.judges.items():
            judge_probs[name] = SteerableLens(model, domain="pixel", preprocess=ex.preprocess).probabilities(frames)
    return probs, judge_probs, s.target


def _probability(value, name):
    p = expect_number(value, name)
    if not 0.0 <= p <= 1.0:
        raise Wrong(f"{name} should be a probability, between 0 and 1 (not a percentage or a logit).")
    return p


# ------------------------------------------------------------------------------------------
# ex-12-flip (computation)
# ------------------------------------------------------------------------------------------


@exercise("ex-12-flip", chapter=12, kind="computation", title="The smallest amplification that flips the decision",
          reads=("alpha_flip", "p_flip", "digits"))
def _flip(a):
    import torch

    alpha = expect_number(a.get("alpha_flip"), "alpha_flip")
    p = _probability(a.get("p_flip"), "`p_flip`")
    ex = _digits(a)
    grid = torch.linspace(0, 8, 81, dtype=torch.float64)
    probs, _, t = _line(ex, "csp", grid, judges=False)
    flipped = (probs.argmax(dim=1) == t).nonzero().flatten()
    if flipped.numel() == 0:
        raise Wrong("for the current image and target of `digits` the driver never picks the target "
                    "on this grid: did you change the explorer's image or target? Select the "
                    "section's (image 7, target 9) again.")
    first = int(flipped[0])
    k = int((grid - alpha).abs().argmin())
    if abs(float(grid[k]) - alpha) > 1e-4:
        raise Wrong("`alpha_flip` is not a point of the grid `torch.linspace(0, 8, 81)` (steps of 0.1): "
                    "take the α of the first frame of the sweep whose top class is the target.")
    if k > first:
        raise Wrong("the driver's top class is already the target at a smaller α of the grid: look for "
                    "the *first* frame where `probs.argmax(dim=1) == target`.")
    if k < first:
        raise Wrong("at `alpha_flip` the driver's top class is not the target yet: its probability may "
                    "be rising, but another class is still ahead.")
    p_true = float(probs[first, t])
    if abs(p - p_true) > 1e-3:
        source = int(probs[0].argmax())
        if abs(p - float(probs[first, source])) <= 1e-3:
            raise Wrong("`p_flip` is the probability of the source's class on that frame; the exercise "
                        "asks for the target's.")
        raise Wrong("`p_flip` is not the driver's probability of the target on the frame at "
                    "`alpha_flip` (`sweep.probs[k, target]`, or `digits.set_alpha(alpha_flip).target_prob` "
                    "in the `csp` phase setting with all scales).")
    return ("At the flip the target only has to beat every other class, so its probability there can "
            "be well below what it reaches later.")


# ------------------------------------------------------------------------------------------
# ex-12-first-order (derivation): α* = −m(0) / m'(0) for a linear softmax classifier
# ------------------------------------------------------------------------------------------


def _linear_problems():
    """Random linear classifiers (W, b, x0, t, s) and the exact flip α on the lens's pixel line.

    s is the source's top class; t another class whose margin the nll line raises."""
    import torch

    gen = torch.Generator().manual_seed(12)
    out = []
    for k, d in ((3, 4), (5, 30), (10, 100), (4, 12), (2, 20), (6, 50), (8, 8)):
        while True:
            W = torch.randn(k, d, generator=gen, dtype=torch.float64)
            b = torch.randn(k, generator=gen, dtype=torch.float64)
            x0 = torch.randn(d, generator=gen, dtype=torch.float64)
            f = W @ x0 + b
            s = int(f.argmax())
            t = int(torch.randint(k - 1, (1,), generator=gen))
            t = t + 1 if t >= s else t
            x = x0.clone().requires_grad_(True)
            loss = -torch.log_softmax(W @ x + b, dim=0)[t]
            (g,) = torch.autograd.grad(loss, x)
            u = -g / g.norm()
            slope = float((W[t] - W[s]) @ u)
            if slope > 1e-3:
                alpha = -float(f[t] - f[s]) / slope
                out.append((W, b, x0, t, s, alpha, g))
                break
    return out


@exercise("ex-12-first-order", chapter=12, kind="derivation", title="The flip, predicted to first order",
          reads=("alpha_star",))
def _first_order(a):
    import torch

    fn = expect_callable(a.get("alpha_star"), "alpha_star")
    problems = _linear_problems()
    values = torch.tensor([expect_number(call(fn, "alpha_star", W.clone(), b.clone(), x0.clone(), t, s),
                                         "what `alpha_star` returns")
                           for W, b, x0, t, s, _, _ in problems], dtype=torch.float64)
    target = torch.tensor([p[5] for p in problems], dtype=torch.float64)

    def like(candidate) -> bool:
        alt = torch.tensor([candidate(*p) for p in problems], dtype=torch.float64)
        return bool(((values - alt).abs() <= 1e-6 + 1e-4 * alt.abs()).all())

    def margin0(W, b, x0, t, s):
        return float((W[t] - W[s]) @ x0 + b[t] - b[s])

    if bool(((values - target).abs() <= 1e-6 + 1e-4 * target.abs()).all()):
        return ("For a network the same formula is a linearisation at the source: its curvature "
                "along the line decides whether the measured flip comes earlier or later.")
    if like(lambda W, b, x0, t, s, *_: -margin0(W, b, x0, t, s) / float((W[t] - W[s]).norm())):
        raise Wrong("`alpha_star` walks along the gradient of the margin f_t − f_s: the distance to "
                    "the boundary between t and s, the line of a lens whose objective is the margin. "
                    "This lens descends −log softmax(f)_t, whose gradient pulls towards t and away "
                    "from every class in proportion to its probability; the margin's slope is its "
                    "projection on that line (the two agree only with two classes).")
    if like(lambda W, b, x0, t, s, *_: -margin0(W, b, x0, t, s) / float((W[t] - W[s]) @ W[t] / W[t].norm())):
        raise Wrong("`alpha_star` walks along w_t, the gradient of the `logit` objective −f_t. This "
                    "lens's objective is `nll`, −log softmax(f)_t: differentiate that.")
    if like(lambda W, b, x0, t, s, _alpha, g: -margin0(W, b, x0, t, s) / float((W[t] - W[s]) @ -g)):
        raise Wrong("`alpha_star` steps along the raw gradient. With the `l2` unit the step per unit α "
                    "has L2 norm 1 (α counts image change), so normalise the direction.")
    expect_close(values, target, "`alpha_star` on the check's random classifiers", rtol=1e-4,
                 hint="The step is u = −∇L/‖∇L‖ with ∇_x L = −Wᵀ(e_t − softmax(f)); the margin "
                      "m = (w_t − w_s)ᵀx + b_t − b_s changes at the rate (w_t − w_s)ᵀu.")
    return None


# ------------------------------------------------------------------------------------------
# ex-12-scales (prediction)
# ------------------------------------------------------------------------------------------

_SCALE_OPTIONS = {
    "a": "the finest scale alone does about as much as all scales together",
    "b": "the coarsest scale alone does about as much as all scales together",
    "c": "neither scale alone comes close to all scales together",
}
_SCALE_WHY = {
    "b": ("A digit's class is decided by where its strokes are and how they join, structure the "
          "size of the coarse bands; shifting the edges of the strokes by a fraction of a pixel, "
          "which is what the finest band can do, changes little."),
    "a": "Here the classifier's decision rests on fine detail: the finest band holds it.",
    "c": "Here the decision needs several bands at once: no single one carries it.",
}


def _measured_scales(values):
    finest, coarsest, every = values["finest"], values["coarsest"], values["all"]
    near_f, near_c = finest >= 0.75 * every, coarsest >= 0.75 * every
    if near_c and not near_f:
        return {"b"}
    if near_f and not near_c:
        return {"a"}
    if near_f and near_c:
        return {"a", "b"}
    return {"c"}


@exercise("ex-12-scales", chapter=12, kind="prediction", title="Which scales carry the edit?",
          reads=("prediction_scales", "p_by_scales", "digits"))
def _scales(a):
    import torch

    prediction = expect_choice(a.get("prediction_scales"), "prediction_scales", _SCALE_OPTIONS)
    given = a.get("p_by_scales")
    if not isinstance(given, dict) or set(given) != {"finest", "coarsest", "all"}:
        raise Wrong('`p_by_scales` should be a dict with exactly the keys "finest", "coarsest" and '
                    '"all".')
    values = {k: _probability(v, f'`p_by_scales["{k}"]`') for k, v in given.items()}
    ex = _digits(a)
    coarsest = ex.num_scales - 1
    alpha = torch.tensor([3.0], dtype=torch.float64)
    reference = {
        "finest": float(_line(ex, "csp", alpha, scales=[0], judges=False)[0][0, ex.state.target]),
        "coarsest": float(_line(ex, "csp", alpha, scales=[coarsest], judges=False)[0][0, ex.state.target]),
        "all": float(_line(ex, "csp", alpha, judges=False)[0][0, ex.state.target]),
    }
    wrong = [k for k in values if abs(values[k] - reference[k]) > 2e-3]
    if wrong:
        if (set(wrong) == {"finest", "coarsest"} and abs(values["finest"] - reference["coarsest"]) <= 2e-3
                and abs(values["coarsest"] - reference["finest"]) <= 2e-3):
            raise Wrong("`p_by_scales` has the finest and the coarsest scale swapped: scale 0 is the "
                        "finest, `digits.num_scales - 1` the coarsest.")
        raise Wrong(f"`p_by_scales` does not hold the driver's target probability at α = 3 in the "
                    f"`csp` phase setting for {', '.join(repr(k) for k in wrong)}: set the slider "
                    "with `digits.set_alpha(3.0)`, then read `digits.select(scales=[...]).target_prob` "
                    "(`scales=None` for all).")
    measured = _measured_scales(reference)
    if prediction not in measured:
        shown = sorted(measured)[0]
        raise Wrong(f"your prediction ({prediction!r}: {_SCALE_OPTIONS[prediction]}) is not what your "
                    f"measurement shows: {_SCALE_OPTIONS[shown]}. {_SCALE_WHY[shown]} Change "
                    "`prediction_scales` to what you measured once you see why.")
    return _SCALE_WHY[prediction]


# ------------------------------------------------------------------------------------------
# ex-12-judges (computation)
# ------------------------------------------------------------------------------------------


@exercise("ex-12-judges", chapter=12, kind="computation", title="Confidence is not evidence",
          reads=("judges_at_half", "digits"))
def _judges(a):
    import torch

    given = a.get("judges_at_half")
    if not isinstance(given, dict) or set(given) != {"csp", "pixel"}:
        raise Wrong('`judges_at_half` should be a dict with exactly the keys "csp" and "pixel".')
    ex = _digits(a)
    grid = torch.linspace(0, 8, 41, dtype=torch.float64)
    for domain in ("csp", "pixel"):
        probs, judge_probs, t = _line(ex, domain, grid)
        reached = (probs[:, t] >= 0.5).nonzero().flatten()
        value = given[domain]
        if reached.numel() == 0:
            if value is not None:
                raise Wrong(f"in the `{domain}` domain the driver never reaches 0.5 on this grid: the "
                            "exercise asks for `None` there.")
            continue
        if value is None:
            raise Wrong(f"in the `{domain}` domain the driver does reach 0.5 on the grid "
                        "`torch.linspace(0, 8, 41)`: read the judges on that frame.")
        v = _probability(value, f'`judges_at_half["{domain}"]`')
        k = int(reached[0])
        stack = torch.stack([p[:, t] for p in judge_probs.values()])  # judges × K
        mean = stack.mean(dim=0)
        if abs(v - float(mean[k])) <= 2e-3:
            continue
        if abs(v - float(probs[k, t])) <= 2e-3:
            raise Wrong(f'`judges_at_half["{domain}"]` is the driver\'s probability; the exercise asks '
                        "for the judges' mean on that frame.")
        if any(abs(v - float(row[k])) <= 2e-3 for row in stack):
            raise Wrong(f'`judges_at_half["{domain}"]` is one judge\'s probability: average the two '
                        "judges.")
        if bool(((mean - v).abs() <= 2e-3).any()):
            raise Wrong(f'`judges_at_half["{domain}"]` is the judges\' mean on another frame: take the '
                        "first α at which the *driver* gives the target at least 0.5.")
        raise Wrong(f'`judges_at_half["{domain}"]` is not the judges\' mean probability of the target '
                    "on the first frame where the driver gives it at least 0.5 (grid "
                    f"`torch.linspace(0, 8, 41)`, `{domain}` domain, phase, all scales).")
    return None


# ------------------------------------------------------------------------------------------
# ex-12-judge-rate (derivation): r_J = ⟨g_J, g_D⟩ / ‖g_D‖ and the chance level 1/√d
# ------------------------------------------------------------------------------------------


def _gradient_pairs():
    import torch

    gen = torch.Generator().manual_seed(1212)
    pairs = []
    for d in (3, 20, 784, 50):
        g_d = torch.randn(d, generator=gen, dtype=torch.float64) * 3
        g_j = 0.4 * g_d + torch.randn(d, generator=gen, dtype=torch.float64)
        pairs.append((g_d, g_j))
    return pairs


_DIMS = (2, 3, 10, 784, 3 * 64 * 64)


@exercise("ex-12-judge-rate", chapter=12, kind="derivation", title="How much of the push does a judge feel?",
          reads=("judge_rate", "chance_cosine"))
def _judge_rate(a):
    import torch

    rate = expect_callable(a.get("judge_rate"), "judge_rate")
    chance = expect_callable(a.get("chance_cosine"), "chance_cosine")
    pairs = _gradient_pairs()
    values = torch.tensor([expect_number(call(rate, "judge_rate", g_d.clone(), g_j.clone()),
                                         "what `judge_rate` returns") for g_d, g_j in pairs],
                          dtype=torch.float64)
    target = torch.tensor([float(g_j @ g_d / g_d.norm()) for g_d, g_j in pairs], dtype=torch.float64)

    def like(candidate) -> bool:
        alt = torch.tensor([float(candidate(g_d, g_j)) for g_d, g_j in pairs], dtype=torch.float64)
        return bool(((values - alt).abs() <= 1e-9 + 1e-6 * alt.abs()).all())

    if not bool(((values - target).abs() <= 1e-9 + 1e-6 * target.abs()).all()):
        if like(lambda g_d, g_j: g_j @ g_d):
            raise Wrong("`judge_rate` uses the raw gradient as the step. The line's step is a unit "
                        "vector (the `l2` unit: α counts image change), u = g_D / ‖g_D‖.")
        if like(lambda g_d, g_j: g_j @ g_d / (g_j.norm() * g_d.norm())):
            raise Wrong("`judge_rate` returns cos θ, the share of the judge's best possible rate; the "
                        "exercise asks for the rate itself, d log p_J / dα.")
        if like(lambda g_d, g_j: g_j.norm()):
            raise Wrong("`judge_rate` returns ‖g_J‖, the judge's best possible rate, which it reaches "
                        "only along its own gradient; the line is the driver's.")
        if like(lambda g_d, g_j: g_j @ g_d / g_j.norm()):
            raise Wrong("`judge_rate` projects the driver's gradient on the judge's direction; the "
                        "line follows the driver's direction, and the judge's gradient is projected "
                        "on it.")
        expect_close(values, target, "`judge_rate` on the check's test gradients", rtol=1e-6,
                     hint="To first order, log p_J(t | x₀ + αu) ≈ log p_J(t | x₀) + α g_Jᵀu.")
    dims = torch.tensor([float(d) for d in _DIMS], dtype=torch.float64)
    got = torch.tensor([expect_number(call(chance, "chance_cosine", d), "what `chance_cosine` returns")
                        for d in _DIMS], dtype=torch.float64)
    expected = dims.rsqrt()
    if bool(((got - expected).abs() <= 1e-6 * expected).all()):
        return ("The driver's confidence grows at the steepest rate there is, by construction; a "
                "judge's only through the share of its gradient that points the same way.")
    if bool((got.abs() <= 1e-12).all()):
        raise Wrong("`chance_cosine` returns 0: that is the *mean* of cos θ, zero by symmetry. The "
                    "exercise asks for the root-mean-square, √E[cos²θ].")
    if bool(((got - 1 / dims).abs() <= 1e-6 / dims).all()):
        raise Wrong("`chance_cosine` returns E[cos²θ], the mean square; the root-mean-square is its "
                    "square root.")
    if bool(((got - (2 / (math.pi * dims)).sqrt()).abs() <= 1e-6 * got.abs()).all()):
        raise Wrong("`chance_cosine` returns the mean of |cos θ| for large d; the exercise asks for "
                    "the root-mean-square, √E[cos²θ].")
    expect_close(got, expected, "`chance_cosine` at the check's dimensions", rtol=1e-6,
                 hint="By symmetry every coordinate of a random unit vector has the same mean square, "
                      "and the squares add up to 1.")
    return None
