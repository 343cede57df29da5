"""`codewright eval edits`: real resolving patches, clean and damaged, applied by us and by peers.

For each patch in swe_bench_agent_resolving_patches.jsonl, the files it touches are read at the
instance's base commit straight from the mirror (`git cat-file --batch`, no checkout). The clean
patch applied by plain `git apply` is the reference; patches git cannot apply cleanly are listed
and left out. Each damage kind (codewright.eval.damage, fixed seed) then yields a variant that
codewright, `git apply --recount -C1 --ignore-whitespace` and GNU `patch -F3` each apply to a
fresh copy; an outcome is correct (identical to the reference), wrong (applied, but different)
or refused. Per-patch results go to a JSONL cache, so a run can be resumed, and -j runs patches
in parallel.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from codewright.cli.inputs import job_count, positive_int
from codewright.cli.output import print_json
from codewright.errors import UsageError
from codewright.eval.damage import KINDS, damage
from codewright.eval.jsonl import read_rows
from codewright.eval.mirrors import find_mirror

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "eval-data"
TASKS = "swe_bench_lite_test.jsonl"  # instance -> repository and base commit
PATCHES = "swe_bench_agent_resolving_patches.jsonl"
TASK_FIELDS = {"instance_id": str, "repo": str, "base_commit": str}
PATCH_FIELDS = {"instance_id": str, "submission": str, "patch": str}
TOOLS = ("codewright", "git", "patch")
PEER_COMMANDS = {
    "git": ["git", "apply", "--recount", "-C1", "--ignore-whitespace"],
    "patch": ["patch", "-p1", "-F3", "--batch", "--forward", "--no-backup-if-mismatch", "-r", "-", "-s", "-i"],
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("edits", help="apply resolving SWE-bench patches, clean and damaged, vs git and patch")
    parser.add_argument("--mirrors", type=Path, required=True, help="folder of repository mirrors")
    parser.add_argument("--data", type=Path, default=DATA, help="the eval-data folder")
    parser.add_argument("-j", "--jobs", type=job_count, default=1, metavar="N",
                        help="patches processed in parallel")
    parser.add_argument("--seed", type=int, default=5, help="seed of the damage generators")
    parser.add_argument("--limit", type=positive_int, metavar="N", help="only the first N patches")
    parser.add_argument("--cache", type=Path, help="JSONL of per-patch results; a rerun resumes from it")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    tools = tuple(dict.fromkeys(t for t in args.tools.split(",") if t))  # one run each: a name twice counted twice
    if not tools or set(tools) - set(TOOLS):
        raise UsageError(f"--tools {args.tools}: choose among {','.join(TOOLS)}")
    for tool in {"git", *tools} - {"codewright"}:
        if shutil.which(tool) is None:
            raise UsageError(f"`{tool}` is not installed; it is a peer in this evaluation")
    if not args.mirrors.is_dir():
        raise UsageError(f"--mirrors {args.mirrors}: not a folder")
    for name in (TASKS, PATCHES):
        if not (args.data / name).is_file():
            raise UsageError(f"missing {args.data / name} (pass --data DIR)")
    if args.cache and not args.cache.parent.is_dir():
        raise UsageError(f"--cache {args.cache}: the folder {args.cache.parent} does not exist")
    summary = run_all(args.data, args.mirrors, args.jobs, args.seed, args.limit, args.cache,
                      progress=None if args.json else sys.stderr, tools=tools)
    if args.json:
        print_json(summary, indent=1)
    else:
        print(format_table(summary))
    return 0


def format_table(summary: dict) -> str:
    """Markdown: per kind, each tool's correct share, wrong and refused counts."""
    lines = [(f"{summary['patches']} patches; {summary['clean']} apply cleanly with `git apply` at their base "
             f"commit ({len(summary['not_clean'])} do not). Cells: correct % (wrong / refused)."), "",
             "| damage | n | " + " | ".join(summary["tools"]) + " |", "|---|---:|" + "---:|" * len(summary["tools"])]
    for kind, row in summary["kinds"].items():
        cells = []
        for tool in summary["tools"]:
            t = row[tool]
            share = 100 * t["correct"] / row["n"] if row["n"] else 0.0
            cells.append(f"{share:.1f}% ({t['wrong']} / {t['refused']})")
        lines.append(f"| {kind} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def apply_with(tool: str, workdir: Path, patch_file: Path, text: str) -> tuple[bool, str]:
    """Apply with one tool in `workdir`: (applied, message)."""
    if tool == "codewright":
        from codewright.edit import EditError, apply_text

        try:
            apply_text(workdir, text)
        except EditError as exc:
            return False, str(exc)
        return True, ""
    proc = subprocess.run([*PEER_COMMANDS[tool], str(patch_file)], cwd=workdir, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    return proc.returncode == 0, (proc.stderr or proc.stdout)[-500:]


def materialise(workdir: Path, files: dict[str, bytes]) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for rel, data in files.items():
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def read_back(workdir: Path, paths: list[str]) -> dict[str, bytes | None]:
    return {rel: (workdir / rel).read_bytes() if (workdir / rel).is_file() else None for rel in paths}


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="cw-eval-edits-"))


