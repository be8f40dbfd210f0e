"""The staff web app's task screens over HTTP (without a browser): the approvals inbox, end of
day, the reports as pages and the audit trail search. Browser journeys are in
test_web_browser.py; the login, the counter and the generated forms in test_web.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from sqlalchemy import delete

from kopcore._db import tables as t
from kopcore.kernel import Kernel
from tests.test_web import add_user, entries, sukarela_of
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel"]


@pytest.fixture
def strict_kernel(demo_kernel: Kernel) -> Iterator[Kernel]:
    """The demo cooperative where a deposit of Rp10.000.000 or more waits for a second
    person."""
    settings = attrs.evolve(demo_kernel.settings,
                            approval_thresholds={"savings.deposit": Decimal(10_000_000)})
    kernel = Kernel.start(settings)
    yield kernel
    kernel.close()


def request_deposit(kernel: Kernel, username: str, amount: str, password: str | None = None
                    ) -> tuple[int, str, str]:
    """A deposit made at the counter by ``username`` that waits for approval: its approval
    id, the member and the account."""
    with client_for(kernel) as client:
        log_in(client, username, password)
        member, account = sukarela_of(client, "Budi")
        form = client.get(f"/app/teller/setor?member={member}&target={account}").text
        waiting = client.post("/app/teller/setor/post", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "member": member, "target": account, "amount": amount,
            "cash_account": "CASH-01"})
        assert waiting.status_code == 202
        found = re.search(r"permintaan (\d+)", waiting.text)
        assert found is not None
        return int(found.group(1)), member, account


def decide(client: Any, approval: int, decision: str) -> Any:
    inbox = client.get("/app/approvals").text
    form = re.search(rf'action="/app/approvals/{approval}/{decision}".*?name="csrf" '
                     r'value="([^"]+)".*?name="idempotency_key" value="([^"]+)"', inbox, re.S)
    assert form is not None, f"the inbox offers to {decision} request {approval}"
    return client.post(f"/app/approvals/{approval}/{decision}",
                       data={"csrf": form.group(1), "idempotency_key": form.group(2)})


def test_the_inbox_says_what_a_request_would_do_and_a_second_manager_approves_it(
        strict_kernel: Kernel) -> None:
    approval, member, account = request_deposit(strict_kernel, "teller", "25.000.000")
    before = entries(strict_kernel)
    with client_for(strict_kernel) as manager:
        log_in(manager, "manager")
        assert 'href="/app/approvals"' in manager.get("/app/").text
        inbox = manager.get("/app/approvals")
        assert inbox.status_code == 200
        request = inbox.text.split(f'data-testid="request-{approval}"')[1].split("</section>")[0]
        assert "Setor" in request or "Deposit" in request
        assert "savings.deposit" in request
        assert member in request
        assert account in request
        assert "Rp25.000.000,00" in request
        assert "dua puluh lima juta rupiah" in request
        assert "teller" in request
        done = decide(manager, approval, "approve")
        assert done.status_code == 200
        assert f"Disetujui: permintaan {approval} telah dijalankan" in done.text
        assert entries(strict_kernel) == before + 1
        assert f'data-testid="request-{approval}"' not in done.text  # no longer waiting
        decided = manager.get("/app/approvals?status=approved").text
        assert f'data-testid="request-{approval}"' in decided
        # Deciding it again is refused by the operation, with nothing posted.
        again = manager.post(f"/app/approvals/{approval}/reject", data={
            "csrf": hidden(done.text, "csrf"), "idempotency_key": "web-again"})
        assert again.status_code == 409
        assert entries(strict_kernel) == before + 1


def test_the_maker_of_a_request_cannot_approve_it(strict_kernel: Kernel) -> None:
    add_user(strict_kernel, "manajer.pembuat", "manager", "sandi-pembuat-1")
    approval, _member, _account = request_deposit(strict_kernel, "manajer.pembuat",
                                                  "12.500.000", "sandi-pembuat-1")
    before = entries(strict_kernel)
    with client_for(strict_kernel) as maker:
        log_in(maker, "manajer.pembuat", "sandi-pembuat-1")
        inbox = maker.get("/app/approvals").text
        request = inbox.split(f'data-testid="request-{approval}"')[1].split("</section>")[0]
        assert "Anda yang membuat permintaan ini" in request
        assert f"/app/approvals/{approval}/approve" not in request
        # Posting the decision anyway is refused by approvals.approve itself.
        refused = maker.post(f"/app/approvals/{approval}/approve", data={
            "csrf": hidden(inbox, "csrf"), "idempotency_key": "web-own-approval"})
        assert refused.status_code == 403
        assert 'data-testid="error"' in refused.text
        assert entries(strict_kernel) == before
    with client_for(strict_kernel) as checker:
        log_in(checker, "manager")
        rejected = decide(checker, approval, "reject")
        assert f"Ditolak: tidak ada yang dibukukan dari permintaan {approval}" in rejected.text
        assert entries(strict_kernel) == before


def test_the_inbox_is_for_those_who_decide(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert 'href="/app/approvals"' not in teller.get("/app/").text
        assert teller.get("/app/approvals").status_code == 403
        page = teller.get("/app/").text
        refused = teller.post("/app/approvals/1/approve", data={
            "csrf": hidden(page, "csrf"), "idempotency_key": "web-teller-approves"})
        assert refused.status_code == 403


def test_end_of_day_runs_from_the_web_with_its_progress_and_result(demo_kernel: Kernel
                                                                     ) -> None:
    from kopcore.interfaces.web._eod import job_of

    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        page = manager.get("/app/eod")
        assert page.status_code == 200
        assert 'href="/app/eod"' in page.text
        before = demo_kernel.read("manager", lambda ctx: ctx.business_date)
        key = hidden(page.text, "idempotency_key")
        started = manager.post("/app/eod", data={"csrf": hidden(page.text, "csrf"),
                                                 "idempotency_key": key},
                               follow_redirects=False)
        assert started.status_code == 303
        assert started.headers["location"] == f"/app/eod/run/{key}"
        job = job_of("manager", key)
        assert job is not None
        assert job.thread is not None
        job.thread.join(timeout=120)
        # The page htmx polls answers a fragment; once the run ended it polls no more.
        fragment = manager.get(f"/app/eod/run/{key}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert "hx-trigger" not in fragment.text
        after = demo_kernel.read("manager", lambda ctx: ctx.business_date)
        assert job.error is None
        assert not job.failed
        assert after == before + timedelta(days=1)
        assert 'data-testid="eod-done"' in fragment.text
        assert "Tutup hari selesai" in fragment.text
        # Sending the form again does not close another day.
        manager.post("/app/eod", data={"csrf": hidden(page.text, "csrf"),
                                       "idempotency_key": key})
        job.thread.join(timeout=120)
        assert demo_kernel.read("manager", lambda ctx: ctx.business_date) == after
        status = manager.get("/app/eod").text
        assert 'data-testid="eod-tasks"' in status


def test_the_end_of_day_status_shows_a_running_days_tasks(demo_kernel: Kernel) -> None:
    from kopcore.testing import run_operation

    status = run_operation(demo_kernel, "eod.status", {}, as_user="manager")
    assert status["running"] is False
    day = demo_kernel.read("manager", lambda ctx: ctx.business_date)
    assert status["business_date"] == str(day)
    task = status["tasks"][0]["task"]

    # A run another worker is doing: one of two chunks of the first task done.
    def begin(ctx: Any) -> None:
        ctx.conn.execute(t.eod_runs.insert().values(business_date=day, status="running",
                                                    started_at=datetime.now(UTC)))
        ctx.conn.execute(t.eod_chunks.insert(), [
            {"business_date": day, "task": task, "chunk_no": 0, "low_id": 1, "high_id": 10,
             "status": "done", "rows": 7},
            {"business_date": day, "task": task, "chunk_no": 1, "low_id": 11, "high_id": 20,
             "status": "pending", "rows": None}])

    def end(ctx: Any) -> None:
        ctx.conn.execute(delete(t.eod_chunks).where(t.eod_chunks.c.business_date == day))
        ctx.conn.execute(delete(t.eod_runs).where(t.eod_runs.c.business_date == day))

    demo_kernel.write("admin", begin)
    try:
        running = run_operation(demo_kernel, "eod.status", {}, as_user="manager")
        assert running["running"] is True
        assert running["day"] == str(day)
        assert running["tasks"][0] == {"task": task, "plugin": status["tasks"][0]["plugin"],
                                       "chunks_done": 1, "chunks": 2, "rows": 7}
        with client_for(demo_kernel) as manager:
            log_in(manager, "manager")
            page = manager.get("/app/eod").text
            assert 'data-testid="eod-running"' in page
            assert 'hx-get="/app/eod/run/-" hx-trigger="every 1s"' in page
            assert '<progress max="2" value="1"></progress>' in page
            assert 'id="run-eod"' not in page  # no second start while it runs
    finally:
        demo_kernel.write("admin", end)
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert teller.get("/app/eod").status_code == 403


@pytest.mark.parametrize(("key", "marker"), [
    ("neraca-saldo", 'data-testid="trial-balance"'),
    ("posisi-keuangan", 'data-testid="liabilities-and-equity"'),
    ("hasil-usaha", 'data-testid="surplus"'),
    ("kesehatan", 'data-testid="indicators"'),
])
def test_a_report_is_a_page_with_its_period_and_signatures(demo_kernel: Kernel, key: str,
                                                           marker: str) -> None:
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        index = auditor.get("/app/reports")
        assert index.status_code == 200
        assert f'href="/app/reports/{key}"' in index.text
        page = auditor.get(f"/app/reports/{key}")
        assert page.status_code == 200
        assert marker in page.text
        assert "Koperasi Demo Sejahtera" in page.text
        assert 'data-testid="period"' in page.text
        for signer in ("Ketua", "Bendahara", "Pengawas"):
            assert signer in page.text
        assert re.search(r"Rp[\d.]+,\d\d", page.text)


def test_the_trial_balance_balances_and_follows_the_office_chosen(demo_kernel: Kernel) -> None:
    from kopcore.testing import run_operation

    expected = run_operation(demo_kernel, "reports.trial-balance", {}, as_user="manager")
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        page = manager.get("/app/reports/neraca-saldo").text
        totals = re.findall(r'<tr class="total"><td></td><td>Jumlah</td><td class="num money">'
                            r"([^<]+)</td><td class=\"num money\">([^<]+)</td>", page)
        assert totals
        assert totals[0][0] == totals[0][1]
        debit = Decimal(expected["total_debit"][0]["amount"])
        assert totals[0][0] == f"Rp{debit:,.2f}".replace(",", "_").replace(".", ",") \
            .replace("_", ".")
        # The office is a choice of the offices there are.
        assert '<select id="f-office" name="office">' in page
        offices = run_operation(demo_kernel, "offices.list", {}, as_user="manager")["offices"]
        code = offices[0]["code"]
        assert f'<option value="{code}"' in page
        one = manager.get(f"/app/reports/neraca-saldo?office={code}").text
        assert f"Kantor {code}" in one
        unknown = manager.get("/app/reports/neraca-saldo?office=NOPE")
        assert unknown.status_code == 404
        assert 'data-testid="error"' in unknown.text


def test_the_rat_statements_and_a_members_statement_are_pages(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as manager:
        log_in(manager, "manager")
        year = demo_kernel.read("manager", lambda ctx: ctx.business_date).year
        rat = manager.get(f"/app/reports/rat?year={year}")
        assert rat.status_code == 200
        for part in ("rat-position", "rat-results", "rat-equity", "rat-cash"):
            assert f'data-testid="{part}"' in rat.text
        assert f"Tahun buku {year} (pembanding {year - 1})" in rat.text
        future = manager.get(f"/app/reports/rat?year={year + 1}")
        assert future.status_code == 422
        assert 'data-testid="error"' in future.text
        # The member's statement needs an account; it names the member.
        member, account = sukarela_of(manager, "Budi")
        asked = manager.get("/app/reports/mutasi")
        assert 'data-testid="report"' not in asked.text
        statement = manager.get(f"/app/reports/mutasi?account={account}&from_date=2000-01-01")
        assert statement.status_code == 200
        assert 'data-testid="statement"' in statement.text
        assert "Budi" in statement.text
        assert member in statement.text
        assert 'data-testid="signatures"' not in statement.text


def test_reports_are_for_the_roles_that_read_them(demo_kernel: Kernel) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert 'href="/app/reports"' not in teller.get("/app/").text
        assert teller.get("/app/reports/neraca-saldo").status_code == 403
        assert teller.get("/app/reports/tidak-ada").status_code == 404


def test_an_auditor_searches_the_audit_trail_by_user_operation_and_days(
        demo_kernel: Kernel) -> None:
    from kopcore.testing import run_operation

    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        member, account = sukarela_of(teller, "Siti")
        form = teller.get(f"/app/teller/setor?member={member}&target={account}").text
        posted = teller.post("/app/teller/setor/post", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "member": member, "target": account, "amount": "75.000,00",
            "cash_account": "CASH-01"}, follow_redirects=False)
        assert posted.status_code == 303
    trail = run_operation(demo_kernel, "audit.list", {"actor": "teller", "limit": 500},
                          as_user="auditor")["items"]
    made = trail[-1]
    assert made["operation"] == "savings.deposit"
    today = made["at"][:10]
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        assert 'href="/app/audit"' in auditor.get("/app/").text
        found = auditor.get("/app/audit?actor=teller&operation=savings.deposit&limit=500")
        assert found.status_code == 200
        rows = found.text.count('data-testid="audit-row"')
        assert rows >= 1
        assert "<td>web</td>" in found.text
        assert '<option value="savings.deposit" selected>' in found.text
        # Nobody else's rows, and the days bound the search.
        assert "<td>manager</td>" not in found.text
        assert auditor.get("/app/audit?actor=teller&since=2000-01-01&until=2000-01-02"
                           ).text.count('data-testid="audit-row"') == 0
        assert rows == auditor.get("/app/audit?actor=teller&operation=savings.deposit"
                                   "&limit=500&since=2000-01-01").text.count(
                                       'data-testid="audit-row"')
        around = auditor.get(f"/app/audit?actor=teller&operation=savings.deposit&limit=500"
                             f"&since={today}")
        assert around.text.count('data-testid="audit-row"') >= 1
        # A page at a time, with a link to the next.
        first = auditor.get("/app/audit?limit=1")
        assert first.text.count('data-testid="audit-row"') == 1
        assert 'id="more"' in first.text
        bad = auditor.get("/app/audit?limit=0")
        assert bad.status_code == 422
        assert 'data-testid="error"' in bad.text
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert teller.get("/app/audit").status_code == 403


def test_staff_logins_and_their_failures_are_in_the_audit_trail(demo_kernel: Kernel) -> None:
    from kopcore import _logins as logins
    from kopcore.testing import run_operation

    add_user(demo_kernel, "kasir.jejak", "teller", "sandi-kasir-jejak")
    with client_for(demo_kernel) as client:
        for _ in range(logins.MAX_FAILURES):
            assert log_in(client, "kasir.jejak", "salah-salah-salah").status_code == 401
        assert log_in(client, "kasir.jejak", "sandi-kasir-jejak").status_code == 401  # locked
        demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
            t.web_logins.update().values(locked_until=datetime.now(UTC) - timedelta(seconds=1))))
        assert log_in(client, "kasir.jejak", "sandi-kasir-jejak").status_code == 303
        home = client.get("/app/").text
        client.post("/app/logout", data={"csrf": hidden(home, "csrf")})
        assert log_in(client, "Tidak.Ada", "apa-saja-sandi").status_code == 401
    trail = run_operation(demo_kernel, "audit.list", {"actor": "kasir.jejak", "limit": 500},
                          as_user="auditor")["items"]
    assert [(r["operation"], r["outcome"]) for r in trail] == [
        *[("web.login", "wrong-password")] * (logins.MAX_FAILURES - 1),
        ("web.login", "lockout"), ("web.login", "locked"), ("web.login", "ok"),
        ("web.logout", "ok")]
    assert {r["interface"] for r in trail} == {"web"}
    assert {r["detail"] for r in trail} == {"from testclient"}
    # The password typed is kept nowhere in the trail.
    assert not any("salah-salah" in str(r) or "sandi-kasir" in str(r) for r in trail)
    unknown = run_operation(demo_kernel, "audit.list", {"actor": "tidak.ada"},
                            as_user="auditor")["items"]
    assert [r["outcome"] for r in unknown] == ["unknown-user"]
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        page = auditor.get("/app/audit?actor=kasir.jejak&operation=web.login&limit=500")
        assert page.status_code == 200
        assert '<option value="web.login" selected>' in page.text
        assert page.text.count('data-testid="audit-row"') == logins.MAX_FAILURES + 2
        assert "Masuk aplikasi staf" in page.text
        assert "kata sandi salah" in page.text
        assert "dikunci setelah gagal berulang kali" in page.text
        assert "ditolak: login sedang dikunci" in page.text
        assert "from testclient" in page.text


def test_a_wrong_authenticator_code_and_the_lockout_it_causes_are_audited(
        demo_kernel: Kernel) -> None:
    from kopcore import _auth as auth
    from kopcore import _logins as logins
    from kopcore.testing import run_operation

    add_user(demo_kernel, "manajer.jejak", "manager", "sandi-manajer-jejak")
    secret = logins.new_totp_secret()
    demo_kernel.write("admin", lambda ctx: ctx.conn.execute(
        t.web_logins.update().where(t.web_logins.c.user_id == auth.get_user(
            ctx.conn, "manajer.jejak")["id"]).values(totp_secret=secret)))
    with client_for(demo_kernel) as client:
        log_in(client, "manajer.jejak", "sandi-manajer-jejak")
        for _ in range(logins.MAX_FAILURES):
            form = client.get("/app/code", follow_redirects=False)
            if form.status_code != 200:
                break
            client.post("/app/code", data={"csrf": hidden(form.text, "csrf"), "code": "12345"})
    trail = run_operation(demo_kernel, "audit.list", {"actor": "manajer.jejak"},
                          as_user="auditor")["items"]
    assert [(r["operation"], r["outcome"]) for r in trail] == [
        ("web.login", "password-ok"),
        *[("web.login-code", "wrong-code")] * (logins.MAX_FAILURES - 1),
        ("web.login-code", "lockout")]
