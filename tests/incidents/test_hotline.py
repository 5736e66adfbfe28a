"""The 12345 rules: hotline classes to our categories, order numbers as incident ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.errors import InvalidInput
from gridmap.incidents.hotline import class_map, order_incident_id
from gridmap.incidents.taxonomy import default_taxonomy


@pytest.mark.parametrize(
    ("hotline_class", "category"),
    [
        ("城乡建设>市容环境>占道经营", "parking_vending"),  # the most specific level decides
        ("城市管理 / 路灯", "public_facilities"),
        ("环境卫生-垃圾清运", "living_environment"),
        ("噪音扰民", "noise_livestock"),
        ("邻里纠纷", "neighbour_dispute"),
        ("停车位", "parking_spaces"),  # our own Chinese name
        ("elevator_installation", "elevator_installation"),  # our own code
        ("城乡建设>装修扰民投诉", None),
        ("", None),
    ],
)
def test_classes_map_to_our_categories(hotline_class: str, category: str | None) -> None:
    assert class_map(default_taxonomy()).category_for(hotline_class) == category


def test_a_city_adds_and_overrides_classes(tmp_path: Path) -> None:
    extra = tmp_path / "classes.toml"
    extra.write_text('[classes]\n"装修扰民投诉" = "noise_livestock"\n"路灯" = "other"\n', encoding="utf-8")
    table = class_map(default_taxonomy(), extra)
    assert (table.category_for("装修扰民投诉"), table.category_for("路灯")) == ("noise_livestock", "other")
    extra.write_text('[classes]\n"路灯" = "street_lights"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="'street_lights', which is no active incident category"):
        class_map(default_taxonomy(), extra)


def test_order_numbers_become_incident_ids_that_fit() -> None:
    assert order_incident_id(" GD20261127001 ") == "12345-GD20261127001"
    for bad in ("", "工单1", "GD 1", "x" * 31, "-1"):
        with pytest.raises(InvalidInput, match="order number"):
            order_incident_id(bad)
