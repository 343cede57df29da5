#!/usr/bin/env bash
# The one command that runs every test: installs codewright with its local-model runtime and test tools
# into .venv, fetches the embedded model once (1.1 GB into ~/.cache/codewright; kept for later runs)
# for the real-model smoke test, then runs pytest.
# pytest's exit 5 ("no tests collected") is a failure here, never a silent pass.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,local]'
.venv/bin/codewright models install
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
