"""Checks for chapter 5's exercises (gradients as infinitesimal motion)."""

from __future__ import annotations

from ._core import (
    Wrong,
    allclose,
    cached,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_tensor,
)

# ------------------------------------------------------------------------------------------
# ex-05-amplitude: the chain rule on paper (derivation)
# ------------------------------------------------------------------------------------------


def _random_problem(seed: int = 5):
    """Random coefficients ``c``, a smooth nonlinear real ``L(c)``, and ``g`` by autograd."""
    import torch

    gen = torch.Generator().manual_seed(seed)

    def randc(*shape):
        return torch.complex(torch.randn(*shape, generator=gen), torch.randn(*shape, generator=gen))

    c = randc(2, 3, 5)
    weights, scale = randc(2, 3, 5), torch.rand(2, 3, 5, generator=gen)

    def loss(z):
        return ((weights.conj() * z).real.sum() + (scale * z.abs() ** 2).sum()
                + (torch.sin(z.real) * torch.cos(2 * z.imag)).sum())

    leaf = c.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(leaf), leaf)
    return c, g, loss


def _polar_reference(c, loss):
    import torch

    delta = torch.zeros(c.shape, requires_grad=True)
    eta = torch.zeros(c.shape, requires_grad=True)
    d_delta, d_eta = torch.autograd.grad(loss(c * torch.exp(torch.complex(eta, delta))), (delta, eta))
    return d_delta, d_eta


def _shift_reference(c, loss, omega):
    import torch

    d = torch.zeros(2, requires_grad=True)
    phase = -(omega[0] * d[0] + omega[1] * d[1])
    (dd,) = torch.autograd.grad(loss(c * torch.exp(1j * phase)), (d,))
    return dd


def _real_output(fn, name, *args, shape):
    import torch

    out = call(fn, name, *[t.clone() for t in args])
    if isinstance(out, torch.Tensor) and out.is_complex():
        raise Wrong(f"`{name}` returns complex numbers: a derivative of a real L with respect to "
                    "a real parameter is real. Take the real or the imaginary part of your "
                    "complex expression (which one is the question).")
    return expect_tensor(out, f"what `{name}` returns", shape=shape)


@exercise("ex-05-amplitude", chapter=5, kind="derivation", title="The chain rule on paper",
          reads=("dL_ddelta", "dL_deta", "dL_dshift"))
def _chain_rule(a):
    import torch

    f_delta = expect_callable(a.get("dL_ddelta"), "dL_ddelta")
    f_eta = expect_callable(a.get("dL_deta"), "dL_deta")
    f_shift = expect_callable(a.get("dL_dshift"), "dL_dshift")
    c, g, loss = _random_problem()
    d_delta, d_eta = _polar_reference(c, loss)

    mine = _real_output(f_delta, "dL_ddelta", g, c, shape=tuple(c.shape))
    if allclose(mine, d_eta):
        raise Wrong("`dL_ddelta` returns ∂L/∂η, the part of g that *stretches* c. Turning c by "
                    "δ moves it along ∂c/∂δ = i c: write g = a + ib and apply the chain rule to "
                    "Re c and Im c.")
    if allclose(mine, (g * c).imag) or allclose(mine, -(g * c).imag):
        raise Wrong("`dL_ddelta` behaves like Im(g c) without a conjugate: the chain rule "
                    "pairs ∂L/∂Re c with ∂Re c/∂δ and ∂L/∂Im c with ∂Im c/∂δ, a real dot "
                    "product of two arrows, which in complex notation needs one conjugate.")
    if allclose(mine, (g * c.conj()).imag / c.abs()) or allclose(mine, -(g * c.conj()).imag / c.abs()):
        raise Wrong("`dL_ddelta` is missing a factor |c|: the arrow ∂c/∂δ = i c has the length "
                    "of c, so a large coefficient turns the image more per radian.")
    expect_close(mine, d_delta, "what `dL_ddelta` returns", rtol=1e-3, atol=1e-5,
                 hint="Write g = a + ib and ∂c/∂δ = i c, and collect the two products of the "
                      "chain rule.")

    mine = _real_output(f_eta, "dL_deta", g, c, shape=tuple(c.shape))
    if allclose(mine, d_delta) or allclose(mine, -d_delta):
        raise Wrong("`dL_deta` returns the phase derivative: η stretches c (∂c/∂η = c), it "
                    "does not turn it.")
    if allclose(mine, (g * c).real):
        raise Wrong("`dL_deta` behaves like Re(g c) without a conjugate: the chain rule is a "
                    "real dot product of the arrows g and ∂c/∂η, which needs one conjugate.")
    expect_close(mine, d_eta, "what `dL_deta` returns", rtol=1e-3, atol=1e-5,
                 hint="∂c/∂η = c: the same chain rule as for δ, with c in place of i c.")

    gen = torch.Generator().manual_seed(11)
    for omega in (torch.tensor([0.7, -1.3]), torch.rand(2, generator=gen) * 2 + 0.3):
        out = call(f_shift, "dL_dshift", g.clone(), c.clone(), omega.clone())
        out = expect_tensor(out, "what `dL_dshift` returns")
        if out.is_complex():
            raise Wrong("`dL_dshift` returns complex numbers: ∂L/∂d is two real numbers.")
        if out.numel() > 2 and out.numel() == 2 * c.numel():
            raise Wrong("`dL_dshift` returns one pair per coefficient: the same d moves every "
                        "coefficient of the band, so its derivative adds up their contributions.")
        if out.numel() != 2:
            raise Wrong(f"`dL_dshift` should return two numbers (∂L/∂d_y, ∂L/∂d_x); it returns "
                        f"shape {tuple(out.shape)}.")
        out = out.reshape(2)
        reference = _shift_reference(c, loss, omega)
        if allclose(out, reference.flip(0)) and not allclose(out, reference):
            raise Wrong("`dL_dshift` has its two components swapped: return (∂L/∂d_y, ∂L/∂d_x), "
                        "in the order of `omega` = (ω_y, ω_x).")
        summed = d_delta.sum()
        if allclose(out, -summed / omega) or allclose(out, summed / omega):
            raise Wrong("`dL_dshift` divides by ω: that converts a phase *step* into the "
                        "displacement that would make it (d = −δ/ω, section 3). A derivative "
                        "goes the other way: the chain rule multiplies by ∂δ/∂d.")
        expect_close(out, reference, "what `dL_dshift` returns", rtol=1e-3, atol=1e-5,
                     hint="Every coefficient's phase changes by δ = −ω_y d_y − ω_x d_x: apply "
                          "the chain rule through δ and add up over the band.")
    return ("All three agree with autograd. The rule behind them: for any real parameter t, "
            "∂L/∂t = Re(ḡ ∂c/∂t).")


