"""What a module shows the modules that import it, as one digest per module: an update's early cutoff.

After an update re-analyses a module, its importers need re-analysing only when what they can see of it changed;
otherwise their stored rows stand. A digest covers:

- the module's name, its star exports (`__all__` or its public names) and where its star imports come from;
- each top-level name's binding, followed through re-exports: `from .a import f` in b.py shows what a.py binds f
  to (a def of a.py, a value assigned there, a submodule, an external name), so a change at the end of a chain
  of re-exports changes the digest of every module along it, and reaches the importers of each;
- its syntax, positions left out, with the bodies of functions reduced to what leaves them (attribute and item
  stores, global and nonlocal names, nested definitions and lambdas) and to the statements a returned or yielded
  value may depend on (those mentioning a name a return mentions, and so on), in their blocks: a definition
  added, renamed or removed, a class attribute, a return statement, a statement it depends on or a signature
  that changed changes it; a line moved, a statement of a procedure or one no return depends on does not.

The digest is syntactic on purpose. The points-to sets are context-insensitive: a decorator's return value holds
every function it decorates anywhere, a constructor's fields every value any caller passes, and cycles of copies
share one set. An update analyses the changed files with what they import, not with what imports them, so those
sets differ from a whole-program run's on every edit; a digest of them widened each update to the whole program.
What the syntax does not show is a known gap of the update (see `integrate.ensure`).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFS = (*_FUNCS, ast.ClassDef)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def bindings(tree: ast.Module, absolute: Callable[[str, int], str]) -> dict[str, list[tuple[str, ...]]]:
    """How each top-level name is bound (in a top-level if or try too): ("module", dotted) for an import,
    ("from", module, name) for a from-import, ("def",) or ("value",) for what the module binds itself.
    `absolute(module, level)` makes a relative import's module absolute."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for node in tree.body:
        for st in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            for name, how in _bound(st, absolute):
                out.setdefault(name, []).append(how)
    return out


def _bound(st: ast.AST, absolute: Callable[[str, int], str]) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(st, ast.Import):
        return [(a.asname or a.name.split(".")[0], ("module", a.name if a.asname else a.name.split(".")[0]))
                for a in st.names]
    if isinstance(st, ast.ImportFrom):
        base = absolute(st.module or "", st.level)
        return [(a.asname or a.name, ("from", base, a.name)) for a in st.names if a.name != "*"]
    if isinstance(st, _DEFS):
        return [(st.name, ("def",))]
    if isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
        return [(n.id, ("value",)) for n in ast.walk(st) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    return []


def shape(tree: ast.Module, source: str) -> str:
    """A hash of the module's syntax as importers may see it (positions left out); of its whole text where the
    syntax is nested too deeply to walk."""
    try:
        text = _shape(tree)
    except RecursionError:
        text = source
    return hashlib.blake2b(text.encode(errors="replace"), digest_size=16).hexdigest()


def _shape(node: object) -> str:
    if isinstance(node, _FUNCS):
        signature = f"{type(node).__name__} {node.name}({ast.dump(node.args)}){_dump(node.returns)}"
        return f"{signature}{[ast.dump(d) for d in node.decorator_list]}{_body(node)}"
    if isinstance(node, (ast.Module, ast.ClassDef, ast.If, ast.Try)):
        return f"{type(node).__name__}({[(k, _shape(v)) for k, v in ast.iter_fields(node)]})"
    if isinstance(node, list):
        return f"[{','.join(_shape(n) for n in node)}]"
    return _dump(node)


def _parts(func: ast.AST) -> list[ast.AST]:
    """The statements of a function's body and of their blocks (except handlers and match cases count as ones),
    nested definitions as whole statements (their bodies not walked into), in no particular order: only a
    statement's blocks hold statements, so its own line (`_line`) is not walked for them."""
    out = []
    todo = list(func.body)  # type: ignore[attr-defined]
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, _DEFS):
            for block in _BLOCKS:
                todo.extend(getattr(node, block, ()))
    return out


def _below(tops: list[ast.AST]) -> list[ast.AST]:
    """The nodes `tops` and every node below them, in no particular order: `ast.walk` without its generators,
    which took the digests of django's 2,548 modules 2 of their 6 seconds."""
    out = []
    todo = list(tops)
    while todo:
        node = todo.pop()
        out.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                todo.extend([v for v in value if isinstance(v, ast.AST)])
            elif isinstance(value, ast.AST):
                todo.append(value)
    return out


