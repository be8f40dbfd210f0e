"""Journeys through the staff web app in a real browser: the system's headless Chromium
(Debian's ``chromium`` and ``chromium-driver``, never a downloaded browser) driven by Selenium,
against a real server (uvicorn in a thread) on the demo cooperative.

One browser and one server serve the whole module. Each step's screenshot is kept in
``test-artifacts/web/`` (git-ignored): look at them. Without Chromium the module is skipped with
the reason; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import update

from kopcore import _logins as logins
from kopcore._db import tables as t
from kopcore._demo import demo_password
from kopcore.kernel import Kernel
from kopcore.testing import RunningServer
from tests.web_support import BROWSER_ONCE, demo_database

pytestmark = BROWSER_ONCE

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("KOPCORE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KOPCORE_CHROMEDRIVER", "/usr/bin/chromedriver")
OFFICE = (1366, 768)
PHONE = (390, 844)
LARGE = Decimal(50_000_000)


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} not found: install the distribution's {package} package"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra)"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
           ) -> Iterator[tuple[str, Kernel]]:
    """The demo cooperative served by uvicorn on a free port: (base URL, kernel)."""
    settings, _url = demo_database(tmp_path_factory.mktemp("browser"), postgres_database)
    # A deposit of Rp50.000.000 or more waits for a second person (the approval journey).
    settings = attrs.evolve(settings, approval_thresholds={"savings.deposit": LARGE})
    kernel = Kernel.start(settings)
    with RunningServer(kernel) as running:
        yield running.url, kernel
    kernel.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium under CI: {missing}", pytrace=False)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--no-first-run", "--disable-extensions",
                     "--hide-scrollbars", f"--window-size={OFFICE[0]},{OFFICE[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class Journey:
    """One person's way through the app: the browser, the server and the screenshots."""

    def __init__(self, driver: Any, base: str, name: str) -> None:
        self.driver, self.base, self.name, self.step = driver, base, name, 0
        driver.delete_all_cookies()
        driver.set_window_size(*OFFICE)

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def shot(self, what: str) -> None:
        self.step += 1
        self.driver.save_screenshot(str(ARTIFACTS / f"{self.name}-{self.step:02d}-{what}.png"))

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()

    def wait_for(self, css: str, text: str | None = None, timeout: float = 10) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        wait = WebDriverWait(self.driver, timeout)
        if text is None:
            return wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def focused(self) -> Any:
        return self.driver.switch_to.active_element

    def log_in(self, username: str) -> None:
        from selenium.webdriver.common.keys import Keys

        self.open("/app/login")
        self.wait_for("#username")
        self.keys(username, Keys.TAB, demo_password(username), Keys.ENTER)
        self.wait_for("[data-testid=who]", username)


