"""Checks for chapter 6's exercises (phase-based extrapolation on the synthetic task)."""

from __future__ import annotations

from ._core import (
    Wrong,
    cached,
    call,
    exercise,
    expect_callable,
    expect_choice,
    expect_close,
    expect_number,
    expect_tensor,
    near,
)


def _chapter(a):
    """The chapter's task: the test split, the 32 sources, their offsets and images."""
    test = a.chapter("test")
    sources = a.chapter("sources")
    offsets = a.context("offsets")
    if offsets is None:
        offsets = test.offsets[sources]
    x = a.context("x")
    if x is None:
        x = test.images[sources]
    return test, sources, offsets, x


def _blob_mask(a, test, sources, offsets):
    """Section 5's mask of every source's blob (within 2σ of its centre)."""
    import torch

    blob = a.context("blob")
    if blob is not None:
        return blob
    n = test.images.shape[-1]
    yy, xx = torch.meshgrid(torch.arange(float(n)), torch.arange(float(n)), indexing="ij")
    centre = (n - 1) / 2
    cy = centre + test.params["y_offset"][sources][:, None, None]
    cx = centre + offsets[:, None, None]
    two_sigma = 2 * test.params["sigma"][sources][:, None, None]
    return (yy - cy) ** 2 + (xx - cx) ** 2 < two_sigma**2


# ------------------------------------------------------------------------------------------
# ex-06-fade: moving or fading? (computation)
# ------------------------------------------------------------------------------------------


@cached
def _fade_shares(test, sources, offsets, x):
    """Median motion shares (moved, cross-faded) for +4 px, +4 px without noise, +2 px; and the
    cross-fade's median o* − o₀ and median o* over +4 px (``ShiftedBlobs.motion_fit``)."""
    noise = x - test.render(sources)

    def fits(shift, with_noise=True):
        moved = test.render(sources, offset=offsets + shift) + (noise if with_noise else 0)
        moved = moved.clamp(0, 1)
        fade_frame = 0.5 * x + 0.5 * moved
        return test.motion_fit(sources, moved), test.motion_fit(sources, fade_frame)

    def shares(fitted):
        (_, moved), (_, faded) = fitted
        return float(moved.median()), float(faded.median())

    four = fits(4.0)
    fade_o = four[1][0]
    return {"+4 px": shares(four), "+4 px, no noise": shares(fits(4.0, with_noise=False)),
            "+2 px": shares(fits(2.0)), "fade o* - o0": float((fade_o - offsets).median()),
            "fade o*": float(fade_o.median())}


@exercise("ex-06-fade", chapter=6, kind="computation", title="Moving or fading?",
          reads=("share_motion", "share_fade", "fade_offset"))
