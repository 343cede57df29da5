"""JavaScript (and JSX): functions, classes, methods, top-level constants, ES and
CommonJS imports, references. Qualnames are `Class.method`; a function assigned at the top
level to an object's property (`res.send = function send(body)`, CommonJS style) or to a
prototype's (`Router.prototype.handle = ...`) is the method `res.send` / `Router.handle`, and so is each
of a chain (`res.type = res.contentType = function`, spanning the function: both its names are siblings); one assigned to `exports.f` or `module.exports.f` is the
module's function `f`, and a named function or class assigned to `module.exports` (`module.exports = function
run() {}`) is the module's `run`; an anonymous one, there or after `export default`, is the module's
`default`, as JavaScript names it (an anonymous class's methods are `default.go`); a generator function
(`function* () {}`) is taken wherever a function is; a class field holding a function is a method (`A.h`, a
private one `A.#h`, as a private method is); the
functions of an object assigned to
`module.exports` are the module's functions, as its methods written `parse() {}` are, and those of an object
held by a variable (`const api = {get: function (url) {}}`) are the variable's (`api.get`), like `post(url) {}`
beside them, wherever the variable is (in a block, an IIFE, a function: `f.local.get`), it being a symbol then;
those of an object assigned to a prototype (`Router.prototype = {handle: function () {}}`) are the class's
methods (`Router.handle`), as `Router.prototype.handle = function` is, and those of a module's default object
(`export default {render() {}}`) are `default.render`; those of an object a key holds in any of these are the
key's (`const A = {sub: {f() {}}}` gives `A.sub.f`, Vue's `export default {methods: {save() {}}}`
`default.methods.save`), the key a symbol then, and a key holding no function none, as a function's variable
holding none is none; in an object passed as an argument no key is a symbol, however deep. A computed key names
its method, field or function as written (`[Symbol.iterator]`), one holding a string, or a quoted key, by its text
(`['save']() {}` and `'save': function` are `save`).
`const x = require("m")` is an import, not a constant."""

from __future__ import annotations

import tree_sitter_javascript
from tree_sitter import Language, Node

from codewright.graph.facts import FileFacts, Import
from codewright.graph.languages import tags
from codewright.graph.languages.base import Source

# A function as a value: `function* () {}` is a generator_function, not a function_expression.
FUNCTION_VALUE = "[(arrow_function) (function_expression) (generator_function)]"

# A key in an object or a class as a definition's name: a computed one (`[Symbol.iterator]`, `['save']`) and a
# string (`'save'`) too, which name_parts reads (`[Symbol.iterator]` whole, `save` for both of the others).
KEY = "[(property_identifier) (string) (computed_property_name)]"
# A class's member may be private besides (`#h`), named as written. (One alternation: a nested one,
# `[{KEY} (private_property_identifier)]`, lost the computed key.)
MEMBER_KEY = "[(property_identifier) (string) (computed_property_name) (private_property_identifier)]"

