"""C: functions (a prototype counts until the file defines the function), structs,
unions, enums, typedefs, macros, global variables; `#include`s (level 1 for "quoted"
includes, searched beside the file first, 0 for <system> ones)."""

from __future__ import annotations

import tree_sitter_c
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

# Definitions C++ shares; DECLARATOR matches a function's name through pointer declarators.
DECLARATOR = r"""[
  (function_declarator declarator: (_) @name)
  (pointer_declarator declarator: (function_declarator declarator: (_) @name))
  (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name)))]"""

DEFS_SCM = rf"""
(function_definition declarator: {DECLARATOR}) @def.function
(translation_unit (declaration declarator: {DECLARATOR}) @def.prototype)
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.union
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum
(type_definition declarator: (type_identifier) @name) @def.type
(preproc_def name: (identifier) @name) @def.constant
(preproc_function_def name: (identifier) @name) @def.macro
(translation_unit (declaration declarator: (init_declarator declarator: (identifier) @name)) @def.variable)
(translation_unit (declaration declarator: (identifier) @name) @def.variable)
(preproc_include) @import
"""

REFS_SCM = r"""
(identifier) @ref.name
(field_expression argument: (_) @receiver)
(type_identifier) @ref.type
(call_expression function: (identifier) @ref.call)
(field_identifier) @ref.member
(field_declaration declarator: (field_identifier) @skip)
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @skip))
(field_declaration declarator: (array_declarator declarator: (field_identifier) @skip))
(parameter_declaration declarator: (identifier) @skip)
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @skip))
(parameter_declaration declarator: (array_declarator declarator: (identifier) @skip))
(init_declarator declarator: (identifier) @skip)
(init_declarator declarator: (pointer_declarator declarator: (identifier) @skip))
(declaration declarator: (identifier) @skip)
(declaration declarator: (pointer_declarator declarator: (identifier) @skip))
(declaration declarator: (array_declarator declarator: (identifier) @skip))
(function_declarator declarator: (identifier) @skip)
(enumerator name: (identifier) @skip)
(preproc_def name: (identifier) @skip)
(preproc_function_def name: (identifier) @skip)
(preproc_params (identifier) @skip)
(preproc_include) @skip.range
"""


def imports(src: Source, node: Node) -> list[Import]:
    path = node.child_by_field_name("path")
    if path is None:
        return []
    text = src.slice(path.start_byte, path.end_byte).strip()
    quoted = text.startswith('"')
    return [Import(text.strip('"<> '), level=1 if quoted else 0)]


SPEC = tags.Spec("c", Language(tree_sitter_c.language()), DEFS_SCM, REFS_SCM, imports)


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
