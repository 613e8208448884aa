"""Checks for chapter 2's exercises (local phase and linear magnification)."""

from __future__ import annotations

import math

from ._core import Wrong, call, exercise, expect_callable, expect_close, expect_number

# ------------------------------------------------------------------------------------------
# ex-02-shift-from-phase (computation)
# ------------------------------------------------------------------------------------------


def _grating_phase_change(filter_wavelength: float, d: float) -> float:
    """Δφ of the 12-px grating moved by ``d``, seen by the quadrature pair of ``filter_wavelength``
    and averaged (amplitude-weighted) over positions 32 to 224."""
    import torch

    from ..signals import grating, quadrature_response

    still = grating(256, 12.0, dtype=torch.float64)
    moved = grating(256, 12.0, shift=d, dtype=torch.float64)
    c_still = quadrature_response(still, filter_wavelength)[32:224]
    c_moved = quadrature_response(moved, filter_wavelength)[32:224]
    return float(torch.angle((c_moved * c_still.conj()).sum()))


@exercise("ex-02-shift-from-phase", chapter=2, kind="computation", title="Read a shift from local phase",
          reads=("delta_phi", "d_hat", "wavelength", "d_true"))
def _shift_from_phase(a):
    d_true = float(a.context("d_true", 0.8))
    filter_wavelength = float(a.context("wavelength", 16.0))
    delta_phi = expect_number(a.get("delta_phi"), "delta_phi")
    d_hat = expect_number(a.get("d_hat"), "d_hat")
    reference = _grating_phase_change(filter_wavelength, d_true)
    expect_close(delta_phi, reference, "delta_phi", rtol=0.02,
                 hint="Δφ is the angle of Σ c_moved · conj(c_still) over positions 32 to 224, "
                      "with the quadrature pair of section 1 (λ = 16 px).")
    omega_filter, omega_signal = 2 * math.pi / filter_wavelength, 2 * math.pi / 12.0
    if abs(d_hat - (-delta_phi / omega_filter)) <= 0.01 and abs(d_hat - d_true) > 0.01:
        raise Wrong("`d_hat` divides Δφ by the filter's ω. The filter only picks the grating out; "
                    "the local phase of its response advances at the rate of the signal it sees. "
                    "Which ω is that?")
    if abs(d_hat + d_true) <= 0.01:
        raise Wrong("`d_hat` has the right size but the wrong sign: a shift d changes the local "
                    "phase by Δφ = −ω d.")
    if abs(d_hat - d_true) > 0.01 and abs(d_hat - (-delta_phi / omega_signal)) > 0.01:
        raise Wrong("`d_hat` does not follow from your `delta_phi`: a shift d changes the local "
                    "phase by Δφ = −ω d, so d = −Δφ / ω, with the right ω.")
    expect_close(d_hat, d_true, "d_hat", atol=0.01, rtol=0.0, hint="d = −Δφ / ω.")
    return ("The phase advances at the grating's frequency, whatever the filter's tuning: converting "
            "phase to displacement needs the local frequency, multiplying phase by α does not.")


# ------------------------------------------------------------------------------------------
# ex-02-oblique-bound (derivation)
# ------------------------------------------------------------------------------------------

# (wavelength px, δ px, θ rad): θ is the angle between the motion and the wave vector
_BOUND_CASES = ((16.0, 0.25, 0.0), (32.0, 0.25, 0.0), (16.0, 0.25, 0.6), (10.0, 0.1, -1.0),
                (24.0, 0.5, 2.5), (8.0, 0.05, 1.2), (12.0, 0.3, -2.9), (40.0, 0.2, 0.3))


def _bound(wavelength, delta, theta):
    return wavelength / (8 * delta * abs(math.cos(theta))) - 1


@exercise("ex-02-oblique-bound", chapter=2, kind="derivation", title="The λ/8 bound, for any direction",
          reads=("alpha_bound",))
