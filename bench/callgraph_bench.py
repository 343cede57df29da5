"""Call graph at scale (issue 8): our resolver vs PyCG 0.0.8 on django's package and psf/requests.

For each tree, in one run: the time `ast.parse` alone takes on its files (the yardstick:
ours must finish within 20x of it), our call graph (in a child process, for its own peak
RSS), and PyCG on the same files (a child process capped at 10 minutes; its crash or
timeout is recorded as its outcome). Prints a Markdown table and a JSON line.

    python bench/callgraph_bench.py --mirrors /work/.mirror [--pycg-target DIR]

PyCG is installed with `pip install pycg==0.0.8 --target DIR` (never into our deps); its
wheel ships the package as `PyCG`, so a link named `pycg` is made beside it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREES = {
    # name: (repository, commit, package dir inside it)
    "django": ("django/django", "e7fd69d051eaa67cb17f172a39b57253e9cb831a", "django"),
    "requests": ("psf/requests", "36453b95b13079296776d11b09cab2567ea3e703", "requests"),  # psf__requests-3362
}
PYCG_CAP_S = 600
PYCG_MEMORY_CAP = 8 << 30  # bytes of address space


def find_mirror(mirrors: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for cand in (mirrors / f"{owner}+{name}", mirrors / f"swe-bench+{owner}__{name}"):
        for git_dir in (cand / "repo", cand):
            if (git_dir / "HEAD").is_file() or (git_dir / ".git").exists():
                return git_dir
    raise SystemExit(f"no mirror of {repo} under {mirrors}")


def export(git_dir: Path, commit: str, subdir: str, dest: Path) -> None:
    archive = subprocess.run(["git", "--git-dir", str(git_dir / ".git") if (git_dir / ".git").exists()
                              else str(git_dir), "archive", commit, subdir], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def package_files(root: Path, package: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / package).rglob("*.py")
                  if "tests" not in p.relative_to(root).parts)


def parse_time(root: Path, files: list[str]) -> tuple[float, int]:
    sources = [(root / f).read_bytes() for f in files]
    start = time.perf_counter()
    for src in sources:
        ast.parse(src)
    return time.perf_counter() - start, sum(s.count(b"\n") for s in sources)


def child_ours(root: Path, files: list[str]) -> dict:
    from codewright.graph.pyresolve import analyze_tree, pycg_callgraph

    start = time.perf_counter()
    prog = analyze_tree(root, files)
    graph = pycg_callgraph(prog)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "edges": sum(len(v) for v in graph.values()),
            "functions": len(graph), "complete": prog.complete, "saturated_nodes": prog.e.saturated,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def run_child(args: list[str], timeout: float) -> dict:
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"outcome": f"timed out after {timeout:.0f} s", "seconds": round(time.perf_counter() - start, 1)}
    seconds = round(time.perf_counter() - start, 2)
    if proc.returncode != 0:
        tail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return {"outcome": f"crashed: {tail[-1] if tail else proc.returncode}", "seconds": seconds}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("outcome", "ok")
    return out


def child_pycg(target: Path, root: Path, files: list[str], package: str) -> dict:
    # PyCG has grown past 20 GB here and met the OOM killer; on a shared machine, cap it instead
    resource.setrlimit(resource.RLIMIT_AS, (PYCG_MEMORY_CAP, PYCG_MEMORY_CAP))
    link_dir = Path(tempfile.mkdtemp(prefix="pycg-path-"))
    (link_dir / "pycg").symlink_to(target / "PyCG")
    sys.path[:0] = [str(link_dir), str(target)]
    from pycg import formats
    from pycg.pycg import CallGraphGenerator
    from pycg.utils.constants import CALL_GRAPH_OP

    start = time.perf_counter()
    cg = CallGraphGenerator([str(root / f) for f in files], str(root), -1, CALL_GRAPH_OP)
    cg.analyze()
    graph = formats.Simple(cg).generate()
    return {"seconds": round(time.perf_counter() - start, 2), "edges": sum(len(v) for v in graph.values()),
            "functions": len(graph), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--pycg-target", type=Path, default=None, help="pip --target dir holding pycg 0.0.8")
    ap.add_argument("--trees", nargs="*", default=list(TREES))
    ap.add_argument("--child", choices=["ours", "pycg"], help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--package", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        files = package_files(args.root, args.package)
        if args.child == "ours":
            result = child_ours(args.root, files)
        else:
            result = child_pycg(args.pycg_target, args.root, files, args.package)
        print(json.dumps(result))
        return 0
    results = {}
    with tempfile.TemporaryDirectory(prefix="cg-bench-") as tmp:
        for name in args.trees:
            repo, commit, package = TREES[name]
            root = Path(tmp) / name
            root.mkdir()
            export(find_mirror(args.mirrors, repo), commit, package, root)
            files = package_files(root, package)
            parse_s, lines = parse_time(root, files)
            me = [__file__, "--root", str(root), "--package", package]
            ours = run_child([*me, "--child", "ours"], timeout=3600)
            pycg = {"outcome": "not run (no --pycg-target)"}
            if args.pycg_target:
                pycg = run_child([*me, "--child", "pycg", "--pycg-target", str(args.pycg_target)], PYCG_CAP_S)
            results[name] = {"files": len(files), "lines": lines, "ast_parse_s": round(parse_s, 2),
                             "ours": ours, "pycg": pycg,
                             "ours_vs_parse": round(ours.get("seconds", 0) / parse_s, 1) if parse_s else None}
    print("| tree | files | lines | ast.parse s | ours s (x parse) | ours peak RSS MB | ours edges | PyCG |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        o, p = r["ours"], r["pycg"]
        pycg_text = p.get("outcome", "ok")
        if p.get("outcome") == "ok":
            pycg_text = f"{p['seconds']} s, {p['edges']} edges, {p['peak_rss_mb']} MB"
        elif "seconds" in p:
            pycg_text += f" ({p['seconds']} s)"
        print(f"| {name} | {r['files']} | {r['lines']} | {r['ast_parse_s']} | {o.get('seconds')} "
              f"({r['ours_vs_parse']}x) | {o.get('peak_rss_mb')} | {o.get('edges')} | {pycg_text} |")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
