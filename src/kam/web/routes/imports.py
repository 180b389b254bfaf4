"""Import in the browser: upload, validation report, dry-run counts, confirm.

Admins and analysts import anything; a KAM imports rows of the accounts they may
edit (:func:`kam.access.editable_accounts`), and a file with rows of any other
account is refused naming each one; executives and viewers cannot import.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from kam.access import editable_accounts
from kam.errors import InputError, WorkbookError
from kam.model import Portfolio
from kam.store.repository import ImportSummary
from kam.web import uploads
from kam.web.deps import User, WebState, check_origin, form, state, verify_csrf
from kam.web.sessions import SignedIn
from kam.web.templating import page
from kam.workbook import load_workbook

__all__ = ["router"]

router = APIRouter(prefix="/import")


def _root(st: WebState) -> Path:
    return st.web.upload_dir or uploads.default_root()


def _check(st: WebState, user: SignedIn, path: Path) -> Portfolio:
    """Read and validate the kept file; refuse rows the user may not import."""
    limits = st.settings.limits
    portfolio = load_workbook(
        path,
        limits=limits,
        max_rows=limits.rows_web,
        currency=st.settings.currency,
        known=st.store.known_ids(),
    )
    problems = uploads.kam_scope_problems(
        portfolio, editable_accounts(st.store, user.principal)
    )
    if problems:
        raise WorkbookError("the file has rows you may not import", problems)
    return portfolio


def _report(request: Request, upload: uploads.Upload, exc: WorkbookError) -> Response:
    uploads.save_report(upload.path, exc.problems)
    # The report stays for the download; the file itself is not needed any more.
    upload.path.unlink(missing_ok=True)
    context = {
        "filename": upload.filename,
        "error": str(exc),
        "groups": uploads.grouped(exc.problems),
        "report_id": upload.id,
    }
    return page(request, "import.html", context, status=422)


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def import_form(request: Request, user: User) -> HTMLResponse:
    """The upload form."""
    uploads.refuse_readers(user.role)
    limit = state(request).settings.limits.upload_bytes
    return page(request, "import.html", {"limit_mib": limit // (1024 * 1024)})


@router.post("", response_class=HTMLResponse, include_in_schema=False)
async def import_upload(request: Request, user: User) -> Response:
    """Validate the uploaded file and show what importing it would change."""
    uploads.refuse_readers(user.role)
    st = state(request)
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data") or "boundary=" not in kind:
        verify_csrf(request, user, None)
        raise InputError("send the file as a multipart/form-data upload")
    check_origin(request)
    # The token is checked again once the body is read: it is a field of the form.
    fields, upload = await uploads.receive(
        request, _root(st), user.session_id, limit=st.settings.limits.upload_bytes
    )
    try:
        verify_csrf(request, user, fields.get("csrf_token"))
        replace = fields.get("replace") == "on"
        if replace and user.role == "kam":
            raise InputError("only an analyst or an admin may replace whole sheets")
        try:
            portfolio = await run_in_threadpool(_check, st, user, upload.path)
        except WorkbookError as exc:
            return _report(request, upload, exc)
        summary: ImportSummary = await run_in_threadpool(
            st.store.import_portfolio, portfolio, replace=replace, dry_run=True
        )
    except BaseException:
        uploads.discard(upload.path)
        raise
    context = {
        "filename": upload.filename,
        "upload_id": upload.id,
        "replace": replace,
        "summary": summary,
        "confirmed": False,
    }
    return page(request, "import.html", context)


@router.post("/confirm", response_class=HTMLResponse, include_in_schema=False)
async def import_confirm(request: Request, user: User) -> Response:
    """Import the checked upload (validated again: the store may have changed)."""
    uploads.refuse_readers(user.role)
    st = state(request)
    data = await form(request)
    token = data.get("csrf_token")
    verify_csrf(request, user, token if isinstance(token, str) else None)
    upload_id, filename = str(data.get("upload_id", "")), str(data.get("filename", ""))
    replace = data.get("replace") == "on" and user.role != "kam"
    path = uploads.upload_path(_root(st), user.session_id, upload_id)
    upload = uploads.Upload(upload_id, filename or path.name, path)
    try:
        portfolio = await run_in_threadpool(_check, st, user, path)
    except WorkbookError as exc:
        return _report(request, upload, exc)
    try:
        summary: ImportSummary = await run_in_threadpool(
            st.store.import_portfolio,
            portfolio,
            replace=replace,
            source=f"web:{user.email}:{upload.filename}",
        )
    finally:
        uploads.discard(path)
    context = {
        "filename": upload.filename,
        "summary": summary,
        "replace": replace,
        "confirmed": True,
    }
    return page(request, "import.html", context)


@router.get("/report/{upload_id}.csv", include_in_schema=False)
def import_report(request: Request, upload_id: str, user: User) -> Response:
    """The validation report of one of this session's uploads, as CSV."""
    problems = uploads.load_report(_root(state(request)), user.session_id, upload_id)
    return Response(
        uploads.report_csv(problems),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kam-report.csv"'},
    )
