"""The call-graph and find tools: callers, impact and find answer from the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.graph.index import Index
from codewright.tools.search import SPECS


@pytest.fixture()
def index(workspace: Path):
    (workspace / "src" / "__init__.py").write_text("")  # the resolver does not follow namespace packages yet
    (workspace / "src" / "main.py").write_text(
        "from src.app import Server\n\n\ndef run():\n    Server().start()\n\n\ndef cli():\n    run()\n"
    )
    with Index.open(workspace) as idx:
        idx.build()
        yield idx


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("callers", {"symbol": "greet"}, "src/app.py::Server.start at src/app.py:10:"),
        ("callers", {"symbol": "src/app.py:10:16"}, "src/app.py::Server.start at src/app.py:10:"),
        ("callers", {"symbol": "src/main.py::cli"}, "no Python caller of src/main.py::cli"),
        ("impact", {"symbol": "greet", "depth": 3},  # each under the one it calls: run was under test_greet
         "src/app.py::Server.start\n  src/main.py::run\n    src/main.py::cli\ntests/test_app.py::test_greet"),
        ("impact", {"symbol": "greet", "depth": 1}, "src/app.py::Server.start\ntests/test_app.py::test_greet"),
        ("impact", {"symbol": "src/app.py:4:5", "depth": 1},
         "src/app.py::Server.start\ntests/test_app.py::test_greet"),
        ("find", {"text": "`Server.start` greets the wrong name", "k": 3}, "src/app.py::Server.start line 9"),
    ],
)
def test_graph_tool_answers(make_box, index: Index, tool: str, args: dict, expected: str) -> None:
    result = make_box(index=index).call(tool, args)
    assert result.ok, result.content
    assert expected in result.content


def test_an_unknown_symbol_is_told_to_the_model(make_box, index: Index) -> None:
    result = make_box(index=index).call("callers", {"symbol": "no_such_function"})
    assert not result.ok
    assert "no symbol named 'no_such_function'" in result.content


@pytest.mark.parametrize("tool", ["callers", "impact"])
def test_the_description_says_a_position_names_the_symbol(tool: str) -> None:
    """callers and impact take a position FILE:LINE:COL, as find_definition does, but their descriptions named ids
    and names only: the model, at a line it was reading, looked the name up first."""
    assert "path:line:col where it is defined or used" in SPECS[tool].description
