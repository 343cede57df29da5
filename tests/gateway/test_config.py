"""Configuration files, precedence, zero-config model strings, and keys kept secret."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from tests.support.model_server import ModelServer

from codewright.ceilings import CEILINGS_VARIABLE
from codewright.errors import CodewrightError, UsageError
from codewright.gateway import DEFAULT_MODEL, Gateway, Message, Request
from codewright.gateway.config import (
    Budget,
    Deployment,
    LocalOptions,
    RouterSettings,
    find_project_file,
    load_config,
    ollama_url,
    parse_config,
)
from codewright.gateway.factory import build_provider
from codewright.gateway.prices import Price

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


# (the folders holding a codewright.toml, those holding a .git, relative to tmp_path; where the search starts;
# the folder whose file is found, None for none)
PROJECT_FILE_CASES = {
    "the start's own": (["p"], [], "p", "p"),
    "outside git, the nearest above": (["p", "p/a"], [], "p/a/b", "p/a"),
    "outside git, one in $HOME is not taken below it": (["home"], [], "home/p/q", None),
    "outside git, one in $HOME, run there": (["home"], [], "home", "home"),
    "outside git, one below $HOME is taken": (["home/p"], [], "home/p/q", "home/p"),
    "outside git, one above $HOME is not reached": ([""], [], "home/p", None),
    "outside git, one in $TMPDIR is not taken below it": (["tmpdir"], [], "tmpdir/t", None),
    "outside git, one in $TEMP is not taken below it": (["temp"], [], "temp/t", None),
    "outside git, one in $TMP is not taken below it": (["tmp"], [], "tmp/t", None),
    "outside git, one in a ceiling CODEWRIGHT_CEILING_DIRECTORIES names": (["ceiling"], [], "ceiling/p", None),
    "git, the one at the top, from a subfolder": (["p"], ["p"], "p/src/pkg", "p"),
    "git, the nearest below the top": (["p", "p/src"], ["p"], "p/src/pkg", "p/src"),
    "git, one above the top is not reached": ([""], ["p"], "p/src", None),
    "nested git repositories: the innermost's top bounds it": (["p"], ["p", "p/vendor/lib"], "p/vendor/lib", None),
}


@pytest.mark.parametrize(("files", "repos", "start", "found"), PROJECT_FILE_CASES.values(),
                         ids=PROJECT_FILE_CASES.keys())
def test_the_project_file_is_searched_for_up_to_the_top_and_below_a_ceiling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[str], repos: list[str], start: str,
        found: str | None) -> None:
    """A codewright.toml left in $HOME or /tmp, or in a folder holding several repositories, configured every
    folder below it: the search stops where the one for an index stops (tests/test_cli_project.py)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    monkeypatch.setenv(CEILINGS_VARIABLE, os.pathsep.join([str(tmp_path / "ceiling"), "relative"]))
    for folder in files:
        _write(tmp_path / folder / "codewright.toml", "")
    for folder in repos:
        (tmp_path / folder / ".git").mkdir(parents=True)
    (tmp_path / start).mkdir(parents=True, exist_ok=True)
    expected = None if found is None else tmp_path / found / "codewright.toml"
    assert find_project_file(tmp_path / start) == expected


def test_no_files_gives_the_local_default(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={"HOME": str(tmp_path)})
    assert config.default_model == DEFAULT_MODEL == "local/qwen2.5-coder-1.5b"
    assert config.resolve(None).deployments[0].provider == "local"


@pytest.mark.parametrize("text, message", [
    ('[models.x]\ndeployments = [{provider = "openai", model = "m", api_key = "sk-1"}]', "environment only"),
    ('[models.x]\ndeployments = [{provider = "nope", model = "m"}]',
     r"codewright.toml \[models.x\].deployments\[0\]: unknown provider 'nope'"),
    ('[models.x]\nstrategy = "fastest"\ndeployments = [{provider = "openai", model = "m"}]', "strategy"),
    ('[router]\nretries = 3', "unknown key"),
    ('[models.x]\nfallbacks = []', "at least one"),
    ('default_model = ', "invalid TOML"),
    ('models = 3', "models should be a table"),
    ('prices = "cheap"', "prices should be a table"),
    ('[models.x]\ndeployments = [{provider = "openai", model = "m", weight = "heavy"}]', "weight = 'heavy'"),
    ('[router]\nmax_attempts = true', "max_attempts = True should be of type int"),
    ("default_model = 5", r"codewright\.toml: default_model = 5 should be of type str$"),  # was: unknown model '5'
    ('[models.x]\nfallbacks = "y"\ndeployments = [{provider = "openai", model = "m"}]', "fallbacks"),
])
def test_bad_configuration_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    _write(tmp_path / "codewright.toml", text)
    with pytest.raises(UsageError, match=message):
        load_config(tmp_path, env={"HOME": str(tmp_path)})


