"""The customer-service desk of the staff web app over HTTP (without a browser): the NIK checked
as it is typed by the kernel's rule, registration from the operation's own form, activation,
opening accounts, contact changes and a member's exit with what it would pay shown first.
The browser journeys are in test_web_browser_cs_loans.py."""

from __future__ import annotations

import re
from typing import Any

from kopcore_savings import exit_refunds
from kopcore_savings.time_deposits import add_months
from sqlalchemy import func, select

from kopcore._db import tables as t
from kopcore._i18n import format_date
from kopcore.eod import current_business_date
from kopcore.interfaces._convert import fields_of
from kopcore.kernel import Kernel
from kopcore.ledger import get_member
from kopcore.plugins.member_ops import RegisterMemberIn
from tests.test_web import entries
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel"]


def members(kernel: Kernel) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(t.members)).scalar_one()))


def status_of(kernel: Kernel, number: str) -> str:
    return str(kernel.db.read(lambda conn: conn.execute(
        select(t.members.c.status).where(t.members.c.member_number == number)).scalar_one()))


def done(page: str) -> list[str]:
    return re.findall(r'data-testid="(?:done|error)">([^<]*)', page)


def register(client: Any, name: str, nik: str, **more: str) -> Any:
    form = client.get("/app/cs/register").text
    return client.post("/app/cs/register", data={
        "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
        "name": name, "nik": nik, **more}, follow_redirects=False)


def new_member(client: Any, name: str, nik: str, products: tuple[str, ...] = ("SUKARELA",)
               ) -> tuple[str, dict[str, str]]:
    """Register, activate and open accounts from the desk: the member number and the
    accounts opened, by savings type (``pokok``, ``sukarela``...)."""
    registered = register(client, name, nik)
    assert registered.status_code == 303
    number = re.search(r"/app/cs/member/(\w+)", registered.headers["location"]).group(1)
    page = client.get(f"/app/cs/member/{number}").text
    client.post(f"/app/cs/member/{number}/activate", data={
        "csrf": hidden(page, "csrf"), "idempotency_key": f"web-activate-{number}",
        "pokok": "1"})
    for product in products:
        client.post(f"/app/cs/member/{number}/open", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": f"web-open-{number}-{product}",
            "product": f"savings.open|{product}"})
    page = client.get(f"/app/cs/member/{number}").text
    rows = re.findall(r'<tr data-product="savings\.(\w+)">\s*<td class="mono">(\w+)</td>', page)
    return number, dict(rows)


def deposit(client: Any, account: str, amount: str) -> None:
    form = client.get("/app/op/savings.deposit").text
    answer = client.post("/app/op/savings.deposit", data={
        "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
        "account": account, "amount": amount, "cash_account": "CASH-01"})
    assert answer.status_code == 200, answer.text


