"""Write several files all-or-nothing, each one atomically.

Each file is written to a temporary file in its own directory and renamed over the old one (`os.replace`), so
a reader never sees half a file (one of several hard links is written in place, see `confined.write`), and the
folder synced (and each folder made for a new file, into its parent), so that a power loss does not lose the
rename. If any write fails, or the writing is interrupted (Ctrl-C, a SIGTERM the CLI turns into one), the files
already written are put back from the bytes read before, and new files and directories removed: a failed call
leaves the tree byte-identical. The putting back itself is not interrupted. Every folder on the way is opened
without following a symbolic link (`confined`): one swapped for a link since the paths were checked fails the
write instead of leading it outside the workspace. So does a file that no longer holds what was read (or a new
file's name taken meanwhile): another program wrote it, and its change is not overwritten.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from codewright.edit import confined
from codewright.edit.model import EditError
from codewright.quoting import quoted


def process_umask() -> int:
    """This process's umask, which a new file gets, read when the file is made: one read at import missed a later
    change. Read from /proc where it can be: setting it to learn it would change it for the other threads
    meanwhile (a file one of them made then got 0o666)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@dataclass
class Write:
    """Set `path` to `data` (None: delete it); `before` is what it held (None: absent) with permission bits
    `mode`, which the new data keeps unless `new_mode` is given, and `owner` (user and group ids) and extended
    attributes `xattrs`, which it keeps."""

    path: Path
    data: bytes | None
    before: bytes | None
    mode: int | None = None
    new_mode: int | None = None
    owner: tuple[int, int] | None = None
    xattrs: dict[str, bytes] | None = None


def commit(writes: list[Write], root: Path) -> None:
    """Make `writes` below `root` (resolved), each through `confined`: a folder on a path that has become a
    symbolic link since it was checked fails the write, and everything is put back."""
    done: list[Write] = []
    made_dirs: list[Path] = []
    for write in writes:
        try:
            if write.data is None:
                confined.remove(root, write.path, expect=write.before)
            else:
                mode = write.mode if write.new_mode is None else write.new_mode
                confined.write(root, write.path, write.data, _mode(mode), owner=write.owner, xattrs=write.xattrs,
                               made=made_dirs, expect=write.before)
        except OSError as exc:
            problems = _rollback(done, made_dirs, root)
            raise EditError(_failed(exc, write, root, problems)) from None
        except BaseException:  # interrupted: the files written so far go back before the interruption goes on
            _rollback(done + [write], made_dirs, root)
            raise
        done.append(write)


def _failed(exc: OSError, write: Write, root: Path, problems: list[str]) -> str:
    """The message of a call whose `write` failed with `exc`, the others put back but for `problems`. A file
    written in place that could not be put back either (NotPutBack) may hold neither text: the user is told
    where its old bytes are, not that every file was restored."""
    reason = f"{_shown(write.path, root)}: could not be written ({exc.strerror or exc})"
    if isinstance(exc, confined.NotPutBack):
        reason += f", nor its old bytes put back: they are in {_shown(write.path.parent / exc.backup, root)}"
        restored = "every other file was restored."
    else:
        restored = "every file was restored; nothing changed."
    if not problems:
        return f"{reason}; {restored}"
    return f"{reason}; restoring failed for " + ", ".join(problems) + "."


def _shown(path: Path, root: Path) -> str:
    """`path` as a message names a file: from the repository root, as every other message does (an absolute path
    was shown for a file not restored), quoted where it holds a newline or a byte that is not UTF-8."""
    return quoted(path.relative_to(root).as_posix())


def _mode(mode: int | None) -> int:
    return 0o666 & ~process_umask() if mode is None else mode


def _rollback(done: list[Write], made_dirs: list[Path], root: Path) -> list[str]:
    """Put back what `done` wrote (the last of them perhaps only in part), with Ctrl-C held off meanwhile."""
    held = _hold_interrupts()
    try:
        return _put_back(done, made_dirs, root)
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _hold_interrupts():
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def _put_back(done: list[Write], made_dirs: list[Path], root: Path) -> list[str]:
    """Put back what `done` wrote, then remove `made_dirs`: how the message names each file not put back."""
    problems = []
    for write in reversed(done):
        try:
            if write.before is None:
                _remove_if_there(root, write.path)  # an interrupted write may not have made it
            else:
                confined.write(root, write.path, write.before, _mode(write.mode), owner=write.owner,
                               xattrs=write.xattrs)
        except OSError:
            problems.append(_not_put_back(write, root))
    for folder in reversed(made_dirs):
        try:
            confined.remove(root, folder, is_folder=True)
        except OSError:
            pass
    return problems


def _not_put_back(write: Write, root: Path) -> str:
    """How the message names the file `write` wrote, which could not be put back. The bytes it held before are
    kept in a backup beside it (`confined.keep`), which the message names: held only in memory, they were lost
    when the process ended. They are kept where the call was interrupted too, though no message says so then."""
    shown = _shown(write.path, root)
    if write.before is None:
        return shown
    try:
        backup = confined.keep(root, write.path, write.before)
    except OSError as exc:
        return f"{shown} (its old bytes could not be kept either: {exc.strerror or exc})"
    return f"{shown} (its old bytes are in {_shown(backup, root)})"


def _remove_if_there(root: Path, path: Path) -> None:
    try:
        confined.remove(root, path)
    except FileNotFoundError:
        pass
