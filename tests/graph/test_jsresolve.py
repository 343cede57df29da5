"""Bare JS/TS specifiers that name the tree's own files: tsconfig path aliases and workspace packages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from store_repo import make_repo

from codewright.graph.index import Index
from codewright.graph.jsresolve import parse_jsonc

TREE = {
    "tsconfig.base.json": '{\n  // shared by the apps\n  "compilerOptions": {"baseUrl": ".", "paths": {\n'
                          '    "@shared/*": ["libs/shared/src/*"],\n    "@shared": ["libs/shared/src/index.ts"],\n'
                          '  },},\n}\n',
    "apps/web/tsconfig.json": '{"extends": "../../tsconfig.base", "compilerOptions": {"baseUrl": "src"}}\n',
    "apps/web/src/app.tsx": 'import { Button } from "components/Button";\nimport { fmt } from "@shared/format";\n'
                            'import { util } from "@shared";\nimport { thing } from "@acme/ui";\n'
                            'import { deep } from "@acme/ui/widgets/deep";\nimport React from "react";\n'
                            "export const App = () => Button() + fmt() + util() + thing() + deep();\n",
    "apps/web/src/components/Button.tsx": "export function Button() { return 1; }\n",
    # paths without a baseUrl are relative to their config; the nearest config alone counts
    "apps/admin/tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./src/*"]}}}',
    "apps/admin/src/main.ts": 'import { panel } from "@/panel";\nimport { fmt } from "@shared/format";\n',
    "apps/admin/src/panel.ts": "export function panel() { return 1; }\n",
    "libs/shared/src/format.ts": "export function fmt() { return 1; }\n",
    "libs/shared/src/index.ts": "export function util() { return 1; }\n",
    "packages/ui/package.json": '{"name": "@acme/ui", "main": "dist/index.js"}\n',
    "packages/ui/src/index.ts": "export function thing() { return 1; }\n",
    "packages/ui/src/widgets/deep.ts": "export function deep() { return 1; }\n",
    "tools/script.js": 'const { util } = require("@shared");\n',  # no config above it: @shared is a dependency
}


def imports_of(ix: Index, path: str) -> list[tuple]:
    return ix.conn.execute("SELECT i.module, i.target FROM imports i JOIN files f ON f.id=i.file_id WHERE f.path=?"
                           " ORDER BY i.line", (path,)).fetchall()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", TREE)


def test_aliases_of_the_nearest_config_and_workspace_packages_resolve(repo: Path) -> None:
    with Index.open(repo) as ix:
        ix.build()
        assert imports_of(ix, "apps/web/src/app.tsx") == [
            ("components/Button", "apps/web/src/components/Button.tsx"),  # against the app's own baseUrl
            ("@shared/format", "libs/shared/src/format.ts"),  # inherited through extends, against its baseUrl
            ("@shared", "libs/shared/src/index.ts"),  # an exact alias
            ("@acme/ui", "packages/ui/src/index.ts"),  # a package whose built entry is not in the tree
            ("@acme/ui/widgets/deep", "packages/ui/src/widgets/deep.ts"),
            ("react", None),  # a dependency
        ]
        assert imports_of(ix, "apps/admin/src/main.ts") == [("@/panel", "apps/admin/src/panel.ts"),
                                                            ("@shared/format", None)]
        assert imports_of(ix, "tools/script.js") == [("@shared", None)]
        targets = ix.conn.execute("SELECT r.name, r.target FROM refs r JOIN files f ON f.id=r.file_id"
                                  " WHERE f.path='apps/web/src/app.tsx' AND r.kind='call' ORDER BY r.col").fetchall()
        assert [t for _, t in targets] == ["apps/web/src/components/Button.tsx::Button", "libs/shared/src/format.ts::fmt",
                                           "libs/shared/src/index.ts::util", "packages/ui/src/index.ts::thing",
                                           "packages/ui/src/widgets/deep.ts::deep"]


@pytest.mark.parametrize("path, text", [
    ("apps/web/tsconfig.json", '{"extends": "../../tsconfig.base.json", "compilerOptions": {"paths": {}}}\n'),
    ("apps/web/tsconfig.json", None),
    ("tsconfig.base.json", "{ not json at all\n"),
    ("packages/ui/package.json", '{"name": "@acme/other"}\n'),
])
def test_an_edited_config_re_resolves_imports_as_a_cold_build_does(repo: Path, tmp_path: Path, path: str,
                                                                   text: str | None) -> None:
    with Index.open(repo) as ix:
        ix.build()
        (repo / path).unlink() if text is None else (repo / path).write_text(text)
        ix.build()
        incremental = imports_of(ix, "apps/web/src/app.tsx")
    cold = tmp_path / "cold"
    shutil.copytree(repo, cold, ignore=shutil.ignore_patterns(".codewright"))
    with Index.open(cold) as ix:
        ix.build()
        assert imports_of(ix, "apps/web/src/app.tsx") == incremental
    assert any(target is None for _, target in incremental[:5])  # the edit left some import unresolved


@pytest.mark.parametrize("text, value", [
    ('{"a": 1, // note\n "b": "http://x//y", /* block */ "c": [1, 2,],}', {"a": 1, "b": "http://x//y", "c": [1, 2]}),
    ('{"a": "x, }", "b": "// no comment", "c": [1,],}', {"a": "x, }", "b": "// no comment", "c": [1]}),
    ("{ broken", None),
])
def test_config_text_is_json_with_comments(text: str, value: object) -> None:
    assert parse_jsonc(text) == value
