"""Which files of a tree the index covers.

Inside a git work tree the answer is git's own: the files git tracks or would track
(`git ls-files -co --exclude-standard`), so .gitignore, .git/info/exclude and the user's
global excludes all apply exactly as git applies them. Outside git every file counts,
minus what the .gitignore files found in the tree exclude (matched with pathspec's
gitignore semantics, deeper files overriding shallower ones). In both, the folders that
tools write rather than people (`_generated`: a virtual environment, node_modules,
__pycache__) stay out unless git tracks their files: a `python -m venv venv` that nobody
added to .gitignore is tens of thousands of files that are not the project's.
`.codewrightignore` files apply in both cases, and `.codewright/` itself is never indexed.

Discovery only stats files; reading, binary detection and hashing happen in `read_file`,
which the indexer calls only for files whose stat changed or cannot be trusted (see `index`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from codewright.errors import UsageError
from codewright.quoting import quoted
from codewright.utf8 import replaced

INDEX_DIR = ".codewright"
IGNORE_FILE = ".codewrightignore"
SIZE_CAP = 1_000_000  # bytes; generated or vendored files beyond this cost more than they tell
_BINARY_PROBE = 8192
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_GENERATED_NAMES = frozenset({"node_modules", "__pycache__"})
_VENDORED = re.compile(r"(^|/)(vendor|vendored|third_party|externals?|_vendor|extern)(/|$)|^[^/]+/packages/"
                       r"|\.min\.(js|css)$|(^|/)jquery[^/]*\.js$")  # and bundled or minified web libraries


@dataclass
class FileEntry:
    path: str  # POSIX, relative to the root
    size: int
    mtime_ns: int
    ctime_ns: int  # moved by any write, and by `cp -p` or `touch -d` that put an old mtime back
    inode: int  # another file saved over it by a rename (an editor's atomic save)


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Discovery:
    files: list[FileEntry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    in_git: bool = False


def is_vendored(path: str) -> bool:
    """Someone else's code kept in the tree (vendor/, third_party/, bundled or minified web libraries)."""
    return bool(_VENDORED.search(path))


def discover(root: Path, size_cap: int = SIZE_CAP) -> Discovery:
    """List the files to index under `root`, with the ones left out and why."""
    found = Discovery()
    listed = _git_files(root, found.skipped)
    found.in_git = listed is not None
    if listed is None:
        listed = _walk(root, found.skipped)
    rules = _IgnoreRules(root, IGNORE_FILE, [p for p in listed if p.rsplit("/", 1)[-1] == IGNORE_FILE])
    for rel in sorted(set(listed)):
        if rel.startswith(INDEX_DIR + "/") or rules.ignored(rel):
            continue
        add_entry(root, rel, size_cap, found)
    return found


def is_ignored(root: Path, rel: str) -> bool:
    """Whether discovery would leave out `rel` (for single files the agent creates)."""
    if rel.startswith(INDEX_DIR + "/"):
        return True
    parts = rel.split("/")
    ancestors = ["/".join(parts[:i]) for i in range(len(parts))]
    codewright = [f"{a}/{IGNORE_FILE}" if a else IGNORE_FILE for a in ancestors]
    if _IgnoreRules(root, IGNORE_FILE, [p for p in codewright if (root / p).is_file()]).ignored(rel):
        return True
    try:
        out = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "--", rel], capture_output=True,
                             check=False)
    except FileNotFoundError:
        out = None
    in_git = out is not None and out.returncode in (0, 1)  # 0 ignored, 1 not ignored; 128: not a git tree
    if in_git and out.returncode == 0:
        if not ignored_by_enclosing_repo(root):
            return True
        in_git = False  # discovery walks such a tree as outside git: so does this
    if any(_generated(root / a) for a in ancestors if a):
        return not (in_git and _tracked(root, rel))
    if in_git:
        return False
    gitignores = [f"{a}/.gitignore" if a else ".gitignore" for a in ancestors]
    return _IgnoreRules(root, ".gitignore", [p for p in gitignores if (root / p).is_file()]).ignored(rel)


