"""The agent loop: ask the model, run the tools it calls, feed back what happened, until done.

One `Agent` drives one session. Each step builds the request from the context engine,
streams the model's answer, and runs every tool call it holds (`plan` is the loop's own;
the rest go to the toolbox, which asks for permission through `approve`).
Failures (a malformed call, an edit that did not apply, a failing test) go back to the
model as the tool's result, with the precise message: the run goes on. It stops on
`finish`, on a limit (exit 3), when stuck, or on Ctrl-C (exit 130), and after every step
the session is saved and the files are checkpointed, so `--resume` and `undo` work from
any point.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

from codewright.agent import events as ev
from codewright.agent.checkpoint import BEFORE_STEP, Checkpoint, ShadowRepo
from codewright.agent.emitter import Emitter
from codewright.agent.interrupts import held
from codewright.agent.prompt import PLAN_TOOL
from codewright.agent.stuck import StuckDetector
from codewright.agent.toolcalls import BadToolCall, from_text, parse_arguments, plan_steps
from codewright.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LIMIT,
    EXIT_OK,
    CodewrightError,
    LimitReached,
    Stopped,
)
from codewright.gateway.deadline import deadline_at
from codewright.gateway.errors import ContextOverflow, StreamInterrupted
from codewright.gateway.types import Completed, ReasoningDelta, Response, TextDelta, ToolCall, ToolCallDelta
from codewright.tools.files import shown_path

NUDGE = "You replied without a tool call. If the task is complete, call `finish`; otherwise continue with a tool."
EMPTY_CHAT = "Your reply was empty. Answer the user, or continue with a tool."
REPEATED = ("This error has come back before: the last approach did not work. Re-read the relevant code "
            "and try something different (a third time ends the run as stuck).")
TRIED_CHARS = 160
MAX_TRIED = 6
RESUMED = "The session {ended} and is now resumed: continue the task where you left off."
CUT_OFF = ("Your reply was cut off at the output limit, so nothing in it was run (a reply that repeats itself "
           "runs into the limit). Reply again, shorter: one tool call.")
MAX_CUT_OFF = 3  # replies cut off in a row before the attempt counts as stuck
MAX_OUTSIDE = 20  # files named in a note on what changed outside the agent: while it was stopped, between turns, steps
BETWEEN_TURNS = "since your last turn, files changed outside the session"  # the leads of the last three
SINCE_STEP = "since your last step, files changed outside the agent"
DURING_REPLY = "while you wrote your last reply, files changed outside the agent"
STREAM_RETRIES = 2  # a reply whose stream broke off is asked for again this many times
OVERFLOW_RETRIES = 5  # a prompt the provider refused as too long is compacted and sent again this many times


@dataclass
class Limits:
    max_steps: int | None = None
    max_seconds: float | None = None
    budget: float | None = None  # USD
    attempts: int = 2  # a task run that goes wrong starts afresh until this many attempts were made


@dataclass
class Outcome:
    outcome: str  # done | limit | stuck | interrupted | failed | replied
    reason: str
    exit_code: int


@dataclass
class Totals:
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0  # a state saved before it was counted reads 0
    cost: float = 0.0
    seconds: float = 0.0
    estimated_calls: int = 0  # of `steps`, those whose usage was estimated (the server reported none); saved before: 0

    def __post_init__(self) -> None:
        """Totals read back from a saved state are numbers, or the state is unreadable (TypeError)."""
        for name, value in self.__dict__.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"totals.{name} is {type(value).__name__}, not a number")

    def add(self, response: Response) -> None:
        self.steps += 1
        self.input_tokens += response.usage.input_tokens
        self.output_tokens += response.usage.output_tokens
        self.cache_read_tokens += response.usage.cache_read_tokens
        self.cache_write_tokens += response.usage.cache_write_tokens
        self.cost += response.cost
        self.estimated_calls += response.estimated


@dataclass
class _Start:
    """Where a task run began: the files' checkpoint and the conversation before the task."""

    commit: str
    task: str
    snapshot: Any

    @classmethod
    def take(cls, agent: Agent, task: str) -> _Start | None:
        commit = agent.shadow.head()
        if commit is None:
            return None
        ledger = agent.engine.ledger  # shared with the toolbox: side effects outlive an attempt
        return cls(commit, task, copy.deepcopy(agent.engine, {id(ledger): ledger}))

    def engine(self) -> Any:
        ledger = self.snapshot.ledger
        return copy.deepcopy(self.snapshot, {id(ledger): ledger})


@dataclass
class _Turn:
    """Bookkeeping of the step in flight, so an interruption can answer every call it made."""

    calls: list[ToolCall] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    current: ToolCall | None = None
    approval: bool | None = None  # what the user answered for the current call, if asked


