"""After any sequence of edits, the incrementally updated index holds what a cold build of the same tree holds.

Each case applies a fixed, seeded series of edits (a line inserted, a definition added or renamed, a file
added or removed, a package's __init__.py toggled), updates the index after each, and compares every
table's rows, ids left out, with a cold build of a copy. Two bugs were found this way: a cold build left
the members of a re-exported module unresolved, and a package appearing kept its modules' old names.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.graph.index import Index

PYTHON = {
    "pkg/__init__.py": "from . import fmt as fmt\nfrom .models import User\n",
    "pkg/fmt.py": "def pretty(x):\n    return str(x)\n\n\ndef helper():\n    return 1\n",
    "pkg/models.py": "from .fmt import pretty\n\n\nclass User:\n    def name(self):\n        return pretty(self)\n"
                     "\n    label = name\n\n    def shown(self):\n        def helper():\n            return self.name()\n"
                     "        return helper()\n",
    "pkg/sub/deep.py": "from pkg.models import User\n\n\ndef low():\n    return User().name()\n",
    "app/main.py": "from pkg import fmt\nimport pkg.models as m\n\n\ndef run():\n    return fmt.pretty(m.User())\n"
                   "\n\ndef lazy():\n    from pkg.fmt import helper\n    return helper()\n"
                   "\n\ndef chained():\n    return m.User.name(None)\n",
    "tools/script.py": "import deep\nfrom pkg.sub.deep import low\n\nlow()\n",
}
JAVASCRIPT = {
    "lib/util.js": "function helper() { return 1; }\nexports.helper = helper;\n",
    "lib/app.js": "const util = require('./util');\nconst { helper } = require('./util');\n"
                  "function start() { return util.helper() + helper(); }\nmodule.exports = start;\n",
    "lib/res.js": "const res = {};\nres.send = function send(body) { return body; };\nmodule.exports = res;\n",
    "index.js": "module.exports = require('./lib/app');\n",
    "test/app.test.js": "const start = require('../lib/app');\nconst res = require('../lib/res');\n"
                        "test('x', () => start() + res.send(1));\n",
}
ADDED = {".py": "\n\ndef added_{n}():\n    return helper()\n",
         ".js": "\nfunction added{n}() {{ return helper(); }}\nexports.added{n} = added{n};\n"}
NEW_FILE = {".py": "from pkg.fmt import helper\n\n\ndef helper_{n}():\n    return helper()\n",
            ".js": "const u = require('./util');\nfunction helper{n}() {{ return u.helper(); }}\n"
                   "exports.helper{n} = helper{n};\n"}
RENAMED = {".py": ("def ", "def r_"), ".js": ("function ", "function r_")}


def _edit(root: Path, rng: random.Random, suffix: str) -> None:
    files = sorted(p for p in root.rglob(f"*{suffix}") if ".codewright" not in p.parts)
    f, n = rng.choice(files), rng.randrange(1000)
    op = rng.choice(["insert", "add_def", "rename_def", "remove", "add_file"] + (["package"] if suffix == ".py" else []))
    if op == "insert":
        lines = f.read_text().splitlines(True)
        lines.insert(rng.randrange(len(lines) + 1), "\n")
        f.write_text("".join(lines))
    elif op == "add_def":
        f.write_text(f.read_text() + ADDED[suffix].format(n=n))
    elif op == "rename_def":
        f.write_text(f.read_text().replace(*RENAMED[suffix], 1))
    elif op == "remove" and len(files) > 2:
        f.unlink()
    elif op == "add_file":
        (f.parent / f"new_{n}{suffix}").write_text(NEW_FILE[suffix].format(n=n))
    elif op == "package":
        init = f.parent / "__init__.py"
        init.unlink() if init.exists() else init.write_text("")


def _rows(root: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(root / ".codewright" / "index.db")
    try:
        return {table: sorted(conn.execute(sql).fetchall(), key=repr) for table, sql in {
            "files": "SELECT path, language, module, status, reason, hash FROM files",
            "symbols": "SELECT f.path, s.sid, s.qualname, s.kind, s.start_line, s.end_line, s.signature, s.parent"
                       " FROM symbols s JOIN files f ON f.id = s.file_id",
            "imports": "SELECT f.path, i.module, i.names, i.alias, i.level, i.target FROM imports i"
                       " JOIN files f ON f.id = i.file_id",
            "refs": "SELECT f.path, r.name, r.line, r.col, r.kind, r.qualifier, r.target FROM refs r"
                    " JOIN files f ON f.id = r.file_id",
            "chunks": "SELECT f.path, c.symbol, c.start_line, c.end_line, c.kind FROM chunks c"
                      " JOIN files f ON f.id = c.file_id",
            "annotations": "SELECT f.path, a.scope, a.name, a.line, a.type_name, a.type_qualifier FROM annotations a"
                           " JOIN files f ON f.id = a.file_id",
        }.items()}
    finally:
        conn.close()


@pytest.mark.parametrize("files, suffix, seed",
                         [pytest.param(PYTHON, ".py", seed, id=f"python-{seed}") for seed in range(4)]
                         + [pytest.param(JAVASCRIPT, ".js", seed, id=f"javascript-{seed}") for seed in range(2)])
def test_incremental_index_equals_a_cold_build(tmp_path: Path, files: dict, suffix: str, seed: int) -> None:
    rng = random.Random(seed)
    work = make_repo(tmp_path / "work", files)
    with Index.open(work) as index:
        index.build()
        for step in range(12):
            for _ in range(rng.randint(1, 3)):
                _edit(work, rng, suffix)
            index.build()
            cold = tmp_path / f"cold{step}"
            shutil.copytree(work, cold, ignore=shutil.ignore_patterns(".codewright"))
            with Index.open(cold) as fresh:
                fresh.build()
            assert _rows(work) == _rows(cold), f"step {step}"



def _after_edits(tmp_path: Path, start: dict[str, str], edits: list[tuple[str, bytes | None]]) -> None:
    """Build, apply each edit (new bytes, or None to delete) with a build after it, compare with a cold build."""
    work = make_repo(tmp_path / "work", start)
    with Index.open(work) as index:
        index.build()
        for path, data in edits:
            (work / path).unlink() if data is None else (work / path).write_bytes(data)
            index.build()
    cold = tmp_path / "cold"
    shutil.copytree(work, cold, ignore=shutil.ignore_patterns(".codewright"))
    with Index.open(cold) as fresh:
        fresh.build()
    assert _rows(work) == _rows(cold)


IMPORTER = "import b\nfrom b import f\n\n\ndef g():\n    return b.f() + f()\n"
MODULE = "def f():\n    return 1\n"
BINARY = b"\x00\x01not text"


@pytest.mark.parametrize("start, edits", [
    pytest.param({}, [("b.py", BINARY)], id="binary-file-added"),
    pytest.param({"b.py": MODULE}, [("b.py", BINARY), ("b.py", MODULE.encode())], id="binary-then-text-again"),
    pytest.param({"b.py": MODULE}, [("b.py", BINARY), ("a.py", IMPORTER.encode() + b"\n")],
                 id="importer-edited-while-binary"),
    pytest.param({"b.py": MODULE}, [("b.py", BINARY), ("b.py", None)], id="binary-then-removed"),
])
def test_binary_module_edits_equal_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    """A file read but not parsed (binary) is still one imports name; its module appears when it is text again."""
    _after_edits(tmp_path, {"a.py": IMPORTER, **start}, edits)


TWO = "function foo() { return 1; }\nfunction bar() { return 2; }\n"
ALL_LOW = "def f():\n    pass\n\n\ndef g():\n    pass\n\n\n"
USE_STAR = "from pkg import f, g\nf()\ng()\n"
CLASS_C = "class C:\n    def m(self):\n        pass\n"


@pytest.mark.parametrize("start, edits", [
    pytest.param({"a.js": TWO + "export default foo;\n", "use.js": "import f from './a';\nf();\n"},
                 [("a.js", (TWO + "export default bar;\n").encode())], id="es-default-moves"),
    pytest.param({"a.js": TWO + "module.exports = foo;\n", "use.js": "const f = require('./a');\nf();\n"},
                 [("a.js", (TWO + "module.exports = bar;\n").encode())], id="commonjs-module-exports-moves"),
    pytest.param({"a.js": TWO + "export { foo as default };\n", "use.js": "import f from './a';\nf();\n"},
                 [("a.js", TWO.encode())], id="default-export-goes"),
    pytest.param({"a.js": TWO, "use.js": "import { foo } from './b';\nfoo();\n", "b.js": "export * from './c';\n",
                  "c.js": "export function foo() {}\n"},
                 [("b.js", b"export * from './a';\n")], id="star-re-export-moves"),
    pytest.param({"a.js": TWO + "module.exports = foo;\n", "b.js": "module.exports = require('./a');\n",
                  "use.js": "const x = require('./b');\nx();\n"},
                 [("a.js", (TWO + "module.exports = bar;\n").encode())], id="default-moves-two-modules-away"),
    pytest.param({"pkg/__init__.py": "from .mid import f\n", "pkg/mid.py": "from .low import f\n",
                  "pkg/low.py": "def f():\n    pass\n", "pkg/other.py": "def f():\n    pass\n",
                  "use.py": "from pkg import f\nimport pkg\nf()\npkg.f()\n"},
                 [("pkg/mid.py", b"from .other import f\n")], id="python-re-export-chain-moves"),
    pytest.param({"pkg/__init__.py": "from .mid import *\n", "pkg/mid.py": "from .low import *\n",
                  "pkg/low.py": "def f():\n    pass\n", "pkg/other.py": "def f():\n    pass\n",
                  "use.py": "from pkg import f\nf()\n"},
                 [("pkg/mid.py", b"from .other import *\n")], id="python-star-chain-moves"),
    pytest.param({"pkg/__init__.py": "", "pkg/a.py": CLASS_C, "pkg/b.py": CLASS_C, "pkg/mid.py": "from pkg.a import C\n",
                  "pkg/top.py": "from pkg.mid import C\n", "use.py": "import pkg.top as top\ntop.C.m()\n"},
                 [("pkg/mid.py", b"from pkg.b import C\n")], id="python-re-export-read-as-a-later-step-moves"),
    pytest.param({"pkg/__init__.py": "from .low import *\n", "pkg/low.py": ALL_LOW + "__all__ = ['f']\n",
                  "use.py": USE_STAR},
                 [("pkg/low.py", (ALL_LOW + "__all__ = ['g']\n").encode())], id="python-all-changes"),
    pytest.param({"pkg/__init__.py": "from .low import *\n", "pkg/low.py": ALL_LOW + "__all__ = ['f']\n",
                  "use.py": USE_STAR},
                 [("pkg/low.py", ALL_LOW.encode())], id="python-all-goes"),
    pytest.param({"pkg/__init__.py": "from .low import *\n", "pkg/low.py": ALL_LOW, "pkg/mid.py": ALL_LOW,
                  "use.py": USE_STAR},
                 [("pkg/low.py", (ALL_LOW + "from .mid import g\n__all__ = ['f', 'g']\n").encode())],
                 id="python-all-comes-with-an-import"),
])
def test_re_exports_equal_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    """What an importer's names resolve to follows a module's default export and its re-exports as they change,
    however many modules lie between."""
    _after_edits(tmp_path, start, edits)



SUB = "def f():\n    pass\n"
USE_SUB = "import pkg\nfrom pkg import sub\npkg.sub.f()\nsub.f()\n"
USE_F = "from pkg import f\nimport pkg\nf()\npkg.f()\n"
OWN_F = "\n\ndef f():\n    pass\n"


@pytest.mark.parametrize("start, edits", [
    pytest.param({"pkg/__init__.py": "", "pkg/sub.py": SUB, "use.py": USE_SUB},
                 [("pkg/__init__.py", b"sub = 1\n")], id="package-name-shadows-its-submodule"),
    pytest.param({"pkg/__init__.py": "sub = 1\n", "pkg/sub.py": SUB, "use.py": USE_SUB},
                 [("pkg/__init__.py", b"")], id="package-name-shadowing-its-submodule-goes"),
    pytest.param({"pkg/__init__.py": "", "pkg/sub.py": SUB, "pkg/other.py": "",
                  "use.py": "import pkg.other\npkg.sub.f()\n"},
                 [("pkg/__init__.py", b"sub = 1\n")], id="shadowed-submodule-read-through-import-of-another"),
    pytest.param({"pkg/__init__.py": "from .low import *\n", "pkg/low.py": SUB, "use.py": USE_F},
                 [("pkg/__init__.py", ("from .low import *\n" + OWN_F).encode())], id="own-name-shadows-a-star-import"),
    pytest.param({"pkg/__init__.py": "from .low import f\n", "pkg/low.py": SUB, "use.py": USE_F},
                 [("pkg/__init__.py", ("from .low import f\n" + OWN_F).encode())], id="own-name-shadows-a-re-export"),
])
def test_shadowing_names_equal_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    """A module-level name that appears or goes changes what an importer's name, or a later step of its dotted use,
    resolves to where it shadows a submodule, a star import's name or a re-export, however the importer reaches it."""
    _after_edits(tmp_path, start, edits)


