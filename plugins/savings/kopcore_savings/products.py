"""Savings products: the operator's configuration of each kind of simpanan.

A cooperative may offer several products of each type (two sukarela products at different rates,
say). Every parameter lives in ``savings_products``; nothing about a product is a constant in
code. Amounts are stored in minor units and rates in parts per million of one.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.records import GLType
from kopcore_savings import chart
from kopcore_savings.messages import _
from kopcore_savings.tables import products, tax_changes

PPM = 1_000_000


class SavingsType(enum.StrEnum):
    POKOK = "pokok"
    WAJIB = "wajib"
    SUKARELA = "sukarela"
    BERJANGKA = "berjangka"

    @property
    def product_type(self) -> str:
        """The kernel product type code member accounts of this type carry."""
        return f"savings.{self.value}"


class InterestMethod(enum.StrEnum):
    DAILY = "daily"
    AVERAGE = "average"
    LOWEST = "lowest"


class DormantPolicy(enum.StrEnum):
    """What a dormant account may do: everything (the first movement reactivates it), only
    receive deposits, or nothing until staff reactivate it."""

    ALLOW = "allow"
    DEPOSITS_ONLY = "deposits-only"
    NONE = "none"


DEFAULT_GL = {
    SavingsType.POKOK: chart.POKOK_GL,
    SavingsType.WAJIB: chart.WAJIB_GL,
    SavingsType.SUKARELA: chart.SUKARELA_GL,
    SavingsType.BERJANGKA: chart.BERJANGKA_GL,
}
GL_TYPE = {
    SavingsType.POKOK: GLType.EQUITY,
    SavingsType.WAJIB: GLType.EQUITY,
    SavingsType.SUKARELA: GLType.LIABILITY,
    SavingsType.BERJANGKA: GLType.LIABILITY,
}


@attrs.frozen
class TaxChange:
    """A withholding-tax rate and threshold in force from ``valid_from`` (a month's first day)."""

    valid_from: date
    rate_ppm: int
    threshold: int


@attrs.frozen
class SavingsProduct:
    code: str
    name: str
    type: SavingsType
    currency: str
    gl_key: str
    amount: int | None
    min_balance: int
    rate_ppm: int
    interest_method: InterestMethod
    days_in_year: int
    interest_min_balance: int
    posting_months: int
    rounding_unit: int
    tax_rate_ppm: int
    tax_threshold: int
    expense_gl_key: str
    dormant_after_days: int | None
    dormant_policy: DormantPolicy
    auto_debit: bool
    arrears_gl_key: str
    term_months: int | None
    penalty_ppm: int
    created_on: date
    #: Withholding-tax rate and threshold changes, each from the first of a month, oldest first.
    tax_changes: tuple[TaxChange, ...] = ()

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    def tax_in(self, month: date) -> tuple[int, int]:
        """(rate in ppm, threshold) in force for the interest of ``month``: the latest change
        from that month or earlier, else the product's own."""
        rate, threshold = self.tax_rate_ppm, self.tax_threshold
        for change in self.tax_changes:
            if change.valid_from <= month:
                rate, threshold = change.rate_ppm, change.threshold
        return rate, threshold

    @property
    def earns_interest(self) -> bool:
        return self.type is SavingsType.SUKARELA and self.rate_ppm > 0


@attrs.frozen
class ProductParams:
    """Parameters of a new product, in major units and percent (as an operator types them)."""

    code: str
    name: str
    type: SavingsType
    currency: str
    gl_key: str | None = None
    amount: Decimal | None = None
    min_balance: Decimal = Decimal(0)
    interest_rate: Decimal = Decimal(0)
    interest_method: InterestMethod = InterestMethod.DAILY
    days_in_year: int = 365
    interest_min_balance: Decimal = Decimal(0)
    posting_months: int = 1
    rounding_unit: Decimal = Decimal(1)
    tax_rate: Decimal = Decimal(10)
    tax_threshold: Decimal = Decimal(240000)
    expense_gl_key: str = chart.INTEREST_EXPENSE_GL
    dormant_after_days: int | None = None
    dormant_policy: DormantPolicy = DormantPolicy.DEPOSITS_ONLY
    auto_debit: bool = False
    arrears_gl_key: str = chart.ARREARS_GL
    term_months: int | None = None
    penalty_rate: Decimal = Decimal(0)


def percent_to_ppm(value: Decimal, field: str) -> int:
    """``Decimal("3.25")`` percent → 32500 ppm; at most four decimals, 0 to 100 %."""
    ppm = value * 10_000
    if ppm != ppm.to_integral_value() or not 0 <= ppm <= PPM:
        raise ValidationError(_("{field} must be a percentage from 0 to 100 with at most 4 "
                                "decimals", field=field), field=field)
    return int(ppm)


def _gl_type(ctx: Context, key: str, field: str) -> GLType:
    found = query.gl_account_type(ctx, key)
    if found is None:
        raise NotFound(_("GL account '{key}' is not in the chart", key=key), field=field)
    return found


def _positive(value: Money, field: str, *, zero_ok: bool = True) -> int:
    if value.minor < 0 or (not zero_ok and value.minor == 0):
        raise ValidationError(_("{field} must be zero or positive", field=field) if zero_ok
                              else _("{field} must be positive", field=field), field=field)
    return value.minor


def create_product(ctx: Context, p: ProductParams) -> SavingsProduct:
    """Validate and store a new product. Parameters a type does not use must stay default."""
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._-]{0,31}", p.code):
        raise ValidationError(_("code: 1-32 capital letters, digits, '.', '_' or '-'"),
                              field="code")
    if ctx.conn.execute(sa.select(products.c.code).where(products.c.code == p.code)).first():
        raise Conflict(_("savings product {code} already exists", code=p.code), field="code")
    name = p.name.strip()
    if not name:
        raise ValidationError(_("name is required"), field="name")
    gl_key = p.gl_key or DEFAULT_GL[p.type]
    if _gl_type(ctx, gl_key, "gl_key") is not GL_TYPE[p.type]:
        raise ValidationError(_("{type} savings roll up to an {gl_type} GL account",
                                type=p.type.value,
                                gl_type=GL_TYPE[p.type].value), field="gl_key")
    if _gl_type(ctx, p.expense_gl_key, "expense_gl_key") is not GLType.EXPENSE:
        raise ValidationError(_("interest expense must go to an expense GL account"),
                              field="expense_gl_key")
    if _gl_type(ctx, p.arrears_gl_key, "arrears_gl_key") not in (GLType.INCOME, GLType.EQUITY):
        raise ValidationError(_("arrears kept at exit go to an income or equity GL account"),
                              field="arrears_gl_key")
    cur = p.currency
    amount = None
    if p.type in (SavingsType.POKOK, SavingsType.WAJIB):
        if p.amount is None:
            raise ValidationError(_("a {type} product needs its amount",
                                    type=p.type.value), field="amount")
        amount = _positive(Money.parse(p.amount, cur, field="amount"), "amount", zero_ok=False)
    elif p.amount is not None:
        raise ValidationError(_("only pokok and wajib products have a fixed amount"),
                              field="amount")
    rate = percent_to_ppm(p.interest_rate, "interest_rate")
    if rate and p.type not in (SavingsType.SUKARELA, SavingsType.BERJANGKA):
        raise ValidationError(_("pokok and wajib earn SHU, not interest"), field="interest_rate")
    if p.days_in_year not in (360, 365):
        raise ValidationError(_("days_in_year is 365 or 360"), field="days_in_year")
    if p.posting_months not in (1, 2, 3, 4, 6, 12):
        raise ValidationError(_("posting_months divides a year: 1, 2, 3, 4, 6 or 12"),
                              field="posting_months")
    unit = _positive(Money.parse(p.rounding_unit, cur, field="rounding_unit"), "rounding_unit",
                     zero_ok=False)
    term = p.term_months
    if p.type is SavingsType.BERJANGKA:
        if term is None or not 1 <= term <= 120:
            raise ValidationError(_("a berjangka product needs term_months from 1 to 120"),
                                  field="term_months")
    elif term is not None:
        raise ValidationError(_("only berjangka products have a term"), field="term_months")
    if p.dormant_after_days is not None and not 1 <= p.dormant_after_days <= 36500:
        raise ValidationError(_("dormant_after_days: 1 to 36500, or empty for never"),
                              field="dormant_after_days")
    if p.auto_debit and p.type is not SavingsType.WAJIB:
        raise ValidationError(_("auto-debit of arrears applies to wajib products"),
                              field="auto_debit")
    row = {
        "code": p.code, "name": name[:200], "type": p.type.value, "currency": cur,
        "gl_key": gl_key, "amount": amount,
        "min_balance": _positive(Money.parse(p.min_balance, cur, field="min_balance"),
                                 "min_balance"),
        "rate_ppm": rate, "interest_method": p.interest_method.value,
        "days_in_year": p.days_in_year,
        "interest_min_balance": _positive(
            Money.parse(p.interest_min_balance, cur, field="interest_min_balance"),
            "interest_min_balance"),
        "posting_months": p.posting_months, "rounding_unit": unit,
        "tax_rate_ppm": percent_to_ppm(p.tax_rate, "tax_rate"),
        "tax_threshold": _positive(Money.parse(p.tax_threshold, cur, field="tax_threshold"),
                                   "tax_threshold"),
        "expense_gl_key": p.expense_gl_key, "dormant_after_days": p.dormant_after_days,
        "dormant_policy": p.dormant_policy.value, "auto_debit": p.auto_debit,
        "arrears_gl_key": p.arrears_gl_key, "term_months": term,
        "penalty_ppm": percent_to_ppm(p.penalty_rate, "penalty_rate"),
        "created_on": ctx.business_date,
    }
    ctx.conn.execute(products.insert().values(**row))
    return get_product(ctx, p.code)


