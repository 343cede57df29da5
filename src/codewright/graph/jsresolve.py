"""How JavaScript and TypeScript name the tree's files without a relative path.

Two ways a project names its own code with a bare specifier, both read from files of the tree:

- path aliases of the nearest tsconfig.json or jsconfig.json above the importing file
  (`compilerOptions.paths`, e.g. `"@/*": ["src/*"]`, and `baseUrl`), following `extends` to
  other configs of the tree, as TypeScript does;
- the packages of a workspace (monorepo): every package.json of the tree names a package,
  `import { x } from "@acme/utils"` is that folder's entry file (`source`, `types`, `module`,
  `main`, or an index file; `src/` first, since built output is rarely in the tree), and
  `@acme/utils/sub` a file below it.

Configs are JSON with comments and trailing commas (TypeScript's own dialect); one that does
not parse is ignored, never fatal.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")  # in TypeScript's order of preference
MANIFEST = "package.json"
_LAYOUT_FILE = re.compile(r"(^|/)((ts|js)config[\w.-]*\.json|package\.json)$")  # tsconfig.base.json for `extends`
_ENTRY_FIELDS = ("source", "types", "typings", "module", "main")
_STRING = r'("(?:\\.|[^"\\])*")'  # a JSON string, matched whole so that what looks like a comment in it stays
_JSONC_NOISE = re.compile(_STRING + r"|//[^\n]*|/\*.*?\*/", re.DOTALL)
_TRAILING_COMMA = re.compile(_STRING + r"|,(?=\s*[}\]])")
_BUILT = re.compile(r"\.(d\.ts|[cm]?js|jsx|tsx?)$")  # the suffix of a package's entry file


def is_layout_file(path: str) -> bool:
    """Whether the file's text changes what JS/TS imports resolve to: a tsconfig or jsconfig (the ones named
    otherwise are read when a config extends them), a package.json."""
    return path.endswith(".json") and bool(_LAYOUT_FILE.search(path))


@dataclass
class Aliases:
    """One config's `paths` (pattern -> targets, each relative to the root) and its `baseUrl`."""

    paths: list[tuple[str, list[str]]] = field(default_factory=list)
    base: str | None = None


@dataclass
class JsLayout:
    """The tree's configs by folder, and its packages by name."""

    configs: dict[str, Aliases] = field(default_factory=dict)  # config's folder -> its aliases
    packages: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # name -> (folder, entry files)

    @classmethod
    def build(cls, texts: dict[str, str]) -> JsLayout:
        """From the text of the tree's layout files (`is_layout_file`), by path."""
        found = cls()
        parsed = {path: data for path, text in texts.items() if isinstance(data := parse_jsonc(text), dict)}
        for path in sorted(parsed, key=lambda p: (posixpath.basename(p) != CONFIG_NAMES[0], p)):
            name = posixpath.basename(path)
            folder = posixpath.dirname(path)
            if name in CONFIG_NAMES and folder not in found.configs:
                found.configs[folder] = _aliases(path, parsed)
            elif name == MANIFEST and isinstance(package := parsed[path].get("name"), str):
                entries = [_join(folder, e) for f in _ENTRY_FIELDS if isinstance(e := parsed[path].get(f), str)]
                found.packages.setdefault(package, (folder, entries))
        return found

    def resolve(self, path: str, module: str, find: Callable[[str], str | None]) -> str | None:
        """The file a bare specifier names from `path`, or None (a dependency outside the tree).

        `find(base)` tries a path with the usual extensions and index files."""
        aliases = self._nearest(path)
        if aliases:
            for pattern, targets in aliases.paths:
                star = _match(pattern, module)
                if star is None:
                    continue
                for target in targets:
                    hit = find(target.replace("*", star, 1))
                    if hit:
                        return hit
            if aliases.base is not None:
                hit = find(_join(aliases.base, module))
                if hit:
                    return hit
        return self._package(module, find)

    def _nearest(self, path: str) -> Aliases | None:
        folder = posixpath.dirname(path)
        while True:
            if folder in self.configs:
                return self.configs[folder]
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def _package(self, module: str, find: Callable[[str], str | None]) -> str | None:
        parts = module.split("/")
        size = 2 if module.startswith("@") else 1
        found = self.packages.get("/".join(parts[:size]))
        if found is None:
            return None
        folder, entries = found
        rest = "/".join(parts[size:])
        if rest:
            return find(_join(folder, "src", rest)) or find(_join(folder, rest))
        for entry in entries:
            stem = _BUILT.sub("", entry)
            hit = find(entry) or find(stem.replace("/dist/", "/src/", 1).replace("/lib/", "/src/", 1)) or find(stem)
            if hit:
                return hit
        return find(_join(folder, "src", "index")) or find(_join(folder, "index"))


def parse_jsonc(text: str) -> object:
    """JSON with // and /* */ comments and trailing commas, as tsconfig files are written; None if broken."""
    cleaned = _TRAILING_COMMA.sub(_string_or_nothing, _JSONC_NOISE.sub(_string_or_nothing, text))
    try:
        return json.loads(cleaned)
    except ValueError:
        return None


def _string_or_nothing(match: re.Match) -> str:
    """A matched string literal unchanged; anything else matched (a comment, a trailing comma) removed."""
    return match.group(1) or ""


def _aliases(path: str, parsed: dict[str, dict], seen: frozenset[str] = frozenset()) -> Aliases:
    """A config's aliases, over those of the config it extends (a path of the tree)."""
    data = parsed[path]
    folder = posixpath.dirname(path)
    inherited = Aliases()
    extends = data.get("extends")
    if isinstance(extends, str) and extends.startswith("."):
        parent = _join(folder, extends if extends.endswith(".json") else extends + ".json")
        if parent in parsed and parent not in seen:
            inherited = _aliases(parent, parsed, seen | {path})
    options = data.get("compilerOptions")
    options = options if isinstance(options, dict) else {}
    base = options.get("baseUrl")
    base = _join(folder, base) if isinstance(base, str) else inherited.base
    paths = options.get("paths")
    if not isinstance(paths, dict):
        return Aliases(inherited.paths, base)
    root = base if base is not None else folder  # paths without baseUrl are relative to their own config
    found = [(pattern, [_join(root, t) for t in targets if isinstance(t, str)])
             for pattern, targets in paths.items() if isinstance(targets, list)]
    found.sort(key=lambda item: -len(item[0].split("*", 1)[0]))  # the longest prefix first, as TypeScript
    return Aliases(found, base)


def _match(pattern: str, module: str) -> str | None:
    """What `*` stands for when `module` matches `pattern` ("" for an exact match), else None."""
    if "*" not in pattern:
        return "" if module == pattern else None
    prefix, suffix = pattern.split("*", 1)
    if module.startswith(prefix) and module.endswith(suffix) and len(module) >= len(prefix) + len(suffix):
        return module[len(prefix):len(module) - len(suffix)]
    return None


def _join(*parts: str) -> str:
    """A path relative to the root; "" for the root itself."""
    joined = posixpath.normpath(posixpath.join(*parts))
    return "" if joined == "." else joined.removeprefix("./")
