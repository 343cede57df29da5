"""All-or-nothing writes, and the bytes an edit must not disturb: encoding, BOM, line endings,
final newline, mode. One behaviour per case."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat

import pytest

from codewright.edit import Edit, EditError, apply_edits

PRESERVE = [
    ("utf-8", "naïve = 1\nb = 2\n".encode(), "naïve = 1\nb = 3\n".encode()),
    ("utf-8 with BOM", b"\xef\xbb\xbfa = 1\nb = 2\n", b"\xef\xbb\xbfa = 1\nb = 3\n"),
    ("latin-1", "café = 1\nb = 2\n".encode("latin-1"), "café = 1\nb = 3\n".encode("latin-1")),
    ("utf-16 LE with BOM", "\ufeffa = 1\nb = 2\n".encode("utf-16-le"), "\ufeffa = 1\nb = 3\n".encode("utf-16-le")),
    ("utf-16 BE with BOM", "\ufeffa = 1\nb = 2\n".encode("utf-16-be"), "\ufeffa = 1\nb = 3\n".encode("utf-16-be")),
    ("CRLF", b"a = 1\r\nb = 2\r\n", b"a = 1\r\nb = 3\r\n"),
    ("mixed endings kept per line", b"a = 1\r\nb = 2\nc = 4\r\n", b"a = 1\r\nb = 3\nc = 4\r\n"),
    ("no final newline", b"a = 1\nb = 2", b"a = 1\nb = 3"),
    ("UTF-8 with a stray byte", b"\xc3\xa9 = 1\r\n\xff = 0\nb = 2\n", b"\xc3\xa9 = 1\r\n\xff = 0\nb = 3\n"),
]


@pytest.mark.parametrize(("label", "before", "after"), PRESERVE, ids=[p[0] for p in PRESERVE])
def test_edit_keeps_encoding_bom_and_line_endings(tree, label, before, after):
    root = tree({"f.txt": before})
    apply_edits(root, [Edit("f.txt", "b = 2\n", "b = 3\n")])
    assert (root / "f.txt").read_bytes() == after


STRAY = b"na\xc3\xafve = 1\nx = '\xff'\r\ny = 2\n"  # UTF-8 but for one byte, on a line ending in CRLF
STRAY_EDITS = [
    ("new text is UTF-8", Edit("m.py", "y = 2\n", "y = 'café'\n"), b"na\xc3\xafve = 1\nx = '\xff'\r\ny = 'caf\xc3\xa9'\n"),
    ("its UTF-8 lines are found as written", Edit("m.py", "naïve = 1\n", "naive = 1\n"),
     b"naive = 1\nx = '\xff'\r\ny = 2\n"),
    ("the line that is not UTF-8 is Latin-1, kept as it was", Edit("m.py", "x = 'ÿ'\ny = 2\n", "x = 'ÿ'\ny = 3\n"),
     b"na\xc3\xafve = 1\nx = '\xff'\r\ny = 3\n"),
    ("a whole file keeps it", Edit.whole("m.py", "naïve = 1\nx = 'ÿ'\nz = 'é'\n"),
     b"na\xc3\xafve = 1\nx = '\xff'\nz = '\xc3\xa9'\n"),
]


@pytest.mark.parametrize(("label", "edit", "after"), STRAY_EDITS, ids=[s[0] for s in STRAY_EDITS])
def test_a_utf8_file_with_a_stray_byte_stays_utf8(tree, label, edit, after):
    """Read whole as Latin-1, its text was garbled (naÃ¯ve), not found when quoted right, and new text written
    in Latin-1 (é as byte E9) into a UTF-8 file."""
    root = tree({"m.py": STRAY})
    apply_edits(root, [edit])
    assert (root / "m.py").read_bytes() == after


def test_added_lines_take_the_files_line_ending(tree):
    root = tree({"f.txt": b"a\r\nb\r\n"})
    apply_edits(root, [Edit("f.txt", "a\n", "a\nx\ny\n")])
    assert (root / "f.txt").read_bytes() == b"a\r\nx\r\ny\r\nb\r\n"


def test_appending_after_a_last_line_without_newline(tree):
    root = tree({"f.txt": b"a\nb"})
    apply_edits(root, [Edit("f.txt", "b\n", "b\nc\n")])
    assert (root / "f.txt").read_bytes() == b"a\nb\nc"


def test_whole_file_write_keeps_crlf_and_bom(tree):
    root = tree({"w.txt": b"\xef\xbb\xbfold\r\n"})
    apply_edits(root, [Edit.whole("w.txt", "new\nlines\n")])
    assert (root / "w.txt").read_bytes() == b"\xef\xbb\xbfnew\r\nlines\r\n"


def test_mode_is_kept(tree):
    root = tree({"run.sh": "echo hi\n"})
    os.chmod(root / "run.sh", 0o751)
    apply_edits(root, [Edit("run.sh", "echo hi\n", "echo bye\n")])
    assert stat.S_IMODE(os.stat(root / "run.sh").st_mode) == 0o751


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
@pytest.mark.parametrize("label, edit, path", [
    ("an edit", Edit("s.txt", "a\n", "b\n"), "s.txt"),
    ("a move", Edit("s.txt", "a\n", "b\n", move_to="t.txt"), "t.txt"),
])
def test_owner_group_and_set_user_id_are_kept(tree, label, edit, path):
    """The file renamed over the old one was the writer's: a file root edited became root's."""
    root = tree({"s.txt": "a\n"})
    os.chown(root / "s.txt", 1234, 2345)
    os.chmod(root / "s.txt", 0o4750)
    apply_edits(root, [edit])
    status = os.stat(root / path)
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (1234, 2345, 0o4750)


def _noted(path) -> None:
    """Give `path` a user.* extended attribute, or skip where the file system has none."""
    try:
        os.setxattr(path, "user.note", b"kept")
    except (OSError, AttributeError) as exc:
        pytest.skip(f"no extended attributes here ({exc})")


@pytest.mark.parametrize("label, edit, path", [
    ("an edit", Edit("s.txt", "a\n", "b\n"), "s.txt"),
    ("a move", Edit("s.txt", "a\n", "b\n", move_to="t.txt"), "t.txt"),
])
def test_extended_attributes_are_kept(tree, label, edit, path):
    """The file renamed over the old one had none of its extended attributes (user.* notes, an ACL, a SELinux
    label)."""
    root = tree({"s.txt": "a\n"})
    _noted(root / "s.txt")
    apply_edits(root, [edit])
    assert os.getxattr(root / path, "user.note") == b"kept"


def test_a_file_put_back_keeps_its_extended_attributes(tree, monkeypatch):
    """The second file cannot be written (the disk is full): the first, written already, is put back whole."""
    from codewright.edit import confined

    root = tree({"a.py": "a = 1\n", "b.py": "b = 1\n"})
    _noted(root / "a.py")
    files = []

    def fsync_until_the_disk_is_full(fd):
        files.extend([fd] if _is_file(fd) else [])
        if len(files) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync_until_the_disk_is_full))
    with pytest.raises(EditError, match="^b.py: could not be written .*every file was restored"):
        apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n"), Edit("b.py", "b = 1\n", "b = 2\n")])
    assert (root / "a.py").read_text() == "a = 1\n"
    assert os.getxattr(root / "a.py", "user.note") == b"kept"


def _linked_pair(tree):
    """A tree of a.txt and b.txt, two hard links of one file."""
    root = tree({"a.txt": "one\ntwo\n", "c.txt": "c\n"})
    os.link(root / "a.txt", root / "b.txt")
    return root


def _still_linked(root) -> bool:
    """a.txt and b.txt are one file still, and nothing else was left beside them (a temporary file, a backup)."""
    names = sorted(p.name for p in root.iterdir())
    return os.stat(root / "a.txt").st_ino == os.stat(root / "b.txt").st_ino and names == ["a.txt", "b.txt", "c.txt"]


IN_PLACE = [
    ("an edit", Edit("a.txt", "one\n", "uno\n"), "uno\ntwo\n", 0o640),
    ("a shorter whole file", Edit.whole("a.txt", "1\n"), "1\n", 0o640),
    ("a mode line", Edit("a.txt", "one\n", "uno\n", mode=0o750), "uno\ntwo\n", 0o750),
]


@pytest.mark.parametrize("label, edit, after, mode", IN_PLACE, ids=[p[0] for p in IN_PLACE])
def test_a_file_of_several_hard_links_is_written_in_place(tree, label, edit, after, mode):
    """Renamed over, the name edited became a new file and its other hard link kept the old text, split from it."""
    root = _linked_pair(tree)
    os.chmod(root / "a.txt", 0o640)
    apply_edits(root, [edit])
    assert (root / "b.txt").read_text() == after
    assert _still_linked(root)
    assert stat.S_IMODE(os.stat(root / "a.txt").st_mode) == mode


def test_the_old_bytes_of_a_file_written_in_place_are_kept_beside_it_until_the_new_are_synced(tree, monkeypatch):
    """A crash while the file is written in place leaves a copy of what it held."""
    from codewright.edit import confined

    root = _linked_pair(tree)
    seen = []

    def fsync(fd):
        if os.fstat(fd).st_ino == os.stat(root / "a.txt").st_ino:
            seen.append({p.suffix: p.read_text() for p in root.iterdir() if p.name.startswith(".")})
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync))
    apply_edits(root, [Edit("a.txt", "one\n", "uno\n")])
    assert seen == [{".cw-backup": "one\ntwo\n"}]
    assert _still_linked(root)


def test_a_hard_linked_file_put_back_stays_linked(tree, snapshot, monkeypatch):
    """The second file cannot be written (the disk is full): the first, written in place, is put back in place."""
    from codewright.edit import confined

    root = _linked_pair(tree)
    before = snapshot(root)
    failed = []

    def fsync_failing_once_for_c(fd):
        written = (root / "a.txt").read_text() == "uno\ntwo\n"
        if not failed and written and _is_file(fd) and os.fstat(fd).st_ino != os.stat(root / "a.txt").st_ino:
            failed.append(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync_failing_once_for_c))
    with pytest.raises(EditError, match="^c.txt: could not be written .*every file was restored"):
        apply_edits(root, [Edit("a.txt", "one\n", "uno\n"), Edit("c.txt", "c\n", "C\n")])
    assert snapshot(root) == before
    assert _still_linked(root)


def test_a_hard_linked_file_that_cannot_be_written_in_place_is_put_back(tree, snapshot, monkeypatch):
    """The disk is full when the new bytes are synced: the old ones are written back, and the backup of them
    removed."""
    from codewright.edit import confined

    root = _linked_pair(tree)
    before = snapshot(root)
    failed = []

    def fsync_failing_once_for_the_file(fd):
        if not failed and os.fstat(fd).st_ino == os.stat(root / "a.txt").st_ino:
            failed.append(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync_failing_once_for_the_file))
    with pytest.raises(EditError, match=r"^a.txt: could not be written \(No space left on device\); every file was "
                                        "restored; nothing changed."):
        apply_edits(root, [Edit("a.txt", "one\n", "uno\n")])
    assert snapshot(root) == before
    assert _still_linked(root)


def test_a_hard_linked_file_that_cannot_be_put_back_names_its_backup(tree, monkeypatch):
    """Neither the new bytes nor the old ones can be synced into the file: it may hold neither, and the message
    said every file was restored; it names the backup that holds the old bytes, which stays."""
    from codewright.edit import confined

    root = _linked_pair(tree)
    (root / "sub").mkdir()
    os.link(root / "a.txt", root / "sub" / "a.txt")

    def fsync_failing_for_the_file(fd):
        if os.fstat(fd).st_ino == os.stat(root / "a.txt").st_ino:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync_failing_for_the_file))
    with pytest.raises(EditError) as failed:
        apply_edits(root, [Edit("c.txt", "c\n", "C\n"), Edit("sub/a.txt", "one\n", "uno\n")])
    found = re.fullmatch(r"sub/a.txt: could not be written \(Input/output error\), nor its old bytes put back: "
                         r"they are in (sub/\.a\.txt\.[0-9a-f]{16}\.cw-backup); every other file was restored\.",
                         str(failed.value))
    assert found, str(failed.value)
    assert (root / found[1]).read_text() == "one\ntwo\n"
    assert (root / "c.txt").read_text() == "c\n"


NOT_PUT_BACK = [
    ("a file at the root", "a.py", "a.py"),
    ("a file in a folder", "sub/a.py", "sub/a.py"),
    ("a name with a newline, quoted", "sub/a\nb.py", "$'sub/a\\nb.py'"),
]


@pytest.mark.parametrize("label, path, shown", NOT_PUT_BACK, ids=[n[0] for n in NOT_PUT_BACK])
def test_a_file_that_cannot_be_put_back_is_named_from_the_root(tree, monkeypatch, label, path, shown):
    """The second file cannot be written (the disk is full) and the first, made by the call, cannot be removed
    (another program made it a folder meanwhile): it was named by its absolute path, unquoted."""
    from codewright.edit import confined

    root = tree({"b.py": "b = 1\n"})
    monkeypatch.setattr(confined, "os", _OsWith(_full_at_the_second_file(root / path)))
    with pytest.raises(EditError) as failed:
        apply_edits(root, [Edit.whole(path, "a = 1\n"), Edit("b.py", "b = 1\n", "b = 2\n")])
    assert str(failed.value) == f"b.py: could not be written (No space left on device); restoring failed for {shown}."


KEPT = [
    ("a file at the root", "a.py", None, r"a\.py \(its old bytes are in (\.a\.py\.[0-9a-f]{16}\.cw-backup)\)"),
    ("a file in a folder", "sub/a.py", None,
     r"sub/a\.py \(its old bytes are in (sub/\.a\.py\.[0-9a-f]{16}\.cw-backup)\)"),
    ("nor can a backup be written", "sub/a.py", errno.EIO,
     r"sub/a\.py \(its old bytes could not be kept either: Input/output error\)"),
]


@pytest.mark.parametrize("label, path, backup_error, named", KEPT, ids=[k[0] for k in KEPT])
def test_the_old_bytes_of_a_file_that_cannot_be_put_back_are_kept_beside_it(tree, monkeypatch, label, path,
                                                                           backup_error, named):
    """The second file cannot be written (the disk is full) and the first, written already, cannot be put back
    (another program made it a folder meanwhile): its old bytes were held only in memory, and lost when the
    process ended. They are kept in a backup beside it that the message names, or the message says they are not."""
    from codewright.edit import confined

    root = tree({path: "a = 1\n", "b.py": "b = 1\n"})
    monkeypatch.setattr(confined, "os", _OsWith(_full_at_the_second_file(root / path, backup_error)))
    with pytest.raises(EditError) as failed:
        apply_edits(root, [Edit(path, "a = 1\n", "a = 2\n"), Edit("b.py", "b = 1\n", "b = 2\n")])
    found = re.fullmatch(r"b\.py: could not be written \(No space left on device\); restoring failed for "
                         + named + r"\.", str(failed.value))
    assert found, str(failed.value)
    backups = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.cw-backup"))
    assert backups == ([] if backup_error else [found[1]])
    assert [(root / b).read_text() for b in backups] == ([] if backup_error else ["a = 1\n"])
    assert (root / "b.py").read_text() == "b = 1\n"


def test_the_old_bytes_of_a_file_that_cannot_be_put_back_are_kept_when_interrupted(tree, monkeypatch):
    """Ctrl-C while the second file is written, the first made a folder meanwhile: no message names the file not
    put back, but its old bytes are kept beside it all the same."""
    from codewright.edit import confined

    root = tree({"a.py": "a = 1\n", "b.py": "b = 1\n"})
    files = []

    def fsync_then_interrupt(fd):
        os.fsync(fd)
        files.extend([fd] if _is_file(fd) else [])
        if len(files) == 2:
            (root / "a.py").unlink()
            (root / "a.py" / "x").mkdir(parents=True)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(confined, "os", _OsWith(fsync_then_interrupt))
    with pytest.raises(KeyboardInterrupt):
        apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n"), Edit("b.py", "b = 1\n", "b = 2\n")])
    assert [p.read_text() for p in root.glob(".a.py.*.cw-backup")] == ["a = 1\n"]
    assert (root / "b.py").read_text() == "b = 1\n"


def _full_at_the_second_file(swapped, backup_error=None):
    """An os.fsync that finds the disk full at the second file's new bytes, `swapped` made a folder meanwhile by
    another program, so that the file written before cannot be put back; with `backup_error`, a backup's bytes
    cannot be synced either."""
    files = []

    def fsync(fd):
        files.extend([fd] if _is_file(fd) else [])
        if len(files) == 2:
            swapped.unlink()
            (swapped / "x").mkdir(parents=True)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if backup_error and os.readlink(f"/proc/self/fd/{fd}").endswith(".cw-backup"):
            raise OSError(backup_error, os.strerror(backup_error))
        os.fsync(fd)

    return fsync


BACKUP_NAMES = [
    ("a short name", "a.txt", ".a.txt."),
    ("a name of 250 bytes, cut to fit 255", "n" * 246 + ".txt", "." + "n" * 227 + "."),
    ("a cut never splits a character", "é" * 125, "." + "é" * 113 + "."),
]


@pytest.mark.parametrize("label, name, start", BACKUP_NAMES, ids=[b[0] for b in BACKUP_NAMES])
def test_the_backup_of_a_file_written_in_place_is_named_after_it(tree, monkeypatch, label, name, start):
    """One a crash leaves beside the file (.RANDOM.cw-backup) did not say whose old bytes it held."""
    from codewright.edit import confined

    root = tree({name: "one\n"})
    os.link(root / name, root / "b.txt")
    seen = []

    def fsync(fd):
        if os.fstat(fd).st_ino == os.stat(root / name).st_ino:
            seen.extend(p.name for p in root.iterdir() if p.name.endswith(".cw-backup"))
        os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync))
    apply_edits(root, [Edit(name, "one\n", "uno\n")])
    assert len(seen) == 1 and re.fullmatch(re.escape(start) + r"[0-9a-f]{16}\.cw-backup", seen[0]), seen
    assert len(os.fsencode(seen[0])) <= 255
    assert (root / "b.txt").read_text() == "uno\n"


def test_writes_through_a_symlink_inside_the_root(tree):
    root = tree({"real.txt": "a\n"})
    os.symlink("real.txt", root / "link.txt")
    apply_edits(root, [Edit("link.txt", "a\n", "b\n")])
    assert (root / "real.txt").read_text() == "b\n" and (root / "link.txt").is_symlink()


def test_symlink_leaving_the_root_is_refused(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("keep\n")
    root = tree({"x.txt": "x\n"})
    os.symlink(outside, root / "escape.txt")
    with pytest.raises(EditError, match="outside the repository"):
        apply_edits(root, [Edit("escape.txt", "keep\n", "lost\n")])
    assert outside.read_text() == "keep\n"


def test_a_failed_write_restores_the_files_already_written(tree, snapshot, monkeypatch):
    """The fourth file cannot be written (the disk is full when it is synced): the two files written before
    it, the created file and its new folder must all be undone."""
    from codewright.edit import confined

    root = tree({"a.py": "a = 1\n", "b.py": b"b = 1\r\n", "c.py": "c = 1\n"})
    os.chmod(root / "b.py", 0o600)
    before = snapshot(root)
    files = []

    def fsync_until_the_disk_is_full(fd):
        files.extend([fd] if _is_file(fd) else [])
        if len(files) == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)

    edits = [Edit("a.py", "a = 1\n", "a = 2\n"), Edit("b.py", "b = 1\n", "b = 2\n"),
             Edit.whole("new/dir/c.py", "new\n"), Edit("c.py", "c = 1\n", "c = 2\n")]
    monkeypatch.setattr(confined, "os", _OsWith(fsync_until_the_disk_is_full))
    with pytest.raises(EditError, match=r"^c.py: could not be written \(No space left on device\); every file was "
                                        "restored"):
        apply_edits(root, edits)
    assert snapshot(root) == before
    assert not (root / "new").exists()
    assert stat.S_IMODE(os.stat(root / "b.py").st_mode) == 0o600
    assert not [p for p in root.iterdir() if p.name.endswith(".cw-tmp")]


def test_a_file_name_of_250_bytes_is_edited(tree):
    """The temporary file beside it was named after it, and went over the file system's 255 bytes."""
    name = "n" * 247 + ".py"
    root = tree({name: "c = 1\n"})
    apply_edits(root, [Edit(name, "c = 1\n", "c = 2\n")])
    assert [p.name for p in root.iterdir()] == [name]
    assert (root / name).read_text() == "c = 2\n"