def test_the_nik_is_checked_as_it_is_typed_by_the_kernels_rule(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        form = client.get("/app/cs/register").text
        # The field asks the desk's check while typing (htmx, served by the app).
        assert 'hx-get="/app/cs/nik"' in form
        checks = {
            # Province 32 (Jawa Barat), born 15-07-1990 as a woman (55 = 15 + 40), serial 0004.
            "3201015507900004": "Bentuk NIK benar: 3201 0155 0790 0004",
            "3201": "NIK harus tepat 16 angka",
            "9901011507900004": "kode provinsi NIK 99 tidak ada",
            "3201013213900004": "bukan tanggal lahir",  # day 32
            "3201011513900004": "bukan tanggal lahir",  # month 13
            "3201011507900000": "nomor urut NIK (4 angka terakhir) tidak boleh 0000",
        }
        for nik, said in checks.items():
            answer = client.get(f"/app/cs/nik?nik={nik}")
            assert answer.status_code == 200
            assert said in answer.text, nik
        assert client.get("/app/cs/nik?nik=").text.strip() == ""


def test_a_registration_comes_from_the_operations_own_form_and_the_server_decides(
        demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        form = client.get("/app/cs/register").text
        # Every field of members.register's input is on the form: a field added to the
        # operation appears without the page changing.
        for field in fields_of(RegisterMemberIn):
            assert f'name="{field.name}"' in form, field.name
        before = members(demo_kernel)
        # A NIK the page would flag is refused by the registration itself, nothing written.
        refused = register(client, "Rina Marlina", "9901011507900004")
        assert refused.status_code == 422
        assert "kode provinsi NIK 99 tidak ada" in refused.text
        assert 'value="Rina Marlina"' in refused.text  # what was typed stays
        assert members(demo_kernel) == before
        # Sent twice with one idempotency key: registered once.
        form = client.get("/app/cs/register").text
        data = {"csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
                "name": "Rina Marlina", "nik": "3273015507900011", "phone": "0812 3456 7890"}
        first = client.post("/app/cs/register", data=data, follow_redirects=False)
        second = client.post("/app/cs/register", data=data, follow_redirects=False)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert members(demo_kernel) == before + 1
        # The same NIK again is refused.
        again = register(client, "Rina M.", "3273015507900011")
        assert again.status_code == 422
        assert members(demo_kernel) == before + 1
        page = client.get(first.headers["location"]).text
        assert "calon anggota" in page.lower()
        assert "3273 0155 0790 0011" in page


def test_a_member_is_activated_gets_accounts_and_changes_contact(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "teller")
        registered = register(client, "Dewi Lestari", "3578014408850002")
        number = re.search(r"/app/cs/member/(\w+)", registered.headers["location"]).group(1)
        page = client.get(f"/app/cs/member/{number}").text
        assert 'data-testid="activate"' in page
        assert 'data-testid="open-account"' not in page  # applicants hold no accounts
        client.post(f"/app/cs/member/{number}/activate", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-act-dewi", "pokok": "1"})
        assert status_of(demo_kernel, number) == "active"
        page = client.get(f"/app/cs/member/{number}").text
        # The products of the installed savings plugin, time deposits left to the teller.
        offered = re.findall(r'<option value="savings\.open\|(\w+)">', page)
        assert sorted(offered) == ["POKOK", "SIBUHAR", "SUKARELA", "WAJIB"]
        opened = client.post(f"/app/cs/member/{number}/open", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-open-dewi",
            "product": "savings.open|POKOK"})
        assert done(opened.text) == ["Rekening sudah dibuka."]
        assert 'data-product="savings.pokok"' in opened.text
        # The statement (mutasi rekening) of each account is one click away.
        pokok = re.search(r'<tr data-product="savings\.pokok">\s*<td class="mono">(\w+)',
                          opened.text).group(1)
        assert f'href="/app/reports/mutasi?account={pokok}"' in opened.text
        statement = client.get(f"/app/reports/mutasi?account={pokok}")
        assert statement.status_code == 200
        assert "Dewi Lestari" in statement.text
        changed = client.post(f"/app/cs/member/{number}/contact", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-contact-dewi",
            "phone": "0813-1111-2222", "address": "Jl. Melati 5, Malang"})
        assert done(changed.text) == ["Data kontak sudah diubah."]
        assert "0813 1111 2222" in changed.text
        assert "Jl. Melati 5, Malang" in changed.text
        wrong = client.post(f"/app/cs/member/{number}/contact", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-contact-dewi-2",
            "phone": "12345"})
        assert wrong.status_code == 422
        assert 'value="12345"' in wrong.text
        # Activating twice is refused by the operation.
        twice = client.post(f"/app/cs/member/{number}/activate", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-act-dewi-2", "pokok": "1"})
        assert twice.status_code == 409
        # A form without the session's token changes nothing.
        forged = client.post(f"/app/cs/member/{number}/open", data={
            "csrf": "forged", "idempotency_key": "web-forged", "product": "savings.open|WAJIB"})
        assert forged.status_code == 403
        assert 'data-product="savings.wajib"' not in client.get(f"/app/cs/member/{number}").text
        # Only account-opening operations are run from the product choice.
        other = client.post(f"/app/cs/member/{number}/open", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-other",
            "product": "members.activate|"})
        assert other.status_code == 404


