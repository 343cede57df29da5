"""Aider polyglot (Python): each reference solution as search/replace blocks against the stub,
damaged the ways a model damages search blocks, must still apply to exactly the reference
solution, and the exercise's tests must then pass."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from codewright.edit import apply_text


def _blocks(stub: list[str], solution: list[str], context: int) -> list[tuple[list[str], list[str]]]:
    matcher = SequenceMatcher(None, stub, solution, autojunk=False)
    return [(stub[g[0][1]:g[-1][2]], solution[g[0][3]:g[-1][4]]) for g in matcher.get_grouped_opcodes(context)]


def _unique(blocks, stub_text: str) -> bool:
    """Applied in order, as blocks are, each SEARCH occurs exactly once in the text at its turn."""
    text = stub_text
    for search, replace in blocks:
        if not search or text.count("".join(search)) != 1:
            return False
        text = text.replace("".join(search), "".join(replace))
    return True


def _derive(stub_text: str, solution_text: str) -> list[tuple[list[str], list[str]]]:
    """Blocks with aider's usual context (3 lines, more where needed) that apply in order."""
    stub, solution = stub_text.splitlines(keepends=True), solution_text.splitlines(keepends=True)
    for context in range(3, 8):
        blocks = _blocks(stub, solution, context)
        if _unique(blocks, stub_text):
            return blocks
    return [(stub, solution)]


def _pairs(search: list[str], replace: list[str]) -> list[tuple[int, int]]:
    matcher = SequenceMatcher(None, search, replace, autojunk=False)
    return [(b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size)]


def _inner_context(search: list[str], replace: list[str]) -> list[tuple[int, int]]:
    """(search, replace) indexes of context lines whose neighbours on both sides are context too."""
    matcher = SequenceMatcher(None, search, replace, autojunk=False)
    return [(i + k, j + k) for tag, i, i2, j, _ in matcher.get_opcodes() if tag == "equal"
            for k in range(1, i2 - i - 1)]


# Each damage takes (search, replace, rng) and returns the damaged pair: what a model gets wrong
# when it quotes the file from memory and copies its SEARCH into its REPLACE. A context line
# changes in both. A missing context line does not apply here: these blocks rewrite the stub and
# keep no context between changes. Altering a line of a 1-3 line block is left out, as is making
# a block genuinely ambiguous: refusing is right there.
def _trailing_whitespace(search, replace, rng):
    return [s.rstrip("\n") + "  \n" if s.strip() else s for s in search], replace


def _indentation(search, replace, rng):
    return ["    " + s if s.strip() else s for s in search], ["    " + r if r.strip() else r for r in replace]


def _blank_lines(search, replace, rng):
    """Single blank lines go: from both where they are context between context lines, from
    SEARCH alone where they sit between lines the block replaces."""
    context = dict(_inner_context(search, replace))
    kept = {o for o, _ in _pairs(search, replace)}
    solid = [k for k, s in enumerate(search) if s.strip()]
    inner = [k for k in range(len(search)) if not search[k].strip() and solid and solid[0] < k < solid[-1]
             and search[k - 1].strip() and search[k + 1].strip()]
    gone = set(range(len(search))) - kept
    drop = [k for k in inner if k in context or {k - 1, k, k + 1} <= gone]
    return ([s for k, s in enumerate(search) if k not in drop],
            [r for k, r in enumerate(replace) if k not in {context[o] for o in drop if o in context}])


def _altered_context(search, replace, rng):
    pairs = [(o, n) for o, n in _pairs(search, replace) if len(search[o].strip()) > 3]
    if len(search) < 4 or not pairs:
        return search, replace
    o, n = rng.choice(pairs)
    line = search[o].rstrip("\n")
    at = rng.randrange(len(line) - len(line.lstrip()), len(line))
    changed = line[:at] + ("x" if line[at] != "x" else "y") + line[at + 1:] + "\n"
    return ([changed if k == o else s for k, s in enumerate(search)],
            [changed if k == n else r for k, r in enumerate(replace)])


DAMAGES = {"clean": lambda s, r, rng: (s, r), "trailing_whitespace": _trailing_whitespace,
           "indentation": _indentation, "blank_lines": _blank_lines, "altered_context": _altered_context}


def _render(path: str, blocks) -> str:
    out = []
    for search, replace in blocks:
        body = "".join(line if line.endswith("\n") else line + "\n" for line in search)
        new = "".join(line if line.endswith("\n") else line + "\n" for line in replace)
        out.append(f"{path}\n```python\n<<<<<<< SEARCH\n{body}=======\n{new}>>>>>>> REPLACE\n```\n")
    return "\n".join(out)


def _expected(stub: str, solution: str) -> str:
    """The solution, keeping the stub's lack of a final newline (edits never add or drop one)."""
    return solution if stub.endswith("\n") else solution.rstrip("\n")


def _exercises(eval_data: Path) -> list[dict]:
    with open(eval_data / "aider_polyglot_python.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_polyglot_solutions_apply_through_every_damage(eval_data: Path, tmp_path: Path) -> None:
    exercises = _exercises(eval_data)
    assert len(exercises) == 34
    counted: dict[str, int] = dict.fromkeys(DAMAGES, 0)
    failures = []
    for ex in exercises:
        (name, stub), = ex["solution_files"].items()
        solution = ex["reference_solution"][name]
        blocks = _derive(stub, solution)
        for kind, damage in DAMAGES.items():
            rng = random.Random(f"polyglot:{ex['exercise']}:{kind}")
            damaged = [damage(list(s), list(r), rng) for s, r in blocks]
            if kind != "clean" and damaged == blocks:
                continue
            work = tmp_path / ex["exercise"] / kind
            work.mkdir(parents=True)
            (work / name).write_text(stub, encoding="utf-8")
            try:
                apply_text(work, _render(name, damaged))
            except Exception as exc:  # noqa: BLE001 - collected so one run reports every failure
                failures.append(f"{ex['exercise']}/{kind}: {exc}")
                continue
            counted[kind] += 1
            if (work / name).read_text(encoding="utf-8") != _expected(stub, solution):
                failures.append(f"{ex['exercise']}/{kind}: applied, but not to the reference solution")
            if kind == "clean":
                for test_name, test_text in ex["test_files"].items():
                    (work / test_name).write_text(test_text, encoding="utf-8")
    assert not failures, "\n".join(failures)
    assert counted["clean"] == 34 and min(counted.values()) >= 5, counted
    # Every damaged result is byte-identical to the clean one; the exercises' tests run once on those.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           *[str(p) for p in sorted(tmp_path.glob("*/clean"))]],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=240, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.parametrize("kind", [k for k in DAMAGES if k != "clean"])
def test_each_damage_kind_changes_some_blocks(eval_data: Path, kind: str) -> None:
    changed = 0
    for ex in _exercises(eval_data):
        (name, stub), = ex["solution_files"].items()
        blocks = _derive(stub, ex["reference_solution"][name])
        rng = random.Random(f"polyglot:{ex['exercise']}:{kind}")
        changed += [DAMAGES[kind](list(s), list(r), rng) for s, r in blocks] != blocks
    assert changed >= 5
