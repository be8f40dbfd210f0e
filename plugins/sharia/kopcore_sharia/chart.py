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
MUDHARABAH_SAVINGS = "sharia.mudharabah_savings"
MUDHARABAH_DEPOSITS = "sharia.mudharabah_deposits"
PROFIT_SHARE_EXPENSE = "sharia.profit_share_expense"
UNIT_CASH = "sharia.cash"
UNIT_FUNDS = "sharia.unit_funds"
HEAD_OFFICE_INVESTMENT = "sharia.head_office_investment"
FINANCING_ALLOWANCE = "sharia.financing_allowance"
ALLOWANCE_EXPENSE = "sharia.allowance_expense"
TAWIDH_INCOME = "sharia.tawidh_income"
MURABAHAH_INVENTORY = "sharia.murabahah_inventory"
WAKALAH_ADVANCE = "sharia.wakalah_advance"
LOSS_BORNE_BY_OWNERS = "sharia.loss_borne_by_owners"
AMIL_FUND = "sharia.amil"
NON_HALAL_FUND = "sharia.non_halal"
WAKAF_PERMANENT = "sharia.wakaf_permanent"
WAKAF_TEMPORARY = "sharia.wakaf_temporary"
WAKAF_BENEFITS = "sharia.wakaf_benefits"
WAKAF_PLACED = "sharia.wakaf_placed"
WAKAF_INVESTMENT = "sharia.wakaf_investment"
NAZHIR_INCOME = "sharia.nazhir_income"
WAKAF_RESULT_EXPENSE = "sharia.wakaf_result_expense"
IJARAH_ASSET = "sharia.ijarah_asset"
IJARAH_ACCUMULATED_DEPRECIATION = "sharia.ijarah_accumulated_depreciation"
IJARAH_RECEIVABLE = "sharia.ijarah_receivable"
IJARAH_INCOME = "sharia.ijarah_income"
IJARAH_SALE_GAIN = "sharia.ijarah_sale_gain"
IJARAH_DEPRECIATION = "sharia.ijarah_depreciation"
IJARAH_HIBAH_EXPENSE = "sharia.ijarah_hibah_expense"
IJARAH_SALE_LOSS = "sharia.ijarah_sale_loss"

