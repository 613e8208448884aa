"""Build the book: execute every notebook (cached) and write HTML to `_build/html/`.

This is THE build command: `make book` runs it, the test suite runs it (tests/book), and the
GitHub Pages workflow runs `make book`. Warnings are errors (`-W`), any failing cell fails the
build, and every process of the build runs with the network disabled except loopback
(scripts/offline/sitecustomize.py).

Usage: python scripts/build_book.py [--all] [--quiet]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from fetch_book_assets import fetch  # noqa: E402


def build_env() -> dict[str, str]:
    env = dict(os.environ)
    offline = str(ROOT / "scripts" / "offline")
    env["PYTHONPATH"] = os.pathsep.join([offline, env["PYTHONPATH"]]) if env.get("PYTHONPATH") else offline
    env["STEERLENS_OFFLINE"] = "1"
    # one torch thread per kernel on the 2-core build machine; readers' kernels keep torch's default
    env.setdefault("STEERLENS_NUM_THREADS", "1")
    # no MPLBACKEND here: an inherited "Agg" would override the kernels' inline backend and
    # every plt.show() in the executed chapters would produce no figure
    env.pop("MPLBACKEND", None)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("TQDM_DISABLE", "0")
    return env


def build(all_pages: bool = False, quiet: bool = False) -> subprocess.CompletedProcess:
    fetch()
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--builder", "html", "-W", "--keep-going"]
    if all_pages:
        cmd.append("--all")
    if quiet:
        cmd.append("-q")
    return subprocess.run(cmd, cwd=ROOT, env=build_env(), capture_output=quiet, text=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--all", action="store_true", help="rebuild every page, not only changed ones")
    p.add_argument("--quiet", action="store_true", help="only print errors and the summary")
    args = p.parse_args()
    t0 = time.perf_counter()
    proc = build(args.all, args.quiet)
    if args.quiet and proc.returncode:
        print(proc.stdout[-20000:], proc.stderr[-20000:], sep="\n")
    dt = time.perf_counter() - t0
    if proc.returncode:
        print(f"\nBook build FAILED after {dt:.0f} s (see the errors above; executed-notebook "
              f"logs are in _build/html/reports/).")
        return proc.returncode
    index = ROOT / "_build" / "html" / "index.html"
    print(f"\nBook built in {dt:.0f} s. Open it in a browser:\n  file://{index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
