"""A small git workspace for the tool tests, and a toolbox over it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from codewright.tools import ApprovalRequest, Permissions, Toolbox

FILES = {
    "src/app.py": "import os\n\n\ndef greet(name):\n    return f'hello {name}'\n\n\nclass Server:\n"
                  "    def start(self):\n        return greet('server')\n",
    "src/util.js": "function add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n",
    "tests/test_app.py": "from src.app import greet\n\n\ndef test_greet():\n    assert greet('x') == 'hello x'\n",
    "README.md": "# demo\n",
    ".env": "API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123\n",
}


def git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                         capture_output=True, text=True)
    return out.stdout


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial commit")
    return root


@pytest.fixture()
def make_box(workspace: Path) -> Callable[..., Toolbox]:
    boxes: list[Toolbox] = []

    def make(mode: str = "full-auto", *, answer: bool | None = True, index=None, **rules) -> Toolbox:  # type: ignore[no-untyped-def]
        asked: list[ApprovalRequest] = []

        def approve(request: ApprovalRequest) -> bool:
            asked.append(request)
            return bool(answer)

        box = Toolbox(workspace, index=index, permissions=Permissions(mode, **rules),
                      approve=None if answer is None else approve)
        box.asked = asked  # type: ignore[attr-defined]
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()
