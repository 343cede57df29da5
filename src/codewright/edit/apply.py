"""Apply a list of `Edit`s to a working tree: all of them, or none.

Every edit is first applied in memory, in order, to decoded copies of the files; only when
all succeed are the files written (see transaction.py). Hunks of one diff (`Edit.group`) are
located together against the file as it was before them, so their order in the diff does not
matter and their line numbers serve only to choose among equal candidates.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

from codewright.edit import confined
from codewright.edit.match import Match, closest, find_all
from codewright.edit.model import ApplyResult, Edit, EditError, FileChange
from codewright.edit.splice import derive_ops, removed_lines, splice
from codewright.edit.textfile import TextFile, clip_line, model_lines, split_lines
from codewright.edit.transaction import Write, commit


@dataclass
class _FileState:
    rel: str
    path: Path
    before: bytes | None
    mode: int | None
    current: TextFile | None
    tiers: list[str] = field(default_factory=list)
    moved_from: str | None = None
    binary: EditError | None = None  # why the file cannot be read as text: deleting it is all an edit may do
    new_mode: int | None = None  # permission bits to set (a diff's mode line, a move's source); None keeps `mode`
    source_before: bytes | None = None  # a move's destination: what its source held, for the diff shown
    owner: tuple[int, int] | None = None  # the user and group ids the file keeps (a move's destination: its source's)
    xattrs: dict[str, bytes] | None = None  # the extended attributes it keeps (a move's destination: its source's)


@dataclass
class _Located:
    edit: Edit
    number: int
    old: list[str]
    new: list[str]
    ops: str
    candidates: list[Match]
    chosen: Match | None = None


def apply_edits(root: Path | str, edits: list[Edit], dry_run: bool = False,
                format: str | None = None) -> ApplyResult:
    """Apply `edits` under `root` all-or-nothing; raise EditError (nothing written) if any fails."""
    root = Path(root).resolve()
    if not edits:
        raise EditError("No edits found in the input; nothing changed.")
    states: dict[str, _FileState] = {}
    order: list[str] = []
    k = 0
    while k < len(edits):
        run = _run_at(edits, k)
        state = _state(root, run[0].path, states, order)
        run = _without_the_mark(state, run)
        if state.binary and not all(edit.is_delete for edit in run):
            raise state.binary
        _not_through_a_link(root, run, state)
        for edit in run:
            if state.current is None and not (edit.old is None or (edit.old == "" and edit.new is not None)):
                raise EditError(_no_file(state, k + 1))
        if len(run) == 1 and run[0].old is None:
            _whole_or_delete(state, run[0])
        elif len(run) == 1 and run[0].text_match and _substring(state, run[0], k + 1):
            pass
        elif len(run) == 1 and run[0].replace_all:
            _replace_all(state, run[0], k + 1)
        else:
            _apply_group(state, run, k + 1)
        if run[-1].mode is not None:
            state.new_mode = run[-1].mode
        if run[-1].move_to:
            _move(root, state, run[-1].move_to, states, order)
        k += len(run)
    changes, writes = _changes([states[p] for p in order])
    if not dry_run:
        commit(writes, root)
    return ApplyResult(changes, dry_run, format)


def _without_the_mark(state: _FileState, run: list[Edit]) -> list[Edit]:
    """A file with a byte-order mark keeps its own; a model that read the file raw quotes the mark (U+FEFF) as
    the first character of its text, which was then no text to find, or written twice over a whole file."""
    if state.current is None or not state.current.bom:
        return run
    return [replace(edit, old=_unmarked(edit.old), new=_unmarked(edit.new)) for edit in run]


def _unmarked(text: str | None) -> str | None:
    return None if text is None else text.removeprefix("\ufeff")


def _not_through_a_link(root: Path, run: list[Edit], state: _FileState) -> None:
    """Refuse to delete or move a file named by a symbolic link: it would delete or move the file the link
    points to, and leave the link dangling."""
    doing = ("deleting", "delete") if run[0].is_delete else ("moving", "move") if run[-1].move_to else None
    if doing and (root / run[0].path).is_symlink():
        raise EditError(f"{run[0].path}: is a symbolic link (to {state.rel}); {doing[0]} through it would {doing[1]} "
                        "the file it points to. Change the link itself with a command; nothing changed.")


def _run_at(edits: list[Edit], k: int) -> list[Edit]:
    """The edit at k and, for a diff group, the hunks after it of the same group and file."""
    first = edits[k]
    run = [first]
    while (first.group is not None and k + len(run) < len(edits)
           and edits[k + len(run)].group == first.group and edits[k + len(run)].path == first.path):
        run.append(edits[k + len(run)])
    return run


_NEVER_WRITTEN = frozenset({".git", ".codewright"})


def resolve(root: Path, rel: str) -> tuple[str, Path]:
    """The repository-relative POSIX path and the real path; paths leaving the root are refused."""
    if not rel or "\x00" in rel or rel.endswith(("/", "\\")):
        raise EditError(f"{rel!r}: is not a valid file path.")
    try:
        full = (root / rel).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise EditError(f"{rel}: cannot be resolved ({getattr(exc, 'strerror', None) or exc}); nothing changed.") from None
    if full != root and root not in full.parents:
        raise EditError(f"{rel}: is outside the repository ({root}); refusing to touch it.")
    inside = full.relative_to(root).parts
    if inside and not set(inside).isdisjoint(_NEVER_WRITTEN):
        raise EditError(f"{rel}: is inside {'/'.join(p for p in inside if p in _NEVER_WRITTEN)}/, which edits never "
                        "touch (git's and codewright's own data); nothing changed.")
    try:
        folder = full == root or full.is_dir()
        special = not folder and full.exists() and not full.is_file()
    except OSError as exc:  # a name too long for the file system, a parent we may not enter
        raise EditError(f"{rel}: cannot be used as a file path ({exc.strerror}).") from None
    if folder:
        raise EditError(f"{rel}: is a directory, not a file.")
    if special:  # a FIFO would block the read until something wrote to it; a device or socket is no text
        raise EditError(f"{rel}: is not a regular file (a pipe, socket or device); nothing changed.")
    return full.relative_to(root).as_posix(), full


def _state(root: Path, rel: str, states: dict[str, _FileState], order: list[str]) -> _FileState:
    rel, full = resolve(root, rel)
    if rel not in states:
        before, mode, current, owner, xattrs = None, None, None, None, None
        binary = None
        try:
            before, status, xattrs = confined.read(root, full)  # what is read is what the checks above looked at
            mode, owner = status.st_mode & 0o7777, (status.st_uid, status.st_gid)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise EditError(f"{rel}: cannot be read ({exc.strerror}); nothing changed.") from None
        if before is not None:
            try:
                current = TextFile.decode(before, rel)
            except EditError as exc:
                binary = exc
        states[rel] = _FileState(rel, full, before, mode, current, binary=binary, owner=owner, xattrs=xattrs)
        order.append(rel)
    return states[rel]


def _no_file(state: _FileState, number: int) -> str:
    return (f"{state.rel}: edit {number} changes a file that does not exist. Check the path, or write the "
            "whole file to create it.")


def _whole_or_delete(state: _FileState, edit: Edit) -> None:
    if edit.is_delete:
        if state.current is None and not state.binary:
            raise EditError(f"{state.rel}: cannot be deleted, it does not exist.")
        if edit.expect is not None and not state.binary and _unlike(state.current.text(), edit.expect):
            raise EditError(f"{state.rel}: the diff deletes this file, but the lines it shows removed are not the "
                            "file's content; nothing changed. Re-read the file, or delete it by name.")
        state.current = None
        return
    lines = model_lines(edit.new)
    if edit.create and (state.binary or (state.current is not None and _unlike(state.current.text(), edit.new))):
        raise EditError(f"{state.rel}: already exists, and the edit creates it anew; nothing changed. Edit the "
                        "file instead, or write its whole content to replace it.")
    if state.current is None:
        state.current = TextFile.new(edit.new)  # the content's own line endings: a new .bat file keeps its CRLF
    else:
        state.current = state.current.replace(lines, [""] * len(lines), edit.final_newline)
    state.tiers.append("whole-file")


def _unlike(text: str, quoted: str) -> bool:
    """Whether a file's text differs from what an edit quotes of it, line endings and trailing blanks aside."""
    return [line.rstrip() for line in model_lines(text)] != [line.rstrip() for line in model_lines(quoted)]


