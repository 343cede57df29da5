"""`codewright eval json`: the targets (163/163 json_repair cases, every JSONTestSuite accept
case one-shot and streamed) and the --json output against its schema in docs/cli.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from codewright.eval.json_suite import run_suite

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _schema() -> dict:
    # Looked up by its full heading: the shared lookup keys sections by the first word only.
    text = DOC.read_text(encoding="utf-8")
    head = re.search(r"^### codewright eval json\b.*$", text, re.MULTILINE)
    assert head, "docs/cli.md has no section for `codewright eval json`"
    block = re.compile(r"```json\n(.*?)\n```", re.DOTALL).search(text, head.end())
    assert block
    return json.loads(block.group(1))


def test_targets_are_met(eval_data: Path) -> None:
    summary = run_suite(eval_data)
    plain = summary["json_repair"]["no_options"]
    assert (plain["cases"], plain["passed"], plain["failed"]) == (163, 163, [])
    assert plain["streaming_equal"] == 163
    accept = summary["jsontestsuite"]["accept"]
    assert accept["one_shot_and_streaming_ok"] == accept["cases"] == 95
    for group in summary["jsontestsuite"].values():
        assert group["streaming_equal"] == group["cases"]
    assert summary["targets_met"] is True


def test_cli_json_output_matches_documented_schema(eval_data: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "codewright", "eval", "json", "--data", str(eval_data), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(out.stdout)
    jsonschema.validate(summary, _schema())
    assert summary["targets_met"] is True


def test_missing_data_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "codewright", "eval", "json", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "missing" in out.stderr and "Traceback" not in out.stderr
