"""`gridmap lifecircle report` and `gridmap lifecircle site`: 15-minute life circles from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from gridmap.cli.common import console, stage_progress, user_errors
from gridmap.errors import InvalidInput
from gridmap.geo.fragments import FRAGMENT_GAP
from gridmap.geo.lifecircle_levels import FACILITY_TYPES, LEVEL_MINUTES
from gridmap.geo.network import DEFAULT_WALKING_SPEED, STEPS_FACTOR
from gridmap.io.osm import WalkProfile
from gridmap.services import lifecircle as service
from gridmap.services.lifecircle_towns import TownAnalysis, TownFiles, analyse_town

lifecircle_app = typer.Typer(
    help="15-minute life circles (GB 50180-2018): walking access to facilities, gaps and new sites.",
    no_args_is_help=True,
)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(lifecircle_app, name="lifecircle")

UNDER_COVERED = 0.8  # the report proposes new sites for types reaching fewer households than this

NetworkOption = Annotated[
    Path, typer.Option("--network", help="Walkable lines: GeoJSON, or OpenStreetMap .osm/.osm.pbf.")
]
FacilitiesOption = Annotated[
    Path, typer.Option("--facilities", help="Facility points (GeoJSON with `type`, optional `name`).")
]
HouseholdsOption = Annotated[
    Path, typer.Option("--households", help="Household points: CSV with lon,lat (optional people) or GeoJSON.")
]
SpeedOption = Annotated[float, typer.Option("--speed", help="Walking speed in m/s (1.0: elderly-friendly).")]
NodeOption = Annotated[
    bool | None,
    typer.Option(
        "--node-crossings/--no-node-crossings",
        help="Join lines where they cross (default: yes for GeoJSON, no for OpenStreetMap, where crossings "
        "without a shared node are bridges).",
        show_default=False,
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Database URL: boundaries of its published version, and households of its register when it holds "
        "any with a point (else --households), instead of the files.",
        show_default=False,
    ),
]
BoundaryVersionOption = Annotated[
    int | None,
    typer.Option(
        "--boundary-version", help="With --store: this boundary version, not the published one.", show_default=False
    ),
]
FragmentOption = Annotated[
    float,
    typer.Option(
        "--connect-fragments",
        metavar="METRES",
        help="Join the ends of street pieces cut off from the main network to it when this close (0: don't).",
    ),
]
ProfileOption = Annotated[
    WalkProfile,
    typer.Option(
        "--walk-profile",
        help="Walkable highways: default follows OpenStreetMap's access tags; cn also walks trunk roads "
        "(with pavements in Chinese towns) unless foot=no.",
    ),
]
StepsOption = Annotated[
    float,
    typer.Option(
        "--steps-factor",
        help="How many metres of flat path a metre of steps is worth (1: no penalty; 2: for the elderly).",
    ),
]
SetOption = Annotated[
    str, typer.Option("--set", help="With --store: the boundary set whose published version is used.")
]


def _from_store(
    url: str,
    files: TownFiles,
    *,
    version_id: int | None,
    set_name: str,
    speed: float,
    network: service.NetworkOptions,
    with_boundaries: bool = True,
) -> TownAnalysis:
    """The analysis of the store's boundaries and households (as the API makes it), streets and facilities files."""
    from gridmap.services.boundaries import published_version
    from gridmap.store import open_store

    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        version = None
        if with_boundaries:
            version = published_version(store, set_name) if version_id is None else store.get_version(version_id)
        return analyse_town(store, files, version, speed, network=network)


def _sources_line(analysis: TownAnalysis) -> str:
    """Where each input came from, one line."""
    line = "sources: " + ", ".join(f"{name} {source}" for name, source in analysis.sources.items())
    if analysis.unlocated:
        line += f" ({analysis.unlocated:,} households of the register have no point and are left out)"
    return line


