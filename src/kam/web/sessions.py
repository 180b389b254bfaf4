"""Server-side sessions: a random token in the cookie, its SHA-256 in the store.

A session ends when it has been idle longer than ``idle_minutes``, when it is older
than ``absolute_hours``, on sign-out (its row is deleted) and when its user is
disabled (the row is deleted and the user check fails).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kam.access import Principal
from kam.store.auth_tables import sessions, users
from kam.store.db import read_connection, translate_errors, write_connection
from kam.users import aware, utcnow
from kam.web.settings import WebSettings

__all__ = [
    "COOKIE",
    "SignedIn",
    "delete_session",
    "load_session",
    "start_session",
    "token_hash",
]

#: Name of the session cookie.
COOKIE = "kam_session"
#: Seconds between two writes of ``last_seen_at`` for the same session.
_TOUCH_SECONDS = 60


@dataclass(frozen=True)
class SignedIn:
    """The session of a request and its user."""

    session_id: str
    user_id: int
    email: str
    name: str | None
    role: str
    csrf_token: str

    @property
    def principal(self) -> Principal:
        """The user as :mod:`kam.access` sees them."""
        return Principal(self.user_id, self.email, self.role)


def token_hash(token: str) -> str:
    """The stored id of the session whose cookie holds ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    engine: Engine, user_id: int, *, ip: str | None, settings: WebSettings
) -> str:
    """Create a session row for ``user_id``; return the cookie token (256 bits)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with translate_errors("cannot start a session"), write_connection(engine) as conn:
        conn.execute(
            sessions.insert().values(
                id=token_hash(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=settings.absolute_hours),
                ip=ip,
            )
        )
    return token


def load_session(engine: Engine, token: str, settings: WebSettings) -> SignedIn | None:
    """The live session of ``token`` with its active user; None otherwise.

    An expired session's row is deleted; a live one's ``last_seen_at`` moves on.
    """
    sid = token_hash(token)
    now = utcnow()
    query = (
        sa.select(sessions, users.c.email, users.c.name, users.c.role, users.c.active)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == sid)
    )
    with translate_errors("cannot read the session"), read_connection(engine) as conn:
        row = conn.execute(query).first()
    if row is None or not row.active:
        return None
    idle_limit = aware(row.last_seen_at) + timedelta(minutes=settings.idle_minutes)
    if aware(row.expires_at) <= now or idle_limit <= now:
        delete_session(engine, sid)
        return None
    if (now - aware(row.last_seen_at)).total_seconds() >= _TOUCH_SECONDS:
        with (
            translate_errors("cannot update the session"),
            write_connection(engine) as conn,
        ):
            conn.execute(
                sessions.update().where(sessions.c.id == sid).values(last_seen_at=now)
            )
    return SignedIn(
        session_id=sid,
        user_id=row.user_id,
        email=row.email,
        name=row.name,
        role=row.role,
        csrf_token=row.csrf_token,
    )


def delete_session(engine: Engine, session_id: str) -> None:
    """Delete one session row (sign-out, expiry)."""
    with translate_errors("cannot end the session"), write_connection(engine) as conn:
        conn.execute(sessions.delete().where(sessions.c.id == session_id))
