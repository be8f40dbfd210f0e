"""kopcore-celengan: goal savings ("celengan", a piggy bank) as a third-party kopcore plugin.

A member opens a celengan with a goal, pays in, and cannot take money out until the goal is
reached; each day the goal is met the cooperative adds a small bonus. The plugin is found through
its entry point and implements every kopcore hook::

    # pyproject.toml
    [project.entry-points.kopcore]
    celengan = "kopcore_celengan"

It imports only kopcore's public API (``kopcore``, ``kopcore.ledger``, ``kopcore.money``,
``kopcore.records``, ``kopcore.errors``, ``kopcore.operations``, ``kopcore.context``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pluggy

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import NotFound
from kopcore.ledger import JournalEntry, Member, MemberChange, MemberStatus, ProposedEntry
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import (
    Access,
    DemoSeed,
    DueLines,
    DueSettlement,
    EodTask,
    EventType,
    ExitContribution,
    FigureUnit,
    Finding,
    GLAccountSpec,
    GLType,
    HealthFigure,
    ImportSheet,
    MemberBasis,
    MemberDue,
    MigrationSource,
    Notification,
    NotificationChannel,
    Period,
    PermissionSpec,
    PostingLine,
    ProductType,
    RoleSpec,
    SettlementAccount,
    ShuBasis,
    Side,
    UnitSpec,
    Veto,
    WebPage,
)
from kopcore_celengan import cutover, dues, goals, membership, yearend
from kopcore_celengan import hookspecs as celengan_hookspecs
from kopcore_celengan.bonus import DAILY_BONUS
from kopcore_celengan.goals import BONUS_GL_KEY, GL_KEY, PRODUCT
from kopcore_celengan.operations import DEPOSITED, MANAGE, OPERATIONS, READ, deposit_message

__version__ = "0.1.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.2"

#: The veto's stable reason codes.
LOCKED = "celengan.locked"
OTHER_PLUGIN = "celengan.other-plugin"

#: Entry sources that may take money out of a celengan: celengan's own operations and end of
#: day, a teller's manual entry (kopcore.ledger), a member's exit (kopcore.members), and direct
#: calls from Python.
PAYING_SOURCES = frozenset({goals.PLUGIN, "kopcore.ledger", "kopcore.members", "python-api"})

#: The only settlement purpose celengan serves: crediting a member's SHU share.
SHU_CREDIT = "shu-credit"

#: A member who collects celengan deposits from the neighbours (a kader of the cooperative).
COLLECTOR = "celengan.collector"


@kopcore.hookimpl
def kopcore_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Declare celengan's own hook (``kopcore_celengan_goal_labels``) for other plugins."""
    pluginmanager.add_hookspecs(celengan_hookspecs)


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return [
        GLAccountSpec(GL_KEY, "2150", "Simpanan Celengan", GLType.LIABILITY),
        GLAccountSpec(BONUS_GL_KEY, "5150", "Beban Bonus Celengan", GLType.EXPENSE),
    ]


