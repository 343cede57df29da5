"""`codewright eval json`: JSON repair on json_repair's own cases and on JSONTestSuite.

Two sets from ../shared/eval-data (see SOURCE.md there):
- json_repair_py_cases.jsonl: json_repair's test assertions. The cases that take no
  options are the target (all must pass); those with options are reported apart.
  A case passes when our value equals the expected text parsed as JSON (or the text
  itself where it is not JSON, such as '').
- jsontestsuite.jsonl: every `accept` case must give json.loads's value both one-shot
  and through the streaming parser; we also report how the engine alone (without the
  json.loads fast path) does, and what the reject / implementation-defined cases become.

Every case is also streamed in random chunks (fixed seed) and must end equal to the
one-shot result.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
from collections import Counter
from pathlib import Path

from codewright.cli.output import print_json

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "eval-data"
REPAIR_CASES = "json_repair_py_cases.jsonl"
SUITE_CASES = "jsontestsuite.jsonl"
REPAIR_FIELDS = {"function": str, "input": str, "kwargs": dict}  # "expected" or "expected_object" besides
SUITE_FIELDS = {"path": str, "expectation": str, "content_b64": str}  # "content_utf8" too where it is text


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("json", help="JSON repair: json_repair's cases and JSONTestSuite")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the eval-data files")
    parser.add_argument("--seed", type=int, default=5, help="seed for the random chunk sizes")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    parser.set_defaults(func=_handle)


def _handle(args: argparse.Namespace) -> int:
    summary = run_suite(args.data, args.seed)
    if args.json:
        print_json(summary)
    else:
        _print_table(summary)
        print(json.dumps(summary))
    return 0 if summary["targets_met"] else 1


def _outcome(parse, text: str) -> tuple[str, object]:
    from codewright.repair import NoJSONFound, RepairError

    try:
        return "value", parse(text)
    except NoJSONFound:
        return "no_json", ""
    except RepairError as exc:
        return type(exc).__name__, None


def _streamed(text: str, rng: random.Random) -> tuple[str, object]:
    from codewright.repair.stream import StreamParser

    parser = StreamParser()
    i = 0
    while i < len(text):
        size = rng.randint(1, 16)
        parser.feed(text[i : i + size])
        i += size
    return _outcome(lambda _: parser.close(), text)


def _same(a: tuple[str, object], b: tuple[str, object]) -> bool:
    return a[0] == b[0] and json.dumps(a[1], sort_keys=True) == json.dumps(b[1], sort_keys=True)


def _load(path: Path, fields: dict[str, type]) -> list[dict]:
    from codewright.errors import UsageError
    from codewright.eval.jsonl import read_rows

    if not path.is_file():
        raise UsageError(f"missing {path} (pass --data DIR)")
    return read_rows(path, fields)


def _expected(case: dict) -> object:
    if "expected" not in case or case["kwargs"].get("return_objects"):
        return case.get("expected_object")
    try:
        return json.loads(case["expected"])
    except ValueError:
        return case["expected"]


def _repair_cases(rows: list[dict], rng: random.Random) -> dict:
    from codewright.repair import loads

    plain = {"cases": 0, "passed": 0, "streaming_equal": 0, "failed": []}
    with_options = {"cases": 0, "passed": 0}
    for index, case in enumerate(rows):
        kind, value = _outcome(loads, case["input"])
        passed = kind in ("value", "no_json") and json.dumps(value, sort_keys=True) == json.dumps(
            _expected(case), sort_keys=True
        )
        if case["kwargs"] or case["function"] != "repair_json":
            with_options["cases"] += 1
            with_options["passed"] += passed
            continue
        plain["cases"] += 1
        plain["passed"] += passed
        plain["streaming_equal"] += _same((kind, value), _streamed(case["input"], rng))
        if not passed:
            plain["failed"].append(index)
    return {"no_options": plain, "with_options": with_options}


def _suite_text(case: dict) -> str:
    if case.get("content_utf8") is not None:
        return case["content_utf8"]
    return base64.b64decode(case["content_b64"]).decode("utf-8", errors="replace")


def _suite_cases(rows: list[dict], rng: random.Random) -> dict:
    from codewright.repair import loads
    from codewright.repair.engine import Engine

    def engine_only(text: str) -> object:
        engine = Engine(final=True)
        engine.buf = text
        engine.run()
        return engine.result()

    report: dict[str, dict] = {}
    for case in rows:
        text = _suite_text(case)
        group = report.setdefault(
            case["expectation"], {"cases": 0, "streaming_equal": 0, "outcomes": Counter(), "failed": []}
        )
        group["cases"] += 1
        one_shot = _outcome(loads, text)
        streamed = _streamed(text, rng)
        group["streaming_equal"] += _same(one_shot, streamed)
        group["outcomes"][one_shot[0]] += 1
        if case["expectation"] == "accept":
            expected = ("value", json.loads(text))
            ok = _same(one_shot, expected) and _same(streamed, expected)
            group["one_shot_and_streaming_ok"] = group.get("one_shot_and_streaming_ok", 0) + ok
            engine_ok = _same(_outcome(engine_only, text), expected)
            group["engine_only_ok"] = group.get("engine_only_ok", 0) + engine_ok
            if not ok:
                group["failed"].append(case["path"])
    for group in report.values():
        group["outcomes"] = dict(group["outcomes"])
    return report


def run_suite(data: Path, seed: int = 5) -> dict:
    """Run both sets; the summary is what `--json` prints (schema in docs/cli.md)."""
    rng = random.Random(seed)
    repair_rows = _load(data / REPAIR_CASES, REPAIR_FIELDS)  # both read, and checked, before either runs
    suite_rows = _load(data / SUITE_CASES, SUITE_FIELDS)
    repair = _repair_cases(repair_rows, rng)
    suite = _suite_cases(suite_rows, rng)
    accept = suite.get("accept", {"cases": 0, "one_shot_and_streaming_ok": 0})
    plain = repair["no_options"]
    met = (
        plain["passed"] == plain["cases"]
        and plain["streaming_equal"] == plain["cases"]
        and accept["one_shot_and_streaming_ok"] == accept["cases"]
        and all(g["streaming_equal"] == g["cases"] for g in suite.values())
    )
    return {"eval": "json", "json_repair": repair, "jsontestsuite": suite, "targets_met": met}


def _print_table(summary: dict) -> None:
    from rich.table import Table

    from codewright.ui.stdout import PipeSafeConsole

    table = Table(title="codewright eval json")
    for column in ("set", "cases", "passed", "streaming = one-shot", "notes"):
        table.add_column(column)
    plain = summary["json_repair"]["no_options"]
    table.add_row(
        "json_repair, no options (target)",
        str(plain["cases"]),
        str(plain["passed"]),
        str(plain["streaming_equal"]),
        "failed: " + ", ".join(map(str, plain["failed"])) if plain["failed"] else "",
    )
    opts = summary["json_repair"]["with_options"]
    table.add_row("json_repair, with options", str(opts["cases"]), str(opts["passed"]), "", "options ignored")
    for name, group in summary["jsontestsuite"].items():
        passed = str(group.get("one_shot_and_streaming_ok", ""))
        notes = ", ".join(f"{k}: {v}" for k, v in sorted(group["outcomes"].items()))
        if "engine_only_ok" in group:
            notes += f"; engine alone: {group['engine_only_ok']}"
        table.add_row(
            f"JSONTestSuite {name}", str(group["cases"]), passed, str(group["streaming_equal"]), notes
        )
    PipeSafeConsole().print(table)  # rich's Console says exit 1 when its reader leaves: the check failed
