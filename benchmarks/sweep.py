"""How much does a 12-frame CSP-phase sweep cost, compared with one gradient?

Prints a table measured in one run (the numbers in ``benchmarks/README.md``)::

    python benchmarks/sweep.py                # both models, 2 threads
    python benchmarks/sweep.py --repeats 30   # more repeats: steadier minima on a busy machine

For a small CNN on ``1×1×28×28`` and torchvision's ``resnet18(weights=None)`` on
``1×3×224×224`` (with the default pyramid, and once more with ``downsample=True``),
it measures

(a) ``lens.extrapolate`` with 12 amplifications ÷ ``lens.gradient`` (one
    forward/backward pass): the whole sweep in units of one gradient;
(b) the speed-up over the naive way, which for every frame builds the
    pyramid, analyses the image, takes the gradient and reconstructs with
    plenoptic's ``recon_pyr``; a second column keeps the cached pyramid and
    only recomputes the gradient per frame (``lens.gradient`` + ``lens.apply``);

and the peak memory of the 224×224 sweep: the resident set's high-water mark
(``VmHWM``, which sees torch's allocations, unlike ``tracemalloc``) in a fresh
process, stage by stage.

Times are the minimum over ``--repeats`` runs (the naive sweeps, which take
seconds, over an eighth as many), taken in an interleaved order so that load from
other processes hits every column alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import warnings

import torch
from torch import nn

import steerlens as sl
from steerlens import transforms

N_FRAMES = 12
AMPLIFICATION = 0.5  # first-order L2 units (the lens's default normalize="l2")


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    ).eval()


def resnet18() -> nn.Module:
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).eval()


SETUPS = {  # name: (model, input shape, pyramid subsampled?, repeats multiplier)
    "small CNN": (small_cnn, (1, 1, 28, 28), False, 10),  # millisecond timings need more runs
    "resnet18": (resnet18, (1, 3, 224, 224), False, 1),
    "resnet18, downsample=True": (resnet18, (1, 3, 224, 224), True, 1),
}
TARGET_SETUP = "resnet18"  # the default pyramid at 224×224: what targets (a) and (b) are about


def naive_sweep(
    model: nn.Module, x: torch.Tensor, target: int, alphas: torch.Tensor, downsample: bool = False
) -> torch.Tensor:
    """Everything per frame: build the pyramid, analyse, take the gradient, recon_pyr."""
    from plenoptic.process import SteerablePyramidFreq

    csp = sl.CSP(tuple(x.shape[-2:]))
    frames = []
    for a in alphas.tolist():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyr = SteerablePyramidFreq(tuple(x.shape[-2:]), height=csp.height, order=3,
                                       is_complex=True, downsample=downsample)
        coeffs = pyr(x)
        delta = [torch.zeros(coeffs[s].shape, requires_grad=True) for s in range(csp.height)]
        edited = dict(coeffs)
        for s in range(csp.height):
            edited[s] = coeffs[s] * torch.polar(torch.ones_like(delta[s]), delta[s])
        loss = nn.functional.cross_entropy(model(pyr.recon_pyr(edited)), torch.tensor([target]))
        grads = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            # the lens's unit (normalize="l2"): α = 1 changes the image by L2 norm 1, to first order
            change = {k: torch.zeros_like(v) for k, v in coeffs.items()}
            for s in range(csp.height):
                change[s] = coeffs[s] * (-1j * grads[s])
            unit = 1 / pyr.recon_pyr(change).norm()
            for s in range(csp.height):
                edited[s] = coeffs[s] * torch.polar(torch.ones_like(grads[s]), -a * unit * grads[s])
            frames.append(pyr.recon_pyr(edited).clamp(0, 1))
    return torch.stack(frames, dim=1)


def naive_cached_sweep(lens, x, target, alphas):
    """Recompute the gradient for every frame, with the cached pyramid and fast synthesis."""
    return torch.stack([lens.apply(lens.gradient(x, target), float(a)) for a in alphas], dim=1)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(name: str, repeats: int) -> dict:
    make_model, shape, downsample, more = SETUPS[name]
    repeats *= more
    model = make_model()
    torch.manual_seed(1)
    x = torch.rand(*shape)
    target = 3
    lens = sl.SteerableLens(model, domain="csp", component="phase", downsample=downsample)
    alphas = AMPLIFICATION * torch.arange(N_FRAMES, dtype=torch.float64)
    grad = lens.gradient(x, target)  # warm-up: builds and caches the pyramid and filters
    csp = lens.transform(shape[-2:])
    coeffs = csp.analyze(x)

    with torch.no_grad():
        probe = {
            "analysis": lambda: csp.analyze(x),
            "model forward": lambda: model(x),
            "one frame (apply)": lambda: lens.apply(grad, 1.0),
            "CSP.synthesize": lambda: csp.synthesize(coeffs),
            "plenoptic recon_pyr": lambda: csp.synthesize_plenoptic(coeffs),
        }

    def model_fwd_bwd():
        xx = x.clone().requires_grad_(True)
        model(xx)[0, target].backward()

    columns = {
        "gradient": lambda: lens.gradient(x, target),
        "sweep": lambda: lens.extrapolate(x, target, alphas),
        "frames only": lambda: lens.frames_from_gradient(grad, alphas),
        "naive cached": lambda: naive_cached_sweep(lens, x, target, alphas),
        "model fwd+bwd": model_fwd_bwd,
        **probe,
    }
    best = {k: float("inf") for k in columns}
    times: dict[str, list[float]] = {k: [] for k in columns}
    naive = float("inf")
    naive_repeats = max(1, repeats // 8)
    for r in range(repeats):
        for key, fn in columns.items():
            if key == "naive cached" and r >= naive_repeats:
                continue
            with torch.no_grad() if key in probe else torch.enable_grad():
                times[key].append(timed(fn))
                best[key] = min(best[key], times[key][-1])
        if r < naive_repeats:
            naive = min(naive, timed(lambda: naive_sweep(model, x, target, alphas, downsample)))
    # the frames agree with the naive way (same unit step, same clipping)?
    ours = lens.extrapolate(x, target, alphas)
    theirs = naive_sweep(model, x, target, alphas, downsample)
    return {
        "name": name,
        "shape": "×".join(map(str, shape)),
        "height": csp.height,
        **{k: 1e3 * v for k, v in best.items()},
        "naive": 1e3 * naive,
        # the same ratio from back-to-back pairs (robust to load that comes and goes)
        "paired ratio": statistics.median(
            sw / gr for sw, gr in zip(times["sweep"], times["gradient"], strict=True)
        ),
        "max |ours − naive|": float((ours - theirs).abs().max()),
    }


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_probe() -> None:
    """Run in a fresh process: the resident set's peak during each stage (Linux).

    ``VmHWM`` (the high-water mark of the resident set) is reset before every
    stage by writing 5 to ``/proc/self/clear_refs``; unlike ``ru_maxrss`` it is
    not inherited from the parent process.
    """
    stages: dict[str, tuple[float, float]] = {}

    def reset() -> None:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    def record(name: str) -> None:
        stages[name] = (_status_mib("VmHWM"), _status_mib("VmRSS"))

    record("python, torch, steerlens imported")
    reset()
    model = resnet18()
    record("torchvision, resnet18")
    torch.manual_seed(1)
    x = torch.rand(1, 3, 224, 224)
    lens = sl.SteerableLens(model, domain="csp", component="phase")
    alphas = AMPLIFICATION * torch.arange(N_FRAMES, dtype=torch.float64)
    reset()
    lens.transform((224, 224))  # builds the pyramid: its masks are buffers
    record("pyramid and synthesis filters built")
    reset()
    grad = lens.gradient(x, 3)
    record("one gradient (lens.gradient)")
    reset()
    frames = lens.frames_from_gradient(grad, alphas)
    record("its 12 frames (lens.frames_from_gradient)")
    del grad, frames
    reset()
    frames = lens.extrapolate(x, 3, alphas)
    record("a whole sweep (lens.extrapolate)")
    print(json.dumps({"stages": stages, "frames": frames.numel() * frames.element_size()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_probe:
        memory_probe()
        return

    rows = [measure(name, args.repeats) for name in SETUPS]
    probe = subprocess.run(
        [sys.executable, __file__, "--memory-probe", "--threads", str(args.threads)],
        capture_output=True, text=True, check=True,
    )
    mem = json.loads(probe.stdout.strip().splitlines()[-1])

    print(f"# CSP-phase sweep of {N_FRAMES} frames — torch {torch.__version__}, "
          f"{args.threads} threads, {platform.processor() or platform.machine()}, "
          f"min of {args.repeats} runs ({max(1, args.repeats // 8)} for the naive columns; 10× as many "
          f"for the small CNN)\n")
    print("| model | input | scales | gradient (ms) | 12-frame sweep (ms) | (a) sweep ÷ gradient "
          "| (a), median of pairs | naive (ms) | (b) speed-up | naive, cached pyramid (ms) | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['shape']} | {r['height']} | {r['gradient']:.1f} | {r['sweep']:.1f} "
              f"| **{r['sweep'] / r['gradient']:.2f}** | {r['paired ratio']:.2f} | {r['naive']:.0f} "
              f"| **{r['naive'] / r['sweep']:.1f}×** | {r['naive cached']:.0f} "
              f"| {r['naive cached'] / r['sweep']:.1f}× |")
    print("\nWhere the time goes (ms, one call each):\n")
    keys = ["analysis", "model forward", "model fwd+bwd", "one frame (apply)", "frames only",
            "CSP.synthesize", "plenoptic recon_pyr"]
    print("| model | " + " | ".join(keys) + " | max abs(ours − naive) |")
    print("|---" * (len(keys) + 2) + "|")
    for r in rows:
        print(f"| {r['name']} | " + " | ".join(f"{r[k]:.1f}" for k in keys) + f" | {r['max |ours − naive|']:.1e} |")
    stages = mem["stages"]
    print("\nResident memory of a fresh process running the 224×224 sweep (Linux `VmHWM`, reset "
          "before each stage; MiB):\n")
    print("| stage | peak during the stage | resident after |\n|---|---|---|")
    for name, (high, after) in stages.items():
        print(f"| {name} | {high:.0f} | {after:.0f} |")
    peak = max(high for high, _ in stages.values())
    big = next(r for r in rows if r["name"] == TARGET_SETUP)
    ratio, speedup = big["sweep"] / big["gradient"], big["naive"] / big["sweep"]
    print(f"\nTargets: (a) ≤ 1.5 at 224×224: {ratio:.2f} {'met' if ratio <= 1.5 else 'MISSED'}; "
          f"(b) ≥ 8×: {speedup:.1f}× {'met' if speedup >= 8 else 'MISSED'}; "
          f"peak < 2 GB: {peak / 1024:.2f} GiB for the whole process "
          f"{'met' if peak < 2 * 1024 else 'MISSED'}.")
    transforms.clear_pyramid_cache()


if __name__ == "__main__":
    main()
