"""Go: functions, methods (`Type.Method`, parent the receiver type), struct, interface
and other types, interface methods, top-level constants and variables (not `_`, the blank name of
`var _ I = (*T)(nil)`, a compile-time check); imports with
their package alias. Qualnames start with the package clause: `shapes.Square.Area`."""

from __future__ import annotations

import tree_sitter_go
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

DEFS_SCM = r"""
(package_clause (package_identifier) @package)
(function_declaration name: (identifier) @name) @def.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: [
    (type_identifier) @receiver
    (pointer_type (type_identifier) @receiver)
    (generic_type type: (type_identifier) @receiver)
    (pointer_type (generic_type type: (type_identifier) @receiver))]))
  name: (field_identifier) @name) @def.method
(type_spec name: (type_identifier) @name type: (struct_type)) @def.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @def.interface
(type_spec name: (type_identifier) @name) @def.type
(type_alias name: (type_identifier) @name) @def.type
(method_elem name: (field_identifier) @name) @def.function
(source_file (const_declaration (const_spec (identifier) @name) @def.constant) (#not-eq? @name "_"))  ; `name:` takes only the first of `X, Y`
(source_file (var_declaration (var_spec name: (identifier) @name) @def.variable) (#not-eq? @name "_"))
(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name) @def.variable)) (#not-eq? @name "_"))
(import_spec) @import
"""

REFS_SCM = r"""
(identifier) @ref.name
(selector_expression operand: (_) @receiver)
(qualified_type package: (_) @receiver)
(type_identifier) @ref.type
(qualified_type name: (type_identifier) @ref.type)
(call_expression function: (identifier) @ref.call)
(field_identifier) @ref.member
(field_declaration name: (field_identifier) @skip)
(composite_literal type: (type_identifier) @ref.call)
(parameter_declaration name: (identifier) @skip)
(variadic_parameter_declaration name: (identifier) @skip)
(short_var_declaration left: (expression_list (identifier) @skip))
(var_spec name: (identifier) @skip)
(const_spec (identifier) @skip)
(range_clause left: (expression_list (identifier) @skip))
(labeled_statement label: (label_name) @skip)
(import_declaration) @skip.range
(package_clause) @skip.range
"""


def imports(src: Source, node: Node) -> list[Import]:
    """`m "math"` → Import("math", alias="m"); `_` and `.` aliases are kept as written."""
    path = node.child_by_field_name("path")
    name = node.child_by_field_name("name")
    module = src.slice(path.start_byte, path.end_byte).strip('"`') if path is not None else ""
    return [Import(module, [], src.slice(name.start_byte, name.end_byte) if name is not None else None)]


SPEC = tags.Spec("go", Language(tree_sitter_go.language()), DEFS_SCM, REFS_SCM, imports,
                 wrappers=frozenset({"type_declaration", "const_declaration", "var_declaration", "var_spec_list"}),
                 keywords={"type_spec": "type ", "type_alias": "type ", "const_spec": "const ", "var_spec": "var "})


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
