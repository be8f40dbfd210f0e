"""The member app at /anggota over HTTP (without a browser): the one-time code through the
development channel, the PIN and its lockout, sessions, balances and statements through the
member's own operations, a transfer and an installment confirmed with the PIN and posted once.
The browser journey is in test_member_app_browser.py."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update

import kopcore
from kopcore import _member_logins as ml
from kopcore import _notify
from kopcore._db import tables as t
from kopcore._plugin_manager import PluginHost
from kopcore.errors import ConfigurationError, Conflict, Forbidden, PluginError, ValidationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.records import Notification, NotificationChannel
from kopcore.testing import principal, run_operation
from tests.web_support import client_for, demo_kernel, hidden

__all__ = ["demo_kernel"]
PIN = "258014"


def members(kernel: Kernel) -> list[Any]:
    return kernel.db.read(lambda conn: conn.execute(
        select(t.members.c.id, t.members.c.member_number, t.members.c.phone)
        .order_by(t.members.c.id)).all())


def outbox_count(kernel: Kernel) -> int:
    """The one-time codes the development channel kept (a payment's own message, sent
    through the event outbox, is not counted)."""
    o = t.notification_outbox.c
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(t.notification_outbox)
        .where(o.kind.in_((ml.LOGIN_CODE, ml.STEP_UP_CODE)))).scalar_one()))


def entries(kernel: Kernel) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(t.journal_entries)).scalar_one()))


def last_code(kernel: Kernel, member_number: str) -> str:
    """The code the development channel kept for the member (what reached their phone)."""
    message = kernel.db.read(lambda conn: _notify.outbox(conn, member_number=member_number,
                                                         limit=1))[0]
    found = re.match(r"(\d{6}) adalah kode masuk", message["text"])
    assert found, message["text"]
    return found.group(1)


def last_step_up_code(kernel: Kernel, member_number: str) -> str:
    """The fresh code of a large payment the development channel kept for the member."""
    message = kernel.db.read(lambda conn: _notify.outbox(conn, member_number=member_number,
                                                         limit=1))[0]
    assert message["kind"] == ml.STEP_UP_CODE, message
    found = re.match(r"(\d{6}) adalah kode konfirmasi", message["text"])
    assert found, message["text"]
    return found.group(1)


def reset_login(kernel: Kernel, member_id: int) -> None:
    """A member who never signed in (each test starts from the first login)."""
    def reset(conn: Any) -> None:
        conn.execute(t.member_sessions.delete().where(t.member_sessions.c.member_id == member_id))
        conn.execute(t.member_logins.delete().where(t.member_logins.c.member_id == member_id))

    kernel.db.write(reset)


def a_minute_later(kernel: Kernel, member_id: int) -> None:
    """As if the last code was sent more than a minute ago: a new one may go (the requests
    counted in the window stay counted, two minutes older)."""
    def later(conn: Any) -> None:
        conn.execute(update(t.member_logins).where(
            t.member_logins.c.member_id == member_id).values(
            code_sent_at=datetime.now(UTC) - timedelta(minutes=2)))
        r = t.login_code_requests.c
        for row in conn.execute(select(r.id, r.at)).all():
            conn.execute(update(t.login_code_requests).where(r.id == row.id)
                         .values(at=row.at - timedelta(minutes=2)))

    kernel.db.write(later)


def forget_code_requests(kernel: Kernel) -> None:
    """As if the last code request was more than the window ago."""
    kernel.db.write(lambda conn: conn.execute(t.login_code_requests.delete()))


@pytest.fixture(autouse=True)
def _fresh_limits(demo_kernel: Kernel) -> None:
    """Each test starts with no code request counted (they all come from one client)."""
    forget_code_requests(demo_kernel)


def start(client: TestClient[Any], identifier: str) -> Any:
    page = client.get("/anggota/masuk")
    return client.post("/anggota/masuk", data={
        "start_token": hidden(page.text, "start_token"), "identitas": identifier},
        follow_redirects=False)


def send_code(client: TestClient[Any], code: str) -> Any:
    page = client.get("/anggota/kode")
    return client.post("/anggota/kode", data={"csrf": hidden(page.text, "csrf"), "kode": code},
                       follow_redirects=False)


def set_pin(client: TestClient[Any], pin: str, repeat: str | None = None) -> Any:
    page = client.get("/anggota/pin-baru")
    return client.post("/anggota/pin-baru", data={
        "csrf": hidden(page.text, "csrf"), "pin": pin, "ulang": repeat or pin},
        follow_redirects=False)


def first_login(kernel: Kernel, client: TestClient[Any], member: Any) -> None:
    reset_login(kernel, member.id)
    forget_code_requests(kernel)
    assert start(client, member.member_number).headers["location"] == "/anggota/kode"
    assert send_code(client, last_code(kernel, member.member_number)).headers["location"] \
        == "/anggota/pin-baru"
    assert set_pin(client, PIN).headers["location"] == "/anggota/?pin=1"


def enter_pin(client: TestClient[Any], pin: str) -> Any:
    page = client.get("/anggota/pin")
    return client.post("/anggota/pin", data={"csrf": hidden(page.text, "csrf"), "pin": pin},
                       follow_redirects=False)


def admin_call(kernel: Kernel, operation: str, **raw: Any) -> Any:
    return run_operation(kernel, operation, raw, as_user="admin")


def test_first_login_code_through_the_channel_then_a_pin(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[1]
    reset_login(demo_kernel, member.id)
    with client_for(demo_kernel) as client:
        assert client.get("/anggota/", follow_redirects=False).headers["location"] \
            == "/anggota/masuk"
        sent = outbox_count(demo_kernel)
        # By phone, written the international way: the same member.
        answer = start(client, "+62" + member.phone[1:])
        assert answer.headers["location"] == "/anggota/kode"
        cookie = next(c for c in answer.headers.get_list("set-cookie")
                      if c.startswith("kopcore_anggota="))
        assert "HttpOnly" in cookie
        assert "Path=/anggota" in cookie
        assert outbox_count(demo_kernel) == sent + 1
        message = demo_kernel.db.read(lambda conn: _notify.outbox(conn, limit=1))[0]
        assert message["recipient"] == member.phone
        assert message["kind"] == ml.LOGIN_CODE
        code = last_code(demo_kernel, member.member_number)
        # Kept only as a hash; the PIN page is not reachable before the code.
        row = demo_kernel.db.read(lambda conn: conn.execute(select(t.member_logins).where(
            t.member_logins.c.member_id == member.id)).one())
        assert row.code_hash.startswith("$argon2id$")
        assert code not in row.code_hash
        assert client.get("/anggota/pin-baru", follow_redirects=False).headers["location"] \
            == "/anggota/kode"
        assert client.get("/anggota/", follow_redirects=False).headers["location"] \
            == "/anggota/kode"
        wrong = "000000" if code != "000000" else "111111"
        refused = send_code(client, wrong)
        assert refused.status_code == 400
        assert "Kode salah" in refused.text
        assert send_code(client, code).headers["location"] == "/anggota/pin-baru"
        # A weak PIN and two different PINs are refused.
        for pin, repeat in (("123456", None), ("777777", None), ("12345", None),
                            (PIN, "258015")):
            answer = set_pin(client, pin, repeat)
            assert answer.status_code == 400, pin
        assert set_pin(client, PIN).headers["location"] == "/anggota/?pin=1"
        home = client.get("/anggota/?pin=1")
        assert home.status_code == 200
        assert "PIN Anda sudah tersimpan" in home.text
        assert home.headers["cache-control"] == "no-store"
        row = demo_kernel.db.read(lambda conn: conn.execute(select(t.member_logins).where(
            t.member_logins.c.member_id == member.id)).one())
        assert row.pin_hash.startswith("$argon2id$")
        assert row.code_hash is None
        # The member app acts as the member's own member user.
        user = demo_kernel.db.read(lambda conn: conn.execute(select(t.users).where(
            t.users.c.id == row.user_id)).one())
        assert user.role == "member"
        assert user.member_id == member.id
    # The next login: a code again on this new session, then the PIN (not a new one).
    with client_for(demo_kernel) as client:
        start(client, member.member_number)
        # A new code is not sent within the minute; the one sent stands (it was used: void).
        a_minute_later(demo_kernel, member.id)
        start(client, member.member_number)
        assert send_code(client, last_code(demo_kernel, member.member_number)
                         ).headers["location"] == "/anggota/pin"
        assert enter_pin(client, PIN).headers["location"] == "/anggota/"
        assert "Halo" in client.get("/anggota/").text


def test_an_unknown_number_answers_like_a_member_and_never_signs_in(demo_kernel: Kernel
                                                                     ) -> None:
    sent = outbox_count(demo_kernel)
    with client_for(demo_kernel) as client:
        answer = start(client, "A999999")
        assert answer.headers["location"] == "/anggota/kode"
        assert outbox_count(demo_kernel) == sent
        page = client.get("/anggota/kode")
        assert "Jika nomor Anda terdaftar" in page.text
        for code in ("000000", "123456", "999999", "314159"):
            refused = send_code(client, code)
            assert refused.status_code == 400
            assert "Kode salah" in refused.text
        assert send_code(client, "271828").headers["location"] == "/anggota/masuk?info=kode"


def test_a_code_is_sent_once_a_minute_and_voided_after_repeated_failures(demo_kernel: Kernel
                                                                          ) -> None:
    member = members(demo_kernel)[2]
    reset_login(demo_kernel, member.id)
    with client_for(demo_kernel) as client:
        sent = outbox_count(demo_kernel)
        start(client, member.member_number)
        again = start(client, member.member_number)  # within the minute: refused
        assert again.status_code == 429
        assert outbox_count(demo_kernel) == sent + 1
        # The refused request left the first session waiting for its code.
        code = last_code(demo_kernel, member.member_number)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(ml.MAX_CODE_FAILURES - 1):
            assert send_code(client, wrong).status_code == 400
        assert send_code(client, wrong).headers["location"] == "/anggota/masuk?info=kode"
        # The right code no longer works: the code was voided and the session ended; a new
        # code is refused within the minute.
        assert start(client, member.member_number).status_code == 429
        assert client.get("/anggota/kode", follow_redirects=False).headers["location"] \
            .startswith("/anggota/masuk")
        # A minute later a new code goes; the voided one stays void.
        a_minute_later(demo_kernel, member.id)
        assert start(client, member.member_number).headers["location"] == "/anggota/kode"
        assert outbox_count(demo_kernel) == sent + 2
        new = last_code(demo_kernel, member.member_number)
        if new != code:
            assert send_code(client, code).status_code == 400
        assert send_code(client, new).headers["location"] == "/anggota/pin-baru"


def _without_tokens(page: str) -> str:
    """The page without its form token, and the wait it says as N (the waits differ only by the
    time the requests took; compared on their own)."""
    page = re.sub(r'name="start_token" value="[^"]*"', "", page)
    return re.sub(r"dalam \d+ (detik|menit)", r"dalam N \1", page)


def test_code_requests_are_limited_per_address_with_a_cool_down(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[4]
    reset_login(demo_kernel, member.id)
    with client_for(demo_kernel) as client:
        sent = outbox_count(demo_kernel)
        assert start(client, member.phone).headers["location"] == "/anggota/kode"
        # The same phone written the international way is the same address: cooling down.
        refused = start(client, "+62" + member.phone[1:])
        assert refused.status_code == 429
        assert 50 <= int(refused.headers["retry-after"]) <= 60
        assert re.search(r"Kode masuk terlalu sering diminta; minta lagi dalam (5\d|60) "
                         r"detik\.", refused.text)
        # Four more, a minute apart, then the fifteen minutes' five are spent.
        for _ in range(ml.MAX_CODE_REQUESTS - 1):
            a_minute_later(demo_kernel, member.id)
            assert start(client, member.phone).headers["location"] == "/anggota/kode"
        assert outbox_count(demo_kernel) == sent + ml.MAX_CODE_REQUESTS
        a_minute_later(demo_kernel, member.id)
        refused = start(client, member.phone)
        assert refused.status_code == 429
        # The first request was 2 x 5 = 10 minutes ago: 5 minutes to wait.
        assert "minta lagi dalam 5 menit" in refused.text
        assert outbox_count(demo_kernel) == sent + ml.MAX_CODE_REQUESTS
        # By the member number, another address: allowed, but the member already had five
        # codes in the window, so none is sent (the answer is the same).
        a_minute_later(demo_kernel, member.id)
        assert start(client, member.member_number).headers["location"] == "/anggota/kode"
        assert outbox_count(demo_kernel) == sent + ml.MAX_CODE_REQUESTS
    rows = demo_kernel.db.read(lambda conn: conn.execute(select(
        t.login_code_requests.c.key)).scalars().all())
    assert rows
    assert all(len(key) == 64 for key in rows)
    assert member.phone not in rows
    assert member.member_number not in rows


def test_an_unknown_number_is_limited_exactly_as_a_members(demo_kernel: Kernel,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    member = members(demo_kernel)[3]
    reset_login(demo_kernel, member.id)
    # One clock for both runs: the answers may not differ by the time the requests took.
    clock = [datetime.now(UTC)]
    monkeypatch.setattr(ml, "_now", lambda: clock[0])
    answers: dict[str, list[tuple[int, str, int, str]]] = {}
    for typed in (member.phone, "081299990001"):
        clock[0] = datetime.now(UTC)
        with client_for(demo_kernel) as client:
            seen = []
            for _ in range(ml.MAX_CODE_REQUESTS + 1):
                for answer in (start(client, typed), start(client, typed)):  # the 2nd at once
                    seen.append((answer.status_code, answer.headers.get("location", ""),
                                 int(answer.headers.get("retry-after", 0)),
                                 _without_tokens(answer.text)))
                clock[0] += timedelta(minutes=2)
            answers[typed] = seen
    known, unknown = answers[member.phone], answers["081299990001"]
    assert [a[0] for a in known] == [303, 429] * ml.MAX_CODE_REQUESTS + [429, 429]
    assert unknown == known
    assert known[1][2] == 60
    assert known[-1][2] == 300  # the first of five, 10 minutes ago: 5 minutes to wait


def test_code_requests_are_limited_per_client_address(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        for n in range(ml.MAX_CLIENT_CODE_REQUESTS):
            assert start(client, f"A9{n:05d}").headers["location"] == "/anggota/kode"
        refused = start(client, "A800000")  # a fresh address, from the same client
        assert refused.status_code == 429
        assert "Kode masuk terlalu sering diminta" in refused.text
    # Another client asking for the same fresh address is not held back.
    demo_kernel.write("test", lambda ctx: ml.limit_requests(ctx.conn, "A800000",
                                                            "203.0.113.9"))


def test_the_limits_hold_across_server_processes(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[2]
    reset_login(demo_kernel, member.id)
    other = Kernel.start(demo_kernel.settings)  # a second server process on the same database
    try:
        with client_for(demo_kernel) as client, client_for(other) as elsewhere:
            assert start(client, member.member_number).headers["location"] == "/anggota/kode"
            assert start(elsewhere, member.member_number).status_code == 429
            code = last_code(demo_kernel, member.member_number)
            wrong = "000000" if code != "000000" else "111111"
            # Wrong codes typed through both processes count together: the code dies.
            for _ in range(ml.MAX_CODE_FAILURES - 1):
                assert send_code(client, wrong).status_code == 400
            failures = other.db.read(lambda conn: conn.execute(select(
                t.member_logins.c.code_failures).where(
                t.member_logins.c.member_id == member.id)).scalar_one())
            assert failures == ml.MAX_CODE_FAILURES - 1
            a_minute_later(demo_kernel, member.id)
            # A new code from the other process resets the count for the new code only.
            assert start(elsewhere, member.member_number).headers["location"] \
                == "/anggota/kode"
            fresh = last_code(demo_kernel, member.member_number)
            assert send_code(elsewhere, fresh).headers["location"] == "/anggota/pin-baru"
    finally:
        other.close()


def test_address_key_reads_one_address_however_written() -> None:
    assert ml.address_key("0812 3456 7890") == ml.address_key("+62 812-3456-7890") \
        == ml.address_key("6281234567890") == "tel:081234567890"
    assert ml.address_key(" a000001 ") == ml.address_key("A000001") == "id:a000001"
    assert ml.address_key("A000001") != ml.address_key("A000002")


def test_wrong_pins_block_the_pin_and_end_every_session(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[3]
    with client_for(demo_kernel) as other, client_for(demo_kernel) as client:
        first_login(demo_kernel, other, member)
        a_minute_later(demo_kernel, member.id)
        start(client, member.member_number)
        send_code(client, last_code(demo_kernel, member.member_number))
        for attempt in range(1, ml.MAX_PIN_FAILURES):
            answer = enter_pin(client, "975310")
            assert answer.status_code == 400
            assert f"Sisa {ml.MAX_PIN_FAILURES - attempt} kali" in answer.text
        answer = enter_pin(client, "975310")
        assert answer.headers["location"] == "/anggota/masuk?info=terkunci"
        # Every session of the member ended, the other device's too; the PIN is blocked.
        assert other.get("/anggota/", follow_redirects=False).headers["location"].startswith(
            "/anggota/masuk")
        row = demo_kernel.db.read(lambda conn: conn.execute(select(t.member_logins).where(
            t.member_logins.c.member_id == member.id)).one())
        assert row.pin_locked_at is not None
        # The way back: a new code, then a new PIN (the right old PIN no longer signs in).
        a_minute_later(demo_kernel, member.id)
        start(client, member.member_number)
        assert send_code(client, last_code(demo_kernel, member.member_number)
                         ).headers["location"] == "/anggota/pin-baru"
        assert set_pin(client, "864209").headers["location"] == "/anggota/?pin=1"


def test_sessions_expire_forms_need_their_token_and_sign_out_ends_them(demo_kernel: Kernel
                                                                        ) -> None:
    member = members(demo_kernel)[0]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        home = client.get("/anggota/")
        refused = client.post("/anggota/transfer/periksa", data={
            "sumber": "x", "tujuan": "y", "jumlah": "1000"})
        assert refused.status_code == 403
        assert "Formulir ditolak" in refused.text
        out = client.post("/anggota/keluar", data={"csrf": hidden(home.text, "csrf")},
                          follow_redirects=False)
        assert out.headers["location"] == "/anggota/masuk?info=keluar"
        assert client.get("/anggota/", follow_redirects=False).headers["location"] \
            == "/anggota/masuk"
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        demo_kernel.db.write(lambda conn: conn.execute(update(t.member_sessions).where(
            t.member_sessions.c.member_id == member.id).values(
            last_seen_at=datetime.now(UTC) - ml.IDLE - timedelta(seconds=1))))
        assert client.get("/anggota/", follow_redirects=False).headers["location"] \
            == "/anggota/masuk?info=habis"


def test_a_member_page_reads_its_session_and_writes_its_last_use_once_a_minute(
        demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    s = t.member_sessions.c

    def last_seen() -> Any:
        return demo_kernel.db.read(lambda conn: conn.execute(
            select(s.last_seen_at).where(s.member_id == member.id)
            .order_by(s.created_at.desc())).scalar())

    def set_last_seen(at: datetime) -> None:
        demo_kernel.db.write(lambda conn: conn.execute(update(t.member_sessions).where(
            s.member_id == member.id).values(last_seen_at=at)))

    def sessions() -> int:
        return int(demo_kernel.db.read(lambda conn: conn.execute(
            select(func.count()).select_from(t.member_sessions)
            .where(s.member_id == member.id)).scalar_one()))

    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        fifty_seconds_ago = datetime.now(UTC) - timedelta(seconds=50)
        set_last_seen(fifty_seconds_ago)
        assert client.get("/anggota/").status_code == 200
        assert last_seen() == fifty_seconds_ago  # read only within the minute
        set_last_seen(datetime.now(UTC) - ml.TOUCH_EVERY - timedelta(seconds=1))
        asked = datetime.now(UTC)
        assert client.get("/anggota/").status_code == 200
        assert asked <= last_seen() <= datetime.now(UTC)
        # Idle past the limit: ended (and deleted) at the next page, read-only path or not.
        set_last_seen(datetime.now(UTC) - ml.IDLE - timedelta(seconds=1))
        before = sessions()
        assert client.get("/anggota/", follow_redirects=False).headers["location"] \
            == "/anggota/masuk?info=habis"
        assert sessions() == before - 1


def test_home_and_statement_show_only_the_members_own_money(demo_kernel: Kernel) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    own = admin_call(demo_kernel, "accounts.list", member=member.member_number,
                        limit=200)["items"]
    theirs = admin_call(demo_kernel, "accounts.list", member=other.member_number,
                           limit=200)["items"]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        home = client.get("/anggota/").text
        shown = set(re.findall(r"/anggota/rekening/([\w-]+)", home))
        assert shown == {a["number"] for a in own
                         if a["plugin"] != "loans" and a["status"] != "closed"}
        sukarela = next(a for a in own if a["product_code"] == "savings.sukarela")
        assert sukarela["balance"]["amount"]
        assert "Sisa pokok" in home
        loan = admin_call(demo_kernel, "loans.list", member=member.member_number)["items"][0]
        assert loan["number"] in home
        assert "Angsuran berikutnya" in home
        statement = client.get(f"/anggota/rekening/{sukarela['number']}?dari=2026-01-01")
        assert statement.status_code == 200
        lines = admin_call(demo_kernel, "accounts.statement", account=sukarela["number"],
                              from_date="2026-01-01", to_date="2026-12-31")["lines"]
        assert lines
        assert all(line["memo"] in statement.text for line in lines)
        # Another member's account is refused, exactly as the API refuses it.
        foreign = client.get(f"/anggota/rekening/{theirs[0]['number']}")
        assert foreign.status_code == 403
        assert "rekening dan pinjaman Anda sendiri" in foreign.text
        assert theirs[0]["name"] not in foreign.text
        bad = client.get(f"/anggota/rekening/{sukarela['number']}?dari=2026-02-01"
                         "&sampai=2026-01-01")
        assert "Tanggal awal harus sebelum tanggal akhir" in bad.text


def confirm_form(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def test_a_transfer_shows_the_recipient_asks_the_pin_and_posts_once(demo_kernel: Kernel
                                                                     ) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    source = next(a["number"] for a in admin_call(
        demo_kernel, "accounts.list", member=member.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    target = next(a for a in admin_call(
        demo_kernel, "accounts.list", member=other.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    before = admin_call(demo_kernel, "accounts.get", account=target["number"])["balance"]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get("/anggota/transfer").text
        check = client.post("/anggota/transfer/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "sumber": source, "tujuan": target["number"], "jumlah": "25000",
            "berita": "arisan"})
        assert check.status_code == 200
        holder = admin_call(demo_kernel, "members.get", member=other.member_number)["name"]
        assert holder in check.text
        assert "dua puluh lima ribu rupiah" in check.text
        values = confirm_form(check.text)
        posted = entries(demo_kernel)
        wrong = client.post("/anggota/transfer/kirim", data={**values, "pin": "975310"})
        assert wrong.status_code == 400
        assert "PIN salah" in wrong.text
        assert entries(demo_kernel) == posted
        done = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN})
        assert "Transfer berhasil" in done.text
        again = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN})
        assert "sudah dikirim sebelumnya" in again.text
        assert entries(demo_kernel) == posted + 1
        after = admin_call(demo_kernel, "accounts.get", account=target["number"])["balance"]
        assert Decimal(after["amount"]) - Decimal(before["amount"]) == Decimal(25000)
        # An unknown account, or a loan account, is no recipient.
        for to in ("SS99999999", "PJ00000001"):
            refused = client.post("/anggota/transfer/periksa", data={
                "csrf": hidden(form, "csrf"), "idempotency_key": "x", "sumber": source,
                "tujuan": to, "jumlah": "1000"})
            assert refused.status_code == 404
            assert "Rekening tujuan tidak ditemukan" in refused.text
        # More than the balance: said in Indonesian with the figures, nothing posted.
        check = client.post("/anggota/transfer/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": "web-too-much", "sumber": source,
            "tujuan": target["number"], "jumlah": "99.000.000,00"})
        too_much = client.post("/anggota/transfer/kirim", data={
            **confirm_form(check.text), "pin": PIN,
            "kode": last_step_up_code(demo_kernel, member.member_number)})
        assert too_much.status_code == 409
        assert "Saldo tidak cukup" in too_much.text
        assert "diminta Rp99.000.000,00" in too_much.text
        assert entries(demo_kernel) == posted + 1


def test_an_installment_from_savings_is_confirmed_with_the_pin(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    loan = admin_call(demo_kernel, "loans.list", member=member.member_number)["items"][0]
    before = admin_call(demo_kernel, "loans.get", loan=loan["number"])
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get(f"/anggota/angsuran?pinjaman={loan['number']}").text
        check = client.post("/anggota/angsuran/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "pinjaman": loan["number"], "jumlah": "100.000,00"})
        assert check.status_code == 200
        assert "seratus ribu rupiah" in check.text
        done = client.post("/anggota/angsuran/bayar", data={**confirm_form(check.text),
                                                            "pin": PIN})
        assert "Angsuran terbayar" in done.text
    after = admin_call(demo_kernel, "loans.get", loan=loan["number"])
    assert after["outstanding_principal"] != before["outstanding_principal"] or \
        after["interest_receivable"] != before["interest_receivable"]


def test_the_members_operations_on_the_api_refuse_anothers_loan(demo_kernel: Kernel) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    theirs = admin_call(demo_kernel, "loans.list", member=other.member_number)["items"]
    own_member = principal(demo_kernel, "anggota")
    assert own_member.member_id == member.id
    from kopcore._service import invoke

    for loan in theirs[:1]:
        with pytest.raises(Forbidden):
            invoke(demo_kernel, demo_kernel.plugins.operations["loans.repay-own"].value,
                   {"loan": loan["number"], "amount": "1000"}, own_member, interface="test")
    teller = principal(demo_kernel, "teller")
    with pytest.raises(Forbidden):
        invoke(demo_kernel, demo_kernel.plugins.operations["loans.repay-own"].value,
               {"loan": "PJ00000001", "amount": "1000"}, teller, interface="test")


def test_the_app_installs_and_its_offline_shell_holds_no_balance(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        manifest = client.get("/anggota/manifest.webmanifest").json()
        assert manifest["start_url"] == "/anggota/"
        assert manifest["lang"] == "id"
        worker = client.get("/anggota/sw.js")
        assert worker.headers["content-type"].startswith("text/javascript")
        shell = re.search(r"var SHELL = \[(.*?)\]", worker.text, re.S)
        assert shell
        cached = ["/anggota/" + name for name in re.findall(r'"([^"]+)"', shell.group(1))]
        assert set(cached) == {"/anggota/offline", "/anggota/static/member.css",
                               "/anggota/static/member.js", "/anggota/static/icon.svg",
                               "/anggota/manifest.webmanifest"}
        for path in cached:
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert "Rp" not in answer.text
        page = client.get("/anggota/masuk")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", "".join(
            client.get(p).text for p in cached if p.endswith((".css", ".js"))))


def test_the_outbox_is_an_administrators_operation(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    with client_for(demo_kernel) as client:
        reset_login(demo_kernel, member.id)
        start(client, member.member_number)
    shown = admin_call(demo_kernel, "notify.outbox", member=member.member_number, limit=1)
    assert shown["channel"] == "development"
    assert shown["messages"][0]["text"].startswith(last_code(demo_kernel, member.member_number))
    from kopcore._service import invoke

    teller = principal(demo_kernel, "teller")
    with pytest.raises(Forbidden):
        invoke(demo_kernel, demo_kernel.plugins.operations["notify.outbox"].value, {},
               teller, interface="test")


def test_pin_rules() -> None:
    for pin in ("258014", "864209", "102938"):
        ml.check_pin_rules(pin)

    fullwidth = "\uff12\uff15\uff18\uff10\uff11\uff14"
    for pin in ("123456", "654321", "000000", "12345", "1234567", "abcdef", "", fullwidth):
        with pytest.raises(ValidationError):
            ml.check_pin_rules(pin)


def test_phone_forms() -> None:
    assert ml.phone_forms("0812-3700-1001") == {"081237001001", "6281237001001",
                                                "+6281237001001"}
    assert ml.phone_forms("+62 812 3700 1001") == ml.phone_forms("081237001001")
    assert ml.phone_forms("1234") == set()


class _Channels:
    """A plugin object offering the given notification channels."""

    def __init__(self, *channels: NotificationChannel) -> None:
        self.channels = channels

    @kopcore.hookimpl
    def kopcore_notification_channels(self) -> Any:
        return self.channels


def _refuse(ctx: Any, notification: Notification) -> None:
    raise Conflict("the gateway did not answer")


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.said: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())


def test_hook_notification_channels_delivers_through_the_channel_the_settings_name(
        demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[4]
    reset_login(demo_kernel, member.id)
    settings = attrs.evolve(demo_kernel.settings, notification_channel="celengan.collector")
    kernel = Kernel.start(settings)
    sent = outbox_count(demo_kernel)
    sheet = logging.getLogger("kopcore_celengan.route_sheet")
    kept = _Kept()
    sheet.addHandler(kept)
    sheet.setLevel(logging.INFO)
    try:
        with client_for(kernel) as client:
            assert start(client, member.member_number).headers["location"] == "/anggota/kode"
            said = kept.said
            assert len(said) == 1
            assert said[0].startswith(f"{member.member_number} ({member.phone}): ")
            code = re.search(r": (\d{6}) adalah kode masuk", said[0])
            assert code
            assert send_code(client, code.group(1)).headers["location"] == "/anggota/pin-baru"
        assert outbox_count(demo_kernel) == sent  # the development channel was not used
    finally:
        sheet.removeHandler(kept)
        kernel.close()


def test_hook_notification_channels_a_refusing_channel_voids_the_code(demo_kernel: Kernel
                                                                       ) -> None:
    member = members(demo_kernel)[4]
    reset_login(demo_kernel, member.id)
    settings = attrs.evolve(demo_kernel.settings, notification_channel="gateway")
    kernel = Kernel.start(settings, extra_plugins=[("gateway", _Channels(
        NotificationChannel("gateway", "A gateway that is down", _refuse)))])
    try:
        with client_for(kernel) as client:
            refused = start(client, member.member_number)
            assert refused.status_code == 503
            assert "Kode belum dapat dikirim" in refused.text
            row = kernel.db.read(lambda conn: conn.execute(select(t.member_logins).where(
                t.member_logins.c.member_id == member.id)).one())
            assert row.code_hash is None
            assert row.code_sent_at is None  # the member may ask again at once
    finally:
        kernel.close()


@pytest.mark.parametrize(("plugin", "channels", "refusal"), [
    ("arisan", ("gateway",), "outside its namespace"),
    ("arisan", ("arisan.wa", "arisan.wa"), "claimed by both"),
])
def test_hook_notification_channels_refuses_a_channel_outside_the_rules(
        plugin: str, channels: tuple[str, ...], refusal: str) -> None:
    offered = _Channels(*(NotificationChannel(name, name, _refuse) for name in channels))
    with pytest.raises(PluginError, match=refusal):
        PluginHost.load((), extra=[(plugin, offered)])


def test_an_unknown_channel_in_the_settings_stops_the_server(demo_kernel: Kernel) -> None:
    settings = attrs.evolve(demo_kernel.settings, notification_channel="whatsapp")
    kernel = Kernel.start(settings)
    try:
        with pytest.raises(ConfigurationError, match="notification_channel 'whatsapp'"):
            make_app(kernel)
    finally:
        kernel.close()


def test_devices_are_listed_and_one_is_signed_out_from_another(demo_kernel: Kernel) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    with client_for(demo_kernel) as phone, client_for(demo_kernel) as tablet, \
            client_for(demo_kernel) as stranger:
        first_login(demo_kernel, stranger, other)
        first_login(demo_kernel, phone, member)
        a_minute_later(demo_kernel, member.id)
        start(tablet, member.member_number)
        send_code(tablet, last_code(demo_kernel, member.member_number))
        assert enter_pin(tablet, PIN).headers["location"] == "/anggota/"
        page = phone.get("/anggota/perangkat").text
        keys = re.findall(r'name="perangkat" value="(\w+)"', page)
        assert len(keys) == 2
        assert "(perangkat ini)" in page
        # The tablet's key is the one not marked as this device.
        this_one = re.search(r'\(perangkat ini\).*?name="perangkat" value="(\w+)"', page,
                             re.S)
        assert this_one
        tablet_key = next(k for k in keys if k != this_one.group(1))
        # Another member cannot sign the tablet out.
        theirs = stranger.get("/anggota/perangkat").text
        stranger.post("/anggota/perangkat", data={"csrf": hidden(theirs, "csrf"),
                                                  "perangkat": tablet_key})
        assert tablet.get("/anggota/", follow_redirects=False).status_code == 200
        done = phone.post("/anggota/perangkat", data={"csrf": hidden(page, "csrf"),
                                                      "perangkat": tablet_key},
                          follow_redirects=False)
        assert done.headers["location"] == "/anggota/perangkat?keluar=1"
        assert tablet.get("/anggota/", follow_redirects=False).headers["location"] \
            .startswith("/anggota/masuk")
        assert phone.get("/anggota/", follow_redirects=False).status_code == 200


def test_a_pln_token_bought_from_savings_is_shown_large_and_bought_once(demo_kernel: Kernel
                                                                        ) -> None:
    member = members(demo_kernel)[0]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get("/anggota/ppob").text
        assert "Token PLN 20.000" in form
        assert "buy" not in form.lower()  # the cooperative's buying price is not the member's
        check = client.post("/anggota/ppob/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "produk": "PLN20", "nomor": "5321 0000 1236"})
        assert check.status_code == 200
        assert "Token PLN 20.000" in check.text
        assert "dua puluh ribu lima ratus rupiah" in check.text
        posted = entries(demo_kernel)
        values = {**confirm_form(check.text), "pin": PIN}
        done = client.post("/anggota/ppob/beli", data=values)
        assert "Pembelian berhasil" in done.text
        token = re.search(r'data-testid="token">([\d-]+)<', done.text)
        assert token
        again = client.post("/anggota/ppob/beli", data=values)
        assert "sudah dikirim sebelumnya" in again.text
        assert token.group(1) in again.text
        assert entries(demo_kernel) == posted + 1
        bad = client.post("/anggota/ppob/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": "x", "produk": "PLN20",
            "nomor": "meter"})
        assert bad.status_code == 400
    with pytest.raises(Forbidden):
        run_operation(demo_kernel, "ppob.buy-own", {"reference": "r1", "sku": "PLN20",
                                                    "customer_no": "532100001236"},
                      as_user="teller")
    with pytest.raises(Conflict, match="member's purchase from their own savings"):
        run_operation(demo_kernel, "ppob.buy-own", {"reference": "r1", "sku": "PLN20",
                                                    "customer_no": "532100001236"},
                      as_user="admin")


def test_another_members_money_is_never_reachable_from_the_app(demo_kernel: Kernel) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    theirs = admin_call(demo_kernel, "accounts.list", member=other.member_number,
                        limit=200)["items"]
    their_sukarela = next(a["number"] for a in theirs
                          if a["product_code"] == "savings.sukarela")
    own_sukarela = next(a["number"] for a in admin_call(
        demo_kernel, "accounts.list", member=member.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    their_loans = admin_call(demo_kernel, "loans.list", member=other.member_number)["items"]
    assert their_loans
    posted = entries(demo_kernel)
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        page = client.get("/anggota/transfer").text
        token = hidden(page, "csrf")
        for account in theirs:
            assert client.get(f"/anggota/rekening/{account['number']}").status_code == 403
        # Paying from their account, to one's own: refused by the operation's own rule.
        check = client.post("/anggota/transfer/periksa", data={
            "csrf": token, "idempotency_key": "web-theirs", "sumber": their_sukarela,
            "tujuan": own_sukarela, "jumlah": "1000"})
        refused = client.post("/anggota/transfer/kirim", data={**confirm_form(check.text),
                                                              "pin": PIN})
        assert refused.status_code == 403
        assert "rekening dan pinjaman Anda sendiri" in refused.text
        for loan in their_loans:
            answer = client.post("/anggota/angsuran/periksa", data={
                "csrf": token, "idempotency_key": "web-their-loan",
                "pinjaman": loan["number"], "jumlah": "1000"})
            assert answer.status_code == 403
    assert entries(demo_kernel) == posted


@pytest.fixture
def step_up_kernel(demo_kernel: Kernel) -> Any:
    """The demo cooperative where a member's payment of Rp50.000 or more needs a fresh code."""
    kernel = Kernel.start(attrs.evolve(demo_kernel.settings,
                                       member_step_up_amount=Decimal(50_000)))
    yield kernel
    kernel.close()


