"""Reports with photos (multipart/form-data) on both backends: metadata stripped, limits, nothing stored on refusal."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from PIL import Image
from sqlalchemy import text

from gridmap.geo.crs import Datum, from_wgs84
from gridmap.store.account_store import Role
from gridmap.store.incident_store import IncidentFilter
from gridmap.store.sql import SqlBoundaryStore
from tests.api.conftest import AppFactory, TestClient, add_token, assert_problem, bearer
from tests.api.test_incidents import COMMUNITY_1, IN_00101
from tests.boundary_builders import LAT0, LON0, STEP
from tests.incidents.test_photos import GPS_IFD, exif_with_gps, image_bytes

REPORTS = "/api/v1/incidents/reports"
MiB = 1024 * 1024
# Large enough for the 9 MiB photo of the per-photo test (the whole-app cap is 1 MB in tests/api/conftest.py).
BIG_UPLOADS = 40 * MiB


def form_fields(where: tuple[float, float] = IN_00101, **values: str) -> dict[str, str]:
    """The text fields of a report of noisy chickens at `where`."""
    lon, lat = where
    return {"category": "noise_livestock", "lon": str(lon), "lat": str(lat), "description": "邻居家的鸡", **values}


def photo_files(*photos: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Files for the `photos` field, as (name, bytes) pairs; the media type sent is deliberately generic."""
    return [("photos", (name, data, "application/octet-stream")) for name, data in photos]


def stored_counts(client: TestClient) -> tuple[int, int]:
    """How many incidents and photo rows the client's store holds."""
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, SqlBoundaryStore)
    incidents = store.list_incidents(IncidentFilter()).matched
    with store.engine.connect() as connection:
        photos = connection.execute(text("SELECT count(*) FROM incident_photos")).scalar_one()
    return incidents, int(photos)


def staff(client: TestClient) -> dict[str, str]:
    """Headers of a worker."""
    return bearer(add_token(client, "张发敏", Role.WORKER))


def test_photos_are_stored_without_exif_and_read_with_a_token(client: TestClient) -> None:
    jpeg = image_bytes("JPEG", size=(64, 48), exif=exif_with_gps())
    with Image.open(io.BytesIO(jpeg)) as sent:
        assert GPS_IFD in sent.getexif()  # the upload really carries a position
    png = image_bytes("PNG", size=(30, 20), mode="RGBA")
    webp = image_bytes("WEBP", size=(20, 30))
    files = photo_files(("IMG_0001.jpg", jpeg), ("截图.png", png), ("photo.webp", webp))
    response = client.post(REPORTS, data=form_fields(), files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    incident_id = body["id"]
    assert body["photos"] == [f"/api/v1/incidents/{incident_id}/photos/{n}" for n in (1, 2, 3)]
    assert (body["grid"], body["status"]) == (f"{COMMUNITY_1}001", "reported")
    assert_problem(client.get(body["photos"][0]), 401)
    headers = staff(client)
    expected = [("image/jpeg", "JPEG", (64, 48)), ("image/png", "PNG", (30, 20)), ("image/webp", "WEBP", (20, 30))]
    for url, (media_type, fmt, size) in zip(body["photos"], expected, strict=True):
        read = client.get(url, headers=headers)
        assert read.status_code == 200 and read.headers["content-type"] == media_type
        with Image.open(io.BytesIO(read.content)) as stored:
            stored.load()
            assert (stored.format, stored.size) == (fmt, size)
            assert len(stored.getexif()) == 0 and "exif" not in stored.info
        assert b"Exif" not in read.content and b"PhoneMaker" not in read.content
    assert_problem(client.get(f"/api/v1/incidents/{incident_id}/photos/4", headers=headers), 404)
    assert_problem(client.get("/api/v1/incidents/no-such/photos/1", headers=headers), 404)
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=headers).json()["photos"] == body["photos"]
    assert stored_counts(client) == (1, 3)


def test_a_form_without_photos_and_in_gcj02_is_a_report_too(client: TestClient) -> None:
    gcj_lon, gcj_lat = (float(v) for v in from_wgs84(*IN_00101, Datum.GCJ02))
    response = client.post(REPORTS, data=form_fields((gcj_lon, gcj_lat), datum="gcj02", channel="app"), files=[])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["photos"] == [] and body["grid"] == f"{COMMUNITY_1}001"
    assert abs(body["lon"] - IN_00101[0]) < 1e-5 and abs(body["lat"] - IN_00101[1]) < 1e-5


def test_four_photos_are_refused_and_nothing_is_stored(client: TestClient) -> None:
    photos = [(f"p{n}.png", image_bytes("PNG")) for n in range(4)]
    body = assert_problem(client.post(REPORTS, data=form_fields(), files=photo_files(*photos)), 422)
    assert "4 photos" in body["detail"] and "at most 3" in body["detail"]
    assert stored_counts(client) == (0, 0)


