"""Agunan and penjamin: values, binding and documents held, new appraisals, release on payoff or
by decision, documents handed back; through the operations, the API and the CLI."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from loans_coop import CASH, LoansCoop

from kopcore.cli import make_cli
from kopcore.errors import Conflict, Forbidden, NotFound, ValidationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel

VEHICLE = {"kind": "BPKB kendaraan", "description": "Honda Vario 2022 DK 1234 AB",
           "value": "18000000", "liquidation_value": "12000000", "binding": "fidusia",
           "binding_ref": "W21.00012345.AH.05.01 TH 2026", "documents": "BPKB asli, faktur",
           "owner": "Ketut Sudarma (suami)"}


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    c.product()
    return c


def amount(payload: dict[str, str] | None) -> Decimal | None:
    return None if payload is None else Decimal(payload["amount"])


def test_collateral_is_recorded_with_its_values_binding_and_documents(coop: LoansCoop) -> None:
    borrower = coop.member()
    loan = coop.loan(borrower)
    for bad, field in (({"binding_ref": None}, "binding_ref"),
                       ({"liquidation_value": "19000000"}, "liquidation_value"),
                       ({"value": "-1"}, "value"),
                       ({"binding": "hipotek"}, "binding")):
        error = coop.refused(ValidationError, "loans.add-collateral", loan=loan,
                             **(VEHICLE | bad))
        assert field in (error.extra.get("field"), *error.extra.get("fields", ())) \
            or field in error.detail, (field, error.detail, error.extra)
    coop.call("loans.add-collateral", as_user="teller", loan=loan, **VEHICLE)
    coop.call("loans.add-collateral", as_user="teller", loan=loan, kind="SHM tanah",
              description="SHM 123/Desa Baktiseraga, 200 m2", value="150000000",
              binding="hak_tanggungan", binding_ref="SHT 456/2026",
              documents="SHM asli, APHT", appraised_on="2026-01-05")
    shown = coop.get(loan)["collateral"]
    assert [c["status"] for c in shown] == ["held", "held"]
    vehicle, land = shown
    assert (vehicle["binding"], vehicle["documents"], vehicle["owner"]) == (
        "fidusia", "BPKB asli, faktur", "Ketut Sudarma (suami)")
    # What the collateral counts for: the liquidation value, else the appraised value.
    assert amount(vehicle["cover"]) == Decimal(12_000_000)
    assert amount(land["cover"]) == Decimal(150_000_000)
    assert land["liquidation_value"] is None

    # A new appraisal is a manager's act, recorded in the loan's history.
    with pytest.raises(Forbidden):
        coop.call("loans.revalue-collateral", as_user="teller", loan=loan,
                  collateral=vehicle["id"], value="15000000")
    coop.call("loans.revalue-collateral", as_user="manager", loan=loan,
              collateral=vehicle["id"], value="15000000", liquidation_value="9000000")
    again = coop.get(loan)["collateral"][0]
    assert (amount(again["value"]), amount(again["cover"])) == (Decimal(15_000_000),
                                                               Decimal(9_000_000))
    assert again["appraised_on"] == coop.today().isoformat()
    assert "collateral-revalued" in [e["kind"] for e in
                                     coop.call("loans.history", loan=loan)["events"]]
    other = coop.loan(coop.member("Wayan"))
    coop.refused(NotFound, "loans.revalue-collateral", loan=other, collateral=vehicle["id"],
                 value="1")


def test_payoff_releases_collateral_and_guarantors_then_documents_go_back(
        coop: LoansCoop) -> None:
    borrower, guarantor = coop.member(), coop.member("Nyoman")
    loan = coop.loan(borrower)
    coop.call("loans.add-guarantor", as_user="teller", loan=loan, guarantor=guarantor,
              relationship="saudara")
    coop.call("loans.add-collateral", as_user="teller", loan=loan, **VEHICLE)
    coop.call("loans.add-collateral", as_user="teller", loan=loan, kind="emas",
              description="Kalung emas 10 g", value="9000000", binding="gadai",
              binding_ref="SBG 77")
    gold = coop.get(loan)["collateral"][1]["id"]
    vehicle = coop.get(loan)["collateral"][0]["id"]
    coop.refused(Conflict, "loans.return-collateral", loan=loan, collateral=vehicle,
                 returned_to="Ni Luh Ayu")
    # A release while the loan runs is a manager's decision with its reason.
    coop.refused(ValidationError, "loans.release-collateral", loan=loan, collateral=gold,
                 note=" ")
    with pytest.raises(Forbidden):
        coop.call("loans.release-collateral", as_user="teller", loan=loan, collateral=gold,
                  note="diganti")
    coop.call("loans.release-collateral", as_user="manager", loan=loan, collateral=gold,
              note="diganti agunan BPKB, SK 3/2026")
    coop.refused(Conflict, "loans.release-collateral", loan=loan, collateral=gold, note="x")
    assert coop.get(loan)["guarantors"][0]["released_on"] is None

    coop.call("loans.settle", as_user="teller", loan=loan, cash_account=CASH)
    paid = coop.get(loan)
    assert paid["status"] == "closed"
    assert [(c["status"], c["released_on"], c["release_note"]) for c in paid["collateral"]] == [
        ("released", coop.today().isoformat(), "lunas"),
        ("released", coop.today().isoformat(), "diganti agunan BPKB, SK 3/2026")]
    assert paid["guarantors"][0]["released_on"] == coop.today().isoformat()
    coop.call("loans.return-collateral", as_user="teller", loan=loan, collateral=vehicle,
              returned_to="Ni Luh Ayu (peminjam)")
    back = coop.get(loan)["collateral"][0]
    assert (back["status"], back["returned_to"]) == ("returned", "Ni Luh Ayu (peminjam)")
    assert amount(back["cover"]) == 0
    coop.refused(Conflict, "loans.add-collateral", loan=loan, **VEHICLE)
    coop.books_balance()


def test_collateral_through_the_api_and_the_cli(coop: LoansCoop) -> None:
    loan = coop.loan(coop.member())
    key = coop.api_key("teller")
    with TestClient(make_app(coop.kernel)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        refused = client.post("/api/v1/loans/add-collateral", headers=headers,
                              json={"loan": loan, **VEHICLE, "binding": "hipotek"})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        made = client.post("/api/v1/loans/add-collateral", headers=headers,
                           json={"loan": loan, **VEHICLE})
        assert made.status_code == 200, made.text
        assert made.json()["collateral"][0]["binding"] == "fidusia"
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    result = CliRunner().invoke(cli, [
        "--operator", "teller", "loans", "add-collateral", f"--loan={loan}",
        "--kind=SHM tanah", "--description=SHM 9/Banyuasri", "--value=90000000",
        "--liquidation-value=70000000", "--binding=hak_tanggungan", "--binding-ref=SHT 1/2026",
        "--json"])
    assert result.exit_code == 0, result.output
    assert [c["kind"] for c in json.loads(result.output)["collateral"]] == [
        "BPKB kendaraan", "SHM tanah"]
    bad = CliRunner().invoke(cli, ["--operator", "teller", "loans", "return-collateral",
                                   f"--loan={loan}", "--collateral=1", "--returned-to=x"])
    assert bad.exit_code != 0
