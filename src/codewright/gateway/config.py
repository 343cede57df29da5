"""Gateway configuration: aliases of deployments, router settings, budget, prices.

Read from `codewright.toml` (the first one found from the project directory upwards) over
`~/.config/codewright/config.toml` (or `$XDG_CONFIG_HOME/codewright/config.toml`); the
schema and a full example are in docs/config.md. API keys are never read from a file: a
deployment names the environment variable that holds its key (`api_key_env`), so no key
is ever stored, printed or logged by codewright.

With no file at all, a model string works by convention: `openai/NAME`, `anthropic/NAME`,
`ollama/NAME`, `deepseek/NAME`, `openrouter/NAME`, `local/NAME` or `local/PATH.gguf`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from codewright.ceilings import searched, work_tree_top
from codewright.errors import UsageError
from codewright.gateway.prices import Price

DEFAULT_MODEL = "local/qwen2.5-coder-1.5b"
"""The model used when nothing is configured: the embedded local model."""

PROJECT_FILE = "codewright.toml"


@dataclass(frozen=True)
class Convention:
    """How `PROVIDER/NAME` is reached with no configuration file."""

    protocol: str  # openai | anthropic | ollama | local
    base_env: str | None
    base_url: str | None
    key_env: str | None


CONVENTIONS: dict[str, Convention] = {
    "openai": Convention("openai", "OPENAI_BASE_URL", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    "anthropic": Convention("anthropic", "ANTHROPIC_BASE_URL", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    "ollama": Convention("ollama", "OLLAMA_HOST", "http://127.0.0.1:11434", None),
    "deepseek": Convention("openai", "DEEPSEEK_BASE_URL", "https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "openrouter": Convention("openai", "OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "local": Convention("local", None, None, None),
}


def ollama_url(host: str) -> str:
    """OLLAMA_HOST (or an ollama deployment's base_url) as Ollama's own client reads it: `host` or `host:port` is
    http, on Ollama's port 11434 unless it names one; a URL is a URL, on its scheme's port unless it names one.
    https://ollama.example.com (a server behind a TLS proxy, Ollama's cloud) was sent to port 11434, where
    nothing answered, and http://gpu-box too, where Ollama's client goes to port 80."""
    if "://" in host:
        return host.rstrip("/")
    hostport, slash, path = host.partition("/")
    if not re.search(r":\d+$", hostport):  # [::1] names no port; its colons are the address's
        hostport += ":11434"
    return f"http://{hostport}{slash}{path}".rstrip("/")


@dataclass
class Deployment:
    """One concrete endpoint: a provider, a model, where to reach it. Holds no secret."""

    provider: str
    model: str
    name: str = ""
    base_url: str | None = None
    api_key_env: str | None = None
    weight: float = 1.0
    max_concurrent: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    context_window: int | None = None
    max_tokens: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # passed to the local model provider

    def __post_init__(self) -> None:
        if self.provider not in CONVENTIONS:
            known = ", ".join(sorted(CONVENTIONS))
            raise UsageError(f"unknown provider {self.provider!r} (known: {known})")
        self.name = self.name or f"{self.provider}/{self.model}"

    @property
    def protocol(self) -> str:
        return CONVENTIONS[self.provider].protocol

    @property
    def key_env(self) -> str | None:
        """The variable the key is read from: `api_key_env`, none where it is "" (a server of one's own that takes
        no key). Not given, it is the provider's own, unless `base_url` names another host than the provider's: a
        deployment of a proxy or a server of one's own was sent the hosted API's key (OPENAI_API_KEY), which gave
        that host the user's key for the hosted API; it has to be asked for by name there. (OPENAI_BASE_URL set
        beside OPENAI_API_KEY is the user's pairing of the two, as for OpenAI's own client: that key is sent.)"""
        if self.api_key_env is None:
            conv = CONVENTIONS[self.provider]
            foreign = self.base_url is not None and _origin(self.base_url) != _origin(conv.base_url or "")
            return None if foreign else conv.key_env
        return self.api_key_env or None

    def url(self, env: Mapping[str, str]) -> str | None:
        conv = CONVENTIONS[self.provider]
        url = self.base_url or (env.get(conv.base_env) if conv.base_env else None) or conv.base_url
        return ollama_url(url) if url and self.protocol == "ollama" else url


def _origin(url: str) -> tuple[str, str]:
    """A URL's scheme and host (with its port), as a server is told from another."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower()


@dataclass
class Alias:
    """Deployments that serve one model name, and where to go when they cannot."""

    name: str
    deployments: list[Deployment]
    strategy: str = "weighted"  # weighted | latency
    fallbacks: list[str] = field(default_factory=list)
    context_fallbacks: list[str] = field(default_factory=list)


@dataclass
class RouterSettings:
    max_attempts: int = 3
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    total_timeout: float = 600.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
    max_retry_after: float = 60.0


@dataclass
class Budget:
    max_usd: float | None = None
    max_tokens: int | None = None
    downgrade_to: str | None = None  # an alias or model string to use once the budget is spent


@dataclass
class GatewayConfig:
    default_model: str = DEFAULT_MODEL
    aliases: dict[str, Alias] = field(default_factory=dict)
    router: RouterSettings = field(default_factory=RouterSettings)
    budget: Budget = field(default_factory=Budget)
    prices: dict[str, Price] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)

    def resolve(self, model: str | None) -> Alias:
        """The alias for `model` (default when empty), adding a conventional one for PROVIDER/NAME."""
        model = model or self.default_model
        if model in self.aliases:
            return self.aliases[model]
        if not is_model_string(model):
            aliases = ", ".join(sorted(self.aliases)) or "none configured"
            raise UsageError(
                f"unknown model {model!r}: not a configured alias ({aliases}) and not PROVIDER/NAME "
                f"with PROVIDER one of {', '.join(sorted(CONVENTIONS))}"
            )
        provider, _, name = model.partition("/")
        alias = Alias(model, [Deployment(provider, name)])
        self.aliases[model] = alias
        return alias


def is_model_string(model: str) -> bool:
    """Whether `model` is PROVIDER/NAME with a known provider, which works with no configuration."""
    provider, sep, name = model.partition("/")
    return bool(sep and name) and provider in CONVENTIONS


# ---------------------------------------------------------------- reading files


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "codewright" / "config.toml"


def find_project_file(start: Path) -> Path | None:
    """The nearest codewright.toml of `start` and its parents, no higher than its git work tree's top and below
    the nearest ceiling (codewright/ceilings.py), as the index is found: one in $HOME or /tmp, or in a folder
    holding several repositories, configured every folder below it."""
    top = work_tree_top(start)
    return next((folder / PROJECT_FILE for folder in searched(start, top) if (folder / PROJECT_FILE).is_file()), None)


def read_toml(path: Path) -> dict[str, Any]:
    """A configuration file's tables; one that is not UTF-8 TOML is a usage error naming it (TOML is UTF-8
    by definition, so other bytes are as invalid as a syntax error, and reported the same way)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise UsageError(f"{path}: invalid TOML: nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                         f"{exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {exc.strerror}") from None


def merge(low: dict[str, Any], high: dict[str, Any]) -> dict[str, Any]:
    """`high` over `low`; tables merge key by key, except a model alias, which is replaced whole."""
    out = dict(low)
    for key, value in high.items():
        if key == "models" and isinstance(value, dict):
            out[key] = {**low.get("models", {}), **value}
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(
    project_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    user_path: Path | None = None,
) -> GatewayConfig:
    """Read the user file, then the project file over it; no file gives the defaults."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    sources = []
    for path in (user_path or user_config_path(env), find_project_file((project_dir or Path.cwd()).resolve())):
        if path is not None and path.is_file():
            data = merge(data, read_toml(path))
            sources.append(path)
    config = parse_config(data, where=" / ".join(str(s) for s in sources) or "configuration")
    config.sources = sources
    return config


_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,), "dict": (dict,),
}


def _has_type(value: Any, annotation: str) -> bool:
    """Whether a TOML value fits a field's annotation (a string: the module defers annotations).

    Checked here so that `weight = "heavy"` is reported with its key, not as a TypeError deep in
    the router; annotations naming other types (`Any`, a dataclass) are not checked.
    """
    accepted = tuple(t for part in annotation.split("|") for t in _TOML_TYPES.get(part.strip().split("[")[0], ()))
    if not accepted:
        return True
    if isinstance(value, bool):  # a bool is an int to isinstance, never to the user
        return bool in accepted
    return isinstance(value, accepted)


@dataclass
class LocalOptions:
    """The `options` of a deployment (docs/config.md), typed here so that they are checked like every other
    setting: a typo (`thread = 2`) is reported with its key, not as a TypeError once the model is loaded. The
    local model provider reads all but AGENT_OPTIONS, which the agent reads for a deployment of any provider."""

    threads: int | None = None
    n_ctx: int | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    backend: str | None = None
    reuse_prefix: bool | None = None
    tools: list[str] | None = None
    text_tools: bool | None = None


AGENT_OPTIONS = frozenset({"tools", "text_tools"})
"""The options the agent reads (agent/runner.py: which tools a local model is offered, tool calls written as
text), never passed to the local model provider, whose constructor takes none of them."""


@dataclass(frozen=True)
class Bound:
    """The range of a numeric setting: above `least`, or from it where `least` itself has a meaning; and
    finite, since TOML can write inf and nan and no count, duration or price means anything at either."""

    least: float
    inclusive: bool
    text: str  # as in "max_attempts must be TEXT, not -1"

    def admits(self, value: float) -> bool:
        return math.isfinite(value) and (value >= self.least if self.inclusive else value > self.least)


COUNT = Bound(1, True, "at least 1")
"""A count where 0 would mean none at all: attempts, failures before a breaker opens, tokens, threads."""
POSITIVE = Bound(0, False, "a finite number greater than 0")
"""A duration or amount where 0 would fail or stop at once (or, for a deployment, silently mean the default)."""
NON_NEGATIVE = Bound(0, True, "a finite number of at least 0")
"""A quantity where 0 has a meaning: no wait, no share of traffic, free, greedy decoding."""

BOUNDS: dict[type, dict[str, Bound]] = {
    RouterSettings: {
        "max_attempts": COUNT, "connect_timeout": POSITIVE, "read_timeout": POSITIVE, "total_timeout": POSITIVE,
        "backoff_base": NON_NEGATIVE, "backoff_max": NON_NEGATIVE,  # 0: retry without waiting
        "breaker_failures": COUNT, "breaker_cooldown": NON_NEGATIVE,  # 0: probe again at once
        "max_retry_after": NON_NEGATIVE,  # 0: a deployment sending a Retry-After is passed over until it ends
    },
    Budget: {"max_usd": POSITIVE, "max_tokens": COUNT},  # 0 is spent before the first call: every run stops
    Deployment: {
        "weight": NON_NEGATIVE,  # 0: a standby, chosen only when no sibling is ready
        "max_concurrent": COUNT, "connect_timeout": POSITIVE, "read_timeout": POSITIVE,
        "context_window": COUNT, "max_tokens": COUNT,
    },
    Price: {"input": NON_NEGATIVE, "output": NON_NEGATIVE, "cache_read": NON_NEGATIVE, "cache_write": NON_NEGATIVE},
    LocalOptions: {"threads": COUNT, "n_ctx": COUNT, "max_tokens": COUNT, "temperature": NON_NEGATIVE},
}
"""Every numeric setting's range, by the table it is written in."""


def _check_values(cls: type, data: dict[str, Any], where: str) -> None:
    """Each given value's type, then its range (BOUNDS), reported with its key: not a TypeError deep in the
    router, nor a run that stops at once or a timeout that fires before any answer."""
    bounds = BOUNDS.get(cls, {})
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if not _has_type(value, str(f.type)):
            raise UsageError(f"{where}: {f.name} = {value!r} should be of type {f.type}")
        bound = bounds.get(f.name)
        if bound is not None and not bound.admits(value):
            raise UsageError(f"{where}: {f.name} must be {bound.text}, not {value!r}")


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise UsageError(f"{where}: {key} should be a table ([{key}.NAME]), not {value!r}")
    return value


def _settings(cls: type, data: Any, where: str, fixed: dict[str, Any] | None = None) -> Any:
    """A table read into `cls`, its keys and values checked. `fixed` holds the fields the file does not set (an
    alias's name is its table's): such a key in the table is unknown, where it replaced the fixed value."""
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a table")
    fixed = fixed or {}
    known = {f.name for f in fields(cls)} - set(fixed)
    if "api_key" in data:
        raise UsageError(f"{where}: API keys are read from the environment only; use api_key_env = \"VAR\"")
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    missing = [f.name for f in fields(cls) if f.name not in data and f.name not in fixed
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:  # it was the constructor's TypeError: "Price.__init__() missing 1 required positional argument"
        raise UsageError(f"{where}: {' and '.join(missing)} must be set")
    _check_values(cls, data, where)
    try:
        return cls(**data, **fixed)
    except UsageError as exc:  # a deployment's unknown provider said nowhere which file or table
        raise UsageError(f"{where}: {exc}") from None


def parse_config(data: dict[str, Any], where: str = "configuration") -> GatewayConfig:
    # [permissions] is the agent's (tools.permissions reads and checks it), not the gateway's
    unknown = sorted(set(data) - {"default_model", "models", "router", "budget", "prices", "permissions"})
    if unknown:
        raise UsageError(f"{where}: unknown top-level key(s) {', '.join(unknown)}")
    _check_values(GatewayConfig, {k: v for k, v in data.items() if k == "default_model"}, where)
    config = GatewayConfig(
        default_model=data.get("default_model") or DEFAULT_MODEL,
        router=_settings(RouterSettings, data.get("router", {}), f"{where} [router]"),
        budget=_settings(Budget, data.get("budget", {}), f"{where} [budget]"),
    )
    for model, price in _table(data, "prices", where).items():
        config.prices[model] = _settings(Price, price, f"{where} [prices.{model!r}]")
    for name, table in _table(data, "models", where).items():
        config.aliases[name] = _alias(name, table, f"{where} [models.{name}]")
    _check_references(config, where)
    return config


def _check_references(config: GatewayConfig, where: str) -> None:
    """Fallbacks and the budget's downgrade must name a model: a typo would otherwise surface only when it
    is needed, mid-run, once the primary fails or the budget is spent. An empty downgrade_to means none."""
    for alias in config.aliases.values():
        for key in ("fallbacks", "context_fallbacks"):
            for name in getattr(alias, key):
                _check_reference(config, name, f"{where} [models.{alias.name}]", key)
    if config.budget.downgrade_to:
        _check_reference(config, config.budget.downgrade_to, f"{where} [budget]", "downgrade_to")


def _check_reference(config: GatewayConfig, name: Any, where: str, key: str) -> None:
    """`name` is what `GatewayConfig.resolve` accepts: a configured alias or PROVIDER/NAME."""
    if isinstance(name, str) and (name in config.aliases or is_model_string(name)):
        return
    aliases = ", ".join(sorted(config.aliases)) or "none"
    raise UsageError(f"{where}: {key} must name a configured alias ({aliases}) or PROVIDER/NAME, not {name!r}")


def _alias(name: str, table: Any, where: str) -> Alias:
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table")
    body = dict(table)
    raw = body.pop("deployments", None)
    if not raw or not isinstance(raw, list):
        raise UsageError(f"{where}: needs at least one [[models.{name}.deployments]]")
    deployments = [_deployment(d, f"{where}.deployments[{i}]") for i, d in enumerate(raw)]
    seen: set[str] = set()
    for d in deployments:
        if d.name in seen:
            d.name = f"{d.name}#{len(seen) + 1}"
        seen.add(d.name)
    alias = _settings(Alias, {"deployments": deployments, **body}, where, fixed={"name": name})
    if alias.strategy not in ("weighted", "latency"):
        raise UsageError(f"{where}: strategy must be 'weighted' or 'latency', not {alias.strategy!r}")
    return alias


def _deployment(data: Any, where: str) -> Deployment:
    """A deployment with its options checked too (keys, types, ranges): a bad `threads` or an unknown key would
    otherwise surface only when the model is loaded, as the runtime's error or a TypeError."""
    deployment = _settings(Deployment, data, where)
    _settings(LocalOptions, deployment.options, f"{where}.options")
    return deployment
