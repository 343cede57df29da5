"""Python: symbols, imports, references and chunks from one tree-sitter query.

One query, compiled once, runs once per file; its captures arrive grouped by name, so
the Python side only sorts and loops over lists (no tree walks). What is indexed:

- symbols: the module, classes, functions (nested ones as `outer.inner`), methods,
  module-level assignments to plain names (each name of a chain `f = g = 5` and of an unpacking
  `a, (b, *c) = ...`; kind "constant" when UPPER_CASE, else "variable"; also inside a top-level
  if/try) and class-body assignments (the same names, kind "attribute", e.g. Django model fields),
  and type alias statements there (`type Alias = ...`, kind "type"). The first definition of a name wins the id.
  A class's or function's signature is its header with its decorators before it (`@property def name(self)`).
- imports: one Import per `import a.b [as c]` item; one per `from m import ...`
  statement for its plain names, plus one per aliased name (so `alias` is unambiguous).
- references: every identifier that is read: calls, attribute accesses (including
  `self.x = ...`), decorators, base classes (also those after the metaclass of a `with_metaclass(Meta, Base)` base),
  names inside annotations, plain loads.
  The class of a `case` class pattern (`case Point(x=0)`, `case geo.Point()`) is of kind
  "type": the pattern tests an instance of it (isinstance), it calls nothing.
  Not references: definitions, parameters, PEP 695 type parameters (`T` of `def f[T]`,
  `class C[T]`, `type A[T] = ...`), assignment/loop/with/except targets, the captures
  of `case` patterns (`case [a, *rest] as whole`),
  keyword-argument names, import statements, `self`/`cls`, and plain names that are
  local where they are read, in annotations too (see `_local_names`; a type parameter is
  local in its definition): no symbol of the graph can be meant there, and they were over
  a third of all references.
- annotations: a function's parameters and local variables annotated with one class (`p: Pytester`, `"mod.C"`,
  `Optional[C]`, `C | None`, `type[C]`), for `p.x` to name its member (see `_annotations`); and, with no class, the
  locals that hide a name of the module as a qualifier's head (`json` of `json.dumps()` in `def f(json)`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from operator import attrgetter

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Query

from codewright.graph.facts import Annotation, FileFacts, Import, Reference, Symbol
from codewright.graph.languages.base import (
    ScopeMap,
    Source,
    code_chunks,
    code_only,
    compact,
    cursor,
    module_symbol,
    qualifier,
    shown_decorator,
    syntax_errors,
    unique_ids,
)

LANGUAGE = Language(tree_sitter_python.language())

# Capture names: def.* definitions (assignments for def.var/def.attr), ref.* identifiers
# with a reference kind, id every identifier (plain loads are the ids with no other
# role), skip identifiers that bind rather than read, bind those that do both (`n += 1`),
# global names declared global, local.scope lambdas and comprehensions (scopes of their
# own), generic definitions with PEP 695 type parameters (`def f[T]`), attr attribute
# expressions (where a qualifier starts), type annotation ranges, import statements. Top-level if/try
# blocks (def.block) are searched for assignments in Python: nested query patterns and
# [alternations] cost more than the whole capture of every identifier. Cheaper than capturing them, some roles are read from the bytes
# around each identifier: after "." an attribute, before "(" a call, before "=" (not
# "==") a keyword argument, default or assignment target; names of definitions and
# identifiers inside import statements are dropped by position.
QUERY_SCM = r"""
(function_definition) @def.function
(class_definition) @def.class
(decorated_definition) @decorated
(module (expression_statement (assignment) @def.var))
(module (if_statement) @def.block)
(module (try_statement) @def.block)
(class_definition body: (block (expression_statement (assignment) @def.attr)))
(module (type_alias_statement) @def.alias)
(function_definition type_parameters: (type_parameter)) @generic
(class_definition type_parameters: (type_parameter)) @generic
(type_alias_statement left: (type (generic_type (type_parameter)))) @generic
(assignment right: (assignment) @def.chain)
(class_definition body: (block (type_alias_statement) @def.alias))
(typed_parameter . (identifier) type: (type)) @typed
(typed_default_parameter type: (type)) @typed
(assignment left: (identifier) type: (type)) @typed

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

(identifier) @id
(attribute) @attr
(decorator (identifier) @ref.dec)
(decorator (attribute attribute: (identifier) @ref.dec))
(decorator (call function: (identifier) @ref.dec))
(decorator (call function: (attribute attribute: (identifier) @ref.dec)))
(class_definition superclasses: (argument_list (identifier) @ref.base))
(class_definition superclasses: (argument_list (attribute attribute: (identifier) @ref.base)))
(class_definition superclasses: (argument_list (subscript value: (identifier) @ref.base)))
(class_definition superclasses: (argument_list (subscript value: (attribute attribute: (identifier) @ref.base))))
(class_definition superclasses: (argument_list (call) @base.call))
(class_pattern (dotted_name (identifier) @ref.type .))
(type) @type

