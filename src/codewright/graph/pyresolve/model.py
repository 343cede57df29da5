"""What the resolver knows about a program: modules, scopes, functions and classes.

These records are built from the syntax (`builder`) and read by the points-to engine
(`engine`). Each definition owns constraint-graph nodes (ints): a function its
parameters, return and yield values; a scope one node per variable that unions every
assignment to it, which is what other scopes and modules see of that variable.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field


@dataclass(eq=False)
class Var:
    """One name in one scope: every node assigned to it, and their lazy union."""

    defs: list[int] = field(default_factory=list)
    union: int | None = None


@dataclass(eq=False)
class Scope:
    kind: str  # module | class | function
    parent: Scope | None
    owner: object  # ModuleInfo | ClassInfo | FuncInfo
    local_names: set[str] = field(default_factory=set)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    # names an inner scope rebinds (global/nonlocal): reads here must see the union
    rebound_inside: set[str] = field(default_factory=set)
    vars: dict[str, Var] = field(default_factory=dict)


@dataclass(eq=False)
class ModuleInfo:
    name: str  # dotted, relative to its source root ("pkg.mod"; a package is "pkg")
    path: str  # POSIX path relative to the tree root
    is_package: bool
    source: str = ""
    scope: Scope | None = None
    obj: int = -1
    defined: set[str] = field(default_factory=set)  # names bound at module level
    all_names: list[str] | None = None  # a literal __all__
    star_from: list[object] = field(default_factory=list)  # ModuleInfo or external dotted name
    errors: list[str] = field(default_factory=list)
    lambdas: int = 0
    complete: bool = True  # False when the time bound cut its analysis short
    refs: list[tuple[int, int, int]] = field(default_factory=list)  # (line, col, node) of name uses
    bindings: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # how top-level names are bound
    shape: str = ""  # a hash of the syntax importers may see (`interface.shape`)
    wide: dict[int, str] = field(default_factory=dict)  # the lines holding characters beyond ASCII (`wide_lines`)
    namespace: bool = False  # a namespace package (a folder, `path`, with no __init__.py): no file, no symbol

    @property
    def qual(self) -> str:
        return ""


@dataclass(eq=False)
class FuncInfo:
    name: str
    qual: str  # dotted within the module: "Cls.meth", "func.<lambda1>"
    module: ModuleInfo
    line: int
    col: int
    kind: str = "function"  # function | method | static | class | property | lambda
    params: list[int] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    kwonly: dict[str, int] = field(default_factory=dict)
    vararg: int | None = None
    kwarg: int | None = None
    ret: int = -1
    yld: int = -1
    is_gen: bool = False
    is_async: bool = False
    obj: int = -1
    owner_class: ClassInfo | None = None
    parent_func: FuncInfo | None = None
    lambdas: int = 0
    end_line: int = 0


@dataclass(eq=False)
class ClassInfo:
    name: str
    qual: str
    module: ModuleInfo
    line: int
    col: int
    bases: list[int] = field(default_factory=list)  # nodes of the base expressions
    scope: Scope | None = None
    obj: int = -1
    inst: int = -1
    mro: list[object] | None = None  # ClassInfo, or ("ext", name) / ("builtin", name) markers
    extra_attrs: dict[str, int] = field(default_factory=dict)  # attributes stored from outside
    lambdas: int = 0
    end_line: int = 0

    def attr_node(self, name: str) -> int | None:
        var = self.scope.vars.get(name) if self.scope else None
        if var is not None and var.union is not None:
            return var.union
        return self.extra_attrs.get(name)

    def defines(self, name: str) -> bool:
        return (self.scope is not None and name in self.scope.local_names) or name in self.extra_attrs


def full_name(defn: object) -> str:
    """PyCG's name for a definition: module name, then the qualname."""
    if isinstance(defn, ModuleInfo):
        return defn.name
    mod = defn.module.name  # type: ignore[attr-defined]
    return f"{mod}.{defn.qual}" if mod else defn.qual  # type: ignore[attr-defined]


def sid(defn: object) -> str:
    """The index's symbol id of a definition: its file's path, `::`, its qualname (nothing for a module)."""
    if isinstance(defn, ModuleInfo):
        return f"{defn.path}::"
    return f"{defn.module.path}::{defn.qual}"  # type: ignore[attr-defined]


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Python's line ends: str.splitlines also splits at \f, \x1c, \u2028...


def wide_lines(source: str) -> dict[int, str]:
    """The lines of `source` holding characters beyond ASCII, by number: where the syntax tree's columns, which count
    UTF-8 bytes, are not the characters' columns the index gives (`char_col`)."""
    if source.isascii():
        return {}
    return {n: line for n, line in enumerate(_LINE_BREAK.split(source), 1) if not line.isascii()}


def char_col(mod: ModuleInfo, line: int, col: int) -> int:
    """The 1-based character column of a 1-based UTF-8 byte column on a line of `mod`."""
    return wide_col(mod.wide, line, col)


def named_at(call: ast.Call) -> tuple[int, int]:
    """The line and 1-based UTF-8 byte column where a call names what it calls: the method's name in `obj.method(x)`,
    where `refs` and editors put the use, else the call's start. The call graph's rows are at this spot: at the
    start of `obj`, callers said another column than refs for the same call."""
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.end_lineno or f.lineno, (f.end_col_offset or 0) - len(f.attr.encode("utf-8")) + 1
    return call.lineno, call.col_offset + 1


def wide_col(wide: dict[int, str], line: int, col: int) -> int:
    """`char_col` on a module's `wide_lines`."""
    text = wide.get(line)
    if text is None:
        return col
    return len(text.encode("utf-8")[: col - 1].decode("utf-8", "ignore")) + 1
