"""Bad input never raises: binary, undecodable, broken, empty, deep or long files."""

from __future__ import annotations

import gc
import time

import pytest

from codewright.graph.extract import extract, parse_errors

LANG_SAMPLES = {
    "a.py": b"def f(:\n  pass\n",
    "a.js": b"function f( {",
    "a.ts": b"class { x: = }",
    "a.tsx": b"const a = <div>;",
    "a.go": b"package p\nfunc (",
    "a.java": b"class A { void f( }",
    "a.rs": b"fn f( {",
    "a.c": b"int f( {",
    "a.cpp": b"class A { void f( };",
    "README.md": b"# T\n```\n# not a heading",
}


@pytest.mark.parametrize("path", sorted(LANG_SAMPLES))
def test_syntax_errors_are_recorded_not_raised(path):
    facts = extract(path, LANG_SAMPLES[path])
    if facts.language is not None:
        assert facts.errors and all(e.startswith("line ") for e in facts.errors)


PARSE_CASES = {
    **LANG_SAMPLES,
    "ok.py": b"def f():\n    return 1\n",
    "latin1.py": b"x = 'caf\xe9'\ndef f(:\n",  # a note on the line that is not UTF-8, then the syntax error
    "many.py": b"def f(:\n" * 30,  # 20 errors, then how many more
    "cpp.h": b"class A { void f( };",  # a .h that is C++ is parsed as C++
    "c.h": b"int f( {",
    "nul.py": b"def f(:\n\0",  # binary: no parse
    "notes.txt": b"def f(:\n",  # no language
}


@pytest.mark.parametrize("path", sorted(PARSE_CASES))
def test_parse_errors_are_what_the_extraction_says_of_the_parse(path: str) -> None:
    """The syntax check after each write parses alone (the extraction of a file of 1.2 MB took 2.3 s, its parse
    0.3 s), and says what the whole extraction says of where the file does not parse, no more."""
    wanted = [e for e in extract(path, PARSE_CASES[path]).errors if e.startswith("line ") or e.endswith("more syntax errors")]
    assert parse_errors(path, PARSE_CASES[path]) == wanted


def test_python_syntax_error_keeps_what_parses():
    source = b"def good():\n    return 1\n\ndef bad(:\n    pass\n\nclass After:\n    def m(self): pass\n"
    facts = extract("m.py", source)
    ids = [s.id for s in facts.symbols]
    assert "m.py::good" in ids and "m.py::After.m" in ids
    assert facts.errors[0].startswith("line 4:")


@pytest.mark.parametrize("path", ["a.py", "a.js", "a.go", "a.rs", "a.c", "README.md", "notes.txt"])
def test_empty_file(path):
    facts = extract(path, b"")
    assert facts.errors == []
    assert facts.references == [] and facts.imports == []


def test_empty_python_file_has_its_module_symbol():
    assert [(s.id, s.start_line, s.end_line) for s in extract("p/__init__.py", b"").symbols] == [("p/__init__.py::", 1, 1)]


