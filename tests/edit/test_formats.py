"""Each format a model may write, parsed and applied: one behaviour per case."""

from __future__ import annotations

import time

import pytest

from codewright.edit import EditError, apply_text, parse_text

BASE = "import os\n\n\ndef greet(name):\n    print('hi', name)\n    return name\n\n\ndef bye():\n    return 0\n"
GREETED = BASE.replace("print('hi', name)", "print('hello', name)")

CASES = [
    ("search-replace", ("app.py\n```python\n<<<<<<< SEARCH\n    print('hi', name)\n=======\n"
     "    print('hello', name)\n>>>>>>> REPLACE\n```\n"), GREETED),
    ("search-replace", ("Here is the change:\n\n`app.py`\n<<<<<<< SEARCH\n    print('hi', name)\n=======\n"
     "    print('hello', name)\n>>>>>>> REPLACE\n"), GREETED),
    ("json", ('{"file_path": "app.py", "old_string": "print(\'hi\', name)", '
     '"new_string": "print(\'hello\', name)"}'), GREETED),
    ("json", ('{"file_path": "app.py", "edits": [{"old_string": "    print(\'hi\', name)\\n", '
     '"new_string": "    print(\'hello\', name)\\n"}]}'), GREETED),
    ("json", '[{"path": "app.py", "old_str": "return 0", "new_str": "return 1"}]',
     BASE.replace("return 0", "return 1")),
    ("udiff", ("diff --git a/app.py b/app.py\nindex 1..2 100644\n--- a/app.py\n+++ b/app.py\n"
     "@@ -4,3 +4,3 @@ import os\n def greet(name):\n-    print('hi', name)\n+    print('hello', name)\n"
     "     return name\n"), GREETED),
    ("udiff", ("--- app.py\n+++ app.py\n@@ ... @@\n def greet(name):\n-    print('hi', name)\n"
     "+    print('hello', name)\n"), GREETED),
    ("udiff", ("```diff\n--- a/app.py\n+++ b/app.py\n@@\n def greet(name):\n-    print('hi', name)\n"
     "+    print('hello', name)\n     return name\n```\n"), GREETED),
    ("patch", ("*** Begin Patch\n*** Update File: app.py\n@@ def greet(name):\n-    print('hi', name)\n"
     "+    print('hello', name)\n*** End Patch\n"), GREETED),
    ("whole", "app.py\n```python\n" + GREETED + "```\n", GREETED),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES)
def test_format_is_detected_and_applied(tree, name, text, expected):
    root = tree({"app.py": BASE})
    result = apply_text(root, text)
    assert result.format == name
    assert (root / "app.py").read_text() == expected
    assert [c.path for c in result.changes] == ["app.py"]


@pytest.mark.parametrize(("name", "text", "expected"), CASES)
def test_format_can_be_named(tree, name, text, expected):
    root = tree({"app.py": BASE})
    apply_text(root, text, format=name)
    assert (root / "app.py").read_text() == expected


def test_replace_all_replaces_every_occurrence(tree):
    root = tree({"a.py": "x = 1\ny = 1\nx = 1\n"})
    apply_text(root, '{"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2", "replace_all": true}')
    assert (root / "a.py").read_text() == "x = 2\ny = 1\nx = 2\n"


@pytest.mark.parametrize("label, text", [
    ("a newline written raw in a string", '{"path": "a.py", "old_string": "x = 1\n", "new_string": "x = 2\n"}'),
    ("a trailing comma", '{"path": "a.py", "old_string": "x = 1", "new_string": "x = 2",}'),
    ("single quotes and Python's True", ("{'path': 'a.py', 'old_string': 'x = 1', 'new_string': 'x = 2', "
                                         "'replace_all': True}")),
    ("a ```json fence", '```json\n[{"path": "a.py", "old_string": "x = 1", "new_string": "x = 2"}]\n```\n'),
])
def test_json_edits_a_model_drifted_from_are_read_as_a_tool_calls_arguments_are(tree, label, text):
    """They were not recognised as edits at all."""
    root = tree({"a.py": "x = 1\ny = 1\n"})
    assert apply_text(root, text).format == "json"
    assert (root / "a.py").read_text() == "x = 2\ny = 1\n"


