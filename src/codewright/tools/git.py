"""Git tools, read-only: status, diff and log of the user's repository."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Any

from codewright.gateway.types import ToolSpec
from codewright.tools.files import shown_path
from codewright.tools.process import HEAD_CHARS, TAIL_CHARS, UNDECODABLE
from codewright.tools.result import ToolResult, cut_middle

if TYPE_CHECKING:
    from codewright.tools.toolbox import Toolbox

SPECS = {
    "git_status": ToolSpec("git_status", "git status: branch and changed files.", {
        "type": "object", "properties": {}, "required": []}),
    "git_diff": ToolSpec("git_diff", "git diff of the working tree (or the staged changes), optionally one path.", {
        "type": "object",
        "properties": {"path": {"type": "string"}, "staged": {"type": "boolean"},
                       "ref": {"type": "string", "description": "compare with this commit instead"}},
        "required": []}),
    "git_log": ToolSpec("git_log", "Recent commits (optionally touching one path).", {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 100}, "path": {"type": "string"}},
        "required": []}),
}

SUBMODULES = "--ignore-submodules=dirty"
"""A submodule is compared by the commit checked out in it, read from its files; no git is run in it to ask
whether its own files changed. A submodule not checked out is an empty folder a command may write in: git init
there, and that repository's config named a program (core.fsmonitor) that each git_status and git_diff ran, here,
outside the sandbox, through the git it ran in the submodule. Changes not committed in a submodule are not shown
(a command can show them, sandboxed)."""


def _run(box: Toolbox, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """git in the tree, its output as bytes (raises OSError or TimeoutExpired where it cannot run)."""
    return subprocess.run(["git", *args], cwd=box.root, capture_output=True, timeout=60, check=False)


def _git(box: Toolbox, *args: str) -> ToolResult:
    try:
        out = _run(box, list(args))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ToolResult.error(f"git could not run: {exc}")
    said = out.stderr.decode("utf-8", UNDECODABLE).strip()
    if out.returncode != 0 and "not a git repository" in said.lower():  # git diff added its whole usage text
        return ToolResult.error("the workspace is not in a git repository: git_status, git_diff and git_log have "
                                "nothing to show (read_file and search work without one)")
    if out.returncode != 0:
        return ToolResult.error(f"git {' '.join(args)} failed: {said}")
    # bytes that are not UTF-8 (a latin-1 file's lines) as \xNN escapes, as run_command shows them: U+FFFD
    # told the model nothing of what was there
    text = cut_middle(out.stdout.decode("utf-8", UNDECODABLE).rstrip(), HEAD_CHARS, TAIL_CHARS)
    return ToolResult(text or "(nothing)", kind="output")


def git_status(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    return _git(box, "status", "--short", "--branch", SUBMODULES)


def git_diff(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    cmd = ["diff", "--no-color", "--no-ext-diff", SUBMODULES]
    cmd += ["--cached"] if args.get("staged") else []
    ref = args.get("ref")
    if ref and ref.startswith("-"):
        return ToolResult.error(f"ref {ref!r} is not a commit (it starts with '-')")
    cmd += [ref] if ref else []
    scope = [box.authorize_path(args["path"], write=False)] if args.get("path") else ["."]
    hidden = _unreadable(box, [*cmd, "--name-only", "-z", "--", *scope])
    result = _git(box, *cmd, "--", *scope, *(f":(exclude,literal){p}" for p in hidden))
    if hidden and result.ok:
        names = ", ".join(map(shown_path, hidden))
        result.content += f"\n[left out, as read_file would refuse them: {names}]"
    return result


def _unreadable(box: Toolbox, names_cmd: list[str]) -> list[str]:
    """The changed files the model may not read (secrets, deny rules): a diff of the whole tree showed their
    lines, though read_file refuses them. The names are read as os reads them (bytes that are not UTF-8 as
    surrogates), so that each, given back to git, names its file: read with U+FFFD, a secret file whose name was
    not UTF-8 was excluded under a name no file has, and its lines were shown."""
    try:
        found = _run(box, names_cmd)
    except (OSError, subprocess.TimeoutExpired):
        return []  # then the diff itself fails and says why
    names = [os.fsdecode(n) for n in found.stdout.split(b"\0") if n] if found.returncode == 0 else []
    return [n for n in names if box.permissions.check_path(box.root, n, write=False).action == "deny"]


def git_log(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    cmd = ["log", f"-{int(args.get('n') or 10)}", "--format=%h %ad %an: %s", "--date=short"]
    if args.get("path"):
        cmd += ["--", box.authorize_path(args["path"], write=False)]
    return _git(box, *cmd)


HANDLERS = {"git_status": (git_status, "read"), "git_diff": (git_diff, "read"), "git_log": (git_log, "read")}
