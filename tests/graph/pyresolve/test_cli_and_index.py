"""The commands end to end, through the index: JSON validated against docs/cli.md."""

from __future__ import annotations

import json
import os

import pytest
from tests.support.cli_schema import validate, validate_strictly

from codewright.cli.main import main
from codewright.graph.index import Index

from .support import write_tree

REPO = {
    "src/shop/__init__.py": "",
    "src/shop/tax.py": "def rate():\n    return 0.2\n",
    "src/shop/cart.py": "from .tax import rate\n\nclass Cart:\n    def total(self):\n        return rate()\n",
    "app.py": "from shop.cart import Cart\n\ndef checkout():\n    return Cart().total()\n\ncheckout()\n",
    "other.py": "def rate():\n    pass\n",
}


def run_json(capsys, *argv) -> dict:
    """What `codewright ARGV` prints, checked against its command's schema, which must catch a field renamed,
    missing or added."""
    assert main(list(argv)) == 0
    out = json.loads(capsys.readouterr().out)
    validate_strictly(argv[0], out)
    return out


@pytest.fixture
def repo(tmp_path):
    write_tree(tmp_path, REPO)
    return tmp_path


def test_callers_callees_impact(repo, capsys):
    out = run_json(capsys, "callers", "src/shop/tax.py::rate", "--repo", str(repo), "--json")
    assert out["callers"] == [{"id": "src/shop/cart.py::Cart.total", "path": "src/shop/cart.py", "line": 5,
                               "col": 16}]
    out = run_json(capsys, "callees", "app.checkout", "--repo", str(repo), "--json")
    assert {(c["id"], c["external"]) for c in out["callees"]} == {("src/shop/cart.py::Cart", False),
                                                                 ("src/shop/cart.py::Cart.total", False)}
    out = run_json(capsys, "impact", "src/shop/tax.py::rate", "--repo", str(repo), "--json")
    assert out["callers"] == [
        {"id": "src/shop/cart.py::Cart.total", "distance": 1, "via": "src/shop/tax.py::rate"},
        {"id": "app.py::checkout", "distance": 2, "via": "src/shop/cart.py::Cart.total"},
        {"id": "app.py::", "distance": 3, "via": "app.py::checkout"},
    ]
    out = run_json(capsys, "impact", "src/shop/tax.py::rate", "--repo", str(repo), "--json", "--depth", "1")
    assert [c["id"] for c in out["callers"]] == ["src/shop/cart.py::Cart.total"]


CONSTRUCTED = {
    "m.py": "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int = 0\n\nclass Plain:\n    pass\n\n"
            "class WithInit:\n    def __init__(self):\n        pass\n\nclass Failed(Exception):\n    pass\n",
    "use.py": "import m\nfrom m import Point, Plain, WithInit\n\ndef make():\n    return Point(1), Plain(), m.WithInit()\n\n"
              "def fail():\n    raise m.Failed\n",
}


@pytest.mark.parametrize(("symbol", "callers"), [
    ("m.py::Point", [("use.py::make", 5, 12)]),
    ("m.py::Plain", [("use.py::make", 5, 22)]),
    ("m.py::WithInit", [("use.py::make", 5, 33)]),  # m.WithInit(): at its name
    ("m.py::WithInit.__init__", [("use.py::make", 5, 33)]),
    ("m.py::Failed", [("use.py::fail", 8, 11)]),
])
def test_constructing_a_class_calls_it(tmp_path, capsys, symbol, callers):
    """A class had no callers: only the __init__ a construction runs had one, and a class without one had none."""
    write_tree(tmp_path, CONSTRUCTED)
    out = run_json(capsys, "callers", symbol, "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["line"], c["col"]) for c in out["callers"]] == callers


WIDE = {"m.py": "class A:\n    def m(self):\n        return 1\n\nclass B:\n    def m(self):\n        return 2\n\n"
                "def use():\n    a = A(); s = \"日本\"; return a.m()\n"}


def test_columns_count_characters_beyond_ascii(tmp_path, capsys):
    """The call graph's columns counted UTF-8 bytes (col_offset): `日本` put the call 4 columns right of where `refs`
    and editors have it, and `def` at the method's name missed the call graph's answer (both `m` were given)."""
    write_tree(tmp_path, WIDE)
    out = run_json(capsys, "callers", "m.py::A.m", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["line"], c["col"]) for c in out["callers"]] == [("m.py::use", 10, 33)]
    out = run_json(capsys, "callees", "m.py::use", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["line"], c["col"]) for c in out["callees"]] == [("m.py::A", 10, 9), ("m.py::A.m", 10, 33)]
    out = run_json(capsys, "def", "m.py:10:33", "--repo", str(tmp_path), "--json")
    assert [d["id"] for d in out["definitions"]] == ["m.py::A.m"]


