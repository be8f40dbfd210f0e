"""GL accounts, product types and permissions the savings plugin declares.

Pokok and wajib are equity: their control accounts (``equity.pokok``, ``equity.wajib``) are in
the kernel's chart already. Sukarela and berjangka are liabilities contributed here, with the
interest (jasa simpanan) expense, accrued interest payable and early-withdrawal penalty income.
Withholding tax goes to the kernel's ``payable.tax``.
"""

from __future__ import annotations

from kopcore.records import GLAccountSpec, GLType, PermissionSpec, ProductType

PLUGIN = "savings"

SUKARELA_GL = "savings.sukarela"
BERJANGKA_GL = "savings.berjangka"
INTEREST_EXPENSE_GL = "savings.interest_expense"
INTEREST_PAYABLE_GL = "savings.interest_payable"
PENALTY_INCOME_GL = "savings.penalty_income"
TAX_PAYABLE_GL = "payable.tax"
POKOK_GL = "equity.pokok"
WAJIB_GL = "equity.wajib"
ARREARS_GL = "income.other"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(SUKARELA_GL, "2111", "Simpanan Sukarela", GLType.LIABILITY),
    GLAccountSpec(BERJANGKA_GL, "2112", "Simpanan Berjangka", GLType.LIABILITY),
    GLAccountSpec(INTEREST_PAYABLE_GL, "2118", "Utang Jasa Simpanan Berjangka", GLType.LIABILITY),
    GLAccountSpec(PENALTY_INCOME_GL, "4180", "Pendapatan Denda Simpanan", GLType.INCOME),
    GLAccountSpec(INTEREST_EXPENSE_GL, "5180", "Beban Jasa Simpanan", GLType.EXPENSE),
)

#: Kernel product type code per savings type; member accounts carry it as ``product_code``.
PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType("savings.pokok", "Simpanan pokok", gl_key=POKOK_GL,
                description="One-off membership share; equity, refunded only on exit"),
    ProductType("savings.wajib", "Simpanan wajib", gl_key=WAJIB_GL,
                description="Periodic compulsory saving; equity, refunded only on exit"),
    ProductType("savings.sukarela", "Simpanan sukarela", gl_key=SUKARELA_GL,
                description="Voluntary savings earning jasa simpanan"),
    ProductType("savings.berjangka", "Simpanan berjangka", gl_key=BERJANGKA_GL,
                description="Time deposit at a fixed rate"),
)

READ = "savings.read"
TRANSFER = "savings.transfer"
TRANSACT = "savings.transact"
MANAGE = "savings.manage"

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(READ, "See savings products, balances, statements and arrears",
                   ("manager", "teller", "auditor", "member")),
    PermissionSpec(TRANSFER, "Transfer from a savings account to another member's",
                   ("manager", "teller", "member")),
    PermissionSpec(TRANSACT, "Open savings accounts, take deposits and pay withdrawals",
                   ("manager", "teller")),
    PermissionSpec(MANAGE, "Configure products; reactivate accounts; billing runs; maturity",
                   ("manager",)),
)
