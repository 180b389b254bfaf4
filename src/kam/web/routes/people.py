"""Admin pages for one stakeholder's personal data: look up, export, erase.

Admins only (403 for anyone else). The export is a JSON download (and an audit entry
``person.export``); the erasure asks for confirmation on its own page, where the
admin types the stakeholder id again, and is a POST with the session's CSRF token.
See :mod:`kam.store.erasure` for what is erased where.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.errors import InputError
from kam.store.db import write_connection
from kam.store.erasure import drop_engine_snapshots, erase_person, export_person
from kam.users import record
from kam.web.deps import User, check_csrf, form, state
from kam.web.routes.admin import require_admin
from kam.web.templating import page

__all__ = ["router"]

router = APIRouter(prefix="/admin/people", dependencies=[Depends(require_admin)])


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def people_page(request: Request, user: User, stakeholder_id: str = "") -> HTMLResponse:
    """Find a stakeholder by id; links to export and erase."""
    found = None
    sid = stakeholder_id.strip()
    if sid:
        found = export_person(state(request).store, sid)["stakeholder"]
    return page(request, "admin/people.html", {"sid": sid, "person": found})


@router.get("/{stakeholder_id}/export.json", include_in_schema=False)
def export(request: Request, user: User, stakeholder_id: str) -> Response:
    """Everything about one stakeholder as a JSON download."""
    st = state(request)
    data = export_person(st.store, stakeholder_id)
    with write_connection(st.store.engine) as conn:
        record(
            conn,
            "person.export",
            user_id=user.user_id,
            target=f"stakeholder:{stakeholder_id}",
        )
    name = f"person-{stakeholder_id}.json"
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/{stakeholder_id}/erase", response_class=HTMLResponse, include_in_schema=False
)
def confirm_erase(request: Request, user: User, stakeholder_id: str) -> HTMLResponse:
    """The confirmation step: what will be erased, and a form to confirm."""
    person = export_person(state(request).store, stakeholder_id)
    context = {"sid": stakeholder_id, "person": person["stakeholder"], "confirm": True}
    return page(request, "admin/people.html", context)


@router.post(
    "/{stakeholder_id}/erase",
    response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
    include_in_schema=False,
)
async def erase(request: Request, user: User, stakeholder_id: str) -> HTMLResponse:
    """Erase the stakeholder's name, e-mail and phone once the id is typed again."""
    st = state(request)
    typed = str((await form(request)).get("confirm_id", "")).strip()
    if typed != stakeholder_id:
        raise InputError(
            f"type the stakeholder id {stakeholder_id!r} to confirm the erasure"
        )

    def run() -> object:
        done = erase_person(st.store, stakeholder_id, by=user.user_id)
        drop_engine_snapshots(st.store.url, below=done.data_version)
        return done

    done = await run_in_threadpool(run)
    return page(request, "admin/people.html", {"sid": stakeholder_id, "done": done})
