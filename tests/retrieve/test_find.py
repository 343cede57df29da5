"""`find` on a small repository: each signal lifts the code it should."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cli_schema import validate
from tests.support.repos import indexed_repo

from codewright.graph.index import Index
from codewright.retrieve.find import find

FILES = {
    "shop/__init__.py": "",
    "shop/pricing.py": (
        "from shop.rules import discount_rate\n\n\n"
        "def total(prices, code=None):\n"
        "    subtotal = sum(prices)\n"
        "    return apply_discount(subtotal, code)\n\n\n"
        "def apply_discount(subtotal, code):\n"
        "    rate = discount_rate(code)\n"
        "    return subtotal * (1 + rate)\n"
    ),
    "shop/rules.py": "RATES = {'SUMMER': 0.1}\n\n\ndef discount_rate(code):\n    return RATES.get(code, 0.0)\n",
    "shop/cart.py": (
        "from shop.pricing import total\n\n\n"
        "class Cart:\n"
        "    def __init__(self):\n        self.items = []\n\n"
        "    def add(self, price):\n        self.items.append(price)\n\n"
        "    def checkout(self, code=None):\n        return total(self.items, code)\n"
    ),
    "shop/shipping.py": "def shipping_cost(weight):\n    return 5 + weight * 0.5\n",
    "tests/test_pricing.py": "from shop.pricing import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
    "docs/discounts.md": "# Discounts\n\nA discount code lowers the total price of a cart.\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with indexed_repo(tmp_path_factory.mktemp("shop"), FILES) as idx:
        yield idx


def test_a_traceback_points_at_its_innermost_frame(index: Index) -> None:
    text = ('It crashes:\nTraceback (most recent call last):\n'  # a title naming no code (see the title signal)
            '  File "/srv/app/shop/cart.py", line 12, in checkout\n'
            '  File "/srv/app/shop/pricing.py", line 10, in apply_discount\nKeyError: x\n')
    ranking = find(index, text, k=5)
    assert ranking.files[0].path == "shop/pricing.py"
    assert ranking.functions[0].id == "shop/pricing.py::apply_discount"
    assert any(r.signal == "frame" for r in ranking.functions[0].reasons)


def test_a_node_stack_trace_points_at_its_innermost_frame(tmp_path) -> None:
    files = {"lib/router.js": "function handle(req) {\n  return req.user.name;\n}\nmodule.exports = handle;\n",
             "lib/view.js": "function render(page) {\n  return page.title;\n}\nmodule.exports = render;\n",
             "index.js": "const handle = require('./lib/router');\nhandle({});\n"}
    text = ("Crash on start\nTypeError: Cannot read properties of undefined (reading 'name')\n"
            "    at handle (/srv/app/lib/router.js:2:19)\n    at Object.<anonymous> (/srv/app/index.js:2:1)\n")
    with indexed_repo(tmp_path, files) as idx:
        ranking = find(idx, text, k=3)
    frames = {h.path: r.weight for h in ranking.files for r in h.reasons if r.signal == "frame"}
    assert frames["lib/router.js"] > frames["index.js"] > 0  # the innermost frame counts most
    assert ranking.functions[0].id == "lib/router.js::handle"  # the function holding the frame's line
    assert any(r.signal == "frame" for r in ranking.functions[0].reasons)


def test_a_mentioned_method_points_at_its_definition(index: Index) -> None:
    ranking = find(index, "`Cart.checkout` ignores the discount code", k=5)
    assert ranking.functions[0].id == "shop/cart.py::Cart.checkout"
    assert ranking.files[0].path == "shop/cart.py"


def test_a_named_method_whose_name_many_classes_share_still_points_at_it(tmp_path: Path) -> None:
    """`name_mention` is divided by the name's definitions: `Cart.filter` among twenty `filter`s said little."""
    files = {f"shop/view{n}.py": f"class View{n}:\n    def filter(self, rows):\n        return rows\n" for n in range(20)}
    files["shop/cart.py"] = ("class Cart:\n    def filter(self, items):\n        return [i for i in items if i]\n\n"
                             "    def drop(self, rows, items, empty):\n        return rows or items or empty\n")
    with indexed_repo(tmp_path, files) as idx:
        ranking = find(idx, "Cart.filter() drops rows when the items list is empty", k=5)
    ids = [hit.id for hit in ranking.functions]
    assert ids.index("shop/cart.py::Cart.filter") < ids.index("shop/cart.py::Cart.drop")  # its words match as well


def test_a_mentioned_module_points_at_its_file(index: Index) -> None:
    ranking = find(index, "Something is off in shop.rules when the code is unknown", k=3)
    assert ranking.files[0].path == "shop/rules.py"


