"""The shared test server's own promises: tokenizer, simulated prefix cache, records, responders."""

from __future__ import annotations

import httpx
import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import ModelServer, PrefixCache, Turn, count_tokens, tokenize

from codewright.gateway import Message, Request


def test_tokenizer_is_words_and_punctuation() -> None:
    assert tokenize("def f(x): return x+1") == ["def", "f", "(", "x", ")", ":", "return", "x", "+", "1"]
    assert count_tokens("") == 0


def test_automatic_cache_is_the_longest_shared_prefix() -> None:
    cache = PrefixCache()
    assert cache.automatic("m", list("abcdef")) == 0
    assert cache.automatic("m", list("abcxyz")) == 3
    assert cache.automatic("m", list("abcdeq")) == 5  # against the best earlier prompt
    assert cache.automatic("other", list("abcdef")) == 0  # per model
    blocky = PrefixCache(block=4, minimum=4)
    blocky.automatic("m", list("abcdefghij"))
    assert blocky.automatic("m", list("abcdefgXXX")) == 4 and blocky.automatic("m", list("abQ")) == 0


def test_breakpoint_cache_reads_only_written_prefixes() -> None:
    cache = PrefixCache()
    tokens = list("abcdefghij")
    assert cache.breakpoints("m", tokens, [4, 8]) == (0, 8)
    assert cache.breakpoints("m", tokens, [4, 8, 10]) == (8, 2)
    assert cache.breakpoints("m", list("abcdZZZZZZ"), [4, 10]) == (4, 6)


def test_responder_sees_the_normalised_conversation() -> None:
    seen = []

    def reply(rec):
        seen.append((rec.protocol, rec.last_text))
        return Turn(f"echo {rec.last_text}")

    with ModelServer(reply) as srv:
        for protocol in ("openai", "anthropic", "ollama"):
            gw = gateway({"main": [deployment(protocol, srv)]})
            assert gw.complete(Request([Message("user", "ping")])).text == "echo ping"
    assert seen == [("openai", "ping"), ("anthropic", "ping"), ("ollama", "ping")]


def test_stopped_server_refuses_connections() -> None:
    srv = ModelServer()
    url = srv.url
    srv.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models", timeout=1)
