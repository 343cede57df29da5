"""Index.build and Index.update on a small Python tree: exact rows, and incremental behaviour."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from store_repo import PYTHON_REPO, make_repo

from codewright.graph.index import Index


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", PYTHON_REPO, git=True)


@pytest.fixture
def index(repo: Path):
    with Index.open(repo) as ix:
        ix.build()
        yield ix


def rows(index: Index, sql: str) -> list[tuple]:
    return index.conn.execute(sql).fetchall()


def refs_of(index: Index, path: str) -> list[tuple]:
    return rows(index, "SELECT r.name, r.line, r.col, r.kind, r.qualifier, r.target FROM refs r JOIN files f"
                f" ON f.id=r.file_id WHERE f.path='{path}' AND r.target IS NOT NULL ORDER BY r.line, r.col")


def test_symbols_have_exact_ids_spans_and_signatures(index: Index) -> None:
    got = rows(index, "SELECT sid, qualname, kind, start_line, end_line, signature, doc, parent FROM symbols s"
               " JOIN files f ON f.id=s.file_id WHERE f.path='pkg/models.py' ORDER BY start_line, sid")
    assert got == [
        ("pkg/models.py::", "pkg.models", "module", 1, 12, "", "", None),
        ("pkg/models.py::User", "pkg.models.User", "class", 1, 8, "class User", "A user.", "pkg/models.py::"),
        ("pkg/models.py::User.__init__", "pkg.models.User.__init__", "method", 4, 5,
         "def __init__(self, name)", "", "pkg/models.py::User"),
        ("pkg/models.py::User.get_user_name", "pkg.models.User.get_user_name", "method", 7, 8,
         "def get_user_name(self)", "", "pkg/models.py::User"),
        ("pkg/models.py::make_user", "pkg.models.make_user", "function", 11, 12,
         "def make_user(name)", "", "pkg/models.py::"),
    ]


def test_files_record_language_module_hash_and_lines(index: Index) -> None:
    got = rows(index, "SELECT path, language, module, lines, status, length(hash) FROM files ORDER BY path")
    assert got == [
        ("README.md", None, None, 7, "indexed", 32),
        ("main.py", "python", "main", 3, "indexed", 32),
        ("pkg/__init__.py", "python", "pkg", 1, "indexed", 32),
        ("pkg/models.py", "python", "pkg.models", 12, "indexed", 32),
        ("pkg/views.py", "python", "pkg.views", 9, "indexed", 32),
    ]
    assert rows(index, "SELECT path, parent, files FROM dirs ORDER BY path") == [("", None, 2), ("pkg", "", 3)]


def test_imports_resolve_absolute_relative_and_aliased(index: Index) -> None:
    got = rows(index, "SELECT f.path, i.module, i.names, i.alias, i.level, i.target FROM imports i"
               " JOIN files f ON f.id=i.file_id ORDER BY f.path, i.line")
    assert got == [
        ("main.py", "pkg", "User", None, 0, "pkg/__init__.py"),
        ("pkg/__init__.py", ".models", "User", None, 1, "pkg/models.py"),
        ("pkg/views.py", "pkg.models", "make_user", None, 0, "pkg/models.py"),
        ("pkg/views.py", ".", "models", None, 1, "pkg/__init__.py"),
        ("pkg/views.py", "pkg.models", "", "m", 0, "pkg/models.py"),
    ]


def test_references_resolve_through_imports_aliases_and_reexports(index: Index) -> None:
    assert refs_of(index, "pkg/views.py") == [
        ("make_user", 7, 12, "call", "", "pkg/models.py::make_user"),
        ("models", 8, 13, "name", "", "pkg/models.py::"),
        ("User", 8, 20, "call", "models", "pkg/models.py::User"),
        ("m", 9, 12, "name", "", "pkg/models.py::"),
        ("make_user", 9, 14, "call", "m", "pkg/models.py::make_user"),
    ]
    # `from pkg import User` goes through pkg/__init__.py's re-export to the class itself
    assert refs_of(index, "main.py") == [("User", 3, 7, "call", "", "pkg/models.py::User")]
    # a local variable's method cannot be resolved from imports alone, so it stays open
    open_refs = rows(index, "SELECT name, target FROM refs WHERE name='get_user_name'")
    assert open_refs == [("get_user_name", None)]


def test_chunks_and_full_text_search_split_identifiers(index: Index) -> None:
    got = rows(index, "SELECT f.path, c.kind, c.title, c.start_line, c.end_line FROM chunks c"
               " JOIN files f ON f.id=c.file_id WHERE f.path IN ('README.md', 'pkg/models.py') ORDER BY 1, 4")
    assert got == [
        ("README.md", "doc", "Demo", 1, 3),
        ("README.md", "doc", "Usage", 5, 7),
        ("pkg/models.py", "class", "pkg.models.User", 1, 8),
        ("pkg/models.py", "function", "pkg.models.make_user", 11, 12),
    ]
    hits = index.search("getUserName")  # camelCase query finds the snake_case method's chunk
    assert hits[0].path == "pkg/models.py" and hits[0].title == "pkg.models.User"


def test_second_run_on_unchanged_tree_parses_nothing(index: Index) -> None:
    stats = index.build()
    assert (stats.parsed, stats.unchanged, stats.files) == (0, 5, 5)


def test_touched_but_identical_file_is_not_reparsed(index: Index, repo: Path) -> None:
    path = repo / "pkg" / "models.py"
    path.write_bytes(path.read_bytes())  # new mtime, same content hash
    assert index.build().parsed == 0


def _copied_over_keeping_the_mtime(path: Path, text: str) -> None:  # what `cp -p` of a same-size file does
    st = path.stat()
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _saved_by_rename_keeping_the_mtime(path: Path, text: str) -> None:  # an editor's atomic save, `rsync -t`
    st = path.stat()
    new = path.with_suffix(".new")
    new.write_text(text)
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, path)


@pytest.mark.parametrize("change", [_copied_over_keeping_the_mtime, _saved_by_rename_keeping_the_mtime])
def test_a_file_changed_keeping_its_size_and_mtime_is_indexed_again(index: Index, repo: Path, change) -> None:
    models = repo / "pkg" / "models.py"
    change(models, models.read_text().replace("make_user", "make_used"))
    assert index.stale_paths() == ["pkg/models.py"]
    assert index.build().parsed == 1
    assert rows(index, "SELECT name FROM symbols WHERE name LIKE 'make_use_'") == [("make_used",)]
    assert (index.stale_paths(), index.build().parsed) == ([], 0)


@pytest.mark.parametrize(("started_after_the_file", "read_again"), [(1, False), (0, True), (-1, True)])
def test_a_file_not_older_than_the_last_build_is_read_again(
        index: Index, repo: Path, started_after_the_file: int, read_again: bool) -> None:
    """The row holds other bytes than the file under the same stat: what a change in the same tick of the file
    system's clock as the build's read leaves. Only a file whose times are not older than the build's start
    can be in that state; it alone is hashed again, and found changed."""
    st = (repo / "pkg" / "models.py").stat()
    index.conn.execute("UPDATE files SET hash='0' WHERE path='pkg/models.py'")
    index.conn.execute("UPDATE meta SET value=? WHERE key='build_started_ns'",
                       (str(max(st.st_mtime_ns, st.st_ctime_ns) + started_after_the_file),))
    assert index.stale_paths() == (["pkg/models.py"] if read_again else [])
    assert index.build().parsed == read_again
    assert index.build().parsed == 0


def test_a_touched_binary_file_is_not_stale(index: Index, repo: Path) -> None:
    (repo / "logo.png").write_bytes(b"\x89PNG\0\x01")
    index.build()
    os.utime(repo / "logo.png", ns=(10**9, 10**9))  # its bytes the same
    assert index.stale_paths() == []


def test_one_changed_file_reparses_only_it_and_redoes_edges_into_it(index: Index, repo: Path) -> None:
    models = repo / "pkg" / "models.py"
    models.write_text(models.read_text().replace("make_user", "build_user"))
    before = index.parsed_total
    stats = index.build()
    assert stats.parsed == 1 and index.parsed_total - before == 1
    # views.py was not reparsed, but its edges into models.py were redone: make_user is gone
    assert [r for r in refs_of(index, "pkg/views.py") if r[0] == "make_user"] == []
    models.write_text(models.read_text().replace("build_user", "make_user"))
    index.build()
    assert ("make_user", 7, 12, "call", "", "pkg/models.py::make_user") in refs_of(index, "pkg/views.py")


def test_symbol_appearing_in_changed_file_resolves_open_references_elsewhere(index: Index, repo: Path) -> None:
    views = repo / "pkg" / "views.py"
    views.write_text(views.read_text() + "\n\ndef later():\n    return models.fresh()\n")
    index.build()
    assert ("fresh", None) in rows(index, "SELECT name, target FROM refs WHERE name='fresh'")
    models = repo / "pkg" / "models.py"
    models.write_text(models.read_text() + "\n\ndef fresh():\n    pass\n")
    assert index.build().parsed == 1
    assert rows(index, "SELECT name, target FROM refs WHERE name='fresh'") == [("fresh", "pkg/models.py::fresh")]


def test_changed_reexport_retargets_references_through_it(index: Index, repo: Path) -> None:
    (repo / "pkg" / "other.py").write_text("class User:\n    pass\n")
    index.build()
    (repo / "pkg" / "__init__.py").write_text("from .other import User\n")
    assert index.update(["pkg/__init__.py"]).parsed == 1
    assert refs_of(index, "main.py") == [("User", 3, 7, "call", "", "pkg/other.py::User")]


def test_update_api_reindexes_given_paths_only(index: Index, repo: Path) -> None:
    (repo / "pkg" / "extra.py").write_text("from .models import User\n\n\ndef extra():\n    return User('e')\n")
    (repo / "main.py").unlink()
    stats = index.update(["pkg/extra.py", repo / "main.py"])
    assert (stats.parsed, stats.removed) == (1, 1)
    assert refs_of(index, "pkg/extra.py") == [("User", 5, 12, "call", "", "pkg/models.py::User")]
    assert rows(index, "SELECT count(*) FROM files WHERE path='main.py'") == [(0,)]
    assert rows(index, "SELECT count(*) FROM refs WHERE file_id NOT IN (SELECT id FROM files)") == [(0,)]


def test_update_leaves_ignored_new_files_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".gitignore": "gen/\n", "a.py": "A = 1\n"}, git=True)
    with Index.open(repo) as ix:
        ix.build()
        (repo / "gen").mkdir()
        (repo / "gen" / "out.py").write_text("B = 2\n")
        assert ix.update(["gen/out.py"]).parsed == 0
        assert rows(ix, "SELECT path FROM files ORDER BY path") == [(".gitignore",), ("a.py",)]


def test_file_turning_binary_is_skipped_and_its_edges_dropped(index: Index, repo: Path) -> None:
    (repo / "pkg" / "models.py").write_bytes(b"\0\x01binary now")
    stats = index.update(["pkg/models.py"])
    assert stats.parsed == 0  # read, found binary, not parsed
    assert rows(index, "SELECT status, reason FROM files WHERE path='pkg/models.py'") == [("skipped", "binary")]
    assert rows(index, "SELECT count(*) FROM symbols WHERE sid LIKE 'pkg/models.py::%'") == [(0,)]
    assert refs_of(index, "pkg/views.py") == []
    assert rows(index, "SELECT path, files FROM dirs ORDER BY path") == [("", 2), ("pkg", 2)]  # indexed files left


def test_file_turning_text_again_is_counted_again(index: Index, repo: Path) -> None:
    (repo / "pkg" / "models.py").write_bytes(b"\0\x01binary now")
    index.build()
    (repo / "pkg" / "models.py").write_text("def made():\n    pass\n")
    index.build()
    assert rows(index, "SELECT path, files FROM dirs ORDER BY path") == [("", 2), ("pkg", 3)]


def test_removed_file_unresolves_the_imports_and_references_into_it(index: Index, repo: Path) -> None:
    (repo / "pkg" / "models.py").unlink()
    stats = index.build()
    assert stats.removed == 1
    assert rows(index, "SELECT count(*) FROM imports WHERE target='pkg/models.py'") == [(0,)]
    assert rows(index, "SELECT count(*) FROM refs WHERE target LIKE 'pkg/models.py::%'") == [(0,)]


def test_added_file_makes_an_unresolved_import_resolve(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "from b import f\n\nf()\n"})
    with Index.open(repo) as ix:
        ix.build()
        assert rows(ix, "SELECT target FROM imports") == [(None,)]
        (repo / "b.py").write_text("def f():\n    pass\n")
        ix.build()
        assert rows(ix, "SELECT target FROM imports i JOIN files f ON f.id=i.file_id WHERE f.path='a.py'") == [
            ("b.py",)]
        assert refs_of(ix, "a.py") == [("f", 3, 1, "call", "", "b.py::f")]


def test_imports_through_a_namespace_package_resolve(tmp_path: Path) -> None:
    """`ns/` has no __init__.py (PEP 420): `ns.tools.fmt` still names ns/tools/fmt.py, whose own module stays
    `tools.fmt`."""
    repo = make_repo(tmp_path / "r", {
        "ns/tools/__init__.py": "", "ns/tools/fmt.py": "def pretty(x):\n    return x\n",
        "app.py": "from ns.tools.fmt import pretty\nimport ns.tools.fmt as f\n\npretty(1)\nf.pretty(2)\n",
    })
    with Index.open(repo) as ix:
        ix.build()
        assert rows(ix, "SELECT i.module, i.target FROM imports i JOIN files f ON f.id=i.file_id"
                        " WHERE f.path='app.py' ORDER BY i.line") == [("ns.tools.fmt", "ns/tools/fmt.py")] * 2
        assert rows(ix, "SELECT module FROM files WHERE path='ns/tools/fmt.py'") == [("tools.fmt",)]
        assert [(name, line, target) for name, line, _, _, _, target in refs_of(ix, "app.py")] == [
            ("pretty", 4, "ns/tools/fmt.py::pretty"), ("f", 5, "ns/tools/fmt.py::"), ("pretty", 5, "ns/tools/fmt.py::pretty")]


def test_a_module_re_exported_by_its_package_resolves_the_same_cold_and_incremental(tmp_path: Path) -> None:
    """`from . import json as json` in the package, `from pkg import json; json.dumps()` elsewhere: the call
    names pkg/json/__init__.py::dumps. A cold build had left it unresolved, an update of app.py resolved it."""
    repo = make_repo(tmp_path / "r", {
        "pkg/__init__.py": "from . import json as json\n",
        "pkg/json/__init__.py": "def dumps(x):\n    return x\n",
        "app.py": "from pkg import json\n\njson.dumps(1)\n",
    })
    with Index.open(repo) as ix:
        ix.build()
        cold = refs_of(ix, "app.py")
        (repo / "app.py").write_text("from pkg import json\n\njson.dumps(1)\n\n")
        ix.update(["app.py"])
        assert refs_of(ix, "app.py") == cold == [("json", 3, 1, "name", "", "pkg/json/__init__.py::"),
                                                 ("dumps", 3, 6, "call", "json", "pkg/json/__init__.py::dumps")]


@contextmanager
def _built_then_updated(tmp_path: Path, files: dict[str, str], edits: list[tuple[str, str]]) -> Iterator[Index]:
    """The index of a repository of `files`, built, then updated after each (path, text) of `edits`: the tables of
    edit histories below check that an update leaves what a cold build does."""
    repo = make_repo(tmp_path / "r", files)
    with Index.open(repo) as ix:
        ix.build()
        _write_and_update(ix, repo, edits)
        yield ix


def _write_and_update(ix: Index, repo: Path, edits: list[tuple[str, str]]) -> None:
    """Write each (path, text) and update the index after it, the file's mtime a second on so it is read again."""
    for edited, text in edits:
        (repo / edited).write_text(text)
        os.utime(repo / edited, ns=((repo / edited).stat().st_mtime_ns + 10**9,) * 2)
        ix.update([edited])


