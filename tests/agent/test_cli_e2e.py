"""The agent's command line end to end: a run killed with Ctrl-C mid-command and resumed,
`sessions`, and `undo` restoring the files byte for byte. Real processes, real signals."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from tests.support.cli_schema import validate
from tests.support.model_server import ModelServer, Recorded, ToolUse, Turn

from codewright.agent.checkpoint import MAX_LOOKED_INTO, ShadowRepo

from .harness import MODEL, Script, call, tool_results
from .test_events import documented_schema

MARKER = f"61.{os.getpid()}"  # a sleep nobody else runs, this test process's id in it: how a test finds the
# command's process (a fixed one found another test process's, run at the same time, as this run's)


def cli(*args: str, server: ModelServer, **kwargs):  # type: ignore[no-untyped-def]
    env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "codewright", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, **kwargs)


def sleepers() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline[:2] == [b"sleep", MARKER.encode()]:
                found.append(int(entry))
    return found


def stop_mid_command(proc: subprocess.Popen, stop: int) -> str:
    """Once the run's `sleep` command is running, send `stop`; the run must wind up (exit 130, no
    traceback, the command's process group gone). Returns its standard output."""
    deadline = time.monotonic() + 30
    while not sleepers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleepers(), "the command never started"
    proc.send_signal(stop)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert sleepers() == [], "the command's process group outlived the run"
    return out


def sessions(root: Path) -> list[dict]:
    """`codewright sessions --json`, validated."""
    listing = subprocess.run([sys.executable, "-m", "codewright", "sessions", "--json", "--repo", str(root)],
                             capture_output=True, text=True, check=True)
    rows = json.loads(listing.stdout)
    validate("sessions", rows)
    return rows["sessions"]


def check_lines(lines: list[str]) -> list[dict]:
    events = [json.loads(line) for line in lines if line.strip()]
    schema = documented_schema()
    for event in events:
        validate("run", event)
        jsonschema.validate(event, schema)
    return events


def run_done(root: Path, script: Script, task: str, mode: str = "full-auto") -> list[dict]:
    """The events, each checked, of `codewright run TASK --json` on `root` with `script` as the model, once it
    has exited 0: the run that a test of what comes after one (undo, rewind, the store) starts from."""
    with ModelServer(script) as server:
        done = cli("run", task, "--model", MODEL, "--mode", mode, "--json", "--repo", str(root), server=server)
        out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    return check_lines(out.splitlines())


def _edit_a_py(root: Path) -> list[dict]:
    """A finished run whose one step edits a.py (`x = 1` to `x = 2`); its events."""
    (root / "a.py").write_text("x = 1\n")
    return run_done(root, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "edit")


def command_json(root: Path, *args: str) -> dict:
    """What `codewright ARGS --json` says of `root`, checked to exit 0 and to match its schema in docs/cli.md."""
    done = subprocess.run([sys.executable, "-m", "codewright", *args, "--json", "--repo", str(root)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    validate(args[0], result)
    return result


def test_ctrl_c_during_a_command_saves_the_session_and_resume_finishes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("one\n")

    def start(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("plan", steps=[{"step": "wait for the build", "status": "in_progress"}]),
                                call("edit_file", path="notes.txt", old_string="one\n", new_string="two\n")])

    def long_command(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command=f"sleep {MARKER}")])

    def after_resume(rec: Recorded) -> Turn:
        results = tool_results(rec)
        assert results and "interrupted" in results[0]["content"], f"no interrupted result: {results}"
        assert "Plan" in rec.messages[1]["content"] or "wait for the build" in json.dumps(rec.messages)
        return Turn(tool_calls=[call("finish", summary="resumed and done")])

    script = Script([start, long_command, after_resume])
    with ModelServer(script) as server:
        proc = cli("run", "build it", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(tmp_path),
                   server=server)
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if '"tool_call_requested"' in line and "run_command" in line:
                break
        out = stop_mid_command(proc, signal.SIGINT)
        lines += out.splitlines()
        events = check_lines(lines)
        finished = events[-1]
        assert finished["type"] == "finished" and finished["outcome"] == "interrupted"
        session = finished["session"]
        assert (tmp_path / "notes.txt").read_text() == "two\n"

        assert [(r["id"], r["outcome"]) for r in sessions(tmp_path)] == [(session, "interrupted")]

        resumed = cli("run", "--resume", session, "--json", "--yes", "--repo", str(tmp_path), server=server)
        out, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        events2 = check_lines(out.splitlines())
        assert events2[0]["type"] == "session_started" and events2[0]["resumed"] is True
        assert events2[0]["mode"] == "full-auto"  # the saved session's mode
        assert events2[0]["sandbox"].startswith(("sandbox: bubblewrap", "sandbox unavailable"))  # said plainly
        assert events2[0]["seq"] > events[-1]["seq"]
        assert events2[-1]["outcome"] == "done"
    assert script.problems == []


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode)
            for p in sorted(root.rglob("*")) if p.is_file() and ".codewright" not in p.parts}


