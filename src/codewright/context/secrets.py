"""Keep credentials away from models, events and stored sessions.

Two guards: `is_secret_path` refuses whole files that exist to hold secrets (`.env`,
private keys, credential stores) before they are read, and `redact` masks values that
look like credentials wherever text leaves the process (a prompt, an event, a saved
session). Patterns are deliberately specific (known key prefixes, PEM blocks,
`password = ...` assignments, "the password is ..." with a value of letters and digits)
so ordinary code and prose about passwords are left untouched.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

SECRET_NAME_GLOBS = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "credentials",
    "credentials.json",
    "secrets.json",
    "secrets.yaml",
    "secrets.yml",
    "*.tfvars",
    ".git-credentials",
)
# Template files document variable names, not values: reading them is safe and useful.
SAFE_NAME_GLOBS = (".env.example", ".env.sample", ".env.template", "*.env.example", "*.pub")
SECRET_DIRS = (".ssh", ".aws", ".gnupg", ".docker")



def _word_start(head: str) -> str:
    """`\\b` then `head` (of a fixed width), written with the \\b after it, as a look back: re finds the matches of
    a pattern that starts with letters by searching for those, and tried one that starts with \\b at every
    position of the text (each pattern took 0.4 s of 5 MB). Before a word character, \\b is `nothing word-like
    comes before it`."""
    return rf"(?:{head})(?<!\w(?:{head}))"


_KEY_LINE = r"(?:\r?\n|\\n)"  # a real line break, or `\n` inside a JSON string printed as it is
_KEY_HEAD = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
# `Authorization:` and `Proxy-Authorization:` alike (`\b` falls after the hyphen), masked after _PATTERNS
_CREDENTIALS = re.compile(r"(?i)(?<=\bauthorization:)\s*(?:bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{8,}")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # the header, the base64 (and `Proc-Type:`) lines after it and the END line if there is one; a header alone,
    # as code that looks for one has it, is no key (it masked everything after it up to the end of the text)
    ("private key", re.compile(
        rf"{_KEY_HEAD}(?:{_KEY_LINE}(?:[A-Za-z0-9+/=]+|[A-Za-z-]+: [^\n]*))+"
        rf"(?:{_KEY_LINE}-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?")),
    ("aws key", re.compile(_word_start("AKIA|ASIA") + r"[0-9A-Z]{16}\b")),
    # a key holds a long run of letters and digits; a slug (`sk-add-retry-logic-for-uploads`) does not
    ("openai key", re.compile(_word_start("sk-") + r"(?:proj-|ant-)?(?=[A-Za-z0-9_\-]*[A-Za-z0-9]{16})[A-Za-z0-9_\-]{20,}")),
    ("github token", re.compile(_word_start("gh[pousr]_") + "[A-Za-z0-9]{30,}|" + _word_start("github_pat_")
                                 + "[A-Za-z0-9_]{40,}")),
    ("gitlab token", re.compile(_word_start("glpat-") + r"[A-Za-z0-9_\-]{20,}")),
    ("slack token", re.compile(_word_start("xox[abprs]-") + r"[A-Za-z0-9\-]{10,}")),
    ("google key", re.compile(_word_start("AIza") + r"[0-9A-Za-z_\-]{35}")),
    ("stripe key", re.compile(_word_start("[rsp]k_(?:live|test)_") + "[0-9A-Za-z]{20,}")),
    ("jwt", re.compile(_word_start("eyJ") + r"[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}")),
    # user (perhaps empty) and password up to the last @ before the host: `p@ss` is one password
    ("url password", re.compile(r"(?<=://)[^/\s:@]*:[^/\s]+(?=@[^@/\s]+)")),
]
# Passwords on a command line: `curl -u user:PASSWORD`, `mysql -pPASSWORD` (the rest of the line kept).
_COMMAND_PASSWORDS = [
    re.compile("(" + _word_start("curl") + r"\b[^\n]*?\s(?:-u|--user)\s+[^\s:]+:)(\S+)"),
    re.compile("(" + _word_start("mysql") + r"(?:dump|admin)?\b[^\n]*?\s-p)(\S+)"),
]
# `password = "hunter2"`, `API_KEY: abc`, `"client_secret": "..."`: the value is masked, the name kept.
# The keyword must end the name, so `max_tokens = 4096` and `tokenizer = "o200k"` are left alone.
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?<![A-Za-z0-9_.\-])  # from where a name starts: a later start would be tried on each letter of it
    (?P<name>["']?(?:[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|
       private[_-]?key|secret[_-]?key|signing[_-]?key|encryption[_-]?key|auth[_-]?key)|(?:[A-Za-z0-9_.\-]*[_.\-])?pass)
       ["']?)(?![A-Za-z0-9_])
    (?P<sep>\s*[:=]\s*)
    (?P<value>"(?:[^"\\\n]|\\.){4,}"|'(?:[^'\\\n]|\\.){4,}'|[^\s"',;)\]}]{4,})
    """
)
_PLACEHOLDER = re.compile(r"(?i)^(?:\*+|x+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|none|null|true|false|"
                          r"changeme|your[_-].*|example.*|\[redacted[^\]]*\]|string|text|"
                          r"\{\{.*\}\}|\{%.*%\}|%\(\w+\)s|"  # a template's field, a schema's type
                          r"(?:[a-z]+[_-])*(?:password|passwd|pass|pwd|secret|token|key)(?:[_-][a-z]+)*)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A secret told in prose: "the password is hunter2", "API key: 9f8e7d6c5b4a", "the token for CI was 'ab12cd34'".
# The value must mix letters and digits, so "password is required" and "the token is None" are left alone.
_PROSE = re.compile(
    r"""(?ix)
    (?P<name>\b(?:(?:api|access|auth|bearer|refresh|session|secret|private|signing)\ (?:key|token)|
       pass(?:word|phrase)|passwd|secret|token)
       (?:\ (?:for|of)\ (?:the\ )?[\w.\-]+)?)  # "the password for admin is ..."
    (?P<sep>\ +(?:is|was)\ +|:\ +|\ *=\ *)
    (?P<value>"[^"\s]{4,}"|'[^'\s]{4,}'|`[^`\s]{4,}`|[^\s"'`,;)\]}]{4,})
    """
)
# Words with digits that name no secret: sha256, utf8, md5, ipv6, hs256; a version; sha256-hashed, 256-bit;
# a dotted name (a type: np.int64)
_PROSE_WORD = re.compile(r"(?i)^(?:[a-z]{1,4}\d{1,3}|v?\d+(?:\.\d+)+|.*-[a-z]+|[a-z_]\w*(?:\.\w+)+)$")


# What a text holds where any pattern above can match: each one's letters (`-----BEGIN`, `AKIA`, `://`, a name's
# keyword...). Text streamed from a model comes a few characters at a time, each piece redacted on its way to the
# screen: most hold none of these, and are let through after this one search instead of sixteen (a file of 1.2 MB
# written by the agent was 150,000 pieces, 7 s of redaction).
_ANY_PATTERN = re.compile(r"-----BEGIN|AKIA|ASIA|sk-|gh[pousr]_|github_pat_|glpat-|xox|AIza|k_live_|k_test_|eyJ|://|"
                          r"curl|mysql|(?i:authorization:|pass|pwd|secret|token|key)")
# Where the patterns that start with no letters can match, found fast (see `_sub_at`).
_AUTHORIZATION = re.compile(r"(?i)authorization:")  # credentials start right after one
_KEYWORD = re.compile(r"(?i)pass|pwd|secret|token|key")  # every name _ASSIGNMENT masks holds one
_NAME_CHAR = re.compile(r"(?i)[A-Za-z0-9_.\-]")  # as _ASSIGNMENT reads a name's characters, case folding too
_NAME_RUN = re.compile(r"(?i)[A-Za-z0-9_.\-]*")


def redact(text: str) -> str:
    """Mask credential-looking values: `[redacted aws key]`, or `password=[redacted]` keeping the name."""
    if not _ANY_PATTERN.search(text):
        return text
    for label, pattern in _PATTERNS:
        text = pattern.sub(f"[redacted {label}]", text)
    text = _sub_at(_CREDENTIALS, (m.end() for m in _AUTHORIZATION.finditer(text)),
                   lambda _: "[redacted credentials]", text)
    for pattern in _COMMAND_PASSWORDS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    text = _sub_at(_ASSIGNMENT, _name_starts(text), _mask_assignment, text)
    return _PROSE.sub(_mask_prose, text)


def _sub_at(pattern: re.Pattern[str], starts: Iterable[int], mask: Callable[[re.Match[str]], str], text: str) -> str:
    """`pattern.sub(mask, text)` for a pattern that can match only where `starts` (ascending) say, tried there
    alone. re tries a pattern that starts with a look back or a class at every position of the text: the
    assignments took 3 s of 5 MB of code, trying each word; a search for what they must hold takes a tenth."""
    parts, end = [], 0
    for start in starts:
        if start < end:
            continue
        match = pattern.match(text, start)  # its look back still sees the text before `start`
        if match:
            parts += [text[end:start], mask(match)]
            end = match.end()
    return "".join([*parts, text[end:]]) if parts else text


def _name_starts(text: str) -> Iterator[int]:
    """Where `_ASSIGNMENT` can match, in order: where a run of name characters holding a keyword starts, and the
    quote before it (its look back rules out any start inside a run)."""
    run_end = -1
    for hit in _KEYWORD.finditer(text):
        if hit.start() < run_end:  # a second keyword in the run
            continue
        start = hit.start()
        while start and _NAME_CHAR.match(text, start - 1):
            start -= 1
        run_end = _NAME_RUN.match(text, hit.start()).end()
        if start and text[start - 1] in "\"'":
            yield start - 1
        yield start


def _mask_assignment(match: re.Match[str]) -> str:
    value = match.group("value")
    quoted = value[0] in "\"'"
    bare = value.strip("\"'")
    name = match.group("name").strip("\"'")
    # `DB_PASSWORD=correcthorse` (an environment file's line) is a value whatever its letters
    environment = not quoted and name.isupper() and match.group("sep") == "="
    if _PLACEHOLDER.match(bare) or bare.lower() == name.lower() or (
            not quoted and not environment and not _looks_like_credential(bare)):
        return match.group(0)
    quote = value[0] if quoted else ""
    return f"{match.group('name')}{match.group('sep')}{quote}[redacted]{quote}"


def _mask_prose(match: re.Match[str]) -> str:
    """The value of "the password is hunter2" masked when it mixes letters and digits: prose about a password
    ("password is required", "the token is expired") has words there. A sentence's closing stop stays."""
    value = match.group("value")
    quote = value[0] if value[0] in "\"'`" else ""
    bare = value[1:-1] if quote else value.rstrip(".!?:")
    if (len(bare) < 6 or _PLACEHOLDER.match(bare) or _PROSE_WORD.match(bare) or any(c in bare for c in "([{<$")
            or not re.search(r"\d", bare) or not re.search(r"[A-Za-z]", bare)):
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{quote}[redacted]{quote}{value[len(bare) + 2 * len(quote):]}"


def _looks_like_credential(value: str) -> bool:
    """An unquoted value is code (`password=password`, `token=get()`) unless it mixes letters and digits."""
    if any(c in value for c in "([.") or "->" in value or value.isdigit():
        return False
    return not (_IDENTIFIER.match(value) and not re.search(r"\d", value))


def redact_json(text: str) -> str:
    """`redact` applied to the string values of a JSON document, which stays valid JSON."""
    try:
        data = json.loads(text)
        cleaned = redact_value(data)
    except (ValueError, RecursionError):  # not JSON, or nested past what can be read: redacted as text
        return redact(text)
    return text if cleaned == data else json.dumps(cleaned, ensure_ascii=False)


def redact_value(value: Any) -> Any:
    """`redact` applied to every string of nested lists and dicts (keys kept)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


def is_secret_path(path: str) -> bool:
    """True for files that exist to hold credentials (`.env`, `*.pem`, `~/.ssh/...`), by name only."""
    parts = PurePosixPath(str(path).replace("\\", "/")).parts
    if not parts:
        return False
    name = parts[-1].lower()  # `.ENV` is `.env` on a file system that ignores case
    if any(fnmatch.fnmatchcase(name, glob) for glob in SAFE_NAME_GLOBS):
        return False
    if any(part.lower() in SECRET_DIRS for part in parts[:-1]):
        return True
    return any(fnmatch.fnmatchcase(name, glob) for glob in SECRET_NAME_GLOBS)
