"""Command tools: run a command (foreground or background), stop a background process, run tests.

Commands pass the permission check first, run in the OS sandbox in the auto modes, and
their side effects that outlive the command (a chmod, a deleted file, an installed
package, an exported variable, a started server) go into the ledger, so the model
still knows about them after compaction. `export NAME=value` is kept for later commands
of the session: each command runs in a fresh shell, so it would otherwise be lost.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from typing import TYPE_CHECKING, Any

from codewright.gateway import deadline
from codewright.gateway.types import ToolSpec
from codewright.tools import process
from codewright.tools.permissions import command_risk, shell_words, split_command
from codewright.tools.result import ToolResult

if TYPE_CHECKING:
    from codewright.tools.toolbox import Toolbox

DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 1800
PORT_WAIT_S = 5.0
# The shell by its full path, found with codewright's own PATH: the session's `export PATH=.venv/bin` made every
# later command fail to start ("No such file or directory"), the one that would put PATH back included.
BASH = shutil.which("bash") or "/bin/bash"
_PROVIDER_SECRETS = re.compile(
    r"^(OPENAI|ANTHROPIC|DEEPSEEK|GEMINI|GOOGLE|MISTRAL|GROQ|OPENROUTER|TOGETHER|FIREWORKS|CODEWRIGHT)_\w*(KEY|TOKEN)$")

SPECS = {
    "run_command": ToolSpec("run_command", "Run a shell command in the repository. Output is capped (head and "
                            "tail kept). background=true starts a long-running process (a server) and returns "
                            "its pid and port.", {
        "type": "object",
        "properties": {"command": {"type": "string"},
                       "timeout": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT,
                                   "description": f"seconds, default {DEFAULT_TIMEOUT}"},
                       "background": {"type": "boolean"},
                       "cwd": {"type": "string", "description": "directory relative to the root"}},
        "required": ["command"]}),
    "stop_process": ToolSpec("stop_process", "Stop a background process started by run_command.", {
        "type": "object", "properties": {"pid": {"type": "integer"}}, "required": ["pid"]}),
    "run_tests": ToolSpec("run_tests", "Run the project's tests (its test command, or the given one), "
                          "optionally only some paths or test ids.", {
        "type": "object",
        "properties": {"command": {"type": "string", "description": "override the test command"},
                       "paths": {"type": "array", "items": {"type": "string"}},
                       "timeout": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT}},
        "required": []}),
}


def command_env(box: Toolbox) -> dict[str, str]:
    """The environment for commands: ours without model-provider keys, plus the session's exports."""
    env = {k: v for k, v in os.environ.items() if not _PROVIDER_SECRETS.match(k)}
    env.update(box.env)
    return env


def argv_for(box: Toolbox, command: str, cwd_rel: str, *, network: bool, pipefail: bool = False) -> list[str]:
    argv = [BASH, *(["-o", "pipefail"] if pipefail else []), "-c", command]
    if box.permissions.sandboxed and box.sandbox.available:
        from codewright.tools.sandbox import wrap

        return wrap(argv, box.root, cwd=box.root / cwd_rel, network=network, private_net=box.private_net)
    return argv


