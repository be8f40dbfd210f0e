"""kopcore-sharia: sharia products for KSPPS/BMT cooperatives, free of interest (riba).

This slice offers:

- a sharia chart of accounts, with a veto refusing any entry that touches a sharia account
  together with an interest account (reason ``sharia.interest-account``);
- murabahah financing (PSAK 102): contract at cost plus a fixed margin, optional down payment
  (urbun), proportional margin recognition per installment, early settlement with a
  discretionary discount (muqasah);
- qardh: principal-only benevolent loans with an optional flat admin cost;
- wadiah yad dhamanah savings with a bonus only by an explicit operator operation;
- zakat and infaq/sadaqah funds (maal) kept apart from the financing business, with a report.

Member exit is refused while a murabahah or qardh is outstanding. See README.md for what is not
built yet (mudharabah, ijarah, musyarakah...).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.ledger import Member, ProposedEntry
from kopcore.operations import Operation
from kopcore.records import (
    DemoSeed,
    ExitContribution,
    GLAccountSpec,
    MigrationSource,
    PermissionSpec,
    PostingLine,
    ProductType,
    Side,
    Veto,
)
from kopcore_sharia import chart, demo, veto
from kopcore_sharia.operations import OPERATIONS

__version__ = "0.1.0"


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return chart.GL_ACCOUNTS


@kopcore.hookimpl
def kopcore_product_types() -> Sequence[ProductType]:
    return chart.PRODUCT_TYPES


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="sharia", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return chart.PERMISSIONS


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@kopcore.hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse any entry mixing sharia and interest accounts (``sharia.interest-account``)."""
    return veto.veto(entry)


@kopcore.hookimpl
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    """Refuse the exit while a murabahah or qardh is outstanding; refund wadiah balances."""
    accounts = [a for a in ledger.member_accounts(ctx, member.id) if a.plugin == chart.PLUGIN
                and a.status is not ledger.AccountStatus.CLOSED]
    owing = [a for a in accounts
             if a.product_code in chart.FINANCING_PRODUCTS and a.balance.minor != 0]
    if owing:
        return ExitContribution(refusal="outstanding sharia financing: " + ", ".join(
            f"{a.number} ({a.balance.format()})" for a in owing))
    wadiah = [a for a in accounts if a.product_code == chart.WADIAH_PRODUCT]
    for account in wadiah:
        if account.status is ledger.AccountStatus.FROZEN:
            return ExitContribution(refusal=f"wadiah {account.number} is frozen")
        if account.held.is_positive():
            return ExitContribution(
                refusal=f"wadiah {account.number} has {account.held.format()} on hold")
    lines = [PostingLine(a.number, Side.DEBIT, a.balance) for a in wadiah
             if a.balance.is_positive()]
    return ExitContribution(lines=lines, note=f"{len(lines)} wadiah refunded")


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("sharia", demo.seed, order=300)]
