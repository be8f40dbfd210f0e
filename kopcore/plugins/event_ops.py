"""Built-in plugin: the event outbox for operators — list, show, replay, deliver.

``kopcore events list`` (``GET /api/v1/events/list``) shows the events recorded by operations
and end of day with their delivery state (pending, sent, failed, dead, skipped);
``events show`` one with its payload and message; ``events replay`` puts one back to be
delivered again with the same event id; ``events deliver`` delivers what is due now (``kopcore
events work`` keeps doing it). ``notify.member-channel`` chooses the channel that
reaches one member. See docs/notifications.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import select

from kopcore import _event_templates as templates
from kopcore import _events, _notify, hookimpl
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import ConfigurationError, Conflict, Message, NotFound, ValidationError, message
from kopcore.ledger import get_member
from kopcore.operations import Operation
from kopcore.plugins.system_ops import NoInput
from kopcore.records import EventType, PermissionSpec

#: See the outbox: states, attempts, errors; not the payloads.
READ = "events.read"
#: Payloads (PPOB tokens), replay and delivery.
MANAGE = "events.manage"
#: Shown instead of the payload of an event carrying a one-time code.
HIDDEN = "(disembunyikan: kode sekali pakai)"


@attrs.frozen
class EventsIn:
    state: str | None = attrs.field(default=None, metadata={
        "help": "Only events in this state: pending, sent, failed, dead or skipped",
        "max_length": 8})
    type: str | None = attrs.field(default=None, metadata={
        "help": "Only events of this type (savings.entry-posted...)", "max_length": 64})
    member: str | None = attrs.field(default=None, metadata={
        "help": "Only the events of this member number", "max_length": 32})
    limit: int = attrs.field(default=50, metadata={"help": "Events shown, newest first",
                                                   "minimum": 1, "maximum": 500})


@attrs.frozen
class EventOut:
    event_id: str
    type: str
    member: str | None
    state: str
    attempts: int
    created_at: datetime
    #: When the next delivery is due (pending and failed events).
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel: str | None
    last_error: str | None


@attrs.frozen
class EventsOut:
    events: list[EventOut]


@attrs.frozen
class EventIn:
    event: str = attrs.field(metadata={"help": "Event id (from events list)",
                                       "max_length": 36})


@attrs.frozen
class EventDetailOut:
    event: EventOut
    business_date: date
    actor: str
    #: The facts the event carries, as JSON (hidden for a one-time code).
    payload: str
    #: The message the member is sent (hidden for a one-time code).
    text: str | None


@attrs.frozen
class DeliverIn:
    limit: int = attrs.field(default=1000, metadata={
        "help": "Events delivered at most in this run", "minimum": 1, "maximum": 100000})


@attrs.frozen
class DeliverOut:
    sent: int
    failed: int
    dead: int
    skipped: int
    #: Left waiting by the quiet hours (setting ``notification_quiet_hours``).
    held: int = 0


@attrs.frozen
class MemberChannelIn:
    member: str = attrs.field(metadata={"help": "Member number", "max_length": 32})
    channel: str = attrs.field(metadata={
        "help": "A loaded channel (notify.whatsapp, notify.sms, notify.email...), 'none' for "
                "no messages but one-time codes, or 'default' for the cooperative's channel",
        "max_length": 64})
    recipient: str | None = attrs.field(default=None, metadata={
        "help": "Phone or e-mail address to use instead of the member register's",
        "max_length": 200})


@attrs.frozen
class MemberChannelOut:
    member: str
    channel: str
    recipient: str | None


def _out(row: Any) -> EventOut:
    due = row.state in (_events.PENDING, _events.FAILED)
    return EventOut(row.event_id, row.type, row.member_number, row.state, row.attempts,
                    row.created_at, row.next_attempt_at if due else None, row.sent_at,
                    row.channel, row.last_error)


def list_events(ctx: Context, data: EventsIn) -> EventsOut:
    """The outbox's events, newest first."""
    if data.state is not None and data.state not in _events.STATES:
        raise ValidationError(message("state must be one of {states}",
                                      states=", ".join(_events.STATES)), field="state")
    return EventsOut([_out(row) for row in _events.listing(
        ctx.conn, state=data.state, type_name=data.type, member_number=data.member,
        limit=data.limit)])


