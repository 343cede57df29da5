"""Generate the broken-JSON inputs of bench/json_repair_bench.py (fixed seed, deterministic).

    python bench/gen_json_inputs.py OUTDIR [--seed 5]

Writes:
- document_1mb.json: about 1 MB of records as a model writes them when asked for a long
  JSON answer, every record damaged in one of the ways models damage JSON (the kinds are
  listed in DAMAGES), and the document cut off before its last bracket.
- tool_argument_100kb.json: one ~100 KB tool-call argument in the Python-literal style
  weaker models use (single quotes, True/None, trailing commas), cut off at the end the
  way a streamed call looks before its last chunk.
- tool_argument_json_100kb.json: the same argument as proper JSON, only cut off.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "parser",
    "token",
    "stream",
    "buffer",
    "model",
    "agent",
    "file",
    "path",
    "line",
    "column",
    "symbol",
    "index",
    "graph",
    "query",
    "retry",
    "fallback",
    "cache",
    "budget",
    "patch",
    "hunk",
    "commit",
    "branch",
    "test",
    "fixture",
]


def _sentence(rng: random.Random, n: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(n))
    if rng.random() < 0.3:
        text += ', "quoted", it said'
    return text.capitalize() + "."


def _record(rng: random.Random, i: int) -> dict:
    return {
        "id": i,
        "name": f"{rng.choice(WORDS)}_{i}",
        "path": f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}.py",
        "score": round(rng.random() * 100, 3),
        "active": rng.random() < 0.5,
        "owner": None,
        "tags": rng.sample(WORDS, 3),
        "span": {"start": rng.randint(1, 500), "end": rng.randint(501, 900)},
        "summary": _sentence(rng, rng.randint(8, 24)),
    }


def _unquote_keys(text: str) -> str:
    return text.replace('"name":', "name:").replace('"score":', "score:")


def _single_quotes(text: str) -> str:
    return text.replace('"', "'")


DAMAGES = {
    "missing comma": lambda t, r: t.replace(", ", " ", 1),
    "trailing comma": lambda t, r: t[:-1] + ",}",
    "single quotes": lambda t, r: _single_quotes(t),
    "unquoted keys": lambda t, r: _unquote_keys(t),
    "python literals": lambda t, r: (
        t.replace("true", "True").replace("false", "False").replace("null", "None")
    ),
    "comment": lambda t, r: t[:-1] + ", // reviewed\n}",
    "missing closing brace": lambda t, r: t[:-1],
    "unescaped inner quotes": lambda t, r: t.replace('\\"quoted\\"', '"quoted"'),
    "missing colon": lambda t, r: t.replace('"path": ', '"path" ', 1),
}


def document(size: int, rng: random.Random) -> str:
    parts: list[str] = []
    total, i = 0, 0
    damages = list(DAMAGES.values())
    while total < size:
        text = json.dumps(_record(rng, i))
        text = rng.choice(damages)(text, rng)
        parts.append(text)
        total += len(text) + 2
        i += 1
    return "[" + ",\n".join(parts)  # cut off: no closing bracket


def _edits(size: int, rng: random.Random) -> dict:
    edits: list[dict] = []
    while len(repr(edits)) < size:
        old = "\n".join(
            f"    {rng.choice(WORDS)} = {rng.choice(WORDS)}({rng.randint(0, 99)})" for _ in range(4)
        )
        edits.append({"old_string": old, "new_string": old.replace("(", "(x, "), "replace_all": False})
    return {"path": "src/codewright/repair/engine.py", "edits": edits, "dry_run": None}


def tool_argument(size: int, rng: random.Random) -> str:
    text = repr(_edits(size, rng))
    return text[:-3].replace("}", ",}")  # trailing commas, and the end not yet written


def tool_argument_json(size: int, rng: random.Random) -> str:
    return json.dumps(_edits(size, rng))[:-3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    (args.outdir / "document_1mb.json").write_text(document(1_000_000, random.Random(args.seed)))
    (args.outdir / "tool_argument_100kb.json").write_text(tool_argument(100_000, random.Random(args.seed)))
    (args.outdir / "tool_argument_json_100kb.json").write_text(
        tool_argument_json(100_000, random.Random(args.seed))
    )


if __name__ == "__main__":
    main()
