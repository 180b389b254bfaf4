"""Users of the workspace: accounts, argon2id passwords, sign-in limits, audit.

Passwords are hashed with argon2id (``pwdlib``'s recommended hasher); only the hash
is stored. After :data:`MAX_FAILURES` wrong passwords in a row an account is locked
for :data:`LOCK_MINUTES` minutes; a right password resets the count. Disabling a
user deletes their sessions, so they are signed out at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pwdlib import PasswordHash
from sqlalchemy.engine import Connection, Engine

from kam.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from kam.store.auth_tables import ROLES, audit, sessions, users
from kam.store.db import read_connection, translate_errors, write_connection
from kam.store.tables import meta

__all__ = [
    "LOCK_MINUTES",
    "MAX_FAILURES",
    "User",
    "authenticate",
    "check_role",
    "consume_setup_token",
    "count_users",
    "create_setup_token",
    "create_user",
    "disable_user",
    "get_user",
    "hash_password",
    "list_users",
    "new_password",
    "record",
    "set_role",
    "utcnow",
    "verify_password",
]

MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Shortest password accepted.
MIN_PASSWORD = 10
_SETUP_KEY = "admin_setup_token"
_SETUP_HOURS = 1

_hasher = PasswordHash.recommended()
#: Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """One user as stored (without the password hash)."""

    id: int
    email: str
    name: str | None
    role: str
    active: bool
    created_at: datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """``value`` as aware UTC (SQLite returns naive datetimes)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches ``password_hash``."""
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return bool(_hasher.verify(password, password_hash))


def new_password() -> str:
    """A random password (about 120 bits) to print once."""
    return secrets.token_urlsafe(15)


def check_role(role: str) -> str:
    """``role`` if it is one of the roles; InputError naming them otherwise."""
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _email(email: str) -> str:
    value = email.strip().casefold()
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise InputError(f"e-mail {email!r} is not an address such as ana@example.com")
    return value


def _password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        active=bool(row.active),
        created_at=aware(row.created_at),
    )


def record(
    conn: Connection,
    action: str,
    *,
    user_id: int | None = None,
    target: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Append one line to the audit log inside the caller's transaction."""
    conn.execute(
        audit.insert().values(
            at=utcnow(), user_id=user_id, action=action, target=target, detail=detail
        )
    )


def create_user(
    engine: Engine,
    email: str,
    role: str,
    *,
    password: str,
    name: str | None = None,
    by: int | None = None,
) -> User:
    """Create an active user; ConflictError when the e-mail is taken."""
    address, role = _email(email), check_role(role)
    digest = hash_password(_password(password))
    with translate_errors("cannot create the user"), write_connection(engine) as conn:
        taken = conn.execute(sa.select(users.c.id).where(users.c.email == address))
        if taken.first() is not None:
            raise ConflictError(f"a user with e-mail {address} already exists")
        result = conn.execute(
            users.insert().values(
                email=address,
                name=name,
                role=role,
                password_hash=digest,
                active=True,
                created_at=utcnow(),
                failed_logins=0,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        user_id = pk[0]
        record(conn, "user.create", user_id=by, target=address, detail={"role": role})
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
        return _user(row)


def list_users(engine: Engine) -> list[User]:
    """Every user, by e-mail."""
    with translate_errors("cannot list the users"), read_connection(engine) as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.email)).all()
    return [_user(r) for r in rows]


def count_users(engine: Engine) -> int:
    """How many users exist (active or not)."""
    with translate_errors("cannot count the users"), read_connection(engine) as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()
        )


def get_user(engine: Engine, email: str) -> User:
    """The user with ``email``; NotFoundError otherwise."""
    with translate_errors("cannot read the user"), read_connection(engine) as conn:
        row = conn.execute(
            sa.select(users).where(users.c.email == _email(email))
        ).first()
    if row is None:
        raise NotFoundError(f"there is no user with e-mail {email.strip()}")
    return _user(row)


