"""Python: symbols, imports, references and chunks from one tree-sitter query.

One query, compiled once, runs once per file; its captures arrive grouped by name and
in document order, so the Python side only loops over lists (no tree walks). What is
indexed:

- symbols: the module, classes, functions (nested ones as `outer.inner`), methods,
  module-level assignments to plain names (kind "constant" when UPPER_CASE, else
  "variable"; also inside a top-level if/try) and class-body assignments (kind
  "attribute", e.g. Django model fields). The first definition of a name wins the id.
- imports: one Import per `import a.b [as c]` item; one per `from m import ...`
  statement for its plain names, plus one per aliased name (so `alias` is unambiguous).
- references: every identifier that is read: calls, attribute accesses (including
  `self.x = ...`), decorators, base classes, names inside annotations, plain loads.
  Not references: definitions, parameters, assignment/loop/with/except targets,
  keyword-argument names, import statements, and `self`/`cls`.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import attrgetter

import tree_sitter_python
from tree_sitter import Language, Parser, Query, QueryCursor

from codewright.graph.facts import FileFacts, Import, Reference, Symbol
from codewright.graph.languages.base import (
    ScopeMap,
    Source,
    code_chunks,
    compact,
    qualifier,
    syntax_errors,
    unique_ids,
)

LANGUAGE = Language(tree_sitter_python.language())

# Capture names: def.* definitions, ref.* identifiers with a reference kind, id every
# identifier (plain loads are the ids with no other role), skip identifiers that bind
# rather than read, type annotation ranges, import statements.
QUERY_SCM = r"""
(function_definition) @def.function
(class_definition) @def.class
(module (expression_statement (assignment left: (identifier) @def.var)))
(module (expression_statement (assignment left: (pattern_list (identifier) @def.var))))
(module (if_statement consequence: (block (expression_statement (assignment left: (identifier) @def.var)))))
(module (if_statement alternative: (else_clause body: (block (expression_statement (assignment left: (identifier) @def.var))))))
(module (try_statement body: (block (expression_statement (assignment left: (identifier) @def.var)))))
(module (try_statement (except_clause (block (expression_statement (assignment left: (identifier) @def.var))))))
(class_definition body: (block (expression_statement (assignment left: (identifier) @def.attr))))

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

(identifier) @id
(call function: (identifier) @ref.call)
(call function: (attribute attribute: (identifier) @ref.call))
(attribute attribute: (identifier) @ref.attr)
(decorator (identifier) @ref.dec)
(decorator (attribute attribute: (identifier) @ref.dec))
(decorator (call function: (identifier) @ref.dec))
(decorator (call function: (attribute attribute: (identifier) @ref.dec)))
(class_definition superclasses: (argument_list (identifier) @ref.base))
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @ref.base)))
(type) @type

