"""The query API: symbols, definitions, references, outline, search, stats and the repo map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from store_repo import PYTHON_REPO, make_repo

from codewright.errors import UsageError
from codewright.graph.index import Index
from codewright.graph.repomap import token_counter


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with Index.open(make_repo(tmp_path_factory.mktemp("q") / "repo", PYTHON_REPO)) as ix:
        ix.build()
        yield ix


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("make_user", "pkg/models.py::make_user"),  # exact
        ("User", "pkg/models.py::User"),  # exact beats get_user_name's substring
        ("get_user", "pkg/models.py::User.get_user_name"),  # prefix
        ("gun", "pkg/models.py::User.get_user_name"),  # subsequence
        ("mkusr", "pkg/models.py::make_user"),
        ("User.get", "pkg/models.py::User.get_user_name"),  # a dotted query matches the qualified name's tail
        ("models.make", "pkg/models.py::make_user"),
        ("user.gun", "pkg/models.py::User.get_user_name"),
        ("User.__init__", "pkg/models.py::User.__init__"),
    ],
)
def test_symbols_fuzzy(index: Index, query: str, first: str) -> None:
    assert index.symbols(query)[0].id == first


ABBREVIATED = {
    "q.py": "class QuerySet:\n    def filter(self):\n        pass\n\n    def _fetch(self):\n        pass\n\n\n"
            "def require_debug_false_filter():\n    pass\n\n\ndef get_object_or_404():\n    pass\n\n\n"
            "def logo_bij():\n    pass\n",
}


@pytest.mark.parametrize(("query", "ids"), [
    # the start of each word of the class's name and the method's: before subsequences scattered inside words
    ("qsfilter", ["q.py::QuerySet.filter", "q.py::require_debug_false_filter"]),
    ("qsfetch", ["q.py::QuerySet._fetch"]),
    ("qset", ["q.py::QuerySet", "q.py::require_debug_false_filter"]),  # the class takes it whole: no member listed
    ("gobj", ["q.py::get_object_or_404", "q.py::logo_bij"]),  # the starts of words before shorter names
    ("go404", ["q.py::get_object_or_404"]),  # a word (`or`) left out
])
def test_symbols_by_the_starts_of_words(tmp_path: Path, query: str, ids: list[str]) -> None:
    """`symbols qsfilter` listed require_debug_false_filter and never QuerySet.filter: a subsequence was looked
    for in the bare name only, and all subsequences ranked alike."""
    with Index.open(make_repo(tmp_path / "r", ABBREVIATED)) as ix:
        ix.build()
        assert [s.id for s in ix.symbols(query)] == ids


VENDORED = {"assets/vendor/jquery.min.js": "function Q(){return 1}\n", "pkg/q.py": "class Q:\n    pass\n"}


@pytest.mark.parametrize("ask", ["symbols", "definitions"])
def test_a_vendored_files_symbol_comes_after_the_projects_own(tmp_path: Path, ask: str) -> None:
    """`def Q` and `symbols Q` in django listed jquery.min.js's `function Q` first, before django's own Q: ties
    were broken by path alone."""
    with Index.open(make_repo(tmp_path / "r", VENDORED)) as ix:
        ix.build()
        assert [s.id for s in getattr(ix, ask)("Q")] == ["pkg/q.py::Q", "assets/vendor/jquery.min.js::Q"]


@pytest.mark.parametrize(("query", "found"), [("Ünïcode", "Ünïcode"), ("ünïcode", "Ünïcode"), ("CAFÉ", "café"),
                                              ("ünï", "Ünïcode"), ("cafe", None)])
def test_symbols_fold_the_case_of_letters_beyond_ascii(tmp_path: Path, query: str, found: str | None) -> None:
    """SQLite's LIKE folds ASCII letters only: `symbols ünïcode` found nothing named Ünïcode."""
    with Index.open(make_repo(tmp_path / "r", {"m.py": "class Ünïcode:\n    pass\n\n\ndef café():\n    pass\n"})) as ix:
        ix.build()
        assert [s.name for s in ix.symbols(query)][:1] == ([found] if found else [])


