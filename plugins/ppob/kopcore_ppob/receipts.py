"""Receipts a teller can print or send to the member (plain text)."""

from __future__ import annotations

from kopcore.context import Context
from kopcore.money import Money
from kopcore_ppob import catalogue
from kopcore_ppob.flow import Txn, bill_periods

STATUS_TEXT = {"success": "BERHASIL", "failed": "GAGAL", "pending": "DALAM PROSES",
               "inquired": "TAGIHAN (BELUM DIBAYAR)"}

RESOLUTION_TEXT = {"charged": "terkirim setelah gagal; didebit kemudian",
                   "absorbed": "terkirim setelah gagal; ditanggung koperasi",
                   "refunded": "dibatalkan penyedia; tidak didebit"}


def token_of(ctx: Context, txn: Txn) -> str | None:
    """The PLN prepaid token: the serial number of a successful PLN token purchase."""
    if txn.status != "success" or not txn.sn:
        return None
    product = catalogue.get_product(ctx, txn.sku)
    return txn.sn if product.category == "pln_token" else None


def text(ctx: Context, txn: Txn) -> str:
    product = catalogue.get_product(ctx, txn.sku)
    cur = ctx.settings.currency
    lines = [
        "STRUK PEMBAYARAN PPOB",
        f"Ref      : {txn.ref_id}",
        f"Tanggal  : {txn.created_on.isoformat()}",
        f"Produk   : {product.name} ({txn.sku})",
        f"Pelanggan: {txn.customer_no}" + (f" {txn.customer_name}" if txn.customer_name else ""),
    ]
    if product.postpaid:
        # Each period as PLN and BPJS receipts show it: the bill and its penalty.
        for period, bill, penalty in bill_periods(ctx, txn.ref_id):
            line = f"Periode  : {period} {Money(bill, cur).format()}"
            lines.append(line + (f" + denda {Money(penalty, cur).format()}" if penalty else ""))
        lines.append(f"Tagihan  : {Money(txn.bill, cur).format()}")
        lines.append(f"Admin    : {Money(txn.selling_price - txn.bill, cur).format()}")
    lines.append(f"Total    : {Money(txn.selling_price, cur).format()}")
    if txn.paid_by:
        lines.append(f"Dibayar  : {'tunai' if txn.paid_by == 'cash' else 'simpanan'} "
                     f"{txn.source_account}")
    lines.append(f"Status   : {STATUS_TEXT.get(txn.status, txn.status)}")
    if txn.resolution:
        lines.append(f"Catatan  : {RESOLUTION_TEXT.get(txn.resolution, txn.resolution)}")
    token = token_of(ctx, txn)
    if token:
        lines.append(f"TOKEN    : {token}")
    elif txn.sn and txn.status == "success":
        lines.append(f"SN       : {txn.sn}")
    return "\n".join(lines) + "\n"
