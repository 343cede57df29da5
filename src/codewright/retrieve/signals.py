"""The evidence that a file or function is where a task lands, one number per signal.

Each signal is computed independently from the index and the task's mentions and kept
in a `Features` row, so the ranker can weigh them (weights fitted on development data,
see docs/retrieval.md) and explain every result by the signals that lifted it.
"""

from __future__ import annotations

import math
import posixpath
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from codewright.graph.store import split_identifier
from codewright.retrieve.mentions import Mentions

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STOPWORD_TEXT = """
the and for that this with from are was were has have had not but when what which who how can could
would should will into than then there their them they its it's also any all some more most other such
only same very just about after before because been being both does did doing each few further here into
itself may might must our out over own shall she should since so still those through too under until
upon use used using while whom why you your yes get got like one two see seems seem want way well work
works working expected actual issue problem example following code error line file python version def
return import self none true false
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_GENERIC_STEMS = frozenset({"base", "utils", "util", "core", "common", "main", "models", "test", "tests", "setup", ""})
FTS_LIMIT = 400  # chunks read from the BM25 ranking; files beyond these have no lexical evidence
_TEST = re.compile(r"(^|/)(tests?|testing)(/|$)|(^|/)test_[^/]*$|_tests?\.py$|(^|/)conftest\.py$")
_DOC = re.compile(r"(^|/)(docs?|doc_src|examples?|benchmarks?)(/|$)|\.(rst|md|txt)$")
_VENDORED = re.compile(r"(^|/)(vendor|vendored|third_party|externals?|_vendor|extern)(/|$)|^[^/]+/packages/")
MAX_TERM_SHARE = 0.25  # a word in more than this share of chunks adds almost nothing to BM25 but costs time
BIG_INDEX = 2000  # chunks: below this, every word is kept (the cost is small anyway)
_MESSAGE = re.compile(r"""\b\w*(?:Error|Exception|Warning|Exit):[ \t]*(.{12,200})$|["'](?P<quoted>[^"'\n]{12,200})["']""", re.MULTILINE)


@dataclass
class Features:
    values: dict[str, float] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def add(self, signal: str, value: float, detail: str) -> None:
        if value > self.values.get(signal, 0.0):
            self.values[signal] = value
            self.details[signal] = detail


@dataclass
class Candidates:
    files: dict[str, Features]  # path -> features
    functions: dict[str, Features]  # symbol id -> features
    lines: dict[str, tuple[str, int]]  # symbol id -> (path, line)


def is_test(path: str) -> bool:
    return bool(_TEST.search(path))


def is_doc(path: str) -> bool:
    return bool(_DOC.search(path))


def is_vendored(path: str) -> bool:
    return bool(_VENDORED.search(path))


def collect(conn: sqlite3.Connection, text: str, mentions: Mentions) -> Candidates:
    """Every signal for every file and function that has any evidence."""
    files: dict[str, Features] = defaultdict(Features)
    functions: dict[str, Features] = defaultdict(Features)
    paths = {row[0]: row[1] for row in conn.execute("SELECT path, module FROM files WHERE status='indexed'")}
    _lexical(conn, text, files, functions)
    _path_mentions(paths, mentions, files)
    _frames(conn, paths, mentions, files, functions)
    _modules(paths, mentions, files)
    _definitions(conn, mentions, files, functions)
    _stems(paths, text, mentions, files)
    _neighbours(conn, files)
    _messages(conn, text, files, functions)
    _tested_source(conn, files)
    _calls(conn, functions, files)
    _priors(conn, files)
    for path, feats in files.items():
        feats.values["test"] = 1.0 if is_test(path) else 0.0
        feats.values["doc"] = 1.0 if is_doc(path) else 0.0
        feats.values["vendored"] = 1.0 if is_vendored(path) else 0.0
    return Candidates(dict(files), dict(functions), {})


def expand_functions(conn: sqlite3.Connection, text: str, mentions: Mentions, cands: Candidates,
                     top_paths: list[str]) -> None:
    """Make every function, method and class of the best files a candidate, with BM25 inside those files.

    A method of a small class has no chunk of its own: it takes the score of the chunk
    that holds it. Afterwards candidates that are not functions, methods or classes are
    dropped and each keeps its (path, line).
    """
    functions = defaultdict(Features, cands.functions)
    weights = term_weights(conn, text)
    query = fts_or(weights)
    if top_paths:
        marks = ",".join("?" * len(top_paths))
        spans: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
        if query:
            top = None
            for path, start, end, score in conn.execute(
                "SELECT f.path, c.start_line, c.end_line, -bm25(chunks_fts, 4.0, 1.0, 2.0) FROM chunks_fts"
                " JOIN chunks c ON c.id = chunks_fts.rowid JOIN files f ON f.id = c.file_id"
                f" WHERE chunks_fts MATCH ? AND f.path IN ({marks}) ORDER BY bm25(chunks_fts, 4.0, 1.0, 2.0)",
                [query, *top_paths],
            ):
                top = top or score or 1.0
                spans[path].append((start, end, score / top))
        texts = _chunk_texts(conn, top_paths)
        for sid, path, line, last in conn.execute(
            "SELECT s.sid, f.path, s.start_line, s.end_line FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE f.path IN ({marks}) AND s.kind IN ('function','method','class')", top_paths,
        ):
            holding = [(end - start, score) for start, end, score in spans.get(path, ()) if start <= line <= end]
            value = min(holding)[1] if holding else 0.0
            functions[sid].add("lexical_local", value, f"BM25 {value:.2f} within the best files")
            own = _own_words(texts.get(path, ()), line, last)
            if own and weights:
                value = sum(w for t, w in weights.items() if t in own) / sum(weights.values())
                functions[sid].add("own_words", value, f"its own code holds {value:.0%} of the task's word weight")
    kinds = _symbol_lines(conn, functions, cands.lines)
    cands.functions = {sid: f for sid, f in functions.items() if sid in cands.lines}
    words = {w.lower() for w in _WORD.findall(text)} | set(query_terms(text, limit=1000))
    classes = {n for n in mentions.names() if n[:1].isupper()}
    for sid, feats in cands.functions.items():
        feats.values["test"] = 1.0 if is_test(cands.lines[sid][0]) else 0.0
        feats.values["is_class"] = 1.0 if kinds[sid] == "class" else 0.0
        qualname = sid.split("::", 1)[1]
        name = qualname.rsplit(".", 1)[-1]
        parts = [p for p in split_identifier(name) if len(p) > 2] or [name.lower()]
        share = sum(p in words for p in parts) / len(parts)
        if share:
            feats.add("name_words", share, f"{share:.0%} of the words of {name} are in the task")
        if "." in qualname and qualname.rsplit(".", 2)[-2] in classes:
            feats.add("in_mentioned_class", 1.0, f"a member of the mentioned {qualname.rsplit('.', 2)[-2]}")


def _chunk_texts(conn, paths: list[str]) -> dict[str, list[tuple[int, int, str]]]:
    marks = ",".join("?" * len(paths))
    texts: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for path, start, end, text in conn.execute(
        "SELECT f.path, c.start_line, c.end_line, t.text FROM chunks c JOIN files f ON f.id = c.file_id"
        f" JOIN chunks_fts t ON t.rowid = c.id WHERE f.path IN ({marks}) AND c.kind != 'module'", paths,
    ):
        texts[path].append((start, end, text))
    return texts


def _own_words(chunks, first: int, last: int) -> set[str]:
    """The words of lines first..last, cut from the smallest chunk holding them (split identifiers included)."""
    holding = [(end - start, start, text) for start, end, text in chunks if start <= first and last <= end]
    if not holding:
        return set()
    _, start, text = min(holding)
    body = "\n".join(text.splitlines()[first - start:last - start + 1])
    words = set()
    for ident in set(_WORD.findall(body)):
        words.add(ident.lower())
        words.update(split_identifier(ident))
    return words


def _lexical(conn, text, files, functions) -> None:
    """BM25 over chunks (text, titles, split identifiers); a file scores its best chunk plus a little of the rest."""
    query = fts_or(term_weights(conn, text))
    if not query:
        return
    rows = conn.execute(
        "SELECT f.path, c.symbol, -bm25(chunks_fts, 4.0, 1.0, 2.0) FROM chunks_fts"
        " JOIN chunks c ON c.id = chunks_fts.rowid JOIN files f ON f.id = c.file_id"
        " WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 4.0, 1.0, 2.0) LIMIT ?",
        (query, FTS_LIMIT),
    ).fetchall()
    if not rows:
        return
    top = rows[0][2] or 1.0
    per_file: dict[str, list[float]] = defaultdict(list)
    for path, symbol, score in rows:
        per_file[path].append(score / top)
        if symbol:
            functions[symbol].add("lexical", score / top, f"BM25 {score:.1f}")
    most = max(len(scores) for scores in per_file.values())
    for path, scores in per_file.items():
        scores.sort(reverse=True)
        value = scores[0] + 0.1 * sum(scores[1:4])
        files[path].add("lexical", value, f"BM25 best chunk {scores[0]:.2f} of the top")
        files[path].add("lexical_hits", math.log1p(len(scores)) / math.log1p(most), f"{len(scores)} of the best chunks")


def query_terms(text: str, limit: int = 64) -> list[str]:
    """The task's words for BM25: identifiers split into words, no stopwords, URLs or hex runs; rarest-looking first."""
    text = re.sub(r"https?://\S+|\b[0-9a-f]{12,}\b", " ", text)
    counts: Counter[str] = Counter()
    for ident in _WORD.findall(text):
        for word in {ident.lower(), *split_identifier(ident)}:
            if len(word) > 2 and word not in _STOPWORDS and "_" not in word:
                counts[word] += 1
    return [w for w, _ in counts.most_common(limit)]


