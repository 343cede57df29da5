"""Damage a clean unified diff the ways models damage them, reproducibly.

Each generator takes the patch text and a `random.Random` (seeded per kind and patch by the
caller) and returns the damaged text; when a kind cannot apply to a patch (say, one hunk
per file for `hunks_out_of_order`) it returns the text unchanged and the patch is not counted
for that kind. Only the parts a model writes from memory are damaged: hunk headers, context
lines and removed lines. Added lines stay intact, so a correct apply still yields exactly the
clean result.

- no_line_numbers: every hunk header becomes `@@ ... @@` (aider's udiff style).
- shifted_line_numbers: every hunk header's starts move by one offset per patch, 1..20 lines
  up or down (a model that miscounts), clipped at line 1.
- trailing_whitespace_stripped: context and removed lines lose trailing whitespace; a blank
  context line becomes an empty line (no leading space).
- tabs_spaces: context lines' indentation flips: tabs become 4 spaces, else each 4 leading
  spaces become a tab.
- context_line_missing: one context line, chosen uniformly among the patch's, is dropped
  (hunk counts left as they were).
- context_line_altered: one non-blank context line has one character of one word (3+ letters)
  changed, or gets " x" appended if it has no such word.
- hunks_out_of_order: in every file with two or more hunks, the hunks are reversed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")


def _hunks(lines: list[str]) -> list[tuple[int, int]]:
    """(header index, end index) of each hunk, using the clean patch's counts."""
    found = []
    i = 0
    while i < len(lines):
        head = _HEADER.match(lines[i])
        if not head:
            i += 1
            continue
        old = 1 if head.group(2) is None else int(head.group(2))
        new = 1 if head.group(4) is None else int(head.group(4))
        j = i + 1
        while j < len(lines) and (old > 0 or new > 0):
            tag = lines[j][:1]
            if tag == "\\":
                j += 1
                continue
            old -= tag in (" ", "-", "")
            new -= tag in (" ", "+", "")
            j += 1
        while j < len(lines) and lines[j].startswith("\\"):
            j += 1
        found.append((i, j))
        i = j
    return found


def _context(lines: list[str]) -> list[int]:
    return [k for start, end in _hunks(lines) for k in range(start + 1, end) if lines[k].startswith(" ")]


def no_line_numbers(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for start, _ in _hunks(lines):
        lines[start] = "@@ ... @@"
    return "\n".join(lines)


def shifted_line_numbers(text: str, rng: random.Random) -> str:
    shift = rng.choice((-1, 1)) * rng.randint(1, 20)
    lines = text.split("\n")
    for start, _ in _hunks(lines):
        a, b, c, d, tail = _HEADER.match(lines[start]).groups()
        a, c = max(1, int(a) + shift) if a != "0" else 0, max(1, int(c) + shift) if c != "0" else 0
        lines[start] = f"@@ -{a}{',' + b if b else ''} +{c}{',' + d if d else ''} @@{tail}"
    return "\n".join(lines)


def trailing_whitespace_stripped(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for start, end in _hunks(lines):
        for k in range(start + 1, end):
            if lines[k][:1] in (" ", "-"):
                lines[k] = lines[k].rstrip()
    return "\n".join(lines)


def tabs_spaces(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for k in _context(lines):
        body = lines[k][1:]
        lead = body[: len(body) - len(body.lstrip(" \t"))]
        if not lead:
            continue
        flipped = lead.replace("\t", "    ") if "\t" in lead else lead.replace("    ", "\t")
        lines[k] = " " + flipped + body[len(lead):]
    return "\n".join(lines)


def context_line_missing(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    context = _context(lines)
    if context:
        del lines[rng.choice(context)]
    return "\n".join(lines)


def context_line_altered(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    context = [k for k in _context(lines) if lines[k].strip()]
    if not context:
        return text
    k = rng.choice(context)
    words = list(_WORD.finditer(lines[k], 1))
    if not words:
        lines[k] += " x"
        return "\n".join(lines)
    word = rng.choice(words)
    at = rng.randrange(word.start(), word.end())
    old = lines[k][at]
    new = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != old.lower()])
    lines[k] = lines[k][:at] + new + lines[k][at + 1:]
    return "\n".join(lines)


def hunks_out_of_order(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    hunks = _hunks(lines)
    out: list[str] = []
    cursor = 0
    k = 0
    while k < len(hunks):
        run = [hunks[k]]
        while k + len(run) < len(hunks) and hunks[k + len(run)][0] == run[-1][1]:
            run.append(hunks[k + len(run)])
        out.extend(lines[cursor:run[0][0]])
        for start, end in reversed(run):
            out.extend(lines[start:end])
        cursor = run[-1][1]
        k += len(run)
    out.extend(lines[cursor:])
    return "\n".join(out)


KINDS: dict[str, Callable[[str, random.Random], str]] = {
    "no_line_numbers": no_line_numbers,
    "shifted_line_numbers": shifted_line_numbers,
    "trailing_whitespace_stripped": trailing_whitespace_stripped,
    "tabs_spaces": tabs_spaces,
    "context_line_missing": context_line_missing,
    "context_line_altered": context_line_altered,
    "hunks_out_of_order": hunks_out_of_order,
}


def damage(kind: str, text: str, seed: int, key: str) -> str:
    """The patch damaged by `kind`, reproducibly for (seed, kind, key)."""
    return KINDS[kind](text, random.Random(f"{seed}:{kind}:{key}"))
