"""`gridmap config show`: the settings in force with secrets masked; unsafe production settings refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.api.app import create_app
from gridmap.cli import app
from gridmap.errors import EXIT_INPUT_ERROR, InvalidInput
from gridmap.settings import Settings, refuse_unsafe, unsafe_reasons

PRODUCTION = "postgresql+psycopg://gridmap:postgres@db.example/gridmap"


def test_show_masks_the_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", "postgresql+psycopg://gridmap:s3cret-Value@db.example/gridmap")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "s3cret-Value" not in result.output
    assert "GRIDMAP_DATABASE_URL" in result.output and "environment" in result.output


def test_show_names_unsafe_settings_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", PRODUCTION)
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "well-known password" in result.output


def test_reference_lists_every_setting() -> None:
    result = CliRunner().invoke(app, ["config", "show", "--reference"])
    assert result.exit_code == 0
    for name in Settings.model_fields:
        assert f"GRIDMAP_{name.upper()}" in result.output


def test_the_laptop_defaults_are_safe() -> None:
    assert unsafe_reasons(Settings(database_url="sqlite:///x.db")) == []
    assert unsafe_reasons(Settings(database_url="postgresql+psycopg://gridmap@db/gridmap")) == []


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"database_url": PRODUCTION}, "well-known password"),
        ({"database_url": "postgresql+psycopg://gridmap@db/g", "public_min_group": 1}, "PUBLIC_MIN_GROUP"),
        ({"database_url": "postgresql+psycopg://gridmap@db/g", "public_location_m": 5}, "PUBLIC_LOCATION_M"),
        ({"trusted_proxies": ["0.0.0.0/0"]}, "forge X-Forwarded-For"),
        ({"trusted_proxies": ["not-an-address"]}, "not an address"),
    ],
)
def test_unsafe_settings_stop_the_server_before_it_starts(overrides: dict[str, object], words: str) -> None:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=words):
        refuse_unsafe(settings)
    with pytest.raises(InvalidInput, match="refusing to start with unsafe settings"):
        create_app(settings)


def test_serve_refuses_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDMAP_TRUSTED_PROXIES", '["::/0"]')
    result = CliRunner().invoke(app, ["serve", "--port", "9"])
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "refusing to start with unsafe settings" in result.output and "Traceback" not in result.output


def test_serve_refuses_a_bad_categories_file_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "categories.toml"
    path.write_text('[[categories]]\ncode = "other"\nprivate = 1\n', encoding="utf-8")
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    monkeypatch.setenv("GRIDMAP_CATEGORIES_FILE", str(path))
    result = CliRunner().invoke(app, ["serve", "--port", "9"])
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "field 'private' must be true or false" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g.db").exists()  # refused before the store was opened