# Definitions shared with TypeScript (whose class and function names are in the same fields).
DEFS_SCM = rf"""
(function_declaration name: (identifier) @name) @def.function
(generator_function_declaration name: (identifier) @name) @def.function
(class_declaration name: (_) @name) @def.class
(method_definition name: (_) @name) @def.function
(variable_declarator name: (identifier) @name value: {FUNCTION_VALUE}) @def.function
(program (lexical_declaration (variable_declarator name: (identifier) @name value: (_)? @_value) @def.variable)
  (#not-match? @_value "^require\\s*\\("))
(program (expression_statement (assignment_expression
  left: (member_expression object: (identifier) @receiver property: (property_identifier) @name) @_left
  right: {FUNCTION_VALUE}) @def.function)
  (#not-eq? @receiver "exports") (#not-eq? @_left "module.exports"))
(program (expression_statement (assignment_expression
  left: (member_expression object: (identifier) @receiver property: (property_identifier) @name) @_left
  right: (assignment_expression right: {FUNCTION_VALUE} @def.function)))
  (#not-eq? @receiver "exports") (#not-eq? @_left "module.exports"))
(program (expression_statement (assignment_expression right: (assignment_expression
  left: (member_expression object: (identifier) @receiver property: (property_identifier) @name) @_left
  right: {FUNCTION_VALUE} @def.function)))
  (#not-eq? @receiver "exports") (#not-eq? @_left "module.exports"))
(program (expression_statement (assignment_expression
  left: (member_expression object: (identifier) @_exports property: (property_identifier) @name)
  right: {FUNCTION_VALUE}) @def.function)
  (#eq? @_exports "exports"))
(program (expression_statement (assignment_expression
  left: (member_expression
    object: (member_expression object: (identifier) @_module property: (property_identifier) @_exports)
    property: (property_identifier) @name)
  right: {FUNCTION_VALUE}) @def.function)
  (#eq? @_module "module") (#eq? @_exports "exports"))
(program (expression_statement (assignment_expression
  left: (member_expression
    object: (member_expression object: (identifier) @receiver property: (property_identifier) @_prototype)
    property: (property_identifier) @name)
  right: {FUNCTION_VALUE}) @def.function)
  (#eq? @_prototype "prototype"))
(program (variable_declaration (variable_declarator name: (identifier) @name value: (_)? @_value) @def.variable)
  (#not-match? @_value "^require\\s*\\("))
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name value: (_)? @_value) @def.variable))
  (#not-match? @_value "^require\\s*\\("))
(program (export_statement (variable_declaration
  (variable_declarator name: (identifier) @name value: (_)? @_value) @def.variable))
  (#not-match? @_value "^require\\s*\\("))
(program (expression_statement (assignment_expression
  left: (member_expression object: (identifier) @_module property: (property_identifier) @_exports)
  right: (object [(pair key: {KEY} @name value: {FUNCTION_VALUE}) @def.function
                  (pair key: {KEY} @name value: (object)) @def.variable @members]))
  (#eq? @_module "module") (#eq? @_exports "exports")))
(variable_declarator name: (identifier) @name value: (object)) @def.variable @members
(program (expression_statement (assignment_expression
  left: (member_expression object: (identifier) @receiver property: (property_identifier) @_prototype)
  right: (object [(pair key: {KEY} @name value: {FUNCTION_VALUE}) @def.function
                  (method_definition name: (_) @name) @def.function
                  (pair key: {KEY} @name value: (object)) @def.variable @members])))
  (#eq? @_prototype "prototype"))
(export_statement "default" @default value: (object)) @def.variable
(import_statement) @import
(export_statement source: (string)) @import
(call_expression function: (identifier) @_require (#eq? @_require "require")
  arguments: (arguments . (string))) @import
(call_expression function: (import) arguments: (arguments . (string))) @import
"""

MODULE_EXPORTS = r"""(member_expression object: (identifier) @_module property: (property_identifier) @_exports)
  (#eq? @_module "module") (#eq? @_exports "exports")"""


# Each value a module's default may be: its node, its kind, and a keyword of it that stands for its name when it
# has none (no identifier: the references keep theirs).
_VALUES = (("function_expression", "function", '"function"'), ("generator_function", "function", '"function"'),
           ("class", "class", '"class"'), ("arrow_function", "function", '"=>"'))


def _module_values() -> str:
    """A named function or class that is a CommonJS module's whole value (`module.exports = function run()`,
    also through `exports = module.exports = ...`) is the module's `run`, as `export default function run` is.
    An anonymous one, there or after `export default`, is the module's `default`, the name JavaScript gives it in
    the module's namespace (`import * as m` reads it as `m.default`) and the one an import of the default
    finds: an anonymous class's methods were the module's functions (`go`, not `default.go`)."""
    forms = []
    for value, kind, keyword in _VALUES:
        shapes = [f"({value} !name {keyword} @default)"]
        if value != "arrow_function":
            shapes.append(f"({value} name: (_) @name)")
        for shape in shapes:
            forms.append(f"(program (expression_statement (assignment_expression left: {MODULE_EXPORTS}\n"
                         f"  right: {shape}) @def.{kind}))")
            forms.append(f"(program (expression_statement (assignment_expression right: (assignment_expression\n"
                         f"  left: {MODULE_EXPORTS} right: {shape} @def.{kind}))))")
        forms.append(f"(export_statement value: {shapes[0]} @def.{kind})")
    return "\n".join(forms) + "\n"


DEFS_SCM += _module_values()

