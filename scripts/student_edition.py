"""Write the student edition of the book: every exercise solution replaced by a stub.

For each chapter notebook in book/, the solution of every exercise is replaced by one code cell
that raises NotImplementedError with a hint naming the exercise. A solution is

- gated (the house style, CONTRIBUTING.md): everything from the markdown cell that opens with
  ```{solution-start} LABEL``` (the directive and the explanation after it) through the markdown
  cell holding ```{solution-end}```, inclusive — the solution's code cells in between;
- or, in the older form still read while chapters migrate, the markdown cell holding the
  ```{solution} LABEL``` directive and the code cells that follow it up to the next markdown cell.

Outputs go to _build/student/ (outside the source tree); the sources are not touched.

Usage: python scripts/student_edition.py [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = re.compile(r"```\{exercise\}\s*(?P<title>[^\n]*)\n(?P<body>.*?)```", re.S)
SOLUTION = re.compile(r"```\{solution\}\s*(?P<label>[\w.-]+)")
SOLUTION_START = re.compile(r"```\{solution-start\}\s*(?P<label>[\w.-]+)")
SOLUTION_END = re.compile(r"```\{solution-end\}")
LABEL = re.compile(r":label:\s*(?P<label>[\w.-]+)")


@dataclass
class Exercise:
    label: str
    title: str
    solution_cells: list[int]  # indices of every cell of the solution (markdown and code)
    code_cells: list[int] = field(default_factory=list)  # of them, the solution's code cells
    gated: bool = False  # solution-start ... solution-end (True) or the older {solution} form


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
    i = 0
    while i < len(nb.cells):
        cell = nb.cells[i]
        gated = SOLUTION_START.search(cell.source) if cell.cell_type == "markdown" else None
        old = SOLUTION.search(cell.source) if cell.cell_type == "markdown" else None
        if gated:
            # everything through the matching solution-end, inclusive
            idx = [i]
            j = i + 1
            while j < len(nb.cells):
                idx.append(j)
                if nb.cells[j].cell_type == "markdown" and SOLUTION_END.search(nb.cells[j].source):
                    break
                j += 1
            else:
                raise ValueError(f"solution {gated.group('label')!r} (cell {i}) has no solution-end")
            m = gated
        elif old:
            idx = [i]
            j = i + 1
            while j < len(nb.cells) and nb.cells[j].cell_type == "code":
                idx.append(j)
                j += 1
            j -= 1
            m = old
        else:
            i += 1
            continue
        label = m.group("label")
        code = [k for k in idx if nb.cells[k].cell_type == "code"]
        out.append(Exercise(label, titles.get(label, label), idx, code, gated=bool(gated)))
        i = j + 1
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
