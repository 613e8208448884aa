"""Matched-budget comparison of edit methods on MNIST: the table of the book's chapter 9.

For N MNIST test sources (balanced over digits, the same selection on every machine), each
with a target (default: the driver's second most likely class), edit with pixel / Fourier
phase / CSP phase / joint CSP coordinates to pixel L2 = 1 and 2 (persistent regime by
default), and tabulate attained counts, median driver probability, the judges' target
counts (each and both), median E (warp) and E (warp + gain), with 95 % paired percentile
bootstrap intervals over sources::

    python scripts/compare_edits.py --sources 300 --out benchmarks/results/

writes ``<out>/<stem>.csv``, ``<stem>.md`` and ``<stem>.json`` (the settings, the wall time,
and the per-source measures), with ``<stem>`` = ``compare_edits_<sources>`` plus any
``--tag``. Every option that plausibly changes the answer is a flag: the regime, the
objective, the step size, a phase cap, the driver, the target rule, the pyramid height, the
warp grid and the fit's iterations — so a sensitivity check is one more command line.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

import steerlens as sl
from steerlens import evaluate
from steerlens.models import pretrained


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sources", type=int, default=300, help="number of MNIST test sources (default 300)"
    )
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="output folder")
    p.add_argument("--tag", default="", help="suffix of the output file names")
    p.add_argument("--budgets", type=float, nargs="+", default=[1.0, 2.0], help="pixel L2 budgets")
    p.add_argument(
        "--methods",
        nargs="+",
        default=list(evaluate.EDIT_METHODS),
        choices=list(evaluate.EDIT_METHODS),
    )
    p.add_argument("--regime", default="persistent", choices=["persistent", "live", "fixed"])
    p.add_argument("--objective", default="nll", choices=["nll", "logit", "margin"])
    p.add_argument(
        "--height", default="auto", help="pyramid height for the CSP methods ('auto': 2 at 28×28)"
    )
    p.add_argument(
        "--step-size",
        type=float,
        default=None,
        help="iterative regimes: α per step in first-order L2 units (default budget/10)",
    )
    p.add_argument(
        "--phase-cap", type=float, default=None, help="cap on each step's phase change (rad)"
    )
    p.add_argument("--max-steps", type=int, default=100)
    p.add_argument("--driver", default="mnist_cnn", choices=["mnist_cnn", "mnist_cnn_robust"])
    p.add_argument("--targets", default="second_choice", choices=["second_choice", "next_class"])
    p.add_argument("--grid", type=int, default=8, help="control points per side of the smooth warp")
    p.add_argument(
        "--warp-iterations",
        type=int,
        default=200,
        help="L-BFGS iterations per stage of the warp fit",
    )
    p.add_argument(
        "--max-displacement",
        type=float,
        default=None,
        help="bound (px) on the warp's control-point displacements (default: none, as published)",
    )
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0, help="source selection and bootstrap seed")
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads (the CPU is shared: default 1)"
    )
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    start = time.perf_counter()

    test = sl.data.mnist_digits("test")
    idx = evaluate.stratified_indices(test.labels, args.sources, seed=args.seed)
    sources, labels = test.images[idx], test.labels[idx]
    driver = pretrained(args.driver)
    judges = {"MLP": pretrained("mnist_judge_mlp"), "ResNet": pretrained("mnist_judge_resnet")}
    targets = evaluate.pick_targets(driver, sources, args.targets, labels=labels)

    lens_options = {"objective": args.objective}
    if args.height != "auto":
        lens_options["height"] = int(args.height)
    edit_options = {"max_steps": args.max_steps}
    if args.step_size is not None:
        edit_options["step_size"] = args.step_size
    if args.phase_cap is not None:
        edit_options["phase_cap"] = args.phase_cap

    result = evaluate.compare_edits(
        driver,
        judges,
        sources,
        targets,
        budgets=args.budgets,
        methods=args.methods,
        regime=args.regime,
        lens_options=lens_options,
        edit_options=edit_options,
        grid=args.grid,
        warp_iterations=args.warp_iterations,
        max_displacement=args.max_displacement,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.no_progress,
    )
    seconds = time.perf_counter() - start

    stem = f"compare_edits_{args.sources}" + (f"_{args.tag}" if args.tag else "")
    args.out.mkdir(parents=True, exist_ok=True)
    result.to_csv(args.out / f"{stem}.csv")
    header = (
        f"# Matched-budget edits on MNIST ({args.sources} test sources)\n\n"
        f"Driver `{args.driver}`, judges `mnist_judge_mlp` and `mnist_judge_resnet`; targets: "
        f"{args.targets.replace('_', ' ')}; regime `{args.regime}`, objective `{args.objective}`, "
        f"step size {args.step_size or 'budget/10 (first-order L2)'}, phase cap {args.phase_cap}; "
        f"warp grid {args.grid}×{args.grid}, {args.warp_iterations} L-BFGS iterations per stage, "
        f"displacement bound: {f'{args.max_displacement:g} px' if args.max_displacement else 'none'}. "
        f"Wall time {seconds:.0f} s ({args.threads} torch thread(s), {platform.processor() or platform.machine()}).\n\n"
    )
    markdown = header + result.to_markdown()
    (args.out / f"{stem}.md").write_text(markdown)
    record = {
        "argv": sys.argv[1:] if argv is None else list(argv),
        "seconds": seconds,
        "compare_seconds": result.seconds,
        "torch": torch.__version__,
        "threads": args.threads,
        "source_indices": idx.tolist(),
        "targets": targets.tolist(),
        "labels": labels.tolist(),
        "settings": {k: v for k, v in result.settings.items() if k != "methods"},
        "table": result.table(),
        "per_source": {
            f"{m}@{b:g}": {k: v.tolist() for k, v in vals.items()}
            for (m, b), vals in result.measures.items()
        },
    }
    (args.out / f"{stem}.json").write_text(json.dumps(record, indent=1))
    print(markdown)
    print(f"wrote {args.out / stem}.{{csv,md,json}} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
