"""The provider setting, per-category markup rules and the catalogue synced from a price list.

Selling price (prepaid) or selling admin fee (postpaid) from the buy price ``b`` in minor units::

    raw     = b + flat + ceil(b * percent_ppm / 1_000_000)
    selling = raw rounded UP to a multiple of round_to

Rounding is always up, so the margin is never negative. With no rule for a category, the
default is flat Rp 0, 0 %, rounded up to Rp 500 for prepaid and Rp 0 flat for postpaid fees.
"""

from __future__ import annotations

from datetime import date

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import exponent
from kopcore_ppob import tables
from kopcore_ppob.providers import DEFAULT_PROVIDER, PROVIDERS, Provider, make_provider

CATEGORIES = ("pln_token", "pulsa", "paket_data", "pln_postpaid", "bpjs", "pdam", "telkom")


def scale(ctx: Context) -> int:
    """Minor units per rupiah of the cooperative's currency."""
    return int(10 ** exponent(ctx.settings.currency))


# -- provider ---------------------------------------------------------------------------------

def provider_name(ctx: Context) -> str:
    s = tables.settings.c
    value = ctx.conn.execute(sa.select(s.value).where(s.key == "provider")).scalar_one_or_none()
    return str(value) if value is not None else DEFAULT_PROVIDER


def set_provider(ctx: Context, name: str) -> str:
    if name not in PROVIDERS:
        raise NotFound(f"no PPOB provider named {name!r}; known: {sorted(PROVIDERS)}")
    s = tables.settings.c
    if ctx.conn.execute(sa.update(tables.settings).where(s.key == "provider")
                        .values(value=name)).rowcount == 0:
        ctx.conn.execute(tables.settings.insert().values(key="provider", value=name))
    return name


def provider(ctx: Context) -> Provider:
    return make_provider(provider_name(ctx))


# -- markups ----------------------------------------------------------------------------------

@attrs.frozen
class Markup:
    category: str
    flat: int
    percent_ppm: int
    round_to: int

    def apply(self, buy: int) -> int:
        raw = buy + self.flat + -(-buy * self.percent_ppm // 1_000_000)
        if self.round_to <= 1:
            return raw
        return -(-raw // self.round_to) * self.round_to


def default_markup(ctx: Context, category: str) -> Markup:
    postpaid = category in ("pln_postpaid", "bpjs", "pdam", "telkom")
    return Markup(category, 0, 0, 0 if postpaid else 500 * scale(ctx))


def get_markup(ctx: Context, category: str) -> Markup:
    m = tables.markups.c
    row = ctx.conn.execute(sa.select(tables.markups).where(m.category == category)).first()
    if row is None:
        return default_markup(ctx, category)
    return Markup(row.category, row.flat, row.percent_ppm, row.round_to)


def set_markup(ctx: Context, markup: Markup) -> Markup:
    if markup.category not in CATEGORIES:
        raise ValidationError(f"category must be one of {', '.join(CATEGORIES)}",
                              field="category")
    if markup.flat < 0 or markup.percent_ppm < 0 or markup.round_to < 0:
        raise ValidationError("markup values cannot be negative")
    m = tables.markups.c
    values = attrs.asdict(markup)
    if ctx.conn.execute(sa.update(tables.markups).where(m.category == markup.category)
                        .values(**values)).rowcount == 0:
        ctx.conn.execute(tables.markups.insert().values(**values))
    return markup


# -- catalogue --------------------------------------------------------------------------------

@attrs.frozen
class Product:
    sku: str
    provider: str
    category: str
    brand: str
    name: str
    postpaid: bool
    buy_price: int
    selling_price: int
    available: bool
    synced_on: date


def sync(ctx: Context) -> list[Product]:
    """Replace the catalogue with the chosen provider's price list at current markups.

    Products the provider no longer lists stay, marked unavailable."""
    chosen = provider(ctx)
    unit = scale(ctx)
    p = tables.products.c
    listed = set()
    for item in chosen.price_list():
        if item.category not in CATEGORIES:
            continue
        if item.price < 0:
            raise Conflict(f"provider lists {item.sku} at a negative price")
        buy = item.price * unit
        values = {"provider": chosen.name, "category": item.category, "brand": item.brand,
                  "name": item.name, "postpaid": item.postpaid, "buy_price": buy,
                  "selling_price": get_markup(ctx, item.category).apply(buy),
                  "available": item.available, "synced_on": ctx.business_date}
        listed.add(item.sku)
        if ctx.conn.execute(sa.update(tables.products).where(p.sku == item.sku)
                            .values(**values)).rowcount == 0:
            ctx.conn.execute(tables.products.insert().values(sku=item.sku, **values))
    ctx.conn.execute(sa.update(tables.products).where(p.sku.not_in(listed))
                     .values(available=False))
    return list_products(ctx)


def _product(row: sa.Row[tuple[object, ...]]) -> Product:
    return Product(**{f.name: getattr(row, f.name) for f in attrs.fields(Product)})


def list_products(ctx: Context, category: str | None = None) -> list[Product]:
    p = tables.products.c
    query = sa.select(tables.products).order_by(p.category, p.sku)
    if category is not None:
        query = query.where(p.category == category)
    return [_product(r) for r in ctx.conn.execute(query)]


def get_product(ctx: Context, sku: str) -> Product:
    row = ctx.conn.execute(sa.select(tables.products)
                           .where(tables.products.c.sku == sku)).first()
    if row is None:
        raise NotFound(f"no PPOB product {sku!r} (sync the catalogue first?)")
    return _product(row)
