"""Inputs that once replaced, deleted or moved a file the edit did not mean to touch, each now applied as
meant or refused with nothing written (found by a probe of `codewright apply`; one behaviour per case)."""

from __future__ import annotations

import os
import stat
import time

import pytest

from codewright.edit import EditError, apply_text
from codewright.edit.match import _non_overlapping

BASE = "def f():\n    return 1\n"


@pytest.mark.parametrize("head, tail", [
    ("<<<<<<<  SEARCH", ">>>>>>>  REPLACE"),
    ("<<<<<<< search", ">>>>>>> replace"),
    ("<<<< SEARCH", ">>>> REPLACE"),
    ("<<<<<<<<<< SEARCH", ">>>>>>>>>> REPLACE"),
    ("<<<<<<<\tSEARCH", ">>>>>>>\tREPLACE"),
    ("<<<<<<< ORIGINAL", ">>>>>>> UPDATED"),
])
def test_drifted_search_replace_markers_are_read_as_markers(tree, head, tail):
    root = tree({"m.py": BASE})
    result = apply_text(root, f"m.py\n```python\n{head}\n    return 1\n=======\n    return 2\n{tail}\n```\n")
    assert result.format == "search-replace"
    assert (root / "m.py").read_text() == "def f():\n    return 2\n"


CUT_OFF_PATCH = r"^The patch ends without its `\*\*\* End Patch` line \(was it cut off\?\)"
TEN = "".join(f"{c}\n" for c in "abcdefghij")
DIFF = "--- a/x.txt\n+++ b/x.txt\n@@ -2,7 +2,8 @@\n b\n c\n d\n-e\n+E\n+extra line\n f\n g\n h\n"
CUT_OFF_DIFF = r"^x.txt: the diff stops inside its hunk 1, `@@ -2,7 \+2,8 @@` \({} of its 7 old lines, {} of its 8 new\) " \
               r"\(was it cut off\?\); send it whole"
REFUSALS = [
    ("unknown markers are not written as the whole file", {"m.py": BASE},
     "m.py\n```python\n<<<<<<< BEFORE\n    return 1\n=======\n    return 2\n>>>>>>> AFTER\n```\n",
     r"m.py: the block holds `<<<<<<<` and `>>>>>>>` lines"),
    ("a fenced diff that is no hunk", {"m.py": BASE}, "m.py\n```diff\nthis is prose, not a hunk\n```\n",
     r"m.py: the diff block has no `---`/`\+\+\+`/`@@` lines"),
    ("a diff creating a file that exists", {"keep.txt": "important\ndata\n"},
     "--- /dev/null\n+++ b/keep.txt\n@@ -0,0 +1 @@\n+new\n", "keep.txt: already exists, and the edit creates it anew"),
    ("Add File over a file that exists", {"keep.txt": "important\ndata\n"},
     "*** Begin Patch\n*** Add File: keep.txt\n+new\n*** End Patch\n",
     "keep.txt: already exists, and the edit creates it anew"),
    ("a deletion diff misquoting the file", {"keep.txt": "important\ndata\n"},
     "--- a/keep.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-something else entirely\n",
     "the lines it shows removed are not the file's content"),
    ("a binary patch, with the rest", {"t.txt": "x\n"},
     ("diff --git a/b.bin b/b.bin\nindex 1..2 100644\nGIT binary patch\nliteral 1\nIcmZ?d00001\n\n"
      "diff --git a/t.txt b/t.txt\n--- a/t.txt\n+++ b/t.txt\n@@ -1 +1 @@\n-x\n+y\n"),
     r"binary file \(b.bin\); binary patches are not applied"),
    ("SEARCH/REPLACE beside a whole file (dropped unseen before)", {"a.py": "x = 1\n"},
     ("a.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n\n"
      "new/c.py\n```python\nprint('c')\n```\n"),
     r"mix SEARCH/REPLACE blocks with a whole file \(new/c.py in a fenced block\)"),
    ("a diff making a symbolic link (a file of mode 000 before)", {"t.txt": "x\n"},
     "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+t.txt\n",
     r"l: the diff makes a symbolic link \(mode 120000\)"),
    ("a patch cut off in an Update File (its last chunk was applied in part)", {"x.txt": "a\nb\nc\n"},
     "*** Begin Patch\n*** Update File: x.txt\n@@\n a\n-b\n+B\n", CUT_OFF_PATCH),
    ("a patch cut off in an Add File (written as a file of its first lines)", {"x.txt": "a\nb\nc\n"},
     "*** Begin Patch\n*** Add File: new.txt\n+line 1\n+line", CUT_OFF_PATCH),
    ("a diff cut off after a removed line (the line was removed, its replacement not added)", {"x.txt": TEN},
     DIFF[:DIFF.index("+E")].rstrip("\n"), CUT_OFF_DIFF.format(4, 3)),
    ("a diff cut off in an added line (its first characters were written as the line)", {"x.txt": TEN},
     DIFF[:DIFF.index("+E") + 2], CUT_OFF_DIFF.format(4, 4)),
    ("a diff cut off right after a hunk header", {"x.txt": TEN}, DIFF[:DIFF.index("\n b\n") + 1],
     CUT_OFF_DIFF.format(0, 0)),
    ("a diff cut off right after `+++ ` (the file was deleted)", {"x.txt": TEN}, "--- a/x.txt\n+++ ",
     r"^The diff has a `\+\+\+` line that names no file \(was it cut off\?\)"),
    ("a diff cut off at the end of a removed line (its replacement not added)", {"x.txt": TEN},
     DIFF[:DIFF.index("+E")], CUT_OFF_DIFF.format(4, 3)),
    ("a diff cut off at the end of an added line (only some of them added)", {"x.txt": TEN},
     DIFF[:DIFF.index("+extra")], CUT_OFF_DIFF.format(4, 4)),
    ("a new file's diff cut off at the end of a line (written as a file of its first lines)", {"x.txt": TEN},
     "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,3 @@\n+line 1\n+line 2\n",
     r"^new.txt: the diff stops inside its hunk 1, `@@ -0,0 \+1,3 @@` \(0 of its 0 old lines, 2 of its 3 new\) "),
    ("a diff cut off in its second file (the first one was written)", {"x.txt": TEN, "y.txt": "y\n"},
     "--- a/y.txt\n+++ b/y.txt\n@@ -1 +1 @@\n-y\n+Y\n" + DIFF[:DIFF.index("+E")].rstrip("\n"),
     CUT_OFF_DIFF.format(4, 3)),
]


