"""kopcore-sharia: sharia products for KSPPS/BMT cooperatives and sharia units, free of
interest (riba).

- a sharia chart of accounts, with a veto refusing any entry that touches a sharia account
  together with an interest account (reason ``sharia.interest-account``), and the sharia unit's
  own books, a unit of the kernel's (``kopcore_units``): its trial balance, financial position
  and operating results (:mod:`kopcore_sharia.unit`);
- wadiah yad dhamanah savings, a bonus only by a proposal approved by a second person;
- mudharabah savings and term deposits: nisbah fixed at opening, monthly profit distribution
  from a pool, exact to the rupiah, deposits paid out or rolled over at maturity
  (:mod:`kopcore_sharia.mudharabah`);
- murabahah financing (PSAK 102): proportional or annuity margin recognition, ta'zir to the
  social fund, muqasah by approval, kolektibilitas and the allowance (PPAP) at end of day;
- qardh: principal-only benevolent loans with an optional flat admin cost;
- zakat, infaq/sadaqah and social funds (maal) kept apart from the financing business, with
  the PSAK 409 statements; cash wakaf (wakaf uang) with its investments, the nazhir's share and
  the PSAK 412 statements;
- musyarakah and musyarakah mutanaqisah financing (PSAK 406), the cooperative the passive
  partner (:mod:`kopcore_sharia.musyarakah`);
- ijarah and ijarah muntahiyah bittamlik (PSAK 107/407): assets bought to lease, rents
  recognised as they fall due, depreciation, transfer by hibah or sale (:mod:`kopcore_sharia.
  ijarah`).

Member exit is refused while a murabahah, qardh, ijarah or musyarakah is outstanding; wadiah and
mudharabah balances are refunded. See README.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.ledger import Member, ProposedEntry
from kopcore.operations import Operation
from kopcore.records import (
    DemoSeed,
    DueLines,
    DueSettlement,
    EodTask,
    ExitContribution,
    Finding,
    GLAccountSpec,
    HealthFigure,
    ImportSheet,
    MemberDue,
    MigrationSource,
    PermissionSpec,
    PostingLine,
    ProductType,
    Side,
    UnitSpec,
    Veto,
)
from kopcore_sharia import (
    allowance,
    chart,
    collectibility,
    cutover,
    demo,
    dues,
    eod,
    health,
    ijarah,
    ijarah_ops,
    mudharabah_ops,
    musyarakah_ops,
    operations,
    proposal_ops,
    unit,
    veto,
    wakaf,
    wakaf_statements,
    wakaf_verify,
    zis,
    zis_statements,
)
from kopcore_sharia.messages import _
from kopcore_sharia.musyarakah_eod import findings as musyarakah_findings
from kopcore_sharia.verify import findings as verify_findings

__version__ = "0.3.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.1"


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
    return (*operations.OPERATIONS, *proposal_ops.OPERATIONS, *mudharabah_ops.OPERATIONS,
            *collectibility.OPERATIONS, *allowance.OPERATIONS, *unit.OPERATIONS,
            *zis.OPERATIONS, *zis_statements.OPERATIONS, *wakaf.OPERATIONS,
            *wakaf_statements.OPERATIONS, *musyarakah_ops.OPERATIONS, *ijarah_ops.OPERATIONS)


@kopcore.hookimpl
def kopcore_eod_tasks() -> Sequence[EodTask]:
    return eod.TASKS


@kopcore.hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse any entry mixing sharia and interest accounts (``sharia.interest-account``)."""
    return veto.veto(entry)


@kopcore.hookimpl
def kopcore_member_dues(ctx: Context, member_ids: Sequence[int], start: date,
                        end: date) -> Sequence[MemberDue]:
    """Unpaid murabahah installments due by ``end`` (overdue before ``start``), each whole."""
    return dues.murabahah_dues_of(ctx, member_ids, start, end)


@kopcore.hookimpl
def kopcore_settle_dues(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    """Collect whole murabahah installments in order and recognise their margin."""
    return dues.settle(ctx, settlements)


@kopcore.hookimpl
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    """Refuse the exit while a murabahah, qardh or musyarakah (or what a partner owes after one)
    is outstanding; refund wadiah and mudharabah balances (a deposit before maturity too: its
    profit share of the running month lapses)."""
    accounts = [a for a in ledger.member_accounts(ctx, member.id) if a.plugin == chart.PLUGIN
                and a.status is not ledger.AccountStatus.CLOSED]
    owing = [a for a in accounts
             if a.product_code in chart.FINANCING_PRODUCTS and a.balance.minor != 0]
    leases = ijarah.active_leases(ctx, member.id)
    if leases:
        return ExitContribution(refusal=_("an ijarah lease is running: {accounts}",
                                          accounts=", ".join(leases)))
    if owing:
        return ExitContribution(refusal=_("outstanding sharia financing: {accounts}",
                                          accounts=", ".join(f"{a.number} ({a.balance.format()})"
                                                             for a in owing)))
    savings = [a for a in accounts
               if a.product_code in (chart.WADIAH_PRODUCT, *chart.MUDHARABAH_PRODUCTS)]
    for account in savings:
        if account.status is ledger.AccountStatus.FROZEN:
            return ExitContribution(refusal=_("{account} is frozen", account=account.number))
        if account.held.is_positive():
            return ExitContribution(refusal=_("{account} has {held} on hold",
                                              account=account.number, held=account.held))
    lines = [PostingLine(a.number, Side.DEBIT, a.balance) for a in savings
             if a.balance.is_positive()]
    return ExitContribution(lines=lines, note=f"{len(lines)} wadiah/mudharabah refunded")


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("sharia", demo.seed, order=300, each_month=demo.each_month)]


@kopcore.hookimpl
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """The sheets ``murabahah`` and ``mudharabah`` of a cut-over import."""
    return cutover.SHEETS


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """Mudharabah distributions against their parts and the entries that paid them; musyarakah
    investments against their contracts; the wakaf records against the wakaf GL accounts."""
    return [*verify_findings(ctx), *musyarakah_findings(ctx), *wakaf_verify.findings(ctx)]


@kopcore.hookimpl
def kopcore_units(ctx: Context) -> Sequence[UnitSpec]:
    """The sharia unit: one case of the kernel's units with books of their own (contract
    1.1)."""
    return [unit.unit_spec(ctx)]


@kopcore.hookimpl
def kopcore_health_figures(ctx: Context, as_of: date) -> Sequence[HealthFigure]:
    """Sharia financing outstanding, NPF, problem-financing risk and PPAP formed on ``as_of``
    (the KSPPS health worksheet, Perdep 07/2016; :mod:`kopcore_sharia.health`)."""
    return health.health_figures(ctx, as_of)