(parameters (identifier) @skip)
(lambda_parameters (identifier) @skip)
(typed_parameter . (identifier) @skip)
(default_parameter name: (identifier) @skip)
(typed_default_parameter name: (identifier) @skip)
(list_splat_pattern (identifier) @skip)
(dictionary_splat_pattern (identifier) @skip)
(assignment left: (identifier) @skip)
(for_statement left: (identifier) @skip)
(for_in_clause left: (identifier) @skip)
(pattern_list (identifier) @skip)
(tuple_pattern (identifier) @skip)
(list_pattern (identifier) @skip)
(as_pattern_target (identifier) @skip)
(global_statement (identifier) @global)
(nonlocal_statement (identifier) @skip)
(named_expression name: (identifier) @skip)
(augmented_assignment left: (identifier) @bind)
(case_pattern (dotted_name . (identifier) @skip .))
(keyword_pattern (dotted_name . (identifier) @skip .))
(splat_pattern (identifier) @skip)
(as_pattern (case_pattern) (identifier) @skip)
(case_pattern (dotted_name) @attr)
(union_pattern (dotted_name) @attr)
(keyword_pattern (dotted_name) @attr)
(class_pattern (dotted_name) @attr)

(lambda) @local.scope
(list_comprehension) @local.scope
(set_comprehension) @local.scope
(dictionary_comprehension) @local.scope
(generator_expression) @local.scope
"""

QUERY = Query(LANGUAGE, QUERY_SCM)
PARSER = Parser(LANGUAGE)
_NOT_REFERENCES = frozenset({b"self", b"cls"})
_EMPTY: list = []


def extract(path: str, src: Source, module: str, language: str = "python") -> FileFacts:
    tree = PARSER.parse(src.data)
    root = tree.root_node
    caps = cursor(QUERY).captures(root)
    module_id = path + "::"
    facts = FileFacts(path, "python", errors=syntax_errors(root))
    symbols, spans, scope_ranges, declared = _symbols(src, caps, module, module_id)
    facts.symbols = [module_symbol(src, module_id, module.rsplit(".", 1)[-1], module, _docstring(src, root))]
    facts.symbols += unique_ids(symbols)
    scopes = ScopeMap(module_id, scope_ranges)
    facts.imports = _imports(src, sorted(caps.get("import", _EMPTY), key=_start_byte), scopes, module_id)
    generics = _type_parameters(caps.get("generic", _EMPTY))
    declared.update(name.start_byte for _, names in generics for name in names)  # they bind, as definitions do
    facts.references, hiding = _references(src, caps, scopes, declared, _local_names(src.data, caps, generics),
                                           _module_names(symbols, facts.imports))
    exported = _dunder_all(src, root, module_id)
    if exported:  # rare: merged into document order
        facts.references = sorted([*facts.references, *exported], key=attrgetter("line", "col"))
    facts.chunks = code_chunks(src, module, spans)
    facts.annotations = _annotations(src, caps, scopes, {s.id for s in symbols if s.kind in ("function", "method")},
                                     hiding)
    return facts


def _symbols(src: Source, caps, module: str, module_id: str):
    """Symbols in document order, their chunk spans, (start, end, id) scope ranges and the
    start bytes of the names they declare.

    Uses only captured nodes and their children: `Node.parent` walks down from the root
    in tree-sitter, which would make large flat files quadratic.
    """
    decorated: dict[int, Node] = {}  # start byte of a decorated definition → the decorated_definition around it
    for node in caps.get("decorated", _EMPTY):
        definition = node.child_by_field_name("definition")
        if definition is not None:
            decorated[definition.start_byte] = node
    defs = []  # (start byte, role, statement node, name node)
    for role, capture in enumerate(("def.function", "def.class")):
        for node in caps.get(capture, _EMPTY):
            defs.append((node.start_byte, -node.end_byte, len(defs), role, node, node.child_by_field_name("name")))
    assignments = [(2, n) for n in caps.get("def.var", _EMPTY)]
    assignments += [(2, n) for n in _block_assignments(caps.get("def.block", _EMPTY))]
    assignments += [(3, n) for n in caps.get("def.attr", _EMPTY)]
    assignments += [(4, n) for n in caps.get("def.alias", _EMPTY)]
    assignments += _chained(caps.get("def.chain", _EMPTY), assignments)
    for role, node in assignments:
        left = node.child_by_field_name("left")
        if role == 4:  # `type Alias[T] = ...`: the name is the first identifier of the left-hand type
            left = _alias_name(left)
        targets = _bound_names(left) if left is not None else _EMPTY
        end = -node.end_byte
        defs.extend((node.start_byte, end, len(defs) + i, role, node, t) for i, t in enumerate(targets))
    defs.sort()  # document order, outer before inner; the index keeps nodes out of comparisons
    symbols: list[Symbol] = []
    spans = []
    ranges = []
    stack: list[tuple[int, Symbol, str]] = []  # (end byte, symbol, qual) of open scopes
    seen_vars: set[str] = set()
    declared: set[int] = set()
    stubs: set[str] = set()  # ids with an @overload signature: the implementation after them is the symbol
    signatures: set[int] = set()  # the @overload symbols themselves, by object
    col = src.col
    ascii_src = src.ascii
    for start, neg_end, _, role, stmt, name_node in defs:
        if name_node is None:
            continue
        declared.add(name_node.start_byte)
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
        elif qual in seen_vars:
            continue
        else:
            seen_vars.add(qual)
            kind = "type" if role == 4 else "attribute" if role == 3 else "constant" if name.isupper() else "variable"
        srow, scol = stmt.start_point
        erow, ecol = stmt.end_point
        if ascii_src:
            scol += 1  # ecol, 0-based exclusive, is already the 1-based inclusive column
        else:
            scol, ecol = col(srow, scol), col(erow, ecol) - 1
        end = -neg_end
        body = stmt.child_by_field_name("body") if role <= 1 else None
        if body is not None:
            signature = compact(code_only(src, stmt, start, body.start_byte)).rstrip(":").rstrip()
            doc = _docstring(src, body)
        else:
            signature = compact(code_only(src, stmt, start, min(end, start + 800)))
            if len(signature) > 200:
                signature = signature[:197] + "..."
            doc = ""
        decoration = decorated.get(start) if role <= 1 else None
        if decoration is not None:
            signature = f"{_decorators(src, decoration)} {signature}"
        sym = Symbol(module_id + qual, name, f"{module}.{qual}" if module else qual, kind, srow + 1, erow + 1,
                     scol, ecol, signature, doc, parent_sym.id if parent_sym is not None else module_id)
        symbols.append(sym)
        ranges.append((start, end, sym.id))
        if role <= 1:
            first = decoration.start_byte if decoration is not None else start
            if first != start and _OVERLOAD.search(src.slice(first, start)):
                stubs.add(sym.id)
                signatures.add(id(sym))
            spans.append((src.line_of(first) if first != start else srow + 1, erow + 1, sym))
            stack.append((end, sym, qual))
    if stubs:  # the signatures give way to the implementation where there is one
        implemented = {sym.id for sym in symbols if sym.id in stubs and id(sym) not in signatures}
        symbols = [sym for sym in symbols if sym.id not in implemented or id(sym) not in signatures]
    return symbols, spans, ranges, declared


def _decorators(src: Source, decoration: Node) -> str:
    """The decorators of a definition, for its signature: `@property def name(self)` is read as an attribute, and
    `def name(self)` as a method to call. Each on one line without comments, a long one cut (shown_decorator)."""
    return " ".join(shown_decorator(compact(code_only(src, node, node.start_byte, node.end_byte)))
                    for node in decoration.children if node.type == "decorator")


_UNPACKING = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"})
_OVERLOAD = re.compile(r"@\s*(?:\w+\s*\.\s*)*overload\b")


def _bound_names(target) -> list:
    """The identifiers an assignment target binds, in order: `a`, and every name of `a, (b, [c, *d]) = ...` at
    any depth of unpacking; an attribute or an item (`a.x = ...`, `d[k] = ...`) binds none."""
    if target.type == "identifier":
        return [target]
    if target.type not in _UNPACKING:
        return _EMPTY
    return [name for part in target.named_children for name in _bound_names(part)]


def _chained(chains, assignments: list) -> list:
    """The inner assignments of chains (`f = g = 5`: `g = 5`) whose outer one defines symbols, with its role.

    A chain ends where its outer assignment ends, and an assignment is a statement or the right side of
    another, so the end byte tells which outer assignment an inner one belongs to (chains are rare: no walk up)."""
    if not chains:
        return []
    roles = {node.end_byte: role for role, node in assignments}
    return [(roles[node.end_byte], node) for node in chains if node.end_byte in roles]


def _alias_name(left):
    """The identifier a type alias statement names: `Alias` of `type Alias = ...` and of `type Alias[T] = ...`."""
    node = left.named_child(0) if left is not None and left.named_child_count else None
    if node is not None and node.type == "generic_type":
        node = node.named_child(0)
    return node if node is not None and node.type == "identifier" else None


def _type_parameters(generics) -> list[tuple]:
    """(definition, identifiers) of each generic definition: the names its PEP 695 type parameters bind
    (`T` of `def f[T: int, *Ts, **P]`, `class C[T]`, `type A[T] = ...`; bounds are read, not bound)."""
    found = []
    for node in generics:
        params = node.child_by_field_name("type_parameters")
        if params is None:  # `type A[T] = ...`: the parameters of the generic type on the left
            generic = node.child_by_field_name("left").named_child(0)
            params = next(c for c in generic.named_children if c.type == "type_parameter")
        names = [_type_parameter_name(t) for t in params.named_children if t.type == "type"]
        found.append((node, [name for name in names if name is not None]))
    return found


def _type_parameter_name(param):
    """The identifier one type parameter binds: `T`, `T` of `T: int`, `Ts` of `*Ts`, `P` of `**P`."""
    node = param.named_child(0)
    if node is not None and node.type in ("constrained_type", "splat_type"):
        node = node.named_child(0)
        if node is not None and node.type == "type":
            node = node.named_child(0)
    return node if node is not None and node.type == "identifier" else None


def _block_assignments(blocks) -> list:
    """Assignments directly inside the clauses of top-level if/try statements."""
    found = []
    for statement in blocks:
        for clause in statement.named_children:
            body = clause if clause.type == "block" else next(
                (c for c in clause.named_children if c.type == "block"), None)
            for child in body.named_children if body is not None else _EMPTY:
                if child.type == "expression_statement" and child.named_child_count:
                    inner = child.named_child(0)
                    if inner.type == "assignment":
                        found.append(inner)
    return found


MAX_DOC = 400  # characters of a docstring's first paragraph kept as the symbol's doc


def _docstring(src: Source, block) -> str:
    """The first paragraph of a docstring (the string that opens a module or body), its lines joined: its first line
    alone was cut mid-sentence where the summary wraps (`The flask object implements a WSGI application and acts as
    the central`). One over MAX_DOC characters is cut, with `...`."""
    count = block.named_child_count
    i = 0
    first = block.named_child(0) if count else None
    while first is not None and first.type == "comment":
        i += 1
        first = block.named_child(i) if i < count else None
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
            text = text.removesuffix(quote)
            break
    paragraph: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            paragraph.append(line)
        elif paragraph:
            break
    doc = " ".join(paragraph)
    return doc if len(doc) <= MAX_DOC else doc[: MAX_DOC - 3] + "..."


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


def _module_names(symbols: list[Symbol], imports: list[Import]) -> frozenset[bytes] | None:
    """The names a qualifier's head can resolve by in the file (what its symbols are named, what its imports bind),
    which a local of the same name hides: None, for any name, where a star import may bind it."""
    names = {sym.name for sym in symbols}
    for imp in imports:
        if "*" in imp.names:
            return None
        names.update([imp.alias] if imp.alias else imp.names or [imp.module.partition(".")[0]])
    return frozenset(name.encode() for name in names) - _NOT_REFERENCES


def _references(src: Source, caps, scopes: ScopeMap, declared: set[int],
                local_names: tuple[ScopeMap[frozenset[bytes]], ScopeMap[frozenset[bytes]]],
                module_names: frozenset[bytes] | None) -> tuple[list[Reference], list[tuple]]:
    """One Reference per identifier read, in document order, but for plain names local
    where they are read; and (scope, name, start byte, whether a function binds it) of each qualifier's head that is
    local where it is read and hides one of `module_names` (`json` of `json.dumps()` in `def f(json)`).

    The hot loop of indexing (hundreds of thousands of identifiers in a large repository):
    each identifier costs one `start_byte` and byte tests around it; names, lines and
    qualifiers come from the source bytes. An identifier after "." is an attribute; its
    qualifier is the text of the attribute expression it ends (`f(x).g` → "f()").
    `declared` holds the start bytes of definition names.
    """
    data = src.data
    skip = {n.start_byte for capture in ("skip", "global") for n in caps.get(capture, _EMPTY)}
    skip |= declared
    ids = [(start, n) for n in caps.get("id", _EMPTY) if (start := n.start_byte) not in skip]
    ids.sort()
    special = {n.start_byte: "decorator" for n in caps.get("ref.dec", _EMPTY)}
    special.update((n.start_byte, "base") for n in caps.get("ref.base", _EMPTY))
    special.update((start, "base") for start in _metaclass_bases(caps.get("base.call", _EMPTY)))
    special.update((n.start_byte, "type") for n in caps.get("ref.type", _EMPTY))
    chains = {n.end_byte: n.start_byte for n in caps.get("attr", _EMPTY)}  # attribute's end → its start
    annotations = _outermost(caps.get("type", _EMPTY))
    imports = _outermost(caps.get("import", _EMPTY)) or ([], [])
    imports[0].append(1 << 62)
    imports[1].append(1 << 62)
    next_import = 0
    import_start, import_end = imports[0][0], imports[1][0]
    bounds = scopes.bounds + [1 << 62]
    scope_ids = scopes.ids
    scope = 0
    local_bounds = local_names[0].bounds + [1 << 62]
    local_sets, whole_sets = local_names[0].ids, local_names[1].ids
    hiding: list[tuple] = []
    here = 0  # index of the local names in effect
    lines = src.line_starts() + [1 << 62]
    # "a . b": the "." before blanks, by the byte after them (found in one pass: walking back over the blanks
    # before every identifier went over each line's indentation)
    spaced_dots = {m.end(): m.start() for m in _SPACED_DOT.finditer(data)}
    row = 0  # ids are sorted, so the line and the scope only move forward
    ascii_src = src.ascii
    names: dict[bytes, str] = {}
    quals: dict[bytes, str] = {}
    refs: list[Reference] = []
    append = refs.append
    word = _WORD.match
    for start, node in ids:
        if start >= import_start:
            while start >= import_end:
                next_import += 1
                import_start, import_end = imports[0][next_import], imports[1][next_import]
            if start >= import_start:
                continue
        match = word(data, start - 1) if start else _WORD_AT_0.match(data)
        raw, follows = match.group(2, 3)
        end = start + len(raw)
        if not ascii_src and (not raw or end < len(data) and data[end] >= 0x80):
            raw = node.text  # a non-ASCII identifier: \w on bytes stops at its first such letter
            end = start + len(raw)
            follows = _AFTER.match(data, end).group(1)
        dot = start - 1 if match.group(1) else spaced_dots.get(start, -1)  # where the "." before an attribute is
        kind = special.get(start)
        in_annotation = False
        if annotations is not None:
            i = bisect_right(annotations[0], start) - 1
            in_annotation = i >= 0 and start < annotations[1][i]
        qual = ""
        head = None
        if dot >= 0:  # an attribute
            chain = chains.get(end, start)
            if chain < start:
                text = data[chain:dot]
                qual = quals.get(text)
                if qual is None:
                    qual = quals[text] = _receiver(text.decode("utf-8", "replace"))
                head = _HEAD.match(data, chain)
                head = head.group() if head and (module_names is None or head.group() in module_names) else None
                if head is not None:
                    while local_bounds[here + 1] <= start:
                        here += 1
                    if head not in local_sets[here]:
                        head = None
            if kind is None:
                kind = "annotation" if in_annotation else "call" if follows == b"(" else "attribute"
        elif kind is None:
            if raw in _NOT_REFERENCES or (follows == b"=" and not in_annotation):
                continue  # self, cls, or a name bound by "=" (keyword argument, default, target)
            while local_bounds[here + 1] <= start:
                here += 1
            if raw in local_sets[here]:
                continue
            kind = "annotation" if in_annotation else "call" if follows == b"(" else "name"
        name = names.get(raw)
        if name is None:
            name = names[raw] = raw.decode("utf-8", "replace")
        while lines[row + 1] <= start:
            row += 1
        while bounds[scope + 1] <= start:
            scope += 1
        col = start - lines[row] + 1 if ascii_src else src.col(row, start - lines[row])
        append(Reference(name, row + 1, col, kind, qual, scope_ids[scope]))
        if head is not None:
            hiding.append((scope_ids[scope], head.decode("utf-8", "replace"), start, head in whole_sets[here]))
    return refs, hiding


_SUPER_CALL = "super()"
_SUPER_CLASS = re.compile(r"super\s*\(\s*([^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)\s*,")


def _receiver(text: str) -> str:
    """The qualifier of a receiver written `text` (`qualifier`: arguments elided), but for `super(X, self)`, which
    keeps its class: `super(X)`. The member is looked for after X in the method's class's order, not after that class
    (`super(Base, self).m()` in `Derived.m` skips what is between)."""
    qual = qualifier(text)
    if qual.startswith(_SUPER_CALL):
        first = _SUPER_CLASS.match(text)
        if first is not None:
            return f"super({''.join(first.group(1).split())}){qual[len(_SUPER_CALL):]}"
    return qual


def _metaclass_bases(calls) -> list[int]:
    """The start bytes of the names of the bases that a `with_metaclass(Meta, Base, ...)` call written as a base
    (six's, future's: `class C(six.with_metaclass(Meta, Base))`) gives the class: every argument after the metaclass,
    as the bare name, the attribute (`mod.Base`) or the generic (`Base[T]`) a base is read as."""
    found = []
    for call in calls:
        function, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is not None and function.type == "attribute":
            function = function.child_by_field_name("attribute")
        if function is None or function.text != b"with_metaclass" or arguments is None:
            continue
        for base in arguments.named_children[1:]:
            if base.type == "subscript":
                base = base.child_by_field_name("value")
            if base is not None and base.type == "attribute":
                base = base.child_by_field_name("attribute")
            if base is not None and base.type == "identifier":
                found.append(base.start_byte)
    return found


def _dunder_all(src: Source, root, module_id: str) -> list[Reference]:
    """The names a module's `__all__` lists, as `export` references at their strings: what `from m import *`
    takes from it. Read from the module's top-level statements (`__all__ = [...]`, `+= [...]`,
    `.extend([...])`, `.append("x")`); when any of them is not made of plain strings (`__all__ =
    core.__all__ + [...]`) nothing is returned, and `*` takes every public name, as it does without `__all__`."""
    if b"__all__" not in src.data:
        return []
    strings: list = []
    for statement in root.named_children:
        if statement.type != "expression_statement" or not statement.named_child_count:
            continue
        node = statement.named_children[0]
        if node.type in ("assignment", "augmented_assignment"):
            if _text(node.child_by_field_name("left")) != b"__all__":
                continue
            if node.type == "assignment":
                strings = []  # a later assignment replaces the list
            items = _strings(node.child_by_field_name("right"))
        elif node.type == "call" and (method := _text(node.child_by_field_name("function"))) in _ALL_METHODS:
            args = node.child_by_field_name("arguments")
            arg = args.named_children[0] if args is not None and args.named_child_count == 1 else None
            items = _strings(arg, single=method == b"__all__.append")
        else:
            continue
        if items is None:
            return []
        strings += items
    refs = []
    for content in strings:
        row, byte_col = content.start_point
        refs.append(Reference(content.text.decode("utf-8", "replace"), row + 1, src.col(row, byte_col), "export",
                              "", module_id))
    return refs


_ALL_METHODS = frozenset({b"__all__.extend", b"__all__.append"})


def _text(node) -> bytes | None:
    return node.text if node is not None else None


def _strings(node, single: bool = False) -> list | None:
    """The content nodes of a list or tuple of plain string literals (of one string when `single`); None
    for anything else."""
    if node is None:
        return None
    items = [node] if single else node.named_children if node.type in ("list", "tuple") else None
    if items is None:
        return None
    found = []
    for item in items:
        parts = item.named_children if item.type == "string" else None
        if not parts or [p.type for p in parts] != ["string_start", "string_content", "string_end"]:
            return None
        found.append(parts[1])
    return found


_NO_NAMES: frozenset[bytes] = frozenset()
_QUOTED = re.compile(r"""^(?:"([^"]*)"|'([^']*)')$""")
_OPTIONAL = re.compile(r"^(?:(?:typing|t)\.)?(?:Optional|[Tt]ype)\[(.+)\]$|^(.+)\|None$|^None\|(.+)$")
_DOTTED = re.compile(r"^[^\W\d]\w*(?:\.[^\W\d]\w*)*$")


