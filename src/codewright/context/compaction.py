"""Compaction: shrink the history in large, rare steps without losing what matters.

Two stages, cheapest loss first. (1) Drop what can be re-derived: file contents read,
code the agent wrote (it is in the repository and the index now), command output and
retrieved context become one-line references the model can act on ("read it again if
needed"), and the model's long reasoning of old turns a stub. (2) Fold the oldest turns into a summary with fixed fields (goal, decisions,
files touched, errors fixed, open items), extracted deterministically: no model call,
so compaction is instant, free and testable. A tool call and its results form one group
that is kept or folded whole, so no provider ever sees an unanswered call. A last stage
truncates oversized recent results so a request never exceeds the window.

Compaction rewrites the history in place: later turns then share the new prefix, so the
prompt cache is broken once per compaction instead of every turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from codewright.gateway.types import Message, Reasoning, ToolCall

REDERIVABLE = {"file_read", "file_written", "retrieved", "search", "output", "listing", "lookup"}
MIN_DROP_TOKENS = 48  # results shorter than this are cheaper kept than referenced
BIG_ARGUMENT_CHARS = 240  # tool-call string arguments longer than this are code the repository holds
NEWEST_FIRST = True
SUMMARY_LIMITS = {"decisions": 14, "errors_fixed": 8, "open_items": 8, "files": 40}


@dataclass
class Entry:
    """One history message with what compaction needs to know about it."""

    message: Message
    turn: int
    kind: str  # user | assistant | retrieved | a tool-result kind (file_read, file_written, output, error ...)
    path: str | None = None
    words: str | None = None  # for a user message carrying retrieved context: the user's own words
    compacted: bool = False
    tokens: int = 0  # memoised size, recomputed when the content changes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("tokens")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        msg = dict(data["message"])
        msg["tool_calls"] = [ToolCall(**c) for c in msg.get("tool_calls", [])]
        msg["reasoning"] = [Reasoning(**r) for r in msg.get("reasoning", [])]
        return cls(**{**data, "message": Message(**msg)})


@dataclass
class Summary:
    """What earlier, folded turns established. Rendered in the session-state block."""

    first_turn: int = 0
    last_turn: int = 0
    goal: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)  # path -> actions ("read", "edited")
    errors_fixed: list[str] = field(default_factory=list)
    open_items: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not self.last_turn

    def render(self) -> str:
        lines = [f"Summary of turns {self.first_turn}-{self.last_turn} (compacted; details are in the repository):"]
        if self.goal:
            lines.append("Goal: " + " / then: ".join(self.goal))
        for title, items in (("Decisions and steps", self.decisions), ("Errors fixed", self.errors_fixed),
                             ("Open items", self.open_items)):
            if items:
                lines.append(f"{title}:")
                lines += [f"- {item}" for item in items]
        if self.files:
            touched = ", ".join(f"{p} ({'/'.join(a)})" for p, a in self.files.items())
            lines.append(f"Files touched: {touched}")
        return "\n".join(lines)

    def render_within(self, tokens: int, count: Count) -> str:
        """`render()` in about `tokens`: its oldest decisions, files, errors fixed, later goals and then open items
        are left out while it is longer. Its items are clipped in characters, which Chinese text fills with three
        times the tokens of English: the summary alone took 4,000 tokens of a 16k window. The first goal stays."""
        kept = Summary(self.first_turn, self.last_turn, list(self.goal), list(self.decisions), dict(self.files),
                       list(self.errors_fixed), list(self.open_items))
        text = kept.render()
        for items, first in ((kept.decisions, 0), (kept.files, 0), (kept.errors_fixed, 0), (kept.goal, 1),
                             (kept.open_items, 0)):
            while count(text) > tokens and len(items) > first:
                if isinstance(items, dict):
                    items.pop(next(iter(items)))
                else:
                    del items[first]
                text = kept.render()
        return text


@dataclass
class CompactionInfo:
    """What one compaction did; the agent turns it into a `compaction` event."""

    turn: int
    tokens_before: int
    tokens_after: int
    dropped: list[str] = field(default_factory=list)  # the references that replaced re-derivable content
    summarised_turns: int = 0  # how many turns were folded into the summary
    truncated: int = 0  # oversized recent results cut to fit the window

    @property
    def detail(self) -> str:
        """One line for people: what was dropped and folded."""
        parts = [f"{len(self.dropped)} re-derivable results replaced by references"]
        if self.summarised_turns:
            parts.append(f"{self.summarised_turns} turns summarised")
        if self.truncated:
            parts.append(f"{self.truncated} oversized results cut")
        return f"{self.tokens_before} -> {self.tokens_after} tokens: " + ", ".join(parts)


Measure = Callable[[], int]
Count = Callable[[str], int]


def groups(entries: list[Entry]) -> list[list[int]]:
    """Indices of entries grouped so an assistant message and the tool results answering it stay together."""
    result: list[list[int]] = []
    for i, entry in enumerate(entries):
        if entry.message.role == "tool" and result:
            result[-1].append(i)
        else:
            result.append([i])
    return result


def wrap_retrieved(text: str) -> str:
    """Retrieved context as a user message carries it: tagged, so compaction finds it beside the user's words."""
    return f"<retrieved_context>\n{text}\n</retrieved_context>"


