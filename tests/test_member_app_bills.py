"""Paying a postpaid bill (PLN postpaid, BPJS Kesehatan) from the member app: the bill is
quoted first (``ppob.own-bill``), the member sees the customer's name, the bill and the admin
fee, confirms with the PIN, and ``ppob.buy-own`` pays that quote once from their savings.

The sandbox provider's bill for a customer number is Rp50.000 plus Rp25 for every unit of its
last four digits (…8906: 50,000 + 8,906 * 25 = Rp272.650), with the product's admin fee; a
number ending in 9 has no bill, one ending in 6 is paid at once."""

from __future__ import annotations

import re
from typing import Any

from kopcore.kernel import Kernel
from kopcore.money import Money
from tests.test_member_app import PIN, admin_call, confirm_form, entries, first_login, members
from tests.web_support import client_for, demo_kernel, hidden

__all__ = ["demo_kernel"]


def _sukarela(kernel: Kernel, member: Any) -> dict[str, Any]:
    return next(a for a in admin_call(kernel, "accounts.list", member=member.member_number,
                                      limit=200)["items"]
                if a["product_code"] == "savings.sukarela")


def _amount(page: str, testid: str) -> Money:
    found = re.search(rf'data-testid="{testid}">Rp([\d.]+),(\d\d)<', page)
    assert found, testid
    return Money.parse(found.group(1).replace(".", "") + "." + found.group(2))


def test_a_bill_is_quoted_then_paid_once_from_savings(demo_kernel: Kernel) -> None:
    member = members(demo_kernel)[0]
    before = Money.parse(_sukarela(demo_kernel, member)["balance"]["amount"])
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get("/anggota/tagihan").text
        assert "PLN" in form
        assert "BPJS" in form
        posted = entries(demo_kernel)
        check = client.post("/anggota/tagihan/periksa", data={
            "csrf": hidden(form, "csrf"), "idempotency_key": hidden(form, "idempotency_key"),
            "produk": "PLNPOST", "nomor": "512345678906"})
        assert check.status_code == 200, check.text
        assert "PELANGGAN 8906" in check.text
        bill, admin = _amount(check.text, "tagihan"), _amount(check.text, "admin")
        assert bill == Money.parse("272650")
        assert admin.minor > 0
        assert _amount(check.text, "jumlah") == bill + admin
        assert entries(demo_kernel) == posted  # a quote moves no money

        values = {**confirm_form(check.text), "pin": PIN}
        done = client.post("/anggota/tagihan/bayar", data=values)
        assert "Tagihan terbayar" in done.text, done.text
        again = client.post("/anggota/tagihan/bayar", data=values)
        assert "sudah dikirim sebelumnya" in again.text
        assert entries(demo_kernel) == posted + 1
        history = client.get("/anggota/ppob/riwayat").text
        assert "Tagihan PLN Pascabayar" in history

    after = Money.parse(_sukarela(demo_kernel, member)["balance"]["amount"])
    assert before - after == bill + admin


def test_a_number_without_a_bill_is_refused_before_anything_is_paid(demo_kernel: Kernel
                                                                     ) -> None:
    member = members(demo_kernel)[0]
    with client_for(demo_kernel) as client:
        first_login(demo_kernel, client, member)
        form = client.get("/anggota/tagihan").text
        posted = entries(demo_kernel)
        for number, said in (("512345678909", "Tidak ada tagihan untuk nomor ini"),
                             ("meter", "ketik nomor pelanggan")):
            refused = client.post("/anggota/tagihan/periksa", data={
                "csrf": hidden(form, "csrf"), "idempotency_key": f"bill-{number}",
                "produk": "BPJSKS", "nomor": number})
            assert refused.status_code in (400, 404), refused.text
            assert said in refused.text
        assert entries(demo_kernel) == posted