LOCAL_IMPORTS = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def helper():\n    return 1\n\n\ndef other():\n    return 2\n",
    "use.py": "def helper():\n    return 0\n\n\n"
              "def f():\n    from pkg.mod import helper\n    return helper()\n\n\n"
              "def g():\n    return helper()\n\n\n"
              "def outer():\n    import pkg.mod as m\n\n    def inner():\n        return m.other()\n    return inner\n\n\n"
              "class C:\n    from pkg.mod import other\n    x = other()\n\n    def meth(self):\n        return other()\n",
    "rs/src/lib.rs": "pub mod x;\nfn f() {\n    use crate::x::Y;\n    Y::new();\n}\nfn g() { Y::new(); }\n"
                     "mod t {\n    use crate::x::Y;\n    fn h() { Y::new(); }\n}\n",
    "rs/src/x.rs": "pub struct Y;\nimpl Y {\n    pub fn new() -> Y { Y }\n}\n",
}
LOCAL_REFS = [
    ("use.py", [
        ("helper", 7, 12, "call", "", "pkg/mod.py::helper"),  # f's import shadows the module's helper
        ("helper", 11, 12, "call", "", "use.py::helper"),  # g, beside f, does not see f's import
        ("m", 18, 16, "name", "", "pkg/mod.py::"),  # a function in outer sees outer's import
        ("other", 18, 18, "call", "m", "pkg/mod.py::other"),
        ("inner", 19, 12, "name", "", "use.py::outer.inner"),  # the function outer defines
        ("other", 24, 9, "call", "", "pkg/mod.py::other"),  # the class body sees its own import, its method does not
    ]),
    ("rs/src/lib.rs", [
        ("Y", 4, 5, "name", "", "rs/src/x.rs::Y"),
        ("new", 4, 8, "call", "Y", "rs/src/x.rs::Y.new"),  # g, beside f, does not see f's `use`
        ("Y", 9, 14, "name", "", "rs/src/x.rs::Y"),  # an inline module's `use`, seen in its functions
        ("new", 9, 17, "call", "Y", "rs/src/x.rs::Y.new"),
    ]),
]
LOCAL_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the importing files edited": [("use.py", LOCAL_IMPORTS["use.py"] + "\n"),
                                   ("rs/src/lib.rs", LOCAL_IMPORTS["rs/src/lib.rs"] + "\n")],
    "the imported names go and come back": [
        ("pkg/mod.py", "def gone():\n    return 1\n"), ("pkg/mod.py", LOCAL_IMPORTS["pkg/mod.py"]),
        ("rs/src/x.rs", "pub struct Z;\n"), ("rs/src/x.rs", LOCAL_IMPORTS["rs/src/x.rs"])],
}


