"""Turn latency of the embedded local model with and without prefix reuse.

A 10-turn scripted session laid out by the context engine (static prefix first), run
twice on the same model in one process: once keeping llama.cpp's KV cache across turns
(the default), once recomputing every prompt in full (`reuse_prefix=False`). Each turn
the model reads the prompt and writes a schema-constrained tool call (at most
--reply-tokens); then the history gets a scripted call (`read_file`) and a scripted tool
result of about 300 tokens, whatever the model wrote, so both runs see exactly the same
conversation and it grows as a real one does. Prints per-turn latency, prompt and cached
tokens, and the speed-up from turn 3 on.

    python bench/local_latency_bench.py [--model qwen2.5-coder-1.5b] [--turns 10] [--threads N] [--reply-tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from codewright.context.engine import ContextEngine
from codewright.context.project import ProjectFacts
from codewright.gateway.local.provider import LocalProvider
from codewright.gateway.types import Message, ToolCall, ToolSpec

SYSTEM = (
    "You are codewright, a coding agent working in a Python repository. Work in small steps: read the code "
    "you change, make one edit at a time, run the tests, and finish with a short summary. "
    "Answer every turn with exactly one tool call."
)
TOOLS = [
    ToolSpec("read_file", "Read a window of a file with line numbers.",
             {"type": "object", "properties": {"path": {"type": "string"}, "start": {"type": "integer"}},
              "required": ["path"]}),
    ToolSpec("search", "Search the repository for a regular expression.",
             {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}),
    ToolSpec("run_tests", "Run the test suite and return its output.",
             {"type": "object", "properties": {"path": {"type": "string"}}}),
    ToolSpec("finish", "Stop and report what was done.",
             {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}),
]


def repo_map(files: int = 40) -> str:
    """A synthetic repository map of realistic size (about 1,500 tokens)."""
    lines = []
    for i in range(files):
        lines.append(f"src/shop/module_{i}.py:")
        lines.append(f"  class Service{i}: handles orders of kind {i}")
        lines.append(f"    def process_{i}(self, order: Order, *, retries: int = 3) -> Receipt")
    return "\n".join(lines)


def tool_output(turn: int) -> str:
    """About 300 tokens of file window, different every turn."""
    body = "\n".join(f"{n:4d}  subtotal_{turn} += item.price * item.quantity - discount(item, rate={n})  # {turn}.{n}"
                     for n in range(1, 17))
    return f"src/shop/module_{turn}.py lines 1-16:\n{body}"


def run(provider: LocalProvider, turns: int, reply_tokens: int) -> list[dict]:
    engine = ContextEngine(".", system=SYSTEM, tools=TOOLS, window=16384, facts=ProjectFacts(),
                           repo_map=repo_map(), native_tools=True)
    engine.add_user("The order total is wrong when a discount applies. Find the cause and fix it.")
    rows = []
    for turn in range(1, turns + 1):
        request = engine.build("local", temperature=0.0, max_tokens=reply_tokens)
        started = time.perf_counter()
        response = provider.complete(request)
        elapsed = time.perf_counter() - started
        rows.append({"turn": turn, "seconds": round(elapsed, 2), "prompt": response.usage.input_tokens,
                     "cached": response.usage.cache_read_tokens, "output": response.usage.output_tokens})
        call = ToolCall(f"call_{turn}", "read_file", json.dumps({"path": f"src/shop/module_{turn}.py"}))
        engine.add_assistant(Message("assistant", "", tool_calls=[call]))
        engine.add_tool_result(call, tool_output(turn))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--reply-tokens", type=int, default=64)
    args = parser.parse_args()
    results = {}
    for mode, reuse in (("reuse", True), ("afresh", False)):
        provider = LocalProvider(args.model, threads=args.threads, n_ctx=16384, reuse_prefix=reuse)
        provider.complete(engine_warmup_request())  # load the weights outside the timed turns
        results[mode] = run(provider, args.turns, args.reply_tokens)
        for row in results[mode]:
            print(mode, json.dumps(row), flush=True)
    later = [a["seconds"] / b["seconds"] for a, b in zip(results["afresh"][2:], results["reuse"][2:])]
    summary = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "threads": provider._options.threads,
        "median_speedup_turn3_on": round(statistics.median(later), 2),
        "min_speedup_turn3_on": round(min(later), 2),
        "reuse_median_s": statistics.median(r["seconds"] for r in results["reuse"][2:]),
        "afresh_median_s": statistics.median(r["seconds"] for r in results["afresh"][2:]),
    }
    print(json.dumps(summary))


def engine_warmup_request():
    from codewright.gateway.types import Message, Request

    return Request([Message("user", "hi")], max_tokens=1, temperature=0.0)


if __name__ == "__main__":
    main()
