"""An update of the call graph leaves the rows a cold build of the same tree gives: `calls` and `resolved_refs`.

Each case resolves a small tree, applies its edits (new text, or None to delete) with an index update and a
resolution after each, then compares both tables with a cold build of a copy. The cases are what a fuzzer of
imports, star imports, aliases and `__all__` found the update getting wrong, values a caller the redone file does
not import passes into it, and choices that followed the order the modules were built in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.graph.index import Index
from codewright.graph.pyresolve import integrate

CALLER = "def caller():\n    {}\n"
MANY = "".join(f"def {{0}}{i}():\n    pass\n\n\n" for i in range(10))
FROM_A = f"from a import {', '.join(f'g{i}' for i in range(10))}\n\n\n"
ASSIGNED = "".join(f"h = {n}{i}\n" for n in "fg" for i in range(10)) + "\n\n"
BASES = "from b import B\nfrom a import A\n\nBase = B if B else A\n\n\nclass C(Base):\n    pass\n\n\n"
RUN = "class Base:\n    def run(self):\n{}        self.hook()\n\n    def hook(self):\n        pass\n"
SUB = "from a import Base\n\n\nclass Sub(Base):\n    def hook(self):\n        pass\n\n\nSub().run()\n"
MAKE = "def make():\n{}    return x\n"
USE_MAKE = "from a import make\n" + CALLER.format("make().m()")
TWO_CLASSES = "class A:\n    def m(self):\n        pass\n\n\nclass B:\n    def m(self):\n        pass\n\n\n"


def _resolve(root: Path) -> dict[str, list[tuple]]:
    with Index.open(root) as index:
        index.build()
        integrate.ensure(index.conn, index.root)
    conn = sqlite3.connect(root / ".codewright" / "index.db")
    try:
        return {"calls": sorted(conn.execute("SELECT caller, callee, path, line, col, external FROM calls")),
                "resolved_refs": sorted(conn.execute("SELECT path, line, col, target, external FROM resolved_refs"))}
    finally:
        conn.close()


def _apply(root: Path, path: str, text: str | None) -> None:
    f = root / path
    if text is None:
        f.unlink()
        return
    f.parent.mkdir(parents=True, exist_ok=True)
    old = f.stat().st_mtime_ns if f.exists() else 0
    f.write_text(text)
    os.utime(f, ns=(max(old, f.stat().st_mtime_ns) + 10**9,) * 2)  # a new mtime, however coarse the clock


CASES = [
    pytest.param({"pkg/__init__.py": "def f():\n    return 1\n", "pkg/a.py": "def f():\n    return 1\n",
                  "top.py": "import pkg.a\n" + CALLER.format("pkg.a.f()\n    pkg.f()")},
                 [("top.py", "import pkg.a\n\n" + CALLER.format("pkg.a.f()\n    pkg.f()"))],
                 id="a module analysed without its package's __init__.py keeps its dotted name, the package is in the tree"),
    pytest.param({"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/c.py": "class K:\n    pass\n",
                  "use.py": "import pkg\n" + CALLER.format("pkg.sub.c.K()")},
                 [("use.py", "import pkg\n\n" + CALLER.format("pkg.sub.c.K()"))],
                 id="a submodule read as an attribute, never imported, is in the tree"),
    pytest.param({"c.py": "def g():\n    return 1\n", "a.py": "from c import *\n",
                  "b.py": "from a import *\n" + CALLER.format("f()")},
                 [("c.py", "def g():\n    return 1\n\n\ndef f():\n    return 2\n")],
                 id="a name star-imported through a module that is no package appears"),
    pytest.param({"c.py": "def g():\n    return 1\n", "a.py": "from c import f\n",
                  "b.py": "from a import f\n" + CALLER.format("f()")},
                 [("c.py", "def f():\n    return 1\n"), ("c.py", "class f:\n    pass\n"), ("c.py", None)],
                 id="a from-import chain's name appears, changes kind and goes with its module"),
    pytest.param({"a.py": "def g():\n    return 1\n", "use.py": "from a import *\n" + CALLER.format("f()")},
                 [("a.py", None)],
                 id="a deleted module's importer that resolved nothing into it"),
    pytest.param({"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "use.py": "import pkg\n" + CALLER.format(
        "pkg.sub.c.K()")},
                 [("pkg/sub/c.py", "class K:\n    pass\n"), ("pkg/sub/c.py", None)],
                 id="a submodule read as an attribute appears and goes"),
    pytest.param({"a.py": TWO_CLASSES + "def make():\n    return A()\n",
                  "use.py": "from a import make\n" + CALLER.format("make().m()")},
                 [("a.py", TWO_CLASSES + "def make():\n    x = 1\n    return B()\n")],
                 id="a return value changes"),
    pytest.param({"a.py": "def f(cb):\n    cb()\n", "b.py": "from a import f\n\n\ndef g():\n    pass\n\n\nf(g)\n"},
                 [("a.py", "def f(cb):\n    x = 1\n    cb()\n")],
                 id="a redone module's parameter keeps what a caller it does not import passes"),
    pytest.param({"a.py": "def f(cb):\n    cb()\n", "b.py": "from a import f\n\n\ndef h(cb):\n    f(cb)\n",
                  "c.py": "from b import h\n\n\ndef g():\n    pass\n\n\nh(g)\n"},
                 [("a.py", "def f(cb):\n    x = 1\n    cb()\n")],
                 id="a redone module's parameter keeps what its caller's caller passes on"),
    pytest.param({"a.py": "def f(cb=None):\n    cb()\n", "b.py": "from a import f\n\n\ndef h(**kw):\n    f(**kw)\n",
                  "c.py": "from b import h\n\n\ndef g():\n    pass\n\n\nh(cb=g)\n"},
                 [("a.py", "def f(cb=None):\n    x = 1\n    cb()\n")],
                 id="a redone module's keyword parameter keeps what its caller's caller passes on through **kw"),
    pytest.param({"a.py": "def f(cb):\n    cb()\n", "b.py": "from a import f\n\n\ndef h(cb):\n    é = 0; f(cb)\n",
                  "c.py": "from b import h\n\n\ndef g():\n    pass\n\n\nh(g)\n"},
                 [("a.py", "def f(cb):\n    x = 1\n    cb()\n")],
                 id="a call passing a parameter on found after characters beyond ASCII on its line"),
    pytest.param({"a.py": "def f(cb):\n    cb()\n", "b.py": "import a\n\n\ndef h(cb):\n    é = 0; a.f(cb)\n",
                  "c.py": "from b import h\n\n\ndef g():\n    pass\n\n\nh(g)\n"},
                 [("a.py", "def f(cb):\n    x = 1\n    cb()\n")],
                 id="a call passing a parameter on found at the name it calls, as its row has it (a.f(cb))"),
    pytest.param({"a.py": RUN.format(""), "b.py": SUB},
                 [("a.py", RUN.format("        x = 1\n"))],
                 id="a method of a redone base class called on a subclass's instance"),
    pytest.param({"a.py": "handler = None\n\n\ndef fire():\n    handler()\n",
                  "b.py": "import a\n\n\ndef g():\n    pass\n\n\na.handler = g\n"},
                 [("a.py", "handler = None\n\n\ndef fire():\n    x = 1\n    handler()\n")],
                 id="a module attribute another module stores"),
    pytest.param({"a.py": MANY.format("g"), "z.py": FROM_A + MANY.format("f") + ASSIGNED + CALLER.format("h()")},
                 [("z.py", FROM_A + MANY.format("f") + ASSIGNED + CALLER.format("x = 1\n    h()"))],
                 id="a name's targets cut at their bound keep the same ones whichever module was built first"),
    pytest.param({"a.py": "class A:\n    def m(self):\n        pass\n", "b.py": "class B:\n    def m(self):\n        pass\n",
                  "z.py": BASES + CALLER.format("C().m()")},
                 [("z.py", BASES + CALLER.format("x = 1\n    C().m()"))],
                 id="a base expression of two classes orders them the same whichever module was built first"),
    pytest.param({"a.py": TWO_CLASSES + MAKE.format("    x = A()\n"), "use.py": USE_MAKE},
                 [("a.py", TWO_CLASSES + MAKE.format("    x = B()\n"))],
                 id="a statement a return depends on changes"),
    pytest.param({"a.py": TWO_CLASSES + MAKE.format("    x = A()\n    x = B()\n"), "use.py": USE_MAKE},
                 [("a.py", TWO_CLASSES + MAKE.format("    x = A()\n    if flag:\n        x = B()\n"))],
                 id="a statement a return depends on moves into a block"),
    pytest.param({"a.py": TWO_CLASSES + MAKE.format("    x = A()\n    y = [1]\n"), "use.py": USE_MAKE},
                 [("a.py", TWO_CLASSES + MAKE.format("    x = A()\n    y = [B]\n    y.append(x)\n    x = y[1]\n"))],
                 id="a statement no return depended on comes to"),
    pytest.param({"pkg/util.py": "def h():\n    return 1\n", "util.py": "def h():\n    return 2\n",
                  "pkg/mod.py": "import util\n" + CALLER.format("util.h()")},
                 [("pkg/__init__.pyi", ""), ("pkg/__init__.pyi", "x: int\n"), ("pkg/__init__.pyi", None)],
                 id="a stub __init__.pyi that makes a package appears, changes and goes"),
    pytest.param({"ns/m.py": "def g():\n    return 1\n", "use.py": "from ns import m\n" + CALLER.format("m.f()")},
                 [("ns/m.py", "def f():\n    return 1\n"), ("ns/__init__.py", "m = None\n"), ("ns/__init__.py", None),
                  ("ns/m.py", None)],
                 id="a namespace package's module gains the name taken from it, the folder becomes a package and back"),
    pytest.param({"ns/m.py": "", "use.py": "from ns import n\n" + CALLER.format("n.f()")},
                 [("ns/n.py", "def f():\n    return 1\n"), ("ns/n.py", None)],
                 id="the module a namespace package's importer takes from it appears and goes"),
    pytest.param({"side.py": "def f():\n    return 1\n", "use.py": "import side\n" + CALLER.format("side.f()")},
                 [("side/__init__.py", "def f():\n    return 2\n"), ("side/__init__.py", None)],
                 id="a package appears beside a module of its name and goes"),
]


@pytest.mark.parametrize(("start", "edits"), CASES)
def test_an_update_gives_the_rows_of_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    work = make_repo(tmp_path / "work", start)
    _resolve(work)
    for step, (path, text) in enumerate(edits):
        _apply(work, path, text)
        cold = tmp_path / f"cold{step}"
        shutil.copytree(work, cold, ignore=shutil.ignore_patterns(".codewright"))
        assert _resolve(work) == _resolve(cold), f"after edit {step}"


INNER = "    def inner():\n        z = 1\n{}        return z\n\n    x = A()\n"


@pytest.mark.parametrize(("before", "after", "redone"), [
    pytest.param("    x = A()\n    y = 1\n", "    x = A()\n    y = 2\n", 1, id="a statement no return depends on"),
    pytest.param("    x = A()\n    y = 1\n", "    x = B()\n", 2, id="a statement a return depends on"),
    pytest.param("    x = A()\n", "    x = A()\n    x.m()\n", 2, id="a statement that uses a returned name"),
    pytest.param("    x = A()\n", "    x = A()\n    cb = lambda: 1\n", 2, id="a lambda: it has a symbol id"),
    pytest.param("    x = A()\n", "    x = A()\n    A.tag = 1\n", 2, id="an attribute store"),
    pytest.param(INNER.format(""), INNER.format("        w = 2\n"), 1, id="a statement of a nested function"),
    pytest.param(INNER.format(""), INNER.format("        z = A()\n"), 2, id="what a nested function returns"),
])
def test_an_edit_in_a_function_returning_a_value_redoes_its_importers_only_where_they_may_see_it(
        tmp_path: Path, before: str, after: str, redone: int) -> None:
    """Its importers were redone on every edit of its body (84 files, 12 s, for django/forms/fields.py)."""
    work = make_repo(tmp_path / "work", {"a.py": TWO_CLASSES + MAKE.format(before), "use.py": USE_MAKE})
    _resolve(work)
    _apply(work, "a.py", TWO_CLASSES + MAKE.format(after))
    with Index.open(work) as index:
        index.build()
        assert integrate.ensure(index.conn, index.root) == redone


@pytest.mark.parametrize("edited", [False, True], ids=["no file changed", "a file changed"])
def test_a_call_graph_resolved_in_another_format_is_resolved_whole_again_once(tmp_path: Path, edited: bool) -> None:
    """An index resolved before `FORMAT` was kept (or by another one) holds digests of another format: an update
    widened to nearly every module, in rounds, and kept an older resolver's rows where it did not reach; with no
    file changed it kept them all."""
    work = make_repo(tmp_path / "work", {"a.py": TWO_CLASSES + MAKE.format("    x = A()\n"), "use.py": USE_MAKE,
                                         "other.py": "def lone():\n    pass\n"})
    _resolve(work)
    conn = sqlite3.connect(work / ".codewright" / "index.db")
    with conn:
        conn.execute("DELETE FROM meta WHERE key=?", integrate.FORMAT[:1])
        conn.execute("UPDATE pyresolve_digests SET digest='of another format'")
        conn.execute("INSERT INTO calls VALUES ('other.py::lone', 'gone.py::f', 'other.py', 2, 5, 0)")
    conn.close()
    if edited:
        _apply(work, "a.py", TWO_CLASSES + MAKE.format("    x = A()\n    y = 1\n"))
    with Index.open(work) as index:
        index.build()
        counts = integrate.dirty_count(index.conn), integrate.ensure(index.conn, index.root)
        again = integrate.ensure(index.conn, index.root)
    cold = tmp_path / "cold"
    shutil.copytree(work, cold, ignore=shutil.ignore_patterns(".codewright"))
    assert (counts, again) == ((3, 3), 0)
    assert _resolve(work) == _resolve(cold)


def test_a_stub_edited_where_it_makes_no_package_appear_redoes_nothing(tmp_path: Path) -> None:
    """An __init__.pyi changes the call graph only by making its folder a package; no call is resolved in it."""
    work = make_repo(tmp_path / "work", {"pkg/__init__.py": "", "pkg/__init__.pyi": "", "pkg/a.py": "x = 1\n",
                                         "use.py": "import pkg\n" + CALLER.format("pkg.a.f()")})
    _resolve(work)
    _apply(work, "pkg/__init__.pyi", "x: int\n")
    with Index.open(work) as index:
        index.build()
        assert (integrate.dirty_count(index.conn), integrate.ensure(index.conn, index.root)) == (1, 0)


def test_an_update_that_fails_while_writing_leaves_the_call_graph_as_it_was(tmp_path: Path) -> None:
    """The rows are replaced in one transaction: the index's connection commits each statement on its own, and
    `with conn` began none, so the old rows were deleted and the new calls written before a failure at the
    references (a full disk), which left the two tables of two resolutions; and each row's commit took django's
    first question 60 of its 100 seconds."""
    two = "def g():\n    pass\n\n\ndef h():\n    pass\n\n\n"
    work = make_repo(tmp_path / "work", {"a.py": two + CALLER.format("g()")})
    before = _resolve(work)
    _apply(work, "a.py", two + CALLER.format("h()"))
    with Index.open(work) as index:
        index.build()
        index.conn.execute("CREATE TRIGGER full BEFORE INSERT ON resolved_refs BEGIN SELECT RAISE(ABORT, 'full'); "
                           "END")
        with pytest.raises(sqlite3.IntegrityError, match="full"):
            integrate.ensure(index.conn, index.root)
        index.conn.execute("DROP TRIGGER full")
        assert integrate.dirty_count(index.conn) == 1
    conn = sqlite3.connect(work / ".codewright" / "index.db")
    try:
        assert sorted(conn.execute("SELECT caller, callee, path, line, col, external FROM calls")) == before["calls"]
    finally:
        conn.close()
