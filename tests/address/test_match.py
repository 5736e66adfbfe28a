"""The matcher against the generated Shouning registry: levels, reasons, interpolation, precision and recall."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gridmap.address.fuzzy import readings, similarity
from gridmap.address.match import AddressMatcher, MatchLevel, Reason, match_address
from gridmap.address.registry import AddressRegistry, StandardAddress, metres_between
from gridmap_demo.messy_sample import HOMOPHONES, LabelledAddress, grade, labelled_addresses, labelled_from_cases
from gridmap_demo.registry_sample import COMPOUNDS, SampleRegistry, sample_registry

HANDWRITTEN = Path(__file__).resolve().parents[1] / "fixtures" / "addresses" / "shouning_handwritten.json"


@pytest.fixture(scope="module")
def sample() -> SampleRegistry:
    return sample_registry()


@pytest.fixture(scope="module")
def matcher(sample: SampleRegistry) -> AddressMatcher:
    return AddressMatcher(sample.registry())


def test_sample_registry_is_deterministic_and_realistic(sample: SampleRegistry) -> None:
    again = sample_registry()
    assert again.addresses == sample.addresses
    assert again.unregistered == sample.unregistered
    registry = sample.registry()
    gate = registry.door("环城路", "33")
    assert gate is not None and gate.compound == "朝阳新村"  # DOMAIN.md: 朝阳新村 (环城路 33号)
    assert {"三委楼小区", "龙庭国际", "朝阳新村", "东升大厦"} <= set(registry.compounds)
    assert {"胜利街", "解放街", "环城路", "东区路", "蟾溪路"} <= set(registry.roads)
    lons = [a.lon for a in sample.addresses]
    lats = [a.lat for a in sample.addresses]
    assert min(lons) > 119.49
    assert max(lons) < 119.53
    assert min(lats) > 27.45
    assert max(lats) < 27.47
    assert len(sample.addresses) > 2000 and sample.unregistered


@pytest.mark.parametrize(
    ("text", "level", "label"),
    [
        ("福建省宁德市寿宁县鳌阳镇环城路33号朝阳新村5栋2单元501室", "door", "朝阳新村5栋2单元501室"),
        ("龙庭3栋2单元501", "door", "龙庭国际3栋2单元501室"),
        ("龙亭国际3栋2单元501", "door", "龙庭国际3栋2单元501室"),
        ("三委楼小区二号楼一单元二〇一", "door", "三委楼小区2栋1单元201室"),
        ("东升大厦1203", "door", "东升大厦1栋1203室"),
        ("环城路朝阳新村33号", "door", "环城路33号朝阳新村"),
        ("胜力街12号", "door", "胜利街12号"),
        ("胜利12号", "door", "胜利街12号"),
        ("人民14", "door", "人民路14号"),
        ("解放街40号1栋1单元201", "door", "解放街40号1栋1单元201室"),
        ("朝阳新村5栋", "building", "朝阳新村5栋"),
        ("朝阳小区5栋", "building", "朝阳新村5栋"),
        ("东升大厦", "compound", "东升大厦"),
    ],
)
def test_levels(matcher: AddressMatcher, text: str, level: str, label: str) -> None:
    result = matcher.match(text)
    assert result.level.value == level
    assert result.address is not None and result.address.label() == label
    assert 0.6 <= result.confidence <= 1.0
    assert result.lon is not None and result.lat is not None


def test_results_carry_the_registry_id_only_of_registered_entries(matcher: AddressMatcher) -> None:
    found = {text: matcher.match(text) for text in ("朝阳新村5栋2单元501", "朝阳新村5栋", "环城路33号", "东升大厦")}
    assert {text: r.registry_id for text, r in found.items()} == {
        "朝阳新村5栋2单元501": "room:朝阳新村:5:2:501",
        "朝阳新村5栋": "building:朝阳新村:5",
        "环城路33号": "door:环城路:33",
        "东升大厦": None,  # the registry has no entry for the compound as a whole, only its point
    }
    assert found["东升大厦"].canonical_address == "东升大厦" and found["东升大厦"].address is not None
    rooms_only = AddressRegistry([StandardAddress("r1", 119.5, 27.4, compound="龙庭国际", building="3", room="501")])
    building = match_address("龙庭国际3栋", rooms_only)
    assert (building.level, building.registry_id, building.canonical_address) == (
        MatchLevel.BUILDING,
        None,
        "龙庭国际3栋",
    )
    assert match_address("龙庭国际3栋501", rooms_only).registry_id == "r1"


def test_exact_beats_fuzzy_in_confidence(matcher: AddressMatcher) -> None:
    exact = matcher.match("龙庭国际3栋2单元501")
    typo = matcher.match("龙亭国际3栋2单元501")
    short = matcher.match("龙庭3栋2单元501")
    assert exact.confidence == 1.0
    assert exact.confidence > typo.confidence and exact.confidence > short.confidence
    assert exact.address == typo.address == short.address


@pytest.mark.parametrize(
    ("text", "reason", "candidates"),
    [
        ("寿宁县斜滩镇胜利街5号", Reason.OUTSIDE_AREA, ()),
        ("宁德市蕉城区环城路33号", Reason.OUTSIDE_AREA, ()),
        ("建设路15号", Reason.NO_SUCH_ROAD, ()),
        ("幸福家园3栋1单元101", Reason.NO_SUCH_COMPOUND, ()),
        ("胜利街999号", Reason.NUMBER_OUT_OF_RANGE, ()),
        ("东升大厦对面", Reason.RELATIVE, ()),
        ("环城路33号龙庭国际3栋", Reason.CONFLICT, ("朝阳新村", "龙庭国际")),
        ("东门新村2栋", Reason.NO_SUCH_COMPOUND, ("北门新村", "南门新村")),  # the nearest names, for the user
        ("城东", Reason.AMBIGUOUS, ("城东新村", "城东")),  # 城东社区 or 城东新村
        ("北门5号", Reason.AMBIGUOUS, ("北门路", "北门新村")),
        ("西区路5号", Reason.NO_SUCH_ROAD, ()),
        ("不详", Reason.NO_SUCH_COMPOUND, ()),
        ("寿宁县城东社区", Reason.EMPTY, ()),
        ("", Reason.EMPTY, ()),
    ],
)
def test_unmatched_say_why(matcher: AddressMatcher, text: str, reason: Reason, candidates: tuple[str, ...]) -> None:
    result = matcher.match(text)
    assert result.level is MatchLevel.NONE
    assert not result.matched and result.address is None and result.lon is None
    assert result.reason is reason
    assert set(candidates) <= set(result.candidates)
    assert result.message


def test_ambiguous_building_lists_the_compounds(matcher: AddressMatcher) -> None:
    result = matcher.match("3栋2单元501")
    assert result.reason is Reason.AMBIGUOUS
    assert len(result.candidates) >= 5
    assert "龙庭国际" in result.candidates and "东升大厦" not in result.candidates
    assert str(len(result.candidates)) in result.message


def test_coarser_levels_say_what_was_missing(matcher: AddressMatcher) -> None:
    no_building = matcher.match("朝阳新村9栋")
    assert (no_building.level, no_building.reason) == (MatchLevel.COMPOUND, Reason.NO_SUCH_BUILDING)
    no_room = matcher.match("财政局宿舍1栋2单元201")
    assert (no_room.level, no_room.reason) == (MatchLevel.BUILDING, Reason.NO_SUCH_ROOM)
    no_number = matcher.match("环城路")
    assert (no_number.level, no_number.reason) == (MatchLevel.ROAD, Reason.NUMBER_MISSING)
    assert no_number.uncertainty_m is not None and no_number.uncertainty_m > 300


def test_missing_numbers_are_interpolated_on_their_side(sample: SampleRegistry, matcher: AddressMatcher) -> None:
    registry = sample.registry()
    lost = [a for a in sample.unregistered if a.room is None and a.road == "胜利街"]
    assert lost
    for truth in lost:
        assert truth.number is not None
        result = matcher.match(f"胜利街{truth.number}号")
        assert (result.level, result.reason) == (MatchLevel.ROAD, Reason.NUMBER_NOT_REGISTERED)
        assert result.lon is not None and result.lat is not None
        error = metres_between(result.lon, result.lat, truth.lon, truth.lat)
        assert error < 5.0  # straight stretches: the neighbours on the same side bracket it closely
        n = int(truth.number)
        below = registry.door("胜利街", str(n - 2)) or registry.door("胜利街", str(n - 4))
        assert below is not None
        opposite = registry.door("胜利街", str(n + 1)) or registry.door("胜利街", str(n - 1))
        assert opposite is not None
        # on the number's own side of the street, not across it
        assert (
            metres_between(result.lon, result.lat, below.lon, below.lat)
            < metres_between(result.lon, result.lat, opposite.lon, opposite.lat) + _DOOR_SPACING_SLACK_M
        )


_DOOR_SPACING_SLACK_M = 20.0


@pytest.fixture(scope="module")
def lanes() -> AddressMatcher:
    """Lanes named after other townships of the county (南阳镇, 凤阳镇), as in the sample region."""
    entries = [
        StandardAddress(f"door:{road}:{n}", 119.51 + n * 1e-4, lat, road=road, number=str(n))
        for road, lat in (("南阳一巷", 27.46), ("凤阳一巷", 27.461), ("环城路", 27.462), ("新街", 27.463))
        for n in range(1, 21)
    ]
    return AddressMatcher(AddressRegistry(entries))


@pytest.mark.parametrize(
    ("text", "door"),
    [
        ("南阳一巷8号", "door:南阳一巷:8"),
        ("凤阳一巷15号", "door:凤阳一巷:15"),
        ("寿宁县南阳一巷8号", "door:南阳一巷:8"),
        ("福建省寿宁县鳌阳镇凤阳一巷十五号", "door:凤阳一巷:15"),
        ("寿宁凤阳一巷 3号", "door:凤阳一巷:3"),
    ],
)
def test_lanes_named_after_townships_match(lanes: AddressMatcher, text: str, door: str) -> None:
    result = lanes.match(text)
    assert result.level is MatchLevel.DOOR and result.registry_id == door


@pytest.mark.parametrize(
    "text", ["南阳镇环城路5号", "南阳环城路5号", "南阳镇南阳一巷8号", "寿宁县凤阳镇一巷3号", "凤阳环城路2号"]
)
def test_the_townships_themselves_stay_outside(lanes: AddressMatcher, text: str) -> None:
    result = lanes.match(text)
    assert (result.level, result.reason, result.registry_id) == (MatchLevel.NONE, Reason.OUTSIDE_AREA, None)


def test_a_two_character_road_ending_another_name_is_not_that_road(lanes: AddressMatcher) -> None:
    assert lanes.match("寿宁县新街12号").registry_id == "door:新街:12"
    assert lanes.match("城关新街12号").registry_id == "door:新街:12"
    for text in ("江北华新街12号", "亚皆老新街12号", "机师新街"):
        result = lanes.match(text)
        assert (result.level, result.reason) == (MatchLevel.NONE, Reason.NO_SUCH_ROAD)


@pytest.mark.parametrize(
    "text",
    [
        "广州市花都区胜利街12号",  # a city the gazetteer lacks: another place's 胜利街
        "浙江省杭州市上城区解放街8号",
        "福建省福州市胜利街12号",
    ],
)
def test_addresses_from_elsewhere_are_not_matched(matcher: AddressMatcher, text: str) -> None:
    result = matcher.match(text)
    assert result.level is MatchLevel.NONE and result.registry_id is None


def test_registry_from_a_dataframe() -> None:
    frame = pd.DataFrame(
        {
            "road": ["胜利街", "胜利街", None, None],
            "number": [1, 5, None, None],
            "compound": [None, None, "龙庭国际", "龙庭国际"],
            "building": [None, None, "３", "3"],
            "unit": [None, None, None, "2"],
            "room": [None, None, None, "501室"],
            "lon": [119.50, 119.502, 119.51, 119.51],
            "lat": [27.46, 27.46, 27.455, 27.455],
        }
    )
    registry = AddressRegistry.from_frame(frame, aliases={"龙庭": "龙庭国际"})
    assert match_address("龙庭3栋2单元501", registry).address == StandardAddress(
        "3", 119.51, 27.455, compound="龙庭国际", building="3", unit="2", room="501"
    )
    middle = match_address("胜利街3号", registry)
    assert middle.level is MatchLevel.ROAD and middle.lon == pytest.approx(119.501)
    with pytest.raises(ValueError, match="lacks the columns"):
        AddressRegistry.from_frame(frame.drop(columns=["lat"]))
    with pytest.raises(ValueError, match="neither a road nor a compound"):
        AddressRegistry.from_frame(frame, aliases={"西区": "西区路"})


def test_low_confidence_is_refused(sample: SampleRegistry) -> None:
    strict = AddressMatcher(sample.registry(), min_confidence=0.95)
    result = strict.match("龙亭国际3栋2单元501")
    assert (result.level, result.reason) == (MatchLevel.NONE, Reason.LOW_CONFIDENCE)
    assert result.candidates == ("龙庭国际3栋2单元501室",)  # the guess, for a person to confirm


def test_homophone_table_is_true_and_typos_cost_less() -> None:
    for meant, typed in HOMOPHONES.items():
        assert readings(meant) & readings(typed), (meant, typed)
    assert similarity("龙亭国际", "龙庭国际") > similarity("龙廷国标", "龙庭国际")
    assert similarity("西区路", "东区路") < 0.6  # a direction word is no typo
    assert similarity("东门新村", "南门新村") < 0.7


def _scores(matcher: AddressMatcher, labels: list[LabelledAddress]) -> tuple[float, float, list[str]]:
    matched = correct = exact = truths = 0
    wrong: list[str] = []
    for label in labels:
        result = matcher.match(label.text)
        verdict = grade(result, label)
        matched += result.matched
        correct += result.matched and verdict.correct
        truths += label.level != "none"
        exact += label.level != "none" and verdict.exact
        if result.matched and not verdict.correct:
            wrong.append(f"{label.text} -> {result.level.value} {result.message}")
    return correct / max(matched, 1), exact / max(truths, 1), wrong


def test_generated_messy_addresses_precision_and_recall(sample: SampleRegistry, matcher: AddressMatcher) -> None:
    labels = labelled_addresses(sample, count=600)
    assert len(labels) == 600 and {label.level for label in labels} == {"door", "building", "compound", "road", "none"}
    precision, recall, wrong = _scores(matcher, labels)
    assert precision >= 0.99, wrong
    assert recall >= 0.95


def test_handwritten_addresses_precision_and_recall(sample: SampleRegistry, matcher: AddressMatcher) -> None:
    cases = json.loads(HANDWRITTEN.read_text(encoding="utf-8"))["cases"]
    labels = labelled_from_cases(sample, cases)
    assert len(labels) >= 140
    precision, recall, wrong = _scores(matcher, labels)
    assert precision >= 0.99, wrong
    assert recall >= 0.95


def test_every_compound_plan_is_in_the_registry(sample: SampleRegistry) -> None:
    registry = sample.registry()
    for plan in COMPOUNDS:
        compound = registry.compounds[plan.name]
        assert sorted(compound.buildings) == sorted(plan.buildings)
        assert [g.number for g in compound.gates] == [str(plan.number)]
