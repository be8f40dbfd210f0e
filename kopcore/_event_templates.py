"""The cooperative's own wording of its members' messages, and its quiet hours.

**Templates.** Each event type's message is the plugin's (``EventType.render``, Indonesian) until
the cooperative writes its own (``events.template-set``): plain text with ``{field}``
placeholders from the event's payload (``events.show`` shows a payload), and two formats,
``{amount:rupiah}`` (``Rp1.250.000``) and ``{date:tanggal}`` (``7 Desember 2026``). Only plain
field names are allowed (no ``{a.b}`` or ``{a[0]}``). A template that names a field an event does
not carry, or formats a field as an amount or a date it is not, falls back to the plugin's
message for that event, with a warning in the log, so a member is never sent a broken text.
One-time codes keep the kernel's wording.

**Quiet hours.** The setting ``notification_quiet_hours`` (``"21:00-07:00"``, the cooperative's
local time in ``timezone``) holds messages that are not one-time codes until the quiet hours
end: they wait in the outbox, pending, and the worker (``kopcore events work``) sends them then.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select

from kopcore._db import tables as t
from kopcore.errors import ConfigurationError, InvalidAmount, NotFound, ValidationError, message
from kopcore.records import EventType

log = logging.getLogger(__name__)
FORMATS = ("", "rupiah", "tanggal")
MAX_LENGTH = 1000


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "rupiah":
            from kopcore.events import rupiah

            return rupiah(str(value))
        if format_spec == "tanggal":
            from kopcore._i18n import format_date

            return format_date(date.fromisoformat(str(value)), "id")
        return str(value)


def check(text: str) -> list[str]:
    """The fields ``text`` names; refuses what is not a template of plain fields."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise ValidationError(message("a template is 1 to {most} characters", most=MAX_LENGTH),
                              field="text")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValidationError(message("the template is not well formed: {error}",
                                      error=str(exc)), field="text") from None
    fields = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or conversion or spec not in FORMATS:
            raise ValidationError(message(
                "{{{field}}}: a placeholder is a field name, optionally with :rupiah or "
                ":tanggal", field=name), field="text")
        fields.append(name)
    return fields


def render(conn: Connection, kind: EventType, payload: Mapping[str, Any]) -> Any:
    """The message of an event: the cooperative's template when it has one (and the event
    carries every field it names), else the plugin's."""
    if not kind.secret:
        found = conn.execute(select(t.event_templates.c.text)
                             .where(t.event_templates.c.type == kind.name)).scalar()
        if found is not None:
            try:
                return _Formatter().format(found, **payload)
            except (KeyError, ValueError, IndexError, InvalidAmount) as exc:
                log.warning("template of %s does not fit its event (%s): the plugin's "
                            "message is sent", kind.name, exc)
    return kind.render(payload)


def set_template(conn: Connection, kind: EventType, text: str, actor: str,
                 sample: Mapping[str, Any] | None) -> str:
    """Keep ``text`` as ``kind``'s message; checked against ``sample`` (the payload of the
    latest event of the type) when there is one. Returns the message ``sample`` would get."""
    if kind.secret:
        raise ValidationError(message("{type} carries a one-time code: its wording is the "
                                      "kernel's", type=kind.name), field="type")
    fields = check(text)
    shown = ""
    if sample is not None:
        missing = sorted(set(fields) - set(sample))
        if missing:
            raise ValidationError(message("{type} events carry no {fields}; they carry {known}",
                                          type=kind.name, fields=", ".join(missing),
                                          known=", ".join(sorted(sample))), field="text")
        _check_formats(kind, text, sample)
        shown = _Formatter().format(text.strip(), **sample)
    c = t.event_templates.c
    conn.execute(delete(t.event_templates).where(c.type == kind.name))
    conn.execute(t.event_templates.insert().values(type=kind.name, text=text.strip(),
                                                   updated_by=actor,
                                                   updated_at=datetime.now(UTC)))
    return shown


def _check_formats(kind: EventType, text: str, sample: Mapping[str, Any]) -> None:
    """Refuse a ``:rupiah`` or ``:tanggal`` field that the latest event could not be shown
    with (not an amount, not a date), naming the field and its value."""
    for _literal, name, spec, _conversion in string.Formatter().parse(text.strip()):
        if not name or not spec:
            continue
        try:
            _Formatter().format_field(sample[name], spec)
        except (ValueError, InvalidAmount):
            if spec == "rupiah":
                raise ValidationError(message(
                    "{type} events' {field} is not an amount ({value}): it cannot be shown "
                    "with :rupiah", type=kind.name, field=name, value=str(sample[name])),
                    field="text") from None
            raise ValidationError(message(
                "{type} events' {field} is not a date ({value}): it cannot be shown with "
                ":tanggal", type=kind.name, field=name, value=str(sample[name])),
                field="text") from None


def reset_template(conn: Connection, type_name: str) -> None:
    gone = conn.execute(delete(t.event_templates)
                        .where(t.event_templates.c.type == type_name)).rowcount
    if not gone:
        raise NotFound(message("{type} has no template of the cooperative's", type=type_name),
                       field="type")


def templates(conn: Connection) -> dict[str, tuple[str, str, datetime]]:
    """type -> (text, updated by, updated at)."""
    c = t.event_templates.c
    return {r.type: (r.text, r.updated_by, r.updated_at)
            for r in conn.execute(select(c.type, c.text, c.updated_by, c.updated_at))}


# --- quiet hours ----------------------------------------------------------------------------------


def quiet_window(setting: str) -> tuple[time, time] | None:
    """``"21:00-07:00"`` -> (21:00, 07:00); ``""`` -> None."""
    if not setting.strip():
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in setting.split("-"))
    except ValueError:
        raise ConfigurationError(f"setting notification_quiet_hours must be HH:MM-HH:MM, got "
                                 f"{setting!r}") from None
    if start == end:
        raise ConfigurationError("setting notification_quiet_hours: the start and the end "
                                 "are the same time")
    return start, end


def quiet_until(setting: str, zone: str, now: datetime) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or ``None`` outside them."""
    window = quiet_window(setting)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(zone))
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)
