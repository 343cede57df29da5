"""The graph commands end to end, as a user runs them: real processes, JSON validated against docs/cli.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_repo import PYTHON_REPO, make_repo

from support.cli_schema import validate, validate_strictly


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codewright", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("cli") / "repo", PYTHON_REPO, git=True)


# the keys that are data, not fields: a language's or a phase's name
MAPS = {"index": ["phases.*"], "stats": ["languages.*"]}


def run_json(command: str, *args: str, code: int = 0) -> dict:
    """The command's JSON, exited with `code` and checked against its schema, which must catch a field renamed,
    missing or added."""
    out = cli(command, *args, "--json")
    assert out.returncode == code, out.stderr
    obj = json.loads(out.stdout)
    validate_strictly(command, obj, MAPS.get(command, ()))
    return obj


def test_index_json_then_unchanged_run_parses_nothing(repo: Path) -> None:
    first = run_json("index", str(repo))
    assert first["files"] == 5 and first["notices"] == []
    second = run_json("index", str(repo))
    assert (second["parsed"], second["unchanged"]) == (0, 5)


def test_index_defaults_to_current_directory_and_is_quiet_off_terminal(repo: Path) -> None:
    out = cli("index", cwd=repo)
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("indexed 5 files")


@pytest.mark.parametrize(
    ("command", "args", "check"),
    [
        ("symbols", ["mkusr"], lambda o: o["symbols"][0]["id"] == "pkg/models.py::make_user"),
        ("def", ["pkg.models.User"], lambda o: [d["id"] for d in o["definitions"]] == ["pkg/models.py::User"]),
        ("def", ["pkg/views.py:9:16"], lambda o: o["definitions"][0]["id"] == "pkg/models.py::make_user"),
        ("def", ["pkg/models.py::"], lambda o: [(d["kind"], d["parent"]) for d in o["definitions"]] == [("module", None)]),
        ("refs", ["pkg/models.py::make_user"], lambda o: [(r["path"], r["line"]) for r in o["references"]]
         == [("pkg/views.py", 7), ("pkg/views.py", 9)]),
        ("outline", ["pkg/models.py"], lambda o: [s["name"] for s in o["symbols"]]
         == ["User", "__init__", "get_user_name", "make_user"]),
        ("stats", [], lambda o: o["files"] == 5 and o["languages"]["python"] == 4),
        ("map", ["--tokens", "40"], lambda o: 0 < o["tokens"] <= 40 and o["files"][0] == "pkg/models.py"),
        ("map", ["--tokens", "200", "--focus", "show"], lambda o: o["files"][0] == "pkg/views.py"),
    ],
)
def test_query_commands_json(repo: Path, command: str, args: list[str], check) -> None:
    obj = run_json(command, *args, "--repo", str(repo))
    assert check(obj), obj


def test_query_builds_index_first_when_there_is_none(tmp_path: Path) -> None:
    fresh = make_repo(tmp_path / "fresh", PYTHON_REPO)
    obj = run_json("symbols", "show", "--repo", str(fresh))
    assert obj["symbols"][0]["id"] == "pkg/views.py::show"
    assert (fresh / ".codewright" / "index.db").exists()


def test_outline_accepts_a_path_relative_to_the_current_directory(repo: Path) -> None:
    out = cli("outline", "models.py", "--repo", str(repo), cwd=repo / "pkg")
    assert out.returncode == 0 and "class User" in out.stdout


def test_a_file_name_holding_colons_is_outlined_and_mapped_by_its_own_nesting(tmp_path: Path) -> None:
    """Ids were split at their first `::`, inside `x::y.py`: every symbol was indented one level too deep."""
    (tmp_path / "x::y.py").write_text("class C:\n    def m(self):\n        pass\n\ndef f():\n    pass\n")
    assert cli("outline", "x::y.py", cwd=tmp_path).stdout == "    1  class C\n    2    def m(self)\n    5  def f()\n"
    assert cli("map", cwd=tmp_path).stdout == "x::y.py:\n  class C\n  def f()\n"


GO = ("package p\n\ntype A struct{}\n\ntype B struct{}\n\nfunc (a A) Run() {}\n\nfunc helper() {}\n\nfunc (b *B) Run() {}\n\n"
      "type C interface {\n\tRun()\n}\n")
RUST = ("struct A;\n\n#[derive(Debug)]\nenum E { X }\n\nimpl A {\n    #[inline]\n    fn run(&self) {\n        fn inner() {}\n"
        "    }\n}\n\nmod m {\n    pub struct S;\n    impl S {\n        pub fn run(&self) {}\n    }\n}\n\n"
        "impl Other {\n    fn run(&self) {}\n}\n")
CPP = ("class A {\npublic:\n    void f();\n    class Inner {\n        void h() {}\n    };\n};\n\nvoid helper() {}\n\n"
       "void A::f() {}\n\nnamespace ns {\nstruct S { void g(); };\nvoid S::g() {}\n}\n")
PYTHON = ("class A:\n    class Inner:\n        def run(self):\n            pass\n\n    @property\n    def run(self):\n"
          "        def local():\n            pass\n        return local\n\n\ndef outer():\n    def inner():\n"
          "        pass\n    return inner\n")
TS = ('@Component({selector: "x"})\nclass A {\n  @HostListener("click") onClick() {}\n  run(): void {}\n}\n\n'
      'namespace N {\n  export class Inner {\n    run(): void {}\n  }\n}\ndeclare module "lib.name" {\n'
      '  export function f(): void;\n}\n')
JAVA = ('class A {\n    @Override\n    public String toString() { return ""; }\n\n    static class Inner {\n'
        '        void run() {}\n    }\n}\n\nclass B {\n    void run() {}\n}\n')


@pytest.mark.parametrize("files, name, outline, mapped", [
    ({"a.go": GO}, "a.go",
     ("    3  type A struct\n    5  type B struct\n    7  func (a A) Run()\n    9  func helper()\n"
      "   11  func (b *B) Run()\n   13  type C interface\n   14    Run()\n"),
     ("a.go:\n  type A struct\n  type B struct\n  func (a A) Run()\n  func helper()\n  func (b *B) Run()\n"
      "  type C interface\n      Run()\n")),
    ({"a.go": "package p\n\nfunc helper() {}\n\nfunc (t *T) Go() {}\n", "b.go": "package p\n\ntype T struct{}\n"},
     "a.go", "    3  func helper()\n    5  func (t *T) Go()\n",
     "a.go:\n  func helper()\n  func (t *T) Go()\nb.go:\n  type T struct\n"),
    ({"a.rs": RUST}, "a.rs",
     ("    1  struct A\n    4  #[derive(Debug)] enum E\n    4    X\n    8  A.run: #[inline] fn run(&self)\n"
      "    9    fn inner()\n   13  mod m\n   14    pub struct S\n   16    S.run: pub fn run(&self)\n"
      "   21  Other.run: fn run(&self)\n"),
     ("a.rs:\n  struct A\n  #[derive(Debug)] enum E\n      X\n  A.run: #[inline] fn run(&self)\n      fn inner()\n"
      "  mod m\n      pub struct S\n      S.run: pub fn run(&self)\n  Other.run: fn run(&self)\n")),
    ({"a.cpp": CPP}, "a.cpp",
     ("    1  class A\n    4    class Inner\n    5      void h()\n    9  void helper()\n   11  void A::f()\n"
      "   13  namespace ns\n   14    struct S\n   15    void S::g()\n"),
     ("a.cpp:\n  class A\n      class Inner\n          void h()\n  void helper()\n  void A::f()\n  namespace ns\n"
      "      struct S\n      void S::g()\n")),
    ({"foo.cpp": "int helper() { return 1; }\n\nvoid Foo::bar() {}\n"},
     "foo.cpp", "    1  int helper()\n    3  void Foo::bar()\n", "foo.cpp:\n  int helper()\n  void Foo::bar()\n"),
    ({"a.c": "struct P { int x; };\n\nstatic int helper(int a) { return a; }\n\nint main(void) { return helper(1); }\n"},
     "a.c", "    1  struct P\n    1    int x\n    3  static int helper(int a)\n    5  int main(void)\n",
     "a.c:\n  struct P\n      int x\n  static int helper(int a)\n  int main(void)\n"),
    ({"a.py": PYTHON}, "a.py",
     ("    1  class A\n    2    class Inner\n    3      def run(self)\n    7    @property def run(self)\n"
      "    8      def local()\n   13  def outer()\n   14    def inner()\n"),
     ("a.py:\n  class A\n      class Inner\n          def run(self)\n      @property def run(self)\n"
      "  def outer()\n")),  # what a Python function defines is no name a reader of the map can use
    ({"w.js": "function W() {}\nfunction helper() {}\nW.prototype.draw = function () {};\n"
              "Other.prototype.go = function () {};\nclass A {\n  run() {}\n}\n"}, "w.js",
     ("    1  function W()\n    2  function helper()\n    3  W.prototype.draw = function ()\n"
      "    4  Other.prototype.go = function ()\n    5  class A\n    6    run()\n"),
     ("w.js:\n  function W()\n  function helper()\n  W.prototype.draw = function ()\n"
      "  Other.prototype.go = function ()\n  class A\n      run()\n")),
    ({"a.ts": TS}, "a.ts",
     ('    2  @Component({selector: "x"}) class A\n    3    @HostListener("click") onClick()\n    4    run(): void\n'
      '    7  namespace N\n    8    class Inner\n    9      run(): void\n   12  module "lib.name"\n'
      '   13    function f(): void;\n'),
     ('a.ts:\n  @Component({selector: "x"}) class A\n      @HostListener("click") onClick()\n      run(): void\n'
      '  namespace N\n      class Inner\n          run(): void\n  module "lib.name"\n      function f(): void;\n')),
    ({"A.java": JAVA}, "A.java",
     ("    1  class A\n    3    @Override public String toString()\n    5    static class Inner\n    6      void run()\n"
      "   10  class B\n   11    void run()\n"),
     ("A.java:\n  class A\n      @Override public String toString()\n      static class Inner\n          void run()\n"
      "  class B\n      void run()\n")),
], ids=["go methods apart from their types", "go: a method of another file's type", "rust impls after other items",
        "c++ out-of-class members", "c++: a member of a class the file does not define", "c",
        "python nested classes and functions", "javascript prototypes", "typescript decorators and namespaces",
        "java nested classes"])
def test_outline_and_map_draw_the_file_as_it_is_written(tmp_path: Path, files: dict, name: str, outline: str,
                                                        mapped: str) -> None:
    """outline and map list a file's symbols in line order, each under the one whose text holds it; one written
    outside its type (a Go method, a Rust impl's fn, C++'s `void A::f()`, a JavaScript prototype's) at the top,
    its qualified name before a signature that does not say it (`A.run: fn run(&self)`): drawn under its type, it
    stood under whatever was written above it, another type or a function, as its member."""
    make_repo(tmp_path, files)
    assert cli("outline", name, cwd=tmp_path).stdout == outline
    assert cli("map", "--focus", name, cwd=tmp_path).stdout == mapped


@pytest.mark.parametrize("files, focus, mapped", [
    ({"a.go": GO}, "B", "a.go:\n  type A struct\n  type B struct\n  func helper()\n  func (b *B) Run()\n"),
    ({"a.rs": RUST}, "S", "a.rs:\n  struct A\n  mod m\n      pub struct S\n      S.run: pub fn run(&self)\n"),
], ids=["go", "rust"])
def test_a_focused_type_is_mapped_with_its_methods_where_they_are_written(tmp_path: Path, files: dict, focus: str,
                                                                          mapped: str) -> None:
    """`map --focus TYPE` shows its methods written apart from it in their places, named as outline names them."""
    make_repo(tmp_path, files)
    assert cli("map", "--focus", focus, "--tokens", "30", cwd=tmp_path).stdout == mapped


@pytest.mark.parametrize("args", [["outline", "a.py"], ["def", "f"], ["refs", "f"], ["symbols", "f"], ["stats"],
                                  ["map"]])
def test_a_query_on_a_stale_index_says_so_on_stderr(tmp_path: Path, args: list[str]) -> None:
    """A query answered from the index of before an edit, and said nothing about it."""
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (tmp_path / name).write_text("def f():\n    pass\n")
    assert cli("index", cwd=tmp_path).returncode == 0
    assert cli(*args, cwd=tmp_path).stderr == ""
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    (tmp_path / "d.py").unlink()
    os.utime(tmp_path / "b.py", ns=(10**9, 10**9))  # touched, its bytes the same: not changed
    for name in ("e.py", "f.py"):
        (tmp_path / name).write_text("")
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 0
    assert out.stderr == ("codewright: 4 files changed since the last index (a.py, d.py, e.py and 1 more); answers may"
                          " be out of date: `codewright index` updates it\n")
    assert cli("index", cwd=tmp_path).returncode == 0
    assert cli(*args, cwd=tmp_path).stderr == ""


def test_the_call_graph_queries_bring_the_index_up_to_date_first(tmp_path: Path) -> None:
    """As `find` does: callers answered from the index of before an edit, the resolver reading the files as they
    are now, and missed a call the edit had added."""
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    (tmp_path / "b.py").write_text("from a import f\n\n\ndef g():\n    pass\n")
    assert cli("callers", "a.py::f", cwd=tmp_path).returncode == 0  # builds the index and the call graph
    (tmp_path / "b.py").write_text("from a import f\n\n\ndef g():\n    f()\n")
    (tmp_path / "c.py").write_text("from a import f\n\n\ndef h():\n    return f()\n")
    for args in (["callers", "a.py::f"], ["impact", "a.py::f"]):
        out = cli(*args, "--json", cwd=tmp_path)
        assert (out.returncode, out.stderr) == (0, "")
        assert sorted(row["id"] for row in json.loads(out.stdout)["callers"]) == ["b.py::g", "c.py::h"], out.stdout


def test_impact_shows_each_caller_under_the_one_it_calls(tmp_path: Path) -> None:
    """Indented by distance alone in (distance, name) order, `top` (a caller of a1) was printed under b1, and read as
    calling it; --json says through which callee each was reached."""
    (tmp_path / "a.py").write_text("def base():\n    pass\n\n\ndef a1():\n    base()\n\n\ndef b1():\n    base()\n\n\n"
                                   "def top():\n    a1()\n")
    out = cli("impact", "a.py::base", cwd=tmp_path)
    assert (out.returncode, out.stdout) == (0, "a.py::base\n  a.py::a1\n    a.py::top\n  a.py::b1\n")
    obj = run_json_in(tmp_path, "impact", "a.py::base")
    assert obj["callers"] == [{"id": "a.py::a1", "distance": 1, "via": "a.py::base"},
                              {"id": "a.py::b1", "distance": 1, "via": "a.py::base"},
                              {"id": "a.py::top", "distance": 2, "via": "a.py::a1"}]


def run_json_in(cwd: Path, command: str, *args: str) -> dict:
    out = cli(command, *args, "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    validate(command, obj)
    return obj


def test_map_text_output_fits_budget(repo: Path) -> None:
    from codewright.graph.repomap import token_counter

    out = cli("map", "--tokens", "60", "--repo", str(repo))
    assert out.returncode == 0 and out.stdout.startswith("pkg/models.py:")
    assert token_counter()(out.stdout) <= 60


@pytest.mark.parametrize("files, tokens, why", [
    ({"logo.bin": b"\0\1"}, "1024", "no symbols are indexed under {root}"),
    (PYTHON_REPO, "2", "no file fits in 2 tokens"),
])
def test_an_empty_map_says_why_on_stderr(tmp_path: Path, files: dict, tokens: str, why: str) -> None:
    root = make_repo(tmp_path / "r", files)
    out = cli("map", "--tokens", tokens, "--repo", str(root))
    assert (out.returncode, out.stdout) == (0, "")
    assert out.stderr == f"codewright: the map is empty: {why.format(root=root.resolve())}\n"


@pytest.mark.parametrize(
    "args",
    [["index", "{missing}"], ["stats", "--repo", "{missing}"], ["map", "--repo", "{missing}", "--json"]],
)
def test_missing_path_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    out = cli(*[a.format(missing=tmp_path / "nope") for a in args])
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "no such directory" in out.stderr and "Traceback" not in out.stderr


def test_def_not_found_exits_1_with_one_line(repo: Path) -> None:
    out = cli("def", "no_such_symbol", "--repo", str(repo))
    assert out.returncode == 1 and out.stderr == "codewright: no definition found for no_such_symbol\n"


def test_def_not_found_prints_its_empty_list_in_json(repo: Path) -> None:
    assert run_json("def", "no_such_symbol", "--repo", str(repo), code=1) == {"target": "no_such_symbol",
                                                                             "definitions": []}


@pytest.mark.parametrize("form", ["./pkg/views.py", "{repo}/pkg/views.py", "../repo/pkg/views.py"])
def test_def_at_a_position_takes_the_file_as_outline_does(repo: Path, form: str) -> None:
    out = cli("def", form.format(repo=repo) + ":9:16", cwd=repo)
    assert (out.returncode, out.stdout) == (0, "pkg/models.py:11:1  def make_user(name)\n")


@pytest.mark.parametrize("form", ["./pkg/views.py", "{repo}/pkg/views.py", "../repo/pkg/views.py"])
def test_refs_at_a_position_takes_the_file_as_def_does(repo: Path, form: str) -> None:
    """A FILE other than as the tree names it (./pkg/views.py) was `'./pkg/views.py' is not in the index`."""
    out = cli("refs", form.format(repo=repo) + ":9:16", cwd=repo)
    assert out.returncode == 0
    assert out.stdout.splitlines() == ["pkg/views.py:7:12  call       make_user  -> pkg/models.py::make_user",
                                       "pkg/views.py:9:14  call       m.make_user  -> pkg/models.py::make_user"]


def test_def_at_a_line_beyond_any_file_is_not_found(repo: Path) -> None:
    target = "pkg/models.py:99999999999999999999999:1"
    out = cli("def", target, "--repo", str(repo))
    assert out.returncode == 1 and out.stderr == f"codewright: no definition found for {target}\n"


@pytest.mark.parametrize(("name", "make", "why"), [
    ("loop1", lambda repo: ((repo / "loop1").symlink_to("loop2"), (repo / "loop2").symlink_to("loop1")), "symlink loop"),
    ("blob.py", lambda repo: (repo / "blob.py").write_bytes(b"\0\1\2" * 100), "binary"),
])
def test_outline_of_a_file_the_index_left_out_says_why(tmp_path: Path, name: str, make, why: str) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    make(repo)
    out = cli("outline", name, cwd=repo)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.startswith(f"codewright: {name} is not indexed: {why}") and out.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "folder"), [
    (["outline", "pkg"], "pkg"),
    (["outline", "pkg/"], "pkg"),
    (["outline", "."], "."),
    (["def", "pkg:1:1"], "pkg"),
])
def test_a_folder_given_for_a_file_is_said_to_be_one(repo: Path, args: list[str], folder: str) -> None:
    """It was "pkg is not in the index", read as an index to rebuild."""
    out = cli(*args, cwd=repo)
    assert (out.returncode, out.stdout, out.stderr) == (2, "", f"codewright: {folder} is a folder: give one of its files\n")


@pytest.mark.parametrize(("args", "stdout"), [
    (["outline", "notes.py"], "notes.py defines no symbols\n"),  # was nothing at all
    (["outline", "notes.py", "--json"], '{"path": "notes.py", "symbols": []}\n'),
])
def test_an_outline_of_no_symbols_says_so(tmp_path: Path, args: list[str], stdout: str) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.py": "# nothing defined here\n"})
    out = cli(*args, cwd=repo)
    assert (out.returncode, out.stdout) == (0, stdout)


def test_a_focus_naming_nothing_is_said_and_the_map_still_made(repo: Path) -> None:
    out = cli("map", "--focus", "nope.py", "no_such_name", "--tokens", "200", "--repo", str(repo))
    assert out.returncode == 0 and out.stdout
    assert out.stderr == ("codewright: --focus nope.py names no indexed file, folder or symbol\n"
                          "codewright: --focus no_such_name names no indexed file, folder or symbol\n")


@pytest.mark.parametrize("focus", [[""], ["show", " "]])
def test_an_empty_focus_is_a_usage_error(repo: Path, focus: list[str]) -> None:
    """`--focus "$UNSET"` was read as the path `.` and said to name nothing, the map made anyway."""
    out = cli("map", "--focus", *focus, "--repo", str(repo))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr.endswith("\ncodewright map: error: argument --focus: it is empty\n")


@pytest.mark.parametrize("given", ["./pkg/views.py", "ABSOLUTE"])
def test_a_focus_path_is_read_as_outline_reads_it(repo: Path, given: str) -> None:
    given = str(repo / "pkg" / "views.py") if given == "ABSOLUTE" else given
    out = cli("map", "--focus", given, "--tokens", "200", "--json", cwd=repo)
    assert out.returncode == 0 and out.stderr == "" and json.loads(out.stdout)["files"][0] == "pkg/views.py"


def test_one_signature_of_pages_leaves_the_rest_of_the_map(tmp_path: Path) -> None:
    files = {f"m{n}.py": f"def f{n}(x):\n    return x\n" for n in range(5)}
    files["big.py"] = "def big(x=" + " + ".join(["'word'"] * 3000) + "):\n    return x\n"
    root = make_repo(tmp_path / "r", files)
    out = cli("map", "--tokens", "2048", "--json", "--repo", str(root))
    assert out.returncode == 0, out.stderr
    assert sorted(json.loads(out.stdout)["files"]) == ["big.py", "m0.py", "m1.py", "m2.py", "m3.py", "m4.py"]


@pytest.mark.parametrize(("args", "line"), [
    (["symbols", "zzz"], "no symbol's name matches 'zzz'"),
    (["refs", "zzz"], "no uses of 'zzz' are indexed"),
    (["refs", "Engine."], "no uses of 'Engine.' are indexed"),  # no `codewright refs ` with an empty name
    (["refs", "pkg.models.User.get_user"],
     "no use is resolved to 'pkg.models.User.get_user' (`codewright refs get_user` lists every use of the name)"),
    (["refs", "pkg/models.py:7:9"],  # the symbol there by id, its name not the position's last part (`py:7:9`)
     ("no use is resolved to 'pkg/models.py::User.get_user_name' (`codewright refs get_user_name` lists every use of"
      " the name)")),
    (["refs", "pkg/models.py:3:1"], "no uses of 'pkg/models.py:3:1' are indexed"),  # a blank line: no symbol there
])
def test_a_query_matching_nothing_says_so_in_one_line(repo: Path, args: list[str], line: str) -> None:
    out = cli(*args, "--repo", str(repo))
    assert (out.returncode, out.stdout, out.stderr) == (0, line + "\n", "")


MEMBERS_NAMED_GET = {f"m{n}.py": f"class C{n}:\n    def get(self):\n        pass\n" for n in range(1, 6)}


@pytest.mark.parametrize(("classes", "line"), [
    (1, "no use is resolved to 'm1.py::C1.get' (`codewright refs get` lists every use of the name)"),
    (3, ("no use is resolved to 'm1.py::C1.get' or 'm2.py::C2.get' or 'm3.py::C3.get' (`codewright refs get` lists"
         " every use of the name)")),
    (5, ("no use is resolved to 'm1.py::C1.get' or 'm2.py::C2.get' or 'm3.py::C3.get' or 2 more (`codewright refs"
         " get` lists every use of the name)")),
], ids=["one", "three", "five"])
def test_refs_at_an_unresolved_attribute_names_the_members_it_may_be(tmp_path: Path, classes: int,
                                                                      line: str) -> None:
    """`obj.get()`, unresolved, may be any class's `get`: the message names them, by id, the first three; it
    repeated the position, which said nothing of what was found there."""
    files = {path: text for path, text in MEMBERS_NAMED_GET.items() if int(path[1]) <= classes}
    root = make_repo(tmp_path / "r", {**files, "use.py": "def f(obj):\n    return obj.get()\n"})
    out = cli("refs", "use.py:2:16", "--repo", str(root))
    assert (out.returncode, out.stdout, out.stderr) == (0, line + "\n", "")


def test_corrupted_index_is_rebuilt_with_a_message_on_stderr(tmp_path: Path) -> None:
    broken = make_repo(tmp_path / "b", PYTHON_REPO)
    (broken / ".codewright").mkdir()
    (broken / ".codewright" / "index.db").write_bytes(b"garbage" * 500)
    out = cli("index", str(broken), "--json")
    assert out.returncode == 0 and "rebuilding the index" in out.stderr
    obj = json.loads(out.stdout)
    validate("index", obj)
    assert obj["files"] == 5 and "corrupted" in obj["notices"][0]


@pytest.mark.parametrize("args", [["find", "make a user"], ["callers", "make_user"], ["symbols", "User"]])
def test_every_command_says_when_it_rebuilds_a_corrupted_index(tmp_path: Path, args: list[str]) -> None:
    broken = make_repo(tmp_path / "b", PYTHON_REPO)
    (broken / ".codewright").mkdir()
    (broken / ".codewright" / "index.db").write_bytes(b"garbage" * 500)
    out = cli(*args, "--repo", str(broken))
    assert out.returncode == 0 and "rebuilding the index" in out.stderr, out.stderr


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_shows_on_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    many = make_repo(tmp_path / "many", {f"m{n}.py": f"def f{n}():\n    pass\n" for n in range(80)})
    child = pexpect.spawn(sys.executable, ["-m", "codewright", "index", str(many)], env={**os.environ,
                          "COLUMNS": "120", "TERM": "xterm"}, timeout=60, encoding="utf-8")
    child.expect(pexpect.EOF)
    assert "indexing" in child.before and "indexed 80 files" in child.before
    assert "linking and writing" in child.before  # after the last file, before the end


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(("flags", "shown"), [([], True), (["--json"], False)])
def test_the_call_graphs_resolution_shows_its_progress_on_a_terminal_unless_json(
        tmp_path: Path, flags: list[str], shown: bool) -> None:
    """A first question on django resolved 2,548 files for half a minute with one line said before it."""
    pexpect = pytest.importorskip("pexpect")
    many = make_repo(tmp_path / "many", {f"m{n}.py": f"def f{n}():\n    pass\n\n\ndef g{n}():\n    f{n}()\n"
                                         for n in range(80)})
    child = pexpect.spawn(sys.executable, ["-m", "codewright", "callers", "f1", "--repo", str(many), *flags],
                          env={**os.environ, "COLUMNS": "120", "TERM": "xterm"}, timeout=60, encoding="utf-8")
    child.expect(pexpect.EOF)
    assert ("resolving the call graph: writing" in child.before) is shown  # its last step, drawn as it ends
    assert "m1.py::g1" in child.before


def test_index_location_that_cannot_be_created_is_one_line_exit_2(tmp_path: Path) -> None:
    blocked = make_repo(tmp_path / "blocked", {"a.py": "A = 1\n", ".codewright": "a file, not a directory"})
    out = cli("index", str(blocked))
    assert out.returncode == 2 and out.stderr.startswith("codewright: cannot open the index")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def other_languages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("cli") / "langs", {
        "cmd.go": "package cobra\n\ntype Command struct{}\n\nfunc (c *Command) ExecuteC() {}\n",
        "w.rs": "pub struct W;\nimpl W {\n    pub fn size(&self) {}\n}\n"})


@pytest.mark.parametrize(("args", "err"), [
    (["callers", "Command.ExecuteC"], "'Command.ExecuteC' is a go symbol (cmd.go::Command.ExecuteC)"),
    (["impact", "W::size"], "'W::size' is a rust symbol (w.rs::W.size)"),  # a Rust path, as `def` reads it
])
def test_a_call_graph_question_on_another_languages_symbol_says_it_covers_python_only(
        other_languages: Path, args: list[str], err: str) -> None:
    """A method named as `def` names it (Class.method, Type::method) was no symbol at all to the call graph."""
    out = cli(*args, cwd=other_languages)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == f"codewright: {err}: the call graph covers Python only\n"
