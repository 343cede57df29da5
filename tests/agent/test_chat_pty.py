"""`codewright chat` and `run` in a pseudo-terminal: turns, Ctrl-C and Ctrl-D at the prompts and while the model
streams, line editing and pastes, what a file of the output holds."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from tests.support.model_server import ModelServer, Recorded, Turn

from .harness import MODEL, Script, call, last_result


def _asked(child: pexpect.spawn) -> None:
    """Wait for a permission question and for the read of its answer: a signal that lands while input() is still
    setting the terminal up is acted on at the next key only (CPython looks for signals when a read is
    interrupted), and the test would wait for an exit that never comes."""
    child.expect(r"\[y/N\] ")
    time.sleep(0.5)


def _spawn(server: ModelServer, program: str, args: list[str], term: str = "dumb") -> pexpect.spawn:
    """`program args` in a 40x200 pseudo-terminal of type `term`, with an environment that points the agent at
    `server`: every test drives the same terminal, so what it draws does not depend on the machine's."""
    env = {**os.environ, **server.env(), "TERM": term, "COLUMNS": "200"}
    return pexpect.spawn(program, args, env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))


def _codewright(server: ModelServer, *args: str, term: str = "dumb") -> pexpect.spawn:
    """`python -m codewright ARGS` in the tests' pseudo-terminal (see _spawn)."""
    return _spawn(server, sys.executable, ["-m", "codewright", *args], term)


def _edit_notes(rec: Recorded) -> Turn:
    """The model's turn that changes notes.txt from `one` to `two`: an edit, so `--mode ask` asks about it."""
    return Turn(tool_calls=[call("edit_file", path="notes.txt", old_string="one\n", new_string="two\n")])


SLOW = "counting slowly: " + " ".join(str(n) for n in range(400))


