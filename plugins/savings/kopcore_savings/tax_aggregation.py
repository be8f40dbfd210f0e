"""Withholding tax judged on a member's accounts together (the policy's ``tax_aggregation``
``member``; PP 15/2009, DOMAIN.md §2).

By default each account's interest of a calendar month is judged alone against the threshold
(Rp240,000). With aggregation the threshold is judged on the **sum** of the member's interest of
the month, over every account (sukarela and time deposits), and when the sum is above it each
account's interest of that month is taxed on its own gross (``gross * rate``, rounded half up
to the product's unit), each with its product's rate and threshold in force for the month.

A posting judges a member's month on what it pays plus what was already paid for that month
(``savings_interest_months``). When the month crosses the threshold only now, the tax due on the
interest already paid untaxed in it (a time deposit that matured earlier in the month, an
account closed, an earlier chunk) is withheld from what this posting pays the member — at most
what it pays; the rest stays owed and is withheld by the next payment of the month. It is
recorded against the account that earned the interest (a row with gross 0 and that tax), so a
slip shows each account's interest of the month with the tax on it.

A time deposit paid at maturity is judged the same way (:func:`judge_payment`), month by month
of its term, on the member's interest of each month paid so far.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore_savings import entity_tax, interest
from kopcore_savings.policy import TaxAggregation, get_policy
from kopcore_savings.products import PPM, SavingsProduct, list_products
from kopcore_savings.settlement import Settlement
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import interest_months

MemberMonth = tuple[int, str]


def _tax(product: SavingsProduct, month: str, gross: int, total: int) -> int:
    rate, threshold = product.tax_in(date.fromisoformat(month + "-01"))
    if total > threshold and rate and gross > 0:
        return interest.round_half_up(Fraction(gross * rate, PPM), product.rounding_unit)
    return 0


def products_of(ctx: Context, account_ids: set[int]) -> dict[int, SavingsProduct]:
    """Each savings account's product (for the rate and threshold in force in a month)."""
    by_code = {p.code: p for p in list_products(ctx)}
    s = savings_accounts.c
    return {account_id: by_code[code] for account_id, code in ctx.conn.execute(
        sa.select(s.account_id, s.product_code).where(s.account_id.in_(account_ids)))}


def _earlier(ctx: Context, keys: set[MemberMonth]) -> dict[MemberMonth, list[Any]]:
    m = interest_months.c
    found: dict[MemberMonth, list[Any]] = defaultdict(list)
    members = {member for member, _ in keys}
    months = {month for _, month in keys}
    for row in ctx.conn.execute(
            sa.select(m.account_id, m.member_id, m.month, m.source, m.gross, m.tax)
            .where(m.member_id.in_(members), m.month.in_(months))):
        if (row.member_id, row.month) in keys:
            found[(row.member_id, row.month)].append(row)
    return found


def judge(ctx: Context, settlement: Settlement) -> None:
    """The settlement's withholding as posted: the person rules per account (as computed),
    per member when the policy aggregates (:func:`aggregate`), then Pasal 23 for the members
    that are legal entities (:mod:`kopcore_savings.entity_tax`)."""
    if not settlement.monthly:
        return
    aggregate(ctx, settlement)
    entity_tax.rejudge(ctx, settlement, products_of(
        ctx, {r["account_id"] for r in settlement.monthly}))


