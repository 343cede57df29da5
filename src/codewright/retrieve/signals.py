"""The evidence that a file or function is where a task lands, one number per signal.

Each signal is computed independently from the index and the task's mentions and kept
in a `Features` row, so the ranker can weigh them (weights fitted on development data,
see docs/retrieval.md) and explain every result by the signals that lifted it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from codewright.graph.files import is_vendored
from codewright.graph.history import commits
from codewright.graph.store import split_identifier
from codewright.retrieve.corpus import Corpus
from codewright.retrieve.lexicon import Lexicon, best
from codewright.retrieve.mentions import Mentions, is_absolute

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMPOUND = re.compile(rf"{_WORD.pattern}(?:-{_WORD.pattern})*")  # words, and words joined by hyphens
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
QUERY_TERMS = 64  # the task's most repeated words that BM25 reads
EVERY_TERM = 1000  # and the most it keeps for `name_words`
LEXICAL_LIMIT = 400  # chunks read from the BM25 ranking; files beyond these have no lexical evidence
# Test code by the conventions of the indexed languages: test folders (Go's testdata, Jest's __tests__), pytest's
# test_*.py and conftest.py, Go's and C++'s *_test.go / *_test.cc / *_unittest.cc, JavaScript's and TypeScript's
# *.test.ts / *.spec.js.
_TEST = re.compile(r"(^|/)(tests?|testing|testdata|__tests__)(/|$)|(^|/)test_[^/]*$|(^|/)conftest\.py$"
                   r"|_(unit)?tests?\.(py|go|rs|c|cc|cpp|cxx|[cm]?[jt]sx?)$|\.(test|spec)\.[cm]?[jt]sx?$")
# Documentation, including sphinx-gallery's tutorials and galleries (scripts that show the library, not it).
_DOC = re.compile(r"(^|/)(docs?|doc_src|examples?|tutorials?|galler(y|ies)|benchmarks?)(/|$)|\.(rst|md|txt)$")
# Schema history written by a framework's migration command (Django's app/migrations/0001_initial.py, Alembic's
# alembic/versions/, Rails' db/migrate/): a fix changes the models, rarely a migration already released.
_MIGRATION = re.compile(r"(^|/)(migrations|migrate)/\d+_?\w*\.\w+$|(^|/)alembic/versions/[^/]+$")
SEEDS = frozenset({"path_mention", "frame", "module_mention", "defines_mentioned"})  # files the walk restarts at,
LEXICAL_SEEDS = 10  # and this many of the best BM25 files
PAGERANK_FILES = 50  # files the walk makes candidates, the nearest first
HISTORY_COMMITS = 20  # the past commits most like the task, whose changed files the `history` signal lifts
MAX_PATH_MATCHES = 3  # a frame, or a path as a neighbours' seed, matching more files than this names none of them
MAX_MODULE_PARTS = 16  # a dotted name is looked up by its first this many parts (each prefix is joined anew)
CALL_EDGES = 500  # callers, and callees, of the named functions taken at most
MAX_TERM_SHARE = 0.25  # a word in more than this share of chunks adds almost nothing to BM25 but costs time
BIG_INDEX = 2000  # chunks: below this, every word is kept (the cost is small anyway)
_MESSAGE = re.compile(r"""\b\w*(?:Error|Exception|Warning|Exit):[ \t]*(.{12,200})$|["'](?P<quoted>[^"'\n]{12,200})["']""", re.MULTILINE)


@dataclass(slots=True)
class Features:
    """A candidate's value per signal, and what each value was found in.

    A detail is kept as a `str.format` template and its arguments, and written out only when
    a reason is shown: a query sets thousands of values and explains a few.
    """
    values: dict[str, float] = field(default_factory=dict)
    details: dict[str, tuple] = field(default_factory=dict)

    def add(self, signal: str, value: float, detail: str, *args) -> None:
        """Keep the largest value a signal finds for this candidate, with its detail."""
        if value > self.values.get(signal, 0.0):
            self.values[signal] = value
            self.details[signal] = (detail, args)

    def detail(self, signal: str) -> str:
        template, args = self.details.get(signal, (signal, ()))
        return template.format(*args)


@dataclass
class Lexical:
    """The task's words with their IDF weights, and every chunk's BM25 for them (by chunk id, 0: no match);
    the same for the words of the task's first line alone, and for the words with their indexed variants."""
    terms: list[str]  # the task's words (`query_terms`), before the index's rarity rule keeps some of them
    every: list[str]  # up to EVERY_TERM of them, the words `name_words` looks for in a function's name
    weights: dict[str, float]
    scores: np.ndarray
    title: np.ndarray
    stemmed: np.ndarray  # the task's words and every indexed word that shares a stem with one