def test_a_tellers_day_with_the_keyboard_only(browser: Any, server: tuple[str, Kernel]
                                              ) -> None:
    from selenium.webdriver.common.keys import Keys

    day = Journey(browser, server[0], "teller-day")
    day.open("/app/")
    day.wait_for("#username")
    day.shot("login")
    day.log_in("teller")
    day.shot("home")
    assert "Tanggal pembukuan" in browser.page_source

    # Find the member from the one search field; Down reaches the first result.
    day.open("/app/teller")
    assert day.focused().get_attribute("id") == "q"
    day.keys("Siti", Keys.ENTER)
    day.wait_for(".members a")
    day.shot("found")
    day.keys(Keys.ARROW_DOWN)
    assert "Siti Aminah" in day.focused().text
    day.keys(Keys.ENTER)
    day.wait_for("h1", "Siti Aminah")
    day.shot("member")

    # Setor: the amount, Enter; the confirmation in figures and words; Enter posts.
    deposit = next(a for a in browser.find_elements("css selector", "a.button")
                   if a.text == "Setor" and "target=SS" in a.get_attribute("href"))
    deposit.send_keys(Keys.ENTER)
    day.wait_for("#amount")
    assert day.focused().get_attribute("id") == "amount"
    day.keys("1.500.000", Keys.ENTER)
    day.wait_for("[data-testid=words]", "satu juta lima ratus ribu rupiah")
    assert day.find("[data-testid=amount]").text == "Rp1.500.000,00"
    day.shot("confirm-deposit")
    assert day.focused().get_attribute("id") == "post"
    day.keys(Keys.ENTER)
    day.wait_for("[data-testid=entry]")
    entry = day.find("[data-testid=entry]").text
    assert entry.isdigit()
    balance_after_deposit = day.find("[data-testid=balance]").text
    day.shot("deposited")

    # The slip, then its reprint marked CETAK ULANG.
    assert day.focused().get_attribute("id") == "print-slip"
    day.keys(Keys.ENTER)
    day.wait_for("[data-testid=slip]")
    slip = day.find("[data-testid=slip]").text
    assert "satu juta lima ratus ribu rupiah" in slip
    assert entry in slip
    assert balance_after_deposit in slip
    assert "CETAK ULANG" not in slip
    day.shot("slip-80mm")
    browser.refresh()
    day.wait_for("[data-testid=reprint]", "CETAK ULANG")
    day.open(re.sub(r"^https?://[^/]+", "", browser.current_url.split("?")[0]) + "?size=58")
    day.wait_for("[data-testid=reprint]")
    day.shot("reprint-58mm")

    # Tarik more than the member has: refused, in Indonesian, with the figures.
    day.open("/app/teller?q=Siti")
    day.wait_for(".members a").send_keys(Keys.ENTER)
    day.wait_for("h1", "Siti Aminah")
    withdraw = next(a for a in browser.find_elements("css selector", "a.button")
                    if a.text == "Tarik" and "target=SS" in a.get_attribute("href"))
    withdraw.send_keys(Keys.ENTER)
    day.wait_for("#amount")
    day.keys("5.000.000", Keys.ENTER)
    day.wait_for("#post").send_keys(Keys.ENTER)
    error = day.wait_for("[data-testid=error]")
    assert re.search(r"Saldo tidak cukup di rekening SS\w+: tersedia Rp[\d.]+,\d\d, diminta "
                     r"Rp5\.000\.000,00", error.text), error.text
    day.shot("shortfall-refused")

    # Angsuran of a member with a loan: the next installment is filled in.
    day.open("/app/teller?q=Wirawan")
    day.wait_for(".members a").send_keys(Keys.ENTER)
    day.wait_for("table.loans")
    day.shot("member-with-loan")
    repay = next(a for a in browser.find_elements("css selector", "a.button")
                 if a.text == "Angsuran")
    repay.send_keys(Keys.ENTER)
    amount = day.wait_for("#amount")
    assert amount.get_attribute("value")
    amount.send_keys(Keys.ENTER)
    day.wait_for("[data-testid=words]")
    day.shot("confirm-installment")
    day.keys(Keys.ENTER)
    day.wait_for("[data-testid=entry]")
    assert day.find("[data-testid=entry]").text.isdigit()
    day.shot("installment-paid")

    # Close the till: count the notes against the books.
    day.open("/app/cash")
    day.find("#n100000").send_keys("100")
    day.find("#n50000").send_keys("3", Keys.ENTER)
    day.wait_for("[data-testid=counted]", "Rp10.150.000,00")
    assert day.find("[data-testid=difference]").text
    day.shot("cash-count")
    # Record the count for the supervisor, with a note (Tab to the button, Enter).
    day.find("#note").send_keys("uang lusuh dipisah")
    day.find("#save").send_keys(Keys.ENTER)
    saved = day.wait_for("[data-testid=saved]", "Hitungan tercatat")
    assert "CASH-01" in saved.text
    assert "Rp10.150.000,00" in saved.text
    day.shot("cash-count-saved")


