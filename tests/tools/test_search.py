"""Keyword/regex search (ripgrep or Python) and the graph lookups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codewright.edit.confined import SWAPPED
from codewright.graph.index import Index
from codewright.tools import search as search_module
from codewright.tools.files import NOT_UTF8


@pytest.fixture(params=["rg", "python"])
def finder(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Run each search test with ripgrep (when installed) and with the Python fallback."""
    if request.param == "python":
        monkeypatch.setattr(search_module.shutil, "which", lambda name: None)
    elif search_module.shutil.which("rg") is None:
        assert request.param == "rg"
        monkeypatch.setattr(search_module.shutil, "which", lambda name: None)
    return request.param


def test_keyword_search(make_box, finder) -> None:
    result = make_box().call("search", {"pattern": "GREET"})
    assert result.ok and result.kind == "search"
    assert result.content.splitlines() == [
        "src/app.py:4: def greet(name):",
        "src/app.py:10: return greet('server')",
        "tests/test_app.py:1: from src.app import greet",
        "tests/test_app.py:4: def test_greet():",
        "tests/test_app.py:5: assert greet('x') == 'hello x'",
    ]


def test_regex_glob_and_case(make_box, finder) -> None:
    box = make_box()
    assert box.call("search", {"pattern": r"def \w+\(self", "regex": True}).content == \
        "src/app.py:9: def start(self):"
    assert box.call("search", {"pattern": "return", "glob": "*.js"}).content == "src/util.js:2: return a + b;"
    assert box.call("search", {"pattern": "GREET", "case_sensitive": True}).content == \
        "no matches for 'GREET' in ."


def test_a_pattern_ripgrep_refuses_is_an_error_not_no_matches(make_box, monkeypatch) -> None:
    if search_module.shutil.which("rg") is None:  # the Python search reads look-behind; nothing to refuse
        assert make_box().call("search", {"pattern": r"(?<=def )greet", "regex": True}).ok
        return
    result = make_box().call("search", {"pattern": r"(?<=def )greet", "regex": True})
    assert not result.ok and "look-around" in result.content


def test_a_hit_shows_bytes_that_are_not_utf8_as_escapes_as_run_command_does(make_box, workspace: Path,
                                                                            finder) -> None:
    (workspace / "README.md").write_bytes(b"# d\xe9mo caf\xc3\xa9\n")
    assert make_box().call("search", {"pattern": "mo caf"}).content == "README.md:1: # d\\xe9mo caf\u00e9"


def test_secret_files_appear_only_where_a_rule_allows_reading_them(make_box, finder) -> None:
    """The hits obey read_file's rule: `.env` is hidden, unless the user allowed it with `path:.env`."""
    assert "no matches" in make_box().call("search", {"pattern": "API_KEY"}).content
    allowed = make_box(allow=["path:.env"]).call("search", {"pattern": "API_KEY"}).content
    assert allowed.startswith(".env:1: API_KEY="), allowed


def test_a_symlink_out_of_the_workspace_and_a_fifo_are_not_searched(make_box, workspace: Path, tmp_path: Path,
                                                                    finder) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("TOP SECRET OUTSIDE\n")
    (workspace / "link_out").symlink_to(outside)
    os.mkfifo(workspace / "pipe.txt")  # reading it would wait for a writer forever
    assert make_box().call("search", {"pattern": "TOP SECRET"}).content == "no matches for 'TOP SECRET' in ."


def test_every_match_of_a_file_is_counted(make_box, workspace: Path, finder) -> None:
    (workspace / "many.txt").write_text("hit\n" * 200)
    result = make_box().call("search", {"pattern": "hit", "path": "many.txt"})
    assert result.meta["hits"] == 200 and result.content.endswith("[100 more matches: narrow the pattern or the path]")


