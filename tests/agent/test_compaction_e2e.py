"""A session that overflows its window compacts, and the side-effect ledger survives it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.model_server import Fault, ModelServer, Recorded, Turn

from codewright.agent.loop import OVERFLOW_RETRIES
from codewright.agent.session import SessionStore

from .harness import MODEL, Script, call, last_result, run_agent

WINDOW = 12_000
READS = 16


def big_module(n: int) -> str:
    return "".join(f"def handler_{n}_{i}(request):\n    return {{'status': {i}, 'body': request.get('k{i}')}}\n\n\n"
                   for i in range(30))


def test_overflowing_session_compacts_and_keeps_the_ledger(tmp_path: Path) -> None:
    for n in range(READS):
        (tmp_path / f"mod{n}.py").write_text(big_module(n))
    (tmp_path / "serve.sh").write_text("#!/bin/sh\necho serving\n")

    def chmod(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command="chmod +x serve.sh && export APP_MODE=testing")])

    def reader(n: int):  # type: ignore[no-untyped-def]
        def step(rec: Recorded) -> Turn:
            if n:
                assert f"handler_{n - 1}_29" in last_result(rec), "the file was not really read"
            return Turn(text=f"Reading module {n}.", tool_calls=[call("read_file", path=f"mod{n}.py")])
        return step

    def check_and_finish(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("finish", summary="read everything")])

    script = Script([chmod] + [reader(n) for n in range(READS)] + [check_and_finish], window=WINDOW)
    with ModelServer(script, context_window=WINDOW) as server:
        run = run_agent(root=tmp_path, server=server, task="read every module", mode="full-auto", window=WINDOW)
        requests = [r for r in server.requests if r.protocol == "openai"]
    assert script.problems == []
    assert run.outcome.outcome == "done"
    compactions = run.of_type("compaction")
    assert len(compactions) >= 2, "the session never compacted twice"
    assert all(c.tokens_after < c.tokens_before for c in compactions)
    assert max(r.prompt_tokens for r in requests) <= WINDOW
    # Compaction happened in large steps, not every turn.
    assert len(compactions) <= READS // 3
    # The ledger (the chmod and the exported variable) is in every request after the first compaction.
    first = next(i for i, e in enumerate(run.events) if e.type == "compaction")
    calls_after = sum(1 for e in run.events[first:] if e.type == "model_call_started")
    for rec in requests[-calls_after:]:
        text = "\n".join(m["content"] for m in rec.messages)
        assert "serve.sh" in text and "APP_MODE" in text, "the ledger was dropped by compaction"


@pytest.mark.parametrize("form", ["single", "list"])
def test_code_written_through_text_calls_is_sent_once_and_compacted(tmp_path: Path, form: str) -> None:
    """A model without native tool calls writes them in its text: the code stayed there after compaction had
    replaced it in the call, and a call in the single form ({"name", "arguments"}) was shown twice."""
    def write(n: int):  # type: ignore[no-untyped-def]
        def step(rec: Recorded) -> Turn:
            one = {"name": "create_file", "arguments": {"path": f"mod{n}.py", "content": big_module(n)}}
            block = json.dumps(one if form == "single" else {"tool_calls": [one]})
            return Turn(text=f"Writing module {n}.\n```json\n{block}\n```")
        return step

    finish = json.dumps({"tool_calls": [{"name": "finish", "arguments": {"summary": "written"}}]})
    script = Script([write(n) for n in range(8)] + [lambda rec: Turn(text=f"```json\n{finish}\n```")])
    with ModelServer(script) as server:
        run = run_agent(root=tmp_path, server=server, task="write the modules", mode="full-auto", window=WINDOW,
                        text_tools=True)
        requests = [r for r in server.requests if r.protocol == "openai"]
    assert script.problems == [] and run.outcome.outcome == "done"
    assert run.of_type("compaction")
    for rec in requests:
        replies = [m["content"] for m in rec.messages if m["role"] == "assistant"]
        assert all(reply.count("```json") == 1 for reply in replies), "a call was shown twice"
    sent = "\n".join(m["content"] for m in requests[-1].messages)
    assert "handler_0_29" not in sent and "lines written at turn 1; the repository holds them now" in sent


def test_a_session_saved_with_text_calls_in_its_replies_shows_each_call_once_when_resumed(tmp_path: Path) -> None:
    """Before the agent kept a reply's text calls out of its text, a saved reply held the blocks the calls were read
    from; the engine now writes the calls after the text, so a resumed session showed each call twice. The state
    is as codewright wrote it then (dfef8bc^, a text-tools run of two steps: a single call, then a list of one)."""
    state = json.loads((Path(__file__).parent / "fixtures" / "text_tools_state_v1.json").read_text())
    (tmp_path / "app.py").write_text("def add(a, b):\n    return a + b\n")
    store = SessionStore(tmp_path)
    session = store.create("add a docstring to add", MODEL, "full-auto")
    store.save(session, state, outcome="limit", steps=2)
    store.close()

    def block(name: str, **arguments: str) -> str:
        return f"```json\n{json.dumps({'tool_calls': [{'name': name, 'arguments': arguments}]})}\n```"

    def replies(rec: Recorded) -> Turn:
        assert [m["content"] for m in rec.messages if m["role"] == "assistant"] == [
            f"I will read the module first.\n{block('read_file', path='app.py')}",
            f"Now the files around it.\n\nThen I decide.\n{block('list_dir', path='.')}"]
        finish = json.dumps({"tool_calls": [{"name": "finish", "arguments": {"summary": "resumed"}}]})
        return Turn(text=f"```json\n{finish}\n```")

    script = Script([replies])
    with ModelServer(script) as server:
        run = run_agent(root=tmp_path, server=server, task="", resume=session, text_tools=True)
    assert script.problems == [] and run.outcome.outcome == "done"


@pytest.mark.parametrize("provider_window", [7_000, 5_000])
def test_a_provider_window_smaller_than_believed_compacts_and_retries(tmp_path: Path, provider_window: int) -> None:
    """The engine thinks the window is 12k; the provider rejects prompts over 7k, or 5k (its own count): one retry
    at a window a fifth smaller still held the prompt refused, and the run failed."""
    for n in range(6):
        (tmp_path / f"mod{n}.py").write_text(big_module(n))
    steps = [lambda rec, n=n: Turn(tool_calls=[call("read_file", path=f"mod{n}.py")]) for n in range(6)]
    script = Script([*steps, lambda rec: Turn(tool_calls=[call("finish", summary="done")])])
    with ModelServer(script, context_window=provider_window) as server:
        run = run_agent(root=tmp_path, server=server, task="read", mode="full-auto", window=WINDOW)
    assert run.outcome.outcome == "done", run.outcome
    overflows = [e for e in run.of_type("error") if e.kind == "context_overflow"]
    assert overflows and all(e.recoverable for e in overflows)
    assert run.of_type("compaction")


def test_a_prompt_refused_at_every_size_is_a_limit_after_a_few_retries(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"mod{n}.py").write_text(big_module(n))
    reads = [lambda rec, n=n: Turn(tool_calls=[call("read_file", path=f"mod{n}.py")]) for n in range(3)]
    script = Script([*reads, *[lambda rec: Turn(fault=Fault.overflow())] * 10])
    with ModelServer(script, context_window=WINDOW) as server:
        run = run_agent(root=tmp_path, server=server, task="read", mode="full-auto", window=WINDOW)
        refused = sum(1 for r in server.requests if r.reply and r.reply.fault)
    assert run.outcome.outcome == "limit", run.outcome
    assert 2 <= refused <= OVERFLOW_RETRIES + 1
    assert len(run.of_type("compaction")) >= 1
