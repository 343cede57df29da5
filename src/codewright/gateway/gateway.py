"""The gateway: the one object the rest of codewright calls a model through.

    gateway = Gateway.load(model=args.model)          # config files + --model (alias or PROVIDER/NAME)
    response = gateway.complete(Request(messages))     # retries, fallback, breakers inside
    for event in gateway.stream(Request(messages)):    # TextDelta | ReasoningDelta | ToolCallDelta
        ...                                            # (PromptProgress first, from a local model)
                                                       # ... then exactly one Completed
    gateway.session.summary()                          # tokens, cache, cost of this session

`request.model` picks the alias per call (empty: the gateway's default model). Each
answered call is priced, recorded in the session and passed to `on_call` (for events).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from codewright.errors import UsageError
from codewright.gateway import prices
from codewright.gateway.accounting import CallRecord, Session, estimate, tokens_per_second
from codewright.gateway.config import Deployment, GatewayConfig, load_config
from codewright.gateway.errors import Attempt
from codewright.gateway.router import Router
from codewright.gateway.types import Request, Response, StreamEvent


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        env: Mapping[str, str] | None = None,
        session: Session | None = None,
        on_call: Callable[[CallRecord], None] | None = None,
        rng: random.Random | None = None,
        router: Router | None = None,
    ) -> None:
        self.config = config
        self.router = router or Router(config, os.environ if env is None else env, rng)
        self.session = session or Session(config.budget)
        self.on_call = on_call
        self._prices: dict[str, prices.Price | None] = {}

    def __repr__(self) -> str:
        return f"Gateway(default_model={self.config.default_model!r}, aliases={sorted(self.config.aliases)})"

    # -- construction
    @classmethod
    def from_config(cls, config: GatewayConfig, **kwargs: object) -> Gateway:
        return cls(config, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_model_string(cls, model: str, **kwargs: object) -> Gateway:
        """A gateway for one `PROVIDER/NAME` with no configuration file (keys from the environment)."""
        config = GatewayConfig(default_model=model)
        config.resolve(model)  # fail early on a malformed model string
        return cls(config, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def load(
        cls,
        model: str | None = None,
        project_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        **kwargs: object,
    ) -> Gateway:
        """The CLI's way in: configuration files, then `--model` (an alias or PROVIDER/NAME) on top."""
        config = load_config(project_dir, env)
        if model:
            config.default_model = model
        config.resolve(config.default_model)
        return cls(config, env=env, **kwargs)  # type: ignore[arg-type]

    def with_session(self, session: Session | None = None) -> Gateway:
        """Another accounting session over the same deployments (shared breakers and load)."""
        return Gateway(self.config, session=session or Session(self.config.budget), on_call=self.on_call,
                       router=self.router)

    def check(self, model: str | None = None, budget: float | None = None) -> None:
        """Raise UsageError when the model can be used through no deployment (a key not set), or when a cost
        budget is set (`[budget] max_usd`, or `budget`: run's --budget) and a deployment has no known price: said
        before a session starts, instead of by its first model call. A fallback's deployments count too: only the
        alias's own were priced, and the calls a fallback answered cost $0, however many."""
        alias = self.config.resolve(model or self.config.default_model)
        self.router.check(alias.name)
        limit = "[budget] max_usd" if self.config.budget.max_usd is not None else "--budget" if budget else None
        if limit:
            deployments = [d for name in self.router.reachable(alias) for d in self.config.resolve(name).deployments]
            unpriced = sorted({d.model for d in deployments if self._price(d) is None})
            if unpriced:  # it would cost $0 a call: the budget could never stop the run
                raise UsageError(
                    f"{limit} is set but no price is known for {', '.join(unpriced)}: add "
                    f'[prices."{unpriced[0]}"] input = ..., output = ... (USD per million tokens) to codewright.toml')

    # -- calls
    def complete(self, request: Request) -> Response:
        alias = self.config.resolve(self.session.admit(request.model or self.config.default_model))
        response, attempts = self.router.complete(request, alias)
        self._account(alias.name, request, response, attempts, stream=False)
        return response

    def stream(self, request: Request) -> Iterator[StreamEvent]:
        alias = self.config.resolve(self.session.admit(request.model or self.config.default_model))
        return self.router.stream(
            request, alias,
            lambda response, attempts: self._account(alias.name, request, response, attempts, stream=True)
        )

    def _account(self, alias: str, request: Request, response: Response, attempts: list[Attempt],
                 stream: bool) -> None:
        dep = self.router.deployment(response.deployment)
        estimated = estimate(request, response)
        response.usage = estimated or response.usage
        response.estimated = estimated is not None
        response.cost = prices.cost(response.usage, self._price(dep))
        record = CallRecord(
            alias=alias,
            deployment=response.deployment,
            model=response.model or dep.model,
            usage=response.usage,
            cost=response.cost,
            latency_s=response.latency_s,
            ttft_s=response.ttft_s,
            tokens_per_s=tokens_per_second(response.usage.output_tokens, response.latency_s, response.ttft_s),
            attempts=len(attempts),
            stream=stream,
            estimated=response.estimated,
        )
        self.session.record(record)
        if self.on_call:
            self.on_call(record)

    def _price(self, dep: Deployment) -> prices.Price | None:
        if dep.name not in self._prices:
            price = prices.lookup(dep.model, self.config.prices)
            if price is None and dep.provider in prices.FREE_PROVIDERS:
                price = prices.Price(0.0, 0.0)
            self._prices[dep.name] = price
        return self._prices[dep.name]

    def close(self) -> None:
        self.router.close()
