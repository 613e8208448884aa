"""The complex steerable pyramid as an ``nn.Module`` whose masks are buffers.

Analysis and synthesis follow plenoptic's
:class:`~plenoptic.process.SteerablePyramidFreq` (``is_complex=True``) band for
band: same grids, subsampling, normalisation and sign conventions (tested
against it). The masks themselves are evaluated from their closed forms in
float64 (:mod:`steerlens.transforms._masks`), so the pyramid reconstructs to
float round-off in float32 *and* float64. Synthesis multiplies the masks out
into one frequency response per band, once, and applies them with real FFTs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import torch
from torch import Tensor, nn

from .._checks import check_images, check_int
from . import _masks
from ._base import Coefficients, Transform
from ._steer import steer_bands
from ._validate import check_image_shape, working_dtype

__all__ = ["CSP", "clear_pyramid_cache"]


def clear_pyramid_cache() -> None:
    """Forget every cached set of pyramid masks (they are rebuilt on demand).

    Examples
    --------
    >>> clear_pyramid_cache()
    >>> _masks.pyramid_masks.cache_info().currsize
    0
    """
    _masks.pyramid_masks.cache_clear()
    _plenoptic_pyramid.cache_clear()


def _max_height(image_shape: tuple[int, int], twidth: int = 1) -> int:
    # plenoptic allows ⌊log2 min(H, W)⌋ − 2 scales, but with a wider radial transition
    # (twidth > 1) the deepest scales no longer reconstruct (max error ~0.1–0.4 on [0, 1]
    # images): every extra octave of transition costs one scale.
    return int(math.floor(math.log2(min(image_shape)))) - 1 - int(twidth)


@lru_cache(maxsize=2)
def _plenoptic_pyramid(image_shape, height, order, twidth, downsample, tight_frame) -> nn.Module:
    """plenoptic's own pyramid for one configuration (CPU, float32): the reference."""
    from plenoptic.process import SteerablePyramidFreq

    with warnings.catch_warnings():
        # the one warning plenoptic's constructor emits; steerlens only builds even sizes
        warnings.filterwarnings("ignore", message="Reconstruction will not be perfect", category=UserWarning)
        pyr = SteerablePyramidFreq(
            tuple(image_shape), height=height, order=order, twidth=twidth,
            is_complex=True, downsample=downsample, tight_frame=tight_frame,
        )
    return pyr.requires_grad_(False)