def test_ctrl_c_while_writing_restores_the_files_already_written(tree, snapshot, monkeypatch):
    """A real SIGINT arrives while the third of four files is being written: the two written before it, the
    third and the new folder are put back, and the interruption goes on to the caller."""
    from codewright.edit import confined

    root = tree({"a.py": "a = 1\n", "b.py": "b = 1\n", "c.py": "c = 1\n"})
    before = snapshot(root)
    synced = []

    def fsync_then_interrupt(fd):
        os.fsync(fd)
        synced.extend([fd] if _is_file(fd) else [])
        if len(synced) == 3:
            signal.raise_signal(signal.SIGINT)

    edits = [Edit.whole("new/d.py", "d\n"), Edit("a.py", "a = 1\n", "a = 2\n"), Edit("b.py", "b = 1\n", "b = 2\n"),
             Edit("c.py", "c = 1\n", "c = 2\n")]
    monkeypatch.setattr(confined, "os", _OsWith(fsync_then_interrupt))
    with pytest.raises(KeyboardInterrupt):
        apply_edits(root, edits)
    assert snapshot(root) == before
    assert not (root / "new").exists()


class _OsWith:
    """The os module with some functions swapped (the writer, `confined`, calls os.fsync and os.replace through
    its module): the file system's failures, not ours."""

    def __init__(self, fsync, **others):
        self.fsync = fsync
        self.__dict__.update(others)

    def __getattr__(self, name):
        return getattr(os, name)


