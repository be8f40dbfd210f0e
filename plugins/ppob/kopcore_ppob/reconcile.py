"""Reconciliation against the provider's statement (CSV export of its transactions).

The statement needs a header row with at least ``ref_id``, ``status`` and ``price`` (the buy
price in whole rupiah); ``sn`` and other columns are read or ignored; ``,`` and ``;`` delimiters
are recognised. Statuses are read like the provider's API (``Sukses``/``Success``,
``Gagal``/``Failed``, ``Pending``/``Processing``). Compared with this cooperative's transactions
with that provider created between ``date_from`` and ``date_to``:

- **matched**: in both, same outcome and, for successes, the same buy price;
- **mismatched**: in both, but the outcome or the price differs;
- **missing locally**: on the statement, not in our books (or outside the dates);
- **missing at the provider**: in our books (success or pending), not on the statement.

The buy price compared is what the provider actually charged (its answer's price). The report
also shows the deposit kopcore expects (:mod:`kopcore_ppob.deposits`) next to the provider's
(the statement's closing balance, or the last one it reported), and proposes the adjustments to
agree: a ``price`` adjustment for each success charged at another price, an ``unrecorded`` one
for each success on the statement only. Nothing is posted here: the operator agrees them with
the provider and posts each with ``ppob reconcile-adjust`` (maker-checker). A status that
differs is settled as usual: a pending one by ``ppob status``, a contradicted one by
``ppob anomaly-resolve``.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError
from kopcore_ppob import catalogue, deposits, flow, tables
from kopcore_ppob.messages import _
from kopcore_ppob.providers import registry

STATUS = {"sukses": "success", "success": "success", "gagal": "failed", "failed": "failed",
          "pending": "pending", "processing": "pending"}
MAX_ROWS = 100_000


@attrs.frozen
class Line:
    ref_id: str
    detail: str


@attrs.frozen
class Proposal:
    """An adjustment to agree with the provider and post with ``ppob reconcile-adjust``."""

    ref_id: str
    kind: str
    #: The statement's price (minor units).
    provider_price: int
    #: The amount of the adjustment (minor units), as ``reconcile-adjust`` takes it.
    amount: int


@attrs.frozen
class Report:
    provider: str
    statement_rows: int
    matched: int
    mismatched: list[Line]
    missing_locally: list[Line]
    missing_at_provider: list[Line]
    provider_total: int
    local_total: int
    proposed: list[Proposal] = attrs.field(factory=list)
    #: The deposit kopcore expects (``None`` until a top-up was recorded) and the provider's.
    expected_deposit: int | None = None
    provider_deposit: int | None = None


def _rows(text: str) -> list[dict[str, str]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    fields = {f.strip().lower() for f in reader.fieldnames or []}
    missing = {"ref_id", "status", "price"} - fields
    if missing:
        raise ValidationError(_("statement: missing column(s) {columns}",
                                columns=', '.join(sorted(missing))),
                              field="csv")
    rows = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise ValidationError(_("statement: more than {max_rows} rows",
                                    max_rows=MAX_ROWS), field="csv")
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()})
    return rows


def _price(value: str, ref_id: str) -> int:
    """Whole rupiah, written either way: ``10125``, ``10125.00``, ``10125,00``, ``10.125``,
    ``10,125``, ``10.125,00`` or ``10,125.00``.

    With both separators the last one is the decimal separator; with one kind only, it separates
    thousands when it occurs more than once or is followed by exactly three digits (rupiah have
    no third decimal), and decimals otherwise."""
    text = value.replace(" ", "")
    marks = [c for c in text if c in ".,"]
    if marks:
        last = max(text.rfind("."), text.rfind(","))
        if len(set(marks)) == 2:
            decimal: str | None = text[last]
        elif len(marks) > 1 or len(text) - last - 1 == 3:
            decimal = None
        else:
            decimal = marks[0]
        thousands = {".", ","} - {decimal}
        text = "".join(c for c in text if c not in thousands)
        if decimal is not None:
            text = text.replace(decimal, ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise ValidationError(_("statement: ref_id {ref_id}: price '{price}' is not whole rupiah",
                                ref_id=ref_id, price=value),
                              field="csv")
    return int(amount)


def reconcile(ctx: Context, text: str, date_from: date | None, date_to: date | None,
              provider: str | None = None, closing_balance: int | None = None) -> Report:
    """Compare the statement with our transactions (see the module). ``closing_balance``: the
    statement's deposit at its end, minor units; the last reported deposit otherwise."""
    provider = provider or catalogue.provider_name(ctx)
    if provider not in registry(ctx):
        raise NotFound(_("no PPOB provider named '{provider}'",
                         provider=provider))
    first = date_from or ctx.business_date
    last = date_to or first
    if last < first:
        raise ValidationError(_("date_to is before date_from"), field="date_to")
    unit = catalogue.scale(ctx)
    statement: dict[str, tuple[str, int]] = {}
    rows = _rows(text)
    for row in rows:
        ref_id = row.get("ref_id", "")
        status = STATUS.get(row.get("status", "").lower())
        if not ref_id or status is None:
            raise ValidationError(_("statement: row {ref_id} has no ref_id or an unknown status "
                                    "'{status}'", ref_id=ref_id or "?",
                                    status=row.get("status", "")), field="csv")
        if ref_id in statement:
            raise ValidationError(_("statement: ref_id {ref_id} appears twice",
                                    ref_id=ref_id), field="csv")
        statement[ref_id] = (status, _price(row.get("price", ""), ref_id))
    c = tables.transactions.c
    local = {t.ref_id: t for t in (
        flow.require_txn(ctx, ref) for ref in ctx.conn.execute(
            sa.select(c.ref_id).where(c.provider == provider, c.status != flow.INQUIRED,
                                      c.created_on >= first, c.created_on <= last)
            .order_by(c.id)).scalars())}
    matched = 0
    mismatched, missing_locally, missing_at_provider = [], [], []
    proposed: list[Proposal] = []
    for ref_id, (status, price) in statement.items():
        txn = local.get(ref_id)
        if txn is None:
            missing_locally.append(Line(ref_id, f"{status} Rp{price:,} on the statement only"))
            if status == "success" and flow.get_txn(ctx, ref_id) is None:
                proposed.append(Proposal(ref_id, deposits.UNRECORDED, price * unit,
                                         price * unit))
            continue
        ours = flow.cost_of(txn) // unit
        if txn.status != status:
            mismatched.append(Line(ref_id, f"statement {status}, ours {txn.status}"))
        elif status == "success" and price != ours:
            mismatched.append(Line(ref_id, f"statement price Rp{price:,}, ours Rp{ours:,}"))
            proposed.append(Proposal(ref_id, deposits.PRICE, price * unit,
                                     abs(price - ours) * unit))
        else:
            matched += 1
    for ref_id, txn in local.items():
        if ref_id not in statement and txn.status in (flow.SUCCESS, flow.PENDING):
            missing_at_provider.append(Line(ref_id, f"ours {txn.status}, not on the statement"))
    provider_total = sum(p for s, p in statement.values() if s == "success") * unit
    local_total = sum(flow.cost_of(t) for t in local.values() if t.status == flow.SUCCESS)
    expected = deposits.expected(ctx, provider) if deposits.recorded(ctx, provider) else None
    reported = closing_balance if closing_balance is not None else \
        deposits.reported(ctx, provider)
    return Report(provider, len(rows), matched, mismatched, missing_locally, missing_at_provider,
                  provider_total, local_total, proposed, expected, reported)
