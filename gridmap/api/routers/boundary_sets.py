"""Boundary sets and their versions: upload a draft, list, validate, publish, diff and export.

Uploading and publishing need a planner's token. Reading follows the rule in gridmap.api.dependencies.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import replace
from enum import StrEnum
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from gridmap.api.answers import (
    BoundarySet,
    BoundarySets,
    CheckReport,
    UploadedVersion,
    Version,
    VersionDiff,
    Versions,
    binary_answer,
)
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import (
    CostlyReaderDep,
    PlannerDep,
    ReaderDep,
    SettingsDep,
    StoreDep,
    VersionsDep,
    ensure_readable,
)
from gridmap.api.geojson import shift_report
from gridmap.api.params import MAX_ID, parse_crs
from gridmap.api.uploads import saved_uploads
from gridmap.errors import InvalidInput
from gridmap.io.boundaries import SourceCrs
from gridmap.services import boundaries as boundary_service
from gridmap.services import household_impact as impact_service
from gridmap.services import users as user_service
from gridmap.services.problem_locations import problem_json
from gridmap.store.account_store import Role
from gridmap.store.version_store import BoundarySetInfo, ExpectedPublished, VersionInfo

router = APIRouter(route_class=AnswerRoute, prefix="/boundary-sets", tags=["boundary sets"])

SetName = Annotated[str, Path(pattern=r"^[\w.\-]{1,64}$", description="Boundary set name, e.g. default")]
VersionId = Annotated[int, Path(ge=1, le=MAX_ID, description="Version id, as GET .../versions lists it")]


class ExportFormat(StrEnum):
    """File formats a version can be exported as."""

    GEOJSON = "geojson"
    GPKG = "gpkg"
    SHP = "shp"


EXPORT_MEDIA_TYPES = {
    ExportFormat.GEOJSON: ("application/geo+json", ".geojson"),
    ExportFormat.GPKG: ("application/geopackage+sqlite3", ".gpkg"),
    ExportFormat.SHP: ("application/zip", ".zip"),
}


class PublishRequest(BaseModel):
    """Why a version is published (kept in its history), and which published version it replaces."""

    reason: str = Field(default="", max_length=500, description="Why this version is published")
    replaces: int | None = Field(
        default=None,
        ge=1,
        description="The published version id you saw and mean to replace (null: you saw none published). "
        "Left out: the one published when the draft was made. Another published meanwhile is a 409",
    )
    force: bool = Field(default=False, description="Replace whatever version is published now")

    def expected(self) -> ExpectedPublished | None:
        """What the publisher expects to replace; None when they did not say (`replaces` left out)."""
        return ExpectedPublished(self.replaces) if "replaces" in self.model_fields_set else None


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


def version_json(version: VersionInfo, request: Request) -> dict[str, Any]:
    """A version's metadata and links."""
    base = str(request.url_for("get_version", name=version.set_name, version_id=version.id))
    items = str(request.url_for("list_items", collection_id="boundaries").include_query_params(version=version.id))
    return {
        "id": version.id,
        "set": version.set_name,
        "status": version.status.value,
        "feature_count": version.feature_count,
        "created_by": version.created_by,
        "created_at": _iso(version.created_at),
        "reason": version.reason,
        "published_by": version.published_by,
        "published_at": _iso(version.published_at),
        "publish_reason": version.publish_reason,
        "retired_at": _iso(version.retired_at),
        "links": [
            {"rel": "self", "type": "application/json", "href": base},
            {"rel": "items", "type": "application/geo+json", "href": items},
            {"rel": "validation", "type": "application/json", "href": f"{base}/validation"},
            {"rel": "export", "type": "application/geo+json", "href": f"{base}/export?format=geojson"},
        ],
    }


def set_json(boundary_set: BoundarySetInfo, request: Request) -> dict[str, Any]:
    """A set's metadata and links."""
    return {
        "name": boundary_set.name,
        "created_at": _iso(boundary_set.created_at),
        "published_version": boundary_set.published_version,
        "links": [
            {
                "rel": "versions",
                "type": "application/json",
                "href": str(request.url_for("list_versions", name=boundary_set.name)),
            }
        ],
    }


@router.get("", summary="Every boundary set", response_model=BoundarySets)
def list_sets(request: Request, store: StoreDep, _user: ReaderDep) -> dict[str, Any]:
    """The boundary sets and their published versions."""
    return {"boundary_sets": [set_json(s, request) for s in boundary_service.boundary_sets(store=store)]}


@router.get("/{name}", summary="One boundary set", response_model=BoundarySet, responses=errors(404))
def get_set(name: SetName, request: Request, store: StoreDep, _user: ReaderDep) -> dict[str, Any]:
    """A boundary set."""
    return set_json(boundary_service.boundary_set(store=store, name=name), request)


@router.get(
    "/{name}/versions", summary="Versions of a set, oldest first", response_model=Versions, responses=errors(404)
)
def list_versions(name: SetName, request: Request, store: StoreDep, _user: ReaderDep) -> dict[str, Any]:
    """Every version of the set with its status (draft, published, retired)."""
    versions = boundary_service.set_versions(store=store, name=name)
    return {"boundary_set": name, "versions": [version_json(v, request) for v in versions]}