def test_the_exit_shows_what_it_would_pay_and_then_pays_it(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        number, accounts = new_member(teller, "Agus Salim", "3374011203800005",
                                      ("POKOK", "SUKARELA"))
        deposit(teller, accounts["pokok"], "100000")
        deposit(teller, accounts["sukarela"], "250000")
        assert teller.get(f"/app/cs/member/{number}/exit").status_code == 403
        assert "/exit" not in teller.get(f"/app/cs/member/{number}").text
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        page = manager.get(f"/app/cs/member/{number}/exit")
        assert page.status_code == 200
        preview = page.text.split('data-testid="exit-preview"')[1].split("</section>")[0]
        # 100.000 pokok + 250.000 sukarela, by hand.
        assert "Rp100.000,00" in preview
        assert "Rp250.000,00" in preview
        assert re.search(r'data-testid="exit-total"><strong>Rp350\.000,00', preview)
        assert "tiga ratus lima puluh ribu rupiah" in preview
        assert 'data-testid="exit-blocked"' not in preview
        before = entries(demo_kernel)
        left = manager.post(f"/app/cs/member/{number}/exit", data={
            "csrf": hidden(page.text, "csrf"), "idempotency_key": hidden(page.text,
                                                                         "idempotency_key"),
            "reason": "resigned", "payout_account": "CASH-01"})
        assert done(left.text) == ["Keluarnya anggota sudah diselesaikan; rekeningnya ditutup."]
        assert status_of(demo_kernel, number) == "left"
        assert entries(demo_kernel) == before + 1


def test_the_exit_preview_deducts_simpanan_wajib_in_arrears(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        number, accounts = new_member(teller, "Lina Marpaung", "1271014506870009",
                                      ("POKOK", "WAJIB"))
        deposit(teller, accounts["pokok"], "100000")
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        # A month of wajib (Rp25.000 in the demo) billed; nothing to auto-debit it from.
        form = manager.get("/app/op/savings.wajib-bill").text
        billed = manager.post("/app/op/savings.wajib-bill", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "product": "WAJIB", "period": "2026-01"})
        assert billed.status_code == 200, billed.text
        page = manager.get(f"/app/cs/member/{number}/exit").text
        preview = page.split('data-testid="exit-preview"')[1].split("</section>")[0]
        # 100.000 pokok, less 25.000 wajib owed: 75.000 paid out.
        assert re.search(r'data-testid="exit-deducted">\(Rp25\.000,00\)', preview)
        assert re.search(r'data-testid="exit-total"><strong>Rp75\.000,00', preview)
        assert "tujuh puluh lima ribu rupiah" in preview


def set_policy(client: Any, **settings: str) -> None:
    form = client.get("/app/op/savings.policy-set").text
    answer = client.post("/app/op/savings.policy-set", data={
        "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
        **settings})
    assert answer.status_code == 200, answer.text


def test_the_exit_preview_shows_the_refund_the_savings_policy_defers(demo_kernel: Kernel
                                                                     ) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        number, accounts = new_member(teller, "Gede Angsuran", "5171011508850003",
                                      ("POKOK", "SUKARELA"))
        deposit(teller, accounts["pokok"], "100000")
        deposit(teller, accounts["sukarela"], "250000")
    today = current_business_date(demo_kernel)
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        set_policy(manager, exit_refund="installments", exit_refund_installments="3")
        try:
            page = manager.get(f"/app/cs/member/{number}/exit").text
            preview = page.split('data-testid="exit-preview"')[1].split("</section>")[0]
            # 350.000 in savings: the 250.000 sukarela paid with the exit, the 100.000 pokok
            # owed in 33.333 + 33.333 + 33.334, a month apart from today.
            assert re.search(r'data-testid="exit-deferred">\(Rp100\.000,00\)', preview)
            assert re.search(r'data-testid="exit-total"><strong>Rp250\.000,00', preview)
            assert "Pengembalian yang dibayar saat keluar" in preview
            assert "dua ratus lima puluh ribu rupiah" in preview
            schedule = preview.split('data-testid="exit-schedule"')[1].split("</table>")[0]
            rows = [re.sub(r"<[^>]+>", "|", row).strip("|").split("||")
                    for row in re.findall(r"<tr><td>.*?</tr>", schedule)]
            assert rows == [
                [f"{n} dari 3", format_date(add_months(today, n), "id"), amount]
                for n, amount in ((1, "Rp33.333,00"), (2, "Rp33.333,00"), (3, "Rp33.334,00"))]
            # Paying later is the policy's business: the desk pays out from a cash drawer.
            assert "GL-payable.member_exit" not in page
            left = manager.post(f"/app/cs/member/{number}/exit", data={
                "csrf": hidden(page, "csrf"), "idempotency_key": hidden(page, "idempotency_key"),
                "reason": "resigned", "payout_account": "CASH-01"})
            assert done(left.text) == [
                "Keluarnya anggota sudah diselesaikan; rekeningnya ditutup."]
            # The exit recorded the parts the page showed.
            owed = demo_kernel.read("admin", lambda ctx: [
                (p.installment, p.due_on, p.amount.format()) for p in exit_refunds.pending(
                    ctx, member_id=get_member(ctx, number).id)])
            assert owed == [(n, add_months(today, n), amount) for n, amount in (
                (1, "Rp33.333,00"), (2, "Rp33.333,00"), (3, "Rp33.334,00"))]
        finally:
            set_policy(manager, exit_refund="immediate")


def test_an_exit_a_running_loan_stops_is_shown_and_refused(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        # The demo's first borrower still owes on a flat-rate loan.
        page = manager.get("/app/cs/member/A000001/exit")
        assert 'data-testid="exit-blocked"' in page.text
        before = entries(demo_kernel)
        refused = manager.post("/app/cs/member/A000001/exit", data={
            "csrf": hidden(page.text, "csrf"), "idempotency_key": "web-exit-a1",
            "reason": "resigned", "payout_account": "CASH-01"})
        assert refused.status_code == 409
        assert "masih" in refused.text  # the loans plugin's refusal, in Indonesian
        assert status_of(demo_kernel, "A000001") == "active"
        assert entries(demo_kernel) == before


def test_the_desk_is_for_roles_that_manage_members(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        assert 'href="/app/cs"' not in auditor.get("/app/").text
        assert auditor.get("/app/cs").status_code == 403
        assert auditor.get("/app/cs/nik?nik=3201015507900004").status_code == 403
        assert auditor.get("/app/cs/register").status_code == 403
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert 'href="/app/cs"' in teller.get("/app/").text
        found = teller.get("/app/cs?q=Siti").text
        assert re.search(r"/app/cs/member/\w+", found)


def test_a_legal_entity_is_shown_by_its_nib_npwp_and_representative(demo_kernel: Kernel
                                                                   ) -> None:
    from kopcore.testing import run_operation

    number = run_operation(demo_kernel, "members.register", {
        "name": "Koperasi Mitra Desa", "kind": "koperasi", "membership": "non-member",
        "nib": "9120004445556", "npwp": "0012345678902000", "deed_number": "12",
        "representative_name": "Wayan Sudarma", "representative_position": "Ketua"},
        as_user="admin")["member_number"]
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        page = teller.get(f"/app/cs/member/{number}").text
        assert re.findall(r'data-testid="nib">([^<]*)', page) == ["9120 0044 4555 6"]
        assert re.findall(r'data-testid="npwp">([^<]*)', page) == ["0012 3456 7890 2000"]
        assert re.findall(r'data-testid="legal-form">([^<]*)', page) == ["Koperasi"]
        assert "Wayan Sudarma (Ketua)" in page
        assert re.findall(r'data-testid="membership">([^<]*)', page) == [
            "Mitra yang dilayani berdasarkan perjanjian (bukan anggota)"]