_RETRIEVED = re.compile(r"<retrieved_context>\n(.*)\n</retrieved_context>", re.DOTALL)


def _retrieved_block(entry: Entry) -> re.Match[str] | None:
    """Where a user message holds retrieved context: before the user's words (a note may come before it), or
    all of a message of retrieved context alone. None for other messages."""
    content = entry.message.content
    if entry.message.role != "user" or entry.kind != "retrieved" and entry.words is None:
        return None
    return _RETRIEVED.search(content if entry.kind == "retrieved" else content[: len(content) - len(entry.words)])


def reference(entry: Entry, name: str, text: str | None = None) -> str:
    """The one-line stand-in for a dropped result (`text`, all of the message by default), saying how to get it
    back."""
    lines = len((entry.message.content if text is None else text).splitlines())
    where = f"at turn {entry.turn}"
    if entry.kind == "file_read" and entry.path:
        return f"[file {entry.path} read {where}: {lines} lines; read it again if needed]"
    if entry.kind == "file_written" and entry.path:
        return f"[result of {name} on {entry.path} {where}: the file is in the repository now; read it if needed]"
    if entry.kind == "retrieved" or entry.message.role == "user":
        return f"[context retrieved {where}: {lines} lines dropped; search again if needed]"
    if entry.kind == "search":
        return f"[{name} results {where}: {lines} lines dropped; search again if needed]"
    return f"[{entry.kind} of {name} {where}: {lines} lines dropped; run it again if needed]"


def drop_rederivable(entries: list[Entry], protect_from: int, measure: Measure, target: int,
                     count: Count) -> list[str]:
    """Stage 1: replace re-derivable content older than `protect_from` until under `target`, context retrieved
    for a user's message first. Only its tagged block goes: the user's words and a note before them stay (within
    a user's message it was never dropped, and alone it was kept while a note put in front of it was dropped).

    `newest_first` walks back from the protected turns: the provider's cache holds the prompt up
    to the first changed message, so changing the newest unprotected results first keeps the
    long old prefix cached and re-sends only what follows the change."""
    dropped: list[str] = []
    order = range(protect_from - 1, -1, -1) if NEWEST_FIRST else range(protect_from)
    blocks = {i: _retrieved_block(entries[i]) for i in order}
    for i in sorted(order, key=lambda i: blocks[i] is None):  # retrieved context first: `find`'s guesses
        if measure() <= target:
            break
        entry, block = entries[i], blocks[i]
        if entry.compacted:
            continue
        if entry.message.role == "assistant":
            wrote, thought = _shrink_arguments(entry), _shrink_reasoning(entry)
            if wrote or thought:  # an unchanged turn stays byte-identical: a cache breakpoint on it still hits
                entry.compacted, entry.tokens = True, 0
            if wrote:
                dropped.append(f"code written in turn {entry.turn}")
            if thought:
                dropped.append(f"reasoning of turn {entry.turn}")
            continue
        text = block.group(1) if block else entry.message.content
        if block is None and entry.kind not in REDERIVABLE or count(text) < MIN_DROP_TOKENS:
            continue
        ref = reference(entry, entry.message.name or "a tool", text)
        content = entry.message.content
        entry.message.content = f"{content[:block.start()]}{ref}{content[block.end():]}" if block else ref
        entry.compacted = True
        entry.tokens = 0
        dropped.append(ref)
    return dropped


