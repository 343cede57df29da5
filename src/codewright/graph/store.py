"""The SQLite file behind the index: schema, opening, locking, and rows in and out.

One database per tree, `.codewright/index.db`, in WAL mode so readers never wait for a
writer. Writers (`codewright index`, `Index.update`) take an exclusive lock file first:
two concurrent index runs serialise, and the second one re-scans after the first has
written, so no update is lost and nothing is written twice.

A database from an older schema version, or one SQLite cannot read, is deleted and
rebuilt: the index is a cache of the tree, never the only copy of anything.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

from codewright.errors import CodewrightError, UsageError
from codewright.quoting import quoted

SCHEMA_VERSION = 59  # 2: refs.scope holds symbols.id; 3: signatures without comments, namespace-package imports;
# 4: values' signatures without comments too, and every language's
# 5: JS functions assigned to a property at the top level (`res.send = function`) are symbols; Go's
# type, const and var signatures start with their keyword; 6: a cold build resolves members of a module that
# its package re-exports (`from . import json as json`), as an update did; 7: names resolve through chains of
# star imports (Python's `from .core import *`, `export * from`), JS/TS default exports (`export default`,
# `module.exports = x`, references of kind `export`); 8: JS/TS class fields holding a function are methods,
# the functions of an object assigned to module.exports are the module's, bare JS/TS specifiers resolve through
# tsconfig/jsconfig path aliases and the workspace's packages, dynamic import() is an import; 9: the strings of
# Python's `__all__` are `export` references and a star import takes only what they list; JS `export *` takes `_x`
# 10: C/C++ declarations in include guards, #ifdef, extern "C" and namespaces, C++ constructors, operators and template
# members, enum constants in every language, Go's grouped vars, TS overloads as prototypes, CommonJS `exports.f` as f
# 11: the functions of a JS/TS object a variable holds (`const api = {get: function () {}}`) are `api.get`; a
# Python @overload signature gives way to the implementation; a dotted qualifier over 200 characters is dropped;
# Rust impls of primitive types (impl Tr for u8) hold their methods
# 12: constructing a Python class is a call of the class (the calls table); Python `type X = ...` is a symbol (kind type);
# an attribute or item assigned in a top-level if/try (`obj.x = 1`, `d[k] = 1`) defines no Python symbol;
# each name of a Python chained assignment (`f = g = 5`) is a symbol; the captures of a Python `case` pattern bind
# (they were references), its value patterns (`Color.RED`) have their qualifier; an id is split at its last `::`
# (a file named `x::y.py`); identifiers beyond ASCII (`größeBerechnen`) are split into the FTS `idents` column
# 13: the class of a Python `case` class pattern (`case Point(x=0)`) is a reference of kind type, not call; each
# name of a nested Python unpacking (`a, (b, *c) = ...`, in a class body too) is a symbol, and binds (no reference)
# Python's PEP 695 type parameters (`def f[T]`) bind in their definition, and an annotation naming a local is no reference
# and the call graph's columns (calls, resolved_refs) count characters, as the refs' do, not UTF-8 bytes; a C++
# function whose type follows a macro (`MY_API my_t f (...)`) is named f, not my_t
# 14: a JS/TS named function or class assigned to `module.exports` (`module.exports = function run`) is the module's
# `run`, and its name an `export` reference; it was the method `module.exports`; a Python .pyi stub is named as its
# module (`pkg/mod.pyi` is `pkg.mod`, not its folders' path), an __init__.pyi makes a package, imports find stubs
# a C/C++ `#define` between an enum's constants no longer loses the constant after it, and is a macro; a macro is the
# file's wherever it is defined (`S_A`, not `s.S_A` in a struct's body)
# 15: files keep their ctime and inode beside size and mtime, and meta the file system's time a build
# started at (BUILD_STARTED): a file changed keeping its size and mtime, or in the tick it was read, is seen
# 16: a JS/TS generator function (`module.exports = function* gen`, `exports.gen = function* ()`) is a symbol
# wherever a function is
# an anonymous class or function that is a JS/TS module's default (`export default class {}`, `module.exports =
# function () {}`) is `default` (its methods `default.go`); the methods were the module's, the function no symbol
# a Python .pyw file is named as a .py module is (`pkg/gui.pyw` is `pkg.gui`), and imports find it
# a C/C++ directive in an initializer (`int t[] = {1,\n#define X 2\n X};`, `{\n#include "t.inc"\n}`) is a macro or an
# include, and no syntax error
# 17: a Python package takes its name before a module of that name beside it, and a source root nearer the tree's
# root before one below it (`import foo` is foo/__init__.py, not foo.py nor bin/foo.py); an import of a namespace
# package (`from ns import m`, ns/ without __init__.py) targets its folder, and `m` is ns/m.py; a name a module does
# not bind is looked for in the stub beside it (pkg/__init__.pyi beside pkg/__init__.py)
# the functions of a JS/TS object a variable holds are the variable's wherever it is (`{ const SelectBox = {...} }`,
# an IIFE, a function: `f.local.m`), the variable a symbol; those of `X.prototype = {...}` are X's methods, those of
# `export default {...}` are `default.m`: they were bare (`m`) or the enclosing function's
# a C/C++ conditional (`#ifdef`...`#endif`) in an initializer keeps every branch's elements, and no syntax error
# 18: a JS/TS private member used (`this.#step()`) is a reference, of kind attribute or call
# 19: a Rust inline module (`mod inner { ... }`) is of kind namespace: of kind module, it was taken for a file's own
# symbol, left out of outlines, searches and the names its file defines
# 20: Rust paths resolve as modules are declared: `super` the declaring module's file, `crate` the root file,
# `mod x;` in src/a.rs src/a/x.rs; a Rust import's level counts the inline modules around it
# 21: a TS import of a compiled name finds its source: `./util.mjs` util.mts, `./old.cjs` old.cts, `./App.jsx` App.tsx
# 22: a Java static import (`import static a.C.check;`, `a.C.*`) and a nested class's (`import a.C.Inner;`) bind the
# class's members
# 23: a Java import of a package whose name starts with `static` (`import statics.Util;`) keeps its name whole
# 24: a qualifier that names a class of the Go or Java package (`Util.check()` beside Util.java) resolves its member
# 25: in a Java class, a method called bare (`emit()`) or a class named bare (`Builder`) is a member of that class
# or of one around it
# 26: Go's blank `var _ I = (*T)(nil)`, `const _ = iota` and Rust's `const _: () = ...` are no symbols
# 27: a member whose owner its file does not define (a Go method of another file's type) is no top-level name of the
# file: a bare `Mark()` beside `func (c *Command) Mark()` is the function Mark's use
# 28: a name two files of a Go or Java package define is the first file's by path (it followed a set's order)
# 29: a Java import of one class (`import a.b.C;`) targets the class's file, wherever its package has a folder; of
# several files or folders, the one nearest the importing file
# 30: a Go method's receiver names its type: `c.Flags()` in `func (c *Command) Execute()` is Command.Flags's use
# 31: a Go type's methods are those of every file of its package; a member of another file's type (`p/flush.go::
# DB.Flush`, a Rust impl's) is a member of that id, which `self.x` in it reads
# 32: the last method of a decorated Python class is chunked from its own first line: it ended where the class
# does, and the class's decorator was taken for its own (its chunk held the whole class again)
# 33: a Python class's or function's signature has its decorators before it (`@property def name(self)`)
# 34: the functions of a JS/TS object a key holds are the key's (`const A = {sub: {f() {}}}` gives `A.sub.f`, the
# key a symbol), in a variable's object, module.exports', a prototype's or a default's: they were `A.f`, bare
# (`f`), or no symbol (`g: function` in the inner object)
# 35: a Rust item's signature has its attributes before it (`#[derive(Debug)] struct S`), a JS/TS class's or
# method's its decorators (`@Component({...}) class X`), cut as Python's are, as a long Java annotation now is; a
# Go dot import (`import . "pkg"`) makes the package's exported names the file's bare names; a Rust `mod x;` in an
# inline module (`mod outer { mod x; }` in src/lib.rs) imports src/outer/x.rs
# 36: an import in a function or a Rust inline module (`def f(): from pkg.mod import helper`, `fn f() { use x::Y; }`)
# binds its names for the references in it and in the functions in it; they were unresolved, or the module's own
# 37: each name after the head of a dotted use (`mod.Class.method()`, `Class.Inner.m()`, `ns.Klass.m()`) resolves as
# the member of what the names before it resolve to; only the head, or the step after it, did
# 38: a generic base class (Python's `class C(Base[T])`, Java's `extends Base<T>`, C++'s `: public Base<T>`) is a
# reference of kind base, as the bare name is; it was a name or a type
# 39: a Python bare name a function around it defines (`def outer(): def g(): ...; g()`) resolves to that one, not
# the module's; `self.x` in a function nested in a method resolves among the method's class's members
# 40: a Python symbol's doc is its docstring's first paragraph, its lines joined (at most 400 characters); it was
# the first line alone, cut mid-sentence where the summary wraps
# 41: a Python bare name in a class's body (`q = quit`, `@mark(SCOPES)` on a method) resolves to the class's member
# 42: `self.x` (`this.x`) resolves to a member the class inherits, from the nearest base that defines it
# 43: a JS/TS computed key names its method, field or object's function whole (`[Symbol.iterator]`, under its
# class: it was `iterator]`, the module's), a string's its text (`['save']() {}` and `'save': function` are `save`)
# and C/C++'s anonymous struct or union is named by the typedef or variable it defines (`typedef struct { int a; } T;`
# holds `T.a`, its signature `typedef struct {...} T`): its members were the file's, its signature `struct`
# 44: a member a Python class does not define resolves through its bases, in the method resolution order
# (`views.AuthorList.as_view()`, `self.objects`); it resolved nowhere
# 45: Python's `super().m()` resolves to the `m` next in the method's class's resolution order; it resolved nowhere
# 46: a Python function's parameter or local variable annotated with a class (`p: Pytester`, `Optional[X]`,
# `"X"`) makes `p.x` in it the class's member (table annotations); it resolved nowhere
# 47: a JavaScript class's private field holding a function (`#h = () => {}`) is the method `A.#h`, as in TypeScript
# 48: a JS/TS definition holding its decorators (`@Dec class P`, `@Input() name`) and a Java one its annotations
# (`@Override public String f()`) starts at its keyword or name, as a decorated Python function at `def`: it
# started at the first decorator's line
# 49: a Python class named as a base it imports (`from x import A`, `class A(A)`) inherits from that base, and `A.m`
# in its module is the class's: the base was the class itself, a cycle, and `A.m` the import's
# 50: Python's `super(X, self).m()` keeps its class in its qualifier (`super(X)`) and resolves to the `m` next after X
# in the method's class's order; it was read as `super().m()`
# 51: an annotation's range where a lambda or a comprehension binds the name anew (annotations.col, end_line, end_col):
# `p.x` in `lambda p: p.x` and `[p.x for p in items]` was the member of the class `p: C` names
# 52: the bases after the metaclass of a Python `with_metaclass(Meta, Base)` base (six's, future's) are references of
# kind base, and the class inherits from them; they were names
# 53: typing's Generic and Protocol are left out of a Python class's resolution order (`class C(Generic[T], Base)`
# inherits Base's members): outside the tree, they ended the search
# 54: a C struct's or union's members are its attributes (`point.x`), as C++'s are, and in both one declared through a
# pointer, an array or a function pointer (`char *name`, `int (*cb)(int)`); C indexed none, C++ only plain names
# 55: C++'s `void A::f() {}` after `using namespace ns;`, the file's A being ns's, is `ns::A::f`, one symbol with the
# declaration in the class: it was `A::f` beside it
# 56: a C/C++ typedef's anonymous enum holds its constants (`typedef enum { RED } Color;`: `Color.RED`, it was
# `RED`), and a bare use of a top-level enum's constant resolves to it (not C++'s `enum class`'s): a named one's
# resolved nowhere
# 57: a member of what a call of a Python class makes (`A().m()`, `mod.A(x).m`) is the instance's, through the class's
# bases; it resolved nowhere
# 58: a Python function's parameter or local variable named as an import or a definition of the module hides it as a
# qualifier's head (`json.dumps()` in `def f(json)`), an annotation with no type: it resolved into the module's
# 59: a Python comprehension's first iterable is read in the scope around it: `t` of `[x for t in t.dumps()]` (and of
# `[t for t in t]`) is the module's, a reference, and `t.dumps()` its member; they were the comprehension's, null
DB_NAME = "index.db"
LOCK_NAME = "index.lock"
BUILD_STARTED = "build_started_ns"  # meta key: the lock file's mtime when the last build took the lock

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT,
    module TEXT,              -- dotted Python module name, NULL elsewhere
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL DEFAULT 0,
    inode INTEGER NOT NULL DEFAULT 0,
    hash TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,     -- indexed | skipped
    reason TEXT               -- why skipped, or the first parse error
);
CREATE TABLE dirs (path TEXT PRIMARY KEY, parent TEXT, files INTEGER NOT NULL);
CREATE TABLE errors (file_id INTEGER NOT NULL, message TEXT NOT NULL);
CREATE TABLE symbols (
    id INTEGER PRIMARY KEY,
    sid TEXT NOT NULL,        -- path::Qual.name
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    qualname TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    start_col INTEGER NOT NULL, end_col INTEGER NOT NULL,
    signature TEXT NOT NULL, doc TEXT NOT NULL,
    parent TEXT
);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    module TEXT NOT NULL, names TEXT NOT NULL, alias TEXT,
    line INTEGER NOT NULL, level INTEGER NOT NULL, scope TEXT,
    target TEXT               -- repository path of the imported file (a folder: Go and Java packages, Python
                              -- namespace ones)
);
CREATE TABLE refs (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL,
    kind TEXT NOT NULL, qualifier TEXT NOT NULL,
    scope INTEGER,            -- symbols.id of the enclosing symbol (an id, not the text: a third of the size)
    target TEXT,              -- sid of the symbol it names, where the file's imports make it clear
    target_file INTEGER       -- files.id of that symbol's file
);
CREATE TABLE annotations (     -- a Python function's variables annotated with one class (`p: Pytester`)
    file_id INTEGER NOT NULL,
    scope TEXT NOT NULL, name TEXT NOT NULL, line INTEGER NOT NULL,
    type_name TEXT NOT NULL, type_qualifier TEXT NOT NULL, -- type_name '' where a nested function rebinds name,
    col INTEGER NOT NULL, end_line INTEGER NOT NULL, end_col INTEGER NOT NULL  -- or a lambda or comprehension, here
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    kind TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    symbol TEXT, title TEXT NOT NULL
);
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, text, idents, tokenize = 'unicode61');
"""