#: Mudharabah funds received are dana syirkah temporer (PSAK 405, DOMAIN.md section 6): the
#: cooperative manages them but does not owe them back whatever happens (the fund owner bears a
#: loss of the business under profit-loss sharing), so the statements of financial position
#: present them between liabilities and equity, not as ordinary liabilities. Their GL type stays
#: liability (credit-normal) for posting and the trial balance.
TEMPORARY_SYIRKAH = "Dana Syirkah Temporer"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(UNIT_CASH, "1105", "Kas Unit Syariah", GLType.ASSET),
    GLAccountSpec(HEAD_OFFICE_INVESTMENT, "1195", "Rekening Antar Kantor Unit Syariah",
                  GLType.ASSET),
    GLAccountSpec(MURABAHAH_RECEIVABLE, "1151", "Piutang Murabahah", GLType.ASSET),
    GLAccountSpec(MURABAHAH_DEFERRED_MARGIN, "1152", "Margin Murabahah Ditangguhkan",
                  GLType.ASSET, contra=True),
    GLAccountSpec(QARDH_RECEIVABLE, "1153", "Piutang Qardh", GLType.ASSET),
    GLAccountSpec(MURABAHAH_INVENTORY, "1154", "Persediaan Murabahah", GLType.ASSET),
    GLAccountSpec(WAKALAH_ADVANCE, "1155", "Uang Muka Wakalah Murabahah", GLType.ASSET),
    GLAccountSpec(FINANCING_ALLOWANCE, "1159", "Penyisihan Penghapusan Pembiayaan (PPAP)",
                  GLType.ASSET, contra=True),
    GLAccountSpec(WADIAH, "2121", "Simpanan Wadiah", GLType.LIABILITY),
    GLAccountSpec(MUDHARABAH_SAVINGS, "2122", "Tabungan Mudharabah", GLType.LIABILITY,
                  position_section=TEMPORARY_SYIRKAH),
    GLAccountSpec(MUDHARABAH_DEPOSITS, "2123", "Deposito Mudharabah", GLType.LIABILITY,
                  position_section=TEMPORARY_SYIRKAH),
    GLAccountSpec(SOCIAL_FUND, "2131", "Dana Kebajikan", GLType.LIABILITY),
    GLAccountSpec(ZAKAT_FUND, "2132", "Dana Zakat", GLType.LIABILITY),
    GLAccountSpec(INFAQ_FUND, "2133", "Dana Infaq dan Sadaqah", GLType.LIABILITY),
    GLAccountSpec(AMIL_FUND, "2134", "Dana Amil", GLType.LIABILITY),
    GLAccountSpec(NON_HALAL_FUND, "2135", "Dana Non Halal", GLType.LIABILITY),
    GLAccountSpec(MURABAHAH_MARGIN_INCOME, "4151", "Pendapatan Margin Murabahah", GLType.INCOME),
    GLAccountSpec(QARDH_ADMIN_INCOME, "4152", "Pendapatan Administrasi Qardh", GLType.INCOME),
    GLAccountSpec(TAWIDH_INCOME, "4153", "Pendapatan Ta'widh", GLType.INCOME),
    GLAccountSpec(LOSS_BORNE_BY_OWNERS, "4154",
                  "Kerugian Mudharabah Ditanggung Pemilik Dana", GLType.INCOME),
    GLAccountSpec(UNIT_FUNDS, "2195", "Rekening Antar Kantor Kantor Pusat", GLType.LIABILITY),
    GLAccountSpec(WADIAH_BONUS, "5151", "Beban Bonus Wadiah", GLType.EXPENSE),
    GLAccountSpec(PROFIT_SHARE_EXPENSE, "5152", "Beban Bagi Hasil Mudharabah", GLType.EXPENSE),
    GLAccountSpec(ALLOWANCE_EXPENSE, "5153", "Beban Penyisihan Pembiayaan (PPAP)",
                  GLType.EXPENSE),
    # Wakaf uang (UU 41/2004, PSAK 412): see kopcore_sharia.wakaf.
    GLAccountSpec(WAKAF_INVESTMENT, "1158", "Investasi Dana Wakaf", GLType.ASSET),
    GLAccountSpec(WAKAF_PERMANENT, "2136", "Dana Wakaf Permanen", GLType.LIABILITY),
    GLAccountSpec(WAKAF_TEMPORARY, "2137", "Dana Wakaf Temporer", GLType.LIABILITY),
    GLAccountSpec(WAKAF_BENEFITS, "2138", "Dana Hasil Wakaf untuk Mauquf 'Alaih",
                  GLType.LIABILITY),
    GLAccountSpec(WAKAF_PLACED, "2139", "Dana Wakaf Ditempatkan pada Usaha Koperasi",
                  GLType.LIABILITY),
    GLAccountSpec(NAZHIR_INCOME, "4159", "Imbalan Nazhir Wakaf", GLType.INCOME),
    GLAccountSpec(WAKAF_RESULT_EXPENSE, "5159", "Beban Bagi Hasil Dana Wakaf", GLType.EXPENSE),
    # Ijarah and ijarah muntahiyah bittamlik (PSAK 107/407).
    GLAccountSpec(IJARAH_ASSET, "1181", "Aset Ijarah", GLType.ASSET),
    GLAccountSpec(IJARAH_ACCUMULATED_DEPRECIATION, "1182", "Akumulasi Penyusutan Aset Ijarah",
                  GLType.ASSET, contra=True),
    GLAccountSpec(IJARAH_RECEIVABLE, "1183", "Piutang Pendapatan Ijarah", GLType.ASSET),
    GLAccountSpec(IJARAH_INCOME, "4191", "Pendapatan Ijarah", GLType.INCOME),
    GLAccountSpec(IJARAH_SALE_GAIN, "4192", "Keuntungan Penjualan Aset Ijarah", GLType.INCOME),
    GLAccountSpec(IJARAH_DEPRECIATION, "5191", "Beban Penyusutan Aset Ijarah", GLType.EXPENSE),
    GLAccountSpec(IJARAH_HIBAH_EXPENSE, "5192", "Beban Hibah Aset Ijarah Muntahiyah Bittamlik",
                  GLType.EXPENSE),
    GLAccountSpec(IJARAH_SALE_LOSS, "5193", "Kerugian Penjualan Aset Ijarah", GLType.EXPENSE),
)

