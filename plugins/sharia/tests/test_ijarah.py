"""Ijarah and ijarah muntahiyah bittamlik (Fatwa DSN-MUI 09/2000 and 27/2002, PSAK 107, now
PSAK 407): the asset bought first, rents recognised as they fall due with the month's
depreciation, the asset returned or transferred at the end.

Worked example (plain ijarah), from the textbook exercise on PSAK 107 accounting "Latihan
ijarah": a sharia bank (Bank Amin Syariah) buys a machine for Rp120,000,000, useful life
5 years (60 months), no residual value, and leases it to PT Aisyah for 24 months at
Rp2,400,000 a month — the month's depreciation 120,000,000 / 60 = 2,000,000 plus 20 %. By hand:
each month Dr Piutang Pendapatan Ijarah / Cr Pendapatan Ijarah 2,400,000 and Dr Beban
Penyusutan / Cr Akumulasi Penyusutan 2,000,000; over the lease income 24 x 2,400,000 =
57,600,000 and depreciation 24 x 2,000,000 = 48,000,000, so the machine comes back with a
carrying amount of 120,000,000 - 48,000,000 = 72,000,000 and 36 months of life left.

IMBT by hibah, from the illustration in S. Ariyanto, *Akuntansi Keuangan Syariah* (transfer of
ownership, hibah at the end of the akad): an asset bought for Rp500,000,000 with
Rp400,000,000 accumulated depreciation when it is given: Dr Akumulasi Penyusutan 400,000,000,
Dr Beban (hibah) 100,000,000, Cr Aset Ijarah 500,000,000. Here the asset's residual value is
100,000,000 and the IMBT depreciates the other 400,000,000 over its term (PSAK 107 par. 12:
the economic life of an IMBT's object is the lease term).

IMBT by sale, from the exercise "Latihan ijarah" (PT Jaya Maju): a vehicle bought for
Rp350,000,000 with a residual value of Rp50,000,000, leased with a promise to sell it after
the IMBT ends for Rp75,000,000: carrying amount 50,000,000, gain 25,000,000.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, NotFound, ValidationError

ASSET, ACCUMULATED = "sharia.ijarah_asset", "sharia.ijarah_accumulated_depreciation"
RECEIVABLE, INCOME = "sharia.ijarah_receivable", "sharia.ijarah_income"
DEPRECIATION = "sharia.ijarah_depreciation"


def postings(out: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}


def buy(coop: Coop, cost: str, life: int, *, residual: str = "0",
        asset: str = "Mesin produksi") -> int:
    out = coop.call("sharia.ijarah-acquire", asset=asset, cost=cost, useful_life_months=life,
                    residual=residual, cash_account=CASH, supplier="PT Pemasok Mesin",
                    document="Faktur 05/VI/2026")
    return int(out["asset"]["id"])


def test_the_textbook_ijarah_month_by_month(coop: Coop) -> None:
    aisyah = coop.member("PT Aisyah")
    coop.refused(NotFound, "sharia.ijarah-contract", member=aisyah, asset=9, ujrah="2400000",
                 term=24)  # the cooperative leases only what it owns
    bought = coop.call("sharia.ijarah-acquire", asset="Mesin produksi", cost="120000000",
                       useful_life_months=60, cash_account=CASH, supplier="PT Pemasok Mesin",
                       document="Faktur 05/VI/2026")
    assert postings(bought) == {(f"GL-{ASSET}", "debit"): "120000000.00",
                                (CASH, "credit"): "120000000.00"}
    machine = bought["asset"]["id"]
    made = coop.call("sharia.ijarah-contract", member=aisyah, asset=machine, ujrah="2400000",
                     term=24)
    lease = made["ijarah"]
    number = lease["account"]["number"]
    assert made["entry"] is None  # the machine stays the cooperative's
    assert (lease["asset"]["status"], lease["kind"], lease["receivable"]["amount"]) == (
        "leased", "ijarah", "0.00")
    # Leased once: a second lease of the same machine is refused.
    coop.refused(Conflict, "sharia.ijarah-contract", member=coop.member("Budi Santoso"),
                 asset=machine, ujrah="2400000", term=12)
    schedule = coop.call("sharia.ijarah-schedule", account=number)["rents"]
    assert len(schedule) == 24
    assert {(r["ujrah"]["amount"], r["depreciation"]["amount"]) for r in schedule} == {
        ("2400000.00", "2000000.00")}
    assert (schedule[0]["due_on"], schedule[23]["due_on"]) == ("2026-02-05", "2028-01-05")
    # Nothing is due before the month of use has passed.
    coop.refused(Conflict, "sharia.ijarah-pay", account=number, cash_account=CASH)
    coop.close_days(date(2026, 2, 6))
    net = coop.gl_net()
    assert (net[RECEIVABLE], net[INCOME], net[DEPRECIATION], net[ACCUMULATED]) == (
        240_000_000, -240_000_000, 200_000_000, -200_000_000)
    paid = coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    assert postings(paid) == {(CASH, "debit"): "2400000.00", (number, "credit"): "2400000.00"}
    assert paid["ijarah"]["receivable"]["amount"] == "0.00"
    assert paid["ijarah"]["asset"]["carrying_amount"]["amount"] == "118000000.00"
    coop.refused(Conflict, "sharia.ijarah-pay", account=number, cash_account=CASH)
    # Paid on its due date (5 March, before end of day): recognised, then collected.
    coop.close_days(date(2026, 3, 5))
    paid = coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    assert (paid["rent"]["number"], paid["ijarah"]["rents_recognised"],
            paid["ijarah"]["income_recognised"]["amount"]) == (2, 2, "4800000.00")
    coop.refused(Conflict, "sharia.ijarah-end", account=number)  # runs until 2028
    coop.books_balance()


def test_the_textbook_ijarah_over_its_term_and_the_machine_returned(coop: Coop) -> None:
    aisyah = coop.member("PT Aisyah")
    machine = buy(coop, "120000000", 60)
    number = coop.call("sharia.ijarah-contract", member=aisyah, asset=machine,
                       ujrah="2400000", term=24)["ijarah"]["account"]["number"]
    coop.close_days(date(2027, 1, 5))
    coop.close_days(date(2028, 1, 5))
    for _ in range(23):
        coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    coop.refused(Conflict, "sharia.ijarah-end", account=number)  # the 24th is unpaid
    coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    ended = coop.call("sharia.ijarah-end", account=number)
    assert ended["entry"] is None  # the machine comes back: nothing moves
    out = ended["ijarah"]
    assert (out["status"], out["income_recognised"]["amount"],
            out["depreciation"]["amount"]) == ("ended", "57600000.00", "48000000.00")
    assert (out["asset"]["status"], out["asset"]["carrying_amount"]["amount"],
            out["asset"]["depreciated_months"]) == ("available", "72000000.00", 24)
    net = coop.gl_net()
    assert (net[ASSET], net[ACCUMULATED], net[INCOME], net[DEPRECIATION]) == (
        12_000_000_000, -4_800_000_000, -5_760_000_000, 4_800_000_000)
    assert RECEIVABLE not in net
    # Leased again: the remaining 36 months of life carry on at 2,000,000 a month.
    again = coop.call("sharia.ijarah-contract", member=coop.member("Budi Santoso"),
                      asset=machine, ujrah="2400000", term=6)["ijarah"]
    rents = coop.call("sharia.ijarah-schedule", account=again["account"]["number"])["rents"]
    assert {r["depreciation"]["amount"] for r in rents} == {"2000000.00"}
    coop.books_balance()


def test_imbt_by_hibah_writes_off_the_carrying_amount(coop: Coop) -> None:
    member = coop.member()
    car = buy(coop, "500000000", 60, residual="100000000", asset="Mobil")
    raw = {"member": member, "asset": car, "ujrah": "140000000", "term": 3, "kind": "imbt"}
    coop.refused(ValidationError, "sharia.ijarah-contract", **raw)  # no transfer named
    coop.refused(ValidationError, "sharia.ijarah-contract", **raw, transfer="hibah",
                 transfer_price="1000")
    coop.refused(ValidationError, "sharia.ijarah-contract", **{**raw, "kind": "ijarah"},
                 transfer="hibah")
    lease = coop.call("sharia.ijarah-contract", **raw, transfer="hibah")["ijarah"]
    number = lease["account"]["number"]
    # Over the term, not the 60 months' life: 400,000,000 / 3 = 133,333,333 (rounded down),
    # the 3rd month 400,000,000 - 2 x 133,333,333 = 133,333,334.
    rents = coop.call("sharia.ijarah-schedule", account=number)["rents"]
    assert [r["depreciation"]["amount"] for r in rents] == ["133333333.00"] * 2 + [
        "133333334.00"]
    coop.close_days(date(2026, 4, 5))
    for _ in range(3):
        coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    ended = coop.call("sharia.ijarah-end", account=number)
    assert postings(ended) == {(f"GL-{ACCUMULATED}", "debit"): "400000000.00",
                               ("GL-sharia.ijarah_hibah_expense", "debit"): "100000000.00",
                               (f"GL-{ASSET}", "credit"): "500000000.00"}
    assert ended["ijarah"]["asset"]["status"] == "transferred"
    net = coop.gl_net()
    assert ASSET not in net
    assert ACCUMULATED not in net
    coop.refused(Conflict, "sharia.ijarah-contract", member=member, asset=car,
                 ujrah="1000000", term=1)  # no longer the cooperative's
    coop.books_balance()


def test_imbt_by_sale_at_the_agreed_price(coop: Coop) -> None:
    member = coop.member("PT Jaya Maju")
    vehicle = buy(coop, "350000000", 60, residual="50000000", asset="Kendaraan operasional")
    raw = {"member": member, "asset": vehicle, "ujrah": "110000000", "term": 3,
           "kind": "imbt", "transfer": "sale"}
    coop.refused(ValidationError, "sharia.ijarah-contract", **raw)  # no price agreed
    number = coop.call("sharia.ijarah-contract", **raw, transfer_price="75000000"
                       )["ijarah"]["account"]["number"]
    coop.close_days(date(2026, 4, 5))
    for _ in range(3):
        coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    coop.refused(ValidationError, "sharia.ijarah-end", account=number)  # where the price goes
    ended = coop.call("sharia.ijarah-end", account=number, cash_account=CASH)
    # Carrying 350,000,000 - 300,000,000 = 50,000,000; sold for 75,000,000: gain 25,000,000.
    assert postings(ended) == {(CASH, "debit"): "75000000.00",
                               (f"GL-{ACCUMULATED}", "debit"): "300000000.00",
                               (f"GL-{ASSET}", "credit"): "350000000.00",
                               ("GL-sharia.ijarah_sale_gain", "credit"): "25000000.00"}
    coop.books_balance()


def test_arrears_age_into_kolektibilitas_and_carry_an_allowance(coop: Coop) -> None:
    member = coop.member()
    machine = buy(coop, "120000000", 60)
    number = coop.call("sharia.ijarah-contract", member=member, asset=machine,
                       ujrah="2400000", term=24)["ijarah"]["account"]["number"]
    coop.call("sharia.collectibility-set", as_user="manager", code="2",
              name="Kurang Lancar", min_days=1)
    coop.close_days(date(2026, 1, 6))
    # Lancar at 0.5 % of the exposure: 120,000,000 carrying, nothing owed: 600,000.
    detail = coop.call("sharia.ijarah-detail", account=number)
    assert (detail["days_past_due"], detail["collectibility"], detail["allowance"]["amount"]
            ) == (0, "1", "600000.00")
    coop.close_days(date(2026, 2, 10))
    # End of day of 9 February: the rent due 5 February is 4 days late: Kurang Lancar (10 %)
    # of 2,400,000 owed + 118,000,000 carrying = 12,040,000.
    detail = coop.call("sharia.ijarah-detail", account=number)
    assert (detail["days_past_due"], detail["collectibility"], detail["allowance"]["amount"]
            ) == (4, "2", "12040000.00")
    report = coop.call("sharia.allowance-report", as_user="auditor")
    assert report["formed"]["amount"] == report["ledger_balance"]["amount"] == "12040000.00"
    coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    coop.close_days(date(2026, 2, 11))
    detail = coop.call("sharia.ijarah-detail", account=number)
    # Paid: Lancar again, 0.5 % of 118,000,000 = 590,000.
    assert (detail["days_past_due"], detail["allowance"]["amount"]) == (0, "590000.00")
    assert coop.gl_net()["sharia.financing_allowance"] == -59_000_000
    # A running lease keeps the member from leaving.
    coop.refused(Conflict, "members.exit", member=member, reason="resigned",
                 payout_account=CASH)
    coop.books_balance()


def test_imbt_by_gradual_sale_part_by_part(coop: Coop) -> None:
    """PSAK 107: in a gradual sale the difference between the price of each part and the
    carrying amount of the part sold is a gain or a loss. An asset of Rp120,000,000 (no
    residual) leased for 4 months at Rp2,000,000, its price Rp40,000,000 paid in four parts of
    10,000,000, one with each rent. By hand, with each rent the held part depreciates over the
    months left, then a quarter of the asset is sold:

    ====  ============  ===========  ==========  ========  ======  ============
    rent  depreciation  part's cost  part's acc  carrying  price   gain (loss)
    ====  ============  ===========  ==========  ========  ======  ============
    1     120/4 = 30    30           30/4 = 7.5  22.5      10      (12.5)
    2     67.5/3 = 22.5 30           45/3 = 15   15        10      (5)
    3     30/2 = 15     30           45/2 = 22.5 7.5       10      2.5
    4     7.5           30           30          0         10      10
    ====  ============  ===========  ==========  ========  ======  ============

    (millions of rupiah): depreciation 75, sold at cost 120 with 75 accumulated, net loss
    40 - 45 = 5."""
    member = coop.member()
    asset = buy(coop, "120000000", 60, asset="Mesin jahit")
    number = coop.call("sharia.ijarah-contract", member=member, asset=asset, ujrah="2000000",
                       term=4, kind="imbt", transfer="gradual", transfer_price="40000000"
                       )["ijarah"]["account"]["number"]
    rents = coop.call("sharia.ijarah-schedule", account=number)["rents"]
    assert [(r["depreciation"]["amount"], r["sale_price"]["amount"], r["total"]["amount"])
            for r in rents] == [("30000000.00", "10000000.00", "12000000.00"),
                                ("22500000.00", "10000000.00", "12000000.00"),
                                ("15000000.00", "10000000.00", "12000000.00"),
                                ("7500000.00", "10000000.00", "12000000.00")]
    coop.close_days(date(2026, 2, 6))
    net = coop.gl_net()
    # Rent 1: 30,000,000 of cost sold with 7,500,000 accumulated, at a loss of 12,500,000.
    assert (net[ASSET], net[ACCUMULATED], net[RECEIVABLE], net[INCOME], net[DEPRECIATION],
            net["sharia.ijarah_sale_loss"]) == (
        9_000_000_000, -2_250_000_000, 1_200_000_000, -200_000_000, 3_000_000_000,
        1_250_000_000)
    paid = coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    assert postings(paid) == {(CASH, "debit"): "12000000.00", (number, "credit"): "12000000.00"}
    assert (paid["ijarah"]["asset"]["carrying_amount"]["amount"],
            paid["ijarah"]["asset"]["sold_cost"]["amount"]) == ("67500000.00", "30000000.00")
    coop.close_days(date(2026, 5, 6))
    for _ in range(3):
        coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    ended = coop.call("sharia.ijarah-end", account=number)
    assert ended["entry"] is None  # every part passed with its rent
    assert (ended["ijarah"]["asset"]["status"], ended["ijarah"]["depreciation"]["amount"],
            ended["ijarah"]["asset"]["sold_accumulated_depreciation"]["amount"]) == (
        "transferred", "75000000.00", "75000000.00")
    net = coop.gl_net()
    assert ASSET not in net
    assert ACCUMULATED not in net
    # Losses 12,500,000 + 5,000,000; gains 2,500,000 + 10,000,000: a net loss of 5,000,000.
    assert (net["sharia.ijarah_sale_loss"], net["sharia.ijarah_sale_gain"]) == (
        1_750_000_000, -1_250_000_000)
    coop.books_balance()


def test_tazir_as_agreed_and_tawidh_on_a_late_rent(coop: Coop) -> None:
    """Ta'zir agreed at signing (Fatwa DSN-MUI 17/2000): Rp25,000 per late rent plus Rp1,000 a
    day; the first rent (due 5 February) 10 days late on 15 February: 25,000 + 10 x 1,000 =
    35,000 to the social fund. A ta'widh (Fatwa 43/2004) of a collection visit's real cost,
    Rp150,000 with its receipt, as income. Neither touches the 2,400,000 rent owed."""
    member = coop.member()
    machine = buy(coop, "120000000", 60)
    lease = {"member": member, "asset": machine, "ujrah": "2400000", "term": 24}
    coop.refused(ValidationError, "sharia.ijarah-contract", **lease, tazir_flat="-1")
    number = coop.call("sharia.ijarah-contract", **lease, tazir_flat="25000",
                       tazir_daily="1000")["ijarah"]["account"]["number"]
    charge = {"account": number, "cash_account": CASH, "able_to_pay": True}
    coop.refused(Conflict, "sharia.ijarah-tazir", **charge, reason="Menunda")  # nothing late
    coop.close_days(date(2026, 2, 15))
    detail = coop.call("sharia.ijarah-detail", account=number)
    assert (detail["tazir_flat"]["amount"], detail["tazir_agreed_now"]["amount"]) == (
        "25000.00", "35000.00")
    coop.refused(ValidationError, "sharia.ijarah-tazir", **{**charge, "able_to_pay": False},
                 reason="Gagal panen")  # a member in hardship is given time
    coop.refused(ValidationError, "sharia.ijarah-tazir", **charge, reason="Menunda",
                 amount="35000.01")
    out = coop.call("sharia.ijarah-tazir", **charge, reason="Usaha lancar, menunda")
    assert postings(out) == {(CASH, "debit"): "35000.00",
                             ("GL-sharia.social_fund", "credit"): "35000.00"}
    coop.refused(Conflict, "sharia.ijarah-tazir", **charge, reason="Lagi")  # once per rent
    coop.refused(ValidationError, "sharia.ijarah-tawidh", **charge, amount="150000",
                 cost="Biaya penagihan", evidence=" ")
    out = coop.call("sharia.ijarah-tawidh", **charge, amount="150000",
                    cost="Biaya penagihan ke rumah anggota", evidence="Kuitansi 17/II/2026")
    assert postings(out) == {(CASH, "debit"): "150000.00",
                             ("GL-sharia.tawidh_income", "credit"): "150000.00"}
    assert out["ijarah"]["receivable"]["amount"] == "2400000.00"
    # A contract that agreed none can never be charged one.
    other = coop.call("sharia.ijarah-contract", member=member, asset=buy(coop, "1200000", 12),
                      ujrah="120000", term=3)["ijarah"]["account"]["number"]
    coop.close_days(date(2026, 3, 20))
    coop.refused(Conflict, "sharia.ijarah-tazir", account=other, cash_account=CASH,
                 able_to_pay=True, reason="Menunda")
    coop.books_balance()


def test_imbt_sold_before_its_term_ends(coop: Coop) -> None:
    """The illustration in S. Ariyanto, *Akuntansi Keuangan Syariah* (sale before the akad
    ends): an asset of Rp500,000,000 with Rp300,000,000 accumulated depreciation sold for
    Rp250,000,000: carrying 200,000,000, gain 50,000,000 (Dr Kas 250,000,000, Dr Akumulasi
    300,000,000, Cr Keuntungan 50,000,000, Cr Aset Ijarah 500,000,000). Here an IMBT over 5
    months (100,000,000 depreciation a month) is sold after its third rent."""
    member = coop.member()
    car = buy(coop, "500000000", 60, asset="Mobil")
    number = coop.call("sharia.ijarah-contract", member=member, asset=car, ujrah="110000000",
                       term=5, kind="imbt", transfer="hibah")["ijarah"]["account"]["number"]
    coop.close_days(date(2026, 4, 6))
    sale = {"account": number, "price": "250000000", "cash_account": CASH}
    coop.refused(Conflict, "sharia.ijarah-early-sale", **sale)  # three rents unpaid
    for _ in range(3):
        coop.call("sharia.ijarah-pay", account=number, cash_account=CASH)
    sold = coop.call("sharia.ijarah-early-sale", **sale)
    assert postings(sold) == {(CASH, "debit"): "250000000.00",
                              (f"GL-{ACCUMULATED}", "debit"): "300000000.00",
                              ("GL-sharia.ijarah_sale_gain", "credit"): "50000000.00",
                              (f"GL-{ASSET}", "credit"): "500000000.00"}
    assert (sold["ijarah"]["status"], sold["ijarah"]["rents_recognised"],
            sold["ijarah"]["asset"]["status"]) == ("ended", 3, "transferred")
    coop.close_days(date(2026, 7, 6))  # the rents not yet due lapsed: nothing more falls due
    net = coop.gl_net()
    assert (net[INCOME], ASSET in net, RECEIVABLE in net) == (-33_000_000_000, False, False)
    coop.books_balance()
