"""The side-effect ledger: recording, compact rendering, commits from git, serialisation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from codewright.context.ledger import Ledger
from codewright.tokens import count_tokens


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                   capture_output=True)


def test_renders_one_line_per_effect() -> None:
    ledger = Ledger()
    ledger.turn = 3
    ledger.record("chmod", path="run.sh", mode="+x")
    ledger.record("process", command="npm run dev", pid=41, port=3000)
    ledger.record("env", name="DEBUG", value="1")
    ledger.record("package", manager="pip", names=["requests", "rich"])
    ledger.record("delete", path="old.txt")
    ledger.record("custom", what="x")
    assert ledger.render().splitlines() == [
        "- chmod +x run.sh (turn 3)",
        "- started `npm run dev` pid 41 port 3000, running (turn 3)",
        "- set env DEBUG=1 (turn 3)",
        "- installed with pip: requests rich (turn 3)",
        "- deleted old.txt (turn 3)",
        "- custom: what=x (turn 3)",
    ]


def test_stopped_processes_are_marked_and_not_running() -> None:
    ledger = Ledger()
    ledger.record("process", command="a", pid=1)
    ledger.record("process", command="b", pid=2, port=8000)
    ledger.record("process_stopped", pid=1)
    assert [e.fields["pid"] for e in ledger.running_processes()] == [2]
    assert "`a` pid 1, stopped" in ledger.render()


def test_a_long_ledger_counts_its_oldest_effects_and_lists_the_running_processes() -> None:
    ledger = Ledger()
    ledger.record("commit", sha="abc1234", subject="Add the parser")
    ledger.record("process", command="npm run dev", pid=41, port=3000)
    for n in range(200):
        ledger.record("chmod", path=f"run_{n}.sh", mode="+x")
        ledger.record("delete", path=f"old_{n}.txt")
    text = ledger.render_within(300, count_tokens)
    assert count_tokens(text) <= 300 < count_tokens(ledger.render())
    lines = text.splitlines()
    assert lines[0] == "- user's recent commits (newest first): abc1234 Add the parser"
    assert lines[1].startswith("- earlier, not listed: chmod x1") and ", delete x1" in lines[1]
    assert lines[2] == "- started `npm run dev` pid 41 port 3000, running"
    assert lines[-1] == "- deleted old_199.txt"
    assert ledger.render_within(10_000, count_tokens) == ledger.render()


def test_render_from_index_and_secrets_masked() -> None:
    ledger = Ledger()
    ledger.record("env", name="A", value="1")
    ledger.record("env", name="API_KEY", value="sk-abcdefghijklmnopqrstuvwxyz12")
    assert ledger.render(1).count("\n") == 0
    assert "sk-abcdef" not in ledger.render()


def test_commits_from_git_log(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    for i in range(3):
        (tmp_path / "f.txt").write_text(str(i))
        _git(tmp_path, "add", ".")
        _git(tmp_path, "commit", "-qm", f"step {i}: make the parser strict")
    ledger = Ledger()
    assert ledger.record_commits(tmp_path, limit=2) == 2
    line = ledger.render()
    assert line.startswith("- user's recent commits (newest first):")
    assert line.index("step 2") < line.index("step 1") and "step 0" not in line


def test_a_commit_subject_that_is_not_utf8_is_recorded_with_a_replacement(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "f.txt").write_text("x")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "café au lait")
    _git(tmp_path, "config", "i18n.logOutputEncoding", "ISO-8859-1")  # git log now writes b"caf\xe9"
    ledger = Ledger()
    assert ledger.record_commits(tmp_path) == 1 and "caf\ufffd au lait" in ledger.render()


def test_commits_outside_a_repository(tmp_path: Path) -> None:
    assert Ledger().record_commits(tmp_path) == 0


def test_round_trip() -> None:
    ledger = Ledger()
    ledger.turn = 2
    ledger.record("process", command="srv", pid=5, port=1)
    copy = Ledger.from_dict(json.loads(json.dumps(ledger.to_dict())))
    assert copy.render() == ledger.render() and copy.turn == 2
