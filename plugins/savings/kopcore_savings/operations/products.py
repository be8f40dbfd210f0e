"""Operations on savings products: configure and list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from kopcore.context import Context
from kopcore.money import Money
from kopcore_savings import chart
from kopcore_savings.operations.common import percent
from kopcore_savings.products import (
    DormantPolicy,
    InterestMethod,
    ProductParams,
    SavingsProduct,
    SavingsType,
    create_product,
    list_products,
    set_tax,
)


@attrs.frozen
class ProductCreateIn:
    """A savings product and its parameters (those a type does not use stay at their default)."""

    code: str = attrs.field(metadata={"help": "Code, e.g. SUKARELA-A", "max_length": 32})
    name: str = attrs.field(metadata={"help": "Name shown to members", "max_length": 200})
    type: SavingsType = attrs.field(metadata={"help": "pokok, wajib, sukarela or berjangka"})
    amount: Decimal | None = attrs.field(default=None, metadata={
        "help": "pokok: the one-off amount; wajib: the amount due each month"})
    min_balance: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Sukarela: balance a withdrawal must leave; berjangka: smallest placement"})
    interest_rate: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Annual rate in percent, e.g. 3 or 3.25"})
    interest_method: InterestMethod = attrs.field(default=InterestMethod.DAILY, metadata={
        "help": "daily, average or lowest balance"})
    days_in_year: int = attrs.field(default=365, metadata={"help": "365 or 360",
                                                           "minimum": 360, "maximum": 365})
    interest_min_balance: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Below this balance no interest is earned"})
    posting_months: int = attrs.field(default=1, metadata={
        "help": "Interest is posted every 1, 2, 3, 4, 6 or 12 months", "minimum": 1,
        "maximum": 12})
    rounding_unit: Decimal = attrs.field(default=Decimal(1), metadata={
        "help": "Interest is rounded half up to this unit (Rp1 default, or Rp100...)"})
    tax_rate: Decimal = attrs.field(default=Decimal(10), metadata={
        "help": "Withholding tax (PPh final) on interest, percent"})
    tax_threshold: Decimal = attrs.field(default=Decimal(240000), metadata={
        "help": "Interest of a calendar month above this amount is taxed (PP 15/2009)"})
    gl_key: str | None = attrs.field(default=None, metadata={
        "help": "GL control account (default by type)", "max_length": 64})
    expense_gl_key: str = attrs.field(default=chart.INTEREST_EXPENSE_GL, metadata={
        "help": "GL account of the interest expense", "max_length": 64})
    dormant_after_days: int | None = attrs.field(default=None, metadata={
        "help": "Days without member activity before the account is dormant (empty: never)",
        "minimum": 1, "maximum": 36500})
    dormant_policy: DormantPolicy = attrs.field(default=DormantPolicy.DEPOSITS_ONLY, metadata={
        "help": "What a dormant account may do: allow, deposits-only or none"})
    auto_debit: bool = attrs.field(default=False, metadata={
        "help": "wajib: billing runs collect arrears from the member's sukarela"})
    arrears_gl_key: str = attrs.field(default=chart.ARREARS_GL, metadata={
        "help": "wajib: GL account credited with arrears deducted at exit", "max_length": 64})
    term_months: int | None = attrs.field(default=None, metadata={
        "help": "berjangka: term in months", "minimum": 1, "maximum": 120})
    penalty_rate: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "berjangka: early withdrawal penalty, percent of principal"})


@attrs.frozen
class TaxChangeOut:
    """A withholding-tax rate and threshold in force from the first day of a month."""

    valid_from: date
    tax_rate: Decimal
    tax_threshold: Money


@attrs.frozen
class ProductTaxIn:
    product: str = attrs.field(metadata={"help": "Savings product code", "max_length": 32})
    valid_from: date = attrs.field(metadata={
        "help": "First day of the month the rate and threshold apply from"})
    tax_rate: Decimal = attrs.field(metadata={"help": "Withholding tax, percent"})
    tax_threshold: Decimal = attrs.field(metadata={
        "help": "A month's interest above this is taxed"})


@attrs.frozen
class ProductOut:
    """A savings product with its parameters."""

    code: str
    name: str
    type: str
    gl_key: str
    amount: Money | None
    min_balance: Money
    interest_rate: Decimal
    interest_method: str
    days_in_year: int
    interest_min_balance: Money
    posting_months: int
    rounding_unit: Money
    tax_rate: Decimal
    tax_threshold: Money
    expense_gl_key: str
    dormant_after_days: int | None
    dormant_policy: str
    auto_debit: bool
    arrears_gl_key: str
    term_months: int | None
    penalty_rate: Decimal
    tax_changes: list[TaxChangeOut]

    @classmethod
    def of(cls, p: SavingsProduct) -> ProductOut:
        return cls(p.code, p.name, p.type.value, p.gl_key,
                   p.money(p.amount) if p.amount is not None else None,
                   p.money(p.min_balance), percent(p.rate_ppm), p.interest_method.value,
                   p.days_in_year, p.money(p.interest_min_balance), p.posting_months,
                   p.money(p.rounding_unit), percent(p.tax_rate_ppm), p.money(p.tax_threshold),
                   p.expense_gl_key, p.dormant_after_days, p.dormant_policy.value, p.auto_debit,
                   p.arrears_gl_key, p.term_months, percent(p.penalty_ppm),
                   [TaxChangeOut(c.valid_from, percent(c.rate_ppm), p.money(c.threshold))
                    for c in p.tax_changes])


@attrs.frozen
class ProductListIn:
    type: SavingsType | None = attrs.field(default=None, metadata={"help": "Only this type"})


@attrs.frozen
class ProductsOut:
    products: list[ProductOut]


def product_create(ctx: Context, data: ProductCreateIn) -> ProductOut:
    """Configure a new savings product."""
    params = ProductParams(**attrs.asdict(data, recurse=False), currency=ctx.settings.currency)
    return ProductOut.of(create_product(ctx, params))


def product_list(ctx: Context, data: ProductListIn) -> ProductsOut:
    """The savings products on offer."""
    return ProductsOut([ProductOut.of(p) for p in list_products(ctx, data.type)])


def product_set_tax(ctx: Context, data: ProductTaxIn) -> ProductOut:
    """Change a product's withholding-tax rate and threshold from the first day of a month."""
    return ProductOut.of(set_tax(ctx, data.product, data.valid_from, data.tax_rate,
                                 Money.parse(data.tax_threshold, ctx.settings.currency,
                                             field="tax_threshold")))
