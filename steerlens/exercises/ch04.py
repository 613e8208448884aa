"""Checks for chapter 4's exercises (phase-based motion magnification)."""

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
    expect_tensor,
)

TEMPORAL_ALPHA = 8.0  # ex-04-temporal
WRAP_WAVELENGTH, WRAP_DELTA = 16.0, 0.25  # ex-04-wrap: the chapter's patch


# ------------------------------------------------------------------------------------------
# ex-04-cancel (prediction)
# ------------------------------------------------------------------------------------------

_CANCEL_CACHE: dict = {}


def _cancel_reference(phase_mag, clip, delta) -> tuple[float, float]:
    from ..signals import displacement_gain, measure_shift

    key = (id(phase_mag), id(clip), id(delta))
    if _CANCEL_CACHE.get("key") != key:
        cancelled = phase_mag.render(-1.0, clip=False)
        reference = clip.video[0]
        _CANCEL_CACHE.update(key=key, value=(
            float(displacement_gain(cancelled, reference, delta)),
            float(measure_shift(cancelled, reference).abs().max())))
    return _CANCEL_CACHE["value"]


@exercise("ex-04-cancel", chapter=4, kind="prediction", title="Cancel the motion",
          reads=("prediction_cancel", "residual_gain", "residual_px", "phase_mag", "clip", "delta",
                 "amplitude"))
def _cancel(a):
    prediction = expect_choice(a.get("prediction_cancel"), "prediction_cancel", ("a", "b", "c"))
    gain = expect_number(a.get("residual_gain"), "residual_gain")
    px = expect_number(a.get("residual_px"), "residual_px")
    phase_mag, clip, delta = a.chapter("phase_mag"), a.chapter("clip"), a.chapter("delta")
    amplitude = float(a.context("amplitude", float(delta.abs().max())))
    ref_gain, ref_px = _cancel_reference(phase_mag, clip, delta)
    if abs(gain - 1) < 0.05:
        raise Wrong("`residual_gain` is about 1, the gain of the input clip itself: measure the clip "
                    "rendered at α = −1 (`phase_mag.render(-1.0, clip=False)`), not `clip.video`.")
    if abs(gain + 1) < 0.1:
        raise Wrong("`residual_gain` is about −1: the motion is reversed, which is what α = −2 "
                    "does (a magnified clip moves by (1 + α)δ). Render at α = −1.")
    expect_close(gain, ref_gain, "residual_gain", atol=0.01, rtol=0.0,
                 hint="Render `clip` with `phase_mag` at α = −1 (`clip=False`) and pass it, the "
                      "first input frame `clip.video[0]` and `delta` to `signals.displacement_gain`.")
    if px < 0:
        raise Wrong("`residual_px` is negative: take the largest *absolute* measured shift.")
    if px == 0:
        raise Wrong("`residual_px` is exactly zero, which no measurement gives: measure every frame "
                    "of the rendered clip with `signals.measure_shift` and take the largest |shift|.")
    if abs(px - amplitude) < 0.1 * amplitude:
        raise Wrong("`residual_px` is as large as the input's own motion: measure the clip rendered "
                    "at α = −1, not the input.")
    expect_close(px, ref_px, "residual_px", atol=0.01, rtol=0.0,
                 hint="Measure every frame of the rendered clip against `clip.video[0]` with "
                      "`signals.measure_shift` and take the largest absolute value, in px.")
    if prediction == "b":
        raise Wrong("Your measurement says otherwise: the motion is gone, not reversed. The edit "
                    "adds α times the motion's phase change; at α = −1 that is exactly minus the "
                    "phase change the motion caused, so the two cancel. Reversing the motion takes "
                    "twice as much (α = −2).")
    if prediction == "c":
        raise Wrong("Your measurement says otherwise: α = −1 removes the motion. A negative α is a "
                    "phase change in the opposite direction, i.e. a motion against δ(t), and here "
                    "it is exactly the motion's own phase change, undone.")
    return ("Each coefficient gets e^{−iB̃}, the phase change of a motion by −δ(t): "
            "a magnified clip moves by (1 + α)δ, and at α = −1 that is zero.")


# ------------------------------------------------------------------------------------------
# ex-04-temporal
# ------------------------------------------------------------------------------------------


@exercise("ex-04-temporal", chapter=4, kind="computation", title="Magnify one motion, not the other",
          reads=("gain_left", "gain_right"))
