"""The fact a settled purchase tells the member (kopcore's event outbox,
docs/notifications.md): ``ppob.settled``, with the PLN token when there is one, recorded in
the transaction that settles the purchase (its first answer, a callback or a status check)
and sent after commit through the member's channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kopcore import events
from kopcore.context import Context
from kopcore.errors import Message
from kopcore.money import Money
from kopcore.records import EventType
from kopcore_ppob import catalogue
from kopcore_ppob.messages import _

if TYPE_CHECKING:
    from kopcore_ppob.flow import Txn

SETTLED = "ppob.settled"


def settled(ctx: Context, txn: Txn) -> None:
    """Record the outcome of the member's purchase ``txn`` (a counter sale to a non-member
    tells nobody)."""
    if txn.member_id is None or txn.status not in ("success", "failed"):
        return
    product = catalogue.get_product(ctx, txn.sku)
    token = txn.sn if txn.status == "success" and product.category == "pln_token" else None
    events.emit(ctx, SETTLED, {
        "ref_id": txn.ref_id, "product": product.name, "customer_no": txn.customer_no,
        "status": txn.status, "token": token,
        "amount": str(Money(txn.selling_price, ctx.settings.currency).amount)},
        member_id=txn.member_id, dedup_key=f"{SETTLED}:{txn.ref_id}")


def render(payload: Mapping[str, Any]) -> Message:
    """``Token PLN 20K untuk 5123...: 1234-5678-... (Rp21.500).``"""
    amount = events.rupiah(payload["amount"])
    if payload["status"] != "success":
        return _("{product} for {customer} failed; nothing was charged ({ref}).",
                 product=payload["product"], customer=payload["customer_no"],
                 ref=payload["ref_id"])
    if payload.get("token"):
        return _("{product} for meter {customer}: token {token}. Paid {amount} ({ref}).",
                 product=payload["product"], customer=payload["customer_no"],
                 token=payload["token"], amount=amount, ref=payload["ref_id"])
    return _("{product} for {customer} succeeded. Paid {amount} ({ref}).",
             product=payload["product"], customer=payload["customer_no"], amount=amount,
             ref=payload["ref_id"])


def subject(_payload: Mapping[str, Any]) -> Message:
    return _("Purchase of pulsa, data or PLN")


EVENT_TYPES = (EventType(SETTLED, "A member's PPOB purchase settled (with the PLN token)",
                         render, subject),)
