"""Signal values held by column: each candidate keeps the largest value a signal finds, with that value's detail."""

from __future__ import annotations

import numpy as np
import pytest

from codewright.retrieve.evidence import Evidence, Keys

KEYS = Keys(["b.py", "a.py", "c.py", "d.py"])


def evidence(closed: bool = False) -> Evidence:
    return Evidence(KEYS, always=("test",), closed=closed)


ADDS = [
    # (case, [(keys, values, args)] added in turn, key -> (value, detail) expected)
    ("the largest value and its detail", [(["a.py", "a.py"], [0.5, 0.9], [("x",), ("y",)])],
     {"a.py": (0.9, "found in y")}),
    ("of equal values, the first found", [(["a.py", "a.py"], [0.7, 0.7], [("x",), ("y",)])],
     {"a.py": (0.7, "found in x")}),
    ("a later call that finds less keeps the earlier", [(["a.py"], [0.8], [("x",)]), (["a.py"], [0.3], [("y",)])],
     {"a.py": (0.8, "found in x")}),
    ("a later call that finds more replaces it", [(["a.py"], [0.3], [("x",)]), (["a.py"], [0.8], [("y",)])],
     {"a.py": (0.8, "found in y")}),
    ("a value of 0 makes a candidate without a value", [(["c.py"], [0.0], [("x",)])],
     {"c.py": (0.0, "signal")}),
]


@pytest.mark.parametrize("case, adds, expected", ADDS, ids=[a[0] for a in ADDS])
def test_add_keeps_the_largest_value_with_its_detail(case, adds, expected) -> None:
    found = evidence()
    for keys, values, args in adds:
        found.add("signal", keys, values, "found in {}", args)
    assert set(found) == set(expected)
    for key, (value, detail) in expected.items():
        assert found[key].values.get("signal", 0.0) == value
        assert found[key].detail("signal") == detail


def test_add_many_keeps_each_rows_largest_and_formats_its_detail() -> None:
    found = evidence()
    found.add_many("lexical", np.array([2, 1, 2]), np.array([0.4, 0.6, 0.9]), "BM25 {:.1f} for {}",
                   lambda row, value: (value, KEYS.names[row]))
    assert found["c.py"].values["lexical"] == 0.9
    assert found["c.py"].detail("lexical") == "BM25 0.9 for c.py"
    assert found["a.py"].detail("lexical") == "BM25 0.6 for a.py"


def test_rows_come_in_the_order_first_touched() -> None:
    found = evidence()
    found.add_many("x", np.array([3, 1, 3]), np.ones(3), "{}")
    found.add("y", ["b.py", "d.py", "c.py"], [1.0] * 3, "{}", [(1,), (2,), (3,)])
    assert list(found) == ["d.py", "a.py", "b.py", "c.py"]


def test_a_closed_table_ignores_keys_outside_it() -> None:
    found = evidence(closed=True)
    found.add("signal", ["a.py", "elsewhere.py"], [0.5, 0.5], "{}", [(1,), (2,)])
    assert list(found) == ["a.py"]


def test_an_open_table_gives_keys_outside_it_rows_of_their_own() -> None:
    found = evidence()
    found.add("signal", ["zz.py", "a.py", "aa.py"], [0.5, 0.5, 0.5], "{}", [(1,), (2,), (3,)])
    assert list(found) == ["zz.py", "a.py", "aa.py"]
    assert found["aa.py"].values["signal"] == 0.5
    rows = found.rows()
    assert [found.name(row) for row in rows[np.argsort(found.order(rows))]] == ["a.py", "aa.py", "zz.py"]


def test_values_show_the_always_signals_even_at_0() -> None:
    found = evidence()
    found.add("signal", ["b.py"], [0.5], "{}", [(1,)])
    assert found["b.py"].values == {"signal": 0.5, "test": 0.0}
    found.set("test", np.array([0]), 1.0)
    assert found["b.py"].values == {"signal": 0.5, "test": 1.0}


def test_keys_order_by_their_names() -> None:
    assert KEYS.order().tolist() == [1, 0, 2, 3]
