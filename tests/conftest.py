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
