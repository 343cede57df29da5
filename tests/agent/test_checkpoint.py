"""Checkpoints in the shadow repository: byte-identical restores, the user's .git untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codewright.agent.checkpoint import MAX_LOOKED_INTO, MAX_REMOVED, ShadowRepo, _holders, _status
from codewright.errors import CodewrightError, UsageError


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git/.codewright: its bytes and mode bits."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in {".git", ".codewright"} or not path.is_file():
            continue
        found[rel.as_posix()] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return found


IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@t"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "a.py").write_bytes(b"print('a')  \r\n\tx = 1\n")
    (tmp_path / "keep.bin").write_bytes(bytes(range(256)))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b\n")
    return tmp_path


def test_rewind_restores_modified_deleted_and_removes_added_files(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    before = snapshot(repo)
    (repo / "a.py").write_text("changed\n")
    os.remove(repo / "sub" / "b.txt")
    (repo / "new.py").write_text("new\n")
    os.chmod(repo / "keep.bin", 0o755)
    made = shadow.checkpoint("edit")
    assert made is not None
    assert sorted(made.changes) == [("a.py", "modified"), ("keep.bin", "modified"),
                                    ("new.py", "added"), ("sub/b.txt", "deleted")]
    target, restored = shadow.rewind(1)
    changes = restored.changes
    assert target.label == "start"
    assert snapshot(repo) == before
    assert ("new.py", "deleted") in changes


def test_rewind_n_goes_n_checkpoints_back_and_keeps_later_state(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("0")
    states = [snapshot(repo)]
    for n in range(1, 4):
        (repo / "a.py").write_text(f"v{n}\n")
        (repo / f"f{n}.txt").write_text(str(n))
        shadow.checkpoint(str(n))
        states.append(snapshot(repo))
    (repo / "a.py").write_text("unrecorded\n")  # a change after the last checkpoint
    shadow.rewind(2)
    assert snapshot(repo) == states[1]
    shadow.rewind(1)  # the branch moved: one more step back from checkpoint 1
    assert snapshot(repo) == states[0]
    saved = subprocess.run(["git", "--git-dir", str(shadow.git_dir), "for-each-ref", "refs/codewright/"],
                           capture_output=True, text=True, check=True).stdout
    assert saved.count("before-rewind") == 2


def test_unchanged_files_make_no_checkpoint_and_user_git_is_untouched(repo: Path) -> None:
    user_git = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout
    shadow = ShadowRepo(repo)
    assert shadow.checkpoint("start") is not None
    assert shadow.checkpoint("again") is None
    after = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True,
                           check=True).stdout
    assert after == user_git  # .codewright/ ignores itself
    assert subprocess.run(["git", "log"], cwd=repo, capture_output=True, check=False).returncode != 0  # no commits


def test_rewind_past_the_first_checkpoint_is_a_usage_error(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("first")
    (repo / "a.py").write_text("changed\n")
    shadow.checkpoint("second")
    with pytest.raises(UsageError, match="only 1 earlier checkpoint"):
        shadow.rewind(2)


def test_undo_with_one_checkpoint_says_there_is_nothing_to_go_back_to(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("session start")
    with pytest.raises(UsageError, match=r"^nothing to go back to: there is one checkpoint \(session start\) and none before it$"):
        shadow.rewind(1)


def test_rewind_without_any_checkpoint_says_so(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no checkpoints yet"):
        ShadowRepo(tmp_path).rewind(1)


def test_a_shadow_repository_git_cannot_read_is_an_error_not_an_empty_history(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("session start")
    (shadow.git_dir / "HEAD").write_text("garbage\n")
    with pytest.raises(CodewrightError, match=r"^checkpoint: cannot read .*shadow\.git \(exit 128\): fatal: "):
        ShadowRepo(repo).rewind(1)



def test_a_damaged_branch_of_checkpoints_is_an_error_not_an_empty_history(repo: Path) -> None:
    """git reads a ref file holding garbage as no branch at all: "no checkpoints yet" hid the history."""
    shadow = ShadowRepo(repo)
    shadow.checkpoint("session start")
    (shadow.git_dir / "refs" / "heads" / "checkpoints").write_text("garbage\n")
    with pytest.raises(CodewrightError, match=r"refs/heads/checkpoints names no commit \(it is damaged\)"):
        ShadowRepo(repo).rewind(1)

CTRL_C_DURING_CHECKPOINT = """
import os, signal, sys, threading, time
from pathlib import Path
from codewright.agent.checkpoint import MAX_REMOVED, ShadowRepo, _status