@pytest.mark.parametrize("how", list(LOCAL_EDITS))
@pytest.mark.parametrize(("path", "expected"), LOCAL_REFS, ids=[c[0] for c in LOCAL_REFS])
def test_an_import_in_a_function_binds_its_names_in_it(tmp_path: Path, path: str, expected: list, how: str) -> None:
    """`from pkg.mod import helper` in a function (django's way around import cycles), Rust's `use` in a fn or an
    inline module: the references in that symbol, and in the functions in it, name what the import binds."""
    with _built_then_updated(tmp_path, LOCAL_IMPORTS, LOCAL_EDITS[how]) as ix:
        assert refs_of(ix, path) == expected


def test_def_at_a_use_of_a_functions_import_is_what_it_imports(tmp_path: Path) -> None:
    """`def` on `helper()` in f, which imports helper, is pkg/mod.py's, not the module-level helper of use.py."""
    with Index.open(make_repo(tmp_path / "r", LOCAL_IMPORTS)) as ix:
        ix.build()
        assert [s.id for s in ix.definitions("use.py:7:12")] == ["pkg/mod.py::helper"]


DOTTED = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "CONST = 1\n\n\nclass Class:\n    attr = 1\n\n    class Inner:\n        def m(self):\n"
                  "            pass\n\n    def method(self):\n        pass\n",
    "pkg/other.py": "class Class:\n    def method(self):\n        pass\n",
    "pkg/reex.py": "from pkg.mod import Class as Renamed\nfrom pkg import mod as m2\n",
    "use.py": "import pkg.mod\nfrom pkg import mod, reex\nfrom pkg.mod import Class\n\n"
              "pkg.mod.Class.method()\nmod.Class.Inner.m()\nClass.Inner.m()\nmod.CONST.bit_length()\n"
              "reex.Renamed.Inner.m()\nreex.m2.Class.method()\nmod.Class.attr.real\nmod.Class.method()\n\n\n"
              "def f():\n    from pkg import other as mod\n    return mod.Class.method()\n\n\n"
              "class A:\n    class Inner:\n        def m(self):\n            pass\n\n"
              "    def run(self):\n        return self.Inner.m()\n\n\n"
              "class B:\n    class Inner:\n        def m(self):\n            pass\n\n"
              "    def run(self):\n        return self.Inner.m()\n",
    "web/m.ts": "export class Klass {\n  m() { return 1; }\n}\nexport namespace NS { export function g() {} }\n",
    "web/re.ts": "import * as ns from './m';\nexport { ns };\n",
    "web/use.ts": "import * as ns from './m';\nimport * as again from './re';\n"
                  "ns.Klass.m();\nns.NS.g();\nagain.ns.Klass.m();\n",
}
MOD, CLASS = "pkg/mod.py::", "pkg/mod.py::Class"
DOTTED_REFS = [
    ("use.py", [
        ("pkg", 5, 1, "name", "", "pkg/__init__.py::"),
        ("mod", 5, 5, "attribute", "pkg", MOD),
        ("Class", 5, 9, "attribute", "pkg.mod", CLASS),
        ("method", 5, 15, "call", "pkg.mod.Class", f"{CLASS}.method"),  # each step a member of the one before
        ("mod", 6, 1, "name", "", MOD),
        ("Class", 6, 5, "attribute", "mod", CLASS),
        ("Inner", 6, 11, "attribute", "mod.Class", f"{CLASS}.Inner"),
        ("m", 6, 17, "call", "mod.Class.Inner", f"{CLASS}.Inner.m"),
        ("Class", 7, 1, "name", "", CLASS),
        ("Inner", 7, 7, "attribute", "Class", f"{CLASS}.Inner"),
        ("m", 7, 13, "call", "Class.Inner", f"{CLASS}.Inner.m"),
        ("mod", 8, 1, "name", "", MOD),
        ("CONST", 8, 5, "attribute", "mod", f"{MOD}CONST"),  # bit_length, a member of its value, is none
        ("reex", 9, 1, "name", "", "pkg/reex.py::"),
        ("Renamed", 9, 6, "attribute", "reex", CLASS),  # through an alias re-exported
        ("Inner", 9, 14, "attribute", "reex.Renamed", f"{CLASS}.Inner"),
        ("m", 9, 20, "call", "reex.Renamed.Inner", f"{CLASS}.Inner.m"),
        ("reex", 10, 1, "name", "", "pkg/reex.py::"),
        ("m2", 10, 6, "attribute", "reex", MOD),  # a module re-exported under another name
        ("Class", 10, 9, "attribute", "reex.m2", CLASS),
        ("method", 10, 15, "call", "reex.m2.Class", f"{CLASS}.method"),
        ("mod", 11, 1, "name", "", MOD),
        ("Class", 11, 5, "attribute", "mod", CLASS),
        ("attr", 11, 11, "attribute", "mod.Class", f"{CLASS}.attr"),  # real, its value's, is none
        ("mod", 12, 1, "name", "", MOD),
        ("Class", 12, 5, "attribute", "mod", CLASS),
        ("method", 12, 11, "call", "mod.Class", f"{CLASS}.method"),
        ("mod", 17, 12, "name", "", "pkg/other.py::"),  # f's import binds the head
        ("Class", 17, 16, "attribute", "mod", "pkg/other.py::Class"),
        ("method", 17, 22, "call", "mod.Class", "pkg/other.py::Class.method"),
        ("Inner", 26, 21, "attribute", "self", "use.py::A.Inner"),
        ("m", 26, 27, "call", "self.Inner", "use.py::A.Inner.m"),  # each class's own Inner
        ("Inner", 35, 21, "attribute", "self", "use.py::B.Inner"),
        ("m", 35, 27, "call", "self.Inner", "use.py::B.Inner.m"),
    ]),
    ("web/use.ts", [
        ("ns", 3, 1, "name", "", "web/m.ts::"),
        ("Klass", 3, 4, "attribute", "ns", "web/m.ts::Klass"),
        ("m", 3, 10, "call", "ns.Klass", "web/m.ts::Klass.m"),
        ("ns", 4, 1, "name", "", "web/m.ts::"),
        ("NS", 4, 4, "attribute", "ns", "web/m.ts::NS"),
        ("g", 4, 7, "call", "ns.NS", "web/m.ts::NS.g"),
        ("again", 5, 1, "name", "", "web/re.ts::"),
        ("ns", 5, 7, "attribute", "again", "web/m.ts::"),
        ("Klass", 5, 10, "attribute", "again.ns", "web/m.ts::Klass"),
        ("m", 5, 16, "call", "again.ns.Klass", "web/m.ts::Klass.m"),
    ]),
]
DOTTED_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the using files edited": [("use.py", DOTTED["use.py"] + "\n"), ("web/use.ts", DOTTED["web/use.ts"] + "\n")],
    "the used definitions go and come back": [
        ("pkg/mod.py", "def gone():\n    return 1\n"), ("pkg/mod.py", DOTTED["pkg/mod.py"]),
        ("web/m.ts", "export function gone() {}\n"), ("web/m.ts", DOTTED["web/m.ts"])],
}


@pytest.mark.parametrize("how", list(DOTTED_EDITS))
@pytest.mark.parametrize(("path", "expected"), DOTTED_REFS, ids=[c[0] for c in DOTTED_REFS])
def test_each_step_of_a_dotted_use_resolves(tmp_path: Path, path: str, expected: list, how: str) -> None:
    """`mod.Class.Inner.m()`, `pkg.mod.Class.method()`, `ns.Klass.m()`: each name after the head is the member of
    what the names before it resolve to, a module's top-level name, a class's member or nested class; only the
    head, or the step after it, was resolved. A step that names a value (`CONST`, `attr`) ends the chain."""
    with _built_then_updated(tmp_path, DOTTED, DOTTED_EDITS[how]) as ix:
        assert refs_of(ix, path) == expected


NESTED = {  # lines: 1 g, 5 outer, 6 outer.g, 9 outer.f, 16 h, 20 K, 21 K.getdefs, 24 K.closure
    "m.py": "def g():\n    pass\n\n\n"
            "def outer():\n    def g():\n        pass\n\n    def f():\n        g()\n\n    g()\n    return f\n\n\n"
            "def h():\n    return g()\n\n\n"
            "class K:\n    def getdefs(self):\n        pass\n\n"
            "    def closure(self):\n        def getdefs():\n            return self.getdefs()\n\n"
            "        return getdefs()\n",
}
NESTED_REFS = [
    ("g", 10, 9, "call", "", "m.py::outer.g"),  # a function in outer sees outer's g, not the module's
    ("g", 12, 5, "call", "", "m.py::outer.g"),  # outer's own g shadows the module's
    ("f", 13, 12, "name", "", "m.py::outer.f"),
    ("g", 17, 12, "call", "", "m.py::g"),  # h, beside outer, sees the module's
    ("getdefs", 26, 25, "call", "self", "m.py::K.getdefs"),  # self in a closure is the method's: K's member
    ("getdefs", 28, 16, "call", "", "m.py::K.closure.getdefs"),  # the function closure defines, not K's method
]


