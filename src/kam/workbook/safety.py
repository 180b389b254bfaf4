"""Checks on an ``.xlsx`` file before any parser sees it.

An ``.xlsx`` file is a zip of XML parts. The parser (calamine) trusts the zip and
allocates whatever the sheets claim, so everything cheap to verify is verified here
first, from the zip central directory and from the first bytes of each part:

* the file size, the zip structure, the number of entries, the declared uncompressed
  sizes and the compression ratio of large entries (zip bombs);
* no XML part may contain a DOCTYPE (entity-expansion bombs and external entities);
* each sheet's ``<dimension ref=...>`` must be within the column and row limits (a
  single stray cell at ``XFD1`` makes calamine allocate tens of GB and abort).

The parse itself still runs in a child process with memory and time limits (see
:mod:`kam.workbook.read`), because a central directory can lie.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kam.config import Limits
from kam.errors import UnsafeFileError

__all__ = ["SheetPart", "check_xlsx", "column_number", "has_doctype"]

MiB = 1024 * 1024
#: How much of each XML part is decompressed to look for a DOCTYPE: a prolog (the
#: part before the root element) longer than this is refused.
PROLOG_BYTES = 64 * 1024
#: How much of a worksheet part is decompressed to find its <dimension>.
DIMENSION_BYTES = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")

_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([^\"']*)[\"']")
_ROOT_SEEN_RE = re.compile(rb"<(?:\w+:)?sheetData\b")
_ELEMENT_RE = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTR_RE = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_RE = re.compile(r"\$?([A-Za-z]{1,3})?\$?(\d+)?")


@dataclass(frozen=True)
class SheetPart:
    """A worksheet as the workbook part lists it: its name and its zip entry."""

    name: str
    part: str


def _mib(n: float) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n:.0f} bytes"


def check_xlsx(
    path: Path,
    *,
    limits: Limits,
    max_rows: int,
    wanted: Callable[[str], bool] | None = None,
) -> list[SheetPart]:
    """Refuse an unsafe or malformed ``.xlsx`` file before parsing it.

    ``wanted`` selects the sheets whose dimensions are checked (the ones that will be
    parsed); all sheets when ``None``. Returns the worksheets of the workbook. Raises
    :class:`UnsafeFileError` naming the reason (and the part) on the first refusal.
    """
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise UnsafeFileError(
            f"{path.name} is {_mib(size)}; the largest workbook accepted is "
            f"{_mib(limits.file_bytes)}"
        )
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsafeFileError(
            f"{path.name} is not an Excel workbook (.xlsx): it looks like an old .xls "
            "or a password-protected file; save it as .xlsx without a password"
        )
    if not magic.startswith(b"PK"):
        raise UnsafeFileError(f"{path.name} is not an Excel workbook (.xlsx)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeFileError(
            f"{path.name} is truncated or damaged: its zip directory cannot be read"
        ) from exc
    with zf:
        infos = zf.infolist()
        _check_directory(infos, limits)
        for info in infos:
            if info.filename.lower().endswith(_XML_SUFFIXES):
                _check_prolog(zf, info)
        sheets = _worksheets(zf)
        for sheet in sheets:
            if wanted is None or wanted(sheet.name):
                _check_dimension(zf, sheet, limits, max_rows)
    return sheets


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.zip_entries:
        raise UnsafeFileError(
            f"the workbook zip has {len(infos)} entries; at most {limits.zip_entries} "
            "are accepted"
        )
    total = 0
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise UnsafeFileError(f"part {name} is encrypted")
        if info.file_size > limits.entry_bytes:
            raise UnsafeFileError(
                f"part {name} unpacks to {_mib(info.file_size)}; at most "
                f"{_mib(limits.entry_bytes)} per part (zip bomb?)"
            )
        if info.file_size > MiB:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.zip_ratio:
                raise UnsafeFileError(
                    f"part {name} is compressed {ratio:.0f}:1; at most "
                    f"{limits.zip_ratio:.0f}:1 is accepted on parts over 1 MiB "
                    "(zip bomb?)"
                )
        total += info.file_size
        if total > limits.unzipped_bytes:
            raise UnsafeFileError(
                f"the workbook unpacks to more than {_mib(limits.unzipped_bytes)} "
                f"(zip bomb?); the limit was passed at part {name}"
            )


def _read_prefix(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Decompress at most ``limit`` bytes of a part (streaming, never the whole)."""
    try:
        with zf.open(info) as fh:
            return _read_bounded(fh, limit)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsafeFileError(
            f"part {info.filename} is truncated or damaged ({exc})"
        ) from exc
    except NotImplementedError as exc:
        raise UnsafeFileError(
            f"part {info.filename} uses a compression method that is not supported"
        ) from exc
    except RuntimeError as exc:  # zipfile's error for encrypted entries
        raise UnsafeFileError(f"part {info.filename} is encrypted") from exc


