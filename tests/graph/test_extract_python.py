"""Python extraction on a small fixture: exact ids, spans, imports, references and chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.graph.extract import extract, language_for, module_name
from codewright.graph.languages.python import MAX_DOC

FIXTURE = Path(__file__).parent / "fixtures" / "extract" / "python" / "shapes.py"
M = "pkg/shapes.py::"


@pytest.fixture(scope="module")
def facts():
    return extract("pkg/shapes.py", FIXTURE.read_bytes())


def test_symbols(facts):
    got = [(s.id, s.qualname, s.kind, s.start_line, s.start_col, s.end_line, s.end_col, s.parent)
           for s in facts.symbols]
    assert got == [
        (M, "pkg.shapes", "module", 1, 1, 29, 48, None),
        (M + "UNIT", "pkg.shapes.UNIT", "constant", 10, 1, 10, 11, M),
        (M + "registry", "pkg.shapes.registry", "variable", 11, 1, 11, 13, M),
        (M + "Square", "pkg.shapes.Square", "class", 15, 1, 25, 52, M),
        (M + "Square.side", "pkg.shapes.Square.side", "attribute", 18, 5, 18, 21, M + "Square"),
        (M + "Square.area", "pkg.shapes.Square.area", "method", 20, 5, 25, 52, M + "Square"),
        (M + "Square.area.twice", "pkg.shapes.Square.area.twice", "function", 23, 9, 24, 24, M + "Square.area"),
        (M + "describe", "pkg.shapes.describe", "function", 28, 1, 29, 48, M),
    ]


@pytest.mark.parametrize("sid, signature, doc", [
    ("", "", "Shapes and their areas."),
    ("Square", '@register("shape") class Square(base.Shape, metaclass=Meta)', "A square."),
    ("Square.area", "def area(self, scale: int = 1) -> float", ""),
    ("Square.side", "side: float = 1.0", ""),
    ("UNIT", 'UNIT = "cm"', ""),
])
def test_signature_and_doc(facts, sid, signature, doc):
    sym = next(s for s in facts.symbols if s.id == M + sid)
    assert (sym.signature, sym.doc) == (signature, doc)


@pytest.mark.parametrize("source, doc", [
    ('def f():\n    """One line."""\n', "One line."),
    ('def f():\n    """\n    Below the quotes.\n\n    More.\n    """\n', "Below the quotes."),
    # a summary wrapped over lines is read whole, up to the blank line after it (flask's Flask.test_client)
    (('def f():\n    """Creates a test client for this application.  For information\n'
      '    about unit testing head over to the docs.\n\n    Note that...\n    """\n'),
     "Creates a test client for this application.  For information about unit testing head over to the docs."),
    ("class C:\n    '''A class\n    that wraps.'''\n", "A class that wraps."),
    ('def f():\n    r"""Raw\n       text."""\n', "Raw text."),
    ('def f():\n    """' + "word\n    " * 100 + '"""\n', ("word " * 100)[:MAX_DOC - 3] + "..."),  # one too long
])
def test_doc_is_the_docstrings_first_paragraph(source, doc):
    """The doc was the first line alone, cut mid-sentence where the summary wraps (two docstrings in three of
    flask's): `The flask object implements a WSGI application and acts as the central`."""
    (sym,) = [s for s in extract("m.py", source.encode()).symbols if s.kind != "module"]
    assert sym.doc == doc


@pytest.mark.parametrize("source, signature", [
    ("def f(a,  # the first\n      b):  # noqa: E501\n    pass\n", "def f(a, b)"),
    ("def g(x='#', y=\"#\"):  # why\n    pass\n", "def g(x='#', y=\"#\")"),
    ("class C(Base):  # a comment\n    pass\n", "class C(Base)"),
    ("async def h(\n    a,  # one\n    # a line of its own\n) -> int:\n    return a\n", "async def h(a,) -> int"),
    ("app: App = Proxy(  # type: ignore[assignment]\n    _cv, 'app'\n)\n", "app: App = Proxy(_cv, 'app')"),
    ("SEP = '#'  # the separator\n", "SEP = '#'"),
    ("type Pair[T] = tuple[T, T]  # two of a kind\n", "type Pair[T] = tuple[T, T]"),
])
def test_signatures_leave_comments_out(source, signature):
    (sym,) = [s for s in extract("m.py", source.encode()).symbols if s.kind != "module"]
    assert sym.signature == signature


