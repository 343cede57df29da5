"""Failures go back to the model with the precise message, and the run goes on.

One run meets a malformed tool call, an edit that does not apply and a failing test, and
recovers from each; others are denied a command, reach a limit, or get stuck.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from tests.support.cli_schema import validate
from tests.support.model_server import ModelServer, Recorded, ToolUse, Turn

from codewright.agent import events as ev
from codewright.agent.checkpoint import ShadowRepo
from codewright.agent.loop import Limits

from .harness import Run, Script, call, last_result, run_agent
from .test_events import documented_schema
from .test_session_store import SRC

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
PYTEST = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q -p no:cacheprovider test_calc.py"


def project(tmp_path: Path) -> Path:
    (tmp_path / "calc.py").write_text(CALC)
    (tmp_path / "test_calc.py").write_text(TESTS)
    return tmp_path


def test_malformed_call_failed_edit_and_failing_test_are_each_recovered(tmp_path: Path) -> None:
    root = project(tmp_path)
    seen: dict[str, str] = {}

    def garbage(rec: Recorded) -> Turn:
        return Turn(tool_calls=[ToolUse("read_file", "<<<not json at all>>>"), call("no_such_tool", x=1)])

    def read(rec: Recorded) -> Turn:
        seen["malformed"] = "\n".join(m["content"] for m in rec.messages if m["role"] == "tool")
        return Turn(tool_calls=[call("read_file", path="calc.py")])

    def bad_edit(rec: Recorded) -> Turn:
        assert "return a - b" in last_result(rec)
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="def add(x, y):\n    return x + y\n",
                                     new_string="def add(a, b):\n    return a + b\n")])

    def run_tests(rec: Recorded) -> Turn:
        seen["edit"] = last_result(rec)
        return Turn(tool_calls=[call("run_command", command=PYTEST)])

    def good_edit(rec: Recorded) -> Turn:
        seen["tests"] = last_result(rec)
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n")])

    def rerun(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command=PYTEST)])

    def finish(rec: Recorded) -> Turn:
        seen["final"] = last_result(rec)
        return Turn(tool_calls=[call("finish", summary="fixed add")])

    script = Script([garbage, read, bad_edit, run_tests, good_edit, rerun, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "fix add", mode="full-auto")
    assert script.problems == []
    assert run.outcome.outcome == "done" and run.outcome.exit_code == 0
    assert "not JSON" in seen["malformed"] and "unknown tool 'no_such_tool'" in seen["malformed"]
    assert "read_file" in seen["malformed"]  # the error names the tools that exist
    assert "calc.py" in seen["edit"] and "def add(x, y)" not in CALC  # the edit's own message came back
    assert "1 failed" in seen["tests"] and "assert -1 == 5" in seen["tests"]
    assert "2 passed" in seen["final"]
    assert (root / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    errors = run.of_type("error")
    assert len(errors) == 2 and all(e.recoverable for e in errors)
    assert [e.path for e in run.of_type("file_changed")] == ["calc.py"]


def test_a_denied_command_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    root = project(tmp_path)
    asked: list[str] = []

    def run_it(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command="touch made-by-command.txt")])

    def after(rec: Recorded) -> Turn:
        assert "denied" in last_result(rec).lower()
        return Turn(tool_calls=[call("finish", summary="could not run it")])

    script = Script([run_it, after])
    with ModelServer(script) as server:
        run = run_agent(root, server, "make a file", mode="auto-edit",
                        approve=lambda request: asked.append(str(request)) or False)
    assert script.problems == []
    assert asked and "touch made-by-command.txt" in asked[0]
    denied = run.of_type("tool_call_denied")
    assert len(denied) == 1 and denied[0].name == "run_command"
    assert not (root / "made-by-command.txt").exists()
    assert run.outcome.outcome == "done"


def test_the_same_error_three_times_stops_the_run_as_stuck(tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")
    seen: list[str] = []

    def again(rec: Recorded) -> Turn:
        seen.append(last_result(rec) if len(seen) else "")
        return Turn(tool_calls=[bad])

    script = Script([again] * 3)
    with ModelServer(script) as server:
        run = run_agent(root, server, "loop", mode="full-auto", limits=Limits(max_steps=40, attempts=1))
    assert run.outcome.outcome == "stuck" and run.outcome.exit_code == 1
    assert "come back before" not in seen[1] and "come back before" in seen[2]  # warned once, then stopped
    assert "3 times" in run.outcome.reason
    assert (root / "calc.py").read_text() == CALC


def test_the_calls_after_the_one_found_stuck_are_answered_once_and_the_session_resumes(tmp_path: Path) -> None:
    """The calls of the turn after the one found stuck were answered twice ("the session stopped", then "ended
    before this call"): two results of one call id, which providers refuse, so the session could not go on."""
    root = project(tmp_path)
    read = lambda rec: Turn(tool_calls=[call("read_file", path="calc.py")])
    three = lambda rec: Turn(tool_calls=[call("read_file", path="calc.py"), call("finish", summary="early"),
                                         call("git_status")])
    script = Script([read, read, three, lambda rec: Turn(tool_calls=[call("finish", summary="resumed")])])
    with ModelServer(script) as server:
        first = run_agent(root, server, "read", limits=Limits(max_steps=5, attempts=1))
        assert first.outcome.outcome == "stuck"
        answered = [e.call_id for e in first.of_type("tool_call_finished")]
        assert len(answered) == len(set(answered)) == 5, answered
        again = run_agent(root, server, "", resume=first.session)
    assert again.outcome.outcome == "done" and script.problems == []


def test_a_stuck_attempt_is_undone_and_the_task_starts_afresh_with_what_failed(tmp_path: Path) -> None:
    root = project(tmp_path)
    wrong = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return b - a\n")
    bad = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")
    seen: list[Recorded] = []

    def script_turn(turn: Turn) -> Callable[[Recorded], Turn]:
        def answer(rec: Recorded) -> Turn:
            seen.append(rec)
            return turn
        return answer

    fix = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return a + b\n")
    turns = [Turn(tool_calls=[wrong])] + [Turn(tool_calls=[bad])] * 3 + [Turn(tool_calls=[fix]),
                                                                          Turn(tool_calls=[call("finish", summary="ok")])]
    script = Script([script_turn(t) for t in turns])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    assert script.problems == []
    assert run.outcome.outcome == "done" and (root / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    (restart,) = run.of_type("attempt_restarted")
    assert (restart.attempt, restart.files) == (2, ["calc.py"])
    assert restart.reason == "the same edit_file call returned the same result 3 times in a row"
    fresh = seen[4].messages  # attempt 2's first request: the task and the note, none of attempt 1's turns
    assert [m["role"] for m in fresh] == ["system", "user"]
    note = fresh[-1]["content"]
    assert "test_add fails; fix it\n\nNote: attempt 1 at this task went wrong (the same edit_file call" in note
    assert "- edit_file calc.py: 'return a - b' -> 'return b - a'" in note
    assert "files are as they were at the start" in note and "test_calc.py::test_add" in note
    assert seen[0].messages[-1]["content"] in note  # the same prompt, so a provider's cache still holds it


def test_a_restarted_attempt_keeps_what_the_user_changed_meanwhile(tmp_path: Path) -> None:
    """The restart put back the whole tree: the user's edit to notes.txt and their new mine.txt went too."""
    root = project(tmp_path)
    (root / "notes.txt").write_text("v1\n")
    wrong = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return b - a\n")
    bad = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")

    def user_edits_while_the_model_thinks(rec: Recorded) -> Turn:
        (root / "notes.txt").write_text("v2, the user's\n")
        (root / "mine.txt").write_text("new\n")
        return Turn(tool_calls=[bad])

    turns = [lambda rec: Turn(tool_calls=[wrong]), user_edits_while_the_model_thinks] + \
        [lambda rec: Turn(tool_calls=[bad])] * 2 + [lambda rec: Turn(tool_calls=[call("finish", summary="ok")])]
    script = Script(turns)
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    (restart,) = run.of_type("attempt_restarted")
    assert restart.files == ["calc.py"] and (root / "calc.py").read_text() == CALC
    assert (root / "notes.txt").read_text() == "v2, the user's\n" and (root / "mine.txt").read_text() == "new\n"


def test_a_nested_repository_a_restarted_attempt_committed_in_is_named_not_undone(tmp_path: Path) -> None:
    """The restart passed over the folder holding a repository of its own where a command had committed, and told
    the model the files were as at the start. In ask mode (approved): there commands run outside the sandbox, which
    keeps a nested repository's .git read-only in the auto modes."""
    root = project(tmp_path)
    (root / "lib").mkdir()
    (root / "lib" / "m.py").write_text("v = 1\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "m.py"], [*identity, "commit", "-qm", "i"]):
        subprocess.run(["git", *args], cwd=root / "lib", check=True)
    wrong = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return b - a\n")
    bad = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")
    seen: list[Recorded] = []

    def answer(turn: list[ToolUse]) -> Callable[[Recorded], Turn]:
        return lambda rec: seen.append(rec) or Turn(tool_calls=turn)

    fix = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return a + b\n")
    commit = call("run_command", command=f"cd lib && echo 'v = 2' > m.py && git {' '.join(identity)} commit -qam two")
    turns = [[wrong, commit], [bad], [bad], [bad], [fix], [call("finish", summary="ok")]]
    script = Script([answer(turn) for turn in turns])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="ask", yes=True)
    assert script.problems == []
    (restart,) = run.of_type("attempt_restarted")
    assert (restart.files, restart.unrestored) == (["calc.py"], ["lib"])
    assert (root / "lib" / "m.py").read_text() == "v = 2\n"
    assert ("the files are as they were at the start, but for lib: a git repository of its own, which stays as the "
            "attempt left it.") in seen[4].messages[-1]["content"]


def test_finishing_twice_with_failing_tests_starts_a_fresh_attempt(tmp_path: Path) -> None:
    root = project(tmp_path)
    wrong = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return 5\n")
    fix = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return a + b\n")
    give_up = call("finish", summary="cannot fix")
    turns = [[wrong], [call("edit_file", path="calc.py", old_string="    return 5\n", new_string="    return 6\n")],
             [give_up], [give_up], [fix], [call("finish", summary="fixed")]]
    script = Script([lambda rec, t=t: Turn(tool_calls=t) for t in turns])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    assert script.problems == []
    (restart,) = run.of_type("attempt_restarted")
    assert restart.reason == "finished while the tests still fail: cannot fix" and restart.files == ["calc.py"]
    assert run.outcome.outcome == "done" and run.outcome.reason == "fixed"


SIX = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return 6\n")
GIVE_UP = call("finish", summary="cannot fix")
BAD = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")
OTHER = call("create_file", path="other.py", content="x = 1\n")


@pytest.mark.parametrize("turns", [
    [[SIX], [GIVE_UP], [OTHER, GIVE_UP]],
    [[SIX], [BAD], [BAD], [OTHER, BAD]],
], ids=["an edit and finish in one reply", "an edit and a call found stuck in one reply"])
def test_a_restart_undoes_the_changes_of_the_step_its_attempt_ended_in(tmp_path: Path,
                                                                         turns: list[list[ToolUse]]) -> None:
    """The attempt ended in the step that made other.py, before that step's checkpoint; the restart's own checkpoint
    took it for no change of the attempt's, so other.py stayed while the model was told the files were as at the
    start."""
    root = project(tmp_path)
    turns = [*turns, [FIX], [call("finish", summary="fixed")]]
    script = Script([lambda rec, t=t: Turn(tool_calls=t) for t in turns])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    (restart,) = run.of_type("attempt_restarted")
    assert (restart.files, script.problems, run.outcome.reason) == (["calc.py", "other.py"], [], "fixed")
    assert not (root / "other.py").exists()


def test_undo_after_a_restart_names_the_hand_edits_made_while_the_model_wrote_its_last_reply(tmp_path: Path) -> None:
    """The restart checkpointed the user's edit made while the model wrote the attempt's last reply, as a checkpoint
    of the attempt's: `undo` went back to it, and one more threw the edit away unnamed."""
    root = project(tmp_path)
    (root / "notes.txt").write_text("v1\n")

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (root / "notes.txt").write_text("v2, the user's\n")
        return Turn(tool_calls=[GIVE_UP])

    turns = [lambda rec: Turn(tool_calls=[SIX]), lambda rec: Turn(tool_calls=[GIVE_UP]), edited_by_hand_meanwhile,
             lambda rec: Turn(tool_calls=[GIVE_UP]), lambda rec: Turn(tool_calls=[GIVE_UP])]
    script = Script(turns)
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    (restart,) = run.of_type("attempt_restarted")
    assert (restart.files, script.problems, run.outcome.reason) == (["calc.py"], [], "cannot fix")
    target, restored = ShadowRepo(root).rewind(1)  # what `codewright undo` does
    assert (target.label.endswith(": after step 1"), restored.unsaved) == (True, ["notes.txt"])
    assert [(root / name).read_text() for name in ("calc.py", "notes.txt")] == [CALC.replace("a - b", "6"), "v1\n"]


def test_step_limit_exits_3_and_saves_the_session(tmp_path: Path) -> None:
    root = project(tmp_path)
    script = Script([lambda rec, n=n: Turn(tool_calls=[call("read_file", path="calc.py", start_line=n % 2 + 1)])
                     for n in range(5)])
    with ModelServer(script) as server:
        run = run_agent(root, server, "read forever", mode="full-auto", limits=Limits(max_steps=3))
    assert run.outcome.outcome == "limit" and run.outcome.exit_code == 3
    assert "step limit" in run.outcome.reason
    assert script.served == 3
    finished = run.of_type("finished")[-1]
    assert finished.exit_code == 3 and finished.steps == 3


def test_a_model_without_native_tools_calls_them_in_text(tmp_path: Path) -> None:
    """JSON tool calls written in the reply's text are parsed, repaired and run; a broken one is answered."""
    root = project(tmp_path)

    def write_calls(rec: Recorded) -> Turn:
        assert "tool_calls" in rec.messages[0]["content"]  # the format is described in the prompt
        return Turn(text='Reading.\n```json\n{"tool_calls": [{"name": "read_file", "arguments": {"path": "calc.py",}}]}\n```')

    def broken(rec: Recorded) -> Turn:
        assert "return a - b" in rec.messages[-1]["content"]
        return Turn(text='```json\n{"tool_calls": [{"name": 42, "arguments": {}}]}\n```')

    def finish(rec: Recorded) -> Turn:
        assert "each tool call needs" in rec.messages[-1]["content"]
        return Turn(text='```json\n{"tool_calls": [{"name": "finish", "arguments": {"summary": "read it"}}]}\n```')

    script = Script([write_calls, broken, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "read calc", mode="full-auto", text_tools=True)
    assert script.problems == []
    assert run.outcome.outcome == "done"
    assert next(e.name for e in run.of_type("tool_call_requested")) == "read_file"


def test_secrets_are_redacted_in_events_the_store_and_the_prompt(tmp_path: Path) -> None:
    root = project(tmp_path)
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    (root / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{key}"\n')

    def read(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("read_file", path="settings.py")])

    def finish(rec: Recorded) -> Turn:
        assert key not in json.dumps(rec.body), "the key reached the model"
        return Turn(text=f"The key is {key}.", tool_calls=[call("finish", summary=f"found {key}")])

    script = Script([read, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "find the key", mode="full-auto")
    assert script.problems == []
    assert key not in json.dumps([e.to_dict() for e in run.events])
    assert any("[redacted" in e.output for e in run.of_type("tool_call_finished"))
    stored = b"".join(p.read_bytes() for p in (root / ".codewright").glob("sessions.db*"))
    assert key.encode() not in stored


def test_budget_limit_exits_3_once_the_priced_cost_is_spent(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "codewright.toml").write_text('[prices."test-model"]\ninput = 100.0\noutput = 100.0\n')
    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="calc.py")])] * 5)
    with ModelServer(script) as server:
        run = run_agent(root, server, "spend", mode="full-auto", limits=Limits(budget=0.5))
    assert run.outcome.outcome == "limit" and run.outcome.exit_code == 3
    assert "budget" in run.outcome.reason
    costs = [e.cost for e in run.of_type("model_call_finished")]
    assert costs and all(c > 0 for c in costs) and sum(costs) >= 0.5 and sum(costs[:-1]) < 0.5


