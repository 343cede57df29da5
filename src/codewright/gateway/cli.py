"""`codewright models`: what is configured, and `models check`: does each deployment answer.

The local-model layer adds `models install` / `models remove` through
`codewright.gateway.local.cli.register(models_subparsers)` when that module exists.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from codewright.cli.inputs import folder, model_name, positive_number
from codewright.cli.output import print_json


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="list configured and installed models; `models check` probes them, "
                                           "`models install` / `remove` manage local weights")
    _common(models)
    models.set_defaults(func=_list)
    models_sub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    check = models_sub.add_parser("check", help="send a one-token request to each deployment")
    _common(check)
    check.add_argument("--timeout", type=positive_number, default=20.0, help="seconds per probe (default 20)")
    check.set_defaults(func=_check)
    from codewright.gateway.local import cli as local_cli

    local_cli.register(models_sub)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=model_name, help="an alias or PROVIDER/NAME to include (default: all configured)")
    parser.add_argument("--project", type=folder, default=None,
                        help="where the search for codewright.toml starts (default: the project the current "
                             "directory is in, as for run)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _config(args: argparse.Namespace) -> Any:
    """The configuration as `run` would read it from --project; a --project that is no directory is refused,
    since the search upwards from it would otherwise show some other folder's files (or none) as its own. The
    models a run may go to (fallbacks, the budget's downgrade) are aliases too, named PROVIDER/NAME or not."""
    from codewright.cli.project import tree
    from codewright.errors import UsageError
    from codewright.gateway.config import load_config
    from codewright.quoting import quoted

    if args.project is not None and not args.project.is_dir():
        raise UsageError(f"--project {quoted(args.project)}: not a directory")
    config = load_config(tree(args.project))  # run's default too: the project the current directory is in
    if args.model:
        config.default_model = args.model
    config.resolve(config.default_model)
    for alias in list(config.aliases.values()):
        for name in alias.fallbacks + alias.context_fallbacks:
            config.resolve(name)  # a PROVIDER/NAME fallback is no configured alias: neither listed nor probed
    if config.budget.downgrade_to:
        config.resolve(config.budget.downgrade_to)
    return config


def _aliases(config: Any, only: str | None) -> list[Any]:
    import os

    from codewright.gateway import prices

    out = []
    for alias in config.aliases.values():
        if only and alias.name != only:
            continue
        deployments = []
        for d in alias.deployments:
            price = prices.lookup(d.model, config.prices)
            deployments.append({
                "name": d.name, "provider": d.provider, "model": d.model, "base_url": d.url(os.environ),
                "api_key_env": d.key_env, "key_set": bool(d.key_env and os.environ.get(d.key_env)),
                "weight": d.weight, "max_concurrent": d.max_concurrent,
                "priced": price is not None or d.provider in prices.FREE_PROVIDERS,
            })
        out.append({"alias": alias.name, "strategy": alias.strategy, "fallbacks": alias.fallbacks,
                    "context_fallbacks": alias.context_fallbacks, "deployments": deployments})
    return out


def _installed() -> list[dict[str, Any]]:
    from codewright.gateway.local import catalog

    return [{"name": m.name, "path": str(m.path), "size": m.size} for m in catalog.installed()]


def _list(args: argparse.Namespace) -> int:
    config = _config(args)
    doc = {"default_model": config.default_model, "sources": [str(s) for s in config.sources],
           "aliases": _aliases(config, args.model), "local": _installed()}
    if args.json:
        print_json(doc, indent=2)
        return 0
    print(f"default model: {doc['default_model']}")
    for alias in doc["aliases"]:
        extra = f"  fallbacks: {', '.join(alias['fallbacks'])}" if alias["fallbacks"] else ""
        print(f"{alias['alias']} ({alias['strategy']}){extra}")
        for d in alias["deployments"]:
            key = "" if not d["api_key_env"] else f"  key {d['api_key_env']}: {'set' if d['key_set'] else 'NOT SET'}"
            print(f"  {d['name']}  {d['base_url'] or ''}{key}")
    for item in doc["local"]:
        print(f"local: {item['name']}")
    return 0


def _probe(config: Any, alias: Any, dep: Any, timeout: float) -> dict[str, Any]:
    import os

    from codewright.errors import UsageError
    from codewright.gateway.deadline import deadline_at
    from codewright.gateway.factory import build_provider
    from codewright.gateway.provider import ProviderError
    from codewright.gateway.types import Message, Request

    started = time.monotonic()
    result: dict[str, Any] = {"alias": alias.name, "deployment": dep.name, "ok": False, "latency_s": None,
                              "error": None, "error_kind": None}
    try:
        provider = build_provider(dep, config.router, os.environ)
        try:
            with deadline_at(started + timeout):
                provider.complete(Request([Message("user", "Reply with OK.")], max_tokens=1))
        finally:
            provider.close()
        result["ok"] = True
    except ProviderError as exc:
        result["error"], result["error_kind"] = str(exc), exc.kind
    except UsageError as exc:
        result["error"], result["error_kind"] = str(exc), "config"
    result["latency_s"] = round(time.monotonic() - started, 4)
    return result


def _check(args: argparse.Namespace) -> int:
    config = _config(args)
    aliases = [config.resolve(args.model)] if args.model else list(config.aliases.values())
    results = [_probe(config, a, d, args.timeout) for a in aliases for d in a.deployments]
    ok = all(r["ok"] for r in results)
    if args.json:
        print_json({"ok": ok, "results": results}, indent=2)
    else:
        for r in results:
            status = f"ok in {r['latency_s']:.2f}s" if r["ok"] else f"FAILED ({r['error_kind']}): {r['error']}"
            print(f"{r['alias']}  {r['deployment']}  {status}")
    return 0 if ok else 1
