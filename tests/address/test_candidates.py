"""Candidates of unsure answers (gridmap.address.candidates): ranked, explained, and with the alias a pick implies."""

from __future__ import annotations

from gridmap.address.candidates import review_candidates
from gridmap.address.match import AddressMatcher
from gridmap.address.registry import AddressRegistry, StandardAddress

ENTRIES = [
    StandardAddress("door:胜利街:4", 119.51, 27.46, road="胜利街", number="4"),
    StandardAddress("door:胜利路:4", 119.52, 27.46, road="胜利路", number="4"),
    StandardAddress("room:金城花园:1:-:101", 119.512, 27.463, compound="金城花园", building="1", room="101"),
    StandardAddress("room:鳌峰花园:1:-:101", 119.514, 27.465, compound="鳌峰花园", building="1", room="101"),
]
MATCHER = AddressMatcher(AddressRegistry(ENTRIES))


def test_a_look_alike_gets_the_near_compounds_most_alike_first_with_the_alias_to_store() -> None:
    found = review_candidates(MATCHER, "金域花园1栋101室")
    assert [c.result.registry_id for c in found] == ["room:金城花园:1:-:101", "room:鳌峰花园:1:-:101"]
    assert found[0].confidence > found[1].confidence
    assert found[0].alias is not None and (found[0].alias.name, found[0].alias.alias) == ("金城花园", "金域花园")
    assert "金域花园 read as 金城花园" in found[0].reason


def test_an_ambiguous_road_offers_each_road_and_a_sure_answer_offers_itself_without_an_alias() -> None:
    found = review_candidates(MATCHER, "胜利4号")
    assert {c.result.registry_id for c in found} == {"door:胜利街:4", "door:胜利路:4"}
    sure = review_candidates(MATCHER, "胜利街4号")
    assert [c.result.registry_id for c in sure] == ["door:胜利街:4"] and sure[0].alias is None
    assert review_candidates(MATCHER, "北京市朝阳区建国路1号") == []
    assert len(review_candidates(MATCHER, "胜利4号", limit=1)) == 1
