"""The channels against the providers' stand-ins over real HTTP and SMTP on loopback: a
member's event leaves after commit, carries its event id to the provider, is tried again
after a 5xx with the same id, dies after the attempts allowed, and a replay reaches the
member once where the provider honours the id (Infobip) and twice where it documents none
(the WhatsApp Cloud API). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import kopcore_notify
import pytest
from kopcore_notify import sms
from kopcore_notify.testing import InfobipDouble, SmtpDouble, WhatsAppDouble
from sqlalchemy import DateTime, bindparam, text

import kopcore
from kopcore import events, query
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.records import EventType, Notification, NotificationChannel
from kopcore.testing import run_operation

TOLD = "teller.told"


class Teller:
    """A plugin recording a deposit's event for member A1."""

    @kopcore.hookimpl
    def kopcore_event_types(self) -> list[EventType]:
        return [EventType(TOLD, "A deposit", self.render,
                          subject=lambda _p: "Setoran diterima")]

    @staticmethod
    def render(payload: Mapping[str, Any]) -> str:
        return (f"Setoran ke {payload['account']} sebesar {events.rupiah(payload['amount'])} "
                "diterima.")


def kernel_with(coop: Callable[..., Kernel], channel: str, **overrides: Any) -> Kernel:
    return coop(channel, extra_plugins=[("teller", Teller())], **overrides)


def deposit(kernel: Kernel, amount: str = "1250000") -> str:
    def work(ctx: Context) -> str:
        member = ctx.conn.execute(query.members.select().where(
            query.members.c.member_number == "A1")).one()
        event_id = events.emit(ctx, TOLD, {"account": "S-A1-01", "amount": amount},
                               member_id=member.id)
        assert event_id is not None
        return event_id
    result: str = kernel.write("kasir", work)
    return result


def state(kernel: Kernel, event_id: str) -> dict[str, Any]:
    shown = run_operation(kernel, "events.show", {"event": event_id}, as_user="manajer")
    event: dict[str, Any] = shown["event"]
    return event


