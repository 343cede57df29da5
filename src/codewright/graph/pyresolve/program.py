"""A whole program: which files are modules of which name, how imports resolve, and the run.

Two ways in: `Program.for_package(dir, entries)` names modules relative to one package
directory and follows imports from the entry files (PyCG's model); `Program.for_tree(root,
paths)` takes every given file and finds each one's source root (the directory above its
outermost `__init__.py` (or `__init__.pyi`) chain), so `src/pkg/mod.py` is module `pkg.mod`. Given the whole
tree too, it analyses `paths` and loads any other file of the tree when a name first resolves
to it (an import, or `pkg.sub.mod` read as attributes), so what an update analyses sees the
modules a whole-tree run would, by the same names.
"""

from __future__ import annotations

import ast
import codecs
import io
import os
import time
import tokenize
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codewright.graph.pyresolve import engine as E
from codewright.graph.pyresolve import interface, library
from codewright.graph.pyresolve.builder import ModuleBuilder
from codewright.graph.pyresolve.fallback import build_fallback
from codewright.graph.pyresolve.model import ClassInfo, FuncInfo, ModuleInfo, Scope, wide_lines
from codewright.graph.pyresolve.scan import module_all, scan
from codewright.graph.resolve import is_package_init, namespace_names, namespace_packages, owner_order

MAX_FILE_BYTES = 5_000_000
MAX_ROUNDS = 50  # solve, then complete what stayed unknown (decorators, keys), and solve again
MAX_MRO_ROUNDS = 3
Progress = Callable[[str, int, "int | None"], None]  # (step, files done, files in it, or None for a step of no count)


@dataclass
class Limits:
    per_file_s: float = 10.0  # constraint generation for one module
    solve_s: float = 300.0  # the whole fixpoint