# What holds an object whose keys may name its functions: a variable, a key, a module's default (`value:` in each).
_OBJECT_HOLDERS = ("variable_declarator", "pair", "export_statement")


def _object_members() -> str:
    """The functions of an object a definition holds are its own (`api.get`), and so are the keys holding objects
    in it, which name theirs in turn (`A.sub.f`). Only an object something holds is looked at, not one passed as
    an argument (`$.ajax({success: function () {}})`, most of a jQuery file's pairs), and a member is a symbol only
    where what holds its object is one (@object), a key only where a function is in it (@members)."""
    return "".join(f"({holder} value: (object (pair key: {KEY} @name value: {value}) @def.{kind}"
                   f"{flag}) @object)\n"
                   for holder in _OBJECT_HOLDERS
                   for value, kind, flag in ((FUNCTION_VALUE, "function", ""), ("(object)", "variable", " @members")))


DEFS_SCM += _object_members()

# A class field holding a function (`handleClick = () => {...}`, React's way to bind a handler) is a method, a
# private one (`#h = () => {}`) too, named as written (`A.#h`) as a private method `#m() {}` is.
JS_DEFS_SCM = DEFS_SCM + f"""
(field_definition property: {MEMBER_KEY} @name value: {FUNCTION_VALUE}) @def.function
"""

# References shared with TypeScript (a private member, `this.#step()`, is a member as a public one is); JS_REFS_SCM holds the patterns whose shape differs
# in TypeScript (bases wrapped in extends_clause, parameters in required_parameter, `default` an identifier).
# `export`: the name a module's default export stands for (`export default foo`, `export default function
# foo`, `export { foo as default }`, CommonJS `module.exports = foo` or `= function foo`), which an import of the
# default names.
REFS_SCM = r"""
(identifier) @ref.name
(member_expression object: (_) @receiver)
(call_expression function: (identifier) @ref.call)
(new_expression constructor: (identifier) @ref.call)
(property_identifier) @ref.member
(private_property_identifier) @ref.member
(pair key: (property_identifier) @skip)
(decorator (identifier) @ref.decorator)
(decorator (call_expression function: (identifier) @ref.decorator))
(arrow_function parameter: (identifier) @skip)
(function_expression name: (identifier) @skip)
(generator_function name: (identifier) @skip)
(variable_declarator name: (identifier) @skip)
(catch_clause parameter: (identifier) @skip)
(array_pattern (identifier) @skip)
(for_in_statement left: (identifier) @skip)
(import_statement) @skip.range
(export_statement source: (string)) @skip.range
(export_statement "default" value: (identifier) @ref.export)
(export_statement "default" declaration: [(function_declaration name: (identifier) @ref.export)
                                          (generator_function_declaration name: (identifier) @ref.export)
                                          (class_declaration name: (_) @ref.export)])
(assignment_expression left: """ + MODULE_EXPORTS + r"""
  right: [(identifier) @ref.export (function_expression name: (_) @ref.export) (generator_function name: (_) @ref.export)
         (class name: (_) @ref.export)])
"""

# JSX (JavaScript and TSX, not plain TypeScript): a component used is a call; intrinsic
# lowercase elements (<div>) are not references.
JSX_REFS_SCM = r"""
(jsx_opening_element name: (identifier) @ref.call)
(jsx_self_closing_element name: (identifier) @ref.call)
(jsx_opening_element name: (identifier) @skip (#match? @skip "^[a-z]"))
(jsx_self_closing_element name: (identifier) @skip (#match? @skip "^[a-z]"))
(jsx_closing_element name: (identifier) @skip)
(jsx_attribute (property_identifier) @skip)
"""

JS_REFS_SCM = r"""
(export_statement !source (export_clause (export_specifier name: (identifier) @ref.export "default")))
(formal_parameters (identifier) @skip)
(formal_parameters (assignment_pattern left: (identifier) @skip))
(class_heritage (identifier) @ref.base)
(class_heritage (member_expression property: (property_identifier) @ref.base))
"""

WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration"})


def module_path(src: Source, node: Node) -> str:
    """The text of a string literal node without its quotes."""
    text = src.slice(node.start_byte, node.end_byte)
    return text[1:-1] if len(text) >= 2 and text[0] in "\"'`" else text


