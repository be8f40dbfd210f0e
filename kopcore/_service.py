"""Invoking an operation: the single entry behind every route, command and test call.

:func:`invoke` composes the steps of :mod:`kopcore._invocation`: permit → load → (in one
transaction) authorise the records → for a mutation, the idempotency guard → the approval gate
→ execute and audit. A refused mutation is audited in a transaction of its own, so refusals are
on the record too. A front end only establishes the :class:`~kopcore._auth.Principal` and passes
the raw input: the CLI from its operator, a web app from its session; the web API hands its API
key to :func:`invoke_authenticated`, which establishes the principal inside the call's own
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from kopcore import _approvals as approvals
from kopcore._auth import Principal
from kopcore._invocation import (
    Audit,
    IdempotencyGuard,
    Outcome,
    check_permission,
    check_records,
    execute,
    input_digest,
    refusal_digest,
)
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, KopcoreError, NotFound, ValidationError, message
from kopcore.interfaces._convert import load
from kopcore.kernel import Kernel
from kopcore.operations import Operation

__all__ = ["Credential", "Outcome", "call_within", "check_within", "invoke",
           "invoke_authenticated"]

Progress = Callable[[str, int, int], None]
#: Establishes the caller from their credential (an API key) in the given transaction, or
#: raises :class:`~kopcore.errors.Unauthorized`.
Credential = Callable[[Connection], Principal]


def invoke(
    kernel: Kernel,
    op: Operation,
    raw: Mapping[str, Any],
    principal: Principal,
    *,
    interface: str,
    idempotency_key: str | None = None,
    from_text: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """Run ``op`` for ``principal`` on raw input; raises KopcoreError for every refusal.

    ``interface`` names the front end in the audit trail (``api``, ``cli``, ``test``...);
    ``from_text``: the raw values are text to parse (query parameters, CLI options);
    ``progress``: told of a long operation's progress (end of day)."""
    try:
        check_permission(op, principal)
        data = load(op.input, raw, from_text=from_text)
    except KopcoreError as exc:
        if op.mutates:
            digest = refusal_digest(op, raw, from_text=from_text)
            Audit(op, principal.username, interface, digest).refused(kernel, exc)
        raise
    if not op.mutates:
        def read(ctx: Context) -> Outcome:
            check_records(ctx, op, data, principal)
            return execute(ctx, op, data, None)

        return kernel.read(principal.username, read, operation=op.name, principal=principal)

    audit = Audit(op, principal.username, interface, input_digest(op, data))
    guard = IdempotencyGuard(op, principal.username, idempotency_key, audit.digest)
    if op.own_transactions:
        return _run_own_transactions(kernel, op, data, principal, audit, guard, progress)

    def mutate(ctx: Context) -> Outcome:
        return _checked_and_executed(ctx, op, data, principal, audit, guard)

    try:
        return kernel.write(principal.username, mutate, operation=op.name, principal=principal)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its result.
        replayed = guard.replay_after_race(kernel)
        if replayed is not None:
            return replayed
        # A unique constraint lost a race with a concurrent request (the same NIK registered
        # twice at once, say): nothing of this request was written.
        error = Conflict(message("{operation} conflicts with a concurrent change; nothing was "
                                 "written. Check the current state and retry.",
                                 operation=op.name))
        audit.refused(kernel, error)
        raise error from None
    except KopcoreError as exc:
        audit.refused(kernel, exc)
        raise


def invoke_authenticated(
    kernel: Kernel,
    op: Operation,
    raw: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    credential: Credential,
    *,
    interface: str,
    idempotency_key: str | None = None,
    from_text: bool = False,
) -> Outcome:
    """:func:`invoke`, with the caller established by ``credential`` inside the call's own
    transaction rather than in one of its own before it.

    The steps and their order are :func:`invoke`'s (authenticate, permit, load, authorise,
    idempotency guard, approval gate, execute and audit), and a refusal is audited the same
    way; only the principal is read in the transaction that acts. So a request costs one
    transaction, and what the credential is worth is what it is worth when the call acts: a
    key revoked, or a user deactivated or given another role, before the call's transaction
    began is refused (or acts with its new role) whichever process changed it. An operation
    that runs its own transactions (end of day) authenticates in a read transaction first.

    ``raw`` may be a function giving the input (a request body to parse): it is called once
    the caller is authenticated, so an unauthenticated request is refused as such whatever
    its body, and a body it refuses is not audited (as a request refused before
    :func:`invoke` is not)."""
    def given() -> Mapping[str, Any]:
        return raw() if callable(raw) else raw

    if op.own_transactions:
        principal = kernel.db.read(credential)
        return invoke(kernel, op, given(), principal, interface=interface,
                      idempotency_key=idempotency_key, from_text=from_text)
    if not op.mutates:
        def read(conn: Connection) -> Outcome:
            principal = credential(conn)
            check_permission(op, principal)
            data = load(op.input, given(), from_text=from_text)
            ctx = Context(kernel, conn, principal.username, op.name, principal)
            check_records(ctx, op, data, principal)
            return execute(ctx, op, data, None)

        return kernel.db.read(read)

    #: What the call has established so far: who (for a refusal's audit row), and once the
    #: input is loaded, its audit and idempotency guard.
    state: dict[str, Any] = {}

    def mutate(conn: Connection) -> Outcome:
        state.clear()
        principal = credential(conn)
        state["raw"] = given()
        state["principal"] = principal
        check_permission(op, principal)
        data = load(op.input, state["raw"], from_text=from_text)
        audit = state["audit"] = Audit(op, principal.username, interface,
                                       input_digest(op, data))
        state["unaudited"] = True  # as in invoke, a malformed Idempotency-Key is not audited
        guard = state["guard"] = IdempotencyGuard(op, principal.username, idempotency_key,
                                                  audit.digest)
        del state["unaudited"]
        ctx = Context(kernel, conn, principal.username, op.name, principal)
        return _checked_and_executed(ctx, op, data, principal, audit, guard)

    try:
        return kernel.db.write(mutate)
    except IntegrityError:
        guard: IdempotencyGuard | None = state.get("guard")
        if guard is None:  # not a race of the call's own writes
            raise
        replayed = guard.replay_after_race(kernel)
        if replayed is not None:
            return replayed
        error = Conflict(message("{operation} conflicts with a concurrent change; nothing was "
                                 "written. Check the current state and retry.",
                                 operation=op.name))
        state["audit"].refused(kernel, error)
        raise error from None
    except KopcoreError as exc:
        caller: Principal | None = state.get("principal")
        if caller is None or state.get("unaudited"):
            raise  # not authenticated (nobody to record), or refused as invoke does not audit
        audit = state.get("audit") or Audit(op, caller.username, interface,
                                            refusal_digest(op, state["raw"],
                                                           from_text=from_text))
        audit.refused(kernel, exc)
        raise


