"""One pass over a module's syntax that finds, for every scope, the names Python binds there.

Python decides at compile time whether a name is local, global or free; the builder
needs that answer before it walks a body. `scan` computes it for the module and every
function, lambda and class in it (keyed by the ast node's id), iteratively.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass(eq=False)
class ScopeScan:
    kind: str  # module | class | function
    bound: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    rebound_inside: set[str] = field(default_factory=set)
    has_yield: bool = False

    @property
    def local_names(self) -> set[str]:
        return self.bound - self.globals - self.nonlocals


def arg_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def _target_names(target: ast.AST, out: set[str]) -> None:
    stack = [target]
    while stack:
        t = stack.pop()
        if isinstance(t, ast.Name):
            out.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            stack.extend(t.elts)
        elif isinstance(t, ast.Starred):
            stack.append(t.value)


def scan(tree: ast.Module) -> dict[int, ScopeScan]:
    module = ScopeScan("module")
    scans: dict[int, ScopeScan] = {id(tree): module}
    # (node, its scope, enclosing function scopes outermost first)
    stack: list[tuple[ast.AST, ScopeScan, tuple[ScopeScan, ...]]] = [(tree, module, ())]
    while stack:
        node, cur, funcs = stack.pop()
        if node is not tree and isinstance(node, (*_FUNCS, ast.ClassDef)):
            if not isinstance(node, ast.Lambda):
                cur.bound.add(node.name)
                stack.extend((d, cur, funcs) for d in node.decorator_list)
            if isinstance(node, ast.ClassDef):
                inner = ScopeScan("class")
                stack.extend((b, cur, funcs) for b in node.bases)
                stack.extend((k.value, cur, funcs) for k in node.keywords)
                inner_funcs = funcs
            else:
                inner = ScopeScan("function")
                inner.bound.update(arg_names(node.args))
                defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
                stack.extend((d, cur, funcs) for d in defaults)
                inner_funcs = funcs + (inner,)
            scans[id(node)] = inner
            body = [node.body] if isinstance(node, ast.Lambda) else node.body
            stack.extend((s, inner, inner_funcs) for s in body)
            continue
        if isinstance(node, _COMPS):
            for gen in node.generators:
                stack.append((gen.iter, cur, funcs))
                stack.extend((c, cur, funcs) for c in gen.ifs)
            elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            stack.extend((x, cur, funcs) for x in elts)
            continue
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                cur.bound.add(node.id)
            continue
        if isinstance(node, ast.NamedExpr):
            _target_names(node.target, cur.bound)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                if a.name != "*":
                    cur.bound.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.Global):
            cur.globals.update(node.names)
            module.rebound_inside.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            cur.nonlocals.update(node.names)
            for f in funcs[:-1]:
                f.rebound_inside.update(node.names)
        elif isinstance(node, (ast.Yield, ast.YieldFrom)):
            cur.has_yield = True
        elif isinstance(node, ast.ExceptHandler) and node.name or isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            cur.bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            cur.bound.add(node.rest)
        for name in node._fields:  # its children, as ast.iter_child_nodes gives them without its two generators
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend([(c, cur, funcs) for c in value if isinstance(c, ast.AST)])
            elif isinstance(value, ast.AST):
                stack.append((value, cur, funcs))
    return scans


def module_all(tree: ast.Module) -> list[str] | None:
    """A literal `__all__` (assigned, extended with += or .extend of literals), else None."""
    names: list[str] | None = None
    for stmt in tree.body:
        value = None
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in stmt.targets):
            names, value = [], stmt.value
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id == "__all__":
            value = stmt.value
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and isinstance(stmt.value.func, ast.Attribute) \
                and isinstance(stmt.value.func.value, ast.Name) and stmt.value.func.value.id == "__all__" \
                and stmt.value.func.attr in ("extend", "append") and stmt.value.args:
            value = stmt.value.args[0]
            if stmt.value.func.attr == "append":
                value = ast.List([value])
        if value is not None and isinstance(value, (ast.List, ast.Tuple)):
            names = (names or []) + [e.value for e in value.elts
                                     if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return names