@pytest.mark.parametrize("text", [
    '{"path": "a.py", "content": "x = 2\n',
    '```json\n{"path": "a.py", "content": "x = 2\n\n```',
])
def test_a_json_edit_cut_off_is_not_repaired_into_a_whole_file(tree, snapshot, text):
    root = tree({"a.py": "x = 1\ny = 1\n"})
    before = snapshot(root)
    with pytest.raises(EditError, match=r"^The JSON edit stops before its closing bracket \(was it cut off\?\)"):
        apply_text(root, text, format="json")
    assert snapshot(root) == before


@pytest.mark.parametrize("flag, refusal", [
    ('"false"', r"a.py: edit 1: old_string occurs 2 times \(at lines 1, 2\)"),
    ("null", r"a.py: edit 1: old_string occurs 2 times \(at lines 1, 2\)"),
    ('"maybe"', r'a.py: replace_all must be true or false, not "maybe"; nothing changed.'),
])
def test_replace_all_is_read_as_a_flag(tree, snapshot, flag, refusal):
    """bool("false") is true: the string replaced every occurrence."""
    root = tree({"a.py": "x = 1\ny = 1\n"})
    before = snapshot(root)
    with pytest.raises(EditError, match=refusal):
        apply_text(root, f'{{"file_path": "a.py", "old_string": "= 1", "new_string": "= 2", "replace_all": {flag}}}')
    assert snapshot(root) == before
    apply_text(root, '{"file_path": "a.py", "old_string": "= 1", "new_string": "= 2", "replace_all": "True"}')
    assert (root / "a.py").read_text() == "x = 2\ny = 2\n"


def test_old_string_must_be_unique_without_replace_all(tree):
    root = tree({"a.py": "x = 1\ny = 1\nx = 1\n"})
    with pytest.raises(EditError, match=r"old_string occurs 2 times \(at lines 1, 3\)"):
        apply_text(root, '{"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2"}')


def test_an_old_string_found_everywhere_in_a_big_file_is_reported_at_once(tree):
    """Naming the lines of 200,000 occurrences counted lines from the start for each one: minutes of work."""
    root = tree({"big.txt": "0123456789\n" * 200_000})
    started = time.perf_counter()
    with pytest.raises(EditError, match=r"occurs 200000 times \(at lines 1, 2, 3, 4, 5, 6, 7, 8 and more\)"):
        apply_text(root, '{"file_path": "big.txt", "old_string": "0123456789", "new_string": "x"}')
    assert time.perf_counter() - started < 5


