"""Every tree-sitter language on a small fixture: exact ids, spans, imports and references.

Each case is (symbols, imports, references) with ids and scopes relative to the file
(`Square.area` for `<path>::Square.area`, "" for the module symbol `<path>::`):
  symbol:    (qual, qualname, kind, start_line, start_col, end_line, end_col, parent)
  import:    (module, names, alias, line, level)
  reference: (name, kind, line, col, qualifier, scope)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.graph.extract import extract
from codewright.graph.facts import Symbol
from codewright.graph.languages.tags import name_parts

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
FILES = {
    "javascript": "javascript/shapes.js", "typescript": "typescript/shapes.ts", "tsx": "tsx/App.tsx",
    "go": "go/shapes.go", "java": "java/Square.java", "rust": "rust/shapes.rs", "c": "c/shapes.c",
    "cpp": "cpp/shapes.cpp",
}

EXPECTED = {
    "javascript": (
        [
            ('', 'shapes.js', 'module', 1, 1, 19, 21, None),
            ('add', 'add', 'function', 6, 8, 8, 1, ''),
            ('Shape', 'Shape', 'class', 10, 1, 16, 1, ''),
            ('Shape.constructor', 'Shape.constructor', 'method', 11, 3, 14, 3, 'Shape'),
            ('Shape.area', 'Shape.area', 'method', 15, 3, 15, 41, 'Shape'),
            ('square', 'square', 'function', 18, 7, 18, 27, ''),
        ],
        [
            ('fs', ['join'], None, 1, 0),
            ('fs', ['default'], 'fs', 1, 0),
            ('fs', ['readFile'], 'rf', 1, 0),
            ('./path.js', ['*'], 'path', 2, 0),
            ('util', [], 'util', 3, 0),
        ],
        [
            ('require', 'call', 3, 14, '', ''),  # `const util = require(...)` is an import, no symbol
            ('util', 'name', 7, 10, '', 'add'),
            ('format', 'call', 7, 15, 'util', 'add'),
            ('a', 'name', 7, 22, '', 'add'),
            ('b', 'name', 7, 26, '', 'add'),
            ('Base', 'base', 10, 21, '', 'Shape'),
            ('side', 'attribute', 13, 10, 'this', 'Shape.constructor'),
            ('side', 'name', 13, 17, '', 'Shape.constructor'),
            ('side', 'attribute', 15, 24, 'this', 'Shape.area'),
            ('helper', 'call', 15, 31, '', 'Shape.area'),
            ('x', 'name', 18, 23, '', 'square'),
            ('x', 'name', 18, 27, '', 'square'),
            ('Shape', 'export', 19, 16, '', ''),  # export default Shape
        ],
    ),
    "typescript": (
        [
            ('', 'shapes.ts', 'module', 1, 1, 26, 1, None),
            ('Shape', 'Shape', 'interface', 5, 8, 7, 1, ''),
            ('Shape.area', 'Shape.area', 'method', 6, 3, 6, 29, 'Shape'),
            ('Id', 'Id', 'type', 9, 8, 9, 33, ''),
            ('Color', 'Color', 'enum', 11, 1, 11, 25, ''),
            ('Color.Red', 'Color.Red', 'constant', 11, 14, 11, 16, 'Color'),
            ('Color.Green', 'Color.Green', 'constant', 11, 19, 11, 23, 'Color'),
            ('Square', 'Square', 'class', 13, 8, 18, 1, ''),
            ('Square.side', 'Square.side', 'attribute', 14, 3, 14, 26, 'Square'),
            ('Square.area', 'Square.area', 'method', 15, 3, 17, 3, 'Square'),
            ('make', 'make', 'function', 20, 8, 22, 1, ''),
            ('Geo', 'Geo', 'namespace', 24, 1, 26, 1, ''),
            ('Geo.ORIGIN', 'Geo.ORIGIN', 'constant', 25, 16, 25, 25, 'Geo'),
        ],
        [
            ('./thing', ['Thing'], None, 1, 0),
            ('../opts', ['Opt'], None, 2, 0),
        ],
        [
            ('Thing', 'base', 5, 32, '', 'Shape'),
            ('Shape', 'base', 13, 32, '', 'Square'),
            ('Math', 'name', 16, 12, '', 'Square.area'),
            ('pow', 'call', 16, 17, 'Math', 'Square.area'),
            ('side', 'attribute', 16, 26, 'this', 'Square.area'),
            ('scale', 'name', 16, 37, '', 'Square.area'),
            ('Opt', 'type', 20, 27, '', 'make'),
            ('Square', 'type', 20, 33, '', 'make'),
            ('Square', 'call', 21, 14, '', 'make'),
        ],
    ),
    "tsx": (
        [
            ('', 'App.tsx', 'module', 1, 1, 12, 63, None),
            ('Props', 'Props', 'type', 4, 1, 4, 31, ''),
            ('App', 'App', 'function', 7, 8, 10, 1, ''),
            ('Header', 'Header', 'function', 12, 14, 12, 62, ''),
        ],
        [
            ('react', ['useState'], None, 1, 0),
            ('react', ['default'], 'React', 1, 0),
            ('./Button', ['Button'], None, 2, 0),
        ],
        [
            ('Props', 'type', 7, 32, '', 'App'),
            ('useState', 'call', 8, 29, '', 'App'),
            ('Button', 'call', 9, 11, '', 'App'),
            ('title', 'name', 9, 25, '', 'App'),
            ('setCount', 'call', 9, 47, '', 'App'),
            ('count', 'name', 9, 56, '', 'App'),
            ('Props', 'type', 12, 31, '', 'Header'),
            ('props', 'name', 12, 46, '', 'Header'),
            ('title', 'attribute', 12, 52, 'props', 'Header'),
        ],
    ),
    "go": (
        [
            ('', 'shapes', 'module', 1, 1, 27, 1, None),
            ('Square', 'shapes.Square', 'struct', 10, 6, 12, 1, ''),
            ('Shape', 'shapes.Shape', 'interface', 14, 6, 16, 1, ''),
            ('Shape.Area', 'shapes.Shape.Area', 'method', 15, 2, 15, 15, 'Shape'),
            ('Unit', 'shapes.Unit', 'constant', 18, 7, 18, 17, ''),
            ('Square.Area', 'shapes.Square.Area', 'method', 21, 1, 23, 1, 'Square'),
            ('Describe', 'shapes.Describe', 'function', 25, 1, 27, 1, ''),
        ],
        [
            ('fmt', [], None, 5, 0),
            ('math', [], 'm', 6, 0),
        ],
        [
            ('float64', 'type', 11, 7, '', 'Square'),
            ('float64', 'type', 15, 9, '', 'Shape.Area'),
            ('Square', 'type', 21, 10, '', 'Square.Area'),
            ('float64', 'type', 21, 25, '', 'Square.Area'),
            ('m', 'name', 22, 9, '', 'Square.Area'),
            ('Pow', 'call', 22, 11, 'm', 'Square.Area'),
            ('s', 'name', 22, 15, '', 'Square.Area'),
            ('Side', 'attribute', 22, 17, 's', 'Square.Area'),
            ('Shape', 'type', 25, 18, '', 'Describe'),
            ('string', 'type', 25, 25, '', 'Describe'),
            ('fmt', 'name', 26, 9, '', 'Describe'),
            ('Sprintf', 'call', 26, 13, 'fmt', 'Describe'),
            ('sh', 'name', 26, 30, '', 'Describe'),
            ('Area', 'call', 26, 33, 'sh', 'Describe'),
            ('Unit', 'name', 26, 41, '', 'Describe'),
        ],
    ),
    "java": (
        [
            ('', 'com.example.shapes', 'module', 1, 1, 24, 1, None),
            ('Square', 'com.example.shapes.Square', 'class', 8, 1, 24, 1, ''),
            ('Square.side', 'com.example.shapes.Square.side', 'attribute', 9, 5, 9, 24, 'Square'),
            ('Square.Square', 'com.example.shapes.Square.Square', 'method', 11, 5, 13, 5, 'Square'),
            # at `public`, past its annotation: as a Python function starts at `def`, past its decorators
            ('Square.area', 'com.example.shapes.Square.area', 'method', 17, 5, 19, 5, 'Square'),
            ('Square.Visitor', 'com.example.shapes.Square.Visitor', 'interface', 21, 5, 21, 47, 'Square'),
            ('Square.Visitor.visit', 'com.example.shapes.Square.Visitor.visit', 'method', 21, 25, 21, 45, 'Square.Visitor'),
            ('Square.Kind', 'com.example.shapes.Square.Kind', 'enum', 23, 5, 23, 22, 'Square'),
            ('Square.Kind.A', 'com.example.shapes.Square.Kind.A', 'constant', 23, 17, 23, 17, 'Square.Kind'),
            ('Square.Kind.B', 'com.example.shapes.Square.Kind.B', 'constant', 23, 20, 23, 20, 'Square.Kind'),
        ],
        [
            ('java.util', ['List'], None, 3, 0),
            ('java.lang.Math', ['pow'], None, 4, 0),
            ('java.io', ['*'], None, 5, 0),
        ],
        [
            ('Base', 'base', 8, 29, '', 'Square'),
            ('Shape', 'base', 8, 45, '', 'Square'),
            ('side', 'attribute', 12, 14, 'this', 'Square.Square'),
            ('side', 'name', 12, 21, '', 'Square.Square'),
            ('Override', 'decorator', 16, 6, '', 'Square.area'),
            ('pow', 'call', 18, 16, '', 'Square.area'),
            ('side', 'name', 18, 20, '', 'Square.area'),
            ('helper', 'name', 18, 31, '', 'Square.area'),
            ('scale', 'call', 18, 38, 'helper', 'Square.area'),
            ('List', 'name', 18, 44, '', 'Square.area'),
            ('of', 'call', 18, 49, 'List', 'Square.area'),
            ('Square', 'type', 21, 36, '', 'Square.Visitor.visit'),
        ],
    ),
    "rust": (
        [
            ('', 'shapes.rs', 'module', 1, 1, 30, 13, None),
            ('Square', 'Square', 'struct', 5, 1, 7, 1, ''),
            ('Shape', 'Shape', 'trait', 9, 1, 11, 1, ''),
            ('Shape.area', 'Shape::area', 'method', 10, 5, 10, 26, 'Shape'),
            ('Square.area', 'Square::area', 'method', 14, 5, 16, 5, 'Square'),
            ('Kind', 'Kind', 'enum', 19, 1, 19, 22, ''),
            ('Kind.A', 'Kind::A', 'constant', 19, 17, 19, 17, 'Kind'),
            ('Kind.B', 'Kind::B', 'constant', 19, 20, 19, 20, 'Kind'),
            ('UNIT', 'UNIT', 'constant', 21, 1, 21, 24, ''),
            ('inner', 'inner', 'namespace', 23, 1, 25, 1, ''),
            ('inner.f', 'inner::f', 'function', 24, 5, 24, 36, 'inner'),
            ('sq', 'sq', 'macro', 27, 1, 27, 45, ''),
            ('g', 'g', 'function', 29, 1, 29, 67, ''),
        ],
        [
            ('std::collections', ['HashMap'], None, 1, 0),
            ('crate::geo', ['Point'], None, 2, 0),
            ('crate::geo', ['Line'], 'L', 2, 0),
            ('geometry', [], None, 30, 0),
        ],
        [
            ('Shape', 'base', 13, 6, '', ''),
            ('side', 'attribute', 15, 14, 'self', 'Square.area'),
            ('powi', 'call', 15, 19, 'self.side', 'Square.area'),
            ('helpers', 'name', 15, 29, '', 'Square.area'),
            ('scale', 'call', 15, 38, 'helpers', 'Square.area'),
            ('g', 'call', 24, 32, 'super', 'inner.f'),
            ('HashMap', 'type', 29, 24, '', 'g'),
            ('HashMap', 'name', 29, 44, '', 'g'),
            ('new', 'call', 29, 53, 'HashMap', 'g'),
            ('sq', 'call', 29, 60, '', 'g'),
        ],
    ),
    "c": (
        [
            ('', 'shapes.c', 'module', 1, 1, 23, 1, None),
            ('UNIT', 'UNIT', 'constant', 4, 1, 4, 17, ''),
            ('square', 'square', 'struct', 7, 1, 9, 1, ''),
            ('square.side', 'square.side', 'attribute', 8, 5, 8, 16, 'square'),
            ('square_t', 'square_t', 'type', 11, 1, 11, 31, ''),
            ('kind', 'kind', 'enum', 13, 1, 13, 18, ''),
            ('kind.A', 'kind.A', 'constant', 13, 13, 13, 13, 'kind'),
            ('kind.B', 'kind.B', 'constant', 13, 16, 13, 16, 'kind'),
            ('area', 'area', 'function', 15, 1, 17, 1, ''),
            ('main', 'main', 'function', 19, 1, 23, 1, ''),
        ],
        [
            ('stdio.h', [], None, 1, 0),
            ('shapes.h', [], None, 2, 1),
        ],
        [
            ('square', 'type', 11, 16, '', 'square_t'),
            ('square', 'type', 15, 33, '', 'area'),
            ('pow', 'call', 16, 12, '', 'area'),
            ('s', 'name', 16, 16, '', 'area'),
            ('side', 'attribute', 16, 19, 's', 'area'),
            ('helper', 'call', 16, 30, '', 'area'),
            ('s', 'name', 16, 37, '', 'area'),
            ('square_t', 'type', 20, 5, '', 'main'),
            ('printf', 'call', 21, 5, '', 'main'),
            ('area', 'call', 21, 23, '', 'main'),
            ('sq', 'name', 21, 29, '', 'main'),
            ('UNIT', 'name', 21, 34, '', 'main'),
        ],
    ),
    "cpp": (
        [
            ('', 'shapes.cpp', 'module', 1, 1, 30, 1, None),
            ('geo', 'geo', 'namespace', 4, 1, 24, 1, ''),
            ('geo.Square', 'geo::Square', 'class', 7, 1, 13, 1, 'geo'),
            ('geo.Square.Square', 'geo::Square::Square', 'method', 9, 3, 9, 47, 'geo.Square'),
            ('geo.Square.side_', 'geo::Square::side_', 'attribute', 12, 3, 12, 15, 'geo.Square'),
            ('geo.Square.area', 'geo::Square::area', 'method', 15, 1, 17, 1, 'geo.Square'),
            ('geo.twice', 'geo::twice', 'function', 20, 1, 20, 30, 'geo'),
            ('geo.Point', 'geo::Point', 'struct', 22, 1, 22, 23, 'geo'),
            ('geo.Point.x', 'geo::Point::x', 'attribute', 22, 16, 22, 21, 'geo.Point'),
            ('main', 'main', 'function', 26, 1, 30, 1, ''),
        ],
        [
            ('vector', [], None, 1, 0),
            ('shape.hpp', [], None, 2, 1),
        ],
        [
            ('Shape', 'base', 7, 23, '', 'geo.Square'),
            ('side_', 'attribute', 9, 34, '', 'geo.Square.Square'),
            ('side', 'name', 9, 40, '', 'geo.Square.Square'),
            ('std', 'name', 16, 10, '', 'geo.Square.area'),
            ('pow', 'call', 16, 15, 'std', 'geo.Square.area'),
            ('side_', 'name', 16, 19, '', 'geo.Square.area'),
            ('util', 'name', 16, 31, '', 'geo.Square.area'),
            ('scale', 'call', 16, 37, 'util', 'geo.Square.area'),
            ('side_', 'attribute', 16, 49, 'this', 'geo.Square.area'),
            ('T', 'type', 20, 1, '', 'geo.twice'),
            ('T', 'type', 20, 9, '', 'geo.twice'),
            ('x', 'name', 20, 23, '', 'geo.twice'),
            ('geo', 'name', 27, 3, '', 'main'),
            ('Square', 'type', 27, 8, 'geo', 'main'),
            ('std', 'name', 28, 3, '', 'main'),
            ('vector', 'type', 28, 8, 'std', 'main'),
            ('s', 'name', 29, 10, '', 'main'),
            ('area', 'call', 29, 12, 's', 'main'),
        ],
    ),
}


def _local(sid: str | None) -> str | None:
    return None if sid is None else sid.split("::", 1)[1]


def _placed(symbols: list[Symbol]) -> list[tuple]:
    """Each symbol as the tables below write it: (id, qualname, kind, start line, column, end line, column, parent),
    ids local to their file."""
    return [(_local(s.id), s.qualname, s.kind, s.start_line, s.start_col, s.end_line, s.end_col, _local(s.parent))
            for s in symbols]


def _cpp(symbols: list[tuple]) -> list[tuple]:
    """The same rows with C++'s qualified names (`point::x` for C's `point.x`)."""
    return [(sid, qualname.replace(".", "::"), *rest) for sid, qualname, *rest in symbols]


@pytest.fixture(scope="module", params=sorted(FILES))
def case(request):
    lang = request.param
    path = FILES[lang]
    return lang, extract(path, (FIXTURES / path).read_bytes()), EXPECTED[lang]


def test_language_and_no_errors(case):
    lang, facts, _ = case
    assert (facts.language, facts.errors) == (lang, [])


def test_symbols(case):
    _, facts, (symbols, _, _) = case
    got = _placed(facts.symbols)
    assert got == symbols


def test_imports(case):
    _, facts, (_, imports, _) = case
    assert [(i.module, i.names, i.alias, i.line, i.level) for i in facts.imports] == imports


def test_references(case):
    _, facts, (_, _, references) = case
    got = [(r.name, r.kind, r.line, r.col, r.qualifier, _local(r.scope)) for r in facts.references]
    assert got == references


def test_chunks_cover_every_symbol_line(case):
    """Each line of the file is in at most one chunk, and every function's lines are in one."""
    _, facts, _ = case
    seen: set[int] = set()
    for chunk in facts.chunks:
        if chunk.kind == "module":
            continue
        lines = set(range(chunk.start_line, chunk.end_line + 1))
        assert not lines & seen
        seen |= lines
    for sym in facts.symbols:
        if sym.kind in ("function", "method"):
            assert set(range(sym.start_line, sym.end_line + 1)) <= seen, sym.id