def _temporal(a):
    left = expect_number(a.get("gain_left"), "gain_left")
    right = expect_number(a.get("gain_right"), "gain_right")
    magnified = 1 + TEMPORAL_ALPHA
    if abs(left - 1) < 0.1 and abs(right - magnified) < 0.5:
        raise Wrong("The roles are swapped: the left patch (2 Hz, inside the 1–3 Hz band) should be "
                    "the magnified one. Check which half you measure against which displacement, "
                    "and which patch gets `delta`.")
    if abs(left - magnified) < 0.5 and abs(right - magnified) < 0.5:
        raise Wrong("Both patches are magnified: is the right one really moving at 6 Hz "
                    "(`signals.sinusoidal_displacement(32, amplitude, 6.0, fs)`)? A 6 Hz motion "
                    "lies outside the 1–3 Hz pass band and should keep its own size.")
    if abs(left - 1) < 0.1 and abs(right - 1) < 0.1:
        raise Wrong("Neither patch is magnified: did you measure the input instead of the output "
                    "of `magnify.phase_based` (α = 8, 1–3 Hz)?")
    if abs(right) < 0.2:
        raise Wrong("`gain_right` is about zero: the gain is measured against the motion the patch "
                    "really makes. Measure the right half against its own 6 Hz displacement, not "
                    "against `delta` (2 Hz), which it is uncorrelated with.")
    expect_close(left, magnified, "gain_left", atol=0.5, rtol=0.0,
                 hint="Measure columns :64 of the magnified video against the first input frame's "
                      "columns :64 and the 2 Hz `delta`.")
    expect_close(right, 1.0, "gain_right", atol=0.05, rtol=0.0,
                 hint="Measure columns 64: of the magnified video against the first input frame's "
                      "columns 64: and the 6 Hz displacement.")
    return ("Same pyramid, same α: only the time course of the phase decides which motion the "
            "temporal band-pass lets through.")


# ------------------------------------------------------------------------------------------
# ex-04-bandwidth (prediction)
# ------------------------------------------------------------------------------------------

_BANK_CACHE: dict = {}


def _third_reference(a) -> tuple[float, float]:
    log_bank, envelope_errors, support = (a.chapter(n) for n in ("log_bank", "envelope_errors",
                                                                  "support"))
    sweep, ref, moved = (a.chapter(n) for n in ("sweep_alpha", "ref_1d", "moved_1d"))
    wavelength = float(a.context("wavelength", 16.0))
    key = (id(log_bank), id(envelope_errors), id(sweep), id(ref), id(moved), wavelength)
    if _BANK_CACHE.get("key") != key:
        bank = log_bank(1 / 3)
        errors = envelope_errors(bank, sweep, ref, moved)
        broken = sweep[errors > 0.10]
        brk = float(broken[0]) if len(broken) else math.inf
        _BANK_CACHE.update(key=key, value=(brk, float(support(bank, wavelength))))
    return _BANK_CACHE["value"]


@exercise("ex-04-bandwidth", chapter=4, kind="prediction",
          title="Predict, then run: a third-octave bank",
          reads=("prediction_third", "break_third", "support_third", "log_bank", "envelope_errors",
                 "support", "sweep_alpha", "ref_1d", "moved_1d", "breaks", "bank_rows", "amplitude"))
def _bandwidth(a):
    prediction = expect_choice(a.get("prediction_third"), "prediction_third", ("a", "b", "c"))
    brk = expect_number(a.get("break_third"), "break_third")
    sup = expect_number(a.get("support_third"), "support_third")
    ref_break, ref_support = _third_reference(a)
    breaks = a.context("breaks") or {}
    amplitude = float(a.context("amplitude", 0.25))
    if brk != ref_break:
        if abs(brk - (1 + ref_break) * amplitude) < 1e-6:
            raise Wrong("`break_third` is a displacement (1 + α)δ in px; the exercise asks for the "
                        "amplification α itself.")
        for b, value in breaks.items():
            if abs(brk - value) < 1e-6:
                raise Wrong(f"`break_third` is the break of the {b:g}-octave bank from section 2.2, "
                            "not of a new bank with b = 1/3: build it with `log_bank(1 / 3)`.")
        expect_close(brk, ref_break, "break_third", atol=0.5, rtol=0.0,
                     hint="Take the first α of `sweep_alpha` whose envelope error is above 10 %: "
                          "`sweep_alpha[errors > 0.10][0]`.")
    for row in a.context("bank_rows") or []:
        if abs(sup - row[2]) < 1e-9 and abs(sup - ref_support) > 1e-6:
            raise Wrong(f"`support_third` is the support of the {row[0]:g}-octave bank: call "
                        "`support` on the third-octave bank.")
    expect_close(sup, ref_support, "support_third", rtol=1e-3,
                 hint="`support(bank, wavelength)` with the bank from `log_bank(1 / 3)`.")
    half, quarter = breaks.get(0.5), breaks.get(0.25)
    if half is None or quarter is None:
        raise Wrong("the chapter's `breaks` (section 2.2) is missing: run section 2.2's cells first.")
    measured = "a" if ref_break < half else ("b" if ref_break <= quarter else "c")
    if prediction != measured:
        why = {
            "a": "a third of an octave is narrower than a half, so its filters are wider in space, "
                 "and a wider window lets the carrier move further before the envelope falls "
                 "behind.",
            "b": "a third of an octave lies between a half and a quarter, and so does its filters' "
                 "spatial support, the quantity that orders the banks.",
            "c": "a third of an octave is wider than a quarter, so its filters are narrower in "
                 "space than the quarter-octave bank's, and its envelope stops following earlier.",
        }
        raise Wrong(f"Your measurement says otherwise: {why[prediction]}")
    return ("The spatial support orders the banks: narrower bands, wider windows, later break, "
            "more bands to compute.")


