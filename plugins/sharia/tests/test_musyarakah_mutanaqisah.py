"""Musyarakah mutanaqisah (Fatwa DSN-MUI 73/2008): the member buys the cooperative's share by
installments, each with the cooperative's part of the ujrah, its nisbah following ownership.

The house follows a common illustration of KPR syariah under musyarakah mutanaqisah: a house of
Rp200,000,000, the bank's share 80 % (Rp160,000,000) and the customer's 20 % (Rp40,000,000),
leased to the customer for 10 years at Rp1,320,000 a month, the rent shared by the agreed
portions while the customer buys the bank's share every month, owning it all at the end.
By hand, with the share bought 160,000,000 / 120 = 1,333,333.33 -> Rp1,333,333 (the last
installment 160,000,000 - 119 x 1,333,333 = Rp1,333,373):

- installment 1: ujrah part 1,320,000 x 160,000,000 / 200,000,000 = 1,056,000;
  1,333,333 + 1,056,000 = Rp2,389,333;
- installment 2: the cooperative owns 158,666,667: 1,320,000 x 158,666,667 / 200,000,000 =
  1,047,200.002 -> 1,047,200; total Rp2,380,533;
- installment 120: it owns 1,333,373: 1,320,000 x 1,333,373 / 200,000,000 = 8,800.26 -> 8,800.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, ValidationError

INCOME = "sharia.musyarakah_income"


def postings(out: dict) -> dict[tuple[str, str], str]:
    return {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}


def contract(coop: Coop, member: str, **terms: object) -> dict:
    return dict(coop.call("sharia.musyarakah-contract", member=member, kind="diminishing",
                          cash_account=CASH, **terms)["musyarakah"])


def test_the_house_bought_share_by_share(coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 1))
    member = coop.member("Rahmat Hidayat")
    house = {"business": "Rumah tinggal Perum Griya Asri blok C-7", "capital": "160000000",
             "member_capital": "40000000", "member_contribution": "uang muka 20 %",
             "term_months": 120}
    coop.refused(ValidationError, "sharia.musyarakah-contract", member=member,
                 kind="diminishing", cash_account=CASH, **house)  # no installments nor ujrah
    coop.refused(ValidationError, "sharia.musyarakah-contract", member=member,
                 kind="diminishing", cash_account=CASH, **house, installments=121,
                 ujrah="1320000")  # more installments than months
    coop.refused(ValidationError, "sharia.musyarakah-contract", member=member,
                 kind="diminishing", **house, installments=120, ujrah="1320000",
                 form="non_cash", asset="Rumah", asset_account=CASH,
                 carrying_value="160000000")  # PSAK 406 par. 32: cash paid
    deal = contract(coop, member, **house, installments=120, ujrah="1320000")
    number = deal["account"]["number"]
    assert number.startswith("MM")
    assert (deal["nisbah"], deal["ownership"]) == (None, "80")
    rows = coop.call("sharia.musyarakah-schedule", account=number)["installments"]
    assert len(rows) == 120
    figures = [(r["purchase"]["amount"], r["ujrah"]["amount"], r["total"]["amount"])
               for r in rows]
    assert figures[0] == ("1333333.00", "1056000.00", "2389333.00")
    assert figures[1] == ("1333333.00", "1047200.00", "2380533.00")
    assert figures[-1] == ("1333373.00", "8800.00", "1342173.00")
    assert sum(int(r["purchase"]["amount"][:-3]) for r in rows) == 160_000_000
    assert (rows[0]["due_on"], rows[-1]["due_on"]) == ("2026-02-01", "2036-01-01")
    # The interest-free books: the installment is a share bought and an ujrah part, nothing
    # else.
    paid = coop.call("sharia.musyarakah-pay", account=number, cash_account=CASH)
    assert postings(paid) == {(CASH, "debit"): "2389333.00", (number, "credit"): "1333333.00",
                              (f"GL-{INCOME}", "credit"): "1056000.00"}
    after = paid["musyarakah"]
    # The cooperative owns 158,666,667 of 200,000,000: 79.3333335 % (to the ppm, truncated).
    assert (after["ownership"], after["outstanding"]["amount"], after["next_due_on"]) == (
        "79.3333", "158666667.00", "2026-03-01")
    assert after["next_installment"]["total"]["amount"] == "2380533.00"
    # Buying the rest at once: the whole remaining share, never a part of it.
    coop.refused(ValidationError, "sharia.musyarakah-return", account=number,
                 amount="100000000", cash_account=CASH)
    coop.refused(Conflict, "sharia.musyarakah-report", account=number, result="1000",
                 cash_account=CASH)
    bought = coop.call("sharia.musyarakah-return", account=number, amount="158666667",
                       cash_account=CASH)
    assert (bought["musyarakah"]["status"], bought["musyarakah"]["ownership"],
            bought["musyarakah"]["account"]["status"]) == ("settled", "0", "closed")
    coop.books_balance()


def test_every_installment_paid_the_member_owns_it_all(coop: Coop) -> None:
    """Rp3,000,000 of the cooperative beside 1,000,000, three installments, ujrah 400,000 a
    month: shares bought 1,000,000 each; ujrah parts 400,000 x 3/4 = 300,000, x 2/4 = 200,000,
    x 1/4 = 100,000."""
    member = coop.member()
    deal = contract(coop, member, business="Mesin jahit obras", capital="3000000",
                    member_capital="1000000", member_contribution="kas", term_months=3,
                    installments=3, ujrah="400000")
    number = deal["account"]["number"]
    totals = []
    for _ in range(3):
        out = coop.call("sharia.musyarakah-pay", account=number, cash_account=CASH)
        totals.append((out["installment"]["total"]["amount"],
                       out["installment"]["ujrah"]["amount"]))
    assert totals == [("1300000.00", "300000.00"), ("1200000.00", "200000.00"),
                      ("1100000.00", "100000.00")]
    done = coop.call("sharia.musyarakah-detail", account=number)
    assert (done["status"], done["ownership"], done["income"]["amount"],
            done["returned"]["amount"], done["outstanding"]["amount"],
            done["next_installment"]) == ("settled", "0", "600000.00", "3000000.00", "0.00",
                                          None)
    coop.refused(Conflict, "sharia.musyarakah-pay", account=number, cash_account=CASH)
    assert coop.gl_net()[INCOME] == -60_000_000
    coop.books_balance()