@kopcore.hookimpl
def kopcore_product_types() -> Sequence[ProductType]:
    return [ProductType(PRODUCT, "Celengan", gl_key=GL_KEY,
                        description="Goal savings, locked until the goal is reached")]


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="celengan", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return [
        PermissionSpec(READ, "See celengan goals and balances",
                       ("manager", "teller", "auditor", "member")),
        PermissionSpec(MANAGE, "Open celengan, take deposits and withdrawals",
                       ("manager", "teller")),
    ]


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@kopcore.hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse money leaving a celengan when another plugin's operation or end-of-day task takes
    it (goal savings are nobody's settlement account), or when the goal is neither reached nor
    released.

    The entry's source says who is posting: celengan itself, the kernel's own operations (a
    teller's manual entry, a member's exit) and direct calls from Python may take money out.
    Reversals pass: undoing a mistaken deposit is a correction, not a withdrawal.
    """
    if entry.reverses_entry_id is not None:
        return None
    net: dict[int, int] = {}
    for line in entry.lines:
        account = entry.accounts[line.account]
        if account.product_code == PRODUCT:
            net[account.id] = net.get(account.id, 0) + line.signed_minor
    leaving = {account_id for account_id, debit in net.items() if debit > 0}
    if leaving and entry.source not in PAYING_SOURCES:
        return Veto(OTHER_PLUGIN, f"{entry.source} may not take money out of a celengan "
                                  f"({entry.operation}); only celengan pays out of it")
    by_id = {account.id: account for account in entry.accounts.values()}
    for account_id, goal in sorted(goals.goal_rows(ctx, leaving).items()):
        account = by_id[account_id]
        if not goals.is_unlocked(goal, account.balance.minor):
            target = Money(goal.target_minor, account.currency)
            return Veto(LOCKED, f"celengan {account.number} is locked until it reaches its goal "
                                f"of {target.format()} (balance {account.balance.format()})")
    return None


@kopcore.hookimpl
def kopcore_transaction_facts() -> dict[str, Any]:
    """How many goals are waiting to be reached, read with each entry's accounts."""
    return {goals.WAITING_FACT: goals.WAITING}


@kopcore.hookimpl
def kopcore_after_posting(ctx: Context, entry: JournalEntry) -> None:
    """Stamp the goal as reached when a credit brings the balance up to the target."""
    if ctx.fact(goals.WAITING_FACT) == 0:
        return  # no goal is waiting: nothing to stamp, and no statement spent finding out
    credited = {p.account_id for p in entry.postings if p.amount.minor < 0}
    goals.mark_reached(ctx, credited, ctx.business_date)


@kopcore.hookimpl
def kopcore_settlement_account(ctx: Context, member: Member, purpose: str,
                               currency: str) -> SettlementAccount | None:
    if purpose != SHU_CREDIT:
        return None
    for account in goals.member_celengan(ctx, member.id):
        if account.currency == currency and account.status is ledger.AccountStatus.OPEN:
            return SettlementAccount(account.number, "Celengan: SHU credited to the goal")
    return None


@kopcore.hookimpl
def kopcore_member_dues(ctx: Context, member_ids: Sequence[int], start: date,
                        end: date) -> Sequence[MemberDue]:
    """What each open goal still lacks, so payroll deduction or a payment can fill it."""
    return dues.dues_of(ctx, member_ids, end)


@kopcore.hookimpl
def kopcore_settle_dues(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    """Credit the celengan accounts settled."""
    return dues.settle(ctx, settlements)


@kopcore.hookimpl
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    """Refund every celengan balance; refuse while one is frozen or has money on hold.

    The goals are released in the exit's transaction, so the veto lets the refund through; if
    another plugin refuses the exit, the transaction rolls back and the goals stay locked.
    """
    accounts = goals.member_celengan(ctx, member.id)
    if not accounts:
        return None
    for account in accounts:
        if account.status is ledger.AccountStatus.FROZEN:
            return ExitContribution(refusal=f"celengan {account.number} is frozen")
        if account.held.is_positive():
            return ExitContribution(
                refusal=f"celengan {account.number} has {account.held.format()} on hold")
    goals.release(ctx, [account.id for account in accounts], ctx.business_date)
    lines = [PostingLine(account.number, Side.DEBIT, account.balance)
             for account in accounts if account.balance.is_positive()]
    return ExitContribution(lines=lines, note=f"{len(lines)} celengan refunded")


@kopcore.hookimpl
def kopcore_veto_member_change(ctx: Context, member: Member | None,
                               change: MemberChange) -> Veto | None:
    """Members join from 17, the age of a KTP: refuse registering a younger applicant."""
    return membership.veto(ctx.business_date, member, change)


@kopcore.hookimpl
def kopcore_eod_tasks() -> Sequence[EodTask]:
    return [DAILY_BONUS]


@kopcore.hookimpl
def kopcore_health_figures(ctx: Context, as_of: date) -> Sequence[HealthFigure]:
    """The number of celengan holding money at the end of ``as_of`` (shown with the health
    assessment as information), read from the postings up to that day."""
    savers = sum(
        1 for account in ledger.list_accounts(ctx, gl_key=GL_KEY, limit=1000)
        if account.opened_on <= as_of
        and ledger.balance_as_of(ctx, account.number, as_of).is_positive()
    )
    return [HealthFigure("celengan.savers", savers, FigureUnit.COUNT,
                         label="Penabung celengan")]


@kopcore.hookimpl
def kopcore_period_end(ctx: Context, period: Period) -> None:
    """Stamp, dated the month's last day, goals that met their target unnoticed."""
    yearend.period_end(ctx, period)


@kopcore.hookimpl
def kopcore_shu_bases(ctx: Context, year_start: date, year_end: date,
                      basis: ShuBasis) -> Sequence[MemberBasis] | None:
    """Celengan deposits of the year, when jasa usaha is shared by transactions."""
    return yearend.shu_bases(ctx, year_start, year_end, basis)


def seed_demo(ctx: Context) -> str | None:
    """Open a Lebaran celengan for the first active member of the demo cooperative."""
    first = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=1)
    if not first:
        return None
    target = Money.parse("1000000", ctx.settings.currency)
    return goals.open_goal(ctx, first[0], target, "Lebaran").number


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("celengan", seed_demo, order=200)]