root = Path(sys.argv[1])
lock = root / ".codewright" / "shadow.git" / "index.lock"
shadow = ShadowRepo(root)
sent = threading.Event()

def press_ctrl_c_while_git_adds():  # as a terminal does: to the whole foreground process group
    deadline = time.monotonic() + 30
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.0002)
    os.killpg(os.getpgid(0), signal.SIGINT)
    sent.set()

threading.Thread(target=press_ctrl_c_while_git_adds, daemon=True).start()
try:
    shadow.checkpoint("cut short?")
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted after the checkpoint" if sent.is_set() else "interrupted before git ran")
"""


def test_ctrl_c_during_a_checkpoint_waits_for_it_then_interrupts(tmp_path: Path) -> None:
    """Killed mid-`git add`, git left index.lock behind and every later checkpoint failed on it."""
    for i in range(3000):
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n" * 50)
    src = str(Path(__file__).parents[2] / "src")
    done = subprocess.run([sys.executable, "-c", CTRL_C_DURING_CHECKPOINT, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, check=False, start_new_session=True,  # its own process group
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])})
    assert done.stdout.strip() == "interrupted after the checkpoint", done.stderr
    shadow = ShadowRepo(tmp_path)
    assert not (shadow.git_dir / "index.lock").exists()
    assert [c.label for c in shadow.log()] == ["cut short?"]
    (tmp_path / "f0.txt").write_text("changed\n")
    assert shadow.checkpoint("next") is not None  # and the next one works


@pytest.mark.parametrize("lock", ["index.lock", "refs/heads/checkpoints.lock"])
def test_a_git_lock_that_no_process_holds_is_removed_and_checkpoints_go_on(repo: Path, lock: str) -> None:
    """A git killed mid-write (SIGKILL, a machine that went down) left its lock: every later checkpoint and undo
    failed on "index.lock: File exists"."""
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / "a.py").write_text("edited\n")
    (shadow.git_dir / lock).write_text("")
    assert shadow.checkpoint("edit") is not None
    (shadow.git_dir / lock).write_text("")
    assert shadow.rewind(1)[0].label == "start" and (repo / "a.py").read_bytes() == b"print('a')  \r\n\tx = 1\n"
    assert not (shadow.git_dir / lock).exists()


def test_a_git_lock_a_live_process_holds_is_waited_for_then_named(repo: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The git of a killed run goes on to its end: its lock is not stale, and removing it would break the index."""
    from codewright.agent import checkpoint

    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    lock = shadow.git_dir / "index.lock"
    monkeypatch.setattr(checkpoint, "LOCK_WAIT", 0.3)
    with lock.open("w") as held:
        holder = subprocess.Popen(["sleep", "60"], stdout=held)
    try:
        with pytest.raises(CodewrightError, match=rf"^checkpoint: {lock} is held by process {holder.pid} \(sleep 60\), "
                                                  r"still at work on the shadow repository after 0\.3 s; let it finish"):
            shadow.checkpoint("edit")
    finally:
        ended = holder.poll()
        holder.kill()
        holder.wait()
        # one that ended meanwhile (killed from outside) left a stale lock indeed: that is said, not DID NOT RAISE
        assert ended is None, f"the holder ended before its lock was looked at ({_status(ended)})"
    assert lock.exists()


# a process at work on a lock, as git is: it opens and closes a descriptor again and again (one for each file it adds)
AT_WORK = "while :; do exec 3</dev/null 4</dev/null 5</dev/null 6</dev/null; exec 3<&- 4<&- 5<&- 6<&-; done"


def test_a_process_at_work_on_a_git_lock_is_seen_at_every_look(tmp_path: Path) -> None:
    """A descriptor it closed between the listing of its descriptors and their reading hid the whole process
    (up to a look in 4 here, one in 30 while `git add` ran): the lock of a live git was removed as stale under it."""
    lock = tmp_path / "index.lock"
    with lock.open("w") as held:
        holder = subprocess.Popen(["sh", "-c", AT_WORK], stdout=held)
    try:
        missed = sum(holder.pid not in _holders(lock) for _ in range(200))
    finally:
        holder.kill()
        holder.wait()
    assert missed == 0


