"""Musyarakah in the books: non-cash capital at fair value (PSAK 106 par. 28b), end of day
(days past due, kolektibilitas, allowance, the deferred gain amortised), NPF, member exit and
the interest veto. Figures by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import sqlalchemy as sa
from kopcore_sharia import health
from kopcore_sharia.musyarakah_tables import musyarakah
from sharia_coop import CASH, Coop

import kopcore
from kopcore.errors import ExitRefused, PostingVetoed, ValidationError
from kopcore.kernel import Kernel
from kopcore.records import GLAccountSpec, GLType
from kopcore.testing import verify_books

ASSET = "ASET-01"
GAIN, DEFERRED = "sharia.musyarakah_valuation_gain", "sharia.musyarakah_deferred_gain"
WEAR = "sharia.musyarakah_depreciation"


def postings(out: dict) -> dict[tuple[str, str], str]:
    return {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}


def test_a_machine_handed_over_at_fair_value(coop_from: Callable[[date], Coop]) -> None:
    """A machine carried at Rp50,000,000 goes into the member's business at its fair value
    60,000,000 for 4 months: the investment is 60,000,000, the 10,000,000 over the carrying
    value a deferred gain amortised 2,500,000 a month (par. 28b(i)); with 40 months of useful
    life left the investment is depreciated 60,000,000 / 40 = 1,500,000 a month (par. 29).
    Another carried at 50,000,000 and valued 45,000,000: a loss of 5,000,000 at once
    (par. 28b(ii)). A third, 12,000,000 for one carried at 10,000,000, returned the day it was
    handed over: its whole 2,000,000 gain is recognised at that end of day."""
    coop = coop_from(date(2026, 1, 10))
    coop.call("accounts.open-internal", name="Mesin produksi", gl_key="fixed_assets",
              number=ASSET)
    coop.call("entries.post", memo="Pembelian mesin", lines=[
        {"account": ASSET, "side": "debit", "amount": "110000000"},
        {"account": CASH, "side": "credit", "amount": "110000000"}])
    member = coop.member()
    terms = {"member": member, "business": "Konveksi seragam sekolah", "member_capital":
             "20000000", "member_contribution": "tempat usaha dan kas", "term_months": 4,
             "nisbah": "35", "form": "non_cash", "asset": "Mesin bordir komputer",
             "asset_account": ASSET}
    coop.refused(ValidationError, "sharia.musyarakah-contract", **terms, capital="60000000")
    coop.refused(ValidationError, "sharia.musyarakah-contract", **{
        **terms, "form": "cash", "cash_account": CASH}, capital="60000000",
        useful_life_months=40)  # a useful life is a non-cash asset's
    coop.refused(ValidationError, "sharia.musyarakah-contract", **{**terms,
                 "asset_account": None}, capital="60000000", carrying_value="50000000")
    member_acc = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.refused(ValidationError, "sharia.musyarakah-contract", **{**terms,
                 "asset_account": member_acc}, capital="60000000", carrying_value="50000000")
    made = coop.call("sharia.musyarakah-contract", **terms, capital="60000000",
                     carrying_value="50000000", useful_life_months=40)
    number = made["musyarakah"]["account"]["number"]
    assert postings(made) == {(number, "debit"): "60000000.00", (ASSET, "credit"): "50000000.00",
                              (f"GL-{DEFERRED}", "credit"): "10000000.00"}
    low = coop.call("sharia.musyarakah-contract", **terms, capital="45000000",
                    carrying_value="50000000")
    other = low["musyarakah"]["account"]["number"]
    assert postings(low) == {(other, "debit"): "45000000.00", (ASSET, "credit"): "50000000.00",
                             ("GL-sharia.musyarakah_valuation_loss", "debit"): "5000000.00"}
    coop.close_days(date(2026, 2, 10))  # a month not yet over at the last end of day
    assert coop.call("sharia.musyarakah-detail", account=number)["gain_recognised"][
        "amount"] == "0.00"
    coop.close_days(date(2026, 2, 11))
    month = coop.call("sharia.musyarakah-detail", account=number)
    assert (month["gain_recognised"]["amount"], month["depreciated"]["amount"],
            month["outstanding"]["amount"]) == ("2500000.00", "1500000.00", "58500000.00")
    assert (coop.gl_net()[GAIN], coop.gl_net()[WEAR]) == (-250_000_000, 150_000_000)
    quick = coop.call("sharia.musyarakah-contract", **terms, capital="12000000",
                      carrying_value="10000000")["musyarakah"]["account"]["number"]
    coop.call("sharia.musyarakah-return", account=quick, amount="12000000", cash_account=CASH)
    coop.close_days(date(2026, 2, 12))
    assert coop.call("sharia.musyarakah-detail", account=quick)["gain_recognised"][
        "amount"] == "2000000.00"
    coop.close_days(date(2026, 5, 20))
    whole = coop.call("sharia.musyarakah-detail", account=number)
    assert (whole["gain_recognised"]["amount"], whole["depreciated"]["amount"],
            whole["outstanding"]["amount"]) == ("10000000.00", "6000000.00", "54000000.00")
    assert coop.call("sharia.musyarakah-detail", account=other)["depreciated"][
        "amount"] == "0.00"
    net = coop.gl_net()
    assert (net[GAIN], net.get(DEFERRED, 0), net[WEAR]) == (-1_200_000_000, 0, 600_000_000)
    coop.books_balance()


def test_end_of_day_ages_classifies_and_provides(coop_from: Callable[[date], Coop]) -> None:
    """Kurang Lancar from 1 day (10 %), Lancar 0.5 %: a mutanaqisah of Rp3,000,000 a day late
    needs 300,000; a permanent musyarakah of 7,000,000 not yet due 35,000; NPF 3 / 10 = 30 %.
    After the installment (1,000,000 of the share bought) Lancar again: 10,000 + 35,000."""
    coop = coop_from(date(2026, 1, 1))
    coop.call("sharia.collectibility-set", as_user="manager", code="2", name="Kurang Lancar",
              min_days=1)
    siti, budi = coop.member("Siti Aminah"), coop.member("Budi Santoso")
    mmq = coop.call("sharia.musyarakah-contract", member=siti, kind="diminishing",
                    business="Gerobak bakso", capital="3000000", member_capital="1000000",
                    member_contribution="kas", term_months=3, installments=3, ujrah="400000",
                    cash_account=CASH)["musyarakah"]["account"]["number"]
    coop.close_days(date(2026, 1, 31))
    permanent = coop.call("sharia.musyarakah-contract", member=budi, business="Kios pulsa",
                          capital="7000000", member_capital="3000000",
                          member_contribution="kas", term_months=12, nisbah="30",
                          cash_account=CASH)["musyarakah"]["account"]["number"]
    coop.refused(ExitRefused, "members.exit", member=budi, reason="resigned",
                 payout_account=CASH)
    coop.close_days(date(2026, 2, 2))  # end of day of 1 February: due that day, not late
    assert coop.call("sharia.musyarakah-detail", account=mmq)["days_past_due"] == 0
    coop.close_days(date(2026, 2, 3))
    late = coop.call("sharia.musyarakah-detail", account=mmq)
    assert (late["days_past_due"], late["collectibility"], late["allowance"]["amount"]) == (
        1, "2", "300000.00")
    assert coop.call("sharia.musyarakah-detail", account=permanent)["allowance"][
        "amount"] == "35000.00"
    assert coop.gl_net()["sharia.financing_allowance"] == -33_500_000
    book = coop.call("sharia.musyarakah-portfolio", as_user="auditor")
    assert [(c["code"], c["contracts"], c["outstanding"]["amount"]) for c in book["classes"]] == [
        ("1", 1, "7000000.00"), ("2", 1, "3000000.00"), ("3", 0, "0.00"), ("4", 0, "0.00")]
    assert (book["outstanding"]["amount"], book["non_performing"]["amount"], book["npf"]) == (
        "10000000.00", "3000000.00", "30.00")
    # The health assessment's NPF (KSPPS regime) counts the same investments: Kurang Lancar
    # weighs 50 % in the problem-financing risk.
    figures = {f.key: f.value for f in coop.kernel.read(
        "auditor", lambda ctx: health.health_figures(ctx, date(2026, 2, 2)))}
    assert (figures[health.OUTSTANDING], figures[health.NON_PERFORMING],
            figures[health.PROBLEM_RISK]) == (1_000_000_000, 300_000_000, 150_000_000)
    coop.call("sharia.musyarakah-pay", account=mmq, cash_account=CASH)
    coop.close_days(date(2026, 2, 4))
    again = coop.call("sharia.musyarakah-detail", account=mmq)
    assert (again["days_past_due"], again["collectibility"], again["allowance"]["amount"]) == (
        0, "1", "10000.00")
    assert coop.gl_net()["sharia.financing_allowance"] == -4_500_000
    coop.books_balance()


class Conventional:
    """A stand-in conventional unit with an interest account."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return [GLAccountSpec("conv.interest_income", "4991", "Pendapatan Bunga", GLType.INCOME)]