# Created after a cold bulk insert (cheaper than maintaining them row by row).
_INDEXES = """
CREATE INDEX IF NOT EXISTS symbols_file ON symbols(file_id);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);
CREATE INDEX IF NOT EXISTS symbols_sid ON symbols(sid);
CREATE INDEX IF NOT EXISTS symbols_parent ON symbols(parent);
CREATE INDEX IF NOT EXISTS imports_file ON imports(file_id);
CREATE INDEX IF NOT EXISTS imports_target ON imports(target) WHERE target IS NOT NULL;
CREATE INDEX IF NOT EXISTS refs_file ON refs(file_id, line, col);
CREATE INDEX IF NOT EXISTS refs_name ON refs(name);
CREATE INDEX IF NOT EXISTS refs_target ON refs(target) WHERE target IS NOT NULL;
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id);
CREATE INDEX IF NOT EXISTS errors_file ON errors(file_id);
CREATE INDEX IF NOT EXISTS annotations_file ON annotations(file_id);
"""


class IndexRebuilt(Exception):
    """Internal signal: the old database was unusable and has been removed."""


def index_dir(root: Path) -> Path:
    return root / ".codewright"


def connect(root: Path, notices: list[str]) -> sqlite3.Connection:
    """Open (creating or rebuilding as needed) the index database of `root`. What stops it (a file where the
    folder goes, a folder it may not write) is the user's to fix: a usage error, as for sessions.db."""
    try:
        return _connect(root, notices)
    except (OSError, sqlite3.OperationalError) as exc:
        raise UsageError(f"cannot open the index in {quoted(index_dir(root))}: {exc}") from exc


