"""The quickstart scenario run for real: the agent with the embedded local model on a copy of examples/quickstart.

The real-model smoke test (tests/agent/test_local_model_smoke.py) runs it once;
bench/local_agent_smoke.py repeats it, or the harder discount case, to measure how often
the model fixes the bug.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from codewright.gateway.local.catalog import DEFAULT_MODEL

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "quickstart"
TASK = "The test test_add in test_calc.py fails. Fix the bug in calc.py."
# A harder case for the bench: two functions, and the failing one is called by the other.
DISCOUNT = REPO / "bench" / "fixtures" / "discount"
DISCOUNT_TASK = ("The test test_apply_discount in test_pricing.py fails. Fix the bug in pricing.py so that all "
                 "tests pass.")


# One thread, whatever the load: llama.cpp's sums come out bit-identical only with the same thread
# count, and greedy decoding then gives the same run every time on a machine.
CONFIG = f"""\
default_model = "smoke"

[[models.smoke.deployments]]
provider = "local"
model = "{DEFAULT_MODEL}"
options = {{ threads = 1 }}
"""
FIXED_DATE = "2026-01-01T00:00:00+00:00"  # the commit's sha reaches the prompt (the ledger's commits)


def fresh_repo(folder: Path, example: Path = EXAMPLE) -> Path:
    """A git repository holding the example and a config pinning the model, committed with its bug."""
    root = folder / "quickstart"
    shutil.copytree(example, root)
    (root / "codewright.toml").write_text(CONFIG)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    env = {**os.environ, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bug"]):
        subprocess.run([*git, *args], check=True, env=env)
    return root


def suite_passes(root: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                          capture_output=True, text=True, check=False)
    return done.returncode == 0


def run_agent(root: Path, max_steps: int = 20, task: str = TASK) -> dict[str, Any]:
    """`codewright run` on `root` in full-auto with the local model (its config); what happened, from its events."""
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "codewright", "run", task, "--yes", "--json", "--mode", "full-auto",
         "--max-steps", str(max_steps)],
        cwd=root, capture_output=True, text=True, check=False,
    )
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    finished = next((e for e in reversed(events) if e["type"] == "finished"), {})
    changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True,
                             check=True).stdout.split("\n")
    return {
        "exit_code": run.returncode,
        "outcome": finished.get("outcome"),
        "reason": finished.get("reason"),
        "tests_pass_after": suite_passes(root),
        "files_changed": sorted({e["path"] for e in events if e["type"] == "file_changed"}),
        "git_status": sorted(line[3:] for line in changed if line.strip()),
        "tool_calls": [{"name": e["name"], "arguments": e.get("arguments")} for e in events
                       if e["type"] == "tool_call_requested"],
        "steps": finished.get("steps"),
        "input_tokens": finished.get("input_tokens"),
        "cache_read_tokens": finished.get("cache_read_tokens"),
        "seconds": round(time.perf_counter() - started, 1),
        "stderr_tail": run.stderr[-2000:],
        "events": run.stdout,
    }
