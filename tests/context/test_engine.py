"""The context engine: static-first layout, cache breakpoints, compaction, persistence, secrets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from codewright.agent.toolcalls import reply_prose
from codewright.context import ContextEngine, Ledger, ProjectFacts, count_tokens
from codewright.context.engine import STATE_SHARE
from codewright.context.prompt import TOOL_CALL_FORMAT
from codewright.errors import LimitReached
from codewright.gateway.types import Message, Reasoning, Request, ToolCall, ToolSpec

TOOLS = [
    ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}},
                                           "required": ["path"]}),
    ToolSpec("run_command", "Run a command.", {"type": "object", "properties": {"command": {"type": "string"}}}),
]
FACTS = ProjectFacts(stack=["Python >=3.10"], test_command="python -m pytest", conventions="Use type hints.",
                     convention_files=["AGENTS.md"])
REPO_MAP = "src/app.py:\n  def main()\n  class Server"


def make(window: int = 8000, *, native: bool = True, ledger: Ledger | None = None) -> ContextEngine:
    return ContextEngine(Path("."), system="You are codewright, a coding agent.", tools=TOOLS, window=window,
                         facts=FACTS, repo_map=REPO_MAP, native_tools=native, ledger=ledger)


def file_text(lines: int, seed: int = 0) -> str:
    return "".join(f"def function_{seed}_{i}(value):\n    return value * {i}  # line {i}\n" for i in range(lines // 2))


def failing_pytest(call_id: str, says: str) -> ContextEngine:
    """An engine of a small window whose first turn ran pytest (call `call_id`, the model saying `says`) and saw
    it fail: an open item for the summary of the turns folded after it."""
    engine = make(window=5000)
    engine.add_user("Make the tests pass.")
    call = ToolCall(call_id, "run_command", '{"command": "pytest"}')
    engine.add_assistant(Message("assistant", says, [call]))
    engine.add_tool_result(call, "FAILED tests/test_x.py::test_a - AssertionError", kind="error")
    return engine


def step(engine: ContextEngine, n: int, *, kind: str = "file_read", size: int = 80, text: str = "") -> ToolCall:
    """One model turn: an assistant message with a call, and the call's result."""
    call = ToolCall(f"call-{n}", "read_file", json.dumps({"path": f"src/m{n}.py"}))
    engine.add_assistant(Message("assistant", text or f"Reading module {n}.", [call]))
    engine.add_tool_result(call, file_text(size, n), kind=kind, path=f"src/m{n}.py")
    return call


def check_pairs(request: Request) -> None:
    """Every tool message follows the assistant message that made its call (or a sibling result)."""
    open_ids: set[str] = set()
    for msg in request.messages:
        if msg.role == "tool":
            assert msg.tool_call_id in open_ids, f"result {msg.tool_call_id} separated from its call"
            open_ids.discard(msg.tool_call_id)
            continue
        assert not open_ids, f"calls {open_ids} left without results"
        open_ids = {c.id for c in msg.tool_calls} if msg.role == "assistant" else set()


# ----- layout -----