def _connect(root: Path, notices: list[str]) -> sqlite3.Connection:
    """Creating and deleting happen under the writer lock, re-checked there: a second process
    that sees a database still being created must wait for it, not delete it."""
    path = index_dir(root) / DB_NAME
    if path.exists() and _problem(path) is None:
        return _open(path)
    with lock(root):
        problem = _problem(path) if path.exists() else None
        if problem:
            notices.append(f"{path}: {problem}; rebuilding the index")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        conn = _open(path)
        if not _has_meta(conn):
            with transaction(conn):
                _run_script(conn, _SCHEMA)
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return conn


def _open(path: Path) -> sqlite3.Connection:
    if read_only(path):  # queries still work; a build says it cannot write
        return sqlite3.connect(_read_only_uri(path), uri=True, isolation_level=None, check_same_thread=False)
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def memory_copy(conn: sqlite3.Connection) -> sqlite3.Connection:
    """A copy of the database in memory, `conn` closed: what a question must write first (the call graph it
    resolves) is written there, and dropped with it, where the index cannot be written."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.backup(memory)
    conn.close()
    return memory


def read_only(path: Path) -> bool:
    """Whether the index's folder cannot be written: SQLite then cannot make the shared-memory file that even a
    reader of a WAL database needs, unless told that nothing can change the file (no writer could make its WAL
    there either)."""
    return path.exists() and not os.access(path.parent, os.W_OK)


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + ("?mode=ro&immutable=1" if read_only(path) else "?mode=ro")


def _has_meta(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    return row is not None


def _problem(path: Path) -> str | None:
    """Why an existing index.db cannot be used, or None when it can."""
    if not path.is_file():  # a FIFO there blocked SQLite's open forever
        return "not a regular file"
    try:
        try:
            return _patiently(lambda: path, lambda timeout: _checked(path, timeout))
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
            raise CodewrightError(f"the index {quoted(path)} is still locked by another process after "
                                  f"{LOCK_WAIT:g} s; run again once it has let go") from exc
    except sqlite3.DatabaseError as exc:
        return f"corrupted ({exc})"


LOCK_NOTICE_AFTER = 2.0  # seconds another process may hold the index (exclusive locking mode, a write) before it is said
LOCK_WAIT = 60.0  # seconds in all before giving up
T = TypeVar("T")


def _locked(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's lock: the index is busy, not corrupted (a locked
    one was deleted and rebuilt under the program holding it, after two silent minutes)."""
    return str(exc) == "database is locked"


