"""The complex steerable pyramid's frequency masks, derived analytically in float64.

plenoptic's :class:`~plenoptic.process.SteerablePyramidFreq` tabulates its
radial and angular masks (a raised cosine on 256 points, ``cos^n`` on 1024)
and interpolates them linearly, so its masks are exact only to about
``1e-6``: the pyramid then reconstructs to ``~6e-6`` whatever the dtype. Here
the same masks (same grid, same conventions, same subsampling) are evaluated
from their closed forms,

- radial: ``hi(r) = cos(π/2 · clip(log2 r / twidth, −1, 0))``,
  ``lo(r) = sin(−π/2 · clip(log2 r / twidth, −1, 0))``, so ``hi² + lo² = 1``
  exactly; scale ``s`` uses ``log2 r + s + 1``;
- angular (orientation ``b`` of ``K = order + 1``), ``θ_b = θ − πb/K``:
  analysis ``2√c · cos^n θ_b · [|θ_b| < π/2]``, synthesis ``√c · cos^n θ_b``
  with ``c = 2^{2n} (n!)² / (K (2n)!)``,

so the pyramid reconstructs to float round-off: ``~1e-7`` in float32,
``~1e-15`` in float64.

Everything is computed once per configuration on the CPU in float64 and kept
in a bounded LRU cache (:func:`pyramid_masks`); each :class:`~steerlens.CSP`
copies what it needs into its own buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

__all__: list[str] = []

#: configurations whose masks are kept (a 512×512 pyramid's masks take ~100 MB)
CACHE_SIZE = 8


@dataclass(frozen=True)
class BandResponse:
    """One scale's synthesis filters, cropped to the frequencies where they are non-zero.

    ``response`` is a real ``K × (rows_pos + rows_neg) × cols`` tensor (``rfft2``
    layout: rows ``0 … rows_pos−1`` then ``−rows_neg … −1``) on the band's own
    ``size`` grid; the band's complex constant ``iⁿ`` is applied separately.
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
class PyramidMasks:
    """Analysis masks (centred, ``fftshift`` layout) and synthesis responses (``rfft2`` layout)."""

    lo0: Tensor  # H×W
    hi0: Tensor  # H×W
    band: tuple[Tensor, ...]  # per scale K×h×w: angular × high-pass mask
    lo: tuple[Tensor, ...]  # per scale h'×w': low-pass mask after (optional) subsampling
    crop: tuple[tuple[int, int, int, int] | None, ...]  # per scale: subsampling window
    synth_band: tuple[BandResponse, ...]
    synth_highpass: Tensor  # H × (W//2+1)
    synth_lowpass: Tensor  # h_L × (w_L//2+1)
    forward_const: complex  # (−i)ⁿ (÷√2 for a tight frame)
    recon_const: complex  # iⁿ (×√2 for a tight frame)
    norm: str