@pytest.mark.parametrize("edited", [False, True], ids=["build", "the file edited"])
def test_a_function_defined_in_a_function_is_the_name_there(tmp_path: Path, edited: bool) -> None:
    """Python's scopes: a bare name in a function names a function or class the function, or one around it,
    defines before the module's (a closure's helper, pytest's `def f(): g()` beside a nested g); a class body is no
    scope its methods see, and `self` in a function nested in a method is the method's."""
    repo = make_repo(tmp_path / "r", NESTED)
    with Index.open(repo) as ix:
        ix.build()
        if edited:
            (repo / "m.py").write_text(NESTED["m.py"] + "\n")
            os.utime(repo / "m.py", ns=((repo / "m.py").stat().st_mtime_ns + 10**9,) * 2)
            ix.update(["m.py"])
        assert refs_of(ix, "m.py") == NESTED_REFS


CLASS_BODY = {  # lines: 1 SCOPES, 4 helper, 8 K, 9 K.SCOPES, 11 K.quit, 14 K.q, 15 K.both, 18 K.test, 21 K.m, 24 K.helper
    "m.py": "SCOPES = []\n\n\n"
            "def helper():\n    pass\n\n\n"
            "class K:\n    SCOPES = ['a']\n\n"
            "    def quit(self):\n        pass\n\n"
            "    q = quit\n    both = SCOPES + SCOPES\n\n"
            "    @mark(SCOPES)\n    def test(self):\n        pass\n\n"
            "    def m(self):\n        return SCOPES, quit, helper\n\n"
            "    helper = helper\n",
}
CLASS_BODY_REFS = [
    ("quit", 14, 9, "name", "", "m.py::K.quit"),  # an alias in the body: the method above it
    ("SCOPES", 15, 12, "name", "", "m.py::K.SCOPES"),  # in an attribute's value
    ("SCOPES", 15, 21, "name", "", "m.py::K.SCOPES"),
    ("SCOPES", 17, 11, "name", "", "m.py::K.SCOPES"),  # a method's decorator runs in the body
    ("SCOPES", 22, 16, "name", "", "m.py::SCOPES"),  # a method does not see the body's names: the module's
    ("helper", 22, 30, "name", "", "m.py::helper"),  # quit there is the builtin, no symbol
    ("helper", 24, 14, "name", "", "m.py::helper"),  # `helper = helper` reads the module's: the body has none yet
]


@pytest.mark.parametrize("edited", [False, True], ids=["build", "the file edited"])
def test_a_class_body_sees_its_own_names(tmp_path: Path, edited: bool) -> None:
    """A bare name in a class's body (an alias `q = quit`, a decorator's `@mark(SCOPES)`) names the class's member
    defined there, as Python reads the body; it was no symbol, or the module's. Its methods' bodies do not see them."""
    repo = make_repo(tmp_path / "r", CLASS_BODY)
    with Index.open(repo) as ix:
        ix.build()
        if edited:
            (repo / "m.py").write_text(CLASS_BODY["m.py"] + "\n")
            os.utime(repo / "m.py", ns=((repo / "m.py").stat().st_mtime_ns + 10**9,) * 2)
            ix.update(["m.py"])
        assert refs_of(ix, "m.py") == CLASS_BODY_REFS


INHERITS = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Scaffold:\n    def route(self):\n        pass\n",
    "pkg/app.py": "from pkg.base import Scaffold\n\n\nclass App(Scaffold):\n    def go(self):\n        return self.route()\n"
                  "\n\nclass Flask(App):\n    def run(self):\n        return self.route(), self.go()\n",
}
INHERITS_EDITS = {
    "build": [],
    "the subclasses' file edited": [("pkg/app.py", INHERITS["pkg/app.py"] + "\n")],
    "the inherited method goes and comes back": [("pkg/base.py", "class Scaffold:\n    pass\n"),
                                                 ("pkg/base.py", INHERITS["pkg/base.py"])],
}


@pytest.mark.parametrize("how", list(INHERITS_EDITS))
def test_self_names_a_member_the_class_inherits(tmp_path: Path, how: str) -> None:
    """`self.route()` in flask's Flask, whose route is Scaffold's (through App), was no reference to it: `self.x`
    was looked for among the class's own members alone."""
    repo = make_repo(tmp_path / "r", INHERITS)
    with Index.open(repo) as ix:
        ix.build()
        for edited, text in INHERITS_EDITS[how]:
            (repo / edited).write_text(text)
            os.utime(repo / edited, ns=((repo / edited).stat().st_mtime_ns + 10**9,) * 2)
            ix.update([edited])
        assert refs_of(ix, "pkg/app.py") == [
            ("Scaffold", 4, 11, "base", "", "pkg/base.py::Scaffold"),
            ("route", 6, 21, "call", "self", "pkg/base.py::Scaffold.route"),
            ("App", 9, 13, "base", "", "pkg/app.py::App"),
            ("route", 11, 21, "call", "self", "pkg/base.py::Scaffold.route"),  # through App
            ("go", 11, 35, "call", "self", "pkg/app.py::App.go"),
        ]


INHERITED = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Base:\n    objects = None\n\n    def as_view(self):\n        pass\n\n    def run(self):\n"
                   "        pass\n\n\nclass Mixin:\n    def run(self):\n        pass\n\n\nclass A:\n    def m(self):\n"
                   "        pass\n\n\nclass B1(A):\n    pass\n\n\nclass B2(A):\n    def m(self):\n        pass\n\n\n"
                   "class D(B1, B2):\n    pass\n",
    "pkg/views.py": "from outside import External\nfrom pkg.base import Base, Mixin\n\n\nclass Middle(Base):\n    pass\n"
                    "\n\nclass AuthorList(Mixin, Middle):\n    def get(self):\n        return self.as_view()\n\n\n"
                    "class Far(External, Base):\n    pass\n\n\nclass P(Q):\n    pass\n\n\nclass Q(P):\n"
                    "    def own(self):\n        pass\n",
    "use.py": "from pkg import base, views\nfrom pkg.views import AuthorList, Far, P, Q\n\n"
              "views.AuthorList.as_view()\nAuthorList.objects\nAuthorList.run()\nbase.D.m()\nFar.as_view()\n"
              "AuthorList.missing()\nP.own()\nQ.own()\n",
}
VIEWS, BASE = "pkg/views.py::", "pkg/base.py::"
INHERITED_REFS = [
    ("pkg/views.py", [("as_view", 11, 21, "call", "self", f"{BASE}Base.as_view")]),  # self.x through a base's base
    ("use.py", [
        ("AuthorList", 4, 7, "attribute", "views", f"{VIEWS}AuthorList"),
        ("as_view", 4, 18, "call", "views.AuthorList", f"{BASE}Base.as_view"),
        ("objects", 5, 12, "attribute", "AuthorList", f"{BASE}Base.objects"),
        ("run", 6, 12, "call", "AuthorList", f"{BASE}Mixin.run"),  # the first base first
        ("D", 7, 6, "attribute", "base", f"{BASE}D"),
        ("m", 7, 8, "call", "base.D", f"{BASE}B2.m"),  # C3: D, B1, B2, A (not A's m, depth first)
        # Far.as_view: External, outside the tree, comes first and may define it; P.own: P and Q inherit
        # from each other, no order; Q.own is Q's own
        ("own", 11, 3, "call", "Q", f"{VIEWS}Q.own"),
    ]),
]
INHERITED_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the using files edited": [("use.py", INHERITED["use.py"] + "\n"),
                               ("pkg/views.py", INHERITED["pkg/views.py"] + "\n")],
    "the bases go and come back": [("pkg/base.py", "def gone():\n    return 1\n"),
                                   ("pkg/base.py", INHERITED["pkg/base.py"])],
}


@pytest.mark.parametrize("how", list(INHERITED_EDITS))
@pytest.mark.parametrize(("path", "expected"), INHERITED_REFS, ids=[c[0] for c in INHERITED_REFS])
def test_a_member_resolves_through_the_bases_of_its_class(tmp_path: Path, path: str, expected: list,
                                                          how: str) -> None:
    """`views.AuthorList.as_view()`, `self.as_view()`: a member a class does not define is the first one its bases
    define, in Python's method resolution order; a base outside the tree ends the search, as does a cycle. Uses of
    inherited members resolved nowhere."""
    with _built_then_updated(tmp_path, INHERITED, INHERITED_EDITS[how]) as ix:
        assert [r for r in refs_of(ix, path) if r[4]] == expected  # the qualified ones


SHADOWED_BASE = {
    "x.py": "class A:\n    def xm(self):\n        pass\n",
    "m.py": "from x import A\nimport x\n\n\nclass A(A):\n    def own(self):\n        return self.xm()\n\n\n"
            "class B(x.A):\n    pass\n\n\nA.xm()\nA.own()\n",
}
SHADOWED_BASE_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the subclass's file edited": [("m.py", SHADOWED_BASE["m.py"] + "\n")],
    "the base goes and comes back": [("x.py", "def gone():\n    return 1\n"), ("x.py", SHADOWED_BASE["x.py"])],
}


