#!/usr/bin/env bash
# Edit application (issue 5): the 898 resolving SWE-bench patches, clean and damaged by each kind
# in src/codewright/eval/damage.py (seed 5), applied by codewright, `git apply --recount -C1
# --ignore-whitespace` and GNU `patch -F3` in one run. Needs the 11 Lite repositories' mirrors
# (DIR/owner+name or DIR/swe-bench+owner__name) and GNU patch.
#
#   bench/edit_eval.sh /work/.mirror [JOBS]
#
# Per-patch results are cached in bench/out/edit_eval_cache.jsonl (delete it to start over); the
# summary goes to bench/out/edit_results.json and the table to standard output.
set -euo pipefail
MIRRORS=${1:?usage: bench/edit_eval.sh MIRRORS_DIR [JOBS]}
JOBS=${2:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$HERE/out"
codewright eval edits --mirrors "$MIRRORS" -j "$JOBS" --seed 5 --cache "$HERE/out/edit_eval_cache.jsonl" --json \
  > "$HERE/out/edit_results.json"
python3 -c "import json, sys; from codewright.eval.edits import format_table; \
print(format_table(json.load(open(sys.argv[1]))))" "$HERE/out/edit_results.json"
