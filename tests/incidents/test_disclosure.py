"""The k rule: public cells and area counts never show fewer than k incidents; small cells merge upwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.errors import InvalidInput
from gridmap.incidents.disclosure import Disclosure, merge_small_cells, withhold_small_areas
from gridmap.incidents.taxonomy import default_taxonomy, load_taxonomy

cell_counts = st.dictionaries(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), st.integers(1, 12), max_size=40)


@given(cell_counts, st.integers(1, 10))
def test_no_shown_cell_holds_fewer_than_k_and_nothing_is_lost(counts: dict[tuple[int, int], int], k: int) -> None:
    shown, withheld = merge_small_cells(counts, k)
    assert all(cell.count >= k for cell in shown)
    assert sum(cell.count for cell in shown) + withheld == sum(counts.values())
    assert withheld >= 0


@given(cell_counts, st.integers(1, 10))
def test_every_incident_is_in_a_shown_cell_or_withheld(counts: dict[tuple[int, int], int], k: int) -> None:
    shown, withheld = merge_small_cells(counts, k)
    covered = sum(
        count
        for (x, y), count in counts.items()
        if any(x >> cell.level == cell.x and y >> cell.level == cell.y for cell in shown)
    )
    assert covered + withheld == sum(counts.values())


def test_four_small_neighbours_merge_and_a_lonely_one_is_withheld() -> None:
    counts = {(0, 0): 2, (1, 0): 2, (0, 1): 1, (10, 10): 7, (1000, 1000): 1}
    shown, withheld = merge_small_cells(counts, 5, max_levels=3)
    assert {(c.x, c.y, c.level, c.count) for c in shown} == {(10, 10, 0, 7), (0, 0, 1, 5)}
    assert withheld == 1


def test_a_small_group_beside_a_shown_cell_is_shown_with_it() -> None:
    shown, withheld = merge_small_cells({(0, 0): 4, (1, 0): 6, (3, 0): 1}, 5)
    assert [(c.x, c.y, c.level, c.count) for c in shown] == [(0, 0, 2, 11)] and withheld == 0


def test_areas_below_k_are_withheld() -> None:
    shown, withheld = withhold_small_areas({"A": 5, "B": 4, "C": 1}, 5)
    assert shown == {"A": 5} and withheld == 5


@pytest.mark.parametrize(("size", "k"), [(0, 5), (-1, 5), (50, 0)])
def test_disclosure_refuses_a_grid_or_k_that_protects_nobody(size: float, k: int) -> None:
    with pytest.raises(ValueError, match="disclosure"):
        Disclosure(location_m=size, min_group=k)


def test_the_default_taxonomy_marks_person_related_categories_private() -> None:
    private = default_taxonomy().private_codes()
    assert {"neighbour_dispute", "customs", "epidemic_prevention"} <= private
    assert "public_facilities" not in private and "noise_livestock" not in private


def test_a_category_file_may_mark_categories_private(tmp_path: Path) -> None:
    path = tmp_path / "categories.toml"
    path.write_text(
        'extends = "default"\n[[categories]]\ncode = "elevator_installation"\nprivate = true\n'
        '[[categories]]\ncode = "customs"\nprivate = false\n',
        encoding="utf-8",
    )
    private = load_taxonomy(path).private_codes()
    assert "elevator_installation" in private and "customs" not in private and "neighbour_dispute" in private


def test_a_private_flag_must_be_true_or_false(tmp_path: Path) -> None:
    path = tmp_path / "categories.json"
    path.write_text('{"extends": "default", "categories": [{"code": "other", "private": "yes"}]}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="field 'private' must be true or false"):
        load_taxonomy(path)
