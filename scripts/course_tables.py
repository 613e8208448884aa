"""Tables for the instructor guide, read from the chapters themselves (never typed by hand).

- `chapter_rows()`: every chapter in `_toc.yml` order with its title, learning objectives, the
  reading time it states, its exercises, its measured reading load (words of prose, code cells,
  exercises and their kind), the time estimate of the pacing model (`estimate_minutes`), and its
  measured execution time (from the Jupyter cache of the last book build).
- `schedule(rows)`: the chapters packed, in order, into 90-minute sessions from their estimates.
- `retime()`: rewrite each chapter's "**Time:** about N minutes" line from the estimate.

The pacing model (stated on the instructor page, `PACING_MODEL`):

    minutes = words / 150                     (technical reading, 150 words a minute)
            + 2 × visible code cells          (run it, read the code and its output)
            + 1 × hidden-input code cells     (run it, read the figure or table)
            + 10 × computation exercises
            + 15 × derivation exercises       (kind "derivation" in steerlens.exercises; a
                                                prediction counts as a computation)

rounded up to 5 minutes. Prose is the chapter's Markdown outside exercise solutions, without the
"Run this chapter yourself" note, code, directive lines, labels and URLs; display math counts its
symbols as words. Code cells exclude the install cell, `remove-input` cells (the reader sees only
their prose), and every exercise's own cells (the student stub and the solution: the exercise's
minutes cover them).

Usage:
  python scripts/course_tables.py                 # print the measured table
  python scripts/course_tables.py --retime        # rewrite every chapter's Time line
  python scripts/course_tables.py --retime --check  # exit 1 if a Time line is out of date
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import student_edition  # noqa: E402  (same folder)

WORDS_PER_MINUTE = 150
MINUTES_PER_VISIBLE_CELL = 2
MINUTES_PER_HIDDEN_CELL = 1
MINUTES_PER_COMPUTATION = 10
MINUTES_PER_DERIVATION = 15
SESSION_MINUTES = 90
SESSION_SLACK = 10  # a session may run this much over rather than cut a chapter in two
PACING_MODEL = (
    f"words of prose ÷ {WORDS_PER_MINUTE} words a minute (technical reading) "
    f"+ {MINUTES_PER_VISIBLE_CELL} min per visible code cell (run it, read the code and its "
    f"output) + {MINUTES_PER_HIDDEN_CELL} min per hidden-input code cell (run it, read the "
    f"figure or table) + {MINUTES_PER_COMPUTATION} min per computation exercise + "
    f"{MINUTES_PER_DERIVATION} min per derivation exercise (paper and pencil; a prediction "
    "exercise counts as a computation), rounded up to 5 minutes"
)
TIME_LINE = re.compile(r"(\*\*Time:\*\*\s*about\s*)(\d+|N)(\s*minutes)")
DERIVATION = re.compile(
    r"\b(derive|derivation|prove|show that|explain why|explain from|why)\b", re.I
)
NOTE_PREFIX = "> **Run this chapter yourself:**"


def toc_chapters() -> list[tuple[str, Path]]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = []
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            p = ROOT / (ch["file"] + ".ipynb")
            if p.exists():
                out.append((part.get("caption", ""), p))
    return out


def execution_seconds() -> dict[str, float]:
    """Latest execution time per notebook path, from the build's Jupyter cache."""
    try:
        from jupyter_cache import get_cache
    except ImportError:  # pragma: no cover
        return {}
    path = ROOT / "_build" / ".jupyter_cache"
    if not path.exists():
        return {}
    times: dict[str, tuple] = {}
    for rec in get_cache(str(path)).list_cache_records():
        secs = (rec.data or {}).get("execution_seconds")
        if secs is None:
            continue
        if rec.uri not in times or rec.created > times[rec.uri][0]:
            times[rec.uri] = (rec.created, float(secs))
    return {Path(k).name: v[1] for k, v in times.items()}


def _objectives(text: str) -> list[str]:
    m = re.search(r"\*\*You will be able to:\*\*(.*?)(\*\*Time:\*\*|$)", text, re.S)
    if not m:
        return []
    body = m.group(1).strip()
    items = re.findall(r"^- (.*?)(?=^- |\Z)", body, re.S | re.M)
    items = items or [body]
    return [_table_safe(" ".join(i.split()).rstrip(";.")) for i in items]


def _table_safe(text: str) -> str:
    """An objective that can sit in a Markdown table cell: a `|` inside math (``$|x|$``) would
    end the cell, so it becomes ``\\vert``."""
    return re.sub(r"\$[^$]*\$", lambda m: m.group(0).replace("|", r"\vert "), text)


