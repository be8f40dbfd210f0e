"""Ta'zir agreed at signing (Fatwa DSN-MUI 17/2000) and ta'widh (Fatwa 43/2004) as separate
charges on DOMAIN.md section 6's murabahah (cost 10,000,000, margin 2,000,000, 10 installments):
the ta'zir only as the contract agreed it, once per late installment, to the social fund; the
ta'widh the real cost of the delay with its evidence, as income; neither touches the margin."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from litestar.testing import TestClient
from sharia_coop import CASH, Coop

from kopcore.cli import make_cli
from kopcore.errors import Conflict, ValidationError
from kopcore.interfaces.api import make_app


def contract(coop: Coop, **terms: str) -> str:
    member = coop.member()
    made = coop.call("sharia.murabahah-contract", member=member,
                     acquisition=coop.acquire(member, "10000000", asset="Motor"),
                     margin="2000000", installments=10, **terms)
    return str(made["murabahah"]["account"]["number"])


def test_tazir_as_agreed_and_tawidh_with_its_evidence(coop: Coop) -> None:
    # Agreed at signing: Rp25,000 per late installment plus Rp1,000 a day late.
    number = contract(coop, tazir_flat="25000", tazir_daily="1000")
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert (detail["tazir_flat"]["amount"], detail["tazir_daily"]["amount"],
            detail["tazir_agreed_now"]["amount"]) == ("25000.00", "1000.00", "0.00")
    charge = {"account": number, "cash_account": CASH, "able_to_pay": True}
    # Not late yet (installment 1 falls due 5 February): neither charge.
    coop.refused(Conflict, "sharia.murabahah-tazir", **charge, reason="Menunda")
    coop.refused(Conflict, "sharia.murabahah-tawidh", **charge, amount="150000",
                 cost="Biaya penagihan", evidence="Kuitansi 01")
    coop.close_days(date(2026, 2, 15))
    # 15 February: installment 1 is 10 days late; 25,000 + 10 x 1,000 = 35,000.
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert detail["tazir_agreed_now"]["amount"] == "35000.00"
    coop.refused(ValidationError, "sharia.murabahah-tazir", **{**charge, "able_to_pay": False},
                 reason="Gagal panen")  # a member in hardship is given time
    out = coop.call("sharia.murabahah-tazir", **charge, reason="Usaha lancar, menunda")
    assert out["murabahah"]["tazir"]["amount"] == "35000.00"
    assert out["entry"]["memo"].startswith(f"Ta'zir murabahah {number} angsuran ke-1")
    coop.refused(Conflict, "sharia.murabahah-tazir", **charge, reason="Lagi")  # once
    # Ta'widh: the real cost of a collection visit, with its receipt.
    coop.refused(ValidationError, "sharia.murabahah-tawidh", **charge, amount="150000",
                 cost="Biaya penagihan", evidence=" ")
    coop.refused(ValidationError, "sharia.murabahah-tawidh", **charge, amount="150000",
                 cost=" ", evidence="Kuitansi 17/II/2026")
    coop.refused(ValidationError, "sharia.murabahah-tawidh", **{**charge, "able_to_pay": False},
                 amount="150000", cost="Biaya penagihan", evidence="Kuitansi 17/II/2026")
    out = coop.call("sharia.murabahah-tawidh", **charge, amount="150000",
                    cost="Biaya penagihan ke rumah anggota", evidence="Kuitansi 17/II/2026")
    assert out["murabahah"]["tawidh"]["amount"] == "150000.00"
    # Neither reduces the receivable nor touches the margin.
    assert out["murabahah"]["outstanding"]["amount"] == "12000000.00"
    assert out["murabahah"]["deferred_margin"]["amount"] == "2000000.00"
    net = coop.gl_net()
    assert net["sharia.social_fund"] == -3_500_000       # ta'zir: social fund, never income
    assert net["sharia.tawidh_income"] == -15_000_000    # ta'widh: income
    assert "sharia.murabahah_margin_income" not in net
    charges = coop.call("sharia.murabahah-charges", account=number, as_user="auditor")
    assert [(c["kind"], c["installment"], c["amount"]["amount"], c["ground"], c["evidence"])
            for c in charges["charges"]] == [
        ("tazir", 1, "35000.00", "Usaha lancar, menunda", None),
        ("tawidh", 1, "150000.00", "Biaya penagihan ke rumah anggota", "Kuitansi 17/II/2026")]
    # Installment 1 paid; installment 2 (due 5 March) late by 2 days gets its own ta'zir,
    # here less than agreed (the cooperative may waive part).
    coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    coop.close_days(date(2026, 3, 7))
    assert coop.call("sharia.murabahah-detail", account=number)[
        "tazir_agreed_now"]["amount"] == "27000.00"
    out = coop.call("sharia.murabahah-tazir", **charge, amount="20000", reason="Menunda lagi")
    assert out["murabahah"]["tazir"]["amount"] == "55000.00"
    coop.books_balance()


def test_no_tazir_without_terms_agreed_at_signing(coop: Coop) -> None:
    number = contract(coop)
    member = coop.member("Budi Santoso")
    coop.refused(ValidationError, "sharia.murabahah-contract", member=member,
                 acquisition=coop.acquire(member, "1000000"), margin="0", installments=2,
                 tazir_flat="-1")
    coop.close_days(date(2026, 2, 10))
    error = coop.refused(Conflict, "sharia.murabahah-tazir", account=number, cash_account=CASH,
                         able_to_pay=True, reason="Menunda")
    assert "agreed no ta'zir" in str(error)
    # A ta'widh needs no terms: it compensates a real cost, evidenced.
    coop.call("sharia.murabahah-tawidh", account=number, cash_account=CASH, able_to_pay=True,
              amount="50000", cost="Surat peringatan tercatat", evidence="Resi pos 8812")


def test_through_the_api_and_the_cli(coop: Coop) -> None:
    number = contract(coop, tazir_flat="25000")
    coop.close_days(date(2026, 2, 10))
    teller = coop.api_key("teller")
    with TestClient(app=make_app(coop.kernel)) as client:
        got = client.post("/api/v1/sharia/murabahah-tazir",
                          json={"account": number, "cash_account": CASH, "able_to_pay": True,
                                "reason": "Menunda", "amount": "25000.01"},
                          headers={"Authorization": f"Bearer {teller}"})
        assert got.status_code == 422
        assert got.headers["content-type"].startswith("application/problem+json")
        got = client.post("/api/v1/sharia/murabahah-tazir",
                          json={"account": number, "cash_account": CASH, "able_to_pay": True,
                                "reason": "Menunda"},
                          headers={"Authorization": f"Bearer {teller}"})
        assert got.status_code == 200, got.text
        assert got.json()["murabahah"]["tazir"]["amount"] == "25000.00"
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()
    out = runner.invoke(cli, ["--operator", "teller", "sharia", "murabahah-tawidh", "--account",
                              number, "--cash-account", CASH, "--able-to-pay",
                              "--amount", "75000", "--cost", "Biaya penagihan",
                              "--evidence", "Kuitansi 09", "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["murabahah"]["tawidh"]["amount"] == "75000.00"
    refused = runner.invoke(cli, ["--operator", "teller", "sharia", "murabahah-tawidh",
                                  "--account", number, "--cash-account", CASH,
                                  "--able-to-pay", "--amount", "75000", "--cost",
                                  "Biaya penagihan", "--evidence", " "])
    assert refused.exit_code != 0
    assert "Traceback" not in refused.output
    listed = runner.invoke(cli, ["--operator", "auditor", "sharia", "murabahah-charges",
                                 "--account", number, "--json"], catch_exceptions=False)
    assert [c["kind"] for c in json.loads(listed.output)["charges"]] == ["tazir", "tawidh"]