def run_command(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    command = args["command"].strip()
    if not command:
        return ToolResult.error("command is empty")
    cwd = box.authorize_path(args.get("cwd") or ".", write=False)
    box.authorize_command("run_command", command)
    if args.get("background"):
        return _background(box, command, cwd)
    timeout = min(int(args.get("timeout") or DEFAULT_TIMEOUT), MAX_TIMEOUT)
    return execute(box, command, cwd, timeout)


def execute(box: Toolbox, command: str, cwd: str, timeout: int, *, pipefail: bool = False) -> ToolResult:
    """Run an authorised command and record its lasting side effects. It stops at the session's time limit
    (gateway.deadline) if that comes before its own timeout."""
    before = _existing_targets(box, command)
    argv = argv_for(box, command, cwd, network=box.permissions.network, pipefail=pipefail)
    left = deadline.time_left()
    limited = left is not None and left < timeout
    out = process.run(argv, cwd=box.root / cwd, env=command_env(box), timeout=left if limited else timeout)
    if out.timed_out and limited:
        status = (f"[stopped after {out.seconds:.1f}s at the session's time limit: the command and its child "
                  "processes were killed]")
    elif out.timed_out:
        status = f"[timed out after {timeout}s: the command and its child processes were killed]"
    else:
        status = f"[exit code {out.exit_code}, {out.seconds:.1f}s]"
    ok = out.exit_code == 0
    notes = _record_effects(box, command, before) if ok else []
    body = out.output.rstrip() or "(no output)"
    return ToolResult("\n".join([f"$ {command}\n{body}\n{status}", *notes]), ok=ok, kind="output",
                      meta={"exit_code": out.exit_code, "timed_out": out.timed_out, "seconds": out.seconds,
                            "sandboxed": argv[0] != BASH})


def _background(box: Toolbox, command: str, cwd: str) -> ToolResult:
    argv = argv_for(box, command, cwd, network=box.permissions.network)
    bg = process.start_background(argv, command, cwd=box.root / cwd, env=command_env(box), log_dir=box.log_dir)
    box.background[bg.pid] = bg
    deadline = time.monotonic() + PORT_WAIT_S
    while time.monotonic() < deadline and bg.running and not bg.ports:
        bg.ports = process.listening_ports(bg.pid)
        time.sleep(0.1)
    log = bg.output()
    if not bg.running:
        box.background.pop(bg.pid, None)
        code = bg.process.returncode
        # `server &` would leave the server running, untracked, for ever: the reaper stopped it (or, where there is
        # none, the group is stopped below)
        left = bg.left_running() or process.group_alive(bg.process.pid)
        process.kill_group(bg.process)
        note = (" and the processes it left running were stopped: with background=true, write the command "
                "without a trailing `&`") if left else ""
        return ToolResult(f"$ {command} (background)\n{log.rstrip()}\n[exited at once with code {code}{note}]",
                          ok=False, kind="output", meta={"exit_code": code})
    bg.ports = bg.ports or process.ports_in_log(log)
    port = bg.ports[0] if bg.ports else None
    box.ledger.record("process", command=command, pid=bg.pid, port=port)
    where = f", listening on port {', '.join(map(str, bg.ports))}" if bg.ports else ", no listening port seen yet"
    alone = ""
    if box.private_net.problem and argv[0] != BASH and not box.permissions.network:
        alone = (f"\nnote: it runs in a network namespace of its own ({box.private_net.problem}), so later "
                 "commands cannot connect to it; allow network in the configuration to reach it.")
    return ToolResult(f"started in the background: pid {bg.pid}{where}. Stop it with stop_process.{alone}\n"
                      f"output so far:\n{log.rstrip() or '(none)'}", kind="output",
                      meta={"pid": bg.pid, "ports": bg.ports, "log": str(bg.log)})


def stop_process(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    pid = int(args["pid"])
    bg = box.background.pop(pid, None)
    if bg is None:
        known = ", ".join(str(p) for p in box.background) or "none"
        return ToolResult.error(f"pid {pid} was not started by this session (running: {known})")
    process.kill_group(bg.process)
    box.ledger.record("process_stopped", pid=pid)
    return ToolResult(f"stopped pid {pid} (`{bg.command}`)\nlast output:\n{bg.output().rstrip()}",
                      kind="output")


def run_tests(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    command = args.get("command") or box.facts.test_command
    if not command:
        return ToolResult.error("no test command is known for this project: pass command, e.g. 'python -m pytest'")
    for path in args.get("paths") or []:  # a test id's file (`tests/test_a.py::test_b`) is a workspace path
        box.authorize_path(path.split("::", 1)[0], write=False)
    paths = [shlex.quote(p) for p in args.get("paths") or []]
    command = " ".join([command, *paths])
    box.authorize_command("run_tests", command)
    timeout = min(int(args.get("timeout") or 600), MAX_TIMEOUT)
    result = execute(box, command, ".", timeout, pipefail=True)  # `pytest | tail -3` fails when pytest does
    result.meta["passed"] = result.ok
    if not result.ok:  # any failing run, the named tests a task starts from included
        box.unverified = True
    elif not paths and args.get("command") in (None, "", box.facts.test_command):  # only the whole suite clears it
        box.unverified = False
    return result


def _existing_targets(box: Toolbox, command: str) -> set[str]:
    """Paths an `rm` will target that exist now, to record which it really deleted."""
    targets = set()
    for part in split_command(command):
        words = shell_words(part)
        if words[:1] == ["rm"]:
            targets |= {w for w in words[1:] if not w.startswith("-") and (box.root / w).exists()}
    return targets


def _record_effects(box: Toolbox, command: str, existed: set[str]) -> list[str]:
    """Record what the command left behind; notes for the model on what could not be kept."""
    notes = []
    for part in split_command(command):
        words = _without_redirections(shell_words(part))
        if not words:
            continue
        if words[0] == "chmod" and len(words) >= 3:
            mode = next((w for w in words[1:] if not w.startswith("-") or re.match(r"^-[rwxXst]+$", w)), "")
            for path in words[words.index(mode) + 1:]:
                box.ledger.record("chmod", path=path, mode=mode)
        elif words[0] == "export":
            for assignment in words[1:]:
                name, eq, value = assignment.partition("=")
                if eq and _COMPUTED.search(value):
                    box.env.pop(name, None)  # what an earlier export set is not its value any more
                    notes.append(_NOT_KEPT.format(name=name))
                elif eq:
                    box.env[name] = _expand(value, {**command_env(box), "PWD": str(box.root)})
                    # as written: `export DBPW=${DATABASE_PASSWORD}` put the password itself in front of the model
                    box.ledger.record("env", name=name, value=value)
        elif words[0] == "unset":
            for name in words[1:]:
                box.env.pop(name, None)
                box.ledger.record("env", name=name, value="(unset)")
        elif command_risk(part) == "installs packages":
            names = [w for w in words[2:] if not w.startswith("-") and w not in ("install", "add", "pip")]
            box.ledger.record("package", manager=words[0], names=names)
    for path in sorted(existed):
        if not (box.root / path).exists():
            box.ledger.record("delete", path=path)
    return notes


# A value the shell computed by running a command (`export V=$(date)`): the exported text is not the value, and it
# was kept as written, cut at its first space (V was `$(date`); running it again for each command would repeat it.
_COMPUTED = re.compile(r"\$\(|`")
_NOT_KEPT = ("note: {name} is not kept for later commands: its value comes from a command, which is not run again; "
             "set it in the command that uses it, or export the value itself")


_REDIRECTION = re.compile(r"^(\d*|&)(>>?|<<?<?|>&|<&)(.*)$")


def _without_redirections(words: list[str]) -> list[str]:
    """A command's words without its redirections: `chmod +x run.sh 2>/dev/null` recorded `2>/dev/null` as a
    path, and `> log` recorded `>` and `log`."""
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        found = _REDIRECTION.match(word)
        if found:
            skip = not found.group(3)  # `> log`: the target is the next word
            continue
        kept.append(word)
    return kept


def _expand(value: str, env: dict[str, str]) -> str:
    """`$VAR` and `${VAR}` expanded the way the shell did (the export ran in a shell now gone)."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: env.get(m.group(1) or m.group(2), ""), value)


HANDLERS = {"run_command": (run_command, "command"), "stop_process": (stop_process, "read"),
            "run_tests": (run_tests, "command")}
