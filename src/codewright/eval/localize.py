"""`codewright eval localize`: how often `find` ranks the files and functions a fix touched.

For each SWE-bench instance the repository is materialised at its base commit from a
local mirror, indexed (reusing the previous commit's index of the same repository, so
only changed files are parsed), and `find` runs on the problem statement alone (never
the hints). Indexes are cached per commit under the user's cache directory and results
are appended to a JSON Lines file, so a run resumes where it stopped. The plain BM25
baseline (whole files, tests left out, its index built per instance) runs in the same
harness with `--baseline`, for the side-by-side figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path

from codewright.cli.inputs import job_count
from codewright.errors import UsageError
from codewright.eval.jsonl import read_rows
from codewright.eval.mirrors import find_mirror, materialize
from codewright.eval.patch_gold import functions_changed

KS_FILE = (1, 3, 5, 10)
KS_FUNCTION = (5, 10)
FIELDS = {"instance_id": str, "repo": str, "base_commit": str, "problem_statement": str, "edited_files": list}
"""What each dataset line needs; `added_files`, `patch`, `created_at` and `expected_spans_moatless` are optional."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("localize", help="file and function localisation on SWE-bench instances")
    parser.add_argument("--dataset", type=Path, required=True, help="SWE-bench JSON Lines file")
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of git mirrors (owner+name)")
    parser.add_argument("-j", "--jobs", type=job_count, default=1, metavar="N",
                        help="repositories evaluated in parallel")
    parser.add_argument("--results", type=Path, help="JSON Lines results file (resumes from it)")
    parser.add_argument("--instances", nargs="*", help="only these instance ids (separated by spaces or commas)")
    parser.add_argument("--baseline", action="store_true", help="plain BM25 over whole files instead of find")
    parser.add_argument("--features", type=Path, help="also write every candidate's signals here (for fitting)")
    parser.add_argument("--reuse-indexes", action="store_true",
                        help="run find over the cached per-commit indexes as they are (no tree, no build); "
                             "instances without one are skipped: for fast reruns while tuning signals")
    parser.set_defaults(func=_run)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "codewright" / "localize"


def _run(args: argparse.Namespace) -> int:
    if not args.dataset.is_file():
        raise UsageError(f"no dataset at {args.dataset}")
    rows = read_rows(args.dataset, FIELDS)
    if args.instances:
        wanted = {i for item in args.instances for i in item.split(",") if i}
        unknown = sorted(wanted - {r["instance_id"] for r in rows})
        if unknown:
            raise UsageError(f"not in {args.dataset}: {', '.join(unknown)}")
        rows = [r for r in rows if r["instance_id"] in wanted]
    mode = "baseline" if args.baseline else "find"
    results_path = args.results or cache_dir() / f"results-{args.dataset.stem}-{mode}.jsonl"
    done = _load_results(results_path)
    todo = _with_mirrors(args.mirrors, [r for r in rows if r["instance_id"] not in done])
    groups: dict[str, list[dict]] = {}
    for row in sorted(todo, key=lambda r: (r["repo"], r.get("created_at", ""))):
        groups.setdefault(row["repo"], []).append(row)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.reuse_indexes:
        mode = "reuse"
    jobs = [(repo, group, str(args.mirrors), mode, str(args.features) if args.features else None, str(results_path))
            for repo, group in sorted(groups.items(), key=lambda g: -len(g[1]))]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(_evaluate_group, *zip(*jobs)))
    else:
        for job in jobs:
            _evaluate_group(*job)
    results = [r for r in _load_results(results_path).values() if r["instance_id"] in {x["instance_id"] for x in rows}]
    summary = summarise(results, "find" if mode == "reuse" else mode, time.perf_counter() - started)
    _print_summary(summary)
    return 0


