"""Reading, validating and writing workbooks of the kam contract."""

from kam.workbook.read import RawBook, RawSheet, load_workbook, read_workbook
from kam.workbook.validate import validate

__all__ = ["RawBook", "RawSheet", "load_workbook", "read_workbook", "validate"]
