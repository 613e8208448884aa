"""The shared interface of the transforms: coefficients, colour, the polar edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor, nn

from .._checks import check_choice
from ..resample import LUMA

__all__ = ["COLOR_MODES", "Coefficients", "Transform", "rgb_to_yiq", "yiq_to_rgb"]

COLOR_MODES = ("rgb", "luminance")

# NTSC YIQ (FCC 1953 coefficients); the inverse is computed, so the pair is exact.
_RGB_TO_YIQ = torch.tensor(
    [
        list(LUMA),
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

    Raises
    ------
    ValueError
        If ``x`` is not ``B×3×H×W``.

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

    Raises
    ------
    ValueError
        If ``x`` is not ``B×3×H×W``.

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
    """Base class: an invertible image transform with a shared interface.

    Parameters
    ----------
    color
        ``"rgb"`` (decompose every channel) or ``"luminance"`` (decompose only
        the luminance of RGB images).

    Raises
    ------
    ValueError
        If ``color`` is not ``"rgb"`` or ``"luminance"``.
    """

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
        """Decompose images ``B×C×H×W`` in ``[0, 1]`` into :class:`Coefficients`.

        Raises
        ------
        NotImplementedError
            Always, on the base class: every transform implements its own.
        """
        raise NotImplementedError

    def synthesize(self, coeffs: Coefficients) -> Tensor:  # pragma: no cover - abstract
        """Invert :meth:`analyze`.

        Raises
        ------
        NotImplementedError
            Always, on the base class: every transform implements its own.
        """
        raise NotImplementedError

    def forward(self, x: Tensor) -> Coefficients:
        return self.analyze(x)

    def _check_shape(self, x: Tensor) -> None:
        """For transforms built for one ``image_shape``: refuse images of another size."""
        if tuple(x.shape[-2:]) != self.image_shape:
            raise ValueError(
                f"`x` has spatial size {tuple(x.shape[-2:])} but this {type(self).__name__} was "
                f"built for {self.image_shape}; build one with {type(self).__name__}"
                f"({tuple(x.shape[-2:])})."
            )

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
        eta
            Log-amplitude increments ``η``: one real tensor per band,
            broadcastable to that band's shape (or ``None`` for a band left
            alone), or ``None`` for no amplitude change. ``η = 1`` multiplies
            a coefficient's amplitude by ``e``.
        delta
            Phase increments ``δ`` in radians, with the same layout as
            ``eta``: ``δ = π`` flips a coefficient's sign.

        Returns
        -------
        Coefficients
            The edited coefficients (new tensors; ``coeffs`` is not modified).

        Raises
        ------
        TypeError
            For real coordinates (:class:`Pixel`), or if ``coeffs`` is not
            :class:`Coefficients` or ``eta``/``delta`` hold non-tensors.
        ValueError
            If ``eta`` or ``delta`` has the wrong number of bands, a shape that
            does not broadcast, NaN or infinite values, or an ``eta`` so large
            that ``exp(η)`` overflows the coefficients' dtype.

        Examples
        --------
        >>> import torch
        >>> from steerlens.transforms import Fourier
        >>> f = Fourier((8, 8))
        >>> c = f.analyze(torch.rand(1, 1, 8, 8))
        >>> same = f.polar_edit(c, delta=[torch.zeros(c.bands[0].shape)])
        >>> torch.equal(same.bands[0], c.bands[0])
        True
        """
        if not self.polar:
            raise TypeError(
                f"{type(self).__name__}.polar_edit(): {type(self).__name__} coordinates are real: "
                f"they have no phase or amplitude "
                f"to edit. Use domain='fourier' or domain='csp' for polar edits."
            )
        if not isinstance(coeffs, Coefficients):
            raise TypeError(
                f"`coeffs` must be Coefficients from {type(self).__name__}.analyze(), "
                f"got {type(coeffs).__name__}."
            )
        n = len(coeffs.bands)
        for name, p in (("eta", eta), ("delta", delta)):
            if p is None:
                continue
            if isinstance(p, Tensor) or not hasattr(p, "__len__"):
                raise TypeError(
                    f"`{name}` must be a list with one tensor (or None) per band ({n}), "
                    f"got {type(p).__name__}."
                )
            if len(p) != n:
                raise ValueError(f"`{name}` must hold one tensor per band ({n}), got {len(p)}.")
            for i, t in enumerate(p):
                if t is None:
                    continue
                if not isinstance(t, Tensor) or t.is_complex() or not t.is_floating_point():
                    raise TypeError(
                        f"`{name}[{i}]` must be a real floating-point tensor (or None), "
                        f"got {t.dtype if isinstance(t, Tensor) else type(t).__name__}."
                    )
                try:
                    torch.broadcast_shapes(t.shape, coeffs.bands[i].shape)
                except RuntimeError as err:
                    raise ValueError(
                        f"`{name}[{i}]` has shape {tuple(t.shape)}, which does not broadcast "
                        f"to band {i}'s shape {tuple(coeffs.bands[i].shape)}."
                    ) from err
                if not bool(torch.isfinite(t.detach()).all()):
                    raise ValueError(f"`{name}[{i}]` contains NaN or infinite values.")
        bands = []
        for i, c in enumerate(coeffs.bands):
            e = eta[i] if eta is not None else None
            d = delta[i] if delta is not None else None
            if e is None and d is None:
                bands.append(c)
                continue
            e = torch.zeros((), dtype=c.real.dtype, device=c.device) if e is None else e
            d = torch.zeros((), dtype=c.real.dtype, device=c.device) if d is None else d
            gain = torch.exp(e)
            if not bool(torch.isfinite(gain.detach()).all()):
                raise ValueError(
                    f"`eta[{i}]` reaches {float(e.detach().max()):.3g}: exp(η) overflows "
                    f"{c.real.dtype}; keep η below about {_max_log(c.real.dtype):.0f}."
                )
            bands.append(c * torch.polar(gain.to(c.real.dtype), d.to(c.real.dtype)))
        return Coefficients(bands, dict(coeffs.fixed))

    def extra_repr(self) -> str:
        return f"color={self.color!r}"


def _max_log(dtype: torch.dtype) -> float:
    """The largest ``η`` with a finite ``exp(η)`` in ``dtype``."""
    import math

    return math.log(torch.finfo(dtype).max)
