"""The steps of invoking an operation, the same for every front end.

A call of an operation runs these steps in this order. :func:`kopcore._service.invoke` composes
them for the web API, the CLI and tests; :mod:`kopcore.approvals` runs the same steps when a
waiting request is approved.

1. **Permit** (:func:`check_permission`): the caller's role holds the operation's permission,
   and a member-scoped caller calls only operations about a member's own records (or
   self-service ones). It runs *before* the input is read, so a caller without the permission
   learns nothing of the operation's field rules.
2. **Load** (:func:`kopcore.interfaces._convert.load`): the raw input (a JSON body, query
   parameters, CLI options) becomes an instance of the operation's input class, or a
   ``ValidationError`` naming the field. :func:`input_digest` is the digest of the loaded input:
   equal for equal requests, whichever interface they came through and however their amounts
   are written.
3. **Authorise** (:func:`authorise`): the permission (step 1) and the records the input names
   (:func:`check_records`): a member-scoped caller's own accounts and membership, every
   plugin's ``kopcore_check_access``, and the office dimension (a caller whose role does not
   span offices uses only their offices' books and cash). This is the one authorisation path.
4. **Idempotency guard** (:class:`IdempotencyGuard`): with an Idempotency-Key, replay the first
   answer or refuse a different request, claim the key before acting and record the answer.
5. **Approval gate** (:func:`kopcore.approvals.gate`): at or above its threshold the request is
   queued for a second person instead of run.
6. **Execute and audit** (:func:`execute`): the handler runs in the call's transaction and the
   audit row (:class:`Audit`) is written in that same transaction; a refused mutation is audited
   in a transaction of its own (:meth:`Audit.refused`).

Steps 3 to 6 of a mutation share one transaction. Nothing here knows HTTP: a front end
establishes a :class:`~kopcore._auth.Principal` (an API key, the CLI's operator, a web session)
and hands over the raw input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import select, update

from kopcore._auth import Principal
from kopcore._db import tables as t
from kopcore._db.driver import DriverStatement
from kopcore.context import Context
from kopcore.errors import (
    Forbidden,
    IdempotencyConflict,
    KopcoreError,
    NotFound,
    ValidationError,
    message,
)
from kopcore.interfaces._convert import dump, load
from kopcore.kernel import Kernel
from kopcore.ledger._accounts import get_account
from kopcore.ledger._members import get_member
from kopcore.ledger._posting import request_digest
from kopcore.operations import Operation

log = logging.getLogger(__name__)


@attrs.frozen
class Outcome:
    """What an interface shows: an HTTP-like status and the JSON payload."""

    status: int
    payload: Any
    replayed: bool = False


# --- 1. permit ------------------------------------------------------------------------------


def check_permission(op: Operation, principal: Principal) -> None:
    """Refuse with Forbidden unless the principal's role holds ``op.permission`` and, for a
    member-scoped principal, the operation names accounts or members (checked in step 3) or is
    self-service."""
    if not principal.can(op.permission):
        raise Forbidden(message("role {role} may not {operation} (needs {permission})",
                                role=principal.role, operation=op.name,
                                permission=op.permission))
    if principal.member_scoped and not (op.account_fields or op.member_fields
                                        or op.self_service):
        raise Forbidden(message("members may not call {operation}", operation=op.name))


# --- 2. load --------------------------------------------------------------------------------


def _same_amounts(value: Any) -> Any:
    """The input as digested: equal amounts written differently ("50000" and "50000.00") are
    the same request."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if attrs.has(type(value)):
        return {f.name: _same_amounts(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, list | tuple):
        return [_same_amounts(v) for v in value]
    return dump(value)


def input_digest(op: Operation, data: Any) -> str:
    """The digest of a loaded input: the idempotency guard compares it and every audit row of
    the call carries it (an approved request's rows included)."""
    return request_digest({"op": op.name, "input": _same_amounts(data)})


def refusal_digest(op: Operation, raw: Mapping[str, Any], *, from_text: bool) -> str:
    """The digest for the audit row of a call refused before its input was loaded (step 1) or
    while it was (step 2): the loaded input's when it loads, so a forbidden request is recorded
    as the same request it would have been; the raw input's otherwise."""
    try:
        return input_digest(op, load(op.input, raw, from_text=from_text))
    except KopcoreError:
        return request_digest({"op": op.name, "raw": dict(raw)})


# --- 3. authorise ---------------------------------------------------------------------------


def authorise(ctx: Context, op: Operation, data: Any, principal: Principal) -> None:
    """Refuse with Forbidden unless ``principal`` may call ``op`` on the records ``data``
    names: the permission (:func:`check_permission`), then :func:`check_records`."""
    check_permission(op, principal)
    check_records(ctx, op, data, principal)


def check_records(ctx: Context, op: Operation, data: Any, principal: Principal) -> None:
    """The records a permitted call names: every plugin's ``kopcore_check_access`` (a refusal
    refuses the call), then, for a member-scoped principal, the kernel's rule that every
    account and member named is their own, unless the operation's own plugin allowed it."""
    allowed = False
    answers = ctx.kernel.plugins.call("kopcore_check_access", ctx=ctx, operation=op,
                                           data=data)
    for plugin, access in answers:
        if not access.allowed:
            raise Forbidden(access.reason)
        allowed = allowed or plugin == op.plugin
    if principal.member_scoped and not allowed:
        _check_own_records(ctx, op, data, principal)
    if principal.offices is not None:
        _check_offices(ctx, op, data, principal.offices)


#: The longest string that can name an account (kopcore.ledger._accounts.open_account).
_ACCOUNT_NUMBER_LENGTH = 64


def _named_strings(value: Any, found: set[str]) -> set[str]:
    """Every short string in the loaded input, at any depth (lines of an entry included)."""
    if isinstance(value, str):
        if 0 < len(value) <= _ACCOUNT_NUMBER_LENGTH:
            found.add(value)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _named_strings(getattr(value, field.name), found)
    elif isinstance(value, list | tuple):
        for item in value:
            _named_strings(item, found)
    return found


def _check_offices(ctx: Context, op: Operation, data: Any, offices: frozenset[int]) -> None:
    """The office dimension, for a caller whose role does not span offices: every office the
    input names (``op.office_fields``; none named means every office) is theirs or under
    theirs, and so is every internal account (cash, vault, a GL posting account) the input
    names anywhere. A member's own accounts are served at every office: a member of branch A
    pays in at branch B's counter, into B's cash."""
    refusal = message("your office may only use its own offices' books and cash")
    for name in op.office_fields:
        code = getattr(data, name)
        if code is None:
            raise Forbidden(message("your office sees its own offices only: name one ({name})",
                                    name=name))
        row = ctx.conn.execute(select(t.offices.c.id).where(t.offices.c.code == code)).first()
        if row is None or row.id not in offices:
            raise Forbidden(refusal)
    numbers = _named_strings(data, set())
    if not numbers:
        return
    a = t.accounts.c
    for row in ctx.conn.execute(select(a.number, a.office_id).where(
            a.number.in_(sorted(numbers)), a.member_id.is_(None))):
        if row.office_id not in offices:
            raise Forbidden(message("account {account} belongs to another office: {refusal}",
                                    account=row.number, refusal=refusal))


def _check_own_records(ctx: Context, op: Operation, data: Any, principal: Principal) -> None:
    owners: tuple[tuple[tuple[str, ...], Callable[[str], int | None], str], ...] = (
        (op.account_fields, lambda number: get_account(ctx, number).member_id,
         message("members may only use their own accounts")),
        (op.member_fields, lambda number: get_member(ctx, number).id,
         message("members may only see their own membership")),
    )
    for fields, owner_of, refusal in owners:
        for name in fields:
            number = getattr(data, name)
            # A number that does not exist is refused like someone else's: a member learns
            # nothing about which account or member numbers exist.
            try:
                owner = owner_of(number) if number is not None else None
            except NotFound:
                owner = None
            if owner is None or owner != principal.member_id:
                raise Forbidden(refusal)


# --- 4. idempotency guard -------------------------------------------------------------------


@attrs.frozen
class IdempotencyGuard:
    """A mutation's Idempotency-Key, kept per user: the same key and request answer the first
    answer again; the same key with another request is an IdempotencyConflict. Without a key
    every method does nothing."""

    op: Operation
    actor: str
    key: str | None
    digest: str

    def __attrs_post_init__(self) -> None:
        if self.key is None:
            return
        if not 1 <= len(self.key) <= 200:
            raise ValidationError(message("Idempotency-Key must be 1-200 characters"),
                                  field="Idempotency-Key")
        if self.op.sensitive_output:
            raise ValidationError(message("{operation} returns a secret once and takes no "
                                          "Idempotency-Key", operation=self.op.name),
                                  field="Idempotency-Key")

    def replay(self, ctx: Context) -> Outcome | None:
        """The first answer given to this key, or None when the key is new (or absent)."""
        if self.key is None:
            return None
        r = t.idempotency_records.c
        row = ctx.conn.execute(select(r.operation, r.request_digest, r.status_code, r.response)
                               .where(r.actor == self.actor, r.key == self.key)).first()
        if row is None:
            return None
        if row.operation != self.op.name or row.request_digest != self.digest:
            raise IdempotencyConflict(message(
                "Idempotency-Key '{key}' was already used for a different request",
                key=self.key))
        return Outcome(row.status_code, json.loads(row.response), replayed=True)

    def replay_after_race(self, kernel: Kernel) -> Outcome | None:
        """After a unique-constraint failure: the answer of a concurrent request with this key
        that committed first, if that was the race lost."""
        return kernel.read(self.actor, self.replay)

    def claim(self, ctx: Context, outcome: Outcome | None = None) -> None:
        """Record the key before acting (with no answer yet): a concurrent request with the
        same key waits on this row until the call commits (then replays its answer) or rolls
        back (then acts itself), instead of acting on the state this call leaves. With
        ``outcome``: record the key and its answer at once."""
        if self.key is None:
            return
        outcome = outcome or Outcome(0, None)
        ctx.conn.execute(t.idempotency_records.insert().values(
            actor=self.actor, key=self.key, operation=self.op.name, request_digest=self.digest,
            status_code=outcome.status, response=json.dumps(outcome.payload),
            created_at=datetime.now(UTC)))

    def answer(self, ctx: Context, outcome: Outcome) -> None:
        """Record the answer of a claimed key, in the call's transaction."""
        if self.key is None:
            return
        r = t.idempotency_records.c
        ctx.conn.execute(update(t.idempotency_records)
                         .where(r.actor == self.actor, r.key == self.key)
                         .values(status_code=outcome.status,
                                 response=json.dumps(outcome.payload)))


# --- 6. execute and audit -------------------------------------------------------------------


#: Every mutation writes one: built once, run through the driver (kopcore._db.driver).
_INSERT_AUDIT = DriverStatement(t.audit_log.insert(), column_keys=(
    "at", "actor", "interface", "operation", "input_digest", "outcome", "detail"))


@attrs.frozen
class Audit:
    """The audit trail of one mutation call: who, through which interface, which operation,
    the digest of its input and how it ended (``ok``, ``approval-required`` or the error code).
    """

    op: Operation
    actor: str
    interface: str
    digest: str

    def record(self, ctx: Context, outcome: str, detail: str | None = None) -> None:
        """Write the audit row in the call's transaction."""
        _INSERT_AUDIT.rowcount(ctx.conn, {
            "at": datetime.now(UTC), "actor": self.actor, "interface": self.interface,
            "operation": self.op.name, "input_digest": self.digest, "outcome": outcome,
            "detail": detail[:500] if detail else None})

    def refused(self, kernel: Kernel, error: KopcoreError) -> None:
        """Audit a refusal in a transaction of its own: the call's own rolled back."""
        try:
            kernel.write(self.actor, lambda ctx: self.record(ctx, error.code, error.detail),
                         operation=self.op.name)
        except Exception:  # the refusal itself must still reach the caller
            log.exception("could not audit refused %s", self.op.name)


def execute(ctx: Context, op: Operation, data: Any, audit: Audit | None,
            note: str | None = None) -> Outcome:
    """Run the handler in the call's transaction; for a mutation, write its ``ok`` audit row
    (with ``note`` as detail) in that same transaction."""
    outcome = Outcome(200, dump(op.handler(ctx, data)))
    if audit is not None:
        audit.record(ctx, "ok", note)
    return outcome
