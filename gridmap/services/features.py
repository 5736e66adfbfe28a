"""A version's features as the collections API and the command line read them: a page, or one by id."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gridmap.geo.coverage_simplify import simplify_coverage
from gridmap.services.search import text_search
from gridmap.store.version_store import Feature, FeaturePage, VersionStore


def feature_page(
    *,
    store: VersionStore,
    version_id: int,
    q: str,
    code: str | None,
    filters: dict[str, Any],
    limit: int,
    offset: int,
    simplify_m: float | None = None,
) -> FeaturePage:
    """A page of a version's features: by code or name (`text_search`) when `q` is given, else by the filters;
    with `simplify_m`, their outlines simplified for display (`simplified_page`)."""
    if q:
        page = text_search(store, version_id, q=q, code=code, filters=filters, limit=limit, offset=offset)
    else:
        page = store.features(version_id, **filters, code=code, limit=limit, offset=offset)
    return page if simplify_m is None else simplified_page(page, simplify_m)


def simplified_page(page: FeaturePage, tolerance_m: float) -> FeaturePage:
    """The page with each level's outlines simplified together within `tolerance_m` metres, so that borders the
    page's features share stay shared (a border with a feature outside the page may differ slightly)."""
    geometries = simplify_coverage(
        [f.geometry for f in page.features], tolerance_m, groups=[f.level for f in page.features]
    )
    features = [replace(f, geometry=g) for f, g in zip(page.features, geometries, strict=True)]
    return FeaturePage(features, page.number_matched)


def version_feature(*, store: VersionStore, version_id: int, feature_id: str) -> Feature:
    """One feature of a version by its stable id; NotFound when there is none."""
    return store.feature(version_id, feature_id)
