"""Users, roles, API keys and permissions.

API keys look like ``kop_<key id>_<secret>``. Only the SHA-256 of the secret is stored (the
secret is 32 random bytes, so a fast hash is enough), and it is compared in constant time. A user
has one role. The kernel's roles are ``admin`` (every permission), ``manager``, ``teller``,
``auditor`` and ``member``; plugins add their own (``kopcore_roles``). A user of the ``member``
role (or of another member-scoped role) is linked to one member and may only see and move that
member's money. Which role holds which permission is declared by the plugins
(``kopcore_permissions``, and a role's own ``permissions``).

Every user belongs to one office (the head office unless told otherwise). Unless the role spans
offices (``admin``, ``auditor``, a plugin's role declared ``spans_offices``) or is
member-scoped, the user sees and moves the money of that office and the offices under it
(:attr:`Principal.offices`); the authorise step checks it (kopcore._invocation.check_records).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, bindparam, select, update

from kopcore._db import tables as t
from kopcore._db.driver import DriverStatement
from kopcore._db.tables import HEAD_OFFICE_ID
from kopcore.errors import Conflict, NotFound, Unauthorized, ValidationError, message
from kopcore.records import RoleSpec

ADMIN = "admin"
KEY_PATTERN = re.compile(r"^kop_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")

#: The kernel's roles, declared by its built-in plugin ``kopcore.users`` like any plugin's.
KERNEL_ROLES: Mapping[str, RoleSpec] = {role.name: role for role in (
    RoleSpec(ADMIN, "Administrator: holds every permission"),
    RoleSpec("manager", "Manager (pengurus or manajer): decides, approves, closes the day"),
    RoleSpec("teller", "Teller: serves members at the counter"),
    RoleSpec("auditor", "Auditor (pengawas): reads the books and the audit trail",
             spans_offices=True),
    RoleSpec("member", "Member: sees their own accounts and membership", member_scoped=True),
)}


@attrs.frozen
class Principal:
    """Who is acting: the username, role, linked member (member-scoped roles) and permissions.

    Established by an API key (:func:`authenticate`), by the CLI's operator or by any other
    front end that knows the username (:func:`principal_for`); the invocation steps take it
    from there the same way."""

    username: str
    role: str
    member_id: int | None
    permissions: frozenset[str]
    #: The user's office: where the calls are made (kopcore.context.Context.office_id).
    office_id: int = HEAD_OFFICE_ID
    #: The offices whose money the user sees and moves: their office and those under it;
    #: ``None``: every office (a role that spans offices, a member-scoped one, or a user of
    #: the head office).
    offices: frozenset[int] | None = None

    def can(self, permission: str) -> bool:
        return self.role == ADMIN or permission in self.permissions

    @property
    def member_scoped(self) -> bool:
        """Acting for one member: only about that member's own accounts and membership."""
        return self.member_id is not None


def declared_roles(plugins: Any) -> dict[str, RoleSpec]:
    """Every role the loaded plugins declare (the kernel's among them), by name."""
    return {name: claimed.value for name, claimed in plugins.roles.items()}


def role_permissions(plugins: Any, role: str) -> frozenset[str]:
    """The permissions a role holds: those declared for it and its own; ``admin``: all.

    Worked out once per role and plugin host: the declarations are fixed once the plugins are
    loaded (the key also holds the registries' sizes, so a host still being filled is never
    answered from an older state)."""
    key = (role, len(plugins.permissions), len(plugins.roles))
    cache: dict[tuple[str, int, int], frozenset[str]] | None = getattr(
        plugins, "_role_permissions", None)
    if cache is None:
        cache = {}
        with contextlib.suppress(AttributeError):  # else worked out every time
            plugins._role_permissions = cache
    held = cache.get(key)
    if held is None:
        held = cache[key] = _role_permissions(plugins, role)
    return held


