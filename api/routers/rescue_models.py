"""Response models of the rescue routes: projections of the records in ``rescue.model``.

Each model takes its fields, names and types from the one dataclass of the thing
(``RescueCase``, ``Offer``, ``TimelineEntry``, ``Webhook``, ``Indicator``), so a field is
written once; the tuples in ``rescue.model`` say which fields each view shows.
Request bodies are defined here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from api.projection import projection
from rescue.model import (
    BOARD_FIELDS,
    BOARD_OFFER_FIELDS,
    CASE_FIELDS,
    OFFER_FIELDS,
    TIMELINE_FIELDS,
    Offer,
    RescueCase,
    TimelineEntry,
)

# The models are built at run time; to the type checker they are plain pydantic models
# (routes work on the dataclasses and only turn them into these at the end).
if TYPE_CHECKING:
    Case = BaseModel
    CaseDetail = BaseModel
    OfferView = BaseModel
    TimelineView = BaseModel
    BoardCase = BaseModel
    BoardOffer = BaseModel
else:
    TimelineView = projection(TimelineEntry, "TimelineEntry", TIMELINE_FIELDS)
    OfferView = projection(Offer, "Offer", OFFER_FIELDS)
    Case = projection(RescueCase, "Case", CASE_FIELDS)
    CaseDetail = projection(
        RescueCase,
        "CaseDetail",
        (*CASE_FIELDS, "caller_phone"),
        timeline=(list[TimelineView], ...),
        offers=(list[OfferView], ...),
    )
    BoardOffer = projection(Offer, "BoardOffer", BOARD_OFFER_FIELDS)
    BoardCase = projection(
        RescueCase,
        "BoardCase",
        BOARD_FIELDS,
        timeline=(list[TimelineView], ...),
        offers=(list[BoardOffer] | None, ...),  # None: dispatch offers not deployed
    )


class CallIn(BaseModel):
    """A hotline call names the elevator by ``elevator_code`` or ``address`` (or both)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("elevator_code", "address")
            ]
        }
    )

    elevator_code: str | None = Field(None, min_length=1, max_length=64)
    address: str | None = Field(None, min_length=3, max_length=200)
    caller_phone: str = Field("", max_length=32, pattern=r"^[0-9+\- ]*$")
    people_trapped: int = Field(1, ge=0, le=50)
    note: str = Field("", max_length=2000)


class CaseOpened(BaseModel):
    id: int
    created: bool


class OnBehalf(BaseModel):
    rescuer_id: int | None = Field(None, ge=1, le=2_147_483_647)
    reason: str = Field("", max_length=500)


class Release(OnBehalf):
    people_released: int | None = Field(None, ge=0, le=50)


class Position(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class WebhookIn(BaseModel):
    url: str = Field(min_length=10, max_length=500, pattern=r"^https?://[^\s]+$")
    secret: str = Field(min_length=16, max_length=200)
    company_id: int | None = Field(None, ge=1, le=2_147_483_647)  # admin only
