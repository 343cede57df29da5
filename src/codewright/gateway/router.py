"""Chooses a deployment for each attempt and decides what a failure means.

An alias names a group of deployments; its `fallbacks` name other groups. For each
attempt the router prefers, in order: an untried deployment of the current group, an
untried one of a fallback group, then a deployment already tried (after exponential
backoff with jitter, never sooner than its Retry-After). A deployment is skipped while its
breaker is open, while a Retry-After it sent is running, or while it has `max_concurrent`
requests in flight. One whose Retry-After runs longer than `max_retry_after` is not waited
for: the request goes elsewhere, or fails at once as `RateLimited`. When every deployment the request could use has an open breaker, the
one that opened first gets an early half-open probe: with nowhere else to go, one more try
is better than failing outright. A context-window overflow moves on to `context_fallbacks` (then the
other fallbacks). A stream is retried only before its first token; a failure after it is
raised as `StreamInterrupted`, never passed off as a short answer.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from codewright.errors import UsageError
from codewright.gateway.breaker import Breaker
from codewright.gateway.config import Alias, Deployment, GatewayConfig, RouterSettings
from codewright.gateway.deadline import current as current_deadline
from codewright.gateway.deadline import deadline_at
from codewright.gateway.errors import Attempt, ContextOverflow, GatewayError, RateLimited, StreamInterrupted
from codewright.gateway.factory import build_provider
from codewright.gateway.provider import Provider, ProviderError
from codewright.gateway.types import Completed, PromptProgress, Request, Response, StreamEvent

T = TypeVar("T")
_EWMA = 0.3


class Slot:
    """The live state of one deployment: its provider, breaker, load and speed."""

    def __init__(self, dep: Deployment, router: Router) -> None:
        self.dep = dep
        self.name = dep.name
        self.breaker = Breaker(router.settings.breaker_failures, router.settings.breaker_cooldown)
        self.in_flight = 0
        self.cool_until = 0.0
        self.latency: float | None = None
        self._router = router
        self._provider: Provider | None = None
        self._building = threading.Lock()

    @property
    def provider(self) -> Provider:
        """Built on first use; a deployment that cannot be built (its key is not set) fails as
        `unusable`, and the request goes on to the other deployments and fallbacks."""
        if self._provider is None:
            with self._building:  # concurrent first calls must share one provider (one pool)
                if self._provider is None:
                    try:
                        self._provider = build_provider(self.dep, self._router.settings, self._router.env)
                    except UsageError as exc:
                        raise ProviderError(str(exc), "unusable") from exc
        return self._provider

    def ready(self, now: float) -> bool:
        cap = self.dep.max_concurrent
        return (cap is None or self.in_flight < cap) and now >= self.cool_until and self.breaker.can_try(now)

    def wait_s(self, now: float) -> float:
        return max(self.cool_until - now, self.breaker.wait_s(now), 0.0)


def _total_timeout(settings: RouterSettings, alias: Alias) -> float:
    """The request's deadline budget. An all-local alias has none: its model computes on this
    machine, where a deadline could only cut a slow (busy-CPU) but healthy answer short."""
    if all(d.protocol == "local" for d in alias.deployments):
        return math.inf
    return settings.total_timeout


class _Try:
    """One request's progress through the plan: groups, attempts, what was tried."""

    def __init__(self, router: Router, alias: Alias) -> None:
        self.router = router
        self.alias = alias
        self.plan = router.plan(alias)
        self.attempts: list[Attempt] = []
        self.failed: dict[Slot, int] = {}
        self.refused: dict[str, str] = {}  # a deployment that refused its key (401, 403): what it refused, and said
        self.retry_at: dict[Slot, float] = {}  # backoff: when a failed slot may be tried again
        self.excluded: set[Slot] = set()
        self.sent = 0.0  # when the current attempt took its slot: a breaker counts its failure only if not older
        outer = current_deadline()  # the caller's (an agent's --max-seconds): waits and retries end there too
        self.deadline = min(time.monotonic() + _total_timeout(router.settings, alias),
                            math.inf if outer is None else outer)

    def next_slot(self) -> Slot:
        """Take (reserve) the slot for the next attempt, waiting when all are busy or cooling."""
        router = self.router
        with router.cond:
            while True:
                now = time.monotonic()
                slot, wait = self._pick(now)
                if slot is not None and wait <= 0:
                    slot.in_flight += 1
                    slot.breaker.acquire(now)
                    self.sent = now
                    return slot
                if (now + wait if slot is not None else now) >= self.deadline:
                    raise GatewayError("no deployment could answer before the deadline", self.attempts)
                # a busy, cooling or probing deployment frees up with a notify; poll as a fallback
                router.cond.wait(wait if slot is not None else min(wait, 0.05, self.deadline - now))

    def _pick(self, now: float) -> tuple[Slot | None, float]:
        usable = [[s for s in self.router.slots(a) if s not in self.excluded] for a in self.plan]
        groups = [[s for s in group if not self._held_off(s, now)] for group in usable]
        for name, group in zip(self.plan, groups):
            fresh = [s for s in group if s not in self.failed and s.ready(now)]
            if fresh:
                return self.router.choose(self.router.alias(name), fresh), 0.0
        for group in groups:
            ready = [s for s in group if s.ready(now)]
            if ready:
                slot = min(ready, key=lambda s: self.retry_at.get(s, 0.0))
                return slot, self.retry_at.get(slot, 0.0) - now
        every = [s for g in groups for s in g]
        held = [s for g in usable for s in g if self._held_off(s, now)]
        if not every and held:
            raise self._rate_limited(held, now)
        if not every and self.attempts and all(a.outcome == "unusable" or a.deployment in self.refused
                                               for a in self.attempts):  # the setup, not the service: exit 2
            said = (self.refused.get(a.deployment, a.message) for a in self.attempts)
            raise UsageError("; ".join(dict.fromkeys(said)))
        if not every:
            raise GatewayError(f"no usable deployment for {self.alias.name!r}", self.attempts)
        if all(s.breaker.state == "open" for s in every):
            # Nothing left but open breakers: probe the one that opened first rather than
            # fail a request that has nowhere else to go (a "panic" probe, one at a time).
            probe = min(every, key=lambda s: s.breaker.opened_at)
            return probe, max(probe.cool_until, self.retry_at.get(probe, 0.0)) - now
        waits = [s.wait_s(now) for s in every]
        positive = [w for w in waits if w > 0]
        return None, min(positive) if positive else 0.01

    def _held_off(self, slot: Slot, now: float) -> bool:
        """Whether the server asked (Retry-After) for a longer wait than max_retry_after: such a deployment is
        passed over until then, not waited for. It was waited out, cut to max_retry_after, and tried again."""
        return slot.cool_until - now > self.router.settings.max_retry_after

    def _rate_limited(self, held: list[Slot], now: float) -> RateLimited:
        waits = {s.name: s.cool_until - now for s in held}
        asked = ", ".join(f"{name} asks to wait {math.ceil(w)} s more" for name, w in waits.items())
        limit = self.router.settings.max_retry_after
        return RateLimited(f"rate limited: {asked}, longer than max_retry_after ({limit:g} s)", self.attempts,
                           min(waits.values()))

    def settle_failure(self, slot: Slot, exc: ProviderError, elapsed: float) -> float:
        """Record a failed attempt and free its slot (a fault of the request's own does not count against the
        deployment); the time it was settled."""
        router = self.router
        self.attempts.append(Attempt(slot.name, exc.kind, str(exc), elapsed))
        now = time.monotonic()
        with router.cond:
            slot.in_flight -= 1
            if exc.kind in ("context_overflow", "bad_request", "unusable"):
                slot.breaker.success(now)  # it answered, or was never asked; the request or the setup is at fault
            else:
                slot.breaker.failure(now, self.sent)
            if exc.retry_after:
                slot.cool_until = max(slot.cool_until, now + exc.retry_after)  # however long: see _held_off
            router.cond.notify_all()
        return now

    def failure(self, slot: Slot, exc: ProviderError, elapsed: float) -> None:
        """Record a failed attempt; raise when this request must stop."""
        router = self.router
        now = self.settle_failure(slot, exc, elapsed)
        self.failed[slot] = self.failed.get(slot, 0) + 1
        self.retry_at[slot] = now + router.backoff(self.failed[slot])
        if exc.kind == "context_overflow":
            self._past_overflow(slot)
        elif exc.kind in ("auth", "not_found", "unusable"):  # wrong key or model here: try the others
            self.excluded.add(slot)
            if exc.status in (401, 403):
                self.refused[slot.name] = _key_refused(slot, exc)
        elif not exc.retryable:
            raise GatewayError(f"{slot.name} refused the request: {exc}", self.attempts) from exc
        if len(self.attempts) >= router.settings.max_attempts:
            raise GatewayError(f"all {len(self.attempts)} attempts failed", self.attempts) from exc
        if time.monotonic() >= self.deadline:
            raise GatewayError("deadline passed", self.attempts) from exc

    def _past_overflow(self, slot: Slot) -> None:
        group = next(a for a in self.plan if slot in self.router.slots(a))
        overflowed = self.router.alias(group)
        rest = self.plan[self.plan.index(group) + 1:]
        plan = [a for a in overflowed.context_fallbacks + rest if a != group]
        self.plan = list(dict.fromkeys(plan))
        if not self.plan:
            raise ContextOverflow(f"the prompt does not fit {group!r} and no larger model is configured",
                                  self.attempts)

    def success(self, slot: Slot, response: Response, elapsed: float) -> None:
        router = self.router
        self.attempts.append(Attempt(slot.name, "ok", "", elapsed))
        speed = response.ttft_s if response.ttft_s is not None else elapsed
        with router.cond:
            slot.in_flight -= 1
            slot.breaker.success(time.monotonic())
            slot.latency = speed if slot.latency is None else (1 - _EWMA) * slot.latency + _EWMA * speed
            router.cond.notify_all()
        response.deployment = slot.name

    def release(self, slot: Slot) -> None:
        """The caller abandoned a stream: free the slot without judging the deployment."""
        with self.router.cond:
            slot.in_flight -= 1
            slot.breaker.probing = False
            self.router.cond.notify_all()