def test_no_interest_beside_musyarakah(make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", Conventional()),)))
    member = coop.member()
    number = coop.call("sharia.musyarakah-contract", member=member, business="Warung makan",
                       capital="1000000", member_capital="1000000", member_contribution="kas",
                       term_months=6, nisbah="50", cash_account=CASH)["musyarakah"]["account"][
        "number"]
    for sharia in (number, "GL-sharia.musyarakah_income", "GL-sharia.musyarakah_loss",
                   "GL-sharia.musyarakah_deferred_gain"):
        coop.refused(PostingVetoed, "entries.post", memo="bunga", lines=[
            {"account": sharia, "side": "debit", "amount": "1000"},
            {"account": "GL-conv.interest_income", "side": "credit", "amount": "1000"}])


def test_verify_finds_a_contract_edited_in_the_database(coop: Coop) -> None:
    member = coop.member()
    number = coop.call("sharia.musyarakah-contract", member=member, business="Warung makan",
                       capital="1000000", member_capital="1000000", member_contribution="kas",
                       term_months=6, nisbah="50", cash_account=CASH)["musyarakah"]["account"][
        "number"]
    coop.call("sharia.musyarakah-return", account=number, amount="400000", cash_account=CASH)

    def errors() -> list[str]:
        return [p.kind for p in coop.kernel.read("auditor", verify_books).errors]

    assert errors() == []
    with coop.kernel.db.engine.begin() as conn:  # a return recorded without its entry
        conn.execute(sa.update(musyarakah).values(returned=musyarakah.c.returned + 100000))
    assert errors() == ["sharia.musyarakah_outstanding_differs"]