@pytest.mark.parametrize("code, said", [(128, "exit 128"), (1, "exit 1"), (-2, "killed by SIGINT"), (-9, "killed by SIGKILL")])
def test_a_failed_git_says_how_it_ended(code: int, said: str) -> None:
    """"git add failed: " with nothing after it was all a killed git left to go on."""
    assert _status(code) == said


@pytest.mark.parametrize("name", ["precious.csv", "[ab]*.csv"])
def test_rewind_keeps_a_file_the_restored_ignore_rules_leave_out(repo: Path, name: str) -> None:
    """The agent dropped `data/` from .gitignore: a later checkpoint holds the user's data, the earlier one could
    not; going back must not delete it (nor anything its name matches as a pattern)."""
    (repo / ".gitignore").write_text("data/\n")
    (repo / "data").mkdir()
    (repo / "data" / name).write_text("user data\n")
    os.chmod(repo / "data" / name, 0o600)
    (repo / "data" / "other.csv").write_text("other\n")
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "new.py").write_text("new\n")
    assert ("data/" + name, "added") in shadow.checkpoint("edit").changes
    changes = shadow.rewind(1)[1].changes
    assert (repo / "data" / name).read_text() == "user data\n" and (repo / "data" / "other.csv").exists()
    assert (repo / "data" / name).stat().st_mode & 0o777 == 0o600
    assert not (repo / "new.py").exists() and (repo / ".gitignore").read_text() == "data/\n"
    assert sorted(changes) == [(".gitignore", "modified"), ("new.py", "deleted")]
    (repo / "more.py").write_text("more\n")
    assert shadow.checkpoint("after").changes == [("more.py", "added")]  # the kept files are untracked again


def _edit(path: Path) -> None:
    path.write_text("edited by the agent\n")


def _delete(path: Path) -> None:
    path.unlink()


def _make_executable(path: Path) -> None:
    os.chmod(path, 0o700)
    _edit(path)


def _make_not_executable(path: Path) -> None:
    os.chmod(path, 0o600)
    _edit(path)


def _make_readable(path: Path) -> None:  # a command's `chmod 644 creds.ini`, then an edit
    os.chmod(path, 0o644)
    _edit(path)


def _make_writable(path: Path) -> None:  # the agent's `chmod u+w`, which a read-only file's edit asks for
    os.chmod(path, path.stat().st_mode | 0o200)
    _edit(path)


def _only_chmod(path: Path) -> None:  # the bits alone: no content change brings the file into the restore
    os.chmod(path, 0o644)
    (path.parent / "other.txt").write_text("a change, so that there is a checkpoint to undo\n")


def _rewind(shadow: ShadowRepo, start: str) -> None:
    shadow.rewind(1)


def _restore_paths(shadow: ShadowRepo, start: str) -> None:  # as a restarted attempt undoes its own changes
    shadow.restore_paths(start, ["creds.ini"], "attempt undone")


@pytest.mark.parametrize("undo", [_rewind, _restore_paths], ids=["rewind", "restore_paths"])
@pytest.mark.parametrize("bits, change", [
    (0o600, _edit), (0o640, _edit), (0o600, _delete), (0o700, _delete), (0o600, _make_executable),
    (0o700, _make_not_executable), (0o600, _make_readable), (0o444, _make_writable), (0o600, _only_chmod),
], ids=lambda value: oct(value) if isinstance(value, int) else value.__name__.strip("_"))
def test_a_restored_file_keeps_its_permission_bits(repo: Path, bits: int, change: Callable[[Path], None],
                                                   undo: Callable[[ShadowRepo, str], None]) -> None:
    """git records 644 or 755 only: undo made a private 0600 file world-readable 0644."""
    creds = repo / "creds.ini"
    creds.write_text("token=abc\n")
    os.chmod(creds, bits)
    shadow = ShadowRepo(repo)
    start = shadow.checkpoint("start").commit
    change(creds)
    shadow.checkpoint("edit")
    undo(shadow, start)
    assert (creds.read_text(), oct(creds.stat().st_mode & 0o777)) == ("token=abc\n", oct(bits))


