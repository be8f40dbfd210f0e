"""The cooperative's payments settings, kept in ``payments_settings``.

========================  ==============  ====================================================
key                       default         meaning
========================  ==============  ====================================================
``gateway``               (none)          the gateway in use (``payments.gateway-set``)
``open_va_purpose``       ``disbursement``  the settlement purpose asked for the account a
                                          member's open VA credits (answered by kopcore-savings
                                          with the member's sukarela account)
``open_va_rule``          ``savings``     ``savings``: all to that account; ``wajib-first``: the
                                          member's simpanan wajib arrears first
``banks``                 ``BRI,BNI``     the banks at which members' VAs are opened, in order
``bill_hours``            ``72``          a bill's default validity, hours
``last_reconciliation``   (none)          the last reconciliation's start and differences
========================  ==============  ====================================================
"""

from __future__ import annotations

import sqlalchemy as sa

from kopcore.context import Context
from kopcore_payments import tables

DEFAULTS = {"gateway": "", "open_va_purpose": "disbursement", "open_va_rule": "savings",
            "banks": "BRI,BNI",
            "bill_hours": "72", "last_reconciliation": ""}


def get(ctx: Context, key: str) -> str:
    value = ctx.conn.execute(sa.select(tables.settings.c.value).where(
        tables.settings.c.key == key)).scalar()
    return DEFAULTS[key] if value is None else str(value)


def put(ctx: Context, key: str, value: str) -> None:
    updated = ctx.conn.execute(tables.settings.update().where(
        tables.settings.c.key == key).values(value=value))
    if updated.rowcount == 0:
        ctx.conn.execute(tables.settings.insert().values(key=key, value=value))


def everything(ctx: Context) -> dict[str, str]:
    return {key: get(ctx, key) for key in DEFAULTS}
