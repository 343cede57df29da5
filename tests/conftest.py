"""Shared fixtures: paths to the development data beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVAL_DATA = ROOT.parent / "shared" / "eval-data"


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The development sets; CI has ../shared beside the clone, so their absence is an error."""
    assert EVAL_DATA.is_dir(), f"missing {EVAL_DATA}: CI clones with ../shared beside the checkout"
    return EVAL_DATA


@pytest.fixture(scope="session", autouse=True)
def _sigint_raises() -> None:
    """Ctrl-C raises KeyboardInterrupt here and in the commands the tests start, however pytest was launched.

    A shell's background job starts with SIGINT ignored, so Python installs no handler and every
    child inherits the ignore: the Ctrl-C tests would then test the shell, not codewright. A
    handler set here is reset to the default at each exec, so children get Python's own again.
    """
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
