"""Loss sharing (DOMAIN.md section 6, PSAK 105): under profit-loss sharing a pool's loss is borne
by the fund owners in proportion to their capital, unless the manager's negligence is recorded;
under revenue sharing there is revenue to share, never a loss."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from click.testing import CliRunner
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import Conflict

LOSS_GL = "sharia.loss_borne_by_owners"


def pool(coop: Coop, code: str, basis: str) -> None:
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code=code,
              name=f"Pool {code}", nisbah="60", basis=basis)


def line(account: str, side: str, amount: str) -> dict[str, str]:
    return {"account": account, "side": side, "amount": amount}


def test_the_fund_owners_bear_the_loss_in_proportion(coop_from: Callable[[date], Coop]
                                                     ) -> None:
    # Siti holds Rp10,000,000 and Budi Rp30,000,000 through February in a profit-loss
    # sharing pool; the unit's February costs exceed its income by Rp2,000,000: Siti bears
    # 2,000,000 x 10/40 = 500,000 and Budi 1,500,000 (the nisbah shares profit, not loss).
    coop = coop_from(date(2026, 1, 31))
    pool(coop, "TMP", "profit")
    siti, budi = coop.member(), coop.member("Budi Santoso")
    mine = coop.call("sharia.mudharabah-open", member=siti, pool="TMP", amount="10000000",
                     cash_account=CASH)["holding"]["account"]["number"]
    theirs = coop.call("sharia.mudharabah-open", member=budi, pool="TMP", kind="deposit",
                       term_months=3, amount="30000000",
                       cash_account=CASH)["holding"]["account"]["number"]
    coop.call("sharia.unit-include", as_user="manager", gl_key="expense.general")
    coop.close_days(date(2026, 2, 15))
    coop.call("entries.post", memo="Biaya operasional unit syariah Februari", lines=[
        line("GL-expense.general", "debit", "2000000"), line(CASH, "credit", "2000000")])
    coop.refused(Conflict, "sharia.mudharabah-loss", as_user="manager", pool="TMP",
                 month="2026-02-01")  # February still open
    coop.close_days(date(2026, 3, 1))
    out = coop.call("sharia.mudharabah-loss", as_user="manager", pool="TMP",
                    month="2026-02-28")
    assert (out["distributable_income"]["amount"], out["members_share"]["amount"],
            out["cooperative_share"]["amount"], out["negligence"]) == (
        "-2000000.00", "-2000000.00", "0.00", None)
    assert {s["account"]: s["share"]["amount"] for s in out["shares"]} == {
        mine: "-500000.00", theirs: "-1500000.00"}
    assert coop.balance(mine) == "9500000.00"
    assert coop.balance(theirs) == "28500000.00"
    # The loss borne by the owners offsets the unit's February loss.
    assert coop.gl_net()[LOSS_GL] == -200_000_000
    # The member's statement shows the month's loss.
    shares = coop.call("sharia.mudharabah-shares", account=mine)["shares"]
    assert [(s["period_to"], s["share"]["amount"]) for s in shares] == [
        ("2026-02-28", "-500000.00")]
    coop.refused(Conflict, "sharia.mudharabah-loss", as_user="manager", pool="TMP",
                 month="2026-02-28")  # once per month
    coop.refused(Conflict, "sharia.mudharabah-distribute", as_user="manager", pool="TMP",
                 month="2026-02-28", distributable_income="1")
    coop.books_balance()


def test_negligence_keeps_the_loss_with_the_cooperative(coop_from: Callable[[date], Coop]
                                                        ) -> None:
    coop = coop_from(date(2026, 1, 31))
    pool(coop, "TMP", "profit")
    pool(coop, "TMR", "revenue")
    numbers = [coop.call("sharia.mudharabah-open", member=coop.member(name), pool="TMP",
                         amount="5000000", cash_account=CASH)["holding"]["account"]["number"]
               for name in ("Ani Rahayu", "Budi Santoso", "Citra Lestari")]
    coop.call("sharia.mudharabah-open", member=coop.member("Dewi Sartika"), pool="TMR",
              amount="5000000", cash_account=CASH)
    coop.close_days(date(2026, 4, 1))
    # Revenue sharing: never a loss.
    coop.refused(Conflict, "sharia.mudharabah-loss", as_user="manager", pool="TMR",
                 month="2026-02-28", loss="100000")
    # No loss in the ledger for February: nothing to share.
    coop.refused(Conflict, "sharia.mudharabah-loss", as_user="manager", pool="TMP",
                 month="2026-02-28")
    # A loss of 1,000,000 over three equal balances: 333,334 + 333,333 + 333,333, exactly.
    out = coop.call("sharia.mudharabah-loss", as_user="manager", pool="TMP",
                    month="2026-02-28", loss="1000000")
    assert sorted(s["share"]["amount"] for s in out["shares"]) == [
        "-333333.00", "-333333.00", "-333334.00"]
    assert out["members_share"]["amount"] == "-1000000.00"
    # March: the manager's negligence is recorded, so the cooperative bears the loss.
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    result = CliRunner().invoke(cli, [
        "--operator", "manager", "sharia", "mudharabah-loss", "--pool", "TMP", "--month",
        "2026-03-31", "--loss", "600000", "--negligence",
        "BA pemeriksaan DPS 04/2026: pembiayaan tanpa survei", "--json"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    march = json.loads(result.output)
    assert march["negligence"].startswith("BA pemeriksaan DPS 04/2026")
    assert (march["members_share"]["amount"], march["cooperative_share"]["amount"]) == (
        "0.00", "-600000.00")
    assert {s["share"]["amount"] for s in march["shares"]} == {"0.00"}
    balances = sorted(coop.balance(n) for n in numbers)
    assert balances == ["4666666.00", "4666667.00", "4666667.00"]
    assert coop.gl_net()[LOSS_GL] == -100_000_000
    coop.books_balance()