def aggregate(ctx: Context, settlement: Settlement) -> None:
    """Re-judge the settlement's monthly tax per member when the policy aggregates (changed in
    place: the months' tax, catch-up rows, each account's record, credits and the total)."""
    if not settlement.monthly or \
            get_policy(ctx).tax_aggregation is not TaxAggregation.MEMBER:
        return
    keys = {(r["member_id"], r["month"]) for r in settlement.monthly}
    earlier = _earlier(ctx, keys)
    products = products_of(ctx, {r["account_id"] for r in settlement.monthly}
                         | {row.account_id for rows in earlier.values() for row in rows})
    current: dict[MemberMonth, list[dict[str, Any]]] = defaultdict(list)
    for row in settlement.monthly:
        current[(row["member_id"], row["month"])].append(row)
    owed: dict[int, list[dict[str, Any]]] = defaultdict(list)  # member -> catch-up rows
    for key, rows in current.items():
        total = sum(r["gross"] for r in rows) + sum(int(r.gross) for r in earlier[key])
        for row in rows:
            row["tax"] = _tax(products[row["account_id"]], key[1], row["gross"], total)
        due: dict[tuple[int, str], int] = defaultdict(int)
        for old in earlier[key]:
            if int(old.gross) > 0 and int(old.tax) == 0:
                due[(old.account_id, old.source)] += _tax(products[old.account_id], key[1],
                                                          int(old.gross), total)
            elif int(old.gross) == 0:
                due[(old.account_id, old.source)] -= int(old.tax)
        for (account_id, source), tax in sorted(due.items()):
            if tax > 0:
                owed[key[0]].append({"account_id": account_id, "member_id": key[0],
                                     "month": key[1], "source": source, "gross": 0,
                                     "tax": tax, "paid_on": ctx.business_date})
    _rebuild(ctx, settlement, owed)


def judge_payment(ctx: Context, account_id: int, member_id: int, source: str,
                  months: list[interest.MonthAmount]
                  ) -> tuple[list[interest.MonthAmount], list[dict[str, Any]]]:
    """:func:`judge` for one account's payment outside a posting run (a time deposit at
    maturity): its months with their tax judged on the member's month, and the catch-up rows
    of tax on interest already paid in those months, withheld from this payment."""
    rows = interest.month_rows(account_id, member_id, months, source=source,
                               paid_on=ctx.business_date)
    settlement = Settlement(records=[{"account_id": account_id,
                                      "gross": sum(m.gross for m in months),
                                      "tax": sum(m.tax for m in months)}], monthly=rows)
    judge(ctx, settlement)
    taxed = {r["month"]: r["tax"] for r in settlement.monthly
             if r["account_id"] == account_id and r["gross"] > 0}
    judged = [interest.MonthAmount(m.month, m.gross, taxed.get(m.month.strftime("%Y-%m"), m.tax))
              for m in months]
    return judged, [r for r in settlement.monthly if r["gross"] == 0]


def _rebuild(ctx: Context, settlement: Settlement,
             owed: dict[int, list[dict[str, Any]]]) -> None:
    """Each account's tax from its months; catch-up tax withheld from the member's accounts
    paid now (largest net first, at most what they are paid); credits and total again."""
    tax_by_account: dict[int, int] = defaultdict(int)
    member_of: dict[int, int] = {}
    for row in settlement.monthly:
        tax_by_account[row["account_id"]] += row["tax"]
        member_of[row["account_id"]] = row["member_id"]
    records = {r["account_id"]: r for r in settlement.records}
    for record in settlement.records:
        if record["account_id"] in member_of:
            record["tax"] = tax_by_account[record["account_id"]]
    for member_id, rows in owed.items():
        paying = sorted((r for a, r in records.items() if member_of.get(a) == member_id),
                        key=lambda r: (-(r["gross"] - r["tax"]), r["account_id"]))
        for row in rows:
            left = row["tax"]
            for record in paying:
                take = min(left, record["gross"] - record["tax"])
                record["tax"] += take
                left -= take
            row["tax"] -= left
            if row["tax"]:
                settlement.monthly.append(row)
    numbers = dict(ctx.conn.execute(sa.select(query.accounts.c.id, query.accounts.c.number)
                                    .where(query.accounts.c.id.in_(list(member_of)))).all())
    settlement.credits = [(numbers[r["account_id"]], r["gross"] - r["tax"])
                          for r in sorted(settlement.records, key=lambda r: r["account_id"])
                          if r["account_id"] in numbers and r["gross"] - r["tax"] > 0]
    settlement.tax = sum(r["tax"] for r in settlement.records)