@pytest.mark.parametrize("query", ["zzz", "views.User", "u" * 25_000])  # User is in models, not in views; no name is
# that long (SQLite refused the pattern with an error)
def test_symbols_no_match(index: Index, query: str) -> None:
    assert index.symbols(query) == []


@pytest.mark.parametrize(
    ("target", "ids"),
    [
        ("make_user", ["pkg/models.py::make_user"]),
        ("pkg.models.User", ["pkg/models.py::User"]),
        ("User.get_user_name", ["pkg/models.py::User.get_user_name"]),
        ("pkg/models.py::User.__init__", ["pkg/models.py::User.__init__"]),
        ("pkg/views.py:9:16", ["pkg/models.py::make_user"]),  # on `make_user` in `m.make_user(`
        ("pkg/views.py:8:21", ["pkg/models.py::User"]),
        ("pkg/models.py:11:5", ["pkg/models.py::make_user"]),  # on the definition itself
        ("nothing_here", []),
        ("pkg.User", ["pkg/models.py::User"]),  # as pkg/__init__.py imports it: was none
        ("pkg.User.get_user_name", ["pkg/models.py::User.get_user_name"]),
        ("pkg.make_user", []),  # the package does not import it
        ("pkg/views.py:1:25", ["pkg/models.py::make_user"]),  # an imported name: was none
        ("pkg/views.py:1:12", ["pkg/models.py::"]),  # the module it is imported from
        ("pkg/views.py:2:16", ["pkg/models.py::"]),  # `from . import models`: a submodule
        ("pkg/views.py:3:22", ["pkg/models.py::"]),  # `import pkg.models as m`, on m
        ("main.py:1:18", ["pkg/models.py::User"]),  # `from pkg import User`, through the package's own import
    ],
)
def test_definitions(index: Index, target: str, ids: list[str]) -> None:
    assert [s.id for s in index.definitions(target)] == ids


