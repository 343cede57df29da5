"""Routing decisions: breakers, weights, latency, concurrency caps, abandoned streams."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from tests.gateway.conftest import deployment, gateway
from tests.support.model_server import Fault, ModelServer, Turn, closed_url

from codewright.errors import UsageError
from codewright.gateway import GatewayError, Message, Request, TextDelta
from codewright.gateway.breaker import Breaker


def _req() -> Request:
    return Request([Message("user", "hello")])


def test_breaker_states() -> None:
    b = Breaker(failures=2, cooldown=10)
    b.failure(0.0, 0.0)
    assert b.state == "closed" and b.can_try(0.0)
    b.failure(1.0, 1.0)
    assert b.state == "open" and not b.can_try(5.0) and b.wait_s(5.0) == 6.0
    assert b.can_try(11.0)
    b.acquire(11.0)
    assert b.state == "half_open" and not b.can_try(11.0)  # one probe at a time
    b.failure(12.0, 11.0)
    assert b.state == "open" and not b.can_try(21.0) and b.can_try(22.0)
    b.acquire(22.0)
    b.success(23.0)
    assert b.state == "closed" and b.failures == 0


def _opened(b: Breaker) -> None:
    b.failure(1.0, 1.0)


def _probing(b: Breaker) -> None:
    _opened(b)
    b.acquire(11.0)


def _closed_again(b: Breaker) -> None:
    _probing(b)
    b.success(12.0)


@pytest.mark.parametrize("before, failed, sent, after", [
    (_opened, 5.0, 0.5, ("open", 1.0, False, 1)),  # the cooldown still ends at 11, not 15
    (_probing, 12.0, 0.5, ("half_open", 1.0, True, 1)),  # the probe's turn goes on
    (_closed_again, 13.0, 0.5, ("closed", 1.0, False, 0)),  # no count against the new closed state
    (_probing, 12.0, 11.0, ("open", 12.0, False, 2)),  # the probe's own failure re-opens it
], ids=["open", "half-open", "closed again", "the probe"])
def test_a_failure_counts_only_against_the_state_its_request_was_sent_in(before, failed: float, sent: float,
                                                                         after: tuple) -> None:
    b = Breaker(failures=1, cooldown=10)
    before(b)
    b.failure(failed, sent)
    assert (b.state, b.opened_at, b.probing, b.failures) == after


def test_a_late_failure_does_not_push_back_the_cooldown(servers) -> None:
    servers[0].script(Turn(fault=Fault.server_error(503), delay=0.2), Turn(fault=Fault.server_error(503), delay=1.0))
    gw = gateway({"main": {"deployments": [deployment("openai", servers[0])], "fallbacks": ["b"]},
                  "b": [deployment("openai", servers[1], model="m2")]},
                 router={"breaker_failures": 1, "breaker_cooldown": 1.5})
    started = time.monotonic()
    both = [threading.Thread(target=gw.complete, args=(_req(),)) for _ in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join()
    assert servers[0].count() == 2 and servers[1].count() == 2  # both sent before the breaker opened at 0.2 s
    time.sleep(max(0.0, started + 2.0 - time.monotonic()))  # past 0.2 + 1.5, before 1.0 + 1.5
    assert gw.complete(_req()).deployment == "openai/m"  # the half-open probe


def test_open_breaker_skips_a_dead_deployment(server: ModelServer) -> None:
    dead = closed_url()
    gw = gateway({"main": [deployment("openai", dead, model="dead"), deployment("openai", server)]},
                 router={"breaker_failures": 2, "breaker_cooldown": 60})
    for _ in range(30):
        assert gw.complete(_req()).text == "ok"
    dead_tries = sum(1 for c in gw.session.calls if c.attempts == 2)
    assert dead_tries == 2  # after two refusals the breaker keeps requests away
    assert {h["deployment"]: h["breaker"] for h in gw.router.health()}["openai/dead"] == "open"


def test_cooldown_then_half_open_probe(servers) -> None:
    gw = gateway({"main": {"deployments": [deployment("openai", servers[0], model="a")], "fallbacks": ["b"]},
                  "b": [deployment("openai", servers[1], model="b")]},
                 router={"breaker_failures": 1, "breaker_cooldown": 0.3})
    servers[0].script(Fault.server_error(500))
    assert gw.complete(_req()).deployment == "openai/b"
    assert gw.complete(_req()).deployment == "openai/b"  # open: not tried during the cooldown
    assert servers[0].count() == 1
    time.sleep(0.35)
    assert gw.complete(_req()).deployment == "openai/a"  # the half-open probe succeeds...
    assert gw.router.health()[0]["breaker"] == "closed"  # ...and closes the breaker
    assert servers[0].count() == 2


def test_open_single_deployment_fails_over_without_being_tried(servers) -> None:
    gw = gateway({"main": {"deployments": [deployment("openai", servers[0])], "fallbacks": ["b"]},
                  "b": [deployment("openai", servers[1], model="m2")]},
                 router={"breaker_failures": 1, "breaker_cooldown": 30})
    servers[0].script(Fault.server_error(503))
    assert gw.complete(_req()).deployment == "openai/m2"
    for _ in range(5):
        assert gw.complete(_req()).deployment == "openai/m2"
    assert servers[0].count() == 1  # its breaker is open: requests go straight to the fallback


def test_all_breakers_open_gets_an_early_probe() -> None:
    with ModelServer() as srv:
        gw = gateway({"main": [deployment("openai", srv)]},
                     router={"breaker_failures": 1, "breaker_cooldown": 30, "max_attempts": 1})
        srv.script(Fault.server_error(503))
        try:
            gw.complete(_req())
        except GatewayError:
            pass
        assert gw.router.health()[0]["breaker"] == "open"
        started = time.monotonic()
        assert gw.complete(_req()).text == "ok"  # nowhere else to go: probed at once, not after 30 s
        assert time.monotonic() - started < 1.0
        assert gw.router.health()[0]["breaker"] == "closed"


def test_weighted_choice_follows_weights(servers) -> None:
    gw = gateway({"main": [deployment("openai", servers[0], model="a", weight=3),
                           deployment("openai", servers[1], model="b", weight=1)]})
    counts = Counter(gw.complete(_req()).deployment for _ in range(200))
    assert 0.65 < counts["openai/a"] / 200 < 0.85


def test_latency_strategy_prefers_the_fast_deployment(servers) -> None:
    servers[0].responder = lambda rec: Turn("slow", delay=0.05)
    gw = gateway({"main": {"strategy": "latency", "deployments": [deployment("openai", servers[0], model="slow"),
                                                                   deployment("openai", servers[1], model="fast")]}})
    counts = Counter(gw.complete(_req()).deployment for _ in range(20))
    assert counts["openai/fast"] >= 18  # each measured once, then the fast one


def test_concurrency_cap_per_deployment(servers) -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def slow(rec):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return Turn("ok")

    servers[0].responder = slow
    gw = gateway({"main": [deployment("openai", servers[0], max_concurrent=2)]})
    threads = [threading.Thread(target=gw.complete, args=(_req(),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert servers[0].count() == 8 and peak[0] == 2


def test_concurrency_cap_overflows_to_the_sibling(servers) -> None:
    servers[0].responder = lambda rec: Turn("a", delay=0.1)
    servers[1].responder = lambda rec: Turn("b", delay=0.1)
    gw = gateway({"main": [deployment("openai", servers[0], model="a", max_concurrent=1),
                           deployment("openai", servers[1], model="b", max_concurrent=1)]})
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(gw.complete(_req()).text)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["a", "b"]


def test_abandoned_stream_frees_its_slot(server: ModelServer) -> None:
    server.script(Turn("many words in this reply", chunk_size=2))
    gw = gateway({"main": [deployment("openai", server, max_concurrent=1)]})
    stream = gw.stream(_req())
    assert isinstance(next(stream), TextDelta)
    stream.close()
    assert gw.router.health()[0]["in_flight"] == 0
    assert gw.complete(_req()).text == "ok"


def test_fallback_chain_is_followed_in_order(servers) -> None:
    for s in servers[:2]:
        s.script(Fault.server_error(503))
    gw = gateway({"main": {"deployments": [deployment("openai", servers[0])], "fallbacks": ["second"]},
                  "second": {"deployments": [deployment("openai", servers[1], model="m2")], "fallbacks": ["third"]},
                  "third": [deployment("openai", servers[2], model="m3")]})
    assert gw.complete(_req()).deployment == "openai/m3"
    assert [s.count() for s in servers] == [1, 1, 1]


NO_KEY = {"provider": "openai", "model": "gpt-x", "api_key_env": "UNSET_KEY"}  # the hosted endpoint, no key


def test_a_deployment_without_its_key_hands_the_request_to_the_fallback(server: ModelServer) -> None:
    gw = gateway({"main": {"deployments": [NO_KEY], "fallbacks": ["second"]},
                  "second": [deployment("openai", server, model="m2")]})
    gw.check()
    response = gw.complete(_req())
    assert (response.deployment, server.count()) == ("openai/m2", 1)


@pytest.mark.parametrize("env", [{}, {"UNSET_KEY": ""}, {"UNSET_KEY": " \n"}], ids=["unset", "empty", "blank"])
def test_check_says_why_no_deployment_can_be_used(env: dict[str, str]) -> None:
    """A key of whitespace only passed as set, and the hosted API was sent no key at all (401)."""
    gw = gateway({"main": [NO_KEY]}, env=env)
    with pytest.raises(UsageError, match=r"^UNSET_KEY is not set: export it to use openai/gpt-x$"):
        gw.check()
