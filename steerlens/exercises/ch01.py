"""Checks for chapter 1's exercises (Fourier phase)."""

from __future__ import annotations

import math

from ._core import (
    Wrong,
    call,
    exercise,
    expect_callable,
    expect_close,
    expect_number,
    expect_tensor,
)


def _camera(a):
    """The chapter's ``image`` (the camera, 1×1×256×256), or the same image loaded afresh."""
    image = a.context("image")
    if image is None:
        from ..data import natural_image

        image = natural_image("camera", size=256, gray=True)
    return image


# ------------------------------------------------------------------------------------------
# ex-01-subpixel (computation)
# ------------------------------------------------------------------------------------------


@exercise("ex-01-subpixel", chapter=1, kind="computation", title="A sub-pixel shift, verified",
          reads=("shifted_ex", "image", "d_ex"))
def _subpixel(a):
    import torch

    from ..signals import measure_shift

    image = _camera(a)
    shifted = expect_tensor(a.get("shifted_ex"), "shifted_ex", shape=tuple(image.shape))
    if torch.equal(shifted, image):
        raise Wrong("`shifted_ex` is still `image`: apply your phase ramp with `fourier.polar_edit` "
                    "and synthesize the result.")
    d = torch.tensor(a.context("d_ex", (3.5, -2.0)), dtype=torch.float64)
    measured = measure_shift(shifted[0], image[0]).double().flatten()
    hint = "The ramp for d = (d_y, d_x) is δ = −(ω_y d_y + ω_x d_x)."
    if bool((measured - d).abs().max() <= 0.01):
        return None
    if bool((measured - measured.round()).abs().max() <= 0.01) and bool((d - d.round()).abs().max() > 0.1):
        raise Wrong("`shifted_ex` moved by whole pixels only (as `torch.roll` or a rounded shift "
                    "does), but the exercise asks for a fraction of a pixel: multiply the "
                    "coefficients by a phase ramp, which works for any real d. " + hint)
    if bool((measured - d.flip(0)).abs().max() <= 0.01) and bool((d - d.flip(0)).abs().max() > 0.01):
        raise Wrong("`shifted_ex` moved by the right amounts along the wrong axes: d is "
                    "(d_y, d_x), rows first, and ω_y pairs with d_y. " + hint)
    expect_close(measured, d, "the shift measured in `shifted_ex`", atol=0.01, rtol=0.0, hint=hint)


# ------------------------------------------------------------------------------------------
# ex-01-amplitude (derivation): the Nyquist column keeps only cos(π d_x)
# ------------------------------------------------------------------------------------------

# (d_y, d_x) pairs the check measures: whole, half and other fractions, cos(π d_x) of both signs
_NYQUIST_SHIFTS = ((0.3, -1.6), (1.7, 0.25), (-2.2, 0.5), (0.0, 1.0), (0.4, 2.9), (-0.6, 0.8),
                   (2.5, -0.35), (0.7, 0.25))


