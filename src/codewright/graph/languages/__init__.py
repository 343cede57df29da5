"""Per-language extractors, each a module with `extract(path, src, module) -> FileFacts`.

`python` is written out in depth; the other languages share the query-driven engine in
`tags.py`, each module holding its tree-sitter query (.scm text) and a few hooks.
Modules are imported on first use so that `codewright --help` compiles no grammar.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Parser

EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp",
    ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".h++": "cpp", ".ipp": "cpp", ".inl": "cpp",
}

_MODULES = {"tsx": "typescript"}


def module_for(language: str) -> ModuleType:
    """The extractor module of a language returned by `EXTENSIONS`."""
    return importlib.import_module(f"{__name__}.{_MODULES.get(language, language)}")


def parser_for(language: str) -> Parser:
    """The tree-sitter parser the extractor of `language` parses with: python's own, or its tags.Spec's."""
    module = module_for(language)
    if hasattr(module, "PARSER"):
        return module.PARSER
    return (module.SPECS[language] if hasattr(module, "SPECS") else module.SPEC).parser
