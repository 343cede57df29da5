"""Extraction: what one file defines, imports and references, as `FileFacts`.

`extract(path, source)` is a pure function of the path and the bytes, so the store can
run it in worker processes. It never raises on bad input: binary content yields empty
facts with a note, undecodable text is decoded as its PEP 263 cookie or latin-1 says
(noted in `errors`), and syntax errors are recorded as "line N: syntax error" while
everything that parsed is still indexed.

Conventions (see facts.py for the fields):
- ids are `path::Qual.name`; the file's module symbol is `path::`; ids are unique per
  file (a later definition of the same name, such as a property setter, keeps only
  its chunk);
- Reference.scope is the id of the innermost enclosing symbol, the module symbol
  `path::` at top level; Import.scope is None at module level;
- columns are 1-based characters, end_col inclusive; spans are the definition's own
  (decorators excluded), chunks include decorators and doc comments above;
- chunks: one per outermost function ("function") or container ("class"), a container
  over 80 lines split into a header chunk (its lines outside its members, kind
  "class") and its members, and the module rest ("module": the lines outside every
  chunk, grouped up to 120 lines; start/end are the first and last of them);
- a Reference's qualifier is its receiver as written, call and index arguments elided
  (`os.path`, `self.get()`, `f().g[]`); kind is call | attribute | name | annotation |
  decorator | base | type;
- Imports: module as written (`.models`, `./util`, `java.util`, `std::collections`,
  `stdio.h`) and the names taken from it; an aliased name gets its own Import;
  `level` is Python's dots, and 1 for a C/C++ "quoted" include;
- documentation files (README*, *.md, *.rst, docs/**/*.txt) get language None and
  "doc" chunks split by heading;
- a `.h` file is C unless it reads as C++ (class, namespace, template, virtual, `::`, access
  labels, `enum class`, `= default;`, `= delete;`): then FileFacts.language is "cpp" although
  `language_for` says "c".

Per-language details are in the modules of `codewright.graph.languages`.
"""

from __future__ import annotations

import codecs
import posixpath
import re

from codewright.graph.facts import FileFacts
from codewright.graph.languages import EXTENSIONS, module_for, parser_for
from codewright.graph.languages.base import Source, syntax_errors
from codewright.graph.languages.docs import doc_chunks, is_doc

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_BINARY_SNIFF = 8192
_CPP_HINTS = re.compile(rb"^[ \t]*(?:class|namespace|template|virtual)\b|::|^[ \t]*(?:public|private|protected):"
                        rb"|\benum[ \t]+(?:class|struct)\b|=[ \t]*(?:default|delete)[ \t]*;", re.MULTILINE)


def language_for(path: str) -> str | None:
    """The language of a source file by its extension, or None (docs and unknown files)."""
    name = posixpath.basename(path)
    dot = name.rfind(".")
    return EXTENSIONS.get(name[dot:].lower()) if dot > 0 else None


def module_name(path: str) -> str:
    """A dotted module name from a path when the store gave none: `src/pkg/mod.py` → `pkg.mod`,
    `pkg/__init__.py` → `pkg` (a leading `src/` or `lib/` is a source root, not a package)."""
    stem = path[: path.rfind(".")] if "." in posixpath.basename(path) else path
    parts = [p for p in stem.split("/") if p and p != "."]
    if len(parts) > 1 and parts[0] in ("src", "lib"):
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def extract(path: str, source: bytes, module: str | None = None) -> FileFacts:
    """Symbols, imports, references and chunks of one file; never raises on bad input."""
    language = language_for(path)
    doc = is_doc(path)
    if language is None and not doc:
        return FileFacts(path, None)
    if b"\0" in source[:_BINARY_SNIFF] or (b"\0" in source and language is not None):
        return FileFacts(path, language, errors=["binary content (NUL bytes): not indexed"])
    text, data, notes = _decode(source, language)
    src = Source(data, text)
    if language is None:
        return FileFacts(path, None, chunks=doc_chunks(path, src), errors=notes)
    language = _parsed_as(path, language, data)
    if module is None:
        module = module_name(path)
    facts = module_for(language).extract(path, src, module, language)
    facts.errors = notes + facts.errors
    return facts


def parse_errors(path: str, source: bytes) -> list[str]:
    """What `extract` says of where `source` does not parse ('line N: syntax error', 'line N: missing X', 'N more
    syntax errors', a line that is not UTF-8), from a parse alone: the check after each write of the agent's ran
    the whole extraction (scopes, references), 2.3 s of a file of 1.2 MB whose parse takes 0.3 s."""
    language = language_for(path)
    if language is None or b"\0" in source:  # binary: no parse, and no line to name
        return []
    _, data, notes = _decode(source, language)
    return notes + syntax_errors(parser_for(_parsed_as(path, language, data)).parse(data).root_node)


def _parsed_as(path: str, language: str, data: bytes) -> str:
    """The grammar a file is parsed with: C++ for a .h file that is C++ (.h is shared by both, and a C parse of
    C++ is mostly errors)."""
    return "cpp" if language == "c" and path.endswith(".h") and _CPP_HINTS.search(data) else language


def _decode(source: bytes, language: str | None) -> tuple[str, bytes, list[str]]:
    """(text, UTF-8 bytes to parse, notes). The bytes differ from `source` only when it was
    not UTF-8 or began with a byte-order mark; positions are reported in lines and
    characters, which re-encoding preserves."""
    source = source.removeprefix(codecs.BOM_UTF8)
    try:
        return source.decode("utf-8"), source, []
    except UnicodeDecodeError as exc:
        bad = exc.start
    encoding = "latin-1"
    if language == "python":
        match = _COOKIE.search(b"\n".join(source.split(b"\n", 2)[:2]))
        if match:
            try:
                encoding = codecs.lookup(match.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        text = source.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "latin-1", source.decode("latin-1")
    line = source.count(b"\n", 0, bad) + 1
    return text, text.encode("utf-8"), [f"line {line}: not valid UTF-8; decoded as {encoding}"]
