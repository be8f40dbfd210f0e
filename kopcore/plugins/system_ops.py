"""Built-in plugin: the business date and the loaded plugins."""

from __future__ import annotations

from datetime import date

import attrs

from kopcore import hookimpl
from kopcore.context import Context
from kopcore.operations import Operation


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class BusinessDateOut:
    business_date: date
    cooperative: str
    currency: str


@attrs.frozen
class PluginOut:
    name: str
    version: str
    builtin: bool
    products: list[str]
    operations: list[str]


@attrs.frozen
class PluginsOut:
    plugins: list[PluginOut]


def business_date(ctx: Context, data: NoInput) -> BusinessDateOut:
    """The cooperative's current business date."""
    return BusinessDateOut(ctx.business_date, ctx.settings.cooperative_name,
                           ctx.settings.currency)


def plugins(ctx: Context, data: NoInput) -> PluginsOut:
    """Loaded plugins with versions, products and operations."""
    host = ctx.kernel.plugins
    return PluginsOut([
        PluginOut(p.name, p.version, p.builtin,
                  sorted(c for c, v in host.products.items() if v.plugin == p.name),
                  sorted(n for n, v in host.operations.items() if v.plugin == p.name))
        for p in host.loaded
    ])


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("system.business-date", NoInput, BusinessDateOut, business_date,
                  permission="system.read", mutates=False, summary="Current business date",
                  self_service=True),
        Operation("system.plugins", NoInput, PluginsOut, plugins, permission="system.read",
                  mutates=False, summary="Loaded plugins", self_service=True),
    ]
