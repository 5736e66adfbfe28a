"""Editing drafts: start a draft from a version, apply an edit operation, undo, redo, and the edit history.

Writing needs a planner's token; an edit names the feature revisions it is based on in `If-Match`
(`"<feature_id>@<revision>", ...`), and answers carry the draft's edit sequence as their `ETag`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import DraftStatusesDep, PlannerDep, ReaderDep, StoreDep, ensure_readable
from gridmap.api.geojson import feature_properties, geometry_json
from gridmap.api.problems import BadParameter
from gridmap.api.routers.boundary_sets import SetName, VersionId, version_json
from gridmap.errors import PreconditionRequired
from gridmap.geo.crs import Datum
from gridmap.geo.editing import model as ops
from gridmap.geo.hierarchy import Level
from gridmap.services import boundaries as boundary_service
from gridmap.services import draft_status as status_service
from gridmap.services import editing as editing_service
from gridmap.services.check import CheckOptions
from gridmap.store.edit_store import DraftInfo, EditRecord

router = APIRouter(route_class=AnswerRoute, prefix="/boundary-sets", tags=["editing"])

LonLat = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]
GeoJsonGeometry = dict[str, Any]
_EDIT_ERRORS = errors(404, 409, 412, 422, 428)


def _shape(geojson: GeoJsonGeometry, kinds: tuple[str, ...], field: str) -> BaseGeometry:
    """A GeoJSON geometry of one of `kinds` as shapely; 400 when it is not one."""
    try:
        geometry = shapely.geometry.shape(geojson)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        geometry = None
    if geometry is None or geometry.is_empty or geometry.geom_type not in kinds:
        msg = f"body field {field}: expected a GeoJSON {' or '.join(kinds)}"
        raise BadParameter(msg)
    return geometry


class _Edit(BaseModel):
    """Fields every edit has."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500, description="Why (kept in the draft's history)")
    repair: bool = Field(
        default=False,
        description="Repair the gaps, overlaps and slivers the edit would leave (the rules of `gridmap fix`) "
        "rather than refuse it; the answer's notes and `repaired` say what moved",
    )


class MoveVertexBody(_Edit):
    """Move the vertex at `at` to `to` in every feature that has it (any level)."""

    op: Literal["move_vertex"]
    at: LonLat
    to: LonLat

    def operation(self) -> ops.EditOperation:
        return ops.MoveVertex(at=self.at, to=self.to)


class InsertVertexBody(_Edit):
    """Insert a vertex on the border at `at` in every feature whose border runs there (then move it to `to`)."""

    op: Literal["insert_vertex"]
    at: LonLat
    to: LonLat | None = None

    def operation(self) -> ops.EditOperation:
        return ops.InsertVertex(at=self.at, to=self.to)


class DeleteVertexBody(_Edit):
    """Remove the vertex at `at` from every feature that has it."""

    op: Literal["delete_vertex"]
    at: LonLat

    def operation(self) -> ops.EditOperation:
        return ops.DeleteVertex(at=self.at)


class ReshapeBorderBody(_Edit):
    """Replace the border between two neighbours by a drawn line."""

    op: Literal["reshape_border"]
    first: str = Field(max_length=36)
    second: str = Field(max_length=36)
    line: GeoJsonGeometry

    def operation(self) -> ops.EditOperation:
        return ops.ReshapeBorder(self.first, self.second, _shape(self.line, ("LineString",), "line"))


class SplitBody(_Edit):
    """Cut a feature in two along a drawn line."""

    op: Literal["split"]
    feature: str = Field(max_length=36)
    line: GeoJsonGeometry
    split_children: bool = False

    def operation(self) -> ops.EditOperation:
        return ops.Split(self.feature, _shape(self.line, ("LineString",), "line"), self.split_children)


class MergeBody(_Edit):
    """Merge `absorbed` into `kept` (adjacent, same level and parent)."""

    op: Literal["merge"]
    kept: str = Field(max_length=36)
    absorbed: str = Field(max_length=36)

    def operation(self) -> ops.EditOperation:
        return ops.Merge(self.kept, self.absorbed)


class TransferBody(_Edit):
    """Move the part of `source` inside a drawn area to its neighbour `target`."""

    op: Literal["transfer"]
    source: str = Field(max_length=36)
    target: str = Field(max_length=36)
    area: GeoJsonGeometry

    def operation(self) -> ops.EditOperation:
        return ops.Transfer(self.source, self.target, _shape(self.area, ("Polygon", "MultiPolygon"), "area"))


class CreateBody(_Edit):
    """A new feature on a gap: the drawn area minus what the level already covers, inside `parent`."""

    op: Literal["create"]
    area: GeoJsonGeometry
    level: Level
    parent: str | None = Field(default=None, max_length=32)
    code: str | None = Field(default=None, max_length=32)
    name: str = Field(default="", max_length=200)

    def operation(self) -> ops.EditOperation:
        area = _shape(self.area, ("Polygon", "MultiPolygon"), "area")
        return ops.Create(area, self.level, self.parent, self.code, self.name)


class DeleteBody(_Edit):
    """Remove a feature; its area goes to the neighbours."""

    op: Literal["delete"]
    feature: str = Field(max_length=36)

    def operation(self) -> ops.EditOperation:
        return ops.Delete(self.feature)


class AttributeValues(BaseModel):
    """The properties an attributes edit may change (those given change)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    worker: str | None = Field(default=None, max_length=100)
    households_target: int | None = Field(default=None, ge=0, le=2**31 - 1)
    code: str | None = Field(default=None, min_length=1, max_length=32)


class AttributesBody(_Edit):
    """Change a feature's name, worker, households target or code (a new code re-prefixes the children's)."""

    op: Literal["attributes"]
    feature: str = Field(max_length=36)
    values: AttributeValues

    def operation(self) -> ops.EditOperation:
        return ops.Attributes(self.feature, self.values.model_dump(exclude_unset=True))


EditBody = Annotated[
    MoveVertexBody
    | InsertVertexBody
    | DeleteVertexBody
    | ReshapeBorderBody
    | SplitBody
    | MergeBody
    | TransferBody
    | CreateBody
    | DeleteBody
    | AttributesBody,
    Field(discriminator="op"),
]


class DraftRequest(BaseModel):
    """Why a draft is started (kept with the version)."""

    reason: str = Field(default="", max_length=500, description="Why this draft is made")


IfMatch = Annotated[
    str | None,
    Header(description='The revisions the edit is based on: "<feature_id>@<revision>", "<feature_id>@<revision>"'),
]


def parse_if_match(header: str | None) -> dict[str, int]:
    """`"id@3", "id2@1"` as {id: 3, id2: 1}; 428 without the header, 400 when an entry does not parse."""
    if header is None or not header.strip():
        msg = 'an edit must say which revisions it is based on: send If-Match: "<feature_id>@<revision>", ...'
        raise PreconditionRequired(msg)
    revisions: dict[str, int] = {}
    for entry in header.split(","):
        tag = entry.strip().removeprefix("W/").strip('"')
        feature_id, _, revision = tag.rpartition("@")
        if not feature_id or not revision.isdigit():
            msg = f'header If-Match: {entry.strip()!r} is not "<feature_id>@<revision>"'
            raise BadParameter(msg)
        revisions[feature_id] = int(revision)
    return revisions


def draft_json(draft: DraftInfo, request: Request) -> dict[str, Any]:
    """A version's JSON with the draft's `based_on` and `edit_seq`."""
    return {**version_json(draft.version, request), "based_on": draft.based_on, "edit_seq": draft.edit_seq}


def record_json(record: EditRecord) -> dict[str, Any]:
    """One edit of the history."""
    return {
        "seq": record.seq,
        "op": record.op,
        "params": record.params,
        "who": record.who,
        "at": record.at.isoformat(),
        "why": record.why,
        "state": record.state.value,
        "features": record.feature_ids,
        "area_moved_m2": round(record.area_moved_m2, 3),
    }


def _etag(draft: DraftInfo) -> dict[str, str]:
    return {"ETag": f'"{draft.edit_seq}"', "Cache-Control": "no-cache"}


def _result_answer(result: editing_service.EditResult) -> JSONResponse:
    features = [
        {
            "type": "Feature",
            "id": f.feature_id,
            "geometry": geometry_json(f.geometry, Datum.WGS84),
            "properties": feature_properties(f),
        }
        for f in result.features
    ]
    body = {
        "edit": record_json(result.record),
        "features": features,
        "deleted": result.deleted,
        "area_moved_m2": round(result.area_moved_m2, 3),
        "notes": result.notes,
        "repaired": [
            {
                "feature_id": m.feature_id,
                "code": m.code,
                "gained_m2": round(m.gained_m2, 3),
                "lost_m2": round(m.lost_m2, 3),
            }
            for m in result.repaired
        ],
        "problems": result.problems,
        "edit_seq": result.draft.edit_seq,
    }
    return JSONResponse(body, headers=_etag(result.draft))


@router.post(
    "/{name}/versions/{version_id}/drafts",
    status_code=201,
    summary="Start a draft from a version (planner): a copy whose features keep their ids",
    responses=errors(404, 422),
)
def start_draft(
    name: SetName,
    version_id: VersionId,
    request: Request,
    store: StoreDep,
    user: PlannerDep,
    body: DraftRequest | None = None,
) -> JSONResponse:
    """A new draft holding the version's features with their ids and revisions."""
    reason = (body or DraftRequest()).reason or f"draft of version {version_id}"
    draft = editing_service.start_draft(store, name, from_version=version_id, who=user.name, why=reason)
    answer = draft_json(draft, request)
    return JSONResponse(answer, status_code=201, headers={"Location": answer["links"][0]["href"]})


