"""Builders of good and bad workbook files, each written into a given folder.

Every builder takes the folder and returns the path of the file (or CSV folder) it
wrote. Workbooks are written with XlsxWriter and, where a hostile structure is
needed, rewritten part by part with :mod:`zipfile`.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

Rows = Sequence[Sequence[object]]

ACCOUNTS: list[list[object]] = [
    ["account_id", "name"],
    ["A1", "Acme"],
    ["A2", "Globex"],
]


def write_xlsx(path: Path, sheets: dict[str, Rows]) -> Path:
    """A real .xlsx with one sheet per entry; the first row is the header."""
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False}
    )
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    ws.write(r, c, value)
    wb.close()
    return path


def rezip(src: Path, dst: Path, parts: dict[str, bytes]) -> Path:
    """Copy a zip, replacing (or adding) the given parts."""
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            if info.filename not in parts:
                zout.writestr(info, zin.read(info.filename))
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


def sheet_xml(cells: str, dimension: str | None) -> bytes:
    """A minimal worksheet part holding the given <row> elements."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def base(folder: Path) -> Path:
    return write_xlsx(folder / "base.xlsx", {"Accounts": ACCOUNTS})


# --- file-level refusals -------------------------------------------------------


def not_a_zip(folder: Path) -> Path:
    path = folder / "notes.xlsx"
    path.write_text("account_id,name\nA1,Acme\n")
    return path


def old_xls(folder: Path) -> Path:
    path = folder / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def truncated_zip(folder: Path) -> Path:
    data = base(folder).read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def zip_without_workbook(folder: Path) -> Path:
    path = folder / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<?xml version='1.0'?><document/>")
    return path


def big_part(folder: Path) -> Path:
    """A 600 KiB part of zeros: over a lowered entry or total limit."""
    return rezip(
        base(folder), folder / "big.xlsx", {"xl/media/blob.bin": b"\0" * 600_000}
    )


def ratio_bomb(folder: Path) -> Path:
    """A 3 MiB part that compresses about a thousand to one."""
    return rezip(
        base(folder), folder / "ratio.xlsx", {"xl/media/zeros.bin": b"\0" * 3 * 2**20}
    )


def many_entries(folder: Path) -> Path:
    parts = {f"xl/media/image{i}.png": b"x" for i in range(30)}
    return rezip(base(folder), folder / "entries.xlsx", parts)


def xml_bomb(folder: Path) -> Path:
    lol = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&lol2;</t></si></sst>"
    )
    return rezip(
        base(folder), folder / "lol.xlsx", {"xl/sharedStrings.xml": lol.encode()}
    )


def doctype_after_comment(folder: Path) -> Path:
    xml = (
        '<?xml version="1.0"?>\n<!-- harmless? -->\n'
        '<!doctype x SYSTEM "file:///etc/passwd"><workbook/>'
    )
    return rezip(
        base(folder), folder / "xxe.xlsx", {"docProps/custom.xml": xml.encode()}
    )


def doctype_in_utf16(folder: Path) -> Path:
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    data = codecs.BOM_UTF16_LE + xml.encode("utf-16-le")
    return rezip(base(folder), folder / "utf16.xlsx", {"docProps/extra.xml": data})


def stray_cell_xfd(folder: Path) -> Path:
    """A value in the last column, XFD, written by XlsxWriter (column 16383)."""
    path = folder / "xfd.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Accounts")
    ws.write_row(0, 0, ["account_id", "name"])
    ws.write_row(1, 0, ["A1", "Acme"])
    ws.write(0, 16383, "oops")
    wb.close()
    return path