@pytest.mark.parametrize("lang, sid, signature, doc", [
    ("javascript", "add", "function add(a, b)", "Adds numbers."),
    ("typescript", "Shape", "interface Shape extends Thing", "A shape."),
    ("typescript", "Square.area", "area(scale: number): number", ""),
    ("tsx", "App", "function App({ title }: Props)", "The application shell."),
    ("go", "Square.Area", "func (s *Square) Area() float64", "Area returns the area."),
    ("go", "", "", "Package shapes computes areas."),
    ("java", "Square.area", "@Override public double area()", "The area."),
    ("rust", "Square", "pub struct Square", "A square."),
    ("c", "area", "static double area(const struct square *s)", ""),
    ("c", "square", "struct square", "A square."),
    ("cpp", "geo.Square.area", "double Square::area() const", ""),
    ("cpp", "geo.Square", "class Square : public Shape", "A square."),
])
def test_signature_and_doc(lang, sid, signature, doc):
    path = FILES[lang]
    facts = extract(path, (FIXTURES / path).read_bytes())
    sym = next(s for s in facts.symbols if s.id == f"{path}::{sid}")
    assert (sym.signature, sym.doc) == (signature, doc)


@pytest.mark.parametrize("path, source, expected", [
    ("a.h", b"int area(int side);\nstruct s;\n", [("area", "function", "int area(int side);")]),
    ("a.c", b"int f(void);\nint f(void) { return 1; }\n", [("f", "function", "int f(void)")]),
    ("a.cpp", b"class A { void m(); };\nvoid A::m() {}\n", [("A", "class", "class A"), ("A.m", "method", "void A::m()")]),
    ("a.rs", b"impl<T> Wrap<T> { fn new() -> Self { todo!() } }\n", [("Wrap.new", "method", "fn new() -> Self")]),
    ("a.go", b"package p\nfunc (l *List[T]) Len() int { return 0 }\n", [("List.Len", "method", "func (l *List[T]) Len() int")]),
    ("a.js", b"export const f = async () => 1;\nexport default class {}\n",
     [("f", "function", "f = async ()"), ("default", "class", "class")]),
    ("a.go", b"package p\ntype T struct{}\ntype (\n\tA int\n\tB = string\n)\nconst C = 1\nvar v = 2\n",
     [("T", "struct", "type T struct"), ("A", "type", "type A int"), ("B", "type", "type B = string"),
      ("C", "constant", "const C = 1"), ("v", "variable", "var v = 2")]),  # the group's keyword, as Go reads
    ("a.js", b"res.send = function send(body) {}\n", [("res.send", "method", "res.send = function send(body)")]),
    ("a.js", b"Router.prototype.handle = (req) => req;\n", [("Router.handle", "method", "Router.prototype.handle = (req)")]),
    ("a.js", b"function f() { x.y = function () {}; }\n", [("f", "function", "function f()")]),  # top level only
    ("a.ts", b"app.use = function (fn: Fn): App { return this; };\n", [("app.use", "method", "app.use = function (fn: Fn): App")]),
])
def test_declaration_forms(path, source, expected):
    facts = extract(path, source)
    assert [(_local(s.id), s.kind, s.signature) for s in facts.symbols[1:]] == expected


