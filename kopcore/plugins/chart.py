"""Built-in plugin: the default chart of accounts of an Indonesian koperasi (SAK EP categories).

Product plugins add their own GL accounts (savings products, loans receivable, PPAP...). Pokok
and wajib savings are equity (modal sendiri), so their control accounts live here in the kernel's
chart even though the savings plugin operates them. Operators renumber or rename any account with
``[chart.<key>]`` in settings.
"""

from __future__ import annotations

from kopcore import hookimpl
from kopcore.records import GLAccountSpec, GLType, PermissionSpec

ASSET, LIAB, EQUITY = GLType.ASSET, GLType.LIABILITY, GLType.EQUITY
INCOME, EXPENSE = GLType.INCOME, GLType.EXPENSE

DEFAULT_CHART: tuple[GLAccountSpec, ...] = (
    # 1 Aset
    GLAccountSpec("cash", "1101", "Kas", ASSET),
    GLAccountSpec("vault", "1102", "Kas Besar (Brankas)", ASSET),
    GLAccountSpec("bank", "1103", "Bank", ASSET),
    GLAccountSpec("receivable.other", "1190", "Piutang Lain-lain", ASSET),
    GLAccountSpec("prepaid", "1191", "Biaya Dibayar di Muka", ASSET),
    GLAccountSpec("rak", "1192", "Rekening Antar Kantor (RAK)", ASSET),
    GLAccountSpec("fixed_assets", "1301", "Aset Tetap", ASSET),
    GLAccountSpec("fixed_assets.depreciation", "1302", "Akumulasi Penyusutan Aset Tetap", ASSET,
                  contra=True),
    # 2 Liabilitas
    GLAccountSpec("payable.other", "2190", "Utang Lain-lain", LIAB),
    GLAccountSpec("payable.tax", "2191", "Utang Pajak", LIAB),
    GLAccountSpec("payable.member_exit", "2192", "Utang Pengembalian Simpanan Anggota Keluar",
                  LIAB),
    GLAccountSpec("payable.borrowings", "2193", "Pinjaman Diterima (Modal Pinjaman)", LIAB),
    GLAccountSpec("suspense", "2199", "Rekening Titipan (Suspense)", LIAB),
    # 3 Ekuitas
    GLAccountSpec("equity.pokok", "3101", "Simpanan Pokok", EQUITY),
    GLAccountSpec("equity.wajib", "3102", "Simpanan Wajib", EQUITY),
    GLAccountSpec("equity.grants", "3103", "Hibah / Donasi", EQUITY),
    GLAccountSpec("equity.reserve", "3201", "Cadangan", EQUITY),
    GLAccountSpec("equity.shu_undistributed", "3301", "SHU Belum Dibagi", EQUITY),
    # 4 Pendapatan
    GLAccountSpec("income.services", "4101", "Pendapatan Jasa", INCOME),
    GLAccountSpec("income.fees", "4102", "Pendapatan Administrasi dan Provisi", INCOME),
    GLAccountSpec("income.other", "4901", "Pendapatan Lain-lain", INCOME),
    # 5 Beban
    GLAccountSpec("expense.staff", "5101", "Beban Gaji dan Tunjangan", EXPENSE),
    GLAccountSpec("expense.general", "5102", "Beban Umum dan Administrasi", EXPENSE),
    GLAccountSpec("expense.depreciation", "5103", "Beban Penyusutan", EXPENSE),
    GLAccountSpec("expense.other", "5901", "Beban Lain-lain", EXPENSE),
)

#: Roles known to the kernel. ``admin`` holds every permission.
ROLES = ("admin", "manager", "teller", "auditor", "member")

KERNEL_PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec("members.read", "See members", ("manager", "teller", "auditor", "member")),
    PermissionSpec("members.manage", "Register, activate, update members", ("manager", "teller")),
    PermissionSpec("members.exit", "Settle a member's exit", ("manager",)),
    PermissionSpec("accounts.read", "See accounts, balances, statements",
                   ("manager", "teller", "auditor", "member")),
    PermissionSpec("accounts.manage", "Open internal accounts, freeze, close, hold",
                   ("manager", "teller")),
    PermissionSpec("ledger.read", "See journal entries", ("manager", "teller", "auditor")),
    PermissionSpec("ledger.post", "Post manual journal entries and reversals", ("manager",)),
    PermissionSpec("reports.read", "Financial reports and trial balance", ("manager", "auditor")),
    PermissionSpec("eod.run", "Run end of day", ("manager",)),
    PermissionSpec("system.read", "See business date and plugins",
                   ("manager", "teller", "auditor", "member")),
    PermissionSpec("users.manage", "Create users, issue and revoke keys", ()),
    PermissionSpec("audit.read", "Read the audit trail", ("auditor", "manager")),
    PermissionSpec("approvals.decide", "Approve or reject requests waiting for a checker",
                   ("manager",)),
)


@hookimpl
def kopcore_gl_accounts() -> tuple[GLAccountSpec, ...]:
    return DEFAULT_CHART


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return KERNEL_PERMISSIONS
