"""The S3-compatible evidence store: AWS's published Signature V4 example, and a round
trip against an in-memory object store that checks every request's signature."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from hazards.config import HazardSettings
from hazards.evidence import DiskEvidenceStore, store_for
from hazards.s3_store import S3EvidenceStore, StorageFailed, signature_v4

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_signature_matches_the_aws_documented_example() -> None:
    # "GET Object" example of the S3 API reference (Signature Version 4, header auth).
    empty = hashlib.sha256(b"").hexdigest()
    headers = {
        "host": "examplebucket.s3.amazonaws.com",
        "range": "bytes=0-9",
        "x-amz-content-sha256": empty,
        "x-amz-date": "20130524T000000Z",
    }
    signed, signature = signature_v4(
        "GET", "/test.txt", headers, empty, SECRET, "us-east-1", "20130524T000000Z"
    )
    assert signed == "host;range;x-amz-content-sha256;x-amz-date"
    assert signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


class FakeS3:
    """Objects in a dict; refuses a request whose signature or body hash is wrong."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        if request.headers["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
            return httpx.Response(400)
        auth = request.headers["authorization"]
        match = re.search(r"SignedHeaders=([^,]+), Signature=(\w+)", auth)
        assert match is not None
        names = match.group(1).split(";")
        headers = {n: request.headers[n] for n in names}
        _, expected = signature_v4(
            request.method, request.url.raw_path.decode(), headers,
            request.headers["x-amz-content-sha256"], SECRET, "cn-south-1",
            request.headers["x-amz-date"],
        )  # fmt: skip
        if match.group(2) != expected:
            return httpx.Response(403)
        key = request.url.path
        if request.method == "PUT":
            self.objects[key] = body
            return httpx.Response(200)
        if key not in self.objects:
            return httpx.Response(404)
        return httpx.Response(200, content=b"" if request.method == "HEAD" else self.objects[key])


def test_round_trip_on_a_signature_checking_store() -> None:
    fake = FakeS3()
    client = httpx.Client(transport=httpx.MockTransport(fake))
    store = S3EvidenceStore("http://minio:9000", "evidence", "AKID", SECRET, "cn-south-1", client)
    png = b"\x89PNG\r\n\x1a\n" + b"\1" * 40
    store.put("12/abc.png", png, "image/png")
    assert fake.objects == {"/evidence/12/abc.png": png}
    assert store.get("12/abc.png") == png
    assert store.exists("12/abc.png")
    assert not store.exists("12/none.png")
    wrong = S3EvidenceStore("http://minio:9000", "evidence", "AKID", "bad", "cn-south-1", client)
    with pytest.raises(StorageFailed):
        wrong.put("12/x.png", png, "image/png")


def test_the_settings_choose_the_store(tmp_path: object) -> None:
    assert isinstance(store_for(HazardSettings()), DiskEvidenceStore)
    s3 = HazardSettings(evidence_store="s3", s3_endpoint="http://127.0.0.1:9000")
    assert isinstance(store_for(s3), S3EvidenceStore)
    with pytest.raises(ValueError, match="S3_ENDPOINT"):
        store_for(HazardSettings(evidence_store="s3"))