def term_weights(conn: sqlite3.Connection, text: str) -> dict[str, float]:
    """The task's words with their IDF over chunks, leaving out words found in most chunks or never indexed."""
    terms = query_terms(text)
    if not terms:
        return {}
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')")
    total = conn.execute("SELECT max(rowid) FROM chunks_fts").fetchone()[0] or 1
    marks = ",".join("?" * len(terms))
    df = dict(conn.execute(f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({marks})", terms).fetchall())
    known = sorted((w for w in terms if df.get(w)), key=lambda w: df[w])
    if total >= BIG_INDEX:
        known = [w for w in known if df[w] <= MAX_TERM_SHARE * total] or known[:1]
    return {w: math.log(1 + total / df[w]) for w in known}


def fts_or(weights: dict[str, float]) -> str:
    """Words as an FTS5 OR-query, each quoted alone: the index's detail=column rejects phrases (see query_terms)."""
    return " OR ".join(f'"{w}"' for w in weights)


def _messages(conn, text: str, files, functions) -> None:
    """Error messages and quoted strings of the task found in a chunk: every word of the message in one chunk."""
    for m in _MESSAGE.finditer(text):
        message = m.group(1) or m.group("quoted")
        words = [w.lower() for w in _WORD.findall(message) if len(w) > 2]
        words = list(dict.fromkeys(w for w in words if "_" not in w))
        if len(words) < 3:
            continue
        query = " AND ".join(f'"{w}"' for w in words[:12])
        rows = conn.execute(
            "SELECT f.path, c.symbol FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
            " JOIN files f ON f.id = c.file_id WHERE chunks_fts MATCH ? LIMIT 20", (query,)).fetchall()
        for path, symbol in rows:
            files[path].add("message", 1.0 / len(rows) ** 0.5, f"holds the words of '{message[:40]}'")
            if symbol:
                functions[symbol].add("message", 1.0 / len(rows) ** 0.5, f"holds '{message[:40]}'")


def _tested_source(conn, files) -> None:
    """A mentioned test file points at the source files it imports."""
    tests = [p for p, f in files.items() if is_test(p) and {"path_mention", "frame"} & f.values.keys()]
    if not tests:
        return
    marks = ",".join("?" * len(tests))
    for src, target in conn.execute(
        f"SELECT f.path, i.target FROM imports i JOIN files f ON f.id = i.file_id"
        f" WHERE i.target IS NOT NULL AND f.path IN ({marks})", tests,
    ):
        if not is_test(target):
            files[target].add("tested_by_mentioned", 1.0, f"imported by the mentioned test {src}")


def _calls(conn, functions, files) -> None:
    """Callers and callees of the functions named or framed in the task, through the references' targets."""
    named = [sid for sid, f in functions.items() if {"name_mention", "frame"} & f.values.keys()
             and max(f.values.get("name_mention", 0), f.values.get("frame", 0)) >= 0.5][:50]
    if not named:
        return
    marks = ",".join("?" * len(named))
    scope = conn.execute("SELECT typeof(scope) FROM refs WHERE scope IS NOT NULL LIMIT 1").fetchone()
    on = "s.sid = r.scope" if scope and scope[0] == "text" else "s.id = r.scope"  # older indexes keep the sid
    rows = conn.execute(
        f"SELECT s.sid, r.target FROM refs r JOIN symbols s ON {on}"
        f" WHERE r.kind = 'call' AND r.target IN ({marks}) LIMIT 500", named).fetchall()
    rows += conn.execute(
        f"SELECT r.target, s.sid FROM symbols s JOIN refs r ON {on}"
        f" WHERE s.sid IN ({marks}) AND r.kind = 'call' AND r.target IS NOT NULL LIMIT 500", named).fetchall()
    for caller, callee in rows:
        for sid, other in ((caller, callee), (callee, caller)):
            if sid not in named:
                functions[sid].add("calls_mentioned", 1.0, f"calls or is called by {other}")
                files[sid.split("::", 1)[0]].add("calls_mentioned", 1.0, f"calls or is called by {other}")


def _priors(conn, files) -> None:
    """How central and how large each candidate is: core modules imported everywhere change more often."""
    paths = list(files)
    if not paths:
        return
    indegree: Counter[str] = Counter()
    lines: dict[str, int] = {}
    for start in range(0, len(paths), 500):
        batch = paths[start:start + 500]
        marks = ",".join("?" * len(batch))
        indegree.update(dict(conn.execute(
            f"SELECT target, count(DISTINCT file_id) FROM imports WHERE target IN ({marks}) GROUP BY target", batch)))
        lines.update(conn.execute(f"SELECT path, lines FROM files WHERE path IN ({marks})", batch))
    top_in = math.log1p(max(indegree.values(), default=0)) or 1.0
    top_lines = math.log1p(max(lines.values(), default=0)) or 1.0
    for path in paths:
        if indegree[path]:
            files[path].add("imported_by", math.log1p(indegree[path]) / top_in, f"imported by {indegree[path]} files")
        if lines.get(path):
            files[path].add("size", math.log1p(lines[path]) / top_lines, f"{lines[path]} lines")


def _suffix_match(mentioned: str, paths) -> list[str]:
    """Files whose path ends with the mentioned path (component-wise), longest overlap first."""
    parts = [p for p in mentioned.replace("\\", "/").split("/") if p not in ("", ".")]
    for start in range(len(parts)):
        tail = "/".join(parts[start:])
        found = [p for p in paths if p == tail or p.endswith("/" + tail)]
        if found:
            return found
    return []


def _path_mentions(paths, mentions: Mentions, files) -> None:
    for mentioned in mentions.paths:
        found = _suffix_match(mentioned, paths)
        for path in found:
            files[path].add("path_mention", 1.0 / len(found), f"path {mentioned} is mentioned")


def _frames(conn, paths, mentions: Mentions, files, functions) -> None:
    """Traceback frames: the file of each frame, and the function whose span holds the frame's line."""
    frames = mentions.frames
    for frame in frames:
        found = _suffix_match(frame.path, paths)
        if not found or len(found) > 3:
            continue
        nearness = (frame.depth + 1) / len(frames)  # the last frame is nearest the error
        for path in found:
            files[path].add("frame", 0.5 + 0.5 * nearness, f"traceback frame {frame.path}:{frame.line}")
            row = conn.execute(
                "SELECT s.sid FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.path = ? AND s.kind IN"
                " ('function','method') AND s.start_line <= ? AND s.end_line >= ? ORDER BY s.start_line DESC LIMIT 1",
                (path, frame.line, frame.line),
            ).fetchone()
            if row:
                functions[row[0]].add("frame", 0.5 + 0.5 * nearness, f"traceback frame line {frame.line}")


def _modules(paths, mentions: Mentions, files) -> None:
    """Dotted names and import lines that name a module of the tree (`pkg.mod.Class.attr` -> pkg/mod.py)."""
    by_module = {module: path for path, module in paths.items() if module}
    names = list(mentions.dotted) + [m for m, _ in mentions.imports]
    names += [f"{m}.{n}" for m, n in mentions.imports if n]
    for dotted in names:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            path = by_module.get(".".join(parts[:end]))
            if path:
                if end > 1:
                    files[path].add("module_mention", 1.0, f"module {'.'.join(parts[:end])} is mentioned")
                break


def _definitions(conn, mentions: Mentions, files, functions) -> None:
    """Files and symbols that define a mentioned name; rare names count more (1 / number of definitions)."""
    weights = Counter()
    for name, count in mentions.code_names.items():
        weights[name] += 1.0 + math.log(count)
    for name, count in mentions.prose_names.items():
        weights[name] += 0.5
    for dotted in mentions.dotted:
        weights[dotted.rsplit(".", 1)[-1]] += 1.0
    qualified = {d.split(".", len(d.split(".")) - 2)[-1] for d in mentions.dotted if d.count(".") >= 1}
    if not weights:
        return
    names = list(weights)
    found: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for start in range(0, len(names), 500):
        batch = names[start:start + 500]
        marks = ",".join("?" * len(batch))
        for name, sid, kind, path, qualname in conn.execute(
            "SELECT s.name, s.sid, s.kind, f.path, s.qualname FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE s.name IN ({marks}) AND s.kind != 'module'", batch,
        ):
            found[name].append((sid, kind, path, qualname))
    for name, defs in found.items():
        rarity = weights[name] / len(defs)
        for sid, kind, path, qualname in defs:
            files[path].add("defines_mentioned", rarity, f"defines {name}")
            functions[sid].add("name_mention", rarity, f"{name} is mentioned")
            tail = sid.split("::", 1)[1]
            if any(tail.endswith(q) for q in qualified if "." in q):
                functions[sid].add("qualified_mention", 1.0, f"{tail} is mentioned with its class")
    for feats in files.values():
        if "defines_mentioned" in feats.values:
            feats.values["defines_mentioned"] = min(1.0, feats.values["defines_mentioned"])


def _stems(paths, text: str, mentions: Mentions, files) -> None:
    """A file named by a mentioned identifier (`separable` -> separable.py), or by a plain word of the task."""
    code_words = {w.lower() for w in mentions.names()} | {p.lower() for d in mentions.dotted for p in d.split(".")}
    plain_words = {w.lower() for w in _WORD.findall(text) if len(w) > 3}
    for path in paths:
        stem = posixpath.splitext(posixpath.basename(path))[0].lower()
        if stem == "__init__":
            stem = posixpath.basename(posixpath.dirname(path)).lower()
        if stem in _GENERIC_STEMS:
            continue
        if stem in code_words:
            files[path].add("stem_mention", 1.0, f"file name {stem} is mentioned as code")
        elif stem in plain_words:
            files[path].add("stem_word", 1.0, f"file name {stem} is a word of the task")


def _neighbours(conn, files) -> None:
    """Personalised PageRank, one step: files importing or imported by the strongly mentioned ones."""
    seeds = {p for p, f in files.items() if {"path_mention", "frame", "module_mention"} & f.values.keys()}
    if not seeds or len(seeds) > 50:
        return
    marks = ",".join("?" * len(seeds))
    rows = conn.execute(
        f"SELECT f.path, i.target FROM imports i JOIN files f ON f.id = i.file_id"
        f" WHERE i.target IS NOT NULL AND (f.path IN ({marks}) OR i.target IN ({marks}))",
        [*seeds, *seeds],
    ).fetchall()
    for src, dst in rows:
        other = dst if src in seeds else src
        if other not in seeds:
            files[other].add("graph_neighbour", 1.0, f"imports or is imported by {src if src in seeds else dst}")


def _symbol_lines(conn, functions, lines: dict[str, tuple[str, int]]) -> dict[str, str]:
    """Fill `lines` with each function, method and class candidate's (path, line); return their kinds."""
    ids = list(functions)
    kinds: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        marks = ",".join("?" * len(batch))
        for sid, path, line, kind in conn.execute(
            f"SELECT s.sid, f.path, s.start_line, s.kind FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE s.sid IN ({marks})", batch,
        ):
            if kind in ("function", "method", "class"):
                lines[sid] = (path, line)
                kinds[sid] = kind
    return kinds
