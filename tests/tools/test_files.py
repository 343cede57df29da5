"""File tools: reading windows, listing, creating, editing in every format, deleting; their failures."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tests.tools.conftest import FILES

from codewright.graph.index import Index
from codewright.tools import Toolbox, toolbox


def test_read_window_with_line_numbers(make_box) -> None:
    box = make_box()
    result = box.call("read_file", {"path": "src/app.py", "start_line": 4, "end_line": 5})
    assert result.ok and result.kind == "file_read"
    assert result.content == "src/app.py (lines 4-5 of 10)\n4\tdef greet(name):\n5\t    return f'hello {name}'\n" \
                             "[5 more lines: read with start_line=6]"
    assert result.meta == {"path": "src/app.py", "lines": 10}


def test_read_failures(make_box, workspace: Path) -> None:
    box = make_box()
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02")
    cases = {
        "src/ap.py": "src/ap.py does not exist; did you mean src/app.py?",
        "src": "src is a directory: use list_dir",
        "blob.bin": "blob.bin is a binary file (3 bytes): it cannot be shown as text",
    }
    for path, message in cases.items():
        result = box.call("read_file", {"path": path})
        assert (result.ok, result.kind, result.content) == (False, "error", message)
    past = box.call("read_file", {"path": "README.md", "start_line": 9})
    assert past.content == "README.md has 1 lines: start_line 9 is past the end"
    # a path is never its own suggestion
    assert box.call("list_dir", {"path": "README.md"}).content == "README.md is not a directory"


READ_ENCODINGS = [
    # (case, file bytes, the header's note, the lines shown)
    ("UTF-16 with its BOM", "héllo\nwörld\n".encode("utf-16"), ", utf-16-le with BOM", ["héllo", "wörld"]),
    ("UTF-8 with a BOM", b"\xef\xbb\xbfone\r\ntwo\r\n", ", utf-8 with BOM", ["one", "two"]),
    ("not UTF-8: Latin-1, as an edit reads it", b"caf\xe9\n", ", latin-1", ["café"]),
    ("a lone CR ends no line, as for an edit", b"a\rb\nc\n", "", ["a\rb", "c"]),
]


@pytest.mark.parametrize("case, data, note, lines", READ_ENCODINGS, ids=[c[0] for c in READ_ENCODINGS])
def test_read_shows_the_lines_an_edit_matches(make_box, workspace: Path, case: str, data: bytes, note: str,
                                               lines: list[str]) -> None:
    (workspace / "f.txt").write_bytes(data)
    result = make_box().call("read_file", {"path": "f.txt"})
    assert result.ok, result.content
    header, *shown = result.content.split("\n")
    assert header == f"f.txt (lines 1-{len(lines)} of {len(lines)}{note})"
    assert shown == [f"{n}\t{line}" for n, line in enumerate(lines, 1)]


def test_a_window_that_ends_before_it_starts_is_refused(make_box) -> None:
    result = make_box().call("read_file", {"path": "src/app.py", "start_line": 5, "end_line": 2})
    assert (result.ok, result.content) == (False, "end_line 2 is before start_line 5")


def test_a_binary_file_is_deleted(make_box, workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02")
    result = make_box().call("delete_file", {"path": "blob.bin"})
    assert (result.ok, result.content, result.files_changed) == (True, "deleted blob.bin", ["blob.bin"])
    assert not (workspace / "blob.bin").exists()


def test_deleting_a_symbolic_link_is_refused_and_its_target_kept(make_box, workspace: Path) -> None:
    (workspace / "link.py").symlink_to("src/app.py")
    result = make_box().call("delete_file", {"path": "link.py"})
    assert not result.ok and result.content.startswith("link.py is a symbolic link to src/app.py: ")
    assert (workspace / "link.py").is_symlink() and (workspace / "src/app.py").read_text() == FILES["src/app.py"]


@pytest.mark.parametrize("tool, args", [("read_file", {}), ("edit_file", {"old_string": "a", "new_string": "b"}),
                                        ("delete_file", {})], ids=["read", "edit", "delete"])
def test_a_loop_of_symbolic_links_is_a_readable_error(make_box, workspace: Path, tool: str, args: dict) -> None:
    (workspace / "one").symlink_to("two")
    (workspace / "two").symlink_to("one")
    result = make_box().call(tool, {"path": "one", **args})
    assert (result.ok, result.content) == (False, "one is a symbolic link that leads back to itself: no file is there")
    with pytest.raises(toolbox.Refused):  # how a loop is found where Path.resolve does not raise (3.13)
        toolbox._stat(workspace / "one")


def test_secret_and_outside_paths_are_refused(make_box) -> None:
    box = make_box()
    secret = box.call("read_file", {"path": ".env"})
    assert (secret.ok, secret.kind) == (False, "denied") and "may hold secrets" in secret.content
    outside = box.call("read_file", {"path": "../../etc/passwd"})
    assert outside.kind == "denied" and "outside the workspace" in outside.content
    allowed = make_box(allow=["path:.env"]).call("read_file", {"path": ".env"})
    assert allowed.ok and "API_KEY" in allowed.content


def test_list_dir(make_box) -> None:
    result = make_box().call("list_dir", {"path": "src"})
    assert result.ok and result.kind == "listing"
    assert result.content.splitlines() == ["src/", "app.py (124 bytes)", "util.js (65 bytes)"]
    top = make_box().call("list_dir", {"depth": 1})
    assert "src/ (2 entries)" in top.content and ".git" not in top.content


def test_list_dir_puts_each_folders_entries_under_it(make_box, workspace: Path) -> None:
    for rel in ("tree/alpha/a1.py", "tree/alpha/a2.py", "tree/beta/b1.py", "tree/gamma/g.py", "tree/top.txt"):
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text("")
    assert make_box().call("list_dir", {"path": "tree"}).content.splitlines() == [
        "tree/", "top.txt (empty)", "alpha/", "  a1.py (empty)", "  a2.py (empty)", "beta/", "  b1.py (empty)",
        "gamma/", "  g.py (empty)"]


def test_a_large_file_is_read_line_by_line_with_the_same_numbers(make_box, workspace: Path, monkeypatch) -> None:
    from codewright.tools import files

    text = "".join(f"line {n}\r\n" if n % 3 else f"line {n} é\n" for n in range(1, 1001)) + "last, unterminated"
    (workspace / "big.log").write_text(text, newline="")
    box = make_box()
    whole = box.call("read_file", {"path": "big.log", "start_line": 995, "end_line": 1001})
    monkeypatch.setattr(files, "STREAM_BYTES", 1000)
    streamed = box.call("read_file", {"path": "big.log", "start_line": 995, "end_line": 1001})
    assert streamed.content.split("\n", 1)[1] == whole.content.split("\n", 1)[1]
    assert streamed.content.startswith("big.log (lines 995-1001 of 1001, read as UTF-8 line by line (a large file))")
    (workspace / "big.bin").write_bytes(b"\0" * 2000)
    assert box.call("read_file", {"path": "big.bin"}).content.startswith("big.bin is a binary file")


@pytest.mark.parametrize(("call", "args", "said"), [
    ("create_file", {"path": "src/n.py", "content": "x = '\0'\n"}, "content holds a NUL character"),
    ("edit_file", {"path": "src/app.py", "old_string": "import os", "new_string": "import os\0"},
     "new_string holds a NUL character"),
    ("edit_file", {"path": "src/app.py", "old_string": "", "new_string": "x = 1\n"}, "old_string is empty, and"),
])
def test_writes_that_would_spoil_a_file_are_refused(make_box, workspace: Path, call: str, args: dict,
                                                    said: str) -> None:
    before = (workspace / "src/app.py").read_bytes()
    result = make_box().call(call, args)
    assert not result.ok and said in result.content
    assert (workspace / "src/app.py").read_bytes() == before and not (workspace / "src/n.py").exists()


def test_create_refuses_to_overwrite_then_overwrites(make_box, workspace: Path) -> None:
    box = make_box()
    result = box.call("create_file", {"path": "src/new/mod.py", "content": "X = 1\n"})
    assert result.ok and result.files_changed == ["src/new/mod.py"] and result.kind == "file_written"
    assert (workspace / "src/new/mod.py").read_text() == "X = 1\n"
    again = box.call("create_file", {"path": "src/new/mod.py", "content": "X = 2\n"})
    assert not again.ok and "already exists" in again.content
    assert box.call("create_file", {"path": "src/new/mod.py", "content": "X = 2\n", "overwrite": True}).ok
    assert (workspace / "src/new/mod.py").read_text() == "X = 2\n"


def test_edit_file_and_a_failed_match_changes_nothing(make_box, workspace: Path) -> None:
    box = make_box()
    ok = box.call("edit_file", {"path": "src/app.py", "old_string": "    return f'hello {name}'\n",
                                "new_string": "    return f'hi {name}'\n"})
    assert ok.ok and ok.content.splitlines() == [
        "changed 1 file(s):", "  modify src/app.py [exact]", "src/app.py @@ -2,7 +2,7 @@",
        "-    return f'hello {name}'", "+    return f'hi {name}'", "The edit is saved: do not repeat it."]
    before = (workspace / "src/app.py").read_bytes()
    bad = box.call("edit_file", {"path": "src/app.py", "old_string": "nothing like this\n", "new_string": "x\n"})
    assert not bad.ok and "No file was changed" in bad.content
    assert (workspace / "src/app.py").read_bytes() == before


def test_repeating_an_edit_already_made_says_so_and_changes_nothing(make_box, workspace: Path) -> None:
    box = make_box()
    edit = {"path": "src/app.py", "old_string": "    return f'hello {name}'\n", "new_string": "    return f'hi {name}'\n"}
    assert box.call("edit_file", edit).ok
    after = (workspace / "src/app.py").read_bytes()
    again = box.call("edit_file", edit)
    assert again.ok and again.files_changed == []
    assert again.content.startswith("already applied: app.py has no old_string but already contains new_string "
                                    "(from line 5)")
    assert (workspace / "src/app.py").read_bytes() == after


def test_an_edit_that_changes_nothing_is_refused(make_box, workspace: Path) -> None:
    same = "    return f'hello {name}'\n"
    result = make_box().call("edit_file", {"path": "src/app.py", "old_string": same, "new_string": same})
    message = "old_string and new_string are the same, so this edit changes nothing: new_string must hold the " \
              "corrected text"
    assert (result.ok, result.content) == (False, message)


@pytest.mark.parametrize(("old", "new"), [
    ("   5|     return f'hello {name}'", "   5|     return f'hi {name}'"),  # a snippet's numbers
    ("5\t    return f'hello {name}'", "5\t    return f'hi {name}'"),  # read_file's
    ("lines 5-5 (92% similar):\n     5|     return f'hello {name}'", "    return f'hi {name}'"),  # a suggestion
])
def test_line_numbers_copied_with_the_code_are_dropped(make_box, workspace: Path, old: str, new: str) -> None:
    result = make_box().call("edit_file", {"path": "src/app.py", "old_string": old, "new_string": new})
    assert result.ok, result.content
    assert "    return f'hi {name}'\n" in (workspace / "src/app.py").read_text()


def test_numbers_that_are_in_the_file_are_kept(make_box, workspace: Path) -> None:
    (workspace / "table.md").write_text("1| one\n2| two\n")
    result = make_box().call("edit_file", {"path": "table.md", "old_string": "2| two", "new_string": "2| deux"})
    assert result.ok and (workspace / "table.md").read_text() == "1| one\n2| deux\n"


def test_a_missing_old_string_with_a_repeated_new_string_is_still_an_error(make_box, workspace: Path) -> None:
    box = make_box()
    result = box.call("edit_file", {"path": "src/app.py", "old_string": "absent\n", "new_string": "\n"})
    assert not result.ok and "No file was changed" in result.content


def test_syntax_error_introduced_by_an_edit_is_reported_at_once(make_box, workspace: Path) -> None:
    box = make_box()
    result = box.call("edit_file", {"path": "src/util.js", "old_string": "  return a + b;\n",
                                    "new_string": "  return a + (b;\n"})
    assert not result.ok and result.kind == "file_written"
    assert "SYNTAX ERROR after this edit in src/util.js: line" in result.content
    assert result.meta["syntax_errors"]["src/util.js"]
    fixed = box.call("edit_file", {"path": "src/util.js", "old_string": "  return a + (b;\n",
                                   "new_string": "  return a + b;\n"})
    assert fixed.ok and "SYNTAX" not in fixed.content


def test_already_broken_file_does_not_repeat_old_errors(make_box, workspace: Path) -> None:
    (workspace / "src/broken.py").write_text("def f(:\n    pass\n\nX = 1\n")
    result = make_box().call("edit_file", {"path": "src/broken.py", "old_string": "X = 1\n", "new_string": "X = 2\n"})
    assert result.ok and "SYNTAX" not in result.content


PATCHES = {
    "search-replace": "src/app.py\n```python\n<<<<<<< SEARCH\nimport os\n=======\nimport sys\n>>>>>>> REPLACE\n```\n",
    "udiff": "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,3 +1,3 @@\n-import os\n+import sys\n \n \n",
    "patch": "*** Begin Patch\n*** Update File: src/app.py\n@@\n-import os\n+import sys\n*** End Patch\n",
}


def test_apply_patch_in_every_format(make_box, workspace: Path) -> None:
    original = (workspace / "src/app.py").read_text()
    for name, text in PATCHES.items():
        (workspace / "src/app.py").write_text(original)
        result = make_box().call("apply_patch", {"text": text})
        assert result.ok, (name, result.content)
        assert (workspace / "src/app.py").read_text().startswith("import sys\n"), name


def test_apply_patch_checks_every_target_path(make_box, workspace: Path) -> None:
    text = "*** Begin Patch\n*** Add File: migrations/0002.py\n+X = 1\n*** End Patch\n"
    result = make_box(deny=["path:migrations/**"]).call("apply_patch", {"text": text})
    assert result.kind == "denied" and not (workspace / "migrations/0002.py").exists()


def test_apply_patch_asks_once_per_file_in_ask_mode(make_box, workspace: Path) -> None:
    text = ("*** Begin Patch\n*** Update File: src/app.py\n@@\n-import os\n+import sys\n"
            "*** Add File: src/new.py\n+X = 1\n*** End Patch\n")
    box = make_box("ask")
    assert box.call("apply_patch", {"text": text}).ok
    assert sorted(request.target for request in box.asked) == ["src/app.py", "src/new.py"]


def test_a_patch_against_a_secret_file_is_refused_before_the_file_is_read(make_box) -> None:
    """The dry run's "did you mean" quoted the closest lines of .env, the secret it then refused."""
    text = ".env\n<<<<<<< SEARCH\nAPI_KEY=nearly-the-key\n=======\nX=1\n>>>>>>> REPLACE\n"
    result = make_box().call("apply_patch", {"text": text})
    assert result.kind == "denied" and "may hold secrets" in result.content and "sk-" not in result.content