@pytest.mark.parametrize("path, source, signature", [
    ("a.js", b"export const app = make(  // the app\n  a, b\n);\n", "app = make(a, b)"),
    ("a.js", b'const url = "http://x";\n', 'url = "http://x"'),  # a marker inside a string stays
    ("a.ts", b"function f(a: number, /* first */\n b: number): number { return a }\n", "function f(a: number, b: number): number"),
    ("a.go", b"package m\nfunc F(a int, // first\n b int) int { return a }\n", "func F(a int, b int) int"),
    ("a.rs", b"fn f(a: i32, // first\n b: i32) -> i32 { a }\n", "fn f(a: i32, b: i32) -> i32"),
    ("a.c", b"int f(int a, // first\n int b) { return a; }\n", "int f(int a, int b)"),
    ("A.java", b"class A { int f(int a, // first\n int b) { return a; } }\n", "int f(int a, int b)"),
])
def test_signatures_leave_comments_out(path, source, signature):
    assert extract(path, source).symbols[-1].signature == signature


LONG_DERIVE = b"#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]\nstruct S;\n"


@pytest.mark.parametrize("path, source, sid, signature", [
    ("a.rs", b"#[derive(Debug)]\nstruct S { x: i32 }\n", "S", "#[derive(Debug)] struct S"),
    ("a.rs", b"#[test]\n// slow\n#[ignore]\nfn t() {}\n", "t", "#[test] #[ignore] fn t()"),
    ("a.rs", b"#[derive(Debug)]\n/// A point.\npub struct P;\n", "P", "#[derive(Debug)] pub struct P"),
    ("a.rs", b"impl S {\n    #[inline]\n    pub fn f(&self) {}\n}\n", "S.f", "#[inline] pub fn f(&self)"),
    ("a.rs", LONG_DERIVE, "S", "#[derive(...)] struct S"),  # over 60 characters: its name
    ("a.rs", b"#[cfg(test)]\n\nfn f() {}\n", "f", "fn f()"),  # a blank line between: not its own
    ("a.rs", b"#![allow(dead_code)]\nfn f() {}\n", "f", "fn f()"),  # the crate's attribute
    ("a.ts", b"@Component({\n  selector: 'app', // tag\n})\nexport class X {}\n", "X",
     "@Component({ selector: 'app', }) class X"),
    ("a.ts", b"@Injectable() class Y {}\n", "Y", "@Injectable() class Y"),
    ("a.ts", b"class C {\n  @HostListener('click')\n  onClick(e) {}\n}\n", "C.onClick",
     "@HostListener('click') onClick(e)"),
    ("a.ts", b"class C {\n  @Input() name: string;\n}\n", "C.name", "@Input() name: string"),
    ("a.js", b"class C {\n  @bound\n  go() {}\n}\n", "C.go", "@bound go()"),
    ("A.java", b"class A {\n  @Override\n  public String toString() { return \"\"; }\n}\n", "A.toString",
     "@Override public String toString()"),
    # a Java annotation over 60 characters is cut as a decorator is, where it is among the modifiers
    ("A.java", (b'class A {\n  @RequestMapping(value = "/api/v1/things/{id}", method = RequestMethod.GET)\n'
                b'  public String get(@PathVariable("id") String id) { return id; }\n}\n'), "A.get",
     '@RequestMapping(...) public String get(@PathVariable("id") String id)'),
    ("A.java", b'@SuppressWarnings({"unchecked", "rawtypes", "deprecation", "serial", "cast"})\nclass A {}\n', "A",
     "@SuppressWarnings(...) class A"),
])
def test_signatures_show_decorators_and_attributes(path, source, sid, signature):
    """`#[derive(Debug)] struct S` showed as `struct S`, `@Component(...) class X` as `class X`: a test, a
    component, a derived trait out of sight."""
    sym = next(s for s in extract(path, source).symbols if s.id == f"{path}::{sid}")
    assert sym.signature == signature


@pytest.mark.parametrize("path, source, sid, span, chunk_start", [
    ("a.py", b"@dec\ndef f():\n    pass\n", "f", (2, 1, 3, 8), 1),  # what the others follow
    ("a.rs", b"#[inline]\nfn f() {}\n", "f", (2, 1, 2, 9), 1),
    ("a.ts", b"@Dec\nclass P {}\n", "P", (2, 1, 2, 10), 1),
    ("a.ts", b"@Component({\n  selector: 'x',\n})\nexport class W {}\n", "W", (4, 8, 4, 17), 1),
    ("a.ts", b"@Dec\nexport abstract class A {}\n", "A", (2, 8, 2, 26), 1),
    ("a.ts", b"class C {\n  @Input()\n  name: string;\n}\n", "C.name", (3, 3, 3, 14), None),
    ("a.ts", b"class C {\n  @Input() @Other()\n  readonly name = () => 1;\n}\n", "C.name", (3, 3, 3, 25), None),
    ("a.ts", b"class C {\n  @HostListener('click')\n  onClick() {}\n}\n", "C.onClick", (3, 3, 3, 14), None),
    ("a.js", b"@dec\nclass P {}\n", "P", (2, 1, 2, 10), 1),
    ("a.js", b"class C {\n  @bound\n  go() {}\n}\n", "C.go", (3, 3, 3, 9), None),
    ("a.js", b"class C {\n  @f\n  y = () => 1;\n}\n", "C.y", (3, 3, 3, 13), None),
    ("A.java", b'@Entity\n@Table(name = "x")\npublic class D {}\n', "D", (3, 1, 3, 17), 1),
    ("A.java", b'class A {\n  @Override\n  public String toString() { return ""; }\n}\n', "A.toString", (3, 3, 3, 41),
     None),
    ("A.java", b"class A {\n  @Id\n  private long id;\n}\n", "A.id", (3, 3, 3, 18), None),
    ("A.java", b"class A {\n  @Deprecated\n  void old() {}\n}\n", "A.old", (3, 3, 3, 15), None),  # at its type
    ("A.java", b"enum E {\n  @Deprecated\n  A\n}\n", "E.A", (3, 3, 3, 3), None),
    ("A.java", b"/** Doc. */\n@Entity // why\nclass D {}\n", "D", (3, 1, 3, 10), 1),
    ("A.java", b"@Retention(RUNTIME)\npublic @interface Tag {\n  @Deprecated\n  String v();\n}\n", "Tag.v",
     (4, 3, 4, 13), None),
    ("A.java", b'class A {\n  public @Override String s() { return ""; }\n}\n', "A.s", (2, 3, 2, 44), None),
])
def test_a_decorated_definition_starts_at_its_keyword(path, source, sid, span, chunk_start):
    """A TypeScript or JavaScript definition holding its decorators and a Java one its annotations started on the
    first decorator's line (`@Dec\\nclass P` at `@Dec`), where a Python function starts at `def` and a Rust one at
    `fn`: each starts at its keyword or name now, and its chunk (None: its class's) still holds them."""
    facts = extract(path, source)
    sym = next(s for s in facts.symbols if s.id == f"{path}::{sid}")
    chunk = next((c.start_line for c in facts.chunks if c.symbol == sym.id), None)
    assert ((sym.start_line, sym.start_col, sym.end_line, sym.end_col), chunk) == (span, chunk_start)


@pytest.mark.parametrize("source, language", [
    (b"int f(void);\n", "c"),
    (b"namespace geo { int f(); }\n", "cpp"),
    (b"class A {\n public:\n  int x;\n};\n", "cpp"),
    (b"template <typename T> T id(T x);\n", "cpp"),
    (b"struct Shape {\n  virtual double area() const = 0;\n};\n", "cpp"),
    (b"enum class Kind { A, B };\n", "cpp"),
    (b"struct S { S() = default; };\n", "cpp"),
    (b"struct S { int (*virtual_fn)(void); };\n", "c"),
])
def test_header_is_c_unless_it_reads_as_cpp(source, language):
    assert extract("include/a.h", source).language == language


@pytest.mark.parametrize("path, source, sid, doc, chunk_start", [
    ("a.rs", b"/// Doc line.\n/// More.\n#[derive(Debug)]\nstruct S;\n", "S", "Doc line.", 1),
    ("a.rs", b"#[test]\n/// After the attribute.\nfn t() {}\n", "t", "After the attribute.", 1),
    ("a.c", b"int x; /* trailing */\nint f(void) { return 1; }\n", "f", "", 2),
    ("a.c", b"/* Not attached. */\n\nint f(void) { return 1; }\n", "f", "", 3),
    ("a.go", b"package p\n\n// F does it.\n// Really.\nfunc F() {}\n", "F", "F does it.", 3),
    ("a.ts", b"/** Exported. */\nexport default class C {}\n", "C", "Exported.", 1),
    ("a.cpp", b"/// Twice.\ntemplate <typename T>\nT twice(T x) { return x; }\n", "twice", "Twice.", 1),
    ("a.js", b"function f() {\n  return 1; // end\n}\n// g's doc\nfunction g() {}\n", "g", "g's doc", 4),
])
def test_doc_comments_and_chunk_starts(path, source, sid, doc, chunk_start):
    facts = extract(path, source)
    sym = next(s for s in facts.symbols if s.id == f"{path}::{sid}")
    chunk = next(c for c in facts.chunks if c.symbol == sym.id)
    assert (sym.doc, chunk.start_line) == (doc, chunk_start)


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
def test_a_function_expressions_name_declares_it(path):
    facts = extract(path, b"const g = function h(n) { return h(n - 1); };\n")
    assert [(r.name, r.kind, r.col) for r in facts.references] == [("h", "call", 34), ("n", "name", 36)]


FUNCTION_VALUES = (b"class Button {\n  handleClick = () => { this.render(); };\n  size = 1;\n  render() {}\n}\n"
                   b"module.exports = {\n  parse(text) { return text; },\n  format: function (x) { return x; },\n"
                   b"  pretty: (x) => x,\n  level: 3,\n};\nconst options = { onClick: () => 1, onHover() {} };\n"
                   b"$.ajax({ success: function () {} });\n")


@pytest.mark.parametrize("path, symbols", [
    ("a.js", [("Button", "class"), ("Button.handleClick", "method"), ("Button.render", "method"),
              ("parse", "function"), ("format", "function"), ("pretty", "function"), ("options", "variable"),
              ("options.onClick", "function"), ("options.onHover", "function")]),
    ("a.ts", [("Button", "class"), ("Button.handleClick", "method"), ("Button.size", "attribute"),
              ("Button.render", "method"), ("parse", "function"), ("format", "function"), ("pretty", "function"),
              ("options", "variable"), ("options.onClick", "function"), ("options.onHover", "function")]),
])
def test_functions_held_by_class_fields_and_module_exports(path, symbols):
    """A class field holding a function is a method; the functions of the object assigned to module.exports are
    the module's; those of an object a variable holds are the variable's, written either way; a function in an
    object passed as an argument is not a symbol."""
    found = [(s.qualname, s.kind) for s in extract(path, FUNCTION_VALUES).symbols if s.kind != "module"]
    assert found == symbols


