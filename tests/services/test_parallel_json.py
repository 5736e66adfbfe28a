"""The report's JSON written in pieces across processes is json.dumps's text, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from gridmap.services.parallel import JSON_ITEMS_PER_PIECE, json_text


def _as_json(items: Sequence[Any]) -> list[Any]:
    """Each item mapped on its own, as the report maps problems."""
    return [{"n": item, "名": f"第{item}号", "x": item / 3} for item in items]


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("count", [0, 1, JSON_ITEMS_PER_PIECE, 2 * JSON_ITEMS_PER_PIECE + 5])
@pytest.mark.parametrize("position", ["first", "middle", "last", "alone"])
def test_pieces_join_as_json_dumps_writes_the_whole(jobs: int, count: int, position: str) -> None:
    items = list(range(count))
    around = {"summary": {"errors": 3, "名称": "网格"}, "version": 2}
    keys = {
        "first": ["problems", "summary", "version"],
        "middle": ["summary", "problems", "version"],
        "last": ["summary", "version", "problems"],
        "alone": ["problems"],
    }[position]
    document = {key: items if key == "problems" else around[key] for key in keys}
    whole = {key: _as_json(items) if key == "problems" else value for key, value in document.items()}
    assert json_text(document, "problems", _as_json, jobs) == json.dumps(whole, ensure_ascii=False)