def _is_file(fd: int) -> bool:
    """Whether `fd`, given to os.fsync, is a file's (a folder's is synced after a rename)."""
    return stat.S_ISREG(os.fstat(fd).st_mode)


SYNCS = [
    ("an edit", Edit("d/a.py", "a = 1\n", "a = 2\n"), None, ["renamed", "folder synced"], "a = 2\n"),
    ("a delete", Edit.delete("d/a.py"), None, ["folder synced"], None),
    ("a file system that cannot sync a folder", Edit("d/a.py", "a = 1\n", "a = 2\n"), errno.EINVAL,
     ["renamed", "folder synced"], "a = 2\n"),
]


@pytest.mark.parametrize("label, edit, error, steps, after", SYNCS, ids=[s[0] for s in SYNCS])
def test_the_folder_is_synced_after_a_rename_or_delete(tree, monkeypatch, label, edit, error, steps, after):
    """The file's name lives in its folder: a power loss before the folder reached the disk could lose the
    rename. A folder that cannot be synced fails nothing: the file is written already."""
    from codewright.edit import confined

    root = tree({"d/a.py": "a = 1\n"})
    done = []

    def replace(*args, **kwargs):
        os.replace(*args, **kwargs)
        done.append("renamed")

    def fsync(fd):
        if _is_file(fd):
            return os.fsync(fd)
        done.append("folder synced" if os.fstat(fd).st_ino == os.stat(root / "d").st_ino else "another folder synced")
        if error:
            raise OSError(error, os.strerror(error))
        return os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync, replace=replace))
    apply_edits(root, [edit])
    assert done == steps
    path = root / "d" / "a.py"
    assert (path.read_text() if path.exists() else None) == after