def _body(func: ast.AST) -> str:
    """A function's body as importers may see it: what leaves it (`_escapes`), and the statements its returned or
    yielded values may depend on: those that mention a name a return or yield mentions, and so on, in their
    blocks (a statement moved into an `if` or a loop changes what a later read of a name sees)."""
    parts = _parts(func)
    lines = {id(n): _line(n) for n in parts}
    names = {id(n): _names(n, lines[id(n)]) for n in parts}
    mentioning: dict[str, list[ast.AST]] = {}
    for n in parts:
        for name in names[id(n)]:
            mentioning.setdefault(name, []).append(n)
    todo = [n for n in parts if _returns(n, lines[id(n)])]
    kept = {id(n) for n in todo}
    followed: set[str] = set()
    while todo:
        for name in names[id(todo.pop())] - followed:
            followed.add(name)
            todo += [m for m in mentioning[name] if id(m) not in kept]
            kept.update(id(m) for m in mentioning[name])
    kept.update(id(n) for n in parts if _escapes(n) or _holds_lambda(lines[id(n)]))
    return _render(func.body, kept)  # type: ignore[attr-defined]


def _render(nodes: list, kept: set[int]) -> str:
    """The kept statements with the blocks that hold them; a block's own line only where it is kept."""
    out = []
    for n in nodes:
        if isinstance(n, _DEFS):  # reduced as the module's own definitions are
            out.append(_shape(n))
            continue
        blocks = [(k, _render(v, kept)) for k, v in ast.iter_fields(n) if k in _BLOCKS and v]
        blocks = [(k, text) for k, text in blocks if text != "[]"]
        if id(n) in kept:
            out.append(f"{_header(n)}{blocks}")
        elif blocks:
            out.append(f"{type(n).__name__}{blocks}")
    return f"[{','.join(out)}]"


def _header(node: ast.AST) -> str:
    """A statement without the statements of its blocks."""
    return f"{type(node).__name__}{[(k, _dump(v)) for k, v in ast.iter_fields(node) if k not in _BLOCKS]}"


def _dump(value: object) -> str:
    if isinstance(value, list):
        return f"[{','.join(_dump(v) for v in value)}]"
    return ast.dump(value) if isinstance(value, ast.AST) else repr(value)


def _names(node: ast.AST, line: list[ast.AST]) -> set[str]:
    """The names a statement's own line (`_line`) mentions."""
    out = {name for name in map(_name, line) if name}
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        out.update(node.names)
    return out


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.alias):
        return node.asname or node.name.split(".")[0]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None


def _line(node: ast.AST) -> list[ast.AST]:
    """The nodes of a statement's own line (its blocks left out), in no particular order."""
    tops = [t for k, v in ast.iter_fields(node) if k not in _BLOCKS for t in (v if isinstance(v, list) else [v])]
    return _below([top for top in tops if isinstance(top, ast.AST)])


def _returns(node: ast.AST, line: list[ast.AST]) -> bool:
    """A return of a value, or a statement whose own line (`_line`) yields."""
    if isinstance(node, ast.Return):
        return node.value is not None
    return any(isinstance(sub, (ast.Yield, ast.YieldFrom)) for sub in line)


def _holds_lambda(line: list[ast.AST]) -> bool:
    """Lambdas have symbol ids, numbered in order: one added anywhere renumbers the others."""
    return any(isinstance(sub, ast.Lambda) for sub in line)


def _escapes(node: ast.AST) -> bool:
    """What a statement of a function's body shows outside it: stores into attributes and items, global and
    nonlocal names, nested definitions (they have symbol ids)."""
    if isinstance(node, (ast.Global, ast.Nonlocal, *_DEFS)):
        return True
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and any(
        isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets)


def digests(prog, paths: set[str]) -> dict[str, str]:
    """The digest of every analysed module among `paths`."""
    return {mod.path: _digest(prog, mod) for mod in prog.analysed() if mod.path in paths}


def _digest(prog, mod) -> str:
    stars = [t if isinstance(t, str) else t.path for t in mod.star_from]
    parts = [repr((mod.name, mod.shape, sorted(set(prog.exports(mod))), stars))]
    parts += [f"{name}={_binding(prog, mod, name, frozenset())}" for name in sorted(mod.defined)]
    return hashlib.blake2b("\n".join(parts).encode(errors="replace"), digest_size=16).hexdigest()


def _binding(prog, mod, name: str, seen: frozenset) -> str:
    """What `name` of `mod` is, followed through re-exports to the module that binds it."""
    if (mod.path, name) in seen:
        return "cycle"
    seen = seen | {(mod.path, name)}
    out = []
    for how in mod.bindings.get(name, ()):
        if how[0] == "from":
            target = prog.resolve(how[1], mod)
            out.append(_binding(prog, target, how[2], seen) if target else f"ext {how[1]}.{how[2]}")
        elif how[0] == "module":
            target = prog.resolve(how[1], mod)
            out.append(f"module {target.path}" if target else f"ext {how[1]}")
        else:
            out.append(f"{how[0]} {mod.path}::{name}")
    if not out:  # a star import's, a submodule, or nothing
        for star in mod.star_from:
            if isinstance(star, str):
                out.append(f"ext {star}.{name}")
            elif name in star.defined:
                out.append(_binding(prog, star, name, seen))
        sub = prog.resolve(f"{mod.name}.{name}" if mod.name else name, mod)
        if sub is not None:
            out.append(f"module {sub.path}")
    return "|".join(out)
