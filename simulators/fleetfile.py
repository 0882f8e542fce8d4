"""Fleet files: a whole :class:`domain.fleet.Fleet` as msgpack (``.msgpack``) or JSON.

The format follows the file name: ``*.json`` is JSON (readable, larger), anything else
msgpack. Both round-trip exactly (``read_fleet(write_fleet(f)) == f``).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from domain.fleet import Fleet


class FleetFileError(ValueError):
    """The file is not a fleet file."""


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def encode_fleet(fleet: Fleet, json: bool = False) -> bytes:
    return msgspec.json.encode(fleet) if json else msgspec.msgpack.encode(fleet)


def decode_fleet(data: bytes, json: bool = False) -> Fleet:
    try:
        if json:
            return msgspec.json.decode(data, type=Fleet)
        return msgspec.msgpack.decode(data, type=Fleet)
    except msgspec.DecodeError as exc:
        raise FleetFileError(f"not a fleet file: {exc}") from exc


def write_fleet(path: str | Path, fleet: Fleet) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_bytes(encode_fleet(fleet, _is_json(p)))
    tmp.replace(p)
    return p


def read_fleet(path: str | Path) -> Fleet:
    p = Path(path)
    return decode_fleet(p.read_bytes(), _is_json(p))
