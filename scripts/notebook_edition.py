"""Write the notebook edition of the book: every chapter in plain Jupyter Markdown.

The chapters in book/ are written for Jupyter Book (MyST: ```{exercise}``` boxes, gated
solutions, {cite:p}`...` citations, {ref}`...` cross-references, hide-input tags). Colab,
JupyterLab and VS Code show those as raw text. This script rewrites each chapter so it reads
cleanly there:

- an exercise becomes a marked box (a quoted block headed "Exercise N.k (kind): title");
  after the student's starter cell it inserts a check cell, ``sl.exercises.check("label")``,
  which reads the student's own variables and says what is right or wrong;
- a solution (solution-start ... solution-end: the explanation and its code) becomes one
  folded ``<details>`` cell, the code shown as text (it does not run in this edition);
- a dropdown admonition (the answers to "Think about it") becomes a ``<details>`` cell;
  other admonitions become quoted blocks;
- citations become "(Author, year)" linked to the online bibliography, cross-references and
  glossary terms links to the online pages, equation labels and targets are dropped, and a
  chapter's cited works are listed at its end;
- the "Run this chapter yourself" note becomes a note about this edition; hide-input and
  remove-input cells are collapsed in JupyterLab (``jupyter.source_hidden``).

Nothing MyST-specific is left: `myst_left(nb)` finds any leftover, and the tests fail on one.
The student edition (scripts/student_edition.py) is built from this edition.

Every link derives from ``repository.url`` in _config.yml (the site is its GitHub Pages
address). Outputs go to _build/notebooks/ (outside the source tree).

Usage: python scripts/notebook_edition.py [--out DIR] [--publish DIR]
  --publish DIR  also lay out the tree the Pages workflow pushes to the `notebooks` branch:
                 book/ (this edition, at the paths the launch links use), student/,
                 requirements.txt (Binder installs the matching steerlens release), README.md
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import notebook_conventions as conv  # noqa: E402

DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<arg>[^\n]*)$", re.M)
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<body>[^`]+)`")
TARGET = re.compile(r"^\([\w.-]+\)=[ \t]*\n?", re.M)
EQ_LABEL = re.compile(r"(\$\$)[ \t]*\([\w.-]+\)[ \t]*$", re.M)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>[^\n]*)$")
SOLUTION_START = re.compile(r"```\{solution-start\}\s*(?P<label>[\w.-]+)")
SOLUTION_END = re.compile(r"```\{solution-end\}")
EXERCISE_LABEL = re.compile(r"```\{exercise\}[^\n]*\n(?::[\w-]+:[^\n]*\n)*?:label:\s*(?P<label>[\w.-]+)")

# what counts as MyST left over in a Markdown cell of the edition
MYST_LEFT = [
    ("a directive", re.compile(r"^\s*(`{3,}|:{3,})\{[\w-]+\}", re.M)),
    ("a role", re.compile(r"\{[\w:-]+\}`[^`]*`")),
    ("a target", re.compile(r"^\([\w.-]+\)=\s*$", re.M)),
    ("a directive option", re.compile(r"^\s*:(label|class|filter|name|width|align):", re.M)),
    ("an equation label", re.compile(r"\$\$[ \t]*\([\w.-]+\)[ \t]*$", re.M)),
]

ADMONITION_TITLES = {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important",
                     "hint": "Hint", "caution": "Caution", "seealso": "See also", "margin": "Aside"}


# ------------------------------------------------------------------------------------------
# Links: the site, the bibliography, cross-reference targets
# ------------------------------------------------------------------------------------------
def site_url() -> str:
    """The book's GitHub Pages address, from repository.url (https://OWNER.github.io/REPO/)."""
    url, _ = conv.repository()
    owner, repo = conv._slug(url).split("/")
    return f"https://{owner.lower()}.github.io/{repo}/"


def page_url(doc: str, anchor: str | None = None) -> str:
    return f"{site_url()}{doc}.html" + (f"#{anchor}" if anchor else "")