class Router:
    def __init__(self, config: GatewayConfig, env: Mapping[str, str], rng: random.Random | None = None) -> None:
        self.config = config
        self.settings = config.router
        self.env = env
        self.rng = rng or random.Random()
        self.cond = threading.Condition()
        self._slots: dict[str, list[Slot]] = {}
        self._named: dict[str, Deployment] = {}

    # -- groups
    def alias(self, name: str) -> Alias:
        return self.config.resolve(name)

    def slots(self, name: str) -> list[Slot]:
        found = self._slots.get(name)
        if found is None:
            found = self._slots[name] = [Slot(d, self) for d in self.alias(name).deployments]
            self._named.update((s.name, s.dep) for s in found)
        return found

    def deployment(self, name: str) -> Deployment:
        return self._named[name]

    def check(self, name: str) -> None:
        """Raise UsageError when no deployment of the alias or its fallbacks can be built at all."""
        problems = []
        for alias in self.plan(self.alias(name)):
            for slot in self.slots(alias):
                try:
                    slot.provider  # noqa: B018 - built for the check, kept for the calls
                    return
                except ProviderError as exc:
                    problems.append(str(exc))
        raise UsageError("; ".join(dict.fromkeys(problems)) or f"model {name} has no deployment")

    def close(self) -> None:
        for slots in self._slots.values():
            for slot in slots:
                if slot._provider is not None:
                    slot._provider.close()

    def plan(self, alias: Alias) -> list[str]:
        """The alias, then its fallbacks and theirs, breadth first, each once."""
        order, queue = [alias.name], list(alias.fallbacks)
        while queue:
            name = queue.pop(0)
            if name not in order:
                order.append(name)
                queue.extend(self.alias(name).fallbacks)
        return order

    def reachable(self, alias: Alias) -> list[str]:
        """Every alias a request for `alias` may be answered by: its plan, and on an overflow its context_fallbacks'
        plans, each once."""
        order = self.plan(alias)
        for name in alias.context_fallbacks:
            order += self.plan(self.alias(name))
        return list(dict.fromkeys(order))

    def choose(self, alias: Alias, candidates: list[Slot]) -> Slot:
        if len(candidates) == 1:
            return candidates[0]
        if alias.strategy == "latency":
            unmeasured = [s for s in candidates if s.latency is None]
            if unmeasured:
                return self.rng.choice(unmeasured)
            return min(candidates, key=lambda s: s.latency or 0.0)
        return self.rng.choices(candidates, weights=[max(s.dep.weight, 0.0) or 1e-9 for s in candidates])[0]

    def backoff(self, failures: int) -> float:
        """Exponential backoff with jitter for the n-th retry of one deployment."""
        if failures <= 0:
            return 0.0
        s = self.settings
        return min(s.backoff_max, s.backoff_base * 2 ** (failures - 1)) * self.rng.uniform(0.5, 1.0)

    def health(self) -> list[dict[str, Any]]:
        with self.cond:
            return [
                {"alias": a, "deployment": s.name, "breaker": s.breaker.state, "in_flight": s.in_flight,
                 "latency_s": s.latency}
                for a, slots in self._slots.items() for s in slots
            ]

    # -- calls
    def _attempt(self, alias: Alias, call: Callable[[Provider], T], attempt: _Try | None = None
                 ) -> tuple[T, Slot, _Try]:
        """Run `call` on deployments until one succeeds; the winning slot stays reserved. `attempt` carries
        the tries already made for this request (a stream that failed before its first token)."""
        attempt = attempt or _Try(self, alias)
        while True:
            slot = attempt.next_slot()
            started = time.monotonic()
            try:
                with deadline_at(attempt.deadline):
                    return call(slot.provider), slot, attempt
            except ProviderError as exc:
                attempt.failure(slot, exc, time.monotonic() - started)
            except BaseException:
                attempt.release(slot)
                raise

    def complete(self, request: Request, alias: Alias) -> tuple[Response, list[Attempt]]:
        started = time.monotonic()
        response, slot, attempt = self._attempt(alias, lambda p: p.complete(request))
        response.latency_s = time.monotonic() - started
        attempt.success(slot, response, response.latency_s)
        return response, attempt.attempts

    def stream(self, request: Request, alias: Alias, done: Callable[[Response, list[Attempt]], None]
               ) -> Iterator[StreamEvent]:
        """Yield the stream of the first deployment that produces a token; `done` gets the result.

        A stream that fails before its first token (a local model's prompt progress is no token) is
        retried on the next deployment as a failed request would be: the caller has nothing to discard.
        Latency and time to first token are measured from the request, retries included.
        """
        started = time.monotonic()
        attempt: _Try | None = None
        while True:
            opened = time.monotonic()  # this try's time, for its Attempt; latency counts from `started`
            (event, events), slot, attempt = self._attempt(alias, lambda p: _first_event(p, request), attempt)
            ttft = None
            settled = False
            try:
                while not isinstance(event, Completed):
                    if ttft is None and not isinstance(event, PromptProgress):  # reading the prompt is no token
                        ttft = time.monotonic() - started
                    yield event
                    with deadline_at(attempt.deadline):  # the provider's reads end there too (a trickling server)
                        event = next(events, None)
                    if event is None:
                        raise ProviderError("stream ended without a completed response", "stream_cut", started=True)
                    if time.monotonic() > attempt.deadline:
                        raise ProviderError("deadline passed mid-stream", "timeout", started=True)
                response = event.response
                response.latency_s = time.monotonic() - started
                response.ttft_s = response.latency_s if ttft is None else ttft
                settled = True
                attempt.success(slot, response, response.ttft_s)
                done(response, attempt.attempts)
                yield event
                return
            except ProviderError as exc:
                settled = True
                if ttft is None and exc.retryable:
                    attempt.failure(slot, exc, time.monotonic() - opened)  # raises when the request must stop
                    continue
                self._interrupted(attempt, slot, exc, opened)
            finally:
                if not settled:  # the caller stopped reading early
                    attempt.release(slot)
                close = getattr(events, "close", None)
                if close:
                    close()

    def _interrupted(self, attempt: _Try, slot: Slot, exc: ProviderError, started: float) -> None:
        attempt.settle_failure(slot, exc, time.monotonic() - started)
        raise StreamInterrupted(f"the stream from {slot.name} failed after it had started: {exc}",
                                attempt.attempts) from exc


def _key_refused(slot: Slot, exc: ProviderError) -> str:
    """A refused key as one line naming the variable and who refused it: a request every deployment refused so is
    the setup's fault, a usage error (exit 2), where it read as a service that failed (exit 1)."""
    note = getattr(slot.provider, "key_said", str)()  # where the key came from, which the message ends with
    said = str(exc).removesuffix(f"; {note}")
    if note.startswith("key from"):
        return f"{slot.dep.key_env} refused by {slot.name} ({said})"
    return f"{slot.name} refused a request without a key, {note.removeprefix('no key sent: ')} ({said})"


def _first_event(provider: Provider, request: Request) -> tuple[StreamEvent, Iterator[StreamEvent]]:
    """Open a stream and read up to its first event: failures until then are retryable."""
    events = iter(provider.stream(request))
    try:
        first = next(events)
    except StopIteration:
        raise ProviderError("stream ended without any event", "server") from None
    return first, events