def _read_through_anthropic(tmp_path: Path):
    """A run that reads calc.py and finishes, through the Anthropic protocol (which reports cache writes)."""
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="calc.py")]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="read it")])])
    with ModelServer(script) as server:
        run = run_agent(root, server, "read calc.py", model="anthropic/test-model")
    assert script.problems == [] and run.outcome.outcome == "done"
    return root, run


def test_the_finished_event_counts_the_cache_writes(tmp_path: Path) -> None:
    """Anthropic's cache writes (billed at 1.25 times the input price) were in each model_call_finished but not in
    the run's `finished`, where its cache reads were."""
    _, run = _read_through_anthropic(tmp_path)
    calls = run.of_type("model_call_finished")
    written = sum(e.cache_write_tokens for e in calls)
    finished = run.jsonl()[-1]
    jsonschema.validate(finished, documented_schema())
    assert written > 0 and (finished["type"], finished["cache_write_tokens"]) == ("finished", written)
    assert finished["cache_read_tokens"] == sum(e.cache_read_tokens for e in calls)


@pytest.mark.parametrize(("flavor", "estimated"), [("openai", False), ("nousage", True)])
def test_a_model_call_whose_usage_was_estimated_says_so(tmp_path: Path, flavor: str, estimated: bool) -> None:
    """A server that reports no usage has its counts estimated by the gateway: the event gave them as counted."""
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("finish", summary="nothing to do")])])
    with ModelServer(script, flavor=flavor) as server:
        run = run_agent(root, server, "do nothing")
    assert script.problems == [] and run.outcome.outcome == "done"
    (finished,) = [e for e in run.jsonl() if e["type"] == "model_call_finished"]
    jsonschema.validate(finished, documented_schema())
    assert finished["estimated"] is estimated and finished["input_tokens"] > 0


