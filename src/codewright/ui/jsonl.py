"""`--json`: each event as one JSON line on standard output, flushed so a reader sees it at once."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from codewright.agent.events import Event
from codewright.ui.stdout import closed


class JsonLinesRenderer:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def __call__(self, event: Event) -> None:
        try:
            self.out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
            self.out.flush()
        except BrokenPipeError:
            raise closed() from None
