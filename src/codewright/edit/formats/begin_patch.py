"""The `*** Begin Patch` format (OpenAI's apply_patch): Add, Update (optionally Move) and Delete.

    *** Begin Patch
    *** Update File: src/app.py
    @@ def main():
    -    print("hi")
    +    print("hello")
    *** End Patch

Chunks of an update are separated by `@@` lines whose text, if any, names a line that comes
before the chunk (an anchor); lines are ` ` context, `-` removed, `+` added. A patch without its
`*** End Patch` line is refused: cut off, its last file or chunk would be written in part.
"""

from __future__ import annotations

import dataclasses
from itertools import count

from codewright.edit.model import Edit, EditError

_GROUPS = count(1_000_000)
_ADD, _UPDATE, _DELETE, _MOVE = "*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "


def looks_like(text: str) -> bool:
    return "*** Begin Patch" in text


def parse(text: str) -> list[Edit]:
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        i = next(k for k, line in enumerate(lines) if line.strip() == "*** Begin Patch") + 1
    except StopIteration:
        raise EditError("The patch has no `*** Begin Patch` line.") from None
    edits: list[Edit] = []
    while i < len(lines) and lines[i].strip() != "*** End Patch":
        line = lines[i]
        if line.startswith(_ADD):
            body, i = _section(lines, i + 1)
            bad = [b for b in body if not b.startswith("+")]
            if bad:
                raise EditError(f"*** Add File: {line[len(_ADD):].strip()}: every line must start with `+`; "
                                f"found {bad[0]!r}.")
            edits.append(Edit(line[len(_ADD):].strip(), None, "".join(b[1:] + "\n" for b in body), create=True))
        elif line.startswith(_DELETE):
            edits.append(Edit.delete(line[len(_DELETE):].strip()))
            i += 1
        elif line.startswith(_UPDATE):
            path = line[len(_UPDATE):].strip()
            move = None
            if i + 1 < len(lines) and lines[i + 1].startswith(_MOVE):
                move = lines[i + 1][len(_MOVE):].strip()
                i += 1
            body, i = _section(lines, i + 1)
            edits.extend(_chunks(path, body, move))
        elif line.strip():
            raise EditError(f"Unexpected line in the patch: {line!r} (expected `*** Add File:`, "
                            "`*** Update File:`, `*** Delete File:` or `*** End Patch`).")
        else:
            i += 1
    if i >= len(lines):
        raise EditError("The patch ends without its `*** End Patch` line (was it cut off?); send it whole. Nothing "
                        "changed.")
    return edits


def _section(lines: list[str], i: int) -> tuple[list[str], int]:
    start = i
    while i < len(lines) and not lines[i].startswith("*** ") or (
            i < len(lines) and lines[i].strip() == "*** End of File"):
        i += 1
    return lines[start:i], i


def _chunks(path: str, body: list[str], move: str | None) -> list[Edit]:
    group = next(_GROUPS)
    chunks: list[tuple[str | None, list[str]]] = []
    ends: set[int] = set()
    for line in body:
        if line.strip() == "*** End of File":
            ends.add(len(chunks) - 1)
        elif line.startswith("@@"):
            chunks.append((line[2:].strip() or None, []))
        else:
            if not chunks:
                chunks.append((None, []))
            chunks[-1][1].append(line)
    edits = []
    for n, (anchor, rows) in enumerate(chunks):
        while rows and not rows[-1].strip():
            rows.pop()
        old, new, ops = [], [], ""
        for row in rows:
            tag, text = (row[0], row[1:]) if row and row[0] in " +-" else (" ", row)
            ops += tag
            if tag != "+":
                old.append(text)
            if tag != "-":
                new.append(text)
        if not old and not new:
            continue
        edits.append(Edit(path, "".join(o + "\n" for o in old), "".join(x + "\n" for x in new), group=group,
                          ops=ops, anchor=anchor, at_end=n in ends))
    if not edits:
        return [Edit(path, "", "", move_to=move)] if move else []
    edits[-1] = dataclasses.replace(edits[-1], move_to=move)
    return edits
