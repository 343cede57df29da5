"""Bad input degrades gracefully: partial results, bounded time, never a crash."""

from __future__ import annotations

import gc
import time
import weakref

from codewright.graph.pyresolve import Limits, analyze_package, analyze_tree, pycg_callgraph

from .support import edges_of, write_tree


def test_syntax_error_file_keeps_definitions_and_calls(tmp_path):
    files = {
        "broken.py": "def helper():\n    pass\n\ndef caller(:\n    helper()\n\nclass K:\n"
                     "    def a(self):\n        self.b()\n    def b(self):\n        len([])\n",
        "main.py": "from broken import helper\nhelper()\n",
    }
    edges = edges_of(tmp_path, files)
    assert ("main", "broken.helper") in edges
    assert ("broken.K.a", "broken.K.b") in edges
    assert ("broken.K.b", "<builtin>.len") in edges


def test_deeply_nested_expression_and_functions(tmp_path):
    deep_expr = "x = " + "+".join(["f()"] * 3000) + "\n"
    nested = "".join("    " * i + f"def n{i}():\n" for i in range(80)) + "    " * 80 + "pass\n"
    files = {"m.py": "def f():\n    pass\n" + deep_expr + nested + "n0()\n"}
    edges = edges_of(tmp_path, files)
    assert ("m", "m.f") in edges
    assert ("m", "m.n0") in edges


def test_huge_generated_module_is_linear_enough(tmp_path):
    n = 4000
    body = "".join(f"def f{i}():\n    return f{i + 1}()\n" for i in range(n)) + f"def f{n}():\n    pass\nf0()\n"
    write_tree(tmp_path, {"gen.py": body})
    start = time.perf_counter()
    graph = pycg_callgraph(analyze_package(tmp_path, [tmp_path / "gen.py"]))
    assert time.perf_counter() - start < 30
    assert graph["gen.f0"] == ["gen.f1"]
    assert graph[f"gen.f{n - 1}"] == [f"gen.f{n}"]


def test_cyclic_imports_resolve_both_ways(tmp_path):
    files = {
        "a.py": "import b\ndef ping():\n    b.pong()\n",
        "b.py": "from a import ping\ndef pong():\n    ping()\n",
    }
    edges = edges_of(tmp_path, files)
    assert ("a.ping", "b.pong") in edges and ("b.pong", "a.ping") in edges


def test_star_import_cycle_terminates(tmp_path):
    files = {"a.py": "from b import *\ndef fa():\n    pass\n", "b.py": "from a import *\ndef fb():\n    fa()\n"}
    assert ("b.fb", "a.fa") in edges_of(tmp_path, files)


def test_time_bound_gives_partial_result(tmp_path):
    body = "".join(f"def f{i}():\n    return f{i + 1}\n" for i in range(3000))
    write_tree(tmp_path, {"big.py": body})
    prog = analyze_tree(tmp_path, ["big.py"], Limits(per_file_s=0.0, solve_s=5))
    assert not prog.complete
    assert any("time bound" in err for err in prog.modules["big.py"].errors)


def test_undecodable_and_null_bytes_do_not_crash(tmp_path):
    (tmp_path / "bin.py").write_bytes(b"\xff\xfe\x00def f(:\x00\n")
    (tmp_path / "ok.py").write_text("def g():\n    pass\ng()\n")
    prog = analyze_tree(tmp_path, ["bin.py", "ok.py"])
    graph = pycg_callgraph(prog)
    assert graph["ok"] == ["ok.g"]


def test_released_program_is_freed_without_the_cycle_collector(tmp_path):
    files = {
        "pkg/__init__.py": "from .base import Base\n",
        "pkg/base.py": "class Base:\n    def run(self):\n        return self.step()\n    def step(self):\n"
                       "        return [len(x) for x in ()]\n",
        "app.py": "import functools\nfrom pkg import Base\n\nclass App(Base):\n    @functools.cache\n"
                  "    def step(self):\n        def inner():\n            return lambda: super().step()\n"
                  "        return inner()\n\nApp().run()\n",
        "broken.py": "class K:\n    def a(self):\n        self.b(\n",  # the name-only fallback's records
    }
    write_tree(tmp_path, files)
    prog = analyze_tree(tmp_path, sorted(files), record_refs=True)
    records = [prog, prog.e, *prog.e.sites, *prog.modules.values(), *prog.defs,
               *(d.scope for d in [*prog.modules.values(), *prog.defs] if getattr(d, "scope", None))]
    assert len(prog.defs) >= 6 and len(records) > 20
    alive = [weakref.ref(r) for r in records]
    del records
    gc.disable()
    try:
        prog.release()
        del prog
        assert [ref() for ref in alive if ref() is not None] == []
    finally:
        gc.enable()
