"""Beyond Python: imports and references resolved through each language's own import forms."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from store_repo import make_repo

from codewright.graph.index import Index

FILES = {
    "web/util.ts": "export function helper(x: number): number { return x; }\nexport function other(): number { return 1; }\n",
    "web/app.ts": 'import { helper, other as o } from "./util";\nimport * as ns from "./util";\n'
                  "export function main(): number { return helper(1) + o() + ns.helper(2); }\n",
    "node/lib/util.js": "exports.helper = function helper(x) { return x; };\nexports.other = () => 1;\n",
    "node/app.js": "const util = require('./lib/util');\nconst { other } = require('./lib/util');\n"
                   "function main() { return util.helper(1) + other(); }\n",
    "web/shape.ts": "export default class Shape { area(): number { return 0; } }\n",
    "web/count.ts": "function count(): number { return 1; }\nexport { count as default };\n",
    "web/all.ts": 'export * from "./util";\n',
    "web/use.ts": 'import Shape from "./shape";\nimport count from "./count";\nimport { other } from "./all";\n'
                  "export function run(): number { return count() + other() + new Shape().area(); }\n",
    "node/lib/res.js": "const res = {};\nres.send = function send(body) { return body; };\nmodule.exports = res;\n",
    "node/lib/index.js": "module.exports = require('./util');\n",
    "node/lib/run.js": "module.exports = function run(x) { return x; };\n",
    "node/cli.js": "const run = require('./lib/run');\nrun(1);\n",
    "node/lib/job.js": "module.exports = class {\n  start() {}\n};\n",
    "node/jobs.js": "const Job = require('./lib/job');\nnew Job();\n",
    "web/anon.ts": "export default function () { return 1; }\n",
    "web/use_anon.ts": 'import anon from "./anon";\nanon();\n',
    "web/counter.ts": "export class Counter {\n  #n = 0;\n  #step(): number { return 1; }\n"
                      "  bump(): number { return this.#n += this.#step(); }\n}\n",
    "node/counter.js": "class Counter {\n  #step() { return 1; }\n  bump() { return this.#step(); }\n}\n",
    "node/server.js": "const res = require('./lib/res');\nconst lib = require('./lib');\n"
                      "function reply() { return res.send(1) + lib.other(); }\n",
    "go.mod": "module example.com/app\n\ngo 1.21\n",
    "internal/store/store.go": "package store\n\nfunc Open() int { return defaultSize() }\n",
    "internal/store/size.go": "package store\n\nfunc defaultSize() int { return jsOnly() }\n",
    "internal/store/db.go": "package store\n\ntype DB struct{}\n\nfunc (d *DB) Close() {}\n\n"
                            "func (d *DB) Reset() { d.Close(); other := &DB{}; other.Close() }\n\n"
                            "func use(d *DB) { d.Close() }\n",
    "internal/store/db_flush.go": "package store\n\nfunc (db *DB) Flush() { db.Close(); db.Missing() }\n",
    "internal/store/db_sync.go": "package store\n\nfunc (s *DB) Sync() { s.Flush(); s.Close() }\n",
    "internal/store/web.js": "function jsOnly() {}\n",  # beside the package, not in it
    "main.go": 'package main\n\nimport (\n\t"fmt"\n\tst "example.com/app/internal/store"\n)\n\n'
               "func main() { fmt.Println(st.Open()) }\n",
    "gopkg/cmd.go": "package gopkg\n\ntype Command struct{}\n",
    "dot/main.go": 'package main\n\nimport . "example.com/app/internal/store"\n\nfunc main() { Open(); defaultSize() }\n',
    "gopkg/marks.go": "package gopkg\n\nfunc (c *Command) Mark() error { return Mark(1) }\n\nfunc Mark(n int) error { return nil }\n",
    "src/local.h": "int helper(int x);\n",
    "src/main.c": '#include "local.h"\n#include <stdio.h>\nint main(void) { return helper(1); }\n',
    "java/src/com/acme/util/Widget.java": "package com.acme.util;\npublic class Widget { public void spin() {} }\n",
    "java/src/com/acme/Main.java": "package com.acme;\nimport com.acme.util.Widget;\n"
                                   "public class Main { void run() { Widget w = new Widget(); w.spin(); } }\n",
    "java/src/com/acme/util/Checks.java": "package com.acme.util;\npublic final class Checks {\n"
                                          "  public static void check(boolean b) {}\n  public static final int LIMIT = 1;\n"
                                          "  public static class Inner {}\n}\n",
    "java/src/com/acme/Static.java": "package com.acme;\nimport static com.acme.util.Checks.check;\n"
                                     "import static com.acme.util.Checks.*;\nimport com.acme.util.Checks.Inner;\n"
                                     "public class Static { void run() { check(true); int x = LIMIT; Inner i; } }\n",
    "java/src/com/acme/Helpers.java": "package com.acme;\npublic class Helpers { static void twice() {} }\n",
    "java/src/com/acme/Calls.java": "package com.acme;\npublic class Calls { void go() { Helpers.twice(); } }\n",
    "java/src/com/acme/Outer.java": "package com.acme;\npublic class Outer {\n  void emit() {}\n"
                                    "  Builder make() { emit(); return new Builder(); }\n"
                                    "  static class Builder { Builder() {} void build() { emit(); new Builder(); } }\n"
                                    "  void use(Runnable emit) { emit.run(); }\n}\n",
    "java/src/com/acme/Runner.java": "package com.acme;\npublic class Runner { Main main; }\n",
    "rs/src/util.rs": "pub fn helper() {}\n",
    "nest/Cargo.toml": '[package]\nname = "nest"\n',
    "nest/src/lib.rs": "mod outer {\n    mod x;\n    mod mid {\n        mod y;\n    }\n}\nmod x;\n",
    "nest/src/x.rs": "", "nest/src/outer/x.rs": "", "nest/src/outer/mid/y.rs": "", "nest/src/y.rs": "",
    "cr/Cargo.toml": '[package]\nname = "cr"\n',
    "cr/src/lib.rs": "pub mod net;\npub struct Error;\n",
    "cr/src/net.rs": "mod tcp;\nuse crate::{Error};\npub fn fail() -> Error { Error }\n"
                     "#[cfg(test)]\nmod tests {\n    use super::*;\n    fn t() { fail(); }\n}\n",
    "cr/src/err.rs": "use crate::Error;\nimpl Error {\n    pub fn code(&self) -> u8 { 0 }\n"
                     "    pub fn twice(&self) -> u8 { self.code() }\n}\n",
    "cr/src/net/tcp.rs": "use super::fail;\npub fn go() { fail(); }\n",
    "rs/src/geo.rs": "pub mod inner {\n    pub fn f() {}\n}\npub fn g() { inner::f(); }\n",
    "rs/src/net/mod.rs": "pub mod tcp;\n",
    "rs/src/net/tcp.rs": "pub struct Conn;\npub fn listen() {}\n",
    "rs/src/main.rs": "mod net;\nmod util;\nuse crate::util::helper;\nuse crate::net::tcp::{Conn, listen};\n"
                      "fn main() { helper(); let c = Conn; listen(); }\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with Index.open(make_repo(tmp_path_factory.mktemp("langs") / "repo", FILES)) as ix:
        ix.build()
        yield ix


def resolved(index: Index, path: str) -> list[tuple]:
    return index.conn.execute(
        "SELECT r.qualifier, r.name, r.line, r.col, r.target FROM refs r JOIN files f ON f.id=r.file_id"
        " WHERE f.path=? AND r.target IS NOT NULL ORDER BY r.line, r.col", (path,)).fetchall()


@pytest.mark.parametrize(
    ("path", "imports"),
    [
        ("web/app.ts", [("./util", "web/util.ts")] * 3),
        ("node/app.js", [("./lib/util", "node/lib/util.js")] * 2),
        ("main.go", [("fmt", None), ("example.com/app/internal/store", "internal/store")]),
        ("src/main.c", [("local.h", "src/local.h"), ("stdio.h", None)]),
        ("java/src/com/acme/Main.java", [("com.acme.util", "java/src/com/acme/util/Widget.java")]),  # the class's
        ("rs/src/main.rs", [("net", "rs/src/net/mod.rs"), ("util", "rs/src/util.rs"),
                            ("crate::util", "rs/src/util.rs"), ("crate::net::tcp", "rs/src/net/tcp.rs"),
                            ("crate::net::tcp", "rs/src/net/tcp.rs")]),
        # net.rs's modules are in net/; crate is the root file, super the module that declares the file's
        ("cr/src/net.rs", [("tcp", "cr/src/net/tcp.rs"), ("crate", "cr/src/lib.rs"), ("super", "cr/src/net.rs")]),
        ("cr/src/net/tcp.rs", [("super", "cr/src/net.rs")]),
        # a module an inline module declares is in the folder it names, not the crate root's
        ("nest/src/lib.rs", [("x", "nest/src/outer/x.rs"), ("y", "nest/src/outer/mid/y.rs"), ("x", "nest/src/x.rs")]),
    ],
)
def test_imports_resolve(index: Index, path: str, imports: list[tuple]) -> None:
    got = index.conn.execute("SELECT i.module, i.target FROM imports i JOIN files f ON f.id=i.file_id"
                             " WHERE f.path=? ORDER BY i.line, i.id", (path,)).fetchall()
    assert got == imports


@pytest.mark.parametrize(
    ("path", "refs"),
    [
        ("web/app.ts", [("", "helper", 3, 41, "web/util.ts::helper"), ("", "o", 3, 53, "web/util.ts::other"),
                        ("", "ns", 3, 59, "web/util.ts::"), ("ns", "helper", 3, 62, "web/util.ts::helper")]),
        ("node/app.js", [("", "util", 3, 26, "node/lib/util.js::"),
                         ("util", "helper", 3, 31, "node/lib/util.js::helper"),
                         ("", "other", 3, 43, "node/lib/util.js::other")]),
        # a default import names what the module's default export names; `export *` re-exports
        ("web/use.ts", [("", "count", 4, 40, "web/count.ts::count"), ("", "other", 4, 50, "web/util.ts::other"),
                        ("", "Shape", 4, 64, "web/shape.ts::Shape")]),
        ("web/count.ts", [("", "count", 2, 10, "web/count.ts::count")]),
        # a CommonJS module is what it assigns to module.exports, `module.exports = require(m)` m's exports
        ("node/server.js", [("", "res", 3, 27, "node/lib/res.js::res"), ("res", "send", 3, 31, "node/lib/res.js::res.send"),
                            ("", "lib", 3, 41, "node/lib/index.js::"),
                            ("lib", "other", 3, 45, "node/lib/util.js::other")]),
        ("node/cli.js", [("", "run", 2, 1, "node/lib/run.js::run")]),  # `module.exports = function run`
        # an anonymous default is the module's `default`
        ("node/jobs.js", [("", "Job", 2, 5, "node/lib/job.js::default")]),
        ("web/use_anon.ts", [("", "anon", 2, 1, "web/anon.ts::default")]),
        # a private member (`this.#step()`) is a use of it, as a public one is
        ("web/counter.ts", [("this", "#n", 4, 32, "web/counter.ts::Counter.#n"),
                            ("this", "#step", 4, 43, "web/counter.ts::Counter.#step")]),
        ("node/counter.js", [("this", "#step", 3, 24, "node/counter.js::Counter.#step")]),
        ("main.go", [("st", "Open", 8, 30, "internal/store/store.go::Open")]),
        ("internal/store/store.go", [("", "defaultSize", 3, 26, "internal/store/size.go::defaultSize")]),  # one package
        ("internal/store/size.go", []),
        # a method's receiver names its type, whichever file of the package defines the type; another variable of
        # that type (other) or a function's parameter is a local the index does not follow
        ("internal/store/db.go", [("", "DB", 5, 10, "internal/store/db.go::DB"),
                                  ("", "DB", 7, 10, "internal/store/db.go::DB"),
                                  ("d", "Close", 7, 26, "internal/store/db.go::DB.Close"),
                                  ("", "DB", 7, 45, "internal/store/db.go::DB"),
                                  ("", "DB", 9, 13, "internal/store/db.go::DB")]),
        ("internal/store/db_flush.go", [("", "DB", 3, 11, "internal/store/db.go::DB"),
                                        ("db", "Close", 3, 28, "internal/store/db.go::DB.Close")]),
        # a type's methods are those of every file of the package
        ("internal/store/db_sync.go", [("", "DB", 3, 10, "internal/store/db.go::DB"),
                                       ("s", "Flush", 3, 25, "internal/store/db_flush.go::DB.Flush"),
                                       ("s", "Close", 3, 36, "internal/store/db.go::DB.Close")]),
        # a bare name is no method's, whose type another file of the package defines: Mark is the function
        ("gopkg/marks.go", [("", "Command", 3, 10, "gopkg/cmd.go::Command"), ("", "Mark", 3, 41, "gopkg/marks.go::Mark")]),
        # a dot import's exported names are the file's bare names; an unexported one is not
        ("dot/main.go", [("", "Open", 5, 15, "internal/store/store.go::Open")]),
        ("java/src/com/acme/Runner.java", [("", "Main", 2, 23, "java/src/com/acme/Main.java::Main")]),
        ("src/main.c", [("", "helper", 3, 25, "src/local.h::helper")]),
        # a class of the package is a qualifier too, as it is a name
        ("java/src/com/acme/Calls.java", [("", "Helpers", 2, 34, "java/src/com/acme/Helpers.java::Helpers"),
                                          ("Helpers", "twice", 2, 42, "java/src/com/acme/Helpers.java::Helpers.twice")]),
        # in a class, a method called or a class named bare is a member of it or of a class around it; a variable
        # named bare may be a local one (the parameter emit), which the index does not know
        ("java/src/com/acme/Outer.java", [("", "Builder", 4, 3, "java/src/com/acme/Outer.java::Outer.Builder"),
                                          ("", "emit", 4, 20, "java/src/com/acme/Outer.java::Outer.emit"),
                                          ("", "Builder", 4, 39, "java/src/com/acme/Outer.java::Outer.Builder"),
                                          ("", "emit", 5, 54, "java/src/com/acme/Outer.java::Outer.emit"),
                                          # the class, not its constructor, a member of the same name
                                          ("", "Builder", 5, 66, "java/src/com/acme/Outer.java::Outer.Builder")]),
        # a static import names a member of the class, as does an import of a nested class
        ("java/src/com/acme/Static.java", [("", "check", 5, 36, "java/src/com/acme/util/Checks.java::Checks.check"),
                                           ("", "LIMIT", 5, 57, "java/src/com/acme/util/Checks.java::Checks.LIMIT"),
                                           ("", "Inner", 5, 64, "java/src/com/acme/util/Checks.java::Checks.Inner")]),
        ("java/src/com/acme/Main.java", [("", "Widget", 3, 34, "java/src/com/acme/util/Widget.java::Widget"),
                                         ("", "Widget", 3, 49, "java/src/com/acme/util/Widget.java::Widget")]),
        ("rs/src/main.rs", [("", "helper", 5, 13, "rs/src/util.rs::helper"),
                            ("", "Conn", 5, 31, "rs/src/net/tcp.rs::Conn"),
                            ("", "listen", 5, 37, "rs/src/net/tcp.rs::listen")]),
        ("cr/src/net.rs", [("", "Error", 3, 18, "cr/src/lib.rs::Error"), ("", "Error", 3, 26, "cr/src/lib.rs::Error"),
                           ("", "fail", 7, 14, "cr/src/net.rs::fail")]),
        ("cr/src/net/tcp.rs", [("", "fail", 2, 15, "cr/src/net.rs::fail")]),
        # an impl's methods of another file's type are its members in the impl's file
        ("cr/src/err.rs", [("self", "code", 4, 38, "cr/src/err.rs::Error.code")]),
        # an inline module is a name of its file, as a struct is: `inner::f()` is its f
        ("rs/src/geo.rs", [("", "inner", 4, 14, "rs/src/geo.rs::inner"), ("inner", "f", 4, 21, "rs/src/geo.rs::inner.f")]),
    ],
)
def test_references_resolve_through_imports(index: Index, path: str, refs: list[tuple]) -> None:
    assert resolved(index, path) == refs


def test_export_star_takes_underscored_names_too(tmp_path) -> None:
    """JavaScript has no private-name convention: `export *` re-exports `_internal`, but not the default."""
    repo = make_repo(tmp_path / "r", {
        "a.ts": "export function _internal() {}\nexport default function main() {}\n",
        "b.ts": 'export * from "./a";\n',
        "use.ts": 'import { _internal, default as d } from "./b";\n_internal();\n',
    })
    with Index.open(repo) as ix:
        ix.build()
        assert resolved(ix, "use.ts") == [("", "_internal", 2, 1, "a.ts::_internal")]


COLORS_H = "typedef enum { RED, GREEN } Color;\nenum shade { DARK };\ntypedef struct { int count; } Bag;\n"
MODES_H = "enum class Mode { Read };\nenum Plain { Write };\nnamespace ns { enum Inner { Deep }; }\n"


@pytest.mark.parametrize("files, path, refs", [
    ({"colors.h": COLORS_H, "paint.c": '#include "colors.h"\nint f(void) { return RED + DARK + GREEN + count; }\n'},
     "paint.c", [("", "RED", 2, 22, "colors.h::Color.RED"), ("", "DARK", 2, 28, "colors.h::shade.DARK"),
                 ("", "GREEN", 2, 35, "colors.h::Color.GREEN")]),
    ({"same.c": "enum shade { DARK };\nint f(void) { return DARK; }\n"},
     "same.c", [("", "DARK", 2, 22, "same.c::shade.DARK")]),
    ({"modes.h": MODES_H, "use.cpp": '#include "modes.h"\nint f() { return Read + Write + Deep; }\n'},
     "use.cpp", [("", "Write", 2, 25, "modes.h::Plain.Write")]),
])
def test_a_c_enums_constants_are_names_of_the_file_around_it(tmp_path, files: dict, path: str, refs: list) -> None:
    """A bare `DARK` names `shade.DARK` of `enum shade { DARK };`, in its file and in those including it, as C and
    C++ put an enum's constants in the scope around it; not a C++ `enum class`'s (`Mode::Read` only) nor a member's
    (`count`). A named enum's constants resolved nowhere, a typedef's anonymous enum's as the file's own names.
    The cold build and an update, which reads the stored rows, resolve alike."""
    root = make_repo(tmp_path / "r", files)
    with Index.open(root) as index:
        index.build()
        cold = resolved(index, path)
        (root / path).write_text(files[path] + "\n")
        index.update([path])
        assert (cold, resolved(index, path)) == (refs, refs)


def test_definition_across_languages_by_position(index: Index) -> None:
    assert [s.id for s in index.definitions("main.go:8:30")] == ["internal/store/store.go::Open"]


def test_a_go_package_name_follows_its_definition_across_updates(tmp_path) -> None:
    root = make_repo(tmp_path / "r", {"p/store.go": "package p\n\nfunc Open() int { return size() }\n",
                                      "p/size.go": "package p\n\nfunc other() int { return 1 }\n"})
    query = "SELECT r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='p/store.go' AND r.name='size'"
    targets = []
    with Index.open(root) as index:
        index.build()
        for path, text in [("p/size.go", "func size() int { return 1 }"), ("p/size.go", "func other() int { return 1 }"),
                           ("p/extra.go", "func size() int { return 2 }")]:
            (root / path).write_text(f"package p\n\n{text}\n")
            index.update([path])
            targets.append(index.conn.execute(query).fetchone()[0])
    assert targets == ["p/size.go::size", None, "p/extra.go::size"]


def test_a_go_receivers_uses_follow_its_methods_across_updates(tmp_path) -> None:
    """An update resolves from the stored rows, where the receiver is read from the method's signature."""
    root = make_repo(tmp_path / "r", {"p/db.go": "package p\n\ntype DB struct{}\n\nfunc (d *DB) Close() {}\n",
                                      "p/flush.go": "package p\n\nfunc (db *DB) Flush() { db.Close() }\n"})
    query = "SELECT r.line, r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='p/flush.go' AND r.name='Close'"
    found = []
    with Index.open(root) as index:
        index.build()
        for path, text in [("p/flush.go", "\nfunc (db *DB) Flush() { db.Close() }"), ("p/db.go", "type DB struct{}"),
                           ("p/db.go", "type DB struct{}\n\nfunc (d *DB) Close() {}")]:
            (root / path).write_text(f"package p\n\n{text}\n")
            index.update([path])
            found.append(index.conn.execute(query).fetchone())
    assert found == [(4, "p/db.go::DB.Close"), (4, None), (4, "p/db.go::DB.Close")]


