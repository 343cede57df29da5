"""Find where a model's `old` lines sit in a file, in tiers from strict to tolerant.

Each tier returns every place it finds; the caller stops at the first tier that finds any,
so a tolerant tier never overrules a strict one. A `Match` records, for each `old` line, the
file line it stands for (None where the file lacks it): splicing keeps the file's own
version of every context line, so a drifted context line is never written back.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 0.8
"""Line-level similarity (0..1) a window needs to count as a fuzzy match (see `_fuzzy`)."""
FUZZY_MARGIN = 0.05
"""A place this close to the best fuzzy place that needs a removed line misquoted makes the match unsafe."""
ALTERED_LINE = 0.75
"""How alike a misremembered line must be to the file's to stand for it (unless held in place)."""


@dataclass
class Match:
    start: int
    end: int
    tier: str
    mapping: list[int | None]
    shift: int = 0
    prefix: str | None = None
    score: float = 1.0
    window_end: int = -1
    window_start: int = -1
    style: str | None = None  # "\t" or " ": the file indents with that alone and the edit with the other


def find_all(lines: list[str], old: list[str], removed: set[int],
             accept: Callable[[Match, int], bool] | None = None) -> list[Match]:
    """Matches from the first tier that finds any; `removed` are the old lines the edit deletes.

    `accept(match, len(lines))`, when given, filters each tier's matches before that test.
    """
    for tier in (_exact, _trailing, _indentation, _blank_lines, _fuzzy):
        found = tier(lines, old, removed)
        if accept is not None:
            found = [m for m in found if accept(m, len(lines))]
        if found:
            return found
    return []


def closest(lines: list[str], old: list[str], limit: int = 3) -> list[tuple[float, int, int]]:
    """The most similar windows as (similarity, start, end), best first, never overlapping."""
    size = max(1, len(old))
    if not lines or len(lines) > 50_000:
        return []
    norm = [_collapse(line) for line in lines]
    text = "\n".join(_collapse(line) for line in old)
    scored = []
    for i in range(max(1, len(lines) - size + 1)):
        scored.append((fuzz.ratio(text, "\n".join(norm[i:i + size])) / 100, i, min(len(lines), i + size)))
    return _non_overlapping(sorted(scored, key=lambda s: (-s[0], s[1])), limit)


def _exact(lines, old, removed):
    return [_straight(i, len(old), "exact") for i in _find(lines, old)]


def _trailing(lines, old, removed):
    keyed = [line.rstrip() for line in lines]
    return [_straight(i, len(old), "trailing-whitespace") for i in _find(keyed, [o.rstrip() for o in old])]


def _indentation(lines, old, removed):
    keyed = [line.strip() for line in lines]
    found = []
    for i in _find(keyed, [o.strip() for o in old]):
        match = _straight(i, len(old), "indentation")
        if _set_shift(match, lines, old):
            found.append(match)
    return found


def _blank_lines(lines, old, removed):
    old_kept = [k for k, o in enumerate(old) if o.strip()]
    if not old_kept:
        return []
    file_kept = [k for k, line in enumerate(lines) if line.strip()]
    keyed = [lines[k].strip() for k in file_kept]
    found = []
    for p in _find(keyed, [old[k].strip() for k in old_kept]):
        mapping: list[int | None] = [None] * len(old)
        for q, k in enumerate(old_kept):
            mapping[k] = file_kept[p + q]
        _pair_blanks(lines, old, mapping)
        placed = [m for m in mapping if m is not None]
        match = Match(min(placed), max(placed) + 1, "blank-lines", mapping)
        if _set_shift(match, lines, old):
            found.append(match)
    return found


def _fuzzy(lines, old, removed):
    """Windows of len(old)-1..+1 lines that line up with the edit's lines well enough.

    A window's similarity is (lines equal + the similarity of lines paired but altered) over the
    longer of the two, whitespace collapsed; it must reach FUZZY_THRESHOLD. Only context may
    differ: every line the edit removes must be in the window as written (whitespace aside), so
    a fuzzy match never deletes a line the model did not quote; and when the best place, or one
    within FUZZY_MARGIN of it, would need a removed line misquoted, nothing matches: the model's
    slip may be in that line rather than in the context.
    """
    size = len(old)
    if sum(1 for o in old if o.strip()) < 2:
        return []
    norm = [_collapse(line) for line in lines]
    old_norm = [_collapse(o) for o in old]
    wanted = set(old_norm)
    hits = [0]
    for line in norm:
        hits.append(hits[-1] + (line in wanted))
    scored = []
    for width in (size - 1, size, size + 1):
        longest = max(size, width)
        need = FUZZY_THRESHOLD * longest - 1
        for i in range(max(0, len(lines) - width + 1)):
            if width < 1 or hits[i + width] - hits[i] < need:
                continue
            match = _align(lines, old, norm, old_norm, i, i + width, set())
            if match and match.score >= FUZZY_THRESHOLD:
                scored.append(match)
    ranked = sorted(scored, key=lambda m: (-m.score, m.start))
    places = [ranked[item[3]] for item in _non_overlapping(
        [(m.score, m.window_start, m.window_end, k) for k, m in enumerate(ranked)])]
    # Places that would remove a line not quoted as written drop out; but if one of them is nearly
    # as good as the best place, the model may have misquoted that line: no safe reading.
    found = []
    for place in places:
        checked = _align(lines, old, norm, old_norm, place.window_start, place.window_end, removed)
        if checked is None and place.score >= places[0].score - FUZZY_MARGIN:
            return []
        if checked is not None:
            found.append(checked)
    return found