def _transfer_check(client: TestClient[Any], form: str, key: str, source: str, to: str,
                    amount: str) -> Any:
    return client.post("/anggota/transfer/periksa", data={
        "csrf": hidden(form, "csrf"), "idempotency_key": key, "sumber": source, "tujuan": to,
        "jumlah": amount})


def test_a_large_transfer_needs_a_fresh_code_for_that_payment(step_up_kernel: Kernel) -> None:
    kernel = step_up_kernel
    member, other = members(kernel)[1], members(kernel)[0]
    source = next(a["number"] for a in admin_call(
        kernel, "accounts.list", member=member.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    target = next(a["number"] for a in admin_call(
        kernel, "accounts.list", member=other.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    holder = admin_call(kernel, "members.get", member=other.member_number)["name"]
    with client_for(kernel) as client:
        first_login(kernel, client, member)
        form = client.get("/anggota/transfer").text
        # Below the setting: the PIN alone, no code sent.
        sent = outbox_count(kernel)
        small = _transfer_check(client, form, "web-small", source, target, "49.999,00")
        assert 'id="kode"' not in small.text
        assert outbox_count(kernel) == sent
        posted = entries(kernel)
        done = client.post("/anggota/transfer/kirim", data={**confirm_form(small.text),
                                                            "pin": PIN})
        assert "Transfer berhasil" in done.text
        assert entries(kernel) == posted + 1
        # At the setting: a code sent for this payment, naming it.
        check = _transfer_check(client, form, "web-large", source, target, "50.000,00")
        assert 'id="kode"' in check.text
        assert "kode konfirmasi" in check.text
        message = kernel.db.read(lambda conn: _notify.outbox(conn, limit=1))[0]
        assert message["kind"] == ml.STEP_UP_CODE
        assert f"transfer Rp50.000,00 ke {holder}" in message["text"]
        code = last_step_up_code(kernel, member.member_number)
        values = confirm_form(check.text)
        # Showing the page again keeps the code sent (no second message within the minute).
        _transfer_check(client, form, "web-large", source, target, "50.000,00")
        assert outbox_count(kernel) == sent + 1
        # The PIN alone is not enough; nothing moves.
        wrong = "000000" if code != "000000" else "111111"
        refused = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN,
                                                               "kode": wrong})
        assert refused.status_code == 400
        assert f"Kode konfirmasi salah. Sisa {ml.MAX_STEP_UP_FAILURES - 1} kali" in refused.text
        # The code confirms this payment only: a larger amount with it is refused.
        other_amount = client.post("/anggota/transfer/kirim", data={
            **values, "jumlah": "900.000,00", "pin": PIN, "kode": code})
        assert other_amount.status_code == 400
        assert "Kode konfirmasi tidak berlaku" in other_amount.text
        assert entries(kernel) == posted + 1
        # A wrong PIN with the right code: refused, the code not spent.
        assert client.post("/anggota/transfer/kirim", data={
            **values, "pin": "975310", "kode": code}).status_code == 400
        done = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN, "kode": code})
        assert "Transfer berhasil" in done.text
        again = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN,
                                                             "kode": code})
        assert "sudah dikirim sebelumnya" in again.text
        assert entries(kernel) == posted + 2


