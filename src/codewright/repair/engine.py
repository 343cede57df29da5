"""The repair parser: an explicit-stack state machine that can stop anywhere and resume.

One engine serves both the one-shot repair and the streaming parser, so their results
agree by construction: every decision that looks ahead goes through `_ch`, `_find` or
`_run`, which raise `NeedMore` when the answer lies past the text fed so far (unless the
input is final). A step that raises has changed nothing but whitespace and comments it
skipped, so it simply runs again when more text arrives.

Time is linear in the input: text is consumed by compiled regexes and C scanners
(`json.decoder.scanstring`, `raw_decode` on containers that are valid as they stand),
and the look-aheads that decide whether a quote closes a string use a cache of the next
occurrence of each quote character, so no region is searched more than a few times.
Nesting lives in `self.stack`, never in Python's call stack.
"""

from __future__ import annotations

import json
import re

from codewright.repair import fastpath
from codewright.repair.errors import NoJSONFound, TooDeep
from codewright.repair.lookahead import UNQUOTED_KEY, NeedMore, ran_off_the_end
from codewright.repair.strings import QUOTES, Str, StringScanner, Unquoted

MAX_DEPTH = 512
WHOLE_ITEM_LIMIT = 2048
"""Streaming: an array item (object or array) still arriving within this many characters is
taken whole by C `raw_decode` once complete instead of step by step (see `_whole_item`)."""
ITEM_WAIT = 512
"""Streaming: the text a waiting item needs to grow by before it is decoded again (at least
as much as it has already): the most a snapshot can lag behind a completed item."""

_TOP_SKIP = re.compile(r"[^{\[]*")
_WORD = re.compile(r"[^\W\d]\w*")
_BARE_ITEM = re.compile(r"[^\s,:{}\[\]\"'`]+")
_BARE_VALUE = re.compile(r"(?:[^\s,:{}\[\]\"'`]|,(?=\d))+")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NUMBER_TAIL = re.compile(r"(?:[eE][-+]?|[-+])$")
_LITERALS = {"true": True, "false": False, "null": None, "none": None}
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_DECODER = json.JSONDecoder()
_NEXT_ITEM = re.compile(r"\s*,\s*(?=[{\[])")
_WAIT = object()  # _decode_item: the item has not fully arrived yet


class Obj:
    """An object being filled. `phase`: waiting for a key, a colon, a value, or a separator."""

    __slots__ = ("after_comma", "d", "in_array", "key", "members", "orphans", "phase")

    def __init__(self, d: dict, in_array: bool) -> None:
        self.d = d
        self.phase = KEY
        self.key = ""
        self.after_comma = False
        self.in_array = in_array
        self.orphans: list[str] = []
        self.members = 0


class Arr:
    """An array being filled; `merge` marks rows that continue the previous member's array."""

    __slots__ = ("items", "last_empty", "merge", "object_value", "phase")

    def __init__(self, merge: bool, object_value: bool) -> None:
        self.items: list = []
        self.phase = VALUE
        self.merge = merge
        self.object_value = object_value
        self.last_empty = False


KEY, COLON, VALUE, AFTER = range(4)
CTX_KEY, CTX_VALUE, CTX_ITEM = "key", "value", "item"
_SCAN, _AFTER_TOP, _AFTER_TOP_COMMA = range(3)


def _empty(value: object) -> bool:
    return isinstance(value, (str, list, dict)) and not value


