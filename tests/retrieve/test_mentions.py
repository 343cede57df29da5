"""What a task's text names, by kind of mention."""

from __future__ import annotations

import pytest

from codewright.retrieve.mentions import parse_mentions

TRACEBACK = '''Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/shop/cart.py", line 12, in checkout
    total = pricing.total(items)
  File "/usr/lib/python3/site-packages/shop/pricing.py", line 40, in total
    return apply_discount(subtotal)
ValueError: bad discount
'''


def test_traceback_frames_keep_path_line_function_and_depth() -> None:
    frames = parse_mentions(TRACEBACK).frames
    assert [(f.path, f.line, f.func, f.depth) for f in frames] == [
        ("/usr/lib/python3/site-packages/shop/cart.py", 12, "checkout", 0),
        ("/usr/lib/python3/site-packages/shop/pricing.py", 40, "total", 1),
    ]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("see src/shop/pricing.py for details", "paths", ["src/shop/pricing.py"]),
        ("calls shop.pricing.total twice", "dotted", ["shop.pricing.total"]),
        ("the file is README.md", "dotted", []),  # a file name, not a dotted name
        ("`apply_discount` returns None", "code_names", ["apply_discount"]),
        ("```python\nfrom shop.pricing import total as t, Cart\n```", "imports",
         [("shop.pricing", "total"), ("shop.pricing", "Cart")]),
        ("the get_total_price helper and the PriceTable class", "prose_names", ["get_total_price", "PriceTable"]),
        ("the price is wrong", "prose_names", []),  # plain English words are not code names
    ],
)
def test_each_kind_of_mention(text: str, kind: str, expected: list) -> None:
    found = getattr(parse_mentions(text), kind)
    assert list(found) == expected


def test_traceback_lines_are_not_taken_as_code_names() -> None:
    text = "```\n" + TRACEBACK + "```"
    assert "usr" not in parse_mentions(text).code_names
