"""Sample incidents for the sample region (stage 6 of the generator): what residents and workers report, where,
when, and how far each got through the workflow.

`generate_incidents(boundaries, count=, start=, end=)` takes published boundaries (the frame
`store.version_frame` or `SampleRegion.boundaries` gives: code, name, level, parent, worker, geometry) and
optionally household points. Every incident is opened, routed and stepped through the workflow by the pure
functions of `gridmap.incidents` (`route_report` on its community → grid → microgrid chain, `open_incident`,
`advance`, `rate_incident`), so its trail replays and its route is the one the API would give.

The numbers are our assumptions, not measurements: DOMAIN.md lists the kinds of problems (the default
taxonomy) in the order residents raise them and gives no counts. We weigh living environment and street
order highest (its examples: drains, rubbish, rooftop poultry, stalls), then broken facilities, noise and
neighbour disputes; workers on patrol see more illegal building and funerals (the report's two work-chat
examples), residents at a 说事日 more elevators and parking spaces. Reports follow the day (mornings and
evenings for the mini program, office hours for patrols and visits) and the week (fewer patrols at the
weekend) in China time. Points lie strictly inside a microgrid (so `/locate` gives the same chain); about
`near_boundary_share` of them within 20 m of their grid's boundary, which routing flags for the dispatcher.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmap.geo.crs import LocalMetres
from gridmap.incidents.intake import open_incident
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.services.demo import INCIDENTS_FILE
from gridmap_demo.incident_places import cells_of, draw_points, routes_of
from gridmap_demo.incident_trails import CHINA_OFFSET_S, DAY_S, Fate, draw_fates, draw_steps, handle
from gridmap_demo.names import person_names

INCIDENTS_STAGE = 6
DEFAULT_INCIDENT_SEED = 350924
SAMPLE_INCIDENTS = 2_000  # about 23 a day for the town's 20,000 households; the file stays under 3 MB
SAMPLE_START = datetime(2026, 9, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
SAMPLE_END = datetime(2026, 11, 28, tzinfo=ZoneInfo("Asia/Shanghai"))  # exclusive: 1 Sep to 27 Nov 2026
DEFAULT_NEAR_BOUNDARY_SHARE = 0.12
ID_DIGITS = 6
MAX_ID_LENGTH = 36

CHANNEL_SHARES: dict[Channel, float] = {
    Channel.APP: 0.45,  # 随手拍 in the mini program
    Channel.PATROL: 0.30,
    Channel.HOTLINE: 0.15,
    Channel.VISIT: 0.10,  # 居民说事日 at a red station, the office
}
CATEGORY_WEIGHTS: dict[str, float] = {
    "living_environment": 0.24,
    "parking_vending": 0.17,
    "public_facilities": 0.15,
    "noise_livestock": 0.09,
    "neighbour_dispute": 0.08,
    "parking_spaces": 0.07,
    "illegal_construction": 0.06,
    "other": 0.05,
    "customs": 0.04,
    "elevator_installation": 0.03,
    "epidemic_prevention": 0.02,
}
CHANNEL_TILT: dict[Channel, dict[str, float]] = {
    Channel.APP: {"living_environment": 1.3, "parking_vending": 1.2, "public_facilities": 1.2},
    Channel.PATROL: {
        "illegal_construction": 3.0,
        "customs": 3.0,
        "parking_vending": 1.5,
        "neighbour_dispute": 0.5,
        "parking_spaces": 0.5,
        "elevator_installation": 0.3,
    },
    Channel.HOTLINE: {"neighbour_dispute": 2.0, "noise_livestock": 1.5, "public_facilities": 1.3},
    Channel.VISIT: {"elevator_installation": 4.0, "parking_spaces": 2.0, "neighbour_dispute": 2.0, "customs": 1.5},
}
_OFFICE = (0, 0, 0, 0, 0, 0, 0, 0.5, 4, 5, 5, 3, 0.5, 0.5, 4, 5, 5, 3, 0.5, 0, 0, 0, 0, 0)
HOUR_WEIGHTS: dict[Channel, tuple[float, ...]] = {
    Channel.APP: (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.5, 3, 5, 5, 4.5, 4, 3, 3, 4, 4.5, 4.5, 4.5, 4, 5, 5.5, 5, 3, 1.5),
    Channel.PATROL: _OFFICE,
    Channel.HOTLINE: (0.1, 0.1, 0, 0, 0, 0.1, 0.5, 2, 5, 5, 4, 3, 1.5, 2, 4, 4.5, 4, 3, 2, 2, 1.5, 1, 0.5, 0.2),
    Channel.VISIT: _OFFICE,
}
WEEKDAY_WEIGHTS: dict[Channel, tuple[float, ...]] = {  # Monday first
    Channel.APP: (1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.2),
    Channel.PATROL: (1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.15),
    Channel.HOTLINE: (1.15, 1.05, 1.0, 1.0, 1.0, 0.7, 0.6),
    Channel.VISIT: (1.2, 1.0, 1.0, 1.0, 1.0, 0.3, 0.2),
}
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "living_environment": ("{place}下水道堵塞,污水外溢", "{place}垃圾堆放多日无人清运", "{place}楼顶养鸡鸭,气味很大"),
    "parking_vending": ("{place}门口车辆乱停,堵住消防通道", "{place}路边占道摆摊卖菜"),
    "public_facilities": ("{place}路灯不亮", "{place}自来水管破裂漏水", "{place}路面塌陷,有坑"),
    "neighbour_dispute": ("{place}楼上漏水,邻居发生纠纷", "{place}邻居因占用楼道起争执"),
    "noise_livestock": ("{place}夜间装修噪音扰民", "{place}邻居家养鸡,清早打鸣扰民"),
    "epidemic_prevention": ("{place}有人发热咳嗽,需上门核查", "{place}楼道需要消杀"),
    "customs": ("{place}有居民要办丧事", "{place}居民近期办喜宴"),
    "parking_spaces": ("{place}停车位不够,申请划线", "{place}车位被长期占用"),
    "elevator_installation": ("{place}居民申请加装电梯", "{place}加装电梯意见不一,需要协调"),
    "illegal_construction": ("{place}发现有抢建现象", "{place}楼顶违规搭建"),
    "other": ("{place}居民咨询政策", "{place}有流浪狗,担心伤人"),
}


def generate_incidents(
    boundaries: gpd.GeoDataFrame,
    *,
    count: int,
    start: datetime = SAMPLE_START,
    end: datetime = SAMPLE_END,
    seed: int = DEFAULT_INCIDENT_SEED,
    now: datetime | None = None,
    homes: npt.ArrayLike | None = None,
    near_boundary_share: float = DEFAULT_NEAR_BOUNDARY_SHARE,
    id_prefix: str = "sample-",
) -> list[Incident]:
    """`count` incidents reported in [start, end) in the boundaries' grids, oldest first; same seed, same list.

    `homes` are household points (WGS-84, shape (n, 2)) that most reports are made near; `now` (default
    `end`) is when the sample is taken: later steps have not happened and those incidents are still open.
    Ids are `id_prefix` and a running number in order of report.
    """
    if count < 0:
        msg = f"count is {count}; give 0 or more incidents"
        raise ValueError(msg)
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        msg = "a period needs time-zone-aware start and end, with end after start"
        raise ValueError(msg)
    if not 0.0 <= near_boundary_share <= 1.0:
        msg = f"near_boundary_share is {near_boundary_share}; it must lie between 0 and 1"
        raise ValueError(msg)
    if len(id_prefix) + max(ID_DIGITS, len(str(count))) > MAX_ID_LENGTH:
        msg = f"id_prefix {id_prefix!r} is too long for {MAX_ID_LENGTH}-character ids"
        raise ValueError(msg)
    rng = np.random.default_rng([seed, INCIDENTS_STAGE])
    cells = cells_of(boundaries, rng)
    channels = _draw_channels(count, rng)
    reported_s = _draw_times(channels, start, end, rng)
    order = np.argsort(reported_s, kind="stable")
    channels, reported_s = [channels[i] for i in order], reported_s[order]
    categories = _draw_categories(channels, rng)
    frame = LocalMetres(*(float(v) for v in boundaries.total_bounds))
    home_xy = None if homes is None else np.asarray(homes, dtype=np.float64).reshape(-1, 2)
    cell_index, lon, lat = draw_points(cells, frame, home_xy, count, near_boundary_share, rng)
    fates = draw_fates(channels, rng)
    draws = draw_steps(count, rng)
    routes = routes_of(cells, cell_index, lon, lat)
    residents = person_names(count, rng, unique=False)
    wording = rng.integers(0, 1 << 30, size=count)
    now_s = (now or end).timestamp()
    width = max(ID_DIGITS, len(str(count)))
    latest: dict[tuple[str, str], str] = {}
    incidents: list[Incident] = []
    for i in range(count):
        cell = cells[int(cell_index[i])]
        category, channel = categories[i], channels[i]
        templates = DESCRIPTIONS.get(category, DESCRIPTIONS["other"])
        request = ReportRequest(
            service_code=category,
            lon=float(lon[i]),
            lat=float(lat[i]),
            description=templates[int(wording[i]) % len(templates)].format(place=cell.name),
            address=cell.name,
            channel=channel,
            media_url=None,
            contact={},
        )
        route = routes[i]
        patrol = channel is Channel.PATROL
        incident = open_incident(
            incident_id=f"{id_prefix}{i + 1:0{width}d}",
            request=request,
            route=route,
            reporter=cell.staff.worker if patrol else residents[i],
            role="worker" if patrol else "resident",
            at=datetime.fromtimestamp(float(reported_s[i]), UTC),
        )
        # A repeat names the latest earlier report of the same kind in the same grid; without one it is handled.
        key = (route.grid_code, category)
        original = latest.get(key)
        fate = fates[i] if fates[i] is not Fate.DUPLICATE or original is not None else Fate.HANDLED
        latest[key] = incident.id
        incidents.append(
            handle(incident, fate=fate, staff=cell.staff, draws=draws[i], now_s=now_s, duplicate_of=original)
        )
    return incidents


def write_sample_incidents(
    out_dir: Path, *, count: int = SAMPLE_INCIDENTS, seed: int = DEFAULT_INCIDENT_SEED
) -> tuple[Path, int]:
    """Write `sample/incidents.geojson` for the region and households written under `out_dir`.

    The incidents are generated from the files as written (the boundaries and the households' points), so
    that the file matches a fresh generation from the committed data; returns the path and the count.
    """
    from gridmap.io.incidents import incidents_geojson
    from gridmap_demo.files import BOUNDARIES_FILE
    from gridmap_demo.households import HOUSEHOLDS_FILE

    boundaries = gpd.read_file(out_dir / BOUNDARIES_FILE)
    homes_file = out_dir / HOUSEHOLDS_FILE
    homes = pd.read_csv(homes_file, usecols=["lon", "lat"]).to_numpy() if homes_file.is_file() else None
    incidents = generate_incidents(boundaries, count=count, seed=seed, homes=homes)
    path = out_dir / INCIDENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(incidents_geojson(incidents), encoding="utf-8", newline="\n")
    return path, len(incidents)


def _draw_channels(count: int, rng: np.random.Generator) -> list[Channel]:
    shares = np.array(list(CHANNEL_SHARES.values()))
    picks = rng.choice(len(shares), size=count, p=shares / shares.sum())
    channels = list(CHANNEL_SHARES)
    return [channels[int(i)] for i in picks]


def _draw_categories(channels: list[Channel], rng: np.random.Generator) -> list[str]:
    """A category per incident from `CATEGORY_WEIGHTS` tilted by channel."""
    codes = list(CATEGORY_WEIGHTS)
    roll = rng.random(len(channels))
    cumulative = {}
    for channel in CHANNEL_SHARES:  # the channels the demo draws (not the 12345 hotline: imported only)
        weights = np.array([CATEGORY_WEIGHTS[c] * CHANNEL_TILT[channel].get(c, 1.0) for c in codes])
        cumulative[channel] = np.cumsum(weights / weights.sum())
    return [
        codes[min(int(np.searchsorted(cumulative[channel], value, side="right")), len(codes) - 1)]
        for channel, value in zip(channels, roll.tolist(), strict=True)
    ]


def _draw_times(channels: list[Channel], start: datetime, end: datetime, rng: np.random.Generator) -> np.ndarray:
    """Report times (Unix seconds, whole) in [start, end) with each channel's daily and weekly rhythm."""
    start_s, end_s = start.timestamp(), end.timestamp()
    first_day = int((start_s + CHINA_OFFSET_S) // DAY_S)
    days = np.arange(first_day, int((end_s + CHINA_OFFSET_S) // DAY_S) + 1)
    weekday = (days + 3) % 7  # day 0 of the Unix epoch (1 Jan 1970) was a Thursday
    times = np.zeros(len(channels))
    by_channel = np.array([list(CHANNEL_SHARES).index(c) for c in channels], dtype=np.intp)
    for number, channel in enumerate(CHANNEL_SHARES):
        members = np.flatnonzero(by_channel == number)
        day_weights = np.asarray(WEEKDAY_WEIGHTS[channel])[weekday]
        hour_weights = np.asarray(HOUR_WEIGHTS[channel], dtype=np.float64)
        pending = members
        while len(pending):
            day = rng.choice(days, size=len(pending), p=day_weights / day_weights.sum())
            hour = rng.choice(24, size=len(pending), p=hour_weights / hour_weights.sum())
            local = day * DAY_S + hour * 3600 + np.floor(rng.random(len(pending)) * 3600)
            times[pending] = local - CHINA_OFFSET_S
            pending = pending[(times[pending] < start_s) | (times[pending] >= end_s)]
    return times
