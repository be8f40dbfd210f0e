"""verify checks each loan's schedule against the ledger (``kopcore_verify``)."""

from __future__ import annotations

import sqlalchemy as sa
from kopcore_loans import repayment
from kopcore_loans.loan import get_loan
from kopcore_loans.tables import installments
from loans_helpers import CASH, cash, disbursed_loan, member, product, rp

from kopcore import ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.testing import verify_books


def errors(kernel: Kernel) -> list[tuple[str, str]]:
    report = kernel.read("auditor", verify_books)
    return [(p.kind, p.detail) for p in report.errors]


def test_an_installment_marked_paid_in_the_database_is_found(loans_kernel: Kernel) -> None:
    def work(ctx: Context) -> str:
        cash(ctx)
        loan = disbursed_loan(ctx, member(ctx), product(ctx).code, amount="1200000", term=12)
        repayment.repay(ctx, loan, ledger.get_account(ctx, CASH), rp("118000"), memo="angsuran")
        return loan.number

    number = loans_kernel.write("admin", work)
    assert errors(loans_kernel) == []
    loan = loans_kernel.read("x", lambda ctx: get_loan(ctx, number))
    i = installments.c
    with loans_kernel.db.engine.begin() as conn:
        conn.execute(sa.update(installments)
                     .where(i.loan_id == loan.id, i.seq == 2)
                     .values(status="paid", principal_paid=i.principal,
                             interest_paid=i.interest))
    assert errors(loans_kernel) == [
        ("loans.schedule_differs_from_ledger",
         f"loan {number}: the schedule has Rp1.000.000,00 of principal unpaid; account "
         f"{number} in the ledger holds Rp1.100.000,00"),
        ("loans.interest_paid_differs",
         f"loan {number}: the schedule counts Rp36.000,00 of interest paid; its payments "
         "brought Rp18.000,00"),
    ]
