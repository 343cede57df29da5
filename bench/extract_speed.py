"""Extraction speed on a real tree, beside `ctags -R` on the same tree in the same run.

    python bench/extract_speed.py --mirrors /work/.mirror [--repo swe-bench/django__django] [--profile]

Extracts every file `language_for` knows (plus docs) on one core and prints files/s,
lines/s and CPU seconds next to ctags' wall time; the store's own figures (two
workers, SQLite writes) are in bench/RESULTS.md under issue 3.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--repo", default="swe-bench/django__django")
    parser.add_argument("--tree", type=Path, help="an already extracted tree (skips the export)")
    parser.add_argument("--language", help="only files of this language (e.g. python)")
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
        ctags_s = None
        if ctags:
            start = time.perf_counter()
            subprocess.run([ctags, "-R", "-f", os.path.join(tmp, "tags"), "."], cwd=root,
                           capture_output=True, check=False)
            ctags_s = time.perf_counter() - start
        profile = cProfile.Profile() if args.profile else None
        counts = {"symbols": 0, "references": 0, "imports": 0, "chunks": 0, "errors": 0}
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        for rel, data in files:
            facts = extract(rel, data)
            for key in counts:
                counts[key] += len(getattr(facts, key))
        if profile:
            profile.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    lines = sum(data.count(b"\n") for _, data in files)
    print(f"{args.repo}: {len(files)} files, {lines} lines, {sum(len(d) for _, d in files) / 1e6:.1f} MB")
    print(f"extract (1 core): {wall:.2f} s wall, {cpu:.2f} s CPU, {len(files) / wall:.0f} files/s, "
          f"{lines / wall:.0f} lines/s")
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if ctags_s is not None:
        print(f"ctags -R: {ctags_s:.2f} s wall; extract/ctags = {wall / ctags_s:.1f}x")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
