"""Project facts scanned from manifests and convention files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codewright.context.project import CONVENTIONS_LIMIT, ProjectFacts, scan_project

PYPROJECT = """
[project]
name = "demo"
version = "1.2.0"
requires-python = ">=3.10"
dependencies = ["httpx>=0.27", "rich"]
[project.optional-dependencies]
dev = ["pytest", "ruff"]
"""

CASES = [
    ("python", {"pyproject.toml": PYPROJECT}, "Python >=3.10 (pyproject.toml: demo 1.2.0)", "python -m pytest",
     "httpx>=0.27"),
    ("node", {"package.json": json.dumps({"name": "web", "engines": {"node": ">=20"},
                                          "scripts": {"test": "vitest run"}, "dependencies": {"react": "^18"}}),
              "pnpm-lock.yaml": ""}, "JavaScript / Node >=20 (pnpm; package.json: web)", "pnpm test", "react ^18"),
    ("go", {"go.mod": "module example.com/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/x/y v1.2.3\n)\n"},
     "Go 1.22 (go.mod: example.com/svc)", "go test ./...", "github.com/x/y v1.2.3"),
    ("rust", {"Cargo.toml": '[package]\nname = "cli"\nedition = "2021"\n[dependencies]\nserde = "1"\n'},
     "Rust edition 2021 (Cargo.toml: cli)", "cargo test", "serde 1"),
    ("make", {"Makefile": "test:\n\t./run-tests\n"}, None, "make test", None),
    ("loose python tests", {"pricing.py": "X = 1\n", "test_pricing.py": "def test_x():\n    pass\n"},
     "Python (no manifest; test files at the top level)", "python -m pytest", None),
    ("loose tests beside a setup.py", {"setup.py": "", "app_test.py": ""}, "Python (setup.py/setup.cfg)",
     "python -m pytest", None),
]


@pytest.mark.parametrize("name,files,stack,test,dep", CASES, ids=[c[0] for c in CASES])
def test_manifests(tmp_path: Path, name: str, files: dict[str, str], stack: str | None, test: str,
                   dep: str | None) -> None:
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    facts = scan_project(tmp_path)
    if stack:
        assert stack in facts.stack
    if dep:
        assert dep in facts.dependencies
    assert facts.test_command == test
    assert f"Test command: {test}" in facts.render()


def test_conventions_are_read_and_capped(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("Use tabs.\n" + "x" * (CONVENTIONS_LIMIT + 100))
    (tmp_path / "CODEWRIGHT.md").write_text("Never touch vendor/.")
    facts = scan_project(tmp_path)
    assert facts.convention_files == ["AGENTS.md", "CODEWRIGHT.md"]
    assert facts.conventions.startswith("Use tabs.")
    assert "truncated; read AGENTS.md" in facts.conventions
    assert len(facts.conventions) < CONVENTIONS_LIMIT + 100


def test_broken_manifest_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname=")
    (tmp_path / "go.mod").write_text("module m\ngo 1.21\n")
    facts = scan_project(tmp_path)
    assert facts.stack == ["Go 1.21 (go.mod: m)"]


def test_empty_directory_and_round_trip(tmp_path: Path) -> None:
    facts = scan_project(tmp_path)
    assert facts.render() == "No manifest found: the stack is unknown."
    assert ProjectFacts.from_dict(facts.to_dict()) == facts
