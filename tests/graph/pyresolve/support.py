"""Write a small program to a directory and return its call-graph edges."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codewright.graph.pyresolve import analyze_package, pycg_callgraph


def write_tree(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(textwrap.dedent(text), encoding="utf-8")
        paths.append(f)
    return paths


def edges_of(root: Path, files: dict[str, str], entries: list[str] | None = None) -> set[tuple[str, str]]:
    paths = write_tree(root, files)
    chosen = [root / e for e in entries] if entries else [p for p in paths if p.suffix == ".py"]
    graph = pycg_callgraph(analyze_package(root, chosen))
    return {(a, b) for a, callees in graph.items() for b in callees}
