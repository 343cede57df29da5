"""Lint (ruff and the syntax check), git status/diff/log, finish, and argument validation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.tools.conftest import git


def test_lint_python_with_ruff(make_box, workspace: Path) -> None:
    (workspace / "src/bad.py").write_text("import os\nx = undefined_name\n")
    result = make_box().call("lint", {"paths": ["src/bad.py"]})
    assert not result.ok
    assert "src/bad.py:2:5: F821 Undefined name `undefined_name`" in result.content
    clean = make_box().call("lint", {"paths": ["tests/test_app.py"]})
    assert clean.ok and "All checks passed" in clean.content


def test_lint_other_languages_with_the_syntax_check(make_box, workspace: Path) -> None:
    (workspace / "src/bad.js").write_text("function (\n")
    result = make_box().call("lint", {"paths": ["src/bad.js", "src/util.js"]})
    assert not result.ok and result.content.startswith("src/bad.js: line 1:")
    assert make_box().call("lint", {"paths": ["src/util.js"]}).content == "syntax OK: src/util.js"


def test_lint_says_which_files_it_cannot_check(make_box, workspace: Path) -> None:
    (workspace / "data.json").write_text("{broken")
    result = make_box().call("lint", {"paths": ["data.json", "src/util.js"]})
    assert result.content == "syntax OK: src/util.js\nnot checked (no linter for these files): data.json"


def test_lint_never_runs_a_ruff_package_of_the_workspace(make_box, workspace: Path) -> None:
    (workspace / "ruff").mkdir()
    (workspace / "ruff" / "__init__.py").write_text("")
    (workspace / "ruff" / "__main__.py").write_text("open('pwned', 'w').close()\n")
    result = make_box("plan").call("lint", {"paths": ["src/app.py"]})
    assert not (workspace / "pwned").exists() and "F401" in result.content


def test_lint_defaults_to_changed_files(make_box) -> None:
    box = make_box()
    assert box.call("lint", {}).content.startswith("nothing to lint")
    box.call("create_file", {"path": "src/new.py", "content": "import sys\n"})
    result = box.call("lint", {})
    assert "src/new.py:1:8: F401" in result.content
    assert box.call("lint", {"paths": ["missing.py"]}).content == "not found: missing.py"


def test_git_tools(make_box, workspace: Path) -> None:
    box = make_box()
    (workspace / "README.md").write_text("# demo\nmore\n")
    assert " M README.md" in box.call("git_status", {}).content
    diff = box.call("git_diff", {"path": "README.md"}).content
    assert "+more" in diff
    git(workspace, "commit", "-qam", "docs: more readme")
    log = box.call("git_log", {"n": 5}).content.splitlines()
    assert log[0].endswith("t: docs: more readme") and log[1].endswith("t: initial commit")
    bad = box.call("git_diff", {"ref": "--output=/tmp/x"})
    assert not bad.ok and "is not a commit" in bad.content


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("name", "arguments", "said"), [
    (["read_file"], {"path": "README.md"}, "unknown tool ['read_file']"),
    ("read_file", {1: "README.md"}, "invalid arguments for read_file: "),
    ("read_file", {"path": _nested(100_000)}, "invalid arguments for read_file: "),
], ids=["a name that is a list", "a key that is no string", "an argument nested 100,000 deep"])
def test_arguments_that_break_validation_are_an_error_result_not_an_exception(make_box, name, arguments,
                                                                              said) -> None:
    result = make_box().call(name, arguments)
    assert not result.ok and result.content.startswith(said)


def test_the_tools_never_write_gits_or_codewrights_own_files(make_box, workspace) -> None:
    """A `core.fsmonitor` written into .git/config ran its command at the next git_status, outside the sandbox."""
    box = make_box("full-auto")
    config = (workspace / ".git" / "config").read_text()
    hostile = '[core]\n\tfsmonitor = "touch pwned; false"\n'
    for call, args in [("create_file", {"path": ".git/config", "content": hostile, "overwrite": True}),
                       ("create_file", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\ntouch pwned\n"}),
                       ("edit_file", {"path": ".git/config", "old_string": "[core]", "new_string": hostile}),
                       ("delete_file", {"path": ".git/HEAD"})]:
        result = box.call(call, args)
        assert not result.ok and "git's or codewright's own" in result.content, (call, result.content)
    box.call("git_status", {})
    assert (workspace / ".git" / "config").read_text() == config and (workspace / ".git" / "HEAD").exists()
    assert not (workspace / "pwned").exists() and not (workspace / ".git" / "hooks" / "pre-commit").exists()


@pytest.mark.parametrize("args", [{}, {"ref": "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}],
                         ids=["the working tree", "against the empty tree"])
def test_a_diff_leaves_out_the_files_read_file_refuses(make_box, workspace: Path, args: dict) -> None:
    (workspace / ".env").write_text("API_KEY=sk-changedchangedchangedchanged99\n")
    (workspace / "README.md").write_text("# demo\nmore\n")
    diff = make_box().call("git_diff", args)
    assert diff.ok and "+more" in diff.content and "API_KEY" not in diff.content
    assert diff.content.endswith("\n[left out, as read_file would refuse them: .env]")


def test_the_git_tools_run_nothing_a_repository_made_in_a_submodules_folder_names(make_box, workspace: Path,
                                                                                  tmp_path: Path) -> None:
    """A submodule not checked out is an empty folder a command may write in. A repository made there named a
    program in its config (core.fsmonitor), and git_status and git_diff ran it, unsandboxed: each ran git in the
    submodule to ask whether its files had changed."""
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q")
    git(lib, "commit", "-q", "--allow-empty", "-m", "first")
    git(workspace, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    git(workspace, "commit", "-qm", "a submodule")
    git(workspace, "submodule", "deinit", "-q", "-f", "vendor/lib")  # as a clone without --recurse-submodules has it
    git(workspace / "vendor" / "lib", "init", "-q")  # what a command may do, sandboxed
    ran = tmp_path / "ran"
    git(workspace / "vendor" / "lib", "config", "core.fsmonitor", f"touch {ran}; false")
    box = make_box()
    for tool in ("git_status", "git_diff"):
        assert box.call(tool, {}).ok
        assert not ran.exists(), tool


@pytest.mark.parametrize("tool", ["git_status", "git_diff", "git_log"])
def test_the_git_tools_outside_a_git_repository_say_so_in_one_line(make_box, workspace: Path, tool: str) -> None:
    """git diff answered with its whole usage text (40 lines, every call) and the others with git's fatal line."""
    shutil.rmtree(workspace / ".git")
    result = make_box().call(tool, {})
    said = ("the workspace is not in a git repository: git_status, git_diff and git_log have nothing to show "
            "(read_file and search work without one)")
    assert (result.ok, result.content) == (False, said)


