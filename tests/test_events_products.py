"""The product plugins' events reach the member after commit, in Indonesian, amounts as
``Rp1.250.000``: a savings deposit and withdrawal, a loan installment due in three days and
then overdue, a PLN token purchase; a refused movement records nothing. Through the
development channel, whose outbox the tests read. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from kopcore import _notify
from kopcore._db import tables as t
from kopcore.eod import run_end_of_day
from kopcore.errors import KopcoreError
from kopcore.kernel import Kernel
from kopcore.testing import Cooperative

pytest.importorskip("kopcore_savings")
pytest.importorskip("kopcore_loans")
pytest.importorskip("kopcore_ppob")

PHONE = "081234567890"


def texts(kernel: Kernel, member: str) -> list[str]:
    """What the development channel kept for ``member``, oldest first."""
    kept = kernel.db.read(lambda conn: _notify.outbox(conn, member_number=member, limit=200))
    return [m["text"] for m in reversed(kept)]


def events_of(kernel: Kernel, kind: str) -> list[Any]:
    return kernel.db.read(lambda conn: conn.execute(
        select(t.events).where(t.events.c.type == kind).order_by(t.events.c.id)).all())


def with_phone(coop: Cooperative) -> str:
    member = coop.member()
    coop.call("members.update-contact", member=member, phone=PHONE)
    return member


def test_savings_deposit_and_withdrawal_tell_the_member(make_kernel: Callable[..., Kernel]
                                                        ) -> None:
    coop = Cooperative(make_kernel(plugins=("savings",)))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    member = with_phone(coop)
    number = coop.call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    coop.call("savings.deposit", account=number, amount="1250000", cash_account=coop.CASH)
    coop.call("savings.withdraw", account=number, amount="250000", cash_account=coop.CASH)
    with pytest.raises(KopcoreError):  # more than the balance: refused, nothing recorded
        coop.call("savings.withdraw", account=number, amount="5000000", cash_account=coop.CASH)
    assert texts(coop.kernel, member) == [
        f"Setoran Rp1.250.000 ke simpanan {number} diterima. Saldo Rp1.250.000.",
        f"Penarikan Rp250.000 dari simpanan {number}. Saldo Rp1.000.000.",
    ]
    posted = events_of(coop.kernel, "savings.entry-posted")
    assert [(e.state, e.channel, e.actor) for e in posted] == [
        ("sent", "development", "admin")] * 2


def test_loan_installment_due_in_three_days_then_overdue(make_kernel: Callable[..., Kernel]
                                                          ) -> None:
    coop = Cooperative(make_kernel(plugins=("loans",)))
    coop.call("users.create", username="manajer", role="manager")
    coop.call("loans.product-create", as_user="manajer", code="PMU", name="PMU",
              method="flat", frequency="monthly", annual_rate="18", min_amount="100000",
              max_amount="500000000", min_term=1, max_term=60)
    member = with_phone(coop)
    loan = coop.call("loans.apply", as_user="teller", member=member, product="PMU",
                     amount="12000000", term=12)["number"]
    coop.call("loans.approve", as_user="manajer", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan, cash_account=coop.CASH)
    # Disbursed 5 January 2026: the first installment falls due on 5 February, flat at 18 % a
    # year: 12.000.000 / 12 = 1.000.000 principal + 12.000.000 x 18 % / 12 = 180.000 interest.
    run_end_of_day(coop.kernel, until=date(2026, 2, 2))  # days up to 1 February closed
    assert texts(coop.kernel, member) == []
    run_end_of_day(coop.kernel, until=date(2026, 2, 3))  # 2 February closed: due in 3 days
    due = (f"Angsuran ke-1 pinjaman {loan} sebesar Rp1.180.000 jatuh tempo "
           "5 Februari 2026.")
    assert texts(coop.kernel, member) == [due]
    run_end_of_day(coop.kernel, until=date(2026, 2, 7))  # 5 February closed unpaid
    assert texts(coop.kernel, member) == [
        due,
        f"Angsuran ke-1 pinjaman {loan} sebesar Rp1.180.000 yang jatuh tempo 5 Februari 2026 "
        "belum dibayar. Mohon segera dibayar agar tidak dikenai denda.",
    ]
    assert len(events_of(coop.kernel, "loans.installment-due")) == 1
    assert len(events_of(coop.kernel, "loans.installment-overdue")) == 1
    # Paid at the counter: the borrower hears of the payment and what is left.
    coop.call("loans.repay", as_user="teller", loan=loan, amount="1180000",
              cash_account=coop.CASH)
    assert texts(coop.kernel, member)[-1] == (
        f"Pembayaran Rp1.180.000 untuk pinjaman {loan} diterima. Sisa pokok Rp11.000.000.")
    assert len(events_of(coop.kernel, "loans.payment-received")) == 1


def test_pln_token_purchase_tells_the_token(make_kernel: Callable[..., Kernel]) -> None:
    from kopcore_ppob.testing import Coop, SettlementStandIn

    standin = SettlementStandIn()
    coop = Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)]), standin)
    member = coop.member("100000")
    coop.call("members.update-contact", member=member, phone=PHONE)
    done = coop.call("ppob.pay", as_user="teller", ref_id="R-PLN-1", sku="PLN20",
                     customer_no="53123456780", member=member)
    assert done["status"] == "success"
    assert texts(coop.kernel, member) == [
        f"Token PLN 20.000 untuk meter 53123456780: token {done['token']}. Dibayar Rp20.500 "
        "(R-PLN-1)."]
    # A counter sale to no member tells nobody.
    coop.call("ppob.pay", as_user="teller", ref_id="R-TSEL-1", sku="TSEL10",
              customer_no="081200000000", cash_account=coop.CASH)
    assert len(events_of(coop.kernel, "ppob.settled")) == 1


def test_shu_share_tells_the_member(make_kernel: Callable[..., Kernel]) -> None:
    """The worked example of tests/test_shu_distribution.py: member A's share is
    Rp1.000.000 jasa usaha + Rp240.000 jasa modal = Rp1.240.000, payable by the cooperative."""
    from decimal import Decimal

    from kopcore.settings import ShuSettings
    from tests.test_shu_distribution import FixedBases, close_year
    from tests.test_yearend_closing import book

    example = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(20), jasa_usaha=Decimal(25),
                          management=Decimal(5), staff=Decimal(5), education=Decimal(5),
                          social=Decimal(0), other=Decimal(0), member_payout="payable")
    kernel = make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))], shu=example)
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    a, _b = with_phone(coop), coop.member("Komang Adi")
    book(coop, "GL-income.services", "credit", "75000000", "Jasa layanan 2026")
    book(coop, "GL-expense.general", "debit", "15000000", "Biaya 2026")
    close_year(coop, 2026)
    drafted = coop.call("shu.draft", year=2026)
    coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
    assert texts(kernel, a) == []
    coop.call("shu.post", draft_id=drafted["draft_id"])
    assert texts(kernel, a) == [
        "Bagian SHU tahun 2026 Anda sebesar Rp1.240.000 siap dibayarkan oleh koperasi."]
    credited = events_of(kernel, "yearend.shu-credited")
    assert [(e.state, e.member_id) for e in credited] == [("sent", 1), ("skipped", 2)]


def test_a_loan_paid_into_savings_and_repaid_from_it_tells_the_member(
        make_kernel: Callable[..., Kernel]) -> None:
    """Disbursed into the member's sukarela (fees taken off: provisi 1 % of Rp6.000.000 and
    Rp25.000 admin leave Rp5.915.000), then an installment paid from that savings: the member
    hears of the loan's money and of the savings' both times."""
    coop = Cooperative(make_kernel(plugins=("savings", "loans")))
    coop.call("users.create", username="manajer", role="manager")
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    coop.call("loans.product-create", as_user="manajer", code="PMU", name="PMU",
              method="flat", frequency="monthly", annual_rate="18", min_amount="100000",
              max_amount="500000000", min_term=1, max_term=60, provisi_percent="1",
              admin_fee="25000")
    member = with_phone(coop)
    savings = coop.call("savings.open", member=member, product="SUKARELA")["account"]["number"]
    loan = coop.call("loans.apply", as_user="teller", member=member, product="PMU",
                     amount="6000000", term=12)["number"]
    coop.call("loans.approve", as_user="manajer", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan)
    assert texts(coop.kernel, member) == [
        f"Pinjaman {loan} sebesar Rp5.915.000 telah dicairkan ke simpanan {savings}."]
    coop.call("loans.repay", as_user="teller", loan=loan, amount="590000", from_savings=True)
    assert texts(coop.kernel, member)[-1] == (
        f"Pembayaran Rp590.000 untuk pinjaman {loan} diterima. Sisa pokok Rp5.500.000.")
