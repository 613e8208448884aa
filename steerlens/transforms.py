"""Invertible coordinate systems for images: pixels, Fourier, complex steerable pyramid.

Every transform has the same interface:

``analyze(x) -> Coefficients``
    Decompose a batch of images ``B×C×H×W`` (values in ``[0, 1]``).
``synthesize(coeffs) -> x``
    Invert :meth:`analyze` (to float32 round-off for even image sizes).
``polar_edit(coeffs, eta=None, delta=None) -> Coefficients``
    Multiply every editable coefficient ``c⁰`` by ``exp(η + iδ)``: ``δ`` is a
    phase increment (radians) and ``η`` a log-amplitude increment. Residual
    bands stay fixed. The parameterisation never divides by an amplitude, so
    near-zero coefficients give no NaN (and exactly-zero coefficients stay zero).

Colour is handled here too: ``color="rgb"`` decomposes every channel,
``color="luminance"`` converts RGB to YIQ, decomposes only the luminance ``Y``
and keeps the chroma ``I, Q`` untouched (the choice of the seed paper's authors
for natural images). Grey images (one channel) ignore the setting.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from ._checks import check_choice, check_even_size, check_images, check_int

__all__ = [
    "Coefficients",
    "Transform",
    "Pixel",
    "Fourier",
    "CSP",
    "rgb_to_yiq",
    "yiq_to_rgb",
    "clear_pyramid_cache",
]

COLOR_MODES = ("rgb", "luminance")

# NTSC YIQ (FCC 1953 coefficients); the inverse is computed, so the pair is exact.
_RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ],
    dtype=torch.float64,
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _color_matrix(m: Tensor, x: Tensor) -> Tensor:
    return m.to(device=x.device, dtype=x.dtype)


def rgb_to_yiq(x: Tensor) -> Tensor:
    """Convert ``B×3×H×W`` RGB images to YIQ (luminance ``Y`` first).

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(2, 3, 8, 8)
    >>> torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-6)
    True
    """
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"`x` must be B×3×H×W RGB, got shape {tuple(x.shape)}.")
    return torch.einsum("ij,bjhw->bihw", _color_matrix(_RGB_TO_YIQ, x), x)


def yiq_to_rgb(x: Tensor) -> Tensor:
    """Convert ``B×3×H×W`` YIQ images back to RGB (inverse of :func:`rgb_to_yiq`).

    Examples
    --------
    >>> import torch
    >>> y = rgb_to_yiq(torch.ones(1, 3, 4, 4))
    >>> bool(torch.allclose(y[:, 0], torch.ones(1, 4, 4)))
    True
    """
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"`x` must be B×3×H×W YIQ, got shape {tuple(x.shape)}.")
    return torch.einsum("ij,bjhw->bihw", _color_matrix(_YIQ_TO_RGB, x), x)


@dataclass
class Coefficients:
    """The coordinates of a batch of images in one transform.

    Attributes
    ----------
    bands
        The editable parts, one tensor per band group, batch first. CSP: one
        complex ``B×C×K×h×w`` tensor per scale (``K`` orientations, finest
        first). Fourier: one complex ``B×C×H×(W//2+1)`` half spectrum. Pixel:
        the real image itself.
    fixed
        Parts that edits never touch: the pyramid's ``residual_highpass`` and
        ``residual_lowpass``, and the chroma ``iq`` in luminance mode.
    """

    bands: list[Tensor]
    fixed: dict[str, Tensor] = field(default_factory=dict)

    def detach(self) -> Coefficients:
        """A copy whose tensors are detached from the autograd graph."""
        return Coefficients([b.detach() for b in self.bands], {k: v.detach() for k, v in self.fixed.items()})

    def to(self, *args, **kwargs) -> Coefficients:
        """Move every tensor (``Tensor.to`` semantics)."""
        return Coefficients(
            [b.to(*args, **kwargs) for b in self.bands],
            {k: v.to(*args, **kwargs) for k, v in self.fixed.items()},
        )

    def repeat_batch(self, n: int) -> Coefficients:
        """Repeat each image ``n`` times along the batch (``B → B·n``, image-major)."""
        return Coefficients(
            [b.repeat_interleave(n, dim=0) for b in self.bands],
            {k: v.repeat_interleave(n, dim=0) for k, v in self.fixed.items()},
        )

    @property
    def batch_size(self) -> int:
        return int(self.bands[0].shape[0])


class Transform(nn.Module):
    """Base class: an invertible image transform with a shared interface."""

    #: whether the bands are complex and admit the polar edit ``c⁰·exp(η + iδ)``
    polar: bool = True

    def __init__(self, color: Literal["rgb", "luminance"] = "rgb"):
        super().__init__()
        self.color = check_choice(color, "color", COLOR_MODES)

    # -- colour -----------------------------------------------------------
    def _split_color(self, x: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        if self.color == "luminance" and x.shape[1] == 3:
            yiq = rgb_to_yiq(x)
            return yiq[:, :1], {"iq": yiq[:, 1:]}
        return x, {}

    @staticmethod
    def _merge_color(y: Tensor, fixed: dict[str, Tensor]) -> Tensor:
        iq = fixed.get("iq")
        if iq is None:
            return y
        if iq.shape[0] != y.shape[0]:
            iq = iq.expand(y.shape[0], *iq.shape[1:])
        return yiq_to_rgb(torch.cat([y, iq], dim=1))

    # -- interface ----------------------------------------------------------
    def analyze(self, x: Tensor) -> Coefficients:  # pragma: no cover - abstract
        raise NotImplementedError

    def synthesize(self, coeffs: Coefficients) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: Tensor) -> Coefficients:
        return self.analyze(x)

    def polar_edit(
        self,
        coeffs: Coefficients,
        eta: Sequence[Tensor] | None = None,
        delta: Sequence[Tensor] | None = None,
    ) -> Coefficients:
        """Return coefficients ``c⁰·exp(η + iδ)`` band by band; residuals are kept.

        Parameters
        ----------
        coeffs
            Source coefficients from :meth:`analyze`.
        eta, delta
            Log-amplitude and phase increments: one real tensor per band,
            broadcastable to that band's shape, or ``None`` for zero.

        Returns
        -------
        Coefficients
            The edited coefficients (new tensors; ``coeffs`` is not modified).

        Examples
        --------
        >>> import torch
        >>> f = Fourier((8, 8))
        >>> c = f.analyze(torch.rand(1, 1, 8, 8))
        >>> same = f.polar_edit(c, delta=[torch.zeros(c.bands[0].shape)])
        >>> torch.equal(same.bands[0], c.bands[0])
        True
        """
        if not self.polar:
            raise TypeError(
                f"{type(self).__name__} coordinates are real: they have no phase or amplitude "
                f"to edit. Use domain='fourier' or domain='csp' for polar edits."
            )
        n = len(coeffs.bands)
        for name, p in (("eta", eta), ("delta", delta)):
            if p is not None and len(p) != n:
                raise ValueError(f"`{name}` must hold one tensor per band ({n}), got {len(p)}.")
        bands = []
        for i, c in enumerate(coeffs.bands):
            e = eta[i] if eta is not None else None
            d = delta[i] if delta is not None else None
            if e is None and d is None:
                bands.append(c)
                continue
            e = torch.zeros((), dtype=c.real.dtype, device=c.device) if e is None else e
            d = torch.zeros((), dtype=c.real.dtype, device=c.device) if d is None else d
            bands.append(c * torch.polar(torch.exp(e), d))
        return Coefficients(bands, dict(coeffs.fixed))

    def extra_repr(self) -> str:
        return f"color={self.color!r}"


class Pixel(Transform):
    """The identity transform: the image's own pixels are the coordinates.

    Pixel coordinates are real, so edits are additive (``x⁰ + Δ``).

    Examples
    --------
    >>> import torch
    >>> px = Pixel()
    >>> x = torch.rand(1, 3, 8, 8)
    >>> torch.equal(px.synthesize(px.analyze(x)), x)
    True
    """

    polar = False

    def analyze(self, x: Tensor) -> Coefficients:
        x = check_images(x, "x")
        y, fixed = self._split_color(x)
        return Coefficients([y], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        return self._merge_color(coeffs.bands[0], coeffs.fixed)


class Fourier(Transform):
    """The 2-D discrete Fourier transform of a real image (``torch.fft.rfft2``).

    The half spectrum keeps edited images real: ``irfft2`` imposes Hermitian
    symmetry. The orthonormal scaling makes the transform energy-preserving.

    Parameters
    ----------
    image_shape
        ``(H, W)``, both even.
    color
        ``"rgb"`` or ``"luminance"``.

    Examples
    --------
    >>> import torch
    >>> f = Fourier((16, 16))
    >>> x = torch.rand(2, 1, 16, 16)
    >>> torch.allclose(f.synthesize(f.analyze(x)), x, atol=1e-6)
    True
    """

    def __init__(self, image_shape: Sequence[int], color: Literal["rgb", "luminance"] = "rgb"):
        super().__init__(color)
        self.image_shape = check_even_size(image_shape)

    def _check_shape(self, x: Tensor) -> None:
        if tuple(x.shape[-2:]) != self.image_shape:
            raise ValueError(
                f"`x` has spatial size {tuple(x.shape[-2:])} but this {type(self).__name__} was "
                f"built for {self.image_shape}; build one with {type(self).__name__}"
                f"({tuple(x.shape[-2:])})."
            )

    def analyze(self, x: Tensor) -> Coefficients:
        x = check_images(x, "x")
        self._check_shape(x)
        y, fixed = self._split_color(x)
        return Coefficients([torch.fft.rfft2(y, norm="ortho")], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        y = torch.fft.irfft2(coeffs.bands[0], s=self.image_shape, norm="ortho")
        return self._merge_color(y, coeffs.fixed)

    def frequencies(self, device=None, dtype=torch.float32) -> tuple[Tensor, Tensor]:
        """Angular frequencies ``(ω_y, ω_x)`` in radians per pixel, shaped like a band.

        Examples
        --------
        >>> wy, wx = Fourier((8, 8)).frequencies()
        >>> tuple(wy.shape), float(wx[0, 1])
        ((8, 5), 0.7853981852531433)
        """
        h, w = self.image_shape
        wy = 2 * math.pi * torch.fft.fftfreq(h, device=device, dtype=dtype)
        wx = 2 * math.pi * torch.fft.rfftfreq(w, device=device, dtype=dtype)
        return wy[:, None].expand(h, wx.numel()), wx[None, :].expand(h, wx.numel())

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, color={self.color!r}"


# ---------------------------------------------------------------------------
# complex steerable pyramid
# ---------------------------------------------------------------------------

_PYRAMIDS: dict[tuple, nn.Module] = {}
_PYRAMIDS_LOCK = threading.Lock()


def clear_pyramid_cache() -> None:
    """Forget every cached pyramid (they are rebuilt on demand)."""
    with _PYRAMIDS_LOCK:
        _PYRAMIDS.clear()


def _max_height(image_shape: tuple[int, int]) -> int:
    return int(math.floor(math.log2(min(image_shape)))) - 2


def _pyramid(image_shape, height, order, twidth, downsample, tight_frame, device, dtype):
    """One plenoptic pyramid per configuration, device and dtype, built once."""
    from plenoptic.process import SteerablePyramidFreq

    key = (tuple(image_shape), height, order, twidth, downsample, tight_frame, str(device), dtype)
    with _PYRAMIDS_LOCK:
        pyr = _PYRAMIDS.get(key)
        if pyr is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pyr = SteerablePyramidFreq(
                    tuple(image_shape),
                    height=height,
                    order=order,
                    twidth=twidth,
                    is_complex=True,
                    downsample=downsample,
                    tight_frame=tight_frame,
                )
            pyr = pyr.to(device=device, dtype=dtype).requires_grad_(False)
            _PYRAMIDS[key] = pyr
    return pyr


class CSP(Transform):
    """Complex steerable pyramid (Simoncelli & Freeman 1995; Portilla & Simoncelli 2000).

    Wraps :class:`plenoptic.process.SteerablePyramidFreq` with
    ``is_complex=True``. The pyramid's masks are built once per
    (shape, height, order, twidth, downsample, tight_frame, device, dtype) and
    shared by every ``CSP`` object with that configuration.

    Parameters
    ----------
    image_shape
        ``(H, W)``, both even and at least 8.
    height
        Number of band-pass scales, or ``"auto"`` (``⌊log2 min(H, W)⌋ − 2``).
    order
        Order of the angular filters; there are ``order + 1`` orientations. At least 1.
    twidth
        Width of the radial transition region, in octaves.
    downsample
        Whether coarser scales are subsampled. ``False`` (default) keeps every
        band at full resolution: more coefficients, but a smoother phase per pixel
        and, on a CPU, faster synthesis at 224×224.
    tight_frame
        Whether the pyramid is a tight frame (energy preserving).
    color
        ``"rgb"`` (every channel) or ``"luminance"`` (YIQ: edit ``Y`` only).

    Examples
    --------
    >>> import torch
    >>> csp = CSP((32, 32), height=3, order=3)
    >>> x = torch.rand(1, 1, 32, 32)
    >>> c = csp.analyze(x)
    >>> [tuple(b.shape) for b in c.bands]
    [(1, 1, 4, 32, 32), (1, 1, 4, 32, 32), (1, 1, 4, 32, 32)]
    >>> bool((csp.synthesize(c) - x).abs().max() < 1e-5)
    True
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        height: Literal["auto"] | int = "auto",
        order: int = 3,
        twidth: int = 1,
        downsample: bool = False,
        tight_frame: bool = False,
        color: Literal["rgb", "luminance"] = "rgb",
    ):
        super().__init__(color)
        self.image_shape = check_even_size(image_shape)
        max_h = _max_height(self.image_shape)
        if height == "auto":
            if max_h < 1:
                raise ValueError(
                    f"`image_shape` {self.image_shape} is too small for a pyramid; use at least 8×8."
                )
            height = max_h
        else:
            check_int(height, "height", minimum=1)
            if height > max_h:
                raise ValueError(
                    f"`height`={height} is too large for images of size {self.image_shape}: at most "
                    f"{max_h} scales fit (⌊log2 min(H, W)⌋ − 2). Use height='auto' or a larger image."
                )
        check_int(order, "order", minimum=1)
        if order > 15:
            raise ValueError(f"`order` must be between 1 and 15, got {order}.")
        check_int(twidth, "twidth", minimum=1)
        self.height = int(height)
        self.order = int(order)
        self.twidth = int(twidth)
        self.downsample = bool(downsample)
        self.tight_frame = bool(tight_frame)

    @property
    def num_orientations(self) -> int:
        return self.order + 1

    def pyramid(self, device=None, dtype=torch.float32) -> nn.Module:
        """The cached plenoptic pyramid for ``device`` and ``dtype``."""
        device = torch.device("cpu") if device is None else torch.device(device)
        return _pyramid(
            self.image_shape, self.height, self.order, self.twidth,
            self.downsample, self.tight_frame, device, dtype,
        )

    def _check_shape(self, x: Tensor) -> None:
        if tuple(x.shape[-2:]) != self.image_shape:
            raise ValueError(
                f"`x` has spatial size {tuple(x.shape[-2:])} but this CSP was built for "
                f"{self.image_shape}; build one with CSP({tuple(x.shape[-2:])})."
            )

    def analyze(self, x: Tensor) -> Coefficients:
        x = check_images(x, "x")
        self._check_shape(x)
        y, fixed = self._split_color(x)
        pyr = self.pyramid(y.device, y.dtype)
        out = pyr(y)
        fixed = {
            "residual_highpass": out["residual_highpass"],
            "residual_lowpass": out["residual_lowpass"],
            **fixed,
        }
        return Coefficients([out[s] for s in range(self.height)], fixed)

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        if len(coeffs.bands) != self.height:
            raise ValueError(
                f"`coeffs` holds {len(coeffs.bands)} scales but this CSP has height={self.height}."
            )
        hp = coeffs.fixed["residual_highpass"]
        pyr = self.pyramid(hp.device, hp.dtype)
        batch = max(b.shape[0] for b in coeffs.bands)
        pyr_coeffs = {"residual_highpass": hp.expand(batch, *hp.shape[1:])}
        for s, b in enumerate(coeffs.bands):
            pyr_coeffs[s] = b.expand(batch, *b.shape[1:])
        lp = coeffs.fixed["residual_lowpass"]
        pyr_coeffs["residual_lowpass"] = lp.expand(batch, *lp.shape[1:])
        y = pyr.recon_pyr(pyr_coeffs)
        return self._merge_color(y, coeffs.fixed)

    def band_frequencies(self) -> Tensor:
        """Centre frequency of every oriented band, in radians per image pixel.

        Measured from each band's impulse response (power-weighted mean
        frequency), so it follows the pyramid's own sign conventions: a pattern
        translated by ``d = (d_y, d_x)`` pixels changes the phase of band
        ``(s, k)`` by about ``−ω[s, k] · d``.

        Returns
        -------
        Tensor
            ``height × (order+1) × 2`` holding ``(ω_y, ω_x)``.

        Examples
        --------
        >>> w = CSP((64, 64), height=3).band_frequencies()
        >>> tuple(w.shape)
        (3, 4, 2)
        >>> [round(float(w[s].norm(dim=-1).mean()), 1) for s in range(3)]  # ≈ π/2, π/4, π/8
        [1.6, 0.8, 0.4]
        """
        h, w = self.image_shape
        impulse = torch.zeros(1, 1, h, w)
        impulse[..., h // 2, w // 2] = 1.0
        pyr = self.pyramid()
        out = pyr(impulse)
        freqs = torch.zeros(self.height, self.num_orientations, 2)
        for s in range(self.height):
            band = out[s][0, 0]  # K×h×w
            bh, bw = band.shape[-2:]
            spec = torch.fft.fft2(band).abs() ** 2
            wy = 2 * math.pi * torch.fft.fftfreq(bh)
            wx = 2 * math.pi * torch.fft.fftfreq(bw)
            total = spec.sum(dim=(-2, -1))
            fy = (spec * wy[:, None]).sum(dim=(-2, -1)) / total
            fx = (spec * wx[None, :]).sum(dim=(-2, -1)) / total
            step = h / bh  # > 1 when the band is subsampled
            freqs[s, :, 0] = fy / step
            freqs[s, :, 1] = fx / step
        return freqs

    def extra_repr(self) -> str:
        return (
            f"image_shape={self.image_shape}, height={self.height}, order={self.order}, "
            f"twidth={self.twidth}, downsample={self.downsample}, "
            f"tight_frame={self.tight_frame}, color={self.color!r}"
        )
