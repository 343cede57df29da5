"""The terminal renderer draws text from the model and from the repository's files without the control
characters that would drive the terminal (ESC sequences move the cursor, erase lines, set the clipboard)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from codewright.agent import events as ev
from codewright.ui.terminal import TerminalRenderer

HOSTILE = "ok\x1b[1A\x1b[2K\x1b]52;c;cHduZWQ=\x07\r\x9bJ done"
EVENTS = [
    ev.ModelStreamed(session="s", seq=1, kind="text", text=HOSTILE),
    ev.ToolCallFinished(session="s", seq=2, call_id="c", name="read_file", ok=True, kind="file_read", output=HOSTILE,
                        duration_s=0.1),
    ev.PlanUpdated(session="s", seq=3, steps=[{"step": HOSTILE, "status": "pending"}]),
    ev.AssistantMessage(session="s", seq=4, text=HOSTILE),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_text_drawn_without_terminal_control_characters(event: ev.Event) -> None:
    out = io.StringIO()
    TerminalRenderer(Console(file=out, width=200, color_system=None), stream=event.type == "model_streamed")(event)
    drawn = out.getvalue()
    assert "ok[1A[2K]52;c;cHduZWQ=J done" in drawn.replace("\n", "")  # tool output is split at the CR
    assert not any(char in drawn for char in "\x1b\x07\r\x9b")


@pytest.mark.parametrize(("path", "drawn"), [("a.py", "  ~ a.py\n"), ("a\nb.py", "  ~ $'a\\nb.py'\n"),
                                             ("x\x1b[31m.py", "  ~ $'x\\x1b[31m.py'\n")])
def test_a_changed_file_is_named_as_the_cli_names_it(path: str, drawn: str) -> None:
    """Its control characters were dropped: a\\nb.py was drawn as ab.py, another file's name."""
    out = io.StringIO()
    TerminalRenderer(Console(file=out, width=200, color_system=None))(
        ev.FileChanged(session="s", seq=1, path=path, change="modified"))
    assert out.getvalue() == drawn


@pytest.mark.parametrize(("outcome", "exit_code", "colour"), [
    ("done", 0, "\x1b[1;32m"),
    ("replied", 0, "\x1b[1;32m"),  # every chat turn that ends as it should: it was drawn red, as a failure
    ("failed", 1, "\x1b[1;31m"),
    ("stuck", 1, "\x1b[1;31m"),
    ("limit", 3, "\x1b[1;31m"),
    ("interrupted", 130, "\x1b[1;31m"),
])
def test_outcome_drawn_green_when_it_exits_0_else_red(outcome: str, exit_code: int, colour: str) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system="standard")
    TerminalRenderer(console)(ev.Finished(session="s", seq=1, outcome=outcome, reason="r", exit_code=exit_code,
                                          steps=1, input_tokens=0, output_tokens=0, cache_read_tokens=0, cost=0.0))
    assert out.getvalue().startswith(f"{colour}{outcome}\x1b[0m: r")


@pytest.mark.parametrize(("written", "calls", "drawn"), [
    (0, 0, "done: r · 2 step(s), 900 in (600 cached), 40 out, $0.0100\n"),
    (250, 0, "done: r · 2 step(s), 900 in (600 cached, 250 cache writes), 40 out, $0.0100\n"),
    (0, 2, "done: r · 2 step(s), 900 in (600 cached), 40 out (estimated in 2 call(s)), $0.0100\n"),
], ids=["plain", "cache writes", "estimated calls"])
def test_the_summary_says_the_cache_writes_and_the_calls_whose_usage_was_estimated(written: int, calls: int,
                                                                                    drawn: str) -> None:
    """Anthropic's cache writes, billed above the input price, were left out where the cache reads were said; and
    where servers reported no usage, the totals holding the gateway's estimates were drawn as their counts."""
    out = io.StringIO()
    TerminalRenderer(Console(file=out, width=200, color_system=None))(ev.Finished(
        session="s", seq=1, outcome="done", reason="r", exit_code=0, steps=2, input_tokens=900, output_tokens=40,
        cache_read_tokens=600, cache_write_tokens=written, cost=0.01, estimated_calls=calls))
    assert out.getvalue() == drawn