def _read_and_finish(tmp_path: Path, flavor: str) -> tuple[Path, Run]:
    """A run of two model calls (read calc.py, finish) against a server of `flavor`, done without problems."""
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="calc.py")]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="nothing to do")])])
    with ModelServer(script, flavor=flavor) as server:
        run = run_agent(root, server, "do nothing")
    assert script.problems == [] and run.outcome.outcome == "done"
    return root, run


@pytest.mark.parametrize(("flavor", "estimated_calls"), [("openai", 0), ("nousage", 2)])
def test_the_finished_event_counts_the_calls_whose_usage_was_estimated(tmp_path: Path, flavor: str,
                                                                      estimated_calls: int) -> None:
    """Each model_call_finished said its usage was estimated, the run's `finished` gave the same estimates in its
    totals as the servers' own counts."""
    _, run = _read_and_finish(tmp_path, flavor)
    calls, finished = run.of_type("model_call_finished"), run.jsonl()[-1]
    jsonschema.validate(finished, documented_schema())
    assert (finished["type"], finished["steps"], finished["estimated_calls"]) == ("finished", 2, estimated_calls)
    assert finished["input_tokens"] == sum(e.input_tokens for e in calls) > 0


@pytest.mark.parametrize(("flavor", "estimated_calls"), [("openai", 0), ("nousage", 2)])
def test_sessions_json_lists_the_calls_whose_usage_was_estimated(tmp_path: Path, flavor: str,
                                                                estimated_calls: int) -> None:
    """The run's `finished` counted them, the saved session did not: `sessions --json` could not tell a session's
    estimated totals from counted ones."""
    root, _ = _read_and_finish(tmp_path, flavor)
    listed = subprocess.run([sys.executable, "-m", "codewright", "sessions", "--json", "--repo", str(root)],
                            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": SRC})
    document = json.loads(listed.stdout)
    validate("sessions", document)
    assert [row["estimated_calls"] for row in document["sessions"]] == [estimated_calls]


def test_the_session_saves_the_cache_writes(tmp_path: Path) -> None:
    """`codewright sessions --json` lists a session's cache reads; its cache writes were not kept."""
    from codewright.agent.session import SessionStore

    root, run = _read_through_anthropic(tmp_path)
    store = SessionStore(root)
    try:
        (saved,) = store.list()
    finally:
        store.close()
    written = sum(e.cache_write_tokens for e in run.of_type("model_call_finished"))
    assert written > 0 and saved.cache_write_tokens == written


def test_time_limit_exits_3(tmp_path: Path) -> None:
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("run_command", command="sleep 0.6")])] * 5)
    with ModelServer(script) as server:
        run = run_agent(root, server, "wait", mode="full-auto", limits=Limits(max_seconds=1.0))
    assert run.outcome.outcome == "limit" and "time limit" in run.outcome.reason
    assert script.served < 5


