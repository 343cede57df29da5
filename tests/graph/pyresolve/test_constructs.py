"""One behaviour per case: a small program and the exact caller -> callee edges Python implies."""

from __future__ import annotations

import pytest

from codewright.graph.pyresolve.engine import MAX_EXT_PER_NODE

from .support import edges_of

CASES = {
    # ---- imports
    "import_alias_and_attribute": (
        {"app.py": "import tools.text as tt\ntt.shout()\n",
         "tools/__init__.py": "", "tools/text.py": "def shout():\n    pass\n"},
        {("app", "tools.text.shout")},
    ),
    "relative_import_two_levels": (
        {"pkg/__init__.py": "", "pkg/util.py": "def norm():\n    pass\n",
         "pkg/sub/__init__.py": "", "pkg/sub/job.py": "from ..util import norm\ndef go():\n    norm()\n"},
        {("pkg.sub.job.go", "pkg.util.norm")},
    ),
    "star_import_respects_all": (
        {"lib.py": "__all__ = ['pub']\ndef pub():\n    pass\ndef other():\n    pass\n",
         "use.py": "from lib import *\ndef other():\n    pass\npub()\nother()\n"},
        {("use", "lib.pub"), ("use", "use.other")},
    ),
    "reexport_through_init": (
        {"shop/__init__.py": "from .cart import Cart as Basket\n",
         "shop/cart.py": "class Cart:\n    def total(self):\n        pass\n",
         "main.py": "from shop import Basket\nBasket().total()\n"},
        {("main", "shop.cart.Cart.total")},
    ),
    "conditional_import_both_branches": (
        {"fast.py": "def parse():\n    pass\n", "slow.py": "def parse():\n    pass\n",
         "main.py": "try:\n    from fast import parse\nexcept ImportError:\n    from slow import parse\nparse()\n"},
        {("main", "fast.parse"), ("main", "slow.parse")},
    ),
    "external_names_keep_attribute_chain": (
        {"main.py": "import numpy as np\nfrom requests import Session\n"
                    "np.linalg.norm()\ns = Session()\ns.get()\n"},
        {("main", "numpy.linalg.norm"), ("main", "requests.Session"), ("main", "requests.Session.get")},
    ),
    # one external name reaching a node again and again (a shared class attribute, once per subclass's instance)
    # counts once against MAX_EXT_PER_NODE: a distinct name after them is kept
    "external_name_repeated_into_one_node_counts_once": (
        {"m.py": "import lib\nclass Base:\n    make = lib.make\n"
                 + "".join(f"class C{i}(Base):\n    pass\n" for i in range(2 * MAX_EXT_PER_NODE))
                 + "class Other:\n    make = lib.other\ndef use(x):\n    y = x.make()\n    y.go()\n"
                 + "".join(f"use(C{i}())\n" for i in range(2 * MAX_EXT_PER_NODE)) + "use(Other())\n"},
        {("m", "m.use"), ("m.use", "lib.make"), ("m.use", "lib.make.go"), ("m.use", "lib.other"),
         ("m.use", "lib.other.go")},
    ),
    # ---- scopes
    "local_shadows_global_and_builtin": (
        {"m.py": "def len(x):\n    pass\ndef target():\n    pass\n"
                 "def f():\n    target = print\n    target()\n    len([])\nf()\n"},
        {("m", "m.f"), ("m.f", "<builtin>.print"), ("m.f", "m.len")},
    ),
    "closure_reads_enclosing_variable": (
        {"m.py": "def cb():\n    pass\ndef outer():\n    h = cb\n    def inner():\n        h()\n"
                 "    return inner\nouter()()\n"},
        {("m", "m.outer"), ("m", "m.outer.inner"), ("m.outer.inner", "m.cb")},
    ),
    "global_statement_rebinds_module_name": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\nhook = a\n"
                 "def install():\n    global hook\n    hook = b\ninstall()\nhook()\n"},
        {("m", "m.install"), ("m", "m.a"), ("m", "m.b")},
    ),
    "nonlocal_rebinds_enclosing_name": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\ndef outer():\n    fn = a\n"
                 "    def swap():\n        nonlocal fn\n        fn = b\n    swap()\n    fn()\nouter()\n"},
        {("m", "m.outer"), ("m.outer", "m.outer.swap"), ("m.outer", "m.a"), ("m.outer", "m.b")},
    ),
    "comprehension_variable_does_not_leak": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\nx = a\nfs = [x for x in [b]]\nx()\nfs[0]()\n"},
        {("m", "m.a"), ("m", "m.b")},
    ),
    "lambda_in_function_is_named_after_it": (
        {"m.py": "def make():\n    return lambda: print()\nmake()()\n"},
        {("m", "m.make"), ("m", "m.make.<lambda1>"), ("m.make.<lambda1>", "<builtin>.print")},
    ),
    "later_assignment_does_not_reach_earlier_call": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\nf = a\nf()\nf = b\n"},
        {("m", "m.a")},
    ),
    "branches_join": (
        {"m.py": "import sys\ndef a():\n    pass\ndef b():\n    pass\n"
                 "if sys.argv:\n    f = a\nelse:\n    f = b\nf()\n"},
        {("m", "m.a"), ("m", "m.b")},
    ),
    # ---- classes
    "instance_attribute_set_in_other_method": (
        {"m.py": "class Engine:\n    def start(self):\n        pass\n"
                 "class Car:\n    def build(self):\n        self.engine = Engine()\n"
                 "    def drive(self):\n        self.engine.start()\n"
                 "c = Car()\nc.build()\nc.drive()\n"},
        {("m", "m.Car.build"), ("m", "m.Car.drive"), ("m.Car.drive", "m.Engine.start")},
    ),
    "c3_mro_diamond": (
        {"m.py": "class Base:\n    def who(self):\n        pass\nclass Left(Base):\n    pass\n"
                 "class Right(Base):\n    def who(self):\n        pass\nclass Bottom(Left, Right):\n    pass\n"
                 "Bottom().who()\n"},
        {("m", "m.Right.who")},
    ),
    "super_follows_mro_of_instance": (
        {"m.py": "class A:\n    def save(self):\n        pass\nclass B(A):\n    def save(self):\n"
                 "        super().save()\nclass C(B):\n    pass\nC().save()\n"},
        {("m", "m.B.save"), ("m.B.save", "m.A.save"), ("m.B.save", "<builtin>.super")},
    ),
    "classmethod_and_staticmethod": (
        {"m.py": "class K:\n    @classmethod\n    def make(cls):\n        return cls()\n"
                 "    @staticmethod\n    def check():\n        pass\n    def __init__(self):\n        pass\n"
                 "k = K.make()\nk.check()\n"},
        {("m", "m.K.make"), ("m.K.make", "m.K.__init__"), ("m", "m.K.check")},
    ),
    "property_access_calls_getter": (
        {"m.py": "def real():\n    pass\nclass P:\n    @property\n    def handler(self):\n        return real\n"
                 "P().handler()\n"},
        {("m", "m.P.handler"), ("m", "m.real")},
    ),
    "dunder_call_and_binop": (
        {"m.py": "class V:\n    def __add__(self, other):\n        return self\n"
                 "    def __call__(self):\n        pass\nv = V() + V()\nv()\n"},
        {("m", "m.V.__add__"), ("m", "m.V.__call__")},
    ),
    "init_inherited_from_base": (
        {"m.py": "class Base:\n    def __init__(self):\n        pass\nclass Child(Base):\n    pass\nChild()\n"},
        {("m", "m.Base.__init__")},
    ),
    # a generic's alias in the bases (`Base[T]`, pytest's `Approx[ndarray]`) makes Base the base, as its
    # __mro_entries__ does: the subclass inherits Base's methods and its super() reaches them
    "generic_alias_base_is_its_class": (
        {"m.py": "from typing import Generic, TypeVar\nT = TypeVar('T')\n"
                 "class Base(Generic[T]):\n    def __init__(self):\n        pass\n    def who(self):\n        pass\n"
                 "class Child(Base[int]):\n    def who(self):\n        super().who()\nChild().who()\n"},
        {("m", "typing.TypeVar"), ("m", "m.Base.__init__"), ("m", "m.Child.who"), ("m.Child.who", "m.Base.who"),
         ("m.Child.who", "<builtin>.super")},
    ),
    # ---- values
    "keyword_argument_and_default": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\ndef run(job=a, *, then):\n    job()\n    then()\n"
                 "run(then=b)\n"},
        {("m", "m.run"), ("m.run", "m.a"), ("m.run", "m.b")},
    ),
    "return_value_flows_to_caller": (
        {"m.py": "def a():\n    pass\ndef pick():\n    return a\nf = pick()\nf()\n"},
        {("m", "m.pick"), ("m", "m.a")},
    ),
    "dict_and_list_entries_by_constant_key": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\ntable = {'x': a, 'y': b}\nrow = [b, a]\n"
                 "table['x']()\nrow[0]()\n"},
        {("m", "m.a"), ("m", "m.b")},
    ),
    "unpacking_nested_and_starred": (
        {"m.py": "def a():\n    pass\ndef b():\n    pass\ndef c():\n    pass\n"
                 "first, (second, *rest) = a, (b, c)\nfirst()\nrest[0]()\n"},
        {("m", "m.a"), ("m", "m.c")},
    ),
    "args_and_kwargs_spread": (
        {"m.py": "def a():\n    pass\ndef call(f, g):\n    f()\n    g()\nargs = (a,)\ncall(*args, **{'g': a})\n"},
        {("m", "m.call"), ("m.call", "m.a")},
    ),
    # ---- decorators, generators, context managers, exceptions
    "decorator_replaces_function_with_wrapper": (
        {"m.py": "def logged(fn):\n    def wrapper():\n        return fn()\n    return wrapper\n"
                 "@logged\ndef work():\n    pass\nwork()\n"},
        {("m", "m.logged"), ("m", "m.logged.wrapper"), ("m.logged.wrapper", "m.work")},
    ),
    "generator_yields_functions": (
        {"m.py": "def a():\n    pass\ndef gen():\n    yield a\nfor f in gen():\n    f()\n"},
        {("m", "m.gen"), ("m", "m.a")},
    ),
    "context_manager_enter_and_exit": (
        {"m.py": "class Res:\n    def use(self):\n        pass\nclass Ctx:\n    def __enter__(self):\n"
                 "        return Res()\n    def __exit__(self, *exc):\n        pass\nwith Ctx() as r:\n    r.use()\n"},
        {("m", "m.Ctx.__enter__"), ("m", "m.Ctx.__exit__"), ("m", "m.Res.use")},
    ),
    "exception_raised_and_caught": (
        {"m.py": "class Boom(Exception):\n    def __init__(self):\n        pass\n    def report(self):\n        pass\n"
                 "try:\n    raise Boom\nexcept Boom as err:\n    err.report()\n"},
        {("m", "m.Boom.__init__"), ("m", "m.Boom.report")},
    ),
    "map_calls_its_function": (
        {"m.py": "def twice(x):\n    pass\nlist(map(twice, [1, 2]))\n"},
        {("m", "<builtin>.list"), ("m", "<builtin>.map"), ("m", "m.twice")},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_construct(tmp_path, name):
    files, expected = CASES[name]
    assert edges_of(tmp_path, files) == expected


def test_iterating_a_dict_gives_keys_not_values(tmp_path):
    files = {"m.py": "def a():\n    pass\ntable = {'k': a}\nfor name in table:\n    name()\n"}
    assert edges_of(tmp_path, files) == set()
    files = {"n.py": "def a():\n    pass\ntable = {'k': a}\nfor fn in table.values():\n    fn()\n"}
    assert edges_of(tmp_path, files) == {("n", "<**PyDict**>.values"), ("n", "n.a")}


def test_class_of_instance_reaches_class_attributes(tmp_path):
    files = {"m.py": "class A:\n    @classmethod\n    def make(cls):\n        pass\n"
                     "    def again(self):\n        self.__class__.make()\n        type(self).make()\nA().again()\n"}
    assert edges_of(tmp_path, files) == {("m", "m.A.again"), ("m.A.again", "m.A.make"),
                                         ("m.A.again", "<builtin>.type")}
