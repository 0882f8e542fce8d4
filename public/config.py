"""Settings of the public pages: rate limits, caps and the answer deadlines."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PublicSettings(BaseModel):
    # The URL printed in the QR code: <base_url>/e/<code>.
    base_url: str = "http://127.0.0.1:8000"
    # Token buckets (capacity, refill per minute), kept in the API process.
    reports_per_address: int = Field(5, ge=1)  # reports per client address and minute
    reports_per_elevator: int = Field(20, ge=1)  # reports per elevator code and minute
    views_per_address: int = Field(120, ge=1)  # page and progress reads per address, minute
    # A flood never makes more than this many open tickets per elevator: later reports
    # join the newest open ticket of their kind.
    open_tickets_per_elevator: int = Field(3, ge=1)
    # Public requests hold at most this many database connections at once, and at most
    # ``queue_max`` wait for one (the rest answer 503): logged-in users keep the rest.
    db_slots: int = Field(2, ge=1)
    queue_max: int = Field(16, ge=0)
    # Hours the company has to answer (our design choice, see docs/public.md).
    fault_answer_hours: float = Field(24.0, gt=0)
    complaint_answer_hours: float = Field(72.0, gt=0)
