"""Text a command reads from a file or from standard input (`apply FILE|-`, `find --query-file F|-`), and the
argparse types of what commands are given (paths, names, counts, limits), so each is refused alike everywhere.

One rule for all of them, so a pipe and a file never read differently: UTF-8, a byte-order mark
dropped; NUL bytes or UTF-16 mean a binary or mis-saved file, refused by name with exit 2 rather
than read as garbage.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from codewright.errors import UsageError
from codewright.quoting import quoted

INPUT_LIMIT = 64 * 2**20  # bytes of a task, a query or edits


def folder(text: str) -> Path:
    """An argparse type for a tree's path (`index PATH`, `--repo`): an empty one is refused. Python reads "" as the
    current folder, so `--repo "$UNSET"` indexed, or let an agent edit, whatever folder the shell was in."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty (give a folder, or . for the current one)")
    return Path(text)


def file_path(text: str) -> Path:
    """An argparse type for a file's path (`callgraph FILE -o OUT`): an empty one is refused, where Python read it
    as the current folder and the command said `. is a directory`."""
    if not text:
        raise argparse.ArgumentTypeError("the path is empty")
    return Path(text)


def nonempty(text: str) -> str:
    """An argparse type for a name or query (`def NAME`, `callers SYMBOL`): an empty one is refused, where it
    found nothing and said so as if a name had been looked up."""
    if not text.strip():
        raise argparse.ArgumentTypeError("it is empty")
    return text


MAX_COUNT = 2**31 - 1
MAX_JOBS = 64  # -j N starts N processes at once: -j 100000 forked until the machine ran out of them


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type for a count (steps, a limit, tokens, jobs), which says what it takes in the same words for
    every option: `symbols --limit 0`, `find -k x` and `run --max-steps 0` were each refused in words of their own,
    some after the index was opened. Without `maximum`, a larger count is taken as MAX_COUNT: SQLite's LIMIT and
    range() take no more (2**63 was an OverflowError)."""
    wanted = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"

    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be a whole number {wanted}, not {text!r}")
        return min(value, MAX_COUNT)

    return count


positive_int = whole_number(1)  # a count of steps, attempts, checkpoints, results
job_count = whole_number(1, MAX_JOBS)  # processes run at once (-j N)


def positive_number(text: str) -> float:
    """A limit in seconds or dollars: `nan` would never be reached and `inf` is no limit (leave it out)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, not {text!r}")
    return value


def model_name(text: str) -> str:
    """`--model ""` would fall back to the default model unsaid: an empty name is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a model (an alias or PROVIDER/NAME); "
                                         "leave it out for the default")
    return text


def read_input(name: str) -> str:
    """The text of file `name`, or of standard input for `-`."""
    if not name:
        raise UsageError("the file name is empty (give a file, or - for standard input)")
    label = "standard input" if name == "-" else quoted(name)
    try:
        if name == "-":
            if sys.stdin is None:  # closed when the command started (`<&-`)
                raise UsageError("cannot read standard input: it is closed")
            data = sys.stdin.buffer.read(INPUT_LIMIT + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(INPUT_LIMIT + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(data) > INPUT_LIMIT:  # /dev/zero, or a log given by mistake: read whole, it filled memory
        raise UsageError(f"{label} is over {INPUT_LIMIT // 2**20} MB: give the task or edits, not a dump")
    return _decode(data, label)


def _decode(data: bytes, label: str) -> str:
    """UTF-8 text, else a UsageError saying why not (UTF-16 first: its text has NUL bytes too)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UsageError(f"{label} is not text: it is UTF-16; save it as UTF-8")
    if b"\x00" in data:
        raise UsageError(f"{label} is not text: it contains NUL bytes (the first at offset {data.index(0)})")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label} is not text: byte {data[exc.start]:#04x} at offset {exc.start} "
                         "is not UTF-8") from None
