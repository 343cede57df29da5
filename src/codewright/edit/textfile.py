"""Decode a file into lines and encode it back byte for byte.

An edit must change only the lines it targets: encoding, byte-order mark, each line's own
ending (CRLF, LF, mixed) and the presence of a final newline all survive a round trip, so
`TextFile.decode(data).encode() == data` for every text file we accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codewright.edit.model import EditError

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_UTF8_CHAR = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass
class TextFile:
    """`latin1`: for a UTF-8 file with lines that are not (a stray byte), those lines, read as Latin-1 and
    written back so; every other line, new ones included, is UTF-8."""

    lines: list[str]
    endings: list[str]
    encoding: str = "utf-8"
    bom: bytes = b""
    latin1: frozenset[str] = frozenset()

    @classmethod
    def decode(cls, data: bytes, path: str = "") -> TextFile:
        bom, encoding = b"", None
        for mark, name in _BOMS:
            if data.startswith(mark):
                bom, encoding = mark, name
                break
        body = data[len(bom):]
        if encoding is None:
            if b"\x00" in body:
                raise EditError(f"{path}: is a binary file; it cannot be edited as text.")
            try:
                text, encoding = body.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                mixed = _utf8_but_some_lines(body) if _UTF8_CHAR.search(body) else None
                if mixed is not None:
                    return mixed
                text, encoding = body.decode("latin-1"), "latin-1"
        else:
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError:
                raise EditError(f"{path}: starts with a {encoding} byte-order mark but is not {encoding} text; "
                                "it cannot be edited as text.") from None
        lines, endings = split_lines(text)
        return cls(lines, endings, encoding, bom)

    @classmethod
    def new(cls, text: str) -> TextFile:
        lines, endings = split_lines(text)
        return cls(lines, endings)

    @property
    def newline(self) -> str:
        """The dominant line ending, given to lines an edit adds (a last line without one does not count)."""
        crlf = sum(e == "\r\n" for e in self.endings)
        return "\r\n" if crlf * 2 > sum(e != "" for e in self.endings) else "\n"

    @property
    def final_newline(self) -> bool:
        return bool(self.endings) and self.endings[-1] != ""

    def text(self) -> str:
        return "".join(line + end for line, end in zip(self.lines, self.endings))

    def encode(self, path: str = "") -> bytes:
        try:
            if self.latin1:
                return b"".join(line.encode("latin-1" if line in self.latin1 else "utf-8") + end.encode()
                                for line, end in zip(self.lines, self.endings))
            return self.bom + self.text().encode(self.encoding)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start:exc.end]
            raise EditError(f"{path}: the new text contains {bad!r}, which the file's encoding "
                            f"({self.encoding}) cannot store; write it another way.") from None

    def replace(self, lines: list[str], endings: list[str], final_newline: bool | None) -> TextFile:
        """A copy with new lines; endings left empty get the dominant one, the last follows the file."""
        want_final = self.final_newline if final_newline is None else final_newline
        if not self.lines and final_newline is None:
            want_final = True
        newline = self.newline
        fixed = [end or newline for end in endings]
        if fixed:
            fixed[-1] = (endings[-1] or newline) if want_final else ""
        return TextFile(lines, fixed, self.encoding, self.bom, self.latin1)


def _utf8_but_some_lines(body: bytes) -> TextFile | None:
    """A file of UTF-8 text with some lines that are not UTF-8 (a stray byte), each line read as what it is; None
    where two lines read alike from different bytes, so that the text would not say which bytes to write back.

    Read whole as Latin-1, its UTF-8 text was shown garbled (`naÃ¯ve`), so not found when quoted right, and the
    new text written in Latin-1: `café` became byte E9 in a UTF-8 file.
    """
    texts, latin1, utf8 = [], set(), set()
    for piece in body.split(b"\n"):
        try:
            text = piece.decode("utf-8")
            utf8.add(text.removesuffix("\r"))
        except UnicodeDecodeError:
            text = piece.decode("latin-1")
            latin1.add(text.removesuffix("\r"))
        texts.append(text)
    if latin1 & utf8:
        return None
    lines, endings = split_lines("\n".join(texts))
    return TextFile(lines, endings, latin1=frozenset(latin1))


MAX_LINE_CHARS = 2000
"""The most of one line shown to the model (read_file, an edit's closest lines): a minified file's line of
megabytes, shown whole, filled its context."""


def clip_line(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + f" [... {len(line) - MAX_LINE_CHARS} chars]"


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Lines and their endings; only LF and CRLF end a line (as for git), a lone CR stays in the text."""
    if not text:
        return [], []
    pieces = text.split("\n")
    lines, endings = [], []
    for piece in pieces[:-1]:
        if piece.endswith("\r"):
            lines.append(piece[:-1])
            endings.append("\r\n")
        else:
            lines.append(piece)
            endings.append("\n")
    if pieces[-1]:
        lines.append(pieces[-1])
        endings.append("")
    return lines, endings


def model_lines(text: str) -> list[str]:
    """A model's text as lines: CRLF normalised, one trailing newline not counted as a line."""
    text = text.replace("\r\n", "\n")
    if not text:
        return []
    text = text.removesuffix("\n")
    return text.split("\n")
