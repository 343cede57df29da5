"""Turns one module's syntax tree into constraints, scope by scope.

Within a scope, local names are followed in program order (a name read sees the
assignments that reach it, joined at branches and loops), which keeps `a = f; a = g;
a()` from calling f. Across scopes and through the heap (attributes, containers) the
analysis is flow-insensitive: an inner function or another module sees the union of a
variable's assignments. Function bodies are queued, not recursed into, so nesting depth
costs no stack; an expression too deep for the stack loses that one statement.
"""

from __future__ import annotations

import ast
import time

from codewright.graph.pyresolve import engine as E
from codewright.graph.pyresolve.model import ClassInfo, FuncInfo, ModuleInfo, Scope, named_at
from codewright.graph.pyresolve.scan import ScopeScan, arg_names

_OVERRIDE_KEYS = (int, str)
_MAX_KEYS = 16  # a longer chain of constant subscripts is not followed key by key: each of its levels would
# walk the rest of it again, and a generated `x[0][0]...` thousands deep took time and memory by the square
_CONTEXT_DECORATORS = {"setter": "setter", "deleter": "setter", "getter": "property"}


def _const_path(node: ast.AST) -> tuple[str, tuple] | None:
    """`d["a"][1]` as ("d", (("str","a"), ("int",1))), for flow-precise container reads."""
    keys = []
    while isinstance(node, ast.Subscript):
        if len(keys) == _MAX_KEYS:
            return None
        k = node.slice
        if not (isinstance(k, ast.Constant) and isinstance(k.value, _OVERRIDE_KEYS)
                and not isinstance(k.value, bool)):
            return None
        keys.append((type(k.value).__name__, k.value))
        node = node.value
    if not isinstance(node, ast.Name) or not keys:
        return None
    return node.id, tuple(reversed(keys))


class _Flow:
    """The state of one scope's walk: reaching definition per local name, container overrides."""

    __slots__ = ("dead", "names", "over")

    def __init__(self, names=None, over=None, dead=False) -> None:
        self.names: dict[str, int | None] = dict(names or {})
        self.over: dict[tuple, int | None] = dict(over or {})
        self.dead = dead

    def copy(self) -> _Flow:
        return _Flow(self.names, self.over, self.dead)


