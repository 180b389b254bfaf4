"""Workbook uploads: received within a size limit, kept per session, checked.

An upload is streamed to a file under the upload directory, in a folder named after
the session (a hash of its id), so one user's upload or error report is never
reachable from another session. Each upload has a random id; its validation report,
when it has errors, is kept next to it as JSON for the CSV download.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from kam.errors import InputError, NotFoundError, PermissionDenied, Problem
from kam.model import SHEET_ORDER, SHEETS, Portfolio

__all__ = [
    "SUFFIXES",
    "Upload",
    "kam_scope_problems",
    "load_report",
    "receive",
    "report_csv",
    "save_report",
    "upload_path",
]

#: File types the import accepts.
SUFFIXES = (".xlsx", ".csv")
#: Room for the multipart framing and the small fields next to the file.
_FORM_OVERHEAD = 64 * 1024
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CHUNK = 1024 * 1024
#: Text a spreadsheet would run as a formula (design.md §6).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


class Upload:
    """A received upload: its id, the original file name and where it is kept."""

    def __init__(self, upload_id: str, filename: str, path: Path) -> None:
        self.id = upload_id
        self.filename = filename
        self.path = path


def session_dir(root: Path, session_id: str) -> Path:
    """The folder of one session's uploads."""
    return root / hashlib.sha256(session_id.encode()).hexdigest()[:32]


def upload_path(root: Path, session_id: str, upload_id: str) -> Path:
    """The kept file of upload ``upload_id``; NotFoundError if there is none."""
    if not _ID.match(upload_id):
        raise NotFoundError(f"there is no upload {upload_id!r}")
    folder = session_dir(root, session_id) / upload_id
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix.lower() in SUFFIXES:
            return path
    raise NotFoundError(f"there is no upload {upload_id!r}; upload the file again")


def _safe_name(name: str) -> str:
    # The name is kept because a CSV file must be named after its sheet.
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name).name).lstrip(".")
    return base or "upload"


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise InputError(f"the upload is larger than {limit // (1024 * 1024)} MiB")
        yield chunk


async def receive(
    request: Request, root: Path, session_id: str, *, limit: int
) -> tuple[dict[str, str], Upload]:
    """Parse the multipart form of ``request``: its text fields and the file.

    The body is refused once it exceeds ``limit`` bytes (plus the form's framing),
    before it is all read; the file is kept under the session's folder.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _FORM_OVERHEAD:
        raise InputError(f"the upload is larger than {limit // (1024 * 1024)} MiB")
    parser = MultiPartParser(
        request.headers,
        _limited(request, limit + _FORM_OVERHEAD),
        max_files=1,
        max_fields=10,
    )
    try:
        data = await parser.parse()
    except MultiPartException as exc:
        raise InputError(f"the upload could not be read: {exc.message}") from exc
    try:
        fields = {k: v for k, v in data.multi_items() if isinstance(v, str)}
        file = data.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            raise InputError("choose a workbook (.xlsx) or a CSV file to upload")
        name = Path(file.filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise InputError(
                f"file {name!r} is not a workbook: expected {' or '.join(SUFFIXES)}"
            )
        upload_id = secrets.token_urlsafe(18)
        folder = session_dir(root, session_id) / upload_id
        folder.mkdir(parents=True)
        path = folder / _safe_name(name)
        try:
            await _copy(file, path, limit)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return fields, Upload(upload_id, name, path)
    finally:
        await data.close()


async def _copy(file: UploadFile, path: Path, limit: int) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := await file.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise InputError(
                    f"the upload is larger than {limit // (1024 * 1024)} MiB"
                )
            out.write(chunk)
    if written == 0:
        raise InputError("the uploaded file is empty")


def default_root() -> Path:
    """Where uploads are kept when no folder is configured."""
    return Path(tempfile.gettempdir()) / "kam-uploads"


def discard(path: Path) -> None:
    """Remove a kept upload and its report."""
    shutil.rmtree(path.parent, ignore_errors=True)


def save_report(path: Path, problems: list[Problem]) -> None:
    """Keep the validation report of the upload at ``path`` next to it."""
    rows = [p.as_dict() for p in problems]
    (path.parent / "report.json").write_text(json.dumps(rows), encoding="utf-8")


def load_report(root: Path, session_id: str, upload_id: str) -> list[Problem]:
    """The kept report of an upload of this session."""
    if not _ID.match(upload_id):
        raise NotFoundError(f"there is no report {upload_id!r}")
    path = session_dir(root, session_id) / upload_id / "report.json"
    if not path.is_file():
        raise NotFoundError(f"there is no report {upload_id!r}; upload the file again")
    rows = json.loads(path.read_text(encoding="utf-8"))
    fields = ("message", "sheet", "row", "column", "value", "expected", "severity")
    return [Problem(**{k: r.get(k) for k in fields if k in r}) for r in rows]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A leading quote keeps a spreadsheet from running the text as a formula.
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_csv(problems: list[Problem]) -> str:
    """The report as CSV: sheet, row, column, value, expected, message."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["sheet", "row", "column", "value", "expected", "message"])
    for p in problems:
        writer.writerow(
            [
                _cell(v)
                for v in (p.sheet, p.row, p.column, p.value, p.expected, p.message)
            ]
        )
    return out.getvalue()


def grouped(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems by sheet, sheets in workbook order, file-level problems first."""
    order = {name: i for i, name in enumerate(SHEET_ORDER)}
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.sheet or "File", []).append(p)
    return dict(
        sorted(
            groups.items(),
            key=lambda kv: order.get(kv[0], -1 if kv[0] == "File" else 99),
        )
    )


def kam_scope_problems(
    portfolio: Portfolio, editable: frozenset[str] | None
) -> list[Problem]:
    """Why a KAM may not import ``portfolio``: one problem per foreign account.

    ``editable`` is :func:`kam.access.editable_accounts` of the user (None = all).
    Sheets that are not about one account (Team, Products, ...) are portfolio-wide
    and refused as a whole.
    """
    if editable is None:
        return []
    problems: list[Problem] = []
    for name in SHEET_ORDER:
        table = portfolio.tables.get(name)
        if table is None or not len(table):
            continue
        if name != "Accounts" and not SHEETS[name].account_scoped:
            problems.append(
                Problem(
                    f"sheet {name} is portfolio-wide; only an analyst or an admin "
                    "may import it",
                    sheet=name,
                )
            )
            continue
        foreign = sorted(
            {str(a) for a in table.data["account_id"] if str(a) not in editable}
        )
        for account_id in foreign:
            problems.append(
                Problem(
                    f"account {account_id} is not one of yours; you may import "
                    "rows of your own accounts only",
                    sheet=name,
                    column="account_id",
                    value=account_id,
                    expected="an account you own or edit",
                )
            )
    return problems


def refuse_readers(role: str) -> None:
    """PermissionDenied for roles that may not import at all."""
    if role not in ("admin", "analyst", "kam"):
        raise PermissionDenied(f"a user with role {role} cannot import data")