def the_wait_is_over(kernel: Kernel) -> None:
    """Time passes: every failed event's next attempt is due."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    update = text("UPDATE events SET next_attempt_at = :past WHERE state = 'failed'") \
        .bindparams(bindparam("past", past, type_=DateTime(timezone=True)))
    kernel.db.write(lambda conn: conn.execute(update))


TEXT = "Setoran ke S-A1-01 sebesar Rp1.250.000 diterima."


def test_plugin_declares_its_contract() -> None:
    assert kopcore_notify.KOPCORE_CONTRACT == "1.2"


def test_whatsapp_template_message_after_commit(coop: Callable[..., Kernel],
                                                whatsapp: WhatsAppDouble) -> None:
    kernel = kernel_with(coop, "notify.whatsapp")
    event_id = deposit(kernel)
    assert whatsapp.delivered == [{"to": "6281234567890", "text": TEXT,
                                   "biz_opaque_callback_data": event_id,
                                   "id": "wamid.HBgN000000000001"}]
    _path, headers, body = whatsapp.requests[0]
    assert headers["Authorization"] == f"Bearer {whatsapp.token}"
    assert body["template"]["name"] == "kopcore_notifikasi"
    assert body["template"]["language"] == {"policy": "deterministic", "code": "id"}
    assert (state(kernel, event_id)["state"], state(kernel, event_id)["channel"]) == (
        "sent", "notify.whatsapp")


def test_whatsapp_5xx_is_tried_again_with_the_same_event_id(coop: Callable[..., Kernel],
                                                            whatsapp: WhatsAppDouble) -> None:
    kernel = kernel_with(coop, "notify.whatsapp")
    whatsapp.fail_next(1, status=500)
    event_id = deposit(kernel)
    failed = state(kernel, event_id)
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert "HTTP 500" in failed["last_error"]
    assert whatsapp.delivered == []
    # Not due yet: the first wait is 30 seconds.
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 0
    the_wait_is_over(kernel)
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 1
    assert [m["biz_opaque_callback_data"] for m in whatsapp.delivered] == [event_id]
    assert state(kernel, event_id)["attempts"] == 2


def test_dead_after_the_attempts_allowed(coop: Callable[..., Kernel],
                                         whatsapp: WhatsAppDouble) -> None:
    kernel = kernel_with(coop, "notify.whatsapp", event_max_attempts=2)
    whatsapp.fail_next(5, status=503)
    event_id = deposit(kernel)
    the_wait_is_over(kernel)
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["dead"] == 1
    dead = state(kernel, event_id)
    assert (dead["state"], dead["attempts"], dead["next_attempt_at"]) == ("dead", 2, None)
    listed = run_operation(kernel, "events.list", {"state": "dead"}, as_user="manajer")
    assert [e["event_id"] for e in listed["events"]] == [event_id]
    # The operator replays it once the provider is back.
    whatsapp.failures.clear()
    run_operation(kernel, "events.replay", {"event": event_id}, as_user="manajer")
    assert state(kernel, event_id)["state"] == "sent"
    assert len(whatsapp.delivered) == 1


def test_whatsapp_refusals_are_named(coop: Callable[..., Kernel], whatsapp: WhatsAppDouble
                                     ) -> None:
    whatsapp.templates.clear()
    kernel = kernel_with(coop, "notify.whatsapp")
    event_id = deposit(kernel)
    assert "132001" in state(kernel, event_id)["last_error"]
    whatsapp.token = "another"  # noqa: S105 (the stand-in's)
    assert "190" in state(kernel, deposit(kernel))["last_error"]
    assert whatsapp.delivered == []


def test_whatsapp_documents_no_idempotency_so_a_replay_sends_again(
        coop: Callable[..., Kernel], whatsapp: WhatsAppDouble) -> None:
    kernel = kernel_with(coop, "notify.whatsapp")
    event_id = deposit(kernel)
    run_operation(kernel, "events.replay", {"event": event_id}, as_user="manajer")
    assert [m["biz_opaque_callback_data"] for m in whatsapp.delivered] == [event_id, event_id]


def test_sms_replay_carries_the_same_message_id_and_reaches_the_member_once(
        coop: Callable[..., Kernel], infobip: InfobipDouble) -> None:
    kernel = kernel_with(coop, "notify.sms")
    event_id = deposit(kernel)
    run_operation(kernel, "events.replay", {"event": event_id}, as_user="manajer")
    sent = [body["messages"][0]["destinations"][0] for _p, _h, body in infobip.requests]
    assert sent == [{"to": "6281234567890", "messageId": event_id}] * 2
    assert infobip.delivered == [{"to": "6281234567890", "text": TEXT, "from": "KSPMAJU",
                                  "messageId": event_id}]
    assert infobip.reports == [(event_id, "DELIVERED_TO_HANDSET"),
                               (event_id, "REJECTED_DUPLICATE_MESSAGE_ID")]
    assert state(kernel, event_id)["state"] == "sent"


def test_sms_5xx_then_delivered_once(coop: Callable[..., Kernel], infobip: InfobipDouble
                                     ) -> None:
    kernel = kernel_with(coop, "notify.sms")
    infobip.fail_next(1, status=500)
    event_id = deposit(kernel)
    assert state(kernel, event_id)["state"] == "failed"
    the_wait_is_over(kernel)
    run_operation(kernel, "events.deliver", {}, as_user="manajer")
    assert [m["messageId"] for m in infobip.delivered] == [event_id]


def test_sms_rejected_destination_and_wrong_key(coop: Callable[..., Kernel],
                                                infobip: InfobipDouble) -> None:
    kernel = kernel_with(coop, "notify.sms")
    run_operation(kernel, "notify.member-channel",
                  {"member": "A1", "channel": "notify.sms", "recipient": "bukan nomor"},
                  as_user="manajer")
    assert "REJECTED_DESTINATION" in state(kernel, deposit(kernel))["last_error"]
    run_operation(kernel, "notify.member-channel", {"member": "A1", "channel": "default"},
                  as_user="manajer")
    infobip.api_key = "another"
    assert "UNAUTHORIZED" in state(kernel, deposit(kernel))["last_error"]
    assert infobip.delivered == []


def test_email_to_the_members_address_with_the_event_as_message_id(
        coop: Callable[..., Kernel], smtp: SmtpDouble) -> None:
    kernel = kernel_with(coop, "notify.whatsapp")
    run_operation(kernel, "notify.member-channel", {"member": "A1", "channel": "notify.email"},
                  as_user="manajer")
    event_id = deposit(kernel)
    [mail] = smtp.messages
    assert smtp.envelopes == [("koperasi@example.org", ["sari@example.org"])]
    assert (mail["To"], mail["Subject"], mail["Message-ID"]) == (
        "sari@example.org", "Setoran diterima", f"<{event_id}@kopcore>")
    assert mail.get_payload(decode=True).decode().strip() == TEXT
    assert state(kernel, event_id)["state"] == "sent"


def test_email_4xx_is_tried_again_and_5xx_refused(coop: Callable[..., Kernel],
                                                  smtp: SmtpDouble) -> None:
    kernel = kernel_with(coop, "notify.email")
    smtp.failures.append("451 4.3.0 Try again later")
    event_id = deposit(kernel)
    assert "451" in state(kernel, event_id)["last_error"]
    the_wait_is_over(kernel)
    run_operation(kernel, "events.deliver", {}, as_user="manajer")
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{event_id}@kopcore>"]
    smtp.unknown.add("sari@example.org")
    refused = state(kernel, deposit(kernel))
    assert refused["state"] == "failed"
    assert "sari@example.org" in refused["last_error"]


def test_a_channel_not_configured_says_what_to_set(make_kernel: Callable[..., Kernel]) -> None:
    kernel = make_kernel(plugins=("notify",), notification_channel="notify.whatsapp",
                         environment={}, extra_plugins=[("teller", Teller())])

    def member(ctx: Context) -> None:
        from kopcore import ledger
        from kopcore.testing import add_user

        ledger.register_member(ctx, name="Sari", nik="3201011505900001", phone="0812345678",
                               member_number="A1")
        add_user(ctx, "manajer", "manager")
    kernel.write("test", member)
    error = state(kernel, deposit(kernel))["last_error"]
    assert "KOPCORE_NOTIFY_WHATSAPP_TOKEN" in error


@pytest.mark.parametrize("phone", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890",
                                   "81234567890"])
def test_phone_numbers_in_international_form(phone: str) -> None:
    from kopcore_notify.config import international

    assert international(phone) == "6281234567890"


class Crash(Teller):
    """A channel that hands the SMS to Infobip, then dies before its transaction commits (a
    process killed between the provider's answer and the commit)."""

    @kopcore.hookimpl
    def kopcore_notification_channels(self) -> list[NotificationChannel]:
        def crash_after_sending(ctx: Context, notification: Notification) -> None:
            sms.send(ctx, notification)
            raise RuntimeError("killed before the commit")
        return [NotificationChannel("teller.crash", "SMS, then a crash", crash_after_sending)]


def test_a_crash_after_infobip_accepted_still_reaches_the_member_once(
        coop: Callable[..., Kernel], infobip: InfobipDouble) -> None:
    kernel = coop("notify.sms", extra_plugins=[("teller", Crash())])
    run_operation(kernel, "notify.member-channel", {"member": "A1", "channel": "teller.crash"},
                  as_user="manajer")
    event_id = deposit(kernel)
    assert state(kernel, event_id)["state"] == "failed"  # the commit never happened
    assert [m["messageId"] for m in infobip.delivered] == [event_id]
    # The process comes back; the worker sends it again, with the same id.
    run_operation(kernel, "notify.member-channel", {"member": "A1", "channel": "default"},
                  as_user="manajer")
    the_wait_is_over(kernel)
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 1
    assert [m["messageId"] for m in infobip.delivered] == [event_id]  # once on the handset
    assert infobip.reports == [(event_id, "DELIVERED_TO_HANDSET"),
                               (event_id, "REJECTED_DUPLICATE_MESSAGE_ID")]


def test_events_recorded_while_no_process_delivered_them_go_with_the_worker(
        coop: Callable[..., Kernel], infobip: InfobipDouble) -> None:
    """A server killed between the commit and its after-commit delivery: the event waits in
    the outbox, pending, and the worker sends it once."""
    kernel = kernel_with(coop, "notify.sms", event_delivery="worker")
    event_id = deposit(kernel)
    assert (state(kernel, event_id)["state"], infobip.requests) == ("pending", [])
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 1
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 0
    assert [m["messageId"] for m in infobip.delivered] == [event_id]
