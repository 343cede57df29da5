"""Strings as models write them: the hard part of JSON repair.

A quote inside a string may close it or be a quotation the model forgot to escape; a
string may lack its closing quote, or both quotes. We decide from what follows the
quote, the way a reader would: a quote is a closing one when a separator, a closing
bracket, the end, or the next `"key":` follows it; otherwise it is text, and inner
quotes pair up (`"say "hi" now"`). Values without quotes run to the next separator that
starts another member. Every look-ahead is bounded by the next quote (found through the
engine's cache) so the scan stays linear.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import TYPE_CHECKING

from codewright.repair.lookahead import QUOTES, Lookahead, NeedMore

if TYPE_CHECKING:
    from codewright.repair.engine import Engine
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_CUT_HEX = re.compile(r"[0-9a-fA-F]{0,3}")  # what is left of `\uXXXX` when the text breaks off inside it
_CUT_ESCAPE = re.compile(r"(?:\\(?:u[0-9a-fA-F]{0,3})?)?")  # what is left of a low half cut off, if any
_CTX_SPECIAL = {"key": ":", "value": "}", "item": "]"}
_EMPTY_ENDS = {"key": (":",), "value": (",", "}"), "item": (",", "]")}
_RUNS = {
    (close, ctx): re.compile("[^" + re.escape(close + "\\" + special) + "]*")
    for close in set(QUOTES.values())
    for ctx, special in _CTX_SPECIAL.items()
}
# In double-quoted strings a run may also hold JSON's one-character escapes (not `\\`,
# whose runs before a quote need `_over_escaped`): scanstring decodes the run in C.
_RUNS.update(
    {
        ('"', ctx): re.compile(r'(?:[^"\\' + re.escape(special) + r']|\\["/bfnrt])*')
        for ctx, special in _CTX_SPECIAL.items()
    }
)
_VERDICTS = {"key": "_key_verdict", "value": "_value_verdict", "item": "_item_verdict"}
_UNQUOTED_RUNS = {"value": re.compile(r'[^,{}"]*'), "item": re.compile(r'[^,\]}"]*')}


class Str:
    """A quoted string being read. `inner`: an unescaped quotation is open inside it; `twice`: it has shown
    JSON escaped twice (an even run of backslashes before a quote inside it)."""

    __slots__ = ("close", "colon_at", "ctx", "doubled", "inner", "parts", "placed", "start", "twice")

    def __init__(self, ctx: str, close: str, start: int, doubled: bool = False) -> None:
        self.ctx = ctx
        self.close = close
        self.parts: list[str] = []
        self.inner = False
        self.doubled = doubled
        self.start = start
        self.colon_at = -1
        self.placed = False
        self.twice = False


class Unquoted:
    """A value the model wrote without quotes; `braces` counts `{` it opened as text."""

    __slots__ = ("braces", "ctx", "parts", "placed")

    def __init__(self, ctx: str) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.braces = 0
        self.placed = False


class StringScanner(Lookahead):
    """The string half of the engine (mixed into `Engine`, whose look-aheads it uses)."""

    def open_string(self: Engine, ctx: str) -> None:
        buf, pos = self.buf, self.pos
        close = QUOTES[buf[pos]]
        doubled = False
        if self._ch(pos + 1) == close:
            j = pos + 2
            if self._ch(j) == close:  # `""""`: a run of quotes says nothing
                while self._ch(j) == close:
                    j += 1
                self.pos = j
                self._deliver(ctx, "", False)
                return
            nxt = self._next_char(j)
            if nxt is None or nxt in _EMPTY_ENDS[ctx]:
                self.pos = j
                self._deliver(ctx, "", False)
                return
            doubled = True  # `""word""`: doubled quotes around the text
        start = pos + 2 if doubled else pos + 1
        if ctx == "value" and self._starts_with(start, "```json") and self._fenced_json(start, close):
            return
        fr = Str(ctx, close, start, doubled)
        self.pos = start
        if self.fast and close == '"' and not doubled:
            self._scan_in_c(fr)
        self.stack.append(fr)

    def _scan_in_c(self: Engine, fr: Str) -> None:
        """The common case at C speed: text up to the next quote, or json's scanstring."""
        buf, start = self.buf, fr.start
        q = self._find('"', start)
        if q < 0:
            return
        if buf.find("\\", start, q) < 0:
            self._scanned(fr, buf[start:q], q + 1)
            return
        scanned = self._c_decode(lambda piece: scanstring(piece, 0, False), start)
        if scanned is not None and buf.find('\\\\"', start, start + scanned[1]) < 0:
            self._scanned(fr, scanned[0], start + scanned[1])

    def _scanned(self: Engine, fr: Str, text: str, end: int) -> None:
        """The common case, read in C: only the closing quote at end-1 still needs a decision."""
        fr.parts.append(text)
        self.pos = end - 1
        if fr.ctx == "key":
            fr.colon_at = self.buf.find(":", fr.start, end - 1)

    def _fenced_json(self: Engine, start: int, close: str) -> bool:
        """`"```json {...}```"`: a model put a fenced JSON block where a value goes: use the value."""
        end = self._find("```", start + 7)
        if end < 0 or self._ch(end + 3) != close:
            return False
        try:
            value = json.loads(self.buf[start + 7 : end])
        except (ValueError, RecursionError):  # nested past what json.loads reads: the block is text
            return False
        self.pos = end + 4
        self._emit(value)
        return True

    def string_step(self: Engine, fr: Str) -> None:
        buf = self.buf
        end = _RUNS[fr.close, fr.ctx].match(buf, self.pos).end()  # type: ignore[union-attr]
        if end > self.pos:
            text = buf[self.pos : end]
            fr.parts.append(scanstring(text + '"', 0, False)[0] if "\\" in text else text)
            self.pos = end
        if end >= len(buf):
            if not self.final:
                raise NeedMore
            self._finish_open(fr)
            return
        c = buf[end]
        if c == "\\":
            self._escape(fr)
        elif c == fr.close:
            self._quote(fr)
        elif c == ":":
            if fr.colon_at < 0:
                fr.colon_at = end
            fr.parts.append(c)
            self.pos = end + 1
        elif self._find(fr.close, end + 1) < 0:  # `}` or `]` with no quote left: the string ends here
            self._finish_open(fr)
        else:
            fr.parts.append(c)
            self.pos = end + 1

    def _escape(self: Engine, fr: Str) -> None:
        pos = self.pos
        c1 = self._ch(pos + 1)
        if c1 == "\\" and self._over_escaped(fr):
            return
        if c1 is None:
            self.pos = pos + 1
        elif c1 in _SIMPLE_ESCAPES:
            fr.parts.append(_SIMPLE_ESCAPES[c1])
            self.pos = pos + 2
        elif c1 in QUOTES:
            fr.parts.append(c1)
            self.pos = pos + 2
        elif c1 == "u":
            self._unicode_escape(fr)
        else:  # `\l`: not an escape, keep the backslash as text
            fr.parts.append("\\")
            self.pos = pos + 1

    def _over_escaped(self: Engine, fr: Str) -> bool:
        """A run of two or more backslashes, read whole (pair by pair, each pair rescanned the rest of the run).

        Before a quote: an even run before a quote that ends the string is escaped backslashes, then the
        closing quote; before one that does not, it is JSON escaped twice (`\\\\"`), and the model meant a
        plain quote. An odd run (`\\\\\\"`) is JSON's own, a backslash then a quote (code's `"\\"hi\\""` written
        as a JSON string), decoded as JSON decodes it, unless the string has shown JSON escaped twice: then it
        is a quote escaped twice. Before anything else, the pairs are backslashes and a last odd one is read
        with what follows it.
        """
        pos = end = self.pos
        while self._ch(end) == "\\":
            end += 1
        run = end - pos
        if end >= len(self.buf) and not self.final:
            raise NeedMore
        if self._ch(end) != fr.close:
            fr.parts.append("\\" * (run // 2))
            self.pos = end - run % 2
            return True
        after = self._next_char(end + 1)
        if after is None and not run % 2 and not self.final:
            raise NeedMore  # whether the quote ends the string depends on what comes next
        if run % 2 and not fr.twice:
            fr.parts.append("\\" * (run // 2) + fr.close)
            self.pos = end + 1
        elif not run % 2 and after in (",", "}", "]", None):
            fr.parts.append("\\" * (run // 2))
            self.pos = end
        else:
            fr.twice = True
            fr.parts.append(fr.close)
            self.pos = end + 1
        return True

    def _unicode_escape(self: Engine, fr: Str) -> None:
        """`\\uXXXX`, and a surrogate pair's two escapes as one character, as json reads them.

        Text that breaks off inside a character loses that character, as it loses a lone `\\` at its end:
        `\\ud8` at the end, or a high surrogate whose low half was cut off (`\\ud83d`, `\\ud83d\\ude` at the
        end), is dropped. Kept, the half escape was text and the high surrogate a lone one, which no UTF-8
        encoder takes (a file written with it, the next request). A lone surrogate the text goes on after is
        the model's own escape, kept as json.loads keeps one in valid JSON.
        """
        buf, pos = self.buf, self.pos
        if not self.final and len(buf) < pos + 12:
            raise NeedMore
        if not _HEX4.fullmatch(buf, pos + 2, pos + 6):
            cut = _CUT_HEX.fullmatch(buf, pos + 2) is not None
            if not cut:
                fr.parts.append("\\")
            self.pos = len(buf) if cut else pos + 1
            return
        code = int(buf[pos + 2 : pos + 6], 16)
        self.pos = pos + 6
        if 0xD800 <= code < 0xDC00 and _CUT_ESCAPE.fullmatch(buf, pos + 6):
            return  # its low half was cut off: the escape left of it, if any, is dropped by the next step
        if (
            0xD800 <= code < 0xDC00
            and buf.startswith("\\u", pos + 6)
            and _HEX4.fullmatch(buf, pos + 8, pos + 12)
        ):
            low = int(buf[pos + 8 : pos + 12], 16)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                self.pos = pos + 12
        fr.parts.append(chr(code))

    def _quote(self: Engine, fr: Str) -> None:
        """The closing quote character: decide whether it really closes the string."""
        q = self.pos
        if fr.doubled and self._ch(q + 1) == fr.close:
            self.pos = q + 2
            self._finish(fr)
            return
        j = self._ws(q + 1)
        f = self._ch(j)
        verdict = getattr(self, _VERDICTS[fr.ctx])(fr, q, j, f)
        if verdict == "close":
            self.pos = q + 1
            self._finish(fr)
        elif verdict == "text":
            fr.parts.append(fr.close)
            fr.inner = not fr.inner
            self.pos = q + 1
        elif verdict == "before":  # this quote opens the next key: the string lost its own
            text = "".join(fr.parts).rstrip()
            self._pop_deliver(fr, text[:-1].rstrip() if text.endswith(",") else text)
        elif verdict == "key":
            self.pos = q + 1
            self.stack.pop()
            self.item_became_key("".join(fr.parts), fr.placed)
        else:  # "colon": `"key:"value"` - the key ended at its colon
            self._backtrack_key(fr)

    def _key_verdict(self: Engine, fr: Str, q: int, j: int, f: str | None) -> str:
        if f is not None and j == q + 1 and (f.isalnum() or f in "_-"):
            return "colon" if fr.colon_at >= 0 else "text"  # `"k"e"y"`: glued to more text
        return "close"

    def _value_verdict(self: Engine, fr: Str, q: int, j: int, f: str | None) -> str:
        if f == ",":
            return "text" if fr.inner and not self._member_follows(j + 1) else "close"
        if f == "}":
            return "text" if fr.inner else "close"
        if f is None or f in ":]`":
            return "close"
        if f in QUOTES and self._key_at(j):
            return "close"
        if self._key_at(q):
            return "before"
        if f in "/#" or (not fr.inner and j > q + 1 and not self.buf[q - 1].isspace()):
            return "close"  # `"text" // note`, `"text" junk`: the quote closed, junk follows
        return "text"

    def _item_verdict(self: Engine, fr: Str, q: int, j: int, f: str | None) -> str:
        if f == ":":
            return "key"
        if f is None or f in ",]}`":
            return "close"
        if f in QUOTES:  # `"a" "b"` closes; `"x" ", ` is a quotation whose own close follows
            return "text" if self._next_char(j + 1) in (",", "]", None) else "close"
        if fr.inner:
            return "text"
        return "close" if j > q + 1 and not self.buf[q - 1].isspace() else "text"

    def _finish(self: Engine, fr: Str) -> None:
        """A closed string; a key that a line break ran into its closing quote loses the break, one whose
        text ends in an escaped `\\n` (a JSON key may hold one) keeps it."""
        text = "".join(fr.parts)
        quote = self.pos - (2 if fr.doubled else 1)
        if fr.ctx == "key" and text.endswith("\n") and self.buf[quote - 1] in "\r\n\t ":
            text = text.rstrip()
        self._pop_deliver(fr, text)

    def _finish_open(self: Engine, fr: Str) -> None:
        """The string never closed: keep its text, minus trailing space."""
        if fr.ctx == "key" and fr.colon_at >= 0:
            self._backtrack_key(fr)
            return
        self._pop_deliver(fr, "".join(fr.parts).rstrip())

    def _backtrack_key(self: Engine, fr: Str) -> None:
        self.pos = fr.colon_at
        self._pop_deliver(fr, self.buf[fr.start : fr.colon_at].strip())

    def _pop_deliver(self: Engine, fr: Str | Unquoted, text: str) -> None:
        self.stack.pop()
        self._deliver(fr.ctx, text, fr.placed)

    def _deliver(self: Engine, ctx: str, text: str, placed: bool) -> None:
        if ctx == "key":
            self.key_done(text)
        else:
            self._emit(text, placed)

    def unquoted_step(self: Engine, fr: Unquoted) -> None:
        buf = self.buf
        end = _UNQUOTED_RUNS[fr.ctx].match(buf, self.pos).end()  # type: ignore[union-attr]
        if end > self.pos:
            fr.parts.append(buf[self.pos : end])
            self.pos = end
        if end >= len(buf):
            if not self.final:
                raise NeedMore
            self._pop_deliver(fr, "".join(fr.parts).strip())
            return
        c = buf[end]
        if fr.ctx == "item":
            if c == '"' and self._next_char(end + 1) not in (",", "]", None):
                fr.parts.append(c)
                self.pos = end + 1
                return
            if c == '"':
                self.pos = end + 1  # a stray closing quote
            self._pop_deliver(fr, "".join(fr.parts).strip())
            return
        ends = False
        if c == "{":
            fr.braces += 1
        elif c == "}":
            ends = not fr.braces
            fr.braces -= not ends
        elif c == ",":
            ends = not fr.braces and self._member_follows(end + 1)
        elif self._key_at(end):
            ends = True
        elif self._next_char(end + 1) in (",", "}", None):
            self.pos = end + 1  # a stray closing quote
            ends = True
        if ends:
            self._pop_deliver(fr, "".join(fr.parts).strip())
        else:
            fr.parts.append(c)
            self.pos = end + 1
