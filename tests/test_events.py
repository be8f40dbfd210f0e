"""The event outbox: an event commits with the change that caused it, is delivered after
commit, at least once, with the same event id on every attempt and replay; failures are
retried with a doubling wait (30 s, 60 s, 120 s ... at most an hour) and give up after the
attempts allowed; operators list, show, replay and deliver events. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import kopcore
from kopcore import _events, _notify, events, ledger
from kopcore import _member_logins as ml
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import ConfigurationError, Conflict, Forbidden, KopcoreError, ValidationError
from kopcore.kernel import Kernel
from kopcore.records import EventType, Notification, NotificationChannel
from kopcore.testing import add_user, run_operation

TOLD = "bank.told"


class Provider(KopcoreError):
    """The test channel's provider answering 503."""

    status = 503
    code = "test-provider-unavailable"


class Recorder:
    """A plugin declaring one event type and a channel whose provider keeps what it accepted
    (by event id, as a provider honouring an idempotency key does) and can be told to fail."""

    def __init__(self) -> None:
        self.accepted: dict[str, Notification] = {}
        self.calls: list[str] = []
        self.failures = 0
        self.in_transaction: list[bool] = []

    def deliver(self, ctx: Context, notification: Notification) -> None:
        self.calls.append(notification.event_id)
        if self.failures:
            self.failures -= 1
            raise Provider("503 Service Unavailable")
        self.accepted.setdefault(notification.event_id, notification)

    @kopcore.hookimpl
    def kopcore_event_types(self) -> list[EventType]:
        return [EventType(TOLD, "A test fact", self.render)]

    @staticmethod
    def render(payload: Mapping[str, Any]) -> str:
        return f"Setoran {events.rupiah(payload['amount'])} diterima."

    @kopcore.hookimpl
    def kopcore_notification_channels(self) -> list[NotificationChannel]:
        return [NotificationChannel("bank", "Test channel", self.deliver),
                NotificationChannel("bank.mail", "Test e-mail", self.deliver, address="email")]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel], recorder: Recorder) -> Kernel:
    kernel = make_kernel(extra_plugins=[("bank", recorder)], notification_channel="bank",
                         event_max_attempts=3)

    def members(ctx: Context) -> None:
        for number, nik, phone in (("A1", "3201011505900001", "081234567890"),
                                   ("A2", "3201011505900002", None)):
            ledger.register_member(ctx, name=f"Anggota {number}", nik=nik, phone=phone,
                                   email=f"{number.lower()}@example.org", member_number=number)
            ledger.activate_member(ctx, number)
        add_user(ctx, "manajer", "manager")
        add_user(ctx, "kasir", "teller")
    kernel.write("test", members)
    return kernel


def member_id(kernel: Kernel, number: str = "A1") -> int:
    found: int = kernel.db.read(lambda conn: conn.execute(select(t.members.c.id).where(
        t.members.c.member_number == number)).scalar_one())
    return found


def emit(kernel: Kernel, amount: int = 1_250_000, number: str = "A1",
         then: Callable[[Context], None] | None = None) -> str:
    who = member_id(kernel, number)

    def work(ctx: Context) -> str:
        event_id = events.emit(ctx, TOLD, {"amount": amount}, member_id=who)
        assert event_id is not None
        if then is not None:
            then(ctx)
        return event_id
    result: str = kernel.write("kasir", work)
    return result


def row(kernel: Kernel, event_id: str) -> Any:
    return kernel.db.read(lambda conn: conn.execute(select(t.events).where(
        t.events.c.event_id == event_id)).one())


def test_a_rolled_back_operation_leaves_no_event_and_sends_nothing(coop: Kernel,
                                                                   recorder: Recorder) -> None:
    def fail(_ctx: Context) -> None:
        raise ValidationError("the deposit was refused")

    with pytest.raises(ValidationError):
        emit(coop, then=fail)
    assert coop.db.read(lambda conn: conn.execute(select(t.events)).all()) == []
    assert recorder.calls == []


