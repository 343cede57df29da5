"""Java: classes, interfaces, enums and their constants, records, annotation types and their elements,
methods, constructors (a record's compact one too) and fields; imports split into module and name (`java.util` [List]); qualnames start
with the package: `com.example.Square.area`."""

from __future__ import annotations

import tree_sitter_java
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

DEFS_SCM = r"""
(package_declaration [(scoped_identifier) (identifier)] @package)
(class_declaration name: (identifier) @name) @def.class
(record_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(annotation_type_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(method_declaration name: (identifier) @name) @def.method
(constructor_declaration name: (identifier) @name) @def.method
(compact_constructor_declaration name: (identifier) @name) @def.method
(annotation_type_element_declaration name: (identifier) @name) @def.method
(enum_constant name: (identifier) @name) @def.constant
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @def.attribute
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @def.constant
(import_declaration) @import
"""

REFS_SCM = r"""
(identifier) @ref.name
(field_access object: (_) @receiver)
(method_invocation object: (_) @receiver)
(scoped_type_identifier . (_) @receiver)
(type_identifier) @ref.type
(object_creation_expression type: (type_identifier) @ref.call)
(superclass (type_identifier) @ref.base)
(super_interfaces (type_list (type_identifier) @ref.base))
(extends_interfaces (type_list (type_identifier) @ref.base))
(superclass (generic_type (type_identifier) @ref.base))
(super_interfaces (type_list (generic_type (type_identifier) @ref.base)))
(extends_interfaces (type_list (generic_type (type_identifier) @ref.base)))
(marker_annotation name: (identifier) @ref.decorator)
(annotation name: (identifier) @ref.decorator)
(formal_parameter name: (identifier) @skip)
(enum_constant name: (identifier) @skip)
(spread_parameter (variable_declarator name: (identifier) @skip))
(catch_formal_parameter name: (identifier) @skip)
(variable_declarator name: (identifier) @skip)
(enhanced_for_statement name: (identifier) @skip)
(lambda_expression parameters: (identifier) @skip)
(inferred_parameters (identifier) @skip)
(import_declaration) @skip.range
(package_declaration) @skip.range
"""


def imports(src: Source, node: Node) -> list[Import]:
    """`import java.util.List;` → ("java.util", [List]); `.*` → [*]; static imports alike (the keyword read as
    the grammar's token: `import statics.Util;` is the package statics)."""
    text = "".join(src.slice(node.start_byte, node.end_byte).split()).removeprefix("import")
    if any(child.type == "static" for child in node.children):
        text = text.removeprefix("static")
    text = text.rstrip(";")
    module, _, name = text.rpartition(".")
    return [Import(module, [name])] if module else [Import(name)]


SPEC = tags.Spec("java", Language(tree_sitter_java.language()), DEFS_SCM, REFS_SCM, imports,
                 comments=frozenset({"block_comment", "line_comment"}),
                 annotations=frozenset({"annotation", "marker_annotation"}))


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