def stray_cell_without_dimension(folder: Path) -> Path:
    """Cells at A1 and XFD1048576 with no <dimension>: only the child limit helps."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>account_id</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    return rezip(
        base(folder),
        folder / "hidden_xfd.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml(rows, None)},
    )


def tall_dimension(folder: Path) -> Path:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>account_id</t></is></c></row>'
    return rezip(
        base(folder),
        folder / "tall.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml(rows, "A1:B500000")},
    )


def twin_sheets(folder: Path) -> Path:
    return write_xlsx(
        folder / "twins.xlsx", {"Accounts": ACCOUNTS, " accounts": ACCOUNTS}
    )


# --- cell and table errors -----------------------------------------------------


def missing_required_column(folder: Path) -> Path:
    return write_xlsx(folder / "nocol.xlsx", {"Accounts": [["account_id"], ["A1"]]})


def duplicate_header(folder: Path) -> Path:
    rows = [["account_id", "name", "NAME"], ["A1", "Acme", "Acme Corp"]]
    return write_xlsx(folder / "duphead.xlsx", {"Accounts": rows})


def text_in_number_column(folder: Path) -> Path:
    criteria = [["criterion_id", "section", "name", "weight"], ["C1", "growth", "g", 1]]
    scores = [["account_id", "criterion_id", "score"], ["A1", "C1", "n/a"]]
    sheets = {"Accounts": ACCOUNTS, "Criteria": criteria, "Scores": scores}
    return write_xlsx(folder / "text.xlsx", sheets)


def negative_amount(folder: Path) -> Path:
    revenue = [
        ["account_id", "period", "amount"],
        ["A1", "2024", 10],
        ["A2", "2024", -250],
    ]
    return write_xlsx(folder / "neg.xlsx", {"Accounts": ACCOUNTS, "Revenue": revenue})


def date_out_of_range(folder: Path) -> Path:
    rows = [["account_id", "name", "customer_since"], ["A1", "Acme", "1850-01-01"]]
    return write_xlsx(folder / "old_date.xlsx", {"Accounts": rows})


def unknown_enumeration(folder: Path) -> Path:
    rows = [
        ["account_id", "name", "status"],
        ["A1", "Acme", "active"],
        ["A2", "Bo", "paused"],
    ]
    return write_xlsx(folder / "enum.xlsx", {"Accounts": rows})


def duplicate_ids(folder: Path) -> Path:
    rows = [["account_id", "name"], ["A1", "Acme"], ["A2", "Bo"], ["A1 ", "Acme again"]]
    return write_xlsx(folder / "dupids.xlsx", {"Accounts": rows})


def dangling_reference(folder: Path) -> Path:
    mrr = [
        ["account_id", "month", "plan", "mrr"],
        ["A1", "2024-01", "pro", 10],
        ["A9", "2024-01", "pro", 5],
    ]
    return write_xlsx(folder / "dangling.xlsx", {"Accounts": ACCOUNTS, "MRR": mrr})


def reports_to_cycle(folder: Path) -> Path:
    people = [
        [
            "stakeholder_id",
            "account_id",
            "name",
            "reports_to",
            "decision_power",
            "attitude",
        ],
        ["S1", "A1", "Ann", "S2", 3, 0],
        ["S2", "A1", "Bob", "S1", 4, 1],
    ]
    return write_xlsx(
        folder / "cycle.xlsx", {"Accounts": ACCOUNTS, "Stakeholders": people}
    )


def account_parent_cycle(folder: Path) -> Path:
    rows = [
        ["account_id", "name", "parent_account_id"],
        ["A1", "Acme", "A2"],
        ["A2", "Bo", "A1"],
    ]
    return write_xlsx(folder / "parents.xlsx", {"Accounts": rows})


def weights_not_summing(folder: Path) -> Path:
    criteria = [
        ["criterion_id", "section", "name", "weight"],
        ["C1", "harmony", "fit", 50],
        ["C2", "harmony", "trust", 30],
    ]
    return write_xlsx(
        folder / "weights.xlsx", {"Accounts": ACCOUNTS, "Criteria": criteria}
    )


def score_out_of_range(folder: Path) -> Path:
    criteria = [["criterion_id", "section", "name", "weight"], ["C1", "growth", "g", 1]]
    scores = [["account_id", "criterion_id", "score"], ["A1", "C1", 7], ["A2", "C1", 0]]
    sheets = {"Accounts": ACCOUNTS, "Criteria": criteria, "Scores": scores}
    return write_xlsx(folder / "score.xlsx", sheets)


# --- CSV -------------------------------------------------------------------------


def csv_folder(folder: Path, files: dict[str, bytes]) -> Path:
    out = folder / "csv"
    out.mkdir()
    for name, data in files.items():
        (out / name).write_bytes(data)
    return out


ACCOUNTS_CSV = "account_id,name\nA1,Zoë & Co\nA2,Globex\n"


def csv_with_bom(folder: Path) -> Path:
    return csv_folder(folder, {"Accounts.csv": codecs.BOM_UTF8 + ACCOUNTS_CSV.encode()})


def csv_utf16(folder: Path) -> Path:
    return csv_folder(folder, {"Accounts.csv": ACCOUNTS_CSV.encode("utf-16")})


def csv_semicolons(folder: Path) -> Path:
    text = "account_id;name;industry\nA1;Zoë & Co;health, care\nA2;Globex;\n"
    return csv_folder(folder, {"Accounts.csv": text.encode()})


def csv_invalid_utf8(folder: Path) -> Path:
    data = b"account_id,name\nA1,Acme\nA2,Zo" + b"\xeb\n"
    return csv_folder(folder, {"Accounts.csv": data})


def csv_unmatched_quote(folder: Path) -> Path:
    text = 'account_id,name\nA1,Acme\nA2,"Globex\nA3,Initech\n'
    return csv_folder(folder, {"Accounts.csv": text.encode()})


def csv_oversized_field(folder: Path) -> Path:
    text = "account_id,name\nA1,Acme\nA2," + "x" * 5000 + "\n"
    return csv_folder(folder, {"Accounts.csv": text.encode()})


def csv_nul_bytes(folder: Path) -> Path:
    return csv_folder(folder, {"Accounts.csv": b"account_id,name\nA1,Ac\x00me\n"})


def csv_without_accounts(folder: Path) -> Path:
    return csv_folder(folder, {"Products.csv": b"product\nP1\n"})


def csv_bad_cells(folder: Path) -> Path:
    revenue = "account_id,period,amount\nA1,2024,10\nA1,2024-Q5,11\nA2,2024,abc\n"
    return csv_folder(
        folder, {"Accounts.csv": ACCOUNTS_CSV.encode(), "Revenue.csv": revenue.encode()}
    )