def _embed_half_spectrum(spec: Tensor, image_shape: tuple[int, int]) -> Tensor:
    """Zero-pad a smaller, complete ``rfft2`` half spectrum to the full image's (upsampling)."""
    h, half_w = spec.shape[-2:]
    big_h, big_w = image_shape
    if h == big_h and half_w == big_w // 2 + 1:
        return spec
    positive = (h + 1) // 2
    negative = h - positive
    out = spec.new_zeros(*spec.shape[:-2], big_h, big_w // 2 + 1)
    out[..., :positive, :half_w] = spec[..., :positive, :]
    if negative:
        out[..., big_h - negative :, :half_w] = spec[..., positive:, :]
    return out


def _band_fft(band: Tensor, layout: _masks.BandResponse, norm: str) -> Tensor:
    """The band's half spectrum; for a cropped response only its ``cols`` columns."""
    if not layout.cropped:
        return torch.fft.rfft2(band, norm=norm)
    spec = torch.fft.rfft(band, dim=-1, norm=norm)[..., : layout.cols]
    return torch.fft.fft(spec, dim=-2, norm=norm)


class CSP(Transform):
    """Complex steerable pyramid (Simoncelli & Freeman 1995; Portilla & Simoncelli 2000).

    The same linear maps as :class:`plenoptic.process.SteerablePyramidFreq`
    with ``is_complex=True`` (same bands, conventions and subsampling), with
    its frequency masks evaluated from their closed forms in float64 instead
    of plenoptic's interpolated tables. The masks are the module's buffers:
    ``csp.to(device)``, ``csp.double()`` move them, and ``state_dict()``
    holds them. They are computed once per configuration and kept in a small
    LRU cache (:func:`clear_pyramid_cache` empties it); every ``CSP`` holds
    its own float32 copy.

    Parameters
    ----------
    image_shape
        ``(H, W)``, both even and at least 8 (``x.shape[-2:]`` is fine).
    height
        Number of band-pass scales, or ``"auto"`` (the most that reconstruct:
        ``⌊log2 min(H, W)⌋ − 1 − twidth``, i.e. ``⌊log2 min(H, W)⌋ − 2`` for the
        default ``twidth=1``).
    order
        Order of the angular filters; there are ``order + 1`` orientations.
        From 1 to 15.
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

    Raises
    ------
    TypeError
        If ``image_shape`` is not a pair of ints, or ``height`` (when not
        ``"auto"``), ``order`` or ``twidth`` is not an int.
    ValueError
        If ``image_shape`` is not two even sizes ≥ 8 (or too small for any scale
        at this ``twidth``), ``height`` is a string other than ``"auto"``, < 1 or
        more scales than fit, ``order`` is outside 1 … 15, ``twidth`` < 1, or
        ``color`` is not ``"rgb"`` or ``"luminance"``.

    Notes
    -----
    Precision and devices:

    - Images are computed in the masks' dtype when it matches; otherwise the
      masks are cast to the images' dtype and device for the call, except that
      float64 images always use the exact float64 masks (so a default,
      float32 ``CSP`` reconstructs float64 images to ``~1e-15``; call
      ``csp.double()`` to keep those masks on the module's device).
    - Half-precision images (``float16``, ``bfloat16``) are analysed in
      float32 (``complex64`` coefficients; ``torch.fft`` and the masks need
      at least float32).
    - Reconstruction error: ``~1e-7`` (float32), ``~1e-15`` (float64). A
      pyramid built by plenoptic itself reconstructs to ``~6e-6`` in either
      dtype, because its masks are tabulated; :meth:`synthesize_plenoptic`
      therefore agrees with :meth:`synthesize` only to ``~1e-5``.

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
    >>> x64 = x.double()
    >>> bool((csp.synthesize(csp.analyze(x64)) - x64).abs().max() < 1e-12)
    True
    >>> sorted(csp.state_dict())[:3]
    ['band_0', 'band_1', 'band_2']
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
        self.image_shape = check_image_shape(image_shape)
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
            if isinstance(height, str):
                raise ValueError(f"`height` must be 'auto' or an int, got {height!r}.")
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

        masks = self._exact_masks()
        # structure only: the tensors are buffers below (a reference to `masks` would
        # keep the cached float64 tensors alive past the cache's bound)
        self._crops = masks.crop
        self._layouts = tuple(
            _masks.BandResponse(torch.empty(0), r.size, r.rows_pos, r.rows_neg, r.cols)
            for r in masks.synth_band
        )
        self._forward_const = masks.forward_const
        self._recon_const = masks.recon_const
        self._norm = masks.norm
        for name, tensor in self._named_masks(masks):
            self.register_buffer(name, tensor.to(torch.float32))

    # -- masks -----------------------------------------------------------------
    def _config(self) -> tuple:
        return (self.image_shape, self.height, self.order, self.twidth, self.downsample, self.tight_frame)

    def _exact_masks(self) -> _masks.PyramidMasks:
        return _masks.pyramid_masks(*self._config())

    def _named_masks(self, masks: _masks.PyramidMasks):
        yield "lo0", masks.lo0
        yield "hi0", masks.hi0
        for s in range(self.height):
            yield f"band_{s}", masks.band[s]
            yield f"lo_{s}", masks.lo[s]
            yield f"synth_band_{s}", masks.synth_band[s].response
        yield "synth_highpass", masks.synth_highpass
        yield "synth_lowpass", masks.synth_lowpass

    def _apply(self, fn, recurse=True):
        # A float32 mask cast up to float64 would keep float32's rounding: refill the
        # buffers that a conversion (`.double()`, `.to(torch.float64)`) just made float64
        # with the exact masks, so a float64 CSP reconstructs to round-off.
        before = {name: b.dtype for name, b in self.named_buffers(recurse=False)}
        super()._apply(fn, recurse)
        changed = [
            name for name, b in self.named_buffers(recurse=False)
            if b.dtype == torch.float64 and before.get(name) != torch.float64
        ]
        if changed:
            exact = dict(self._named_masks(self._exact_masks()))
            with torch.no_grad():
                for name in changed:
                    getattr(self, name).copy_(exact[name])
        return self

    def _mask(self, name: str, like: Tensor) -> Tensor:
        """The buffer ``name`` in ``like``'s (real) dtype and on its device."""
        dtype = like.real.dtype if like.is_complex() else like.dtype
        buffer = getattr(self, name)
        if buffer.dtype == dtype and buffer.device == like.device:
            return buffer
        if dtype == torch.float64 and buffer.dtype != torch.float64:
            exact = dict(self._named_masks(self._exact_masks()))[name]
            return exact.to(like.device)
        return buffer.to(device=like.device, dtype=dtype)

    @property
    def num_orientations(self) -> int:
        return self.order + 1

    def pyramid(self, device=None, dtype=torch.float32) -> nn.Module:
        """plenoptic's own pyramid for this configuration (deprecated).

        ``CSP`` no longer uses it: its masks are its own buffers
        (``csp.buffers()``). Kept for one release as the reference
        implementation; built on demand (a cache of two).
        """
        warnings.warn(
            "CSP.pyramid() is deprecated: CSP holds its masks as buffers (use csp.buffers() or "
            "csp.state_dict()); plenoptic's pyramid is only the reference implementation.",
            DeprecationWarning,
            stacklevel=2,
        )
        device = torch.device("cpu") if device is None else torch.device(device)
        return _plenoptic_pyramid(*self._config()).to(device=device, dtype=dtype)

    # -- analysis ----------------------------------------------------------------
    def analyze(self, x: Tensor) -> Coefficients:
        """Decompose images ``B×C×H×W`` into complex bands and two residuals.

        Raises
        ------
        TypeError
            If ``x`` is not a floating-point tensor.
        ValueError
            If ``x`` is not ``B×C×H×W`` with 1 or 3 channels and finite values in
            ``[0, 1]``, or its ``H×W`` is not this CSP's ``image_shape``.
        """
        x = check_images(x, "x")
        self._check_shape(x)
        y, fixed = self._split_color(x.to(working_dtype(x.dtype)))
        bands, highpass, lowpass = self._decompose(y)
        return Coefficients(bands, {"residual_highpass": highpass, "residual_lowpass": lowpass, **fixed})

    def _decompose(self, y: Tensor) -> tuple[list[Tensor], Tensor, Tensor]:
        norm, dims = self._norm, (-2, -1)
        imdft = torch.fft.fftshift(torch.fft.fft2(y, norm=norm), dim=dims)
        highpass = torch.fft.ifft2(
            torch.fft.ifftshift(imdft * self._mask("hi0", y), dim=dims), norm=norm
        ).real
        lodft = imdft * self._mask("lo0", y)
        bands = []
        for s in range(self.height):
            banddft = lodft.unsqueeze(-3) * self._mask(f"band_{s}", y)
            band = torch.fft.ifft2(torch.fft.ifftshift(banddft, dim=dims), norm=norm)
            bands.append(band * self._forward_const)
            crop = self._crops[s]
            if crop is not None:
                top, bottom, left, right = crop
                lodft = lodft[..., top:bottom, left:right]
            lodft = lodft * self._mask(f"lo_{s}", y)
            if not self.downsample and not self.tight_frame:
                lodft = 2 * lodft
        lowpass = torch.fft.ifft2(torch.fft.ifftshift(lodft, dim=dims), norm=norm).real
        return bands, highpass, lowpass

    def _check_bands(self, bands: Sequence) -> None:
        if len(bands) != self.height:
            raise ValueError(
                f"`coeffs` holds {len(bands)} scales but this CSP has height={self.height}."
            )

    # -- synthesis ---------------------------------------------------------------
    def synthesize(self, coeffs: Coefficients) -> Tensor:
        """Invert :meth:`analyze` (the linear map of plenoptic's ``recon_pyr``).

        Only the real part of each complex band reaches the image (see
        :meth:`synthesize_bands`).

        Raises
        ------
        TypeError
            If ``coeffs`` is not :class:`Coefficients`.
        ValueError
            If ``coeffs`` does not hold one band per scale of this CSP (``height``).

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> x = torch.rand(2, 3, 32, 32)
        >>> bool((csp.synthesize(csp.analyze(x)) - x).abs().max() < 1e-5)
        True
        """
        if not isinstance(coeffs, Coefficients):
            raise TypeError(
                f"`coeffs` must be Coefficients from CSP.analyze(), got {type(coeffs).__name__}."
            )
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

        Raises
        ------
        ValueError
            If ``real_bands`` does not hold one entry per scale, or holds no band.

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
        big_h, big_w = self.image_shape
        norm = self._norm
        spectrum = None
        for s, (band, layout) in enumerate(zip(real_bands, self._layouts, strict=True)):
            if band is None:
                continue
            response = self._mask(f"synth_band_{s}", band)
            spec = _band_fft(band, layout, norm)
            if layout.size == self.image_shape and not layout.cropped:
                part = (spec * response).sum(dim=-3)
                spectrum = part if spectrum is None else spectrum + part
                continue
            # a coarse or subsampled scale: add its few low frequencies in place
            if spectrum is None:
                batch = torch.broadcast_shapes(*(b.shape[:-3] for b in present))
                spectrum = spec.new_zeros(*batch, big_h, big_w // 2 + 1)
            top, bottom, cols, h = layout.rows_pos, layout.rows_neg, layout.cols, layout.size[0]
            spectrum[..., :top, :cols] += (spec[..., :top, :cols] * response[:, :top]).sum(dim=-3)
            if bottom:
                spectrum[..., big_h - bottom :, :cols] += (
                    spec[..., h - bottom :, :cols] * response[:, top:]
                ).sum(dim=-3)
        return torch.fft.irfft2(spectrum * self._recon_const, s=self.image_shape, norm=norm)

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
        norm = self._norm
        spectrum = torch.fft.rfft2(highpass, norm=norm) * self._mask("synth_highpass", highpass)
        low = torch.fft.rfft2(lowpass, norm=norm) * self._mask("synth_lowpass", lowpass)
        spectrum = spectrum + _embed_half_spectrum(low, self.image_shape)
        return torch.fft.irfft2(spectrum, s=self.image_shape, norm=norm)

    def synthesize_plenoptic(self, coeffs: Coefficients) -> Tensor:
        """Invert :meth:`analyze` with plenoptic's own ``recon_pyr`` (the reference).

        Slower than :meth:`synthesize` and limited by plenoptic's tabulated
        masks (agrees with :meth:`synthesize` to ``~1e-5``); kept to check the
        fast path against.

        Raises
        ------
        ValueError
            If ``coeffs`` does not hold one band per scale of this CSP (``height``).

        Examples
        --------
        >>> import torch
        >>> csp = CSP((32, 32), height=2)
        >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
        >>> bool((csp.synthesize_plenoptic(c) - csp.synthesize(c)).abs().max() < 1e-4)
        True
        """
        self._check_bands(coeffs.bands)
        hp = coeffs.fixed["residual_highpass"]
        pyr = _plenoptic_pyramid(*self._config()).to(device=hp.device, dtype=hp.dtype)
        batch = max(b.shape[0] for b in coeffs.bands)
        pyr_coeffs = {"residual_highpass": hp.expand(batch, *hp.shape[1:])}
        for s, b in enumerate(coeffs.bands):
            pyr_coeffs[s] = b.expand(batch, *b.shape[1:])
        lp = coeffs.fixed["residual_lowpass"]
        pyr_coeffs["residual_lowpass"] = lp.expand(batch, *lp.shape[1:])
        y = pyr.recon_pyr(pyr_coeffs)
        return self._merge_color(y, coeffs.fixed)

    @property
    def orientation_angles(self) -> Tensor:
        """The angle of every basis orientation, ``πk/K`` rad (``K`` = ``order + 1``).

        Measured in the frequency plane from the ``ω_x`` axis (columns)
        towards ``+ω_y`` (rows, downwards): the convention of :meth:`steer`.

        Examples
        --------
        >>> [round(float(a), 4) for a in CSP((32, 32), order=3).orientation_angles]
        [0.0, 0.7854, 1.5708, 2.3562]
        """
        k = self.num_orientations
        return math.pi * torch.arange(k, dtype=torch.float64) / k

    def steer(self, coeffs: Coefficients, scale: int, angle) -> Tensor:
        """The complex band of one scale steered to any orientation ``angle``.

        The pyramid's defining property: the band that a filter turned to
        ``angle`` would give is a combination of the ``K`` basis bands of the
        same scale. Its real part is ``Σ_k w_k(angle) Re c_k`` with the
        ``cos^order`` interpolation weights
        (:func:`~steerlens.transforms.steering_weights`), exactly; its
        imaginary part completes it into the analytic signal along ``angle``
        (see :func:`~steerlens.transforms.steer_bands`). Steering to
        ``orientation_angles[k]`` returns band ``k``.

        Parameters
        ----------
        coeffs
            :class:`Coefficients` from :meth:`analyze` (edited ones are fine).
        scale
            The scale, ``0`` (finest) … ``height − 1``.
        angle
            Radians, in the convention of :attr:`orientation_angles` (from
            ``ω_x`` towards ``+ω_y``); a float or a 1-D sequence/tensor.

        Returns
        -------
        Tensor
            Complex, ``B×C×h×w`` for one angle, ``B×C×A×h×w`` for ``A`` angles.

        Raises
        ------
        TypeError
            If ``coeffs`` is not :class:`Coefficients`, ``scale`` is not an int,
            or ``angle`` is not a real number or a 1-D sequence/tensor of them.
        ValueError
            If ``coeffs`` does not hold one complex band per scale of this CSP,
            ``scale`` is outside ``0 … height − 1``, or ``angle`` is empty, not
            1-D or not finite.

        Examples
        --------
        >>> import math, torch
        >>> csp = CSP((32, 32), height=2, order=3)
        >>> c = csp.analyze(torch.rand(1, 1, 32, 32))
        >>> tuple(csp.steer(c, 1, math.pi / 8).shape)
        (1, 1, 32, 32)
        >>> basis = csp.steer(c, 0, csp.orientation_angles)  # the bands again
        >>> bool((basis - c.bands[0]).abs().max() < 1e-5)
        True
        """
        if not isinstance(coeffs, Coefficients):
            raise TypeError(
                f"`coeffs` must be Coefficients from CSP.analyze(), got {type(coeffs).__name__}."
            )
        self._check_bands(coeffs.bands)
        if isinstance(scale, bool) or not isinstance(scale, int):
            raise TypeError(
                f"`scale` must be an int (0 … {self.height - 1}), "
                f"got {type(scale).__name__}."
            )
        if not 0 <= scale < self.height:
            raise ValueError(
                f"`scale`={scale} is outside this CSP's scales 0 … {self.height - 1} "
                f"(0 is the finest)."
            )
        band = coeffs.bands[scale]
        if not isinstance(band, Tensor) or not band.is_complex() or band.ndim != 5:
            raise ValueError(
                f"`coeffs.bands[{scale}]` must be a complex B×C×K×h×w tensor from "
                f"CSP.analyze(), got {type(band).__name__} {getattr(band, 'dtype', '')} "
                f"{tuple(getattr(band, 'shape', ()))}."
            )
        if band.shape[-3] != self.num_orientations:
            raise ValueError(
                f"`coeffs.bands[{scale}]` holds {band.shape[-3]} orientations but this CSP has "
                f"{self.num_orientations} (order={self.order})."
            )
        return steer_bands(band, angle, order=self.order, image_shape=self.image_shape)

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
        impulse = torch.zeros(1, 1, h, w, dtype=torch.float64)
        impulse[..., h // 2, w // 2] = 1.0
        bands, _, _ = self._decompose(impulse)
        freqs = torch.zeros(self.height, self.num_orientations, 2)
        for s in range(self.height):
            band = bands[s][0, 0]  # K×h×w
            bh, bw = band.shape[-2:]
            spec = torch.fft.fft2(band).abs() ** 2
            wy = 2 * math.pi * torch.fft.fftfreq(bh, dtype=torch.float64)
            wx = 2 * math.pi * torch.fft.fftfreq(bw, dtype=torch.float64)
            total = spec.sum(dim=(-2, -1))
            fy = (spec * wy[:, None]).sum(dim=(-2, -1)) / total
            fx = (spec * wx[None, :]).sum(dim=(-2, -1)) / total
            step = h / bh  # > 1 when the band is subsampled
            freqs[s, :, 0] = (fy / step).float()
            freqs[s, :, 1] = (fx / step).float()
        return freqs

    def extra_repr(self) -> str:
        return (
            f"image_shape={self.image_shape}, height={self.height}, order={self.order}, "
            f"twidth={self.twidth}, downsample={self.downsample}, "
            f"tight_frame={self.tight_frame}, color={self.color!r}"
        )