WADIAH_PRODUCT = "sharia.wadiah"
MURABAHAH_PRODUCT = "sharia.murabahah"
QARDH_PRODUCT = "sharia.qardh"
MUDHARABAH_SAVINGS_PRODUCT = "sharia.mudharabah"
MUDHARABAH_DEPOSIT_PRODUCT = "sharia.mudharabah-deposit"
IJARAH_PRODUCT = "sharia.ijarah"
FINANCING_PRODUCTS: tuple[str, ...] = (MURABAHAH_PRODUCT, QARDH_PRODUCT, IJARAH_PRODUCT)
MUDHARABAH_PRODUCTS = (MUDHARABAH_SAVINGS_PRODUCT, MUDHARABAH_DEPOSIT_PRODUCT)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType(WADIAH_PRODUCT, "Simpanan wadiah yad dhamanah", WADIAH,
                "Safekeeping savings; a bonus only by the operator's decision, never promised"),
    ProductType(MURABAHAH_PRODUCT, "Pembiayaan murabahah", MURABAHAH_RECEIVABLE,
                "Sale at cost plus a margin agreed at contract (PSAK 102)"),
    ProductType(QARDH_PRODUCT, "Pembiayaan qardh", QARDH_RECEIVABLE,
                "Benevolent loan: principal only, a flat admin cost at most"),
    ProductType(MUDHARABAH_SAVINGS_PRODUCT, "Tabungan mudharabah", MUDHARABAH_SAVINGS,
                "Profit-sharing savings: a monthly share of a pool's income by nisbah"),
    ProductType(MUDHARABAH_DEPOSIT_PRODUCT, "Deposito mudharabah", MUDHARABAH_DEPOSITS,
                "Profit-sharing term deposit: withdrawn at maturity, shares paid monthly"),
    ProductType(IJARAH_PRODUCT, "Pembiayaan ijarah / ijarah muntahiyah bittamlik",
                IJARAH_RECEIVABLE, "Lease of an asset the cooperative owns for a monthly ujrah "
                "(PSAK 107), optionally ending in its transfer to the member (IMBT)"),
)

READ = "sharia.read"
TRANSACT = "sharia.transact"
MANAGE = "sharia.manage"
REPORTS = "sharia.reports"

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(READ, "See sharia financing, wadiah balances and the ZIS fund report",
                   ("manager", "teller", "auditor", "member")),
    PermissionSpec(TRANSACT, "Contract and collect financing, take wadiah deposits and "
                   "withdrawals, receive and disburse ZIS", ("manager", "teller")),
    PermissionSpec(MANAGE, "Propose and approve wadiah bonuses and muqasah (two different "
                   "managers), set up mudharabah pools, distribute profit, set the sharia unit "
                   "and the collectibility classes", ("manager",)),
    PermissionSpec(REPORTS, "Read the sharia unit's books and the profit distribution reports",
                   ("manager", "auditor")),
)

SHARIA_GL_KEYS = frozenset(spec.key for spec in GL_ACCOUNTS)

#: GL accounts of the plugin kept in the conventional (head office) books, not the sharia
#: unit's: the head office's side of the inter-office account.
HEAD_OFFICE_KEYS = frozenset({HEAD_OFFICE_INVESTMENT})


