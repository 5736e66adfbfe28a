"""Geocoding household tables: addresses matched to the registry, coordinates converted, codes assigned.

A row is located by its coordinates when it has usable ones (converted to WGS-84 from the `crs` column or
option), else by its matched address; the address is matched whenever it is given, so the output says how
well it matched either way: `matched_address` is the address in the registry's words (at road level the
registered road and the interpolated number) and `matched_id` the id of the registry entry matched (empty at
road level and for a building or compound the registry holds no entry of its own). Located rows get the
community, grid and microgrid codes covering them (the smallest code on a shared edge, as `/locate`); rows
outside every grid are `uncovered`, with the nearest grid and its distance. Rows are read and written in
chunks, so files of any size stream.

Personal columns (names, phones, ID numbers) pass through to the output file untouched, but nothing here
logs or prints row contents: the summary holds counts only.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap.address.match import AddressMatcher, MatchResult
from gridmap.address.registry import ALIAS_KINDS, COLUMNS, AddressAlias, AddressRegistry
from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, parse_datum, to_wgs84
from gridmap.io.text import decoding, text_encoding
from gridmap.services.boundary_layers import BoundaryLayers as BoundaryLayers  # re-exported
from gridmap.services.geocode_review import (
    REVIEW_BELOW,
    candidate_column_names,
    candidate_columns,
    reviewed,
)

CHUNK_ROWS = 2_000
LON_COLUMNS = ("lon", "lng", "longitude", "经度")
LAT_COLUMNS = ("lat", "latitude", "纬度")
CRS_COLUMN = "crs"
ALIASES_COLUMN = "aliases"
RESULT_COLUMNS = (
    "match_status",
    "match_level",
    "match_confidence",
    "match_reason",
    "matched_address",
    "matched_id",
    "match_used",
    "match_ignored",
    "location_source",
    "wgs84_lon",
    "wgs84_lat",
    "community_code",
    "grid_code",
    "microgrid_code",
    "assignment",
    "nearest_grid_code",
    "nearest_grid_distance_m",
    "row_error",
    *candidate_column_names(),
)
NOT_FINITE = "coordinates are NaN or Infinity, not numbers"


@dataclass(frozen=True)
class GeocodeOptions:
    """Which columns hold the address and coordinates, the coordinates' datum when no `crs` column says, and
    the confidence below which an answer needs review (with its candidates)."""

    address_column: str = "address"
    datum: Datum = Datum.WGS84
    review_below: float = REVIEW_BELOW


@dataclass
class GeocodeSummary:
    """Counts of one run: rows, match levels, why rows went unmatched, and how they were assigned."""

    rows: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)  # matched, needs_review, unmatched
    reasons: Counter[str] = field(default_factory=Counter)
    assignments: Counter[str] = field(default_factory=Counter)
    row_errors: int = 0
    unmatched: int = 0


def registry_frame(path: Path) -> pd.DataFrame:
    """The rows of a registry file: a CSV (UTF-8 or GBK; id, road, number, compound, building, unit, room, lon,
    lat), the first sheet of an XLSX workbook with those columns, or a GeoJSON of points with those properties;
    empty cells are None."""
    if not path.is_file():
        msg = f"{path}: no such address registry file"
        raise NotFound(msg)
    if path.suffix.lower() in (".geojson", ".json"):
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        records = []
        for index, feature in enumerate(document.get("features", [])):
            # A feature without a point keeps None for lon and lat: an unparseable row, not a broken file.
            lon, lat = [*((feature.get("geometry") or {}).get("coordinates") or ()), None, None][:2]
            properties = feature.get("properties") or {}
            records.append({"id": properties.get("id", str(index)), **properties, "lon": lon, "lat": lat})
        frame = pd.DataFrame.from_records(records).reindex(columns=["id", *COLUMNS, ALIASES_COLUMN])
    elif path.suffix.lower() == ".xlsx":
        frame = _workbook_frame(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=text_encoding(path))
    return frame.astype(object).where(frame.notna() & (frame.astype(str) != ""), None)


def _workbook_frame(path: Path) -> pd.DataFrame:
    """The first sheet of an Excel workbook as text (a door number 12 stays 12, not 12.0)."""
    from zipfile import BadZipFile

    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except (BadZipFile, ValueError, KeyError) as err:
        msg = f"{path}: not a readable XLSX workbook ({type(err).__name__})"
        raise InvalidInput(msg) from None
    return frame.where(frame.notna(), "")


def load_registry(path: Path, aliases: Path | None = None) -> AddressRegistry:
    """A standard address registry from a file (see `registry_frame`), for ad-hoc use beside the store's, with
    the aliases of its `aliases` column and of an alias file (see `alias_file`)."""
    frame = registry_frame(path)
    names = [*column_aliases(frame), *(alias_file(aliases) if aliases is not None else ())]
    try:
        return AddressRegistry.from_frame(frame, aliases=names)
    except (ValueError, TypeError) as err:
        msg = f"{path}: not an address registry: {err}"
        raise InvalidInput(msg) from None


def column_aliases(frame: pd.DataFrame) -> list[AddressAlias]:
    """The aliases of a registry table's `aliases` column (`|` between them): a row's compound's if it names
    one, else its road's (环城大道|环城马路 on a door plate of 环城路)."""
    if ALIASES_COLUMN not in frame.columns:
        return []
    found: list[AddressAlias] = []
    for road, compound, cell in frame[["road", "compound", ALIASES_COLUMN]].itertuples(index=False):
        kind, name = ("compound", compound) if compound else ("road", road)
        if name and cell:
            found += [AddressAlias(kind, str(name).strip(), a.strip()) for a in str(cell).split("|") if a.strip()]
    return found