@pytest.mark.parametrize("how", list(SHADOWED_BASE_EDITS))
def test_a_class_named_as_the_base_it_imports_inherits_from_that_base(tmp_path: Path, how: str) -> None:
    """`from x import A` then `class A(A)`: Python reads the bases before it binds the class's name, so the base is
    x's A and its members are the class's (`self.xm()`, `A.xm()`). The base named the class itself, a cycle, and
    they resolved nowhere."""
    with _built_then_updated(tmp_path, SHADOWED_BASE, SHADOWED_BASE_EDITS[how]) as ix:
        assert refs_of(ix, "m.py") == [
            ("A", 5, 9, "base", "", "x.py::A"),
            ("xm", 7, 21, "call", "self", "x.py::A.xm"),
            ("x", 10, 9, "name", "", "x.py::"),
            ("A", 10, 11, "base", "x", "x.py::A"),
            ("A", 14, 1, "name", "", "m.py::A"),  # the class, once it is bound
            ("xm", 14, 3, "call", "A", "x.py::A.xm"),
            ("A", 15, 1, "name", "", "m.py::A"),
            ("own", 15, 3, "call", "A", "m.py::A.own"),
        ]


METACLASS = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Base:\n    def bm(self):\n        pass\n\n\nclass Other:\n    def om(self):\n        pass\n",
    "app.py": "import six\nfrom six import with_metaclass\nfrom typing import Generic, TypeVar\nimport pkg.base as mod\n"
              "from pkg.base import Base, Other\n\nT = TypeVar('T')\n\n\nclass Meta(type):\n    pass\n\n\n"
              "HEADER\n    def f(self):\n        return self.bm(), self.om()\n",
}
BM, OM = "pkg/base.py::Base", "pkg/base.py::Other"
METACLASS_CASES = [  # (the class's header, its base references (name, target), self.bm()'s and self.om()'s targets)
    ("class C(six.with_metaclass(Meta, Base)):", [("Base", BM)], [f"{BM}.bm", None]),
    ("class C(with_metaclass(Meta, Base)):", [("Base", BM)], [f"{BM}.bm", None]),
    ("class C(with_metaclass(Meta, mod.Base, Other)):", [("Base", BM), ("Other", OM)], [f"{BM}.bm", f"{OM}.om"]),
    ("class C(six.with_metaclass(Meta, Base[int])):", [("Base", BM)], [f"{BM}.bm", None]),
    ("class C(with_metaclass(Meta)):", [], [None, None]),  # no base but object
    ("class C(make(Meta, Base)):", [], [None, None]),  # another call: what it makes is unknown
    ("class C(Base, Generic[T]):", [("Base", BM), ("Generic", None)], [f"{BM}.bm", None]),
    ("class C(Other, Base[T]):", [("Other", OM), ("Base", BM)], [f"{BM}.bm", f"{OM}.om"]),
]
TYPING_BASES = {  # the imports naming typing's Generic or Protocol, and the base
    "from typing import Generic": "Generic[T]",
    "from typing import Protocol": "Protocol",
    "from typing import Generic as G": "G[T]",
    "import typing": "typing.Generic[T]",
    "import typing_extensions as te": "te.Protocol",
}
GENERIC_BODY = "    def f(self):\n        return self.bm(), self.om()\n"
GENERIC_CASES = [(f"{imp}\n\n\nclass C({base}, Base):", [f"{BM}.bm", None]) for imp, base in TYPING_BASES.items()]
GENERIC_CASES += [  # a base outside the tree that may define any name, and one the tree's Generic is
    ("from outside import Generic\n\n\nclass C(Generic[T], Base):", [None, None]),
    ("class Generic:\n    def om(self):\n        pass\n\n\nclass C(Generic[T], Base):", [f"{BM}.bm", "app.py::Generic.om"]),
]


@pytest.mark.parametrize(("header", "targets"), GENERIC_CASES, ids=[c[0] for c in GENERIC_CASES])
def test_typings_generic_before_a_base_leaves_its_members_to_it(tmp_path: Path, header: str, targets: list) -> None:
    """`class C(Generic[T], Base)`: typing's Generic and Protocol define no member a use names, so C's are its
    next bases'; they were outside the tree, which ended the search, and `self.bm()` resolved nowhere."""
    app = f"from typing import TypeVar\nfrom pkg.base import Base\n\nT = TypeVar('T')\n{header}\n{GENERIC_BODY}"
    repo = make_repo(tmp_path / "r", {**METACLASS, "app.py": app})
    with Index.open(repo) as ix:
        ix.build()
        got = rows(ix, "SELECT r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='app.py'"
                       " AND r.qualifier='self' ORDER BY r.line, r.col")
        assert [target for (target,) in got] == targets


@pytest.mark.parametrize(("header", "bases", "targets"), METACLASS_CASES, ids=[c[0] for c in METACLASS_CASES])
def test_the_bases_a_with_metaclass_call_gives_are_the_classs(tmp_path: Path, header: str, bases: list,
                                                               targets: list) -> None:
    """`class C(six.with_metaclass(Meta, Base))`: the bases after the metaclass are C's, as six's and future's
    with_metaclass make them, and C inherits their members; they were plain names, and `self.bm()` resolved nowhere.
    A generic base (`Base[T]`) is read as its class, beside `Generic[T]` too."""
    repo = make_repo(tmp_path / "r", {**METACLASS, "app.py": METACLASS["app.py"].replace("HEADER", header)})
    with Index.open(repo) as ix:
        ix.build()
        got = rows(ix, "SELECT r.name, r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='app.py'"
                       " AND r.kind='base' AND r.line=14 ORDER BY r.col")
        assert got == bases
        got = rows(ix, "SELECT r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='app.py'"
                       " AND r.qualifier='self' ORDER BY r.col")
        assert [target for (target,) in got] == targets


SUPER = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class A:\n    def m(self):\n        pass\n\n    def only_a(self):\n        pass\n",
    "pkg/app.py": "from outside import External\nfrom pkg.base import A\n\n\nclass B(A):\n    def m(self):\n"
                  "        return super().m()\n\n\nclass C(B):\n    def m(self):\n"
                  "        return super(C, self).m(), super().only_a(), super().missing()\n\n\n"
                  "class D(External, B):\n    def m(self):\n        return super().m()\n",
}
SUPER_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the subclasses' file edited": [("pkg/app.py", SUPER["pkg/app.py"] + "\n")],
    "the base goes and comes back": [("pkg/base.py", "def gone():\n    return 1\n"),
                                     ("pkg/base.py", SUPER["pkg/base.py"])],
}


@pytest.mark.parametrize("how", list(SUPER_EDITS))
def test_super_names_the_member_next_in_the_order_of_the_enclosing_class(tmp_path: Path, how: str) -> None:
    """`super().m()` (and `super(C, self).m()`) in a method is the `m` of the first class after the method's class in
    that class's method resolution order that defines one, not the class's own; past a base outside the tree, none.
    It resolved nowhere, though the call graph resolved it."""
    with _built_then_updated(tmp_path, SUPER, SUPER_EDITS[how]) as ix:
        assert [r for r in refs_of(ix, "pkg/app.py") if r[4].startswith("super(")] == [
            ("m", 7, 24, "call", "super()", "pkg/base.py::A.m"),  # not B.m, the method itself
            ("m", 12, 31, "call", "super(C)", "pkg/app.py::B.m"),
            ("only_a", 12, 44, "call", "super()", "pkg/base.py::A.only_a"),  # through B
            # super().missing(): no class defines it; D's super().m(): External comes first and may define it
        ]


SUPER_OF = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Base:\n    def m(self):\n        pass\n\n\nclass Mid(Base):\n    def m(self):\n        pass\n",
    "pkg/app.py": "import pkg.base as base\nfrom pkg.base import Base, Mid\n\n\nclass Other:\n    pass\n\n\n"
                  "class Derived(Mid):\n    def m(self):\n        def inner():\n            return super(Mid, self).m()\n"
                  "        return inner\n",
}
SUPER_OF_CALLS = [  # (the call in Derived.m, its reference's qualifier, its target)
    ("super(Mid, self).m()", "super(Mid)", "pkg/base.py::Base.m"),  # the class after Mid, not Mid's own m
    ("super(base.Mid, self).m()", "super(base.Mid)", "pkg/base.py::Base.m"),
    ("super( Mid , self ).m()", "super(Mid)", "pkg/base.py::Base.m"),
    ("super(Derived, self).m()", "super(Derived)", "pkg/base.py::Mid.m"),  # as super() reads it
    ("super(Base, self).m()", "super(Base)", None),  # Base is the last of Derived's order
    ("super(Other, self).m()", "super(Other)", None),  # Other is not in Derived's order
    ("super(Missing, self).m()", "super(Missing)", None),  # nor a name of nothing
    ("super(Mid, self).m().x", "super(Mid)", "pkg/base.py::Base.m"),
]
SUPER_OF_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the classes' file edited": [("pkg/base.py", SUPER_OF["pkg/base.py"] + "\n")],
    "the base goes and comes back": [("pkg/base.py", "def gone():\n    return 1\n"),
                                     ("pkg/base.py", SUPER_OF["pkg/base.py"])],
}


