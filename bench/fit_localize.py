"""Fit `find`'s signal weights by leave-one-repository-out cross-validation.

Input: the candidates' signals written by
`codewright eval localize --dataset ... --mirrors ... --features FEATURES.jsonl`.
For each of the repositories, weights are fitted on the others (coordinate ascent over
a grid, file weights for file Acc@5 with MRR as tie-break, then function weights for
function Acc@10) and scored on the held-out one; the out-of-fold figures are the
headline. Finally weights fitted on every repository are printed, to be copied into
src/codewright/retrieve/rank.py.

    python bench/fit_localize.py FEATURES.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, "src")
from codewright.retrieve.rank import FILE_WEIGHTS, FUNCTION_WEIGHTS  # noqa: E402

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


def file_ranks(inst: Instance, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = inst.files @ w if len(inst.paths) else np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return scores, rank


def file_metric(insts: list[Instance], w: np.ndarray) -> tuple[float, float]:
    acc5 = rr = 0.0
    for inst in insts:
        _, rank = file_ranks(inst, w)
        ranks = [rank[g] if g >= 0 else 10**6 for g in inst.gold_files]
        acc5 += max(ranks) < 5
        rr += 1.0 / (min(ranks) + 1) if min(ranks) < 10**6 else 0.0
    return acc5 / len(insts), rr / len(insts)


def function_matrices(insts: list[Instance], wf: np.ndarray, file_col: int) -> list[tuple[np.ndarray, list[int]]]:
    """Each instance's function signals with the `file` column filled from the file ranking under `wf`."""
    out = []
    for inst in insts:
        if not inst.gold_functions:
            continue
        _, rank = file_ranks(inst, wf)
        position = {p: rank[i] for i, p in enumerate(inst.paths)}
        feats = inst.functions.copy()
        feats[:, file_col] = [1.0 / (1 + position[p]) if p in position else 0.0 for p in inst.function_file]
        out.append((feats, inst.gold_functions))
    return out


def function_metric(matrices: list[tuple[np.ndarray, list[int]]], wfn: np.ndarray, k: int = 10) -> float:
    """Share of instances (with gold functions) whose every gold function is in the top k."""
    hits = 0
    for feats, gold in matrices:
        if min(gold) < 0:
            continue
        top = set(np.argsort(-(feats @ wfn), kind="stable")[:k])
        hits += all(g in top for g in gold)
    return hits / len(matrices) if matrices else 0.0


def ascend(objective, w: np.ndarray, passes: int = 3) -> np.ndarray:
    best = objective(w)
    for _ in range(passes):
        improved = False
        for i in range(len(w)):
            for value in GRID:
                trial = w.copy()
                trial[i] = value
                score = objective(trial)
                if score > best:
                    best, w, improved = score, trial, True
        if not improved:
            break
    return w


def fit(insts: list[Instance], file_signals, function_signals):
    wf = np.array([FILE_WEIGHTS.get(s, 0.0) for s in file_signals])
    wf = ascend(lambda w: tuple(file_metric(insts, w)), wf)
    file_col = function_signals.index("file")
    wfn = np.array([FUNCTION_WEIGHTS.get(s, 0.0) for s in function_signals])
    matrices = function_matrices(insts, wf, file_col)
    wfn = ascend(lambda w: function_metric(matrices, w), wfn)
    return wf, wfn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features")
    args = parser.parse_args()
    records = {}
    for line in open(args.features, encoding="utf-8"):
        record = json.loads(line)
        records[record["instance_id"]] = record
    file_signals = sorted({s for r in records.values() for f in r["files"].values() for s in f} | set(FILE_WEIGHTS))
    function_signals = sorted({s for r in records.values() for _, f in r["functions"].values() for s in f}
                              | set(FUNCTION_WEIGHTS) | {"file"})
    insts = [Instance(r, file_signals, function_signals) for r in records.values()]
    by_repo = defaultdict(list)
    for inst in insts:
        by_repo[inst.repo].append(inst)
    file_col = function_signals.index("file")
    out_of_fold = {"file_acc@5": 0.0, "file_mrr": 0.0, "function_acc@10": 0.0, "function_n": 0}
    for repo, held in sorted(by_repo.items()):
        train = [i for i in insts if i.repo != repo]
        wf, wfn = fit(train, file_signals, function_signals)
        acc5, mrr = file_metric(held, wf)
        n_fn = sum(1 for i in held if i.gold_functions)
        fn = function_metric(function_matrices(held, wf, file_col), wfn)
        out_of_fold["file_acc@5"] += acc5 * len(held)
        out_of_fold["file_mrr"] += mrr * len(held)
        out_of_fold["function_acc@10"] += fn * n_fn
        out_of_fold["function_n"] += n_fn
        print(f"{repo:28s} n={len(held):3d}  file Acc@5 {100 * acc5:5.1f}  MRR {mrr:.3f}  function Acc@10 "
              f"{100 * fn:5.1f} (n={n_fn})", flush=True)
    n = len(insts)
    print(json.dumps({
        "instances": n,
        "out_of_fold_file_acc@5": round(100 * out_of_fold["file_acc@5"] / n, 1),
        "out_of_fold_file_mrr": round(out_of_fold["file_mrr"] / n, 4),
        "out_of_fold_function_acc@10": round(100 * out_of_fold["function_acc@10"] / max(1, out_of_fold["function_n"]), 1),
    }))
    wf, wfn = fit(insts, file_signals, function_signals)
    print("FILE_WEIGHTS =", json.dumps({s: float(v) for s, v in zip(file_signals, wf)}))
    print("FUNCTION_WEIGHTS =", json.dumps({s: float(v) for s, v in zip(function_signals, wfn)}))


if __name__ == "__main__":
    main()
