"""Settings of hazards: grading rules, deadlines by grade, evidence limits, scan rules."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class HazardSettings(BaseModel):
    # Remediation deadlines by grade, days from the report (our design, docs/hazards.md).
    general_days: float = Field(30.0, gt=0, le=365)
    serious_days: float = Field(7.0, gt=0, le=365)
    # Grading: categories and automatic rules that make a hazard serious (重大隐患), after
    # GB 35181-2017 (safety devices failed, used without a valid inspection, ...).
    serious_categories: tuple[str, ...] = (
        "safety_device",
        "brake",
        "door_lock",
        "traction",
        "inspection",
    )
    serious_rules: tuple[str, ...] = ("inspection_expired",)
    # Evidence: photos and PDFs, checked by their first bytes, up to this size.
    evidence_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    evidence_dir: Path = Path(".liftwatch/evidence")
    # Where evidence lives: "disk" (evidence_dir) or "s3" (an S3-compatible object store).
    evidence_store: Literal["disk", "s3"] = "disk"
    s3_endpoint: str = ""  # e.g. http://127.0.0.1:9000 (path-style requests)
    s3_bucket: str = "liftwatch-evidence"
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    # Automatic hazards from the data.
    recurring_faults: int = Field(3, ge=2)  # same fault type this many times ...
    recurring_days: int = Field(30, ge=1)  # ... within this many days
    maintenance_overdue_days: int = Field(15, ge=1)  # past the due date by more than this
    condition_collapse: float = Field(30.0, ge=0, le=100)  # condition index below this
