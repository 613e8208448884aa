"""``steerlens grade``: grade a folder of returned student notebooks (see steerlens.exercises.grade)."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from . import _common as c

DESCRIPTION = """\
Grade a folder of returned student notebooks. Each notebook runs top to bottom in a
fresh kernel (errors allowed, a time limit per notebook); every exercise check it runs
is recorded, and the checks it skipped are run after its last cell. Writes one row per
student and one column per exercise."""

EPILOG = """\
examples:
  steerlens grade submissions/ --out grades.csv
  steerlens grade submissions/ --timeout 300 --kernel python3

Student code runs with your rights: grade in a container or a throw-away account."""


def add_parser(subparsers, parents) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "grade", parents=parents, help="grade a folder of returned student notebooks",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=c.HelpFormatter,
    )
    p.add_argument("folder", type=Path, metavar="FOLDER", help="folder of returned .ipynb files")
    p.add_argument("-o", "--out", type=c.output_path((".csv",)), metavar="CSV",
                   help="write the table as CSV (statuses in words)")
    p.add_argument("--timeout", type=c.positive, default=600.0, metavar="S",
                   help="time limit per notebook in seconds (default 600)")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    for module in ("nbclient", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            raise c.CLIError(f"grading needs {module}: pip install 'steerlens[notebooks]'")
    from ..exercises import grade

    if not args.folder.is_dir():
        raise c.CLIError(f"FOLDER {str(args.folder)!r} is not a directory of returned notebooks")
    try:
        rows = grade.grade_folder(args.folder, args.timeout, args.kernel)
    except ValueError as err:
        raise c.CLIError(str(err)) from err
    if args.out:
        grade.write_csv(rows, args.out)
    c.say(args.quiet, grade.markdown_table(rows))
    if args.out:
        c.say(args.quiet, f"wrote {args.out} ({len(rows)} students)")
    return 0
