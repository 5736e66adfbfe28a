"""Upload a file edited elsewhere (QGIS) into a draft: the diff, the conflicts and the check, stored on `commit`.

The file is one a planner exported with `gridmap draft export` and edited; see gridmap.services.draft_import.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import Field

from gridmap.api.answers import Answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import PlannerDep, SettingsDep, StoreDep, VersionsDep
from gridmap.api.routers.boundary_sets import SetName, VersionId
from gridmap.api.uploads import MAIN_SUFFIXES, saved_uploads
from gridmap.errors import InvalidInput
from gridmap.io.boundaries import SourceCrs
from gridmap.services import boundaries as boundary_service
from gridmap.services import draft_import as import_service
from gridmap.services.draft_import import Resolution

router = APIRouter(route_class=AnswerRoute, prefix="/boundary-sets", tags=["boundary sets"])


class DraftImportAnswer(Answer):
    """What an import changes in a draft (and whether it was stored), its conflicts and the check of the result."""

    version: int
    file: str
    layer: str
    input_crs: str
    resolve: str
    committed: bool
    reshaped: list[dict[str, Any]] = Field(description="feature_id, code, area before, after and change in m2")
    changed: list[dict[str, Any]] = Field(description="feature_id, code, and each property's before and after")
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]] = Field(description="Deleted (delete_missing): in the draft, not in the file")
    missing: list[dict[str, Any]] = Field(description="In the draft, not in the file, and kept")
    conflicts: list[dict[str, Any]] = Field(
        description="Features the file and the draft both changed since the export, differently: file_changed and "
        "draft_changed name what each side changed (geometry, properties, deleted; null: the row has no gm_base)"
    )
    area_moved_m2: float
    check: dict[str, Any] = Field(description="The check report of the draft with the import applied")
    new_problems: list[dict[str, Any]] = Field(description="Its errors the draft did not have before")
    notes: list[str]


@router.post(
    "/{name}/versions/{version_id}/import",
    summary="Import a file edited elsewhere (QGIS) into a draft: diff, conflicts, check; stored on commit (planner)",
    response_model=DraftImportAnswer,
    responses=errors(404, 409, 412, 413, 422),
)
def import_into_draft(
    name: SetName,
    version_id: VersionId,
    store: StoreDep,
    settings: SettingsDep,
    versions: VersionsDep,
    user: PlannerDep,
    file: Annotated[list[UploadFile], File(description="The GeoPackage or GeoJSON (from gridmap draft export)")],
    commit: Annotated[bool, Form(description="Store the changes as one undoable edit (default: only answer)")] = False,
    resolve: Annotated[
        Resolution, Form(description="Who wins a conflict: none (refused on commit: 409), theirs (the file), ours")
    ] = Resolution.NONE,
    delete_missing: Annotated[bool, Form(description="Delete the draft's features the file lacks")] = False,
    layer: Annotated[str | None, Form(max_length=200, description="The layer (default: the polygon layer)")] = None,
    crs: Annotated[str | None, Form(description="The file's CRS when it declares none, e.g. gcj02")] = None,
    reason: Annotated[str, Form(max_length=500, description="Why (kept in the draft's history)")] = "",
) -> dict[str, Any]:
    """The diff of the file against the draft, the conflicts and the check of the result; stored on `commit`.

    409 listing the conflicts when `commit` is asked while conflicts are unresolved; 422 with the problems when
    the check of the result finds new ones; 412 when a feature changed between reading and storing.
    """
    version = boundary_service.set_version(store=store, set_name=name, version_id=version_id)
    source_crs = SourceCrs.parse(crs) if crs and crs.strip() else None
    with saved_uploads(file, max_bytes=settings.max_upload_bytes) as folder:
        planned = import_service.plan_draft_import(
            store=store,
            version_id=version.id,
            path=_the_file(folder),
            layer=layer or None,
            source_crs=source_crs,
            resolution=resolve,
            delete_missing=delete_missing,
        )
    if commit:
        import_service.commit_draft_import(
            store=store, planned=planned, who=user.name, why=reason or "imported through the API"
        )
        versions.invalidate()
    return planned.to_json()


def _the_file(folder: FilePath) -> FilePath:
    """The one boundary file of an upload (a Shapefile's sidecars aside)."""
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in MAIN_SUFFIXES)
    if len(found) != 1:
        msg = f"upload one file to import into a draft, not {len(found)} ({', '.join(p.name for p in found)})"
        raise InvalidInput(msg)
    return found[0]