def test_words_alone_rank_by_bm25(index: Index) -> None:
    ranking = find(index, "shipping cost grows too fast with weight", k=3)
    assert ranking.files[0].path == "shop/shipping.py"


UNICODE_FILES = {
    "uni.py": "class Ünïcode:\n    def méthode(self):\n        return 1\n\n\ndef 函数():\n    return 2\n\n\n"
              "def größe_berechnen():\n    return 3\n\n\ndef plain():\n    return 4\n",
    "other.py": "def unrelated():\n    return 5\n",
}


@pytest.mark.parametrize(("task", "sid"), [
    ("函数 returns the wrong value", "uni.py::函数"),
    ("méthode returns the wrong value", "uni.py::Ünïcode.méthode"),
    ("größe berechnen is wrong", "uni.py::größe_berechnen"),
    ("GrößeBerechnen is wrong", "uni.py::größe_berechnen"),
])
def test_a_name_beyond_ascii_is_a_word_of_the_task(tmp_path: Path, task: str, sid: str) -> None:
    """Words were ASCII only: `函数` was no word at all, `méthode` was `m` and `thode`, and no word beyond ASCII
    met FTS5's terms, whose Latin letters lose their diacritics (methode)."""
    with indexed_repo(tmp_path, UNICODE_FILES) as idx:
        ranking = find(idx, task, k=3)
    assert ranking.functions[0].id == sid
    assert ranking.functions[0].reasons[0].signal == "lexical_local"  # the title's BM25 too: the task is one line


def test_an_absolute_path_points_at_its_file_when_its_folder_matches_too(index: Index) -> None:
    ranking = find(index, "Wrong result, see /home/me/venv/site-packages/shop/rules.py", k=5)
    assert ranking.files[0].path == "shop/rules.py"
    assert any(r.signal == "path_mention" for r in ranking.files[0].reasons)
    ranking = find(index, "My own script /home/me/bot/rules.py fails", k=5)  # another project's file
    assert not any(r.signal == "path_mention" for h in ranking.files for r in h.reasons)


def test_a_pasted_package_listing_is_no_evidence(index: Index) -> None:
    text = ("Shipping cost is wrong for heavy parcels\n\nThe weight is ignored.\n\nPackage   Version\n"
            "--------- -------\ncart      1.0.4\ncheckout  3.1.0\ndiscount  1.2.0\npricing   0.3.1\ntotal     0.9.2\n")
    ranking = find(index, text, k=5)
    assert [h.path for h in ranking.files] == ["shop/shipping.py"]  # cart, checkout, pricing... named packages


def test_a_task_pasted_with_crlf_reads_as_with_lf(index: Index) -> None:
    """Windows and browsers paste CRLF: the ranking and every reason are those of the LF text (a reason quoting
    a line with its carriage return would send a terminal's cursor back over it)."""
    text = "Discount is off\n\nValueError: discount rate subtotal\nin shop/pricing.py\n"
    lf, crlf = find(index, text, k=5), find(index, text.replace("\n", "\r\n"), k=5)
    assert any(r.signal == "message" for r in crlf.files[0].reasons)
    assert [(h.path, h.score, h.reasons) for h in crlf.files] == [(h.path, h.score, h.reasons) for h in lf.files]
    assert [(h.id, h.score, h.reasons) for h in crlf.functions] == [(h.id, h.score, h.reasons) for h in lf.functions]


def test_tests_and_docs_rank_below_the_code_they_describe(index: Index) -> None:
    ranking = find(index, "discount total price is wrong", k=10)
    paths = [h.path for h in ranking.files]
    assert paths.index("shop/pricing.py") < paths.index("tests/test_pricing.py")
    assert paths.index("shop/pricing.py") < paths.index("docs/discounts.md")


def test_every_result_says_why(index: Index) -> None:
    ranking = find(index, "`apply_discount` adds instead of subtracting", k=3)
    for hit in ranking.files + ranking.functions:
        assert hit.reasons and all(r.signal and r.detail for r in hit.reasons)


TITLED = "apply_discount adds the discount rate"


