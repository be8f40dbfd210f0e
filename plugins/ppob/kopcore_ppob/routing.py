"""Routing a prepaid sale to a provider: per product group or category, with a fallback.

Products of one *group* (``ppob product-group-set``) are the same product sold by different
providers. A sale of any of them is sent to the first provider of the group's route, else of the
category's route (``ppob route-set``), else of the enabled providers (the chosen one first) that
can take it now: its product available (in stock), the provider not marked down
(``ppob provider-state``), outside every cut-off window, and its deposit, as last reported,
enough. The member pays the price of the product asked for; the payable is booked at the cost of
the provider that sold it.

If that provider refuses the purchase with an answer that created nothing there (no stock,
deposit short, a refused request), the next one is asked under the same ref_id: nothing can have
been bought twice. An answer of unknown outcome (a timeout) is never sent elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, KopcoreError, Message, NotFound, ValidationError
from kopcore_ppob import catalogue, tables
from kopcore_ppob.catalogue import Product
from kopcore_ppob.messages import _
from kopcore_ppob.providers import registry

SCOPES = ("category", "group")

#: Raises when a provider's deposit, as last reported, cannot pay ``buy_minor``.
DepositCheck = Callable[[Context, str, int], None]


def not_available(sku: str) -> Message:
    return _("PPOB product {sku} is not available now", sku=sku)


def group_of(ctx: Context, product: Product) -> list[Product]:
    """The product and every other provider's product of its group."""
    if not product.group_code:
        return [product]
    p = tables.products.c
    skus = ctx.conn.execute(sa.select(p.sku).where(p.group_code == product.group_code)
                            .order_by(p.sku)).scalars()
    return [catalogue.get_product(ctx, sku) for sku in skus]


def preference(ctx: Context, product: Product) -> list[str]:
    """The providers in the order they are asked for ``product``."""
    enabled = catalogue.enabled_providers(ctx)
    preferred = ((product.group_code and catalogue.route(ctx, "group", product.group_code))
                 or catalogue.route(ctx, "category", product.category))
    return [n for n in preferred if n in enabled] + [n for n in enabled if n not in preferred]


def candidates(ctx: Context, product: Product, *, tried: tuple[str, ...] = (),
               check_deposit: DepositCheck | None = None) -> list[Product]:
    """The products (one per provider) a sale of ``product`` may be sent to, best first.

    ``check_deposit(ctx, provider, buy_minor)`` raises when the provider's deposit cannot pay.
    With none left, the reason the asked-for product cannot be sold is raised (cut-off, deposit,
    unavailable), or :class:`~kopcore.errors.Conflict`."""
    order = preference(ctx, product)
    offers = sorted((p for p in group_of(ctx, product) if p.provider in order),
                    key=lambda p: (order.index(p.provider), p.sku != product.sku))
    chosen: list[Product] = []
    refusal: KopcoreError | None = None
    for offer in offers:
        if offer.provider in tried or any(c.provider == offer.provider for c in chosen):
            continue
        try:
            sellable(ctx, offer, check_deposit)
        except KopcoreError as exc:
            if offer.sku == product.sku:
                refusal = exc
            continue
        chosen.append(offer)
    if not chosen and not tried:
        if refusal is not None:
            raise refusal
        raise Conflict(not_available(product.sku))
    return chosen


def sellable(ctx: Context, product: Product,
             check_deposit: DepositCheck | None = None) -> None:
    """Raise why ``product`` cannot be sent to its provider now, if it cannot."""
    if not product.available:
        raise Conflict(not_available(product.sku))
    if product.provider not in catalogue.enabled_providers(ctx):
        raise Conflict(_("PPOB product {sku} belongs to provider {provider}, which is not in "
                         "use; sync the catalogue", sku=product.sku,
                         provider=product.provider))
    down = catalogue.provider_down(ctx, product.provider)
    if down is not None:
        raise Conflict(_("PPOB provider {provider} is marked down: {reason}",
                         provider=product.provider, reason=down))
    catalogue.check_cutoff(ctx, product)
    if check_deposit is not None:
        check_deposit(ctx, product.provider, product.buy_price)


def set_route(ctx: Context, scope: str, key: str, providers: list[str]) -> list[str]:
    """Set (or, with no providers, clear) the preferred providers of a category or group."""
    if scope not in SCOPES:
        raise ValidationError(_("scope: category or group"), field="scope")
    if scope == "category" and key not in catalogue.CATEGORIES:
        raise ValidationError(_("category must be one of {categories}",
                                categories=', '.join(catalogue.CATEGORIES)),
                              field="key")
    if not key or len(key) > 64:
        raise ValidationError(_("key: 1-64 characters"), field="key")
    known = registry(ctx)
    for name in providers:
        if name not in known:
            raise NotFound(_("no PPOB provider named '{name}'; known: {known}",
                             name=name, known=sorted(known)))
    if len(set(providers)) != len(providers):
        raise ValidationError(_("providers: each once"), field="providers")
    catalogue.put_setting(ctx, f"route.{scope}.{key}", ",".join(providers) or None)
    return providers


def routes(ctx: Context) -> list[tuple[str, str, list[str]]]:
    """Every route: (scope, key, providers)."""
    s = tables.settings.c
    found = []
    for key, value in ctx.conn.execute(sa.select(s.key, s.value).where(s.key.like("route.%"))
                                       .order_by(s.key)):
        _, scope, name = str(key).split(".", 2)
        found.append((scope, name, str(value).split(",")))
    return found


def set_group(ctx: Context, sku: str, group: str | None) -> Product:
    """Put a product in a group (the same product at several providers), or out of any."""
    catalogue.get_product(ctx, sku)
    if group is not None and not 1 <= len(group) <= 64:
        raise ValidationError(_("group: 1-64 characters"), field="group")
    p = tables.products.c
    ctx.conn.execute(sa.update(tables.products).where(p.sku == sku).values(group_code=group))
    return catalogue.get_product(ctx, sku)


def set_provider_state(ctx: Context, name: str, down: bool, note: str | None) -> str | None:
    """Mark a provider down (no sale is sent to it; routes fall back) or up again."""
    if name not in registry(ctx):
        raise NotFound(_("no PPOB provider named '{name}'", name=name))
    reason = (note or "marked down by an operator")[:150] if down else None
    catalogue.put_setting(ctx, f"down.{name}", reason)
    return reason
