"""C++: C's definitions plus classes, namespaces, methods (in a class body, or out of
line as `Class::method`, which nests under Class, the file's `ns::Class` after `using namespace ns;`),
templates. Qualnames use `::`."""

from __future__ import annotations

import tree_sitter_cpp
from tree_sitter import Language

from codewright.graph.facts import FileFacts
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source
from codewright.graph.languages.c import (
    DEFS_SCM,
    DIRECTIVES_IN,
    FILE_PARENTS,
    FLAT,
    MACROS,
    REFS_SCM,
    bodies_in_place,
    file_declarations,
    function_declarator,
    imports,
)

# A C++ function's name may be qualified (`Box::area`), a destructor, an operator or a template's; its declarator
# may be a reference (`int& ref()`); class bodies declare constructors and operators as plain declarations.
NAMES = "[(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function)]"
FUNCTION = function_declarator(NAMES, ("reference_declarator",))
CPP_DEFS_SCM = (DEFS_SCM + file_declarations(FUNCTION, (*FILE_PARENTS, "template_declaration"))
                + bodies_in_place(FILE_PARENTS) + rf"""
(function_definition declarator: {FUNCTION}) @def.function
(function_definition declarator: [(operator_cast) (qualified_identifier name: (operator_cast))] @name) @def.function
(class_specifier name: [(type_identifier) (template_type)] @name body: (field_declaration_list)) @def.class
(struct_specifier name: (template_type) @name body: (field_declaration_list)) @def.struct
(namespace_definition name: (_) @name) @def.namespace
(field_declaration declarator: {FUNCTION}) @def.prototype
(field_declaration_list (declaration declarator: {FUNCTION}) @def.prototype)
(field_declaration_list (declaration declarator: (operator_cast) @name) @def.prototype)
(field_declaration_list (template_declaration (declaration declarator: {FUNCTION}) @def.prototype))
(alias_declaration name: (type_identifier) @name) @def.type
(using_declaration "namespace" [(identifier) (qualified_identifier)] @name) @using
""")

CPP_REFS_SCM = REFS_SCM + r"""
(qualified_identifier scope: (_) @receiver)
(namespace_identifier) @ref.name
(call_expression function: (qualified_identifier name: (identifier) @ref.call))
(call_expression function: (template_function name: (identifier) @ref.call))
(qualified_identifier name: (type_identifier) @ref.type)
(base_class_clause (type_identifier) @ref.base)
(base_class_clause (qualified_identifier name: (type_identifier) @ref.base))
(base_class_clause (template_type name: (type_identifier) @ref.base))
(base_class_clause (qualified_identifier name: (template_type name: (type_identifier) @ref.base)))
(field_initializer (field_identifier) @ref.attribute)
(reference_declarator (identifier) @skip)
(type_parameter_declaration (type_identifier) @skip)
(parameter_declaration declarator: (reference_declarator (identifier) @skip))
(optional_parameter_declaration declarator: (identifier) @skip)
"""

SPEC = tags.Spec("cpp", Language(tree_sitter_cpp.language()), CPP_DEFS_SCM, CPP_REFS_SCM, imports,
                 separator="::", wrappers=frozenset({"template_declaration"}), arrow=True,
                 flat=FLAT, file_level=frozenset({"variable", "prototype"}),
                 unscoped=MACROS, directives_in=DIRECTIVES_IN)


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
