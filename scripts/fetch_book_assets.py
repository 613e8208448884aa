"""Put the book's JavaScript assets into its own static files: no CDN at reading time.

- the ipywidgets renderer: `_config.yml` points `nb_ipywidgets_js` at
  `widgets/require.min.js` and `widgets/html-manager/embed-amd.js`;
- MathJax 3: `_config.yml` sets `mathjax_path` to `mathjax/tex-mml-chtml.js`.

`html_extra_path` copies both folders from `book/_extra/` into the site's root. The files
(several MB) are not committed; this script fetches the pinned npm packages with the ordinary
`npm pack` client (the npm registry is a package registry, like PyPI) and unpacks what the
pages need.

Usage: python scripts/fetch_book_assets.py [--force]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "book" / "_extra"
PACKAGES = {
    # npm spec: (member inside the tarball, destination relative to DEST)
    "requirejs@2.3.8": [("package/require.js", "widgets/require.min.js")],
    "@jupyter-widgets/html-manager@1.0.15": [("package/dist/", "widgets/html-manager/")],
    "mathjax@3.2.2": [
        ("package/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
        ("package/es5/output/chtml/", "mathjax/output/chtml/"),
        ("package/es5/input/", "mathjax/input/"),
        ("package/es5/ui/", "mathjax/ui/"),
        ("package/es5/a11y/", "mathjax/a11y/"),
    ],
}
MARKER = DEST / ".complete-v2"


def fetch(force: bool = False) -> Path:
    if MARKER.exists() and not force:
        return DEST
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "fetch_book_assets: `npm` was not found. Install Node.js/npm (e.g. `apt-get install npm`) "
            "so the book can serve MathJax and the ipywidgets renderer from its own files."
        )
    for sub in ("widgets", "mathjax"):
        if (DEST / sub).exists():
            shutil.rmtree(DEST / sub)
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, members in PACKAGES.items():
            out = subprocess.run(
                [npm, "pack", spec, "--silent"], cwd=tmp, check=True, capture_output=True, text=True
            )
            tgz = Path(tmp) / out.stdout.strip().splitlines()[-1]
            with tarfile.open(tgz) as tar:
                for src, dst in members:
                    for m in tar.getmembers():
                        if not m.isfile() or not m.name.startswith(src) or m.name.endswith(".map"):
                            continue
                        rel = m.name[len(src):] if src.endswith("/") else ""
                        target = DEST / dst / rel if src.endswith("/") else DEST / dst
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with tar.extractfile(m) as fh:
                            target.write_bytes(fh.read())
    MARKER.write_text("ok\n")
    return DEST


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--force", action="store_true", help="fetch again even if present")
    print(f"book assets (ipywidgets renderer, MathJax) in {fetch(p.parse_args().force)}")
