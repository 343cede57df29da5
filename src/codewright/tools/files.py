"""File tools: read a window with line numbers, list a directory, create, edit, patch, delete.

Writes go through `codewright.edit`, whose writer is all-or-nothing, so a failed edit
leaves every file as it was and its message (what did not match, and where the closest
text is) goes back to the model unchanged. Paths are checked by the toolbox first:
inside the workspace, not a secret file, allowed by the mode.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from codewright import quoting
from codewright.edit import confined
from codewright.edit.model import EditError
from codewright.edit.textfile import MAX_LINE_CHARS, TextFile, clip_line
from codewright.gateway.types import ToolSpec
from codewright.tools.result import ToolResult

if TYPE_CHECKING:
    from codewright.tools.toolbox import Toolbox

READ_LINES = 400  # default window
STREAM_BYTES = 32 * 1024 * 1024  # larger files are read line by line, never whole
LIST_LIMIT = 300
SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", "venv", ".codewright", ".mypy_cache",
             ".pytest_cache", ".ruff_cache", ".tox", ".idea", ".vscode", "target", "dist", "build", ".eggs"}


# How a name that is not UTF-8 is shown, and why; see `shown_path`.
NOT_UTF8 = ("[a name shown as $'...' is not valid UTF-8: the file tools cannot open it; a command can, with the "
            "name written as shown (rename it: mv $'caf\\xe9.py' cafe.py)]")


def shown_path(path: str) -> str:
    """A path as the model is shown it. Bytes of a name that are not UTF-8 (os gives them as surrogates) went out
    as U+FFFD, which names no file: asked for, it "did not exist", or was another file. Such a path is shown
    as bash quotes it, `$'caf\\xe9.py'`, which a command understands as written (and the note NOT_UTF8 says so).
    Only such a name: one with a newline or a tab is valid UTF-8 and the file tools open it as the model writes it
    in JSON, where a `$'...'` name is refused as not UTF-8 (`Toolbox.authorize_path`)."""
    return quoting.quoted(path, quoting.NOT_UTF8)


def _path_arg(description: str = "path relative to the repository root") -> dict[str, Any]:
    return {"type": "string", "description": description}


SPECS = {
    "read_file": ToolSpec("read_file", "Read a text file, or a window of it, with line numbers.", {
        "type": "object",
        "properties": {"path": _path_arg(),
                       "start_line": {"type": "integer", "minimum": 1, "description": "first line (1-based)"},
                       "end_line": {"type": "integer", "minimum": 1, "description": "last line, inclusive"}},
        "required": ["path"]}),
    "list_dir": ToolSpec("list_dir", "List a directory (files with line counts, folders with a slash).", {
        "type": "object",
        "properties": {"path": _path_arg("directory relative to the repository root; default the root"),
                       "depth": {"type": "integer", "minimum": 1, "maximum": 4, "description": "levels, default 2"}},
        "required": []}),
    "create_file": ToolSpec("create_file", "Create a file with the given content (refuses to overwrite "
                            "unless overwrite is true).", {
        "type": "object",
        "properties": {"path": _path_arg(), "content": {"type": "string"},
                       "overwrite": {"type": "boolean", "description": "replace an existing file"}},
        "required": ["path", "content"]}),
    "edit_file": ToolSpec("edit_file", "Replace exact text in a file: old_string (whole lines, unique in the "
                          "file unless replace_all) becomes new_string.", {
        "type": "object",
        "properties": {"path": _path_arg(), "old_string": {"type": "string"}, "new_string": {"type": "string"},
                       "replace_all": {"type": "boolean"}},
        "required": ["path", "old_string", "new_string"]}),
    "apply_patch": ToolSpec("apply_patch", "Apply edits written in any supported format: SEARCH/REPLACE "
                            "blocks, a unified diff, a '*** Begin Patch' patch, or whole files.", {
        "type": "object",
        "properties": {"text": {"type": "string", "description": "the edits"},
                       "format": {"type": "string", "description": "optional format hint"}},
        "required": ["text"]}),
    "delete_file": ToolSpec("delete_file", "Delete a file.", {
        "type": "object", "properties": {"path": _path_arg()}, "required": ["path"]}),
}


def read_file(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    rel = box.authorize_path(args["path"], write=False)
    full = box.root / rel
    if full.is_dir():
        return ToolResult.error(f"{rel} is a directory: use list_dir")
    start = max(1, int(args.get("start_line") or 1))
    if args.get("end_line") and int(args["end_line"]) < start:
        return ToolResult.error(f"end_line {args['end_line']} is before start_line {start}")
    wanted = int(args.get("end_line") or start + READ_LINES - 1)
    try:
        with confined.open_file(box.root, full) as stream:  # the file checked, whatever was swapped in since
            size = os.fstat(stream.fileno()).st_size
            window = _streamed(stream, start, wanted) if size > STREAM_BYTES else _decoded(stream.read())
    except FileNotFoundError:
        return ToolResult.error(f"{rel} does not exist{box.suggest_path(rel)}")
    if window is None:
        return ToolResult.error(f"{rel} is a binary file ({size} bytes): it cannot be shown as text")
    lines, total, encoding = window
    end = min(total, wanted)
    if total and start > total:
        return ToolResult.error(f"{rel} has {total} lines: start_line {start} is past the end")
    width = len(str(end))  # `cat -n` layout: a tab after the number costs no token of its own
    body = "\n".join(f"{n:>{width}}\t{clip_line(lines[n - 1])}" for n in range(start, end + 1))
    header = f"{rel} (lines {start}-{end} of {total}{encoding})" if total else f"{rel} (empty file{encoding})"
    more = f"\n[{total - end} more lines: read with start_line={end + 1}]" if end < total else ""
    return ToolResult(f"{header}\n{body}{more}", kind="file_read", meta={"path": rel, "lines": total})


def _decoded(data: bytes) -> tuple[Any, int, str] | None:
    """The file's lines as the edit tools decode them (what read_file shows is what edit_file matches)."""
    try:
        text = TextFile.decode(data)
    except EditError:
        return None
    encoding = "" if text.encoding == "utf-8" and not text.bom else f", {text.encoding}" + (" with BOM" if text.bom else "")
    return text.lines, len(text.lines), encoding


