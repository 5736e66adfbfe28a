"""The parser on other projects' address cases in ../shared/data/addresses (skipped when it is absent).

Those projects parse addresses from all over China with their own conventions (bitlap keeps 甲10号院 as the
road number, JioNLP maps old names to new ones: 襄樊 -> 襄阳), so the checks are agreement rates per field,
measured when this test was written and held as floors, with the disagreements shown on failure.
"""

from __future__ import annotations

import re

import pytest

from gridmap.address.gazetteer import Gazetteer
from gridmap.address.normalize import normalize_address
from gridmap.address.parse import ParsedAddress, parse_address
from tests.address.shared_cases import SHARED, load_json, naacl_addresses, national_gazetteer
from tests.shared_data import needs_shared

pytestmark = [
    pytest.mark.shared,
    needs_shared(SHARED / "SOURCE.txt", "../shared/data/addresses"),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return national_gazetteer()


def _number(text: str | None) -> str | None:
    return None if not text else re.sub(r"号$", "", text)


def _rates(checks: dict[str, list[tuple[bool, str]]]) -> dict[str, float]:
    return {field: sum(ok for ok, _ in results) / len(results) for field, results in checks.items()}


def _report(checks: dict[str, list[tuple[bool, str]]]) -> str:
    return "\n".join(f"{field}: {why}" for field, results in checks.items() for ok, why in results if not ok)


def _check(
    checks: dict[str, list[tuple[bool, str]]], field: str, parsed: ParsedAddress, got: object, want: object
) -> None:
    checks.setdefault(field, []).append((got == want, f"{parsed.raw!r}: {got!r} != {want!r}"))


def test_bitlap_normalizing_cases(gazetteer: Gazetteer) -> None:
    checks: dict[str, list[tuple[bool, str]]] = {}
    for case in load_json("bitlap_geocoding_normalizing_cases.json")["cases"]:
        want = case["expected"]
        if want is None:  # cases bitlap must reject: not addresses of ours to judge
            continue
        parsed = parse_address(case["input"], gazetteer=gazetteer)
        province = want["province"] if want["province"].endswith(("省", "区")) else f"{want['province']}市"
        _check(checks, "province", parsed, parsed.province, province)
        _check(checks, "city", parsed, parsed.city, want["city"])
        _check(checks, "county", parsed, parsed.county, want["district"])
        _check(checks, "road", parsed, parsed.road, want["road"])
        _check(checks, "number", parsed, parsed.number, _number(want["roadNum"]))
        building = want["buildingNum"]
        if building:  # 3号楼2单元1303, 31-1-101: our building, unit and room carry the same numbers in order
            expected = re.findall(r"[0-9]+", normalize_address(building))
            got = [v for v in (parsed.building, parsed.unit, parsed.floor, parsed.room) if v]
            digits = re.findall(r"[0-9]+", "-".join(got))
            _check(checks, "building", parsed, digits, expected)
    floors = {"province": 0.9, "city": 0.9, "county": 0.8, "road": 0.9, "number": 0.85, "building": 0.7}
    rates = _rates(checks)
    assert all(rates[f] >= floor for f, floor in floors.items()), (rates, _report(checks))


def test_jionlp_and_cpca_divisions(gazetteer: Gazetteer) -> None:
    checks: dict[str, list[tuple[bool, str]]] = {}
    for case in load_json("jionlp_parse_location_cases.json")["cases"]:
        parsed = parse_address(case["input"], gazetteer=gazetteer)
        for field in ("province", "city", "county"):
            _check(checks, f"jionlp {field}", parsed, getattr(parsed, field), case["expected"][field])
    for case in load_json("cpca_transform_cases.json")["transform_cases"]:
        if not isinstance(case["input"], str):
            continue
        parsed = parse_address(case["input"], gazetteer=gazetteer)
        for field in ("province", "city", "county"):
            want = None if case[field] == "市辖区" else case[field]
            got = getattr(parsed, field)
            got = None if field == "city" and got == parsed.province else got  # cpca: a municipality has no city
            _check(checks, f"cpca {field}", parsed, got, want)
    rates = _rates(checks)
    floors = {"jionlp province": 0.85, "jionlp city": 0.65, "jionlp county": 0.65}
    floors |= {"cpca province": 0.75, "cpca city": 0.75, "cpca county": 0.75}
    assert all(rates[f] >= floor for f, floor in floors.items()), (rates, _report(checks))


def test_naacl_2019_labelled_spans(gazetteer: Gazetteer) -> None:
    """Roads, road numbers and divisions of 2,985 labelled addresses (read only: the set has no licence)."""
    checks: dict[str, list[tuple[bool, str]]] = {}
    for text, spans in naacl_addresses("naacl2019_address_parsing_dev.txt"):
        parsed = parse_address(text, gazetteer=gazetteer)
        if "road" in spans:
            _check(checks, "road", parsed, parsed.road, normalize_address(spans["road"]))
        if "roadno" in spans:
            _check(checks, "roadno", parsed, parsed.number, _number(normalize_address(spans["roadno"])))
        for label, field in (("prov", "province"), ("city", "city"), ("district", "county")):
            if label in spans:
                got = getattr(parsed, field) or ""
                _check(checks, field, parsed, got[:2], spans[label][:2])
    rates = _rates(checks)
    floors = {"road": 0.8, "roadno": 0.9, "province": 0.95, "city": 0.9, "county": 0.9}
    assert all(rates[f] >= floor for f, floor in floors.items()), rates
