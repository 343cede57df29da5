"""Permissions: what the agent may read, write and run without asking.

Four modes, from cautious to trusting:

    plan       read-only: writes and commands are denied (the agent plans, nothing changes)
    ask        reads are free; every write and every command asks first
    auto-edit  writes inside the workspace are free; commands ask
    full-auto  nothing asks, except destructive or network commands

Rules from the configuration refine the modes (deny beats allow beats the mode):

    [permissions]
    allow = ["npm install*", "git push origin *", "path:.env.test"]
    deny  = ["git push --force*", "path:migrations/**"]
    network = false   # commands in the sandbox may use the network

A rule is a glob over the command line (`*` matches anything, spaces included) or, with
a `path:` prefix, over a workspace-relative path. A compound command (`a && b | c`) is
judged part by part. Whatever the mode and rules, nothing is written outside the
workspace, and secret files (.env, keys) are refused unless a `path:` rule allows them.
Destructive (rm -r, git push, git reset --hard ...) and network commands (curl, wget,
package installs ...) ask unless a rule allows them, and so does a command naming a secret
file (`cat .env`). `yes=True` answers yes wherever the
mode would ask, but never to a denied command.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from codewright.context.secrets import is_secret_path
from codewright.gateway.config import PROJECT_FILE
from codewright.tools.sandbox import RUNS_COMMANDS

MODES = ("plan", "ask", "auto-edit", "full-auto")
Action = Literal["allow", "ask", "deny"]

_SPLIT = re.compile(r"\s*(?:&&|\|\||;|\||\n|(?<![<>])&(?!>))\s*")  # `2>&1` and `&>` are redirections
_DESTRUCTIVE = [
    (re.compile(r"^rm\b.*\s(-\w*[rRf]\w*|--recursive|--force)(\s|$)"), "deletes recursively or forcibly"),
    (re.compile(r"^find\b.*\s(-delete|-exec(dir)?\s+(\S*/)?rm)(\s|$)"), "deletes files (find)"),
    (re.compile(r"^git\s+push\b"), "pushes to a remote"),
    (re.compile(r"^git\s+reset\s+--hard\b"), "discards work (git reset --hard)"),
    (re.compile(r"^git\s+clean\b.*-\w*f"), "deletes untracked files (git clean)"),
    (re.compile(r"^git\s+checkout\b.*\s(--|\.|-\w*f\w*|--force)(\s|$)"), "discards uncommitted changes"),
    (re.compile(r"^git\s+restore\b(?!(?=.*\s--staged(\s|$))(?!.*\s(-\w*W|--worktree)(\s|$)))"),
     "discards uncommitted changes"),
    (re.compile(r"^git\s+stash\s+(drop|clear)\b"), "deletes stashed work"),
    (re.compile(r"^git\s+branch\b.*\s(-D|-\w*d\w*f\w*|-\w*f\w*d\w*)(\s|$)"), "deletes a branch"),
    (re.compile(r"^git\s+branch\b(?=.*\s(-d|--delete)(\s|$))(?=.*\s(-f|--force)(\s|$))"), "deletes a branch"),
    (re.compile(r"^(sudo\s+)?(mkfs|dd|shred|fdisk|parted)\b"), "writes to disks"),
    (re.compile(r"^(sudo\s+)?(chmod|chown)\b.*\s(-\w*R\w*|--recursive)(\s|$)"), "changes permissions recursively"),
    (re.compile(r"^(sudo\s+)?(shutdown|reboot|halt|poweroff)\b"), "stops the machine"),
    (re.compile(r"^(sh|bash|dash|zsh|ksh) <input>$"), "runs the commands it is given on its input"),
    (re.compile(r"^sudo\b"), "runs as root"),
]
_NETWORK = [
    (re.compile(r"^(curl|wget|ssh|scp|sftp|rsync|nc|ncat|telnet|ftp)\b"), "uses the network"),
    (re.compile(r"^git\s+(clone|fetch|pull|submodule\s+update)\b"), "fetches from a remote"),
    (re.compile(r"^(python\d?(\.\d+)?\s+-m\s+)?(pip\d?|uv\s+pip)\s+install\b"), "installs packages"),
    (re.compile(r"^(uv|poetry|pdm|pipenv)\s+(add|install|sync)\b"), "installs packages"),
    (re.compile(r"^(npm|pnpm|yarn|bun)\s+(i|install|add|ci)\b"), "installs packages"),
    (re.compile(r"^(npx|pnpx|bunx)\b"), "downloads and runs a package"),
    (re.compile(r"^(sudo\s+)?(apt|apt-get|dnf|yum|apk|brew|pacman)\s+(install|add|upgrade)\b"), "installs packages"),
    (re.compile(r"^(cargo|go|gem|conda|mamba)\s+(install|add|get)\b"), "installs packages"),
    (re.compile(r"^docker\s+(pull|push|run|build)\b"), "uses the network (docker)"),
]


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str

    @property
    def allowed(self) -> bool:
        return self.action == "allow"


@dataclass(frozen=True)
class ApprovalRequest:
    """A question for the user: may this tool call go ahead? `str()` is the question as shown."""

    tool: str
    kind: Literal["write", "command"]
    target: str  # the path or the command line
    reason: str  # why the mode or a rule asks

    def __str__(self) -> str:
        verb = "Run" if self.kind == "command" else "Write"
        return f"{verb} {self.target!r} ({self.tool}; {self.reason})?"


@dataclass
class Permissions:
    """Decides reads, writes and commands for one session; see the module docstring."""

    mode: str = "ask"
    yes: bool = False
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    network: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}: use one of {', '.join(MODES)}")

    @classmethod
    def from_config(cls, mode: str, table: dict | None, *, yes: bool = False) -> Permissions:
        """From the config's `[permissions]` table (allow, deny, network); ValueError for a value of the wrong
        type: `allow = "pytest*"` was read as one rule per character, `*` among them, which allowed everything,
        and `network = "false"` switched the network on. A key of no rule is a ValueError too: a typo (`dney`) was
        ignored, and the commands it was written to forbid ran."""
        table = table or {}
        unknown = sorted(set(table) - {"allow", "deny", "network"})
        if unknown:
            raise ValueError(f"[permissions] unknown key(s) {', '.join(unknown)} (known: allow, deny, network)")
        rules = {}
        for key in ("allow", "deny"):
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
                raise ValueError(f"[permissions] {key} must be a list of strings, like {key} = [\"make test\"]")
            rules[key] = list(value)
        network = table.get("network", False)
        if type(network) is not bool:  # a config value, so a ValueError like the others
            raise ValueError("[permissions] network must be true or false")
        return cls(mode, yes=yes, allow=rules["allow"], deny=rules["deny"], network=network)

    @property
    def sandboxed(self) -> bool:
        """Commands run in the OS sandbox in the auto modes (where bubblewrap is available)."""
        return self.mode in ("auto-edit", "full-auto")

    def check_path(self, root: Path, path: str, *, write: bool) -> Decision:
        """May `path` (relative to the workspace `root`, or absolute) be read or written?"""
        if "\0" in path:  # resolving it raises as a path outside the workspace does: it was said to be one
            return Decision("deny", f"{path!r} holds a NUL character, which no file name has")
        try:
            rel = _relative(root, path)
        except ValueError:
            if write:
                return Decision("deny", f"{path} is outside the workspace: no write outside it in any mode")
            return Decision("deny", f"{path} is outside the workspace: the tools work inside it only")
        if self._path_rule(rel, self.deny):
            return Decision("deny", f"{rel} matches a deny rule")
        if write and _runs_commands(rel):
            return Decision("deny", f"{rel} is git's or codewright's own: a config or hook written there runs "
                            "commands, so the tools never write it in any mode")
        if write and rel == PROJECT_FILE:
            return Decision("deny", f"{rel} is codewright's configuration: its permissions and model endpoints "
                            "apply to the next session, so the tools never write it in any mode")
        allowed = self._path_rule(rel, self.allow)
        if is_secret_path(rel) and not allowed:
            return Decision("deny", f"{rel} may hold secrets: it is not sent to the model "
                            f"(allow it with a rule `path:{rel}` if the user wants it)")
        if not write:
            return Decision("allow", "reads are free")
        if self.mode == "plan":
            return Decision("deny", "plan mode is read-only")
        if allowed or self.mode in ("auto-edit", "full-auto"):
            return Decision("allow", "allowed by a rule" if allowed else f"{self.mode} mode writes freely")
        return self._ask(f"{self.mode} mode asks before writes")

    def check_command(self, command: str) -> Decision:
        """May this command line run? Deny rules win; then allow rules; then risk and the mode."""
        parts = split_command(command) + [p for inner in substitutions(command) for p in split_command(inner)]
        for part in parts:
            for run in dict.fromkeys([part, *_effective(part, 0)]):  # `nice make deploy` runs `make deploy`
                if self._command_rule(run, self.deny):
                    return Decision("deny", f"`{part}` matches a deny rule")
        if self.mode == "plan":
            return Decision("deny", "plan mode runs no commands")
        unruled = [p for p in parts if not (self._command_rule(p, self.allow) and not _UNRULED.search(p))]
        if not unruled:
            return Decision("allow", "allowed by a rule")
        risks = [r for r in (command_risk(p) for p in unruled) if r] + self._secret_risks(unruled)
        if risks:
            return self._ask(f"the command {risks[0]}")
        if self.mode == "full-auto":
            return Decision("allow", "full-auto mode runs commands freely")
        return self._ask(f"{self.mode} mode asks before commands")

    def _ask(self, reason: str) -> Decision:
        return Decision("allow", f"{reason}; --yes answered yes") if self.yes else Decision("ask", reason)

    def _secret_risks(self, parts: list[str]) -> list[str]:
        """A command naming a secret file (`cat .env`) would put it in front of the model: ask first."""
        named = {w for p in parts for w in shell_words(p)
                 if is_secret_path(w) and not self._path_rule(w, self.allow)}
        return [f"reads a file that may hold secrets ({', '.join(sorted(named))})"] if named else []

    @staticmethod
    def _path_rule(rel: str, rules: list[str]) -> bool:
        return any(r.startswith("path:") and _glob(rel, r[5:].strip()) for r in rules)

    @staticmethod
    def _command_rule(part: str, rules: list[str]) -> bool:
        return any(not r.startswith("path:") and fnmatch.fnmatchcase(part, _normal(r)) for r in rules)


# What an allow rule's `*` must not swallow: a command substitution runs a command of its own, and a redirection
# writes a file (`pytest* > a.py`); those to /dev/null or another descriptor do not.
_UNRULED = re.compile(r"\$\(|`|[<>]\(|(?<![<>\d])>(?!&|\s*/dev/null\b)|\d>(?!&|\s*/dev/null\b)")
_SUBSTITUTION = re.compile(r"[$<>]\(([^()]*)\)|`([^`]*)`")


def substitutions(command: str) -> list[str]:
    """The commands inside `$(...)`, `<(...)`, `>(...)` and backticks, innermost first: the shell runs them
    whatever command they are an argument of (`echo $(rm -rf lib)`)."""
    found, text = [], command
    while True:
        inner = [m.group(1) if m.group(1) is not None else m.group(2) for m in _SUBSTITUTION.finditer(text)]
        if not inner:
            return found
        found += inner
        text = _SUBSTITUTION.sub(" ", text)


def split_command(command: str) -> list[str]:
    """The simple commands of a command line (split at &&, ||, ;, |, newlines), whitespace normalised."""
    parts = [_normal(p) for p in _SPLIT.split(command)]
    return [_strip_env(p) for p in parts if p] or [""]


def command_risk(part: str) -> str | None:
    """Why a simple command is destructive or uses the network, or None. The program is read as the shell would
    run it: its path (`/bin/rm`), a leading backslash or parenthesis, wrappers (`command`, `env`, `exec`, `time`,
    `nice`, `nohup`, `timeout`, `xargs`, `sudo`) and git's own options (`git -C . push`) do not hide it, and
    the commands of `sh -c "..."` and `eval` are read too. A pattern, not a proof: the sandbox is the wall."""
    for command in _effective(part, 0):
        for pattern, why in _DESTRUCTIVE + _NETWORK:
            if pattern.search(command):
                return why
    return None


_WRAPPERS = {"command": (), "builtin": (), "exec": (), "time": (), "nohup": (), "sudo": ("-u", "-g"), "setsid": (),
             # the shell's own words before a command: `if x; then rm -rf y; fi` runs `rm -rf y`
             "if": (), "then": (), "else": (), "elif": (), "do": (), "while": (), "until": (), "!": (),
             "env": ("-u", "-C", "-S"), "nice": ("-n",), "ionice": ("-c", "-n"), "timeout": ("-s", "-k"),
             "xargs": ("-n", "-I", "-L", "-P", "-s", "-d", "-E", "-a")}  # wrapper -> its options that take a value
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_GIT_VALUED = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


def _effective(part: str, depth: int) -> list[str]:
    """The commands a simple command runs, wrappers removed, each as `program args` (see `command_risk`)."""
    words = [w for w in shell_words(part) if w]
    found: list[str] = []
    while words:
        first = words[0].lstrip("\\({")
        if not first:
            words = words[1:]
            continue
        name = first.rsplit("/", 1)[-1]
        if name == "sudo":
            found.append("sudo " + " ".join(words[1:]))  # itself a risk: runs as root
        if name not in _WRAPPERS:
            break
        words = _after_options(words[1:], _WRAPPERS[name], assignments=name == "env", count=name == "timeout")
    if not words:
        return found or [part]
    name = words[0].lstrip("\\({").rsplit("/", 1)[-1]
    args = _git_subcommand(words[1:]) if name == "git" else words[1:]
    found.append(" ".join([name, *args]))
    script = _shell_script(args) if name in _SHELLS else None
    if name in _SHELLS and script is None and _reads_input(args):
        found.append(f"{name} <input>")  # `echo 'rm -rf x' | bash`, `bash <<< '...'`: commands from its input
    if depth < 3 and script:
        found += [c for inner in split_command(script) for c in _effective(inner, depth + 1)]
    elif depth < 3 and name == "eval" and args:
        found += [c for inner in split_command(" ".join(args)) for c in _effective(inner, depth + 1)]
    return found


def _reads_input(args: list[str]) -> bool:
    """Whether a shell without `-c` runs what its input holds: no script named before a redirection."""
    for arg in args:
        if arg.startswith("<"):
            return True
        if not arg.startswith(("-", "+")):
            return False
    return True


def _shell_script(args: list[str]) -> str | None:
    """The command string of `sh -c "..."`, `bash -lc`, `sh -ec`: the word after the option cluster holding c."""
    for i, arg in enumerate(args[:-1]):
        if re.fullmatch(r"-[a-zA-Z]*c[a-zA-Z]*", arg):
            return args[i + 1]
        if not arg.startswith(("-", "+")):
            return None
    return None


def _after_options(words: list[str], valued: tuple[str, ...], assignments: bool, count: bool) -> list[str]:
    """A wrapper's arguments from its program on: its options (with their values) and `env`'s `VAR=value`s
    skipped, and `timeout`'s duration."""
    i = 0
    while i < len(words) and (words[i].startswith("-") or (assignments and "=" in words[i])):
        i += 2 if words[i] in valued else 1
    return words[i + 1:] if count and i < len(words) else words[i:]


