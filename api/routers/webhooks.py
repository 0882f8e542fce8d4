"""Webhook subscriptions of maintenance companies to their case events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status

from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT
from api.routers.rescue_models import WebhookIn
from api.security import Principal, Role
from rescue import webhooks
from rescue.model import Webhook

router = APIRouter(prefix="/api/v1/webhooks", tags=["rescue"], responses=AUTHENTICATED)

CompanyOrAdmin = Annotated[Principal, Depends(require_roles(Role.COMPANY))]


def _webhook_company(principal: Principal, named: int | None) -> int:
    if principal.role is Role.COMPANY:
        if principal.company_id is None or named not in (None, principal.company_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "errors.webhooks.own_company")
        return principal.company_id
    if named is None:
        raise HTTPException(422, "errors.webhooks.name_company")
    return named


@router.get("", response_model=list[Webhook])
async def list_webhooks(db: Db, principal: CompanyOrAdmin) -> list[Webhook]:
    return await webhooks.list_webhooks(db, company_scope(principal))


@router.post(
    "", response_model=Webhook, status_code=status.HTTP_201_CREATED, responses=NOT_FOUND_OR_CONFLICT
)
async def add_webhook(
    request: Request, db: Db, principal: CompanyOrAdmin, hook: WebhookIn
) -> Webhook:
    """Subscribe a URL to the company's case events (signed with ``secret``). The URL
    must resolve to public addresses only (loopback, private, link-local, unique-local,
    CGNAT and metadata addresses are refused with 422, here and again at every delivery);
    409: URL already subscribed, or the company's subscription limit reached."""
    company = _webhook_company(principal, hook.company_id)
    settings = request.app.state.config.dispatch
    return await webhooks.add_webhook(db, company, hook.url, hook.secret, settings)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def remove_webhook(
    db: Db, principal: CompanyOrAdmin, webhook_id: Annotated[int, Path(ge=1, le=2**62)]
) -> None:
    await webhooks.remove_webhook(db, webhook_id, company_scope(principal))
