"""Look-ahead over text that may still be arriving.

Every question the repair parser asks about text ahead of its position goes through
these helpers. When the answer lies beyond the text fed so far they raise `NeedMore`
(unless the input is final), so a streaming parse pauses exactly where the one-shot
parse would have looked further, and both reach the same decisions. `_find` caches
the next occurrence of each character, which keeps repeated look-aheads linear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

WS = re.compile(r"\s*")
UNQUOTED_KEY = re.compile(r"[^\s:,{}\[\]\"'/#`]+")
_HASH_COMMENT = re.compile(r"[^\n\r}\]]*")
QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u201d": "\u201d"}


class NeedMore(Exception):
    """A decision needs text that has not been fed yet."""


def ran_off_the_end(exc: json.JSONDecodeError, length: int) -> bool:
    """Whether json's decoder failed because the text of `length` stopped, not on a real error."""
    return exc.pos >= length - 8 or exc.msg.startswith("Unterminated")


class Lookahead:
    """Position, buffer and the look-ahead primitives shared by the parser's parts."""

    buf: str
    pos: int
    final: bool
    _budget: int
    _found: dict[str, tuple[int, int, int]]

    def _ch(self, i: int) -> str | None:
        if i < len(self.buf):
            return self.buf[i]
        if self.final:
            return None
        raise NeedMore

    def _ws(self, i: int) -> int:
        """Index of the first non-whitespace character at or after i (NeedMore if unknown)."""
        j = WS.match(self.buf, i).end()  # type: ignore[union-attr]
        if j >= len(self.buf) and not self.final:
            raise NeedMore
        return j

    def _next_char(self, i: int) -> str | None:
        return self._ch(self._ws(i))

    def _run(self, pattern: re.Pattern, margin: int = 1) -> re.Match | None:
        """Match at pos; the match is trusted only with `margin` characters of context after it."""
        m = pattern.match(self.buf, self.pos)
        if not self.final and (m is None or m.end() + margin > len(self.buf)):
            raise NeedMore
        return m

    def _c_decode(self, decode: Callable[[str], tuple], start: int) -> tuple | None:
        """Run a C decoder on text from `start`; None when the text there is not valid as it stands.

        The decoder gets a window that grows fourfold while it runs off the window's end,
        never the whole buffer: json's errors count the lines before their position, which
        on a large buffer would cost O(position) per attempt. A budget of eight times the text (set by the caller)
        bounds the total work however many attempts fail.
        """
        buf = self.buf
        width = 1024
        while self._budget > 0:
            piece = buf[start : start + width]
            self._budget -= len(piece)
            try:
                return decode(piece)
            except json.JSONDecodeError as exc:
                if not (start + width < len(buf) and ran_off_the_end(exc, len(piece))):
                    return None
                width *= 4
            except (ValueError, RecursionError):
                return None
        return None

    def _starts_with(self, i: int, prefix: str) -> bool:
        if not self.final and len(self.buf) < i + len(prefix) and prefix.startswith(self.buf[i:]):
            raise NeedMore
        return self.buf.startswith(prefix, i)

    def _find(self, sub: str, i: int) -> int:
        """Next index of `sub` at or after i, or -1; cached so repeated look-aheads stay linear."""
        cached = self._found.get(sub)
        start = i
        if cached is not None and cached[0] <= i:
            if cached[1] >= i:
                return cached[1]
            if cached[1] < 0:
                start = max(i, cached[2] - len(sub) + 1)
        r = self.buf.find(sub, start)
        if r < 0:
            self._found[sub] = (i, -1, len(self.buf))
            if not self.final:
                raise NeedMore
            return -1
        self._found[sub] = (i, r, r)
        return r

    def _key_at(self, q: int) -> bool:
        """Does the quote at q open a key, i.e. `"name"` followed by a colon?"""
        close = QUOTES.get(self.buf[q])
        if close is None:
            return False
        e = self._find(close, q + 1)
        return e >= 0 and self._next_char(e + 1) == ":"

    def _member_follows(self, i: int) -> bool:
        """After a comma at i-1 in an unquoted value: does the next object member start there?"""
        j = self._ws(i)
        c = self._ch(j)
        if c is None or c == "}":
            return True
        m = UNQUOTED_KEY.match(self.buf, j)
        if m and self._next_char(m.end()) == ":":
            return True
        q = self._find('"', i)
        return q >= 0 and self._key_at(q)

    def _skip_ws_comments(self) -> None:
        buf = self.buf
        while True:
            pos = self.pos = WS.match(buf, self.pos).end()  # type: ignore[union-attr]
            if pos >= len(buf):
                return
            c = buf[pos]
            if c == "#":
                end = _HASH_COMMENT.match(buf, pos).end()  # type: ignore[union-attr]
                if end >= len(buf) and not self.final:
                    raise NeedMore
                self.pos = end
            elif c == "/":
                c1 = self._ch(pos + 1)
                if c1 == "/":
                    end = self._find("\n", pos + 2)
                elif c1 == "*":
                    end = self._find("*/", pos + 2)
                    end = end + 2 if end >= 0 else -1
                else:
                    return
                self.pos = end if end >= 0 else len(buf)
            else:
                return
