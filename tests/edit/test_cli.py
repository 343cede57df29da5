"""`codewright apply`: exit codes, output, and --json against the schema in docs/cli.md."""

from __future__ import annotations

import io
import json
import sys

import pytest

from codewright.cli.main import main
from support.cli_schema import validate

DIFF = "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_apply_prints_what_changed(tree, capsys):
    root = tree({"a.py": "x = 1\ny = 2\n"})
    (root / "fix.diff").write_text(DIFF)
    code, out, _ = run(capsys, "apply", str(root / "fix.diff"), "--repo", str(root))
    assert code == 0
    assert "modify a.py [exact]" in out and "+y = 3" in out
    assert (root / "a.py").read_text() == "x = 1\ny = 3\n"


def test_apply_reads_standard_input_and_reports_json(tree, capsys, monkeypatch):
    root = tree({"a.py": "x = 1\ny = 2\n"})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DIFF.encode())))
    code, out, _ = run(capsys, "apply", "-", "--repo", str(root), "--json", "--dry-run")
    document = json.loads(out)
    validate("apply", document)
    assert code == 0 and document["ok"] and document["dry_run"] and document["format"] == "udiff"
    assert document["changes"][0]["path"] == "a.py" and document["changes"][0]["tiers"] == ["exact"]
    assert (root / "a.py").read_text() == "x = 1\ny = 2\n"


def test_apply_failure_exits_1_with_the_reason(tree, capsys):
    root = tree({"a.py": "x = 1\ny = 5\n", "fix.diff": DIFF.replace("x = 1", "q = 0")})
    code, out, err = run(capsys, "apply", str(root / "fix.diff"), "--repo", str(root))
    assert code == 1 and out == ""
    assert "a.py: edit 1" in err and "Traceback" not in err
    assert (root / "a.py").read_text() == "x = 1\ny = 5\n"


def test_apply_failure_as_json(tree, capsys):
    root = tree({"a.py": "z\n", "fix.diff": DIFF})
    code, out, _ = run(capsys, "apply", str(root / "fix.diff"), "--repo", str(root), "--json")
    document = json.loads(out)
    validate("apply", document)
    assert code == 1 and not document["ok"] and "not found" in document["error"]


@pytest.mark.parametrize("argv", [
    ["apply", "/no/such/file.diff"],
    ["apply", "-", "--repo", "/no/such/dir"],
    ["apply", "/no/such/file.diff", "--format", "rewrite"],
])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("codewright: ")


def test_named_format_is_used(tree, capsys):
    root = tree({"a.py": "x = 1\n", "w.txt": "a.py\n```\nx = 2\n```\n"})
    code, _out, _ = run(capsys, "apply", str(root / "w.txt"), "--repo", str(root), "--format", "whole")
    assert code == 0 and (root / "a.py").read_text() == "x = 2\n"