def product_from_row(row: sa.Row[object]) -> SavingsProduct:
    m = dict(row._mapping)
    m["type"] = SavingsType(m["type"])
    m["interest_method"] = InterestMethod(m["interest_method"])
    m["dormant_policy"] = DormantPolicy(m["dormant_policy"])
    m["auto_debit"] = bool(m["auto_debit"])
    return SavingsProduct(**m)


def _with_tax_changes(ctx: Context, found: list[SavingsProduct]) -> list[SavingsProduct]:
    t = tax_changes.c
    changes: dict[str, list[TaxChange]] = {}
    for code, valid_from, rate, threshold in ctx.conn.execute(
            sa.select(t.product_code, t.valid_from, t.rate_ppm, t.threshold)
            .where(t.product_code.in_([p.code for p in found])).order_by(t.valid_from)):
        changes.setdefault(code, []).append(TaxChange(valid_from, int(rate), int(threshold)))
    return [attrs.evolve(p, tax_changes=tuple(changes.get(p.code, ()))) for p in found]


def get_product(ctx: Context, code: str) -> SavingsProduct:
    row = ctx.conn.execute(sa.select(products).where(products.c.code == code)).first()
    if row is None:
        raise NotFound(_("savings product {code} not found", code=code), field="product")
    return _with_tax_changes(ctx, [product_from_row(row)])[0]


