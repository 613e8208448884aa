"""Synthesis along one gradient line, ``x(α) = clip(S{c⁰·exp(α(v + iu))})``, made cheap.

Private helper of :mod:`steerlens.lens`. After the single forward/backward pass
every frame of a sweep is synthesis only. What never changes along the line is
computed once:

- the residual bands' image (and that of any band frozen by a zero weight);
- the frame at ``α = 0``, which the gradient pass already synthesised.

Small sweeps (a 28×28 digit) are synthesised in one batched call, where Python
overheads would otherwise dominate; large ones (224×224 colour) frame by frame.

Per frame, a CSP band contributes only its real part (see
:meth:`steerlens.transforms.CSP.synthesize_bands`):
``Re(c⁰ e^{α(v+iu)}) = e^{αv} (Re c⁰ cos αu − Im c⁰ sin αu)``. When the ``α``
are equally spaced (a morph), the real parts obey the three-term recurrence of
``Re(c⁰ zᵏ)`` with ``z = e^{h(v+iu)}``,

    a_{k+1} = 2 Re(z) · a_k − |z|² · a_{k−1},

(``cos((k+1)θ) = 2 cos θ cos kθ − cos((k−1)θ)`` when ``v = 0``), so a phase
frame costs one in-place multiply-add per coefficient instead of a sine and a
cosine. Rounding errors grow at most linearly with ``k`` (the roots ``z``,
``z̄`` have equal modulus), far below float32 reconstruction error for the tens
of frames of a sweep.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from ..transforms import CSP, Coefficients, Flow, Transform

__all__: list[str] = []

#: A log-amplitude change ``αv`` is clamped to ``±LOG_AMPLITUDE_LIMIT`` (a factor
#: ``e^30 ≈ 1e13``, far past where every frame has saturated to 0 or 1), so ``exp``
#: never overflows and frames stay finite at any ``α``.
LOG_AMPLITUDE_LIMIT = 30.0
#: A phase change ``αu`` is clamped to ``±PHASE_LIMIT`` radians (beyond float32's
#: resolution of an angle anyway), so ``cos``/``sin`` never see an infinity.
PHASE_LIMIT = 1e6
#: A pixel change ``α·s`` is clamped to ``±PIXEL_LIMIT`` (the image saturates long before).
PIXEL_LIMIT = 1e6


def _gain(v: Tensor, alpha) -> Tensor:
    """``exp(αv)`` with the exponent clamped (finite at any ``α``)."""
    return torch.exp((v * alpha).clamp(-LOG_AMPLITUDE_LIMIT, LOG_AMPLITUDE_LIMIT))


def _turn(u: Tensor, alpha, phase_cap: float | None = None) -> Tensor:
    """``αu``, clamped to ``±phase_cap`` (or to ``±PHASE_LIMIT``)."""
    limit = PHASE_LIMIT if phase_cap is None else min(phase_cap, PHASE_LIMIT)
    return (u * alpha).nan_to_num(posinf=limit, neginf=-limit).clamp(-limit, limit)


def _shift(d: Tensor, alpha) -> Tensor:
    return (d * alpha).nan_to_num(posinf=PIXEL_LIMIT, neginf=-PIXEL_LIMIT).clamp(-PIXEL_LIMIT, PIXEL_LIMIT)


#: Sweeps with at most this many band coefficients (frames × coefficients per
#: frame) are synthesised in one batch; larger ones frame by frame.
BATCH_ELEMENTS = 2**21


def _per_image(alpha: Tensor | float, ndim: int) -> Tensor | float:
    """A scalar stays a scalar; a length-B tensor is shaped to broadcast over ``ndim`` dims."""
    if isinstance(alpha, Tensor) and alpha.ndim == 1:
        return alpha.view(-1, *([1] * (ndim - 1)))
    return alpha


def _is_zero(alpha: Tensor | float) -> bool:
    return isinstance(alpha, float) and alpha == 0.0


class LineSynthesis:
    """Frames along ``c⁰·exp(α(v + iu))`` (polar domains) or ``x₀ + α·s`` (pixels).

    Parameters
    ----------
    transform
        The transform the coefficients belong to.
    coefficients
        Source coefficients ``c⁰``.
    phase, log_amplitude
        Per band, the phase step ``u`` and log-amplitude step ``v`` per unit ``α``
        (``None`` where that part is not edited). A CSP band with neither is frozen.
    additive
        Pixel domain: per band the step per unit ``α``.
    source_image
        The clipped synthesis of ``c⁰`` if already known (the frame at ``α = 0``).
    """

    def __init__(
        self,
        transform: Transform,
        coefficients: Coefficients,
        phase: list[Tensor | None] | None = None,
        log_amplitude: list[Tensor | None] | None = None,
        additive: list[Tensor | None] | None = None,
        source_image: Tensor | None = None,
    ):
        n = len(coefficients.bands)
        self.transform = transform
        self.coefficients = coefficients
        self.fixed = coefficients.fixed
        self.phase = phase if phase is not None else [None] * n
        self.log_amplitude = log_amplitude if log_amplitude is not None else [None] * n
        self.additive = additive if additive is not None else [None] * n
        self.source_image = source_image
        self._csp = isinstance(transform, CSP)
        # flow: the synthesis warps the source kept in the fixed parts
        self._synth_fixed = self.fixed if isinstance(transform, Flow) else {}
        if self._csp:
            self.moving = [u is not None or v is not None for u, v in zip(self.phase, self.log_amplitude, strict=True)]
            bands = coefficients.bands
            # views into the complex coefficients (a copy would cost more than it saves)
            self.real = [b.real if m else None for b, m in zip(bands, self.moving, strict=True)]
            self.imag = [
                b.imag if u is not None else None for b, u in zip(bands, self.phase, strict=True)
            ]
            # everything that does not move: residuals and frozen bands
            constant = transform.synthesize_residuals(self.fixed)
            frozen = [b.real if not m else None for b, m in zip(bands, self.moving, strict=True)]
            if any(f is not None for f in frozen):
                constant = constant + transform.synthesize_bands(frozen)
            self.constant = constant

    # -- one frame -----------------------------------------------------------
    def _rotations(self, alpha: Tensor | float, phase_cap: float | None):
        """Per moving band: ``(cos αu, sin αu, e^{αv})`` (``None`` for a part not edited)."""
        out = []
        for s, moving in enumerate(self.moving):
            if not moving:
                out.append(None)
                continue
            u, v = self.phase[s], self.log_amplitude[s]
            a = _per_image(alpha, self.real[s].ndim)
            cos = sin = gain = None
            if u is not None:
                turn = _turn(u, a, phase_cap)
                cos, sin = torch.cos(turn), torch.sin(turn)
            if v is not None:
                gain = _gain(v, a)
            out.append((cos, sin, gain))
        return out

    def _real_parts(self, alpha: Tensor | float, phase_cap: float | None = None, rotations=None):
        """``Re(c⁰ e^{α(v+iu)})`` per band (``None`` for frozen bands).

        At ``α = 0`` the source's own tensors come back: callers must not modify them.
        """
        if _is_zero(alpha):
            return list(self.real)
        if rotations is None:
            rotations = self._rotations(alpha, phase_cap)
        out: list[Tensor | None] = []
        for s, rotation in enumerate(rotations):
            if rotation is None:
                out.append(None)
                continue
            cos, sin, gain = rotation
            part = self.real[s]
            if cos is not None:
                part = part * cos - self.imag[s] * sin
            if gain is not None:
                part = part * gain
            out.append(part)
        return out

    def _image(self, y: Tensor) -> Tensor:
        return self.transform._merge_color(y, self.fixed).clamp_(0.0, 1.0)

    def _from_real_parts(self, parts: list[Tensor | None], sign: float = 1.0) -> Tensor:
        bands = self.transform.synthesize_bands(parts)
        if sign < 0:
            bands = bands.neg_()  # the parts hold −Re(…): synthesis is linear
        return self._image(bands + self.constant)

    def frame(self, alpha: Tensor | float, phase_cap: float | None = None) -> Tensor:
        """The clipped image at ``α`` (a number, or one value per image)."""
        if _is_zero(alpha) and self.source_image is not None:
            return self.source_image.clone()
        if self._csp:
            return self._from_real_parts(self._real_parts(alpha, phase_cap))
        bands = []
        for s, c in enumerate(self.coefficients.bands):
            a = _per_image(alpha, c.ndim)
            u, v, d = self.phase[s], self.log_amplitude[s], self.additive[s]
            if d is not None:
                bands.append(c + _shift(d, a))
                continue
            if u is None and v is None:
                bands.append(c)
                continue
            turn = _turn(u, a, phase_cap) if u is not None else torch.zeros((), dtype=c.real.dtype, device=c.device)
            gain = _gain(v, a) if v is not None else torch.ones_like(turn)
            bands.append(c * torch.polar(gain, turn))
        return self._image(self.transform.synthesize(Coefficients(bands, self._synth_fixed)))

    # -- a sweep -------------------------------------------------------------
    def frames(self, alphas: Tensor) -> Tensor:
        """``B×K×C×H×W`` clipped frames, one per ``α`` in the 1-D tensor ``alphas``.

        Small sweeps are synthesised as one batch (per-call overheads dominate
        there); large ones frame by frame, which on a CPU is faster than one
        huge batch and keeps the memory of a single frame.
        """
        values = [float(a) for a in alphas]
        size = sum(b.numel() for b in self.coefficients.bands)
        size += sum(v.numel() for v in self._synth_fixed.values())  # flow: the source
        if len(values) * size <= BATCH_ELEMENTS:
            return self._frames_batched(values)
        if self._csp and len(values) >= 3 and _equally_spaced(values) and self._unclamped(values):
            images = (
                self.source_image.clone()
                if _is_zero(a) and self.source_image is not None
                else self._from_real_parts(parts, sign)
                for a, (parts, sign) in zip(values, self._recurrence(values), strict=True)
            )
        else:
            images = (self.frame(a) for a in values)
        out = None
        for k, image in enumerate(images):
            if out is None:
                out = image.new_empty(image.shape[0], len(values), *image.shape[1:])
            out[:, k] = image
        return out

    def _unclamped(self, values: list[float]) -> bool:
        """Whether no frame of the sweep reaches a clamp (the recurrence assumes none does)."""
        top = max(abs(a) for a in values)
        for parts, limit in ((self.phase, PHASE_LIMIT), (self.log_amplitude, LOG_AMPLITUDE_LIMIT)):
            for p in parts:
                if p is not None and float(p.abs().max()) * top >= limit:
                    return False
        return True

    def _frames_batched(self, values: list[float]) -> Tensor:
        """Every frame in one synthesis call: the ``K`` frames become ``K·B`` images."""
        k = len(values)
        ref = self.coefficients.bands[0]
        alpha = torch.tensor(values, dtype=ref.real.dtype, device=ref.device)

        def per_frame(t: Tensor) -> Tensor:
            return alpha.view(k, *([1] * t.ndim))

        if self._csp:
            parts: list[Tensor | None] = []
            for s, moving in enumerate(self.moving):
                if not moving:
                    parts.append(None)
                    continue
                u, v, part = self.phase[s], self.log_amplitude[s], self.real[s]
                if u is not None:
                    turn = _turn(u, per_frame(u))
                    part = part * torch.cos(turn) - self.imag[s] * torch.sin(turn)
                if v is not None:
                    part = part * _gain(v, per_frame(v))
                parts.append(part.flatten(0, 1))
            y = self.transform.synthesize_bands(parts)
            y = (y.view(k, -1, *y.shape[1:]) + self.constant).flatten(0, 1)
        else:
            bands = []
            for s, c in enumerate(self.coefficients.bands):
                u, v, d = self.phase[s], self.log_amplitude[s], self.additive[s]
                if d is not None:
                    band = c + _shift(d, per_frame(d))
                elif u is None and v is None:
                    band = c.expand(k, *c.shape)
                else:
                    gain = _gain(v, per_frame(v)) if v is not None else None
                    turn = _turn(u, per_frame(u)) if u is not None else torch.zeros_like(gain)
                    band = c * torch.polar(torch.ones_like(turn) if gain is None else gain, turn)
                bands.append(band.flatten(0, 1))
            synth_fixed = {key: v.repeat(k, 1, 1, 1) for key, v in self._synth_fixed.items()}
            y = self.transform.synthesize(Coefficients(bands, synth_fixed))
        fixed = {"iq": self.fixed["iq"].repeat(k, 1, 1, 1)} if "iq" in self.fixed else {}
        images = self.transform._merge_color(y, fixed).clamp_(0.0, 1.0)
        return images.view(k, -1, *images.shape[1:]).transpose(0, 1).contiguous()

    def _recurrence(self, alphas: list[float]) -> Iterator[tuple[list[Tensor | None], float]]:
        """Real parts for equally spaced ``alphas`` by the three-term recurrence.

        Yields ``(parts, sign)``: the parts hold ``sign · Re(c⁰ e^{α(v+iu)})``. Letting
        the sign alternate turns each update into one in-place multiply-add,
        ``t_{k+1} = t_{k−1} − σ_{k−1}σ_k·2Re(z)·t_k`` (``= −σ_{k−1} a_{k+1}``; with
        ``|z|² t_{k−1}`` when amplitudes change too). Each yielded list is only
        valid until the next one is requested.
        """
        h = alphas[1] - alphas[0]
        step = self._rotations(h, None)
        prev = self._real_parts(alphas[0])
        yield prev, 1.0
        # a morph starts at α = 0: then the second frame's rotation is the step's own
        cur = self._real_parts(alphas[1], rotations=step if _is_zero(alphas[0]) else None)
        yield cur, 1.0
        # frames are overwritten in place below: never overwrite the source's own tensors
        prev, cur = (
            [p.clone() if p is not None and p is self.real[s] else p for s, p in enumerate(parts)]
            for parts in (prev, cur)
        )
        twice_re_z: list[Tensor | None] = []
        abs_z2: list[Tensor | None] = []
        for rotation in step:
            if rotation is None:
                twice_re_z.append(None)
                abs_z2.append(None)
                continue
            cos, _, gain = rotation
            if gain is None:
                twice_re_z.append(2 * cos)
                abs_z2.append(None)
            else:
                twice_re_z.append(2 * gain if cos is None else 2 * cos * gain)
                abs_z2.append(gain * gain)
        sign_prev, sign_cur = 1.0, 1.0
        for _ in range(2, len(alphas)):
            for s, c in enumerate(cur):
                if c is None:
                    continue
                nxt = prev[s]  # written in the memory of the oldest frame
                if abs_z2[s] is not None:
                    nxt.mul_(abs_z2[s])
                nxt.addcmul_(twice_re_z[s], c, value=-sign_prev * sign_cur)
            prev, cur = cur, prev
            sign_prev, sign_cur = sign_cur, -sign_prev
            yield cur, sign_cur


def _equally_spaced(alphas: list[float]) -> bool:
    step = alphas[1] - alphas[0]
    scale = max(abs(a) for a in alphas)
    return step != 0 and all(
        abs((b - a) - step) <= 1e-6 * scale for a, b in zip(alphas[:-1], alphas[1:], strict=True)
    )


def first_order_change(
    transform: Transform,
    coeffs: Coefficients,
    phase: list[Tensor | None] | None,
    log_amplitude: list[Tensor | None] | None,
    additive: list[Tensor | None] | None,
) -> Tensor:
    """``dx/dα`` at ``α = 0``: synthesis is linear, so this is exact.

    A polar step ``(v, u)`` changes a coefficient by ``c⁰·(v + iu)·dα``; residuals
    and chroma do not move. The flow synthesis is not linear: its exact
    derivative is the warp's Jacobian applied to the step (:meth:`Flow.differential`).
    """
    if isinstance(transform, Flow):
        return transform.differential(coeffs, additive[0])
    bands: list[Tensor | None] = []
    for s, c in enumerate(coeffs.bands):
        u = phase[s] if phase is not None else None
        v = log_amplitude[s] if log_amplitude is not None else None
        d = additive[s] if additive is not None else None
        if d is not None:
            bands.append(d)
        elif u is None and v is None:
            bands.append(None if isinstance(transform, CSP) else torch.zeros_like(c))
        else:
            rate = torch.complex(v if v is not None else torch.zeros_like(u),
                                 u if u is not None else torch.zeros_like(v))
            bands.append(c * rate)
    if isinstance(transform, CSP):
        if all(b is None for b in bands):
            y = torch.zeros_like(transform.synthesize_residuals(coeffs.fixed))
        else:
            y = transform.synthesize_bands([None if b is None else b.real for b in bands])
    else:
        y = transform.synthesize(Coefficients(bands, {}))
    still = {"iq": torch.zeros_like(coeffs.fixed["iq"])} if "iq" in coeffs.fixed else {}
    return transform._merge_color(y, still)