def _measured_nyquist_gains():
    """What ``Fourier.polar_edit`` + ``synthesize`` do to the column ω_x = π, per shift.

    The median over the column of |X after| / |X before|, leaving out the corner ω_y = ±π
    (measured on a small random image: the gain is a property of the transform)."""
    import torch

    from ..transforms import Fourier

    n = 32
    image = torch.rand(1, 1, n, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    fourier = Fourier((n, n))
    coeffs = fourier.analyze(image)
    wy, wx = fourier.frequencies()
    before = coeffs.bands[0].abs()[0, 0, :, -1]
    rows = torch.ones(n, dtype=torch.bool)
    rows[n // 2] = False  # the corner (ω_y, ω_x) = (±π, π)
    gains = []
    for dy, dx in _NYQUIST_SHIFTS:
        ramp = -(wy * dy + wx * dx)
        moved = fourier.synthesize(fourier.polar_edit(coeffs, delta=[ramp]))
        after = torch.fft.rfft2(moved, norm="ortho").abs()[0, 0, :, -1]
        gains.append(float((after[rows] / before[rows]).median()))
    return torch.tensor(gains, dtype=torch.float64)


@exercise("ex-01-amplitude", chapter=1, kind="derivation", title="Amplitude does not know where",
          reads=("nyquist_gain",))
def _amplitude(a):
    import torch

    fn = expect_callable(a.get("nyquist_gain"), "nyquist_gain")
    values = torch.tensor([expect_number(call(fn, "nyquist_gain", dy, dx), "what `nyquist_gain` returns")
                           for dy, dx in _NYQUIST_SHIFTS], dtype=torch.float64)
    measured = _measured_nyquist_gains()
    if bool(((values - measured).abs() <= 2e-3).all()):
        return ("A half-pixel shift wipes the column out, a whole-pixel one leaves it alone: the "
                "real image keeps the average of the ramp and its mirror image, cos(π d_x).")
    if bool(((values - 1).abs() <= 1e-3).all()):
        raise Wrong("`nyquist_gain` says the amplitude never changes: true for a complex spectrum "
                    "(|e^{−iω·d}| = 1), but the image must stay real. On the column ω_x = π the "
                    "coefficient at ω_y is the conjugate of the one at −ω_y; ask what the ramp does "
                    "to both partners, and what a real image can keep of the result.")
    if bool((values < -1e-6).any()):
        raise Wrong("`nyquist_gain` returns negative numbers for some shifts, but it is a ratio of "
                    "amplitudes, |X after| / |X before|, so it is never negative.")
    d_y = torch.tensor([s[0] for s in _NYQUIST_SHIFTS], dtype=torch.float64)
    if bool(((values - torch.cos(math.pi * d_y).abs()).abs() <= 2e-3).all()):
        raise Wrong("`nyquist_gain` follows d_y, but on the column ω_x = π the ω_y part of the ramp "
                    "is a consistent phase for each pair of conjugate partners; the part that is "
                    "not consistent comes from ω_x = π and d_x.")
    same_dx = [k for k, s in enumerate(_NYQUIST_SHIFTS) if s[1] == 0.25]
    if abs(float(values[same_dx[0]] - values[same_dx[1]])) > 1e-6:
        raise Wrong("`nyquist_gain` changes with d_y when d_x is held fixed, but what the column "
                    "ω_x = π loses depends on d_x alone: the ω_y part of the ramp is a consistent "
                    "phase for each pair of conjugate partners.")
    expect_close(values, measured, "`nyquist_gain` at the check's test shifts", rtol=0.0, atol=2e-3,
                 hint="At a whole-pixel d_x the ramp at ω_x = π is e^{∓iπ d_x} = ±1, a real "
                      "number, so nothing is lost; at half a pixel it is ±i. Which real factor "
                      "does that describe?")
    return None


# ------------------------------------------------------------------------------------------
# ex-01-random-phase (computation)
# ------------------------------------------------------------------------------------------


@exercise("ex-01-random-phase", chapter=1, kind="computation", title="Random phase, true amplitude",
          reads=("random_phase_image", "image"))
def _random_phase(a):
    import torch

    image = _camera(a).double()
    value = a.get("random_phase_image")
    if isinstance(value, torch.Tensor) and value.is_complex():
        raise Wrong("`random_phase_image` is complex: synthesize a real image (the phase of a real "
                    "noise image's spectrum has the symmetry that makes the synthesis real).")
    img = expect_tensor(value, "random_phase_image", shape=tuple(image.shape)).double()
    if bool((img == 0).all()):
        raise Wrong("`random_phase_image` is all zeros: build the image from the camera's amplitude "
                    "and a random phase (`from_polar(amplitude, phase)`).")
    if bool((img - image).abs().max() < 1e-4):
        raise Wrong("`random_phase_image` is the camera itself: replace its phase by a random one.")
    amp_cam = torch.fft.rfft2(image, norm="ortho").abs()
    spec = torch.fft.rfft2(img, norm="ortho")
    amp = spec.abs()
    rel = (amp - amp_cam).abs()[0, 0] / amp_cam.max()
    if float(rel.max()) > 1e-3:
        if float(rel[:, 1:-1].max()) <= 1e-3:
            raise Wrong("the amplitude matches the camera's everywhere except on the columns "
                        "ω_x = 0 and ω_x = π: there your random phase lacks the conjugate symmetry "
                        "of a real image's spectrum, and the synthesis had to give it up. Take the "
                        "phase of the spectrum of a real noise image (it has that symmetry).")
        off_dc = amp_cam > 1e-6 * amp_cam.max()
        off_dc[..., 0, 0] = False
        ratio = amp[off_dc] / amp_cam[off_dc]
        if float(ratio.std() / ratio.mean()) < 1e-3:
            raise Wrong("every amplitude (but the mean's) is the camera's times one constant factor: "
                        "the image was rescaled (for display, say). Store the synthesized image "
                        "itself; rescaling changes the amplitude spectrum.")
        raise Wrong("the amplitude spectrum of `random_phase_image` is not the camera's: keep "
                    "|X| of the camera (`coeffs.bands[0].abs()`) and replace only the phase.")
    strong = amp_cam[0, 0] > amp_cam[0, 0].median()
    agree = torch.angle(spec[0, 0] * torch.fft.rfft2(image, norm="ortho")[0, 0].conj()).abs() < 0.1
    if float(agree[strong].double().mean()) > 0.5:
        raise Wrong("`random_phase_image` still has the camera's phase at most of its strong "
                    "coefficients: replace the whole phase by a random one.")
    return ("The camera's amplitude with a random phase: a texture with the camera's power "
            "spectrum and none of its objects.")
