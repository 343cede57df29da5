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



PYTHON_FRAMES = [
    ("ipython 8", ("StopIteration   Traceback (most recent call last)\nCell In [1], line 4\n----> 4 ax.bar([1])\n\n"
                   "File ~/env/site-packages/shop/cart.py:12, in Cart.checkout(self, code)\n     11 def f():\n"
                   "---> 12     total(items)\n\nFile ~/env/site-packages/shop/pricing.py:40, in total(items)\n"),
     [("~/env/site-packages/shop/cart.py", 12, "Cart.checkout"), ("~/env/site-packages/shop/pricing.py", 40, "total")]),
    ("ipython 7", ("IndexError   Traceback (most recent call last)\n<ipython-input-3-81609fd8d2ca> in <module>\n"
                   "----> 1 Cart().checkout()\n\n~/env/site-packages/shop/cart.py in checkout(self, code)\n"
                   "     10     def checkout(self, code):\n---> 11         return total(self.items)\n     12 \n\n"
                   "~/env/site-packages/shop/pricing.py in total(items)\n     39 \n-> 40     return x[3]\n"),
     [("~/env/site-packages/shop/cart.py", 11, "checkout"), ("~/env/site-packages/shop/pricing.py", 40, "total")]),
    ("pytest", ("/usr/lib/site-packages/shop/cart.py:12: in checkout\n    return total(self.items)\n"
                "/usr/lib/site-packages/shop/pricing.py:40: KeyError\n"),
     [("/usr/lib/site-packages/shop/cart.py", 12, "checkout"), ("/usr/lib/site-packages/shop/pricing.py", 40, None)]),
    ("warning", "/usr/lib/site-packages/shop/pricing.py:730: DeprecationWarning: rates are floats\n  rate = x\n",
     [("/usr/lib/site-packages/shop/pricing.py", 730, None)]),
    ("a line number no file has (past int()'s 4300 digits)", f'  File "shop/cart.py", line {"9" * 5000}, in checkout\n',
     [("shop/cart.py", 0, "checkout")]),
]


@pytest.mark.parametrize(("text", "frames"), [c[1:] for c in PYTHON_FRAMES], ids=[c[0] for c in PYTHON_FRAMES])
def test_python_frames_as_other_tools_print_them(text: str, frames: list[tuple]) -> None:
    found = parse_mentions(text).frames
    assert [(f.path, f.line, f.func) for f in found] == frames
    assert [f.depth for f in found] == list(range(len(frames)))


def test_a_path_and_line_in_prose_is_no_frame() -> None:
    text = "shop/pricing.py:40: it rounds down\nsee shop/cart.py:12: in checkout\nshop/cart.py in checkout(), no marker\n"
    assert parse_mentions(text).frames == []

STACKS = [
    ("node", ("TypeError: x is undefined\n    at Router.handle (/srv/app/lib/router.js:10:5)\n"
             "    at async Promise.all (index 0)\n    at /srv/app/index.js:3:1\n"
             "    at Object.<anonymous> (file:///srv/app/src/main.ts:7:3)\n"),
     [("/srv/app/src/main.ts", 7, None), ("/srv/app/index.js", 3, None), ("/srv/app/lib/router.js", 10, "handle")]),
    ("java", ("java.lang.NullPointerException\n\tat com.acme.util.Widget.spin(Widget.java:42)\n"
             "\tat com.acme.Main.run(Main.java:10)\n"),
     [("com/acme/Main.java", 10, "run"), ("com/acme/util/Widget.java", 42, "spin")]),
    ("go", ("panic: runtime error\n\ngoroutine 1 [running]:\nmain.(*Server).Serve(0xc000010000)\n"
           "\t/home/u/app/server.go:88 +0x1d\nmain.main()\n\t/home/u/app/main.go:12 +0x25\nexit status 2\n"),
     [("/home/u/app/main.go", 12, "main"), ("/home/u/app/server.go", 88, "Serve")]),
    ("rust", ("thread 'main' panicked at src/main.rs:10:5:\nboom\nstack backtrace:\n   3: app::server::serve\n"
             "             at ./src/server.rs:88:5\n"),
     [("./src/server.rs", 88, "serve"), ("src/main.rs", 10, None)]),
]


@pytest.mark.parametrize(("text", "frames"), [c[1:] for c in STACKS], ids=[c[0] for c in STACKS])
def test_other_languages_stack_frames_innermost_last(text: str, frames: list[tuple]) -> None:
    """They print the innermost frame first; as Python's, they are kept outermost first (the last is nearest the
    error), with the function's own name and, for Java, the folders its package names."""
    found = parse_mentions(text).frames
    assert [(f.path, f.line, f.func) for f in found] == frames
    assert [f.depth for f in found] == list(range(len(frames)))


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("see src/shop/pricing.py for details", "paths", ["src/shop/pricing.py"]),
        ("it is in /home/me/proj/shop/pricing.py, or ~/proj/shop/cart.py", "paths",
         ["/home/me/proj/shop/pricing.py", "~/proj/shop/cart.py"]),
        ("from https://github.com/acme/shop/blob/main/shop/pricing.py", "paths", []),
        (TRACEBACK, "paths", []),  # an absolute path in a frame is the frame's
        ("calls shop.pricing.total twice", "dotted", ["shop.pricing.total"]),
        ("the file is README.md", "dotted", []),  # a file name, not a dotted name
        ("set it in pytest.ini, src/main.ts and wcs.c", "dotted", []),  # every suffix a path can end with
        ("set it in pytest.ini, src/main.ts and wcs.c", "paths", ["pytest.ini", "src/main.ts", "wcs.c"]),
        ("the base.html template", "dotted", []),
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


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("`größe` is wrong", "code_names", ["größe"]),
        ("```python\nnaïve_parse(größe=1)\n```", "code_names", ["naïve_parse", "größe"]),
        ("the naïve_parse helper and the ÄrgerÜber class", "prose_names", ["naïve_parse", "ÄrgerÜber"]),
        ("the größeBerechnen helper", "prose_names", ["größeBerechnen"]),
        ("die Größe ist falsch", "prose_names", []),  # plain words beyond ASCII are not code names either
        ("calls ärger.größe.berechne twice", "dotted", ["ärger.größe.berechne"]),
    ],
)
def test_identifiers_beyond_ascii_are_mentions(text: str, kind: str, expected: list) -> None:
    """The index holds identifiers of letters beyond ASCII; the patterns took none of them."""
    assert list(getattr(parse_mentions(text), kind)) == expected


def test_a_stack_frames_function_beyond_ascii_is_named_whole() -> None:
    """Its own name was its ASCII tail: `rger` of `Router.ärger`."""
    found = parse_mentions("    at Router.ärger (/srv/app/lib/router.js:10:5)\n").frames
    assert [(f.path, f.line, f.func) for f in found] == [("/srv/app/lib/router.js", 10, "ärger")]


def test_traceback_lines_are_not_taken_as_code_names() -> None:
    text = "```\n" + TRACEBACK + "```"
    assert "usr" not in parse_mentions(text).code_names


@pytest.mark.parametrize(("text", "frames"), [c[1:] for c in PYTHON_FRAMES + STACKS],
                         ids=[c[0] for c in PYTHON_FRAMES + STACKS])
def test_frames_of_text_with_crlf_line_ends(text: str, frames: list[tuple]) -> None:
    found = parse_mentions(text.replace("\n", "\r\n")).frames
    assert [(f.path, f.line, f.func) for f in found] == frames
