from __future__ import annotations

import math
from pathlib import Path

import msgspec
import pytest

from domain.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from domain.telemetry import StatusMessage, parse_topic, status_topic
from liftwatch.settings import Settings, SettingsError
from messaging.client import MqttEndpoint, MqttUrlError
from storage.errors import MigrationError
from storage.migrate import Backend, Migration, discover, plan


def test_haversine_known_distance() -> None:
    # Guangzhou Tower to Baiyun airport terminal 2 is about 30.5 km as the crow flies.
    d = haversine_m(113.3245, 23.1064, 113.3080, 23.3924)
    assert 31_000 < d < 32_500


def test_gcj02_offset_is_hundreds_of_metres_and_invertible() -> None:
    lon, lat = 113.2644, 23.1291
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = haversine_m(lon, lat, glon, glat)
    assert 200 < shift < 800
    back = gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, *back) < 0.5
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


def test_topics_round_trip_and_reject_other_shapes() -> None:
    assert parse_topic(status_topic("T123")) == ("T123", "status")
    for bad in (
        "liftwatch/v1/T1",
        "liftwatch/v1/T1/status/x",
        "other/v1/T1/status",
        "liftwatch/v1//status",
        "liftwatch/v1/T1/telemetry",
    ):
        assert parse_topic(bad) is None


def test_status_message_rejects_wrong_types() -> None:
    good = (
        b'{"v":1,"seq":1,"ts":1700000000000,"car":"stopped","dir":"none","floor":3,'
        b'"door_zone":true,"door":"closed","passenger":false,"mode":"normal"}'
    )
    msg = msgspec.json.decode(good, type=StatusMessage)
    assert msg.floor == 3
    assert msg.analog == {}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(good.replace(b'"floor":3', b'"floor":"3"'), type=StatusMessage)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(good.replace(b'"door":"closed"', b'"door":"ajar"'), type=StatusMessage)


def test_settings_refuse_missing_secret_outside_demo(tmp_path: Path) -> None:
    s = Settings(database_url="postgres://u@h/db", data_dir=tmp_path)
    assert s.database_url == "postgresql://u@h/db"
    with pytest.raises(SettingsError):
        s.jwt_secret()
    with pytest.raises(SettingsError):
        Settings(api={"jwt_secret": "short"}).jwt_secret()
    demo = s.model_copy(update={"embedded": True})
    assert demo.jwt_secret() == demo.jwt_secret()  # persisted, stable across calls
    assert len(demo.jwt_secret()) >= 32


def test_settings_read_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFTWATCH_INGEST__BATCH_SIZE", "123")
    monkeypatch.setenv("LIFTWATCH_DETECTION__ENTRAPMENT_S", "25")
    s = Settings()
    assert s.ingest.batch_size == 123
    assert math.isclose(s.detection.entrapment_s, 25.0)


def test_settings_reject_bad_urls() -> None:
    with pytest.raises(ValueError):
        Settings(database_url="mysql://x")
    with pytest.raises(ValueError):
        Settings(mqtt_url="http://x")
    with pytest.raises(MqttUrlError):
        MqttEndpoint.parse("mqtt://")
    ep = MqttEndpoint.parse("mqtt://term%2F1:p%40ss@broker:1884")
    assert (ep.host, ep.port, ep.username, ep.password) == ("broker", 1884, "term/1", "p@ss")


def test_migration_plan_picks_backend_variant() -> None:
    ms = discover()
    versions = [m.version for m in ms]
    assert versions == sorted(versions)
    plain = plan(ms, Backend.PLAIN)
    ts = plan(ms, Backend.TIMESCALE)
    assert len(plain) == len(ts) == len(set(versions))
    assert {m.variant for m in plain} <= {"", "plain"}
    assert {m.variant for m in ts} <= {"", "timescale"}


def test_migration_plan_rejects_ambiguous_versions() -> None:
    ms = [Migration(1, "a", "", "x"), Migration(1, "a", "plain", "y")]
    with pytest.raises(MigrationError):
        plan(ms, Backend.PLAIN)
    with pytest.raises(MigrationError):
        plan([Migration(2, "b", "timescale", "x")], Backend.PLAIN)
