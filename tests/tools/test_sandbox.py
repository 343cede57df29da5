"""The OS sandbox: in the auto modes a command cannot write outside the workspace or reach the network.

Where bubblewrap is missing, the status must say so plainly: that is asserted instead (no skips).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from codewright.tools.sandbox import sandbox_status


def test_status_is_plain_about_availability() -> None:
    status = sandbox_status()
    if shutil.which("bwrap") is None:
        assert not status.available
        assert str(status).startswith("sandbox unavailable: bubblewrap (bwrap) is not installed")
    else:
        assert status.available, status.detail
        assert str(status) == ("sandbox: bubblewrap (workspace writable but for .git (nested repositories' too), "
                               ".codewright and codewright.toml, "
                               "everything else read-only, "
                               "private /tmp, no network unless allowed)")


def test_write_outside_the_workspace_fails(make_box, workspace: Path, tmp_path: Path) -> None:
    box = make_box("full-auto")
    if not box.sandbox.available:  # never try a write outside for real: the status must say so instead
        result = box.call("run_command", {"command": "echo inside > inside.txt"})
        assert not result.meta["sandboxed"] and box.sandbox.detail.startswith("sandbox unavailable")
        return
    outside = tmp_path / "outside.txt"  # under the real /tmp, which the sandbox replaces with its own
    system = Path("/etc/codewright-sandbox-test")
    command = f"echo x > {outside}; echo x > {system}; echo inside > inside.txt"
    result = box.call("run_command", {"command": command})
    assert result.meta["sandboxed"]
    assert (workspace / "inside.txt").read_text() == "inside\n"
    assert not outside.exists() and not system.exists()
    assert f"{system}: Read-only file system" in result.content


def test_no_network_unless_allowed(make_box) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        probe = (f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2); "
                 f"print('connected')\"")
        blocked = make_box("full-auto").call("run_command", {"command": probe})
        allowed = make_box("full-auto", network=True).call("run_command", {"command": probe})
    assert allowed.ok and "\nconnected\n" in allowed.content
    if sandbox_status().available:
        assert not blocked.ok and "\nconnected\n" not in blocked.content
    else:
        assert blocked.ok  # unconfined: the status above is what tells the user


def test_ask_mode_runs_unsandboxed_after_approval(make_box) -> None:
    result = make_box("ask", answer=True).call("run_command", {"command": "true"})
    assert result.ok and result.meta["sandboxed"] is False


def test_a_virtualenv_under_tmp_stays_usable_in_the_sandbox(tmp_path: Path) -> None:
    """CI clones into a temporary folder: its .venv under /tmp must survive the sandbox's private /tmp."""
    import subprocess
    import sys

    from codewright.tools.sandbox import wrap

    venv, workspace = tmp_path / "venv", tmp_path / "ws"  # the venv is outside the (writable) workspace
    workspace.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    module = Path(__file__).parents[2] / "src" / "codewright" / "tools" / "sandbox.py"
    script = (  # the module alone, by its file: the bare venv lacks the package's dependencies
        "import importlib.util, subprocess, sys\n"
        f"spec = importlib.util.spec_from_file_location('sandbox', {str(module)!r})\n"
        "sandbox = sys.modules['sandbox'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(sandbox); wrap = sandbox.wrap\n"
        "from pathlib import Path\n"
        f"ws = Path({str(workspace)!r})\n"
        "cmd = wrap([sys.executable, '-c', 'import sys; print(sys.prefix)'], ws, cwd=ws, network=False)\n"
        "print(subprocess.run(cmd, capture_output=True, text=True).stdout, end='')\n"
    )
    probe = [str(python), "-c", script]
    if not sandbox_status().available:
        with pytest.raises(RuntimeError, match="^sandbox unavailable"):
            wrap(["true"], workspace, cwd=workspace, network=False)
        return
    done = subprocess.run(probe, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == str(venv.resolve()), done.stderr


def test_a_sandboxed_background_server_is_reachable_from_later_commands_only(make_box) -> None:
    """Without network, a session's commands share one private loopback: the tests reach the server they
    started, while the host (and the outside) cannot be reached from it, nor it from the host."""
    box = make_box("full-auto")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = box.call("run_command", {"command": f"python3 -m http.server {port} --bind 127.0.0.1",
                                      "background": True})
    try:
        assert server.ok and port in server.meta["ports"], server.content
        client = f"python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}/').status)\""
        reached = box.call("run_command", {"command": client})
        assert reached.ok and "\n200\n" in reached.content, reached.content
        if not sandbox_status().available:
            return  # unconfined: the plain status (first test) is what tells the user
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        box.close()


def test_git_and_codewright_folders_stay_read_only(make_box, workspace: Path) -> None:
    """Their configuration names programs git runs later, unsandboxed (core.fsmonitor): writing it is an escape."""
    (workspace / ".git").mkdir(exist_ok=True)
    (workspace / ".codewright").mkdir(exist_ok=True)
    (workspace / "codewright.toml").write_text("[permissions]\n")
    box = make_box("full-auto")
    command = ("echo x > .git/config-probe; echo x > .codewright/probe; echo 'allow = [\"*\"]' >> codewright.toml; "
               "echo inside > inside.txt")
    result = box.call("run_command", {"command": command})
    assert (workspace / "inside.txt").read_text() == "inside\n"
    if not box.sandbox.available:  # unconfined, and the status says so
        assert not result.meta["sandboxed"] and box.sandbox.detail.startswith("sandbox unavailable")
        return
    assert result.meta["sandboxed"]
    assert not (workspace / ".git" / "config-probe").exists() and not (workspace / ".codewright" / "probe").exists()
    assert (workspace / "codewright.toml").read_text() == "[permissions]\n"
    assert ".git/config-probe: Read-only file system" in result.content


def test_a_nested_repositorys_git_stays_read_only(make_box, workspace: Path) -> None:
    """A hook planted there runs, unsandboxed, when someone later runs git in that repository; the file tools refuse
    it, and a command wrote it."""
    (workspace / "vendor" / "lib" / ".git" / "hooks").mkdir(parents=True)
    (workspace / "deps" / "mod").mkdir(parents=True)
    (workspace / "deps" / "mod" / ".git").write_text("gitdir: ../../.git/modules/mod\n")  # a submodule's
    box = make_box("full-auto")
    command = ("echo x > vendor/lib/.git/hooks/post-checkout; echo 'gitdir: /tmp/evil' > deps/mod/.git; "
               "echo inside > vendor/lib/inside.txt")
    result = box.call("run_command", {"command": command})
    assert (workspace / "vendor" / "lib" / "inside.txt").read_text() == "inside\n"
    if not box.sandbox.available:  # unconfined, and the status says so
        assert not result.meta["sandboxed"] and box.sandbox.detail.startswith("sandbox unavailable")
        return
    assert not (workspace / "vendor" / "lib" / ".git" / "hooks" / "post-checkout").exists()
    assert (workspace / "deps" / "mod" / ".git").read_text() == "gitdir: ../../.git/modules/mod\n"
    assert result.content.count("Read-only file system") == 2


NESTED = [
    # (case, the .git made below the workspace, whether the walk finds it)
    ("a vendored clone", "vendor/lib/.git", True),
    ("eight folders deep", "1/2/3/4/5/6/7/8/.git", True),
    ("nine folders deep: past NESTED_DEPTH", "1/2/3/4/5/6/7/8/9/.git", False),
    ("inside node_modules: a dependency tree, not searched", "node_modules/pkg/.git", False),
    ("inside a repository's .git (its own modules are read-only with it)", ".git/modules/x/.git", False),
]


@pytest.mark.parametrize(("made", "found"), [c[1:] for c in NESTED], ids=[c[0] for c in NESTED])
def test_nested_repositories_are_found_within_bounds(tmp_path: Path, made: str, found: bool) -> None:
    from codewright.tools.sandbox import nested_git

    (tmp_path / made).mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / made.rsplit("/", 2)[0])  # never followed: found once, or not
    assert nested_git(tmp_path) == ([tmp_path / made] if found else [])
