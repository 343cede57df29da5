"""Decode a file into lines and encode it back byte for byte.

An edit must change only the lines it targets: encoding, byte-order mark, each line's own
ending (CRLF, LF, mixed) and the presence of a final newline all survive a round trip, so
`TextFile.decode(data).encode() == data` for every text file we accept.
"""

from __future__ import annotations

from dataclasses import dataclass

from codewright.edit.model import EditError

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


@dataclass
class TextFile:
    lines: list[str]
    endings: list[str]
    encoding: str = "utf-8"
    bom: bytes = b""

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
        return TextFile(lines, fixed, self.encoding, self.bom)


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
