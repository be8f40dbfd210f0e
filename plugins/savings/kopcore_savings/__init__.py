"""kopcore-savings: savings (simpanan) for kopcore cooperatives.

- simpanan pokok: the one-off membership share, equity, refunded only on exit;
- simpanan wajib: the periodic compulsory saving, equity, with billing runs and arrears
  (tunggakan), optionally auto-debited from sukarela;
- simpanan sukarela: voluntary savings above a minimum balance, a liability earning jasa
  simpanan (daily, average or lowest balance), accrued at end of day and posted per period with
  withholding tax;
- simpanan berjangka: time deposits paid out or rolled over at maturity, with a penalty for early
  withdrawal.

Products are the operator's (``savings product-create``); see README.md. The plugin imports only
kopcore's public API and is found through its entry point::

    [project.entry-points.kopcore]
    savings = "kopcore_savings"
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import kopcore
from kopcore.context import Context
from kopcore.ledger import Member, ProposedEntry
from kopcore.operations import Operation
from kopcore.records import (
    DemoSeed,
    DueLines,
    DueSettlement,
    EodTask,
    EventType,
    ExitContribution,
    Finding,
    GLAccountSpec,
    ImportSheet,
    MemberBasis,
    MemberDue,
    MigrationSource,
    PermissionSpec,
    ProductType,
    SettlementAccount,
    ShuBasis,
    Veto,
)
from kopcore_savings import chart, cutover, demo, dormancy, dues, eod, events, membership
from kopcore_savings import shu as shu_bases
from kopcore_savings.operations import OPERATIONS
from kopcore_savings.verify import findings as verify_findings

__version__ = "0.3.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.4"


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return chart.GL_ACCOUNTS


@kopcore.hookimpl
def kopcore_product_types() -> Sequence[ProductType]:
    return chart.PRODUCT_TYPES


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="savings", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return chart.PERMISSIONS


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@kopcore.hookimpl
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse what a dormant account's product does not allow (reason ``savings.dormant``)."""
    return dormancy.veto(ctx, entry)


@kopcore.hookimpl
def kopcore_settlement_account(ctx: Context, member: Member, purpose: str,
                               currency: str) -> SettlementAccount | None:
    """The member's primary sukarela account for disbursement, collection and payment."""
    return membership.settlement_account(ctx, member, purpose, currency)


@kopcore.hookimpl
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    """Refund pokok, wajib and sukarela net of wajib arrears, or refuse."""
    return membership.exit_contribution(ctx, member)


@kopcore.hookimpl
def kopcore_member_dues(ctx: Context, member_ids: Sequence[int], start: date,
                        end: date) -> Sequence[MemberDue]:
    """Unpaid simpanan wajib months (arrears and the period's month not billed yet)."""
    return dues.wajib_dues_of(ctx, member_ids, start, end)


@kopcore.hookimpl
def kopcore_settle_dues(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    """Credit the wajib accounts; record each month settled or presented as billed."""
    return dues.settle(ctx, settlements)


@kopcore.hookimpl
def kopcore_shu_bases(ctx: Context, year_start: date, year_end: date,
                      basis: ShuBasis) -> Sequence[MemberBasis] | None:
    """Capital basis (jasa modal): pokok + wajib at year end or as an average balance."""
    return shu_bases.bases(ctx, year_start, year_end, basis)


@kopcore.hookimpl
def kopcore_eod_tasks() -> Sequence[EodTask]:
    return eod.TASKS


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("savings", demo.seed, order=100, each_month=demo.each_month)]


@kopcore.hookimpl
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """The sheets ``simpanan`` and ``simpanan_berjangka`` of a cut-over import."""
    return cutover.SHEETS


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """Time-deposit accruals and interest records against the ledger."""
    return verify_findings(ctx)


@kopcore.hookimpl
def kopcore_event_types() -> Sequence[EventType]:
    """Each deposit, withdrawal and transfer tells the member (docs/notifications.md)."""
    return events.EVENT_TYPES