def show_event(ctx: Context, data: EventIn) -> EventDetailOut:
    """One event, with what it carries and the message it makes."""
    row = _events.find(ctx.conn, data.event)
    declared = ctx.kernel.plugins.event_types.get(row.type)
    kind: EventType | None = declared.value if declared is not None else None
    if kind is None or kind.secret:
        return EventDetailOut(_out(row), row.business_date, row.actor, HIDDEN, None)
    rendered = kind.render(json.loads(row.payload))
    text = rendered.text_in(ctx.settings.language) if isinstance(rendered, Message) \
        else rendered
    return EventDetailOut(_out(row), row.business_date, row.actor, row.payload, text)


def replay_event(ctx: Context, data: EventIn) -> EventOut:
    """Deliver an event again (a dead one, or one the member says never arrived), with the
    same event id."""
    return _out(_events.replay(ctx, data.event))


def deliver(ctx: Context, data: DeliverIn) -> DeliverOut:
    """Deliver every event that is due now (pending, and failed ones whose wait is over)."""
    done = _events.deliver_due(ctx.kernel, limit=data.limit)
    return DeliverOut(done[_events.SENT], done[_events.FAILED], done[_events.DEAD],
                      done[_events.SKIPPED], done[_events.HELD])


def member_channel(ctx: Context, data: MemberChannelIn) -> MemberChannelOut:
    """Choose the channel that reaches a member (and the address it sends to)."""
    member = get_member(ctx, data.member)
    try:
        _events.set_member_channel(ctx, member.id, data.channel, data.recipient)
    except ConfigurationError:
        raise ValidationError(message("no notification channel {channel}: choose a loaded "
                                      "channel, none or default", channel=data.channel),
                              field="channel") from None
    chosen = "default" if data.channel == "default" else data.channel
    return MemberChannelOut(member.member_number, chosen,
                            data.recipient if chosen != "default" else None)


# --- the cooperative's own wording -------------------------------------------------------------


@attrs.frozen
class TemplateOut:
    type: str
    description: str
    #: The cooperative's wording, or ``None``: the plugin's message is sent.
    text: str | None
    updated_by: str | None
    updated_at: datetime | None
    #: A one-time code: its wording is the kernel's.
    fixed: bool


@attrs.frozen
class TemplatesOut:
    templates: list[TemplateOut]


@attrs.frozen
class TemplateSetIn:
    type: str = attrs.field(metadata={"help": "The event type (savings.entry-posted...)",
                                      "max_length": 64})
    text: str = attrs.field(metadata={
        "help": "The message, with {field} placeholders from the event's payload; "
                "{amount:rupiah} and {date:tanggal} are formatted", "max_length": 1000})


@attrs.frozen
class TemplateSetOut:
    type: str
    text: str
    #: The latest event of the type, worded by the new template (empty when none yet).
    preview: str


@attrs.frozen
class TemplateTypeIn:
    type: str = attrs.field(metadata={"help": "The event type", "max_length": 64})


def _declared(ctx: Context, type_name: str) -> EventType:
    found = ctx.kernel.plugins.event_types.get(type_name)
    if found is None:
        raise NotFound(message("no event type {type}", type=type_name), field="type")
    kind: EventType = found.value
    return kind


def list_templates(ctx: Context, _data: NoInput) -> TemplatesOut:
    """Every event type with the cooperative's wording of its message, if it wrote one."""
    kept = templates.templates(ctx.conn)
    out = []
    for name, found in sorted(ctx.kernel.plugins.event_types.items()):
        kind: EventType = found.value
        text, by, at = kept.get(name, (None, None, None))
        out.append(TemplateOut(name, kind.description, text, by, at, kind.secret))
    return TemplatesOut(out)


def set_template(ctx: Context, data: TemplateSetIn) -> TemplateSetOut:
    """Word an event type's message the cooperative's way (checked against the latest event
    of the type when there is one)."""
    kind = _declared(ctx, data.type)
    e = t.events.c
    latest = ctx.conn.execute(select(e.payload).where(e.type == kind.name)
                              .order_by(e.id.desc()).limit(1)).scalar()
    sample = json.loads(latest) if latest and latest != _events.ERASED else None
    preview = templates.set_template(ctx.conn, kind, data.text, ctx.actor, sample)
    return TemplateSetOut(kind.name, data.text.strip(), preview)


