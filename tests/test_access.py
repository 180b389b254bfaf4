"""Access: which accounts each role reads and edits, against an oracle computed from
the demo portfolio's Accounts, Team and AccountTeam tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kam.access import (
    Principal,
    editable_accounts,
    readable_accounts,
    require_readable,
)
from kam.demo import demo_portfolio
from kam.errors import NotFoundError
from kam.model import Portfolio
from kam.store.repository import Store


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return demo_portfolio(seed=7)


@pytest.fixture
def store(sqlite_url: str, portfolio: Portfolio) -> Iterator[Store]:
    s = Store(sqlite_url)
    s.upgrade()
    s.import_portfolio(portfolio)
    yield s
    s.dispose()


def _rows(portfolio: Portfolio, sheet: str) -> list[dict[str, object]]:
    t = portfolio.tables[sheet]
    n = len(t.data[t.columns[0]])
    return [{c: t.data[c][i] for c in t.columns} for i in range(n)]


def _oracle(portfolio: Portfolio, email: str, *, edit: bool) -> set[str]:
    members = {
        r["member_id"]
        for r in _rows(portfolio, "Team")
        if str(r["email"] or "").lower() == email.lower()
    }
    owned = {
        r["account_id"] for r in _rows(portfolio, "Accounts") if r["owner"] in members
    }
    on_team = {
        r["account_id"]
        for r in _rows(portfolio, "AccountTeam")
        if r["member_id"] in members and (not edit or r["access"] in ("edit", None))
    }
    return {str(a) for a in owned | on_team}


def _email(portfolio: Portfolio, member_id: str) -> str:
    for r in _rows(portfolio, "Team"):
        if r["member_id"] == member_id:
            return str(r["email"])
    raise AssertionError(member_id)


@pytest.mark.parametrize("role", ["admin", "analyst", "executive"])
def test_portfolio_wide_roles_read_every_account(store: Store, role: str) -> None:
    assert readable_accounts(store, Principal(1, "x@example.com", role)) is None


def test_a_kam_reads_what_they_own_or_are_on_the_team_of(
    store: Store, portfolio: Portfolio
) -> None:
    email = _email(portfolio, "M01").upper()  # e-mail case does not matter
    got = readable_accounts(store, Principal(2, email, "kam"))
    expected = _oracle(portfolio, email, edit=False)
    assert got == expected
    assert 0 < len(expected) < 120


def test_a_kam_edits_only_with_edit_access(store: Store, portfolio: Portfolio) -> None:
    email = _email(portfolio, "M06")  # on account teams with read access only
    assert _oracle(portfolio, email, edit=True) == set()
    assert editable_accounts(store, Principal(3, email, "kam")) == frozenset()
    assert readable_accounts(store, Principal(3, email, "kam")) == _oracle(
        portfolio, email, edit=False
    )


def test_a_viewer_reads_the_accounts_they_are_on_and_edits_none(
    store: Store, portfolio: Portfolio
) -> None:
    email = _email(portfolio, "M09")
    viewer = Principal(4, email, "viewer")
    assert readable_accounts(store, viewer) == _oracle(portfolio, email, edit=False)
    assert editable_accounts(store, viewer) == frozenset()


def test_a_user_outside_the_team_reads_nothing(store: Store) -> None:
    assert readable_accounts(store, Principal(5, "no@one.example", "kam")) == set()


def test_executives_edit_nothing_and_analysts_everything(store: Store) -> None:
    assert editable_accounts(store, Principal(6, "e@x.example", "executive")) == set()
    assert editable_accounts(store, Principal(7, "a@x.example", "analyst")) is None


def test_an_unreadable_account_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="A9"):
        require_readable(frozenset({"A1"}), "A9")
    require_readable(None, "A9")