def test_two_turns_and_ctrl_c_cancels_only_the_stream(tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text("print('hello from the file')\n")

    def read(rec: Recorded) -> Turn:
        assert rec.messages[-1]["content"].endswith("what does hello.py print?")
        return Turn(tool_calls=[call("read_file", path="hello.py")])

    def answer(rec: Recorded) -> Turn:
        assert "hello from the file" in last_result(rec)
        return Turn(text="It prints HELLO-FROM-THE-FILE.")

    def slow(rec: Recorded) -> Turn:
        return Turn(text=SLOW, chunk_size=4, chunk_delay=0.05)

    def after_cancel(rec: Recorded) -> Turn:
        assert "count" in rec.messages[-1]["content"] or "still there" in rec.messages[-1]["content"]
        return Turn(text="Yes, STILL-HERE.")

    script = Script([read, answer, slow, after_cancel])
    with ModelServer(script) as server:
        child = _codewright(server, "chat", "--model", MODEL, "--mode", "full-auto", "--repo", str(tmp_path))
        try:
            child.expect("you> ")
            child.sendline("what does hello.py print?")
            child.expect("HELLO-FROM-THE-FILE")
            child.expect("you> ")
            child.sendline("count to 400")
            child.expect("counting slowly: 0 1 2")
            child.sendintr()
            child.expect("interrupted")
            child.expect("you> ")
            child.sendline("are you still there?")
            child.expect("STILL-HERE")
            child.expect("you> ")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0, child.before
    assert script.problems == []
    assert script.served == 4


def _interrupted_at_the_edit_question(tmp_path: Path, interrupt: Callable[[pexpect.spawn], object]) -> str:
    """What `run` in ask mode drew when `interrupt` reached it at the question about its first edit. Both ways
    of interrupting there were once taken as "no": the refusal went back to the model and the run went on; so
    this checks that the run stopped at once (exit 130), the file unchanged and the model not asked again."""
    (tmp_path / "notes.txt").write_text("one\n")
    script = Script([_edit_notes, _edit_notes])
    with ModelServer(script) as server:
        child = _codewright(server, "run", "change the notes", "--model", MODEL, "--mode", "ask",
                            "--repo", str(tmp_path))
        try:
            _asked(child)
            interrupt(child)
            assert child.expect([pexpect.EOF, "denied"]) == 0, "taken as no: the run went on"
        finally:
            child.close()
    assert child.exitstatus == 130, child.before
    assert (tmp_path / "notes.txt").read_text() == "one\n"
    assert script.served == 1  # the refused edit did not go back to the model
    return child.before


def test_sigterm_at_an_approval_prompt_ends_the_run_instead_of_answering_no(tmp_path: Path) -> None:
    """The prompt took any KeyboardInterrupt as "no": a SIGTERM there was a refused edit and the run went on."""
    drawn = _interrupted_at_the_edit_question(tmp_path, lambda child: child.kill(signal.SIGTERM))
    assert "interrupted by SIGTERM" in drawn


def test_an_approval_prompt_shows_the_command_as_written(tmp_path: Path) -> None:
    """rich drew emoji shortcodes in the question: `Run 'grep -n x a.py:100:5'` asked about `a.py💯5`."""
    def grep(rec: Recorded) -> Turn:
        return Turn(tool_calls=[call("run_command", command="grep -n x a.py:100:5 :ok:")])

    script = Script([grep])
    with ModelServer(script) as server:
        child = _codewright(server, "run", "look", "--model", MODEL, "--mode", "ask", "--repo", str(tmp_path))
        try:
            _asked(child)
            question = child.before.splitlines()[-1]
            child.sendintr()
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert question.startswith("Run 'grep -n x a.py:100:5 :ok:' (run_command; ")


def test_ctrl_c_at_an_approval_prompt_stops_the_run(tmp_path: Path) -> None:
    """Ctrl-C there was taken as "no": the model was told of a refusal, went on, and the run ended done, exit 0."""
    drawn = _interrupted_at_the_edit_question(tmp_path, pexpect.spawn.sendintr)
    assert "\r\n✘ interrupted by the user before this call finished" in drawn
    assert "interrupted: interrupted by the user (Ctrl-C)" in drawn


def test_ctrl_c_at_an_approval_prompt_in_a_chat_cancels_the_turn(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("one\n")

    def answer(rec: Recorded) -> Turn:
        assert rec.messages[-1]["content"].endswith("still there?")
        return Turn(text="Yes, STILL-HERE.")

    script = Script([_edit_notes, answer])
    with ModelServer(script) as server:
        child = _codewright(server, "chat", "--model", MODEL, "--mode", "ask", "--repo", str(tmp_path))
        try:
            child.expect("you> ")
            child.sendline("change the notes")
            _asked(child)
            child.sendintr()
            assert child.expect(["interrupted by the user", "denied"]) == 0, "taken as no: the turn went on"
            child.expect("you> ")
            child.sendline("still there?")
            child.expect("STILL-HERE")
            child.expect("you> ")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0, child.before
    assert (tmp_path / "notes.txt").read_text() == "one\n"
    assert script.problems == []
    assert script.served == 2


@pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
def test_ctrl_d_at_the_prompt_ends_the_chat_on_a_line_of_its_own(tmp_path: Path, term: str) -> None:
    """The cursor stayed after `you> `: the shell's prompt came next on that line. Where readline ends the line
    itself (it has the terminal mark pastes, xterm), no second line break is added."""
    with ModelServer(Script([])) as server:
        child = _codewright(server, "chat", "--model", MODEL, "--mode", "full-auto",
                            "--repo", str(tmp_path), term=term)
        try:
            child.expect("you> ")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0, child.before
        assert child.before.replace("\x1b[?2004l\r", "") == "\r\n"


def _chat_sends(tmp_path: Path, term: str, keys: list[str]) -> tuple[str, list[str]]:
    """What the chat drew up to its first prompt, and the user messages of the request that `keys`, written one
    by one at that prompt, sent the model."""
    script = Script([lambda rec: Turn(text="GOT-IT.")])
    with ModelServer(script) as server:
        child = _codewright(server, "chat", "--model", MODEL, "--mode", "full-auto",
                            "--repo", str(tmp_path), term=term)
        try:
            child.expect("you> ")
            drawn = child.before
            for key in keys:
                child.send(key)
            child.expect("GOT-IT")
            child.expect("you> ")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert script.problems == []
    assert script.served == 1
    return drawn, [m["content"] for m in server.requests[-1].messages if m["role"] == "user"]


LEFT = "\x1b[D"


@pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
def test_arrow_keys_edit_the_message(tmp_path: Path, term: str) -> None:
    """Without line editing the terminal passed the arrow keys on: the model got `abc\\x1b[D\\x1b[DX`."""
    assert _chat_sends(tmp_path, term, ["abc", LEFT, LEFT, "X\r"])[1][-1] == "aXbc"


def test_a_pasted_block_of_lines_is_one_message(tmp_path: Path) -> None:
    """Each line of a paste was a message of its own, a model turn each. The chat asks the terminal to mark
    pastes (bracketed paste, which a terminal does only when asked) and the block is one message, sent with Enter."""
    paste = "\x1b[200~Traceback (most recent call last):\n  File \"a.py\", line 1\nNameError: x\n\x1b[201~"
    drawn, sent = _chat_sends(tmp_path, "xterm-256color", [paste, "why?\r"])
    assert "\x1b[?2004h" in drawn
    assert sent[-1] == "Traceback (most recent call last):\n  File \"a.py\", line 1\nNameError: x\nwhy?"


def test_a_chat_drawn_into_a_file_shows_each_typed_message_after_its_prompt(tmp_path: Path) -> None:
    """The terminal echoes what is typed on the terminal: the file had the model's reply right after `you> `."""
    script = Script([lambda rec: Turn(text="THE-REPLY")])
    log = tmp_path / "chat.log"
    with ModelServer(script) as server:
        command = f'exec "$0" -m codewright chat --model {MODEL} --mode full-auto --repo "$1" > "$2"'
        child = _spawn(server, "/bin/sh", ["-c", command, sys.executable, str(tmp_path), str(log)])
        try:
            child.sendline("what is it?")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0, child.before
    assert [line for line in log.read_text().splitlines() if line.startswith(("you>", "THE-"))] == [
        "you> what is it?", "THE-REPLY", "you> "]


def test_the_history_holds_messages_not_answers_to_permission_questions(tmp_path: Path) -> None:
    """Up at the prompt brought back the `n` just answered, not the message before it."""
    (tmp_path / "notes.txt").write_text("one\n")

    script = Script([_edit_notes, lambda rec: Turn(text="REFUSED."), lambda rec: Turn(text="AGAIN.")])
    with ModelServer(script) as server:
        child = _codewright(server, "chat", "--model", MODEL, "--mode", "ask", "--repo", str(tmp_path))
        try:
            child.expect("you> ")
            child.sendline("change the notes")
            child.expect(r"\[y/N\] ")
            child.sendline("n")
            child.expect("REFUSED")
            child.expect("you> ")
            child.send("\x1b[A\r")  # Up, Enter
            child.expect("AGAIN")
            child.expect("you> ")
            child.sendeof()
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert [m["content"] for m in server.requests[-1].messages if m["role"] == "user"][-1].endswith("\nchange the notes")