@pytest.mark.parametrize("how", list(SUPER_OF_EDITS))
@pytest.mark.parametrize(("call", "qualifier", "target"), SUPER_OF_CALLS, ids=[c[0] for c in SUPER_OF_CALLS])
def test_super_of_a_class_names_the_member_next_after_that_class(tmp_path: Path, call: str, qualifier: str,
                                                                 target: str | None, how: str) -> None:
    """`super(X, self).m()` in a method is the `m` of the first class after X in the method resolution order of the
    method's class (that of `self` as far as it is known), also in a function nested in the method. The call dropped
    X and read it as `super().m()`: `super(Mid, self).m()` in `Derived.m` was Mid's own m."""
    app = SUPER_OF["pkg/app.py"].replace("super(Mid, self).m()", call)
    with _built_then_updated(tmp_path, {**SUPER_OF, "pkg/app.py": app}, SUPER_OF_EDITS[how]) as ix:
        got = rows(ix, "SELECT r.name, r.qualifier, r.target FROM refs r JOIN files f ON f.id=r.file_id"
                       " WHERE f.path='pkg/app.py' AND r.line = 12 AND r.name = 'm'")
        assert got == [("m", qualifier, target)]


CALLED = {
    "pkg/__init__.py": "",
    "pkg/base.py": "class Base:\n    def m(self):\n        pass\n\n\nclass Mid(Base):\n    def own(self):\n        pass\n\n\n"
                   "def make():\n    return Mid()\n",
    "pkg/app.py": "import pkg.base as base\nfrom pkg.base import Mid, make\n\n\ndef f(x, y):\n    return Mid().own()\n",
}
CALLED_USES = [  # (the use in f, its reference's qualifier, its target)
    ("Mid().own()", "Mid()", "pkg/base.py::Mid.own"),
    ("Mid().m()", "Mid()", "pkg/base.py::Base.m"),  # through Mid's bases, as Mid.m
    ("Mid(x, y).own", "Mid()", "pkg/base.py::Mid.own"),
    ("Mid (\n        x).own()", "Mid()", "pkg/base.py::Mid.own"),
    ("base.Mid().m()", "base.Mid()", "pkg/base.py::Base.m"),
    ("Mid().missing()", "Mid()", None),  # no class of its order defines it
    ("make().own()", "make()", None),  # what a function returns is not known
    ("base.make().own()", "base.make()", None),
    ("Mid().own().own()", "Mid().own()", None),  # nor what a method returns
    ("Unknown().own()", "Unknown()", None),
]
CALLED_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the classes' file edited": [("pkg/base.py", CALLED["pkg/base.py"] + "\n")],
    "the class goes and comes back": [("pkg/base.py", "def make():\n    return 1\n"),
                                      ("pkg/base.py", CALLED["pkg/base.py"])],
}


@pytest.mark.parametrize("how", list(CALLED_EDITS))
@pytest.mark.parametrize(("use", "qualifier", "target"), CALLED_USES, ids=[c[0] for c in CALLED_USES])
def test_a_member_of_a_class_called_is_the_instance_s(tmp_path: Path, use: str, qualifier: str, target: str | None,
                                                      how: str) -> None:
    """`A().m()` names the `m` an instance of A has, found as `A.m` is (A's, or its bases'), where A is a class of
    the tree; a call of anything else, or a chain of calls, names nothing known. The qualifier `A()` resolved
    nowhere."""
    app = CALLED["pkg/app.py"].replace("Mid().own()", use)
    with _built_then_updated(tmp_path, {**CALLED, "pkg/app.py": app}, CALLED_EDITS[how]) as ix:
        got = rows(ix, "SELECT r.name, r.qualifier, r.target FROM refs r JOIN files f ON f.id=r.file_id"
                       " WHERE f.path='pkg/app.py' AND r.qualifier != '' ORDER BY r.line DESC, r.col DESC LIMIT 1")
        assert got == [(use.rstrip("()").rpartition(".")[2], qualifier, target)]


ANNOTATED = {
    "pkg/__init__.py": "from .tool import Tool\n",
    "pkg/tool.py": "class Base:\n    def inherited(self):\n        pass\n\n\nclass Tool(Base):\n    def run(self):\n"
                   "        pass\n\n\nclass Other:\n    def run(self):\n        pass\n",
    "use.py": "from typing import Optional\nimport pkg\nfrom pkg import Tool\nfrom pkg.tool import Other\n\n\n"
              "def f(t: Tool, u: \"pkg.Tool\", v: Optional[Tool] = None, w: Tool | Other = None, n: int = 0):\n"
              "    t.run()\n    u.run()\n    v.inherited()\n    w.run()\n    n.run()\n"
              "    def inner():\n        t.run()\n    def rebind(t):\n        t.run()\n\n\n"
              "def g():\n    x.run()\n    x: Other = make()\n    x.run()\n    t.run()\n",
}
TOOL = "pkg/tool.py::"
ANNOTATED_REFS = [
    ("run", 8, 7, "call", "t", f"{TOOL}Tool.run"),  # p: Tool
    ("run", 9, 7, "call", "u", f"{TOOL}Tool.run"),  # p: "pkg.Tool", a dotted name in a string
    ("inherited", 10, 7, "call", "v", f"{TOOL}Base.inherited"),  # Optional[Tool], through Tool's bases
    # w: Tool | Other names no one class, n: int no class of the tree
    ("run", 14, 11, "call", "t", f"{TOOL}Tool.run"),  # in a function nested in f; rebind(t) binds t anew
    # g's x.run() before `x: Other = make()` names nothing, after it Other.run; g has no t
    ("run", 22, 7, "call", "x", f"{TOOL}Other.run"),
]
ANNOTATED_EDITS = {  # how the index came to hold the tree: (path, text) written and updated in order
    "build": [],
    "the using file edited": [("use.py", ANNOTATED["use.py"] + "\n")],
    "the classes go and come back": [("pkg/tool.py", "def gone():\n    return 1\n"),
                                     ("pkg/tool.py", ANNOTATED["pkg/tool.py"])],
}


@pytest.mark.parametrize("how", list(ANNOTATED_EDITS))
def test_a_variable_annotated_with_a_class_names_its_members(tmp_path: Path, how: str) -> None:
    """`def f(p: Pytester): p.runpytest()`: a parameter or local variable annotated with one class of the tree
    (`Optional[C]`, `C | None` and `"C"` too) makes its attributes the class's members, in the function and in
    those nested in it that do not bind it anew, a local one after its annotation. They resolved nowhere."""
    with _built_then_updated(tmp_path, ANNOTATED, ANNOTATED_EDITS[how]) as ix:
        assert [r for r in refs_of(ix, "use.py") if r[4]] == ANNOTATED_REFS  # the qualified ones


SHADOWING = {
    "t.py": "class P:\n    x = 1\n\n    def items(self):\n        pass\n",
    "u.py": "from t import P\n\n\ndef f(p: P, items):\n    EXPR\n",
}
X, ITEMS = "t.py::P.x", "t.py::P.items"
SHADOWING_CASES = [  # (f's body, the targets of the uses p qualifies, in order)
    ("return p.x", [X]),
    ("return [p.x for p in items]", [None]),
    ("return lambda p: p.x", [None]),
    ("return lambda p=1, *q: p.x", [None]),
    ("return lambda *p: p.x", [None]),
    ("return lambda **p: p.x", [None]),
    ("return lambda q=p.x: q", [X]),  # a default is read outside the lambda
    ("return [p.x for p in p.items()]", [None, ITEMS]),  # the first iterable is read outside the comprehension
    ("return [p.x for q in items for p in p.items()]", [None, None]),  # a later one inside it
    ("return [p.x for q in items]", [X]),  # it binds no p
    ("return {k: p.x for k, p in items}", [None]),
    ("return (p.x for p in items), p.x, [p.x for q in items]", [None, X, X]),
    ("return [[p.x for p in q] for q in items]", [None]),
    ("return [\n        p.x\n        for p in items\n    ], p.x", [None, X]),
    ("return [lambda: p.x for p in items]", [None]),
    ("return [lambda p: p.x for q in items], p.x", [None, X]),
    ("def g():\n        return [p.x for p in items], p.x\n    return g", [None, X]),  # in a function in f
]


@pytest.mark.parametrize(("body", "targets"), SHADOWING_CASES, ids=[c[0] for c in SHADOWING_CASES])
@pytest.mark.parametrize("how", ["build", "update"])
def test_a_lambda_or_comprehension_binding_an_annotated_name_shadows_it(tmp_path: Path, body: str,
                                                                       targets: list, how: str) -> None:
    """`def f(p: P)`: `p.x` in a lambda or a comprehension that binds p anew (`lambda p: p.x`, `[p.x for p in
    items]`) is another variable's, not P's member; it was P.x."""
    files = {**SHADOWING, "u.py": SHADOWING["u.py"].replace("EXPR", body)}
    edits = [("t.py", files["t.py"])] if how == "update" else []  # an update: t.py empty at first, then written
    with _built_then_updated(tmp_path, {**files, "t.py": "" if edits else files["t.py"]}, edits) as ix:
        got = rows(ix, "SELECT r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='u.py'"
                       " AND r.qualifier='p' ORDER BY r.line, r.col")
        assert [target for (target,) in got] == targets