def reset_template(ctx: Context, data: TemplateTypeIn) -> TemplateOut:
    """Back to the plugin's message."""
    kind = _declared(ctx, data.type)
    templates.reset_template(ctx.conn, kind.name)
    return TemplateOut(kind.name, kind.description, None, None, None, kind.secret)


@hookimpl
def kopcore_permissions() -> list[PermissionSpec]:
    return [PermissionSpec(READ, "See the event outbox: states, attempts, errors",
                           ("manager", "auditor")),
            PermissionSpec(MANAGE, "See events' payloads, deliver and replay events",
                           ("manager",))]


def shu_credited(payload: Any) -> Message:
    """``Bagian SHU tahun 2026 Anda sebesar Rp1.240.000 telah masuk ke simpanan S-0001.``"""
    from kopcore.events import rupiah

    if payload.get("payout") == "savings":
        return message("Your share of the {year} SHU, {amount}, was credited to savings "
                       "account {account}.", year=payload["year"],
                       amount=rupiah(payload["amount"]), account=payload["account"])
    return message("Your share of the {year} SHU, {amount}, is ready to be paid out by the "
                   "cooperative.", year=payload["year"], amount=rupiah(payload["amount"]))


def shu_subject(_payload: Any) -> Message:
    return message("Your SHU share")


def password_reset(payload: Any) -> Message:
    """``Kata sandi pengguna anggota-A000001 diatur ulang oleh admin pada 5 Januari 2026...``"""
    return message("The password of user {username} was reset by {by} on {date}. If you did "
                   "not ask for it, contact the cooperative.", username=payload["username"],
                   by=payload["by"], date=date.fromisoformat(payload["date"]))


@hookimpl
def kopcore_event_types() -> list[EventType]:
    from kopcore._member_logins import LOGIN_CODE, STEP_UP_CODE

    return [EventType(LOGIN_CODE, "The one-time code of a member app sign-in",
                      _notify.message_text, _notify.message_subject, secret=True,
                      max_attempts=1),
            EventType(STEP_UP_CODE, "The one-time code confirming a large payment in the app",
                      _notify.message_text, _notify.message_subject, secret=True,
                      max_attempts=1),
            EventType(_events.SHU_CREDITED, "A member's share of the year's SHU was posted",
                      shu_credited, shu_subject),
            EventType(_events.PASSWORD_RESET, "An administrator set a new password for a "
                      "member's user", password_reset, lambda _p: message("Password reset"))]


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("events.list", EventsIn, EventsOut, list_events, permission=READ,
                  mutates=False, summary="Events of the outbox and their delivery state",
                  errors=(ValidationError,)),
        Operation("events.show", EventIn, EventDetailOut, show_event, permission=MANAGE,
                  mutates=False, summary="One event: what it carries and its message",
                  errors=(NotFound,)),
        Operation("events.replay", EventIn, EventOut, replay_event, permission=MANAGE,
                  mutates=True, summary="Deliver an event again, with the same event id",
                  errors=(NotFound, Conflict)),
        Operation("events.deliver", DeliverIn, DeliverOut, deliver, permission=MANAGE,
                  mutates=True, own_transactions=True,
                  summary="Deliver the events that are due now"),
        Operation("events.templates", NoInput, TemplatesOut, list_templates, permission=READ,
                  mutates=False, summary="Event types and the cooperative's wording of them"),
        Operation("events.template-set", TemplateSetIn, TemplateSetOut, set_template,
                  permission=MANAGE, mutates=True,
                  summary="Word an event type's message the cooperative's way",
                  errors=(NotFound, ValidationError)),
        Operation("events.template-reset", TemplateTypeIn, TemplateOut, reset_template,
                  permission=MANAGE, mutates=True,
                  summary="Send an event type's message as its plugin words it again",
                  errors=(NotFound,)),
        Operation("notify.member-channel", MemberChannelIn, MemberChannelOut, member_channel,
                  permission="members.manage", mutates=True, member_fields=("member",),
                  summary="Choose the channel that reaches a member",
                  errors=(NotFound, ValidationError)),
    ]