DEP = '{provider = "openai", model = "m"'
"""The start of an inline deployment table; a case adds its own keys and the closing brace."""


@pytest.mark.parametrize("text, message", [
    ("[budget]\nmax_usd = -3", "[budget]: max_usd must be a finite number greater than 0, not -3"),
    ("[budget]\nmax_usd = 0", "[budget]: max_usd must be a finite number greater than 0, not 0"),
    ("[budget]\nmax_tokens = 0", "[budget]: max_tokens must be at least 1, not 0"),
    ("[router]\nmax_attempts = -1", "[router]: max_attempts must be at least 1, not -1"),
    ("[router]\nmax_attempts = 0", "[router]: max_attempts must be at least 1, not 0"),
    ("[router]\nread_timeout = -5", "[router]: read_timeout must be a finite number greater than 0, not -5"),
    ("[router]\nconnect_timeout = 0", "[router]: connect_timeout must be a finite number greater than 0, not 0"),
    ("[router]\ntotal_timeout = inf", "[router]: total_timeout must be a finite number greater than 0, not inf"),
    ("[router]\nbackoff_max = nan", "[router]: backoff_max must be a finite number of at least 0, not nan"),
    ("[router]\nbreaker_failures = 0", "[router]: breaker_failures must be at least 1, not 0"),
    ("[router]\nmax_retry_after = -1", "[router]: max_retry_after must be a finite number of at least 0, not -1"),
    (f"[models.x]\ndeployments = [{DEP}, read_timeout = -5}}]",
     "[models.x].deployments[0]: read_timeout must be a finite number greater than 0, not -5"),
    (f"[models.x]\ndeployments = [{DEP}, connect_timeout = 0}}]",
     "[models.x].deployments[0]: connect_timeout must be a finite number greater than 0, not 0"),
    (f"[models.x]\ndeployments = [{DEP}, weight = -1}}]",
     "[models.x].deployments[0]: weight must be a finite number of at least 0, not -1"),
    (f"[models.x]\ndeployments = [{DEP}, max_concurrent = 0}}]",
     "[models.x].deployments[0]: max_concurrent must be at least 1, not 0"),
    (f"[models.x]\ndeployments = [{DEP}, options = {{threads = 0}}}}]",
     "[models.x].deployments[0].options: threads must be at least 1, not 0"),
    (f"[models.x]\ndeployments = [{DEP}, options = {{temperature = -0.5}}}}]",
     "[models.x].deployments[0].options: temperature must be a finite number of at least 0, not -0.5"),
    (f"[models.x]\ndeployments = [{DEP}, options = {{n_ctx = \"big\"}}}}]",
     "[models.x].deployments[0].options: n_ctx = 'big' should be of type int | None"),
    (f"[models.x]\ndeployments = [{DEP}, options = {{thread = 2}}}}]",
     ("[models.x].deployments[0].options: unknown key(s) thread (known: backend, max_tokens, n_ctx, reuse_prefix, "
      "temperature, text_tools, threads, tools)")),
    (f"[models.x]\ndeployments = [{DEP}, options = {{text_tools = \"yes\"}}}}]",
     "[models.x].deployments[0].options: text_tools = 'yes' should be of type bool | None"),
    ('[prices."m"]\ninput = -1\noutput = 1',
     "[prices.'m']: input must be a finite number of at least 0, not -1"),
    (f'[models.x]\nfallbacks = ["nope"]\ndeployments = [{DEP}}}]',
     "[models.x]: fallbacks must name a configured alias (x) or PROVIDER/NAME, not 'nope'"),
    (f'[models.x]\ncontext_fallbacks = ["big/"]\ndeployments = [{DEP}}}]',
     "[models.x]: context_fallbacks must name a configured alias (x) or PROVIDER/NAME, not 'big/'"),
    (f'[models.x]\nfallbacks = [1]\ndeployments = [{DEP}}}]',
     "[models.x]: fallbacks must name a configured alias (x) or PROVIDER/NAME, not 1"),
    ('[budget]\ndowngrade_to = "cheap"',
     "[budget]: downgrade_to must name a configured alias (none) or PROVIDER/NAME, not 'cheap'"),
    ('[models.x]\ndeployments = [{provider = "openai"}]', "[models.x].deployments[0]: model must be set"),
    ('[models.x]\ndeployments = [{name = "n"}]', "[models.x].deployments[0]: provider and model must be set"),
    ('[prices."m"]\ninput = 1', "[prices.'m']: output must be set"),
    (f'[models.x]\nname = "y"\ndeployments = [{DEP}}}]',  # it renamed the alias: x was then "unknown model 'y'"
     "[models.x]: unknown key(s) name (known: context_fallbacks, deployments, fallbacks, strategy)"),
])
def test_a_value_out_of_range_is_a_usage_error_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "codewright.toml", text)
    with pytest.raises(UsageError) as info:
        load_config(tmp_path, env={"HOME": str(tmp_path)})
    assert str(info.value) == f"{path} {message}"