def gl(key: str) -> str:
    """The posting account number of a GL account (``GL-<key>``)."""
    return ledger.gl_account_number(key)


# --- musyarakah and musyarakah mutanaqisah (PSAK 406, formerly 106) --------------------------
# The cooperative is the passive partner (mitra pasif): its capital in a member's business is an
# investment (asset), its share of the business result income, its share of a loss an expense.
# See :mod:`kopcore_sharia.musyarakah`.
MUSYARAKAH_INVESTMENT = "sharia.musyarakah_investment"
MUSYARAKAH_DEFERRED_GAIN = "sharia.musyarakah_deferred_gain"
MUSYARAKAH_RECEIVABLE = "sharia.musyarakah_receivable"
MUSYARAKAH_INCOME = "sharia.musyarakah_income"
MUSYARAKAH_VALUATION_GAIN = "sharia.musyarakah_valuation_gain"
MUSYARAKAH_LOSS = "sharia.musyarakah_loss"
MUSYARAKAH_VALUATION_LOSS = "sharia.musyarakah_valuation_loss"
MUSYARAKAH_DEPRECIATION = "sharia.musyarakah_depreciation"

GL_ACCOUNTS += (
    GLAccountSpec(MUSYARAKAH_INVESTMENT, "1161", "Investasi Musyarakah", GLType.ASSET),
    GLAccountSpec(MUSYARAKAH_DEFERRED_GAIN, "1162", "Keuntungan Tangguhan Aset Nonkas Musyarakah",
                  GLType.ASSET, contra=True),
    GLAccountSpec(MUSYARAKAH_RECEIVABLE, "1163", "Piutang Mitra Musyarakah", GLType.ASSET),
    GLAccountSpec(MUSYARAKAH_INCOME, "4171", "Pendapatan Bagi Hasil Musyarakah", GLType.INCOME),
    GLAccountSpec(MUSYARAKAH_VALUATION_GAIN, "4172",
                  "Keuntungan Penilaian Aset Nonkas Musyarakah", GLType.INCOME),
    GLAccountSpec(MUSYARAKAH_LOSS, "5195", "Kerugian Investasi Musyarakah", GLType.EXPENSE),
    GLAccountSpec(MUSYARAKAH_VALUATION_LOSS, "5196",
                  "Kerugian Penilaian Aset Nonkas Musyarakah", GLType.EXPENSE),
    GLAccountSpec(MUSYARAKAH_DEPRECIATION, "5197", "Beban Penyusutan Aset Nonkas Musyarakah",
                  GLType.EXPENSE),
)

MUSYARAKAH_PRODUCT = "sharia.musyarakah"
MUSYARAKAH_MMQ_PRODUCT = "sharia.musyarakah-mutanaqisah"
MUSYARAKAH_RECEIVABLE_PRODUCT = "sharia.musyarakah-receivable"
FINANCING_PRODUCTS += (MUSYARAKAH_PRODUCT, MUSYARAKAH_MMQ_PRODUCT,
                       MUSYARAKAH_RECEIVABLE_PRODUCT)

PRODUCT_TYPES += (
    ProductType(MUSYARAKAH_PRODUCT, "Pembiayaan musyarakah", MUSYARAKAH_INVESTMENT,
                "Partnership: the cooperative's capital in a member's business, the result "
                "shared by nisbah, a loss by capital (PSAK 406)"),
    ProductType(MUSYARAKAH_MMQ_PRODUCT, "Pembiayaan musyarakah mutanaqisah",
                MUSYARAKAH_INVESTMENT,
                "Diminishing partnership: the member buys the cooperative's share by "
                "installments, each with the cooperative's part of the ujrah"),
    ProductType(MUSYARAKAH_RECEIVABLE_PRODUCT, "Piutang mitra musyarakah",
                MUSYARAKAH_RECEIVABLE,
                "What a partner still owes at the end of a musyarakah (PSAK 406)"),
)

SHARIA_GL_KEYS = frozenset(spec.key for spec in GL_ACCOUNTS)
