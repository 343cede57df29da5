"""Map edges from uses matched to definitions by name, in every language but Python.

Python's resolver follows imports, classes and calls, so its unresolved uses are mostly
attributes of values it cannot type, where a name says little. The other languages resolve
only what imports name, yet most of their uses cross files another way: a Go package spans
its folder, a CommonJS module hands out an object. There a use of `send` leans on the files
that define `send`, as in ctags-based maps: each of the k definitions (in the same language
family, other files) gets 1/k of the use's weight, so a name defined everywhere adds little.
Only what a use can name is matched: `x.name` a member, a bare `name` a top-level definition
(or, in Java and C++, a member of the implicit `this`). Not a name the file's imports bind, nor a member of
one (`test` from 'ava', `fmt.Println`): the import says what it is, in the tree or not. Not
a definition inside a function, which is the function's own. In JavaScript, whose modules
(CommonJS and ES alike) keep their top-level names to themselves, a use matches only a member
assigned to an object (`_js_member`) and only through that object's name, as CommonJS code
writes it in every module: `res.send(...)` names `res.send = function`, `router.handle(...)`
names `Router.prototype.handle = ...`; `arr.length` names no `$state.length`. Not vendored
or minified files (jQuery's `e` and `t` are not the tree's), nor names of one or two characters.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict

from codewright.graph.files import is_vendored
from codewright.graph.resolve import spills_constants
from codewright.graph.store import split_id


def name_edges(conn: sqlite3.Connection) -> list[tuple[int, str, int, float]]:
    """(file id, target symbol id, uses, share): the file's uses of a name that imports left
    unresolved, and the share of them each of the k definitions they may name gets (1/k)."""
    languages = {
        file_id: language
        for file_id, path, language in conn.execute(
            "SELECT id, path, language FROM files WHERE status='indexed' AND language IS NOT NULL"
            " AND language != 'python'")
        if not is_vendored(path)
    }
    if not languages:
        return []
    families = {file_id: _FAMILY.get(language, language) for file_id, language in languages.items()}
    definers = _definers(conn, languages)
    edges = []
    for file_id, family in families.items():
        implicit_this = languages[file_id] in _IMPLICIT_THIS
        bound = _imported_names(conn, file_id)
        for name, qualifier, member, uses in conn.execute(
                "SELECT name, qualifier, kind = 'attribute', count(*) FROM refs WHERE file_id=? AND target IS NULL"
                " GROUP BY name, qualifier, kind = 'attribute'", (file_id,)):
            if name in bound or qualifier.split(".", 1)[0] in bound:
                continue
            defs = [(sid, where) for owner in _owners(family, qualifier, member, implicit_this)
                    for sid, where in definers.get((family, name, owner), ()) if where != file_id]
            edges.extend((file_id, sid, uses, 1 / len(defs)) for sid, _ in defs)
    return edges


def _owners(family: str, qualifier: str, member: bool, implicit_this: bool) -> tuple[str, ...]:
    """The owners (see `_definers`) of what a use can name: `x.name` (or a field named in a struct
    literal) a member, a bare `name` a top-level definition, or in a Java or C++ file (`implicit_this`) a
    member too (of `this`, implicit); not in a C file, which shares C++'s family: a C function's `count` is a
    local or a global, no struct's member."""
    if family == "javascript":
        return (qualifier.rsplit(".", 1)[-1].lower(),)
    if qualifier or member:
        return (_MEMBER,)
    return ("", _MEMBER) if implicit_this else ("",)


def _imported_names(conn: sqlite3.Connection, file_id: int) -> set[str]:
    """The local names a file's imports bind: aliases, imported names, Go's package names."""
    found: set[str] = set()
    for module, names, alias in conn.execute("SELECT module, names, alias FROM imports WHERE file_id=?", (file_id,)):
        found.add(alias or re.split(r"[/.:]", module.rstrip("/"))[-1])
        found.update(n for n in names.split(",") if n not in ("", "*", "default"))
    return found


def _definers(conn: sqlite3.Connection, languages: dict[int, str]) -> dict[tuple[str, str, str], list[tuple[str, int]]]:
    """(language family, name, owner) -> [(symbol id, file id)] of the definitions a use may name.
    The owner is "" for a top-level definition (a C enum's constant too, a name of the scope around the enum) and
    "." for a member (a method, a field, what a class or struct holds); in JavaScript, the lowercased object a
    member is assigned to."""
    found: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    rows = conn.execute(
        "SELECT s.name, s.sid, s.file_id, s.kind, p.kind, p.signature FROM symbols s"
        " LEFT JOIN symbols p ON p.sid = s.parent WHERE s.kind != 'module' AND NOT (p.kind IN ('function', 'method')"
        " AND s.start_line BETWEEN p.start_line AND p.end_line)")  # a function's own definitions
    for name, sid, file_id, kind, parent_kind, parent_signature in rows:
        language = languages.get(file_id)
        if language is None or len(name) < _MATCHED_NAME_MIN:
            continue
        family = _FAMILY.get(language, language)
        if family != "javascript":
            member = (kind in _MEMBER_KINDS or parent_kind in _CONTAINERS) and not (
                kind == "constant" and spills_constants(language, parent_kind, parent_signature))
            found[(family, name, _MEMBER if member else "")].append((sid, file_id))
        elif _js_member(sid, parent_kind):
            found[(family, name, split_id(sid)[1].split(".", 1)[0].lower())].append((sid, file_id))
    return found


def _js_member(sid: str, parent_kind: str | None) -> bool:
    """A JavaScript definition another module reaches by name: a member assigned to an object or
    prototype (`res.send = ...`, `Router.prototype.send = ...`). Top-level names stay in their
    module (`exports.send = ...` defines the module's `send`, which imports resolve); a class's
    members are reached through values no import names, as in Python, which is left to the resolver."""
    return "." in split_id(sid)[1] and parent_kind not in _CLASSES


_FAMILY = {"typescript": "javascript", "tsx": "javascript", "cpp": "c"}  # languages that use each other's names
_MATCHED_NAME_MIN = 3
_CLASSES = frozenset({"class", "interface"})
_MEMBER = "."
_MEMBER_KINDS = frozenset({"method", "attribute"})
_CONTAINERS = frozenset({"class", "interface", "struct", "enum", "trait", "union"})
_IMPLICIT_THIS = frozenset({"java", "cpp"})  # languages whose bare names may be members
