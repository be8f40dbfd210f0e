"""The event outbox: facts recorded with the change that caused them, delivered after commit.

:func:`emit` inserts an event into ``events`` through the caller's connection, so the event
commits with the posting (or end-of-day chunk, or login code) that caused it and a rolled-back
operation leaves none. Delivery renders the event's message with its type's ``render`` and
hands it to the member's notification channel (``kopcore._notify``), each event in a
transaction of its own, the channel's call inside a savepoint:

- **after commit**, in the process that emitted it (:func:`kopcore._db.database.after_commit`),
  unless the setting ``event_delivery`` is ``worker``;
- **by the worker**: ``kopcore events work`` (a long-running process) and the operation
  ``events.deliver`` (``kopcore events deliver``), which take what is due (claimed with
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several may run at once).

At least once: an event is marked ``sent`` in the transaction in which the channel accepted
it; a crash between the provider's answer and the commit sends it again, with the same
``event_id``, which the channel hands its provider as the idempotency key. A refusal counts an
attempt: the event is ``failed`` and tried again after :func:`backoff` (30 s, doubling, at
most an hour), and ``dead`` after the type's ``max_attempts`` (else the setting
``event_max_attempts``). ``skipped``: nobody to send it to (no member, no phone or address,
the member chose no messages). ``kopcore events replay`` puts an event back to ``pending``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DBAPIError

from kopcore._db import tables as t
from kopcore._db.database import after_commit
from kopcore._event_templates import quiet_until
from kopcore._event_templates import render as templated
from kopcore.context import Context
from kopcore.errors import ConfigurationError, Conflict, Message, NotFound, message
from kopcore.records import EventType, Notification

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, DEAD, SKIPPED = "pending", "sent", "failed", "dead", "skipped"
STATES = (PENDING, SENT, FAILED, DEAD, SKIPPED)
#: Not a state: what :func:`deliver_in` counts for an event held by the quiet hours (it stays
#: pending or failed, due when the hours end).
HELD = "held"
#: The kernel's event of a member's SHU share posted (kopcore._yearend.shu.post).
SHU_CREDITED = "yearend.shu-credited"
#: The kernel's event of a user's password set by an administrator (``users set-password``).
PASSWORD_RESET = "users.password-reset"  # noqa: S105 (an event type, not a password)
#: The channel name a member chooses to receive no messages (one-time codes still go).
NO_MESSAGES = "none"
#: The first wait after a failed delivery; it doubles with each attempt, up to the cap.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
#: What a secret event's payload becomes once it is sent or dead.
ERASED = "{}"


def backoff(attempts: int) -> timedelta:
    """The wait before the next delivery after ``attempts`` failed ones: 30 s, 60 s, 120 s ...
    doubling, never more than an hour."""
    if attempts < 1:
        return timedelta(0)
    wait: timedelta = BACKOFF_BASE * 2 ** min(attempts - 1, 20)
    return min(BACKOFF_CAP, wait)


def _now() -> datetime:
    return datetime.now(UTC)


def event_type(plugins: Any, name: str) -> EventType:
    """The declared event type ``name``, or a ConfigurationError (a plugin's mistake)."""
    claimed = plugins.event_types.get(name)
    if claimed is None:
        raise ConfigurationError(f"event type {name!r} is not declared by a loaded plugin "
                                 "(kopcore_event_types)")
    found: EventType = claimed.value
    return found


def emit(ctx: Context, type_name: str, payload: Mapping[str, Any], *,
         member_id: int | None = None, dedup_key: str | None = None) -> str | None:
    """Record an event of ``type_name`` in ``ctx``'s transaction; returns its event id, or
    ``None`` when an event with ``dedup_key`` was already recorded (a task run again)."""
    event_type(ctx.kernel.plugins, type_name)
    e = t.events.c
    if dedup_key is not None and ctx.conn.execute(
            select(e.id).where(e.dedup_key == dedup_key)).first() is not None:
        return None
    event_id = str(uuid.uuid4())
    now = _now()
    inserted = ctx.conn.execute(t.events.insert().values(
        event_id=event_id, type=type_name, member_id=member_id, dedup_key=dedup_key,
        payload=json.dumps(dict(payload), sort_keys=True, default=str), created_at=now,
        business_date=ctx.business_date, actor=ctx.actor, state=PENDING, attempts=0,
        next_attempt_at=now)).inserted_primary_key
    assert inserted is not None
    schedule(ctx, int(inserted[0]))
    from kopcore import _webhooks

    _webhooks.enqueue(ctx, int(inserted[0]), type_name)
    return event_id


def schedule(ctx: Context, row_id: int) -> None:
    """Deliver event ``row_id`` once ``ctx``'s transaction committed (setting
    ``event_delivery = "after-commit"``, the default)."""
    if ctx.settings.event_delivery == "after-commit":
        kernel = ctx.kernel

        def deliver_it() -> None:
            deliver_due(kernel, rows=[row_id])

        after_commit(ctx.conn, deliver_it)


def password_reset(ctx: Context, username: str) -> None:
    """Tell the member whose user ``username`` is that an administrator set a new password
    (a staff user linked to no member is told nothing); the password itself is never sent."""
    u = t.users.c
    member_id = ctx.conn.execute(select(u.member_id).where(u.username == username)).scalar()
    if member_id is not None:
        emit(ctx, PASSWORD_RESET, {"username": username, "by": ctx.actor,
                                   "date": ctx.business_date.isoformat()},
             member_id=int(member_id))


# --- delivery -----------------------------------------------------------------------------------


def _route(ctx: Context, member_id: int | None, secret: bool
           ) -> tuple[str, str, str] | str:
    """(channel, recipient, member number) for the member, or why nobody is sent it."""
    if member_id is None:
        return "no member to send it to"
    m = t.members.c
    member = ctx.conn.execute(select(m.member_number, m.phone, m.email)
                              .where(m.id == member_id)).one()
    p = t.member_notification_channels.c
    chosen = ctx.conn.execute(select(p.channel, p.recipient)
                              .where(p.member_id == member_id)).first()
    name = ctx.settings.notification_channel
    recipient = None
    if chosen is not None:
        if chosen.channel == NO_MESSAGES and not secret:
            return "the member chose to receive no messages"
        if chosen.channel != NO_MESSAGES:
            name, recipient = chosen.channel, chosen.recipient
    from kopcore._notify import channel

    found = channel(ctx.kernel.plugins, name)
    if recipient is None:
        recipient = member.email if found.address == "email" else member.phone
    if not recipient:
        return f"the member has no {'e-mail address' if found.address == 'email' else 'phone'}"
    return name, recipient, member.member_number


def _text(ctx: Context, rendered: str | None) -> str | None:
    if isinstance(rendered, Message):
        return rendered.text_in(ctx.settings.language)
    return rendered


def _deliver(ctx: Context, row: Any, now: datetime) -> str:
    """Deliver one claimed event; returns its new state."""
    from kopcore._notify import channel

    e = t.events.c
    declared = ctx.kernel.plugins.event_types.get(row.type)
    kind: EventType | None = declared.value if declared is not None else None
    secret = kind is not None and kind.secret
    attempts = row.attempts + 1
    name: str | None = None
    try:
        if kind is None:
            raise ConfigurationError(f"event type {row.type!r} is no longer declared")
        held = None if secret else quiet_until(ctx.settings.notification_quiet_hours,
                                                  ctx.settings.timezone, now)
        if held is not None:  # quiet hours: the event waits, no attempt spent
            ctx.conn.execute(update(t.events).where(e.id == row.id).values(
                next_attempt_at=held))
            return HELD
        route = _route(ctx, row.member_id, secret)
        payload = json.loads(row.payload)
        text = _text(ctx, templated(ctx.conn, kind, payload)) \
            if not isinstance(route, str) else None
        if isinstance(route, str) or text is None:
            ctx.conn.execute(update(t.events).where(e.id == row.id).values(
                state=SKIPPED, last_error=route if isinstance(route, str) else "no message",
                **({"payload": ERASED} if secret else {})))
            return SKIPPED
        name, recipient, member_number = route
        subject = _text(ctx, kind.subject(payload)) if kind.subject else ""
        message = Notification(row.type, member_number, recipient, text,
                               event_id=row.event_id, subject=subject or "")
        with ctx.conn.begin_nested():
            channel(ctx.kernel.plugins, name).deliver(
                ctx.for_operation("events.deliver"), message)
    except DBAPIError:
        # The database itself failed (gone, restarting): not the channel's fault. The whole
        # delivery rolls back and the event stays as it was, for the next attempt.
        raise
    except Exception as exc:  # a provider's refusal, a timeout, a plugin's bug: try again
        most = (kind.max_attempts if kind is not None and kind.max_attempts else None) \
            or ctx.settings.event_max_attempts
        failed = retry(attempts, most, now)
        state: str = failed["state"]
        log.warning("event %s (%s) not delivered, attempt %d: %s", row.event_id, row.type,
                    attempts, exc)
        ctx.conn.execute(update(t.events).where(e.id == row.id).values(
            **failed, last_error=f"{type(exc).__name__}: {exc}"[:500], channel=name,
            **({"payload": ERASED} if secret and state == DEAD else {})))
        return state
    ctx.conn.execute(update(t.events).where(e.id == row.id).values(
        state=SENT, attempts=attempts, sent_at=now, last_error=None, channel=name,
        **({"payload": ERASED} if secret else {})))
    return SENT


def deliver_in(ctx: Context, *, rows: Sequence[int] | None = None, limit: int = 100,
               now: datetime | None = None) -> Counter[str]:
    """Deliver up to ``limit`` events that are due (``rows``: only these), in ``ctx``'s
    transaction, each claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; counts by new
    state."""
    done: Counter[str] = Counter()
    now = now or _now()
    e = t.events.c
    for _ in range(limit):
        row = claim(ctx, select(e.id, e.event_id, e.type, e.member_id, e.payload, e.attempts),
                    t.events, now, rows)
        if row is None:
            break
        done[_deliver(ctx, row, now)] += 1
    return done


def claim(ctx: Context, query: Any, table: Any, now: datetime,
          rows: Sequence[int] | None = None) -> Any:
    """The first row of ``table`` that is due (``pending``, or ``failed`` with its wait over;
    ``rows``: only these ids) selected by ``query``, claimed with ``FOR UPDATE SKIP LOCKED``
    on PostgreSQL so several workers share the work; ``None`` when nothing is due. Shared by
    the outbox and the webhook deliveries (kopcore._webhooks)."""
    c = table.c
    query = (query.where(c.state.in_((PENDING, FAILED)), c.next_attempt_at <= now)
             .order_by(c.id).limit(1))
    if rows is not None:
        query = query.where(c.id.in_(rows))
    if ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=table)
    return ctx.conn.execute(query).first()


