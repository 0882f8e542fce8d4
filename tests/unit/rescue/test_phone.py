"""The rescuer's phone, pure parts: navigation links in GCJ-02 and the arrival flag."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from domain.geo import haversine_m, wgs84_to_gcj02
from rescue.config import DispatchSettings
from rescue.model import PhonePosition, RescueCase
from rescue.phone import navigation
from rescue.progress import arrival_of

LON, LAT = 113.33, 23.13
NOW = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
CASE = RescueCase(
    id=1, elevator_id=1, elevator_code="44010100001", district="Tianhe", address="天河路 1 号",
    company_id=1, source="hotline", state="accepted", tier=1, rescuer_id=11,
    people_trapped=2, caller_phone="13800138000", alarm_id=None, trapped_since=NOW,
    reported_at=NOW, decided_at=NOW, accepted_at=NOW, arrived_at=None, released_at=None,
    closed_at=None, arrival_due_at=None, insurance_flag=False, fire_service=False,
    lon=LON, lat=LAT,
)  # fmt: skip


def test_navigation_opens_amap_and_baidu_at_the_gcj02_position() -> None:
    nav = navigation(LON, LAT, "天河路 1 号")
    glon, glat = wgs84_to_gcj02(LON, LAT)
    assert (nav.lon, nav.lat) == (round(glon, 6), round(glat, 6))
    assert haversine_m(nav.lon, nav.lat, LON, LAT) > 100  # the datum shift is real
    amap = urlsplit(nav.amap)
    assert (amap.netloc, amap.path) == ("uri.amap.com", "/marker")
    query = parse_qs(amap.query)
    assert query["position"] == [f"{nav.lon},{nav.lat}"]
    assert query["coordinate"] == ["gaode"]
    assert query["name"] == ["天河路 1 号"]
    baidu = parse_qs(urlsplit(nav.baidu).query)
    assert baidu["location"] == [f"{nav.lat},{nav.lon}"]  # Baidu: latitude first
    assert baidu["coord_type"] == ["gcj02"]
    assert nav.baidu_app.startswith("baidumap://map/marker?")


def test_an_arrival_beyond_the_radius_is_flagged() -> None:
    settings = DispatchSettings()
    near = arrival_of(settings, CASE, PhonePosition(LON, LAT + 150 / 111_195))
    far = arrival_of(settings, CASE, PhonePosition(LON, LAT + 250 / 111_195))
    assert (near.far, far.far) == (False, True)
    assert abs(near.distance_m - 150) < 1
    assert abs(far.distance_m - 250) < 1
    wide = arrival_of(
        settings.model_copy(update={"arrival_radius_m": 300}),
        CASE,
        PhonePosition(LON, LAT + 250 / 111_195),
    )
    assert wide.far is False