def same_shape(a: object, b: object) -> bool:
    """Two top-level values with the same keys and types: the later one is an update."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_shape(a[k], b[k]) for k in a)  # type: ignore[union-attr]
    if isinstance(a, list):
        return len(a) == len(b) and all(same_shape(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return True


def merge_rows(prev: list, new: list) -> None:
    """`"rows": [[a, b], c, d], [e, f]`: the model closed the array early; fold what follows back in."""
    lengths = {len(item) for item in prev if isinstance(item, list)}
    if len(lengths) != 1 or not (width := lengths.pop()):
        prev.extend(new[0] if len(new) == 1 and isinstance(new[0], list) else new)
        return
    tail_start = len(prev)
    while tail_start and not isinstance(prev[tail_start - 1], list):
        tail_start -= 1
    tail = prev[tail_start:]
    if tail and len(tail) % width == 0:
        del prev[tail_start:]
        prev.extend(tail[i : i + width] for i in range(0, len(tail), width))
    if new and all(isinstance(item, list) for item in new):
        prev.extend(new)
    elif new:
        prev.append(new)


class Engine(StringScanner):
    """Parses `buf` from `pos` as far as the text allows; `final` says no more text will come."""

    def __init__(self, final: bool) -> None:
        self.buf = ""
        self.pos = 0
        self.final = final
        self.fast = final  # C fast paths only when the whole text is known
        self.stack: list = []
        self.tops: list = []
        self.open_top: object = None
        self.last_top: object = None
        self.top_phase = _SCAN
        self.top_comma = False
        self._budget = 0
        self._found: dict[str, tuple[int, int, int]] = {}
        self.resume_at = 0  # streaming: a buffer shorter than this cannot get further (see _whole_item)
        self.waiting = False

    # ----------------------------------------------------------------- driving
    def run(self) -> None:
        """Parse as far as the text fed so far allows."""
        try:
            step = self._step
            while step():
                if self.waiting:  # an array item is still arriving (see _whole_item)
                    self.waiting = False
                    return
        except NeedMore:
            pass

    def _step(self) -> bool:
        stack = self.stack
        if not stack:
            return self._top_step()
        fr = stack[-1]
        kind = type(fr)
        if kind is Str:
            self.string_step(fr)
        elif kind is Obj:
            self._object_step(fr)
        elif kind is Arr:
            self._array_step(fr)
        else:
            self.unquoted_step(fr)
        return True

    def append(self, chunk: str) -> None:
        """Add streamed text, first dropping what has been consumed so the copy stays small.

        Kept: one character before `pos` (quote decisions look at it) and, inside a key,
        the key's start (a key can be cut back at its colon).
        """
        cut = self.pos - 1
        top = self.stack[-1] if self.stack else None
        if type(top) is Str and top.ctx == CTX_KEY:
            cut = min(cut, top.start)
        if cut < 4096 or cut * 2 < len(self.buf):
            buf, self.buf = self.buf, ""
            buf += chunk  # sole reference: CPython extends the string in place
            self.buf = buf
            return
        self.buf = self.buf[cut:] + chunk
        self.pos -= cut
        self.resume_at -= cut
        if type(top) is Str:
            top.start -= cut
            top.colon_at = top.colon_at - cut if top.colon_at >= 0 else -1
        self._found = {
            ch: (max(a - cut, 0), r - cut if r >= 0 else -1, max(s - cut, 0))
            for ch, (a, r, s) in self._found.items()
            if r < 0 or r >= cut
        }

    def result(self) -> object:
        """The value of the whole text (call after a final run)."""
        if not self.tops:
            raise NoJSONFound
        return self.tops[0] if len(self.tops) == 1 else list(self.tops)

    # ----------------------------------------------------------------- top level
    def _top_step(self) -> bool:
        buf = self.buf
        if self.top_phase != _SCAN:
            c = self._next_char(self.pos)
            self.pos = self._ws(self.pos)
            if self.top_phase == _AFTER_TOP and c == ",":
                self.pos += 1
                self.top_phase = _AFTER_TOP_COMMA
                return True
            if self.top_phase == _AFTER_TOP_COMMA:
                self.top_comma = True
                if c in QUOTES and isinstance(self.last_top, dict):
                    fr = Obj(self.last_top, in_array=False)
                    fr.members = len(self.last_top)
                    self.stack.append(fr)
                    self.open_top = self.last_top
                    self.top_phase = _SCAN
                    return True
            self.top_phase = _SCAN
        end = _TOP_SKIP.match(buf, self.pos).end()  # type: ignore[union-attr]
        skipped = buf[self.pos : end].rstrip()
        if skipped:
            self.top_comma = skipped[-1] == ","
        self.pos = end
        if end >= len(buf):
            if self.final:
                return False
            raise NeedMore
        self._open_container(buf[end], in_array=False, object_value=False)
        return True

    def _emit_top(self, value: object) -> None:
        self.open_top = None
        self.last_top = value
        self.top_phase = _AFTER_TOP
        tops = self.tops
        comma, self.top_comma = self.top_comma, False
        if not tops:
            tops.append(value)
        elif any(t is value for t in tops[-1:]) or _empty(value):
            return
        elif not comma and same_shape(tops[-1], value) or _empty(tops[-1]):
            tops[-1] = value
        else:
            tops.append(value)

    # ----------------------------------------------------------------- values
    def _open_container(self, c: str, in_array: bool, object_value: bool) -> None:
        """Push an object or array at pos, or take it whole with raw_decode when it is valid."""
        if len(self.stack) >= MAX_DEPTH:
            raise TooDeep(MAX_DEPTH, self.pos)
        if self.fast:
            whole = self._c_decode(_DECODER.raw_decode, self.pos)
            if whole is not None:
                self.pos += whole[1]
                self._emit(whole[0])
                return
        elif in_array and not self.final and self._whole_item():
            return
        self.pos += 1
        if c == "{":
            fr: Obj | Arr = Obj({}, in_array)
            live: object = fr.d
        else:
            fr = Arr(merge=False, object_value=object_value)
            live = fr.items
        self._place(live)
        self.stack.append(fr)

    def _whole_item(self) -> bool:
        """Streaming: take an array item whole with `raw_decode` (C) once it has fully arrived.

        Items of a list (the edits of a tool call, say) are mostly valid JSON, and stepping
        through them in Python is what makes streaming cost more than the one-shot parse.
        An item still arriving (no closing bracket yet, or the decoder stops at the end of
        the text) is waited for: the run stops with nothing consumed, and no new attempt until
        the text has grown by as much as the item has so far (at least ITEM_WAIT characters),
        so the attempts cost O(item) in all. An item that is not valid JSON, or that grows
        past WHOLE_ITEM_LIMIT, is parsed step by step as before. Snapshots show such an item
        when it is complete, at most ITEM_WAIT characters late; its value is raw_decode's, as
        in the one-shot parse.
        """
        whole = self._decode_item(self.pos)
        if whole is None:
            return False
        if whole is _WAIT:
            self.waiting = True  # run() stops here; nothing consumed
            return True
        self.pos += whole[1]
        self._emit(whole[0])
        while (m := _NEXT_ITEM.match(self.buf, self.pos)) is not None:  # the items right behind it, in this loop
            whole = self._decode_item(m.end())
            if whole is None or whole is _WAIT:
                return True  # the comma stays for the next step: the frame is after an item, as _emit left it
            self.pos = m.end() + whole[1]
            self._emit(whole[0])
        return True

    def _decode_item(self, pos: int):
        """(value, length) of the valid item at pos; None if invalid or too long; _WAIT if still arriving."""
        buf = self.buf
        rest = len(buf) - pos
        if rest > WHOLE_ITEM_LIMIT:
            return None
        if buf.find("}" if buf[pos] == "{" else "]", pos) < 0:
            return self._wait_for(rest)
        try:
            return _DECODER.raw_decode(buf[pos:])
        except json.JSONDecodeError as exc:
            if ran_off_the_end(exc, rest):
                return self._wait_for(rest)
            return None
        except (ValueError, RecursionError):
            return None

    def _wait_for(self, rest: int) -> object:
        self.resume_at = len(self.buf) + max(ITEM_WAIT, rest)
        return _WAIT

    def _place(self, live: object) -> None:
        """Show a container in its parent while it is being filled (for snapshots)."""
        if not self.stack:
            self.open_top = live
            return
        parent = self.stack[-1]
        if type(parent) is Obj:
            parent.d[parent.key] = live
        else:
            parent.items.append(live)

    def _emit(self, value: object, placed: bool = False) -> None:
        """Hand a finished value to the frame below it on the stack."""
        stack = self.stack
        if not stack:
            self._emit_top(value)
            return
        fr = stack[-1]
        if type(fr) is Obj:
            if fr.phase == KEY:  # rows continuing the previous member's array
                merge_rows(fr.d[next(reversed(fr.d))], value)  # type: ignore[arg-type]
                return
            fr.d[fr.key] = value
            fr.members += 1
            fr.phase = AFTER
            return
        if placed:  # a placeholder for it is already in the list
            fr.items[-1] = value
        else:
            fr.items.append(value)
        fr.last_empty = _empty(value)
        fr.phase = AFTER

    def _drop_placed(self) -> None:
        """An object in an array turned out to be noise (`[{]`): take it back out."""
        parent = self.stack[-1]
        parent.items.pop()
        parent.phase = AFTER

    def _start_value(self, c: str, ctx: str) -> None:
        """Dispatch on the first character of a value inside an object or array."""
        if c == "{" or c == "[":
            self._open_container(c, in_array=ctx == CTX_ITEM, object_value=ctx == CTX_VALUE)
        elif c in QUOTES:
            self.open_string(ctx)
        elif c.isdigit() or c in "-+.":
            self._bare(ctx)
        elif c.isalpha() or c == "_":
            self._word(ctx)
        else:
            self.pos += 1

    def _bare(self, ctx: str) -> None:
        """Numbers, and number-like runs a model meant as text (`1/3`, `10-20`, a UUID)."""
        m = self._run(_BARE_VALUE if ctx == CTX_VALUE else _BARE_ITEM, margin=2)
        assert m is not None
        text = m.group()
        self.pos = m.end()
        if text in _CONSTANTS:
            self._emit(_CONSTANTS[text])
            return
        num = text.replace("_", "") if "_" in text and text.replace("_", "").isdigit() else text
        num = _NUMBER_TAIL.sub("", num)
        if _NUMBER.fullmatch(num):
            try:
                value: object = float(num) if any(ch in num for ch in ".eE") else int(num)
            except ValueError:
                value = text
            self._emit(value)
        elif num.strip("-+.") == "" or (ctx == CTX_ITEM and text.strip(".") == ""):
            return  # a lone sign or `...`: nothing the model meant as a value
        else:
            self._emit(text)

    def _word(self, ctx: str) -> None:
        m = self._run(_WORD)
        assert m is not None
        word = m.group()
        literal = _LITERALS.get(word.lower(), ...)
        if literal is ... and word in _CONSTANTS:
            literal = _CONSTANTS[word]
        if literal is not ... and (ctx == CTX_ITEM or not self._prose_follows(m.end())):
            self.pos = m.end()
            self._emit(literal)
            return
        self.stack.append(Unquoted(ctx))

    def _prose_follows(self, i: int) -> bool:
        c = self._next_char(i)
        return c is not None and (c.isalnum() or c == "_") and self._ws(i) > i

    # ----------------------------------------------------------------- objects
    def _object_step(self, fr: Obj) -> None:
        self._skip_ws_comments()
        c = self._ch(self.pos)
        phase = fr.phase
        if phase == AFTER:
            self._object_after(fr, c)
        elif phase == VALUE:
            self._object_value(fr, c)
        elif phase == COLON:
            self._object_colon(fr, c)
        else:
            self._object_key(fr, c)

    def _fast_members(self, fr: Obj) -> bool:
        """Take plain `key: scalar` members whole (see fastpath); False when none was taken."""
        d = fr.d

        def take(m: re.Match) -> bool:
            key = fastpath.key(m)
            if fr.in_array and key in d:  # a repeated key may start the next object
                return False
            d[key] = fastpath.scalar(m, 4)
            fr.members += 1
            return True

        return self._take_plain(fr, fastpath.MEMBER, take, KEY)

    def _fast_items(self, fr: Arr) -> bool:
        """Take plain scalar items whole (see fastpath); False when none was taken."""

        def take(m: re.Match) -> bool:
            value = fastpath.scalar(m, 1)
            fr.items.append(value)
            fr.last_empty = value == ""
            return True

        return self._take_plain(fr, fastpath.ITEM, take, VALUE)

    def _take_plain(self, fr: Obj | Arr, pattern: re.Pattern, take, next_phase: int) -> bool:
        buf, taken = self.buf, False
        while True:
            m = pattern.match(buf, self.pos)
            if m is None or (not self.final and m.end() + 2 > len(buf)) or not take(m):
                return taken
            fr.phase = AFTER
            taken = True
            sep = fastpath.SEPARATOR.match(buf, m.end())
            if sep is None or sep.end() >= len(buf):
                self.pos = m.end()
                return True
            self.pos = sep.end()
            fr.phase = next_phase
            if type(fr) is Obj:
                fr.after_comma = True
            else:
                fr.last_empty = False

    def _object_key(self, fr: Obj, c: str | None) -> None:
        if c is not None and (c in "\"'" or c.isalpha()) and self._fast_members(fr):
            return
        if c is None:
            self._close_object(fr)
        elif c == "}":
            self.pos += 1
            self._close_object(fr)
        elif c == ",":
            self.pos += 1
            fr.after_comma = True
        elif c == ":":
            self.pos += 1
        elif c == "]" and fr.in_array:
            self._close_object(fr, by_bracket=True)
        elif c == "[" and fr.members and isinstance(fr.d[next(reversed(fr.d))], list):
            if len(self.stack) >= MAX_DEPTH:
                raise TooDeep(MAX_DEPTH, self.pos)
            self.pos += 1
            self.stack.append(Arr(merge=True, object_value=False))
        elif c in QUOTES:
            self.open_string(CTX_KEY)
        elif c.isalnum() or c in "_$-":
            m = UNQUOTED_KEY.match(self.buf, self.pos)
            assert m is not None
            if self._next_char(m.end()) == ":":
                self.pos = m.end()
                self.key_done(m.group())
            else:  # a word where a key should be, not followed by a colon: prose, dropped
                self.pos = m.end()
                fr.after_comma = False
        else:
            self.pos += 1
            fr.after_comma = False

    def key_done(self, key: str) -> None:
        fr = self.stack[-1]
        fr.key = key
        fr.phase = COLON

    def _object_colon(self, fr: Obj, c: str | None) -> None:
        key = fr.key
        if fr.in_array and key in fr.d and (c != ":" or not fr.after_comma):
            self._split_object(fr)
            return
        fr.after_comma = False
        if c == ":":
            self.pos += 1
            fr.phase = VALUE
        elif key == "":  # an empty "key" with no colon is noise (`""""`)
            fr.phase = KEY
        elif c is None or c == "}":
            self._orphan(fr)
        elif c == ",":
            nxt = self._next_char(self.pos + 1)
            self.pos += 1
            if nxt is None or nxt in QUOTES or nxt == "}":
                self._orphan(fr)
                fr.after_comma = True
            else:  # `{"key", 105}`: the comma stood for the colon
                fr.phase = VALUE
        elif c == "]":
            self.pos += 1
            fr.phase = VALUE
        else:
            fr.phase = VALUE

    def _orphan(self, fr: Obj) -> None:
        """A key with no value: kept as "" beside real members, or as a set-like list alone."""
        fr.phase = KEY
        if fr.key not in fr.d:
            fr.d[fr.key] = ""
            fr.orphans.append(fr.key)

    def _split_object(self, fr: Obj) -> None:
        """A repeated key in an object inside an array starts the next object."""
        key = fr.key
        self._close_object(fr)
        new = Obj({}, in_array=True)
        new.key = key
        new.phase = COLON
        self._place(new.d)
        self.stack.append(new)

    def _object_value(self, fr: Obj, c: str | None) -> None:
        if c is None or c == "," or c == "}" or (c == "]" and fr.in_array):
            fr.d[fr.key] = ""
            fr.members += 1
            fr.phase = AFTER
        elif c == "]":
            self.pos += 1
        else:
            self._start_value(c, CTX_VALUE)

    def _object_after(self, fr: Obj, c: str | None) -> None:
        if c is None:
            self._close_object(fr)
        elif c == ",":
            self.pos += 1
            fr.after_comma = True
            fr.phase = KEY
        elif c == "}":
            self.pos += 1
            self._close_object(fr)
        elif c == "]":
            if fr.in_array:
                self._close_object(fr, by_bracket=True)
            else:
                self.pos += 1
        elif c in QUOTES and self._next_char(self.pos + 1) in (",", "}"):
            self.pos += 1  # a stray closing quote after an unquoted value or number
        else:
            fr.phase = KEY
            fr.after_comma = False

    def _close_object(self, fr: Obj, by_bracket: bool = False) -> None:
        self.stack.pop()
        value: object = fr.d
        if fr.members == 0 and fr.orphans:
            keys = [k for k in fr.orphans if k]
            value = keys if keys else {}
        elif by_bracket and not fr.d:
            self._drop_placed()
            return
        self._emit(value, placed=True)

    # ----------------------------------------------------------------- arrays
    def _array_step(self, fr: Arr) -> None:
        self._skip_ws_comments()
        c = self._ch(self.pos)
        if fr.phase == AFTER:
            if fr.last_empty and c != "," and c != "]":
                fr.items.pop()  # an empty value the input broke off after: noise
            fr.last_empty = False
            if c == ",":
                self.pos += 1
                fr.phase = VALUE
            elif c == "}" and fr.items and isinstance(fr.items[-1], dict):
                self.pos += 1  # `[{"a": 1}}, ...`: one closing brace too many
            elif c is None or c == "]" or c == "}":
                self._close_array(fr, c)
            else:
                fr.phase = VALUE
            return
        if c is None or c == "]" or c == "}":
            self._close_array(fr, c)
        elif c == ",":
            self.pos += 1
        elif (c in "\"'-tfnTFN" or c.isdigit()) and self._fast_items(fr):
            return
        else:
            self._start_value(c, CTX_ITEM)

    def item_became_key(self, text: str, placed: bool) -> None:
        """`["key": value` - a string in an array turned out to be a key."""
        arr = self.stack[-1]
        if placed:
            arr.items.pop()
        if arr.object_value and arr.items and not any(isinstance(v, (dict, list)) for v in arr.items):
            self._close_array(arr, None)  # `{"a": ["x", "y", "b": 1}`: the array ended early
        else:
            if len(self.stack) >= MAX_DEPTH:
                raise TooDeep(MAX_DEPTH, self.pos)
            obj = Obj({}, in_array=True)
            self._place(obj.d)
            self.stack.append(obj)
        self.key_done(text)

    def _close_array(self, fr: Arr, c: str | None) -> None:
        if c is not None:
            self.pos += 1
        self.stack.pop()
        self._emit(fr.items, placed=not fr.merge)
