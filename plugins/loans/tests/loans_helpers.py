"""One-line builders for the loans tests: members, cash, products and disbursed loans."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import attrs
from kopcore_loans import lifecycle
from kopcore_loans.loan import Loan
from kopcore_loans.products import Product, ProductTerms, create_product
from kopcore_loans.schedule import Frequency, InterestMethod

from kopcore import ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.ledger import Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore.testing import verify_books

_serial = itertools.count(1)
CASH = "CASH-01"


def nik() -> str:
    return f"517101150890{next(_serial):04d}"


def rp(amount: str | int) -> Money:
    return Money.parse(amount)


def member(ctx: Context, name: str = "Made Wirawan") -> Member:
    m = ledger.register_member(ctx, name=name, nik=nik())
    return ledger.activate_member(ctx, m.member_number)


def cash(ctx: Context, amount: str = "1000000000") -> None:
    """A teller cash account funded from grants equity."""
    ledger.open_account(ctx, name="Kas Teller", gl_key="cash", plugin="kopcore", number=CASH,
                        floor=Money(0))
    ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, rp(amount)),
                            PostingLine("GL-equity.grants", Side.CREDIT, rp(amount))],
                      memo="modal awal")


def product(ctx: Context, **overrides: Any) -> Product:
    terms: dict[str, Any] = {
        "code": f"P{next(_serial)}", "name": "Pinjaman Anggota",
        "method": InterestMethod.FLAT, "frequency": Frequency.MONTHLY,
        "annual_rate": Decimal(18), "min_amount": Decimal(100000),
        "max_amount": Decimal(100000000), "min_term": 1, "max_term": 60,
    }
    terms.update(overrides)
    return create_product(ctx, ProductTerms(**terms))


def as_user(ctx: Context, actor: str) -> Context:
    return attrs.evolve(ctx, actor=actor)


def disbursed_loan(ctx: Context, borrower: Member, code: str, amount: str = "12000000",
                   term: int = 12, **apply_args: Any) -> Loan:
    """Applied by a teller, approved by a manager, disbursed in cash from CASH-01."""
    loan = lifecycle.apply(as_user(ctx, "teller"), borrower, code, rp(amount), term,
                           **apply_args)
    loan = lifecycle.decide(as_user(ctx, "manager"), loan, approve=True)
    loan, _ = lifecycle.disburse(ctx, loan, borrower, use_savings=False, cash_account=CASH,
                                 fee_account=CASH)
    return loan


def books_balance(kernel: Kernel) -> None:
    """Trial balance at zero, the ledger's invariants hold and every loan's schedule agrees
    with the ledger (verify's accounting checks and the plugins' own)."""
    def check(ctx: Context) -> None:
        assert ledger.ledger_invariants(ctx) == []
        assert verify_books(ctx, digests=False).errors == []
        tb = ledger.trial_balance(ctx, ctx.business_date)
        for debit, credit in tb["totals"].values():
            assert debit == credit
    kernel.read("auditor", check)


def balance(kernel: Kernel, number: str) -> int:
    """An account's normal-side balance in minor units."""
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number).balance.minor)


def gl_total(kernel: Kernel, key: str) -> int:
    """A GL account's total (every account rolling up to it), debit-positive, minor units."""
    def read(ctx: Context) -> int:
        lines = ledger.trial_balance(ctx, ctx.business_date)["lines"]
        return sum(line.net for line in lines if line.key == key)
    return kernel.read("auditor", read)
