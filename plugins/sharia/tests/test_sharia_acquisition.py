"""Murabahah acquisition (DOMAIN.md section 6): the cooperative owns the goods before it sells
them, bought from the supplier or through the member as its agent (wakalah), each step recorded
with its documents; the sale is refused before. DOMAIN.md's goods: bought for Rp10,000,000,
sold for 12,000,000 (margin 2,000,000) over 10 installments."""

from __future__ import annotations

from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, NotFound, ValidationError

INVENTORY, ADVANCE = "sharia.murabahah_inventory", "sharia.wakalah_advance"


def postings(out: dict) -> dict[tuple[str, str], str]:
    return {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}


def sell(coop: Coop, member: str, acquisition: int) -> dict:
    return dict(coop.call("sharia.murabahah-contract", member=member, acquisition=acquisition,
                          margin="2000000", installments=10))


def test_bought_from_the_supplier_then_sold(coop: Coop) -> None:
    siti, budi = coop.member(), coop.member("Budi Santoso")
    raw = {"member": siti, "asset": "Motor Honda Beat", "cost": "10000000",
           "cash_account": CASH}
    coop.refused(ValidationError, "sharia.murabahah-acquire", **raw, document="Faktur 1")
    coop.refused(ValidationError, "sharia.murabahah-acquire", **raw, supplier="Dealer",
                 document=" ")
    coop.refused(NotFound, "sharia.murabahah-contract", member=siti, acquisition=99,
                 margin="2000000", installments=10)  # nothing bought: no sale
    bought = coop.call("sharia.murabahah-acquire", **raw, supplier="Dealer Motor Sejahtera",
                       document="Faktur 0017/DLR/2026")
    goods = bought["acquisition"]
    assert (goods["status"], goods["method"], goods["purchase_document"], goods["cost"]["amount"]
            ) == ("owned", "purchase", "Faktur 0017/DLR/2026", "10000000.00")
    assert postings(bought) == {(f"GL-{INVENTORY}", "debit"): "10000000.00",
                                (CASH, "credit"): "10000000.00"}
    assert coop.gl_net()[INVENTORY] == 1_000_000_000
    # Another member cannot be sold these goods.
    coop.refused(Conflict, "sharia.murabahah-contract", member=budi, acquisition=goods["id"],
                 margin="2000000", installments=10)
    made = sell(coop, siti, goods["id"])
    number = made["murabahah"]["account"]["number"]
    assert (made["murabahah"]["asset"], made["murabahah"]["cost"]["amount"]) == (
        "Motor Honda Beat", "10000000.00")
    assert postings(made) == {(number, "debit"): "12000000.00",
                              (f"GL-{INVENTORY}", "credit"): "10000000.00",
                              ("GL-sharia.murabahah_deferred_margin", "credit"): "2000000.00"}
    assert INVENTORY not in coop.gl_net()  # sold: out of inventory
    coop.refused(Conflict, "sharia.murabahah-contract", member=siti, acquisition=goods["id"],
                 margin="2000000", installments=10)  # sold once
    listed = coop.call("sharia.murabahah-acquisitions", as_user="auditor", member=siti)
    assert [(a["status"], a["contract"]) for a in listed["acquisitions"]] == [("sold", number)]
    coop.books_balance()


def test_through_the_member_as_agent(coop: Coop) -> None:
    siti = coop.member()
    raw = {"member": siti, "asset": "Kulkas dua pintu", "cost": "10000000",
           "cash_account": CASH, "method": "wakalah"}
    coop.refused(ValidationError, "sharia.murabahah-acquire", **raw, document=" ")
    agent = coop.call("sharia.murabahah-acquire", **raw, document="Akad wakalah 07/2026")
    goods = agent["acquisition"]
    assert (goods["status"], goods["wakalah_document"]) == ("agent", "Akad wakalah 07/2026")
    assert postings(agent) == {(f"GL-{ADVANCE}", "debit"): "10000000.00",
                               (CASH, "credit"): "10000000.00"}
    # The goods are not the cooperative's yet: no sale.
    error = coop.refused(Conflict, "sharia.murabahah-contract", member=siti,
                         acquisition=goods["id"], margin="2000000", installments=10)
    assert "agent" in str(error)
    coop.refused(ValidationError, "sharia.murabahah-wakalah-purchase", acquisition=goods["id"],
                 supplier="Toko Elektronik", document=" ")
    owned = coop.call("sharia.murabahah-wakalah-purchase", acquisition=goods["id"],
                      supplier="Toko Elektronik Amanah", document="Nota 4410")
    assert (owned["acquisition"]["status"], owned["acquisition"]["supplier"]) == (
        "owned", "Toko Elektronik Amanah")
    assert postings(owned) == {(f"GL-{INVENTORY}", "debit"): "10000000.00",
                               (f"GL-{ADVANCE}", "credit"): "10000000.00"}
    coop.refused(Conflict, "sharia.murabahah-wakalah-purchase", acquisition=goods["id"],
                 supplier="Toko", document="Nota 2")  # reported once
    sell(coop, siti, goods["id"])
    net = coop.gl_net()
    assert INVENTORY not in net
    assert ADVANCE not in net
    coop.books_balance()