def _annotations(src: Source, caps, scopes: ScopeMap, functions: set[str], hiding: list[tuple]) -> list[Annotation]:
    """The parameters and local variables of functions annotated with one class (`p: Pytester`, `p: "Pytester"`,
    `Optional[Pytester]`, `Pytester | None`, `type[Pytester]`): `p.x` in the function names that class's member. A
    function nested in one holding an annotation that binds the name without one gets an Annotation with no type:
    its `p` is another variable; so does a local that hides a module's name (`hiding`, see `_hidden`). A union of
    classes, a generic or a call names no one class: no Annotation."""
    found: list[Annotation] = []
    annotated: dict[str, set[str]] = {}
    for node in caps.get("typed", _EMPTY):
        scope = scopes.at(node.start_byte)
        name_node = node.child_by_field_name("left") or node.child_by_field_name("name") or node.named_child(0)
        type_node = node.child_by_field_name("type")
        if scope not in functions or name_node is None or name_node.type != "identifier" or type_node is None:
            continue
        dotted = _annotated_class(src.slice(type_node.start_byte, type_node.end_byte))
        if dotted is None:
            continue
        name = src.slice(name_node.start_byte, name_node.end_byte)
        line = node.end_point[0] + 1 if node.type == "assignment" else 0  # a parameter: the whole function
        qualifier, _, last = dotted.rpartition(".")
        found.append(Annotation(scope, name, line, last, qualifier))
        annotated.setdefault(scope, set()).add(name)
    if annotated:
        found += _rebound(src, caps, scopes, functions, annotated)
        found += _shadowed(src, caps, scopes, annotated)
    return found + _hidden(src, caps, functions, annotated, hiding) if hiding else found