def _role_permissions(plugins: Any, role: str) -> frozenset[str]:
    if role == ADMIN:
        return frozenset(plugins.permissions)
    declared = plugins.roles.get(role)
    own = declared.value.permissions if declared is not None else ()
    return frozenset(name for name, claimed in plugins.permissions.items()
                     if role in claimed.value.roles).union(own)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(conn: Connection, username: str, role: str, member_id: int | None = None, *,
                roles: Mapping[str, RoleSpec] = KERNEL_ROLES,
                office_id: int = HEAD_OFFICE_ID) -> dict[str, Any]:
    """Create an active user with one of ``roles`` (the kernel's, unless the plugins' are
    given) in office ``office_id``; a member-scoped role's user is linked to ``member_id``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,63}", username or ""):
        raise ValidationError(message("username: 2-64 lowercase letters, digits, '.', '_' or "
                                      "'-'"), field="username")
    spec = roles.get(role)
    if spec is None:
        raise ValidationError(message("role must be one of {roles}", roles=", ".join(roles)),
                              field="role")
    if spec.member_scoped != (member_id is not None):
        raise ValidationError(message("a {role} user needs a member", role=role)
                              if spec.member_scoped else
                              message("a {role} user is not linked to a member", role=role),
                              field="member")
    if conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first():
        raise Conflict(message("user {username} already exists", username=username),
                       field="username")
    conn.execute(t.users.insert().values(username=username, role=role, member_id=member_id,
                                         active=True, created_at=datetime.now(UTC),
                                         office_id=office_id))
    return get_user(conn, username)


def get_user(conn: Connection, username: str) -> dict[str, Any]:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    if row is None:
        raise NotFound(message("user {username} not found", username=username),
                       field="username")
    return dict(row._mapping)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(t.users).order_by(t.users.c.id))]


def set_active(conn: Connection, username: str, active: bool) -> dict[str, Any]:
    user = get_user(conn, username)
    conn.execute(update(t.users).where(t.users.c.id == user["id"]).values(active=active))
    if not active:
        conn.execute(update(t.api_keys).where(t.api_keys.c.user_id == user["id"],
                                              t.api_keys.c.revoked_at.is_(None))
                     .values(revoked_at=datetime.now(UTC)))
        conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == user["id"]))
    return get_user(conn, username)


def issue_key(conn: Connection, username: str, label: str | None = None) -> tuple[str, str]:
    """Create an API key for a user; returns (key id, the full key shown once)."""
    user = get_user(conn, username)
    if not user["active"]:
        raise Conflict(message("user {username} is deactivated", username=username))
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    conn.execute(t.api_keys.insert().values(
        user_id=user["id"], key_id=key_id, secret_hash=_hash(secret), label=label,
        created_at=datetime.now(UTC)))
    return key_id, f"kop_{key_id}_{secret}"


def revoke_key(conn: Connection, key_id: str) -> None:
    done = conn.execute(
        update(t.api_keys).where(t.api_keys.c.key_id == key_id, t.api_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC)).returning(t.api_keys.c.id)
    ).first()
    if done is None:
        raise NotFound(message("no active key {key}", key=key_id), field="key_id")


def list_keys(conn: Connection, username: str) -> list[dict[str, Any]]:
    user = get_user(conn, username)
    k = t.api_keys.c
    rows = conn.execute(select(k.key_id, k.label, k.created_at, k.revoked_at)
                        .where(k.user_id == user["id"]).order_by(k.id))
    return [dict(r._mapping) for r in rows]


def set_office(conn: Connection, username: str, office_id: int) -> dict[str, Any]:
    """Move a user to another office."""
    user = get_user(conn, username)
    conn.execute(update(t.users).where(t.users.c.id == user["id"]).values(office_id=office_id))
    return get_user(conn, username)


def office_scope(conn: Connection, plugins: Any, role: str, member_id: int | None,
                 office_id: int) -> frozenset[int] | None:
    """:attr:`Principal.offices` of a user of ``role`` in office ``office_id``."""
    declared = plugins.roles.get(role)
    if role == ADMIN or member_id is not None or office_id == HEAD_OFFICE_ID or (
            declared is not None and declared.value.spans_offices):
        return None
    from kopcore.ledger._offices import subtree

    return subtree(conn, office_id)


def principal_for(conn: Connection, plugins: Any, username: str) -> Principal:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    if row is None or not row.active:
        raise Unauthorized(message("no active user '{username}'", username=username))
    return Principal(row.username, row.role, row.member_id, role_permissions(plugins, row.role),
                     row.office_id,
                     office_scope(conn, plugins, row.role, row.member_id, row.office_id))


def _refused() -> Unauthorized:
    return Unauthorized(message("invalid or revoked API key"))


def check_key_format(key: str) -> None:
    """Refuse a string that cannot be an API key at all, before any database is asked (the
    same refusal as a wrong or revoked key)."""
    if KEY_PATTERN.fullmatch(key or "") is None:
        raise _refused()


_k, _u = t.api_keys.c, t.users.c
#: The key and its user in one statement: everything a principal is made of.
_KEY_AND_USER = DriverStatement(
    select(_k.secret_hash, _k.revoked_at, _u.username, _u.active, _u.role, _u.member_id,
           _u.office_id).join(t.users, _u.id == _k.user_id)
    .where(_k.key_id == bindparam("key_id")))


def authenticate(conn: Connection, plugins: Any, key: str) -> Principal:
    """The principal of an API key, or Unauthorized (same message for every failure).

    It reads the key and its user as they are in ``conn``'s transaction: run inside the call's
    own transaction, a key revoked (or a user deactivated, given another role or office) before
    the call's transaction began is refused, or acts as it is now, with nothing cached."""
    match = KEY_PATTERN.fullmatch(key or "")
    if match is None:
        raise _refused()
    key_id, secret = match.groups()
    rows = _KEY_AND_USER.rows(conn, {"key_id": key_id})
    row = rows[0] if rows else None
    expected = row[0] if row is not None else _hash("absent")
    valid = hmac.compare_digest(_hash(secret), expected)
    if row is None or not valid or row[1] is not None or not row[3]:
        raise _refused()
    _, _, username, _, role, member_id, office_id = row
    return Principal(username, role, member_id, role_permissions(plugins, role), office_id,
                     office_scope(conn, plugins, role, member_id, office_id))
