"""The GL accounts the loans plugin adds to the chart, and the product types it offers."""

from __future__ import annotations

from kopcore import ledger
from kopcore.records import GLAccountSpec, GLType, ProductType

PLUGIN = "loans"

RECEIVABLE = "loans.receivable"
RESTRUCTURED = "loans.receivable_restructured"
INTEREST_RECEIVABLE = "loans.interest_receivable"
ALLOWANCE = "loans.allowance"
INTEREST_INCOME = "loans.interest_income"
FEE_INCOME = "loans.fee_income"
PENALTY_INCOME = "loans.penalty_income"
RECOVERY_INCOME = "loans.recovery_income"
ALLOWANCE_EXPENSE = "loans.allowance_expense"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(RECEIVABLE, "1141", "Piutang Pinjaman Anggota", GLType.ASSET),
    GLAccountSpec(RESTRUCTURED, "1142", "Piutang Pinjaman Anggota Direstrukturisasi",
                  GLType.ASSET),
    GLAccountSpec(INTEREST_RECEIVABLE, "1143", "Piutang Jasa Pinjaman", GLType.ASSET),
    GLAccountSpec(ALLOWANCE, "1149", "Penyisihan Penghapusan Piutang Pinjaman (PPAP)",
                  GLType.ASSET, contra=True),
    GLAccountSpec(INTEREST_INCOME, "4141", "Pendapatan Jasa Pinjaman", GLType.INCOME),
    GLAccountSpec(FEE_INCOME, "4142", "Pendapatan Provisi dan Administrasi Pinjaman",
                  GLType.INCOME),
    GLAccountSpec(PENALTY_INCOME, "4143", "Pendapatan Denda Pinjaman", GLType.INCOME),
    GLAccountSpec(RECOVERY_INCOME, "4144", "Pendapatan Pemulihan Piutang Dihapusbukukan",
                  GLType.INCOME),
    GLAccountSpec(ALLOWANCE_EXPENSE, "5141", "Beban Penyisihan Piutang Pinjaman (PPAP)",
                  GLType.EXPENSE),
)

#: Product codes of the member accounts a loan uses.
INTEREST_PRODUCT = "loans.interest"
RESTRUCTURED_PRODUCT = "loans.restructured"

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType("loans.flat", "Pinjaman bunga flat", RECEIVABLE,
                "Installment loan, interest on the original principal"),
    ProductType("loans.menurun", "Pinjaman bunga menurun", RECEIVABLE,
                "Installment loan, equal principal, interest on the outstanding"),
    ProductType("loans.anuitas", "Pinjaman bunga anuitas", RECEIVABLE,
                "Installment loan, equal installments, interest on the outstanding"),
    ProductType("loans.bullet", "Pinjaman tanpa angsuran (sekaligus)", RECEIVABLE,
                "Principal repaid in one payment at maturity, interest by period"),
    ProductType(RESTRUCTURED_PRODUCT, "Pinjaman direstrukturisasi", RESTRUCTURED,
                "A loan's principal after rescheduling"),
    ProductType(INTEREST_PRODUCT, "Piutang jasa pinjaman", INTEREST_RECEIVABLE,
                "Interest earned on a loan and not yet paid (accrual basis)"),
)


def gl(key: str) -> str:
    """The posting account number of a GL account (``GL-<key>``)."""
    return ledger.gl_account_number(key)
