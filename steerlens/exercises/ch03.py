"""Checks for chapter 3's exercises (the complex steerable pyramid)."""

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

GRATING_WAVELENGTH = 8.0  # px, ex-03-grating-band
GRATING_ANGLE = math.radians(60)
BORDER = 32  # px ignored at each border (the grating is cut there)
MOVE_BAND, FINE_BAND, MOVE_PX = (1, 2), (0, 2), 3.0  # ex-03-move-band
STEER_SCALE = 2  # ex-03-steer-orientation


def _centres(a, csp):
    centres = a.context("centres")
    if centres is None or tuple(centres.shape[:2]) != (csp.height, csp.num_orientations):
        centres = csp.band_frequencies()
    return centres.float()


def _pair(value, name: str, csp) -> tuple[int, int]:
    """``value`` as a pair of ints (scale, orientation) inside the pyramid."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    try:
        items = list(value)
    except TypeError:
        raise Wrong(f"`{name}` should be a pair (s, k): a scale and an orientation, not "
                    f"{type(value).__name__}.") from None
    if len(items) != 2:
        raise Wrong(f"`{name}` should be a pair (s, k) of two integers; it has {len(items)} entries.")
    out = []
    for v in items:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise Wrong(f"`{name}` should hold two integers (s, k), not {items!r}.") from None
        if f != int(f):
            raise Wrong(f"`{name}` should hold two integers (s, k), not {items!r}.")
        out.append(int(f))
    s, k = out
    if not (0 <= s < csp.height and 0 <= k < csp.num_orientations):
        raise Wrong(f"`{name}` = {tuple(out)} is not a band: the scale runs 0 … {csp.height - 1} "
                    f"(finest first) and the orientation 0 … {csp.num_orientations - 1}.")
    return s, k


def _grating_reference(csp, centres):
    """(strongest band, band nearest to ±ω, band nearest to −ω alone)."""
    import torch

    from ..signals import grating

    pattern = grating(tuple(csp.image_shape), wavelength=GRATING_WAVELENGTH, angle=GRATING_ANGLE)
    inner = (..., slice(BORDER, -BORDER), slice(BORDER, -BORDER))
    amplitude = torch.stack([b[0, 0][inner].abs().mean(dim=(-2, -1))
                             for b in csp.analyze(pattern[None, None]).bands])
    k_count = csp.num_orientations
    strongest = divmod(int(amplitude.argmax()), k_count)
    omega = 2 * math.pi / GRATING_WAVELENGTH * torch.tensor(
        [math.sin(GRATING_ANGLE), math.cos(GRATING_ANGLE)])
    distance = torch.minimum((centres - omega).norm(dim=-1), (centres + omega).norm(dim=-1))
    predicted = divmod(int(distance.argmin()), k_count)
    minus_only = divmod(int((centres + omega).norm(dim=-1).argmin()), k_count)
    return strongest, predicted, minus_only


@exercise("ex-03-grating-band", chapter=3, kind="computation", title="Which band owns a grating?",
          reads=("strongest", "predicted", "csp", "centres"))
def _grating_band(a):
    strongest = a.get("strongest")
    predicted = a.get("predicted")
    csp = a.chapter("csp")
    strongest = _pair(strongest, "strongest", csp)
    predicted = _pair(predicted, "predicted", csp)
    ref_strongest, ref_predicted, minus_only = _grating_reference(csp, _centres(a, csp))
    if strongest != ref_strongest:
        if strongest[::-1] == ref_strongest:
            raise Wrong("`strongest` looks like (k, s): store the scale first, then the orientation.")
        if strongest[0] != ref_strongest[0]:
            raise Wrong("`strongest` names the wrong scale. Average the amplitude |c| of every band "
                        f"over the interior (drop a {BORDER}-px border), then take the largest over "
                        "all scales and orientations together.")
        raise Wrong("`strongest` has the right scale but the wrong orientation. Compare that scale's "
                    "orientations by their mean amplitude |c| over the interior (the real part "
                    "oscillates and averages to about zero).")
    if predicted != ref_predicted:
        if predicted[::-1] == ref_predicted:
            raise Wrong("`predicted` looks like (k, s): store the scale first, then the orientation.")
        if predicted == minus_only:
            raise Wrong("`predicted` is the band nearest to −ω alone. A real grating has energy at "
                        "+ω and at −ω: take each centre's distance to the nearer of the two.")
        if predicted[0] != ref_predicted[0]:
            raise Wrong("`predicted` names the wrong scale. The grating's frequency is "
                        "|ω| = 2π/λ rad/px; compare ω with the centres of "
                        "`csp.band_frequencies()`, which are in rad/px too.")
        raise Wrong("`predicted` has the right scale but the wrong orientation. A real grating has "
                    "energy at +ω and at −ω: take each centre's distance to the nearer of the two. "
                    "Write ω in (ω_y, ω_x) order, like the centres.")
    return ("The band nearest to ±ω is the one that responds: each complex band sees one half of "
            "the frequency plane, and a real grating puts energy on both halves.")


# ------------------------------------------------------------------------------------------
# ex-03-move-band
# ------------------------------------------------------------------------------------------

_MOVE_CACHE: dict = {}


def _band_shift(csp, coeffs, centres, band, theta) -> float:
    """The measured shift (px, along ω̂) of one band's contribution when θ is added to it."""
    import torch

    from ..signals import measure_shift
    from ..transforms import Coefficients

    s, k = band
    key = (id(coeffs), coeffs.bands[s].data_ptr(), band, round(float(theta), 6))
    if _MOVE_CACHE.get("key") == key:
        return _MOVE_CACHE["value"]
    batch = []
    for t in (0.0, theta):
        bands = [torch.zeros_like(b) for b in coeffs.bands]
        bands[s][:, :, k] = coeffs.bands[s][:, :, k] * complex(math.cos(t), math.sin(t))
        batch.append(bands)
    stacked = [torch.cat([b[i] for b in batch]) for i in range(len(coeffs.bands))]
    fixed = {n: torch.zeros_like(v).expand(2, *v.shape[1:]) for n, v in coeffs.fixed.items()}
    before, after = csp.synthesize(Coefficients(stacked, fixed))
    omega = centres[s, k]
    value = float(measure_shift(after, before) @ (omega / omega.norm()))
    _MOVE_CACHE.update(key=key, value=value)
    return value


