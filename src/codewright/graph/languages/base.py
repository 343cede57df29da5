"""Helpers every language extractor shares: positions, scopes, syntax errors, chunks.

Extractors work on the UTF-8 bytes tree-sitter parsed and report 1-based lines and
character columns. Everything here is linear in the file (bisect over sorted
boundaries, no per-node Python walks over the whole tree) because the indexer runs it
on every file of large repositories.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Generic, TypeVar

from tree_sitter import Node, Query, QueryCursor

from codewright.graph.facts import Chunk, Symbol

T = TypeVar("T")

MAX_ERRORS = 20  # syntax errors reported per file; the rest are counted
CHUNK_MAX_LINES = 80  # a class longer than this is split into a header and its members
REST_MAX_LINES = 120  # module-level leftovers are grouped into chunks of at most this many lines
CONTAINER_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "impl", "union", "namespace", "module"})
CHUNK_KINDS = CONTAINER_KINDS | {"function", "method"}


MAX_QUERY_DEPTH = 60000  # tree-sitter's query cursor degrades past a depth of 65535


def cursor(query: Query) -> QueryCursor:
    """A query cursor that starts no match deeper than MAX_QUERY_DEPTH: past a depth of
    65535 (a generated `a + a + ... + a` of that many terms) tree-sitter's cursor truncates
    and slows down by orders of magnitude; stopping short costs those few captures only."""
    qc = QueryCursor(query)
    qc.set_max_start_depth(MAX_QUERY_DEPTH)
    return qc


class Source:
    """The parsed bytes and their text, with byte-to-character column conversion."""

    def __init__(self, data: bytes, text: str):
        self.data = data
        self.text = text
        self.lines = text.split("\n")
        self.ascii = data.isascii()
        self._byte_lines: list[bytes] | None = None
        self._line_starts: list[int] | None = None

    def line_starts(self) -> list[int]:
        """Byte offset of each line's start (for bisect: line of offset b = bisect_right(starts, b))."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.data)]
        return self._line_starts

    def line_of(self, offset: int) -> int:
        """The 1-based line of a byte offset."""
        return bisect_right(self.line_starts(), offset)

    def col(self, row: int, byte_col: int) -> int:
        """The 1-based character column of a 0-based (row, byte column) point."""
        if self.ascii:
            return byte_col + 1
        if self._byte_lines is None:
            self._byte_lines = self.data.split(b"\n")
        line = self._byte_lines[row] if row < len(self._byte_lines) else b""
        if line.isascii():
            return byte_col + 1
        return len(line[:byte_col].decode("utf-8", "replace")) + 1

    def slice(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")


def module_symbol(src: Source, module_id: str, name: str, qualname: str, doc: str) -> Symbol:
    """The file's own symbol (`path::`), spanning every line of the file."""
    lines = src.lines
    last = len(lines) - 1 if len(lines) > 1 and not lines[-1] else len(lines)
    return Symbol(module_id, name, qualname, "module", 1, last, 1, max(1, len(lines[last - 1])), "", doc, None)


class ScopeMap(Generic[T]):
    """Maps a byte offset to the id of the innermost range containing it, by one bisect.

    Nested byte ranges are flattened once per file into boundaries where the innermost
    range changes. Ids are symbol ids for scopes (`outer` is the module's), or anything
    else kept per range (Python's sets of local names).
    """

    def __init__(self, outer: T, ranges: list[tuple[int, int, T]]):
        self.bounds = bounds = [0]
        self.ids = ids = [outer]
        stack: list[tuple[int, T]] = []
        for start, end, sid in sorted(ranges, key=lambda r: (r[0], -r[1])):
            while stack and stack[-1][0] <= start:
                bounds.append(stack.pop()[0])
                ids.append(stack[-1][1] if stack else outer)
            stack.append((end, sid))
            bounds.append(start)
            ids.append(sid)
        while stack:
            bounds.append(stack.pop()[0])
            ids.append(stack[-1][1] if stack else outer)

    def at(self, offset: int) -> T:
        return self.ids[bisect_right(self.bounds, offset) - 1]


def syntax_errors(root) -> list[str]:
    """'line N: syntax error' for ERROR nodes, 'line N: missing X' for MISSING ones.

    Descends only into subtrees that contain an error, so a clean file costs nothing.
    """
    if not root.has_error:
        return []
    found: list[str] = []
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            count += 1
            if len(found) < MAX_ERRORS:
                found.append(f"line {node.start_point[0] + 1}: missing {node.type!r}")
            continue
        if node.is_error:
            count += 1
            if len(found) < MAX_ERRORS:
                found.append(f"line {node.start_point[0] + 1}: syntax error")
            continue
        stack.extend(reversed([c for c in node.children if c.has_error]))
    if count > len(found):
        found.append(f"{count - len(found)} more syntax errors")
    return found


_NEWLINE = re.compile(rb"\n")
_RECEIVER_MAX = 2000
_DOTTED_MAX = 200
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}|<[^<>]*>")
_DOTTED = re.compile(r"[\w.:$]*")


