"""Each signal, on a small tree: the task's evidence lands on the file or function it names."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
from tests.support.repos import indexed_repo, make_repo

from codewright.graph.index import Index
from codewright.retrieve.corpus import corpus
from codewright.retrieve.evidence import Features
from codewright.retrieve.find import locate
from codewright.retrieve.kinds import is_doc, is_migration, is_test, is_vendored
from codewright.retrieve.signals import query_terms, task_messages, title_of

FILES = {
    "inv/__init__.py": "",
    "inv/stock.py": (
        "from inv.audit import record\n\n\n"
        "class Warehouse:\n"
        "    def __init__(self):\n        self.levels = {}\n\n"
        "    def remove(self, sku, count):\n"
        "        if self.levels.get(sku, 0) < count:\n"
        "            raise ValueError('not enough units left in the warehouse')\n"
        "        self.levels[sku] -= count\n"
        "        record(sku, -count)\n\n"
        "    def restock(self, sku, count):\n        self.levels[sku] = self.levels.get(sku, 0) + count\n"
    ),
    "inv/audit.py": "LOG = []\n\n\ndef record(sku, delta):\n    LOG.append((sku, delta))\n",
    "inv/report.py": "from inv.audit import LOG\n\n\ndef summary():\n    return len(LOG)\n",
    "inv/packages/six.py": "def reraise(tp, value):\n    raise value\n",
    "tests/test_stock.py": (
        "from inv.stock import Warehouse\n\n\n"
        "def test_remove():\n    w = Warehouse()\n    w.restock('a', 1)\n    w.remove('a', 1)\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with indexed_repo(tmp_path_factory.mktemp("inv"), FILES) as idx:
        yield idx


FILE_CASES = [
    # (task, file, signal that must lift it)
    ('Traceback (most recent call last):\n  File "/x/inv/stock.py", line 10, in remove\nValueError: boom',
     "inv/stock.py", "frame"),
    ("see inv/audit.py for the log", "inv/audit.py", "path_mention"),
    ("`inv.audit.record` drops entries", "inv/audit.py", "module_mention"),
    ("`Warehouse.remove` is wrong", "inv/stock.py", "defines_mentioned"),
    ("the audit module loses entries", "inv/audit.py", "stem_word"),
    ("I get ValueError: not enough units left in the warehouse", "inv/stock.py", "message"),
    ("tests/test_stock.py fails on an empty store", "inv/stock.py", "tested_by_mentioned"),
    ('File "/x/inv/stock.py", line 12, in remove', "inv/audit.py", "graph_neighbour"),
    ("`remove` forgets something", "inv/audit.py", "calls_mentioned"),
    ("inv/report.py is wrong", "inv/stock.py", "pagerank"),
    ("units removed from the warehouse", "inv/stock.py", "lexical"),
    ("units removed from the warehouse", "inv/stock.py", "lexical_hits"),
    ("Warehouse units go missing\n\nThe report shows fewer.", "inv/stock.py", "title"),
    ("restocking overflows", "inv/stock.py", "stemmed"),  # the code says restock
]


@pytest.mark.parametrize("task, path, signal", FILE_CASES, ids=[c[2] for c in FILE_CASES])
def test_file_signal(index: Index, task: str, path: str, signal: str) -> None:
    cands, _ = locate(index.conn, task)
    assert cands.files[path].values.get(signal, 0) > 0, cands.files[path].values


@pytest.mark.parametrize("preload", [False, True], ids=["read on use", "preloaded"])
def test_history_lifts_what_past_commits_like_the_task_changed(tmp_path, preload: bool) -> None:
    root = make_repo(tmp_path / "inv", FILES, git=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "Initial import"], cwd=root, check=True)
    (root / "inv/report.py").write_text("from inv.audit import LOG\n\n\ndef summary():\n    return len(set(LOG))\n")
    subprocess.run([*git, "commit", "-qam", "Summary counted duplicated entries twice"], cwd=root, check=True)
    with Index.open(root) as index:
        index.build()
        if preload:
            corpus(index.conn).preload()
        cands, _ = locate(index.conn, "The summary counts some entries twice")
    history = {path: f.values.get("history", 0) for path, f in cands.files.items()}
    assert history["inv/report.py"] == 1.0
    assert max(v for path, v in history.items() if path != "inv/report.py") < 1.0
    assert "Summary counted" in cands.files["inv/report.py"].detail("history")


def test_pagerank_reaches_past_the_direct_neighbours(index: Index) -> None:
    """report.py imports audit.py, which stock.py imports too: stock.py is two steps from the mention."""
    cands, _ = locate(index.conn, "inv/report.py is wrong")
    stock = cands.files["inv/stock.py"].values
    assert "graph_neighbour" not in stock and stock["pagerank"] > 0
    assert cands.files["inv/audit.py"].values["pagerank"] > stock["pagerank"]


def test_a_path_naming_many_files_is_not_a_neighbours_seed(tmp_path) -> None:
    """`models.py` names every app's models.py, so none of them: their imports are not the task's neighbours,
    and so many seeds do not switch the step off for the frame's file (at most 50 seeds take it)."""
    apps = {f"app{i}/models.py": f"from app{i}.fields import F{i}\n" for i in range(60)}
    apps |= {f"app{i}/fields.py": f"class F{i}:\n    pass\n" for i in range(60)}
    with indexed_repo(tmp_path / "apps", FILES | apps) as idx:
        cands, _ = locate(idx.conn, 'File "/x/inv/stock.py", line 12, in remove\n\nSee models.py.')
    assert cands.files["app7/models.py"].values["path_mention"] == 1 / 60
    assert "graph_neighbour" not in cands.files.get("app7/fields.py", Features()).values
    assert cands.files["inv/audit.py"].values["graph_neighbour"] == 1.0


