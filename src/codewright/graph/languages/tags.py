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
  @default      instead of @name, a token of an anonymous definition named `default` (JavaScript's
                `export default class {}`, `module.exports = function () {}`: its keyword, an arrow's `=>`)
  @receiver     a Go method's receiver type or the object a JS function is assigned to,
                its parent in the id
  @object       the object literal whose member the definition is: it is a symbol only where the definition
                around it holds that object as its value (`const api = {...}`, a key's `sub: {...}`), not in
                an object passed as an argument, which names nothing
  @members      on a value's definition (an object a key or a local variable holds), a symbol only where
                another nests in it: the object names its functions, a key holding data is no symbol
  @scope        a container that is not a symbol (a Rust `impl`, C's anonymous struct body), @scope.name its
                type (the typedef or variable that names the anonymous struct)
  @import       an import statement, handed to Spec.imports
  @using        C++'s using-directive (`using namespace ns;`), @name the namespace: a qualified name after it
                (`void A::f() {}`) whose head the file defines only in that namespace is that namespace's (`ns::A::f`)
  @package      the package or namespace prefix of every qualname (Go, Java)
  @directives   a node whose preprocessor lines the grammar misreads: they are parsed apart from the rest of
                the file (`_directive_lines`). Those of Spec.directives_in always; one a pattern captures (C's
                initializer, whose grammar has no directive) only where its parse has an error, so that a file
                with none costs no second parse
Capture names in REFS queries:
  @ref.KIND     an identifier used (KIND: call, attribute, type, base, decorator, name;
                `member` for a field or property name; `export` for what a module's default
                export names, kept even where it is a definition's own name). A name or member after a
                separator (".", "->", "::") is an attribute, and either one before "("
                is a call: read from the bytes, because a pattern such as
                `(member_expression property: ...)` holds a query state open across the
                whole object subtree, which is quadratic on long call chains.
  @skip         an identifier that declares rather than uses
  @skip.range   a node inside which nothing is a reference (import statements)
  @receiver     the object of a member access (`a.b` in `a.b.c`), whose text is the
                qualifier of the identifier after the separator that follows it
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter

from tree_sitter import Language, Node, Parser, Query

from codewright.graph.facts import FileFacts, Import, Reference, Symbol
from codewright.graph.languages.base import (
    CHUNK_KINDS,
    MAX_DECORATOR,
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
)

_BLANK = frozenset(b" \t\r\n")
_REF_PRIORITY = {"export": 10, "skip": 9, "decorator": 7, "base": 6, "call": 5, "type": 4, "attribute": 3, "member": 2, "name": 1}
_SIGNATURE_MAX = 200
METHOD_CONTAINERS = frozenset({"class", "interface", "struct", "enum", "trait", "union"})
_GENERIC_KINDS = {"variable": 0, "attribute": 0, "type": 1}  # a definition also matched by a specific pattern
_WRAPPER_PREFIX = 512  # bytes a wrapper may start before what it wraps (`template <...>`)
_VALUE_KINDS = frozenset({"variable", "constant", "attribute"})
_COMPUTED = frozenset({"computed_property_name"})  # a name that is an expression (`[KEY]() {}`): its names are uses


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
    attributes: frozenset[str] = frozenset()  # nodes before a definition that belong to it, its signature shows
    annotations: frozenset[str] = frozenset()  # nodes in a definition's first child, `modifiers`, its signature cuts
    keywords: dict[str, str] = field(default_factory=dict)  # node type -> the keyword its group's wrapper holds
    arrow: bool = False  # "->" separates a member from its object (C, C++), not a return type (Rust)
    flat: frozenset[str] = frozenset()  # definition nodes that hold no symbol (C's typedef of a struct)
    file_level: frozenset[str] = frozenset()  # kinds (C's variables, prototypes) never defined inside a function
    unscoped: frozenset[str] = frozenset()  # definition nodes whose names nest in nothing around them (C's macros)
    directives_in: frozenset[str] = frozenset()  # nodes whose preprocessor lines the grammar misreads, even
    # where it reads them without an error (an #include in C's enum body, read as a directive it does not know)

    # Compiled on first use: a large grammar's queries take a few hundred milliseconds,
    # which a process that never meets the language should not pay.
    @cached_property
    def defs(self) -> Query:
        extra = [f"({t}) @wrapper" for t in sorted(self.wrappers)]
        extra += [f"({t}) @directives" for t in sorted(self.directives_in)]
        extra += [f"({t}) @comment" for t in sorted(self.comments | self.attributes)]
        return Query(self.language, self.defs_scm + "\n".join(extra))

    @cached_property
    def refs(self) -> Query:
        return Query(self.language, self.refs_scm)

    @cached_property
    def parser(self) -> Parser:
        return Parser(self.language)


@dataclass
class _Def:
    node: Node
    kind: str
    name_node: Node | None
    receiver: str = ""
    is_scope: bool = False
    name: str = ""  # a name no node spells (@default)
    held_by: int = -1  # the start byte of the object literal it is a member of (@object)
    members: bool = False  # a symbol only where another nests in it (@members)


def extract(spec: Spec, path: str, src: Source) -> FileFacts:
    roots = [spec.parser.parse(src.data).root_node]
    defs, import_nodes, package, context = _collect_defs(spec, src, roots)
    cut = _directive_lines(src, context.directives, spec.directives_in)
    if cut:  # the file parsed again without the lines the grammar misread, and those lines apart
        roots = [spec.parser.parse(_blanked(src.data, ranges)).root_node
                 for ranges in (cut, _complement(cut, len(src.data)))]
        defs, import_nodes, package, context = _collect_defs(spec, src, roots)
    root = roots[0]
    module_id = path + "::"
    facts = FileFacts(path, spec.name, errors=[error for r in roots for error in syntax_errors(r)])
    symbols, spans, ranges = _symbols(spec, src, defs, module_id, package, context)
    module_name = path.rsplit("/", 1)[-1]
    facts.symbols = [module_symbol(src, module_id, module_name, package or module_name, _file_doc(spec, src, root))]
    facts.symbols += symbols
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
    names = [_span(d.name_node) for d in defs  # a using-directive's namespace is a use
             if d.name_node is not None and d.name_node.type not in _COMPUTED and d.kind != "using"]
    found = [_references(spec, src, r, scopes, names) for r in roots]  # and the uses on lines parsed apart
    facts.references = found[0] if len(found) == 1 else list(heapq.merge(*found, key=attrgetter("line", "col")))
    facts.chunks = code_chunks(src, package or module_name, spans)
    return facts


@dataclass
class _Context:
    """Nodes around definitions, found by the query rather than by walking up the tree:
    `Node.parent` and the sibling accessors walk down from the root in tree-sitter, which
    makes them quadratic over a large flat file."""

    wrappers: list[tuple[int, int, Node]]  # (start, end, node) sorted
    leading: list[tuple[int, int, int, int, bool]]  # (end, start, start row, end row, is comment) sorted
    directives: list[Node]  # nodes whose preprocessor lines the grammar misreads
    attributes: dict[int, Node]  # start byte → the Spec.attributes node there (a decorator, a Rust attribute)


def _collect_defs(spec: Spec, src: Source, roots: list[Node]) -> tuple[list[_Def], list[Node], str, _Context]:
    defs: list[_Def] = []
    imports: list[Node] = []
    package = ""
    context = _Context([], [], [], {})
    for _, caps in (match for root in roots for match in cursor(spec.defs).matches(root)):
        if "directives" in caps:
            node = caps["directives"][0]
            if node.type in spec.directives_in or node.has_error:
                context.directives.append(node)
            continue
        if "wrapper" in caps:
            node = caps["wrapper"][0]
            context.wrappers.append((node.start_byte, node.end_byte, node))
            continue
        if "comment" in caps:
            node = caps["comment"][0]
            is_comment = node.type in spec.comments
            context.leading.append((node.end_byte, node.start_byte, node.start_point[0], node.end_point[0],
                                    is_comment))
            if not is_comment:
                context.attributes[node.start_byte] = node
            continue
        if "import" in caps:
            imports.extend(caps["import"])
            continue
        if "package" in caps:
            package = package or "".join(src.slice(*_span(caps["package"][0])).split())
            continue
        names = caps.get("name") or caps.get("scope.name") or caps.get("default")
        name_node = _recovered_name(names[0]) if names else None
        if "scope" in caps:
            defs.append(_Def(caps["scope"][0], "scope", name_node, is_scope=True))
            continue
        if "using" in caps:
            defs.append(_Def(caps["using"][0], "using", name_node))
            continue
        for key, nodes in caps.items():
            if key.startswith("def."):
                receiver = caps.get("receiver")
                defs.append(_Def(nodes[0], key[4:], name_node,
                                 src.slice(*_span(receiver[0])) if receiver else "",
                                 name="default" if "default" in caps else "",
                                 held_by=caps["object"][0].start_byte if "object" in caps else -1,
                                 members="members" in caps))
                break
    imports.sort(key=attrgetter("start_byte"))
    context.wrappers.sort(key=lambda w: (w[0], -w[1]))
    context.leading.sort()
    return _dedupe(defs), imports, package, context


def _dedupe(defs: list[_Def]) -> list[_Def]:
    """One definition per name node, in document order; the most specific pattern wins
    (a JS `const f = () => ...` is a function, not a variable; a Go struct, not a type), and of two as specific
    the one with fewer conditions (a top-level `const api = {}` is a symbol, whatever it holds). A scope is apart
    from the definition its name names (C's `typedef struct { int a; } T;`: the type T, and the scope T of `a`)."""
    best: dict[tuple[bool, int], _Def] = {}
    for d in defs:
        key = d.is_scope, d.name_node.start_byte if d.name_node is not None else -1 - d.node.start_byte
        old = best.get(key)
        if old is None or _rank(old) < _rank(d):
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.node.start_byte, -d.node.end_byte))


def _rank(d: _Def) -> tuple[int, int]:
    """How specific a definition's pattern is, then how few conditions it has (@object, @members)."""
    return _GENERIC_KINDS.get(d.kind, 9), -(d.held_by >= 0) - d.members


def _span(node: Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


# A preprocessor line, with its continuation lines; _DIRECTIVE any but a conditional (`#if`...`#endif`, which
# grammars read inside an enum body, not in an initializer).
_NOT_NEWLINE = re.compile(rb"[^\n]")
_ANY_DIRECTIVE = rb"[A-Za-z_](?:[^\n]*\\\r?\n)*[^\n]*\n?"
_DIRECTIVE = re.compile(rb"^[ \t]*(#)[ \t]*(?!(?:if|ifdef|ifndef|elif|elifdef|elifndef|else|endif)\b)" + _ANY_DIRECTIVE,
                        re.MULTILINE)
_DIRECTIVE_OR_CONDITIONAL = re.compile(rb"^[ \t]*(#)[ \t]*" + _ANY_DIRECTIVE, re.MULTILINE)


def _directive_lines(src: Source, holders: list[Node], always: frozenset[str]) -> list[tuple[int, int]]:
    """The byte ranges of the preprocessor lines in `holders` (a `#` in a comment aside), sorted; in those of the
    types `always` looked at (an enum's body), not the conditionals.

    tree-sitter's C grammar reads a `#define` in an enum body (glibc's `_ISupper = 1,\n#define _ISupper
    _ISupper`) as a directive that a comma must follow: the enumerator after it was an error, lost, and the
    macro no symbol; in an initializer (`int t[] = {1,\n#define X 2\n X};`) any directive is an error, the
    macro lost, as is an include (`{\n#include "t.inc"\n}`), and a conditional (`{ 1,\n#ifdef X\n 2,\n#endif\n 3 }`,
    an array of structs with an element for each configuration), which only an enum's body may hold: there the
    initializer keeps the elements of every branch, as the rest of the file keeps every branch's code. Parsed
    without these lines the enum or the initializer is whole, and the lines parsed alone are macros and includes."""
    found = []
    for node in holders:
        lines = _DIRECTIVE if node.type in always else _DIRECTIVE_OR_CONDITIONAL
        for line in lines.finditer(src.data, node.start_byte, node.end_byte):
            inner = node.descendant_for_byte_range(line.start(1), line.start(1) + 1)
            if inner is None or inner.type != "comment":
                found.append(line.span())
    return sorted(found)


def _complement(ranges: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """The byte ranges of [0, size) outside the sorted, disjoint `ranges`."""
    found, start = [], 0
    for a, b in ranges:
        if a > start:
            found.append((start, a))
        start = b
    return found + [(start, size)] if size > start else found


def _blanked(data: bytes, ranges: list[tuple[int, int]]) -> bytes:
    """`data` with the bytes in `ranges` turned to blanks but newlines: its tree has the file's positions.
    (A parser's included ranges would say the same, in time quadratic in their number.)"""
    out = bytearray(data)
    for a, b in ranges:
        out[a:b] = _NOT_NEWLINE.sub(b" ", data[a:b])
    return bytes(out)


def _symbols(spec: Spec, src: Source, defs: list[_Def], module_id: str, package: str, context: _Context):
    """Symbols with ids from nesting (and qualified names), chunk spans, scope ranges."""
    sep = spec.separator
    symbols: list[Symbol] = []
    by_id: dict[str, Symbol] = {}
    spans = []
    ranges = []
    stack: list[_Open] = []
    hollow: set[str] = set()  # ids of @members definitions
    usings: list[tuple[int, list[str], list[str]]] = []  # (end of its scope, parts of that scope, its namespace's)
    for d in defs:
        node = d.node
        span = _span(node)
        while stack and (stack[-1].end <= span[0] or stack[-1].span == span):  # one node, several names: siblings
            stack.pop()
        if d.held_by >= 0 and not (stack and _holds(stack[-1].node, d.held_by)):
            continue  # a member of an object no definition holds (one passed as an argument)
        parent_parts = stack[-1].parts if stack and node.type not in spec.unscoped else []
        raw = d.name or (src.slice(*_span(d.name_node)) if d.name_node is not None else "")
        parts = name_parts(raw)
        if d.receiver:
            parts = [d.receiver] + parts
        if not parts:
            continue
        if d.kind == "using":
            usings.append((stack[-1].end if stack else len(src.data), parent_parts, parts))
            continue
        qual_parts = parent_parts + parts
        if len(parts) > 1 and usings and module_id + ".".join(qual_parts[:-1]) not in by_id:
            qual_parts = _nominated(qual_parts, parts, usings, span[0], by_id, module_id)
        if d.is_scope:
            stack.append(_Open(span, qual_parts, None, True, node))
            continue
        if d.kind in spec.file_level and stack and stack[-1].symbol is not None \
                and stack[-1].symbol.kind in ("function", "method"):
            continue  # a local variable or prototype, inside a function's preprocessor block
        kind = d.kind
        if kind in ("function", "prototype") and (len(parts) > 1 or (stack and stack[-1].container)):
            kind = "method"
        elif kind == "prototype":
            kind = "function"
        elif kind == "variable" and parts[-1].isupper():
            kind = "constant"
        sid = module_id + ".".join(qual_parts)
        outer_start = _outer(context.wrappers, node)
        first_row, doc, top = _leading(src, context.leading, outer_start)
        srow, scol = _head(spec, node).start_point
        erow, ecol = node.end_point
        end_col = src.col(erow, ecol) - 1
        if ecol == 0 and erow > srow:  # a node that ends with its newline (#define) ends on the line before
            erow -= 1
            end_col = len(src.lines[erow].rstrip("\r"))
        old = by_id.get(sid)
        if old is not None:
            if not (_is_prototype(old) and d.kind != "prototype"):
                # an overload or a second impl's method: one symbol per id, but its body is still its own chunk
                if kind in CHUNK_KINDS and d.kind != "prototype" and old.kind in CHUNK_KINDS:
                    spans.append((first_row + 1, erow + 1, old))
                    ranges.append((span[0], span[1], sid))
                stack.append(_Open(span, qual_parts, old, old.kind in METHOD_CONTAINERS, node))
                continue
            symbols.remove(by_id.pop(sid))  # the definition replaces its prototype
        parent_id = module_id + ".".join(qual_parts[:-1])  # checked against the file's ids below
        sym = Symbol(sid, parts[-1], sep.join(([package] if package else []) + qual_parts), kind,
                     srow + 1, erow + 1, src.col(srow, scol), end_col,
                     _decorators(src, context, top, node.start_byte) + spec.keywords.get(node.type, "")
                     + _signature(src, node, spec.annotations) + (";" if d.kind == "prototype" else ""),
                     doc, parent_id)
        symbols.append(sym)
        by_id[sid] = sym
        if d.members:
            hollow.add(sid)
        ranges.append((node.start_byte, node.end_byte, sid))
        if kind in CHUNK_KINDS and d.kind != "prototype":
            spans.append((first_row + 1, erow + 1, sym))
        if node.type not in spec.flat:
            stack.append(_Open(span, qual_parts, sym, kind in METHOD_CONTAINERS, node))
    empty = _empty(symbols, hollow)
    if empty:
        symbols = [sym for sym in symbols if sym.id not in empty]
        spans = [s for s in spans if s[2].id not in empty]
        ranges = [r for r in ranges if r[2] not in empty]
        for sid in empty:
            del by_id[sid]
    for sym in symbols:  # a parent outside this file (Go receiver, C++ Class::method) is the module
        if sym.parent not in by_id:
            sym.parent = module_id
    return symbols, spans, ranges


def _head(spec: Spec, node: Node) -> Node:
    """Where a definition's own line starts: past the decorators it holds (TypeScript's `@Input()` above `name:
    string`, `@Dec` above `class P`) and the annotations among its modifiers (Java's `@Override` above `public
    String toString()`), at its keyword or name, as a decorated Python function's symbol starts at its `def`: the
    symbol started on the first decorator's line. Its chunk and its signature still hold them; a definition
    without them costs a look at its first child (and its modifiers' first)."""
    first = node.child(0) if node.child_count else None
    if first is not None and first.type == "modifiers" and spec.annotations:
        first = first.child(0) if first.child_count else None
    skipped = spec.attributes | spec.annotations
    if first is None or first.type not in skipped:
        return node
    skipped |= spec.comments
    for child in node.children:
        if child.type == "modifiers":
            child = next((c for c in child.children if c.type not in skipped), None)
            if child is None:
                continue  # annotations alone: the keyword after them
        if child.type not in skipped:
            return child
    return node


def _nominated(qual_parts: list[str], parts: list[str], usings: list[tuple[int, list[str], list[str]]], start: int,
               known: dict[str, Symbol], module_id: str) -> list[str]:
    """The qualified name (`A::f`, in a scope whose parts `qual_parts` add) of a definition at byte `start` whose
    head the file defines in no scope there, as C++ looks it up: in the namespaces the using-directives in
    effect nominate (`using namespace ns;` before `void A::f() {}`, the file's class A in ns), a nominated name
    first in the scope of its directive (`namespace x { using namespace ns; }`: x::ns, then ns). The first that
    names a symbol of the file (`known`) is the definition's; `A::f` was a symbol beside its declaration
    `ns::A::f`, the class's member in the same file twice."""
    for end, outer, nominated in reversed(usings):
        if end <= start:
            continue
        for found in (outer + nominated + parts, nominated + parts):
            if module_id + ".".join(found[:-1]) in known:
                return found
    return qual_parts


def _holds(node: Node, start: int) -> bool:
    """Whether the definition `node` holds as its value the object starting at byte `start` (`const api = {`, a
    key's `sub: {`, `export default {`)."""
    value = node.child_by_field_name("value")
    return value is not None and value.start_byte == start


def _empty(symbols: list[Symbol], hollow: set[str]) -> set[str]:
    """The ids in `hollow` (@members) of symbols nothing kept nests in, children looked at before their
    parents: a key holding only a key that holds data (`{sub: {data: {x: 1}}}`) is empty too."""
    held: set[str] = set()
    empty: set[str] = set()
    for sym in reversed(symbols):
        if sym.id in hollow and sym.id not in held:
            empty.add(sym.id)
        else:
            held.add(sym.parent)
    return empty


@dataclass
class _Open:
    """A definition whose node the next ones may lie in: they nest under it."""

    span: tuple[int, int]
    parts: list[str]
    symbol: Symbol | None  # None for a scope that is no symbol (a Rust impl)
    container: bool
    node: Node  # the definition's, whose value a member of an object must be (@object)

    @property
    def end(self) -> int:
        return self.span[1]


def _recovered_name(node: Node) -> Node:
    """The name a parser's error recovery set aside. tree-sitter's C++ grammar reads `MY_API my_t f (int x)` (a
    macro before the type) as the function `my_t` with an error `f` after it, and `static MACRO my_t\nf (int x)`
    as the function `my_t::f` with its `::` missing: the symbols were `my_t` and `my_tf`, and `f` a call."""
    after = node.next_sibling
    if (after is not None and after.type == "ERROR" and node.parent is not None
            and node.parent.type == "function_declarator" and after.named_child_count == 1
            and after.named_children[0].type == "identifier"):
        return after.named_children[0]
    if node.type == "qualified_identifier" and any(child.is_missing for child in node.children):
        return node.child_by_field_name("name") or node
    return node


_TEMPLATE_ARGUMENTS = re.compile(r"<[^<>]*>")
_OPERATOR = re.compile(r"(?<!\w)operator(?!\w)")  # C++'s keyword, not `operators.list` or `operator_name`


def name_parts(raw: str) -> list[str]:
    """A definition's name as written, split into its qualname parts: `a.b`, `ns::Vec<T>::push` → ns, Vec, push
    (template arguments dropped), `W::operator bool() const` → W, operator bool, `"lib.name"` → lib.name; blanks
    dropped elsewhere."""
    text = " ".join(raw.split())
    if text[:1] == "[" and text[-1:] == "]":  # a JavaScript computed key: `['save']() {}` is the method `save`
        text = text[1:-1].strip()
        if not _is_string(text):
            return [f"[{text}]"]  # an expression is the name as written, whole: `[Symbol.iterator]`, not `iterator]`
    if text[:1] in ("'", '"'):  # TypeScript's `declare module "lib.name"`, JavaScript's `'save'() {}`
        return [text[1:-1]] if len(text) > 2 else []
    found = _OPERATOR.search(text)
    op = found.start() if found else -1
    head, tail = (text[:op], text[op:]) if op >= 0 else (text, "")
    head = head.replace(" ", "")
    while "<" in head:
        stripped = _TEMPLATE_ARGUMENTS.sub("", head)
        if stripped == head:
            break
        head = stripped
    if tail[8:9] == " " and tail[9:10].isalpha():  # a conversion: `operator bool() const` is `operator bool`
        tail = "operator " + tail[9:].split("(", 1)[0].strip()
    else:
        tail = tail.replace(" ", "")
    parts = [p for p in head.replace("::", ".").split(".") if p]
    return parts + [tail] if tail else parts


def _is_string(text: str) -> bool:
    """Whether `text` is one quoted string and nothing else (`'save'`, not `'a' + 'b'`)."""
    return len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0] and text[0] not in text[1:-1]


def _is_prototype(sym: Symbol) -> bool:
    return sym.signature.endswith(";")


def _outer(wrappers: list[tuple[int, int, Node]], node: Node) -> int:
    """Start byte of the node holding the definition's doc comment: the `export`/`template`
    wrappers or single-definition declarations around it, climbed as far as they nest."""
    start, end = node.start_byte, node.end_byte
    i = bisect_right(wrappers, (start, 1 << 62)) - 1
    while i >= 0 and wrappers[i][0] >= start - _WRAPPER_PREFIX:
        w_start, w_end, wrapper = wrappers[i]
        i -= 1
        if w_start <= start and end <= w_end and (w_start, w_end) != (start, end) \
                and wrapper.named_child_count <= 2 \
                and any(c.start_byte == start and c.end_byte == end for c in wrapper.named_children):
            start, end = w_start, w_end
    return start


def _leading(src: Source, items: list[tuple[int, int, int, int, bool]], start: int) -> tuple[int, str, int]:
    """(0-based first row, doc, first byte) of a definition starting at byte `start`: the first row of
    the comments and attributes directly above it (nothing but whitespace between), the first line of the
    topmost comment in the run of comments nearest to it, and the byte where that run starts."""
    data = src.data
    first_row = src.line_of(start) - 1
    i = bisect_right(items, (start, 1 << 62)) - 1
    top: tuple[int, int] | None = None
    comments_done = False  # an attribute above the nearest comments ends the doc block
    cur = start
    while i >= 0:
        end, item_start, srow, erow, is_comment = items[i]
        if end > cur or erow < first_row - 1 or cur - end > 256 or data[end:cur].strip():
            break
        line_start = src.line_starts()[srow]
        if item_start - line_start > 256 or data[line_start:item_start].strip():
            break  # a comment trailing code on its line belongs to that code
        if is_comment and not comments_done:
            top = (item_start, end)
        elif not is_comment and top is not None:
            comments_done = True
        first_row, cur = srow, item_start
        i -= 1
    return first_row, comment_line(src.slice(*top)) if top is not None else "", cur


def _decorators(src: Source, context: _Context, first: int, start: int) -> str:
    """The attributes from byte `first` to the definition's start at `start`, each as shown_decorator shows it,
    with a blank after: `#[derive(Debug)] struct S`, `@Component({...}) class X`, which without them read as a
    plain struct or class. They stand above it (the run _leading found) or in a wrapper before it (TypeScript's
    `@Component(...) export class X`); a definition without them costs a comparison."""
    if first >= start or not context.attributes:
        return ""
    shown = []
    items = context.leading
    i = bisect_right(items, (start, 1 << 62)) - 1
    while i >= 0 and items[i][0] > first:
        end, item_start, _, _, is_comment = items[i]
        i -= 1
        if not is_comment and item_start >= first:
            node = context.attributes[item_start]
            shown.append(shown_decorator(compact(code_only(src, node, item_start, end, _COMMENT_MARKERS))) + " ")
    return "".join(reversed(shown))


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


_COMMENT_MARKERS = ("//", "/*")  # a comment in every language of this module starts so


def _signature(src: Source, node: Node, annotations: frozenset[str] = frozenset()) -> str:
    body = node.child_by_field_name("body")
    if body is None:
        value = node.child_by_field_name("value") or node.child_by_field_name("right")  # `x.f = function`
        body = value.child_by_field_name("body") if value is not None else None
    inner = _body_in_place(node) if body is None else None
    if body is not None and body.start_byte > node.start_byte:
        text = code_only(src, node, node.start_byte, body.start_byte, _COMMENT_MARKERS)
    elif inner is not None:  # `struct {...} v`: a struct's body elided, the names after it kept
        text = (code_only(src, node, node.start_byte, inner.start_byte, _COMMENT_MARKERS) + "{...}"
                + _before_brace(src, node, inner.end_byte))
    else:
        text = _before_brace(src, node, node.start_byte)
    text = compact(text).rstrip(";{ ").removesuffix("=>").rstrip()
    for long, shown in _long_annotations(src, node, annotations):
        text = text.replace(long, shown, 1)
    return text if len(text) <= _SIGNATURE_MAX else text[: _SIGNATURE_MAX - 3] + "..."


def _before_brace(src: Source, node: Node, start: int) -> str:
    """`node`'s text from byte `start` up to its first `{` (a body, an initializer), without comments."""
    text = code_only(src, node, start, min(node.end_byte, start + 4 * _SIGNATURE_MAX), _COMMENT_MARKERS)
    brace = text.find("{")
    return text[:brace] if brace > 0 else text


def _body_in_place(node: Node) -> Node | None:
    """The body of the struct, union or enum a C declaration or typedef defines in place (`struct { int a; } v;`,
    `typedef struct { int a; } T;`): its signature was cut at it, `struct`, the name after it lost."""
    kind = node.child_by_field_name("type")
    return kind.child_by_field_name("body") if kind is not None else None


def _long_annotations(src: Source, node: Node, annotations: frozenset[str]) -> list[tuple[str, str]]:
    """(as written, as shown) for each annotation over MAX_DECORATOR characters among the definition's modifiers
    (Java's `@RequestMapping(value = "/api/...", method = GET) public String get()`), cut as a Python decorator is:
    a long one took most of the signature. Only modifiers longer than that are looked into."""
    first = node.child(0) if annotations else None
    if first is None or first.type != "modifiers" or first.end_byte - first.start_byte <= MAX_DECORATOR:
        return []
    found = []
    for child in first.children:
        if child.end_byte - child.start_byte > MAX_DECORATOR and child.type in annotations:
            text = compact(code_only(src, child, child.start_byte, child.end_byte, _COMMENT_MARKERS))
            found.append((text, shown_decorator(text)))
    return found


def _separator_before(data: bytes, start: int, arrow: bool) -> int:
    """Where the member separator (".", "::", "?.", and "->" where `arrow`) before an identifier starts, or -1.
    Two dots are no separator: a spread (`...items`) or a range (`0..limit`)."""
    p = start
    while p > 0 and data[p - 1] in _BLANK:
        p -= 1
    two = data[p - 2:p]
    if two in (b"::", b"?.") or (arrow and two == b"->"):
        return p - 2
    return p - 1 if p > 0 and data[p - 1] == 46 and two != b".." else -1


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
    caps = cursor(spec.refs).captures(root)
    skip_ranges = _union(names + [_span(n) for n in caps.pop("skip.range", [])])
    skip_starts = [a for a, _ in skip_ranges]
    receivers = {n.end_byte: n.start_byte for n in caps.pop("receiver", [])}
    best: dict[int, tuple[int, str, Node]] = {}
    for capture, nodes in caps.items():
        if capture[0] == "_":  # a predicate's operand (`@_module` in `module.exports = ...`), not a reference
            continue
        kind = capture.removeprefix("ref.")
        priority = _REF_PRIORITY.get(kind, 0)
        for node in nodes:
            start = node.start_byte
            old = best.get(start)
            if old is None or old[0] < priority:
                best[start] = (priority, kind, node)
    data = src.data
    ascii_src = src.ascii
    lines = src.line_starts() + [1 << 62]
    bounds = scopes.bounds + [1 << 62]
    skip_starts.append(1 << 62)
    skip_ranges.append((1 << 62, 1 << 62))
    row = scope = next_skip = 0
    names: dict[bytes, str] = {}
    quals: dict[bytes, str] = {}
    refs: list[Reference] = []
    for start, (_, kind, node) in sorted(best.items()):  # in document order: rows and scopes move forward
        if kind == "skip":
            continue
        while skip_ranges[next_skip][1] <= start:
            next_skip += 1
        if skip_starts[next_skip] <= start and kind != "export":  # `export default function f`: f is its name
            continue
        raw = data[start:node.end_byte]
        name = names.get(raw)
        if name is None:
            name = names[raw] = raw.decode("utf-8", "replace")
        qual = ""
        sep = _separator_before(data, start, spec.arrow)
        if kind == "name" or kind == "member":
            after = node.end_byte
            while data[after:after + 1] in (b" ", b"\t"):
                after += 1
            if data[after:after + 1] == b"(":
                kind = "call"
            elif sep >= 0 or kind == "member":
                kind = "attribute"
        if sep >= 0:
            recv_end = sep
            while recv_end > 0 and data[recv_end - 1] in _BLANK:
                recv_end -= 1
            recv_start = receivers.get(recv_end)
            if recv_start is not None:
                text = data[recv_start:sep]
                qual = quals.get(text)
                if qual is None:
                    qual = quals[text] = qualifier(text.decode("utf-8", "replace"))
        while lines[row + 1] <= start:
            row += 1
        while bounds[scope + 1] <= start:
            scope += 1
        col = start - lines[row] + 1 if ascii_src else src.col(row, start - lines[row])
        refs.append(Reference(name, row + 1, col, kind, qual, scopes.ids[scope]))
    return refs