def _hidden(src: Source, caps, functions: set[str], annotated: dict[str, set[str]], hiding: list[tuple]):
    """An Annotation with no type for each local that hides a name of the module as a qualifier's head (`json` of
    `json.dumps()` in `def f(json)`, `for request in ...: request.user`): a variable, whose members are not known. In
    all of the function holding the reference where a function binds it (Python's rule: a name bound anywhere in a
    function is local in all of it); over the innermost lambda or comprehension whose names hold at the reference
    (`_scope_ranges`) where one of those does. Not where a function around annotates it: its annotations say what it
    is."""
    found = []
    seen = set()
    inline = None
    for scope, name, start, whole in hiding:
        scope = _function_around(scope, functions)
        if _annotated_around(annotated, scope, name):
            continue
        node = None
        if not whole:
            inline = inline or ScopeMap(None, [(first, last, n) for n in caps.get("local.scope", _EMPTY)
                                               for first, last in _scope_ranges(n, "byte")])
            node = inline.at(start)
        key = (scope, name, node.start_byte if node else -1)
        if key in seen:
            continue
        seen.add(key)
        if node is None:
            found.append(Annotation(scope, name, 0, "", ""))
        for start, end in _scope_ranges(node) if node is not None else ():
            first, last = _point(src, start), _point(src, end)
            found.append(Annotation(scope, name, first[0], "", "", first[1], *last))
    return found


