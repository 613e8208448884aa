"""The book's notebook conventions, in one place: used by the tests, by `sync`, and by `new`.

Every chapter notebook
1. is stored without outputs or execution counts;
2. has, as its first code cell, the install cell below (installs steerlens on Colab, does
   nothing where it is installed);
3. has a markdown "Run this chapter yourself" note with Colab / Binder / download links built
   from `repository.url` in `_config.yml` (the only place the URL is written by hand).

Usage:
  python scripts/notebook_conventions.py sync            # rewrite every note from _config.yml
  python scripts/notebook_conventions.py strip [NB ...]  # remove outputs (every notebook, or those named)
  python scripts/notebook_conventions.py new book/NN_name.ipynb "Chapter title"
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTE_PREFIX = "> **Run this chapter yourself:**"


def repository() -> tuple[str, str]:
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = cfg["repository"]["url"].rstrip("/")
    return url, cfg["repository"].get("branch", "main")


def _slug(url: str) -> str:
    m = re.match(r"https://github\.com/([^/]+/[^/]+)$", url)
    if not m:
        raise ValueError(f"repository.url must be a https://github.com/OWNER/REPO URL, got {url!r}")
    return m.group(1)


def install_cell_source() -> str:
    url, branch = repository()
    return (
        "# Installs steerlens when it is missing (Colab); does nothing where it is installed.\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n\n"
        'if importlib.util.find_spec("steerlens") is None:\n'
        "    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"-q\",\n"
        f"                    \"steerlens @ git+{url}@{branch}\"], check=True)"
    )


def launch_note(nb_path: Path | str) -> str:
    url, branch = repository()
    slug = _slug(url)
    rel = Path(nb_path).resolve().relative_to(ROOT).as_posix()
    colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{rel}"
    binder = f"https://mybinder.org/v2/gh/{slug}/{branch}?labpath={quote(rel, safe='')}"
    download = f"{url}/raw/{branch}/{rel}"
    return (
        f"{NOTE_PREFIX} [open in Colab]({colab}) · [launch on Binder]({binder}) · "
        f"[download the notebook]({download}) (or use the rocket and download buttons at "
        f"the top of the page). Locally: `make book` in a clone, or open this file in Jupyter."
    )


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("*.ipynb"))


def first_code_cell(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell.source
    return None


def note_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith(NOTE_PREFIX)]


def problems(path: Path) -> list[str]:
    """Every convention this notebook breaks (empty when it follows them all)."""
    nb = nbformat.read(path, as_version=4)
    out = []
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    if dirty:
        out.append(f"code cells {dirty} carry outputs or execution counts (run `python scripts/notebook_conventions.py strip`)")
    if first_code_cell(nb) != install_cell_source():
        out.append("the first code cell is not the standard install cell (see `install_cell_source()`)")
    notes = note_cells(nb)
    if len(notes) != 1:
        out.append(f"expected one 'Run this chapter yourself' note, found {len(notes)}")
    elif notes[0].source.strip() != launch_note(path):
        out.append("the 'Run this chapter yourself' links do not match _config.yml (run `python scripts/notebook_conventions.py sync`)")
    first = nb.cells[0].source.lstrip() if nb.cells else ""
    first = re.sub(r"^\([\w.-]+\)=\s*\n", "", first)
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not first.startswith("# "):
        out.append("the first cell must be a markdown cell starting with the chapter title ('# ...')")
    return out


def strip(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
            c.metadata.pop("execution", None)
    nbformat.write(nb, path)


def sync(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for c in note_cells(nb):
        c.source = launch_note(path)
    for c in nb.cells:
        if c.cell_type == "code":
            if "find_spec(\"steerlens\")" in c.source:
                c.source = install_cell_source()
            break
    nbformat.write(nb, path)


def new(path: Path, title: str) -> None:
    if path.exists():
        sys.exit(f"{path} exists")
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        md(f"# {title}\n\n**You will be able to:** ...\n\n**Time:** about N minutes."),
        md(launch_note(path)),
        code(install_cell_source()),
        code("import steerlens as sl\nimport torch\n\ntorch.manual_seed(0)"),
        md("## Summary\n\n- ...\n\n## References\n\n```{bibliography}\n:filter: docname in docnames\n```"),
    ]
    nbformat.write(nb, path)
    print(f"wrote {path}; add it to _toc.yml")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd in ("sync", "strip"):
        named = [Path(a).resolve() for a in sys.argv[2:]]
        for p in named or chapter_notebooks():
            (sync if cmd == "sync" else strip)(p)
            print(f"{cmd}: {p.relative_to(ROOT)}")
    elif cmd == "new" and len(sys.argv) == 4:
        new(ROOT / sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