def _generated(directory: str | Path) -> bool:
    """A folder of installed or compiled code (a virtual environment, holding pyvenv.cfg; node_modules;
    __pycache__): tens of thousands of files that are not the project's, which no .gitignore may mention."""
    return os.path.basename(directory) in _GENERATED_NAMES or os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def add_entry(root: Path, rel: str, size_cap: int, found: Discovery) -> None:
    """Stat one file into `found`: an entry, a skip with its reason, or nothing when it is gone."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:  # a name os gave us as surrogates: SQLite and JSON cannot hold it
        found.skipped.append(Skipped(replaced(rel), "file name is not valid UTF-8"))
        return
    path = os.path.join(root, rel)  # not `root / rel`: pathlib's join was a quarter of discovery
    linked = False
    try:
        st = os.lstat(path)
        linked = stat.S_ISLNK(st.st_mode)
        if linked:
            if not _inside(root, path):
                found.skipped.append(Skipped(rel, "symlink to outside the tree"))
                return
            st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            found.skipped.append(Skipped(rel, "symlink loop"))
        elif exc.errno != errno.ENOENT:  # deleted but still in git's index: simply gone
            found.skipped.append(Skipped(rel, f"unreadable: {exc.strerror}"))
        elif linked:  # the link is there, what it names is not: said, as every file left out is
            found.skipped.append(Skipped(rel, "broken symlink: what it names does not exist"))
        return
    if stat.S_ISDIR(st.st_mode):  # git lists a submodule, a nested repository or a link to a folder as one entry
        why = _folder_entry(root, rel, linked)
        if why:
            found.skipped.append(Skipped(rel.rstrip("/"), why))
        return
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read; said, as every file left out is
        found.skipped.append(Skipped(rel, "not a regular file (a pipe, socket or device)"))
        return
    if st.st_size > size_cap:
        found.skipped.append(Skipped(rel, f"over size cap ({st.st_size} > {size_cap} bytes)"))
        return
    found.files.append(FileEntry(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))


def _folder_entry(root: Path, rel: str, linked: bool) -> str | None:
    """Why a folder git listed as one entry is not indexed: git descends into none of them, and their files were
    left out without a word (a repository cloned inside the tree, `def` finding nothing of it). None for a plain
    folder (an uninitialised submodule, a path given to `update`)."""
    path = os.path.join(root, rel.rstrip("/"))
    if linked:
        return _linked_folder(root, path)
    if not os.path.exists(os.path.join(path, ".git")):
        return None
    what = "a nested git repository" if rel.endswith("/") else "a git submodule"  # untracked: `nested/`
    return f"{what}: git lists none of its files (index it on its own)"


def _inside(root: Path, link: str) -> bool:
    """Whether a symlink's target is in the tree: the index, like the agent's tools, reads nothing outside it (a
    link to ~/.aws/credentials would put them in the map), and git never follows a link either. A link that
    cannot be resolved (a loop) counts as inside, for its stat to report."""
    try:
        target = os.path.realpath(link, strict=True)
    except OSError:
        return True
    return _within(target, os.path.realpath(root))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


_UNOPENED = re.compile(r"^warning: could not open directory '(.+)': (.+)$", re.MULTILINE)
GIT_LIST_TIMEOUT = 600.0  # seconds: git lists the largest trees in seconds, and one blocked on a FIFO never ends


def _git_files(root: Path, skipped: list[Skipped]) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files (those outside generated folders), or None when `root` is
    not in a git work tree. `-t` tags each path: `? ` for an untracked one, a letter for a tracked one. A folder
    git could not open (its untracked files unknown) goes into `skipped`, as the walk outside git puts it."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-t", "-z"],
            capture_output=True,
            check=False,
            timeout=GIT_LIST_TIMEOUT,
            env={**os.environ, "LC_ALL": "C"},  # its warnings in English: _UNOPENED reads them
        )
    except FileNotFoundError:  # no git on this machine
        return None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git ls-files has not listed the files of {quoted(root)} in {GIT_LIST_TIMEOUT:g} s; git waits for "
                         "ever on an ignore file that is a named pipe (a FIFO named .gitignore)") from None
    if out.returncode != 0 or not out.stdout and ignored_by_enclosing_repo(root):
        return None
    for folder, why in _UNOPENED.findall(out.stderr.decode("utf-8", "surrogateescape")):
        skipped.append(Skipped(replaced(folder.rstrip("/")), f"unreadable: {why.strip()}"))
    generated: dict[str, bool] = {}  # folder -> whether it or a folder above it is generated
    return [
        entry[2:] for entry in out.stdout.decode("utf-8", "surrogateescape").split("\0")
        if entry and not (entry[0] == "?" and _in_generated(root, entry[2:], generated))
    ]


def ignored_by_enclosing_repo(root: Path) -> bool:
    """A project in a folder its enclosing repository ignores (a dotfiles repository in $HOME ignoring `*`): git
    lists none of its files, which does not make them nobody's, so the tree is walked as outside git. Without git
    on the machine, nothing is ignored (`cli.project` asks before anything else ran git)."""
    try:
        done = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "."], capture_output=True, check=False)
    except FileNotFoundError:
        return False
    return done.returncode == 0


def _in_generated(root: Path, rel: str, memo: dict[str, bool]) -> bool:
    """Whether a folder above `rel` is generated; `memo` keeps each folder's answer across one listing. The folders
    not yet answered are answered from the top down in a loop: recursion failed on a tree a thousand folders deep."""
    unknown = []
    folder = rel.rpartition("/")[0]
    while folder and folder not in memo:
        unknown.append(folder)
        folder = folder.rpartition("/")[0]
    generated = memo.get(folder, False)
    for folder in reversed(unknown):
        generated = memo[folder] = generated or _generated(root / folder)
    return generated


def _tracked(root: Path, rel: str) -> bool:
    out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", rel], capture_output=True, check=False)
    return bool(out.stdout)


def _walk(root: Path, skipped: list[Skipped]) -> list[str]:
    """Every file under root outside git. A symlinked directory is not followed, as git does not: one into the
    tree names files indexed at their own path (an alias found first in sorted order used to take their place),
    one out of it would index what is not the project's (`ln -s / root` walked the whole machine). Folders wait
    on a stack, not in recursive calls: a tree a thousand folders deep exceeded Python's recursion limit."""
    found: list[str] = []
    rules = _IgnoreRules(root, ".gitignore", [])
    seen: set[tuple[int, int]] = set()

    def visit(directory: str, rel: str) -> list[tuple[str, str]]:  # strings, not Paths: pathlib was a third of a walk
        """List one folder's files into `found`; returns its subfolders to walk."""
        try:
            st = os.stat(directory)
        except OSError:
            skipped.append(Skipped(rel or ".", "symlink loop or unreadable directory"))
            return []
        key = (st.st_dev, st.st_ino)
        if key in seen:
            skipped.append(Skipped(rel, "symlink loop"))
            return []
        seen.add(key)
        if os.path.isfile(os.path.join(directory, ".gitignore")):
            rules.add(rel + "/.gitignore" if rel else ".gitignore")
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(rel or ".", f"unreadable: {exc.strerror}"))
            return []
        folders = []
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name in (".git", INDEX_DIR):
                continue
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                if rules.ignored(child + "/"):
                    continue
                if entry.is_symlink():
                    skipped.append(Skipped(child, _linked_folder(root, entry.path)))
                elif not _generated(entry.path):
                    folders.append((entry.path, child))
            elif not rules.ignored(child):
                found.append(child)
        return folders

    pending = [(str(root), "")]
    while pending:
        pending.extend(reversed(visit(*pending.pop())))  # the first subfolder next: the order recursion had
    return found


