"""Documentation files: split by heading into "doc" chunks, language None."""

from __future__ import annotations

from pathlib import Path

import pytest

from codewright.graph.extract import extract
from codewright.graph.languages.docs import SECTION_MAX_LINES, is_doc

FIXTURES = Path(__file__).parent / "fixtures" / "extract" / "docs"


def _chunks(path: str, data: bytes):
    facts = extract(path, data)
    assert facts.language is None and facts.symbols == [] and facts.errors == []
    assert all(c.kind == "doc" and c.symbol is None for c in facts.chunks)
    return [(c.title, c.start_line, c.end_line) for c in facts.chunks], facts.chunks


def test_markdown_sections_skip_fenced_code():
    got, chunks = _chunks("README.md", (FIXTURES / "README.md").read_bytes())
    assert got == [("Shapes", 1, 3), ("Install", 5, 10), ("Usage", 12, 15)]
    assert chunks[1].text.startswith("## Install\n\n```sh") and "# not a heading" in chunks[1].text


def test_rst_sections_with_overlines():
    got, chunks = _chunks("docs/guide.rst", (FIXTURES / "guide.rst").read_bytes())
    assert got == [("Guide", 1, 5), ("Areas", 7, 10), ("Squares", 12, 15)]
    assert chunks[2].text == "Squares\n-------\n\nFour sides."


def test_text_before_the_first_heading_is_titled_by_the_file():
    got, _ = _chunks("docs/intro.md", b"Preamble.\n\n# One\nBody.\n")
    assert got == [("intro.md", 1, 1), ("One", 3, 4)]


def test_long_section_is_split_and_keeps_its_title():
    body = "".join(f"line {i}\n" for i in range(SECTION_MAX_LINES + 10))
    got, _ = _chunks("README", ("# Big\n" + body).encode())
    assert got == [("Big", 1, SECTION_MAX_LINES), ("Big", SECTION_MAX_LINES + 1, SECTION_MAX_LINES + 11)]


def test_latin1_doc_is_decoded_with_a_note():
    facts = extract("README.md", "# Caf\u00e9\n".encode("latin-1"))
    assert facts.chunks[0].title == "Caf\u00e9"
    assert facts.errors == ["line 1: not valid UTF-8; decoded as latin-1"]


@pytest.mark.parametrize("path, expected", [
    ("README", True), ("readme.txt", True), ("sub/README.rst", True), ("docs/a/b.md", True),
    ("docs/topics/db.txt", True), ("CHANGES.rst", True), ("notes.txt", False), ("src/x.py", False),
    ("doc/readme_preview.png", False),
])
def test_is_doc(path, expected):
    assert is_doc(path) is expected