def test_a_payments_fresh_code_dies_after_wrong_tries_and_when_expired(step_up_kernel: Kernel
                                                                         ) -> None:
    kernel = step_up_kernel
    member, other = members(kernel)[1], members(kernel)[0]
    source = next(a["number"] for a in admin_call(
        kernel, "accounts.list", member=member.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    target = next(a["number"] for a in admin_call(
        kernel, "accounts.list", member=other.member_number, limit=200)["items"]
        if a["product_code"] == "savings.sukarela")
    with client_for(kernel) as client:
        first_login(kernel, client, member)
        form = client.get("/anggota/transfer").text
        posted = entries(kernel)
        check = _transfer_check(client, form, "web-guess", source, target, "60.000,00")
        code = last_step_up_code(kernel, member.member_number)
        values = confirm_form(check.text)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(ml.MAX_STEP_UP_FAILURES - 1):
            assert client.post("/anggota/transfer/kirim", data={
                **values, "pin": PIN, "kode": wrong}).status_code == 400
        void = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN,
                                                            "kode": wrong})
        assert "Kode konfirmasi tidak berlaku" in void.text
        late = client.post("/anggota/transfer/kirim", data={**values, "pin": PIN, "kode": code})
        assert "Kode konfirmasi tidak berlaku" in late.text  # the right code, too late
        # A new code, expired before it is typed.
        a_minute_later(kernel, member.id)
        check = _transfer_check(client, form, "web-late", source, target, "60.000,00")
        code = last_step_up_code(kernel, member.member_number)
        kernel.db.write(lambda conn: conn.execute(update(t.member_sessions).where(
            t.member_sessions.c.member_id == member.id).values(
            step_up_expires_at=datetime.now(UTC) - timedelta(seconds=1))))
        expired = client.post("/anggota/transfer/kirim", data={
            **confirm_form(check.text), "pin": PIN, "kode": code})
        assert "Kode konfirmasi tidak berlaku" in expired.text
        assert entries(kernel) == posted
        # An installment and a purchase at the setting need one too.
        loan = admin_call(kernel, "loans.list", member=member.member_number)["items"]
        assert loan
        page = client.get(f"/anggota/angsuran?pinjaman={loan[0]['number']}").text
        a_minute_later(kernel, member.id)
        installment = client.post("/anggota/angsuran/periksa", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": hidden(page, "idempotency_key"),
            "pinjaman": loan[0]["number"], "jumlah": "50.000,00"})
        assert 'id="kode"' in installment.text
        assert "pembayaran angsuran Rp50.000,00" in kernel.db.read(
            lambda conn: _notify.outbox(conn, limit=1))[0]["text"]


