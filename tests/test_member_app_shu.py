"""The member app's home shows the member's SHU of last year once the RAT approved it: not while
it is a draft, "approved, not yet paid" once approved, "paid" once posted (the worked example of
test_shu_distribution: member A's share Rp1.240.000)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient

from kopcore import _logins as logins
from kopcore import ledger
from kopcore.interfaces.api import make_app
from kopcore.settings import ShuSettings
from kopcore.testing import Cooperative
from tests.test_member_app import first_login
from tests.test_shu_distribution import FixedBases, close_year
from tests.test_yearend_closing import book
from tests.web_support import client_for, log_in

EXAMPLE = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(20), jasa_usaha=Decimal(25),
                      management=Decimal(5), staff=Decimal(5), education=Decimal(5),
                      social=Decimal(0), other=Decimal(0), member_payout="payable")


def _member(coop: Cooperative, name: str, nik: str, phone: str) -> Any:
    number = coop.call("members.register", name=name, nik=nik, phone=phone)["member_number"]
    coop.call("members.activate", member=number)
    return coop.kernel.read("x", lambda ctx: ledger.get_member(ctx, number))


def _shu_tile(page: str) -> str:
    start = page.find('data-testid="shu"')
    return "" if start < 0 else page[start:page.find("</div>", start)]


def test_home_shows_last_years_shu_once_approved_and_says_when_it_is_paid(
        make_kernel: Any) -> None:
    kernel = make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))], shu=EXAMPLE)
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    a = _member(coop, "Ni Luh Ayu", "5171011508900001", "081237009001")
    _member(coop, "Komang Adi", "5171011508900002", "081237009002")
    book(coop, "GL-income.services", "credit", "75000000", "Jasa layanan 2026")
    book(coop, "GL-expense.general", "debit", "15000000", "Biaya 2026")
    close_year(coop, 2026)
    assert kernel.read("x", lambda ctx: ctx.business_date) == date(2027, 1, 4)

    with TestClient(make_app(kernel)) as client:
        first_login(kernel, client, a)
        assert _shu_tile(client.get("/anggota/").text) == ""  # no allocation yet

        drafted = coop.call("shu.draft", year=2026)
        assert _shu_tile(client.get("/anggota/").text) == ""  # a draft may still change

        coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
        tile = _shu_tile(client.get("/anggota/").text)
        # A's share: jasa modal 2 % of Rp12.000.000 + jasa usaha 5/75 of Rp15.000.000.
        assert "Rp1.240.000" in tile
        assert "Jasa modal Rp240.000" in tile
        assert "Jasa usaha Rp1.000.000" in tile
        assert "Disetujui RAT, belum dibagikan" in tile

        coop.call("shu.post", draft_id=drafted["draft_id"])
        page = client.get("/anggota/").text
        assert "SHU tahun 2026" in page
        assert "Sudah dibagikan" in _shu_tile(page)


def test_the_staff_app_prints_the_shu_per_member(make_kernel: Any) -> None:
    """The report page of the SHU allocation: pools and each member's share, as ``shu.show``
    gives them (the worked example: A Rp1.240.000, B Rp25.760.000, members Rp27.000.000)."""
    kernel = make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))], shu=EXAMPLE)
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    kernel.write("x", lambda ctx: logins.set_password(ctx.conn, "ketua", "rahasia-ketua-1",
                                                      temporary=False))
    _member(coop, "Ni Luh Ayu", "5171011508900001", "081237009001")
    _member(coop, "Komang Adi", "5171011508900002", "081237009002")
    book(coop, "GL-income.services", "credit", "75000000", "Jasa layanan 2026")
    book(coop, "GL-expense.general", "debit", "15000000", "Biaya 2026")
    close_year(coop, 2026)
    drafted = coop.call("shu.draft", year=2026)
    coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])

    with client_for(kernel) as client:
        assert log_in(client, "ketua", "rahasia-ketua-1").status_code == 303
        page = client.get("/app/reports/shu").text  # last year by default
    assert "Tahun buku 2026" in page
    assert 'data-testid="shu-status">Disetujui<' in page
    assert "Rp27.000.000,00" in page  # the members' share
    rows = re.findall(r"<tr><td><span class=\"mono\">([^<]*)</span> ([^<]*)</td>(.*?)</tr>",
                      page)
    totals = {name: re.findall(r">(Rp[\d.,]+)<", cells)[-1] for _number, name, cells in rows}
    assert totals == {"Ni Luh Ayu": "Rp1.240.000,00", "Komang Adi": "Rp25.760.000,00"}