def test_edit_file_with_an_empty_old_string_creates_a_new_file(make_box, workspace: Path) -> None:
    result = make_box().call("edit_file", {"path": "brand_new.py", "old_string": "", "new_string": "x = 1\n"})
    assert result.ok, result.content
    assert (workspace / "brand_new.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("tool, args", [
    ("read_file", {"path": "pipe.txt"}),
    ("create_file", {"path": "pipe.txt", "content": "x\n", "overwrite": True}),
    ("edit_file", {"path": "pipe.txt", "old_string": "a", "new_string": "b"}),
    ("apply_patch", {"text": "--- a/pipe.txt\n+++ b/pipe.txt\n@@ -1 +1 @@\n-a\n+b\n"}),
    ("delete_file", {"path": "pipe.txt"}),
    ("lint", {"paths": ["pipe.txt"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_fifo_is_refused_rather_than_waited_on(make_box, workspace: Path, tool: str, args: dict) -> None:
    """Reading a FIFO waits for a writer forever (and a write tool reads the file first)."""
    os.mkfifo(workspace / "pipe.txt")
    result = make_box().call(tool, args)
    assert not result.ok
    assert "pipe.txt is not a regular file (a pipe, socket or device)" in result.content
    assert stat.S_ISFIFO(os.lstat(workspace / "pipe.txt").st_mode)


def test_writes_ask_in_ask_mode_and_no_answer_means_no(make_box, workspace: Path) -> None:
    box = make_box("ask", answer=False)
    result = box.call("create_file", {"path": "x.py", "content": "x = 1\n"})
    assert result.kind == "denied" and "not approved" in result.content and not (workspace / "x.py").exists()
    assert str(box.asked[0]) == "Write 'x.py' (write; ask mode asks before writes)?"
    headless = make_box("ask", answer=None).call("create_file", {"path": "x.py", "content": "x = 1\n"})
    assert headless.kind == "denied"
    assert make_box("plan").call("create_file", {"path": "x.py", "content": ""}).content == \
        "denied: plan mode is read-only"


def test_delete_records_the_ledger(make_box, workspace: Path) -> None:
    box = make_box()
    assert box.call("delete_file", {"path": "README.md"}).ok
    assert not (workspace / "README.md").exists()
    assert "deleted README.md" in box.ledger.render()


def test_index_is_updated_after_every_write(make_box, workspace: Path) -> None:
    with Index.open(workspace) as index:
        index.build()
        box = make_box(index=index)
        assert not index.symbols("brand_new_function")
        box.call("create_file", {"path": "src/extra.py", "content": "def brand_new_function():\n    return 1\n"})
        assert [s.path for s in index.symbols("brand_new_function")] == ["src/extra.py"]
        found = box.call("find_symbol", {"query": "brand_new_function"})
        assert "function extra.brand_new_function def brand_new_function() at src/extra.py:1-2" in found.content


def test_an_edit_to_a_guessed_directory_lands_in_the_one_file_of_that_name(make_box, workspace: Path) -> None:
    with Index.open(workspace) as index:
        index.build()
        box = make_box(index=index)
        result = box.call("edit_file", {"path": "lib/app.py", "old_string": "hello", "new_string": "hi"})
        assert result.ok and result.content.startswith(
            "note: the file is src/app.py (the one file of that name; there is no lib/app.py): this edit went there."
            "\nchanged 1 file(s):")
        assert "f'hi {name}'" in (workspace / "src/app.py").read_text()
        assert not (workspace / "lib").exists()


def test_a_missing_path_suggests_the_files_of_that_name(make_box, workspace: Path) -> None:
    (workspace / "docs").mkdir()
    (workspace / "docs/app.py").write_text("x = 1\n")
    with Index.open(workspace) as index:
        index.build()
        box = make_box(index=index)
        edit = box.call("edit_file", {"path": "lib/app.py", "old_string": "hello", "new_string": "hi"})
        assert edit.content == "lib/app.py does not exist; did you mean docs/app.py or src/app.py?; create it with create_file"
        read = box.call("read_file", {"path": "app.py"})
        assert read.content == "app.py does not exist; did you mean docs/app.py or src/app.py?"


def test_a_result_too_long_keeps_its_start_and_end_and_says_how_much_was_left_out(make_box, workspace: Path) -> None:
    """The linter's report on a generated file (one finding a line, 4,000 lines) came back whole."""
    (workspace / "generated.py").write_text("".join(f"import module_{i}\n" for i in range(4000)))
    result = make_box().call("lint", {"paths": ["generated.py"]})
    assert not result.ok
    assert len(result.content) < toolbox.MAX_RESULT_CHARS + 200
    assert "characters omitted: the result was too long; ask for less" in result.content
    assert "generated.py:1:" in result.content[:200] and "module_3999" in result.content[-300:]


def _swap_src_for_a_link_after_its_check(box: Toolbox, workspace: Path, tmp_path: Path, monkeypatch) -> Path:
    """Once the box's next path check has passed, `src` becomes a link to a folder outside that holds app.py
    (SECRET = 'outside'): the race a background command of the model's could win between check and use. Returns
    that folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.py").write_text("SECRET = 'outside'\n")
    check = box.authorize_path

    def check_then_swap(path: str, *, write: bool) -> str:
        rel = check(path, write=write)
        (workspace / "src").rename(workspace / "src.real")
        (workspace / "src").symlink_to(outside)
        return rel

    monkeypatch.setattr(box, "authorize_path", check_then_swap)
    return outside


@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_a_folder_swapped_for_a_link_after_the_check_is_not_read_through(make_box, workspace: Path, tmp_path: Path,
                                                                         monkeypatch, large: bool) -> None:
    """Between the path's check and the read, `src` becomes a link to a folder outside (a background command of
    the model's could do it): read_file showed the file there."""
    if large:
        monkeypatch.setattr("codewright.tools.files.STREAM_BYTES", 0)
    box = make_box()
    _swap_src_for_a_link_after_its_check(box, workspace, tmp_path, monkeypatch)
    result = box.call("read_file", {"path": "src/app.py"})
    assert not result.ok and "SECRET" not in result.content
    assert "became a symbolic link after it was checked" in result.content


def test_a_folder_swapped_for_a_link_after_the_check_is_not_read_by_the_edits_checks(make_box, workspace: Path,
                                                                                     tmp_path: Path, monkeypatch) -> None:
    """edit_file's check whether the edit is made already read the file by name, through `src` become a link to a
    folder outside: "already applied ... (from line 1)" told whether a file there held new_string, and where."""
    box = make_box()
    outside = _swap_src_for_a_link_after_its_check(box, workspace, tmp_path, monkeypatch)
    result = box.call("edit_file", {"path": "src/app.py", "old_string": "def greet(name):",
                                    "new_string": "SECRET = 'outside'"})
    assert result.content == f"src/app.py: is outside the repository ({workspace}); refusing to touch it."
    assert (outside / "app.py").read_text() == "SECRET = 'outside'\n"


def test_a_name_that_is_not_utf8_is_shown_as_a_command_can_use_it_and_named_so_is_refused(make_box,
                                                                                         workspace: Path) -> None:
    """It was shown as U+FFFD, which names no file: asked for, it "did not exist; did you mean" the same U+FFFD."""
    from codewright.tools.files import NOT_UTF8

    with open(os.fsencode(workspace / "src") + b"/caf\xe9.py", "wb") as file:
        file.write(b"x = 1\n")
    box = make_box()
    cases = {
        ("list_dir", "src"): f"\n$'caf\\xe9.py' (6 bytes)\nutil.js (65 bytes)\n{NOT_UTF8}",
        ("read_file", "src/caf\ufffd.py"): "src/caf\ufffd.py does not exist; did you mean $'src/caf\\xe9.py'?",
        ("read_file", "$'src/caf\\xe9.py'"): "$'src/caf\\xe9.py' is a name that is not valid UTF-8, written as bash "
                                             "quotes it: the file tools cannot open it; a command can, with the name "
                                             "as written (rename it to a UTF-8 name with mv first)",
    }
    for (tool, path), shown in cases.items():
        assert box.call(tool, {"path": path}).content.endswith(shown)
    renamed = box.call("run_command", {"command": "mv $'src/caf\\xe9.py' src/cafe.py && cat src/cafe.py"})
    assert renamed.ok and "x = 1" in renamed.content
