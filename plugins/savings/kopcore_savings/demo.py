"""Demo data: the usual products of a koperasi and a few months of savings for demo members."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import NotFound
from kopcore.ledger import AccountStatus, MemberStatus
from kopcore.money import Money
from kopcore_savings import movements, time_deposits
from kopcore_savings.accounts import open_savings_account
from kopcore_savings.products import (
    InterestMethod,
    ProductParams,
    SavingsType,
    create_product,
)

CASH = "CASH-01"


def seed(ctx: Context) -> list[str]:
    """Products, and for each active member: pokok, wajib, sukarela with some movements; a time
    deposit for the first member. Returns the accounts opened."""
    cur = ctx.settings.currency
    pokok = create_product(ctx, ProductParams(
        "POKOK", "Simpanan Pokok", SavingsType.POKOK, cur, amount=Decimal(100000)))
    wajib = create_product(ctx, ProductParams(
        "WAJIB", "Simpanan Wajib", SavingsType.WAJIB, cur, amount=Decimal(25000),
        auto_debit=True))
    sukarela = create_product(ctx, ProductParams(
        "SUKARELA", "Simpanan Sukarela (Tabungan)", SavingsType.SUKARELA, cur,
        min_balance=Decimal(10000), interest_rate=Decimal(3),
        interest_method=InterestMethod.DAILY, dormant_after_days=365))
    create_product(ctx, ProductParams(
        "SIBUHAR", "Tabungan Hari Raya (saldo terendah)", SavingsType.SUKARELA, cur,
        interest_rate=Decimal(4), interest_method=InterestMethod.LOWEST, days_in_year=360))
    berjangka = create_product(ctx, ProductParams(
        "DEPOSITO-6", "Simpanan Berjangka 6 Bulan", SavingsType.BERJANGKA, cur,
        min_balance=Decimal(1000000), interest_rate=Decimal(6), term_months=6,
        penalty_rate=Decimal(1)))
    try:
        ledger.get_account(ctx, CASH)
    except NotFound:  # the kernel's demo opens the teller cash; without it, products only
        return []
    opened = []
    members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=50)
    for index, member in enumerate(members):
        p = open_savings_account(ctx, member, pokok)
        w = open_savings_account(ctx, member, wajib)
        s = open_savings_account(ctx, member, sukarela)
        movements.deposit(ctx, p.number, Money.parse("100000", cur), CASH)
        movements.deposit(ctx, w.number, Money.parse("25000", cur), CASH)
        movements.deposit(ctx, s.number, Money.parse(500000 * (index + 1), cur), CASH)
        movements.withdraw(ctx, s.number, Money.parse("75000", cur), CASH)
        opened += [p.number, w.number, s.number]
        if index == 0:
            placed, _ = time_deposits.place(ctx, member, berjangka, Money.parse("2000000", cur),
                                            CASH, time_deposits.PAYOUT, s.number)
            opened.append(placed.savings.number)
    return opened


def each_month(ctx: Context, day: date) -> None:
    """A month at the counter: every active member pays into their sukarela account (more for
    later members), and every third month takes some out again."""
    cur = ctx.settings.currency
    try:
        ledger.get_account(ctx, CASH)
    except NotFound:
        return
    members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=50)
    for index, member in enumerate(members):
        for account in ledger.list_accounts(ctx, member_id=member.id, limit=50):
            if account.product_code != "savings.sukarela" \
                    or account.status is not AccountStatus.OPEN:
                continue
            amount = 150000 + 50000 * ((index + day.month) % 5)
            movements.deposit(ctx, account.number, Money.parse(amount, cur), CASH,
                              memo="Setoran bulanan")
            if (day.month + index) % 3 == 0:
                movements.withdraw(ctx, account.number, Money.parse(amount // 2, cur), CASH,
                                   memo="Penarikan tunai")
