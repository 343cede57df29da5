"""Rust: functions, methods (inside `impl Type` they nest under Type, also `impl Show for &Type`, `[Type]`
and `dyn Type`), structs, enums and their variants, unions, traits and their associated types, type aliases,
consts (not `const _`, a compile-time check), statics, inline modules and macros; `use` trees flattened to one
Import per path (`crate::geo` [Point]; `a::b::{self}` as `a` [b]); `mod x;` and `extern crate x;` import x.
An inline module (`mod inner { ... }`) is of kind `namespace`, as C++'s and TypeScript's are: kind `module` is a
file's own symbol, which outlines, name lookups and the names a file defines leave out.
Qualnames use `::` (`inner::f`, `Square::area`), without the crate name."""

from __future__ import annotations

import tree_sitter_rust
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

# What an `impl` block's methods nest under: its type's name, through generics, a path, a reference, a pointer,
# a slice (`impl Show for [W]`) or a trait object (`impl dyn Show`); a primitive type too (`impl Show for u8`).
_TYPE_NAMES = ("(type_identifier) @scope.name", "(generic_type type: (type_identifier) @scope.name)",
               "(generic_type type: (scoped_type_identifier name: (type_identifier) @scope.name))",
               "(scoped_type_identifier name: (type_identifier) @scope.name)")
_WRAPPED = ("reference_type type:", "pointer_type type:", "array_type element:", "dynamic_type trait:")
_PRIMITIVE = ["(primitive_type) @scope.name", *(f"({w} (primitive_type) @scope.name)" for w in _WRAPPED[:3])]
IMPL_TARGET = "[\n  " + "\n  ".join([*_TYPE_NAMES, *(f"({w} {t})" for w in _WRAPPED for t in _TYPE_NAMES),
                                     *_PRIMITIVE]) + "]"

DEFS_SCM = rf"""
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(enum_variant name: (identifier) @name) @def.constant
(union_item name: (type_identifier) @name) @def.union
(trait_item name: (type_identifier) @name) @def.trait
(type_item name: (type_identifier) @name) @def.type
(const_item name: (identifier) @name (#not-eq? @name "_")) @def.constant
(static_item name: (identifier) @name) @def.constant
(mod_item name: (identifier) @name body: (declaration_list)) @def.namespace
(macro_definition name: (identifier) @name) @def.macro
(associated_type name: (type_identifier) @name) @def.type
(impl_item type: {IMPL_TARGET}) @scope
(use_declaration) @import
(extern_crate_declaration) @import
(mod_item name: (identifier) !body) @import
"""

REFS_SCM = r"""
(identifier) @ref.name
(field_expression value: (_) @receiver)
(scoped_identifier path: (_) @receiver)
(scoped_type_identifier path: (_) @receiver)
(type_identifier) @ref.type
(scoped_type_identifier name: (type_identifier) @ref.type)
(call_expression function: (identifier) @ref.call)
(call_expression function: (scoped_identifier name: (identifier) @ref.call))
(call_expression function: (generic_function function: (identifier) @ref.call))
(macro_invocation macro: (identifier) @ref.call)
(struct_expression name: (type_identifier) @ref.call)
(field_identifier) @ref.member
(field_declaration name: (field_identifier) @skip)
(impl_item trait: (type_identifier) @ref.base)
(trait_bounds (type_identifier) @ref.base)
(attribute_item (attribute (identifier) @ref.decorator))
(parameter pattern: (identifier) @skip)
(enum_variant name: (identifier) @skip)
(mod_item name: (identifier) @skip)
(const_item name: (identifier) @skip)
(let_declaration pattern: (identifier) @skip)
(closure_parameters (identifier) @skip)
(for_expression pattern: (identifier) @skip)
(tuple_pattern (identifier) @skip)
(use_declaration) @skip.range
(extern_crate_declaration) @skip.range
(macro_definition) @skip.range
"""


def imports(src: Source, node: Node) -> list[Import]:
    """Flattens a `use` tree: `use a::{b, c::d as e, f::*}` → a [b], a::c [d] as e, a::f [*]. Each import's
    level is the count of inline modules around it, from which the resolver reads `self` and `super`."""
    found = _imports(src, node)
    level = _inline_modules_around(node)
    for imp in found:
        imp.level = level
    return found


def _inline_modules_around(node: Node) -> int:
    """How many `mod name { ... }` hold the node (a `use` is rarely deeper than two)."""
    count = 0
    parent = node.parent
    while parent is not None:
        count += parent.type == "mod_item"
        parent = parent.parent
    return count


def _imports(src: Source, node: Node) -> list[Import]:
    if node.type == "mod_item":
        name = node.child_by_field_name("name")
        return [Import(src.slice(name.start_byte, name.end_byte))]
    if node.type == "extern_crate_declaration":  # `extern crate alloc as a;`
        name, alias = node.child_by_field_name("name"), node.child_by_field_name("alias")
        return [Import(_text(src, name), [], _text(src, alias) if alias is not None else None)] if name else []
    found: list[Import] = []
    stack: list[tuple[str, Node]] = [("", node.child_by_field_name("argument"))]
    while stack:
        prefix, tree = stack.pop()
        if tree is None:
            continue
        kind = tree.type
        if kind == "scoped_use_list":
            path = tree.child_by_field_name("path")
            inner = _join(prefix, _text(src, path) if path is not None else "")
            stack.extend((inner, child) for child in reversed(tree.child_by_field_name("list").named_children))
        elif kind == "use_list":
            stack.extend((prefix, child) for child in reversed(tree.named_children))
        elif kind == "use_as_clause":
            module, name = _split(_join(prefix, _text(src, tree.child_by_field_name("path"))))
            found.append(Import(module, [name], _text(src, tree.child_by_field_name("alias"))))
        elif kind == "use_wildcard":
            found.append(Import(_join(prefix, _text(src, tree).removesuffix("*").rstrip(":")), ["*"]))
        else:
            module, name = _split(_join(prefix, _text(src, tree)))
            found.append(Import(module, [name]) if module else Import(name))
    return found


def _text(src: Source, node: Node) -> str:
    return "".join(src.slice(node.start_byte, node.end_byte).split())


def _join(prefix: str, path: str) -> str:
    return f"{prefix}::{path}" if prefix and path else prefix or path


def _split(path: str) -> tuple[str, str]:
    """`a::b` → (a, b); `a::b::self` (`use a::b::{self}`) names b as well."""
    module, _, name = path.removesuffix("::self").rpartition("::")
    return module, name


SPEC = tags.Spec("rust", Language(tree_sitter_rust.language()), DEFS_SCM, REFS_SCM, imports, separator="::",
                 comments=frozenset({"line_comment", "block_comment"}),
                 attributes=frozenset({"attribute_item"}))


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