def retry(attempts: int, most: int, now: datetime) -> dict[str, Any]:
    """The columns of a delivery that failed at its ``attempts``-th attempt: ``failed`` and
    due again after :func:`backoff`, or ``dead`` once ``most`` attempts were made."""
    return {"state": DEAD if attempts >= most else FAILED, "attempts": attempts,
            "next_attempt_at": now + backoff(attempts)}


def drain(kernel: Any, one: Any, limit: int) -> Counter[str]:
    """Call ``one(ctx)`` (deliver at most one thing, return counts by state) in a transaction
    of its own, again and again, until it delivers nothing or ``limit`` times."""
    from kopcore.kernel import SYSTEM_ACTOR

    done: Counter[str] = Counter()
    for _ in range(limit):
        got = kernel.write(SYSTEM_ACTOR, one, operation="events.deliver")
        if not got:
            break
        done.update(got)
    return done


def deliver_due(kernel: Any, *, rows: Sequence[int] | None = None, limit: int = 1000,
                now: datetime | None = None) -> Counter[str]:
    """Deliver what is due, one event per transaction, up to ``limit``; counts by state.
    Without ``rows``, the webhook deliveries that are due too (kopcore._webhooks)."""
    done = drain(kernel, lambda ctx: deliver_in(ctx, rows=rows, limit=1, now=now), limit)
    if rows is None:
        from kopcore import _webhooks

        done.update(_webhooks.deliver_due(kernel, limit=limit, now=now))
    return done


