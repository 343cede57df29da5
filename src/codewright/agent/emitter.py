"""Number, redact, store and hand on every event of a session.

The loop calls `emit(SomeEvent(...))`; the emitter stamps the session id and sequence
number, masks credential-looking values (context.secrets.redact), appends the event to
the session store and passes it to each renderer. Streamed fragments go to renderers
only: the finished model call carries their text, so storing every fragment is waste.
A renderer that raises is dropped with one line on stderr: drawing must never end a
session whose work and store are fine.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable

from codewright.agent.events import Event, ModelStreamed
from codewright.agent.session import SessionStore
from codewright.context.secrets import redact_value

Renderer = Callable[[Event], None]


class Emitter:
    def __init__(self, store: SessionStore, session: str, renderers: Iterable[Renderer], seq: int = 0) -> None:
        self.store = store
        self.session = session
        self.renderers = list(renderers)
        self.seq = seq

    def __call__(self, event: Event) -> Event:
        self.seq += 1
        changes = {f.name: redact_value(getattr(event, f.name)) for f in dataclasses.fields(event)}
        changes.update(session=self.session, seq=self.seq)
        event = dataclasses.replace(event, **changes)
        if not isinstance(event, ModelStreamed):
            self.store.append(event)
        for render in list(self.renderers):
            try:
                render(event)
            except Exception as exc:  # noqa: BLE001 - a drawing bug must not end the session
                self.renderers.remove(render)
                try:  # the terminal hung up (EIO): stderr is gone with it, and the wind-up must go on
                    print(f"codewright: a renderer failed on a {event.type} event ({type(exc).__name__}: {exc}); "
                          f"it is switched off, the session goes on and keeps every event", file=sys.stderr)
                except OSError:
                    pass
        return event