def test_a_go_types_methods_in_other_files_follow_them_across_updates(tmp_path) -> None:
    """The stored rows say a method of another file than its type's by its id (`p/flush.go::DB.Flush`), its parent
    the module."""
    root = make_repo(tmp_path / "r", {"p/db.go": "package p\n\ntype DB struct{}\n",
                                      "p/flush.go": "package p\n\nfunc (db *DB) Flush() {}\n",
                                      "p/sync.go": "package p\n\nfunc (s *DB) Sync() { s.Flush() }\n"})
    query = "SELECT r.line, r.target FROM refs r JOIN files f ON f.id=r.file_id WHERE f.path='p/sync.go' AND r.name='Flush'"
    found = []
    with Index.open(root) as index:
        index.build()
        for path, text in [("p/sync.go", "\nfunc (s *DB) Sync() { s.Flush() }"), ("p/flush.go", ""),
                           ("p/flush.go", "func (db *DB) Flush() {}")]:
            (root / path).write_text(f"package p\n\n{text}\n")
            index.update([path])
            found.append(index.conn.execute(query).fetchone())
    assert found == [(4, "p/flush.go::DB.Flush"), (4, None), (4, "p/flush.go::DB.Flush")]


def test_an_edited_go_mod_re_resolves_imports(tmp_path) -> None:
    """go.mod's module path is what Go imports start with: editing it changes their targets, as a cold build says."""
    repo = make_repo(tmp_path / "r", {"go.mod": "module example.com/app\n", "main.go": FILES["main.go"],
                                      "internal/store/store.go": FILES["internal/store/store.go"]})
    with Index.open(repo) as ix:
        ix.build()
        target = "SELECT i.target FROM imports i JOIN files f ON f.id=i.file_id WHERE i.module LIKE 'example.com/%'"
        assert ix.conn.execute(target).fetchall() == [("internal/store",)]
        (repo / "go.mod").write_text("module example.com/other\n")
        ix.build()
        assert ix.conn.execute(target).fetchall() == [(None,)]


def test_a_rust_inline_module_is_in_its_files_outline(index: Index) -> None:
    assert [(s.kind, s.qualname) for s in index.outline("rs/src/geo.rs")] == [
        ("namespace", "inner"), ("function", "inner::f"), ("function", "g")]


def test_a_name_two_files_of_a_go_package_define_is_the_first_files_in_every_process(tmp_path) -> None:
    """Build variants (`//go:build windows` and `!windows`) define one name twice: the file a use resolved to
    followed the order of a set of paths, which Python's hash seed changes from one process to the next."""
    repo = make_repo(tmp_path / "r", {
        "go.mod": "module example.com/app\n\ngo 1.21\n",
        "hook_win.go": "package app\n\nvar hook = 1\n", "hook_notwin.go": "package app\n\nvar hook = 2\n",
        "main.go": "package app\n\nfunc run() int { return hook }\n"})
    targets = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        shutil.rmtree(repo / ".codewright", ignore_errors=True)
        out = subprocess.run([sys.executable, "-m", "codewright", "refs", "hook", "--json"], cwd=repo, text=True,
                             capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True, timeout=120)
        targets.update(r["target"] for r in json.loads(out.stdout)["references"])
    assert targets == {"hook_notwin.go::hook"}
