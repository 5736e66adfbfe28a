"""`gridmap households export` as a user runs it: masked by default, personal data for an admin's token only."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_NOT_ALLOWED
from gridmap.store import open_store
from gridmap.store.account_store import Role
from gridmap.store.household_store import HouseholdRecord

runner = CliRunner()


@pytest.fixture
def tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[Role, str]:
    """A SQLite register of two households (GRIDMAP_DATABASE_URL) and a token per role."""
    url = f"sqlite:///{tmp_path / 'gridmap.db'}"
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", url)
    monkeypatch.delenv("GRIDMAP_TOKEN", raising=False)
    with open_store(url, upgrade=True) as store:
        store.add_households(
            [
                HouseholdRecord("H1", "胜利街1号", None, None, people=3, head_name="陈琴强", phone="13812340421"),
                HouseholdRecord("H2", "胜利街2号", None, None, people=1, head_name="杨军斌", phone="189****3510"),
            ]
        )
        return {role: store.add_user(f"user-{role.value}", role) for role in Role}


def run(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    return result.exit_code, result.output


def names_and_phones(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["head_name"], row["phone"]) for row in csv.DictReader(handle)]


def test_export_masks_names_and_phones_by_default(tokens: dict[Role, str], tmp_path: Path) -> None:
    out = tmp_path / "masked.csv"
    code, output = run("households", "export", "--out", out)
    assert code == 0, output
    assert "wrote 2 households" in output and "masked" in output
    assert names_and_phones(out) == [("陈**", "138****0421"), ("杨**", "189****3510")]
    # a token without --include-personal changes nothing
    run("households", "export", "--out", out, "--token", tokens[Role.ADMIN])
    assert names_and_phones(out) == [("陈**", "138****0421"), ("杨**", "189****3510")]


def test_include_personal_needs_an_admin(tokens: dict[Role, str], tmp_path: Path) -> None:
    out = tmp_path / "full.csv"
    code, output = run("households", "export", "--out", out, "--include-personal")
    assert code == EXIT_NOT_ALLOWED and "needs an admin's token" in output and not out.exists()
    for role in (Role.VIEWER, Role.WORKER, Role.PLANNER):
        code, output = run("households", "export", "--out", out, "--include-personal", "--token", tokens[role])
        assert code == EXIT_NOT_ALLOWED and "only an admin may export names and phones" in output, output
        assert not out.exists() and "Traceback" not in output
    code, output = run("households", "export", "--out", out, "--include-personal", "--token", "wrong")
    assert code == EXIT_NOT_ALLOWED and "not valid" in output and not out.exists()

    code, output = run("households", "export", "--out", out, "--include-personal", "--token", tokens[Role.ADMIN])
    assert code == 0, output
    assert names_and_phones(out) == [("陈琴强", "13812340421"), ("杨军斌", "189****3510")]
    assert "陈琴强" not in output


def test_the_token_can_come_from_the_environment(tokens: dict[Role, str], tmp_path: Path) -> None:
    out = tmp_path / "full.csv"
    code, output = run(
        "households", "export", "--out", out, "--include-personal", env={"GRIDMAP_TOKEN": tokens[Role.ADMIN]}
    )
    assert code == 0, output
    assert names_and_phones(out)[0] == ("陈琴强", "13812340421")
