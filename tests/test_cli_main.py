"""The command line's wiring: help, version, and exit codes for usage errors."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codewright", *args], capture_output=True, text=True, check=False)


def run_cli_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command run in `cwd`, with this checkout's codewright."""
    return subprocess.run([sys.executable, "-m", "codewright", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": SRC})


def test_version_prints_and_exits_zero() -> None:
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("codewright ")


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    out = run_cli("no-such-command")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    out = run_cli()
    assert out.returncode == 2
    assert "usage: codewright" in out.stdout


def test_command_table_names_exactly_what_each_module_registers() -> None:
    from codewright.cli.main import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(COMMANDS)


def _arguments(parser, command: str):
    """Each argument of `parser` and of the commands under it, by the command and the name `--help` shows."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _arguments(sub, f"{command} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield command, "/".join(action.option_strings) or action.metavar or action.dest, action.help


def test_every_argument_says_what_it_is_in_its_help() -> None:
    """`callers --help` listed `--json` with no word after it, and `symbols --limit N` alike."""
    from codewright.cli.main import build_parser

    assert [(command, name) for command, name, text in _arguments(build_parser(), "codewright") if not text] == []


def _cli_bytes(args: list[bytes], cwd: Path, stdout=subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable.encode(), b"-m", b"codewright", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, check=False, env={**os.environ, "PYTHONPATH": SRC})


@pytest.mark.parametrize("command", [b"symbols", b"def", b"refs", b"callers", b"impact", b"outline"])
def test_an_argument_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path, command: bytes) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    out = _cli_bytes([command, b"x\xffy"], tmp_path)
    assert (out.returncode, out.stderr) == (2, "codewright: 'x\ufffdy' is not valid UTF-8\n".encode())


EMPTY_TREE_PATHS = [  # every command that takes a tree: "" would have been the current folder
    ["index", ""], ["symbols", "x", "--repo", ""], ["callers", "x", "--repo", ""], ["find", "q", "--repo", ""],
    ["run", "a task", "--repo", ""], ["chat", "--repo", ""], ["sessions", "--repo", ""], ["undo", "--repo", ""],
    ["rewind", "--repo", ""], ["apply", "-", "--repo", ""], ["models", "--project", ""],
    ["callgraph", "a.py", "--package", ""],
]


@pytest.mark.parametrize("args", EMPTY_TREE_PATHS, ids=lambda args: args[0])
def test_an_empty_tree_path_is_a_usage_error_and_touches_nothing(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    out = _cli_bytes([a.encode() for a in args], tmp_path)
    assert out.returncode == 2 and b"Traceback" not in out.stderr
    assert out.stderr.endswith(b": the path is empty (give a folder, or . for the current one)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


READER_LEAVES = [  # (command, what it exits with when its output is read): the reader's leaving is 141 alike
    (["outline", "big.py"], 0), (["symbols", "f", "--limit", "3000"], 0), (["refs", "helper"], 0),
    (["refs", "helper", "--json"], 0), (["apply", "garbage.txt", "--json"], 1), (["eval", "json"], 0), ([], 2),
    (["--help"], 0), (["--version"], 0),
]


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize(("args", "read"), READER_LEAVES, ids=[" ".join(args) or "no command" for args, _ in READER_LEAVES])
def test_a_reader_that_leaves_is_exit_141_without_a_word(tmp_path: Path, args: list[str], read: int,
                                                          buffered: bool) -> None:
    """`codewright refs NAME | head -1`: 141 (128 + SIGPIPE) as git and coreutils, whatever the command would have
    said; it was 0 (a failed apply --json too), 120 and "Exception ignored" where stdout was buffered."""
    (tmp_path / "big.py").write_text("".join(f"def f{n}():\n    return helper()\n\n" for n in range(3000)))
    (tmp_path / "garbage.txt").write_text("no edits here\n")
    _cli_bytes([b"index"], tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | ({} if buffered else
                                                                            {"PYTHONUNBUFFERED": "1"})
    command = [sys.executable, "-m", "codewright", *args]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, env={**env, "PYTHONPATH": SRC},
                          check=False).returncode == read
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**env, "PYTHONPATH": SRC})
    proc.stdout.close()  # the reader is gone before the first line (`| head -0`, or a head that was quicker)
    assert (proc.wait(timeout=60), proc.stderr.read()) == (141, b"")


@pytest.mark.parametrize("args", [["outline", "big.py"], ["refs", "helper", "--json"]], ids=" ".join)
def test_a_reader_that_leaves_after_the_first_bytes_is_exit_141(tmp_path: Path, args: list[str]) -> None:
    """`codewright refs NAME | head`: output past what the reader took is dropped, no traceback. The outline of
    8,000 functions is about 150 KB, twice what a pipe holds: at 3,000 (51 KB) it could all fit in the pipe and the
    command end, exit 0, before the reader left, which a loaded machine made happen."""
    (tmp_path / "big.py").write_text("".join(f"def f{n}():\n    return helper()\n\n" for n in range(8000)))
    _cli_bytes([b"index"], tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "codewright", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": SRC})
    assert proc.stdout.read(10)  # more than a pipe holds is on its way
    proc.stdout.close()
    assert (proc.wait(timeout=60), proc.stderr.read()) == (141, b"")


@pytest.mark.parametrize("args", [["def", ""], ["refs", " "], ["symbols", ""], ["outline", ""], ["callers", ""],
                                  ["impact", ""], ["callees", ""]], ids=lambda args: args[0])
def test_an_empty_name_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    out = _cli_bytes([a.encode() for a in args], tmp_path)
    assert out.returncode == 2 and out.stderr.endswith(b": it is empty\n")


@pytest.mark.parametrize("position", ["a.py:0:1", "a.py:1:0"])
def test_a_position_before_line_or_column_1_is_a_usage_error(tmp_path: Path, position: str) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    out = _cli_bytes([b"def", position.encode()], tmp_path)
    assert (out.returncode, out.stderr) == (2, f"codewright: {position}: lines and columns start at 1\n".encode())


@pytest.mark.parametrize("target", ["a.py:1", "./a.py:12"])
def test_a_position_without_its_column_is_a_usage_error(tmp_path: Path, target: str) -> None:
    """Looked up as a name, FILE:LINE was "no definition found", exit 1, as if nothing were defined there."""
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    out = _cli_bytes([b"def", target.encode()], tmp_path)
    assert (out.returncode, out.stderr) == (2, f"codewright: {target}: a position needs its column too: "
                                                "FILE:LINE:COL\n".encode())


def test_a_current_directory_that_was_removed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (f"import os, runpy, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r});"
              " sys.argv = ['codewright', 'stats']; runpy.run_module('codewright', run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": SRC})
    assert (out.returncode, out.stderr) == (2, "codewright: the current directory no longer exists\n")


def test_a_full_disk_under_the_output_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    with open("/dev/full", "wb") as full:
        out = _cli_bytes([b"stats"], tmp_path, stdout=full)
    assert (out.returncode, out.stderr) == (1, b"codewright: no space left on device\n")


def test_an_unknown_option_of_a_command_shows_that_commands_usage() -> None:
    out = run_cli("index", "--bogus")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("usage: codewright index ")
    assert out.stderr.endswith("codewright index: error: unrecognized arguments: --bogus\n")


def _with_closed(stream: str, args: list[str], cwd: Path, env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
    """The command run with one standard stream closed when it starts (`>&-`, `2>&-`, `<&-`)."""
    redirect = {"stdout": ">&-", "stderr": "2>&-", "stdin": "<&-"}[stream]
    command = " ".join(["exec", sys.executable, "-m", "codewright", *[shlex.quote(a) for a in args], redirect])
    return subprocess.run(["sh", "-c", command], cwd=cwd, capture_output=stream != "stdout", text=True, check=False,
                          env={**os.environ, "PYTHONPATH": SRC, **(env or {})},
                          stderr=subprocess.PIPE if stream == "stdout" else None)


@pytest.mark.parametrize("args", [["index", "."], ["stats", "--json"], ["map"], ["symbols", "f", "--json"]],
                         ids=lambda args: args[0])
def test_a_closed_stdout_is_no_traceback(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    out = _with_closed("stdout", args, tmp_path)
    assert (out.returncode, out.stderr) == (0, "")


def test_a_closed_stderr_keeps_notices_out_of_the_json(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    (tmp_path / ".codewright").mkdir()
    (tmp_path / ".codewright" / "index.db").write_bytes(b"")  # rebuilt with a notice on stderr
    out = _with_closed("stderr", ["stats", "--json"], tmp_path)
    assert out.returncode == 0
    assert json.loads(out.stdout)["files"] == 1


@pytest.mark.parametrize("args", [["apply", "-"], ["find", "--query-file", "-"]], ids=lambda args: args[0])
def test_a_closed_stdin_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    out = _with_closed("stdin", args, tmp_path)
    assert (out.returncode, out.stderr) == (2, "codewright: cannot read standard input: it is closed\n")


@pytest.mark.parametrize("args", [["run", "say done"], ["run", "say done", "--mode", "auto-edit"], ["chat"]],
                         ids=lambda args: " ".join(args[:1] + args[2:]))
def test_a_closed_stdin_is_no_terminal_to_ask_on(tmp_path: Path, args: list[str]) -> None:
    """Asking whether a terminal was there read sys.stdin.isatty() of None: an AttributeError traceback before
    the first model call. Now a run goes on as without a terminal, and a chat ends as at Ctrl-D."""
    from tests.support.model_server import ModelServer, ToolUse, Turn

    with ModelServer(lambda rec: Turn(tool_calls=[ToolUse("finish", {"summary": "done"})])) as server:
        out = _with_closed("stdin", [*args, "--model", "openai/test-model"], tmp_path,
                           {**server.env(), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert "no terminal to ask" in out.stdout + out.stderr


@pytest.mark.parametrize("name, text, args, message", [
    ("edits.json", "[" * 1000 + "]" * 1000, ["apply", "edits.json"], "codewright: Could not recognise the edits"),
    ("codewright.toml", "x = " + "[" * 1000 + "]" * 1000, ["models", "--project", "."], "invalid TOML: nested too deeply"),
])
def test_deeply_nested_input_is_one_line(tmp_path: Path, name: str, text: str, args: list[str], message: str) -> None:
    (tmp_path / name).write_text(text)
    out = subprocess.run([sys.executable, "-m", "codewright", *args], cwd=tmp_path, capture_output=True, text=True,
                         check=False, env={**os.environ, "PYTHONPATH": SRC})
    assert out.returncode in (1, 2) and "Traceback" not in out.stderr
    assert message in out.stderr and out.stderr.count("\n") == 1


@pytest.mark.parametrize("encoding", ["", "utf-8:strict"], ids=["default", "strict"])
def test_a_tree_whose_path_is_not_utf8_is_shown_with_fffd_in_json(tmp_path: Path, encoding: str) -> None:
    tree = os.fsencode(tmp_path) + b"/t\xff"
    os.mkdir(tree)
    with open(tree + b"/a.py", "wb") as handle:
        handle.write(b"def f():\n    pass\n")
    env = {**os.environ, "PYTHONPATH": SRC, **({"PYTHONIOENCODING": encoding} if encoding else {})}
    out = subprocess.run([sys.executable.encode(), b"-m", b"codewright", b"index", tree, b"--json"], capture_output=True,
                         check=False, env=env)
    assert (out.returncode, out.stderr) == (0, b"")
    assert json.loads(out.stdout.decode("utf-8"))["root"] == str(tmp_path) + "/t\ufffd"


def test_a_definition_at_a_position_in_a_tree_whose_path_is_not_utf8(tmp_path: Path) -> None:
    """The index's own file name was read from SQLite as UTF-8 text: a traceback (Could not decode to UTF-8)."""
    tree = os.fsencode(tmp_path) + b"/t\xff"
    os.mkdir(tree)
    with open(tree + b"/a.py", "wb") as handle:
        handle.write(b"def f():\n    pass\n")
    out = subprocess.run([sys.executable.encode(), b"-m", b"codewright", b"def", b"a.py:1:5", b"--repo", tree],
                         cwd=tree, capture_output=True, check=False, env={**os.environ, "PYTHONPATH": SRC})
    assert (out.returncode, out.stderr) == (0, b"")
    assert out.stdout.decode("utf-8").startswith("a.py:1:1  def f()")


@pytest.mark.parametrize("args", [["callgraph", ""], ["callgraph", "a.py", "-o", ""]], ids=["FILE", "-o"])
def test_an_empty_file_path_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    """Read as the current folder, it was said to be one: `. is a directory`."""
    (tmp_path / "a.py").write_text("x = 1\n")
    out = _cli_bytes([a.encode() for a in args], tmp_path)
    assert out.returncode == 2 and out.stderr.endswith(b": the path is empty\n")


@pytest.mark.parametrize("args, message", [
    (["find", "--query-file", "empty.txt"], "codewright: empty.txt is empty: it holds no task\n"),
    (["map", "--focus", "/"], "codewright: --focus / names no indexed file, folder or symbol\n"),
    (["def", "x" * 300], f"codewright: no definition found for {'x' * 200}... (300 characters)\n"),
    (["outline", "x" * 300], f"codewright: {'x' * 200}... (300 characters) is not in the index\n"),
    (["callers", "x" * 300], f"codewright: no symbol named {'x' * 200!r}... (300 characters)\n"),
])
def test_messages_name_what_was_given(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    (tmp_path / "empty.txt").write_text("")
    out = subprocess.run([sys.executable, "-m", "codewright", *args], cwd=tmp_path, capture_output=True, text=True,
                         check=False, env={**os.environ, "PYTHONPATH": SRC})
    assert out.stderr.endswith(message)


LONG_ANSWERS = [  # (command, its output): a pasted page is named by its start, as def and callers name one
    (["symbols", "x" * 100_000], f"no symbol's name matches {'x' * 200!r}... (100000 characters)\n"),
    (["refs", "x" * 100_000], f"no uses of {'x' * 200!r}... (100000 characters) are indexed\n"),
]


@pytest.mark.parametrize(("args", "stdout"), LONG_ANSWERS, ids=[args[0] for args, _ in LONG_ANSWERS])
def test_a_long_query_is_repeated_cut_to_its_start(tmp_path: Path, args: list[str], stdout: str) -> None:
    """symbols and refs printed the whole of it: 100,000 characters for one line saying nothing matched."""
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    out = run_cli_in(tmp_path, *args)
    assert (out.returncode, out.stdout, out.stderr) == (0, stdout, "")


ODD_NAMES = {"a\nb.py": "def helper():\n    return 1\n", "x\x1b[31mred.py": "def other():\n    return helper()\n"}
EDITS = "x\x1b[31mred.py\n<<<<<<< SEARCH\ndef other():\n=======\ndef another():\n>>>>>>> REPLACE\n"


QUOTED = [  # (command, the first lines of its text output)
    (["symbols", "helper"], ["$'a\\nb.py':1:1  function  $'a\\nb.helper'"]),
    (["def", "helper"], ["$'a\\nb.py':1:1  def helper()"]),
    (["refs", "helper"], ["$'x\\x1b[31mred.py':2:12  call       helper"]),
    (["map"], ["$'a\\nb.py':", "  def helper()", "$'x\\x1b[31mred.py':", "  def other()"]),
    (["callees", "x\x1b[31mred.py::other"], ["$'x\\x1b[31mred.py::other'"]),
    (["apply", "--dry-run", "edits.txt"], ["would change 1 file(s):", "  modify $'x\\x1b[31mred.py' [exact]",
                                           "--- $'a/x\\x1b[31mred.py'", "+++ $'b/x\\x1b[31mred.py'"]),
]


@pytest.mark.parametrize(("args", "lines"), QUOTED, ids=[args[0] for args, _ in QUOTED])
def test_a_name_with_a_control_character_is_quoted_in_text_output(tmp_path: Path, args: list[str],
                                                                  lines: list[str]) -> None:
    """A newline in a file name split a line of the listing in two, and ESC drove the terminal."""
    for name, text in ODD_NAMES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "edits.txt").write_text(EDITS)
    out = run_cli_in(tmp_path, *args)
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.splitlines()[:len(lines)] == lines


ODD = "no\n\x1b[31mx"  # a path that does not exist, with a newline and the escape sequence that turns text red
QUOTED_ODD = "$'no\\n\\x1b[31mx'"
ERRORS = [  # (command, its one line on stderr)
    (["index", ODD], f"no such directory: {QUOTED_ODD}"),
    (["stats", "--repo", ODD], f"no such directory: {QUOTED_ODD}"),
    (["sessions", "--repo", ODD], f"--repo {QUOTED_ODD}: not a directory"),
    (["apply", ODD], f"cannot read {QUOTED_ODD}: No such file or directory"),
    (["find", "--query-file", ODD], f"cannot read {QUOTED_ODD}: No such file or directory"),
    (["outline", ODD], f"{QUOTED_ODD} is not in the index"),
    (["def", "a\x1b[31m.py:0:1"], "$'a\\x1b[31m.py:0:1': lines and columns start at 1"),  # no newline in a position
    (["callgraph", ODD], f"no such file: {QUOTED_ODD}"),
    (["callgraph", "a.py", "-o", f"{ODD}/cg.json"],
     f"cannot write $'no\\n\\x1b[31mx/cg.json': no such directory: {QUOTED_ODD}"),
]


@pytest.mark.parametrize(("args", "message"), ERRORS, ids=[args[0] + (args[1] if args[1].startswith("-") else "")
                                                           for args, _ in ERRORS])
def test_a_path_with_a_control_character_is_quoted_in_an_error(tmp_path: Path, args: list[str],
                                                                message: str) -> None:
    """The path given was printed as it was: its newline split the one line of the error in two, and its escape
    sequence turned the terminal's text red (or could rewrite what the line showed)."""
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    out = run_cli_in(tmp_path, *args)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", f"codewright: {message}\n")


@pytest.mark.parametrize("args", [["find", "helper"], ["callers", "helper"]], ids=lambda args: args[0])
def test_a_name_with_a_control_character_is_quoted_among_others(tmp_path: Path, args: list[str]) -> None:
    """Lines whose order is the ranking's: each odd name stands quoted in one of them, none raw."""
    for name, text in ODD_NAMES.items():
        (tmp_path / name).write_text(text)
    out = run_cli_in(tmp_path, *args)
    assert (out.returncode, out.stderr) == (0, "")
    assert "\x1b" not in out.stdout and "a\nb" not in out.stdout
    assert "$'a\\nb.py" in out.stdout


def test_a_tree_whose_path_has_a_control_character_is_quoted_by_stats(tmp_path: Path) -> None:
    tree = tmp_path / "t\nree"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    out = run_cli_in(tmp_path, "stats", "--repo", str(tree))
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.splitlines()[0] == f"root                 $'{tmp_path}/t\\nree'"


def test_a_changed_file_named_in_the_stale_notice_is_quoted(tmp_path: Path) -> None:
    for name, text in ODD_NAMES.items():
        (tmp_path / name).write_text(text)
    _cli_bytes([b"index"], tmp_path)
    (tmp_path / "a\nb.py").write_text("def helper():\n    return 2\n")
    out = run_cli_in(tmp_path, "symbols", "helper")
    assert out.stderr == ("codewright: 1 file changed since the last index ($'a\\nb.py'); answers may be out of date: "
                          "`codewright index` updates it\n")
