"""codewright.edit: apply a model's edits to files without ever corrupting one.

Public API (the agent's tools import these names)::

    from codewright.edit import apply_text, apply_edits, Edit, ApplyResult, EditError

    result = apply_text(root, model_text)            # format detected
    result = apply_text(root, diff, format="udiff")  # or named: search-replace, udiff, patch, json, whole
    result = apply_edits(root, [Edit("src/a.py", "old line\\n", "new line\\n"),
                                Edit.whole("NEWS.md", "text\\n"), Edit.delete("old.txt")], dry_run=True)
    result.changes  # [FileChange(path, action, diff, tiers, moved_from)], result.summary()

    # A tool call's old_string/new_string (text, not whole lines; unique unless replace_all):
    apply_edits(root, [Edit("src/a.py", old_string, new_string, replace_all=False, text_match=True)])

- Formats: aider search/replace blocks; `old_string`/`new_string` JSON (unique match unless
  `replace_all`); unified diffs (git or plain, hunk headers with or without line numbers);
  `*** Begin Patch` (Add/Update/Delete/Move); whole files (a path line and a fenced block).
- Matching, per edit, stops at the first tier that finds the text: exact, trailing whitespace,
  indentation offset (added lines re-indented), blank lines, fuzzy (similar windows; only
  context lines may differ). Several places → the diff's line numbers or order may single one
  out; otherwise `EditError` lists them. Nothing found → `EditError` shows the closest lines.
- All-or-nothing: every edit is applied in memory first; files are then written atomically
  and restored if any write fails. Encoding (UTF-8, UTF-8/16 with BOM, Latin-1), line endings,
  final newline, mode and owner are kept (a diff's mode lines set the mode). Paths outside `root`, inside
  `.git/` or `.codewright/`, and deletes or moves through a symlink are refused.
- Nothing is overwritten or deleted unseen: a diff or `*** Add File:` that creates an existing
  file, and a deleting diff whose removed lines are not the file's, are refused; a plain diff's
  two names never rename (only git's `rename from`/`to` do); binary patches are refused.
- `EditError`'s message is written for the model: hand it back as the tool result.
"""

from __future__ import annotations

from pathlib import Path

from codewright.edit.apply import apply_edits
from codewright.edit.formats import FORMATS, parse_text
from codewright.edit.model import TIERS, ApplyResult, Edit, EditError, FileChange

__all__ = ["FORMATS", "TIERS", "ApplyResult", "Edit", "EditError", "FileChange", "apply_edits", "apply_text",
           "parse_text"]


def apply_text(root: Path | str, text: str, format: str | None = None, dry_run: bool = False) -> ApplyResult:
    """Parse a model's edits in any supported format and apply them all-or-nothing under `root`."""
    name, edits = parse_text(text, format, root=Path(root))
    return apply_edits(root, edits, dry_run=dry_run, format=name)
