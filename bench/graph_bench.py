"""Knowledge-graph benchmark (issue 3): codewright index vs `ctags -R` on django, side by side.

    python bench/graph_bench.py --mirrors /work/.mirror [--commit SHA] [--seed 0] [--json OUT]

Materialises django at a SWE-bench base commit as a git work tree (a shared clone of the
mirror, so it is the tree a user would index), then measures in one run:

- ctags -R wall time (median of 3, taken around the cold runs);
- cold `codewright index` through the CLI (process start included): wall, files/s,
  lines/s, peak RSS of the whole process tree (sampled), index size;
- a one-line edit in each of 20 .py files chosen with a fixed seed, plus
  django/db/models/query.py: re-index through `Index.update([path])` in a warm process,
  and through `codewright index` (a new process, whole-tree scan); median and worst;
- a no-change `codewright index` run; `codewright map --tokens 2048` on the warm index.

codewright's own modules are compiled to bytecode first, as installing a package does: with
PYTHONDONTWRITEBYTECODE set (these machines set it) an editable install would otherwise compile
them from source in every process, and the first `Index.update` of the warm process would time
the compiling of the modules it imports on first use, not the indexing.

Targets (ratios to the cold time, so machine noise mostly cancels) are printed beside
each figure. The machine is shared: run it when nothing else is busy.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DJANGO_COMMIT = "d26b2424437dabeeca94d7900b37d2df4410da0c"  # django__django-11099 (SWE-bench Lite)
EDIT_FILES = 20
HOT_FILE = "django/db/models/query.py"
CODEWRIGHT = [sys.executable, "-m", "codewright"]
LOAD: list[float] = []  # 1-minute load average when the run started
CPU_LOG: list[float] = []  # CPU seconds (user + system, all descendants) of each timed command


def find_mirror(mirrors: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for candidate in (mirrors / f"{owner}+{name}", mirrors / f"swe-bench+{owner}__{name}"):
        for git_dir in (candidate / "repo", candidate):
            if (git_dir / "HEAD").exists() or (git_dir / ".git").exists():
                return git_dir
    raise SystemExit(f"no mirror of {repo} under {mirrors} (looked for {owner}+{name}, swe-bench+{owner}__{name})")


def materialise(mirror: Path, commit: str, into: Path) -> Path:
    tree = into / "django"
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "checkout", "-q", commit], check=True)
    return tree


class PeakRSS:
    """Samples the summed RSS of a process and its descendants every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        found = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                found += [p for c in task.read_text().split() for p in self._tree(int(c))]
            except OSError:
                pass
        return found

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree(self.pid)))
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path, rss: bool = False) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (when asked) and stdout of one command; CPU seconds go to CPU_LOG."""
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRSS(proc.pid) if rss else None
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    CPU_LOG.append(children_cpu() - cpu)
    peak = sampler.stop() if sampler else 0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return wall, peak, out


def ctags(tree: Path) -> tuple[float, float]:
    out = tree.parent / "ctags.tags"
    wall, _, _ = timed(["ctags", "-R", "-f", str(out), "."], tree)
    out.unlink(missing_ok=True)
    return wall, CPU_LOG[-1]


def cold(tree: Path) -> tuple[float, int, dict, float]:
    shutil.rmtree(tree / ".codewright", ignore_errors=True)
    wall, peak, out = timed([*CODEWRIGHT, "index", "--json"], tree, rss=True)
    return wall, peak, json.loads(out), CPU_LOG[-1]


def edit_files(tree: Path, seed: int) -> list[str]:
    listed = subprocess.run(["git", "-C", str(tree), "ls-files", "*.py"], capture_output=True, text=True,
                            check=True).stdout.split()
    chosen = random.Random(seed).sample(sorted(p for p in listed if p != HOT_FILE), EDIT_FILES)
    return [*chosen, HOT_FILE]


def one_line_edit(path: Path) -> bytes:
    original = path.read_bytes()
    path.write_bytes(original + b"BENCH_EDIT = 1\n")
    return original


def incremental(tree: Path, files: list[str]) -> dict[str, dict[str, float]]:
    from codewright.graph.index import Index

    results: dict[str, dict[str, float]] = {}
    with Index.open(tree) as index:
        for rel in files:
            path = tree / rel
            original = one_line_edit(path)
            started, cpu = time.perf_counter(), time.process_time()
            stats = index.update([rel])
            api, api_cpu = time.perf_counter() - started, time.process_time() - cpu
            assert stats.parsed == 1, (rel, stats)
            path.write_bytes(original)
            index.update([rel])
            original = one_line_edit(path)
            cli, _, out = timed([*CODEWRIGHT, "index", "--json"], tree)
            assert json.loads(out)["parsed"] == 1, (rel, out)
            path.write_bytes(original)
            index.update([rel])
            results[rel] = {"api": api, "cli": cli, "api_cpu": api_cpu, "cli_cpu": CPU_LOG[-1]}
    return results


def run(mirrors: Path, commit: str, seed: int) -> dict:
    LOAD.append(os.getloadavg()[0])
    mirror = find_mirror(mirrors, "django/django")
    with tempfile.TemporaryDirectory(prefix="graph-bench-") as tmp:
        tree = materialise(mirror, commit, Path(tmp))
        ctags_runs = [ctags(tree)]
        cold_runs = []
        for _ in range(2):
            cold_runs.append(cold(tree))
            ctags_runs.append(ctags(tree))
        wall, peak, built, cold_cpu = min(cold_runs, key=lambda r: r[0])
        stats = json.loads(timed([*CODEWRIGHT, "stats", "--json"], tree)[2])
        files = edit_files(tree, seed)
        inc = incremental(tree, files)
        no_change = statistics.median(timed([*CODEWRIGHT, "index"], tree)[0] for _ in range(5))
        no_change_cpu = statistics.median(CPU_LOG[-5:])
        map_runs = [timed([*CODEWRIGHT, "map", "--tokens", "2048"], tree)[0] for _ in range(3)]
        map_cpu = statistics.median(CPU_LOG[-3:])
    sample = [inc[f] for f in files[:-1]]
    ctags_wall = statistics.median(r[0] for r in ctags_runs)
    ctags_cpu = statistics.median(r[1] for r in ctags_runs)
    figures = {
        "commit": commit,
        "cpus": os.cpu_count(),
        "ctags_s": ctags_wall,
        "cold_s": wall,
        "cold_runs_s": [r[0] for r in cold_runs],
        "cold_over_ctags": wall / ctags_wall,
        "ctags_cpu_s": ctags_cpu,
        "cold_cpu_s": cold_cpu,
        "load_before": LOAD[0],
        "load_after": os.getloadavg()[0],
        "files": built["files"],
        "lines": stats["lines"],
        "files_per_s": built["files"] / wall,
        "lines_per_s": stats["lines"] / wall,
        "peak_rss_mb": peak / 2**20,
        "index_mb": stats["index_bytes"] / 2**20,
        "phases": built["phases"],
        "symbols": stats["symbols"],
        "references": stats["references"],
        "references_resolved": stats["references_resolved"],
        "update_api_median_s": statistics.median(r["api"] for r in sample),
        "update_api_worst_s": max(r["api"] for r in sample),
        "update_api_query_py_s": inc[HOT_FILE]["api"],
        "update_cli_median_s": statistics.median(r["cli"] for r in sample),
        "update_cli_worst_s": max(r["cli"] for r in sample),
        "update_cli_query_py_s": inc[HOT_FILE]["cli"],
        "no_change_cli_s": no_change,
        "map_2048_s": statistics.median(map_runs),
        "cpu": {
            "update_api_median_s": statistics.median(r["api_cpu"] for r in sample),
            "update_api_query_py_s": inc[HOT_FILE]["api_cpu"],
            "update_cli_median_s": statistics.median(r["cli_cpu"] for r in sample),
            "update_cli_query_py_s": inc[HOT_FILE]["cli_cpu"],
            "no_change_cli_s": no_change_cpu,
            "map_2048_s": map_cpu,
        },
        "edited": files,
        "updates": inc,  # each edited file's timings, in the order they ran (the first pays first-use costs)
    }
    return figures


def report(f: dict) -> str:
    cold = f["cold_s"]

    def row(name: str, value: float, target: str, limit: float, cpu_key: str) -> str:
        ok = "met" if value <= limit else "MISSED"
        cpu = f["cpu"].get(cpu_key)
        by_cpu = f"; CPU {cpu:.3f} s = 1/{f['cold_cpu_s'] / cpu:.0f} of cold CPU" if cpu else ""
        return f"| {name} | {value:.3f} s | 1/{cold / value:.0f} of cold{by_cpu} | {target} | {ok} |"

    lines = [
        (f"django @ {f['commit'][:10]}: {f['files']} files indexed, {f['lines']:,} lines, {f['cpus']} CPUs,"
        f" load average {f['load_before']:.1f} at start, {f['load_after']:.1f} at end"),
        "",
        "| measure | figure | ratio | target | |",
        "| --- | --- | --- | --- | --- |",
        f"| ctags -R (median of 3) | {f['ctags_s']:.3f} s (CPU {f['ctags_cpu_s']:.2f} s) | | | |",
        (f"| cold `codewright index` (CLI, best of 2) | {cold:.3f} s (CPU {f['cold_cpu_s']:.2f} s) |"
        f" {f['cold_over_ctags']:.2f}x ctags | "
        f"<= 6x (3x stretch) | {'met' if f['cold_over_ctags'] <= 6 else 'MISSED'} |"),
        row("Index.update, one-line edit, median of 20", f["update_api_median_s"], "<= 1/50", cold / 50,
            "update_api_median_s"),
        row("Index.update, worst of the 20", f["update_api_worst_s"], "<= 1/50", cold / 50, ""),
        row(f"Index.update, {HOT_FILE}", f["update_api_query_py_s"], "<= 1/50", cold / 50, "update_api_query_py_s"),
        row("CLI after one-line edit, median of 20", f["update_cli_median_s"], "<= 1/10", cold / 10,
            "update_cli_median_s"),
        row("CLI after one-line edit, worst of the 20", f["update_cli_worst_s"], "<= 1/10", cold / 10, ""),
        row(f"CLI after one-line edit, {HOT_FILE}", f["update_cli_query_py_s"], "<= 1/10", cold / 10,
            "update_cli_query_py_s"),
        row("CLI, no change (median of 5)", f["no_change_cli_s"], "<= 1/10", cold / 10, "no_change_cli_s"),
        row("`codewright map --tokens 2048`, warm (median of 3)", f["map_2048_s"], "<= 1/5", cold / 5, "map_2048_s"),
        "",
        f"Cold: {f['files_per_s']:,.0f} files/s, {f['lines_per_s']:,.0f} lines/s, peak RSS {f['peak_rss_mb']:.0f} MiB"
        f" (all processes), index {f['index_mb']:.1f} MiB; {f['symbols']:,} symbols, {f['references']:,}"
        f" references ({f['references_resolved']:,} resolved). Phases (s): "
        + ", ".join(f"{k} {v}" for k, v in f["phases"].items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--commit", default=DJANGO_COMMIT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    import codewright

    compileall.compile_dir(Path(codewright.__file__).parent, quiet=1)
    figures = run(args.mirrors, args.commit, args.seed)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    print(report(figures))


if __name__ == "__main__":
    main()
