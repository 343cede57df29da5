"""`codewright find`'s task input: TEXT, --query-file F or --query-file - (standard input), read by the rule
`apply` reads its edits with, and refused in one line (exit 2) when it cannot be a task."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.cli.main import main

REPO = {"shop/pricing.py": "def apply_discount(subtotal, rate):\n    return subtotal * (1 + rate)\n",
        "shop/shipping.py": "def shipping_cost(weight):\n    return 5 + weight\n"}
TASK = "apply_discount adds the discount instead of taking it off"


def run(capsys, monkeypatch, tmp_path: Path, stdin: bytes | None, *argv: str) -> tuple[int, str, str]:
    """`codewright find ARGV --repo REPO` in-process, with `stdin` as its standard input when given."""
    root = make_repo(tmp_path / "repo", REPO)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main(["find", *argv, "--repo", str(root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_query_file_dash_reads_the_task_from_standard_input(capsys, monkeypatch, tmp_path):
    code, out, err = run(capsys, monkeypatch, tmp_path, TASK.encode(), "--query-file", "-", "--json")
    assert code == 0, err
    assert json.loads(out)["functions"][0]["id"] == "shop/pricing.py::apply_discount"


NOT_TEXT = {
    "NUL bytes": (b"apply_discount\x00\x01\x02", "is not text: it contains NUL bytes (the first at offset 14)"),
    "Latin-1": ("apply_discount is caf\xe9".encode("latin-1"), "is not text: byte 0xe9 at offset 21 is not UTF-8"),
    "UTF-16": ("apply_discount".encode("utf-16"), "is not text: it is UTF-16; save it as UTF-8"),
}


@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize(("data", "reason"), NOT_TEXT.values(), ids=NOT_TEXT.keys())
def test_a_query_that_is_not_text_is_a_usage_error(capsys, monkeypatch, tmp_path, source, data, reason):
    query = tmp_path / "task.txt"
    query.write_bytes(data)
    name, label = (str(query), str(query)) if source == "file" else ("-", "standard input")
    code, out, err = run(capsys, monkeypatch, tmp_path, data if source == "stdin" else None, "--query-file", name)
    assert (code, out, err) == (2, "", f"codewright: {label} {reason}\n")


def test_text_and_query_file_together_is_a_usage_error(capsys, monkeypatch, tmp_path):
    query = tmp_path / "task.txt"
    query.write_text(TASK)
    code, out, err = run(capsys, monkeypatch, tmp_path, None, "shipping is slow", "--query-file", str(query))
    assert (code, out) == (2, "")
    assert err == "codewright: give the task as TEXT or with --query-file, not both\n"


def test_an_empty_query_file_name_is_a_usage_error(capsys, monkeypatch, tmp_path):
    code, out, err = run(capsys, monkeypatch, tmp_path, None, "--query-file", "")
    assert (code, out, err) == (2, "", "codewright: the file name is empty (give a file, or - for standard input)\n")
