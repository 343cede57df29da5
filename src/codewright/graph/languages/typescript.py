"""TypeScript and TSX: JavaScript's definitions plus interfaces, type aliases, enums (their members are
constants), namespaces, ambient declarations (`declare const`, `declare module "m"`) and signatures; an
overload's signature (`function f(x: string): number;`) is a prototype, which the implementation after it
replaces; type names are references of kind "type"."""

from __future__ import annotations

import tree_sitter_typescript
from tree_sitter import Language

from codewright.graph.facts import FileFacts
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source
from codewright.graph.languages.javascript import (
    DEFS_SCM,
    FUNCTION_VALUE,
    JSX_REFS_SCM,
    REFS_SCM,
    WRAPPERS,
    es_imports,
)

TS_DEFS_SCM = DEFS_SCM + rf"""
(abstract_class_declaration name: (_) @name) @def.class
(interface_declaration name: (_) @name) @def.interface
(type_alias_declaration name: (_) @name) @def.type
(enum_declaration name: (_) @name) @def.enum
(internal_module name: (_) @name) @def.namespace
(module name: (_) @name) @def.namespace
(interface_body (method_signature name: (_) @name) @def.function)
(object_type (method_signature name: (_) @name) @def.function)
(class_body (method_signature name: (_) @name) @def.prototype)
(abstract_method_signature name: (_) @name) @def.function
(function_signature name: (_) @name) @def.prototype
(enum_body name: (property_identifier) @name @def.constant)
(enum_body (enum_assignment name: (property_identifier) @name) @def.constant)
(program (ambient_declaration [(lexical_declaration (variable_declarator name: (identifier) @name) @def.variable)
                               (variable_declaration (variable_declarator name: (identifier) @name) @def.variable)]))
(public_field_definition name: (_) @name) @def.attribute
(public_field_definition name: (_) @name value: {FUNCTION_VALUE}) @def.function
(internal_module body: (statement_block (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name) @def.variable))))
"""

TS_REFS_SCM = REFS_SCM + r"""
(export_statement !source (export_clause (export_specifier name: (identifier) @ref.export
  alias: (identifier) @_alias (#eq? @_alias "default"))))
(type_identifier) @ref.type
(nested_type_identifier name: (type_identifier) @ref.type)
(nested_type_identifier module: (_) @receiver)
(extends_clause value: (identifier) @ref.base)
(extends_clause value: (member_expression property: (property_identifier) @ref.base))
(implements_clause (type_identifier) @ref.base)
(extends_type_clause type: (type_identifier) @ref.base)
(required_parameter pattern: (identifier) @skip)
(optional_parameter pattern: (identifier) @skip)
(enum_body name: (property_identifier) @skip)
(enum_assignment name: (property_identifier) @skip)
(property_signature name: (property_identifier) @skip)
"""

_WRAPPERS = WRAPPERS | {"expression_statement", "ambient_declaration"}
SPECS = {
    name: tags.Spec(name, Language(grammar()), TS_DEFS_SCM, TS_REFS_SCM + jsx, es_imports, wrappers=_WRAPPERS,
                    attributes=frozenset({"decorator"}))
    for name, grammar, jsx in (("typescript", tree_sitter_typescript.language_typescript, ""),
                               ("tsx", tree_sitter_typescript.language_tsx, JSX_REFS_SCM))
}


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPECS[language], path, src)
