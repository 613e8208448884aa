"""Checks for chapter 1's exercises (Fourier phase)."""

from __future__ import annotations

from ._core import Wrong, exercise, expect_close, expect_tensor


@exercise("ex-01-subpixel", chapter=1, kind="computation", title="A sub-pixel shift, verified",
          reads=("shifted_ex", "image", "d_ex"))
def _subpixel(a):
    import torch

    from ..signals import measure_shift

    image = a.context("image")
    shifted = expect_tensor(a.get("shifted_ex"), "shifted_ex", shape=tuple(image.shape))
    if torch.equal(shifted, image):
        raise Wrong("`shifted_ex` is still `image`: apply your phase ramp with `fourier.polar_edit` "
                    "and synthesize the result.")
    measured = measure_shift(shifted[0], image[0])
    expect_close(measured, torch.tensor(a.context("d_ex", (3.5, -2.0))),
                 "the shift measured in `shifted_ex`", atol=0.01, rtol=0.0,
                 hint="The ramp for d = (d_y, d_x) is δ = −(ω_y d_y + ω_x d_x).")