@lifecircle_app.command("report")
@user_errors
def report(
    network: NetworkOption = Path("data/sample/streets.geojson"),
    facilities: FacilitiesOption = Path("data/sample/facilities.geojson"),
    households: HouseholdsOption = Path("data/sample/households.csv"),
    boundaries: Annotated[
        Path | None, typer.Option(help="Community/grid/microgrid boundaries for coverage per area.")
    ] = Path("data/boundaries/shouning_aoyang.geojson"),
    no_boundaries: Annotated[bool, typer.Option("--no-boundaries", help="Town totals only, no areas.")] = False,
    speed: SpeedOption = DEFAULT_WALKING_SPEED,
    html: Annotated[Path | None, typer.Option(help="Write an offline HTML map (no CDN) of the analysis.")] = None,
    worst: Annotated[int, typer.Option(help="How many of the worst-served grids to list.")] = 10,
    sites: Annotated[
        int,
        typer.Option(
            help=f"New sites to propose per type that has facilities and covers under {UNDER_COVERED:.0%} (0: none)."
        ),
    ] = 2,
    site_types: Annotated[
        list[str] | None,
        typer.Option("--site-type", help="Propose sites for this type (repeatable) instead of the under-covered ones."),
    ] = None,
    node_crossings: NodeOption = None,
    connect_fragments: FragmentOption = FRAGMENT_GAP,
    walk_profile: ProfileOption = WalkProfile.DEFAULT,
    steps_factor: StepsOption = STEPS_FACTOR,
    store_url: StoreOption = None,
    boundary_version: BoundaryVersionOption = None,
    set_name: SetOption = "default",
) -> None:
    """Walking time from every household to each facility type; coverage, worst grids and gaps.

    Examples:

    \b
      gridmap lifecircle report --html lifecircle.html
      gridmap lifecircle report --speed 1.2 --worst 5 --sites 0
      gridmap lifecircle report --network town.osm.pbf --facilities f.geojson --households h.csv --html out.html
      gridmap lifecircle report --store sqlite:///gridmap.db --html lifecircle.html
    """
    analysis = None
    network_options = service.NetworkOptions(node_crossings, connect_fragments, walk_profile, steps_factor)
    with stage_progress() as step:
        if store_url is not None:
            step("walking times for the store's boundaries and households")
            analysis = _from_store(
                store_url,
                TownFiles(network=network, facilities=facilities, households=households),
                version_id=boundary_version,
                set_name=set_name,
                speed=speed,
                network=network_options,
                with_boundaries=not no_boundaries,
            )
            town, areas = analysis.town, analysis.boundaries
        else:
            step("reading the walking network")
            town_network = service.load_network(network, network_options)
            step("reading facilities, households and boundaries")
            facility_frame = service.read_facilities(facilities)
            household_frame = service.read_households(households)
            areas = None if no_boundaries or boundaries is None else service.read_area_boundaries(boundaries)
            step(f"walking times for {len(household_frame):,} households")
            town = service.LifeCircle(town_network, household_frame, facility_frame, speed=speed, boundaries=areas)
        proposals = []
        for kind in _types_to_site(town, site_types) if sites > 0 else []:
            step(f"siting {sites} new {kind}")
            proposals.append(town.propose(kind, sites))
        isochrones = None
        if html is not None:
            step("isochrones")
            isochrones = town.isochrones()
            step("writing the map")
            from gridmap.maps.lifecircle_map import write_lifecircle_map

            write_lifecircle_map(html, town=town, isochrones=isochrones, boundaries=areas, proposals=proposals)
    console.print(_type_table(town))
    console.print(_level_line(town))
    console.print(_fragment_line(town))
    if areas is not None:
        console.print(_worst_table(town, worst))
    if proposals:
        console.print(_proposal_table(proposals))
    if html is not None:
        console.print(f"map written to {html}")
    if analysis is not None:
        console.print(_sources_line(analysis))


