"""Downloads: the portfolio and account decks, and each analysis as a workbook.

Each download covers the accounts the signed-in user may read (the ``Readable``
dependency), exactly as the pages do.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kam.access import require_readable
from kam.analysis.registry import get
from kam.deck import account_deck, deck_bytes, portfolio_deck
from kam.web.deps import Readable, User, state
from kam.web.routes.params import analysis_params
from kam.workbook.results import results_bytes

__all__ = ["router"]

router = APIRouter(prefix="/download")

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/deck", include_in_schema=False)
def portfolio_deck_file(request: Request, user: User, readable: Readable) -> Response:
    """The portfolio deck over the readable accounts; ``pareto.threshold=0.9``-style
    query keys set one analysis parameter, ``only=pareto`` (repeatable) limits the
    deck to some analyses."""
    params: dict[str, dict[str, object]] = {}
    for key, value in request.query_params.items():
        name, dot, param = key.partition(".")
        if dot and value.strip():
            params.setdefault(get(name).name, {})[param] = value
    only = [get(n).name for n in request.query_params.getlist("only")] or None
    prs = portfolio_deck(
        state(request).engine, accounts=readable, params=params, analyses=only
    )
    return _file(deck_bytes(prs), PPTX, "portfolio.pptx")


@router.get("/deck/{account_id}", include_in_schema=False)
def account_deck_file(
    request: Request, account_id: str, user: User, readable: Readable
) -> Response:
    """The deck of one readable account."""
    require_readable(readable, account_id)
    prs = account_deck(state(request).engine, account_id, accounts=readable)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in account_id)
    return _file(deck_bytes(prs), PPTX, f"account-{safe}.pptx")


@router.get("/{name}.xlsx", include_in_schema=False)
def analysis_workbook(
    request: Request, name: str, user: User, readable: Readable
) -> Response:
    """One analysis, with the page's parameters, as a results workbook."""
    analysis = get(name)
    params = analysis_params(request, analysis.name)
    result = state(request).engine.run(analysis.name, params, accounts=readable)
    return _file(results_bytes([result]), XLSX, f"{analysis.name}.xlsx")
