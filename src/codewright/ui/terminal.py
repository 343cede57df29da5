"""Draw agent events on a terminal with rich. Drawing only: every decision was made before the event.

Streamed model text is written as it arrives; everything else is one short line per event
so a long run stays readable. Tool output is shown truncated; the full text is in the
session store.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape as _markup_escape

from codewright.agent import events as ev
from codewright.quoting import quoted
from codewright.ui.stdout import PipeSafeConsole

_STATUS = {"done": "[green]✔[/]", "in_progress": "[yellow]▶[/]", "pending": "[dim]○[/]", "skipped": "[dim]–[/]"}
_CHANGE = {"added": "[green]+[/]", "modified": "[yellow]~[/]", "deleted": "[red]-[/]"}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """Text from the model or from the repository's files, without the control characters that would drive the
    terminal (ESC sequences move the cursor, erase lines, set the clipboard: they could hide a denial above)."""
    return _CONTROL.sub("", text)


def escape(text: str) -> str:
    """`shown` text, its rich markup escaped."""
    return _markup_escape(shown(text))


def _short(text: str, lines: int = 6, width: int = 160) -> str:
    rows = [row[:width] for row in text.splitlines()]
    if len(rows) > lines:
        rows = rows[: lines - 1] + [f"… ({len(rows) - lines + 1} more lines)"]
    return "\n".join(rows)


def _cache_writes(tokens: int) -> str:
    """The prompt tokens written to the provider's cache (Anthropic's), said where there were any: they are
    billed above the input price, and were left out where the cache reads were shown."""
    return f", {tokens} cache writes" if tokens else ""


def _estimated_in(calls: int) -> str:
    """The session's calls whose usage was estimated (their servers reported none), said where there were any:
    the totals hold those estimates, and were given as the servers' own counts."""
    return f" (estimated in {calls} call(s))" if calls else ""


class TerminalRenderer:
    def __init__(self, console: Console | None = None, *, stream: bool = True) -> None:
        self.console = console or PipeSafeConsole(highlight=False)
        self.stream = stream
        self._line_open = False  # streamed text left the cursor mid-line
        self._draw: dict[type, Callable[[ev.Event], None]] = {
            ev.SessionStarted: self._session,
            ev.PlanUpdated: self._plan,
            ev.ModelStreamed: self._streamed,
            ev.ModelCallFinished: self._model_done,
            ev.ToolCallRequested: self._tool_requested,
            ev.ToolCallDenied: self._tool_denied,
            ev.ToolCallFinished: self._tool_done,
            ev.FileChanged: self._file,
            ev.CheckpointMade: self._checkpoint,
            ev.Compacted: self._compacted,
            ev.AttemptRestarted: self._restarted,
            ev.ErrorEvent: self._error,
            ev.AssistantMessage: self._message,
            ev.Finished: self._finished,
        }

    def __call__(self, event: ev.Event) -> None:
        draw = self._draw.get(type(event))
        if draw is None:
            return
        if self._line_open and not isinstance(event, ev.ModelStreamed):
            self.console.print()
            self._line_open = False
        draw(event)

    def _print(self, markup: str) -> None:
        # emoji off: rich drew shortcodes in what it was given, a compiler's `a.py:100:5` as `a.py💯5`
        self.console.print(markup, soft_wrap=True, emoji=False)

    def _session(self, e: ev.SessionStarted) -> None:
        verb = "resuming" if e.resumed else "session"
        self._print(f"[bold]{verb} {e.session}[/] · {escape(e.model)} · mode {e.mode} · {escape(e.repo)}")
        if e.sandbox:
            self._print(f"[dim]{escape(e.sandbox)}[/]")

    def _plan(self, e: ev.PlanUpdated) -> None:
        self._print("[bold]plan[/]")
        for step in e.steps:
            mark = _STATUS.get(step.get("status", "pending"), "○")
            self._print(f"  {mark} {escape(step.get('step', ''))}")

    def _streamed(self, e: ev.ModelStreamed) -> None:
        text = shown(e.text)
        if not self.stream or e.kind != "text" or not text:
            return
        self.console.out(text, end="", highlight=False)
        self._line_open = not text.endswith("\n")  # a reply that ended its line was followed by a blank one

    def _model_done(self, e: ev.ModelCallFinished) -> None:
        cached = f", {e.cache_read_tokens} cached" if e.cache_read_tokens else ""
        cached += _cache_writes(e.cache_write_tokens)
        estimated = " (estimated)" if e.estimated else ""  # the server reported no usage: counted from the text
        self._print(
            f"[dim]model {escape(e.model)}: {e.input_tokens} in{cached}, {e.output_tokens} out{estimated}, "
            f"${e.cost:.4f}, {e.latency_s:.1f}s[/]"
        )

    def _tool_requested(self, e: ev.ToolCallRequested) -> None:
        self._print(f"[cyan]→ {escape(e.name)}[/] [dim]{escape(e.arguments[:200])}[/]")

    def _tool_denied(self, e: ev.ToolCallDenied) -> None:
        self._print(f"[red]✘ {escape(e.name)} denied[/]: {escape(e.reason)}")

    def _tool_done(self, e: ev.ToolCallFinished) -> None:
        if e.kind == "denied":  # the denial was drawn already
            return
        mark = "[green]✔[/]" if e.ok else "[red]✘[/]"
        self._print(f"{mark} [dim]{escape(_short(e.output))}[/]")

    def _file(self, e: ev.FileChanged) -> None:
        self._print(f"  {_CHANGE.get(e.change, '~')} {escape(quoted(e.path))}")  # not `a b.py` for a\nb.py

    def _checkpoint(self, e: ev.CheckpointMade) -> None:
        self._print(f"[dim]checkpoint {e.commit[:10]} ({e.files} file(s)): {escape(e.label)}[/]")

    def _restarted(self, e: ev.AttemptRestarted) -> None:
        undone = f"; undone: {', '.join(e.files)}" if e.files else ""
        undone += (f"; not undone, a git repository of its own: {', '.join(e.unrestored)}" if e.unrestored else "")
        self._print(f"[yellow]attempt {e.attempt}: starting again ({escape(e.reason)}){escape(undone)}[/]")

    def _compacted(self, e: ev.Compacted) -> None:
        self._print(f"[magenta]compacted context: {e.tokens_before} → {e.tokens_after} tokens[/]")

    def _error(self, e: ev.ErrorEvent) -> None:
        colour = "yellow" if e.recoverable else "red"
        self._print(f"[{colour}]{e.kind}: {escape(e.message)}[/]")

    def _message(self, e: ev.AssistantMessage) -> None:
        if not self.stream:
            self._print(escape(e.text))

    def _finished(self, e: ev.Finished) -> None:
        colour = "green" if e.exit_code == 0 else "red"  # a chat turn's end, `replied`, is no failure
        self._print(
            f"[bold {colour}]{e.outcome}[/]: {escape(e.reason)} · {e.steps} step(s), "
            f"{e.input_tokens} in ({e.cache_read_tokens} cached{_cache_writes(e.cache_write_tokens)}), "
            f"{e.output_tokens} out{_estimated_in(e.estimated_calls)}, ${e.cost:.4f}"
        )
