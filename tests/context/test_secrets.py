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
    ("django secret key", "SECRET_KEY=django-insecure-8f2k3j4h5g6", "django-insecure"),
    ("short name", "DB_PASS=Zq9xLm2Pw7", "Zq9xLm2Pw7"),
    ("signing key", 'JWT_SIGNING_KEY = "f00dfeedbeef1234"', "f00dfeedbeef1234"),
    ("letters only, environment file", "DB_PASSWORD=correcthorsebatterystaple", "correcthorse"),
    ("url, empty user", "redis://:s3cret99@cache:6379", "s3cret99"),
    ("url, @ in the password", "https://bob:p@ss@example.com/x", "ss@example"),
    ("escaped quote", '"password": "ab\\"cdefgh1"', "cdefgh1"),
    ("pgp key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQdGBF\n-----END PGP PRIVATE KEY BLOCK-----", "lQdGBF"),
    ("key in a printed json string", '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"',
     "MIIEvQ"),
    ("bearer header", "curl -H 'Authorization: Bearer abcdef123456789'", "abcdef123456789"),
    ("proxy header", "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("gitlab token", "glpat-abcdefghij1234567890", "glpat-abcdefghij"),
    ("stripe test key", "sk_test_abcdefghij1234567890", "sk_test_abcdef"),
    ("curl user", "curl -u admin:hunter22 https://x", "hunter22"),
    ("mysql", "mysql -u root -phunter22 app", "hunter22"),
]

KEPT = [
    ("keyword argument", "connect(password=password)"),
    ("call", "token = get_token()"),
    ("attribute", "secret = self.secret"),
    ("placeholder", "SECRET_KEY=${SECRET_KEY}"),
    ("counts", "max_tokens = 4096"),
    ("other names", 'tokenizer = "o200k_base"'),
    ("prose", "the password must be at least 8 characters"),
    ("a key header in code", 'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    parse(text)\n    return 1\n'),
    ("a constant naming itself", 'ACCESS_TOKEN = "access_token"'),
    ("a schema's type", '{"password": "string"}'),
    ("a template", 'csrf_token = "{{ csrf_token() }}"'),
    ("a pointer", "token = obj->tok"),
    ("a branch slug", "git checkout sk-add-retry-logic-for-uploads"),
    ("a user and group id", "docker run -u 1000:1000 image"),
    ("a key's letters inside a word", "xAKIAIOSFODNN7EXAMPLE"),  # each pattern starts where a word starts
    ("a token's letters inside a word", "my_ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("curl inside a word", "libcurl -u admin:hunter22"),
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


PROSE = [
    # a secret told in prose: the value is masked, the sentence kept
    ("the password is hunter2", "the password is [redacted]"),
    ("The password is hunter2.", "The password is [redacted]."),
    ("my password was s3cret99, sorry", "my password was [redacted], sorry"),
    ("API key: 9f8e7d6c5b4a", "API key: [redacted]"),
    ("The API key is AbCdEf123456", "The API key is [redacted]"),
    ("the access token is ghx9k2m4p8q1", "the access token is [redacted]"),
    ("the password for admin is hunter22", "the password for admin is [redacted]"),
    ('the passphrase is "c0rrect-h0rse"', 'the passphrase is "[redacted]"'),
    ("the secret key is `ab12cd34ef`.", "the secret key is `[redacted]`."),
    ("token = abc123def", "token = [redacted]"),
    # prose about a secret: no value of letters and digits follows
    ("password is required", "password is required"),
    ("the token is expired", "the token is expired"),
    ("the API key is missing: set OPENAI_API_KEY", "the API key is missing: set OPENAI_API_KEY"),
    ("if password is None:", "if password is None:"),
    ("the token is sha256-hashed", "the token is sha256-hashed"),
    ("the secret is 256-bit", "the secret is 256-bit"),
    ("the token is sha256", "the token is sha256"),
    ("the token is v1.2.3", "the token is v1.2.3"),
    ("the session token is 24h", "the session token is 24h"),
    ("the token is 12345678", "the token is 12345678"),
    ("the password is ${DB_PASSWORD2}", "the password is ${DB_PASSWORD2}"),
    ("the password is <password1>", "the password is <password1>"),
    ("def f(token: np.int64):", "def f(token: np.int64):"),
    ("the tokenizer is o200k_base", "the tokenizer is o200k_base"),
    ("passwords is a module", "passwords is a module"),
]


@pytest.mark.parametrize("text,expected", PROSE, ids=[p[0] for p in PROSE])
def test_secrets_told_in_prose(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_json_stays_valid_json() -> None:
    text = json.dumps({"path": "settings.py", "content": 'API_KEY = "abcd1234efgh5678"\n'})
    out = redact_json(text)
    assert json.loads(out)["content"] == 'API_KEY = "[redacted]"\n'
    assert json.loads(out)["path"] == "settings.py"


PATHS = [
    (".env", True), (".ENV", True), ("config/.Env.Local", True), ("config/.env.production", True), ("deploy/prod.env", True), (".envrc", True),
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



def test_megabytes_of_code_are_redacted_fast() -> None:
    """A file read or written whole: each pattern that starts with \\b or a look back was tried at every position
    of the text, and the assignments at every word (2 MB of this: 1.2 s, now 0.25 s; 5 MB of code: 6 to 8 s)."""
    import time

    code = "def handler(request):\n    return render(request, 'index.html', {'items': items})\n" * 25_000
    started = time.perf_counter()
    assert redact(code) == code
    assert time.perf_counter() - started < 0.6
