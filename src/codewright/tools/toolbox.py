"""The toolbox: every tool's schema and handler behind one `call(name, arguments)`.

The agent sees only `specs()` and `call()`. A call's arguments are coerced to the
tool's JSON Schema (codewright.repair) and a mismatch comes back as a precise message;
paths and commands pass the permission check (asking through the agent's `approve`
callback where the mode says ask); after every write the index is updated and the
changed files are syntax-checked, so a broken edit is reported in the same result.
No handler's failure escapes as an exception: the model gets a message, the session
goes on.
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codewright.context.ledger import Ledger
from codewright.context.project import ProjectFacts, scan_project
from codewright.gateway.types import ToolSpec
from codewright.tools import checks, files, git, search, terminal
from codewright.tools.files import shown_path
from codewright.tools.permissions import ApprovalRequest, Decision, Permissions
from codewright.tools.process import Background, kill_group
from codewright.tools.result import ToolResult, cut_middle
from codewright.tools.sandbox import PrivateNetwork, SandboxStatus, sandbox_status

Handler = Callable[["Toolbox", dict[str, Any]], ToolResult]

FINISH = ToolSpec("finish", "Finish the task: a short summary of what was done (or why it cannot be done).", {
    "type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]})


WATCH_CHARS = 1500  # the tail of a watched test run shown with an edit: the failures and summary
MAX_RESULT_CHARS = 60_000  # about 15,000 tokens: a longer result keeps its start and end (`_capped`)


class Refused(Exception):
    """A permission check said no; carries the result to hand back."""

    def __init__(self, result: ToolResult) -> None:
        super().__init__(result.content)
        self.result = result


_LOOP = "{} is a symbolic link that leads back to itself: no file is there"


def _stat(path: Path) -> os.stat_result | None:
    """The file's status (None where there is none yet); a loop of symbolic links is refused. From Python 3.13
    `Path.resolve` leaves a loop as it is, and only using the path fails."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(ToolResult.error(_LOOP.format(path))) from None
        return None


