"""Project facts: the stack, its versions, the test command and the repository's own conventions.

Scanned once from manifest files (no model call, no network) and placed in the static
part of every prompt, so the model neither guesses `pytest` for a Go project nor
ignores the house rules written in AGENTS.md / CODEWRIGHT.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CONVENTION_FILES = ("AGENTS.md", "CODEWRIGHT.md", ".codewright/CODEWRIGHT.md")
CONVENTIONS_LIMIT = 6000  # characters kept from the convention files: they sit in every prompt
DEPENDENCY_LIMIT = 12


@dataclass
class ProjectFacts:
    stack: list[str] = field(default_factory=list)  # "Python >=3.10 (pyproject.toml: codewright 0.1.0)"
    dependencies: list[str] = field(default_factory=list)  # main dependencies, names with versions
    test_command: str | None = None
    lint_command: str | None = None
    conventions: str = ""  # the text of AGENTS.md / CODEWRIGHT.md, capped
    convention_files: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The facts as prompt text; stable for equal facts (ordering is fixed) so the prefix stays cached."""
        lines = []
        if self.stack:
            lines.append("Stack: " + "; ".join(self.stack))
        if self.dependencies:
            lines.append("Main dependencies: " + ", ".join(self.dependencies))
        if self.test_command:
            lines.append(f"Test command: {self.test_command}")
        if self.lint_command:
            lines.append(f"Lint command: {self.lint_command}")
        if self.conventions:
            lines.append(f"Conventions of this repository (from {', '.join(self.convention_files)}):")
            lines.append(self.conventions)
        return "\n".join(lines) if lines else "No manifest found: the stack is unknown."

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectFacts:
        return cls(**data)


def scan_project(root: str | Path) -> ProjectFacts:
    """Read the manifests at `root` (pyproject, setup.cfg, package.json, go.mod, Cargo.toml, Maven,
    Gradle, Gemfile, Makefile) and the convention files. Broken manifests are skipped, never fatal."""
    root = Path(root)
    facts = ProjectFacts()
    for scanner in (_python, _node, _go, _rust, _java, _ruby, _make):
        try:
            scanner(root, facts)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, tomllib.TOMLDecodeError):
            continue
    facts.dependencies = facts.dependencies[:DEPENDENCY_LIMIT]
    _conventions(root, facts)
    return facts


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _set_test(facts: ProjectFacts, command: str) -> None:
    facts.test_command = facts.test_command or command


def _python(root: Path, facts: ProjectFacts) -> None:
    text = _read(root / "pyproject.toml")
    deps: list[str] = []
    if text is not None:
        data = tomllib.loads(text)
        project = data.get("project", {})
        poetry = data.get("tool", {}).get("poetry", {})
        name = project.get("name") or poetry.get("name") or ""
        version = project.get("version") or poetry.get("version") or ""
        python = project.get("requires-python") or poetry.get("dependencies", {}).get("python", "")
        facts.stack.append(f"Python {python}".strip() + f" (pyproject.toml: {name} {version})".replace(" )", ")"))
        deps = list(project.get("dependencies", [])) + [k for k in poetry.get("dependencies", {}) if k != "python"]
        tool = data.get("tool", {})
        dev = json.dumps(project.get("optional-dependencies", {})) + json.dumps(data.get("dependency-groups", {}))
        if "pytest" in tool or "pytest" in dev or (root / "pytest.ini").is_file() or (root / "tests").is_dir():
            _set_test(facts, "python -m pytest")
        if "ruff" in tool or "ruff" in dev:
            facts.lint_command = "python -m ruff check ."
    elif (root / "setup.py").is_file() or (root / "setup.cfg").is_file():
        facts.stack.append("Python (setup.py/setup.cfg)")
    requirements = _read(root / "requirements.txt")
    if requirements is not None:
        if not any(s.startswith("Python") for s in facts.stack):
            facts.stack.append("Python (requirements.txt)")
        deps += [ln.strip() for ln in requirements.splitlines() if ln.strip() and not ln.startswith(("#", "-"))]
    loose = _loose_python_tests(root)
    if not facts.stack and loose:
        facts.stack.append("Python (no manifest; test files at the top level)")
    if any(s.startswith("Python") for s in facts.stack):
        if loose:
            _set_test(facts, "python -m pytest")
        if (root / "tox.ini").is_file() and not (root / "tests").is_dir():
            _set_test(facts, "tox")
        elif (root / "tests").is_dir() or (root / "test").is_dir():
            _set_test(facts, "python -m pytest")
    facts.dependencies += [re.split(r"[;\s]", d, maxsplit=1)[0] for d in deps]


