"""Demo data: the sandbox gateway in use and the first active member's virtual accounts."""

from __future__ import annotations

import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore_payments import config, issuing
from kopcore_payments.gateways import GatewayConfig
from kopcore_payments.sandbox import SandboxGateway


def seed(ctx: Context) -> None:
    config.put(ctx, "gateway", "sandbox")
    m = query.members.c
    number = ctx.conn.execute(sa.select(m.member_number).where(m.status == "active")
                              .order_by(m.id).limit(1)).scalar()
    if number is None:
        return
    member = ledger.get_member(ctx, number)
    gateway = SandboxGateway(GatewayConfig("sandbox"))
    for bank in config.get(ctx, "banks").split(","):
        channel = gateway.create_va(f"M{member.member_number}-{bank}", bank,
                                    issuing.va_name(member.name))
        issuing.record_channel(ctx, "sandbox", channel, member.id, None)