# ------------------------------------------------------------------------------------------
# ex-05-first-order: the tangent's slope on paper (derivation)
# ------------------------------------------------------------------------------------------

_SLOPE_LENSES = {  # name: (domain, component)
    "pixel": ("pixel", "phase"),
    "Fourier phase": ("fourier", "phase"),
    "CSP phase": ("csp", "phase"),
    "CSP amplitude": ("csp", "amplitude"),
}


@cached
def _measured_slopes(driver, images, target, eps=1e-3):
    """Per lens: (G, r, dL/dα at 0 by a central difference), the lens in its l2 unit."""
    import torch

    from ..lens import SteerableLens

    out = {}
    for name, (domain, component) in _SLOPE_LENSES.items():
        lens = SteerableLens(driver, domain=domain, component=component, height=3)
        grad = lens.gradient(images, target)
        parts = [p for p in (grad.grad_phase, grad.grad_log_amplitude, grad.grad_pixel) if p]
        squared = sum((t.detach() ** 2).flatten(1).sum(1) for p in parts for t in p)
        raw = 1 / grad.unit  # l2 unit: the first-order image change of a raw unit step
        frames = torch.cat([lens.apply(grad, eps), lens.apply(grad, -eps)])
        with torch.no_grad():
            log_p = torch.log_softmax(driver(frames), 1)[:, target]
        n = len(images)
        slope = -(log_p[:n] - log_p[n:]) / (2 * eps)  # L = −log p
        out[name] = (squared.double(), raw.double(), slope.double())
    return out


@exercise("ex-05-first-order", chapter=5, kind="derivation", title="The tangent's slope on paper",
          reads=("tangent_slope",))
def _tangent_slope(a):
    import torch

    fn = expect_callable(a.get("tangent_slope"), "tangent_slope")
    driver = a.chapter("driver")
    images = a.chapter("x_all")[:16]
    target = int(a.context("RIGHT", 1))
    measured = _measured_slopes(driver, images, target)
    answers = {}
    for name, (squared, raw, _) in measured.items():
        out = call(fn, "tangent_slope", squared.clone(), raw.clone())
        answers[name] = expect_tensor(out, "what `tangent_slope` returns",
                                      shape=tuple(squared.shape)).double()
    rtol = 0.05  # the central difference is not exact (clipping, ReLU kinks)

    def fits(name, values):
        return bool(((values - measured[name][2]).abs() <= rtol * measured[name][2].abs()).all())

    passing = [name for name in measured if fits(name, answers[name])]
    if len(passing) == len(measured):
        return ("Your slope matches the measured tangent of all four lenses. Divided by "
                "‖∇ₓL‖ it is minus section 5's efficiency: no lens is steeper than pixels.")
    every = {name: v for name, v in answers.items()}
    squared_all = torch.cat([measured[n][0] for n in measured])
    raw_all = torch.cat([measured[n][1] for n in measured])
    mine = torch.cat([every[n] for n in measured])
    target_all = torch.cat([measured[n][2] for n in measured])
    if allclose(mine, -squared_all, rtol=1e-3):
        raise Wrong("`tangent_slope` gives the slope per *raw* unit (normalize=\"none\", "
                    "θ_α = θ₀ − α∇L): that is part (a). In the l2 unit, α = 1 is the step whose "
                    "first-order image change is 1: how long a raw step is that?")
    if passing == ["pixel"]:
        raise Wrong("`tangent_slope` is right for the pixel lens, where θ = x and r = √G, but "
                    "not for the lenses that edit phases or amplitudes: their step is not "
                    "parallel to −∇ₓL. Write r in terms of the step's image change, not G.")
    if allclose(mine, -squared_all / raw_all**2, rtol=1e-3):
        raise Wrong("`tangent_slope` divides by r twice: the l2 unit rescales the step once "
                    "(α_l2 = r · α_raw), and the slope is linear in the step.")
    expect_close(mine, target_all, "the slopes `tangent_slope` gives", rtol=rtol,
                 hint="Chain rule along the line: dL/dα = ⟨∇_θL, dθ/dα⟩; in raw units "
                      "dθ/dα = −∇_θL, and the l2 unit rescales α so that the first-order "
                      "image change per unit α is 1.")
    raise Wrong("`tangent_slope` fits some lenses but not all of them "
                f"({', '.join(passing) or 'none'}); it should hold for any lens.")


