"""Put a session together: store, gateway, index, context engine, toolbox, checkpoints, loop.

`open_agent` is the one place that knows how the layers connect; the CLI, the chat and
the polyglot eval all go through it, so a session started one way resumes any other way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from codewright.agent import events as ev
from codewright.agent.checkpoint import START, ShadowRepo
from codewright.agent.emitter import Emitter, Renderer
from codewright.agent.loop import Agent, Limits
from codewright.agent.prompt import SMALL_MODEL_TOOLS, system_prompt
from codewright.agent.session import SessionStore, UnreadableState
from codewright.agent.toolcalls import reply_prose
from codewright.errors import Stopped, UsageError
from codewright.gateway.local.runtime import settle

DEFAULT_MODE = "ask"
REPO_MAP_TOKENS = 1024
DEFAULT_WINDOW = 32_768
SETTLE_SECONDS = 30.0  # how long a session's end waits for a stopped local model to finish its batch


@dataclass
class Options:
    model: str | None = None
    mode: str | None = None
    yes: bool = False
    limits: Limits = field(default_factory=Limits)
    chat: bool = False
    approve: Any = None  # callable(question) -> bool; default: ask on the terminal, no terminal means no
    commands: bool = True  # offer the tools that run commands; False where the caller runs the tests itself


@contextmanager
def open_agent(
    root: Path,
    options: Options,
    renderers: list[Renderer],
    *,
    task: str,
    resume: str | None = None,
    gateway: Any = None,
) -> Iterator[Agent]:
    """A ready agent for a new session (`task`) or a saved one (`resume`); everything is closed after."""
    from codewright.context.engine import ContextEngine, Ledger, redact, scan_project
    from codewright.gateway.gateway import Gateway
    from codewright.graph.index import Index
    from codewright.tools.toolbox import Toolbox

    root = Path(root).resolve()
    with ExitStack() as stack:
        stack.callback(settle, SETTLE_SECONDS)  # the last thing done, however the session ends
        store = SessionStore(root)
        stack.callback(store.close)
        if gateway is None:
            gateway = Gateway.load(model=options.model, project_dir=root)
            stack.callback(gateway.close)
        row = store.get(resume) if resume else None
        model = options.model or (row.model if row else gateway.config.default_model)
        gateway.check(model, options.limits.budget)  # a missing key or model, or a budget that cannot count the
        # model's cost, is a usage error, before any session is written
        state: dict[str, Any] = {}
        if row:
            state = store.state(row.id)
            store.claim(row.id)
            session, mode = row.id, options.mode or row.mode
            options.chat = options.chat or row.kind == "chat"
        else:
            mode = options.mode or DEFAULT_MODE
            session = store.create(task, model, mode, kind="chat" if options.chat else "run")
        stack.callback(store.release, session)
        holder: dict[str, Any] = {}
        stack.push(partial(_interrupted_in_setup, store, session, holder))
        emit = Emitter(store, session, renderers, seq=store.last_seq(session))
        index = Index.open(root)
        stack.callback(index.close)
        index.build()
        facts = scan_project(root)
        native, window, only = model_traits(gateway, model)
        with _saved_state(session):
            ledger = Ledger.from_dict(state["context"]["ledger"]) if state else Ledger()
        if not state:
            ledger.record_commits(root)
        shadow = ShadowRepo(root)
        toolbox = Toolbox(
            root,
            index=index,
            ledger=ledger,
            permissions=permissions(root, mode, options.yes),
            approve=lambda request: _approve(holder["agent"], request, options),
            facts=facts,
            # an ignored file a tool overwrites or deletes could not be undone: it is checkpointed first
            before_write=lambda paths: holder["agent"].keep(paths),
        )
        stack.callback(toolbox.close)
        tools = [t for t in Agent.tool_specs(toolbox, mode, options.commands) if only is None or t.name in only]
        if state:  # the tools of this run's mode: a plan-mode session resumed in full-auto had no edit tools
            with _saved_state(session):
                engine = ContextEngine.from_dict(state["context"], reply_prose=reply_prose, tools=tools)
            engine.ledger = ledger
        else:
            engine = ContextEngine(
                root,
                system=system_prompt(chat=options.chat),
                tools=tools,
                window=window,
                facts=facts,
                repo_map=redact(index.repo_map(REPO_MAP_TOKENS)),  # the map quotes constants' values
                native_tools=native,
                ledger=ledger,
            )
        agent = Agent(
            session=session, model=model, gateway=gateway, engine=engine, toolbox=toolbox, emit=emit, store=store,
            shadow=shadow, native_tools=engine.native_tools, limits=options.limits, chat=options.chat,
            mode=mode,
        )
        if state:
            with _saved_state(session):
                agent.restore(state)
        holder["agent"] = agent
        emit(ev.SessionStarted(task=store.get(session).task, model=model, mode=mode, repo=str(root),
                               resumed=bool(resume), sandbox=toolbox.sandbox.detail))
        if refused := unasked(mode, options):
            emit(ev.ErrorEvent(kind="no_terminal", message=refused, recoverable=True))
        started = agent.checkpoint(START)
        if started is not None:  # it holds what changed outside the session: taken back if nothing follows it
            stack.callback(shadow.drop, started.commit)
        stack.callback(_stop_background, agent)  # run before that drop: its save keeps the start checkpoint as seen
        if state:
            agent.changed_outside(state.get("checkpoint"), started.changes if started is not None else [])
        agent.mark_seen()
        if nested := agent.shadow.nested():
            emit(ev.ErrorEvent(kind="not_checkpointed", recoverable=True, message=(
                f"{', '.join(nested[:5])}{' and more' if len(nested) > 5 else ''}: a git repository of its own "
                "inside this one; checkpoints do not cover its files, so undo cannot restore them")))
        holder["running"] = True  # from here on the agent saves its own outcome
        yield agent


def _interrupted_in_setup(store: SessionStore, session: str, holder: dict[str, Any], kind: type | None,
                          exc: BaseException | None, _tb: object) -> bool:
    """Ctrl-C or SIGTERM while the session is set up (a large tree's index, the first checkpoint) is saved as its
    outcome: the session read "stopped: killed or crashed" once the process had ended."""
    if kind is not None and issubclass(kind, KeyboardInterrupt) and not holder.get("running"):
        by = str(exc) if isinstance(exc, Stopped) else "the user (Ctrl-C)"
        store.interrupted(session, f"interrupted by {by} while the session was set up")
    return False


def _stop_background(agent: Agent) -> None:
    """Stop the session's background processes and save the ledger that says so: they were stopped after the
    last save, and a resumed session still read them as running."""
    running = bool(agent.toolbox.background)
    agent.toolbox.close()
    if running:
        agent.store.save(agent.session, agent.state())


@contextmanager
def _saved_state(session: str) -> Iterator[None]:
    """Reading a saved state that lacks a key or holds a wrong type (damaged, or from another version) is a
    usage error that names the session, not a traceback."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnreadableState(session, f"{type(exc).__name__}: {exc}") from None


def unasked(mode: str, options: Options) -> str:
    """What the session will refuse for want of someone to ask, said once up front ("" when nothing):
    without a terminal, a run in ask mode had every edit refused, one step at a time."""
    from codewright.ui.prompt import interactive

    if options.yes or options.approve is not None or mode not in ("ask", "auto-edit") or interactive():
        return ""
    if mode == "ask":
        return ("ask mode will refuse every write and command that no rule allows, with no terminal to ask; "
                "pass --yes, --mode auto-edit (writes) or --mode full-auto (commands too)")
    return ("auto-edit mode will refuse every command that no rule allows, with no terminal to ask; "
            "pass --yes or --mode full-auto to let them run")


def permissions(root: Path, mode: str, yes: bool) -> Any:
    """The session's permissions: the mode and --yes, refined by `[permissions]` in codewright.toml."""
    from codewright.gateway.config import find_project_file, read_toml
    from codewright.tools.permissions import Permissions

    path = find_project_file(root)
    table = read_toml(path).get("permissions") if path else None
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{path}: permissions must be a table ([permissions])")
    try:
        return Permissions.from_config(mode, table, yes=yes)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def model_traits(gateway: Any, model: str) -> tuple[bool, int, frozenset[str] | None]:
    """Whether `model` calls tools natively, its context window (configured, known, or a default),
    and the tools it is offered (None: all). The embedded local model's calls are schema-constrained,
    so they count as native; being small, it gets the few tools a fix needs (option `tools`)."""
    from codewright.tokens import window_for

    deployment = gateway.config.resolve(model).deployments[0]
    native = not deployment.options.get("text_tools", False)
    if deployment.protocol == "local":
        from codewright.gateway.local.runtime import DEFAULT_N_CTX

        window = deployment.context_window or deployment.options.get("n_ctx", DEFAULT_N_CTX)
        return native, window, frozenset(deployment.options.get("tools", SMALL_MODEL_TOOLS))
    return native, deployment.context_window or window_for(deployment.model, DEFAULT_WINDOW), None


def _approve(agent: Agent, request: Any, options: Options) -> bool:
    """Ask the user (or the caller's `approve`) and report the answer as an event."""
    if options.approve is not None:
        return agent.approve(request, bool(options.approve(request)), "user")
    from codewright.ui.prompt import confirm, interactive

    if not interactive():
        return agent.approve(request, False, "no terminal to ask")
    return agent.approve(request, confirm(str(request)), "user")
