"""`codewright models`, `models check`, `models install` and `models remove`: output validated against docs/cli.md."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tests.support.cli_schema import schemas, validate_strictly
from tests.support.model_server import Fault, ModelServer, closed_url
from tests.support.repos import make_repo

from codewright.cli.main import main
from codewright.gateway.local import catalog


def _project(tmp_path: Path, srv: ModelServer) -> Path:
    (tmp_path / "codewright.toml").write_text(f"""
default_model = "main"
[models.main]
fallbacks = ["spare"]
[[models.main.deployments]]
provider = "openai"
model = "m"
base_url = "{srv.openai_base}"
[[models.main.deployments]]
provider = "anthropic"
model = "claude-sonnet-4-5"
base_url = "{srv.anthropic_base}"
api_key_env = "CW_TEST_KEY"
[models.spare]
deployments = [{{provider = "ollama", model = "q", base_url = "{closed_url()}"}}]
""", encoding="utf-8")
    return tmp_path


def test_the_shared_validator_finds_the_models_schemas() -> None:
    """A heading of bare words took its block's fence as its own text: `models` and `models check` had no schema
    for tests/support/cli_schema.py, and this file parsed docs/cli.md again to validate them."""
    assert schemas()["models"]["required"] == ["default_model", "sources", "aliases", "local"]
    assert schemas()["models check"]["required"] == ["ok", "results"]


def test_models_lists_configuration(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CW_TEST_KEY", "sk-hidden")
    with ModelServer() as srv:
        project = _project(tmp_path, srv)
        assert main(["models", "--json", "--project", str(project)]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate_strictly("models", doc)
    main_alias = next(a for a in doc["aliases"] if a["alias"] == "main")
    assert [d["provider"] for d in main_alias["deployments"]] == ["openai", "anthropic"]
    assert main_alias["deployments"][1]["key_set"] is True and "sk-hidden" not in json.dumps(doc)


def test_models_check_probes_each_deployment(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with ModelServer() as srv:
        project = _project(tmp_path, srv)
        srv.script(Fault.server_error(503))
        code = main(["models", "check", "--json", "--project", str(project), "--timeout", "2"])
        doc = json.loads(capsys.readouterr().out)
        validate_strictly("models check", doc)
        assert code == 1 and doc["ok"] is False
        outcome = {r["deployment"]: r["error_kind"] for r in doc["results"]}
        assert outcome == {"openai/m": "server", "anthropic/claude-sonnet-4-5": None, "ollama/q": "connect"}
        assert srv.requests[0].body["max_tokens"] == 1


def test_models_check_probes_the_fallbacks_named_provider_slash_name(tmp_path: Path, capsys, monkeypatch) -> None:
    """A fallback or downgrade named PROVIDER/NAME was no configured alias: never probed, nor listed by `models`."""
    monkeypatch.setenv("HOME", str(tmp_path))
    with ModelServer() as srv:
        monkeypatch.setenv("OLLAMA_HOST", srv.ollama_host)
        (tmp_path / "codewright.toml").write_text(f"""
