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

MAX_PTS = 256  # objects one node may hold


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
        self.saturated = 0
        self.collapse_at = 20_000
        self.collapsed = 0

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
        if len(cur) + len(new) > MAX_PTS:  # saturated: a bounded, partial answer beats no answer
            if len(cur) >= MAX_PTS:
                return
            new = new[:MAX_PTS - len(cur)]
            self.saturated += 1
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
            if self.steps >= self.collapse_at:
                self.collapse_at = self.steps * 2
                self.collapse_cycles()
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

    # -- cycle collapsing ------------------------------------------------------
    def collapse_cycles(self) -> None:
        """Nodes on a cycle of copy edges always hold the same objects: let them share one set.

        Context-insensitive analyses of real programs form large such cycles (values
        returned through generic helpers flow back into their arguments); sharing the
        set, successors and watchers keeps memory and work linear in the cycle's size.
        """
        for comp in self._cycles():
            self._merge(comp)

    def _cycles(self) -> list[list[int]]:
        """The cycles of copy edges whose nodes do not share their set yet, by Tarjan's algorithm (iterative), in
        its order. Each run visits every node (660,000 to 720,000 on django, whose first question runs it five
        times): their numbers are kept in lists by node, not dicts, and a node without successors, on no cycle,
        is numbered and left (2.2 CPU seconds of that question, 1.4 now)."""
        succ = self.succ
        index = [-1] * len(succ)
        low = [0] * len(succ)
        on_stack = bytearray(len(succ))
        stack: list[int] = []
        out: list[list[int]] = []
        counter = 0
        for root in range(len(succ)):
            if succ[root] is None or index[root] >= 0:
                continue
            work = [(root, iter(tuple(succ[root])))]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack[root] = 1
            while work:
                v, it = work[-1]
                advanced = False
                for w in it:
                    if index[w] < 0:
                        index[w] = low[w] = counter
                        counter += 1
                        if not succ[w]:  # on no cycle: most nodes, done without the stack's push and pop
                            continue
                        stack.append(w)
                        on_stack[w] = 1
                        work.append((w, iter(tuple(succ[w]))))
                        advanced = True
                        break
                    if on_stack[w] and index[w] < low[v]:
                        low[v] = index[w]
                if advanced:
                    continue
                work.pop()
                if work and low[v] < low[work[-1][0]]:
                    low[work[-1][0]] = low[v]
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack[w] = 0
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1 and any(self.pts[c] is not self.pts[comp[0]] for c in comp):
                        out.append(comp)
        return out

    def _merge(self, comp: list[int]) -> None:
        members = set(comp)
        union: set[int] = set()
        succ: set[int] = set()
        watchers: list = []
        seen_w: set[int] = set()
        old = {m: self.pts[m] for m in comp}
        for m in comp:
            union |= self.pts[m]
            if self.succ[m]:
                succ |= self.succ[m]
            for w in self.watchers[m] or ():
                if id(w) not in seen_w:
                    seen_w.add(id(w))
                    watchers.append(w)
        succ -= members
        delta: set[int] = set()
        for m in comp:
            d = self._delta.pop(m, None)
            if d:
                delta |= d
        rep = comp[0]
        for m in comp:
            self.pts[m] = union
            self.succ[m] = succ
            self.watchers[m] = watchers
        self.collapsed += len(comp) - 1
        # every member's old successors and watchers must still see the objects it lacked
        pending: list[tuple[int, set[int]]] = [(m, union - o) for m, o in old.items()]
        for m, missing in pending:
            if missing:
                delta |= missing
        if delta:
            self._delta[rep] = delta
            self._work.append(rep)