class ModuleBuilder:
    def __init__(self, program, e: E.Engine, mod: ModuleInfo, tree: ast.Module, scans: dict[int, ScopeScan],
                 budget_s: float) -> None:
        self.p, self.e, self.mod, self.tree = program, e, mod, tree
        self.deadline = time.monotonic() + budget_s
        self.scans = scans
        self.pending: list[tuple] = []
        self.const_nodes: dict[int, int] = {}
        self.literal_elts: dict[int, list[int | None]] = {}
        self.deflogs: list[list[tuple[str, int]]] = []
        # the current scope's context
        self.scope: Scope = None  # type: ignore[assignment]
        self.ctx: object = mod
        self.func: FuncInfo | None = None
        self.flow = _Flow()

    # -- driver ------------------------------------------------------------
    def build(self) -> None:
        self.scope = self.mod.scope
        self.body(self.tree.body)
        while self.pending:
            if time.monotonic() > self.deadline:
                if self.mod.complete:
                    self.mod.errors.append("time bound reached: the module was analysed in part")
                self.mod.complete = False
                return
            self._function_body(*self.pending.pop(0))

    def _scope(self, kind: str, parent: Scope | None, owner: object, s: ScopeScan) -> Scope:
        return Scope(kind, parent, owner, s.local_names, s.globals, s.nonlocals, s.rebound_inside)

    def body(self, stmts: list[ast.stmt]) -> None:
        for st in stmts:
            if time.monotonic() > self.deadline:
                if self.mod.complete:
                    self.mod.errors.append("time bound reached: the module was analysed in part")
                self.mod.complete = False
                return
            try:
                self.stmt(st)
            except RecursionError:
                self.mod.errors.append(f"line {getattr(st, 'lineno', 0)}: too deeply nested, skipped")

    # -- names ---------------------------------------------------------------
    def _enclosing(self, name: str, scope: Scope | None) -> int | None:
        while scope is not None:
            if scope.kind == "function" and (name in scope.local_names or name in scope.nonlocal_names):
                if name in scope.nonlocal_names:
                    scope = scope.parent
                    continue
                return self.e.var_union(scope, name)
            if scope.kind == "module":
                return self.p.global_name(self.mod, name)
            scope = scope.parent
        return self.p.global_name(self.mod, name)

    def read(self, name: str) -> int | None:
        scope = self.scope
        if name in self.flow.names and name not in scope.rebound_inside:
            return self.flow.names[name]
        if name in scope.global_names:
            return self.p.global_name(self.mod, name)
        if name in scope.nonlocal_names:
            return self._enclosing(name, scope.parent)
        if name in scope.local_names and scope.kind != "class":  # a class body falls back to globals
            return self.e.var_union(scope, name)
        if scope.kind == "module":
            return self.p.global_name(self.mod, name)
        return self._enclosing(name, scope.parent)

    def bind(self, name: str, value: int | None) -> None:
        scope = self.scope
        if name in scope.global_names:
            if value is not None:
                self.e.edge(value, self.e.var_union(self.mod.scope, name))
            return
        if name in scope.nonlocal_names:
            target = self._enclosing(name, scope.parent)
            if value is not None and target is not None:
                self.e.edge(value, target)
            return
        if value is not None:
            var = scope.vars.get(name)
            if var is None:
                var = scope.vars[name] = E.Var()
            var.defs.append(value)
            if var.union is not None:
                self.e.edge(value, var.union)
            for log in self.deflogs:
                log.append((name, value))
        self.flow.names[name] = value
        self._kill_overrides(name)

    def _kill_overrides(self, name: str) -> None:
        if self.flow.over:
            for k in [k for k in self.flow.over if k[0] == name]:
                del self.flow.over[k]

    # -- flow joins ----------------------------------------------------------
    def merge(self, flows: list[_Flow]) -> _Flow:
        live = [f for f in flows if not f.dead] or flows[:1]
        if len(live) == 1:
            return live[0].copy()
        out = _Flow()
        names = set().union(*(f.names for f in live))
        for n in names:
            vals = {f.names.get(n, -1) for f in live}
            vals.discard(-1)
            real = {v for v in vals if v is not None}
            if len(vals) == 1:
                out.names[n] = vals.pop()
            elif not real:
                out.names[n] = None
            else:
                phi = self.e.node()
                for v in real:
                    self.e.edge(v, phi)
                out.names[n] = phi
        first = live[0].over
        out.over = {k: v for k, v in first.items() if all(f.over.get(k, -1) == v for f in live[1:])}
        out.dead = all(f.dead for f in flows)
        return out

    def _loop_phis(self, stmts: list[ast.stmt]) -> dict[str, int]:
        """Before a loop: every local the loop assigns reads a phi fed by all its definitions."""
        names: set[str] = set()
        for st in stmts:
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                    names.add(n.id)
        phis = {}
        for n in names:
            if n in self.scope.global_names or n in self.scope.nonlocal_names:
                continue
            phi = self.e.node()
            prev = self.flow.names.get(n)
            if prev is not None:
                self.e.edge(prev, phi)
            self.flow.names[n] = phi
            phis[n] = phi
        self.flow.over.clear()
        return phis

    def _close_loop(self, phis: dict[str, int], log: list[tuple[str, int]]) -> None:
        for name, value in log:
            phi = phis.get(name)
            if phi is not None:
                self.e.edge(value, phi)
        for name, phi in phis.items():
            self.flow.names[name] = phi
        self.flow.over.clear()

    # -- statements ----------------------------------------------------------
    def stmt(self, st: ast.stmt) -> None:
        method = getattr(self, "s_" + type(st).__name__, None)
        if method is not None:
            method(st)
        else:
            for child in ast.iter_child_nodes(st):
                if isinstance(child, ast.expr):
                    self.expr(child)
                elif isinstance(child, ast.stmt):
                    self.stmt(child)

    def s_Expr(self, st: ast.Expr) -> None:
        self.expr(st.value)

    def s_Assign(self, st: ast.Assign) -> None:
        value = self.expr(st.value)
        for t in st.targets:
            self.assign(t, value)

    def s_AnnAssign(self, st: ast.AnnAssign) -> None:
        if st.value is not None:
            self.assign(st.target, self.expr(st.value))

    def s_AugAssign(self, st: ast.AugAssign) -> None:
        old = self.expr(st.target)
        value = self.expr(st.value)
        result = self.e.node()
        if old is not None:
            self.e.edge(old, result)
            if value is not None:
                elems = self.e.node()
                self.e.watch(value, E.Elements(self.e, elems, None))
                self.e.watch(old, E.Store(self.e, "*", elems))
            op = E.BINOP_DUNDERS.get(type(st.op).__name__)
            if op:
                self._dunder(old, [f"__i{op}__", f"__{op}__"], value, result, st)
        self.assign(st.target, result)

    def s_Delete(self, st: ast.Delete) -> None:
        for t in st.targets:
            if isinstance(t, ast.Name):
                if t.id in self.scope.local_names:
                    self.flow.names[t.id] = None
            else:
                self.expr(t)

    def s_Return(self, st: ast.Return) -> None:
        if st.value is not None:
            v = self.expr(st.value)
            if v is not None and self.func is not None:
                self.e.edge(v, self.func.ret)
        self.flow.dead = True

    def s_Raise(self, st: ast.Raise) -> None:
        for part in (st.exc, st.cause):
            if part is None:
                continue
            v = self.expr(part)
            if v is not None:
                site = self.e.site(self.ctx, part.lineno, part.col_offset + 1)
                self.e.watch(v, E.Copy(self.e, self.e.node(), lambda o, s=site: self._raise(o, s)))
        self.flow.dead = True

    def _raise(self, o: int, site: E.CallSite) -> None:
        if self.e.kinds[o] == "class":
            self.e.instantiate(self.e.data[o], E.Args(), None, site)

    def s_Break(self, st) -> None:
        self.flow.dead = True

    s_Continue = s_Break

    def s_Pass(self, st) -> None:
        pass

    s_Global = s_Nonlocal = s_Pass

    def s_If(self, st: ast.If) -> None:
        self.expr(st.test)
        start = self.flow
        self.flow = start.copy()
        self.body(st.body)
        after_body = self.flow
        self.flow = start.copy()
        self.body(st.orelse)
        self.flow = self.merge([after_body, self.flow])

    def _loop(self, st, head) -> None:
        phis = self._loop_phis(st.body + st.orelse + ([st] if isinstance(st, (ast.For, ast.AsyncFor)) else []))
        log: list[tuple[str, int]] = []
        self.deflogs.append(log)
        start_dead = self.flow.dead
        head()
        self.body(st.body)
        self.deflogs.pop()
        self._close_loop(phis, log)
        self.flow.dead = start_dead
        self.body(st.orelse)

    def s_For(self, st: ast.For) -> None:
        it = self.expr(st.iter)
        elems = self.e.node()
        if it is not None:
            site = self.e.site(self.ctx, st.iter.lineno, st.iter.col_offset + 1)
            self.e.watch(it, E.Elements(self.e, elems, site))
        self._loop(st, lambda: self.assign(st.target, elems))

    s_AsyncFor = s_For

    def s_While(self, st: ast.While) -> None:
        self._loop(st, lambda: self.expr(st.test))

    def s_With(self, st: ast.With) -> None:
        for item in st.items:
            v = self.expr(item.context_expr)
            entered = self.e.node()
            if v is not None:
                site = self.e.site(self.ctx, item.context_expr.lineno, item.context_expr.col_offset + 1)
                self.e.watch(v, E.Copy(self.e, self.e.node(), lambda o, s=site, d=entered: self._enter(o, s, d)))
            if item.optional_vars is not None:
                self.assign(item.optional_vars, entered)
        self.body(st.body)

    s_AsyncWith = s_With

    def _enter(self, o: int, site: E.CallSite, dst: int) -> None:
        e = self.e
        kind = e.kinds[o]
        if kind == "inst":
            e.call_method(o, "__enter__", E.Args(), dst, site)
            e.call_method(o, "__exit__", E.Args(), None, site)
        elif kind == "gen":  # a @contextmanager generator: `as` gets what it yields
            e.edge(e.data[o], dst)

    def s_Try(self, st) -> None:
        start = self.flow.copy()
        log: list[tuple[str, int]] = []
        self.deflogs.append(log)
        self.body(st.body)
        self.deflogs.pop()
        after_try = self.flow
        ends = []
        for h in st.handlers:
            self.flow = self._handler_entry(start, log)
            caught = self.e.node()
            if h.type is not None:
                t = self.expr(h.type)
                if t is not None:  # a class, or a tuple of classes: their instances are caught
                    classes = self.e.node()
                    self.e.edge(t, classes)
                    self.e.watch(t, E.Elements(self.e, classes, None))
                    self.e.watch(classes, E.Copy(self.e, caught, self._instance_of))
            if h.name:
                self.bind(h.name, caught)
            self.body(h.body)
            ends.append(self.flow)
        self.flow = after_try
        self.body(st.orelse)
        ends.append(self.flow)
        self.flow = self.merge(ends)
        if st.finalbody:
            dead = self.flow.dead
            self.flow.dead = False
            self.body(st.finalbody)
            self.flow.dead = dead or self.flow.dead

    s_TryStar = s_Try

    def _handler_entry(self, start: _Flow, log: list[tuple[str, int]]) -> _Flow:
        entry = start.copy()
        entry.dead = False
        entry.over = {}
        by_name: dict[str, list[int]] = {}
        for name, value in log:
            by_name.setdefault(name, []).append(value)
        for name, values in by_name.items():
            phi = self.e.node()
            prev = start.names.get(name)
            for v in values + ([prev] if prev is not None else []):
                self.e.edge(v, phi)
            entry.names[name] = phi
        return entry

    def _instance_of(self, o: int) -> int | None:
        kind = self.e.kinds[o]
        if kind == "class":
            return self.e.data[o].inst
        if kind == "ext":
            return o
        return None

    def s_Assert(self, st: ast.Assert) -> None:
        self.expr(st.test)
        if st.msg is not None:
            self.expr(st.msg)

    def s_Match(self, st) -> None:
        subject = self.expr(st.subject)
        start = self.flow
        ends = [start.copy()]
        for case in st.cases:
            self.flow = start.copy()
            for p in ast.walk(case.pattern):
                if isinstance(p, ast.MatchClass):
                    self.expr(p.cls)
                elif isinstance(p, ast.MatchValue):
                    self.expr(p.value)
                name = getattr(p, "name", None) or getattr(p, "rest", None)
                if isinstance(name, str):
                    self.bind(name, subject)
            if case.guard is not None:
                self.expr(case.guard)
            self.body(case.body)
            ends.append(self.flow)
        self.flow = self.merge(ends)

    # imports
    def s_Import(self, st: ast.Import) -> None:
        for a in st.names:
            if a.asname:
                self.bind(a.asname, self.p.import_module(self.mod, a.name, 0, whole=True))
            else:
                self.bind(a.name.split(".")[0], self.p.import_module(self.mod, a.name, 0, whole=False))

    def s_ImportFrom(self, st: ast.ImportFrom) -> None:
        for a in st.names:
            if a.name == "*":
                for name, node in self.p.star_import(self.mod, st.module or "", st.level):
                    self.bind(name, node)
            else:
                self.bind(a.asname or a.name, self.p.import_from(self.mod, st.module or "", st.level, a.name))

    # definitions
    def s_FunctionDef(self, st) -> None:
        decorators = [self.expr(d) for d in st.decorator_list]
        f = self._new_function(st, st.name, decorators_ast=st.decorator_list)
        self.bind(st.name, self._decorate(self.e.holder(f.obj), decorators, st))

    s_AsyncFunctionDef = s_FunctionDef

    def _decorate(self, node: int, decorators: list[int | None], st) -> int:
        for dec, dec_ast in zip(reversed(decorators), reversed(st.decorator_list)):
            if dec is None:
                continue
            out = self.e.node()
            site = self.e.site(self.ctx, dec_ast.lineno, dec_ast.col_offset + 1)
            w = E.Decorate(self.e, node, out, site)
            self.e.watch(dec, w)
            self.e.fallbacks.append(w)
            node = out
        return node

    def _child_qual(self, name: str) -> str:
        owner = self.ctx
        return f"{owner.qual}.{name}" if owner.qual else name

    def _new_function(self, st, name: str, decorators_ast=()) -> FuncInfo:
        e = self.e
        s = self.scans[id(st)]
        owner_class = self.ctx if isinstance(self.ctx, ClassInfo) else None
        f = FuncInfo(name, self._child_qual(name), self.mod, st.lineno, st.col_offset + 1,
                     end_line=getattr(st, "end_lineno", st.lineno) or st.lineno)
        f.kind = "lambda" if isinstance(st, ast.Lambda) else ("method" if owner_class else "function")
        for d in decorators_ast:
            dname = d.attr if isinstance(d, ast.Attribute) else d.id if isinstance(d, ast.Name) else None
            if dname in E.DESCRIPTORS:
                f.kind = E.DESCRIPTORS[dname]
            elif dname in _CONTEXT_DECORATORS and isinstance(d, ast.Attribute):
                f.kind = _CONTEXT_DECORATORS[dname]
            elif dname == "cached_property":
                f.kind = "property"
        f.owner_class = owner_class
        f.parent_func = self.func
        f.is_gen = s.has_yield
        f.is_async = isinstance(st, ast.AsyncFunctionDef)
        f.ret, f.yld = e.node(), e.node()
        f.obj = e.obj("func", f)
        a = st.args
        positional = a.posonlyargs + a.args
        f.param_names = [p.arg for p in positional]
        f.params = [e.node() for _ in positional]
        f.kwonly = {p.arg: e.node() for p in a.kwonlyargs}
        if a.vararg is not None:
            f.vararg = e.holder(e.container("tuple", ("varargs", id(f))))
        if a.kwarg is not None:
            f.kwarg = e.holder(e.container("dict", ("kwargs", id(f))))
        for d, p in zip(reversed(a.defaults), reversed(f.params)):
            v = self.expr(d)
            if v is not None:
                e.edge(v, p)
        for d, p in zip(a.kw_defaults, a.kwonlyargs):
            if d is not None:
                v = self.expr(d)
                if v is not None:
                    e.edge(v, f.kwonly[p.arg])
        if owner_class is not None and f.params:
            if f.kind in ("method", "property", "setter"):
                e.add_one(f.params[0], owner_class.inst)
            elif f.kind == "class":
                e.add_one(f.params[0], owner_class.obj)
        self.p.defined(f)
        self.pending.append((f, st, self.scope, s))
        return f

    def _function_body(self, f: FuncInfo, st, parent: Scope, s: ScopeScan) -> None:
        saved = (self.scope, self.ctx, self.func, self.flow)
        self.scope = self._scope("function", parent, f, s)
        self.ctx, self.func, self.flow = f, f, _Flow()
        names = arg_names(st.args)
        nodes = f.params + list(f.kwonly.values()) + [n for n in (f.vararg, f.kwarg) if n is not None]
        order = [p.arg for p in st.args.posonlyargs + st.args.args + st.args.kwonlyargs]
        order += [p.arg for p in (st.args.vararg, st.args.kwarg) if p is not None]
        for n in names:
            self.bind(n, nodes[order.index(n)])
        if isinstance(st, ast.Lambda):
            try:
                v = self.expr(st.body)
            except RecursionError:
                v = None
            if v is not None:
                self.e.edge(v, f.ret)
        else:
            self.body(st.body)
        self.scope, self.ctx, self.func, self.flow = saved

    def s_ClassDef(self, st: ast.ClassDef) -> None:
        e = self.e
        decorators = [self.expr(d) for d in st.decorator_list]
        c = ClassInfo(st.name, self._child_qual(st.name), self.mod, st.lineno, st.col_offset + 1,
                      end_line=getattr(st, "end_lineno", st.lineno) or st.lineno)
        for b in st.bases:
            v = self._base(b)
            if v is not None:
                c.bases.append(v)
        for k in st.keywords:
            self.expr(k.value)
        c.obj = e.obj("class", c)
        c.inst = e.obj("inst", c)
        self.p.defined(c)
        s = self.scans[id(st)]
        saved = (self.scope, self.ctx, self.flow)
        c.scope = self.scope = self._scope("class", self.scope, c, s)
        self.ctx, self.flow = c, _Flow()
        self.body(st.body)
        self.scope, self.ctx, self.flow = saved
        self.bind(st.name, self._decorate(e.holder(c.obj), decorators, st))

    def _base(self, b: ast.expr) -> int | None:
        """The class a base expression puts in the bases: a generic's alias (`Base[T]`, `Approx[ndarray]`) puts
        Base, as the alias's __mro_entries__ does; read as an item of Base it was no class, and the subclass
        inherited none of Base's methods."""
        while isinstance(b, ast.Subscript):
            self.expr(b.slice)
            b = b.value
        return self.expr(b)

    # -- assignment targets --------------------------------------------------
    def assign(self, t: ast.expr, value: int | None) -> None:
        if isinstance(t, ast.Name):
            self.bind(t.id, value)
        elif isinstance(t, ast.Attribute):
            base = self.expr(t.value)
            if base is not None and value is not None:
                self.e.watch(base, E.AttrStore(self.e, t.attr, value))
        elif isinstance(t, ast.Subscript):
            self._store_subscript(t, value)
        elif isinstance(t, (ast.Tuple, ast.List)):
            self._unpack(t.elts, value)
        elif isinstance(t, ast.Starred):
            self.assign(t.value, value)

    def _store_subscript(self, t: ast.Subscript, value: int | None) -> None:
        base = self.expr(t.value)
        key = None if isinstance(t.slice, ast.Slice) else self.expr(t.slice)
        if base is not None and value is not None:
            site = self.e.site(self.ctx, t.lineno, t.col_offset + 1)
            w = E.SubStore(self.e, base, key, value, site)
            self.e.watch(base, w)
            if key is not None:
                self.e.watch(key, E.KeyWatch(self.e, w))
                self.e.fallbacks.append(w)
        path = _const_path(t)
        if path is not None and path[0] in self.flow.names:
            name, keys = path
            for k in [k for k in self.flow.over if k[0] == name and k[1][:len(keys)] == keys]:
                del self.flow.over[k]
            self.flow.over[(name, keys)] = value

    def _unpack(self, targets: list[ast.expr], value: int | None) -> None:
        elts = self.literal_elts.get(value) if value is not None else None
        star = next((i for i, t in enumerate(targets) if isinstance(t, ast.Starred)), None)
        n = len(targets)
        if elts is not None and (len(elts) == n if star is None else len(elts) >= n - 1):
            for i, t in enumerate(targets):
                if star is None or i < star:
                    self.assign(t, elts[i])
                elif i == star:
                    middle = elts[star:len(elts) - (n - star - 1)]
                    self.assign(t.value, self._literal("list", t, middle))
                else:
                    self.assign(t, elts[len(elts) - (n - i)])
            return
        for i, t in enumerate(targets):
            if value is None:
                self.assign(t, None)
                continue
            if star is None or i < star:
                key = self._const_node(i)
            else:
                key = None
            dst = self.e.node()
            load = E.SubLoad(self.e, value, key, dst, None)
            self.e.watch(value, load)
            if key is not None:
                self.e.watch(key, E.KeyWatch(self.e, load))
            if i == star:
                self.assign(t.value, self._literal("list", t, [None], star_nodes=[dst]))
            else:
                self.assign(t, dst)

    # -- expressions -----------------------------------------------------------
    def _const_node(self, value) -> int | None:
        o = self.e.const(value)
        if o is None:
            return None
        n = self.const_nodes.get(o)
        if n is None:
            n = self.const_nodes[o] = self.e.holder(o)
        return n

    def expr(self, x: ast.expr) -> int | None:
        method = getattr(self, "x_" + type(x).__name__, None)
        if method is not None:
            return method(x)
        for child in ast.iter_child_nodes(x):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif isinstance(child, ast.comprehension):
                self.expr(child.iter)
        return None

    def x_Name(self, x: ast.Name) -> int | None:
        node = self.read(x.id)
        if node is not None and self.p.record_refs:
            self.mod.refs.append((x.lineno, x.col_offset + 1, node))
        return node

    def x_Constant(self, x: ast.Constant) -> int | None:
        return self._const_node(x.value)

    def x_JoinedStr(self, x: ast.JoinedStr) -> int | None:
        for v in x.values:
            self.expr(v)
        return self._const_node("")  # a str of unknown value: its methods still resolve

    def x_Attribute(self, x: ast.Attribute) -> int | None:
        base = self.expr(x.value)
        if base is None:
            return None
        dst = self.e.node()
        col = x.end_col_offset - len(x.attr) + 1 if x.end_lineno == x.lineno else x.col_offset + 1
        self.e.watch(base, E.AttrLoad(self.e, x.attr, dst, self.ctx, x.lineno, col))
        if self.p.record_refs:
            self.mod.refs.append((x.end_lineno or x.lineno, col, dst))
        return dst

    def x_Subscript(self, x: ast.Subscript) -> int | None:
        path = _const_path(x)
        if path is not None and path[0] in self.flow.names:
            name, keys = path
            for cut in range(len(keys), 0, -1):
                if (name, keys[:cut]) in self.flow.over:
                    node = self.flow.over[(name, keys[:cut])]
                    for k in keys[cut:]:
                        node = self._load_key(node, self._const_node(k[1]), None) if node is not None else None
                    return node
        base = self.expr(x.value)
        if isinstance(x.slice, ast.Slice):
            for part in (x.slice.lower, x.slice.upper, x.slice.step):
                if part is not None:
                    self.expr(part)
            return self._slice(base, x.slice)
        key = self.expr(x.slice)
        if base is None:
            return None
        site = self.e.site(self.ctx, x.lineno, x.col_offset + 1)
        return self._load_key(base, key, site)

    def _load_key(self, base: int, key: int | None, site) -> int:
        dst = self.e.node()
        load = E.SubLoad(self.e, base, key, dst, site)
        self.e.watch(base, load)
        if key is not None:
            self.e.watch(key, E.KeyWatch(self.e, load))
            self.e.fallbacks.append(load)
        return dst

    def _slice(self, base: int | None, sl: ast.Slice) -> int | None:
        if base is None:
            return None
        bounds = []
        for part in (sl.lower, sl.upper):
            if part is None:
                bounds.append(None)
            elif isinstance(part, ast.Constant) and isinstance(part.value, int) and part.value >= 0:
                bounds.append(part.value)
            else:
                bounds.append(False)
        dst = self.e.node()
        self.e.watch(base, E.Copy(self.e, dst, lambda o: self._sliced(o, bounds, sl)))
        return dst

    def _sliced(self, o: int, bounds, sl) -> int | None:
        e = self.e
        if e.kinds[o] != "cont":
            return None
        if o in e.derived:  # a slice of a slice: keep it bounded
            return o
        new = e.container(e.data[o], ("slice", o, tuple(bounds)))
        e.derived.add(new)
        lo, hi = bounds
        precise = lo is not False and hi is not False and sl.step is None
        for key, node in e.fields_of(o):
            if precise and isinstance(key, tuple) and key[0] == "int":
                i = key[1]
                if (lo or 0) <= i and (hi is None or i < hi):
                    e.edge(node, e.field(new, ("int", i - (lo or 0))))
            else:
                e.edge(node, e.field(new, "*"))
        return new

    def _literal(self, kind: str, x: ast.AST, elts: list[int | None], star_nodes=()) -> int:
        e = self.e
        o = e.container(kind, (self.mod.path, x.lineno, x.col_offset, kind))
        for i, v in enumerate(elts):
            if v is not None:
                e.edge(v, e.field(o, ("int", i) if kind in ("list", "tuple") else "*"))
        for s in star_nodes:
            e.edge(s, e.field(o, "*"))
        node = e.holder(o)
        if kind in ("list", "tuple"):
            self.literal_elts[node] = elts
        return node

    def _sequence(self, x, kind: str) -> int:
        elts: list[int | None] = []
        stars = []
        for el in x.elts:
            if isinstance(el, ast.Starred):
                v = self.expr(el.value)
                if v is not None:
                    s = self.e.node()
                    self.e.watch(v, E.Elements(self.e, s, None))
                    stars.append(s)
            else:
                elts.append(self.expr(el))
        node = self._literal(kind, x, elts, stars)
        if stars:
            self.literal_elts.pop(node, None)
        return node

    def x_Tuple(self, x: ast.Tuple) -> int:
        return self._sequence(x, "tuple")

    def x_List(self, x: ast.List) -> int:
        return self._sequence(x, "list")

    def x_Set(self, x: ast.Set) -> int:
        return self._sequence(x, "set")

    def x_Dict(self, x: ast.Dict) -> int:
        e = self.e
        o = e.container("dict", (self.mod.path, x.lineno, x.col_offset, "dict"))
        for k, v in zip(x.keys, x.values):
            vn = self.expr(v)
            if k is None:  # {**other}
                if vn is not None:
                    any_vals = e.node()
                    self.e.watch(vn, E.Elements(e, any_vals, None, values=True))
                    e.edge(any_vals, e.field(o, "*"))
                continue
            key = None
            if isinstance(k, ast.Constant):
                c = e.const(k.value)
                key = e.data[c] if c is not None and e.kinds[c] == "const" else None
            else:
                self.expr(k)
            if vn is not None:
                e.edge(vn, e.field(o, "*" if key is None else key))
        return e.holder(o)

    def _comprehension(self, x, kind: str) -> int:
        saved = {}
        for i, gen in enumerate(x.generators):
            it = self.expr(gen.iter)
            elems = self.e.node()
            if it is not None:
                site = self.e.site(self.ctx, gen.iter.lineno, gen.iter.col_offset + 1)
                self.e.watch(it, E.Elements(self.e, elems, site))
            names: set[str] = set()
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    names.add(n.id)
            for n in names:
                if n not in saved:
                    saved[n] = self.flow.names.get(n, -1)
            self._assign_local(gen.target, elems)
            for c in gen.ifs:
                self.expr(c)
        e = self.e
        if kind == "dict":
            self.expr(x.key)
            value = self.expr(x.value)
        else:
            value = self.expr(x.elt)
        if kind == "gen":
            yld = e.node()
            if value is not None:
                e.edge(value, yld)
            result = e.holder(e.obj("gen", yld))
        else:
            o = e.container(kind, (self.mod.path, x.lineno, x.col_offset, kind))
            if value is not None:
                e.edge(value, e.field(o, "*"))
            result = e.holder(o)
        for n, old in saved.items():
            if old == -1:
                self.flow.names.pop(n, None)
            else:
                self.flow.names[n] = old
        return result

    def _assign_local(self, target: ast.expr, value: int) -> None:
        """Comprehension targets: bound in the comprehension's own scope, never the function's."""
        if isinstance(target, ast.Name):
            self.flow.names[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for i, t in enumerate(target.elts):
                if isinstance(t, ast.Starred):
                    self._assign_local(t.value, value)
                    continue
                self._assign_local(t, self._load_key(value, self._const_node(i), None))
        else:
            self.assign(target, value)

    def x_ListComp(self, x) -> int:
        return self._comprehension(x, "list")

    def x_SetComp(self, x) -> int:
        return self._comprehension(x, "set")

    def x_DictComp(self, x) -> int:
        return self._comprehension(x, "dict")

    def x_GeneratorExp(self, x) -> int:
        return self._comprehension(x, "gen")

    def x_Lambda(self, x: ast.Lambda) -> int:
        owner = self.ctx
        owner.lambdas += 1
        f = self._new_function(x, f"<lambda{owner.lambdas}>")
        return self.e.holder(f.obj)

    def x_NamedExpr(self, x: ast.NamedExpr) -> int | None:
        v = self.expr(x.value)
        self.assign(x.target, v)
        return v

    def x_Starred(self, x: ast.Starred) -> int | None:
        return self.expr(x.value)

    def x_IfExp(self, x: ast.IfExp) -> int | None:
        self.expr(x.test)
        return self._union([self.expr(x.body), self.expr(x.orelse)])

    def x_BoolOp(self, x: ast.BoolOp) -> int | None:
        return self._union([self.expr(v) for v in x.values])

    def _union(self, nodes: list[int | None]) -> int | None:
        real = [n for n in nodes if n is not None]
        if len(real) <= 1:
            return real[0] if real else None
        out = self.e.node()
        for n in real:
            self.e.edge(n, out)
        return out

    def x_BinOp(self, x: ast.BinOp) -> int | None:
        left, right = self.expr(x.left), self.expr(x.right)
        op = E.BINOP_DUNDERS.get(type(x.op).__name__)
        out = self.e.node()
        if op is None:
            return None
        if left is not None:
            self._dunder(left, [f"__{op}__"], right, out, x)
        if right is not None:
            self._dunder(right, [f"__r{op}__"], left, out, x)
        if isinstance(x.op, ast.Add):
            for side in (left, right):
                if side is not None:  # list + list: a new list holding both sides' items
                    self.e.watch(side, E.Copy(self.e, out, lambda o, s=side, x=x: self._concat(o, x)))
        if isinstance(x.op, ast.Mod) and left is not None:
            self.e.watch(left, E.Copy(self.e, out, lambda o: o if self.e.kinds[o] in ("const", "strtype")
                                      else None))
        return out

    def _concat(self, o: int, x) -> int | None:
        e = self.e
        if e.kinds[o] != "cont":
            return None
        new = e.container(e.data[o], (self.mod.path, x.lineno, x.col_offset, "concat"))
        e.edge(e.any_node(o), e.field(new, "*"))
        return new

    def _dunder(self, receiver: int, names: list[str], arg: int | None, dst: int, x) -> None:
        site = self.e.site(self.ctx, x.lineno, x.col_offset + 1)
        args = E.Args([arg])

        def fire(o: int) -> None:
            if self.e.kinds[o] == "inst":
                for n in names:
                    if self.e.call_method(o, n, args, dst, site):
                        break
        self.e.watch(receiver, E.Copy(self.e, dst, lambda o: fire(o)))

    def x_UnaryOp(self, x: ast.UnaryOp) -> int | None:
        v = self.expr(x.operand)
        names = {"USub": "__neg__", "UAdd": "__pos__", "Invert": "__invert__"}
        name = names.get(type(x.op).__name__)
        if v is None or name is None:
            return None
        out = self.e.node()
        self._dunder(v, [name], None, out, x)
        return out

    def x_Compare(self, x: ast.Compare) -> None:
        left = self.expr(x.left)
        for op, right_ast in zip(x.ops, x.comparators):
            right = self.expr(right_ast)
            name = E.COMPARE_DUNDERS.get(type(op).__name__)
            if name and left is not None:
                self._dunder(left, [name], right, self.e.node(), x)
            elif isinstance(op, (ast.In, ast.NotIn)) and right is not None:
                self._dunder(right, ["__contains__"], left, self.e.node(), x)
            left = right

    def x_Await(self, x: ast.Await) -> int | None:
        v = self.expr(x.value)
        if v is None:
            return None
        out = self.e.node()
        e = self.e
        self.e.watch(v, E.Copy(e, out, lambda o: self._awaited(o, out)))
        return out

    def _awaited(self, o: int, out: int) -> None:
        if self.e.kinds[o] == "coro":
            self.e.edge(self.e.data[o], out)
        elif self.e.kinds[o] == "ext":
            self.e.add_one(out, o)

    def x_Yield(self, x: ast.Yield) -> None:
        if x.value is not None:
            v = self.expr(x.value)
            if v is not None and self.func is not None:
                self.e.edge(v, self.func.yld)

    def x_YieldFrom(self, x: ast.YieldFrom) -> int | None:
        v = self.expr(x.value)
        if v is not None and self.func is not None:
            site = self.e.site(self.ctx, x.lineno, x.col_offset + 1)
            self.e.watch(v, E.Elements(self.e, self.func.yld, site))
        return None

    def x_Call(self, x: ast.Call) -> int:
        e = self.e
        method = isinstance(x.func, ast.Attribute)
        fn = self.expr(x.func.value if method else x.func)
        args = E.Args()
        for a in x.args:
            if isinstance(a, ast.Starred):
                v = self.expr(a.value)
                if v is not None:
                    args.star.append(v)
            else:
                args.pos.append(self.expr(a))
        for k in x.keywords:
            v = self.expr(k.value)
            if k.arg is None:
                if v is not None:
                    args.dstar.append(v)
            else:
                args.kw[k.arg] = v
        dst = e.node()
        if fn is not None:
            site = e.site(self.ctx, x.lineno, x.col_offset + 1)
            if method:
                site.ref = named_at(x)
                e.watch(fn, E.MethodCall(e, x.func.attr, args, dst, site, *site.ref))
            else:
                e.watch(fn, E.Call(e, args, dst, site))
        self.flow.over.clear()
        self._update_override(x, args)
        return dst

    def _update_override(self, x: ast.Call, args: E.Args) -> None:
        """`d.update({"k": v})` on a local dict: later `d["k"]` reads v only."""
        f = x.func
        if not (isinstance(f, ast.Attribute) and f.attr == "update" and isinstance(f.value, ast.Name)
                and f.value.id in self.flow.names and len(x.args) == 1 and isinstance(x.args[0], ast.Dict)):
            return
        lit = x.args[0]
        if any(k is None or not isinstance(k, ast.Constant) for k in lit.keys):
            return
        base = self.flow.names[f.value.id]
        for k in lit.keys:
            const = self.e.const(k.value)
            if const is None or base is None:
                continue
            key = self.e.data[const]
            self.flow.over[(f.value.id, (key,))] = self._load_key(args.pos[0], self._const_node(k.value), None) \
                if args.pos[0] is not None else None
