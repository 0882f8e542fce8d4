"""Where evidence files live: one small interface, a disk implementation.

An S3-compatible store (MinIO, OSS, COS) is a drop-in: an object with the same three
methods, keyed by the same storage keys; the database keeps only the key, the size, the
media type and the sha256, so moving the files moves nothing else."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Protocol

from hazards.config import HazardSettings


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes, media_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def new_key(hazard_id: int, ext: str) -> str:
    """A storage key no caller chooses: ``<hazard>/<random>.<ext>``."""
    return f"{hazard_id}/{secrets.token_hex(16)}{ext}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DiskEvidenceStore:
    """Files under one directory; written to a temporary name and renamed (atomic)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, media_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def store_for(settings: HazardSettings) -> EvidenceStore:
    """The configured store: on disk, or on S3-compatible object storage."""
    if settings.evidence_store == "s3":
        from hazards.s3_store import S3EvidenceStore

        if not settings.s3_endpoint:
            raise ValueError("LIFTWATCH_HAZARDS__S3_ENDPOINT is not set")
        return S3EvidenceStore(
            settings.s3_endpoint,
            settings.s3_bucket,
            settings.s3_access_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
            settings.s3_region,
        )
    return DiskEvidenceStore(settings.evidence_dir)