def _checked_and_executed(ctx: Context, op: Operation, data: Any, principal: Principal,
                          audit: Audit, guard: IdempotencyGuard) -> Outcome:
    """The call inside its transaction: the records checked, a replay answered from the
    idempotency record, else the key claimed and the operation executed (or held for approval)
    and its answer recorded under the key."""
    check_records(ctx, op, data, principal)
    outcome = guard.replay(ctx)
    if outcome is not None:
        return outcome
    guard.claim(ctx)
    outcome = approvals.gate(ctx, op, data, principal, audit) or execute(ctx, op, data, audit)
    guard.answer(ctx, outcome)
    return outcome


def _run_own_transactions(kernel: Kernel, op: Operation, data: Any, principal: Principal,
                          audit: Audit, guard: IdempotencyGuard, progress: Progress | None
                          ) -> Outcome:
    """An operation whose handler runs its own transactions (end of day): it is called inside
    a read-only transaction, and its audit row and idempotency record are written after it."""
    def run(ctx: Context) -> Outcome:
        ctx.progress = progress
        check_records(ctx, op, data, principal)
        return guard.replay(ctx) or execute(ctx, op, data, None)

    try:
        outcome = kernel.read(principal.username, run, operation=op.name, principal=principal)
    except KopcoreError as exc:
        audit.refused(kernel, exc)
        raise
    if outcome.replayed:
        return outcome

    def record(ctx: Context) -> None:
        audit.record(ctx, "ok")
        guard.claim(ctx, outcome)

    try:
        kernel.write(principal.username, record, operation=op.name)
    except IntegrityError:
        # A concurrent run with the same key recorded first (the handler guards its own work,
        # as end of day never applies a day twice): keep the audit row.
        kernel.write(principal.username, lambda ctx: audit.record(ctx, "ok"),
                     operation=op.name)
    return outcome


def _nested_operation(ctx: Context, name: str) -> Operation:
    claimed = ctx.kernel.plugins.operations.get(name)
    if claimed is None:
        raise NotFound(message("no operation {name!r} is enabled", name=name))
    op: Operation = claimed.value
    if op.own_transactions or op.signature_header is not None or op.upload_field is not None:
        raise ValidationError(message("operation {name} cannot be called from another "
                                      "operation (it runs its own transactions, is a signed "
                                      "callback or takes a file)", name=name), field="operation")
    return op


def check_within(ctx: Context, name: str, raw: Mapping[str, Any]) -> None:
    """Load ``raw`` as ``name``'s input and authorise ``ctx.principal`` for it (permission and
    records, as :func:`invoke` does) without running it. Raises the refusal's KopcoreError."""
    op = _nested_operation(ctx, name)
    if ctx.principal is None:
        raise Forbidden(message("{name}: no authenticated caller to authorise",
                                name=name))
    check_permission(op, ctx.principal)
    check_records(ctx, op, load(op.input, raw), ctx.principal)


def call_within(ctx: Context, name: str, raw: Mapping[str, Any], *, caller: str) -> Any:
    """Run operation ``name`` on ``raw`` input in ``ctx``'s transaction, inside a savepoint:
    a refusal raises its KopcoreError with nothing of the call written, and the caller's own
    work stands. The call is audited (actor ``ctx.actor``, interface ``plugin:<caller>``) in
    the same transaction. No permission is checked here: the calling plugin decided, with
    :func:`check_within` when the call was arranged."""
    op = _nested_operation(ctx, name)
    data = load(op.input, raw)
    audit = Audit(op, ctx.actor, f"plugin:{caller}"[:16], input_digest(op, data))
    savepoint = ctx.conn.begin_nested()
    try:
        outcome = execute(ctx.for_operation(op.name), op, data, audit if op.mutates else None)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return outcome.payload