IMPORTS = {
    "a.py": "from b import (\n    one,\n    two as deux,\n)\nfrom b import three as trois\n# one\n",
    "b.py": "def one():\n    pass\n\n\ndef two():\n    pass\n\n\ndef three():\n    pass\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("a.py:2:5", ["b.py::one"]),  # on a line of an import held in parentheses
    ("a.py:3:5", ["b.py::two"]),
    ("a.py:3:12", ["b.py::two"]),  # its alias
    ("a.py:5:24", ["b.py::three"]),  # the alias of the one name imported
    ("a.py:6:3", []),  # a comment after the import: the name is not imported there
])
def test_definition_at_a_position_in_an_import(tmp_path: Path, target: str, ids: list[str]) -> None:
    """An import is no reference: `def` on the name it imports found nothing."""
    with Index.open(make_repo(tmp_path / "r", IMPORTS)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


REEXPORTS = {
    "lib/__init__.py": "from .shapes import *\nfrom . import tools as kit\n",
    "lib/shapes.py": "__all__ = ['Square']\n\n\nclass Square:\n    def area(self):\n        return 1\n\n\nclass Hidden:\n"
                     "    pass\n",
    "lib/tools.py": "def polish():\n    pass\n",
    "app/__init__.py": "",
    "app/lib.py": "from lib.tools import polish\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("lib.Square", ["lib/shapes.py::Square"]),  # through a star import
    ("lib.Square.area", ["lib/shapes.py::Square.area"]),
    ("lib.Hidden", []),  # left out of __all__: `from lib import Hidden` fails
    ("lib.kit.polish", ["lib/tools.py::polish"]),  # a module bound by an import, then its own name
    ("lib.polish", ["lib/tools.py::polish"]),  # app/lib.py, a module whose name ends with `lib`, imports it
    ("app.lib.polish", ["lib/tools.py::polish"]),
    ("lib.nothing", []),
])
def test_definitions_of_a_name_a_module_imports(tmp_path: Path, target: str, ids: list[str]) -> None:
    """A dotted name is a module's and then what that module binds, as Python reads `from lib import Square`: its
    own qualified name (lib.shapes.Square) was the only one `def` found."""
    with Index.open(make_repo(tmp_path / "r", REEXPORTS)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


def test_definition_at_position_prefers_call_graph_resolution(tmp_path: Path) -> None:
    with Index.open(make_repo(tmp_path / "r", PYTHON_REPO)) as ix:
        ix.build()
        # `user` at views.py:9:24 is a local: our tables cannot tell what it is, the call graph can
        assert ix.definitions("pkg/views.py:9:24") == []
        # the call graph (issue 8) owns this table; it may or may not have created it during build
        ix.conn.execute("CREATE TABLE IF NOT EXISTS resolved_refs (path, line, col, target, external)")
        ix.conn.execute("DELETE FROM resolved_refs")
        ix.conn.execute("INSERT INTO resolved_refs (path, line, col, target, external) VALUES ('pkg/views.py',"
                        " 9, 24, 'pkg/models.py::User', 0)")
        ix.conn.execute("DROP TABLE IF EXISTS pyresolve_dirty")
        assert [s.id for s in ix.definitions("pkg/views.py:9:24")] == ["pkg/models.py::User"]
        # no row at that spot: falls back to our own reference table
        assert [s.id for s in ix.definitions("pkg/views.py:7:12")] == ["pkg/models.py::make_user"]
        # rows of a file the call graph has not re-resolved since it changed are not trusted
        ix.conn.execute("CREATE TABLE pyresolve_dirty (path TEXT PRIMARY KEY)")
        ix.conn.execute("INSERT INTO pyresolve_dirty VALUES ('pkg/views.py')")
        assert ix.definitions("pkg/views.py:9:24") == []


INHERITED = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Scaffold:\n    def route(self):\n        pass\n\n    def run(self):\n        pass\n",
    "pkg/app.py": "from pkg.base import Scaffold\n\n\nclass App(Scaffold):\n    def run(self):\n        pass\n\n\n"
                  "class Flask(App):\n    pass\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("Flask.route", ["pkg/base.py::Scaffold.route"]),  # through App to Scaffold, in another file
    ("pkg.app.Flask.route", ["pkg/base.py::Scaffold.route"]),
    ("Flask.run", ["pkg/app.py::App.run"]),  # the nearest base's
    ("App.run", ["pkg/app.py::App.run"]),  # its own
    ("Flask.gone", []),
])
def test_a_member_a_class_inherits_is_found_by_the_class_s_name(tmp_path: Path, target: str, ids: list[str]) -> None:
    """`def Flask.route` found nothing: flask's Flask inherits route from Scaffold, through App."""
    with Index.open(make_repo(tmp_path / "r", INHERITED)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


MEMBER_OR_NOT = {
    "lib.py": "def close():\n    pass\n\n\nclass Conn:\n    def close(self):\n        pass\n",
    "use.py": "import socket\n\n\ndef shut(c):\n    c.close()\n    close()\n    socket.close()\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("use.py:5:7", ["lib.py::Conn.close"]),  # `c.close()`: a member, never the module's function
    ("use.py:6:5", ["lib.py::close", "lib.py::Conn.close"]),  # a bare name unresolved: every one of the name
    ("use.py:7:12", ["lib.py::Conn.close"]),
])
def test_definition_at_an_unresolved_attribute_is_a_member(tmp_path: Path, target: str, ids: list[str]) -> None:
    """`def` on `make_response` in flask's `current_app.make_response(args)`, which nothing resolves, listed the
    function helpers.make_response beside the method Flask.make_response: an attribute is no module-level name."""
    with Index.open(make_repo(tmp_path / "r", MEMBER_OR_NOT)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


BOUND = {
    "lib/__init__.py": "",
    "lib/models.py": "class Field:\n    def __init__(self, label):\n        self.label = label\n",
    "lib/lazy.py": ("def lazy(func):\n    def wrapper(*args):\n        return func(*args)\n    return wrapper\n\n\n"
                    "def gettext(text):\n    return text\n\n\ngettext_lazy = lazy(gettext)\n"),
    "app.py": "from lib import models\nfrom lib.lazy import gettext_lazy as _\n\nurl = models.Field(_('URL'))\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("app.py:4:14", ["lib/models.py::Field"]),  # the class, not the __init__ the call runs
    ("app.py:4:20", ["lib/lazy.py::gettext_lazy"]),  # the name the import binds, not the closure lazy() returns
    ("app.py:4:8", ["lib/models.py::"]),
])
def test_definition_at_a_position_is_what_the_imports_bind_there(tmp_path: Path, target: str, ids: list[str]) -> None:
    """With the call graph resolved, `def` on `CharField` in `models.CharField(...)` answered CharField.__init__,
    and on django's `_` (gettext_lazy) the closure `lazy.__wrapper__`: what the call runs, not what the name is."""
    from codewright.graph.calls import ensure_calls

    with Index.open(make_repo(tmp_path / "r", BOUND)) as ix:
        ix.build()
        ensure_calls(ix)
        assert [s.id for s in ix.definitions(target)] == ids


