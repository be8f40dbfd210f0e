"""The provider setting, per-category markup rules and the catalogue synced from a price list.

Selling price (prepaid) or selling admin fee (postpaid) from the buy price ``b`` in minor units::

    raw     = b + flat + ceil(b * percent_ppm / 1_000_000)
    selling = raw rounded UP to a multiple of round_to

Rounding is always up, so the margin is never negative. With no rule for a category, the
default is flat Rp 0, 0 %, rounded up to Rp 500 for prepaid and Rp 0 flat for postpaid fees.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import exponent
from kopcore_ppob import clock, tables
from kopcore_ppob.errors import CutOff
from kopcore_ppob.messages import _
from kopcore_ppob.providers import (
    DEFAULT_PROVIDER,
    PriceItem,
    Provider,
    calling,
    make_provider,
    registry,
)

CATEGORIES = ("pln_token", "pulsa", "paket_data", "pln_postpaid", "bpjs", "pdam", "telkom")


def scale(ctx: Context) -> int:
    """Minor units per rupiah of the cooperative's currency."""
    return int(10 ** exponent(ctx.settings.currency))


# -- provider ---------------------------------------------------------------------------------

def get_setting(ctx: Context, key: str) -> str | None:
    s = tables.settings.c
    value = ctx.conn.execute(sa.select(s.value).where(s.key == key)).scalar_one_or_none()
    return str(value) if value is not None else None


def put_setting(ctx: Context, key: str, value: str | None) -> None:
    s = tables.settings.c
    if value is None:
        ctx.conn.execute(sa.delete(tables.settings).where(s.key == key))
    elif ctx.conn.execute(sa.update(tables.settings).where(s.key == key)
                          .values(value=value)).rowcount == 0:
        ctx.conn.execute(tables.settings.insert().values(key=key, value=value))


def provider_name(ctx: Context) -> str:
    return get_setting(ctx, "provider") or DEFAULT_PROVIDER


def set_provider(ctx: Context, name: str) -> str:
    known = registry(ctx)
    if name not in known:
        raise NotFound(_("no PPOB provider named '{name}'; known: {known}",
                         name=name, known=sorted(known)))
    put_setting(ctx, "provider", name)
    return name


def provider(ctx: Context) -> Provider:
    return make_provider(ctx, provider_name(ctx))


def route(ctx: Context, scope: str, key: str) -> list[str]:
    """The providers preferred for a category (``scope`` ``category``) or a product group
    (``group``), in order; empty when none is set."""
    value = get_setting(ctx, f"route.{scope}.{key}")
    return value.split(",") if value else []


def enabled_providers(ctx: Context) -> list[str]:
    """The providers whose products are sold: the chosen one first, then every provider a
    route names. The catalogue is synced from each of them."""
    names = [provider_name(ctx)]
    s = tables.settings.c
    for value in ctx.conn.execute(sa.select(s.value).where(s.key.like("route.%"))
                                  .order_by(s.key)).scalars():
        names += [n for n in str(value).split(",") if n not in names]
    return names


def provider_down(ctx: Context, name: str) -> str | None:
    """Why the provider is marked down (no sale is sent to it), or ``None``."""
    return get_setting(ctx, f"down.{name}")


# -- cut-off windows --------------------------------------------------------------------------

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]?\d)")


def parse_hhmm(value: str, field: str) -> time:
    match = _HHMM.fullmatch(value.strip())
    if match is None:
        raise ValidationError(_("{field}: a time HH:MM (00:00-23:59)",
                                field=field), field=field)
    return time(int(match[1]), int(match[2]))


def in_window(now: time, start: time, end: time) -> bool:
    """Whether ``now`` falls in [start, end), a window that may cross midnight."""
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def category_cutoff(ctx: Context, category: str) -> tuple[str, str] | None:
    value = get_setting(ctx, f"cutoff.{category}")
    if not value:
        return None
    start, _, end = value.partition("-")
    return start, end


def set_category_cutoff(ctx: Context, category: str, start: str | None,
                        end: str | None) -> tuple[str, str] | None:
    """The operator's daily cut-off window for a category (WIB); both ``None`` clears it."""
    if category not in CATEGORIES:
        raise ValidationError(_("category must be one of {categories}",
                                categories=', '.join(CATEGORIES)),
                              field="category")
    if start is None and end is None:
        put_setting(ctx, f"cutoff.{category}", None)
        return None
    if start is None or end is None:
        raise ValidationError(_("give both start and end, or neither to clear"), field="start")
    a, b = parse_hhmm(start, "start"), parse_hhmm(end, "end")
    if a == b:
        raise ValidationError(_("start and end must differ"), field="end")
    window = (a.strftime("%H:%M"), b.strftime("%H:%M"))
    put_setting(ctx, f"cutoff.{category}", "-".join(window))
    return window


