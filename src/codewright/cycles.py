"""Holding Python's cycle collector off while a step allocates many objects that form no cycles.

The collector runs whenever allocations outnumber frees by a threshold, and each run walks every
object it tracks. A step that builds large, long-lived structures (a cold index keeps every parsed
file for linking; a warm retrieval corpus holds about 90,000 objects) sets off hundreds of runs that
find nothing to free: reference counting frees those objects when the step ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The collector is off inside; holds nest, and only the outermost one turns it back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
