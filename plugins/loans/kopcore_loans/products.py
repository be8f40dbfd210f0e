"""Loan products (operator-configured) and the collectibility classes (kolektibilitas).

A product fixes the terms a loan is offered on; the terms are copied onto each loan at
application, so changing a product never changes a running contract.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money, exponent
from kopcore_loans.messages import _
from kopcore_loans.schedule import Frequency, InterestMethod
from kopcore_loans.tables import collectibility_classes, products


class PenaltyBase(enum.StrEnum):
    """What the daily penalty (denda) is a percentage of."""

    INSTALLMENT = "installment"  # the overdue installments (principal + interest) unpaid
    PRINCIPAL = "principal"  # the overdue principal only


class Accounting(enum.StrEnum):
    """When interest income is recognised."""

    ACCRUAL = "accrual"  # daily, against interest receivable
    CASH = "cash"  # when paid


class SettlementInterest(enum.StrEnum):
    """Interest charged on installments not yet due when a loan is settled early."""

    ACCRUED = "accrued"  # interest earned to date (pro rata by days)
    PERIOD = "period"  # the whole interest of the period in progress
    ALL = "all"  # every remaining scheduled installment's interest


ALLOCATION_PARTS = ("penalty", "interest", "principal")
DEFAULT_ALLOCATION = "penalty,interest,principal"


@attrs.frozen
class Product:
    id: int
    code: str
    name: str
    method: InterestMethod
    frequency: Frequency
    annual_rate: Decimal
    rounding_unit: Decimal
    currency: str
    min_amount: int
    max_amount: int
    min_term: int
    max_term: int
    savings_multiple: Decimal | None
    provisi_percent: Decimal
    admin_fee: int
    fees_deducted: bool
    penalty_percent_per_day: Decimal
    penalty_base: PenaltyBase
    grace_days: int
    allocation_order: tuple[str, ...]
    accounting: Accounting
    settlement_interest: SettlementInterest
    exit_netting: bool
    active: bool
    created_on: date
    #: Simpanan wajib pinjam: this percentage of the principal is blocked in the member's
    #: savings from disbursement until the loan is paid off.
    blocked_savings_percent: Decimal = Decimal(0)

    @property
    def unit_minor(self) -> int:
        return unit_minor(self.rounding_unit, self.currency)


def unit_minor(unit: Decimal, currency: str) -> int:
    """A rounding unit in major units (Rp100) as minor units (10000 sen)."""
    value = unit.scaleb(exponent(currency))
    if value != value.to_integral_value() or value <= 0:
        raise ValidationError(_("rounding unit {unit} is not a positive multiple of the "
                                "currency's minor unit", unit=unit), field="rounding_unit")
    return int(value)


def parse_allocation(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    if sorted(parts) != sorted(ALLOCATION_PARTS):
        raise ValidationError(_("allocation order must name penalty, interest and principal "
                                "once each, e.g. 'penalty,interest,principal'"),
                              field="allocation_order")
    return parts


def product_from_row(row: sa.Row[Any]) -> Product:
    m = row._mapping
    multiple = m["savings_multiple"]
    return Product(
        id=m["id"], code=m["code"], name=m["name"], method=InterestMethod(m["method"]),
        frequency=Frequency(m["frequency"]), annual_rate=Decimal(m["annual_rate"]),
        rounding_unit=Decimal(m["rounding_unit"]), currency=m["currency"],
        min_amount=m["min_amount"], max_amount=m["max_amount"], min_term=m["min_term"],
        max_term=m["max_term"], savings_multiple=Decimal(multiple) if multiple else None,
        provisi_percent=Decimal(m["provisi_percent"]), admin_fee=m["admin_fee"],
        fees_deducted=bool(m["fees_deducted"]),
        penalty_percent_per_day=Decimal(m["penalty_percent_per_day"]),
        penalty_base=PenaltyBase(m["penalty_base"]), grace_days=m["grace_days"],
        allocation_order=parse_allocation(m["allocation_order"]),
        accounting=Accounting(m["accounting"]),
        settlement_interest=SettlementInterest(m["settlement_interest"]),
        exit_netting=bool(m["exit_netting"]), active=bool(m["active"]),
        created_on=m["created_on"],
        blocked_savings_percent=Decimal(m["blocked_savings_percent"]),
    )


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@attrs.frozen
class ProductTerms:
    """A loan product as an operator defines it (amounts in major units, rates in percent)."""

    code: str = attrs.field(metadata=_help("Product code, e.g. PMU-FLAT", max_length=32))
    name: str = attrs.field(metadata=_help("Name shown to members", max_length=200))
    method: InterestMethod = attrs.field(
        converter=InterestMethod,
        metadata=_help("flat, menurun, anuitas or bullet (principal at maturity)"))
    frequency: Frequency = attrs.field(
        converter=Frequency, metadata=_help("Installments daily, weekly, monthly, bimonthly, "
                                            "quarterly, semiannual or annual"))
    annual_rate: Decimal = attrs.field(metadata=_help("Interest, percent a year, e.g. 18"))
    min_amount: Decimal = attrs.field(metadata=_help("Smallest loan"))
    max_amount: Decimal = attrs.field(metadata=_help("Largest loan"))
    min_term: int = attrs.field(metadata=_help("Fewest installments", minimum=1, maximum=600))
    max_term: int = attrs.field(metadata=_help("Most installments", minimum=1, maximum=600))
    rounding_unit: Decimal = attrs.field(
        default=Decimal(1), metadata=_help("Interest and installments round half up to this "
                                           "(1 or 100 rupiah)"))
    savings_multiple: Decimal | None = attrs.field(
        default=None, metadata=_help("Loan at most this multiple of the member's savings "
                                     "(needs a savings plugin)"))
    provisi_percent: Decimal = attrs.field(default=Decimal(0),
                                           metadata=_help("Provisi fee, percent of principal"))
    admin_fee: Decimal = attrs.field(default=Decimal(0),
                                     metadata=_help("Administrasi fee, flat amount"))
    fees_deducted: bool = attrs.field(
        default=True, metadata=_help("Fees deducted from the disbursement (else paid apart)"))
    penalty_percent_per_day: Decimal = attrs.field(
        default=Decimal(0), metadata=_help("Denda, percent per day of what is overdue"))
    penalty_base: PenaltyBase = attrs.field(converter=PenaltyBase,
        default=PenaltyBase.INSTALLMENT, metadata=_help("installment or principal"))
    grace_days: int = attrs.field(default=0, metadata=_help("Days late before denda starts",
                                                            minimum=0, maximum=365))
    allocation_order: str = attrs.field(
        default=DEFAULT_ALLOCATION, metadata=_help("Order payments settle penalty, interest "
                                                   "and principal", max_length=64))
    accounting: Accounting = attrs.field(converter=Accounting,
        default=Accounting.ACCRUAL, metadata=_help("Interest income: accrual (daily) or cash"))
    settlement_interest: SettlementInterest = attrs.field(converter=SettlementInterest,
        default=SettlementInterest.ACCRUED,
        metadata=_help("Interest on early settlement: accrued, period or all"))
    exit_netting: bool = attrs.field(
        default=False, metadata=_help("On member exit, net the loan against the refund "
                                      "(else exit is refused while it is outstanding)"))
    blocked_savings_percent: Decimal = attrs.field(
        default=Decimal(0), metadata=_help("Simpanan wajib pinjam: percent of the principal "
                                           "blocked in the member's savings until payoff"))


def _percent(value: Decimal, field: str, *, high: Decimal = Decimal(100)) -> str:
    if not Decimal(0) <= value <= high:
        raise ValidationError(_("{field} must be between 0 and {high}",
                                field=field, high=high), field=field)
    # Positional notation: str(Decimal("10").normalize()) would be "1E+1".
    return format(value.normalize(), "f") if value else "0"


def create_product(ctx: Context, terms: ProductTerms) -> Product:
    """Validate and store a product; the code is unique."""
    currency = ctx.settings.currency
    code = terms.code.strip()
    if not code or not all(c.isalnum() or c in "-_." for c in code) or len(code) > 32:
        raise ValidationError(_("product code: 1-32 letters, digits, '-', '_' or '.'"),
                              field="code")
    if not terms.name.strip():
        raise ValidationError(_("product name is required"), field="name")
    if ctx.conn.execute(sa.select(products.c.id).where(products.c.code == code)).first():
        raise Conflict(_("loan product {code} already exists", code=code), field="code")
    low = Money.parse(terms.min_amount, currency, field="min_amount")
    high = Money.parse(terms.max_amount, currency, field="max_amount")
    if not low.is_positive() or high < low:
        raise ValidationError(_("amounts: 0 < min_amount <= max_amount"), field="max_amount")
    if not 1 <= terms.min_term <= terms.max_term <= 600:
        raise ValidationError(_("terms: 1 <= min_term <= max_term <= 600 installments"),
                              field="max_term")
    unit_minor(terms.rounding_unit, currency)
    admin = Money.parse(terms.admin_fee, currency, field="admin_fee")
    if admin.minor < 0:
        raise ValidationError(_("admin fee cannot be negative"), field="admin_fee")
    if terms.savings_multiple is not None and terms.savings_multiple <= 0:
        raise ValidationError(_("savings multiple must be positive"), field="savings_multiple")
    if terms.grace_days < 0:
        raise ValidationError(_("grace days cannot be negative"), field="grace_days")
    parse_allocation(terms.allocation_order)
    product_id = ctx.conn.execute(products.insert().values(
        code=code, name=terms.name.strip()[:200], method=terms.method.value,
        frequency=terms.frequency.value,
        annual_rate=_percent(terms.annual_rate, "annual_rate", high=Decimal(1000)),
        rounding_unit=str(terms.rounding_unit), currency=currency, min_amount=low.minor,
        max_amount=high.minor, min_term=terms.min_term, max_term=terms.max_term,
        savings_multiple=str(terms.savings_multiple) if terms.savings_multiple else None,
        provisi_percent=_percent(terms.provisi_percent, "provisi_percent"),
        admin_fee=admin.minor, fees_deducted=terms.fees_deducted,
        penalty_percent_per_day=_percent(terms.penalty_percent_per_day,
                                         "penalty_percent_per_day"),
        penalty_base=terms.penalty_base.value, grace_days=terms.grace_days,
        allocation_order=",".join(parse_allocation(terms.allocation_order)),
        accounting=terms.accounting.value, settlement_interest=terms.settlement_interest.value,
        exit_netting=terms.exit_netting, active=True, created_on=ctx.business_date,
        blocked_savings_percent=_percent(terms.blocked_savings_percent,
                                         "blocked_savings_percent"),
    ).returning(products.c.id)).scalar_one()
    return get_product_by_id(ctx, product_id)


def get_product(ctx: Context, code: str) -> Product:
    row = ctx.conn.execute(sa.select(products).where(products.c.code == code)).first()
    if row is None:
        raise NotFound(_("loan product {code} not found", code=code), field="product")
    return product_from_row(row)


def get_product_by_id(ctx: Context, product_id: int) -> Product:
    row = ctx.conn.execute(sa.select(products).where(products.c.id == product_id)).one()
    return product_from_row(row)


def list_products(ctx: Context, *, include_inactive: bool = False) -> list[Product]:
    query = sa.select(products).order_by(products.c.code)
    if not include_inactive:
        query = query.where(products.c.active.is_(True))
    return [product_from_row(r) for r in ctx.conn.execute(query)]


def set_product_active(ctx: Context, code: str, active: bool) -> Product:
    product = get_product(ctx, code)
    ctx.conn.execute(sa.update(products).where(products.c.id == product.id)
                     .values(active=active))
    return get_product_by_id(ctx, product.id)


# --- collectibility classes ---------------------------------------------------------------


@attrs.frozen
class CollectibilityClass:
    """A kolektibilitas class: loans at least ``min_days`` past due (and below the next
    class's threshold) carry an allowance of ``allowance_percent`` of their outstanding."""

    code: str
    name: str
    min_days: int
    allowance_percent: Decimal
    non_performing: bool
    #: current, special-mention, substandard, doubtful or loss (the problem-loan risk weighs
    #: the last three); derived from the code when not given (see :func:`role_of`).
    role: str | None = None


KNOWN_ROLES = {"L": "current", "DPK": "special-mention", "KL": "substandard",
               "D": "doubtful", "M": "loss"}
ROLES = ("current", "special-mention", "substandard", "doubtful", "loss")


def role_of(cls: CollectibilityClass) -> str:
    """The class's role as given, else by its usual code (L, DPK, KL, D, M), else substandard
    for a non-performing class, special mention for a later performing one, current."""
    if cls.role is not None:
        return cls.role
    if cls.code in KNOWN_ROLES:
        return KNOWN_ROLES[cls.code]
    if cls.non_performing:
        return "substandard"
    return "special-mention" if cls.min_days else "current"


def collectibility(ctx: Context) -> list[CollectibilityClass]:
    """The classes in force, from current (0 days) to loss."""
    c = collectibility_classes.c
    rows = ctx.conn.execute(sa.select(collectibility_classes).order_by(c.min_days))
    return [CollectibilityClass(r.code, r.name, r.min_days, Decimal(r.allowance_percent),
                                bool(r.non_performing), r.role) for r in rows]


def classify(classes: list[CollectibilityClass], days_past_due: int) -> CollectibilityClass:
    """The class of a loan ``days_past_due`` days late (classes sorted by ``min_days``)."""
    chosen = classes[0]
    for cls in classes:
        if days_past_due >= cls.min_days:
            chosen = cls
    return chosen


def replace_classes(ctx: Context, classes: list[CollectibilityClass]) -> list[CollectibilityClass]:
    """Replace the classification table. The first class starts at 0 days; thresholds rise;
    allowances are 0-100 % and never fall as loans get later. Loans are reclassified (and the
    allowance adjusted) at the next end of day."""
    ordered = sorted(classes, key=lambda c: c.min_days)
    if not ordered or ordered[0].min_days != 0:
        raise ValidationError(_("the first class must start at 0 days past due"), field="classes")
    codes = [c.code for c in ordered]
    if len(set(codes)) != len(codes) or len({c.min_days for c in ordered}) != len(ordered):
        raise ValidationError(_("class codes and thresholds must be unique"), field="classes")
    previous = Decimal(0)
    for cls in ordered:
        if not cls.code or len(cls.code) > 16 or not cls.name:
            raise ValidationError(_("each class needs a code (1-16 characters) and a name"),
                                  field="classes")
        if not previous <= cls.allowance_percent <= 100:
            raise ValidationError(_("allowance percentages must be 0-100 and never decrease"),
                                  field="classes")
        if role_of(cls) not in ROLES:
            raise ValidationError(_("class {class_code}: role is one of {roles}",
                                    class_code=cls.code, roles=', '.join(ROLES)),
                                  field="classes")
        previous = cls.allowance_percent
    ctx.conn.execute(sa.delete(collectibility_classes))
    ctx.conn.execute(collectibility_classes.insert(), [
        {"code": c.code, "name": c.name[:100], "min_days": c.min_days,
         "allowance_percent": str(c.allowance_percent), "non_performing": c.non_performing,
         "role": role_of(c)}
        for c in ordered
    ])
    return collectibility(ctx)