def _with_mirrors(mirrors: Path, rows: list[dict]) -> list[dict]:
    """The rows whose repository has a mirror. Another repository's rows are left out, each repository named
    in one line; when none has one (most likely a wrong `--mirrors`), that is a usage error."""
    repos = sorted({r["repo"] for r in rows})
    missing: dict[str, UsageError] = {}
    for repo in repos:
        try:
            find_mirror(mirrors, repo)
        except UsageError as exc:
            missing[repo] = exc
    if missing and len(missing) == len(repos):
        raise next(iter(missing.values()))
    for repo, exc in missing.items():
        print(f"skipped {sum(r['repo'] == repo for r in rows)} instance(s): {exc}", file=sys.stderr)
    return [r for r in rows if r["repo"] not in missing]


def _load_results(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found[row["instance_id"]] = row
    return found


def _evaluate_group(repo: str, rows: list[dict], mirrors: str, mode: str, features: str | None, results: str) -> None:
    """Evaluate one repository's instances in commit order, each index seeded from the last.

    Each result is appended as soon as it is known, so a stopped run resumes at the next instance. An
    instance whose tree cannot be materialised is skipped with one line on stderr (a rerun tries it again)."""
    git_dir = find_mirror(Path(mirrors), repo)
    previous: Path | None = None
    if mode == "reuse" and rows:
        _read_ahead(_saved_index(rows[0]))
    for i, row in enumerate(rows):
        if mode == "reuse":
            if i + 1 < len(rows):
                _read_ahead(_saved_index(rows[i + 1]))  # while this one is scored
            result = _with_cached_index(row, features, git_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="codewright-localize-") as tmp:
                try:
                    tree = _materialize(git_dir, row, Path(tmp) / "tree")
                except UsageError as exc:  # e.g. a mirror without the commit: skip, say so
                    print(f"{row['instance_id']}: skipped: {exc}", file=sys.stderr, flush=True)
                    continue
                if mode == "baseline":
                    result = _baseline(tree, row)
                else:
                    result, previous = _with_find(tree, row, previous, features, git_dir)
        if result:
            _append_line(Path(results), result)


def _materialize(git_dir: Path, row: dict, dest: Path) -> Path:
    """The instance's tree; files the mirror lacks are left out and named, unless the fix edits one."""
    tree = materialize(git_dir, row["base_commit"], dest)
    if tree.absent:
        edited = sorted(set(tree.absent) & set(_gold_files(row)))
        if edited:
            raise UsageError(f"the mirror lacks the edited file(s) {', '.join(edited)}")
        shown = ", ".join(tree.absent[:3]) + (f" and {len(tree.absent) - 3} more" if len(tree.absent) > 3 else "")
        print(f"{row['instance_id']}: left out {len(tree.absent)} file(s) the mirror lacks: {shown}",
              file=sys.stderr, flush=True)
    return tree.path


def _with_find(tree: Path, row: dict, previous: Path | None, features: str | None, git_dir: Path) -> tuple[dict, Path]:
    from codewright.graph.index import Index

    saved = _saved_index(row)
    (tree / ".codewright").mkdir()
    seed = saved if saved.is_file() else previous
    if seed and seed.is_file():
        shutil.copyfile(seed, tree / ".codewright" / "index.db")
    started = time.perf_counter()
    with Index.open(tree) as index:
        index.build()
        _add_history(index.conn, git_dir, row["base_commit"])
        result = _locate_and_score(index.conn, row, features, time.perf_counter() - started)
    saved.parent.mkdir(parents=True, exist_ok=True)
    partial = saved.with_suffix(".partial")
    shutil.copyfile(tree / ".codewright" / "index.db", partial)
    partial.replace(saved)  # a reader never sees a half-copied index
    return result, saved


def _saved_index(row: dict) -> Path:
    return cache_dir() / "indexes" / row["repo"].replace("/", "+") / f"{row['base_commit']}.db"


def _add_history(conn: sqlite3.Connection, git_dir: Path, commit: str) -> None:
    """The materialised tree has no .git: its history comes from the mirror, up to the instance's commit."""
    from codewright.graph import history

    if history.stored_head(conn) != commit:
        history.store(conn, commit, history.read_commits(git_dir, commit))


def _with_cached_index(row: dict, features: str | None, git_dir: Path) -> dict | None:
    """find over the commit's cached index, read-only (once its history is stored); None when there is none.

    A cached index is only ever replaced whole (renamed into place), and SQLite's locks order
    the history's write against other readers, so a reader never sees half of either."""
    saved = _saved_index(row)
    if not saved.is_file():
        return None
    from codewright.graph import history

    with closing(sqlite3.connect(f"file:{saved}?mode=ro", uri=True)) as conn:
        stored = history.stored_head(conn)
    if stored != row["base_commit"]:  # cached before histories were kept, or read the old way
        with closing(sqlite3.connect(saved, isolation_level=None)) as conn:
            _add_history(conn, git_dir, row["base_commit"])
    with closing(sqlite3.connect(f"file:{saved}?mode=ro", uri=True)) as conn:
        return _locate_and_score(conn, row, features, index_seconds=0.0)


def _read_ahead(path: Path) -> None:
    """Read a cached index front to back in a background thread, so SQLite's page reads find it in memory.

    On a slow disk SQLite's scattered reads of a cold 100-300 MB index took 30-110 s an
    instance; one sequential read of it takes about 2 s, and overlaps the previous instance."""
    def read() -> None:
        block = bytearray(1 << 20)
        try:
            with path.open("rb", buffering=0) as data:
                while data.readinto(block):
                    pass
        except OSError:
            pass  # no index (yet): the instance is skipped or built as usual

    threading.Thread(target=read, daemon=True).start()


def _locate_and_score(conn: sqlite3.Connection, row: dict, features: str | None, index_seconds: float) -> dict:
    from codewright.retrieve.find import locate

    started = time.perf_counter()
    cands, ranking = locate(conn, row["problem_statement"])
    seconds = time.perf_counter() - started
    gold_functions = _gold_functions(conn, row)
    if features:
        _write_features(Path(features), row, cands, gold_functions)
    result = _score(row, [h.path for h in ranking.files], [h.id for h in ranking.functions], gold_functions)
    result.update(seconds=round(seconds, 3), index_seconds=round(index_seconds, 2))
    return result


def _gold_files(row: dict) -> list[str]:
    added = set(row.get("added_files") or [])
    return [f for f in row["edited_files"] if f not in added]


def _gold_functions(conn: sqlite3.Connection, row: dict) -> list[str] | None:
    """Gold span ids that name a function, method or class of the tree, as symbol ids; None if none do.

    A dataset without span lists (Lite's dev split, SWE-bench) has them derived from the patch instead."""
    if "expected_spans_moatless" not in row:
        return functions_changed(conn, row.get("patch") or "") or None
    ids = [f"{path}::{span}" for path, spans in (row.get("expected_spans_moatless") or {}).items() for span in spans]
    if not ids:
        return None
    marks = ",".join("?" * len(ids))
    known = {sid for (sid,) in conn.execute(
        f"SELECT sid FROM symbols WHERE sid IN ({marks}) AND kind IN ('function','method','class')", ids)}
    kept = [sid for sid in ids if sid in known]
    return kept or None


def _score(row: dict, files: list[str], functions: list[str], gold_functions: list[str] | None) -> dict:
    gold = _gold_files(row)
    result = {"instance_id": row["instance_id"], "repo": row["repo"], "gold_files": gold, "top_files": files[:10]}
    for k in KS_FILE:
        result[f"file_acc@{k}"] = all(g in files[:k] for g in gold)
    ranks = [files.index(g) + 1 for g in gold if g in files]
    result["file_rr"] = 1.0 / min(ranks) if ranks else 0.0
    if gold_functions:
        result["gold_functions"] = gold_functions
        result["function_gold"] = "spans" if "expected_spans_moatless" in row else "patch"
        result["top_functions"] = functions[:10]
        for k in KS_FUNCTION:
            result[f"function_acc@{k}"] = all(g in functions[:k] for g in gold_functions)
        result["function_recall@10"] = sum(g in functions[:10] for g in gold_functions) / len(gold_functions)
    return result


def _write_features(path: Path, row: dict, cands, gold_functions: list[str] | None) -> None:
    record = {
        "instance_id": row["instance_id"], "repo": row["repo"], "gold_files": _gold_files(row),
        "gold_functions": gold_functions,
        "files": {p: f.values for p, f in cands.files.items()},
        "functions": {sid: [cands.place(sid)[0], f.values] for sid, f in cands.functions.items()},
    }
    _append_line(path, record)


def _append_line(path: Path, record: dict) -> None:
    """One JSON line in one write(2) on an O_APPEND descriptor: parallel workers append to the same
    files, and a buffered file object would split a long line into several writes that can interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def _baseline(tree: Path, row: dict) -> dict:
    """Plain BM25 over whole non-test source files, its FTS index built for this instance (timed)."""
    from codewright.graph.store import fts_query
    from codewright.retrieve.kinds import is_test

    started = time.perf_counter()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, text)")
    for file in tree.rglob("*.py"):
        rel = file.relative_to(tree).as_posix()
        if not is_test(rel) and file.is_file():
            conn.execute("INSERT INTO docs VALUES (?, ?)", (rel, file.read_text(encoding="utf-8", errors="replace")))
    query = fts_query(row["problem_statement"])
    files = [p for (p,) in conn.execute(
        "SELECT path FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 50", (query,))] if query else []
    result = _score(row, files, [], None)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def summarise(results: list[dict], mode: str, wall: float) -> dict:
    n = len(results)
    with_functions = [r for r in results if "function_acc@10" in r]
    summary = {"mode": mode, "instances": n, "wall_seconds": round(wall, 1)}
    for k in KS_FILE:
        summary[f"file_acc@{k}"] = _pct(sum(r[f"file_acc@{k}"] for r in results), n)
    summary["file_mrr"] = round(sum(r["file_rr"] for r in results) / n, 4) if n else 0.0
    summary["function_instances"] = len(with_functions)
    summary["function_left_out"] = n - len(with_functions)
    summary["function_gold_from_patch"] = sum(r.get("function_gold") == "patch" for r in with_functions)
    for k in KS_FUNCTION:
        summary[f"function_acc@{k}"] = _pct(sum(r[f"function_acc@{k}"] for r in with_functions), len(with_functions))
    summary["function_recall@10"] = (
        round(100 * sum(r["function_recall@10"] for r in with_functions) / len(with_functions), 1)
        if with_functions else 0.0
    )
    seconds = sorted(r["seconds"] for r in results)
    if seconds:
        summary["seconds_median"] = round(statistics.median(seconds), 3)
        summary["seconds_p95"] = seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))]
    return summary


def _pct(hits: int, n: int) -> float:
    return round(100.0 * hits / n, 1) if n else 0.0


def _print_summary(summary: dict) -> None:
    print(f"instances: {summary['instances']} ({summary['mode']})")
    print("file   " + "  ".join(f"Acc@{k} {summary[f'file_acc@{k}']:5.1f}" for k in KS_FILE)
          + f"  MRR {summary['file_mrr']:.3f}")
    print(f"function ({summary['function_instances']} instances, {summary['function_left_out']} left out with no "
          "function or class gold span)  " + "  ".join(f"Acc@{k} {summary[f'function_acc@{k}']:5.1f}" for k in KS_FUNCTION)
          + f"  Recall@10 {summary['function_recall@10']:5.1f}")
    if summary["function_gold_from_patch"]:
        print(f"  (the gold functions of {summary['function_gold_from_patch']} derived from the patch: the dataset "
              "lists no spans)")
    if "seconds_median" in summary:
        print(f"seconds per instance: median {summary['seconds_median']}, p95 {summary['seconds_p95']}")
    print(json.dumps(summary))
