"""Each injected fault: what the caller sees, and what was retried where."""

from __future__ import annotations

import re
import time

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import Fault, ModelServer, Turn, closed_url

from codewright.errors import UsageError
from codewright.gateway import (
    Completed,
    ContextOverflow,
    GatewayError,
    Message,
    RateLimited,
    Request,
    StreamInterrupted,
    TextDelta,
)

PROTOCOLS = ["openai", "anthropic", "ollama"]


def _req() -> Request:
    return Request([Message("user", "hello")])


def _stream_text(gw, request: Request) -> tuple[str, object]:
    events = list(gw.stream(request))
    return "".join(e.text for e in events if isinstance(e, TextDelta)), events[-1]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault", [Fault.rate_limit(), Fault.server_error(500), Fault.server_error(502),
                                   Fault.server_error(503), Fault.drop(), Fault.malformed()],
                         ids=["429", "500", "502", "503", "drop", "malformed"])
def test_failure_on_one_deployment_is_retried_on_the_other(servers, protocol: str, fault: Fault) -> None:
    gw = gateway({"main": {"deployments": [deployment(protocol, servers[0])], "fallbacks": ["b"]},
                  "b": [deployment(protocol, servers[1], model="m2")]})
    for call in (gw.complete, lambda r: list(gw.stream(r))[-1].response):
        servers[0].script(fault)
        servers[1].script(Turn("from two"))
        response = call(_req())
        assert response.text == "from two" and response.deployment == f"{protocol}/m2"
        assert gw.session.calls[-1].attempts == 2
    assert servers[0].count() == 2 and servers[1].count() == 2


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_429_retry_after_is_honoured_on_a_single_deployment(server: ModelServer, protocol: str) -> None:
    server.script(Fault.rate_limit(retry_after=0.4), Turn("late"))
    gw = gateway({"main": [deployment(protocol, server)]})
    response = gw.complete(_req())
    assert response.text == "late" and server.count() == 2
    assert server.requests[1].time - server.requests[0].time >= 0.4


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_retry_after_past_max_retry_after_fails_at_once_as_rate_limited(server: ModelServer, protocol: str) -> None:
    server.script(Fault.rate_limit(retry_after=30))
    gw = gateway({"main": [deployment(protocol, server)]}, router={"max_retry_after": 2})
    started = time.monotonic()
    for _ in range(2):  # the next request is refused too, without asking the server again
        with pytest.raises(RateLimited, match=rf"^rate limited: {protocol}/m asks to wait 30 s more, "
                                              r"longer than max_retry_after \(2 s\)") as info:
            gw.complete(_req())
        assert 29 < info.value.retry_after <= 30
    assert time.monotonic() - started < 1.0 and server.count() == 1


def test_a_deployment_asking_past_max_retry_after_is_passed_over_as_long_as_it_asked(servers) -> None:
    servers[0].script(Fault.rate_limit(retry_after=30))
    gw = gateway({"main": {"deployments": [deployment("openai", servers[0])], "fallbacks": ["b"]},
                  "b": [deployment("openai", servers[1], model="m2")]}, router={"max_retry_after": 0.2})
    assert gw.complete(_req()).deployment == "openai/m2"
    time.sleep(0.3)  # past max_retry_after, well within the 30 s the server asked for
    assert gw.complete(_req()).deployment == "openai/m2"
    assert servers[0].count() == 1