def test_the_step_up_amount_is_a_setting_of_one_million_rupiah_by_default() -> None:
    from kopcore.money import Money
    from kopcore.settings import Settings

    settings = Settings()
    assert settings.member_step_up_amount == Decimal(1_000_000)
    assert not ml.step_up_needed(settings, Money.parse("999999.99", "IDR"))
    assert ml.step_up_needed(settings, Money.parse("1000000", "IDR"))
    assert Settings.from_mapping({"member_step_up_amount": "250000"}).member_step_up_amount \
        == Decimal(250_000)
    for bad in (2.5e5, "banyak", -1):
        with pytest.raises(ConfigurationError, match="member_step_up_amount"):
            Settings.from_mapping({"member_step_up_amount": bad})


def test_a_members_loan_schedule_and_settlement_quote(demo_kernel: Kernel) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    loan = admin_call(demo_kernel, "loans.list", member=member.member_number)["items"][0]
    schedule = admin_call(demo_kernel, "loans.schedule", loan=loan["number"])
    quote = admin_call(demo_kernel, "loans.settlement-quote", loan=loan["number"])
    theirs = admin_call(demo_kernel, "loans.list", member=other.member_number)["items"][0]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        assert f'/anggota/pinjaman/{loan["number"]}' in client.get("/anggota/").text
        page = client.get(f"/anggota/pinjaman/{loan['number']}")
        assert page.status_code == 200
        rows = page.text.count('data-testid="angsuran-ke"')
        assert rows == len(schedule["installments"]) > 0
        first = schedule["installments"][0]
        assert _money(first["installment"]) in page.text
        assert _money(schedule["total_installments"]) in page.text
        assert "Pelunasan hari ini" in page.text
        assert _money(quote["total"]) in page.text
        paid = sum(1 for r in schedule["installments"] if r["status"] == "paid")
        assert page.text.count(">Lunas<") == paid
        # Another member's loan: refused as the API refuses it.
        foreign = client.get(f"/anggota/pinjaman/{theirs['number']}")
        assert foreign.status_code == 403
        assert theirs["number"] not in foreign.text.replace(f"/pinjaman/{theirs['number']}", "")


