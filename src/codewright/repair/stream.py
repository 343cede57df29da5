"""Streaming repair: partial JSON while a model is still writing it.

`StreamParser` keeps one engine alive across chunks and never re-reads the text it has
consumed: a chunk costs time in proportion to its own length (plus the partial string
shown in a snapshot). Its final value equals `loads` on the whole text, because both run
the same engine and every look-ahead pauses until the text it needs has arrived.
"""

from __future__ import annotations

from codewright.repair.engine import Arr, Engine, Obj
from codewright.repair.errors import RepairError
from codewright.repair.oneshot import NOT_JSON, as_json
from codewright.repair.strings import Str, Unquoted


class StreamParser:
    """Feed model output chunk by chunk; read the value so far after each.

        parser = StreamParser()
        for chunk in chunks:
            partial = parser.feed(chunk)   # e.g. {"path": "src/a.py", "content": "def f("
        value = parser.close()             # == loads("".join(chunks))

    Snapshots are the parser's live containers: read them, do not modify them. A string
    still being written appears with the text so far. Errors (nesting too deep) surface
    at `close`, so live rendering is never interrupted.
    """

    def __init__(self) -> None:
        self._engine = Engine(final=False)
        self._error: RepairError | None = None
        self._chunks: list[str] = []
        self._closed = False
        self._shown: object = None

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._chunks)

    def feed(self, chunk: str) -> object:
        """Add text; returns the snapshot (None until an object or array has started)."""
        engine = self._engine
        if self._closed:
            raise RuntimeError("StreamParser.feed after close")
        self._chunks.append(chunk)
        if self._error is None:
            engine.append(chunk)
            if len(engine.buf) < engine.resume_at:  # waiting for a list item to complete: nothing new to show
                return self._shown
            try:
                engine.run()
            except RepairError as exc:
                self._error = exc
        self._shown = self.snapshot()
        return self._shown

    def snapshot(self) -> object:
        """The partial value: containers so far, the string being read included."""
        engine = self._engine
        stack = engine.stack
        if len(stack) >= 2 and type(stack[-1]) in (Str, Unquoted) and stack[-1].ctx != "key":
            _show_partial_string(stack[-1], stack[-2])
        shown = list(engine.tops)
        live = engine.open_top
        if live is not None and live and not any(t is live for t in shown):
            shown.append(live)
        if not shown:
            return live
        return shown[0] if len(shown) == 1 else shown

    def close(self) -> object:
        """The final value, equal to `loads(self.text)`; raises RepairError like `loads`."""
        engine = self._engine
        self._closed = True
        value = as_json(self.text)
        if value is not NOT_JSON:
            return value
        if self._error is not None:
            raise self._error
        engine.final = True
        engine.run()
        return engine.result()


def _show_partial_string(fr: Str | Unquoted, parent: Obj | Arr) -> None:
    text = "".join(fr.parts)
    fr.parts[:] = [text]  # the next snapshot joins only what arrived since
    if type(parent) is Obj:
        parent.d[parent.key] = text
    elif fr.placed:
        parent.items[-1] = text
    else:
        parent.items.append(text)
        fr.placed = True
