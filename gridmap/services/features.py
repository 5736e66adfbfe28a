"""A version's features as the collections API and the command line read them: a page, or one by id."""

from __future__ import annotations

from typing import Any

from gridmap.errors import InvalidInput
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
    after: str | None = None,
) -> FeaturePage:
    """A page of a version's features: by code or name (`text_search`) when `q` is given, else by the filters,
    from the code after `after` when given (simplified outlines for display: `SimplifiedOutlines.page`)."""
    if q:
        if after is not None:
            msg = "a search by q pages by offset, not after a code"
            raise InvalidInput(msg)
        return text_search(store, version_id, q=q, code=code, filters=filters, limit=limit, offset=offset)
    return store.features(version_id, **filters, code=code, limit=limit, offset=offset, after=after)


def version_feature(*, store: VersionStore, version_id: int, feature_id: str) -> Feature:
    """One feature of a version by its stable id; NotFound when there is none."""
    return store.feature(version_id, feature_id)