def _minutes(text: str) -> str:
    m = TIME_LINE.search(text)
    return m.group(2) if m and m.group(2).isdigit() else "?"


def prose_words(markdown: str) -> int:
    """Words a reader reads in one Markdown cell: no code, directive lines, labels or URLs."""
    text = re.sub(r"```\{(?:code-cell|code)[^`]*?```", " ", markdown, flags=re.S)
    text = re.sub(r"^\s*(```.*|:[\w-]+:.*|\(\S+\)=)\s*$", " ", text, flags=re.M)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's URL is not read
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"`[^`]*`", "code", text)  # an inline name reads as one word
    return len(re.findall(r"[\w$\\]+", text))


def _exercise_bodies(nb) -> dict[str, str]:
    bodies = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in student_edition.EXERCISE.finditer(cell.source):
                lab = student_edition.LABEL.search(m.group("body"))
                if lab:
                    bodies[lab.group("label")] = m.group("title") + "\n" + m.group("body")
    return bodies


def _kind(ex, bodies: dict[str, str]) -> str:
    """ "derivation" or "computation" (a prediction takes a computation's time): the kind
    registered with the exercise's check in steerlens.exercises; for an exercise without one
    (a chapter being written), guessed from its text."""
    from steerlens.exercises import EXERCISES

    registered = EXERCISES.get(ex.label)
    if registered is not None:
        return "derivation" if registered.kind == "derivation" else "computation"
    return "derivation" if DERIVATION.search(bodies.get(ex.label, ex.title)) else "computation"


def measure(nb) -> dict:
    """The reading load of one chapter notebook (see the module docstring for what counts)."""
    exercises = student_edition.exercises(nb)
    bodies = _exercise_bodies(nb)
    in_solution = {i for ex in exercises for i in ex.solution_cells}
    # the student's own cell of each exercise: the code cells just before its solution
    for ex in exercises:
        j = min(ex.solution_cells) - 1
        while j >= 0 and nb.cells[j].cell_type == "code":
            in_solution.add(j)
            j -= 1
    words = visible = hidden = 0
    install_seen = False
    for i, cell in enumerate(nb.cells):
        if i in in_solution:
            continue
        if cell.cell_type == "markdown":
            if not cell.source.startswith(NOTE_PREFIX):
                words += prose_words(cell.source)
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            if not install_seen and "importlib.util" in cell.source:
                install_seen = True  # the install cell
                continue
            if "remove-input" in tags or "remove-cell" in tags:
                continue
            if "hide-input" in tags or "hide-cell" in tags:
                hidden += 1
            else:
                visible += 1
    kinds = [_kind(ex, bodies) for ex in exercises]
    return {
        "words": words,
        "visible_cells": visible,
        "hidden_cells": hidden,
        "code_cells": visible + hidden,
        "derivations": kinds.count("derivation"),
        "computations": kinds.count("computation"),
        "exercise_kinds": kinds,
    }


def estimate_minutes(m: dict) -> int:
    """The pacing model's time for a chapter, rounded up to 5 minutes."""
    raw = (
        m["words"] / WORDS_PER_MINUTE
        + MINUTES_PER_VISIBLE_CELL * m["visible_cells"]
        + MINUTES_PER_HIDDEN_CELL * m["hidden_cells"]
        + MINUTES_PER_COMPUTATION * m["computations"]
        + MINUTES_PER_DERIVATION * m["derivations"]
    )
    return max(5, 5 * math.ceil(raw / 5 - 1e-9))


def chapter_rows() -> list[dict]:
    times = execution_seconds()
    rows = []
    for part, path in toc_chapters():
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0].source
        title = next(
            (ln[2:].strip() for ln in first.splitlines() if ln.startswith("# ")), path.stem
        )
        load = measure(nb)
        exercises = student_edition.exercises(nb)
        rows.append(
            {
                "part": part,
                "file": path.stem,
                "path": path,
                "title": title,
                "objectives": _objectives(first),
                "minutes": _minutes(first),
                "exercises": [(e.label, e.title) for e in exercises],
                "exercise_kinds": load["exercise_kinds"],
                "seconds": times.get(path.name),
                **{k: v for k, v in load.items() if k != "exercise_kinds"},
                "estimate": estimate_minutes(load),
            }
        )
    return rows


