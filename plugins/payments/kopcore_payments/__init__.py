"""kopcore-payments: money in by bank transfer and QRIS through a payment gateway.

Members get fixed virtual accounts (open amount) at the banks the cooperative chooses; bills
get a closed-amount VA or a dynamic QRIS code and name the operation a payment runs (a loan
repayment, a savings deposit). Gateways call back; each payment is credited once by the
gateway's payment id, whether the callback comes once, twice, late or never (then polled).
Unmatched money waits in suspense for staff. Gateways are plugins
(:mod:`kopcore_payments.hookspecs`). See README.md and docs/payments.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pluggy

import kopcore
from kopcore.context import Context
from kopcore.operations import Operation
from kopcore.providers import by_name
from kopcore.records import (
    DemoSeed,
    EodTask,
    EventType,
    Finding,
    GLAccountSpec,
    MigrationSource,
    PermissionSpec,
)
from kopcore_payments import chart, demo, eod, events, hookspecs, sandbox
from kopcore_payments.gateways import GatewaySpec
from kopcore_payments.operations import OPERATIONS
from kopcore_payments.verify import findings as verify_findings

__version__ = "0.1.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.2"


@kopcore.hookimpl
def kopcore_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Declare ``kopcore_payments_gateways``: gateways are plugins too. Two plugins offering
    the same gateway name stop start-up, naming both."""
    pluginmanager.add_hookspecs(hookspecs)
    by_name([(impl.plugin_name, cast(Sequence[GatewaySpec], impl.function()))
             for impl in pluginmanager.hook.kopcore_payments_gateways.get_hookimpls()],
            "payment gateway")


@kopcore.hookimpl
def kopcore_payments_gateways() -> Sequence[GatewaySpec]:
    return [GatewaySpec("sandbox", sandbox.factory, "Offline gateway for training, the demo "
                        "and tests; settings KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN")]


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return chart.GL_ACCOUNTS


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="payments", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return chart.PERMISSIONS


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@kopcore.hookimpl
def kopcore_eod_tasks() -> Sequence[EodTask]:
    return eod.TASKS


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    # After savings (order 100) has opened the members' accounts.
    return [DemoSeed("payments", demo.seed, order=210)]


@kopcore.hookimpl
def kopcore_event_types() -> Sequence[EventType]:
    return events.EVENT_TYPES


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """The suspense account against the payments waiting in it; every payment's entry."""
    return verify_findings(ctx)
