"""Edits the way models really write them: search blocks that drift from the file.

The scripted model of the end-to-end tests writes its search blocks through these, one
damage kind per edit, the kinds the edit layer must tolerate: trailing whitespace
stripped, indentation offset, a blank line added or removed, one altered context line.
`break_one_function` makes the first draft of a solution wrong in one place (a function
that raises), so every exercise goes through a failing test round before it passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("none", "indentation", "blank-lines", "altered-line", "trailing-whitespace")
UNFINISHED = 'raise NotImplementedError("first draft")'
_DEF = re.compile(r"^(?P<indent>[ \t]*)def (?P<name>\w+)\(.*\)(\s*->.+)?:[ \t]*(#.*)?$")


def damage(block: str, kind: str) -> str:
    """`block` (whole lines) as a drifting model would quote it."""
    lines = block.splitlines()
    if kind == "none":
        return block
    if kind == "trailing-whitespace":
        return "\n".join(line.rstrip() for line in lines) + "\n"
    if kind == "indentation":
        return "\n".join(("  " + line) if line.strip() else line for line in lines) + "\n"
    if kind == "blank-lines":
        blanks = [i for i, line in enumerate(lines) if not line.strip()]
        if blanks:
            del lines[blanks[0]]
        else:
            lines.insert(1, "")
        return "\n".join(lines) + "\n"
    if kind == "altered-line":
        i = max(i for i, line in enumerate(lines) if line.strip())  # the last line: context in our edits
        lines[i] = lines[i].rstrip() + "  # (as I remember it)"
        return "\n".join(lines) + "\n"
    raise ValueError(kind)


def damage_edit(old: str, new: str, kind: str) -> tuple[str, str]:
    """An edit's (search, replace) as a drifting model writes them. A model that quotes the file at an
    indentation offset, or with a blank line dropped or doubled after the first line, writes its
    replacement the same way (the edit layer undoes the drift in both), and a misremembered context line is
    misremembered the same way in both (the edit layer keeps the file's own version of context)."""
    if kind in ("indentation", "blank-lines"):  # drift the same way in both, as models do
        return damage(old, kind), damage(new, kind)
    if kind != "altered-line":
        return damage(old, kind), new
    if sum(1 for line in old.splitlines() if line.strip()) < 5:  # too short to recognise with a wrong line
        return damage_edit(old, new, "indentation")
    damaged = damage(old, kind).splitlines()
    for was, now in zip(old.splitlines(), damaged):
        if was != now:
            assert new.count(was + "\n") == 1, "the altered line must be context, present once in the replacement"
            return "\n".join(damaged) + "\n", new.replace(was + "\n", now + "\n")
    raise AssertionError("nothing was altered")


@dataclass
class Draft:
    """A first draft with one function broken, and the edit that fixes it."""

    text: str  # the solution with the broken function (its two edited lines carry trailing spaces)
    broken_block: str  # the draft's lines around the break, exactly as in `text`
    fixed_block: str  # the same lines fixed
    function: str


def break_one_function(solution: str, used_names: str) -> Draft:
    """Insert a raise at the start of the first function the tests name (else the first method, such as
    `__init__`), choosing one-line `def ...:` headers."""
    lines = solution.splitlines()
    named = [i for i, ln in enumerate(lines) if (m := _DEF.match(ln)) and re.search(rf"\b{m['name']}\b", used_names)]
    for i in named + [i for i, ln in enumerate(lines) if _DEF.match(ln)]:
        line = lines[i]
        match = _DEF.match(line)
        name = match.group("name")
        body = next((ln for ln in lines[i + 1:] if ln.strip()), "")
        indent = body[: len(body) - len(body.lstrip())]
        if len(indent) <= len(match.group("indent")):
            continue
        context = lines[i + 1: i + 4]
        fixed = [line, *context]
        broken = [line + "   ", indent + UNFINISHED + "  ", *context]
        text = "\n".join(lines[:i] + broken + lines[i + 1 + len(context):]) + "\n"
        return Draft(text, "\n".join(broken) + "\n", "\n".join(fixed) + "\n", name)
    raise ValueError("no function with a one-line header used by the tests")