def _fade(a):
    motion = expect_number(a.get("share_motion"), "share_motion")
    fade = expect_number(a.get("share_fade"), "share_fade")
    fade_offset = expect_number(a.get("fade_offset"), "fade_offset")
    test, sources, offsets, x = _chapter(a)
    shares = _fade_shares(test, sources, offsets, x)
    ref_motion, ref_fade = shares["+4 px"]
    atol = 0.01
    if near(motion, ref_fade, atol=atol) and near(fade, ref_motion, atol=atol):
        raise Wrong("`share_motion` and `share_fade` are swapped.")
    if not (0.0 <= motion <= 1.0 and 0.0 <= fade <= 1.0):
        raise Wrong("a motion share lies between 0 and 1 (use `blob_motion_fit`'s second "
                    "output, not the fitted offset).")
    bare_motion, bare_fade = shares["+4 px, no noise"]
    if not near(motion, ref_motion, atol=atol) and near(motion, bare_motion, atol=atol):
        raise Wrong("`share_motion` is low because your moved image has no noise: add the "
                    "source's own `noise`. Otherwise the change also wipes out the noise, which "
                    "no motion of the blob explains.")
    expect_close(motion, ref_motion, "share_motion", rtol=0.0, atol=atol,
                 hint="Move every blob by +4 px (`offsets + 4`), add `noise`, clip to [0, 1], "
                      "and fit with `blob_motion_fit(moved[:, None])`; report the median share.")
    if not near(fade, ref_fade, atol=atol):
        if near(fade, shares["+2 px"][1], atol=atol):
            raise Wrong("`share_fade` is the cross-fade over 2 px: the exercise fades over the "
                        "same +4 px motion as (a).")
        if near(fade, bare_fade, atol=atol):
            raise Wrong("`share_fade` uses a moved image without the source's `noise`: build "
                        "the cross-fade from (a)'s moved image.")
    expect_close(fade, ref_fade, "share_fade", rtol=0.0, atol=atol,
                 hint="The cross-fade is ½ x₀ + ½ x_moved with (a)'s moved image; fit it with "
                      "`blob_motion_fit` and report the median share.")
    ref_offset = shares["fade o* - o0"]
    if not near(fade_offset, ref_offset, atol=0.05):
        if near(fade_offset, shares["fade o*"], atol=0.05):
            raise Wrong("`fade_offset` is the median o* itself: subtract each source's own "
                        "offset o₀ (`offsets`) first, then take the median.")
        if near(fade_offset, 4.0, atol=0.05):
            raise Wrong("`fade_offset` is where the true motion of (a) lands; fit the "
                        "cross-fade and read its own o*.")
    expect_close(fade_offset, ref_offset, "fade_offset", rtol=0.0, atol=0.05,
                 hint="`blob_motion_fit(cross_fade[:, None])` returns (o*, share); take "
                      "the median over the sources of o*[:, 0] − offsets.")
    return (f"A true motion is explained completely; a cross-fade, the way pixels 'move' a "
            f"blob, only in part, and its best-fit offset lands about halfway "
            f"({ref_offset:+.2f} px): one blob between the two half-blobs explains them best.")


# ------------------------------------------------------------------------------------------
# ex-06-known-motion: check the estimator on a blob you move yourself (prediction)
# ------------------------------------------------------------------------------------------

BAND_OPTIONS = ("a", "b", "c")


def _pair(value, name):
    t = expect_tensor(value, name).double().flatten()
    if t.numel() != 2:
        raise Wrong(f"`{name}` should hold two numbers (d_y, d_x); it holds {t.numel()}.")
    return t


def _displacement_wrongs(mine, reference, whole, name):
    if _close2(mine, -reference):
        raise Wrong(f"`{name}` points the wrong way: `measure_displacement(x0, x1)` measures the "
                    "motion from x0 to x1. Did you swap the two images?")
    if _close2(mine, reference.flip(0)) and not _close2(mine, reference):
        raise Wrong(f"`{name}` is in the wrong order: (d_y, d_x), vertical first.")
    if _close2(mine, whole) and not _close2(mine, reference):
        raise Wrong(f"`{name}` is the mean over the whole image: the exercise asks for the mean "
                    "on the blob, `field.mean(blob[:1])`.")


def _close2(u, v, atol=0.01):
    return bool(((u - v.double()).abs() <= atol).all())


@exercise("ex-06-known-motion", chapter=6, kind="prediction",
          title="Check the estimator on a blob you move yourself",
          reads=("prediction_band", "estimated_d", "estimated_band"))
