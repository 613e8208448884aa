"""Checks for chapter 8's exercises (natural images: the line backwards, one scale at a time, and
an ImageNet edit against a matched-size control).

The checks recompute small references from the chapter's own variables (the CSP-phase lens and
its gradient ``grad_all``, ``measure_motion``, the ImageNet driver and judge): a synthesis, a
few gradients of eight 64×64 images, or three forward passes at 224×224.
"""

from __future__ import annotations

from ._core import Wrong, exercise, expect_choice, expect_close, expect_number, expect_tensor, near

ALPHA_AWAY = -4.0
SCALE_FRAMES = 7


# ------------------------------------------------------------------------------------------
# 8.1  Extrapolate away from the target
# ------------------------------------------------------------------------------------------


@exercise("ex-08-away", chapter=8, kind="prediction", title="Extrapolate away from the target",
          reads=("prediction_away", "away_px", "away_p"))
def _away(a):
    from ..evaluate import target_probability

    prediction = expect_choice(a.get("prediction_away"), "prediction_away", ["a", "b", "c"])
    away_px = expect_number(a.get("away_px"), "away_px")
    away_p = expect_number(a.get("away_p"), "away_p")
    lens, grad, measure, driver, target = a.chapter(
        "csp_lens", "grad_all", "measure_motion", "driver", "target")
    back = lens.apply(grad, ALPHA_AWAY)
    forth = lens.apply(grad, -ALPHA_AWAY)
    d_back = measure(back[:, None])[0][:, 0]
    d_forth = measure(forth[:, None])[0][:, 0]
    ref_px, toward_px = float(d_back.mean()), float(d_forth.mean())
    if not near(away_px, ref_px, atol=0.01):
        if near(away_px, toward_px, atol=0.01):
            raise Wrong("`away_px` is the displacement at α = +4: walk the line backwards, "
                        "`csp_lens.apply(grad_all, -4.0)`.")
        if near(away_px, -ref_px, atol=0.01):
            raise Wrong("`away_px` has the wrong sign: `measure_motion` already counts the "
                        "displacement *toward* the target side (negative: away); do not flip it.")
        if near(away_px, float(d_back.median()), atol=0.005):
            raise Wrong("`away_px` is the median over the 8 images: the exercise asks for the mean.")
        raise Wrong("`away_px` is not the mean displacement toward the target of the frames at "
                    "α = −4: synthesise them with `csp_lens.apply(grad_all, -4.0)` (8×3×64×64), "
                    "measure with `measure_motion(frames[:, None])` (it wants B×K×C×H×W) and "
                    "average the first output over the images.")
    p = target_probability(driver, back, target)
    ref_p = float(p.median())
    if not near(away_p, ref_p, rtol=0.02, atol=1e-12):
        if near(away_p, float((1 - p).median()), rtol=1e-3):
            raise Wrong("`away_p` is the probability of each source's own class: the exercise asks "
                        "for the probability of the target class (`target`).")
        if near(away_p, float(p.mean()), rtol=0.02, atol=1e-12):
            raise Wrong("`away_p` is the mean over the 8 images: the exercise asks for the median.")
        judge = a.context("judge")
        if judge is not None and near(away_p, float(target_probability(judge, back, target).median()),
                                       rtol=0.02, atol=1e-12):
            raise Wrong("`away_p` is the judge's probability: the exercise asks for the driver's.")
        raise Wrong("`away_p` is not the driver's median probability of the target class on the "
                    "frames at α = −4: use `target_prob(driver, frames)` and take the median.")
    scale = abs(toward_px)
    truth = "c" if ref_px > 0.5 * scale else ("a" if ref_px < -0.5 * scale else "b")
    if prediction != truth:
        why = {
            "a": "the patch moves away from its target side, by an amount comparable to the move "
                 "toward it at α = +4",
            "b": "the patch barely moves at α = −4, much less than at α = +4",
            "c": "the patch still moves toward the target at α = −4",
        }[truth]
        raise Wrong(f"your measurement disagrees with prediction ({prediction}): {why}. Compare "
                    f"`away_px` with section 2's displacement at α = +4 "
                    f"(`moved[\"CSP phase\"][:, 4].mean()`). To first order a line through the "
                    f"source is symmetric, x(−α) − x₀ ≈ −(x(α) − x₀); only clipping and the "
                    f"non-linearity of phase break the symmetry.")
    if truth == "a":
        return ("Right: the line is nearly symmetric, so read backwards it pushes the patch onto its "
                "own side and the driver grows even surer of the source class.")
    return None


# ------------------------------------------------------------------------------------------
# 8.2  Which scales carry the motion?
# ------------------------------------------------------------------------------------------


