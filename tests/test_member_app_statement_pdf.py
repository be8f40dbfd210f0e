"""The member app's e-statement as a PDF, read back by an independent reader (pypdf): the same
entries, balances and totals the statement page shows, on numbered pages."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from kopcore import _pdf
from kopcore.kernel import Kernel
from kopcore.money import Money
from tests.test_member_app import admin_call, first_login, members
from tests.web_support import client_for, demo_kernel

__all__ = ["demo_kernel"]


def _text(document: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(document))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_e_statement_holds_the_statement_of_the_period(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    account = next(a for a in admin_call(demo_kernel, "accounts.list",
                                         member=member.member_number, limit=200)["items"]
                   if a["product_code"] == "savings.sukarela")
    today = demo_kernel.read("x", lambda ctx: ctx.business_date)
    since = today.replace(day=1, month=1)
    statement = admin_call(demo_kernel, "accounts.statement", account=account["number"],
                           from_date=since.isoformat(), to_date=today.isoformat())
    assert statement["lines"], "the demo member's sukarela has entries this year"
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        page = client.get(f"/anggota/rekening/{account['number']}?dari={since.isoformat()}")
        assert 'data-testid="unduh-pdf"' in page.text
        got = client.get(f"/anggota/rekening/{account['number']}/pdf",
                         params={"dari": since.isoformat(), "sampai": today.isoformat()})
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/pdf"
        assert f"mutasi-{account['number']}-{since.isoformat()}" in \
            got.headers["content-disposition"]
        # Someone else's account: refused, no PDF.
        theirs = next(a for a in admin_call(demo_kernel, "accounts.list",
                                            member=members(demo_kernel)[1].member_number,
                                            limit=200)["items"])
        assert client.get(f"/anggota/rekening/{theirs['number']}/pdf").status_code == 403
        assert client.get(f"/anggota/rekening/{account['number']}/pdf",
                          params={"dari": "kemarin"}).status_code == 400

    pages, text = _text(got.content)
    assert f"Halaman {pages} dari {pages}" in text
    assert admin_call(demo_kernel, "members.get", member=member.member_number)["name"] in text
    assert account["number"] in text
    credits = sum((Money.parse(line["credit"]["amount"]) for line in statement["lines"]),
                  Money(0))
    for line in statement["lines"]:
        assert Money.parse(line["balance"]["amount"]).format() in text
    assert credits.format() in text  # the period's credits in all, on the closing line
    assert Money.parse(statement["closing_balance"]["amount"]).format() in text
    assert f"{len(statement['lines'])} transaksi" in text


def test_a_long_document_breaks_into_numbered_pages_and_escapes_its_text() -> None:
    doc = _pdf.Document("Uji (tanda kurung) \\ garis miring", footer="Koperasi")
    for n in range(150):
        doc.add(f"Baris {n} (Rp{n}.000,00) ke\\", font="mono", size=8)
    pages, text = _text(doc.render())
    assert pages == 3  # 150 lines at 8 points: 63 to an A4 page
    assert "Halaman 1 dari 3" in text
    assert "Halaman 3 dari 3" in text
    assert "Baris 149 (Rp149.000,00) ke\\" in text
    assert text.count("Baris ") == 150
    info: Any = PdfReader(io.BytesIO(doc.render())).metadata
    assert info.title == "Uji (tanda kurung) \\ garis miring"


def test_the_statement_finds_lines_by_their_description(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    account = next(a for a in admin_call(demo_kernel, "accounts.list",
                                         member=member.member_number, limit=200)["items"]
                   if a["product_code"] == "savings.sukarela")
    today = demo_kernel.read("x", lambda ctx: ctx.business_date)
    since = today.replace(day=1, month=1).isoformat()
    statement = admin_call(demo_kernel, "accounts.statement", account=account["number"],
                           from_date=since, to_date=today.isoformat())
    memos = [line["memo"] for line in statement["lines"]]
    word = memos[0].split()[0]  # the first word of the first line's description
    wanted = [m for m in memos if word.casefold() in m.casefold()]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        page = client.get(f"/anggota/rekening/{account['number']}",
                          params={"dari": since, "cari": word.upper()}).text
        nothing = client.get(f"/anggota/rekening/{account['number']}",
                             params={"dari": since, "cari": "tidak-ada-kata-ini"}).text
    assert 0 < len(wanted) <= len(memos)
    lines = page.count('class="amount in"') + page.count('class="amount out"')
    assert lines == len(wanted)
    assert "Tidak ada transaksi dengan keterangan «tidak-ada-kata-ini»" in nothing