def _known_motion(a):
    from .. import flow

    prediction = expect_choice(a.get("prediction_band"), "prediction_band", BAND_OPTIONS)
    local = _pair(a.get("estimated_d"), "estimated_d")
    band = _pair(a.get("estimated_band"), "estimated_band")
    test, sources, offsets, _ = _chapter(a)
    blob = _blob_mask(a, test, sources, offsets)[:1]
    before = test.render(sources[:1], offset=offsets[:1])
    after = test.render(sources[:1], offset=offsets[:1] + 1.5)
    fields = {kind: flow.measure_displacement(before, after, frequencies=kind)
              for kind in ("local", "band")}
    ref = {kind: f.mean(blob)[0].double() for kind, f in fields.items()}
    whole = {kind: f.mean()[0].double() for kind, f in fields.items()}
    _displacement_wrongs(local, ref["local"], whole["local"], "estimated_d")
    if _close2(local, ref["band"]) and not _close2(local, ref["local"]):
        raise Wrong("`estimated_d` is the band-centre estimate: `estimated_d` uses the default "
                    "(local frequencies), `estimated_band` passes `frequencies=\"band\"`.")
    expect_close(local, ref["local"], "estimated_d", rtol=0.0, atol=0.01,
                 hint="Render source 0 at its offset and at offset + 1.5 px, then "
                      "`flow.measure_displacement(before, after).mean(blob[:1])[0]`.")
    _displacement_wrongs(band, ref["band"], whole["band"], "estimated_band")
    if _close2(band, ref["local"]) and not _close2(band, ref["band"]):
        raise Wrong("`estimated_band` is the local-frequency estimate again: pass "
                    "`frequencies=\"band\"`.")
    expect_close(band, ref["band"], "estimated_band", rtol=0.0, atol=0.01,
                 hint="The same two images, `flow.measure_displacement(..., frequencies=\"band\")`.")
    error = float(ref["band"][1]) - 1.5
    shown = "b" if error < -0.1 else "c" if error > 0.1 else "a"
    if prediction == shown:
        return "Your measurements are right, and they bear out your prediction."
    why = {
        "a": "the band-centre estimate does differ from the truth, by more than the local one.",
        "b": "the band-centre estimate is not too small.",
        "c": "the band-centre estimate is not too large. For a blob this wide, where in each "
             "band does its energy sit: near the band's centre frequency, or below it? And "
             "what does dividing a phase change by too large an |ω| do to d?",
    }
    raise Wrong(f"your measurements are right, but they do not bear out prediction "
                f"{prediction!r}: {why[prediction]} Compare `estimated_band[1]` with the true "
                "1.5 px.")


# ------------------------------------------------------------------------------------------
# ex-06-coarse: only the coarsest scale (prediction)
# ------------------------------------------------------------------------------------------

COARSE_OPTIONS = ("a", "b", "c", "d")


@cached
def _edit_measures(driver, x, target, blob, alphas, weights=None):
    """Median coherence on the blob and the share of sources flipped along the line."""
    import torch

    from .. import flow
    from ..lens import SteerableLens

    lens = SteerableLens(driver, domain="csp", component="phase", scale_weights=weights)
    grad = lens.gradient(x, target)
    field = flow.edit_displacement(grad)
    coherence = field.overall_coherence(blob)
    frames = lens.frames_from_gradient(grad, alphas)
    with torch.no_grad():
        p = lens.probabilities(frames.flatten(0, 1)).view(len(x), len(alphas), -1)[..., target]
    return {
        "coherence": float(coherence.median()),
        "coherence, mean": float(coherence.mean()),
        "coherence, whole image": float(field.overall_coherence().median()),
        "flipped": float((p.amax(1) > 0.5).float().mean()),
        "flipped, last frame": float((p[:, -1] > 0.5).float().mean()),
    }


@exercise("ex-06-coarse", chapter=6, kind="prediction", title="Only the coarsest scale",
          reads=("prediction_coarse", "coarse_coherence", "coarse_flipped"))