def test_a_diff_shows_bytes_that_are_not_utf8_as_escapes_as_run_command_does(make_box, workspace: Path) -> None:
    (workspace / "README.md").write_bytes(b"# d\xe9mo\n")
    diff = make_box().call("git_diff", {"path": "README.md"})
    assert diff.ok and diff.content.splitlines()[-2:] == ["-# demo", "+# d\\xe9mo"]


def test_a_secret_file_whose_name_is_not_utf8_is_left_out_of_a_diff(make_box, workspace: Path) -> None:
    secret = os.path.join(os.fsencode(workspace), b"caf\xe9.env")
    Path(os.fsdecode(secret)).write_text("API_KEY=one\n")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "a secret")
    Path(os.fsdecode(secret)).write_text("API_KEY=two\n")
    diff = make_box().call("git_diff", {})
    assert diff.ok and "API_KEY" not in diff.content
    assert diff.content == "(nothing)\n[left out, as read_file would refuse them: $'caf\\xe9.env']"


def test_finish_and_validation_messages(make_box) -> None:
    box = make_box()
    assert box.call("finish", {"summary": "done"}).content == "finished: done"
    assert box.call("read_file", {}).content == "invalid arguments for read_file: /path: missing required property"
    coerced = box.call("read_file", {"path": "README.md", "start_line": "1"})  # "1" fits the schema as 1
    assert coerced.ok and coerced.content.startswith("README.md (lines 1-1 of 1)")
    wrong = box.call("read_file", {"path": "README.md", "start_line": "first"})
    assert wrong.content == 'invalid arguments for read_file: /start_line: expected integer, got string "first"'
    unknown = box.call("read_file", {"path": "README.md", "colour": "red"})
    assert unknown.content.startswith("invalid arguments for read_file: unknown argument(s) colour")
    assert box.call("frobnicate", {}).content.startswith("unknown tool 'frobnicate'; available: apply_patch")
    assert {s.name for s in box.specs()} >= {"read_file", "list_dir", "create_file", "edit_file", "apply_patch",
                                             "search", "find_symbol", "find_definition", "find_references",
                                             "run_command", "lint", "run_tests", "git_status", "git_diff",
                                             "git_log", "finish"}
    for spec in box.specs():
        assert spec.parameters["type"] == "object" and spec.description


