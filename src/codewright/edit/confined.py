"""Files below a root, opened by descriptor one folder at a time, never through a symbolic link.

The tools check a path (its links resolved: inside the workspace, not in .git) and read or write it
afterwards. A process the model started (a background command) could swap a folder on that path for a
link in between, and the write, made by name again, followed the link outside the workspace or into
.git. Here every folder from the root down, and the file read, is opened with O_NOFOLLOW: one that has
become a link since the check is refused, and what is read or written is where the check looked. The
paths given are the checked ones, with their links resolved already, so no link is on them but a
swapped one. The last name of a path is renamed over or unlinked, which never follows a link.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
SWAPPED = "a folder or the file on its path became a symbolic link after it was checked"
CHANGED = "it changed on disk after it was read (another program wrote it meanwhile); re-read it"
ANY = object()
"""`write`'s and `remove`'s `expect` where the file may hold anything (putting back what a failed call wrote)."""
_NAME_MAX = 255
"""The longest file name, in bytes, of the usual file systems (ext4, XFS, btrfs, APFS)."""


class NotPutBack(OSError):
    """Writing a file in place failed, and so did putting its old bytes back: the file may hold neither, and the
    old bytes are left in `backup`, a file in the same folder, for the user to take back."""

    def __init__(self, cause: OSError, backup: str):
        super().__init__(cause.errno, cause.strerror)
        self.backup = backup


@contextmanager
def folder(root: Path, path: Path, *, made: list[Path] | None = None) -> Iterator[int]:
    """A descriptor of the folder `path` below `root`; with `made`, missing folders are created and added to it,
    each synced into the folder it is made in (see `_sync_folder`): a new folder's name lives in its parent as a
    file's does, and a power loss before the parent reached the disk lost the folder with the file in it."""
    parts = path.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, name in enumerate(parts):
            if made is not None and not _exists(name, fd):
                os.mkdir(name, dir_fd=fd)
                made.append(root.joinpath(*parts[:i + 1]))
                _sync_folder(fd)
            inner = _open(name, _FOLDER, fd)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def read(root: Path, path: Path) -> tuple[bytes, os.stat_result, dict[str, bytes]]:
    """The bytes of the file `path` below `root`, its status (permission bits, owner) and its extended attributes
    (see `_xattrs`); FileNotFoundError where there is none."""
    with open_file(root, path) as stream:
        return stream.read(), os.fstat(stream.fileno()), _xattrs(stream.fileno())


def _xattrs(fd: int) -> dict[str, bytes]:
    """The extended attributes of the file `fd` (user.* notes, an ACL, a SELinux label), for its replacement to
    keep; those we may not read, and all where the file system or OS has none, are left out."""
    try:
        names = os.listxattr(fd)
    except (OSError, AttributeError):  # AttributeError: an OS without extended attributes in Python (macOS)
        return {}
    found = {}
    for name in names:
        try:
            found[name] = os.getxattr(fd, name)
        except OSError:
            continue
    return found


def read_below(root: Path, path: str | Path) -> bytes | None:
    """The bytes of the file `path` below `root` for a check before an edit (is it made already?), its links
    resolved now and the file then read through `open_file`; None where no file below `root` is there or it
    cannot be read. Read by name, a folder swapped for a link since the path's check led the check outside."""
    try:
        root = root.resolve()
        full = (root / path).resolve()
        full.relative_to(root)
        with open_file(root, full) as stream:
            return stream.read()
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a loop of links, as Python before 3.13 says it
        return None


def open_file(root: Path, path: Path) -> IO[bytes]:
    """The regular file `path` below `root`, opened for reading (O_NONBLOCK: a FIFO swapped in is refused, not
    waited on)."""
    fd = descriptor(root, path)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "it is no longer a regular file", str(path))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def descriptor(root: Path, path: Path) -> int:
    """A read-only descriptor of `path` below `root` (or of `root` itself), a folder or a file, which the caller
    closes; O_NONBLOCK, so that opening a FIFO does not wait for a writer."""
    if path == root:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    with folder(root, path.parent) as parent:
        return _open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, parent)