@pytest.mark.parametrize(("read", "written", "estimated", "drawn"), [
    (0, 0, False, "model m: 900 in, 40 out, $0.0100, 0.1s\n"),
    (600, 0, False, "model m: 900 in, 600 cached, 40 out, $0.0100, 0.1s\n"),
    (0, 850, False, "model m: 900 in, 850 cache writes, 40 out, $0.0100, 0.1s\n"),
    (0, 0, True, "model m: 900 in, 40 out (estimated), $0.0100, 0.1s\n"),
], ids=["plain", "cache reads", "cache writes", "estimated"])
def test_each_model_call_says_its_cache_writes_and_whether_its_usage_was_estimated(read: int, written: int,
                                                                                   estimated: bool, drawn: str) -> None:
    """Cache writes were left out; and where the server reported no usage, the gateway's estimate was drawn as the
    server's count."""
    out = io.StringIO()
    TerminalRenderer(Console(file=out, width=200, color_system=None))(ev.ModelCallFinished(
        session="s", seq=1, step=1, model="m", finish_reason="stop", input_tokens=900, output_tokens=40,
        cache_read_tokens=read, cache_write_tokens=written, cost=0.01, latency_s=0.1, estimated=estimated))
    assert out.getvalue() == drawn


CODES = "src/a.py:100:5: E501 :ok: :cd:"  # rich drew :100: as 💯, :ok: as 🆗, :cd: as 💿
WITH_CODES = [
    ev.ToolCallRequested(session="s", seq=1, call_id="c", name="read_file", arguments=CODES),
    ev.ToolCallFinished(session="s", seq=2, call_id="c", name="run_command", ok=False, kind="command", output=CODES,
                        duration_s=0.1),
    ev.ToolCallDenied(session="s", seq=3, call_id="c", name="run_command", reason=CODES),
    ev.PlanUpdated(session="s", seq=4, steps=[{"step": CODES, "status": "pending"}]),
    ev.FileChanged(session="s", seq=5, path=CODES, change="modified"),
    ev.ErrorEvent(session="s", seq=6, kind="tool_error", message=CODES, recoverable=True),
    ev.AssistantMessage(session="s", seq=7, text=CODES),
    ev.Finished(session="s", seq=8, outcome="done", reason=CODES, exit_code=0, steps=1, input_tokens=0,
                output_tokens=0, cache_read_tokens=0, cost=0.0),
]


@pytest.mark.parametrize("event", WITH_CODES, ids=lambda e: e.type)
def test_emoji_codes_are_drawn_as_written(event: ev.Event) -> None:
    """Compiler output (`file:100:5`), paths and the model's words are not rich's emoji shortcodes."""
    out = io.StringIO()
    TerminalRenderer(Console(file=out, width=200, color_system=None), stream=False)(event)
    assert CODES in out.getvalue()


@pytest.mark.parametrize(("streamed", "drawn"), [
    (["It is ", "done."], "It is done.\nmodel m"),
    (["It is done.\n"], "It is done.\nmodel m"),  # a reply that ended its line was followed by a blank one
    (["It is done.\n", "\x1b"], "It is done.\nmodel m"),  # what is not drawn ends no line
    (["It is done.\n\n"], "It is done.\n\nmodel m"),  # the model's own blank line stays
])
def test_the_next_line_after_a_streamed_reply_starts_right_below_it(streamed: list[str], drawn: str) -> None:
    out = io.StringIO()
    render = TerminalRenderer(Console(file=out, width=200, color_system=None))
    for seq, text in enumerate(streamed, 1):
        render(ev.ModelStreamed(session="s", seq=seq, kind="text", text=text))
    render(ev.ModelCallFinished(session="s", seq=9, step=1, model="m", finish_reason="stop", input_tokens=1,
                                output_tokens=1, cache_read_tokens=0, cache_write_tokens=0, cost=0.0, latency_s=0.1))
    assert out.getvalue().startswith(drawn)