@pytest.mark.parametrize("source, signature", [
    ("@property\ndef name(self): pass\n", "@property def name(self)"),
    ("@staticmethod\n@functools.cache\nasync def f(): pass\n", "@staticmethod @functools.cache async def f()"),
    ("@dataclass(frozen=True)\nclass P(Base): pass\n", "@dataclass(frozen=True) class P(Base)"),
    ("@a  # why\n@b(1,  # one\n   2,\n)\ndef f(): pass\n", "@a @b(1, 2,) def f()"),  # one line, no comments
    ("@(lambda f: f)\ndef f(): pass\n", "@(lambda f: f) def f()"),
    # over 60 characters: the callee, or the decorator cut
    ("@pytest.mark.parametrize('case', [\n    ('a', 1), ('b', 2), ('c', 3), ('d', 4),\n])\ndef t(case): pass\n",
     "@pytest.mark.parametrize(...) def t(case)"),
    ("@" + "x" * 70 + "\ndef f(): pass\n", "@" + "x" * 56 + "... def f()"),
    ("@" + "x" * 70 + "(1)\ndef f(): pass\n", "@" + "x" * 56 + "... def f()"),
    ("@register.filter(is_safe=True, needs_autoescape=True)\ndef f(): pass\n",
     "@register.filter(is_safe=True, needs_autoescape=True) def f()"),
])
def test_signatures_show_decorators(source, signature):
    """`@property def name(self)` showed as `def name(self)`: a property read as a method to call."""
    (sym,) = [s for s in extract("m.py", source.encode()).symbols if s.kind != "module"]
    assert sym.signature == signature


def test_imports(facts):
    got = [(i.module, i.names, i.alias, i.line, i.level, i.scope) for i in facts.imports]
    assert got == [
        ("os.path", [], "osp", 5, 0, None),
        ("sys", [], None, 5, 0, None),
        (".", ["base"], None, 6, 1, None),
        ("..util.text", ["title"], None, 7, 2, None),
        ("..util.text", ["slug"], "make_slug", 7, 2, None),
        ("typing", ["*"], None, 8, 0, None),
        ("math", [], None, 21, 0, M + "Square.area"),
    ]


def test_references(facts):
    got = [(r.name, r.kind, r.line, r.col, r.qualifier, r.scope) for r in facts.references]
    assert got == [
        ("register", "decorator", 14, 2, "", M),
        ("base", "name", 15, 14, "", M + "Square"),
        ("Shape", "base", 15, 19, "base", M + "Square"),
        ("Meta", "name", 15, 36, "", M + "Square"),
        ("float", "annotation", 18, 11, "", M + "Square.side"),
        ("int", "annotation", 20, 27, "", M + "Square.area"),
        ("float", "annotation", 20, 39, "", M + "Square.area"),
        ("math", "name", 25, 16, "", M + "Square.area"),
        ("pow", "call", 25, 21, "math", M + "Square.area"),
        ("side", "attribute", 25, 30, "self", M + "Square.area"),
        ("twice", "call", 25, 41, "", M + "Square.area"),
        ("osp", "name", 29, 12, "", M + "describe"),
        ("join", "call", 29, 16, "osp", M + "describe"),
        ("UNIT", "name", 29, 21, "", M + "describe"),
        ("make_slug", "call", 29, 27, "", M + "describe"),
        ("name", "attribute", 29, 43, "shape", M + "describe"),
    ]