@pytest.mark.parametrize("label, files, text, pattern", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_and_nothing_written(tree, snapshot, label, files, text, pattern):
    root = tree(files)
    before = snapshot(root)
    with pytest.raises(EditError, match=pattern):
        apply_text(root, text)
    assert snapshot(root) == before


def test_a_fenced_diff_without_headers_is_a_hunk_of_the_file_above_it(tree):
    root = tree({"m.py": BASE})
    apply_text(root, "m.py\n```diff\n def f():\n-    return 1\n+    return 2\n```\n")
    assert (root / "m.py").read_text() == "def f():\n    return 2\n"


def test_creating_a_file_that_already_holds_that_content_changes_nothing(tree):
    root = tree({"keep.txt": "new\n"})
    assert apply_text(root, "--- /dev/null\n+++ b/keep.txt\n@@ -0,0 +1 @@\n+new\n").changes == []


def test_a_deletion_diff_must_show_the_files_content(tree, snapshot):
    root = tree({"keep.txt": "important\ndata\n"})
    before = snapshot(root)
    with pytest.raises(EditError, match="the lines it shows removed are not the file's content"):
        apply_text(root, "--- a/keep.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-something else entirely\n")
    assert snapshot(root) == before
    apply_text(root, "--- a/keep.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-important\n-data\n")
    assert not (root / "keep.txt").exists()


@pytest.mark.parametrize("label, text, pattern", [
    ("a delete", "*** Begin Patch\n*** Delete File: link.txt\n*** End Patch\n", "deleting through it would delete"),
    ("a *** Move to:", ("*** Begin Patch\n*** Update File: link.txt\n*** Move to: moved.txt\n@@\n-x\n+y\n"
                        "*** End Patch\n"), "moving through it would move"),
    ("git's rename lines", ("diff --git a/link.txt b/moved.txt\nsimilarity index 100%\nrename from link.txt\n"
                            "rename to moved.txt\n"), "moving through it would move"),
])
def test_deleting_or_moving_through_a_symlink_is_refused(tree, snapshot, label, text, pattern):
    """The file the link points to was deleted or moved, and the link left dangling."""
    root = tree({"real.txt": "x\n"})
    (root / "link.txt").symlink_to("real.txt")
    before = snapshot(root)
    with pytest.raises(EditError, match=f"link.txt: is a symbolic link \\(to real.txt\\); {pattern}"):
        apply_text(root, text)
    assert snapshot(root) == before and (root / "link.txt").is_symlink() and not (root / "moved.txt").exists()


@pytest.mark.parametrize("path", [".git/config", ".codewright/index.db", "sub/.git/hooks/pre-commit"])
def test_git_and_codewright_data_is_never_written(tree, path):
    root = tree({"a.txt": "a\n"})
    with pytest.raises(EditError, match="which edits never touch"):
        apply_text(root, f"*** Begin Patch\n*** Add File: {path}\n+x\n*** End Patch\n")
    assert not (root / path).exists()


READ_ONLY_EDITS = [
    ("a search/replace", "ro.py\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"),
    ("a whole file", "ro.py\n```python\nx = 2\n```\n"),
    ("a deletion", "*** Begin Patch\n*** Delete File: ro.py\n*** End Patch\n"),
]


@pytest.mark.parametrize(("label", "text"), READ_ONLY_EDITS)
def test_a_read_only_file_is_not_changed(tree, snapshot, label, text):
    root = tree({"ro.py": "x = 1\n"})
    (root / "ro.py").chmod(0o444)
    before = snapshot(root)
    with pytest.raises(EditError, match=r"ro.py: is read-only \(mode 444\)"):
        apply_text(root, text)
    assert snapshot(root) == before


def test_a_read_only_file_may_be_moved_or_made_writable(tree):
    root = tree({"ro.py": "x = 1\n"})
    (root / "ro.py").chmod(0o444)
    apply_text(root, "diff --git a/ro.py b/moved.py\nsimilarity index 100%\nrename from ro.py\nrename to moved.py\n")
    apply_text(root, "diff --git a/moved.py b/moved.py\nold mode 100444\nnew mode 100644\n--- a/moved.py\n"
                     "+++ b/moved.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    assert (root / "moved.py").read_text() == "x = 2\n"


@pytest.mark.parametrize("header", ["@@ -1,99999999999999999999 +1,1 @@", f"@@ -{'9' * 5000} +1 @@"])
def test_hunk_numbers_too_large_to_be_lines_leave_the_hunk_unnumbered(tree, header):
    root = tree({"m.txt": "a\nb\nc\n"})
    apply_text(root, f"--- a/m.txt\n+++ b/m.txt\n{header}\n a\n-b\n+B\n c\n")
    assert (root / "m.txt").read_text() == "a\nB\nc\n"


def test_a_symlink_loop_is_a_readable_refusal(tree):
    root = tree({})
    (root / "l1.txt").symlink_to("l2.txt")
    (root / "l2.txt").symlink_to("l1.txt")
    with pytest.raises(EditError, match="l1.txt: cannot be resolved"):
        apply_text(root, "l1.txt\n```\nx\n```\n")


def test_a_path_ending_in_a_slash_is_no_file(tree):
    root = tree({})
    with pytest.raises(EditError, match="is not a valid file path"):
        apply_text(root, "*** Begin Patch\n*** Add File: newdir/\n+x\n*** End Patch\n")
    assert not (root / "newdir").exists()


@pytest.mark.parametrize("name", ["ü.txt", "a b.txt", 'q"uote.txt'])
def test_git_quoted_paths_are_unquoted(tree, name):
    quoted = '"' + "".join(f"\\{b:03o}" if b > 127 else ('\\"' if b == 34 else chr(b)) for b in name.encode()) + '"'
    root = tree({name: "old\n"})
    apply_text(root, f"diff --git {quoted[0]}a/{quoted[1:]} {quoted[0]}b/{quoted[1:]}\n--- {quoted[0]}a/{quoted[1:]}\n"
                     f"+++ {quoted[0]}b/{quoted[1:]}\n@@ -1 +1 @@\n-old\n+new\n")
    assert sorted(p.name for p in root.iterdir() if p.name != ".git") == [name]
    assert (root / name).read_text() == "new\n"


@pytest.mark.parametrize("old, new", [("m.py", "b/m.py"), ("m.py\t2024-01-01", "m.py.new\t2024-01-02"),
                                      ("m.py.orig", "m.py")])
def test_a_plain_diffs_two_names_edit_the_file_that_exists(tree, old, new):
    root = tree({"m.py": "a\nb\n"})
    result = apply_text(root, f"--- {old}\n+++ {new}\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    assert [(c.action, c.path) for c in result.changes] == [("modify", "m.py")]
    assert sorted(p.name for p in root.iterdir() if p.name != ".git") == ["m.py"]


def test_a_rename_only_diff_is_recognised_and_keeps_the_mode(tree):
    root = tree({"run.sh": "#!/bin/sh\necho a\n"})
    (root / "run.sh").chmod(0o755)
    result = apply_text(root, "diff --git a/run.sh b/moved.sh\nsimilarity index 100%\nrename from run.sh\n"
                              "rename to moved.sh\n")
    assert result.format == "udiff"
    assert stat.S_IMODE(os.stat(root / "moved.sh").st_mode) == 0o755 and not (root / "run.sh").exists()
    assert [(c.action, c.diff) for c in result.changes] == [("move", "")]  # the content did not change


def test_mode_lines_are_applied(tree):
    root = tree({})
    apply_text(root, "diff --git a/new.sh b/new.sh\nnew file mode 100755\n--- /dev/null\n+++ b/new.sh\n"
                     "@@ -0,0 +1 @@\n+echo\n")
    assert stat.S_IMODE(os.stat(root / "new.sh").st_mode) == 0o755
    result = apply_text(root, "diff --git a/new.sh b/new.sh\nold mode 100755\nnew mode 100644\n")
    assert stat.S_IMODE(os.stat(root / "new.sh").st_mode) == 0o644
    assert result.changes[0].diff.startswith("old mode 755\nnew mode 644\n")


def test_a_diff_touching_a_bom_files_first_line(tree):
    root = tree({"b.txt": b"\xef\xbb\xbfone\ntwo\n"})
    apply_text(root, "--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +1,2 @@\n-\ufeffone\n+\ufeffuno\n two\n")
    assert (root / "b.txt").read_bytes() == b"\xef\xbb\xbfuno\ntwo\n"


@pytest.mark.parametrize("label, text, after", [
    ("a whole file", "b.txt\n```\n\ufeffuno\ntwo\n```\n", b"\xef\xbb\xbfuno\ntwo\n"),
    ("a SEARCH/REPLACE block", "b.txt\n<<<<<<< SEARCH\n\ufeffone\n=======\n\ufeffuno\n>>>>>>> REPLACE\n",
     b"\xef\xbb\xbfuno\ntwo\n"),
    ("a SEARCH without the mark's REPLACE", "b.txt\n<<<<<<< SEARCH\n\ufeffone\n=======\nuno\n>>>>>>> REPLACE\n",
     b"\xef\xbb\xbfuno\ntwo\n"),
    ("an old_string", '{"path": "b.txt", "old_string": "\ufeffone", "new_string": "\ufeffuno"}',
     b"\xef\xbb\xbfuno\ntwo\n"),
])
def test_a_bom_quoted_by_the_model_is_the_files_own(tree, label, text, after):
    """A whole file was written with its mark twice; a quoted first line was not found."""
    root = tree({"b.txt": b"\xef\xbb\xbfone\ntwo\n"})
    apply_text(root, text)
    assert (root / "b.txt").read_bytes() == after


@pytest.mark.parametrize("before, search, replace, after", [
    ("def f():\n\tx = 1\n\treturn x\n", "def f():\n    x = 1\n    return x\n",
     "def f():\n    x = 2\n    if x:\n        return x\n", "def f():\n\tx = 2\n\tif x:\n\t\treturn x\n"),
    ("class A:\n\tdef f(self):\n\t\treturn 1\n", "    def f(self):\n        return 1\n",
     "    def f(self):\n        return 2\n", "class A:\n\tdef f(self):\n\t\treturn 2\n"),
    ("def g():\n    y = 1\n    return y\n", "\ty = 1\n", "\ty = 2\n\tz = 3\n", "def g():\n    y = 2\n    z = 3\n    return y\n"),
])
def test_added_lines_take_the_files_indentation_character(tree, before, search, replace, after):
    root = tree({"m.py": before})
    apply_text(root, f"m.py\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n")
    assert (root / "m.py").read_text() == after


@pytest.mark.parametrize("before, text, after", [
    (b"a\r\nb", "f.txt\n<<<<<<< SEARCH\nb\n=======\nb\nc\n>>>>>>> REPLACE\n", b"a\r\nb\r\nc"),
    (None, '{"path": "f.txt", "content": "@echo off\\r\\necho hi\\r\\n"}', b"@echo off\r\necho hi\r\n"),
    (b"a\nb", '{"path": "f.txt", "content": "x\\ny\\n"}', b"x\ny\n"),
    (b"a\nb\n", '{"path": "f.txt", "content": "x\\ny"}', b"x\ny"),
    (b"a\nb", "f.txt\n```\nx\ny\n```\n", b"x\ny"),  # a fence cannot say: the file keeps its own
])
def test_line_endings_and_final_newlines(tree, before, text, after):
    root = tree({} if before is None else {"f.txt": before})
    apply_text(root, text)
    assert (root / "f.txt").read_bytes() == after


def test_choosing_among_many_disjoint_windows_is_not_quadratic():
    """A file of one repeated pair of lines has a fuzzy window at every line: 200,000 kept places were checked
    each against every one kept before."""
    started = time.perf_counter()
    kept = _non_overlapping([(1.0, k, k + 1) for k in range(200_000)])
    assert len(kept) == 200_000
    assert time.perf_counter() - started < 5


def test_a_shell_session_beside_search_replace_blocks_is_prose(tree):
    root = tree({"a.py": "x = 1\n"})
    apply_text(root, "a.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n\nThen run tests/test_a.py:\n"
                     "tests/test_a.py\n```bash\npytest tests/test_a.py\n```\n")
    assert (root / "a.py").read_text() == "x = 2\n"


@pytest.mark.parametrize("block, content", [
    ("```markdown\n# T\n\n```bash\nrun\n```\n\nmore\n```\n", "# T\n\n```bash\nrun\n```\n\nmore\n"),
    ("````markdown\n# U\n```\ncode\n```\nend\n````\n", "# U\n```\ncode\n```\nend\n"),
])
def test_a_whole_file_holding_fenced_blocks_is_written_whole(tree, block, content):
    """The first bare fence inside ended the file there, and the rest was dropped unseen."""
    root = tree({"README.md": "# old\n"})
    apply_text(root, "README.md\n" + block)
    assert (root / "README.md").read_text() == content


@pytest.mark.parametrize("line", ["### `app.py`", "**`app.py`**:", "File: app.py", "**File:** `app.py`"])
@pytest.mark.parametrize("block", ["```python\nx = 2\n```\n",
                                   "```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"],
                         ids=["whole", "search"])
def test_a_path_line_in_markdown_names_the_file(tree, line, block):
    """`### `app.py`` named the file "`app.py": a whole file was written under that name beside app.py."""
    root = tree({"app.py": "x = 1\n"})
    apply_text(root, f"{line}\n{block}")
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == ["app.py"]
    assert (root / "app.py").read_text() == "x = 2\n"


EDITED = TEN.replace("e\n", "E\nextra line\n")
NOT_CUT_OFF = [
    ("its counts met, its last line without a line end", DIFF.rstrip("\n"), EDITED),
    ("its counts short (miscounted), its last line ended", DIFF.replace(" h\n", ""), EDITED),
    ("ended in its trailing context, its changes whole", DIFF[:DIFF.index(" g\n")], EDITED),
    ("a context line left out, its last line an added one",
     "--- a/x.txt\n+++ b/x.txt\n@@ -5,6 +5,7 @@\n e\n f\n g\n h\n j\n+k\n", TEN + "k\n"),
]


@pytest.mark.parametrize("label, text, after", NOT_CUT_OFF, ids=[n[0] for n in NOT_CUT_OFF])
def test_a_diff_that_is_not_cut_off_is_applied(tree, label, text, after):
    """A hunk stops inside itself where it is short of its counts and its last line has no line end, or ends
    in a removed or added line short of a different number of old and new lines; one short of as many on both
    sides lacks context lines only, and its changes are whole."""
    root = tree({"x.txt": TEN})
    apply_text(root, text)
    assert (root / "x.txt").read_text() == after
