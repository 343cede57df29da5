"""The context engine: what the model sees each turn, laid out so prompt caches hit.

A request is built in this order (static first):

1. one system message, the *static prefix*: role, way of working, tool definitions (as
   text too when the model has no native tool calling, with the JSON tool-call format),
   output format, project facts, repository map. Byte-identical on every turn and marked
   as the first cache breakpoint.
2. the *session state* (ledger of side effects, plan, summary of compacted turns),
   rendered at the start of the history and frozen until turns are summarised, so it
   does not break the cache of the history behind it;
3. the history: user turns (the context retrieved for them, then their words), assistant
   turns, tool results, and *update notes*: when the plan changes or side effects are
   recorded, one note with the change is appended before the next call, so it is sent
   once and cached after (nothing volatile is re-sent every turn). The last message and
   the one marked on the previous turn are cache breakpoints.

When a request would not fit the budget (window minus the reply's reserve, minus a
margin for tokenizer drift), the history is compacted in one large step down to about
a third of the budget (see `compaction`), so the cache is rebuilt rarely, not every turn.
Ledger and plan are never lost: notes are not dropped, and summarising re-renders the
state block with everything recorded so far. The block takes at most a quarter of the
budget: past that, the oldest side effects are counted instead of listed (never a process
still running) and the summary's oldest items are left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from codewright.context import compaction
from codewright.context.compaction import CompactionInfo, Entry, Summary
from codewright.context.ledger import Ledger
from codewright.context.project import ProjectFacts, scan_project
from codewright.context.prompt import TOOL_CALL_FORMAT, render_static
from codewright.context.secrets import is_secret_path, redact, redact_json, redact_value
from codewright.errors import LimitReached
from codewright.gateway.types import Message, Reasoning, Request, ToolCall, ToolSpec
from codewright.tokens import MESSAGE_OVERHEAD, TokenCounter, count_tokens, window_for

__all__ = [
    "TOOL_CALL_FORMAT",
    "CompactionInfo",
    "ContextEngine",
    "Ledger",
    "ProjectFacts",
    "is_secret_path",
    "redact",
    "scan_project",
]

SCHEMA_VERSION = 2  # 2: a reply's text calls are kept out of its text (the engine writes them after it)
MARGIN = 0.1  # share of the window kept free for tokenizer differences between o200k and the provider's
EXACT_MARGIN = 0.02  # the same when the caller passed the provider's own counter
# Compaction goes deep: every compaction re-sends what it keeps uncached once, so a few deep steps
# cost less than many shallow ones (bench/context_cache_bench.py: 0.25-0.35 all give ~86% hits).
COMPACT_TO = 0.3  # after compacting, the request fills about this share of the budget
SUMMARISE_ABOVE = 0.5  # turns are summarised only when dropping re-derivable content left more than this
KEEP_WHOLE_GROUPS = 1  # the newest group (the call and the results the model is about to see) stays whole
KEEP_RECENT_GROUPS = 2  # the newest groups are never summarised
STATE_SHARE = 0.25  # the session state (ledger, plan, summary) takes at most this share of the budget
OVERFLOW_SHRINK = 0.2  # a prompt the provider refused as too long: the next is at least this share smaller


class ContextEngine:
    """Holds one session's conversation and builds each model request from it.

    The agent drives it: `add_user` / `set_retrieved` for the user's turn, `build` before
    each model call, `add_assistant` with the reply, `add_tool_result` per tool call,
    `set_plan` when the plan changes, `ledger.record(...)` for side effects. After
    `build`, `last_compaction` is the compaction that build did (None when it did none).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        system: str,
        tools: list[ToolSpec],
        window: int,
        facts: ProjectFacts,
        repo_map: str,
        native_tools: bool = True,
        count_tokens: TokenCounter | None = None,
        ledger: Ledger | None = None,
        reserve_output: int | None = None,
        allow_secrets: bool = False,
    ) -> None:
        self.root = Path(root)
        self.system = system
        self.tools = list(tools)
        self.window = window
        self.facts = facts
        self.repo_map = repo_map
        self.native_tools = native_tools
        self.count = count_tokens or _count
        self.margin = EXACT_MARGIN if count_tokens else MARGIN
        self.ledger = ledger if ledger is not None else Ledger()
        self.reserve_output = reserve_output if reserve_output is not None else min(8192, max(window // 8, 256))
        self.allow_secrets = allow_secrets
        self.plan = ""
        self.history: list[Entry] = []
        self.summary = Summary()
        self.turn = 0
        self.compactions = 0
        self.last_compaction: CompactionInfo | None = None
        self._snapshot: tuple[int, str] | None = None  # (ledger length, plan) frozen into the state block
        self._shown: tuple[int, str] = (0, "")  # (ledger length, plan) the model has seen, in state or notes
        self._sent = 0  # history entries included in the last request
        self._state: tuple[Any, str] = (None, "")  # the state block rendered, and what it was rendered from
        self._pending_retrieved: str | None = None
        self._deferred: list[str | list[str]] = []  # messages waiting for tool results: text, or [text, kind]
        self._written: dict[int, tuple[Entry, str]] = {}  # entries marked as breakpoints: prefix digest then
        # the project's own files quote what they hold: a token in a requirements URL, a password in AGENTS.md
        self._static = render_static(system, self.tools, native_tools, redact(facts.render()), repo_map)
        self._static_tokens = self.count(self._static) + MESSAGE_OVERHEAD
        self._tool_tokens = self.count(_tools_json(self.tools)) if native_tools else 0

    # ----- the conversation -----

    @property
    def static_prefix(self) -> str:
        """The system message text: identical on every turn of the session."""
        return self._static

    def set_plan(self, plan: str | list[dict[str, Any]]) -> None:
        """The current plan, as text or as steps `[{"step": ..., "status": ...}]`."""
        if isinstance(plan, str):
            self.plan = plan.strip()
        else:
            self.plan = "\n".join(f"{i}. [{s.get('status', 'pending')}] {s.get('step', '')}"
                                  for i, s in enumerate(plan, 1))

    def set_retrieved(self, text: str) -> None:
        """Context retrieved for the current user turn. It is stored before the user's words (in the
        history, so it stays cached for the turn's model calls) and dropped first by compaction."""
        self._pending_retrieved = self._clean(text.strip()) or None

    def add_user(self, text: str, *, kind: str = "user") -> None:
        """The user's words, or with kind "note" the agent's own note to the model (go on, a call that could not
        be read): a note is no goal of the user's when turns are summarised, and it pushed the user's later
        requests out of the summary. While the last assistant turn still has unanswered tool calls, the message
        waits until they are answered: a call and its results stay adjacent."""
        if self._unanswered():
            self._deferred.append(text if kind == "user" else [text, kind])
            return
        retrieved, self._pending_retrieved = self._pending_retrieved, None
        if retrieved:
            content = f"{compaction.wrap_retrieved(retrieved)}\n\n{text}"
            self._append(Entry(Message("user", content), self.turn + 1, kind, words=text))
        else:
            self._append(Entry(Message("user", text), self.turn + 1, kind))

    def add_assistant(self, message: Message) -> None:
        """The model's reply. A call whose id the history holds already, or an empty one, gets a fresh id, set on
        `message`'s calls themselves so the caller answers them by it: results are paired with calls by id, and
        servers repeat ids (Ollama's calls are call_0 every turn; some number a reply's calls alike). Two calls
        of one id let a waiting note in between their results, and a failing pytest was summarised as fixed by
        a later read_file of the same id."""
        self.turn += 1
        self.ledger.turn = self.turn
        taken = {c.id for e in self.history for c in e.message.tool_calls}
        for call in message.tool_calls:
            call.id = _fresh_id(call.id, taken)
            taken.add(call.id)
        calls = [ToolCall(c.id, c.name, c.arguments, c.extra_content) for c in message.tool_calls]
        reasoning = [Reasoning(r.text, r.signature, r.redacted) for r in message.reasoning]  # compaction cuts its own
        copy = Message("assistant", message.content, calls, reasoning=reasoning)
        self._append(Entry(copy, self.turn, "assistant"))

    def add_tool_result(self, call: ToolCall, content: str, *, kind: str = "output", path: str | None = None) -> None:
        """The result of `call`. `kind` says what compaction may re-derive: file_read, file_written, search,
        listing, lookup and output are replaced by a reference when space runs out; error is summarised."""
        message = Message("tool", self._clean(content), tool_call_id=call.id, name=call.name)
        self._append(Entry(message, self.turn, kind, path=path))
        if self._deferred and not self._unanswered():
            deferred, self._deferred = self._deferred, []
            for item in deferred:
                text, kind = (item, "user") if isinstance(item, str) else item
                self.add_user(text, kind=kind)

    def _unanswered(self) -> set[str]:
        """Ids of the last assistant turn's tool calls that have no result yet."""
        for i in range(len(self.history) - 1, -1, -1):
            msg = self.history[i].message
            if msg.role == "assistant":
                answered = {e.message.tool_call_id for e in self.history[i + 1:]}
                return {c.id for c in msg.tool_calls} - answered
            if msg.role != "tool":
                return set()
        return set()

    def _append(self, entry: Entry) -> None:
        entry.tokens = self._entry_tokens(entry)
        self.history.append(entry)

    def _clean(self, text: str) -> str:
        return text if self.allow_secrets else redact(text)

    # ----- building a request -----

    def budget(self, model: str = "") -> int:
        """Most prompt tokens a request to `model` may carry: window minus reply reserve and margin."""
        window = window_for(model, self.window) if model else self.window
        return int(window * (1 - self.margin)) - self.reserve_output

    def shrink_window(self, model: str) -> None:
        """The provider refused the last request as too long (its tokenizer or window differ from ours): the window
        becomes one whose budget is a fifth under what that request measured, so the next build compacts it. A
        window cut by a fifth of itself could still hold the refused prompt, sent again unchanged."""
        target = int(self.measure() * (1 - OVERFLOW_SHRINK))
        fitting = int((target + self.reserve_output) / (1 - self.margin))
        self.window = min(fitting, int(window_for(model, self.window) * (1 - OVERFLOW_SHRINK)))

    def build(self, model: str, **request_fields: Any) -> Request:
        """The request for the next model call; compacts first when it would not fit the budget."""
        self.last_compaction = None
        if self._snapshot is None:
            self._snapshot = self._shown = (len(self.ledger), self.plan)
        if self._pending_retrieved and self.history and self.history[-1].message.role != "user":
            self._append(Entry(Message("user", compaction.wrap_retrieved(self._pending_retrieved)), self.turn,
                               "retrieved"))
            self._pending_retrieved = None
        self._note_updates()
        budget = self.budget(model)
        if self.measure() > budget:
            self._compact(budget)
        request_fields.setdefault("max_tokens", self.reserve_output)
        messages = self._messages()
        self._sent = len(self.history)
        return Request(messages, model=model, tools=self.tools if self.native_tools else [], **request_fields)

    def measure(self) -> int:
        """Estimated prompt tokens of the request `build` would make now."""
        return (self._static_tokens + self._tool_tokens + self._state_tokens()
                + sum(e.tokens or self._retoken(e) for e in self.history))

    def _note_updates(self) -> None:
        """Plan changes and new side effects enter the history once, as a note, so they are cached from
        then on (a volatile block re-sent every turn would cost its tokens uncached each time). A user
        message not yet sent gets the note in front of its words, which stay last."""
        ledger_len, plan = self._shown
        parts = []
        if self.plan != plan:
            parts.append("## Plan (current)\n" + (self.plan or "(cleared)"))
        if len(self.ledger) > ledger_len:
            parts.append("## New side effects\n" + self.ledger.render(ledger_len))
        if not parts:
            return
        self._shown = (len(self.ledger), self.plan)
        note = "# Updates\n" + "\n\n".join(parts)
        last = self.history[-1] if self.history else None
        if last is not None and last.message.role == "user" and len(self.history) > self._sent:
            last.words = last.words if last.words is not None else last.message.content
            last.message.content = f"{note}\n\n{last.message.content}"
            last.tokens = 0
        else:
            self._append(Entry(Message("user", note), self.turn, "note"))

    def _messages(self) -> list[Message]:
        history = [_copy(e.message) for e in self.history]
        offset = 0
        state = self._state_text()
        if state:
            if history and history[0].role == "user":
                history[0].content = f"{state}\n\n{history[0].content}"
            else:
                history.insert(0, Message("user", state))
                offset = 1
        self._mark_breakpoints(history, offset)
        if not self.native_tools:
            history = _as_text_conversation(history)
        return [Message("system", self._static, cache_breakpoint=True), *history]

    def _mark_breakpoints(self, history: list[Message], offset: int) -> None:
        """Cache breakpoints for providers that only hit a prefix ending at a breakpoint both requests
        mark (Anthropic). Written now: the last message, and the newest call (its results are what
        the next compaction drops first). Read now: the newest message marked by an earlier request
        whose whole prefix is still byte-identical (the last turn's end; after a compaction, the
        point where the history first changed). With the system message, four at most."""
        if not self.history:
            return
        digests, running = [], hashlib.sha1()
        for message in history[offset:]:
            running.update(repr((message.role, message.content, [(c.id, c.name, c.arguments)
                                                                  for c in message.tool_calls])).encode())
            digests.append(running.hexdigest())
        read = next((i for i in range(len(self.history) - 1, -1, -1)
                     if self._written.get(id(self.history[i]), (None, ""))[1] == digests[i]), None)
        newest = compaction.groups(self.history)[-1]
        marks = {len(self.history) - 1} | ({newest[0]} if len(newest) > 1 else set())
        for index in marks | ({read} if read is not None else set()):
            history[offset + index].cache_breakpoint = True
        live = {id(e) for e in self.history}
        self._written = {k: v for k, v in self._written.items() if k in live}
        for index in marks:
            self._written[id(self.history[index])] = (self.history[index], digests[index])

    def _state_text(self) -> str:
        """The session-state block, in at most `STATE_SHARE` of the budget: the ledger only grows and the summary's
        items are clipped in characters, so unbounded they filled the window and a long session ended in a limit
        blamed on the system prompt. The plan stays whole; the ledger gets at least half of what remains."""
        if self._snapshot is None:
            return ""
        key = (self._snapshot, self.window, repr(self.summary))
        if self._state[0] != key:
            self._state = (key, self._render_state(*self._snapshot, int(max(self.budget(), 0) * STATE_SHARE)))
        return self._state[1]

    def _render_state(self, ledger_len: int, plan: str, tokens: int) -> str:
        plan_part = "## Plan\n" + plan if plan else ""
        summary = "" if self.summary.empty() else "## Earlier turns\n" + self.summary.render()
        room = tokens - self.count(plan_part)
        ledger = ""
        if ledger_len:
            rendered = Ledger(self.ledger.entries[:ledger_len]).render_within(
                max(room - self.count(summary), room // 2), self.count)
            ledger = "## Side effects so far (ledger; kept across compaction)\n" + rendered
        if summary:
            summary = "## Earlier turns\n" + self.summary.render_within(room - self.count(ledger), self.count)
        parts = [part for part in (ledger, plan_part, summary) if part]
        return "# Session state\n" + "\n\n".join(parts) if parts else ""

    def _state_tokens(self) -> int:
        state = self._state_text()
        return self.count(state) + MESSAGE_OVERHEAD if state else 0

    def _entry_tokens(self, entry: Entry) -> int:
        msg = entry.message
        calls = sum(self.count(_wire_call(c)) for c in msg.tool_calls)
        reasoning = sum(self.count(r.text) for r in msg.reasoning)
        return MESSAGE_OVERHEAD + self.count(msg.content) + calls + reasoning

    def _retoken(self, entry: Entry) -> int:
        entry.tokens = self._entry_tokens(entry)
        return entry.tokens

    # ----- compaction -----

    def _compact(self, budget: int) -> None:
        before = self.measure()
        target = int(budget * COMPACT_TO)
        info = CompactionInfo(turn=self.turn, tokens_before=before, tokens_after=before)
        protect = self._protect_from(KEEP_WHOLE_GROUPS)
        info.dropped = compaction.drop_rederivable(self.history, protect, self.measure, target, self.count)
        if self.measure() > budget * SUMMARISE_ABOVE:
            # the front of the history changes anyway: re-render the state block, notes folded in
            self._snapshot = self._shown = (len(self.ledger), self.plan)
            info.summarised_turns = self._summarise(target)
            compaction.settle_open_items(self.summary, self.history)
        if self.measure() > budget:
            info.truncated = compaction.truncate_to_fit(self.history, self.measure, budget, self.count)
        info.tokens_after = self.measure()
        if info.tokens_after > budget:
            static = self._static_tokens + self._tool_tokens
            why = ("the system prompt, tools and repository map alone are too large for this model" if static > budget
                   else f"compaction cut all it could (the system prompt, tools and repository map take {static}, "
                        f"the session state {self._state_tokens()})")
            raise LimitReached(f"the prompt needs {info.tokens_after} tokens but the window allows {budget}: {why}")
        self.compactions += 1
        self.last_compaction = info

    def _protect_from(self, groups: int) -> int:
        """Where the history compaction may not touch begins: the newest `groups` groups, and always the model's
        latest turn with its results, which it has not seen yet. An `# Updates` note or a user message queued
        after them is a group of its own, and the results it followed were dropped first: the model was asked
        to read again what it had just read."""
        spans = compaction.groups(self.history)
        keep = spans[-groups:] if spans else []
        start = keep[0][0] if keep else len(self.history)
        latest = next((i for i in range(len(self.history) - 1, -1, -1)
                       if self.history[i].message.role == "assistant"), None)
        if latest is not None:
            start = min(start, next((span[0] for span in spans if latest in span), latest))
        return start

    def _summarise(self, target: int) -> int:
        """Fold whole groups, oldest first, until under target; the newest groups always stay."""
        spans = compaction.groups(self.history)
        cut = 0
        size = self.measure()
        for span in spans[:-KEEP_RECENT_GROUPS]:
            if size <= target:
                break
            size -= sum(self.history[i].tokens for i in span)
            cut = span[-1] + 1
        if not cut:
            return 0
        turns = {e.turn for e in self.history[:cut]}
        compaction.summarise(self.history, cut, self.summary)
        del self.history[:cut]
        return len(turns)

    # ----- persistence -----

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-ready data; message text is redacted for storage."""
        history = []
        for entry in self.history:
            data = entry.to_dict()
            data["message"]["content"] = redact(data["message"]["content"])
            if data.get("words"):
                data["words"] = redact(data["words"])
            for call in data["message"]["tool_calls"]:
                call["arguments"] = redact_json(call["arguments"])
            history.append(data)
        return {
            "version": SCHEMA_VERSION,
            "root": str(self.root),
            "system": self.system,
            "tools": [asdict(t) for t in self.tools],
            "window": self.window,
            "facts": redact_value(self.facts.to_dict()),
            "repo_map": self.repo_map,
            "native_tools": self.native_tools,
            "reserve_output": self.reserve_output,
            "plan": redact(self.plan),
            "history": history,
            "summary": redact_value(asdict(self.summary)),  # the user's words are its goals
            "ledger": redact_value(self.ledger.to_dict()),  # commands and values: a token in an export
            "turn": self.turn,
            "compactions": self.compactions,
            "snapshot": [self._snapshot[0], redact(self._snapshot[1])] if self._snapshot else None,
            "shown": [self._shown[0], redact(self._shown[1])],  # (ledger length, plan)
            "sent": self._sent,
            "pending_retrieved": redact(self._pending_retrieved) if self._pending_retrieved else None,
            "deferred": [redact(t) if isinstance(t, str) else [redact(t[0]), t[1]] for t in self._deferred],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], root: str | Path | None = None,
                  reply_prose: Callable[[str], str] | None = None, **overrides: Any) -> ContextEngine:
        """Rebuild a saved engine. Keyword `overrides` (system, tools, window, facts, repo_map, native_tools,
        count_tokens, ...) replace the saved static inputs, e.g. a fresh repository map on resume.

        `reply_prose` is the agent's text-call parser (a reply's text less the blocks read as calls): a version-1
        state of a model without native tool calls kept those blocks in its replies, and the engine writes the
        calls after the text, so a resumed session showed each call twice. The agent passes it, not imported
        here: the engine is a foundation and knows no agent."""
        for key, kind in _SAVED_TYPES.items():  # a wrong type failed later, mid-run, as a traceback
            if not isinstance(data[key], kind) or isinstance(data[key], bool) and kind is not bool:
                raise TypeError(f"context.{key} is {type(data[key]).__name__}, not {getattr(kind, '__name__', kind)}")
        args: dict[str, Any] = {
            "system": data["system"],
            "tools": [ToolSpec(**t) for t in data["tools"]],
            "window": data["window"],
            "facts": ProjectFacts.from_dict(data["facts"]),
            "repo_map": data["repo_map"],
            "native_tools": data["native_tools"],
            "reserve_output": data["reserve_output"],
            **overrides,
        }
        engine = cls(root if root is not None else data["root"], ledger=Ledger.from_dict(data["ledger"]), **args)
        engine.plan = data["plan"]
        engine.summary = Summary(**data["summary"])
        engine.turn = data["turn"]
        engine.compactions = data["compactions"]
        engine._snapshot = tuple(data["snapshot"]) if data["snapshot"] else None  # type: ignore[assignment]
        engine._pending_retrieved = data["pending_retrieved"]
        engine._shown = tuple(data["shown"])  # type: ignore[assignment]
        engine._sent = data["sent"]
        engine._deferred = list(data.get("deferred", []))
        old_text_calls = data.get("version", 1) < 2 and not data["native_tools"]
        for item in data["history"]:
            entry = Entry.from_dict(item)
            if old_text_calls and reply_prose and entry.message.role == "assistant" and entry.message.tool_calls:
                entry.message.content = reply_prose(entry.message.content)
            engine._append(entry)
        return engine


_SAVED_TYPES: dict[str, type | tuple[type, ...]] = {
    "system": str, "tools": list, "window": int, "facts": dict, "repo_map": str, "native_tools": bool,
    "reserve_output": int, "ledger": dict, "plan": str, "summary": dict, "turn": int, "compactions": int,
    "snapshot": (list, type(None)), "pending_retrieved": (str, type(None)), "shown": list, "sent": int,
    "history": list}


def _count(text: str) -> int:
    return count_tokens(text)


def _fresh_id(call_id: str, taken: set[str]) -> str:
    """`call_id` itself, or when it is empty or taken the first of `call_id-2`, `call_id-3`, ... that is not."""
    if call_id and call_id not in taken:
        return call_id
    base, n = call_id or "call", 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _wire_call(call: ToolCall) -> str:
    """A call as providers put it on the wire (arguments JSON-escaped inside JSON): what it costs."""
    return json.dumps({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}})


def _tools_json(tools: list[ToolSpec]) -> str:
    return json.dumps([{"type": "function", "function": asdict(t)} for t in tools], sort_keys=True)


def _copy(message: Message) -> Message:
    return Message(message.role, message.content, list(message.tool_calls), message.tool_call_id, message.name,
                   list(message.reasoning))


def _as_text_conversation(messages: list[Message]) -> list[Message]:
    """For models without native tool calling: calls go after the assistant's text in the prompt's JSON format
    (the agent keeps its text without the blocks it read them from), and consecutive tool results become one
    user message."""
    out: list[Message] = []
    for msg in messages:
        if msg.role == "assistant":
            content = msg.content
            if msg.tool_calls:
                calls = [{"name": c.name, "arguments": _loads(c.arguments)} for c in msg.tool_calls]
                block = json.dumps({"tool_calls": calls}, ensure_ascii=False)
                content = f"{content}\n```json\n{block}\n```".lstrip()
            out.append(Message("assistant", content, reasoning=list(msg.reasoning),
                               cache_breakpoint=msg.cache_breakpoint))
        elif msg.role == "tool":
            block = f"Tool result (call {msg.tool_call_id}, {msg.name}):\n{msg.content}"
            if out and out[-1].role == "user" and out[-1].content.startswith("Tool result"):
                out[-1].content += "\n\n" + block
                out[-1].cache_breakpoint |= msg.cache_breakpoint
            else:
                out.append(Message("user", block, cache_breakpoint=msg.cache_breakpoint))
        else:
            out.append(msg)
    return out


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text
