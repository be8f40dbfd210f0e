"""The staff web app over HTTP (without a browser): login, sessions, CSRF, roles, generated
forms, the teller's counter and the plugins' pages. The browser journeys are in
test_web_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from sqlalchemy import func, select, update

import kopcore
from kopcore import _auth as auth
from kopcore import _logins as logins
from kopcore._db import tables as t
from kopcore._i18n import format_money
from kopcore._plugin_manager import PluginHost
from kopcore.errors import Forbidden, NotFound, PluginError, ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import WebPage
from kopcore.testing import principal, run_operation
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel"]
SUKARELA = re.compile(r"/app/teller/setor\?member=(\w+)&(?:amp;)?target=(SS\w+)")


def entries(kernel: Kernel) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(t.journal_entries)).scalar_one()))


def add_user(kernel: Kernel, username: str, role: str, password: str, *,
             temporary: bool = False) -> None:
    def create(ctx: Any) -> None:
        auth.create_user(ctx.conn, username, role)
        logins.set_password(ctx.conn, username, password, temporary=temporary)

    kernel.write("admin", create)


def sukarela_of(client: Any, query: str) -> tuple[str, str]:
    found = re.findall(r"/app/teller/member/(\w+)", client.get(f"/app/teller?q={query}").text)
    page = client.get(f"/app/teller/member/{found[0]}").text
    match = SUKARELA.search(page)
    assert match, "the member has a sukarela account to deposit into"
    return match.group(1), match.group(2)


def test_login_sets_a_session_cookie_only_scripts_cannot_read(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        assert client.get("/app/", follow_redirects=False).headers["location"].startswith(
            "/app/login")
        answer = log_in(client, "teller")
        assert answer.status_code == 303
        cookie = next(c for c in answer.headers.get_list("set-cookie")
                      if c.startswith("kopcore_session="))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/app" in cookie
        assert "Secure" not in cookie  # served over plain HTTP here; Secure over TLS
        home = client.get("/app/")
        assert home.status_code == 200
        assert "Selamat datang, teller" in home.text
        assert home.headers["cache-control"] == "no-store"
        logout = client.post("/app/logout", data={"csrf": hidden(home.text, "csrf")},
                             follow_redirects=False)
        assert logout.headers["location"] == "/app/login?bye=1"
        assert client.get("/app/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_secure_over_tls(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        client.base_url = "https://testserver.local"  # type: ignore[assignment]
        cookie = next(c for c in log_in(client, "teller").headers.get_list("set-cookie")
                      if c.startswith("kopcore_session="))
        assert "Secure" in cookie


def test_repeated_wrong_passwords_lock_the_login(demo_kernel: Kernel) -> None:
    add_user(demo_kernel, "kasir.kunci", "teller", "kata-sandi-benar")
    with client_for(demo_kernel) as client:
        for _ in range(logins.MAX_FAILURES):
            refused = log_in(client, "kasir.kunci", "salah-salah-salah")
            assert refused.status_code == 401
            assert "Nama pengguna atau kata sandi salah" in refused.text
        # Locked: even the right password is refused, with the same message.
        assert log_in(client, "kasir.kunci", "kata-sandi-benar").status_code == 401
        demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
            update(t.web_logins).values(locked_until=datetime.now(UTC) - timedelta(seconds=1))))
        assert log_in(client, "kasir.kunci", "kata-sandi-benar").status_code == 303


def test_an_unknown_user_is_refused_like_a_wrong_password(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        answer = log_in(client, "tidak-ada", "apa-saja-sandi")
        assert answer.status_code == 401
        assert "Nama pengguna atau kata sandi salah" in answer.text


def test_a_temporary_password_must_be_changed_at_first_login(demo_kernel: Kernel) -> None:
    demo_kernel.write("admin", lambda ctx: auth.create_user(ctx.conn, "kasir.baru", "teller"))
    given = run_operation(demo_kernel, "users.set-password", {"username": "kasir.baru"},
                          as_user="admin")
    assert given["must_change"] is True
    with client_for(demo_kernel) as client:
        assert log_in(client, "kasir.baru", given["temporary_password"]
                      ).headers["location"] == "/app/password"
        assert client.get("/app/teller", follow_redirects=False
                          ).headers["location"] == "/app/password"
        form = client.get("/app/password").text
        short = client.post("/app/password", data={
            "csrf": hidden(form, "csrf"), "current_password": given["temporary_password"],
            "new_password": "pendek", "repeat_password": "pendek"})
        assert short.status_code == 400
        assert "Kata sandi paling sedikit 10 karakter." in short.text
        done = client.post("/app/password", data={
            "csrf": hidden(form, "csrf"), "current_password": given["temporary_password"],
            "new_password": "sandi-baru-kasir", "repeat_password": "sandi-baru-kasir"},
            follow_redirects=False)
        assert done.headers["location"] == "/app/?changed=1"
        assert client.get("/app/teller").status_code == 200


def test_a_form_without_the_sessions_csrf_token_is_refused(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        _member, account = sukarela_of(client, "Siti")
        before = entries(demo_kernel)
        form = client.get("/app/op/savings.deposit").text
        answer = client.post("/app/op/savings.deposit", data={
            "csrf": "not-the-token", "idempotency_key": hidden(form, "idempotency_key"),
            "account": account, "amount": "10000", "cash_account": "CASH-01"})
        assert answer.status_code == 403
        assert "Formulir ditolak" in answer.text
        assert entries(demo_kernel) == before


def test_an_idle_session_ends(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "auditor")
        demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
            update(t.web_sessions).values(
                last_seen_at=datetime.now(UTC) - logins.IDLE - timedelta(seconds=1))))
        answer = client.get("/app/", follow_redirects=False)
        assert answer.status_code == 303
        assert "expired=1" in answer.headers["location"]
        assert "Sesi Anda telah berakhir" in client.get(answer.headers["location"]).text


def test_a_page_reads_its_session_and_writes_its_last_use_once_a_minute(
        demo_kernel: Kernel) -> None:
    s, u = t.web_sessions.c, t.users.c

    def newest_session() -> Any:
        return demo_kernel.db.read(lambda conn: conn.execute(
            select(s.token_hash, s.last_seen_at).join(t.users, u.id == s.user_id)
            .where(u.username == "auditor").order_by(s.created_at.desc())).first())

    def set_last_seen(at: datetime) -> None:
        token_hash = newest_session().token_hash
        demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
            update(t.web_sessions).where(s.token_hash == token_hash).values(last_seen_at=at)))

    with client_for(demo_kernel) as client:
        log_in(client, "auditor")
        # Used 50 seconds ago: within the minute, a page only reads its session.
        fifty_seconds_ago = datetime.now(UTC) - timedelta(seconds=50)
        set_last_seen(fifty_seconds_ago)
        assert client.get("/app/").status_code == 200
        assert newest_session().last_seen_at == fifty_seconds_ago
        # Used a minute and a second ago: the page writes its use, now.
        set_last_seen(datetime.now(UTC) - logins.TOUCH_EVERY - timedelta(seconds=1))
        asked = datetime.now(UTC)
        assert client.get("/app/").status_code == 200
        assert asked <= newest_session().last_seen_at <= datetime.now(UTC)
        # A session read without a write still ends at once when it is ended elsewhere.
        demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
            t.web_sessions.delete().where(s.token_hash == newest_session().token_hash)))
        assert client.get("/app/", follow_redirects=False).status_code == 303


def test_log_out_everywhere_ends_every_session_of_the_user(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as first, client_for(demo_kernel) as second:
        log_in(first, "manager")
        log_in(second, "manager")
        page = first.get("/app/").text
        first.post("/app/logout", data={"csrf": hidden(page, "csrf"), "everywhere": "1"})
        assert second.get("/app/", follow_redirects=False).status_code == 303


def test_the_menu_holds_what_the_role_may_call_and_nothing_else(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        home = client.get("/app/").text
        assert "/app/op/savings.deposit" in home
        assert "/app/op/members.search" in home
        assert "/app/op/users.create" not in home
        assert "/app/op/eod.run" not in home
        refused = client.get("/app/op/users.create")
        assert refused.status_code == 403
        assert "Peran Anda (teller) tidak diizinkan melakukan ini: Buat pengguna." in refused.text
        # Posting the form anyway is refused by the same check the API makes.
        answer = client.post("/app/op/users.create", data={
            "csrf": hidden(home, "csrf"), "username": "siapa", "role": "admin"})
        assert answer.status_code == 403
    with client_for(demo_kernel) as client:
        log_in(client, "admin")
        assert "/app/op/users.create" in client.get("/app/").text


def test_a_generated_money_form_posts_once_however_often_it_is_sent(demo_kernel: Kernel
                                                                    ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        _member, account = sukarela_of(client, "Budi")
        form = client.get("/app/op/savings.deposit").text
        assert 'name="amount"' in form
        assert "1.500.000,00" in form
        data = {"csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "account": account, "amount": "1.250.000", "cash_account": "CASH-01"}
        before = entries(demo_kernel)
        first = client.post("/app/op/savings.deposit", data=data)
        assert first.status_code == 200
        assert "Rp1.250.000,00" in first.text
        again = client.post("/app/op/savings.deposit", data=data)
        assert "sudah pernah dikirim" in again.text
        assert entries(demo_kernel) == before + 1


def test_an_amount_that_could_be_read_two_ways_is_refused_with_an_example(demo_kernel: Kernel
                                                                           ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        member, account = sukarela_of(client, "Siti")
        form = client.get(f"/app/teller/setor?member={member}&target={account}").text
        answer = client.post("/app/teller/setor/confirm", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "member": member, "target": account, "amount": "50.000", "cash_account": "CASH-01"})
        assert answer.status_code == 422
        assert "jumlah 50.000 tidak jelas. Tulis seperti 1.500.000,00 atau 1500000" in answer.text


def test_a_teller_deposit_is_confirmed_posted_once_and_printed(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        member, account = sukarela_of(client, "Siti")
        form = client.get(f"/app/teller/setor?member={member}&target={account}").text
        data = {"csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "member": member, "target": account, "amount": "1.500.000",
                "cash_account": "CASH-01", "memo": ""}
        confirm = client.post("/app/teller/setor/confirm", data=data).text
        assert "Rp1.500.000,00" in confirm
        assert "satu juta lima ratus ribu rupiah" in confirm
        before = entries(demo_kernel)
        posted = client.post("/app/teller/setor/post", data=data, follow_redirects=False)
        again = client.post("/app/teller/setor/post", data=data, follow_redirects=False)
        assert posted.headers["location"] == again.headers["location"]
        assert entries(demo_kernel) == before + 1
        done = client.get(posted.headers["location"]).text
        entry = re.search(r'data-testid="entry">(\d+)<', done)
        assert entry is not None
        key = data["idempotency_key"]
        first = client.get(f"/app/teller/slip/{key}?size=58").text
        assert "CETAK ULANG" not in first
        assert "satu juta lima ratus ribu rupiah" in first
        assert f">{entry.group(1)}<" in first
        assert "size-58" in first
        assert "CETAK ULANG" in client.get(f"/app/teller/slip/{key}").text


def test_a_withdrawal_beyond_the_balance_is_refused_with_the_figures(demo_kernel: Kernel
                                                                      ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        member, account = sukarela_of(client, "Ketut")
        available = run_operation(demo_kernel, "accounts.get", {"account": account},
                                  as_user="admin")["available"]["amount"]
        form = client.get(f"/app/teller/tarik?member={member}&target={account}").text
        before = entries(demo_kernel)
        answer = client.post("/app/teller/tarik/post", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "member": member, "target": account, "amount": "5.000.000",
            "cash_account": "CASH-01"})
        assert answer.status_code == 409, answer.text
        whole = f"{int(float(available)):,}".replace(",", ".")
        assert (f"Saldo tidak cukup di rekening {account}: tersedia Rp{whole},00, diminta "
                "Rp5.000.000,00" in answer.text)
        assert entries(demo_kernel) == before


def test_the_closing_cash_count_compares_the_notes_with_the_books(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        page = client.get("/app/cash").text
        book = run_operation(demo_kernel, "accounts.get", {"account": "CASH-01"},
                             as_user="admin")["balance"]["amount"]
        answer = client.post("/app/cash", data={"csrf": hidden(page, "csrf"),
                                                "account": "CASH-01", "n100000": "3",
                                                "n500": "2"}).text
        assert 'data-testid="counted">Rp301.000,00<' in answer
        whole = int(float(book)) - 301000
        assert f"({whole:,})".replace(",", ".") not in answer  # shown with a sign, not parens
        assert f'data-testid="difference">-Rp{whole:,}'.replace(",", ".") in answer


def test_hook_web_pages_adds_a_page_and_a_home_panel(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "manager")
        home = client.get("/app/").text
        assert "/app/pages/celengan.overview" in home
        assert "Target celengan" in home
        page = client.get("/app/pages/celengan.overview")
        assert page.status_code == 200
        assert "Menunggu" in page.text
    with client_for(demo_kernel) as client:
        log_in(client, "anggota")  # a member: plugins' pages are for staff
        assert client.get("/app/pages/celengan.overview").status_code == 403


@pytest.mark.parametrize("typed", ["siti", "A00000", "3201016107920003", "0812 3700 1003"])
def test_members_are_found_by_name_number_nik_or_phone(demo_kernel: Kernel, typed: str) -> None:
    found = run_operation(demo_kernel, "members.search", {"q": typed}, as_user="teller")
    assert found["items"], typed
    if typed != "A00000":
        assert found["items"][0]["name"] == "Siti Aminah"


def test_a_search_of_one_character_is_refused(demo_kernel: Kernel) -> None:
    assert principal(demo_kernel, "teller").can("members.manage")
    with pytest.raises(Exception, match="at least 2 characters"):
        run_operation(demo_kernel, "members.search", {"q": "s"}, as_user="teller")


def test_a_refusal_in_the_app_reads_as_the_api_translates_it(demo_kernel: Kernel) -> None:
    """The app shows a refusal's title and detail in the person's language, from the same
    catalogues as the API and the CLI: the kernel's, and a plugin's for the plugin's messages."""
    with client_for(demo_kernel) as client:
        log_in(client, "manager")
        search = client.get("/app/teller?q=s").text  # the kernel refuses it
        assert "ketik paling sedikit 2 karakter untuk mencari" in search
        assert "type at least 2 characters" not in search
        loan = client.get("/app/op/loans.get?loan=PIN-TIDAK-ADA&run=1")  # the loans plugin
        assert loan.status_code == 404
        assert "Tidak ditemukan. Pinjaman: pinjaman PIN-TIDAK-ADA tidak ditemukan" in loan.text
        assert "not found" not in loan.text
        client.get("/app/language/en?next=/app/")
        english = client.get("/app/op/loans.get?loan=PIN-TIDAK-ADA&run=1").text
        assert "Not found. Loan: loan PIN-TIDAK-ADA not found" in english


