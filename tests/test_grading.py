"""`steerlens grade`: a folder of three sample submissions of chapter 1 (complete, partial,
broken) is executed in fresh kernels and graded, one row per student."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import nbformat
import pytest

from steerlens.cli import main
from steerlens.exercises import EXERCISES
from steerlens.exercises import grade as g

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import notebook_edition as ne  # noqa: E402
import student_edition as se  # noqa: E402

CHAPTER = ROOT / "book" / "01_fourier_phase.ipynb"
LABELS = [e.label for e in EXERCISES.values() if e.chapter == 1]


def _submission(answered: int, break_first: bool = False, wrong_last: str = ""):
    """Chapter 1's student edition with the first ``answered`` exercises answered by the book's
    own solution code (what a student who solved them would write)."""
    source = nbformat.read(CHAPTER, as_version=4)
    solutions = {ex.label: "\n\n".join(source.cells[i].source for i in ex.code_cells)
                 for ex in se.exercises(source)}
    nb = se.student_notebook(ne.notebook_edition(CHAPTER))
    checks = [i for i, c in enumerate(nb.cells) if "exercise-check" in c.metadata.get("tags", [])]
    for i in checks[:answered]:
        label = re.search(r'"([\w.-]+)"', nb.cells[i].source).group(1)
        answer = solutions[label].replace(", strict=True", "")
        nb.cells[i - 1].source += "\n\n" + answer  # the starter cell, answered below its lines
    if wrong_last:  # a plausible wrong answer to the last exercise
        nb.cells[checks[-1] - 1].source += "\n\n" + wrong_last
    if break_first:  # a student who broke the first answer: a syntax error, then gave up
        nb.cells[checks[0] - 1].source = "shifted_ex = fourier.synthesize(("
    return nb


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_grading_a_folder_of_three_submissions(tmp_path, capsys):
    folder = tmp_path / "returned"
    folder.mkdir()
    nbformat.write(_submission(len(LABELS)), folder / "ada.ipynb")
    # ben: the first exercise right, the last one wrong (the camera itself, not a random phase)
    nbformat.write(_submission(1, wrong_last="random_phase_image = image.clone()"),
                   folder / "ben.ipynb")
    nbformat.write(_submission(0, break_first=True), folder / "cy.ipynb")
    out = tmp_path / "grades.csv"
    assert main(["grade", str(folder), "--out", str(out), "--timeout", "300"]) == 0
    printed = capsys.readouterr().out
    with out.open(encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"ada", "ben", "cy"}
    assert list(rows["ada"])[1:-3] == LABELS  # one column per exercise, in the book's order
    assert all(rows["ada"][lab] == "correct" for lab in LABELS), rows["ada"]
    assert rows["ada"]["score"] == str(len(LABELS)) and rows["ada"]["note"] == ""
    assert rows["ben"][LABELS[0]] == "correct"
    assert all(rows["ben"][lab] == "not attempted" for lab in LABELS[1:-1])
    assert rows["ben"][LABELS[-1]] == "incorrect"
    assert rows["cy"][LABELS[0]] == "not attempted"  # the broken cell left it unset
    assert "raised an error" in rows["cy"]["note"]
    with capsys.disabled():
        print("\n" + printed)
    assert "| ada |" in printed and "✓" in printed and "wrote" in printed


def test_an_unreadable_notebook_is_a_row_not_a_crash(tmp_path):
    bad = tmp_path / "dana.ipynb"
    bad.write_text("{ not json")
    row = g.grade_notebook(bad, timeout=30)
    assert row.student == "dana" and "unreadable" in row.note and row.score == 0


def test_grade_folder_errors_name_the_folder(tmp_path):
    with pytest.raises(ValueError, match="directory of returned notebooks"):
        g.grade_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no .ipynb file"):
        g.grade_folder(tmp_path)
    assert main(["grade", str(tmp_path / "missing")]) == 1
