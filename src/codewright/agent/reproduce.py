"""Run the tests a task names before the model's first turn, and show it their output.

"test_x fails" is the most common shape of a bug report. Running that test first puts the
real failure (assertion, values, traceback into the code) beside the task, which is
where a careful engineer starts, and it steers a small model to the function that is
wrong rather than one that merely looks related. Only pytest-run projects, only tests the
index knows by the names the task uses, only when the mode lets the command run unasked.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from codewright.graph.store import split_id
from codewright.retrieve.kinds import is_test
from codewright.retrieve.mentions import parse_mentions

MAX_TESTS = 5
OUTPUT_CHARS = 3000  # the tail of pytest's report: the failures and the summary line
HEADER = "The test(s) the task names, run before you start"


def named_tests(conn: sqlite3.Connection, text: str) -> list[str]:
    """pytest node ids (`path::Class::test`) of test functions the task names, in the order named."""
    names = [n for n in parse_mentions(text).names() if n.startswith(("test", "Test"))]
    if not names:
        return []
    marks = ",".join("?" * len(names))
    rows = conn.execute(
        f"SELECT s.name, s.sid, f.path FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.name IN ({marks})"
        " AND s.kind IN ('function', 'method', 'class') ORDER BY f.path, s.start_line", names).fetchall()
    order = {name: i for i, name in enumerate(names)}
    found = sorted(((order[name], sid) for name, sid, path in rows if is_test(path)), key=lambda r: r[0])
    ids = []
    for _, sid in found:
        path, qualname = split_id(sid)
        ids.append(f"{path}::{qualname.replace('.', '::')}")
    ids = list(dict.fromkeys(ids))
    narrow = [i for i in ids if not any(other.startswith(f"{i}::") for other in ids)]  # the method, not its class
    return narrow[:MAX_TESTS]


def arguments(toolbox: Any, tests: list[str]) -> dict[str, Any]:
    """run_tests arguments: quiet, short tracebacks, so the failure is most of what the model reads."""
    return {"command": f"{toolbox.facts.test_command} -q --tb=short -p no:cacheprovider", "paths": tests}


def runnable_tests(toolbox: Any, conn: sqlite3.Connection, text: str) -> list[str]:
    """The named tests, where the project runs pytest and the mode lets it run unasked; else []."""
    command = toolbox.facts.test_command or ""
    if "pytest" not in command or toolbox.permissions.check_command(command).action != "allow":
        return []
    return named_tests(conn, text)


def report(result: Any) -> str:
    """The run's output as context for the first turn; "" when the tests could not run at all."""
    if "exit_code" not in result.meta:  # refused or failed to start: nothing ran
        return ""
    output = result.content
    if len(output) > OUTPUT_CHARS:
        output = "[...]\n" + output[-OUTPUT_CHARS:]
    return f"{HEADER} ({'they pass' if result.ok else 'they fail'}):\n{output}"
