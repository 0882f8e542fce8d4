"""The field phone pages: ``/rescuer`` (the rescuer's phone) and ``/technician``
(维保签到); static files under /static, the same login as the one-map app."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent.parent / "static"


@router.get("/rescuer")
async def rescuer_page() -> FileResponse:
    return FileResponse(STATIC / "rescuer.html", headers={"Cache-Control": "no-cache"})


@router.get("/technician")
async def technician_page() -> FileResponse:
    return FileResponse(STATIC / "technician.html", headers={"Cache-Control": "no-cache"})