def test_429_without_retry_after_backs_off_and_retries(server: ModelServer) -> None:
    server.script(Fault.rate_limit(), Fault.rate_limit(), Turn("third time"))
    gw = gateway({"main": [deployment("openai", server)]}, router={"backoff_base": 0.1, "backoff_max": 1})
    assert gw.complete(_req()).text == "third time"
    gaps = [b.time - a.time for a, b in zip(server.requests, server.requests[1:])]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # 0.1*2^(n-1) with jitter in [0.5, 1]
    assert gw.session.calls[-1].attempts == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_attempts_are_capped_and_listed(server: ModelServer, protocol: str) -> None:
    server.script(*[Fault.server_error(503)] * 5)
    gw = gateway({"main": [deployment(protocol, server)]})
    with pytest.raises(GatewayError) as info:
        gw.complete(_req())
    assert server.count() == 3
    assert [a.outcome for a in info.value.attempts] == ["server"] * 3
    assert "503" in info.value.attempts[0].message


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connection_refused_falls_back_to_the_next_group(server: ModelServer, protocol: str) -> None:
    gw = gateway({"main": {"deployments": [deployment(protocol, closed_url())], "fallbacks": ["backup"]},
                  "backup": [deployment(protocol, server)]})
    response = gw.complete(_req())
    assert response.text == "ok" and response.deployment == f"{protocol}/m"
    call = gw.session.calls[-1]
    assert call.attempts == 2 and call.alias == "main"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_hang_hits_the_read_timeout_and_is_retried(servers, protocol: str) -> None:
    servers[0].script(Fault.hang(2.0), Fault.hang(2.0))
    gw = gateway({"main": {"deployments": [deployment(protocol, servers[0])], "fallbacks": ["b"]},
                  "b": [deployment(protocol, servers[1])]}, router={"read_timeout": 0.3})
    started = time.monotonic()
    assert gw.complete(_req()).text == "ok"
    assert time.monotonic() - started < 1.5
    assert servers[0].count() == 1 and servers[1].count() == 1


def test_total_deadline_bounds_the_whole_request(server: ModelServer) -> None:
    server.script(*[Fault.hang(1.0)] * 3)
    gw = gateway({"main": [deployment("openai", server)]}, router={"read_timeout": 5, "total_timeout": 0.5})
    started = time.monotonic()
    with pytest.raises(GatewayError) as info:
        gw.complete(_req())
    assert time.monotonic() - started < 1.0
    assert info.value.attempts[0].outcome == "timeout"
    assert 0.3 < info.value.attempts[0].elapsed_s < 1.0
    assert re.search(r"timeout after 0\.[3-9] s", str(info.value))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stream_cut_before_first_token_is_retried_elsewhere(servers, protocol: str) -> None:
    # after headers (and, except for Ollama, a first event carrying no token yet)
    servers[0].script(Turn("", fault=Fault.cut(after_chunks=0 if protocol == "ollama" else 1)))
    servers[1].script(Turn("complete answer"))
    gw = gateway({"main": {"deployments": [deployment(protocol, servers[0])], "fallbacks": ["b"]},
                  "b": [deployment(protocol, servers[1])]})
    text, last = _stream_text(gw, _req())
    assert text == "complete answer" and isinstance(last, Completed)
    assert servers[0].count() == 1 and servers[1].count() == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stream_cut_midway_is_reported_not_truncated(servers, protocol: str) -> None:
    long = "one two three four five six seven eight nine ten"
    servers[0].script(Turn(long, fault=Fault.cut(after_chunks=4), chunk_size=5))
    gw = gateway({"main": {"deployments": [deployment(protocol, servers[0])], "fallbacks": ["b"]},
                  "b": [deployment(protocol, servers[1])]})
    seen = []
    with pytest.raises(StreamInterrupted) as info:
        for event in gw.stream(_req()):
            seen.append(event)  # noqa: PERF402 (the events before the failure are the point)
    assert seen and not any(isinstance(e, Completed) for e in seen)
    assert servers[1].count() == 0  # not retried once output had been shown
    assert info.value.attempts[-1].outcome == "stream_cut"
    assert gw.session.calls == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_malformed_event_midway_is_reported(server: ModelServer, protocol: str) -> None:
    server.script(Turn("alpha beta gamma delta", fault=Fault.malformed(after_chunks=5), chunk_size=4))
    gw = gateway({"main": [deployment(protocol, server)]})
    with pytest.raises(StreamInterrupted, match="malformed"):
        list(gw.stream(_req()))
    assert server.count() == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_context_overflow_falls_back_to_a_larger_model(protocol: str) -> None:
    with ModelServer(context_window=5) as small, ModelServer() as large:
        gw = gateway({"main": {"deployments": [deployment(protocol, small), deployment(protocol, small, "m3")],
                               "context_fallbacks": ["long"]},
                      "long": [deployment(protocol, large, model="big")]})
        response = gw.complete(Request([Message("user", "a prompt that is far too long for five tokens")]))
        assert response.deployment == f"{protocol}/big"
        assert small.count() == 1  # the sibling with the same window is not tried
        assert gw.session.calls[-1].attempts == 2