def qualifier(text: str) -> str:
    """The receiver of a member access as written, compacted: call and index arguments elided.

    "os.path." → "os.path"; "self.get(\n  x,\n)." → "self.get()".
    """
    text = text.rstrip().rstrip(".:->?").rstrip()
    if _DOTTED.fullmatch(text):  # a longer chain names no module or class: each of its thousands of links kept
        return text if len(text) <= _DOTTED_MAX else ""  # all of it before it, and the index grew quadratically
    if len(text) > _RECEIVER_MAX:
        return ""  # a receiver spanning pages (a minified call chain): not worth its cost
    text = "".join(text.split())
    for _ in range(20):
        elided = _BRACKETS.sub(lambda m: m.group(0)[0] + m.group(0)[-1], text)
        if elided == text:
            break
        text = elided
    return text if len(text) <= 120 else text[:117] + "..."


def compact(text: str) -> str:
    """A signature on one line: whitespace runs collapsed, no space inside brackets."""
    if "\n" not in text and "  " not in text and "\t" not in text:
        return text.strip()  # the common one-line signature: nothing to compact
    text = " ".join(text.split())
    return text.replace("( ", "(").replace(" )", ")").replace("[ ", "[").replace(" ]", "]")


MAX_DECORATOR = 60  # characters of one decorator (annotation, attribute) in a signature


def shown_decorator(text: str) -> str:
    """A decorator as a signature shows it, `text` already on one line without comments: one over MAX_DECORATOR
    characters keeps its callee (`@pytest.mark.parametrize(...)`, Rust's `#[derive(...)]`), or is cut as a long
    value's signature is; what the definition is (a property, a test, a component) stays in sight."""
    if len(text) <= MAX_DECORATOR:
        return text
    close = "]" if text.startswith("#[") else ""
    paren = text.find("(")
    if 1 < paren <= MAX_DECORATOR - 5:
        return f"{text[:paren]}(...){close}"
    return text[: MAX_DECORATOR - 3] + "..."


def code_only(src: Source, node: Node, start: int, end: int, markers: tuple[str, ...] = ("#",)) -> str:
    """`src[start:end]` (within `node`) without the comments in it: a header's `# noqa`, a comment
    after each parameter or after the `(` of a value spread over lines.

    Only text holding a comment marker is walked (little does); the tree tells a comment
    from a marker inside a string."""
    text = src.slice(start, end)
    if not any(marker in text for marker in markers):
        return text
    pieces, pos = [], start
    for comment in _comments(node, end):
        if comment.start_byte >= pos:
            pieces.append(src.slice(pos, comment.start_byte))
            pos = comment.end_byte
    pieces.append(src.slice(pos, end))
    return "".join(pieces)


def _comments(node: Node, end: int) -> Iterator[Node]:
    """The comment nodes under `node` that start before `end`, in document order (`comment`,
    `line_comment`, `block_comment`: each grammar names its own)."""
    for child in node.children:
        if child.start_byte >= end:
            return
        if "comment" in child.type:
            yield child
        elif child.child_count:
            yield from _comments(child, end)