def _git_subcommand(args: list[str]) -> list[str]:
    """git's arguments from its subcommand on: `git -C . -c k=v --no-pager push` reads as `git push`."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUED else 1
    return args[i:]


def _normal(text: str) -> str:
    return " ".join(text.split())


def shell_words(part: str) -> list[str]:
    """The words of a simple command as the shell splits them (plain split when quotes do not close)."""
    try:
        return shlex.split(part.replace("$'", "'"))  # bash's $'...' quoting, read close enough to judge it
    except ValueError:
        return part.split()


def _strip_env(part: str) -> str:
    """`FOO=1 BAR=2 cmd args` -> `cmd args`, so rules and risks see the program."""
    words = shell_words(part)
    i = 0
    while i < len(words) - 1 and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i]):
        i += 1
    return " ".join(words[i:]) if i else part


def _runs_commands(rel: str) -> bool:
    """Inside a `.git` folder (the repository's, a submodule's) or `.codewright/` (its shadow repository): see
    `sandbox.RUNS_COMMANDS`."""
    parts = rel.split("/")
    git, codewright = RUNS_COMMANDS
    return git in parts or parts[0] == codewright


def _relative(root: Path, path: str) -> str:
    """The workspace-relative POSIX path, resolving symlinks and `..`; ValueError when outside."""
    root = root.resolve()
    full = (root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    return full.relative_to(root).as_posix()


def _glob(rel: str, pattern: str) -> bool:
    """Path globs: `**` spans directories, a trailing `/` or `/**` matches everything below."""
    pattern = pattern.rstrip("/")
    if pattern.endswith("/**"):
        base = pattern[:-3]
        if rel == base or rel.startswith(base + "/"):
            return True
    return fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.replace("**/", ""))