# --- operators ----------------------------------------------------------------------------------


def _row(conn: Connection, event_id: str) -> Any:
    e = t.events.c
    row = conn.execute(select(t.events, t.members.c.member_number)
                       .select_from(t.events.outerjoin(t.members, t.members.c.id == e.member_id))
                       .where(e.event_id == event_id)).first()
    if row is None:
        raise NotFound(message("no event {event}", event=event_id))
    return row


def find(conn: Connection, event_id: str) -> Any:
    """The event ``event_id`` with its member's number, or NotFound."""
    return _row(conn, event_id)


def state_of(kernel: Any, event_id: str) -> str:
    """The delivery state of event ``event_id`` now."""
    e = t.events.c
    state: str = kernel.db.read(lambda conn: conn.execute(
        select(e.state).where(e.event_id == event_id)).scalar_one())
    return state


def listing(conn: Connection, *, state: str | None = None, type_name: str | None = None,
            member_number: str | None = None, limit: int = 50) -> list[Any]:
    """Events, newest first, narrowed by state, type and member."""
    e = t.events.c
    query = (select(t.events, t.members.c.member_number)
             .select_from(t.events.outerjoin(t.members, t.members.c.id == e.member_id)))
    if state:
        query = query.where(e.state == state)
    if type_name:
        query = query.where(e.type == type_name)
    if member_number:
        query = query.where(t.members.c.member_number == member_number)
    return list(conn.execute(query.order_by(e.id.desc()).limit(limit)))