@pytest.mark.parametrize(("task", "told_as_title"), [
    (TITLED, False),  # one line: the title is the whole task
    (f"\n  {TITLED}\n\n", False),  # one line among blank ones
    (f"{TITLED}\nthe subtotal grows", True),  # a title and more: the title's own words, told as such
])
def test_a_one_line_tasks_title_evidence_is_told_once_as_the_tasks(index: Index, task: str,
                                                                    told_as_title: bool) -> None:
    """A one-line task is its own title, whose BM25 is then the task's: each hit told it twice ("title BM25 best
    chunk 1.00 of the top; BM25 best chunk 1.00 of the top"). It is told once, as the task's, with both weights;
    the features, the scores and the order are what they were."""
    from codewright.retrieve.find import locate

    cands, ranking = locate(index.conn, task, k=5)
    hits = ranking.files + ranking.functions
    assert any(r.signal in ("title", "title_local") for hit in hits for r in hit.reasons) is told_as_title
    assert "title" in cands.files["shop/pricing.py"].values  # still a feature, and still scored
    for hit in hits:
        assert sum(r.weight for r in hit.reasons) == pytest.approx(hit.score)
        if not told_as_title:
            details = [r.detail for r in hit.reasons]
            assert len(details) == len(set(details)) and not any(d.startswith("title ") for d in details)


def test_cli_tells_a_one_line_tasks_bm25_once(index: Index) -> None:
    """The text output showed a one-line task's score twice on each line: "title BM25 ... ; BM25 ..."."""
    out = subprocess.run([sys.executable, "-m", "codewright", "find", TITLED, "--repo", str(index.root), "-k", "1"],
                         check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1].startswith("  ") and "(BM25 best chunk 1.00 of the top; " in out.stdout
    assert "title BM25" not in out.stdout


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_a_query_leaves_the_cycle_collector_as_it_found_it(index: Index, enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        find(index, "the discount is added to the total instead of taken off")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_cli_json_matches_its_schema(index: Index) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "codewright", "find", "apply_discount is wrong", "--repo", str(index.root),
         "--json", "-k", "3"], check=False, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    validate("find", doc)
    assert doc["functions"][0]["id"] == "shop/pricing.py::apply_discount"


def test_cli_without_a_task_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "codewright", "find", "--repo", str(tmp_path)],
                         check=False, capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_cli_says_when_nothing_matches(tmp_path: Path) -> None:
    (tmp_path / "logo.bin").write_bytes(b"\0\1\2")
    out = subprocess.run([sys.executable, "-m", "codewright", "find", "the total is wrong", "--repo", str(tmp_path)],
                         check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"nothing indexed under {tmp_path.resolve()} matches the task")


def test_a_functions_bm25_reason_is_relative_to_the_best_chunk(index: Index) -> None:
    """Raw BM25 is near 0 in a small repository (most words are in half its chunks): shown raw it read "0.0"."""
    ranking = find(index, "apply_discount adds the discount rate to the subtotal", k=5)
    details = [r.detail for hit in ranking.functions for r in hit.reasons if r.signal in ("lexical", "title", "stemmed")]
    assert details and all(re.fullmatch(r"(title |stemmed )?BM25 [01]\.\d\d of the top", d) for d in details)
    assert any(d.endswith("1.00 of the top") for d in details)


PRELOAD_TASKS = [
    'Traceback (most recent call last):\n  File "/srv/app/shop/pricing.py", line 10, in apply_discount\nKeyError: x',
    "`Cart.checkout` ignores the discount code; see shop/rules.py",
    'The total is wrong: "a discount code lowers the total price" says the docs, but it raises it',
    "shipping cost for heavy parcels",
]


def _answers(idx: Index) -> list:
    rankings = [find(idx, text, k=10) for text in PRELOAD_TASKS]
    return [[(h.path, h.score, [(r.signal, r.detail, r.weight) for r in h.reasons]) for h in r.files]
            + [(h.id, h.score, [(r.signal, r.detail, r.weight) for r in h.reasons]) for h in r.functions]
            for r in rankings]


def test_a_preloaded_corpus_answers_as_one_read_on_first_use(tmp_path) -> None:
    """`Corpus.preload` (a long-lived process) reads every table and posting at once; a query then takes other
    paths (messages from the postings in memory, words the vocabulary lacks known without a query) to the same
    rankings, scores and reasons."""
    from codewright.retrieve.corpus import corpus

    with indexed_repo(tmp_path / "shop", FILES) as idx:
        first_use = _answers(idx)
    with indexed_repo(tmp_path / "shop", FILES) as idx:
        corpus(idx.conn).preload()
        assert _answers(idx) == first_use


def test_a_querys_tables_are_freed_without_the_cycle_collector(index: Index) -> None:
    """The collector is off during a query, so a cycle (a detail's function holding its own table) would keep
    both candidate tables alive until some later collection."""
    import weakref

    from codewright.retrieve.find import locate

    was = gc.isenabled()
    gc.disable()
    try:
        cands, ranking = locate(index.conn, "`Cart.checkout` ignores the discount code; see shop/rules.py", 10)
        tables = [weakref.ref(cands.files), weakref.ref(cands.functions)]
        del cands, ranking
        assert [table() for table in tables] == [None, None]
    finally:
        (gc.enable if was else gc.disable)()
