"""Matched-budget comparison of edit methods on MNIST: the table of the book's chapter 9.

A thin wrapper around ``steerlens compare`` (:mod:`steerlens.cli.compare`), kept so the
commands quoted in the book and the benchmarks keep working; the only difference is the
default output folder, ``benchmarks/results``::

    python scripts/compare_edits.py --sources 300 --out benchmarks/results/
    steerlens compare --sources 300 --out benchmarks/results/      # the same

writes ``<out>/<stem>.csv``, ``<stem>.md`` and ``<stem>.json`` with ``<stem>`` =
``compare_edits_<sources>`` plus any ``--tag``. ``--help`` lists every flag.
"""

from __future__ import annotations

import sys

from steerlens.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Run ``steerlens compare`` with ``--out benchmarks/results`` unless ``argv`` gives ``--out``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return cli_main(["compare", "--out", "benchmarks/results", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
