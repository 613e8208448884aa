"""Train every model of the steerlens zoo from scratch and write the shipped files.

Usage (from the repository root)::

    python scripts/train_zoo.py                 # all models, about 6 minutes on one CPU core
    python scripts/train_zoo.py --only blobs_cnn --only mnist_cnn
    python scripts/train_zoo.py --check         # retrain into a temporary folder and compare

Writes ``steerlens/weights/<name>.pt`` (a state dict), ``steerlens/weights/zoo.json``
(metadata: dataset, input shape, classes, test accuracy, checksum, training
settings) and ``steerlens/weights/README.md`` (the accuracy table and the command
that made it). Training is seeded and runs on the CPU with a fixed thread count,
so the same torch version reproduces the same weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

import steerlens
from steerlens.models import (
    ZOO_RECIPES,
    count_parameters,
    evaluate_accuracy,
    pgd_l2,
    shuffled_labels,
    train_zoo_model,
    zoo_dataset,
)

WEIGHTS = Path(steerlens.__file__).resolve().parent / "weights"
ROBUSTNESS_EVAL = {"eps": 1.5, "steps": 20}  # L2 PGD used to report robust accuracy (MNIST drivers)
ACCURACY_TOLERANCE = 0.01  # --check: a retrained model must be within one point


def _state_bytes(model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def _robust_accuracy(model, test) -> float:
    images, labels = test.images, test.labels
    adversarial = torch.cat([
        pgd_l2(model, images[i : i + 250], labels[i : i + 250], **ROBUSTNESS_EVAL)
        for i in range(0, len(labels), 250)
    ])
    return evaluate_accuracy(model, (adversarial, labels))


def build_entry(name: str, out_dir: Path, progress: bool) -> dict:
    recipe = ZOO_RECIPES[name]
    model, history = train_zoo_model(name, progress=progress)
    test = zoo_dataset(name, "test")
    accuracy = evaluate_accuracy(model, (test.images, test.labels))
    extra = {"parameters": count_parameters(model)}
    if recipe.dataset == "mnist_digits" and recipe.role == "driver":
        extra["l2_pgd"] = {**ROBUSTNESS_EVAL, "accuracy": round(_robust_accuracy(model, test), 4)}
    if recipe.shuffle_labels is not None:  # a control: how much of its shuffled labels it fits
        train_set = zoo_dataset(name, "train")
        labels = shuffled_labels(train_set.labels, recipe.shuffle_labels)
        extra["shuffled_train_accuracy"] = round(
            evaluate_accuracy(model, (train_set.images, labels)), 4
        )
    raw = _state_bytes(model)
    (out_dir / f"{name}.pt").write_bytes(raw)
    training = {
        k: v
        for k, v in dataclasses.asdict(recipe).items()
        if k in ("epochs", "seed", "lr", "batch_size", "weight_decay", "augment_shift", "adversarial")
    }
    if recipe.shuffle_labels is not None:
        training["shuffle_labels"] = recipe.shuffle_labels
    training["seconds"] = round(history.seconds, 1)
    training["final_train_loss"] = round(history.loss[-1], 4)
    return {
        "name": name,
        "description": recipe.description,
        "role": recipe.role,
        "architecture": recipe.architecture,
        "config": recipe.config,
        "dataset": recipe.dataset,
        "train_split": recipe.train_split,
        "test_split": recipe.test_split,
        "input_shape": list(test.image_shape),
        "class_names": list(test.class_names),
        "test_accuracy": round(accuracy, 4),
        "test_size": len(test),
        "training": training,
        "weights": f"{name}.pt",
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "extra": extra,
    }


def write_readme(entries: dict, out_dir: Path, command: str, total_seconds: float, threads: int) -> None:
    lines = [
        "# The steerlens model zoo",
        "",
        "Small classifiers trained on the book's offline datasets; load one with",
        "`steerlens.models.pretrained(name)` and read its metadata with",
        "`steerlens.models.model_info(name)` (also in `zoo.json`). Inputs are images in",
        "`[0, 1]` with no normalisation; MNIST models take the native **28×28** digits",
        "(a CSP of height 2). Drivers make edits; judges (other architectures and seeds)",
        "only check whether an edit transfers; controls are drivers' recipes trained on",
        "shuffled labels (Adebayo et al., 2018: data randomization), at chance on the test",
        "split. Test splits are disjoint from training (NaturalShifts: patches from other",
        "photographs).",
        "",
        "| model | role | architecture | input | test split | parameters | weights | test accuracy | train time |",
        "|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for name in sorted(entries):
        e = entries[name]
        recipe = ZOO_RECIPES[name]
        c, h, w = e["input_shape"]
        lines.append(
            f"| `{name}` | {e['role']} | {e['architecture']} | {c}×{h}×{w} | "
            f"`{recipe.dataset_call('test')}` ({e['test_size']}) | {e['extra']['parameters']:,} | "
            f"{e['bytes'] / 1024:.0f} KB | {100 * e['test_accuracy']:.1f} % | "
            f"{e['training']['seconds']:.0f} s |"
        )
    robust = [(n, e["extra"]["l2_pgd"]) for n, e in sorted(entries.items()) if "l2_pgd" in e["extra"]]
    if robust:
        lines += ["", "Accuracy on the MNIST test split under an L2 PGD attack "
                  f"(ε = {ROBUSTNESS_EVAL['eps']}, {ROBUSTNESS_EVAL['steps']} steps):", ""]
        lines += [f"- `{n}`: {100 * r['accuracy']:.1f} %" for n, r in robust]
    controls = [(n, e["extra"]) for n, e in sorted(entries.items()) if e["role"] == "control"]
    if controls:
        lines += ["", "Controls: accuracy on their own (shuffled) training labels, i.e. how much "
                  "of the random labelling they memorised:", ""]
        lines += [f"- `{n}`: {100 * x['shuffled_train_accuracy']:.1f} %" for n, x in controls]
    every = sum(e["training"]["seconds"] for e in entries.values())
    lines += [
        "",
        "Made by (from the repository root):",
        "",
        "```bash",
        "python scripts/train_zoo.py" + (f" --threads {threads}" if threads != 1 else ""),
        "```",
        "",
        f"(every model; the train times above add up to {every / 60:.1f} minutes with {threads} "
        f"CPU thread(s), torch {torch.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}). One model: `python scripts/train_zoo.py --only NAME`"
        + (f"; the last run was partial, `{command}`, {total_seconds / 60:.1f} minutes"
           if "--only" in command else "")
        + ". Training is seeded and deterministic on a CPU; other torch versions or CPUs may "
        "change the last digits.",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(ZOO_RECIPES),
                        help="train only this model (repeatable); the others keep their entries")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--check", action="store_true",
                        help="train into a temporary folder and compare with the shipped accuracies")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = args.only or sorted(ZOO_RECIPES)
    out_dir = Path(tempfile.mkdtemp()) if args.check else WEIGHTS
    out_dir.mkdir(parents=True, exist_ok=True)
    metadata_path = WEIGHTS / "zoo.json"
    shipped = json.loads(metadata_path.read_text())["models"] if metadata_path.is_file() else {}
    entries = {} if args.check else {k: v for k, v in shipped.items() if k in ZOO_RECIPES}
    start = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        entries[name] = build_entry(name, out_dir, progress=not args.no_progress)
        e = entries[name]
        print(f"{name:28s} test accuracy {100 * e['test_accuracy']:5.1f} %   "
              f"{e['bytes'] / 1024:4.0f} KB   {time.perf_counter() - t0:5.1f} s", flush=True)
    total = time.perf_counter() - start
    print(f"total {total / 60:.1f} min", flush=True)
    if args.check:
        failed = []
        for name in names:
            if name not in shipped:
                failed.append(f"{name}: not shipped")
                continue
            diff = entries[name]["test_accuracy"] - shipped[name]["test_accuracy"]
            same = entries[name]["sha256"] == shipped[name]["sha256"]
            print(f"{name:28s} retrained − shipped = {100 * diff:+.1f} points"
                  f"{'  (identical weights)' if same else ''}")
            if abs(diff) > ACCURACY_TOLERANCE:
                failed.append(f"{name}: {100 * diff:+.1f} points")
        shutil.rmtree(out_dir)
        if failed:
            print("NOT reproduced: " + "; ".join(failed), file=sys.stderr)
            return 1
        return 0
    command = "python scripts/train_zoo.py" + (f" --threads {args.threads}" if args.threads != 1 else "")
    if args.only:
        command += "".join(f" --only {n}" for n in args.only)
    metadata = {"format": 1, "torch": torch.__version__, "threads": args.threads,
                "models": dict(sorted(entries.items()))}
    metadata_path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    write_readme(entries, out_dir, command, total, args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