@exercise("ex-08-scales", chapter=8, kind="prediction", title="Which scales carry the motion?",
          reads=("prediction_scale", "moved_by_scale"))
def _scales(a):
    import torch

    from ..lens import SteerableLens

    prediction = expect_choice(a.get("prediction_scale"), "prediction_scale", ["a", "b", "c"])
    moved = a.get("moved_by_scale")
    driver, x0, target, measure, lens = a.chapter("driver", "x0", "target", "measure_motion", "csp_lens")
    height = lens.transform(tuple(x0.shape[-2:])).height
    mine = expect_tensor(moved, "moved_by_scale").double().flatten()
    if mine.numel() != height:
        raise Wrong(f"`moved_by_scale` should hold one number per scale, {height} in all (scale 0, "
                    f"the finest, first); it has {mine.numel()}.")
    per_frame, last, per_image = [], [], []
    for s in range(height):
        weights = [1.0 if k == s else 0.0 for k in range(height)]
        one = SteerableLens(driver, domain="csp", component="phase", scale_weights=weights)
        frames = one.morph(x0, target, alpha=1.0, n_frames=SCALE_FRAMES).frames
        d = measure(frames)[0]  # B×K, toward the target
        per_frame.append(float(d.mean(0).max()))
        last.append(float(d[:, -1].mean()))
        per_image.append(float(d.max(dim=1).values.mean()))
    ref = torch.tensor(per_frame, dtype=torch.float64)

    def same(values):
        return bool(torch.allclose(mine, torch.as_tensor(values, dtype=torch.float64), atol=0.005, rtol=0))

    if not same(ref):
        if same(ref.flip(0)):
            raise Wrong("`moved_by_scale` is in reverse order: scale 0 is the finest, "
                        "`scale_weights=[1, 0, 0, 0]`.")
        if same(last):
            raise Wrong("`moved_by_scale` holds the displacement at the last frame: take the "
                        "largest mean displacement along the morph (the maximum over the frames).")
        if same(per_image):
            raise Wrong("`moved_by_scale` takes each image's largest displacement, then the mean: "
                        "average over the 8 images at every frame first, then take the largest "
                        "over the frames.")
        expect_close(mine, ref, "moved_by_scale", atol=0.005, rtol=0.0,
                     hint="For scale s, a CSP-phase lens with `scale_weights` 1 at s and 0 elsewhere, "
                          "`lens.morph(x0, target, alpha=1.0, n_frames=7)`, then "
                          "`measure_motion(frames)[0].mean(0).max()`.")
        raise Wrong("`moved_by_scale` does not match the one-scale morphs.")
    top = int(ref.argmax())
    truth = "a" if top == 0 else ("b" if top == height - 1 else "c")
    if prediction != truth:
        where = {"a": "the finest scale", "b": "the coarsest scale", "c": "a scale in between"}[truth]
        raise Wrong(f"your measurement disagrees with prediction ({prediction}): the largest entry "
                    f"of `moved_by_scale` belongs to {where}. A displacement d turns a band's phase "
                    f"by ω·d, so a band can carry a shift of at most about half its own wavelength "
                    f"before its phase wraps: which bands can carry a shift of a pixel or more?")
    best = a.context("best")
    together = best.get("CSP phase") if isinstance(best, dict) else None
    if together is not None and float(ref.max()) < float(together):
        return ("Right: the coarser the scale, the further it moves the patch, yet no single scale "
                "comes near all of them together.")
    return None


# ------------------------------------------------------------------------------------------
# 8.3  Another photograph, another class
# ------------------------------------------------------------------------------------------


def _luma_chroma(change):
    from ..transforms import rgb_to_yiq

    yiq = rgb_to_yiq(change)  # linear: the YIQ of a change is the change of the YIQ
    return float(yiq[:, :1].norm()), float(yiq[:, 1:].norm())


@exercise("ex-08-imagenet", chapter=8, kind="computation", title="Another photograph, another class",
          reads=("dal_image", "dal_driver", "dal_judge", "control_image", "control_judge"))
