"""A file name in a line of text output: quoted as bash quotes it where it holds a control character or a byte that
is not UTF-8 (which os gives as a lone surrogate, and which was shown as U+FFFD: a name no file has)."""

from __future__ import annotations

import os
import subprocess

import pytest

from codewright.quoting import NOT_UTF8, quoted

CASES = [
    ("a.py", "a.py"),  # nothing to quote: as it is
    ("dir/my file's.py", "dir/my file's.py"),  # a space, a quote, a backslash alone are no control characters
    ("back\\slash.py", "back\\slash.py"),
    ("caf\u00e9.py", "caf\u00e9.py"),
    ("a\nb.py", "$'a\\nb.py'"),
    ("tab\tbed.py", "$'tab\\tbed.py'"),
    ("cr\r.py", "$'cr\\r.py'"),
    ("x\x1b[31mred.py", "$'x\\x1b[31mred.py'"),
    ("bell\x07.py", "$'bell\\x07.py'"),
    ("del\x7f.py", "$'del\\x7f.py'"),
    ("csi\x9b.py", "$'csi\\xc2\\x9b.py'"),  # a C1 control as its UTF-8 bytes, which bash reads under any locale
    ("it's\n\\n.py", "$'it\\'s\\n\\\\n.py'"),  # once quoted, ' and \ are escaped too
    ("caf\udce9.py", "$'caf\\xe9.py'"),  # a byte that is not UTF-8 as that byte
    ("\udcff\udcfe/x.py", "$'\\xff\\xfe/x.py'"),
    ("caf\udce9\n.py", "$'caf\\xe9\\n.py'"),
]


@pytest.mark.parametrize(("name", "shown"), CASES, ids=[repr(name) for name, _ in CASES])
def test_a_name_is_shown_as_bash_quotes_it(name: str, shown: str) -> None:
    assert quoted(name) == shown


@pytest.mark.parametrize(("name", "shown"), [case for case in CASES if case[1].startswith("$'")],
                         ids=[repr(name) for name, shown in CASES if shown.startswith("$'")])
def test_bash_reads_the_quoted_name_back_as_the_name(name: str, shown: str) -> None:
    out = subprocess.run(["bash", "-c", f"printf %s {shown}"], capture_output=True, check=True)
    assert out.stdout == os.fsencode(name)


@pytest.mark.parametrize(("name", "shown"), [
    ("a\nb.py", "a\nb.py"),  # valid UTF-8: the file tools open it as the model writes it
    ("caf\udce9.py", "$'caf\\xe9.py'"),
    ("caf\udce9\n.py", "$'caf\\xe9\\n.py'"),  # once quoted, quoted alike
])
def test_the_tools_quote_only_a_name_that_is_not_utf8(name: str, shown: str) -> None:
    assert quoted(name, NOT_UTF8) == shown
