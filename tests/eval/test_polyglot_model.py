"""`codewright eval polyglot` refuses a model no exercise could use before it runs or writes anything:
it used to run every exercise, each failing alike, exit 0, and keep the failures as the model's results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.model_server import closed_url

from codewright.cli.main import main

EXERCISE = {"exercise": "hello", "instructions": "Say hello.", "solution_files": {"hello.py": ""},
            "test_files": {"hello_test.py": "import hello\n"}}


@pytest.mark.parametrize("model, message", [
    ("foo/bar", "unknown model 'foo/bar': not a configured alias"),
    ("nonsense", "unknown model 'nonsense'"),
    ("  ", "--model is empty: give a model alias or PROVIDER/NAME"),
    ("openai/gpt-4o", "OPENAI_API_KEY is not set"),
])
def test_a_model_no_exercise_could_use_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], model: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    (tmp_path / "data.jsonl").write_text(json.dumps(EXERCISE) + "\n", encoding="utf-8")
    assert main(["eval", "polyglot", "--model", model, "--data", "data.jsonl"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]  # no .codewright/eval/polyglot


@pytest.mark.parametrize("option, value", [("--time-cap", "0"), ("--time-cap", "-1"), ("--time-cap", "nan"),
                                           ("--max-steps", "0"), ("--max-steps", "-3")])
def test_a_limit_no_exercise_could_run_under_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    """--time-cap -1 or --max-steps 0 ended every exercise at once as a `limit` failure, exit 0, and the results
    file kept the failures as the model's score (a rerun skipped them all)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")  # the model is usable: only the limit is wrong
    monkeypatch.setenv("OPENAI_BASE_URL", closed_url())
    (tmp_path / "data.jsonl").write_text(json.dumps(EXERCISE) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["eval", "polyglot", "--model", "openai/test-model", "--data", "data.jsonl", option, value])
    assert exited.value.code == 2
    assert f"argument {option}: must be " in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]


@pytest.mark.parametrize("names", ["", " ", ",", " , "])
def test_exercises_that_name_none_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], names: str
) -> None:
    """`--exercises "$UNSET"` ran every exercise and `--exercises ,` none, exit 0 with an empty summary."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.jsonl").write_text(json.dumps(EXERCISE) + "\n", encoding="utf-8")
    assert main(["eval", "polyglot", "--model", "openai/test-model", "--data", "data.jsonl", "--exercises", names]) == 2
    assert capsys.readouterr().err == (f"codewright: --exercises {names!r} names no exercise: give comma-separated "
                                       "names, or leave it out for all\n")
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]
