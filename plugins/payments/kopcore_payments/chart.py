"""GL accounts and permissions of the payments plugin.

- ``payments.gateway`` (1170, asset, *Dana pada Payment Gateway*): what the gateway holds for the
  cooperative. Every payment received is debited here; the gateway's fee and each settlement to
  the cooperative's bank are credited here, so its balance is what the gateway still owes.
- ``payments.suspense`` (2170, liability, *Titipan Pembayaran Belum Teridentifikasi*): money
  received that could not be credited (unknown or closed channel, an amount other than the
  bill's, a member who left, a target that refused); staff resolve each item.
- ``payments.fee`` (5170, expense, *Beban Biaya Payment Gateway*): MDR and per-transaction fees.
"""

from __future__ import annotations

from kopcore.records import GLAccountSpec, GLType, PermissionSpec

PLUGIN = "payments"

GATEWAY_GL = "payments.gateway"
SUSPENSE_GL = "payments.suspense"
FEE_GL = "payments.fee"

GL_ACCOUNTS: tuple[GLAccountSpec, ...] = (
    GLAccountSpec(GATEWAY_GL, "1170", "Dana pada Payment Gateway", GLType.ASSET),
    GLAccountSpec(SUSPENSE_GL, "2170", "Titipan Pembayaran Belum Teridentifikasi",
                  GLType.LIABILITY),
    GLAccountSpec(FEE_GL, "5170", "Beban Biaya Payment Gateway", GLType.EXPENSE),
)

READ = "payments.read"
ISSUE = "payments.issue"
MANAGE = "payments.manage"
#: Held only by the ``callback`` principal of the public, token-authenticated webhook route.
CALLBACK = "payments.callback"

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec(READ, "See virtual accounts, QRIS, bills, payments and suspense (members: "
                   "their own VAs, bills and payments)", ("manager", "teller", "auditor",
                                                        "member")),
    PermissionSpec(ISSUE, "Open members' virtual accounts and issue bills", ("manager", "teller")),
    PermissionSpec(MANAGE, "Choose the gateway and fees, poll, reconcile, record settlements and "
                   "resolve suspense", ("manager",)),
    PermissionSpec(CALLBACK, "Deliver a gateway's callback (the webhook route's own principal; "
                   "administrators may replay one from the CLI)", ()),
)
