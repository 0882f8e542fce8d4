"""MQTT 3.1.1 packet encoding and decoding of messaging.mqttwire (bytes checked against
the specification's layouts)."""

from __future__ import annotations

import pytest

from messaging.mqttwire import (
    MqttProtocolError,
    connack_code,
    connect_packet,
    encode_varint,
    publish_packet,
    split_packets,
    topic_header,
    with_dup,
)


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (2_097_151, b"\xff\xff\x7f"),
        (2_097_152, b"\x80\x80\x80\x01"),
        (268_435_455, b"\xff\xff\xff\x7f"),
    ],
)
def test_remaining_length_varint(n: int, encoded: bytes) -> None:
    assert encode_varint(n) == encoded
    body = b"x" * min(n, 20_000)
    packets, rest = split_packets(b"\x30" + encoded + body)
    if n <= 20_000:  # complete: decoded with the same length
        assert packets == [(0x30, body)]
        assert rest == b""
    else:  # the body is still incomplete: nothing decoded, all kept
        assert packets == []
        assert rest == b"\x30" + encoded + body


@pytest.mark.parametrize("n", [-1, 268_435_456])
def test_remaining_length_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        encode_varint(n)


def test_connect_packet_layout() -> None:
    pkt = connect_packet("c1", clean_session=True, keepalive=30, username="u", password="pw")
    var = (
        b"\x00\x04MQTT"  # protocol name
        + b"\x04"  # level 4 = 3.1.1
        + bytes([0x80 | 0x40 | 0x02])  # user name, password, clean session
        + b"\x00\x1e"  # keepalive 30 s
        + b"\x00\x02c1"
        + b"\x00\x01u"
        + b"\x00\x02pw"
    )
    assert pkt == b"\x10" + bytes([len(var)]) + var


def test_connect_packet_persistent_session_without_credentials() -> None:
    pkt = connect_packet("sim", clean_session=False, keepalive=60)
    assert pkt == b"\x10\x0f\x00\x04MQTT\x04\x00\x00\x3c\x00\x03sim"
    with pytest.raises(ValueError):
        connect_packet("x", password="pw")


def test_publish_packet_qos1_retain_dup() -> None:
    header = topic_header("a/b")
    assert header == b"\x00\x03a/b"
    pkt = publish_packet(header, b"x", 258)
    assert pkt == b"\x32\x08\x00\x03a/b\x01\x02x"
    assert publish_packet(header, b"x", 258, retain=True)[0] == 0x33
    assert publish_packet(header, b"x", 258, dup=True)[0] == 0x3A
    assert with_dup(pkt) == b"\x3a" + pkt[1:]
    big = publish_packet(header, b"y" * 200, 1)
    assert big[:3] == b"\x32\xcf\x01"  # 5 + 2 + 200 = 207 = 0x4f + 0x80, 0x01
    assert split_packets(big) == ([(0x32, big[3:])], b"")


@pytest.mark.parametrize("topic", ["", "a/+/b", "a/#"])
def test_topic_header_rejects_wildcards(topic: str) -> None:
    with pytest.raises(ValueError):
        topic_header(topic)


def test_split_packets_keeps_partial_tail() -> None:
    stream = b"\x40\x02\x00\x01" + b"\xd0\x00" + b"\x40\x02\x00\x02" + b"\x40\x02\x00"
    packets, rest = split_packets(stream)
    assert packets == [(0x40, b"\x00\x01"), (0xD0, b""), (0x40, b"\x00\x02")]
    assert rest == b"\x40\x02\x00"
    more, rest = split_packets(rest + b"\x03")
    assert more == [(0x40, b"\x00\x03")]
    assert rest == b""
    # a remaining length cut inside its varint
    assert split_packets(b"\x30\x80") == ([], b"\x30\x80")
    with pytest.raises(MqttProtocolError):
        split_packets(b"\x30\xff\xff\xff\xff\x01")


def test_connack_codes() -> None:
    assert connack_code((0x20, b"\x00\x00")) == 0
    assert connack_code((0x20, b"\x00\x05")) == 5
    with pytest.raises(MqttProtocolError):
        connack_code((0x40, b"\x00\x01"))