@router.post(
    "/{name}/versions",
    status_code=201,
    summary="Upload boundary files as a new draft version (planner)",
    response_model=UploadedVersion,
    responses=errors(404, 413, 422),
)
def upload_version(
    name: SetName,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    user: PlannerDep,
    file: Annotated[list[UploadFile], File(description="GeoJSON, GeoPackage, Shapefile parts, or a .zip")],
    reason: Annotated[str, Form(max_length=500, description="Why this version is made")] = "",
    crs: Annotated[str | None, Form(description="Coordinate system of the files if not WGS-84, e.g. gcj02")] = None,
) -> JSONResponse:
    """Store the uploaded features as a new draft; the stored data is untouched when anything is wrong."""
    source_crs = SourceCrs.parse(crs) if crs and crs.strip() else None
    with saved_uploads(file, max_bytes=settings.max_upload_bytes) as folder:
        result = boundary_service.import_boundaries(
            store,
            [folder],
            set_name=name,
            who=user.name,
            why=reason or "uploaded through the API",
            source_crs=source_crs,
        )
    body = version_json(result.version, request)
    # problems found while reading (open rings): WGS-84 `location`, and `location_input` in the upload's CRS
    body["read_problems"] = [problem_json(p, source_crs or SourceCrs()) for p in result.read_problems]
    return JSONResponse(body, status_code=201, headers={"Location": body["links"][0]["href"]})


@router.get(
    "/{name}/versions/{version_id}",
    name="get_version",
    summary="One version",
    response_model=Version,
    responses=errors(404),
)
def get_version(
    name: SetName, version_id: VersionId, request: Request, store: StoreDep, _user: ReaderDep
) -> dict[str, Any]:
    """A version's metadata and links."""
    return version_json(boundary_service.set_version(store=store, set_name=name, version_id=version_id), request)


@router.get(
    "/{name}/versions/{version_id}/validation",
    summary="The check report of a version",
    response_model=CheckReport,
    responses=errors(404, 429),
)
def validate_version(
    name: SetName,
    version_id: VersionId,
    store: StoreDep,
    user: CostlyReaderDep,
    crs: Annotated[
        str | None,
        Query(
            description="Datum of problem geometries and of each problem's location_input (summary.input_crs): "
            "wgs84 (default), gcj02, bd09 or cgcs2000; location stays WGS-84"
        ),
    ] = None,
) -> dict[str, Any]:
    """The full check (overlaps, gaps, nesting, codes, ...) as the report JSON: ok, summary, problems."""
    datum = parse_crs(crs)
    version = ensure_readable(boundary_service.set_version(store=store, set_name=name, version_id=version_id), user)
    checked = boundary_service.validate_version(store, version.id)
    report = replace(checked, input_crs=SourceCrs(datum=datum)).to_json()
    return {"version": version.id, **shift_report(report, datum)}


@router.post(
    "/{name}/versions/{version_id}/publish",
    summary="Publish a draft once it passes the check (planner)",
    response_model=Version,
    responses=errors(404, 409, 422),
)
def publish_version(
    name: SetName,
    version_id: VersionId,
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    user: PlannerDep,
    body: PublishRequest | None = None,
) -> dict[str, Any]:
    """Publish the draft, retiring the set's published version; refused with the report when the check fails.

    409 (with `published_version` and `published_by`) when a version other than the one the publisher
    expects to replace was published meanwhile, unless `force`.
    """
    version = boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    body = body or PublishRequest()
    published = boundary_service.publish_version(
        store,
        version.id,
        who=user.name,
        why=body.reason or "published through the API",
        expected=body.expected(),
        force=body.force,
    )
    versions.invalidate()
    return version_json(published, request)


@router.get(
    "/{name}/diff",
    summary="What changed between two versions of a set",
    response_model=VersionDiff,
    responses=errors(404, 429),
)
def diff_versions(
    name: SetName,
    store: StoreDep,
    user: CostlyReaderDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_ID, description="Older version id")],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_ID, description="Newer version id")],
) -> dict[str, Any]:
    """Features added, removed, reshaped (area change in m2) and with changed properties, and the households
    that would change grid: counts per (from, to) grid for every reader, the household ids for planners."""
    for version_id in (from_version, to_version):
        ensure_readable(boundary_service.set_version(store=store, set_name=name, version_id=version_id), user)
    answer = boundary_service.diff_versions(store, from_version, to_version).to_json()
    impact = impact_service.household_impact(store, from_version, to_version)
    answer["households"] = impact.to_json(with_households=user_service.has_role(user, Role.PLANNER))
    return answer


@router.get(
    "/{name}/versions/{version_id}/export",
    summary="A version as a GeoJSON, GeoPackage or zipped Shapefile download",
    response_class=FileResponse,
    responses={
        **binary_answer(*(media for media, _suffix in EXPORT_MEDIA_TYPES.values()), description="The version's file"),
        **errors(404, 422, 429),
    },
)
def export_version(
    name: SetName,
    version_id: VersionId,
    store: StoreDep,
    user: CostlyReaderDep,
    format: Annotated[ExportFormat, Query(description="geojson, gpkg or shp (zipped)")] = ExportFormat.GEOJSON,
) -> FileResponse:
    """The version's features in WGS-84, as a file."""
    version = ensure_readable(boundary_service.set_version(store=store, set_name=name, version_id=version_id), user)
    folder = FilePath(tempfile.mkdtemp(prefix="gridmap-export-"))
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    stem = f"{version.set_name}-v{version.id}"
    try:
        written = boundary_service.export_version(store, version.id, folder / stem, format.value)
        if format is ExportFormat.SHP:
            written = _zip_parts(written)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media_type, suffix = EXPORT_MEDIA_TYPES[format]
    return FileResponse(written, media_type=media_type, filename=f"{stem}{suffix}", background=cleanup)


def _zip_parts(shapefile: FilePath) -> FilePath:
    """The Shapefile's parts (.shp, .shx, .dbf, .prj, .cpg) in one zip beside it."""
    parts = sorted(p for p in shapefile.parent.iterdir() if p.stem == shapefile.stem and p.suffix != ".zip")
    if not parts:
        msg = "the export wrote no Shapefile"
        raise InvalidInput(msg)
    archive = shapefile.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for part in parts:
            zipped.write(part, arcname=part.name)
    return archive