NEW_FOLDERS = [
    ("an existing folder", "d/c.py", ["d"]),
    ("one new folder", "new/c.py", [".", "new"]),
    ("two new folders", "new/dir/c.py", [".", "new", "new/dir"]),
    ("a new folder in an existing one", "d/new/c.py", ["d", "d/new"]),
]


@pytest.mark.parametrize("label, path, synced", NEW_FOLDERS, ids=[f[0] for f in NEW_FOLDERS])
def test_a_folder_made_for_a_new_file_is_synced_into_its_parent(tree, monkeypatch, label, path, synced):
    """A new folder's name lives in its parent: only the file's own folder was synced, and a power loss before
    the parent reached the disk lost the new folder and the file in it."""
    from codewright.edit import confined

    root = tree({"d/a.py": "a = 1\n"})
    folders = []

    def fsync(fd):
        if not _is_file(fd):
            folders.append(next(f.relative_to(root).as_posix() for f in [root, *root.rglob("*")]
                                if f.is_dir() and os.stat(f).st_ino == os.fstat(fd).st_ino))
        return os.fsync(fd)

    monkeypatch.setattr(confined, "os", _OsWith(fsync))
    apply_edits(root, [Edit.whole(path, "c = 1\n")])
    assert folders == synced
    assert (root / path).read_text() == "c = 1\n"


