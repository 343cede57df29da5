"""Cost against hand-computed figures, session totals, speed figures and the budget."""

from __future__ import annotations

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import ModelServer, Turn

from codewright.errors import LimitReached, UsageError
from codewright.gateway import Message, Request, Usage
from codewright.gateway.accounting import tokens_per_second
from codewright.gateway.prices import BUILTIN, Price, cost, lookup
from codewright.tokens import MESSAGE_OVERHEAD, count_tokens


def test_cost_uncached_and_cached_by_hand() -> None:
    sonnet = BUILTIN["claude-sonnet-4"]  # $3 in, $15 out, $0.30 cache read, $3.75 cache write per MTok
    # 10,000 prompt tokens, none cached, 500 out: 10000*3 + 500*15 = 37,500 per M = $0.0375
    assert cost(Usage(10_000, 500), sonnet) == pytest.approx(0.0375)
    # same prompt, 8,000 read from cache: 2000*3 + 8000*0.30 + 500*15 = 15,900 per M = $0.0159
    assert cost(Usage(10_000, 500, cache_read_tokens=8_000), sonnet) == pytest.approx(0.0159)
    # first call writing 8,000 to the cache: 2000*3 + 8000*3.75 + 500*15 = 43,500 per M
    assert cost(Usage(10_000, 500, cache_write_tokens=8_000), sonnet) == pytest.approx(0.0435)
    gpt4o = BUILTIN["gpt-4o"]  # $2.50 in, $1.25 cached, $10 out
    assert cost(Usage(4_000, 100, cache_read_tokens=3_000), gpt4o) == pytest.approx(
        (1_000 * 2.5 + 3_000 * 1.25 + 100 * 10) / 1e6)


def test_price_lookup_prefers_overrides_and_longest_prefix() -> None:
    assert lookup("claude-sonnet-4-5-20250929") == BUILTIN["claude-sonnet-4-5"]
    assert lookup("claude-sonnet-4-6") == BUILTIN["claude-sonnet-4"]
    assert lookup("gpt-4o-mini-2024-07-18") == BUILTIN["gpt-4o-mini"]
    assert lookup("o3-2025-04-16") == BUILTIN["o3"]
    mine = Price(1, 2, 0.1, 1.5)
    assert lookup("gpt-4o", {"gpt-4o": mine}) is mine
    assert lookup("no-such-model") is None


@pytest.mark.parametrize("model", ["o3-mini", "o3-pro", "gpt-4o-audio-preview", "gpt-4o-realtime", "o3x"])
def test_a_suffix_of_words_is_another_model_not_a_version(model: str) -> None:
    """o3-mini was charged as o3 (twice its price), o3-pro as o3 (a tenth of its price)."""
    assert lookup(model) in (None, BUILTIN.get(model))


@pytest.mark.parametrize("protocol", ["openai", "ollama"])  # Ollama: prompt_eval_cached_count
def test_call_costs_from_served_usage_with_cache_hits(server: ModelServer, protocol: str) -> None:
    prices = {"m": {"input": 2.0, "output": 8.0, "cache_read": 0.5, "cache_write": 2.0}}
    gw = gateway({"main": [deployment(protocol, server)]}, prices=prices)
    long_prompt = Request([Message("system", "rules " * 50), Message("user", "task one")])
    server.script(Turn("first answer here"), Turn("second"))
    first = gw.complete(long_prompt)
    second = gw.complete(Request([Message("system", "rules " * 50), Message("user", "task two")]))
    p0, p1 = (r.prompt_tokens for r in server.requests)
    cached = server.requests[1].cached_tokens
    assert first.usage.cache_read_tokens == 0 and cached > 50
    assert first.cost == pytest.approx((p0 * 2.0 + first.usage.output_tokens * 8.0) / 1e6)
    assert second.cost == pytest.approx(((p1 - cached) * 2.0 + cached * 0.5 + second.usage.output_tokens * 8) / 1e6)
    assert gw.session.cost == pytest.approx(first.cost + second.cost)
    assert gw.session.usage.input_tokens == p0 + p1
    assert gw.session.usage.cache_read_tokens == cached


def test_anthropic_cache_write_and_read_costs(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("anthropic", server, model="claude-sonnet-4-5")]})
    msgs = [Message("system", "a long static prompt " * 30, cache_breakpoint=True), Message("user", "go")]
    first = gw.complete(Request(msgs))
    second = gw.complete(Request(msgs))
    w = first.usage.cache_write_tokens
    assert w > 0 and second.usage.cache_read_tokens == w
    fresh = first.usage.input_tokens - w
    out1, out2 = first.usage.output_tokens, second.usage.output_tokens
    assert first.cost == pytest.approx((fresh * 3 + w * 3.75 + out1 * 15) / 1e6)
    assert second.cost == pytest.approx((fresh * 3 + w * 0.30 + out2 * 15) / 1e6)


def test_local_providers_cost_nothing(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("ollama", server, model="qwen2.5-coder")]})
    assert gw.complete(Request([Message("user", "hi")])).cost == 0.0


def test_ttft_and_tokens_per_second(server: ModelServer) -> None:
    server.script(Turn("one two three four five six", delay=0.05, chunk_delay=0.01, chunk_size=4))
    gw = gateway({"main": [deployment("openai", server)]})
    list(gw.stream(Request([Message("user", "hi")])))
    call = gw.session.calls[0]
    assert call.stream and call.ttft_s >= 0.05 and call.latency_s > call.ttft_s
    assert call.tokens_per_s == pytest.approx(6 / (call.latency_s - call.ttft_s))
    assert tokens_per_second(10, 2.0, None) == 5.0


