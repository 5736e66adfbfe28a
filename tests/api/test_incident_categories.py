"""A city's own incident categories (GRIDMAP_CATEGORIES_FILE), on both backends: the file's flags decide the field
loop's refusals, its names reach the answers, and a bad file stops the app before it starts (`gridmap serve`:
tests/cli/test_config_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmap.api.app import create_app
from gridmap.errors import InvalidInput
from gridmap.settings import Settings
from tests.api.conftest import AppFactory, assert_problem
from tests.api.test_incident_field_loop import post, reported, staff_headers, step

# Chickens now need a photo of the fix; street lights no longer do, nor a check; one new category.
CITY_CATEGORIES = """
extends = "default"

[[categories]]
code = "noise_livestock"
after_photo = true

[[categories]]
code = "public_facilities"
after_photo = false
check_required = false

[[categories]]
code = "shared_bikes"
name_zh = "共享单车乱停"
name_en = "Shared bikes parked badly"
"""


def categories_file(folder: Path, text: str, name: str = "categories.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_categories_file_sets_which_fixes_need_an_after_photo_and_a_check(
    make_client: AppFactory, tmp_path: Path
) -> None:
    client = make_client(categories_file=categories_file(tmp_path, CITY_CATEGORIES))
    worker, planner = staff_headers(client)
    chickens = reported(client)  # noise_livestock: no after photo by default
    for status in ("accepted", "dispatched", "in_progress"):
        step(client, chickens, status, planner)
    refused = assert_problem(post(client, chickens, "transitions", {"to": "resolved"}, worker), 409)
    assert refused["rule"] == "after_photo_before_resolving"

    lights = reported(client, category="public_facilities", description="路灯不亮")
    for status in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
        body = step(client, lights, status, planner)
    assert body["status"] == "closed"  # neither an after photo nor a check asked for

    services = {
        service["service_code"]: service["service_name"] for service in client.get("/open311/v2/services.json").json()
    }
    assert services["shared_bikes"] == "共享单车乱停"
    bikes = reported(client, category="shared_bikes", description="单车堵住了楼道")
    assert client.get(f"/api/v1/incidents/{bikes}", headers=planner).json()["category"] == "shared_bikes"


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("bad.toml", CITY_CATEGORIES.replace("after_photo = true", 'after_photo = "yes"'), "field 'after_photo'"),
        ("bad.json", '{"categories": [{"code": "lights", "name_zh": "路灯"}]}', "field 'name_en' is required"),
        ("bad.toml", "categories = [", "not valid TOML"),
    ],
)
def test_a_bad_categories_file_stops_start_up_naming_the_file_and_the_field(
    tmp_path: Path, name: str, text: str, words: str
) -> None:
    path = categories_file(tmp_path, text, name)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", categories_file=path)
    with pytest.raises(InvalidInput, match=words) as raised:
        create_app(settings)
    assert str(path) in raised.value.detail
