"""The review queue of the geocoder: unsure answers with their candidates, and a person's pick kept as an alias.

An answer with a confidence below the threshold (`GRIDMAP_REVIEW_BELOW`) is `needs_review` when the registry
holds places it may mean (`gridmap.address.candidates`), else `unmatched`; a sure one is `matched`. The
review page, the API and `gridmap geocode` show the same candidates. When a person picks one that reads the
written road or compound as another registry name, that name is stored as an alias, so the next geocode of
the same words matches it. Nothing here logs address texts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from gridmap.address.candidates import REVIEW_CANDIDATES, AliasProposal, Candidate, review_candidates
from gridmap.address.match import AddressMatcher, MatchResult
from gridmap.address.normalize import normalize_name
from gridmap.address.registry import AddressAlias
from gridmap.errors import InvalidInput
from gridmap.store.address_store import AddressStore

REVIEW_BELOW = 0.9
MAX_ALIAS_CHARS = 40
CANDIDATE_FIELDS = ("address", "id", "confidence", "reason")


class ReviewStatus(StrEnum):
    """Whether an answer can be used as it is, needs a person to choose, or has nothing to choose from."""

    MATCHED = "matched"
    NEEDS_REVIEW = "needs_review"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Reviewed:
    """An address's answer, its status, and its candidates (empty when the answer is sure)."""

    result: MatchResult
    status: ReviewStatus
    candidates: list[Candidate]


def reviewed(
    matcher: AddressMatcher, text: str, *, review_below: float = REVIEW_BELOW, limit: int = REVIEW_CANDIDATES
) -> Reviewed:
    """The answer for `text` with its review status, and up to `limit` candidates when it is not sure (the
    status does not depend on `limit`: 0 gives the status alone)."""
    result = matcher.match(text)
    if result.matched and result.confidence >= review_below:
        return Reviewed(result, ReviewStatus.MATCHED, [])
    candidates = review_candidates(matcher, text, limit=max(limit, 1))
    status = ReviewStatus.NEEDS_REVIEW if candidates else ReviewStatus.UNMATCHED
    return Reviewed(result, status, candidates[:limit])


def candidate_columns(candidates: list[Candidate], *, limit: int = REVIEW_CANDIDATES) -> dict[str, str]:
    """The CSV cells of the candidates: candidate_1_address, candidate_1_id, ... (empty past the last one)."""
    cells: dict[str, str] = {}
    for number in range(1, limit + 1):
        candidate = candidates[number - 1] if number <= len(candidates) else None
        values = ("", "", "", "")
        if candidate is not None:
            result = candidate.result
            values = (
                result.canonical_address or "",
                result.registry_id or "",
                f"{candidate.confidence:.2f}",
                candidate.reason,
            )
        cells |= {f"candidate_{number}_{name}": value for name, value in zip(CANDIDATE_FIELDS, values, strict=True)}
    return cells


def candidate_column_names(limit: int = REVIEW_CANDIDATES) -> list[str]:
    """The names of the candidate columns, in order."""
    return list(candidate_columns([], limit=limit))


def candidate_summary(candidate: Candidate) -> dict[str, object]:
    """What a caller may see of a candidate: the registry address, id, level, point, likelihood, why, alias."""
    result, alias = candidate.result, candidate.alias
    point = None if result.lon is None or result.lat is None else {"lon": result.lon, "lat": result.lat}
    return {
        "address": result.canonical_address,
        "id": result.registry_id,
        "level": result.level.value,
        "confidence": round(candidate.confidence, 3),
        "reason": candidate.reason,
        "wgs84": point,
        "alias": None if alias is None else {"kind": alias.kind, "name": alias.name, "alias": alias.alias},
    }


def store_alias(store: AddressStore, matcher: AddressMatcher, proposal: AliasProposal) -> bool:
    """Store `proposal` as an alias of a registry road or compound (a person's pick in the review queue);
    False when that alias was stored already. Refused when the name is not the registry's or the alias is one."""
    registry = matcher.registry
    names: dict[str, Collection[str]] = {"road": registry.roads, "compound": registry.compounds}
    name, alias = normalize_name(proposal.name), normalize_name(proposal.alias)
    if proposal.kind not in names:
        msg = f"an alias from the review is of a road or a compound, not a {proposal.kind!r}"
        raise InvalidInput(msg)
    if name not in names[proposal.kind]:
        msg = f"the registry has no {proposal.kind} of that name: an alias names a registered {proposal.kind}"
        raise InvalidInput(msg)
    if not alias or len(alias) > MAX_ALIAS_CHARS or alias == name:
        msg = f"an alias is 1 to {MAX_ALIAS_CHARS} characters and differs from the name it stands for"
        raise InvalidInput(msg)
    if alias in registry.roads or alias in registry.compounds:
        msg = "that alias is itself a registered road or compound: it cannot stand for another"
        raise InvalidInput(msg)
    return store.add_address_aliases([AddressAlias(proposal.kind, name, alias)]) == 1
