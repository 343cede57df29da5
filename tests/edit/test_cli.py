"""`codewright apply`: exit codes, output, and --json against the schema in docs/cli.md."""

from __future__ import annotations

import io
import json
import sys

import pytest

from codewright.cli.main import main
from support.cli_schema import validate_strictly

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
    validate_strictly("apply", document)
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
    validate_strictly("apply", document)
    assert code == 1 and not document["ok"] and "not found" in document["error"]
    assert document["format"] == "udiff"  # the format the edits were read in, though not applied


MOVE = "diff --git a/a.py b/b.py\nsimilarity index 100%\nrename from a.py\nrename to b.py\n"


@pytest.mark.parametrize(("edits", "code", "document"), [
    ("no edits here\n", 1, {"ok": False, "dry_run": True, "format": None, "changes": [], "error":
     "Could not recognise the edits: send SEARCH/REPLACE blocks, a unified diff, a `*** Begin Patch` patch, JSON "
     "old_string/new_string, or a path line followed by a fenced whole file."}),
    ("a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 1\n>>>>>>> REPLACE\n", 0,
     {"ok": True, "dry_run": True, "format": "search-replace", "changes": []}),
    (MOVE, 0, {"ok": True, "dry_run": True, "format": "udiff", "changes": [
        {"path": "b.py", "action": "move", "diff": "", "tiers": ["exact"], "moved_from": "a.py"}]}),
])
def test_each_outcome_in_json_matches_the_schema(tree, capsys, edits, code, document):
    """Edits not read (no format), edits that change nothing, a move without a diff: the outputs whose fields
    differ from a plain change's, each held to the schema."""
    root = tree({"a.py": "x = 1\n", "edits.txt": edits})
    assert run(capsys, "apply", str(root / "edits.txt"), "--repo", str(root), "--json", "--dry-run")[:2] == (
        code, json.dumps(document) + "\n")
    validate_strictly("apply", document)


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


LATIN_1 = DIFF.replace("y = 3", "y = '\xe9'").encode("latin-1")
NOT_TEXT = {
    "NUL bytes": (DIFF.encode() + b"\x00", f"is not text: it contains NUL bytes (the first at offset {len(DIFF)})"),
    "Latin-1": (LATIN_1, f"is not text: byte 0xe9 at offset {LATIN_1.index(0xe9)} is not UTF-8"),
    "UTF-16": (DIFF.encode("utf-16"), "is not text: it is UTF-16; save it as UTF-8"),
}


@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize(("data", "reason"), NOT_TEXT.values(), ids=NOT_TEXT.keys())
def test_edits_that_are_not_text_are_refused_alike_from_a_file_and_stdin(tree, capsys, monkeypatch, source, data,
                                                                         reason):
    root = tree({"a.py": "x = 1\ny = 2\n", "fix.diff": data})
    name, label = (str(root / "fix.diff"),) * 2 if source == "file" else ("-", "standard input")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(capsys, "apply", name, "--repo", str(root))
    assert (code, out, err) == (2, "", f"codewright: {label} {reason}\n")
    assert (root / "a.py").read_text() == "x = 1\ny = 2\n"


@pytest.mark.parametrize("source", ["/dev/zero", "stdin"])
def test_input_over_the_limit_is_refused_without_reading_it_whole(tree, capsys, monkeypatch, source):
    """/dev/zero given as edits (or a task) was read to the end of memory."""
    from codewright.cli.inputs import INPUT_LIMIT

    root = tree({"a.py": "x = 1\n"})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"y" * (INPUT_LIMIT + 1))))
    name, label = (source, source) if source != "stdin" else ("-", "standard input")
    code, out, err = run(capsys, "apply", name, "--repo", str(root))
    assert (code, out, err) == (2, "", f"codewright: {label} is over 64 MB: give the task or edits, not a dump\n")


def _block(path: str, old: str, new: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{old}\n=======\n{new}\n>>>>>>> REPLACE\n"


NO_FILE_PATH = ("A SEARCH/REPLACE block has no file path: put the path alone on the line before the block's "
                "opening fence.")
PATH_LINES = {
    "a folder named alone": (_block("sub", "hello", "x"), "sub: is a directory, not a file."),
    "a folder after a block for another file": (
        _block("a.py", "hello", "x") + _block("sub", "world", "y"), "sub: is a directory, not a file."),
    "a name too long for the file system": (
        _block("n" * 300 + ".py", "hello", "x"), f"{'n' * 300}.py: cannot be used as a file path (File name too long)."),
    "a long word that is not in the tree": (_block("n" * 300, "hello", "x"), NO_FILE_PATH),
}


@pytest.mark.parametrize(("text", "reason"), PATH_LINES.values(), ids=PATH_LINES.keys())
def test_a_blocks_path_line_that_names_no_file_is_refused_by_name(tree, snapshot, capsys, text, reason):
    root = tree({"a.py": "hello\nworld\n", "sub/keep.txt": "k\n", "fix.txt": text})
    before = snapshot(root)
    assert run(capsys, "apply", str(root / "fix.txt"), "--repo", str(root)) == (1, "", f"codewright: {reason}\n")
    assert snapshot(root) == before


def test_a_blocks_path_line_may_name_a_file_without_a_dot(tree, capsys):
    root = tree({"LICENSE": "MIT\n", "fix.txt": _block("LICENSE", "MIT", "BSD")})
    code, out, _ = run(capsys, "apply", str(root / "fix.txt"), "--repo", str(root))
    assert code == 0 and "modify LICENSE [exact]" in out
    assert (root / "LICENSE").read_text() == "BSD\n"