def test_undo_restores_every_file_byte_identical_after_edits_and_commands(tmp_path: Path) -> None:
    (tmp_path / "crlf.txt").write_bytes(b"line one\r\nline two  \r\n\xff\xfe odd bytes\r\n")
    (tmp_path / "gone.py").write_text("print('delete me')\n")
    (tmp_path / "tool.sh").write_text("#!/bin/sh\necho hi\n")
    before = snapshot(tmp_path)

    def change_everything(rec: Recorded) -> Turn:
        return Turn(tool_calls=[
            call("apply_patch", text="crlf.txt\n<<<<<<< SEARCH\nline two\n=======\nline 2\n>>>>>>> REPLACE\n"),
            call("run_command", command="rm gone.py && chmod +x tool.sh && mkdir -p out && echo x > out/new.txt"),
        ])

    def finish(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("finish", summary="changed")])

    events = run_done(tmp_path, Script([change_everything, finish]), "change things")
    changed = {(e["path"], e["change"]) for e in events if e["type"] == "file_changed"}
    assert changed == {("crlf.txt", "modified"), ("gone.py", "deleted"), ("tool.sh", "modified"),
                       ("out/new.txt", "added")}
    assert snapshot(tmp_path) != before
    assert [r["outcome"] for r in sessions(tmp_path)] == ["done"]

    assert command_json(tmp_path, "undo")["unsaved"] == []
    assert snapshot(tmp_path) == before
    again = subprocess.run([sys.executable, "-m", "codewright", "undo", "--repo", str(tmp_path)],
                           capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "Traceback" not in again.stderr  # nothing earlier than the start


def test_undo_removes_what_a_command_made_that_no_checkpoint_holds(tmp_path: Path) -> None:
    """A command's debug.log, which .gitignore leaves out, its empty folders and its new file in the build/ folder
    git does not go into stayed after undo, unsaid; a folder of more files than a checkpoint lists (dist/) stays,
    named, as does the ignored file it changed in place (build/x.o), which no checkpoint holds."""
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\ndist/\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "x.o").write_text("x\n")

    def listing() -> list[str]:
        return sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if ".codewright" not in p.parts)

    before = listing()
    command = ("echo y >> a.py && echo run > debug.log && mkdir -p out/empty dist && echo o > build/y.o && "
               "echo more >> build/x.o && "
               f"touch $(seq -f dist/%g.o {MAX_LOOKED_INTO + 1})")
    script = Script([lambda rec: Turn(tool_calls=[call("run_command", command=command)]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="changed")])])
    run_done(tmp_path, script, "change things")
    result = command_json(tmp_path, "undo")
    assert sorted((c["path"], c["change"]) for c in result["changes"]) == [
        ("a.py", "modified"), ("build/y.o", "deleted"), ("debug.log", "deleted"), ("out/", "deleted")]
    assert result["unrestored"] == ["build/x.o", "dist/"]
    assert [path for path in listing() if not path.startswith("dist")] == before


def test_headless_run_denies_what_would_ask_and_reports_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")

    def write(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")])

    def finish(rec: Recorded) -> Turn:
        assert "not approved" in tool_results(rec)[0]["content"]
        return Turn(tool_calls=[call("finish", summary="could not write")])

    script = Script([write, finish])
    with ModelServer(script) as server:
        done = cli("run", "bump x", "--model", MODEL, "--json", "--repo", str(tmp_path), server=server)
        out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    events = check_lines(out.splitlines())
    denied = [e for e in events if e["type"] == "tool_call_denied"]
    assert len(denied) == 1 and "no terminal" in denied[0]["reason"]
    assert (tmp_path / "a.py").read_text() == "x = 1\n"
    assert script.problems == []


def test_a_run_from_a_subfolder_works_on_the_project(tmp_path: Path) -> None:
    """Run from src/ without --repo, the session was the folder's: its own .codewright/, its paths from there."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "main.py").write_text("x = 1\n")

    def write(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("edit_file", path="main.py", old_string="x = 1\n", new_string="x = 2\n")])

    script = Script([write, lambda rec: Turn(tool_calls=[call("finish", summary="done")])])
    with ModelServer(script) as server:
        done = cli("run", "bump x", "--model", MODEL, "--mode", "full-auto", "--json", server=server, cwd=tmp_path / "src")
        out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert check_lines(out.splitlines())[0]["repo"] == str(tmp_path)
    assert (tmp_path / "main.py").read_text() == "x = 2\n" and not (tmp_path / "src" / ".codewright").exists()
    assert script.problems == []


def test_a_second_ctrl_c_while_the_run_winds_up_still_saves_it(tmp_path: Path) -> None:
    """Ctrl-C pressed twice: the second, arriving during the final checkpoint (of a step cut short, mid-command),
    used to kill git and Python mid-write, leaving the session "running" and, at times, the shadow index locked."""
    for i in range(3000):  # enough files that the final checkpoint's `git add` can be seen running
        (tmp_path / f"f{i}.txt").write_text(f"{i}\n")
    lock = tmp_path / ".codewright" / "shadow.git" / "index.lock"
    with ModelServer(Script([lambda rec: Turn(tool_calls=[call("run_command", command=f"sleep {MARKER}")])])) as server:
        proc = cli("run", "wait", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(tmp_path),
                   server=server, start_new_session=True)  # its own process group, which a terminal's Ctrl-C goes to
        deadline = time.monotonic() + 30
        while not sleepers() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sleepers(), "the command never started"
        os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.0002)
        assert lock.exists(), "the final checkpoint was never seen running"
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    finished = check_lines(out.splitlines())[-1]
    assert finished["type"] == "finished" and finished["outcome"] == "interrupted"
    assert [r["outcome"] for r in sessions(tmp_path)] == ["interrupted"]
    assert not lock.exists()


def _blocks_ctrl_c(pid: int) -> bool:
    """Whether process `pid`'s main thread blocks SIGINT (as `entry` does from main's return on)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return bool(int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:")), 16)
                & 1 << signal.SIGINT - 1)


PIPE_BYTES = 4096  # what the pipe the run writes its events to holds: a page, the least Linux allows
FINISHED = b'"type": "finished"'


def test_ctrl_c_as_a_run_ends_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """A Ctrl-C as a run ends, its outcome saved, ends it 130 with one line, its finished event written whole. The
    finished event here is a line many times longer than the pipe it is written to holds (the summary is its reason),
    so the run is held in writing it until the test reads on: the Ctrl-C comes there, before main returns. One that
    comes after main returned is `test_ctrl_c_as_the_process_ends_with_another_thread_alive_exits_130`'s: no point
    of a run's end from there on can be waited at from outside. This test stopped the run at its finished event, or
    once its store was closed, and sent the Ctrl-C: it landed before or after the run's end looked for one, by
    chance, and the test passed with exit 0 as well as 130."""
    (tmp_path / "notes.txt").write_text("one\n")
    summary = "looked " * (4 * PIPE_BYTES)
    finish = Turn(tool_calls=[call("finish", summary=summary)], chunk_size=len(summary) * 2)
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    # standard output buffered, as it is by default: unbuffered, Python drops what a write cut by a signal left
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    with ModelServer(Script([lambda rec: finish])) as server, open(read, "rb", buffering=0) as events:
        proc = subprocess.Popen([sys.executable, "-m", "codewright", "run", "look", "--model", MODEL, "--json",
                                 "--repo", str(tmp_path)], env={**env, **server.env()}, stdout=write,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        os.close(write)
        out = b""
        while FINISHED not in out:  # the start of the finished line: the rest waits in the run's write
            chunk = events.read(PIPE_BYTES)
            assert chunk, f"the run ended without a finished event: {proc.communicate(timeout=60)[1]!r}"
            out += chunk
        os.kill(proc.pid, signal.SIGINT)
        out += events.read()
        _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, b"codewright: interrupted\n")
    finished = check_lines(out.decode().splitlines())[-1]  # written whole: its write went on after the Ctrl-C
    assert (finished["type"], finished["outcome"], finished["reason"]) == ("finished", "done", summary)
    assert [r["outcome"] for r in sessions(tmp_path)] == ["done"]


