"""Combine the signals into one ranking of files and one of functions, with reasons.

A score is a weighted sum of signal values; the weights come from leave-one-repository-
out fitting on the development instances (bench/fit_localize.py) and are the only
tuned numbers. A function's score also takes its file's rank, since a function is
rarely the change when its file is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from codewright.retrieve.evidence import Evidence, Features
from codewright.retrieve.signals import Candidates

# Fitted by `python bench/fit_localize.py FEATURES.jsonl` on all 300 SWE-bench Lite instances (12
# repositories) on index format 9 with session 19's text handling: file weights by coordinate ascent on a grid,
# function weights by a listwise loss (hence not round). Out of fold, leaving one repository out, on session 20's
# code: file Acc@5 85.0, function Acc@10 61.6. The refits on formats 6, 7 and 9 and session 20's were not shipped
# (each lost on the held-out dev split or in tests); this one gained on the dev split (MRR 0.778 -> 0.840, Acc@5
# equal). See docs/retrieval.md and bench/RESULTS.md "Session 16" to "Session 20". Signals at 0 are left out.
FILE_WEIGHTS: dict[str, float] = {
    "title": 2.0,
    "frame": 1.5,
    "defines_mentioned": 1.0,
    "lexical": 1.0,
    "message": 1.0,
    "path_mention": 1.0,
    "stemmed": 1.0,
    "stem_mention": 0.8,
    "calls_mentioned": 0.5,
    "history": 0.5,
    "lexical_hits": 0.5,
    "stem_word": 0.5,
    "graph_neighbour": 0.25,
    "module_mention": 0.25,
    "pagerank": 0.25,
    "tested_by_mentioned": 0.25,
    "migration": -0.5,
    "doc": -3.0,
    "test": -3.0,
    "vendored": -3.0,
}
FUNCTION_WEIGHTS: dict[str, float] = {
    "title_local": 2.929,
    "lexical_local": 2.605,
    "size": 2.496,
    "own_words": 2.426,
    "frame": 2.063,
    "file": 2.056,
    "calls_mentioned": 1.06,
    "name_mention": 1.0,
    "qualified_mention": 1.0,
    "in_mentioned_class": 0.683,
    "name_words": 0.497,
    "stemmed": 0.415,
    "title": 0.412,
    "message": 0.192,
    "is_class": -1.433,
    "test": -15.522,
}

# What every function candidate has without evidence of its own: its file's rank, its length.
PRIORS = frozenset({"file", "size"})

# The title's BM25 signals and the task's they repeat when the title is the whole task (a one-line task): the
# same chunks' scores, which a reason would show twice ("title BM25 1.00 ...; BM25 1.00 ...").
EMPTY: Mapping[str, str] = MappingProxyType({})
TITLE_REPEATS: Mapping[str, str] = MappingProxyType({"title": "lexical", "title_local": "lexical_local"})


@dataclass
class Reason:
    signal: str
    detail: str
    weight: float  # this signal's contribution to the score

    def to_json(self) -> dict:
        return {"signal": self.signal, "detail": self.detail, "weight": round(self.weight, 4)}


def explain(features: Features, weights: dict[str, float], repeats: Mapping[str, str] = EMPTY) -> list[Reason]:
    """Each signal's contribution (weight x value), largest first, with the signal's detail; a signal that
    `repeats` another's evidence (`TITLE_REPEATS`) is told as that one, its contribution added to that one's
    (even one of weight 0), rather than showing the same evidence twice; the reasons' weights still add up.

    Made only when asked for: a query ranks thousands of candidates and explains a few.
    """
    contributions = {signal: weight * value for signal, value in features.values.items()
                     if value and (weight := weights.get(signal))}
    for signal, twin in repeats.items():
        if signal in contributions and twin in features.values:
            contributions[twin] = contributions.get(twin, 0.0) + contributions.pop(signal)
    ordered = sorted(contributions.items(), key=lambda c: -abs(c[1]))
    return [Reason(signal, features.detail(signal), weight) for signal, weight in ordered]


@dataclass(slots=True)
class FileHit:
    path: str
    score: float
    features: Features = field(default_factory=Features, repr=False)
    weights: dict[str, float] = field(default_factory=dict, repr=False)  # those that made the score
    repeats: Mapping[str, str] = field(default_factory=dict, repr=False)  # signals shown as another's (`explain`)

    @property
    def reasons(self) -> list[Reason]:
        return explain(self.features, self.weights, self.repeats)

    def to_json(self) -> dict:
        return {"path": self.path, "score": round(self.score, 4), "reasons": [r.to_json() for r in self.reasons]}


@dataclass(slots=True)
class FunctionHit:
    id: str
    path: str
    line: int
    score: float
    features: Features = field(default_factory=Features, repr=False)
    weights: dict[str, float] = field(default_factory=dict, repr=False)
    repeats: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def reasons(self) -> list[Reason]:
        return explain(self.features, self.weights, self.repeats)

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "line": self.line, "score": round(self.score, 4),
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass
class Ranking:
    files: list[FileHit]
    functions: list[FunctionHit]

    def to_json(self) -> dict:
        return {"files": [f.to_json() for f in self.files], "functions": [f.to_json() for f in self.functions]}


def scores(evidence: Evidence, rows: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """The weighted sum of the signals for these rows, the signals added in `weights` order."""
    total = np.zeros(len(rows))
    for signal, weight in weights.items():
        column = evidence.columns.get(signal)
        if column is not None and weight:
            total += weight * column[rows]
    return total


def ranked(evidence: Evidence, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' rows from the best score down (ties to the smaller key), with their scores."""
    rows = evidence.rows()
    total = scores(evidence, rows, weights)
    order = np.lexsort((evidence.order(rows), -total))
    return rows[order], total[order]


def rank(cands: Candidates, file_order: tuple[np.ndarray, np.ndarray], k: int | None = None,
         function_weights: dict[str, float] = FUNCTION_WEIGHTS, repeats: Mapping[str, str] = EMPTY) -> Ranking:
    """The top k files and functions (all of them for None), the files in `file_order` (`ranked` with
    FILE_WEIGHTS), their reasons told with `repeats` (`explain`). A function's `file` signal is its file's rank."""
    files, functions, symbols = cands.files, cands.functions, cands.symbols
    file_rows, file_scores = file_order
    place = np.full(files.size, -1)
    place[file_rows] = np.arange(len(file_rows))
    rows = functions.rows()
    found = place[symbols.file[rows]]
    ranked_file = found >= 0
    functions.add_many("file", rows[ranked_file], 1.0 / (1 + found[ranked_file]), "its file ranks {}",
                       lambda row, value: (round(1 / value),))
    function_rows, function_scores = ranked(functions, function_weights)
    return Ranking(
        [FileHit(files.name(row), score, Features(evidence=files, row=row), FILE_WEIGHTS, repeats)
         for row, score in zip(file_rows[:k].tolist(), file_scores[:k].tolist())],
        [FunctionHit(functions.name(row), files.keys.names[symbols.file[row]], int(symbols.line[row]), score,
                     Features(evidence=functions, row=row), function_weights, repeats)
         for row, score in zip(function_rows[:k].tolist(), function_scores[:k].tolist())])