@lifecircle_app.command("site")
@user_errors
def site(
    kind: Annotated[str, typer.Option("--type", help=f"Facility type: {', '.join(FACILITY_TYPES)}.")],
    k: Annotated[int, typer.Option("-k", "--k", help="How many new sites.")] = 3,
    candidates: Annotated[
        Path | None, typer.Option(help="Candidate sites (CSV lon,lat or GeoJSON points); default: street nodes.")
    ] = None,
    people: Annotated[bool, typer.Option("--people", help="Maximise people covered, not households.")] = False,
    network: NetworkOption = Path("data/sample/streets.geojson"),
    facilities: FacilitiesOption = Path("data/sample/facilities.geojson"),
    households: HouseholdsOption = Path("data/sample/households.csv"),
    speed: SpeedOption = DEFAULT_WALKING_SPEED,
    node_crossings: NodeOption = None,
    connect_fragments: FragmentOption = FRAGMENT_GAP,
    walk_profile: ProfileOption = WalkProfile.DEFAULT,
    steps_factor: StepsOption = STEPS_FACTOR,
    store_url: StoreOption = None,
) -> None:
    """Propose k new sites for a facility type that newly cover the most households, with the gain.

    Greedy with a proven bound; small problems are solved exactly (integer programme).

    Examples:

    \b
      gridmap lifecircle site --type elderly_day_care -k 3
      gridmap lifecircle site --type food_market -k 2 --candidates vacant_lots.csv --people
      gridmap lifecircle site --type kindergarten -k 2 --store sqlite:///gridmap.db
    """
    from gridmap.io.points import read_points

    analysis = None
    network_options = service.NetworkOptions(node_crossings, connect_fragments, walk_profile, steps_factor)
    with stage_progress() as step:
        step("reading inputs")
        candidate_points = read_points(candidates) if candidates is not None else None
        if store_url is not None:
            step("walking times for the store's households")
            files = TownFiles(network=network, facilities=facilities, households=households)
            analysis = _from_store(
                store_url,
                files,
                version_id=None,
                set_name="default",
                speed=speed,
                network=network_options,
                with_boundaries=False,
            )
            town = analysis.town
        else:
            town_network = service.load_network(network, network_options)
            facility_frame = service.read_facilities(facilities)
            household_frame = service.read_households(households)
            step(f"walking times for {len(household_frame):,} households")
            town = service.LifeCircle(town_network, household_frame, facility_frame, speed=speed)
        step(f"siting {k} new {kind}")
        proposal = town.propose(kind, k, candidates=candidate_points, weigh_people=people)
    unit = "people" if people else "households"
    spec = FACILITY_TYPES[kind]
    table = Table(title=f"New {spec.name_zh} {spec.name_en} ({spec.minutes}-minute walk at {speed:g} m/s)")
    for column in ("rank", "lon", "lat", f"{unit} gained"):
        table.add_column(column, justify="right")
    for rank, point, gain in zip(proposal.sites["rank"], proposal.sites.geometry, proposal.sites["gain"], strict=True):
        table.add_row(str(rank), f"{point.x:.6f}", f"{point.y:.6f}", f"{gain:,.0f}")
    console.print(table)
    verdict = "optimal" if proposal.optimal else f"{proposal.method}, within the proven bound"
    console.print(
        f"covered {proposal.covered_before:,.0f} → {proposal.covered_before + proposal.gain:,.0f} of "
        f"{proposal.total:,.0f} {unit} ({proposal.share_before:.1%} → {proposal.share_after:.1%}); "
        f"gain {proposal.gain:,.0f} ({verdict})"
    )
    if analysis is not None:
        console.print(_sources_line(analysis))