def _loose_python_tests(root: Path) -> bool:
    """test_*.py or *_test.py files beside the code at the top (a script folder, a kata, an example):
    pytest runs them, unittest-style ones included, with no manifest to say so."""
    return any(root.glob("test_*.py")) or any(root.glob("*_test.py"))


def _node(root: Path, facts: ProjectFacts) -> None:
    text = _read(root / "package.json")
    if text is None:
        return
    data = json.loads(text)
    engine = data.get("engines", {}).get("node", "")
    language = "TypeScript" if (root / "tsconfig.json").is_file() else "JavaScript"
    manager = "pnpm" if (root / "pnpm-lock.yaml").is_file() else "yarn" if (root / "yarn.lock").is_file() else "npm"
    facts.stack.append(f"{language} / Node {engine}".rstrip() + f" ({manager}; package.json: {data.get('name', '')})")
    deps = {**data.get("dependencies", {}), **data.get("devDependencies", {})}
    facts.dependencies += [f"{k} {v}" for k, v in list(deps.items())]
    scripts = data.get("scripts", {})
    if "test" in scripts and "no test specified" not in scripts["test"]:
        _set_test(facts, f"{manager} test")
    if "lint" in scripts:
        facts.lint_command = facts.lint_command or f"{manager} run lint"


def _go(root: Path, facts: ProjectFacts) -> None:
    text = _read(root / "go.mod")
    if text is None:
        return
    module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    version = re.search(r"^go\s+(\S+)", text, re.MULTILINE)
    facts.stack.append(f"Go {version.group(1) if version else ''}".rstrip()
                       + f" (go.mod: {module.group(1) if module else ''})")
    facts.dependencies += re.findall(r"^\s+([\w./\-]+ v[\w.\-+]+)", text, re.MULTILINE)
    _set_test(facts, "go test ./...")


def _rust(root: Path, facts: ProjectFacts) -> None:
    text = _read(root / "Cargo.toml")
    if text is None:
        return
    data = tomllib.loads(text)
    package = data.get("package", {})
    edition = package.get("edition", "")
    facts.stack.append(f"Rust edition {edition}".rstrip() + f" (Cargo.toml: {package.get('name', 'workspace')})")
    facts.dependencies += [f"{k} {v if isinstance(v, str) else v.get('version', '')}".strip()
                           for k, v in data.get("dependencies", {}).items()]
    _set_test(facts, "cargo test")


def _java(root: Path, facts: ProjectFacts) -> None:
    if (root / "pom.xml").is_file():
        facts.stack.append("Java (Maven: pom.xml)")
        _set_test(facts, "mvn -q test")
    elif (root / "build.gradle").is_file() or (root / "build.gradle.kts").is_file():
        facts.stack.append("Java/Kotlin (Gradle)")
        _set_test(facts, "./gradlew test" if (root / "gradlew").is_file() else "gradle test")


def _ruby(root: Path, facts: ProjectFacts) -> None:
    if (root / "Gemfile").is_file():
        facts.stack.append("Ruby (Gemfile)")
        _set_test(facts, "bundle exec rspec" if (root / "spec").is_dir() else "bundle exec rake test")


def _make(root: Path, facts: ProjectFacts) -> None:
    text = _read(root / "Makefile")
    if text is not None and re.search(r"^test\s*:", text, re.MULTILINE):
        _set_test(facts, "make test")


def _conventions(root: Path, facts: ProjectFacts) -> None:
    parts = []
    for name in CONVENTION_FILES:
        text = _read(root / name)
        if text and text.strip():
            facts.convention_files.append(name)
            parts.append(text.strip())
    text = "\n\n".join(parts)
    if len(text) > CONVENTIONS_LIMIT:
        text = text[:CONVENTIONS_LIMIT].rstrip() + f"\n[... truncated; read {facts.convention_files[0]} for the rest]"
    facts.conventions = text
