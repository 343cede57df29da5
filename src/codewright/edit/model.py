"""The data that flows through edit application: what a model asked for, and what changed.

Every format a model may write (search/replace blocks, diffs, `*** Begin Patch`, JSON
`old_string`/`new_string`, whole files) is parsed into the same `Edit` records, so the
matching tiers, the all-or-nothing writer and the error messages exist once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from codewright.errors import CodewrightError

TIERS = ("exact", "trailing-whitespace", "indentation", "blank-lines", "fuzzy")
"""Matching tiers, strictest first: the first tier that finds the text decides."""


class EditError(CodewrightError):
    """An edit could not be applied; the message is written to be handed back to the model as is."""


@dataclass(frozen=True)
class Edit:
    """One change to one file.

    - replacement: `old` text (one or more whole lines) becomes `new`; `old` must match once unless
      `replace_all`. An empty `old` appends `new` (or creates the file), as aider's blocks mean.
    - whole file: `old is None`, `new` is the full content (the file may or may not exist).
    - delete: `old is None and new is None`.
    `move_to` renames the file after the change. Diff hunks carry `line_hint` (1-based line of
    the hunk's old start, only used to choose among equal candidates), `group` (hunks of one file
    in one diff: located together against the original text, never overlapping), `ops` (the
    hunk body's tags: ' ' kept, '-' removed, '+' added; derived with difflib when absent),
    `damaged` (the hunk's counts show it lost context lines: place nothing uncertain) and
    `final_newline` (from `\\ No newline at end of file`; None keeps the file's).
    `anchor` is a line that must precede `old` (the `@@ def f():` of a `*** Begin Patch`);
    `at_end` says `old` ends at the end of the file (`*** End of File`, or a damaged diff hunk
    whose insertion has no trailing context). `text_match`: `old` is plain text (a tool's
    `old_string`) that may start or end mid-line; an exact occurrence in the file is tried first.
    `create`: a whole file that must be new (a diff from /dev/null, `*** Add File:`): an existing
    file is refused unless it already holds exactly that. `expect`: for a delete, the content the
    diff shows removed; a file that holds something else is refused. `mode`: the permission bits to
    give the file (`new file mode 100755`, `new mode`); None keeps the file's (a move keeps its own).
    """

    path: str
    old: str | None
    new: str | None
    replace_all: bool = False
    line_hint: int | None = None
    group: int | None = None
    ops: str | None = None
    damaged: bool = False
    final_newline: bool | None = None
    anchor: str | None = None
    at_end: bool = False
    text_match: bool = False
    move_to: str | None = None
    create: bool = False
    expect: str | None = None
    mode: int | None = None

    @classmethod
    def whole(cls, path: str, content: str) -> Edit:
        """The file's full content, its final newline (or its absence) included."""
        return cls(path, None, content, final_newline=content.endswith("\n") if content else None)

    @classmethod
    def delete(cls, path: str) -> Edit:
        return cls(path, None, None)

    @property
    def is_delete(self) -> bool:
        return self.old is None and self.new is None


@dataclass
class FileChange:
    """What happened to one file: `action` is create, modify, delete or move."""

    path: str
    action: str
    diff: str
    tiers: list[str] = field(default_factory=list)
    moved_from: str | None = None

    def to_json(self) -> dict:
        return {"path": self.path, "action": self.action, "diff": self.diff, "tiers": self.tiers,
                "moved_from": self.moved_from}


@dataclass
class ApplyResult:
    """The outcome of one call: every file it changed (or would change, when `dry_run`)."""

    changes: list[FileChange]
    dry_run: bool = False
    format: str | None = None

    def summary(self, show: Callable[[str], str] = str) -> str:
        """One line per file, as the agent reports it to the model and the CLI prints it; `show` writes a file's
        name (the CLI quotes one with a newline, which split its line in two)."""
        verb = "would change" if self.dry_run else "changed"
        if not self.changes:
            return "No changes: the edits leave every file as it was."
        lines = [f"{verb} {len(self.changes)} file(s):"]
        for change in self.changes:
            moved = f" (from {show(change.moved_from)})" if change.moved_from else ""
            order = sorted(set(change.tiers), key=lambda t: TIERS.index(t) if t in TIERS else len(TIERS))
            tiers = f" [{', '.join(order)}]" if change.tiers else ""
            lines.append(f"  {change.action} {show(change.path)}{moved}{tiers}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"ok": True, "dry_run": self.dry_run, "format": self.format,
                "changes": [c.to_json() for c in self.changes]}