def _shrink_arguments(entry: Entry) -> bool:
    """Replace long string arguments of an assistant's tool calls (code it wrote) with a reference."""
    changed = False
    for call in entry.message.tool_calls:
        args = _arguments(call)
        big = [key for key, value in args.items() if isinstance(value, str) and len(value) > BIG_ARGUMENT_CHARS]
        for key in big:
            args[key] = f"[{len(args[key].splitlines())} lines written at turn {entry.turn}; the repository holds them now]"
        if big:
            call.arguments = json.dumps(args, ensure_ascii=False)
            changed = True
    return changed


def _shrink_reasoning(entry: Entry) -> bool:
    """Replace the long reasoning of an old assistant turn with a stub: the model's thinking of a step long done,
    never cut before (a reasoning model's 10,000 tokens of it stayed in every request). Signed reasoning
    (Anthropic's) stays as it is: its signature covers the text."""
    long = [r for r in entry.message.reasoning if _cuttable(r) and len(r.text) > BIG_ARGUMENT_CHARS]
    for reasoning in long:
        reasoning.text = f"[{len(reasoning.text.splitlines())} lines of reasoning at turn {entry.turn} left out]"
    return bool(long)


def _cuttable(reasoning: Reasoning) -> bool:
    """Reasoning whose text may be changed: no signature covers it."""
    return not reasoning.signature and not reasoning.redacted


def summarise(entries: list[Entry], upto: int, summary: Summary) -> None:
    """Stage 2: fold entries[:upto] into `summary` (the caller removes them)."""
    later = entries[upto:]
    settle_open_items(summary, entries)
    label = _result_labels(entries)
    for entry in entries[:upto]:
        summary.first_turn = summary.first_turn or max(entry.turn, 1)
        summary.last_turn = max(summary.last_turn, entry.turn)
        msg = entry.message
        if msg.role == "user" and entry.kind == "user":
            summary.goal.append(_clip(entry.words if entry.words is not None else msg.content, 400))
        elif msg.role == "assistant":
            text = _first_sentence(msg.content)
            calls = ", ".join(_call_label(c) for c in msg.tool_calls)
            if text or calls:
                summary.decisions.append(_clip(f"turn {entry.turn}: {text}" + (f" [{calls}]" if calls else ""), 240))
        elif msg.role == "tool":
            _note_file(summary, entry)
            if entry.kind == "error":
                line = f"{label(entry)} at turn {entry.turn}: {_clip(msg.content.strip().splitlines()[0] if msg.content.strip() else '', 160)}"
                fixed = any(e.message.role == "tool" and e.kind != "error" and label(e) == label(entry) for e in later)
                (summary.errors_fixed if fixed else summary.open_items).append(line)
    for key in ("decisions", "errors_fixed", "open_items"):
        items = getattr(summary, key)
        del items[: max(0, len(items) - SUMMARY_LIMITS[key])]
    summary.goal = summary.goal[:1] + summary.goal[1:][-3:]


def settle_open_items(summary: Summary, entries: list[Entry]) -> None:
    """Errors left open by an earlier compaction count as fixed once the same call (tool and target: the command,
    the path) has succeeded since; by the tool alone, a failing pytest was fixed by a later `ls`."""
    label = _result_labels(entries)
    succeeded = {label(e) for e in entries if e.message.role == "tool" and e.kind != "error"}
    fixed = [item for item in summary.open_items if item.split(" at turn ", 1)[0] in succeeded]
    summary.open_items = [item for item in summary.open_items if item not in fixed]
    summary.errors_fixed += fixed


def _note_file(summary: Summary, entry: Entry) -> None:
    if not entry.path:
        return
    action = {"file_read": "read", "file_written": "edited"}.get(entry.kind, entry.kind)
    actions = summary.files.setdefault(entry.path, [])
    if action not in actions:
        actions.append(action)
    if len(summary.files) > SUMMARY_LIMITS["files"]:
        summary.files.pop(next(iter(summary.files)))


def _result_labels(entries: list[Entry]):  # type: ignore[no-untyped-def]
    """A function naming a tool result by the call that made it (`run_command python -m pytest`)."""
    calls = {call.id: call for entry in entries for call in entry.message.tool_calls}

    def label(entry: Entry) -> str:
        call = calls.get(entry.message.tool_call_id or "")
        return _call_label(call) if call is not None else entry.message.name or "tool"

    return label