@dataclass
class Candidates:
    files: dict[str, Features]  # path -> features
    functions: dict[str, Features]  # symbol id -> features
    lines: dict[str, tuple[str, int]]  # symbol id -> (path, line)


def is_test(path: str) -> bool:
    return bool(_TEST.search(path))


def is_doc(path: str) -> bool:
    return bool(_DOC.search(path))


def is_migration(path: str) -> bool:
    return bool(_MIGRATION.search(path))


@lru_cache(maxsize=1 << 16)
def _file_kinds(path: str) -> tuple[float, float, float, float]:
    """(test, doc, vendored, migration) as 0/1: asked for every candidate file of every query."""
    return float(is_test(path)), float(is_doc(path)), float(is_vendored(path)), float(is_migration(path))


def match(corpus: Corpus, text: str) -> Lexical:
    """The task's words and the chunks' BM25 for them: computed once, read by `collect` and `expand_functions`."""
    every = query_terms(text, limit=EVERY_TERM)
    terms = every[:QUERY_TERMS]  # the same words query_terms(text) gives: most_common(n) is a stable cut
    weights = term_weights(corpus, terms)
    title = [w for w in query_terms(title_of(text)) if w in weights]
    lexicon = corpus.lexicon
    family = dict.fromkeys(weights)
    for word in terms:  # a word the index lacks may still have indexed variants (restocking: restock)
        family.update(dict.fromkeys(v for v in lexicon.variants(word) if _kept(lexicon, v)))
    return Lexical(terms, every, weights, lexicon.scores(list(weights)), lexicon.scores(title),
                   lexicon.scores(list(family)))


def _kept(lexicon: Lexicon, word: str) -> bool:
    """Whether an indexed word is rare enough to count in BM25 (see MAX_TERM_SHARE)."""
    total = lexicon.max_rowid or 1
    return total < BIG_INDEX or lexicon.df([word])[word] <= MAX_TERM_SHARE * total


def title_of(text: str) -> str:
    """The task's first non-blank line: an issue's title, a request's summary."""
    return next((line for line in text.splitlines() if line.strip()), "")


def collect(corpus: Corpus, text: str, mentions: Mentions, lexical: Lexical) -> Candidates:
    """Every signal for every file and function that has any evidence."""
    files: dict[str, Features] = defaultdict(Features)
    functions: dict[str, Features] = defaultdict(Features)
    _lexical(corpus, lexical, files, functions)
    _title_and_stemmed(corpus, lexical, files, functions)
    _path_mentions(corpus, mentions, files)
    _frames(corpus, mentions, files, functions)
    _modules(corpus, mentions, files)
    _definitions(corpus, mentions, files, functions)
    _stems(corpus, text, mentions, files)
    _neighbours(corpus, files)
    _pagerank(corpus, files)
    _messages(corpus, text, files, functions)
    _tested_source(corpus, files)
    _calls(corpus, functions, files)
    _history(corpus, lexical, files)
    for path, feats in files.items():
        values = feats.values
        values["test"], values["doc"], values["vendored"], values["migration"] = _file_kinds(path)
    return Candidates(dict(files), dict(functions), {})


