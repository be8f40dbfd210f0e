"""The cooperative's own wording of its members' messages (``events.template-set``) and its
quiet hours (``notification_quiet_hours``): a template replaces the plugin's text with the
event's fields, checked against the latest event of its type; a one-time code keeps the
kernel's wording and is never held; other messages wait until the quiet hours end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from kopcore import _event_templates as templates
from kopcore import _events, events
from kopcore.context import Context
from kopcore.errors import ConfigurationError, NotFound, ValidationError
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import run_operation
from tests.test_events import TOLD, Recorder, coop, emit, member_id, recorder, row

__all__ = ["coop", "recorder"]


def call(kernel: Kernel, operation: str, **raw: Any) -> Any:
    return run_operation(kernel, operation, raw, as_user="manajer")


def test_a_template_words_the_message_with_the_events_fields(coop: Kernel,
                                                             recorder: Recorder) -> None:
    emit(coop, amount=1_250_000)  # the latest event the template is checked against
    set_ = call(coop, "events.template-set", type=TOLD,
                text="KSP Maju: setoran {amount:rupiah} sudah masuk. Terima kasih.")
    assert set_["preview"] == "KSP Maju: setoran Rp1.250.000 sudah masuk. Terima kasih."
    event_id = emit(coop, amount=75_500)
    assert recorder.accepted[event_id].text == "KSP Maju: setoran Rp75.500 sudah masuk. " \
                                               "Terima kasih."
    listed = {t["type"]: t for t in call(coop, "events.templates")["templates"]}
    assert listed[TOLD]["text"].startswith("KSP Maju")
    assert listed[TOLD]["updated_by"] == "manajer"
    assert listed["member.login-code"]["fixed"] is True

    call(coop, "events.template-reset", type=TOLD)
    again = emit(coop, amount=75_500)
    assert recorder.accepted[again].text == "Setoran Rp75.500 diterima."  # the plugin's
    with pytest.raises(NotFound):
        call(coop, "events.template-reset", type=TOLD)


@pytest.mark.parametrize(("text", "said"), [
    ("Saldo {balance:rupiah}", "carry no balance"),  # not a field of the latest event
    ("Setoran {amount.real}", "a placeholder is a field name"),
    ("Setoran {amount:>10}", "a placeholder is a field name"),
    ("Setoran {amount", "not well formed"),
    ("   ", "1 to 1000 characters"),
])
def test_a_template_that_cannot_word_the_events_is_refused(coop: Kernel, text: str,
                                                           said: str) -> None:
    emit(coop)
    with pytest.raises(ValidationError, match=said):
        call(coop, "events.template-set", type=TOLD, text=text)
    assert all(t["text"] is None for t in call(coop, "events.templates")["templates"])


def test_one_time_codes_keep_the_kernels_wording(coop: Kernel) -> None:
    with pytest.raises(ValidationError, match="one-time code"):
        call(coop, "events.template-set", type="member.login-code", text="Kode: {code}")
    with pytest.raises(NotFound):
        call(coop, "events.template-set", type="no.such-type", text="x")


def test_a_template_an_event_does_not_fit_falls_back_to_the_plugins_message(
        coop: Kernel, recorder: Recorder) -> None:
    call(coop, "events.template-set", type=TOLD, text="Setoran {amount:rupiah} ke {account}")
    event_id = emit(coop, amount=10_000)  # no 'account' in this event
    assert recorder.accepted[event_id].text == "Setoran Rp10.000 diterima."


def test_a_template_formatting_a_non_amount_as_rupiah_falls_back_and_is_delivered(
        coop: Kernel, recorder: Recorder) -> None:
    call(coop, "events.template-set", type=TOLD,
         text="Setoran {amount:rupiah} ke rekening {account:rupiah}")
    who = member_id(coop)

    def told(ctx: Context) -> str | None:
        return events.emit(ctx, TOLD, {"amount": 10_000, "account": "SS-000123"},
                           member_id=who)
    event_id = coop.write("kasir", told)
    assert event_id is not None
    # 'SS-000123' is no amount: the member gets the plugin's text, at the first attempt.
    assert recorder.accepted[event_id].text == "Setoran Rp10.000 diterima."
    sent = row(coop, event_id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 1, None)


@pytest.mark.parametrize(("text", "said"), [
    ("Setoran ke {account:rupiah}", r"account is not an amount \(SS-000123\)"),
    ("Setoran {amount:rupiah} pada {day:tanggal}", r"day is not a date \(kemarin\)"),
])
def test_a_template_whose_format_the_latest_event_cannot_take_is_refused(
        coop: Kernel, text: str, said: str) -> None:
    who = member_id(coop)
    coop.write("kasir", lambda ctx: events.emit(
        ctx, TOLD, {"amount": 10_000, "account": "SS-000123", "day": "kemarin"},
        member_id=who))
    with pytest.raises(ValidationError, match=said) as refused:
        call(coop, "events.template-set", type=TOLD, text=text)
    assert refused.value.extra["field"] == "text"
    assert all(t["text"] is None for t in call(coop, "events.templates")["templates"])


def test_the_cli_sets_a_template(coop: Kernel) -> None:
    from kopcore.cli import make_cli

    emit(coop)
    result = CliRunner().invoke(make_cli(coop.settings, coop.plugins), [
        "--operator", "manajer", "events", "template-set", "--type", TOLD,
        "--text", "Dana {amount:rupiah} diterima", "--json"])
    assert result.exit_code == 0, result.output
    assert '"preview": "Dana Rp1.250.000 diterima"' in result.output


# --- quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "until"), [
    # 21:00-07:00 WIB (UTC+7): 22:30 WIB is 15:30 UTC; the hours end at 07:00 WIB, 00:00 UTC.
    (datetime(2026, 12, 7, 15, 30, tzinfo=UTC), datetime(2026, 12, 8, 0, 0, tzinfo=UTC)),
    # 06:59 WIB: still quiet, until 07:00 WIB the same day.
    (datetime(2026, 12, 7, 23, 59, tzinfo=UTC), datetime(2026, 12, 8, 0, 0, tzinfo=UTC)),
    (datetime(2026, 12, 8, 0, 0, tzinfo=UTC), None),  # 07:00 WIB: over
    (datetime(2026, 12, 8, 13, 59, tzinfo=UTC), None),  # 20:59 WIB
    (datetime(2026, 12, 8, 14, 0, tzinfo=UTC), datetime(2026, 12, 9, 0, 0, tzinfo=UTC)),
])
def test_quiet_hours_across_midnight_in_the_cooperatives_time(now: datetime,
                                                             until: datetime | None) -> None:
    assert templates.quiet_until("21:00-07:00", "Asia/Jakarta", now) == until


def test_quiet_hours_in_wita_and_within_a_day() -> None:
    # 12:00-13:00 WITA (UTC+8) is 04:00-05:00 UTC.
    assert templates.quiet_until("12:00-13:00", "Asia/Makassar",
                                 datetime(2026, 12, 7, 4, 30, tzinfo=UTC)) == \
        datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    assert templates.quiet_until("12:00-13:00", "Asia/Makassar",
                                 datetime(2026, 12, 7, 3, 59, tzinfo=UTC)) is None
    assert templates.quiet_until("", "Asia/Jakarta", datetime(2026, 12, 7, tzinfo=UTC)) is None


@pytest.mark.parametrize("bad", ["21:00", "21:00-21:00", "25:00-07:00", "malam"])
def test_bad_quiet_hours_stop_start_up(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="notification_quiet_hours"):
        Settings(database_url="sqlite://", notification_quiet_hours=bad)
    with pytest.raises(ConfigurationError, match="timezone"):
        Settings(database_url="sqlite://", timezone="Asia/Bali")


def test_messages_wait_through_the_quiet_hours_and_codes_do_not(
        make_kernel: Callable[..., Kernel], recorder: Recorder) -> None:
    # Quiet all day but one minute: whatever the clock says, now is quiet.
    kernel = make_kernel(extra_plugins=[("bank", recorder)], notification_channel="bank",
                         notification_quiet_hours="00:00-23:59", timezone="UTC")
    from kopcore import ledger
    from kopcore.testing import add_user

    def members(ctx: Any) -> None:
        ledger.register_member(ctx, name="Anggota A1", nik="3201011505900001",
                               phone="081234567890", member_number="A1")
        ledger.activate_member(ctx, "A1")
        add_user(ctx, "manajer", "manager")
        add_user(ctx, "kasir", "teller")
    kernel.write("test", members)
    event_id = emit(kernel)
    held = row(kernel, event_id)
    assert (held.state, held.attempts, recorder.calls) == ("pending", 0, [])
    assert held.next_attempt_at.astimezone(UTC).time().strftime("%H:%M") == "23:59"
    assert call(kernel, "events.deliver")["sent"] == 0  # not due before the hours end
    # The hours are over: the worker sends it, once.
    done = _events.deliver_due(kernel, now=held.next_attempt_at)
    assert done[_events.SENT] == 1
    assert recorder.calls == [event_id]
