"""Build the portfolio and account decks from the engine, and write them.

Every number comes from :meth:`kam.engine.Engine.run` over ``accounts`` (the ids the
user may read, ``None`` for all), so a KAM's deck holds their accounts only.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from kam.analysis.registry import REGISTRY
from kam.analysis.result import AnalysisResult
from kam.config import Settings
from kam.deck import dashboard as _dashboard  # noqa: F401
from kam.deck import planning as _planning  # noqa: F401  (registers its builders)
from kam.deck import selection as _selection  # noqa: F401
from kam.deck import slides as _slides
from kam.deck import stakeholder_map as _stakeholder_map  # noqa: F401
from kam.deck.account import ACCOUNT_SECTIONS, AccountContext
from kam.deck.layout import Deck
from kam.deck.registry import builder_for, parameters_text
from kam.deck.theme import Theme, parse_colours
from kam.engine import Engine
from kam.errors import ExportError, MissingDataError, NotFoundError, ParameterError

__all__ = [
    "account_deck",
    "deck_bytes",
    "deck_theme",
    "per_account",
    "portfolio_deck",
    "write_deck",
]

_ = _slides  # registers the Pareto and ABC builders


def _company(engine: Engine) -> str:
    tables = engine.tables()
    if "Settings" not in tables:
        return ""
    t = tables["Settings"]
    rows = t.filter(t["key"] == "company").select("value").to_pyarrow().to_pylist()
    return str(rows[0]["value"] or "").strip() if rows else ""


def deck_theme(engine: Engine, settings: Settings) -> Theme:
    """The theme from the settings (font, colours, logo) and the workbook's company."""
    return Theme(
        font=settings.deck_font,
        colours=parse_colours(settings.deck_colours),
        company=_company(engine),
        logo=settings.deck_logo,
    )


def per_account(name: str) -> bool:
    """True for an analysis of one account (it takes an ``account`` parameter): it
    belongs to the account deck, not the portfolio deck."""
    return any(p.name == "account" for p in REGISTRY[name].parameters)


def _as_of(engine: Engine) -> str:
    value = engine.defaults().get("as_of")
    return value.isoformat() if isinstance(value, date) else "the last period"


def portfolio_deck(
    engine: Engine,
    *,
    accounts: Collection[str] | None = None,
    params: Mapping[str, Mapping[str, object]] | None = None,
    analyses: Collection[str] | None = None,
    theme: Theme | None = None,
) -> Any:
    """The portfolio deck: title, agenda, then a section per analysis.

    ``params``: parameters per analysis name; ``analyses``: which registry entries
    (default: all, in registry order). An analysis whose sheets are missing is left
    out and named on the title slide's notes; analyses of one account
    (:func:`per_account`) belong to the account deck. Returns a python-pptx
    Presentation.
    """
    theme = theme or deck_theme(engine, engine.settings)
    as_of = _as_of(engine)
    scope = "all accounts" if accounts is None else f"{len(accounts)} accounts"
    deck = Deck(theme)
    names = [
        n
        for n in REGISTRY
        if not per_account(n) and (analyses is None or n in analyses)
    ]
    results = []
    skipped = []
    for name in names:
        try:
            results.append(
                (name, engine.run(name, (params or {}).get(name), accounts=accounts))
            )
        except MissingDataError as exc:
            skipped.append(f"{name} ({exc})")
    notes = (
        f"Portfolio review over {scope}, data as of {as_of}. Each section shows one "
        "analysis; the footer of each slide names the parameters it used."
    )
    if skipped:
        notes += " Left out for missing data: " + "; ".join(skipped) + "."
    title = f"{theme.company} portfolio review" if theme.company else "Portfolio review"
    deck.title_slide(title, f"Key accounts · {scope} · data as of {as_of}", notes)
    deck.agenda_slide()
    prefix = f"{theme.company} · " if theme.company else ""
    for name, result in results:
        analysis = REGISTRY[name]
        deck.footer = f"{prefix}data as of {as_of} · {analysis.title}: " + (
            parameters_text(result)
        )
        deck.section(analysis.title, f"{analysis.title}: {analysis.description}")
        builder_for(name)(deck, result, analysis)
    return deck.finish()


def account_deck(
    engine: Engine,
    account_id: str,
    *,
    accounts: Collection[str] | None = None,
    theme: Theme | None = None,
) -> Any:
    """The deck of one account: profile, revenue and MRR history, class history.

    NotFoundError when the account does not exist or is not among ``accounts``
    (both read the same, so an id reveals nothing).
    """
    if accounts is not None and account_id not in accounts:
        raise NotFoundError(f"there is no account {account_id!r}")
    tables = engine.tables(accounts=accounts)
    t = tables["Accounts"]
    found = t.filter(t["account_id"] == account_id).to_pyarrow().to_pylist()
    if not found:
        raise NotFoundError(f"there is no account {account_id!r}")
    theme = theme or deck_theme(engine, engine.settings)
    try:
        abc = engine.run("abc", {}, accounts=accounts)
    except MissingDataError:
        abc = None
    ctx = AccountContext(account_id, dict(found[0]), tables, abc)
    tools, skipped = _account_results(engine, account_id, accounts)
    as_of = _as_of(engine)
    deck = Deck(theme)
    prefix = f"{theme.company} · " if theme.company else ""
    base = f"{prefix}{ctx.name} ({account_id}) · data as of {as_of}"
    deck.footer = base
    notes = f"Account review of {ctx.name}, data as of {as_of}."
    if skipped:
        notes += " Left out for missing data: " + "; ".join(skipped) + "."
    deck.title_slide(
        f"Account review: {ctx.name}", f"{account_id} · data as of {as_of}", notes
    )
    deck.agenda_slide()
    deck.agenda.extend(name.capitalize() for name in ACCOUNT_SECTIONS)
    for section in ACCOUNT_SECTIONS.values():
        section(deck, ctx)
    for name, result in tools:
        analysis = REGISTRY[name]
        deck.footer = f"{base} · {analysis.title}: {parameters_text(result)}"
        deck.section(analysis.title, f"{analysis.title}: {analysis.description}")
        builder_for(name)(deck, result, analysis)
    return deck.finish()


def _account_results(
    engine: Engine, account_id: str, accounts: Collection[str] | None
) -> tuple[list[tuple[str, AnalysisResult]], list[str]]:
    """Results of the per-account analyses for ``account_id``, and the names of
    those left out because the account has no data for them."""
    results: list[tuple[str, AnalysisResult]] = []
    skipped: list[str] = []
    for name in REGISTRY:
        if not per_account(name):
            continue
        try:
            result = engine.run(name, {"account": account_id}, accounts=accounts)
        except (MissingDataError, NotFoundError) as exc:
            # The account exists (checked before): the tool has no data for it.
            skipped.append(f"{name} ({exc})")
            continue
        except ParameterError as exc:
            # The tool names the accounts it has data for; this one is not among them.
            if exc.parameter != "account":
                raise
            skipped.append(f"{name} (no data for this account)")
            continue
        results.append((name, result))
    return results, skipped


def deck_bytes(presentation: Any) -> bytes:
    """The ``.pptx`` file of ``presentation`` as bytes (for a download)."""
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def write_deck(presentation: Any, path: Path) -> None:
    """Save ``presentation`` to ``path`` (ExportError when it cannot be written)."""
    try:
        presentation.save(str(path))
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc}") from exc
