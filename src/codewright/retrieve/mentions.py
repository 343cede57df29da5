"""What a task's text names: files, traceback frames, dotted names and identifiers.

Bug reports name the code they are about far more often than their words suggest: a
traceback's frames, a `module.Class.method` in prose, an identifier in backticks, an
import line in a code block. Each kind of mention is kept apart because each points at
the code with its own strength; the ranker weighs them.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from codewright.graph.store import identifier_shape

_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
# Python frames as other tools print them, outermost first too, each with the text that every match holds (a
# task without it is not scanned: the patterns try every line, or every position, of a long text):
_PY_FRAMES = (
    (('File "',), _FRAME),
    # IPython 8: "File ~/env/site-packages/pkg/mod.py:1423, in Axes.bar(self, x)"
    ((".py:",), re.compile(r'^[ \t]*File (?P<path>[^\s"]+\.py):(?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?', re.MULTILINE)),
    # pytest's "src/pkg/mod.py:341: in from_call", its last frame's "src/pkg/mod.py:40: KeyError", and where a
    # warning was raised: "pkg/colors.py:730: DeprecationWarning: ..."
    ((".py:",), re.compile(r'^[ \t]*(?P<path>[^\s:"<>]+\.py):(?P<line>\d+):(?: in (?P<func>[\w<>.]+)[ \t]*$| \w*(?:Error|Exception|Warning)\b)',
                           re.MULTILINE)),
    # IPython 7: "~/env/site-packages/pkg/mod.py in fit(self, X)", its lines, the frame's own marked "-> 2194"
    ((".py in ",), re.compile(r"^(?P<path>[^\s:\"<>]+\.py) in (?P<func>[\w<>.]+)\(.*\n(?:(?![^\n]*\.py in )[^\n]*\n){0,40}?[ \t]*-+> ?(?P<line>\d+)",
                              re.MULTILINE)),
)
# Stack traces of other languages, which list the innermost frame first (Python's list it last):
_STACK_FRAMES = (
    # Node: "    at Router.handle (/srv/app/lib/router.js:10:5)", "    at /srv/app/index.js:3:1"
    (("js:", "ts:", "tsx:", "jsx:"),
     re.compile(r"^[ \t]*at (?:(?:async )?(?P<func>[^\s()]+)(?: \[as [^\]]+\])? \()?(?:file://)?"
                r"(?P<path>[^\s()]+\.(?:[cm]?js|jsx|ts|tsx)):(?P<line>\d+):\d+\)?[ \t]*$", re.MULTILINE)),
    # Java, Kotlin, Scala: "\tat com.acme.Widget.spin(Widget.java:42)"
    ((".java:", ".kt:", ".scala:"),
     re.compile(r"^[ \t]*at (?P<func>[\w$.<>]+)\((?P<path>[\w$]+\.(?:java|kt|scala)):(?P<line>\d+)\)", re.MULTILINE)),
    # Go: "main.(*Server).Serve(0xc000010000)" then "\t/home/u/app/server.go:88 +0x1d"
    # (the look-ahead first: the name's parentheses overlap the call's, and on other lines full of them the
    # search backtracked to each one, rescanning the line from there)
    ((".go:",), re.compile(r"^(?=[^\n]*\)\n[ \t]+[^\s:]+\.go:\d)(?P<func>[\w./*()-]+)\([^\n]*\)\n[ \t]+(?P<path>[^\s:]+\.go)"
                           r":(?P<line>\d+)\b", re.MULTILINE)),
    # Rust: "  3: app::server::serve" then "        at ./src/server.rs:88:5"; "panicked at src/main.rs:10:5"
    # (blanks are entered at their start only: from inside a long run each position rescanned the rest of it)
    ((".rs:",), re.compile(r"(?:^[ \t]*\d+: (?P<func>[\w:<>]+)\n)?(?<![ \t])[ \t]*(?:panicked )?at (?P<path>[\w./-]+\.rs)"
                           r":(?P<line>\d+):\d+", re.MULTILINE)),
)
# Identifiers are words of letters, digits and `_` not starting with a digit, letters beyond ASCII too (`größe`,
# `naïve_parse`), as the index finds them in code (graph.store.identifiers): `[^\W\d]` is a letter or `_`.
_FUNC_NAME = re.compile(r"[^\W\d]\w*$")
# What a mentioned file's name ends with: such a word is a path (`pytest.ini`, `wcs.c`), not a dotted code name.
# A web file's suffix makes no path (`django.utils.html` is a module), but no dotted name either (`base.html`).
_FILE_EXTS = ("py", "pyx", "pyi", "js", "jsx", "ts", "tsx", "go", "java", "rs", "c", "h", "cc", "cpp", "hpp", "rst", "md",
              "txt", "cfg", "toml", "ini", "json", "yaml", "yml")
_PATH = re.compile(rf"(?<![\w/.~-])((?:~?/)?(?:[\w.-]+/)*[\w.-]+\.(?:{'|'.join(_FILE_EXTS)}))\b")
_DOTTED = re.compile(r"\b[^\W\d]\w*(?:\.[^\W\d]\w*)+\b")
_IDENT = re.compile(r"\b[^\W\d]\w*")
_HUMP = re.compile(r"[a-z][A-Z]")  # camelCase, in an identifier's shape (identifier_shape: `größeBerechnen` too)
_TWO_HUMPS = re.compile(r"[A-Z][a-z]+[A-Z]")  # CamelCase with two humps, in its shape too
_CODE_BLOCK = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)  # an info string has no backtick
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_IMPORT = re.compile(r"^[ \t]*(?:from\s+([\w.]+)\s+import\s+([\w ,()*]+)|import\s+([\w., ]+))", re.MULTILINE)
_FILE_SUFFIXES = tuple(f".{ext}" for ext in (*_FILE_EXTS, "html", "css"))
_NOT_NAMES = set(keyword.kwlist) | {"self", "cls", "True", "False", "None", "print", "len", "str", "int", "list",
                                    "dict", "set", "tuple", "object", "type", "isinstance", "range", "http", "https",
                                    "www", "com", "org", "github", "python", "pip", "import", "from", "def", "class"}


@dataclass(frozen=True)
class Frame:
    path: str
    line: int
    func: str | None
    depth: int  # 0 for the outermost frame; the last frame is nearest the error


@dataclass
class Mentions:
    paths: list[str] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    dotted: list[str] = field(default_factory=list)
    code_names: Counter[str] = field(default_factory=Counter)  # identifiers in code blocks and spans
    prose_names: Counter[str] = field(default_factory=Counter)  # identifier-shaped words in prose
    imports: list[tuple[str, str | None]] = field(default_factory=list)  # (module, name) from import lines

    def names(self) -> Counter[str]:
        """Every identifier mentioned, code and prose together, with the last part of dotted names."""
        found = Counter(self.code_names) + Counter(self.prose_names)
        for dotted in self.dotted:
            found[dotted.rsplit(".", 1)[-1]] += 1
        for frame in self.frames:
            if frame.func and frame.func.isidentifier():
                found[frame.func] += 1
        return found


def parse_mentions(text: str) -> Mentions:
    text = text.replace("\r\n", "\n")  # pasted from Windows or a browser: the line-anchored patterns expect "\n"
    found = Mentions()
    found.frames = _frames(text)
    found.paths = _paths(text, {frame.path for frame in found.frames})
    found.dotted = _unique(d for d in _DOTTED.findall(text) if _is_code_dotted(d))
    code = _FRAME.sub(" ", "\n".join(_CODE_BLOCK.findall(text) + _CODE_SPAN.findall(text)))
    found.code_names = Counter({n: k for n, k in Counter(_IDENT.findall(code)).items() if _is_name(n)})
    prose = _CODE_SPAN.sub(" ", _CODE_BLOCK.sub(" ", text))
    found.prose_names = Counter({n: k for n, k in Counter(_IDENT.findall(prose)).items()
                                 if _is_name(n) and _looks_like_code(n)})
    for m in _IMPORT.finditer(code):
        if m.group(1):
            for part in m.group(2).strip("() ").split(","):
                if name := part.split()[0] if part.split() else "":
                    found.imports.append((m.group(1), name))
        else:
            found.imports.extend((mod.strip().split(" as ")[0], None) for mod in m.group(3).split(","))
    return found


def _paths(text: str, framed: set[str]) -> list[str]:
    """Paths the text names, not in URLs. An absolute one that a frame names is that frame's (the reporter's
    machine's path to the code); in prose (`/home/me/proj/app/models.py`) it is a mention like a relative one."""
    found = (m.group(1) for m in _PATH.finditer(text) if "://" not in text[max(0, m.start() - 8):m.start()])
    tails = {f[i:] for f in framed for i, c in enumerate(f) if c in "/~"}  # what an absolute path can end
    return _unique(p for p in found if not (is_absolute(p) and p in tails))


