"""What a renderer does when its reader goes away (`codewright run | head`).

A closed pipe ends the drawing, not the session: the renderer points standard output at
/dev/null, so no later write fails, and raises BrokenPipeError, on which the emitter
switches it off while the run goes on and its store keeps every event. rich's own answer,
SystemExit, ended a run mid-step and left its session unsaved.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console


def closed() -> BrokenPipeError:
    """Silence standard output for the rest of the process; the error to raise."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return BrokenPipeError("standard output was closed")


class PipeSafeConsole(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise closed()