BASE_M = "class A:\n    def m(self):\n        pass\n"
SUB_B = "from a import A\n\n\nclass B(A):\n    pass\n"
SUB_C = "from b import B\n\n\nclass C(B):\n    def n(self):\n        return self.m()\n"
SUPER_D = "from c import C\n\n\nclass D(C):\n    def m(self):\n        return super().m()\n"
USE_INHERITED = "import c\nfrom b import B\nB.m()\nc.C.m()\n"
SHADOWING_A = "from a import A\n\n\nclass A(A):\n    def n(self):\n        return self.m()\n\n\nA.m()\n"
SUPER_OF_B = "from c import C\nfrom top import B\n\n\nclass E(C):\n    def m(self):\n        return super(B, self).m()\n"
INSTANCES = "import c\nfrom b import B\nB().m()\nc.C(1).m()\n"
INHERITING = {"a.py": BASE_M, "z.py": BASE_M.replace("class A", "class Z"), "b.py": SUB_B, "c.py": SUB_C,
              "d.py": SUPER_D, "use.py": USE_INHERITED}


@pytest.mark.parametrize("start, edits", [
    pytest.param(INHERITING, [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="a-base-gains-a-member-that-shadows-its-base's"),
    pytest.param({**INHERITING, "b.py": SUB_B + "\n    def m(self):\n        pass\n"}, [("b.py", SUB_B.encode())],
                 id="a-base's-member-shadowing-its-base's-goes"),
    pytest.param({**INHERITING, "b.py": "from a import A\nfrom z import Z\n\n\nclass B(A):\n    pass\n"},
                 [("b.py", b"from a import A\nfrom z import Z\n\n\nclass B(Z):\n    pass\n")],
                 id="a-class's-bases-change"),
    pytest.param({**INHERITING, "mid.py": "from a import A\n", "b.py": SUB_B.replace("from a", "from mid")},
                 [("mid.py", b"from z import Z as A\n")], id="a-base-re-exported-moves"),
    pytest.param({**INHERITING, "a.py": ""}, [("a.py", BASE_M.encode())], id="a-base-appears"),
    pytest.param({**INHERITING, "a.py": "class A(A):\n    pass\n"}, [("a.py", BASE_M.encode())],
                 id="a-base-inheriting-from-itself-is-fixed"),
    pytest.param({**INHERITING, "a.py": "", "s.py": SHADOWING_A}, [("a.py", BASE_M.encode())],
                 id="the-base-a-class-of-its-name-imports-appears"),
    pytest.param({**INHERITING, "mid.py": "from a import A\n", "s.py": SHADOWING_A.replace("from a", "from mid")},
                 [("mid.py", b"from z import Z as A\n")], id="the-base-a-class-of-its-name-imports-moves"),
    pytest.param({**INHERITING, "mid.py": "from b import B\n", "top.py": "from mid import B\n", "e.py": SUPER_OF_B},
                 [("mid.py", b"from a import A as B\n")], id="the-class-super-of-names-is-bound-anew"),
    pytest.param({**INHERITING, "w.py": "from six import with_metaclass\nfrom b import B\n\n\n"
                                        "class W(with_metaclass(type, B)):\n    def n(self):\n        return self.m()\n"},
                 [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="a-base-a-with-metaclass-call-gives-gains-a-member"),
    pytest.param({**INHERITING, "g.py": "from typing import Generic\nfrom b import B\n\n\n"
                                        "class G(Generic[T], B):\n    def n(self):\n        return self.m()\n"},
                 [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="a-base-after-typing's-generic-gains-a-member"),
    pytest.param({**INHERITING, "i.py": INSTANCES}, [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="the-class-an-instance-is-made-of-gains-a-member"),
    pytest.param({**INHERITING, "mid.py": "from b import B\n", "top.py": "from mid import B\n",
                  "i.py": INSTANCES.replace("from b", "from top")},
                 [("mid.py", b"from z import Z as B\n")], id="the-class-an-instance-is-made-of-moves"),
])
def test_inherited_members_equal_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    """A use of a member a class inherits (`B.m()`, `c.C.m()`, `self.m()` and `super().m()` in a subclass, `B().m()`)
    follows the bases as their members, the class's bases or what those name change."""
    _after_edits(tmp_path, start, edits)


USE_ANNOTATED = ("import c\nfrom typing import Optional\nfrom b import B\n\n\n"
                 "def f(p: B, q: \"c.C\", r: Optional[B] = None):\n    p.m()\n    q.n()\n    q.m()\n    r.m()\n"
                 "    x: B = make()\n    x.m()\n")
ANNOTATING = {**INHERITING, "use.py": USE_ANNOTATED}
HIDING_B = "\n\ndef g(B):\n    return B.m(), B().m(), [c.C.m() for c in B], c.C.m()\n"


@pytest.mark.parametrize("start, edits", [
    pytest.param(ANNOTATING, [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="an-annotation's-class-gains-a-member"),
    pytest.param({**ANNOTATING, "b.py": SUB_B + "\n    def m(self):\n        pass\n"}, [("b.py", SUB_B.encode())],
                 id="an-annotation's-class's-member-goes"),
    pytest.param({**ANNOTATING, "b.py": "from a import A\nfrom z import Z\n\n\nclass B(A):\n    pass\n"},
                 [("b.py", b"from a import A\nfrom z import Z\n\n\nclass B(Z):\n    pass\n")],
                 id="an-annotation's-class's-bases-change"),
    pytest.param({**ANNOTATING, "mid.py": "from a import A\n", "use.py": USE_ANNOTATED.replace("from b import B",
                                                                                            "from mid import A as B")},
                 [("mid.py", b"from z import Z as A\n")], id="an-annotation's-class-re-exported-moves"),
    pytest.param({**ANNOTATING, "a.py": ""}, [("a.py", BASE_M.encode())], id="an-annotation's-class's-base-appears"),
    pytest.param({**ANNOTATING, "c.py": ""}, [("c.py", SUB_C.encode())], id="an-annotation's-quoted-class-appears"),
    pytest.param({**ANNOTATING, "c.py": "from b import B\n"}, [("c.py", SUB_C.encode())],
                 id="an-annotation's-quoted-class-appears-among-the-same-imports"),
    pytest.param(ANNOTATING, [("c.py", b"")], id="an-annotation's-quoted-class-goes"),
    pytest.param({**ANNOTATING, "c.py": "from b import B as C\n"}, [("c.py", SUB_C.encode())],
                 id="an-annotation's-quoted-class-is-bound-anew"),
    pytest.param({**ANNOTATING, "use.py": USE_ANNOTATED + "    return [p.m() for p in x], p.m(), lambda q: q.n()\n"},
                 [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="an-annotation's-class-gains-a-member-that-a-comprehension's-variable-does-not-name"),
    pytest.param({**ANNOTATING, "use.py": USE_ANNOTATED + HIDING_B},
                 [("b.py", (SUB_B + "\n    def m(self):\n        pass\n").encode())],
                 id="a-class-gains-a-member-that-a-local-of-its-name-does-not-name"),
])
def test_annotated_variables_equal_a_cold_build(tmp_path: Path, start: dict, edits: list) -> None:
    """A use through a variable annotated with a class (`p.m()` for `p: B`, `q: "c.C"`, `Optional[B]`) follows the
    class as `B.m` does: its members, its bases, and what its name is bound to."""
    _after_edits(tmp_path, start, edits)