@pytest.mark.parametrize("tool, arguments", [("run_command", {"command": "sleep 30"}),
                                             ("run_tests", {"command": "sleep 30"})])
def test_a_command_still_running_at_the_time_limit_is_stopped_there(tmp_path: Path, tool: str,
                                                                     arguments: dict) -> None:
    """A command ran to its own timeout (120 s, run_tests' 600 s) however far past --max-seconds that was."""
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call(tool, **arguments)])])
    started = time.monotonic()
    with ModelServer(script) as server:
        run = run_agent(root, server, "wait", mode="full-auto", limits=Limits(max_seconds=1.5))
    assert time.monotonic() - started < 15
    assert (run.outcome.outcome, run.outcome.reason) == ("limit", "time limit reached (1.5s)")
    said = run.of_type("tool_call_finished")[-1].output
    assert said.startswith("$ sleep 30\n(no output)\n[stopped after ") and said.endswith(
        "s at the session's time limit: the command and its child processes were killed]"), said


def test_a_background_process_stopped_at_the_end_is_saved_as_stopped(tmp_path: Path) -> None:
    """The processes were stopped after the last save: a resumed session read them as still running."""
    from codewright.agent.session import SessionStore
    from codewright.context import Ledger

    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("run_command", command="sleep 300", background=True)]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="started")])])
    with ModelServer(script) as server:
        run = run_agent(root, server, "start a server", mode="full-auto")
    store = SessionStore(root)
    try:
        ledger = Ledger.from_dict(store.state(run.session)["context"]["ledger"])
    finally:
        store.close()
    assert [e.kind for e in ledger.entries if e.kind.startswith("process")] == ["process", "process_stopped"]
    assert ledger.running_processes() == []


def test_a_plan_mode_session_resumed_in_full_auto_gets_the_edit_tools(tmp_path: Path) -> None:
    root = project(tmp_path)
    offered: list[set[str]] = []

    def look(rec: Recorded) -> Turn:
        offered.append({t["function"]["name"] for t in rec.body.get("tools", [])})
        return Turn(tool_calls=[call("read_file", path="calc.py")])

    def fix(rec: Recorded) -> Turn:
        offered.append({t["function"]["name"] for t in rec.body.get("tools", [])})
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n")])

    script = Script([look, fix, lambda rec: Turn(tool_calls=[call("finish", summary="fixed")])])
    with ModelServer(script) as server:
        first = run_agent(root, server, "plan the fix", mode="plan", limits=Limits(max_steps=1))
        again = run_agent(root, server, "now do it", mode="full-auto", resume=first.session)
    assert "edit_file" not in offered[0] and "edit_file" in offered[1]
    assert again.outcome.outcome == "done" and "a + b" in (root / "calc.py").read_text()