@pytest.mark.parametrize("blocked", ["set()", "{signal.SIGINT}"], ids=["takes Ctrl-C", "blocks Ctrl-C"])
def test_ctrl_c_as_the_process_ends_with_another_thread_alive_exits_130(tmp_path: Path, blocked: str) -> None:
    """`entry` blocked Ctrl-C in the main thread alone: another thread of the process that did not block it (a
    library's worker: a run has one) took it, the main thread raised KeyboardInterrupt while Python took itself
    down, a traceback was printed and the process ended 0 as though no Ctrl-C had come. The other thread here keeps
    the process in its teardown until it ends, so the Ctrl-C comes there; one that blocks it leaves it pending."""
    code = ("import signal, sys, threading, time\nfrom codewright.cli.main import entry\n"
            f"def other():\n    signal.pthread_sigmask(signal.SIG_BLOCK, {blocked})\n    time.sleep(2)\n"
            "threading.Thread(target=other).start()\nsys.argv[0] = 'codewright'\nentry()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "sessions", "--repo", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stdout.readline() == "no sessions yet\n"  # main is done: it returns
    deadline = time.monotonic() + 30  # and `entry` holds Ctrl-C
    while not _blocks_ctrl_c(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, "codewright: interrupted\n")


def test_without_a_terminal_the_refusals_to_come_are_said_up_front(tmp_path: Path) -> None:
    """A run in ask mode with no terminal had every edit refused, one step at a time, and never said why up front."""
    (tmp_path / "notes.txt").write_text("one\n")
    def finish(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("finish", summary="nothing to do")])

    script = Script([finish] * 4)
    with ModelServer(script) as server:
        said = {}
        for mode, extra in (("ask", []), ("auto-edit", []), ("ask", ["--yes"]), ("full-auto", [])):
            proc = cli("run", "look around", "--model", MODEL, "--mode", mode, *extra, "--json", "--repo",
                       str(tmp_path), server=server)
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            events = check_lines(out.splitlines())
            said[(mode, *extra)] = [e["message"] for e in events if e["type"] == "error" and e["kind"] == "no_terminal"]
    assert script.problems == []
    assert said == {
        ("ask",): [("ask mode will refuse every write and command that no rule allows, with no terminal to ask; "
                    "pass --yes, --mode auto-edit (writes) or --mode full-auto (commands too)")],
        ("auto-edit",): [("auto-edit mode will refuse every command that no rule allows, with no terminal to ask; "
                          "pass --yes or --mode full-auto to let them run")],
        ("ask", "--yes"): [],
        ("full-auto",): [],
    }


def test_a_run_killed_with_sigterm_winds_up_as_ctrl_c_does(tmp_path: Path) -> None:
    """`kill` (or a closed terminal) ended the process mid-step: its commands ran on and the session read "running"."""
    (tmp_path / "notes.txt").write_text("one\n")

    def long_command(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command=f"sleep {MARKER}")])

    with ModelServer(Script([long_command])) as server:
        proc = cli("run", "build it", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(tmp_path),
                   server=server)
        out = stop_mid_command(proc, signal.SIGTERM)
    finished = check_lines(out.splitlines())[-1]
    assert finished["type"] == "finished" and finished["outcome"] == "interrupted"
    assert [r["outcome"] for r in sessions(tmp_path)] == ["interrupted"]


def test_a_chat_killed_with_sigterm_ends_instead_of_reading_on(tmp_path: Path) -> None:
    """In a chat, Ctrl-C ends the turn and the chat goes on; SIGTERM must end the chat, wound up the same way."""
    def long_command(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command=f"sleep {MARKER}")])

    with ModelServer(Script([long_command])) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--mode", "full-auto",
                                 "--json", "--repo", str(tmp_path)], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdin is not None
        proc.stdin.write("build it\n")
        proc.stdin.flush()  # a chat that read on would find the end of input and exit 0
        out = stop_mid_command(proc, signal.SIGTERM)
    finished = check_lines(out.splitlines())[-1]
    assert finished["type"] == "finished" and finished["outcome"] == "interrupted"
    assert finished["reason"] == "interrupted by SIGTERM"
    assert [r["outcome"] for r in sessions(tmp_path)] == ["interrupted"]


