"""Checks for the setup chapter's warm-up exercise."""

from __future__ import annotations

from ._core import Wrong, exercise, expect_number


@exercise("ex-00-warmup", chapter=0, kind="computation", title="A coarser pyramid",
          reads=("n_scales_h2", "err_h2", "img"))
def _warmup(a):
    import torch

    from ..transforms import CSP

    n = a.get("n_scales_h2")
    if isinstance(n, bool) or not isinstance(n, int):
        raise Wrong("`n_scales_h2` should be a whole number (an int): count the scales with "
                    "`len(coeffs.bands)`.")
    if n != 2:
        raise Wrong("`n_scales_h2` is not the number of scales of a height-2 pyramid: "
                    "`len(coeffs.bands)` counts them.")
    err = expect_number(a.get("err_h2"), "err_h2")
    if err < 0:
        raise Wrong("`err_h2` is negative: take the largest *absolute* difference, `.abs().max()`.")
    if err > 1e-4:
        raise Wrong("`err_h2` is far too large for an invertible transform: compare "
                    "`csp.synthesize(csp.analyze(img))` with `img` itself.")
    img, err4 = a.context("img"), a.context("err")
    if isinstance(img, torch.Tensor) and isinstance(err4, float) and err == err4:
        csp = CSP(img.shape[-2:], height=2, order=3)
        if (csp.synthesize(csp.analyze(img)) - img).abs().max().item() != err4:
            raise Wrong("`err_h2` is the height-4 pyramid's error from section 2: build the "
                        "height-2 pyramid and measure its own.")
    return "A pyramid of any height reconstructs to float32 round-off."
