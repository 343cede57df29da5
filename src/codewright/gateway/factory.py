"""Builds the provider for a deployment; the local model's runtime is imported only when used."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from codewright.errors import UsageError
from codewright.gateway.config import AGENT_OPTIONS, CONVENTIONS, Deployment, RouterSettings
from codewright.gateway.provider import Provider, hide_key


def build_provider(dep: Deployment, settings: RouterSettings, env: Mapping[str, str]) -> Provider:
    if dep.protocol == "local":
        return _local(dep)
    key = _header_key(env.get(dep.key_env) or "", dep.key_env) if dep.key_env else ""
    url = dep.url(env)
    if not key and url == CONVENTIONS[dep.provider].base_url and CONVENTIONS[dep.provider].key_env:
        raise UsageError(_no_key(dep, url))  # the provider's own API: every request without a key is refused
    hide_key(key)
    module = importlib.import_module(f"codewright.gateway.{dep.protocol}")
    cls = {"openai": "OpenAIProvider", "anthropic": "AnthropicProvider", "ollama": "OllamaProvider"}[dep.protocol]
    provider = getattr(module, cls)(
        dep.model,
        url or "",
        key or None,
        connect_timeout=dep.connect_timeout or settings.connect_timeout,
        read_timeout=dep.read_timeout or settings.read_timeout,
        max_tokens=dep.max_tokens,
        name=dep.name,
        key_env=dep.key_env,
    )
    provider.url(provider.path)  # a base URL that is none is the setup's fault, said before a request as a key not set
    return provider


def _no_key(dep: Deployment, url: str) -> str:
    """Why a deployment of a hosted API has no key: its variable is not set (blank is as good as not set), or its
    `api_key_env = ""` says to send none, which only a server of one's own takes."""
    if dep.key_env:
        return f"{dep.key_env} is not set: export it to use {dep.name}"
    return (f'{dep.name}: api_key_env = "" sends no key, and {url} takes no request without one: set api_key_env '
            "to the variable that holds the key, or base_url to a server that needs none")


def _header_key(key: str, var: str) -> str:
    """The key without the whitespace around it (a newline read from a file, a CR from a Windows .env), and a
    usage error naming the variable, never the key, when it holds what no HTTP header carries (a dash or quote
    pasted from a web page). Such a key failed every request as a server error, three retries each, with h11's
    refusal quoting the key (printed by `models check`); a non-ASCII one was httpx's UnicodeEncodeError."""
    key = key.strip()
    if not (key.isascii() and key.isprintable()):
        raise UsageError(f"{var} holds a character no HTTP header can carry (non-ASCII or a control character): "
                         "set it again, copied as the provider shows it")
    return key


def _local(dep: Deployment) -> Provider:
    """Imported here: the local runtime is heavy and most sessions use a hosted model."""
    from codewright.gateway.local.catalog import not_installed
    from codewright.gateway.local.provider import LocalProvider

    if missing := not_installed(dep.model):
        raise UsageError(missing)
    return LocalProvider(dep.model, **{key: value for key, value in dep.options.items() if key not in AGENT_OPTIONS})
