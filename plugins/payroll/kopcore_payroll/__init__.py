"""kopcore-payroll: payroll deduction (potong gaji) for employee cooperatives.

Koperasi karyawan and the KPRI of civil servants collect through the employer's payroll: each
month the cooperative sends each employer the list of what to deduct per member, payroll
deducts what salaries allow and transfers one sum with a result list, and the cooperative
allocates each member's amount by priority and records shortfalls as arrears.

The plugin knows no product: what a member owes comes from the plugins that own it through
``kopcore_member_dues``, and the result is settled through ``kopcore_settle_dues`` as one entry
per employer batch (:func:`kopcore.ledger.settle_dues`). It works with savings, loans and
sharia installed, or any of them absent. See docs/payroll.md.

    [project.entry-points.kopcore]
    payroll = "kopcore_payroll"
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import kopcore
from kopcore.operations import Operation
from kopcore.records import DemoSeed, MigrationSource, PermissionSpec
from kopcore_payroll import demo
from kopcore_payroll.operations import MANAGE, OPERATIONS, POST, READ

__version__ = "0.1.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.1"

PERMISSIONS = (
    PermissionSpec(READ, "See employers, employments, deduction lists and their results",
                   ("manager", "teller", "auditor")),
    PermissionSpec(MANAGE, "Register employers and employments, make deduction lists",
                   ("manager", "teller")),
    PermissionSpec(POST, "Post an employer's deduction result", ("manager",)),
)


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="payroll", path=Path(__file__).parent / "migrations")


@kopcore.hookimpl
def kopcore_permissions() -> Sequence[PermissionSpec]:
    return PERMISSIONS


@kopcore.hookimpl
def kopcore_operations() -> Sequence[Operation]:
    return OPERATIONS


@kopcore.hookimpl
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    return [DemoSeed("payroll", demo.seed, order=900)]
