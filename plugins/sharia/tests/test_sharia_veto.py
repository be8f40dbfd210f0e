"""No riba: an entry touching a sharia account together with an interest account is refused,
whoever posts it (a sharia operation, a manual journal entry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from sharia_coop import CASH, Coop

import kopcore
from kopcore.context import Context
from kopcore.errors import PostingVetoed
from kopcore.kernel import Kernel
from kopcore.ledger import Member
from kopcore.money import Money
from kopcore.records import ExitContribution, GLAccountSpec, GLType, PostingLine, Side


class Conventional:
    """A stand-in conventional unit with interest accounts (no other plugin needed)."""

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return [GLAccountSpec("conv.interest_income", "4991", "Pendapatan Bunga", GLType.INCOME),
                GLAccountSpec("conv.interest_expense", "5991", "Beban Bunga", GLType.EXPENSE)]

    @kopcore.hookimpl
    def kopcore_member_exit(self, ctx: Context, member: Member) -> ExitContribution | None:
        """Nets Rp1,000 of conventional interest the member still owes out of the refund."""
        return ExitContribution(lines=[PostingLine("GL-conv.interest_income", Side.CREDIT,
                                                   Money.parse("1000"))])


def lines(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"account": a, "side": s, "amount": "1000"} for a, s in pairs]


def test_sharia_and_interest_accounts_never_meet(make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", Conventional()),)))
    member = coop.member()
    wadiah = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="50000", cash_account=CASH)
    for sharia, interest in [(wadiah, "GL-conv.interest_expense"),
                             ("GL-sharia.murabahah_margin_income", "GL-conv.interest_income"),
                             ("GL-sharia.zakat", "GL-conv.interest_expense")]:
        refused = coop.refused(PostingVetoed, "entries.post", memo="bonus dari bunga",
                               lines=lines((interest, "debit"), (sharia, "credit")))
        assert refused.reason == "sharia.interest-account"  # type: ignore[attr-defined]
        assert refused.plugin == "sharia"  # type: ignore[attr-defined]
    # Conventional and sharia books may still meet through neutral accounts.
    coop.call("entries.post", memo="bunga", lines=lines((CASH, "debit"),
                                                       ("GL-conv.interest_income", "credit")))
    coop.call("entries.post", memo="margin", lines=lines((CASH, "debit"),
                                                        ("GL-sharia.infaq", "credit")))
    coop.books_balance()


def test_the_kernels_exit_settlement_may_net_conventional_interest_beside_wadiah(
        make_kernel: Callable[..., Kernel]) -> None:
    coop = Coop(make_kernel(plugins=("sharia",), extra_plugins=(("conv", Conventional()),)))
    member = coop.member()
    wadiah = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.call("sharia.wadiah-deposit", account=wadiah, amount="50000", cash_account=CASH)
    out = coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    paid = {(p["account"], p["side"]): p["amount"]["amount"]
            for p in out["settlement"]["postings"]}
    assert paid == {(wadiah, "debit"): "50000.00", ("GL-conv.interest_income", "credit"):
                    "1000.00", (CASH, "credit"): "49000.00"}
    coop.books_balance()


def test_with_the_savings_plugin_interest_expense_is_refused(
        make_kernel: Callable[..., Kernel]) -> None:
    pytest.importorskip("kopcore_savings")
    coop = Coop(make_kernel(plugins=("sharia", "savings")))
    member = coop.member()
    wadiah = coop.call("sharia.wadiah-open", member=member)["number"]
    refused = coop.refused(PostingVetoed, "entries.post", memo="jasa simpanan ke wadiah",
                           lines=lines(("GL-savings.interest_expense", "debit"),
                                       (wadiah, "credit")))
    assert refused.reason == "sharia.interest-account"  # type: ignore[attr-defined]
    # The wadiah bonus is the sharia way to reward safekeeping.
    bonus = coop.call("sharia.wadiah-bonus-propose", as_user="manager", account=wadiah,
                      amount="1000", period="2026-01")
    coop.approve(bonus["id"])
    assert coop.balance(wadiah) == "1000.00"
    coop.books_balance()


def test_with_the_loans_plugin_interest_income_is_refused(
        make_kernel: Callable[..., Kernel]) -> None:
    pytest.importorskip("kopcore_loans")
    coop = Coop(make_kernel(plugins=("sharia", "loans")))
    refused = coop.refused(PostingVetoed, "entries.post", memo="margin sebagai bunga",
                           lines=lines(("GL-sharia.murabahah_deferred_margin", "debit"),
                                       ("GL-loans.interest_income", "credit")))
    assert refused.reason == "sharia.interest-account"  # type: ignore[attr-defined]