def _function_around(scope: str, functions: set[str]) -> str:
    """The function the symbol `scope` is, or is in, the nearest; the module's id where there is none."""
    path, _, qual = scope.rpartition("::")
    parts = qual.split(".") if qual else []
    while parts and f"{path}::{'.'.join(parts)}" not in functions:
        parts.pop()
    return f"{path}::{'.'.join(parts)}"


def _annotated_class(text: str) -> str | None:
    """The dotted name of the one class an annotation names, unwrapping quotes, Optional[X], X | None and
    type[X]; None for anything else."""
    text = "".join(text.split())
    for _ in range(3):
        quoted = _QUOTED.match(text)
        optional = _OPTIONAL.match(text) if quoted is None else None
        if quoted is None and optional is None:
            break
        text = "".join(next(g for g in (quoted or optional).groups() if g is not None).split())
    return text if _DOTTED.match(text) and text != "None" else None


def _rebound(src: Source, caps, scopes: ScopeMap, functions: set[str], annotated: dict[str, set[str]]):
    """An Annotation with no type for each name a function nested in one annotating it binds again; not one that a
    lambda or a comprehension in it binds (`_shadowed`: that one holds in their range only)."""
    found = []
    inner = _outermost(caps.get("local.scope", _EMPTY)) or ([], [])
    for capture in ("skip", "bind"):
        for node in caps.get(capture, _EMPTY):
            scope = scopes.at(node.start_byte)
            i = bisect_right(inner[0], node.start_byte) - 1
            if scope not in functions or i >= 0 and node.start_byte < inner[1][i]:
                continue
            name = src.slice(node.start_byte, node.end_byte)
            if name in annotated.get(scope, ()):
                continue
            if _annotated_around(annotated, scope, name, 1):
                found.append(Annotation(scope, name, 0, "", ""))
                annotated.setdefault(scope, set()).add(name)
    return found