AT_NAME = {"m.py": "class A:\n    def m(self):\n        return 1\n\n\ndef f():\n    return A()\n",
           "use.py": "import m\nfrom m import f\n\n\ndef use():\n    a = m.A()\n    a.m(); m.f().m(); f()\n"
                     "    return (a\n            .m())\n"}


@pytest.mark.parametrize(("symbol", "spots"), [
    ("m.py::A.m", [(7, 7), (7, 18), (9, 14)]),  # a.m(), m.f().m(), `a` on one line and `.m()` on the next
    ("m.py::f", [(7, 14), (7, 23)]),  # m.f(), and f() at its start
])
def test_a_call_is_at_the_name_it_calls_as_refs_has_it(tmp_path, capsys, symbol, spots):
    """`obj.method(x)` was at `obj` in callers and callees, at `method` in refs, which editors jump to too: two
    columns for one call, and the line of `obj` for a call continued on the next."""
    write_tree(tmp_path, AT_NAME)
    out = run_json(capsys, "callers", symbol, "--repo", str(tmp_path), "--json")
    assert [(c["line"], c["col"]) for c in out["callers"]] == spots
    refs = run_json(capsys, "refs", symbol.rpartition(".")[2].rpartition(":")[2], "--repo", str(tmp_path), "--json")
    assert [(r["line"], r["col"]) for r in refs["references"] if r["path"] == "use.py" and r["kind"] == "call"] == spots
    out = run_json(capsys, "callees", "use.py::use", "--repo", str(tmp_path), "--json")
    assert {(c["line"], c["col"]) for c in out["callees"] if c["id"] == symbol} == set(spots)


TWO_METHODS = ("class A:\n    def m(self):\n        return 1\n\nclass B:\n    def m(self):\n        return 2\n\n"
               "def use():\n    a = A()\n    return a.m()\n")


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + TWO_METHODS.encode(),  # a UTF-8 BOM, as Windows editors write
    b"# -*- coding: latin-1 -*-\n\xe9t\xe9 = 1\n" + TWO_METHODS.encode(),  # the encoding it declares
])
def test_source_is_decoded_as_python_decodes_it(tmp_path, capsys, data):
    """Decoded as UTF-8 alone, the BOM was a character the parser refused, and the latin-1 é bytes it could not
    read: the whole file went to the name-only fallback, which cannot tell which `m` `a.m()` calls."""
    (tmp_path / "m.py").write_bytes(data)
    out = run_json(capsys, "callees", "m.use", "--repo", str(tmp_path), "--json")
    assert [c["id"] for c in out["callees"]] == ["m.py::A", "m.py::A.m"]