@pytest.mark.parametrize(("col", "expected"), [(12, ["pkg/models.py::make_user"]), (20, ["pkg/models.py::make_user"]),
                                                (21, []), (26, []), (200, [])])
def test_definition_at_a_position_is_the_name_under_it_only(tmp_path: Path, col: int, expected: list[str]) -> None:
    """Line 7 is `    user = make_user(name)`: `(` (21), `)` (26) and a column past the line are on no name."""
    from codewright.graph.pyresolve import integrate

    with Index.open(make_repo(tmp_path / "r", PYTHON_REPO)) as ix:
        ix.build()
        integrate.ensure(ix.conn, ix.root)  # the call graph's rows too, as `codewright def` has them
        assert [s.id for s in ix.definitions(f"pkg/views.py:7:{col}")] == expected


ONE_LINERS = {"two.py": "a = 1; foo = 2\n", "two.js": "const s = 1; function jf() {}\n",
              "cls.ts": "class C { m() { return 1; } }\n"}


@pytest.mark.parametrize(("target", "ids"), [
    ("two.py:1:8", ["two.py::foo"]),  # on the name of the line's second definition
    ("two.py:1:1", ["two.py::a"]),
    ("two.py:1:12", ["two.py::foo"]),  # on its `=`: the statement the column is in
    ("two.js:1:23", ["two.js::jf"]),
    ("two.js:1:7", ["two.js::s"]),
    ("cls.ts:1:11", ["cls.ts::C.m"]),  # a one-line class's method
    ("cls.ts:1:7", ["cls.ts::C"]),
])
def test_definition_at_a_position_on_a_line_of_several(tmp_path: Path, target: str, ids: list[str]) -> None:
    """The first symbol of the line answered for every column of it."""
    with Index.open(make_repo(tmp_path / "r", ONE_LINERS)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


def test_definition_at_a_position_on_the_first_line_of_a_file_with_a_bom(tmp_path: Path) -> None:
    """The name under the column was read with the BOM as a character: one column off on line 1, `m` of `a.m()` was
    missed and both methods named m were given."""
    from codewright.graph.pyresolve import integrate

    files = {"m.py": "class A:\n    def m(self):\n        return 1\n\n\nclass B:\n    def m(self):\n        return 2\n",
             "u.py": "\ufefffrom m import A; a = A(); a.m()\n"}
    with Index.open(make_repo(tmp_path / "r", files)) as ix:
        ix.build()
        integrate.ensure(ix.conn, ix.root)
        assert [s.id for s in ix.definitions("u.py:1:29")] == ["m.py::A.m"]


@pytest.mark.parametrize(("target", "message"), [
    ("pkg/veiws.py:7:12", "pkg/veiws.py is not in the index"),  # misspelt: was "no definition found" (exit 1)
    ("logo.png:1:1", "logo.png is not indexed: binary"),
])
def test_definition_at_a_position_in_a_file_the_index_lacks_is_a_usage_error(tmp_path: Path, target: str,
                                                                              message: str) -> None:
    with Index.open(make_repo(tmp_path / "r", {**PYTHON_REPO, "logo.png": "\0PNG"})) as ix:
        ix.build()
        with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
            ix.definitions(target)


SCOPED = {
    "k.cpp": "namespace ns {\nclass Widget {\npublic:\n    int size() const;\n};\n\nint Widget::size() const {\n"
             "    return 1;\n}\n}\n\nint main() { ns::Widget w; return w.size(); }\n",
    "lib.rs": "pub struct Point {\n    pub x: i32,\n}\n\nimpl Point {\n    pub fn new(x: i32) -> Self {\n"
              "        Point { x }\n    }\n}\n\nfn main() {\n    let p = Point::new(3);\n}\n",
}


@pytest.mark.parametrize(("target", "ids"), [
    ("ns::Widget::size", ["k.cpp::ns.Widget.size"]),  # the qualified name `symbols` shows
    ("Widget::size", ["k.cpp::ns.Widget.size"]),
    ("Widget.size", ["k.cpp::ns.Widget.size"]),
    ("ns.Widget.size", ["k.cpp::ns.Widget.size"]),
    ("k.cpp::ns.Widget.size", ["k.cpp::ns.Widget.size"]),  # an id
    ("Point::new", ["lib.rs::Point.new"]),
    ("Point.new", ["lib.rs::Point.new"]),
    ("k.cpp::Widget.size", []),  # an id names its symbol whole
])
def test_cpp_and_rust_scoped_names(tmp_path: Path, target: str, ids: list[str]) -> None:
    """C++'s and Rust's qualified names hold `::` (ns::Widget::size), their ids dots: def, refs and symbols
    found neither `Widget::size` nor `Widget.size` (nor what `symbols` showed, for def and refs)."""
    with Index.open(make_repo(tmp_path / "r", SCOPED)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions(target)] == ids


COMPUTED = {"z.js": "class Z {\n  [Symbol.iterator]() {}\n}\nconst o = { [Symbol.iterator]() {} };\n"}


@pytest.mark.parametrize(("ask", "target", "ids"), [
    ("definitions", "[Symbol.iterator]", ["z.js::Z.[Symbol.iterator]", "z.js::o.[Symbol.iterator]"]),
    ("definitions", "Z.[Symbol.iterator]", ["z.js::Z.[Symbol.iterator]"]),
    ("definitions", "z.js::Z.[Symbol.iterator]", ["z.js::Z.[Symbol.iterator]"]),
    ("symbols", "iterator", ["z.js::Z.[Symbol.iterator]", "z.js::o.[Symbol.iterator]"]),
    ("symbols", "Z.[Symbol.iterator]", ["z.js::Z.[Symbol.iterator]"]),
])
def test_a_computed_name_is_found_whole(tmp_path: Path, ask: str, target: str, ids: list[str]) -> None:
    """def took the last part of `[Symbol.iterator]` after its last dot, `iterator]`, which named nothing."""
    with Index.open(make_repo(tmp_path / "r", COMPUTED)) as ix:
        ix.build()
        assert [s.id for s in getattr(ix, ask)(target)] == ids


@pytest.mark.parametrize("query", ["ns::Widget::size", "Widget::size", "Widget.size", "W.sz"])
def test_symbols_match_scoped_names_by_their_parts(tmp_path: Path, query: str) -> None:
    with Index.open(make_repo(tmp_path / "r", SCOPED)) as ix:
        ix.build()
        assert [s.id for s in ix.symbols(query)] == ["k.cpp::ns.Widget.size"]


@pytest.mark.parametrize("name", ["Point::new", "Point.new", "lib.rs::Point.new"])
def test_references_by_a_scoped_name(tmp_path: Path, name: str) -> None:
    with Index.open(make_repo(tmp_path / "r", SCOPED)) as ix:
        ix.build()
        assert [(r.path, r.line, r.col, r.target) for r in ix.references(name)] == [
            ("lib.rs", 12, 20, "lib.rs::Point.new")]


def test_references_by_id_name_and_qualified_name(index: Index) -> None:
    by_id = [(r.path, r.line, r.col, r.kind, r.scope) for r in index.references("pkg/models.py::make_user")]
    assert by_id == [("pkg/views.py", 7, 12, "call", "pkg/views.py::show"),
                     ("pkg/views.py", 9, 14, "call", "pkg/views.py::show")]
    assert [r.scope for r in index.references("User") if r.path == "main.py"] == ["main.py::"]
    assert [(r.path, r.line) for r in index.references("User")] == [
        ("main.py", 3), ("pkg/models.py", 12), ("pkg/views.py", 8)]
    assert [(r.path, r.line) for r in index.references("pkg.models.make_user")] == [
        ("pkg/views.py", 7), ("pkg/views.py", 9)]


MODULE_USES = {  # (the module asked for, the imports of it among its references: path, line, the name as written;
    # each is of that module's id, at column 1)
    "by id": ("pkg/models.py::", [("pkg/__init__.py", 1, ".models"), ("pkg/views.py", 1, "pkg.models"),
                                  ("pkg/views.py", 2, ".models"), ("pkg/views.py", 3, "pkg.models")]),
    "by its dotted name": ("pkg.models", [("pkg/__init__.py", 1, ".models"), ("pkg/views.py", 1, "pkg.models"),
                                          ("pkg/views.py", 2, ".models"), ("pkg/views.py", 3, "pkg.models")]),
    "a package": ("pkg/__init__.py::", [("main.py", 1, "pkg"),
                                                                      ("pkg/views.py", 2, ".")]),
    "a module nothing imports": ("main.py::", []),
}


@pytest.mark.parametrize(("module", "imports"), MODULE_USES.values(), ids=MODULE_USES.keys())
def test_a_modules_references_are_its_imports_too(index: Index, module: str,
                                                  imports: list[tuple[str, int, str]]) -> None:
    """No reference names a module where it is imported, so `refs pkg/mod.py::` left out every importer: for a
    module nothing else uses, it found nothing. An import is at column 1: the index keeps its line only."""
    found = [r for r in index.references(module) if r.kind == "import"]
    assert [(r.path, r.line, r.name) for r in found] == imports
    assert {(r.col, r.qualifier, r.target) for r in found} <= {(1, "", index.definitions(module)[0].id)}


PACKAGE = {"pkg/__init__.py": "", "pkg/mod.py": "", "pkg/other.py": "",
           "a.py": "from pkg import mod, other\n", "b.py": "from pkg import other\n",
           # ns/ holds no __init__.py: a namespace package (PEP 420)
           "ns/mod.py": "def f():\n    return 1\n", "ns/other.py": "", "ns/user.py": "from . import mod\n",
           "d.py": "from ns import mod\n\nmod.f()\n"}


@pytest.mark.parametrize(("module", "imports"), [
    ("pkg/mod.py::", [("a.py", 1, "pkg.mod")]),  # a name `from pkg import` takes: a module of the package
    ("pkg/__init__.py::", [("a.py", 1, "pkg"), ("b.py", 1, "pkg")]),  # a.py's two names, one import of pkg
    ("ns/mod.py::", [("d.py", 1, "ns.mod"), ("ns/user.py", 1, ".mod")]),  # a name taken from a namespace package
    ("ns/other.py::", []),  # not a name they take
])
def test_a_modules_imports_from_its_package(tmp_path: Path, module: str, imports: list[tuple[str, int, str]]) -> None:
    with Index.open(make_repo(tmp_path / "r", PACKAGE)) as ix:
        ix.build()
        assert [(r.path, r.line, r.name) for r in ix.references(module) if r.kind == "import"] == imports


def test_a_module_of_a_namespace_package_is_found_from_its_folder(tmp_path: Path) -> None:
    """`from ns import mod`, ns/ holding no __init__.py (PEP 420): the import is of the folder ns/, and `mod` is
    its module ns/mod.py. No file is named `ns`: the import had no target, and mod.f() resolved to nothing."""
    with Index.open(make_repo(tmp_path / "r", PACKAGE)) as ix:
        ix.build()
        assert [i.target for i in ix.imports("d.py")] == ["ns"]
        assert [(r.path, r.line, r.col, r.kind) for r in ix.references("ns/mod.py::f")] == [("d.py", 3, 5, "call")]


def test_outline_lists_symbols_in_order(index: Index) -> None:
    assert [(s.kind, s.qualname, s.start_line) for s in index.outline("pkg/models.py")] == [
        ("class", "pkg.models.User", 1),
        ("method", "pkg.models.User.__init__", 4),
        ("method", "pkg.models.User.get_user_name", 7),
        ("function", "pkg.models.make_user", 11),
    ]
    with pytest.raises(UsageError):
        index.outline("missing.py")


def test_search_returns_ranked_chunks_with_text(index: Index) -> None:
    hits = index.search("make user")
    assert hits[0].symbol == "pkg/models.py::make_user" and hits[0].text.startswith("def make_user(name):")
    assert hits[0].score >= hits[-1].score


def test_imports_and_importers(index: Index) -> None:
    assert [(i.line, i.module, i.names, i.alias, i.target) for i in index.imports("pkg/views.py")] == [
        (1, "pkg.models", ["make_user"], None, "pkg/models.py"),
        (2, ".", ["models"], None, "pkg/__init__.py"),
        (3, "pkg.models", [], "m", "pkg/models.py"),
    ]
    assert index.importers("pkg/models.py") == ["pkg/__init__.py", "pkg/views.py"]


def test_stats_counts(index: Index) -> None:
    stats = index.stats()
    assert (stats["files"], stats["symbols"], stats["imports"], stats["imports_resolved"]) == (5, 9, 5, 5)
    assert stats["languages"] == {"python": 4, "other": 1}
    assert stats["references_resolved"] == 7 and stats["index_bytes"] > 0


@pytest.mark.parametrize("budget", [0, 5, 12, 30, 60, 200, 4000])
def test_repo_map_never_exceeds_its_budget(index: Index, budget: int) -> None:
    text = index.repo_map(budget)
    assert token_counter()(text) <= budget


def test_repo_map_ranks_the_most_used_definitions_first(index: Index) -> None:
    text = index.repo_map(4000)
    assert text.splitlines()[0] == "pkg/models.py:"
    assert "  class User" in text and "  def make_user(name)" in text


def test_repo_map_focus_brings_a_file_forward(index: Index) -> None:
    assert index.repo_map(4000, focus=["pkg/views.py"]).splitlines()[:2] == ["pkg/views.py:", "  def show(name)"]


def test_repo_map_focus_on_a_name_shows_it_with_its_public_members_first(index: Index) -> None:
    assert index.repo_map(20, focus=["User"]).splitlines() == [
        "pkg/models.py:", "  class User", "      def get_user_name(self)"]


def test_repo_map_focus_on_a_file_shows_all_it_declares_before_its_members(tmp_path: Path) -> None:
    """A focused file was taken in line order, members and all: the methods of a big class at its top filled the
    budget, and the classes and functions declared after it (django's query.py: RawQuerySet, Prefetch,
    prefetch_related_objects) were left out for `_private` methods."""
    methods = "".join(f"    def method_{i}(self):\n        pass\n\n    def _helper_{i}(self):\n        pass\n\n"
                      for i in range(40))
    source = f"class Big:\n{methods}\nclass After:\n    def run(self):\n        pass\n\n\ndef last():\n    pass\n"
    with Index.open(make_repo(tmp_path / "r", {"q.py": source})) as ix:
        ix.build()
        lines = ix.repo_map(60, focus=["q.py"]).splitlines()
    assert lines[:4] == ["q.py:", "  class Big", "      def method_0(self)", "      def method_1(self)"]
    assert lines[-2:] == ["  class After", "  def last()"]
    assert not any("_helper" in line for line in lines)


def test_repo_map_focus_on_a_file_leaves_out_what_its_functions_define(tmp_path: Path) -> None:
    """A focused file's listing showed the functions and classes defined in its functions (flask's app.py: the
    `wrapper` of remove_ctx and of add_ctx), which nothing outside them can name, where the budget had room for
    the file's own."""
    source = ("def deco(f):\n    def wrapper():\n        class Local:\n            x = 1\n        return f()\n"
              "    return wrapper\n\n\nclass K:\n    def m(self):\n        def inner():\n            pass\n")
    with Index.open(make_repo(tmp_path / "r", {"q.py": source})) as ix:
        ix.build()
        assert ix.repo_map(200, focus=["q.py"]).splitlines() == ["q.py:", "  def deco(f)", "  class K",
                                                                   "      def m(self)"]


USED_BELOW_VALUES = {  # App used thrice from use.py, make_app twice, LIMIT once; the TypeVars and helper not at all
    "q.py": 'import typing as t\n\nT_one = t.TypeVar("T_one")\nT_two = t.TypeVar("T_two")\nLIMIT = 10\n\n\n'
            "def helper(x):\n    return x\n\n\nclass App:\n    def run(self):\n        pass\n\n\n"
            "def make_app():\n    return App()\n",
    "use.py": "from q import LIMIT, App, make_app\n\nmake_app(), make_app()\nApp.run(App())\nprint(App, LIMIT)\n",
}


@pytest.mark.parametrize(("budget", "lines"), [
    (8, ["class App"]),  # the most used
    (12, ["class App", "def make_app()"]),
    (20, ["LIMIT = 10", "class App", "def make_app()"]),  # a value other files use
    (25, ["LIMIT = 10", "def helper(x)", "class App", "def make_app()"]),  # a function nothing outside uses
    (30, ["LIMIT = 10", "def helper(x)", "class App", "    def run(self)", "def make_app()"]),  # then members
    (60, ['T_one = t.TypeVar("T_one")', 'T_two = t.TypeVar("T_two")', "LIMIT = 10", "def helper(x)", "class App",
          "    def run(self)", "def make_app()"]),  # last the values nothing outside uses
])
def test_repo_map_focus_on_a_file_shows_what_other_files_use_first(tmp_path: Path, budget: int,
                                                                   lines: list[str]) -> None:
    """A focused file's listing was taken in line order, top-level first: flask's app.py spent a small budget on the
    TypeVars above `class Flask`, which nothing outside the file uses. What other files use comes first, the most
    used first, then the file's other classes and functions, their members, and last the values nothing outside
    uses; each drawn where it is written."""
    with Index.open(make_repo(tmp_path / "r", USED_BELOW_VALUES)) as ix:
        ix.build()
        assert ix.repo_map(budget, focus=["q.py"]).splitlines() == ["q.py:", *(f"  {line}" for line in lines)]


def test_repo_map_focus_on_a_qualified_name_is_on_that_symbol_alone(tmp_path: Path) -> None:
    """`--focus QuerySet.filter` focused every definition named filter (django's Library.filter, the log filters, a
    JavaScript `filter:`): the name was cut to its last part."""
    files = {"a_log.py": "class RequireDebug:\n    def filter(self, record):\n        pass\n",
             "q.py": "class QuerySet:\n    def filter(self):\n        pass\n"}
    with Index.open(make_repo(tmp_path / "r", files)) as ix:
        ix.build()
        assert ix.repo_map(20, focus=["QuerySet.filter"]).splitlines() == [
            "q.py:", "  class QuerySet", "      def filter(self)"]
        assert ix.repo_map(20, focus=["filter"]).splitlines() == [
            "a_log.py:", "  class RequireDebug", "      def filter(self, record)"]


def test_repo_map_shows_every_class_that_holds_a_method_it_shows(tmp_path: Path) -> None:
    """Inner.filter was drawn under RequireQuiet.filter without its class, as a function nested in that method."""
    source = ("class RequireDebug:\n    def filter(self, record):\n        pass\n\n\nclass RequireQuiet:\n"
              "    def filter(self, record):\n        pass\n\n    class Inner:\n        def filter(self, record):\n"
              "            pass\n")
    with Index.open(make_repo(tmp_path / "r", {"log.py": source})) as ix:
        ix.build()
        assert ix.repo_map(200, focus=["filter"]).splitlines() == [
            "log.py:", "  class RequireDebug", "      def filter(self, record)", "  class RequireQuiet",
            "      def filter(self, record)", "      class Inner", "          def filter(self, record)"]


def test_token_counter_matches_cl100k() -> None:
    import bpe_openai

    text = "def get_user_name(self) -> str:\n    return self.name  # ünïcode\n"
    assert token_counter()(text) == len(bpe_openai.get_encoding("cl100k_base").encode(text))