def _with(cls: type, key: str, value: Any) -> dict[str, Any]:
    """A configuration that sets `key` of the table `cls` describes to `value`, all else valid."""
    if cls is RouterSettings:
        return {"router": {key: value}}
    if cls is Budget:
        return {"budget": {key: value}}
    if cls is Price:
        return {"prices": {"m": {"input": 1.0, "output": 1.0, key: value}}}
    deployment: dict[str, Any] = {"provider": "local", "model": "m"}
    deployment.update({key: value} if cls is Deployment else {"options": {key: value}})
    return {"models": {"x": {"deployments": [deployment]}}}


NUMERIC = [(cls, f.name, str(f.type)) for cls in (RouterSettings, Budget, Deployment, Price, LocalOptions)
           for f in fields(cls) if re.search(r"\b(int|float)\b", str(f.type))]
"""Every numeric setting of the schema: a new one fails the test below until it has a range."""


@pytest.mark.parametrize("cls, key, value", [
    pytest.param(cls, key, value, id=f"{cls.__name__}.{key}={value}")
    for cls, key, annotation in NUMERIC
    for value in (-1, *((float("nan"), float("inf")) if "float" in annotation else ()))
])
def test_every_numeric_setting_refuses_negative_and_non_finite_values(cls: type, key: str, value: Any) -> None:
    with pytest.raises(UsageError, match=rf"^codewright\.toml \[.*: {key} must be .*, not {value!r}$"):
        parse_config(_with(cls, key, value), where="codewright.toml")


@pytest.mark.parametrize("config", [
    {"router": {"max_attempts": 1, "backoff_base": 0, "backoff_max": 0, "breaker_cooldown": 0,
                "max_retry_after": 0}},
    {"budget": {"max_usd": 0.01, "max_tokens": 1, "downgrade_to": ""}},
    {"budget": {"downgrade_to": "ollama/qwen2.5-coder:7b"}},
    {"prices": {"m": {"input": 0, "output": 0.0, "cache_read": 0, "cache_write": 0}}},
    {"models": {"x": {"deployments": [{"provider": "local", "model": "m", "weight": 0,
                                       "options": {"temperature": 0, "text_tools": True}}]}}},
    {"models": {"x": {"fallbacks": ["y", "openai/gpt-4.1"], "context_fallbacks": ["y"],
                      "deployments": [{"provider": "openai", "model": "m"}]},
                "y": {"deployments": [{"provider": "openai", "model": "big"}]}}},
], ids=["router-zero-waits", "budget-least", "downgrade-to-model-string", "free-prices", "standby-weight",
        "fallback-defined-later-or-model-string"])
def test_values_the_docs_give_a_meaning_still_load(config: dict[str, Any]) -> None:
    parse_config(config)


def test_a_fallback_may_name_an_alias_from_the_user_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(home / ".config/codewright/config.toml", '[models.cheap]\ndeployments = [{provider = "ollama", model = "q"}]')
    _write(tmp_path / "repo/codewright.toml", f'[models.x]\nfallbacks = ["cheap"]\ndeployments = [{DEP}}}]')
    assert load_config(tmp_path / "repo", env={"HOME": str(home)}).aliases["x"].fallbacks == ["cheap"]


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
    with pytest.raises(UsageError, match="unknown model 'gpt-4o'"):
        Gateway.from_model_string("gpt-4o")


