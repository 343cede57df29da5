"""Python's runtime rules over the constraint graph: attributes, calls, containers, protocols.

Abstract objects: functions, classes, one instance per class, bound methods, modules,
builtins (`<builtin>.len`), external names (`ext.Cls.fun`), small int/str constants
(they pick dictionary and list entries), containers with one field per constant key,
generators, coroutines and `super()` proxies. Each call site keeps the set of callee
names it reached: that set is the call graph.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

from codewright.graph.pyresolve.graph import Graph
from codewright.graph.pyresolve.model import ClassInfo, FuncInfo, ModuleInfo, Scope, Var, full_name, sid

BUILTIN_NAMES = frozenset(dir(builtins))
DESCRIPTORS = {"staticmethod": "static", "classmethod": "class", "property": "property"}
TYPE_NAMES = {"str": "<**PyStr**>", "dict": "<**PyDict**>", "list": "<**PyList**>",
              "set": "<**PySet**>", "tuple": "<**PyTuple**>"}
BINOP_DUNDERS = {
    "Add": "add", "Sub": "sub", "Mult": "mul", "Div": "truediv", "FloorDiv": "floordiv", "Mod": "mod",
    "Pow": "pow", "MatMult": "matmul", "LShift": "lshift", "RShift": "rshift", "BitAnd": "and",
    "BitOr": "or", "BitXor": "xor",
}
COMPARE_DUNDERS = {"Eq": "__eq__", "NotEq": "__ne__", "Lt": "__lt__", "LtE": "__le__", "Gt": "__gt__",
                   "GtE": "__ge__"}
PROTOCOL_BUILTINS = {"len": "__len__", "str": "__str__", "repr": "__repr__", "bool": "__bool__",
                     "hash": "__hash__", "abs": "__abs__", "iter": "__iter__", "next": "__next__",
                     "format": "__format__", "reversed": "__reversed__"}
MAX_CONST_STR = 200
MAX_EXT_DEPTH = 4  # dots in an external name
MAX_EXT_PER_NODE = 16
MAX_BASE_OBJS = 4


@dataclass(eq=False)
class CallSite:
    """One call in the source (or one call Python makes implicitly there)."""

    caller: object  # FuncInfo | ClassInfo | ModuleInfo
    line: int
    col: int
    targets: set[str] = field(default_factory=set)
    defs: set[object] = field(default_factory=set)  # in-tree FuncInfo/ClassInfo reached
    # in-tree classes constructed here: the index's edges to them (`callers Cls`; one without __init__ had none),
    # kept out of `targets`, as PyCG's format names only the __init__ a construction runs
    classes: set[object] = field(default_factory=set)
    ref: tuple[int, int] | None = None  # position of the method name in `obj.name(...)`


@dataclass(eq=False)
class Args:
    pos: list[int | None] = field(default_factory=list)
    kw: dict[str, int | None] = field(default_factory=dict)
    star: list[int] = field(default_factory=list)
    dstar: list[int] = field(default_factory=list)


class Engine(Graph):
    def __init__(self, program) -> None:
        super().__init__()
        self.program = program
        self.sites: list[CallSite] = []
        self.fields: dict[tuple[int, object], int] = {}  # (container or instance, key) -> node
        self.any_nodes: dict[int, int] = {}
        self.keys_of: dict[int, list] = {}
        self.derived: set[int] = set()  # containers made by slicing
        self.ext_count: dict[int, int] = {}
        self.fallbacks: list = []  # watchers to complete when their input stayed empty
        self.mro_users: list[tuple[ClassInfo, list]] = []

    # -- objects -----------------------------------------------------------
    def builtin(self, name: str) -> int:
        return self.obj("builtin", name)

    def ext(self, name: str) -> int:
        return self.obj("ext", name)

    def const(self, value: object) -> int | None:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return None
        if isinstance(value, str) and len(value) > MAX_CONST_STR:
            return self.obj("strtype", "str")
        return self.obj("const", (type(value).__name__, value))

    def container(self, kind: str, site: object) -> int:
        return self.obj("cont", (kind, site), data=kind)

    def field(self, obj: int, key: object) -> int:
        k = (obj, key)
        n = self.fields.get(k)
        if n is None:
            n = self.fields[k] = self.node()
            if self.kinds[obj] == "cont":
                self.keys_of.setdefault(obj, []).append(key)
                self.edge(n, self.any_node(obj))
        return n

    def any_node(self, obj: int) -> int:
        n = self.any_nodes.get(obj)
        if n is None:
            n = self.any_nodes[obj] = self.node()
        return n

    def add_ext(self, dst: int, base: int, name: str) -> None:
        """`base.name` for an external object, bounded: chains stop at MAX_EXT_DEPTH dots
        (`n = n.parent` in a loop must not mint names forever) and one node holds at most
        MAX_EXT_PER_NODE external names (beyond that the names say nothing useful)."""
        count = self.ext_count.get(dst, 0)
        if count >= MAX_EXT_PER_NODE:
            return
        text = self.data[base]
        if text.count(".") >= MAX_EXT_DEPTH:
            return
        self.add_ext_obj(dst, self.ext(f"{text}.{name}"))

    def add_ext_obj(self, dst: int, o: int) -> None:
        """External object `o` into `dst`, counted against MAX_EXT_PER_NODE only when new there: a node reached
        with the same name again and again (`x.make()` for each subclass's instance sharing one `make`) spent the
        bound on one name and cut the distinct ones after it."""
        count = self.ext_count.get(dst, 0)
        if count < MAX_EXT_PER_NODE and o not in self.pts[dst]:
            self.ext_count[dst] = count + 1
            self.add(dst, (o,))

    def var_union(self, scope: Scope, name: str) -> int:
        var = scope.vars.get(name)
        if var is None:
            var = scope.vars[name] = Var()
        if var.union is None:
            var.union = self.node()
            for d in var.defs:
                self.edge(d, var.union)
        return var.union

    def fields_of(self, obj: int) -> list[tuple[object, int]]:
        return [(k, self.fields[(obj, k)]) for k in self.keys_of.get(obj, ())]

    # -- sites -------------------------------------------------------------
    def site(self, caller: object, line: int, col: int) -> CallSite:
        s = CallSite(caller, line, col)
        self.sites.append(s)
        return s

    # -- class hierarchy -----------------------------------------------------
    def mro(self, cls: ClassInfo) -> list:
        if cls.mro is None:
            cls.mro = [cls]  # guards cycles while computing
            cls.mro = self._c3(cls, set())
        return cls.mro

    def _bases(self, cls: ClassInfo) -> list:
        """The classes of the base expressions, in order; those of one expression by symbol id or external name:
        by object number the MRO followed which module was built first, and an update builds them in another
        order than a cold build."""
        out: list = []
        for b in cls.bases:
            if len(self.pts[b]) > MAX_BASE_OBJS:  # a base expression is one class: this one is too vague
                continue
            found = []
            for o in self.pts[b]:
                kind = self.kinds[o]
                if kind == "class" and self.data[o] is not cls:
                    found.append((sid(self.data[o]), self.data[o]))
                elif kind == "ext":
                    found.append((self.data[o], ("ext", self.data[o])))
            out += [base for _, base in sorted(found, key=lambda pair: pair[0])]
        return out

    def _c3(self, cls: ClassInfo, active: set) -> list:
        active = active | {id(cls)}
        seqs = []
        bases = self._bases(cls)
        for b in bases:
            if isinstance(b, ClassInfo):
                if id(b) in active:
                    continue
                if b.mro is None:
                    b.mro = self._c3(b, active)
                seqs.append(list(b.mro))
            else:
                seqs.append([b])
        seqs.append(list(bases))
        out = [cls]
        while True:
            seqs = [s for s in seqs if s]
            if not seqs:
                return out
            for s in seqs:
                head = s[0]
                if not any(head in t[1:] for t in seqs):
                    break
            else:  # inconsistent hierarchy: Python raises; keep a depth-first order
                head = seqs[0][0]
            out.append(head)
            seqs = [t[1:] if t[0] == head else t for t in seqs]

    def lookup(self, cls: ClassInfo, name: str, after: ClassInfo | None = None):
        """First definition of `name` along the MRO: (ClassInfo, node) or ("ext", dotted) or None."""
        seq = self.mro(cls)
        if after is not None:
            seq = seq[seq.index(after) + 1:] if after in seq else []
        for c in seq:
            if isinstance(c, ClassInfo):
                if c.defines(name):
                    node = c.attr_node(name)
                    if node is None:
                        node = self.var_union(c.scope, name)
                    return c, node
            else:
                return "ext", f"{c[1]}.{name}"
        return None

    # -- attribute access ----------------------------------------------------
    def load_attr(self, o: int, name: str, dst: int, ctx: object, line: int, col: int) -> None:
        kind = self.kinds[o]
        if kind == "inst":
            cls = self.data[o]
            if name == "__class__":
                self.add_one(dst, cls.obj)
                return
            self.edge(self.field(o, name), dst)
            self._class_attr(cls, name, dst, ctx, line, col, self_obj=o)
        elif kind == "class":
            self._class_attr(self.data[o], name, dst, ctx, line, col, self_obj=None)
        elif kind == "module":
            self.program.module_attr(self.data[o], name, dst)
        elif kind == "ext":
            self.add_ext(dst, o, name)
        elif kind == "super":
            cls, self_node = self.data[o]
            self.watch(self_node, SuperLoad(self, cls, name, dst, ctx, line, col))
        elif kind in ("const", "strtype"):
            if kind == "strtype" or self.data[o][0] == "str":
                self.add_one(dst, self.obj("tmeth", ("<**PyStr**>", name)))
        elif kind == "cont":
            self.add_one(dst, self.obj("cmeth", (o, name)))

    def _class_attr(self, cls, name, dst, ctx, line, col, self_obj, after=None) -> None:
        found = self.lookup(cls, name, after)
        if found is None:
            return
        if found[0] == "ext":
            self.add_one(dst, self.ext(found[1]))
            return
        self.watch(found[1], Bind(self, cls, self_obj, dst, ctx, line, col))

    def store_attr(self, o: int, name: str, src: int) -> None:
        kind = self.kinds[o]
        if kind == "inst":
            self.edge(src, self.field(o, name))
        elif kind == "class":
            cls: ClassInfo = self.data[o]
            node = cls.attr_node(name)
            if node is None:
                if cls.scope is not None and name in cls.scope.local_names:
                    node = self.var_union(cls.scope, name)
                else:
                    node = cls.extra_attrs[name] = self.node()
            self.edge(src, node)
        elif kind == "module":
            mod: ModuleInfo = self.data[o]
            if mod.scope is not None:
                self.edge(src, self.var_union(mod.scope, name))

    # -- calls ---------------------------------------------------------------
    def call_obj(self, o: int, args: Args, dst: int | None, site: CallSite) -> None:
        kind = self.kinds[o]
        if kind == "func":
            f: FuncInfo = self.data[o]
            self._reach(site, f)
            self.bind(f, None, args, dst)
        elif kind == "bound":
            f, self_obj = self.data[o]
            self._reach(site, f)
            self.bind(f, self_obj, args, dst)
        elif kind == "class":
            self.instantiate(self.data[o], args, dst, site)
        elif kind == "inst":
            self.call_method(o, "__call__", args, dst, site)
        elif kind == "builtin":
            name = self.data[o]
            site.targets.add(f"<builtin>.{name}")
            self.program.builtin_call(name, args, dst, site)
        elif kind == "ext":
            site.targets.add(self.data[o])
            if dst is not None:
                self.add_ext_obj(dst, o)
        elif kind == "cmeth":
            cont, name = self.data[o]
            site.targets.add(f"{TYPE_NAMES.get(self.data[cont], '<**PyObject**>')}.{name}")
            self.program.container_call(cont, name, args, dst, site)
        elif kind == "tmeth":
            site.targets.add(f"{self.data[o][0]}.{self.data[o][1]}")

    def _reach(self, site: CallSite, defn) -> None:
        site.targets.add(full_name(defn))
        site.defs.add(defn)

    def instantiate(self, cls: ClassInfo, args: Args, dst: int | None, site: CallSite) -> None:
        site.classes.add(cls)
        if dst is not None:
            self.add_one(dst, cls.inst)
        for name in ("__new__", "__init__"):
            found = self.lookup(cls, name)
            if found is None:
                continue
            if found[0] == "ext":
                if name == "__init__":
                    site.targets.add(found[1])
                continue
            self.watch(found[1], Bind(self, cls, cls.inst, None, None, 0, 0, invoke=(args, site),
                                      static_new=name == "__new__"))

    def call_method(self, inst: int, name: str, args: Args, dst: int | None, site: CallSite) -> bool:
        """Call `inst.name(...)` as Python's protocols do (looked up on the class). False if absent."""
        cls = self.data[inst]
        found = self.lookup(cls, name)
        if found is None:
            return False
        if found[0] == "ext":
            site.targets.add(found[1])
            return True
        self.watch(found[1], Bind(self, cls, inst, dst, None, 0, 0, invoke=(args, site)))
        return True

    def bind(self, f: FuncInfo, self_obj: int | None, args: Args, dst: int | None) -> None:
        params = f.params
        i = 0
        if self_obj is not None:
            if params:
                self.add_one(params[0], self_obj)
            i = 1
        bound_names = set(f.param_names[:i])
        for a in args.pos:
            if i < len(params):
                if a is not None:
                    self.edge(a, params[i])
                bound_names.add(f.param_names[i])
            elif f.vararg is not None and a is not None:
                self.watch(f.vararg, Store(self, "*", a))
            i += 1
        for k, a in args.kw.items():
            if a is None:
                continue
            if k in f.param_names:
                self.edge(a, params[f.param_names.index(k)])
            elif k in f.kwonly:
                self.edge(a, f.kwonly[k])
            elif f.kwarg is not None:
                self.watch(f.kwarg, Store(self, k, a))
        spread = args.star + args.dstar
        if spread:
            rest = [p for n, p in zip(f.param_names, params) if n not in bound_names]
            rest += list(f.kwonly.values())
            for s in spread:
                elems = self.node()
                self.watch(s, Elements(self, elems, None, values=s in args.dstar))
                for p in rest:
                    self.edge(elems, p)
        if dst is None:
            return
        if f.is_gen:
            self.add_one(dst, self.obj("gen", f.yld))
        elif f.is_async:
            self.add_one(dst, self.obj("coro", f.ret))
        else:
            self.edge(f.ret, dst)


class Watcher:
    __slots__ = ("e",)

    def fire(self, objs) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Copy(Watcher):
    """Copy only objects of the given kinds (e.g. classes to their instances)."""

    __slots__ = ("dst", "fn")

    def __init__(self, e: Engine, dst: int, fn) -> None:
        self.e, self.dst, self.fn = e, dst, fn

    def fire(self, objs) -> None:
        for o in objs:
            r = self.fn(o)
            if r is not None:
                self.e.add_one(self.dst, r)


class AttrLoad(Watcher):
    __slots__ = ("col", "ctx", "dst", "line", "name")

    def __init__(self, e, name, dst, ctx, line, col) -> None:
        self.e, self.name, self.dst, self.ctx, self.line, self.col = e, name, dst, ctx, line, col

    def fire(self, objs) -> None:
        for o in objs:
            self.e.load_attr(o, self.name, self.dst, self.ctx, self.line, self.col)


class AttrStore(Watcher):
    __slots__ = ("name", "src")

    def __init__(self, e, name, src) -> None:
        self.e, self.name, self.src = e, name, src

    def fire(self, objs) -> None:
        for o in objs:
            self.e.store_attr(o, self.name, self.src)


class Bind(Watcher):
    """Objects found on a class attribute, as seen through an instance or the class.

    With `invoke`, the found function is called at once (protocol calls: __init__,
    __iter__, __enter__ ...); properties are called on access.
    """

    __slots__ = ("cls", "col", "ctx", "dst", "invoke", "line", "self_obj", "static_new")

    def __init__(self, e, cls, self_obj, dst, ctx, line, col, invoke=None, static_new=False) -> None:
        self.e, self.cls, self.self_obj, self.dst = e, cls, self_obj, dst
        self.ctx, self.line, self.col, self.invoke, self.static_new = ctx, line, col, invoke, static_new

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind != "func":
                if self.invoke is None:
                    if self.dst is not None:
                        e.add_one(self.dst, o)
                else:
                    e.call_obj(o, self.invoke[0], self.dst, self.invoke[1])
                continue
            f: FuncInfo = e.data[o]
            if f.kind == "setter":
                continue
            if f.kind == "static" or self.static_new:
                bound = None
                target = o
            elif f.kind == "class":
                bound = e.obj("bound", (f, self.cls.obj), (f, self.cls.obj))
                target = bound
            elif self.self_obj is None or f.kind == "lambda" and f.owner_class is None:
                bound, target = None, o
            else:
                bound = e.obj("bound", (f, self.self_obj), (f, self.self_obj))
                target = bound
            if self.invoke is not None:
                args, site = self.invoke
                if self.static_new:
                    args = Args([e.holder(self.cls.obj)] + list(args.pos), args.kw, args.star, args.dstar)
                e.call_obj(target, args, self.dst, site)
            elif f.kind == "property" and self.self_obj is not None:
                site = e.site(self.ctx, self.line, self.col)
                e.call_obj(target, Args(), self.dst, site)
            elif self.dst is not None:
                e.add_one(self.dst, target)


class SuperLoad(Watcher):
    __slots__ = ("cls", "col", "ctx", "dst", "line", "name")

    def __init__(self, e, cls, name, dst, ctx, line, col) -> None:
        self.e, self.cls, self.name, self.dst, self.ctx, self.line, self.col = e, cls, name, dst, ctx, line, col

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "inst":
                e._class_attr(e.data[o], self.name, self.dst, self.ctx, self.line, self.col, o, after=self.cls)
            elif kind == "class":
                e._class_attr(e.data[o], self.name, self.dst, self.ctx, self.line, self.col, None,
                              after=self.cls)


class Call(Watcher):
    __slots__ = ("args", "dst", "site")

    def __init__(self, e, args: Args, dst, site: CallSite) -> None:
        self.e, self.args, self.dst, self.site = e, args, dst, site

    def fire(self, objs) -> None:
        for o in objs:
            self.e.call_obj(o, self.args, self.dst, self.site)


class MethodCall(Watcher):
    """`base.name(args)`: calls the method for each receiver without minting bound-method
    or container-method objects that would then flow (and pile up) through the graph."""

    __slots__ = ("args", "col", "dst", "line", "name", "site", "tmp")

    def __init__(self, e, name, args, dst, site, line, col) -> None:
        self.e, self.name, self.args, self.dst, self.site = e, name, args, dst, site
        self.line, self.col, self.tmp = line, col, None

    def _generic(self) -> int:
        if self.tmp is None:
            self.tmp = self.e.node()
            self.e.watch(self.tmp, Call(self.e, self.args, self.dst, self.site))
        return self.tmp

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "cont":
                name = self.name
                self.site.targets.add(f"{TYPE_NAMES.get(e.data[o], '<**PyObject**>')}.{name}")
                e.program.container_call(o, name, self.args, self.dst, self.site)
            elif kind == "inst":
                cls = e.data[o]
                e.watch(e.field(o, self.name), Call(e, self.args, self.dst, self.site))
                found = e.lookup(cls, self.name)
                if found is None:
                    continue
                if found[0] == "ext":
                    self.site.targets.add(found[1])
                    continue
                e.watch(found[1], MethodOf(e, cls, o, self))
            else:
                e.load_attr(o, self.name, self._generic(), self.site.caller, self.line, self.col)


class MethodOf(Watcher):
    """The objects a class attribute holds, called as a method of one receiver."""

    __slots__ = ("call", "cls", "self_obj")

    def __init__(self, e, cls, self_obj, call: MethodCall) -> None:
        self.e, self.cls, self.self_obj, self.call = e, cls, self_obj, call

    def fire(self, objs) -> None:
        e, c = self.e, self.call
        for o in objs:
            if e.kinds[o] == "func":
                f: FuncInfo = e.data[o]
                if f.kind == "setter":
                    continue
                if f.kind == "property":
                    Bind(e, self.cls, self.self_obj, c._generic(), c.site.caller, c.line, c.col).fire((o,))
                    continue
                e._reach(c.site, f)
                if f.kind == "static" or f.kind == "lambda" and f.owner_class is None:
                    e.bind(f, None, c.args, c.dst)
                elif f.kind == "class":
                    e.bind(f, self.cls.obj, c.args, c.dst)
                else:
                    e.bind(f, self.self_obj, c.args, c.dst)
            else:
                e.call_obj(o, c.args, c.dst, c.site)


class Decorate(Watcher):
    """`@dec def f`: f names what dec(f) returns; descriptors and unknown decorators keep f."""

    __slots__ = ("dst", "site", "src")

    def __init__(self, e, src, dst, site) -> None:
        self.e, self.src, self.dst, self.site = e, src, dst, site

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "builtin" and e.data[o] in DESCRIPTORS or kind == "ext" or kind == "builtin":
                if kind == "ext":
                    self.site.targets.add(e.data[o])
                e.edge(self.src, self.dst)
            else:
                e.call_obj(o, Args([self.src]), self.dst, self.site)

    def fallback(self) -> bool:
        if self.e.pts[self.dst]:
            return False
        self.e.edge(self.src, self.dst)
        return True


class Store(Watcher):
    """`container[key] = src` for a fixed key ("*" when unknown)."""

    __slots__ = ("key", "src")

    def __init__(self, e, key, src) -> None:
        self.e, self.key, self.src = e, key, src

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            if e.kinds[o] == "cont":
                e.edge(self.src, e.field(o, self.key))


class Elements(Watcher):
    """What iterating over an object yields (containers, generators, __iter__/__next__)."""

    __slots__ = ("after_iter", "dst", "site", "values")

    def __init__(self, e, dst, site, after_iter=False, values=False) -> None:
        self.e, self.dst, self.site, self.after_iter, self.values = e, dst, site, after_iter, values

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "cont" and e.data[o] == "dict" and not self.values:  # iterating a dict gives its keys
                for key in e.keys_of.get(o, ()):
                    c = e.const(key[1]) if isinstance(key, tuple) else None
                    if c is not None:
                        e.add_one(self.dst, c)
            elif kind == "cont":
                e.edge(e.any_node(o), self.dst)
            elif kind == "gen":
                e.edge(e.data[o], self.dst)
            elif kind == "inst" and self.site is not None:
                if self.after_iter:
                    e.call_method(o, "__next__", Args(), self.dst, self.site)
                else:
                    it = e.node()
                    if e.call_method(o, "__iter__", Args(), it, self.site):
                        e.watch(it, Elements(e, self.dst, self.site, after_iter=True))
                    elif e.call_method(o, "__getitem__", Args([e.node()]), self.dst, self.site):
                        pass


def const_key(e: Engine, o: int):
    """The dictionary/list key a constant object stands for, or None."""
    if e.kinds[o] == "const":
        return e.data[o]
    return None


class SubLoad(Watcher):
    """`dst = base[key]`: watches the base; a KeyWatch on the key node re-reads new keys."""

    __slots__ = ("base", "dst", "key", "read_any", "site")

    def __init__(self, e, base, key, dst, site) -> None:
        self.e, self.base, self.key, self.dst, self.site = e, base, key, dst, site
        self.read_any = key is None

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "cont":
                self._read(o)
            elif kind == "inst" and self.site is not None:
                e.call_method(o, "__getitem__", Args([self.key]), self.dst, self.site)

    def _read(self, o: int) -> None:
        e = self.e
        if self.read_any:
            e.edge(e.any_node(o), self.dst)
            return
        e.edge(e.field(o, "*"), self.dst)
        for k in tuple(e.pts[self.key]):
            self.read_key(o, k)

    def read_key(self, o: int, k: int) -> None:
        e = self.e
        ck = const_key(e, k)
        if ck is None or ck[0] == "int" and ck[1] < 0:
            e.edge(e.any_node(o), self.dst)
        else:
            e.edge(e.field(o, ck), self.dst)

    def containers(self):
        return [o for o in self.e.pts[self.base] if self.e.kinds[o] == "cont"]

    def key_fire(self, objs) -> None:
        if self.read_any:
            return
        for o in self.containers():
            for k in objs:
                self.read_key(o, k)

    def fallback(self) -> bool:
        if self.read_any or self.e.pts[self.key]:
            return False
        self.read_any = True
        for o in self.containers():
            self._read(o)
        return True


class KeyWatch(Watcher):
    """Forwards new key objects to a SubLoad or SubStore."""

    __slots__ = ("target",)

    def __init__(self, e, target) -> None:
        self.e, self.target = e, target

    def fire(self, objs) -> None:
        self.target.key_fire(objs)


class SubStore(Watcher):
    __slots__ = ("base", "key", "site", "src", "store_any")

    def __init__(self, e, base, key, src, site) -> None:
        self.e, self.base, self.key, self.src, self.site = e, base, key, src, site
        self.store_any = key is None

    def fire(self, objs) -> None:
        e = self.e
        for o in objs:
            kind = e.kinds[o]
            if kind == "cont":
                self._write(o, e.pts[self.key] if self.key is not None else ())
            elif kind == "inst" and self.site is not None:
                e.call_method(o, "__setitem__", Args([self.key, self.src]), None, self.site)

    def _write(self, o: int, keys) -> None:
        e = self.e
        if self.store_any:
            e.edge(self.src, e.field(o, "*"))
            return
        for k in tuple(keys):
            ck = const_key(e, k)
            e.edge(self.src, e.field(o, "*" if ck is None else ck))

    def key_fire(self, objs) -> None:
        if self.store_any:
            return
        for o in [o for o in self.e.pts[self.base] if self.e.kinds[o] == "cont"]:
            self._write(o, objs)

    def fallback(self) -> bool:
        if self.store_any or self.e.pts[self.key]:
            return False
        self.store_any = True
        for o in [o for o in self.e.pts[self.base] if self.e.kinds[o] == "cont"]:
            self._write(o, ())
        return True