def test_files_that_are_not_images_or_are_damaged_are_refused_by_name(client: TestClient) -> None:
    good = ("good.png", image_bytes("PNG"))
    not_image = assert_problem(
        client.post(REPORTS, data=form_fields(), files=photo_files(good, ("x.jpg", b"just some text\n"))), 422
    )
    assert "x.jpg" in not_image["detail"] and "not a JPEG, PNG or WebP" in not_image["detail"]
    truncated = image_bytes("JPEG", size=(200, 200))[:300]
    damaged = assert_problem(client.post(REPORTS, data=form_fields(), files=photo_files(("cut.jpg", truncated))), 422)
    assert "cut.jpg" in damaged["detail"]
    assert stored_counts(client) == (0, 0)


def test_an_oversized_photo_is_refused_by_name_and_nothing_is_stored(make_client: AppFactory) -> None:
    client = make_client(max_upload_bytes=BIG_UPLOADS)
    huge = b"\xff\xd8\xff\xe0" + bytes(9 * MiB)  # a JPEG start, 9 MiB: over the 8 MiB a photo may have
    files = photo_files(("good.png", image_bytes("PNG")), ("huge.jpg", huge))
    body = assert_problem(client.post(REPORTS, data=form_fields(), files=files), 413)
    assert "huge.jpg" in body["detail"]
    assert stored_counts(client) == (0, 0)


def test_a_body_over_the_report_limit_is_refused_before_it_is_read(make_client: AppFactory) -> None:
    client = make_client(max_report_bytes=50_000)
    noise = image_bytes("PNG", size=(400, 400), mode="RGB")
    big = Image.effect_noise((300, 300), 80).convert("RGB")
    out = io.BytesIO()
    big.save(out, format="PNG")
    assert len(out.getvalue()) > 50_000 and len(noise) < 50_000
    declared = assert_problem(
        client.post(REPORTS, data=form_fields(), files=photo_files(("noise.png", out.getvalue()))), 413
    )
    assert "max_report_bytes" in declared["detail"]
    # Without a Content-Length (a chunked body) the body is counted as it arrives.
    boundary = "gridmap-test-boundary"

    def chunks() -> Iterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.png"\r\n\r\n'.encode()
        for _ in range(20):
            yield bytes(10_000)
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = client.post(
        REPORTS, content=chunks(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert "max_report_bytes" in assert_problem(chunked, 413)["detail"]
    assert client.post(REPORTS, data=form_fields(), files=photo_files(("small.png", noise))).status_code == 201
    assert stored_counts(client) == (1, 1)


def test_an_idempotent_repeat_with_photos_makes_one_incident(client: TestClient) -> None:
    key = {"Idempotency-Key": "4f1c2d9e-photo-report"}
    files = photo_files(("a.jpg", image_bytes("JPEG")), ("b.png", image_bytes("PNG")))
    first = client.post(REPORTS, data=form_fields(), files=files, headers=key)
    again = client.post(REPORTS, data=form_fields(), files=files, headers=key)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json() == again.json()
    assert stored_counts(client) == (1, 2)
    other_photo = photo_files(("a.jpg", image_bytes("JPEG", size=(41, 20))), ("b.png", image_bytes("PNG")))
    assert_problem(client.post(REPORTS, data=form_fields(), files=other_photo, headers=key), 409)
    # The same key and content sent as JSON (no photos) is other content too.
    json_body: dict[str, Any] = {**form_fields(), "lon": IN_00101[0], "lat": IN_00101[1]}
    assert_problem(client.post("/api/v1/incidents", json=json_body, headers=key), 409)
    assert stored_counts(client) == (1, 2)


def test_refusals_of_the_form_itself(make_client: AppFactory) -> None:
    client = make_client(report_burst=8)
    outside = assert_problem(
        client.post(REPORTS, data=form_fields((LON0 - STEP, LAT0)), files=photo_files(("a.png", image_bytes("PNG")))),
        422,
    )
    assert "outside every grid" in outside["detail"]
    assert_problem(client.post(REPORTS, json=form_fields()), 400)  # not a form
    assert "category" in assert_problem(client.post(REPORTS, data={"lon": "119.5", "lat": "27.45"}), 400)["detail"]
    assert_problem(client.post(REPORTS, data=form_fields(lat="north")), 400)
    assert_problem(client.post(REPORTS, data=form_fields(reporter_key="too-short")), 400)
    assert_problem(client.post(REPORTS, data=form_fields(category="no_such")), 422)
    text_photo = assert_problem(client.post(REPORTS, data={**form_fields(), "photos": "not a file"}), 422)
    assert "photos" in text_photo["detail"]
    many = [(f"p{n}.png", b"x") for n in range(17)]
    assert (
        "cannot be read"
        in assert_problem(client.post(REPORTS, data=form_fields(), files=photo_files(*many)), 400)["detail"]
    )
    assert stored_counts(client) == (0, 0)


def test_photo_reports_are_rate_limited_like_json_reports(make_client: AppFactory) -> None:
    client = make_client(report_burst=1, reports_per_hour=1.0)
    assert client.post(REPORTS, data=form_fields()).status_code == 201
    assert_problem(client.post(REPORTS, data=form_fields()), 429)
    assert_problem(client.post("/api/v1/incidents", json={**form_fields(), "lon": 119.5, "lat": 27.45}), 429)