@pytest.mark.parametrize("source", [b"\x00\x01\x02binary\x00", b"def f(): pass\n\x00\n", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_nul_bytes_are_binary(source):
    facts = extract("a.py", source)
    assert facts.symbols == [] and facts.references == [] and facts.chunks == []
    assert facts.errors == ["binary content (NUL bytes): not indexed"]


def test_invalid_utf8_falls_back_to_latin1():
    facts = extract("a.py", b"def caf\xe9():\n    return 'na\xefve'\n")
    assert [s.id for s in facts.symbols] == ["a.py::", "a.py::caf\u00e9"]
    assert facts.errors == ["line 1: not valid UTF-8; decoded as latin-1"]


def test_coding_cookie_is_honoured():
    source = "# -*- coding: cp1252 -*-\nEURO = '\u20ac'\nx = EURO\n".encode("cp1252")
    facts = extract("a.py", source)
    assert facts.errors == ["line 2: not valid UTF-8; decoded as cp1252"]
    assert facts.chunks[0].text.split("\n")[1] == "EURO = '\u20ac'"


def test_columns_count_characters_not_bytes():
    facts = extract("a.py", "s = '\u00e9\u00e9\u00e9'; t = f(s)\n".encode())
    assert [(r.name, r.col) for r in facts.references] == [("f", 16), ("s", 18)]


def test_byte_order_mark_is_ignored():
    facts = extract("a.py", b"\xef\xbb\xbfdef f(): pass\n")
    assert [(s.id, s.start_col) for s in facts.symbols[1:]] == [("a.py::f", 1)]


def test_unknown_file_yields_empty_facts():
    facts = extract("image.png", b"\x89PNG")
    assert (facts.language, facts.symbols, facts.errors) == (None, [], [])


@pytest.mark.parametrize("path, opener, closer", [
    ("deep.py", "(", ")"), ("deep.js", "[", "]"), ("deep.c", "(", ")"), ("deep.rs", "(", ")"),
])
def test_deeply_nested_expression(path, opener, closer):
    body = opener * 3000 + "1" + closer * 3000
    prefix = {"deep.py": "x = ", "deep.js": "var x = ", "deep.c": "int x = ", "deep.rs": "const X: i32 = "}[path]
    facts = extract(path, (prefix + body + ";\n").encode())
    assert facts.language is not None


def test_deeply_nested_functions():
    source = "".join("    " * i + f"def f{i}():\n" for i in range(200)) + "    " * 200 + "pass\n"
    facts = extract("n.py", source.encode())
    assert len(facts.symbols) == 201
    assert facts.symbols[-1].id == "n.py::" + ".".join(f"f{i}" for i in range(200))


UNITS = {
    "l.py": (b"", b"def f%d(a):\n    return g(a).h + K\n\n", b""),
    "l.c": (b"", b"/* f */\nint f%d(int x) { return g(x)->h + K; }\n", b""),
    "l.js": (b"", b"// f\nexport function f%d(x) { return g(x).h + K; }\n", b""),
    "l.go": (b"package p\n", b"// f\nfunc F%d(x int) int { return g(x).H + K }\n", b""),
    "l.rs": (b"", b"/// f\n#[inline]\nfn f%d(x: i32) -> i32 { g(x).h + K }\n", b""),
    "l.java": (b"class A {\n", b"/** f */ int f%d(int x) { return g(x).h + K; }\n", b"}\n"),
}


@pytest.mark.parametrize("path", sorted(UNITS))
def test_long_flat_file_is_linear(path):
    """16x the definitions take well under 16x squared the time (no per-node walk up the tree)."""
    head, unit, tail = UNITS[path]

    def timed(n):
        """CPU time (other processes on a busy machine do not count), the cycle collector off: in the suite's
        process a full collection walks every object earlier tests left, whatever the input's size (the
        extraction workers run with it off too). The C case failed once in a loaded suite; alone it measures 15-25x."""
        source = head + b"".join(unit % i for i in range(n)) + tail
        gc.disable()
        try:
            start = time.process_time()
            facts = extract(path, source)
            return time.process_time() - start, facts
        finally:
            gc.enable()

    timed(10)
    t_small = min(timed(250)[0] for _ in range(3))
    t_large, facts = min((timed(4000) for _ in range(2)), key=lambda run: run[0])
    assert len([s for s in facts.symbols if s.kind in ("function", "method")]) == 4000
    assert t_large < 16 * 5 * max(t_small, 2e-3), (t_small, t_large)


@pytest.mark.parametrize("path, head", [("min.js", b"var x = f("), ("gen.py", b"x = f("), ("gen.c", b"int x = f(")])
def test_generated_expression_deeper_than_the_query_cursor_stays_fast(path, head):
    """100,000 nested `a+` terms (deeper than tree-sitter's query cursor handles) and a
    2,000-call chain on that huge receiver: seconds, not minutes."""
    source = head + b"a+" * 100000 + b"1)" + b"".join(b".m%d()" % i for i in range(2000)) + b";\n"
    start = time.process_time()
    facts = extract(path, source)
    assert time.process_time() - start < 20
    assert len([r for r in facts.references if r.name.startswith("m") and r.kind == "call"]) == 2000


def test_non_ascii_identifiers_keep_names_kinds_and_character_columns():
    source = "def f():\n    return caf\u00e9.x(1) + \u00e9t\u00e9(2) + a . b\n".encode()
    got = [(r.name, r.kind, r.col, r.qualifier) for r in extract("u.py", source).references]
    assert got == [("caf\u00e9", "name", 12, ""), ("x", "call", 17, "caf\u00e9"), ("\u00e9t\u00e9", "call", 24, ""),
                   ("a", "name", 33, ""), ("b", "attribute", 37, "a")]
