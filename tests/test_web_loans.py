"""The loan desk of the staff web app over HTTP (without a browser): the application with its
schedule simulated before it is saved, collateral and guarantors, the managers' queue with what
each application would do, the maker-checker rule, the disbursement into the member's savings
and the printable agreement. The browser journeys are in test_web_browser_cs_loans.py.

The worked example: PMU-FLAT (the demo's flat 18% a year, provisi 1%, admin Rp25.000, fees
deducted at disbursement) for Rp6.000.000 over 12 months: principal 6.000.000 / 12 = 500.000 a
month, interest 6.000.000 x 18% / 12 = 90.000 a month, so 590.000 a month, 1.080.000 interest
and 7.080.000 in all; the fees are 60.000 + 25.000 = 85.000 and the member receives 5.915.000.
"""

from __future__ import annotations

import re
from typing import Any

from kopcore_loans.tables import loans
from sqlalchemy import func, select

from kopcore.kernel import Kernel
from tests.test_web_cs import new_member
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel"]


def loan_count(kernel: Kernel) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(loans)).scalar_one()))


def shown_as(page: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{name}">([^<]*)', page)


def application(client: Any, member: str, step: str, amount: str = "6000000",
                term: str = "12", key: str | None = None) -> Any:
    form = client.get(f"/app/loans/apply?member={member}").text
    return client.post("/app/loans/apply", data={
        "csrf": hidden(form, "csrf"), "idempotency_key": key or hidden(form, "idempotency_key"),
        "member": member, "product": "PMU-FLAT", "amount": amount, "term": term,
        "purpose": "modal warung", "step": step}, follow_redirects=False)


def balance(client: Any, member: str, kind: str) -> str:
    page = client.get(f"/app/cs/member/{member}").text
    row = re.search(rf'<tr data-product="savings\.{kind}">.*?<td class="num money">([^<]*)',
                    page, re.S)
    assert row, f"{member} has a {kind} account"
    return row.group(1)


def test_the_schedule_is_simulated_before_anything_is_saved(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        member, _accounts = new_member(teller, "Bayu Pratama", "3171010101900006")
        form = teller.get(f"/app/loans/apply?member={member}").text
        # The product is a choice of the loans plugin's products on offer.
        assert re.findall(r'<option value="([\w-]+)"', form) == ["PKONS-ANUITAS", "PMU-FLAT"]
        before = loan_count(demo_kernel)
        shown = application(teller, member, "simulate")
        assert shown.status_code == 200
        assert shown_as(shown.text, "first-installment") == ["Rp590.000,00"]
        assert shown_as(shown.text, "total-interest") == ["Rp1.080.000,00"]
        assert shown_as(shown.text, "total-installments") == ["Rp7.080.000,00"]
        schedule = shown.text.split('data-testid="schedule"')[1].split("</table>")[0]
        assert schedule.count("Rp500.000,00") == 12
        assert schedule.count("Rp90.000,00") == 12
        assert loan_count(demo_kernel) == before  # nothing saved
        # Beyond the product's limits: the simulation is shown, the application refused.
        too_long = application(teller, member, "apply", term="48")
        assert too_long.status_code in (409, 422)
        assert shown_as(too_long.text, "error")
        assert loan_count(demo_kernel) == before
        # Submitted twice with one key: one application.
        form = teller.get(f"/app/loans/apply?member={member}").text
        key = hidden(form, "idempotency_key")
        first = application(teller, member, "apply", key=key)
        second = application(teller, member, "apply", key=key)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert loan_count(demo_kernel) == before + 1
        page = teller.get(first.headers["location"]).text
        assert shown_as(page, "done") == ["Pengajuan tersimpan dan menunggu keputusan manajer."]
        assert shown_as(page, "loan-status") == ["Diajukan"]


def test_an_application_is_decided_by_another_person_and_disbursed_to_savings(
        demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        member, _accounts = new_member(teller, "Citra Kirana", "3171014202910007")
        applied = application(teller, member, "apply")
        number = re.search(r"/app/loans/loan/(\w+)", applied.headers["location"]).group(1)
        page = teller.get(f"/app/loans/loan/{number}").text
        # Collateral with its documents; a fiduciary binding needs its deed number.
        collateral = {"csrf": hidden(page, "csrf"), "kind": "BPKB kendaraan",
                      "description": "Honda Beat 2020, B 1234 XYZ", "value": "8000000",
                      "binding": "fidusia", "documents": "BPKB asli"}
        refused = teller.post(f"/app/loans/loan/{number}/collateral",
                              data={**collateral, "idempotency_key": "web-k-1"})
        assert refused.status_code == 422
        assert "fidusia" in shown_as(refused.text, "error")[0]
        recorded = teller.post(f"/app/loans/loan/{number}/collateral", data={
            **collateral, "idempotency_key": "web-k-2", "binding_ref": "W10.00123.AH.05"})
        assert shown_as(recorded.text, "done") == ["Agunan sudah dicatat."]
        held = recorded.text.split('data-testid="collateral"')[1].split("</table>")[0]
        assert "BPKB asli" in held
        assert "Rp8.000.000,00" in held
        guarantor = teller.post(f"/app/loans/loan/{number}/guarantor", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-g-1",
            "guarantor": "A000002", "relationship": "kakak"})
        assert shown_as(guarantor.text, "done") == ["Penjamin sudah dicatat."]
        # A teller neither sees the queue nor approves.
        assert 'href="/app/loans/queue"' not in teller.get("/app/").text
        assert teller.get("/app/loans/queue").status_code == 403
        assert teller.post(f"/app/loans/loan/{number}/approve", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-a-0"}).status_code == 403
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        queue = manager.get("/app/loans/queue").text
        item = queue.split(f'data-testid="application-{number}"')[1].split("</section>")[0]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))
        assert "anggota menerima Rp5.915.000,00" in text
        assert "Rp85.000,00" in text  # provisi 1% (60.000) + admin 25.000
        assert "angsuran pertama Rp590.000,00" in text
        assert "total bunga Rp1.080.000,00" in text
        assert "Nilai jaminan agunan: Rp8.000.000,00" in text
        approved = manager.post(f"/app/loans/loan/{number}/approve", data={
            "csrf": hidden(queue, "csrf"), "idempotency_key": "web-a-1", "back": "queue",
            "note": "agunan cukup"})
        assert shown_as(approved.text, "done") == [
            f"Pengajuan {number} disetujui: dapat dicairkan."]
        assert f'data-testid="application-{number}"' not in approved.text
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        before = balance(teller, member, "sukarela")
        page = teller.get(f"/app/loans/loan/{number}").text
        assert 'data-testid="disburse"' in page
        disbursed = teller.post(f"/app/loans/loan/{number}/disburse", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-d-1", "to_savings": "true"})
        assert shown_as(disbursed.text, "loan-status") == ["Aktif"]
        assert before == "Rp0,00"
        assert balance(teller, member, "sukarela") == "Rp5.915.000,00"
        printed = teller.get(f"/app/loans/loan/{number}/print").text
        agreement = printed.split('data-testid="agreement"')[1]
        assert "Citra Kirana" in agreement
        assert "enam juta rupiah" in agreement
        rows = agreement.split('data-testid="schedule"')[1].split("<tbody>")[1]
        rows = rows.split("</tbody>")[0]
        assert rows.count("<tr>") == 12
        # The demo's business date is 5 January 2026: the first installment is due a month on.
        assert "5 Februari 2026" in rows
        assert "5 Januari 2027" in rows
        assert "Penjamin" in agreement
        assert "Peminjam" in agreement
        # The loan page shows its quality: nothing due yet on the disbursement day.
        shown = teller.get(f"/app/loans/loan/{number}").text
        assert 'data-testid="loan-quality"' in shown
        assert shown_as(shown, "days-past-due") == ["0"]
        assert 'data-testid="judge-link"' not in shown  # a manager's judgement
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        shown = manager.get(f"/app/loans/loan/{number}").text
        assert 'data-testid="judge-link"' in shown
        link = re.search(r'href="(/app/op/loans\.revalue-collateral\?[^"]+)" '
                         r'data-testid="collateral-revalue-(\d+)"', shown)
        assert link, "a held collateral links to its reappraisal"
        form = manager.get(link.group(1).replace("&amp;", "&")).text
        assert f'value="{number}"' in form
        assert f'value="{link.group(2)}"' in form


def test_the_person_who_applied_does_not_decide(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        member, _accounts = new_member(manager, "Eko Wibowo", "3171010303880008")
        applied = application(manager, member, "apply", amount="1000000", term="6")
        number = re.search(r"/app/loans/loan/(\w+)", applied.headers["location"]).group(1)
        queue = manager.get("/app/loans/queue").text
        item = queue.split(f'data-testid="application-{number}"')[1].split("</section>")[0]
        assert "Anda yang memasukkan pengajuan ini" in item
        assert f"/app/loans/loan/{number}/approve" not in item
        refused = manager.post(f"/app/loans/loan/{number}/approve", data={
            "csrf": hidden(queue, "csrf"), "idempotency_key": "web-own", "back": "queue"})
        assert refused.status_code == 403  # the operation's own rule
        assert shown_as(refused.text, "error")
    with client_for(demo_kernel) as admin:
        log_in(admin, "admin")
        page = admin.get(f"/app/loans/loan/{number}").text
        rejected = admin.post(f"/app/loans/loan/{number}/reject", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-r-1", "note": "usaha belum"})
        assert shown_as(rejected.text, "loan-status") == ["Ditolak"]
        assert f'data-testid="application-{number}"' not in admin.get("/app/loans/queue").text


def test_the_loan_desk_is_for_staff_who_enter_applications(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        assert 'href="/app/loans"' not in auditor.get("/app/").text
        assert auditor.get("/app/loans").status_code == 403
        assert auditor.get("/app/loans/apply").status_code == 403
        assert auditor.get("/app/loans/queue").status_code == 403
