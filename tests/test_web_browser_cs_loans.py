"""Journeys through the customer-service desk and the loan desk in a real browser: the system's
headless Chromium driven by Selenium against a real server on the demo cooperative, as in
test_web_browser.py (whose browser and ``Journey`` helpers these reuse).

A customer-service officer registers an applicant (the NIK checked while it is typed),
activates them and opens a savings account; a loan officer applies, simulates and submits; a
manager approves from the queue; the officer disburses into the member's savings and prints
the agreement with its schedule (kept as ``loan-agreement.pdf``); a teller cannot reach the
approvals. Each step's screenshot is kept in ``test-artifacts/web/``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest

from kopcore.kernel import Kernel
from kopcore.testing import RunningServer, run_operation
from tests.test_web_browser import ARTIFACTS, OFFICE, PHONE, Journey, browser
from tests.web_support import BROWSER_ONCE, demo_database

pytestmark = BROWSER_ONCE

__all__ = ["browser"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
           ) -> Iterator[tuple[str, Kernel]]:
    """The demo cooperative served by uvicorn on a free port: (base URL, kernel)."""
    settings, _url = demo_database(tmp_path_factory.mktemp("browser-cs"), postgres_database)
    kernel = Kernel.start(settings)
    with RunningServer(kernel) as running:
        yield running.url, kernel
    kernel.close()


def choose(element: Any, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(element).select_by_value(value)


def register_and_activate(desk: Journey, name: str, nik: str, *, shots: bool) -> str:
    """At the customer-service desk: register, activate, open a sukarela account; the member
    number."""
    from selenium.webdriver.common.keys import Keys

    desk.open("/app/cs")
    desk.wait_for("[data-testid=register]").send_keys(Keys.ENTER)
    desk.wait_for("#f-name").send_keys(name)
    nik_field = desk.find("#f-nik")
    nik_field.send_keys("99" + nik[2:])  # a province that does not exist
    desk.wait_for("[data-testid=nik-check]", "kode provinsi NIK 99 tidak ada")
    if shots:
        desk.shot("nik-wrong")
    nik_field.clear()
    nik_field.send_keys(nik)
    desk.wait_for("[data-testid=nik-check]", "Bentuk NIK benar")
    desk.find("#f-phone").send_keys("081298765432")
    if shots:
        desk.shot("nik-right")
    nik_field.send_keys(Keys.ENTER)
    desk.wait_for("[data-testid=done]", "calon anggota")
    number = str(desk.find("[data-testid=member-number]").text)
    if shots:
        desk.shot("registered")
    desk.find("#pokok").send_keys(Keys.SPACE)
    desk.find("[data-testid=activate] button").send_keys(Keys.ENTER)
    desk.wait_for("[data-testid=status]", "Aktif")
    if shots:
        desk.shot("activated")
    choose(desk.find("#product"), "savings.open|SUKARELA")
    desk.find("[data-testid=open-account] button").send_keys(Keys.ENTER)
    desk.wait_for("[data-testid=done]", "Rekening sudah dibuka.")
    assert "Simpanan Sukarela" in desk.find("table.accounts").text
    if shots:
        desk.shot("account-opened")
    return number


def test_customer_service_registers_activates_and_opens_an_account(
        browser: Any, server: tuple[str, Kernel]) -> None:
    desk = Journey(browser, server[0], "cs")
    desk.log_in("teller")
    menu = desk.find("nav.side").text
    assert "Layanan anggota" in menu
    assert "Pengajuan pinjaman untuk diputuskan" not in menu
    number = register_and_activate(desk, "Sri Wahyuni", "3201015507900004", shots=True)
    assert re.fullmatch(r"A\d{6}", number)
    # Found again from the desk's one search field, as typed.
    desk.open("/app/cs")
    desk.wait_for("#q").send_keys("Sri Wahyuni")
    desk.wait_for(".members a", "Sri Wahyuni")
    desk.shot("found")
    # The member's page on a phone: nothing scrolls sideways.
    browser.set_window_size(*PHONE)
    desk.open(f"/app/cs/member/{number}")
    desk.wait_for("[data-testid=member-number]")
    desk.shot("phone")
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width


def test_a_loan_from_application_to_disbursement_and_its_printed_schedule(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    officer = Journey(browser, server[0], "loan")
    officer.log_in("teller")
    number = register_and_activate(officer, "Bayu Pratama", "3171010101900006", shots=False)
    # The loan desk: find the applicant, a new application.
    officer.open("/app/loans")
    officer.wait_for("#q").send_keys("Bayu", Keys.ENTER)
    officer.wait_for(".members a", "Bayu Pratama").send_keys(Keys.ENTER)
    officer.wait_for("[data-testid=apply-form]")
    choose(officer.find("#f-product"), "PMU-FLAT")
    officer.find("#f-amount").send_keys("6.000.000")
    officer.find("#f-term").send_keys("12")
    officer.find("#f-purpose").send_keys("modal warung", Keys.ENTER)  # Enter simulates
    officer.wait_for("[data-testid=first-installment]", "Rp590.000,00")
    assert officer.find("[data-testid=total-interest]").text == "Rp1.080.000,00"
    officer.shot("simulated")
    # The simulated schedule on a phone: the page itself does not scroll sideways.
    browser.set_window_size(*PHONE)
    browser.execute_script("document.querySelector('[data-testid=simulation]').scrollIntoView()")
    officer.shot("simulated-phone")
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    browser.set_window_size(*OFFICE)
    officer.find("[data-testid=submit-application]").send_keys(Keys.ENTER)
    officer.wait_for("[data-testid=loan-status]", "Diajukan")
    loan = str(officer.find("[data-testid=loan-number]").text)
    officer.shot("applied")
    # Collateral with its documents and the pledge's letter number.
    officer.find("[data-testid=collateral-form] summary").click()
    officer.wait_for("#f-kind").send_keys("Emas perhiasan")
    officer.find("#f-description").send_keys("Kalung emas 10 gram")
    officer.find("#f-value").send_keys("9.000.000")
    choose(officer.find("#f-binding"), "gadai")
    officer.find("#f-binding_ref").send_keys("SBG-0042")
    officer.find("#f-documents").send_keys("Surat pembelian emas")
    officer.shot("collateral-form")
    officer.find("[data-testid=collateral-form] button").send_keys(Keys.ENTER)
    officer.wait_for("[data-testid=done]", "Agunan sudah dicatat.")
    assert "Kalung emas 10 gram" in officer.find("[data-testid=collateral]").text
    officer.shot("collateral")

    manager = Journey(browser, server[0], "loan-approval")
    manager.log_in("manager")
    manager.find("nav.side a[href='/app/loans/queue']").click()
    item = manager.wait_for(f"[data-testid=application-{loan}]")
    assert "anggota menerima Rp5.915.000,00" in item.text
    assert "angsuran pertama Rp590.000,00" in item.text
    manager.shot("queue")
    manager.find(f"[data-testid=approve-{loan}]").send_keys(Keys.ENTER)
    manager.wait_for("[data-testid=done]", f"Pengajuan {loan} disetujui")
    manager.shot("approved")

    officer = Journey(browser, server[0], "loan-disbursement")
    officer.log_in("teller")
    officer.open(f"/app/loans/loan/{loan}")
    officer.wait_for("[data-testid=disburse] button").send_keys(Keys.ENTER)
    officer.wait_for("[data-testid=loan-status]", "Aktif")
    officer.shot("disbursed")
    officer.open(f"/app/cs/member/{number}")
    assert "Rp5.915.000,00" in officer.wait_for("table.accounts").text
    officer.open(f"/app/loans/loan/{loan}")
    officer.find("[data-testid=print-link]").send_keys(Keys.ENTER)
    agreement = officer.wait_for("[data-testid=agreement]")
    assert "Bayu Pratama" in agreement.text
    assert "5 Februari 2026" in agreement.text
    officer.shot("agreement")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not officer.find("nav.side").is_displayed()
        officer.shot("agreement-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = base64.b64decode(browser.print_page(options))
    (ARTIFACTS / "loan-agreement.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")


def test_a_teller_cannot_reach_the_loan_approvals(browser: Any, server: tuple[str, Kernel]
                                                 ) -> None:
    teller = Journey(browser, server[0], "loan-refusal")
    teller.log_in("teller")
    assert not browser.find_elements("css selector", "nav.side a[href='/app/loans/queue']")
    teller.open("/app/loans/queue")
    teller.wait_for("h1", "Tidak diizinkan")
    assert "teller" in teller.find("main").text
    teller.shot("queue-refused")
    auditor = Journey(browser, server[0], "cs-refusal")
    auditor.log_in("auditor")
    auditor.open("/app/cs")
    auditor.wait_for("h1", "Tidak diizinkan")
    auditor.shot("desk-refused")


def test_the_exit_shows_the_refund_deferred_until_the_rat_and_pays_the_rest(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    url, kernel = server
    desk = Journey(browser, url, "exit")
    desk.log_in("teller")
    number = register_and_activate(desk, "Putu Setelah RAT", "5171025204900002", shots=False)
    pokok = run_operation(kernel, "savings.open", {"member": number, "product": "POKOK"},
                          as_user="teller")["account"]["number"]
    sukarela = next(a["number"] for a in run_operation(
        kernel, "accounts.list", {"member": number}, as_user="teller")["items"]
        if a["number"] != pokok)
    for account, amount in ((pokok, "100000"), (sukarela, "150000")):
        run_operation(kernel, "savings.deposit", {"account": account, "amount": amount,
                                                  "cash_account": "CASH-01"}, as_user="teller")
    run_operation(kernel, "savings.policy-set", {"exit_refund": "after-rat"},
                  as_user="manager")
    try:
        manager = Journey(browser, url, "exit")
        manager.log_in("manager")
        manager.open(f"/app/cs/member/{number}/exit")
        # 250.000 in savings: the 150.000 sukarela is paid with the exit, the 100.000 pokok
        # waits for the RAT approving the accounts of 2026.
        manager.wait_for("[data-testid=exit-deferred]", "(Rp100.000,00)")
        assert manager.find("[data-testid=exit-total]").text == "Rp150.000,00"
        assert manager.find("[data-testid=exit-words]").text.startswith(
            "seratus lima puluh ribu rupiah")
        schedule = manager.find("[data-testid=exit-schedule]").text
        assert "1 dari 1" in schedule
        assert "setelah RAT yang mengesahkan laporan tahun buku 2026" in schedule
        assert "Rp100.000,00" in schedule
        # The payout account is a cash drawer: the desk cannot move the whole refund into the
        # exit payable, where no refund part would record it.
        payout = [o.get_attribute("value") for o in browser.find_elements(
            "css selector", "#payout_account option")]
        assert "CASH-01" in payout
        assert "GL-payable.member_exit" not in payout
        manager.shot("preview")
        choose(manager.find("#reason"), "resigned")
        choose(manager.find("#payout_account"), "CASH-01")
        manager.find("[data-testid=exit-form] button.primary").send_keys(Keys.ENTER)
        manager.wait_for("[data-testid=done]", "Keluarnya anggota sudah diselesaikan")
        manager.shot("left")
        owed = run_operation(kernel, "savings.exit-refunds", {"member": number},
                             as_user="manager")
        assert [(p["after_rat_of"], p["due_on"], p["amount"]["amount"])
                for p in owed["items"]] == [(2026, None, "100000.00")]
    finally:
        run_operation(kernel, "savings.policy-set", {"exit_refund": "immediate"},
                      as_user="manager")
