"""The repo map beyond Python: where imports leave uses unresolved (a Go package spans its folder,
a CommonJS module hands out an object), uses matched by name still rank the files they lean on."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_repo import make_repo

from codewright.graph.index import Index

GO_PACKAGE = {  # one package: no file imports another, every call crosses files by name
    "alpha.go": "package app\n\nfunc Alpha() int { return 1 }\n",
    "beta.go": "package app\n\nfunc Beta() { Serve(Alpha()) }\n",
    "gamma.go": "package app\n\nfunc Gamma() { Serve(2) }\n",
    "serve.go": "package app\n\nfunc Serve(n int) {}\n",
}

COMMONJS = {  # the library's methods are reached through the object `require` returns
    "examples/a.js": "const path = require('path');\nconst app = require('../lib/app');\napp.use(path.sep);\n",
    "lib/app.js": "const core = require('./core');\nexports.use = function use(fn) {\n  return core.start(fn);\n};\n",
    "lib/core.js": "exports.start = function start(fn) {\n  return fn;\n};\n",
}

# lib/paths.js's parameter `path` is its own: the examples' `const path = require(...)` are theirs,
# and so is each module's `module.exports`
OWN_VARIABLES = {
    "examples/a.js": "const path = require('path');\n",
    "examples/b.js": "const path = require('path');\n",
    "examples/c.js": "module.exports = function () {};\n",
    "lib/core.js": "const core = {};\ncore.start = function start() {};\nmodule.exports = core;\n",
    "lib/paths.js": "exports.join = function join(path) {\n  return [path, path, path, path, path].concat(core.start());\n};\n",
}

# a bundled library's definitions are not the tree's, nor is a one- or two-character name what a use means
NOT_MATCHED = {
    "assets/vendor/lib.min.js": "x.render=function(){};",
    "aa.js": "x.ab = function ab() {};\n",
    "main.js": "x.render();\nx.ab(); x.ab(); x.ab(); x.ab();\n",
    "view.js": "x.render = function render() {};\n",
}

GO_IMPORTED = {  # fmt.Println is fmt's, whatever the tree defines by that name
    "alpha.go": 'package app\n\nimport "fmt"\n\nfunc A() { fmt.Println(); fmt.Println(); fmt.Println(); help() }\n',
    "help.go": "package app\n\nfunc help() {}\n",
    "printer.go": "package app\n\ntype P struct{}\n\nfunc (p P) Println() {}\n",
}

GO_MEMBERS = {  # x.Count() calls a method: not the package-level func Count of another package
    "a/a.go": "package a\n\nfunc A() { x.Count(); x.Count(); x.Count() }\n",
    "b/count.go": "package b\n\nfunc Count() int { return 0 }\n",
    "b/list.go": "package b\n\ntype L struct{}\n\nfunc (l L) Count() int { return 0 }\n",
}

RUST_FIELDS = {  # a field named in a struct literal is a member's name, not a function's
    "a.rs": "fn a() { let o = Opts { depth: 1 }; let p = Opts { depth: 2 }; }\n",
    "b.rs": "pub fn depth() {}\n",
    "c.rs": "pub struct W;\nimpl W {\n    pub fn depth(&self) {}\n}\n",
}

JAVA_IMPLICIT_THIS = {  # a bare call in Java can name an (inherited) method
    "a/A.java": "package a;\nclass A { void run() { helper(); helper(); } }\n",
    "b/B.java": "package b;\npublic class B { void helper() {} }\n",
}

C_NO_THIS = {  # a bare `count` in C is a local or a global, no struct's member; in C++ it may be this->count
    "a.c": "int run(void) { int count = 0; count++; count++; return count + helper(); }\n",
    "bag.h": "struct bag { int count; };\n",
    "help.c": "int helper(void) { return 0; }\n",
}

C_ENUM_BY_NAME = {  # an enum's constant is a name of the file around it, which a C file names bare
    "a.c": "int run(void) { return DARK + DARK + DARK + helper(); }\n",
    "shade.h": "enum shade { DARK };\n",
    "help.c": "int helper(void) { return 0; }\n",
}

CPP_IMPLICIT_THIS = {
    "a.cpp": "int Box::run() { return count + count + count + helper(); }\n",
    "bag.h": "class Bag { int count; };\n",
    "help.cpp": "int helper() { return 0; }\n",
}

JS_THROUGH_THE_OBJECT = {  # `res.send = ...` is named as res.send: not by a bare `send()`, nor `req.send()`
    "a.js": "send(); send(); send();\nreq.send(); req.send();\n",
    "b.js": "res.send = function send() {};\n",
    "c.js": "res.start = function start() {};\n",
    "d.js": "res.start();\n",
}

FUNCTION_LOCAL = {  # the getter inside make's object literal is make's own
    "a.ts": "export const make = () => ({\n  get url() { return 1; },\n});\n",
    "b.ts": "export const page = {\n  open() {},\n};\n",
    "c.ts": "make.url; make.url; make.url; page.open();\n",
}

CLASS_MEMBERS = {  # reached through values no import names, as in Python: left to the resolver
    "a.ts": "export class Page {\n  open(): void {}\n}\n",
    "b.ts": "export const page = {\n  close() {},\n};\n",
    "c.ts": "page.open(); page.open(); page.open(); page.close();\n",
}


@pytest.mark.parametrize(("files", "first"), [
    (GO_PACKAGE, ["serve.go:", "  func Serve(n int)"]),
    (COMMONJS, ["lib/core.js:", "  exports.start = function start(fn)"]),
    (OWN_VARIABLES, ["lib/core.js:", "  core =", "  core.start = function start()"]),
    (NOT_MATCHED, ["view.js:", "  x.render = function render()"]),
    (GO_IMPORTED, ["help.go:", "  func help()"]),
    (GO_MEMBERS, ["b/list.go:", "  type L struct", "  func (l L) Count() int"]),
    (RUST_FIELDS, ["c.rs:", "  pub struct W", "  W.depth: pub fn depth(&self)"]),
    (JAVA_IMPLICIT_THIS, ["b/B.java:"]),
    (C_NO_THIS, ["help.c:", "  int helper(void)"]),
    (CPP_IMPLICIT_THIS, ["bag.h:", "  class Bag"]),
    (C_ENUM_BY_NAME, ["shade.h:", "  enum shade"]),
    (JS_THROUGH_THE_OBJECT, ["c.js:", "  res.start = function start()"]),
    (FUNCTION_LOCAL, ["b.ts:", "  page =", "      open()"]),
    (CLASS_MEMBERS, ["b.ts:", "  page =", "      close()"]),
])
def test_uses_matched_by_name_rank_the_defining_file_first(tmp_path: Path, files: dict, first: list[str]) -> None:
    with Index.open(make_repo(tmp_path / "r", files)) as index:
        index.build()
        assert index.repo_map(4000).splitlines()[: len(first)] == first


def test_a_name_defined_in_another_language_is_not_a_match(tmp_path: Path) -> None:
    files = {"aa.c": "int Render(void) { return 0; }\n", "b.go": "package app\n\nfunc B() { x.Render(); x.Render() }\n",
             "r.go": "package app\n\ntype T struct{}\n\nfunc (t T) Render() {}\n"}
    with Index.open(make_repo(tmp_path / "r", files)) as index:
        index.build()
        lines = index.repo_map(4000).splitlines()
    assert lines.index("r.go:") < lines.index("aa.c:")


def test_a_go_method_is_shown_where_the_file_writes_it(tmp_path: Path) -> None:
    """A Go method is written outside its type, often after another type: indented under its type's line, it read
    as the member of whatever was above it (cobra's Command methods under type commandSorterByName); it is at the
    top, in line order, as outline draws it, its signature naming its type."""
    files = {"shape.go": "package app\n\ntype A struct{}\n\ntype B []int\n\nfunc (b B) Len() int { return 0 }\n\n"
                         "func (a *A) Run() {}\n\nfunc Free() {}\n",
             "main.go": "package app\n\nfunc main() { a := A{}; a.Run(); b := B{}; b.Len(); Free() }\n"}
    with Index.open(make_repo(tmp_path / "r", files)) as index:
        index.build()
        assert index.repo_map(4000).splitlines() == [
            "shape.go:", "  type A struct", "  type B []int", "  func (b B) Len() int", "  func (a *A) Run()",
            "  func Free()", "main.go:", "  func main()"]
