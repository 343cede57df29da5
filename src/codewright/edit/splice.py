"""Turn a located edit into the file's new lines.

An edit is a sequence of ops over its lines: ' ' keeps an old line, '-' removes one, '+' adds a
new one (a diff's hunk body; derived with difflib for other formats). Context lines are
written back as the file has them (with their own endings), removed lines go, added lines are
re-indented by the match's offset. Lines of the file the edit does not show ("extras", found
by the blank-line and fuzzy tiers) stay where they are; when that leaves the place of an
added line undecided, the edit is refused rather than guessed.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from codewright.edit.match import Match, reindent
from codewright.edit.model import EditError


def derive_ops(old: list[str], new: list[str]) -> str:
    """The ops of a replacement whose format does not give them: removals before additions."""
    ops = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        ops.append(" " * (i2 - i1) if tag == "equal" else "-" * (i2 - i1) + "+" * (j2 - j1))
    return "".join(ops)


def removed_lines(ops: str) -> set[int]:
    removed, o = set(), 0
    for op in ops:
        if op == "-":
            removed.add(o)
        o += op != "+"
    return removed


def splice(lines: list[str], endings: list[str], match: Match, ops: str, new: list[str], where: str,
           strict: bool = False, at_end: bool = False) -> list[tuple[str, str]]:
    """New (line, ending) pairs for the file range [match.start, match.end); "" endings get the file's.

    `strict`: the edit is known to be damaged (or matched only fuzzily), so lines it does not show
    are never dropped, and new lines next to them are refused: "-D +B" with an unshown Y after D
    could have been "-D Y +B". Otherwise removals and additions are a replacement in place.
    `at_end`: the edit ends the file, so lines it adds last go after any extras.
    """
    out: list[tuple[str, str]] = []
    cursor, o, n, k = match.start, 0, 0, 0
    while k < len(ops):
        if ops[k] == " ":
            placed = match.mapping[o]
            if placed is not None:
                out.extend(zip(lines[cursor:placed + 1], endings[cursor:placed + 1]))
                cursor = placed + 1
            o, n, k = o + 1, n + 1, k + 1
            continue
        end = k
        while end < len(ops) and ops[end] != " ":
            end += 1
        segment = ops[k:end]
        dels, adds = segment.count("-"), segment.count("+")
        stop = match.end if end == len(ops) else _next_placed(match, o + dels)
        gone = [m for m in match.mapping[o:o + dels] if m is not None]
        if strict and len(gone) < dels:
            raise EditError(f"{where}: a line the edit removes is not in the file at that place; quote the "
                            "lines to remove exactly.")
        added = [reindent(line, match) for line in new[n:n + adds]]
        out.extend(_place(lines, endings, range(cursor, stop), gone, segment, added, where, strict,
                          at_end and end == len(ops)))
        cursor, o, n, k = stop, o + dels, n + adds, end
    out.extend(zip(lines[cursor:match.end], endings[cursor:match.end]))
    return out


def _place(lines, endings, span: range, gone: list[int], segment: str, added: list[str], where: str,
           strict: bool, at_end: bool) -> list[tuple[str, str]]:
    """What replaces the file lines in `span` for one run of removals and additions."""
    extras = [i for i in span if i not in gone]
    # A changed line keeps the ending of the line it replaces; further new lines get the file's.
    reused = [endings[i] for i in gone] + [""] * max(0, len(added) - len(gone))
    new = list(zip(added, reused))
    if not gone:
        shown = [lines[i] for i in extras]
        if extras and new and not at_end and shown + added != added + shown:
            raise EditError(f"{where}: the file has line(s) {extras[0] + 1}-{extras[-1] + 1} where the edit adds "
                            "lines without showing them, so where the new lines go is unclear; quote the lines "
                            "around the change exactly.")
        return [(lines[i], endings[i]) for i in extras] + new
    before = [i for i in extras if i < gone[0]]
    after = [i for i in extras if i > gone[-1]]
    inside = [i for i in extras if gone[0] < i < gone[-1]]
    if inside and (strict or any(lines[i].strip() for i in inside)):
        raise EditError(f"{where}: line {inside[0] + 1} of the file sits inside the lines the edit removes, "
                        "but the edit does not show it; quote that part of the file exactly.")
    adds_first, adds_last = segment[0] == "+", segment[-1] == "+"
    if strict and ((before and adds_first) or (after and adds_last and new)):
        spot = before if before and adds_first else after
        raise EditError(f"{where}: the file has line(s) {spot[0] + 1}-{spot[-1] + 1} next to the lines the edit "
                        "changes but the edit does not show them, so where the new lines go is unclear; quote "
                        "the lines around the change exactly.")
    return [(lines[i], endings[i]) for i in before] + new + [(lines[i], endings[i]) for i in after]


def _next_placed(match: Match, start: int) -> int:
    for k in range(start, len(match.mapping)):
        if match.mapping[k] is not None:
            return match.mapping[k]
    return match.end
