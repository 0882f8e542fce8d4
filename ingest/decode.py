"""Raw MQTT messages -> validated, elevator-resolved messages or dead letters.

This is the per-message hot path: one dict lookup for the topic kind, one msgspec
decode, one registry lookup and the range checks of :mod:`domain.validation`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import msgspec

from domain.telemetry import EventMessage, OnlineMessage, StatusMessage
from domain.validation import (
    DeadLetterReason,
    Limits,
    check_event,
    check_online,
    check_status,
    classify_decode_error,
)
from ingest.registry import ElevatorRef, ElevatorRegistry

Buffer = bytes | bytearray
log = logging.getLogger(__name__)

# (topic bytes, payload, mid, qos, connection generation, received at ms)
Incoming = tuple[Buffer, Buffer, int, int, int, int]

STATUS, EVENT, ONLINE = 0, 1, 2
_KINDS = {"status": STATUS, "event": EVENT, "online": ONLINE}
_WANT_TOPIC = "want <root>/<terminal>/<kind>"


@dataclass(frozen=True)
class DeadLetter:
    received_ms: int
    topic: str
    reason: DeadLetterReason
    detail: str
    payload: bytes | bytearray
    size: int


@dataclass
class Decoded:
    # (elevator, message, received at ms, topic)
    statuses: list[tuple[ElevatorRef, StatusMessage, int, str]] = field(default_factory=list)
    events: list[tuple[ElevatorRef, EventMessage, int, str]] = field(default_factory=list)
    online: list[tuple[ElevatorRef, OnlineMessage, int, str]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    # Messages from a terminal id not (yet) in the registry: (incoming, terminal, kind, message)
    unknown: list[tuple[Incoming, str, str, int, object]] = field(default_factory=list)


class MessageDecoder:
    def __init__(
        self,
        registry: ElevatorRegistry,
        topic_root: str,
        max_payload_bytes: int,
        dead_letter_payload_bytes: int,
        max_future_s: float,
        max_past_s: float,
    ) -> None:
        self.registry = registry
        self._prefix = topic_root.rstrip("/") + "/"
        self._max_payload = max_payload_bytes
        self._keep = dead_letter_payload_bytes
        self._future_ms = int(max_future_s * 1000)
        self._past_ms = int(max_past_s * 1000)
        self._cursor = 0
        self._status_decoder = msgspec.json.Decoder(StatusMessage)
        self._decoders: tuple[msgspec.json.Decoder[object], ...] = (
            msgspec.json.Decoder(StatusMessage),
            msgspec.json.Decoder(EventMessage),
            msgspec.json.Decoder(OnlineMessage),
        )

    def limits(self, now_ms: int) -> Limits:
        return Limits(now_ms, self._future_ms, self._past_ms)

    def dead(self, item: Incoming, topic: str, reason: DeadLetterReason, detail: str) -> DeadLetter:
        payload = item[1]
        return DeadLetter(
            item[5], topic, reason, detail[:1000], payload[: self._keep], len(payload)
        )

    def decode(self, items: list[Incoming], now_ms: int, out: Decoded) -> None:
        """Sort ``items`` into ``out``. A message that makes the decoder itself fail (a
        bug, not bad input) is dead-lettered as ``unprocessable``: it must not stop
        ingest, nor be redelivered forever."""
        start = 0
        while start < len(items):
            try:
                self._decode_from(items, start, now_ms, out)
                return
            except Exception as exc:
                item = items[self._cursor]
                log.exception("decoder failed on a message")
                topic = bytes(item[0]).decode(errors="replace")
                out.dead.append(self.dead(item, topic, DeadLetterReason.UNPROCESSABLE, repr(exc)))
                start = self._cursor + 1

    def _decode_from(self, items: list[Incoming], start: int, now_ms: int, out: Decoded) -> None:
        limits = self.limits(now_ms)
        prefix = self._prefix
        prefix_length = len(prefix)
        kinds = _KINDS
        decoders = self._decoders
        by_terminal = self.registry.by_terminal
        max_payload = self._max_payload
        status_decode = self._status_decoder.decode
        append_status = out.statuses.append
        for i in range(start, len(items)):
            self._cursor = i
            item = items[i]
            payload = item[1]
            routed = self._route(item, max_payload, prefix, prefix_length, kinds, out)
            if routed is None:
                continue
            topic, terminal, kind = routed
            if kind == ONLINE and not payload:
                continue  # a retained online message being cleared: nothing to store
            try:
                message: object
                if kind == STATUS:
                    message = status_decode(payload)
                else:
                    message = decoders[kind].decode(payload)
            except msgspec.DecodeError as exc:
                bad = classify_decode_error(str(exc), payload)
                out.dead.append(self.dead(item, topic, bad.reason, bad.detail))
                continue
            ref = by_terminal.get(terminal)
            if ref is None:
                out.unknown.append((item, topic, terminal, kind, message))
            elif kind == STATUS:  # the common case, inline
                assert isinstance(message, StatusMessage)
                rejected = check_status(message, limits, ref.lowest_floor, ref.highest_floor)
                if rejected is None:
                    append_status((ref, message, item[5], topic))
                else:
                    out.dead.append(self.dead(item, topic, rejected.reason, rejected.detail))
            else:
                self._check(item, topic, ref, kind, message, limits, out)

    def _route(
        self,
        item: Incoming,
        max_payload: int,
        prefix: str,
        prefix_length: int,
        kinds: dict[str, int],
        out: Decoded,
    ) -> tuple[str, str, int] | None:
        """The message's topic, terminal and kind; ``None`` when it is dead-lettered."""
        payload = item[1]
        try:
            topic = item[0].decode()
        except UnicodeDecodeError:
            topic = item[0].decode(errors="replace")
            out.dead.append(self.dead(item, topic, DeadLetterReason.BAD_TOPIC, "not UTF-8"))
            return None
        if len(payload) > max_payload:
            detail = f"{len(payload)} > {max_payload}"
            out.dead.append(self.dead(item, topic, DeadLetterReason.OVERSIZED, detail))
            return None
        parts = topic[prefix_length:].split("/") if topic.startswith(prefix) else []
        kind = kinds.get(parts[1]) if len(parts) == 2 and parts[0] else None
        if kind is None:
            out.dead.append(self.dead(item, topic, DeadLetterReason.BAD_TOPIC, _WANT_TOPIC))
            return None
        return topic, parts[0], kind

    def _check(
        self,
        item: Incoming,
        topic: str,
        ref: ElevatorRef,
        kind: int,
        message: object,
        limits: Limits,
        out: Decoded,
    ) -> None:
        if kind == STATUS:
            assert isinstance(message, StatusMessage)
            bad = check_status(message, limits, ref.lowest_floor, ref.highest_floor)
            if bad is None:
                out.statuses.append((ref, message, item[5], topic))
                return
        elif kind == EVENT:
            assert isinstance(message, EventMessage)
            bad = check_event(message, limits, ref.lowest_floor, ref.highest_floor)
            if bad is None:
                out.events.append((ref, message, item[5], topic))
                return
        else:
            assert isinstance(message, OnlineMessage)
            bad = check_online(message, limits)
            if bad is None:
                out.online.append((ref, message, item[5], topic))
                return
        out.dead.append(self.dead(item, topic, bad.reason, bad.detail))

    def resolve_unknown(self, now_ms: int, out: Decoded) -> None:
        """Second chance for unknown terminals (after a registry reload); the rest are
        dead-lettered."""
        pending, out.unknown = out.unknown, []
        limits = self.limits(now_ms)
        by_terminal = self.registry.by_terminal
        for item, topic, terminal, kind, message in pending:
            ref = by_terminal.get(terminal)
            if ref is None:
                out.dead.append(
                    self.dead(
                        item, topic, DeadLetterReason.UNKNOWN_ELEVATOR, f"terminal {terminal!r}"
                    )
                )
            else:
                self._check(item, topic, ref, kind, message, limits, out)