# ------------------------------------------------------------------------------------------
# ex-05-scale: which scale asks for the motion? (prediction)
# ------------------------------------------------------------------------------------------

SCALE_OPTIONS = ("a", "b", "c", "d")


@cached
def _scale_alignment(driver, images, motion, target):
    """Median cosine with the motion of each single-scale CSP-phase step, and of all three."""
    import torch

    from ..lens import SteerableLens

    def cosine(u, v):
        u, v = u.flatten(1), v.flatten(1)
        return (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1))

    def median_cosine(weights):
        lens = SteerableLens(driver, domain="csp", component="phase", height=3,
                             scale_weights=weights)
        grad = lens.gradient(images, target)
        eps = 1e-2
        change = (lens.apply(grad, eps) - lens.apply(grad, -eps)) / (2 * eps)
        return float(cosine(change, motion).median())

    singles = [median_cosine([1.0 if t == s else 0.0 for t in range(3)]) for s in range(3)]
    return torch.tensor(singles, dtype=torch.float64), median_cosine(None)


@exercise("ex-05-scale", chapter=5, kind="prediction", title="Which scale asks for the motion?",
          reads=("prediction_scale", "scale_alignment"))
def _scale(a):
    prediction = expect_choice(a.get("prediction_scale"), "prediction_scale", SCALE_OPTIONS)
    mine = expect_tensor(a.get("scale_alignment"), "scale_alignment").double().flatten()
    if mine.numel() != 3:
        raise Wrong(f"`scale_alignment` should hold three numbers, one per scale; it has "
                    f"{mine.numel()}.")
    driver = a.chapter("driver")
    singles, together = _scale_alignment(driver, a.chapter("x_all"), a.chapter("m_all"),
                                         int(a.context("RIGHT", 1)))
    if not allclose(mine, singles, rtol=0.0, atol=0.02) and allclose(mine, singles.flip(0), rtol=0.0,
                                                                   atol=0.02):
        raise Wrong("`scale_alignment` is in the wrong order: the finest scale (scale 0) first.")
    if bool(((mine < -1) | (mine > 1)).any()):
        raise Wrong("`scale_alignment` holds values outside [−1, 1]: it should hold cosines.")
    expect_close(mine, singles, "scale_alignment", rtol=0.0, atol=0.02,
                 hint="Per scale: a CSP-phase lens with that scale's weight 1 and the others 0, "
                      "`first_order_change` on `x_all`, then the *median* over the images of "
                      "`cosine(change, m_all)`.")
    least = int(singles.argmin())
    if float(singles.max() - singles.min()) < 0.1:
        shown = "d"
    elif least == 2:
        shown = "c"
    elif float(singles.max()) < together:
        shown = "a"
    else:
        shown = "b"
    if prediction == shown:
        return "Your measurement is right, and it bears out your prediction."
    why = {
        "a": "the finest scale is not the least motion-like one, or a single scale does as "
             "well as all three together.",
        "b": "the best single scale does not reach the alignment of all three together "
             "(`alignment[\"CSP phase\"]`): moving a blob means moving its parts at every scale "
             "consistently.",
        "c": "the coarsest scale is not the least motion-like one. Where is the power of a "
             "blob of σ ≈ 2 px, and what does the finest band (wavelengths under 4 px) mostly "
             "see?",
        "d": "the three scales are far from equally motion-like: one of them sees mostly the "
             "noise.",
    }
    raise Wrong(f"your measurement is right, but it does not bear out prediction "
                f"{prediction!r}: {why[prediction]} Compare your three medians with each other "
                "and with all scales together, then say which option they support.")
