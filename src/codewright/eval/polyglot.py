"""`codewright eval polyglot`: the Aider polyglot exercises (Python) with a real model, the way
aider's benchmark runs them.

Each exercise gets a fresh folder with the stub and its tests. Try 1: the agent gets the
instructions and may read and edit but not run commands (no test output). The harness
then runs the tests; if they fail, try 2 resumes the same session with the test output
("the tests are correct, fix the code"). Every exercise has a time cap. Results are
appended to a JSON Lines file as each exercise ends, so a rerun skips what is done.
Printed: per exercise pass/fail, tokens, cache hits and cost; then one JSON summary line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from codewright.cli.inputs import job_count, positive_int, positive_number
from codewright.cli.output import print_json

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "eval-data" / "aider_polyglot_python.jsonl"
TEST_OUTPUT_CHARS = 6000
FIELDS = {"exercise": str, "instructions": str, "solution_files": dict, "test_files": dict}
"""What each exercise line needs; `introduction` and `instructions_append` are optional."""

FIRST = """{instructions}

Use the above instructions to modify the supplied files: {files}
Don't change the names of existing functions or classes, as they may be referenced from other code like unit \
tests, etc.
Only use standard libraries, don't suggest installing any packages.
You cannot run the tests in this try: when your change is complete, call `finish`."""

SECOND = """{output}

See the testing errors above.
The tests are correct, don't try and change them.
Fix the code in {files} to resolve the errors, then call `finish`."""


@dataclass
class ExerciseResult:
    exercise: str
    passed_1: bool = False
    passed_2: bool = False
    tries: int = 0
    outcome: str = ""  # the agent's last outcome (done, limit, stuck, failed, error)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    session: str = ""
    error: str = ""
    machine: str = ""  # where it ran: a baseline taken in parts may span machines of different speeds


def machine() -> str:
    """The CPU's model name and core count (seconds per exercise mean little without them)."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass  # not Linux: platform's name stands
    return f"{name}, {os.cpu_count()} cores"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("polyglot", help="Aider polyglot exercises (Python) with a real model")
    parser.add_argument("--model", required=True, help="model alias or provider/name")
    parser.add_argument("--exercises", help="comma-separated exercise names (default: all 34)")
    parser.add_argument("-j", "--jobs", type=job_count, default=1, metavar="N",
                        help="exercises run at once, each in its own process")
    parser.add_argument("--data", default=str(DATA), help="the exercises (JSON Lines)")
    parser.add_argument("--workdir", default=".codewright/eval/polyglot", help="exercise folders and results")
    parser.add_argument("--results", help="results file (default: WORKDIR/results-MODEL.jsonl); reruns resume it")
    # a cap of 0 or less, or no step, ended every exercise at once as a failure the results file kept as its score
    parser.add_argument("--time-cap", type=positive_number, default=600.0, help="seconds per exercise (both tries)")
    parser.add_argument("--max-steps", type=positive_int, default=30, help="model calls per try")
    parser.add_argument("--json", action="store_true", help="print per-exercise results as JSON Lines too")
    parser.set_defaults(func=_main)


def load_exercises(path: Path, names: str | None = None) -> list[dict[str, Any]]:
    from codewright.errors import UsageError
    from codewright.eval.jsonl import read_rows

    if not path.is_file():
        raise UsageError(f"no exercises at {path} (--data)")
    rows = read_rows(path, FIELDS)
    if names is not None:
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        if not wanted:  # `--exercises "$UNSET"` ran all of them, `--exercises ,` none with exit 0
            raise UsageError(f"--exercises {names!r} names no exercise: give comma-separated names, "
                             "or leave it out for all")
        known = {r["exercise"] for r in rows}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UsageError(f"unknown exercise(s): {', '.join(unknown)}")
        rows = [r for r in rows if r["exercise"] in wanted]
    return rows


