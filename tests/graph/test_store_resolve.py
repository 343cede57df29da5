"""Import resolution per language, as a table: (importing file, language, module, level) -> path."""

from __future__ import annotations

import pytest

from codewright.graph.resolve import ModuleMap, python_modules

PATHS = {
    "pkg/__init__.py", "pkg/models.py", "pkg/sub/__init__.py", "pkg/sub/deep.py", "src/lib/__init__.py",
    "src/lib/core.py", "scripts/tool.py", "scripts/helper.py",
    "lib/ns/plug/__init__.py", "lib/ns/plug/fmt.py", "lib/ns/top.py", "vendor/pkg/models.py", "other/pkg/__init__.py", "other/pkg/sub/__init__.py",
    "other/pkg/helpers.py",
    "side.py", "side/__init__.py", "bin/twin.py", "twin/__init__.py", "pkg/sub/twin.py", "pkg/sub/twin/__init__.py",
    "pkg/models.pyi", "pkg/typed.pyi", "stubs/__init__.pyi", "stubs/api.pyi", "scripts/cli.pyi", "tools/cli.py",  # stubs
    "web/app.ts", "web/util.ts", "web/components/index.tsx", "web/legacy.js",
    "web/components/Button.tsx", "web/esm/app.mts", "web/esm/util.mts", "web/esm/old.cts",
    "web/esm/types.d.mts", "web/decl.d.ts",
    "go.mod", "main.go", "internal/store/store.go", "internal/store/db.go",
    "include/config.h", "src/main.c", "src/local.h",
    "java/src/com/acme/Widget.java", "java/src/com/acme/Main.java",
    "rs/src/main.rs", "rs/src/net/mod.rs", "rs/src/net/tcp.rs", "rs/src/util.rs",
    "rs/src/net/util.rs", "rs/src/net/tcp/frame.rs", "rs/Cargo.toml", "rs/tests/api.rs", "rs/tests/common/mod.rs",
    "rs/src/outer/x.rs", "rs/src/outer/mid/y.rs", "rs/src/util/inner/z.rs",
}
OWN_MODULE = python_modules(PATHS)
MMAP = ModuleMap.build(PATHS, OWN_MODULE, {"go.mod": "module example.com/app\n\ngo 1.21\n"})


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("pkg/models.py", "pkg.models"),
        ("pkg/__init__.py", "pkg"),
        ("pkg/sub/deep.py", "pkg.sub.deep"),
        ("src/lib/core.py", "lib.core"),
        ("scripts/tool.py", "tool"),
        ("lib/ns/plug/fmt.py", "plug.fmt"),  # a file's own name stops below the namespace package
        ("pkg/models.pyi", "pkg.models"),  # a stub is named as its module
        ("pkg/typed.pyi", "pkg.typed"),
        ("stubs/__init__.pyi", "stubs"),  # a stub-only package
        ("stubs/api.pyi", "stubs.api"),
        ("scripts/cli.pyi", "cli"),
        ("web/app.ts", None),
    ],
)
def test_python_module_names(path: str, module: str | None) -> None:
    assert OWN_MODULE.get(path) == module


