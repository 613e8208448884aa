"""Write the student edition of the book: every exercise solution replaced by a stub.

For each chapter notebook in book/, the solution of every exercise — the markdown cell holding
the ```{solution}``` directive and the code cells that follow it up to the next markdown cell —
is replaced by one code cell that raises NotImplementedError with a hint naming the exercise.
Outputs go to _build/student/ (outside the source tree); the sources are not touched.

Usage: python scripts/student_edition.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = re.compile(r"```\{exercise\}\s*(?P<title>[^\n]*)\n(?P<body>.*?)```", re.S)
SOLUTION = re.compile(r"```\{solution\}\s*(?P<label>[\w.-]+)")
LABEL = re.compile(r":label:\s*(?P<label>[\w.-]+)")


@dataclass
class Exercise:
    label: str
    title: str
    solution_cells: list[int]  # indices of the solution markdown + code cells


def exercises(nb) -> list[Exercise]:
    """The exercises of a notebook, with the cells that make up each solution."""
    titles = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in EXERCISE.finditer(cell.source):
                lab = LABEL.search(m.group("body"))
                if lab:
                    titles[lab.group("label")] = m.group("title").strip()
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        m = SOLUTION.search(cell.source)
        if not m:
            continue
        idx = [i]
        j = i + 1
        while j < len(nb.cells) and nb.cells[j].cell_type == "code":
            idx.append(j)
            j += 1
        label = m.group("label")
        out.append(Exercise(label, titles.get(label, label), idx))
    return out


def stub_source(ex: Exercise) -> str:
    return (
        f"# Exercise {ex.label}: {ex.title}\n"
        "# Write your solution here (see the exercise text above), then run the cell.\n"
        f'raise NotImplementedError("Exercise {ex.label} ({ex.title}): your solution goes here")'
    )


def student_notebook(nb):
    nb = nbformat.from_dict(nb)
    exs = exercises(nb)
    drop = {i for ex in exs for i in ex.solution_cells}
    first = {ex.solution_cells[0]: ex for ex in exs}
    cells = []
    for i, cell in enumerate(nb.cells):
        if i in first:
            stub = nbformat.v4.new_code_cell(stub_source(first[i]))
            stub.metadata["tags"] = ["raises-exception", "exercise-stub"]
            cells.append(stub)
        elif i not in drop:
            cells.append(cell)
    nb.cells = cells
    return nb, exs


def write_student_edition(out: Path) -> dict[str, list[str]]:
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for src in sorted((ROOT / "book").glob("*.ipynb")):
        nb, exs = student_notebook(nbformat.read(src, as_version=4))
        nbformat.write(nb, out / src.name)
        summary[src.name] = [e.label for e in exs]
    return summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    args = p.parse_args()
    summary = write_student_edition(args.out)
    n = sum(len(v) for v in summary.values())
    for name, labels in summary.items():
        print(f"{name}: {len(labels)} exercise(s) stubbed")
    print(f"\nStudent edition: {len(summary)} notebooks, {n} exercises, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
