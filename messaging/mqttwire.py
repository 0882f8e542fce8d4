"""MQTT 3.1.1 packet encoding and decoding for :mod:`messaging.fastpub` (pure functions).

Only what a QoS 1 publisher needs: CONNECT (user name, password, clean session,
keepalive; no will), PUBLISH at QoS 1 (retain, DUP), splitting a byte stream into
packets, and the CONNACK return code.
"""

from __future__ import annotations

PUBLISH_QOS1 = 0x32  # PUBLISH, QoS 1 (retain bit 0x01, DUP bit 0x08)
PUBACK = 0x40
PINGREQ = b"\xc0\x00"
PINGRESP = 0xD0
DISCONNECT = b"\xe0\x00"
CONNACK = 0x20
MAX_REMAINING = 268_435_455


CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


class MqttProtocolError(ConnectionError):
    """The broker sent something an MQTT 3.1.1 publisher does not expect."""


def encode_varint(n: int) -> bytes:
    """MQTT remaining length: 7 bits a byte, least significant first, high bit = more."""
    if not 0 <= n <= MAX_REMAINING:
        raise ValueError(f"remaining length out of range: {n}")
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(s: bytes) -> bytes:
    if len(s) > 0xFFFF:
        raise ValueError("MQTT string longer than 65535 bytes")
    return len(s).to_bytes(2, "big") + s


def connect_packet(
    client_id: str,
    *,
    clean_session: bool = True,
    keepalive: int = 30,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """CONNECT (MQTT 3.1.1, no will)."""
    if password is not None and username is None:
        raise ValueError("an MQTT password needs a user name")
    flags = (0x02 if clean_session else 0) | (0x80 if username is not None else 0)
    flags |= 0x40 if password is not None else 0
    var = b"\x00\x04MQTT\x04" + bytes([flags]) + keepalive.to_bytes(2, "big")
    var += _string(client_id.encode())
    if username is not None:
        var += _string(username.encode())
    if password is not None:
        var += _string(password.encode())
    return b"\x10" + encode_varint(len(var)) + var


def topic_header(topic: str) -> bytes:
    """The topic as a length-prefixed MQTT string (the start of a PUBLISH body)."""
    if not topic or "+" in topic or "#" in topic:
        raise ValueError(f"not a topic to publish to: {topic!r}")
    return _string(topic.encode())


def publish_packet(
    header: bytes, payload: bytes, mid: int, *, retain: bool = False, dup: bool = False
) -> bytes:
    """PUBLISH at QoS 1; ``header`` from :func:`topic_header`."""
    first = PUBLISH_QOS1 | (0x01 if retain else 0) | (0x08 if dup else 0)
    rest = len(header) + 2 + len(payload)
    return b"".join((bytes((first,)), encode_varint(rest), header, mid.to_bytes(2, "big"), payload))


def with_dup(packet: bytes) -> bytes:
    """The same PUBLISH with the DUP flag set (a resend)."""
    return bytes((packet[0] | 0x08,)) + packet[1:]


def split_packets(buf: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Complete packets ``(first byte, body)`` at the start of ``buf``, and the rest."""
    out: list[tuple[int, bytes]] = []
    i, n = 0, len(buf)
    while i + 2 <= n:
        length, mult, j = 0, 1, i + 1
        while True:
            if j >= n:
                return out, buf[i:]
            b = buf[j]
            length += (b & 0x7F) * mult
            mult <<= 7
            j += 1
            if not b & 0x80:
                break
            if mult > 128**3:
                raise MqttProtocolError("malformed remaining length")
        if j + length > n:
            break
        out.append((buf[i], buf[j : j + length]))
        i = j + length
    return out, buf[i:]


def connack_code(packet: tuple[int, bytes]) -> int:
    first, body = packet
    if first != CONNACK or len(body) != 2:
        raise MqttProtocolError(f"expected CONNACK, got packet type 0x{first:02x}")
    return body[1]