def schedule(
    rows: list[dict], session: int = SESSION_MINUTES, slack: int = SESSION_SLACK
) -> list[dict]:
    """Pack the chapters, in order, into sessions of ``session`` minutes from their estimates.

    A part starts a new session (a part shorter than 15 minutes, such as the set-up chapter, joins
    the next one, or the last session if it is the last part); a chapter that does not fit in what
    is left of a session starts the next one; a chapter longer than ``session + slack`` minutes is
    cut into equal pieces, one per session (a session may run ``slack`` minutes over rather than
    cut a chapter into two half-empty sessions).
    Each session lists ``(title, minutes, note)`` pieces and the exercises of the chapters that
    end in it.
    """
    parts: list[tuple[str, list[dict]]] = []
    for r in rows:
        if not r["file"][:2].isdigit():
            continue  # reference pages are not chapters
        if parts and parts[-1][0] == r["part"]:
            parts[-1][1].append(r)
        else:
            parts.append((r["part"], [r]))
    sessions: list[dict] = []
    carry: list[dict] = []
    for part, chapters in parts:
        chapters = carry + chapters
        if sum(c["estimate"] for c in chapters) < 15:
            carry = chapters
            continue
        carry = []
        current = {"part": part, "pieces": [], "exercises": [], "used": 0}
        sessions.append(current)
        for c in chapters:
            n = math.ceil(c["estimate"] / (session + slack))
            sizes = [c["estimate"] // n + (k < c["estimate"] % n) for k in range(n)]
            for k, size in enumerate(sizes):
                if current["used"] + size > session + slack:
                    current = {"part": part, "pieces": [], "exercises": [], "used": 0}
                    sessions.append(current)
                note = "" if n == 1 else f"part {k + 1} of {n}"
                current["pieces"].append((c["title"], size, note))
                current["used"] += size
            current["exercises"] += [(c["title"], label, title) for label, title in c["exercises"]]
    if carry:  # a short last part joins the last session (or opens one)
        last = sessions[-1] if sessions else None
        for c in carry:
            if last is None or last["used"] + c["estimate"] > session + slack:
                last = {"part": c["part"], "pieces": [], "exercises": [], "used": 0}
                sessions.append(last)
            last["pieces"].append((c["title"], c["estimate"], ""))
            last["used"] += c["estimate"]
            last["exercises"] += [(c["title"], label, title) for label, title in c["exercises"]]
    return sessions


def retime(paths: list[Path] | None = None, check: bool = False) -> list[tuple[str, str, int]]:
    """Rewrite the "**Time:** about N minutes" line of each chapter's first cell from the
    estimate; return ``(file, old, new)`` for every line that changed (or would, with ``check``).

    Only the number changes, in the notebook's text as stored (no re-serialisation).
    """
    wanted = {r["path"]: r["estimate"] for r in chapter_rows()}
    changed = []
    for path in paths or list(wanted):
        path = Path(path).resolve()
        if path not in wanted:
            raise ValueError(f"{path} is not a chapter of _toc.yml")
        nb = nbformat.read(path, as_version=4)
        m = TIME_LINE.search(nb.cells[0].source)
        if not m:
            continue  # no Time line to rewrite (say so in the chapter's first cell to get one)
        old, new = m.group(2), str(wanted[path])
        if old == new:
            continue
        changed.append((path.name, old, int(new)))
        if not check:
            path.write_text(retime_text(path.read_text(), int(new)))
    return changed


def retime_text(text: str, minutes: int) -> str:
    """``text`` with its first "**Time:** about N minutes" changed to ``minutes`` (and only it)."""
    fixed, n = TIME_LINE.subn(lambda t: t.group(1) + str(minutes) + t.group(3), text, count=1)
    if n != 1:
        raise ValueError("no '**Time:** about N minutes' line to rewrite")
    return fixed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--retime", action="store_true", help="rewrite every chapter's Time line")
    ap.add_argument(
        "--check", action="store_true", help="with --retime: change nothing, exit 1 if out of date"
    )
    ap.add_argument("notebooks", nargs="*", type=Path, help="only these chapters (default: all)")
    args = ap.parse_args(argv)
    if args.retime:
        changed = retime(args.notebooks or None, check=args.check)
        for name, old, new in changed:
            print(f"{name}: {old} -> {new} minutes" + (" (out of date)" if args.check else ""))
        return 1 if (args.check and changed) else 0
    print(f"{'chapter':24} words cells(v/h) ex(c/d) stated estimate")
    for r in chapter_rows():
        print(
            f"{r['file']:24} {r['words']:5} {r['visible_cells']:3}/{r['hidden_cells']:<3}"
            f"    {r['computations']}/{r['derivations']}   {r['minutes']:>5} {r['estimate']:>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
