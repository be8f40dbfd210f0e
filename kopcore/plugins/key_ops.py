"""Built-in plugin: API keys (issue, revoke, rotate, list)."""

from __future__ import annotations

from datetime import datetime

import attrs
from sqlalchemy import select

from kopcore import _auth as auth
from kopcore import hookimpl
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, message
from kopcore.operations import Operation

#: Keys are managed by those who manage users.
MANAGE = "users.manage"


@attrs.frozen
class IssueKeyIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    label: str | None = attrs.field(default=None, metadata={"help": "Where the key is used",
                                                            "max_length": 100})


@attrs.frozen
class KeyOut:
    """A new API key. The key is shown once; only its hash is stored."""

    key_id: str
    api_key: str


@attrs.frozen
class RevokeKeyIn:
    key_id: str = attrs.field(metadata={"help": "Key id (the part after kop_)", "max_length": 32})


@attrs.frozen
class RotateKeyIn:
    key_id: str = attrs.field(metadata={"help": "Key id to replace", "max_length": 32})
    label: str | None = attrs.field(default=None, metadata={"help": "Label of the new key",
                                                            "max_length": 100})


@attrs.frozen
class KeyOwnerIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})


@attrs.frozen
class KeyInfoOut:
    key_id: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


@attrs.frozen
class KeysOut:
    keys: list[KeyInfoOut]


@attrs.frozen
class Done:
    done: bool


def issue_key(ctx: Context, data: IssueKeyIn) -> KeyOut:
    """Issue an API key (shown once; rotate by issuing a new one and revoking the old)."""
    return KeyOut(*auth.issue_key(ctx.conn, data.username, data.label))


def revoke_key(ctx: Context, data: RevokeKeyIn) -> Done:
    """Revoke an API key at once."""
    auth.revoke_key(ctx.conn, data.key_id)
    return Done(True)


def rotate_key(ctx: Context, data: RotateKeyIn) -> KeyOut:
    """Replace an API key: the old one is revoked and a new one issued, in one step."""
    k, u = t.api_keys.c, t.users.c
    owner = ctx.conn.execute(select(u.username).join(t.api_keys, k.user_id == u.id)
                             .where(k.key_id == data.key_id, k.revoked_at.is_(None))).first()
    if owner is None:
        raise NotFound(message("no active key {key_id}", key_id=data.key_id), field="key_id")
    auth.revoke_key(ctx.conn, data.key_id)
    return KeyOut(*auth.issue_key(ctx.conn, owner.username, data.label))


def list_keys(ctx: Context, data: KeyOwnerIn) -> KeysOut:
    """A user's keys (ids and labels, never secrets)."""
    return KeysOut([KeyInfoOut(**k) for k in auth.list_keys(ctx.conn, data.username)])


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("keys.issue", IssueKeyIn, KeyOut, issue_key, mutates=True,
                  summary="Issue an API key", sensitive_output=True,
                  errors=(NotFound, Conflict), permission=MANAGE),
        Operation("keys.revoke", RevokeKeyIn, Done, revoke_key, mutates=True,
                  summary="Revoke an API key", errors=(NotFound,), permission=MANAGE),
        Operation("keys.rotate", RotateKeyIn, KeyOut, rotate_key, mutates=True,
                  summary="Replace an API key", sensitive_output=True, errors=(NotFound,),
                  permission=MANAGE),
        Operation("keys.list", KeyOwnerIn, KeysOut, list_keys, mutates=False,
                  summary="List a user's keys", errors=(NotFound,), permission=MANAGE),
    ]
