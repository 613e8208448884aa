"""Steering the complex steerable pyramid: a band at any orientation from its basis.

The angular filter of orientation ``k`` (of ``K = n + 1``, ``n`` = ``order``)
is ``cos^n(θ − θ_k)`` with ``θ_k = πk/K``. The functions ``cos^n(θ − α)``
span only the harmonics ``n, n − 2, …`` (``K`` dimensions), so for every
angle ``α``

    ``cos^n(θ − α) = Σ_k w_k(α) cos^n(θ − θ_k)``  for all ``θ``, with
    ``w_k(α) = (1/K) [Σ_{h = n, n−2, … > 0} 2 cos(h(α − θ_k)) + 1[n even]]``

(the sum over ``k`` of ``cos(h(α − θ_k)) cos(h'(θ − θ_k))`` vanishes unless
``h = h'``). The real part of a complex band is that real filter's output, so
it steers exactly with these weights. The imaginary part does not: the
complex filter is the one-sided ``cos^n`` restricted to the half-plane
``|θ − θ_k| < π/2``, and a half-plane indicator is no finite sum of
harmonics. The steered complex band is therefore the analytic signal of the
steered real part along ``α``: its spectrum, doubled on the half-plane
``ω · (cos α, sin α) > 0`` and zeroed on the other. That is exactly what
analysis with the pyramid's filter turned to ``α`` returns (tested), for one
FFT pair per steered band.

Angles follow the pyramid's masks: measured in the frequency plane, from the
``ω_x`` axis (columns) towards ``+ω_y`` (rows, downwards), in the normalised
coordinates ``(ω_x/π, ω_y/π)`` (physical angles for square images); band
``k`` sits at ``πk/K``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["steering_weights", "steer_bands"]


def _angles(angle, name: str = "angle") -> tuple[Tensor, bool]:
    """``(angles as a 1-D float64 tensor, whether a single angle was given)``."""
    if isinstance(angle, bool):
        raise TypeError(
            f"`{name}` must be a float in radians (or a 1-D sequence of them), got a bool."
        )
    if isinstance(angle, numbers.Real):
        values, scalar = torch.tensor([float(angle)], dtype=torch.float64), True
    elif isinstance(angle, Tensor):
        if angle.is_complex() or angle.dtype == torch.bool:
            raise TypeError(f"`{name}` must hold real angles in radians, got dtype {angle.dtype}.")
        if angle.ndim > 1:
            raise ValueError(
                f"`{name}` must be a number or a 1-D tensor of angles, got shape {tuple(angle.shape)}; "
                f"flatten it with {name}.flatten()."
            )
        scalar = angle.ndim == 0
        values = angle.detach().to("cpu", torch.float64).reshape(-1)
    elif isinstance(angle, Sequence) and not isinstance(angle, (str, bytes)):
        items = list(angle)
        if any(isinstance(a, bool) or not isinstance(a, numbers.Real) for a in items):
            raise TypeError(
                f"`{name}` must be a float or a 1-D sequence of floats (radians), got {angle!r}."
            )
        values, scalar = torch.tensor([float(a) for a in items], dtype=torch.float64), False
    else:
        raise TypeError(
            f"`{name}` must be a float in radians or a 1-D sequence/tensor of them, got {type(angle).__name__}."
        )
    if values.numel() == 0:
        raise ValueError(f"`{name}` is empty; pass at least one angle.")
    if not bool(torch.isfinite(values).all()):
        raise ValueError(f"`{name}` must be finite, got {values.tolist()}.")
    return values, scalar


def steering_weights(angle, order: int) -> Tensor:
    """Interpolation weights that steer the pyramid's ``cos^order`` filters to ``angle``.

    ``cos^n(θ − α) = Σ_k w_k(α) cos^n(θ − πk/K)`` for every ``θ``, with
    ``K = order + 1`` orientations. The real part of a complex band steers
    exactly with these weights (:func:`steer_bands` adds the imaginary part).

    Parameters
    ----------
    angle
        The target orientation ``α`` in radians (a float), or a 1-D sequence
        or tensor of them.
    order
        The pyramid's ``order`` ``n`` (``K = n + 1`` basis orientations), ≥ 1.

    Returns
    -------
    Tensor
        float64, shape ``(K,)`` for one angle, ``(A, K)`` for ``A`` angles.

    Raises
    ------
    TypeError
        If ``order`` is not an int or ``angle`` is not a real number or a 1-D
        sequence/tensor of them.
    ValueError
        If ``order`` < 1, or ``angle`` is empty, not 1-D or not finite.

    Examples
    --------
    >>> steering_weights(0.0, 3)  # a basis angle: that band alone
    tensor([1., 0., 0., 0.], dtype=torch.float64)
    >>> w = steering_weights(math.pi / 8, 3)  # half-way between bands 0 and 1
    >>> [round(float(v), 3) for v in w]
    [0.653, 0.653, -0.271, 0.271]
    """
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(
            f"`order` must be an int (the pyramid's order), got {type(order).__name__}."
        )
    if order < 1:
        raise ValueError(f"`order` must be ≥ 1, got {order}.")
    alpha, scalar = _angles(angle)
    k = order + 1
    basis = math.pi * torch.arange(k, dtype=torch.float64) / k
    diff = alpha[:, None] - basis[None, :]  # A×K
    weights = torch.full_like(diff, 1.0 if order % 2 == 0 else 0.0)
    for h in range(order, 0, -2):
        weights = weights + 2 * torch.cos(h * diff)
    weights = weights / k
    # exact zeros and ones at the basis angles (the sums leave ~1e-16 there)
    weights = torch.where(weights.abs() < 1e-12, torch.zeros_like(weights), weights)
    return weights[0] if scalar else weights


def _half_plane(
    size: tuple[int, int], image_shape: tuple[int, int], alpha: Tensor, device
) -> Tensor:
    """``2·1[ω·(cos α, sin α) > 0]`` on a band's (unshifted) DFT grid: ``A×h×w``, float64."""
    h, w = size
    big_h, big_w = image_shape
    # offsets from DC in samples; the band's grid is a centred crop of the image's, so
    # offset m along an axis is the normalised frequency m / (size of that axis)
    wy = torch.fft.fftfreq(h, d=1.0 / h, dtype=torch.float64, device=device) / big_h
    wx = torch.fft.fftfreq(w, d=1.0 / w, dtype=torch.float64, device=device) / big_w
    alpha = alpha.to(device)
    proj = (
        torch.cos(alpha)[:, None, None] * wx[None, None, :]
        + torch.sin(alpha)[:, None, None] * wy[None, :, None]
    )
    return 2.0 * (proj > 1e-12).to(torch.float64)