def _patiently(where: Callable[[], Path | str], attempt: Callable[[float], T]) -> T:
    """`attempt(timeout)`, said on stderr once another process has held the index (at `where()`, asked only then)
    LOCK_NOTICE_AFTER s: a wait of a minute in silence looks like a hang. SQLite's error when it is still held after
    LOCK_WAIT s is the caller's."""
    try:
        return attempt(LOCK_NOTICE_AFTER)
    except sqlite3.OperationalError as exc:
        if not _locked(exc):
            raise
    print(f"codewright: the index {where()} is locked by another process; waiting for it", file=sys.stderr)
    return attempt(LOCK_WAIT - LOCK_NOTICE_AFTER)


def _checked(path: Path, timeout: float) -> str | None:
    """Why the index.db at `path` cannot be used, or None; SQLite's errors raised, its lock waited `timeout` s for."""
    conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=timeout)
    try:
        if not _has_meta(conn):
            return _not_ours(conn, path)
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            found = row[0] if row else "none"
            return f"index format {found} is not the current {SCHEMA_VERSION} (older format)"
        conn.execute("SELECT count(*) FROM files").fetchone()
    finally:
        conn.close()
    return None


def _not_ours(conn: sqlite3.Connection, path: Path) -> str:
    """Why a database without codewright's meta table may be rebuilt (empty, or an index from before the meta
    table); another program's database is refused and left as it is."""
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    if not tables:
        return "empty"
    if {"files", "symbols"} <= set(tables):
        return "not a codewright index (older format)"
    raise UsageError(f"{quoted(path)} is another program's SQLite database (tables: {', '.join(tables[:5])}"
                     f"{', ...' if len(tables) > 5 else ''}), where codewright keeps its index: move it aside and "
                     "run again; it was left as it is")


