"""Exercises: every one has a check in steerlens.exercises that its solution passes in the build,
the editions give every exercise a check cell, and the student edition holds no solution text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from steerlens.exercises import EXERCISES, KINDS, check

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import notebook_edition as ne  # noqa: E402
import student_edition as se  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
TEACHING = [p for p in CHAPTERS if not p.name.startswith("00_")]
STRICT = re.compile(r"""sl\.exercises\.check\(\s*"(?P<label>[\w.-]+)",\s*strict=True\s*\)\s*$""")


def _exercises(path):
    return se.exercises(nbformat.read(path, as_version=4))


def _chapter(path) -> int:
    return int(path.name[:2])


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.name)
def test_chapter_has_at_least_two_exercises(path):
    assert len(_exercises(path)) >= 2


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_is_registered_in_order_with_its_title(path):
    exs = _exercises(path)
    registered = [e for e in EXERCISES.values() if e.chapter == _chapter(path)]
    assert [e.label for e in registered] == [e.label for e in exs], (
        "steerlens/exercises/chNN.py must register every exercise of the chapter, in order")
    for src, reg in zip(exs, registered, strict=True):
        assert reg.title == src.title, f"{src.label}: title {reg.title!r} ≠ notebook's {src.title!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_solution_ends_in_its_strict_check(path):
    # the book's build runs each solution through the same check a student's answer meets, and
    # fails when the solution stops passing it
    nb = nbformat.read(path, as_version=4)
    for ex in _exercises(path):
        assert ex.code_cells, f"{ex.label}: the solution has no code cell"
        last = nb.cells[ex.code_cells[-1]].source.rstrip()
        m = STRICT.search(last)
        assert m and m.group("label") == ex.label, (
            f"{ex.label}: the solution's last line must be "
            f'sl.exercises.check("{ex.label}", strict=True)')


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_has_a_starter_cell_that_leaves_the_answers_empty(path):
    nb = nbformat.read(path, as_version=4)
    for ex in _exercises(path):
        start = ex.solution_cells[0]
        starter = nb.cells[start - 1]
        assert starter.cell_type == "code", f"{ex.label}: no starter cell before the solution"
        assert "= None" in starter.source, f"{ex.label}: the starter cell should set the answer variables to None"


def test_an_empty_notebook_is_not_attempted_for_every_exercise():
    for label in EXERCISES:
        fb = check(label, {})
        assert fb.status == "not attempted", (label, str(fb))
        assert not fb and "not attempted yet" in str(fb)


def test_kinds_and_at_least_two_derivations_per_part():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc["parts"]:
        if not part["caption"].startswith("Part"):
            continue
        chapters = [int(Path(c["file"]).name[:2]) for c in part["chapters"]]
        kinds = [e.kind for e in EXERCISES.values() if e.chapter in chapters]
        assert set(kinds) <= set(KINDS)
        assert kinds.count("derivation") >= 2, f"{part['caption']}: {kinds}"


def test_exercise_labels_are_unique_across_the_book():
    labels = [ex.label for p in CHAPTERS for ex in _exercises(p)]
    assert len(labels) == len(set(labels))


def test_check_rejects_a_bad_label_with_a_clear_error():
    with pytest.raises(ValueError, match="not an exercise of the book"):
        check("ex-01-nope", {})
    with pytest.raises(TypeError, match="label must be"):
        check(3, {})


def test_a_check_that_breaks_on_odd_input_reports_an_error_not_a_traceback():
    fb = check("ex-01-subpixel", {"shifted_ex": "a string", "image": None})
    assert fb.status in ("incorrect", "error") and not fb


def test_strict_checks_raise():
    from steerlens.exercises import ExerciseFailed

    with pytest.raises(ExerciseFailed, match="not attempted yet"):
        check("ex-01-subpixel", {}, strict=True)


# ------------------------------------------------------------------------------------------
# The notebook edition and the student edition
# ------------------------------------------------------------------------------------------
def _toy_notebook():
    """A chapter in miniature: one exercise with a gated solution, a Think-about-it answer."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("(ch-01)=\n# Toy"),
        md("**Think about it:** why?\n\n```{admonition} An answer\n:class: dropdown\n\nSECRET THINK\n```"),
        md("As {cite:p}`oppenheim1981importance` showed, see {ref}`chapter 2 <ch-02>`.\n\n"
           "$$\nx = 1\n$$ (eq-x)\n\n```{note}\nA note with {term}`local phase`.\n```"),
        md("```{exercise} A sub-pixel shift, verified\n:label: ex-01-subpixel\n\nShift it.\n```"),
        code("shifted_ex = None  # your answer"),
        md("```{solution-start} ex-01-subpixel\n:class: dropdown\n```\nSECRET EXPLANATION"),
        code('shifted_ex = 1  # SECRET CODE\nsl.exercises.check("ex-01-subpixel", strict=True)'),
        md("```{solution-end}\n```"),
        md("## Summary"),
    ]
    return nb


