"""The in-memory BM25 scores exactly as FTS5's bm25() does, and the warm corpus follows the index."""

from __future__ import annotations

import sqlite3
import subprocess

import numpy as np
import pytest
from tests.support.repos import indexed_repo, make_repo

from codewright.graph.index import Index
from codewright.retrieve.corpus import corpus
from codewright.retrieve.lexicon import _STEMMER, best, varints

FILES = {
    "ledger/__init__.py": "",
    "ledger/accounts.py": (
        "class AccountBalance:\n"
        "    '''The balance of one account; common to every ledger.'''\n\n"
        "    def credit(self, amount):\n        self.balance = self.balance + amount  # common credit\n\n"
        "    def debit(self, amount):\n        self.balance -= amount\n"
    ),
    "ledger/journal.py": (
        "from ledger.accounts import AccountBalance\n\n\n"
        "def post_entry(journal, account, amount):\n"
        "    '''Post a common journal entry: credit one account, debit another.'''\n"
        "    journal.append((account, amount))\n    AccountBalance().credit(amount)\n"
    ),
    "ledger/report.py": "def balance_report(accounts):\n    return [a.balance for a in accounts]  # common\n",
    "README.md": "# Ledger\n\nA common ledger: accounts, a journal, a balance report.\n",
}

QUERIES = [
    # (case, words of the OR-query, in the order the query names them)
    ("one word, several columns", ["balance"]),
    ("rare word first", ["journal", "balance", "credit"]),
    ("common word: idf floored", ["common", "account"]),
    ("split identifier only", ["entry", "post"]),
    ("word in no chunk", ["missing", "ledger"]),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    with indexed_repo(tmp_path_factory.mktemp("ledger"), FILES) as idx:
        yield idx


def fts5_scores(conn: sqlite3.Connection, words: list[str]) -> dict[int, float]:
    query = " OR ".join(f'"{w}"' for w in words)
    return dict(conn.execute(
        "SELECT rowid, -bm25(chunks_fts, 4.0, 1.0, 2.0) FROM chunks_fts WHERE chunks_fts MATCH ?", (query,)))


def matched(scores: np.ndarray) -> dict[int, float]:
    """The chunks a query matched -> their scores."""
    found = np.flatnonzero(scores)
    return dict(zip(found.tolist(), scores[found].tolist()))


@pytest.mark.parametrize("case, words", QUERIES, ids=[q[0] for q in QUERIES])
def test_scores_are_fts5_bm25_to_the_bit(index: Index, case: str, words: list[str]) -> None:
    expected = fts5_scores(index.conn, words)
    assert expected, "the fixture should match something"
    assert matched(corpus(index.conn).lexicon.scores(words)) == expected


def test_a_word_the_index_lacks_has_no_chunks(index: Index) -> None:
    assert corpus(index.conn).lexicon.df(["missing", "balance"])["missing"] == 0


@pytest.mark.parametrize("word, variants", [
    ("credits", ["credit"]),  # the indexed word for a plural
    ("balanced", ["balance"]),
    ("posting", ["post"]),
    ("credit", []),  # the word itself is not its own variant
    ("ledgerless", []),  # another stem: nothing
])
def test_variants_share_the_stem(index: Index, word: str, variants: list[str]) -> None:
    assert corpus(index.conn).lexicon.variants(word) == variants


STEMS = {  # words whose stems are found by a vocabulary range, and the three the stemmer rewrites whole
    "stems/words.md": "delete deleted deleting deletion deletes del dying die died dies lying lies tying tie happy "
                      "happiness happily possibility possibly possible relational relate skies sky cries",
}


@pytest.mark.parametrize("words_first", [False, True])
def test_a_stems_family_is_the_same_by_its_range_or_by_the_whole_vocabulary(tmp_path, monkeypatch,
                                                                            words_first: bool) -> None:
    """One-off queries read each stem's range of the vocabulary; a warm corpus stems all of it: the same families."""
    with indexed_repo(tmp_path / "stems", STEMS) as idx:
        lexicon = corpus(idx.conn).lexicon
        counts = dict(idx.conn.execute(f"SELECT term, doc FROM {lexicon._vocab}"))
        if words_first:  # past RANGE_STEMS, the whole vocabulary is stemmed at the next new stem
            monkeypatch.setattr("codewright.retrieve.lexicon.RANGE_STEMS", 0)
        got = {word: lexicon.variants(word) for word in counts}
        assert lexicon._every_stem is words_first
    stems = dict(zip(counts, _STEMMER.stemWords(list(counts))))
    expected = {word: sorted((v for v in counts if stems[v] == stems[word] and v != word),
                             key=lambda v: (-counts[v], v)) for word in counts}
    assert got == expected
    assert got["dying"] == ["die", "died", "dies"] and "dying" in got["die"]  # a stem that is not a prefix


def test_an_index_without_chunks_scores_nothing(tmp_path) -> None:
    root = make_repo(tmp_path / "bare", {"notes.bin": b"\x00\x01"})
    with Index.open(root) as idx:
        idx.build()
        assert matched(corpus(idx.conn).lexicon.scores(["notes"])) == {}


BEST_CASES = [
    # (case, scores, n, ties to the higher id, expected chunk ids in order)
    ("highest first", {1: 0.5, 2: 2.0, 3: 1.0}, 3, False, [2, 3, 1]),
    ("cut at n", {1: 0.5, 2: 2.0, 3: 1.0}, 2, False, [2, 3]),
    ("ties to the lower id", {9: 1.0, 4: 1.0, 7: 3.0}, 3, False, [7, 4, 9]),
    ("a tie at the cut keeps the lower id", {9: 1.0, 4: 1.0, 7: 3.0}, 2, False, [7, 4]),
    ("ties to the higher id, asked", {9: 1.0, 4: 1.0, 7: 3.0}, 2, True, [7, 9]),
    ("nothing scored", {}, 5, False, []),
]


@pytest.mark.parametrize("case, scores, n, to_higher, expected", BEST_CASES, ids=[c[0] for c in BEST_CASES])
def test_best(case: str, scores: dict[int, float], n: int, to_higher: bool, expected: list[int]) -> None:
    dense = np.zeros(10)
    dense[list(scores)] = list(scores.values())
    assert best(dense, n, ties_to_higher=to_higher)[0].tolist() == expected


@pytest.mark.parametrize("matching", [0.003, 0.05, 0.7, 1.0])
@pytest.mark.parametrize("n", [1, 20, 400])
@pytest.mark.parametrize("to_higher", [False, True])
def test_best_of_many_is_the_sorted_top(matching: float, n: int, to_higher: bool) -> None:
    """Over many scores `best` sorts only those from a sampled bound up: the same top n as sorting all, the
    ties at the cut included (scores are few distinct values)."""
    rng = np.random.default_rng(7)
    scores = np.where(rng.random(20_000) < matching, rng.integers(1, 60, 20_000) / 8, 0.0)
    ids = sorted(np.flatnonzero(scores).tolist(), key=lambda i: (-scores[i], -i if to_higher else i))[:n]
    found, values = best(scores, n, ties_to_higher=to_higher)
    assert found.tolist() == ids and values.tolist() == scores[ids].tolist()


VARINT_CASES = [
    # (case, bytes, values): SQLite's varints, as FTS5 keeps its sizes and row count
    ("one byte each", b"\x03\x1e\x00", [3, 30, 0]),
    ("two and three bytes", b"\x81\x00\x81\xbe\x31", [128, 24369]),
    ("nine bytes: the last one carries 8 bits", b"\x81" * 8 + b"\xff", [(((1 << 56) - 1) // 127 << 8) | 0xFF]),
]


@pytest.mark.parametrize("case, blob, values", VARINT_CASES, ids=[c[0] for c in VARINT_CASES])
def test_varints(case: str, blob: bytes, values: list[int]) -> None:
    assert varints(blob) == values


def _update_here(idx: Index) -> None:
    (idx.root / "ledger" / "audit.py").write_text("def audit_trail(ledger):\n    return 'quarterly audit'\n")
    idx.update(["ledger/audit.py"])


def _build_elsewhere(idx: Index) -> None:
    (idx.root / "ledger" / "audit.py").write_text("def audit_trail(ledger):\n    return 'quarterly audit'\n")
    with Index.open(idx.root) as other:
        other.build()


CHANGES = [
    # (case, how the index changes while a corpus is warm)
    ("Index.update on the same connection", _update_here),
    ("a build through another connection", _build_elsewhere),
]


@pytest.mark.parametrize("case, change", CHANGES, ids=[c[0] for c in CHANGES])
def test_the_corpus_follows_the_index(tmp_path, case: str, change) -> None:
    root = make_repo(tmp_path / "ledger", FILES)
    with Index.open(root) as idx:
        idx.build()
        warm = corpus(idx.conn)
        assert matched(warm.lexicon.scores(["quarterly"])) == {}
        assert corpus(idx.conn) is warm  # unchanged index: the same corpus
        change(idx)
        fresh = corpus(idx.conn)
        assert fresh is not warm
        assert matched(fresh.lexicon.scores(["quarterly"])) == fts5_scores(idx.conn, ["quarterly"]) != {}
        assert "ledger/audit.py" in fresh.paths


def test_commit_messages_score_as_fts5_does(tmp_path) -> None:
    """The same class scores the kept commit messages for the history signal."""
    root = make_repo(tmp_path / "ledger", FILES, git=True)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "Initial ledger"], check=True)
    for message in ("Fixed the balance report for closed accounts", "postEntry credits twice",
                    "Journal entries keep their order\n\nA common complaint about the journal."):
        (root / "ledger" / "report.py").write_text(f"# {message}\n")
        subprocess.run([*git, "commit", "-qam", message], check=True)
    with Index.open(root) as idx:
        idx.build()
        words = ["journal", "balance", "entry", "common", "missing"]
        expected = dict(idx.conn.execute(
            "SELECT rowid, -bm25(commits_fts) FROM commits_fts WHERE commits_fts MATCH ?",
            (" OR ".join(f'"{w}"' for w in words),)))
        assert len(expected) == 3
        assert matched(corpus(idx.conn).history.scores(words)) == expected


def test_an_index_without_history_has_no_history_lexicon(index: Index) -> None:
    assert corpus(index.conn).history is None


@pytest.mark.parametrize("case, words", QUERIES, ids=[q[0] for q in QUERIES])
def test_every_posting_read_at_once_scores_the_same(tmp_path, case: str, words: list[str]) -> None:
    """`load_all` (a long-lived process's preload) reads the postings a query would read word by word."""
    root = make_repo(tmp_path / "ledger", FILES)
    with Index.open(root) as idx:
        idx.build()
        per_word = matched(corpus(idx.conn).lexicon.scores(words))
    with Index.open(root) as idx:
        lexicon = corpus(idx.conn).lexicon
        lexicon.load_all()
        assert matched(lexicon.scores(words)) == per_word == fts5_scores(idx.conn, words)


ALL_OF = [
    # (case, words every chunk found must hold)
    ("two words", ["balance", "account"]),
    ("three words, one rare", ["credit", "balance", "amount"]),
    ("a word in no chunk", ["balance", "missing"]),
    ("split identifier words", ["post", "entry"]),
]


@pytest.mark.parametrize("case, words", ALL_OF, ids=[c[0] for c in ALL_OF])
def test_rows_with_all_words_are_fts5s_and_query(index: Index, case: str, words: list[str]) -> None:
    query = " AND ".join(f'"{w}"' for w in words)
    expected = [rowid for (rowid,) in index.conn.execute(
        "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?", (query,))]
    assert expected or "missing" in words, "the fixture should match something"
    assert corpus(index.conn).lexicon.rows_with_all(words).tolist() == expected


def test_the_whole_vocabulary_read_answers_for_words_it_lacks(index: Index) -> None:
    lexicon = corpus(index.conn).lexicon
    lexicon.stem_vocabulary()
    assert lexicon.df(["balance", "nowhere"]) == {"balance": dict(index.conn.execute(
        "SELECT term, doc FROM temp.chunks_fts_vocab WHERE term = 'balance'"))["balance"], "nowhere": 0}