def _coarse(a):
    import torch

    prediction = expect_choice(a.get("prediction_coarse"), "prediction_coarse", COARSE_OPTIONS)
    coherence = expect_number(a.get("coarse_coherence"), "coarse_coherence")
    flipped = expect_number(a.get("coarse_flipped"), "coarse_flipped")
    test, sources, offsets, x = _chapter(a)
    driver = a.chapter("driver")
    target = int(a.context("target", 1))
    blob = _blob_mask(a, test, sources, offsets)
    alphas = a.context("long_alphas")
    if alphas is None:
        alphas = torch.linspace(0, 12, 49)
    coarse = _edit_measures(driver, x, target, blob, alphas, weights=[0, 0, 1])
    full = _edit_measures(driver, x, target, blob, alphas)
    atol = 0.01
    if not near(coherence, coarse["coherence"], atol=atol):
        if near(coherence, full["coherence"], atol=atol):
            raise Wrong("`coarse_coherence` is the coherence of the full edit (`coherence_blob`): "
                        "use the gradient of the lens with `scale_weights=[0, 0, 1]`.")
        if near(coherence, coarse["coherence, whole image"], atol=atol):
            raise Wrong("`coarse_coherence` is taken over the whole image: pass the blob mask, "
                        "`overall_coherence(blob)`.")
        if near(coherence, coarse["coherence, mean"], atol=atol):
            raise Wrong("`coarse_coherence` is the mean over the sources: the exercise asks "
                        "for the median.")
    expect_close(coherence, coarse["coherence"], "coarse_coherence", rtol=0.0, atol=atol,
                 hint="`flow.edit_displacement(coarse_grad).overall_coherence(blob)`, median "
                      "over the 32 sources.")
    if flipped > 1.0 and near(flipped / 100, coarse["flipped"], atol=1e-3):
        raise Wrong("`coarse_flipped` looks like a percentage: store a fraction between 0 and 1.")
    if not near(flipped, coarse["flipped"], atol=1e-3):
        if near(flipped, full["flipped"], atol=1e-3):
            raise Wrong("`coarse_flipped` is the full edit's: use the coarsest-scale lens's "
                        "frames.")
        if near(flipped, coarse["flipped, last frame"], atol=1e-3):
            raise Wrong("`coarse_flipped` counts only the last frame: a source counts as flipped "
                        "if p(right) > 0.5 at *any* α along the line.")
    expect_close(flipped, coarse["flipped"], "coarse_flipped", rtol=0.0, atol=1e-3,
                 hint="Frames at `long_alphas` with `frames_from_gradient`, p(right) per frame, "
                      "and the fraction of sources whose highest p(right) passes 0.5.")
    more_coherent = coarse["coherence"] > full["coherence"]
    flips_more = coarse["flipped"] > full["flipped"]
    shown = {(True, True): "a", (True, False): "b", (False, False): "c",
             (False, True): "d"}[(more_coherent, flips_more)]
    if prediction == shown:
        return ("Your measurements are right, and they bear out your prediction: coherent is "
                "not the same as sufficient.")
    parts = []
    if (prediction in ("a", "b")) != more_coherent:
        parts.append("the one-scale edit is " + ("more" if more_coherent else "less")
                     + " coherent on the blob than the full one, not "
                     + ("less" if more_coherent else "more")
                     + " (can one scale disagree with itself?)")
    if (prediction in ("a", "d")) != flips_more:
        parts.append("it flips " + ("more" if flips_more else "fewer")
                     + " sources than the full edit, not " + ("fewer" if flips_more else "more")
                     + " (how much of the blob does the coarsest band hold?)")
    raise Wrong(f"your measurements are right, but they do not bear out prediction "
                f"{prediction!r}: " + "; ".join(parts) + ".")


# ------------------------------------------------------------------------------------------
# ex-06-weights: the spread over scales on paper (derivation)
# ------------------------------------------------------------------------------------------


@cached
def _scale_changes(driver, x, target, weights=None, downsample=False):
    """Scale × B × C × H × W: each scale's part of the first-order change Δx of a CSP-phase lens."""
    import torch

    from ..lens import SteerableLens
    from ..transforms import Coefficients

    lens = SteerableLens(driver, domain="csp", component="phase", scale_weights=weights,
                         downsample=downsample)
    grad = lens.gradient(x, target)
    csp, coeffs = grad.transform, grad.coefficients
    zero = {k: torch.zeros_like(v) for k, v in coeffs.fixed.items()}
    out = []
    for s, step in enumerate(grad.step_phase):
        bands = [torch.zeros_like(b) for b in coeffs.bands]
        if step is not None:
            bands[s] = coeffs.bands[s] * 1j * step
        out.append(csp.synthesize(Coefficients(bands, zero)))
    return torch.stack(out).double()


def _scale_energies(driver, x, target, weights=None):
    """Scale × source: the energy of each scale's part of the first-order change Δx."""
    return (_scale_changes(driver, x, target, weights) ** 2).flatten(2).sum(2)


