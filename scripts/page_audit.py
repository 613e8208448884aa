"""The rendered-page gate: what a reader sees, checked in headless Chromium.

Every page of the built book is opened at a 1280×900 window, after MathJax has typeset and the
widget renderer has run, and checked for seven defect classes (``CHECKS``; each check is a plain
function of a Playwright page that returns the offending snippets, empty when the page is clean):

raw_markup
    Raw Markdown / MyST / LaTeX in rendered text: a text node outside code, ``pre``, ``kbd``,
    scripts, styles and typeset math (``mjx-container``, ``.math``) that holds a ``$``, a LaTeX
    command (``\\alpha``), a pipe-table row (``|---|``, ``|—|``, ``|:--``, a line that starts and
    ends with ``|``), ``{cite``, ``{ref``, ``{doc``, ````` ```{ `````, ``**`` or ``:cite:``.
overflow
    A ``pre``, ``div.highlight``, cell output or table (or the table's scrolling container) whose
    scroll width exceeds its client width at 1280 px (a horizontal scrollbar: the reader loses the
    right-hand columns), and any element that reaches past the article column.
visible_answers
    An exercise solution (sphinx-exercise, ``div.solution``, a dropdown) must be collapsed with
    nothing of it visible before its toggle is clicked, and must show its content (explanation,
    code cells and outputs) after the click. A code cell right after a solution, outside its
    container (the old ``{solution}`` + hidden-input cell form), shows its output to every reader:
    that is a defect too.
empty_widgets
    A cell output holding an ipywidgets view that renders with (about) zero height or no content.
illegible_figures
    The legibility rule. Figures are made in the house style (``sl.plot.use_book_style()``):
    100 dpi and fonts of at least 9 pt, so 9-pt text is 12.5 px in the PNG. Every ``img`` in a
    cell output must be shown at **at least 72 % of its natural width** (rendered width /
    ``naturalWidth`` ≥ 0.72), which keeps that text at ≥ 9 CSS px on the page. A pixel-art frame
    (``image-rendering: pixelated``, the scrubbers' frames) must be shown at **at least its natural
    size**: shrinking pixel art drops pixels.
duplicated_prose
    A visible code input that contains ``Markdown(``: the reader reads the f-string and then the
    same paragraph rendered. (The notebook side, a cell calling ``display(Markdown(`` that is not
    tagged ``remove-input``, is ``notebook_duplicated_prose``.)
blank_interactives
    A static scrubber (``.sl-scrubber``) that opens on frame 0 while its label says α = 0: the
    source and a blank change panel.

Usage: python scripts/page_audit.py [--html DIR] [--rev REV] [PAGES ...]
       prints one row per page (defect counts per class, ``--details`` for the snippets) and,
       per chapter notebook, the visible code lines (code cells without hide-input, remove-input
       or remove-cell, outside gated solutions) of the working tree and of git revision REV.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import ARGS, HTML, select_pages, wait_until_rendered  # noqa: E402

WIDTH, HEIGHT = 1280, 900
MIN_SCALE = 0.72  # rendered / natural width of a figure (9 pt at 100 dpi -> >= 9 CSS px)
ARTICLE = "article.bd-article"

# --------------------------------------------------------------------------------------------
# a. raw markup
# --------------------------------------------------------------------------------------------
RAW_PATTERNS = [
    ("$", re.compile(r"\$")),
    ("LaTeX command", re.compile(r"\\[A-Za-z]+")),
    ("table row", re.compile(r"\|\s*:?-{2,}|\|\s*—\s*\||\|:--|^\s*\|.*\|\s*$", re.M)),
    ("{cite", re.compile(r"\{cite")),
    ("{ref", re.compile(r"\{ref")),
    ("{doc", re.compile(r"\{doc")),
    ("```{", re.compile(r"```\{")),
    ("**", re.compile(r"\*\*")),
    (":cite:", re.compile(r":cite:")),
]

_TEXT_JS = r"""(sel) => {
  const root = document.querySelector(sel) || document.body;
  // code, typeset math, and Python signatures of the API page (`**kwargs` is Python there)
  const skip = 'code, pre, kbd, samp, script, style, textarea, mjx-container, .math, .MathJax, ' +
               'mjx-assistive-mml, .highlight, .sl-label, .sig, dl.field-list strong';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const blocks = new Map();
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    // Group the text by its nearest block, so a formula split over nodes is seen whole.
    const block = el.closest('p, li, td, th, dt, dd, h1, h2, h3, h4, h5, h6, figcaption, caption, div') || el;
    blocks.set(block, (blocks.get(block) || '') + n.textContent);
  }
  return Array.from(blocks.values());
}"""


def raw_markup(page) -> list[str]:
    """Snippets of rendered text (outside code and typeset math) that hold raw markup."""
    out = []
    for text in page.evaluate(_TEXT_JS, ARTICLE):
        for name, pattern in RAW_PATTERNS:
            m = pattern.search(text)
            if m:
                lo, hi = max(0, m.start() - 40), min(len(text), m.end() + 40)
                snippet = " ".join(text[lo:hi].split())
                out.append(f"[{name}] …{snippet}…")
                break
    return out


# --------------------------------------------------------------------------------------------
# b. overflow
# --------------------------------------------------------------------------------------------
_OVERFLOW_JS = r"""(sel) => {
  const article = document.querySelector(sel) || document.body;
  const out = [];
  const describe = (el) => {
    const t = (el.innerText || el.textContent || '').trim().split('\n')
      .reduce((a, b) => (b.length > a.length ? b : a), '');
    return t.slice(0, 100);
  };
  // Measure what a reader sees once every toggle is open: collapsed code ("Show code cell
  // source") and closed solutions count too. The page is put back as it was afterwards.
  const closed = Array.from(article.querySelectorAll('details:not([open])'));
  const hidden = Array.from(article.querySelectorAll('.toggle-hidden'));
  closed.forEach((d) => { d.open = true; });
  hidden.forEach((e) => e.classList.remove('toggle-hidden'));
  const boxes = article.querySelectorAll(
    'pre, div.highlight, .cell_output, table, .pst-scrollable-table-container, .table-wrapper');
  for (const el of boxes) {
    if (!el.clientWidth) continue;  // not rendered (e.g. inside a closed toggle)
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(`${el.tagName.toLowerCase()}.${(el.className || '').toString().split(' ')[0]}` +
               ` scrolls ${el.scrollWidth}px > ${el.clientWidth}px: ${describe(el)}`);
    }
  }
  const cs = getComputedStyle(article);
  const a = article.getBoundingClientRect();
  const right = a.right - parseFloat(cs.paddingRight) + 1;
  const clips = (el) => {
    for (let p = el.parentElement; p && p !== article; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== 'visible') return true;
    }
    return false;
  };
  const reported = [];
  for (const el of article.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || r.right <= right) continue;
    if (clips(el)) continue;
    if (reported.some((p) => p.contains(el))) continue;
    reported.push(el);
    out.push(`${el.tagName.toLowerCase()}.${(el.className || '').toString().split(' ')[0]}` +
             ` reaches ${Math.round(r.right - right)}px past the column: ${describe(el)}`);
  }
  closed.forEach((d) => { d.open = false; });
  hidden.forEach((e) => e.classList.add('toggle-hidden'));
  return out;
}"""


def overflow(page) -> list[str]:
    """Code, outputs and tables with a horizontal scrollbar; elements wider than the column."""
    return page.evaluate(_OVERFLOW_JS, ARTICLE)


# --------------------------------------------------------------------------------------------
# c. visible answers
# --------------------------------------------------------------------------------------------
_SOLUTION_STATE_JS = r"""(el) => {
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 &&
      e.checkVisibility({contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true});
  };
  const title = el.querySelector(':scope > .admonition-title');
  const content = Array.from(el.children).filter((c) => c !== title);
  const visible = [];
  const all = [];
  for (const c of content) {
    for (const e of [c, ...c.querySelectorAll('*')]) {
      const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      const media = ['IMG', 'svg', 'CANVAS', 'PRE', 'TABLE'].includes(e.tagName);
      if (!own && !media) continue;
      all.push(e);
      if (shown(e)) visible.push((e.innerText || e.textContent || e.tagName).trim().slice(0, 80));
    }
  }
  const cells = el.querySelectorAll('.cell').length;
  const visibleCells = Array.from(el.querySelectorAll('.cell_input, .cell_output')).filter(shown).length;
  return {visible: visible, total: all.length, cells: cells, visibleCells: visibleCells,
          title: title ? title.innerText.trim().slice(0, 80) : el.id};
}"""

_AFTER_SOLUTION_JS = r"""(el) => {
  // cells that directly follow a solution container: the old, ungated form
  const out = [];
  for (let s = el.nextElementSibling; s && s.classList.contains('cell'); s = s.nextElementSibling) {
    const o = s.querySelector('.cell_output');
    const r = o ? o.getBoundingClientRect() : null;
    const text = (o ? o.innerText : s.innerText || '').trim().split('\n')[0].slice(0, 80);
    out.push({visible: !!(r && r.height > 0 && o.checkVisibility()), text: text});
  }
  return out;
}"""


def visible_answers(page) -> list[str]:
    """Solutions that show anything before their toggle is clicked, or nothing after.

    Clicks every solution's toggle: run it after the checks that read the page as it opens.
    """
    out = []
    solutions = page.locator(f"{ARTICLE} div.solution")
    for i in range(solutions.count()):
        sol = solutions.nth(i)
        state = sol.evaluate(_SOLUTION_STATE_JS)
        name = state["title"]
        if state["visible"]:
            out.append(f"{name}: visible before it is opened: {state['visible'][0]!r}")
        for cell in sol.evaluate(_AFTER_SOLUTION_JS):
            if cell["visible"]:
                out.append(f"{name}: a solution cell outside the toggle shows its output: {cell['text']!r}")
        toggle = None
        for selector in (".toggle-button", "summary", ":scope > .admonition-title"):
            if sol.locator(selector).count():
                toggle = sol.locator(selector).first
                break
        if toggle is None:
            out.append(f"{name}: no toggle")
            continue
        try:
            toggle.click(timeout=3000)
        except Exception as exc:  # noqa: BLE001 - reported as a defect
            out.append(f"{name}: its toggle cannot be clicked ({type(exc).__name__})")
            continue
        page.wait_for_timeout(150)
        opened = sol.evaluate(_SOLUTION_STATE_JS)
        if opened["total"] == 0 and opened["cells"] == 0:
            out.append(f"{name}: opens on an empty box")
        elif len(opened["visible"]) == 0:
            out.append(f"{name}: nothing visible after its toggle is clicked")
        elif opened["cells"] and opened["visibleCells"] == 0:
            out.append(f"{name}: its code cells stay hidden after the toggle is clicked")
    return out


# --------------------------------------------------------------------------------------------
# d. empty widget outputs
# --------------------------------------------------------------------------------------------
_WIDGET_JS = r"""(sel) => {
  const root = document.querySelector(sel) || document.body;
  const out = [];
  const views = 'script[type="application/vnd.jupyter.widget-view+json"]';
  for (const o of root.querySelectorAll('.cell_output')) {
    if (!o.querySelector('.jupyter-widgets, ' + views)) continue;
    const w = Array.from(o.querySelectorAll('.jupyter-widgets'));
    const height = w.reduce((h, e) => Math.max(h, e.getBoundingClientRect().height), 0);
    const content = w.some((e) => (e.innerText || '').trim() ||
                               e.querySelector('img, canvas, svg, input, select, button'));
    if (height < 4 || !content) {
      const cell = o.closest('.cell');
      const src = cell ? (cell.querySelector('.cell_input') || {}).textContent || '' : '';
      out.push(`widget output ${w.length ? Math.round(height) + 'px high' : 'not rendered'}` +
               (content ? '' : ', no content') + `: ${src.trim().split('\n').pop().slice(0, 80)}`);
    }
  }
  // A cell that builds a widget and shows its code but no output (e.g. tagged remove-output):
  // the reader sees the call and nothing under it.
  const builder = /sl\.widgets\.|\bwidgets\.(interact|VBox|HBox)|\binteract\(|slider_view\(|magnifier\(|explorer\(/;
  let silent = 0;
  for (const c of root.querySelectorAll('.cell')) {
    const input = c.querySelector('.cell_input');
    if (!input || !builder.test(input.textContent)) continue;
    // Does the cell display the widget? A bare builder call, or the name it was assigned to as
    // the last line (`view = sl.widgets.slider_view(...)` then `view`); an assignment alone
    // builds an object for later use and shows nothing by design.
    const lines = input.textContent.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim());
    const assigned = new Set();
    let bare = false;
    for (const l of lines) {
      if (!builder.test(l)) continue;
      const m = l.match(/^\s*([A-Za-z_][\w]*)\s*=[^=]/);
      if (m) assigned.add(m[1]); else if (/^\S/.test(l)) bare = true;
    }
    const last = (lines[lines.length - 1] || '').trim();
    const showsIt = bare || assigned.has(last) || /^display\(/.test(last);
    if (!showsIt) continue;
    const o = c.querySelector('.cell_output');
    if (o && (o.innerText.trim() || o.querySelector('img, canvas, svg, .jupyter-widgets, ' + views))) continue;
    silent += 1;
    // A live widget kept for readers with a kernel, its code collapsed, right next to a static
    // fallback (a scrubber or a figure) is the house style, not an empty output.
    const fallback = [c.previousElementSibling, c.nextElementSibling].some((n) =>
      n && n.querySelector && n.querySelector('.cell_output .sl-scrubber, .cell_output img'));
    if (c.classList.contains('tag_hide-input') && fallback) continue;
    const line = lines.find((l) => builder.test(l)) || '';
    out.push(`a widget cell shows its code and no output: ${line.trim().slice(0, 80)}`);
  }
  // A saved widget (a box of controls and pictures) that no output displays, beyond the cells
  // above: its output was lost, so the static page shows nothing where it was.
  const saved = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (saved) {
    let state = {};
    try { state = JSON.parse(saved.textContent).state || {}; } catch (e) {}
    const shown = new Set();
    for (const v of document.querySelectorAll(views)) {
      try { shown.add(JSON.parse(v.textContent).model_id); } catch (e) {}
    }
    const refs = new Set();
    for (const m of Object.values(state)) {
      for (const r of JSON.stringify(m.state || {}).matchAll(/IPY_MODEL_([0-9a-f]+)/g)) refs.add(r[1]);
    }
    for (const [id, m] of Object.entries(state)) {
      if (!/Box/.test(m.model_name || '') || refs.has(id) || shown.has(id)) continue;
      if (silent > 0) { silent -= 1; continue; }  // already reported as its cell
      const cls = ((m.state || {})._dom_classes || []).join(' ');
      out.push(`saved widget ${m.model_name}${cls ? ' .' + cls : ''} is displayed by no output`);
    }
  }
  return out;
}"""


def empty_widgets(page) -> list[str]:
    """Widget outputs that render as (almost) nothing; saved widgets that no output shows."""
    return page.evaluate(_WIDGET_JS, ARTICLE)


# --------------------------------------------------------------------------------------------
# e. illegible figures
# --------------------------------------------------------------------------------------------
_FIGURE_JS = r"""(sel) => {
  const root = document.querySelector(sel) || document.body;
  const out = [];
  for (const img of root.querySelectorAll('.cell_output img')) {
    const r = img.getBoundingClientRect();
    if (!img.naturalWidth || r.width <= 0) continue;  // hidden frame or not loaded
    // a figure behind a closed toggle is measured as laid out (Chromium lays it out)
    const pixelated = getComputedStyle(img).imageRendering === 'pixelated';
    out.push({shown: r.width, natural: img.naturalWidth, pixelated: pixelated,
              alt: (img.getAttribute('alt') || img.getAttribute('src') || '').slice(0, 60)});
  }
  return out;
}"""


def illegible_figures(page) -> list[str]:
    """Figures shown below 72 % of their natural width; pixel art shown below natural size."""
    out = []
    for f in page.evaluate(_FIGURE_JS, ARTICLE):
        scale = f["shown"] / f["natural"]
        if f["pixelated"] and f["shown"] < f["natural"] - 1:  # a pixel of rounding
            out.append(f"pixel-art frame {f['alt']!r} shown at {f['shown']:.0f} of its "
                       f"{f['natural']} px ({scale:.1%}; must be ≥ 100 %: shrinking drops pixels)")
        elif scale < MIN_SCALE:
            out.append(f"figure {f['alt']!r} shown at {f['shown']:.0f}/{f['natural']} px = "
                       f"{scale:.0%} (< {MIN_SCALE:.0%}: 9-pt text below 9 px)")
    return out


# --------------------------------------------------------------------------------------------
# f. duplicated prose
# --------------------------------------------------------------------------------------------
_PROSE_JS = r"""(sel) => {
  const root = document.querySelector(sel) || document.body;
  const out = [];
  for (const i of root.querySelectorAll('.cell_input')) {
    const r = i.getBoundingClientRect();
    if (r.height <= 0 || !i.checkVisibility()) continue;  // hidden (a closed "show code" toggle)
    const t = i.textContent;
    const k = t.indexOf('Markdown(');
    if (k >= 0) out.push(t.slice(Math.max(0, k - 30), k + 50).replace(/\s+/g, ' ').trim());
  }
  return out;
}"""


def duplicated_prose(page) -> list[str]:
    """Visible code inputs that build prose with ``Markdown(``."""
    return page.evaluate(_PROSE_JS, ARTICLE)


# --------------------------------------------------------------------------------------------
# g. blank interactives
# --------------------------------------------------------------------------------------------
ALPHA_ZERO = re.compile(r"α\s*=\s*[-−+]?0(?:\.0*)?(?![\d.])")

_SCRUBBER_JS = r"""(sel) => {
  const root = document.querySelector(sel) || document.body;
  return Array.from(root.querySelectorAll('.sl-scrubber')).map((s) => {
    const imgs = Array.from(s.querySelectorAll(':scope > img'));
    const shown = imgs.findIndex((m) => getComputedStyle(m).display !== 'none');
    let labels = [];
    try { labels = JSON.parse(s.dataset.labels || '[]'); } catch (e) {}
    const label = (s.querySelector('.sl-label') || {}).textContent || '';
    return {shown: shown, frames: imgs.length, label: label, first: labels[0] || ''};
  });
}"""


def blank_interactives(page) -> list[str]:
    """Scrubbers that open on their first frame while it is labelled α = 0."""
    out = []
    for i, s in enumerate(page.evaluate(_SCRUBBER_JS, ARTICLE)):
        text = s["label"] or s["first"]
        if s["shown"] == 0 and s["frames"] > 1 and ALPHA_ZERO.search(text):
            out.append(f"scrubber {i + 1} opens at frame 0 of {s['frames']}: {text[:80]!r}")
    return out


# Order matters only in that visible_answers clicks toggles: it runs last.
CHECKS = {
    "raw_markup": raw_markup,
    "overflow": overflow,
    "empty_widgets": empty_widgets,
    "illegible_figures": illegible_figures,
    "duplicated_prose": duplicated_prose,
    "blank_interactives": blank_interactives,
    "visible_answers": visible_answers,
}
SHORT = {"raw_markup": "raw", "overflow": "overflow", "empty_widgets": "empty_w",
         "illegible_figures": "small_fig", "duplicated_prose": "dup_prose",
         "blank_interactives": "blank", "visible_answers": "answers"}


# --------------------------------------------------------------------------------------------
# Driving the browser
# --------------------------------------------------------------------------------------------
def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def open_page(browser, path: Path):
    """A built page at 1280×900, after MathJax and the widget renderer have run."""
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    page.goto(Path(path).resolve().as_uri())
    wait_until_rendered(page)
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        try:  # saved widget state: give the renderer time to draw the views
            page.wait_for_selector(".cell_output .jupyter-widgets", timeout=10_000)
        except Exception:  # noqa: BLE001 - an unrendered widget is reported by empty_widgets
            pass
        page.wait_for_timeout(500)
    return page


def audit_page(browser, path: Path, checks=None) -> dict[str, list[str]]:
    """Every check (or those named) on one page: {check name: offending snippets}."""
    page = open_page(browser, path)
    try:
        return {name: CHECKS[name](page) for name in (checks or CHECKS)}
    finally:
        page.close()


# --------------------------------------------------------------------------------------------
# The notebooks: visible code, prose cells, gated solutions
# --------------------------------------------------------------------------------------------
HIDDEN_TAGS = {"hide-input", "remove-input", "remove-cell"}
SOLUTION_START = re.compile(r"```\{solution-start\}")
SOLUTION_END = re.compile(r"```\{solution-end\}")
PROSE_CALL = re.compile(r"display\(\s*Markdown\(")


def _cells(nb):
    return nb["cells"]


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def visible_code(nb) -> list[str]:
    """The code lines a reader sees: code cells not hidden by a tag, outside gated solutions."""
    lines, gated = [], False
    for cell in _cells(nb):
        src = _source(cell)
        if cell["cell_type"] == "markdown":
            if SOLUTION_START.search(src):
                gated = True
            if SOLUTION_END.search(src):
                gated = False
            continue
        if cell["cell_type"] == "code" and not gated and not (_tags(cell) & HIDDEN_TAGS):
            lines += src.splitlines()
    return lines


def notebook_duplicated_prose(nb) -> list[str]:
    """Cells calling ``display(Markdown(`` that are not tagged remove-input."""
    return [
        _source(c).strip().splitlines()[0][:80]
        for c in _cells(nb)
        if c["cell_type"] == "code" and PROSE_CALL.search(_source(c))
        and not (_tags(c) & {"remove-input", "remove-cell"})
    ]


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def notebook_at(path: Path, rev: str | None):
    """A notebook as JSON, from the working tree (rev None) or from git revision `rev`."""
    if rev is None:
        return json.loads(path.read_text())
    rel = path.relative_to(ROOT).as_posix()
    text = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    return json.loads(text)


def code_counts(rev: str | None) -> dict[str, tuple[int, int, int]]:
    """Per chapter: (visible code lines, of them > 80 characters, prose cells shown as code)."""
    out = {}
    for path in chapter_notebooks():
        try:
            nb = notebook_at(path, rev)
        except subprocess.CalledProcessError:  # not in that revision
            continue
        lines = visible_code(nb)
        out[path.stem] = (len(lines), sum(len(s) > 80 for s in lines), len(notebook_duplicated_prose(nb)))
    return out


def code_table(rev: str | None) -> list[str]:
    """The visible-code table: before (git revision `rev`, if given) and now."""
    now = code_counts(None)
    before = code_counts(rev) if rev else {}
    b = f"{'before':>8}{'>80':>6}{'prose':>7}" if rev else ""
    rows = [f"{'notebook':26}{b}{'now':>8}{'>80':>6}{'prose':>7}"]
    total_b, total_n = [0, 0, 0], [0, 0, 0]
    for name in sorted(set(now) | set(before)):
        n = now.get(name, (0, 0, 0))
        total_n = [x + y for x, y in zip(total_n, n, strict=True)]
        cols = ""
        if rev:
            o = before.get(name, (0, 0, 0))
            total_b = [x + y for x, y in zip(total_b, o, strict=True)]
            cols = f"{o[0]:>8}{o[1]:>6}{o[2]:>7}"
        rows.append(f"{name:26}{cols}{n[0]:>8}{n[1]:>6}{n[2]:>7}")
    cols = f"{total_b[0]:>8}{total_b[1]:>6}{total_b[2]:>7}" if rev else ""
    rows.append(f"{'total':26}{cols}{total_n[0]:>8}{total_n[1]:>6}{total_n[2]:>7}")
    return rows


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pages", nargs="*", help="page names such as 05_gradients (default: every page)")
    p.add_argument("--html", type=Path, default=HTML, help="the built book (default _build/html)")
    p.add_argument("--rev", default="e82096f",
                   help="git revision for the 'before' visible-code column (default e82096f)")
    p.add_argument("--details", action="store_true", help="print every offending snippet")
    args = p.parse_args()

    pages = select_pages(args.html, args.pages)
    if pages is None:
        return 2
    if chromium() is None:
        print("Chromium is not installed (apt-get install chromium).", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=ARGS)
        for path in pages:
            results[path.stem] = audit_page(browser, path)
        browser.close()

    print(f"Rendered-page audit of {args.html} ({WIDTH}×{HEIGHT}); defects per page and class")
    cols = list(CHECKS)
    print(f"{'page':26}" + "".join(f"{SHORT[c]:>10}" for c in cols) + f"{'total':>8}")
    totals = dict.fromkeys(cols, 0)
    for name, res in results.items():
        for c in cols:
            totals[c] += len(res[c])
        print(f"{name:26}" + "".join(f"{len(res[c]):>10}" for c in cols)
              + f"{sum(len(res[c]) for c in cols):>8}")
    print(f"{'total':26}" + "".join(f"{totals[c]:>10}" for c in cols) + f"{sum(totals.values()):>8}")
    print(f"\ncolumns: {', '.join(f'{SHORT[c]} = {c}' for c in cols)}")

    print(f"\nVisible code lines per chapter notebook (code cells without hide-input/remove-input/"
          f"remove-cell, outside gated solutions); before = git {args.rev or '-'}, now = working tree;"
          f" >80 = of them longer than 80 characters; prose = display(Markdown( cells not"
          f" tagged remove-input")
    print("\n".join(code_table(args.rev or None)))

    if args.details:
        for name, res in results.items():
            for c in cols:
                for s in res[c]:
                    print(f"{name} {c}: {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
