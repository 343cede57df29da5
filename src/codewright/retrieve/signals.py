"""The evidence that a file or function is where a task lands, one number per signal.

Each signal is computed independently from the index and the task's mentions and kept
in a column of an `Evidence` table, so the ranker can weigh them (weights fitted on development data,
see docs/retrieval.md) and explain every result by the signals that lifted it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from codewright.graph.store import split_id, split_identifier
from codewright.retrieve.corpus import (
    NO_CHUNK,
    Corpus,
    Members,
    Symbols,
    file_stem,
    own_name,
    owner_name,
    ranges,
)
from codewright.retrieve.evidence import Evidence
from codewright.retrieve.kinds import KINDS, file_kinds, is_test
from codewright.retrieve.lexicon import Lexicon, best
from codewright.retrieve.mentions import Mentions, is_absolute

_WORD = re.compile(r"[^\W\d]\w*")  # an identifier, with letters beyond ASCII too
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
SEEDS = frozenset({"path_mention", "frame", "module_mention", "defines_mentioned"})  # files the walk restarts at,
LEXICAL_SEEDS = 10  # and this many of the best BM25 files
PAGERANK_FILES = 50  # files the walk makes candidates, the nearest first
HISTORY_COMMITS = 20  # the past commits most like the task, whose changed files the `history` signal lifts
MAX_PATH_MATCHES = 3  # a frame, or a path as a neighbours' seed, matching more files than this names none of them
MAX_MODULE_PARTS = 16  # a dotted name is looked up by its first this many parts (each prefix is joined anew)
CALL_EDGES = 500  # callers, and callees, of the named functions taken at most
MAX_TERM_SHARE = 0.25  # a word in more than this share of chunks adds almost nothing to BM25 but costs time
MESSAGE_CHUNKS = 20  # chunks a message is looked up in at most: one found in more says little
BIG_INDEX = 2000  # chunks: below this, every word is kept (the cost is small anyway)
# An error's message (`ValueError: ...`, found by the name's suffix alone: the name is not kept) or a quoted string.
# The blanks after the colon are taken whole, atomically (a lookahead's capture, matched again): given back one by
# one, as a plain `[ \t]*` does, each blank before a message too long to match cost another try of `.{12,200}`,
# and a pasted log of such lines took 1-2 s per MB. When under 12 characters follow the blanks, the message is the
# line's last 12 (`short`): what giving blanks back matched.
_MESSAGE = re.compile(
    r"(?:Error|Exception|Warning|Exit):(?:(?=(?P<blanks>[ \t]*))(?P=blanks)(?P<message>.{12,200})$"
    r"|(?=[^\n]{12})(?=(?P<blanks2>[ \t]*))(?P=blanks2)(?P<short>[^\n]{0,11})$)"
    r"""|["'](?P<quoted>[^"'\n]{12,200})["']""", re.MULTILINE)


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
    lowered: set[str]  # every word of the text as it is written (an identifier whole), lowercased
    title_is_task: bool = False  # the title holds every word BM25 reads (a one-line task): `title` is `scores`


@dataclass
class Candidates:
    files: Evidence  # by path
    functions: Evidence  # by symbol id
    symbols: Symbols

    def place(self, sid: str) -> tuple[str, int]:
        """A function candidate's (path, line)."""
        row = self.symbols.keys.row[sid]
        return self.files.keys.names[self.symbols.file[row]], int(self.symbols.line[row])


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
                   lexicon.scores(list(family)), set(map(str.lower, _WORD.findall(text))), set(title) == set(weights))


def _kept(lexicon: Lexicon, word: str) -> bool:
    """Whether an indexed word is rare enough to count in BM25 (see MAX_TERM_SHARE)."""
    total = lexicon.max_rowid or 1
    return total < BIG_INDEX or lexicon.doc_count(word) <= MAX_TERM_SHARE * total


def title_of(text: str) -> str:
    """The task's first non-blank line: an issue's title, a request's summary."""
    return next((line for line in text.splitlines() if line.strip()), "")