def _move(root: Path, state: _FileState, target: str, states, order) -> None:
    rel, _ = resolve(root, target)
    dest = _state(root, rel, states, order)
    if (dest.current is not None or dest.binary) and dest is not state:
        raise EditError(f"{state.rel}: cannot be moved to {rel}, which already exists.")
    dest.current, dest.moved_from, dest.tiers = state.current, state.rel, state.tiers
    dest.new_mode = state.new_mode if state.new_mode is not None else state.mode  # a script stays executable
    dest.source_before, dest.owner, dest.xattrs = state.before, state.owner, state.xattrs
    state.current = None


def _prepare(edit: Edit, number: int) -> _Located:
    old, new = model_lines(edit.old or ""), model_lines(edit.new or "")
    ops = edit.ops if edit.ops is not None else derive_ops(old, new)
    return _Located(edit, number, old, new, ops, [])


def _replace_all(state: _FileState, edit: Edit, number: int) -> None:
    item = _prepare(edit, number)
    tf = state.current
    matches = find_all(tf.lines, item.old, removed_lines(item.ops)) if item.old else []
    if not matches:
        raise EditError(_not_found(state, item))
    taken: list[Match] = []
    for match in sorted(matches, key=lambda m: m.start):
        if not taken or match.start >= taken[-1].end:
            taken.append(match)
    _splice_all(state, [(m, item) for m in taken])