def _make_id(text: str) -> str:
    """Sphinx's id for a label or a term (lower case, runs of other characters → '-')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=1)
def targets() -> dict[str, tuple[str, str]]:
    """label → (doc, title of the section it precedes), for every `(label)=` in the book."""
    out = {}
    sources = [(p, nbformat.read(p, as_version=4).cells) for p in sorted((ROOT / "book").glob("*.ipynb"))]
    sources += [(p, [nbformat.v4.new_markdown_cell(p.read_text())]) for p in sorted((ROOT / "book").glob("*.md"))]
    for path, cells in sources:
        doc = path.relative_to(ROOT).with_suffix("").as_posix()
        for cell in cells:
            if cell.cell_type != "markdown":
                continue
            for m in re.finditer(r"^\((?P<label>[\w.-]+)\)=[ \t]*\n+(?:#+\s*(?P<title>[^\n]+))?", cell.source, re.M):
                out[m.group("label")] = (doc, (m.group("title") or m.group("label")).strip())
    return out


def doc_title(doc: str) -> str:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{doc}{suffix}"
        if path.exists():
            text = (nbformat.read(path, as_version=4).cells[0].source if suffix == ".ipynb"
                    else path.read_text())
            m = re.search(r"^#\s+(.+)$", text, re.M)
            return m.group(1).strip() if m else doc
    raise ValueError(f"{{doc}} target {doc!r} does not exist")


@lru_cache(maxsize=1)
def bibliography() -> dict[str, dict]:
    """key → {"authors": [last names], "year", "title", "link", "venue"} from references.bib."""
    from pybtex.database import parse_file
    from pybtex.richtext import Text

    def plain(s: str) -> str:
        return Text.from_latex(s).render_as("text").replace("{", "").replace("}", "")

    out = {}
    for key, entry in parse_file(ROOT / "book" / "references.bib").entries.items():
        f = entry.fields
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        link = (f"https://doi.org/{f['doi']}" if "doi" in f else f.get("url", ""))
        venue = f.get("journal") or f.get("booktitle") or f.get("publisher") or f.get("howpublished", "")
        out[key] = {
            "authors": [plain(" ".join(p.prelast_names + p.last_names)) for p in persons],
            "year": f.get("year", "n.d."),
            "title": plain(f.get("title", key)),
            "venue": plain(venue),
            "link": link,
        }
    return out


def _authors_short(authors: list[str], sep: str = "&") -> str:
    if len(authors) >= 3:
        return f"{authors[0]} et al."
    if len(authors) == 2:
        return f"{authors[0]} {sep} {authors[1]}"
    return authors[0] if authors else "Anonymous"


def cite(keys: str, textual: bool) -> str:
    bib, link = bibliography(), page_url("book/bibliography")
    parts = []
    for key in [k.strip() for k in keys.split(",") if k.strip()]:
        if key not in bib:
            raise ValueError(f"citation key {key!r} is not in book/references.bib")
        e = bib[key]
        if textual:
            parts.append(f"[{_authors_short(e['authors'], 'and')} ({e['year']})]({link})")
        else:
            parts.append(f"[{_authors_short(e['authors'])}, {e['year']}]({link})")
    return "; ".join(parts) if textual else f"({'; '.join(parts)})"


def _text_and_target(body: str) -> tuple[str | None, str]:
    m = re.fullmatch(r"(?P<text>.*?)\s*<(?P<target>[^<>]+)>", body.strip(), re.S)
    return (m.group("text"), m.group("target")) if m else (None, body.strip())


def convert_role(role: str, body: str, doc: str) -> str:
    if role in ("cite:p", "cite", "cite:ps"):
        return cite(body, textual=False)
    if role in ("cite:t", "cite:ts"):
        return cite(body, textual=True)
    text, target = _text_and_target(body)
    if role in ("ref", "numref"):
        if target not in targets():
            raise ValueError(f"{{ref}} target {target!r} is not defined anywhere in the book")
        tdoc, title = targets()[target]
        anchor = None if re.fullmatch(r"ch-\d+", target) else _make_id(target)
        return f"[{text or title}]({page_url(tdoc, anchor)})"
    if role == "term":
        return f"[{text or target}]({page_url('book/glossary', 'term-' + _make_id(target))})"
    if role == "doc":
        base = Path(doc).parent
        tdoc = target.lstrip("/") if target.startswith("/") else (base / target).as_posix()
        return f"[{text or doc_title(tdoc)}]({page_url(tdoc)})"
    if role in ("math", "eq"):
        return f"${body}$" if role == "math" else body
    if role in ("sub", "sup", "abbr", "code", "kbd", "guilabel"):
        return text or target
    raise ValueError(f"role {{{role}}} has no plain-Markdown form in scripts/notebook_edition.py")


def convert_roles(text: str, doc: str) -> str:
    return ROLE.sub(lambda m: convert_role(m.group("role"), m.group("body"), doc), text)


# ------------------------------------------------------------------------------------------
# Directives
# ------------------------------------------------------------------------------------------
def _split_directive(text: str):
    """First directive in ``text``: (start, end, name, argument, options, body) or None."""
    m = DIRECTIVE.search(text)
    if not m:
        return None
    fence = m.group("fence")
    lines = text[m.end():].split("\n")[1:]
    options, body, i = {}, [], 0
    while i < len(lines) and OPTION.match(lines[i]):
        o = OPTION.match(lines[i])
        options[o.group("key")] = o.group("value").strip()
        i += 1
    depth_close = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    consumed = None
    for j in range(i, len(lines)):
        if depth_close.match(lines[j]):
            consumed = j
            break
        body.append(lines[j])
    if consumed is None:  # unclosed: runs to the end of the cell (MyST does the same)
        consumed = len(lines)
    end = m.end() + 1 + sum(len(line) + 1 for line in lines[: consumed + 1])
    return m.start(), min(end, len(text)), m.group("name"), m.group("arg").strip(), options, "\n".join(body).strip("\n")


def quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


def details(summary: str, body: str) -> str:
    return f"<details>\n<summary><b>{summary}</b></summary>\n\n{body.strip()}\n\n</details>"


def convert_directives(text: str, doc: str, numbering: dict[str, tuple[str, str]]) -> str:
    out = []
    while True:
        found = _split_directive(text)
        if not found:
            out.append(text)
            break
        start, end, name, arg, options, body = found
        out.append(text[:start])
        body = convert_directives(body, doc, numbering)
        if name == "exercise":
            label = options.get("label", "")
            number, kind = numbering.get(label, ("", "exercise"))
            head = f"**✏️ Exercise {number} ({kind}): {arg}**" if number else f"**✏️ Exercise: {arg}**"
            out.append(quote(f"{head}\n\n{body}\n\n*Write your answer in the cell below, then run "
                             f"the check cell after it.*"))
        elif "dropdown" in options.get("class", "").split() or name == "dropdown":
            out.append(details(arg or ADMONITION_TITLES.get(name, "Details"), body))
        elif name in ("bibliography", "glossary", "tableofcontents"):
            out.append("")
        elif name in ("math",):
            out.append(f"$$\n{body}\n$$")
        elif name in ("code", "code-block", "code-cell"):
            out.append(f"```{arg or 'python'}\n{body}\n```")
        else:
            title = arg if name == "admonition" else ADMONITION_TITLES.get(name, name.replace("-", " ").title())
            if name != "admonition" and arg:
                title = f"{title}: {arg}"
            out.append(quote(f"**{title}**\n\n{body}"))
        text = text[end:]
    return "".join(out)


REFERENCES = re.compile(r"^(?P<head>#+ References)\s*\n+\{cite:[pt]\}`(?P<keys>[^`]+)`[ \t]*$", re.M)


def convert_markdown(text: str, doc: str, numbering: dict[str, tuple[str, str]]) -> str:
    # a chapter's "References" section (a bare citation of its works) becomes the list of works
    text = REFERENCES.sub(lambda m: f"{m.group('head')}\n\n" + reference_list(m.group("keys").split(",")), text)
    text = TARGET.sub("", text)
    text = EQ_LABEL.sub(r"\1", text)
    text = convert_directives(text, doc, numbering)
    return convert_roles(text, doc)


# ------------------------------------------------------------------------------------------
# Notebooks
# ------------------------------------------------------------------------------------------
def exercise_numbering(nb) -> dict[str, tuple[str, str]]:
    """label → ("chapter.k", kind), from steerlens.exercises where registered."""
    from steerlens.exercises import EXERCISES

    labels = [m.group("label") for c in nb.cells if c.cell_type == "markdown"
              for m in EXERCISE_LABEL.finditer(c.source)]
    out = {}
    for k, label in enumerate(labels, 1):
        ex = EXERCISES.get(label)
        chapter = int(label.split("-")[1]) if re.match(r"ex-\d+-", label) else 0
        out[label] = (ex.number, ex.kind) if ex else (f"{chapter}.{k}", "exercise")
    return out


def check_cell(label: str):
    cell = nbformat.v4.new_code_cell(
        f'# Run this cell to check your answer (it reads your variables).\nsl.exercises.check("{label}")')
    cell.metadata["tags"] = ["exercise-check"]
    return cell


def edition_note(path: Path) -> str:
    doc = path.relative_to(ROOT).with_suffix("").as_posix()
    return (f"> **Notebook edition** of [this chapter of *Through a Steerable Lens*]({page_url(doc)}) "
            f"(the website has the same text with every figure and solution already run). Work "
            f"top to bottom: each exercise has a cell for your answer and, below it, a check "
            f"cell that reads your variables and says what is right or wrong. Solutions are "
            f"folded under **Solution**; open one after you have tried.")


def notebook_edition(path: Path):
    """The notebook edition of one chapter (a new notebook; the source is not touched)."""
    return convert_notebook(nbformat.read(path, as_version=4), path)


def convert_notebook(nb, path: Path):
    """The notebook edition of ``nb``, a chapter whose source is ``path`` (for its links)."""
    doc = path.relative_to(ROOT).with_suffix("").as_posix()
    numbering = exercise_numbering(nb)
    cells, cited = [], []
    i = 0
    pending_check = None  # the exercise whose starter cells we are in
    while i < len(nb.cells):
        cell = nb.cells[i]
        src = cell.source
        if cell.cell_type == "markdown":
            for m in ROLE.finditer(src):
                if m.group("role").startswith("cite"):
                    cited += [k.strip() for k in m.group("body").split(",")]
            start = SOLUTION_START.search(src)
            if start:
                label = start.group("label")
                block = [cell]
                j = i + 1
                while j < len(nb.cells) and not (nb.cells[j].cell_type == "markdown"
                                                 and SOLUTION_END.search(nb.cells[j].source)):
                    block.append(nb.cells[j])
                    j += 1
                if j == len(nb.cells):
                    raise ValueError(f"{path.name}: solution {label!r} has no solution-end")
                if pending_check:
                    cells.append(check_cell(pending_check))
                pending_check = None
                cells.append(solution_cell(block, label, doc, numbering))
                i = j + 1
                continue
            if src.lstrip().startswith(conv.NOTE_PREFIX):
                cells.append(nbformat.v4.new_markdown_cell(edition_note(path)))
                i += 1
                continue
            if pending_check:  # an exercise with no solution: still give it its check cell
                cells.append(check_cell(pending_check))
                pending_check = None
            ex = EXERCISE_LABEL.search(src)
            new = nbformat.v4.new_markdown_cell(convert_markdown(src, doc, numbering))
            if ex:
                pending_check = ex.group("label")
                new.metadata["exercise"] = pending_check
            cells.append(new)
        else:
            new = nbformat.v4.new_code_cell(src)
            tags = list(cell.metadata.get("tags", []))
            if tags:
                new.metadata["tags"] = tags
            if {"hide-input", "remove-input", "remove-cell"} & set(tags):
                new.metadata["jupyter"] = {"source_hidden": True}
            cells.append(new)
        i += 1
    if pending_check:
        cells.append(check_cell(pending_check))
    for c in cells:
        c.metadata.pop("exercise", None)
    refs = references(cited, nb.cells)
    if refs:
        cells.append(nbformat.v4.new_markdown_cell(refs))
    out = nbformat.v4.new_notebook()
    out.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out.metadata["language_info"] = {"name": "python"}
    out.cells = cells
    return out


def solution_cell(block: list, label: str, doc: str, numbering) -> nbformat.NotebookNode:
    first = SOLUTION_START.sub("", block[0].source, count=1)
    first = re.sub(r"^\s*(:[\w-]+:[^\n]*\n)*\s*```[ \t]*\n?", "", first.lstrip("\n"), count=1)
    parts = [convert_markdown(first.strip(), doc, numbering)] if first.strip() else []
    for c in block[1:]:
        if c.cell_type == "markdown":
            parts.append(convert_markdown(c.source, doc, numbering))
        else:
            parts.append(f"```python\n{c.source.rstrip()}\n```")
    number = numbering.get(label, ("", ""))[0]
    cell = nbformat.v4.new_markdown_cell(details(f"Solution to exercise {number}", "\n\n".join(parts)))
    cell.metadata["tags"] = ["solution"]
    return cell


def reference_list(keys: list[str]) -> str:
    """The works ``keys``, one line each (authors, year, linked title, venue), sorted."""
    bib, seen, lines = bibliography(), set(), []
    for key in (k.strip() for k in keys):
        if key in seen:
            continue
        if key not in bib:
            raise ValueError(f"citation key {key!r} is not in book/references.bib")
        seen.add(key)
        e = bib[key]
        names = e["authors"]
        authors = ", ".join(names[:-1]) + f" & {names[-1]}" if len(names) > 1 else "".join(names)
        title = f"[{e['title']}]({e['link']})" if e["link"] else e["title"]
        venue = f" *{e['venue']}*." if e["venue"] else ""
        lines.append(f"- {authors} ({e['year']}). {title}.{venue}")
    lines.sort()
    return ("\n".join(lines) + f"\n\nThe full list: [the book's bibliography]"
            f"({page_url('book/bibliography')}).")


def references(keys: list[str], cells) -> str:
    """A "Works cited" cell for a chapter without a References section of its own."""
    if not keys or any(c.cell_type == "markdown" and REFERENCES.search(c.source) for c in cells):
        return ""
    return "### Works cited in this chapter\n\n" + reference_list(keys)


def myst_left(nb) -> list[str]:
    """Every piece of MyST syntax left in a Markdown cell (empty when the edition is clean)."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = re.sub(r"```python\n.*?\n```", "", cell.source, flags=re.S)  # solution code shown as text
        for what, pattern in MYST_LEFT:
            m = pattern.search(text)
            if m:
                out.append(f"cell {i}: {what} left: {m.group(0).strip()[:60]!r}")
    return out


