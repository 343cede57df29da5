"""The command line's wiring: help, version, and exit codes for usage errors."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codewright", *args], capture_output=True, text=True, check=False)


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
