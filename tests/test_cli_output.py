"""Every --json document is printed by one helper, `cli.output.print_json`: a name beyond ASCII as it is (UTF-8),
as docs/cli.md says --json keeps names, and a byte that is not UTF-8 as U+FFFD.

`callers`, `callees`, `impact`, `find`, `apply`, `models` and `sessions` printed with `json.dumps`'s defaults:
`caf\\u00e9.py` where `symbols` and `refs` wrote `café.py`, and a byte that is not UTF-8 as `\\udcff`, which
names no character, where the documents the graph commands and `undo` print have U+FFFD.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.support.repos import make_repo

from codewright.cli.main import main
from codewright.cli.output import print_json
from codewright.gateway.local import catalog

CAFE = {"café.py": "def prix():\n    return 1\n\n\ndef total():\n    return prix()\n"}
DIFF = "--- a/café.py\n+++ b/café.py\n@@ -1,2 +1,2 @@\n def prix():\n-    return 1\n+    return 2\n"


@pytest.mark.parametrize("doc, indent, printed", [
    ({"path": "café.py"}, None, '{"path": "café.py"}\n'),
    ({"id": "uni.py::函数"}, None, '{"id": "uni.py::函数"}\n'),
    ({"path": "café.py"}, 2, '{\n  "path": "café.py"\n}\n'),
])
def test_print_json_writes_a_character_beyond_ascii_as_itself(capsys, doc: dict, indent: int | None,
                                                              printed: str) -> None:
    print_json(doc, indent=indent)
    assert capsys.readouterr().out == printed


@pytest.fixture
def cafe(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo", CAFE)
    (tmp_path / "fix.diff").write_text(DIFF, encoding="utf-8")
    return repo


@pytest.mark.parametrize("argv", [
    ["symbols", "prix"],  # printed raw already: the others are checked against it
    ["callers", "prix"],
    ["callees", "café.py::total"],
    ["impact", "prix"],
    ["find", "prix total"],
    ["apply", "../fix.diff", "--dry-run"],
], ids=lambda argv: argv[0])
def test_every_json_document_writes_a_name_beyond_ascii_as_it_is(cafe: Path, capsys, monkeypatch,
                                                                  argv: list[str]) -> None:
    monkeypatch.chdir(cafe)
    assert main([*argv, "--repo", str(cafe), "--json"]) == 0
    out = capsys.readouterr().out
    assert "café.py" in out and "\\u00e9" not in out
    assert "café.py" in json.dumps(json.loads(out), ensure_ascii=False)


def test_models_json_writes_a_byte_that_is_not_utf8_as_fffd(tmp_path: Path, capsys, monkeypatch) -> None:
    """A local model's path under a cache folder whose name is not UTF-8: `\\udcff` in the document, not U+FFFD
    (standard output's error handler, `cli.main`, writes a lone surrogate as U+FFFD)."""
    cache = os.fsdecode(os.fsencode(tmp_path) + b"/cache\xff")
    for var, value in (("HOME", str(tmp_path)), ("XDG_CONFIG_HOME", str(tmp_path)), ("XDG_CACHE_HOME", cache)):
        monkeypatch.setenv(var, value)
    weights = catalog.weights_path(catalog.DEFAULT_MODEL)
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    assert main(["models", "--json", "--project", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\\udcff" not in out
    assert json.loads(out)["local"][0]["path"] == str(weights).replace("\udcff", "\ufffd")