@pytest.mark.parametrize(
    ("path", "language", "module", "level", "target"),
    [
        ("pkg/models.py", "python", "pkg.sub.deep", 0, "pkg/sub/deep.py"),
        ("pkg/models.py", "python", "pkg.sub", 0, "pkg/sub/__init__.py"),
        ("pkg/models.py", "python", ".sub.deep", 1, "pkg/sub/deep.py"),
        ("pkg/sub/deep.py", "python", "..models", 2, "pkg/models.py"),
        ("pkg/sub/__init__.py", "python", ".deep", 1, "pkg/sub/deep.py"),
        ("pkg/sub/deep.py", "python", ".", 1, "pkg/sub/__init__.py"),
        # from the importing file's folder, not by the dotted name, which pkg/ owns nearer the root
        ("other/pkg/sub/__init__.py", "python", ".", 1, "other/pkg/sub/__init__.py"),
        ("other/pkg/sub/__init__.py", "python", "..", 2, "other/pkg/__init__.py"),
        ("other/pkg/sub/__init__.py", "python", "..helpers", 2, "other/pkg/helpers.py"),
        ("pkg/models.py", "python", "....", 4, None),  # above the root
        # a package before a module of its name, in the same folder or in a folder below (a script's)
        ("app.py", "python", "side", 0, "side/__init__.py"),
        ("app.py", "python", "twin", 0, "twin/__init__.py"),
        ("pkg/sub/deep.py", "python", ".twin", 1, "pkg/sub/twin/__init__.py"),
        ("app.py", "python", "pkg.sub.twin", 0, "pkg/sub/twin/__init__.py"),
        ("src/lib/core.py", "python", "lib", 0, "src/lib/__init__.py"),
        ("scripts/tool.py", "python", "helper", 0, "scripts/helper.py"),
        ("pkg/models.py", "python", "os.path", 0, None),
        ("pkg/models.py", "python", "ns.plug.fmt", 0, "lib/ns/plug/fmt.py"),  # ns/ is a namespace package
        ("pkg/models.py", "python", "ns.top", 0, "lib/ns/top.py"),
        ("pkg/models.py", "python", "lib.ns.top", 0, "lib/ns/top.py"),
        ("pkg/models.py", "python", "ns", 0, "lib/ns"),  # a namespace package is its folder (from ns import top)
        ("pkg/models.py", "python", "lib.ns", 0, "lib/ns"),
        ("lib/ns/top.py", "python", ".", 1, "lib/ns"),
        ("lib/ns/plug/fmt.py", "python", "..", 2, "lib/ns"),
        ("scripts/tool.py", "python", "lib", 0, "src/lib/__init__.py"),  # a module before a namespace package
        ("scripts/tool.py", "python", "pkg.models", 0, "pkg/models.py"),  # an own name wins over a longer one;
        # the module over its stub beside it, and a stub where it is alone
        ("scripts/tool.py", "python", "pkg.typed", 0, "pkg/typed.pyi"),
        ("scripts/tool.py", "python", "stubs.api", 0, "stubs/api.pyi"),
        ("stubs/__init__.pyi", "python", ".api", 1, "stubs/api.pyi"),
        ("stubs/api.pyi", "python", ".", 1, "stubs/__init__.pyi"),
        ("scripts/tool.py", "python", "cli", 0, "tools/cli.py"),  # a module before a stub as near the root
        ("scripts/tool.py", "python", "vendor.pkg.models", 0, "vendor/pkg/models.py"),
        ("scripts/tool.py", "python", "pkg.sub", 0, "pkg/sub/__init__.py"),  # the own name nearest the root
        ("scripts/tool.py", "python", "scripts.helper", 0, "scripts/helper.py"),
        ("web/app.ts", "typescript", "./util", 0, "web/util.ts"),
        ("web/app.ts", "typescript", "./components", 0, "web/components/index.tsx"),
        ("web/app.ts", "typescript", "./util.js", 0, "web/util.ts"),
        ("web/components/index.tsx", "tsx", "../legacy", 0, "web/legacy.js"),
        ("web/app.ts", "typescript", "react", 0, None),
        # TypeScript's sources imported by their compiled names: .mjs from .mts, .cjs from .cts, .jsx from .tsx
        ("web/esm/app.mts", "typescript", "./util.mjs", 0, "web/esm/util.mts"),
        ("web/esm/app.mts", "typescript", "./old.cjs", 0, "web/esm/old.cts"),
        ("web/esm/app.mts", "typescript", "./types.mjs", 0, "web/esm/types.d.mts"),
        ("web/app.ts", "typescript", "./decl.js", 0, "web/decl.d.ts"),
        ("web/components/index.tsx", "tsx", "./Button.jsx", 0, "web/components/Button.tsx"),
        ("main.go", "go", "example.com/app/internal/store", 0, "internal/store"),
        ("main.go", "go", "fmt", 0, None),
        ("src/main.c", "c", "local.h", 0, "src/local.h"),
        ("src/main.c", "c", "config.h", 0, "include/config.h"),
        ("src/main.c", "cpp", "stdio.h", 0, None),
        ("java/src/com/acme/Main.java", "java", "com.acme.Widget", 0, "java/src/com/acme/Widget.java"),
        ("java/src/com/acme/Main.java", "java", "com.acme.*", 0, "java/src/com/acme"),
        ("rs/src/main.rs", "rust", "crate::net::tcp::Conn", 0, "rs/src/net/tcp.rs"),
        ("rs/src/main.rs", "rust", "crate::util", 0, "rs/src/util.rs"),
        ("rs/src/main.rs", "rust", "net", 0, "rs/src/net/mod.rs"),
        ("rs/src/main.rs", "rust", "std::io", 0, None),
        ("rs/src/net/tcp.rs", "rust", "std::io", 0, None),
        # super is the module the file is declared in (tcp.rs's is net), not the folder above the file's
        ("rs/src/net/tcp.rs", "rust", "super::util", 0, "rs/src/net/util.rs"),
        ("rs/src/net/tcp.rs", "rust", "super::super::util", 0, "rs/src/util.rs"),
        ("rs/src/net/tcp.rs", "rust", "super", 0, "rs/src/net/mod.rs"),  # use super::{Item}
        ("rs/src/net/mod.rs", "rust", "super", 0, "rs/src/main.rs"),
        # crate is the crate's root file, and a name no file holds an item of the module that holds it
        ("rs/src/util.rs", "rust", "crate", 0, "rs/src/main.rs"),  # use crate::{Item}
        ("rs/src/util.rs", "rust", "crate::Config", 0, "rs/src/main.rs"),
        ("rs/src/net/tcp.rs", "rust", "crate::net::Stream", 0, "rs/src/net/mod.rs"),
        # the modules a file declares (`mod frame;`) are in its own folder, but for a crate root's or a mod.rs
        ("rs/src/net/tcp.rs", "rust", "frame", 0, "rs/src/net/tcp/frame.rs"),
        ("rs/src/net/tcp.rs", "rust", "self::frame::Header", 0, "rs/src/net/tcp/frame.rs"),
        ("rs/tests/api.rs", "rust", "common", 0, "rs/tests/common/mod.rs"),  # a test is a crate root
        # level: the inline modules the import is in (`mod tests { use super::*; }` takes its own file)
        ("rs/src/util.rs", "rust", "super", 1, "rs/src/util.rs"),
        ("rs/src/util.rs", "rust", "self::Item", 1, "rs/src/util.rs"),
        ("rs/src/util.rs", "rust", "super::super::net", 1, "rs/src/net/mod.rs"),
        ("rs/src/util.rs", "rust", "net::tcp", 0, "rs/src/net/tcp.rs"),  # 2015 edition: from the crate root
    ],
)
def test_import_resolution(path: str, language: str, module: str, level: int, target: str | None) -> None:
    assert MMAP.resolve(path, language, module, level, OWN_MODULE.get(path)) == target


