"""The signal values of one kind of candidate (files, or functions), held by column.

A query on django sets about 9,000 values over some 1,500 files and 1,500 functions. Kept
as one dictionary per candidate, making, filling, scoring and freeing those dictionaries
was most of `find`'s time; kept as one array per signal over every file (or symbol) of
the index, the bulk signals are set, and the candidates scored and sorted, a few numpy
calls at a time. A candidate is a row that some signal looked at (`touched`), even where
the value it found was 0, as a key of the dictionaries used to be.

A value's detail (what it was found in) is formatted only when a reason is shown: a
signal with a detail per value keeps, for each call that set it, the rows it raised and a
function that gives their template and arguments; a signal with one detail for all keeps
one template and a function that gives a row's arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

Args = Callable[[int, float], tuple]  # (row, value) -> the detail's arguments


class Keys:
    """The rows of one kind of candidate: each key's row, and each row's rank in the keys' string order."""

    def __init__(self, names: list[str]):
        self.names = names
        self.row = {name: i for i, name in enumerate(names)}
        self._order: np.ndarray | None = None

    def order(self) -> np.ndarray:
        """Each row's rank among the keys sorted as strings (a ranking's ties go to the smaller key)."""
        if self._order is None:
            self._order = string_ranks(self.names)
        return self._order


def string_ranks(names: list[str]) -> np.ndarray:
    """Each name's rank among them sorted as strings."""
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return ranks


class Features:
    """One candidate's values by signal (those above 0, and those `always` shown) and each one's detail."""

    __slots__ = ("_evidence", "_row", "_values")

    def __init__(self, values: dict[str, float] | None = None, evidence: Evidence | None = None, row: int = -1):
        self._values, self._evidence, self._row = values, evidence, row

    @property
    def values(self) -> dict[str, float]:
        if self._values is None:
            self._values = self._evidence.values(self._row) if self._evidence else {}
        return self._values

    def detail(self, signal: str) -> str:
        return self._evidence.detail(signal, self._row) if self._evidence else signal