(function_definition name: (identifier) @skip)
(class_definition name: (identifier) @skip)
(parameters (identifier) @skip)
(lambda_parameters (identifier) @skip)
(default_parameter name: (identifier) @skip)
(typed_parameter . (identifier) @skip)
(typed_default_parameter name: (identifier) @skip)
(list_splat_pattern (identifier) @skip)
(dictionary_splat_pattern (identifier) @skip)
(keyword_argument name: (identifier) @skip)
(assignment left: (identifier) @skip)
(assignment left: (pattern_list (identifier) @skip))
(assignment left: (tuple_pattern (identifier) @skip))
(assignment left: (list_pattern (identifier) @skip))
(for_statement left: (identifier) @skip)
(for_statement left: (pattern_list (identifier) @skip))
(for_statement left: (tuple_pattern (identifier) @skip))
(for_in_clause left: (identifier) @skip)
(for_in_clause left: (pattern_list (identifier) @skip))
(for_in_clause left: (tuple_pattern (identifier) @skip))
(as_pattern_target (identifier) @skip)
(global_statement (identifier) @skip)
(nonlocal_statement (identifier) @skip)
(named_expression name: (identifier) @skip)
(dotted_name (identifier) @skip)
(aliased_import alias: (identifier) @skip)
"""

QUERY = Query(LANGUAGE, QUERY_SCM)
_PARSER = Parser(LANGUAGE)
_NOT_REFERENCES = frozenset({b"self", b"cls"})
_EMPTY: list = []


def parse(data: bytes):
    return _PARSER.parse(data)


def extract(path: str, src: Source, module: str, language: str = "python") -> FileFacts:
    tree = _PARSER.parse(src.data)
    root = tree.root_node
    caps = QueryCursor(QUERY).captures(root)
    module_id = path + "::"
    facts = FileFacts(path, "python", errors=syntax_errors(root))
    symbols, spans, scope_ranges = _symbols(src, caps, module, module_id)
    last_line = len(src.lines) - 1 if len(src.lines) > 1 and not src.lines[-1] else len(src.lines)
    mod_sym = Symbol(module_id, module.rsplit(".", 1)[-1], module, "module", 1, last_line,
                     1, max(1, len(src.lines[last_line - 1])), "", _docstring(src, root), None)
    facts.symbols = [mod_sym] + unique_ids(symbols)
    scopes = ScopeMap(module_id, scope_ranges)
    facts.imports = _imports(src, sorted(caps.get("import", _EMPTY), key=_start_byte), scopes, module_id)
    facts.references = _references(src, caps, scopes)
    facts.chunks = code_chunks(src, module, spans)
    return facts


def _symbols(src: Source, caps, module: str, module_id: str):
    """Symbols in document order, their chunk spans, and (start, end, id) scope ranges."""
    path = module_id
    defs = [(n.start_byte, 0, n) for n in caps.get("def.function", _EMPTY)]
    defs += [(n.start_byte, 1, n) for n in caps.get("def.class", _EMPTY)]
    defs += [(n.start_byte, 2, n) for n in caps.get("def.var", _EMPTY)]
    defs += [(n.start_byte, 3, n) for n in caps.get("def.attr", _EMPTY)]
    defs.sort(key=lambda d: d[0])
    symbols: list[Symbol] = []
    spans = []
    ranges = []
    stack: list[tuple[int, Symbol, str]] = []  # (end byte, symbol, qual) of open scopes
    seen_vars: set[str] = set()
    for _, role, node in defs:
        if role >= 2:
            stmt = node.parent
            while stmt.parent is not None and stmt.parent.type == "assignment":
                stmt = stmt.parent
            stmt = stmt.parent if stmt.parent is not None else stmt
            name_node, body, outer = node, None, stmt
        else:
            name_node = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
            stmt = node
        if name_node is None:
            continue
        start = stmt.start_byte
        while stack and stack[-1][0] <= start:
            stack.pop()
        parent_sym = stack[-1][1] if stack else None
        parent_qual = stack[-1][2] if stack else ""
        name = src.slice(name_node.start_byte, name_node.end_byte)
        qual = f"{parent_qual}.{name}" if parent_qual else name
        if role == 0:
            kind = "method" if parent_sym is not None and parent_sym.kind == "class" else "function"
        elif role == 1:
            kind = "class"
        elif role == 2:
            if qual in seen_vars:
                continue
            seen_vars.add(qual)
            kind = "constant" if name.isupper() else "variable"
        else:
            if qual in seen_vars:
                continue
            seen_vars.add(qual)
            kind = "attribute"
        srow, scol = stmt.start_point
        erow, ecol = stmt.end_point
        if body is not None:
            signature = compact(src.slice(stmt.start_byte, body.start_byte)).rstrip(":").rstrip()
            doc = _docstring(src, body)
        else:
            signature = compact(src.slice(stmt.start_byte, stmt.end_byte))
            if len(signature) > 200:
                signature = signature[:197] + "..."
            doc = ""
        sym = Symbol(path + qual, name, f"{module}.{qual}" if module else qual, kind, srow + 1, erow + 1,
                     src.col(srow, scol), src.col(erow, ecol) - 1, signature, doc,
                     parent_sym.id if parent_sym is not None else module_id)
        symbols.append(sym)
        ranges.append((start, stmt.end_byte, sym.id))
        if role <= 1:
            spans.append((outer.start_point[0] + 1, erow + 1, sym))
            stack.append((stmt.end_byte, sym, qual))
    return symbols, spans, ranges


def _docstring(src: Source, block) -> str:
    """First non-empty line of a docstring: the string that opens a module or body."""
    first = block.named_child(0) if block.named_child_count else None
    while first is not None and first.type == "comment":
        first = first.next_named_sibling
    if first is None or first.type != "expression_statement":
        return ""
    string = first.named_child(0)
    if string is None or string.type not in ("string", "concatenated_string"):
        return ""
    if string.type == "concatenated_string":
        string = string.named_child(0)
    text = src.slice(string.start_byte, string.end_byte).lstrip("rRuUbBfF")
    for quote in ('"""', "'''", '"', "'"):
        if text.startswith(quote):
            text = text[len(quote):]
            if text.endswith(quote):
                text = text[: -len(quote)]
            break
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line
    return ""