def test_first_finish_after_untested_edits_runs_the_tests(make_box, workspace: Path) -> None:
    box = make_box()
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider tests"
    broken = {"path": "src/app.py", "old_string": "f'hello {name}'", "new_string": "f'bye {name}'"}
    assert box.call("edit_file", broken).ok
    refused = box.call("finish", {"summary": "done"})
    assert (refused.ok, refused.kind) == (False, "error")
    assert refused.content.startswith("not finished: the tests fail after your changes.\n$ python3 -m pytest")
    assert "1 failed" in refused.content
    assert box.call("finish", {"summary": "gave up"}).content == "finished: gave up"  # the second is taken


def test_finish_runs_no_tests_when_they_passed_since_the_last_edit(make_box, workspace: Path) -> None:
    box = make_box()
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider tests"
    fine = {"path": "src/app.py", "old_string": "class Server:", "new_string": "class Server:  # the server"}
    assert box.call("edit_file", fine).ok and box.unverified
    assert box.call("run_tests", {}).ok and not box.unverified
    (workspace / "tests/test_app.py").write_text("def test_x():\n    assert False\n")  # not the agent's write
    assert box.call("finish", {"summary": "done"}).content == "finished: done"


def test_finish_with_untested_edits_that_pass(make_box, workspace: Path) -> None:
    box = make_box()
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider tests"
    assert box.call("edit_file", {"path": "README.md", "old_string": "# demo", "new_string": "# demo app"}).ok
    assert box.call("finish", {"summary": "done"}).content == "finished: done"
    assert not box.unverified


def test_a_failing_suite_is_run_again_before_the_first_finish(make_box, workspace: Path) -> None:
    box = make_box()
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider tests"
    (workspace / "tests/test_app.py").write_text("def test_x():\n    assert False\n")
    assert not box.call("run_tests", {}).ok and box.unverified
    assert box.call("finish", {"summary": "done"}).content.startswith("not finished: the tests fail")


def test_finish_asks_nobody_to_run_the_tests(make_box, workspace: Path) -> None:
    box = make_box("auto-edit", answer=False)  # commands would need a question: finish does not ask it
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider tests"
    assert box.call("edit_file", {"path": "src/app.py", "old_string": "hello", "new_string": "bye"}).ok
    assert box.call("finish", {"summary": "done"}).content == "finished: done"
    assert box.asked == []


def test_a_failing_partial_run_marks_the_session_unverified_and_only_the_suite_clears_it(make_box, workspace: Path) -> None:
    box = make_box()
    box.facts.test_command = "python3 -m pytest -q -p no:cacheprovider"
    (workspace / "tests/test_red.py").write_text("def test_red():\n    assert False\n")
    assert not box.call("run_tests", {"paths": ["tests/test_red.py"]}).ok and box.unverified
    assert box.call("run_tests", {"paths": ["tests/test_app.py"]}).ok and box.unverified  # a part: still unverified
    (workspace / "tests/test_red.py").unlink()
    assert box.call("run_tests", {}).ok and not box.unverified


def test_watched_failing_tests_are_rerun_after_each_write_and_reported_with_it(make_box, workspace: Path) -> None:
    box = make_box()
    (workspace / "tests/test_app.py").write_text(
        "from src.app import greet\n\n\ndef test_greet():\n    assert greet('x') == 'hi x'\n")
    box.watch({"command": "python3 -m pytest -q --tb=short -p no:cacheprovider", "paths": ["tests/test_app.py"]})
    wrong = box.call("edit_file", {"path": "src/app.py", "old_string": "f'hello {name}'", "new_string": "f'hey {name}'"})
    assert wrong.ok and "+    return f'hey {name}'" in wrong.content
    assert "The test(s) the task names still fail after this edit (tests/test_app.py):" in wrong.content
    assert "E   AssertionError: assert 'hey x' == 'hi x'" in wrong.content
    right = box.call("edit_file", {"path": "src/app.py", "old_string": "f'hey {name}'", "new_string": "f'hi {name}'"})
    assert right.content.endswith("The failing test(s) the task names pass now (tests/test_app.py): "
                                  "run the whole suite, then finish.")
    assert box.unverified  # a part of the suite passing verifies nothing: finish still runs the whole suite


def test_no_watched_tests_means_no_test_run_after_a_write(make_box) -> None:
    result = make_box().call("edit_file", {"path": "src/app.py", "old_string": "hello", "new_string": "bye"})
    assert "test(s)" not in result.content and result.content.endswith("The edit is saved: do not repeat it.")
