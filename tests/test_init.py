"""``kopcore init`` names the cooperative and enables its product plugins, never a test
fixture; settings without ``plugins`` never enable a fixture either."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from kopcore import cli
from kopcore._installed import FIXTURE_CLASSIFIER, is_fixture, product_plugins
from kopcore.settings import Settings
from tests.interfaces_support import run_console, write_settings

INSTALLED = {ep.name: ep for ep in entry_points(group="kopcore")}


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def kopcore(argv: tuple[str, ...]) -> None:
    """``kopcore ARGS...`` through the console entry point, under CliRunner."""
    cli.main(list(argv))


def test_the_example_plugin_is_a_fixture_and_the_products_are_not() -> None:
    assert is_fixture(INSTALLED["celengan"])
    assert "celengan" not in product_plugins()
    for name in ("savings", "loans", "ppob", "sharia"):
        if name in INSTALLED:
            assert not is_fixture(INSTALLED[name])
            assert name in product_plugins()
    project = tomllib.loads(
        (Path(__file__).parent / "example_plugin" / "pyproject.toml").read_text("utf-8"))
    assert FIXTURE_CLASSIFIER in project["project"]["classifiers"]


def test_settings_without_plugins_never_enable_a_fixture(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOPCORE_PLUGINS", raising=False)
    path = tmp_path / "kopcore.toml"
    path.write_text('cooperative_name = "Koperasi Sejahtera"\n', encoding="utf-8")
    assert Settings.load(path).plugins == product_plugins()
    monkeypatch.setenv("KOPCORE_PLUGINS", "celengan")  # named: enabled
    assert Settings.load(path).plugins == ("celengan",)


def test_init_records_the_name_and_the_product_plugins_in_a_new_settings_file(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no settings file anywhere: init starts ./kopcore.toml
    for variable in ("KOPCORE_SETTINGS", "KOPCORE_PLUGINS", "KOPCORE_OPERATOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KOPCORE_DATABASE_URL", database_url)
    result = CliRunner().invoke(kopcore, ["init", "--admin", "ketua", "--name",
                                           "Koperasi Simpan Pinjam Sejahtera"])
    assert result.exit_code == 0, result.output
    written = tomllib.loads((tmp_path / "kopcore.toml").read_text("utf-8"))
    assert written == {"cooperative_name": "Koperasi Simpan Pinjam Sejahtera",
                       "plugins": list(product_plugins())}
    assert "database_url" not in written  # it stays where it was given
    assert "Koperasi Simpan Pinjam Sejahtera (plugins: " in result.output
    assert "celengan" not in result.output
    shown = CliRunner().invoke(kopcore, ["--operator", "ketua", "system", "business-date"])
    assert "cooperative: Koperasi Simpan Pinjam Sejahtera" in shown.output, shown.output


def test_init_without_a_name_off_a_terminal_says_how_and_creates_nothing(
        tmp_path: Path, database_url: str) -> None:
    settings = write_settings(tmp_path / "kopcore.toml", database_url)
    result = run_console(settings, "init", "--admin", "ketua")
    assert result.exit_code == 2
    assert 'kopcore init --name "Koperasi ..."' in result.stderr
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert "users" not in inspect(engine).get_table_names()
    engine.dispose()


def test_init_asks_the_name_at_a_terminal(tmp_path: Path, database_url: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "interactive", lambda: True)
    settings = write_settings(tmp_path / "kopcore.toml", database_url)
    result = CliRunner().invoke(kopcore, ["--settings", str(settings), "init"],
                                input="Koperasi Tani Makmur\n")
    assert result.exit_code == 0, result.output
    assert "The cooperative's name" in result.output
    assert Settings.load(settings).cooperative_name == "Koperasi Tani Makmur"
    assert Settings.load(settings).plugins == ()  # the file's own choice is kept


def test_init_keeps_what_the_file_says_and_refuses_to_contradict_it(
        tmp_path: Path, database_url: str) -> None:
    settings = write_settings(tmp_path / "kopcore.toml", database_url,
                              cooperative_name="Koperasi Lama")
    other = run_console(settings, "init", "--name", "Koperasi Baru")
    assert other.exit_code == 2
    assert "names the cooperative 'Koperasi Lama'" in other.stderr
    plugins = run_console(settings, "init", "--plugins", "celengan")
    assert plugins.exit_code == 2
    assert "already says which plugins are enabled" in plugins.stderr
    same = run_console(settings, "init", "--name", "Koperasi Lama")
    assert same.exit_code == 0, same.stderr
