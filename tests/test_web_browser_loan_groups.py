"""A group meeting in a real browser (headless Chromium driven by Selenium against a real server
on the demo cooperative, with the browser and ``Journey`` helpers of test_web_browser.py): the
officer opens the loan groups, prints the meeting's collection sheet (kept as
``group-collection-sheet.pdf``) and enters the meeting's result from the pre-filled form.

The figures are test_web_loan_groups.py's worked example: at the second meeting Ayu and Budi
owe 106.000 each and Citra 212.000 (a week in arrears). Budi hands over 150.000 and Citra
100.000: Budi's 44.000 beyond his own covers part of Citra's shortfall, 356.000 in all.
Screenshots are kept in ``test-artifacts/web/``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from kopcore.kernel import Kernel
from kopcore.testing import RunningServer
from tests.test_web_browser import ARTIFACTS, Journey, browser
from tests.test_web_loan_groups import GROUP, group_with_arrears
from tests.web_support import BROWSER_ONCE, demo_database

pytestmark = BROWSER_ONCE

__all__ = ["browser"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
           ) -> Iterator[tuple[str, Kernel, dict[str, Any]]]:
    """The demo cooperative with the worked example's group, served on a free port."""
    settings, _url = demo_database(tmp_path_factory.mktemp("browser-groups"), postgres_database)
    kernel = Kernel.start(settings)
    example = group_with_arrears(kernel)
    with RunningServer(kernel) as running:
        yield running.url, kernel, example
    kernel.close()


def test_an_officer_prints_the_sheet_and_enters_the_meetings_result(
        browser: Any, server: tuple[str, Kernel, dict[str, Any]]) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.common.print_page_options import PrintOptions

    base, _kernel, example = server
    members, loans = example["members"], example["loans"]
    officer = Journey(browser, base, "group-meeting")
    officer.log_in("teller")
    officer.find("nav.side a[href='/app/loans/groups']").send_keys(Keys.ENTER)
    row = officer.wait_for(f"tr[data-group='{GROUP}']")
    assert "Kelompok Mawar" in row.text
    assert "Rp106.000,00" in row.find_element("css selector", "[data-testid=arrears]").text
    officer.shot("groups")

    # The collection sheet, printed on A4.
    row.find_element("css selector", "[data-testid=sheet-link]").send_keys(Keys.ENTER)
    sheet = officer.wait_for("[data-testid=sheet]")
    assert "Lembar Tagihan Pertemuan Kelompok" in sheet.text
    assert "19 Januari 2026" in sheet.text
    assert officer.find("[data-testid=total]").text == "Rp424.000,00"
    officer.shot("sheet")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not officer.find("nav.side").is_displayed()
        assert not officer.find("#print").is_displayed()
        officer.shot("sheet-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = base64.b64decode(browser.print_page(options))
    (ARTIFACTS / "group-collection-sheet.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")

    # The meeting's result: the form holds what each member owes; two amounts are changed.
    officer.open("/app/loans/groups")
    officer.wait_for(f"tr[data-group='{GROUP}'] [data-testid=collect-link]").send_keys(Keys.ENTER)
    officer.wait_for("[data-testid=collect-form]")
    assert officer.find(f"#paid_{members['ayu']}").get_attribute("value") == "106000.00"
    assert officer.find(f"#paid_{members['citra']}").get_attribute("value") == "212000.00"
    for who, amount in (("budi", "150.000,00"), ("citra", "100000")):
        field = officer.find(f"#paid_{members[who]}")
        field.clear()
        field.send_keys(amount)
    officer.shot("result-form")
    officer.find("#post-result").send_keys(Keys.ENTER)
    done = officer.wait_for("[data-testid=done]")
    assert done.text == "Hasil pertemuan sudah dibukukan: Rp356.000,00 seluruhnya."
    citra = officer.find(f"tr[data-loan='{loans['citra']}']")
    assert citra.find_element("css selector", "[data-testid=covered]").text == "Rp44.000,00"
    assert members["budi"] in citra.text
    officer.shot("result")
    officer.open("/app/loans/groups")
    arrears = officer.wait_for(f"tr[data-group='{GROUP}'] [data-testid=arrears]")
    assert arrears.text == "Rp0,00"