def is_absolute(path: str) -> bool:
    """A path from the root or the home folder of the machine where the task was written."""
    return path.startswith(("/", "~"))


def _frames(text: str) -> list[Frame]:
    """Traceback frames, outermost first (depth 0), whatever order the language prints them in."""
    python = [(m["path"], m["line"], m["func"]) for m in sorted(_scan(_PY_FRAMES, text), key=lambda m: m.start())]
    stacks = [(_frame_path(m["path"], m["func"]), m["line"], _own_name(m["func"])) for m in _scan(_STACK_FRAMES, text)]
    ordered = python + stacks[::-1]
    return [Frame(path.replace("\\", "/"), _line(line), func, depth) for depth, (path, line, func) in enumerate(ordered)]


def _line(digits: str) -> int:
    """A frame's line number; one too long to be a line (past Python's 4300-digit int limit, pasted garbage)
    reads 0, which no span holds, and the frame still names its path and function."""
    return int(digits) if len(digits) <= 9 else 0


def _scan(patterns: tuple[tuple[tuple[str, ...], re.Pattern], ...], text: str) -> Iterator[re.Match]:
    """The matches of each pattern in turn, of those whose needed text the task holds."""
    for needles, pattern in patterns:
        if any(needle in text for needle in needles):
            yield from pattern.finditer(text)


