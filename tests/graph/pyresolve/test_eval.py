"""The dev-set targets of issue 8, measured the way `codewright eval callgraph` measures them."""

from __future__ import annotations

import json

from tests.support.cli_schema import validate

from codewright.cli.main import main
from codewright.eval.callgraph import evaluate, load_rows


def test_dev_set_meets_targets(eval_data):
    rows = load_rows(eval_data / "pycg_micro_benchmark.jsonl", None)
    summary = evaluate(rows)
    assert summary["cases"] == 119
    assert summary["exact"] >= 113, summary["inexact"]
    assert summary["precision"] >= 0.99
    assert summary["recall"] >= 0.97


def test_eval_command_prints_summary_line(eval_data, capsys):
    assert main(["eval", "callgraph", "--data", str(eval_data / "pycg_micro_benchmark.jsonl"),
                 "--case", "mro/"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    validate("eval callgraph", summary)
    assert summary["cases"] == 7 and summary["exact"] == 7


def test_eval_missing_data_is_usage_error(tmp_path, capsys):
    assert main(["eval", "callgraph", "--data", str(tmp_path / "none.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err


def test_a_case_filter_matching_nothing_is_usage_error(eval_data, capsys):
    """It scored 0 cases as precision and recall 1.0, exit 0."""
    data = eval_data / "pycg_micro_benchmark.jsonl"
    assert main(["eval", "callgraph", "--data", str(data), "--case", "no-such-case"]) == 2
    assert capsys.readouterr().err == f"codewright: no case of {data} matches --case 'no-such-case'\n"
