"""Masking names and phones for exports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.services.household_export import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("陈琴强", "陈**"),
        ("李四", "李**"),
        ("欧阳", "欧**"),
        ("张**", "张**"),
        (" 王五 ", "王**"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_keep_their_first_character(name: str | None, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812340421", "138****0421"),
        ("138****0421", "138****0421"),  # masked already
        ("+8613812340421", "+86*******0421"),
        ("0593-5521234", "059*-***1234"),  # separators stay
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_phones_keep_their_prefix_and_last_four(phone: str | None, expected: str) -> None:
    assert mask_phone(phone) == expected


@given(st.text(alphabet="0123456789", min_size=8, max_size=20))
def test_a_masked_phone_shows_at_most_seven_digits(phone: str) -> None:
    shown = mask_phone(phone)
    assert len(shown) == len(phone)
    assert sum(c.isdigit() for c in shown) == 7
    assert mask_phone(shown) == shown
