"""Anthropic specifics: thinking blocks with signatures round-trip, cache breakpoints, usage."""

from __future__ import annotations

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import Fault, ModelServer, ToolUse, Turn

from codewright.gateway import Completed, GatewayError, Message, Request
from codewright.gateway.anthropic import AnthropicProvider
from codewright.gateway.provider import ProviderError


def _conversation() -> list[Message]:
    return [Message("system", "You are a coding agent. " * 20, cache_breakpoint=True),
            Message("user", "Find the failing test.", cache_breakpoint=True)]


def test_thinking_blocks_round_trip_on_tool_turns(server: ModelServer) -> None:
    server.script(Turn(reasoning="The test file is tests/x.py.", tool_calls=[ToolUse("read", {"p": "x"})]),
                  Turn("Found it."))
    gw = gateway({"main": [deployment("anthropic", server)]})
    request = Request(_conversation(), thinking_budget=2048)
    first = next(e for e in gw.stream(request) if isinstance(e, Completed)).response
    assert first.reasoning[0].text == "The test file is tests/x.py."
    assert first.reasoning[0].signature.startswith("sig-")
    call = first.tool_calls[0]
    request.messages += [first.as_message(), Message("tool", "def test(): ...", tool_call_id=call.id)]
    assert gw.complete(request).text == "Found it."  # the server rejects a turn without valid thinking
    sent = server.requests[1].body["messages"][1]["content"]
    assert sent[0] == {"type": "thinking", "thinking": "The test file is tests/x.py.",
                       "signature": first.reasoning[0].signature}
    assert server.requests[1].body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_dropping_the_signature_is_refused_by_the_server(server: ModelServer) -> None:
    server.script(Turn(reasoning="why", tool_calls=[ToolUse("read", {})]))
    gw = gateway({"main": [deployment("anthropic", server)]})
    request = Request(_conversation(), thinking_budget=1024)
    first = gw.complete(request)
    first.reasoning = []
    request.messages += [first.as_message(), Message("tool", "x", tool_call_id=first.tool_calls[0].id)]
    with pytest.raises(GatewayError, match="Expected `thinking`"):
        gw.complete(request)
    assert server.count() == 2  # a bad request is not retried


def test_cache_breakpoints_become_cache_control_and_hit(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("anthropic", server, model="claude-sonnet-4-5")]})
    first = gw.complete(Request(_conversation()))
    body = server.requests[0].body
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert first.usage.cache_write_tokens == first.usage.input_tokens  # everything up to the last mark
    later = _conversation() + [Message("assistant", "ok"), Message("user", "And now?")]
    second = gw.complete(Request(later))
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens
    assert second.usage.input_tokens == server.requests[1].prompt_tokens


def test_at_most_four_breakpoints_are_sent(server: ModelServer) -> None:
    msgs = [Message("user" if i % 2 == 0 else "assistant", f"turn {i}", cache_breakpoint=True) for i in range(7)]
    gateway({"main": [deployment("anthropic", server)]}).complete(Request(msgs))
    marked = [m for m in server.requests[0].body["messages"] if "cache_control" in m["content"][-1]]
    assert [m["content"][-1]["text"] for m in marked] == ["turn 0", "turn 4", "turn 5", "turn 6"]


def test_required_fields_are_sent(server: ModelServer) -> None:
    gateway({"main": [deployment("anthropic", server)]}).complete(Request([Message("user", "hi")]))
    rec = server.requests[0]
    assert rec.headers["x-api-key"] == "sk-test-123" and rec.headers["anthropic-version"] == "2023-06-01"
    assert rec.body["max_tokens"] > 0


@pytest.mark.parametrize("error_type, kind", [
    ("rate_limit_error", "rate_limit"),  # as a 429
    ("overloaded_error", "server"),  # as a 529
    ("api_error", "server"),  # as a 500
    ("authentication_error", "auth"),  # as a 401: the next deployment may hold a good key
    ("not_found_error", "not_found"),
    ("invalid_request_error", "bad_request"),
    ("billing_error", "auth"),  # as a 402: the account is out of credit, another deployment's may not be
    ("timeout_error", "server"),  # as a 504
    ("some_new_error", "server"),  # a type added after this table: a failure on Anthropic's side
])
def test_an_error_event_is_classed_as_its_status_would_be(server: ModelServer, error_type: str, kind: str) -> None:
    server.script(Turn("never sent", fault=Fault.stream_error(error_type)))
    provider = AnthropicProvider("m", server.anthropic_base, "sk-test-123")
    try:
        with pytest.raises(ProviderError) as caught:
            list(provider.stream(Request([Message("user", "hi")])))
    finally:
        provider.close()
    assert (caught.value.kind, caught.value.started) == (kind, False)
    assert str(caught.value) == f"stream error: {error_type}: injected {error_type}"



@pytest.mark.parametrize("fault", [Fault.stream_error("some_new_error"), Fault.server_error(500, "some_new_error"),
                                   Fault.server_error(529, "some_new_error")], ids=["in the stream", "500", "529"])
def test_an_error_of_a_type_added_later_is_retried(server: ModelServer, fault: Fault) -> None:
    server.script(Turn("never sent", fault=fault), Turn("answered"))
    gw = gateway({"main": [deployment("anthropic", server)]})
    completed = list(gw.stream(Request([Message("user", "hi")])))[-1]
    assert isinstance(completed, Completed) and completed.response.text == "answered"
    assert server.count() == 2