def expand_functions(corpus: Corpus, text: str, mentions: Mentions, lexical: Lexical, cands: Candidates,
                     top_paths: list[str]) -> None:
    """Make every function, method and class of the best files a candidate, with BM25 inside those files.

    A method of a small class has no chunk of its own: it takes the score of the chunk
    that holds it. Afterwards candidates that are not functions, methods or classes are
    dropped and each keeps its (path, line).
    """
    functions = defaultdict(Features, cands.functions)
    scores = lexical.scores.tolist()  # read once per holder below: a list indexes faster than an array
    titles = lexical.title.tolist()
    top = _local_top(corpus, scores, top_paths)
    top_title = _local_top(corpus, titles, top_paths)
    weights = lexical.weights
    total = sum(weights.values())
    for members in corpus.members(top_paths).values():
        for member in members:
            feats = functions[member.sid]  # a candidate even without evidence of its own
            held = [(size, score) for size, cid in member.holders if (score := scores[cid])]
            if held:
                value = min(held)[1] / top
                feats.add("lexical_local", value, "BM25 {:.2f} within the best files", value)
                # the title's words are some of the task's, so only a chunk that matched can match them
                held = [(size, score) for size, cid in member.holders if (score := titles[cid])]
                if held:
                    value = min(held)[1] / top_title
                    feats.add("title_local", value, "title BM25 {:.2f} within the best files", value)
            if present := member.words.intersection(weights):
                share = math.fsum(map(weights.__getitem__, present)) / total  # exact: no order to fix
                feats.add("own_words", share, "its own code holds {:.0%} of the task's word weight", share)
    symbols = corpus.symbols
    cands.functions = {sid: f for sid, f in functions.items() if sid in symbols}
    cands.lines.update((sid, symbols[sid][:2]) for sid in cands.functions)
    words = {w.lower() for w in _WORD.findall(text)} | set(lexical.every)
    classes = {n for n in mentions.names() if n[:1].isupper()}
    longest = math.log1p(max((symbols[sid][3] for sid in cands.functions), default=0)) or 1.0
    for sid, feats in cands.functions.items():
        path, _, kind, span = symbols[sid]
        feats.values["test"] = _file_kinds(path)[0]
        feats.values["is_class"] = 1.0 if kind == "class" else 0.0
        feats.add("size", math.log1p(span) / longest, "{} lines long", span)
        name, parts, owner = _name_of(sid)
        share = sum(map(words.__contains__, parts)) / len(parts)
        if share:
            feats.add("name_words", share, "{:.0%} of the words of {} are in the task", share, name)
        if owner in classes:
            feats.add("in_mentioned_class", 1.0, "a member of the mentioned {}", owner)


def _local_top(corpus: Corpus, scores: list[float], paths: list[str]) -> float:
    """The best BM25 of a chunk of these files (1 when none matches): `lexical_local` is relative to it."""
    return max((scores[cid] for path in paths for cid in corpus.file_chunks.get(path, ())), default=0.0) or 1.0


@lru_cache(maxsize=1 << 17)
def _name_of(sid: str) -> tuple[str, tuple[str, ...], str | None]:
    """A symbol's own name, the words of it that `name_words` looks for in the task, and its class (if a member)."""
    qualname = sid.split("::", 1)[1]
    name = qualname.rsplit(".", 1)[-1]
    parts = tuple(p for p in split_identifier(name) if len(p) > 2) or (name.lower(),)
    return name, parts, qualname.rsplit(".", 2)[-2] if "." in qualname else None


def _lexical(corpus: Corpus, lexical: Lexical, files, functions) -> None:
    """BM25 over chunks (text, titles, split identifiers); a file scores its best chunk plus a little of the rest."""
    chunks = corpus.chunks
    rows = [(chunks[cid].path, chunks[cid].symbol, score) for cid, score in best(lexical.scores, LEXICAL_LIMIT)]
    if not rows:
        return
    top = rows[0][2] or 1.0
    per_file: dict[str, list[float]] = defaultdict(list)
    for path, symbol, score in rows:
        per_file[path].append(score / top)
        if symbol:
            functions[symbol].add("lexical", score / top, "BM25 {:.2f} of the top", score / top)
    most = max(len(scores) for scores in per_file.values())
    for path, scores in per_file.items():
        scores.sort(reverse=True)
        value = scores[0] + 0.1 * sum(scores[1:4])
        files[path].add("lexical", value, "BM25 best chunk {:.2f} of the top", scores[0])
        files[path].add("lexical_hits", math.log1p(len(scores)) / math.log1p(most), "{} of the best chunks", len(scores))


