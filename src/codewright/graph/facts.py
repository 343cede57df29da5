"""What extraction learns from one file, handed from the parsers to the store.

Extraction (`codewright.graph.extract`) is a pure function of (path, bytes): it knows
nothing of the database, so it can run in worker processes and be tested alone. The
store (`codewright.graph.store`) resolves imports against the whole tree and writes
these facts to SQLite. Lines and columns are 1-based; ids are `path::Qual.name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Symbol:
    id: str  # "src/pkg/mod.py::Class.method"; a module's id is "src/pkg/mod.py::"
    name: str  # "method"
    qualname: str  # "pkg.mod.Class.method" for Python; language-natural elsewhere
    kind: str  # module | class | function | method | constant | interface | struct | enum | type ...
    start_line: int
    end_line: int
    start_col: int = 1
    end_col: int = 1
    signature: str = ""
    doc: str = ""  # first line of the docstring or leading comment
    parent: str | None = None  # id of the enclosing symbol


@dataclass
class Import:
    module: str  # as written: "os.path", ".models", "./util", "github.com/x/y", "stdio.h"
    names: list[str] = field(default_factory=list)  # imported names ("*" for star); empty for `import m`
    alias: str | None = None
    line: int = 0
    level: int = 0  # Python relative-import dots; in Rust the inline modules (`mod m { }`) around the import
    scope: str | None = None  # id of the enclosing symbol when not at module level


@dataclass
class Reference:
    name: str  # the identifier used ("join")
    line: int
    col: int
    kind: str  # call | attribute | name | annotation | decorator | base | type | member | export (JS default, __all__)
    qualifier: str = ""  # dotted receiver as written ("os.path" for os.path.join(...))
    scope: str | None = None  # id of the enclosing symbol


@dataclass
class Annotation:
    """A Python function's parameter or local variable annotated with one class (`p: Pytester`): `p.x` in the
    function, and in the functions in it, names that class's member. `type_name` "" where a nested function binds
    the name again without one, or a lambda or a comprehension in the function does (`lambda p: p.x`, `[p.x for p
    in items]`, from line:col to end_line:end_col): there it names nothing."""

    scope: str  # id of the function
    name: str  # the variable
    line: int  # the line after which it holds: 0 for a parameter, an assignment's last line; a range's first
    type_name: str  # the class's name as written ("Pytester" of `p: mod.Pytester`)
    type_qualifier: str = ""  # what it is written in ("mod")
    col: int = 0  # a lambda's or comprehension's range: where it starts on `line`,
    end_line: int = 0  # and where it ends (before end_col); 0 for every other annotation
    end_col: int = 0


@dataclass
class Chunk:
    """A retrievable piece: a function or class (large classes split by method), the module rest, a doc section."""

    kind: str  # function | class | module | doc
    start_line: int
    end_line: int
    text: str
    symbol: str | None = None  # id of the symbol the chunk shows
    title: str = ""  # doc heading or symbol qualname


@dataclass
class FileFacts:
    path: str  # POSIX, relative to the repository root
    language: str | None
    symbols: list[Symbol] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)  # Python's annotated variables
    errors: list[str] = field(default_factory=list)  # syntax errors ("line 3: ...") and decode notes
