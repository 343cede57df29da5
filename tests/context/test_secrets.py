"""Credentials never reach a model, an event or a stored session: redaction and secret paths."""

from __future__ import annotations

import json

import pytest

from codewright.context.secrets import is_secret_path, redact, redact_json

REDACTED = [
    ("aws key", "key = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("openai key", "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx123", "sk-proj-abcdef"),
    ("anthropic key", "token: sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "sk-ant-api03"),
    ("github token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdef"),
    ("private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ("password assignment", "DB_PASSWORD=s3cr3t!pass", "s3cr3t!pass"),
    ("quoted secret", '"client_secret": "Zx9-long-value"', "Zx9-long-value"),
    ("url password", "postgres://app:hunter22@db:5432/x", "hunter22"),
    ("slack token", "xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
]

KEPT = [
    ("keyword argument", "connect(password=password)"),
    ("call", "token = get_token()"),
    ("attribute", "secret = self.secret"),
    ("placeholder", "SECRET_KEY=${SECRET_KEY}"),
    ("counts", "max_tokens = 4096"),
    ("other names", 'tokenizer = "o200k_base"'),
    ("prose", "the password must be at least 8 characters"),
]


@pytest.mark.parametrize("label,text,secret", REDACTED, ids=[r[0] for r in REDACTED])
def test_credentials_are_masked(label: str, text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "[redacted" in out


@pytest.mark.parametrize("label,text", KEPT, ids=[k[0] for k in KEPT])
def test_ordinary_code_is_left_alone(label: str, text: str) -> None:
    assert redact(text) == text


def test_assignment_keeps_the_name_and_quotes() -> None:
    assert redact('api_key: "abcd1234efgh"') == 'api_key: "[redacted]"'


def test_redact_json_stays_valid_json() -> None:
    text = json.dumps({"path": "settings.py", "content": 'API_KEY = "abcd1234efgh5678"\n'})
    out = redact_json(text)
    assert json.loads(out)["content"] == 'API_KEY = "[redacted]"\n'
    assert json.loads(out)["path"] == "settings.py"


PATHS = [
    (".env", True), ("config/.env.production", True), ("deploy/prod.env", True), (".envrc", True),
    ("certs/server.pem", True), ("keys/id_ed25519", True), ("home/.ssh/config", True), (".aws/credentials", True),
    (".npmrc", True), ("terraform.tfvars", True),
    (".env.example", False), ("keys/id_ed25519.pub", False), ("src/env.py", False), ("docs/keys.md", False),
    ("src/secrets_manager.py", False),
]


@pytest.mark.parametrize("path,secret", PATHS, ids=[p[0] for p in PATHS])
def test_secret_paths(path: str, secret: bool) -> None:
    assert is_secret_path(path) is secret


@pytest.mark.parametrize("run", ["x", ".", "ab-", "0123456789abcdef"])
def test_a_long_run_of_name_characters_is_redacted_in_linear_time(run: str) -> None:
    """A hex dump or a line of dots: the assignment pattern once tried every start inside the run (20k: minutes)."""
    import time

    text = run * (60_000 // len(run))
    started = time.perf_counter()
    assert redact(text) == text
    assert time.perf_counter() - started < 1.0
