"""The OS sandbox for commands: bubblewrap, with the workspace writable and the rest read-only.

In the auto modes nobody reads a command before it runs, so the command runs where it
cannot write outside the workspace (a private /tmp is given, the real one is not
touched) and, unless the configuration allows it, cannot reach the network. Inside the
workspace `.git` and `.codewright` stay read-only too: their configuration names
programs that git runs later, outside any sandbox (`core.fsmonitor` runs on every
`git status`, the user's or codewright's own checkpoint), so writing there is writing
outside. So does the `.git` of a repository nested in the workspace (a vendored clone, a
submodule's checkout), whose hooks run when someone later runs git in it; those are found by a
bounded walk (`nested_git`). A command that commits fails with a read-only file system; the file tools
refuse those folders for the same reason. Where
bubblewrap is missing or cannot create namespaces, `sandbox_status()` says so plainly
and the agent reports it: commands then run unconfined.

Without network, every command of a session shares one private network namespace (only
loopback, see `PrivateNetwork`): a server started in the background is reachable from the
tests run after it, and neither reaches anything outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RUNS_COMMANDS = (".git", ".codewright")
"""Folders whose config and hooks name what git runs (`core.fsmonitor`, `pre-commit`) at the next git_status or
checkpoint, outside any sandbox: read-only to a sandboxed command, and no tool writes in them (`permissions`).
(Kept here, where only the standard library is imported: a bare virtualenv loads this module alone.)"""


NESTED_DEPTH = 8  # folders below the workspace's top that `nested_git` looks into
NESTED_FOLDERS = 10_000  # and how many at most: each command's sandbox is set up with the walk
_NOT_SEARCHED = {*RUNS_COMMANDS, "node_modules", ".venv", "venv", ".tox", "__pycache__", ".mypy_cache",
                 ".pytest_cache", ".ruff_cache"}  # trees of installed dependencies and caches, large and not the user's


@dataclass(frozen=True)
class SandboxStatus:
    available: bool
    tool: str | None  # path of bwrap when available
    detail: str  # one plain sentence, for the user

    def __str__(self) -> str:
        return self.detail


@lru_cache(maxsize=1)
def sandbox_status() -> SandboxStatus:
    """Whether commands can be sandboxed here, probed once per process."""
    tool = shutil.which("bwrap")
    if tool is None:
        return SandboxStatus(False, None, "sandbox unavailable: bubblewrap (bwrap) is not installed "
                             "(apt-get install bubblewrap); commands run without OS confinement")
    try:
        probe = subprocess.run([tool, "--ro-bind", "/", "/", "--unshare-net", "--", "true"],
                               capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, None, f"sandbox unavailable: bwrap could not start ({exc}); "
                             "commands run without OS confinement")
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else f"exit {probe.returncode}"
        return SandboxStatus(False, None, f"sandbox unavailable: bwrap failed ({reason}); "
                             "commands run without OS confinement")
    return SandboxStatus(True, tool, "sandbox: bubblewrap (workspace writable but for .git (nested repositories' "
                         "too), .codewright and codewright.toml, "
                         "everything else read-only, private /tmp, no network unless allowed)")


def _interpreter_dirs_under_tmp() -> list[str]:
    """The running Python's environment folders that the private /tmp would hide."""
    found = []
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = str(Path(prefix).resolve())
        if path == "/tmp" or path.startswith("/tmp/"):
            found.append(path)
    return found


