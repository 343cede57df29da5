"""Configuration files, precedence, zero-config model strings, and keys kept secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests.support.model_server import ModelServer

from codewright.errors import CodewrightError, UsageError
from codewright.gateway import DEFAULT_MODEL, Gateway, Message, Request
from codewright.gateway.config import load_config, ollama_url

SECRET = "sk-very-secret-0123456789"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_project_file_overrides_user_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(home / ".config/codewright/config.toml", """
default_model = "smart"
[router]
max_attempts = 5
read_timeout = 30
[budget]
max_usd = 10
[models.smart]
deployments = [{provider = "openai", model = "gpt-4o"}]
[models.cheap]
deployments = [{provider = "ollama", model = "qwen"}]
""")
    project = tmp_path / "repo"
    _write(project / "codewright.toml", """
[router]
max_attempts = 2
[models.smart]
fallbacks = ["cheap"]
deployments = [{provider = "anthropic", model = "claude-sonnet-4-5", weight = 2}]
[prices."gpt-4o"]
input = 1.0
output = 2.0
""")
    (project / "sub").mkdir()
    config = load_config(project / "sub", env={"HOME": str(home)})
    assert config.default_model == "smart"
    assert config.router.max_attempts == 2 and config.router.read_timeout == 30
    assert config.budget.max_usd == 10
    smart = config.aliases["smart"]
    assert [d.name for d in smart.deployments] == ["anthropic/claude-sonnet-4-5"] and smart.fallbacks == ["cheap"]
    assert config.aliases["cheap"].deployments[0].provider == "ollama"
    assert config.prices["gpt-4o"].input == 1.0
    assert [p.name for p in config.sources] == ["config.toml", "codewright.toml"]


def test_no_files_gives_the_local_default(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={"HOME": str(tmp_path)})
    assert config.default_model == DEFAULT_MODEL == "local/qwen2.5-coder-1.5b"
    assert config.resolve(None).deployments[0].provider == "local"


@pytest.mark.parametrize("text, message", [
    ('[models.x]\ndeployments = [{provider = "openai", model = "m", api_key = "sk-1"}]', "environment only"),
    ('[models.x]\ndeployments = [{provider = "nope", model = "m"}]', "unknown provider"),
    ('[models.x]\nstrategy = "fastest"\ndeployments = [{provider = "openai", model = "m"}]', "strategy"),
    ('[router]\nretries = 3', "unknown key"),
    ('[models.x]\nfallbacks = []', "at least one"),
    ('default_model = ', "invalid TOML"),
    ('models = 3', "models should be a table"),
    ('prices = "cheap"', "prices should be a table"),
    ('[models.x]\ndeployments = [{provider = "openai", model = "m", weight = "heavy"}]', "weight = 'heavy'"),
    ('[router]\nmax_attempts = true', "max_attempts = True should be of type int"),
    ('[models.x]\nfallbacks = "y"\ndeployments = [{provider = "openai", model = "m"}]', "fallbacks"),
])
def test_bad_configuration_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path / "codewright.toml", text)
    with pytest.raises(UsageError, match=message):
        load_config(tmp_path, env={"HOME": str(tmp_path)})


def test_zero_config_conventions() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "ANTHROPIC_BASE_URL": "http://127.0.0.1:8",
           "OLLAMA_HOST": "127.0.0.1:7"}
    gw = Gateway.from_model_string("openai/gpt-4o", env=env)
    dep = gw.config.resolve(None).deployments[0]
    assert (dep.protocol, dep.model, dep.url(env), dep.key_env) == (
        "openai", "gpt-4o", "http://127.0.0.1:9/v1", "OPENAI_API_KEY")
    assert gw.config.resolve("anthropic/claude-sonnet-4-5").deployments[0].url(env) == "http://127.0.0.1:8"
    assert gw.config.resolve("ollama/qwen2.5-coder").deployments[0].url(env) == "http://127.0.0.1:7"
    assert gw.config.resolve("deepseek/deepseek-chat").deployments[0].url({}) == "https://api.deepseek.com"
    assert gw.config.resolve("local/models/q.gguf").deployments[0].model == "models/q.gguf"
    assert ollama_url("localhost") == "http://localhost:11434"
    with pytest.raises(UsageError, match="unknown model 'gpt-4o'"):
        Gateway.from_model_string("gpt-4o")


def test_missing_key_for_a_hosted_api_is_a_usage_error() -> None:
    gw = Gateway.from_model_string("anthropic/claude-sonnet-4-5", env={})
    with pytest.raises(UsageError, match="ANTHROPIC_API_KEY is not set"):
        gw.complete(Request([Message("user", "hi")]))


@pytest.mark.parametrize("url, message", [
    ("127.0.0.1:9/v1", "is not an http:// or https:// URL"),
    ("ftp://127.0.0.1/v1", "is not an http:// or https:// URL"),
    ("http://[::1", "is not a URL"),
])
def test_a_bad_base_url_is_a_usage_error_not_a_retried_failure(url: str, message: str) -> None:
    gw = Gateway.from_model_string("openai/gpt-4o", env={"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "k"})
    with pytest.raises(UsageError, match=message):
        gw.complete(Request([Message("user", "hi")]))


def test_zero_config_call_end_to_end() -> None:
    with ModelServer(api_key=SECRET) as srv:
        for model in ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "ollama/qwen2.5-coder"):
            gw = Gateway.load(model, env=srv.env(SECRET))
            assert gw.complete(Request([Message("user", "hi")])).text == "ok"


def test_key_never_appears_in_reprs_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with ModelServer(api_key="another-key") as srv:
        env = srv.env(SECRET)
        gw = Gateway.from_model_string("openai/gpt-4o", env=env)
        with pytest.raises(Exception) as info:
            gw.complete(Request([Message("user", "hi")]))
        slot = gw.router.slots("openai/gpt-4o")[0]
        texts = [repr(gw), repr(gw.config), repr(slot.dep), repr(slot.provider), str(info.value),
                 repr(info.value.attempts), repr(gw.session), caplog.text]
        assert srv.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was sent...
        for text in texts:
            assert SECRET not in text  # ...and shown nowhere


def test_local_model_not_installed_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no weights there
    gw = Gateway.from_model_string("local/qwen2.5-coder-1.5b", env={})
    with pytest.raises(CodewrightError, match="codewright models install qwen2.5-coder-1.5b"):
        gw.complete(Request([Message("user", "hi")]))
