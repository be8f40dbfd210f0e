"""Users, roles, API keys and permissions.

API keys look like ``kop_<key id>_<secret>``. Only the SHA-256 of the secret is stored (the
secret is 32 random bytes, so a fast hash is enough), and it is compared in constant time. A user
has one role. The kernel's roles are ``admin`` (every permission), ``manager``, ``teller``,
``auditor`` and ``member``; plugins add their own (``kopcore_roles``). A user of the ``member``
role (or of another member-scoped role) is linked to one member and may only see and move that
member's money. Which role holds which permission is declared by the plugins
(``kopcore_permissions``, and a role's own ``permissions``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, select, update

from kopcore._db import tables as t
from kopcore.errors import Conflict, NotFound, Unauthorized, ValidationError
from kopcore.records import RoleSpec

ADMIN = "admin"
KEY_PATTERN = re.compile(r"^kop_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")

#: The kernel's roles, declared by its built-in plugin ``kopcore.users`` like any plugin's.
KERNEL_ROLES: Mapping[str, RoleSpec] = {role.name: role for role in (
    RoleSpec(ADMIN, "Administrator: holds every permission"),
    RoleSpec("manager", "Manager (pengurus or manajer): decides, approves, closes the day"),
    RoleSpec("teller", "Teller: serves members at the counter"),
    RoleSpec("auditor", "Auditor (pengawas): reads the books and the audit trail"),
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
    """The permissions a role holds: those declared for it and its own; ``admin``: all."""
    if role == ADMIN:
        return frozenset(plugins.permissions)
    declared = plugins.roles.get(role)
    own = declared.value.permissions if declared is not None else ()
    return frozenset(name for name, claimed in plugins.permissions.items()
                     if role in claimed.value.roles).union(own)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(conn: Connection, username: str, role: str, member_id: int | None = None, *,
                roles: Mapping[str, RoleSpec] = KERNEL_ROLES) -> dict[str, Any]:
    """Create an active user with one of ``roles`` (the kernel's, unless the plugins' are
    given); a member-scoped role's user is linked to ``member_id``."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,63}", username or ""):
        raise ValidationError("username: 2-64 lowercase letters, digits, '.', '_' or '-'",
                              field="username")
    spec = roles.get(role)
    if spec is None:
        raise ValidationError(f"role must be one of {', '.join(roles)}", field="role")
    if spec.member_scoped != (member_id is not None):
        raise ValidationError(f"a {role} user needs a member" if spec.member_scoped
                              else f"a {role} user is not linked to a member", field="member")
    if conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first():
        raise Conflict(f"user {username} already exists", field="username")
    conn.execute(t.users.insert().values(username=username, role=role, member_id=member_id,
                                         active=True, created_at=datetime.now(UTC)))
    return get_user(conn, username)


def get_user(conn: Connection, username: str) -> dict[str, Any]:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    if row is None:
        raise NotFound(f"user {username} not found", field="username")
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
        raise Conflict(f"user {username} is deactivated")
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
        raise NotFound(f"no active key {key_id}", field="key_id")


def list_keys(conn: Connection, username: str) -> list[dict[str, Any]]:
    user = get_user(conn, username)
    k = t.api_keys.c
    rows = conn.execute(select(k.key_id, k.label, k.created_at, k.revoked_at)
                        .where(k.user_id == user["id"]).order_by(k.id))
    return [dict(r._mapping) for r in rows]


def principal_for(conn: Connection, plugins: Any, username: str) -> Principal:
    row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
    if row is None or not row.active:
        raise Unauthorized(f"no active user {username!r}")
    return Principal(row.username, row.role, row.member_id, role_permissions(plugins, row.role))


def authenticate(conn: Connection, plugins: Any, key: str) -> Principal:
    """The principal of an API key, or Unauthorized (same message for every failure)."""
    refused = Unauthorized("invalid or revoked API key")
    match = KEY_PATTERN.fullmatch(key or "")
    if match is None:
        raise refused
    key_id, secret = match.groups()
    k, u = t.api_keys.c, t.users.c
    row = conn.execute(
        select(k.secret_hash, k.revoked_at, u.username, u.active)
        .join(t.users, u.id == k.user_id).where(k.key_id == key_id)
    ).first()
    expected = row.secret_hash if row is not None else _hash("absent")
    valid = hmac.compare_digest(_hash(secret), expected)
    if row is None or not valid or row.revoked_at is not None or not row.active:
        raise refused
    return principal_for(conn, plugins, row.username)
