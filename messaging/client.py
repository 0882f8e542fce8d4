"""paho-mqtt 2 clients built from an ``mqtt://`` URL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode


class MqttUrlError(ValueError):
    """The MQTT URL is malformed."""


@dataclass(frozen=True)
class MqttEndpoint:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> MqttEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise MqttUrlError(f"not an mqtt:// URL: {url!r}")
        return cls(
            host=parts.hostname,
            port=parts.port or 1883,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def new_client(
    url: str,
    client_id: str = "",
    *,
    clean_session: bool = True,
    manual_ack: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> mqtt.Client:
    """A paho client (MQTT 3.1.1) configured, not yet connected."""
    ep = MqttEndpoint.parse(url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session if client_id else True,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    user = username or ep.username
    if user:
        client.username_pw_set(user, password or ep.password)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client


def connect(client: mqtt.Client, url: str, keepalive: int = 30) -> None:
    ep = MqttEndpoint.parse(url)
    client.connect(ep.host, ep.port, keepalive=keepalive)


class Publisher:
    """A connected client publishing from any thread; reconnects by itself."""

    def __init__(self, url: str, client_id: str = "") -> None:
        self._client = new_client(url, client_id)
        self._connected = threading.Event()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._url = url

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        props: object = None,
    ) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        props: object = None,
    ) -> None:
        self._connected.clear()

    def start(self, wait_s: float = 5.0) -> bool:
        ep = MqttEndpoint.parse(self._url)
        self._client.connect_async(ep.host, ep.port, keepalive=30)
        self._client.loop_start()
        return self._connected.wait(wait_s)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
