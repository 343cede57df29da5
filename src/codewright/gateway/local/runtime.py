"""Load a GGUF model into an in-process llama.cpp server, once per process.

xllamacpp embeds llama.cpp's own server (OpenAI-shaped requests and responses) without
a socket. Keeping one runtime per model for the whole process is what makes prefix
reuse work: llama.cpp keeps the slot's KV cache and recomputes only the part of a
prompt after the longest prefix shared with the previous one (`cache_prompt`).
llama-cpp-python can be chosen instead where it is installed (`backend=`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codewright.errors import STOP_SIGNALS, CodewrightError, UsageError

Chunk = dict[str, Any]
DEFAULT_N_CTX = 16384  # tokens of context: the KV cache costs about 0.5 GB at this size for a 1.5B model
# Prompt tokens read per batch. The server reports progress, and a closed stream stops, only between
# batches: llama.cpp's 2048 meant minutes without either on a slow CPU; 256 reads as fast (measured).
PROMPT_BATCH = 256


CORE_SHARE = 1  # processes sharing the cores, each running its own model (`eval polyglot -j N` sets N)


def default_threads() -> int:
    """The cores not already busy, and at most this process's share of them: on a loaded 2-core machine one
    thread beats two by far, and N processes started at once all see the load before any of them runs."""
    cores = os.cpu_count() or 1
    try:
        busy = round(os.getloadavg()[0])
    except OSError:
        busy = 0
    return max(1, min(cores - busy, cores // CORE_SHARE))


@dataclass(frozen=True)
class RuntimeOptions:
    path: Path
    threads: int
    n_ctx: int = DEFAULT_N_CTX
    backend: str = "xllamacpp"  # or "llama-cpp-python"


class Runtime:
    """One loaded model. Calls are serialised: a llama.cpp slot serves one request at a time."""

    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._chat = _load(options)

    def chat(self, body: dict[str, Any], on_chunk: Callable[[Chunk], bool] | None = None) -> dict[str, Any] | None:
        """Run one chat completion; with `on_chunk` it streams and stops when on_chunk returns True."""
        with self._lock:
            return self._chat(body, on_chunk)


@contextmanager
def signals_blocked() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP blocked in this thread for the block, and for good in the threads it starts.

    llama.cpp's own threads must never take the process's signals. A Ctrl-C delivered to one
    of them while the model was loading left the load waiting for ever (a run that ignored
    Ctrl-C): blocked there, the signal waits for the main thread, where Python raises it once
    the load returns."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: nothing to steer
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_RUNTIMES: dict[RuntimeOptions, Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def runtime_for(options: RuntimeOptions) -> Runtime:
    """The process's runtime for these options, loaded on first use.

    Loaded with Ctrl-C held back (see `signals_blocked`) until it is kept: a model dropped
    just after loading, by a Ctrl-C raised between the two, hung its server's shutdown."""
    with _RUNTIMES_LOCK:
        if options not in _RUNTIMES:
            with signals_blocked():  # here, and in every thread llama.cpp starts while loading
                _RUNTIMES[options] = Runtime(options)
        return _RUNTIMES[options]


def settle(timeout: float) -> bool:
    """Wait until no loaded model is running a request (a stopped stream ends at its next batch or
    token); False if one still is after `timeout` seconds. For the end of a process: a model still
    computing while the interpreter exits can crash it."""
    deadline = time.monotonic() + timeout
    for runtime in list(_RUNTIMES.values()):
        if not runtime._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return False
        runtime._lock.release()
    return True


def _load(options: RuntimeOptions) -> Callable[[dict[str, Any], Callable[[Chunk], bool] | None], Any]:
    if options.backend == "xllamacpp":
        return _load_xllamacpp(options)
    if options.backend == "llama-cpp-python":
        return _load_llama_cpp_python(options)
    raise UsageError(f"unknown local backend {options.backend!r}: use xllamacpp or llama-cpp-python")


def _load_xllamacpp(options: RuntimeOptions):
    try:
        import xllamacpp
    except ImportError:
        raise CodewrightError(
            "the local model needs xllamacpp: pip install 'codewright[local]' (or pip install xllamacpp)"
        ) from None
    params = xllamacpp.CommonParams()
    params.model.path = str(options.path)
    params.n_ctx = options.n_ctx
    params.n_parallel = 1
    params.n_batch = PROMPT_BATCH
    params.cpuparams.n_threads = options.threads
    params.cpuparams_batch.n_threads = options.threads
    params.use_jinja = True
    params.warmup = False
    params.verbosity = -1
    params.cache_prompt = True
    server = xllamacpp.Server(params)

    def chat(body: dict[str, Any], on_chunk):
        if on_chunk is None:
            return server.handle_chat_completions(body)
        server.handle_chat_completions({**body, "stream": True}, on_chunk)
        return None

    return chat


def _load_llama_cpp_python(options: RuntimeOptions):
    try:
        import llama_cpp
    except ImportError:
        raise CodewrightError("backend llama-cpp-python is chosen but not installed: pip install llama-cpp-python") from None
    llm = llama_cpp.Llama(model_path=str(options.path), n_ctx=options.n_ctx, n_threads=options.threads, verbose=False)

    def chat(body: dict[str, Any], on_chunk):
        args = {k: v for k, v in body.items() if k in {"messages", "max_tokens", "temperature", "stop", "response_format"}}
        if on_chunk is None:
            return llm.create_chat_completion(**args)
        for chunk in llm.create_chat_completion(**args, stream=True):
            if on_chunk(chunk):
                break
        return None

    return chat
