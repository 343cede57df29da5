"""Dependencies point downward only (DEVELOPERS.md): the foundations and the tools never import the agent, the
interfaces or the evals. A foundation that imported the agent (the engine once did, for the agent's text-call
parser) ties the layers into one and breaks reuse below the agent. A layer's command-line front-end (`cli.py`,
`*_cli.py`) is part of the interfaces: it may draw with `codewright.ui` and check its arguments with
`codewright.cli`, never reach the agent or the evals; the layer's own modules use neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "codewright"
LOWER = ["graph", "retrieve", "context", "gateway", "repair", "edit", "tools"]
UPPER = ("codewright.agent", "codewright.ui", "codewright.eval", "codewright.cli")
FRONT_END_MAY = ("codewright.ui", "codewright.cli")  # a command's front-end draws and reads its arguments


def imported(path: Path) -> set[str]:
    """The modules a file imports by absolute name, at any depth (imports inside functions count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", LOWER)
def test_a_lower_layer_imports_nothing_above_it(layer: str) -> None:
    files = sorted((SRC / layer).rglob("*.py"))
    assert files
    upward = {f"{f.relative_to(SRC)}: {name}" for f in files for name in imported(f)
              if name.startswith(UPPER) and not (is_front_end(f) and name.startswith(FRONT_END_MAY))}
    assert upward == set()


def is_front_end(path: Path) -> bool:
    return path.name == "cli.py" or path.name.endswith("_cli.py")