def _imports(src: Source, nodes, scopes: ScopeMap, module_id: str) -> list[Import]:
    imports: list[Import] = []
    for node in nodes:
        scope = scopes.at(node.start_byte)
        scope = None if scope == module_id else scope
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            for item in node.children_by_field_name("name"):
                imports.append(_item_import(src, item, "", line, scope, 0))
            continue
        if node.type == "future_import_statement":
            module, level = "__future__", 0
        else:
            module_node = node.child_by_field_name("module_name")
            module = src.slice(module_node.start_byte, module_node.end_byte) if module_node else ""
            module = "".join(module.split())
            level = len(module) - len(module.lstrip("."))
        plain: list[str] = []
        aliased: list[Import] = []
        for child in node.named_children:
            if child.type == "wildcard_import":
                plain.append("*")
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                aliased.append(_item_import(src, item, module, line, scope, level))
            else:
                plain.append(src.slice(item.start_byte, item.end_byte))
        if plain or not aliased:
            imports.append(Import(module, plain, None, line, level, scope))
        imports.extend(aliased)
    return imports


def _item_import(src: Source, item, module: str, line: int, scope, level: int) -> Import:
    """`a.b as c` inside `import` (module a.b) or `from m import` (module m, name a.b)."""
    alias = None
    if item.type == "aliased_import":
        alias_node = item.child_by_field_name("alias")
        alias = src.slice(alias_node.start_byte, alias_node.end_byte) if alias_node else None
        item = item.child_by_field_name("name") or item
    name = "".join(src.slice(item.start_byte, item.end_byte).split())
    if module:
        return Import(module, [name], alias, line, level, scope)
    return Import(name, [], alias, line, 0, scope)


def _references(src: Source, caps, scopes: ScopeMap) -> list[Reference]:
    """One Reference per identifier read, in document order of each kind."""
    data = src.data
    skip = {n.start_byte for n in caps.get("skip", _EMPTY)}
    special: dict[int, str] = {}
    for capture, kind in (("ref.attr", "attribute"), ("ref.call", "call"), ("ref.base", "base"),
                          ("ref.dec", "decorator")):
        for n in caps.get(capture, _EMPTY):
            special[n.start_byte] = kind
    type_starts: list[int] = []
    type_ends: list[int] = []
    for t in sorted(caps.get("type", _EMPTY), key=_start_byte):  # outermost annotation ranges only
        if not type_ends or t.start_byte >= type_ends[-1]:
            type_starts.append(t.start_byte)
            type_ends.append(t.end_byte)
    bounds = scopes.bounds
    ids = scopes.ids
    col = src.col
    ascii_src = src.ascii
    names: dict[bytes, str] = {}
    refs: list[Reference] = []
    append = refs.append
    for node in caps.get("id", _EMPTY):
        start = node.start_byte
        if start in skip:
            continue
        raw = node.text
        kind = special.get(start)
        if kind is None:
            if raw in _NOT_REFERENCES:
                continue
            kind = "name"
            qual = ""
        else:
            prev = node.prev_sibling
            if prev is not None and prev.type == ".":
                qual = qualifier(data[node.parent.start_byte:prev.start_byte].decode("utf-8", "replace"))
            else:
                qual = ""
        name = names.get(raw)
        if name is None:
            name = names[raw] = raw.decode("utf-8", "replace")
        if type_starts:
            i = bisect_right(type_starts, start) - 1
            if i >= 0 and start < type_ends[i] and kind in ("name", "attribute"):
                kind = "annotation"
        row, bcol = node.start_point
        append(Reference(name, row + 1, bcol + 1 if ascii_src else col(row, bcol), kind, qual,
                         ids[bisect_right(bounds, start) - 1]))
    refs.sort(key=_position)
    return refs


_start_byte = attrgetter("start_byte")
_position = attrgetter("line", "col")
