"""Analysis parameters and page options from a request's query string."""

from __future__ import annotations

from fastapi import Request

from kam.analysis.registry import get
from kam.errors import InputError
from kam.web.queries import refuse_control_characters

__all__ = ["DEFAULT_ROWS", "analysis_params", "row_limit"]

#: Lines of a long table shown unless ``rows=`` says otherwise.
DEFAULT_ROWS = 100

#: Query keys the pages use for themselves (not analysis parameters).
_PAGE_KEYS = frozenset(
    {"q", "owner", "segment", "abc_class", "next", "rows", "sort", "account"}
)


def analysis_params(request: Request, name: str) -> dict[str, object]:
    """The query parameters that are parameters of analysis ``name`` (non-blank).

    Unknown names are passed on too, so the registry names them in its error.
    """
    known = {p.name for p in get(name).parameters}
    for key, value in request.query_params.items():
        refuse_control_characters(key, value)
    return {
        key: value
        for key, value in request.query_params.items()
        if value.strip() and (key in known or key not in _PAGE_KEYS)
    }


def row_limit(request: Request) -> int | None:
    """Lines to show of a long table: ``rows=N`` or ``rows=all`` (None)."""
    text = request.query_params.get("rows", "").strip()
    if not text:
        return DEFAULT_ROWS
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"rows={text!r}: expected a positive whole number or 'all'")
    return int(text)