def _imagenet(a):
    import torch

    from ..evaluate import target_probability
    from ..models import imagenet_class_index

    image = a.get("dal_image")
    answers = {n: a.get(n) for n in ("dal_driver", "dal_judge", "control_image", "control_judge")}
    photos, driver, judge = a.chapter("photos", "driver_in", "judge_in")
    source = photos.images[16:17]
    snow = imagenet_class_index("snow leopard")
    image = expect_tensor(image, "dal_image", shape=tuple(source.shape)).to(source.dtype)
    change = image - source
    size = float(change.norm())
    if size < 1e-6:
        raise Wrong("`dal_image` is still the dalmatian: store the edited image, `edit.images`.")
    if size > 30:
        raise Wrong("`dal_image` is far from `photos.images[16:17]`: edit the dalmatian (image 16).")
    if not near(size, 3.0, rtol=0.01):
        raise Wrong("`dal_image` should differ from the dalmatian by exactly L2 = 3 (the budget); "
                    "pass `budget=3.0` to `lens.edit`.")
    if float(image.min()) < -1e-4 or float(image.max()) > 1 + 1e-4:
        raise Wrong("`dal_image` has values outside [0, 1]: store the lens's edited image as it is.")
    luma, chroma = _luma_chroma(change)
    if chroma > 0.1 * luma:
        raise Wrong("`dal_image` changes the colours, not only the luminance: build the lens with "
                    "`color=\"luminance\"`, as in section 6.")
    target = torch.tensor([snow])
    p_driver = float(target_probability(driver, image, target)[0])
    p_judge = float(target_probability(judge, image, target)[0])
    if p_driver < 0.5:
        raise Wrong("your edit does not convince the driver of *snow leopard*: edit toward "
                    "`models.imagenet_class_index(\"snow leopard\")` with a CSP-phase lens on "
                    "`driver_in`, persistent regime, steps of 1.5.")
    dal_driver = expect_number(answers["dal_driver"], "dal_driver")
    dal_judge = expect_number(answers["dal_judge"], "dal_judge")
    if near(dal_driver, p_judge, atol=1e-7, rtol=0.01) and near(dal_judge, p_driver, atol=1e-7, rtol=0.01):
        raise Wrong("`dal_driver` and `dal_judge` are swapped: the driver is `driver_in` (Lite0), the "
                    "judge `judge_in` (Lite1).")
    if not near(dal_driver, p_driver, atol=1e-6, rtol=0.01):
        raise Wrong("`dal_driver` is not the driver's probability of *snow leopard* on `dal_image`: "
                    "read it with `read(driver_in, dal_image, snow)` or `edit.target_prob`.")
    if not near(dal_judge, p_judge, atol=1e-7, rtol=0.01):
        if near(dal_judge, float(target_probability(judge, source, target)[0]), atol=1e-7, rtol=0.01):
            raise Wrong("`dal_judge` is the judge's probability on the original photograph: read it "
                        "on the edited image `dal_image`.")
        raise Wrong("`dal_judge` is not the judge's probability of *snow leopard* on `dal_image`: "
                    "read it with `read(judge_in, dal_image, snow)`.")
    control = expect_tensor(answers["control_image"], "control_image", shape=tuple(source.shape))
    control = control.to(source.dtype)
    c_change = control - source
    c_size = float(c_change.norm())
    if c_size < 1e-6:
        raise Wrong("`control_image` is the dalmatian itself: add a random change to it.")
    if torch.allclose(control, image, atol=1e-5):
        raise Wrong("`control_image` is your edit: the control is a *random* change of the same "
                    "size, which knows nothing about snow leopards.")
    if not near(c_size, size, rtol=0.05):
        raise Wrong("`control_image` should differ from the dalmatian by the same L2 as your edit: "
                    "scale the noise to `(dal_image - dalmatian).norm()` before adding it (then "
                    "clip to [0, 1]).")
    c_luma, c_chroma = _luma_chroma(c_change)
    if c_chroma > 0.2 * c_luma:
        raise Wrong("`control_image` changes the colours: add the *same* random value to R, G and B "
                    "of a pixel (noise of shape 1×1×224×224, expanded to three channels), so that, "
                    "like your edit, it changes luminance only.")
    cos = float((c_change * change).sum() / (c_size * size))
    if cos > 0.5:
        raise Wrong("`control_image`'s change points along your edit: the control must be random "
                    "(`torch.randn`), not derived from the edit.")
    control_judge = expect_number(answers["control_judge"], "control_judge")
    p_control = float(target_probability(judge, control, target)[0])
    if not near(control_judge, p_control, atol=1e-7, rtol=0.01):
        if near(control_judge, float(target_probability(driver, control, target)[0]), atol=1e-7, rtol=0.01):
            raise Wrong("`control_judge` is the driver's probability: the control asks the judge.")
        raise Wrong("`control_judge` is not the judge's probability of *snow leopard* on "
                    "`control_image`: read it with `read(judge_in, control_image, snow)`.")
    if p_judge > 0.5:
        return "Right: here the judge agrees with the driver."
    if p_judge > 2 * p_control:
        return ("Right: the judge does not agree, yet the edit moved it toward *snow leopard* more "
                "than a random change of the same size did: some of the edit transfers, far too "
                "little to convince.")
    return "Right: the judge does not agree, and the edit moves it no more than a random change."
