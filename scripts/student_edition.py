"""Write the student edition of the book: the notebook edition without any solution text.

Built on the notebook edition (scripts/notebook_edition.py): every folded solution and every
folded answer to a "Think about it" is removed. Each exercise keeps its starter cell (answer
variables set to None) and its check cell, so "Run all" reaches the last cell and each check
says "not attempted yet" until the student answers.

`exercises(nb)` reads a chapter's exercises in the book's source form, where a solution is

- gated (the house style, CONTRIBUTING.md): everything from the markdown cell that opens with
  ```{solution-start} LABEL``` (the directive and the explanation after it) through the markdown
  cell holding ```{solution-end}```, inclusive — the solution's code cells in between;
- or, in the older form still read while chapters migrate, the markdown cell holding the
  ```{solution} LABEL``` directive and the code cells that follow it up to the next markdown cell.

Outputs go to _build/student/ (the notebook edition to _build/notebooks/) (outside the source tree); the sources are not touched.

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


ANSWER_DETAILS = re.compile(r"\n*<details>\n<summary><b>(?:An answer|Answer|Solution)[^<]*</b></summary>.*?</details>\n*", re.S)


def student_notebook(edition_nb):
    """The student edition of one chapter, from its notebook edition (scripts/notebook_edition.py):
    every solution cell and every folded answer ("An answer" to a Think-about-it) removed; the
    starter and check cells stay, so "Run all" reaches the end with "not attempted yet"."""
    nb = nbformat.from_dict(edition_nb)
    cells = []
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            text = ANSWER_DETAILS.sub("\n\n", cell.source).strip()
            if not text:
                continue
            cell.source = text
        cells.append(cell)
    nb.cells = cells
    return nb


def write_student_edition(out: Path, edition: Path | None = None) -> dict[str, int]:
    """Write the student edition of every chapter to ``out``; the notebook edition is built first
    (in ``edition``, default _build/notebooks/)."""
    import notebook_edition

    edition = edition or ROOT / "_build" / "notebooks"
    notebook_edition.write_notebook_edition(edition)
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for src in sorted(edition.glob("*.ipynb")):
        nb = student_notebook(nbformat.read(src, as_version=4))
        nbformat.write(nb, out / src.name)
        summary[src.name] = sum("exercise-check" in c.metadata.get("tags", []) for c in nb.cells)
    return summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    args = p.parse_args()
    summary = write_student_edition(args.out)
    for name, n in summary.items():
        print(f"{name}: {n} exercise(s), solutions removed")
    print(f"\nStudent edition: {len(summary)} notebooks, {sum(summary.values())} exercises, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
