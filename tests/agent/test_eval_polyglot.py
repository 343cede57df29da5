"""`codewright eval polyglot` against the test server: two tries the aider way, resumable results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli_schema import validate
from tests.support.model_server import ModelServer, Recorded, Turn

from codewright.eval.polyglot import machine

from .damage import break_one_function
from .harness import MODEL, call, last_result
from .test_polyglot_e2e import exercises

PICK = ("proverb", "transpose")


def responder(rows: dict[str, dict]):  # type: ignore[no-untyped-def]
    """proverb is solved on the first try; transpose's first try is wrong and fixed from the test output."""

    def reply(rec: Recorded) -> Turn:
        text = json.dumps(rec.messages)
        row = next(r for name, r in rows.items() if name.replace("-", "_") + ".py" in text)
        (name, _), = row["solution_files"].items()
        reference = row["reference_solution"][name]
        results = [m for m in rec.messages if m["role"] == "tool"]
        if not results:
            return Turn(tool_calls=[call("read_file", path=name)])
        if "See the testing errors above" in rec.messages[-1]["content"]:
            assert "NotImplementedError" in rec.messages[-1]["content"]  # the try-2 prompt holds the test output
            return Turn(tool_calls=[call("create_file", path=name, content=reference, overwrite=True)])
        if "finished" in last_result(rec) or "changed" in last_result(rec) or "wrote" in last_result(rec):
            return Turn(tool_calls=[call("finish", summary="done")])
        first = reference if row["exercise"] == "proverb" else \
            break_one_function(reference, "".join(row["test_files"].values())).text
        return Turn(tool_calls=[call("create_file", path=name, content=first, overwrite=True)])

    return reply


def run_eval(tmp_path: Path, server: ModelServer) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **server.env()}
    return subprocess.run(
        [sys.executable, "-m", "codewright", "eval", "polyglot", "--model", MODEL, "--exercises", ",".join(PICK),
         "-j", "2", "--workdir", str(tmp_path / "work"), "--time-cap", "120", "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_two_tries_scored_and_a_rerun_resumes(eval_data: Path, tmp_path: Path) -> None:
    rows = {r["exercise"]: r for r in exercises(eval_data) if r["exercise"] in PICK}
    with ModelServer(responder(rows)) as server:
        done = run_eval(tmp_path, server)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.strip().splitlines()]
        for line in lines:  # each exercise's line, then the summary
            validate("eval polyglot", line)
        assert sorted(line["exercise"] for line in lines[:-1]) == sorted(PICK)
        summary = lines[-1]
        assert summary["exercises"] == 2 and summary["errors"] == 0
        assert summary["pass_rate_1"] == 0.5 and summary["pass_rate_2"] == 1.0
        assert summary["input_tokens"] > 0 and summary["cache_read_tokens"] > 0
        results = (tmp_path / "work" / "results-openai_test-model.jsonl").read_text().splitlines()
        by_name = {json.loads(line)["exercise"]: json.loads(line) for line in results}
        assert by_name["proverb"]["tries"] == 1 and by_name["transpose"]["tries"] == 2
        assert summary["machines"] == [machine()] == [by_name["proverb"]["machine"]]  # where each part ran
        exercise = tmp_path / "work" / "openai_test-model" / "proverb"
        assert not list(exercise.glob("*.jsonl"))  # the agent's tree holds no log of itself
        log = exercise.with_name("proverb.events.jsonl").read_text().splitlines()
        assert json.loads(log[0])["type"] == "session_started"
        offered = {tool["function"]["name"] for rec in server.requests for tool in rec.body.get("tools", [])}
        assert {"read_file", "create_file", "finish"} <= offered  # the harness runs the tests: no tool that
        assert not offered & {"run_tests", "run_command"}  # runs a command is offered, in either try
        served = len(server.requests)
        again = run_eval(tmp_path, server)
        assert again.returncode == 0, again.stderr
        assert len(server.requests) == served  # nothing re-run
        assert json.loads(again.stdout.strip().splitlines()[-1]) == {**summary, "seconds": summary["seconds"]}
