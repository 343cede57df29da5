"""The real embedded model, end to end: the agent fixes a one-line bug in a tiny repository.

No script plays the model here: Qwen2.5-Coder-1.5B runs in-process on the CPU with greedy
decoding, its tool calls constrained to the tools' JSON Schemas. The assertions are on the
outcome and the structure of the run (a file changed through a tool call, the run
finished, the repository's tests pass afterwards), never on the model's exact words.
`scripts/test.sh` installs the model first (`codewright models install`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codewright.gateway.local.catalog import DEFAULT_MODEL, weights_path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
TASK = "The test test_apply_discount in test_pricing.py fails. Fix the bug in pricing.py so that all tests pass."


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(EXAMPLE, root)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "bug"], check=True)
    return root


def tests_pass(root: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                          capture_output=True, text=True)
    return done.returncode == 0


@pytest.mark.timeout(1500)
def test_local_model_fixes_a_one_line_bug(repo: Path) -> None:
    assert weights_path(DEFAULT_MODEL).is_file(), "run `codewright models install` first (scripts/test.sh does)"
    assert not tests_pass(repo)
    run = subprocess.run(
        [sys.executable, "-m", "codewright", "run", TASK, "--yes", "--json", "--mode", "full-auto",
         "--model", f"local/{DEFAULT_MODEL}", "--max-steps", "12"],
        cwd=repo, capture_output=True, text=True, timeout=1400,
    )
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    kinds = [e["type"] for e in events]
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-2000:]} {kinds[-5:]}"
    assert kinds[-1] == "finished"
    assert "tool_call_finished" in kinds
    assert any(e["type"] == "file_changed" and e.get("path", "").endswith("pricing.py") for e in events)
    assert tests_pass(repo)
    assert (repo / "test_pricing.py").read_text() == (EXAMPLE / "test_pricing.py").read_text()