def _annotated_around(annotated: dict[str, set[str]], scope: str, name: str, up: int = 0) -> bool:
    """Whether the symbol `scope` (or, `up` levels out, one around it) is a function annotating `name`, or is in
    one."""
    path, _, qual = scope.rpartition("::")
    parts = qual.split(".")[: -up or None] if qual else []
    while parts and name not in annotated.get(f"{path}::{'.'.join(parts)}", ()):
        parts.pop()
    return bool(parts)


def _shadowed(src: Source, caps, scopes: ScopeMap, annotated: dict[str, set[str]]) -> list[Annotation]:
    """An Annotation with no type over each lambda's body and comprehension binding anew a name that the function
    it is in, or one around that, annotates: `p` in `lambda p: p.x` and `[p.x for p in items]` is another variable
    (a comprehension's first iterable, read outside it, is not in its range)."""
    found = []
    for node in caps.get("local.scope", _EMPTY):
        scope = scopes.at(node.start_byte)
        names = {src.slice(n.start_byte, n.end_byte) for n in _scope_bound(node)}
        names = sorted(name for name in names if _annotated_around(annotated, scope, name))
        for start, end in _scope_ranges(node) if names else ():
            first, last = _point(src, start), _point(src, end)
            found += [Annotation(scope, name, first[0], "", "", first[1], *last) for name in names]
    return found


