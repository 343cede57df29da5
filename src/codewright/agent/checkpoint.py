"""Checkpoints in a shadow git repository: undo any change, the user's own `.git` untouched.

The shadow repository lives in `.codewright/shadow.git` and uses the project as its work
tree (GIT_DIR / GIT_WORK_TREE), so it sees exactly what is on disk, changes made by shell
commands included, and honours the project's .gitignore files. A checkpoint is a commit
on its `refs/heads/checkpoints` branch, made only when the files differ from the last one.

Restoring uses `git read-tree -u --reset`: with the index holding the current files, git
rewrites changed files, restores deleted ones and removes files the target lacks, so the
tree comes back byte for byte. The state being left is kept under refs/codewright/ first.
One exception: a file the target's ignore rules leave out stays on disk. The target could
not have recorded it, so its absence there says nothing; it shows in a later checkpoint
only because a .gitignore changed since (the agent dropped `data/` from it, say), and
removing it would delete the user's data. It comes back as the first checkpoint after the target recorded it:
the nearest state known of it.

An ignored file the agent's own file tools are about to overwrite or delete (a local config) is checkpointed
first, forced in (`keep`): no checkpoint held it, so undo could not bring it back. It stays in the checkpoints
from then on. A command's writes cannot be seen coming, so each checkpoint's message also lists what the ignore
rules leave out (the files in a folder git does not go into where it holds at most MAX_LOOKED_INTO, a larger one,
a node_modules/, as one entry; at most MAX_IGNORED entries, one `git ls-files` walk and one capped walk of each
such folder): a restore removes the small files made since that it does not list (MAX_REMOVED of MAX_REMOVED_BYTES
at most), kept under refs/codewright/before-rewind/ first, and names the rest, folders and large files made since
and what it lists that is gone or changed in place, told by the size and modification time it recorded
(`Restored.unrestored`): no checkpoint holds such a file's content, which reading them all at every checkpoint would
take. A file a command made in a folder listed as one entry is not seen.

git records a file's mode as 644 or 755 only, and writes what it restores anew: a restore puts back the
permission bits a file had: those its checkpoint recorded in its message, which names every file whose bits are
not what git would give it (a private 0600 file, a read-only 0444 one), whether the restore rewrote the file or
only its bits had changed since. What git would give is judged under the umask the first checkpoint was made with,
which each records and the next keeps: a umask changed between sessions is no change of bits (every 0644 file was
odd under 077, each listed as modified), and a file a restore makes anew that its checkpoint names no bits for
gets that umask's. A file still there that it does not name keeps its own, unless the last
checkpoint named it (its bits changed since: chmod 600), which gets git's own. A change of bits alone is a
checkpoint's change too. Empty folders,
which git cannot hold, are named there too and made again; an empty folder it does not name is removed (the
agent's `mkdir -p a/b/c`), with the folders left empty around it, up to one it names. A folder holding a git repository of its own is
recorded as its commit id only: a restore cannot bring back its files, and says so (`Restored.unrestored`).

git's own output is decoded with surrogateescape: a file name is bytes, not always UTF-8.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import os
import re
import signal
import stat
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codewright.agent.interrupts import held
from codewright.agent.session import DATA_DIR, data_dir
from codewright.edit.transaction import process_umask
from codewright.errors import CodewrightError, UsageError
from codewright.tools.process import open_files

BRANCH = "refs/heads/checkpoints"
EXCLUDE = ("/.codewright/", "/.git/", "__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/")
"""Never checkpointed: codewright's own data, the user's repository, and caches tools rebuild."""
VERBATIM = "* -text -eol -ident -filter -working-tree-encoding\n"
_NO_COMMIT = re.compile(r"'(.+?)/?' does not have a commit checked out")
MAX_UNADDABLE = 50
_IDENTITY = ["-c", "user.name=codewright", "-c", "user.email=codewright@localhost", "-c", "commit.gpgsign=false",
             "-c", "core.fsmonitor=false"]  # a program the configuration names never runs on our behalf
_CHANGE = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}
LOCKS = ("index.lock", f"{BRANCH}.lock")  # git's own, in the shadow repository: what a killed git leaves behind
LOCK_WAIT = 10.0  # seconds a git still at work on them (a killed run's) is waited for
MODES = "modes: "  # the line of a checkpoint's message that records its files' permission bits (JSON)
UMASK = "umask: "  # the line that records the umask those bits were judged against (JSON, an octal string)
FOLDERS = "empty folders: "  # the line that records the folders holding nothing (JSON)
IGNORED = "ignored: "  # the line that records what the ignore rules leave out, as git lists it (JSON)
STAMPS = "ignored stamps: "  # the line that records the size and modification time of the files it lists (JSON)
MAX_IGNORED = 5000  # entries a checkpoint records at most: beyond, none (a restore cannot tell what is new)
MAX_LOOKED_INTO = 200  # files an ignored folder holds at most for a checkpoint to list them: beyond, it is one entry
MAX_REMOVED = 200  # new ignored files a restore removes at most: beyond, it names them
MAX_REMOVED_BYTES = 1 << 20  # the size of the largest new ignored file a restore removes


NO_CHECKPOINTS = "no checkpoints yet: codewright run or chat makes them"
START = "session start"  # the label of a session's first checkpoint, after its id: it holds what changed between two
BEFORE_STEP = "before step"  # that of a step's first, with its number: what changed while the model wrote its reply
SHADOW = "shadow.git"  # the shadow repository, in the data folder


def has_shadow(root: Path) -> bool:
    """Whether a session ever checkpointed here, found without making `.codewright/` (as `data_dir` would)."""
    return (Path(root) / DATA_DIR / SHADOW / "HEAD").exists()


@dataclass
class Checkpoint:
    commit: str
    label: str
    time: float
    changes: list[tuple[str, str]]  # (path, added|modified|deleted) against the previous checkpoint


@dataclass
class Restored:
    changes: list[tuple[str, str]]  # (path, added|modified|deleted): what changed on disk
    # Files that differed from the last checkpoint before it (edited by hand since the session, say), and those a
    # session's start checkpoint or a step's "before step" one gone back past changed (edited by hand between two
    # sessions, or while the model wrote a reply): they went back too,
    # their state kept under refs/codewright/before-rewind/, so `undo` names them.
    unsaved: list[str]
    # Folders holding a git repository of their own that differ from the checkpoint (deleted, say): it records
    # their commit, not their files, so they could not be put back. Empty folders a file stands in the way of.
    # What the ignore rules leave out, which no checkpoint holds: made since and not removed (a folder `path/`,
    # a large file), or gone since.
    unrestored: list[str] = field(default_factory=list)


class ShadowRepo:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.git_dir = data_dir(self.root) / SHADOW
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.root))
        with self._locked():  # made here when missing
            self._verbatim()  # a shadow repository made by an earlier version lacks it

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: two sessions in one repository checkpointed at once, and one of them died of
        git's `index.lock: File exists`. Checkpoints take a fraction of a second, so the other simply waits.
        A shadow repository deleted meanwhile (`rm -rf .codewright`) is made again; a repository deleted is an
        error that says so."""
        if not self.root.is_dir():
            raise CodewrightError(f"checkpoint: the repository {self.root} no longer exists")
        fd = os.open(data_dir(self.root) / "shadow.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not (self.git_dir / "HEAD").exists():
                self._init()
            for name in LOCKS:
                self._clear_stale(self.git_dir / name)
            yield
        finally:
            os.close(fd)  # which releases the lock

    def _clear_stale(self, lock: Path) -> None:
        """Remove git's `lock` where no live process holds it: a git killed mid-write (SIGKILL, a machine that went
        down) left index.lock, and every later checkpoint and undo failed on it. No git of ours runs while we hold
        shadow.lock; one still holding it (a killed run's git, which goes on to its end) is waited for, then named."""
        deadline = time.monotonic() + LOCK_WAIT
        while os.path.lexists(lock):
            holders = _holders(lock)
            if holders == []:
                lock.unlink(missing_ok=True)
            elif time.monotonic() >= deadline:
                raise CodewrightError(_held(lock, holders))
            else:
                time.sleep(0.1)

    def _run(self, *args: str, given: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # in a session of its own: the terminal's Ctrl-C must not kill git mid-write
            ["git", *_IDENTITY, *args], cwd=self.root, env=self.env, capture_output=True, input=given,
            encoding="utf-8", errors="surrogateescape", check=False, start_new_session=True,
        )

    def _git(self, *args: str, given: str | None = None) -> str:
        done = self._run(*args, given=given)
        if done.returncode != 0:
            raise CodewrightError(f"checkpoint: git {args[0]} failed ({_status(done.returncode)}): {done.stderr.strip()}")
        return done.stdout

    def _init(self) -> None:
        self._git("init", "--quiet")
        self._git("config", "core.autocrlf", "false")
        self._git("symbolic-ref", "HEAD", BRANCH)
        exclude = self.git_dir / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text("\n".join(EXCLUDE) + "\n", encoding="utf-8")
        self._verbatim()

    def _verbatim(self) -> None:
        """Files are kept and put back byte for byte: the project's .gitattributes (`* text=auto`, `eol=crlf`,
        `ident`, filters) made undo turn CRLF into LF, LF into CRLF and expand `$Id$`. The repository's own
        attributes file outranks the work tree's."""
        attributes = self.git_dir / "info" / "attributes"
        if not attributes.exists() or attributes.read_text(encoding="utf-8") != VERBATIM:
            attributes.parent.mkdir(parents=True, exist_ok=True)
            attributes.write_text(VERBATIM, encoding="utf-8")

    def head(self) -> str | None:
        """The last checkpoint; None before the first. A shadow repository git cannot read is an error, not
        "no checkpoints yet": the user's history may be in it."""
        done = self._run("rev-parse", "--verify", "--quiet", BRANCH)
        if done.returncode not in (0, 1):  # 1: no such branch yet
            raise CodewrightError(f"checkpoint: cannot read {self.git_dir} ({_status(done.returncode)}): "
                                  f"{done.stderr.strip()}")
        if done.returncode == 1 and self._branch_written():
            raise CodewrightError(f"checkpoint: cannot read {self.git_dir}: {BRANCH} names no commit (it is damaged); "
                                  f"the checkpoints may still be in it (`git --git-dir {self.git_dir} fsck --lost-found`"
                                  " finds them)")
        return done.stdout.strip() or None

    def _branch_written(self) -> bool:
        """Whether the branch of checkpoints has a file, though git cannot read it (a damaged line in packed-refs
        is an error of git's own)."""
        return (self.git_dir / BRANCH).exists()

    def _snapshot_tree(self) -> str:
        """The work tree as a tree object. A folder holding a git repository with no commit yet (`git init new`)
        cannot be added at all, and git's refusal failed every checkpoint and undo after it: such folders are
        left out, as nested repositories' files are.

        A repository the last checkpoint recorded (as its commit) is left out of `git add` too, and its commit
        read again by `update-index`, which reads it from the repository's files. `git add` ran `git status` in
        it to ask whether its files had changed, which changes nothing recorded, and that git ran the programs
        the repository names, its hooks (post-index-change) and filters: a command could make one, sandboxed,
        and have it run here, outside the sandbox, at the next step's checkpoint."""
        recorded = [path for path in self.nested() if _holds_repository(self.root, path)]
        skipped: list[str] = []
        for _ in range(MAX_UNADDABLE):
            left_out = (f":(exclude,literal){path}" for path in [*recorded, *skipped])
            done = self._run("add", "--all", "--", ".", *left_out)
            unaddable = _NO_COMMIT.findall(done.stderr)
            if done.returncode == 0 or not unaddable or set(unaddable) <= set(skipped):
                break
            skipped += [path for path in unaddable if path not in skipped]
        if done.returncode != 0:
            raise CodewrightError(f"checkpoint: git add failed ({_status(done.returncode)}): {done.stderr.strip()}")
        if recorded:
            self._git("update-index", "-z", "--stdin", given="".join(f"{path}\0" for path in recorded))
        return self._git("write-tree").strip()

    @held()
    def checkpoint(self, label: str) -> Checkpoint | None:
        """Commit the current files if they differ from the last checkpoint; None when unchanged."""
        with self._locked():
            return self._commit(label)

    @held()
    def changed_since(self, commit: str) -> tuple[str, list[tuple[str, str]]]:
        """The files on disk as a tree, and what differs in it from checkpoint (or tree) `commit` (path,
        added|modified|deleted), nothing checkpointed."""
        with self._locked():
            tree = self._snapshot_tree()
            return tree, self._changes(commit, tree)

    @held()
    def tree(self) -> str:
        """The files on disk as a tree, nothing checkpointed: a state to count `changed_since` from."""
        with self._locked():
            return self._snapshot_tree()

    @held()
    def drop(self, *commits: str) -> None:
        """Take `commits` (made one after the other) back off the branch, those of them that are its last ones, the
        first checkpoint of all aside. A session's start checkpoint, or a step's "before step" one, that nothing of
        the agent's followed holds only changes made outside it (the user's edits since the last session, or while
        the model thought): `undo`, going back one checkpoint, threw those away unnamed and undid nothing of the
        agent's; and one of the ignored files saved before a write that then changed nothing (`keep`) made `undo`
        change nothing. The files stay as they are; to `undo` they changed since the last checkpoint, which it names
        (`Restored.unsaved`). The index goes back to the last checkpoint left, so an ignored file only `keep` forced
        in is not checkpointed again."""
        with self._locked():
            head = last = self.head()
            for commit in reversed(commits):
                parent = self._run("rev-parse", "--verify", "--quiet", f"{commit}^").stdout.strip()
                if not parent or head != commit:
                    break
                head = parent
            if head != last:
                self._git("update-ref", BRANCH, head, last)
                self._git("read-tree", "-m", head)  # -m: the files git already read are not read again

    def _commit(self, label: str) -> Checkpoint | None:
        return self._commit_index(self._snapshot_tree(), label)

    def _commit_index(self, tree: str, label: str) -> Checkpoint | None:
        """Checkpoint `tree`, the index written, unless the last checkpoint holds it and records the same permission
        bits (`_odd_modes`): a step that changed a file's bits alone (chmod 600) made no checkpoint, and `undo` went
        back past the step before it. Such a file is a change `modified`, as a restore names it."""
        parent = self.head()
        held, message = self._git("log", "-1", "--format=%T%x00%B", parent).split("\0", 1) if parent else ("", "")
        mask = _mask(message)
        odd, was = self._odd_modes(mask), _line(message, MODES) or {}
        if held == tree and was == odd:
            return None
        modes = ["-m", MODES + json.dumps(odd, sort_keys=True)] if odd else []
        modes += ["-m", UMASK + json.dumps(f"{mask:03o}")]
        args = ["commit-tree", tree, "-m", label, *modes, *self._folders_message(), *self._ignored_message()]
        args += ["-p", parent] if parent else []
        commit = self._git(*args).strip()
        self._git("update-ref", BRANCH, commit)
        changes = _with_bits(self._changes(parent, commit), was, odd) if parent else []
        return Checkpoint(commit, label, time.time(), changes)

    def _odd_modes(self, mask: int) -> dict[str, str]:
        """What the message of a checkpoint of the index records on its MODES line: the files whose permission bits
        are not what git gives the file it writes under umask `mask` (a private 0600 file), in octal, which a
        restore puts back. git
        records a regular file as 100755 exactly where its owner may execute it, so the bits alone say which mode
        it has, and its names are all that is read of the index. Each file is one lstat by name from an open
        folder: a Path made for each and the index's modes parsed cost more than the lstat itself."""
        paths = self._git("ls-files", "-z").split("\0")
        return {path: f"{bits:o}" for path, bits in _regular_bits(self.root, paths) if bits != _own_bits(bits, mask)}

    def _folders_message(self) -> list[str]:
        """A paragraph for the message of a checkpoint of the index: the empty folders, which git cannot hold (the
        agent's rm -r of an empty logs/ was not undone). After `git add --all` the folders git lists as untracked
        and not ignored are those holding no file, or a nested repository without a commit (left out)."""
        empty = self._empty_folders()
        return ["-m", FOLDERS + json.dumps(empty)] if empty else []

    def _empty_folders(self) -> list[str]:
        """The innermost folders that hold no file, those the ignore rules leave out aside (see `_folders_message`:
        after `git add --all` or a restore, the folders git lists as untracked)."""
        listed = self._git("ls-files", "--others", "--directory", "--exclude-standard", "-z").split("\0")
        return [found for top in listed if top.endswith("/") for found in _empty_folders(self.root, top)]

    def _ignored_message(self) -> list[str]:
        """A paragraph for the message of a checkpoint: what the ignore rules leave out (`_left_out`), so that a
        restore can tell the ignored files made since (by a command: `keep` covers the file tools' writes) from
        those that were there, and the size and modification time of the files in it, so that it can tell those a
        command changed in place, which it cannot put back. None where there is more than MAX_IGNORED of it."""
        left_out = self._left_out()
        if len(left_out) > MAX_IGNORED:
            return []
        return ["-m", IGNORED + json.dumps(left_out), "-m", STAMPS + json.dumps(_stamps(self.root, left_out))]

    def _left_out(self) -> list[str]:
        """The files and folders the ignore rules leave out: the files outside the folders git does not go into,
        and those in such a folder where it holds at most MAX_LOOKED_INTO (a build/: a command's new file in it
        was not seen, so not undone); a larger one (a node_modules/), an empty one, or one holding a git repository
        of its own, as `path/`, with all in it. The caches EXCLUDE names are not listed. (git lists a folder that
        holds nothing else both as `path/` and as what is in it: such a folder is left out.)"""
        out = self._git("ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z")
        listed = [entry for entry in out.split("\0") if entry]
        inside = set().union(*(_parents(entry.rstrip("/")) for entry in listed))
        kept = [entry for entry in listed if entry[:-1] not in inside and not _excluded(entry)]
        return [name for entry in kept
                for name in ((_files_in(self.root, entry) or [entry]) if entry.endswith("/") else [entry])
                if not _excluded(name)]

    def _made_since(self, commit: str, left_out: list[str]) -> tuple[list[str], list[str]]:
        """What the ignore rules leave out now (`left_out`) that checkpoint `commit` did not record, in no folder it
        recorded whole: the files a restore removes (small and few: MAX_REMOVED_BYTES, MAX_REMOVED) and the rest (a
        folder git does not go into, a large file). Nothing where `commit` recorded nothing (made by an earlier
        version, or more than MAX_IGNORED)."""
        recorded = self._recorded(commit, IGNORED)
        if recorded is None:
            return [], []
        known, folders = set(recorded), {entry[:-1] for entry in recorded if entry.endswith("/")}
        new = [entry for entry in left_out if entry not in known and not folders & _parents(entry.rstrip("/"))]
        small = [entry for entry in new if not entry.endswith("/") and _small(self.root / entry)]
        removed = small if len(small) <= MAX_REMOVED else []
        return removed, [entry for entry in new if entry not in removed]

    def _changed_in_place(self, commit: str, left_out: list[str]) -> list[str]:
        """The files the ignore rules leave out now (`left_out`, so held by no checkpoint) that checkpoint `commit`
        recorded with another size or modification time: changed since, by a command or by hand, which a restore
        cannot put back, so it names them."""
        stamps = self._recorded(commit, STAMPS) or {}
        now = _stamps(self.root, [path for path in left_out if path in stamps])
        return [path for path, stamp in now.items() if stamp != stamps[path]]

    def _gone(self, commit: str) -> list[str]:
        """What checkpoint `commit` recorded that the ignore rules leave out and that is no longer there."""
        return [entry for entry in self._recorded(commit, IGNORED) or [] if not os.path.lexists(self.root / entry)]

    def _recorded(self, commit: str, line: str) -> Any:
        """What checkpoint `commit` recorded on the `line` of its message (MODES, FOLDERS); None where nothing."""
        return _line(self._git("log", "-1", "--format=%B", commit), line)

    def _mask(self, commit: str) -> int:
        """The umask checkpoint `commit` judged its files' bits against (`_mask`)."""
        return _mask(self._git("log", "-1", "--format=%B", commit))

    def _recorded_modes(self, commit: str, since: str | None = None) -> dict[str, int | None]:
        """The permission bits checkpoint `commit` recorded (`_odd_modes`), and None (git's own) for the files it
        holds that checkpoint `since`, a later one, recorded and it did not: their bits changed after it (chmod 600),
        and no restore gave them back git's. A file it does not hold (an ignored one put back) keeps its own."""
        recorded = {path: int(bits, 8) for path, bits in (self._recorded(commit, MODES) or {}).items()}
        later = set(self._recorded(since, MODES) or {}) - recorded.keys() if since else set()
        held = set(self._git("ls-tree", "-r", "-z", "--name-only", commit).split("\0")) if later else set()
        return {**dict.fromkeys(later & held), **recorded}

    def _make_folders(self, commit: str) -> tuple[list[tuple[str, str]], list[str]]:
        """Make the empty folders checkpoint `commit` recorded that are missing; returns them as changes, and those
        that could not be made (a file in the way)."""
        made, failed = [], []
        for folder in self._recorded(commit, FOLDERS) or []:
            if not os.path.lexists(self.root / folder):
                try:
                    os.makedirs(self.root / folder)
                except OSError:
                    failed.append(folder + "/")
                    continue
                made.append((folder + "/", "added"))
        return made, failed

    def _remove_folders(self, commit: str) -> list[tuple[str, str]]:
        """Remove the empty folders that checkpoint `commit` did not record (the agent's `mkdir -p a/b/c`), and the
        folders holding them that are left empty, up to one it recorded; returns the outermost of each as a change."""
        recorded = set(self._recorded(commit, FOLDERS) or [])
        removed = set()
        for folder in self._empty_folders():
            while folder and folder not in recorded:
                try:
                    os.rmdir(self.root / folder)
                except OSError:  # a file is in it, or a folder still to be removed
                    break
                removed.add(folder)
                folder = os.path.dirname(folder)
        return [(folder + "/", "deleted") for folder in sorted(removed) if not removed & _parents(folder)]

    def _gitlinks(self, commit: str) -> set[str]:
        """The folders holding a git repository of their own in checkpoint `commit` (recorded by commit id)."""
        out = self._git("ls-tree", "-r", "-z", commit)
        return {entry.split("\t", 1)[1] for entry in out.split("\0") if entry.startswith("160000 ")}

    def _put_modes(self, before: dict[str, int], commit: str, paths: list[str], since: str | None = None) -> None:
        """Give the files a restore wrote anew the bits `commit` recorded for them, git's own where checkpoint `since`
        recorded bits it did not (`_recorded_modes`), or, where neither did, those they had before it (`before`;
        their executable bits as the checkpoint has them). A private 0600 file a command made readable, or a
        read-only one it made writable, and then edited, kept the bits of the edit's: the content came back, the
        permissions did not."""
        recorded, mask = self._recorded_modes(commit, since), self._mask(commit)
        for path in paths:
            now = _bits(self.root / path)
            if now is None:
                continue
            kept = _executable(before[path], now & 0o100 != 0) if path in before else _own_bits(now, mask)
            bits = recorded.get(path, kept)
            bits = _own_bits(now, mask) if bits is None else bits
            if bits != now:
                os.chmod(self.root / path, bits)

    def _modes_back(self, commit: str, restored: set[str], since: str | None) -> list[tuple[str, str]]:
        """Put back the bits `commit` recorded for the files whose bits alone changed since (`chmod 644 .env`), and
        git's own where checkpoint `since` recorded bits it did not (`chmod 600 notes.txt`): their content is the
        checkpoint's, so no change brought them into the restore. Returns them as changes."""
        back, mask = [], self._mask(commit)
        for path, bits in self._recorded_modes(commit, since).items():
            now = _bits(self.root / path)
            if path in restored or now is None:
                continue
            if now != (bits := _own_bits(now, mask) if bits is None else bits):
                os.chmod(self.root / path, bits)
                back.append((path, "modified"))
        return back

    def nested(self) -> list[str]:
        """Folders holding a git repository of their own, as of the last checkpoint: git records such a folder as
        a commit id (a gitlink), not its files, so no checkpoint covers them and undo cannot restore them."""
        out = self._git("ls-files", "--stage", "-z")
        return [entry.split("\t", 1)[1] for entry in out.split("\0") if entry.startswith("160000 ")]

    def changes_since(self, commit: str | None) -> list[tuple[str, str]] | None:
        """What differs between checkpoint (or tree: the files as a session was told of them) `commit` and the last
        checkpoint; None where `commit` is not in the repository (a shadow repository made anew)."""
        head = self.head()
        if not commit or head is None or self._run("cat-file", "-e", f"{commit}^{{tree}}").returncode != 0:
            return None
        return self._changes(commit, head)

    def _changes(self, old: str, new: str) -> list[tuple[str, str]]:
        out = self._git("diff-tree", "-r", "--no-renames", "--name-status", "-z", old, new)
        parts = [p for p in out.split("\0") if p]
        return [(parts[i + 1], _CHANGE.get(parts[i][0], "modified")) for i in range(0, len(parts) - 1, 2)]

    def log(self) -> list[Checkpoint]:
        """Checkpoints, newest first."""
        if not self.head():
            return []
        out = self._git("log", "--format=%H%x00%ct%x00%s", BRANCH)
        found = []
        for line in out.splitlines():
            commit, stamp, label = line.split("\0", 2)
            found.append(Checkpoint(commit, label, float(stamp), []))
        return found

    def rewind(self, steps: int) -> tuple[Checkpoint, Restored]:
        """Restore the files of the checkpoint `steps` before the last; return it and what changed on disk."""
        history = self.log()
        if steps < 1:
            raise UsageError("rewind: N must be at least 1")
        if not history:
            raise UsageError(NO_CHECKPOINTS)
        if len(history) == 1:
            raise UsageError(f"nothing to go back to: there is one checkpoint ({history[0].label}) and none before it")
        if steps >= len(history):
            raise UsageError(f"only {len(history) - 1} earlier checkpoint(s) to go back to")
        target = history[steps]
        return target, self.restore(target.commit)

    @held()
    def restore(self, commit: str) -> Restored:
        """Put the files of checkpoint `commit` back on disk; what is there now stays reachable under
        refs/codewright/before-rewind/."""
        with self._locked():
            return self._restore(commit)

    def _restore(self, commit: str) -> Restored:
        left_out = self._left_out()
        removed, left = self._made_since(commit, left_out)
        left += self._changed_in_place(commit, left_out)  # read before the restore, which writes ignored files
        head = self.head()
        listed = set(self._recorded(head, IGNORED) or []) if head else set()
        saved, unsaved = self._keep_current(removed)  # which read-tree then removes, as a file the target lacks
        changes = self._changes(saved, commit)
        unsaved = sorted({*unsaved, *(path for path in removed if path not in listed),  # made after the last one
                          *self._changed_outside(commit, head, changes)})
        before = _modes(self.root, [path for path, _ in changes])
        self._git("read-tree", "-u", "--reset", commit)
        self._git("update-ref", BRANCH, commit)
        recorded = {path: first for path, first in self._first_recorded(commit, saved).items() if path not in removed}
        kept = self._keep_ignored([path for path in recorded if not os.path.lexists(self.root / path)], recorded, saved)
        self._put_modes(before, commit, [path for path, _ in changes], head)
        changes += self._modes_back(commit, {path for path, _ in changes}, head)
        unrestored = sorted(self._unrestorable(saved, commit, changes))
        changes = [change for change in changes if change[0] not in kept and change[0] not in unrestored]
        changes += [(path, change) for path, change in kept.items() if change]
        made, failed = self._make_folders(commit)
        left = [entry for entry in left if os.path.lexists(self.root / entry)] + self._gone(commit)
        return Restored(changes + made + self._remove_folders(commit), unsaved, unrestored + failed + sorted(left))

    def _changed_outside(self, commit: str, head: str | None, changes: list[tuple[str, str]]) -> set[str]:
        """Those of `changes` (a restore's, to checkpoint `commit`) that a session's start checkpoint or a step's
        "before step" one after `commit` up to `head` changed: each holds only what changed outside the agent (the
        user's edits between two sessions, or while the model wrote a reply), which a restore to before it put back
        unnamed, as though the agent had made them."""
        if head is None:
            return set()
        log = self._git("log", "--format=%H%x00%s", f"{commit}..{head}").splitlines()
        outside = [found for found, label in (line.split("\0", 1) for line in log) if _outside_only(label)]
        touched = {path for found in outside for path, _ in self._changes(f"{found}^", found)}
        return touched & {path for path, _ in changes}

    @held()
    def restore_paths(self, commit: str, paths: list[str], label: str) -> Restored:
        """Put back only `paths` as checkpoint `commit` had them (a path it lacked is deleted), then checkpoint them
        as `label` (`_commit_paths`): the other files stay as they are, the user's edits made meanwhile among them.
        What was there before stays reachable under refs/codewright/before-rewind/. A folder holding a git repository
        of its own is left as it is and named (`Restored.unrestored`), as `restore` names it."""
        with self._locked():
            head = self.head()
            saved, _ = self._keep_current()
            unrestored = sorted(self._unrestorable(saved, commit, self._changes(saved, commit)) & set(paths))
            paths = [path for path in paths if path not in unrestored]
            kept = set(self._git("ls-tree", "-r", "-z", "--name-only", commit).split("\0")) & set(paths)
            if kept:
                before = _modes(self.root, sorted(kept))
                self._git("checkout", commit, "--pathspec-from-file=-", "--pathspec-file-nul", given=_literal(kept))
                self._put_modes(before, commit, sorted(kept), head)
            kept |= set(self._keep_ignored([path for path in paths if path not in kept],
                                           self._first_recorded(commit, saved), saved))
            for path in paths:
                if path not in kept and os.path.lexists(self.root / path) and not (self.root / path).is_dir():
                    os.unlink(self.root / path)
            made = self._commit_paths(paths, label)
            return Restored(made.changes if made else [], [], unrestored)

    def _commit_paths(self, paths: list[str], label: str) -> Checkpoint | None:
        """Checkpoint `paths` as they are now, the other files as the last checkpoint has them. What else changed
        since it is the user's (edited while the model wrote its last reply): in the checkpoint, `undo` threw it away
        unnamed with the restore; left out, the next "before step" checkpoint holds it, or `undo` names it in
        `unsaved`."""
        now = self._snapshot_tree()
        listed = (entry for entry in self._git("ls-tree", "-r", "-z", now).split("\0") if entry)
        entries = {entry.split("\t", 1)[1]: entry for entry in listed}
        removed = "0 " + "0" * len(now) + "\t"  # an entry of mode 0: update-index takes the path out
        self._git("read-tree", "-m", self.head() or now)  # a restore goes back to a checkpoint: there is a last one
        given = "".join(entries.get(path, removed + path) + "\0" for path in sorted(set(paths)))
        self._git("update-index", "-z", "--index-info", given=given)
        return self._commit_index(self._git("write-tree").strip(), label)

    def _unrestorable(self, saved: str, commit: str, changes: list[tuple[str, str]]) -> set[str]:
        """The folders holding a git repository of their own among `changes` from `saved` to `commit`: either
        records its commit, not its files, so a restore cannot make one as the other had it."""
        return (self._gitlinks(saved) | self._gitlinks(commit)) & {path for path, _ in changes}

    def _keep_current(self, ignored: Iterable[str] = ()) -> tuple[str, list[str]]:
        """Commit the files as they are now under refs/codewright/before-rewind/ (a restore overwrites them), with
        the `ignored` ones forced in; returns that commit and the files that differ from the last checkpoint."""
        current = self._snapshot_tree()  # once: it is what `unsaved` and before-rewind/ are made of
        parent = self.head()
        unsaved = [path for path, _ in self._changes(parent, current)] if parent else []
        if ignored:
            self._git("add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul", given=_literal(ignored))
            current = self._git("write-tree").strip()
        saved = self._git("commit-tree", current, *(["-p", parent] if parent else []), "-m",
                          "state before rewind").strip()
        self._git("update-ref", f"refs/codewright/before-rewind/{int(time.time() * 1000)}", saved)
        return saved, unsaved

    def _keep_ignored(self, paths: list[str], recorded: dict[str, str], saved: str) -> dict[str, str | None]:
        """Put back those of `paths` that the restored tree's ignore rules leave out (see the module's docstring)
        as `recorded` has them (`_first_recorded`), untracked again. Returns each with its change against `saved`,
        the state the restore left (None: none)."""
        sources = {path: recorded[path] for path in self._ignored([p for p in paths if p in recorded], "--no-index")}
        kept: dict[str, str | None] = {}
        for source in dict.fromkeys(sources.values()):
            group = [path for path, found in sources.items() if found == source]
            before = _modes(self.root, group)
            self._git("checkout", source, "--pathspec-from-file=-", "--pathspec-file-nul", given=_literal(group))
            self._put_modes(before, source, group)
            differ = dict(self._changes(saved, source))
            kept.update((path, differ.get(path)) for path in group)
        if sources:
            self._git("rm", "--cached", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul",
                      given=_literal(sources))
        return kept

    def _first_recorded(self, since: str, upto: str) -> dict[str, str]:
        """Every file a checkpoint after `since` up to `upto` added, with the first one that did. The checkpoints
        are a line: for a file `since` lacks, that is the first one that holds it."""
        found: dict[str, str] = {}
        out = self._git("log", "--reverse", "--ancestry-path", "--no-renames", "--diff-filter=A", "--name-only",
                        "-z", "--format=%x01%H", f"{since}..{upto}")
        commit, first = "", False
        for token in out.split("\0"):
            if token.startswith("\x01"):  # a commit; the names it added follow, the first after a newline
                commit, first = token[1:], True
                continue
            name, first = token.removeprefix("\n") if first else token, False
            if name:
                found.setdefault(name, commit)
        return found

    def _ignored(self, paths: list[str], *options: str) -> list[str]:
        """Those of `paths` the ignore rules leave out (not tracked ones, unless `--no-index`)."""
        if not paths:
            return []
        done = self._run("check-ignore", *options, "-z", "--stdin", given="\0".join(paths) + "\0")
        if done.returncode not in (0, 1):  # 1: none of them is ignored
            raise CodewrightError(f"checkpoint: git check-ignore failed ({_status(done.returncode)}): "
                                  f"{done.stderr.strip()}")
        return [path for path in done.stdout.split("\0") if path]

    @held()
    def keep(self, paths: list[str], label: str) -> Checkpoint | None:
        """Before the agent's file tools write `paths`, checkpoint as `label` those of them that are there and that
        the ignore rules leave out (see the module's docstring); None where there are none. The checkpoint is the
        last one with them added, not the files as they are now: the calls of a step before this write are undone
        with the step, as are the writes of ignored files after it."""
        with self._locked():
            there = [path for path in paths if os.path.lexists(self.root / path) and not (self.root / path).is_dir()]
            ignored = self._ignored(there)
            if not ignored:
                return None
            if head := self.head():
                self._git("read-tree", "-m", head)  # -m: the files git already read are not read again
            self._git("add", "--force", "--pathspec-from-file=-", "--pathspec-file-nul", given=_literal(ignored))
            return self._commit_index(self._git("write-tree").strip(), label) if head else None


def _outside_only(label: str) -> bool:
    """Whether a checkpoint's `label` (after the session's id) names one that holds only changes made outside the
    agent: a session's start, or a step's "before step" checkpoint."""
    held = label.split(": ", 1)[-1]
    return held == START or held.startswith(f"{BEFORE_STEP} ")


def _literal(paths: Iterable[str]) -> str:
    """`paths` for --pathspec-from-file with --pathspec-file-nul: as names, not patterns."""
    return "".join(f":(literal){path}\0" for path in sorted(paths))


def _holds_repository(root: Path, path: str) -> bool:
    """Whether the folder `path` below `root` (no link on the way) holds a git repository of its own."""
    folder = root / path
    return os.path.realpath(folder) == str(folder) and folder.is_dir() and os.path.lexists(folder / ".git")


def _empty_folders(root: Path, top: str) -> list[str]:
    """The innermost folders under `top` (relative to `root`) where it holds no file at all; none where it does
    (a nested repository without a commit)."""
    leaves = []
    for folder, subfolders, files in os.walk(root / top):
        if files:
            return []
        if not subfolders:
            leaves.append(Path(folder).relative_to(root).as_posix())
    return leaves


def _files_in(root: Path, folder: str) -> list[str] | None:
    """The files in `folder` (relative to `root`; links to folders among them), where it holds at least one and at
    most MAX_LOOKED_INTO, and no git repository of its own (a restore must not remove what git writes in it, as new
    files); else None."""
    found: list[str] = []
    for current, subfolders, files in os.walk(root / folder):
        if ".git" in subfolders or ".git" in files:
            return None
        links = [name for name in subfolders if os.path.islink(os.path.join(current, name))]
        found += [Path(current, name).relative_to(root).as_posix() for name in files + links]
        if len(found) > MAX_LOOKED_INTO:
            return None
    return found or None


def _stamps(root: Path, entries: list[str]) -> dict[str, list[int]]:
    """The size and modification time (ns) of each of `entries` (relative to `root`) that is a file or a link:
    all a checkpoint can keep of a file it does not hold, and what tells that a command changed it."""
    found = {}
    for entry in entries:
        try:
            there = os.lstat(root / entry)
        except OSError:
            continue
        if not stat.S_ISDIR(there.st_mode):
            found[entry] = [there.st_size, there.st_mtime_ns]
    return found


def _small(path: Path) -> bool:
    """Whether `path` is a file or a symbolic link of MAX_REMOVED_BYTES at most."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISREG(found.st_mode) or stat.S_ISLNK(found.st_mode)) and found.st_size <= MAX_REMOVED_BYTES


def _excluded(entry: str) -> bool:
    """Whether `entry` (a path, `path/` for a folder) is or is in what EXCLUDE names: caches and our own data."""
    parts = entry.rstrip("/").split("/")
    for pattern in EXCLUDE:
        name = pattern.strip("/")
        if parts[0] == name if pattern.startswith("/") else any(fnmatch.fnmatchcase(part, name) for part in parts):
            return True
    return False


def _parents(path: str) -> set[str]:
    """The folders `path` is in, `a` and `a/b` for `a/b/c`."""
    parts = path.split("/")
    return {"/".join(parts[:end]) for end in range(1, len(parts))}


def _regular_bits(root: Path, paths: Iterable[str]) -> Iterator[tuple[str, int]]:
    """Each of `paths` (relative to `root`; empty ones skipped) that is a regular file, with its permission bits."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for path in filter(None, paths):
            try:
                found = os.lstat(path, dir_fd=folder).st_mode
            except OSError:
                continue
            if stat.S_ISREG(found):
                yield path, stat.S_IMODE(found)
    finally:
        os.close(folder)


def _bits(path: Path) -> int | None:
    """The permission bits of the regular file at `path`; None for anything else (no file, a symbolic link)."""
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return stat.S_IMODE(found.st_mode) if stat.S_ISREG(found.st_mode) else None


def _modes(root: Path, paths: list[str]) -> dict[str, int]:
    """The permission bits of those of `paths` that are regular files now."""
    found = {path: _bits(root / path) for path in paths}
    return {path: bits for path, bits in found.items() if bits is not None}


def _own_bits(bits: int, mask: int) -> int:
    """The permission bits git gives a file it writes under umask `mask`, executable where `bits` are."""
    return 0o777 & ~mask if bits & 0o100 else 0o666 & ~mask


def _line(message: str, line: str) -> Any:
    """What a checkpoint's `message` records on its `line` (MODES, FOLDERS); None where nothing."""
    for text in message.splitlines():
        if text.startswith(line):
            return json.loads(text[len(line):])
    return None


def _mask(message: str) -> int:
    """The umask a checkpoint's `message` records, or this process's where it records none (one made before the
    umask was recorded, or no checkpoint yet): the first checkpoint's is kept, so that a umask changed between
    sessions does not make every file's bits odd, and each listed as modified."""
    recorded = _line(message, UMASK)
    return process_umask() if recorded is None else int(recorded, 8)


def _with_bits(changes: list[tuple[str, str]], was: dict[str, str], now: dict[str, str]) -> list[tuple[str, str]]:
    """`changes` between two checkpoints with the files whose recorded bits alone differ (`was`, `now`), modified."""
    named = {path for path, _ in changes}
    bits = [(path, "modified") for path in was.keys() | now.keys() if was.get(path) != now.get(path) and path not in named]
    return sorted([*changes, *bits]) if bits else changes


def _executable(bits: int, executable: bool) -> int:
    """`bits` with the executable bits git records: one for each read bit (as chmod +x gives), or none."""
    if executable:
        return bits if bits & 0o100 else bits | (bits & 0o444) >> 2
    return bits & ~0o111


def _holders(path: Path) -> list[int] | None:
    """The processes that have `path` open, from Linux's /proc (git holds its lock file open until it is done);
    None where that cannot be known."""
    if not os.path.isdir("/proc/self/fd"):
        return None
    target = str(path)
    return [int(pid) for pid in filter(str.isdigit, os.listdir("/proc")) if target in open_files(pid)]


def _held(lock: Path, holders: list[int] | None) -> str:
    """Why `lock` stays: the processes that hold it, or that none could be told."""
    if holders is None:
        return (f"checkpoint: {lock} exists: a git process still runs in the shadow repository, or one was killed and "
                "left it; if no git runs, remove it and run again")
    named = ", ".join(f"{pid} ({_command(pid)})" for pid in holders)
    return (f"checkpoint: {lock} is held by process {named}, still at work on the shadow repository after "
            f"{LOCK_WAIT:g} s; let it finish or stop it, then run again")


def _command(pid: int) -> str:
    """Process `pid`'s command line, as far as it can be read."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _status(code: int) -> str:
    """git's exit status as words: a negative code is the signal that ended it."""
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