def steer_bands(
    bands: Tensor,
    angle,
    order: int | None = None,
    image_shape: Sequence[int] | None = None,
) -> Tensor:
    """The complex band at any orientation, from the ``K`` basis bands of one scale.

    The real part is ``Σ_k w_k(α) Re c_k`` (:func:`steering_weights`, exact);
    the imaginary part completes it into the analytic signal along ``α``
    (one FFT pair), as the pyramid's own one-sided filter turned to ``α``
    would. Steering to a basis angle ``πk/K`` returns band ``k`` (to
    round-off); ``α + π`` gives ``(−1)^order`` times the conjugate.

    Parameters
    ----------
    bands
        One scale of :meth:`steerlens.CSP.analyze`: a complex ``…×K×h×w``
        tensor (``coeffs.bands[s]``).
    angle
        Target orientation in radians (same convention as the bands: band
        ``k`` at ``πk/K``, from the ``ω_x`` axis towards ``+ω_y``), or a 1-D
        sequence/tensor of angles.
    order
        The pyramid's order; optional (``K − 1``), checked when given.
    image_shape
        ``(H, W)`` of the analysed images. Needed only for a subsampled
        (``downsample=True``) scale of a non-square image, whose grid no
        longer has the image's aspect ratio; defaults to the band's own size.

    Returns
    -------
    Tensor
        Complex, ``…×h×w`` for one angle, ``…×A×h×w`` for ``A`` angles.
        Differentiable with respect to ``bands``.

    Raises
    ------
    TypeError
        If ``bands`` is not a complex tensor, ``order`` is not an int, or
        ``angle`` is not a real number or a 1-D sequence/tensor of them.
    ValueError
        If ``bands`` is not ``…×K×h×w`` with ``K ≥ 2``, ``order`` is not
        ``K − 1``, ``image_shape`` is not two ints at least the band's size,
        or ``angle`` is empty, not 1-D or not finite.

    Examples
    --------
    >>> import torch
    >>> from steerlens import CSP
    >>> csp = CSP((32, 32), height=2, order=3)
    >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
    >>> band = steer_bands(c.bands[0], math.pi / 4)  # = basis band 1
    >>> bool((band - c.bands[0][:, :, 1]).abs().max() < 1e-5)
    True
    >>> tuple(steer_bands(c.bands[0], [0.1, 0.2, 0.3]).shape)
    (1, 1, 3, 32, 32)
    """
    if not isinstance(bands, Tensor):
        raise TypeError(
            f"`bands` must be a complex tensor …×K×h×w (one scale of CSP.analyze(x).bands), "
            f"got {type(bands).__name__}."
        )
    if not bands.is_complex():
        raise TypeError(
            f"`bands` must be complex (one scale of CSP.analyze(x).bands), got dtype {bands.dtype}; "
            f"steering needs the complex pyramid's bands, not their real parts."
        )
    if bands.ndim < 3 or bands.shape[-3] < 2:
        raise ValueError(
            f"`bands` must be …×K×h×w with K ≥ 2 orientations (one scale of CSP.analyze(x).bands), "
            f"got shape {tuple(bands.shape)}."
        )
    k = bands.shape[-3]
    if order is None:
        order = k - 1
    elif isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(
            f"`order` must be an int (the pyramid's order), got {type(order).__name__}."
        )
    elif order != k - 1:
        raise ValueError(
            f"`order`={order} does not match `bands`, which holds K={k} orientations (order {k - 1}); "
            f"pass order={k - 1} or leave it out."
        )
    size = (int(bands.shape[-2]), int(bands.shape[-1]))
    if image_shape is None:
        image_shape = size
    else:
        if (
            isinstance(image_shape, (str, bytes))
            or not hasattr(image_shape, "__len__")
            or len(image_shape) != 2
        ):
            raise ValueError(
                f"`image_shape` must be (H, W) of the analysed images, got {image_shape!r}."
            )
        if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in image_shape):
            raise ValueError(f"`image_shape` must be two ints (H, W), got {image_shape!r}.")
        image_shape = (int(image_shape[0]), int(image_shape[1]))
        if image_shape[0] < size[0] or image_shape[1] < size[1]:
            raise ValueError(
                f"`image_shape` {image_shape} is smaller than the band ({size[0]}×{size[1]}); pass the "
                f"size of the images the bands were analysed from (CSP.image_shape)."
            )
    alpha, scalar = _angles(angle)
    real = bands.real
    weights = steering_weights(alpha, order).to(device=real.device, dtype=real.dtype)  # A×K
    steered = torch.einsum("ak,...khw->...ahw", weights, real)
    spectrum = torch.fft.fft2(steered)
    mask = _half_plane(size, image_shape, alpha, real.device).to(real.dtype)
    analytic = torch.fft.ifft2(spectrum * mask)
    return analytic[..., 0, :, :] if scalar else analytic