def list_products(ctx: Context, type_: SavingsType | None = None) -> list[SavingsProduct]:
    statement = sa.select(products).order_by(products.c.code)
    if type_ is not None:
        statement = statement.where(products.c.type == type_.value)
    return _with_tax_changes(ctx, [product_from_row(r) for r in ctx.conn.execute(statement)])


def set_tax(ctx: Context, code: str, valid_from: date, rate: Decimal, threshold: Money
            ) -> SavingsProduct:
    """Record a withholding-tax rate and threshold in force from the first day of a month, not
    before the current month (interest already paid keeps the tax it was judged on)."""
    product = get_product(ctx, code)
    if valid_from.day != 1:
        raise ValidationError(_("a tax change applies from the first day of a month"),
                              field="valid_from")
    if valid_from < ctx.business_date.replace(day=1):
        raise ValidationError(_("a tax change cannot apply to a month before the current one"),
                              field="valid_from")
    rate_ppm = percent_to_ppm(rate, "tax_rate")
    minor = _positive(threshold, "tax_threshold")
    t = tax_changes.c
    ctx.conn.execute(sa.delete(tax_changes).where(t.product_code == product.code,
                                                  t.valid_from == valid_from))
    ctx.conn.execute(tax_changes.insert().values(product_code=product.code,
                                                 valid_from=valid_from, rate_ppm=rate_ppm,
                                                 threshold=minor))
    return get_product(ctx, code)