def check_cutoff(ctx: Context, product: Product, at: datetime | None = None) -> None:
    """Refuse (:class:`CutOff`) when the product or its category is in a cut-off window now."""
    local = (at or clock.now()).astimezone(clock.WIB).time()
    windows = []
    if product.cutoff_start and product.cutoff_end:
        windows.append((product.cutoff_start, product.cutoff_end,
                        _("{sku} cannot be sold between {start} and {end} WIB (the provider's "
                          "cut-off window); try again after {end} WIB", sku=product.sku,
                          start=product.cutoff_start, end=product.cutoff_end)))
    if (cat := category_cutoff(ctx, product.category)) is not None:
        windows.append((cat[0], cat[1], _(
            "{sku} cannot be sold between {start} and {end} WIB (the {category} category's "
            "cut-off window); try again after {end} WIB", sku=product.sku, start=cat[0],
            end=cat[1], category=product.category)))
    for start, end, refusal in windows:
        if in_window(local, parse_hhmm(start, "start"), parse_hhmm(end, "end")):
            raise CutOff(refusal)


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
        raise ValidationError(_("category must be one of {categories}",
                                categories=', '.join(CATEGORIES)),
                              field="category")
    if markup.flat < 0 or markup.percent_ppm < 0 or markup.round_to < 0:
        raise ValidationError(_("markup values cannot be negative"))
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
    cutoff_start: str | None = None
    cutoff_end: str | None = None
    #: Products of one group are the same product at different providers (routing).
    group_code: str | None = None


def sync(ctx: Context) -> list[Product]:
    """Replace the catalogue with the enabled providers' price lists at current markups.

    Products a provider no longer lists stay, marked unavailable. The providers are asked with
    ``ctx``'s transaction open: for an offline provider (the demo's sandbox). The ``ppob sync``
    operation asks first and stores in its own transaction (:func:`fetch_price_lists`,
    :func:`store_price_lists`)."""
    return store_price_lists(ctx, fetch_price_lists(ctx))


def fetch_price_lists(ctx: Context) -> list[tuple[str, list[PriceItem]]]:
    """Each enabled provider's name and price list (network calls for real aggregators)."""
    lists = []
    for name in enabled_providers(ctx):
        chosen = make_provider(ctx, name)
        lists.append((name, list(calling(name, chosen.price_list))))
    return lists


def store_price_lists(ctx: Context, lists: list[tuple[str, list[PriceItem]]]) -> list[Product]:
    """Write the fetched price lists; products of providers no longer enabled become
    unavailable."""
    names = [name for name, _ in lists]
    if names != enabled_providers(ctx):
        raise Conflict(_("the providers were changed while their price lists were fetched: sync "
                         "again"))
    for name, items in lists:
        store_price_list(ctx, name, items)
    p = tables.products.c
    ctx.conn.execute(sa.update(tables.products).where(p.provider.not_in(names))
                     .values(available=False))
    return list_products(ctx)


def store_price_list(ctx: Context, provider_name: str, items: list[PriceItem]) -> list[Product]:
    """Write one provider's fetched price list into the catalogue at current markups; its
    products it no longer lists become unavailable."""
    if provider_name not in enabled_providers(ctx):
        raise Conflict(_("the provider was changed while its price list was fetched: sync again"))
    unit = scale(ctx)
    p = tables.products.c
    listed = set()
    for item in items:
        if item.category not in CATEGORIES:
            continue
        if item.price < 0:
            raise Conflict(_("provider lists {sku} at a negative price",
                             sku=item.sku))
        buy = item.price * unit
        cutoff: tuple[str | None, str | None] = (None, None)
        if item.cutoff_start and item.cutoff_end:
            start, end = (parse_hhmm(item.cutoff_start, "start").strftime("%H:%M"),
                          parse_hhmm(item.cutoff_end, "end").strftime("%H:%M"))
            if start != end:  # "00:00"-"00:00": no window
                cutoff = (start, end)
        values = {"provider": provider_name, "category": item.category,
                  "brand": item.brand[:64], "name": item.name[:200],
                  "postpaid": item.postpaid, "buy_price": buy,
                  "selling_price": get_markup(ctx, item.category).apply(buy),
                  "available": item.available, "synced_on": ctx.business_date,
                  "cutoff_start": cutoff[0], "cutoff_end": cutoff[1]}
        listed.add(item.sku)
        if ctx.conn.execute(sa.update(tables.products).where(p.sku == item.sku)
                            .values(**values)).rowcount == 0:
            ctx.conn.execute(tables.products.insert().values(sku=item.sku, **values))
    ctx.conn.execute(sa.update(tables.products)
                     .where(p.sku.not_in(listed), p.provider == provider_name)
                     .values(available=False))
    other = [name for name in enabled_providers(ctx) if name != provider_name]
    ctx.conn.execute(sa.update(tables.products)
                     .where(p.sku.not_in(listed), p.provider.not_in(other))
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
        raise NotFound(_("no PPOB product '{sku}' (sync the catalogue first?)", sku=sku))
    return _product(row)
