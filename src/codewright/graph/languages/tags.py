"""The query-driven extractor shared by every language but Python.

A language module builds a `Spec`: its grammar, two tree-sitter queries and a few
hooks. The engine runs the definitions query with `matches` (few, each needs its name
node) and the references query with `captures` (many), then assembles FileFacts.

Capture names in DEFS queries:
  @def.KIND     a definition node (KIND: function, method, class, struct, interface,
                enum, trait, type, namespace, module, macro, constant, variable,
                attribute; `prototype` is a function declared without a body, dropped
                when the file also defines it)
  @name         its name (may be qualified: `Square::area` nests under `Square`)
  @receiver     a Go method's receiver type, its parent in the id
  @scope        a container that is not a symbol (a Rust `impl`), @scope.name its type
  @import       an import statement, handed to Spec.imports
  @package      the package or namespace prefix of every qualname (Go, Java)
Capture names in REFS queries:
  @ref.KIND     an identifier used (KIND: call, attribute, type, base, decorator, name)
  @skip         an identifier that declares rather than uses
  @skip.range   a node inside which nothing is a reference (import statements)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

from tree_sitter import Language, Node, Parser, Query, QueryCursor

from codewright.graph.facts import FileFacts, Import, Reference, Symbol
from codewright.graph.languages.base import (
    CHUNK_KINDS,
    ScopeMap,
    Source,
    code_chunks,
    compact,
    qualifier,
    syntax_errors,
)

SEPARATORS = frozenset({".", "->", "::", "?."})
_REF_PRIORITY = {"skip": 9, "decorator": 7, "base": 6, "call": 5, "type": 4, "attribute": 3, "name": 1}
_SIGNATURE_MAX = 200
_position = attrgetter("line", "col")
METHOD_CONTAINERS = frozenset({"class", "interface", "struct", "enum", "trait", "union"})
_GENERIC_KINDS = {"variable": 0, "type": 1}  # a definition also matched by a specific pattern
_VALUE_KINDS = frozenset({"variable", "constant", "attribute"})


@dataclass
class Spec:
    """One language: its grammar, queries and hooks (see the module docstring)."""

    name: str
    language: Language
    defs_scm: str
    refs_scm: str
    imports: Callable[[Source, Node], list[Import]]
    separator: str = "."  # between qualname parts: "." or "::"
    wrappers: frozenset[str] = frozenset()  # nodes wrapping one definition (export, template)
    comments: frozenset[str] = frozenset({"comment"})
    attributes: frozenset[str] = frozenset()  # nodes before a definition that belong to it
    defs: Query = field(init=False)
    refs: Query = field(init=False)
    parser: Parser = field(init=False)

    def __post_init__(self) -> None:
        self.defs = Query(self.language, self.defs_scm)
        self.refs = Query(self.language, self.refs_scm)
        self.parser = Parser(self.language)


@dataclass
class _Def:
    node: Node
    kind: str
    name_node: Node | None
    receiver: str = ""
    is_scope: bool = False


def extract(spec: Spec, path: str, src: Source) -> FileFacts:
    tree = spec.parser.parse(src.data)
    root = tree.root_node
    module_id = path + "::"
    facts = FileFacts(path, spec.name, errors=syntax_errors(root))
    defs, import_nodes, package = _collect_defs(spec, src, root)
    symbols, spans, ranges = _symbols(spec, src, defs, module_id, package)
    module_name = path.rsplit("/", 1)[-1]
    last_line = len(src.lines) - 1 if len(src.lines) > 1 and not src.lines[-1] else len(src.lines)
    module_sym = Symbol(module_id, module_name, package or module_name, "module", 1, last_line, 1,
                        max(1, len(src.lines[last_line - 1])), "", _file_doc(spec, src, root), None)
    facts.symbols = [module_sym] + symbols
    scopes = ScopeMap(module_id, ranges)
    kinds = {sym.id: sym for sym in symbols}
    for node in import_nodes:
        scope = scopes.at(node.start_byte)
        while scope in kinds and kinds[scope].kind in _VALUE_KINDS:  # `const x = require(...)`
            scope = kinds[scope].parent
        for imp in spec.imports(src, node):
            imp.line = node.start_point[0] + 1
            imp.scope = None if scope == module_id else scope
            facts.imports.append(imp)
    names = [_span(d.name_node) for d in defs if d.name_node is not None]
    facts.references = _references(spec, src, root, scopes, names)
    facts.chunks = code_chunks(src, package or module_name, spans)
    return facts


def _collect_defs(spec: Spec, src: Source, root: Node) -> tuple[list[_Def], list[Node], str]:
    defs: list[_Def] = []
    imports: list[Node] = []
    package = ""
    for _, caps in QueryCursor(spec.defs).matches(root):
        if "import" in caps:
            imports.extend(caps["import"])
            continue
        if "package" in caps:
            package = package or "".join(src.slice(*_span(caps["package"][0])).split())
            continue
        names = caps.get("name") or caps.get("scope.name")
        name_node = names[0] if names else None
        if "scope" in caps:
            defs.append(_Def(caps["scope"][0], "scope", name_node, is_scope=True))
            continue
        for key, nodes in caps.items():
            if key.startswith("def."):
                receiver = caps.get("receiver")
                defs.append(_Def(nodes[0], key[4:], name_node,
                                 src.slice(*_span(receiver[0])) if receiver else ""))
                break
    imports.sort(key=attrgetter("start_byte"))
    return _dedupe(defs), imports, package


def _dedupe(defs: list[_Def]) -> list[_Def]:
    """One definition per name node, in document order; the most specific pattern wins
    (a JS `const f = () => ...` is a function, not a variable; a Go struct, not a type)."""
    best: dict[int, _Def] = {}
    for d in defs:
        key = d.name_node.start_byte if d.name_node is not None else -1 - d.node.start_byte
        old = best.get(key)
        if old is None or _GENERIC_KINDS.get(old.kind, 9) < _GENERIC_KINDS.get(d.kind, 9):
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.node.start_byte, -d.node.end_byte))


def _span(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def _symbols(spec: Spec, src: Source, defs: list[_Def], module_id: str, package: str):
    """Symbols with ids from nesting (and qualified names), chunk spans, scope ranges."""
    sep = spec.separator
    symbols: list[Symbol] = []
    by_id: dict[str, Symbol] = {}
    spans = []
    ranges = []
    stack: list[tuple[int, list[str], Symbol | None, bool]] = []  # (end byte, qual parts, symbol, container)
    for d in defs:
        node = d.node
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        parent_parts = stack[-1][1] if stack else []
        raw = src.slice(*_span(d.name_node)) if d.name_node is not None else ""
        parts = [p for p in "".join(raw.split()).replace("::", ".").split(".") if p]
        if d.receiver:
            parts = [d.receiver] + parts
        if not parts:
            continue
        qual_parts = parent_parts + parts
        if d.is_scope:
            stack.append((node.end_byte, qual_parts, None, True))
            continue
        kind = d.kind
        if kind in ("function", "prototype") and (len(parts) > 1 or (stack and stack[-1][3])):
            kind = "method"
        elif kind == "prototype":
            kind = "function"
        elif kind == "variable" and parts[-1].isupper():
            kind = "constant"
        sid = module_id + ".".join(qual_parts)
        old = by_id.get(sid)
        if old is not None:
            if not (_is_prototype(old) and d.kind != "prototype"):
                stack.append((node.end_byte, qual_parts, old, old.kind in METHOD_CONTAINERS))
                continue
            symbols.remove(by_id.pop(sid))  # the definition replaces its prototype
        outer = _outer(spec, node)
        srow, scol = node.start_point
        erow, ecol = node.end_point
        end_col = src.col(erow, ecol) - 1
        if ecol == 0 and erow > srow:  # a node that ends with its newline (#define) ends on the line before
            erow -= 1
            end_col = len(src.lines[erow].rstrip("\r"))
        parent_id = module_id + ".".join(qual_parts[:-1])  # checked against the file's ids below
        sym = Symbol(sid, parts[-1], sep.join(([package] if package else []) + qual_parts), kind,
                     srow + 1, erow + 1, src.col(srow, scol), end_col,
                     _signature(src, node) + (";" if d.kind == "prototype" else ""),
                     _doc(spec, src, outer), parent_id)
        symbols.append(sym)
        by_id[sid] = sym
        ranges.append((node.start_byte, node.end_byte, sid))
        if kind in CHUNK_KINDS and d.kind != "prototype":
            spans.append((_leading(spec, outer).start_point[0] + 1, erow + 1, sym))
        stack.append((node.end_byte, qual_parts, sym, kind in METHOD_CONTAINERS))
    for sym in symbols:  # a parent outside this file (Go receiver, C++ Class::method) is the module
        if sym.parent not in by_id:
            sym.parent = module_id
    return symbols, spans, ranges


def _is_prototype(sym: Symbol) -> bool:
    return sym.signature.endswith(";")


def _outer(spec: Spec, node: Node) -> Node:
    """The node that holds the definition's doc comment: an `export`/`template` wrapper or
    a declaration holding only this definition."""
    outer = node
    while outer.parent is not None and outer.parent.type in spec.wrappers and outer.parent.named_child_count <= 2:
        outer = outer.parent
    return outer


def _leading(spec: Spec, node: Node) -> Node:
    """The first of the doc comments and attributes directly above a definition."""
    first = node
    prev = node.prev_named_sibling
    while prev is not None and (prev.type in spec.comments or prev.type in spec.attributes) \
            and prev.end_point[0] >= first.start_point[0] - 1:
        first = prev
        prev = prev.prev_named_sibling
    return first


def _doc(spec: Spec, src: Source, outer: Node) -> str:
    """First line of the comment block directly above the definition (attributes skipped)."""
    prev = outer.prev_named_sibling
    while prev is not None and prev.type in spec.attributes:
        prev = prev.prev_named_sibling
    top = None
    below = outer
    while prev is not None and prev.type in spec.comments and prev.end_point[0] >= below.start_point[0] - 1:
        top, below = prev, prev
        prev = prev.prev_named_sibling
    return comment_line(src.slice(*_span(top))) if top is not None else ""


def _file_doc(spec: Spec, src: Source, root: Node) -> str:
    first = root.named_child(0) if root.named_child_count else None
    if first is not None and first.type in spec.comments:
        return comment_line(src.slice(*_span(first)))
    return ""


def comment_line(text: str) -> str:
    """The first line of a comment with its markers removed."""
    for line in text.split("\n"):
        line = line.strip()
        for marker in ("/**", "/*!", "/*", "///", "//!", "//", "#"):
            if line.startswith(marker):
                line = line[len(marker):]
                break
        line = line.strip()
        if line.endswith("*/"):
            line = line[:-2].rstrip()
        line = line.lstrip("*").strip()
        if line:
            return line
    return ""


def _signature(src: Source, node: Node) -> str:
    body = node.child_by_field_name("body")
    if body is None:
        value = node.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
    if body is not None and body.start_byte > node.start_byte:
        text = src.slice(node.start_byte, body.start_byte)
    else:
        text = src.slice(node.start_byte, min(node.end_byte, node.start_byte + 4 * _SIGNATURE_MAX))
        brace = text.find("{")
        text = text[:brace] if brace > 0 else text
    text = compact(text).rstrip(";{ ").removesuffix("=>").rstrip()
    return text if len(text) <= _SIGNATURE_MAX else text[: _SIGNATURE_MAX - 3] + "..."


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _references(spec: Spec, src: Source, root: Node, scopes: ScopeMap, names: list[tuple[int, int]]) -> list[Reference]:
    """Identifiers captured as ref.*, the highest-priority capture of each, minus
    declarations (@skip, definition names) and anything inside a @skip.range."""
    caps = QueryCursor(spec.refs).captures(root)
    skip_ranges = _union(names + [_span(n) for n in caps.pop("skip.range", [])])
    skip_starts = [a for a, _ in skip_ranges]
    best: dict[int, tuple[int, str, Node]] = {}
    for capture, nodes in caps.items():
        kind = capture[4:] if capture.startswith("ref.") else capture
        priority = _REF_PRIORITY.get(kind, 0)
        for node in nodes:
            start = node.start_byte
            old = best.get(start)
            if old is None or old[0] < priority:
                best[start] = (priority, kind, node)
    refs: list[Reference] = []
    data = src.data
    for start, (_, kind, node) in best.items():
        if kind == "skip":
            continue
        if skip_starts:
            i = bisect_right(skip_starts, start) - 1
            if i >= 0 and start < skip_ranges[i][1]:
                continue
        qual = ""
        prev = node.prev_sibling
        if prev is not None and prev.type in SEPARATORS:
            qual = qualifier(data[node.parent.start_byte:prev.start_byte].decode("utf-8", "replace"))
        row, bcol = node.start_point
        refs.append(Reference(src.slice(start, node.end_byte), row + 1, src.col(row, bcol), kind, qual,
                              scopes.at(start)))
    refs.sort(key=_position)
    return refs
