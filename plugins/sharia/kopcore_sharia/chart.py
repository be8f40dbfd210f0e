"""GL accounts, product types and permissions of the sharia plugin.

Tamwil (financing business) and maal (ZIS funds) are kept in separate GL accounts: zakat and
infaq/sadaqah are liabilities of their own, as is the social fund (dana kebajikan) where ta'zir
would land. No sharia account is an interest account, and the veto in :mod:`kopcore_sharia.veto`
keeps any entry from mixing the two.
"""

from __future__ import annotations

from kopcore import ledger
from kopcore.records import GLAccountSpec, GLType, PermissionSpec, ProductType

PLUGIN = "sharia"

WADIAH = "sharia.wadiah"
WADIAH_BONUS = "sharia.wadiah_bonus"
MURABAHAH_RECEIVABLE = "sharia.murabahah_receivable"
MURABAHAH_DEFERRED_MARGIN = "sharia.murabahah_deferred_margin"
MURABAHAH_MARGIN_INCOME = "sharia.murabahah_margin_income"
QARDH_RECEIVABLE = "sharia.qardh_receivable"
QARDH_ADMIN_INCOME = "sharia.qardh_admin_income"
SOCIAL_FUND = "sharia.social_fund"
ZAKAT_FUND = "sharia.zakat"
INFAQ_FUND = "sharia.infaq"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(MURABAHAH_RECEIVABLE, "1151", "Piutang Murabahah", GLType.ASSET),
    GLAccountSpec(MURABAHAH_DEFERRED_MARGIN, "1152", "Margin Murabahah Ditangguhkan",
                  GLType.ASSET, contra=True),
    GLAccountSpec(QARDH_RECEIVABLE, "1153", "Piutang Qardh", GLType.ASSET),
    GLAccountSpec(WADIAH, "2121", "Simpanan Wadiah", GLType.LIABILITY),
    GLAccountSpec(SOCIAL_FUND, "2131", "Dana Kebajikan", GLType.LIABILITY),
    GLAccountSpec(ZAKAT_FUND, "2132", "Dana Zakat", GLType.LIABILITY),
    GLAccountSpec(INFAQ_FUND, "2133", "Dana Infaq dan Sadaqah", GLType.LIABILITY),
    GLAccountSpec(MURABAHAH_MARGIN_INCOME, "4151", "Pendapatan Margin Murabahah", GLType.INCOME),
    GLAccountSpec(QARDH_ADMIN_INCOME, "4152", "Pendapatan Administrasi Qardh", GLType.INCOME),
    GLAccountSpec(WADIAH_BONUS, "5151", "Beban Bonus Wadiah", GLType.EXPENSE),
)

WADIAH_PRODUCT = "sharia.wadiah"
MURABAHAH_PRODUCT = "sharia.murabahah"
QARDH_PRODUCT = "sharia.qardh"
FINANCING_PRODUCTS = (MURABAHAH_PRODUCT, QARDH_PRODUCT)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType(WADIAH_PRODUCT, "Simpanan wadiah yad dhamanah", WADIAH,
                "Safekeeping savings; a bonus only by the operator's decision, never promised"),
    ProductType(MURABAHAH_PRODUCT, "Pembiayaan murabahah", MURABAHAH_RECEIVABLE,
                "Sale at cost plus a margin agreed at contract (PSAK 102)"),
    ProductType(QARDH_PRODUCT, "Pembiayaan qardh", QARDH_RECEIVABLE,
                "Benevolent loan: principal only, a flat admin cost at most"),
)

READ = "sharia.read"
TRANSACT = "sharia.transact"
MANAGE = "sharia.manage"

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(READ, "See sharia financing, wadiah balances and the ZIS fund report",
                   ("manager", "teller", "auditor", "member")),
    PermissionSpec(TRANSACT, "Contract and collect financing, take wadiah deposits and "
                   "withdrawals, receive and disburse ZIS", ("manager", "teller")),
    PermissionSpec(MANAGE, "Grant wadiah bonuses (a discretionary operator decision)",
                   ("manager",)),
)

SHARIA_GL_KEYS = frozenset(spec.key for spec in GL_ACCOUNTS)


def gl(key: str) -> str:
    """The posting account number of a GL account (``GL-<key>``)."""
    return ledger.gl_account_number(key)