def _call_label(call: ToolCall) -> str:
    args = _arguments(call)
    target = next((str(args[k]) for k in ("path", "command", "query", "symbol", "name") if k in args), "")
    return f"{call.name} {_clip(target, 60)}".strip()


def _first_sentence(text: str) -> str:
    text = re.sub(r"```.*?(```|\Z)", "", text, flags=re.DOTALL).strip()
    first = re.split(r"(?<=[.!?])\s|\n", text, maxsplit=1)[0] if text else ""
    return _clip(first, 180)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def truncate_to_fit(entries: list[Entry], measure: Measure, limit: int, count: Count) -> int:
    """Last resort: cut the largest messages (tool results, the user's, the model's own prose and reasoning) and
    string arguments of tool calls (head and tail kept) until the request fits `limit`. A call's arguments count
    too: a model that wrote a 5 MB file in one create_file call kept those megabytes in every later request, and
    nothing else could be cut to fit; so do a reply of 10 MB of prose, and arguments that are no JSON object (cut
    as written), and the newest turn's reasoning (signed reasoning excepted: its signature covers the text)."""
    cut: set[int] = set()
    pieces: list[tuple[int, Part]] = [(i, None) for i, e in enumerate(entries)
                                      if e.message.role in ("tool", "user", "assistant")]
    pieces += [(i, call) for i, e in enumerate(entries) for call in e.message.tool_calls]
    pieces += [(i, r) for i, e in enumerate(entries) for r in e.message.reasoning if _cuttable(r)]
    for i, call in sorted(pieces, key=lambda piece: -count(_piece(entries[piece[0]], piece[1]))):
        for _ in range(4):  # the chars-per-token estimate is rough: re-measure and cut again
            excess = measure() - limit
            if excess <= 0:
                return len(cut)
            text = _piece(entries[i], call)
            size = count(text)
            if size <= 64:
                break
            room = size - excess  # what this piece may keep; a twentieth of it spare, for the rough estimate (a
            keep_tokens = max(room - 64 - max(room, 0) // 20, 32)  # twentieth of the piece: 46 tokens of 600,000)
            keep_chars = max(int(len(text) * keep_tokens / size), 80)
            head, tail = text[: keep_chars // 2], text[-(keep_chars // 2):]
            _replace(entries[i], call, f"{head}\n[... about {size - keep_tokens} tokens cut to fit the context window ...]\n{tail}")
            entries[i].tokens = 0
            cut.add(i)
    return len(cut)


Part = ToolCall | Reasoning | None  # what of a message `truncate_to_fit` cuts: a call, reasoning, or its text


def _piece(entry: Entry, call: Part) -> str:
    """What `truncate_to_fit` may cut: a message's text, or its reasoning, or a call's longest string argument
    ("" if none), or its arguments as written when they are no JSON object."""
    if call is None:
        return entry.message.content
    if isinstance(call, Reasoning):
        return call.text
    if not isinstance(_parsed(call), dict):
        return call.arguments
    arguments = _arguments(call)
    key = _longest(arguments)
    return arguments[key] if key is not None else ""


def _replace(entry: Entry, call: Part, text: str) -> None:
    if call is None:
        entry.message.content = text
        return
    if isinstance(call, Reasoning):
        call.text = text
        return
    arguments = _parsed(call)
    if not isinstance(arguments, dict):  # kept as valid JSON, which every provider's request needs
        call.arguments = json.dumps({_AS_WRITTEN: text}, ensure_ascii=False)
        return
    call.arguments = json.dumps({**arguments, _longest(arguments): text}, ensure_ascii=False)


_AS_WRITTEN = "arguments_as_written"


def _longest(arguments: dict[str, Any]) -> str | None:
    """The key of the longest string argument (None where no argument is a string)."""
    return max((k for k, v in arguments.items() if isinstance(v, str)), key=lambda k: len(arguments[k]), default=None)


def _arguments(call: ToolCall) -> dict[str, Any]:
    """A call's arguments as an object ({} when the model wrote something else)."""
    arguments = _parsed(call)
    return arguments if isinstance(arguments, dict) else {}


def _parsed(call: ToolCall) -> Any:
    """A call's arguments read as JSON, None where they are none (nested past the limit too: a model's mistake,
    told to it already)."""
    try:
        return json.loads(call.arguments)
    except (ValueError, RecursionError):
        return None