def _type_table(town: service.LifeCircle) -> Table:
    """Coverage of every facility type over the whole town."""
    whole = town.coverage().iloc[0]
    counts = town.facilities["type"].value_counts()
    table = Table(title=f"Life-circle coverage, walking {town.speed:g} m/s ({len(town.households):,} households)")
    for column in ("type", "名称", "circle", "facilities", "households", "people", "median walk"):
        table.add_column(column, justify="left" if column in ("type", "名称") else "right")
    for key, spec in FACILITY_TYPES.items():
        minutes = town.minutes[key].to_numpy()
        median = float(np.median(minutes)) if len(minutes) else float("inf")
        share = float(whole[key])
        style = "red" if share < 0.5 else "yellow" if share < UNDER_COVERED else ""
        table.add_row(
            key,
            spec.name_zh,
            f"{spec.minutes} min",
            str(int(counts.get(key, 0))),
            f"{share:.1%}",
            f"{float(whole[f'{key}_people']):.1%}",
            "none" if not np.isfinite(median) else f"{median:.1f} min",
            style=style,
        )
    return table


def _level_line(town: service.LifeCircle) -> str:
    """The town's completeness per level, one line."""
    whole = town.coverage().iloc[0]
    return "completeness: " + ", ".join(f"{m}-minute {float(whole[f'complete_{m}']):.1%}" for m in LEVEL_MINUTES)


def _types_to_site(town: service.LifeCircle, asked: list[str] | None) -> list[str]:
    """The types asked for, or else those with facilities in the data that cover under UNDER_COVERED."""
    if asked:
        unknown = sorted(set(asked) - set(FACILITY_TYPES))
        if unknown:
            msg = f"unknown facility types {', '.join(unknown)}; known: {', '.join(FACILITY_TYPES)}"
            raise InvalidInput(msg)
        return [kind for kind in FACILITY_TYPES if kind in asked]
    whole = town.coverage().iloc[0]
    present = set(town.facilities["type"])
    return [kind for kind in FACILITY_TYPES if kind in present and whole[kind] < UNDER_COVERED]


def _fragment_line(town: service.LifeCircle) -> str:
    """How the network's cut-off pieces were handled, and the households still nearest one (a warning)."""
    network = town.network
    joined = (
        f"fragments joined to the main network within {network.fragment_gap:g} m "
        f"(--connect-fragments {network.fragment_gap:g}): {network.fragment_links:,} links"
        if network.fragment_gap
        else "fragments not joined (--connect-fragments 0)"
    )
    stranded = int(town.on_fragment.sum())
    if not stranded:
        return f"{joined}; no household is nearest a cut-off piece"
    share = stranded / max(len(town.households), 1)
    return (
        f"[yellow]warning:[/yellow] {joined}; {stranded:,} households ({share:.1%}) are nearest a street piece "
        "cut off from the main network and reach only what lies on it (map layer 'households on fragments')"
    )


def _worst_table(town: service.LifeCircle, count: int) -> Table:
    """The worst-served grids, with the type each lacks most."""
    worst = town.worst_grids(count)
    table = Table(title=f"Worst-served grids ({len(worst)})")
    for column in ("grid", "name", "households", "5-min", "10-min", "15-min", "weakest type"):
        table.add_column(column, justify="left" if column in ("grid", "name", "weakest type") else "right")
    for code, row in worst.iterrows():
        weakest = min(FACILITY_TYPES, key=lambda key: float(row[key]))
        table.add_row(
            str(code),
            str(row["name"]),
            f"{row['households']:,.0f}",
            *(f"{float(row[f'complete_{m}']):.0%}" for m in LEVEL_MINUTES),
            f"{weakest} {float(row[weakest]):.0%}",
        )
    return table


def _proposal_table(proposals: list[service.SiteProposal]) -> Table:
    """New sites proposed for the under-covered types."""
    table = Table(title="Proposed new sites")
    for column in ("type", "sites", "covered before", "covered after", "households gained"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for proposal in proposals:
        table.add_row(
            proposal.type,
            str(len(proposal.sites)),
            f"{proposal.share_before:.1%}",
            f"{proposal.share_after:.1%}",
            f"{proposal.gain:,.0f}",
        )
    return table
