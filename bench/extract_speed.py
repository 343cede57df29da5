"""Extraction speed on a real tree, beside `ctags -R` on the same tree in the same run.

    python bench/extract_speed.py --mirrors /work/.mirror [--repo swe-bench/django__django] [--profile]

Extracts every file `language_for` knows (plus docs), on one core or `--workers N`
processes, and prints files/s, lines/s and CPU seconds next to ctags' wall time on the
same tree. Extraction only: the store's figures (SQLite writes included) are in
bench/RESULTS.md under issue 3.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codewright.graph.extract import extract, language_for
from codewright.graph.languages.docs import is_doc


def checkout(mirrors: Path, repo: str, dest: Path) -> Path:
    """Export HEAD of the mirror of `owner/name` (or an already extracted folder) into dest."""
    owner, name = repo.split("/")
    for candidate in (mirrors / f"{owner}+{name}", mirrors / f"swe-bench+{name}"):
        for git_dir in (candidate / "repo", candidate):
            if (git_dir / "HEAD").is_file():
                archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD"],
                                         check=True, capture_output=True).stdout
                subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
                return dest
    sys.exit(f"no mirror of {repo} under {mirrors}")


COUNTED = ("symbols", "references", "imports", "chunks", "errors")


def _count(item: tuple[str, bytes]) -> tuple[list[int], float]:
    """Extracts one file; returns how many of each fact it found and the CPU seconds it took."""
    start = time.process_time()
    facts = extract(*item)
    return [len(getattr(facts, key)) for key in COUNTED], time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--repo", default="swe-bench/django__django")
    parser.add_argument("--tree", type=Path, help="an already extracted tree (skips the export)")
    parser.add_argument("--language", help="only files of this language (e.g. python)")
    parser.add_argument("--workers", type=int, default=1, help="extract in this many processes (wall time)")
    parser.add_argument("--profile", action="store_true", help="print the top cProfile entries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.tree or checkout(args.mirrors, args.repo, Path(tmp))
        files = []
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                lang = language_for(rel)
                if (lang or is_doc(rel)) and (args.language is None or lang == args.language):
                    files.append((rel, Path(path).read_bytes()))
        ctags = shutil.which("ctags")
        ctags_s = ctags_cpu = None
        if ctags:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([ctags, "-R", "-f", os.path.join(tmp, "tags"), "."], cwd=root,
                           capture_output=True, check=False)
            ctags_s = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            ctags_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        profile = cProfile.Profile() if args.profile else None
        counts = dict.fromkeys(COUNTED, 0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        if args.workers > 1:
            with multiprocessing.get_context("fork").Pool(args.workers) as pool:
                results = pool.imap_unordered(_count, files, chunksize=16)
                cpu = 0.0
                for file_counts, file_cpu in results:
                    cpu += file_cpu
                    for key, value in zip(COUNTED, file_counts):
                        counts[key] += value
        else:
            for item in files:
                for key, value in zip(COUNTED, _count(item)[0]):
                    counts[key] += value
        if profile:
            profile.disable()
        wall = time.perf_counter() - wall0
        if args.workers <= 1:
            cpu = time.process_time() - cpu0
    lines = sum(data.count(b"\n") for _, data in files)
    print(f"{args.repo}: {len(files)} files, {lines} lines, {sum(len(d) for _, d in files) / 1e6:.1f} MB")
    print(f"extract ({args.workers} process{'es' if args.workers > 1 else ''}): {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU, {len(files) / wall:.0f} files/s, "
          f"{lines / wall:.0f} lines/s")
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if ctags_s is not None:
        print(f"ctags -R: {ctags_s:.2f} s wall, {ctags_cpu:.2f} s CPU; extract/ctags = {wall / ctags_s:.1f}x wall, "
              f"{cpu / ctags_cpu:.1f}x CPU (on a busy machine compare CPU)")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
