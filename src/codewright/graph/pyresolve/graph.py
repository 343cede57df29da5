"""The constraint graph and its worklist solver: the flow-insensitive points-to core.

Nodes are ints holding sets of abstract objects (also ints). Copy edges propagate
objects; "watchers" (constraints with a `fire(objs)` method) react to each object that
newly reaches a node, adding edges or objects in turn: attribute loads, calls, element
reads. Propagation is by difference (only new objects travel), iterative (a deque, no
recursion), and stops at a deadline, leaving a sound partial result.
"""

from __future__ import annotations

import time
from collections import deque


class Graph:
    def __init__(self) -> None:
        self.pts: list[set[int]] = []
        self.succ: list[set[int] | None] = []
        self.watchers: list[list | None] = []
        self._delta: dict[int, set[int]] = {}
        self._work: deque[int] = deque()
        self.kinds: list[str] = []
        self.data: list[object] = []
        self._obj_keys: dict[tuple, int] = {}
        self.steps = 0
        self.timed_out = False

    # -- nodes and objects -------------------------------------------------
    def node(self) -> int:
        self.pts.append(set())
        self.succ.append(None)
        self.watchers.append(None)
        return len(self.pts) - 1

    def obj(self, kind: str, key: object, data: object = None) -> int:
        """The abstract object (kind, key), created once."""
        k = (kind, key)
        found = self._obj_keys.get(k)
        if found is not None:
            return found
        self.kinds.append(kind)
        self.data.append(key if data is None else data)
        oid = len(self.kinds) - 1
        self._obj_keys[k] = oid
        return oid

    def find_obj(self, kind: str, key: object) -> int | None:
        return self._obj_keys.get((kind, key))

    def holder(self, obj: int) -> int:
        """A fresh node holding one object."""
        n = self.node()
        self.pts[n].add(obj)
        return n

    # -- propagation -------------------------------------------------------
    def add(self, node: int, objs) -> None:
        cur = self.pts[node]
        new = [o for o in objs if o not in cur]
        if not new:
            return
        cur.update(new)
        d = self._delta.get(node)
        if d is None:
            self._delta[node] = set(new)
            self._work.append(node)
        else:
            d.update(new)

    def add_one(self, node: int, obj: int) -> None:
        if obj not in self.pts[node]:
            self.add(node, (obj,))

    def edge(self, src: int, dst: int) -> None:
        if src == dst:
            return
        s = self.succ[src]
        if s is None:
            s = self.succ[src] = set()
        elif dst in s:
            return
        s.add(dst)
        if self.pts[src]:
            self.add(dst, self.pts[src])

    def watch(self, node: int, watcher) -> None:
        w = self.watchers[node]
        if w is None:
            self.watchers[node] = [watcher]
        else:
            w.append(watcher)
        if self.pts[node]:
            watcher.fire(tuple(self.pts[node]))

    def solve(self, deadline: float | None = None) -> bool:
        """Propagate to a fixpoint; False when the deadline stopped it first."""
        work, delta = self._work, self._delta
        while work:
            self.steps += 1
            if deadline is not None and not self.steps & 1023 and time.monotonic() > deadline:
                self.timed_out = True
                return False
            n = work.popleft()
            d = delta.pop(n, None)
            if not d:
                continue
            succ = self.succ[n]
            if succ:
                for s in tuple(succ):
                    self.add(s, d)
            ws = self.watchers[n]
            if ws:
                objs = tuple(d)
                for w in tuple(ws):
                    w.fire(objs)
        return True
