"""Context engine benchmark: prompt-cache hits and tokens per turn over a scripted 30-turn session.

A scripted model (tests/support/model_server.py, real OpenAI and Anthropic wire protocols,
with the simulated provider prefix cache) drives the real context engine and the real
toolbox over a copy of codewright's own sources: whole files read, searches, graph
lookups, edits, failing and passing test logs, a background server. The window is 16k
tokens, so the session must compact (at least twice). Measured per run:

- cache hits: cached prompt tokens / all prompt tokens, as the server reports them
  (OpenAI: the longest prefix shared with an earlier request; Anthropic: breakpoints);
- the largest request against the window (the server also refuses any overflow);
- prompt tokens per turn, with compaction and without (same script, unlimited window).

    python bench/context_cache_bench.py [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.model_server import ModelServer, ToolUse, Turn, count_tokens

from codewright.agent.prompt import system_prompt
from codewright.context import ContextEngine, Ledger, scan_project
from codewright.gateway.anthropic import AnthropicProvider
from codewright.gateway.openai import OpenAIProvider
from codewright.graph.index import Index
from codewright.tools import Permissions, Toolbox

WINDOW = 16_000
SOURCES = ["context", "tools", "edit", "gateway/types.py", "errors.py"]
FAILING_TEST = """\
from codewright.tokens import window_for


def test_known_window():
    assert window_for("claude-sonnet", 1_000_000) == 200_000


def test_unknown_window():
    assert window_for("my-model", 8000) == 4000
