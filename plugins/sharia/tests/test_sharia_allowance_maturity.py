"""The allowance (PPAP) on murabahah, formed per kolektibilitas class at end of day with one
entry per chunk, and mudharabah deposits paid out or rolled over at maturity exactly once.

Both run through one month of ends of day (31 January - 1 March), the shortest that lets an
installment fall due and a one-month deposit mature."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from kopcore_sharia import mudharabah
from kopcore_sharia.tables import deposit_maturities
from sharia_coop import CASH, Coop

from kopcore import query
from kopcore.errors import Conflict, ValidationError

ALLOWANCE = "sharia.financing_allowance"
EXPENSE = "sharia.allowance_expense"


def allowance_entries(coop: Coop) -> list[tuple[date, int]]:
    """(date, debit total) of the allowance adjustments, in order."""
    e, p = query.journal_entries.c, query.postings.c
    return coop.kernel.read("auditor", lambda ctx: [
        (r.business_date, ctx.conn.execute(
            sa.select(sa.func.count()).where(p.entry_id == r.id)).scalar_one())
        for r in ctx.conn.execute(sa.select(e.id, e.business_date)
                                  .where(e.memo.like("Penyesuaian PPAP%")).order_by(e.id))])


def by_class(report: dict) -> dict[str, tuple[str, int, str, str, str]]:
    return {c["code"]: (c["rate"], c["contracts"], c["base"]["amount"],
                        c["required"]["amount"], c["formed"]["amount"])
            for c in report["classes"] if c["contracts"] or c["formed"]["amount"] != "0.00"}


def test_allowance_and_deposit_maturity_over_one_month(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    siti, budi = coop.member(), coop.member("Budi Santoso")
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="DEP", name="Deposito",
              nisbah="60")
    wadiah = coop.call("sharia.wadiah-open", member=siti)["number"]
    place = {"member": siti, "pool": "DEP", "kind": "deposit", "term_months": 1,
             "cash_account": CASH}
    coop.refused(ValidationError, "sharia.mudharabah-open", **place, amount="1000",
                 at_maturity="payout")  # paid out to which account?
    paid = coop.call("sharia.mudharabah-open", **place, amount="5000000", at_maturity="payout",
                     settlement_account=wadiah)["holding"]
    assert (paid["maturity_on"], paid["at_maturity"], paid["settlement_account"]) == (
        "2026-02-28", "payout", wadiah)
    rolled = coop.call("sharia.mudharabah-open", **place, amount="2000000")["holding"]
    assert rolled["at_maturity"] == "hold"
    p, r = paid["account"]["number"], rolled["account"]["number"]
    # The instruction changes before maturity; an early withdrawal is refused.
    changed = coop.call("sharia.mudharabah-maturity", account=r, at_maturity="rollover")
    assert changed["at_maturity"] == "rollover"
    coop.refused(Conflict, "sharia.mudharabah-withdraw", account=r, amount="2000000",
                 cash_account=CASH)

    # Base = receivable net of deferred margin: 12,000,000 - 2,000,000 = 10,000,000.
    a = coop.call("sharia.murabahah-contract", member=siti,
                  acquisition=coop.acquire(siti, "10000000"), margin="2000000",
                  installments=10)["murabahah"]["account"]["number"]
    # Base 3,333,333: one installment of 4,000,000 due 28 February.
    b = coop.call("sharia.murabahah-contract", member=budi,
                  acquisition=coop.acquire(budi, "3333333"), margin="666667",
                  installments=1)["murabahah"]["account"]["number"]
    rates = {c["code"]: c["allowance_rate"] for c in coop.call(
        "sharia.collectibility-classes", as_user="auditor")["classes"]}
    assert rates == {"1": "0.5", "2": "10", "3": "50", "4": "100"}  # DOMAIN.md §3
    coop.close_days(date(2026, 2, 1))  # end of day 31 January
    # Lancar 0.5 %: 10,000,000 -> 50,000; 3,333,333 -> 16,666.665 -> 16,667 (half up).
    net = coop.gl_net()
    assert (net[ALLOWANCE], net[EXPENSE]) == (-6_666_700, 6_666_700)
    report = coop.call("sharia.allowance-report", as_user="auditor")
    assert by_class(report) == {"1": ("0.5", 2, "13333333.00", "66667.00", "66667.00")}
    assert report["ledger_balance"]["amount"] == "66667.00"
    # A paid installment lowers the base at once (9,000,000 -> 45,000 required) and the
    # allowance at the next end of day.
    coop.call("sharia.murabahah-pay", account=a, cash_account=CASH)
    report = coop.call("sharia.allowance-report", as_user="auditor")
    assert (report["required"]["amount"], report["formed"]["amount"],
            report["shortfall"]["amount"]) == ("61667.00", "66667.00", "-5000.00")
    # Here a day late is already Kurang Lancar (its 10 % unchanged).
    coop.call("sharia.collectibility-set", as_user="manager", code="2", name="Kurang Lancar",
              min_days=1)
    coop.refused(ValidationError, "sharia.collectibility-set", as_user="manager", code="3",
                 name="Diragukan", min_days=121, allowance_rate="0.125")
    coop.refused(ValidationError, "sharia.collectibility-set", as_user="manager", code="3",
                 name="Diragukan", min_days=121, allowance_rate="100.01")
    coop.close_days(date(2026, 3, 1))  # ends of day 1 - 28 February

    # At the end of 28 February the deposits matured: one paid out, one rolled over.
    assert coop.balance(wadiah) == "5000000.00"
    gone = coop.call("sharia.mudharabah-detail", account=p)
    assert (gone["account"]["status"], gone["payout_account"]) == ("closed", wadiah)
    again = coop.call("sharia.mudharabah-detail", account=r)
    # The same term from the opening date: 31 March, not 28 March.
    assert (again["maturity_on"], again["rollovers"], again["account"]["balance"]["amount"]) == (
        "2026-03-31", 1, "2000000.00")
    coop.refused(Conflict, "sharia.mudharabah-withdraw", account=r, amount="2000000",
                 cash_account=CASH)
    coop.refused(Conflict, "sharia.mudharabah-maturity", account=p, at_maturity="rollover")
    # Running the day's maturity again changes nothing.
    before = coop.snapshot()
    assert coop.kernel.write("system", lambda ctx: mudharabah.mature_chunk(
        ctx, date(2026, 2, 28), 0, 10**9)) == 0
    assert coop.snapshot() == before
    done = coop.kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(deposit_maturities.c.action, deposit_maturities.c.amount,
                  deposit_maturities.c.next_maturity_on)
        .order_by(deposit_maturities.c.account_id)).all())
    assert [tuple(d) for d in done] == [("payout", 500_000_000, None),
                                        ("rollover", 200_000_000, date(2026, 3, 31))]
    # The paid-out deposit still shares February (its maturity day included), paid to the
    # wadiah: 700,000 * 5/7 * 60 % = 300,000; the rolled-over one 700,000 * 2/7 * 60 % = 120,000.
    out = coop.call("sharia.mudharabah-distribute", as_user="manager", pool="DEP",
                    month="2026-02-01", distributable_income="700000")
    assert {s["account"]: s["share"]["amount"] for s in out["shares"]} == {
        p: "300000.00", r: "120000.00"}
    assert (coop.balance(wadiah), coop.balance(r)) == ("5300000.00", "2120000.00")

    coop.close_days(date(2026, 3, 2))  # B was due 28 February: a day late at the end of 1 March
    report = coop.call("sharia.allowance-report", as_user="auditor")
    assert by_class(report) == {"1": ("0.5", 1, "9000000.00", "45000.00", "45000.00"),
                                "2": ("10", 1, "3333333.00", "333333.00", "333333.00")}
    # Settling B releases its allowance at the next end of day; a new rate applies to A.
    coop.call("sharia.murabahah-settle", account=b, cash_account=CASH)
    coop.call("sharia.collectibility-set", as_user="manager", code="1", name="Lancar",
              min_days=0, allowance_rate="1.25")
    coop.close_days(date(2026, 3, 3))
    report = coop.call("sharia.allowance-report", as_user="auditor")
    assert by_class(report) == {"1": ("1.25", 1, "9000000.00", "112500.00", "112500.00")}
    assert report["ledger_balance"]["amount"] == "112500.00"
    net = coop.gl_net()
    # 66,667 - 5,000 + 316,666 - 333,333 + 67,500 = 112,500, never an interest account.
    assert (net[ALLOWANCE], net[EXPENSE]) == (-11_250_000, 11_250_000)
    assert not [key for key in net if "interest" in key]
    # One two-line entry per day with a change (the contracts share one chunk).
    assert allowance_entries(coop) == [(date(2026, 1, 31), 2), (date(2026, 2, 1), 2),
                                       (date(2026, 3, 1), 2), (date(2026, 3, 2), 2)]
    coop.books_balance()
    for key in ("cash", "equity.grants"):  # a KSPPS: the whole chart is the unit's
        coop.call("sharia.unit-include", as_user="manager", gl_key=key)
    assert coop.call("sharia.unit-trial-balance", as_user="auditor")["balanced"] is True
