"""The reporter key (only its hash kept), the near-boundary flag on whole incidents, and points given in a datum."""

from __future__ import annotations

import hashlib

import pytest

from gridmap.errors import Forbidden, InvalidInput
from gridmap.geo.crs import Datum, from_wgs84
from gridmap.incidents.intake import check_reporter_key, hash_reporter_key, move_pin, open_incident, point_in_wgs84
from gridmap.incidents.routing import route_report
from tests.incidents.test_intake import G1, G2, T0, opened

KEY = "5b0e7d0c-secret-of-one-report"


def test_only_the_hash_of_the_key_is_kept_and_only_the_key_passes() -> None:
    request, route = opened()
    incident = open_incident(
        incident_id="I-1", request=request, route=route, reporter="居民", role="resident", at=T0, reporter_key=KEY
    )
    assert incident.reporter_key_hash == hashlib.sha256(KEY.encode()).hexdigest() == hash_reporter_key(KEY)
    assert KEY not in repr(incident)
    check_reporter_key(incident, KEY)
    with pytest.raises(Forbidden, match="does not match"):
        check_reporter_key(incident, KEY + "x")
    with pytest.raises(Forbidden, match="X-Reporter-Key"):
        check_reporter_key(incident, None)
    keyless = open_incident(incident_id="I-2", request=request, route=route, reporter="居民", role="resident", at=T0)
    assert keyless.reporter_key_hash is None
    with pytest.raises(Forbidden):
        check_reporter_key(keyless, KEY)
    for bad in ("short", "k" * 201):
        with pytest.raises(InvalidInput, match="16-200 characters"):
            hash_reporter_key(bad)


def test_the_near_boundary_flag_follows_the_route_and_the_pin() -> None:
    request, route = opened()  # 0.002 degrees (about 200 m) from G1's edges
    incident = open_incident(incident_id="I-1", request=request, route=route, reporter="居民", role="resident", at=T0)
    assert incident.near_boundary is False and incident.boundary_distance_m == pytest.approx(route.boundary_distance_m)
    assert incident.boundary_distance_m is not None and incident.boundary_distance_m > 150
    # 0.0001 degrees (about 10 m) west of the line between G1 and G2.
    near, _ = move_pin(incident, 119.5049, 27.46, [G1], actor="张发敏", role="worker", at=T0)
    assert near.near_boundary is True and near.boundary_distance_m is not None and near.boundary_distance_m < 12
    far, _ = move_pin(near, 119.5075, 27.46, [G2], actor="张发敏", role="worker", at=T0)
    assert far.near_boundary is False and far.grid_code == G2.code
    assert far.boundary_distance_m == pytest.approx(route_report(119.5075, 27.46, [G2]).boundary_distance_m)


def test_points_in_a_datum_become_wgs84_and_bad_ones_name_the_field() -> None:
    lon, lat = 119.5, 27.46
    gcj_lon, gcj_lat = (float(v) for v in from_wgs84(lon, lat, Datum.GCJ02))
    back = point_in_wgs84(gcj_lon, gcj_lat, "gcj02")
    assert back == pytest.approx((lon, lat), abs=1e-6)
    assert point_in_wgs84(lon, lat) == (lon, lat)
    with pytest.raises(InvalidInput, match="field 'lat'"):
        point_in_wgs84(lon, 95.0)
    with pytest.raises(InvalidInput, match="field 'lon'"):
        point_in_wgs84(float("nan"), lat)
    with pytest.raises(InvalidInput, match="field 'datum'"):
        point_in_wgs84(lon, lat, "mars")
