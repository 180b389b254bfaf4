"""Analysis parameters from a request's query string."""

from __future__ import annotations

from fastapi import Request

from kam.analysis.registry import get

__all__ = ["analysis_params"]


def analysis_params(request: Request, name: str) -> dict[str, object]:
    """The query parameters that are parameters of analysis ``name`` (non-blank).

    Unknown names are passed on too, so the registry names them in its error.
    """
    known = {p.name for p in get(name).parameters}
    return {
        key: value
        for key, value in request.query_params.items()
        if value.strip() and (key in known or key not in _PAGE_KEYS)
    }


#: Query keys the pages use for themselves (not analysis parameters).
_PAGE_KEYS = frozenset({"q", "owner", "segment", "next"})