def write(root: Path, path: Path, data: bytes, mode: int, *, owner: tuple[int, int] | None = None,
          xattrs: dict[str, bytes] | None = None, made: list[Path] | None = None,
          expect: bytes | None | object = ANY) -> None:
    """`path` below `root` holds `data` with permission bits `mode` (and, where we may set them, `owner`: user and
    group ids, and the extended attributes `xattrs`): written to a temporary file beside it and renamed over it,
    so a reader never sees half a file; a file of several hard links is written in place (see `_overwrite`).
    With `made`, missing folders are created (see `folder`). Unless `expect` is ANY, the file must still hold
    `expect` (None: there must be none) when it is replaced (see `_holds`)."""
    with folder(root, path.parent, made=made) as parent:
        if _linked(path.name, parent):
            _overwrite(path.name, parent, data, mode, expect)
        else:
            _replace(path.name, parent, data, mode, owner, xattrs, expect)
        _sync_folder(parent)


def _replace(name: str, parent: int, data: bytes, mode: int, owner: tuple[int, int] | None,
             xattrs: dict[str, bytes] | None, expect: bytes | None | object) -> None:
    tmp, fd = _temporary(parent, name, "cw-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            if owner is not None:
                _own(handle.fileno(), owner)
            _give(handle.fileno(), xattrs or {})  # after the owner: a change of owner clears capabilities
            os.fchmod(handle.fileno(), mode)  # after the owner: a change of owner clears set-user-id
        _holds(name, parent, expect)
        os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        _unlink_quietly(tmp, parent)
        raise


def _linked(name: str, parent: int) -> bool:
    """Whether `name` is a regular file of more than one hard link: renamed over, the file its other names show
    would keep the old text, split from this one (git and editors write such a file in place too)."""
    found = _lstat(name, parent)
    return found is not None and stat.S_ISREG(found.st_mode) and found.st_nlink > 1


def _overwrite(name: str, parent: int, data: bytes, mode: int, expect: bytes | None | object) -> None:
    """Write `data` into the file `name` itself, so that its other hard links see it. No rename makes this one
    step: the old bytes are first kept in a synced `.NAME.RANDOM.cw-backup` beside it, removed once the new ones
    are synced, so that a crash in between leaves them to be found; a failure puts them back, and where that
    fails too, raises NotPutBack naming the backup, which stays. Owner and extended attributes stay the file's
    own."""
    fd = _open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, parent)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "it is no longer a regular file", name)
        os.set_blocking(fd, True)
        old = handle.read()
        if expect is not ANY and old != expect:
            raise OSError(errno.EBUSY, CHANGED, name)
        backup = _backup(parent, name, old)
        try:
            _rewrite(fd, data)
            if stat.S_IMODE(os.fstat(fd).st_mode) != mode:  # a diff's mode line, or set-user-id a write cleared
                os.fchmod(fd, mode)
        except BaseException as failure:
            _put_back_in_place(fd, old, backup, failure)
            os.unlink(backup, dir_fd=parent)
            raise
        os.unlink(backup, dir_fd=parent)


def keep(root: Path, path: Path, old: bytes) -> Path:
    """`old`, the bytes the file `path` below `root` held, kept in a new synced `.NAME.RANDOM.cw-backup` beside it
    (see `_backup`), its name synced into the folder: the backup's path. A failed call that could not put the file
    back held them only in memory, and they were lost when the process ended."""
    with folder(root, path.parent) as parent:
        name = _backup(parent, path.name, old)
        _sync_folder(parent)
    return path.parent / name


def _put_back_in_place(fd: int, old: bytes, backup: str, failure: BaseException) -> None:
    """The open file `fd`, whose writing failed with `failure`, holds `old` again; where it cannot, NotPutBack
    (with the first failure's reason, which the caller reports) says that `backup` holds them, and it stays."""
    try:
        _rewrite(fd, old)
    except OSError as exc:
        raise NotPutBack(failure if isinstance(failure, OSError) else exc, backup) from failure


def _backup(parent: int, of: str, old: bytes) -> str:
    """A new file in the folder `parent`, named after the file `of`, holding `old`, synced: its name."""
    name, fd = _temporary(parent, of, "cw-backup")
    try:
        _rewrite(fd, old)
    except BaseException:
        _unlink_quietly(name, parent)
        raise
    finally:
        os.close(fd)
    return name


