"""Tables for the instructor guide, read from the chapters themselves (never typed by hand).

- `chapter_rows()`: every chapter in `_toc.yml` order with its title, learning objectives, the
  reading time it states, its exercises, and its measured execution time (from the Jupyter cache
  of the last book build).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

import student_edition  # noqa: E402  (same folder)


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
    m = re.search(r"\*\*Time:\*\*\s*about\s*(\d+)\s*minutes", text)
    return m.group(1) if m else "?"


def chapter_rows() -> list[dict]:
    times = execution_seconds()
    rows = []
    for part, path in toc_chapters():
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0].source
        title = next((ln[2:].strip() for ln in first.splitlines() if ln.startswith("# ")), path.stem)
        rows.append({
            "part": part,
            "file": path.stem,
            "title": title,
            "objectives": _objectives(first),
            "minutes": _minutes(first),
            "exercises": [(e.label, e.title) for e in student_edition.exercises(nb)],
            "seconds": times.get(path.name),
        })
    return rows