class Toolbox:
    """The agent's tools for one workspace; see the module docstring."""

    def __init__(
        self,
        root: str | Path,
        *,
        index: Any = None,
        ledger: Ledger | None = None,
        permissions: Permissions,
        approve: Callable[[ApprovalRequest], bool] | None = None,
        facts: ProjectFacts | None = None,
        before_write: Callable[[list[str]], Any] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.before_write = before_write  # given the paths a write is about to change (agent/runner.py: checkpoints)
        self.index = index
        self.ledger = ledger if ledger is not None else Ledger()
        self.permissions = permissions
        self.approve = approve
        self.facts = facts or scan_project(self.root)
        self.sandbox: SandboxStatus = sandbox_status()
        self.private_net = PrivateNetwork()  # shared by the session's sandboxed commands without network
        self.env: dict[str, str] = {}  # variables exported by earlier commands
        self.changed: set[str] = set()  # files written in this session
        self.background: dict[int, Background] = {}
        self.unverified = False  # files written, or a test run failed, since the whole suite last passed
        self.watched: dict[str, Any] | None = None  # run_tests arguments of the failing tests the task named
        self._checked_finish = False
        self._log_dir: Path | None = None
        self._tools: dict[str, tuple[ToolSpec, Handler, str]] = {}
        for module in (files, search, terminal, checks, git):
            for name, (handler, access) in module.HANDLERS.items():
                self._tools[name] = (module.SPECS[name], handler, access)
        self._tools["finish"] = (FINISH, _finish, "read")

    # ----- the agent's API -----

    def specs(self) -> list[ToolSpec]:
        return [spec for spec, _, _ in self._tools.values()]

    def access(self, name: str) -> str:
        """read, write or command: what a tool may do (plan mode offers the read tools only)."""
        return self._tools[name][2]

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Run one tool; never raises for bad arguments, refusals or failures: the result says what happened."""
        if not isinstance(name, str) or name not in self._tools:
            return ToolResult.error(f"unknown tool {name!r}; available: {', '.join(sorted(self._tools))}")
        spec, handler, _ = self._tools[name]
        try:
            args = _validate(spec, arguments)
        except ValueError as exc:
            return ToolResult.error(f"invalid arguments for {name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - keys that are not strings, nesting too deep to describe
            return ToolResult.error(f"invalid arguments for {name}: {type(exc).__name__}: {exc}")
        try:
            return _capped(handler(self, args))
        except Refused as refused:
            return refused.result
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the model, the session survives
            return ToolResult.error(_failure_text(name, exc))

    def close(self) -> None:
        """Stop the background processes this session started and remove their logs."""
        for pid, bg in list(self.background.items()):
            kill_group(bg.process)
            self.ledger.record("process_stopped", pid=pid)
        self.background.clear()
        self.private_net.close()
        if self._log_dir is not None:
            shutil.rmtree(self._log_dir, ignore_errors=True)

    # ----- helpers for the handlers -----

    @property
    def log_dir(self) -> Path:
        if self._log_dir is None:
            self._log_dir = Path(tempfile.mkdtemp(prefix="codewright-bg-"))
        return self._log_dir

    def authorize_path(self, path: str, *, write: bool) -> str:
        """The workspace-relative path, or Refused (outside the workspace, secret, denied or not approved)."""
        if path.startswith("$'") and not os.path.lexists(self.root / path):  # as `files.shown_path` shows it
            raise Refused(ToolResult.error(f"{path} is a name that is not valid UTF-8, written as bash quotes it: the "
                                           "file tools cannot open it; a command can, with the name as written "
                                           "(rename it to a UTF-8 name with mv first)"))
        try:
            decision = self.permissions.check_path(self.root, path, write=write)
        except RuntimeError:  # how Path.resolve reports a loop of symbolic links before Python 3.13
            raise Refused(ToolResult.error(_LOOP.format(path))) from None
        self._settle(decision, ApprovalRequest("write", "write", path, decision.reason))
        full = (self.root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
        try:
            rel = full.relative_to(self.root).as_posix() or "."
        except ValueError:
            raise Refused(ToolResult.denied(f"{path} is outside the workspace")) from None
        found = _stat(full)
        if found and not (stat.S_ISREG(found.st_mode) or stat.S_ISDIR(found.st_mode)):  # a FIFO: a read waits forever
            raise Refused(ToolResult.error(f"{rel} is not a regular file (a pipe, socket or device): no tool "
                                           "reads or writes it"))
        return rel

    def authorize_command(self, tool: str, command: str) -> None:
        decision = self.permissions.check_command(command)
        self._settle(decision, ApprovalRequest(tool, "command", command, decision.reason))

    def _settle(self, decision: Decision, request: ApprovalRequest) -> None:
        if decision.action == "allow":
            return
        if decision.action == "deny":
            raise Refused(ToolResult.denied(decision.reason))
        if self.approve is None or not self.approve(request):
            raise Refused(ToolResult.denied(f"not approved ({decision.reason})"))

    def write(self, paths: list[str], apply: Callable[[], Any], message: str | None = None) -> ToolResult:
        """Run `apply` (returning an edit.ApplyResult) on authorised `paths`, then update the index and
        syntax-check what changed, reporting only errors the write introduced."""
        before = {p: checks.syntax_errors(self.root, p) for p in paths}
        if self.before_write is not None:
            self.before_write(paths)
        return self._after_write(apply(), before, message)

    def _after_write(self, result: Any, before: dict[str, list[str]], message: str | None) -> ToolResult:
        changed = [c.path for c in result.changes] + [c.moved_from for c in result.changes if c.moved_from]
        self.unverified = self.unverified or bool(changed)
        self.changed.update(p for p in changed if (self.root / p).exists())
        self.changed.difference_update(p for p in changed if not (self.root / p).exists())
        notes = []
        if self.index is not None and changed:
            try:
                self.index.update(changed)
            except Exception as exc:  # noqa: BLE001 - a stale index must not fail the edit that succeeded
                notes.append(f"note: the code index could not be updated ({exc})")
        broken = {}
        for change in result.changes:
            after = checks.syntax_errors(self.root, change.path)
            if after:
                new = checks.new_syntax_errors(before.get(change.moved_from or change.path, []), after)
                if new:
                    broken[change.path] = new
        text = message or f"{result.summary()}{_shown_changes(result.changes)}"
        for path, errors in broken.items():
            notes.append(f"SYNTAX ERROR after this edit in {path}: {'; '.join(errors)}. "
                         f"The file is saved as edited: fix it now.")
        if changed and not broken and self.watched is not None:
            notes.append(self._watched_verdict())
        content = "\n".join(filter(None, [text, *notes]))
        path = changed[0] if len(changed) == 1 else None
        return ToolResult(content, ok=not broken, kind="file_written", files_changed=changed,
                          meta={"path": path, "syntax_errors": broken})

    def watch(self, arguments: dict[str, Any]) -> None:
        """Rerun these tests (the failing ones the task named) after every write, and report them with it.

        A small model rarely runs the tests between edits and cannot tell a wrong fix from a
        right one by reading its own diff; seeing "still fails: assert 220.0 == 180" in the
        edit's own result is what makes it try something else. The tests the task names are
        few and already ran once, so the rerun is cheap.
        """
        self.watched = arguments

    def failing_at_finish(self) -> bool:
        """Did the model finish although the finish check showed failing tests, and do they still fail?"""
        if not (self._checked_finish and self.unverified):
            return False
        return not self.call("run_tests", {}).ok

    def new_attempt(self) -> None:
        """The files are back as they were at the start (agent/loop.py `_restart`): so is what we know of them."""
        self.changed.clear()
        self.unverified = self.watched is not None  # the named tests failed at the start
        self._checked_finish = False

    def _watched_verdict(self) -> str:
        tests = self.call("run_tests", dict(self.watched or {}))
        if tests.kind == "denied" or "exit_code" not in tests.meta:
            return ""
        names = ", ".join(self.watched["paths"]) if self.watched else ""
        if tests.ok:
            return f"The failing test(s) the task names pass now ({names}): run the whole suite, then finish."
        tail = tests.content if len(tests.content) <= WATCH_CHARS else "[...]\n" + tests.content[-WATCH_CHARS:]
        return f"The test(s) the task names still fail after this edit ({names}):\n{tail}"

    def suggest_path(self, rel: str) -> str:
        """'; did you mean X?' for a path that does not exist: a close name beside it, or the files of
        that name elsewhere (models guess directories: `src/x.py` for a top-level `x.py`)."""
        parent, name = (self.root / rel).parent, Path(rel).name
        # never the path itself: `list_dir a.py` said "a.py is not a directory; did you mean a.py?"
        close = difflib.get_close_matches(name, [p.name for p in parent.iterdir() if p.name != name], n=1) \
            if parent.is_dir() else []
        if close:
            return f"; did you mean {shown_path((parent / close[0]).relative_to(self.root).as_posix())}?"
        others = [path for path in self.same_name(rel) if path != Path(rel).as_posix()]
        if not others:
            return ""
        return f"; did you mean {' or '.join(others[:5])}?"

    def same_name(self, rel: str) -> list[str]:
        """Indexed files named like `rel`'s last part, in any directory."""
        if self.index is None:
            return []
        name = Path(rel).name
        rows = self.index.conn.execute(
            "SELECT path FROM files WHERE status='indexed' AND (path = ? OR path LIKE ? ESCAPE '\\') ORDER BY path",
            (name, "%/" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")))
        return [r[0] for r in rows]


def _finish(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    refused = _test_before_finish(box)
    if refused is not None:
        return refused
    # the summary as the schema reads it (a number a model wrote there is text): it becomes the run's reason
    return ToolResult(f"finished: {args['summary']}", kind="finish", files_changed=sorted(box.changed),
                      meta={"summary": args["summary"]})


def _test_before_finish(box: Toolbox) -> ToolResult | None:
    """Once per session, changes no passing suite has seen (or a failed test run) are tested before the end.

    Models, small ones above all, declare success without checking. When the project has a
    test command, the first `finish` after untested writes runs it; if the tests fail, the
    model gets their output instead of the end of the run. A second `finish` is taken as is:
    the model may have judged the failures unrelated, and that is its call to report. Only
    where the mode and rules let the test command run without asking.
    """
    command = box.facts.test_command
    if not box.unverified or box._checked_finish or not command:
        return None
    if box.permissions.check_command(command).action != "allow":
        return None  # running it would need a question the model did not ask for
    box._checked_finish = True
    tests = box.call("run_tests", {})
    if tests.ok or tests.kind == "denied":
        return None
    return ToolResult.error(f"not finished: the tests fail after your changes.\n{tests.content}\n"
                            "Fix the failure, then call finish again (a second finish ends the run as it is).")


def _validate(spec: ToolSpec, arguments: Any) -> dict[str, Any]:
    """Arguments coerced to the schema (codewright.repair), required ones present; ValueError otherwise."""
    from codewright import repair

    if not isinstance(arguments, dict):
        raise ValueError(f"arguments must be a JSON object, got {type(arguments).__name__}")  # noqa: TRY004
    try:
        value = repair.coerce(arguments, spec.parameters)
    except repair.SchemaError as exc:  # every mismatch, by JSON pointer: "/path: missing required property"
        raise ValueError(str(exc)) from exc
    unknown = [k for k in value if k not in spec.parameters.get("properties", {})]
    if unknown:
        known = ", ".join(spec.parameters.get("properties", {})) or "none"
        raise ValueError(f"unknown argument(s) {', '.join(unknown)}; this tool takes: {known}")
    return value


def _capped(result: ToolResult) -> ToolResult:
    """A result of at most MAX_RESULT_CHARS: its start and end, and how much was left out between. A file of one
    long line, a linter's report on a generated file or a diff of a minified bundle came back whole, megabytes
    the session stored and the context engine had to cut anyway."""
    result.content = cut_middle(result.content, MAX_RESULT_CHARS * 2 // 3, MAX_RESULT_CHARS // 3,
                                "the result was too long; ask for less (a line range, a narrower pattern or path)")
    return result


def _failure_text(name: str, exc: Exception) -> str:
    from codewright.errors import CodewrightError

    if isinstance(exc, CodewrightError):  # EditError and friends: written for the model already
        return str(exc)
    if isinstance(exc, LookupError):
        return str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, OSError):
        return f"{name} failed: {exc.strerror or exc} ({exc.filename or ''})".replace(" ()", "")
    return f"{name} failed: {type(exc).__name__}: {exc}"


def _shown_changes(changes: list[Any], limit: int = 24) -> str:
    """The lines an edit changed, as diff hunks: the model sees what now stands in the file.

    A bare "modified x.py" leaves small models unsure the edit landed, and they repeat it;
    the hunks (capped at `limit` lines) confirm it at a cost of a few tokens.
    """
    shown: list[str] = []
    for change in changes:
        if change.action != "modify":
            continue
        for line in change.diff.splitlines():
            if line.startswith(("+++", "---")):
                continue
            if line.startswith("@@"):
                shown.append(f"{change.path} {line.split(' @@')[0]} @@")
            elif line.startswith(("+", "-")):
                shown.append(line)
    if not shown:
        return ""
    more = f"\n[{len(shown) - limit} more changed lines]" if len(shown) > limit else ""
    return "\n" + "\n".join(shown[:limit]) + more + "\nThe edit is saved: do not repeat it."