@kopcore.hookimpl
def kopcore_roles() -> Sequence[RoleSpec]:
    return [RoleSpec(COLLECTOR, "Member who collects celengan deposits door to door",
                     permissions=(READ, MANAGE), member_scoped=True)]


@kopcore.hookimpl
def kopcore_check_access(ctx: Context, operation: Operation, data: Any) -> Access | None:
    """A collector takes deposits into any saver's celengan and shows its balance, except
    deposits into their own (those go through a teller), and does nothing else with celengan."""
    principal = ctx.principal
    if principal is None or principal.role != COLLECTOR or operation.group != "celengan":
        return None
    if operation.name not in ("celengan.deposit", "celengan.balance"):
        return Access.refuse("a collector only takes celengan deposits and shows balances")
    try:
        account = ledger.get_account(ctx, data.account)
    except NotFound:
        account = None
    if account is None or account.product_code != PRODUCT:
        return Access.refuse("a collector serves celengan accounts only")
    if operation.name == "celengan.deposit" and account.member_id == principal.member_id:
        return Access.refuse("a collector's own deposits go through a teller")
    return Access.allow("a collector serves every saver's celengan")


@kopcore.hookimpl
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """The sheet ``celengan`` of a cut-over import: goals and balances from the old books."""
    return [cutover.SHEET]


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """Goals marked reached although the account never held its target."""
    return goals.reached_without_target(ctx)


@kopcore.hookimpl
def kopcore_units(ctx: Context) -> Sequence[UnitSpec]:
    """Celengan keeps no books of its own: its accounts are in the cooperative's main books
    (contract 1.1). A plugin whose business is a unit with separable books declares it here,
    as the sharia plugin declares its sharia unit."""
    return ()


@kopcore.hookimpl
def kopcore_web_pages() -> Sequence[WebPage]:
    """The goals at a glance, as a page of the staff web app and a panel on its home page."""
    return [WebPage("celengan.overview", "Celengan goals", READ, goals.overview,
                    dashboard=True)]


#: The collector's route sheet: the messages a door-to-door collector reads out to savers who
#: have no phone of their own (a log the collector's printout is made from).
route_sheet = logging.getLogger("kopcore_celengan.route_sheet")


def read_out_by_the_collector(ctx: Context, notification: Notification) -> None:
    """Deliver a message by putting it on the collector's route sheet."""
    route_sheet.info("%s (%s): %s", notification.member_number, notification.recipient,
                     notification.text)


@kopcore.hookimpl
def kopcore_notification_channels() -> Sequence[NotificationChannel]:
    """Messages to savers read out by the celengan collector on the next round."""
    return [NotificationChannel("celengan.collector", "Read out by the celengan collector",
                                read_out_by_the_collector)]


@kopcore.hookimpl
def kopcore_event_types() -> Sequence[EventType]:
    """A deposit into a celengan tells the saver (docs/notifications.md)."""
    return [EventType(DEPOSITED, "Money put into a celengan", deposit_message)]