def test_delivered_after_commit_never_before(coop: Kernel, recorder: Recorder) -> None:
    seen_inside: list[int] = []
    event_id = emit(coop, then=lambda _ctx: seen_inside.append(len(recorder.calls)))
    assert seen_inside == [0]  # nothing reached the channel inside the transaction
    assert recorder.calls == [event_id]
    sent = recorder.accepted[event_id]
    assert (sent.kind, sent.member_number, sent.recipient) == (TOLD, "A1", "081234567890")
    assert sent.text == "Setoran Rp1.250.000 diterima."
    got = row(coop, event_id)
    assert (got.state, got.attempts, got.channel, got.last_error) == ("sent", 1, "bank", None)


def test_undeclared_event_type_is_refused(coop: Kernel) -> None:
    with pytest.raises(ConfigurationError, match="not declared"):
        coop.write("kasir", lambda ctx: events.emit(ctx, "bank.unknown", {}))


def test_retried_with_doubling_backoff_then_dead(coop: Kernel, recorder: Recorder) -> None:
    recorder.failures = 5
    before = datetime.now(UTC)
    event_id = emit(coop)
    first = row(coop, event_id)
    assert (first.state, first.attempts) == ("failed", 1)
    assert "503" in first.last_error
    # First wait 30 s.
    wait = first.next_attempt_at - before
    assert timedelta(seconds=30) <= wait < timedelta(seconds=40)
    at = first.next_attempt_at
    assert _events.deliver_due(coop, now=at - timedelta(seconds=1)) == {}
    assert _events.deliver_due(coop, now=at) == {"failed": 1}
    second = row(coop, event_id)
    assert second.attempts == 2
    assert second.next_attempt_at - at == timedelta(seconds=60)  # then 60 s
    assert _events.deliver_due(coop, now=second.next_attempt_at) == {"dead": 1}
    third = row(coop, event_id)
    assert (third.state, third.attempts) == ("dead", 3)  # event_max_attempts = 3
    assert _events.deliver_due(coop, now=third.next_attempt_at + timedelta(days=1)) == {}
    assert recorder.calls == [event_id] * 3
    assert recorder.accepted == {}


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [_events.backoff(n).total_seconds() for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_replay_sends_the_same_event_id_which_the_provider_keeps_once(
        coop: Kernel, recorder: Recorder) -> None:
    event_id = emit(coop)
    replayed = run_operation(coop, "events.replay", {"event": event_id}, as_user="manajer")
    assert replayed["event_id"] == event_id
    assert recorder.calls == [event_id, event_id]
    assert list(recorder.accepted) == [event_id]
    assert row(coop, event_id).state == "sent"


def test_a_dead_event_replayed_is_delivered(coop: Kernel, recorder: Recorder) -> None:
    recorder.failures = 1
    with_one_attempt = EventType(TOLD, "once", Recorder.render, max_attempts=1)
    coop.plugins.event_types[TOLD] = type(coop.plugins.event_types[TOLD])(
        with_one_attempt, "bank")
    event_id = emit(coop)
    assert row(coop, event_id).state == "dead"
    run_operation(coop, "events.replay", {"event": event_id}, as_user="manajer")
    assert row(coop, event_id).state == "sent"
    assert recorder.calls == [event_id, event_id]


def test_dedup_key_records_one_fact_once(coop: Kernel) -> None:
    def twice(ctx: Context) -> list[str | None]:
        return [events.emit(ctx, TOLD, {"amount": 1}, member_id=member_id(coop),
                            dedup_key="loan-7-installment-3") for _ in range(2)]
    first, second = coop.write("system", twice)
    assert first is not None
    assert second is None


def test_worker_mode_delivers_only_when_asked(make_kernel: Callable[..., Kernel],
                                              recorder: Recorder) -> None:
    kernel = make_kernel(extra_plugins=[("bank", recorder)], notification_channel="bank",
                         event_delivery="worker")
    kernel.write("test", lambda ctx: (ledger.register_member(
        ctx, name="Sari", nik="3201011505900003", phone="0811111111", member_number="A1"),
        add_user(ctx, "manajer", "manager")))
    event_id = emit(kernel)
    assert recorder.calls == []
    assert row(kernel, event_id).state == "pending"
    listed = run_operation(kernel, "events.list", {"state": "pending"}, as_user="manajer")
    assert [e["event_id"] for e in listed["events"]] == [event_id]
    done = run_operation(kernel, "events.deliver", {}, as_user="manajer")
    assert done == {"sent": 1, "failed": 0, "dead": 0, "skipped": 0, "held": 0}
    assert recorder.calls == [event_id]


def test_member_channel_email_none_and_no_phone(coop: Kernel, recorder: Recorder) -> None:
    run_operation(coop, "notify.member-channel", {"member": "A1", "channel": "bank.mail"},
                  as_user="kasir")
    mailed = emit(coop)
    assert recorder.accepted[mailed].recipient == "a1@example.org"
    run_operation(coop, "notify.member-channel", {"member": "A1", "channel": "none"},
                  as_user="kasir")
    quiet = emit(coop)
    assert (row(coop, quiet).state, row(coop, quiet).last_error) == (
        "skipped", "the member chose to receive no messages")
    no_phone = emit(coop, number="A2")
    assert row(coop, no_phone).state == "skipped"
    with pytest.raises(ValidationError):
        run_operation(coop, "notify.member-channel", {"member": "A1", "channel": "pigeon"},
                      as_user="kasir")
    assert set(recorder.accepted) == {mailed}


def test_operators_list_and_show_tellers_may_not(coop: Kernel) -> None:
    event_id = emit(coop)
    shown = run_operation(coop, "events.show", {"event": event_id}, as_user="manajer")
    assert shown["text"] == "Setoran Rp1.250.000 diterima."
    assert shown["event"]["state"] == "sent"
    assert shown["actor"] == "kasir"
    for name in ("events.list", "events.show", "events.replay", "events.deliver"):
        with pytest.raises(Forbidden):
            run_operation(coop, name, {"event": event_id} if name in (
                "events.show", "events.replay") else {}, as_user="kasir")
    with pytest.raises(ValidationError):
        run_operation(coop, "events.list", {"state": "lost"}, as_user="manajer")


def test_login_code_goes_through_the_outbox_and_is_erased(make_kernel: Callable[..., Kernel]
                                                          ) -> None:
    kernel = make_kernel()
    kernel.write("test", lambda ctx: (ledger.register_member(
        ctx, name="Sari", nik="3201011505900003", phone="081234567890", member_number="A1"),
        ledger.activate_member(ctx, "A1")))
    seen: list[int] = []

    def begin(ctx: Context) -> tuple[str, str | None]:
        started = ml.begin(ctx, "A1", "test", "127.0.0.1")
        seen.append(len(_notify.outbox(ctx.conn)))
        return started

    _token, event_id = kernel.write("member-app", begin)
    assert event_id is not None
    assert seen == [0]
    assert ml.deliver(kernel, event_id)
    kept = kernel.db.read(lambda conn: _notify.outbox(conn, member_number="A1"))
    assert len(kept) == 1
    assert kept[0]["kind"] == ml.LOGIN_CODE
    got = row(kernel, event_id)
    assert (got.state, got.payload) == ("sent", _events.ERASED)
    with pytest.raises(Conflict):
        kernel.write("admin", lambda ctx: _events.replay(ctx, event_id))


def test_a_refused_login_code_is_dead_after_one_attempt(make_kernel: Callable[..., Kernel],
                                                        recorder: Recorder) -> None:
    recorder.failures = 1
    kernel = make_kernel(extra_plugins=[("bank", recorder)], notification_channel="bank")
    kernel.write("test", lambda ctx: (ledger.register_member(
        ctx, name="Sari", nik="3201011505900003", phone="081234567890", member_number="A1"),
        ledger.activate_member(ctx, "A1")))
    _token, event_id = kernel.write("member-app", lambda ctx: ml.begin(ctx, "A1", "t", "x"))
    assert event_id is not None
    assert not ml.deliver(kernel, event_id)
    got = row(kernel, event_id)
    assert (got.state, got.attempts, got.payload) == ("dead", 1, _events.ERASED)
    code = kernel.db.read(lambda conn: conn.execute(select(t.member_logins.c.code_hash)).scalar())
    assert code is None  # voided: the member asks again


def test_hook_event_types(make_kernel: Callable[..., Kernel]) -> None:
    """The example plugin's deposit records ``celengan.deposited``, sent after commit through
    the development channel."""
    kernel = make_kernel(plugins=("celengan",))
    assert kernel.plugins.event_types["celengan.deposited"].plugin == "celengan"
    rendered = kernel.plugins.event_types["celengan.deposited"].value.render(
        {"account": "C1", "amount": "1250000.00", "balance": "2500000.50"})
    assert rendered == "Setoran celengan C1 sebesar Rp1.250.000 diterima. Saldo Rp2.500.000,50."


def test_cli_lists_delivers_and_runs_the_worker(make_kernel: Callable[..., Kernel],
                                                recorder: Recorder) -> None:
    from click.testing import CliRunner

    from kopcore.cli import make_cli

    kernel = make_kernel(extra_plugins=[("bank", recorder)], notification_channel="bank",
                         event_delivery="worker")
    kernel.write("test", lambda ctx: (ledger.register_member(
        ctx, name="Sari", nik="3201011505900003", phone="0811111111", member_number="A1"),
        add_user(ctx, "manajer", "manager")))
    first, second = emit(kernel), emit(kernel, amount=75_000)
    cli = make_cli(kernel.settings, kernel.plugins)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--operator", "manajer", "events", "list", "--state",
                                 "pending", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {first, second} <= set(listed.output.split('"'))
    refused = runner.invoke(cli, ["--operator", "manajer", "events", "list", "--state", "lost"])
    assert refused.exit_code != 0
    worked = runner.invoke(cli, ["events", "work", "--rounds", "1"])
    assert worked.exit_code == 0, worked.output
    assert worked.output.strip() == "sent 2"
    assert recorder.calls == [first, second]
    assert [m.text for m in recorder.accepted.values()] == [
        "Setoran Rp1.250.000 diterima.", "Setoran Rp75.000 diterima."]


def test_a_password_reset_tells_the_member_never_the_password(coop: Kernel,
                                                              recorder: Recorder) -> None:
    def member_user(ctx: Context) -> None:
        add_user(ctx, "anggota-a1", "member", member_id(coop))
        add_user(ctx, "admin", "admin")
    coop.write("test", member_user)
    done = run_operation(coop, "users.set-password", {"username": "anggota-a1"},
                         as_user="admin")
    [sent] = recorder.accepted.values()
    assert sent.kind == "users.password-reset"
    assert sent.text == ("Kata sandi pengguna anggota-a1 diatur ulang oleh admin pada "
                         "5 Januari 2026. Jika Anda tidak memintanya, hubungi koperasi.")
    assert done["temporary_password"] not in sent.text
    run_operation(coop, "users.set-password", {"username": "kasir"}, as_user="admin")
    assert len(recorder.accepted) == 1  # a staff user linked to no member: nobody told


def test_an_after_commit_callback_the_database_fails_is_one_line_not_a_traceback(
        kernel: Kernel, caplog: pytest.LogCaptureFixture) -> None:
    """The database gone after the commit (a restart): the delivery waits for the worker; the
    log says so in one line, as for any request refused while the database is away."""
    import logging

    from sqlalchemy.exc import OperationalError

    from kopcore._db.database import after_commit

    def gone() -> None:
        raise OperationalError("COMMIT", None, Exception(
            "consuming input failed: server closed the connection unexpectedly\nmore"))

    with caplog.at_level(logging.WARNING, logger="kopcore._db.database"):
        kernel.db.write(lambda conn: after_commit(conn, gone))
    [record] = [r for r in caplog.records if r.name == "kopcore._db.database"]
    assert record.getMessage() == ("after-commit callback not run, the database is "
                                   "unavailable: consuming input failed: server closed the "
                                   "connection unexpectedly")
    assert record.exc_info is None
