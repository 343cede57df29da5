"""`python -m codewright` runs the CLI (tests use this so they need no installed script)."""

from codewright.cli.main import entry

entry()