def _scope_bound(node) -> list:
    """The identifiers a lambda's parameters or a comprehension's `for` targets bind."""
    if node.type == "lambda":
        params = node.child_by_field_name("parameters")
        names = [_parameter_name(p) for p in params.named_children] if params is not None else []
        return [name for name in names if name is not None]
    return [name for clause in node.named_children if clause.type == "for_in_clause"
            for name in _bound_names(clause.child_by_field_name("left"))]


def _parameter_name(param):
    """The identifier a lambda's parameter binds: `p`, `p=1`, `*p`, `**p`."""
    if param.type == "default_parameter":
        param = param.child_by_field_name("name")
    elif param.type in ("list_splat_pattern", "dictionary_splat_pattern"):
        param = param.named_child(0)
    return param if param is not None and param.type == "identifier" else None


def _scope_ranges(node, unit: str = "point") -> list[tuple]:
    """The (start, end) points (or bytes: `unit` "byte") where a lambda's or comprehension's own names hold: a
    lambda's body (its defaults are read outside it), a comprehension but its first iterable (Python evaluates it
    in the scope around: `t` of `[x for t in t.items()]` is that scope's)."""
    start, end = attrgetter(f"start_{unit}"), attrgetter(f"end_{unit}")
    if node.type == "lambda":
        body = node.child_by_field_name("body")
        return [(start(body), end(body))] if body is not None else []
    clause = next((c for c in node.named_children if c.type == "for_in_clause"), None)
    iterable = clause.child_by_field_name("right") if clause is not None else None
    if iterable is None:
        return [(start(node), end(node))]
    return [(start(node), start(iterable)), (end(iterable), end(node))]


def _point(src: Source, point) -> tuple[int, int]:
    """The 1-based line and character column of a tree-sitter point."""
    return point[0] + 1, src.col(point[0], point[1])


# roles of regions; one of type parameters encloses its definition's; an inline one is a lambda or a comprehension
_TYPE_PARAMETERS, _FUNCTION, _CLASS, _INLINE = 0, 1, 2, 3


