"""`codewright run`, `chat`, `sessions`, `undo` and `rewind`.

Handlers only parse arguments, pick renderers and map outcomes to exit codes; the
session is put together in `runner` and driven by `loop.Agent`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codewright.cli.inputs import folder, model_name, nonempty, positive_int, positive_number
from codewright.cli.output import print_json
from codewright.cli.project import tree

MODES = ("plan", "ask", "auto-edit", "full-auto")
REPO_HELP = "repository root (default: the project the current directory is in)"
DEFAULT_MAX_STEPS = 200  # model calls: a model looping on ever new calls ran 387 of them in 90 s, with no end


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="carry out a task on the repository")
    run.add_argument("task", nargs="?", default="", help="the task in plain language")
    _session_options(run)
    run.add_argument("--resume", type=nonempty, metavar="ID", help="continue session ID (after a crash, Ctrl-C or a limit)")
    run.add_argument("--max-steps", type=positive_int, metavar="N", default=DEFAULT_MAX_STEPS,
                     help=f"stop after N model calls (exit 3; default {DEFAULT_MAX_STEPS})")
    run.add_argument("--max-seconds", type=positive_number, metavar="S", help="stop after S seconds (exit 3)")
    run.add_argument("--budget", type=positive_number, metavar="USD", help="stop once the cost reaches USD (exit 3)")
    run.add_argument("--attempts", type=positive_int, metavar="N",
                     help="start afresh, changes undone, when a run gets stuck or ends with failing tests, "
                          "until N attempts were made (default 2)")
    run.set_defaults(func=_run)

    chat = sub.add_parser("chat", help="work on the repository in a conversation")
    _session_options(chat)
    chat.add_argument("--resume", type=nonempty, metavar="ID", help="continue chat session ID")
    chat.add_argument("--max-steps", type=positive_int, metavar="N", default=DEFAULT_MAX_STEPS,
                      help=f"end a message's turn after N model calls (the chat goes on; default {DEFAULT_MAX_STEPS})")
    chat.set_defaults(func=_chat)

    sessions = sub.add_parser("sessions", help="list the agent sessions of this repository")
    sessions.add_argument("--repo", type=folder, metavar="PATH", help=REPO_HELP)
    sessions.add_argument("--limit", type=positive_int, default=50, metavar="N",
                          help="the last N sessions (default 50)")
    sessions.add_argument("--json", action="store_true", help="print one JSON document")
    sessions.set_defaults(func=_sessions)

    undo = sub.add_parser("undo", help="undo the last checkpointed change")
    undo.add_argument("--repo", type=folder, metavar="PATH", help=REPO_HELP)
    undo.add_argument("--json", action="store_true", help="print one JSON document")
    undo.add_argument("--force", action="store_true", help="go back even while a session of the project runs")
    undo.set_defaults(func=_undo, steps=1)

    rewind = sub.add_parser("rewind", help="go N checkpoints back")
    rewind.add_argument("steps", type=positive_int, metavar="N", help="how many checkpoints to go back (1 is undo)")
    rewind.add_argument("--repo", type=folder, metavar="PATH", help=REPO_HELP)
    rewind.add_argument("--json", action="store_true", help="print one JSON document")
    rewind.add_argument("--force", action="store_true", help="go back even while a session of the project runs")
    rewind.set_defaults(func=_undo)


def _session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=model_name,
                        help="model alias or provider/name (default: a resumed session's, else default_model "
                             "of codewright.toml, else local/qwen2.5-coder-1.5b)")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="what may run without asking (default: a resumed session's, else ask)")
    parser.add_argument("--yes", action="store_true", help="answer yes wherever the mode would ask")
    parser.add_argument("--json", action="store_true", help="print events as JSON Lines")
    parser.add_argument("--repo", type=folder, metavar="PATH", help=REPO_HELP)


def _root(args: argparse.Namespace) -> Path:
    from codewright.errors import UsageError
    from codewright.quoting import quoted

    root = tree(args.repo).resolve()
    if not root.is_dir():
        raise UsageError(f"--repo {quoted(args.repo)}: not a directory")
    return root


def _renderers(args: argparse.Namespace) -> list:
    if args.json:
        from codewright.ui.jsonl import JsonLinesRenderer

        return [JsonLinesRenderer()]
    from codewright.ui.terminal import TerminalRenderer

    return [TerminalRenderer()]


def _run(args: argparse.Namespace) -> int:
    from codewright.agent.interrupts import stop_like_ctrl_c
    from codewright.agent.loop import Limits
    from codewright.agent.runner import Options, open_agent
    from codewright.errors import UsageError

    if args.task and not args.task.strip():  # as `find` refuses one: a blank task is no task
        raise UsageError('the task is blank: say what to do (codewright run "fix the failing test")')
    if not args.task and not args.resume:
        raise UsageError('run needs a TASK (codewright run "fix the failing test") or --resume ID')
    limits = Limits(max_steps=args.max_steps, max_seconds=args.max_seconds, budget=args.budget,
                    attempts=args.attempts or Limits.attempts)
    options = Options(model=args.model, mode=args.mode, yes=args.yes, limits=limits)
    stop_like_ctrl_c()
    with open_agent(_root(args), options, _renderers(args), task=args.task, resume=args.resume) as agent:
        outcome = agent.resume(args.task) if args.resume else agent.run(args.task)
    return outcome.exit_code


def _chat(args: argparse.Namespace) -> int:
    from codewright.agent.interrupts import stop_like_ctrl_c
    from codewright.agent.loop import Limits
    from codewright.agent.runner import Options, open_agent
    from codewright.errors import Stopped
    from codewright.ui.prompt import read_message

    # each message's turn has the run's step limit: a model calling tool after tool had no end but Ctrl-C, and
    # a program driving `chat --json` has none to press
    options = Options(model=args.model, mode=args.mode, yes=args.yes, chat=True,
                      limits=Limits(max_steps=args.max_steps))
    stop_like_ctrl_c()
    with open_agent(_root(args), options, _renderers(args), task="chat", resume=args.resume) as agent:
        while True:
            text = read_message("" if args.json else "you> ")  # --json keeps stdout to event lines
            if text is None:
                return 0
            if text.strip():
                try:
                    agent.run(text)
                except Stopped:
                    raise
                except KeyboardInterrupt:  # between steps: the turn is over, the chat goes on
                    continue


def _sessions(args: argparse.Namespace) -> int:
    from codewright.agent.session import SessionStore, has_store

    root, rows = _root(args), []
    if has_store(root):  # a listing makes nothing where no session ran
        store = SessionStore(root)
        rows = [row.to_dict() for row in store.list(args.limit)]
        store.close()
    if args.json:
        print_json({"sessions": rows}, indent=2)
        return 0
    from codewright.ui.tables import print_sessions

    print_sessions(rows)
    return 0


def _first(paths: list[str]) -> str:
    """The first five of `paths`, and `...` where there are more."""
    from codewright.quoting import quoted

    return ", ".join(map(quoted, paths[:5])) + (", ..." if len(paths) > 5 else "")


def _refuse_while_running(root: Path, command: str) -> None:
    """A session of the project still running (another terminal's `run`, or a `chat` in its turn) goes on from the
    files as it left them: going back changed them under it, and its next checkpoint took the restore for its own
    step. A chat waiting for its next message is not running: its next turn is told what changed. A store that
    cannot be read (damaged, another program's) tells nothing either way: going back is what is left then."""
    from codewright.agent.session import SessionStore, has_store
    from codewright.errors import UsageError

    if not has_store(root):
        return
    try:
        store = SessionStore(root)
        try:
            running = store.running()
        finally:
            store.close()
    except UsageError:
        return
    if running:
        which = f"session {running[0].id} is" if len(running) == 1 else \
            f"sessions {', '.join(session.id for session in running)} are"
        raise UsageError(f"{which} still running in this project: {command} would change the files under it; let it "
                         "end or stop it first, or give --force")


def _undo(args: argparse.Namespace) -> int:
    from codewright.agent.checkpoint import (
        MAX_REMOVED,
        MAX_REMOVED_BYTES,
        NO_CHECKPOINTS,
        ShadowRepo,
        has_shadow,
    )
    from codewright.errors import UsageError

    root = _root(args)
    if not has_shadow(root):  # nothing to undo: no folder is made to say so
        raise UsageError(NO_CHECKPOINTS)
    if not args.force:
        _refuse_while_running(root, args.command)
    shadow = ShadowRepo(root)
    target, restored = shadow.rewind(args.steps)
    changes, unsaved, unrestored = restored.changes, restored.unsaved, restored.unrestored
    result = {
        "checkpoint": target.commit,
        "label": target.label,
        "steps": args.steps,
        "changes": [{"path": path, "change": change} for path, change in changes],
        "unsaved": unsaved,
        "unrestored": unrestored,
    }
    if args.json:
        print_json(result, indent=2)
        return 0
    from codewright.quoting import quoted

    print(f"restored checkpoint {target.commit[:10]} ({target.label}): {len(changes)} file(s) changed")
    for path, change in changes:
        print(f"  {change:8} {quoted(path)}")
    if unsaved:
        print(f"{len(unsaved)} file(s) had changed since the last checkpoint, between two sessions or while the model "
              f"wrote a reply ({_first(unsaved)}): those changes are kept in .codewright/shadow.git under "
              "refs/codewright/before-rewind/")
    if unrestored:
        print(f"{len(unrestored)} path(s) could not be restored ({_first(unrestored)}): a git repository of its own, "
              "of which a checkpoint holds the commit and not the files, an empty folder with a file in its place, "
              "or what the ignore rules leave out, which no checkpoint holds: changed or deleted since, or made since "
              f"and not a file undo removes (a folder, over {MAX_REMOVED_BYTES >> 20} MiB, more than {MAX_REMOVED} "
              "files)")
    sys.stdout.flush()
    return 0