def es_imports(src: Source, node: Node) -> list[Import]:
    """`import d, {a as b, c} from "m"` → m [default] as d, m [c], m [a] as b; `require("m")` → m; a dynamic
    `import("m")` → m (the module loaded on demand: `lazy(() => import("./Page"))`); TypeScript's
    `import x = require("m")` → m as x."""
    source = node.child_by_field_name("source")
    if node.type == "call_expression":
        return _required(src, node)
    clause = next((c for c in node.named_children if c.type == "import_require_clause"), None)
    if clause is not None and clause.child_by_field_name("source") is not None:
        local = next((c for c in clause.named_children if c.type == "identifier"), None)
        return [Import(module_path(src, clause.child_by_field_name("source")), [],
                       _text(src, local) if local is not None else None)]
    module = module_path(src, source) if source is not None else ""
    plain: list[str] = []
    found: list[Import] = []
    stack = [(node.type, child) for child in node.named_children]
    while stack:
        parent_type, child = stack.pop(0)
        if child.type == "identifier" and parent_type == "import_clause":
            found.append(Import(module, ["default"], _text(src, child)))
        elif child.type == "namespace_import" or child.type == "namespace_export":
            alias = child.named_child(0)
            found.append(Import(module, ["*"], _text(src, alias) if alias is not None else None))
        elif child.type in ("import_specifier", "export_specifier"):
            name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
            if alias is None:
                plain.append(_text(src, name))
            else:
                found.append(Import(module, [_text(src, name)], _text(src, alias)))
        elif child.type in ("import_clause", "named_imports", "export_clause"):
            stack[0:0] = [(child.type, grandchild) for grandchild in child.named_children]
    if node.type == "export_statement" and not plain and not found:
        plain.append("*")
    if plain or not found:
        found.insert(0, Import(module, plain))
    return found


def _required(src: Source, call: Node) -> list[Import]:
    """What a CommonJS `require` (or a dynamic `import()`, awaited) binds: `const x = require("m")` the module
    as x, `const {a, b: c} = require("m")` its members a and b (as c), `const f = require("m").g` its member g
    as f. A call whose value is not kept binds no name."""
    module = module_path(src, call.child_by_field_name("arguments").named_child(0))
    holder, member = call.parent, None
    if holder is not None and holder.type == "await_expression":  # `const m = await import("m")`
        holder = holder.parent
    if holder is not None and holder.type == "member_expression":
        prop = holder.child_by_field_name("property")
        member, holder = _text(src, prop), holder.parent
    name = holder.child_by_field_name("name") if holder is not None and holder.type == "variable_declarator" else None
    if name is None:
        if not member and _is_module_exports(src, holder):  # `module.exports = require("m")`: m's exports
            return [Import(module, ["*"]), Import(module, ["default"])]
        return [Import(module, [member] if member else [])]
    if name.type == "identifier":
        local = _text(src, name)
        return [Import(module, [member], None if local == member else local) if member else Import(module, [], local)]
    if name.type != "object_pattern" or member:
        return [Import(module, [member] if member else [])]
    plain, renamed = [], []
    for part in name.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            plain.append(_text(src, part))
        elif part.type == "pair_pattern" and part.child_by_field_name("value").type == "identifier":
            renamed.append(Import(module, [_text(src, part.child_by_field_name("key"))],
                                  _text(src, part.child_by_field_name("value"))))
    return [Import(module, plain), *renamed] if plain or not renamed else renamed


def _is_module_exports(src: Source, node: Node | None) -> bool:
    """Whether `node` assigns to `module.exports` (a CommonJS module's whole value)."""
    left = node.child_by_field_name("left") if node is not None and node.type == "assignment_expression" else None
    return left is not None and _text(src, left) == "module.exports"


def _text(src: Source, node: Node) -> str:
    return src.slice(node.start_byte, node.end_byte)


SPEC = tags.Spec("javascript", Language(tree_sitter_javascript.language()), JS_DEFS_SCM, REFS_SCM + JS_REFS_SCM + JSX_REFS_SCM,
                 es_imports,
                 wrappers=WRAPPERS, attributes=frozenset({"decorator"}))


def extract(path: str, src: Source, module: str, language: str) -> FileFacts:
    return tags.extract(SPEC, path, src)