FUNCTION_CASES = [
    ('Traceback (most recent call last):\n  File "/x/inv/stock.py", line 10, in remove\nValueError: boom',
     "inv/stock.py::Warehouse.remove", "frame"),
    ("`Warehouse.restock` overflows", "inv/stock.py::Warehouse.restock", "qualified_mention"),
    ("`restock` overflows", "inv/stock.py::Warehouse.restock", "name_mention"),
    ("`Warehouse` loses units when you restock", "inv/stock.py::Warehouse.restock", "in_mentioned_class"),
    ("`remove` forgets something", "inv/audit.py::record", "calls_mentioned"),
    ("the stock restock count is off", "inv/stock.py::Warehouse.restock", "name_words"),
    ("levels get count wrong for a sku in the warehouse", "inv/stock.py::Warehouse.remove", "own_words"),
    ("Warehouse removal of units fails\n\nsee inv/stock.py", "inv/stock.py::Warehouse.remove", "title_local"),
]


@pytest.mark.parametrize("task, sid, signal", FUNCTION_CASES, ids=[c[2] for c in FUNCTION_CASES])
def test_function_signal(index: Index, task: str, sid: str, signal: str) -> None:
    cands, _ = locate(index.conn, task)
    assert sid in cands.functions, sorted(cands.functions)
    assert cands.functions[sid].values.get(signal, 0) > 0, cands.functions[sid].values


def test_own_words_tell_methods_of_one_class_apart(index: Index) -> None:
    cands, _ = locate(index.conn, "levels get count wrong for a sku in the warehouse when not enough units")
    remove = cands.functions["inv/stock.py::Warehouse.remove"].values["own_words"]
    restock = cands.functions["inv/stock.py::Warehouse.restock"].values.get("own_words", 0)
    assert remove > restock


def test_size_prefers_the_longer_function_the_longest_at_one(index: Index) -> None:
    """A longer function is more often the one a fix changes (size is a prior, as in defect prediction)."""
    cands, _ = locate(index.conn, "the warehouse stock is wrong")
    size = {sid: f.values["size"] for sid, f in cands.functions.items()}
    assert size["inv/stock.py::Warehouse"] == max(size.values()) == 1.0  # the class spans 11 lines
    assert size["inv/stock.py::Warehouse.remove"] > size["inv/stock.py::Warehouse.restock"] > 0  # 5 and 2 lines
    assert cands.functions["inv/stock.py::Warehouse.remove"].detail("size") == "5 lines long"