HIDING = {
    "t.py": "class P:\n    x = 1\n\n\ndef dumps():\n    pass\n",
    "u.py": "import t\nfrom t import P\n\n\ndef f(items):\n    EXPR\n",
}
DUMPS, P_X = "t.py::dumps", "t.py::P.x"
HIDING_CASES = [  # (f's body, the targets of its qualified uses, in order)
    ("return t.dumps(), P.x", [DUMPS, P_X]),  # the module's t and P
    ("t = items\n    return t.dumps()", [None]),  # a local t
    ("x = t.dumps()\n    t = items", [None]),  # local in all of f, before its assignment too
    ("for t in items:\n        t.dumps()", [None]),
    ("with items as t:\n        t.dumps()", [None]),
    ("for P in items:\n        P.x", [None]),
    ("P = items\n    return P().x", [None]),  # a call of a local P, not of the class
    ("return P().x", [P_X]),
    ("global t\n    t = items\n    return t.dumps()", [DUMPS]),  # declared global: the module's
    ("return [t.dumps() for t in items], t.dumps()", [None, DUMPS]),  # the comprehension's t in it only
    ("return [x for t in t.dumps()]", [DUMPS]),  # its first iterable is read outside it: the module's t
    ("return [t.dumps() for t in t.dumps()]", [None, DUMPS]),
    ("return [x for q in items for t in t.dumps()]", [None]),  # a later one inside it
    ("return [x for t in [t.dumps() for q in items]]", [DUMPS]),  # a comprehension in the first iterable
    ("return [x for t in (lambda: t.dumps())()]", [DUMPS]),  # a lambda in it
    ("return lambda t: [x for q in t.dumps()]", [None]),  # the first iterable in a lambda binding t: the lambda's
    ("return lambda t: t.dumps()", [None]),
    ("def g(t):\n        return t.dumps()\n    return t.dumps()", [None, DUMPS]),  # g's t in g only
    ("def g():\n        return t.dumps()\n    t = items\n    return g", [None]),  # f's t, in g too
    ("t: P = items\n    return t.x", [P_X]),  # annotated with a class: its member
    ("pass\n\n\nx = [t.dumps() for t in ()], t.dumps()", [None, DUMPS]),  # a module-level comprehension
]


@pytest.mark.parametrize(("body", "targets"), HIDING_CASES, ids=[c[0] for c in HIDING_CASES])
@pytest.mark.parametrize("how", ["build", "update"])
def test_a_local_hides_a_module_name_it_qualifies(tmp_path: Path, body: str, targets: list, how: str) -> None:
    """A function's parameter or local variable (or a lambda's, a comprehension's) named as an import or a definition
    of the module is that variable where Python reads it so, in all of the function, and `t.dumps()` qualified by
    it names nothing known (but a member of the class it is annotated with): it was the module's t.dumps."""
    files = {**HIDING, "u.py": HIDING["u.py"].replace("EXPR", body)}
    edits = [("t.py", files["t.py"])] if how == "update" else []  # an update: t.py empty at first, then written
    with _built_then_updated(tmp_path, {**files, "t.py": "" if edits else files["t.py"]}, edits) as ix:
        got = rows(ix, "SELECT r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='u.py'"
                       " AND r.qualifier != '' ORDER BY r.line, r.col")
        assert [target for (target,) in got] == targets


RELINK_CASES = [
    # (files, edits in order, the file whose references are compared with a cold build's)
    ("an alias's definition goes and comes back",
     {"pkg/helpers.py": "def helper(x):\n    return x\n", "pkg/__init__.py": "from .helpers import helper as help_alias\n",
      "use.py": "from pkg import help_alias\nhelp_alias(3)\n"},
     [("pkg/helpers.py", "def helperX(x):\n    return x\n"), ("pkg/helpers.py", "def helper(x):\n    return x\n")],
     "use.py"),
    ("a package stops re-exporting a name read through `import pkg.sub`",
     {"pkg/__init__.py": "from pkg.b import f\n", "pkg/b.py": "def f():\n    return 1\n", "pkg/sub/__init__.py": "",
      "use.py": "import pkg.sub\npkg.f()\n"},
     [("pkg/__init__.py", "# f no longer re-exported\n")], "use.py"),
    ("a stub package stops declaring a name read through `import pkg.sub`",
     {"pkg/__init__.pyi": "from pkg.b import f\n", "pkg/b.pyi": "def f() -> int: ...\n", "pkg/sub/__init__.pyi": "",
      "use.py": "import pkg.sub\npkg.f()\n"},
     [("pkg/__init__.pyi", "# f no longer declared\n")], "use.py"),
    ("a module that re-exports through a star import is deleted",
     {"pkg/helpers.py": "def helper(x):\n    return x\n", "pkg/mid.py": "from .helpers import helper\n",
      "pkg/__init__.py": "from .mid import *\n", "use.py": "from pkg import helper\nhelper(3)\n"},
     [("pkg/mid.py", None)], "use.py"),
    ("a subpackage read through `import pkg.b` goes and comes back",
     {"pkg/__init__.py": "", "pkg/b.py": "", "pkg/sub/__init__.py": "def x():\n    pass\n",
      "use.py": "import pkg.b\n\n\ndef caller():\n    pkg.sub.x()\n"},
     [("pkg/sub/__init__.py", None), ("pkg/sub/__init__.py", "def x():\n    pass\n")], "use.py"),
]


@pytest.mark.parametrize(("label", "files", "edits", "compared"), RELINK_CASES, ids=[c[0] for c in RELINK_CASES])
def test_an_update_resolves_as_a_cold_build(tmp_path: Path, label: str, files: dict, edits: list, compared: str) -> None:
    repo = make_repo(tmp_path / "r", files)
    with Index.open(repo) as ix:
        ix.build()
        for path, text in edits:  # None deletes the file
            if text is None:
                (repo / path).unlink()
            else:
                (repo / path).write_text(text)
                os.utime(repo / path, ns=((repo / path).stat().st_mtime_ns + 10**9,) * 2)
            ix.update([path])
        incremental = refs_of(ix, compared)
    (repo / ".codewright" / "index.db").unlink()
    with Index.open(repo) as ix:
        ix.build()
        assert incremental == refs_of(ix, compared)


def test_names_resolve_through_chains_of_star_imports(tmp_path: Path) -> None:
    """`from .core import *` in a package re-exports core's public names, through further star imports; a
    `_private` name is not brought in, and a cycle of star imports ends."""
    repo = make_repo(tmp_path / "r", {
        "pkg/__init__.py": "from .core import *\n",
        "pkg/core/__init__.py": "from .numbers import *\nfrom pkg import *\n",
        "pkg/core/numbers.py": "def Integer(x):\n    return x\n\n\ndef _hidden():\n    pass\n",
        "app.py": "from pkg import Integer, _hidden\nimport pkg\nfrom pkg.core import *\n\n"
                  "Integer(1) + pkg.Integer(2) + _hidden() + pkg.missing()\n",
    })
    with Index.open(repo) as ix:
        ix.build()
        assert refs_of(ix, "app.py") == [("Integer", 5, 1, "call", "", "pkg/core/numbers.py::Integer"),
                                         ("pkg", 5, 14, "name", "", "pkg/__init__.py::"),
                                         ("Integer", 5, 18, "call", "pkg", "pkg/core/numbers.py::Integer"),
                                         ("pkg", 5, 43, "name", "", "pkg/__init__.py::")]


def test_a_star_import_takes_what_all_lists(tmp_path: Path) -> None:
    """With `__all__`, `from m import *` takes the names it lists (a `_private` one too) and no other public
    name; its strings are `export` references to what they name. A `__all__` built from other modules' lists
    cannot be read, so every public name is taken."""
    repo = make_repo(tmp_path / "r", {
        "pkg/__init__.py": "from .dynamic import *\n",
        "pkg/listed.py": "def shown():\n    pass\n\n\ndef unlisted():\n    pass\n\n\ndef _kept():\n    pass\n\n\n"
                         "__all__ = ['shown', '_kept']\n",
        "pkg/dynamic.py": "from pkg import listed\n\n\ndef other():\n    pass\n\n\n__all__ = listed.__all__ + ['other']\n",
        "app.py": "from pkg.listed import *\nfrom pkg import other\n\nshown() + unlisted() + _kept() + other()\n",
    })
    with Index.open(repo) as ix:
        ix.build()
        assert refs_of(ix, "app.py") == [("shown", 4, 1, "call", "", "pkg/listed.py::shown"),
                                         ("_kept", 4, 24, "call", "", "pkg/listed.py::_kept"),
                                         ("other", 4, 34, "call", "", "pkg/dynamic.py::other")]
        assert [r for r in refs_of(ix, "pkg/listed.py") if r[3] == "export"] == [
            ("shown", 13, 13, "export", "", "pkg/listed.py::shown"), ("_kept", 13, 22, "export", "", "pkg/listed.py::_kept")]


STUBS = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f():\n    return 1\n",
    "pkg/mod.pyi": "def f() -> int: ...\n",
    "pkg/stubbed.pyi": "class X:\n    def m(self) -> int: ...\n",
    "stubs/__init__.pyi": "def h() -> int: ...\n",
    "stubs/api.pyi": "from . import h\n\ndef k() -> int: ...\n",
    "deep/tools/cli.pyi": "def run() -> None: ...\n",
    "app.py": "from pkg.mod import f\nfrom pkg.stubbed import X\nimport stubs.api\nfrom stubs import h\n\n"
              "f() + X().m() + stubs.api.k() + h()\nfrom pkg import stubbed\nstubbed.X()\n",
}