def _money(value: dict[str, str]) -> str:
    from kopcore._i18n import format_money
    from kopcore.money import Money

    return format_money(Money.parse(value["amount"], value["currency"]))


def test_a_members_ppob_history_shows_their_own_purchases_and_tokens(demo_kernel: Kernel
                                                                      ) -> None:
    member, other = members(demo_kernel)[0], members(demo_kernel)[1]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get("/anggota/ppob").text
        assert 'href="/anggota/ppob/riwayat"' in form
        check = client.post("/anggota/ppob/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "produk": "PLN20", "nomor": "532100009999"})
        done = client.post("/anggota/ppob/beli", data={**confirm_form(check.text), "pin": PIN})
        token = re.search(r'data-testid="token">([\d-]+)<', done.text)
        assert token
        page = client.get("/anggota/ppob/riwayat")
        assert page.status_code == 200
        own = admin_call(demo_kernel, "ppob.transactions")["transactions"]
        mine = [t for t in own if t["ref_id"].startswith(f"{member.member_number}-")]
        assert page.text.count('data-testid="pembelian"') >= len(mine) >= 1
        assert token.group(1) in page.text
        assert "5321 0000 9999" in page.text or "532100009999" in page.text
        assert "Berhasil" in page.text
    # Another member sees none of these.
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, other)
        theirs = client.get("/anggota/ppob/riwayat").text
        assert token.group(1) not in theirs
    answer = run_operation(demo_kernel, "ppob.own-purchases", {}, as_user="anggota")
    assert all(p["where"] in ("app", "counter") for p in answer["purchases"])
    with pytest.raises(Conflict):
        run_operation(demo_kernel, "ppob.own-purchases", {}, as_user="admin")