def _title_and_stemmed(corpus: Corpus, lexical: Lexical, files, functions) -> None:
    """BM25 for the words of the title alone (the words an issue's author chose to sum it up), and for the
    task's words with their indexed variants (`deleting` finds `delete`)."""
    chunks = corpus.chunks
    for signal, scores in (("title", lexical.title), ("stemmed", lexical.stemmed)):
        rows = best(scores, LEXICAL_LIMIT)
        top = rows[0][1] if rows else 1.0
        for cid, score in rows:
            chunk = chunks[cid]
            files[chunk.path].add(signal, score / top, signal + " BM25 best chunk {:.2f} of the top", score / top)
            if chunk.symbol:
                functions[chunk.symbol].add(signal, score / top, signal + " BM25 {:.2f} of the top", score / top)


def query_terms(text: str, limit: int = QUERY_TERMS) -> list[str]:
    """The task's words for BM25: identifiers split into words, no stopwords, URLs or hex runs; the `limit` most
    repeated, ties in order of first appearance (a set's order would change with the hash seed, and so would
    which tied words make the cut and the ranking, from one process to the next). A hyphenated word also
    counts joined, as code writes it (`re-writer`: rewriter, `built-in`: builtin, `x-axis`: xaxis)."""
    text = re.sub(r"https?://\S+|\b[0-9a-f]{12,}\b", " ", text)
    counts: Counter[str] = Counter()
    for compound in _COMPOUND.findall(text):
        idents = compound.split("-")
        for ident in idents:
            for word in dict.fromkeys((ident.lower(), *split_identifier(ident))):
                if len(word) > 2 and word not in _STOPWORDS and "_" not in word:
                    counts[word] += 1
        joined = compound.replace("-", "").lower()
        if len(idents) > 1 and all(map(str.isalpha, idents)) and joined not in _STOPWORDS:
            counts[joined] += 1
    return [w for w, _ in counts.most_common(limit)]


def term_weights(corpus: Corpus, terms: list[str]) -> dict[str, float]:
    """The task's words with their IDF over chunks, leaving out words found in most chunks or never indexed."""
    if not terms:
        return {}
    lexicon = corpus.lexicon
    total = lexicon.max_rowid or 1
    df = lexicon.df(terms)
    known = sorted((w for w in terms if df[w]), key=lambda w: df[w])
    known = [w for w in known if _kept(lexicon, w)] or known[:1]
    return {w: math.log(1 + total / df[w]) for w in known}


def _messages(corpus: Corpus, text: str, files, functions) -> None:
    """Error messages and quoted strings of the task found in a chunk: every word of the message in one chunk."""
    found: dict[str, list] = {}  # query -> its rows: a log repeats one message with other numbers in it
    for m in _MESSAGE.finditer(text):
        message = m.group(1) or m.group("quoted")
        words = [w.lower() for w in _WORD.findall(message) if len(w) > 2]
        words = list(dict.fromkeys(w for w in words if "_" not in w))
        if len(words) < 3:
            continue
        query = " AND ".join(f'"{w}"' for w in words[:12])
        if query not in found:
            found[query] = corpus.conn.execute(
                "SELECT f.path, c.symbol FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
                " JOIN files f ON f.id = c.file_id WHERE chunks_fts MATCH ? LIMIT 20", (query,)).fetchall()
        rows = found[query]
        for path, symbol in rows:
            files[path].add("message", 1.0 / len(rows) ** 0.5, "holds the words of '{}'", message[:40])
            if symbol:
                functions[symbol].add("message", 1.0 / len(rows) ** 0.5, "holds '{}'", message[:40])


def _tested_source(corpus: Corpus, files) -> None:
    """A mentioned test file points at the source files it imports."""
    tests = {p for p, f in files.items() if {"path_mention", "frame"} & f.values.keys() and is_test(p)}
    if not tests:
        return
    for src in tests:
        for target in corpus.imports_of.get(src, ()):
            if not is_test(target):
                files[target].add("tested_by_mentioned", 1.0, "imported by the mentioned test {}", src)


