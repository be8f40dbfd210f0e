"""Musyarakah financing, the cooperative the passive partner (Fatwa DSN-MUI 08/2000, PSAK 406
formerly PSAK 106), with figures worked by hand.

The permanent musyarakah follows the illustration of an e-module of Akuntansi Perbankan Syariah
(SMK kelas XI, "Akad Musyarakah"): Bank Permata Syariah puts Rp300,000,000 beside PT Merah
Putih's Rp100,000,000 into a catfish farm; a loss of Rp40,000,000 is borne by capital, 300/400 x
40,000,000 = Rp30,000,000 by the bank (Dr Kerugian musyarakah / Cr Investasi musyarakah). Here
the cooperative is the bank and a member the partner; the nisbah agreed is 40 % for the
cooperative, so a month's profit of Rp20,000,000 brings it 8,000,000 (PSAK 106 par. 34: income
by the nisbah agreed, loss by the capital contributed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, NotFound, ValidationError

INVESTMENT, INCOME = "sharia.musyarakah_investment", "sharia.musyarakah_income"
LOSS, RECEIVABLE = "sharia.musyarakah_loss", "sharia.musyarakah_receivable"


def postings(out: dict) -> dict[tuple[str, str], str]:
    return {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}


def test_the_catfish_farm_profit_by_nisbah_loss_by_capital(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 5))
    member = coop.member("Hasan Basri")
    terms = {"member": member, "business": "Ternak lele Merah Putih", "capital": "300000000",
             "member_capital": "100000000", "member_contribution": "kas dan kolam",
             "term_months": 3, "cash_account": CASH, "basis": "profit"}
    coop.refused(ValidationError, "sharia.musyarakah-contract", **terms)  # no nisbah agreed
    coop.refused(ValidationError, "sharia.musyarakah-contract", **terms, nisbah="100")
    coop.refused(ValidationError, "sharia.musyarakah-contract", **{
        **terms, "member_capital": "0"}, nisbah="40")  # a partnership: both contribute
    made = coop.call("sharia.musyarakah-contract", **terms, nisbah="40")
    deal = made["musyarakah"]
    number = deal["account"]["number"]
    assert number.startswith("MS")
    assert postings(made) == {(number, "debit"): "300000000.00", (CASH, "credit"): "300000000.00"}
    assert (deal["nisbah"], deal["ownership"], deal["maturity_on"], deal["next_due_on"]) == (
        "40", "75", "2026-04-05", "2026-02-05")  # 300 of 400 million
    report = {"account": number, "cash_account": CASH}
    coop.refused(Conflict, "sharia.musyarakah-report", **report, result="20000000")  # month open
    coop.close_days(date(2026, 2, 5))
    # Agreed at the report, paid later: the share is income and the partner owes it.
    first = coop.call("sharia.musyarakah-report", account=number, result="20000000",
                      memo="Laporan usaha Januari")
    assert first["report"]["share"]["amount"] == "8000000.00"  # 20,000,000 x 40 %
    share_owed = first["musyarakah"]["receivable"]
    assert postings(first) == {(share_owed, "debit"): "8000000.00",
                               (f"GL-{INCOME}", "credit"): "8000000.00"}
    coop.call("sharia.musyarakah-collect", account=share_owed, amount="8000000",
              cash_account=CASH)
    coop.close_days(date(2026, 3, 5))
    second = coop.call("sharia.musyarakah-report", **report, result="-40000000")
    assert second["report"]["share"]["amount"] == "-30000000.00"  # 300/400 of the loss
    assert postings(second) == {(f"GL-{LOSS}", "debit"): "30000000.00",
                                (number, "credit"): "30000000.00"}
    assert second["musyarakah"]["outstanding"]["amount"] == "270000000.00"
    coop.close_days(date(2026, 4, 5))
    # The partner sold stock without consent: the month's loss is the partner's own.
    third = coop.call("sharia.musyarakah-report", **report, result="-4000000",
                      negligence="BA pemeriksaan 03/2026: stok dijual tanpa persetujuan")
    assert (third["report"]["share"]["amount"], third["entry"]) == ("0.00", None)
    coop.refused(Conflict, "sharia.musyarakah-report", **report, result="1")  # term reported
    listed = coop.call("sharia.musyarakah-reports", account=number)["reports"]
    assert [(r["period"], r["result"]["amount"], r["share"]["amount"]) for r in listed] == [
        (1, "20000000.00", "8000000.00"), (2, "-40000000.00", "-30000000.00"),
        (3, "-4000000.00", "0.00")]
    # At the end the member returns 250,000,000; the 20,000,000 not returned is a receivable
    # from the partner (PSAK 106 par. 33), with its ground.
    coop.refused(ValidationError, "sharia.musyarakah-end", account=number, amount="250000000",
                 cash_account=CASH)
    ended = coop.call("sharia.musyarakah-end", account=number, amount="250000000",
                      cash_account=CASH, ground="BA pemeriksaan 03/2026")
    owed = ended["receivable"]["number"]
    assert owed.startswith("MP")
    assert owed != share_owed  # the first was paid and closed
    assert postings(ended) == {(CASH, "debit"): "250000000.00", (owed, "debit"): "20000000.00",
                               (number, "credit"): "270000000.00"}
    assert (ended["musyarakah"]["status"], ended["musyarakah"]["receivable"],
            ended["musyarakah"]["income"]["amount"], ended["musyarakah"]["losses"]["amount"]) == (
        "ended", owed, "8000000.00", "30000000.00")
    coop.refused(ValidationError, "sharia.musyarakah-collect", account=owed, amount="20000000.01",
                 cash_account=CASH)
    paid = coop.call("sharia.musyarakah-collect", account=owed, amount="20000000",
                     cash_account=CASH)
    assert paid["account"]["status"] == "closed"
    net = coop.gl_net()
    assert (net[INCOME], net[LOSS]) == (-800_000_000, 3_000_000_000)
    assert INVESTMENT not in net
    assert RECEIVABLE not in net
    coop.books_balance()


def test_a_partnership_before_maturity_cannot_end(coop: Coop) -> None:
    member = coop.member()
    made = coop.call("sharia.musyarakah-contract", member=member, business="Bengkel motor",
                     capital="5000000", member_capital="5000000", member_contribution="alat",
                     term_months=6, cash_account=CASH, nisbah="30")
    number = made["musyarakah"]["account"]["number"]
    coop.refused(Conflict, "sharia.musyarakah-end", account=number, amount="5000000",
                 cash_account=CASH)
    coop.refused(Conflict, "sharia.musyarakah-pay", account=number, cash_account=CASH)
    coop.refused(ValidationError, "sharia.musyarakah-return", account=number,
                 amount="5000000.01", cash_account=CASH)
    # Returned in two parts (the fatwa allows it gradually or at once): settled when nothing is
    # left.
    coop.call("sharia.musyarakah-return", account=number, amount="2000000", cash_account=CASH)
    done = coop.call("sharia.musyarakah-return", account=number, amount="3000000",
                     cash_account=CASH)
    assert (done["musyarakah"]["status"], done["musyarakah"]["returned"]["amount"],
            done["musyarakah"]["account"]["status"]) == ("settled", "5000000.00", "closed")
    coop.refused(NotFound, "sharia.musyarakah-detail", account=CASH)
    coop.books_balance()


def test_revenue_sharing_reports_revenue_never_a_negative_one(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    member = coop.member()
    made = coop.call("sharia.musyarakah-contract", member=member, business="Toko kelontong",
                     capital="10000000", member_capital="2500000", member_contribution="stok",
                     term_months=12, cash_account=CASH, nisbah="12.5")
    number = made["musyarakah"]["account"]["number"]
    assert made["musyarakah"]["next_due_on"] == "2026-02-28"  # month end clamped
    coop.close_days(date(2026, 2, 28))
    coop.refused(ValidationError, "sharia.musyarakah-report", account=number,
                 result="-100000", cash_account=CASH)
    # Revenue 3,333,333 x 12.5 % = 416,666.625: Rp416,667 rounded half up.
    out = coop.call("sharia.musyarakah-report", account=number, result="3333333",
                    cash_account=CASH)
    assert out["report"]["share"]["amount"] == "416667.00"
    assert out["musyarakah"]["next_due_on"] == "2026-03-31"
    coop.books_balance()
