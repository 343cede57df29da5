"""The side-effect ledger: what the session did to the world outside the files it edits.

A model that forgets it started a server starts a second one on the same port; one that
forgets a `chmod` or an exported variable debugs a ghost. Compaction may drop any turn,
so these facts live here instead, rendered into every prompt. The user's recent commit
messages are recorded at the start too: they say what the user is working towards.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codewright.context.secrets import redact

FOLD_LINE_TOKENS = 40  # the line counting the effects not listed, by kind


@dataclass
class LedgerEntry:
    kind: str  # commit, chmod, process, process_stopped, env, package, delete, note; others render generically
    fields: dict[str, Any] = field(default_factory=dict)
    turn: int = 0


class Ledger:
    """An append-only list of side effects with a compact rendering; serialisable as plain dicts."""

    def __init__(self, entries: list[LedgerEntry] | None = None) -> None:
        self.entries: list[LedgerEntry] = list(entries or [])
        self.turn = 0  # set by the context engine so entries say when they happened

    def record(self, kind: str, **fields: Any) -> LedgerEntry:
        """Add one side effect, e.g. `record("process", command="npm run dev", pid=412, port=3000)`.

        Kinds: commit(sha, subject) · chmod(path, mode) · process(command, pid, port) ·
        process_stopped(pid) · env(name, value) · package(manager, names) · delete(path) · note(text).
        """
        entry = LedgerEntry(kind, {k: v for k, v in fields.items() if v is not None}, self.turn)
        self.entries.append(entry)
        return entry

    def record_commits(self, root: str | Path, limit: int = 10) -> int:
        """Record the user's recent commit subjects from `git log`; returns how many (0 outside a repository). A
        subject that is not UTF-8 (git keeps the bytes it was given) shows U+FFFD; it stopped every session."""
        try:
            out = subprocess.run(
                ["git", "log", f"-{limit}", "--no-merges", "--format=%h%x09%s"],
                cwd=root, capture_output=True, encoding="utf-8", errors="replace", timeout=10, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return 0
        if out.returncode != 0:
            return 0
        count = 0
        for line in out.stdout.splitlines():
            sha, _, subject = line.partition("\t")
            if sha:
                self.record("commit", sha=sha, subject=subject)
                count += 1
        return count

    def running_processes(self) -> list[LedgerEntry]:
        """Processes started and not recorded as stopped."""
        stopped = self._stopped_pids()
        return [e for e in self.entries if e.kind == "process" and e.fields.get("pid") not in stopped]

    def _stopped_pids(self) -> set[Any]:
        return {e.fields.get("pid") for e in self.entries if e.kind == "process_stopped"}

    def render(self, start: int = 0) -> str:
        """One line per effect (entries from index `start` on); commits folded into one line. Secrets masked."""
        entries = self.entries[start:]
        commits = [e for e in entries if e.kind == "commit"]
        lines = []
        if commits:
            subjects = "; ".join(f"{e.fields.get('sha', '')} {e.fields.get('subject', '')}".strip() for e in commits)
            lines.append(f"- user's recent commits (newest first): {subjects}")
        stopped = self._stopped_pids()
        lines += [f"- {_render_entry(e, stopped)}" for e in entries if e.kind != "commit"]
        return redact("\n".join(lines))

    def render_within(self, tokens: int, count: Callable[[str], int]) -> str:
        """`render()` in about `tokens`: when the whole list is longer, the oldest effects are counted in one line
        instead of listed. The ledger only grows, and every prompt carries it: 475 chmods in a long session filled
        a 16k window by themselves. Processes still running are always listed (a model that forgets a server
        starts a second one on its port), and so are the user's commits (one line, ten at most)."""
        whole = self.render()
        if count(whole) <= tokens:
            return whole
        stopped = self._stopped_pids()
        running = {id(e) for e in self.running_processes()}
        commits = [line for line in whole.splitlines() if line.startswith("- user's recent commits")]
        effects = [(e, f"- {_render_entry(e, stopped)}") for e in self.entries if e.kind != "commit"]
        room = tokens - sum(count(line) + 1 for line in commits) - FOLD_LINE_TOKENS
        room -= sum(count(line) + 1 for e, line in effects if id(e) in running)
        listed: set[int] = set(running)
        for entry, line in reversed(effects):
            if id(entry) in listed:
                continue
            room -= count(line) + 1
            if room < 0:
                break
            listed.add(id(entry))
        folded = Counter(e.kind for e, _ in effects if id(e) not in listed)
        fold = ["- earlier, not listed: " + ", ".join(f"{kind} x{n}" for kind, n in folded.items())] if folded else []
        lines = [*commits, *fold, *(line for e, line in effects if id(e) in listed)]
        return redact("\n".join(lines))

    def __len__(self) -> int:
        return len(self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {"entries": [asdict(e) for e in self.entries], "turn": self.turn}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        ledger = cls([LedgerEntry(**e) for e in data.get("entries", [])])
        ledger.turn = int(data.get("turn", 0))
        return ledger


def _render_entry(entry: LedgerEntry, stopped: set[Any]) -> str:
    f = entry.fields
    at = f" (turn {entry.turn})" if entry.turn else ""
    if entry.kind == "process":
        port = f" port {f['port']}" if f.get("port") else ""
        state = "stopped" if f.get("pid") in stopped else "running"
        return f"started `{f.get('command', '?')}` pid {f.get('pid', '?')}{port}, {state}{at}"
    if entry.kind == "process_stopped":
        return f"stopped pid {f.get('pid', '?')}{at}"
    if entry.kind == "chmod":
        return f"chmod {f.get('mode', '?')} {f.get('path', '?')}{at}"
    if entry.kind == "env":
        return f"set env {f.get('name', '?')}={f.get('value', '')}{at}"
    if entry.kind == "package":
        names = f.get("names", "")
        names = " ".join(names) if isinstance(names, (list, tuple)) else names
        return f"installed with {f.get('manager', '?')}: {names}{at}"
    if entry.kind == "delete":
        return f"deleted {f.get('path', '?')}{at}"
    if entry.kind == "note":
        return f"{f.get('text', '')}{at}"
    details = ", ".join(f"{k}={v}" for k, v in f.items())
    return f"{entry.kind}: {details}{at}"
