"""JSON repair speed: codewright.repair against json_repair 0.64.6, same run, same inputs.

    python bench/json_repair_bench.py [--seed 5] [--runs 3]

1. Throughput on a ~1 MB broken document (bench/gen_json_inputs.py, fixed seed): best
   of --runs for each parser, runs interleaved; also checks both give the same value.
2. A ~100 KB broken tool argument streamed in 100-byte chunks through StreamParser (a
   snapshot after every chunk, as live rendering does) against our one-shot parse of the
   whole text; for contrast, json_repair re-parsing the growing prefix at every chunk
   (timed on every 20th prefix and scaled by 20, or it would take minutes). Two forms:
   Python-literal style (the target input) and proper JSON that is only cut off, where
   our one-shot parse runs almost entirely in C (json's raw_decode and scanstring).
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import json_repair
from gen_json_inputs import document, tool_argument, tool_argument_json

from codewright.repair import StreamParser, loads

CHUNK = 100


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best_interleaved(fns: dict, runs: int) -> dict:
    best = {name: float("inf") for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            best[name] = min(best[name], _timed(fn))
    return best


def _stream(text: str) -> object:
    parser = StreamParser()
    for i in range(0, len(text), CHUNK):
        parser.feed(text[i : i + CHUNK])
    return parser.close()


def _json_repair_prefixes(text: str, every: int = 20) -> float:
    ends = range(CHUNK, len(text) + CHUNK, CHUNK)
    sampled = list(ends)[::every]
    return _timed(lambda: [json_repair.loads(text[:end]) for end in sampled]) * every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    doc = document(1_000_000, random.Random(args.seed))
    same_value = loads(doc) == json_repair.loads(doc)
    doc_times = _best_interleaved(
        {"ours": lambda: loads(doc), "json_repair": lambda: json_repair.loads(doc)}, args.runs
    )
    mb = len(doc) / 1e6

    summary = {
        "python": platform.python_version(),
        "document_bytes": len(doc),
        "document_same_value": same_value,
        "ours_mb_s": round(mb / doc_times["ours"], 2),
        "json_repair_mb_s": round(mb / doc_times["json_repair"], 2),
        "throughput_ratio": round(doc_times["json_repair"] / doc_times["ours"], 2),
    }
    print(f"1 MB broken document ({len(doc)} bytes), best of {args.runs}, same value: {same_value}")
    print(f"  codewright.repair  {summary['ours_mb_s']:7.2f} MB/s")
    print(f"  json_repair        {summary['json_repair_mb_s']:7.2f} MB/s")
    print(f"  ratio              {summary['throughput_ratio']:7.2f}x   (target >= 3x)")
    for name, make in (("python_literal", tool_argument), ("json_cut_off", tool_argument_json)):
        summary[name] = _streaming_case(make(100_000, random.Random(args.seed)), name, args.runs)
    print(json.dumps(summary))


def _streaming_case(arg: str, name: str, runs: int) -> dict:
    assert _stream(arg) == loads(arg)
    times = _best_interleaved({"one_shot": lambda: loads(arg), "streamed": lambda: _stream(arg)}, runs)
    peer = _json_repair_prefixes(arg)
    ratio = round(times["streamed"] / times["one_shot"], 2)
    chunks = -(-len(arg) // CHUNK)
    print(f"100 KB tool argument, {name} ({len(arg)} bytes) in {chunks} chunks of {CHUNK}")
    print(f"  our one-shot       {times['one_shot'] * 1e3:9.1f} ms")
    print(f"  our streaming      {times['streamed'] * 1e3:9.1f} ms   ({ratio}x one-shot, target <= 2x)")
    print(f"  json_repair, prefix re-parsed per chunk  ~{peer * 1e3:9.0f} ms (estimated)")
    return {
        "argument_bytes": len(arg),
        "chunks": chunks,
        "one_shot_s": round(times["one_shot"], 4),
        "streamed_s": round(times["streamed"], 4),
        "streamed_over_one_shot": ratio,
        "json_repair_reparse_prefixes_s_estimated": round(peer, 2),
    }


if __name__ == "__main__":
    main()