@pytest.mark.parametrize("host, url", [
    ("localhost", "http://localhost:11434"),
    ("127.0.0.1:7", "http://127.0.0.1:7"),
    ("0.0.0.0", "http://0.0.0.0:11434"),
    ("[::1]", "http://[::1]:11434"),
    ("gpu-box/ollama", "http://gpu-box:11434/ollama"),
    ("http://127.0.0.1:11434/", "http://127.0.0.1:11434"),
    ("https://ollama.example.com", "https://ollama.example.com"),  # 443, as for Ollama's client: was :11434
    ("http://gpu-box", "http://gpu-box"),  # 80, as for Ollama's client: was :11434
])
def test_ollama_host_is_read_as_ollamas_own_client_reads_it(host: str, url: str) -> None:
    assert ollama_url(host) == url


def test_missing_key_for_a_hosted_api_is_a_usage_error() -> None:
    gw = Gateway.from_model_string("anthropic/claude-sonnet-4-5", env={})
    with pytest.raises(UsageError, match="ANTHROPIC_API_KEY is not set"):
        gw.complete(Request([Message("user", "hi")]))


def _keyless(protocol: str, model: str = "m", **base_url: str) -> Gateway:
    """A gateway whose one deployment says `api_key_env = ""`, with the hosted APIs' keys in the environment."""
    deployment = {"provider": protocol, "model": model, "api_key_env": "", **base_url}
    config = parse_config({"models": {"main": {"deployments": [deployment]}}})
    return Gateway(config, env={"OPENAI_API_KEY": SECRET, "ANTHROPIC_API_KEY": SECRET})


@pytest.mark.parametrize("protocol, header", [("openai", "authorization"), ("anthropic", "x-api-key")])
def test_an_empty_api_key_env_sends_no_key(protocol: str, header: str) -> None:
    """`api_key_env = ""` fell back to the provider's variable: a server of one's own was sent the hosted API's
    key (OPENAI_API_KEY), where the file said to send none."""
    with ModelServer() as srv:
        gw = _keyless(protocol, base_url=srv.openai_base if protocol == "openai" else srv.anthropic_base)
        assert gw.complete(Request([Message("user", "hi")], model="main")).text == "ok"
        assert header not in srv.requests[0].headers


_HOSTED_KEYS = {"OPENAI_API_KEY": SECRET, "ANTHROPIC_API_KEY": SECRET, "DEEPSEEK_API_KEY": SECRET,
                "OPENROUTER_API_KEY": SECRET, "MY_PROXY_KEY": "sk-proxy-0123456789"}
_BASE = {"openai": "openai_base", "deepseek": "openai_base", "openrouter": "openai_base", "anthropic": "anthropic_base"}
_KEY_HEADER = {"anthropic": "x-api-key"}


@pytest.mark.parametrize("provider, table, env_base, sent", [
    ("openai", {}, False, None),
    ("anthropic", {}, False, None),
    ("deepseek", {}, False, None),
    ("openrouter", {}, False, None),
    ("openai", {"api_key_env": "OPENAI_API_KEY"}, False, SECRET),
    ("anthropic", {"api_key_env": "MY_PROXY_KEY"}, False, "sk-proxy-0123456789"),
    ("openai", {}, True, SECRET),
], ids=["openai", "anthropic", "deepseek", "openrouter", "the hosted key asked for by name", "a key of its own",
        "OPENAI_BASE_URL beside OPENAI_API_KEY"])
def test_a_base_url_of_another_host_is_not_sent_the_hosted_apis_key(provider: str, table: dict[str, str],
                                                                     env_base: bool, sent: str | None) -> None:
    """A deployment's `base_url` with no `api_key_env` was sent the provider's variable: OPENAI_API_KEY went to
    whatever host the file named (a proxy, a third party's server). Sent there only where asked for by name, or
    where the user set the provider's own base URL variable beside it."""
    with ModelServer() as srv:
        url = getattr(srv, _BASE[provider])
        env = dict(_HOSTED_KEYS, OPENAI_BASE_URL=url) if env_base else _HOSTED_KEYS
        deployment = {"provider": provider, "model": "m", **({} if env_base else {"base_url": url}), **table}
        gw = Gateway(parse_config({"models": {"main": {"deployments": [deployment]}}}), env=env)
        assert gw.complete(Request([Message("user", "hi")], model="main")).text == "ok"
    header = srv.requests[0].headers.get(_KEY_HEADER.get(provider, "authorization"))
    assert header == (None if sent is None else sent if provider == "anthropic" else f"Bearer {sent}")


