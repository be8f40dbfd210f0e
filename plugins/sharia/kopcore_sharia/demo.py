"""Demo data: a wadiah account for each of the first active members, a small murabahah and a
mudharabah pool with one savings account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import NotFound
from kopcore.ledger import AccountStatus, MemberStatus
from kopcore.money import Money
from kopcore_sharia import mudharabah, mudharabah_ops, murabahah, operations

CASH = "CASH-01"


def seed(ctx: Context) -> list[str]:
    """Opens accounts only when the kernel's demo teller cash exists; returns their numbers."""
    try:
        ledger.get_account(ctx, CASH)
    except NotFound:
        return []
    members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=3)
    opened = []
    for index, member in enumerate(members):
        wadiah = operations.wadiah_open(ctx, operations.WadiahOpenIn(member.member_number))
        operations.wadiah_deposit(ctx, operations.MoveIn(
            wadiah.number, Decimal(250000 * (index + 1)), CASH))
        opened.append(wadiah.number)
    if members:
        goods = operations.murabahah_acquire(ctx, operations.MurabahahAcquireIn(
            members[0].member_number, "Sepeda motor bekas", Decimal(10000000), CASH,
            "Faktur 0017/DLR/2026", supplier="Dealer Motor Sejahtera"))
        contract = operations.murabahah_contract(ctx, operations.MurabahahContractIn(
            members[0].member_number, goods.acquisition.id, Decimal(2000000), 10))
        number = contract.murabahah.account.number
        murabahah.pay_installment(ctx, number, CASH)
        opened.append(number)
        pool = mudharabah.create_pool(ctx, code="TMB", name="Tabungan Mudharabah Berkah",
                                      basis=mudharabah.Basis.REVENUE, nisbah_ppm=600_000,
                                      rounding_unit=Money.parse(1, ctx.settings.currency).minor)
        holding = mudharabah.open_holding(ctx, members[0], pool, mudharabah.Kind.SAVINGS,
                                          nisbah_ppm=None, term_months=None, payout=None,
                                          number=None)
        mudharabah_ops.deposit(ctx, operations.MoveIn(
            holding.account.number, Decimal(1000000), CASH))
        opened.append(holding.account.number)
    return opened


def each_month(ctx: Context, day: date) -> None:
    """A month of the sharia unit: every murabahah still owed pays its installment, and the
    members' wadiah and mudharabah savings are topped up."""
    try:
        ledger.get_account(ctx, CASH)
    except NotFound:
        return
    for account in ledger.list_accounts(ctx, limit=200):
        if account.plugin != "sharia" or account.member_id is None \
                or account.status is not AccountStatus.OPEN:
            continue
        if account.product_code == "sharia.murabahah" and account.balance.is_positive():
            murabahah.pay_installment(ctx, account.number, CASH)
        elif account.product_code in ("sharia.wadiah", "sharia.mudharabah"):
            amount = Decimal(100000 + 25000 * (day.month % 4))
            mover = (operations.wadiah_deposit if account.product_code == "sharia.wadiah"
                     else mudharabah_ops.deposit)
            mover(ctx, operations.MoveIn(account.number, amount, CASH))
