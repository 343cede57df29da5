#!/usr/bin/env bash
# The one command that runs every test: installs codewright, its test tools and its local model, then pytest.
# pytest's exit 5 ("no tests collected") is a failure here, never a silent pass.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,local]'
# the real-model smoke test (tests/agent/test_local_model_smoke.py) needs the embedded model's weights:
# downloaded once (about 1.1 GB) into ~/.cache/codewright/models, checked by SHA-256, then reused
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
