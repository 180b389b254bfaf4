"""What ``kam serve`` does before the server starts: demo data and first users.

- ``--demo``: load the demo portfolio into an empty store and, when there are no
  users yet, create one user per role with a random password (printed once). The
  two KAMs and the viewer are Team members of the demo (linked by e-mail), so their
  pages show their own book.
- otherwise, with no users: a one-time link (valid one hour) that creates the admin.
"""

from __future__ import annotations

import sqlalchemy as sa

from kam.store.db import read_connection
from kam.store.repository import Store
from kam.store.tables import data_table
from kam.users import (
    count_users,
    create_setup_token,
    create_user,
    new_password,
)

__all__ = ["create_demo_users", "setup_link"]


def _team_emails(store: Store) -> tuple[list[str], str | None]:
    """E-mails of the two first account owners, and of a team member who owns
    nothing but is on account teams (the viewer)."""
    accounts, team, on_team = (
        data_table("Accounts"),
        data_table("Team"),
        data_table("AccountTeam"),
    )
    with read_connection(store.engine) as conn:
        emails = dict(conn.execute(sa.select(team.c.member_id, team.c.email)).all())
        owners = sorted(
            {o for o in conn.execute(sa.select(accounts.c.owner)).scalars() if o}
        )
        members = sorted(set(conn.execute(sa.select(on_team.c.member_id)).scalars()))
    kams = [emails[o] for o in owners if emails.get(o)][:2]
    viewers = [emails[m] for m in members if m not in owners and emails.get(m)]
    return kams, viewers[0] if viewers else None


def create_demo_users(store: Store) -> list[tuple[str, str, str]]:
    """Create the demo users when there are none: ``(email, role, password)`` each."""
    if count_users(store.engine) > 0:
        return []
    kams, viewer = _team_emails(store)
    wanted = [
        ("admin@demo.example", "admin"),
        ("analyst@demo.example", "analyst"),
        ("executive@demo.example", "executive"),
        *((email, "kam") for email in kams),
    ]
    if viewer is not None:
        wanted.append((viewer, "viewer"))
    created: list[tuple[str, str, str]] = []
    for email, role in wanted:
        password = new_password()
        create_user(store.engine, email, role, password=password)
        created.append((email, role, password))
    return created


def setup_link(store: Store, base_url: str) -> str | None:
    """The one-time admin-creation link when there is no user yet; else None."""
    if count_users(store.engine) > 0:
        return None
    return f"{base_url}/setup?token={create_setup_token(store.engine)}"
