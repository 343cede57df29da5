"""C++: C's definitions plus classes, namespaces, methods (in a class body, or out of
line as `Class::method`, which nests under Class), templates. Qualnames use `::`."""

from __future__ import annotations

import tree_sitter_cpp
from tree_sitter import Language

from codewright.graph.facts import FileFacts
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source
from codewright.graph.languages.c import DECLARATOR, DEFS_SCM, REFS_SCM, imports

CPP_DEFS_SCM = DEFS_SCM + rf"""
(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.class
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(namespace_definition name: (_) @name) @def.namespace
(field_declaration declarator: {DECLARATOR}) @def.prototype
(field_declaration declarator: (field_identifier) @name) @def.attribute
(alias_declaration name: (type_identifier) @name) @def.type
"""

CPP_REFS_SCM = REFS_SCM + r"""
(qualified_identifier scope: (_) @receiver)
(namespace_identifier) @ref.name
(call_expression function: (qualified_identifier name: (identifier) @ref.call))
(call_expression function: (template_function name: (identifier) @ref.call))
(qualified_identifier name: (type_identifier) @ref.type)
(base_class_clause (type_identifier) @ref.base)
(base_class_clause (qualified_identifier name: (type_identifier) @ref.base))
(field_initializer (field_identifier) @ref.attribute)
(reference_declarator (identifier) @skip)
(type_parameter_declaration (type_identifier) @skip)
(parameter_declaration declarator: (reference_declarator (identifier) @skip))
(optional_parameter_declaration declarator: (identifier) @skip)
"""

SPEC = tags.Spec("cpp", Language(tree_sitter_cpp.language()), CPP_DEFS_SCM, CPP_REFS_SCM, imports,
                 separator="::", wrappers=frozenset({"template_declaration"}))


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
