"""codewright.context: prompts laid out static-first, a token budget, compaction, the side-effect ledger.

Entry points: `scan_project(root)` for the project facts, `ContextEngine` to hold a session's
conversation and build each request, `Ledger` for side effects, `redact` / `is_secret_path`
to keep credentials away from models and stored sessions.
"""

from codewright.context.compaction import CompactionInfo, Summary
from codewright.context.engine import ContextEngine
from codewright.context.ledger import Ledger, LedgerEntry
from codewright.context.project import ProjectFacts, scan_project
from codewright.context.prompt import TOOL_CALL_FORMAT
from codewright.context.secrets import is_secret_path, redact, redact_json
from codewright.tokens import count_tokens, window_for

__all__ = [
    "TOOL_CALL_FORMAT",
    "CompactionInfo",
    "ContextEngine",
    "Ledger",
    "LedgerEntry",
    "ProjectFacts",
    "Summary",
    "count_tokens",
    "is_secret_path",
    "redact",
    "redact_json",
    "scan_project",
    "window_for",
]
