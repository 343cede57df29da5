"""Python name resolution and call graph: what every name refers to, who calls what.

A flow-insensitive points-to analysis over the whole program (in the spirit of PyCG's
assignment graph), with program-order precision for local names. Entry points:
`analyze_package` (PyCG's model: entry files, modules named relative to a package
directory) and `analyze_tree` (every file of a repository), then `pycg_callgraph` or the
call sites and references on the returned `Program`.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from codewright.cycles import no_cycle_collection
from codewright.graph.pyresolve.model import ClassInfo, FuncInfo, ModuleInfo, full_name
from codewright.graph.pyresolve.program import Limits, Program, Progress

__all__ = [
    "ClassInfo",
    "FuncInfo",
    "Limits",
    "ModuleInfo",
    "Program",
    "analyze_package",
    "analyze_tree",
    "full_name",
    "link_tree",
    "pycg_callgraph",
]

_STACK_BYTES = 512 * 1024 * 1024
_STACK_PER_LEVEL = 8 * 1024
"""C stack one level of Python recursion may take, with room to spare: a Python call made through C code
(a visitor, a dunder) takes a few KB, and CPython's C parts that honour the recursion limit (the syntax tree's
conversion to Python objects allows three levels per unit of it) take less."""


def _recursion_limit(stack_bytes: int) -> int:
    """A recursion limit the thread's stack can hold, so deep code raises RecursionError, not SIGSEGV."""
    return max(sys.getrecursionlimit(), stack_bytes // _STACK_PER_LEVEL)


def _run_in_thread(target) -> None:
    """Run target(stack bytes) in a thread with a large stack, or with the default one (and then the default
    recursion limit) where the platform refuses it. The size counts for threads started while it is set."""
    for size in (_STACK_BYTES, 0):
        old_size = threading.stack_size()
        try:
            threading.stack_size(size)
            thread = threading.Thread(target=target, args=(size,), name="pyresolve")
            thread.start()
        except (ValueError, RuntimeError):
            if not size:
                raise
            continue
        finally:
            threading.stack_size(old_size)
        thread.join()
        return


def _with_deep_stack(fn):
    """Run fn in a thread with a large stack so deeply nested code analyses instead of crashing."""
    result: list = []
    error: list = []

    def target(stack_bytes: int) -> None:
        old = sys.getrecursionlimit()
        if stack_bytes:
            sys.setrecursionlimit(_recursion_limit(stack_bytes))
        try:
            with no_cycle_collection():  # millions of small sets and tuples, few cycles: passes only cost time
                result.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)
        finally:
            sys.setrecursionlimit(old)

    _run_in_thread(target)
    if error:
        raise error[0]
    return result[0]


def analyze_package(package: Path, entries: list[Path], limits: Limits | None = None) -> Program:
    return _with_deep_stack(lambda: Program.for_package(package, entries, limits).run())


def analyze_tree(root: Path, paths: list[str], limits: Limits | None = None, record_refs: bool = False,
                 tree: list[str] | None = None, progress: Progress | None = None) -> Program:
    return _with_deep_stack(lambda: Program.for_tree(root, paths, limits, record_refs, tree, progress).run())


def link_tree(root: Path, paths: list[str], tree: list[str]) -> Program:
    """`paths` parsed and linked (`Program.link`), not analysed."""
    return _with_deep_stack(lambda: Program.for_tree(root, paths, tree=tree).link())


def pycg_callgraph(prog: Program) -> dict[str, list[str]]:
    """PyCG's JSON shape: every module and function analysed, each with its sorted callees."""
    graph: dict[str, set[str]] = {}
    for mod in prog.analysed():
        graph.setdefault(mod.name, set())
    for d in prog.defs:
        if isinstance(d, FuncInfo):
            graph.setdefault(full_name(d), set())
    for site in prog.e.sites:
        if site.targets:
            graph.setdefault(full_name(site.caller), set()).update(site.targets)
            for t in site.targets:
                graph.setdefault(t, set())
    return {k: sorted(v) for k, v in sorted(graph.items())}