def test_a_session_stopped_by_its_time_limit_resumes_with_a_limit_of_its_own(tmp_path: Path) -> None:
    """Limits count from each invocation's start: the resumed run stopped at once, the first run's seconds
    counted against it."""
    root = project(tmp_path)
    script = Script([lambda rec: Turn(tool_calls=[call("run_command", command="sleep 0.6")])] * 2
                    + [lambda rec: Turn(tool_calls=[call("finish", summary="waited")])])
    with ModelServer(script) as server:
        first = run_agent(root, server, "wait", mode="full-auto", limits=Limits(max_seconds=1.0))
        assert first.outcome.outcome == "limit"
        again = run_agent(root, server, "", mode="full-auto", resume=first.session, limits=Limits(max_seconds=1.0))
    assert again.outcome.outcome == "done", again.outcome.reason


def test_a_resumed_session_is_told_which_files_changed_while_it_was_stopped(tmp_path: Path) -> None:
    """The model went on from the files as it had read and edited them: nothing told it that the user had
    changed them (or switched branches) meanwhile."""
    root = project(tmp_path)

    def told(rec: Recorded) -> Turn:
        notes = [m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note: while")]
        note = ("Note: while the session was stopped, files changed outside it: calc.py (modified), notes.txt "
                "(added), test_calc.py (deleted). What you read or wrote of them before may be out of date: read "
                "them again before you rely on them or edit them.")
        assert notes == [note], notes
        return Turn(tool_calls=[call("finish", summary="re-read")])

    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="calc.py")]), told])
    with ModelServer(script) as server:
        first = run_agent(root, server, "read", limits=Limits(max_steps=1))
        (root / "calc.py").write_text("def add(a, b):\n    return a + b\n")
        (root / "notes.txt").write_text("mine\n")
        (root / "test_calc.py").unlink()
        again = run_agent(root, server, "", resume=first.session)
    assert again.outcome.outcome == "done" and script.problems == []


def test_a_session_is_told_once_of_the_hand_edits_a_checkpoint_taken_back_held(tmp_path: Path) -> None:
    """The "before step" checkpoint of the user's edit, made while the model thought, was taken back (the step
    changed nothing), but the session saved it as the last checkpoint it saw: a resume counted the changes from it,
    found none, and the model went on from notes.txt as it had read it. It is told at its next step, and a resume
    counts from the files as it was told of them: not again, as made while it was stopped."""
    root = project(tmp_path)
    (root / "notes.txt").write_text("v1\n")
    notes: list[list[str]] = []

    def edited_by_hand_meanwhile(rec: Recorded) -> Turn:
        (root / "notes.txt").write_text("v2, the user's\n")
        return Turn(tool_calls=[call("run_command", command="true")])

    def told(rec: Recorded) -> Turn:
        notes.append([m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note:")])
        return Turn(tool_calls=[call("finish", summary="re-read")])

    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="notes.txt")]), edited_by_hand_meanwhile,
                     lambda rec: Turn(tool_calls=[call("finish", summary="read")]), told])
    with ModelServer(script) as server:
        first = run_agent(root, server, "read the notes", mode="full-auto")
        again = run_agent(root, server, "go on", mode="full-auto", resume=first.session)
    assert (first.outcome.outcome, again.outcome.outcome, script.problems) == ("done", "done", [])
    note = ("Note: while you wrote your last reply, files changed outside the agent: notes.txt (modified). What you "
            "read or wrote of them before may be out of date: read them again before you rely on them or edit them.")
    assert notes == [[note]]


def test_a_session_told_of_hand_edits_is_not_told_again_after_stopping_a_background_process(
        tmp_path: Path) -> None:
    """The resumed session was told of the user's edit its start checkpoint held, and saved that checkpoint as the
    last it saw; the background process it left was stopped, and the session saved again, after that checkpoint had
    been taken back (nothing followed it), with the one before it: the next resume told of the same edit again, as
    made while the session was stopped."""
    root = project(tmp_path)
    (root / "notes.txt").write_text("v1\n")
    notes: list[list[str]] = []

    def told(turn: Turn) -> Callable[[Recorded], Turn]:
        def answer(rec: Recorded) -> Turn:
            notes.append([m["content"] for m in rec.messages
                          if m["role"] == "user" and m["content"].startswith("Note: while")])
            return turn
        return answer

    script = Script([lambda rec: Turn(tool_calls=[call("read_file", path="notes.txt")]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="read")]),
                     told(Turn(tool_calls=[call("run_command", command="sleep 300", background=True)])),
                     lambda rec: Turn(tool_calls=[call("finish", summary="started")]),
                     told(Turn(tool_calls=[call("finish", summary="nothing new")]))])
    with ModelServer(script) as server:
        first = run_agent(root, server, "read the notes", mode="full-auto")
        (root / "notes.txt").write_text("v2, the user's\n")
        for words in ("start a server", "go on"):
            assert run_agent(root, server, words, mode="full-auto", resume=first.session).outcome.outcome == "done"
    note = ("Note: while the session was stopped, files changed outside it: notes.txt (modified). What you read or "
            "wrote of them before may be out of date: read them again before you rely on them or edit them.")
    assert (notes, script.problems) == ([[note], [note]], [])  # the one told at the first resume, and no other


FIX = call("edit_file", path="calc.py", old_string="    return a - b\n", new_string="    return a + b\n")


