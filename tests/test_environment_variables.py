"""made_helpers.environment: each environment variable accepts only the values it documents; any other value is
refused in one line naming the variable (the CLI: exit status 2, before any work)."""

from __future__ import annotations

import subprocess

import pytest
from conftest import MADE_COMMAND, PROCESS_ENV

from made_helpers import environment
from made_helpers.environment import FLAGS, EnvironmentVariableError, check_keras_backend, env_flag
from made_helpers.experiments import cli

BAD_FLAG_VALUES = ["maybe", "2", "-1", "1.0", "offline", "y", "t"]


@pytest.mark.parametrize("raw, value", [("1", True), ("true", True), ("TRUE", True), (" 1", True), ("yes", True),
                                        ("On", True), ("0", False), ("false", False), ("no", False),
                                        ("off", False), ("", False), (None, False)])
@pytest.mark.parametrize("name", FLAGS)
def test_flag_values_mean_what_the_module_documents(monkeypatch, name, raw, value):
    if raw is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, raw)
    assert env_flag(name) is value
    assert f"{name}" in environment.__doc__


@pytest.mark.parametrize("raw", BAD_FLAG_VALUES)
@pytest.mark.parametrize("name", FLAGS)
def test_any_other_flag_value_is_refused_naming_the_variable(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(EnvironmentVariableError, match=f"^{name}={raw!r} is not a flag value") as info:
        env_flag(name)
    assert "\n" not in str(info.value)


def test_F024_MADE_QUICK_true_is_quick_mode(monkeypatch, capsys):
    from made_helpers.notebook_setup import quick_mode, setup

    monkeypatch.setenv("MADE_QUICK", "true")
    assert quick_mode() is True and setup().quick is True
    monkeypatch.setenv("MADE_QUICK", "quick")
    with pytest.raises(EnvironmentVariableError, match="MADE_QUICK='quick'"):
        setup()


def test_F019_MADE_OFFLINE_false_allows_downloads(monkeypatch):
    from made_helpers.data import _download_allowed

    monkeypatch.setenv("MADE_OFFLINE", "false")
    assert _download_allowed(None) is True
    monkeypatch.setenv("MADE_OFFLINE", "1")
    assert _download_allowed(None) is False
    assert _download_allowed(True) is True                # the argument wins over the variable
    monkeypatch.setenv("MADE_OFFLINE", "sometimes")
    with pytest.raises(EnvironmentVariableError, match="MADE_OFFLINE='sometimes'"):
        _download_allowed(None)


def test_F021_MADE_DEBUG_0_keeps_the_one_line_internal_error(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "cmd_evaluate", broken)         # build_parser picks it up
    monkeypatch.setenv("MADE_DEBUG", "0")
    assert cli.main(["evaluate", "--model", "m1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: a bug" in err
    monkeypatch.setenv("MADE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["evaluate", "--model", "m1"])


@pytest.mark.parametrize("name", FLAGS)
def test_the_command_line_refuses_a_bad_flag_value_with_status_2(monkeypatch, capsys, name):
    monkeypatch.setenv(name, "maybe")
    assert cli.main(["evaluate", "--model", "does-not-matter"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"made: error: {name}='maybe'")


@pytest.mark.parametrize("backend", ["numpy", "torch", "TensorFlow", "tensorflow "])
def test_F023_a_leftover_KERAS_BACKEND_gets_its_own_line_not_an_internal_error(monkeypatch, capsys, backend):
    monkeypatch.setenv("KERAS_BACKEND", backend)
    with pytest.raises(EnvironmentVariableError, match=f"KERAS_BACKEND={backend!r}: made_helpers runs on"):
        check_keras_backend()
    assert cli.main(["train", "--data", "fallback", "--out", "never-made"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unset KERAS_BACKEND" in err and "internal error" not in err


@pytest.mark.parametrize("backend", ["tensorflow", ""])
def test_tensorflow_or_empty_KERAS_BACKEND_is_accepted(monkeypatch, backend):
    monkeypatch.setenv("KERAS_BACKEND", backend)
    check_keras_backend()


def test_F022_KERAS_BACKEND_jax_process_prints_one_line_with_status_2(tmp_path):
    env = {**PROCESS_ENV, "KERAS_BACKEND": "jax"}
    proc = subprocess.run([*MADE_COMMAND, "evaluate", "--model", "m1", "--limit", "5"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "made: error: KERAS_BACKEND='jax': made_helpers runs on Keras's TensorFlow backend only; unset "
        "KERAS_BACKEND or set KERAS_BACKEND=tensorflow"]
    assert list(tmp_path.iterdir()) == []
