"""`gridmap user passwd NAME`: the first admin gets a password to sign in on the pages with, typed at a prompt
or piped in, never on the command line; the password is kept only as its argon2 hash."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from gridmap.cli import app
from gridmap.errors import EXIT_INPUT_ERROR
from gridmap.services import passwords
from gridmap.store import open_store

runner = CliRunner()
PASSWORD = "first-admin-password"


def run(database: str, *args: str, stdin: str = "") -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"GRIDMAP_DATABASE_URL": database, "COLUMNS": "200"})
    return result.exit_code, result.output


def stored_hash(database: str, name: str) -> str | None:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            found: str | None = connection.execute(
                text("SELECT password_hash FROM users WHERE name = :name"), {"name": name}
            ).scalar_one()
            return found
    finally:
        engine.dispose()


def test_a_password_from_standard_input_lets_the_user_sign_in(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'gridmap.db'}"
    assert run(database, "user", "add", "管理员", "--role", "admin")[0] == 0

    code, output = run(database, "user", "passwd", "管理员", "--password-stdin", stdin=PASSWORD + "\n")

    assert code == 0, output
    assert "管理员" in output and PASSWORD not in output
    stored = stored_hash(database, "管理员")
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106, 2nd profile
    with open_store(database) as store:
        record = store.sign_in_record("管理员")
    assert record is not None and passwords.verify(PASSWORD, record.password_hash)


def test_the_prompt_asks_twice_and_a_weak_password_or_unknown_user_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'gridmap.db'}"
    run(database, "user", "add", "规划员", "--role", "planner")

    code, output = run(database, "user", "passwd", "规划员", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, output
    assert "New password:" in output and "Repeat for confirmation:" in output and PASSWORD not in output
    assert stored_hash(database, "规划员") is not None

    code, output = run(database, "user", "passwd", "规划员", "--password-stdin", stdin="short\n")
    assert code == EXIT_INPUT_ERROR and "at least 10 characters" in output
    code, output = run(database, "user", "passwd", "nobody", "--password-stdin", stdin=PASSWORD + "\n")
    assert code != 0 and "no user named 'nobody'" in output