def test_names_with_colons_globs_with_folders_and_line_numbers(make_box, workspace: Path, finder) -> None:
    (workspace / "pkg").mkdir()
    (workspace / "pkg" / "a:b.py").write_text("x = 1\n")
    (workspace / "pkg" / "f.py").write_text("a = 1\fb = 2\n\u2028c = 3\nneedle = 4\n")  # form feed, U+2028
    box = make_box()
    assert box.call("search", {"pattern": "x = 1"}).content == "pkg/a:b.py:1: x = 1"
    assert box.call("search", {"pattern": "needle"}).content == "pkg/f.py:3: needle = 4"
    for glob in ("**/*.py", "pkg/*.py", "f.py"):
        assert box.call("search", {"pattern": "needle", "glob": glob}).content == "pkg/f.py:3: needle = 4", glob


def test_a_denied_path_is_not_shown_and_a_missing_one_is_an_error(make_box, workspace: Path, finder) -> None:
    (workspace / "private").mkdir()
    (workspace / "private" / "notes.txt").write_text("the plan\n")
    box = make_box(deny=["path:private/**"])
    assert box.call("search", {"pattern": "the plan"}).content == "no matches for 'the plan' in ."
    missing = box.call("search", {"pattern": "x", "path": "nowhere"})
    assert not missing.ok and missing.content.startswith("nowhere does not exist")


def test_limit_and_bad_regex(make_box, finder) -> None:
    box = make_box()
    limited = box.call("search", {"pattern": "greet", "max_results": 1})
    assert limited.content.endswith("[4 more matches: narrow the pattern or the path]")
    bad = box.call("search", {"pattern": "(", "regex": True})
    assert not bad.ok and bad.content.startswith("invalid regular expression '('")


def test_graph_lookups(make_box, workspace: Path) -> None:
    with Index.open(workspace) as index:
        index.build()
        box = make_box(index=index)
        assert "method app.Server.start def start(self) at src/app.py:9-10" in \
            box.call("find_symbol", {"query": "start"}).content
        definition = box.call("find_definition", {"target": "greet"})
        assert definition.content.startswith("function app.greet def greet(name) at src/app.py:4-5")
        refs = box.call("find_references", {"name": "greet"}).content.splitlines()
        assert "src/app.py:10:16 call greet (in src/app.py::Server.start)" in refs
        outline = box.call("outline", {"path": "src/app.py"}).content.splitlines()
        assert outline[:2] == ["4-5 function app.greet def greet(name)", "8-10 class app.Server class Server"]
        assert box.call("find_definition", {"target": "nope_nothing"}).content.startswith("no definition found")


def test_graph_lookups_show_a_definitions_decorators(make_box, workspace: Path) -> None:
    """The model read `def area(self)` as a method to call: it is a property."""
    (workspace / "src" / "shape.py").write_text("class Shape:\n    @property\n    def area(self):\n        return 1\n")
    with Index.open(workspace) as index:
        index.build()
        box = make_box(index=index)
        assert box.call("outline", {"path": "src/shape.py"}).content.splitlines() == [
            "1-4 class shape.Shape class Shape", "3-4 method shape.Shape.area @property def area(self)"]
        assert box.call("find_definition", {"target": "Shape.area"}).content == \
            "method shape.Shape.area @property def area(self) at src/shape.py:3-4 (id src/shape.py::Shape.area)"


def test_find_references_says_and_lists_a_modules_importers(make_box, workspace: Path) -> None:
    """The index lists the importers of a module asked for by its id (pkg/mod.py::), but the tool's description
    said symbols only: the model had no way to know, and searched for import lines instead."""
    spec = search_module.SPECS["find_references"]
    assert "(pkg/mod.py::) its importers" in spec.description
    assert "path:: for a module" in spec.parameters["properties"]["name"]["description"]
    with Index.open(workspace) as index:
        index.build()
        refs = make_box(index=index).call("find_references", {"name": "src/app.py::"}).content.splitlines()
    assert refs == ["tests/test_app.py:1:1 import src.app"]


LONG = "x" * 100_000
SHOWN = f"{'x' * 200!r}... (100000 characters)"
LONG_LOOKUPS = {  # (tool, its arguments, the result): a pasted page is named by its start, as callers names one
    "find_symbol": ("find_symbol", {"query": LONG}, f"no symbol matches {SHOWN}"),
    "find_definition": ("find_definition", {"target": LONG},
                        f"no definition found for {SHOWN}: try find_symbol or search"),
    "find_references": ("find_references", {"name": LONG}, f"no references to {SHOWN} in the index"),
    "callers": ("callers", {"symbol": LONG}, f"no symbol named {SHOWN}"),
}


