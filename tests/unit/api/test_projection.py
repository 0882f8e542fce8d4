"""Response models derived from the packages' records (api.projection): a field added
to a record appears in the model without a second edit; what a view leaves out stays
out; the derived models of the routers have exactly their record's fields."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_type_hints

import pytest
from pydantic import BaseModel, ValidationError

from api.projection import fields_of, projection


@dataclass(frozen=True)
class Thing:
    id: int
    name: str
    secret: str
    grade: str
    at: datetime | None


def test_every_field_but_the_left_out_with_the_records_types() -> None:
    model = projection(Thing, "ThingOut", without=("secret",), extra=(bool, False))
    assert list(model.model_fields) == ["id", "name", "grade", "at", "extra"]
    out = model.model_validate(Thing(1, "a", "s", "A", None))
    assert out.model_dump() == {"id": 1, "name": "a", "grade": "A", "at": None, "extra": False}
    with pytest.raises(ValidationError):
        model.model_validate(Thing("x", "a", "s", "A", None))  # type: ignore[arg-type]


def test_a_field_added_to_the_record_appears() -> None:
    hints = get_type_hints(Thing)
    grown = dataclasses.make_dataclass(
        "Grown", [(f.name, hints[f.name]) for f in dataclasses.fields(Thing)] + [("floor", int)]
    )
    schema = projection(grown, "GrownOut", without=("secret",)).model_json_schema()
    assert schema["properties"]["floor"] == {"title": "Floor", "type": "integer"}
    assert "floor" in schema["required"]


def test_types_descriptions_defaults_and_names() -> None:
    model = projection(
        Thing,
        "Narrow",
        ("id", "grade"),
        types={"grade": Literal["A", "B"]},
        descriptions={"grade": "A or B"},
        defaults={"grade": "A"},
    )
    schema = model.model_json_schema()
    assert set(schema["properties"]) == {"id", "grade"}
    assert schema["properties"]["grade"]["enum"] == ["A", "B"]
    assert schema["properties"]["grade"]["description"] == "A or B"
    assert schema["required"] == ["id"]
    with pytest.raises(ValidationError):
        model.model_validate({"id": 1, "grade": "C"})


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="no fields"):
        fields_of(Thing, without=("nope",))
    with pytest.raises(ValueError, match="not fields of the view"):
        projection(Thing, "Bad", ("id",), types={"name": str})


def _fields(model: Any) -> set[str]:
    assert issubclass(model, BaseModel)
    return set(model.model_fields)


def test_the_routers_models_follow_their_records() -> None:
    from alarms.model import AlarmActionRecord, AlarmRecord
    from api.routers import (
        alarms,
        checkin,
        hazards,
        maintenance,
        public,
        public_desk,
        rescuer_app,
        units,
    )
    from hazards.model import Evidence, Hazard, TrailEntry
    from maintenance import model as mm
    from maintenance.checkin import Checkin, TechnicianWorkOrder
    from public.model import PublicElevator, ReportProgress, Ticket
    from rescue.model import ActionOutcome, PhoneCase, PhoneOffer
    from units.model import CheckRecord, Staff, Unit

    def names(record: type[Any], *without: str) -> set[str]:
        return set(fields_of(record, without=without))

    expected = [
        (hazards.HazardOut, names(Hazard, "lon", "lat") | {"overdue"}),
        (hazards.HazardDetailOut, names(Hazard, "lon", "lat") | {"overdue", "trail", "files"}),
        (hazards.TrailOut, names(TrailEntry, "id", "hazard_id")),
        (hazards.EvidenceOut, names(Evidence, "hazard_id", "storage_key")),
        (rescuer_app.OfferCard, names(PhoneOffer)),
        (rescuer_app.CaseCard, names(PhoneCase) | {"navigation"}),
        (rescuer_app.ActionOut, names(ActionOutcome)),
        (checkin.WorkOrderCard, names(TechnicianWorkOrder)),
        (checkin.CheckinOut, names(Checkin, "start_code", "finish_code")),
        (public.PublicPage, names(PublicElevator) | {"code", "code_current"}),
        (public.Progress, names(ReportProgress)),
        (public_desk.TicketOut, names(Ticket) | {"overdue"}),
        (alarms.Alarm, names(AlarmRecord) | {"allowed_actions"}),
        (alarms.AlarmActionRecord, names(AlarmActionRecord)),
        (maintenance.ElevatorScore, names(mm.ElevatorScore)),
        (maintenance.Plan, names(mm.Plan, "updated_at")),
        (maintenance.Record, names(mm.Record)),
        (units.UnitOut, names(Unit)),
        (units.StaffOut, names(Staff, "user_unit_id") | {"certificate_valid"}),
        (units.CheckOut, names(CheckRecord, "user_unit_id", "checklist_id")),
    ]
    for model, fields in expected:
        assert _fields(model) == fields, model
