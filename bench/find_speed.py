"""How fast `find` answers on a warm django index, beside the plain BM25 baseline, in one run.

The find issue's speed gate: warm and in-process on an indexed django, the p95 latency of
`find` over the django instances' problem statements must be at most 1/10 of the time the
plain BM25 baseline of `codewright eval localize --baseline` needs per instance, its index
building included. Both run here on the same tree: django at the first SWE-bench Lite django
instance's base commit (materialised from the mirror), indexed by codewright first (not
timed), with its commit history from the mirror.

"Warm" is measured two ways, each over all the django problem statements: after one query
(each later query still reads the tables and postings it is the first to need), and after
`Corpus.preload` (what a long-lived process does once: every table and posting read, the
gate's figure). The CLI time (`codewright find`, process start and index check included) is
reported beside them.

    python bench/find_speed.py --mirrors /work/.mirror [--baseline-runs 5] [--cli-runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from codewright.eval.localize import _add_history, _baseline
from codewright.eval.mirrors import find_mirror, materialize
from codewright.graph.index import Index
from codewright.retrieve.corpus import corpus
from codewright.retrieve.find import find

DATASET = ROOT.parent / "shared" / "eval-data" / "swe_bench_lite_test.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=3)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dataset.read_text().splitlines() if line.strip()]
    django = [r for r in rows if r["repo"] == "django/django"]
    with tempfile.TemporaryDirectory() as tmp:
        git_dir = find_mirror(args.mirrors, "django/django")
        tree = materialize(git_dir, django[0]["base_commit"], Path(tmp) / "django").path
        # the baseline first, in a process that holds no corpus yet (a preloaded one is hundreds of megabytes)
        baseline = [_baseline(tree, row)["seconds"] for row in django[:args.baseline_runs]]
        started = time.perf_counter()
        index = Index.open(tree)
        index.build()
        build = time.perf_counter() - started
        _add_history(index.conn, git_dir, django[0]["base_commit"])  # the tree has no .git: as the evaluation does
        find(index, django[0]["problem_statement"])  # warm: caches, pages, the vocabulary table
        first_use = timed(index, django)
        started = time.perf_counter()
        corpus(index.conn).preload()
        preload = time.perf_counter() - started
        times = timed(index, django)
        index.close()
        cli = []
        for row in django[1:1 + args.cli_runs]:
            query = Path(tmp) / "task.txt"
            query.write_text(row["problem_statement"])
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "codewright", "find", "--query-file", str(query), "--repo",
                            str(tree), "--json"], check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
    p95, base = percentile(times, 0.95), statistics.median(baseline)
    print(json.dumps({
        "instances": len(times), "index_build_s": round(build, 1), "preload_s": round(preload, 2),
        "after_one_query_median_s": round(statistics.median(first_use), 4),
        "after_one_query_p95_s": round(percentile(first_use, 0.95), 4),
        "find_median_s": round(statistics.median(times), 4), "find_p95_s": round(p95, 4),
        "find_max_s": round(max(times), 4), "baseline_median_s": round(base, 3),
        "p95_over_baseline": round(p95 / base, 3), "target": 0.1,
        "cli_median_s": round(statistics.median(cli), 3) if cli else None,
    }))


def timed(index: Index, rows: list[dict]) -> list[float]:
    """Seconds `find` takes for each problem statement."""
    times = []
    for row in rows:
        started = time.perf_counter()
        find(index, row["problem_statement"])
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
