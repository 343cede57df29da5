"""All 34 Aider polyglot exercises (Python) through the real agent, with a scripted model.

For each exercise the scripted model plans, reads the stub (the next request must carry
the stub's real content), replaces it with a first draft of the reference solution that
has one function broken (the search block damaged one way: indentation offset or a blank
line), runs the tests and sees them fail, fixes the function (the search block with its
trailing whitespace stripped plus one more damage: an altered context line, indentation,
or a blank line), runs the tests again, sees them pass and finishes. The exercise's own
tests then run once more, outside the agent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.support.model_server import ModelServer, Recorded, Turn

from .damage import break_one_function, damage, damage_edit
from .harness import Script, call, last_result, run_agent

PYTEST = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q -p no:cacheprovider"
FIRST_DAMAGE = ("indentation", "none")
WORKERS = 4
FIX_DAMAGE = ("altered-line", "indentation", "blank-lines")


def exercises(eval_data: Path) -> list[dict]:
    path = eval_data / "aider_polyglot_python.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def script_for(row: dict, number: int) -> Script:
    (name, stub), = row["solution_files"].items()
    reference = row["reference_solution"][name]
    draft = break_one_function(reference, "".join(row["test_files"].values()))
    tests = " ".join(n for n in row["test_files"] if n.endswith("_test.py"))
    plan = [{"step": "read the stub", "status": "in_progress"}, {"step": "implement", "status": "pending"},
            {"step": "run the tests", "status": "pending"}]

    def start(rec: Recorded) -> Turn:
        assert row["instructions"][:60] in rec.last_text, "the task is not in the user message"
        return Turn(text="Plan first.", tool_calls=[call("plan", steps=plan), call("read_file", path=name)])

    def write_draft(rec: Recorded) -> Turn:
        shown = last_result(rec, "read_file")
        for line in stub.splitlines():
            assert line.rstrip() in shown, f"the stub line {line!r} was not really read"
        old, new = damage_edit(stub, draft.text, FIRST_DAMAGE[number % len(FIRST_DAMAGE)])
        return Turn(tool_calls=[call("edit_file", path=name, old_string=old, new_string=new)])

    def test_draft(rec: Recorded) -> Turn:
        assert "changed 1 file" in last_result(rec), f"the draft edit failed: {last_result(rec)[:300]}"
        return Turn(tool_calls=[call("run_command", command=f"{PYTEST} {tests}")])

    def fix(rec: Recorded) -> Turn:
        output = last_result(rec)
        assert "failed" in output and "NotImplementedError" in output, f"the draft's tests did not fail: {output[-300:]}"
        stripped = "".join(line.rstrip() + "\n" for line in draft.broken_block.splitlines())
        old, new = damage_edit(stripped, draft.fixed_block, FIX_DAMAGE[number % len(FIX_DAMAGE)])
        return Turn(text=f"`{draft.function}` still raises; fixing it.",
                    tool_calls=[call("edit_file", path=name, old_string=old, new_string=new)])

    def test_again(rec: Recorded) -> Turn:
        assert "changed 1 file" in last_result(rec), f"the fix did not apply: {last_result(rec)[:300]}"
        return Turn(tool_calls=[call("run_command", command=f"{PYTEST} {tests}")])

    def finish(rec: Recorded) -> Turn:
        output = last_result(rec)
        assert "passed" in output and "failed" not in output, f"the tests still fail: {output[-300:]}"
        done = [{**step, "status": "done"} for step in plan]
        return Turn(tool_calls=[call("plan", steps=done), call("finish", summary=f"implemented {name}")])

    return Script([start, write_draft, test_draft, fix, test_again, finish], window=16_000)


def solve(row: dict, number: int, root: Path) -> str | None:
    """One exercise through the agent; None when it passed, else what went wrong."""
    root.mkdir()
    for file, text in {**row["solution_files"], **row["test_files"]}.items():
        (root / file).write_text(text, encoding="utf-8")
    script = script_for(row, number)
    with ModelServer(script, context_window=16_000) as server:
        run = run_agent(root, server, row["instructions"], mode="full-auto", window=16_000)
    passed = subprocess.run(PYTEST, shell=True, cwd=root, capture_output=True, text=True, check=False).returncode == 0
    if script.problems or run.outcome.outcome != "done" or not passed:
        return f"{row['exercise']}: {run.outcome} {script.problems[:3]} tests passed={passed}"
    # The draft's trailing spaces stay on the context lines the fix kept (as the file had them).
    (name, _), = row["solution_files"].items()
    text = [line.rstrip() for line in (root / name).read_text(encoding="utf-8").splitlines()]
    if text != [line.rstrip() for line in row["reference_solution"][name].splitlines()]:
        return f"{row['exercise']}: the file differs from the reference solution"
    return None


def test_all_polyglot_exercises_pass(eval_data: Path, tmp_path: Path) -> None:
    rows = exercises(eval_data)
    assert len(rows) == 34
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # sessions are independent; they wait on processes
        results = list(pool.map(lambda item: solve(item[1], item[0], tmp_path / item[1]["exercise"]),
                                enumerate(rows)))
    failures = [r for r in results if r]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("kind", ["indentation", "blank-lines", "altered-line", "trailing-whitespace"])
def test_damage_changes_the_block(kind: str) -> None:
    block = "def f(x):\n    y = x   \n\n    return y\n"
    assert damage(block, kind) != block