class _Window(dict):
    """Lines start..end of a streamed file by number; `lines[n - 1]` reads line n."""

    def __getitem__(self, index: int) -> str:
        return super().__getitem__(index + 1)


def _streamed(stream: IO[bytes], start: int, end: int) -> tuple[_Window, int, str] | None:
    """Lines start..end of a file too large to decode whole (a log of gigabytes took minutes and its size
    several times over in memory), read piece by piece as UTF-8; the total is counted on the way."""
    window, number, at_start = _Window(), 0, True
    if b"\0" in stream.read(8192):
        return None
    stream.seek(0)
    for piece in iter(lambda: stream.readline(1 << 20), b""):
        number += at_start
        if start <= number <= end:
            kept = window.get(number, "")
            if len(kept) <= MAX_LINE_CHARS:
                window[number] = kept + piece.rstrip(b"\n").removesuffix(b"\r").decode("utf-8", "replace")
        at_start = piece.endswith(b"\n")
    return window, number, ", read as UTF-8 line by line (a large file)"


def list_dir(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    rel = box.authorize_path(args.get("path") or ".", write=False)
    base = box.root / rel
    if not base.is_dir():
        return ToolResult.error(f"{rel} is not a directory{box.suggest_path(rel)}")
    depth = int(args.get("depth") or 2)
    out: list[str] = []
    _list_tree(str(base), 0, depth, out)
    extra = f"\n[... listing cut at {LIST_LIMIT} entries: list a subdirectory]" if len(out) > LIST_LIMIT else ""
    extra += f"\n{NOT_UTF8}" if any(line.lstrip().startswith("$'") for line in out[:LIST_LIMIT]) else ""
    title = "." if rel == "." else shown_path(rel) + "/"
    return ToolResult(f"{title}\n" + "\n".join(out[:LIST_LIMIT]) + extra, kind="listing", meta={"path": rel})


def _list_tree(folder: str, level: int, depth: int, out: list[str]) -> None:
    """A folder's files, then each subfolder followed by its own entries, indented under it (depth first: listing
    every sibling folder before any of their files put those files under the last folder). A link to a folder is
    listed, never entered."""
    try:
        with os.scandir(folder) as entries:
            found = sorted(entries, key=lambda e: e.name)
    except OSError:
        return
    indent = "  " * level
    folders = [e for e in found if _is_folder(e) and e.name not in SKIP_DIRS and not e.name.endswith(".egg-info")]
    for entry in found:
        if not _is_folder(entry):
            out.append(f"{indent}{shown_path(entry.name)}{_size_note(entry.path)}")
    for entry in folders:
        if len(out) > LIST_LIMIT:
            return
        if level + 1 >= depth or entry.is_symlink():
            out.append(f"{indent}{shown_path(entry.name)}/ ({_count_entries(entry.path)} entries)")
        else:
            out.append(f"{indent}{shown_path(entry.name)}/")
            _list_tree(entry.path, level + 1, depth, out)


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _size_note(path: str) -> str:
    try:
        size = os.path.getsize(path)
    except OSError:
        return ""
    return f" ({size} bytes)" if size > 0 else " (empty)"


def _count_entries(path: str) -> int:
    try:
        return len(os.listdir(path))
    except OSError:
        return 0


def create_file(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.edit import Edit, apply_edits

    rel = box.authorize_path(args["path"], write=True)
    if (box.root / rel).exists() and not args.get("overwrite"):
        return ToolResult.error(f"{rel} already exists: edit it with edit_file, or pass overwrite=true")
    content = args["content"]
    if "\0" in content:
        return ToolResult.error(_NUL_REFUSED.format(what="content"))
    lines = len(content.splitlines())
    return box.write([rel], lambda: apply_edits(box.root, [Edit.whole(rel, content)]), f"wrote {rel} ({lines} lines)")


def edit_file(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.edit import Edit, apply_edits

    rel = box.authorize_path(args["path"], write=True)
    moved = ""
    if not (box.root / rel).exists() and args["old_string"]:
        others = box.same_name(rel)
        if len(others) != 1:
            return ToolResult.error(f"{rel} does not exist{box.suggest_path(rel)}; create it with create_file")
        moved = f"note: the file is {others[0]} (the one file of that name; there is no {rel}): this edit went there.\n"
        rel = box.authorize_path(others[0], write=True)
    if "\0" in args["new_string"]:
        return ToolResult.error(_NUL_REFUSED.format(what="new_string"))
    if not args["old_string"] and (box.root / rel).is_file() and (box.root / rel).stat().st_size:
        return ToolResult.error(f"old_string is empty, and {rel} is not: quote the lines to replace (to add at the "
                                "end, quote the last lines and repeat them in new_string before the new ones)")
    data = confined.read_below(box.root, rel)  # the checks below read what the writer will: never through a link
    old, new = _without_line_numbers(data, args["old_string"], args["new_string"])
    if old == new:
        return ToolResult.error("old_string and new_string are the same, so this edit changes nothing: "
                                "new_string must hold the corrected text")
    done = _already_applied(rel, data, old, new)
    if done:
        return ToolResult(moved + done, kind="output", meta={"path": rel})
    edit = Edit(rel, old, new, replace_all=bool(args.get("replace_all")), text_match=True)
    result = box.write([rel], lambda: apply_edits(box.root, [edit]))
    result.content = moved + result.content
    return result


# A NUL makes the file binary, which read_file and edit_file then refuse: the model could not see or fix it again.
_NUL_REFUSED = ("{what} holds a NUL character (\\0), which would make the file binary to every tool after it; "
                "write it as an escape sequence of the file's language instead")
_NUMBERED = re.compile(r"^ *\d+(?:\t|\| ?)")  # read_file's `cat -n` lines, snippets' and suggestions' `  5| `
_SUGGESTION_HEADER = re.compile(r"^lines \d+-\d+ \(\d+% similar\):$")


def _without_line_numbers(data: bytes | None, old: str, new: str) -> tuple[str, str]:
    """old_string and new_string without the line numbers a model copied along with the code.

    Small models quote what they were shown, `  11|     return x` and the "lines 11-11 (92%
    similar):" header of a suggestion included. Only when old_string is not in the file as
    written and every one of its lines carries a number; new_string loses its numbers if all
    of its lines have them too.
    """
    if data is None or not old.strip() or old in data.decode("utf-8", "replace"):
        return old, new
    bare_old = _unnumbered(old)
    if bare_old is None:
        return old, new
    return bare_old, _unnumbered(new) or new


def _unnumbered(text: str) -> str | None:
    lines = [line for line in text.split("\n") if not _SUGGESTION_HEADER.match(line)]
    if not any(line.strip() for line in lines) or not all(_NUMBERED.match(line) for line in lines if line.strip()):
        return None
    return "\n".join(_NUMBERED.sub("", line, count=1) for line in lines)


def _already_applied(rel: str, data: bytes | None, old: str, new: str) -> str | None:
    """A note when the file holds `new` but not `old`: the edit was made already (models repeat edits).

    Answering "done, nothing to change" instead of "old_string not found" keeps a model that lost
    track of its own earlier edit from retrying it, or rewriting the fixed lines once more.
    """
    if data is None or not old.strip() or not new.strip():
        return None
    try:
        text = data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None
    old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    if old in text or new in text[text.find(new) + 1:] or new not in text:
        return None
    line = text.count("\n", 0, text.find(new)) + 1
    return (f"already applied: {Path(rel).name} has no old_string but already contains new_string (from line {line}); "
            "nothing was changed. Go on with the next step (run the tests, or finish).")


def apply_patch(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    """Every path the edits name is authorised before any is read: the dry run's "did you mean" quotes the
    file, so a patch against `.env` would otherwise show the secret it was refused."""
    from codewright.edit import apply_edits
    from codewright.edit.formats import parse_text

    name, edits = parse_text(args["text"], args.get("format"), root=box.root)  # once: the edits are frozen
    allowed = {box.authorize_path(path, write=True) for edit in edits for path in filter(None, (edit.path, edit.move_to))}
    preview = apply_edits(box.root, edits, dry_run=True, format=name)
    paths = [c.path for c in preview.changes] + [c.moved_from for c in preview.changes if c.moved_from]
    for path in dict.fromkeys(paths):
        if path not in allowed:  # each file asked about once (ask mode asked twice for every file)
            box.authorize_path(path, write=True)
    return box.write(paths, lambda: apply_edits(box.root, edits, format=name))


def delete_file(box: Toolbox, args: dict[str, Any]) -> ToolResult:
    from codewright.edit import Edit, apply_edits

    rel = box.authorize_path(args["path"], write=True)
    if (box.root / args["path"]).is_symlink():  # the tools read and write through a link: deleting the target
        # through it would surprise, and the link's own path is not what the checks above authorised
        return ToolResult.error(f"{args['path']} is a symbolic link to {rel}: delete_file deletes files, not links "
                                f"(remove the link with `rm {args['path']}`, or delete {rel} by its own path)")
    if not (box.root / rel).is_file():
        return ToolResult.error(f"{rel} is not a file{box.suggest_path(rel)}")
    result = box.write([rel], lambda: apply_edits(box.root, [Edit.delete(rel)]), f"deleted {rel}")
    box.ledger.record("delete", path=rel)
    return result


HANDLERS = {"read_file": (read_file, "read"), "list_dir": (list_dir, "read"), "create_file": (create_file, "write"),
            "edit_file": (edit_file, "write"), "apply_patch": (apply_patch, "write"),
            "delete_file": (delete_file, "write")}