def _rewind_it(shadow: ShadowRepo, start: str) -> None:
    shadow.rewind(1)


def _restore_its_path(shadow: ShadowRepo, start: str) -> None:  # a restarted attempt
    shadow.restore_paths(start, ["sub/b.txt"], "attempt undone")


@pytest.mark.parametrize("undo", [_rewind_it, _restore_its_path], ids=["rewind", "restore_paths"])
def test_a_change_of_permission_bits_alone_is_checkpointed_and_undone(repo: Path,
                                                                      undo: Callable[[ShadowRepo, str], None]) -> None:
    """A checkpoint's tree holds the content, and git's mode 644 or 755: `chmod 600` made no checkpoint, and going
    back to one that records no bits for the file (git's own) left it 0600."""
    bits = (repo / "sub" / "b.txt").stat().st_mode & 0o777
    shadow = ShadowRepo(repo)
    start = shadow.checkpoint("start").commit
    (repo / "sub" / "b.txt").chmod(0o600)
    assert shadow.checkpoint("chmod").changes == [("sub/b.txt", "modified")]
    undo(shadow, start)
    assert (repo / "sub" / "b.txt").stat().st_mode & 0o777 == bits


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set this process's umask for the test; the one it had is put back after."""
    was = os.umask(0o022)
    yield os.umask
    os.umask(was)


def _nothing(repo: Path) -> None:
    pass


def _chmod_600(repo: Path) -> None:
    (repo / "sub" / "b.txt").chmod(0o600)


def _delete_it(repo: Path) -> None:
    (repo / "sub" / "b.txt").unlink()


@pytest.mark.parametrize("change, made", [
    (_nothing, None), (_chmod_600, [("sub/b.txt", "modified")]), (_delete_it, [("sub/b.txt", "deleted")]),
], ids=["nothing", "chmod_600", "delete"])
def test_a_umask_changed_between_checkpoints_is_no_change_and_undo_gives_the_bits_back(
        repo: Path, umask: Callable[[int], None], change: Callable[[Path], None],
        made: list[tuple[str, str]] | None) -> None:
    """Bits were judged against the umask of each checkpoint: under 077 every 0644 file was odd, so a session
    started after the user's umask changed listed every file as modified, though none had changed."""
    (repo / "sub" / "b.txt").chmod(0o644)
    before = snapshot(repo)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    umask(0o077)
    change(repo)
    checkpoint = shadow.checkpoint("next session")
    assert (checkpoint.changes if checkpoint else None) == made
    if checkpoint:
        shadow.rewind(1)
    assert snapshot(repo) == before


def test_a_file_name_that_is_not_utf8_is_checkpointed_and_restored(repo: Path) -> None:
    odd = os.fsdecode(b"caf\xe9.py")
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / odd).write_text("x = 1\n")
    assert shadow.checkpoint("edit").changes == [(odd, "added")]
    assert shadow.rewind(1)[1].changes == [(odd, "deleted")] and not (repo / odd).exists()


