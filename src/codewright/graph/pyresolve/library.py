"""What calling a builtin or a container method does to the values that flow through it.

Only behaviour that moves callables or containers matters to a call graph: `map` and
`sorted(key=...)` call their function arguments, `list(x)` copies x's items, `getattr(o,
"name")` is an attribute load, `len(x)` calls `x.__len__` and so on.
"""

from __future__ import annotations

from codewright.graph.pyresolve import engine as E


def elements(e: E.Engine, node: int | None, site) -> int:
    out = e.node()
    if node is not None:
        e.watch(node, E.Elements(e, out, site))
    return out


def _new(e: E.Engine, kind: str, site, tag: str, items: int | None = None) -> int:
    o = e.container(kind, (id(site), tag))
    if items is not None:
        e.edge(items, e.field(o, "*"))
    return o


def _call_each(e: E.Engine, fn: int, args: list[int], dst: int | None, site) -> None:
    e.watch(fn, E.Call(e, E.Args(list(args)), dst, site))


def builtin_call(e: E.Engine, name: str, args: E.Args, dst: int | None, site) -> None:
    pos = args.pos
    first = pos[0] if pos else None
    if name in E.PROTOCOL_BUILTINS and first is not None:
        dunder = E.PROTOCOL_BUILTINS[name]
        e.watch(first, E.Copy(e, e.node(), lambda o: _protocol(e, o, dunder, dst, site)))
    if dst is None:
        return
    if name == "super":
        _super(e, args, dst, site)
    elif name in ("map", "filter"):
        callables = [p for p in pos if p is not None]
        items = [elements(e, p, site) for p in callables]
        results = e.node()
        for p in callables:
            _call_each(e, p, items, results, site)
        out = _new(e, "list", site, name)
        for i in items if name == "filter" else [results]:
            e.edge(i, e.field(out, "*"))
        e.add_one(dst, out)
    elif name in ("sorted", "min", "max", "reversed", "list", "tuple", "set", "frozenset", "iter", "next"):
        items = elements(e, first, site if name not in ("iter", "next") else None)
        key = args.kw.get("key")
        if key is not None:
            _call_each(e, key, [items], None, site)
        if name in ("min", "max", "next"):
            e.edge(items, dst)
            if name == "next" and first is not None:
                e.watch(first, E.Elements(e, dst, site, after_iter=True))
        elif name == "iter" and first is not None:
            e.edge(first, dst)
        else:
            e.add_one(dst, _new(e, "tuple" if name == "tuple" else "list", site, name, items))
    elif name == "dict":
        o = _new(e, "dict", site, name)
        for k, v in args.kw.items():
            if v is not None:
                e.edge(v, e.field(o, ("str", k)))
        if first is not None:
            e.edge(elements(e, elements(e, first, None), None), e.field(o, "*"))
        e.add_one(dst, o)
    elif name in ("enumerate", "zip"):
        t = _new(e, "tuple", site, name + "-item")
        sources = [first] if name == "enumerate" else pos
        for i, p in enumerate(sources):
            e.edge(elements(e, p, site), e.field(t, ("int", i + (name == "enumerate"))))
        out = _new(e, "list", site, name)
        e.add_one(e.field(out, "*"), t)
        e.add_one(dst, out)
    elif name in ("getattr", "setattr", "hasattr") and len(pos) >= 2 and pos[1] is not None:
        e.watch(pos[1], E.Copy(e, e.node(), lambda o: _dynamic_attr(e, name, pos, dst, site, o)))
        if name == "getattr" and len(pos) > 2 and pos[2] is not None:
            e.edge(pos[2], dst)
    elif name == "type" and len(pos) == 1 and first is not None:
        e.watch(first, E.Copy(e, dst, lambda o: e.data[o].obj if e.kinds[o] == "inst" else None))


def _protocol(e: E.Engine, o: int, dunder: str, dst, site) -> None:
    if e.kinds[o] == "inst":
        e.call_method(o, dunder, E.Args(), dst if dunder in ("__iter__", "__next__", "__reversed__") else None,
                      site)


