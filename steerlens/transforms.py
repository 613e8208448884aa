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
_FILTERS: dict[tuple, _SynthesisFilters] = {}
_PYRAMIDS_LOCK = threading.Lock()


def clear_pyramid_cache() -> None:
    """Forget every cached pyramid and synthesis filter (they are rebuilt on demand)."""
    with _PYRAMIDS_LOCK:
        _PYRAMIDS.clear()
        _FILTERS.clear()


def _max_height(image_shape: tuple[int, int], twidth: int = 1) -> int:
    # plenoptic allows ⌊log2 min(H, W)⌋ − 2 scales, but with a wider radial transition
    # (twidth > 1) the deepest scales no longer reconstruct (max error ~0.1–0.4 on [0, 1]
    # images): every extra octave of transition costs one scale.
    return int(math.floor(math.log2(min(image_shape)))) - 1 - int(twidth)


def _pyramid_key(image_shape, height, order, twidth, downsample, tight_frame, device, dtype):
    return (tuple(image_shape), height, order, twidth, downsample, tight_frame, str(device), dtype)


def _pyramid(image_shape, height, order, twidth, downsample, tight_frame, device, dtype):
    """One plenoptic pyramid per configuration, device and dtype, built once."""
    from plenoptic.process import SteerablePyramidFreq

    key = _pyramid_key(image_shape, height, order, twidth, downsample, tight_frame, device, dtype)
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


@dataclass(frozen=True)
class _BandResponse:
    """One scale's synthesis filters, cropped to the frequencies where they are non-zero.

    ``response`` is ``K × (rows_pos + rows_neg) × cols`` (``rfft2`` layout, the
    rows ``0 … rows_pos−1`` then ``−rows_neg … −1``) on the band's own ``size``
    grid. A non-subsampled coarse scale passes only low frequencies, so its
    FFT is needed in ``cols`` columns only (``rows_pos + rows_neg`` rows).
    """

    response: Tensor
    size: tuple[int, int]
    rows_pos: int
    rows_neg: int
    cols: int

    @property
    def cropped(self) -> bool:
        h, w = self.size
        return self.rows_pos + self.rows_neg < h or self.cols < w // 2 + 1


@dataclass(frozen=True)
class _SynthesisFilters:
    """The pyramid's synthesis as one frequency response per band (``rfft2`` layout).

    plenoptic reconstructs recursively, coarse to fine: every scale's bands are
    filtered by their angular and high-pass masks and added to the upsampled,
    low-pass-masked result of the coarser scales. Because every mask is a fixed
    multiplication in the frequency domain, the chain of masks that a band passes
    through can be multiplied out once. The bands' recon masks are the spectra of
    real filters (``cos^n`` is odd for odd ``n`` and the constant ``i^n`` makes
    the product Hermitian), so only the real part of a complex band reaches the
    image, and a real FFT (``rfft2``) of that real part is enough.
    """

    bands: tuple[_BandResponse, ...]
    highpass: Tensor  # H × (W//2 + 1)
    lowpass: Tensor  # h_L × (w_L//2 + 1)
    norm: str


def _crop_to_support(response: Tensor, size: tuple[int, int]) -> _BandResponse:
    """Keep the rows and columns of an ``rfft2``-layout response that hold non-zeros."""
    h = size[0]
    support = (response.abs() > 0).any(dim=0)
    rows = support.any(dim=1)
    cols = support.any(dim=0)
    half = (h + 1) // 2  # rows 0 … half−1 are the non-negative frequencies
    positive = torch.nonzero(rows[:half])
    negative = torch.nonzero(rows[half:])
    rows_pos = int(positive.max()) + 1 if positive.numel() else 0
    rows_neg = h - half - int(negative.min()) if negative.numel() else 0
    n_cols = int(torch.nonzero(cols).max()) + 1 if bool(cols.any()) else 1
    if (rows_pos + rows_neg) * n_cols > 0.6 * h * response.shape[-1]:  # too little to gain
        return _BandResponse(response.contiguous(), size, half, h - half, response.shape[-1])
    kept = torch.cat([response[:, :rows_pos, :n_cols], response[:, h - rows_neg :, :n_cols]], dim=1)
    return _BandResponse(kept.contiguous(), size, rows_pos, rows_neg, n_cols)