@pytest.mark.parametrize("path, test, doc, vendored, migration", [
    ("inv/stock.py", False, False, False, False),
    ("tests/test_stock.py", True, False, False, False),
    ("pkg/conftest.py", True, False, False, False),
    ("command_test.go", True, False, False, False),
    ("cmd/testdata/input.go", True, False, False, False),
    ("net/url_unittest.cc", True, False, False, False),
    ("base/strings_test.cc", True, False, False, False),
    ("source/utils.test.ts", True, False, False, False),
    ("src/button.spec.jsx", True, False, False, False),
    ("src/__tests__/button.js", True, False, False, False),
    ("src/contest.go", False, False, False, False),
    ("lib/latest.js", False, False, False, False),
    (".github/workflows/run_tests.yml", False, False, False, False),
    ("docs/conf.py", False, True, False, False),
    ("tutorials/intermediate/legend_guide.py", False, True, False, False),  # sphinx-gallery's scripts
    ("galleries/users_explain/axes/axes_intro.py", False, True, False, False),
    ("src/gallery_view.py", False, False, False, False),
    ("README.rst", False, True, False, False),
    ("inv/packages/six.py", False, False, True, False),
    ("lib/_vendor/x.py", False, False, True, False),
    ("packages/app.py", False, False, False, False),
    ("app/static/js/jquery-3.5.1.js", False, False, True, False),
    ("app/static/app.min.js", False, False, True, False),
    ("app/static/app.js", False, False, False, False),
    ("shop/migrations/0001_initial.py", False, False, False, True),
    ("db/migrate/20240101120000_add_users.rb", False, False, False, True),
    ("alembic/versions/3f2a_add_users.py", False, False, False, True),
    ("django/db/migrations/autodetector.py", False, False, False, False),  # the framework, not a migration
    ("shop/migrations/__init__.py", False, False, False, False),
])
def test_path_kinds(path: str, test: bool, doc: bool, vendored: bool, migration: bool) -> None:
    assert (is_test(path), is_doc(path), is_vendored(path), is_migration(path)) == (test, doc, vendored, migration)


@pytest.mark.parametrize("text, title", [
    ("Fix the parser\n\nIt fails on tabs.", "Fix the parser"),
    ("\n  \nFirst real line\nsecond", "First real line"),
    ("one line only", "one line only"),
    ("", ""),
])
def test_title_is_the_first_non_blank_line(text: str, title: str) -> None:
    assert title_of(text) == title


def test_the_query_words_do_not_depend_on_the_hash_seed() -> None:
    """More distinct words than the cut, each once: which make it must not change from one process to the next."""
    words = ["".join(p) for p in itertools.product("bcdfgk", "aeiou", "lmnrst")][:80]
    pairs = (f"{a}{b.capitalize()}" for a, b in zip(words[::2], words[1::2]))  # three new words each
    text = " ".join(pairs) + " widgetValue widgetValue"
    script = f"from codewright.retrieve.signals import query_terms; print(query_terms({text!r}))"
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert query_terms(text)[:3] == ["widgetvalue", "widget", "value"]  # most repeated first, then as they appear


@pytest.mark.parametrize(("text", "words"), [
    ("the re-writer of built-ins", ["writer", "rewriter", "built", "ins", "builtins"]),  # joined after its parts
    ("time-zone and x-axis", ["time", "zone", "timezone", "axis", "xaxis"]),
    ("the --dry-run flag", ["dry", "run", "dryrun", "flag"]),
    ("my_func-call", ["func", "call"]),  # only words of letters are joined
])
def test_hyphenated_words_also_count_joined(text: str, words: list[str]) -> None:
    assert query_terms(text) == words


@pytest.mark.parametrize(("text", "messages"), [
    ("ValueError: the discount does not match\n", ["the discount does not match"]),
    ("SystemExit:\t  exit status two from here", ["exit status two from here"]),
    ("Error: too short", []),  # a message has 12 characters at least
    ("Error:   abc def gh\n", ["  abc def gh"]),  # under 12 after the blanks: the line's last 12, blanks and all
    ('it printed "cannot import name foo" and stopped', ["cannot import name foo"]),
    ("Error: " + "x" * 201, []),  # over 200 characters: no message
    ("Error: " + "x" * 190 + ' "a quoted string" ' + "y" * 30, ["a quoted string"]),  # but quotes in it count
    ("KeyError: 'missing key here'\nWarning: second message on its line", ["'missing key here'",
                                                                           "second message on its line"]),
])
def test_error_messages_and_quoted_strings_of_a_task(text: str, messages: list[str]) -> None:
    assert list(task_messages(text)) == messages


_SIGNALS = """
import sys
from codewright.graph.index import Index
from codewright.retrieve.find import locate
with Index.open(sys.argv[1]) as index:
    cands, _ = locate(index.conn, sys.argv[2])
for found in (cands.files, cands.functions):
    print(sorted((found.name(r), repr(sorted(found.values(r).items()))) for r in found.rows().tolist()))
"""


def test_the_signals_do_not_depend_on_the_hash_seed(index: Index) -> None:
    """`own_words` summed a member's word weights in a set's order: its last bit moved from one process to the next."""
    task = "units removed from the warehouse stock audit log entries report restock overflow record missing store"
    outputs = {
        subprocess.run([sys.executable, "-c", _SIGNALS, str(index.root), task], capture_output=True, text=True,
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in map(str, range(6))
    }
    assert len(outputs) == 1