def test_a_ppob_purchase_at_the_counter_prints_its_token(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        form = client.get("/app/teller/ppob?member=A000003").text
        assert "Token PLN 20.000" in form
        data = {"csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "member": "A000003", "target": "", "sku": "PLN20",
                "customer_no": "532100001236", "cash_account": "CASH-01"}
        confirm = client.post("/app/teller/ppob/confirm", data=data).text
        assert "dua puluh ribu lima ratus rupiah" in confirm
        posted = client.post("/app/teller/ppob/post", data=data, follow_redirects=False)
        assert posted.status_code == 303
        slip = client.get(f"/app/teller/slip/{data['idempotency_key']}").text
        assert "Rp20.500,00" in slip
        assert re.search(r"<th>Token</th><td>\d{4}(-\d{4}){4}</td>", slip)
        assert "<th>Status</th><td>Berhasil</td>" in slip
        again = client.post("/app/teller/ppob/post", data=data, follow_redirects=False)
        assert again.headers["location"] == posted.headers["location"]


def test_a_person_may_switch_the_app_to_english_and_back(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        assert "Loket teller" in client.get("/app/").text
        client.get("/app/language/en?next=/app/")
        english = client.get("/app/").text
        assert "Teller counter" in english
        assert "Loket teller" not in english
        client.get("/app/language/id?next=https://elsewhere.example/")
        assert "Loket teller" in client.get("/app/").text


def test_a_generated_form_offers_choices_and_bounds_from_the_input_class(demo_kernel: Kernel
                                                                          ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        form = client.get("/app/op/members.list?run=1&status=active")
        assert form.status_code == 200
        assert '<option value="active" selected>' in form.text
        assert 'name="limit" type="number" step="1" min="1" max="500"' in form.text
        assert "Siti Aminah" in form.text
        wrong = client.get("/app/op/members.list?run=1&limit=5000")
        assert wrong.status_code == 422
        assert "Batas jumlah harus antara 1 dan 500." in wrong.text
        missing = client.get("/app/op/members.get?run=1")
        assert "Member wajib diisi." not in missing.text
        assert "Anggota wajib diisi." in missing.text


def test_a_large_deposit_waits_for_a_managers_approval_in_the_app(demo_kernel: Kernel) -> None:
    settings = attrs.evolve(demo_kernel.settings,
                            approval_thresholds={"savings.deposit": Decimal(10_000_000)})
    kernel = Kernel.start(settings)
    try:
        with client_for(kernel) as teller:
            log_in(teller, "teller")
            member, account = sukarela_of(teller, "Budi")
            form = teller.get(f"/app/teller/setor?member={member}&target={account}").text
            before = entries(kernel)
            waiting = teller.post("/app/teller/setor/post", data={
                "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "member": member, "target": account, "amount": "25.000.000",
                "cash_account": "CASH-01"})
            assert waiting.status_code == 202
            assert "Menunggu persetujuan" in waiting.text
            approval = re.search(r"permintaan (\d+)", waiting.text)
            assert approval is not None
            assert entries(kernel) == before
        with client_for(kernel) as manager:
            log_in(manager, "manager")
            queue = manager.get("/app/op/approvals.list").text
            assert "savings.deposit" in queue
            form = manager.get("/app/op/approvals.approve").text
            done = manager.post("/app/op/approvals.approve", data={
                "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "approval_id": approval.group(1)})
            assert done.status_code == 200
            assert entries(kernel) == before + 1
    finally:
        kernel.close()


def test_two_step_login_asks_for_the_authenticators_code_once(demo_kernel: Kernel) -> None:
    add_user(demo_kernel, "manajer.dua", "manager", "sandi-manajer-dua")
    with client_for(demo_kernel) as client:
        log_in(client, "manajer.dua", "sandi-manajer-dua")
        page = client.get("/app/two-step").text
        secret = hidden(page, "secret")
        wrong = client.post("/app/two-step", data={"csrf": hidden(page, "csrf"),
                                                   "secret": secret, "code": "000000"})
        assert wrong.status_code == 400
        assert logins.totp_code(secret, logins.current_step()) != "000000"
        first = logins.totp_code(secret, logins.current_step() - 1)
        client.post("/app/two-step", data={"csrf": hidden(page, "csrf"), "secret": secret,
                                           "code": first})
        assert 'data-testid="two-step-on"' in client.get("/app/two-step").text
    with client_for(demo_kernel) as client:
        answer = log_in(client, "manajer.dua", "sandi-manajer-dua")
        assert answer.headers["location"] == "/app/code"
        assert client.get("/app/teller", follow_redirects=False
                          ).headers["location"] == "/app/code"
        form = client.get("/app/code").text
        # The code used to turn it on is spent; the current one lets the manager in, once.
        spent = client.post("/app/code", data={"csrf": hidden(form, "csrf"), "code": first})
        assert spent.status_code == 400
        assert "Kode salah atau sudah pernah dipakai." in spent.text
        code = logins.totp_code(secret, logins.current_step())
        done = client.post("/app/code", data={"csrf": hidden(form, "csrf"), "code": code},
                           follow_redirects=False)
        assert done.headers["location"] == "/app/"
        assert "Selamat datang, manajer.dua" in client.get("/app/").text
    with client_for(demo_kernel) as client:
        log_in(client, "manajer.dua", "sandi-manajer-dua")
        form = client.get("/app/code").text
        replay = client.post("/app/code", data={"csrf": hidden(form, "csrf"), "code": code})
        assert replay.status_code == 400


def test_wrong_authenticator_codes_lock_the_login(demo_kernel: Kernel) -> None:
    add_user(demo_kernel, "admin.dua", "admin", "sandi-admin-dua")
    secret = logins.new_totp_secret()
    demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
        update(t.web_logins).where(t.web_logins.c.user_id == auth.get_user(
            ctx.conn, "admin.dua")["id"]).values(totp_secret=secret)))
    with client_for(demo_kernel) as client:
        log_in(client, "admin.dua", "sandi-admin-dua")
        for _ in range(logins.MAX_FAILURES):
            form = client.get("/app/code", follow_redirects=False)
            if form.status_code != 200:
                break
            client.post("/app/code", data={"csrf": hidden(form.text, "csrf"), "code": "12345"})
        assert client.get("/app/", follow_redirects=False).status_code == 303
        assert log_in(client, "admin.dua", "sandi-admin-dua").status_code == 401


def test_a_temporary_password_turns_two_step_login_off(demo_kernel: Kernel) -> None:
    add_user(demo_kernel, "manajer.hp", "manager", "sandi-manajer-hp")
    demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
        update(t.web_logins).where(t.web_logins.c.user_id == auth.get_user(
            ctx.conn, "manajer.hp")["id"]).values(totp_secret=logins.new_totp_secret())))
    given = run_operation(demo_kernel, "users.set-password", {"username": "manajer.hp"},
                          as_user="admin")
    with client_for(demo_kernel) as client:
        answer = log_in(client, "manajer.hp", given["temporary_password"])
        assert answer.headers["location"] == "/app/password"


def test_the_demo_prints_a_web_app_login_for_each_role(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from kopcore.cli import make_cli

    database = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(make_cli(), ["demo", "--database", database, "--no-serve",
                                             "--plugins", "savings"])
    assert result.exit_code == 0, result.output
    assert "Web app: http://127.0.0.1:8000/app/" in result.output
    for username in ("admin", "manager", "teller", "auditor", "anggota"):
        assert f"{username:<8} password: {username}-demo" in result.output
    assert "Member app: http://127.0.0.1:8000/anggota/ — member number A000001" in \
        result.output
    assert "notify outbox --member A000001" in result.output


class _PagesOf:
    """A plugin object offering the given web pages."""

    def __init__(self, *pages: Any) -> None:
        self.pages = pages

    @kopcore.hookimpl
    def kopcore_web_pages(self) -> Any:
        return self.pages


def _nothing(ctx: Any, query: Any) -> Any:
    return None


@pytest.mark.parametrize(("page", "refusal"), [
    (WebPage("celengan.other", "Other", "members.read", _nothing), "outside its namespace"),
    (WebPage("arisan.board", "Board", "arisan.read", _nothing), "unknown permission"),
])
def test_hook_web_pages_refuses_a_page_outside_the_rules(page: WebPage, refusal: str) -> None:
    with pytest.raises(PluginError, match=refusal):
        PluginHost.load((), extra=[("arisan", _PagesOf(page))])


def test_a_web_page_name_says_its_plugin() -> None:
    with pytest.raises(ValueError, match=re.escape("must be '<plugin>.<page>'")):
        WebPage("overview", "Overview", "members.read", _nothing)


def test_every_operation_an_administrator_may_call_has_a_page(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "admin")
        home = client.get("/app/").text
        names = sorted(set(re.findall(r'href="/app/op/([^"]+)"', home)))
        on_web = {name for name, claimed in demo_kernel.plugins.operations.items()
                  if claimed.value.signature_header is None
                  and claimed.value.upload_field is None}
        assert set(names) == on_web
        for name in names:
            page = client.get(f"/app/op/{name}")
            # A read without required input runs at once and may be refused (no closed year
            # yet, say); never a server error. A form unless there is nothing to fill in.
            assert page.status_code in (200, 404, 409, 422), (name, page.status_code)
            op = demo_kernel.plugins.operations[name].value
            has_form = f'action="/app/op/{name}"' in page.text
            assert has_form == (op.mutates or bool(attrs.fields(op.input))), name


def test_the_statement_link_of_the_counter_shows_the_accounts_movements(demo_kernel: Kernel
                                                                          ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        found = re.findall(r"/app/teller/member/(\w+)", client.get("/app/teller?q=Siti").text)
        page = client.get(f"/app/teller/member/{found[0]}").text
        link = re.search(r'href="(/app/op/accounts\.statement\?[^"]+)"', page)
        assert link is not None
        statement = client.get(link.group(1).replace("&amp;", "&"))
        assert statement.status_code == 200
        assert 'data-testid="result"' in statement.text
        assert "Rp" in statement.text


def test_a_tellers_count_is_recorded_once_and_shown_to_the_supervisor(demo_kernel: Kernel
                                                                      ) -> None:
    book = Decimal(run_operation(demo_kernel, "accounts.get", {"account": "CASH-01"},
                                 as_user="admin")["balance"]["amount"])
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        page = client.get("/app/cash").text
        assert 'id="save"' in page
        form = {"csrf": hidden(page, "csrf"), "idempotency_key": hidden(page, "idempotency_key"),
                "account": "CASH-01", "n100000": "3", "n20000": "1", "n500": "2",
                "note": "kurang satu lembar?", "save": "1"}
        saved = client.post("/app/cash", data=form)
        assert saved.status_code == 200
        assert 'data-testid="saved"' in saved.text
        assert "Hitungan tercatat" in saved.text
        # A double submit records once, and says so.
        again = client.post("/app/cash", data=form)
        assert "sudah dikirim sebelumnya" in again.text
        # Counting only (no save) records nothing.
        client.post("/app/cash", data={**form, "idempotency_key": "web-hitung", "save": ""})
        _member, savings = sukarela_of(client, "Siti")
        bad = client.post("/app/cash", data={**form, "idempotency_key": "web-asing",
                                             "account": savings})
        assert "bukan rekening kas teller yang terbuka" in bad.text
        # The teller does not read the supervisor's page.
        assert client.get("/app/cash/counts").status_code == 403
    day = run_operation(demo_kernel, "offices.till-counts", {}, as_user="auditor")
    counts = [c for c in day["counts"] if c["note"] == "kurang satu lembar?"]
    assert len(counts) == 1
    count = counts[0]
    # 3 x 100.000 + 1 x 20.000 + 2 x 500 = 321.000, against the books.
    assert Decimal(count["counted"]["amount"]) == Decimal(321000)
    assert Decimal(count["book_balance"]["amount"]) == book
    assert Decimal(count["difference"]["amount"]) == Decimal(321000) - book
    assert count["counted_by"] == "teller"
    assert count["account"] == "CASH-01"
    assert {d["pieces"] for d in count["denominations"]
            if Decimal(d["denomination"]["amount"]) in (100000, 20000, 500)} == {3, 1, 2}
    assert day["differing"] >= 1
    with client_for(demo_kernel) as client:
        log_in(client, "auditor")
        assert 'href="/app/cash/counts"' in client.get("/app/").text
        page = client.get("/app/cash/counts")
        assert page.status_code == 200
        assert "Hitungan kas teller" in page.text
        assert "kurang satu lembar?" in page.text
        assert "Rp321.000,00" in page.text
        shortfall = Money.parse(str(Decimal(321000) - book), "IDR")
        assert format_money(shortfall) in page.text
        assert ("kurang" if shortfall.minor < 0 else "lebih") in page.text
        assert client.get("/app/cash/counts?business_date=2000-01-01").text.count(
            'data-testid="till-count"') == 0
        assert "Pilih tanggal dari kalender" in client.get(
            "/app/cash/counts?business_date=kemarin").text


def test_the_till_count_operation_checks_its_input(demo_kernel: Kernel) -> None:
    with pytest.raises(ValidationError):
        run_operation(demo_kernel, "offices.count-till",
                      {"account": "CASH-01", "pieces_100000": -1}, as_user="teller")
    with pytest.raises(NotFound):
        run_operation(demo_kernel, "offices.count-till", {"account": "TIDAK-ADA"},
                      as_user="teller")
    with pytest.raises(Forbidden):
        run_operation(demo_kernel, "offices.count-till", {"account": "CASH-01"},
                      as_user="auditor")
    done = run_operation(demo_kernel, "offices.count-till",
                         {"account": "CASH-01", "pieces_50000": 4, "pieces_100": 7},
                         as_user="manager")
    assert Decimal(done["counted"]["amount"]) == Decimal(200700)
    assert Decimal(done["difference"]["amount"]) == \
        Decimal(200700) - Decimal(done["book_balance"]["amount"])
