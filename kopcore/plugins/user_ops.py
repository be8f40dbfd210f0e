"""Built-in plugin: users and the kernel's roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from kopcore import _auth as auth
from kopcore import _logins as logins
from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message
from kopcore.ledger import _offices as offices
from kopcore.operations import Operation
from kopcore.records import RoleSpec

MANAGE = "users.manage"


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class CreateUserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    role: str = attrs.field(metadata={
        "help": "admin, manager, teller, auditor, member or a role a plugin declares",
        "max_length": 32})
    member: str | None = attrs.field(default=None, metadata={
        "help": "Member number (member and other member-scoped roles only)",
        "max_length": 32})
    office: str | None = attrs.field(default=None, metadata={
        "help": "Office code (default: the office of the user creating it)", "max_length": 16})


@attrs.frozen
class UserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})


@attrs.frozen
class UserOut:
    username: str
    role: str
    member_id: int | None
    active: bool
    office: str | None = None


@attrs.frozen
class UsersOut:
    users: list[UserOut]


def _user_out(row: dict[str, Any], codes: dict[int, str]) -> UserOut:
    return UserOut(row["username"], row["role"], row["member_id"], bool(row["active"]),
                   codes.get(row["office_id"]))


def _office_codes(ctx: Context) -> dict[int, str]:
    return {office.id: office.code for office in offices.list_offices(ctx.conn)}


def create_user(ctx: Context, data: CreateUserIn) -> UserOut:
    """Create a user with a role in an office; member users are linked to their member
    number."""
    member_id = ledger.get_member(ctx, data.member).id if data.member else None
    office_id = (offices.get_office(ctx.conn, data.office).id if data.office is not None
                 else ctx.office_id)
    return _user_out(auth.create_user(ctx.conn, data.username, data.role, member_id,
                                      roles=auth.declared_roles(ctx.kernel.plugins),
                                      office_id=office_id), _office_codes(ctx))


def list_users(ctx: Context, data: NoInput) -> UsersOut:
    """Every user, role and office."""
    codes = _office_codes(ctx)
    return UsersOut([_user_out(u, codes) for u in auth.list_users(ctx.conn)])


def deactivate_user(ctx: Context, data: UserIn) -> UserOut:
    """Deactivate a user and revoke all their keys."""
    if data.username == ctx.actor:
        raise Conflict(message("you cannot deactivate yourself"))
    return _user_out(auth.set_active(ctx.conn, data.username, False), _office_codes(ctx))


@attrs.frozen
class PasswordOut:
    username: str
    temporary_password: str
    must_change: bool


def set_password(ctx: Context, data: UserIn) -> PasswordOut:
    """Give a user a temporary password for the web app, shown once: they must change it at
    their first login. Clears a lockout, turns two-step login off (a lost phone) and ends the
    user's web sessions."""
    password = logins.temporary_password()
    logins.set_password(ctx.conn, data.username, password, temporary=True)
    from kopcore import _events

    _events.password_reset(ctx, data.username)  # tells a member's user (never the password)
    return PasswordOut(data.username, password, True)


@hookimpl
def kopcore_roles() -> Sequence[RoleSpec]:
    return tuple(auth.KERNEL_ROLES.values())


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("users.create", CreateUserIn, UserOut, create_user, mutates=True,
                  summary="Create a user", errors=(ValidationError, Conflict, NotFound),
                  permission=MANAGE),
        Operation("users.list", NoInput, UsersOut, list_users, mutates=False,
                  summary="List users", permission=MANAGE),
        Operation("users.deactivate", UserIn, UserOut, deactivate_user, mutates=True,
                  summary="Deactivate a user", errors=(NotFound, Conflict), permission=MANAGE),
        Operation("users.set-password", UserIn, PasswordOut, set_password, mutates=True,
                  summary="Give a user a temporary web app password", errors=(NotFound,),
                  permission=MANAGE, sensitive_output=True),
    ]
