"""GL accounts and permissions of the PPOB plugin.

The provider is a **liability**, ``ppob.provider_payable`` (Utang PPOB ke Penyedia): each
successful sale credits it with the buy price. Paying the aggregator (topping up the deposit
Digiflazz-style aggregators keep) is an ordinary ``entries.post`` debiting it and crediting the
bank; a top-up ahead of sales leaves a debit balance, which is the deposit still to be used. One
account keeps what is owed and what is prepaid in one place.

Cash taken at the counter for a transaction that is still pending waits in the kernel's
``suspense`` (Rekening Titipan) until the provider answers.
"""

from __future__ import annotations

from kopcore.records import GLAccountSpec, GLType, PermissionSpec

PLUGIN = "ppob"

PAYABLE_GL = "ppob.provider_payable"
FEE_INCOME_GL = "ppob.fee_income"
#: A purchase the provider delivered after we recorded it failed, absorbed by the cooperative.
LOSS_GL = "ppob.loss"
SUSPENSE_GL = "suspense"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(PAYABLE_GL, "2160", "Utang PPOB ke Penyedia", GLType.LIABILITY),
    GLAccountSpec(FEE_INCOME_GL, "4160", "Pendapatan Jasa PPOB", GLType.INCOME),
    GLAccountSpec(LOSS_GL, "5160", "Beban Selisih Transaksi PPOB", GLType.EXPENSE),
)

READ = "ppob.read"
TRANSACT = "ppob.transact"
MANAGE = "ppob.manage"
BUY_OWN = "ppob.buy-own"
#: Held only by the ``callback`` principal of the public, signature-authenticated webhook route.
CALLBACK = "ppob.callback"

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(READ, "See the PPOB catalogue, transactions and receipts",
                   ("manager", "teller", "auditor")),
    PermissionSpec(TRANSACT, "Inquire and pay bills and top-ups; check pending ones",
                   ("manager", "teller")),
    PermissionSpec(BUY_OWN, "Buy top-ups and tokens from one's own savings (the member app)",
                   ("member",)),
    PermissionSpec(MANAGE, "Choose the provider, set markups and sync the catalogue; "
                   "resolve anomalies",
                   ("manager",)),
    PermissionSpec(CALLBACK, "Deliver a provider's signed callback (the webhook route's own "
                   "principal; administrators may replay one from the CLI)", ()),
)
