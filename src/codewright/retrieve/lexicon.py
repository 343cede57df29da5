"""BM25 over the index's chunks, in memory, scoring exactly as FTS5's bm25() does.

FTS5 computes bm25() for every chunk that matches any word of an OR-query before it can
order them: with ~45 words a task over django's ~24k chunks that was half of `find`.
Here each word's postings (chunk, column-weighted count) are read once from FTS5's own
vocabulary table, so the tokenizer is FTS5's, and kept with the query-independent part of
the formula folded in; a query then adds idf x that part per posting. Constants, formula
and summation order are FTS5's (`fts5Bm25Function` in fts5_aux.c), so the scores are the
same doubles and the ranking is the same.

Postings are loaded per word on first use (a query pays only for its new words), so a
one-off `codewright find` costs about what the FTS5 query did and a warm index answers
from memory. Scores live in one dense array indexed by chunk id: a word's postings are
added to it in one vectorised step (each chunk once per word, so the additions are the
same doubles in the same order as a loop's).

The same class scores the commit messages the index keeps (`graph/history.py`) for the
`history` signal: FTS5 took 6 ms a query over django's 10,000 messages.
"""

from __future__ import annotations

import itertools
import math
import operator
import sqlite3
from collections.abc import Iterable

import numpy as np
import snowballstemmer

K1 = 1.2  # FTS5's bm25 constants
B = 0.75
COLUMN_WEIGHTS = {"title": 4.0, "text": 1.0, "idents": 2.0}  # bm25(chunks_fts, 4.0, 1.0, 2.0)
_REWRITTEN = {"die": "dying", "lie": "lying", "tie": "tying"}  # the stemmer's words whose stem is not a prefix
RANGE_STEMS = 300  # stems a corpus looks up one vocabulary range at a time before it stems the whole vocabulary
SAMPLE_STEP = 8  # `best` bounds the n-th highest score by the n-th highest of every this many
_ABOVE_ZERO = float(np.nextafter(0.0, 1.0))
_STEMMER = snowballstemmer.stemmer("english")  # Porter's English stemmer (its C build, PyStemmer, when installed)


def varints(blob: bytes) -> list[int]:
    """FTS5's varints (SQLite's: big-endian 7-bit groups, a ninth byte of 8 bits), as in its shadow tables."""
    values, value, length = [], 0, 0
    for byte in blob:
        length += 1
        if length == 9:
            values.append((value << 8) | byte)
            value, length = 0, 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            values.append((value << 7) | byte)
            value, length = 0, 0
    return values


