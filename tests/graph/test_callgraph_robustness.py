"""`callgraph` and `impact` on hostile input: huge depths, deeply nested code, unreadable files, bad -o paths.

Commands that used to hang or crash the interpreter run as real processes, with a timeout."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codewright.cli.main import main
from codewright.graph.pyresolve.program import MAX_FILE_BYTES

OK = "def helper():\n    pass\n\ndef main():\n    helper()\n"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "codewright", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120, check=False)


def test_impact_with_a_huge_depth_stops_when_nobody_new_is_reached(tmp_path):
    (tmp_path / "a.py").write_text("def base():\n    pass\n\ndef mid():\n    base()\n\ndef top():\n    mid()\n\n"
                                   "top()\n")
    out = cli("impact", "a.py::base", "--depth", "99999999999999999999", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["callers"] == [
        {"id": "a.py::mid", "distance": 1, "via": "a.py::base"}, {"id": "a.py::top", "distance": 2, "via": "a.py::mid"},
        {"id": "a.py::", "distance": 3, "via": "a.py::top"}]


DEEP = {  # each overflowed the resolver thread's C stack (SIGSEGV) before its size was in effect
    "sum too deep to parse": "a = " + "1+" * 200_000 + "1\n",
    "sum too deep to analyse": "a = " + "1+" * 150_000 + "1\n",
    "attribute chain": "a = x" + ".y" * 150_000 + "\n",
    "call chain": "a = f" + "()" * 150_000 + "\n",
}


def _deep_tree(root: Path, line: str) -> None:
    (root / "deep.py").write_text("def inner():\n    pass\n\ninner()\n" + line)
    (root / "ok.py").write_text(OK)


@pytest.mark.parametrize("line", DEEP.values(), ids=DEEP.keys())
def test_deeply_nested_code_is_analysed_in_part_with_the_other_files(tmp_path, line):
    _deep_tree(tmp_path, line)
    out = cli("callgraph", "deep.py", "ok.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    graph = json.loads(out.stdout)
    assert graph["deep"] == ["deep.inner"]
    assert graph["ok.main"] == ["ok.helper"]


@pytest.mark.parametrize("line", [DEEP["sum too deep to parse"]], ids=["sum too deep to parse"])
def test_the_index_resolves_calls_beside_deeply_nested_code(tmp_path, line):
    _deep_tree(tmp_path, line)
    assert cli("index", ".", cwd=tmp_path).returncode == 0
    out = cli("callers", "ok.py::helper", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert [c["id"] for c in json.loads(out.stdout)["callers"]] == ["ok.py::main"]


UNREADABLE = {  # name: (content, what the message says); each printed a graph of empty modules, or `{}`
    "binary": (b"\x7fELF\x00\x01\x02def f():\n", "binary content (NUL bytes)"),
    "utf-16": (OK.encode("utf-16"), "UTF-16 or UTF-32 text"),
    "latin-1 without a coding line": ("def caf\u00e9():\n    pass\n".encode("latin-1"), "not UTF-8 text"),
    "over the size limit": (b"x = 1\n" * (MAX_FILE_BYTES // 6 + 1), f"over the {MAX_FILE_BYTES:,}-byte size limit"),
}


@pytest.mark.parametrize(("content", "reason"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_file_that_is_not_python_text_is_a_usage_error(tmp_path, capsys, monkeypatch, content, reason):
    monkeypatch.chdir(tmp_path)
    Path("bad.py").write_bytes(content)
    assert main(["callgraph", "bad.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"codewright: cannot analyse bad.py: {reason}")
    assert captured.err.count("\n") == 1


def test_a_file_that_is_not_python_text_is_skipped_beside_good_ones(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.py").write_bytes(b"\x00\x01")
    Path("ok.py").write_text(OK)
    assert main(["callgraph", "ok.py", "bad.py"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"ok": [], "ok.helper": [], "ok.main": ["ok.helper"]}
    assert captured.err == "codewright: warning: skipped bad.py: binary content (NUL bytes)\n"


def _fifo(root: Path) -> str:
    os.mkfifo(root / "pipe.py")
    return str(root / "pipe.py")


@pytest.mark.parametrize("make", [lambda root: os.devnull, _fifo], ids=["/dev/null", "fifo"])
def test_a_file_that_is_not_regular_is_a_usage_error(tmp_path, capsys, make):
    path = make(tmp_path)
    assert main(["callgraph", path]) == 2
    assert capsys.readouterr().err == f"codewright: {path} is not a regular file\n"


OUTPUTS = {  # -o value, the start of the message
    "a directory": (".", "codewright: cannot write .: it is a directory"),
    "a missing directory": ("nowhere/cg.json", "codewright: cannot write nowhere/cg.json: no such directory"),
    "the input file": ("pkg/a.py", "codewright: refusing to write the call graph to pkg/a.py: it is one of"),
    "the input file, spelled otherwise": ("pkg/../pkg/a.py", "codewright: refusing to write the call graph to"),
    "a module the input imports": ("pkg/b.py", "codewright: refusing to write the call graph to pkg/b.py"),
}


@pytest.mark.parametrize(("output", "message"), OUTPUTS.values(), ids=OUTPUTS.keys())
def test_a_bad_output_path_is_a_usage_error_that_writes_nothing(tmp_path, capsys, monkeypatch, output, message):
    monkeypatch.chdir(tmp_path)
    Path("pkg").mkdir()
    sources = {"pkg/__init__.py": "", "pkg/a.py": "from pkg import b\nb.f()\n", "pkg/b.py": "def f():\n    pass\n"}
    for rel, text in sources.items():
        Path(rel).write_text(text)
    assert main(["callgraph", "pkg/a.py", "-o", output]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.err.count("\n") == 1
    assert {rel: Path(rel).read_text() for rel in sources} == sources
    assert sorted(p.as_posix() for p in Path().rglob("*")) == ["pkg", *sorted(sources)]


@pytest.mark.parametrize(("keys", "followed"), [(1, True), (16, True), (17, False), (900, False)])
def test_a_chain_of_constant_subscripts_is_followed_key_by_key_only_when_short(keys, followed):
    """Each level of a chain asks for the path below it: unbounded, `x[0][0]...` 10,000 deep took 27 s and 6.7 GB."""
    from codewright.graph.pyresolve.builder import _const_path

    chain = ast.parse("x" + "[0]" * keys, mode="eval").body
    assert (_const_path(chain) == ("x", (("int", 0),) * keys)) is followed


def test_a_long_subscript_chain_is_analysed_with_the_other_files(tmp_path):
    _deep_tree(tmp_path, "x = [[0]]\na = x" + "[0]" * 5_000 + "\n")
    out = cli("callgraph", "deep.py", "ok.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ok.main"] == ["ok.helper"]


JOIN = "import os\n\ndef f():\n    return os.path.join('a', 'b')\n"


@pytest.mark.parametrize(("name", "code", "why"), [
    ("path_join", 2, "no symbol named 'path_join'"),  # `_` is no wildcard
    ("p%n", 2, "no symbol named 'p%n'"),  # nor `%`
    ("a" * 50_000, 2, "(50000 characters)"),  # SQLite's LIKE refused the pattern with a traceback
    ("join", 0, ""),  # a name matches the end of a qualified callee
    ("m.py", 2, "m.py is a file, not a symbol: name one of its functions or classes (`codewright outline m.py`"),
    ("./m.py", 2, "./m.py is a file, not a symbol"),
])
def test_a_callers_name_is_matched_literally(tmp_path, name, code, why):
    (tmp_path / "m.py").write_text(JOIN)
    out = cli("callers", name, cwd=tmp_path)
    assert out.returncode == code, out.stderr
    assert why in out.stderr and "Traceback" not in out.stderr and len(out.stderr) < 400