def _notes(rec: Recorded) -> list[str]:
    """The agent's notes to the model in the request, in order."""
    return [m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note:")]


@pytest.mark.parametrize(("step", "by_hand", "lead"), [
    (FIX, True, "while you wrote your last reply, files changed outside the agent"),
    (call("read_file", path="calc.py"), True, "since your last step, files changed outside the agent"),
    (FIX, False, None),
    (call("read_file", path="calc.py"), False, None),
], ids=["before an edit", "before a read", "an edit, none by hand", "a read, none by hand"])
def test_a_running_session_is_told_once_of_the_hand_edits_made_during_its_steps(
        tmp_path: Path, step: ToolUse, by_hand: bool, lead: str | None) -> None:
    """The user edited notes.txt while the model wrote a reply: that step and those after it went on from the file as
    the model had read it (its next edit of it missed or overwrote the user's), told of it only by a resume. The
    note comes in the next request, after the results of the reply's calls, and is not repeated; the agent's own
    edits are no change outside it."""
    root = project(tmp_path)
    (root / "notes.txt").write_text("v1\n")
    told: list[tuple[list[str], str]] = []

    def reply(rec: Recorded) -> Turn:
        if by_hand:
            (root / "notes.txt").write_text("v2, the user's\n")
        return Turn(tool_calls=[step])

    def noted(turn: Turn) -> Callable[[Recorded], Turn]:
        def answer(rec: Recorded) -> Turn:
            told.append((_notes(rec), rec.messages[-1]["role"]))
            return turn
        return answer

    script = Script([reply, noted(Turn(tool_calls=[call("read_file", path="notes.txt")])),
                     noted(Turn(tool_calls=[call("finish", summary="read")]))])
    with ModelServer(script) as server:
        run = run_agent(root, server, "read the notes")
    assert (run.outcome.outcome, script.problems) == ("done", [])
    note = (f"Note: {lead}: notes.txt (modified). What you read or wrote of them before may be out of date: read "
            "them again before you rely on them or edit them.")
    assert told == ([([note], "user"), ([note], "tool")] if lead else [([], "tool"), ([], "tool")])


def _undo(root: Path, server: ModelServer) -> None:
    ShadowRepo(root).rewind(1)  # what `codewright undo` does


def _another_session(root: Path, server: ModelServer) -> None:
    script = Script([lambda rec: Turn(tool_calls=[call("create_file", path="notes.txt", content="mine\n")]),
                     lambda rec: Turn(tool_calls=[call("finish", summary="noted")])])
    server.responder = script
    assert run_agent(root, server, "take a note", mode="full-auto").outcome.outcome == "done"


@pytest.mark.parametrize(("meanwhile", "changed"), [
    (_undo, "calc.py (modified)"),
    (_another_session, "notes.txt (added)"),
], ids=["undo", "another-session"])
def test_a_resumed_session_is_told_of_changes_that_moved_the_last_checkpoint(
        tmp_path: Path, meanwhile: Callable[[Path, ModelServer], None], changed: str) -> None:
    """An undo, or another session's edits, made checkpoints of their own: the resuming checkpoint found the files
    as the last checkpoint had them and nothing changed, and the model went on from edits no longer there."""
    root = project(tmp_path)
    notes: list[list[str]] = []

    def told(rec: Recorded) -> Turn:
        notes.append([m["content"] for m in rec.messages if m["role"] == "user" and m["content"].startswith("Note:")])
        return Turn(tool_calls=[call("finish", summary="re-read")])

    with ModelServer(Script([lambda rec: Turn(tool_calls=[FIX])])) as server:
        first = run_agent(root, server, "fix add", mode="full-auto", limits=Limits(max_steps=1))
        meanwhile(root, server)
        server.responder = Script([told])
        again = run_agent(root, server, "", mode="full-auto", resume=first.session)
    assert again.outcome.outcome == "done"
    note = (f"Note: while the session was stopped, files changed outside it: {changed}. What you read or wrote of "
            "them before may be out of date: read them again before you rely on them or edit them.")
    assert notes == [[note]]


def test_a_reply_still_streaming_at_the_time_limit_is_cut_there(tmp_path: Path) -> None:
    root = project(tmp_path)
    slow = Turn(text="thinking " * 400, chunk_delay=0.01, chunk_size=4)  # ~9 s if streamed to the end
    script = Script([lambda rec: slow])
    with ModelServer(script) as server:
        run = run_agent(root, server, "think", mode="full-auto", limits=Limits(max_seconds=1.0))
    assert run.outcome.outcome == "limit" and run.outcome.exit_code == 3
    assert run.outcome.reason == "time limit reached (1s) during a model call"
    (finished,) = run.of_type("finished")
    assert finished.steps == 0  # the cut reply is not part of the session: --resume asks again


def test_yes_approves_what_the_mode_would_ask_and_says_so(tmp_path: Path) -> None:
    root = project(tmp_path)

    def act(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("read_file", path="calc.py"),
                                call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n"),
                                call("run_command", command=PYTEST)])

    def finish(rec: Recorded) -> Turn:
        assert "2 passed" in last_result(rec)
        return Turn(tool_calls=[call("finish", summary="fixed")])

    script = Script([act, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "fix add", mode="ask", yes=True,
                        approve=lambda request: pytest.fail(f"asked despite --yes: {request}"))
    assert script.problems == []
    by = {e.name: e.by for e in run.of_type("tool_call_approved")}
    assert by == {"read_file": "mode", "edit_file": "yes", "run_command": "yes", "finish": "mode"}


def test_the_named_test_runs_first_and_a_repeated_plan_is_turned_back(tmp_path: Path) -> None:
    """Reproduce first: the failing test the task names is in the first request and is rerun after
    each edit; a plan sent twice unchanged is answered with a push to act."""
    root = project(tmp_path)
    steps = [{"step": "fix add in calc.py", "status": "in_progress"}]
    seen: dict[str, str] = {}

    def plan(rec: Recorded) -> Turn:
        seen["first"] = "\n".join(str(m.get("content")) for m in rec.messages)
        return Turn(tool_calls=[call("plan", steps=steps)])

    def same_plan(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("plan", steps=steps)])

    def fix(rec: Recorded) -> Turn:
        seen["again"] = last_result(rec)
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n")])

    def finish(rec: Recorded) -> Turn:
        seen["edited"] = last_result(rec)
        return Turn(tool_calls=[call("finish", summary="fixed add")])

    script = Script([plan, same_plan, fix, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto")
    assert script.problems == []
    assert "The test(s) the task names, run before you start (they fail)" in seen["first"]
    assert "test_calc.py::test_add" in seen["first"] and "assert -1 == 5" in seen["first"]
    assert seen["again"].startswith("plan unchanged")
    assert len(run.of_type("plan_updated")) == 1
    assert seen["edited"].endswith("pass now (test_calc.py::test_add): run the whole suite, then finish.")
    requested = [(e.call_id, e.name) for e in run.of_type("tool_call_requested")]
    assert requested[0] == ("reproduce-1", "run_tests")
    schema = ev.json_schema()
    for event in run.events:  # the agent's own run_tests call is an event like any other, renderers included
        jsonschema.validate(event.to_dict(), schema)
    assert run.outcome.outcome == "done"


def test_finishing_with_the_named_test_still_failing_runs_the_tests_first(tmp_path: Path) -> None:
    root = project(tmp_path)
    seen: list[str] = []

    def finish(rec: Recorded) -> Turn:
        seen.append(last_result(rec) if seen else "")
        return Turn(tool_calls=[call("finish", summary="nothing to do")])

    script = Script([finish, finish])
    with ModelServer(script) as server:
        run = run_agent(root, server, "test_add fails; fix it", mode="full-auto",
                        limits=Limits(max_steps=40, attempts=1))
    assert script.problems == []
    assert seen[1].startswith("not finished: the tests fail after your changes.")
    assert run.outcome.outcome == "done"  # the second finish is taken as it is


def test_a_resumed_session_still_reruns_the_named_tests_after_an_edit(tmp_path: Path) -> None:
    root = project(tmp_path)
    seen: list[str] = []

    def read(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("read_file", path="calc.py")])

    def fix(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n")])

    def finish(rec: Recorded) -> Turn:
        seen.append(last_result(rec))
        return Turn(tool_calls=[call("finish", summary="fixed")])

    script = Script([read, fix, finish])
    with ModelServer(script) as server:
        first = run_agent(root, server, "test_add fails; fix it", mode="full-auto", limits=Limits(max_steps=1))
        assert first.outcome.outcome == "limit"
        again = run_agent(root, server, "", mode="full-auto", resume=first.session)
    assert script.problems == []
    assert again.outcome.outcome == "done"
    assert seen[0].endswith("pass now (test_calc.py::test_add): run the whole suite, then finish.")


def test_a_call_cut_off_at_the_output_limit_is_not_run_and_the_model_is_told(tmp_path: Path) -> None:
    """JSON repair would close the cut arguments into a valid call and write a truncated file."""
    root = project(tmp_path)
    cut = '{"path": "calc.py", "overwrite": true, "content": "def add(a, b):\\n    return a + b\\n\\n\\ndef mu'
    seen: list[Recorded] = []

    def cut_write(rec: Recorded) -> Turn:
        return Turn(tool_calls=[ToolUse("create_file", cut)], finish_reason="length")

    def fix(rec: Recorded) -> Turn:
        seen.append(rec)
        return Turn(tool_calls=[call("edit_file", path="calc.py", old_string="    return a - b\n",
                                     new_string="    return a + b\n")])

    script = Script([cut_write, fix, lambda rec: Turn(tool_calls=[call("finish", summary="fixed")])])
    with ModelServer(script) as server:
        run = run_agent(root, server, "fix add", mode="full-auto")
    assert script.problems == []  # the cut call was answered, as a provider requires
    assert "not run: the reply was cut off" in last_result(seen[0])
    assert "cut off at the output limit" in seen[0].messages[-1]["content"]
    assert [e.kind for e in run.of_type("error")] == ["cut_off"]
    assert run.outcome.outcome == "done" and (root / "calc.py").read_text() == CALC.replace("a - b", "a + b")


def test_replies_cut_off_three_times_in_a_row_end_the_attempt_as_stuck(tmp_path: Path) -> None:
    """A cut-off reply with no call (a constrained call that never closed, a loop stopped by the provider) is
    not the model ending its turn: the run does not report `done`."""
    root = project(tmp_path)
    looping = Turn(text='{"thought": "plan", "name": "plan", "arguments": {"steps": [' + '{"step": "Write it."}, ' * 20,
                   finish_reason="length")
    script = Script([lambda rec: looping] * 3)
    with ModelServer(script) as server:
        run = run_agent(root, server, "fix add", mode="full-auto", limits=Limits(max_steps=10, attempts=1))
    assert script.problems == []
    assert run.outcome.outcome == "stuck" and run.outcome.exit_code == 1
    assert "cut off at the output limit 3 times in a row" in run.outcome.reason
    assert (root / "calc.py").read_text() == CALC


@pytest.mark.parametrize("chat, second, outcome, code", [
    (False, "", "failed", 1), (False, "The answer is 4.", "done", 0),
    (True, "", "failed", 1), (True, "The answer is 4.", "replied", 0),
], ids=["run: nothing twice", "run: an answer after the nudge", "chat: nothing twice", "chat: an answer after the nudge"])
def test_a_turn_whose_model_says_nothing_twice_fails(tmp_path: Path, chat: bool, second: str, outcome: str,
                                                      code: int) -> None:
    """An empty reply, then another after the nudge, ended the run as done with exit 0: nothing was done. A chat's
    turn ended at the first, nothing shown to the user: it is asked again too."""
    root = project(tmp_path)
    with ModelServer() as server:
        server.script(Turn(text=""), Turn(text=second))
        run = run_agent(root, server, "what is 2 + 2?", chat=chat)
    assert (run.outcome.outcome, run.outcome.exit_code) == (outcome, code)
    assert [e.text for e in run.of_type("assistant_message")] == ([second] if second else [])


@pytest.mark.parametrize("summary, reason", [(5, "5"), (1.5, "1.5")], ids=["an integer", "a number"])
def test_a_finish_summary_written_as_a_number_ends_the_run_with_it_as_text(tmp_path: Path, summary: float,
                                                                           reason: str) -> None:
    """The run's reason was the summary as the model wrote it: a number broke the finished event's schema and
    the terminal's last line (a renderer failure)."""
    root = project(tmp_path)
    with ModelServer() as server:
        server.script(Turn(tool_calls=[call("finish", summary=summary)]))
        run = run_agent(root, server, "what is 2 + 2?")
    assert (run.outcome.outcome, run.outcome.reason) == ("done", reason)
    finished = run.jsonl()[-1]
    jsonschema.validate(finished, documented_schema())
    assert (finished["type"], finished["reason"]) == ("finished", reason)


@pytest.mark.parametrize("cuts, outcome, retried", [(1, "done", 1), (2, "done", 2), (3, "failed", 2)],
                         ids=["cut once", "cut twice", "cut three times"])
def test_a_reply_whose_stream_breaks_off_is_asked_for_again(tmp_path: Path, cuts: int, outcome: str,
                                                            retried: int) -> None:
    """A stream cut after it had started (a connection reset) failed the run at once, though nothing of the reply
    was kept or run."""
    from tests.support.model_server import Fault

    root = project(tmp_path)
    edit = [call("edit_file", path="calc.py", old_string="a - b", new_string="a + b")]
    with ModelServer() as server:
        server.script(*[Turn(tool_calls=edit, fault=Fault.cut(after_chunks=4))] * cuts, Turn(tool_calls=edit),
                      Turn(tool_calls=[call("finish", summary="fixed")]))
        run = run_agent(root, server, "fix add")
    assert run.outcome.outcome == outcome, run.outcome.reason
    assert [e.recoverable for e in run.of_type("error")] == [True] * retried + ([False] if outcome == "failed" else [])
    assert ("a + b" in (root / "calc.py").read_text()) == (outcome == "done")


def test_the_time_limit_holds_while_the_model_sends_nothing(tmp_path: Path) -> None:
    """The gateway waited out its read timeout on every retry (3 x 120 s by default) past --max-seconds."""
    from tests.support.model_server import Fault

    root = project(tmp_path)
    with ModelServer() as server:
        server.script(*[Fault.hang(20.0)] * 3)
        started = time.monotonic()
        run = run_agent(root, server, "fix it", limits=Limits(max_steps=40, max_seconds=2))
    assert (run.outcome.outcome, run.outcome.exit_code) == ("limit", 3)
    assert "time limit reached (2s)" in run.outcome.reason
    assert time.monotonic() - started < 10


IGNORED = {"local.cfg": "db=mine\n", "build/config.mk": "CFLAGS=-O2\n", "notes.local": "mine\n",
           "settings.local": "debug=1\n"}


def ignored_project(tmp_path: Path) -> Path:
    """calc, and files the project's .gitignore leaves out: the user's, which no checkpoint holds."""
    root = project(tmp_path)
    (root / ".gitignore").write_text("local.cfg\nbuild/\n*.local\n")
    (root / "build").mkdir()
    for path, text in IGNORED.items():
        (root / path).write_text(text)
    return root


def test_ignored_files_the_file_tools_overwrite_or_delete_come_back_with_undo(tmp_path: Path) -> None:
    """Undo could not bring back an ignored file (a local config) that create_file, edit_file, apply_patch or
    delete_file changed: no checkpoint held it."""
    from codewright.agent.checkpoint import ShadowRepo

    root = ignored_project(tmp_path)
    writes = [call("create_file", path="local.cfg", content="db=theirs\n", overwrite=True),
              call("edit_file", path="build/config.mk", old_string="-O2", new_string="-O0"),
              call("apply_patch", text="*** Begin Patch\n*** Update File: settings.local\n@@\n-debug=1\n+debug=0\n"
                                       "*** End Patch\n"),
              call("delete_file", path="notes.local"),
              call("edit_file", path="calc.py", old_string="a - b", new_string="a + b")]
    script = Script([lambda rec: Turn(tool_calls=writes), lambda rec: Turn(tool_calls=[call("finish", summary="ok")])])
    with ModelServer(script) as server:
        run = run_agent(root, server, "tidy up", mode="full-auto")
    assert script.problems == [] and run.outcome.outcome == "done"
    assert not (root / "notes.local").exists() and (root / "local.cfg").read_text() == "db=theirs\n"
    ShadowRepo(root).rewind(1)
    assert {path: (root / path).read_text() for path in IGNORED} == IGNORED
    assert (root / "calc.py").read_text() == CALC


def test_a_restarted_attempt_puts_back_the_ignored_files_it_changed(tmp_path: Path) -> None:
    """The restart undoes the attempt's own changes: an ignored file it had edited must come back, not be deleted
    (the checkpoint it goes back to never held it)."""
    root = ignored_project(tmp_path)
    wrong = call("edit_file", path="local.cfg", old_string="db=mine", new_string="db=wrong")
    bad = call("edit_file", path="calc.py", old_string="no such line\n", new_string="x\n")
    turns = [Turn(tool_calls=[wrong])] + [Turn(tool_calls=[bad])] * 3 + [Turn(tool_calls=[call("finish", summary="ok")])]
    script = Script([lambda rec, turn=turn: turn for turn in turns])
    with ModelServer(script) as server:
        run = run_agent(root, server, "fix calc", mode="full-auto")
    (restart,) = run.of_type("attempt_restarted")
    assert restart.files == ["local.cfg"]
    assert {path: (root / path).read_text() for path in IGNORED} == IGNORED


def _ctrl_c(request: object) -> bool:
    """The user presses Ctrl-C at the approval question."""
    raise KeyboardInterrupt


@pytest.mark.parametrize(("first_turn", "approve", "ended"), [
    (Turn(tool_calls=[call("finish", summary="notes.txt read")]), None, "ended (done: notes.txt read)"),
    (Turn(tool_calls=[call("create_file", path="todo.txt", content="x\n")]), _ctrl_c,
     "ended (interrupted: interrupted by the user (Ctrl-C))"),
])
def test_a_resume_without_new_words_tells_the_model_how_the_session_ended(
        tmp_path: Path, first_turn: Turn, approve: Callable[[object], bool] | None, ended: str) -> None:
    """The note said "interrupted" whatever the saved outcome: a session that was done went looking for work."""
    (tmp_path / "notes.txt").write_text("hello\n")
    seen: list[Recorded] = []

    def resumed(rec: Recorded) -> Turn:
        seen.append(rec)
        return Turn(tool_calls=[call("finish", summary="nothing left")])

    with ModelServer(Script([lambda rec: first_turn, resumed])) as server:
        first = run_agent(tmp_path, server, "read notes.txt", mode="ask", approve=approve)
        again = run_agent(tmp_path, server, "", mode="ask", resume=first.session)
    assert again.outcome.outcome == "done"
    assert seen[0].messages[-1]["content"].rsplit("\n\n", 1)[-1] == (  # after the retrieved code, if any
        f"The session {ended} and is now resumed: continue the task where you left off.")
