"""The ``steerlens`` command line: morph, compare, magnify, grade.

``steerlens`` (the console script) and ``python -m steerlens`` both call :func:`main`.
The CLI sits on top of the package: it imports the lens, the models, ``evaluate``,
``magnify`` and ``plot``, and nothing in the package imports it
(``tests/test_lens_imports.py``).

Modules
-------
``_common``
    One-line errors and exit statuses, number parsing, ``--device``, progress bars.
``_models``
    ``--model``: zoo names, ImageNet classifier names, TorchScript and state-dict files;
    classes by index or name.
``_io``
    Images in (anything Pillow reads, resized to the model), videos in and out (GIF;
    MP4 with PyAV), tables.
``morph``, ``compare``, ``magnify``, ``grade``
    The subcommands (``grade``: a folder of returned student notebooks, through
    :mod:`steerlens.exercises.grade`).
"""

from __future__ import annotations

import argparse
import sys
import traceback

from .._version import __version__
from . import _common as c

__all__ = ["main", "build_parser"]

DESCRIPTION = """\
Through a Steerable Lens: see how a classifier would move an image toward a
class, through the complex steerable pyramid, from the command line."""

EPILOG = """\
examples:
  steerlens morph digit.png --model mnist_cnn --target 8 -o morph.gif -o morph.png
  steerlens compare --sources 100 --out results/
  steerlens magnify wave.gif --alpha 10 --low 0.5 --high 3 -o wave_x10.gif
  steerlens grade submissions/ --out grades.csv

Run `steerlens COMMAND --help` for a command's options and examples.
exit status: 0 success, 1 error while running, 2 usage error."""


def build_parser() -> argparse.ArgumentParser:
    """The ``steerlens`` argument parser (subcommands ``morph``, ``compare``, ``magnify``).

    Examples
    --------
    >>> parser = build_parser()
    >>> args = parser.parse_args(["magnify", "v.gif", "--alpha", "5", "--low", "1",
    ...                           "--high", "2", "-o", "out.gif"])
    >>> args.command, args.alpha, args.sigma
    ('magnify', 5.0, 2.0)
    """
    from . import compare, grade, magnify, morph

    common = c.ArgumentParser(add_help=False)
    g = common.add_argument_group("common options")
    g.add_argument("--device", default="cpu", metavar="DEV",
                   help="cpu, cuda, cuda:N, mps or auto (default cpu)")
    g.add_argument("--seed", type=c.integer(0), default=0, help="random seed (default 0)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars, no summary")

    parser = c.ArgumentParser(
        prog="steerlens", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=c.HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"steerlens {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    morph.add_parser(sub, [common])
    compare.add_parser(sub, [common])
    magnify.add_parser(sub, [common])
    grade.add_parser(sub, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit status (never raises, never exits).

    Parameters
    ----------
    argv
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        ``0`` on success, ``1`` for an error while running (a missing or unreadable file,
        an unknown model or class, a model that does not accept the images, …), ``2`` for
        a usage error (an unknown option, a bad number, an output format it cannot write),
        ``130`` when interrupted. Errors are one line on stderr.

    Examples
    --------
    >>> main(["--version"])
    steerlens ...
    0
    >>> main(["morph", "digit.png", "--model", "mnist_cnn", "--target", "8",
    ...       "-o", "morph.gif", "-o", "morph.png"])  # doctest: +SKIP
    digit.png: p(8) 0.00 at α = 0, peak 0.93 at α = 5.6, 0.93 at α = 5.6
    wrote morph.gif (12 frames, 140×156 px)
    wrote morph.png (strip of 12 frames)
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    prog = "steerlens"
    try:
        args = build_parser().parse_args(argv)
        prog = f"steerlens {args.command}"
        if args.command == "compare":
            return args.run(args, argv)
        return args.run(args)
    except SystemExit as done:  # --help, --version
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except c.CLIError as err:
        text = str(err)
        if not text.startswith("steerlens"):
            text = f"{prog}: error: {text}"
        print(text, file=sys.stderr)
        if debug:
            traceback.print_exc()
        return err.code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the promise: one line, never a traceback
        print(
            f"{prog}: error: {type(err).__name__}: {c.one_line(err)} "
            f"(run with --debug for the traceback)",
            file=sys.stderr,
        )
        if debug:
            traceback.print_exc()
        return c.EXIT_ERROR