def _radial(log_rad: np.ndarray, twidth: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hi, lo)`` of the raised-cosine transition, with exact zeros and ones outside it."""
    x = np.clip(np.pi / 2 * log_rad / twidth, -np.pi / 2, 0.0)
    hi = np.where(x <= -np.pi / 2, 0.0, np.where(x >= 0, 1.0, np.cos(x)))
    lo = np.where(x <= -np.pi / 2, 1.0, np.where(x >= 0, 0.0, -np.sin(x)))
    return hi, lo


def _angular(angle: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """``K×h×w`` analysis and synthesis angular masks."""
    k = order + 1
    const = (2 ** (2 * order)) * math.factorial(order) ** 2 / (k * math.factorial(2 * order))
    forward, recon = [], []
    for b in range(k):
        theta = angle - np.pi * b / k
        cosn = np.cos(theta) ** order
        wrapped = (theta + np.pi) % (2 * np.pi) - np.pi
        forward.append(2 * math.sqrt(const) * cosn * (np.abs(wrapped) < np.pi / 2))
        recon.append(math.sqrt(const) * cosn)
    return np.stack(forward), np.stack(recon)


def _rfft_layout(mask: np.ndarray) -> np.ndarray:
    """A centred (``fftshift``-ed) full spectrum mask → ``rfft2`` layout."""
    mask = np.fft.ifftshift(mask, axes=(-2, -1))
    return np.ascontiguousarray(mask[..., : mask.shape[-1] // 2 + 1])


def _crop_to_support(response: np.ndarray, size: tuple[int, int]) -> BandResponse:
    """Keep the rows and columns of an ``rfft2``-layout response that hold non-zeros."""
    h = size[0]
    support = (np.abs(response) > 0).any(axis=0)
    rows = support.any(axis=1)
    cols = support.any(axis=0)
    half = (h + 1) // 2  # rows 0 … half−1 are the non-negative frequencies
    positive = np.nonzero(rows[:half])[0]
    negative = np.nonzero(rows[half:])[0]
    rows_pos = int(positive.max()) + 1 if positive.size else 0
    rows_neg = h - half - int(negative.min()) if negative.size else 0
    n_cols = int(np.nonzero(cols)[0].max()) + 1 if cols.any() else 1
    if (rows_pos + rows_neg) * n_cols > 0.6 * h * response.shape[-1]:  # too little to gain
        return BandResponse(torch.from_numpy(response.copy()), size, half, h - half, response.shape[-1])
    kept = np.concatenate([response[:, :rows_pos, :n_cols], response[:, h - rows_neg :, :n_cols]], axis=1)
    return BandResponse(torch.from_numpy(np.ascontiguousarray(kept)), size, rows_pos, rows_neg, n_cols)


@lru_cache(maxsize=CACHE_SIZE)
def pyramid_masks(
    image_shape: tuple[int, int],
    height: int,
    order: int,
    twidth: int,
    downsample: bool,
    tight_frame: bool,
) -> PyramidMasks:
    """Every mask of one pyramid configuration, float64 on the CPU (cached; do not modify)."""
    dims = np.array(image_shape)
    ctr = np.ceil((dims + 0.5) / 2).astype(int)
    xramp, yramp = np.meshgrid(
        np.linspace(-1, 1, dims[1] + 1)[:-1], np.linspace(-1, 1, dims[0] + 1)[:-1], indexing="xy"
    )
    angle = np.arctan2(yramp, xramp)
    rad = np.sqrt(xramp**2 + yramp**2)
    rad[ctr[0] - 1, ctr[1] - 1] = rad[ctr[0] - 1, ctr[1] - 2]  # no log(0) at DC (plenoptic's choice)
    log_rad = np.log2(rad)
    hi0, lo0 = _radial(log_rad, twidth)

    band_masks, lo_masks, crops, synth = [], [], [], []
    chain = lo0.copy()  # what a level-s spectrum is multiplied by on its way to the output
    for s in range(height):
        hi, _ = _radial(log_rad + s + 1, twidth)
        forward, recon = _angular(angle, order)
        band_masks.append(forward * hi)
        synth.append(_crop_to_support(_rfft_layout(chain * hi * recon), tuple(hi.shape)))
        if downsample:
            size = np.array(log_rad.shape)
            centre = np.ceil((size + 0.5) / 2).astype(int)
            lodims = np.ceil((size - 0.5) / 2).astype(int)
            start = centre - np.ceil((lodims + 0.5) / 2).astype(int)
            end = start + lodims
            crops.append((int(start[0]), int(end[0]), int(start[1]), int(end[1])))
            log_rad = log_rad[start[0] : end[0], start[1] : end[1]]
            angle = angle[start[0] : end[0], start[1] : end[1]]
            chain = chain[start[0] : end[0], start[1] : end[1]]
        else:
            crops.append(None)
        _, lo = _radial(log_rad + s + 1, twidth)
        lo_masks.append(lo)
        chain = chain * lo
        if not tight_frame and not downsample:
            chain = chain / 2  # the analysis doubled the low-pass to keep band energies equal

    def t(a: np.ndarray) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))

    return PyramidMasks(
        lo0=t(lo0),
        hi0=t(hi0),
        band=tuple(t(m) for m in band_masks),
        lo=tuple(t(m) for m in lo_masks),
        crop=tuple(crops),
        synth_band=tuple(synth),
        synth_highpass=t(_rfft_layout(hi0)),
        synth_lowpass=t(_rfft_layout(chain)),
        forward_const=complex(0, -1) ** order / (math.sqrt(2) if tight_frame else 1.0),
        recon_const=complex(0, 1) ** order * (math.sqrt(2) if tight_frame else 1.0),
        norm="ortho" if tight_frame else "backward",
    )
