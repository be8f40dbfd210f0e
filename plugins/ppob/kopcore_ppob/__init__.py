"""kopcore-ppob: bill payments and top-ups (PPOB) for kopcore cooperatives.

Members buy PLN tokens, phone credit and data packages and pay PLN, BPJS Kesehatan, PDAM and
Telkom bills through a payment aggregator, paying from savings (the account the settlement hook
names for ``payment``) or in cash at a teller. Funds are held while a transaction is pending and
released on failure; success posts member → provider payable at the price the provider charged
and the margin as fee income. ``ref_id`` is the idempotency key end to end. Providers are plugins
(:mod:`kopcore_ppob.hookspecs`), routed per product group or category with a fallback. See
README.md.

The plugin imports only kopcore's public API and is found through its entry point::

    [project.entry-points.kopcore]
    ppob = "kopcore_ppob"
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
from kopcore_ppob import chart, demo, digiflazz, eod, events, hookspecs
from kopcore_ppob.operations import OPERATIONS
from kopcore_ppob.providers import ProviderSpec, sandbox_factory
from kopcore_ppob.verify import findings as verify_findings

__version__ = "0.3.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.2"


@kopcore.hookimpl
def kopcore_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Declare ``kopcore_ppob_providers``: providers are plugins too. Two plugins offering
    the same provider name stop start-up, naming both."""
    pluginmanager.add_hookspecs(hookspecs)
    by_name([(impl.plugin_name, cast(Sequence[ProviderSpec], impl.function()))
             for impl in pluginmanager.hook.kopcore_ppob_providers.get_hookimpls()],
            "PPOB provider")


@kopcore.hookimpl
def kopcore_ppob_providers() -> Sequence[ProviderSpec]:
    return [
        ProviderSpec("sandbox", sandbox_factory,
                     "Offline, deterministic provider for training and tests", networked=False),
        ProviderSpec("digiflazz", digiflazz.factory, "Digiflazz buyer API (md5-signed, "
                     "HMAC-SHA1 webhooks); settings KOPCORE_PPOB_DIGIFLAZZ_*"),
    ]


@kopcore.hookimpl
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    return chart.GL_ACCOUNTS


@kopcore.hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="ppob", path=Path(__file__).parent / "migrations")


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
    # After savings (order 100) has opened and funded the members' accounts.
    return [DemoSeed("ppob", demo.seed, order=200)]


@kopcore.hookimpl
def kopcore_verify(ctx: Context) -> Sequence[Finding]:
    """Successful purchases against their postings to the provider payable."""
    return verify_findings(ctx)


@kopcore.hookimpl
def kopcore_event_types() -> Sequence[EventType]:
    """A member's settled purchase tells the member, with the PLN token
    (docs/notifications.md)."""
    return events.EVENT_TYPES
