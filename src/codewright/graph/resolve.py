"""Turning what a file writes (`import x`, `foo.bar()`) into files and symbols of the tree.

Two steps, both pure lookups in tables built from the whole tree:

1. An import's module string becomes a repository path (`ModuleMap.resolve`): Python
   dotted and relative modules, JS/TS relative specifiers with their extensions and
   index files, Go import paths under the go.mod module path (a package directory), a Python namespace
   package (a folder without __init__.py) as its folder, C/C++ quoted includes, Java packages and classes,
   Rust `crate::`/`self::`/`super::` paths and `mod` as the modules' files declare them (src/net.rs's
   `mod tcp;` is src/net/tcp.rs).
2. Each file's imports become bindings (name -> symbol or file), and a reference resolves
   when its name (or its qualifier's head) is bound by the file itself or by one of those
   bindings, or, in Go and Java, by a file of the same package (`Resolver.resolve_ref`); each later name of a
   dotted qualifier is a member of what the names before it resolve to (`mod.Class.method()`), a Python class's
   member possibly one of its bases' (in the method resolution order, while the bases are the tree's); an import
   in a function (`from pkg.mod import helper` in a method, Rust's `use` in a fn or an inline module) binds
   before those, for the references in that function and the functions in it (not in a class's methods, for its
   body's); in a Java class, a method called bare or a class named bare is first a member of that class or of
   one around it; in a Go method, a name its receiver qualifies (`c.Flags()`) is a member of the receiver's type. Only
   targets the imports or the package make clear are recorded: no guessing across the tree by
   bare name. Re-exports are followed: `from .x import Name` and chains of star imports in
   Python (the names `__all__` lists, or every public one), `export * from` and default exports
   in JavaScript and TypeScript. A module's `export` references say what it exports: the
   strings of Python's `__all__`; `export default f` and CommonJS `module.exports = f`, which a
   default import or a `require` of the module resolves through.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from codewright.graph import jsresolve
from codewright.graph.jsresolve import JsLayout
from codewright.graph.store import split_id

K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _CycleSafeMemo(Generic[K, V]):
    """The answers of a recursive search by key, kept only where the search met no cycle (star imports that import
    each other, classes that inherit from each other): an answer found inside a cycle depends on where it started.
    A key asked again while its own search is under way is the cycle, and answers None."""

    answers: dict[K, V | None] = field(default_factory=dict)
    under_way: set[K] = field(default_factory=set)
    cycle: bool = False  # whether the searches under way met one of themselves

    def search(self, key: K, find: Callable[[], V | None]) -> V | None:
        if key in self.answers:
            return self.answers[key]
        if key in self.under_way:
            self.cycle = True
            return None
        self.under_way.add(key)
        found = find()
        self.under_way.discard(key)
        if not self.cycle:
            self.answers[key] = found
        elif not self.under_way:  # the outermost search of a cycle: the next one starts clean
            self.cycle = False
        return found


GO_MOD = "go.mod"  # at the root: the module path Go imports start with
_JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
# The TypeScript files an import of the compiled file's name loads, as TypeScript reads it: `./util.mjs` is util.mts
_TS_SOURCES = {".js": (".ts", ".tsx", ".d.ts"), ".jsx": (".tsx",), ".mjs": (".mts", ".d.mts"),
               ".cjs": (".cts", ".d.cts")}
SELF_NAMES = ("self", "cls", "this")
SELF_PREFIXES = tuple(f"{name}." for name in SELF_NAMES)  # a dotted qualifier read from the class it is in
SUPER_CALL = "super()"  # the qualifier of Python's `super().m()`; of `super(C, self).m()`, `super(C)`
SUPER_PREFIX = "super("
_SUPER = re.compile(r"super\((?:([\w.]*)\.)?(\w*)\)")  # a super call's qualifier: the qualifier and name of its class
_CALLED = re.compile(r"(?:([\w.]*)\.)?(\w+)\(\)")  # the qualifier of a call's result (`A()`, `mod.A()`): its callee
_PACKAGE_SCOPED = frozenset({"go", "java"})
# Languages where a bare name in a class can be a member of it or of a class around it (no `this.` needed), and the
# kinds of reference that are such a member there: a method called, a class named; a variable may be a local one.
_IMPLICIT_THIS = frozenset({"java"})
_MEMBER_KINDS = frozenset({"call", "type", "base"})
# Languages whose star imports re-export (`from .core import *` in a package, `export * from "./a"`), so a name
# is looked for through chains of them; a C include's own includes are not followed (a header's closure is large).
_JS = frozenset({"javascript", "typescript", "tsx"})
_STARS_CHAIN = _JS | {"python"}
# A module, its stub (which has the module's name) and a script for pythonw (a module too: Windows imports it)
_PY_SUFFIXES = (".py", ".pyi", ".pyw")
_PY_INITS = ("__init__.py", "__init__.pyi")  # either makes its folder a package (a stub-only package has the .pyi)
# The files that one dotted name can be in one folder of sys.path, in the order imports take them: a package before a
# module, as Python's import system takes `foo/__init__.py` before `foo.py` beside it; what runs before a stub (a
# stub-only package's __init__.pyi before a module's stub, as type checkers take them)
_PY_FORMS = ("/__init__.py", ".py", ".pyw", "/__init__.pyi", ".pyi")
_FORM_RANK = {form: rank for rank, form in enumerate(_PY_FORMS)}


SCOPED_ENUMS = ("enum class ", "enum struct ")  # C++'s enums whose constants are theirs alone


def spills_constants(language: str | None, kind: str, signature: str) -> bool:
    """Whether the constants a symbol holds are names of the scope around it too: a C or C++ enum's (`enum color
    { RED };`, a typedef's `typedef enum { RED } Color;`), which the language puts there, so that a bare `RED`
    names `color.RED`; not those of C++'s `enum class`, which only `Color::RED` names."""
    return language in ("c", "cpp") and kind in ("enum", "type") and not signature.startswith(SCOPED_ENUMS)


def is_layout_file(path: str) -> bool:
    """Whether the file's text, not only its path, changes what imports resolve to (go.mod, a tsconfig, a
    package.json)."""
    return path == GO_MOD or jsresolve.is_layout_file(path)


def is_package_init(path: str) -> bool:
    """Whether the file is a package's `__init__.py`, or its stub `__init__.pyi`."""
    return posixpath.basename(path) in _PY_INITS


def _without_py_suffix(path: str) -> str | None:
    """The path of a Python module or stub without its suffix, None for any other file."""
    for suffix in _PY_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return None


def python_files(base: str) -> list[str]:
    """The files the module `base` (a path without suffix: `pkg/mod`) can be, in the order imports take them."""
    return [base + form for form in _PY_FORMS]


def owner_order(path: str, module: str) -> tuple[int, int, str]:
    """How a file ranks among the files one dotted name `module` can name: the one whose source root (the folder
    above its outermost package) is nearest the tree's root first, as the root is on sys.path before any folder
    below it (`foo/__init__.py` before `bin/foo.py`); then by `_PY_FORMS` (`foo/__init__.py` before `foo.py`);
    then by path, so every run takes the same one."""
    suffix = path[path.rfind("."):]
    init = path.endswith("/__init__" + suffix) or path == "__init__" + suffix
    return path.count("/") - module.count(".") - init, _FORM_RANK["/__init__" + suffix if init else suffix], path


def python_modules(paths: set[str]) -> dict[str, str]:
    """Dotted module of each .py (or .pyw) file and .pyi stub: climb while the folder is a package (has
    __init__.py or __init__.pyi).

    `django/db/models/query.py` -> `django.db.models.query`; `src/pkg/mod.py` -> `pkg.mod`
    (src/ is no package); `pkg/__init__.py` -> `pkg`; a script in a plain folder -> its stem; a stub
    `pkg/mod.pyi` -> `pkg.mod`, as its module (`ModuleMap.build` says which of the two imports find);
    `pkg/gui.pyw` -> `pkg.gui`.
    The package folders are found once for the whole tree: the map is rebuilt whenever its set
    of paths changes, so this runs on the first update of every session.
    """
    packages = {p.rpartition("/")[0] for p in paths if "/" in p and is_package_init(p)}
    modules = {}
    for path in paths:
        bare = _without_py_suffix(path)
        if bare is None:
            continue
        folder, _, stem = bare.rpartition("/")
        parts = [] if stem == "__init__" else [stem]
        while folder in packages:
            folder, _, name = folder.rpartition("/")
            parts.append(name)
        if parts:
            modules[path] = ".".join(reversed(parts))
    return modules


def namespace_names(path: str, module: str) -> list[str]:
    """The longer dotted names a file has when the folders above its package are namespace packages.

    A folder without __init__.py is a namespace package (PEP 420) when the tree's root is on
    sys.path, so `mpl_toolkits/mplot3d/axes3d.py` is imported as `mpl_toolkits.mplot3d.axes3d`
    although its own name stops at `mplot3d.axes3d`. Which folders are meant that way and which
    are source roots (`src/`) the tree does not say, so each longer name is offered for imports to
    resolve, and the file keeps its own name.
    """
    parts = (_without_py_suffix(path) or path).split("/")
    if parts[-1] == "__init__":
        parts.pop()
    parents = parts[: len(parts) - len(module.split("."))]  # the folders above the file's own name
    names = []
    for start in range(len(parents) - 1, -1, -1):
        if not parents[start].isidentifier():
            break
        names.append(".".join([*parents[start:], module]))
    return names


def namespace_packages(paths: Iterable[str]) -> dict[str, str]:
    """The folders that are namespace packages (PEP 420: no __init__.py, Python files below), by each dotted name
    they may have: `from ns import m` imports ns/m.py from the folder ns/ (no file is named `ns`). As for a file's
    longer names (`namespace_names`), each name the folders above give is offered, `lib/ns` being `ns` and `lib.ns`;
    where folders share a name, the one nearest the root owns it. `paths` are the tree's Python files."""
    packages = {posixpath.dirname(p) for p in paths if is_package_init(p)}
    folders: set[str] = set()
    for folder in {p.rpartition("/")[0] for p in paths}:
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    found: dict[str, str] = {}
    for folder in sorted(folders - packages, key=lambda f: (f.count("/"), f)):
        parts = folder.split("/")
        for start in range(len(parts) - 1, -1, -1):
            if not parts[start].isidentifier():
                break
            found.setdefault(".".join(parts[start:]), folder)
    return found


@dataclass
class ModuleMap:
    """Every file of the tree, indexed the ways imports name them."""

    paths: set[str]
    modules: dict[str, str] = field(default_factory=dict)  # python dotted -> path
    namespaces: dict[str, str] = field(default_factory=dict)  # python dotted -> a namespace package's folder
    namespace_folders: set[str] = field(default_factory=set)
    go_module: str | None = None
    dirs: set[str] = field(default_factory=set)
    js: JsLayout = field(default_factory=JsLayout)
    _by_last: dict[bool, dict[str, list[str]]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, paths: set[str], own_modules: dict[str, str], texts: dict[str, str]) -> ModuleMap:
        """`own_modules` maps each .py file and .pyi stub to its own dotted name. Where files share a name, the
        first by `owner_order` owns it: the one whose source root is nearest the tree's root, a package before a
        module, a module before a stub (`pkg/mod.py`, not `pkg/mod.pyi`: the module holds what runs); the longer
        names that namespace packages give files come after all own names (see `namespace_names`).
        `texts` holds the text of the tree's layout files (`is_layout_file`) by path."""
        order = sorted(own_modules, key=lambda p: owner_order(p, own_modules[p]))
        found = cls(paths, js=JsLayout.build({p: t for p, t in texts.items() if p != GO_MOD}))
        for path in order:
            found.modules.setdefault(own_modules[path], path)
        for path in order:
            for name in namespace_names(path, own_modules[path]):
                found.modules.setdefault(name, path)
        found.namespaces = namespace_packages(own_modules)
        found.namespace_folders = set(found.namespaces.values())
        found.dirs = {p.rpartition("/")[0] for p in paths}
        if GO_MOD in texts:
            for line in texts[GO_MOD].splitlines():
                if line.startswith("module "):
                    found.go_module = line.split()[1].strip('"')
        return found

    def resolve(self, path: str, language: str | None, module: str, level: int, own_module: str | None,
                names: Sequence[str] = (), scope: str | None = None) -> str | None:
        """The file (or package folder) the import names; `names` what it takes, by which a Java import of one
        class (`import a.b.C;`: module a.b, names [C]) is of the class's file; `scope` the id of the symbol it is
        in, which names the inline modules around a Rust import."""
        if language == "java":
            return self._java(path, module, names)
        if language == "rust":
            return self._rust(path, module, level, _inline_modules(scope, level))
        handler = _RESOLVERS.get(language or "")
        return handler(self, path, module, level, own_module) if handler else None

    def _python(self, path: str, module: str, level: int, own_module: str | None) -> str | None:
        if level:
            module = module.lstrip(".")
            beside = self._python_relative(path, module, level)
            if beside:
                return beside
            package = (own_module or "").split(".")
            if not is_package_init(path):
                package = package[:-1]
            if level > 1:
                package = package[: len(package) - (level - 1)]
            module = ".".join([*package, module] if module else package)
        return self.modules.get(module) or self.namespaces.get(module)

    def _python_relative(self, path: str, module: str, level: int) -> str | None:
        """A relative import's file, found from the importing file's folder as Python finds it: by its dotted
        name it was the file that owns that name, another tree's package of the same name nearer the root (in
        `b/app/views.py`, `from .models import X` was a/app/models.py). None when the folders above run out, or
        hold no such file (the name is looked up then); the folder for a namespace package (`from . import m` in
        ns/a.py, whose ns/ has no __init__.py)."""
        folder = posixpath.dirname(path)
        for _ in range(level - 1):
            if not folder:
                return None
            folder = posixpath.dirname(folder)
        base = posixpath.join(folder, *module.split(".")) if module else folder
        candidates = python_files(base) if module else [f"{base}/{init}" for init in _PY_INITS]
        found = next((c for c in candidates if c in self.paths), None)
        return found or (base if base in self.namespace_folders else None)

    def _js(self, path: str, module: str, level: int, own_module: str | None) -> str | None:
        if not module.startswith("."):  # a path alias, a package of the workspace, or a dependency
            return self.js.resolve(path, module, self._js_file)
        return self._js_file(posixpath.normpath(posixpath.join(posixpath.dirname(path), module)))

    def _js_file(self, base: str) -> str | None:
        """The file a JS/TS import of `base` (a path from the root) loads: itself, with an extension, or an index."""
        candidates = [base, *(base + e for e in _JS_EXTS), *(f"{base}/index{e}" for e in _JS_EXTS)]
        stem, ext = posixpath.splitext(base)
        candidates += [stem + source for source in _TS_SOURCES.get(ext, ())]  # TS sources by their compiled name
        return next((c for c in candidates if c in self.paths), None)

    def _go(self, path: str, module: str, level: int, own_module: str | None) -> str | None:
        if not self.go_module:
            return None
        if module == self.go_module:
            return "" if "" in self.dirs else None
        if module.startswith(self.go_module + "/"):
            directory = module[len(self.go_module) + 1 :]
            return directory if directory in self.dirs else None
        return None

    def _c(self, path: str, module: str, level: int, own_module: str | None) -> str | None:
        for candidate in (posixpath.join(posixpath.dirname(path), module), module):
            candidate = posixpath.normpath(candidate)
            if candidate in self.paths:
                return candidate
        matches = [p for p in self.paths if p.endswith("/" + module)]
        return matches[0] if len(matches) == 1 else None

    def _java(self, path: str, module: str, names: Sequence[str]) -> str | None:
        """The file of the class imported (`a.b` [C], or the class a static import or a nested class's import
        takes members of: `a.b.C` [m]), else the package's folder; of several (a package's folder in src/main/java
        and src/test/java, a class in two modules of the build), the one nearest the importing file."""
        rel = module.removesuffix(".*").replace(".", "/")
        tried = [f"{rel}/{names[0]}.java"] if len(names) == 1 and names[0] != "*" else []
        for candidate in [*tried, rel + ".java"]:
            hit = _nearest(path, self._ending_with(candidate, folders=False))
            if hit:
                return hit
        return _nearest(path, self._ending_with(rel, folders=True))

    def _ending_with(self, rel: str, folders: bool) -> list[str]:
        """The files (or the folders) that are `rel` or end with /`rel`, found by their last part: a Java tree's
        imports ask for thousands of classes."""
        if folders not in self._by_last:
            self._by_last[folders] = found = defaultdict(list)
            for p in self.dirs if folders else self.paths:
                found[p.rpartition("/")[2]].append(p)
        return [p for p in self._by_last[folders].get(rel.rpartition("/")[2], ()) if p == rel or p.endswith("/" + rel)]

    def _rust(self, path: str, module: str, level: int, inline: tuple[str, ...]) -> str | None:
        """The file of a `use` path or a `mod` declaration, `level` the inline modules (`mod tests { ... }`) the
        import sits in, `inline` their names where known. `crate` is the crate's root file, `self` the importing
        module, `super` the module it is declared in (in a file's inline module, the file itself); each next name
        is a module's file while one is found, the rest items of the last. A path of no such keyword starts at a
        module the file, or its inline module, declares (`mod outer { mod x; }` in src/lib.rs is src/outer/x.rs),
        or at the crate root's, as the 2015 edition read it; any other (`std::io`) names another crate."""
        known = len(inline) == level  # the inline modules' names: their modules' files are in folders so named
        parts = module.split("::")
        if parts[0] == "crate":
            current: str | None = self._rust_crate_root(path)
            parts = parts[1:]
        elif parts[0] in ("self", "super"):
            current, depth = path, level
            while parts and parts[0] in ("self", "super"):
                if parts[0] == "super" and depth:
                    depth -= 1
                elif parts[0] == "super":
                    current = self._rust_parent(current)
                    if current is None:
                        return None
                parts = parts[1:]
            if depth:  # still in an inline module: its items are the file's, its modules' files in its folder
                child = self._rust_child(path, parts[0], inline[:depth]) if known and parts else None
                if child is None:
                    return path
                current, parts = child, parts[1:]
        else:
            first = (self._rust_child(path, parts[0], inline) if known else None) \
                or self._rust_child(self._rust_crate_root(path), parts[0])
            if first is None:
                return None
            current, parts = first, parts[1:]
        for name in parts:
            child = self._rust_child(current, name)
            if child is None:
                break
            current = child
        return current

    def _rust_is_crate_root(self, path: str) -> bool:
        """Whether the file is a crate's root: src/lib.rs, src/main.rs, build.rs, a program in src/bin/, or a
        test, example or benchmark beside the crate's Cargo.toml."""
        folder, name = posixpath.split(path)
        if name in ("lib.rs", "main.rs", "build.rs"):
            return True
        up = posixpath.dirname(folder)
        if posixpath.basename(folder) in ("tests", "examples", "benches"):
            return posixpath.join(up, "Cargo.toml") in self.paths
        return posixpath.basename(folder) == "bin" and posixpath.basename(up) == "src" \
            and posixpath.join(posixpath.dirname(up), "Cargo.toml") in self.paths

    def _rust_child(self, path: str, name: str, inline: tuple[str, ...] = ()) -> str | None:
        """The file of module `name` that the module in `path` declares (`mod name;`): in the file's folder for a
        crate root or a mod.rs, in the folder named as the file for any other (src/net.rs's in src/net/); declared
        in the file's inline modules `inline`, in the folders they name below that (src/outer/ for src/lib.rs's
        `mod outer { mod name; }`)."""
        folder = posixpath.dirname(path) if path.endswith("/mod.rs") or path == "mod.rs" \
            or self._rust_is_crate_root(path) else path.removesuffix(".rs")
        base = posixpath.join(folder, *inline, name)
        return next((c for c in (base + ".rs", base + "/mod.rs") if c in self.paths), None)

    def _rust_parent(self, path: str) -> str | None:
        """The file of the module that declares the one in `path`; None for a crate root, or where no such file
        is indexed."""
        if self._rust_is_crate_root(path):
            return None
        folder = posixpath.dirname(path)
        if posixpath.basename(path) == "mod.rs":
            if not folder:
                return None
            folder = posixpath.dirname(folder)
        candidates = [folder + ".rs"] if folder else []
        candidates += [posixpath.join(folder, name) for name in ("mod.rs", "lib.rs", "main.rs")]
        return next((c for c in candidates if c in self.paths and c != path), None)

    def _rust_crate_root(self, path: str) -> str:
        """The root file of the crate the file belongs to, found through the modules that declare it: src/lib.rs
        for src/net/tcp.rs; the topmost one found where the chain stops short of a crate root."""
        seen = {path}
        while (parent := self._rust_parent(path)) is not None and parent not in seen:
            seen.add(parent)
            path = parent
        return path


_RESOLVERS: dict[str, Callable] = {
    "python": ModuleMap._python,
    "javascript": ModuleMap._js,
    "typescript": ModuleMap._js,
    "tsx": ModuleMap._js,
    "go": ModuleMap._go,
    "c": ModuleMap._c,
    "cpp": ModuleMap._c,
}


def _inline_modules(scope: str | None, level: int) -> tuple[str, ...]:
    """The names of the `level` inline modules a Rust import is in, outermost first, read from the id of the
    symbol it is in (`src/lib.rs::outer.inner` for `mod outer { mod inner { mod x; } }`); () where it says fewer."""
    if not level or not scope:
        return ()
    parts = split_id(scope)[1].split(".")
    return tuple(parts[:level]) if len(parts) >= level else ()


@dataclass
class ImportRow:
    module: str
    names: list[str]
    alias: str | None
    level: int
    target: str | None


# The imports written in a symbol's body (a function's `from x import y`), by the symbol's id: each symbol's with the
# ids of the symbols in it that do not see them, and the imports in the file's order. The symbols in a function see
# its imports, at any depth; a class's methods and nested classes do not see its body's (Python's scopes), its
# attributes (`x = other()`) do.
LocalImports = dict[str, tuple[frozenset[str], list[ImportRow]]]
# A Python file's annotated variables: function's id -> variable -> (line after which it holds, class name, its
# qualifier, col, end line, end col) in the file's order, the class name "" where a nested function binds the
# variable again, or a lambda or comprehension does from line:col to end line:end col (see facts.Annotation)
Annotated = dict[str, dict[str, list[tuple[int, str, str, int, int, int]]]]
# A file's classes by id, each with the (name, qualifier) of its bases in the order the class lists them
Bases = dict[str, list[tuple[str, str]]]
_INHERITS = frozenset({"python"})  # languages whose class members are looked up through the bases (the MRO)
_OUTSIDE = None  # in a linearization: a base that names no class of the tree, which may define any name
# Bases outside the tree that define no member a use names (only dunders): left out of a linearization, so that
# `class C(Generic[T], Base)` inherits Base's
_EMPTY_BASES = frozenset({"Generic", "Protocol"})
_TYPING = frozenset({"typing", "typing_extensions"})  # the modules defining them
SCOPE_KINDS = frozenset({"function", "method", "class"})  # the kinds of symbol a class's names are hidden from
FUNCTION_KINDS = ("function", "method")


@dataclass(frozen=True)
class Scopes:
    """A Python file's functions and classes by id, each with the symbols defined in it ({name: id}: a nested def or
    class, a class's methods and attributes): what a bare name in them names before the module's names."""

    functions: dict[str, dict[str, str]] = field(default_factory=dict)
    classes: dict[str, dict[str, str]] = field(default_factory=dict)


def local_imports(rows: Iterable[tuple[str, ImportRow]], hidden_from: Callable[[str], frozenset[str]]) -> LocalImports:
    """(scope's id, import) rows grouped by scope; `hidden_from(scope)` the symbols in it blind to its imports."""
    found: LocalImports = {}
    for scope, row in rows:
        if scope not in found:
            found[scope] = (hidden_from(scope), [])
        found[scope][1].append(row)
    return found


def annotated_variables(rows: Iterable[tuple[str, str, int, str, str, int, int, int]]) -> Annotated:
    """(function's id, variable, line, class name, its qualifier, col, end line, end col) rows, in the file's order,
    as `Annotated`."""
    found: Annotated = {}
    for scope, name, *entry in rows:
        found.setdefault(scope, {}).setdefault(name, []).append(tuple(entry))
    for held in found.values():
        for entries in held.values():
            entries.sort(key=lambda entry: entry[0])
    return found


@dataclass
class Bindings:
    """What one file's imports make visible: names bound to symbols or files, and star sources."""

    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> ("sym"|"file", sid or path)
    stars: list[str] = field(default_factory=list)


class Resolver:
    """Resolves references with lazily loaded per-file tables (from memory or the database)."""

    def __init__(
        self,
        language_of: Callable[[str], str | None],
        load_top: Callable[[str], dict[str, str]],
        load_members: Callable[[str], dict[str, str]],
        load_imports: Callable[[str], list[ImportRow]],
        files_in_dir: Callable[[str], list[str]],
        has_file: Callable[[str], bool],
        load_exports: Callable[[str], list[tuple[str, str]]],
        load_receiver: Callable[[str], str],
        load_local_imports: Callable[[str], LocalImports],
        load_scopes: Callable[[str], Scopes],
        load_bases: Callable[[str], Bases],
        load_annotated: Callable[[str], Annotated],
    ) -> None:
        self._language_of = language_of
        self._load_top = load_top
        self._load_members = load_members
        self._load_imports = load_imports
        self._files_in_dir = files_in_dir
        self._has_file = has_file
        self._load_exports = load_exports
        self._load_receiver = load_receiver  # a Go method's receiver variable by the method's id
        self._load_local_imports = load_local_imports
        self._load_scopes = load_scopes
        self._load_bases = load_bases
        self._load_annotated = load_annotated
        self._annotated: dict[str, Annotated] = {}
        self._annotated_names: dict[str, frozenset[str]] = {}
        self._annotated_class: dict[tuple[str, str, int], str | None] = {}
        self._bases: dict[str, Bases] = {}
        self._empty_bases: dict[str, frozenset[str]] = {}
        self._mro: _CycleSafeMemo[str, list[str | None]] = _CycleSafeMemo()
        self._defaults: dict[str, str | None] = {}
        self._all: dict[str, frozenset[str] | None] = {}  # a Python module's `__all__`, None without one
        self._top: dict[str, dict[str, str]] = {}
        self._members: dict[str, dict[str, str]] = {}
        self._bindings: dict[str, Bindings] = {}
        self._local: dict[str, dict[str, tuple[frozenset[str], Bindings]]] = {}  # path -> scope -> (hidden, bound)
        self._local_names: dict[str, frozenset[str]] = {}
        self._scopes: dict[str, Scopes] = {}
        self._scoped_names: dict[str, frozenset[str]] = {}
        self._scoped: dict[str, bool] = {}
        self._stars: _CycleSafeMemo[tuple[str, str], str] = _CycleSafeMemo()

    def top(self, path: str) -> dict[str, str]:
        """Top-level names of a file, or of every Go or Java file of a (package) directory. A name two files of
        the package define (Go's build variants, hook_win.go and hook_notwin.go) is the first file's by path, in
        every process: the files come in the order of a set."""
        if path not in self._top:
            files = self._files_in_dir(path)
            if files:
                merged: dict[str, str] = {}
                for f in sorted(files):
                    if self._package_scoped(f):
                        for name, sid in self.top(f).items():
                            merged.setdefault(name, sid)
                self._top[path] = merged
            else:
                self._top[path] = self._load_top(path)
        return self._top[path]

    def members(self, sid: str) -> dict[str, str]:
        """The names a symbol holds; a Go type's methods are those of every file of its package, the type's
        file's first."""
        if sid not in self._members:
            found = self._load_members(sid)
            path, qual = split_id(sid)
            if qual and "." not in qual and self._language_of(path) == "go":
                found = dict(found)
                for other in sorted(self._files_in_dir(posixpath.dirname(path))):
                    for name, member in self._load_members(f"{other}::{qual}").items():
                        found.setdefault(name, member)
            self._members[sid] = found
        return self._members[sid]

    def member(self, sid: str, name: str) -> str | None:
        """The member `name` of a symbol; of a Python class, the first class of its method resolution order that
        defines it (`AuthorList.as_view` defined by a base of a base). A base that is no class of the tree ends the
        search with nothing: it may define the name, and its own bases are unknown."""
        found = self.members(sid).get(name)
        return found if found is not None else self.inherited(sid, name)

    def inherited(self, sid: str, name: str, after: str | None = None) -> str | None:
        """The member `name` of the first class after `after` (`sid` itself by default) in the method resolution
        order of `sid` that defines it: what `super().name` (`super(after, self).name`) in a method of `sid` calls.
        None past a base outside the tree, without an order, or where `after` is not in it."""
        order = self.mro(sid) or [sid, _OUTSIDE]
        after = sid if after is None else after
        if after not in order:
            return None
        for cls in order[order.index(after) + 1:]:
            if cls is _OUTSIDE:
                return None
            found = self.members(cls).get(name)
            if found is not None:
                return found
        return None

    def mro(self, sid: str) -> list[str | None] | None:
        """The class and its bases in Python's method resolution order (C3), a base outside the tree as `_OUTSIDE`;
        None where there is none (the bases conflict, or inherit from the class itself: a cycle).
        Remembered per class, but not when the search met a cycle: its answer then depends on where it started.
        A class of another language is its own only."""
        return self._mro.search(sid, lambda: self._linearization(sid))

    def _linearization(self, sid: str) -> list[str | None] | None:
        if self._language_of(split_id(sid)[0]) not in _INHERITS:
            return [sid]
        lines = [self._base_line(sid, base) for base in self._bases_of(sid)]
        return None if None in lines else _c3_merge(sid, [*lines, [b[0] for b in lines if b]])

    def _base_line(self, sid: str, base: tuple[str, str]) -> list[str | None] | None:
        """The linearization of one base of the class `sid`: `[_OUTSIDE]` for one that names no class of the tree,
        `[]` for typing's Generic or Protocol."""
        path = split_id(sid)[0]
        target = self.resolve_ref(path, base[0], base[1], sid, "base")
        if target is None and f"{base[1]}.{base[0]}".lstrip(".") in self._typing_names(path):
            return []
        if target is None or target.endswith("::") or target == sid:
            return None if target == sid else [_OUTSIDE]
        return self.mro(target)

    def _typing_names(self, path: str) -> frozenset[str]:
        """How the file's imports name typing's Generic and Protocol: `Generic`, `G` of `from typing import Generic as
        G`, `typing.Generic`, `t.Protocol` of `import typing as t`."""
        found = self._empty_bases.get(path)
        if found is None:
            names = set()
            for imp in self._load_imports(path):
                if imp.module not in _TYPING:
                    continue
                if not imp.names:
                    names.update(f"{imp.alias or imp.module}.{base}" for base in _EMPTY_BASES)
                for name in imp.names:
                    name, _, alias = name.partition(" as ")
                    if name in _EMPTY_BASES:
                        names.add(alias or (imp.alias if len(imp.names) == 1 and imp.alias else name))
            found = self._empty_bases[path] = frozenset(names)
        return found

    def _bases_of(self, sid: str) -> list[tuple[str, str]]:
        """The (name, qualifier) of the bases the class lists."""
        path = split_id(sid)[0]
        if path not in self._bases:
            self._bases[path] = self._load_bases(path)
        return self._bases[path].get(sid, [])

    def bindings(self, path: str) -> Bindings:
        if path not in self._bindings:
            self._bindings[path] = Bindings()  # placeholder: import cycles see it, not recursion
            self._bind(path, self._load_imports(path), self._bindings[path])
        return self._bindings[path]

    def local_names(self, path: str) -> frozenset[str]:
        """The names the imports in the file's symbols bind (a function's `from x import y`): a reference by one of
        them, or qualified by one, resolves by the symbol it is written in. Empty for most files."""
        names = self._local_names.get(path)
        if names is None:
            names = self._local_names[path] = frozenset(
                name for _, bindings in self._scoped_bindings(path).values() for name in bindings.names)
        return names

    def scopes(self, path: str) -> Scopes:
        """The functions and classes of a Python file with what each defines (empty for another language)."""
        found = self._scopes.get(path)
        if found is None:
            found = self._scopes[path] = self._load_scopes(path)
        return found

    def scoped_names(self, path: str) -> frozenset[str]:
        """The names a function or a class of the file defines: a bare reference by one of them resolves by the
        symbol it is written in."""
        names = self._scoped_names.get(path)
        if names is None:
            scopes = self.scopes(path)
            names = self._scoped_names[path] = frozenset(
                name for table in (scopes.functions, scopes.classes) for held in table.values() for name in held)
        return names

    def _in_scope(self, path: str, scope: str, name: str, kind: str) -> str | None:
        """What `name` names where Python reads it before the module's names: in a class's body (the class itself,
        or an attribute's value), the class's member; else what the function the reference is in, or one around it,
        defines, the nearest first. A class's body is no scope its methods see, and its bases are read around it."""
        scopes = self.scopes(path)
        file, qual = split_id(scope)
        parts = qual.split(".") if qual else []
        body = scope if scope in scopes.classes else None
        if body is None and len(parts) > 1 and scope not in scopes.functions:  # an attribute's value
            body = f"{file}::{'.'.join(parts[:-1])}"
        held = scopes.classes.get(body, {}) if body and kind != "base" else {}
        if held.get(name, scope) != scope:  # `helper = helper` reads the name around the class: it binds it
            return held[name]
        while parts:
            held = scopes.functions.get(f"{file}::{'.'.join(parts)}", {})
            if name in held:
                return held[name]
            parts.pop()
        return None

    def _self_class(self, path: str, scope: str | None) -> str | None:
        """The class whose member `self.x` names: that of the method the reference is in, also from a function
        nested in the method (a closure, which reads the method's `self`)."""
        owner = _enclosing_class(scope)
        functions = self.scopes(path).functions
        while owner and owner in functions:
            owner = _enclosing_class(owner)
        return owner

    def annotated_names(self, path: str) -> frozenset[str]:
        """The variables the file's functions annotate with a class: a use they qualify resolves by the function
        it is written in, and by its line. Empty for most files."""
        names = self._annotated_names.get(path)
        if names is None:
            if path not in self._annotated:
                self._annotated[path] = self._load_annotated(path)
            names = self._annotated_names[path] = frozenset(
                name for held in self._annotated[path].values() for name in held)
        return names

    def _annotated_type(self, path: str, variable: str, scope: str, line: int, col: int) -> tuple[bool, str | None]:
        """(whether a function annotates the variable where it is read, the class it names at `line`): `p` of
        `def f(p: Pytester)`, `x` after `x: Foo = make()`, in the function `scope` or one around it, the nearest
        binding it, from its last annotation before the line; no class where that function binds it with none
        there, where a lambda or a comprehension around line:col binds it, or it names no class of the tree.
        (False, None) where no function around annotates it."""
        file, qual = split_id(scope)
        parts = qual.split(".") if qual else []
        for depth in range(len(parts), -1, -1):  # the module last: a lambda or a comprehension there binds it
            owner = f"{file}::{'.'.join(parts[:depth])}"
            entries = self._annotated[path].get(owner, {}).get(variable, ())
            if any(end and (first, start) <= (line, col) < (end, stop) for first, _, _, start, end, stop in entries):
                return True, None  # `[p.x for p in items]`: another p
            held = [entry for entry in entries if not entry[4]]
            if held:
                held = [entry for entry in held if entry[0] < line or not entry[0]]
                return True, self._class_named(path, owner, *held[-1][:3]) if held else None
        return False, None

    def _class_named(self, path: str, scope: str, line: int, name: str, qualifier: str) -> str | None:
        """The Python class of the tree an annotation names, read in the function holding it as any name there."""
        key = (scope, name + "." + qualifier, line)
        if key not in self._annotated_class:
            sid = self.resolve_ref(path, name, qualifier, scope, "annotation") if name else None
            cls = sid if sid and sid in self.scopes(split_id(sid)[0]).classes else None
            self._annotated_class[key] = cls
        return self._annotated_class[key]

    def _scoped_bindings(self, path: str) -> dict[str, tuple[frozenset[str], Bindings]]:
        found = self._local.get(path)
        if found is None:
            found = self._local[path] = {}
            for scope, (hidden, rows) in self._load_local_imports(path).items():
                found[scope] = (hidden, Bindings())
                self._bind(path, rows, found[scope][1])
        return found

    def _local_binding(self, path: str, scope: str, name: str) -> tuple[str, str] | None:
        """What an import in the symbol `scope`, or in one around it whose imports it sees, binds `name` to, the
        nearest first; None where none does. A module-level import is no such import: `bindings` holds it."""
        scoped = self._scoped_bindings(path)
        file, qual = split_id(scope)
        parts = qual.split(".") if qual else []
        inner = None  # the symbol one level in, on the way up from `scope`
        while parts:
            sid = f"{file}::{'.'.join(parts)}"
            found = scoped.get(sid)
            if found and inner not in found[0] and name in found[1].names:
                return found[1].names[name]
            inner = sid
            parts.pop()
        return None

    def _bind(self, path: str, rows: list[ImportRow], found: Bindings) -> None:
        language = self._language_of(path)
        for imp in rows:
            if imp.target is None:
                continue
            target = imp.target
            if not imp.names:
                self._bind_module(found, language, imp, target)
                continue
            if language == "java" and target.endswith(".java") and \
                    _module_name_of(target) == imp.module.rsplit(".", 1)[-1]:  # the module is a class
                self._bind_java_members(found, imp, target)
                continue
            for name in imp.names:
                name, _, alias = name.partition(" as ")
                if name == "*":
                    if imp.alias:
                        found.names[imp.alias] = ("file", target)
                    else:
                        found.stars.append(target)
                    continue
                local = alias or (imp.alias if len(imp.names) == 1 and imp.alias else name)
                found.names[local] = self._member_or_submodule(target, name)

    def _bind_module(self, found: Bindings, language: str | None, imp: ImportRow, target: str) -> None:
        if language in ("c", "cpp"):
            found.stars.append(target)
        elif language == "java":
            last = imp.module.rsplit(".", 1)[-1]
            if last == "*":
                found.stars.append(target)
            else:
                found.names[imp.alias or last] = self._member_or_submodule(target, last)
        elif language == "rust":
            last = imp.module.rsplit("::", 1)[-1]
            found.names[imp.alias or last] = self._member_or_submodule(target, last)
        elif language == "go" and imp.alias == ".":  # `import . "pkg"`: the package's names are the file's own
            found.stars.append(target)
        elif language == "go":
            found.names[imp.alias or imp.module.rsplit("/", 1)[-1]] = ("file", target)
        elif language in _JS and imp.alias:  # `const m = require("./m")`
            default = self.lookup(target, "default")  # a CommonJS module is what it assigns to module.exports
            found.names[imp.alias] = ("sym", default) if default else ("file", target)
        else:  # python `import a.b [as m]`, JS side-effect imports
            found.names[imp.alias or imp.module] = ("file", target)
            if language == "python" and not imp.alias:
                self._bind_packages(found, imp.module, target)

    def _bind_java_members(self, found: Bindings, imp: ImportRow, target: str) -> None:
        """An import whose module is a class (`import static a.b.C.check;`, `C.*`, `import a.b.C.Inner;`) takes
        names of that class, not of its file, whose one top-level name is the class."""
        owner = self.lookup(target, imp.module.rsplit(".", 1)[-1])
        members = self.members(owner) if owner else {}
        for name in imp.names:
            if name == "*":
                for member, sid in members.items():
                    found.names.setdefault(member, ("sym", sid))
            elif name in members:
                found.names[name] = ("sym", members[name])

    def _bind_packages(self, found: Bindings, module: str, target: str) -> None:
        """`import a.b.c` also binds `a` and `a.b` to their packages' __init__.py files (or __init__.pyi stubs)."""
        directory = posixpath.dirname(target)
        if is_package_init(target):
            directory = posixpath.dirname(directory)
        parts = module.split(".")[:-1]
        while parts and directory:
            init = self._first_file([f"{directory}/{name}" for name in _PY_INITS])
            if init is None:
                break
            found.names.setdefault(".".join(parts), ("file", init))
            parts.pop()
            directory = posixpath.dirname(directory)

    def _member_or_submodule(self, target: str, name: str) -> tuple[str, str]:
        sid = self.lookup(target, name)
        if sid:
            return ("sym", sid)
        package = posixpath.dirname(target) if is_package_init(target) else None
        if package is None and not self._has_file(target):  # a folder: a namespace package (or a Go package)
            package = target
        if package is not None:  # a submodule
            candidate = self._first_file(python_files(f"{package}/{name}"))
            if candidate is not None:
                return ("file", candidate)
        return ("file", target) if _module_name_of(target) == name else ("none", "")

    def imported(self, target: str, name: str) -> str | None:
        """The symbol, or the submodule's module, that `from TARGET import name` binds."""
        return self._binding_sid(self._member_or_submodule(target, name))

    def _first_file(self, candidates: list[str]) -> str | None:
        return next((c for c in candidates if self._has_file(c)), None)

    def lookup(self, path: str, name: str) -> str | None:
        """A top-level name of `path`, following re-exports (`from .x import Name`, `from .x import *`); for a
        Python module a name it does not bind, in the stub beside it (pkg/__init__.pyi beside pkg/__init__.py): a
        type checker reads the stub, and a module may make at run time (`__getattr__`) what only its stub declares.
        What the module binds is its own, not the stub's: one target for a name that both declare."""
        found = self._lookup_in(path, name)
        if found is None:
            stub = _stub_beside(path)
            if stub is not None and self._has_file(stub):
                return self._lookup_in(stub, name)
        return found

    def _lookup_in(self, path: str, name: str) -> str | None:
        sid = self.top(path).get(name)
        if sid:
            return sid
        bound = self.bindings(path).names.get(name)
        if bound:
            return self._binding_sid(bound)
        if name == "default" and self._language_of(path) in _JS:
            return self.default_export(path)
        return self._starred(path, name) if self._chains_stars(path) else None

    def default_export(self, path: str) -> str | None:
        """The symbol a JavaScript or TypeScript module's default export names (`export default foo`,
        `module.exports = foo`), resolved in that module; None for a cycle of re-exported defaults."""
        if path not in self._defaults:
            self._defaults[path] = None  # placeholder: a cycle finds nothing
            for name, qualifier in self._load_exports(path):
                found = self.resolve_ref(path, name, qualifier, None)
                if found:
                    self._defaults[path] = found
                    break
        return self._defaults[path]

    def _chains_stars(self, path: str) -> bool:
        return self._language_of(path) in _STARS_CHAIN

    def _starred(self, path: str, name: str) -> str | None:
        """A name that one of the file's star imports brings in, through further star imports, where each
        module on the way exports it (`_star_exports`).
        Remembered per (file, name), since every unresolved name of a file with a star import asks, but
        not when the search met a cycle of star imports: its answer then depends on where it started."""
        stars = self.bindings(path).stars
        if not stars:
            return None
        return self._stars.search((path, name), lambda: self._exported_by(stars, name))

    def _exported_by(self, stars: Iterable[str], name: str) -> str | None:
        """`name` in the first of the star-imported modules that exports it."""
        for star in stars:
            found = self.lookup(star, name) if self._star_exports(star, name) else None
            if found:
                return found
        return None

    def _star_takes(self, path: str, name: str) -> bool:
        """Whether the star imports of `path` that do not chain (a C include, a Go dot import) take `name`: a Go
        package gives its exported names only, those starting with an upper-case letter."""
        return self._language_of(path) != "go" or name[:1].isupper()

    def _star_exports(self, path: str, name: str) -> bool:
        """Whether a star import of `path` takes `name`: in Python the names its `__all__` lists (its `export`
        references), or without one every name not starting with `_`; in JavaScript every name but the
        default export."""
        if self._language_of(path) != "python":
            return name != "default"
        if path not in self._all:
            self._all[path] = frozenset(n for n, _ in self._load_exports(path)) or None
        listed = self._all[path]
        return name in listed if listed is not None else not name.startswith("_")

    def _enclosing_member(self, scope: str, name: str) -> str | None:
        """The member `name` of the symbol the reference is in or of one around it, nearest first: in Java a method
        of the class or of an outer one, called bare (`emit()`), or a nested class (`Builder`), which shadow the
        imports and the package. A class's member of its own name is its constructor: `new Builder()` in Builder
        names the class, found a level up."""
        path, qual = split_id(scope)
        parts = qual.split(".") if qual else []
        while parts:
            sid = self.members(f"{path}::{'.'.join(parts)}").get(name) if parts[-1] != name else None
            if sid:
                return sid
            parts.pop()
        return None

    def _receiver_type(self, path: str, qualifier: str, scope: str | None) -> str | None:
        """The type whose method the reference is written in, where `qualifier` is that method's receiver (`c` in
        `func (c *Command) Execute()`), the type defined in this file or another of the package. A Go method's id is
        `Type.Method`; a function literal in it is no symbol, so its references are the method's too."""
        if not scope or self._language_of(path) != "go":
            return None
        parts = split_id(scope)[1].split(".")
        if len(parts) != 2 or self._load_receiver(scope) != qualifier:
            return None
        return self.top(path).get(parts[0]) or self._in_package(path, parts[0])

    def _in_package(self, path: str, name: str) -> str | None:
        """A Go or Java file sees every top-level name of its package (its folder) without an import."""
        return self.top(posixpath.dirname(path)).get(name) if self._package_scoped(path) else None

    def _package_scoped(self, path: str) -> bool:
        """Whether the file belongs to a package that is its folder (Go, Java)."""
        found = self._scoped.get(path)
        if found is None:
            found = self._scoped[path] = self._language_of(path) in _PACKAGE_SCOPED
        return found

    def _binding_sid(self, binding: tuple[str, str]) -> str | None:
        """The symbol a binding names: a symbol, or an indexed file's module (never a skipped one)."""
        kind, value = binding
        if kind == "sym":
            return value
        if kind == "file" and self._has_file(value):
            return module_sid(value)
        return None

    def scope_dependent(self, path: str, qualified: bool) -> bool:
        """Whether what a name of the file resolves to depends on the symbol it is written in: `self.x`'s, a Java
        class's bare names, the names a Go method's receiver qualifies (`c.Flags()` in `func (c *Command) ...`)."""
        language = self._language_of(path)
        return language == "go" if qualified else language in _IMPLICIT_THIS

    def resolve_ref(self, path: str, name: str, qualifier: str, scope: str | None, kind: str = "",
                    line: int = 0, col: int = 0) -> str | None:
        local = self._local_names.get(path)
        if local is None:
            local = self.local_names(path)
        if local and scope and (qualifier or name) in local:  # a name an import in a function binds, in one
            binding = self._local_binding(path, scope, qualifier or name)
            if binding is not None:  # it shadows the module's names
                return self._member_of(binding, name) if qualifier else self._binding_sid(binding)
        if not qualifier:
            if kind in _MEMBER_KINDS and scope and self._language_of(path) in _IMPLICIT_THIS:
                sid = self._enclosing_member(scope, name)
                if sid:
                    return sid
            sid = self._in_scope(path, scope, name, kind) if scope and name in self.scoped_names(path) else None
            sid = sid or self.top(path).get(name)
            if sid and (sid != scope or kind != "base"):  # `class A(A)` reads its bases before it binds its name:
                return sid  # the A imported, not itself
            binding = self.bindings(path).names.get(name)
            if binding and not (binding[0] == "file" and self._files_in_dir(binding[1])):  # a package dir
                return self._binding_sid(binding)
            if self._chains_stars(path):
                sid = self._starred(path, name)
                if sid:
                    return sid
            elif self._star_takes(path, name):
                for star in self.bindings(path).stars:  # a C include: the header's own names; a Go dot import's
                    sid = self.top(star).get(name)
                    if sid:
                        return sid
            return self._in_package(path, name)
        if qualifier in SELF_NAMES:
            owner = self._self_class(path, scope)
            return self.member(owner, name) if owner else None
        if qualifier[:6] == SUPER_PREFIX and (call := _SUPER.fullmatch(qualifier)):  # the enclosing class's order,
            return self._after_super(path, name, call, scope, line)  # past the class super() names
        receiver = self._receiver_type(path, qualifier, scope)
        if receiver:
            return self.members(receiver).get(name)
        if scope and qualifier in self.annotated_names(path):
            annotated, owner = self._annotated_type(path, qualifier, scope, line, col)
            if annotated:
                return self.member(owner, name) if owner else None
        if qualifier[-2:] == "()" and (call := _CALLED.fullmatch(qualifier)):  # `A().m()`: an instance's member
            return self._instance_member(path, name, call, scope, line, col)
        # a name of the file, before an import of that name (which it rebinds: `class A(A)` beside `from x import A`),
        # or of its Go or Java package, after the imports (`Util.check()` beside Util.java)
        own = self.top(path).get(qualifier)
        if own:
            return self.member(own, name)
        binding = self.bindings(path).names.get(qualifier)
        if binding is None:
            own = self._in_package(path, qualifier)
            if own:
                return self.member(own, name)
            binding = self._dotted(path, qualifier, scope, line, col)
        return self._member_of(binding, name) if binding else None

    def _after_super(self, path: str, name: str, call: re.Match, scope: str | None, line: int) -> str | None:
        """The member `name` that `super().name` or `super(X, self).name` in a method names: the first class to define
        it after X (the method's class where none is given) in the method's class's order, X read as any name there.
        The method's class stands for the instance's, which may be a subclass of it."""
        owner = self._self_class(path, scope)
        if owner is None:
            return None
        after = self.resolve_ref(path, call[2], call[1] or "", scope, "name", line) if call[2] else owner
        return self.inherited(owner, name, after) if after else None

    def _instance_member(self, path: str, name: str, call: re.Match, scope: str | None, line: int,
                         col: int) -> str | None:
        """The member `name` of what a call returns (`A().m()`, `mod.A(x).m`): where the callee is a Python class of the
        tree, the instance's, found as `A.m` is (through the class's bases); None for any other callee, whose return
        type the index does not know."""
        if not call[1] and scope and call[2] in self.annotated_names(path) and \
                self._annotated_type(path, call[2], scope, line, col)[0]:
            return None  # a variable called (`def f(A): A().m()`), not the class of its name
        cls = self.resolve_ref(path, call[2], call[1] or "", scope, "call", line, col)
        if cls is None or cls not in self.scopes(split_id(cls)[0]).classes:
            return None
        return self.member(cls, name)

    def _dotted(self, path: str, qualifier: str, scope: str | None, line: int, col: int) -> tuple[str, str] | None:
        """What a dotted qualifier no import binds whole names, read step by step from its head (`mod.Class` in
        `mod.Class.method()`, `Class.Inner` in `Class.Inner.m()`): its last name resolved as a member of what the
        rest names. A module is bound as its file, so that the next step finds its submodules and re-exports too.
        None where a step names no definition of the tree: an instance (`obj.attr.m()`) is no definition."""
        head, _, last = qualifier.rpartition(".")
        if not head or not last:
            return None
        sid = self.resolve_ref(path, last, head, scope, "attribute", line, col)
        if sid is None:
            return None
        return ("file", sid[:-2]) if sid.endswith("::") else ("sym", sid)

    def _member_of(self, binding: tuple[str, str], name: str) -> str | None:
        """The member `name` of what a binding names: a file's top-level name or submodule, a symbol's member."""
        kind, value = binding
        if kind == "file":
            return self._binding_sid(self._member_or_submodule(value, name))
        if kind == "sym":
            return self.member(value, name)
        return None


def _c3_merge(sid: str, lines: list[list[str | None]]) -> list[str | None] | None:
    """C3's merge: the class, then the head of the first line that is in no other line's tail, taken off every
    line, until all are empty; None where no head is left to take (Python refuses such a class). Each `_OUTSIDE`
    is a class of its own, in no other line."""
    found: list[str | None] = [sid]
    lines = [line for line in lines if line]
    while lines:
        tails = {cls for line in lines for cls in line[1:] if cls is not _OUTSIDE}
        heads = [line[0] for line in lines if line[0] not in tails]
        if not heads:
            return None
        found.append(heads[0])
        lines = [rest for line in lines if (rest := line[1:] if line[0] == heads[0] else line)]
    return found


def _stub_beside(path: str) -> str | None:
    """The stub of a Python module (pkg/mod.pyi for pkg/mod.py or pkg/mod.pyw), None for any other file."""
    bare = _without_py_suffix(path)
    return bare + ".pyi" if bare is not None and not path.endswith(".pyi") else None


_GO_RECEIVER = re.compile(r"func\s*\(\s*(\w+)\s")


def go_receiver(signature: str) -> str:
    """The receiver variable a Go method's signature names (`c` of `func (c *Command) Execute() error`), "" for
    none (`func (*Command) Hidden()`, a function)."""
    found = _GO_RECEIVER.match(signature)
    return found.group(1) if found else ""


def _nearest(path: str, options: list[str]) -> str | None:
    """The option that shares the most leading folders with `path`, the first by path among equals: a module's own
    class before another module's, in every process (the options come in a set's order)."""
    parts = path.split("/")

    def shared(option: str) -> int:
        other = option.split("/")
        return next((n for n, (a, b) in enumerate(zip(parts, other)) if a != b), min(len(parts), len(other)))

    return min(options, key=lambda o: (-shared(o), o), default=None)


def _module_name_of(path: str) -> str:
    """The name a file is imported by: its stem, or its directory's for __init__.py, mod.rs, index.ts."""
    stem = posixpath.basename(path).split(".")[0]
    if stem in ("__init__", "mod", "index"):
        return posixpath.basename(posixpath.dirname(path))
    return stem




def module_sid(path: str) -> str:
    return f"{path}::"


def _enclosing_class(scope: str | None) -> str | None:
    """`a.py::C.m` -> `a.py::C` (the class of the method the reference sits in)."""
    if not scope or "::" not in scope:
        return None
    path, qual = split_id(scope)
    if "." not in qual:
        return None
    return f"{path}::{qual.rsplit('.', 1)[0]}"