def _dynamic_attr(e: E.Engine, name: str, pos, dst, site, key: int) -> None:
    ck = E.const_key(e, key)
    if ck is None or ck[0] != "str" or pos[0] is None or not ck[1].isidentifier():
        return
    if name == "getattr":
        e.watch(pos[0], E.AttrLoad(e, ck[1], dst, site.caller, site.line, site.col))
    elif name == "setattr" and len(pos) > 2 and pos[2] is not None:
        e.watch(pos[0], E.AttrStore(e, ck[1], pos[2]))


def _super(e: E.Engine, args: E.Args, dst: int, site) -> None:
    if len(args.pos) >= 2 and args.pos[0] is not None and args.pos[1] is not None:
        self_node = args.pos[1]
        e.watch(args.pos[0], E.Copy(e, dst, lambda o: e.obj("super", (e.data[o], self_node))
                                    if e.kinds[o] == "class" else None))
        return
    fn = site.caller
    while fn is not None and getattr(fn, "owner_class", None) is None and getattr(fn, "parent_func", None):
        fn = fn.parent_func
    cls = getattr(fn, "owner_class", None)
    if cls is not None and fn.params:
        e.add_one(dst, e.obj("super", (cls, fn.params[0])))


def container_call(e: E.Engine, cont: int, name: str, args: E.Args, dst: int | None, site) -> None:
    pos = args.pos
    first = pos[0] if pos else None
    kind = e.data[cont]
    if name in ("append", "add") and first is not None:
        e.edge(first, e.field(cont, "*"))
    elif name == "insert" and len(pos) > 1 and pos[1] is not None:
        e.edge(pos[1], e.field(cont, "*"))
    elif name == "extend" and first is not None:
        e.edge(elements(e, first, site), e.field(cont, "*"))
    elif name == "update":
        if first is not None:
            e.watch(first, E.Copy(e, e.node(), lambda o: _copy_fields(e, o, cont)))
        for k, v in args.kw.items():
            if v is not None:
                e.edge(v, e.field(cont, ("str", k)))
    elif name == "sort" and "key" in args.kw and args.kw["key"] is not None:
        _call_each(e, args.kw["key"], [e.any_node(cont)], None, site)
    elif name == "setdefault" and len(pos) > 1 and pos[1] is not None:
        e.watch(first, E.Copy(e, e.node(), lambda k: _keyed(e, cont, k, pos[1], None)))
    if dst is None:
        return
    if name in ("get", "pop", "setdefault") and first is not None and kind == "dict":
        e.watch(first, E.Copy(e, e.node(), lambda k: _keyed(e, cont, k, None, dst)))
        e.edge(e.field(cont, "*"), dst)
        if len(pos) > 1 and pos[1] is not None:
            e.edge(pos[1], dst)
    elif name in ("pop",):
        e.edge(e.any_node(cont), dst)
    elif name == "copy":
        e.add_one(dst, cont)
    elif name == "values":
        e.add_one(dst, _new(e, "list", site, "values", e.any_node(cont)))
    elif name == "items":
        t = _new(e, "tuple", site, "item")
        e.edge(e.any_node(cont), e.field(t, ("int", 1)))
        out = _new(e, "list", site, "items")
        e.add_one(e.field(out, "*"), t)
        e.add_one(dst, out)


def _keyed(e: E.Engine, cont: int, key: int, src: int | None, dst: int | None) -> None:
    ck = E.const_key(e, key)
    field = e.field(cont, "*" if ck is None else ck)
    if src is not None:
        e.edge(src, field)
    if dst is not None:
        e.edge(field, dst)


def _copy_fields(e: E.Engine, src: int, dst_cont: int) -> None:
    if e.kinds[src] != "cont":
        return
    for key, node in e.fields_of(src):
        e.edge(node, e.field(dst_cont, key))
