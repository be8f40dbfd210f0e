"""verify checks every successful purchase against its posting (``kopcore_verify``)."""

from __future__ import annotations

import sqlalchemy as sa
from kopcore_ppob.tables import transactions
from ppob_coop import Coop

from kopcore.testing import verify_books


def errors(coop: Coop) -> list[tuple[str, str]]:
    report = coop.kernel.read("auditor", verify_books)
    return [(p.kind, p.detail) for p in report.errors]


def test_a_purchase_marked_success_in_the_database_is_found(coop: Coop) -> None:
    member = coop.member("100000")
    for ref, customer in (("R-OK-1", "081200000000"), ("R-FAIL-1", "081200000001")):
        coop.call("ppob.pay", as_user="teller", ref_id=ref, sku="TSEL10",
                  customer_no=customer, member=member)
    assert errors(coop) == []
    c = transactions.c
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(transactions).where(c.ref_id == "R-FAIL-1")
                     .values(status="success"))
        conn.execute(sa.update(transactions).where(c.ref_id == "R-OK-1")
                     .values(buy_price=c.buy_price - 100))
    assert errors(coop) == [
        ("ppob.purchase_posting_differs", "PPOB R-OK-1 is recorded as a success at "
         "Rp10.124,00 from the provider; entry "
         f"{_entry(coop, 'R-OK-1')} credits the provider payable Rp10.125,00"),
        ("ppob.purchase_not_posted", "PPOB R-FAIL-1 is recorded as a success at "
         "Rp10.125,00 from the provider; no entry posted it"),
    ]


def _entry(coop: Coop, ref: str) -> int:
    return int(coop.kernel.db.read(lambda conn: conn.execute(
        sa.select(transactions.c.entry_id).where(transactions.c.ref_id == ref)).scalar_one()))