def _rfft_layout(mask: Tensor) -> Tensor:
    """A centred (``fftshift``-ed) full spectrum mask → ``rfft2`` layout."""
    mask = torch.fft.ifftshift(mask, dim=(-2, -1))
    return mask[..., : mask.shape[-1] // 2 + 1].contiguous()


def _synthesis_filters(pyr: nn.Module, key: tuple) -> _SynthesisFilters:
    with _PYRAMIDS_LOCK:
        filters = _FILTERS.get(key)
    if filters is not None:
        return filters
    real = pyr.lo0mask.dtype
    cdtype = torch.complex128 if real == torch.float64 else torch.complex64
    recon_const = complex(0, 1) ** pyr.order
    band_gain = math.sqrt(2) if pyr.tight_frame else 1.0
    # `chain` is what a level-s spectrum is multiplied by on its way to the output.
    chain = pyr.lo0mask.reshape(pyr.lo0mask.shape[-2:]).to(torch.float64)
    bands = []
    for s in range(pyr.num_scales):
        himask = getattr(pyr, f"_himasks_scale_{s}")[0].to(torch.float64)
        anglemasks = getattr(pyr, f"_anglemasks_recon_scale_{s}").to(torch.float64)
        band = (chain * himask * anglemasks).to(torch.complex128) * (recon_const * band_gain)
        bands.append(_crop_to_support(_rfft_layout(band).to(cdtype), tuple(band.shape[-2:])))
        if pyr.downsample:
            (top, left), (bottom, right) = pyr._loindices[s]
            chain = chain[top:bottom, left:right]
        chain = chain * getattr(pyr, f"_lomasks_scale_{s}")[0].to(torch.float64)
        if not pyr.tight_frame and not pyr.downsample:
            chain = chain / 2
    highpass = pyr.hi0mask[0].to(torch.complex128)
    filters = _SynthesisFilters(
        bands=tuple(bands),
        highpass=_rfft_layout(highpass).to(cdtype),
        lowpass=_rfft_layout(chain.to(torch.complex128)).to(cdtype),
        norm=pyr.fft_norm,
    )
    with _PYRAMIDS_LOCK:
        _FILTERS[key] = filters
    return filters


def _embed_half_spectrum(
    spec: Tensor, image_shape: tuple[int, int], rows_pos: int | None = None
) -> Tensor:
    """Zero-pad a smaller ``rfft2`` half spectrum to the full image's (upsampling).

    ``spec``'s rows are ``0 … rows_pos−1`` then the negative frequencies (default:
    a complete half spectrum of an ``h``-row grid, ``rows_pos = ⌈h/2⌉``).
    """
    h, half_w = spec.shape[-2:]
    big_h, big_w = image_shape
    if h == big_h and half_w == big_w // 2 + 1:
        return spec
    positive = (h + 1) // 2 if rows_pos is None else rows_pos
    negative = h - positive
    out = spec.new_zeros(*spec.shape[:-2], big_h, big_w // 2 + 1)
    out[..., :positive, :half_w] = spec[..., :positive, :]
    if negative:
        out[..., big_h - negative :, :half_w] = spec[..., positive:, :]
    return out


def _band_fft(band: Tensor, filters: _BandResponse, norm: str) -> Tensor:
    """The band's half spectrum; for a cropped response only its ``cols`` columns."""
    if not filters.cropped:
        return torch.fft.rfft2(band, norm=norm)
    spec = torch.fft.rfft(band, dim=-1, norm=norm)[..., : filters.cols]
    return torch.fft.fft(spec, dim=-2, norm=norm)


class CSP(Transform):
    """Complex steerable pyramid (Simoncelli & Freeman 1995; Portilla & Simoncelli 2000).

    Wraps :class:`plenoptic.process.SteerablePyramidFreq` with
    ``is_complex=True``. The pyramid's masks are built once per
    (shape, height, order, twidth, downsample, tight_frame, device, dtype) and
    shared by every ``CSP`` object with that configuration. Analysis is
    plenoptic's; synthesis multiplies the pyramid's masks out into one
    frequency response per band, once, and applies them with real FFTs (the
    same linear map as plenoptic's ``recon_pyr``, see :meth:`synthesize`).

    Parameters
    ----------
    image_shape
        ``(H, W)``, both even and at least 8.
    height
        Number of band-pass scales, or ``"auto"`` (the most that reconstruct:
        ``⌊log2 min(H, W)⌋ − 1 − twidth``, i.e. ``⌊log2 min(H, W)⌋ − 2`` for the
        default ``twidth=1``).
    order
        Order of the angular filters; there are ``order + 1`` orientations. At least 1.
    twidth
        Width of the radial transition region, in octaves. Each extra octave
        costs one scale: deeper pyramids do not reconstruct.
    downsample
        Whether coarser scales are subsampled. ``False`` (default) keeps every
        band at full resolution: a phase per pixel at every scale, at the price of
        more coefficients (at 224×224 on a CPU about 2× the synthesis time and 3×
        the analysis time of ``True``).
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
        check_int(twidth, "twidth", minimum=1)
        max_h = _max_height(self.image_shape, twidth)
        if height == "auto":
            if max_h < 1:
                raise ValueError(
                    f"`image_shape` {self.image_shape} is too small for a pyramid with "
                    f"twidth={twidth}; use at least {2 ** (twidth + 2)}×{2 ** (twidth + 2)}."
                )
            height = max_h
        else:
            check_int(height, "height", minimum=1)
            if height > max_h:
                raise ValueError(
                    f"`height`={height} is too large for images of size {self.image_shape}: at most "
                    f"{max_h} scales fit (⌊log2 min(H, W)⌋ − 1 − twidth). Use height='auto' or a "
                    f"larger image."
                )
        check_int(order, "order", minimum=1)
        if order > 15:
            raise ValueError(f"`order` must be between 1 and 15, got {order}.")
        self.height = int(height)
        self.order = int(order)
        self.twidth = int(twidth)
        self.downsample = bool(downsample)
        self.tight_frame = bool(tight_frame)

    @property
    def num_orientations(self) -> int:
        return self.order + 1

    def _key(self, device, dtype) -> tuple:
        device = torch.device("cpu") if device is None else torch.device(device)
        return _pyramid_key(
            self.image_shape, self.height, self.order, self.twidth,
            self.downsample, self.tight_frame, device, dtype,
        )

    def pyramid(self, device=None, dtype=torch.float32) -> nn.Module:
        """The cached plenoptic pyramid for ``device`` and ``dtype``.

        Examples
        --------
        >>> CSP((32, 32)).pyramid() is CSP((32, 32)).pyramid()
        True
        """
        device = torch.device("cpu") if device is None else torch.device(device)
        return _pyramid(
            self.image_shape, self.height, self.order, self.twidth,
            self.downsample, self.tight_frame, device, dtype,
        )

    def _filters(self, device, dtype) -> _SynthesisFilters:
        return _synthesis_filters(self.pyramid(device, dtype), self._key(device, dtype))

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

    def _check_bands(self, bands: Sequence) -> None:
        if len(bands) != self.height:
            raise ValueError(
                f"`coeffs` holds {len(bands)} scales but this CSP has height={self.height}."
            )

    def synthesize(self, coeffs: Coefficients) -> Tensor:
        """Invert :meth:`analyze` (exactly the linear map of plenoptic's ``recon_pyr``).

        Only the real part of each complex band reaches the image (see
        :meth:`synthesize_bands`); the result equals
        :meth:`synthesize_plenoptic` to float round-off, several times faster.

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> x = torch.rand(2, 3, 32, 32)
        >>> bool((csp.synthesize(csp.analyze(x)) - x).abs().max() < 1e-5)
        True
        """
        self._check_bands(coeffs.bands)
        y = self.synthesize_bands([b.real for b in coeffs.bands]) + self.synthesize_residuals(
            coeffs.fixed
        )
        return self._merge_color(y, coeffs.fixed)

    def synthesize_bands(self, real_bands: Sequence[Tensor | None]) -> Tensor:
        """The image made by the oriented bands alone, from their real parts.

        Synthesis is linear, and each band's recon filter is real, so a complex
        band ``c`` contributes exactly what its real part ``Re c`` contributes.
        This is the part of :meth:`synthesize` that changes when bands are
        edited; sweeps precompute :meth:`synthesize_residuals` once and call this
        per frame.

        Parameters
        ----------
        real_bands
            One real tensor per scale, ``B×C×K×h×w`` (``Re`` of the band), or
            ``None`` for a scale that contributes nothing.

        Returns
        -------
        Tensor
            ``B×C×H×W``, in the decomposed channels (``Y`` only in luminance
            mode); add :meth:`synthesize_residuals` for the full image.

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
        >>> y = csp.synthesize_bands([b.real for b in c.bands])
        >>> torch.allclose(y + csp.synthesize_residuals(c.fixed), csp.synthesize(c))
        True
        """
        self._check_bands(real_bands)
        present = [b for b in real_bands if b is not None]
        if not present:
            raise ValueError("`real_bands` holds no band; pass at least one tensor.")
        filters = self._filters(present[0].device, present[0].dtype)
        big_h, big_w = self.image_shape
        spectrum = None
        for band, f in zip(real_bands, filters.bands, strict=True):
            if band is None:
                continue
            spec = _band_fft(band, f, filters.norm)
            if f.size == self.image_shape and not f.cropped:
                part = (spec * f.response).sum(dim=-3)
                spectrum = part if spectrum is None else spectrum + part
                continue
            # a coarse or subsampled scale: add its few low frequencies in place
            if spectrum is None:
                batch = torch.broadcast_shapes(*(b.shape[:-3] for b in present))
                spectrum = spec.new_zeros(*batch, big_h, big_w // 2 + 1)
            top, bottom, cols, h = f.rows_pos, f.rows_neg, f.cols, f.size[0]
            spectrum[..., :top, :cols] += (spec[..., :top, :cols] * f.response[:, :top]).sum(dim=-3)
            if bottom:
                spectrum[..., big_h - bottom :, :cols] += (
                    spec[..., h - bottom :, :cols] * f.response[:, top:]
                ).sum(dim=-3)
        return torch.fft.irfft2(spectrum, s=self.image_shape, norm=filters.norm)

    def synthesize_residuals(self, fixed: dict[str, Tensor]) -> Tensor:
        """The image made by the high-pass and low-pass residuals alone.

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> x = torch.full((1, 1, 32, 32), 0.5)
        >>> r = csp.synthesize_residuals(csp.analyze(x).fixed)   # a constant image is all low-pass
        >>> bool((r - x).abs().max() < 1e-5)
        True
        """
        highpass, lowpass = fixed["residual_highpass"], fixed["residual_lowpass"]
        filters = self._filters(highpass.device, highpass.dtype)
        spectrum = torch.fft.rfft2(highpass, norm=filters.norm) * filters.highpass
        low = torch.fft.rfft2(lowpass, norm=filters.norm) * filters.lowpass
        spectrum = spectrum + _embed_half_spectrum(low, self.image_shape)
        return torch.fft.irfft2(spectrum, s=self.image_shape, norm=filters.norm)

    def synthesize_plenoptic(self, coeffs: Coefficients) -> Tensor:
        """Invert :meth:`analyze` with plenoptic's own ``recon_pyr`` (the reference).

        Slower than :meth:`synthesize` and computed in ``complex64`` inside
        plenoptic whatever the input dtype; kept to check the fast path against.

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
        >>> bool((csp.synthesize_plenoptic(c) - csp.synthesize(c)).abs().max() < 1e-6)
        True
        """
        self._check_bands(coeffs.bands)
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
        >>> [round(float(w[s].norm(dim=-1).mean()), 2) for s in range(3)]  # one octave apart
        [1.7, 0.85, 0.43]
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
