"""How long does one move of the explorer's amplification slider take, before and after the precomputed line?

Prints a table with both designs side by side, all ratios from this one run::

    python benchmarks/widget_latency.py                # all set-ups, 1 thread
    python benchmarks/widget_latency.py --repeats 200  # steadier percentiles

Set-ups: the zoo's MNIST driver (``mnist_cnn``) on one ``1×1×28×28`` test digit,
and torchvision's ``resnet18(weights=None)`` on one ``1×3×224×224`` photograph
(``astronaut``), both with the explorer's default lens (complex steerable
pyramid, phase, all scales, ``normalize="l2"``) and its default, adaptive
``α`` range; the photograph also with ``color="luminance"``. Slider positions
are drawn at random from the slider's grid (what the browser sends).

old move
    the design before the precomputed line: one synthesis
    (``lens.apply``) and one forward pass for the readout, per move;
new move
    ``Explorer.set_alpha(a, exact=False)``, what a drag does now: a lookup of
    the precomputed frame, the readout known or interpolated between known
    ones (no synthesis, no forward pass);
naive
    the move recomputing the gradient first (``lens.gradient`` +
    ``lens.apply`` + ``lens.probabilities``), as a widget without any cache;
felt, old / new
    the same moves through the view, with what it does before the browser
    gets them (PNG encoding of frame and difference, the HTML bar chart): the
    old design encodes every move, the new one caches the PNGs per position;
exact readout
    what the kernel does once the slider rests on a position whose readout
    is not yet known: one forward pass (``ExplorerView.refine``);
gradient, precompute
    one gradient (``lens.gradient``) and the precomputation of a new line
    (``Explorer.precompute``: the adaptive range's probe frames and their
    batched readout, then every grid frame in one batch).

Times are the median and the 95th percentile in milliseconds (precompute
and gradient: the median of ``--setting-repeats``). The kinds of move take
turns in rounds of five consecutive moves each, so that load from other
processes hits them alike; the load average is printed with the table.
Targets: new move ≤ 20 ms median at resnet18 224² and ≥ 5× faster than
recomputing; precompute ≤ 2 gradients.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

import steerlens as sl
from steerlens import widgets
from steerlens.widgets.pictures import _signed_picture, png_bytes
from steerlens.widgets.views import _probability_bars

TARGET_MS = 20.0
MIN_SPEEDUP = 5.0
MAX_PRECOMPUTE = 2.0  # gradients
BLOCK = 5  # consecutive moves of one kind per round


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def setups() -> dict:
    import torchvision

    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None).eval()
    photo = sl.data.natural_image("astronaut", size=224)
    return {
        "mnist_cnn": lambda: widgets.explorer("mnist_cnn", n_images=1, static_frames=0),
        "resnet18": lambda: widgets.explorer(resnet, photo, target=1, static_frames=0),
        "resnet18 luminance": lambda: widgets.explorer(resnet, photo, target=1, static_frames=0,
                                                       color="luminance"),
    }


def _median_ms(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


def measure(view: widgets.ExplorerView, repeats: int, naive_repeats: int, setting_repeats: int,
            seed: int = 0) -> dict:
    ex = view.explorer
    lens, grad = ex.lens(), ex.gradient()
    image = ex.images[ex.settings["image"] : ex.settings["image"] + 1]
    target = ex.settings["target"]
    grid = ex.alpha_grid.tolist()
    step = ex.alpha_step
    generator = torch.Generator().manual_seed(seed)
    alphas = [grid[int(k)] for k in torch.randint(len(grid), (repeats,), generator=generator)]
    line = ex._lines[ex._key()]
    known_before = len(grid) - len(line.missing())

    def old_move(a):
        frame = lens.apply(grad, a)
        ex._readouts(lens, frame)
        return frame

    def new_move(a):
        ex.set_alpha(a, exact=False)

    def naive(a):
        g = lens.gradient(image, target)
        frame = lens.apply(g, a)
        lens.probabilities(frame)

    def old_felt(a):  # what the view did per move before: synthesis, readout, PNGs, bars
        state = ex.set_alpha(a + 0.5 * step, exact=True)  # off the grid: synthesis + forward pass
        picture, _ = _signed_picture(state.difference)
        png_bytes(state.frame, view.display_px), png_bytes(picture, view.display_px)
        _probability_bars(state, view.top_k)

    def new_felt(a):  # a drag through the view (the observer's path): lookup, cached PNGs
        if view.alpha.value == a:
            view._on_alpha({"new": a})
        else:
            view.alpha.value = a

    frame = lens.apply(grad, grid[-1])

    def exact_readout(a):
        ex._readouts(lens, frame)

    kinds = {"old": old_move, "new": new_move, "naive": naive, "old felt": old_felt, "new felt": new_felt,
             "exact readout": exact_readout}
    for f in kinds.values():  # warm up: first calls build caches
        for a in alphas[:2]:
            f(a)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    evaluations = ex.gradient_evaluations
    for start_index in range(0, len(alphas), BLOCK):
        block = alphas[start_index : start_index + BLOCK]
        for name, f in kinds.items():
            if name in ("naive", "old felt") and start_index >= naive_repeats:
                continue
            for a in block:
                start = time.perf_counter()
                f(a)
                times[name].append(1e3 * (time.perf_counter() - start))
    assert ex.gradient_evaluations == evaluations, "a slider move recomputed the gradient"
    out = {name: {"median": statistics.median(t), "p95": _percentile(t, 0.95), "n": len(t)}
           for name, t in times.items()}

    key = ex._key()

    def precompute():
        ex._lines.pop(key, None)
        ex.precompute()

    out["gradient"] = _median_ms(lambda: lens.gradient(image, target), setting_repeats)
    out["precompute"] = _median_ms(precompute, setting_repeats)
    out["positions"] = len(grid)
    out["known"] = known_before
    out["range"] = ex.alpha_range
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=100, help="slider moves per set-up")
    p.add_argument("--naive-repeats", type=int, default=20, help="naive / old felt moves per set-up")
    p.add_argument("--setting-repeats", type=int, default=5, help="gradients / precomputations per set-up")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a shared 2-core machine a second thread waits for "
                   "the busy core at every parallel region)")
    p.add_argument("--only", choices=["mnist_cnn", "resnet18", "resnet18 luminance"], action="append")
    p.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    results = {}
    for name, build in setups().items():
        if args.only and name not in args.only:
            continue
        view = build()
        shape = "×".join(map(str, (1, *view.explorer.images.shape[1:])))
        results[name] = {"shape": shape, **measure(view, args.repeats, min(args.naive_repeats, args.repeats),
                                                   args.setting_repeats)}
        print(f"measured {name}", file=sys.stderr)
    load_after = os.getloadavg()[0]

    print(f"Widget latency: one slider move, ms (median / 95th percentile), {args.threads} thread(s), "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"load average {load_before:.1f} → {load_after:.1f}\n")
    print("| set-up | input | old move (synthesis + readout) | new move (lookup) | naive (recompute) "
          "| new vs naive | new vs old | felt old → new (+ PNG, bars) | exact readout at rest "
          "| gradient | precompute (positions) | precompute ÷ gradient | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for name, r in results.items():
        o, n, nv, of, nf, ex = (r[k] for k in ("old", "new", "naive", "old felt", "new felt", "exact readout"))
        vs_naive = nv["median"] / n["median"]
        vs_old = o["median"] / n["median"]
        ratio = r["precompute"] / r["gradient"]
        met = n["median"] <= TARGET_MS and vs_naive >= MIN_SPEEDUP and ratio <= MAX_PRECOMPUTE
        ok &= met
        print(f"| {name} | {r['shape']} | {o['median']:.1f} / {o['p95']:.1f} | {n['median']:.2f} / {n['p95']:.2f} "
              f"| {nv['median']:.1f} / {nv['p95']:.1f} | {vs_naive:.0f}× | {vs_old:.0f}× "
              f"| {of['median']:.1f} → {nf['median']:.2f} | {ex['median']:.1f} | {r['gradient']:.1f} "
              f"| {r['precompute']:.1f} ({r['positions']}, {r['known']} readouts known) | {ratio:.2f} "
              f"| ≤ {TARGET_MS:.0f} ms, ≥ {MIN_SPEEDUP:.0f}×, ≤ {MAX_PRECOMPUTE:.0f}: "
              f"{'met' if met else 'NOT met'} |")
    if args.json:
        print(json.dumps(results, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