def _substring(state: _FileState, edit: Edit, number: int) -> bool:
    """An `old_string` found verbatim in the file (line endings aside) is replaced there; False if absent
    (or the file does not exist yet: an empty `old_string` then creates it, as the other tiers do)."""
    tf = state.current
    if tf is None:
        return False
    text = tf.text()
    old, new = edit.old.replace("\r\n", "\n"), edit.new.replace("\r\n", "\n")
    if tf.newline == "\r\n":
        old, new = old.replace("\n", "\r\n"), new.replace("\n", "\r\n")
    count = text.count(old) if old else 0
    if not count:
        return False
    if count > 1 and not edit.replace_all:
        starts, at = [], text.find(old)
        while at >= 0 and len(starts) < 8:  # only eight are named: counting lines for every one was quadratic
            starts.append(str(text.count("\n", 0, at) + 1))
            at = text.find(old, at + len(old))
        raise EditError(f"{state.rel}: edit {number}: old_string occurs {count} times (at lines "
                        f"{', '.join(starts[:8])}{' and more' if count > 8 else ''}). Include more surrounding "
                        "text so that it is unique, or set replace_all to replace every one. No file was changed.")
    changed = text.replace(old, new) if edit.replace_all else text.replace(old, new, 1)
    lines, endings = split_lines(changed)
    state.current = TextFile(lines, endings, tf.encoding, tf.bom, tf.latin1)
    state.tiers.append("exact")
    return True


def _apply_group(state: _FileState, run: list[Edit], number: int) -> None:
    tf = state.current
    items = [_prepare(edit, number + i) for i, edit in enumerate(run)]
    for item in items:
        if not item.old:
            continue
        item.candidates = find_all(tf.lines if tf else [], item.old, removed_lines(item.ops),
                                   _at_end if item.edit.at_end else None)
        if not item.candidates:
            raise EditError(_not_found(state, item))
    for i, item in enumerate(items):
        item.chosen = _empty_old(state, item) if not item.old else _choose(tf.lines, items, i, state)
    placed = sorted(((item.chosen, item) for item in items), key=lambda p: (p[0].start, p[0].end))
    for (a, ia), (b, ib) in itertools.pairwise(placed):
        if b.start < a.end or (b.start == a.start and a.start == a.end):
            raise EditError(f"{state.rel}: edits {ia.number} and {ib.number} overlap at lines "
                            f"{b.start + 1}-{a.end}; merge them into one edit.")
    _splice_all(state, placed)


