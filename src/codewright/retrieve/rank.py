"""Combine the signals into one ranking of files and one of functions, with reasons.

A score is a weighted sum of signal values; the weights come from leave-one-repository-
out fitting on the development instances (bench/fit_localize.py) and are the only
tuned numbers. A function's score also takes its file's rank, since a function is
rarely the change when its file is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codewright.retrieve.signals import Candidates, Features

# Fitted by `python bench/fit_localize.py FEATURES.jsonl` on all 298 SWE-bench Lite instances that can be
# materialised (12 repositories; out of fold, leaving one repository out: file Acc@5 80.9, function Acc@10
# 55.2); see docs/retrieval.md. Signals at 0 are left out.
FILE_WEIGHTS: dict[str, float] = {
    "lexical": 3.0,
    "path_mention": 3.0,
    "message": 1.5,
    "defines_mentioned": 1.0,
    "frame": 1.0,
    "calls_mentioned": 0.5,
    "module_mention": 0.5,
    "stem_mention": 0.5,
    "graph_neighbour": 0.25,
    "lexical_hits": 0.25,
    "stem_word": 0.25,
    "tested_by_mentioned": 0.25,
    "doc": -3.0,
    "test": -3.0,
    "vendored": -3.0,
}
FUNCTION_WEIGHTS: dict[str, float] = {
    "lexical_local": 4.0,
    "own_words": 3.0,
    "message": 2.0,
    "file": 1.5,
    "calls_mentioned": 1.0,
    "frame": 1.0,
    "lexical": 1.0,
    "name_words": 1.0,
    "qualified_mention": 1.0,
    "in_mentioned_class": 0.5,
    "name_mention": 0.25,
    "is_class": -1.0,
    "test": -3.0,
}


@dataclass
class Reason:
    signal: str
    detail: str
    weight: float  # this signal's contribution to the score

    def to_json(self) -> dict:
        return {"signal": self.signal, "detail": self.detail, "weight": round(self.weight, 4)}


@dataclass
class Evidence:
    """Each signal's contribution (weight x value), largest first, with the signals' details.

    The `Reason` objects are made only when asked for: a query ranks thousands of
    candidates and explains a few.
    """
    contributions: list[tuple[str, float]] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)

    def reasons(self) -> list[Reason]:
        return [Reason(signal, self.details.get(signal, signal), weight) for signal, weight in self.contributions]


@dataclass
class FileHit:
    path: str
    score: float
    evidence: Evidence = field(default_factory=Evidence, repr=False)

    @property
    def reasons(self) -> list[Reason]:
        return self.evidence.reasons()

    def to_json(self) -> dict:
        return {"path": self.path, "score": round(self.score, 4), "reasons": [r.to_json() for r in self.reasons]}


@dataclass
class FunctionHit:
    id: str
    path: str
    line: int
    score: float
    evidence: Evidence = field(default_factory=Evidence, repr=False)

    @property
    def reasons(self) -> list[Reason]:
        return self.evidence.reasons()

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "line": self.line, "score": round(self.score, 4),
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass
class Ranking:
    files: list[FileHit]
    functions: list[FunctionHit]

    def to_json(self) -> dict:
        return {"files": [f.to_json() for f in self.files], "functions": [f.to_json() for f in self.functions]}


def score(features: Features, weights: dict[str, float]) -> tuple[float, Evidence]:
    """The weighted sum of the signals, summed largest contribution first, and that evidence."""
    contributions = [(signal, weight * value) for signal, value in features.values.items()
                     if value and (weight := weights.get(signal))]
    contributions.sort(key=lambda c: -abs(c[1]))
    return sum(weight for _, weight in contributions), Evidence(contributions, features.details)


def rank_files(cands: Candidates, weights=FILE_WEIGHTS) -> list[FileHit]:
    files = [FileHit(path, *score(f, weights)) for path, f in cands.files.items()]
    files.sort(key=lambda h: (-h.score, h.path))
    return files


def rank_functions(cands: Candidates, files: list[FileHit], weights=FUNCTION_WEIGHTS) -> list[FunctionHit]:
    file_rank = {hit.path: i for i, hit in enumerate(files)}
    functions = []
    for sid, feats in cands.functions.items():
        path, line = cands.lines[sid]
        position = file_rank.get(path)
        if position is not None:
            feats.add("file", 1.0 / (1 + position), f"its file ranks {position + 1}")
        functions.append(FunctionHit(sid, path, line, *score(feats, weights)))
    functions.sort(key=lambda h: (-h.score, h.id))
    return functions
