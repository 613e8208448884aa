"""The instructor guide's measured tables and the pacing model (scripts/course_tables.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import course_tables as ct  # noqa: E402


def _chapter(words: int, visible: int, hidden: int, derivation: bool) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("(ch-99)=\n# 99. Test\n\n**Time:** about 5 minutes (reading).\n"),
        new_markdown_cell(ct.NOTE_PREFIX + " [open in Colab](https://example.org/x)"),
        new_code_cell("import importlib.util  # the install cell"),
        new_markdown_cell(" ".join(["word"] * words)),
    ]
    cells += [new_code_cell("x = 1") for _ in range(visible)]
    cells += [new_code_cell("plot()", metadata={"tags": ["hide-input"]}) for _ in range(hidden)]
    cells.append(new_code_cell("display(Markdown('x'))", metadata={"tags": ["remove-input"]}))
    ask = "Derive the bound." if derivation else "Compute the number."
    cells += [
        new_markdown_cell(f"```{{exercise}} One\n:label: ex-99-one\n\n{ask}\n```"),
        new_code_cell("answer = None  # your code here"),
        new_markdown_cell("```{solution-start} ex-99-one\n:class: dropdown\n```\n" + "long " * 500),
        new_code_cell("answer = 1\nassert answer == 1"),
        new_markdown_cell("```{solution-end}\n```"),
    ]
    return new_notebook(cells=cells)


@pytest.mark.parametrize("words,visible,hidden", [(0, 0, 0), (300, 3, 2), (1500, 10, 7)])
@pytest.mark.parametrize("derivation", [False, True])
def test_measure_counts_what_the_reader_reads(words, visible, hidden, derivation):
    m = ct.measure(_chapter(words, visible, hidden, derivation))
    # the title cell adds a few words; the note, the install cell, remove-input cells and the
    # exercise's own cells (stub and solution, with its 500 words) never count
    assert words <= m["words"] <= words + 15
    assert (m["visible_cells"], m["hidden_cells"]) == (visible, hidden)
    assert (m["derivations"], m["computations"]) == ((1, 0) if derivation else (0, 1))
    raw = (
        m["words"] / ct.WORDS_PER_MINUTE
        + ct.MINUTES_PER_VISIBLE_CELL * visible
        + ct.MINUTES_PER_HIDDEN_CELL * hidden
        + (ct.MINUTES_PER_DERIVATION if derivation else ct.MINUTES_PER_COMPUTATION)
    )
    est = ct.estimate_minutes(m)
    assert est % 5 == 0 and raw <= est < raw + 5


def test_schedule_packs_every_minute_in_order_within_sessions():
    rows = [
        {
            "part": p,
            "file": f"{i:02d}_x",
            "title": f"ch{i}",
            "estimate": e,
            "exercises": [("l", "t")],
        }
        for i, (p, e) in enumerate(
            [("A", 10), ("B", 70), ("B", 40), ("C", 95), ("C", 200), ("C", 30), ("D", 5)]
        )
    ]
    plan = ct.schedule(rows, session=90, slack=10)
    assert all(0 < s["used"] <= 100 for s in plan)
    pieces = [(t, m) for s in plan for t, m, _ in s["pieces"]]
    for r in rows:
        assert sum(m for t, m in pieces if t == r["title"]) == r["estimate"]
    # chapters appear in book order, a part never shares a session with the part before it
    order = [t for t, _ in pieces]
    assert order == sorted(order, key=lambda t: int(t[2:]))
    parts = [s["part"] for s in plan]
    assert parts == sorted(parts) and parts.count("B") == 2  # 80 + 40 > 90: two sessions
    # the 5-minute last part D joins the last session
    assert plan[-1]["pieces"][-1] == ("ch6", 5, "")
    # the 10-minute part A joins part B; the 95-minute chapter runs 5 minutes over rather than be
    # cut; the 200-minute chapter is cut into 2 equal pieces
    assert plan[0]["pieces"][0][0] == "ch0" and plan[0]["part"] == "B"
    assert [m for t, m in pieces if t == "ch3"] == [95]
    assert [m for t, m in pieces if t == "ch4"] == [100, 100]
    assert ct.schedule(rows, session=90, slack=0)[2]["pieces"] == [("ch3", 48, "part 1 of 2")]
    assert sum(len(s["exercises"]) for s in plan) == len(rows)


def test_retime_text_changes_only_the_number():
    text = "# T\n\n**Time:** about 40 minutes (reading + exercises).\n**Time:** about 7 minutes"
    out = ct.retime_text(text, 85)
    assert out == text.replace("about 40 minutes", "about 85 minutes")
    assert ct.retime_text("**Time:** about N minutes.", 30) == "**Time:** about 30 minutes."
    with pytest.raises(ValueError, match="no '\\*\\*Time:\\*\\* about N minutes' line"):
        ct.retime_text("no time here", 30)


def test_retime_check_never_writes():
    before = {p: p.read_bytes() for _, p in ct.toc_chapters()}
    changed = ct.retime(check=True)
    assert {p: p.read_bytes() for p in before} == before
    rows = {r["path"].name: r for r in ct.chapter_rows()}
    for name, old, new in changed:
        stated = old if old.isdigit() else "?"  # "about N minutes": not stated yet
        assert rows[name]["estimate"] == new and rows[name]["minutes"] == stated != str(new)
    assert ct.main(["--retime", "--check"]) == (1 if changed else 0)
