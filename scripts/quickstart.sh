#!/usr/bin/env bash
# The README's first command: install codewright with its embedded local model and let it
# fix a real bug in a small example repository, offline once the model is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[local]' pytest
work=$(mktemp -d)/quickstart
cp -r examples/quickstart "$work"
git -C "$work" init -q
git -C "$work" add -A
git -C "$work" -c user.name=codewright -c user.email=quickstart@codewright.invalid commit -qm "example with a bug"
echo "Example repository: $work (test_add fails)"
cd "$work"
set +e
"$OLDPWD/.venv/bin/codewright" run "The test test_add in test_calc.py fails. Fix the bug in calc.py." --yes
status=$?
echo "--- the change codewright made:"
git --no-pager diff
echo "--- the tests now:"
"$OLDPWD/.venv/bin/python" -m pytest -q -p no:cacheprovider
tests=$?
[ "$status" -eq 0 ] && [ "$tests" -eq 0 ]