def _shift_along(value, name: str) -> float:
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    if size is None and isinstance(value, (list, tuple)):
        size = len(value)
    if size == 2:
        raise Wrong(f"`{name}` holds two numbers, a shift (d_y, d_x): project it on the band's "
                    "direction ω̂ = ω/|ω| to get one number, the shift along ω̂.")
    return expect_number(value, name)


@exercise("ex-03-move-band", chapter=3, kind="computation",
          title="Move one band by a requested distance",
          reads=("theta_3px", "moved_3px", "moved_fine", "csp", "coeffs", "centres"))
def _move_band(a):
    theta = expect_number(a.get("theta_3px"), "theta_3px")
    moved = a.get("moved_3px")
    moved_fine = a.get("moved_fine")
    csp, coeffs = a.chapter("csp"), a.chapter("coeffs")
    centres = _centres(a, csp)
    norm = float(centres[MOVE_BAND].norm())
    expect_close(theta, -MOVE_PX * norm, "theta_3px", rtol=0.02,
                 hint="A phase θ on one band moves its structure by d∥ = −θ/|ω| along ω̂; take "
                      "|ω| of band (1, 2) from `centres` (rad/px).")
    moved = _shift_along(moved, "moved_3px")
    if moved == MOVE_PX:
        raise Wrong("`moved_3px` is exactly the 3 px you asked for: store what `measure_shift` "
                    "measures on the band's contribution (`band_image`) after the edit.")
    reference = _band_shift(csp, coeffs, centres, MOVE_BAND, -MOVE_PX * norm)
    expect_close(moved, reference, "moved_3px", atol=0.05, rtol=0.0,
                 hint="Measure band (1, 2)'s contribution after the edit against before "
                      "(`band_image`, `measure_shift`), then project on ω̂.")
    fine = _shift_along(moved_fine, "moved_fine")
    fine_norm = float(centres[FINE_BAND].norm())
    fine_reference = _band_shift(csp, coeffs, centres, FINE_BAND, -MOVE_PX * fine_norm)
    if abs(fine - MOVE_PX) < 0.3:
        raise Wrong("`moved_fine` says band (0, 2) moved by about +3 px, but that is not what a "
                    "measurement shows. Apply θ = −3|ω| with ω = `centres[0, 2]` and measure as for "
                    "band (1, 2); then compare |θ| with π and the result with the band's wavelength "
                    "2π/|ω|.")
    expect_close(fine, fine_reference, "moved_fine", atol=0.05, rtol=0.0,
                 hint="Use θ = −3|ω| with ω = `centres[0, 2]` on band (0, 2) and measure that band's "
                      "contribution, as for band (1, 2).")
    return ("Band (1, 2) moves by the distance you asked for; band (0, 2) cannot: 3 px is more "
            "than half its wavelength, so its phase wraps and its structure jumps back by one "
            "wavelength.")