@pytest.mark.parametrize(
    ("path", "module", "level", "scope", "target"),
    [
        # `mod outer { mod x; }`: the modules an inline module declares are in the folder it names
        ("rs/src/main.rs", "x", 1, "rs/src/main.rs::outer", "rs/src/outer/x.rs"),
        ("rs/src/main.rs", "y", 2, "rs/src/main.rs::outer.mid", "rs/src/outer/mid/y.rs"),
        ("rs/src/main.rs", "x", 1, "rs/src/main.rs::outer.f", "rs/src/outer/x.rs"),  # `use x::Item` in its fn
        ("rs/src/util.rs", "z", 1, "rs/src/util.rs::inner", "rs/src/util/inner/z.rs"),  # below the file's folder
        ("rs/src/main.rs", "net", 1, "rs/src/main.rs::outer", "rs/src/net/mod.rs"),  # none there: the crate root's
        # self and super in an inline module: its modules' files are in its folder, its items the file's
        ("rs/src/main.rs", "self::x::Item", 1, "rs/src/main.rs::outer", "rs/src/outer/x.rs"),
        ("rs/src/main.rs", "super::x", 2, "rs/src/main.rs::outer.mid", "rs/src/outer/x.rs"),
        ("rs/src/main.rs", "self::Item", 1, "rs/src/main.rs::outer", "rs/src/main.rs"),
        ("rs/src/main.rs", "super::Item", 1, "rs/src/main.rs::outer", "rs/src/main.rs"),
        ("rs/src/main.rs", "x", 1, None, None),  # no scope says the inline module: the crate root's, none
    ],
)
def test_a_rust_inline_modules_modules_are_in_its_folder(path: str, module: str, level: int, scope: str | None,
                                                          target: str | None) -> None:
    assert MMAP.resolve(path, "rust", module, level, None, (), scope) == target


JAVA_PATHS = {"java/src/com/acme/Main.java", "java/src/com/acme/util/Gear.java", "java/test/com/acme/util/GearTest.java",
              "java/src/com/acme/util/Chain.java", "other/src/com/acme/util/Chain.java"}
JAVA_MAP = ModuleMap.build(JAVA_PATHS, {}, {})


@pytest.mark.parametrize(("path", "module", "names", "target"), [
    # the class's file, wherever its package has a folder (a test's package is also under java/test/)
    ("java/test/com/acme/util/GearTest.java", "com.acme.util", ["Gear"], "java/src/com/acme/util/Gear.java"),
    ("java/src/com/acme/Main.java", "com.acme.util", ["Gear"], "java/src/com/acme/util/Gear.java"),
    # the folder, or the file, nearest the importing file where several are the package's or the class's
    ("java/src/com/acme/Main.java", "com.acme.util", ["*"], "java/src/com/acme/util"),
    ("java/test/com/acme/util/GearTest.java", "com.acme.util", ["*"], "java/test/com/acme/util"),
    ("java/src/com/acme/Main.java", "com.acme.util", ["Chain"], "java/src/com/acme/util/Chain.java"),
    ("other/src/com/acme/Tool.java", "com.acme.util", ["Chain"], "other/src/com/acme/util/Chain.java"),
    ("java/src/com/acme/Main.java", "com.acme.util.Gear", ["spin"], "java/src/com/acme/util/Gear.java"),  # static
])
def test_a_java_import_resolves_to_its_classs_file(path: str, module: str, names: list[str], target: str) -> None:
    assert JAVA_MAP.resolve(path, "java", module, 0, None, names) == target