def write_notebook_edition(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in conv.chapter_notebooks():
        nb = notebook_edition(src)
        left = myst_left(nb)
        if left:
            raise ValueError(f"{src.name}: MyST left in the notebook edition: {left[:3]}")
        nbformat.validate(nb)
        nbformat.write(nb, out / src.name)
        written.append(out / src.name)
    return written


def binder_requirements() -> str:
    """Binder's requirements.txt for the `notebooks` branch: CPU-only torch (Binder has no GPU;
    the default wheels carry gigabytes of CUDA), then the steerlens release the book was built
    with, as environment.yml does for the repository."""
    url, _ = conv.repository()
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        m = re.match(r"^(torch|torchvision)==([\w.]+)", line.strip())
        if m:
            pins[m.group(1)] = m.group(2)
    lines = ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    lines += [f"{name}=={pins[name]}+cpu" for name in ("torch", "torchvision") if name in pins]
    lines.append(f"steerlens[notebooks] @ git+{url}@{conv.release_tag()}")
    return "\n".join(lines) + "\n"


def publish(tree: Path, notebooks: Path, student: Path) -> None:
    """Lay out the `notebooks` branch: book/ and student/ editions, Binder's requirements."""
    url, _ = conv.repository()
    if tree.exists():
        shutil.rmtree(tree)
    (tree / "book").mkdir(parents=True)
    for p in notebooks.glob("*.ipynb"):
        shutil.copy2(p, tree / "book" / p.name)
    if student.exists():
        shutil.copytree(student, tree / "student")
    (tree / "requirements.txt").write_text(binder_requirements())
    (tree / "README.md").write_text(
        f"# Through a Steerable Lens: the notebook edition\n\n"
        f"Generated by `make notebooks` from {url} ({conv.release_tag()}); do not edit here.\n\n"
        f"- `book/`: every chapter in plain Jupyter Markdown, solutions folded, exercise checks.\n"
        f"- `student/`: the same without solutions (for courses).\n"
        f"- The website: {site_url()}\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks")
    p.add_argument("--publish", type=Path, default=None)
    args = p.parse_args()
    written = write_notebook_edition(args.out)
    print(f"Notebook edition: {len(written)} notebooks in {args.out}")
    if args.publish:
        publish(args.publish, args.out, ROOT / "_build" / "student")
        print(f"Published tree for the `notebooks` branch in {args.publish}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
