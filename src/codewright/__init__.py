"""codewright: a coding agent that understands a whole repository."""

__version__ = "0.1.0"