@pytest.mark.parametrize("flavor", ["llamacpp", "vllm"])
def test_a_local_servers_context_overflow_falls_back_to_a_larger_model(flavor: str) -> None:
    """llama.cpp's "exceeds the available context size" and vLLM's "is longer than the maximum model length" were
    requests refused: the run failed, never compacted."""
    with ModelServer(context_window=5, flavor=flavor) as small, ModelServer() as large:
        gw = gateway({"main": {"deployments": [deployment("openai", small)], "context_fallbacks": ["long"]},
                      "long": [deployment("openai", large, model="big")]})
        response = gw.complete(Request([Message("user", "a prompt that is far too long for five tokens")]))
        assert response.deployment == "openai/big" and gw.session.calls[-1].attempts == 2


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_context_overflow_without_fallback_raises_context_overflow(protocol: str) -> None:
    with ModelServer(context_window=3) as small:
        gw = gateway({"main": [deployment(protocol, small)]})
        with pytest.raises(ContextOverflow) as info:
            gw.complete(Request([Message("user", "this prompt is too long")]))
        assert info.value.attempts[0].outcome == "context_overflow" and small.count() == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_account_out_of_credit_hands_the_request_to_the_fallback(servers, protocol: str) -> None:
    """402 (DeepSeek's Insufficient Balance, OpenRouter's credits, Anthropic's billing_error) was a request refused."""
    servers[0].script(Fault.server_error(402))
    gw = gateway({"main": {"deployments": [deployment(protocol, servers[0])], "fallbacks": ["b"]},
                  "b": [deployment(protocol, servers[1], model="n")]})
    assert gw.complete(_req()).deployment == f"{protocol}/n"
    assert servers[0].count() == 1 and gw.session.calls[-1].attempts == 2


RUNNER_CRASH = ("an error was encountered while running the model: CUDA error: out of memory\n"
                "  current device: 0, in function ggml_backend_cuda_buffer_type_alloc_buffer")


@pytest.mark.parametrize("protocol, fault, after_chunks, error, outcomes, message", [
    # before the first token: retried, as a server error; after it: the stream is interrupted, never passed off whole
    ("openai", "server_error", 1, GatewayError, ["server"] * 3, "injected server_error (server_error)"),
    ("openai", "server_error", 2, StreamInterrupted, ["server"], "injected server_error (server_error)"),
    ("ollama", RUNNER_CRASH, 0, GatewayError, ["server"] * 3, " ".join(RUNNER_CRASH.split())),
    ("ollama", RUNNER_CRASH, 1, StreamInterrupted, ["server"], " ".join(RUNNER_CRASH.split())),
], ids=["openai before any token", "openai after a token", "ollama before any token", "ollama after a token"])
def test_an_error_in_the_stream_is_one_readable_line(server: ModelServer, protocol: str, fault: str, after_chunks: int,
                                                     error, outcomes: list[str], message: str) -> None:
    """OpenAI's `data: {"error": {...}}` mid-stream was shown as the object's Python repr; Ollama's
    `{"error": "..."}` line went to the user as the server wrote it, over several lines."""
    server.script(*[Turn("alpha beta", fault=Fault.stream_error(fault, after_chunks), chunk_size=6)] * 3)
    with pytest.raises(error) as info:
        list(gateway({"main": [deployment(protocol, server)]}).stream(_req()))
    assert [a.outcome for a in info.value.attempts] == outcomes
    assert info.value.attempts[0].message == f"error in stream: {message}"