def test_a_file_replaced_by_a_directory_mid_way_is_restored(tree, snapshot, monkeypatch):
    """Between planning and writing, `z.py` becomes a directory (a real file-system change made
    just before the real commit runs): os.replace fails on it and `a.py` is put back."""
    from codewright.edit import apply as apply_module
    from codewright.edit.transaction import commit

    root = tree({"a.py": "a = 1\n", "z.py": "z = 1\n"})
    before = snapshot(root)

    def swap_then_commit(writes, base):
        (root / "z.py").unlink()
        (root / "z.py").mkdir()
        return commit(writes, base)

    monkeypatch.setattr(apply_module, "commit", swap_then_commit)
    with pytest.raises(EditError, match="z.py: could not be written"):
        apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n"), Edit("z.py", "z = 1\n", "z = 2\n")])
    assert (root / "a.py").read_bytes() == before["a.py"]
    assert (root / "z.py").is_dir()


@pytest.mark.parametrize("label, path, meanwhile, edit", [
    ("an edited file", "z.py", b"z = 9\n", Edit("z.py", "z = 1\n", "z = 2\n")),
    ("a deleted file", "z.py", b"z = 9\n", Edit.delete("z.py")),
    ("a moved file", "z.py", b"z = 9\n", Edit("z.py", "", "", move_to="y.py")),
    ("a new file", "n.py", b"made meanwhile\n", Edit.whole("n.py", "new\n")),
])
def test_a_file_written_by_another_program_after_it_was_read_is_not_overwritten(tree, snapshot, monkeypatch,
                                                                                 label, path, meanwhile, edit):
    """Between the read and the write, another program (a formatter the model started) writes the file: its
    change was lost unseen. Now the call fails, `a.py` written before it is put back, the change stays."""
    from codewright.edit import apply as apply_module
    from codewright.edit.transaction import commit

    root = tree({"a.py": "a = 1\n", "z.py": "z = 1\n"})
    before = snapshot(root)

    def write_then_commit(writes, base):
        (root / path).write_bytes(meanwhile)
        return commit(writes, base)

    monkeypatch.setattr(apply_module, "commit", write_then_commit)
    with pytest.raises(EditError, match=f"{path}: could not be written \\(it changed on disk after it was read "
                                        "\\(another program wrote it meanwhile\\); re-read it\\); every file was "
                                        "restored; nothing changed."):
        apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n"), edit])
    assert snapshot(root) == {**before, path: meanwhile}


