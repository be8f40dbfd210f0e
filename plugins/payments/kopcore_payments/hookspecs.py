"""The payments plugin's own hook: payment gateways are plugins too.

kopcore-payments adds this specification through ``kopcore_add_hookspecs``, so a separate
``kopcore-payments-<gateway>`` distribution offers its gateway::

    import kopcore
    from kopcore_payments.gateways import GatewaySpec

    @kopcore.hookimpl
    def kopcore_payments_gateways():
        return [GatewaySpec("midtrans", make_midtrans, "Midtrans Core API")]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from kopcore.context import Context
    from kopcore_payments.crediting import Booked
    from kopcore_payments.gateways import GatewaySpec

hookspec = pluggy.HookspecMarker("kopcore")


@hookspec
def kopcore_payments_gateways() -> Sequence[GatewaySpec]:  # type: ignore[empty-body]
    """Return the payment gateways this plugin offers.

    Each :class:`~kopcore_payments.gateways.GatewaySpec` names the gateway and gives a factory
    building it from its :class:`~kopcore_payments.gateways.GatewayConfig` (environment
    variables ``KOPCORE_PAYMENTS_<NAME>_*``). Two plugins offering the same name stop start-up,
    naming both. Keep it cheap: build no clients and read no secrets here.
    """


@hookspec
def kopcore_payments_booked(ctx: Context, payment: Booked) -> None:
    """React to a payment just booked (credited to its target, or put in suspense): tell the
    member their transfer arrived, say.

    Called once per payment, in the transaction that books it, after its entries are posted;
    an exception rolls the booking back (the gateway's callback is then refused and retried).
    Do nothing outside the database here: write a row to your own outbox and send from there.
    """
