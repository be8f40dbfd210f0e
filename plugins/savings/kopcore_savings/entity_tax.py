"""Withholding tax on the savings interest of a member that is a legal entity (badan hukum:
another cooperative, a PT, CV, firm or foundation — the member's ``kind``).

PP 15/2009 (PPh final, 0 % up to Rp240,000 a month, 10 % of the whole month above it) applies,
by its Pasal 1, only to interest paid by a cooperative to a member who is a person (*anggota
koperasi orang pribadi*). Since UU 36/2008 (in force 1 January 2009) interest paid to any
other domestic taxpayer is income under Pasal 23 of the income tax law: the payer withholds
**15 % of the gross interest** (Pasal 23 ayat (1) huruf a), with **no threshold** (the
exemption of Pasal 23 ayat (4) for cooperative savings interest is for members who are
persons), and the tax is **not final**: the member credits it in its own annual return, so
it is reported on a PPh pasal 23 slip and return, not in the PPh 4(2) recap. A payee without
an NPWP is withheld 100 % more (Pasal 23 ayat (1a)): 30 %.

Each month's interest of an entity's account is taxed on its own gross (``gross * rate``,
rounded half up to the product's rounding unit), whatever the month's total; the rates are
the ones in force for the month the interest was earned in (:data:`ENTITY_RATES`, each from
its date). A bank, and an entity holding a Surat Keterangan Bebas valid on the payment
date, is paid without withholding (:mod:`kopcore_savings.tax_exemptions`). The settlement's
monthly rows, its records and credits are adjusted in place after
the person rules (and the member aggregation) have judged them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from fractions import Fraction

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.ledger import MemberKind
from kopcore_savings import interest, tax_exemptions
from kopcore_savings.products import PPM, SavingsProduct
from kopcore_savings.settlement import Settlement

#: Where the withholding of a person's and an entity's interest is reported.
BASIS_PERSON = "pph-4-2"
BASIS_ENTITY = "pph-23"


@attrs.frozen
class EntityRate:
    """Pasal 23 rates (ppm) on interest paid to a legal entity, from ``valid_from``."""

    valid_from: date
    rate_ppm: int
    #: Without an NPWP: 100 % higher (Pasal 23 ayat (1a)).
    rate_without_npwp_ppm: int
    source: str


ENTITY_RATES: tuple[EntityRate, ...] = (
    EntityRate(date(2009, 1, 1), 150_000, 300_000,
               "UU 7/1983 as amended by UU 36/2008, Pasal 23 ayat (1) huruf a and ayat (1a)"),
)


def rate_in(month: date, has_npwp: bool) -> int:
    """The Pasal 23 rate (ppm) in force for interest earned in ``month``."""
    rate = 0
    for change in ENTITY_RATES:
        if change.valid_from <= month:
            rate = change.rate_ppm if has_npwp else change.rate_without_npwp_ppm
    return rate


def entity_tax(product: SavingsProduct, month: str, gross: int, has_npwp: bool) -> int:
    """Pasal 23 on one month's gross interest of an entity: the rate on the whole gross, no
    threshold, rounded half up to the product's unit."""
    rate = rate_in(date.fromisoformat(month + "-01"), has_npwp)
    if gross <= 0 or not rate:
        return 0
    return interest.round_half_up(Fraction(gross * rate, PPM), product.rounding_unit)


def entities(ctx: Context, member_ids: Iterable[int]) -> dict[int, bool]:
    """The legal entities among ``member_ids``: member id -> whether it has an NPWP."""
    m = query.members.c
    wanted = sorted(set(member_ids))
    return {member_id: npwp is not None for member_id, npwp in ctx.conn.execute(
        sa.select(m.id, m.npwp).where(m.id.in_(wanted), m.kind != MemberKind.PERSON.value))}


def basis_of(kind: MemberKind) -> str:
    return BASIS_PERSON if kind is MemberKind.PERSON else BASIS_ENTITY


def rejudge(ctx: Context, settlement: Settlement,
            products: dict[int, SavingsProduct]) -> None:
    """Tax the months of the entities' accounts by Pasal 23 (in place; nothing for an entity
    exempt on the payment date, the business date): their rows' tax,
    their accounts' records and credits, and the total. Catch-up rows of the person rules
    (tax on interest paid earlier in a month that only now crossed the threshold) do not
    apply to an entity, whose every month was taxed in full when paid."""
    found = entities(ctx, (r["member_id"] for r in settlement.monthly))
    if not found:
        return
    exempt = tax_exemptions.in_force(ctx, found, ctx.business_date)
    settlement.monthly = [r for r in settlement.monthly
                          if not (r["member_id"] in found and r["gross"] == 0)]
    tax_by_account: dict[int, int] = defaultdict(int)
    for row in settlement.monthly:
        if row["member_id"] in found:
            row["tax"] = 0 if row["member_id"] in exempt else entity_tax(
                products[row["account_id"]], row["month"], row["gross"], found[row["member_id"]])
            tax_by_account[row["account_id"]] += row["tax"]
    for record in settlement.records:
        if record["account_id"] in tax_by_account:
            record["tax"] = tax_by_account[record["account_id"]]
    a = query.accounts.c
    numbers = dict(ctx.conn.execute(
        sa.select(a.id, a.number)
        .where(a.id.in_([r["account_id"] for r in settlement.records]))).all())
    settlement.credits = [(numbers[r["account_id"]], r["gross"] - r["tax"])
                          for r in sorted(settlement.records, key=lambda r: r["account_id"])
                          if r["account_id"] in numbers and r["gross"] - r["tax"] > 0]
    settlement.tax = sum(r["tax"] for r in settlement.records)
