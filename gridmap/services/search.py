"""`q=` on items: a feature whose code is the text, then features whose name contains it, as one paged list.

The store filters by exact code or by part of the name, one at a time; this joins the two answers and pages
through them as if they were one query (codes are unique within a version, so at most one exact hit comes
first).
"""

from __future__ import annotations

from typing import Any

from gridmap.store.version_store import FeaturePage, VersionStore


def text_search(
    store: VersionStore,
    version_id: int,
    *,
    q: str,
    code: str | None,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> FeaturePage:
    """Features whose code is `q` (first) or whose name contains `q`, paged as one list."""
    exact = [] if code not in (None, q) else store.features(version_id, code=q, **filters).features
    filters = {**filters, "code": code}
    named = store.features(version_id, name_contains=q, **filters, limit=0).number_matched
    # The exact hit may match by name too; in the name list (by code) it then sits somewhere to be skipped.
    twice = [f for f in exact if q.casefold() in f.name.casefold()]
    exact_ids = {f.feature_id for f in exact}
    page = exact[offset : offset + limit]
    rest = limit - len(page)
    if rest > 0:
        window = store.features(
            version_id, name_contains=q, **filters, limit=rest + 1, offset=max(0, offset - len(exact))
        ).features
        in_window = any(f.feature_id in exact_ids for f in window)
        if twice and window and not in_window and window[0].code > twice[0].code:
            window = window[1:]  # the exact hit sorts before this window: without it, the list starts one later
        page += [f for f in window if f.feature_id not in exact_ids][:rest]
    return FeaturePage(page, len(exact) + named - len(twice))
