"""Exercises: every one has a checked solution, and the student edition hides every solution."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import student_edition as se  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
TEACHING = [p for p in CHAPTERS if not p.name.startswith("00_")]


def _exercises(path):
    return se.exercises(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.name)
def test_chapter_has_at_least_two_exercises(path):
    assert len(_exercises(path)) >= 2


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_solution_is_checked_in_the_build(path):
    # A solution's code runs when the book is built and ends in a check of what the exercise
    # asks; a solution that rots fails the build.
    nb = nbformat.read(path, as_version=4)
    for ex in _exercises(path):
        code = [nb.cells[i].source for i in ex.code_cells]
        assert code, f"{ex.label}: the solution has no code cell"
        assert any("assert" in c for c in code), f"{ex.label}: the solution code never checks its result"


def test_exercise_labels_are_unique_across_the_book():
    labels = [ex.label for p in CHAPTERS for ex in _exercises(p)]
    assert len(labels) == len(set(labels))


def _toy_notebook(gated: bool = True):
    """A chapter in miniature: one exercise, its solution gated (house style) or in the old form."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    exercise = [
        md("# Toy"),
        md("```{exercise} Add one\n:label: ex-toy-add\n\nAdd one to x.\n```"),
        code("x = 1\n# your code here"),
    ]
    if gated:
        solution = [
            md("```{solution-start} ex-toy-add\n:class: dropdown\n```\nSECRET EXPLANATION"),
            code("y = x + 1  # SECRET CODE"),
            code("print(y)  # SECRET OUTPUT\nassert y == 2"),
            md("```{solution-end}\n```"),
        ]
    else:
        solution = [
            md("```{solution} ex-toy-add\n:class: dropdown\n\nSECRET EXPLANATION\n```"),
            code("y = x + 1  # SECRET CODE\nassert y == 2"),
        ]
    after = [md("Back to the chapter."), code("z = 3  # after the exercise"), md("## Summary")]
    nb.cells = [*exercise, *solution, *after]
    return nb


@pytest.mark.parametrize("gated", [True, False], ids=["gated", "old-form"])
def test_student_notebook_replaces_the_solution_with_a_stub(gated):
    toy = _toy_notebook(gated)
    exs = se.exercises(toy)
    assert [(e.label, e.gated) for e in exs] == [("ex-toy-add", gated)]
    # the solution is every cell from its opening directive through solution-end (gated)
    assert exs[0].solution_cells == ([3, 4, 5, 6] if gated else [3, 4])
    assert exs[0].code_cells == ([4, 5] if gated else [4])
    nb, _ = se.student_notebook(toy)
    text = "\n".join(c.source for c in nb.cells)
    assert "SECRET" not in text
    assert "{solution" not in text  # neither the directive nor solution-end remains
    stub = [c for c in nb.cells if "exercise-stub" in c.metadata.get("tags", [])]
    assert len(stub) == 1 and "raise NotImplementedError" in stub[0].source
    assert "ex-toy-add" in stub[0].source
    # the stub takes the solution's place; the rest of the chapter is kept, in order
    assert [c.source for c in nb.cells[:3]] == [c.source for c in toy.cells[:3]]
    assert nb.cells[3] is stub[0]
    assert [c.source for c in nb.cells[4:]] == [c.source for c in toy.cells[-3:]]


def test_a_gated_solution_without_its_end_is_an_error():
    toy = _toy_notebook(gated=True)
    del toy.cells[6]  # the solution-end cell
    with pytest.raises(ValueError, match="no solution-end"):
        se.exercises(toy)


def test_student_edition_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "student_edition.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    assert "Student edition:" in proc.stdout
    for src in CHAPTERS:
        student = nbformat.read(tmp_path / src.name, as_version=4)
        source = nbformat.read(src, as_version=4)
        stubs = [c.source for c in student.cells if "exercise-stub" in c.metadata.get("tags", [])]
        exs = se.exercises(source)
        assert len(stubs) == len(exs), src.name
        solution_idx = {i for ex in exs for i in ex.solution_cells}
        elsewhere = "\n".join(c.source for i, c in enumerate(source.cells) if i not in solution_idx)
        for ex in exs:
            assert any(f"Exercise {ex.label}:" in s for s in stubs), ex.label
            # nothing of the solution leaks: neither the explanation nor any code line
            student_text = "\n".join(c.source for c in student.cells)
            for directive in ("{solution}", "{solution-start}", "{solution-end}"):
                assert directive not in student_text
            for i in ex.solution_cells:
                for line in source.cells[i].source.splitlines():
                    line = line.strip()
                    if len(line) > 25 and not line.startswith(("#", "```", ":")) and line not in elsewhere:
                        assert line not in student_text, f"{ex.label} leaks: {line}"