# ------------------------------------------------------------------------------------------
# ex-03-opposite-band (derivation)
# ------------------------------------------------------------------------------------------


def _close(u, v) -> bool:
    return bool((u - v).abs().max() <= 1e-4 * v.abs().max())


@exercise("ex-03-opposite-band", chapter=3, kind="derivation", title="The band on the other side",
          reads=("opposite_band",))
def _opposite_band(a):
    import torch

    from ..transforms import CSP

    fn = expect_callable(a.get("opposite_band"), "opposite_band")
    image = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    alpha = 0.7  # not a basis angle
    matches = {}
    for order in (2, 3):
        pyramid = CSP((32, 32), height=2, order=order)
        c = pyramid.analyze(image)
        here, there = pyramid.steer(c, 1, alpha), pyramid.steer(c, 1, alpha + math.pi)
        out = call(fn, "opposite_band", here.clone(), order)
        out = expect_tensor(out, "what `opposite_band` returns", shape=tuple(here.shape))
        if not out.is_complex():
            raise Wrong("`opposite_band` returns a real tensor; the band at α + π is complex, like "
                        "the band at α.")
        out = out.to(here.dtype)
        if _close(out, there):
            continue
        sign = (-1) ** order
        for key, candidate in (("same", here), ("conj", here.conj()), ("signed", sign * here),
                               ("minus conj", -here.conj())):
            if _close(out, candidate):
                matches[order] = key
                break
        else:
            matches[order] = "other"
    if not matches:
        return ("So |c_{α+π}| = |c_α|: the steered amplitude repeats every 180°, and angles "
                "0° … 180° say everything a real image has to say.")
    kinds = set(matches.values())
    if kinds == {"same"}:
        raise Wrong("`opposite_band` returns the band unchanged. Steering by π turns the one-sided "
                    "mask to the other half of the frequency plane: write H_{α+π}(ω) in terms of "
                    "H_α(−ω), and use X(−ω) = conj(X(ω)) for a real image.")
    if matches == {3: "conj"}:
        raise Wrong("Right for even orders, wrong for odd ones: how does cos^n(θ − α − π) relate "
                    "to cos^n(θ − α)? The answer depends on n.")
    if matches == {2: "minus conj"}:
        raise Wrong("Right for odd orders, wrong for even ones: the factor from cos^n(θ − α − π) "
                    "depends on n; it is not always −1.")
    if kinds == {"signed"} or kinds == {"same", "signed"}:
        raise Wrong("The sign is right, but the band at α + π is not a multiple of the band at α: "
                    "its spectrum lives on the other half-plane, at −ω. What does the mirror "
                    "ω → −ω do to the spectrum of a real image, and so to the band in space?")
    if matches == {2: "minus conj", 3: "conj"}:
        raise Wrong("Conjugate, yes, but the sign is wrong for every order: check "
                    "cos^n(θ − α − π) = (cos(θ − α − π))^n term by term.")
    raise Wrong("`opposite_band(c, order)` does not give the band steered to α + π (compared with "
                "`csp.steer` on a random image, orders 2 and 3). Work in the Fourier domain: "
                "H_{α+π}(ω) against H_α(−ω), then a real image's X(−ω) = conj(X(ω)).")


# ------------------------------------------------------------------------------------------
# ex-03-steer-orientation (prediction)
# ------------------------------------------------------------------------------------------

_STEER_CACHE: dict = {}


def _steer_reference(csp, coeffs, x):
    """(best angle, mask of the strongest 5 %, median gap in degrees to the σ = 4 gradient)."""
    import torch
    import torch.nn.functional as F

    key = (id(coeffs), coeffs.bands[STEER_SCALE].data_ptr(), id(x), x.data_ptr())
    if _STEER_CACHE.get("key") == key:
        return _STEER_CACHE["value"]
    angles = torch.linspace(0, math.pi, 37)[:-1]
    amplitude = csp.steer(coeffs, STEER_SCALE, angles)[0, 0].abs()
    best = angles[amplitude.argmax(dim=0)]
    strength = amplitude.max(dim=0).values
    strong = strength > torch.quantile(strength, 0.95)
    taps = torch.arange(-12, 13, dtype=torch.float32)
    g1 = torch.exp(-(taps**2) / (2 * 4.0**2))
    g1 = g1 / g1.sum()
    padded = F.pad(x.float(), (12, 12, 12, 12), mode="circular")
    blurred = F.conv2d(padded, (g1[:, None] * g1[None])[None, None])[0, 0]
    grad_y = (blurred.roll(-1, 0) - blurred.roll(1, 0)) / 2
    grad_x = (blurred.roll(-1, 1) - blurred.roll(1, 1)) / 2
    gap = (best - torch.atan2(grad_y, grad_x) + math.pi / 2) % math.pi - math.pi / 2
    value = (best, strong, math.degrees(float(gap[strong].abs().median())))
    _STEER_CACHE.update(key=key, value=value)
    return value