def alias_file(path: Path) -> list[AddressAlias]:
    """The aliases of a CSV (UTF-8 or GBK) with the columns kind (road, compound or town), name, alias."""
    if not path.is_file():
        msg = f"{path}: no such alias file"
        raise NotFound(msg)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=text_encoding(path))
    missing = [c for c in ("kind", "name", "alias") if c not in frame.columns]
    if missing:
        msg = f"{path}: not an alias file: it lacks the columns {', '.join(missing)}"
        raise InvalidInput(msg)
    aliases = []
    for number, (kind, name, alias) in enumerate(frame[["kind", "name", "alias"]].itertuples(index=False), 2):
        kind, name, alias = kind.strip().lower(), name.strip(), alias.strip()
        if kind not in ALIAS_KINDS or not name or not alias:
            msg = f"{path}, line {number}: an alias needs a kind ({', '.join(ALIAS_KINDS)}), a name and an alias"
            raise InvalidInput(msg)
        aliases.append(AddressAlias(kind, name, alias))
    return aliases


def boundary_layers(boundaries: gpd.GeoDataFrame) -> BoundaryLayers:
    """The assigners for a boundary version's frame (from a file or the store)."""
    return BoundaryLayers(boundaries)


def geocode_file(
    in_path: Path,
    out_path: Path,
    *,
    matcher: AddressMatcher,
    layers: BoundaryLayers | None,
    options: GeocodeOptions | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> GeocodeSummary:
    """Geocode a CSV (UTF-8, UTF-16 with BOM, GBK) into `out_path`; unlocated rows also go to OUT.unmatched.csv."""
    options = options or GeocodeOptions()
    if not in_path.is_file():
        msg = f"{in_path}: no such file"
        raise NotFound(msg)
    summary = GeocodeSummary()
    unmatched_path = unmatched_path_for(out_path)
    encoding = text_encoding(in_path)
    with in_path.open(newline="", encoding=encoding) as source, decoding(in_path, encoding):
        reader = csv.DictReader(line for line in source if line.strip())
        header = [name for name in (reader.fieldnames or []) if name is not None]
        _check_columns(in_path, header, options)  # before any output file is created
        fields = [*header, *(c for c in RESULT_COLUMNS if c not in header)]
        with (
            out_path.open("w", newline="", encoding="utf-8") as out,
            unmatched_path.open("w", newline="", encoding="utf-8") as rest,
        ):
            located, unlocated = (csv.DictWriter(h, fieldnames=fields, extrasaction="ignore") for h in (out, rest))
            located.writeheader()
            unlocated.writeheader()
            for chunk in _chunks(reader, CHUNK_ROWS):
                for row in geocode_rows(chunk, matcher=matcher, layers=layers, options=options, summary=summary):
                    located.writerow(row)
                    if not row["wgs84_lon"]:
                        unlocated.writerow(row)
                if on_rows is not None:
                    on_rows(len(chunk))
    return summary


def unmatched_path_for(out_path: Path) -> Path:
    """Where the unmatched rows of `out_path` go: OUT.unmatched.csv beside it."""
    return out_path.with_name(f"{out_path.stem}.unmatched{out_path.suffix or '.csv'}")


def geocode_rows(
    rows: list[dict[str, str]],
    *,
    matcher: AddressMatcher,
    layers: BoundaryLayers | None,
    options: GeocodeOptions,
    summary: GeocodeSummary,
) -> list[dict[str, str]]:
    """One chunk of rows with the result columns filled in; counts go into `summary`."""
    count = len(rows)
    lon = np.full(count, np.nan)
    lat = np.full(count, np.nan)
    source = [""] * count
    errors = [""] * count
    results: list[MatchResult | None] = []
    review_cells: list[dict[str, str]] = []
    for i, row in enumerate(rows):
        text = (row.get(options.address_column) or "").strip()
        answer = reviewed(matcher, text, review_below=options.review_below) if text else None
        result = answer.result if answer is not None else None
        results.append(result)
        if answer is not None:
            review_cells.append({"match_status": answer.status.value, **candidate_columns(answer.candidates)})
        else:
            review_cells.append({})
        point, error = row_point(row, options.datum)
        errors[i] = error
        if point is not None:
            lon[i], lat[i], source[i] = point[0], point[1], "coordinates"
        elif result is not None and result.matched and result.lon is not None and result.lat is not None:
            lon[i], lat[i], source[i] = result.lon, result.lat, "address"
    codes = layers.assign(lon, lat) if layers is not None else {}
    out: list[dict[str, str]] = []
    for i, (row, result) in enumerate(zip(rows, results, strict=True)):
        level = result.level.value if result is not None else ("coordinates" if source[i] else "none")
        reason = result.reason.value if result is not None and result.reason else ""
        if result is None and not source[i]:
            reason = "no_address_or_coordinates"
        filled = {
            **row,
            "match_level": level,
            "match_confidence": f"{result.confidence:.2f}" if result is not None else "",
            "match_reason": reason,
            "matched_address": (result.canonical_address or "") if result is not None else "",
            "matched_id": (result.registry_id or "") if result is not None else "",
            "match_used": "; ".join(result.used) if result is not None else "",
            "match_ignored": "; ".join(result.ignored) if result is not None else "",
            "location_source": source[i],
            "wgs84_lon": f"{lon[i]:.7f}" if source[i] else "",
            "wgs84_lat": f"{lat[i]:.7f}" if source[i] else "",
            "row_error": errors[i],
            **{name: values[i] for name, values in codes.items()},
            **review_cells[i],
        }
        out.append(filled)
        summary.rows += 1
        summary.levels[level] += 1
        if filled.get("match_status"):
            summary.statuses[filled["match_status"]] += 1
        summary.row_errors += bool(errors[i])
        summary.unmatched += not source[i]
        if level == "none":
            summary.reasons[reason or "unknown"] += 1
        if filled.get("assignment"):
            summary.assignments[filled["assignment"]] += 1
    return out


def row_point(row: dict[str, str], datum: Datum) -> tuple[tuple[float, float] | None, str]:
    """The row's coordinates in WGS-84, or None and why they cannot be used ("" when there are none)."""
    keys = {k.strip().lower(): k for k in row if k}
    lon_key = next((keys[n] for n in LON_COLUMNS if n in keys), None)
    lat_key = next((keys[n] for n in LAT_COLUMNS if n in keys), None)
    if lon_key is None or lat_key is None:
        return None, ""
    raw_lon, raw_lat = (row.get(lon_key) or "").strip(), (row.get(lat_key) or "").strip()
    if not raw_lon and not raw_lat:
        return None, ""
    try:
        x, y = float(raw_lon), float(raw_lat)
    except ValueError:
        return None, "coordinates are not numbers"
    if not (math.isfinite(x) and math.isfinite(y)):
        return None, NOT_FINITE
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return None, "coordinates out of range"
    crs_text = (row.get(keys[CRS_COLUMN]) or "").strip() if CRS_COLUMN in keys else ""
    if crs_text:
        try:
            datum = parse_datum(crs_text)
        except ValueError:
            return None, f"unknown crs {crs_text[:20]!r}"
    lon, lat = to_wgs84([x], [y], datum)
    return (float(lon[0]), float(lat[0])), ""


def _check_columns(path: Path, header: list[str], options: GeocodeOptions) -> None:
    """Fail early when the file has neither the address column nor lon/lat columns."""
    lowered = {name.strip().lower() for name in header}
    has_xy = any(n in lowered for n in LON_COLUMNS) and any(n in lowered for n in LAT_COLUMNS)
    if options.address_column not in header and not has_xy:
        msg = (
            f"{path}: needs an address column {options.address_column!r} (see --address-column) or lon/lat "
            f"columns; found: {', '.join(header) or 'none'}"
        )
        raise InvalidInput(msg)


def _chunks(rows: Iterable[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in rows:
        chunk.append({k: v for k, v in row.items() if k is not None})
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def count_rows(path: Path) -> int:
    """About how many data rows a CSV has (its line count less the header), for a progress bar."""
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def match_summary(result: MatchResult) -> dict[str, object]:
    """What a public caller may see of a match: the registry address and id, how sure the match is, and which
    parts of the caller's own text it used and ignored (phone-like numbers masked), no more."""
    return {
        "level": result.level.value,
        "confidence": round(result.confidence, 3),
        "reason": result.reason.value if result.reason else None,
        "message": result.message,
        "candidates": list(result.candidates),
        "address": result.canonical_address,
        "id": result.registry_id,
        "road": result.road,
        "compound": result.compound,
        "building": result.building,
        "uncertainty_m": None if result.uncertainty_m is None else round(result.uncertainty_m, 1),
        "used": list(result.used),
        "ignored": list(result.ignored),
    }
