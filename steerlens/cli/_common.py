"""What every subcommand shares: one-line errors, exit codes, number parsing, device, progress."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

__all__: list[str] = []

#: Exit statuses: success, an error while running, a malformed command line.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CLIError(Exception):
    """A failure the user can fix: printed as one line on stderr, exit status ``code``."""

    def __init__(self, message: str, code: int = EXIT_ERROR):
        super().__init__(one_line(message))
        self.code = code


def one_line(text) -> str:
    """``text`` with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(str(text).split())


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (``prog: error: … (see prog --help)``), status 2."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        raise CLIError(f"{self.prog}: error: {message} (see `{self.prog} --help`)", code=EXIT_USAGE)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the description's and epilog's examples as written; a wider option column."""

    def __init__(self, prog, **kwargs):
        kwargs.setdefault("max_help_position", 32)
        super().__init__(prog, **kwargs)


# -- number and choice types for argparse (their errors become usage errors) -------------


def number(text: str) -> float:
    """A finite float."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive(text: str) -> float:
    """A finite float > 0."""
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def non_negative(text: str) -> float:
    """A finite float ≥ 0."""
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be ≥ 0")
    return value


def integer(minimum: int | None = None):
    """An int ≥ ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be ≥ {minimum}")
        return value

    parse.__name__ = "integer"
    return parse


def height(text: str):
    """``"auto"`` or an int ≥ 1 (pyramid scales)."""
    return "auto" if text == "auto" else integer(1)(text)


def size(text: str) -> tuple[int, int]:
    """``N`` (square) or ``HxW``, each ≥ 8."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) < 8:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size N or HxW with each side ≥ 8")
    return values[0], values[1]


def alpha_spec(text: str):
    """``"auto"``, ``MAX`` (α from 0 to MAX) or ``LO:HI``; returns ``"auto"`` or ``(lo, hi)``."""
    if text == "auto":
        return "auto"
    if ":" in text:
        lo, _, hi = text.partition(":")
        low, high = number(lo), number(hi)
        if low == high:
            raise argparse.ArgumentTypeError(f"{text!r}: the range's ends must differ")
        return low, high
    value = number(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 makes every frame the source; give MAX ≠ 0 or LO:HI")
    return 0.0, value


def output_path(allowed: tuple[str, ...]):
    """A path whose suffix is one of ``allowed`` (``".gif"``, ...), and whose folder exists."""

    def parse(text: str) -> Path:
        path = Path(text).expanduser()
        if path.suffix.lower() not in allowed:
            raise argparse.ArgumentTypeError(
                f"cannot write {text!r}: the output format is chosen by the file extension, "
                f"one of {', '.join(allowed)}"
            )
        return path

    parse.__name__ = "output"
    return parse


# -- run-time set-up --------------------------------------------------------------------


def select_device(name: str):
    """``torch.device`` for ``--device`` (``auto``: CUDA, then MPS, then CPU); a clear error if absent."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise CLIError(
            f"--device {name!r} is not a device; use auto, cpu, cuda, cuda:N or mps",
            code=EXIT_USAGE,
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CLIError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise CLIError(
            f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise CLIError(f"--device {name}: MPS is not available on this machine; use --device cpu")
    return device


def seed_everything(seed: int) -> None:
    """Seed torch (every device) and numpy."""
    import numpy as np
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)


class Stages:
    """A tqdm bar over a command's named stages (on stderr; off with ``--quiet`` or no terminal)."""

    def __init__(self, names: list[str], quiet: bool, desc: str):
        from tqdm.auto import tqdm

        self.names = names
        self.prefix = desc
        self.bar = tqdm(
            total=len(names), desc=desc, unit="step", file=sys.stderr, leave=False,
            disable=True if quiet else None, bar_format="{desc} [step {n}/{total}, {elapsed}]",
        )
        self._index = 0
        self._show()

    def _show(self) -> None:
        if self._index < len(self.names):
            self.bar.set_description_str(f"{self.prefix}: {self.names[self._index]}")

    def next(self) -> None:
        """Mark the current stage done."""
        self.bar.update(1)
        self._index += 1
        self._show()

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()


def say(quiet: bool, *lines: str) -> None:
    """Print result lines on stdout unless ``--quiet``."""
    if not quiet:
        for line in lines:
            print(line)
