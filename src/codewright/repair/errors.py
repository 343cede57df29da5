"""Errors of the repair layer: all are ValueErrors, so callers that already catch
json's errors keep working, and each says what went wrong in words a model can act on."""

from __future__ import annotations


class RepairError(ValueError):
    """The text could not be turned into a JSON value."""

    def for_model(self) -> str:
        """A short text to hand back to the model as the tool result."""
        return f"The tool arguments could not be read as JSON: {self}. Send them again as one JSON object."


class NoJSONFound(RepairError):
    """Nothing in the text starts a JSON object or array."""

    def __init__(self) -> None:
        super().__init__("no JSON object or array found in the text")


class TooDeep(RepairError):
    """Nesting beyond MAX_DEPTH: refused with a message instead of a RecursionError."""

    def __init__(self, depth: int, offset: int) -> None:
        super().__init__(f"JSON nested deeper than {depth} levels (at character {offset})")
        self.depth = depth
        self.offset = offset
