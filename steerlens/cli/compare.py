"""``steerlens compare``: the matched-budget comparison of edit methods on MNIST (book chapter 9)."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from . import _common as c
from ._common import CLIError

__all__: list[str] = []

DESCRIPTION = """\
Matched-budget comparison of edit methods on MNIST: the table of the book's
chapter 9. For N MNIST test sources (balanced over digits, the same selection
on every machine), each with a target (default: the driver's second most likely
class), edit with pixel / Fourier phase / CSP phase / joint CSP coordinates to
pixel L2 = 1 and 2 (persistent regime by default), and tabulate attained counts,
median driver probability, the judges' target counts (each and both), median E
(warp) and E (warp + gain), with 95 % paired percentile bootstrap intervals over
sources.

Writes <out>/<stem>.csv, <stem>.md and <stem>.json (the settings, the wall time
and the per-source measures), with <stem> = compare_edits_<sources> plus any
--tag. Every option that plausibly changes the answer is a flag, so a
sensitivity check is one more command line."""

EPILOG = """\
examples:
  steerlens compare --sources 300 --out results/
  steerlens compare --sources 20 --methods pixel csp_phase --budgets 1 --tag quick
  steerlens compare --regime fixed --driver mnist_cnn_robust --tag robust_fixed

exit status: 0 success, 1 error while running, 2 usage error."""

DRIVERS = ("mnist_cnn", "mnist_cnn_robust")


def add_arguments(p: argparse.ArgumentParser, default_out: Path) -> None:
    """The comparison's options (shared with ``scripts/compare_edits.py``)."""
    from ..evaluate import EDIT_METHODS
    from ..lens import REGIMES

    p.add_argument("--sources", type=c.integer(1), default=300,
                   help="number of MNIST test sources (default 300)")
    p.add_argument("--out", type=Path, default=default_out, help=f"output folder (default {default_out})")
    p.add_argument("--tag", default="", help="suffix of the output file names")
    p.add_argument("--budgets", type=c.positive, nargs="+", default=[1.0, 2.0],
                   help="pixel L2 budgets (default 1 2)")
    p.add_argument("--methods", nargs="+", default=list(EDIT_METHODS), choices=list(EDIT_METHODS),
                   metavar="METHOD", help=f"edit methods, of {', '.join(EDIT_METHODS)} "
                                          f"(default: all)")
    p.add_argument("--regime", default="persistent", choices=list(REGIMES),
                   help="default persistent")
    p.add_argument("--objective", default="nll", choices=["nll", "logit", "margin"],
                   help="default nll")
    p.add_argument("--height", type=c.height, default="auto", metavar="N|auto",
                   help="pyramid height for the CSP methods ('auto': 2 at 28×28)")
    p.add_argument("--step-size", type=c.positive, default=None,
                   help="iterative regimes: α per step in first-order L2 units (default budget/10)")
    p.add_argument("--phase-cap", type=c.positive, default=None,
                   help="cap on each step's phase change (rad)")
    p.add_argument("--max-steps", type=c.integer(1), default=100, help="default 100")
    p.add_argument("--driver", default="mnist_cnn", choices=DRIVERS, help="default mnist_cnn")
    p.add_argument("--targets", default="second_choice", choices=["second_choice", "next_class"],
                   help="default second_choice")
    p.add_argument("--grid", type=c.integer(2), default=8,
                   help="control points per side of the smooth warp (default 8)")
    p.add_argument("--warp-iterations", type=c.integer(1), default=200,
                   help="L-BFGS iterations per stage of the warp fit (default 200)")
    p.add_argument("--max-displacement", type=c.positive, default=None,
                   help="bound (px) on the warp's control-point displacements "
                        "(default: none, as published)")
    p.add_argument("--batch-size", type=c.integer(1), default=50, help="default 50")
    p.add_argument("--threads", type=c.integer(1), default=1,
                   help="torch threads (the CPU is often shared: default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_parser(subparsers, parents) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compare", parents=parents, help="matched-budget comparison of edit methods on MNIST",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=c.HelpFormatter,
    )
    add_arguments(p, Path("."))
    p.set_defaults(run=run)
    return p


def run(args, argv=None) -> int:
    import torch

    from .. import data, evaluate
    from ..models import pretrained

    device = c.select_device(args.device)
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {str(out)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CLIError(f"cannot create --out folder {str(out)!r}: {err}") from None
    torch.set_num_threads(args.threads)
    c.seed_everything(args.seed)
    start = time.perf_counter()

    test = data.mnist_digits("test")
    if args.sources > len(test.labels):
        raise CLIError(f"--sources {args.sources}: the shipped MNIST test split has "
                       f"{len(test.labels)} images")
    idx = evaluate.stratified_indices(test.labels, args.sources, seed=args.seed)
    sources, labels = test.images[idx].to(device), test.labels[idx].to(device)
    driver = pretrained(args.driver).to(device)
    judges = {"MLP": pretrained("mnist_judge_mlp").to(device),
              "ResNet": pretrained("mnist_judge_resnet").to(device)}
    targets = evaluate.pick_targets(driver, sources, args.targets, labels=labels)

    lens_options = {"objective": args.objective}
    if args.height != "auto":
        lens_options["height"] = int(args.height)
    edit_options = {"max_steps": args.max_steps}
    if args.step_size is not None:
        edit_options["step_size"] = args.step_size
    if args.phase_cap is not None:
        edit_options["phase_cap"] = args.phase_cap

    try:
        result = evaluate.compare_edits(
            driver, judges, sources, targets, budgets=args.budgets, methods=args.methods,
            regime=args.regime, lens_options=lens_options, edit_options=edit_options,
            grid=args.grid, warp_iterations=args.warp_iterations,
            max_displacement=args.max_displacement, batch_size=args.batch_size, seed=args.seed,
            progress=not (args.no_progress or args.quiet),
        )
    except (ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    seconds = time.perf_counter() - start

    stem = f"compare_edits_{args.sources}" + (f"_{args.tag}" if args.tag else "")
    result.to_csv(out / f"{stem}.csv")
    bound = f"{args.max_displacement:g} px" if args.max_displacement else "none"
    header = (
        f"# Matched-budget edits on MNIST ({args.sources} test sources)\n\n"
        f"Driver `{args.driver}`, judges `mnist_judge_mlp` and `mnist_judge_resnet`; targets: "
        f"{args.targets.replace('_', ' ')}; regime `{args.regime}`, objective `{args.objective}`, "
        f"step size {args.step_size or 'budget/10 (first-order L2)'}, phase cap {args.phase_cap}; "
        f"warp grid {args.grid}×{args.grid}, {args.warp_iterations} L-BFGS iterations per stage, "
        f"displacement bound: {bound}. "
        f"Wall time {seconds:.0f} s ({args.threads} torch thread(s), "
        f"{platform.processor() or platform.machine()}).\n\n"
    )
    markdown = header + result.to_markdown()
    (out / f"{stem}.md").write_text(markdown)
    record = {
        "argv": sys.argv[1:] if argv is None else list(argv),
        "seconds": seconds,
        "compare_seconds": result.seconds,
        "torch": torch.__version__,
        "threads": args.threads,
        "device": str(device),
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
    (out / f"{stem}.json").write_text(json.dumps(record, indent=1))
    c.say(args.quiet, markdown, f"wrote {out / stem}.{{csv,md,json}} in {seconds:.1f} s")
    return c.EXIT_OK