# ------------------------------------------------------------------------------------------
# ex-04-bounded-edit (derivation)
# ------------------------------------------------------------------------------------------


def _elementwise(fn, name: str, *args):
    """``fn(*args)`` on float64 tensors; if it only takes numbers, element by element."""
    import torch

    n = args[0].numel()
    try:
        out = fn(*args)
    except Exception:  # noqa: BLE001 (it may only take Python numbers: try them one by one)
        out = None
    if out is not None:
        out = expect_tensor(out, f"what `{name}` returns")
        if out.numel() == 1 and n > 1:
            raise Wrong(f"`{name}` returns a single number for tensors of inputs: make it work "
                        "elementwise (use torch functions, e.g. `torch.sin`, `torch.round`).")
        if out.numel() != n:
            raise Wrong(f"`{name}` returns {out.numel()} values for {n} inputs: make it work "
                        "elementwise.")
        return out.double().reshape(args[0].shape)
    values = [call(fn, name, *(float(v[i]) for v in args)) for i in range(n)]
    return torch.tensor([expect_number(v, f"what `{name}` returns") for v in values],
                        dtype=torch.float64)


def _near(u, v, tol=1e-6) -> bool:
    return bool((u - v).abs().max() <= tol * max(1.0, float(v.abs().max())))


@exercise("ex-04-bounded-edit", chapter=4, kind="derivation", title="A phase edit cannot blow up",
          reads=("edit_change", "large_alpha"))
def _bounded_edit(a):
    import torch

    fn = expect_callable(a.get("edit_change"), "edit_change")
    choice = expect_choice(a.get("large_alpha"), "large_alpha", ("a", "b", "c"))
    g = torch.Generator().manual_seed(4)
    rho = 2 * torch.rand(64, generator=g, dtype=torch.float64) + 0.1
    delta = 40 * torch.rand(64, generator=g, dtype=torch.float64) - 20  # well past ±π
    truth = (rho * torch.exp(1j * delta) - rho).abs()
    out = _elementwise(fn, "edit_change", rho, delta)
    if not _near(out, truth):
        if _near(out, rho * delta.abs()):
            raise Wrong("`edit_change` is |c|·|δ|: the first-order (small-δ) approximation, which "
                        "grows without bound. Write e^{iδ} − 1 exactly (hint: factor out e^{iδ/2}).")
        if _near(out, 2 * rho):
            raise Wrong("`edit_change` returns 2|c|, the upper bound: the change itself depends on "
                        "δ and reaches that bound only at some angles.")
        if _near(out, 2 * rho * torch.sin(delta / 2)):
            raise Wrong("`edit_change` is negative for some δ: a size is never negative (take the "
                        "absolute value of the sine).")
        if _near(out, 2 * rho * torch.sin(delta).abs()):
            raise Wrong("`edit_change` has the wrong period in δ: e^{iδ} − 1 = e^{iδ/2}(e^{iδ/2} − "
                        "e^{−iδ/2}); which angle does the sine take?")
        small = delta.abs() < 0.5
        if small.any() and _near(out[small], truth[small], 1e-2) and not _near(out, truth, 1e-2):
            raise Wrong("`edit_change` is right for small δ only; the check also tries |δ| up to "
                        "20 rad, where the exact change differs from its approximation.")
        raise Wrong("`edit_change(rho, delta)` does not equal |c·e^{iδ} − c| for |c| = rho (tested "
                    "on random values, δ up to ±20 rad). Hint: factor c·e^{iδ/2} out of "
                    "c·e^{iδ} − c.")
    if choice == "a":
        raise Wrong("Your formula says otherwise: it is bounded by 2|c| for every δ = αB̃, however "
                    "large α is. Growth in proportion to α is linear magnification's behaviour: it "
                    "adds αB to the intensity.")
    if choice == "c":
        raise Wrong("Your formula says otherwise: as α grows, |sin(αB̃/2)| keeps returning to 1; "
                    "the change does not die away, it stays bounded and periodic in α.")
    return ("A phase edit only rotates coefficients: however large α, no band gets more than "
            "twice its own size of change, which is why noise is moved, not amplified.")


