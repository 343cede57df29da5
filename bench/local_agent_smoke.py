"""Does the embedded local model, driven by the agent, fix the quickstart's one-line bug?

The scenario the local-model issue wants as a CI smoke test: Qwen2.5-Coder-1.5B in-process
on the CPU, greedy decoding, tool calls constrained to the tools' schemas, on a copy of
examples/quickstart. It is a measurement here, not a test, because the 1.5B model does not
yet fix the bug reliably (bench/RESULTS.md, "Local model"); it becomes a CI test once it does.
Prints one JSON line: outcome, whether the tests pass afterwards, which files changed, steps,
tokens and seconds.

    python bench/local_agent_smoke.py [--runs 1] [--events DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codewright.gateway.local.catalog import DEFAULT_MODEL, weights_path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
TASK = "The test test_apply_discount in test_pricing.py fails. Fix the bug in pricing.py so that all tests pass."


def fresh_repo(folder: Path) -> Path:
    root = folder / "quickstart"
    shutil.copytree(EXAMPLE, root)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bug"]):
        subprocess.run([*git, *args], check=True)
    return root


def tests_pass(root: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                          capture_output=True, text=True)
    return done.returncode == 0


def run_once(max_steps: int, events_file: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_repo(Path(tmp))
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "codewright", "run", TASK, "--yes", "--json", "--mode", "full-auto",
             "--model", f"local/{DEFAULT_MODEL}", "--max-steps", str(max_steps)],
            cwd=root, capture_output=True, text=True,
        )
        if events_file is not None:
            events_file.write_text(run.stdout)
        events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        finished = next((e for e in reversed(events) if e["type"] == "finished"), {})
        return {
            "exit_code": run.returncode,
            "outcome": finished.get("outcome"),
            "reason": finished.get("reason"),
            "tests_pass_after": tests_pass(root),
            "files_changed": sorted({e["path"] for e in events if e["type"] == "file_changed"}),
            "tool_calls": [e["name"] for e in events if e["type"] == "tool_call_requested"],
            "steps": finished.get("steps"),
            "input_tokens": finished.get("input_tokens"),
            "cache_read_tokens": finished.get("cache_read_tokens"),
            "seconds": round(time.perf_counter() - started, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=12)
    parser.add_argument("--events", type=Path, help="keep each run's JSON Lines events in this folder")
    args = parser.parse_args()
    if not weights_path(DEFAULT_MODEL).is_file():
        raise SystemExit("run `codewright models install` first")
    if args.events:
        args.events.mkdir(parents=True, exist_ok=True)
    for n in range(args.runs):
        events_file = args.events / f"run-{n + 1}.jsonl" if args.events else None
        print(json.dumps(run_once(args.max_steps, events_file)), flush=True)


if __name__ == "__main__":
    main()