def _at_end(match: Match, size: int) -> bool:
    """For edits that end the file: the match reaches the end, taking any lines after it along."""
    if match.end == size or match.window_end == size:
        match.end = size
        return True
    return False


def _empty_old(state: _FileState, item: _Located) -> Match:
    """Nothing to find: insert at the hunk's line, or append (aider's empty SEARCH)."""
    size = len(state.current.lines) if state.current else 0
    at = size if item.edit.line_hint is None else min(max(item.edit.line_hint, 0), size)
    return Match(at, at, "exact", [])


def _choose(lines: list[str], items: list[_Located], i: int, state: _FileState) -> Match:
    """One candidate, or the one the hints single out; anything else is an error, never a guess."""
    item = items[i]
    cands = item.candidates
    if len(cands) == 1:
        return cands[0]
    if item.edit.anchor is not None:
        chosen = _after_anchor(lines, cands, item.edit.anchor, _previous_end(items, i))
        if chosen:
            return chosen
    elif item.edit.line_hint is not None:
        target = item.edit.line_hint - 1 + _learned_offset(items, i)
        ranked = sorted(cands, key=lambda m: abs(m.start - target))
        near, far = abs(ranked[0].start - target), abs(ranked[1].start - target)
        if near * 2 < far:
            return ranked[0]
    else:
        low, high = _previous_end(items, i), _next_start(items, i, len(lines))
        between = [m for m in cands if m.start >= low and m.end <= high]
        if len(between) == 1 and len(items) > 1:
            return between[0]
    raise EditError(_ambiguous(state, item))


def _unique(item: _Located) -> Match | None:
    return item.candidates[0] if len(item.candidates) == 1 else None


def _learned_offset(items: list[_Located], i: int) -> int:
    """How far the diff's line numbers are off, from the nearest hunk that matched only once."""
    hint = items[i].edit.line_hint
    known = [(abs(it.edit.line_hint - hint), _unique(it).start - (it.edit.line_hint - 1))
             for it in items if it is not items[i] and _unique(it) and it.edit.line_hint is not None]
    return min(known)[1] if known else 0


def _previous_end(items: list[_Located], i: int) -> int:
    for item in reversed(items[:i]):
        found = item.chosen or _unique(item)
        if found:
            return found.end
    return 0


def _next_start(items: list[_Located], i: int, size: int) -> int:
    for item in items[i + 1:]:
        found = _unique(item)
        if found:
            return found.start
    return size


def _after_anchor(lines: list[str], cands: list[Match], anchor: str, low: int) -> Match | None:
    want = anchor.strip()
    marks = [k for k in range(low, len(lines)) if lines[k].strip() == want]
    if not marks:
        return None
    after = [m for m in cands if m.start > marks[0]]
    return min(after, key=lambda m: m.start) if after else None


def _splice_all(state: _FileState, placed: list[tuple[Match, _Located]]) -> None:
    tf = state.current or TextFile([], [])
    lines, endings = list(tf.lines), list(tf.endings)
    final = None
    for match, item in sorted(placed, key=lambda p: p[0].start, reverse=True):
        where = f"{state.rel}: edit {item.number}"
        strict = item.edit.damaged or match.tier == "fuzzy"
        spliced = splice(lines, endings, match, item.ops, item.new, where, strict, item.edit.at_end)
        lines[match.start:match.end] = [line for line, _ in spliced]
        endings[match.start:match.end] = [end for _, end in spliced]
        state.tiers.append(match.tier)
        final = item.edit.final_newline if item.edit.final_newline is not None else final
    state.current = tf.replace(lines, endings, final)