def test_chunks(facts):
    got = [(c.kind, c.start_line, c.end_line, c.symbol, c.title) for c in facts.chunks]
    assert got == [
        ("module", 1, 11, None, "pkg.shapes"),
        ("class", 14, 25, M + "Square", "pkg.shapes.Square"),
        ("function", 28, 29, M + "describe", "pkg.shapes.describe"),
    ]
    lines = FIXTURE.read_text().split("\n")
    assert facts.chunks[1].text == "\n".join(lines[13:25])
    assert facts.chunks[0].text.startswith('"""Shapes') and facts.chunks[0].text.endswith("registry = {}")


@pytest.mark.parametrize("source, expected", [
    ("a.b.c(1)", [("a", "name", ""), ("b", "attribute", "a"), ("c", "call", "a.b")]),
    ("f(x).g[0].h()", [("f", "call", ""), ("x", "name", ""), ("g", "attribute", "f()"), ("h", "call", "f().g[]")]),
    ("q.filter(\n  a=1,\n).order_by('x')", [("q", "name", ""), ("filter", "call", "q"), ("order_by", "call", "q.filter()")]),
    ("self.x = cls.y", [("x", "attribute", "self"), ("y", "attribute", "cls")]),
    ("for i, j in pairs: total += i", [("pairs", "name", ""), ("total", "name", ""), ("i", "name", "")]),
    ("with open(p) as fh, lock: pass", [("open", "call", ""), ("p", "name", ""), ("lock", "name", "")]),
    ("try: pass\nexcept (KeyError, E) as e: raise", [("KeyError", "name", ""), ("E", "name", "")]),
    ("lambda a, *b, c=d, **e: a + g", [("d", "name", ""), ("g", "name", "")]),
    ("[k for k in ks if k]", [("ks", "name", "")]),
    ("def f(a: A[B], *, b: 'C' = D) -> E: global G; return a",
     [("A", "annotation", ""), ("B", "annotation", ""), ("D", "name", ""), ("E", "annotation", "")]),
    ("import a.b as c\nfrom . import d", []),
    ("call(key=value)", [("call", "call", ""), ("value", "name", "")]),
    ("if (n := size()) > LIMIT: pass", [("size", "call", ""), ("LIMIT", "name", "")]),
    ("match x:\n    case [a, *b] | {'k': a, **b} | P(a, k=[*b]) as c if c: pass\n    case Color.RED | _: pass",
     [("x", "name", ""), ("P", "type", ""), ("c", "name", ""), ("Color", "name", ""), ("RED", "attribute", "Color")]),
    # a class pattern tests an instance of the class: no call
    ("match p:\n    case Point(x=0) | geo.Point(): pass\n    case [Point(), *_]: pass",
     [("p", "name", ""), ("Point", "type", ""), ("geo", "name", ""), ("Point", "type", "geo"), ("Point", "type", "")]),
])
def test_reference_kinds(source, expected):
    refs = extract("m.py", source.encode()).references
    assert [(r.name, r.kind, r.qualifier) for r in refs] == expected


@pytest.mark.parametrize("source, expected", [
    ("__all__ = ['a', \"b\"]", [("a", 1, 13), ("b", 1, 18)]),
    ("__all__: list[str] = ('a',)", [("a", 1, 24)]),
    ("__all__ = ['a']\n__all__ += ['b']\n__all__.extend(('c',))\n__all__.append('d')",
     [("a", 1, 13), ("b", 2, 14), ("c", 3, 18), ("d", 4, 17)]),
    ("__all__ = ['a']\n__all__ = ['b']", [("b", 2, 13)]),  # the later list replaces the earlier
    ("__all__ = ['a']\n__all__ += core.__all__", []),  # not all literal: unknown, so no list at all
    ("__all__ = [f'{x}']", []),
    ("if X:\n    __all__ = ['a']", []),  # only top-level statements count
    ("names = ['__all__', 'a']", []),
])
def test_dunder_all_strings_are_export_references(source, expected):
    refs = extract("m.py", source.encode()).references
    assert [(r.name, r.line, r.col) for r in refs if r.kind == "export"] == expected


