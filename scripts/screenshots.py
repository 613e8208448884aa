"""Full-page screenshots of the built book, as a reader sees it: `make screenshots`.

Opens every page of `_build/html/` (or the pages named) in headless Chromium at a 1280-px-wide
window, waits for MathJax and the widget renderer, and writes

- `_build/screens/<page>.png`: the whole page, top to bottom;
- `_build/screens/<page>/NN.png`: the same page cut into 1280×1600 slices, small enough to read
  one at a time in an image viewer.

Build the book first (`make book`).

Usage: python scripts/screenshots.py [PAGE ...] [--out DIR] [--no-slices]
       PAGE is a page name such as 05_gradients or intro (default: every page).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
WIDTH, SLICE = 1280, 1600
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync"]


def book_pages(html: Path = HTML) -> list[Path]:
    """Every content page of the built book (the reader's pages, not Sphinx's own)."""
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    pages = [p for p in sorted((html / "book").glob("*.html")) if p.name not in skip]
    return pages


def select_pages(html: Path, names: list[str]) -> list[Path] | None:
    """The built pages named (every page when none is named); None, with the reason printed,
    when the book is not built or a name is unknown."""
    pages = book_pages(html)
    if not pages:
        print(f"No built pages in {html}: run `make book` first.", file=sys.stderr)
        return None
    if not names:
        return pages
    wanted = {name.removesuffix(".html") for name in names}
    unknown = wanted - {q.stem for q in pages}
    if unknown:
        print(f"Unknown page(s): {', '.join(sorted(unknown))}; pages are: "
              f"{', '.join(q.stem for q in pages)}", file=sys.stderr)
        return None
    return [q for q in pages if q.stem in wanted]


def wait_until_rendered(page) -> None:
    """Wait for the load event, MathJax's typesetting and the widget renderer."""
    page.wait_for_load_state("load")
    page.evaluate(
        """async () => {
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await MathJax.startup.promise;
            }
        }"""
    )
    page.wait_for_timeout(800)


def capture(pages: list[Path], out: Path, slices: bool = True) -> list[Path]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed: apt-get install -y --no-install-recommends chromium")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    Image.MAX_IMAGE_PIXELS = None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for html in pages:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.goto(html.as_uri())
            wait_until_rendered(page)
            target = out / f"{html.stem}.png"
            page.screenshot(path=str(target), full_page=True)
            page.close()
            written.append(target)
            if slices:
                folder = out / html.stem
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                with Image.open(target) as whole:
                    for i, top in enumerate(range(0, whole.height, SLICE)):
                        whole.crop((0, top, whole.width, min(top + SLICE, whole.height))).save(
                            folder / f"{i:02d}.png"
                        )
            print(target, flush=True)
        browser.close()
    return written


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pages", nargs="*", help="page names (default: every page)")
    p.add_argument("--out", type=Path, default=ROOT / "_build" / "screens")
    p.add_argument("--html", type=Path, default=HTML, help="the built book (default _build/html)")
    p.add_argument("--no-slices", action="store_true", help="only the full-page captures")
    args = p.parse_args()
    pages = select_pages(args.html, args.pages)
    if pages is None:
        return 2
    capture(pages, args.out, slices=not args.no_slices)
    print(f"\n{len(pages)} page(s) captured in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