def _rewrite(fd: int, data: bytes) -> None:
    """The open file `fd` holds `data`, synced: written from its start, then cut to its length (never empty
    meanwhile)."""
    done = 0
    while done < len(data):
        done += os.pwrite(fd, memoryview(data)[done:], done)
    os.ftruncate(fd, len(data))
    os.fsync(fd)


def _unlink_quietly(name: str, parent: int) -> None:
    try:
        os.unlink(name, dir_fd=parent)
    except OSError:
        pass


def remove(root: Path, path: Path, *, is_folder: bool = False, expect: bytes | object = ANY) -> None:
    """Unlink the file (or remove the empty folder) `path` below `root`; unless `expect` is ANY, the file must
    still hold `expect`."""
    with folder(root, path.parent) as parent:
        _holds(path.name, parent, expect)
        (os.rmdir if is_folder else os.unlink)(path.name, dir_fd=parent)
        _sync_folder(parent)


def _sync_folder(parent: int) -> None:
    """Make a rename, unlink or new folder in the folder `parent` durable: the file's data was synced, but its name
    lives in the folder, and a power loss before the folder reached the disk could lose the rename (the old file
    back, or none). The change is made already, and seen by every reader: a folder that cannot be synced (some file systems
    refuse, EINVAL) fails nothing, as a failure now could not be put back with the rest."""
    try:
        os.fsync(parent)
    except OSError:
        pass


def _holds(name: str, parent: int, expect: bytes | None | object) -> None:
    """Raise OSError (CHANGED) unless the file `name` holds `expect` (None: no file is there). The edits were
    made to the bytes read before; a formatter or other command of the model's that wrote the file since then
    would lose its change unseen. Compared just before the rename, this leaves a window of microseconds, not the
    time every file before it took to be written and synced."""
    if expect is ANY:
        return
    try:
        fd = _open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, parent)
    except FileNotFoundError:
        now = None
    else:
        with os.fdopen(fd, "rb") as stream:
            now = stream.read()
    if now != expect:
        raise OSError(errno.EBUSY, CHANGED, name)


def _own(fd: int, owner: tuple[int, int]) -> None:
    """Give the temporary file the replaced file's owner and group, as far as we may (root may set both, a user
    only a group it is in): renamed over the file, it was the writer's, and a file root edited became root's."""
    made = os.fstat(fd)
    if (made.st_uid, made.st_gid) == owner:
        return
    for uid, gid in (owner, (-1, owner[1])):
        try:
            os.fchown(fd, uid, gid)
            return
        except OSError:
            continue


def _give(fd: int, xattrs: dict[str, bytes]) -> None:
    """Give the temporary file the replaced file's extended attributes, those we may set: renamed over the file,
    it had none of them, and a file's user.* notes, ACL or SELinux label were lost to an edit."""
    for name, value in xattrs.items():
        try:
            os.setxattr(fd, name, value)
        except OSError:  # a namespace only root may write (trusted.*), a file system without them
            continue


def _temporary(parent: int, of: str, suffix: str) -> tuple[str, int]:
    """A new file for the write of the file `of`, named `.OF.RANDOM.SUFFIX`, so that one a crash leaves says
    whose it is; OF is cut to fit the file system's 255 bytes (a file of 238 bytes or more had a temporary name
    over them, and could not be edited at all)."""
    stem = _cut(of, _NAME_MAX - len(f"...{suffix}") - 16)  # 16: the 8 random bytes, in hex
    while True:
        tmp = f".{stem}.{secrets.token_hex(8)}.{suffix}"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                                dir_fd=parent)
        except FileExistsError:
            continue


def _cut(name: str, size: int) -> str:
    """The longest start of `name` of at most `size` bytes in the file system's encoding, whole characters."""
    while len(os.fsencode(name)) > size:
        name = name[:-1]
    return name


def _exists(name: str, parent: int) -> bool:
    return _lstat(name, parent) is not None


def _lstat(name: str, parent: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _open(name: str, flags: int, parent: int) -> int:
    try:
        return os.open(name, flags, dir_fd=parent)
    except OSError as exc:
        found = _lstat(name, parent) if exc.errno in (errno.ELOOP, errno.ENOTDIR) else None
        if found is not None and stat.S_ISLNK(found.st_mode):  # where the check saw a folder or a file
            raise OSError(exc.errno, SWAPPED, name) from None
        raise