def _local_names(data: bytes, caps, generics: list[tuple]) -> tuple[ScopeMap[frozenset[bytes]],
                                                                      ScopeMap[frozenset[bytes]]]:
    """The names local at each byte, and of those the ones a function binds (not only a lambda or a comprehension:
    they are local in all of the function), the two maps over the same ranges. Local: bound (parameter, assignment,
    loop, with/except
    target, walrus, `n += 1`, case pattern capture) in the enclosing function, lambda or comprehension or in
    the functions around it, and not declared global there. Python's rule: a name bound
    anywhere in a function is local in all of it. A class body's own names are its
    attributes (symbols), so it binds nothing here; module level binds nothing either.
    The type parameters of a generic definition (`generics`: `T` of `def f[T]`, `class C[T]`,
    `type A[T] = ...`) are local in all of it, its annotations and base classes included, and in
    what it holds (a method of `class C[T]`): a scope of their own around the definition's.

    Defaults of parameters are read outside the function: its names start at its body (type
    parameters do not leave them out: a default naming one is not worth a hole in their range). A lambda's
    defaults and a comprehension's first iterable are read outside them too: their names hold in `_scope_ranges`.
    Names bound by import statements, nested defs and classes stay references (they name
    modules and symbols).
    """
    regions = []  # (start, end, the (start, end) ranges where its names hold, role, names bound by the role itself)
    for node in caps.get("def.function", _EMPTY):
        body = node.child_by_field_name("body")
        regions.append((node.start_byte, node.end_byte, [((body or node).start_byte, node.end_byte)], _FUNCTION, ()))
    for node in caps.get("local.scope", _EMPTY):
        regions.append((node.start_byte, node.end_byte, _scope_ranges(node, "byte"), _INLINE, ()))
    regions += [(n.start_byte, n.end_byte, [(n.start_byte, n.end_byte)], _CLASS, ())
                for n in caps.get("def.class", _EMPTY)]
    regions += [(n.start_byte, n.end_byte, [(n.start_byte, n.end_byte)], _TYPE_PARAMETERS, names)
                for n, names in generics]
    if not regions:
        return ScopeMap(_NO_NAMES, []), ScopeMap(_NO_NAMES, [])
    regions.sort(key=lambda r: (r[0], -r[1], r[3]))  # type parameters around the definition of the same range
    innermost = ScopeMap(-1, [(start, end, i) for i, (start, end, *_) in enumerate(regions)])
    bound: list[set[bytes]] = [{data[n.start_byte:n.end_byte] for n in region[4]} for region in regions]
    declared_global: list[set[bytes]] = [set() for _ in regions]
    for found, captures in ((bound, ("skip", "bind")), (declared_global, ("global",))):
        for capture in captures:
            for node in caps.get(capture, _EMPTY):
                i = innermost.at(node.start_byte)
                if i >= 0:
                    found[i].add(data[node.start_byte:node.end_byte])
    names: list[frozenset[bytes]] = []
    whole: list[frozenset[bytes]] = []  # those a function binds
    open_regions: list[int] = []
    for i, (start, end, _, role, _) in enumerate(regions):
        while open_regions and regions[open_regions[-1]][1] <= start:
            open_regions.pop()
        parent = next((j for j in reversed(open_regions) if any(s <= start < e for s, e in regions[j][2])), None)
        outer, outer_whole = (names[parent], whole[parent]) if parent is not None else (_NO_NAMES, _NO_NAMES)
        if role == _CLASS:
            names.append(outer - bound[i] if bound[i] else outer)
            whole.append(outer_whole - bound[i] if bound[i] else outer_whole)
        elif bound[i] or declared_global[i]:
            names.append((outer | bound[i]) - declared_global[i])
            whole.append(outer_whole if role == _INLINE else (outer_whole | bound[i]) - declared_global[i])
        else:
            names.append(outer)
            whole.append(outer_whole)
        open_regions.append(i)
    ranges = [(start, end, i) for i, region in enumerate(regions) for start, end in region[2]]
    return (ScopeMap(_NO_NAMES, [(start, end, names[i]) for start, end, i in ranges]),
            ScopeMap(_NO_NAMES, [(start, end, whole[i]) for start, end, i in ranges]))


def _outermost(nodes) -> tuple[list[int], list[int]] | None:
    """(starts, ends) of the outermost of possibly nested ranges, or None when there are none."""
    if not nodes:
        return None
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted((n.start_byte, n.end_byte) for n in nodes):
        if not ends or start >= ends[-1]:
            starts.append(start)
            ends.append(end)
    return starts, ends


# At the byte before an identifier: a "." (else any byte), the name, then "(" or "="
# (not "==") after blanks.
_WORD = re.compile(rb"(?:(\.)|.)(\w*)[ \t]*(\(|=(?!=))?", re.DOTALL)
_WORD_AT_0 = re.compile(rb"(\.)?(\w*)[ \t]*(\(|=(?!=))?")  # the same without a byte before
_AFTER = re.compile(rb"[ \t]*(\(|=(?!=))?")
_SPACED_DOT = re.compile(rb"\.[ \t]+")
_HEAD = re.compile(rb"(?![\d])\w+")  # the name a qualifier starts with
_start_byte = attrgetter("start_byte")