def write_exercise(row: dict[str, Any], folder: Path) -> None:
    """The stub and the tests, as the benchmark hands them to a model."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**row["solution_files"], **row["test_files"]}.items():
        (folder / name).write_text(text, encoding="utf-8")


def run_tests(row: dict[str, Any], folder: Path, timeout: float) -> tuple[bool, str]:
    tests = [name for name in row["test_files"] if name.endswith("_test.py")] or list(row["test_files"])
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
            cwd=folder, capture_output=True, text=True, timeout=max(timeout, 5), check=False,
            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # plain unittest files: no plugins needed
        )
    except subprocess.TimeoutExpired:
        return False, f"the tests did not finish in {timeout:.0f}s"
    output = done.stdout + done.stderr
    if len(output) > TEST_OUTPUT_CHARS:
        output = output[: TEST_OUTPUT_CHARS // 2] + "\n...\n" + output[-TEST_OUTPUT_CHARS // 2:]
    return done.returncode == 0, output


def instructions(row: dict[str, Any]) -> str:
    parts = [row.get("introduction"), row["instructions"], row.get("instructions_append")]
    return "\n\n".join(p.strip() for p in parts if p)


def run_exercise(row: dict[str, Any], folder: Path, model: str, cap: float, max_steps: int) -> ExerciseResult:
    from codewright.agent.loop import Limits
    from codewright.agent.runner import Options, open_agent
    from codewright.ui.jsonl import JsonLinesRenderer

    write_exercise(row, folder)
    files = " ".join(row["solution_files"])
    started = time.monotonic()
    result = ExerciseResult(row["exercise"], machine=machine())
    session, output = None, ""
    # The event log goes beside the exercise, not in it: in the folder the agent would see it change
    # after every step, index it and show it in its repository map.
    with folder.with_name(f"{folder.name}.events.jsonl").open("a", encoding="utf-8") as log:
        for attempt in (1, 2):
            left = cap - (time.monotonic() - started)
            if left <= 0:
                result.outcome = "limit"
                break
            limits = Limits(max_steps=max_steps, max_seconds=left)
            options = Options(model=model, mode="auto-edit", limits=limits, approve=lambda request: False,
                              commands=False)  # the harness runs the tests, as aider's benchmark does
            prompt = FIRST.format(instructions=instructions(row), files=files) if attempt == 1 else \
                SECOND.format(output=output, files=files)
            with open_agent(folder, options, [JsonLinesRenderer(log)], task=prompt, resume=session) as agent:
                outcome = agent.resume(prompt) if session else agent.run(prompt)
                session = agent.session
                totals = agent.totals
            result.tries, result.outcome, result.session = attempt, outcome.outcome, session
            result.input_tokens, result.output_tokens = totals.input_tokens, totals.output_tokens
            result.cache_read_tokens, result.cost = totals.cache_read_tokens, totals.cost
            passed, output = run_tests(row, folder, cap - (time.monotonic() - started))
            if passed:
                result.passed_2 = True
                result.passed_1 = attempt == 1
                break
    result.seconds = round(time.monotonic() - started, 2)
    return result


def summarise(model: str, results: list[ExerciseResult]) -> dict[str, Any]:
    n = len(results) or 1
    tokens_in = sum(r.input_tokens for r in results)
    cached = sum(r.cache_read_tokens for r in results)
    return {
        "eval": "polyglot",
        "model": model,
        "exercises": len(results),
        "pass_rate_1": round(sum(r.passed_1 for r in results) / n, 4),
        "pass_rate_2": round(sum(r.passed_2 for r in results) / n, 4),
        "input_tokens": tokens_in,
        "output_tokens": sum(r.output_tokens for r in results),
        "cache_read_tokens": cached,
        "cache_hit_rate": round(cached / tokens_in, 4) if tokens_in else 0.0,
        "cost": round(sum(r.cost for r in results), 6),
        "seconds": round(sum(r.seconds for r in results), 2),
        "errors": sum(1 for r in results if r.error),
        "machines": sorted({r.machine for r in results if r.machine}),
    }


def _load_results(path: Path) -> dict[str, ExerciseResult]:
    if not path.is_file():
        return {}
    done = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            done[data["exercise"]] = ExerciseResult(**data)
    return done


def _main(args: argparse.Namespace) -> int:
    rows = load_exercises(Path(args.data), args.exercises)
    workdir = Path(args.workdir).resolve()
    check_model(args.model, workdir)
    safe_model = args.model.replace("/", "_")
    results_path = Path(args.results) if args.results else workdir / f"results-{safe_model}.jsonl"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    done = _load_results(results_path)
    todo = [r for r in rows if r["exercise"] not in done]
    jobs = [(row, workdir / safe_model / row["exercise"], args.model, args.time_cap, args.max_steps) for row in todo]
    for result in _run_all(jobs, args.jobs):
        with results_path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(result)) + "\n")
        _print_result(result, args.json)
        done[result.exercise] = result
    results = [done[r["exercise"]] for r in rows if r["exercise"] in done]
    print(json.dumps(summarise(args.model, results)))
    return 0


def check_model(model: str, workdir: Path) -> None:
    """Refuse a model that no exercise could use (empty, unknown, its key not set) before anything is
    written: each exercise would fail alike, and the results file would keep the failures as its score."""
    from codewright.errors import UsageError
    from codewright.gateway.gateway import Gateway

    if not model.strip():
        raise UsageError("--model is empty: give a model alias or PROVIDER/NAME")
    gateway = Gateway.load(model=model, project_dir=workdir)  # the configuration the exercises will read
    try:
        gateway.check(model)
    finally:
        gateway.close()


def _run_all(jobs: list[tuple], workers: int):
    """Each exercise's result as it ends. With -j N they run in N processes, each with 1/N of the cores: an
    embedded model is one runtime per process, serving one request at a time, so threads would queue."""
    if workers == 1:
        yield from (_run_one(*job) for job in jobs)
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=share_cores, initargs=(workers,)) as pool:
        for future in as_completed([pool.submit(_run_one, *job) for job in jobs]):
            yield future.result()


def _run_one(row: dict[str, Any], folder: Path, model: str, cap: float, max_steps: int) -> ExerciseResult:
    try:
        return run_exercise(row, folder, model, cap, max_steps)
    except Exception as exc:  # noqa: BLE001 - one broken exercise must not end the eval
        return ExerciseResult(row["exercise"], outcome="error", error=f"{type(exc).__name__}: {exc}", machine=machine())


def share_cores(workers: int) -> None:
    """In an exercise process: an embedded model's default threads are at most this process's share."""
    from codewright.gateway.local import runtime

    runtime.CORE_SHARE = workers


def _print_result(r: ExerciseResult, as_json: bool) -> None:
    if as_json:
        print_json(asdict(r))
        sys.stdout.flush()  # one line as each exercise ends, for a reader following along
        return
    mark = "pass@1" if r.passed_1 else "pass@2" if r.passed_2 else "FAIL"
    extra = f" ({r.error})" if r.error else ""
    print(f"{r.exercise:28} {mark:7} {r.input_tokens:>8} in {r.cache_read_tokens:>8} cached "
          f"{r.output_tokens:>6} out ${r.cost:.4f} {r.seconds:6.1f}s{extra}", flush=True)