@router.get(
    "/{name}/versions/{version_id}/edits",
    summary="The edit history of a draft, with its edit sequence as ETag",
    responses=errors(404),
)
def list_edits(name: SetName, version_id: VersionId, store: StoreDep, user: ReaderDep) -> JSONResponse:
    """Every edit, oldest first (applied, then the undone ones redo would apply), and whether undo/redo can."""
    ensure_readable(boundary_service.set_version(store=store, set_name=name, version_id=version_id), user)
    history = editing_service.edit_history(store, version_id)
    body = {
        "edit_seq": history.draft.edit_seq,
        "can_undo": history.can_undo,
        "can_redo": history.can_redo,
        "edits": [record_json(e) for e in history.edits],
    }
    return JSONResponse(body, headers=_etag(history.draft))


@router.post(
    "/{name}/versions/{version_id}/edits",
    summary="Apply an edit operation to a draft (planner), checked on its neighbourhood",
    responses=_EDIT_ERRORS,
)
def apply_edit(
    name: SetName,
    version_id: VersionId,
    store: StoreDep,
    user: PlannerDep,
    body: Annotated[EditBody, Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    """The edit is stored only when it brings no new check error (422 with the problems otherwise) and every
    feature it touches is still at the revision If-Match names (412 naming the other change otherwise)."""
    expected = parse_if_match(if_match)
    boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    result = editing_service.apply_edit(
        store,
        version_id,
        body.operation(),
        who=user.name,
        why=body.reason or f"{body.op} through the API",
        expected=expected,
        repair=body.repair,
    )
    return _result_answer(result)


@router.post(
    "/{name}/versions/{version_id}/edits/undo",
    summary="Undo the draft's latest edit (planner)",
    responses=errors(404, 409, 412),
)
def undo_edit(name: SetName, version_id: VersionId, store: StoreDep, user: PlannerDep) -> JSONResponse:
    """Write back what the latest applied edit changed; 412 when its features have changed since."""
    boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    return _result_answer(editing_service.undo(store, version_id, who=user.name))


@router.post(
    "/{name}/versions/{version_id}/edits/redo",
    summary="Redo the draft's earliest undone edit (planner)",
    responses=errors(404, 409, 412),
)
def redo_edit(name: SetName, version_id: VersionId, store: StoreDep, user: PlannerDep) -> JSONResponse:
    """Apply the earliest undone edit again; 412 when its features have changed since."""
    boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    return _result_answer(editing_service.redo(store, version_id, who=user.name))


def _diff_features(status: status_service.DraftStatus) -> dict[str, Any]:
    """The added, removed and reshaped features as WGS-84 GeoJSON (removed ones as they were), for the map."""
    areas = {r.feature_id: r.area_change_m2 for r in status.diff.reshaped}
    changes = [
        *((f.feature_id, f.code, "added", status.geometry_after[f.feature_id]) for f in status.diff.added),
        *((f.feature_id, f.code, "removed", status.geometry_before[f.feature_id]) for f in status.diff.removed),
        *((r.feature_id, r.code, "reshaped", status.geometry_after[r.feature_id]) for r in status.diff.reshaped),
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": feature_id,
                "geometry": geometry_json(geometry, Datum.WGS84),
                "properties": {
                    "code": code,
                    "change": change,
                    **({"area_change_m2": round(areas[feature_id], 3)} if feature_id in areas else {}),
                    **(
                        {"geometry_before": geometry_json(status.geometry_before[feature_id], Datum.WGS84)}
                        if change == "reshaped"
                        else {}
                    ),
                },
            }
            for feature_id, code, change, geometry in changes
        ],
    }