def _linked_folder(root: Path, link: str) -> str:
    """Why a symlinked directory is not walked."""
    target, top = os.path.realpath(link), os.path.realpath(root)
    if not _within(target, top):
        return "symlink to outside the tree"
    if _within(os.path.realpath(os.path.dirname(link)), target):
        return "symlink loop"  # to a folder above it
    return f"symlink to {os.path.relpath(target, top)} (indexed there)"


class _IgnoreRules:
    """gitignore-style files at any depth; a deeper file's verdict overrides a shallower one's."""

    def __init__(self, root: Path, name: str, paths: list[str]) -> None:
        self.root = root
        self.name = name
        self.specs: dict = {}  # base directory -> pathspec.GitIgnoreSpec
        self.any_pattern: dict[str, re.Pattern[str] | None] = {}  # base directory -> its `_any_pattern`
        for rel in paths:
            self.add(rel)

    def add(self, rel: str) -> None:
        import pathspec  # only when an ignore file exists: keeps `codewright index` quick to start

        path = os.path.join(self.root, rel)
        try:  # a FIFO or a link to /dev/zero by this name would hang or fill memory
            if not _inside(self.root, path) or not stat.S_ISREG(os.stat(path).st_mode):
                return
            with open(path, "rb") as handle:
                lines = handle.read(SIZE_CAP).decode("utf-8", errors="replace").splitlines()
        except OSError:
            return
        base = rel.rsplit("/", 1)[0] if "/" in rel else ""
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, re.error):  # a line git cannot read either (`!`, `[z-a]`): git skips it, so do we
            spec = pathspec.GitIgnoreSpec.from_lines(line for line in lines if _readable(pathspec, line))
        self.specs[base] = spec
        self.any_pattern[base] = _any_pattern(spec)

    def ignored(self, rel: str) -> bool:
        if not self.specs:
            return False
        verdict = False
        parts = rel.rstrip("/").split("/")
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            spec = self.specs.get(base)
            if spec is None:
                continue
            sub = rel[len(base) + 1 :] if base else rel
            quick = self.any_pattern[base]
            if quick is not None and not quick.match(sub):
                continue  # no pattern matches: no verdict (most paths of most trees)
            result = spec.check_file(sub)
            if result.include is not None:
                verdict = result.include
        return verdict


