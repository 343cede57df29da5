"""Matching tiers: each case is found by exactly the tier named, and the result is exact."""

from __future__ import annotations

import pytest

from codewright.edit import Edit, EditError, apply_edits

FILE = ("class Shop:\n"
        "    def total(self, items):\n"
        "        result = 0   \n"
        "        for item in items:\n"
        "\n"
        "            result += item.price\n"
        "        return result\n")

CASES = [
    ("exact", "        for item in items:\n\n            result += item.price\n",
     "        for item in items:\n\n            result += item.price * item.qty\n",
     FILE.replace("item.price\n", "item.price * item.qty\n")),
    ("trailing-whitespace", "        result = 0\n        for item in items:\n",
     "        result = 0\n        for item in sorted(items):\n",
     FILE.replace("in items:", "in sorted(items):")),
    # The model dropped the class's indentation: its replacement is re-indented by 4.
    ("indentation", "def total(self, items):\n    result = 0\n",
     "def total(self, items):\n    result = 0.0\n",
     FILE.replace("result = 0   \n", "result = 0.0\n")),
    ("indentation", "            def total(self, items):\n",
     "            def total(self, items, tax=0):\n",
     FILE.replace("def total(self, items):", "def total(self, items, tax=0):")),
    ("blank-lines", "        for item in items:\n            result += item.price\n        return result\n",
     "        for item in items:\n            result += item.price\n        return round(result, 2)\n",
     FILE.replace("return result", "return round(result, 2)")),
    # One context line misremembered (`prices`): the file's own line is kept.
    ("fuzzy", "        for item in prices:\n\n            result += item.price\n        return result\n",
     "        for item in prices:\n\n            result += item.price\n        return int(result)\n",
     FILE.replace("return result", "return int(result)")),
]


@pytest.mark.parametrize(("tier", "old", "new", "expected"), CASES)
def test_tier(tree, tier, old, new, expected):
    root = tree({"shop.py": FILE})
    result = apply_edits(root, [Edit("shop.py", old, new)])
    assert result.changes[0].tiers == [tier]
    assert (root / "shop.py").read_text() == expected


def test_a_strict_tier_wins_over_a_tolerant_one(tree):
    root = tree({"t.py": "x = 1  \nx = 1\n"})
    result = apply_edits(root, [Edit("t.py", "x = 1\n", "x = 2\n")])
    assert result.changes[0].tiers == ["exact"]
    assert (root / "t.py").read_text() == "x = 1  \nx = 2\n"


def test_fuzzy_never_removes_a_line_the_model_did_not_quote(tree):
    root = tree({"f.py": "a = 1\nb = 2\nc = 3\nd = 4\n"})
    with pytest.raises(EditError, match="not found"):
        apply_edits(root, [Edit("f.py", "a = 1\nb = 9\nc = 3\n", "a = 1\nc = 3\n")])


def test_insertion_beside_an_unshown_line_is_refused(tree):
    """The edit omits `b` and adds between its neighbours: before or after `b` is unknowable."""
    root = tree({"g.py": "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"})
    with pytest.raises(EditError, match="where the new lines go is unclear"):
        apply_edits(root, [Edit("g.py", "a = 1\nc = 3\nd = 4\ne = 5\n", "a = 1\nNEW\nc = 3\nd = 4\ne = 5\n")])


def test_fuzzy_candidates_that_tie_are_ambiguous(tree):
    body = "def f():\n    x = load()\n    y = x + 1\n    return y\n"
    root = tree({"h.py": body + "\n" + body})
    with pytest.raises(EditError, match="occur 2 times"):
        apply_edits(root, [Edit("h.py", "def f():\n    x = lod()\n    y = x + 1\n    return y\n",
                                "def f():\n    x = lod()\n    y = x + 2\n    return y\n")])


def test_fuzzy_refuses_when_the_slip_may_be_in_the_removed_line(tree):
    """`f5`'s body misquoted, or `f6`'s header? Equally likely: refuse rather than edit f6."""
    root = tree({"k.py": "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(10))})
    with pytest.raises(EditError, match="not found"):
        apply_edits(root, [Edit("k.py", "def f5(x):\n    return x + 6\n\n", "def f5(x):\n    return 0\n\n")])