def test_budget_stops_with_a_clear_message(server: ModelServer) -> None:
    prices = {"m": {"input": 1000.0, "output": 1000.0}}
    gw = gateway({"main": [deployment("openai", server)]}, prices=prices, budget={"max_usd": 0.001})
    gw.complete(Request([Message("user", "hello there")]))
    with pytest.raises(LimitReached, match=r"cost budget reached: \$0\.00[0-9]+ spent of \$0\.00"):
        gw.complete(Request([Message("user", "again")]))
    assert server.count() == 1


def test_a_cost_budget_with_a_model_of_no_known_price_is_a_usage_error(server: ModelServer) -> None:
    """Its calls cost $0 by the table, so max_usd could never stop the run: said before the first call."""
    unpriced = gateway({"main": [deployment("openai", server)]}, budget={"max_usd": 1.0})
    with pytest.raises(UsageError, match=r'no price is known for m: add \[prices\."m"\]'):
        unpriced.check("main")
    gateway({"main": [deployment("openai", server)]}, budget={"max_usd": 1.0},
            prices={"m": {"input": 1.0, "output": 1.0}}).check("main")
    gateway({"main": [deployment("ollama", server)]}, budget={"max_usd": 1.0}).check("main")  # free
    gateway({"main": [deployment("openai", server)]}).check("main")  # no cost budget to keep
    assert server.count() == 0


@pytest.mark.parametrize("key", ["fallbacks", "context_fallbacks"])
def test_a_cost_budget_with_a_fallback_of_no_known_price_is_a_usage_error(server: ModelServer, key: str) -> None:
    """Only the alias's own deployments were priced: every call a fallback answered cost $0 against the budget."""
    prices = {"m": {"input": 1.0, "output": 1.0}}
    models = {"main": {"deployments": [deployment("openai", server)], key: ["spare"]},
              "spare": {"deployments": [deployment("openai", server, model="n")], "fallbacks": ["openai/o"]}}
    with pytest.raises(UsageError, match=r'^\[budget\] max_usd is set but no price is known for n, o: add \[prices\."n"\]'):
        gateway(models, budget={"max_usd": 1.0}, prices=prices).check("main")
    everything = {**prices, "n": prices["m"], "o": prices["m"]}
    gateway(models, budget={"max_usd": 1.0}, prices=everything).check("main")
    assert server.count() == 0


def test_a_run_budget_with_a_model_of_no_known_price_is_a_usage_error(server: ModelServer) -> None:
    """`run --budget` could never stop a run whose calls cost $0 by the table either."""
    with pytest.raises(UsageError, match=r'^--budget is set but no price is known for m: add \[prices\."m"\]'):
        gateway({"main": [deployment("openai", server)]}).check("main", budget=1.0)
    gateway({"main": [deployment("openai", server)]}, prices={"m": {"input": 1.0, "output": 1.0}}).check("main", 1.0)
    gateway({"main": [deployment("ollama", server)]}).check("main", budget=1.0)  # free
    assert server.count() == 0


def test_budget_downgrades_to_the_cheaper_alias(servers) -> None:
    prices = {"m": {"input": 1000.0, "output": 1000.0}}
    gw = gateway({"main": [deployment("openai", servers[0])], "cheap": [deployment("ollama", servers[1])]},
                 prices=prices, budget={"max_usd": 0.001, "downgrade_to": "cheap"})
    assert gw.complete(Request([Message("user", "hello")])).deployment == "openai/m"
    assert gw.complete(Request([Message("user", "hello")])).deployment == "ollama/m"
    assert gw.session.downgraded and servers[1].count() == 1


def test_token_budget(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("openai", server)]}, budget={"max_tokens": 3})
    gw.complete(Request([Message("user", "one two three")]))
    with pytest.raises(LimitReached, match="token budget"):
        gw.complete(Request([Message("user", "x")]))


def test_sessions_are_separate_but_share_breakers(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("openai", server)]})
    other = gw.with_session()
    gw.complete(Request([Message("user", "a")]))
    other.complete(Request([Message("user", "b")]))
    assert len(gw.session.calls) == 1 and len(other.session.calls) == 1
    assert other.router is gw.router


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_a_server_reporting_no_usage_is_estimated_and_the_budget_bites(stream: bool) -> None:
    """A server that sends no usage (one ignoring stream_options.include_usage) cost $0 a call: no budget stopped
    it. Its counts are estimated from the text with the context engine's tokenizer, and the call says so."""
    prices = {"m": {"input": 1000.0, "output": 1000.0}}
    with ModelServer(flavor="nousage") as server:
        server.script(Turn("the answer is forty-two"))
        gw = gateway({"main": [deployment("openai", server)]}, prices=prices, budget={"max_usd": 0.001})
        request = Request([Message("system", "be brief"), Message("user", "what is six times seven?")])
        response = list(gw.stream(request))[-1].response if stream else gw.complete(request)
        sent = 2 * MESSAGE_OVERHEAD + count_tokens("be brief") + count_tokens("what is six times seven?")
        written = count_tokens("the answer is forty-two")
        assert (response.usage.input_tokens, response.usage.output_tokens) == (sent, written)
        assert response.cost == pytest.approx((sent + written) * 1000 / 1e6)
        assert response.estimated and gw.session.calls[-1].estimated and gw.session.summary()["estimated_calls"] == 1
        with pytest.raises(LimitReached, match="cost budget reached"):
            gw.complete(Request([Message("user", "again")]))
        assert server.count() == 1


def test_reported_usage_is_not_estimated(server: ModelServer) -> None:
    gw = gateway({"main": [deployment("openai", server)]})
    response = gw.complete(Request([Message("user", "hello there")]))
    assert response.usage.input_tokens == server.requests[0].prompt_tokens  # the server's own count
    assert not response.estimated and not gw.session.calls[-1].estimated
    assert gw.session.summary()["estimated_calls"] == 0