def _calls(corpus: Corpus, functions, files) -> None:
    """Callers and callees of the functions named or framed in the task, through the references' targets.

    At most CALL_EDGES of each, taken in callee then reference order (as the SQL queries this
    replaced did through the `refs_target` index), so a popular function cannot flood the candidates.
    """
    named = [sid for sid, f in functions.items() if {"name_mention", "frame"} & f.values.keys()
             and max(f.values.get("name_mention", 0), f.values.get("frame", 0)) >= 0.5][:50]
    if not named:
        return
    called = [(caller, callee) for callee in sorted(named) for caller in corpus.callers.get(callee, ())]
    calling = sorted((callee, ref, caller) for caller in named for callee, ref in corpus.callees.get(caller, ()))
    rows = called[:CALL_EDGES] + [(callee, caller) for callee, _, caller in calling[:CALL_EDGES]]
    partner: dict[str, str] = {}  # each function on an edge -> the first named one it meets (a detail)
    for caller, callee in rows:
        partner.setdefault(caller, callee)
        partner.setdefault(callee, caller)
    for sid, other in partner.items():
        if sid not in named:
            functions[sid].add("calls_mentioned", 1.0, "calls or is called by {}", other)
            files[sid.split("::", 1)[0]].add("calls_mentioned", 1.0, "calls or is called by {}", other)


def _history(corpus: Corpus, lexical: Lexical, files) -> None:
    """Files changed by the past commits whose messages read most like the task (BM25 over the messages).

    Each commit's score is shared among the files it changed, so a sweeping refactor says
    little about any one file; a file sums its shares over the commits, relative to the best
    file (BugLocator's similar-report score). Files no longer in the tree are left out."""
    if corpus.history is None:
        return
    similar = best(corpus.history.scores(lexical.terms), HISTORY_COMMITS, ties_to_higher=True)  # to the newer
    found = commits(corpus.conn, [cid for cid, _ in similar])
    votes: dict[str, float] = defaultdict(float)
    example: dict[str, tuple[str, str]] = {}
    indexed = corpus.paths
    for cid, score in similar:
        sha, subject, changed = found[cid]
        for path in changed:
            if path in indexed:
                votes[path] += score / len(changed)
                example.setdefault(path, (sha[:10], subject[:60]))
    top = max(votes.values(), default=0.0)
    for path, vote in votes.items():
        files[path].add("history", vote / top, "changed by past commits like the task, e.g. {} {}", *example[path])


def _suffix_match(mentioned: str, corpus: Corpus, min_parts: int = 1) -> list[str]:
    """Files whose path ends with the mentioned path (component-wise), longest overlap first, sharing at
    least `min_parts` components with it."""
    parts = [p for p in mentioned.replace("\\", "/").split("/") if p not in ("", ".")]
    paths = corpus.by_basename.get(parts[-1], []) if parts else []  # a match ends in the same file name
    for start in range(len(parts) - min_parts + 1):
        tail = "/".join(parts[start:])
        found = [p for p in paths if p == tail or p.endswith("/" + tail)]
        if found:
            return found
    return []


def _path_mentions(corpus: Corpus, mentions: Mentions, files) -> None:
    """A mentioned path's files. An absolute path must match in its folder too: it is on the reporter's
    machine, often in their own project (`/Users/me/bot/logging.py`), so its file name alone says little."""
    for mentioned in mentions.paths:
        found = _suffix_match(mentioned, corpus, 2 if is_absolute(mentioned) else 1)
        for path in found:
            files[path].add("path_mention", 1.0 / len(found), "path {} is mentioned", mentioned)


def _frames(corpus: Corpus, mentions: Mentions, files, functions) -> None:
    """Traceback frames: the file of each frame, and the function whose span holds the frame's line."""
    frames = mentions.frames
    for frame in frames:
        found = _suffix_match(frame.path, corpus)
        if not found or len(found) > MAX_PATH_MATCHES:
            continue
        nearness = (frame.depth + 1) / len(frames)  # the last frame is nearest the error
        for path in found:
            files[path].add("frame", 0.5 + 0.5 * nearness, "traceback frame {}:{}", frame.path, frame.line)
            row = corpus.conn.execute(
                "SELECT s.sid FROM symbols s JOIN files f ON f.id = s.file_id WHERE f.path = ? AND s.kind IN"
                " ('function','method') AND s.start_line <= ? AND s.end_line >= ? ORDER BY s.start_line DESC LIMIT 1",
                (path, frame.line, frame.line),
            ).fetchone()
            if row:
                functions[row[0]].add("frame", 0.5 + 0.5 * nearness, "traceback frame line {}", frame.line)