def _update(engine: Engine, email: str, action: str, **values: object) -> User:
    address = _email(email)
    with translate_errors("cannot change the user"), write_connection(engine) as conn:
        row = conn.execute(sa.select(users).where(users.c.email == address)).first()
        if row is None:
            raise NotFoundError(f"there is no user with e-mail {address}")
        conn.execute(users.update().where(users.c.id == row.id).values(**values))
        if values.get("active") is False:
            conn.execute(sessions.delete().where(sessions.c.user_id == row.id))
        record(
            conn, action, target=address, detail={k: str(v) for k, v in values.items()}
        )
        return _user(conn.execute(sa.select(users).where(users.c.id == row.id)).one())


def disable_user(engine: Engine, email: str) -> User:
    """Disable a user and end every session they have."""
    return _update(engine, email, "user.disable", active=False)


def set_role(engine: Engine, email: str, role: str) -> User:
    """Give a user another role."""
    return _update(engine, email, "user.set_role", role=check_role(role))


def authenticate(engine: Engine, email: str, password: str) -> User:
    """The active user with this e-mail and password.

    PermissionDenied with one message for every failure (unknown e-mail, wrong
    password, disabled), except a locked account, which says when to retry.
    """
    denied = PermissionDenied("wrong e-mail or password")
    address = email.strip().casefold()
    now = utcnow()
    with translate_errors("cannot sign in"), write_connection(engine) as conn:
        row = conn.execute(sa.select(users).where(users.c.email == address)).first()
        if row is None or not row.active:
            verify_password(password, None)
            raise denied
        if row.locked_until is not None and aware(row.locked_until) > now:
            raise PermissionDenied(
                f"too many failed sign-ins; try again after "
                f"{aware(row.locked_until):%H:%M} UTC"
            )
        if not verify_password(password, row.password_hash):
            failures = row.failed_logins + 1
            lock = now + timedelta(minutes=LOCK_MINUTES)
            conn.execute(
                users.update()
                .where(users.c.id == row.id)
                .values(
                    failed_logins=0 if failures >= MAX_FAILURES else failures,
                    locked_until=lock if failures >= MAX_FAILURES else None,
                )
            )
            record(conn, "signin.failed", user_id=row.id, target=address)
        else:
            conn.execute(
                users.update()
                .where(users.c.id == row.id)
                .values(failed_logins=0, locked_until=None)
            )
            record(conn, "signin", user_id=row.id, target=address)
            return _user(row)
    # Raised after the block so that the failure count is committed.
    raise denied


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_setup_token(engine: Engine) -> str:
    """A one-time token (valid one hour) that lets its holder create the first admin.

    Only its hash is stored; a new token replaces the previous one.
    """
    token = secrets.token_urlsafe(32)
    expires = (utcnow() + timedelta(hours=_SETUP_HOURS)).isoformat()
    value = f"{_digest(token)} {expires}"
    with (
        translate_errors("cannot store the setup token"),
        write_connection(engine) as conn,
    ):
        conn.execute(meta.delete().where(meta.c.key == _SETUP_KEY))
        conn.execute(meta.insert().values(key=_SETUP_KEY, value=value))
    return token


def consume_setup_token(
    engine: Engine, token: str, email: str, password: str, name: str | None = None
) -> User:
    """Create the first admin with a valid setup token, then forget the token."""
    with (
        translate_errors("cannot read the setup token"),
        read_connection(engine) as conn,
    ):
        stored = conn.execute(
            sa.select(meta.c.value).where(meta.c.key == _SETUP_KEY)
        ).scalar_one_or_none()
    denied = PermissionDenied("this set-up link is invalid or has expired")
    if stored is None:
        raise denied
    digest, expires = stored.split(" ", 1)
    valid = secrets.compare_digest(digest, _digest(token))
    if not valid or datetime.fromisoformat(expires) < utcnow():
        raise denied
    if count_users(engine) > 0:
        raise denied
    user = create_user(engine, email, "admin", password=password, name=name)
    with (
        translate_errors("cannot clear the setup token"),
        write_connection(engine) as conn,
    ):
        conn.execute(meta.delete().where(meta.c.key == _SETUP_KEY))
    return user