def replay(ctx: Context, event_id: str) -> Any:
    """Put an event back to ``pending`` with its attempts counted from zero, to be delivered
    again with the same event id (a provider that honours the idempotency key sends it once).
    A secret event (a one-time code) whose payload was erased is never replayed."""
    row = _row(ctx.conn, event_id)
    declared = ctx.kernel.plugins.event_types.get(row.type)
    if declared is not None and declared.value.secret and row.payload == ERASED:
        raise Conflict(message("event {event} carried a one-time code, erased once it was "
                               "sent or given up: the member asks for a new code",
                               event=event_id))
    if row.state == PENDING:
        return row
    ctx.conn.execute(update(t.events).where(t.events.c.id == row.id).values(
        state=PENDING, attempts=0, next_attempt_at=_now(), last_error=None))
    schedule(ctx, int(row.id))
    return _row(ctx.conn, event_id)


def set_member_channel(ctx: Context, member_id: int, channel_name: str,
                       recipient: str | None) -> None:
    """Reach member ``member_id`` through ``channel_name`` (``none``: no messages but one-time
    codes; ``default``: the cooperative's channel again), at ``recipient`` if given."""
    p = t.member_notification_channels.c
    ctx.conn.execute(t.member_notification_channels.delete().where(p.member_id == member_id))
    if channel_name == "default":
        return
    if channel_name != NO_MESSAGES:
        from kopcore._notify import channel

        channel(ctx.kernel.plugins, channel_name)
    ctx.conn.execute(t.member_notification_channels.insert().values(
        member_id=member_id, channel=channel_name, recipient=recipient or None,
        updated_at=_now()))


# --- the worker ---------------------------------------------------------------------------------


def work(kernel: Any, *, every: float, rounds: int | None = None,
         report: Any = None) -> Counter[str]:
    """Deliver what is due every ``every`` seconds, ``rounds`` times (``None``: until
    interrupted); ``report(counts)`` after each round that delivered something."""
    import time

    total: Counter[str] = Counter()
    done_rounds = 0
    while rounds is None or done_rounds < rounds:
        done = deliver_due(kernel)
        total.update(done)
        if done and report is not None:
            report(done)
        done_rounds += 1
        if rounds is None or done_rounds < rounds:
            time.sleep(every)
    return total


def work_command(kernel_of: Any) -> Any:
    """``kopcore events work``: the delivery worker, as a long-running process."""
    import click

    @click.command("work")
    @click.option("--every", type=click.FloatRange(min=1), default=30, show_default=True,
                  help="Seconds between two rounds of delivering what is due")
    @click.option("--rounds", type=click.IntRange(min=1), default=None,
                  help="Stop after this many rounds (default: run until interrupted)")
    def command(every: float, rounds: int | None) -> None:
        """Deliver the events that are due, again and again (retries after failures); run it
        beside `kopcore serve`, one or several (they share the work)."""
        kernel = kernel_of()

        def report(done: Counter[str]) -> None:
            click.echo(", ".join(f"{state} {count}" for state, count in sorted(done.items())))
        work(kernel, every=every, rounds=rounds, report=report)
    return command