"""
TASK = "The budget test in tests/test_budget.py fails. Find why, fix it, and make sure the context tests pass."


def T(text: str, *calls: tuple[str, dict[str, Any]]) -> Turn:
    return Turn(text=text, tool_calls=[ToolUse(name, args) for name, args in calls])


SCRIPT = [
    T("Let me look at the layout first.", ("list_dir", {"path": "src/codewright", "depth": 2})),
    T("Running the failing test.", ("run_command", {"command": "python -m pytest -q tests/test_budget.py"})),
    T("Reading the test.", ("read_file", {"path": "tests/test_budget.py"})),
    T("Where is window_for defined?", ("find_definition", {"target": "window_for"})),
    T("Reading the tokens module.", ("read_file", {"path": "src/codewright/tokens.py"})),
    T("Who uses window_for?", ("search", {"pattern": "window_for"})),
    T("Reading the engine, which calls it.", ("read_file", {"path": "src/codewright/context/engine.py"})),
    T("The budget logic lives in compaction too; reading it.",
      ("read_file", {"path": "src/codewright/context/compaction.py"})),
    T("Checking the ledger for side effects it records.", ("read_file", {"path": "src/codewright/context/ledger.py"})),
    T("Start a docs server to check rendering.",
      ("run_command", {"command": "python3 -m http.server 0 --bind 127.0.0.1", "background": True})),
    T("The test expects the caller's window for unknown models; the assertion is wrong. Fixing the test.",
      ("edit_file", {"path": "tests/test_budget.py",
                     "old_string": '    assert window_for("my-model", 8000) == 4000\n',
                     "new_string": '    assert window_for("my-model", 8000) == 8000\n'})),
    T("Re-running.", ("run_command", {"command": "python -m pytest -q tests/test_budget.py"})),
    T("Now the context tests. Reading the secrets module first.",
      ("read_file", {"path": "src/codewright/context/secrets.py"})),
    T("Outline of the toolbox.", ("outline", {"path": "src/codewright/tools/toolbox.py"})),
    T("Reading the toolbox.", ("read_file", {"path": "src/codewright/tools/toolbox.py"})),
    T("Searching for compaction kinds.", ("search", {"pattern": "kind=\"file_read\""})),
    T("Reading the permissions.", ("read_file", {"path": "src/codewright/tools/permissions.py"})),
    T("Make the helper script executable.", ("run_command", {"command": "chmod +x scripts/check.sh"})),
    T("Reading the process runner.", ("read_file", {"path": "src/codewright/tools/process.py"})),
    T("Adding a regression test for unknown models.",
      ("create_file", {"path": "tests/test_budget_more.py", "content": (
          "from codewright.tokens import window_for\n\n\n"
          + "".join(f"def test_unknown_{i}():\n    assert window_for('model-{i}', {1000 * (i + 1)}) == "
                    f"{1000 * (i + 1)}\n\n\n" for i in range(12)))})),
    T("Running the new tests.", ("run_command", {"command": "python -m pytest -q tests/test_budget_more.py"})),
    T("Reading the edit model to check the write path.", ("read_file", {"path": "src/codewright/edit/model.py"})),
    T("Reading the terminal tools.", ("read_file", {"path": "src/codewright/tools/terminal.py"})),
    T("Lint what changed.", ("lint", {"paths": ["tests/test_budget.py", "tests/test_budget_more.py"]})),
    T("Checking the diff.", ("git_diff", {})),
    T("Stop the docs server.", ("stop_process", {"pid": "PID"})),
    T("Reading the project scanner.", ("read_file", {"path": "src/codewright/context/project.py"})),
    T("Full run of the budget tests.", ("run_command", {"command": "python -m pytest -q tests"})),
    T("Status before finishing.", ("git_status", {})),
    T("Done.", ("finish", {"summary": "Fixed the wrong expectation in tests/test_budget.py; added regression tests."})),
]


def make_workspace(base: Path) -> Path:
    ws = base / "ws"
    for item in SOURCES:
        src = ROOT / "src/codewright" / item
        dst = ws / "src/codewright" / item
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    (ws / "tests").mkdir()
    (ws / "tests/test_budget.py").write_text(FAILING_TEST)
    (ws / "scripts").mkdir()
    (ws / "scripts/check.sh").write_text("#!/bin/sh\npython -m pytest -q tests\n")
    (ws / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
                                       '[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    (ws / "AGENTS.md").write_text("Run the tests with python -m pytest -q. Keep functions short.\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "Import the context engine sources"]):
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=ws, check=True)
    return ws


def run_session(protocol: str, window: int | None, counter: Any) -> dict[str, Any]:
    """One scripted session; returns per-request figures as the server measured them."""
    with tempfile.TemporaryDirectory() as tmp, ModelServer(context_window=window) as srv:
        ws = make_workspace(Path(tmp))
        with Index.open(ws) as index:
            index.build()
            ledger = Ledger()
            ledger.record_commits(ws)
            box = Toolbox(ws, index=index, ledger=ledger, permissions=Permissions("full-auto", yes=True))
            engine = ContextEngine(ws, system=system_prompt(chat=False), tools=box.specs(),
                                   window=window or 10_000_000, facts=scan_project(ws),
                                   repo_map=index.repo_map(1024), ledger=ledger, count_tokens=counter)
            if protocol == "openai":
                provider = OpenAIProvider("test-model", srv.openai_base, "test-key")
            else:
                provider = AnthropicProvider("test-model", srv.anthropic_base, "test-key")
            engine.add_user(TASK)
            engine.set_plan("1. [pending] reproduce\n2. [pending] find the cause\n3. [pending] fix and test")
            turns, compactions, background_pid = [], 0, None
            for n, turn in enumerate(SCRIPT, 1):
                for call in turn.tool_calls:
                    if call.arguments.get("pid") == "PID":
                        call.arguments = {"pid": background_pid}
                srv.script(turn)
                request = engine.build("test-model")
                compactions += engine.last_compaction is not None
                response = provider.complete(request)
                rec = srv.requests[-1]
                turns.append({"turn": n, "prompt": rec.prompt_tokens, "cached": rec.cached_tokens,
                              "compacted": engine.last_compaction is not None,
                              "usage_input": response.usage.input_tokens,
                              "usage_cached": response.usage.cache_read_tokens})
                engine.add_assistant(response.as_message())
                for call in response.tool_calls:
                    result = box.call(call.name, json.loads(call.arguments))
                    background_pid = result.meta.get("pid", background_pid)
                    engine.add_tool_result(call, result.content, kind=result.kind, path=result.meta.get("path"))
                if n == 12:
                    engine.set_plan("1. [done] reproduce\n2. [done] find the cause\n3. [in progress] fix and test")
            final = "\n".join(m.content for m in engine.build("test-model").messages)
            box.close()
            provider.close()
    prompt = sum(t["prompt"] for t in turns)
    cached = sum(t["cached"] for t in turns)
    return {
        "protocol": protocol, "window": window, "turns": turns, "compactions": compactions,
        "prompt_tokens": prompt, "cached_tokens": cached, "hit_rate": cached / prompt if prompt else 0.0,
        "max_prompt": max(t["prompt"] for t in turns),
        "ledger_survived": "python3 -m http.server 0" in final and "chmod +x scripts/check.sh" in final
                           and "Import the context engine sources" in final,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    runs = {
        "openai": run_session("openai", WINDOW, count_tokens),
        "anthropic": run_session("anthropic", WINDOW, count_tokens),
        "openai-o200k": run_session("openai", WINDOW, None),
        "no-compaction": run_session("openai", None, count_tokens),
    }
    if args.json:
        print(json.dumps(runs, indent=1))
        return 0
    print(f"window {WINDOW} tokens (server tokenizer), {len(SCRIPT)} turns")
    print("| run | compactions | prompt tokens | cached | hit rate | largest request | ledger kept |")
    print("|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        print(f"| {name} | {run['compactions']} | {run['prompt_tokens']} | {run['cached_tokens']} | "
              f"{run['hit_rate']:.1%} | {run['max_prompt']} | {run['ledger_survived']} |")
    print("\nprompt tokens per turn (with compaction / without):")
    with_c, without = runs["openai"]["turns"], runs["no-compaction"]["turns"]
    print(" ".join(f"{a['prompt']}{'*' if a['compacted'] else ''}/{b['prompt']}" for a, b in zip(with_c, without)))
    ok = all(r["hit_rate"] >= 0.85 and r["max_prompt"] <= WINDOW and r["compactions"] >= 2
             for k, r in runs.items() if k != "no-compaction")
    print("\ntargets (>=85% cache hits, no request over the window, >=2 compactions):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
