"""The member's journeys through the member app in a real browser on a phone-sized window
(390x844): the system's headless Chromium driven by Selenium against a real server, as in
test_web_browser.py (whose server, browser and screenshots this module shares). Screenshots go
to ``test-artifacts/web/member-*`` (git-ignored)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from kopcore import _member_logins as ml
from kopcore._db import tables as t
from kopcore._i18n import format_money
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.testing import run_operation
from tests.test_member_app import a_minute_later, last_code, members, reset_login
from tests.test_web_browser import PHONE, Journey, browser, server
from tests.web_support import BROWSER_ONCE

pytestmark = BROWSER_ONCE

__all__ = ["browser", "server"]
PIN = "258014"


def on_phone(driver: Any, base: str, name: str) -> Journey:
    journey = Journey(driver, base, name)
    driver.set_window_size(*PHONE)
    return journey


def sign_in_with_code(way: Journey, kernel: Kernel, member_number: str) -> None:
    """Member number, then the code that reached the phone (the development channel)."""
    from selenium.webdriver.common.keys import Keys

    way.open("/anggota/")
    way.wait_for("#identitas")
    way.keys(member_number, Keys.ENTER)
    way.wait_for("#kode")
    way.shot("code")
    way.keys(last_code(kernel, member_number), Keys.ENTER)


def admin_call(kernel: Kernel, operation: str, **raw: Any) -> Any:
    return run_operation(kernel, operation, raw, as_user="admin")


def test_a_members_first_login_balances_and_a_transfer(browser: Any,
                                                       server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    base, kernel = server
    member, other = members(kernel)[0], members(kernel)[1]
    way = on_phone(browser, base, "member-first-login")
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.shot("new-pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok", "PIN Anda sudah tersimpan")
    way.shot("home")

    # Every account's balance, as the API gives it to the member; the loan's next installment.
    own = admin_call(kernel, "accounts.list", member=member.member_number, limit=200)["items"]
    shown = [e.text for e in browser.find_elements("css selector", "[data-testid=saldo]")]
    expected = [format_money(Money.parse(a["balance"]["amount"], a["balance"]["currency"]))
                for a in own if a["plugin"] != "loans" and a["status"] != "closed"]
    assert shown == expected
    assert "Angsuran berikutnya" in way.find("[data-testid=angsuran]").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]

    # Installed: the service worker controls the app's scope.
    scope = browser.execute_async_script(
        "const done = arguments[0];"
        "navigator.serviceWorker.ready.then(r => done(r.scope)).catch(e => done(String(e)));")
    assert scope == base + "/anggota/"

    # The statement of the sukarela account.
    source = next(a for a in own if a["product_code"] == "savings.sukarela")
    way.open(f"/anggota/rekening/{source['number']}?dari=2026-01-01")
    way.wait_for("ul.lines")
    way.shot("statement")

    # Transfer to another member: the name shown before the PIN; posted once.
    target = next(a for a in admin_call(kernel, "accounts.list", member=other.member_number,
                                        limit=200)["items"]
                  if a["product_code"] == "savings.sukarela")
    before = Decimal(admin_call(kernel, "accounts.get", account=target["number"])
                     ["balance"]["amount"])
    way.open("/anggota/transfer")
    way.wait_for("#tujuan").send_keys(target["number"])
    way.find("#jumlah").send_keys("75000")
    way.find("#berita").send_keys("bayar arisan")
    way.shot("transfer")
    way.find("#berita").send_keys(Keys.ENTER)
    holder = admin_call(kernel, "members.get", member=other.member_number)["name"]
    way.wait_for("[data-testid=penerima]", holder)
    assert way.find("[data-testid=jumlah]").text == "Rp75.000,00"
    assert "tujuh puluh lima ribu rupiah" in browser.page_source
    way.shot("confirm")
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    way.wait_for("h1.done", "Transfer berhasil")
    way.shot("done")
    assert way.find("[data-testid=transaksi]").text.isdigit()
    after = Decimal(admin_call(kernel, "accounts.get", account=target["number"])
                    ["balance"]["amount"])
    assert after - before == Decimal(75000)

    # A PLN token from savings: the token shown large, to copy.
    way.open("/anggota/ppob")
    way.wait_for("#produk")
    from selenium.webdriver.support.ui import Select

    Select(way.find("#produk")).select_by_value("PLN20")
    way.find("#nomor").send_keys("532100001236", Keys.ENTER)
    way.wait_for("[data-testid=produk]", "Token PLN 20.000")
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    token = way.wait_for("[data-testid=token]")
    assert re.fullmatch(r"\d{4}(-\d{4}){4}", token.text)
    assert float(token.value_of_css_property("font-size").removesuffix("px")) >= 24
    way.shot("pln-token")


def test_wrong_pins_lock_the_pin(browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    base, kernel = server
    member = members(kernel)[2]
    way = on_phone(browser, base, "member-pin-locked")
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok")
    way.find("#keluar").click()
    way.wait_for(".notice", "Anda sudah keluar")
    a_minute_later(kernel, member.id)
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    for attempt in range(1, ml.MAX_PIN_FAILURES):
        way.find("#pin").send_keys("975310", Keys.ENTER)
        way.wait_for(".error", f"Sisa {ml.MAX_PIN_FAILURES - attempt} kali")
    way.shot("last-try")
    way.find("#pin").send_keys("975310", Keys.ENTER)
    way.wait_for(".notice", "PIN Anda diblokir")
    way.shot("locked")
    locked = kernel.db.read(lambda conn: conn.execute(select(t.member_logins.c.pin_locked_at)
                                                      .where(t.member_logins.c.member_id
                                                             == member.id)).scalar())
    assert locked is not None
    way.open("/anggota/")
    way.wait_for("#identitas")


def test_asking_for_codes_too_often_is_refused_in_indonesian(browser: Any,
                                                             server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    base, _kernel = server
    way = on_phone(browser, base, "member-code-requests")
    pages = []
    for number in ("081299990077", "+62 812-9999-0077"):  # one number, written two ways
        way.open("/anggota/masuk")
        way.wait_for("#identitas")
        way.keys(number, Keys.ENTER)
        way.wait_for("h1")
        pages.append(browser.current_url)
    assert pages[0].endswith("/anggota/kode")  # a stranger's number: "sent if registered"
    assert pages[1].endswith("/anggota/masuk")
    refusal = way.find(".error")
    assert re.fullmatch(r"Kode masuk terlalu sering diminta; minta lagi dalam (5\d|60) detik\.",
                        refusal.text)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    way.shot("refused")


def test_a_large_transfer_is_confirmed_with_a_fresh_code_and_the_pin(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    from tests.test_member_app import last_step_up_code

    base, kernel = server
    member, other = members(kernel)[3], members(kernel)[4]
    own = admin_call(kernel, "accounts.list", member=member.member_number, limit=200)["items"]
    source = next(a["number"] for a in own if a["product_code"] == "savings.sukarela")
    # Enough in the member's savings for Rp1.500.000 (deposited at the counter).
    run_operation(kernel, "savings.deposit", {"account": source, "amount": "2000000",
                                              "cash_account": "CASH-01"}, as_user="teller")
    target = next(a["number"] for a in admin_call(kernel, "accounts.list",
                                                  member=other.member_number,
                                                  limit=200)["items"]
                  if a["product_code"] == "savings.sukarela")
    before = Decimal(admin_call(kernel, "accounts.get", account=target)["balance"]["amount"])
    way = on_phone(browser, base, "member-step-up")
    a_minute_later(kernel, member.id)
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok")
    way.open("/anggota/transfer")
    way.wait_for("#tujuan").send_keys(target)
    way.find("#jumlah").send_keys("1.500.000", Keys.ENTER)
    way.wait_for("[data-testid=kode-konfirmasi]", "kode konfirmasi")
    assert way.focused() == way.find("#kode")
    assert "satu juta lima ratus ribu rupiah" in browser.page_source
    way.shot("code-asked")
    code = last_step_up_code(kernel, member.member_number)
    wrong = "000000" if code != "000000" else "111111"
    way.find("#kode").send_keys(wrong)
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    way.wait_for(".error", f"Kode konfirmasi salah. Sisa {ml.MAX_STEP_UP_FAILURES - 1} kali")
    way.shot("wrong-code")
    assert Decimal(admin_call(kernel, "accounts.get", account=target)["balance"]["amount"]) \
        == before
    way.find("#kode").send_keys(code)
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    way.wait_for("h1.done", "Transfer berhasil")
    way.shot("done")
    after = Decimal(admin_call(kernel, "accounts.get", account=target)["balance"]["amount"])
    assert after - before == Decimal(1_500_000)


def test_a_member_reads_the_loan_schedule_on_the_phone(browser: Any,
                                                       server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    base, kernel = server
    member = members(kernel)[1]
    loan = admin_call(kernel, "loans.list", member=member.member_number)["items"][0]
    schedule = admin_call(kernel, "loans.schedule", loan=loan["number"])
    way = on_phone(browser, base, "member-loan-schedule")
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok")
    way.find("[data-testid=jadwal]").send_keys(Keys.ENTER)
    way.wait_for("h1", "Jadwal angsuran")
    rows = browser.find_elements("css selector", "[data-testid=angsuran-ke]")
    assert len(rows) == len(schedule["installments"])
    assert rows[0].text.startswith("Ke-1 · ")
    assert way.find("[data-testid=pelunasan-total]").text.startswith("Rp")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    way.shot("schedule")


def test_a_member_finds_the_pln_token_again_in_the_purchase_history(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    base, kernel = server
    member = members(kernel)[1]
    way = on_phone(browser, base, "member-ppob-history")
    reset_login(kernel, member.id)  # a first login, whatever ran before
    a_minute_later(kernel, member.id)
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok")
    way.open("/anggota/ppob")
    Select(way.wait_for("#produk")).select_by_value("PLN20")
    way.find("#nomor").send_keys("532100001236", Keys.ENTER)
    way.wait_for("[data-testid=produk]", "Token PLN 20.000")
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    token = way.wait_for("[data-testid=token]").text
    way.open("/anggota/ppob")
    way.find("#riwayat").send_keys(Keys.ENTER)
    way.wait_for("h1", "Riwayat pembelian")
    first = way.find("[data-testid=pembelian]")
    assert "Token PLN 20.000" in first.text
    assert way.find("[data-testid=token-riwayat]").text == token
    assert "Berhasil" in first.text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    way.shot("history")


def test_a_member_applies_for_a_loan_pays_a_bill_and_downloads_the_e_statement(
        browser: Any, server: tuple[str, Kernel]) -> None:
    """On the phone: the loan application (simulated first, confirmed with the PIN), a PLN
    postpaid bill quoted then paid, and the statement's PDF fetched with the member's own
    session (its type and first bytes checked in the page)."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    base, kernel = server
    member = members(kernel)[3]
    way = on_phone(browser, base, "member-loan-bill-pdf")
    reset_login(kernel, member.id)
    a_minute_later(kernel, member.id)
    sign_in_with_code(way, kernel, member.member_number)
    way.wait_for("#pin")
    way.keys(PIN, Keys.TAB, PIN, Keys.ENTER)
    way.wait_for(".ok")

    way.find("[data-testid=ajukan-pinjaman]").send_keys(Keys.ENTER)
    Select(way.wait_for("#produk")).select_by_value("PMU-FLAT")
    way.find("#jumlah").send_keys("6.000.000,00")
    way.find("#tenor").send_keys("12")
    way.find("#keperluan").send_keys("Modal warung", Keys.ENTER)
    assert way.wait_for("[data-testid=angsuran-pertama]").text == "Rp590.000,00"
    way.shot("loan-simulated")
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    number = way.wait_for("[data-testid=nomor-pinjaman]").text
    assert admin_call(kernel, "loans.get", loan=number)["status"] == "applied"
    way.shot("loan-applied")

    way.open("/anggota/tagihan")
    Select(way.wait_for("#produk")).select_by_value("PLNPOST")
    way.find("#nomor").send_keys("512345678906", Keys.ENTER)
    assert way.wait_for("[data-testid=pelanggan]").text == "PELANGGAN 8906"
    assert way.find("[data-testid=tagihan]").text == "Rp272.650,00"
    way.shot("bill-quoted")
    way.find("#pin").send_keys(PIN, Keys.ENTER)
    way.wait_for("h1", "Tagihan terbayar")
    way.shot("bill-paid")

    way.open("/anggota/")
    way.find("[data-testid=rekening]").send_keys(Keys.ENTER)
    link = way.wait_for("[data-testid=unduh-pdf]").get_attribute("href")
    head = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer()"
        ".then(b => done([r.headers.get('content-type'),"
        " String.fromCharCode(...new Uint8Array(b.slice(0, 8)))])));", link)
    assert head == ["application/pdf", "%PDF-1.4"]
    way.shot("statement")
    wide = browser.execute_script(
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
        ".right > window.innerWidth).map(e => e.tagName + '.' + e.className + '#' + e.id);")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0], wide
