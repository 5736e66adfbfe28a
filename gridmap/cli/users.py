"""Users and their tokens and passwords from the command line: `gridmap user add/passwd` and
`gridmap token list/add/revoke`.

The first admin is made here (`gridmap user add NAME --role admin`, then `gridmap user passwd NAME` to sign in
on the pages); admins then manage everyone else on /admin. A password is read from a prompt that does not
echo, or from standard input (`--password-stdin`), never from the command line, where `ps` and the shell's
history would show it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import console, err_console, store_at, user_errors
from gridmap.errors import InvalidInput
from gridmap.services import users as user_service
from gridmap.store.account_store import Role

user_app = typer.Typer(help="Users and their tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Tokens: list them, add one for a user, revoke one.", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(user_app, name="user")
commands.add_typer(token_app, name="token")

ExpiresOption = Annotated[
    int,
    typer.Option(
        "--expires-days",
        min=1,
        max=user_service.MAX_EXPIRES_DAYS,
        help="Days until the token expires (then `gridmap token add` gives a new one).",
    ),
]


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%MZ")


@user_app.command("add")
@user_errors
def user_add(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[Role, typer.Option("--role", help="What they may do.")] = Role.VIEWER,
    expires_days: ExpiresOption = user_service.DEFAULT_EXPIRES_DAYS,
    scope: Annotated[
        str | None,
        typer.Option(
            "--scope",
            help="Planners and admins: only the incidents of this community or street (a code prefix).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a user and print their token once (only its hash is kept: it cannot be shown again).

    Examples:

    \b
      gridmap user add 张发敏 --role worker
      gridmap user add planner-office --role planner --expires-days 90
      gridmap user add 社区调度员 --role planner --scope 350924100001
    """
    with store_at(None) as store:
        token = user_service.add_user(store, name=name, role=role, scope=scope, expires_days=expires_days)
    err_console.print(
        f"Created {role.value} {name!r}. Their token (valid {expires_days} days; shown once, keep it secret):"
    )
    typer.echo(token)


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt that does not echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        msg = "no password given"
        raise InvalidInput(msg)
    return password


@user_app.command("passwd")
@user_errors
def user_passwd(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Set a user's password, so that they can sign in on the pages (10 characters at least); it unlocks them and
    ends their sessions.

    Examples:

    \b
      gridmap user passwd 管理员
      printf '%s\\n' "$NEW_PASSWORD" | gridmap user passwd 管理员 --password-stdin
    """
    password = _read_password(password_stdin)
    with store_at(None) as store:
        user = user_service.user_named(store, name)
        user_service.set_password(store, user.id, password)
    console.print(f"Password of {user.role.value} {user.name!r} set; they can sign in on the pages now")


@token_app.command("list")
@user_errors
def token_list() -> None:
    """Every token: id, user, role, label, created, expires, last used, revoked (never the token itself).

    Examples:

    \b
      gridmap token list
    """
    with store_at(None) as store:
        tokens = user_service.list_tokens(store=store)
    table = Table("id", "user", "role", "label", "created", "expires", "last used", "revoked")
    for t in tokens:
        table.add_row(
            str(t.id),
            t.user,
            t.role.value,
            t.label,
            _when(t.created_at),
            _when(t.expires_at) or "never",
            _when(t.last_used_at),
            _when(t.revoked_at),
        )
    console.print(table)


@token_app.command("add")
@user_errors
def token_add(
    user: Annotated[str, typer.Argument(help="The user's name, as `gridmap token list` shows it.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for (a device, a script).")] = "",
    expires_days: ExpiresOption = user_service.DEFAULT_EXPIRES_DAYS,
) -> None:
    """Give a user another token (a new phone, a replacement for a revoked one) and print it once.

    Examples:

    \b
      gridmap token add 张发敏 --label "new phone" --expires-days 180
    """
    with store_at(None) as store:
        info, token = user_service.add_token(store, user_name=user, label=label, expires_days=expires_days)
    err_console.print(
        f"Token {info.id} for {user!r}, valid until {_when(info.expires_at)} (shown once, keep it secret):"
    )
    typer.echo(token)


@token_app.command("revoke")
@user_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id, as `gridmap token list` shows it.")],
) -> None:
    """Revoke a token: every server worker refuses it from its next request on.

    Examples:

    \b
      gridmap token revoke 7
    """
    with store_at(None) as store:
        info = user_service.revoke_token(store, token_id)
    console.print(f"Token {info.id} of {info.user!r} revoked at {_when(info.revoked_at)}")