def test_a_chat_turn_ends_at_the_step_limit_and_the_chat_reads_on(tmp_path: Path) -> None:
    """A chat had no step limit: a model calling tool after tool never ended its turn, and a program driving
    `chat --json` had no Ctrl-C to press."""
    (tmp_path / "a.py").write_text("x = 1\n")
    reads = [lambda rec, n=n: Turn(tool_calls=[call("read_file", path="a.py", start_line=n % 2 + 1)]) for n in range(3)]
    with ModelServer(Script([*reads, lambda rec: Turn(text="here I am")])) as server:
        out = subprocess.run([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--mode", "full-auto",
                              "--json", "--max-steps", "3", "--repo", str(tmp_path)], input="read on\nstill there?\n",
                             env={**os.environ, **server.env()}, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    ends = [(e["outcome"], e["exit_code"]) for e in check_lines(out.stdout.splitlines()) if e["type"] == "finished"]
    assert ends == [("limit", 3), ("replied", 0)]


def test_a_model_that_cannot_be_used_is_a_usage_error_before_any_session(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    for model, line in [("openai/gpt-4o", "codewright: OPENAI_API_KEY is not set: export it to use openai/gpt-4o\n"),
                        ("local/qwen2.5-coder-1.5b", ("codewright: local model qwen2.5-coder-1.5b is not installed:"
                                                      " run `codewright models install qwen2.5-coder-1.5b`\n"))]:
        out = subprocess.run([sys.executable, "-m", "codewright", "run", "--model", model, "--repo", str(tmp_path),
                              "fix it"], capture_output=True, text=True, env={**env, "XDG_CACHE_HOME": str(tmp_path)},
                             check=False, timeout=60)
        assert (out.returncode, out.stdout, out.stderr) == (2, "", line)
    assert not (tmp_path / ".codewright" / "sessions.db").exists() or sessions(tmp_path) == []


def test_a_key_every_deployment_refuses_ends_the_run_as_a_usage_error(tmp_path: Path) -> None:
    """A refused key (401) is the setup's, as a key not set is: the run ended as a failed task, exit 1. It is found
    only by the first call, after the session started: that session is saved, to be resumed with the key fixed."""
    (tmp_path / "a.py").write_text("x = 1\n")
    with ModelServer(api_key="the-right-key") as server:
        done = cli("run", "fix it", "--model", MODEL, "--json", "--repo", str(tmp_path), server=server)
        out, err = done.communicate(timeout=60)
    finished = check_lines(out.splitlines())[-1]
    said = ("OPENAI_API_KEY refused by openai/test-model (HTTP 401: Incorrect API key provided: <api key>. You can "
            "find your API key at https://platform.openai.com.)")
    assert (done.returncode, err) == (2, "")
    assert (finished["type"], finished["exit_code"], finished["reason"]) == (
        "finished", 2, f"the model call failed: {said}")
    assert [s["outcome"] for s in sessions(tmp_path)] == ["failed"]


@pytest.mark.parametrize("json_lines", [False, True])
def test_a_run_whose_output_is_closed_goes_on_and_is_saved(tmp_path: Path, json_lines: bool) -> None:
    """`codewright run ... | head -1`: the reader leaves after one line; the run must not die with it."""
    (tmp_path / "a.py").write_text("x = 1\n")
    steps = [lambda rec, i=i: Turn(tool_calls=[call("run_command", command=f"echo step{i}")]) for i in range(4)]
    script = Script([*steps, lambda rec: Turn(tool_calls=[call("finish", summary="done")])])
    with ModelServer(script) as server:
        proc = cli("run", "echo things", "--model", MODEL, "--mode", "full-auto", "--yes", "--repo", str(tmp_path),
                   *(["--json"] if json_lines else []), server=server)
        proc.stdout.readline()
        proc.stdout.close()  # the reader is gone
        err = proc.stderr.read()
        proc.wait(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "standard output was closed" in err
    assert [s["outcome"] for s in sessions(tmp_path)] == ["done"]
    assert script.served == 5


def test_a_session_killed_before_its_first_save_resumes_with_its_task(tmp_path: Path) -> None:
    """Its stored state is {}: the resumed prompt must carry the task, not only "it was resumed"."""
    code = ("import sys; from codewright.agent.session import SessionStore\n"
            f"print(SessionStore(sys.argv[1]).create('rename notes.txt to todo.txt', {MODEL!r}, 'full-auto'))")
    made = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    session = made.stdout.strip()  # by a process that ended without saving, as a killed run does

    def first(rec: Recorded) -> Turn:
        assert "rename notes.txt to todo.txt" in json.dumps(rec.messages[-1])
        assert "and keep its content" in json.dumps(rec.messages[-1])
        return Turn(tool_calls=[call("finish", summary="done")])

    script = Script([first])
    with ModelServer(script) as server:
        resumed = cli("run", "--resume", session, "and keep its content", "--json", "--repo", str(tmp_path),
                      server=server)
        _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert script.problems == []


@pytest.mark.parametrize(("state", "why"), [
    ("not json", "not JSON: Expecting value: line 1 column 1 (char 0)"),
    ("[]", "a JSON list, not an object"),
    ('{"context": {}}', "KeyError: 'ledger'"),  # from another version
])
def test_a_damaged_saved_state_is_one_line_and_stays_as_it_was(tmp_path: Path, state: str, why: str) -> None:
    from codewright.agent.session import SessionStore

    store = SessionStore(tmp_path)
    session = store.create("a task", MODEL, "full-auto")
    store.db.execute("UPDATE sessions SET state = ?, outcome = 'interrupted', pid = NULL WHERE id = ?", (state, session))
    store.close()
    with ModelServer(Script([])) as server:
        resumed = cli("run", "--resume", session, "--json", "--repo", str(tmp_path), server=server)
        _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 2 and "Traceback" not in err and err.count("\n") == 1
    assert f"session {session} cannot be resumed: its saved state is unreadable ({why})" in err
    store = SessionStore(tmp_path)
    assert store.db.execute("SELECT state FROM sessions WHERE id = ?", (session,)).fetchone()[0] == state
    store.close()


@pytest.mark.parametrize(("path", "value", "why"), [
    (("totals", "cost"), None, "TypeError: totals.cost is NoneType, not a number"),
    (("context", "window"), "x", "TypeError: context.window is str, not int"),
])
def test_a_saved_state_holding_a_wrong_type_is_refused_before_it_runs(tmp_path: Path, path: tuple, value: object,
                                                                      why: str) -> None:
    """It was read, then failed mid-run with a traceback (None + 0.01)."""
    from codewright.agent.session import SessionStore

    with ModelServer(Script([lambda rec: Turn(tool_calls=[call("list_dir")])])) as server:
        first = cli("run", "look", "--model", MODEL, "--max-steps", "1", "--mode", "full-auto", "--json", "--repo",
                    str(tmp_path), server=server)
        out, _ = first.communicate(timeout=60)
    session = json.loads(out.splitlines()[0])["session"]
    store = SessionStore(tmp_path)
    state = json.loads(store.db.execute("SELECT state FROM sessions WHERE id = ?", (session,)).fetchone()[0])
    state[path[0]][path[1]] = value
    store.db.execute("UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session))
    store.close()
    with ModelServer(Script([])) as server:
        resumed = cli("run", "--resume", session, "--json", "--repo", str(tmp_path), server=server)
        _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 2 and "Traceback" not in err
    assert f"session {session} cannot be resumed: its saved state is unreadable ({why})" in err


def test_a_chat_message_that_is_not_utf8_is_sent_with_replacement_characters(tmp_path: Path) -> None:
    """Latin-1 bytes on stdin arrived as surrogates that no request can carry: the chat ended with exit 2 and a
    message quoting the whole request."""
    def replied(rec: Recorded) -> Turn:
        assert "caf\ufffd au lait" in json.dumps(rec.messages[-1], ensure_ascii=False)
        return Turn(text="noted")

    script = Script([replied])
    with ModelServer(script) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
        done = subprocess.run([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--repo", str(tmp_path)],
                              input=b"caf\xe9 au lait\n", env=env, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert script.problems == []


def test_rewind_json_goes_n_checkpoints_back_as_documented(tmp_path: Path) -> None:
    """`rewind N --json`, validated against its schema in docs/cli.md, which no test had read."""
    (tmp_path / "a.txt").write_text("one\n")
    script = Script([lambda rec: Turn(tool_calls=[call("edit_file", path="a.txt", old_string="one\n", new_string="two\n")]),
                     lambda rec: Turn(tool_calls=[call("create_file", path="b.txt", content="new\n")]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="changed")])])
    run_done(tmp_path, script, "change things", mode="auto-edit")
    result = command_json(tmp_path, "rewind", "2")
    assert (result["label"].endswith(": session start"), result["steps"]) == (True, 2)
    assert sorted((c["path"], c["change"]) for c in result["changes"]) == [("a.txt", "modified"), ("b.txt", "deleted")]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".codewright", "a.txt"]
    assert (tmp_path / "a.txt").read_text() == "one\n"


def test_chat_json_prints_event_lines_as_documented(tmp_path: Path) -> None:
    """`chat --json`, each line validated against its schema in docs/cli.md and docs/events.md: one turn per
    message, each ended by the model's prose."""
    script = Script([lambda rec: Turn(text="hello"), lambda rec: Turn(text="again")])
    with ModelServer(script) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
        done = subprocess.run([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--json", "--repo",
                               str(tmp_path)], input="hi\nmore\n", env=env, capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    schema = documented_schema()
    for event in events:
        validate("chat", event)
        jsonschema.validate(event, schema)
    assert [(e["type"], e.get("text")) for e in events if e["type"] in ("assistant_message", "finished")] == [
        ("assistant_message", "hello"), ("finished", None), ("assistant_message", "again"), ("finished", None)]
    assert {e["outcome"] for e in events if e["type"] == "finished"} == {"replied"}
    assert script.problems == []


def test_a_chat_turn_is_told_of_the_files_undone_or_edited_by_hand_since_the_last(tmp_path: Path) -> None:
    """Between two messages the user undid the model's edit and edited a file in an editor: the model went on from
    the files as it had left them, told of neither."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")

    def told(rec: Recorded) -> Turn:
        notes = [m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note:")]
        assert notes == [("Note: since your last turn, files changed outside the session: a.py (modified), notes.txt "
                          "(modified). What you read or wrote of them before may be out of date: read them again "
                          "before you rely on them or edit them.")], notes
        return Turn(text="noted")

    script = Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        lambda rec: Turn(text="edited"),
        told,
    ])
    with ModelServer(script) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--mode", "full-auto",
                                 "--json", "--repo", str(tmp_path)], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("change a.py\n")
        proc.stdin.flush()
        for line in proc.stdout:
            if '"finished"' in line:
                break
        command_json(tmp_path, "undo")
        (tmp_path / "notes.txt").write_text("mine, edited between the messages\n")
        proc.stdin.write("what now?\n")
        proc.stdin.close()
        proc.stdout.read()
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    assert script.problems == [] and script.served == 3


def test_a_chat_turn_is_told_once_of_the_hand_edits_made_while_the_model_wrote_its_last_reply(
        tmp_path: Path) -> None:
    """Those edits are the user's, not in the turn's checkpoints: the next turn is told of them, and the one after,
    with nothing checkpointed between, not again."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (tmp_path / "notes.txt").write_text("mine, edited while the model replied\n")
        return Turn(text="edited")

    def notes(rec: Recorded) -> list[str]:
        return [m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note:")]

    told = []
    script = Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        edited_by_hand_meanwhile,
        lambda rec: told.append(notes(rec)) or Turn(text="noted"),
        lambda rec: told.append(notes(rec)) or Turn(text="still noted"),
    ])
    with ModelServer(script) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1"}
        done = subprocess.run([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--mode", "full-auto",
                               "--json", "--repo", str(tmp_path)], input="change a.py\nwhat now?\nand now?\n",
                              env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    note = ("Note: since your last turn, files changed outside the session: notes.txt (modified). What you read or "
            "wrote of them before may be out of date: read them again before you rely on them or edit them.")
    assert told == [[note], [note]]  # the second turn's note, still in the conversation; no other
    assert script.problems == [] and script.served == 4


def test_a_chat_read_from_a_pipe_shows_each_message_after_its_prompt(tmp_path: Path) -> None:
    """Nothing echoes a message that is not typed: the reply came right after `you> `, as if the user had said it."""
    script = Script([lambda rec: Turn(text="THE-REPLY"), lambda rec: Turn(text="THE-SECOND")])
    with ModelServer(script) as server:
        env = {**os.environ, **server.env(), "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        done = subprocess.run([sys.executable, "-m", "codewright", "chat", "--model", MODEL, "--mode", "full-auto",
                               "--repo", str(tmp_path)], input="what is it?\nand then?\n", env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith(("you>", "THE-"))] == [
        "you> what is it?", "THE-REPLY", "you> and then?", "THE-SECOND", "you> "]


def test_undo_where_no_session_ran_says_so_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    done = subprocess.run([sys.executable, "-m", "codewright", "undo", "--repo", str(tmp_path)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (2, "codewright: no checkpoints yet: codewright run or chat makes them\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_a_nested_git_repository_is_named_as_not_checkpointed(tmp_path: Path) -> None:
    """git records a folder with its own .git as a commit id: undo could not restore the files in it, silently."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("v = 1\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "lib", check=True)
    subprocess.run(["git", "add", "m.py"], cwd=tmp_path / "lib", check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "i"], cwd=tmp_path / "lib",
                   check=True)
    with ModelServer(Script([lambda rec: Turn(tool_calls=[call("finish", summary="done")])])) as server:
        proc = cli("run", "look", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(tmp_path),
                   server=server)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (notice,) = [e for e in check_lines(out.splitlines()) if e["type"] == "error"]
    assert notice["kind"] == "not_checkpointed" and notice["recoverable"]
    assert notice["message"].startswith("lib: a git repository of its own inside this one")


def test_undo_names_the_hand_edits_it_rolls_back(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    _edit_a_py(tmp_path)
    (tmp_path / "notes.txt").write_text("mine, edited after the run\n")
    undo = subprocess.run([sys.executable, "-m", "codewright", "undo", "--repo", str(tmp_path)], capture_output=True,
                          text=True, check=False)
    assert undo.returncode == 0, undo.stderr
    assert ("1 file(s) had changed since the last checkpoint, between two sessions or while the model wrote a reply "
            "(notes.txt): those changes are kept in .codewright/shadow.git under refs/codewright/before-rewind/"
            ) in undo.stdout
    assert (tmp_path / "notes.txt").read_text() == "mine\n" and (tmp_path / "a.py").read_text() == "x = 1\n"


def test_undo_after_a_resume_that_changed_nothing_undoes_the_agent_and_names_the_hand_edits(tmp_path: Path) -> None:
    """The resume checkpointed the user's edit made between the sessions as its start, and `undo`, one checkpoint
    back, threw that edit away unnamed and left the agent's own change in place."""
    (tmp_path / "notes.txt").write_text("mine\n")
    events = _edit_a_py(tmp_path)
    (tmp_path / "notes.txt").write_text("mine, edited between the sessions\n")
    with ModelServer(Script([lambda rec: Turn(tool_calls=[call("finish", summary="nothing left")])])) as server:
        resumed = cli("run", "--resume", events[-1]["session"], "--json", "--repo", str(tmp_path), server=server)
        _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    _undo_goes_to_the_start_naming_the_hand_edit(tmp_path)


def _undo_goes_to_the_start_naming_the_hand_edit(tmp_path: Path) -> None:
    """`undo` after a run that edited a.py while the user edited notes.txt: back to the session's start, a.py as it
    was, notes.txt named as the user's unsaved edit."""
    result = command_json(tmp_path, "undo")
    assert (result["label"].endswith(": session start"), result["unsaved"]) == (True, ["notes.txt"])
    assert sorted((c["path"], c["change"]) for c in result["changes"]) == [("a.py", "modified"),
                                                                           ("notes.txt", "modified")]
    assert (tmp_path / "a.py").read_text() == "x = 1\n"


def test_undo_names_the_hand_edits_made_while_the_model_wrote_its_last_reply(tmp_path: Path) -> None:
    """The run's final checkpoint held the user's edit made after the agent's last change, and `undo`, one
    checkpoint back, threw that edit away unnamed and left the agent's change in place."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (tmp_path / "notes.txt").write_text("mine, edited while the model replied\n")
        return Turn(tool_calls=[call("finish", summary="done")])

    run_done(tmp_path, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        edited_by_hand_meanwhile,
    ]), "edit")
    _undo_goes_to_the_start_naming_the_hand_edit(tmp_path)


@pytest.mark.parametrize("changing_nothing", [
    call("run_command", command="true"),
    call("edit_file", path="a.py", old_string="not there\n", new_string="x = 3\n"),
], ids=["a command that writes nothing", "a failed edit"])
def test_undo_names_the_hand_edits_made_before_a_step_that_changed_nothing(
    tmp_path: Path, changing_nothing: ToolUse
) -> None:
    """The "before step" checkpoint held the user's edit made while the model thought; the step changed nothing,
    so it stayed the last checkpoint, and `undo`, one checkpoint back, threw that edit away unnamed and left the
    agent's change in place."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (tmp_path / "notes.txt").write_text("mine, edited while the model thought\n")
        return Turn(tool_calls=[changing_nothing])

    run_done(tmp_path, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        edited_by_hand_meanwhile,
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "edit")
    _undo_goes_to_the_start_naming_the_hand_edit(tmp_path)


@pytest.mark.parametrize(("by_hand", "unsaved"), [(True, ["notes.txt"]), (False, [])],
                         ids=["after a hand edit", "with no hand edit"])
def test_undo_undoes_the_agents_change_before_a_failed_edit_of_an_ignored_file(
    tmp_path: Path, by_hand: bool, unsaved: list[str]
) -> None:
    """The edit checkpointed the ignored file before its write (`keep`), after the "before step" checkpoint of the
    user's edit where there was one; the edit failed, so the step changed nothing, and that checkpoint stayed the
    last one: `undo` went back to the one before it, threw the user's edit away unnamed or changed nothing, and
    left the agent's change in place."""
    (tmp_path / ".gitignore").write_text("local.cfg\n")
    (tmp_path / "local.cfg").write_text("db=mine\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")

    def failed_edit_of_an_ignored_file(rec: Recorded) -> Turn:
        if by_hand:
            (tmp_path / "notes.txt").write_text("mine, edited while the model thought\n")
        return Turn(tool_calls=[call("edit_file", path="local.cfg", old_string="not there\n", new_string="db=x\n")])

    run_done(tmp_path, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        failed_edit_of_an_ignored_file,
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "edit")
    result = command_json(tmp_path, "undo")
    assert (result["label"].endswith(": session start"), result["unsaved"]) == (True, unsaved)
    assert sorted(c["path"] for c in result["changes"]) == ["a.py", *unsaved]
    assert [(tmp_path / name).read_text() for name in ("a.py", "local.cfg")] == ["x = 1\n", "db=mine\n"]


@pytest.mark.parametrize(("bits", "command"), [(0o644, "chmod 600 notes.txt"), (0o600, "chmod 644 notes.txt")],
                         ids=["made private", "made readable"])
def test_undo_undoes_a_step_that_changed_only_a_files_permission_bits(tmp_path: Path, bits: int, command: str) -> None:
    """The step's chmod made no checkpoint (the content, all a checkpoint's tree holds, was the same): `undo` went
    back past the step before it, undoing the agent's edit of a.py, and left the bits as the chmod made them."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "notes.txt").chmod(bits)
    run_done(tmp_path, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        lambda rec: Turn(tool_calls=[call("run_command", command=command)]),
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "chmod")
    result = command_json(tmp_path, "undo")
    assert (result["label"].endswith(": after step 1"), result["unsaved"]) == (True, [])
    assert [(c["path"], c["change"]) for c in result["changes"]] == [("notes.txt", "modified")]
    assert ((tmp_path / "a.py").read_text(), (tmp_path / "notes.txt").stat().st_mode & 0o777) == ("x = 2\n", bits)


def _undone_while_running(root: Path, *args: str) -> tuple[str, subprocess.CompletedProcess]:
    """`codewright ARGS` run while a `run` of `root` (its first step an edit of a.py, its second a long command)
    is still in that command; the run is then interrupted. Returns the run's session id and what ARGS did."""
    (root / "a.py").write_text("x = 1\n")
    script = Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        lambda rec: Turn(tool_calls=[call("run_command", command=f"sleep {MARKER}")]),
    ])
    with ModelServer(script) as server:
        proc = cli("run", "edit", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(root),
                   server=server)
        assert proc.stdout is not None
        for line in proc.stdout:
            if '"tool_call_requested"' in line and "run_command" in line:
                break
        session = json.loads(line)["session"]
        done = subprocess.run([sys.executable, "-m", "codewright", *args, "--repo", str(root)],
                              capture_output=True, text=True, timeout=60, check=False)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    return session, done


@pytest.mark.parametrize("args", [("undo",), ("rewind", "1")], ids=["undo", "rewind"])
def test_going_back_while_a_session_of_the_project_runs_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    """An undo or rewind while another terminal's run was still going changed the files under it."""
    session, done = _undone_while_running(tmp_path, *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", (
        f"codewright: session {session} is still running in this project: {args[0]} would change the files under "
        "it; let it end or stop it first, or give --force\n"))
    assert (tmp_path / "a.py").read_text() == "x = 2\n"


def test_going_back_while_a_session_of_the_project_runs_is_done_with_force(tmp_path: Path) -> None:
    _, done = _undone_while_running(tmp_path, "undo", "--force", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    validate("undo", result)
    assert (result["label"].endswith(": session start"), result["changes"]) == (
        True, [{"path": "a.py", "change": "modified"}])
    assert (tmp_path / "a.py").read_text() == "x = 1\n"


def test_undo_goes_back_where_the_sessions_store_cannot_be_read(tmp_path: Path) -> None:
    """Whether a session runs is read from the sessions store; a damaged one tells nothing, and stopped undo."""
    _edit_a_py(tmp_path)
    (tmp_path / ".codewright" / "sessions.db").write_bytes(b"not a database" * 100)
    result = command_json(tmp_path, "undo")
    assert (result["changes"], (tmp_path / "a.py").read_text()) == ([{"path": "a.py", "change": "modified"}],
                                                                    "x = 1\n")


def test_rewind_past_a_session_start_names_the_hand_edits_it_held(tmp_path: Path) -> None:
    """The second session's start checkpoint held the user's edit made between the sessions; a rewind to before it
    put that edit back unnamed, as though the agent had made it."""
    (tmp_path / "notes.txt").write_text("mine\n")
    _edit_a_py(tmp_path)
    (tmp_path / "notes.txt").write_text("mine, edited between the sessions\n")
    run_done(tmp_path, Script([
        lambda rec: Turn(tool_calls=[call("create_file", path="b.py", content="y = 1\n")]),
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "add b.py")
    result = command_json(tmp_path, "rewind", "2")
    assert (result["label"].endswith(": after step 1"), result["unsaved"]) == (True, ["notes.txt"])
    assert sorted((c["path"], c["change"]) for c in result["changes"]) == [("b.py", "deleted"),
                                                                           ("notes.txt", "modified")]
    assert (tmp_path / "a.py").read_text() == "x = 2\n"


def _hand_edit_before_step_2(root: Path) -> None:
    """A finished run whose first step edits a.py and whose second makes b.py, notes.txt edited by hand while the
    model wrote the second reply."""
    (root / "a.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("mine\n")

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (root / "notes.txt").write_text("mine, edited while the model thought\n")
        return Turn(tool_calls=[call("create_file", path="b.py", content="y = 1\n")])

    run_done(root, Script([
        lambda rec: Turn(tool_calls=[call("edit_file", path="a.py", old_string="x = 1\n", new_string="x = 2\n")]),
        edited_by_hand_meanwhile,
        lambda rec: Turn(tool_calls=[call("finish", summary="done")]),
    ]), "edit")


def test_the_checkpoints_of_a_step_are_labelled_with_its_number(tmp_path: Path) -> None:
    """The checkpoint of the user's edits made before step 2 read "before step 3", the one after it "after step 2":
    `undo` said it had gone back to before a step the run never took."""
    _hand_edit_before_step_2(tmp_path)
    labels = [checkpoint.label.split(": ", 1)[1] for checkpoint in ShadowRepo(tmp_path).log()]
    assert labels == ["after step 2", "before step 2", "after step 1", "session start"]


def test_rewind_past_a_before_step_checkpoint_names_the_hand_edits_it_held(tmp_path: Path) -> None:
    """The "before step" checkpoint held the user's edit made while the model wrote its second reply; a rewind to
    before it put that edit back unnamed, as though the agent had made it, where one to before a session's start
    names them."""
    _hand_edit_before_step_2(tmp_path)
    result = command_json(tmp_path, "rewind", "2")
    assert (result["label"].endswith(": after step 1"), result["unsaved"]) == (True, ["notes.txt"])
    assert sorted((c["path"], c["change"]) for c in result["changes"]) == [("b.py", "deleted"),
                                                                           ("notes.txt", "modified")]
    assert (tmp_path / "a.py").read_text() == "x = 2\n"


def test_a_sessions_store_deleted_mid_run_is_reported_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")

    def delete_the_store(rec: Recorded) -> Turn:
        for path in (tmp_path / ".codewright").glob("sessions.db*"):
            path.unlink()
        return Turn(tool_calls=[call("finish", summary="done")])

    events = run_done(tmp_path, Script([delete_the_store]), "look")
    assert events[-2]["type"] == "error" and events[-2]["kind"] == "store_lost"
    assert events[-1]["type"] == "finished"


@pytest.mark.parametrize(("as_json", "shown"), [(False, "$'odd\\xffname.py'"), (True, "odd\ufffdname.py")],
                         ids=["text", "json"])
def test_undo_of_a_file_whose_name_is_not_utf8_is_shown_as_bash_quotes_it_or_with_fffd_in_json(
    tmp_path: Path, as_json: bool, shown: str
) -> None:
    """Under a strict locale the restored file's name raised after the restore, and the command said exit 2. The
    text shows the name as bash quotes it, as `ls` does, where it showed U+FFFD, which names no file (an `rm` of
    the name as shown found none). JSON text is UTF-8 and a byte that is not has no place in it: U+FFFD there."""
    from codewright.agent.checkpoint import ShadowRepo

    (tmp_path / "a.py").write_text("a = 1\n")
    ShadowRepo(tmp_path).checkpoint("start")
    odd = os.fsencode(tmp_path) + b"/odd\xffname.py"
    with open(odd, "wb") as handle:
        handle.write(b"x\n")
    ShadowRepo(tmp_path).checkpoint("step")
    done = subprocess.run([sys.executable, "-m", "codewright", "undo", *(["--json"] if as_json else []), "--repo",
                           str(tmp_path)], capture_output=True, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert (done.returncode, done.stderr) == (0, b"")
    assert not os.path.exists(odd)
    assert (json.loads(done.stdout)["changes"][0]["path"] if as_json else done.stdout.decode().splitlines()[1].split()[-1]) \
        == shown



@pytest.mark.parametrize(("as_json", "shown"), [(False, "$'odd\\nname.py'"), (True, "odd\nname.py")],
                         ids=["text", "json"])
def test_undo_quotes_a_name_with_a_newline_in_text_only(tmp_path: Path, as_json: bool, shown: str) -> None:
    """Its newline split the line of the list, and of the note on files changed since the checkpoint, in two."""
    from codewright.agent.checkpoint import ShadowRepo

    (tmp_path / "a.py").write_text("a = 1\n")
    ShadowRepo(tmp_path).checkpoint("start")
    (tmp_path / "odd\nname.py").write_text("x = 1\n")
    ShadowRepo(tmp_path).checkpoint("step")
    (tmp_path / "odd\nname.py").write_text("x = 2\n")  # changed since: kept aside, and said
    done = subprocess.run([sys.executable, "-m", "codewright", "undo", *(["--json"] if as_json else []), "--repo",
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    if as_json:
        result = json.loads(done.stdout)
        assert (result["changes"], result["unsaved"]) == ([{"path": shown, "change": "deleted"}], [shown])
    else:
        kept = (f"1 file(s) had changed since the last checkpoint, between two sessions or while the model wrote a "
                f"reply ({shown}): those changes "
                "are kept in .codewright/shadow.git under refs/codewright/before-rewind/")
        assert done.stdout.splitlines()[1:3] == [f"  deleted  {shown}", kept]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_undo_names_a_nested_repository_it_could_not_restore(tmp_path: Path, as_json: bool) -> None:
    """A folder holding a git repository of its own, deleted: undo brought back an empty folder and said nothing."""
    from codewright.agent.checkpoint import ShadowRepo

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("v = 1\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "m.py"], [*identity, "commit", "-qm", "i"]):
        subprocess.run(["git", *args], cwd=tmp_path / "lib", check=True)
    ShadowRepo(tmp_path).checkpoint("start")
    subprocess.run(["rm", "-rf", str(tmp_path / "lib")], check=True)
    ShadowRepo(tmp_path).checkpoint("step")
    undo = subprocess.run([sys.executable, "-m", "codewright", "undo", *(["--json"] if as_json else []), "--repo",
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert undo.returncode == 0, undo.stderr
    if as_json:
        validate("undo", json.loads(undo.stdout))
        assert (json.loads(undo.stdout)["changes"], json.loads(undo.stdout)["unrestored"]) == ([], ["lib"])
    else:
        assert undo.stdout.splitlines()[1:] == [(
            "1 path(s) could not be restored (lib): a git repository of its own, of which a checkpoint holds the "
            "commit and not the files, an empty folder with a file in its place, or what the ignore rules leave out, "
            "which no checkpoint holds: changed or deleted since, or made since and not a file undo removes (a folder, "
            "over 1 MiB, more than 200 files)")]


def test_a_run_stopped_while_the_session_is_set_up_is_saved_as_interrupted(tmp_path: Path) -> None:
    """SIGTERM while the index is built (here it waits for another writer's lock) ended the process with 130, and
    the session then read "stopped: killed or crashed"."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / ".codewright").mkdir()
    with ModelServer(Script([])) as server, open(tmp_path / ".codewright" / "index.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another codewright writing the index: the run's build waits for it
        proc = cli("run", "look around", "--model", MODEL, "--mode", "full-auto", "--json", "--repo", str(tmp_path),
                   server=server)
        assert proc.stderr is not None
        assert "waiting for another codewright" in proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert [(r["outcome"], r["reason"]) for r in sessions(tmp_path)] == [
        ("interrupted", "interrupted by SIGTERM while the session was set up")]


def test_a_run_stopped_while_the_tests_it_names_run_first_is_saved_as_interrupted(tmp_path: Path) -> None:
    """The tests a task names run before the first model call; SIGTERM there left no outcome ("killed or
    crashed") and no `finished` event."""
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")  # a pytest project
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_slow.py").write_text(
        f"import subprocess\n\n\ndef test_slow():\n    subprocess.run(['sleep', '{MARKER}'])\n    assert False\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    with ModelServer(Script([])) as server:
        proc = cli("run", "test_slow fails, fix it", "--model", MODEL, "--mode", "full-auto", "--json", "--repo",
                   str(tmp_path), server=server)
        out = stop_mid_command(proc, signal.SIGTERM)
    finished = check_lines(out.splitlines())[-1]
    assert (finished["type"], finished["outcome"], finished["reason"]) == ("finished", "interrupted",
                                                                          "interrupted by SIGTERM")
    assert [r["outcome"] for r in sessions(tmp_path)] == ["interrupted"]