def test_static_prefix_order_and_content() -> None:
    engine = make()
    engine.add_user("Fix the failing test.")
    request = engine.build("test-model")
    system = request.messages[0]
    assert system.role == "system" and system.cache_breakpoint
    text = system.content
    order = ["You are codewright", "How you work", "Output format", "# Project facts", "Use type hints.",
             "# Repository map", "class Server"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "read_file" not in text  # native tools travel in request.tools, not in the text
    assert request.tools == TOOLS


def test_text_tool_format_when_not_native() -> None:
    engine = make(native=False)
    engine.add_user("List the files.")
    call = ToolCall("c1", "run_command", '{"command": "ls"}')
    engine.add_assistant(Message("assistant", "", [call]))
    engine.add_tool_result(call, "a.py\nb.py")
    request = engine.build("m")
    assert TOOL_CALL_FORMAT in request.messages[0].content
    assert '"required":["path"]' in request.messages[0].content  # the schema, as text
    assert request.tools == []
    assert all(m.role in ("system", "user", "assistant") and not m.tool_calls for m in request.messages)
    assistant = request.messages[-2]
    assert '{"tool_calls": [{"name": "run_command", "arguments": {"command": "ls"}}]}' in assistant.content
    assert request.messages[-1].content.startswith("Tool result (call c1, run_command):\na.py")


def _shape(messages: list[Message]) -> list[tuple]:
    return [(m.role, m.content, [(c.id, c.name, c.arguments) for c in m.tool_calls]) for m in messages]


def test_each_request_extends_the_previous_one_byte_for_byte() -> None:
    ledger = Ledger()
    ledger.record("commit", sha="abc1234", subject="Add the parser")
    engine = make(window=200_000, ledger=ledger)
    engine.add_user("Refactor the parser.")
    previous = engine.build("m")
    for n in range(8):
        step(engine, n)
        if n == 2:
            engine.set_plan([{"step": "read", "status": "done"}, {"step": "refactor", "status": "pending"}])
        if n == 4:
            ledger.record("process", command="python -m http.server", pid=99, port=8000)
        request = engine.build("m")
        assert request.messages[0].content == previous.messages[0].content
        assert _shape(request.messages[: len(previous.messages)]) == _shape(previous.messages)
        previous = request
    assert engine.compactions == 0


def test_plan_and_side_effects_enter_the_history_once_as_notes() -> None:
    ledger = Ledger()
    ledger.record("commit", sha="abc1234", subject="Add the parser")
    engine = make(window=200_000, ledger=ledger)
    engine.add_user("Do it.")
    first = engine.build("m")
    assert first.messages[1].content.startswith("# Session state\n## Side effects so far")
    assert first.messages[1].content.endswith("Do it.")
    step(engine, 1)
    engine.set_plan("1. [done] read\n2. [pending] fix")
    ledger.record("chmod", path="run.sh", mode="+x")
    request = engine.build("m")
    note = request.messages[-1]
    assert note.role == "user" and note.content.startswith("# Updates\n## Plan (current)\n1. [done] read")
    assert "chmod +x run.sh" in note.content and "abc1234" not in note.content
    step(engine, 2)
    again = engine.build("m")
    assert sum(m.content.startswith("# Updates") for m in again.messages) == 1  # sent once, then cached
    engine.set_plan("1. [done] read\n2. [done] fix")
    engine.add_user("Also update the docs.")
    last = engine.build("m").messages[-1].content
    assert last.startswith("# Updates\n## Plan (current)") and last.endswith("Also update the docs.")


def test_cache_breakpoints_static_previous_and_last() -> None:
    engine = make(window=200_000)
    engine.add_user("Go.")
    engine.build("m")
    step(engine, 1)
    request = engine.build("m")
    marked = [i for i, m in enumerate(request.messages) if m.cache_breakpoint]
    # system; last turn's last message (read from the cache now); the newest call and the last message
    assert marked == [0, 1, 2, 3]
    step(engine, 2)
    again = engine.build("m")
    assert [i for i, m in enumerate(again.messages) if m.cache_breakpoint] == [0, 3, 4, 5]


def test_user_words_come_last_with_retrieved_context_before_them() -> None:
    engine = make(window=200_000)
    engine.set_retrieved("src/app.py:10 def main(): ...")
    engine.add_user("Why does main crash?")
    request = engine.build("m")
    last = request.messages[-1].content
    assert last.index("<retrieved_context>") < last.index("Why does main crash?")
    assert last.endswith("Why does main crash?")


def test_user_message_waits_for_the_tool_results() -> None:
    engine = make(window=200_000)
    engine.add_user("Go.")
    calls = [ToolCall("a", "read_file", '{"path": "x"}'), ToolCall("b", "read_file", '{"path": "y"}')]
    engine.add_assistant(Message("assistant", "", calls))
    engine.add_tool_result(calls[0], "x")
    engine.add_user("Your second call could not be read.")
    engine.add_tool_result(calls[1], "y")
    request = engine.build("m")
    check_pairs(request)
    assert [m.role for m in request.messages[-4:]] == ["assistant", "tool", "tool", "user"]


@pytest.mark.parametrize("ids", [["call_0", "call_0"], ["", ""], ["call_0", "call_0-2", "call_0"]])
def test_calls_sharing_an_id_get_ids_of_their_own(ids: list[str]) -> None:
    """A server that numbers a reply's calls alike: the waiting note came between the two results."""
    engine = make(window=200_000)
    engine.add_user("Go.")
    calls = [ToolCall(i, "read_file", json.dumps({"path": f"f{n}"})) for n, i in enumerate(ids)]
    engine.add_assistant(Message("assistant", "", calls))
    engine.add_user("Your last call could not be read.")
    for call in calls:
        engine.add_tool_result(call, call.arguments)
    request = engine.build("m")
    check_pairs(request)
    assert len({c.id for c in calls}) == len(calls) and all(calls)
    assert [m.role for m in request.messages[-len(ids) - 1:]] == ["tool"] * len(ids) + ["user"]


def test_an_id_reused_every_turn_names_each_result_by_its_own_call() -> None:
    """Ollama's calls are call_0 every turn: the failing pytest was summarised as fixed by a later read_file."""
    engine = failing_pytest("call_0", "Running the tests.")
    n = 0
    while not (engine.last_compaction and engine.last_compaction.summarised_turns):
        call = ToolCall("call_0", "read_file", json.dumps({"path": f"src/m{n}.py"}))
        engine.add_assistant(Message("assistant", f"Reading module {n}.", [call]))
        engine.add_tool_result(call, file_text(60, n), kind="file_read", path=f"src/m{n}.py")
        request = engine.build("m")
        n += 1
    check_pairs(request)
    assert "Open items:\n- run_command pytest at turn 1: FAILED" in engine.summary.render()
    assert "Errors fixed" not in engine.summary.render()


# ----- budget and compaction -----


def test_compaction_keeps_every_request_within_the_window_and_pairs_intact() -> None:
    rng = random.Random(7)
    ledger = Ledger()
    ledger.record("commit", sha="abc1234", subject="Start the rewrite")
    engine = make(window=6000, ledger=ledger)
    engine.add_user("Rewrite the module.")
    engine.build("m")
    compactions = 0
    for n in range(60):
        kind = rng.choice(["file_read", "output", "error", "file_written"])
        step(engine, n, kind=kind, size=rng.randint(4, 90))
        if n == 5:
            ledger.record("process", command="npm run dev", pid=4242, port=3000)
        request = engine.build("m")
        assert engine.measure() <= engine.budget("m")
        check_pairs(request)
        if engine.last_compaction:
            compactions += 1
            info = engine.last_compaction
            assert info.tokens_after < info.tokens_before
            assert info.detail.startswith(f"{info.tokens_before} -> {info.tokens_after} tokens")
        text = "\n".join(m.content for m in request.messages)
        assert "npm run dev` pid 4242 port 3000" in text or n < 5  # the ledger survives every compaction
        assert "abc1234 Start the rewrite" in text
    assert compactions >= 3
    assert engine.compactions == compactions
    # compaction is rare: far fewer rebuilds than turns
    assert compactions < 20


def test_rederivable_results_become_references_first() -> None:
    engine = make(window=7000)
    engine.add_user("Read everything.")
    for n in range(3):
        step(engine, n, size=150)
    engine.build("m")
    for n in range(3, 6):
        step(engine, n, size=150)
    request = engine.build("m")
    info = engine.last_compaction
    assert info is not None and info.dropped
    # the newest unprotected result goes first: the cached prefix before it stays valid
    assert info.dropped[0] == "[file src/m4.py read at turn 5: 150 lines; read it again if needed]"
    assert any(m.content == info.dropped[0] for m in request.messages)


@pytest.mark.parametrize("words", ["Now, why does helper crash?", None])
def test_retrieved_context_is_dropped_first_and_the_words_beside_it_stay(words: str | None) -> None:
    """In a user's message retrieved context was never dropped; alone (no words came with it) it was kept while
    the side-effect note put in front of it was dropped."""
    ledger = Ledger()
    engine = make(window=9000, ledger=ledger)
    engine.add_user("Read the modules.")
    for n in range(3):
        step(engine, n, size=60)
    engine.build("m")
    engine.set_retrieved("".join(f"src/mod.py:{i} def helper_{i}(x): return x * {i}\n" for i in range(120)))
    ledger.record("chmod", path="deploy.sh", mode="+x")
    if words:
        engine.add_user(words)
    engine.build("m")
    n = 3
    while not engine.compactions:
        step(engine, n, size=60)
        request = engine.build("m")
        n += 1
    dropped = engine.last_compaction.dropped
    assert dropped[0].startswith("[context retrieved at turn ") and ": 120 lines dropped;" in dropped[0]
    message = next(m.content for m in request.messages if dropped[0] in m.content)
    assert "helper_7" not in message and "chmod +x deploy.sh" in message
    assert message.endswith(words or dropped[0])


@pytest.mark.parametrize("after", ["plan", "side effect", "user message"])
def test_the_results_the_model_has_not_seen_are_never_dropped(after: str) -> None:
    """A note or a user message after the newest results was the one group compaction kept whole."""
    ledger = Ledger()
    engine = make(window=12000, ledger=ledger)
    engine.add_user("Fix the bug.")
    engine.build("m")
    for n in range(8):
        step(engine, n, size=40)
        engine.build("m")
    call = ToolCall("big", "read_file", json.dumps({"path": "src/big.py"}))
    engine.add_assistant(Message("assistant", "Reading.", [call]))
    if after == "user message":
        engine.add_user("Your tool call could not be read: send it again.")
    engine.add_tool_result(call, file_text(600, 99), kind="file_read", path="src/big.py")
    if after == "plan":
        engine.set_plan("1. [in_progress] read big.py")
    elif after == "side effect":
        ledger.record("env", name="DEBUG", value="1")
    request = engine.build("m")
    assert engine.last_compaction is not None
    result = next(m for m in request.messages if m.role == "tool" and m.tool_call_id == "big")
    assert result.content.startswith("def function_99_0(value):")
    check_pairs(request)


def test_written_code_in_old_calls_is_replaced_by_a_reference() -> None:
    engine = make(window=6000)
    engine.add_user("Write modules.")
    n = 0
    while not engine.compactions:
        content = file_text(60, n)
        call = ToolCall(f"w{n}", "create_file", json.dumps({"path": f"src/w{n}.py", "content": content}))
        engine.add_assistant(Message("assistant", "Writing.", [call]))
        engine.add_tool_result(call, f"wrote src/w{n}.py", kind="file_written", path=f"src/w{n}.py")
        engine.build("m")
        n += 1
    newest = engine.history[-2].message.tool_calls[0]
    assert json.loads(newest.arguments)["content"] == file_text(60, n - 1)  # the newest call stays whole
    before = engine.history[-4].message.tool_calls[0]
    assert f"code written in turn {n - 1}" in engine.last_compaction.dropped
    assert json.loads(before.arguments) == {
        "path": f"src/w{n - 2}.py", "content": f"[60 lines written at turn {n - 1}; the repository holds them now]"}


def test_summary_fields_after_folding_turns() -> None:
    engine = failing_pytest("e1", "Running the tests first. Then I fix them.")
    for n in range(12):
        step(engine, n, kind="error" if n == 3 else "file_read", size=60)
        engine.build("m")
    call = ToolCall("e2", "run_command", '{"command": "pytest"}')
    engine.add_assistant(Message("assistant", "Again.", [call]))
    engine.add_tool_result(call, "1 passed", kind="output")
    n = 12
    while True:  # until turns are summarised again: the summary is re-rendered then
        step(engine, n, size=60)
        engine.build("m")
        n += 1
        if engine.last_compaction and engine.last_compaction.summarised_turns:
            break
    summary = engine.summary.render()
    assert "Goal: Make the tests pass." in summary
    assert "- turn 1: Running the tests first. [run_command pytest]" in summary
    assert summary.count("\n- turn ") <= 14  # decisions: the newest are kept
    fixed = summary.split("Errors fixed:\n", 1)[1]
    assert "- run_command pytest at turn 1: FAILED tests/test_x.py::test_a" in fixed  # open until pytest passed
    # the same call must succeed, not any call of the tool: later reads of other files leave m3's error open
    assert "Open items:\n- read_file src/m3.py at turn" in summary
    assert "Files touched: src/m0.py (read)" in summary
    request = engine.build("m")
    assert "## Earlier turns\nSummary of turns 1-" in request.messages[1].content


def test_the_agents_own_notes_are_no_goals_in_the_summary() -> None:
    engine = make(window=5000)
    engine.add_user("Add a --verbose flag.")
    for n in range(4):
        step(engine, n, size=60)
        engine.add_user("You replied without a tool call: go on, or call finish.", kind="note")
        engine.build("m")
    engine.add_user("Make the parser accept YAML too.")
    n = 4
    while not (engine.last_compaction and engine.last_compaction.summarised_turns):
        step(engine, n, size=60)
        engine.build("m")
        n += 1
    summary = engine.summary.render()
    assert "Add a --verbose flag." in summary and "accept YAML" in summary
    assert "replied without a tool call" not in summary


@pytest.mark.parametrize(("task", "reply", "error"), [
    ("Fix the login module. " * 20, "I run the deploy script to check whether login is fixed. " * 4,
     "error: connection refused, the database server cannot be reached. " * 6),
    ("修复登录模块中的错误" * 40, "我现在运行部署脚本来检查登录模块中的错误是否已经修复。" * 6,
     "错误：连接被拒绝，无法访问数据库服务器。" * 10),  # items clipped in characters: three times the tokens
])
def test_the_session_state_keeps_within_a_share_of_the_budget(task: str, reply: str, error: str) -> None:
    """The ledger only grows and every request carries it: 475 chmods ended a session in a limit."""
    ledger = Ledger()
    ledger.record("process", command="npm run dev", pid=41, port=3000)
    engine = make(window=8000, ledger=ledger)
    engine.add_user(task)
    for n in range(300):
        call = ToolCall(f"c{n}", "run_command", json.dumps({"command": f"chmod +x scripts/deploy_{n:03d}.sh"}))
        engine.add_assistant(Message("assistant", reply, [call]))
        ledger.record("chmod", path=f"scripts/deploy_{n:03d}.sh", mode="+x")
        engine.add_tool_result(call, error, kind="error")
        request = engine.build("m")
    first = engine.history[0].message.content
    state = request.messages[1].content.removesuffix(first)
    assert engine.summary.last_turn and count_tokens(state) <= STATE_SHARE * engine.budget("m") + 8
    assert "`npm run dev` pid 41 port 3000, running" in state  # a running server is never left out
    assert "chmod x" in state and "chmod +x scripts/deploy_" in state  # the oldest counted, the newest listed
    assert "Goal: " + task[:20] in state


def test_oversized_recent_result_is_cut_to_fit() -> None:
    engine = make(window=4000)
    engine.add_user("Show the log.")
    call = ToolCall("big", "run_command", '{"command": "cat log"}')
    engine.add_assistant(Message("assistant", "", [call]))
    engine.add_tool_result(call, file_text(2000), kind="output")
    request = engine.build("m")
    assert engine.measure() <= engine.budget("m")
    assert "tokens cut to fit the context window" in request.messages[-1].content
    assert engine.last_compaction and engine.last_compaction.truncated == 1


@pytest.mark.parametrize("times", [2, 20, 50])
def test_a_result_many_times_the_window_keeps_most_of_what_fits(times: int) -> None:
    """The margin was a twentieth of the piece: at 20 times the budget or more it kept 46 tokens of it."""
    engine = make(window=8000)
    engine.add_user("Show the log.")
    call = ToolCall("big", "run_command", '{"command": "cat log"}')
    engine.add_assistant(Message("assistant", "", [call]))
    budget = engine.budget("m")
    engine.add_tool_result(call, file_text(budget * times // 6), kind="output")
    engine.build("m")
    assert budget * 0.8 <= engine.measure() <= budget


def test_an_oversized_argument_of_the_latest_call_is_cut_to_fit() -> None:
    """A model that wrote a huge file in one call kept it in every request: it is cut as a huge result is."""
    engine = make(window=4000)
    engine.add_user("Write the data file.")
    content = file_text(4000)
    call = ToolCall("big", "create_file", json.dumps({"path": "data.py", "content": content}))
    engine.add_assistant(Message("assistant", "", [call]))
    engine.add_tool_result(call, "wrote data.py", kind="file_written", path="data.py")
    request = engine.build("m")
    assert engine.measure() <= engine.budget("m")
    sent = json.loads(request.messages[-2].tool_calls[0].arguments)
    assert sent["path"] == "data.py" and "tokens cut to fit the context window" in sent["content"]
    assert sent["content"].startswith(content[:40]) and sent["content"].endswith(content[-40:])


def test_the_latest_turns_long_reasoning_is_cut_to_fit() -> None:
    """A reasoning model's thinking was measured but never cut: the request could not be made to fit."""
    engine = make(window=8000)
    engine.add_user("Go.")
    call = ToolCall("c1", "read_file", '{"path": "a"}')
    thought = "".join(f"Step {i}: let me think about the parser.\n" for i in range(2000))
    engine.add_assistant(Message("assistant", "", [call], reasoning=[Reasoning(thought)]))
    engine.add_tool_result(call, "ok")
    request = engine.build("m")
    assert engine.measure() <= engine.budget("m")
    sent = request.messages[-2].reasoning[0].text
    assert "tokens cut to fit the context window" in sent
    assert sent.startswith(thought[:40]) and sent.endswith(thought[-40:])


def test_long_reasoning_of_old_turns_becomes_a_stub_and_signed_reasoning_stays() -> None:
    engine = make(window=9000)
    engine.add_user("Read everything.")
    thought = "".join(f"Step {i}: the module may hold the parser.\n" for i in range(150))
    n = 0
    while not engine.compactions:
        call = ToolCall(f"c{n}", "read_file", json.dumps({"path": f"src/m{n}.py"}))
        signed = [Reasoning("Signed thinking. " * 40, signature="sig")] if n == 0 else []
        engine.add_assistant(Message("assistant", "Reading.", [call], reasoning=[*signed, Reasoning(thought)]))
        engine.add_tool_result(call, "x = 1", kind="file_read", path=f"src/m{n}.py")
        engine.build("m")
        n += 1
    kept = [e.message.reasoning for e in engine.history if e.message.role == "assistant"]
    assert "reasoning of turn 1" in engine.last_compaction.dropped
    assert kept[0][0] == Reasoning("Signed thinking. " * 40, signature="sig")
    assert kept[0][1].text == "[150 lines of reasoning at turn 1 left out]"
    assert kept[-1][0].text == thought  # the newest turn, which the model has not answered yet


def test_a_tool_calls_extra_content_goes_back_with_it_and_is_stored() -> None:
    """Gemini's thought signature rides on the call (`extra_content`): the engine's copy of the reply dropped it,
    and Gemini refused the next request of every tool loop."""
    engine = make(window=8000)
    engine.add_user("Go.")
    extra = {"google": {"thought_signature": "CrICAdHt"}}
    call = ToolCall("c1", "read_file", '{"path": "a"}', extra)
    engine.add_assistant(Message("assistant", "", [call]))
    engine.add_tool_result(call, "ok")
    assert engine.build("m").messages[-2].tool_calls == [call]
    copy = ContextEngine.from_dict(json.loads(json.dumps(engine.to_dict())))
    assert copy.build("m").messages[-2].tool_calls == [call]


def test_static_part_too_large_for_the_window_is_a_limit() -> None:
    engine = ContextEngine(".", system="x " * 3000, tools=TOOLS, window=2000, facts=FACTS, repo_map="")
    engine.add_user("hi")
    with pytest.raises(LimitReached, match="too large for this model"):
        engine.build("m")


def test_known_model_windows_cap_the_budget() -> None:
    engine = make(window=1_000_000)
    assert engine.budget("anthropic/claude-sonnet-4") < 200_000 < engine.budget("unknown-model")


# ----- persistence and secrets -----


def test_round_trip_rebuilds_the_same_request() -> None:
    ledger = Ledger()
    ledger.record("commit", sha="abc", subject="x")
    engine = make(window=5000, ledger=ledger)
    engine.add_user("Go.")
    for n in range(10):
        step(engine, n, size=60)
        engine.set_plan(f"1. step {n}")
        engine.build("m")
    data = json.loads(json.dumps(engine.to_dict()))
    copy = ContextEngine.from_dict(data)
    assert copy.build("m") == engine.build("m")
    fresh = ContextEngine.from_dict(data, ".", repo_map="new map")
    assert "new map" in fresh.static_prefix and len(fresh.history) == len(engine.history)


SHOWN = 'The config is:\n```json\n{"port": 8080, "debug": true}\n```'  # JSON shown, no call
CALLED = '```json\n{"name": "read_file", "arguments": {"path": "src/m1.py"}}\n```'


@pytest.mark.parametrize("native,version,reply,kept", [
    (False, 1, f"Reading it.\n{CALLED}", "Reading it."),  # saved with the block its call was read from
    (False, 1, f"{SHOWN}\n{CALLED}", SHOWN),
    (False, 2, SHOWN, SHOWN),  # saved without it: JSON shown for another reason stays
    (True, 1, f"Reading it.\n{CALLED}", f"Reading it.\n{CALLED}"),  # a native call was never in the text
])
def test_a_saved_reply_keeps_its_text_less_the_text_calls_of_version_1(native: bool, version: int, reply: str,
                                                                        kept: str) -> None:
    engine = make(native=native)
    engine.add_user("Go.")
    call = ToolCall("c1", "read_file", json.dumps({"path": "src/m1.py"}))
    engine.add_assistant(Message("assistant", reply, [call]))
    engine.add_tool_result(call, "x = 1", kind="file_read", path="src/m1.py")
    data = {**json.loads(json.dumps(engine.to_dict())), "version": version}
    assert ContextEngine.from_dict(data, reply_prose=reply_prose).history[1].message.content == kept


def test_secrets_are_redacted_in_results_and_stored_sessions() -> None:
    engine = make(window=200_000)
    engine.add_user("My key is sk-abcdefghijklmnopqrstuvwxyz0123, use it.")
    call = ToolCall("c", "run_command", json.dumps({"command": "echo AKIAIOSFODNN7EXAMPLE"}))
    engine.add_assistant(Message("assistant", "", [call]))
    engine.add_tool_result(call, "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    request = engine.build("m")
    assert "wJalrXUtnFEMI" not in request.messages[-1].content  # tool output never reaches the model
    stored = json.dumps(engine.to_dict())
    for secret in ("sk-abcdefghijklmnop", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI"):
        assert secret not in stored
    json.loads(engine.to_dict()["history"][1]["message"]["tool_calls"][0]["arguments"])  # still JSON


def test_secrets_in_the_ledger_plan_summary_and_project_facts_are_not_stored_or_sent() -> None:
    token = "ghp_" + "a1B2c3D4" * 5
    ledger = Ledger()
    ledger.record("env", name="GH", value=token)
    engine = ContextEngine(Path("."), system="s", tools=TOOLS, window=8000, repo_map="",
                           facts=ProjectFacts(conventions=f"Deploy with GITHUB_TOKEN={token}"), ledger=ledger)
    engine.add_user("Fix it.")
    engine.set_plan(f"1. [pending] push with {token}")
    engine.summary.goal.append(f"use {token}")
    request = engine.build("m")
    assert token not in request.messages[0].content
    assert token not in json.dumps(engine.to_dict())


def test_a_call_whose_arguments_nest_past_the_recursion_limit_is_built_and_compacted() -> None:
    """Reading those arguments raised RecursionError while the prompt was built (in the text tool format) and while
    old calls were shrunk or summarised: the run ended with a traceback."""
    deep = "[" * 100_000 + "]" * 100_000
    engine = make(window=6000, native=False)
    engine.add_user("Rewrite the module.")
    call = ToolCall("call-deep", "read_file", deep)
    engine.add_assistant(Message("assistant", "Trying.", [call]))
    engine.add_tool_result(call, "error: the arguments are nested deeper than 512 levels", kind="error")
    for n in range(40):
        step(engine, n, size=60)
        check_pairs(engine.build("m"))
    assert engine.compactions >= 1


def test_a_reply_of_megabytes_of_prose_is_cut_to_fit() -> None:
    """The model's own text was no piece the last resort could cut: the run stopped at 'the window allows'."""
    engine = make(window=6000)
    engine.add_user("Rewrite the module.")
    engine.add_assistant(Message("assistant", "word " * 2_000_000, []))
    engine.add_user("Go on.")
    request = engine.build("m")
    assert engine.measure() <= engine.budget("m")
    assert "cut to fit the context window" in request.messages[-2].content