class Evidence(Mapping[str, Features]):
    """Each signal's value for every row of `keys` (plus rows added for keys outside them), the largest found.

    A signal is set either with a detail for each value (`add`, `add_rows`) or with one for all (`add_many`), not
    both. A `closed` table ignores keys outside `keys` (a symbol id the index lacks cannot be a function
    candidate)."""

    def __init__(self, keys: Keys, always: tuple[str, ...] = (), closed: bool = False):
        self.keys = keys
        self.always = always  # signals a candidate's `values` shows even at 0 (what kind of file it is)
        self.closed = closed
        self.size = len(keys.names)
        self.extra: dict[str, int] = {}  # keys outside `keys` (an import of a file that is not indexed), by row
        self.columns: dict[str, np.ndarray] = {}
        self.touched = np.zeros(self.size, dtype=bool)
        self.first = np.zeros(self.size, dtype=np.int64)  # the order in which rows were first touched
        self._touches = 0
        # per signal with a detail per value, each call's (rows it raised, their positions in the call, note):
        # a row's detail is found when shown, in the last call that raised it
        self.notes: dict[str, list[tuple[np.ndarray, np.ndarray, Callable[[int], tuple[str, tuple]]]]] = {}
        self.formats: dict[str, tuple[str, Args]] = {}  # per signal set in bulk: template, arguments

    # -- setting values

    def row(self, key: str) -> int:
        """The row of a key, a new one for a key outside `keys`."""
        found = self.keys.row.get(key)
        if found is None:
            found = self.extra.get(key)
        if found is None:
            found = self.extra[key] = self.size
            self.size += 1
            for name, column in self.columns.items():
                self.columns[name] = np.append(column, 0.0)
            self.touched, self.first = np.append(self.touched, False), np.append(self.first, 0)
        return found

    def name(self, row: int) -> str:
        if row < len(self.keys.names):
            return self.keys.names[row]
        return next(key for key, r in self.extra.items() if r == row)

    def column(self, signal: str) -> np.ndarray:
        """A signal's values by row (0 where it found nothing)."""
        column = self.columns.get(signal)
        if column is None:
            column = self.columns[signal] = np.zeros(self.size)
        return column

    def touch(self, rows: np.ndarray) -> None:
        """Make these rows candidates, in this order where they are new."""
        new = rows[~self.touched[rows]]
        if len(new):
            self.touched[new] = True
            self.first[new] = np.iinfo(np.int64).max  # then a row met twice keeps the first of its places:
            np.minimum.at(self.first, new, np.arange(self._touches, self._touches + len(new)))
            self._touches += len(new)

    def add(self, signal: str, keys: list[str], values: list[float], template: str, args: list[tuple]) -> None:
        """Keep, for each key, the largest value the signal finds, with the detail (`template` with the `args`
        given beside it) of the first that found it; keys and values in the order found."""
        rows, kept = self._rows_of(keys)
        self.add_rows(signal, rows, np.array(values, dtype=float)[kept], template, lambda i: args[kept[i]])

    def _keep_largest(self, signal: str, rows: np.ndarray, values: np.ndarray,
                      note: Callable[[int], tuple[str, tuple]]) -> None:
        """Raise the signal's values to these, each row keeping the detail (`note(position)`) of the first
        of its largest values, where that is larger than the value it had."""
        column = self.column(signal)
        order = np.lexsort((-values, rows))  # by row, its largest value first, then as given (a stable sort)
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
        first = first[values[first] > column[rows[first]]]
        column[rows[first]] = values[first]
        self.notes.setdefault(signal, []).append((rows[first], first, note))

    def add_rows(self, signal: str, rows: np.ndarray, values: np.ndarray, template: str,
                 args: Callable[[int], tuple]) -> None:
        """`add` for many rows at once, given in the order found: each value's detail is `template` with
        `args(its position)`."""
        self.touch(rows)
        self._keep_largest(signal, rows, values, lambda i: (template, args(i)))

    def _rows_of(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The rows of these keys, and the positions of the keys that have one (a closed table drops the others;
        an open one gives them new rows)."""
        found = [self.keys.row.get(key) for key in keys]
        if None not in found:
            return np.array(found, dtype=np.int64), np.arange(len(found))
        kept = [i for i, row in enumerate(found) if row is not None or not self.closed]
        rows = [found[i] if found[i] is not None else self.row(keys[i]) for i in kept]
        return np.array(rows, dtype=np.int64), np.array(kept, dtype=np.int64)

    def add_many(self, signal: str, rows: np.ndarray, values: np.ndarray, template: str,
                 args: Args = lambda row, value: (value,)) -> None:
        """`add` for many rows at once (a row may repeat: it keeps its largest value); every row's detail is
        `template` with `args(row, value)`."""
        self.touch(rows)
        np.maximum.at(self.column(signal), rows, values)
        self.formats[signal] = (template, args)

    def set(self, signal: str, rows: np.ndarray, values: np.ndarray | float) -> None:
        """Overwrite a signal's values (a value that is not evidence, such as what kind of file it is)."""
        self.column(signal)[rows] = values

    # -- reading them

    def rows(self) -> np.ndarray:
        """The candidates' rows, in the order they were first touched."""
        rows = np.flatnonzero(self.touched)
        return rows[np.argsort(self.first[rows], kind="stable")]

    def order(self, rows: np.ndarray) -> np.ndarray:
        """The rank of these rows' keys in string order, to break ties."""
        if not self.extra:
            return self.keys.order()[rows]
        return string_ranks([self.name(row) for row in rows.tolist()])

    def values(self, row: int) -> dict[str, float]:
        found = {name: float(column[row]) for name, column in self.columns.items() if column[row]}
        found.update((name, float(self.columns[name][row]) if name in self.columns else 0.0) for name in self.always)
        return found

    def detail(self, signal: str, row: int) -> str:
        for rows, positions, note in reversed(self.notes.get(signal, ())):
            found = np.flatnonzero(rows == row)
            if len(found):
                template, args = note(int(positions[found[0]]))
                return template.format(*args)
        if signal in self.formats and signal in self.columns:
            template, args = self.formats[signal]
            return template.format(*args(row, float(self.columns[signal][row])))
        return signal

    # -- a mapping of the candidates' keys to their features

    def __getitem__(self, key: str) -> Features:
        row = self.keys.row.get(key, self.extra.get(key))
        if row is None or not self.touched[row]:
            raise KeyError(key)
        return Features(evidence=self, row=row)

    def __iter__(self) -> Iterator[str]:
        return map(self.name, self.rows().tolist())

    def __len__(self) -> int:
        return int(self.touched.sum())