def wrap(argv: list[str], root: Path, *, cwd: Path, network: bool,
         private_net: PrivateNetwork | None = None) -> list[str]:
    """`argv` run inside bubblewrap: / read-only, `root` writable but for `RUNS_COMMANDS`, fresh /tmp and /dev, own
    pid namespace.

    Without `network` the command joins `private_net` when one is given (and running), else a
    network namespace of its own.
    """
    status = sandbox_status()
    if not status.available or status.tool is None:
        raise RuntimeError(status.detail)
    root = root.resolve()
    cmd = [status.tool, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for keep in _interpreter_dirs_under_tmp():  # a virtualenv in /tmp must stay visible under the private /tmp
        cmd += ["--ro-bind", keep, keep]
    cmd += ["--bind", str(root), str(root)]
    kept = [root / name for name in (*RUNS_COMMANDS, "codewright.toml")]  # its permissions and model endpoints too
    for path in [path for path in kept if os.path.lexists(path)] + nested_git(root):
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--unshare-pid", "--die-with-parent",
           "--setenv", "XDG_CACHE_HOME", "/tmp/.cache", "--setenv", "TMPDIR", "/tmp"]
    enter: list[str] = []
    if not network:
        enter = private_net.enter() if private_net is not None else []
        if not enter:
            cmd.append("--unshare-net")
    cmd += ["--chdir", str(cwd), "--", *argv]
    return enter + cmd


def nested_git(root: Path) -> list[Path]:
    """The `.git` folders (or files, a submodule's) of repositories below `root`'s top, shallowest first: a
    breadth-first walk of at most NESTED_FOLDERS folders, NESTED_DEPTH deep, that follows no link and does not
    enter a repository's `.git`, nor dependency trees and caches (`_NOT_SEARCHED`)."""
    found: list[Path] = []
    todo, looked = deque([(root, 0)]), 0
    while todo and looked < NESTED_FOLDERS:
        folder, depth = todo.popleft()
        looked += 1
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git" and depth and not entry.is_symlink():
                found.append(Path(entry.path))
            elif depth < NESTED_DEPTH and entry.name not in _NOT_SEARCHED and _is_folder(entry):
                todo.append((Path(entry.path), depth + 1))
    return found


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


# Runs as the holder of a private network namespace: brings loopback up (a fresh namespace has
# it down), then waits until its parent closes the pipe, so the namespace dies with the session.
_HOLDER = """
import fcntl, socket, struct, sys
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, struct.pack("16sh", b"lo", 0)))[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
print("ready", flush=True)
sys.stdin.read()
"""


class PrivateNetwork:
    """One network namespace with only loopback, shared by a session's sandboxed commands.

    A bubblewrap `--unshare-net` gives each command its own namespace, so a server started in
    the background could not be reached by the next command. Instead a small holder process
    (util-linux `unshare`, with a user namespace when not root) keeps one namespace alive and
    every command enters it with `nsenter` before bubblewrap starts. Started on first use;
    where it cannot start, `enter()` is empty and `problem` says why.
    """

    def __init__(self) -> None:
        self._holder: subprocess.Popen | None = None
        self.problem: str | None = None

    def enter(self) -> list[str]:
        """The argv prefix that runs a command inside the namespace; [] where there is none."""
        if self._holder is None and self.problem is None:
            self._start()
        if self._holder is None or self._holder.poll() is not None:
            return []
        joined = ["--user", "--net", "--preserve-credentials"] if os.geteuid() != 0 else ["--net"]
        return [shutil.which("nsenter") or "nsenter", "--target", str(self._holder.pid), *joined, "--"]

    def _start(self) -> None:
        unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
        if unshare is None or nsenter is None:
            self.problem = "util-linux unshare/nsenter not found"
            return
        userns = ["--user", "--map-root-user"] if os.geteuid() != 0 else []
        try:
            holder = subprocess.Popen([unshare, *userns, "--net", "--", sys.executable, "-c", _HOLDER],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
        except OSError as exc:
            self.problem = f"unshare could not start ({exc})"
            return
        if holder.stdout is None or holder.stdout.readline().strip() != "ready":
            err = holder.stderr.read().strip().splitlines() if holder.stderr else []
            holder.kill()
            holder.wait()
            self.problem = f"unshare failed ({err[-1] if err else f'exit {holder.returncode}'})"
            return
        self._holder = holder

    def close(self) -> None:
        """End the holder; the namespace goes when the last process in it does."""
        holder, self._holder = self._holder, None
        if holder is None:
            return
        if holder.stdin is not None:
            holder.stdin.close()
        deadline = time.monotonic() + 2
        while holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()
