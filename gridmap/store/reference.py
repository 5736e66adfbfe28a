"""Reference layers in SQL: one row per layer, its features one WKB geometry collection (the same on both backends)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager

import shapely
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, defer

from gridmap.errors import InvalidInput, NotFound
from gridmap.store.frames import stored_text
from gridmap.store.reference_store import (
    ReferenceKind,
    ReferenceLayer,
    ReferenceLayerInfo,
    ReferenceLayerValues,
    ReferenceStore,
)
from gridmap.store.tables import CODE_LENGTH, NAME_LENGTH, ReferenceLayerRow, utc_now


def _bbox(row: ReferenceLayerRow) -> tuple[float, float, float, float] | None:
    west, south, east, north = row.west, row.south, row.east, row.north
    if west is None or south is None or east is None or north is None:
        return None  # a layer without features
    return (west, south, east, north)


def _info(row: ReferenceLayerRow) -> ReferenceLayerInfo:
    return ReferenceLayerInfo(
        name=row.name,
        title=row.title,
        kind=ReferenceKind(row.kind),
        style=json.loads(row.style),
        label_field=row.label_field,
        feature_count=row.feature_count,
        bbox=_bbox(row),
        revision=row.revision,
        updated_at=row.updated_at,
    )


def _row(session: Session, name: str) -> ReferenceLayerRow:
    row = session.scalar(select(ReferenceLayerRow).where(ReferenceLayerRow.name == name))
    if row is None:
        msg = f"there is no reference layer {name!r} (see GET /api/v1/reference-layers)"
        raise NotFound(msg)
    return row


class ReferenceLayers(ReferenceStore):
    """The reference-layer half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def put_reference_layer(self, values: ReferenceLayerValues) -> ReferenceLayerInfo:
        """Store a layer, replacing the one of the same name (its revision then grows by one)."""
        if len(values.geometries) != len(values.labels):
            msg = (
                f"reference layer {values.name!r}: {len(values.geometries)} geometries but {len(values.labels)} labels"
            )
            raise InvalidInput(msg)
        collection = shapely.GeometryCollection(list(values.geometries))
        west, south, east, north = (None, None, None, None) if collection.is_empty else collection.bounds
        fields = {
            "title": stored_text(values.title, "the layer title", NAME_LENGTH),
            "kind": values.kind.value,
            "style": json.dumps(values.style, ensure_ascii=False),
            "label_field": values.label_field,
            "feature_count": len(values.geometries),
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "features": shapely.to_wkb(collection),
            "labels": json.dumps(list(values.labels), ensure_ascii=False),
            "updated_at": utc_now(),
        }
        name = stored_text(values.name, "the layer name", CODE_LENGTH)
        with self._write_transaction() as session:
            row = session.scalar(select(ReferenceLayerRow).where(ReferenceLayerRow.name == name).with_for_update())
            if row is None:
                row = ReferenceLayerRow(name=name, revision=1, **fields)
                session.add(row)
            else:
                for key, value in fields.items():
                    setattr(row, key, value)
                row.revision += 1
            session.flush()
            return _info(row)

    def list_reference_layers(self) -> list[ReferenceLayerInfo]:
        """Every layer, in the order they were first stored (the order a map lists them in)."""
        # The features stay in the database: a list reads only the descriptions.
        features = (defer(ReferenceLayerRow.features), defer(ReferenceLayerRow.labels))
        with self._transaction() as session:
            rows = session.scalars(select(ReferenceLayerRow).options(*features).order_by(ReferenceLayerRow.id))
            return [_info(row) for row in rows]

    def reference_layer(self, name: str) -> ReferenceLayer:
        """One layer with its features; NotFound when there is none of that name."""
        with self._transaction() as session:
            row = _row(session, name)
            geometries = tuple(shapely.get_parts(shapely.from_wkb(row.features)))
            return ReferenceLayer(info=_info(row), geometries=geometries, labels=tuple(json.loads(row.labels)))

    def delete_reference_layer(self, name: str) -> None:
        """Remove a layer; NotFound when there is none of that name."""
        with self._write_transaction() as session:
            _row(session, name)
            session.execute(delete(ReferenceLayerRow).where(ReferenceLayerRow.name == name))