@exercise("ex-03-steer-orientation", chapter=3, kind="prediction",
          title="Which way does each edge face?",
          reads=("prediction_edge", "best_angle", "median_gap_deg", "csp", "coeffs", "x"))
def _steer_orientation(a):

    prediction = expect_choice(a.get("prediction_edge"), "prediction_edge", ("a", "b", "c"))
    best = a.get("best_angle")
    gap_deg = a.get("median_gap_deg")
    csp, coeffs, x = a.chapter("csp"), a.chapter("coeffs"), a.chapter("x")
    h, w = x.shape[-2:]
    best = expect_tensor(best, "best_angle")
    if best.numel() != h * w:
        raise Wrong(f"`best_angle` has shape {tuple(best.shape)}; it should be {h}×{w}, one angle "
                    "per pixel.")
    best = best.reshape(h, w).double()
    top = float(best.max())
    if top > math.pi + 1e-3:
        if top <= 36 and bool((best == best.round()).all()):
            raise Wrong("`best_angle` holds indices into your list of angles (argmax), not angles: "
                        "index the angles with it.")
        if top > 2 * math.pi + 1e-3:
            raise Wrong("`best_angle` looks like degrees; store radians.")
        raise Wrong("`best_angle` reaches beyond π: sweep α = 0°, 5°, …, 175° only (steering "
                    "by 180° gives the same amplitude).")
    reference, strong, reference_gap = _steer_reference(csp, coeffs, x)
    diff = (best - reference.double() + math.pi / 2) % math.pi - math.pi / 2
    off = math.degrees(float(diff[strong].abs().median()))
    if off > 3.0:
        if abs(off - 90) < 20:
            raise Wrong("At the strongest pixels `best_angle` is about perpendicular to the angle of "
                        "largest steered amplitude: take the argmax of |c_α| over the angles, not "
                        "the argmin.")
        raise Wrong("At the strongest pixels `best_angle` disagrees with the angle of largest "
                    "steered amplitude: steer scale 2 of `coeffs` to the 36 angles and take, per "
                    "pixel, the angle whose amplitude |c_α| (not the real part) is largest.")
    gap = expect_number(gap_deg, "median_gap_deg")
    if gap < 0:
        raise Wrong("`median_gap_deg` is negative: take the median of the absolute gap.")
    if gap < 0.5:
        raise Wrong("`median_gap_deg` is tiny: is it in radians? Store degrees (`math.degrees`).")
    if gap > 100:
        raise Wrong("`median_gap_deg` is too large for a gap taken modulo 180°: wrap each gap into "
                    "(−90°, 90°] before taking its absolute value and the median.")
    if gap > 55:
        raise Wrong("`median_gap_deg` is close to a right angle: compare with the direction of the "
                    "gradient, atan2(∂y, ∂x) (from ω_x towards +ω_y, the bands' convention), not "
                    "with the edge's own direction and not with atan2(∂x, ∂y).")
    if gap > max(16.0, 2 * reference_gap):
        raise Wrong("`median_gap_deg` is larger than a careful measurement gives: blur the image "
                    "at the band's scale (a Gaussian with σ of a few px), wrap each gap into "
                    "(−90°, 90°], and keep only the 5 % of pixels with the largest steered "
                    "amplitude.")
    if prediction == "b":
        raise Wrong("Your measurement says otherwise: the best steering angle follows the "
                    "gradient, across the edge, not along it. A band's ω points across its "
                    "stripes, so the band that sees an edge best has ω along the edge's normal.")
    if prediction == "c":
        raise Wrong("Your measurement says otherwise: at strong edges the two agree closely. A "
                    "band's ω points across its stripes, so the band that sees an edge best has ω "
                    "along the edge's normal, the gradient; only where two directions cross "
                    "(corners, texture) is there no single answer, and such pixels are few among "
                    "the strongest 5 %.")
    return ("The best steering angle is the gradient's direction (modulo 180°): steering finds "
            "the local orientation without any new filtering.")
