"""The embedded local model: a small code model run in-process on the CPU.

It is the default when no model is configured, so codewright works offline with no
API key. `catalog` names the models we know and where they live, `install` fetches and
verifies their weights, `provider` runs them behind the gateway's Provider interface.
The runtime (xllamacpp, or llama-cpp-python where chosen) is imported lazily.
"""