def unique_ids(symbols: list[Symbol]) -> list[Symbol]:
    """Keeps the first symbol of each id (a property setter or a conditional redefinition
    shares its id with the first definition; the store keys symbols by id)."""
    seen: set[str] = set()
    kept = []
    for sym in symbols:
        if sym.id not in seen:
            seen.add(sym.id)
            kept.append(sym)
    return kept


def code_chunks(src: Source, module_title: str, spans: list[tuple[int, int, Symbol]]) -> list[Chunk]:
    """Chunks for retrieval: one per outermost function ("function") or container ("class":
    classes, structs, traits, namespaces...), a container over
    CHUNK_MAX_LINES split into a header chunk (its lines outside its members) and its
    members, and the module-level rest (lines outside every chunk).

    spans: (first_line, last_line, symbol) of each symbol of a CHUNK_KINDS kind, 1-based,
    first_line including decorators. Nesting is by lines, so a Go method, whose parent is
    its receiver type, is still an outermost chunk.
    """
    lines = src.lines
    chunks: list[Chunk] = []
    roots: list[tuple[int, int]] = []
    bigs: list[tuple[int, int, Symbol]] = []
    root_end = 0
    for first, last, sym in sorted(spans, key=lambda s: (s[0], -s[1])):
        if first <= root_end:
            continue
        if sym.kind in CONTAINER_KINDS and last - first + 1 > CHUNK_MAX_LINES:
            bigs.append((first, last, sym))
            continue
        chunks.append(Chunk("function" if sym.kind in ("function", "method") else "class", first, last,
                            "\n".join(lines[first - 1:last]), sym.id, sym.qualname))
        roots.append((first, last))
        root_end = last
    for i, (first, last, sym) in enumerate(bigs):  # both lists are sorted by first line
        inner = roots[bisect_left(roots, (first, 0)):bisect_right(roots, (last, 1 << 62))]
        inner += [(a, b) for a, b, _ in bigs[i + 1:bisect_right(bigs, (last, 1 << 62), key=_span_key)]]
        chunks.extend(_rest_chunks(lines, first, last, inner, "class", sym.id, sym.qualname))
    covered = roots + [(a, b) for a, b, _ in bigs]
    chunks.extend(_rest_chunks(lines, 1, len(lines), covered, "module", None, module_title))
    chunks.sort(key=lambda c: (c.start_line, -c.end_line))
    return chunks


def _span_key(item: tuple) -> tuple[int, int]:
    return item[0], item[1]


def _rest_chunks(lines, first, last, covered, kind, symbol, title) -> list[Chunk]:
    """Lines first..last outside `covered`, blank edges dropped, grouped up to REST_MAX_LINES."""
    pieces: list[tuple[int, int]] = []
    pos = first
    for a, b in sorted(covered):
        if a > pos:
            pieces.append((pos, a - 1))
        pos = max(pos, b + 1)
    if pos <= last:
        pieces.append((pos, last))
    chunks: list[Chunk] = []
    group: list[tuple[int, int]] = []
    size = 0
    for a, b in pieces:
        while a <= b and not lines[a - 1].strip():
            a += 1
        while b >= a and not lines[b - 1].strip():
            b -= 1
        for part in range(a, b + 1, REST_MAX_LINES):  # a long run (a generated table) in parts
            part_end = min(b, part + REST_MAX_LINES - 1)
            if group and size + (part_end - part + 1) > REST_MAX_LINES:
                chunks.append(_group_chunk(lines, group, kind, symbol, title))
                group, size = [], 0
            group.append((part, part_end))
            size += part_end - part + 1
    if group:
        chunks.append(_group_chunk(lines, group, kind, symbol, title))
    return chunks


def _group_chunk(lines, group, kind, symbol, title) -> Chunk:
    text = "\n".join("\n".join(lines[a - 1:b]) for a, b in group)
    return Chunk(kind, group[0][0], group[-1][1], text, symbol, title)