@pytest.mark.parametrize(("tool", "args", "content"), LONG_LOOKUPS.values(), ids=LONG_LOOKUPS.keys())
def test_a_long_query_is_repeated_cut_to_its_start(make_box, workspace: Path, tool: str, args: dict,
                                                   content: str) -> None:
    """find_symbol and find_references repeated the whole of it: 100,000 characters of the model's context."""
    with Index.open(workspace) as index:
        index.build()
        assert make_box(index=index).call(tool, args).content == content


def test_graph_lookup_without_an_index(make_box) -> None:
    result = make_box().call("find_symbol", {"query": "greet"})
    assert not result.ok and result.content == "the code index is not available in this session: use search instead"


def test_a_backtracking_pattern_stops_at_the_time_limit_without_ripgrep(make_box, workspace: Path,
                                                                         monkeypatch) -> None:
    """`(a|aa)+$` against a long run of a's that does not end the line takes exponential time: `re` held the
    session for hours; the fallback's matching has a time limit and says why it stopped."""
    monkeypatch.setattr(search_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(search_module, "SEARCH_SECONDS", 1)
    (workspace / "runs.txt").write_text("a" * 60 + "!\n")
    result = make_box().call("search", {"pattern": "(a|aa)+$", "regex": True})
    assert not result.ok
    assert result.content.startswith("the search for '(a|aa)+$' stopped after 1 s: the pattern backtracks")


def test_a_name_that_is_not_utf8_is_shown_as_a_command_can_use_it(make_box, workspace: Path, finder) -> None:
    """It was shown as U+FFFD, which names no file: the model could neither open nor rename it."""
    with open(os.fsencode(workspace / "src") + b"/caf\xe9.py", "wb") as file:
        file.write(b"needle = 1\n")
    result = make_box().call("search", {"pattern": "needle"})
    assert result.content == f"$'src/caf\\xe9.py':1: needle = 1\n{NOT_UTF8}"


@pytest.mark.parametrize("path", ["src", "src/app.py"])
def test_a_folder_swapped_for_a_link_after_the_check_is_not_searched_through(make_box, workspace: Path,
                                                                            tmp_path: Path, monkeypatch, finder,
                                                                            path: str) -> None:
    """Between the path's check and the search, `src` becomes a link to a folder outside holding a secret file,
    and is put back before the hits are checked (a background command of the model's could do it): the search
    read the file there, by name, and its hit passed as src/app.py's."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.py").write_text("SECRET = 'outside'\n")
    box = make_box()
    check, readable = box.authorize_path, search_module._Readable.__call__

    def check_then_swap(path: str, *, write: bool) -> str:
        rel = check(path, write=write)
        (workspace / "src").rename(workspace / "src.real")
        (workspace / "src").symlink_to(outside)
        return rel

    def swap_back_then_check(self, path: str) -> bool:  # type: ignore[no-untyped-def]
        if (workspace / "src").is_symlink():
            (workspace / "src").unlink()
            (workspace / "src.real").rename(workspace / "src")
        return readable(self, path)

    monkeypatch.setattr(box, "authorize_path", check_then_swap)
    monkeypatch.setattr(search_module._Readable, "__call__", swap_back_then_check)
    result = box.call("search", {"pattern": "SECRET", "path": path})
    assert result.content == f"the search in {path} failed: {SWAPPED}"


@pytest.mark.parametrize("path", [".", "src"])
def test_the_root_gitignore_holds_in_a_folder_searched(make_box, workspace: Path, finder, path: str) -> None:
    """ripgrep searches a folder from within it (by its descriptor): the ignore files above it still count."""
    (workspace / ".gitignore").write_text("*.log\n")
    (workspace / "src" / "run.log").write_text("needle\n")
    (workspace / "src" / "kept.txt").write_text("needle\n")
    expected = {"rg": "src/kept.txt:1: needle", "python": "src/kept.txt:1: needle\nsrc/run.log:1: needle"}
    assert make_box().call("search", {"pattern": "needle", "path": path}).content == expected[finder]
