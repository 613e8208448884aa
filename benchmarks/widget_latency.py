"""How long does one move of the explorer's amplification slider take?

Prints the table of ``benchmarks/README.md`` ("Widget latency")::

    python benchmarks/widget_latency.py               # all set-ups, 1 thread
    python benchmarks/widget_latency.py --repeats 200 # steadier percentiles

Two set-ups: the zoo's MNIST driver (``mnist_cnn``) on one ``1×1×28×28`` test
digit, and torchvision's ``resnet18(weights=None)`` on one ``1×3×224×224``
photograph (``astronaut``), both with the default lens of the explorer
(complex steerable pyramid, phase, all scales, ``normalize="l2"``); the
photograph also with ``color="luminance"``. For every set-up it measures,
over slider positions drawn at random from the slider's range:

update
    ``Explorer.set_alpha``: what a slider move costs with the cached
    gradient: one synthesis plus one forward pass for the probability readout
    (no drawing);
naive
    the same move recomputing the gradient first (``lens.gradient`` +
    ``lens.apply`` + ``lens.probabilities``), as a widget without the cache would;
+ PNG
    ``ExplorerView.set_alpha``: the update plus what the view does before the
    browser gets it (PNG encoding of the frame and the difference image, the
    HTML bar chart): what the reader feels, less the websocket round trip;
one forward pass
    ``lens.probabilities`` on one frame: the part of an update that no cache
    can remove (the readout), and a third or less of a gradient;
matplotlib
    drawing the same three pictures and the probability bar chart with
    matplotlib and saving them as one PNG (the cost of an ``Output`` widget
    redrawn with matplotlib instead of ``ipywidgets.Image``).

Times are the median and the 95th percentile in milliseconds. The kinds of
measurement take turns in rounds of five consecutive moves each (a drag is a
run of consecutive moves), so that load from other processes hits them alike;
the load average is printed with the table.
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

TARGET_MS = {"mnist_cnn": 30.0, "resnet18": 150.0}
MIN_SPEEDUP = 5.0
BLOCK = 5  # consecutive moves of one kind per round


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _matplotlib_redraw(state: widgets.ExplorerState) -> bytes:
    """The explorer's pictures and bar chart drawn with matplotlib and saved as PNG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(10, 2.6))
    for ax, image, title in zip(axes[:2], (state.source, state.frame), ("source", "frame"), strict=True):
        ax.imshow(sl.plot.to_image(image), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title)
        ax.axis("off")
    d = state.difference.mean(0)
    m = float(d.abs().max()) or 1.0
    axes[2].imshow(d.numpy(), cmap="RdBu_r", vmin=-m, vmax=m)
    axes[2].set_title("difference")
    axes[2].axis("off")
    probs = state.probs
    top = probs.argsort(descending=True)[:10].tolist()
    axes[3].barh(range(len(top)), probs[top].numpy())
    axes[3].set_yticks(range(len(top)), [state.class_names[k] for k in top])
    axes[3].set_xlim(0, 1)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


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


def measure(view: widgets.ExplorerView, repeats: int, naive_repeats: int, seed: int = 0) -> dict:
    ex = view.explorer
    lens, grad = ex.lens(), ex.gradient()
    image = ex.images[ex.settings["image"] : ex.settings["image"] + 1]
    target = ex.settings["target"]
    lo, hi = view.alpha.min, view.alpha.max
    generator = torch.Generator().manual_seed(seed)
    alphas = (lo + (hi - lo) * torch.rand(repeats, generator=generator, dtype=torch.float64)).tolist()

    def update(a):
        ex.set_alpha(a)

    def naive(a):
        g = lens.gradient(image, target)
        frame = lens.apply(g, a)
        lens.probabilities(frame)

    frame = lens.apply(grad, hi)

    def forward(a):
        lens.probabilities(frame)

    def with_png(a):
        view.set_alpha(a)

    def with_matplotlib(a):
        _matplotlib_redraw(ex.set_alpha(a))

    kinds = {"update": update, "naive": naive, "forward": forward, "+ PNG": with_png,
             "matplotlib": with_matplotlib}
    for f in kinds.values():  # warm up: first calls build caches, load fonts
        for a in alphas[:2]:
            f(a)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    evaluations = ex.gradient_evaluations
    # Rounds of BLOCK consecutive moves per kind (as when a reader drags the slider), the kinds
    # taking turns, so that load from other processes hits every kind alike.
    for start_index in range(0, len(alphas), BLOCK):
        block = alphas[start_index : start_index + BLOCK]
        for name, f in kinds.items():
            if name in ("naive", "matplotlib") and start_index >= naive_repeats:
                continue
            for a in block:
                start = time.perf_counter()
                f(a)
                times[name].append(1e3 * (time.perf_counter() - start))
    assert ex.gradient_evaluations == evaluations, "a slider move recomputed the gradient"
    return {
        name: {"median": statistics.median(t), "p95": _percentile(t, 0.95), "n": len(t)}
        for name, t in times.items()
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=100, help="slider moves per set-up")
    p.add_argument("--naive-repeats", type=int, default=20, help="naive / matplotlib moves per set-up")
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
        results[name] = {"shape": shape, **measure(view, args.repeats, min(args.naive_repeats, args.repeats))}
        print(f"measured {name}", file=sys.stderr)
    load_after = os.getloadavg()[0]

    print(f"Widget latency: one slider move, ms (median / 95th percentile), {args.threads} threads, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"load average {load_before:.1f} → {load_after:.1f}\n")
    print("| set-up | input | update (synthesis + readout) | naive (recompute gradient) | speed-up "
          "| one forward pass | update + PNG (felt) | matplotlib redraw | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    ok = True
    for name, r in results.items():
        u, n, fwd, png, mpl = r["update"], r["naive"], r["forward"], r["+ PNG"], r["matplotlib"]
        speedup = n["median"] / u["median"]
        limit = TARGET_MS["resnet18" if name.startswith("resnet18") else name]
        met = u["median"] <= limit and speedup >= MIN_SPEEDUP
        ok &= met
        print(f"| {name} | {r['shape']} | {u['median']:.1f} / {u['p95']:.1f} | {n['median']:.1f} / "
              f"{n['p95']:.1f} | {speedup:.1f}× | {fwd['median']:.1f} | {png['median']:.1f} / {png['p95']:.1f} | "
              f"{mpl['median']:.0f} / {mpl['p95']:.0f} | ≤ {limit:.0f} ms, ≥ {MIN_SPEEDUP:.0f}×: "
              f"{'met' if met else 'NOT met'} |")
    if args.json:
        print(json.dumps(results, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