def _read_bounded(fh: IO[bytes], limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = fh.read(min(left, 16 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _decode_prefix(data: bytes) -> str:
    """Text of an XML prefix, enough to find markup (UTF-16 or ASCII-compatible)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data[:2] in (b"<\x00", b"\x00<"):
        codec = "utf-16-le" if data[0] == ord("<") else "utf-16-be"
        return data.decode(codec, errors="replace")
    return data.decode("latin-1")


def has_doctype(data: bytes) -> bool | None:
    """Whether an XML document prefix declares a DOCTYPE before its root element.

    ``None`` when the prefix ends before the root element starts (the prolog is
    longer than the prefix).
    """
    text = _decode_prefix(data).lstrip("\ufeff\u00ef\u00bb\u00bf")
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            return None
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                return None
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                return None
            pos = end + 3
        else:
            return text[pos : pos + 9].upper() == "<!DOCTYPE"


def _check_prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    data = _read_prefix(zf, info, PROLOG_BYTES)
    found = has_doctype(data)
    if found is None and len(data) >= PROLOG_BYTES:
        raise UnsafeFileError(
            f"part {info.filename} has an XML prolog longer than "
            f"{PROLOG_BYTES // 1024} KiB"
        )
    if found:
        raise UnsafeFileError(
            f"part {info.filename} contains a DOCTYPE declaration, which workbooks "
            "never need (XML entity bomb?)"
        )


def _attrs(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR_RE.finditer(raw):
        key = m[1].decode("utf-8", "replace")
        value = m[2] if m[2] is not None else m[3]
        out[key.rsplit(":", 1)[-1] if key != "xmlns" else key] = html.unescape(
            value.decode("utf-8", "replace")
        )
    return out


def _worksheets(zf: zipfile.ZipFile) -> list[SheetPart]:
    """The worksheets named in xl/workbook.xml and their parts (via its rels)."""
    names = set(zf.namelist())
    book = "xl/workbook.xml"
    rels = "xl/_rels/workbook.xml.rels"
    if book not in names:
        raise UnsafeFileError(
            "not an Excel workbook (.xlsx): the zip has no xl/workbook.xml part"
        )
    targets: dict[str, str] = {}
    if rels in names:
        for m in _ELEMENT_RE.finditer(zf.read(rels)):
            if m[1] == b"Relationship":
                a = _attrs(m[2])
                if "Id" in a and "Target" in a:
                    targets[a["Id"]] = a["Target"]
    sheets: list[SheetPart] = []
    for m in _ELEMENT_RE.finditer(zf.read(book)):
        if m[1] != b"sheet":
            continue
        a = _attrs(m[2])
        target = targets.get(a.get("id", ""), "")
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join("xl", target)) if target else ""
        sheets.append(SheetPart(a.get("name", ""), part))
    return sheets


def column_number(letters: str) -> int:
    """Spreadsheet column letters to a 1-based number: A -> 1, XFD -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _check_dimension(
    zf: zipfile.ZipFile, sheet: SheetPart, limits: Limits, max_rows: int
) -> None:
    try:
        info = zf.getinfo(sheet.part)
    except KeyError:
        return  # a chart sheet or a dangling relationship: calamine skips it too
    data = _read_prefix(zf, info, DIMENSION_BYTES)
    head = data[: m.start()] if (m := _ROOT_SEEN_RE.search(data)) else data
    found = _DIMENSION_RE.search(head)
    if found is None:
        return
    ref = found[1].decode("ascii", "replace")
    last = ref.split(":")[-1]
    cell = _CELL_RE.fullmatch(last.strip())
    if cell is None:
        raise UnsafeFileError(
            f"sheet {sheet.name!r} ({sheet.part}) has an unreadable dimension {ref!r}"
        )
    letters, digits = cell[1], cell[2]
    if letters and column_number(letters) > limits.columns:
        raise UnsafeFileError(
            f"sheet {sheet.name!r} ({sheet.part}) reaches column {letters.upper()} "
            f"(column {column_number(letters)}); at most {limits.columns} columns are "
            "accepted — delete the stray cells far to the right"
        )
    if digits and int(digits) - 1 > max_rows:
        raise UnsafeFileError(
            f"sheet {sheet.name!r} ({sheet.part}) reaches row {int(digits)}; at most "
            f"{max_rows} data rows are accepted"
        )
