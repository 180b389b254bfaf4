"""The JSON API: accounts and analysis results over the user's readable accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from kam.web.deps import Readable, User, state
from kam.web.queries import accounts
from kam.web.routes.params import analysis_params

__all__ = ["router"]


#: A filter value: any text without control characters.
Text = Annotated[str, Query(pattern=r"^[^\x00-\x1f]*$")]


class Problem(BaseModel):
    """One located problem of an input (sheet, row, column, value, expected)."""

    severity: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    expected: str | None
    message: str


class ErrorBody(BaseModel):
    """What every refused API request answers."""

    error: str
    problems: list[Problem]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


router = APIRouter(
    prefix="/api",
    tags=["api"],
    responses={
        400: _error("a parameter is not valid; the message says which and why"),
        401: _error("not signed in"),
        403: _error("not allowed"),
        404: _error("no such analysis or account"),
    },
)


@router.get("/accounts")
def api_accounts(
    request: Request,
    user: User,
    readable: Readable,
    q: Text = "",
    owner: Text = "",
    segment: Text = "",
) -> list[dict[str, object]]:
    """The accounts the user may read (id, name, owner, segment, industry, region)."""
    return accounts(state(request).engine, readable, q=q, owner=owner, segment=segment)


@router.get("/analyses/{name}")
def api_analysis(
    request: Request, name: str, user: User, readable: Readable
) -> dict[str, object]:
    """Run an analysis (query parameters = its parameters) over readable accounts."""
    params = analysis_params(request, name)
    return state(request).engine.run(name, params, accounts=readable).to_dict()