@pytest.mark.parametrize("source, expected", [
    ("def f(a):\n    return a, b", ["b"]),  # a parameter
    ("def f():\n    g(x)\n    x = 1", ["g"]),  # assigned anywhere in the function: local in all of it
    ("def f():\n    for i in r: yield i", ["r"]),
    ("def f():\n    with o() as h: h()", ["o"]),
    ("def f():\n    try: pass\n    except E as e: log(e)", ["E", "log"]),
    ("def f():\n    if (n := g()): return n", ["g"]),
    ("def f():\n    n += 1\n    return n", []),
    ("def f(a):\n    def g():\n        return a\n    return g()", ["g"]),  # an enclosing function's local
    ("def f():\n    global G\n    G = 1\n    return G", ["G"]),  # declared global: module level
    ("def f():\n    [k for k in ks]\n    return k", ["ks", "k"]),  # a comprehension's own scope
    ("def f():\n    return [k for k in k]", ["k"]),  # but its first iterable is read outside it
    ("def f():\n    return [j for k in ks for j in k]", ["ks"]),  # a later one inside it
    ("def f():\n    return [k for k in [k for j in js]]", ["k", "js"]),  # a comprehension in the first iterable
    ("def f():\n    return [k for k in (lambda: k)()]", ["k"]),  # a lambda in it
    ("def f():\n    h = lambda x: x + y\n    return x", ["y", "x"]),  # a lambda's own scope
    ("def f(a=a): pass", ["a"]),  # a default is read outside the function
    ("def f(a):\n    return a.b", ["b"]),  # attributes stay, with the local as qualifier
    ("def f():\n    import os\n    os.sep", ["os", "sep"]),  # imported names name modules
    ("def f():\n    def g(): pass\n    g()", ["g"]),  # nested definitions are symbols
    ("def f(x: T) -> T: return x", ["T", "T"]),  # annotations stay
    ("def f(T):\n    def g(x: T) -> T: pass\n    return g", ["g"]),  # but not where they name a local
    ("def f():\n    x = 1\n    class C:\n        x = 2\n        y = x", ["x"]),  # a class attribute
    ("for i in r: print(i)", ["r", "print", "i"]),  # module level: module variables are symbols
    ("def f(x):\n    match x:\n        case [a, *r] | P(k=a, j=Q.R, r=[*r]) as c:\n            return a, r, c",
     ["P", "Q", "R"]),  # the captures of a case pattern bind
])
def test_local_names_are_not_references(source, expected):
    refs = extract("m.py", source.encode()).references
    assert [r.name for r in refs] == expected


@pytest.mark.parametrize("source, expected", [
    ("X = 1\nif DEBUG:\n    Y = 2\nelse:\n    Y = 3\ntry:\n    import z\nexcept ImportError:\n    z = None\n",
     [("X", "constant"), ("Y", "constant"), ("z", "variable")]),
    ("a, B = 1, 2\n", [("a", "variable"), ("B", "constant")]),
    ("if X:\n    obj.attr = 1\n    d[k] = 2\n    Y = 3\n", [("Y", "constant")]),  # an attribute or item names nothing
    ("class C:\n    @property\n    def p(self): pass\n    @p.setter\n    def p(self, v): pass\n",
     [("C", "class"), ("C.p", "method")]),
    ("def f():\n    class L:\n        def m(self): pass\n",
     [("f", "function"), ("f.L", "class"), ("f.L.m", "method")]),
    ("async def a():\n    pass\n", [("a", "function")]),
    ("type Alias = list[int]\ntype Pair[T] = tuple[T, T]\nclass C:\n    type Inner = int\n",
     [("Alias", "type"), ("Pair", "type"), ("C", "class"), ("C.Inner", "type")]),
])
def test_symbol_kinds(source, expected):
    syms = extract("m.py", source.encode()).symbols[1:]
    assert [(s.id.split("::")[1], s.kind) for s in syms] == expected


