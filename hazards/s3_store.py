"""Evidence on S3-compatible object storage (MinIO, Aliyun OSS, Tencent COS, AWS S3):
the drop-in for :class:`hazards.evidence.DiskEvidenceStore`, path-style requests signed
with AWS Signature Version 4 (``UNSIGNED`` payloads are never used: each body's sha256
is signed). Selected by ``LIFTWATCH_HAZARDS__EVIDENCE_STORE=s3``."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import httpx

from domain.errors import UnavailableError
from hazards.errors import HazardError


class StorageFailed(HazardError, UnavailableError):
    """The object store refused or failed a request (HTTP 503: retry later)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature_v4(
    method: str,
    path: str,
    headers: dict[str, str],
    payload_sha256: str,
    secret_key: str,
    region: str,
    amz_date: str,
    service: str = "s3",
) -> tuple[str, str]:
    """(signed header names, signature) of a request without a query string; ``headers``
    are lower-case names with their values (host and x-amz-* included)."""
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            path,
            "",
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256(canonical.encode())])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), day), region), service),
                "aws4_request")  # fmt: skip
    return ";".join(names), hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class S3EvidenceStore:
    """``put``/``get``/``exists`` on ``<endpoint>/<bucket>/<key>``."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self._access_key = access_key
        self._secret_key = secret_key
        self.region = region
        self._client = client or httpx.Client(timeout=30)

    def _request(
        self, method: str, key: str, body: bytes = b"", content_type: str | None = None
    ) -> httpx.Response:
        path = "/" + quote(f"{self.bucket}/{key}", safe="/-_.~")
        host = urlsplit(self.endpoint).netloc
        amz_date = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        digest = _sha256(body)
        headers = {"host": host, "x-amz-content-sha256": digest, "x-amz-date": amz_date}
        if content_type:
            headers["content-type"] = content_type
        signed, signature = signature_v4(
            method, path, headers, digest, self._secret_key, self.region, amz_date
        )
        scope = f"{amz_date[:8]}/{self.region}/s3/aws4_request"
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return self._client.request(method, self.endpoint + path, headers=headers, content=body)

    def put(self, key: str, data: bytes, media_type: str) -> None:
        r = self._request("PUT", key, data, media_type)
        if r.status_code != 200:
            raise StorageFailed(f"object store PUT {key}: HTTP {r.status_code}")

    def get(self, key: str) -> bytes:
        r = self._request("GET", key)
        if r.status_code != 200:
            raise StorageFailed(f"object store GET {key}: HTTP {r.status_code}")
        return r.content

    def exists(self, key: str) -> bool:
        r = self._request("HEAD", key)
        if r.status_code not in (200, 404):
            raise StorageFailed(f"object store HEAD {key}: HTTP {r.status_code}")
        return r.status_code == 200
