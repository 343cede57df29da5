"""The OS sandbox for commands: bubblewrap, with the workspace writable and the rest read-only.

In the auto modes nobody reads a command before it runs, so the command runs where it
cannot write outside the workspace (a private /tmp is given, the real one is not
touched) and, unless the configuration allows it, cannot reach the network. Where
bubblewrap is missing or cannot create namespaces, `sandbox_status()` says so plainly
and the agent reports it: commands then run unconfined.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


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
    return SandboxStatus(True, tool, "sandbox: bubblewrap (workspace writable, everything else read-only, "
                         "private /tmp, no network unless allowed)")


def _interpreter_dirs_under_tmp() -> list[str]:
    """The running Python's environment folders that the private /tmp would hide."""
    found = []
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = str(Path(prefix).resolve())
        if path == "/tmp" or path.startswith("/tmp/"):
            found.append(path)
    return found


def wrap(argv: list[str], root: Path, *, cwd: Path, network: bool) -> list[str]:
    """`argv` run inside bubblewrap: / read-only, `root` writable, fresh /tmp and /dev, own pid namespace."""
    status = sandbox_status()
    if not status.available or status.tool is None:
        raise RuntimeError(status.detail)
    root = root.resolve()
    cmd = [status.tool, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for keep in _interpreter_dirs_under_tmp():  # a virtualenv in /tmp must stay visible under the private /tmp
        cmd += ["--ro-bind", keep, keep]
    cmd += ["--bind", str(root), str(root), "--unshare-pid", "--die-with-parent",
           "--setenv", "XDG_CACHE_HOME", "/tmp/.cache", "--setenv", "TMPDIR", "/tmp"]
    if not network:
        cmd.append("--unshare-net")
    cmd += ["--chdir", str(cwd), "--", *argv]
    return cmd
