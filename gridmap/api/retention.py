"""The server's retention timer: the privacy purge (`gridmap privacy purge --apply`) every interval.

The purge reads and deletes in the store, so it runs in a thread; with several server workers each runs it,
which is harmless (a second run finds nothing due). Only counts are logged, never ids or personal data.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from gridmap.errors import GridmapError
from gridmap.incidents.access import RetentionPolicy
from gridmap.services import privacy
from gridmap.settings import Settings
from gridmap.store import BoundaryStore

logger = logging.getLogger(__name__)


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The retention periods the settings give."""
    return RetentionPolicy(days=settings.retention_days, by_category=dict(settings.retention_days_by_category))


async def purge_periodically(store: BoundaryStore, settings: Settings) -> None:
    """Purge now and then every `settings.purge_interval_s` seconds, until cancelled."""
    policy = retention_policy(settings)
    while True:
        try:
            removal = await run_in_threadpool(
                lambda: privacy.purge(store, now=datetime.now(UTC), dry_run=False, policy=policy)
            )
        except GridmapError as err:
            # The next round tries again; a store that is briefly unreachable must not stop the timer.
            logger.warning("retention purge failed: %s", err.detail)
        else:
            if removal.incident_ids:
                logger.info(
                    "retention purge: %s incidents, %s contacts and %s photos deleted",
                    len(removal.incident_ids),
                    removal.contacts,
                    removal.photos,
                )
        await asyncio.sleep(settings.purge_interval_s)


def start_purge_timer(store: BoundaryStore, settings: Settings) -> asyncio.Task[None] | None:
    """The running purge task, or None when settings.purge_interval_s is 0 (off)."""
    if settings.purge_interval_s <= 0:
        return None
    return asyncio.create_task(purge_periodically(store, settings), name="retention-purge")