@pytest.mark.parametrize("url", ["https://api.openai.com/v1", "https://API.openai.com/v1/", "https://api.openai.com"])
def test_a_base_url_on_the_providers_own_host_reads_its_variable(url: str) -> None:
    """The hosted API named as base_url is still the provider's: its key is the one it takes."""
    assert Deployment("openai", "gpt-4o", base_url=url).key_env == "OPENAI_API_KEY"


def test_an_empty_api_key_env_for_a_hosted_api_is_a_usage_error() -> None:
    """Its requests would all be refused (401): said before a session starts, as a key not set is."""
    with pytest.raises(UsageError) as info:
        _keyless("openai", "gpt-4o").check("main")
    assert str(info.value) == ('openai/gpt-4o: api_key_env = "" sends no key, and https://api.openai.com/v1 takes no '
                               "request without one: set api_key_env to the variable that holds the key, or base_url "
                               "to a server that needs none")


@pytest.mark.parametrize("url, message", [
    ("127.0.0.1:9/v1", "is not an http:// or https:// URL"),
    ("ftp://127.0.0.1/v1", "is not an http:// or https:// URL"),
    ("http://[::1", "is not a URL"),
])
def test_a_bad_base_url_is_a_usage_error_not_a_retried_failure(url: str, message: str) -> None:
    gw = Gateway.from_model_string("openai/gpt-4o", env={"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "k"})
    with pytest.raises(UsageError, match=message):
        gw.complete(Request([Message("user", "hi")]))


def test_a_bad_base_url_is_said_before_a_session_as_a_missing_key_is() -> None:
    """`run` checks the model before it starts a session: a base URL that is none passed, and the run failed
    (exit 1) at its first model call, after the session had started."""
    gw = Gateway.from_model_string("openai/gpt-4o", env={"OPENAI_BASE_URL": "127.0.0.1:9/v1", "OPENAI_API_KEY": "k"})
    with pytest.raises(UsageError, match=r"^openai/gpt-4o: base_url '127.0.0.1:9/v1' is not an http:// or https:// URL$"):
        gw.check()


def test_a_deployment_with_a_bad_base_url_is_passed_over_for_the_fallbacks() -> None:
    """As a deployment whose key is not set is: the request failed there, its fallbacks never tried."""
    with ModelServer() as srv:
        config = parse_config({"models": {
            "main": {"deployments": [{"provider": "openai", "model": "m", "base_url": "localhost:8000/v1"}],
                     "fallbacks": ["b"]},
            "b": {"deployments": [{"provider": "openai", "model": "m", "base_url": srv.openai_base}]}}})
        gw = Gateway(config, env={})
        assert gw.complete(Request([Message("user", "hi")], model="main")).text == "ok"
        assert srv.count() == 1 and gw.session.calls[-1].attempts == 2


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
                 repr(vars(info.value)), repr(gw.session), caplog.text]
        assert srv.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was sent...
        for text in texts:
            assert SECRET not in text  # ...and shown nowhere
        # the server's 401 quoted it back, as OpenAI's does: the words are kept, the key is not
        assert "(HTTP 401: Incorrect API key provided: <api key>. " in str(info.value)


def test_local_model_not_installed_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no weights there
    gw = Gateway.from_model_string("local/qwen2.5-coder-1.5b", env={})
    with pytest.raises(CodewrightError, match="codewright models install qwen2.5-coder-1.5b"):
        gw.complete(Request([Message("user", "hi")]))


def test_a_local_deployment_with_the_agents_options_builds_its_provider(tmp_path: Path) -> None:
    """`tools` and `text_tools` are the agent's (agent/runner.py): passed on to the local provider, they made
    every use of such a deployment a TypeError traceback."""
    weights = _write(tmp_path / "m.gguf", "not loaded here")
    config = parse_config({"models": {"x": {"deployments": [{"provider": "local", "model": str(weights), "options": {
        "threads": 1, "tools": ["read_file", "finish"], "text_tools": False}}]}}})
    provider = build_provider(config.aliases["x"].deployments[0], config.router, {})
    assert repr(provider) == f"LocalProvider({str(weights)!r}, threads=1)"
