"""Turn a located edit into the file's new lines.

The edit's context lines are written back as the file has them (with their own endings),
lines it removes go, lines it adds are re-indented by the match's offset. Where the file
holds lines the edit does not show, they stay where they are; if that leaves the place of
an insertion undecided, the edit is refused rather than guessed.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from codewright.edit.match import Match, reindent
from codewright.edit.model import EditError


def context_pairs(old: list[str], new: list[str]) -> tuple[tuple[int, int], ...]:
    """The (old, new) indexes of lines an edit keeps, when its format does not say."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return tuple((b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size))


def removed_lines(old: list[str], pairs: tuple[tuple[int, int], ...]) -> set[int]:
    kept = {o for o, _ in pairs}
    return {k for k in range(len(old)) if k not in kept}


def splice(lines: list[str], endings: list[str], match: Match, old: list[str], new: list[str],
           pairs: tuple[tuple[int, int], ...], where: str) -> tuple[list[str], list[str]]:
    """New (lines, endings) for the file range [match.start, match.end); "" endings get the file's."""
    out_lines: list[str] = []
    out_ends: list[str] = []
    cursor = match.start

    def keep_until(stop: int) -> None:
        nonlocal cursor
        while cursor < stop:
            out_lines.append(lines[cursor])
            out_ends.append(endings[cursor])
            cursor += 1

    prev_old, prev_new = -1, -1
    for next_old, next_new in (*pairs, (len(old), len(new))):
        gone = [match.mapping[k] for k in range(prev_old + 1, next_old) if match.mapping[k] is not None]
        added = [reindent(new[j], match) for j in range(prev_new + 1, next_new)]
        if gone:
            keep_until(gone[0])
            for k in range(gone[0], gone[-1] + 1):
                if k not in gone and lines[k].strip():
                    raise EditError(f"{where}: line {k + 1} of the file sits inside the lines the edit "
                                    "removes but the edit does not show it; quote that part exactly.")
            cursor = gone[-1] + 1
        elif added and prev_old >= 0:
            stop = _next_placed(match, next_old)
            if cursor < stop:
                raise EditError(f"{where}: the file has line(s) {cursor + 1}-{stop} between the edit's "
                                "context lines, so where to insert is unclear; quote the lines around "
                                "the insertion exactly.")
        out_lines.extend(added)
        out_ends.extend("" for _ in added)
        if next_old < len(old) and match.mapping[next_old] is not None:
            keep_until(match.mapping[next_old] + 1)
        prev_old, prev_new = next_old, next_new
    keep_until(match.end)
    return out_lines, out_ends


def _next_placed(match: Match, start: int) -> int:
    for k in range(start, len(match.mapping)):
        if match.mapping[k] is not None:
            return match.mapping[k]
    return match.end