def test_a_stub_is_named_as_its_module_and_imports_prefer_the_module(tmp_path: Path) -> None:
    """A .pyi stub is the module of its name (`pkg/stubbed.pyi` is `pkg.stubbed`; `deep/tools/cli.pyi`, in plain
    folders, `cli`), and an __init__.pyi makes its folder a package: their names were their folders' paths
    (`deep.tools.cli.run`) and imports of them unresolved. Where the module is beside its stub, imports name the
    module, which holds what runs."""
    repo = make_repo(tmp_path / "r", STUBS)
    with Index.open(repo) as ix:
        ix.build()
        assert rows(ix, "SELECT path, module FROM files ORDER BY path") == [
            ("app.py", "app"), ("deep/tools/cli.pyi", "cli"), ("pkg/__init__.py", "pkg"), ("pkg/mod.py", "pkg.mod"),
            ("pkg/mod.pyi", "pkg.mod"), ("pkg/stubbed.pyi", "pkg.stubbed"), ("stubs/__init__.pyi", "stubs"),
            ("stubs/api.pyi", "stubs.api")]
        assert rows(ix, "SELECT s.sid, s.qualname, s.kind, s.start_line, s.start_col, s.end_line, s.end_col FROM symbols s"
                        " JOIN files f ON f.id=s.file_id WHERE f.path LIKE '%.pyi' AND s.kind != 'module' ORDER BY s.sid") == [
            ("deep/tools/cli.pyi::run", "cli.run", "function", 1, 1, 1, 22),
            ("pkg/mod.pyi::f", "pkg.mod.f", "function", 1, 1, 1, 19),
            ("pkg/stubbed.pyi::X", "pkg.stubbed.X", "class", 1, 1, 2, 27),
            ("pkg/stubbed.pyi::X.m", "pkg.stubbed.X.m", "method", 2, 5, 2, 27),
            ("stubs/__init__.pyi::h", "stubs.h", "function", 1, 1, 1, 19),
            ("stubs/api.pyi::k", "stubs.api.k", "function", 3, 1, 3, 19)]
        assert rows(ix, "SELECT f.path, i.module, i.target FROM imports i JOIN files f ON f.id=i.file_id"
                        " ORDER BY f.path, i.line") == [
            ("app.py", "pkg.mod", "pkg/mod.py"), ("app.py", "pkg.stubbed", "pkg/stubbed.pyi"),
            ("app.py", "stubs.api", "stubs/api.pyi"), ("app.py", "stubs", "stubs/__init__.pyi"),
            ("app.py", "pkg", "pkg/__init__.py"), ("stubs/api.pyi", ".", "stubs/__init__.pyi")]
        assert [(name, line, col, target) for name, line, col, _, _, target in refs_of(ix, "app.py")] == [
            ("f", 6, 1, "pkg/mod.py::f"), ("X", 6, 7, "pkg/stubbed.pyi::X"), ("m", 6, 11, "pkg/stubbed.pyi::X.m"),
            ("stubs", 6, 17, "stubs/__init__.pyi::"),
            ("api", 6, 23, "stubs/api.pyi::"), ("k", 6, 27, "stubs/api.pyi::k"), ("h", 6, 33, "stubs/__init__.pyi::h"),
            ("stubbed", 8, 1, "pkg/stubbed.pyi::"), ("X", 8, 9, "pkg/stubbed.pyi::X")]


@pytest.mark.parametrize("module", ["pkg/__init__", "pkg/mod"])
def test_a_name_only_the_stub_beside_a_module_declares_is_found_there(tmp_path: Path, module: str) -> None:
    """A module and its stub side by side: a name the module does not bind, which its stub declares (made at run time
    by `__getattr__`), is the stub's, as a type checker finds it; it was unresolved, imports naming the module. A
    name both have is the module's alone, which runs."""
    dotted = module.removesuffix("/__init__").replace("/", ".")
    repo = make_repo(tmp_path / "r", {
        "pkg/__init__.py": "", f"{module}.py": "def __getattr__(name):\n    return 0\n\n\ndef both():\n    return 1\n",
        f"{module}.pyi": "def declared() -> int: ...\ndef both() -> int: ...\n",
        "app.py": f"from {dotted} import declared, both\nimport {dotted} as m\n\ndeclared() + both() + m.declared()"
                  " + m.both()\n"})
    with Index.open(repo) as ix:
        ix.build()
        assert [(name, col, target) for name, _, col, _, _, target in refs_of(ix, "app.py") if name != "m"] == [
            ("declared", 1, f"{module}.pyi::declared"), ("both", 14, f"{module}.py::both"),
            ("declared", 25, f"{module}.pyi::declared"), ("both", 40, f"{module}.py::both")]


def test_a_pyw_script_is_named_as_a_py_module_is(tmp_path: Path) -> None:
    """A .pyw file (a script pythonw runs, which Windows imports as well) is indexed as Python: it had no module
    name, so imports of it were unresolved and its qualnames its folders' path (`deep.tools.gui.run`)."""
    repo = make_repo(tmp_path / "r", {"pkg/__init__.py": "", "pkg/gui.pyw": "def run():\n    return 1\n",
                                      "deep/tools/gui.pyw": "def run():\n    return 1\n",
                                      "app.py": "from pkg.gui import run\nfrom pkg import gui\nrun() + gui.run()\n"})
    with Index.open(repo) as ix:
        ix.build()
        assert rows(ix, "SELECT path, module FROM files ORDER BY path") == [
            ("app.py", "app"), ("deep/tools/gui.pyw", "gui"), ("pkg/__init__.py", "pkg"), ("pkg/gui.pyw", "pkg.gui")]
        assert _names(ix) == [("deep/tools/gui.pyw", "gui", "gui.run"), ("pkg/gui.pyw", "pkg.gui", "pkg.gui.run")]
        assert [(name, line, col, target) for name, line, col, _, _, target in refs_of(ix, "app.py")] == [
            ("run", 3, 1, "pkg/gui.pyw::run"), ("gui", 3, 9, "pkg/gui.pyw::"), ("run", 3, 13, "pkg/gui.pyw::run")]


def _names(ix: Index) -> list[tuple]:
    return rows(ix, "SELECT f.path, f.module, s.qualname FROM symbols s JOIN files f ON f.id=s.file_id"
                    " WHERE s.kind='function' ORDER BY f.path")


@pytest.mark.parametrize("init", ["__init__.py", "__init__.pyi"])
@pytest.mark.parametrize("how", ["build", "update"])
def test_a_package_appearing_or_going_renames_the_modules_below_it(tmp_path: Path, how: str, init: str) -> None:
    """tools/fmt.py is module `fmt` in a plain folder and `tools.fmt` once tools/__init__.py (or a stub
    __init__.pyi) exists: the unchanged file is re-extracted, so the incremental index says what a cold build says."""
    repo = make_repo(tmp_path / "r", {"tools/fmt.py": "def pretty(x):\n    return x\n",
                                      "tools/sub/deep.py": "def low():\n    pass\n"})
    with Index.open(repo) as ix:
        ix.build()
        assert _names(ix) == [("tools/fmt.py", "fmt", "fmt.pretty"), ("tools/sub/deep.py", "deep", "deep.low")]
        for change, expected in [
            (lambda: (repo / "tools" / init).write_text(""), "tools."),
            (lambda: (repo / "tools" / init).unlink(), ""),
        ]:
            change()
            stats = ix.build() if how == "build" else ix.update([f"tools/{init}"])
            assert _names(ix) == [("tools/fmt.py", f"{expected}fmt", f"{expected}fmt.pretty"),
                                  ("tools/sub/deep.py", "deep", "deep.low")]
            assert stats.parsed == 1 + bool(expected)  # fmt.py, and the new __init__.py
            assert stats.unchanged == (1 if how == "build" else 0)  # deep.py


def test_gitignored_files_stay_out_and_index_dir_is_excluded_from_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "g", {".gitignore": "build/\n*.log\n", "build/x.py": "", "a.log": "x",
                                      "src/m.py": "X = 1\n"}, git=True)
    with Index.open(repo) as ix:
        ix.build()
        assert [r[0] for r in rows(ix, "SELECT path FROM files ORDER BY path")] == [".gitignore", "src/m.py"]
    exclude = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert exclude.count(".codewright/") == 1


def test_cold_build_with_a_pool_inside_a_threaded_process(tmp_path: Path) -> None:
    import threading

    repo = make_repo(tmp_path / "many", {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(60)})
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # an agent's thread, alive during the build
    other.start()
    try:
        with Index.open(repo) as ix:
            seen: list[int] = []
            stats = ix.build(lambda done, total: seen.append(done))
            assert ix.definitions("f59")[0].id == "m59.py::f59"
    finally:
        stop.set()
        other.join()
    assert stats.parsed == 60 and seen[-1] == 60


def test_the_cycle_collector_is_off_while_building_and_back_after(repo: Path) -> None:
    """A cold build keeps every parsed file for linking: collections walked them all, hundreds of times."""
    import gc

    seen = []
    with Index.open(repo) as ix:
        ix.build(progress=lambda done, total: seen.append(gc.isenabled()))
    assert seen == [False] * 5 and gc.isenabled()
