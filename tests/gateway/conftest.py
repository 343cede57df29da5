"""Fixtures: model servers on 127.0.0.1 and gateways pointed at them with fast retry settings."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from tests.support.model_server import ModelServer

from codewright.gateway import Gateway
from codewright.gateway.config import parse_config

BASE = {"openai": "openai_base", "anthropic": "anthropic_base", "ollama": "ollama_host"}
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "read_timeout": 2.0, "connect_timeout": 1.0}


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as srv:
        yield srv


@pytest.fixture
def servers() -> Iterator[list[ModelServer]]:
    srvs = [ModelServer() for _ in range(3)]
    yield srvs
    for s in srvs:
        s.stop()


def deployment(protocol: str, srv: ModelServer | str, model: str = "m", **extra: Any) -> dict[str, Any]:
    url = srv if isinstance(srv, str) else getattr(srv, BASE[protocol])
    return {"provider": protocol, "model": model, "base_url": url, "api_key_env": "TEST_KEY", **extra}


def gateway(models: dict[str, Any], default: str = "main", router: dict[str, Any] | None = None,
            prices: dict[str, Any] | None = None, budget: dict[str, Any] | None = None,
            env: dict[str, str] | None = None) -> Gateway:
    """A gateway over `models` = {alias: [deployment dicts] or alias table}."""
    tables = {a: v if isinstance(v, dict) else {"deployments": v} for a, v in models.items()}
    config = parse_config({"default_model": default, "models": tables, "router": {**FAST, **(router or {})},
                           "prices": prices or {}, "budget": budget or {}})
    return Gateway(config, env=env if env is not None else {"TEST_KEY": "sk-test-123"}, rng=random.Random(7))