class Lexicon:
    """The BM25 statistics of an FTS5 table: by default `chunks_fts` (documents are chunks; columns title, text,
    idents, weighted as `find` weighs them); any other with `table`, its `weights` per column and the table
    whose ids its rowids are (`rows_of`)."""

    def __init__(self, conn: sqlite3.Connection, table: str = "chunks_fts",
                 weights: dict[str, float] = COLUMN_WEIGHTS, rows_of: str = "chunks"):
        self.conn = conn
        self._vocab, self._instances = f"temp.{table}_vocab", f"temp.{table}_instances"
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {self._vocab} USING fts5vocab(main, {table}, 'row')")
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {self._instances} USING fts5vocab(main, {table}, 'instance')")
        self._column_weight = "CASE col " + " ".join(f"WHEN '{c}' THEN {w!r}" for c, w in weights.items()) + " END"
        row = conn.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()  # FTS5's averages record
        averages = (varints(row[0]) if row else []) or [0]  # an empty table's record is empty
        self.rows = averages[0]  # FTS5's row count, its N
        avgdl = sum(averages[1:]) / self.rows if self.rows else 1.0
        self.max_rowid = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
        ids = conn.execute(f"SELECT max(id) FROM {rows_of}").fetchone()[0] or 0
        self.size = 1 + max(self.max_rowid, ids)  # of a scores array: every row id indexes it
        self._norm = np.zeros(self.size)  # per row, the length part of the denominator (D: its tokens, all columns)
        for rowid, sizes in conn.execute(f"SELECT id, sz FROM {table}_docsize"):
            self._norm[rowid] = K1 * (1 - B + B * sum(varints(sizes)) / avgdl)
        self._df: dict[str, int] = {}
        self._families: dict[str, list[str]] = {}  # stem -> its indexed words (`_family`)
        self._variants: dict[str, list[str]] = {}  # word -> the other words of its family (`variants`)
        self._every_stem = False  # whether `_families` holds every stem of the vocabulary
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # word -> (chunk ids, BM25 part of each)
        self._all_loaded = False  # whether `_postings` holds every word (`load_all`)
        self._terms: dict[str, str] = {}  # a word beyond ASCII -> its term in the vocabulary (`_term`)

    def _term(self, word: str) -> str:
        """The vocabulary's term for a word as written: itself in ASCII, else what FTS5's tokenizer makes of it
        (`méthode`: methode, `Ünïcode`: unicode; diacritics go from Latin letters only), asked of FTS5 itself
        (cached) since no rule in Python folds the same letters."""
        if word.isascii():
            return word
        term = self._terms.get(word)
        if term is None:
            term = self._terms[word] = _fts5_term(self.conn, word)
        return term

    def df(self, words: list[str]) -> dict[str, int]:
        """How many chunks hold each word (0 when none): FTS5's vocabulary, cached."""
        new = [w for w in dict.fromkeys(words) if w not in self._df]
        if new and self._every_stem:  # the whole vocabulary is read: the others are in no chunk
            self._df.update((w, self._df.get(self._term(w), 0)) for w in new)
        elif new:
            terms = [self._term(w) for w in new]
            marks = ",".join("?" * len(new))
            found = dict(self.conn.execute(f"SELECT term, doc FROM {self._vocab} WHERE term IN ({marks})", terms))
            self._df.update((w, found.get(t, 0)) for w, t in zip(new, terms))
        return {w: self._df[w] for w in words}

    def doc_count(self, word: str) -> int:
        """`df` of one word (asked for each stem variant of each query word: the dictionary first)."""
        found = self._df.get(word)
        return self.df([word])[word] if found is None else found

    def variants(self, word: str) -> list[str]:
        """The indexed words with the same English stem as `word`, but for itself (`deleting`: delete,
        deleted, deletion, ...), most frequent first (kept: a task's words recur in the next tasks)."""
        found = self._variants.get(word)
        if found is None:
            term = self._term(word)
            found = self._variants[word] = [t for t in self._family(_STEMMER.stemWord(term)) if t not in (word, term)]
        return found

    def _family(self, stem: str) -> list[str]:
        """The indexed words with this stem, most frequent first.

        Snowball's English stemmer only cuts or rewrites a word's ending, so each word starts
        with all but the last letter of its stem, apart from the three its exception list
        rewrites whole (`_REWRITTEN`; 414,300 indexed words of the 17 development repositories
        checked): a stem's words are among those of one range of FTS5's vocabulary. A one-off
        `codewright find` reads only its words' ranges (stemming django's whole vocabulary, 36k
        words, was 0.2 s of it); a warm corpus that has looked up RANGE_STEMS stems stems the
        whole vocabulary once instead, which costs each later query nothing."""
        family = self._families.get(stem)
        if family is not None or self._every_stem:
            return family or []
        if len(self._families) >= RANGE_STEMS:
            self.stem_vocabulary()
            return self._families.get(stem, [])
        prefix = stem[:-1]
        rows = self.conn.execute(f"SELECT term, doc FROM {self._vocab} WHERE term >= ? AND term < ?",
                                 (prefix, prefix + "\U0010ffff")).fetchall()
        if stem in _REWRITTEN:
            rows += self.conn.execute(f"SELECT term, doc FROM {self._vocab} WHERE term = ?", (_REWRITTEN[stem],)).fetchall()
        self._df.update(rows)  # the variants' counts are asked next (`signals._kept`)
        self._families[stem] = family = _families(rows).get(stem, [])
        return family

    def stem_vocabulary(self) -> None:
        """Every stem's family at once: the whole vocabulary, stemmed (and each word's count kept)."""
        rows = self.conn.execute(f"SELECT term, doc FROM {self._vocab}").fetchall()
        self._df.update(rows)
        self._families, self._every_stem = _families(rows), True

    def scores(self, words: list[str]) -> np.ndarray:
        """Each chunk's bm25 for the OR-query of `words` in this order, by chunk id (0 where none matches).

        The same value as `-bm25(chunks_fts, 4.0, 1.0, 2.0)` for `"w1" OR "w2" ...`: per word, the
        same idf (floored at 1e-6) times the same tf part, summed in the query's word order (one
        `bincount` over the words' postings in turn makes the same additions in the same order). A
        matching chunk scores above 0 (a tf part is positive, an idf at least 1e-6).
        """
        self._load([w for w in words if w not in self._postings])
        postings = [self._postings[word] for word in words]
        return np.bincount(np.concatenate([chunks for chunks, _ in postings] or [np.zeros(0, dtype=np.int64)]),
                           weights=np.concatenate([weighted for _, weighted in postings] or [np.zeros(0)]),
                           minlength=self.size)

    def loaded(self, words: Iterable[str]) -> bool:
        """Whether these words' postings are in memory."""
        return self._all_loaded or all(word in self._postings for word in words)

    def rows_with_all(self, words: Iterable[str]) -> np.ndarray:
        """The rows that hold every one of these words, in row id order (as an FTS5 AND-query returns them)."""
        words = list(words)
        self._load([w for w in words if w not in self._postings])
        postings = sorted((self._postings[word][0] for word in words), key=len)  # the rarest word first
        found = postings[0] if postings else np.zeros(0, dtype=np.int64)
        for rows in postings[1:]:  # keep the rows this word's (sorted) postings also hold
            if not len(found):
                break
            at = np.searchsorted(rows, found).clip(max=len(rows) - 1)
            found = found[rows[at] == found]
        return found

    def _load(self, words: list[str]) -> None:
        """Read each word's postings (a statement a word: cheaper than one sorting all of them)."""
        for word in words:
            term = self._term(word)
            if self._all_loaded and term in self._postings:
                self._postings[word] = self._postings[term]
                continue
            if self._all_loaded:  # a word the vocabulary lacks is in no row
                self._keep(word, [])
                continue
            self._keep(word, self.conn.execute(
                f"SELECT doc, sum({self._column_weight}) FROM {self._instances} WHERE term = ? GROUP BY doc", (term,),
            ).fetchall())

    def load_all(self) -> None:
        """Every word's postings, in one statement over the whole vocabulary: what a long-lived process reads
        once so that no query pays for its words' first use (about 3 s for django's 36,000 words)."""
        rows = self.conn.execute(
            f"SELECT term, doc, sum({self._column_weight}) FROM {self._instances} GROUP BY term, doc")
        for word, postings in itertools.groupby(rows, key=operator.itemgetter(0)):
            if word not in self._postings:
                self._keep(word, [row[1:] for row in postings])
        self._all_loaded = True

    def _keep(self, word: str, rows: list[tuple[int, float]]) -> None:
        """A word's postings from its (chunk, column-weighted count) rows, with each one's part of BM25 (idf x the
        tf part)."""
        found = np.array(rows, dtype=np.float64).reshape(-1, 2)
        chunks, counts = found[:, 0].astype(np.int64), found[:, 1]
        idf = math.log((self.rows - len(chunks) + 0.5) / (len(chunks) + 0.5))
        if idf <= 0.0:
            idf = 1e-6
        self._postings[word] = (chunks, idf * ((counts * (K1 + 1.0)) / (counts + self._norm[chunks])))