PRIVATE_FIELDS = b"class A {\n  #h = () => {};\n  #g = function () {};\n  static #s = () => 1;\n  h = () => {};\n  #m() {}\n}\n"


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
@pytest.mark.parametrize("sid, kind, span", [
    ("A.#h", "method", (2, 3, 2, 15)),
    ("A.#g", "method", (3, 3, 3, 21)),
    ("A.#s", "method", (4, 3, 4, 21)),
    ("A.h", "method", (5, 3, 5, 14)),
    ("A.#m", "method", (6, 3, 6, 9)),
])
def test_a_private_class_field_holding_a_function_is_a_method(path, sid, kind, span):
    """`#h = () => {}` was no symbol in JavaScript, where `h = () => {}` and `#m() {}` are methods (and TypeScript
    took all three): named as written, as the private method is."""
    sym = next((s for s in extract(path, PRIVATE_FIELDS).symbols if s.id == f"{path}::{sid}"), None)
    assert sym is not None and (sym.kind, (sym.start_line, sym.start_col, sym.end_line, sym.end_col)) == (kind, span)


OBJECT_IN_BLOCK = b"'use strict';\n{\n  const SelectBox = {\n    filter: function (id) {},\n    init(id) {},\n  };\n}\n"
OBJECT_IN_IIFE = b"(function () {\n  var Shortcuts = { go: function () {}, stop() {} };\n})();\n"
OBJECT_IN_FUNCTION = b"function f() {\n  const local = { inner() {} };\n}\n"
PROTOTYPE_OBJECT = b"function Router() {}\nRouter.prototype = {\n  handle: function (req) {},\n  use(fn) {},\n  size: 1,\n};\n"
DEFAULT_OBJECT = b"export default {\n  name: 'x',\n  render() {},\n  mounted: function () {},\n};\n"


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
@pytest.mark.parametrize("source, symbols", [
    (OBJECT_IN_BLOCK, [("SelectBox", "variable", 3, ""), ("SelectBox.filter", "function", 4, "SelectBox"),
                       ("SelectBox.init", "function", 5, "SelectBox")]),
    (OBJECT_IN_IIFE, [("Shortcuts", "variable", 2, ""), ("Shortcuts.go", "function", 2, "Shortcuts"),
                      ("Shortcuts.stop", "function", 2, "Shortcuts")]),
    (OBJECT_IN_FUNCTION, [("f", "function", 1, ""), ("f.local", "variable", 2, "f"),
                          ("f.local.inner", "function", 2, "f.local")]),
    (PROTOTYPE_OBJECT, [("Router", "function", 1, ""), ("Router.handle", "method", 3, "Router"),
                        ("Router.use", "method", 4, "Router")]),
    (DEFAULT_OBJECT, [("default", "variable", 1, ""), ("default.render", "function", 3, "default"),
                      ("default.mounted", "function", 4, "default")]),
], ids=["a block's variable", "an IIFE's variable", "a function's variable", "X.prototype = {...}",
        "export default {...}"])
def test_the_functions_of_an_object_literal_are_named_by_what_holds_it(path, source, symbols):
    """An object a variable holds anywhere (a block at the top of the module, as django's SelectBox.js has it, an
    IIFE, a function), the object assigned to a prototype and a module's default object name their functions, as
    `const api = {...}` at the top level and `X.prototype.m = function` did: they were bare (`filter`), or the
    enclosing function's (`f.inner`), and a prototype's `m: function () {}` no symbol."""
    found = [(_local(s.id), s.kind, s.start_line, _local(s.parent)) for s in extract(path, source).symbols[1:]]
    assert found == symbols


NESTED_OBJECT = (b"const Api = {\n  sub: {\n    f() {},\n    g: function () {},\n  },\n  h() {},\n"
                 b"  data: { size: 1, more: { x: 2 } },\n};\n")
DEEP_OBJECT = b"const Api = { a: { b: { f() {} } } };\n"
NESTED_IN_FUNCTION = b"function k() {\n  const local = { sub: { f() {} } };\n  const data = { sub: { x: 1 } };\n}\n"
NESTED_IN_EXPORTS = b"module.exports = {\n  sub: {\n    f() {},\n    g: function () {},\n  },\n  h() {},\n};\n"
NESTED_IN_DEFAULT = b"export default {\n  methods: {\n    save() {},\n    load: function () {},\n  },\n};\n"
NESTED_IN_PROTOTYPE = (b"function Router() {}\nRouter.prototype = {\n  sub: {\n    f() {},\n    g: function () {},\n"
                       b"  },\n};\n")
NESTED_IN_ARGUMENT = b"$.ajax({ opts: { success: function () {} }, a: { b: { error: function () {} } } });\n"


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
@pytest.mark.parametrize("source, symbols", [
    (NESTED_OBJECT, [("Api", "variable", 1, ""), ("Api.sub", "variable", 2, "Api"),
                     ("Api.sub.f", "function", 3, "Api.sub"), ("Api.sub.g", "function", 4, "Api.sub"),
                     ("Api.h", "function", 6, "Api")]),
    (DEEP_OBJECT, [("Api", "variable", 1, ""), ("Api.a", "variable", 1, "Api"), ("Api.a.b", "variable", 1, "Api.a"),
                   ("Api.a.b.f", "function", 1, "Api.a.b")]),
    (NESTED_IN_FUNCTION, [("k", "function", 1, ""), ("k.local", "variable", 2, "k"),
                          ("k.local.sub", "variable", 2, "k.local"), ("k.local.sub.f", "function", 2, "k.local.sub")]),
    (NESTED_IN_EXPORTS, [("sub", "variable", 2, ""), ("sub.f", "function", 3, "sub"), ("sub.g", "function", 4, "sub"),
                         ("h", "function", 6, "")]),
    (NESTED_IN_DEFAULT, [("default", "variable", 1, ""), ("default.methods", "variable", 2, "default"),
                         ("default.methods.save", "function", 3, "default.methods"),
                         ("default.methods.load", "function", 4, "default.methods")]),
    (NESTED_IN_PROTOTYPE, [("Router", "function", 1, ""), ("Router.sub", "variable", 3, "Router"),
                           ("Router.sub.f", "function", 4, "Router.sub"),
                           ("Router.sub.g", "function", 5, "Router.sub")]),
    (NESTED_IN_ARGUMENT, []),
], ids=["a variable's object", "objects three deep", "a function's variable", "module.exports = {...}",
        "export default {...}", "X.prototype = {...}", "an argument's object"])
def test_the_functions_of_a_nested_object_are_named_by_its_key(path, source, symbols):
    """An object a key holds, in an object that names its functions, names its own by the key, and the key is a
    symbol then, as the variable holding the outer object is (`Api.sub.f`, Vue's `default.methods.save`): they were
    named by the outer holder (`Api.f`), bare, or not symbols (`g: function` in the inner object). A key holding
    no function (`data: {size: 1}`) is no symbol, as `size` is none, and an object passed as an argument names
    no key, however deep (a method written `f() {}` there is what it was)."""
    found = [(_local(s.id), s.kind, s.start_line, _local(s.parent)) for s in extract(path, source).symbols[1:]]
    assert found == symbols


@pytest.mark.parametrize("path, source, exported", [
    ("a.js", b"function f() {}\nexport default f;\n", [("f", 2)]),
    ("a.js", b"export default function f() {}\n", [("f", 1)]),
    ("a.js", b"export default async function f() {}\nexport default function* g() {}\n", [("f", 1), ("g", 2)]),
    ("a.ts", b"export default class K {}\n", [("K", 1)]),
    ("a.js", b"const f = 1;\nexport { f as default };\n", [("f", 2)]),
    ("a.ts", b"const f = 1;\nexport { f as default };\n", [("f", 2)]),
    ("a.js", b"const f = 1;\nexport { f as g };\nexport { f as default } from './b';\n", []),
    ("a.js", b"function app() {}\nexports = module.exports = app;\n", [("app", 2)]),
    ("a.js", b"module.exports.app = app;\nexport default () => 1;\n", []),
    ("a.js", b"module.exports = function run() {};\n", [("run", 1)]),
    ("a.ts", b"exports = module.exports = class Runner {};\n", [("Runner", 1)]),
    ("a.js", b"module.exports = function () {};\n", []),
    ("a.js", b"module.exports = function* gen() {};\n", [("gen", 1)]),
])
def test_what_a_module_exports_by_default(path, source, exported):
    """References of kind `export` say what a module's default export names, even a definition's own name."""
    refs = extract(path, source).references
    assert [(r.name, r.line) for r in refs if r.kind == "export"] == exported


@pytest.mark.parametrize("path, source, symbols", [
    ("a.js", b"module.exports = function run(x) {\n  return x;\n};\n",
     [("run", "run", "function", 1, 1, 3, 1, "")]),
    ("a.ts", b"module.exports = function run(x: number) {\n  return x;\n};\n",
     [("run", "run", "function", 1, 1, 3, 1, "")]),
    ("a.js", b"exports = module.exports = function run() {};\n", [("run", "run", "function", 1, 28, 1, 44, "")]),
    ("a.js", b"module.exports = class Runner {\n  go() {}\n};\n",
     [("Runner", "Runner", "class", 1, 1, 3, 1, ""), ("Runner.go", "Runner.go", "method", 2, 3, 2, 9, "Runner")]),
    ("a.js", b"module.exports.run = function () {};\n", [("run", "run", "function", 1, 1, 1, 35, "")]),
    ("a.js", b"exports.run = () => {};\n", [("run", "run", "function", 1, 1, 1, 22, "")]),
    ("a.js", b"res.send = function send() {};\n", [("res.send", "res.send", "method", 1, 1, 1, 29, "")]),
    # a generator function, wherever a function is taken
    ("a.js", b"module.exports = function* gen() {};\n", [("gen", "gen", "function", 1, 1, 1, 35, "")]),
    ("a.ts", b"exports = module.exports = function* gen() {};\n", [("gen", "gen", "function", 1, 28, 1, 45, "")]),
    ("a.js", b"exports.gen = function* () {};\n", [("gen", "gen", "function", 1, 1, 1, 29, "")]),
    ("a.ts", b"module.exports.gen = function* () {};\n", [("gen", "gen", "function", 1, 1, 1, 36, "")]),
    ("a.js", b"module.exports = {\n  gen: function* () {},\n};\n", [("gen", "gen", "function", 2, 3, 2, 22, "")]),
    ("a.js", b"Tree.prototype.walk = function* () {};\n", [("Tree.walk", "Tree.walk", "method", 1, 1, 1, 37, "")]),
    ("a.js", b"const ids = function* () {};\n", [("ids", "ids", "function", 1, 7, 1, 27, "")]),
    ("a.js", b"const api = { ids: function* () {} };\n",
     [("api", "api", "variable", 1, 7, 1, 36, ""), ("api.ids", "api.ids", "function", 1, 15, 1, 34, "api")]),
    ("a.js", b"class T {\n  walk = function* () {};\n}\n",
     [("T", "T", "class", 1, 1, 3, 1, ""), ("T.walk", "T.walk", "method", 2, 3, 2, 24, "T")]),
])
def test_a_function_a_commonjs_module_assigns_is_named_by_itself(path, source, symbols):
    """`module.exports = function run()` defined the method `module.exports` (its name `exports`); it is the
    module's function `run`, as `export default function run` is, and `module.exports.run`/`exports.run` are."""
    got = _placed(extract(path, source).symbols[1:])
    assert got == symbols


