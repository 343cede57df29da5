"""`codewright eval callgraph`: the resolver against PyCG's micro-benchmark.

Each case's files go into a temporary directory; every .py file is an entry point and
the directory is the package, as PyCG itself is run. A case is exact when its set of
caller -> callee edges equals the expected set; precision and recall count edges over
all cases. The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from codewright.errors import UsageError
from codewright.eval.jsonl import read_rows

DEFAULT_DATA = "eval-data/pycg_micro_benchmark.jsonl"
FIELDS = {"case": str, "files": dict, "expected_callgraph": dict}  # what each line needs ("category": optional)


def default_data_path() -> Path:
    """../shared/eval-data beside the repository (the checkout is the parent of src/)."""
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / DEFAULT_DATA


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callgraph", help="call-graph accuracy on PyCG's micro-benchmark")
    p.add_argument("--data", type=Path, default=None, help="the benchmark JSONL (default: ../shared/eval-data)")
    p.add_argument("--case", default=None, help="only cases whose name contains this text")
    p.add_argument("-v", "--verbose", action="store_true", help="print each inexact case's differences")
    p.set_defaults(func=run)


def edges(graph: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(caller, callee) for caller, callees in graph.items() for callee in callees}


def run_case(case: dict) -> set[tuple[str, str]]:
    from codewright.graph.pyresolve import analyze_package, pycg_callgraph

    with tempfile.TemporaryDirectory(prefix="cw-cg-") as tmp:
        root = Path(tmp)
        for rel, text in case["files"].items():
            f = root / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text, encoding="utf-8")
        entries = sorted(root.rglob("*.py"))
        return edges(pycg_callgraph(analyze_package(root, entries)))


def evaluate(rows: list[dict], verbose: bool = False, out=sys.stdout) -> dict:
    tp = fp = fn = exact = 0
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    inexact = []
    start = time.perf_counter()
    for case in rows:
        got = run_case(case)
        want = edges(case["expected_callgraph"])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        cat = per_cat[case.get("category") or case["case"].split("/")[0]]
        cat[1] += 1
        if got == want:
            exact += 1
            cat[0] += 1
        else:
            inexact.append(case["case"])
            if verbose:
                print(f"{case['case']}: extra {sorted(got - want)} missing {sorted(want - got)}", file=out)
    summary = {
        "cases": len(rows),
        "exact": exact,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
        "edges_expected": tp + fn,
        "edges_found": tp + fp,
        "per_category": {k: {"exact": v[0], "cases": v[1]} for k, v in sorted(per_cat.items())},
        "inexact": inexact,
        "seconds": round(time.perf_counter() - start, 2),
    }
    return summary


def load_rows(path: Path, case_filter: str | None) -> list[dict]:
    if not path.is_file():
        raise UsageError(f"benchmark data not found: {path} (pass --data)")
    rows = read_rows(path, FIELDS)
    chosen = [r for r in rows if case_filter is None or case_filter in r["case"]]
    if not chosen:
        raise UsageError(f"no case of {path} matches --case {case_filter!r}" if case_filter else f"{path} holds no case")
    return chosen


def run(args: argparse.Namespace) -> int:
    rows = load_rows(args.data or default_data_path(), args.case)
    s = evaluate(rows, verbose=args.verbose)
    print(f"exact cases     {s['exact']}/{s['cases']}")
    print(f"edge precision  {s['precision']:.3f}")
    print(f"edge recall     {s['recall']:.3f}")
    for cat, v in s["per_category"].items():
        print(f"  {cat:<14} {v['exact']}/{v['cases']}")
    print(json.dumps(s))
    return 0