def create_indexes(conn: sqlite3.Connection) -> None:
    _run_script(conn, _INDEXES)


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Statement by statement: `executescript` would commit the caller's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


@contextmanager
def lock(root: Path) -> Iterator[int]:
    """Exclusive writer lock: a second `codewright index` waits for the first to finish. A lock file that cannot be
    made or opened (a read-only .codewright/ without one) is said as an index that cannot be written is.

    Yields the file system's time once the lock is held: the lock file's mtime, touched. A build compares
    the tree's times with it in the file system's own clock and granularity (whole seconds on some), as git
    compares them with its index file's mtime: a file changed after that moment has no earlier time."""
    directory = index_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CodewrightError(f"cannot write the index in {quoted(directory)}: {exc.strerror} ({LOCK_NAME})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # said, so that a wait of minutes (a cold build beside) does not look like a hang
            print(f"codewright: waiting for another codewright to finish writing {directory}", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield _now_on_disk(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _now_on_disk(fd: int) -> int:
    """The file system's time now, as the open file `fd`'s mtime once touched; 0 where the file system will
    not set it (then no file's stat is trusted: every file is hashed, none parsed again for that)."""
    try:
        os.utime(fd)
        return os.fstat(fd).st_mtime_ns
    except OSError:
        return 0


# SQLite's words for a database it cannot write: a read-only file or folder, a full disk, another program's lock
_UNWRITABLE = ("readonly database", "database or disk is full", "disk I/O error", "database is locked")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, rolled back on any error. An index that cannot be written (read-only, its disk full,
    or locked past LOCK_WAIT by another program: a sqlite3 shell in a transaction) is the user's
    to fix: one line naming it, the index left as it was."""
    try:
        _begin(conn)
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if not any(words in str(exc) for words in _UNWRITABLE):
            raise
        held = " (another program has a transaction open on it)" if "locked" in str(exc) else ""
        raise CodewrightError(f"cannot write the index {quoted(database_file(conn))}: {exc}{held}") from exc


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waited for as a query waits for the index: another program writing it (a sqlite3 shell in a
    transaction) had a build or an update wait a minute in silence. The connection's own timeout is kept."""
    timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]

    def attempt(seconds: float) -> None:
        conn.execute(f"PRAGMA busy_timeout={round(seconds * 1000)}")
        conn.execute("BEGIN IMMEDIATE")

    try:
        _patiently(lambda: database_file(conn), attempt)
    finally:
        conn.execute(f"PRAGMA busy_timeout={timeout}")


def database_file(conn: sqlite3.Connection) -> str:
    """The file of the connection's main database, as the OS names it: read as text, a path that is not UTF-8
    (a tree named `t\\xff`) failed to decode, and the build stopped on the name of its own index."""
    factory = conn.text_factory
    conn.text_factory = bytes
    try:
        return os.fsdecode(conn.execute("PRAGMA database_list").fetchone()[2])
    finally:
        conn.text_factory = factory


def delete_files(conn: sqlite3.Connection, file_ids: list[int]) -> None:
    """Remove every row derived from these files (the files rows themselves stay)."""
    if not file_ids:
        return
    ids = [(i,) for i in file_ids]
    conn.executemany(
        "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE file_id=?)", ids
    )
    for table in ("symbols", "imports", "refs", "chunks", "errors", "annotations"):
        conn.executemany(f"DELETE FROM {table} WHERE file_id=?", ids)


_WORD = re.compile(r"[^\W\d]\w*")  # an identifier, Python's letters beyond ASCII too (`größe`, `函数`)
_ASCII_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # the same in ASCII text, in half the time
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def split_id(sid: str) -> tuple[str, str]:
    """A symbol id's (path, Qual.name), split at its last `::`: a file name may hold one (`x::y.py::f`), a
    qualified name never does (C++'s and Rust's `::` are `.` in ids). A name without `::` is all path."""
    path, sep, qual = sid.rpartition("::")
    return (path, qual) if sep else (sid, "")


def bare_name(target: str) -> str:
    """The name a symbol id, qualified or dotted name ends with: `a.py::C.m`, `pkg.C.m` -> `m`."""
    return target.rsplit("::", 1)[-1].rsplit(".", 1)[-1]


def depth_first(roots: list[T], children: Mapping[str, list[T]], key: Callable[[T], str]) -> list[T]:
    """`roots` and, right after each, what `children` holds under its `key`, and so on down, each list in its own
    order: a listing in which every item stands under the one that holds it (`impact`'s callers under the one they
    call)."""
    ordered: list[T] = []
    stack = list(reversed(roots))
    while stack:
        item = stack.pop()
        ordered.append(item)
        stack.extend(reversed(children.get(key(item), [])))
    return ordered


class Spanned(Protocol):
    """A symbol as a listing has it: where its text starts and ends."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int


S = TypeVar("S", bound=Spanned)


def in_the_text(items: list[S], sid: Callable[[S], str]) -> list[tuple[S, int, str]]:
    """A file's symbols (`items`) in line order, a holder before what it holds, for outline and the map to draw the
    file as it is written. Each comes with its indent, under the listed symbols whose text holds it and whose
    qualified name its own goes on from (`ns.S.f` in `namespace ns`, not in `struct S` written before it), and with
    the name its line gives it: its qualified name past that holder's where that is more than its own name (`S.f`),
    else ''. A Go method, a Rust impl's fn or C++'s `void A::f()`, written outside its type, is at the top in line
    order, named `A.f`: drawn under its type it read as a member of whatever was written above it (another type, a
    function)."""
    placed: list[tuple[S, int, str]] = []
    around: list[tuple[tuple[int, int], str, int]] = []  # (end, qualified name, indent) of those the next may be in
    for item in sorted(items, key=lambda item: (item.start_line, item.start_col, -item.end_line, -item.end_col)):
        end, qual = (item.end_line, item.end_col), split_id(sid(item))[1]
        while around and around[-1][0] < end:  # it ends before this one: what comes after starts later still
            around.pop()
        holder, depth = next(((name, outer + 1) for _, name, outer in reversed(around) if qual.startswith(name + ".")),
                             ("", 0))
        rest = qual[len(holder) + 1:] if holder else qual
        placed.append((item, depth, rest if "." in rest else ""))
        around.append((end, qual, depth))
    return placed


def shown(signature: str, name: str) -> str:
    """A symbol's line in outline and the map: its signature, after the name `in_the_text` gives it where the
    signature does not spell that name's words in order (`A.run: fn run(&self)` of Rust's `impl A`, which read as a
    free function at the top; Go's `func (a *A) Run()` and C++'s `void A::f()` say it already)."""
    words = iter(identifiers(signature))
    return signature if all(word in words for word in identifiers(name)) else f"{name}: {signature}"


@lru_cache(maxsize=1 << 17)
def split_identifier(name: str) -> tuple[str, ...]:
    """`getUserName`, `get_user_name`, `GetUserName` -> ('get', 'user', 'name'); `HTTPServer` -> http server.

    Cached (so a tuple): indexing and `find` meet the same identifiers in file after file. Beyond ASCII
    (`größeBerechnen`), the parts are found in the name's shape, each letter as an ASCII one of its case (`re`
    has no class for an upper-case letter)."""
    if not name.isascii():
        return tuple(name[m.start():m.end()].lower() for m in _PARTS.finditer(identifier_shape(name)))
    return tuple(p.lower() for p in _PARTS.findall(name))


def identifier_shape(name: str) -> str:
    """`name` with each letter as an ASCII one of its case, each digit as 0 and anything else as `_`
    (`größeBerechnen` -> `aaaaaAaaaaaaaa`): where `re` finds case changes beyond ASCII (it has no class
    for an upper-case letter)."""
    return "".join("A" if c.isupper() else "a" if c.isalpha() else "0" if c.isdigit() else "_" for c in name)


def identifiers(text: str) -> list[str]:
    """The identifiers in `text`, in order: words of letters, digits and `_`, not starting with a digit (`str.isascii`
    costs nothing: Python knows it of every string)."""
    return (_ASCII_WORD if text.isascii() else _WORD).findall(text)


def identifier_words(text: str) -> str:
    """The split words of every compound identifier in `text`, for the FTS `idents` column."""
    return " ".join(filter(None, map(_compound_words, dict.fromkeys(identifiers(text)))))


@lru_cache(maxsize=1 << 17)
def _compound_words(ident: str) -> str:
    """`get_user` -> "get user"; "" for a plain word. Cached: a tree repeats its identifiers
    in every file, and splitting and joining them was a tenth of a cold index's extraction time."""
    if "_" in ident.strip("_") or not (ident.islower() or ident.isupper()):
        parts = split_identifier(ident)
        if len(parts) > 1:
            return " ".join(parts)
    return ""


def fts_query(text: str) -> str:
    """A user's words as an FTS5 OR-query over split identifiers (never an FTS syntax error)."""
    words: dict[str, None] = {}  # ordered, and a lookup that does not grow with the text (a list's did)
    for ident in identifiers(text) + re.findall(r"\d+", text):
        words.update(dict.fromkeys(w for w in [*ident.lower().split("_"), *split_identifier(ident)] if w))
    return " OR ".join(f'"{w}"' for w in words)