def test_every_name_of_a_chained_assignment_is_a_symbol():
    """`f = g = 5` gave f only."""
    source = "f = g = 5\nA = B = C = 1\nif X:\n    m = n = 3\nclass K:\n    a = b = 4\ndef fn():\n    p = q = 5\n"
    syms = extract("m.py", source.encode()).symbols[1:]
    assert [(s.id, s.kind, s.start_line, s.start_col, s.end_col, s.signature) for s in syms] == [
        ("m.py::f", "variable", 1, 1, 9, "f = g = 5"),
        ("m.py::g", "variable", 1, 5, 9, "g = 5"),
        ("m.py::A", "constant", 2, 1, 13, "A = B = C = 1"),
        ("m.py::B", "constant", 2, 5, 13, "B = C = 1"),
        ("m.py::C", "constant", 2, 9, 13, "C = 1"),
        ("m.py::m", "variable", 4, 5, 13, "m = n = 3"),
        ("m.py::n", "variable", 4, 9, 13, "n = 3"),
        ("m.py::K", "class", 5, 1, 13, "class K"),
        ("m.py::K.a", "attribute", 6, 5, 13, "a = b = 4"),
        ("m.py::K.b", "attribute", 6, 9, 13, "b = 4"),
        ("m.py::fn", "function", 7, 1, 13, "def fn()"),
    ]


@pytest.mark.parametrize("source, expected", [
    ("a, (b, C) = v", [("a", "variable"), ("b", "variable"), ("C", "constant")]),
    ("[a, [b, *c]] = v", [("a", "variable"), ("b", "variable"), ("c", "variable")]),
    ("(a, b), *c = v", [("a", "variable"), ("b", "variable"), ("c", "variable")]),
    ("if X:\n    a, (b, c) = v", [("a", "variable"), ("b", "variable"), ("c", "variable")]),
    ("class K:\n    a, (b, c) = v\n    o.x, d[0] = v", [("K", "class"), ("K.a", "attribute"), ("K.b", "attribute"),
                                                     ("K.c", "attribute")]),
    ("o.x = g = 5", [("g", "variable")]),  # the chain binds g though its outer target is an attribute
])
def test_every_name_of_a_nested_unpacking_is_a_symbol(source, expected):
    """`a, (b, c) = ...` gave a only, `[a, [b, *c]] = ...` nothing, a class body's unpacking nothing."""
    syms = extract("m.py", source.encode()).symbols[1:]
    assert [(s.id.split("::")[1], s.kind) for s in syms] == expected


@pytest.mark.parametrize("source, expected", [
    ("def f[T](x: T) -> T:\n    y: T = x\n    return T", []),
    ("def f[T: Bound, *Ts, **P](*a: *Ts, **k: P.kwargs) -> T: pass",
     [("Bound", "annotation"), ("kwargs", "annotation")]),  # a bound is read
    ("class C[T](Base[T]):\n    a: T\n    def m(self) -> T: return T", [("Base", "base")]),
    ("type A[K: str] = dict[K, V]", [("str", "annotation"), ("dict", "annotation"), ("V", "annotation")]),
    ("@dec(T)\ndef f[U](x: U) -> T: return U, T", [("dec", "decorator"), ("T", "name"), ("T", "annotation"),
                                                   ("T", "name")]),  # only the definition's own parameters
    ("def f[T](): pass\nx: T = T", [("T", "annotation"), ("T", "name")]),  # outside it, T is another name
])
def test_type_parameters_bind_in_their_definition(source, expected):
    """PEP 695 type parameters were references (of kind annotation, or name in base classes) where they are
    declared and wherever the definition used them, as if they named a module-level T."""
    refs = extract("m.py", source.encode()).references
    assert [(r.name, r.kind) for r in refs] == expected