def test_openais_insufficient_quota_is_not_retried_on_that_deployment(server: ModelServer) -> None:
    """OpenAI's 429 insufficient_quota (the account's credit or spending limit used up) is an account state, as a
    402 is: it was rate limiting, retried with backoff on the same deployment until the attempts ran out."""
    server.script(*[Fault.server_error(429, "insufficient_quota")] * 3)
    gw = gateway({"main": [deployment("openai", server)]})
    with pytest.raises(GatewayError) as info:
        gw.complete(_req())
    assert [a.outcome for a in info.value.attempts] == ["auth"] and server.count() == 1


def test_auth_failure_skips_that_deployment(servers) -> None:
    locked = ModelServer(api_key="other-key")
    try:
        gw = gateway({"main": {"deployments": [deployment("openai", locked)], "fallbacks": ["b"]},
                      "b": [deployment("openai", servers[0])]})
        assert gw.complete(_req()).text == "ok"
        assert locked.count() == 1
    finally:
        locked.stop()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stream_stalling_midway_times_out_and_is_reported(server: ModelServer, protocol: str) -> None:
    server.script(Turn("alpha beta gamma delta epsilon", fault=Fault.hang(2.0, after_chunks=5), chunk_size=4))
    gw = gateway({"main": [deployment(protocol, server)]}, router={"read_timeout": 0.3})
    started = time.monotonic()
    with pytest.raises(StreamInterrupted) as info:
        list(gw.stream(_req()))
    assert time.monotonic() - started < 1.5
    assert info.value.attempts[-1].outcome == "timeout" and server.count() == 1


def test_tool_without_arguments_streams_as_empty_object(server: ModelServer) -> None:
    from tests.support.model_server import ToolUse

    server.script(Turn(tool_calls=[ToolUse("list_files", "")]))  # no input_json_delta at all
    response = list(gateway({"main": [deployment("anthropic", server)]}).stream(_req()))[-1].response
    assert response.tool_calls[0].arguments == "{}"


def test_wrong_path_on_one_deployment_falls_back(server: ModelServer) -> None:
    wrong = deployment("openai", server.url + "/nowhere")  # answers 404
    gw = gateway({"main": {"deployments": [wrong], "fallbacks": ["b"]}, "b": [deployment("openai", server)]})
    assert gw.complete(_req()).text == "ok"
    assert gw.session.calls[-1].attempts == 2 and server.requests[0].path == "/nowhere/chat/completions"


def _said(error: Exception) -> str:
    """An error's text with each attempt's time left out (it varies)."""
    return re.sub(r" after \d+\.\d s", " after T", str(error))


def test_each_attempt_says_what_its_failure_said(server: ModelServer) -> None:
    """The outcome alone (`server`, `connect`) left the server's words and the refused host to be guessed."""
    server.script(Fault.server_error(500), Fault.server_error(500))
    refused = closed_url()
    gw = gateway({"main": {"deployments": [deployment("openai", server)], "fallbacks": ["b"]},
                  "b": [deployment("openai", refused + "/v1", model="n")]})
    with pytest.raises(GatewayError) as info:
        gw.complete(_req())
    assert _said(info.value) == (
        "all 3 attempts failed (attempts: openai/m: server after T (HTTP 500: injected 500); "
        f"openai/n: connect after T (cannot connect to {refused}: ConnectError: [Errno 111] Connection refused); "
        "openai/m: server after T)")


_REFUSAL = "HTTP 401: Incorrect API key provided: {}. You can find your API key at https://platform.openai.com."


@pytest.mark.parametrize("env, key_env, said", [
    ({"TEST_KEY": "sk-test-123"}, "TEST_KEY", "TEST_KEY refused by openai/m ({})".format(_REFUSAL.format("<api key>"))),
    ({}, "TEST_KEY", "openai/m refused a request without a key, TEST_KEY is not set ({})".format(_REFUSAL.format(""))),
    ({"OPENAI_API_KEY": "sk-test-123"}, None,
     "openai/m refused a request without a key, api_key_env names none ({})".format(_REFUSAL.format(""))),
], ids=["wrong key", "no key", "no variable named"])
def test_a_key_refused_everywhere_is_a_usage_error_naming_its_variable(env: dict[str, str], key_env: str | None,
                                                                       said: str) -> None:
    """A key every deployment refused (401, 403) is the setup's fault, as a key not set is: it was a GatewayError,
    a failed run (exit 1), its variable said at the end of the server's words."""
    with ModelServer(api_key="the-right-key") as locked:
        table = deployment("openai", locked)
        if key_env is None:  # a base_url of its own with no api_key_env: no key is sent
            del table["api_key_env"]
        gw = gateway({"main": [table]}, env=env)
        with pytest.raises(UsageError) as info:
            gw.complete(_req())
    assert str(info.value) == said


