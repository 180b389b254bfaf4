"""Users: creation, passwords, lockout, roles, disabling, the set-up token, CLI."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from kam.cli import main
from kam.errors import ConflictError, InputError, PermissionDenied
from kam.store.auth_tables import users as users_table
from kam.store.repository import Store
from kam.users import (
    MAX_FAILURES,
    authenticate,
    consume_setup_token,
    create_setup_token,
    create_user,
    disable_user,
    get_user,
    list_users,
    set_role,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    s.upgrade()
    yield s
    s.dispose()


def test_the_stored_hash_is_argon2id_not_the_password(store: Store) -> None:
    create_user(store.engine, "Ana@Example.com", "kam", password=PASSWORD)
    with store.engine.connect() as conn:
        digest = conn.execute(sa.select(users_table.c.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$")
    assert PASSWORD not in digest


def test_sign_in_ignores_the_case_of_the_email(store: Store) -> None:
    create_user(store.engine, "Ana@Example.com", "kam", password=PASSWORD)
    assert authenticate(store.engine, "ANA@example.COM", PASSWORD).email == (
        "ana@example.com"
    )


def test_a_wrong_password_and_an_unknown_email_get_the_same_message(
    store: Store,
) -> None:
    create_user(store.engine, "ana@example.com", "kam", password=PASSWORD)
    with pytest.raises(PermissionDenied) as wrong:
        authenticate(store.engine, "ana@example.com", "nope nope nope")
    with pytest.raises(PermissionDenied) as unknown:
        authenticate(store.engine, "bob@example.com", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "wrong e-mail or password"


def test_the_account_locks_after_five_failures_even_for_the_right_password(
    store: Store,
) -> None:
    create_user(store.engine, "ana@example.com", "kam", password=PASSWORD)
    for _ in range(MAX_FAILURES):
        with pytest.raises(PermissionDenied, match="wrong"):
            authenticate(store.engine, "ana@example.com", "wrong password!")
    with pytest.raises(PermissionDenied, match="too many failed sign-ins"):
        authenticate(store.engine, "ana@example.com", PASSWORD)


def test_a_disabled_user_cannot_sign_in(store: Store) -> None:
    create_user(store.engine, "ana@example.com", "kam", password=PASSWORD)
    disable_user(store.engine, "ana@example.com")
    with pytest.raises(PermissionDenied):
        authenticate(store.engine, "ana@example.com", PASSWORD)


def test_duplicate_emails_bad_roles_and_short_passwords_are_refused(
    store: Store,
) -> None:
    create_user(store.engine, "ana@example.com", "kam", password=PASSWORD)
    with pytest.raises(ConflictError, match=r"ana@example\.com"):
        create_user(store.engine, "ANA@example.com", "viewer", password=PASSWORD)
    with pytest.raises(InputError, match="'boss' is not one of admin"):
        create_user(store.engine, "bob@example.com", "boss", password=PASSWORD)
    with pytest.raises(InputError, match="at least 10"):
        create_user(store.engine, "bob@example.com", "kam", password="short")


def test_set_role_changes_the_role(store: Store) -> None:
    create_user(store.engine, "ana@example.com", "viewer", password=PASSWORD)
    set_role(store.engine, "ana@example.com", "analyst")
    assert get_user(store.engine, "ana@example.com").role == "analyst"


def test_the_setup_token_creates_one_admin_once(store: Store) -> None:
    token = create_setup_token(store.engine)
    with pytest.raises(PermissionDenied):
        consume_setup_token(store.engine, token + "x", "root@example.com", PASSWORD)
    admin = consume_setup_token(store.engine, token, "root@example.com", PASSWORD)
    assert admin.role == "admin"
    with pytest.raises(PermissionDenied):
        consume_setup_token(store.engine, token, "two@example.com", PASSWORD)
    assert [u.email for u in list_users(store.engine)] == ["root@example.com"]


def test_cli_users_add_list_set_role_disable(
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = ["--database", sqlite_url]
    assert main(["users", "add", "ana@example.com", "--role", "kam", *db]) == 0
    shown = capsys.readouterr().out
    password = shown.split("Password (shown once): ")[1].strip()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["users", "add", "bob@example.com", "--role", "viewer", "--password-stdin"]
    assert main([*args, *db]) == 0
    assert "Password" not in capsys.readouterr().out
    assert main(["users", "set-role", "bob@example.com", "executive", *db]) == 0
    assert main(["users", "disable", "ana@example.com", *db]) == 0
    assert main(["users", "list", *db]) == 0
    listing = capsys.readouterr().out
    assert "bob@example.com" in listing
    assert "executive" in listing
    store = Store(sqlite_url)
    try:
        assert authenticate(store.engine, "bob@example.com", PASSWORD).role == (
            "executive"
        )
        with pytest.raises(PermissionDenied):
            authenticate(store.engine, "ana@example.com", password)
    finally:
        store.dispose()
    assert main(["users", "set-role", "bob@example.com", "boss", *db]) == 1