def collect(corpus: Corpus, text: str, mentions: Mentions, lexical: Lexical) -> Candidates:
    """Every signal for every file and function that has any evidence."""
    files = Evidence(corpus.files, always=KINDS)
    functions = Evidence(corpus.symbols.keys, always=("test", "is_class"), closed=True)
    _lexical(corpus, lexical, files, functions)
    _title_and_stemmed(corpus, lexical, files, functions)
    _path_mentions(corpus, mentions, files)
    _frames(corpus, mentions, files, functions)
    _modules(corpus, mentions, files)
    _definitions(corpus, mentions, files, functions)
    _stems(corpus, lexical, mentions, files)
    _neighbours(corpus, files)
    _pagerank(corpus, files)
    _messages(corpus, text, files, functions)
    _tested_source(corpus, files)
    _calls(corpus, functions, files)
    _history(corpus, lexical, files)
    rows = files.rows()
    base = rows < len(corpus.files.names)
    kinds = np.zeros((len(rows), len(KINDS)))
    kinds[base] = corpus.kinds(rows[base])
    for i, row in zip(np.flatnonzero(~base).tolist(), rows[~base].tolist()):
        kinds[i] = file_kinds(files.name(row))
    for i, kind in enumerate(KINDS):
        files.set(kind, rows, kinds[:, i])
    return Candidates(files, functions, corpus.symbols)


def expand_functions(corpus: Corpus, mentions: Mentions, lexical: Lexical, cands: Candidates,
                     top_paths: list[str]) -> None:
    """Make every function, method and class of the best files a candidate, with BM25 inside those files.

    A method of a small class has no chunk of its own: it takes the score of the chunk
    that holds it. Afterwards candidates that are not functions, methods or classes are
    dropped.
    """
    functions, symbols = cands.functions, corpus.symbols
    members = corpus.members(top_paths)
    functions.touch(members.rows)  # a candidate even without evidence of its own
    _local_bm25(corpus, lexical, functions, members, top_paths)
    _own_words(corpus, lexical, functions, members)
    functions.touched &= symbols.member
    rows = functions.rows()
    functions.set("test", rows, corpus.kinds(symbols.file[rows])[:, 0])
    functions.set("is_class", rows, symbols.is_class[rows])
    spans = symbols.span[rows]
    longest = math.log1p(int(spans.max(initial=0))) or 1.0
    functions.add_many("size", rows, np.log1p(spans) / longest, "{} lines long",
                       lambda row, _: (int(symbols.span[row]),))
    _name_words(corpus, mentions, lexical, functions, rows)


def _local_bm25(corpus: Corpus, lexical: Lexical, functions: Evidence, members: Members, top_paths: list[str]) -> None:
    """`lexical_local` and `title_local`: the BM25 of the smallest chunk that holds a member and matches, relative
    to the best chunk of the best files (the title's words are some of the task's, so only a chunk that matched
    can match them)."""
    matched, value = _smallest_match(lexical.scores[members.holders], members)
    functions.add_many("lexical_local", members.rows[matched], value[matched] / _local_top(corpus, lexical.scores,
                       top_paths), "BM25 {:.2f} within the best files")
    titled, value = _smallest_match(np.where(matched[:, None], lexical.title[members.holders], 0.0), members)
    functions.add_many("title_local", members.rows[titled], value[titled] / _local_top(corpus, lexical.title,
                       top_paths), "title BM25 {:.2f} within the best files")


def _smallest_match(held: np.ndarray, members: Members) -> tuple[np.ndarray, np.ndarray]:
    """For each member, whether a chunk holding it matched, and the score of the smallest that did (of equally
    small ones, the lowest score)."""
    lines = np.where(held > 0, members.holder_lines, NO_CHUNK)
    smallest = lines.min(axis=1, initial=NO_CHUNK)
    value = np.where(lines == smallest[:, None], held, np.inf).min(axis=1, initial=np.inf)
    return smallest < NO_CHUNK, value


def _own_words(corpus: Corpus, lexical: Lexical, functions: Evidence, members: Members) -> None:
    """The share of the task's word weight (IDF) that a member's own lines hold."""
    weights = np.zeros(len(corpus.words))
    for word, weight in lexical.weights.items():
        if (found := corpus.words.get(word)) is not None:
            weights[found] = weight
    total = sum(lexical.weights.values())
    if not total:
        return
    share = np.bincount(members.word_row, weights=weights[members.words], minlength=len(members.rows)) / total
    held = share > 0
    functions.add_many("own_words", members.rows[held], share[held], "its own code holds {:.0%} of the task's word weight")