def _own_name(func: str | None) -> str | None:
    """The function's own name in a qualified one (`Router.handle`, `main.(*Server).Serve`, `app::serve`)."""
    name = _FUNC_NAME.search(func or "")
    return name.group() if name else None


def _frame_path(path: str, func: str | None) -> str:
    """A Java frame names its file without folders; its class's package gives them (com.acme.Widget.spin in
    Widget.java -> com/acme/Widget.java)."""
    if func and path.endswith((".java", ".kt", ".scala")) and "/" not in path:
        package = [p for p in func.split(".")[:-2] if p.isidentifier() and p[0].islower()]
        return "/".join([*package, path])
    return path


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _is_name(name: str) -> bool:
    return len(name) > 2 and name not in _NOT_NAMES and not name.isdigit()


def _looks_like_code(word: str) -> bool:
    """snake_case, camelCase, CamelCase with two humps, or UPPER_CASE: not an English word."""
    shape = word if word.isascii() else identifier_shape(word)
    return "_" in word.strip("_") or bool(_HUMP.search(shape)) or bool(_TWO_HUMPS.match(shape))


def _is_code_dotted(dotted: str) -> bool:
    if dotted.endswith(_FILE_SUFFIXES) or dotted.count(".") > 8:
        return False
    parts = dotted.split(".")
    return all(p and not p[0].isdigit() for p in parts) and not (len(parts) == 2 and parts[0].islower() and parts[1] in {"e", "g"})
