import os

import pytest

from codewright.utf8 import replaced


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"plain.py", "plain.py"),
        (b"caf\xc3\xa9.py", "café.py"),  # UTF-8 stays as it is
        (b"caf\xe9.py", "caf\ufffd.py"),  # one Latin-1 byte: one U+FFFD
        (b"\xff\xfe", "\ufffd\ufffd"),
    ],
)
def test_each_byte_that_is_not_utf8_shows_as_one_replacement_character(raw: bytes, shown: str) -> None:
    text = os.fsdecode(raw)  # as Python hands over a file name, argv or stdin
    assert replaced(text) == shown
    replaced(text).encode("utf-8")  # and it can be stored
