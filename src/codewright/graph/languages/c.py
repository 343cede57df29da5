"""C: functions (a prototype counts until the file defines the function), structs and unions and their members
(attributes, `point.x`; an anonymous one's are the typedef's or variable's it defines: `T.a`), enums and their
constants, typedefs, macros (the file's wherever defined), global variables (also in an include guard, an
`#ifdef` or `extern "C"`); `#include`s (level 1 for "quoted" includes, searched beside the file first, 0 for
<system> ones)."""

from __future__ import annotations

import tree_sitter_c
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

# Where a declaration is the file's (a prototype, a global): at the top, in a preprocessor block (an include
# guard, `#ifdef`: `file_level` drops one inside a function's body), in `extern "C" { }` or a C++ namespace.
FILE_PARENTS = ("translation_unit", "preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef",
                "declaration_list", "linkage_specification")


def function_declarator(names: str, wrappers: tuple[str, ...] = ()) -> str:
    """A function's declarator, its name (one of `names`) captured through pointer declarators (and the
    `wrappers`, which have no field: C++'s reference_declarator)."""
    plain = f"(function_declarator declarator: {names} @name)"
    forms = [plain, f"(pointer_declarator declarator: {plain})",
             f"(pointer_declarator declarator: (pointer_declarator declarator: {plain}))"]
    forms += [f"({wrapper} {plain})" for wrapper in wrappers]
    return "[\n  " + "\n  ".join(forms) + "]"


def value_declarator(name: str, capture: str = "name") -> str:
    """A variable's or a typedef's declarator, its name captured (as `capture`) through pointers, arrays and a
    function pointer's parentheses (`static const char *names[]`, `typedef int (*callback_t)(int)`)."""
    plain = f"({name}) @{capture}"
    forms = [plain, f"(pointer_declarator declarator: {plain})", f"(array_declarator declarator: {plain})",
             f"(pointer_declarator declarator: (pointer_declarator declarator: {plain}))",
             f"(pointer_declarator declarator: (array_declarator declarator: {plain}))",
             f"(array_declarator declarator: (array_declarator declarator: {plain}))",
             f"(function_declarator declarator: (parenthesized_declarator (pointer_declarator declarator: {plain})))"]
    return "[\n  " + "\n  ".join(forms) + "]"


def file_declarations(function: str, parents: tuple[str, ...]) -> str:
    """Prototypes and global variables under each of `parents`."""
    variable = value_declarator("identifier")  # (an alternation nested in another loses its inner branches)
    return "".join(f"""
({parent} (declaration declarator: {function}) @def.prototype)
({parent} (declaration declarator: {variable}) @def.variable)
({parent} (declaration declarator: (init_declarator declarator: {variable})) @def.variable)"""
                   for parent in parents)


def bodies_in_place(parents: tuple[str, ...]) -> str:
    """The body of an anonymous struct or union that a typedef, a member or a file's variable defines in place is
    a scope named by what it defines (`typedef struct { int a; } T;` holds `T.a`; `struct { int a; } v;` `v.a`):
    its members were the file's or, as the struct the declaration may define (`struct point { int x; } origin;`,
    `point`), the variable's. A typedef's anonymous enum holds its constants as a named enum does (`typedef enum {
    RED } Color;` holds `Color.RED`, as `enum color { RED };` `color.RED`); a variable's are the file's. A variable
    is the file's only under `parents`, as in file_declarations."""
    body = "[(struct_specifier !name body: (_) @scope) (union_specifier !name body: (_) @scope)]"
    typedef = "[(struct_specifier !name body: (_) @scope) (union_specifier !name body: (_) @scope)" \
              " (enum_specifier !name body: (_) @scope)]"
    variable = value_declarator("identifier", "scope.name")
    found = [f"(type_definition type: {typedef} declarator: {value_declarator('type_identifier', 'scope.name')})",
             f"(field_declaration type: {body} declarator: {value_declarator('field_identifier', 'scope.name')})"]
    for parent in parents:
        found += [f"({parent} (declaration type: {body} declarator: {variable}))",
                  f"({parent} (declaration type: {body} declarator: (init_declarator declarator: {variable})))"]
    return "\n".join(found) + "\n"


# Definitions C++ shares.
DEFS_SCM = rf"""
(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.union
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum
(enumerator name: (identifier) @name) @def.constant
(field_declaration declarator: {value_declarator("field_identifier")}) @def.attribute
(type_definition declarator: {value_declarator("type_identifier")}) @def.type
(preproc_def name: (identifier) @name) @def.constant
(preproc_function_def name: (identifier) @name) @def.macro
(preproc_include) @import
(init_declarator value: (initializer_list) @directives)
"""
FUNCTION = function_declarator("(identifier)")
C_DEFS_SCM = DEFS_SCM + file_declarations(FUNCTION, FILE_PARENTS) + bodies_in_place(FILE_PARENTS) + f"""
(function_definition declarator: {FUNCTION}) @def.function
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


# A typedef, a declaration and a member hold no symbol: a struct, union or enum they define is beside what they
# name (`typedef struct node {...} node_t`), an anonymous one's members in a scope (bodies_in_place).
FLAT = frozenset({"type_definition", "declaration", "field_declaration"})

# A macro is the file's wherever it is defined (in a struct's or an enum's body, a namespace, a function); the
# grammar misreads a `#define` between an enum's constants (`_directive_lines` in tags.py), and any directive in an
# initializer (`int t[] = {\n#include "t.inc"\n};`, an `#ifdef` between its elements), which DEFS_SCM captures:
# its grammar has none.
MACROS = frozenset({"preproc_def", "preproc_function_def"})
DIRECTIVES_IN = frozenset({"enumerator_list"})

SPEC = tags.Spec("c", Language(tree_sitter_c.language()), C_DEFS_SCM, REFS_SCM, imports, arrow=True,
                 flat=FLAT, file_level=frozenset({"variable", "prototype"}),
                 unscoped=MACROS, directives_in=DIRECTIVES_IN)


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
