"""A rescuer's own view of dispatch: his open offers, and his position as he drives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED
from api.routers.rescue_dispatch import RunEngine
from api.routers.rescue_models import OfferView, Position
from api.security import Principal, Role
from rescue import queries

router = APIRouter(prefix="/api/v1/rescuers/me", tags=["rescue"], responses=AUTHENTICATED)

Rescuer = Annotated[Principal, Depends(require_roles(Role.RESCUER))]


@router.post("/position", status_code=status.HTTP_204_NO_CONTENT)
async def report_position(run_engine: RunEngine, position: Position, principal: Rescuer) -> None:
    if principal.rescuer_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "errors.rescuer.not_a_rescuer")
    rescuer_id = principal.rescuer_id
    await run_engine(lambda engine: engine.report_position(rescuer_id, position.lon, position.lat))


@router.get("/offers", response_model=list[OfferView])
async def my_offers(db: Db, principal: Rescuer) -> list[OfferView]:
    offers = await queries.pending_offers(db, principal.rescuer_id)
    return [OfferView.model_validate(offer) for offer in offers]