TOKENIZER = "unicode61"  # the index's FTS5 tables' (graph/store.py, graph/history.py)


def _fts5_term(conn: sqlite3.Connection, word: str) -> str:
    """The one term FTS5's tokenizer makes of `word` (the word itself when it makes none or several), read
    back from a table of the connection's temporary schema, which even a read-only index can write."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.cw_term USING fts5(word, tokenize = '{TOKENIZER}')")
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.cw_term_vocab USING fts5vocab(temp, cw_term, 'row')")
    conn.execute("INSERT INTO temp.cw_term(word) VALUES (?)", (word,))
    terms = [row[0] for row in conn.execute("SELECT term FROM temp.cw_term_vocab")]
    conn.execute("DELETE FROM temp.cw_term")
    return terms[0] if len(terms) == 1 else word


def _families(rows: list[tuple[str, int]]) -> dict[str, list[str]]:
    """(word, chunks holding it) -> each stem's words, the most frequent first (ties in word order)."""
    families: dict[str, list[tuple[int, str]]] = {}
    for (term, doc), stem in zip(rows, _STEMMER.stemWords([term for term, _ in rows])):
        families.setdefault(stem, []).append((-doc, term))
    return {stem: [term for _, term in sorted(family)] for stem, family in families.items()}


def best(scores: np.ndarray, n: int, ties_to_higher: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The n highest scores above 0 as (chunk ids, scores), best first, ties to the lower chunk id (FTS5's scan
    order, as SQLite keeps) or, asked, to the higher."""
    found = np.flatnonzero(scores >= _lower_bound(scores, n))
    values = scores[found]
    if len(found) > n:
        keep = values >= np.partition(values, len(values) - n)[len(values) - n]
        found, values = found[keep], values[keep]
    order = np.lexsort((-found if ties_to_higher else found, -values))[:n]  # by score, highest first, then by id
    return found[order], values[order]


def _lower_bound(scores: np.ndarray, n: int) -> float:
    """A score that at least n of `scores` reach, above 0 (the smallest float above 0 where no such score is
    known): the n-th highest of every SAMPLE_STEP-th score. Only the scores from it up are sorted, which
    are far fewer than the matching ones (about 18,000 of django's 24,000 chunks match a long task)."""
    sample = scores[::SAMPLE_STEP]
    if len(sample) <= n:
        return _ABOVE_ZERO
    return max(float(np.partition(sample, len(sample) - n)[len(sample) - n]), _ABOVE_ZERO)
