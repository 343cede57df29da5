"""What kind of file a path is (test, documentation, vendored, a migration): the signals that demote a file."""

from __future__ import annotations

import re
from functools import lru_cache

from codewright.graph.files import is_vendored

__all__ = ["KINDS", "file_kinds", "is_doc", "is_migration", "is_test", "is_vendored"]

KINDS = ("test", "doc", "vendored", "migration")

# Test code by the conventions of the indexed languages: test folders (Go's testdata, Jest's __tests__), pytest's
# test_*.py and conftest.py, Go's and C++'s *_test.go / *_test.cc / *_unittest.cc, JavaScript's and TypeScript's
# *.test.ts / *.spec.js.
_TEST = re.compile(r"(^|/)(tests?|testing|testdata|__tests__)(/|$)|(^|/)test_[^/]*$|(^|/)conftest\.py$"
                   r"|_(unit)?tests?\.(py|go|rs|c|cc|cpp|cxx|[cm]?[jt]sx?)$|\.(test|spec)\.[cm]?[jt]sx?$")
# Documentation, including sphinx-gallery's tutorials and galleries (scripts that show the library, not it).
_DOC = re.compile(r"(^|/)(docs?|doc_src|examples?|tutorials?|galler(y|ies)|benchmarks?)(/|$)|\.(rst|md|txt)$")
# Schema history written by a framework's migration command (Django's app/migrations/0001_initial.py, Alembic's
# alembic/versions/, Rails' db/migrate/): a fix changes the models, rarely a migration already released.
_MIGRATION = re.compile(r"(^|/)(migrations|migrate)/\d+_?\w*\.\w+$|(^|/)alembic/versions/[^/]+$")




def is_test(path: str) -> bool:
    return bool(_TEST.search(path))


def is_doc(path: str) -> bool:
    return bool(_DOC.search(path))


def is_migration(path: str) -> bool:
    return bool(_MIGRATION.search(path))


@lru_cache(maxsize=1 << 16)
def file_kinds(path: str) -> tuple[float, float, float, float]:
    """(test, doc, vendored, migration) as 0/1, in `KINDS` order."""
    return float(is_test(path)), float(is_doc(path)), float(is_vendored(path)), float(is_migration(path))
