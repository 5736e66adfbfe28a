"""One error tree: every class has its HTTP status and CLI exit code, used by the API and the CLI alike, and
the README's tables are the generated ones."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

import gridmap.api.app
import gridmap.cli  # noqa: F401
from gridmap.api.problems import status_for
from gridmap.cli.common import user_errors
from gridmap.errors import (
    EXIT_CONFLICT,
    EXIT_INPUT_ERROR,
    EXIT_INTERNAL_ERROR,
    EXIT_NOT_ALLOWED,
    EXIT_PROBLEMS_FOUND,
    Conflict,
    Forbidden,
    GridmapError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    ProblemsFound,
    RateLimited,
    error_classes,
    error_table,
)
from gridmap.settings import settings_reference
from scripts.readme_tables import README, block


def _between(marker: str) -> str:
    found = block(marker).search(README.read_text(encoding="utf-8"))
    assert found, f"README.md has no generated {marker} block"
    return found.group(2)


def test_the_readme_holds_the_generated_error_table() -> None:
    assert _between("errors") == error_table(), "run: .venv/bin/python scripts/readme_tables.py"


def test_the_readme_holds_the_generated_settings_table() -> None:
    assert _between("settings") == settings_reference(), "run: .venv/bin/python scripts/readme_tables.py"


@pytest.mark.parametrize(
    ("error", "status", "exit_code"),
    [
        (InvalidInput("x"), 422, EXIT_INPUT_ERROR),
        (NotFound("x"), 404, EXIT_INPUT_ERROR),
        (ProblemsFound("x"), 422, EXIT_PROBLEMS_FOUND),
        (Conflict("x"), 409, EXIT_CONFLICT),
        (PreconditionFailed("x"), 412, EXIT_CONFLICT),
        (Forbidden("x"), 403, EXIT_NOT_ALLOWED),
        (RateLimited("x", retry_after_s=1), 429, EXIT_NOT_ALLOWED),
        (GridmapError("x"), 500, EXIT_INTERNAL_ERROR),
    ],
)
def test_api_and_cli_take_status_and_exit_code_from_the_class(error: GridmapError, status: int, exit_code: int) -> None:
    assert status_for(error) == status

    cli = typer.Typer()

    @cli.command()
    @user_errors
    def fail() -> None:
        raise error

    result = CliRunner().invoke(cli, [])
    assert result.exit_code == exit_code
    assert "Traceback" not in result.output


def test_every_error_class_has_a_4xx_or_5xx_status_and_a_documented_exit_code() -> None:
    for cls in error_classes():
        assert 400 <= cls.http_status < 600, cls
        assert cls.exit_code in {
            EXIT_INPUT_ERROR,
            EXIT_PROBLEMS_FOUND,
            EXIT_INTERNAL_ERROR,
            EXIT_CONFLICT,
            EXIT_NOT_ALLOWED,
        }


def test_a_crash_exits_3_with_its_traceback_never_1() -> None:
    cli = typer.Typer()

    @cli.command()
    @user_errors
    def crash() -> None:
        _ = [][1]

    result = CliRunner().invoke(cli, [])
    assert result.exit_code == EXIT_INTERNAL_ERROR
    assert "IndexError" in result.output and "internal error" in result.output


def test_usage_errors_stay_usage_errors() -> None:
    cli = typer.Typer()

    @cli.command()
    @user_errors
    def usage() -> None:
        raise typer.BadParameter("needs --households")

    result = CliRunner().invoke(cli, [])
    assert result.exit_code == EXIT_INPUT_ERROR
    assert "needs --households" in result.output
