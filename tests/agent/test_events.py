"""The event schema: docs/events.md publishes exactly what the dataclasses produce."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from tests.support.cli_schema import schemas

from codewright.agent import events as ev

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def documented_schema() -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"## JSON Schema.*?```json\n(.*?)\n```", text, re.DOTALL)
    assert block, "docs/events.md has no JSON Schema block"
    return json.loads(block.group(1))


def test_docs_schema_equals_generated_schema() -> None:
    assert documented_schema() == ev.json_schema()


def test_every_event_type_is_documented_in_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    for cls in ev.EVENT_TYPES:
        assert f"| `{cls.type}` |" in text


def test_cli_md_lists_the_event_types_run_and_chat_print() -> None:
    """docs/cli.md's line schema for run and chat names the types by hand: a type added or renamed here left it
    behind unnoticed. A chat never starts a task afresh, so prints no attempt_restarted."""
    run = schemas()["run"]["properties"]["type"]["enum"]
    assert run == [cls.type for cls in ev.EVENT_TYPES]
    assert schemas()["chat"]["properties"]["type"]["enum"] == [t for t in run if t != "attempt_restarted"]


def test_events_round_trip_and_validate() -> None:
    schema = documented_schema()
    sample = ev.ToolCallFinished(call_id="c1", name="read_file", ok=True, kind="file_read", output="x",
                                 duration_s=0.1, session="s", seq=3)
    data = sample.to_dict()
    jsonschema.validate(data, schema)
    assert ev.from_dict(data) == sample


def test_a_finished_event_stored_before_cache_writes_were_counted_is_read_back() -> None:
    """A session's `finished` events stored before `cache_write_tokens` was added still rebuild, counting 0."""
    data = ev.Finished(outcome="done", reason="r", exit_code=0, steps=1, input_tokens=9, output_tokens=2,
                       cache_read_tokens=3, cost=0.5, session="s", seq=4).to_dict()
    del data["cache_write_tokens"]
    assert ev.from_dict(data).cache_write_tokens == 0


def test_a_finished_event_stored_before_estimated_calls_were_counted_is_read_back() -> None:
    data = ev.Finished(outcome="done", reason="r", exit_code=0, steps=1, input_tokens=9, output_tokens=2,
                       cache_read_tokens=3, cost=0.5, estimated_calls=1, session="s", seq=4).to_dict()
    del data["estimated_calls"]
    assert ev.from_dict(data).estimated_calls == 0


def test_a_model_call_stored_before_estimates_were_flagged_is_read_back() -> None:
    """A `model_call_finished` stored before `estimated` was added still rebuilds, as not estimated."""
    data = ev.ModelCallFinished(step=1, model="m", finish_reason="stop", input_tokens=9, output_tokens=2,
                                cache_read_tokens=0, cache_write_tokens=0, cost=0.5, latency_s=0.1, estimated=True,
                                session="s", seq=2).to_dict()
    del data["estimated"]
    assert ev.from_dict(data).estimated is False


def test_a_missing_field_fails_validation() -> None:
    data = ev.PlanUpdated(steps=[{"step": "read", "status": "done"}]).to_dict()
    del data["steps"]
    try:
        jsonschema.validate(data, documented_schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("an event without its fields validated")


ENVELOPE = {"v": 1, "session": "s", "seq": 1, "time": 1.0}
FINISHED = {**ENVELOPE, "type": "finished", "outcome": "done", "reason": "r", "exit_code": 0, "steps": 1,
            "input_tokens": 1, "output_tokens": 1, "cache_read_tokens": 0, "cache_write_tokens": 0, "cost": 0.0,
            "estimated_calls": 0}


@pytest.mark.parametrize(("event", "field", "value"), [
    ({**ENVELOPE, "type": "model_streamed", "kind": "text", "text": "x"}, "kind", "prose"),
    ({**ENVELOPE, "type": "tool_call_approved", "call_id": "c", "name": "n", "by": "mode"}, "by", "anyone"),
    ({**ENVELOPE, "type": "file_changed", "path": "a.py", "change": "added"}, "change", "renamed"),
    ({**ENVELOPE, "type": "error", "kind": "model", "message": "m", "recoverable": False}, "kind", "oops"),
    (FINISHED, "outcome", "finished"),
    ({**ENVELOPE, "type": "plan_updated", "steps": [{"step": "read", "status": "done"}]}, "steps",
     [{"step": "read", "status": "finished"}]),
    ({**ENVELOPE, "type": "plan_updated", "steps": [{"step": "read", "status": "done"}]}, "steps",
     [{"step": "read"}]),
    ({**ENVELOPE, "type": "plan_updated", "steps": [{"step": "read", "status": "done"}]}, "steps",
     [{"step": "read", "status": "done", "note": "x"}]),
])
def test_a_value_outside_a_fields_closed_set_fails_validation(event: dict, field: str, value: object) -> None:
    """Each of these fields takes a few values, which the schema said were any string (a plan step any map of
    strings): a misspelt outcome or a step without its status passed."""
    schema = documented_schema()
    jsonschema.validate(event, schema)
    assert not jsonschema.Draft202012Validator(schema).is_valid({**event, field: value})


def test_a_failing_renderer_is_switched_off_and_the_session_keeps_every_event(tmp_path: Path, capsys) -> None:
    from codewright.agent.emitter import Emitter
    from codewright.agent.session import SessionStore

    drawn: list[str] = []

    def broken(event: ev.Event) -> None:
        if event.type == "plan_updated":
            raise ValueError("cannot draw this")

    store = SessionStore(tmp_path)
    try:
        session = store.create("task", "m", "ask", kind="run")
        emit = Emitter(store, session, [broken, lambda e: drawn.append(e.type)])
        emit(ev.PlanUpdated(steps=[{"step": "a", "status": "pending"}]))
        emit(ev.AssistantMessage(text="done"))
        assert drawn == ["plan_updated", "assistant_message"]  # the other renderer saw both
        assert [e["type"] for e in store.events(session)] == ["plan_updated", "assistant_message"]
    finally:
        store.close()
    err = capsys.readouterr().err
    assert err.count("a renderer failed") == 1 and "ValueError: cannot draw this" in err


class _HungUp:
    """A terminal after SIGHUP: every write fails with EIO."""

    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")


def test_a_renderer_failing_on_a_hung_up_terminal_leaves_the_events_kept(tmp_path: Path, monkeypatch) -> None:
    from codewright.agent.emitter import Emitter
    from codewright.agent.session import SessionStore

    def terminal(event: ev.Event) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("sys.stderr", _HungUp())
    store = SessionStore(tmp_path)
    try:
        session = store.create("task", "m", "ask", kind="run")
        emit = Emitter(store, session, [terminal])
        emit(ev.AssistantMessage(text="one"))
        emit(ev.AssistantMessage(text="two"))
        assert [e["text"] for e in store.events(session)] == ["one", "two"]
    finally:
        store.close()