@pytest.mark.parametrize("path, source, symbols", [
    ("a.js", b"export default class {\n  go() {}\n}\n",
     [("default", "default", "class", 1, 16, 3, 1, ""), ("default.go", "default.go", "method", 2, 3, 2, 9, "default")]),
    ("a.ts", b"export default class extends Base {\n  go(): void {}\n}\n",
     [("default", "default", "class", 1, 16, 3, 1, ""), ("default.go", "default.go", "method", 2, 3, 2, 15, "default")]),
    ("a.js", b"module.exports = class {\n  go() {}\n};\n",
     [("default", "default", "class", 1, 1, 3, 1, ""), ("default.go", "default.go", "method", 2, 3, 2, 9, "default")]),
    ("a.ts", b"exports = module.exports = class {\n  go() {}\n};\n",
     [("default", "default", "class", 1, 28, 3, 1, ""), ("default.go", "default.go", "method", 2, 3, 2, 9, "default")]),
    ("a.js", b"export default function () {}\n", [("default", "default", "function", 1, 16, 1, 29, "")]),
    ("a.js", b"export default function* () {}\n", [("default", "default", "function", 1, 16, 1, 30, "")]),
    ("a.tsx", b"export default async () => <div />;\n", [("default", "default", "function", 1, 16, 1, 34, "")]),
    ("a.js", b"module.exports = function () {};\n", [("default", "default", "function", 1, 1, 1, 31, "")]),
    ("a.js", b"module.exports = () => 1;\n", [("default", "default", "function", 1, 1, 1, 24, "")]),
])
def test_an_anonymous_default_is_named_default(path, source, symbols):
    """An anonymous class or function that is a module's default (`export default class {}`, `module.exports =
    function () {}`) is `default`, as JavaScript names it: an anonymous class's methods were the module's
    functions (`go`), and the function no symbol, which an import of the default could not find."""
    got = _placed(extract(path, source).symbols[1:])
    assert got == symbols


COMPUTED_CLASS = (b"class Z {\n  static [Symbol.iterator]() {}\n  ['save']() {}\n  get [KEY]() { return 1; }\n"
                  b"  set [KEY](v) {}\n  [handler] = () => 1;\n}\n")
COMPUTED_OBJECT = (b"const o = {\n  [Symbol.iterator]() {},\n  ['load']: function () {},\n  'quoted': () => 1,\n"
                   b"  ['sub']: { [KEY]() {} },\n};\n")
COMPUTED_EXPORTS = b"module.exports = { ['parse']: function () {}, [Symbol.iterator]: () => 1 };\n"
COMPUTED_PROTOTYPE = b"function R() {}\nR.prototype = { ['a' + 'b']: function () {}, 'go': function () {} };\n"


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
@pytest.mark.parametrize("source, symbols", [
    (COMPUTED_CLASS, [("Z", "Z", "Z", 1, ""), ("Z.[Symbol.iterator]", "[Symbol.iterator]", "Z.[Symbol.iterator]", 2, "Z"),
                      ("Z.save", "save", "Z.save", 3, "Z"), ("Z.[KEY]", "[KEY]", "Z.[KEY]", 4, "Z"),
                      ("Z.[handler]", "[handler]", "Z.[handler]", 6, "Z")]),
    (COMPUTED_OBJECT, [("o", "o", "o", 1, ""), ("o.[Symbol.iterator]", "[Symbol.iterator]", "o.[Symbol.iterator]", 2, "o"),
                       ("o.load", "load", "o.load", 3, "o"), ("o.quoted", "quoted", "o.quoted", 4, "o"),
                       ("o.sub", "sub", "o.sub", 5, "o"), ("o.sub.[KEY]", "[KEY]", "o.sub.[KEY]", 5, "o.sub")]),
    (COMPUTED_EXPORTS, [("parse", "parse", "parse", 1, ""),
                        ("[Symbol.iterator]", "[Symbol.iterator]", "[Symbol.iterator]", 1, "")]),
    (COMPUTED_PROTOTYPE, [("R", "R", "R", 1, ""), ("R.['a' + 'b']", "['a' + 'b']", "R.['a' + 'b']", 2, "R"),
                          ("R.go", "go", "R.go", 2, "R")]),
], ids=["a class's methods and field", "an object's functions", "module.exports = {...}", "X.prototype = {...}"])
def test_a_computed_or_quoted_key_names_its_definition(path, source, symbols):
    """A computed key is the name as written, whole (`[Symbol.iterator]`), a string in it or a quoted key its text
    (`['save']() {}` is `save`), in a class, an object, module.exports or a prototype's object, a getter or a
    setter, and a field holding a function: `static [Symbol.iterator]()` was named `iterator]`, the module's,
    `['save']()` was `['save']`, and `['load']: function` and a computed field in JavaScript were no symbols."""
    got = [(_local(s.id), s.name, s.qualname, s.start_line, _local(s.parent)) for s in extract(path, source).symbols[1:]]
    assert got == symbols


@pytest.mark.parametrize("path", ["a.js", "a.ts"])
def test_the_names_in_a_computed_key_are_uses(path):
    """`[Symbol.iterator]() {}`, `[KEY]: function` use Symbol and KEY: the key, the definition's name, hid them."""
    facts = extract(path, b"const o = {\n  [Symbol.iterator]() {},\n  [KEY]: function () {},\n};\n")
    assert [(r.name, r.kind, r.line, r.col, r.qualifier) for r in facts.references] == [
        ("Symbol", "name", 2, 4, ""), ("iterator", "attribute", 2, 11, "Symbol"), ("KEY", "name", 3, 4, "")]


@pytest.mark.parametrize("source, imports", [
    (b"const a = require('./a');\n", [("./a", [], "a")]),
    (b"const {b, c: d} = require('./b');\n", [("./b", ["b"], None), ("./b", ["c"], "d")]),
    (b"const {c: d} = require('./b');\n", [("./b", ["c"], "d")]),
    (b"const e = require('./e').f;\n", [("./e", ["f"], "e")]),
    (b"const g = require('./g').g;\n", [("./g", ["g"], None)]),
    (b"require('./side');\n", [("./side", [], None)]),
    (b"module.exports = require('./lib');\n", [("./lib", ["*"], None), ("./lib", ["default"], None)]),  # re-exports
    (b"exports.x = require('./lib');\n", [("./lib", [], None)]),
])
def test_what_a_require_binds(source, imports):
    assert [(i.module, i.names, i.alias) for i in extract("a.js", source).imports] == imports


@pytest.mark.parametrize("path, source, imports", [
    ("a.js", b"const Page = lazy(() => import('./Page'));\n", [("./Page", [], None)]),
    ("a.js", b"const m = await import('./m');\n", [("./m", [], "m")]),
    ("a.ts", b"const { f } = await import('./m');\n", [("./m", ["f"], None)]),
    ("a.ts", b"import x = require('./m');\n", [("./m", [], "x")]),
])
def test_dynamic_imports_and_typescripts_import_require(path, source, imports):
    assert [(i.module, i.names, i.alias) for i in extract(path, source).imports] == imports