def test_two_processes_checkpointing_one_repository_at_once_both_succeed(repo: Path) -> None:
    """Two sessions in one repository: git's index.lock made one of them fail."""
    code = ("import sys; from pathlib import Path; from codewright.agent.checkpoint import ShadowRepo\n"
            "root = Path(sys.argv[1]); name = sys.argv[2]\n"
            "for i in range(15):\n"
            "    (root / f'{name}.txt').write_text(str(i)); ShadowRepo(root).checkpoint(f'{name} {i}')\n")
    src = str(Path(__file__).parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    runs = [subprocess.Popen([sys.executable, "-c", code, str(repo), name], env=env, stderr=subprocess.PIPE,
                             text=True) for name in ("one", "two")]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert (repo / "one.txt").read_text() == (repo / "two.txt").read_text() == "14"
    assert len(ShadowRepo(repo).log()) >= 16


def test_a_shadow_repository_deleted_mid_session_is_made_again(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    shutil.rmtree(repo / ".codewright")  # by a command, or the user
    (repo / "a.py").write_text("changed\n")
    assert shadow.checkpoint("after") is not None and [c.label for c in shadow.log()] == ["after"]


def test_a_repository_deleted_mid_session_is_an_error_that_says_so(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    shadow = ShadowRepo(root)
    shutil.rmtree(root)
    with pytest.raises(CodewrightError, match=f"^checkpoint: the repository {root} no longer exists$"):
        shadow.checkpoint("after")


def test_files_changed_since_the_last_checkpoint_are_named_by_a_rewind(repo: Path) -> None:
    """Hand edits after a session go back with an undo: `undo` names them (kept under before-rewind/)."""
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / "a.py").write_text("agent\n")
    shadow.checkpoint("edit")
    (repo / "sub" / "b.txt").write_text("by hand\n")
    (repo / "mine.py").write_text("mine\n")
    assert shadow.rewind(1)[1].unsaved == ["mine.py", "sub/b.txt"]


def test_a_rewind_right_after_a_checkpoint_names_no_unsaved_file(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / "a.py").write_text("agent\n")
    shadow.checkpoint("edit")
    assert shadow.rewind(1)[1].unsaved == []

@pytest.mark.parametrize("attributes, content", [
    ("* text=auto\n", b"crlf\r\nline\r\n"),
    ("*.txt text eol=crlf\n", b"lf\nline\n"),
    ("*.txt ident\n", b"$Id$\n"),
], ids=["text=auto", "eol=crlf", "ident"])
def test_a_rewind_is_byte_for_byte_whatever_the_projects_gitattributes_say(repo: Path, attributes: str,
                                                                           content: bytes) -> None:
    (repo / ".gitattributes").write_text(attributes)
    (repo / "w.txt").write_bytes(content)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    (repo / "w.txt").write_bytes(b"edited\n")
    shadow.checkpoint("edit")
    shadow.rewind(1)
    assert (repo / "w.txt").read_bytes() == content


def test_a_nested_repository_without_a_commit_is_left_out_not_a_failure(repo: Path) -> None:
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    subprocess.run(["git", "init", "-q", "newproj"], cwd=repo, check=True)
    (repo / "newproj" / "x.txt").write_text("new\n")
    (repo / "a.py").write_text("edited\n")
    assert shadow.checkpoint("edit") is not None
    shadow.rewind(1)
    assert (repo / "a.py").read_bytes() == b"print('a')  \r\n\tx = 1\n"
    assert (repo / "newproj" / "x.txt").read_text() == "new\n"


@pytest.mark.parametrize("folders", [["empty"], ["logs/old", "logs/new"], ["a b/c"]])
def test_an_empty_folder_deleted_is_made_again(repo: Path, folders: list[str]) -> None:
    """git holds no folder, only files: an empty folder the agent removed was gone for good after undo."""
    for folder in folders:
        (repo / folder).mkdir(parents=True)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    for folder in folders:
        shutil.rmtree(repo / folder.split("/")[0], ignore_errors=True)
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("edit")
    restored = shadow.rewind(1)[1]
    assert all((repo / folder).is_dir() for folder in folders)
    assert sorted(restored.changes) == sorted([("a.py", "modified"), *((f"{f}/", "added") for f in folders)])
    assert restored.unrestored == []


@pytest.mark.parametrize("there, made, removed, left", [
    ([], ["new"], ["new/"], []),
    ([], ["a/b/c"], ["a/"], []),
    ([], ["x/one", "x/two"], ["x/"], []),
    ([], ["x/one", "x/two/deeper"], ["x/"], []),
    ([], ["sub/inner"], ["sub/inner/"], ["sub"]),
    (["logs"], ["logs/new"], ["logs/new/"], ["logs"]),
], ids=["one", "nested", "two-in-one", "two-deep-in-one", "beside-a-file", "in-an-empty-one-recorded"])
def test_an_empty_folder_made_since_is_removed(repo: Path, there: list[str], made: list[str], removed: list[str],
                                                left: list[str]) -> None:
    """The agent's `mkdir -p a/b/c` stayed after undo: git holds no folder, so nothing removed it."""
    for folder in there:
        (repo / folder).mkdir(parents=True)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    for folder in made:
        (repo / folder).mkdir(parents=True)
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("edit")
    restored = shadow.rewind(1)[1]
    assert [folder for folder in made if (repo / folder).exists()] == []
    assert all((repo / folder).is_dir() for folder in left)
    assert sorted(restored.changes) == sorted([("a.py", "modified"), *((f, "deleted") for f in removed)])


def test_a_nested_repository_deleted_is_named_as_not_restored(repo: Path) -> None:
    """git records a folder holding a repository of its own by its commit: undo could not bring back its files,
    and said nothing (the folder came back empty, reported as added)."""
    lib = repo / "vendor" / "lib"
    lib.mkdir(parents=True)
    (lib / "lib.py").write_text("x = 1\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "lib.py"], [*identity, "commit", "-qm", "i"]):
        subprocess.run(["git", *args], cwd=lib, check=True)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    shutil.rmtree(repo / "vendor")
    shadow.checkpoint("edit")
    restored = shadow.rewind(1)[1]
    assert (restored.changes, restored.unrestored) == ([], ["vendor/lib"])


def _nested_repository(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "lib.py").write_text("x = 1\n")
    _commit_all(folder, ["init", "-q"])


def _commit_all(folder: Path, *before: list[str]) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (*before, ["add", "-A"], [*identity, "commit", "-qm", "c"]):
        subprocess.run(["git", *args], cwd=folder, check=True)


def _commit_in_it(repo: Path) -> None:
    (repo / "vendor" / "lib" / "lib.py").write_text("x = 2\n")
    _commit_all(repo / "vendor" / "lib")


def test_a_checkpoint_runs_no_program_a_nested_repository_names(repo: Path, tmp_path_factory) -> None:
    """git add ran git status in each repository the last checkpoint recorded, to ask whether its files had
    changed, and that git ran the repository's hooks and filters: a command could make one, sandboxed, and have
    them run at the next checkpoint, outside the sandbox."""
    ran = tmp_path_factory.mktemp("ran")
    lib = repo / "vendor" / "lib"
    _nested_repository(lib)
    hook = lib / ".git" / "hooks" / "post-index-change"
    hook.write_text(f"#!/bin/sh\ntouch {ran}/hook\n")
    hook.chmod(0o755)
    subprocess.run(["git", "config", "filter.probe.clean", f"touch {ran}/filter; cat"], cwd=lib, check=True)
    (lib / ".gitattributes").write_text("* filter=probe\n")
    _commit_all(lib)
    for made in ran.iterdir():
        made.unlink()
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    os.utime(lib / "lib.py", (1e9, 1e9))  # the same bytes, another time: its git reads them again
    (repo / "a.py").write_text("edited\n")
    assert shadow.checkpoint("edit").changes == [("a.py", "modified")]
    assert sorted(made.name for made in ran.iterdir()) == []


@pytest.mark.parametrize("there, change", [
    (True, lambda repo: shutil.rmtree(repo / "vendor")),
    (False, lambda repo: _nested_repository(repo / "vendor" / "lib")),
    (True, _commit_in_it),
], ids=["deleted", "added", "committed-in"])
def test_a_nested_repository_a_restarted_attempt_cannot_restore_is_named(repo: Path, there: bool,
                                                                           change: Callable[[Path], None]) -> None:
    """restore_paths passed over a folder holding a repository of its own, which it cannot put back, saying nothing."""
    if there:
        _nested_repository(repo / "vendor" / "lib")
    shadow = ShadowRepo(repo)
    start = shadow.checkpoint("start").commit
    change(repo)
    (repo / "a.py").write_text("edited\n")
    paths = [path for path, _ in shadow.checkpoint("step").changes]
    restored = shadow.restore_paths(start, paths, "attempt undone")
    assert (sorted(paths), restored.changes, restored.unrestored) == (
        ["a.py", "vendor/lib"], [("a.py", "modified")], ["vendor/lib"])
    assert (repo / "a.py").read_bytes() == b"print('a')  \r\n\tx = 1\n"


def _rewind_past_it(shadow: ShadowRepo, start: str) -> None:
    shadow.rewind(2)


def _restore_the_steps_paths(shadow: ShadowRepo, start: str) -> None:  # a restarted attempt
    shadow.restore_paths(start, ["a.py", "local.cfg"], "attempt undone")


@pytest.mark.parametrize("undo", [_rewind, _rewind_past_it, _restore_the_steps_paths],
                         ids=["rewind", "rewind-past-it", "restore_paths"])
@pytest.mark.parametrize("change", [_edit, _delete], ids=["edit", "delete"])
def test_an_ignored_file_kept_before_a_write_comes_back(repo: Path, change: Callable[[Path], None],
                                                        undo: Callable[[ShadowRepo, str], None]) -> None:
    """No checkpoint held an ignored file (a local config): undo could not bring back what a tool overwrote or
    deleted. `keep`, called before the write, records it on top of the last checkpoint."""
    (repo / ".gitignore").write_text("local.cfg\n")
    (repo / "local.cfg").write_text("db=mine\n")
    shadow = ShadowRepo(repo)
    start = shadow.checkpoint("start").commit
    (repo / "a.py").write_text("an earlier call of the step\n")
    kept = shadow.keep(["local.cfg", "a.py", "new.py"], "ignored files before a write")
    assert kept.changes == [("local.cfg", "added")]
    change(repo / "local.cfg")
    shadow.checkpoint("step")
    undo(shadow, start)
    assert (repo / "local.cfg").read_text() == "db=mine\n"
    assert (repo / "a.py").read_bytes() == b"print('a')  \r\n\tx = 1\n"


def test_keep_checkpoints_nothing_where_no_path_is_an_ignored_file(repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    assert shadow.keep(["a.py", "build", "build/new.o", "missing.py"], "ignored files before a write") is None
    assert len(shadow.log()) == 1


def test_an_ignored_file_kept_then_taken_back_is_no_change_of_the_next_checkpoint(repo: Path) -> None:
    """A step's write that then failed had `keep` force the ignored file in; the step changed nothing, so that
    checkpoint was taken back, but the index still held the file: the next checkpoint recorded it as added, a
    change nobody made, which undo then went back over."""
    (repo / ".gitignore").write_text("local.cfg\n")
    (repo / "local.cfg").write_text("db=mine\n")
    shadow = ShadowRepo(repo)
    start = shadow.checkpoint("start").commit
    (repo / "notes.txt").write_text("the user's, while the model thought\n")
    before = shadow.checkpoint("before step").commit
    kept = shadow.keep(["local.cfg"], "ignored files before a write").commit
    assert shadow.checkpoint("after step") is None
    shadow.drop(before, kept)
    assert [checkpoint.commit for checkpoint in shadow.log()] == [start]
    (repo / "a.py").write_text("x = 2\n")
    assert shadow.checkpoint("next step").changes == [("a.py", "modified"), ("notes.txt", "added")]


def _everything(root: Path) -> list[str]:
    """Every path under `root` but .git and .codewright, folders with a slash."""
    return sorted(path.relative_to(root).as_posix() + ("/" if path.is_dir() and not path.is_symlink() else "")
                  for path in root.rglob("*") if path.relative_to(root).parts[0] not in {".git", ".codewright"})


def _write(repo: Path, name: str, size: int = 4) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_bytes(b"x" * size)


@pytest.mark.parametrize("there, made, deleted, removed, unrestored", [
    ([], [("debug.log", 4)], [], ["debug.log"], []),
    ([], [("out/a.o", 4), ("out/deeper/b.o", 4)], [], ["out/a.o", "out/deeper/b.o"], []),
    ([], [("big.log", (1 << 20) + 1)], [], [], ["big.log"]),
    ([], [("build/a.o", 4), ("build/b.o", 4)], [], ["build/a.o", "build/b.o"], []),
    ([], [(f"build/{n}.o", 4) for n in range(MAX_LOOKED_INTO + 1)], [], [], ["build/"]),
    (["build/old.o"], [("build/new.o", 4), ("build/sub/new.o", 4)], [], ["build/new.o", "build/sub/new.o"], []),
    ([f"build/{n}.o" for n in range(MAX_LOOKED_INTO + 1)], [("build/new.o", 4)], [], [], []),
    (["build/lib/.git/HEAD", "build/lib/x.o"], [("build/lib/.git/objects/ab", 4)], [], [], []),
    (["build/old.o", "build/keep.o"], [], ["build/old.o"], [], ["build/old.o"]),
    (["keep.log"], [("new.log", 4)], [], ["new.log"], []),
    (["local.log"], [], ["local.log"], [], ["local.log"]),
    (["local.log", "build/x.o"], [("local.log", 8), ("build/x.o", 8)], [], [], ["build/x.o", "local.log"]),
    ([], [("pkg/__pycache__/m.cpython-311.pyc", 4), (".pytest_cache/v", 4)], [], [], []),
], ids=["file", "files-in-new-folders", "large-file", "new-folder-git-does-not-go-into",
        "new-folder-git-does-not-go-into-too-large-to-list", "in-a-folder-there-before",
        "in-a-folder-there-before-too-large-to-list", "in-a-folder-holding-a-repository", "deleted-in-a-folder",
        "beside-one-there-before", "deleted", "changed-in-place", "caches"])
def test_what_the_ignore_rules_leave_out_made_since_is_removed_or_named(
        repo: Path, there: list[str], made: list[tuple[str, int]], deleted: list[str], removed: list[str],
        unrestored: list[str]) -> None:
    """A command's files that .gitignore leaves out stayed after undo, unsaid: no checkpoint held them. A small one
    made since is removed (kept under before-rewind/), the rest named, as is one deleted or changed since. In a folder git does
    not go into (build/) each file is listed, where there are at most MAX_LOOKED_INTO and no repository of its own:
    a new one in a build/ that was there stayed, unsaid. Beyond, the folder is one entry, and what is new in it is
    not seen."""
    (repo / ".gitignore").write_text("*.log\n*.o\nbuild/\n")
    for name in there:
        _write(repo, name)
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    before = _everything(repo)
    for name, size in made:
        _write(repo, name, size)
    for name in deleted:
        (repo / name).unlink()
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("step")
    restored = shadow.rewind(1)[1]
    assert sorted(restored.changes) == sorted([("a.py", "modified"), *((name, "deleted") for name in removed)])
    assert restored.unrestored == unrestored
    left = {name for name, _ in made if name not in removed}
    assert _everything(repo) == sorted(set(before) - set(deleted) | {p for name in left for p in _with_folders(name)})
    for name in removed:
        saved = subprocess.run(["git", "--git-dir", str(shadow.git_dir), "log", "--all", "--format=%H", "--", name],
                               capture_output=True, text=True, check=True).stdout.split()
        assert len(saved) == 1  # under refs/codewright/before-rewind/


def _with_folders(name: str) -> list[str]:
    """`name` and the folders it is in, as `_everything` lists them."""
    parts = name.split("/")
    return [name, *("/".join(parts[:end]) + "/" for end in range(1, len(parts)))]


def test_an_ignored_file_made_after_the_last_checkpoint_is_removed_and_named_as_unsaved(repo: Path) -> None:
    """By hand after the session, say: undo removed it like the command's, and only its changes list said so."""
    (repo / ".gitignore").write_text("*.log\n")
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    _write(repo, "step.log")
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("step")
    _write(repo, "mine.log")
    restored = shadow.rewind(1)[1]
    assert sorted(restored.changes) == [("a.py", "modified"), ("mine.log", "deleted"), ("step.log", "deleted")]
    assert restored.unsaved == ["mine.log"]


def test_more_new_ignored_files_than_a_restore_removes_are_named_not_removed(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    shadow = ShadowRepo(repo)
    shadow.checkpoint("start")
    names = [f"run{n:03}.log" for n in range(MAX_REMOVED + 1)]
    for name in names:
        _write(repo, name)
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("step")
    restored = shadow.rewind(1)[1]
    assert (restored.changes, restored.unrestored) == ([("a.py", "modified")], names)
    assert all((repo / name).exists() for name in names)


def test_a_checkpoint_that_recorded_no_ignored_files_removes_none(repo: Path) -> None:
    """One made by an earlier version, or with more than MAX_IGNORED of them: what is new cannot be told."""
    (repo / ".gitignore").write_text("*.log\n")
    shadow = ShadowRepo(repo)
    tree = shadow._snapshot_tree()
    old = subprocess.run(["git", "--git-dir", str(shadow.git_dir), *IDENTITY, "commit-tree", tree, "-m", "start"],
                         capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["git", "--git-dir", str(shadow.git_dir), "update-ref", "refs/heads/checkpoints", old], check=True)
    _write(repo, "debug.log")
    (repo / "a.py").write_text("edited\n")
    shadow.checkpoint("step")
    restored = shadow.rewind(1)[1]
    assert (restored.changes, restored.unrestored) == ([("a.py", "modified")], [])
    assert (repo / "debug.log").exists()

