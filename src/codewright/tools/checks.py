"""Checks: the syntax check run after every write, and the lint tool.

The syntax check parses with the same tree-sitter grammars as the index, so it covers
every indexed language and costs milliseconds; it reports only errors the write
introduced, so a file that was already broken does not drown each later edit in noise.
Lint runs ruff for Python (`python -m ruff`, the project's own configuration applies)
and the syntax check for the other languages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codewright.edit import confined
from codewright.gateway.types import ToolSpec
from codewright.tools.result import ToolResult

if TYPE_CHECKING:
    from codewright.tools.toolbox import Toolbox

SPECS = {
    "lint": ToolSpec("lint", "Lint files: ruff for Python, a syntax check for other languages. Without "
                     "paths, the files changed in this session.", {
        "type": "object",
        "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
        "required": []}),
}


def syntax_errors(root: Path, rel: str, data: bytes | None = None) -> list[str]:
    """'line N: syntax error' entries for a source file in a language the index knows; [] otherwise."""
    from codewright.graph.extract import language_for, parse_errors

    if language_for(rel) is None:
        return []
    data = confined.read_below(root, rel) if data is None else data  # the file checked, not one a link leads to
    if data is None:
        return []
    return parse_errors(rel, data)


def new_syntax_errors(before: list[str], after: list[str]) -> list[str]:
    """Errors present after a write that were not there before (compared by count, then by text)."""
    if len(after) <= len(before) and set(after) <= set(before):
        return []
    return [e for e in after if e not in before] or after


def _checkable(rel: str) -> bool:
    from codewright.graph.extract import language_for

    return language_for(rel) is not None


def lint(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    paths = [box.authorize_path(p, write=False) for p in args.get("paths") or []] or sorted(box.changed)
    if not paths:
        return ToolResult("nothing to lint: no paths given and no file changed in this session", kind="output")
    missing = [p for p in paths if not (box.root / p).exists()]
    if missing:
        return ToolResult.error(f"not found: {', '.join(missing)}")
    python = [p for p in paths if p.endswith((".py", ".pyi")) or (box.root / p).is_dir()]
    others = [p for p in paths if p not in python]
    sections, ok = [], True
    if python:
        text, clean = _ruff(box.root, python)
        sections.append(text)
        ok &= clean
    checked = [rel for rel in others if _checkable(rel)]
    for rel in checked:
        errors = syntax_errors(box.root, rel)
        if errors:
            ok = False
            sections.append(f"{rel}: " + "; ".join(errors))
    if ok and checked:
        sections.append(f"syntax OK: {', '.join(checked)}")
    unchecked = [rel for rel in others if rel not in checked]
    if unchecked:
        sections.append(f"not checked (no linter for these files): {', '.join(unchecked)}")
    return ToolResult("\n".join(sections), ok=ok, kind="output", meta={"clean": ok})


def _ruff(root: Path, paths: list[str]) -> tuple[str, bool]:
    # -I: `python -m` would put the working folder first on sys.path, and a `ruff` package the model wrote
    # there would run, unasked and outside the sandbox, as a read-only tool.
    cmd = [sys.executable, "-I", "-m", "ruff", "check", "--output-format", "concise", "--no-cache", "--", *paths]
    try:
        out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ruff could not run: {exc}", False
    if "No module named ruff" in out.stderr:
        return "ruff is not installed (pip install ruff): Python files were not linted", False
    text = (out.stdout + out.stderr).strip()
    return (text or "ruff: all checks passed"), out.returncode == 0


HANDLERS = {"lint": (lint, "read")}