def touched_paths(patch: str) -> list[str]:
    """Every old and new path a diff names (prefix a/ or b/ removed), in order."""
    found: list[str] = []
    for line in patch.split("\n"):
        if line.startswith(("--- ", "+++ ")):
            raw = line[4:].split("\t")[0].strip()
            if raw != "/dev/null":
                path = raw[2:] if raw.startswith(("a/", "b/")) else raw
                if path not in found:
                    found.append(path)
    return found


def read_at(mirror: Path, commit: str, paths: list[str]) -> dict[str, bytes]:
    """The files that exist at `commit`, read with one `git cat-file --batch`."""
    request = "".join(f"{commit}:{p}\n" for p in paths).encode()
    out = subprocess.run(["git", "-C", str(mirror), "cat-file", "--batch"], input=request,
                         capture_output=True, check=True).stdout
    files, pos = {}, 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        files[path] = out[pos:pos + size]
        pos += size + 1
    return files


def _tasks(data: Path, mirrors: Path, limit: int | None) -> list[dict]:
    base = {r["instance_id"]: (r["repo"], r["base_commit"]) for r in read_rows(data / TASKS, TASK_FIELDS)}
    rows = read_rows(data / PATCHES, PATCH_FIELDS)[:limit]  # only the mirrors these need must exist
    unknown = sorted({row["instance_id"] for row in rows} - set(base))
    if unknown:
        raise UsageError(f"{data / PATCHES}: instance(s) not in {data / TASKS}: {', '.join(unknown[:5])}")
    tasks = []
    for k, row in enumerate(rows):
        repo, commit = base[row["instance_id"]]
        tasks.append({"key": f"{k}:{row['instance_id']}:{row['submission']}", "patch": row["patch"],
                      "mirror": str(find_mirror(mirrors, repo)), "commit": commit})
    return tasks


def run_patch(task: dict, seed: int, tools: tuple[str, ...] = TOOLS) -> dict:
    """Every kind and tool on one patch; the outcomes as a JSON-ready record."""
    patch = task["patch"]
    paths = touched_paths(patch)
    files = read_at(Path(task["mirror"]), task["commit"], paths)
    root = scratch()
    try:
        work, patch_file = root / "work", root / "change.patch"
        materialise(work, files)
        patch_file.write_text(patch, encoding="utf-8")
        proc = subprocess.run(["git", "apply", str(patch_file)], cwd=work, capture_output=True, text=True,
                              check=False)
        record = {"key": task["key"], "seed": seed, "tools": list(tools), "clean": proc.returncode == 0,
                  "kinds": {}}
        if proc.returncode:
            record["why"] = proc.stderr.strip()[-300:]
            return record
        reference = read_back(work, paths)
        for kind in ("clean", *KINDS):
            text = patch if kind == "clean" else damage(kind, patch, seed, task["key"])
            if kind != "clean" and text == patch:
                continue
            patch_file.write_text(text, encoding="utf-8")
            outcomes = {}
            for tool in tools:
                materialise(work, files)
                applied, message = apply_with(tool, work, patch_file, text)
                after = read_back(work, paths)
                if applied:
                    outcomes[tool] = "correct" if after == reference else "wrong"
                else:
                    untouched = after == {p: files.get(p) for p in paths}
                    outcomes[tool] = "refused" if untouched or tool != "codewright" else "refused-but-changed"
                if tool == "codewright" and outcomes[tool] != "correct":
                    outcomes["message"] = message[:400]
            record["kinds"][kind] = outcomes
        return record
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_all(data: Path, mirrors: Path, jobs: int, seed: int, limit: int | None, cache: Path | None,
            progress=None, tools: tuple[str, ...] = TOOLS) -> dict:
    tasks = _tasks(data, mirrors, limit)
    done: dict[str, dict] = {}
    if cache and cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("seed") == seed and record.get("tools") == list(tools):
                done[record["key"]] = record
    todo = [t for t in tasks if t["key"] not in done]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for n, record in enumerate(pool.map(run_patch, todo, [seed] * len(todo), [tools] * len(todo), chunksize=4), 1):
            done[record["key"]] = record
            if cache:
                with open(cache, "a", encoding="utf-8") as sink:
                    sink.write(json.dumps(record) + "\n")
            if progress and n % 50 == 0:
                print(f"{n}/{len(todo)} patches", file=progress)
    return summarise([done[t["key"]] for t in tasks], seed, tools)


def summarise(records: list[dict], seed: int, tools: tuple[str, ...] = TOOLS) -> dict:
    kinds: dict[str, dict] = {}
    failures = []
    for record in records:
        for kind, outcomes in record["kinds"].items():
            row = kinds.setdefault(kind, {"n": 0, **{t: {"correct": 0, "wrong": 0, "refused": 0} for t in tools}})
            row["n"] += 1
            for tool in tools:
                row[tool][outcomes[tool].split("-")[0]] += 1
            if outcomes.get("codewright", "correct") != "correct":
                failures.append({"key": record["key"], "kind": kind, "outcome": outcomes["codewright"],
                                 "message": outcomes.get("message", "")})
    order = ("clean", *KINDS)
    return {"seed": seed, "tools": list(tools), "patches": len(records), "clean": sum(r["clean"] for r in records),
            "not_clean": [{"key": r["key"], "why": r.get("why", "")} for r in records if not r["clean"]],
            "kinds": {k: kinds[k] for k in order if k in kinds}, "codewright_failures": failures}
