"""The real-model smoke test: the embedded local model, through the agent, fixes a one-line bug.

Qwen2.5-Coder-1.5B runs in-process on the CPU with greedy decoding; every tool call it makes is
constrained to the tools' JSON schemas. scripts/test.sh installs the model (`codewright models
install`), so in CI the weights are there; without them this test fails, saying how to install.
It asserts outcome and structure (the task finished, the tests pass, the fix went through
schema-shaped edit calls on calc.py and left the test alone), never the model's wording.
bench/local_agent_smoke.py runs the same scenario N times to measure how reliably it passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.quickstart import fresh_repo, run_agent, suite_passes

from codewright.gateway.local.catalog import DEFAULT_MODEL, weights_path


@pytest.mark.timeout(1500)
def test_the_local_model_fixes_the_quickstart_bug(tmp_path: Path) -> None:
    assert weights_path(DEFAULT_MODEL).is_file(), "run `codewright models install` (scripts/test.sh does)"
    root = fresh_repo(tmp_path)
    assert not suite_passes(root)  # the bug is there to begin with
    run = run_agent(root)
    summary = {k: run[k] for k in ("exit_code", "outcome", "reason", "tool_calls", "stderr_tail")}
    assert run["exit_code"] == 0 and run["outcome"] == "done", summary
    assert run["tests_pass_after"], summary
    assert "calc.py" in run["git_status"] and "test_calc.py" not in run["git_status"], summary  # fixed, not the test
    edits = [json.loads(call["arguments"]) for call in run["tool_calls"] if call["name"] == "edit_file"]
    assert any(edit["path"] == "calc.py" for edit in edits), summary
    for edit in edits:  # every call parsed into the tool's schema
        assert set(edit) >= {"path", "old_string", "new_string"}
    assert run["tool_calls"][-1]["name"] == "finish"
    assert run["cache_read_tokens"] > 0 or run["steps"] == 1  # the KV cache carried the prefix across turns
