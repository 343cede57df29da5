"""Files Python's parser rejects still get definitions and calls by name, from tree-sitter.

tree-sitter recovers from syntax errors, so a file with one broken line keeps its other
functions and classes: other modules can import them, and calls inside them resolve by
name to this file's top-level definitions, a class's own methods through `self`, or
builtins. No values are tracked here.
"""

from __future__ import annotations

from codewright.graph.pyresolve import engine as E
from codewright.graph.pyresolve.model import ClassInfo, FuncInfo, ModuleInfo, Scope, full_name

_parser = None


def _parse(source: str):
    global _parser
    if _parser is None:
        import tree_sitter
        import tree_sitter_python

        _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    return _parser.parse(source.encode("utf-8", errors="replace"))


def _name(node) -> str:
    n = node.child_by_field_name("name")
    return n.text.decode("utf-8", errors="replace") if n is not None else ""


def build_fallback(program, mod: ModuleInfo) -> None:
    e: E.Engine = program.e
    tree = _parse(mod.source)
    top: dict[str, FuncInfo | ClassInfo] = {}
    calls: list[tuple[object, object]] = []  # (caller definition, call node)
    # (ts node, enclosing definition, enclosing class)
    stack = [(c, mod, None) for c in reversed(tree.root_node.children)]
    while stack:
        node, owner, cls = stack.pop()
        kind = node.type
        if kind in ("function_definition", "class_definition"):
            name = _name(node)
            if not name:
                continue
            qual = f"{owner.qual}.{name}" if owner.qual else name
            line, col = node.start_point[0] + 1, node.start_point[1] + 1
            if kind == "function_definition":
                d = FuncInfo(name, qual, mod, line, col, kind="method" if cls else "function",
                             end_line=node.end_point[0] + 1)
                d.ret, d.yld = e.node(), e.node()
                d.owner_class = owner if isinstance(owner, ClassInfo) else None
                d.obj = e.obj("func", d)
            else:
                d = ClassInfo(name, qual, mod, line, col, end_line=node.end_point[0] + 1)
                d.scope = Scope("class", mod.scope, d)
                d.obj, d.inst = e.obj("class", d), e.obj("inst", d)
            program.defined(d)
            scope = owner.scope if isinstance(owner, (ClassInfo, ModuleInfo)) else None
            if scope is not None:
                scope.local_names.add(name)
                e.add_one(e.var_union(scope, name), d.obj)
            if owner is mod:
                top[name] = d
                mod.defined.add(name)
            body = node.child_by_field_name("body")
            if body is not None:
                inner_cls = d if isinstance(d, ClassInfo) else cls
                stack.extend((c, d, inner_cls) for c in reversed(body.children))
            continue
        if kind == "call":
            calls.append((owner, cls, node))
        stack.extend((c, owner, cls) for c in reversed(node.children))
    for owner, cls, node in calls:
        fn = node.child_by_field_name("function")
        targets: list = []
        if fn is not None and fn.type == "identifier":
            name = fn.text.decode("utf-8", errors="replace")
            found = top.get(name) or (f"<builtin>.{name}" if name in E.BUILTIN_NAMES else None)
            targets = [found] if found is not None else []
        elif fn is not None and fn.type == "attribute" and cls is not None:
            obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
            if obj is not None and attr is not None and obj.text == b"self":
                found = e.lookup(cls, attr.text.decode("utf-8", errors="replace"))
                if found is not None and found[0] != "ext":
                    targets = [e.data[o] for o in e.pts[found[1]] if e.kinds[o] == "func"]
        if targets:
            _record(e, e.site(owner, node.start_point[0] + 1, node.start_point[1] + 1), targets)


def _record(e: E.Engine, site: E.CallSite, targets: list) -> None:
    for target in targets:
        if isinstance(target, str):
            site.targets.add(target)
        elif isinstance(target, ClassInfo):
            site.classes.add(target)
            init = e.lookup(target, "__init__")
            if init is not None and init[0] != "ext":
                e.watch(init[1], E.Bind(e, target, target.inst, None, None, 0, 0, invoke=(E.Args(), site)))
        else:
            site.targets.add(full_name(target))
            site.defs.add(target)