def test_the_notebook_edition_of_a_toy_chapter():
    path = ROOT / "book" / "01_fourier_phase.ipynb"  # for its links (the toy is not written there)
    ed = ne.convert_notebook(_toy_notebook(), path)
    text = [c.source for c in ed.cells]
    assert not ne.myst_left(ed)
    assert "# Toy" in text[0] and "(ch-01)=" not in text[0]
    assert text[1].count("<details>") == 1 and "SECRET THINK" in text[1]
    site = ne.site_url()
    assert f"[Oppenheim & Lim, 1981]({site}book/bibliography.html)" in text[2]
    assert f"[chapter 2]({site}book/02_local_phase.html)" in text[2]
    assert f"[local phase]({site}book/glossary.html#term-local-phase)" in text[2]
    assert "$$ (eq-x)" not in text[2] and "> **Note**" in text[2]
    box = next(t for t in text if "Exercise 1.1" in t)
    assert box.startswith("> **✏️ Exercise 1.1 (computation): A sub-pixel shift, verified**")
    kinds = [c.metadata.get("tags", []) for c in ed.cells]
    i = kinds.index(["exercise-check"])
    assert ed.cells[i - 1].source == "shifted_ex = None  # your answer"
    assert 'sl.exercises.check("ex-01-subpixel")' in ed.cells[i].source
    assert kinds[i + 1] == ["solution"] and "<details>" in ed.cells[i + 1].source
    assert "SECRET EXPLANATION" in ed.cells[i + 1].source and "SECRET CODE" in ed.cells[i + 1].source
    student = se.student_notebook(ed)
    assert "SECRET" not in "\n".join(c.source for c in student.cells)
    assert any('check("ex-01-subpixel")' in c.source for c in student.cells)


def test_unknown_roles_and_targets_are_errors_not_raw_text():
    with pytest.raises(ValueError, match="not defined anywhere"):
        ne.convert_role("ref", "nowhere", "book/01_fourier_phase")
    with pytest.raises(ValueError, match="references.bib"):
        ne.convert_role("cite:p", "nobody2000", "book/01_fourier_phase")
    with pytest.raises(ValueError, match="no plain-Markdown form"):
        ne.convert_role("weird", "x", "book/01_fourier_phase")


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("editions")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "student_edition.py"),
                           "--out", str(tmp / "student")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Student edition:" in proc.stdout
    return ROOT / "_build" / "notebooks", tmp / "student"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_editions_of_each_chapter(editions, path):
    notebooks, student = editions
    source = nbformat.read(path, as_version=4)
    ed = nbformat.read(notebooks / path.name, as_version=4)
    st = nbformat.read(student / path.name, as_version=4)
    exs = se.exercises(source)
    assert not ne.myst_left(ed) and not ne.myst_left(st)
    for nb in (ed, st):
        checks = [c.source for c in nb.cells if "exercise-check" in c.metadata.get("tags", [])]
        assert [re.search(r'"([\w.-]+)"', c).group(1) for c in checks] == [e.label for e in exs]
    solutions = [c.source for c in ed.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) == len(exs)
    for ex, sol in zip(exs, solutions, strict=True):
        for i in ex.code_cells:
            assert source.cells[i].source.strip() in sol, f"{ex.label}: solution code missing"
    # the student edition: no solution text, no answer to a Think-about-it
    student_text = "\n".join(c.source for c in st.cells)
    assert "<details>" not in student_text
    solution_idx = {i for ex in exs for i in ex.solution_cells}
    elsewhere = "\n".join(c.source for i, c in enumerate(source.cells) if i not in solution_idx)
    for ex in exs:
        for i in ex.solution_cells:
            for line in source.cells[i].source.splitlines():
                line = line.strip()
                if len(line) > 25 and not line.startswith(("#", "```", ":")) and line not in elsewhere:
                    assert line not in student_text, f"{ex.label} leaks: {line}"
    # every "Think about it" has an answer the reader can open (folded in the notebook edition)
    prompts = sum(c.source.count("Think about it") for c in source.cells if c.cell_type == "markdown")
    answers = sum(c.source.count("<summary><b>An answer") for c in ed.cells if c.cell_type == "markdown")
    assert answers >= prompts, f"{path.name}: {prompts} Think-about-it prompts, {answers} answers"
    # code cells hidden in the book are collapsed in JupyterLab
    hidden = [c for c in ed.cells if {"hide-input", "remove-input"} & set(c.metadata.get("tags", []))]
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in hidden)


def test_the_published_notebooks_branch(editions, tmp_path):
    import steerlens

    notebooks, student = editions
    tree = tmp_path / "branch"
    ne.publish(tree, notebooks, student)
    # the launch links open book/NN_name.ipynb on the branch: the notebook edition is there
    for src in CHAPTERS:
        assert (tree / "book" / src.name).read_text() == (notebooks / src.name).read_text()
        assert (tree / "student" / src.name).exists()
    req = (tree / "requirements.txt").read_text()
    assert f"@v{steerlens.__version__}" in req and "+cpu" in req  # Binder: the release, CPU torch
    assert "do not edit" in (tree / "README.md").read_text()