@pytest.mark.parametrize("path, source, expected", [
    # C and C++: declarations in include guards, `#ifdef`, `extern "C"` and namespaces are the file's
    ("a.h", b"#ifndef A_H\n#define A_H\nint parse(const char *s);\nextern int counter;\n#endif\n",
     [("A_H", "constant", 2, ""), ("parse", "function", 3, ""), ("counter", "variable", 4, "")]),
    ("a.cpp", (b'namespace ns { int counter = 0; void helper(int x); }\nextern "C" { int c_api(void); }\n'
              b'extern "C" int one(void);\n'),
     [("ns", "namespace", 1, ""), ("ns.counter", "variable", 1, "ns"), ("ns.helper", "function", 1, "ns"),
      ("c_api", "function", 2, ""), ("one", "function", 3, "")]),
    ("a.c", b"void f(void) {\n#ifdef X\n  int local = 1;\n  void g(void);\n#endif\n}\n", [("f", "function", 1, "")]),
    # C: pointers, arrays and function pointers; a typedef's struct is not nested in it; several names
    ("a.c", (b"typedef struct node *node_ptr;\ntypedef int (*callback_t)(int);\ntypedef int vec3[3];\n"
            b"static const char *names[] = {\"a\"};\nint *gp;\nint (*cb)(int);\nint width = 1, height = 2;\n"),
     [("node_ptr", "type", 1, ""), ("callback_t", "type", 2, ""), ("vec3", "type", 3, ""), ("names", "variable", 4, ""),
      ("gp", "variable", 5, ""), ("cb", "variable", 6, ""), ("width", "variable", 7, ""), ("height", "variable", 7, "")]),
    ("a.c", b"typedef struct node { int x; } node_t;\nenum color { RED, GREEN = 2 };\n",
     [("node_t", "type", 1, ""), ("node", "struct", 1, ""), ("node.x", "attribute", 1, "node"), ("color", "enum", 2, ""),
      ("color.RED", "constant", 2, "color"),
      ("color.GREEN", "constant", 2, "color")]),
    # C++: constructors, destructors, conversions, member templates, references, template classes
    ("a.cpp", (b"class W {\n public:\n  W();\n  ~W();\n  operator bool() const;\n  template <typename T> void put(T v);\n"
              b"  int& ref();\n};\nint& W::ref() { return n; }\nint&& moved();\n"),
     [("W", "class", 1, ""), ("W.W", "method", 3, "W"), ("W.~W", "method", 4, "W"), ("W.operator bool", "method", 5, "W"),
      ("W.put", "method", 6, "W"), ("W.ref", "method", 9, "W"), ("moved", "function", 10, "")]),
    # C++: a member declared in its class and defined out of it is one symbol, the definition, in a namespace too
    ("a.cpp", (b"namespace ns { struct A { void f(); int g(); }; }\nnamespace ns { void A::f() {} }\n"
              b"int ns::A::g() { return 1; }\n"),
     [("ns", "namespace", 1, ""), ("ns.A", "struct", 1, "ns"), ("ns.A.f", "method", 2, "ns.A"),
      ("ns.A.g", "method", 3, "ns.A")]),
    ("a.cpp", (b"template <typename T> struct Vec { void push(); };\ntemplate <typename T> void Vec<T>::push() {}\n"
              b"template <> struct Vec<bool> { void flip(); };\nstruct Point { int x, y; };\n"),
     [("Vec", "struct", 1, ""), ("Vec.push", "method", 2, "Vec"), ("Vec.flip", "method", 3, "Vec"),
      ("Point", "struct", 4, ""), ("Point.x", "attribute", 4, "Point"), ("Point.y", "attribute", 4, "Point")]),
    # Go: grouped and multi-name var and const specs
    ("a.go", b"package p\nvar (\n\ta = 1\n\tb, c = 2, 3\n)\nconst X, Y = 1, 2\n",
     [("a", "variable", 3, ""), ("b", "variable", 4, ""), ("c", "variable", 4, ""), ("X", "constant", 6, ""),
      ("Y", "constant", 6, "")]),
    # Java: several fields in one declaration, annotation elements, a record's compact constructor, enum constants
    ("P.java", (b"class P { static int ORIGIN = 0, UNIT = 1; }\n@interface Tag { String value(); }\n"
               b"record R(int x) { public R { } }\nenum Op { ADD { int apply() { return 1; } }, SUB; abstract int apply(); }\n"),
     [("P", "class", 1, ""), ("P.ORIGIN", "attribute", 1, "P"), ("P.UNIT", "attribute", 1, "P"), ("Tag", "interface", 2, ""),
      ("Tag.value", "method", 2, "Tag"), ("R", "class", 3, ""), ("R.R", "method", 3, "R"), ("Op", "enum", 4, ""),
      ("Op.ADD", "constant", 4, "Op"), ("Op.ADD.apply", "method", 4, "Op.ADD"), ("Op.SUB", "constant", 4, "Op"),
      ("Op.apply", "method", 4, "Op")]),
    # TypeScript: an overload's signatures give way to the implementation; ambient declarations; enum members
    ("a.ts", (b"function parse(x: string): number;\nfunction parse(x: any) { return 1; }\nclass S {\n"
             b"  load(id: string): void;\n  load(id: any): void {}\n}\ninterface I { m(): void }\n"),
     [("parse", "function", 2, ""), ("S", "class", 3, ""), ("S.load", "method", 5, "S"), ("I", "interface", 7, ""),
      ("I.m", "method", 7, "I")]),
    ("a.ts", b'declare module "lib.name" { export function f(): void; }\ndeclare const VERSION: string;\nenum E { A, B = 2 }\n',
     [("lib.name", "namespace", 1, ""), ("lib.name.f", "function", 1, "lib.name"), ("VERSION", "constant", 2, ""),
      ("E", "enum", 3, ""), ("E.A", "constant", 3, "E"), ("E.B", "constant", 3, "E")]),
    # JavaScript: CommonJS exports are the module's functions; a chain of assignments names each
    ("a.js", (b"res.contentType = res.type = function contentType(t) {};\nmodule.exports.format = function (o) {};\n"
             b"exports.parse = (s) => s;\nexport var VERSION = '1';\n"),
     [("res.contentType", "method", 1, ""), ("res.type", "method", 1, ""), ("format", "function", 2, ""),
      ("parse", "function", 3, ""), ("VERSION", "constant", 4, "")]),
    # Rust: impls of references, paths and trait objects; associated types; enum variants
    ("lib.rs", (b"impl Show for &W { fn show(&self) {} }\nimpl<T> Clone for std::boxed::Box<T> { fn clone(&self) -> Self { x } }\n"
               b"impl dyn Show { fn helper(&self) {} }\ntrait Show { type Out; }\nenum E { A, B(u8) }\n"),
     [("W.show", "method", 1, ""), ("Box.clone", "method", 2, ""), ("Show.helper", "method", 3, "Show"),
      ("Show", "trait", 4, ""), ("Show.Out", "type", 4, "Show"), ("E", "enum", 5, ""), ("E.A", "constant", 5, "E"),
      ("E.B", "constant", 5, "E")]),
    # Rust: impls of primitive types (their methods were top-level functions)
    ("prim.rs", b"impl Tr for u8 { fn req(&self) {} }\nimpl Tr for &str { fn req(&self) {} }\n",
     [("u8.req", "method", 1, ""), ("str.req", "method", 2, "")]),
    # Go and Rust: `_` is the blank name, a compile-time check (`var _ I = (*T)(nil)`, `const _: () = ...`), no symbol
    ("a.go", (b"package p\n\ntype I interface{}\n\nvar _ I = (*T)(nil)\nvar (\n\t_ = 1\n\tx = 2\n)\nconst _ = 3\n"
              b"const (\n\t_ = iota\n\tA\n)\n"),
     [("I", "interface", 3, ""), ("x", "variable", 8, ""), ("A", "constant", 13, "")]),
    ("lib.rs", b"const _: () = assert!(true);\nconst A: u8 = 1;\nstatic _X: u8 = 1;\n",
     [("A", "constant", 2, ""), ("_X", "constant", 3, "")]),
])
def test_definition_forms(path, source, expected):
    facts = extract(path, source)
    assert not facts.errors
    assert [(_local(s.id), s.kind, s.start_line, _local(s.parent)) for s in facts.symbols[1:]] == expected


ANONYMOUS_STRUCTS = (b"struct { int a; } v;\ntypedef struct { int a; } T;\ntypedef union { int u; } *U;\n"
                     b"struct S { struct { int in; } anon; union { int p; }; };\nstruct point { int x; } origin;\n"
                     b"enum { A1 } e1;\n")


ANONYMOUS_SYMBOLS = [("v", "variable", "struct {...} v", ""), ("v.a", "attribute", "int a", "v"),
                     ("T", "type", "typedef struct {...} T", ""), ("T.a", "attribute", "int a", "T"),
                     ("U", "type", "typedef union {...} *U", ""), ("U.u", "attribute", "int u", "U"),
                     ("S", "struct", "struct S", ""), ("S.anon", "attribute", "struct {...} anon", "S"),
                     ("S.anon.in", "attribute", "int in", "S.anon"), ("S.p", "attribute", "int p", "S"),
                     ("origin", "variable", "struct point {...} origin", ""), ("point", "struct", "struct point", ""),
                     ("point.x", "attribute", "int x", "point"), ("e1", "variable", "enum {...} e1", ""),
                     ("A1", "constant", "A1", "")]


@pytest.mark.parametrize("path", ["a.c", "a.cpp"])
def test_an_anonymous_struct_is_named_by_what_it_defines(path):
    """`struct { int a; } v;` is the variable v, its signature `struct {...} v`, and `typedef struct { int a; } T;`
    the type T; their members are theirs (`T.a`). The signature was `struct`, the name after
    the body cut off, a typedef's members were the file's (`a`), and a named struct a variable's declaration
    defines (`struct point {...} origin`), or an anonymous enum's constants, the variable's (`origin.point`)."""
    facts = extract(path, ANONYMOUS_STRUCTS)
    assert not facts.errors
    assert [(_local(s.id), s.kind, s.signature, _local(s.parent)) for s in facts.symbols[1:]] == ANONYMOUS_SYMBOLS


MEMBER_FORMS = b"struct point {\n  int x, y;\n  char *name;\n  int v[3];\n  int (*cb)(int);\n  unsigned f : 1;\n};\n"
MEMBER_FORMS_SYMBOLS = [("point", "point", "struct", 1, 1, 7, 1, ""),
                        ("point.x", "point.x", "attribute", 2, 3, 2, 11, "point"),
                        ("point.y", "point.y", "attribute", 2, 3, 2, 11, "point"),
                        ("point.name", "point.name", "attribute", 3, 3, 3, 13, "point"),
                        ("point.v", "point.v", "attribute", 4, 3, 4, 11, "point"),
                        ("point.cb", "point.cb", "attribute", 5, 3, 5, 17, "point"),
                        ("point.f", "point.f", "attribute", 6, 3, 6, 17, "point")]


@pytest.mark.parametrize("path, source, symbols", [
    ("a.c", b"struct point { int x; int y; };\n",
     [("point", "point", "struct", 1, 1, 1, 30, ""), ("point.x", "point.x", "attribute", 1, 16, 1, 21, "point"),
      ("point.y", "point.y", "attribute", 1, 23, 1, 28, "point")]),
    ("a.c", b"typedef struct {\n  int a;\n  char *b;\n} pair_t;\n",
     [("pair_t", "pair_t", "type", 1, 1, 4, 9, ""), ("pair_t.a", "pair_t.a", "attribute", 2, 3, 2, 8, "pair_t"),
      ("pair_t.b", "pair_t.b", "attribute", 3, 3, 3, 10, "pair_t")]),
    ("a.c", b"union val { int i; float f; };\n",
     [("val", "val", "union", 1, 1, 1, 29, ""), ("val.i", "val.i", "attribute", 1, 13, 1, 18, "val"),
      ("val.f", "val.f", "attribute", 1, 20, 1, 27, "val")]),
    ("a.c", b"struct outer {\n  struct inner { int deep; } in;\n};\n",
     [("outer", "outer", "struct", 1, 1, 3, 1, ""),
      ("outer.in", "outer.in", "attribute", 2, 3, 2, 32, "outer"),
      ("outer.inner", "outer.inner", "struct", 2, 3, 2, 28, "outer"),
      ("outer.inner.deep", "outer.inner.deep", "attribute", 2, 18, 2, 26, "outer.inner")]),
    ("a.c", MEMBER_FORMS, MEMBER_FORMS_SYMBOLS),
    ("a.cpp", MEMBER_FORMS, _cpp(MEMBER_FORMS_SYMBOLS)),
])
def test_a_structs_or_unions_members_are_its_attributes(path, source, symbols):
    """A C struct's or union's members are its attributes, as a C++ class's fields are (`point.x`, a typedef's
    anonymous struct's `pair_t.a`); one declared through a pointer, an array or a function pointer (`char *name`,
    `int (*cb)(int)`) too. C indexed no member, C++ only those declared by a plain name."""
    facts = extract(path, source)
    got = _placed(facts.symbols[1:])
    assert (facts.errors, got) == ([], symbols)


@pytest.mark.parametrize("path, source, sid, parent", [
    ("m.go", b"package p\ntype Sq struct{}\nfunc (q *Sq) Area() int { return 1 }\n", "Sq.Area", "Sq"),
    ("m.go", b"package p\nfunc (q *Sq) Area() int { return 1 }\n", "Sq.Area", ""),  # Sq in another file
    ("a.cpp", b"namespace ns {\nstruct A { void f(); };\nvoid A::f() {}\n}\n", "ns.A.f", "ns.A"),
    ("a.cpp", b"namespace ns {\nvoid A::f() {}\n}\n", "ns.A.f", ""),  # A in a header
    ("a.cpp", b"void A::f() {}\n", "A.f", ""),
    ("lib.rs", b"struct P;\nimpl P { fn new() {} }\n", "P.new", "P"),
    ("lib.rs", b"impl P { fn new() {} }\n", "P.new", ""),
    ("a.js", b"function R() {}\nR.prototype.go = function () {};\n", "R.go", "R"),
    ("a.js", b"R.prototype.go = function () {};\n", "R.go", ""),
])
def test_a_members_parent_is_its_type_where_the_file_defines_it(path, source, sid, parent):
    """`parent` is a symbol of the same file (docs/cli.md): the type a member names (a Go receiver, C++'s `A::f`,
    a Rust impl's type, a prototype) where the file defines it, else the module; the id names the type either way."""
    found = {_local(s.id): _local(s.parent) for s in extract(path, source).symbols[1:]}
    assert found[sid] == parent


