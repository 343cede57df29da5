"""Drive the real agent against the gateway's test server, with a scripted model that checks requests.

`Script` plays one model turn per request (a list of functions of the recorded request)
and checks every request it receives, the way a strict provider would, collecting what
it finds in `problems` (a test asserts it stays empty):
- every tool call of an assistant turn is answered by a tool result with its id;
- the static prefix (the system message) never changes within a session;
- the prompt fits the window.
`run_agent` runs a whole session in-process through `open_agent`, as the CLI does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.model_server import ModelServer, Recorded, ToolUse, Turn

from codewright.agent.events import Event
from codewright.agent.loop import Limits, Outcome
from codewright.agent.runner import Options, open_agent
from codewright.gateway.gateway import Gateway

MODEL = "openai/test-model"
Step = Callable[[Recorded], Turn]


def call(name: str, **arguments: Any) -> ToolUse:
    return ToolUse(name, arguments)


def tool_results(rec: Recorded) -> list[dict[str, Any]]:
    """The tool results of the request's last turn (after the last assistant message)."""
    msgs = rec.messages
    last = max((i for i, m in enumerate(msgs) if m["role"] == "assistant"), default=-1)
    return [m for m in msgs[last + 1:] if m["role"] == "tool"]


def last_result(rec: Recorded, name_hint: str = "") -> str:
    results = tool_results(rec)
    assert results, f"no tool result in the request after {name_hint or 'the last call'}"
    return results[-1]["content"]


@dataclass
class Script:
    steps: list[Step]
    window: int | None = None
    problems: list[str] = field(default_factory=list)
    system: str | None = None
    served: int = 0

    def __call__(self, rec: Recorded) -> Turn:
        self.check(rec)
        if self.served >= len(self.steps):
            self.problems.append(f"request {self.served + 1} beyond the script ({len(self.steps)} turns)")
            return Turn(text="the script is over")
        step = self.steps[self.served]
        self.served += 1
        try:
            return step(rec)
        except AssertionError as exc:
            self.problems.append(f"turn {self.served}: {exc}")
            return Turn(tool_calls=[call("finish", summary=f"script check failed: {exc}")])

    def check(self, rec: Recorded) -> None:
        msgs = rec.messages
        system = msgs[0]["content"] if msgs and msgs[0]["role"] == "system" else None
        if self.system is None:
            self.system = system
        elif system != self.system:
            self.problems.append(f"request {self.served + 1}: the static prefix changed")
        open_ids: list[str] = []
        for m in msgs:
            if m["role"] == "assistant":
                if open_ids:
                    self.problems.append(f"request {self.served + 1}: unanswered tool calls {open_ids}")
                open_ids = [c["id"] for c in m["tool_calls"]]
            elif m["role"] == "tool":
                if m["tool_call_id"] not in open_ids:
                    self.problems.append(f"request {self.served + 1}: result for unknown call {m['tool_call_id']}")
                else:
                    open_ids.remove(m["tool_call_id"])
        if open_ids:
            self.problems.append(f"request {self.served + 1}: unanswered tool calls {open_ids}")
        if self.window and rec.prompt_tokens > self.window:
            self.problems.append(f"request {self.served + 1}: {rec.prompt_tokens} tokens > window {self.window}")


@dataclass
class Run:
    outcome: Outcome
    events: list[Event]
    session: str

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(json.dumps(e.to_dict())) for e in self.events]


def run_agent(
    root: Path,
    server: ModelServer,
    task: str,
    *,
    mode: str = "full-auto",
    yes: bool = False,
    limits: Limits | None = None,
    resume: str | None = None,
    approve: Callable[[Any], bool] | None = None,
    window: int | None = None,
    chat: bool = False,
    text_tools: bool = False,
    model: str = MODEL,
) -> Run:
    """One session (or its continuation) in-process, with the real gateway pointed at `server` (through `model`'s
    protocol: `anthropic/test-model` speaks Anthropic's)."""
    events: list[Event] = []
    gateway = Gateway.load(model=model, project_dir=root, env=server.env())
    deployment = gateway.config.resolve(model).deployments[0]
    deployment.context_window = window or deployment.context_window
    deployment.options["text_tools"] = text_tools
    options = Options(model=model, mode=mode, yes=yes, limits=limits or Limits(max_steps=40), chat=chat,
                      approve=approve)
    try:
        with open_agent(root, options, [events.append], task=task, resume=resume, gateway=gateway) as agent:
            outcome = agent.resume(task) if resume else agent.run(task)
            session = agent.session
    finally:
        gateway.close()
    return Run(outcome, events, session)