class Agent:
    def __init__(
        self,
        *,
        session: str,
        model: str,
        gateway: Any,
        engine: Any,
        toolbox: Any,
        emit: Emitter,
        store: Any,
        shadow: ShadowRepo,
        native_tools: bool,
        limits: Limits | None = None,
        chat: bool = False,
        totals: Totals | None = None,
        stuck: StuckDetector | None = None,
        mode: str = "ask",
    ) -> None:
        self.session = session
        self.model = model
        self.gateway = gateway
        self.engine = engine
        self.toolbox = toolbox
        self.emit = emit
        self.store = store
        self.shadow = shadow
        self.native_tools = native_tools
        self.limits = limits or Limits()
        self.chat = chat
        self.totals = totals or Totals()
        self.stuck = stuck or StuckDetector()
        self.plan: list[ev.PlanStep] = []
        self.specs = {spec.name: spec for spec in engine.tools}  # the runner chose them for this model
        self._turn = _Turn()
        self._steps_here = 0  # model calls in the current `run`, across its attempts
        self._deadline = float("inf")  # monotonic time at which limits.max_seconds is reached
        self._base = (0.0, 0.0)  # the session's seconds and cost when this invocation began
        self._attempts = 1
        self._attempt_paths: set[str] = set()  # what this attempt's steps changed, undone by a restart
        self._tried: list[str] = []  # the current attempt's writes, for the next one's note
        self._seen: str | None = None  # the checkpoint (or tree) of the files as the model knows them (`mark_seen`)
        self._unchecked = False  # a step that may change files ran since the agent's last checkpoint (`_finish`)
        self._before: list[str] = []  # the checkpoints that step made before its own: the user's edits, ignored files

    @staticmethod
    def tool_specs(toolbox: Any, mode: str, commands: bool = True) -> list:
        """The toolbox's tools plus the loop's own `plan`: only the read tools in plan mode, and none
        that runs a command without `commands` (a tool refused at every call costs a step per try)."""
        accesses = ("read",) if mode == "plan" else ("read", "write", "command") if commands else ("read", "write")
        return [PLAN_TOOL, *(spec for spec in toolbox.specs() if toolbox.access(spec.name) in accesses)]

    # ------------------------------------------------------------------ running

    def _retrieve(self, text: str) -> None:
        """Put the code `find` ranks highest for this message beside it, so the model starts from it."""
        index = getattr(self.toolbox, "index", None)
        if index is None:
            return
        from codewright.retrieve.find import find
        from codewright.retrieve.snippets import render

        retrieved = render(index.root, index.conn, find(index, text, k=5))
        if self.totals.steps == 0 and not self.chat:
            retrieved = "\n\n".join(filter(None, [retrieved, self._reproduce(index.conn, text)]))
        if retrieved:
            self.engine.set_retrieved(retrieved)

    def _reproduce(self, conn: Any, text: str) -> str:
        """Run the tests the task names first (see agent/reproduce.py), as events like any tool call."""
        from codewright.agent import reproduce

        tests = reproduce.runnable_tests(self.toolbox, conn, text)
        if not tests:
            return ""
        call_id, arguments = "reproduce-1", reproduce.arguments(self.toolbox, tests)
        self.emit(ev.ToolCallRequested(call_id=call_id, name="run_tests", arguments=json.dumps(arguments)))
        self.emit(ev.ToolCallApproved(call_id=call_id, name="run_tests", by="mode"))
        started = time.monotonic()
        with self._limited():  # a failure marks the run unverified (tools/terminal.py)
            result = self.toolbox.call("run_tests", arguments)
        if not result.ok and "exit_code" in result.meta:
            self.toolbox.watch(arguments)  # and they are rerun after every edit (tools/toolbox.py)
        self.emit(ev.ToolCallFinished(call_id=call_id, name="run_tests", ok=result.ok, kind=result.kind,
                                      output=result.content[:4000], duration_s=round(time.monotonic() - started, 3)))
        self._seen = self.shadow.tree()  # what the tests wrote is the agent's doing, no change outside it to tell of
        return reproduce.report(result)

    def run(self, user_text: str) -> Outcome:
        """Carry out one user message: steps until finish (run) or a prose reply (chat), or a stop.

        A task run that ends stuck, or finished with its tests failing, gets a fresh attempt while
        `limits.attempts` allows (see `_restart`)."""
        started, base_seconds = time.monotonic(), self.totals.seconds
        self._base = (base_seconds, self.totals.cost)  # limits count from this invocation's start, as documented
        self._steps_here = 0
        if self.limits.max_seconds is not None:  # also checked while a reply streams (see `_stream`)
            self._deadline = started + self.limits.max_seconds
        stopped: Stopped | None = None
        added = False
        try:  # the tests a task names run first (`_retrieve`): a stop there is an interruption too
            if self.chat:
                self._tell_changed_outside(BETWEEN_TURNS)
            self._retrieve(user_text)
            start = _Start.take(self, user_text) if not self.chat and self.totals.steps == 0 else None
            self.engine.add_user(user_text)
            added = True
            outcome = self._attempt(started, base_seconds)
            while start is not None and self._attempts < self.limits.attempts and self._went_wrong(outcome):
                self._restart(start, outcome)
                outcome = self._attempt(started, base_seconds)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (`Stopped`)
            stopped = exc if isinstance(exc, Stopped) else None
            by = str(exc) if stopped else "the user"
            self._answer_unanswered(f"interrupted by {by} before this call finished")
            if not added:  # saved with the task, so a resumed session knows what it is for
                self.engine.add_user(user_text)
            outcome = Outcome("interrupted", f"interrupted by {by}" + ("" if stopped else " (Ctrl-C)"), EXIT_INTERRUPTED)
        self.totals.seconds = base_seconds + time.monotonic() - started
        outcome = self._finish(outcome)
        if stopped is not None:
            raise stopped  # wound up and saved; the process is to end, not a chat to read on
        return outcome

    def _attempt(self, started: float, base_seconds: float) -> Outcome:
        """Model calls and their tools until an outcome: finish, a limit, stuck, a failed model, a reply."""
        nudged, cut_off = False, 0
        while True:
            self.totals.seconds = base_seconds + time.monotonic() - started
            limit = self._limit_reached(self._steps_here)
            if limit:
                return Outcome("limit", limit, EXIT_LIMIT)
            self._steps_here += 1
            if self._steps_here > 1:  # the first: told at the turn's start (chat) or the session's (a resume)
                self._tell_changed_outside(SINCE_STEP)
            try:
                response = self._model_step()
            except LimitReached as exc:  # the window, the gateway's own budget, or the time limit mid-reply
                return Outcome("limit", str(exc), EXIT_LIMIT)
            except CodewrightError as exc:  # no deployment could answer: saved, resumable
                self.emit(ev.ErrorEvent(kind="model", message=str(exc), recoverable=False))
                # exit 2 where none can be used (a key every one refused), the setup's fault as a key not set is
                return Outcome("failed", f"the model call failed: {exc}", exc.exit_code)
            calls, errors = self._calls_of(response)
            if response.finish_reason == "length" and (calls or errors or not self.chat):
                cut_off += 1
                self._refuse_cut_off(calls)
                if cut_off == MAX_CUT_OFF:
                    return Outcome("stuck", f"the model's reply was cut off at the output limit {cut_off} times "
                                            "in a row", EXIT_FAILED)
                continue
            cut_off = 0
            if not calls and not errors:
                said = bool(response.text.strip())
                if nudged and not said:  # nothing done, nothing said: no success
                    return Outcome("failed", "the model replied with nothing, no text and no tool call, even after "
                                             "being asked to go on or finish", EXIT_FAILED)
                if (self.chat and said) or nudged:
                    self.emit(ev.AssistantMessage(text=response.text))
                    return Outcome("replied" if self.chat else "done", "the model ended its turn", EXIT_OK)
                nudged = True  # a chat's empty reply too: it ended the turn with nothing shown
                self.engine.add_user(EMPTY_CHAT if self.chat else NUDGE, kind="note")
                self._save()
                continue
            nudged = False
            changing = any(self._may_change_files(call.name) for call in calls)
            if changing:  # the user's edits made while the model thought are theirs, not the step's
                self._tell_changed_outside(DURING_REPLY)  # after the step's results: the engine holds it back
                step = self.totals.steps  # the reply's model call is counted
                before = self.shadow.checkpoint(f"{self.session}: {BEFORE_STEP} {step}")
                self._unchecked, self._before = True, [before.commit] if before else []
            outcome = self._run_calls(calls, errors)
            if outcome:
                return outcome
            if changing:
                self._step_checkpoint(f"after step {self.totals.steps}", counted=True)
            self._save()

    def _went_wrong(self, outcome: Outcome) -> bool:
        """Stuck, or done although the tests failed at the finish check and still fail."""
        if outcome.outcome == "stuck":
            return True
        return outcome.outcome == "done" and self.toolbox.failing_at_finish()

    def _restart(self, start: _Start, outcome: Outcome) -> None:
        """Undo the attempt's file changes and begin again from the task, told what the failed attempt did.

        A model that went wrong keeps seeing its own wrong edits and repeats them (with greedy
        decoding, word for word). A fresh context holding only the task and a short account of
        what did not work is what makes it choose differently; the files go back so the new
        attempt does not build on the broken ones. The step and time limits cover all attempts.

        The files are checkpointed only where the attempt ended in a step that may change files (a call stuck after
        an edit, an edit and `finish` in one reply), and that step's changes are the attempt's, undone with the rest.
        What changed after the last step's checkpoint otherwise, while the model wrote its last reply, is the user's:
        a checkpoint of it took the step's changes for the user's and kept them, or held those edits alone, which
        `undo` past it threw away unnamed; it stays out of the restore's checkpoint too (`restore_paths`).
        """
        self._attempts += 1
        if self._unchecked:
            self._step_checkpoint(f"attempt {self._attempts - 1}: {outcome.outcome}", counted=True)
        restored = self.shadow.restore_paths(start.commit, sorted(self._attempt_paths),
                                             f"{self.session}: attempt {self._attempts - 1} undone")
        self._attempt_paths = set()
        why = _went_wrong_how(outcome)
        self.emit(ev.AttemptRestarted(attempt=self._attempts, reason=why,
                                      files=[path for path, _ in restored.changes], unrestored=restored.unrestored))
        for path, change in restored.changes:
            self.emit(ev.FileChanged(path=path, change=change))
        note = _retry_note(self._attempts - 1, why, self._tried, restored.unrestored)
        self.engine = start.engine()
        self.engine.add_user(f"{start.task}\n\n{note}")
        self.toolbox.new_attempt()
        self.stuck, self.plan, self._tried = StuckDetector(), [], []
        self.mark_seen()  # the fresh context knows no file: what differs from the restore is told as outside it
        self._save()

    def resume(self, text: str = "") -> Outcome:
        """Continue a saved session, with the user's new words or a note that it was resumed. A session killed
        before its first save kept nothing of its conversation: it starts over from its task (and the words)."""
        if not self.engine.history and not self.engine.turn:
            return self.run("\n\n".join(filter(None, [self.store.get(self.session).task, text])))
        return self.run(text or self._resumed_note())

    def _resumed_note(self) -> str:
        """The note a resume without new words starts with, saying how the session ended: a session that was
        done, told it had been interrupted, went looking for work it had not left."""
        row = self.store.get(self.session)
        if row.outcome in ("running", "stopped"):  # claimed by this process, which the row now names
            return RESUMED.format(ended="stopped before it could save an outcome (killed or crashed)")
        return RESUMED.format(ended=f"ended ({row.outcome}: {row.reason})")

    def _limit_reached(self, steps_here: int) -> str | None:
        lim = self.limits
        if lim.max_steps is not None and steps_here >= lim.max_steps:
            return f"step limit reached ({lim.max_steps} model calls)"
        seconds, cost = self.totals.seconds - self._base[0], self.totals.cost - self._base[1]
        if lim.max_seconds is not None and seconds >= lim.max_seconds:
            return f"time limit reached ({lim.max_seconds:g}s)"
        if lim.budget is not None and cost >= lim.budget:
            return f"budget reached (${cost:.4f} of ${lim.budget:.4f} in this run)"
        return None

    # ------------------------------------------------------------------ the model

    def _model_step(self) -> Response:
        """One model call. When the provider finds the prompt too long (its tokenizer or window differ from ours),
        the engine's window shrinks below the prompt it refused and the call is retried, compacted, up to
        `OVERFLOW_RETRIES` times (one retry with the window a fifth smaller could still hold the prompt refused,
        when the provider's window was a third of ours: it was sent again as it was and the run failed). A
        prompt refused at every size is a limit that says so."""
        for _ in range(OVERFLOW_RETRIES):
            try:
                return self._call_model_again_if_cut()
            except ContextOverflow as exc:
                self.emit(ev.ErrorEvent(kind="context_overflow", message=str(exc), recoverable=True))
                self.engine.shrink_window(self.model)
        try:
            return self._call_model_again_if_cut()
        except ContextOverflow as exc:
            raise LimitReached(f"the model refused the prompt as too long {OVERFLOW_RETRIES + 1} times, the last "
                               f"compacted to {self.engine.measure()} tokens: {exc}") from exc

    def _call_model_again_if_cut(self) -> Response:
        """The model call, made again up to STREAM_RETRIES times when its stream broke off after it had started (a
        connection reset, a proxy's timeout). The gateway does not retry such a call, as its caller has shown part
        of the reply; nothing of the reply was kept or run, so the step can be. It failed the run at the first."""
        for _ in range(STREAM_RETRIES):
            try:
                return self._call_model()
            except StreamInterrupted as exc:
                self.emit(ev.ErrorEvent(kind="stream_interrupted", message=f"{exc}; the call is made again",
                                        recoverable=True))
        return self._call_model()

    def _call_model(self) -> Response:
        request = self.engine.build(self.model)
        self._report_compaction()
        step = self.totals.steps + 1
        self.emit(ev.ModelCallStarted(step=step, model=self.model, messages=len(request.messages),
                                      tools=len(request.tools)))
        response = self._stream(request)
        self.totals.add(response)
        usage = response.usage
        self.emit(ev.ModelCallFinished(
            step=step, model=response.model or self.model, finish_reason=response.finish_reason,
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_write_tokens,
            cost=response.cost, latency_s=response.latency_s, text=response.text, estimated=response.estimated,
        ))
        return response

    def _stream(self, request: Any) -> Response:
        """The reply, its fragments emitted as they come. A reply still streaming at the time limit is
        cut there (a local model can write for minutes); the call is made again on --resume."""
        with self._limited():
            try:
                return self._streamed(request)
            except LimitReached:
                raise
            except CodewrightError:  # the gateway gave up at the time limit: waiting on a server that sent nothing
                if time.monotonic() >= self._deadline:
                    raise LimitReached(f"time limit reached ({self.limits.max_seconds:g}s) during a model call") from None
                raise

    def _limited(self) -> Any:
        """The time limit as the deadline that the gateway's calls and the tools' commands hold to: a command ran
        to its own timeout (run_tests: 600 s) past --max-seconds."""
        return deadline_at(None if self._deadline == float("inf") else self._deadline)

    def _streamed(self, request: Any) -> Response:
        stream = self.gateway.stream(request)
        try:
            for item in stream:
                if time.monotonic() > self._deadline:
                    raise LimitReached(f"time limit reached ({self.limits.max_seconds:g}s) during a model call")
                if isinstance(item, Completed):
                    return item.response
                if isinstance(item, TextDelta):
                    self.emit(ev.ModelStreamed(kind="text", text=item.text))
                elif isinstance(item, ReasoningDelta):
                    self.emit(ev.ModelStreamed(kind="reasoning", text=item.text))
                elif isinstance(item, ToolCallDelta):
                    self.emit(ev.ModelStreamed(kind="tool_call", text=item.arguments))
        finally:
            stream.close()
        raise RuntimeError("the gateway's stream ended without a Completed event")

    def _report_compaction(self) -> None:
        info = self.engine.last_compaction
        if info is None:
            return
        detail = (f"{len(info.dropped)} result(s) replaced by references, {info.summarised_turns} turn(s) "
                  f"summarised, {info.truncated} truncated")
        self.emit(ev.Compacted(tokens_before=info.tokens_before, tokens_after=info.tokens_after, detail=detail))

    def _calls_of(self, response: Response) -> tuple[list[ToolCall], list[str]]:
        """The tool calls in a reply (native or written as text) and what could not be read as one."""
        if self.native_tools:
            self.engine.add_assistant(response.as_message())
            return list(response.tool_calls), []
        parsed = from_text(response.text, f"call{self.totals.steps}")
        message = response.as_message()
        message.tool_calls = parsed.calls
        if parsed.calls:  # the engine writes them after the text in its own format: once, and compactable
            message.content = parsed.prose
        self.engine.add_assistant(message)
        return parsed.calls, parsed.errors

    # ------------------------------------------------------------------ tools

    def _refuse_cut_off(self, calls: list[ToolCall]) -> None:
        """Run nothing from a reply cut off at the output limit. Its last call's arguments are cut too, and
        JSON repair would close them into a valid call: a file written from them would be truncated. A
        reply with no call at all is no end of the turn either: it is a constrained call that did not end
        or a loop the provider stopped. The model is told why, to answer shorter."""
        self._turn = _Turn(calls=list(calls))
        self._answer_unanswered("not run: the reply was cut off at the output limit")
        self.emit(ev.ErrorEvent(kind="cut_off", message="the reply was cut off at the output limit; nothing "
                                                        "in it was run", recoverable=True))
        self.engine.add_user(CUT_OFF, kind="note")
        self._save()

    def _run_calls(self, calls: list[ToolCall], errors: list[str]) -> Outcome | None:
        self._turn = _Turn(calls=list(calls))
        for message in errors:
            self.emit(ev.ErrorEvent(kind="malformed_tool_call", message=message, recoverable=True))
            self.engine.add_user(f"Your tool call could not be read: {message}", kind="note")
        outcome = None
        for call in calls:
            if outcome is not None:  # finish or stuck: answer the remaining calls without running them
                self._answer(call, "not run: the session ended before this call", ok=False)
                continue
            outcome = self._run_call(call)
        return outcome

    def _run_call(self, call: ToolCall) -> Outcome | None:
        self.emit(ev.ToolCallRequested(call_id=call.id, name=call.name, arguments=call.arguments))
        try:
            arguments = parse_arguments(call, self.specs.get(call.name))
        except BadToolCall as exc:
            known = ", ".join(sorted(self.specs))
            message = f"{exc}. Available tools: {known}." if "unknown tool" in str(exc) else str(exc)
            self.emit(ev.ErrorEvent(kind="malformed_tool_call", message=message, recoverable=True))
            return self._observe(call, message, ok=False, kind="error")
        if call.name == PLAN_TOOL.name:
            try:
                return self._update_plan(call, plan_steps(arguments))
            except BadToolCall as exc:
                self.emit(ev.ErrorEvent(kind="malformed_tool_call", message=str(exc), recoverable=True))
                return self._observe(call, str(exc), ok=False, kind="error")
        return self._call_toolbox(call, arguments)

    def _update_plan(self, call: ToolCall, steps: list[dict[str, str]]) -> Outcome | None:
        if steps == self.plan:  # small models re-send their plan instead of acting on it
            self._answer(call, "plan unchanged (it is recorded already): act on its first step that is not done, "
                               "with a tool call other than plan", ok=True)
            return None
        self.plan = steps
        self.engine.set_plan(plan_text(self.plan))
        self.emit(ev.PlanUpdated(steps=self.plan))
        self._answer(call, "plan updated", ok=True)
        return None

    def _call_toolbox(self, call: ToolCall, arguments: dict) -> Outcome | None:
        started = time.monotonic()
        self._turn.current, self._turn.approval = call, None
        with self._limited():
            result = self.toolbox.call(call.name, arguments)
        if self._turn.approval is None:  # nobody was asked: the mode or a rule decided
            if result.kind == "denied":
                self.emit(ev.ToolCallDenied(call_id=call.id, name=call.name, reason=result.content))
            else:
                self.emit(ev.ToolCallApproved(call_id=call.id, name=call.name, by=self._approved_by(call, arguments)))
        outcome = self._observe(call, result.content, ok=result.ok, kind=result.kind,
                                path=(result.meta or {}).get("path"), duration=time.monotonic() - started)
        if result.ok and self.toolbox.access(call.name) == "write":
            self._tried.append(_tried_line(call.name, arguments))
        if result.kind == "finish" and result.ok:
            return Outcome("done", result.meta["summary"], EXIT_OK)
        return outcome

    def _approved_by(self, call: ToolCall, arguments: dict) -> str:
        """`yes` when the mode alone would have asked (so --yes let it through), else `mode`."""
        permissions = self.toolbox.permissions
        access = self.toolbox.access(call.name)
        if not permissions.yes or access == "read":
            return "mode"
        strict = dataclasses.replace(permissions, yes=False)
        if access == "command":
            decision = strict.check_command(str(arguments.get("command", "")))
        else:
            decision = strict.check_path(self.toolbox.root, str(arguments.get("path", ".")), write=True)
        return "yes" if decision.action == "ask" else "mode"

    def approve(self, request: Any, answer: bool, by: str) -> bool:
        """Record the answer to a permission question (the CLI's approve callable reports here)."""
        self._turn.approval = answer
        call = self._turn.current
        call_id, name = (call.id, call.name) if call else ("", "")
        if answer:
            self.emit(ev.ToolCallApproved(call_id=call_id, name=name, by=by))
        else:
            self.emit(ev.ToolCallDenied(call_id=call_id, name=name, reason=f"not approved ({by})"))
        return answer

    def _observe(self, call: ToolCall, content: str, *, ok: bool, kind: str, path: str | None = None,
                 duration: float = 0.0) -> Outcome | None:
        stuck = self.stuck.observe(call.name, call.arguments, content, ok)
        if not ok and not stuck and self.stuck.repeated(content):
            content += f"\n\n{REPEATED}"
        self._answer(call, content, ok=ok, kind=kind, path=path, duration=duration)
        if stuck:  # the turn's calls after this one are answered, once, by `_run_calls`
            return Outcome("stuck", stuck, EXIT_FAILED)
        return None

    def _answer(self, call: ToolCall, content: str, *, ok: bool, kind: str = "text", path: str | None = None,
                duration: float = 0.0) -> None:
        self.engine.add_tool_result(call, content, kind=kind, path=path)
        self._turn.answered.add(call.id)
        self.emit(ev.ToolCallFinished(call_id=call.id, name=call.name, ok=ok, kind=kind,
                                      output=content[:4000], duration_s=round(duration, 3)))

    def _answer_unanswered(self, content: str) -> None:
        for call in self._turn.calls:
            if call.id not in self._turn.answered:
                self._answer(call, content, ok=False, kind="error")

    # ------------------------------------------------------------------ checkpoints and state

    def _may_change_files(self, name: str) -> bool:
        """Writes and commands may change files (a command's changes are found by the checkpoint)."""
        return name in self.specs and name != PLAN_TOOL.name and self.toolbox.access(name) != "read"

    def checkpoint(self, label: str, counted: bool = False) -> Checkpoint | None:
        """Checkpoint the files, reporting what changed since the last checkpoint; None where nothing did.
        `counted`: a step's own changes, which a restarted attempt undoes (and only those: it put back the whole
        tree, the user's own edits made during the run and their new files too)."""
        made = self.shadow.checkpoint(f"{self.session}: {label}")
        self._unchecked, self._before = False, []
        if made is None:
            return None
        self._seen = made.commit  # the agent's own changes, or those a resume is told of (its start)
        if counted:
            self._attempt_paths.update(path for path, _ in made.changes)
        for path, change in made.changes:
            self.emit(ev.FileChanged(path=path, change=change))
        self.emit(ev.CheckpointMade(commit=made.commit, label=made.label, files=len(made.changes)))
        return made

    def _step_checkpoint(self, label: str, counted: bool = False) -> None:
        """Checkpoint the files after a step that may change files, or where the run ended in one. Where the step
        changed nothing (a command that wrote nothing, a failed edit), the checkpoints it made before its own are
        taken back: its "before step" one, holding only the user's edits made while the model thought, and those of
        the ignored files saved before its writes (`keep`). As the last ones, `undo` went back to them: it threw the
        user's edits away unnamed, or changed nothing, and the agent's last change stayed; now `undo` undoes that
        change and names the edits in `unsaved`."""
        before = self._before
        if self.checkpoint(label, counted) is None and before:
            self.shadow.drop(*before)

    def keep(self, paths: list[str]) -> None:
        """Checkpoint the ignored files among `paths` before a write tool changes them (`ShadowRepo.keep`), as one of
        the step's checkpoints made before its own (`_step_checkpoint`)."""
        kept = self.shadow.keep(paths, f"{self.session}: ignored files before a write")
        if kept is not None:
            self._before.append(kept.commit)

    def changed_outside(self, last: str | None, changes: list[tuple[str, str]]) -> None:
        """Tell the model of a resumed session which files changed while it was stopped (the user's edits, a
        branch switched): it went on from what it had read and written, and edited files that were no longer so.
        A session that saved no conversation has read nothing (and `resume` starts it over from its task).

        The changes are counted from `last`, the checkpoint the session last saw, where the shadow repository
        still holds it; `changes` (what the resuming checkpoint found) otherwise. An `undo` or `rewind` since, or
        another session's edits, moved the last checkpoint with the files: the resuming checkpoint found nothing,
        and the model went on as if its undone edits were there."""
        since = self.shadow.changes_since(last)
        changes = changes if since is None else since
        if changes and self.engine.history:
            note = _outside_note(changes, "while the session was stopped, files changed outside it")
            self.engine.add_user(note, kind="note")

    def _tell_changed_outside(self, lead: str) -> None:
        """Tell the model which files changed outside the agent since the files it knows (`_seen`): edited by hand
        between a chat's turns or an `undo` there, while it wrote a reply or while a step of reading ran. It went on
        from the files as it had read and written them, and its next edit missed or overwrote the user's. Told once:
        the files as they are now are those it knows. A session that has no conversation yet has read nothing. While
        the reply's calls are unanswered the engine holds the note back until their results are in."""
        if self._seen is None or not self.engine.history:
            return
        now, changes = self.shadow.changed_since(self._seen)
        if changes:
            self.engine.add_user(_outside_note(changes, lead), kind="note")
            self._seen = now

    def mark_seen(self) -> None:
        """The files as the last checkpoint holds them are those the model knows: at the session's start, where its
        start checkpoint found nothing changed (or after `changed_outside` told it what did), and after a restarted
        attempt put the files back. Each checkpoint of the agent's own sets it too (`checkpoint`)."""
        self._seen = self.shadow.head()

    def state(self) -> dict[str, Any]:
        return {
            "context": self.engine.to_dict(),
            "plan": self.plan,
            "totals": self.totals.__dict__,
            "stuck": self.stuck.to_dict(),
            "watched": self.toolbox.watched,
            "checkpoint": self._seen,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take back the loop's own state from `state()` (the engine is rebuilt by the caller)."""
        self.plan = state.get("plan", [])
        self.totals = Totals(**state.get("totals", {}))
        self.stuck = StuckDetector.from_dict(state.get("stuck", {}))
        if state.get("watched"):
            self.toolbox.watch(state["watched"])

    def _save(self, outcome: str = "running", reason: str = "") -> None:
        t = self.totals
        self.store.save(self.session, self.state(), outcome=outcome, reason=reason, steps=t.steps,
                        input_tokens=t.input_tokens, output_tokens=t.output_tokens,
                        cache_read_tokens=t.cache_read_tokens, cache_write_tokens=t.cache_write_tokens, cost=t.cost,
                        estimated_calls=t.estimated_calls)

    @held()  # a second Ctrl-C waits until the outcome is saved, then ends the process
    def _finish(self, outcome: Outcome) -> Outcome:
        """End the run: checkpoint what is on disk where a step that may change files ran since the last checkpoint
        (it ended mid-step: interrupted, a limit), save the session, report. The repository is left as is. After a
        step's own checkpoint, what changed meanwhile (while the model wrote its last reply) is the user's: a
        checkpoint of it held their edits, and `undo`, one checkpoint back, threw them away unnamed and left the
        agent's last change in place; left out, `undo` names them in `unsaved`, as edits made after the run."""
        if self._unchecked:
            self._step_checkpoint(outcome.outcome)
        self._save(outcome.outcome, outcome.reason)
        if not self.store.path.exists():  # SQLite went on writing to the deleted file: nothing says so but this
            self.emit(ev.ErrorEvent(kind="store_lost", recoverable=True, message=(
                f"{self.store.path} was deleted during the session: its record (events, state) is gone and it "
                "cannot be resumed; the checkpoints are kept")))
        t = self.totals
        self.emit(ev.Finished(outcome=outcome.outcome, reason=outcome.reason, exit_code=outcome.exit_code,
                              steps=t.steps, input_tokens=t.input_tokens, output_tokens=t.output_tokens,
                              cache_read_tokens=t.cache_read_tokens, cache_write_tokens=t.cache_write_tokens,
                              cost=t.cost, estimated_calls=t.estimated_calls))
        return outcome


def _tried_line(name: str, arguments: dict) -> str:
    """One write of a failed attempt, short: what the next attempt is told not to repeat."""
    def clip(text: Any) -> str:
        text = str(text).strip()
        return text if len(text) <= TRIED_CHARS else text[:TRIED_CHARS] + "..."

    if "old_string" in arguments:
        return f"{name} {arguments.get('path')}: {clip(arguments['old_string'])!r} -> {clip(arguments['new_string'])!r}"
    return f"{name} {clip(arguments.get('path') or '')}".rstrip()


def _outside_note(changes: list[tuple[str, str]], lead: str) -> str:
    shown = ", ".join(f"{shown_path(path)} ({change})" for path, change in changes[:MAX_OUTSIDE])
    more = f" and {len(changes) - MAX_OUTSIDE} more" if len(changes) > MAX_OUTSIDE else ""
    return (f"Note: {lead}: {shown}{more}. What you read or wrote of them before may be out of date: read them "
            "again before you rely on them or edit them.")


def _went_wrong_how(outcome: Outcome) -> str:
    """How an attempt went wrong, as the user and the next attempt are told: one that was `done` finished with the
    tests still failing, which its own summary does not say (the restart read "starting again (fixed)")."""
    if outcome.outcome == "done":
        return f"finished while the tests still fail: {outcome.reason}"
    return outcome.reason


def _retry_note(attempt: int, why: str, tried: list[str], unrestored: list[str]) -> str:
    edits = "\n".join(f"- {line}" for line in tried[-MAX_TRIED:]) or "- (no file was changed)"
    kept = (f", but for {', '.join(unrestored)}: a git repository of its own, which stays as the attempt left it"
            if unrestored else "")
    return (f"Note: attempt {attempt} at this task went wrong ({why}). Its changes were undone: "
            f"the files are as they were at the start{kept}. It made these changes, which did not solve the task:\n"
            f"{edits}\nDo not repeat them. Look at the failure again and make a different fix.")


def plan_text(steps: list[dict[str, str]]) -> str:
    """The plan as the context engine shows it to the model: one numbered line per step."""
    return "\n".join(f"{i}. [{s['status']}] {s['step']}" for i, s in enumerate(steps, 1))
