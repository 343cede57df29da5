"""Does the embedded local model, driven by the agent, fix a one-line bug? Run it N times.

The CI smoke test's scenario (examples/quickstart: `add` subtracts), or a harder one
(bench/fixtures/discount: `apply_discount` adds, and `total` calls it), repeated to measure how
reliably it passes: Qwen2.5-Coder-1.5B in-process on the CPU (one thread), greedy decoding, tool
calls constrained to the tools' schemas, on a fresh copy each time. Prints one JSON line per run:
outcome, whether the tests pass afterwards, which files changed, the tool calls, steps, tokens
and seconds.

    python bench/local_agent_smoke.py [--runs 1] [--scenario quickstart|discount] [--events DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.quickstart import DISCOUNT, DISCOUNT_TASK, EXAMPLE, TASK, fresh_repo, run_agent

from codewright.gateway.local.catalog import DEFAULT_MODEL, weights_path

SCENARIOS = {"quickstart": (EXAMPLE, TASK), "discount": (DISCOUNT, DISCOUNT_TASK)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--events", type=Path, help="keep each run's JSON Lines events in this folder")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="quickstart",
                        help="quickstart (examples/quickstart, as in CI) or discount (bench/fixtures/discount)")
    args = parser.parse_args()
    if not weights_path(DEFAULT_MODEL).is_file():
        raise SystemExit("run `codewright models install` first")
    if args.events:
        args.events.mkdir(parents=True, exist_ok=True)
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            example, task = SCENARIOS[args.scenario]
            result = run_agent(fresh_repo(Path(tmp), example), args.max_steps, task)
        events = result.pop("events")
        if args.events:
            (args.events / f"run-{n + 1}.jsonl").write_text(events)
        result.pop("stderr_tail")
        result["tool_calls"] = [call["name"] for call in result["tool_calls"]]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
