"""Model gateway benchmark (issue 4): availability under faults, overhead, one deployment down.

    python bench/gateway_bench.py [--requests 2000] [--concurrency 8] [--seed 4] [--json OUT]

Every model server runs in its own process (tests/support/model_server.py, OpenAI
protocol on 127.0.0.1), so the client under test does not share its interpreter with them.

1. availability: one alias over three deployments, each failing 30% of calls at random
   (a third each: 429 with Retry-After 0.1-1.0 s; 500/502/503; a 2 s hang against a 0.5 s
   read timeout); N requests at concurrency C, at most 3 attempts and a 10 s deadline each.
   Also run with 6 attempts: with independent 30% failures, 3 attempts cannot pass more
   than 1 - 0.3^3 = 97.3% of requests, whatever the router does.
2. overhead: the same request sent alternately by a bare httpx client and by the gateway
   to one healthy server, sequentially; median added latency as a share of the direct call,
   for a whole answer and for a streamed one (SSE lines parsed by both).
3. one deployment down hard: p99 through three healthy deployments against p99 through
   two of them plus a dead one (connection refused), once its breaker has opened; blocks
   of requests alternate between the two set-ups so machine noise hits both alike. Here the
   servers take 20 ms per answer, as a model would, so the figure is about routing rather
   than three Python servers competing for two cores.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from codewright.gateway import Gateway, GatewayError, Message, Request
from codewright.gateway.config import parse_config
from codewright.gateway.openai import to_payload

REQUEST = Request([Message("system", "You are a coding agent. Answer briefly."), Message("user", "Say hello.")])


# ---------------------------------------------------------------- server processes


def serve(seed: int, fail: float, delay: float) -> None:
    """Child process: one model server failing `fail` of calls at random; runs until stdin closes."""
    from tests.support.model_server import Fault, ModelServer, Turn

    rng, lock = random.Random(seed), threading.Lock()

    def reply(_rec: object) -> object:
        with lock:
            roll, pick = rng.random(), rng.random()
        if roll >= fail:
            return Turn("Hello! How can I help?", delay=delay)
        if pick < 1 / 3:
            return Fault.rate_limit(retry_after=round(0.1 + 0.9 * rng.random(), 1))
        if pick < 2 / 3:
            return Fault.server_error(rng.choice([500, 502, 503]))
        return Fault.hang(2.0)

    with ModelServer(reply) as srv:
        print(srv.port, flush=True)
        sys.stdin.read()


class Servers:
    def __init__(self, count: int, fail: float, seed: int, delay: float = 0.0) -> None:
        self.procs = [
            subprocess.Popen([sys.executable, __file__, "--serve", str(seed + i), str(fail), str(delay)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for i in range(count)
        ]
        self.urls = [f"http://127.0.0.1:{int(p.stdout.readline())}/v1" for p in self.procs]

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.stdin.close()
                p.kill()
                p.wait()


def gateway(urls: list[str], seed: int, **router: float) -> Gateway:
    deployments = [{"provider": "openai", "model": f"m{i}", "base_url": u, "name": f"d{i}"}
                   for i, u in enumerate(urls)]
    settings = {"max_attempts": 3, "total_timeout": 10.0, "read_timeout": 0.5, "connect_timeout": 0.5,
                "backoff_base": 0.05, "backoff_max": 1.0, **router}
    config = parse_config({"default_model": "main", "models": {"main": {"deployments": deployments}},
                           "router": settings})
    return Gateway(config, env={}, rng=random.Random(seed))


# ---------------------------------------------------------------- measurements


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(gw: Gateway, requests: int, concurrency: int) -> dict[str, float]:
    """Send `requests` at `concurrency`; success rate, attempts per request, latency percentiles."""
    latencies: list[float] = []
    attempts: list[int] = []
    failures = [0]
    reasons: dict[str, int] = {}
    lock = threading.Lock()

    def one(_: int) -> None:
        started = time.perf_counter()
        try:
            gw.complete(REQUEST)
        except GatewayError as exc:
            with lock:
                failures[0] += 1
                attempts.append(len(exc.attempts))
                why = str(exc).split(" (attempts")[0]
                reasons[why] = reasons.get(why, 0) + 1
            return
        with lock:
            latencies.append(time.perf_counter() - started)

    before = len(gw.session.calls)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    attempts += [c.attempts for c in gw.session.calls[before:]]
    return {
        "requests": requests,
        "success_rate": (requests - failures[0]) / requests,
        "attempts_per_request": statistics.mean(attempts),
        "p50_s": percentile(latencies, 0.50),
        "p99_s": percentile(latencies, 0.99),
        "wall_s": wall,
        "failures": reasons,
        "latencies": latencies,
    }


def availability(args: argparse.Namespace, attempts: int) -> dict[str, float]:
    servers = Servers(3, 0.30, args.seed)
    try:
        return load(gateway(servers.urls, args.seed, max_attempts=attempts), args.requests, args.concurrency)
    finally:
        servers.close()


def _direct_stream(client: object, url: str) -> None:
    """What a hand-written client does: POST, read the SSE lines, parse each event."""
    with client.stream("POST", url, json=to_payload(REQUEST, "m0", True)) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])


def _direct_complete(client: object, url: str) -> None:
    r = client.post(url, json=to_payload(REQUEST, "m0", False))
    r.raise_for_status()
    r.json()


def overhead(args: argparse.Namespace, stream: bool, rounds: int = 1500) -> dict[str, float]:
    import httpx

    servers = Servers(1, 0.0, args.seed)
    try:
        gw = gateway(servers.urls, args.seed)
        client = httpx.Client(verify=False)
        url = servers.urls[0] + "/chat/completions"
        plain = _direct_stream if stream else _direct_complete
        through_gateway = (lambda: list(gw.stream(REQUEST))) if stream else (lambda: gw.complete(REQUEST))
        direct, through = [], []
        for i in range(rounds + 200):
            t0 = time.perf_counter()
            plain(client, url)
            t1 = time.perf_counter()
            through_gateway()
            t2 = time.perf_counter()
            if i >= 200:  # warm-up excluded
                direct.append(t1 - t0)
                through.append(t2 - t1)
        d, g = statistics.median(direct), statistics.median(through)
        return {"rounds": rounds, "direct_median_ms": d * 1e3, "gateway_median_ms": g * 1e3,
                "added_ms": (g - d) * 1e3, "added_share": (g - d) / d}
    finally:
        servers.close()


def down_hard(args: argparse.Namespace, blocks: int = 10) -> dict[str, float]:
    """Two gateways over the same healthy servers, one with a dead third deployment instead of
    the live one; blocks of requests alternate between them so machine noise hits both alike."""
    from tests.support.model_server import closed_url

    servers = Servers(3, 0.0, args.seed, delay=0.02)  # a model takes time: 20 ms per answer
    try:
        healthy = gateway(servers.urls, args.seed, breaker_cooldown=30.0)
        down = gateway([closed_url(), *servers.urls[1:]], args.seed, breaker_cooldown=30.0)
        for gw in (healthy, down):
            load(gw, 200, args.concurrency)  # warm connections
        while down.router.slots("main")[0].breaker.state != "open":
            down.complete(REQUEST)
        size = args.requests // (2 * blocks)
        runs: dict[str, list[dict]] = {"healthy": [], "down": []}
        for _ in range(blocks):
            runs["healthy"].append(load(healthy, size, args.concurrency))
            runs["down"].append(load(down, size, args.concurrency))
        lat = {k: [x for r in v for x in r["latencies"]] for k, v in runs.items()}
        p99 = {k: percentile(v, 0.99) for k, v in lat.items()}
        return {"healthy_p99_s": p99["healthy"], "down_p99_s": p99["down"], "ratio": p99["down"] / p99["healthy"],
                "down_success_rate": statistics.mean(r["success_rate"] for r in runs["down"]),
                "down_attempts_per_request": statistics.mean(r["attempts_per_request"] for r in runs["down"])}
    finally:
        servers.close()


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=["availability", "overhead", "down_hard"])
    args = parser.parse_args()
    parts = {
        "availability_3_attempts": lambda: availability(args, 3),
        "availability_6_attempts": lambda: availability(args, 6),
        "overhead": lambda: overhead(args, stream=False),
        "overhead_stream": lambda: overhead(args, stream=True),
        "down_hard": lambda: down_hard(args),
    }
    results = {name: run() for name, run in parts.items() if not args.only or name.startswith(args.only)}
    for figures in results.values():
        figures.pop("latencies", None)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
