"""Rate-limit buckets in SQL, so that every server worker takes from one bucket per client and limit."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridmap.incidents.ratelimit import Bucket, BucketRule, BucketStore, Decision, take_from
from gridmap.store.frames import stored_text
from gridmap.store.tables import CODE_LENGTH, RateBucket

_CLIENT_LENGTH = 200


class RateBuckets(BucketStore):
    """The bucket half of a SQL store (a `BucketStore`); the store supplies the write transaction."""

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def take_tokens(self, limit: str, client: str, rule: BucketRule, *, now: float, cost: int = 1) -> Decision:
        """Apply `take_from` to the client's bucket of the named limit in one transaction."""
        key = {
            "limit_name": stored_text(limit, "the limit name", CODE_LENGTH),
            "client": client[:_CLIENT_LENGTH],
        }
        with self._write_transaction() as session:
            # Create the bucket full unless it exists, then read it locked: on PostgreSQL the row lock makes
            # concurrent takers queue; on SQLite the write transaction (BEGIN IMMEDIATE) already does.
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(
                dialect.insert(RateBucket)
                .values(**key, tokens=float(rule.capacity), updated_at=now)
                .on_conflict_do_nothing(index_elements=["limit_name", "client"])
            )
            tokens, updated = session.execute(
                select(RateBucket.tokens, RateBucket.updated_at).filter_by(**key).with_for_update()
            ).one()
            bucket, decision = take_from(Bucket(tokens, updated), rule, now, cost)
            session.execute(update(RateBucket).filter_by(**key).values(tokens=bucket.tokens, updated_at=bucket.updated))
        return decision

    def forget_full_buckets(self, limit: str, rule: BucketRule, *, now: float) -> int:
        """Drop the named limit's buckets that would be full by `now`: forgetting them changes no decision."""
        with self._write_transaction() as session:
            gone = session.execute(
                delete(RateBucket).where(
                    RateBucket.limit_name == limit, RateBucket.updated_at <= now - rule.full_after_s
                )
            )
        return int(gone.rowcount)  # type: ignore[attr-defined]