@pytest.mark.parametrize(("argv", "line"), [
    (["callers", "other.py::rate"], "  (no callers in the call graph)"),
    (["callees", "other.py::rate"], "  (calls nothing in the call graph)"),
    (["callers", "web/app.js::start"],
     "  (no callers in the call graph: it covers Python only; `codewright refs start` lists this name's uses)"),
    (["impact", "web/app.js::start"],
     "  (no callers in the call graph: it covers Python only; `codewright refs start` lists this name's uses)"),
    (["callees", "web/app.js::start"], "  (calls nothing in the call graph: it covers Python only)"),
])
def test_an_empty_answer_says_so(repo, capsys, argv, line):
    write_tree(repo, {"web/app.js": "function start() { return go(); }\nstart();\n"})
    assert main([*argv, "--repo", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines() == [argv[1], line]


@pytest.mark.parametrize(("argv", "out"), [
    (["callers", "app.py::"], {"symbol": "app.py::", "callers": []}),
    (["callees", "other.py::rate"], {"symbol": "other.py::rate", "callees": []}),
    (["impact", "app.py::"], {"symbol": "app.py::", "depth": 3, "callers": []}),
    (["callers", "web/app.js::start"], {"symbol": "web/app.js::start", "callers": []}),
])
def test_an_empty_answer_is_an_empty_list_in_json(repo, capsys, argv, out):
    write_tree(repo, {"web/app.js": "function start() { return go(); }\nstart();\n"})
    assert run_json(capsys, *argv, "--repo", str(repo), "--json") == out


def test_ambiguous_name_lists_candidates(repo, capsys):
    assert main(["callers", "rate", "--repo", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "other.py::rate" in err and "src/shop/tax.py::rate" in err


def test_a_bare_name_means_the_python_symbol_not_a_javascript_one(tmp_path, capsys):
    """A JavaScript function's qualname is its bare name, which matched before the Python `m.helper`."""
    write_tree(tmp_path, {"a.js": "function helper() {}\nfunction only() {}\n",
                          "m.py": "def helper():\n    pass\n\ndef user():\n    helper()\n"})
    assert main(["callers", "helper", "--repo", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "m.py::helper\n  m.py::user  m.py:5:5\n"
    assert main(["impact", "only", "--repo", str(tmp_path)]) == 2
    assert "'only' is a javascript symbol (a.js::only): the call graph covers Python only" in capsys.readouterr().err


def test_a_bare_name_means_the_function_not_the_module_of_that_name(tmp_path, capsys):
    """`main` is also the qualname of the module main.py, which was chosen, and had no callers."""
    write_tree(tmp_path, {"main.py": "def main():\n    pass\n", "app.py": "from main import main\n\n\ndef run():\n"
                          "    main()\n"})
    assert main(["callers", "main", "--repo", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "main.py::main\n  app.py::run  app.py:5:5\n"


@pytest.mark.parametrize(("symbol", "found"), [
    ("Cart.total", "src/shop/cart.py::Cart.total"),  # calls something
    ("tax.rate", "src/shop/tax.py::rate"),  # calls nothing: was "no symbol named"
    ("shop.tax.rate", "src/shop/tax.py::rate"),
    ("shop.cart.rate", "src/shop/tax.py::rate"),  # as cart.py imports it: was "no symbol named"
    ("cart.rate", "src/shop/tax.py::rate"),
])
def test_a_qualified_name_s_last_parts_name_the_symbol(repo, capsys, symbol, found):
    out = run_json(capsys, "callers", symbol, "--repo", str(repo), "--json")
    assert out["symbol"] == found


def test_a_member_a_class_inherits_names_the_base_s(tmp_path, capsys):
    """`callers Flask.route` said there was no symbol named so: flask's Flask inherits route from Scaffold."""
    write_tree(tmp_path, {**REPO, "src/shop/bulk.py": "from .cart import Cart\n\nclass Bulk(Cart):\n    pass\n"})
    out = run_json(capsys, "callers", "Bulk.total", "--repo", str(tmp_path), "--json")
    assert out["symbol"] == "src/shop/cart.py::Cart.total"


@pytest.mark.parametrize(("query", "position", "found"), [
    ("callers", "src/shop/cart.py:4:9", "src/shop/cart.py::Cart.total"),  # on its definition's name
    ("callers", "app.py:4:19", "src/shop/cart.py::Cart.total"),  # on a call of it: `total` in Cart().total()
    ("callees", "app.py:3:5", "app.py::checkout"),
    ("impact", "src/shop/cart.py:5:16", "src/shop/tax.py::rate"),  # through cart.py's import of it
    ("callers", "{repo}/src/shop/tax.py:1:5", "src/shop/tax.py::rate"),  # a FILE as outline reads one
])
def test_a_position_names_the_symbol_there_as_def_reads_it(repo, capsys, query, position, found):
    """`callers FILE:LINE:COL`, where an editor's cursor stands, was `no symbol named`: def and refs took it."""
    out = run_json(capsys, query, position.format(repo=repo), "--repo", str(repo), "--json")
    assert out["symbol"] == found


@pytest.mark.parametrize(("position", "error"), [
    ("app.py:2:1", "codewright: no symbol is defined or used at app.py:2:1\n"),
    ("app.py:4", "codewright: app.py:4: a position needs its column too: FILE:LINE:COL\n"),
    ("nowhere.py:1:1", "codewright: nowhere.py is not in the index\n"),
    ("src/shop:1:1", "codewright: src/shop is a folder: give one of its files\n"),
])
def test_a_position_naming_no_symbol_is_a_usage_error(repo, capsys, position, error):
    assert main(["callers", position, "--repo", str(repo)]) == 2
    assert capsys.readouterr().err == error


@pytest.mark.parametrize("sid", ["src/shop/tax.py::rat", "::", "nowhere.py::rate"])
def test_an_unknown_id_is_a_usage_error(repo, capsys, sid):
    assert main(["impact", sid, "--repo", str(repo)]) == 2
    assert f"no symbol with the id {sid!r}" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["callers", "callees", "impact"])
@pytest.mark.parametrize(("symbol", "message"), [
    ("nope", "codewright: no symbol named 'nope'\n"),
    ("rate", None),  # ambiguous: the candidates, on several lines
])
def test_a_symbol_not_found_prints_no_json(repo, capsys, command, symbol, message):
    """With --json too, a usage error is said on stderr alone: no half document on stdout for a reader to parse."""
    assert main([command, symbol, "--repo", str(repo), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and (message is None or err == message) and "Traceback" not in err


def test_incremental_update_re_resolves_importers(repo, capsys):
    run_json(capsys, "callers", "src/shop/tax.py::rate", "--repo", str(repo), "--json")
    tax = repo / "src/shop/tax.py"
    tax.write_text("def rate():\n    return 0.2\n\ndef vat():\n    return rate()\n")
    cart = repo / "src/shop/cart.py"
    cart.write_text("from .tax import vat as rate\n\nclass Cart:\n    def total(self):\n        return rate()\n")
    for f in (tax, cart):
        os.utime(f, ns=(f.stat().st_mtime_ns + 10**9,) * 2)
    with Index.open(repo) as index:
        index.update(["src/shop/tax.py", "src/shop/cart.py"])
    out = run_json(capsys, "callees", "src/shop/cart.py::Cart.total", "--repo", str(repo), "--json")
    assert [c["id"] for c in out["callees"]] == ["src/shop/tax.py::vat"]
    out = run_json(capsys, "callers", "src/shop/tax.py::rate", "--repo", str(repo), "--json")
    assert [c["id"] for c in out["callers"]] == ["src/shop/tax.py::vat"]


INCREMENTAL_CASES = [
    # (files, then files changed (None: deleted), the caller): incremental answers must be a cold build's
    ("a deleted module", {"a.py": "def f():\n    return 1\n", "b.py": "from a import f\ndef g():\n    return f()\n"},
     {"a.py": None}, "b.py::g"),
    ("a method renamed in a base class reached through another module",
     {"base.py": "class Base:\n    def helper(self):\n        return 1\n",
      "child.py": "from base import Base\nclass Child(Base):\n    pass\n",
      "use.py": "from child import Child\ndef run():\n    Child().helper()\n"},
     {"base.py": "class Base:\n    def helper2(self):\n        return 1\n"}, "use.py::run"),
    ("a function renamed behind a chain of re-exports",
     {"pkg/__init__.py": "from pkg.mid import helper\n", "pkg/mid.py": "from pkg.helpers import helper\n",
      "pkg/helpers.py": "def helper():\n    return 1\n", "use.py": "from pkg import helper\ndef main():\n    helper()\n"},
     {"pkg/helpers.py": "def helperX():\n    return 1\n"}, "use.py::main"),
]


@pytest.mark.parametrize(("label", "files", "changes", "caller"), INCREMENTAL_CASES, ids=[c[0] for c in INCREMENTAL_CASES])
def test_an_update_leaves_no_call_into_what_is_gone(tmp_path, capsys, label, files, changes, caller):
    """The call graph kept edges into a deleted module or a renamed definition: only the changed files' importers
    of today were redone."""
    cold = tmp_path / "cold"
    for root in (tmp_path / "inc", cold):
        write_tree(root, files)
    run_json(capsys, "callees", caller, "--repo", str(tmp_path / "inc"), "--json")
    for root in (tmp_path / "inc", cold):
        for path, text in changes.items():
            if text is None:
                (root / path).unlink()
            else:
                write_tree(root, {path: text})
                os.utime(root / path, ns=((root / path).stat().st_mtime_ns + 10**9,) * 2)
    assert main(["index", str(tmp_path / "inc")]) == 0
    capsys.readouterr()
    incremental = run_json(capsys, "callees", caller, "--repo", str(tmp_path / "inc"), "--json")["callees"]
    assert incremental == run_json(capsys, "callees", caller, "--repo", str(cold), "--json")["callees"]


def test_namespace_packages_name_their_modules(tmp_path, capsys):
    """Folders without __init__.py above a module (PEP 420): imports name it by the longer name."""
    write_tree(tmp_path, {"ns/sub/util.py": "def helper():\n    return 1\n",
                          "app/main.py": "from ns.sub.util import helper\nimport ns.sub.util as u\n\n"
                                         "def main():\n    return helper() + u.helper()\n"})
    out = run_json(capsys, "callers", "ns/sub/util.py::helper", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["col"]) for c in out["callers"]] == [("app/main.py::main", 12), ("app/main.py::main", 25)]


@pytest.mark.parametrize("folder", [
    pytest.param({}, id="a folder without __init__.py"),
    pytest.param({"ns/__init__.pyi": ""}, id="a folder with a stub __init__.pyi alone"),
])
def test_a_namespace_package_has_its_modules_as_attributes(tmp_path, capsys, folder):
    """A namespace package (PEP 420), which no file defines, is a module object whose attributes are its submodules,
    as at run time: `from ns import m` and `ns.m` after `import ns.m` named an external `ns`, and m.f() called
    nothing of the tree. A stub-only package is one too: its __init__.pyi does not run."""
    write_tree(tmp_path, {**folder, "ns/m.py": "def f():\n    return 1\n",
                          "app.py": "import ns.m\nfrom ns import m\n\ndef main():\n    return m.f() + ns.m.f()\n"})
    out = run_json(capsys, "callers", "ns/m.py::f", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["col"]) for c in out["callers"]] == [("app.py::main", 14), ("app.py::main", 25)]
    with Index.open(tmp_path) as index:  # the folder is no symbol: `ns` resolves to nothing
        assert index.conn.execute("SELECT col, target FROM resolved_refs WHERE path = 'app.py' AND line = 5"
                                  " ORDER BY col").fetchall() == [(12, "ns/m.py::"), (14, "ns/m.py::f"),
                                                                  (23, "ns/m.py::"), (25, "ns/m.py::f")]


SIDE = "def f():\n    return 1\n"  # the module that loses to a package of its name
SIDE_PACKAGE = "def f():\n    return 2\n"


@pytest.mark.parametrize(("tree", "target", "callee"), [
    pytest.param({"side.py": SIDE, "side/__init__.py": SIDE_PACKAGE,
                  "app.py": "import side\n\ndef main():\n    return side.f()\n"},
                 "side/__init__.py", "side/__init__.py::f", id="a package beside a module of its name"),
    pytest.param({"bin/side.py": SIDE, "side/__init__.py": SIDE_PACKAGE,
                  "app.py": "import side\n\ndef main():\n    return side.f()\n"},
                 "side/__init__.py", "side/__init__.py::f", id="a package at the root, a script in a folder below"),
    pytest.param({"pkg/__init__.py": "", "pkg/side.py": SIDE, "pkg/side/__init__.py": SIDE_PACKAGE,
                  "app.py": "from pkg import side\n\ndef main():\n    return side.f()\n"},
                 "pkg/__init__.py", "pkg/side/__init__.py::f", id="a subpackage beside a submodule, from its package"),
    pytest.param({"pkg/__init__.py": "", "pkg/side.py": SIDE, "pkg/side/__init__.py": SIDE_PACKAGE,
                  "pkg/app.py": "from .side import f\n\ndef main():\n    return f()\n"},
                 "pkg/side/__init__.py", "pkg/side/__init__.py::f", id="a relative import"),
])
def test_a_package_is_imported_before_a_module_of_its_name(tmp_path, capsys, tree, target, callee):
    """As Python's import system takes them: `foo/__init__.py` before `foo.py` in one folder of sys.path, and the
    tree's root before a folder below it. The module was taken in both, by the index and the call graph alike where
    it was beside the package, by the index alone where it was deeper; the index and the call graph agree now."""
    write_tree(tmp_path, tree)
    app = next(p for p in tree if p.endswith("app.py"))
    with Index.open(tmp_path) as index:
        index.build()
        assert [i.target for i in index.imports(app)] == [target]
        assert [(r.path, r.target) for r in index.references("f")] == [(app, callee)]
    out = run_json(capsys, "callees", f"{app}::main", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["external"]) for c in out["callees"]] == [(callee, False)]


@pytest.mark.parametrize("init", ["tools/__init__.py", "tools/__init__.pyi"])
def test_a_new_package_renames_the_modules_below_it(tmp_path, capsys, init):
    """`import fmt` names tools/fmt.py while tools/ is a plain folder (a script's own folder); once
    tools/__init__.py appears the module is `tools.fmt`, and main.py's call is re-resolved although
    neither file changed. A stub __init__.pyi makes a package for the index too (`python_modules`): the call graph
    kept the folder plain, and its answers disagreed with the index's names and imports."""
    write_tree(tmp_path, {"tools/fmt.py": "def pretty():\n    return 1\n",
                          "tools/main.py": "import fmt\n\ndef run():\n    return fmt.pretty()\n"})
    out = run_json(capsys, "callees", "tools/main.py::run", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["external"]) for c in out["callees"]] == [("tools/fmt.py::pretty", False)]
    write_tree(tmp_path, {init: ""})
    with Index.open(tmp_path) as index:
        index.update([init])
    out = run_json(capsys, "callees", "tools/main.py::run", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["external"]) for c in out["callees"]] == [("fmt.pretty", True)]


def test_a_stub_package_names_the_modules_below_it_as_the_index_does(tmp_path, capsys):
    """pkg/ holds an __init__.pyi and no __init__.py: the index names pkg/util.py `pkg.util` and finds util.py for
    `import util` in pkg/mod.py; the call graph named pkg/util.py `util` and chose it, beside pkg/mod.py."""
    write_tree(tmp_path, {"pkg/__init__.pyi": "", "pkg/util.py": "def h():\n    return 1\n",
                          "util.py": "def h():\n    return 2\n",
                          "pkg/mod.py": "import util\n\ndef f():\n    return util.h()\n"})
    with Index.open(tmp_path) as index:
        index.build()
        assert index.conn.execute("SELECT i.target FROM imports i JOIN files f ON f.id = i.file_id "
                                  "WHERE f.path = 'pkg/mod.py'").fetchall() == [("util.py",)]
    out = run_json(capsys, "callees", "pkg/mod.py::f", "--repo", str(tmp_path), "--json")
    assert [(c["id"], c["external"]) for c in out["callees"]] == [("util.py::h", False)]


def test_resolved_refs_table(repo, capsys):
    run_json(capsys, "callers", "src/shop/tax.py::rate", "--repo", str(repo), "--json")
    with Index.open(repo) as index:
        rows = set(index.conn.execute("SELECT path, line, col, target, external FROM resolved_refs"))
    assert ("src/shop/cart.py", 5, 16, "src/shop/tax.py::rate", 0) in rows
    assert ("app.py", 4, 12, "src/shop/cart.py::Cart", 0) in rows
    assert ("app.py", 4, 19, "src/shop/cart.py::Cart.total", 0) in rows


def test_callgraph_pycg_format(repo, capsys, tmp_path):
    out_file = tmp_path / "cg.json"
    argv = ["callgraph", "--format", "pycg", "--package", str(repo / "src"), str(repo / "src/shop/cart.py"),
            "-o", str(out_file)]
    assert main(argv) == 0
    graph = json.loads(out_file.read_text())
    validate("callgraph", graph)
    assert graph["shop.cart.Cart.total"] == ["shop.tax.rate"]
    assert graph["shop.tax.rate"] == []


def test_callgraph_missing_file_is_usage_error(tmp_path, capsys):
    assert main(["callgraph", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_long_first_resolution_is_said_once_on_stderr(tmp_path, capsys):
    """django's first question resolves 2,548 files for a minute: silent, it read as a hang."""
    from codewright.graph.callgraph_cli import NOTICE_FILES

    write_tree(tmp_path, {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(NOTICE_FILES)})
    assert main(["callers", "f1", "--repo", str(tmp_path), "--json"]) == 0
    first = capsys.readouterr().err
    assert first == f"codewright: resolving the call graph of {NOTICE_FILES} changed Python files first\n"
    assert main(["callers", "f1", "--repo", str(tmp_path), "--json"]) == 0
    assert capsys.readouterr().err == ""  # resolved already: nothing to say


def test_a_resolution_after_an_upgrade_is_said_as_one_of_all_files(tmp_path, capsys):
    """A call graph resolved by another version (`integrate.FORMAT`) is resolved whole again though no file
    changed: the line said `N changed Python files`."""
    from codewright.graph.callgraph_cli import NOTICE_FILES
    from codewright.graph.pyresolve import integrate

    write_tree(tmp_path, {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(NOTICE_FILES)})
    assert main(["callers", "f1", "--repo", str(tmp_path), "--json"]) == 0
    capsys.readouterr()
    with Index.open(tmp_path) as index, index.conn:
        index.conn.execute("UPDATE meta SET value='another' WHERE key=?", integrate.FORMAT[:1])
    assert main(["callers", "f1", "--repo", str(tmp_path), "--json"]) == 0
    assert capsys.readouterr().err == (f"codewright: resolving the call graph of {NOTICE_FILES} Python files first "
                                       "(first use of this version)\n")
    assert main(["callers", "f1", "--repo", str(tmp_path), "--json"]) == 0
    assert capsys.readouterr().err == ""
