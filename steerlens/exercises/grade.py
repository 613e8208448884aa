"""Grade a folder of returned student notebooks: one row per student, one column per exercise.

Each notebook is executed top to bottom in a fresh kernel (in its own process, with a time
limit per notebook), with errors allowed, so a broken cell costs the exercises that depend on
it and nothing else. Every ``sl.exercises.check(...)`` the notebook runs is recorded; after the
last cell the grader runs the check of every exercise of the notebook's chapters that the
notebook did not check itself (a deleted check cell does not hide an answer). A notebook that
cannot be read, or whose kernel dies or runs past the limit, gets a row saying so, with
whatever was checked before.

The table is written as CSV (``--out``; statuses in words) and printed as Markdown (✓ correct,
✗ incorrect, · not attempted, ! error, – not run). The score is the number of exercises correct.

Command line (``pip install "steerlens[notebooks]"`` for nbclient and ipykernel)::

    steerlens grade submissions/ --out grades.csv --timeout 900

A student is a notebook's path inside the folder without ``.ipynb`` (``alice.ipynb`` or
``alice/01_fourier_phase.ipynb``, the nbgrader layout). Student code runs with your rights:
grade in a container or a throw-away account.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SYMBOL = {"correct": "✓", "incorrect": "✗", "not attempted": "·", "error": "!", "not run": "–"}
_LABEL = re.compile(r"""check\(\s*["'](?P<label>ex-\d+-[\w.-]+)["']""")


@dataclass
class Row:
    """One student's result: ``status[label]`` for each exercise, and a note on the notebook."""

    student: str
    status: dict[str, str] = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> int:
        return sum(v == "correct" for v in self.status.values())


def _labels_in(nb) -> list[str]:
    from . import EXERCISES

    found = {m.group("label") for c in nb.cells if c.cell_type == "code" for m in _LABEL.finditer(c.source)}
    chapters = {EXERCISES[lab].chapter for lab in found if lab in EXERCISES}
    return [e.label for e in EXERCISES.values() if e.chapter in chapters]


_FINAL_CELL = """\
import steerlens.exercises as _sl_ex
for _label in {labels!r}:
    if _label not in _sl_ex_done():
        _sl_ex.check(_label, globals())
"""


def _execute(path: Path, log: Path, timeout: float, kernel: str) -> str:
    """Run in a child process: execute ``path`` with the checks logged to ``log``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    labels = _labels_in(nb)
    done = (f"def _sl_ex_done():\n    import json, pathlib\n    p = pathlib.Path({str(log)!r})\n"
            f"    return {{json.loads(l)['label'] for l in p.read_text().splitlines()}} if p.exists() else set()\n")
    nb.cells.append(nbformat.v4.new_code_cell(done + _FINAL_CELL.format(labels=labels)))
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = sum(1 for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if o.get("output_type") == "error")
    return f"{errors} cell(s) raised an error" if errors else ""


def grade_notebook(path: Path, timeout: float = 600, kernel: str = "python3", student: str | None = None) -> Row:
    """Execute one returned notebook in a fresh kernel and collect its checks."""
    import nbformat

    from . import EXERCISES

    path = Path(path)
    row = Row(student or path.stem)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001  (a broken file is a result, not a crash)
        row.note = f"unreadable notebook ({type(e).__name__})"
        return row
    labels = _labels_in(nb)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "checks.jsonl"
        env = dict(os.environ, **{"STEERLENS_EXERCISE_LOG": str(log)})
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "steerlens.exercises.grade", "--one", str(path), str(log),
                 str(timeout), kernel],
                env=env, capture_output=True, text=True, timeout=timeout + 60,
            )
            out = proc.stdout.strip().splitlines()
            row.note = out[-1] if proc.returncode == 0 and out else _last_line(proc.stderr) or f"exit {proc.returncode}"
            if proc.returncode == 0 and out and out[-1] == "ok":
                row.note = ""
        except subprocess.TimeoutExpired:
            row.note = f"ran past the {timeout:.0f} s limit"
        row.seconds = time.perf_counter() - t0
        records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    for label in labels:
        row.status[label] = "not run"
    for r in records:  # the last check of each exercise counts
        if r["label"] in EXERCISES:
            row.status[r["label"]] = r["status"]
    return row


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def grade_folder(folder: Path, timeout: float = 600, kernel: str = "python3") -> list[Row]:
    """Grade every ``*.ipynb`` under ``folder`` (checkpoints skipped), sorted by student."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be a directory of returned notebooks, got {str(folder)!r}")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        raise ValueError(f"no .ipynb file under {str(folder)!r}: pass the folder of returned notebooks")
    return [grade_notebook(p, timeout, kernel, p.relative_to(folder).with_suffix("").as_posix()) for p in paths]


def columns(rows: list[Row]) -> list[str]:
    from . import EXERCISES

    seen = {lab for r in rows for lab in r.status}
    return [lab for lab in EXERCISES if lab in seen]


def write_csv(rows: list[Row], path: Path) -> None:
    cols = columns(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", *cols, "score", "out_of", "note"])
        for r in rows:
            w.writerow([r.student, *(r.status.get(c, "") for c in cols), r.score, len(r.status), r.note])


def markdown_table(rows: list[Row]) -> str:
    from . import EXERCISES

    cols = columns(rows)
    head = ["student", *(EXERCISES[c].number for c in cols), "score", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.student, *(SYMBOL.get(r.status.get(c, ""), "") for c in cols),
                 f"{r.score}/{len(r.status)}", r.note.replace("|", "/")]
        lines.append("| " + " | ".join(cells) + " |")
    legend = ", ".join(f"{EXERCISES[c].number} = {c}" for c in cols)
    return "\n".join(lines) + "\n\n✓ correct, ✗ incorrect, · not attempted, ! error, – not run. " + legend


def _child(argv: list[str]) -> int:
    path, log, timeout, kernel = argv
    print(_execute(Path(path), Path(log), float(timeout), kernel) or "ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--one":
        sys.exit(_child(sys.argv[2:]))
    sys.exit("usage: steerlens grade FOLDER [--out grades.csv] [--timeout S]")
