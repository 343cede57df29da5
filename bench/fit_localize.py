"""Fit `find`'s signal weights by leave-one-repository-out cross-validation.

Input: the candidates' signals written by
`codewright eval localize --dataset ... --mirrors ... --features FEATURES.jsonl`.
For each of the repositories, weights are fitted on the others (file weights by coordinate
ascent over a grid for file Acc@5 with MRR as tie-break, then function weights by a listwise
softmax loss, see `listwise`) and scored on the held-out one; the out-of-fold figures are the
headline. Finally weights fitted on every repository are printed, to be copied into
src/codewright/retrieve/rank.py.

    python bench/fit_localize.py FEATURES.jsonl
    python bench/fit_localize.py FEATURES.jsonl --held-fixed OTHER.jsonl   # a change's own effect, see `paired`
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

import numpy as np
from scipy.optimize import minimize

T = TypeVar("T")

# Where the ascent starts: every piece of evidence counts 1, kinds 0. A fixed start, not rank.py's
# weights: those were fitted on every repository and would leak into the folds. Evidence (a mention, a frame,
# BM25) may only lift a candidate; only the kinds of file (and `lexical_hits`) may take either sign. Without these
# constraints a signal that no training instance happens to need drifts to 0 or below, and a traceback or a
# mentioned method stops pointing at its code.
SIGNED = frozenset({"test", "doc", "vendored", "migration", "is_class", "lexical_hits"})
# A function named in the task is what a user asking "fix `Cart.checkout`" wants first, and the first thing
# a reader of find's results checks. SWE-bench's issues name the code they use as often as the code to
# change, so the listwise fit alone sets `name_mention` to 0; it is held at the weight every piece of
# evidence starts at. Out of fold that costs nothing (function Acc@10 62.3 either way, session 16). So is
# `qualified_mention` (`Class.method` as written): `name_mention` is divided by the name's definitions, so a
# named `QuerySet.filter` (django defines dozens of `filter`) ranked 12th with it at 0, and 3rd held at 1;
# out of fold the same either way (function Acc@10 61.2, session 25).
FLOORS = {"name_mention": 1.0, "qualified_mention": 1.0}


# The first version's hand-set weights (set before any fitting), a third start.
HAND = {"lexical": 1.0, "path_mention": 2.0, "frame": 1.5, "module_mention": 1.5, "defines_mentioned": 1.5,
        "stem_mention": 0.8, "stem_word": 0.3, "graph_neighbour": 0.2, "test": -1.5, "doc": -1.0, "vendored": -1.0,
        "file": 2.0, "lexical_local": 1.0, "name_mention": 1.5, "qualified_mention": 1.5}


def starts(signals: list[str]) -> list[np.ndarray]:
    """Three starts (the ascent is greedy): all evidence at 1, BM25 (with the file's rank for functions) ahead
    of the other evidence, and the hand-set weights; evidence never starts at 0 (see SIGNED)."""
    evidence = np.array([0.0 if s in SIGNED else 1.0 for s in signals])
    lexical = np.array([1.0 if s in ("lexical", "lexical_local", "file") else 0.0 if s in SIGNED else 0.25
                        for s in signals])
    hand = np.array([HAND.get(s, 0.0 if s in SIGNED else 0.25) for s in signals])
    return [evidence, lexical, hand]

GRID = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


class Instance:
    """One instance's candidates as matrices: rows are candidates, columns are signals."""

    def __init__(self, record: dict, file_signals: list[str], function_signals: list[str]) -> None:
        self.repo = record["repo"]
        paths = list(record["files"])
        self.paths = paths
        self.files = np.array([[record["files"][p].get(s, 0.0) for s in file_signals] for p in paths]).reshape(
            len(paths), len(file_signals))
        self.gold_files = [paths.index(g) if g in paths else -1 for g in record["gold_files"]]
        sids = list(record["functions"])
        self.function_file = [record["functions"][s][0] for s in sids]
        self.functions = np.array([[record["functions"][s][1].get(sig, 0.0) for sig in function_signals]
                                   for s in sids]).reshape(len(sids), len(function_signals))
        gold = record.get("gold_functions")
        self.gold_functions = None if not gold else [sids.index(g) if g in sids else -1 for g in gold]


MISSING = 10**6  # the rank of a gold candidate that is not among the candidates at all


class Stack:
    """Many instances' candidates stacked in one matrix, so that scoring them all is one matrix product.

    The ascent evaluates its objective thousands of times; with a Python loop and an argsort
    per instance a cross-validation took 13 minutes, this way 2. A gold candidate's rank is
    the one a stable descending sort gives it: the candidates of its instance that score
    higher, plus those that tie with it and come before it."""

    def __init__(self, blocks: list[np.ndarray], golds: list[list[int]]) -> None:
        self.matrix = np.vstack(blocks)
        starts = np.cumsum([0, *map(len, blocks)])
        slots = [(i, g) for i, gs in enumerate(golds) for g in gs]  # every gold; -1: not a candidate
        present = [k for k, (_, g) in enumerate(slots) if g >= 0]
        self.present = np.array(present, dtype=int)
        self.gold_rows = np.array([starts[slots[k][0]] + slots[k][1] for k in present], dtype=int)
        spans = [range(starts[slots[k][0]], starts[slots[k][0] + 1]) for k in present]
        self.rivals = np.array([r for span in spans for r in span], dtype=int)  # each gold's instance's rows
        self.owner = np.repeat(np.arange(len(spans)), [len(span) for span in spans])
        self.earlier = self.rivals < self.gold_rows[self.owner]
        self.segments = np.cumsum([0, *map(len, spans)])[:-1]
        self.n_slots = len(slots)
        self.instance_slots = np.cumsum([0, *map(len, golds)])[:-1]

    def gold_ranks(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each instance's worst and best gold rank (0-based) under weights `w`."""
        scores = self.matrix @ w
        rival, gold = scores[self.rivals], scores[self.gold_rows][self.owner]
        ahead = (rival > gold) | ((rival == gold) & self.earlier)
        ranks = np.full(self.n_slots, MISSING)
        if len(self.present):
            ranks[self.present] = np.add.reduceat(ahead, self.segments)
        return np.maximum.reduceat(ranks, self.instance_slots), np.minimum.reduceat(ranks, self.instance_slots)


def file_stack(insts: list[Instance]) -> Stack:
    return Stack([inst.files for inst in insts], [inst.gold_files for inst in insts])


def file_ranks(inst: Instance, w: np.ndarray) -> np.ndarray:
    """Every file candidate's rank (0-based, stable descending) under weights `w`."""
    order = np.argsort(-(inst.files @ w), kind="stable")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return rank


def file_metric(files: Stack, w: np.ndarray) -> tuple[float, float]:
    """File Acc@5 (every gold file in the top 5) and MRR (of the best-ranked gold file)."""
    worst, best = files.gold_ranks(w)
    return float(np.mean(worst < 5)), float(np.mean(np.where(best < MISSING, 1.0 / (best + 1), 0.0)))


def function_stack(insts: list[Instance], wf: np.ndarray, file_col: int) -> Stack | None:
    """The function candidates of the instances with gold functions, the `file` column filled from the file
    ranking under `wf`; None when no instance has gold functions."""
    blocks, golds = function_blocks(insts, wf, file_col)
    return Stack(blocks, golds) if blocks else None


def function_blocks(insts: list[Instance], wf: np.ndarray, file_col: int) -> tuple[list[np.ndarray], list[list[int]]]:
    """Per instance with gold functions: its function candidates' matrix (the `file` column from the file
    ranking under `wf`) and its gold rows."""
    blocks, golds = [], []
    for inst in insts:
        if not inst.gold_functions:
            continue
        rank = file_ranks(inst, wf)
        position = {p: rank[i] for i, p in enumerate(inst.paths)}
        feats = inst.functions.copy()
        feats[:, file_col] = [1.0 / (1 + position[p]) if p in position else 0.0 for p in inst.function_file]
        blocks.append(feats)
        golds.append(inst.gold_functions)
    return blocks, golds


def function_metric(functions: Stack | None, wfn: np.ndarray, k: int = 10) -> float:
    """Share of instances (with gold functions) whose every gold function is in the top k."""
    return float(np.mean(functions.gold_ranks(wfn)[0] < k)) if functions else 0.0


def best_ascent(objective, signals: list[str]) -> np.ndarray:
    """The best, on the training instances, of the ascents from each start."""
    return max((ascend(objective, w, signals) for w in starts(signals)), key=objective)


def ascend(objective, w: np.ndarray, signals: list[str], passes: int = 3) -> np.ndarray:
    best = objective(w)
    for _ in range(passes):
        improved = False
        for i in range(len(w)):
            for value in GRID if signals[i] in SIGNED else [v for v in GRID if v > 0]:
                trial = w.copy()
                trial[i] = value
                score = objective(trial)
                if score > best:
                    best, w, improved = score, trial, True
        if not improved:
            break
    return w


class Softmax:
    """The listwise loss of many instances' candidates: for each gold candidate, minus the log of its softmax
    share of its instance's scores (ListNet's top-one loss), averaged over the instances; with its gradient."""

    def __init__(self, blocks: list[np.ndarray], golds: list[list[int]]) -> None:
        kept = [(block, [g for g in gs if g >= 0]) for block, gs in zip(blocks, golds)]
        kept = [(block, gs) for block, gs in kept if gs]  # an instance with no gold candidate adds a constant
        self.matrix = np.vstack([block for block, _ in kept])
        sizes = [len(block) for block, _ in kept]
        self.starts = np.cumsum([0, *sizes])[:-1]
        self.instance = np.repeat(np.arange(len(kept)), sizes)
        self.gold_rows = np.array([start + g for start, (_, gs) in zip(self.starts, kept) for g in gs], dtype=int)
        self.golds = np.array([len(gs) for _, gs in kept], dtype=float)
        self.gold_sum = self.matrix[self.gold_rows].sum(0)

    def __call__(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        scores = self.matrix @ w
        top = np.maximum.reduceat(scores, self.starts)
        exp = np.exp(scores - top[self.instance])
        total = np.add.reduceat(exp, self.starts)
        n = len(self.starts)
        loss = (self.golds @ (top + np.log(total)) - scores[self.gold_rows].sum()) / n
        share = exp / total[self.instance] * self.golds[self.instance]
        return float(loss), (share @ self.matrix - self.gold_sum) / n


def listwise(blocks: list[np.ndarray], golds: list[list[int]], signals: list[str]) -> np.ndarray:
    """Function weights that minimise the softmax loss (L-BFGS-B; evidence bounded below at 0, see SIGNED, or at
    its FLOORS).

    Function Acc@10 counts an instance only when every gold function is in the top ten of about 1,500
    candidates; the ascent on that count moved a weight only when whole instances crossed the line and
    so fitted the training repositories' accidents (out of fold 60.5 against 65.5 in sample). The loss
    is smooth and convex and counts every gold candidate's distance to the top, with no
    hyperparameter: out of fold 62.3 on the same features (bench/RESULTS.md, session 16)."""
    start = starts(signals)[0]  # every piece of evidence at 1, kinds at 0
    if not blocks:
        return start
    bounds = [(None, None) if s in SIGNED else (FLOORS.get(s, 0.0), None) for s in signals]
    return minimize(Softmax(blocks, golds), start, jac=True, method="L-BFGS-B", bounds=bounds).x


def fit(insts: list[Instance], file_signals, function_signals):
    files = file_stack(insts)
    wf = best_ascent(lambda w: file_metric(files, w), file_signals)
    blocks, golds = function_blocks(insts, wf, function_signals.index("file"))
    wfn = listwise(blocks, golds, function_signals)
    return wf, wfn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features")
    parser.add_argument("--without", nargs="*", default=[], help="leave these signals out (ablation)")
    parser.add_argument("--ablation", action="store_true", help="out-of-fold figures without each signal in turn")
    parser.add_argument("--held-fixed", metavar="OTHER", help="score OTHER's features (the same instances, other "
                        "code) under the fold weights fitted on FEATURES, beside FEATURES' own")
    args = parser.parse_args()
    records = _records(args.features)
    if args.held_fixed:
        paired(records, _records(args.held_fixed))
        return
    file_signals = _file_signals(records)
    function_signals = sorted({s for r in records.values() for _, f in r["functions"].values() for s in f} | {"file"})
    if args.ablation:
        for signal in ["(none)", *sorted((set(file_signals) | set(function_signals)) - {"file"})]:
            print(f"without {signal:22s}", json.dumps(cross_validate(records, file_signals, function_signals,
                                                                     {signal}, quiet=True)), flush=True)
        return
    print(json.dumps(cross_validate(records, file_signals, function_signals, set(args.without))))
    file_signals = [s for s in file_signals if s not in args.without]
    function_signals = [s for s in function_signals if s not in args.without or s == "file"]
    insts = [Instance(r, file_signals, function_signals) for r in records.values()]
    wf, wfn = fit(insts, file_signals, function_signals)
    print("FILE_WEIGHTS =", json.dumps({s: float(v) for s, v in zip(file_signals, wf)}))
    print("FUNCTION_WEIGHTS =", json.dumps({s: round(float(v), 3) for s, v in zip(function_signals, wfn)}))


def _records(path: str) -> dict[str, dict]:
    records = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            records[record["instance_id"]] = record
    return records


def _file_signals(*feature_sets: dict) -> list[str]:
    """Every file signal any candidate of these feature sets has, sorted."""
    return sorted({s for records in feature_sets for r in records.values() for f in r["files"].values() for s in f})


def folds(items: list[T], repo_of: Callable[[T], str]) -> Iterator[tuple[str, list[T], list[T]]]:
    """Leave one repository out: each repository (in name order) with its items, held out, and every other
    repository's, to fit on."""
    by_repo = defaultdict(list)
    for item in items:
        by_repo[repo_of(item)].append(item)
    for repo, held in sorted(by_repo.items()):
        yield repo, held, [item for item in items if repo_of(item) != repo]


def paired(records: dict, other: dict) -> None:
    """Out-of-fold file Acc@5 of two feature sets under the same fold weights (fitted on `records`), with every
    instance whose held-out gold rank differs.

    The refit moves whole folds' weights when one instance changes, so two codes' headline figures differ by a
    few instances even when neither code's evidence ranks any gold file differently. Holding the fold weights
    fixed shows what a change of the signals itself does; run it both ways round (each set's weights)."""
    signals = _file_signals(records, other)
    ids = [k for k in records if k in other]
    mine = [Instance(records[k], signals, []) for k in ids]
    theirs = [Instance(other[k], signals, []) for k in ids]
    hits = [0, 0]
    for _, held, train in folds(list(range(len(ids))), lambda i: mine[i].repo):
        w = best_ascent(partial(file_metric, file_stack([mine[i] for i in train])), signals)
        ranks = [file_stack([insts[i] for i in held]).gold_ranks(w)[0] for insts in (mine, theirs)]
        for i, a, b in zip(held, *ranks):
            hits[0] += int(a < 5)
            hits[1] += int(b < 5)
            if a != b:
                print(f"{ids[i]:40s} gold rank {int(a) + 1} -> {int(b) + 1}", flush=True)
    print(json.dumps({"instances": len(ids), "file_acc@5_hits": hits[0], "other_file_acc@5_hits": hits[1]}))


def cross_validate(records: dict, file_signals: list[str], function_signals: list[str], without: set[str],
                   quiet: bool = False) -> dict:
    """Leave-one-repository-out: fit on the other repositories, score the held-out one; pooled figures."""
    file_signals = [s for s in file_signals if s not in without]
    function_signals = [s for s in function_signals if s not in without or s == "file"]
    insts = [Instance(r, file_signals, function_signals) for r in records.values()]
    file_col = function_signals.index("file")
    out_of_fold = {"file_acc@5": 0.0, "file_mrr": 0.0, "function_acc@10": 0.0, "function_n": 0}
    for repo, held, train in folds(insts, lambda inst: inst.repo):
        wf, wfn = fit(train, file_signals, function_signals)
        acc5, mrr = file_metric(file_stack(held), wf)
        n_fn = sum(1 for i in held if i.gold_functions)
        fn = function_metric(function_stack(held, wf, file_col), wfn)
        out_of_fold["file_acc@5"] += acc5 * len(held)
        out_of_fold["file_mrr"] += mrr * len(held)
        out_of_fold["function_acc@10"] += fn * n_fn
        out_of_fold["function_n"] += n_fn
        if not quiet:
            print(f"{repo:28s} n={len(held):3d}  file Acc@5 {100 * acc5:5.1f}  MRR {mrr:.3f}  function Acc@10 "
                  f"{100 * fn:5.1f} (n={n_fn})", flush=True)
    n = len(insts)
    return {
        "instances": n, "repositories": len({inst.repo for inst in insts}),
        "out_of_fold_file_acc@5": round(100 * out_of_fold["file_acc@5"] / n, 1),
        "out_of_fold_file_mrr": round(out_of_fold["file_mrr"] / n, 4),
        "out_of_fold_function_acc@10": round(100 * out_of_fold["function_acc@10"] / max(1, out_of_fold["function_n"]), 1),
    }


if __name__ == "__main__":
    main()
