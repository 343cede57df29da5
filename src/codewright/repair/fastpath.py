"""Regex fast paths for the members and items that need no repair.

Inside a broken document most members are still plain: `"key": "text",` or `name: 12,`.
One compiled regex takes such a member whole instead of five parser steps. Each
pattern accepts only text on which the step-by-step parser would reach the same value
(no escapes, no quote inside, a separator right after), so using it never changes a
result; anything else falls through to the general parser.
"""

from __future__ import annotations

import re

_STRING = r'"((?!```json)[^"\\\n]*)"|\'([^\'\\\n]*)\''
_NUMBER = r"(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![^\s,:{}\[\]\"'`])"
_LITERAL = r"(true|false|null|True|False|None)(?!\w)"
_SCALAR = f"(?:{_STRING}|{_NUMBER}|{_LITERAL})"
_KEY = r'(?:"([^"\\\n]*)"|\'([^\'\\\n]*)\'|([A-Za-z_$][\w$-]*))\s*:\s*'

MEMBER = re.compile(_KEY + _SCALAR + r"\s*(?=\}|,(?!\d))")
ITEM = re.compile(_SCALAR + r"\s*(?=[,\]])")
SEPARATOR = re.compile(r"\s*,\s*")
LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def scalar(m: re.Match, first: int) -> object:
    """The value of the _SCALAR groups starting at group `first`."""
    text, single, number, literal = m.group(first, first + 1, first + 2, first + 3)
    if text is not None:
        return text
    if single is not None:
        return single
    if number is not None:
        try:
            return float(number) if any(ch in number for ch in ".eE") else int(number)
        except ValueError:  # over Python's 4300 digits: kept as written, as the general parser keeps it
            return number
    return LITERALS[literal]


def key(m: re.Match) -> str:
    double, single, bare = m.group(1, 2, 3)
    return double if double is not None else single if single is not None else bare