def _oblique_bound(a):
    import torch

    fn = expect_callable(a.get("alpha_bound"), "alpha_bound")
    values = torch.tensor([expect_number(call(fn, "alpha_bound", lam, d, th), "what `alpha_bound` returns")
                           for lam, d, th in _BOUND_CASES], dtype=torch.float64)
    target = torch.tensor([_bound(*c) for c in _BOUND_CASES], dtype=torch.float64)

    def like(candidate) -> bool:
        alt = torch.tensor([candidate(*c) for c in _BOUND_CASES], dtype=torch.float64)
        return bool(((values - alt).abs() <= 1e-6 + 1e-6 * alt.abs()).all())

    if bool(((values - target).abs() <= 1e-6 + 1e-6 * target.abs()).all()):
        return ("Only the component of the motion along ω counts: a motion along the crests "
                "changes nothing, so it escapes the bound and the magnifier alike.")
    if like(lambda lam, d, th: lam / (8 * d) - 1):
        raise Wrong("`alpha_bound` does not depend on the direction θ. It is right for a motion "
                    "along the wave vector, but a grating moved along its crests does not change "
                    "at all (section 2: only the component of d along ω changes the phase).")
    if like(lambda lam, d, th: lam / (8 * d * math.cos(th)) - 1):
        raise Wrong("`alpha_bound` is negative for motions that point against the wave vector, "
                    "but moving the other way is just as large a motion: only the size of the "
                    "component along ω matters.")
    if like(lambda lam, d, th: _bound(lam, d, th) + 1):
        raise Wrong("`alpha_bound` returns the largest 1 + α, the factor that multiplies the "
                    "motion; the exercise asks for α itself.")
    if like(lambda lam, d, th: 2 * (_bound(lam, d, th) + 1) - 1):
        raise Wrong("`alpha_bound` allows a magnified displacement of λ/4 along ω, but Wu et "
                    "al.'s criterion ωD ≤ π/4 means D ≤ (π/4)/ω, with ω = 2π/λ.")
    expect_close(values, target, "`alpha_bound` at the check's test cases", rtol=1e-4,
                 hint="Write the magnified displacement's component along ω, D_ω = (1+α) δ |cos θ|, "
                      "and apply ω D_ω ≤ π/4.")
    return None


# ------------------------------------------------------------------------------------------
# ex-02-linear-limit (computation)
# ------------------------------------------------------------------------------------------


def _linear_errors(a, alphas):
    """Relative displacement error of linear magnification of the 32-px patch, per α."""
    import torch

    from ..magnify import LinearMagnifier
    from ..signals import displacement_gain, moving_pattern, sinusoidal_displacement

    fs, low, high = (float(a.context(k, v)) for k, v in (("fs", 32.0), ("low", 1.0), ("high", 3.0)))
    delta = a.context("delta")
    if not isinstance(delta, torch.Tensor):
        delta = sinusoidal_displacement(32, 0.25, 2.0, 32.0)
    wide = moving_pattern(delta, shape=(64, 64), wavelength=32.0, sigma=20.0, contrast=0.5)
    mag = LinearMagnifier(wide.video, low, high, fs)
    out = {}
    for alpha in alphas:
        gain = displacement_gain(mag.render(float(alpha), clip=False), wide.video[0], delta)
        out[alpha] = abs(gain - (1 + alpha)) / (1 + alpha)
    return out, float(delta.abs().max())


@exercise("ex-02-linear-limit", chapter=2, kind="computation", title="How far does linear magnification go?",
          reads=("alpha_max", "delta", "low", "high", "fs"))
def _linear_limit(a):
    value = expect_number(a.get("alpha_max"), "alpha_max")
    if value != round(value) or not 0 <= value <= 40:
        raise Wrong("`alpha_max` should be one of the integers of `range(0, 41)`: the largest α of "
                    "the sweep that stays within 10 %, not a solution of the arctan equation.")
    alpha = int(round(value))
    errors, amplitude = _linear_errors(a, [alpha, alpha + 1])
    if alpha == round(32.0 / (8 * amplitude) - 1) and errors[alpha] > 0.10:
        raise Wrong("`alpha_max` is where the λ/8 bound is reached, but the error there is already "
                    "above 10 %: measure the sweep and take the last α within 10 %.")
    if errors[alpha] > 0.10:
        raise Wrong("at α = `alpha_max` the measured displacement already misses (1+α)δ by more than "
                    "10 %: the largest α that stays within is smaller.")
    if alpha < 40 and errors[alpha + 1] <= 0.10:
        raise Wrong("at α = `alpha_max` + 1 the measured displacement is still within 10 % of "
                    "(1+α)δ: a larger α qualifies. (Did you sweep the 32-px patch, `sigma=20.0`?)")
    return None