@pytest.mark.parametrize("source, expected", [
    ("a, (b, c) = v\n[d, [e, *f]] = w", ["v", "w"]),
    ("def f():\n    a, (b, c) = v\n    return a, b, c", ["v"]),
    ("def f():\n    for a, (b, [c]) in v: yield a, b, c", ["v"]),
    ("def f():\n    return [b + c for a, (b, c) in v]", ["v"]),
])
def test_names_bound_by_nested_unpacking_are_not_references(source, expected):
    refs = extract("m.py", source.encode()).references
    assert [r.name for r in refs] == expected


@pytest.mark.parametrize("decorator", ["@overload", "@typing.overload", "@t.overload"])
def test_overload_signatures_give_way_to_the_implementation(decorator):
    """`def go` was the first signature stub (line 3, span 3-3), and the body's uses were outside its span."""
    source = (f"import typing\n\n{decorator}\ndef go(x: int) -> int: ...\n{decorator}\ndef go(x: str) -> str: ...\n"
              "def go(x):\n    return x\n")
    (go,) = [s for s in extract("m.py", source.encode()).symbols if s.name == "go"]
    assert (go.start_line, go.end_line, go.signature) == (7, 8, "def go(x)")


def test_an_overload_signature_alone_shows_its_decorator():
    """A stub (.pyi) has no implementation: its signatures stay, and say what they are."""
    (go,) = [s for s in extract("m.pyi", b"@overload\ndef go(x: int) -> int: ...\n").symbols if s.name == "go"]
    assert go.signature == "@overload def go(x: int) -> int"


def test_large_class_is_split_by_method():
    methods = "".join(f"    def m{i}(self):\n" + "        x = 1\n" * 8 + "\n" for i in range(10))
    source = "import os\n\n\nclass Big:\n    '''Big.'''\n    limit = 3\n\n" + methods + "\nZ = 1\n"
    chunks = extract("big.py", source.encode()).chunks
    got = [(c.kind, c.start_line, c.end_line, c.symbol) for c in chunks]
    assert got[0] == ("module", 1, 109, None)
    assert chunks[0].text == "import os\nZ = 1"
    assert got[1] == ("class", 4, 6, "big.py::Big")
    assert chunks[1].text == "class Big:\n    '''Big.'''\n    limit = 3"
    assert got[2:] == [("function", 8 + 10 * i, 16 + 10 * i, f"big.py::Big.m{i}") for i in range(10)]


def test_last_method_of_a_large_decorated_class_starts_at_its_own_line():
    """It ends where the class does, so the class's decorator was taken for its own: its chunk ran from line 1, the
    whole class again."""
    source = "@dataclass\nclass C:\n" + "".join(f"    x{i} = {i}\n" for i in range(90)) + "    def m(self):\n        pass\n"
    chunks = extract("c.py", source.encode()).chunks
    assert [(c.kind, c.start_line, c.end_line, c.symbol) for c in chunks] == [
        ("class", 1, 92, "c.py::C"), ("function", 93, 94, "c.py::C.m")]


@pytest.mark.parametrize("path, language", [
    ("a/b.py", "python"), ("b.pyi", "python"), ("x.js", "javascript"), ("x.jsx", "javascript"),
    ("x.mjs", "javascript"), ("x.ts", "typescript"), ("x.tsx", "tsx"), ("x.go", "go"), ("X.java", "java"),
    ("x.rs", "rust"), ("x.c", "c"), ("x.h", "c"), ("x.cc", "cpp"), ("x.HPP", "cpp"),
    ("README.md", None), ("Makefile", None), (".py", None),
])
def test_language_for(path, language):
    assert language_for(path) == language


@pytest.mark.parametrize("path, module", [
    ("src/pkg/mod.py", "pkg.mod"), ("pkg/__init__.py", "pkg"), ("setup.py", "setup"),
    ("lib/a/b.pyi", "a.b"), ("__init__.py", "__init__"),
])
def test_module_name(path, module):
    assert module_name(path) == module