ENUMS = b"typedef enum { RED, GREEN } Color;\nenum shade { DARK };\ntypedef enum tone { LOW } tone_t;\nenum { A1 } e1;\n"
ENUMS_SYMBOLS = [("Color", "Color", "type", 1, 1, 1, 34, ""),
                 ("Color.RED", "Color.RED", "constant", 1, 16, 1, 18, "Color"),
                 ("Color.GREEN", "Color.GREEN", "constant", 1, 21, 1, 25, "Color"),
                 ("shade", "shade", "enum", 2, 1, 2, 19, ""),
                 ("shade.DARK", "shade.DARK", "constant", 2, 14, 2, 17, "shade"),
                 ("tone_t", "tone_t", "type", 3, 1, 3, 33, ""), ("tone", "tone", "enum", 3, 9, 3, 25, ""),
                 ("tone.LOW", "tone.LOW", "constant", 3, 21, 3, 23, "tone"),
                 ("e1", "e1", "variable", 4, 1, 4, 15, ""), ("A1", "A1", "constant", 4, 8, 4, 9, "")]


@pytest.mark.parametrize("path, symbols", [
    ("a.c", ENUMS_SYMBOLS),
    ("a.cpp", _cpp(ENUMS_SYMBOLS)),
])
def test_a_typedefs_anonymous_enum_holds_its_constants(path, symbols):
    """`typedef enum { RED } Color;` holds `Color.RED`, as `enum shade { DARK };` holds `shade.DARK`: the constants
    were the file's (`RED`), where a named enum's are its own. A variable's anonymous enum names no type: its
    constants stay the file's (`A1`)."""
    facts = extract(path, ENUMS)
    got = _placed(facts.symbols[1:])
    assert (facts.errors, got) == ([], symbols)


NS_CLASS = b"namespace ns {\nstruct A { void f(); };\n}\n"


@pytest.mark.parametrize("source, symbols", [
    (NS_CLASS + b"using namespace ns;\nvoid A::f() {}\n",
     [("ns", "ns", "namespace", 1, 1, 3, 1, ""), ("ns.A", "ns::A", "struct", 2, 1, 2, 22, "ns"),
      ("ns.A.f", "ns::A::f", "method", 5, 1, 5, 14, "ns.A")]),
    (b"namespace a { namespace b {\nclass C { int m(); };\n} }\nusing namespace a::b;\nint C::m() { return 1; }\n",
     [("a", "a", "namespace", 1, 1, 3, 3, ""), ("a.b", "a::b", "namespace", 1, 15, 3, 1, "a"),
      ("a.b.C", "a::b::C", "class", 2, 1, 2, 20, "a.b"), ("a.b.C.m", "a::b::C::m", "method", 5, 1, 5, 24, "a.b.C")]),
    (NS_CLASS + b"namespace x {\nusing namespace ns;\nvoid A::f() {}\n}\n",  # in the directive's scope
     [("ns", "ns", "namespace", 1, 1, 3, 1, ""), ("ns.A", "ns::A", "struct", 2, 1, 2, 22, "ns"),
      ("x", "x", "namespace", 4, 1, 7, 1, ""), ("ns.A.f", "ns::A::f", "method", 6, 1, 6, 14, "ns.A")]),
    (NS_CLASS + b"namespace x {\nusing namespace ns;\n}\nvoid A::f() {}\n",  # after it: no A where it stands
     [("ns", "ns", "namespace", 1, 1, 3, 1, ""), ("ns.A", "ns::A", "struct", 2, 1, 2, 22, "ns"),
      ("ns.A.f", "ns::A::f", "method", 2, 12, 2, 20, "ns.A"), ("x", "x", "namespace", 4, 1, 6, 1, ""),
      ("A.f", "A::f", "method", 7, 1, 7, 14, "")]),
    (b"using namespace std;\nvoid Foo::bar() {}\n",  # Foo in a header: the id names it as written
     [("Foo.bar", "Foo::bar", "method", 2, 1, 2, 18, "")]),
    (b"namespace ns { void f(); }\nusing namespace ns;\nvoid f() {}\n",  # ::f, another function than ns::f
     [("ns", "ns", "namespace", 1, 1, 1, 26, ""), ("ns.f", "ns::f", "function", 1, 16, 1, 24, "ns"),
      ("f", "f", "function", 3, 1, 3, 11, "")]),
])
def test_a_definition_after_a_using_directive_names_the_nominated_namespaces_class(source, symbols):
    """`using namespace ns;` before `void A::f() {}`, where the file's A is ns's, defines `ns::A::f` as the
    compiler reads it: the declaration in the class gives way to it, one symbol, as after `void ns::A::f() {}`.
    It was `A::f` beside the declaration `ns::A::f`: the function twice in the file's outline, and `def
    ns::A::f` found only the declaration. A head the file does not define stays as written."""
    facts = extract("a.cpp", source)
    got = _placed(facts.symbols[1:])
    assert (facts.errors, got) == ([], symbols)


def test_a_using_directives_namespace_is_a_use():
    """The namespace a using-directive names is a use of it, as it was, not a definition's name."""
    facts = extract("a.cpp", b"using namespace ns;\nusing namespace a::b;\n")
    assert [(r.name, r.kind, r.line, r.col, r.qualifier) for r in facts.references] == [
        ("ns", "name", 1, 17, ""), ("a", "name", 2, 17, ""), ("b", "attribute", 2, 20, "a")]


GLIBC_ENUM = b"enum\n{\n  _ISupper = 1,\n#define _ISupper _ISupper\n  _ISlower = 2,\n#define _ISlower _ISlower\n  _ISalpha\n};\n"
SOCKET_ENUM = (b"enum sock\n{\n  STREAM = 1,\t/* reliable */\n#define STREAM STREAM\n  DGRAM = 2,\n#define DGRAM DGRAM\n"
               b"  NONBLOCK = 04000\n#define NONBLOCK NONBLOCK\n};\n")
SOCKET_SYMBOLS = [("sock", "sock", "enum", 1, 1, 9, 1, ""), ("sock.STREAM", "sock.STREAM", "constant", 3, 3, 3, 12, "sock"),
                  ("STREAM", "STREAM", "constant", 4, 1, 4, 21, ""), ("sock.DGRAM", "sock.DGRAM", "constant", 5, 3, 5, 11, "sock"),
                  ("DGRAM", "DGRAM", "constant", 6, 1, 6, 19, ""),
                  ("sock.NONBLOCK", "sock.NONBLOCK", "constant", 7, 3, 7, 18, "sock"),
                  ("NONBLOCK", "NONBLOCK", "constant", 8, 1, 8, 25, "")]
ENUM_DIRECTIVES = (b"enum e {\n  E1,\n#undef E1\n  E2,\n#pragma once\n  E3,\n#include \"e.def\"\n  E4,\n#define E4(x) \\\n    x\n"
                   b"  E5, /* not a macro:\n#define E5 E5\n  */\n  E6\n};\n")
STRUCT_DEFINE = b"struct s {\n  int a;\n#define S_A 1\n  int b;\n};\n"


@pytest.mark.parametrize("path, source, symbols, imports", [
    # the macros share the ids of the anonymous enum's constants: one symbol each
    ("a.c", GLIBC_ENUM, [("_ISupper", "_ISupper", "constant", 3, 3, 3, 14, ""),
                         ("_ISlower", "_ISlower", "constant", 5, 3, 5, 14, ""),
                         ("_ISalpha", "_ISalpha", "constant", 7, 3, 7, 10, "")], []),
    ("a.c", SOCKET_ENUM, SOCKET_SYMBOLS, []),  # glibc's bits/socket_type.h: a last constant with no comma
    ("a.cpp", SOCKET_ENUM, _cpp(SOCKET_SYMBOLS), []),
    ("a.c", ENUM_DIRECTIVES, [("e", "e", "enum", 1, 1, 15, 1, ""), ("e.E1", "e.E1", "constant", 2, 3, 2, 4, "e"),
                              ("e.E2", "e.E2", "constant", 4, 3, 4, 4, "e"), ("e.E3", "e.E3", "constant", 6, 3, 6, 4, "e"),
                              ("e.E4", "e.E4", "constant", 8, 3, 8, 4, "e"), ("E4", "E4", "macro", 9, 1, 10, 5, ""),
                              ("e.E5", "e.E5", "constant", 11, 3, 11, 4, "e"), ("e.E6", "e.E6", "constant", 14, 3, 14, 4, "e")],
     [("e.def", 7, 1)]),
    *[(path, STRUCT_DEFINE, [("s", "s", "struct", 1, 1, 5, 1, ""), ("s.a", f"s{sep}a", "attribute", 2, 3, 2, 8, "s"),
                             ("S_A", "S_A", "constant", 3, 1, 3, 13, ""),
                             ("s.b", f"s{sep}b", "attribute", 4, 3, 4, 8, "s")], [])
      for path, sep in (("a.c", "."), ("a.cpp", "::"))],
    ("a.c", b"int f(void) {\n#define LOCAL 1\n  return LOCAL;\n}\n",
     [("f", "f", "function", 1, 1, 4, 1, ""), ("LOCAL", "LOCAL", "constant", 2, 1, 2, 15, "")], []),
    ("a.cpp", b"namespace ns {\n#define M(a) a\n}\n",
     [("ns", "ns", "namespace", 1, 1, 3, 1, ""), ("M", "M", "macro", 2, 1, 2, 14, "")], []),
    # an initializer's grammar has no directive at all: each was an error, its macro lost, its include too
    ("a.c", b"int t[] = { 1,\n#define X 2\n  X };\n",
     [("t", "t", "variable", 1, 1, 3, 6, ""), ("X", "X", "constant", 2, 1, 2, 11, "")], []),
    ("a.cpp", b"int t[] = { 1,\n#define X 2\n  X };\n",
     [("t", "t", "variable", 1, 1, 3, 6, ""), ("X", "X", "constant", 2, 1, 2, 11, "")], []),
    ("a.c", b"struct p q = {\n  .a = 1,\n#undef Y\n  .b = { 2,\n#define Y(v) v\n  Y(3) },\n};\n",
     [("q", "q", "variable", 1, 1, 7, 2, ""), ("Y", "Y", "macro", 5, 1, 5, 14, "")], []),  # in a nested list
    ("a.c", b"static const int t[] = {\n#include \"t.inc\"\n};\n", [("t", "t", "variable", 1, 1, 3, 2, "")],
     [("t.inc", 2, 1)]),
    ("a.c", b"void f(void) {\n  int a[] = { 1,\n#define L 2\n  L };\n}\n",
     [("f", "f", "function", 1, 1, 5, 1, ""), ("L", "L", "constant", 3, 1, 3, 11, "")], []),
])
def test_a_define_among_enum_constants_or_members_is_a_macro_of_the_file(path, source, symbols, imports):
    """tree-sitter's C grammar reads a `#define` between an enum's constants as a directive a comma must follow:
    the constant after it was lost (glibc's `_ISalpha`), the macro no symbol, the file full of syntax errors; in an
    initializer any directive was an error. Every constant is a symbol, and each directive line what it is at the
    top (a macro, an include); a macro is the file's wherever it is defined, in a struct, an enum, an initializer,
    a function or a namespace (`S_A`, not `s.S_A`)."""
    facts = extract(path, source)
    got = _placed(facts.symbols[1:])
    assert (facts.errors, got, [(i.module, i.line, i.level) for i in facts.imports]) == ([], symbols, imports)


