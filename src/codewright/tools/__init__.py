"""codewright.tools: the agent's tools (files, search, graph lookups, commands, lint, tests, git),
permissions and the OS sandbox.

The agent uses `Toolbox(root, index=..., ledger=..., permissions=Permissions(mode, yes=...),
approve=callback)`, then `.specs()` and `.call(name, arguments) -> ToolResult`.
"""

from codewright.tools.permissions import MODES, ApprovalRequest, Decision, Permissions
from codewright.tools.result import ToolResult
from codewright.tools.sandbox import SandboxStatus, sandbox_status
from codewright.tools.toolbox import Toolbox

__all__ = ["MODES", "ApprovalRequest", "Decision", "Permissions", "SandboxStatus", "ToolResult", "Toolbox",
           "sandbox_status"]
