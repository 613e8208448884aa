"""The book's notebook conventions, in one place: used by the tests, by `sync`, and by `new`.

Every chapter notebook
1. is stored without outputs or execution counts;
2. has, as its first code cell, the install cell below (installs steerlens on Colab, does
   nothing where it is installed);
3. has a markdown "Run this chapter yourself" note with Colab / Binder / download links built
   from `repository.url` in `_config.yml` (the only place the URL is written by hand);
4. follows the page house style of CONTRIBUTING.md where a machine can check it:
   - every exercise solution is gated (```{solution-start}``` ... ```{solution-end}```), so its
     code and output sit inside the toggle: no ungated ```{solution}``` directive;
   - every code line is at most 80 characters (`CODE_WIDTH`);
   - every cell that writes prose with `display(Markdown(...))` is tagged `remove-input`;
   - the imports cell (the first code cell after the install cell) calls
     `sl.plot.use_book_style()`;
   - no font size below 9 pt (`fontsize=`, `labelsize=`, `titlesize=`).

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


def release_tag() -> str:
    """The git tag of the steerlens release this edition of the book is built with."""
    ns: dict = {}
    exec((Path(__file__).resolve().parents[1] / "steerlens" / "_version.py").read_text(), ns)
    return f"v{ns['__version__']}"


def install_cell_source() -> str:
    url, _ = repository()
    return (
        "# Installs the steerlens release this book was built with, where steerlens is\n"
        "# missing (Colab); does nothing where it is installed (Binder, a local clone).\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n\n"
        f'RELEASE = "git+{url}@{release_tag()}"\n'
        'if importlib.util.find_spec("steerlens") is None:\n'
        '    pip = [sys.executable, "-m", "pip", "install", "-q"]\n'
        '    subprocess.run([*pip, f"steerlens[notebooks] @ {RELEASE}"], check=True)\n'
        '    print("Installed steerlens. If an import below fails, restart the runtime "\n'
        '          "(Colab: Runtime > Restart session) and run all cells again.")'
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
        f"[download the notebook]({download}). These open the *notebook edition*: plain "
        f"Jupyter Markdown, exercises with checks that read your answers, solutions folded "
        f"(the rocket button at the top of the page opens it too). In a clone: `make notebooks`."
    )


def toc_files() -> list[str]:
    """Every page of the book as listed in _toc.yml (paths without suffix, root first)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files += [s["file"] for s in ch.get("sections", [])]
    return files


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
        out.append("the first code cell is not the standard install cell (see `install_cell_source()`; "
                   f"`python scripts/notebook_conventions.py sync book/{Path(path).name}` rewrites it)")
    notes = note_cells(nb)
    if len(notes) != 1:
        out.append(f"expected one 'Run this chapter yourself' note, found {len(notes)}")
    elif notes[0].source.strip() != launch_note(path):
        out.append("the 'Run this chapter yourself' links do not match _config.yml (run `python scripts/notebook_conventions.py sync`)")
    first = nb.cells[0].source.lstrip() if nb.cells else ""
    first = re.sub(r"^\([\w.-]+\)=\s*\n", "", first)
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not first.startswith("# "):
        out.append("the first cell must be a markdown cell starting with the chapter title ('# ...')")
    out += style_problems(nb)
    return out


# ------------------------------------------------------------------------------------------
# The page house style (CONTRIBUTING.md): the rules a machine can check in the notebook.
# ------------------------------------------------------------------------------------------
CODE_WIDTH = 80
SOLUTION = re.compile(r"```\{solution\}")
SOLUTION_START = re.compile(r"```\{solution-start\}")
SOLUTION_END = re.compile(r"```\{solution-end\}")
PROSE_CALL = re.compile(r"display\(\s*Markdown\(")
SMALL_FONT = re.compile(r"\b(fontsize|labelsize|titlesize)\s*=\s*(\d+(?:\.\d*)?)")
BOOK_STYLE = re.compile(r"\b(sl|steerlens)\.plot\.use_book_style\(\)")


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _first_line(cell) -> str:
    return (cell.source.strip().splitlines() or [""])[0][:60]


def imports_cell(nb):
    """The imports cell: the first code cell after the install cell that imports something."""
    codes = [c for c in nb.cells if c.cell_type == "code"]
    for c in codes[1:]:
        if re.search(r"^\s*(import|from)\s", c.source, re.M):
            return c
    return None


def solution_problems(nb) -> list[str]:
    """Ungated solutions (their code cells show output to every reader) and broken gates."""
    out, open_at = [], None
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        if SOLUTION.search(c.source):
            follows = i + 1 < len(nb.cells) and nb.cells[i + 1].cell_type == "code"
            out.append(
                f"cell {i}: an ungated ```{{solution}}``` directive"
                + (" followed by code cells (their output is visible before the toggle)" if follows else "")
                + ": use ```{solution-start}``` ... ```{solution-end}``` (CONTRIBUTING.md, Exercises)"
            )
        if SOLUTION_START.search(c.source):
            if open_at is not None:
                out.append(f"cell {i}: solution-start inside the gate opened at cell {open_at}")
            open_at = i
        if SOLUTION_END.search(c.source):
            if open_at is None:
                out.append(f"cell {i}: solution-end without a solution-start")
            if c.source.strip() != "```{solution-end}\n```":
                out.append(f"cell {i}: the solution-end cell must hold only the directive")
            open_at = None
    if open_at is not None:
        out.append(f"cell {open_at}: solution-start is never closed by a solution-end")
    return out


def style_problems(nb) -> list[str]:
    """The house-style rules of CONTRIBUTING.md that can be checked in the notebook."""
    out = solution_problems(nb)
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code" or 'find_spec("steerlens")' in c.source:
            continue  # the install cell is written by `sync` (and checked above)
        wide = [n for n, line in enumerate(c.source.splitlines(), 1) if len(line) > CODE_WIDTH]
        if wide:
            out.append(f"cell {i}: {len(wide)} line(s) over {CODE_WIDTH} characters (line {wide[0]}: "
                       f"{len(c.source.splitlines()[wide[0] - 1])}); run `ruff format --line-length 80`")
        if PROSE_CALL.search(c.source) and not _tags(c) & {"remove-input", "remove-cell"}:
            out.append(f"cell {i}: writes prose with display(Markdown(...)) but is not tagged "
                       f"remove-input ({_first_line(c)!r})")
        for m in SMALL_FONT.finditer(c.source):
            if float(m.group(2)) < 9:
                out.append(f"cell {i}: {m.group(0)} is below the house minimum of 9 pt")
    imports = imports_cell(nb)
    if imports is None:
        out.append("no imports cell (a code cell after the install cell that imports steerlens)")
    elif not BOOK_STYLE.search(imports.source):
        out.append("the imports cell does not call `sl.plot.use_book_style()`")
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
        code(install_cell_source(), metadata={"tags": ["hide-input"]}),
        code("import torch\n\nimport steerlens as sl\n\nsl.plot.use_book_style()\ntorch.manual_seed(0)",
             metadata={"tags": ["hide-input"]}),
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