# ------------------------------------------------------------------------------------------
# ex-04-wrap (derivation)
# ------------------------------------------------------------------------------------------


def _wrapped(s, wavelength):
    import torch

    return s - wavelength * torch.round(s / wavelength)


@exercise("ex-04-wrap", chapter=4, kind="derivation", title="Where the magnified motion wraps",
          reads=("magnified_shift", "alpha_wrap"))
def _wrap(a):
    import torch

    fn = expect_callable(a.get("magnified_shift"), "magnified_shift")
    alpha_wrap = expect_number(a.get("alpha_wrap"), "alpha_wrap")
    g = torch.Generator().manual_seed(5)
    n = 400
    wavelength = 4 + 28 * torch.rand(n, generator=g, dtype=torch.float64)
    delta = wavelength * (0.4 * torch.rand(n, generator=g, dtype=torch.float64) - 0.2)
    alpha = 100 * torch.rand(n, generator=g, dtype=torch.float64)
    s = (1 + alpha) * delta
    edge = (s / wavelength + 0.5) % 1.0
    keep = (edge > 0.002) & (edge < 0.998)  # away from the ±λ/2 ambiguity
    wavelength, delta, alpha, s = wavelength[keep], delta[keep], alpha[keep], s[keep]
    truth = _wrapped(s, wavelength)
    out = _elementwise(fn, "magnified_shift", alpha, delta, wavelength)
    if not _near(out, truth, 1e-5):
        if _near(out, s, 1e-5):
            raise Wrong("`magnified_shift` never jumps back: it is right while the magnified "
                        "displacement is small, but a phase is only known modulo 2π, so a shift "
                        "by s and by s − λ look the same.")
        if _near(out, _wrapped(alpha * delta, wavelength), 1e-5):
            raise Wrong("`magnified_shift` is off by δ: the ruler compares with the unmoved frame, "
                        "and the input itself has already moved by δ before magnification adds "
                        "its part.")
        if _near(out, s % wavelength, 1e-5) or _near(out, torch.remainder(s, wavelength), 1e-5):
            raise Wrong("`magnified_shift` reads in [0, λ): a phase is read in (−π, π], so the "
                        "displacement a ruler reports lies between −λ/2 and λ/2.")
        if _near(out, -truth, 1e-5):
            raise Wrong("`magnified_shift` has the right size but the wrong sign: a positive δ "
                        "magnified a little must read as a positive displacement.")
        for period, word in ((wavelength / 2, "half a wavelength"), (2 * wavelength, "two "
                                                                     "wavelengths")):
            if _near(out, _wrapped(s, period), 1e-5):
                raise Wrong(f"`magnified_shift` repeats every {word}: the coefficients repeat when "
                            "ω·s grows by 2π, with ω = 2π/λ.")
        small = s.abs() < 0.45 * wavelength
        if _near(out[small], truth[small], 1e-5):
            raise Wrong("`magnified_shift` is right while the magnified displacement stays within "
                        "half a wavelength, but not beyond: how does a phase ruler read a shift of "
                        "s when s is larger than λ/2?")
        raise Wrong("`magnified_shift(alpha, delta, wavelength)` does not give the displacement a "
                    "phase ruler reads (tested on random α up to 100, λ from 4 to 32 px). Write the "
                    "magnified band's phase change, then read it back as a displacement in "
                    "(−λ/2, λ/2].")
    target = WRAP_WAVELENGTH / (2 * WRAP_DELTA) - 1
    if abs(alpha_wrap - (target + 1)) < 0.05:
        raise Wrong("`alpha_wrap` is where the *edit's* phase αωδ reaches π. The ruler reads the "
                    "total phase change, the input's own −ωδ plus the edit's: when does that "
                    "reach π?")
    if min(abs(alpha_wrap - 2 * target - 1), abs(alpha_wrap - 2 * target - 2)) < 0.05:
        raise Wrong("`alpha_wrap` is where the magnified displacement reaches a whole wavelength; "
                    "the reading jumps back earlier, as soon as the phase passes π.")
    if min(abs(alpha_wrap - (target - 1) / 2), abs(alpha_wrap - (target + 1) / 2)) < 0.05:
        raise Wrong("`alpha_wrap` belongs to λ/4, the support bound of section 2.2 (a different "
                    "mechanism); the reading jumps back when the phase passes π.")
    expect_close(alpha_wrap, target, "alpha_wrap", rtol=0.005,
                 hint="The reading jumps back when your magnified_shift reaches λ/2: solve for α "
                      "with λ = 16 px and δ = 0.25 px.")
    return ("The magnified band is the grating moved by (1 + α)δ, known only modulo λ: past half "
            "a wavelength the motion appears to run backwards.")
