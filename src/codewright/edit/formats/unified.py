"""Unified diffs as models write them: git's, plain `---`/`+++`, and damaged ones.

Hunk headers may lack line numbers (`@@ ... @@`), counts may be wrong, blank context lines
may have lost their leading space: the body of a hunk runs to the next header, and counts
are only used to tell a removed `--- x` line from a file header and to trim trailing blanks.
Each hunk becomes an `Edit` carrying its old start as a hint and its body's ops.

A diff that stops inside its last hunk is refused as cut off (a model's reply that ran out of
tokens), not applied in part: the hunk has no lines at all, or fewer than its header counts and
its last line no line end, or its last line ended but a removed or added one, with its counts short
by a different number of old and new lines (see `_cut_in_its_changes`). A complete diff ends its
last line; one that does not but whose counts are met is taken as whole, and so is one ending its
lines whose counts are short otherwise (miscounted, or context lines left out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import count, pairwise
from pathlib import Path

from codewright.edit.model import Edit, EditError

_NUMBERS = re.compile(r"-(\d{1,18})(?:,(\d{1,18}))?\s+\+(\d{1,18})(?:,(\d{1,18}))?")  # longer: no line number
_GROUPS = count(1)


@dataclass
class _Hunk:
    start: int | None
    old_len: int | None
    new_len: int | None
    body: list[tuple[str, str]] = field(default_factory=list)
    blank: list[bool] = field(default_factory=list)
    old_no_newline: bool = False
    new_no_newline: bool = False
    lost_context: bool = False


@dataclass
class _FileDiff:
    old: str | None = None
    new: str | None = None
    created: bool = False
    deleted: bool = False
    hunks: list[_Hunk] = field(default_factory=list)
    git: bool = False  # from a `diff --git` header: only its `rename from`/`rename to` lines rename
    renamed: bool = False
    mode: int | None = None  # `new file mode` or `new mode`


def looks_like(text: str) -> bool:
    lines = text.splitlines()
    return any(line.startswith(("@@", "diff --git ")) for line in lines) or any(
        a.startswith("--- ") and b.startswith("+++ ") for a, b in pairwise(lines))


def parse(text: str, root: Path | None = None) -> list[Edit]:
    """The diff's edits. A plain diff (not git's) never renames: of its two names (`--- m.py`, `+++ m.py.new` as
    `diff -u` writes them, or `+++ b/m.py` beside an unprefixed `---`), the one that exists under `root` is the
    file, else the old one."""
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # what follows the text's last newline is not a line
    files: list[_FileDiff] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            files.append(_FileDiff(*_git_paths(line[11:]), git=True))
        elif line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _clean_pair(line[4:], lines[i + 1][4:])
            if not files or files[-1].hunks or (files[-1].old is not None and not _same_file(files[-1], old, new)):
                files.append(_FileDiff())
            current = files[-1]
            current.old, current.new = old, new
            current.created = current.created or old is None
            current.deleted = current.deleted or new is None
            i += 1
        elif files and line.startswith(("new file mode", "deleted file mode", "rename from ", "rename to ",
                                         "new mode ")):
            _metadata(files[-1], line)
        elif line.startswith(("GIT binary patch", "Binary files ")):
            name = files[-1].new or files[-1].old if files else None
            raise EditError(f"The diff changes a binary file{f' ({name})' if name else ''}; binary patches are not "
                            "applied. Nothing changed.")
        elif line.startswith("@@"):
            if not files:
                raise EditError("The diff has a hunk (`@@`) before any `--- a/FILE` / `+++ b/FILE` header; "
                                "name the file first.")
            hunk, i = _read_hunk(lines, i)
            files[-1].hunks.append(hunk)
            if i == len(lines) and _cut_off(hunk, lines[-1], text.endswith("\n")):
                raise EditError(_cut_off_message(files[-1], line, hunk))
            continue
        i += 1
    if not files:
        raise EditError("No file headers (`--- a/FILE`, `+++ b/FILE`) found in the diff.")
    edits: list[Edit] = []
    for diff in files:
        if not diff.git and diff.old is not None and diff.new is not None and diff.old != diff.new:
            diff.old = diff.new = _plain_name(diff.old, diff.new, root)
        edits.extend(_edits(diff))
    return edits


def _plain_name(old: str, new: str, root: Path | None) -> str:
    """The file a plain diff with two different names edits (see `parse`)."""
    names = [old, new, old.removeprefix("a/"), new.removeprefix("b/")]
    if root is not None:
        found = next((name for name in names if (root / name).is_file()), None)
        if found:
            return found
    return names[2] if names[2] == names[3] else old


def _same_file(diff: _FileDiff, old, new) -> bool:
    return (diff.old, diff.new) == (old, new) or diff.old in (old, new) or diff.new in (old, new)


_KINDS = {0o12: "symbolic link (mode 120000)", 0o16: "submodule (mode 160000)"}


def _metadata(diff: _FileDiff, line: str) -> None:
    if line.startswith(("new file mode", "new mode ")):
        diff.created = diff.created or line.startswith("new file mode")
        digits = line.rsplit(" ", 1)[-1].strip()
        if digits.isdigit() and int(digits, 8) >> 12 in (0o12, 0o16):  # 120000, 160000: no file of text
            raise EditError(f"{diff.new or diff.old}: the diff makes a {_KINDS[int(digits, 8) >> 12]}, which an "
                            "edit does not write (it became a regular file of mode 000); nothing changed. Use a "
                            "command (ln -s) for it.")
        if digits.isdigit():
            diff.mode = int(digits, 8) & 0o777
    elif line.startswith("deleted file mode"):
        diff.deleted = True
    elif line.startswith("rename from "):
        diff.old, diff.renamed = unquote(line[12:].strip()), True
    else:
        diff.new, diff.renamed = unquote(line[10:].strip()), True


def _git_paths(rest: str) -> tuple[str | None, str | None]:
    rest = rest.strip()
    if rest.startswith('"') or rest.endswith('"'):
        parts = re.findall(r'("(?:[^"\\]|\\.)*")|(\S+)', rest)
        names = [a or b for a, b in parts]
    else:
        half = rest.find(" b/")
        names = [rest[:half], rest[half + 1:]] if half > 0 else rest.split(" ", 1)
    if len(names) != 2:
        return None, None
    return _strip_prefix(unquote(names[0]), "a/"), _strip_prefix(unquote(names[1]), "b/")


def _clean_pair(old: str, new: str) -> tuple[str | None, str | None]:
    old, new = _path(old, "---"), _path(new, "+++")
    prefixed = all(p is None or p.startswith(("a/", "b/")) for p in (old, new))
    if prefixed:
        old = None if old is None else old[2:]
        new = None if new is None else new[2:]
    return old, new


def _path(raw: str, marker: str) -> str | None:
    """The file a `---` or `+++` line names, None for /dev/null. A line naming nothing is no /dev/null: a diff
    cut off right after `+++ ` deleted the file its `---` line named."""
    raw = unquote(raw.split("\t")[0].strip())
    if not raw:
        raise EditError(f"The diff has a `{marker}` line that names no file (was it cut off?); send it whole, with "
                        "/dev/null for a file it creates or deletes. Nothing changed.")
    return None if raw == "/dev/null" else raw


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote(name: str) -> str:
    """A path as git quotes one (`"\\303\\274.txt"`: C escapes, octal for each byte of a non-ASCII name) as text;
    an unquoted name as it is."""
    if len(name) < 2 or name[0] != '"' or name[-1] != '"':
        return name
    out, body, k = bytearray(), name[1:-1], 0
    while k < len(body):
        char = body[k]
        if char == "\\" and k + 1 < len(body):
            octal = body[k + 1:k + 4]
            if len(octal) == 3 and all(c in "01234567" for c in octal):
                out.append(int(octal, 8) & 0xFF)
                k += 4
                continue
            out.append(_ESCAPES.get(body[k + 1], ord("?")))
            k += 2
            continue
        out += char.encode("utf-8", "surrogateescape")
        k += 1
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(path: str, prefix: str) -> str:
    return path.removeprefix(prefix)


def _read_hunk(lines: list[str], i: int) -> tuple[_Hunk, int]:
    found = _NUMBERS.search(lines[i])
    if found:
        a, b, _, d = found.groups()
        hunk = _Hunk(int(a), 1 if b is None else int(b), 1 if d is None else int(d))
    else:
        hunk = _Hunk(None, None, None)
    i += 1
    old_n = new_n = 0
    last = " "
    while i < len(lines):
        line = lines[i]
        complete = hunk.old_len is None or (old_n >= hunk.old_len and new_n >= hunk.new_len)
        if line.startswith(("@@", "diff --git ")) or (
                complete and line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
            break
        if line.startswith("\\"):
            hunk.old_no_newline |= last in " -"
            hunk.new_no_newline |= last in " +"
            i += 1
            continue
        if line == "" or line[0] in " +-":
            tag, body = (" ", "") if line == "" else (line[0], line[1:].removeprefix("\ufeff"))  # git shows a BOM
        elif not line.startswith("```") and (not complete or _continues(lines, i + 1)):
            tag, body = " ", line  # a context line that lost its leading space
        else:
            break
        hunk.body.append((tag, body))
        hunk.blank.append(line == "")
        old_n += tag != "+"
        new_n += tag != "-"
        last = tag
        i += 1
    while hunk.blank and hunk.blank[-1] and (hunk.old_len is None or old_n > hunk.old_len):
        hunk.body.pop()
        hunk.blank.pop()
        old_n -= 1
        new_n -= 1
    # Counts that exceed the body by the same number on both sides mean context lines went
    # missing (a model skipping lines it quotes); other miscounts are just miscounts.
    hunk.lost_context = hunk.old_len is not None and hunk.old_len - old_n == hunk.new_len - new_n > 0
    return hunk, i


def _cut_off(hunk: _Hunk, last: str, ended: bool) -> bool:
    """Whether a hunk that runs to the end of the text stops inside itself (see the module's docstring); a
    `\\ No newline at end of file` line after it says where it ends."""
    if not hunk.body:
        return True
    if last.startswith("\\") or hunk.old_len is None:
        return False
    old_n, new_n = _counts(hunk)
    if ended:
        return _cut_in_its_changes(hunk, hunk.old_len - old_n, hunk.new_len - new_n)
    return old_n < hunk.old_len or new_n < hunk.new_len


def _cut_in_its_changes(hunk: _Hunk, old_short: int, new_short: int) -> bool:
    """Whether a hunk whose last line is ended stops inside its removed or added lines: it ends in one, and
    lacks a different number of old and new lines. Cut off there, a line was removed without the lines meant to
    replace it, or only some of them added. Context lines missing (the model skipped some, or the diff ends in
    the trailing context) lack as many on both sides, and other miscounts leave a hunk ending in context."""
    return hunk.body[-1][0] != " " and old_short >= 0 and new_short >= 0 and old_short != new_short


def _cut_off_message(diff: _FileDiff, header: str, hunk: _Hunk) -> str:
    old_n, new_n = _counts(hunk)
    counts = "" if hunk.old_len is None else (f" ({old_n} of its {hunk.old_len} old lines, {new_n} of its "
                                              f"{hunk.new_len} new)")
    return (f"{diff.new or diff.old}: the diff stops inside its hunk {len(diff.hunks)}, `{header.strip()}`{counts} "
            "(was it cut off?); send it whole, or if it is whole, correct the counts in its `@@` line. Nothing "
            "changed.")


def _counts(hunk: _Hunk) -> tuple[int, int]:
    """The old and the new lines a hunk's body holds."""
    return sum(tag != "+" for tag, _ in hunk.body), sum(tag != "-" for tag, _ in hunk.body)


def _continues(lines: list[str], i: int) -> bool:
    """Whether the hunk goes on at line i (a body line that is not a header), so the line before it,
    though unprefixed, is one of its context lines rather than the prose after it."""
    if i >= len(lines) or not lines[i] or lines[i][0] not in " +-" or lines[i].startswith("@@"):
        return False
    return not (lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "))


def _edits(diff: _FileDiff) -> list[Edit]:
    path = diff.new if diff.old is None else diff.old
    if path is None:
        raise EditError("A diff section names no file (`--- /dev/null` and `+++ /dev/null`).")
    if diff.deleted:
        shown = [text for hunk in diff.hunks for tag, text in hunk.body if tag != "+"]
        return [Edit(path, None, None, expect="".join(line + "\n" for line in shown) if diff.hunks else None)]
    if diff.created:
        body = [text for hunk in diff.hunks for tag, text in hunk.body if tag != "-"]
        no_final = bool(diff.hunks) and diff.hunks[-1].new_no_newline
        content = "\n".join(body) + ("" if no_final or not body else "\n")
        return [Edit(diff.new or path, None, content, final_newline=not no_final, create=True, mode=diff.mode)]
    move = diff.new if diff.renamed and diff.new and diff.new != path else None
    if not diff.hunks:
        return [Edit(path, "", "", move_to=move, mode=diff.mode)] if move or diff.mode is not None else []
    group = next(_GROUPS)
    edits = []
    for k, hunk in enumerate(diff.hunks):
        old = [text for tag, text in hunk.body if tag != "+"]
        new = [text for tag, text in hunk.body if tag != "-"]
        ops = "".join(tag for tag, _ in hunk.body)
        final = None
        if hunk.new_no_newline != hunk.old_no_newline:
            final = not hunk.new_no_newline
        # A hunk that lost context lines and ends in an insertion: only the file's end (where
        # git's hunks without trailing context go) is a safe place for it.
        at_end = hunk.lost_context and " " in ops and ops.endswith("+")
        last = k == len(diff.hunks) - 1
        edits.append(Edit(path, _join(old), _join(new), line_hint=hunk.start, group=group, ops=ops,
                          damaged=hunk.lost_context, final_newline=final, at_end=at_end,
                          move_to=move if last else None, mode=diff.mode if last else None))
    return edits


def bare_hunk(path: str, body: list[str]) -> list[Edit]:
    """A hunk without its headers (a fenced ```diff block under a path line): its ` `, `-` and `+` lines."""
    hunk, end = _read_hunk(["@@ @@", *body], 0)
    if end != len(body) + 1 or not any(tag != " " for tag, _ in hunk.body):
        raise EditError(f"{path}: the diff block has no `---`/`+++`/`@@` lines and is not a plain hunk of ` `, `-` "
                        "and `+` lines; send a unified diff with its headers, or SEARCH/REPLACE blocks. Nothing "
                        "changed.")
    return _edits(_FileDiff(path, path, hunks=[hunk]))


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)