def draft_status_json(status: status_service.DraftStatus, request: Request) -> dict[str, Any]:
    """The check, the diff (with geometry) and the impact of a draft, for the editor's panels."""
    low, high = status.households_range
    return {
        "draft": draft_json(status.draft, request),
        "compared_to": status.compared_to,
        "check": {"scope": status.scope.value, **status.report.to_json()},
        "diff": {**status.diff.to_json(), "features": _diff_features(status)},
        "impact": {
            "households": {
                **status.households.to_json(with_households=True),
                "range": {"min": low, "max": high},
                "grids": [
                    {"grid": c.grid, "before": c.before, "after": c.after, "out_of_range": c.out_of_range}
                    for c in status.grid_counts
                ],
                "out_of_range": [c.grid for c in status.grid_counts if c.out_of_range],
            },
            "incidents": {
                "moved": len(status.incidents),
                "incidents": [
                    {"id": m.incident_id, "category": m.category, "from": m.from_grid, "to": m.to_grid}
                    for m in status.incidents
                ],
            },
        },
    }


@router.get(
    "/{name}/versions/{version_id}/draft-status",
    summary="Before publishing (planner): the draft's check, its diff with geometry, and its impact, in one read",
    responses=errors(404, 422),
)
def draft_status(
    name: SetName,
    version_id: VersionId,
    request: Request,
    store: StoreDep,
    statuses: DraftStatusesDep,
    _user: PlannerDep,
    against: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="Version to compare with (default: the one the draft came from)"),
    ] = None,
    households_min: Annotated[int, Query(ge=0, description="Fewest households a grid should have")] = 0,
    households_max: Annotated[int, Query(ge=0, description="Most households a grid should have")] = 500,
) -> JSONResponse:
    """The whole draft's check report (only the changed area's once the draft is large: `check.scope` says
    which), the diff against the version it is based on (or the published one), and the households and open
    incidents that would change grid, with the household counts of the grids that change. Ids and codes only."""
    boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    if against is not None:
        boundary_service.set_version(store=store, set_name=name, version_id=against)
    options = CheckOptions(households_min=households_min, households_max=households_max)
    status = status_service.draft_status(store, version_id, against=against, options=options, memory=statuses)
    return JSONResponse(draft_status_json(status, request), headers={"Cache-Control": "no-store"})