@cached
def _closer_base(driver, x, target):
    """The base b (2 or 4) whose weights b^s bring the full-resolution step closest to the
    downsampled one: the larger median cosine over the sources."""
    import torch

    downsampled = _scale_changes(driver, x, target, downsample=True).sum(0).flatten(1)
    cosines = {}
    for b in (2, 4):
        step = _scale_changes(driver, x, target, [float(b**s) for s in range(3)]).sum(0)
        cos = torch.nn.functional.cosine_similarity(step.flatten(1), downsampled)
        cosines[b] = float(cos.median())
    return max(cosines, key=cosines.get), cosines


@exercise("ex-06-weights", chapter=6, kind="derivation", title="The spread over scales on paper",
          reads=("share_formula", "half_weight", "closer_base"))
def _weights(a):
    import torch

    formula = expect_callable(a.get("share_formula"), "share_formula")
    half = expect_callable(a.get("half_weight"), "half_weight")
    base = expect_number(a.get("closer_base"), "closer_base")
    _, _, _, x = _chapter(a)
    driver = a.chapter("driver")
    target = int(a.context("target", 1))
    energy = _scale_energies(driver, x, target)  # the default lens, w = 1
    for weights in ([1.0, 2.0, 4.0], [3.0, 0.5, 1.0]):
        w = torch.tensor(weights, dtype=torch.float64)
        measured = _scale_energies(driver, x, target, weights)
        measured = measured / measured.sum(0)
        out = call(formula, "share_formula", energy.clone(), w.clone())
        mine = expect_tensor(out, "what `share_formula` returns", shape=tuple(energy.shape))
        mine = mine.double()
        if _close2(mine, w[:, None] * energy / (w[:, None] * energy).sum(0), atol=1e-3) \
                and not _close2(mine, measured, atol=1e-3):
            raise Wrong("`share_formula` weighs the energies by w_s: a weight multiplies scale "
                        "s's *part of Δx* by w_s, and energy is a square.")
        if not _close2(mine.sum(0), torch.ones_like(mine[0]), atol=1e-3):
            if _close2(mine.sum(1), torch.ones_like(mine[:, 0]), atol=1e-3):
                raise Wrong("`share_formula` normalises over the sources: a share is per source, "
                            "over the scales (divide by the sum over dim 0).")
            raise Wrong("the shares `share_formula` returns do not add up to 1 over the scales, "
                        "for each source.")
        expect_close(mine, measured, "the shares `share_formula` predicts", rtol=0.0, atol=1e-3,
                     hint="A weight multiplies scale s's part of Δx by w_s; the step's "
                          "normalisation is one number per image.")
    rest = energy[:-1].sum(0)
    reference = (rest / energy[-1]).sqrt()
    out = call(half, "half_weight", energy.clone())
    mine = expect_tensor(out, "what `half_weight` returns", shape=tuple(reference.shape)).double()
    if _close2(mine, reference**2, atol=1e-3 * float(reference.abs().max() ** 2)) \
            and not _close2(mine, reference, atol=1e-3):
        raise Wrong("`half_weight` returns w², not w: solve your share formula for w itself.")
    if _close2(mine, 1 / reference, atol=1e-3):
        raise Wrong("`half_weight` is upside down: the coarsest scale's weight must make *its* "
                    "energy equal to the other scales' together.")
    expect_close(mine, reference, "what `half_weight` returns", rtol=1e-3,
                 hint="Set the coarsest scale's share in your formula, with w = (1, 1, w), to "
                      "½ and solve for w.")
    if base not in (2.0, 4.0):
        raise Wrong(f"`closer_base` is {base:g}; the question offers b = 2 or b = 4.")
    closer, cosines = _closer_base(driver, x, target)
    if base != closer:
        raise Wrong("`closer_base`: the step with the other base is measurably closer to the "
                    "downsampled one. Section 7: by how much does downsampling multiply scale s's "
                    "part of Δx?")
    return ("Both formulas agree with the lens, to rounding: the normalisation cancels in a "
            f"share. (c): median cosine with the downsampled step {cosines[2]:.3f} for 2ˢ, "
            f"{cosines[4]:.3f} for 4ˢ.")