def _align(lines, old, norm, old_norm, start, end, removed):
    mapping: list[int | None] = [None] * len(old)
    same = 0.0
    opcodes = SequenceMatcher(None, old_norm, norm[start:end], autojunk=False).get_opcodes()
    for n, (tag, a1, a2, b1, b2) in enumerate(opcodes):
        if tag == "equal":
            same += a2 - a1
        # Altered lines pair up when alike, or when equal lines hold them in place on both sides.
        held = 0 < n < len(opcodes) - 1 and opcodes[n - 1][0] == opcodes[n + 1][0] == "equal"
        if tag == "equal" or (tag == "replace" and a2 - a1 == b2 - b1):
            for k in range(a2 - a1):
                likeness = 1.0 if tag == "equal" else fuzz.ratio(old_norm[a1 + k], norm[start + b1 + k]) / 100
                if held or likeness >= ALTERED_LINE:
                    mapping[a1 + k] = start + b1 + k
                    same += likeness if tag == "replace" else 0
    for k in removed:
        if mapping[k] is None or norm[mapping[k]] != old_norm[k]:
            if old_norm[k]:
                return None
            mapping[k] = None
    placed = [m for m in mapping if m is not None]
    if not placed:
        return None
    score = same / max(len(old), end - start)
    match = Match(min(placed), max(placed) + 1, "fuzzy", mapping, score=score, window_start=start, window_end=end)
    equal = [m if m is not None and norm[m] == old_norm[k] else None for k, m in enumerate(mapping)]
    return match if _set_shift(match, lines, old, equal) else None


def _pair_blanks(lines: list[str], old: list[str], mapping: list[int | None]) -> None:
    """Pair the edit's blank lines with the file's where the runs have the same length.

    A run of blank lines the edit shows between two placed lines (or before the first, after the
    last) takes the file's run there only when both are equally long: otherwise which blank line
    is which is unknown, and they stay unpaired (the file's then count as lines the edit omits).
    """
    k = 0
    while k < len(old):
        if mapping[k] is not None:
            k += 1
            continue
        end = k
        while end < len(old) and mapping[end] is None:
            end += 1
        if k > 0:
            stop = mapping[end] if end < len(old) else len(lines)
            run = list(_blank_run(lines, mapping[k - 1] + 1, stop, 1))
        else:
            run = list(_blank_run(lines, mapping[end] - 1, -1, -1))[::-1]
        if len(run) == end - k:
            mapping[k:end] = run
        k = end


def _blank_run(lines: list[str], start: int, stop: int, step: int):
    for i in range(start, stop, step):
        if lines[i].strip():
            return
        yield i


def _straight(start: int, size: int, tier: str) -> Match:
    return Match(start, start + size, tier, list(range(start, start + size)))


def _find(keyed: list[str], old: list[str]) -> list[int]:
    size = len(old)
    if not size:
        return []
    first = old[0]
    return [i for i in range(len(keyed) - size + 1) if keyed[i] == first and keyed[i:i + size] == old]


def _set_shift(match: Match, lines: list[str], old: list[str], mapping=None) -> bool:
    """Record the uniform indentation offset between file and edit; False when it is not uniform.

    A tab counts four columns. When the file indents with tabs alone and the edit with spaces (or the
    reverse), `style` records the file's character, in which added lines are then indented."""
    shifts, prefixes, tabs = set(), set(), False
    file_chars, edit_chars = set(), set()
    for k, m in enumerate(match.mapping if mapping is None else mapping):
        if m is None or not old[k].strip():
            continue
        have, want = _lead(lines[m]), _lead(old[k])
        tabs = tabs or "\t" in have
        file_chars.update(have)
        edit_chars.update(want)
        shifts.add(len(have.expandtabs(4)) - len(want.expandtabs(4)))
        prefixes.add(have[: len(have) - len(want)] if have.endswith(want) else None)
    if len(shifts) > 1:
        return False
    match.shift = shifts.pop() if shifts else 0
    prefix = prefixes.pop() if len(prefixes) == 1 else None
    match.prefix = prefix if prefix is not None else ("\t" * (match.shift // 4) if tabs else " " * match.shift)
    if len(file_chars) == 1 and edit_chars - file_chars:
        match.style = file_chars.pop()
    return True


def reindent(line: str, match: Match) -> str:
    """Move an added line by the offset the file's indentation has from the edit's (in the file's
    indentation character, when the edit used the other)."""
    if not line.strip():
        return line
    if match.style is not None:
        lead = _lead(line)
        columns = max(0, len(lead.expandtabs(4)) + match.shift)
        indent = "\t" * (columns // 4) + " " * (columns % 4) if match.style == "\t" else " " * columns
        return indent + line[len(lead):]
    if not match.shift:
        return line
    if match.shift > 0:
        return match.prefix + line
    lead, cols = _lead(line), 0
    cut = 0
    while cut < len(lead) and cols < -match.shift:
        cols += 4 if lead[cut] == "\t" else 1
        cut += 1
    return line[cut:]


def _lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _non_overlapping(scored, limit: int | None = None):
    """The (score, start, end, ...) items, best first, that overlap no better one: by bisection among the
    kept ranges (a file of one repeated line has a window at every line)."""
    kept, starts, ends = [], [], []
    for item in scored:
        at = bisect_right(starts, item[1])
        if (at and ends[at - 1] > item[1]) or (at < len(starts) and starts[at] < item[2]):
            continue
        starts.insert(at, item[1])
        ends.insert(at, item[2])
        kept.append(item)
        if limit is not None and len(kept) == limit:
            break
    return kept
