"""The default taxonomy and loading it from JSON/TOML with errors that name file, entry and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridmap.errors import InvalidInput, NotFound
from gridmap.incidents.taxonomy import DEFAULT_CATEGORIES, GbtClass, default_taxonomy, load_taxonomy


def test_default_taxonomy_follows_domain_md() -> None:
    taxonomy = default_taxonomy()
    codes = [c.code for c in taxonomy]
    assert codes == [
        "illegal_construction",
        "parking_vending",
        "living_environment",
        "public_facilities",
        "neighbour_dispute",
        "noise_livestock",
        "epidemic_prevention",
        "customs",
        "parking_spaces",
        "elevator_installation",
        "other",
    ]
    assert taxonomy.get("illegal_construction").name_zh.startswith("两违")
    assert taxonomy.get("customs").name("en") == "Funeral and wedding customs"
    assert taxonomy.get("parking_vending").gbt_class is GbtClass.EVENT_STREET_ORDER
    assert taxonomy.get("neighbour_dispute").gbt_class is None
    assert all(c.name_zh and c.name_en and c.active for c in DEFAULT_CATEGORIES)


def test_unknown_codes_are_refused_with_the_options() -> None:
    taxonomy = default_taxonomy()
    with pytest.raises(NotFound, match=r"unknown incident category 'fire'.*illegal_construction"):
        taxonomy.get("fire")
    with pytest.raises(InvalidInput, match="unknown incident category 'fire'"):
        taxonomy.for_new_report("fire")


def test_a_toml_file_extends_the_default(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        'extends = "default"\n'
        '[[categories]]\ncode = "epidemic_prevention"\nactive = false\n'
        '[[categories]]\ncode = "red_station"\nname_zh = "红色驿站服务"\nname_en = "Red station services"\n'
        'gbt_class = ""\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert len(taxonomy) == len(DEFAULT_CATEGORIES) + 1
    assert not taxonomy.get("epidemic_prevention").active
    assert taxonomy.get("epidemic_prevention").name_zh == "疫情防控"  # untouched fields keep the default
    assert "epidemic_prevention" not in [c.code for c in taxonomy.active()]
    with pytest.raises(InvalidInput, match="retired incident category 'epidemic_prevention'"):
        taxonomy.for_new_report("epidemic_prevention")
    assert taxonomy.get("red_station").gbt_class is None


def test_a_json_file_without_extends_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "categories.json"
    entries = [{"code": "lights", "name_zh": "路灯", "name_en": "Street lights", "gbt_class": "component:公用设施"}]
    path.write_text(json.dumps({"categories": entries}), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert [c.code for c in taxonomy] == ["lights"]
    assert taxonomy.get("lights").gbt_class is GbtClass.COMPONENT_PUBLIC_UTILITIES


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"categories": []}, "'categories' must be a non-empty list"),
        ({"extends": "mine", "categories": [{}]}, "'extends' must be"),
        ({"categories": ["x"]}, r"entry 1: must be a table"),
        ({"categories": [{"code": "Bad Code"}]}, r"entry 1: field 'code'"),
        ({"categories": [{"code": "a1", "name_zh": "甲"}]}, r"entry 1 \(a1\): field 'name_en' is required"),
        (
            {
                "categories": [
                    {"code": "a1", "name_zh": "甲", "name_en": "A"},
                    {"code": "a1", "name_zh": "乙", "name_en": "B"},
                ]
            },
            r"entry 2 \(a1\): code appears twice",
        ),
        ({"categories": [{"code": "a1", "name_zh": "甲", "name_en": "A", "colour": 1}]}, "unknown field 'colour'"),
        ({"categories": [{"code": "a1", "name_zh": "甲", "name_en": "A", "active": "yes"}]}, "field 'active'"),
        ({"categories": [{"code": "a1", "name_zh": "甲", "name_en": "A", "gbt_class": "x"}]}, "field 'gbt_class'"),
        ({"categories": [{"code": "a1", "name_zh": " ", "name_en": "A"}]}, "field 'name_zh' must be a non-empty"),
    ],
)
def test_errors_name_the_file_entry_and_field(tmp_path: Path, document: object, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidInput, match=message) as caught:
        load_taxonomy(path)
    assert str(path) in caught.value.detail


def test_unreadable_malformed_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_taxonomy(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("categories = [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_taxonomy(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(InvalidInput, match="top level"):
        load_taxonomy(listed)
    yaml = tmp_path / "categories.yaml"
    yaml.write_text("x: 1", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"\.json or \.toml"):
        load_taxonomy(yaml)
