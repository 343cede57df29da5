"""Ctrl-C during a cold build: the build stops at once with KeyboardInterrupt, leaves no worker behind, and the
index builds again afterwards. Ctrl-C reaches the whole process group, the parse workers included."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from codewright.graph.index import POOL_THRESHOLD, Index

FILES = 8 * POOL_THRESHOLD  # enough that parsing is still going when the interrupt arrives
DRIVER = """
import sys
from pathlib import Path
from codewright.graph.index import Index

marker = Path(sys.argv[2])
def progress(done, total):
    if done == 20:
        marker.touch()  # parsing is under way: the test sends Ctrl-C now
try:
    with Index.open(sys.argv[1]) as index:
        index.build(progress)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _tree(root: Path) -> Path:
    root.mkdir(exist_ok=True)
    for i in range(FILES):
        body = "".join(f"def f{i}_{j}(x):\n    return helper(x) + {j}\n\n" for j in range(60))
        (root / f"mod{i}.py").write_text(f"from common import helper\n\n{body}")
    (root / "common.py").write_text("def helper(x):\n    return x\n")
    return root


def _parsing(tree: Path, marker: Path) -> subprocess.Popen[str]:
    """A cold build of `tree` in a session of its own, once its workers are parsing."""
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(tree), str(marker)], start_new_session=True,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), proc.communicate()[1]
    return proc


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_ctrl_c_to_the_process_group_stops_the_build_and_its_workers(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "tree")
    for attempt in range(3):  # the hang it guards against came one time in seven or so
        proc = _parsing(tree, tmp_path / f"parsing{attempt}")
        os.killpg(proc.pid, signal.SIGINT)  # as the terminal sends Ctrl-C
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the interrupted build did not end") from None
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        deadline = time.monotonic() + 10
        while not _group_gone(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _group_gone(proc.pid), "a parse worker outlived the interrupted build"
    with Index.open(tree) as index:
        stats = index.build()
    assert stats.files == FILES + 1 and stats.errors == 0


def test_ctrl_c_reaching_only_the_workers_does_not_break_the_build(tmp_path: Path) -> None:
    """The workers leave Ctrl-C to the build, which stops them itself: one dying of it broke the pool."""
    tree = _tree(tmp_path)

    def progress(done: int, total: int) -> None:
        if done == 20:
            for worker in multiprocessing.active_children():
                os.kill(worker.pid, signal.SIGINT)

    with Index.open(tree) as index:
        stats = index.build(progress)
    assert stats.parsed == FILES + 1


def test_sigterm_to_the_index_command_winds_it_up_as_ctrl_c_does(tmp_path: Path) -> None:
    """Killed with SIGTERM (a supervisor, `timeout`), `codewright index` ended at once and left its parse workers
    printing broken-pipe tracebacks; it now stops as after Ctrl-C: exit 130, one line, no worker left."""
    tree = _tree(tmp_path / "tree")
    proc = subprocess.Popen([sys.executable, "-m", "codewright", "index", str(tree)], start_new_session=True,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tree / ".codewright" / "index.db").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # the workers are parsing
    proc.send_signal(signal.SIGTERM)  # to the command alone, not its group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "codewright: interrupted by SIGTERM" and "Traceback" not in err
    deadline = time.monotonic() + 10
    while not _group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_gone(proc.pid), "a parse worker outlived the stopped build"


def test_sigkill_to_the_build_takes_its_workers_with_it(tmp_path: Path) -> None:
    """SIGKILL (the OOM killer, `kill -9`) cannot be caught: the workers died only when they next wrote a result,
    each printing a broken-pipe traceback. They now go with the build, silently."""
    proc = _parsing(_tree(tmp_path / "tree"), tmp_path / "parsing")
    proc.kill()  # to the build alone, not its group
    _, err = proc.communicate(timeout=30)  # read to the end: until every worker has closed its stderr
    assert proc.returncode == -signal.SIGKILL and err == ""
    deadline = time.monotonic() + 10
    while not _group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group_gone(proc.pid), "a parse worker outlived the killed build"


KILLS_A_WORKER = """
import multiprocessing, os, signal, sys
from codewright.graph.index import Index
from codewright.graph.workers import WorkerFailed

def progress(done, total):
    if done == 20:
        os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)  # as the OOM killer would
try:
    with Index.open(sys.argv[1]) as index:
        index.build(progress)
except WorkerFailed as exc:
    print(exc)
    sys.exit(1)
"""


def test_a_parse_worker_that_dies_stops_the_build_with_a_message(tmp_path: Path) -> None:
    """A worker killed outright (the OOM killer, a crash in a parser) lost its tasks, and the build waited for
    them forever; it now stops at once, says so, and the next build starts afresh."""
    tree = _tree(tmp_path / "tree")
    proc = subprocess.run([sys.executable, "-c", KILLS_A_WORKER, str(tree)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip() == "a parse worker died (killed by signal 9; out of memory?)"
    with Index.open(tree) as index:
        stats = index.build()
    assert stats.files == FILES + 1 and stats.parsed == FILES + 1