@pytest.mark.parametrize("protocol, fault, said", [
    ("anthropic", Fault.stream_error("authentication_error"),
     "TEST_KEY refused by anthropic/m (stream error: authentication_error: injected authentication_error)"),
    ("openai", Fault.stream_error("invalid_request_error", code="invalid_api_key"),
     ("TEST_KEY refused by openai/m (error in stream: injected invalid_request_error (invalid_request_error, "
      "invalid_api_key))")),
], ids=["anthropic authentication_error", "openai invalid_api_key"])
def test_a_key_refused_in_the_stream_is_a_usage_error_naming_its_variable(server: ModelServer, protocol: str,
                                                                          fault: Fault, said: str) -> None:
    """A refusal sent as an error event after a 200 is a refused key as a 401 is: Anthropic's was a failed request
    (exit 1), and OpenAI's invalid_api_key a server error, retried."""
    server.script(Turn("never sent", fault=fault))
    gw = gateway({"main": [deployment(protocol, server)]}, env={"TEST_KEY": "sk-test-123"})
    with pytest.raises(UsageError) as info:
        list(gw.stream(_req()))
    assert (str(info.value), len(server.requests)) == (said, 1)


def test_keys_refused_by_every_deployment_are_one_line_naming_each() -> None:
    with ModelServer(api_key="the-right-key") as locked:
        gw = gateway({"main": {"deployments": [deployment("anthropic", locked, api_key_env="ANTHROPIC_KEY")],
                               "fallbacks": ["b"]},
                      "b": [deployment("openai", locked)]}, env={"TEST_KEY": "sk-test-123", "ANTHROPIC_KEY": "sk-ant-1"})
        with pytest.raises(UsageError) as info:
            gw.complete(_req())
    assert str(info.value) == ("ANTHROPIC_KEY refused by anthropic/m (HTTP 401: invalid x-api-key); "
                               "TEST_KEY refused by openai/m ({})".format(_REFUSAL.format("<api key>")))


def test_a_key_refused_beside_a_failing_server_is_no_usage_error(server: ModelServer) -> None:
    """Where another deployment failed otherwise (a server error), the service may be at fault: the request fails."""
    server.script(*[Fault.server_error(500)] * 3)
    with ModelServer(api_key="the-right-key") as locked:
        gw = gateway({"main": {"deployments": [deployment("openai", locked)], "fallbacks": ["b"]},
                      "b": [deployment("openai", server, model="n")]})
        with pytest.raises(GatewayError) as info:
            gw.complete(_req())
    assert [a.outcome for a in info.value.attempts] == ["auth", "server", "server"]


@pytest.mark.parametrize("protocol, base, said", [
    ("openai", "/v2", "HTTP 404: no route /v2/chat/completions; POST http://127.0.0.1:PORT/v2/chat/completions"),
    ("ollama", "/ollama", "HTTP 404: no route /ollama/api/chat; POST http://127.0.0.1:PORT/ollama/api/chat"),
])
def test_a_path_not_found_names_the_url_it_was_posted_to(server: ModelServer, protocol: str, base: str,
                                                          said: str) -> None:
    """A base URL with a wrong path said only the server's "not found", not where the request went."""
    gw = gateway({"main": [deployment(protocol, server.url + base)]})
    with pytest.raises(GatewayError) as info:
        gw.complete(_req())
    assert info.value.attempts[0].message == said.replace("PORT", str(server.port))
