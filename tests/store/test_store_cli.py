"""`gridmap db upgrade`, `import`, `publish`, `versions`, `diff`, `export`, `user add`, `token` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gridmap.cli.store  # noqa: F401  (registers the commands until gridmap.cli does)
from gridmap.cli import app
from gridmap.errors import EXIT_CONFLICT
from gridmap.store import migrate, open_store
from tests.boundary_builders import cell, write_collection
from tests.store.conftest import grid_code, region_features, sqlite_url
from tests.store.test_contract_household_impact import impact_households, moved_region

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def region_file(tmp_path: Path) -> Path:
    return write_collection(tmp_path / "region.geojson", region_features())


def run(database: str, *args: str | Path) -> tuple[int, str]:
    """Run the CLI against `database`; (exit code, stdout + stderr)."""
    result = runner.invoke(app, [str(a) for a in args], env={"GRIDMAP_DATABASE_URL": database, "COLUMNS": "200"})
    return result.exit_code, result.output


def test_db_upgrade(database: str) -> None:
    code, output = run(database, "db", "upgrade")
    assert code == 0, output
    assert f"schema revision {migrate.head_revision()}" in output


def test_import_publish_versions(database: str, region_file: Path) -> None:
    code, output = run(database, "import", region_file, "--set", "aoyang", "--who", "张发敏", "--why", "survey")
    assert code == 0, output
    assert "Stored 13 features as draft version 1 of set 'aoyang'" in output

    code, output = run(database, "publish", "1", "--why", "approved")
    assert code == 0, output
    assert "Published version 1" in output

    code, output = run(database, "import", region_file, "--set", "aoyang", "--publish")
    assert code == 0, output
    code, output = run(database, "versions", "--set", "aoyang")
    assert code == 0, output
    assert "retired" in output and "published" in output and "张发敏" in output


def test_publish_refused_by_the_check_exits_one(database: str, region_file: Path, tmp_path: Path) -> None:
    features = region_features()
    features[1]["geometry"] = cell(0, 1, 1.3, 1).__geo_interface__
    broken = write_collection(tmp_path / "broken.geojson", features)

    code, output = run(database, "import", broken, "--publish")

    assert code == 1, output
    assert "overlap" in output and "nothing was published" in output
    with open_store(database) as store:
        assert store.list_versions()[0].status.value == "draft"


def test_errors_are_one_line_with_exit_two(database: str, region_file: Path) -> None:
    code, output = run(database, "publish", "7")
    assert code == 2
    assert "there is no boundary version 7" in output
    assert "Traceback" not in output
    code, output = run(database, "import", region_file.with_name("missing.geojson"))
    assert code == 2 and "no such file" in output


def test_diff_text_and_json(database: str, region_file: Path, tmp_path: Path) -> None:
    features = region_features()
    features[1]["geometry"] = cell(0, 1, 1.25, 1).__geo_interface__
    run(database, "import", region_file)
    run(database, "import", write_collection(tmp_path / "v2.geojson", features))

    code, output = run(database, "diff", "1", "2")
    assert code == 0, output
    assert "1 reshaped" in output and grid_code(1) in output

    code, output = run(database, "diff", "1", "2", "--format", "json")
    assert code == 0, output
    assert [r["code"] for r in json.loads(output)["reshaped"]] == [grid_code(1)]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_export_writes_what_was_imported(database: str, region_file: Path, tmp_path: Path, fmt: str) -> None:
    run(database, "import", region_file)
    out = tmp_path / f"export.{fmt}"

    code, output = run(database, "export", "--version", "1", "--format", fmt, "--out", out)
    assert code == 0, output
    run(database, "import", out)
    code, output = run(database, "diff", "1", "2")
    assert "no changes" in output


def test_user_add_prints_the_token_once(database: str) -> None:
    result = runner.invoke(app, ["user", "add", "张发敏", "--role", "worker"], env={"GRIDMAP_DATABASE_URL": database})

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("gm_")
    with open_store(database) as store:
        user = store.user_for_token(token)
    assert user is not None and user.name == "张发敏"


def test_tokens_are_listed_added_and_revoked(database: str) -> None:
    code, output = run(database, "user", "add", "张发敏", "--role", "worker", "--expires-days", "30")
    assert code == 0 and "valid 30 days" in output, output
    first = output.strip().splitlines()[-1]
    code, output = run(database, "token", "add", "张发敏", "--label", "new phone")
    assert code == 0, output
    second = output.strip().splitlines()[-1]

    code, listing = run(database, "token", "list")
    assert code == 0, listing
    assert "张发敏" in listing and "worker" in listing and "new phone" in listing and "never" not in listing
    assert first not in listing and second not in listing and first[:12] not in listing
    with open_store(database) as store:
        tokens = store.list_tokens()
        assert [t.label for t in tokens] == ["first token", "new phone"]
        assert tokens[0].expires_at is not None and tokens[0].created_at is not None
        assert (tokens[0].expires_at - tokens[0].created_at).days in (29, 30)

    code, output = run(database, "token", "revoke", str(tokens[0].id))
    assert code == 0 and "revoked" in output, output
    with open_store(database) as store:
        assert store.user_for_token(first) is None
        assert store.user_for_token(second) is not None
    assert run(database, "token", "revoke", "99")[0] == 2
    assert run(database, "token", "add", "nobody")[0] == 2
    assert run(database, "user", "add", "x", "--expires-days", "0")[0] == 2


def test_publishing_over_a_version_published_meanwhile_needs_replace(database: str, region_file: Path) -> None:
    for _ in range(2):
        assert run(database, "import", region_file, "--set", "aoyang")[0] == 0
    assert run(database, "publish", "2", "--who", "乙")[0] == 0

    code, output = run(database, "publish", "1", "--who", "甲")
    assert code == EXIT_CONFLICT, output
    assert "version 2 was published by 乙" in output
    code, output = run(database, "publish", "1", "--who", "甲", "--replace")
    assert code == 0, output
    with open_store(database) as store:
        assert store.published_version("aoyang").id == 1  # type: ignore[union-attr]


def test_help_teaches_with_examples(database: str) -> None:
    commands = (["import"], ["publish"], ["export"], ["diff"], ["user", "add"], ["db", "upgrade"])
    for command in (*commands, ["token", "list"], ["token", "add"], ["token", "revoke"]):
        code, output = run(database, *command, "--help")
        assert code == 0 and "Examples" in output, command


def test_diff_counts_the_households_that_change_grid(database: str, region_file: Path, tmp_path: Path) -> None:
    run(database, "import", region_file)
    run(database, "import", write_collection(tmp_path / "v2.geojson", moved_region(region_features())))
    with open_store(database) as store:
        store.add_households(impact_households())

    code, output = run(database, "diff", "1", "2")
    assert code == 0, output
    assert "3 households change grid" in output
    rows = [line.strip("│ ").split() for line in output.splitlines() if line.startswith("│")]
    assert [grid_code(2), "│", grid_code(1), "│", "2"] in rows
    assert [grid_code(4), "│", "(uncovered)", "│", "1"] in rows
    assert "MOVE-A" not in output

    code, output = run(database, "diff", "1", "2", "--format", "json")
    assert code == 0, output
    assert json.loads(output)["households"]["pairs"][0] == {"from": grid_code(2), "to": grid_code(1), "count": 2}