def _modules(corpus: Corpus, mentions: Mentions, files) -> None:
    """Dotted names and import lines that name a module of the tree (`pkg.mod.Class.attr` -> pkg/mod.py)."""
    by_module = corpus.by_module
    names = list(mentions.dotted) + [m for m, _ in mentions.imports]
    names += [f"{m}.{n}" for m, n in mentions.imports if n]
    for dotted in names:
        parts = dotted.split(".")[:MAX_MODULE_PARTS]
        for end in range(len(parts), 0, -1):
            path = by_module.get(".".join(parts[:end]))
            if path:
                if end > 1:
                    files[path].add("module_mention", 1.0, "module {} is mentioned", ".".join(parts[:end]))
                break


def _definitions(corpus: Corpus, mentions: Mentions, files, functions) -> None:
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
        for name, sid, kind, path, qualname in corpus.conn.execute(
            "SELECT s.name, s.sid, s.kind, f.path, s.qualname FROM symbols s JOIN files f ON f.id = s.file_id"
            f" WHERE s.name IN ({marks}) AND s.kind != 'module'", batch,
        ):
            found[name].append((sid, kind, path, qualname))
    for name, defs in found.items():
        rarity = weights[name] / len(defs)
        for sid, kind, path, qualname in defs:
            files[path].add("defines_mentioned", rarity, "defines {}", name)
            functions[sid].add("name_mention", rarity, "{} is mentioned", name)
            tail = sid.split("::", 1)[1]
            if any(tail.endswith(q) for q in qualified if "." in q):
                functions[sid].add("qualified_mention", 1.0, "{} is mentioned with its class", tail)
    for feats in files.values():
        if "defines_mentioned" in feats.values:
            feats.values["defines_mentioned"] = min(1.0, feats.values["defines_mentioned"])


def _stems(corpus: Corpus, text: str, mentions: Mentions, files) -> None:
    """A file named by a mentioned identifier (`separable` -> separable.py), or by a plain word of the task."""
    code_words = {w.lower() for w in mentions.names()} | {p.lower() for d in mentions.dotted for p in d.split(".")}
    plain_words = {w.lower() for w in _WORD.findall(text) if len(w) > 3} - code_words
    for words, signal, detail in ((code_words, "stem_mention", "is mentioned as code"),
                                  (plain_words, "stem_word", "is a word of the task")):
        for stem in words - _GENERIC_STEMS:
            for path in corpus.by_stem.get(stem, ()):
                files[path].add(signal, 1.0, "file name {} {}", stem, detail)


def _neighbours(corpus: Corpus, files) -> None:
    """Personalised PageRank, one step: files importing or imported by the strongly mentioned ones."""
    seeds = {p for p, f in files.items() if {"frame", "module_mention"} & f.values.keys()
             or f.values.get("path_mention", 0.0) >= 1 / MAX_PATH_MATCHES}
    if not seeds or len(seeds) > 50:
        return
    for seed in seeds:
        for other in (*corpus.imports_of.get(seed, ()), *corpus.importers.get(seed, ())):
            if other not in seeds:
                files[other].add("graph_neighbour", 1.0, "imports or is imported by {}", seed)


def _pagerank(corpus: Corpus, files) -> None:
    """Personalised PageRank over imports and calls, restarting at the files the task names and its best
    lexical matches: the files closest to all of them along many short paths (relative to the nearest).

    The best BM25 files are seeds as well as the mentioned ones: a core module that several of them
    use, but whose own words match the task less well, is what the walk finds (measured in
    docs/retrieval.md; seeded by the mentions alone it did not help)."""
    seeds = {p: max(f.values.get(s, 0.0) for s in SEEDS) for p, f in files.items() if SEEDS & f.values.keys()}
    lexical = sorted(((f.values["lexical"], p) for p, f in files.items() if "lexical" in f.values), reverse=True)
    for value, path in lexical[:LEXICAL_SEEDS]:
        seeds[path] = max(seeds.get(path, 0.0), value)
    if not seeds:
        return
    graph = corpus.file_graph
    rank = graph.walk(seeds)
    nearest = best(rank, PAGERANK_FILES)  # the most mass first, ties to the earlier file
    for i, mass in nearest:
        value = mass / nearest[0][1]
        files[graph.paths[i]].add("pagerank", value, "near the mentioned and best-matching files ({:.0%} of the "
                                                     "nearest)", value)