OPTIONS = (b"static const struct opt opts[] = {\n  { \"a\", 1 },\n#ifdef HAVE_B\n  { \"b\", B_VALUE },\n#endif\n"
           b"  { \"c\", 3 },\n};\nint after;\n")


@pytest.mark.parametrize("path, source, symbols, uses", [
    ("a.c", OPTIONS, [("opts", "variable", 1, 7), ("after", "variable", 8, 8)],
     [("opt", 1, "type"), ("HAVE_B", 3, "name"), ("B_VALUE", 4, "name")]),
    ("a.cpp", OPTIONS, [("opts", "variable", 1, 7), ("after", "variable", 8, 8)],
     [("opt", 1, "type"), ("HAVE_B", 3, "name"), ("B_VALUE", 4, "name")]),
    ("a.c", b"int t[] = {\n  1,\n#if defined(X) && X > 1\n  A,\n#elif Y\n  B,\n#else\n  C,\n#endif\n};\n",
     [("t", "variable", 1, 10)],
     [("X", 3, "name"), ("X", 3, "name"), ("A", 4, "name"), ("Y", 5, "name"), ("B", 6, "name"), ("C", 8, "name")]),
    ("a.c", b"struct p q = {\n  .a = { 1,\n#ifndef NO_TWO\n#define TWO 2\n    TWO,\n#endif\n  },\n};\n",
     [("q", "variable", 1, 8), ("TWO", "constant", 4, 4)],  # in a nested list, a macro in the conditional
     [("p", 1, "type"), ("a", 2, "attribute"), ("NO_TWO", 3, "name"), ("TWO", 5, "name")]),
    ("a.c", b"void f(void) {\n  int a[] = { 1,\n#ifdef L\n  2,\n#endif\n  };\n}\n",
     [("f", "function", 1, 7)], [("a", 2, "name"), ("L", 3, "name")]),
])
def test_a_conditional_in_an_initializer_keeps_every_branch(path, source, symbols, uses):
    """An `#if`/`#ifdef` between an initializer's elements (an array of structs with an element for each
    configuration) was a syntax error at each of its lines: the grammar has directives in an enum's body, not in
    an initializer. The elements of every branch are kept, as the rest of the file keeps every branch's code, and
    the names the conditions use are uses."""
    facts = extract(path, source)
    got = [(_local(s.id), s.kind, s.start_line, s.end_line) for s in facts.symbols[1:]]
    assert (facts.errors, got, [(r.name, r.line, r.kind) for r in facts.references]) == ([], symbols, uses)


@pytest.mark.parametrize("source, name", [
    (b"MY_API my_t\nf6 (a_t source)\n{\n  return 0;\n}\n", "f6"),  # read as `my_t`, f6 an error after it
    (b"static MY_INLINE my_t\nf7 (a_t source, b_t code)\n{\n  return 0;\n}\n", "f7"),
    ((b"static GPG_ERR_INLINE gcry_error_t\ngcry_err_make (gcry_err_source_t source, gcry_err_code_t code)\n{\n"
      b"  return gpg_err_make (source, code);\n}\n"), "gcry_err_make"),  # read as `gcry_error_t::gcry_err_make`
])
def test_a_cpp_function_whose_type_follows_a_macro_keeps_its_name(source, name):
    """tree-sitter's C++ grammar recovers from the macro (`MY_API`, libgcrypt's `GPG_ERR_INLINE`) by taking the
    type for the name: the symbols were `my_t` and `gcry_error_tgcry_err_make`, and the name a call."""
    facts = extract("a.cpp", source)
    assert [s.id for s in facts.symbols[1:]] == [f"a.cpp::{name}"]
    assert name not in [r.name for r in facts.references]


def test_a_second_definition_of_an_id_keeps_its_own_chunk():
    """Overloads share an id (one symbol), but each body is a chunk of its own, and its references' scope."""
    body = b"    a += b;\n" * 85
    source = b"class Big {\n  int sum(int a) { return a; }\n  int sum(int a, int b) {\n" + body + b"    return a;\n  }\n}\n"
    facts = extract("Big.java", source)
    assert [s.id for s in facts.symbols] == ["Big.java::", "Big.java::Big", "Big.java::Big.sum"]
    assert [(c.kind, c.start_line, c.end_line, c.symbol) for c in facts.chunks] == [
        ("class", 1, 91, "Big.java::Big"), ("function", 2, 2, "Big.java::Big.sum"), ("function", 3, 90, "Big.java::Big.sum")]
    assert {r.scope for r in facts.references if r.line > 3} == {"Big.java::Big.sum"}


@pytest.mark.parametrize("path, source, name, kind", [
    ("a.js", b"g(...items);\n", "items", "name"),  # a spread
    ("a.ts", b"const o = { ...base };\n", "base", "name"),
    ("a.rs", b"fn f(n: u32) { for i in 0..n {} }\n", "n", "name"),  # a range
    ("a.rs", b"fn f() -> io::Result<()> { g() }\n", "io", "name"),  # a return type's arrow
    ("a.c", b"int f(struct s *p) { return p->size; }\n", "size", "attribute"),  # C's arrow is member access
])
def test_spreads_ranges_and_return_arrows_are_no_member_access(path, source, name, kind):
    assert [r.kind for r in extract(path, source).references if r.name == name] == [kind]


@pytest.mark.parametrize("path, source, kinds", [
    ("a.py", b"class C(Base[T]):\n    pass\n", [("Base", "base"), ("T", "name")]),
    ("a.py", b"class C(m.Base[T]):\n    pass\n", [("m", "name"), ("Base", "base"), ("T", "name")]),
    ("A.java", b"class A extends Base<T> {}\n", [("Base", "base"), ("T", "type")]),
    ("A.java", b"class A implements Cmp<T> {}\n", [("Cmp", "base"), ("T", "type")]),
    ("A.java", b"interface I extends Cmp<T> {}\n", [("Cmp", "base"), ("T", "type")]),
    ("a.cpp", b"class A : public Base<T> {};\n", [("Base", "base"), ("T", "type")]),
    ("a.cpp", b"class A : public ns::Base<T> {};\n", [("ns", "name"), ("Base", "base"), ("T", "type")]),
])
def test_a_generic_base_is_a_base(path, source, kinds):
    """A base class given its type arguments (pytest's `class ApproxNumpy(Approx[ndarray])`) is a base as the bare
    name is: refs listed it as a plain name or a type."""
    assert [(r.name, r.kind) for r in extract(path, source).references] == kinds


@pytest.mark.parametrize("source, imports", [
    (b"use std::{fmt::{self, Display}};\n", [("std", ["fmt"], None), ("std::fmt", ["Display"], None)]),
    (b"use a::b::{self as c};\n", [("a", ["b"], "c")]),
    (b"extern crate alloc;\nextern crate foo as bar;\n", [("alloc", [], None), ("foo", [], "bar")]),
])
def test_rust_self_in_a_use_tree_and_extern_crates(source, imports):
    facts = extract("lib.rs", source)
    assert [(i.module, i.names, i.alias) for i in facts.imports] == imports
    assert facts.references == []


@pytest.mark.parametrize("source, imports", [
    (b"import java.util.List;\n", [("java.util", ["List"])]),
    (b"import java.util.*;\n", [("java.util", ["*"])]),
    (b"import static a.Util.check;\n", [("a.Util", ["check"])]),
    (b"import statics.Util;\n", [("statics", ["Util"])]),  # a package whose name starts with the keyword
    (b"import static statics.Util.*;\n", [("statics.Util", ["*"])]),
])
def test_java_imports(source, imports):
    assert [(i.module, i.names) for i in extract("A.java", source).imports] == imports


@pytest.mark.parametrize("source, imports", [
    (b"use super::*;\n", [("super", 0)]),
    (b"mod tests {\n    use super::*;\n    mod deep {\n        use super::super::Item;\n        mod leaf;\n    }\n}\n",
     [("super", 1), ("super::super", 2), ("leaf", 2)]),
    (b"fn f() { use crate::x::Y; }\n", [("crate::x", 0)]),  # a function is no module
])
def test_a_rust_imports_level_counts_the_inline_modules_around_it(source, imports):
    """The resolver reads `super` from the module the import is in: `mod tests { use super::*; }` is the file."""
    assert [(i.module, i.level) for i in extract("lib.rs", source).imports] == imports


@pytest.mark.parametrize("raw, parts", [
    ("a.b", ["a", "b"]),
    ("ns::Vec<std::pair<int,int>>::push", ["ns", "Vec", "push"]),
    ("W::operator bool() const", ["W", "operator bool"]),
    ("Vec<T>::operator==", ["Vec", "operator=="]),
    ("operators.list", ["operators", "list"]),  # a name that starts with the word, not C++'s keyword
    ("operator_name", ["operator_name"]),
    ('"lib.name"', ["lib.name"]),
    ("[Symbol.iterator]", ["[Symbol.iterator]"]),  # a JavaScript computed key: the expression whole
    ("[ 'save' ]", ["save"]),  # a string in it: its text
    ("['a' + 'b']", ["['a' + 'b']"]),  # two strings are an expression
    ("'save'", ["save"]),
])
def test_a_definitions_name_split_into_its_qualname_parts(raw: str, parts: list[str]) -> None:
    assert name_parts(raw) == parts


@pytest.mark.parametrize("path", ["a.py", "a.js"])
def test_a_long_attribute_chain_keeps_its_qualifiers_short(path):
    """Each of 10,000 links kept the whole chain before it as its qualifier: a 20 KB file made a 100 MB index."""
    chain = "o" + ".a" * 10_000
    source = (f"def f(o):\n    return {chain}\n" if path == "a.py" else f"function f(o) {{ return {chain}; }}\n")
    refs = extract(path, source.encode()).references
    assert len(refs) >= 10_000 and sum(len(r.qualifier) for r in refs) < 200 * 200