def test_udiff_creates_deletes_and_renames(tree):
    root = tree({"old.py": "gone\n", "keep.py": "a\nb\n"})
    diff = ("diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n"
            "+one\n+two\n"
            "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n"
            "-gone\n"
            "diff --git a/keep.py b/moved.py\nsimilarity index 50%\nrename from keep.py\nrename to moved.py\n"
            "--- a/keep.py\n+++ b/moved.py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    result = apply_text(root, diff)
    assert (root / "new.py").read_text() == "one\ntwo\n"
    assert not (root / "old.py").exists() and not (root / "keep.py").exists()
    assert (root / "moved.py").read_text() == "a\nc\n"
    assert sorted((c.action, c.path) for c in result.changes) == [
        ("create", "new.py"), ("delete", "old.py"), ("move", "moved.py")]


def test_udiff_no_newline_marker_is_honoured(tree):
    root = tree({"a.txt": "a\nb\n"})
    apply_text(root, "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n")
    assert (root / "a.txt").read_bytes() == b"a\nc"


def test_udiff_hunks_apply_in_any_order(tree):
    lines = [f"line {i}\n" for i in range(1, 41)]
    root = tree({"n.txt": "".join(lines)})
    diff = ("--- a/n.txt\n+++ b/n.txt\n"
            "@@ -30,3 +30,3 @@\n line 30\n-line 31\n+LINE 31\n line 32\n"
            "@@ -5,3 +5,3 @@\n line 5\n-line 6\n+LINE 6\n line 7\n")
    apply_text(root, diff)
    text = (root / "n.txt").read_text()
    assert "LINE 6\n" in text and "LINE 31\n" in text and text.count("\n") == 40


def test_udiff_line_numbers_pick_among_equal_candidates(tree):
    block = "if x:\n    y()\n"
    root = tree({"r.py": block + "a\n" * 20 + block + "b\n" * 20})
    apply_text(root, "--- a/r.py\n+++ b/r.py\n@@ -23,2 +23,2 @@\n if x:\n-    y()\n+    z()\n")
    assert (root / "r.py").read_text() == block + "a\n" * 20 + "if x:\n    z()\n" + "b\n" * 20


def test_begin_patch_adds_deletes_moves_and_uses_anchors(tree):
    root = tree({"a.py": "class A:\n    def f(self):\n        return 1\n\nclass B:\n    def f(self):\n"
                         "        return 1\n", "b.py": "x\n"})
    patch = ("*** Begin Patch\n*** Add File: c.py\n+print(1)\n*** Delete File: b.py\n"
             "*** Update File: a.py\n*** Move to: d.py\n@@ class B:\n     def f(self):\n-        return 1\n"
             "+        return 2\n*** End Patch\n")
    apply_text(root, patch)
    assert (root / "c.py").read_text() == "print(1)\n"
    assert not (root / "b.py").exists() and not (root / "a.py").exists()
    assert (root / "d.py").read_text().endswith("class B:\n    def f(self):\n        return 2\n")
    assert (root / "d.py").read_text().startswith("class A:\n    def f(self):\n        return 1\n")


def test_begin_patch_end_of_file_anchors_at_the_end(tree):
    root = tree({"e.py": "x = 1\ny = 2\nx = 1\n"})
    apply_text(root, "*** Begin Patch\n*** Update File: e.py\n@@\n-x = 1\n+x = 3\n*** End of File\n*** End Patch\n")
    assert (root / "e.py").read_text() == "x = 1\ny = 2\nx = 3\n"


def test_search_block_reuses_previous_path(tree):
    root = tree({"a.py": "one\ntwo\n"})
    text = ("a.py\n```\n<<<<<<< SEARCH\none\n=======\n1\n>>>>>>> REPLACE\n\n<<<<<<< SEARCH\ntwo\n=======\n2\n"
            ">>>>>>> REPLACE\n```\n")
    apply_text(root, text)
    assert (root / "a.py").read_text() == "1\n2\n"


RST = "Title\n=======\n\nSome text.\n"
DIVIDER_CASES = [
    # the file's own ======= line is in SEARCH: the divider is the one after the text the file holds
    ("Title\n=======\n\nSome text.\n=======\nNew Title\n=========\n\nSome text.\n",
     "New Title\n=========\n\nSome text.\n"),
    # a ======= line only in REPLACE (a heading added): the first divider, as always
    ("Some text.\n=======\nSome text.\n\nMore\n=======\n", "Title\n=======\n\nSome text.\n\nMore\n=======\n"),
    # SEARCH ends with the file's ======= line
    ("Title\n=======\n=======\nHeading\n=======\n", "Heading\n=======\n\nSome text.\n"),
]


@pytest.mark.parametrize(("block", "expected"), DIVIDER_CASES)
def test_search_block_divider_is_told_from_the_files_own_equals_lines(tree, block, expected):
    root = tree({"doc.rst": RST})
    apply_text(root, f"doc.rst\n```\n<<<<<<< SEARCH\n{block}>>>>>>> REPLACE\n```\n")
    assert (root / "doc.rst").read_text() == expected


def test_empty_search_creates_a_new_file(tree):
    root = tree({})
    apply_text(root, "pkg/new.py\n```python\n<<<<<<< SEARCH\n=======\nvalue = 1\n>>>>>>> REPLACE\n```\n")
    assert (root / "pkg" / "new.py").read_text() == "value = 1\n"


def test_parse_text_reports_the_detected_format():
    name, edits = parse_text("*** Begin Patch\n*** Delete File: x\n*** End Patch\n")
    assert name == "patch" and edits[0].is_delete


def test_old_string_may_be_part_of_a_line(tree):
    root = tree({"a.py": "def area(w, h):\r\n    return w * h\r\n"})
    result = apply_text(root, '{"file_path": "a.py", "old_string": "w * h", "new_string": "w * h / 2"}')
    assert (root / "a.py").read_bytes() == b"def area(w, h):\r\n    return w * h / 2\r\n"
    assert result.changes[0].tiers == ["exact"]


def test_old_string_spanning_lines_keeps_crlf(tree):
    root = tree({"a.py": "a = 1\r\nb = 2\r\nc = 3\r\n"})
    apply_text(root, '{"file_path": "a.py", "old_string": "1\\nb = 2", "new_string": "1\\nb = 20\\nbb = 3"}')
    assert (root / "a.py").read_bytes() == b"a = 1\r\nb = 20\r\nbb = 3\r\nc = 3\r\n"


def test_old_string_falls_back_to_the_tiers(tree):
    root = tree({"a.py": "    if x:\n        go()   \n"})
    result = apply_text(root, '{"file_path": "a.py", "old_string": "if x:\\n    go()\\n", '
                              '"new_string": "if x:\\n    stop()\\n"}')
    assert (root / "a.py").read_text() == "    if x:\n        stop()\n"
    assert result.changes[0].tiers == ["indentation"]


def test_context_line_without_its_leading_space_stays_in_the_hunk(tree):
    root = tree({"a.py": "def f():\n    return 1\ndef g():\n    return 3\n"})
    apply_text(root, "--- a.py\n+++ a.py\n@@ ... @@\n def f():\n-    return 1\n+    return 2\ndef g():\n"
                     "-    return 3\n+    return 4\n\nThat fixes both.\n")
    assert (root / "a.py").read_text() == "def f():\n    return 2\ndef g():\n    return 4\n"


DUPLICATED = "".join(f"line {i}\n" for i in range(1, 11)) + "if x:\n    y()\n" + "".join(
    f"mid {i}\n" for i in range(1, 31)) + "unique\nmore\n" + "".join(f"tail {i}\n" for i in range(1, 11)) + (
    "if x:\n    y()\n" + "".join(f"end {i}\n" for i in range(1, 31)))


def test_unnumbered_hunks_use_their_order_among_equal_candidates(tree):
    root = tree({"d.py": DUPLICATED})
    apply_text(root, "--- a/d.py\n+++ b/d.py\n@@ ... @@\n unique\n-more\n+MORE\n@@ ... @@\n if x:\n-    y()\n+    z()\n")
    text = (root / "d.py").read_text()
    assert text.count("    y()\n") == 1 and text.index("    y()") < text.index("MORE") < text.index("    z()")


def test_wrong_line_numbers_are_corrected_by_the_hunks_that_match_once(tree):
    """Every header is 30 lines too low; the unique first hunk shows it, so the second picks the
    later `if x:` although its raw number points nearer the earlier one."""
    root = tree({"d.py": DUPLICATED})
    start_unique, start_dup = DUPLICATED.split("\n").index("unique") + 1, 55
    diff = (f"--- a/d.py\n+++ b/d.py\n@@ -{start_unique - 30},2 +{start_unique - 30},2 @@\n unique\n-more\n+MORE\n"
            f"@@ -{start_dup - 30},2 +{start_dup - 30},2 @@\n if x:\n-    y()\n+    z()\n")
    apply_text(root, diff)
    text = (root / "d.py").read_text()
    assert text.index("    y()") < text.index("MORE") < text.index("    z()")
