"""`gridmap incidents clock ...`: an incident's time limit from the command line, as the desk's buttons act on it:
ask for a hold (挂账) or more time (延期), decide on the request, release a hold, send the incident back (回退).

Registered on the `incidents` group by `gridmap.cli.incidents`; the service is `gridmap.services.incident_clock`,
which the API's clock routes call too. `--as` names the account acting: its role and reach apply as on the desk,
and the trail records its name. The output names the incident by its short number, never the reporter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from gridmap.cli.common import StoreOption, console, store_at, user_errors

if TYPE_CHECKING:
    from gridmap.incidents.model import Incident
    from gridmap.services.incident_clock import Acting
    from gridmap.store.interface import BoundaryStore

clock_app = typer.Typer(
    help="An incident's time limit (时限): holds, extensions, decisions, sending back.", no_args_is_help=True
)

IncidentArgument = Annotated[str, typer.Argument(help="The incident's id.", show_default=False)]
ActorOption = Annotated[
    str, typer.Option("--as", help="The account acting (its role decides what it may do).", show_default=False)
]
ReasonOption = Annotated[str, typer.Option("--note", help="Why (the trail keeps it).", show_default=False)]
NoteOption = Annotated[str, typer.Option("--note", help="A note for the trail.")]
ClockAction = Callable[..., "Incident"]


@clock_app.command("hold")
@user_errors
def hold(incident_id: IncidentArgument, actor: ActorOption, note: ReasonOption, store_url: StoreOption = None) -> None:
    """Ask a dispatcher to hold the incident's clock (挂账), with a reason.

    Examples:

    \b
      gridmap incidents clock hold 3f2c... --as 张发敏 --note "等待产权单位答复"
    """
    from gridmap.services.incident_clock import request_time

    _act(store_url, actor, partial(request_time, incident_id=incident_id, hold=True, note=note), with_rules=False)


@clock_app.command("extend")
@user_errors
def extend(
    incident_id: IncidentArgument,
    actor: ActorOption,
    note: ReasonOption,
    hours: Annotated[float, typer.Option(min=0.5, max=2000, help="Working hours to add.", show_default=False)],
    store_url: StoreOption = None,
) -> None:
    """Ask a dispatcher for more working hours on the current stage (延期), with a reason.

    Examples:

    \b
      gridmap incidents clock extend 3f2c... --hours 8 --as 张发敏 --note "需等待配件"
    """
    from gridmap.services.incident_clock import request_time

    extension = partial(request_time, incident_id=incident_id, hold=False, hours=hours, note=note)
    _act(store_url, actor, extension, with_rules=False)


@clock_app.command("decide")
@user_errors
def decide(
    incident_id: IncidentArgument,
    actor: ActorOption,
    approve: Annotated[
        bool, typer.Option("--approve/--refuse", help="Approve or refuse the pending request.", show_default=False)
    ],
    note: NoteOption = "",
    store_url: StoreOption = None,
) -> None:
    """Approve or refuse the incident's pending hold or extension request (dispatchers).

    Examples:

    \b
      gridmap incidents clock decide 3f2c... --approve --as 调度员
    """
    from gridmap.services.incident_clock import decide_time_request

    _act(store_url, actor, partial(decide_time_request, incident_id=incident_id, approve=approve, note=note))


@clock_app.command("release")
@user_errors
def release(
    incident_id: IncidentArgument, actor: ActorOption, note: NoteOption = "", store_url: StoreOption = None
) -> None:
    """Release a held clock: the due time moves by the working time held (dispatchers).

    Examples:

    \b
      gridmap incidents clock release 3f2c... --as 调度员
    """
    from gridmap.services.incident_clock import release_hold

    _act(store_url, actor, partial(release_hold, incident_id=incident_id, note=note))


@clock_app.command("send-back")
@user_errors
def send_back(
    incident_id: IncidentArgument, actor: ActorOption, note: ReasonOption, store_url: StoreOption = None
) -> None:
    """Send the incident back to its previous stage (回退), with a reason; that stage's clock starts again.

    Examples:

    \b
      gridmap incidents clock send-back 3f2c... --as 调度员 --note "派错网格"
    """
    from gridmap.services.incident_clock import send_back as send_back_service

    _act(store_url, actor, partial(send_back_service, incident_id=incident_id, note=note))


def _acting_as(store: BoundaryStore, name: str) -> Acting:
    """The account `name` acting now, with the incidents it reaches (a worker: their grids in the published version)."""
    from gridmap.services.incident_access import staff_scope
    from gridmap.services.incident_clock import Acting
    from gridmap.services.users import user_named
    from gridmap.services.version_cache import VersionCache

    user = user_named(store, name)
    versions = VersionCache(store)
    try:
        scope = staff_scope(versions, user)
    finally:
        versions.close()
    return Acting(actor=user.name, role=user.role.value, at=datetime.now(UTC), scope=scope)


def _act(store_url: str | None, name: str, action: ClockAction, *, with_rules: bool = True) -> None:
    """Run a clock action of `gridmap.services.incident_clock` (its own arguments given) on the store as account
    `name`, with the deployment's incident rules when it takes them, and print where the incident's clock stands."""
    from gridmap.cli.hotline import incident_rules

    rules = {"rules": incident_rules()} if with_rules else {}
    with store_at(store_url) as store:
        incident = action(store=store, **rules, **_acting_as(store, name))
    console.print(escape(_clock_line(incident)), soft_wrap=True, highlight=False)


def _clock_line(incident: Incident) -> str:
    """The incident's number, status, due time (China time) and whether its clock is held or a request waits."""
    from gridmap.incidents.calendar import CHINA_TIME
    from gridmap.incidents.deadlines import pending_request

    due = incident.due_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if incident.due_at else "—"
    parts = [f"{incident.number or incident.id}: {incident.status.value}", f"due {due} (China time)"]
    if incident.held_since is not None:
        parts.append("clock held (挂账)")
    pending = pending_request(incident)
    if pending is not None:
        parts.append(f"{pending.action.value} pending")
    return " · ".join(parts)