def test_the_counter_fits_a_phone(browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    phone = Journey(browser, server[0], "phone")
    phone.log_in("teller")
    browser.set_window_size(*PHONE)
    phone.open("/app/teller")
    # Results appear while typing (htmx, served by the app itself), without pressing Enter.
    phone.wait_for("#q").send_keys("Budi")
    found = phone.wait_for(".members a")
    assert "Budi Santoso" in found.text
    assert "q=Budi" in browser.current_url
    phone.shot("typed")
    found.send_keys(Keys.ENTER)
    phone.wait_for("table.accounts")
    phone.shot("member")
    width = browser.execute_script("return document.documentElement.clientWidth")
    scrolled = browser.execute_script("return document.documentElement.scrollWidth")
    assert scrolled <= width, "the page scrolls sideways on a phone"


def test_a_form_with_a_forged_csrf_token_is_refused(browser: Any, server: tuple[str, Kernel]
                                                    ) -> None:
    from selenium.webdriver.common.keys import Keys

    forged = Journey(browser, server[0], "csrf")
    forged.log_in("teller")
    forged.open("/app/teller?q=Budi")
    forged.wait_for(".members a").send_keys(Keys.ENTER)
    next(a for a in browser.find_elements("css selector", "a.button")
         if a.text == "Setor").send_keys(Keys.ENTER)
    forged.wait_for("#amount")
    browser.execute_script("document.querySelectorAll('input[name=csrf]')"
                           ".forEach(function (e) { e.value = 'forged-elsewhere'; })")
    forged.keys("10000", Keys.ENTER)
    forged.wait_for("h1", "Formulir ditolak")
    forged.shot("refused")


def test_an_idle_session_ends_at_the_next_click(browser: Any, server: tuple[str, Kernel]
                                                ) -> None:
    idle = Journey(browser, server[0], "expiry")
    idle.log_in("manager")
    server[1].write("admin", lambda ctx: ctx.conn.execute(update(t.web_sessions).values(
        last_seen_at=datetime.now(UTC) - logins.IDLE - timedelta(seconds=1))))
    idle.open("/app/teller")
    idle.wait_for(".notice", "Sesi Anda telah berakhir")
    idle.shot("expired")
    assert "/app/login" in browser.current_url


def test_a_role_is_refused_what_it_may_not_do(browser: Any, server: tuple[str, Kernel]
                                              ) -> None:
    auditor = Journey(browser, server[0], "role")
    auditor.log_in("auditor")
    assert '"/app/op/savings.deposit"' not in browser.page_source
    auditor.open("/app/op/savings.deposit")
    auditor.wait_for("h1", "Tidak diizinkan")
    assert "Peran Anda (auditor) tidak diizinkan" in browser.page_source
    auditor.shot("refused")


def test_the_back_button_after_logout_shows_no_data(browser: Any, server: tuple[str, Kernel]
                                                    ) -> None:
    from selenium.webdriver.common.keys import Keys

    left = Journey(browser, server[0], "back-after-logout")
    left.log_in("teller")
    left.open("/app/teller?q=Ketut")
    left.wait_for(".members a").send_keys(Keys.ENTER)
    left.wait_for("h1", "Ketut Sudarma")
    left.find("#logout").send_keys(Keys.ENTER)
    left.wait_for(".notice", "Anda sudah keluar")
    browser.back()
    left.wait_for("#username")
    assert "Ketut Sudarma" not in browser.page_source
    left.shot("back")


def test_a_manager_reads_the_rat_statements_as_a_printable_page(
        browser: Any, server: tuple[str, Kernel]) -> None:
    manager = Journey(browser, server[0], "rat")
    manager.log_in("manager")
    manager.open("/app/op/statements.rat?run=1&year=2026&format=html")
    frame = manager.wait_for("iframe.document")
    assert manager.find(".result a[data-print]").text == "Cetak"
    browser.switch_to.frame(frame)
    body = manager.wait_for("body")
    assert "2026" in body.text
    browser.switch_to.default_content()
    manager.shot("rat-statements")
    manager.open("/app/op/charts.trends?run=1")
    frame = manager.wait_for("iframe.document")
    browser.switch_to.frame(frame)
    assert browser.find_elements("css selector", "svg")
    browser.switch_to.default_content()
    manager.shot("trends")


def test_a_large_deposit_is_posted_when_a_second_person_approves_it(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    teller = Journey(browser, server[0], "approval")
    teller.log_in("teller")
    teller.open("/app/teller?q=Budi")
    teller.wait_for(".members a").send_keys(Keys.ENTER)
    next(a for a in browser.find_elements("css selector", "a.button")
         if a.text == "Setor" and "target=SS" in a.get_attribute("href")).send_keys(Keys.ENTER)
    teller.wait_for("#amount")
    teller.keys("60.000.000", Keys.ENTER)
    teller.wait_for("#post").send_keys(Keys.ENTER)
    teller.wait_for("h1", "Menunggu persetujuan")
    teller.shot("waiting")
    approval = re.search(r"permintaan (\d+)", browser.page_source)
    assert approval is not None

    manager = Journey(browser, server[0], "approval")
    manager.step = teller.step
    manager.log_in("manager")
    manager.find("a[href='/app/approvals']").send_keys(Keys.ENTER)
    request = manager.wait_for(f"[data-testid=request-{approval.group(1)}]")
    assert "Rp60.000.000,00" in request.text
    assert "enam puluh juta rupiah" in request.text
    assert "Budi Santoso" in request.text
    manager.shot("inbox")
    manager.find(f"#approve-{approval.group(1)}").send_keys(Keys.ENTER)
    decided = manager.wait_for("[data-testid=decided]")
    assert f"Disetujui: permintaan {approval.group(1)} telah dijalankan" in decided.text
    manager.shot("approved")


def test_a_printed_rat_statement_is_a4_with_its_heading_on_every_page(
        browser: Any, server: tuple[str, Kernel]) -> None:
    import base64

    year = server[1].read("manager", lambda ctx: ctx.business_date).year
    manager = Journey(browser, server[0], "rat-print")
    manager.log_in("manager")
    manager.open(f"/app/reports/rat?year={year}")
    report = manager.wait_for("[data-testid=report]")
    assert f"Tahun buku {year} (pembanding {year - 1})" in report.text
    assert "Koperasi Demo Sejahtera" in report.text
    manager.shot("screen")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not manager.find("form.filters").is_displayed()
        assert not manager.find("nav.side").is_displayed()
        manager.shot("print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = base64.b64decode(browser.print_page(options))
    (ARTIFACTS / "rat-print-statements.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 4, "each of the four statements starts a page"


def test_end_of_day_runs_from_the_web_and_shows_its_result(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    kernel = server[1]
    before = kernel.read("manager", lambda ctx: ctx.business_date)
    manager = Journey(browser, server[0], "end-of-day")
    manager.log_in("manager")
    manager.find("a[href='/app/eod']").send_keys(Keys.ENTER)
    manager.wait_for("#run-eod")
    manager.shot("before")
    manager.find("#run-eod").send_keys(Keys.ENTER)
    # The page asks for eod.status every second until the run's result replaces it.
    done = manager.wait_for("[data-testid=eod-done]", timeout=120)
    assert "Tutup hari selesai" in done.text
    assert "/app/eod/run/" in browser.current_url
    assert kernel.read("manager", lambda ctx: ctx.business_date) == before + timedelta(days=1)
    manager.shot("done")


def test_an_auditor_sees_failed_logins_and_the_lockout_in_the_audit_trail(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from selenium.webdriver.common.keys import Keys

    from tests.test_web import add_user

    add_user(server[1], "kasir.terkunci", "teller", "sandi-kasir-terkunci")
    guess = Journey(browser, server[0], "login-audit")
    for _ in range(logins.MAX_FAILURES):
        guess.open("/app/login")
        guess.wait_for("#username")
        guess.keys("kasir.terkunci", Keys.TAB, "tebak-tebak-sandi", Keys.ENTER)
        guess.wait_for(".error", "Nama pengguna atau kata sandi salah")
    guess.shot("refused")
    auditor = Journey(browser, server[0], "login-audit")
    auditor.step = guess.step
    auditor.log_in("auditor")
    auditor.open("/app/audit?actor=kasir.terkunci&operation=web.login")
    auditor.wait_for("[data-testid=audit]")
    outcomes = [e.text for e in browser.find_elements("css selector", "[data-testid=outcome]")]
    assert outcomes == ["kata sandi salah wrong-password"] * (logins.MAX_FAILURES - 1) + [
        "dikunci setelah gagal berulang kali lockout"]
    assert "from 127.0.0.1" in browser.page_source
    assert "Masuk aplikasi staf" in browser.page_source
    browser.execute_script("arguments[0].scrollIntoView()", auditor.find("[data-testid=audit]"))
    auditor.shot("audit-trail")


def test_a_supervisor_reads_the_tellers_counts_and_their_differences(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from kopcore.testing import run_operation

    base, kernel = server
    book = Decimal(run_operation(kernel, "accounts.get", {"account": "CASH-01"},
                                 as_user="admin")["balance"]["amount"])
    # A count Rp50.000 short of the books (the drawer counted in notes of Rp50.000 and Rp100).
    assert book % 100 == 0  # whole hundreds of rupiah: countable in notes and coins
    fifties, rest = divmod(int(book) - 50_000, 50_000)
    run_operation(kernel, "offices.count-till", {
        "account": "CASH-01", "pieces_50000": fifties, "pieces_100": rest // 100,
        "note": "kurang Rp50.000"}, as_user="teller")
    supervisor = Journey(browser, base, "till-counts")
    supervisor.log_in("auditor")
    supervisor.find("a[href='/app/cash/counts']").click()
    supervisor.wait_for("[data-testid=till-counts]")
    row = next(r for r in browser.find_elements("css selector", "[data-testid=till-count]")
               if "kurang Rp50.000" in r.text)
    difference = row.find_element("css selector", "[data-testid=till-difference]").text
    assert difference == "-Rp50.000,00 kurang"
    assert "off" in row.get_attribute("class")
    assert "berselisih" in supervisor.find("[data-testid=differing]").text
    supervisor.shot("counts")


def test_a_manager_answers_the_health_questionnaire_for_the_year_end(
        browser: Any, server: tuple[str, Kernel]) -> None:
    from kopcore._oversight.tables import answers
    from kopcore.testing import run_operation

    base, kernel = server
    today = kernel.read("system", lambda ctx: ctx.business_date)
    year_end = today.replace(year=today.year - 1, month=12, day=31)
    manager = Journey(browser, base, "questionnaire")
    manager.log_in("manager")
    manager.open("/app/reports/kesehatan")
    manager.wait_for("[data-testid=questionnaire-link]").click()
    manager.wait_for("#questionnaire")
    assert "/app/reports/kesehatan/kuesioner" in browser.current_url
    # The year end being examined: the position date, in the filter.
    manager.open("/app/reports/kesehatan/kuesioner?regime=perdep-06-2016&applies_on="
                 + year_end.isoformat())
    manager.wait_for("#questionnaire")
    rows = browser.find_elements("css selector", "[data-testid=question]")
    assert len(rows) == 38
    manager.shot("empty")
    for n, row in enumerate(rows):
        key = row.get_attribute("data-key")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                               manager.find(f"#a-{key}-{'no' if n == 0 else 'yes'}"))
        manager.find(f"#a-{key}-{'no' if n == 0 else 'yes'}").click()
    first = rows[0].get_attribute("data-key")
    manager.find(f"#n-{first}").send_keys("Belum ada SOP tertulis")
    manager.find("#save").click()
    saved = manager.wait_for("[data-testid=saved]")
    assert "Jawaban dicatat" in saved.text
    assert "38 dari 38" in manager.find("[data-testid=answered]").text
    assert manager.find(f"#a-{first}-no").is_selected()
    assert manager.find(f"#n-{first}").get_attribute("value") == "Belum ada SOP tertulis"
    manager.shot("saved")
    recorded = kernel.db.read(lambda conn: conn.execute(
        sa.select(sa.func.count()).select_from(answers)
        .where(answers.c.applies_on == year_end, answers.c.answered_by == "manager")
        ).scalar_one())
    assert recorded == 38
    assessed = {i["key"]: i for i in run_operation(kernel, "health.assess", {
        "regime": "perdep-06-2016", "as_of": year_end.isoformat()},
        as_user="auditor")["indicators"]}
    assert all(i["score"] is not None for i in assessed.values()
               if i["kind"] == "questionnaire")
    browser.set_window_size(*PHONE)
    manager.open("/app/reports/kesehatan/kuesioner?regime=perdep-06-2016&applies_on="
                 + year_end.isoformat())
    manager.wait_for("#questionnaire")
    manager.shot("phone")
