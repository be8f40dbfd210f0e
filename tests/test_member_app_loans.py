"""A loan application from the member app: simulation first, then the application confirmed
with the PIN, landing among the applications staff decide (``loans.apply`` as the member).

The demo's flat product PMU-FLAT (18 % a year, monthly): Rp6.000.000 over 12 installments is
Rp500.000 principal and Rp90.000 interest (6,000,000 * 18 % / 12) a month, Rp590.000 an
installment and Rp1.080.000 interest in all."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from tests.test_member_app import PIN, admin_call, first_login, members
from tests.web_support import demo_kernel, hidden

__all__ = ["demo_kernel"]


def _applications(kernel: Kernel, member: str) -> list[dict[str, Any]]:
    found = admin_call(kernel, "loans.list", member=member, limit=100)["items"]
    return [loan for loan in found if loan["status"] == "applied"]


def _simulate(client: TestClient[Any], **values: str) -> Any:
    page = client.get("/anggota/pinjaman-baru")
    return client.post("/anggota/pinjaman-baru/simulasi", data={
        "csrf": hidden(page.text, "csrf"),
        "idempotency_key": hidden(page.text, "idempotency_key"), **values})


def test_a_member_simulates_then_applies_once_with_the_pin(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[2]
    before = _applications(demo_kernel, member.member_number)
    with TestClient(make_app(demo_kernel)) as client:
        first_login(demo_kernel, client, member)
        assert 'data-testid="ajukan-pinjaman"' in client.get("/anggota/").text

        shown = _simulate(client, produk="PMU-FLAT", jumlah="6.000.000,00", tenor="12",
                          keperluan="Modal warung")
        assert shown.status_code == 200
        assert "Rp590.000" in shown.text  # the first installment
        assert ">Rp1.080.000,00<" in shown.text  # interest in all
        assert shown.text.count("<strong>Ke-") == 12
        assert _applications(demo_kernel, member.member_number) == before  # nothing yet

        form = {"csrf": hidden(shown.text, "csrf"),
                "idempotency_key": hidden(shown.text, "idempotency_key"),
                "produk": "PMU-FLAT", "jumlah": "6.000.000,00", "tenor": "12",
                "keperluan": "Modal warung"}
        wrong = client.post("/anggota/pinjaman-baru/ajukan", data={**form, "pin": "000000"})
        assert wrong.status_code == 400
        assert "PIN salah" in wrong.text
        assert _applications(demo_kernel, member.member_number) == before

        applied = client.post("/anggota/pinjaman-baru/ajukan", data={**form, "pin": PIN})
        assert applied.status_code == 200, applied.text
        number = hidden_text(applied.text)
        again = client.post("/anggota/pinjaman-baru/ajukan", data={**form, "pin": PIN})
        assert hidden_text(again.text) == number
        assert "sudah terkirim sebelumnya" in again.text

    new = [loan for loan in _applications(demo_kernel, member.member_number)
           if loan not in before]
    assert [loan["number"] for loan in new] == [number]  # applied once, for staff to decide
    loan = admin_call(demo_kernel, "loans.get", loan=number)
    assert (loan["principal"]["amount"], loan["term"], loan["product"]) == \
        ("6000000.00", 12, "PMU-FLAT")


def test_figures_outside_the_product_are_refused_in_indonesian(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[2]
    with TestClient(make_app(demo_kernel)) as client:
        first_login(demo_kernel, client, member)
        for values in ({"jumlah": "75.000", "tenor": "12"},  # ambiguous amount
                       {"jumlah": "6000000", "tenor": "dua belas"},
                       {"jumlah": "6000000", "tenor": "120"},  # above the product's 36
                       {"jumlah": "60.000.000,00", "tenor": "12"}):  # above Rp50.000.000
            refused = _simulate(client, produk="PMU-FLAT", **values)
            assert refused.status_code == 422, refused.text
            assert 'role="alert"' in refused.text
            assert 'data-testid="simulasi"' not in refused.text
        above = _simulate(client, produk="PMU-FLAT", jumlah="60.000.000,00", tenor="12")
        assert "antara Rp500.000,00 dan Rp50.000.000,00" in above.text
        longer = _simulate(client, produk="PMU-FLAT", jumlah="6000000", tenor="120")
        assert "antara 3 dan 36 kali" in longer.text


def hidden_text(page: str) -> str:
    """The application's number on the page that confirms it."""
    start = page.index('data-testid="nomor-pinjaman">') + len('data-testid="nomor-pinjaman">')
    return page[start:page.index("<", start)]