def test_module_given_by_store_wins():
    facts = extract("src/x/__init__.py", b"def f(): pass\n", module="x")
    assert [(s.id, s.qualname) for s in facts.symbols] == [("src/x/__init__.py::", "x"),
                                                          ("src/x/__init__.py::f", "x.f")]


def test_large_class_inside_a_large_class_is_split_at_both_levels():
    def methods(indent, count):
        return "".join(f"{indent}def m{i}(self):\n" + f"{indent}    x = 1\n" * 8 for i in range(count))
    inner = "    class Inner:\n        A = 1\n" + methods("        ", 9)  # lines 3-85
    source = "class Outer:\n    B = 2\n" + inner + methods("    ", 1)  # Outer.m0 at 86-94
    chunks = extract("n.py", source.encode()).chunks
    got = [(c.kind, c.start_line, c.end_line, c.symbol.split("::")[1], c.text.count("\n") + 1) for c in chunks]
    assert got == [("class", 1, 2, "Outer", 2), ("class", 3, 4, "Outer.Inner", 2)] + [
        ("function", 5 + 9 * i, 13 + 9 * i, f"Outer.Inner.m{i}", 9) for i in range(9)] + [
        ("function", 86, 94, "Outer.m0", 9)]


def test_long_module_level_run_is_split_into_bounded_chunks():
    source = "TABLE = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(300)) + "}\n"
    chunks = extract("t.py", source.encode()).chunks
    assert [(c.kind, c.start_line, c.end_line) for c in chunks] == [
        ("module", 1, 120), ("module", 121, 240), ("module", 241, 302)]
    assert "\n".join(c.text for c in chunks) == source.rstrip("\n")


@pytest.mark.parametrize("source, expected", [
    ("def f(p: Pytester): pass\n", [("a.py::f", "p", 0, "Pytester", "")]),
    ("def f(p: pytest.Pytester = None): pass\n", [("a.py::f", "p", 0, "Pytester", "pytest")]),
    ("def f(p: 'mod.C'): pass\n", [("a.py::f", "p", 0, "C", "mod")]),
    ("def f(p: Optional[C]): pass\n", [("a.py::f", "p", 0, "C", "")]),
    ("def f(p: typing.Optional['C']): pass\n", [("a.py::f", "p", 0, "C", "")]),
    ("def f(p: C | None): pass\n", [("a.py::f", "p", 0, "C", "")]),
    ("def f(p: None | C): pass\n", [("a.py::f", "p", 0, "C", "")]),
    ("def f(p: type[C]): pass\n", [("a.py::f", "p", 0, "C", "")]),
    ("def f(p: C | D, q: list[C], r: None, s: Optional[C | D], *a: C, **k: C): pass\n", []),  # no one class
    ("def f():\n    x: C = g()\n    y = 1\n", [("a.py::f", "x", 2, "C", "")]),  # after its last line
    ("def f():\n    x: C = (\n        g())\n", [("a.py::f", "x", 3, "C", "")]),
    ("class K:\n    x: C = None\n\n    def m(self, p: C): pass\n", [("a.py::K.m", "p", 0, "C", "")]),  # no field
    ("x: C = None\n", []),  # a module's variable is a symbol, read as one
    ("def f(p: C):\n    def g(p): pass\n    def h(): p = 1\n    def k(): return p\n",  # they bind p anew, k reads f's
     [("a.py::f", "p", 0, "C", ""), ("a.py::f.g", "p", 0, "", ""), ("a.py::f.h", "p", 0, "", "")]),
])
def test_annotated_variables(source: str, expected: list) -> None:
    """A function's parameter or local variable annotated with one class, so that `p.x` names its member."""
    found = extract("a.py", source.encode()).annotations
    got = [(a.scope, a.name, a.line, a.type_name, a.type_qualifier) for a in found]
    assert sorted(got) == sorted(expected)