def _name_words(corpus: Corpus, mentions: Mentions, lexical: Lexical, functions: Evidence, rows: np.ndarray) -> None:
    """`name_words`: the share of the words of a candidate's name found in the task; `in_mentioned_class`: a
    member of a class the task names."""
    names, sids = corpus.names(rows), corpus.symbols.keys.names  # (details read ids, not the table: no cycle)
    task_words = np.zeros(len(corpus.words), dtype=bool)
    for word in lexical.lowered.union(lexical.every):
        if (found := corpus.words.get(word)) is not None:
            task_words[found] = True
    counts = names.count[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    entries = names.start[rows][owner] + np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    share = np.bincount(owner, weights=task_words[names.parts[entries]], minlength=len(rows)) / counts
    named = share > 0
    functions.add_many("name_words", rows[named], share[named], "{:.0%} of the words of {} are in the task",
                       lambda row, value: (value, own_name(sids[row])))
    classes = np.zeros(len(corpus.owners), dtype=bool)
    for name in mentions.names():
        if name[:1].isupper() and (found := corpus.owners.get(name)):
            classes[found] = True
    members = rows[classes[names.owner[rows]]]
    functions.add_many("in_mentioned_class", members, np.ones(len(members)), "a member of the mentioned {}",
                       lambda row, _: (owner_name(sids[row]),))


def _local_top(corpus: Corpus, scores: np.ndarray, paths: list[str]) -> float:
    """The best BM25 of a chunk of these files (1 when none matches): `lexical_local` is relative to it."""
    of_file = corpus.chunks.of_file
    ids = [of_file[path] for path in paths if path in of_file]
    return (float(scores[np.concatenate(ids)].max(initial=0.0)) if ids else 0.0) or 1.0


def _lexical(corpus: Corpus, lexical: Lexical, files: Evidence, functions: Evidence) -> None:
    """BM25 over chunks (text, titles, split identifiers); a file scores its best chunk plus a little of the rest."""
    ids, scores = best(lexical.scores, LEXICAL_LIMIT)
    if not len(ids):
        return
    scores = scores / (scores[0] or 1.0)
    chunks = corpus.chunks
    _to_functions(functions, "lexical", chunks.symbol[ids], scores, "BM25 {:.2f} of the top")
    file_rows = chunks.file[ids]
    order = np.argsort(file_rows, kind="stable")  # each file's chunks together, the best first
    grouped_rows, grouped = file_rows[order], scores[order]
    starts = np.flatnonzero(np.r_[True, grouped_rows[1:] != grouped_rows[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, counts)  # a chunk's place among its file's
    group = np.repeat(np.arange(len(starts)), counts)
    rest = np.zeros(len(starts))
    for place in (1, 2, 3):  # the next three chunks, added in order as `sum` did
        rest[group[rank == place]] += grouped[rank == place]
    first_seen = np.argsort(order[starts], kind="stable")  # the files in the order their best chunks rank
    rows, best_chunk, hits = grouped_rows[starts][first_seen], grouped[starts][first_seen], counts[first_seen]
    rest = rest[first_seen]
    detail = dict(zip(rows.tolist(), zip(best_chunk.tolist(), hits.tolist())))
    files.add_many("lexical", rows, best_chunk + 0.1 * rest, "BM25 best chunk {:.2f} of the top",
                   lambda row, _: detail[row][:1])
    most = math.log1p(int(hits.max()))
    files.add_many("lexical_hits", rows, np.array([math.log1p(n) / most for n in hits.tolist()]),
                   "{} of the best chunks", lambda row, _: detail[row][1:])


def _to_functions(functions: Evidence, signal: str, symbols: np.ndarray, values: np.ndarray, template: str) -> None:
    """A chunk's value for the function (or class) that it is, where it is one."""
    own = symbols >= 0
    functions.add_many(signal, symbols[own], values[own], template)


def _title_and_stemmed(corpus: Corpus, lexical: Lexical, files: Evidence, functions: Evidence) -> None:
    """BM25 for the words of the title alone (the words an issue's author chose to sum it up), and for the
    task's words with their indexed variants (`deleting` finds `delete`)."""
    chunks = corpus.chunks
    for signal, scores in (("title", lexical.title), ("stemmed", lexical.stemmed)):
        ids, values = best(scores, LEXICAL_LIMIT)
        if not len(ids):
            continue
        values = values / values[0]
        files.add_many(signal, chunks.file[ids], values, signal + " BM25 best chunk {:.2f} of the top")
        _to_functions(functions, signal, chunks.symbol[ids], values, signal + " BM25 {:.2f} of the top")


def query_terms(text: str, limit: int = QUERY_TERMS) -> list[str]:
    """The task's words for BM25: identifiers split into words, no stopwords, URLs or hex runs; the `limit` most
    repeated, ties in order of first appearance (a set's order would change with the hash seed, and so would
    which tied words make the cut and the ranking, from one process to the next). A hyphenated word also
    counts joined, as code writes it (`re-writer`: rewriter, `built-in`: builtin, `x-axis`: xaxis)."""
    text = re.sub(r"https?://\S+|\b[0-9a-f]{12,}\b", " ", text)
    counts: Counter[str] = Counter()
    for compound, times in Counter(_COMPOUND.findall(text)).items():  # each compound once, as first met
        for word in _compound_words(compound):
            counts[word] += times
    return [w for w, _ in counts.most_common(limit)]


@lru_cache(maxsize=1 << 16)
def _compound_words(compound: str) -> tuple[str, ...]:
    """The words one occurrence of a compound counts, in order, a word once for each identifier holding it: words
    of three letters or more, or of two beyond ASCII (`函数`, a function: two characters make many a CJK word)."""
    found = []
    idents = compound.split("-")
    for ident in idents:
        found += [w for w in dict.fromkeys((ident.lower(), *split_identifier(ident)))
                  if (len(w) > 2 or len(w) == 2 and not w.isascii()) and w not in _STOPWORDS and "_" not in w]
    joined = compound.replace("-", "").lower()
    if len(idents) > 1 and all(map(str.isalpha, idents)) and joined not in _STOPWORDS:
        found.append(joined)
    return tuple(found)


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


def _messages(corpus: Corpus, text: str, files: Evidence, functions: Evidence) -> None:
    """Error messages and quoted strings of the task found in a chunk: every word of the message in one chunk."""
    found: dict[tuple[str, ...], np.ndarray] = {}  # words -> their chunks: a log repeats one message with other numbers
    ids_of, messages = [], []  # each message's chunks, and the message
    for message in task_messages(text):
        words = [w.lower() for w in _WORD.findall(message) if len(w) > 2]
        words = tuple(dict.fromkeys(w for w in words if "_" not in w))[:12]
        if len(words) < 3:
            continue
        if words not in found:
            found[words] = _chunks_with_all(corpus, words)
        ids_of.append(found[words])
        messages.append(message[:40])
    if not ids_of:
        return
    ids = np.concatenate(ids_of)
    which = np.repeat(np.arange(len(ids_of)), list(map(len, ids_of)))  # each chunk's message, by position
    values = np.repeat([1.0 / max(1, len(chunks)) ** 0.5 for chunks in ids_of], list(map(len, ids_of)))
    files.add_rows("message", corpus.chunks.file[ids], values, "holds the words of '{}'", lambda i: (messages[which[i]],))
    symbols = corpus.chunks.symbol[ids]
    own = np.flatnonzero(symbols >= 0)
    functions.add_rows("message", symbols[own], values[own], "holds '{}'", lambda i: (messages[which[own[i]]],))


def task_messages(text: str) -> Iterator[str]:
    """The error messages and quoted strings of a task's text, in order."""
    for m in _MESSAGE.finditer(text):
        yield m.group("message") or m.group("quoted") or m.group(0)[-12:]


def _chunks_with_all(corpus: Corpus, words: tuple[str, ...]) -> np.ndarray:
    """The first MESSAGE_CHUNKS chunks (by id) that hold every one of these words: from the postings in memory
    when all are loaded (a warm index), else by an FTS5 query (which reads a common word's postings faster)."""
    if corpus.lexicon.loaded(words):
        return corpus.lexicon.rows_with_all(words)[:MESSAGE_CHUNKS]
    query = " AND ".join(f'"{w}"' for w in words)
    rows = corpus.conn.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?", (query, MESSAGE_CHUNKS))
    return np.array([cid for (cid,) in rows], dtype=np.int64)


def _tested_source(corpus: Corpus, files: Evidence) -> None:
    """A mentioned test file points at the source files it imports."""
    mentioned = np.flatnonzero((files.column("path_mention") > 0) | (files.column("frame") > 0))
    found = [(target, 1.0, (src,)) for src in {path for path in map(files.name, mentioned.tolist()) if is_test(path)}
             for target in corpus.imports_of.get(src, ()) if not file_kinds(target)[0]]  # (kinds are cached)
    files.add("tested_by_mentioned", *_columns(found, "imported by the mentioned test {}"))


def _calls(corpus: Corpus, functions, files) -> None:
    """Callers and callees of the functions named or framed in the task, through the references' targets.

    At most CALL_EDGES of each, taken in callee then reference order (as the SQL queries this
    replaced did through the `refs_target` index), so a popular function cannot flood the candidates.
    """
    touched = functions.rows()  # in the order they were found, as the first 50 are taken
    strong = np.maximum(functions.column("name_mention")[touched], functions.column("frame")[touched]) >= 0.5
    named = [functions.name(row) for row in touched[strong][:50].tolist()]
    if not named:
        return
    edges = corpus.call_edges
    keys = np.array(sorted(k for sid in named if (k := edges.key.get(sid)) is not None), dtype=np.int64)
    # the named functions' callers, by callee (ids in string order, as `keys` are) then reference
    called = ranges(np.searchsorted(edges.callee, keys), np.searchsorted(edges.callee, keys, side="right"))
    called = called[:CALL_EDGES]
    # and their callees, sorted by (callee, reference, caller)
    calling = edges.by_caller[ranges(np.searchsorted(edges.caller_sorted, keys),
                                      np.searchsorted(edges.caller_sorted, keys, side="right"))]
    calling = calling[np.lexsort((edges.caller[calling], edges.ref[calling], edges.callee[calling]))][:CALL_EDGES]
    # each function on an edge -> the first named one it meets (a detail): pairs (caller, callee) of the
    # callers, then (callee, caller) of the callees, each end taking the other where it has none yet
    ends = np.concatenate([np.stack([edges.caller[called], edges.callee[called]], axis=1),
                           np.stack([edges.callee[calling], edges.caller[calling]], axis=1)])
    met, other = ends.ravel(), ends[:, ::-1].ravel()
    first = np.sort(np.unique(met, return_index=True)[1])
    first = first[~np.isin(met[first], keys)]  # the named functions themselves take nothing
    met, other = met[first], other[first]
    template = "calls or is called by {}"
    own = np.flatnonzero(edges.symbol[met] >= 0)
    functions.add_rows("calls_mentioned", edges.symbol[met[own]], np.ones(len(own)), template,
                       lambda i: (edges.names[other[own[i]]],))
    known = np.flatnonzero(edges.file[met] >= 0)  # a file outside the index's gets a row of its own
    files.add_rows("calls_mentioned", edges.file[met[known]], np.ones(len(known)), template,
                   lambda i: (edges.names[other[known[i]]],))
    outside = np.flatnonzero(edges.file[met] < 0).tolist()
    files.add("calls_mentioned", [split_id(edges.names[met[i]])[0] for i in outside], [1.0] * len(outside),
              template,
              [(edges.names[other[i]],) for i in outside])


def _history(corpus: Corpus, lexical: Lexical, files) -> None:
    """Files changed by the past commits whose messages read most like the task (BM25 over the messages).

    Each commit's score is shared among the files it changed, so a sweeping refactor says
    little about any one file; a file sums its shares over the commits, relative to the best
    file (BugLocator's similar-report score). Files no longer in the tree are left out."""
    if corpus.history is None:
        return
    ids, scores = best(corpus.history.scores(lexical.terms), HISTORY_COMMITS, ties_to_higher=True)  # to the newer
    similar = list(zip(ids.tolist(), scores.tolist()))
    found = corpus.commits(ids.tolist())
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
    files.add("history", list(votes), [vote / top for vote in votes.values()],
              "changed by past commits like the task, e.g. {} {}", [example[path] for path in votes])


def _suffix_match(mentioned: str, corpus: Corpus, min_parts: int = 1) -> list[str]:
    """Files whose path ends with the mentioned path (component-wise), longest overlap first, sharing at
    least `min_parts` components with it."""
    parts = [p for p in mentioned.replace("\\", "/").split("/") if p not in ("", ".")]
    by_suffix = corpus.by_suffix
    for start in range(len(parts) - min_parts + 1):
        found = by_suffix.get("/".join(parts[start:]))
        if found:
            return found
    return []


def _path_mentions(corpus: Corpus, mentions: Mentions, files) -> None:
    """A mentioned path's files. An absolute path must match in its folder too: it is on the reporter's
    machine, often in their own project (`/Users/me/bot/logging.py`), so its file name alone says little."""
    found = []
    for mentioned in mentions.paths:
        paths = _suffix_match(mentioned, corpus, 2 if is_absolute(mentioned) else 1)
        found += [(path, 1.0 / len(paths), (mentioned,)) for path in paths]
    files.add("path_mention", *_columns(found, "path {} is mentioned"))


def _frames(corpus: Corpus, mentions: Mentions, files, functions) -> None:
    """Traceback frames: the file of each frame, and the function whose span holds the frame's line."""
    frames = mentions.frames
    in_files: list[tuple[str, float, tuple]] = []  # (path, value, detail's arguments)
    in_functions: list[tuple[str, float, tuple]] = []
    for frame in frames:
        found = _suffix_match(frame.path, corpus)
        if not found or len(found) > MAX_PATH_MATCHES:
            continue
        value = 0.5 + 0.5 * (frame.depth + 1) / len(frames)  # the last frame is nearest the error
        for path in found:
            in_files.append((path, value, (frame.path, frame.line)))
            if (row := _innermost_function(corpus, path, frame.line)) is not None:
                in_functions.append((corpus.symbols.keys.names[row], value, (frame.line,)))
    files.add("frame", *_columns(in_files, "traceback frame {}:{}"))
    functions.add("frame", *_columns(in_functions, "traceback frame line {}"))


def _innermost_function(corpus: Corpus, path: str, line: int) -> int | None:
    """The row of the function or method of this file whose lines hold this one and start last (the first of
    the index's rows among equals), if any."""
    symbols, by_file = corpus.symbols, corpus.symbols_by_file
    row = corpus.files.row.get(path, -1)
    rows = by_file.order[np.searchsorted(by_file.file, row):np.searchsorted(by_file.file, row, side="right")]
    first, span = symbols.line[rows], symbols.span[rows]
    rows = rows[symbols.member[rows] & ~symbols.is_class[rows] & (first <= line) & (line <= first + span - 1)]
    return int(rows[np.argmax(symbols.line[rows])]) if len(rows) else None


def _columns(found: list[tuple[str, float, tuple]], template: str) -> tuple[list, list, str, list]:
    """(key, value, arguments) rows as `Evidence.add`'s arguments."""
    return [key for key, _, _ in found], [value for _, value, _ in found], template, [args for _, _, args in found]


def _modules(corpus: Corpus, mentions: Mentions, files) -> None:
    """Dotted names and import lines that name a module of the tree (`pkg.mod.Class.attr` -> pkg/mod.py)."""
    by_module = corpus.by_module
    names = list(mentions.dotted) + [m for m, _ in mentions.imports]
    names += [f"{m}.{n}" for m, n in mentions.imports if n]
    found = []
    for dotted in names:
        parts = dotted.split(".")[:MAX_MODULE_PARTS]
        for end in range(len(parts), 0, -1):
            path = by_module.get(".".join(parts[:end]))
            if path:
                if end > 1:
                    found.append((path, 1.0, (".".join(parts[:end]),)))
                break
    files.add("module_mention", *_columns(found, "module {} is mentioned"))


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
    with_class = tuple(q for q in qualified if "." in q)  # `Class.method`: a definition's id may end with it
    if not weights:
        return
    definitions, symbols = corpus.definitions(list(weights)), corpus.symbols
    names = sorted(name for name in weights if len(definitions[name]))  # each name's definitions in the index's order
    if not names:
        return
    found = [definitions[name] for name in names]
    rows = np.concatenate(found)
    named = np.repeat(np.arange(len(names)), list(map(len, found)))  # each definition's name, by position
    rarity = np.repeat([weights[name] / len(defs) for name, defs in zip(names, found)], list(map(len, found)))
    files.add_rows("defines_mentioned", symbols.file[rows], rarity, "defines {}", lambda i: (names[named[i]],))
    functions.add_rows("name_mention", rows, rarity, "{} is mentioned", lambda i: (names[named[i]],))
    if with_class:  # only a definition of a `method` that the task names as `Class.method` can end with it
        methods = {q.rsplit(".", 1)[1] for q in with_class}
        candidates = np.flatnonzero(np.isin(named, [i for i, name in enumerate(names) if name in methods]))
        sids = symbols.keys.names  # an id ends with `Class.method` where its qualified name does (no ":" in it)
        marked = np.array([i for i, row in zip(candidates.tolist(), rows[candidates].tolist())
                           if sids[row].endswith(with_class)], dtype=np.int64)
        functions.add_rows("qualified_mention", rows[marked], np.ones(len(marked)),
                           "{} is mentioned with its class", lambda i: (split_id(sids[rows[marked[i]]])[1],))
    np.minimum(files.column("defines_mentioned"), 1.0, out=files.column("defines_mentioned"))


def _stems(corpus: Corpus, lexical: Lexical, mentions: Mentions, files) -> None:
    """A file named by a mentioned identifier (`separable` -> separable.py), or by a plain word of the task."""
    code_words = {w.lower() for w in mentions.names()} | {p.lower() for d in mentions.dotted for p in d.split(".")}
    plain_words = {w for w in lexical.lowered if len(w) > 3} - code_words
    for words, signal, detail in ((code_words, "stem_mention", "is mentioned as code"),
                                  (plain_words, "stem_word", "is a word of the task")):
        found = [rows for stem in words - _GENERIC_STEMS if (rows := corpus.stem_rows.get(stem)) is not None]
        rows = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        files.add_many(signal, rows, np.ones(len(rows)), "file name {} " + detail,
                       lambda row, _: (file_stem(corpus.files.names[row]),))


def _neighbours(corpus: Corpus, files) -> None:
    """Personalised PageRank, one step: files importing or imported by the strongly mentioned ones."""
    strong = ((files.column("frame") > 0) | (files.column("module_mention") > 0)
              | (files.column("path_mention") >= 1 / MAX_PATH_MATCHES))
    seeds = set(map(files.name, np.flatnonzero(strong).tolist()))
    if not seeds or len(seeds) > 50:
        return
    found = [(other, 1.0, (seed,)) for seed in seeds
             for other in (*corpus.imports_of.get(seed, ()), *corpus.importers.get(seed, ())) if other not in seeds]
    files.add("graph_neighbour", *_columns(found, "imports or is imported by {}"))


def _pagerank(corpus: Corpus, files) -> None:
    """Personalised PageRank over imports and calls, restarting at the files the task names and its best
    lexical matches: the files closest to all of them along many short paths (relative to the nearest).

    The best BM25 files are seeds as well as the mentioned ones: a core module that several of them
    use, but whose own words match the task less well, is what the walk finds (measured in
    docs/retrieval.md; seeded by the mentions alone it did not help)."""
    seeds = np.max([files.column(signal) for signal in SEEDS], axis=0)  # by file row
    lexical = files.column("lexical")
    matched = np.flatnonzero(lexical)
    top = matched[np.lexsort((-files.order(matched), -lexical[matched]))][:LEXICAL_SEEDS]  # ties to the later path
    seeds[top] = np.maximum(seeds[top], lexical[top])
    if not seeds.any():
        return
    graph = corpus.file_graph  # its files are the first rows of `files`, in the same order
    ids, mass = best(graph.walk_from(seeds[:len(graph.paths)]), PAGERANK_FILES)  # the most mass first, ties to
    # the earlier file
    files.add_many("pagerank", ids, mass / mass[0] if len(ids) else mass,
                   "near the mentioned and best-matching files ({:.0%} of the nearest)")

