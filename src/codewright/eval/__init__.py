"""Evaluations and benchmarks' harnesses: `codewright eval NAME` (json, edits, callgraph, localize, polyglot)."""