@pytest.mark.parametrize("edit", [Edit.whole("d/notes.txt", "changed\n"), Edit.whole("d/new.txt", "new\n"),
                                  Edit.delete("d/notes.txt")], ids=["overwrite", "create", "delete"])
@pytest.mark.parametrize("target", ["outside", ".git"])
def test_a_folder_swapped_for_a_link_after_the_check_is_not_written_through(tree, snapshot, monkeypatch,
                                                                            tmp_path_factory, edit, target):
    """Between the check and the write, `d` becomes a link (a background command of the model's could do it):
    the write went through it, outside the workspace or into .git (a config there runs commands)."""
    from codewright.edit import apply as apply_module
    from codewright.edit.transaction import commit

    root = tree({"a.py": "a = 1\n", "d/notes.txt": "inside\n"})
    elsewhere = tmp_path_factory.mktemp("outside") if target == "outside" else root / ".git"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "notes.txt").write_text("elsewhere\n")
    before = snapshot(elsewhere)

    def swap_then_commit(writes, base):
        (root / "d").rename(root / "d.real")
        (root / "d").symlink_to(elsewhere)
        return commit(writes, base)

    monkeypatch.setattr(apply_module, "commit", swap_then_commit)
    with pytest.raises(EditError, match="d/.*: could not be written \\(a folder or the file on its path became a "
                                        "symbolic link after it was checked\\); every file was restored"):
        apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n"), edit])
    assert snapshot(elsewhere) == before
    assert (root / "a.py").read_text() == "a = 1\n"


def test_dry_run_writes_nothing_but_reports_the_diff(tree, snapshot):
    root = tree({"a.py": "a = 1\n"})
    before = snapshot(root)
    result = apply_edits(root, [Edit("a.py", "a = 1\n", "a = 2\n")], dry_run=True)
    assert snapshot(root) == before
    assert result.dry_run and "-a = 1\n+a = 2\n" in result.changes[0].diff


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_the_process_has_when_it_is_made(tree, umask, mode):
    """The mode of a new file was worked out once, from the umask at import: a process that set another umask
    afterwards (a tool, the user's shell settings through a wrapper) wrote files with the old one's bits."""
    root = tree({"a.py": "a = 1\n"})
    old = os.umask(umask)
    try:
        apply_edits(root, [Edit("fresh.py", None, "x = 1\n")])
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(root / "fresh.py").st_mode) == mode