def decoded(data: bytes) -> str:
    """Python source as Python reads it: in the encoding its BOM or coding line declares, else as UTF-8 with U+FFFD
    for what is not. Decoded as UTF-8 alone, a file that began with a UTF-8 BOM (as Windows editors write) kept it
    as a character the parser refused: the whole file went to the name-only fallback."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):  # a bad coding line or bytes: as before, U+FFFD for them
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")


class Program:
    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root.resolve()
        self.limits = limits or Limits()
        self.e = E.Engine(self)
        self.e.program = self
        self.modules: dict[str, ModuleInfo] = {}  # by path
        self.names: dict[str, str] = {}  # module path -> its dotted name, loaded or not
        self.by_name: dict[str, list[str]] = {}  # dotted name -> the paths of the modules it may name
        self.src_root: dict[str, str] = {}  # module path -> its source root (relative dir)
        self.namespace_folders: dict[str, str] = {}  # dotted name -> the folder of a namespace package
        self.namespaces: dict[str, ModuleInfo] = {}  # the module objects of those reached, by dotted name
        self.unreadable: set[str] = set()
        self.linked = False  # star imports linked: a module loaded from now on links its own at once
        self.unbuilt: list[ModuleInfo] = []  # loaded after constraint generation began, not built yet
        self.trees: dict[str, ast.Module | None] = {}
        self.defs: list[FuncInfo | ClassInfo] = []
        self.follow = False
        self.record_refs = False  # keep (line, col, node) of every name use, for the index
        self._holders: dict[int, int] = {}
        self._exports: dict[str, list[str]] = {}
        self.scans: dict[str, dict] = {}
        self.complete = True
        self.errors: list[str] = []
        self.timings: dict[str, float] = {}
        self.progress: Progress | None = None

    # -- construction ----------------------------------------------------------
    @classmethod
    def for_package(cls, package: Path, entries: list[Path], limits: Limits | None = None) -> Program:
        prog = cls(package, limits)
        prog.follow = True
        queue = []
        for f in entries:
            rel = prog._rel(f)
            prog._register(rel, prog._package_name(rel), "")
            mod = prog._load(rel)
            if mod is not None:
                queue.append(mod)
        while queue:
            mod = queue.pop()
            for dotted in prog._imported_names(mod):
                target = prog._find_on_disk(dotted)
                if target is not None and target not in prog.modules:
                    prog._register(target, prog._package_name(target), "")
                    new = prog._load(target)
                    if new is not None:
                        queue.append(new)
        return prog

    @classmethod
    def for_tree(cls, root: Path, paths: list[str], limits: Limits | None = None, record_refs: bool = False,
                 tree: list[str] | None = None, progress: Progress | None = None) -> Program:
        """Analyse `paths`; `tree` (every Python file, `paths` when not given) names the modules, and those of
        its files a name resolves to are loaded then. Names come from the whole tree: whether pkg/ holds an
        __init__.py makes pkg/a.py `pkg.a` or `a`, though the update analyses pkg/a.py alone. An __init__.pyi
        stub in `tree` makes its folder a package too, as it does for the index (`python_modules`), which names
        the modules below it so; it is no module here (a stub has no bodies to resolve calls in, and does not run:
        without an __init__.py the folder is a namespace package)."""
        prog = cls(root, limits)
        prog.record_refs = record_refs
        prog.progress = progress
        every = sorted(set(paths).union(tree or ()))
        with_init = {os.path.dirname(p) for p in every if is_package_init(p)}
        modules = [p for p in every if not p.endswith(".pyi")]
        for rel in modules:
            d = os.path.dirname(rel)
            while d and d in with_init:
                d = os.path.dirname(d)
            sub = rel[len(d) + 1:] if d else rel
            prog._register(rel, prog._dotted(sub), d)
        for name, cands in prog.by_name.items():  # as the index orders the files of one name
            cands.sort(key=lambda p, name=name: owner_order(p, name))
        prog._name_namespace_packages()
        prog.namespace_folders = namespace_packages(modules)  # a stub-only package is one too: it has no module
        for n, rel in enumerate(sorted(paths), 1):
            prog._load(rel)
            prog._tell("reading", n, len(paths))
        return prog

    def _tell(self, step: str, done: int, total: int | None) -> None:
        """Tell `progress` how far the analysis is: a whole program takes django half a minute."""
        if self.progress:
            self.progress(step, done, total)

    def _register(self, rel: str, name: str, src_root: str) -> None:
        if rel not in self.names:
            self.names[rel] = name
            self.src_root[rel] = src_root
            self.by_name.setdefault(name, []).append(rel)

    def _name_namespace_packages(self) -> None:
        """Let imports find a module by the longer names that namespace packages (folders without __init__.py
        above it) give it: `from ns.sub.util import f` names ns/sub/util.py, whose own name is `util`. As the
        index's import resolution does (`namespace_names`): own names first, then the module nearest the root."""
        for rel in sorted(self.names, key=lambda p: (p.count("/"), p)):
            for name in namespace_names(rel, self.names[rel]) if self.names[rel] else ():
                self.by_name.setdefault(name, [rel])

    def _rel(self, f: Path) -> str:
        f = f.resolve()
        try:
            return f.relative_to(self.root).as_posix()
        except ValueError:
            return f.as_posix()

    @staticmethod
    def _dotted(rel: str) -> str:
        parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        return ".".join(parts)

    def _package_name(self, rel: str) -> str:
        if rel.startswith("/"):
            return self._dotted(os.path.basename(rel))
        return self._dotted(rel)

    def _read(self, rel: str) -> str | None:
        p = Path(rel) if rel.startswith("/") else self.root / rel
        try:
            data = p.read_bytes()
        except OSError as exc:
            self.errors.append(f"{rel}: {exc.strerror or exc}")
            return None
        if len(data) > MAX_FILE_BYTES:
            self.errors.append(f"{rel}: over {MAX_FILE_BYTES} bytes, skipped")
            return None
        return decoded(data)

    def _load(self, rel: str) -> ModuleInfo | None:
        """The module of a registered path, read and parsed on first use; None when it cannot be read."""
        if rel in self.modules:
            return self.modules[rel]
        if rel in self.unreadable:
            return None
        source = self._read(rel)
        if source is None:
            self.unreadable.add(rel)
            return None
        mod = ModuleInfo(self.names[rel], rel, rel.endswith("__init__.py"), source=source, wide=wide_lines(source))
        self.modules[rel] = mod
        mod.obj = self.e.obj("module", mod)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, filename=rel)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            mod.errors.append(f"line {getattr(exc, 'lineno', 0) or 0}: {type(exc).__name__}: {exc}")
            tree = None
        self.trees[rel] = tree
        if tree is not None:
            scans = scan(tree)
            s = scans[id(tree)]
            mod.scope = Scope("module", None, mod, s.local_names, set(), set(), s.rebound_inside)
            mod.defined = set(s.local_names)
            mod.all_names = module_all(tree)
            mod.bindings = interface.bindings(tree, lambda module, level: self._absolute(mod, module, level))
            mod.shape = interface.shape(tree, source)
            self.scans[rel] = scans
        else:
            mod.scope = Scope("module", None, mod)
        if self.linked:  # reached while analysing: link it as `run` linked the others, build it before solving on
            self._link_stars(mod)
            self._extend_by_stars(mod)
            self.unbuilt.append(mod)
        return mod

    def _imported_names(self, mod: ModuleInfo) -> list[str]:
        tree = self.trees.get(mod.path)
        out: list[str] = []
        if tree is None:
            return out
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    parts = a.name.split(".")
                    out += [".".join(parts[:i + 1]) for i in range(len(parts))]
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(mod, node.module or "", node.level)
                if base:
                    out.append(base)
                    out += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
                    parts = base.split(".")
                    out += [".".join(parts[:i + 1]) for i in range(len(parts) - 1)]
        return out

    def _find_on_disk(self, dotted: str) -> str | None:
        if not self.follow or not dotted:
            return None
        base = self.root.joinpath(*dotted.split("."))
        for cand in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if cand.is_file():
                return cand.relative_to(self.root).as_posix()
        return None

    # -- import resolution -----------------------------------------------------
    def _absolute(self, mod: ModuleInfo, module: str, level: int) -> str:
        if level == 0:
            return module
        parts = mod.name.split(".") if mod.name else []
        if not mod.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[:len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        return ".".join(parts + ([module] if module else []))

    def resolve(self, dotted: str, importer: ModuleInfo | None) -> ModuleInfo | None:
        """The module `dotted` names for `importer` (one in its own source root first, else the first of them as
        `owner_order` ranks them: `foo/__init__.py` before `foo.py` beside it), loaded if it was not."""
        cands = self.by_name.get(dotted, [])
        while cands:
            if len(cands) == 1 or importer is None:
                rel = cands[0]
            else:
                own = self.src_root.get(importer.path)
                rel = min(cands, key=lambda p: self.src_root.get(p) != own)  # the first of the least
            mod = self._load(rel)
            if mod is not None:
                return mod
            cands = [c for c in cands if c != rel]
        return self._namespace(dotted)

    def _namespace(self, dotted: str) -> ModuleInfo | None:
        """The module object of a namespace package (PEP 420: a folder without __init__.py, or with only a stub
        __init__.pyi), which no file defines: its attributes are its submodules, so `from ns import m` and
        `import ns.m` then `ns.m.f()` reach ns/m.py. Without one both named an external `ns`."""
        if dotted not in self.namespaces:
            folder = self.namespace_folders.get(dotted)
            if folder is None:
                return None
            mod = self.namespaces[dotted] = ModuleInfo(dotted, folder, True, namespace=True)
            mod.scope = Scope("module", None, mod)
            mod.obj = self.e.obj("module", mod)
        return self.namespaces[dotted]

    def holder(self, obj: int) -> int:
        n = self._holders.get(obj)
        if n is None:
            n = self._holders[obj] = self.e.holder(obj)
        return n

    def import_module(self, mod: ModuleInfo, name: str, level: int, whole: bool) -> int:
        target_name = name if whole else name.split(".")[0]
        target = self.resolve(target_name, mod)
        if target is not None:
            return self.holder(target.obj)
        return self.holder(self.e.ext(target_name))

    def import_from(self, mod: ModuleInfo, module: str, level: int, name: str) -> int | None:
        base = self._absolute(mod, module, level)
        target = self.resolve(base, mod)
        if target is not None:
            return self.attr_node(target, name)
        return self.holder(self.e.ext(f"{base}.{name}" if base else name))

    def attr_node(self, mod: ModuleInfo, name: str) -> int | None:
        if name in mod.defined:
            return self.e.var_union(mod.scope, name)
        sub = self.resolve(f"{mod.name}.{name}" if mod.name else name, mod)
        if sub is not None:
            return self.holder(sub.obj)
        for ext in mod.star_from:
            if isinstance(ext, str):
                return self.holder(self.e.ext(f"{ext}.{name}"))
        return self.e.var_union(mod.scope, name)

    def module_attr(self, mod: ModuleInfo, name: str, dst: int) -> None:
        node = self.attr_node(mod, name)
        if node is not None:
            self.e.edge(node, dst)

    def exports(self, mod: ModuleInfo, active: frozenset = frozenset()) -> list[str]:
        if mod.path in self._exports:
            return self._exports[mod.path]
        if mod.all_names is not None:
            names = list(mod.all_names)
        else:
            names = sorted(n for n in mod.defined if not n.startswith("_"))
            for sub in mod.star_from:
                if isinstance(sub, ModuleInfo) and sub.path not in active:
                    names += [n for n in self.exports(sub, active | {mod.path}) if not n.startswith("_")]
        if not active:
            self._exports[mod.path] = names
        return names

    def star_import(self, mod: ModuleInfo, module: str, level: int) -> list[tuple[str, int | None]]:
        target = self.resolve(self._absolute(mod, module, level), mod)
        if target is None:
            return []
        return [(n, self.attr_node(target, n)) for n in self.exports(target)]

    def global_name(self, mod: ModuleInfo, name: str) -> int | None:
        if name in mod.defined:
            return self.e.var_union(mod.scope, name)
        if name in E.BUILTIN_NAMES:
            return self.holder(self.e.builtin(name))
        for ext in mod.star_from:
            if isinstance(ext, str):
                return self.holder(self.e.ext(f"{ext}.{name}"))
        return None

    def defined(self, defn) -> None:
        self.defs.append(defn)

    # engine callbacks
    def builtin_call(self, name, args, dst, site) -> None:
        library.builtin_call(self.e, name, args, dst, site)

    def container_call(self, cont, name, args, dst, site) -> None:
        library.container_call(self.e, cont, name, args, dst, site)

    # -- the run ---------------------------------------------------------------
    def _link_star_imports(self) -> None:
        linked: set[str] = set()
        while len(linked) < len(self.modules):  # a star import's target may be loaded only now
            for mod in [m for p, m in self.modules.items() if p not in linked]:
                linked.add(mod.path)
                self._link_stars(mod)
        for mod in list(self.modules.values()):
            self._extend_by_stars(mod)
        self.linked = True

    def _link_stars(self, mod: ModuleInfo) -> None:
        tree = self.trees.get(mod.path)
        for node in tree.body if isinstance(tree, ast.Module) else []:
            for st in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
                if isinstance(st, ast.ImportFrom) and any(a.name == "*" for a in st.names):
                    base = self._absolute(mod, st.module or "", st.level)
                    target = self.resolve(base, mod)
                    mod.star_from.append(target if target is not None else base)

    def _extend_by_stars(self, mod: ModuleInfo) -> None:
        for target in mod.star_from:
            if isinstance(target, ModuleInfo):
                mod.defined.update(self.exports(target))

    def link(self) -> Program:
        """Link star imports and stop: the modules' names, bindings and exports are known, nothing is analysed
        (what `interface.digests` reads, at the cost of parsing)."""
        self._link_star_imports()
        return self

    def run(self) -> Program:
        started = time.perf_counter()
        self._link_star_imports()
        for n, rel in enumerate(sorted(self.modules), 1):
            self._build(self.modules[rel])
            self._tell("analysing", n, len(self.modules))
        self._build_reached()
        self._tell("solving", 0, None)
        self.timings["generate"] = round(time.perf_counter() - started, 2)
        self._solve()
        self.timings["solve"] = round(time.perf_counter() - started - self.timings["generate"], 2)
        return self

    def _build(self, mod: ModuleInfo) -> None:
        tree = self.trees.get(mod.path)
        if tree is None:
            build_fallback(self, mod)
            return
        try:
            ModuleBuilder(self, self.e, mod, tree, self.scans.pop(mod.path), self.limits.per_file_s).build()
        except RecursionError:
            mod.complete = False
            mod.errors.append("too deeply nested: analysed in part")
        self.trees[mod.path] = None  # the syntax tree is no longer needed
        mod.source = ""
        if not mod.complete:
            self.complete = False

    def _build_reached(self) -> bool:
        """Build the modules first reached after generation began (building one may reach more)."""
        built = bool(self.unbuilt)
        while self.unbuilt:
            self._build(self.unbuilt.pop(0))
        return built

    def _solve(self) -> None:
        deadline = time.monotonic() + self.limits.solve_s
        mro_rounds = rounds = 0
        while rounds < MAX_ROUNDS:
            if not self.e.solve(deadline):
                self.complete = False
                self.errors.append("time bound reached while solving: results are partial")
                return
            if self._build_reached():  # a module first read as `pkg.mod` while solving: not a round of its own
                continue
            rounds += 1
            if mro_rounds < MAX_MRO_ROUNDS and self._refresh_mros():
                mro_rounds += 1
                continue
            if not any([w.fallback() for w in self.e.fallbacks]):  # noqa: C419 - run every fallback
                return

    def _refresh_mros(self) -> bool:
        """Class bases resolve during solving: recompute MROs and redo lookups that used stale ones."""
        classes = [d for d in self.defs if isinstance(d, ClassInfo) and d.mro is not None]
        old = {id(c): c.mro for c in classes}
        for c in classes:
            c.mro = None
        changed = [c for c in classes if self.e.mro(c) != old[id(c)]]
        if not changed:
            return False
        objs = set()
        moved = set(changed)  # a set, not `changed` read once a class: 20 million steps on django
        for c in self.defs:
            if isinstance(c, ClassInfo) and c.mro and not moved.isdisjoint(c.mro):
                objs.update((c.obj, c.inst))
        e = self.e
        seen: set[int] = set()
        for n, pts in enumerate(e.pts):
            ws = e.watchers[n]
            if not ws or not pts or id(pts) in seen:
                continue
            seen.add(id(pts))  # nodes collapsed into one cycle share their set and watchers
            hit = pts & objs
            if hit:
                for w in tuple(ws):
                    w.fire(tuple(hit))
        return True

    # -- results ---------------------------------------------------------------
    def analysed(self) -> list[ModuleInfo]:
        return [self.modules[p] for p in sorted(self.modules)]

    def release(self) -> None:
        """Drop what the program holds, so that reference counting frees it now; the program is no use after. Its
        parts refer to each other in cycles (the program and its engine, the engine and its constraints, a module's
        or class's scope and its owner, a class's MRO and the class), so once out of use its millions of objects
        (1.7 GB on django) waited for the cycle collector, whose passes walk them all (3 to 7 CPU seconds each)."""
        for mod in [*self.modules.values(), *self.namespaces.values()]:
            mod.scope = None
        for d in self.defs:
            if isinstance(d, ClassInfo):
                d.scope = d.mro = None
        vars(self.e).clear()
        vars(self).clear()
