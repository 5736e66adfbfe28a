"""Open311 GeoReport v2 shapes: services, request items, POST parsing (with GCJ-02) and paging."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gridmap.errors import InvalidInput
from gridmap.geo.crs import wgs84_to_gcj02
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import OPEN311_STATUS, Page, paginate, parse_page, parse_report, request_item, services
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import Status, rate, report, transition

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
TAXONOMY = default_taxonomy()


def make_incident(*, to: list[tuple[Status, str]] | None = None, photos: tuple[str, ...] = ()) -> Incident:
    state, entry = report(actor="居民", role="resident", at=T0)
    trail = [entry]
    for hours, (target, note) in enumerate(to or [], start=1):
        state, entry = transition(
            state, target, actor="张发敏", role="admin", at=T0 + timedelta(hours=hours), note=note
        )
        trail.append(entry)
    return Incident(
        id="I-42",
        category="illegal_construction",
        description="东升大厦内发现抢建",
        lon=119.5105,
        lat=27.4601,
        channel=Channel.PATROL,
        reporter="13800000000",
        state=state,
        audit=tuple(trail),
        community_code="350924100001",
        grid_code="350924100001001",
        address="东升大厦",
        photo_urls=photos,
    )


def test_services_list_every_active_category() -> None:
    listed = services(TAXONOMY)
    assert [s["service_code"] for s in listed] == [c.code for c in TAXONOMY]
    first = listed[0]
    assert first["service_name"].startswith("两违")
    assert first["metadata"] is False
    assert first["type"] == "realtime"
    assert first["group"] == "施工管理"
    assert services(TAXONOMY, language="en")[0]["service_name"] == "Illegal construction and land use"


def test_open311_status_is_open_until_resolved() -> None:
    opened = {s for s, v in OPEN311_STATUS.items() if v == "open"}
    assert opened == {Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS}
    assert set(OPEN311_STATUS) == set(Status)


def test_request_item_shape_and_no_personal_information() -> None:
    item = request_item(make_incident(photos=("https://x.test/p/1.jpg", "https://x.test/p/2.jpg")), TAXONOMY)
    assert item["service_request_id"] == "I-42"
    assert item["status"] == "open"
    assert item["service_code"] == "illegal_construction"
    assert item["requested_datetime"] == "2026-10-05T08:00:00+00:00"
    assert item["updated_datetime"] == item["requested_datetime"]
    assert (item["lat"], item["long"]) == (27.4601, 119.5105)
    assert item["address"] == "东升大厦"
    assert item["media_url"] == "https://x.test/p/1.jpg"
    assert item["agency_responsible"] == "350924100001"
    assert "13800000000" not in repr(item)


def test_a_rejected_request_is_closed_with_the_reason() -> None:
    item = request_item(make_incident(to=[(Status.REJECTED, "不属于本社区")]), TAXONOMY, language="en")
    assert item["status"] == "closed"
    assert item["status_notes"] == "rejected: 不属于本社区"
    assert item["updated_datetime"] == "2026-10-05T09:00:00+00:00"
    assert item["media_url"] is None


def test_parse_report_in_wgs84_with_contact_and_defaults() -> None:
    form = {
        "service_code": "living_environment",
        "lat": "27.46",
        "long": "119.51",
        "description": " 下水道堵了 ",
        "address_string": "环城路33号",
        "email": "a@b.cn",
        "api_key": "ignored",
    }
    parsed = parse_report(form, TAXONOMY)
    assert (parsed.lon, parsed.lat) == (119.51, 27.46)
    assert parsed.description == "下水道堵了"
    assert parsed.address == "环城路33号"
    assert parsed.channel is Channel.APP
    assert parsed.contact == {"email": "a@b.cn"}


def test_parse_report_converts_gcj02_from_wechat() -> None:
    gcj_lon, gcj_lat = wgs84_to_gcj02(119.51, 27.46)
    form = {"service_code": "other", "lat": str(float(gcj_lat)), "long": str(float(gcj_lon)), "datum": "gcj02"}
    parsed = parse_report(form, TAXONOMY)
    assert abs(parsed.lon - 119.51) < 1e-7
    assert abs(parsed.lat - 27.46) < 1e-7
    assert abs(float(gcj_lon) - 119.51) > 1e-3  # the offset was real


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "fire"}, "service_code"),
        ({"lat": ""}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"long": "nan"}, "long"),
        ({"long": "-181"}, "long"),
        ({"datum": "mars"}, "datum"),
        ({"description": "长" * 4001}, "description"),
        ({"channel": "fax"}, "channel"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
    ],
)
def test_parse_report_errors_name_the_field(changes: dict[str, str], field: str) -> None:
    form = {"service_code": "other", "lat": "27.46", "long": "119.51", **changes}
    with pytest.raises(InvalidInput, match=f"field '{field}'"):
        parse_report(form, TAXONOMY)


def test_paging() -> None:
    assert parse_page(None, None) == Page(1, 50)
    page = parse_page("3", "10")
    assert page.offset == 20
    assert paginate(list(range(25)), page) == [20, 21, 22, 23, 24]
    assert paginate(list(range(25)), parse_page(4, 10)) == []
    for page_text, size_text, field in (("0", "10", "page"), ("x", "10", "page"), ("1", "-5", "page_size")):
        with pytest.raises(InvalidInput, match=f"field '{field}'"):
            parse_page(page_text, size_text)
    with pytest.raises(InvalidInput, match="at most 200"):
        parse_page("1", "500")


def test_a_residents_rating_comment_is_not_echoed() -> None:
    closed = make_incident(
        to=[
            (Status.ACCEPTED, ""),
            (Status.DISPATCHED, ""),
            (Status.IN_PROGRESS, ""),
            (Status.RESOLVED, ""),
            (Status.CLOSED, "已拆除"),
        ]
    )
    state, entry = rate(closed.state, 2, actor="居民", role="resident", at=T0 + timedelta(days=2), note="我家电话138")
    rated = replace(closed, state=state, audit=(*closed.audit, entry))
    item = request_item(rated, TAXONOMY)
    assert item["status_notes"] == "closed: 已拆除"
    assert item["updated_datetime"] == "2026-10-07T08:00:00+00:00"
