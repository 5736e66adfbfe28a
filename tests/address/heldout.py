"""The held-out set (tests/fixtures/addresses/shouning_heldout.json) and how an answer is graded against it.

Written by hand after the matcher's fixes for issue 12 were done, against the registry the CLI uses
(data/sample/addresses.csv with data/sample/address_aliases.csv), each truth looked up in that file before
the matcher ran: the honest estimate of precision and recall, beside the sets tuned with the matcher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gridmap.address.match import AddressMatcher, MatchLevel, MatchResult
from gridmap.services.geocode import load_registry

REPO = Path(__file__).resolve().parents[2]
HELDOUT = REPO / "tests" / "fixtures" / "addresses" / "shouning_heldout.json"
REGISTRY = REPO / "data" / "sample" / "addresses.csv"
ALIASES = REPO / "data" / "sample" / "address_aliases.csv"


@dataclass(frozen=True)
class HeldOut:
    """One case: the text, its truth (a registry id, `road:NAME`, or None for no entry), a look-alike or not."""

    text: str
    truth: str | None
    look_alike: bool


@dataclass(frozen=True)
class Grade:
    """An answer judged: `correct` (right, perhaps coarser than the truth) and `exact` (at the truth's level)."""

    correct: bool
    exact: bool


def cases() -> list[HeldOut]:
    document = json.loads(HELDOUT.read_text(encoding="utf-8"))
    return [HeldOut(c["text"], c["truth"], c["look_alike"]) for c in document["cases"]]


def matcher() -> AddressMatcher:
    """The matcher over the registry the CLI uses, with its aliases."""
    return AddressMatcher(load_registry(REGISTRY, ALIASES))


def grade(result: MatchResult, case: HeldOut) -> Grade:
    """Right entry: exact; its building or compound (for a room) or its road (for a door): correct, coarser."""
    if not result.matched or case.truth is None:
        return Grade(correct=not result.matched, exact=not result.matched and case.truth is None)
    if case.truth.startswith("road:"):
        right = result.level is MatchLevel.ROAD and result.road == case.truth.removeprefix("road:")
        return Grade(right, right)
    if result.registry_id == case.truth:
        return Grade(correct=True, exact=True)
    kind, *parts = case.truth.split(":")
    coarser = (
        (result.level is MatchLevel.BUILDING and kind == "room" and result.building == parts[1])
        or (result.level is MatchLevel.COMPOUND and kind in ("room", "building"))
        or (result.level is MatchLevel.ROAD and kind == "door")
    ) and (result.compound == parts[0] or result.road == parts[0])
    return Grade(correct=coarser, exact=False)
