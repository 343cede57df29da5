"""Failure messages: what the model is told, and that nothing was written."""

from __future__ import annotations

import os
import re
import stat

import pytest

from codewright.edit import Edit, EditError, apply_edits, apply_text

SOURCE = "".join(f"value_{i} = compute({i})\n" for i in range(1, 30))

CASES = [
    ("not found, with the closest lines",
     [Edit("m.py", "value_7 = compute(77)\nvalue_8 = compute(88)\n", "x\n")],
     [r"edit 1: the lines to replace were not found", r"Did you mean:", r"lines 7-8 \(\d+% similar\)",
      r"     7\| value_7 = compute\(7\)", "No file was changed"]),
    ("applied already, with where",
     [Edit("m.py", "value_7 = compute(77)\nvalue_8 = compute(88)\n", "value_7 = compute(7)\nvalue_8 = compute(8)\n")],
     [r"m.py: edit 1 looks applied already: its lines to replace are not in the file, and lines 7-8 hold",
      r"hold its new lines. No file was changed."]),
    ("new lines held twice: not said to be applied",
     [Edit("d.py", "gone\n", "same\n")], [r"edit 1: the lines to replace were not found"]),
    ("ambiguous, with every place",
     [Edit("d.py", "same\n", "other\n")],
     [r"occur 2 times \(exact match at lines 1-1, 3-3\)", "Include more surrounding lines"]),
    ("missing file", [Edit("nope.py", "a\n", "b\n")], [r"nope.py: edit 1 changes a file that does not exist"]),
    ("outside the root", [Edit("../escape.py", None, "x\n")], [r"is outside the repository"]),
    ("absolute path outside", [Edit("/etc/passwd", "root", "toor")], [r"is outside the repository"]),
    ("binary file", [Edit("b.bin", "a", "b")], [r"b.bin: is a binary file"]),
    ("a binary file is not moved onto", [Edit("m.py", "value_1 = compute(1)\n", "v1\n", move_to="b.bin")],
     [r"m.py: cannot be moved to b.bin, which already exists"]),
    ("a UTF-16 mark on bytes that are not UTF-16", [Edit("u.txt", "a", "b")],
     [r"u.txt: starts with a utf-16-le byte-order mark but is not utf-16-le text"]),
    ("a directory", [Edit("sub", "a", "b")], [r"sub: is a directory"]),
    ("second edit fails", [Edit("m.py", "value_1 = compute(1)\n", "v1\n"), Edit("m.py", "zzz\n", "y\n")],
     [r"m.py: edit 2: the lines to replace were not found"]),
    ("latin-1 cannot store the new text", [Edit("l.txt", "caf\xe9\n", "caf\u2192\n")],
     [r"cannot store"]),
    ("overlapping hunks", [Edit("m.py", "value_3 = compute(3)\nvalue_4 = compute(4)\n", "a\n", group=1),
                           Edit("m.py", "value_4 = compute(4)\nvalue_5 = compute(5)\n", "b\n", group=1)],
     [r"edits 1 and 2 overlap"]),
    ("nothing to apply", [], [r"No edits found"]),
]


@pytest.mark.parametrize(("label", "edits", "patterns"), CASES, ids=[c[0] for c in CASES])
def test_failure_message_and_nothing_written(tree, snapshot, label, edits, patterns):
    root = tree({"m.py": SOURCE, "d.py": "same\nx\nsame\n", "b.bin": b"a\x00b", "sub/keep.txt": "k\n",
                 "l.txt": "caf\xe9\n".encode("latin-1"), "u.txt": b"\xff\xfe\x00"})
    before = snapshot(root)
    with pytest.raises(EditError) as caught:
        apply_edits(root, edits)
    for pattern in patterns:
        assert re.search(pattern, str(caught.value)), str(caught.value)
    assert snapshot(root) == before


@pytest.mark.parametrize("edit", [Edit("pipe", "a", "b"), Edit("pipe", None, "whole\n"), Edit.delete("pipe")],
                         ids=["replace", "write whole", "delete"])
def test_a_named_pipe_is_refused_without_blocking(tree, snapshot, edit):
    """Reading a FIFO blocks until something writes to it: the edit must not wait, nor replace it."""
    root = tree({"m.py": SOURCE})
    os.mkfifo(root / "pipe")
    with pytest.raises(EditError, match="pipe: is not a regular file"):
        apply_edits(root, [edit])
    assert stat.S_ISFIFO(os.lstat(root / "pipe").st_mode)


@pytest.mark.parametrize(("text", "pattern"), [
    ("just some prose", "Could not recognise the edits"),
    ("a.py\n<<<<<<< SEARCH\nx\n", "missing its `=======` line"),
    ("@@ -1 +1 @@\n-a\n+b\n", "before any `--- a/FILE`"),
    ("*** Begin Patch\n*** Frobnicate: x\n*** End Patch\n", "Unexpected line in the patch"),
    ('{"file_path": "a.py", "old_string": "", "new_string": "x"}', "old_string is empty"),
])
def test_unparseable_input_is_explained(tree, text, pattern):
    root = tree({"a.py": "x\n"})
    with pytest.raises(EditError, match=pattern):
        apply_text(root, text)


def test_unknown_format_name_is_refused(tree):
    with pytest.raises(EditError, match="Unknown edit format 'xml'"):
        apply_text(tree({}), "x", format="xml")


def test_non_uniform_indentation_is_explained(tree):
    root = tree({"i.py": "def f():\n    a = 1\n    b = 2\n"})
    with pytest.raises(EditError, match="differ only in whitespace") as caught:
        apply_edits(root, [Edit("i.py", "def f():\n  a = 1\n    b = 2\n", "def f():\n  a = 3\n    b = 2\n")])
    assert "lines 1-3 (100% similar)" in str(caught.value)


def test_a_closest_line_of_megabytes_is_clipped(tree):
    """A minified file's line was shown whole: a message of megabytes handed to the model."""
    line = "x = [" + ", ".join(map(str, range(100_000))) + "]"
    root = tree({"min.py": "import os\n" + line + "\n"})
    with pytest.raises(EditError) as caught:
        apply_edits(root, [Edit("min.py", line.replace("99999", "99998") + "\n", "x = []\n")])
    shown = str(caught.value).split("\n")
    assert shown[3] == f"     2| {line[:2000]} [... {len(line) - 2000} chars]"
    assert len(str(caught.value)) < 2600


def test_lines_that_differ_are_never_said_to_be_100_percent_similar(tree):
    """The score was rounded: one character in 300 changed was "100% similar", which says the same text."""
    line = "x = '" + "a" * 300 + "'"
    root = tree({"m.py": line + "\n"})
    with pytest.raises(EditError, match=r"lines 1-1 \(99% similar\):"):
        apply_edits(root, [Edit("m.py", line.replace("a'", "b'") + "\n", "x = ''\n")])


def test_a_binary_file_can_be_deleted(tree):
    """Deleting is the one edit a file that is not text can take (an image, a build product)."""
    root = tree({"b.bin": b"a\x00b", "m.py": SOURCE})
    result = apply_edits(root, [Edit.delete("b.bin")])
    assert [(c.path, c.action, c.diff) for c in result.changes] == [("b.bin", "delete", "Binary file b.bin deleted\n")]
    assert not (root / "b.bin").exists()