default_model = "main"
[models.main]
fallbacks = ["ollama/q"]
context_fallbacks = ["ollama/long"]
deployments = [{{provider = "openai", model = "m", base_url = "{srv.openai_base}"}}]
[budget]
downgrade_to = "ollama/small"
""", encoding="utf-8")
        assert main(["models", "check", "--json", "--project", str(tmp_path)]) == 0
        probed = [r["deployment"] for r in json.loads(capsys.readouterr().out)["results"]]
        assert main(["models", "--json", "--project", str(tmp_path)]) == 0
        listed = [a["alias"] for a in json.loads(capsys.readouterr().out)["aliases"]]
    assert probed == ["openai/m", "ollama/q", "ollama/long", "ollama/small"]
    assert listed == ["main", "ollama/q", "ollama/long", "ollama/small"]


def test_install_of_weights_already_there_and_remove_report_as_documented(tmp_path: Path, capsys, monkeypatch) -> None:
    """`models install` and `models remove` printed JSON that docs/cli.md had no schema for."""
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):  # no user file; the weights under tmp_path
        monkeypatch.setenv(var, str(tmp_path))
    official = replace(catalog.spec_for(catalog.DEFAULT_MODEL), size=7, sha256=hashlib.sha256(b"weights").hexdigest())
    monkeypatch.setitem(catalog.CATALOG, catalog.DEFAULT_MODEL, official)  # small weights of a known hash
    weights = catalog.weights_path(catalog.DEFAULT_MODEL)
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")  # there already and intact: kept as they are, nothing downloaded
    assert main(["models", "install", "--json"]) == 0
    installed = json.loads(capsys.readouterr().out)
    validate_strictly("models install", installed)
    assert (installed["path"], installed["size"]) == (str(weights), 7)
    assert main(["models", "--json", "--project", str(tmp_path)]) == 0
    listing = json.loads(capsys.readouterr().out)
    validate_strictly("models", listing)
    assert listing["local"] == [{"name": catalog.DEFAULT_MODEL, "path": str(weights), "size": 7}]
    assert main(["models", "remove", weights.name, "--json"]) == 0
    removed = json.loads(capsys.readouterr().out)
    validate_strictly("models remove", removed)
    assert removed == {"removed": [str(weights)]} and not weights.exists()


def test_models_text_names_each_local_model_by_its_catalog_name_or_file_stem(tmp_path: Path, capsys,
                                                                             monkeypatch) -> None:
    """The text listing names a catalog model's weights by the model's name, any other GGUF file by its stem."""
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path))
    weights = catalog.weights_path(catalog.DEFAULT_MODEL)
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    (weights.parent / "mine.gguf").write_bytes(b"w")
    assert main(["models", "--project", str(tmp_path)]) == 0
    local = [line for line in capsys.readouterr().out.splitlines() if line.startswith("local: ")]
    assert local == ["local: mine", f"local: {catalog.DEFAULT_MODEL}"]  # in the files' order: mine.gguf, qwen...


def test_unknown_model_is_a_usage_error(capsys) -> None:
    assert main(["models", "--model", "nonsense"]) == 2
    assert "unknown model 'nonsense'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["models", "--model", ""], "argument --model: must name a model"),
    (["models", "check", "--model", " "], "argument --model: must name a model"),
    (["models", "check", "--timeout", "0"], "argument --timeout: must be a finite number greater than 0, not '0'"),
    (["models", "check", "--timeout", "-1"], "argument --timeout: must be a finite number greater than 0, not '-1'"),
    (["models", "check", "--timeout", "nan"], "argument --timeout: must be a finite number greater than 0, not 'nan'"),
])
def test_an_argument_that_is_no_valid_value_is_refused_before_any_probe(tmp_path: Path, capsys, monkeypatch,
                                                                        argv: list[str], message: str) -> None:
    """`--timeout 0` probed each deployment against a deadline already past and reported it FAILED (connect:
    Operation now in progress), exit 1; `--model ""` listed or probed every model as if it were left out."""
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):  # no user file, no local model to probe
        monkeypatch.setenv(var, str(tmp_path))
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and message in capsys.readouterr().err


def test_a_project_file_that_is_not_utf8_is_a_usage_error(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "codewright.toml").write_bytes(b"\xff\xfe")
    assert main(["models", "--project", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"codewright: {tmp_path / 'codewright.toml'}: invalid TOML: "
                                       "not UTF-8 text (byte 0xff at offset 0)\n")


@pytest.mark.parametrize("command", [["models"], ["models", "check"]])
@pytest.mark.parametrize("name", ["missing", "notes.txt"])
def test_a_project_that_is_not_a_directory_is_a_usage_error(tmp_path: Path, capsys, monkeypatch,
                                                             command: list[str], name: str) -> None:
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):  # no user file, no local model to probe
        monkeypatch.setenv(var, str(tmp_path))
    (tmp_path / "notes.txt").write_text("not a project\n", encoding="utf-8")
    project = tmp_path / name
    assert main([*command, "--project", str(project)]) == 2
    assert capsys.readouterr().err == f"codewright: --project {project}: not a directory\n"


def test_a_setting_out_of_range_is_one_line_and_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "codewright.toml").write_text("[router]\nmax_attempts = -1\n", encoding="utf-8")
    assert main(["models", "--project", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"codewright: {tmp_path / 'codewright.toml'} [router]: "
                                       "max_attempts must be at least 1, not -1\n")


def test_import_is_fast() -> None:
    # CPU time, not wall time: the figure is the import's own cost, not the machine's load
    code = "import time; t = time.process_time(); import codewright.gateway; print(time.process_time() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
             for _ in range(3)]
    assert min(times) < 0.150, times
    leaked = subprocess.run([sys.executable, "-c", "import sys, codewright.gateway; print('httpx' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert leaked == "False"


@pytest.mark.parametrize("key, error", [
    ("sk-hidden\n", None),  # read from a file
    ("sk-hidden\r", None),  # a Windows .env
    ("sk\u2010hidden", "CW_TEST_KEY holds a character no HTTP header can carry"),  # a dash pasted from a page
    ("sk-hid\nden", "CW_TEST_KEY holds a character no HTTP header can carry"),
], ids=["a newline after it", "a CR after it", "a non-ASCII dash", "a newline inside"])
def test_a_key_with_what_no_header_carries_is_named_never_shown(tmp_path: Path, capsys, monkeypatch,
                                                                key: str, error: str | None) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CW_TEST_KEY", key)
    with ModelServer(api_key="sk-hidden") as srv:
        project = _project(tmp_path, srv)
        code = main(["models", "check", "--json", "--project", str(project), "--model", "main", "--timeout", "2"])
    out = capsys.readouterr().out
    result = next(r for r in json.loads(out)["results"] if r["deployment"] == "anthropic/claude-sonnet-4-5")
    assert "hid" not in out
    if error is None:
        assert result["ok"] is True
    else:
        assert code == 1 and result["error_kind"] == "config" and result["error"].startswith(error)


@pytest.mark.parametrize("command, code, shown", [
    (["models", "--json"], 0, lambda doc: doc["default_model"]),
    (["models", "check", "--json"], 1, lambda doc: doc["results"][0]["alias"]),  # the probe fails: no key
], ids=["models", "models check"])
def test_without_project_it_reads_the_configuration_run_reads_from_a_subfolder(
        tmp_path: Path, capsys, monkeypatch, command: list[str], code: int, shown) -> None:
    """From a subfolder that has a codewright.toml of its own, `models` listed that file's models, while `run` and
    `chat` there work on the project (the git work tree's top) and read the top's: `models` is to show what a run
    will use, as its help and docs/cli.md say."""
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):  # no user file, no local model to probe
        monkeypatch.setenv(var, str(tmp_path))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # each probe fails at once, for want of a key
    project = make_repo(tmp_path / "proj", {"codewright.toml": 'default_model = "openai/top"\n',
                                           "sub/codewright.toml": 'default_model = "openai/sub"\n'}, git=True)
    monkeypatch.chdir(project / "sub")
    assert main(command) == code
    assert shown(json.loads(capsys.readouterr().out)) == "openai/top"
