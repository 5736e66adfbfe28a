"""NUL characters refused at the edge (gridmap.api.text_guard): where the message points, and what passes."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.api.conftest import assert_problem
from tests.boundary_builders import LAT0, LON0, STEP

REPORT = {
    "category": "noise_livestock",
    "lon": str(LON0 + STEP / 2),
    "lat": str(LAT0 + STEP / 2),
    "description": "牛棚吵",
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "black").save(out, format="PNG")  # pixels of zeros: NUL bytes in the file
    return out.getvalue()


def test_a_nested_json_field_is_named_by_its_path(client: TestClient) -> None:
    body = {"type": "red_station", "k": 1, "candidates": [[119.5, 27.4]], "extra": {"notes": ["ok", "a\x00b"]}}
    problem = assert_problem(client.post("/api/v1/lifecircle/sites", json=body), 400)
    assert problem["detail"].startswith("body field extra.notes[1] holds a NUL character")


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client: TestClient) -> None:
    # The text `\u0000` (six characters) is harmless: the refusal is for the character, not for its spelling.
    response = client.post("/api/v1/incidents", json={**REPORT, "description": "\\u0000"})
    assert response.status_code == 201, response.text


def test_a_url_encoded_form_field_is_named(client: TestClient) -> None:
    problem = assert_problem(client.post("/open311/v2/requests.json", data={**REPORT, "address_string": "x\x00"}), 400)
    assert problem["detail"].startswith("form field 'address_string' holds a NUL character")


def test_photos_full_of_nul_bytes_pass_while_the_text_fields_are_watched(client: TestClient) -> None:
    files = {"photos": ("cow.png", _png(), "image/png")}
    accepted = client.post("/api/v1/incidents/reports", data=REPORT, files=files)
    assert accepted.status_code == 201, accepted.text
    refused = client.post("/api/v1/incidents/reports", data={**REPORT, "address": "门\x00口"}, files=files)
    assert assert_problem(refused, 400)["detail"].startswith("form field 'address' holds a NUL character")


def test_a_nul_in_a_form_field_name_is_refused_too(client: TestClient) -> None:
    # Written by hand: HTTP clients escape control characters in field names, an attacker need not.
    body = (
        b'--cut\r\nContent-Disposition: form-data; name="category"\r\n\r\nnoise_livestock\r\n'
        b'--cut\r\nContent-Disposition: form-data; name="odd\x00name"\r\n\r\nx\r\n--cut--\r\n'
    )
    headers = {"Content-Type": "multipart/form-data; boundary=cut"}
    refused = client.post("/api/v1/incidents/reports", content=body, headers=headers)
    assert assert_problem(refused, 400)["detail"].startswith("form field 'oddname' holds a NUL character")