def _any_pattern(spec) -> re.Pattern[str] | None:  # type: ignore[no-untyped-def]
    """One regular expression that matches where any of the spec's patterns does, or None where they cannot be
    joined. pathspec tries every pattern on every path (django's 14 on each of its 6,000 files: most of a walk
    outside git); one failed match now says that none would decide, and only a match asks pathspec which does."""
    regexes = [p.regex for p in spec.patterns if p.include is not None]
    if not regexes:
        return re.compile(r"(?!)")
    if any(not isinstance(r, re.Pattern) or r.flags != regexes[0].flags for r in regexes):
        return None
    joined = "|".join(f"(?:{_NAMED_GROUP.sub('(?:', r.pattern)})" for r in regexes)  # names would clash
    try:
        return re.compile(joined, regexes[0].flags)
    except re.error:  # a back reference to a group whose name was dropped
        return None


def _readable(pathspec, line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return False
    return True


@dataclass
class FileContent:
    data: bytes
    hash: str
    binary: bool


def read_file(root: Path, rel: str) -> FileContent:
    data = (root / rel).read_bytes()
    return FileContent(data, content_hash(data), b"\0" in data[:_BINARY_PROBE])


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def exclude_index_dir(root: Path) -> None:
    """Add `.codewright/` to .git/info/exclude once, so the index never shows in `git status`."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--git-path", "info/exclude"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return
    if out.returncode != 0:
        return
    exclude = Path(out.stdout.strip())
    if not exclude.is_absolute():
        exclude = root / exclude
    line = INDEX_DIR + "/"
    try:  # bookkeeping: a read-only .git leaves `.codewright/` in git status, which is no reason to fail
        text = exclude.read_text(encoding="utf-8", errors="replace") if exclude.exists() else ""
        if line in text.splitlines():
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        sep = "" if not text or text.endswith("\n") else "\n"
        exclude.write_text(f"{text}{sep}{line}\n", encoding="utf-8")
    except OSError:
        return