def _changes(states: list[_FileState]) -> tuple[list[FileChange], list[Write]]:
    """One FileChange per file whose bytes change (a move's source is part of the move), and the writes."""
    moved_away = {st.moved_from for st in states if st.moved_from}
    changes, writes = [], []
    for st in states:
        after = None if st.current is None else st.current.encode(st.rel)
        chmod = after is not None and st.new_mode is not None and st.new_mode != st.mode
        if after == st.before and not chmod:
            continue
        if after != st.before and not (after is None and st.rel in moved_away):  # mv needs no write bit
            _writable(st)
        writes.append(Write(st.path, after, st.before, st.mode, st.new_mode, st.owner, st.xattrs))
        if after is None and st.rel in moved_away:
            continue
        if after is None:
            action = "delete"
        else:
            action = "move" if st.moved_from else "create" if st.before is None else "modify"
        if st.binary:  # deleted: nothing else may be done to it
            diff = f"Binary file {st.rel} deleted\n"
        else:
            base = st.source_before if st.moved_from else st.before
            before_text = TextFile.decode(base, st.rel).text() if base is not None else ""
            after_text = st.current.text() if st.current is not None else ""
            diff = _diff(st.moved_from or st.rel, st.rel, before_text, after_text)
            if chmod and st.mode is not None:
                diff = f"old mode {st.mode:o}\nnew mode {st.new_mode:o}\n" + diff
        changes.append(FileChange(st.rel, action, diff, st.tiers, st.moved_from))
    return changes, writes


def _writable(st: _FileState) -> None:
    """Refuse to change a file nobody may write (mode 444): its owner made it read-only, and a rename
    would replace it all the same, even for root, where nothing else stops it. A diff that grants the
    write bit with its `new mode` line may."""
    mode = st.new_mode if st.new_mode is not None and st.before is not None else st.mode
    if st.before is not None and mode is not None and not mode & 0o222:
        raise EditError(f"{st.rel}: is read-only (mode {st.mode:o}); nothing changed. Make it writable "
                        "first (chmod u+w) if it is meant to change.")


def _diff(old_name: str, new_name: str, before: str, after: str) -> str:
    a = before.replace("\r\n", "\n").splitlines(keepends=True)
    b = after.replace("\r\n", "\n").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{old_name}", f"b/{new_name}"))


def _not_found(state: _FileState, item: _Located) -> str:
    lines = state.current.lines if state.current else []
    applied = _applied_at(lines, item)
    if applied is not None:
        return (f"{state.rel}: edit {item.number} looks applied already: its lines to replace are not in the file,"
                f" and lines {applied + 1}-{applied + len(item.new)} hold its new lines. No file was changed.")
    head = (f"{state.rel}: edit {item.number}: the lines to replace were not found in the file "
            "(not even ignoring whitespace, indentation and blank lines, or approximately).")
    near = closest(lines, item.old)
    if not near or near[0][0] < 0.5:
        return head + " Re-read the file and quote its current lines exactly. No file was changed."
    parts = [head, "Did you mean:"]
    if near[0][0] == 1.0:
        parts[0] += (" The closest lines differ only in whitespace, but their indentation is not shifted by"
                     " one uniform amount.")
    for score, start, end in near:
        if score < 0.5:
            break
        parts.append(f"lines {start + 1}-{end} ({int(score * 100)}% similar):")  # not rounded: 100% is the same text
        parts.extend(f"{n + 1:>6}| {clip_line(lines[n])}" for n in range(start, end))
    parts.append("Quote the file's lines exactly and try again. No file was changed.")
    return "\n".join(parts)


def _applied_at(lines: list[str], item: _Located) -> int | None:
    """Where the file holds the edit's new lines once (ignoring trailing whitespace), for an edit
    that adds or changes some: a patch applied twice, or an edit a model repeats."""
    new = [line.rstrip() for line in item.new]
    if not any(new) or new == [line.rstrip() for line in item.old]:
        return None
    stripped = [line.rstrip() for line in lines]
    found = [k for k in range(len(stripped) - len(new) + 1) if stripped[k] == new[0] and stripped[k:k + len(new)] == new]
    return found[0] if len(found) == 1 else None


def _ambiguous(state: _FileState, item: _Located) -> str:
    spots = ", ".join(f"{m.start + 1}-{m.end}" for m in item.candidates[:8])
    more = "" if len(item.candidates) <= 8 else f" and {len(item.candidates) - 8} more"
    return (f"{state.rel}: edit {item.number}: the lines to replace occur {len(item.candidates)} times "
            f"({item.candidates[0].tier} match at lines {spots}{more}). Include more surrounding lines so "
            "that exactly one place matches, or replace all occurrences explicitly. No file was changed.")
