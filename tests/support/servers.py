"""Test servers a test starts as it needs them, every one stopped when the test ends (see `serving`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest


class Server(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=Server)


def serving(make: Callable[..., S]) -> Callable[[], Iterator[Callable[..., S]]]:
    """A fixture (`serve = serving(MyServer)` in a test module) that gives `serve(...)`: a server made with
    `make(...)`, so each case starts one with what it serves; every one started is closed when the test ends."""

    @pytest.fixture
    def serve() -> Iterator[Callable[..., S]]:
        servers: list[S] = []

        def start(*args: Any) -> S:
            servers.append(make(*args))
            return servers[-1]

        yield start  # pytest comes back here however the test ended
        for server in servers:
            server.close()

    return serve
